//! A conservative formatter: it changes only what BuildKit (and the shell a `RUN` starts) reads
//! the same either way, so the formatted file builds what the original builds.
//!
//! - Instruction keywords, `AS`, and HEALTHCHECK's `CMD` and `NONE` in upper case
//!   (`ConsistentInstructionCasing`, `FromAsCasing`).
//! - One space between a keyword and what follows it on its line.
//! - No indentation before an instruction or a comment line between instructions, but for the
//!   comment lines before a FROM or an ARG: BuildKit reads an indented one's `#` into the
//!   stage's or argument's description, so its indentation stays.
//! - Continuation lines indented by one unit (4 spaces by default) more than the instruction;
//!   lines indented deeper keep their depth relative to the least indented one, so aligned
//!   package lists stay aligned.
//! - No blanks at the end of a line, nor after a line continuation's escape character; one
//!   space before that escape character where there were blanks.
//! - At most one empty line between instructions; one line ending at the end of the file.
//!
//! What it leaves alone, because a change there could change the build: the directives and
//! everything before the first instruction but its own indentation (an empty line there ends
//! the directives; blanks before a byte-order mark that starts the instruction stay); heredoc
//! bodies, and the lines of an instruction with a heredoc; continuation lines that start inside
//! a quoted string, as BuildKit or a shell reads it, and every continuation line of an
//! instruction whose quotes never close or may nest (`"$(echo "a  b")"`, `$'...'`, a `${...}`
//! open across lines (a line continuation inside it too), never closed or holding quotes, a
//! flag holding quotes); a continuation line glued to
//! the word before it (`foo\` then `bar` is `foobar`: indenting it would split the word),
//! after an escaped blank (`a\ \`), or after an escape character that escapes what it starts
//! with (`a\\`); exec-form (JSON) instructions' lines; the continuation lines of what BuildKit
//! keeps as written, blanks and all (MAINTAINER, USER, WORKDIR, STOPSIGNAL, and ENV and LABEL
//! in the legacy `key value` form); an unknown instruction's word and the keyword of an ONBUILD
//! in an ONBUILD. The blanks that end any instruction but one with a heredoc go: BuildKit trims
//! the joined line. A file that does not parse is not formatted.
//!
//! "Builds what the original builds" is about what is run and copied: the text of a shell-form
//! RUN, CMD, ENTRYPOINT or HEALTHCHECK and of an ONBUILD trigger is also kept as written in the
//! image's history and config (and a RUN's in its cache key), so those strings change with
//! the blanks, as they do with any edit.

use stagecraft_syntax::ast::{AstNode, Instruction};
use stagecraft_syntax::SyntaxKind::*;
use stagecraft_syntax::{SyntaxNode, SyntaxToken, TextRange, TextSize};

use crate::engine::scan_quotes;
use crate::{Analysis, Parse, TextEdit};

/// How continuation lines are indented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatOptions {
    /// Columns per indentation unit (and per tab, when reading indentation).
    pub indent_width: u32,
    /// Indent with tabs (one per unit, spaces for the rest) instead of spaces.
    pub use_tabs: bool,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions { indent_width: 4, use_tabs: false }
    }
}

/// Why a file is not formatted: a syntax error, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// Where the first syntax error is.
    pub range: TextRange,
    /// What it is and what to do.
    pub message: String,
}

impl Analysis {
    /// [`format`] of the analysed text.
    pub fn format(&self, options: &FormatOptions) -> Result<Vec<TextEdit>, FormatError> {
        format(self.text(), self.parse(), options)
    }
}

/// The edits that format `text` (`parse` is its tree; none when it is formatted), in text
/// order and not overlapping; an error for a text with a syntax error, which is not formatted.
/// Only the tree is read, not the analysis: build args and the platform do not matter.
pub fn format(text: &str, parse: &Parse, options: &FormatOptions) -> Result<Vec<TextEdit>, FormatError> {
    if let Some(e) = parse.errors().first() {
        return Err(FormatError {
            range: e.range(),
            message: format!("not formatted: {}; mend the syntax error first", e.message()),
        });
    }
    let mut f = Formatter {
        text,
        escape: parse.tree().escape_char() as u8,
        // (No indentation would glue an indented line to the word before it.)
        options: FormatOptions { indent_width: options.indent_width.max(1), ..*options },
        edits: Vec::new(),
    };
    f.file(&parse.syntax_node());
    Ok(f.edits)
}

struct Formatter<'a> {
    text: &'a str,
    escape: u8,
    options: FormatOptions,
    edits: Vec<TextEdit>,
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Where the blanks that end `b[lo..end]` start.
fn blanks_start(b: &[u8], lo: usize, end: usize) -> usize {
    let mut s = end;
    while s > lo && is_blank(b[s - 1]) {
        s -= 1;
    }
    s
}

/// Whether a `${...}` is still open at a line break (a line continuation's too) or at the end,
/// or holds a quote (`"${A:-"a  b"}"`, where the shell's quotes nest): braces counted, escaped
/// characters skipped.
fn open_braces(b: &[u8], escape: u8) -> bool {
    let (mut depth, mut k) = (0usize, 0);
    while k < b.len() {
        match b[k] {
            // (A line continuation inside one is a line break inside it too.)
            c if is_escape_like(c, escape) => {
                if depth > 0 && matches!(b.get(k + 1), Some(b'\n' | b'\r')) {
                    return true;
                }
                k += 1;
            }
            b'$' if b.get(k + 1) == Some(&b'{') => {
                depth += 1;
                k += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b'\n' | b'"' | b'\'' if depth > 0 => return true,
            _ => {}
        }
        k += 1;
    }
    // One never closed: where it ends is anyone's guess.
    depth > 0
}

/// An escape character to BuildKit (the file's) or to a shell (`\`).
fn is_escape_like(c: u8, escape: u8) -> bool {
    c == escape || c == b'\\'
}

/// Whether the blanks that end before `end` start with an escaped one (`a\ ` before `end`).
fn escaped_blank(b: &[u8], end: usize, escape: u8) -> bool {
    let s = blanks_start(b, 0, end);
    s > 0 && is_escape_like(b[s - 1], escape)
}

impl Formatter<'_> {
    fn edit(&mut self, start: usize, end: usize, new_text: &str) {
        if self.text[start..end] != *new_text {
            let range = TextRange::new(TextSize::new(start as u32), TextSize::new(end as u32));
            self.edits.push(TextEdit { range, new_text: new_text.to_string() });
        }
    }

    fn file(&mut self, root: &SyntaxNode) {
        let items: Vec<_> = root.children_with_tokens().collect();
        let Some(first) = items.iter().position(|e| e.kind().is_instruction()) else {
            return;
        };
        // The first instruction's own indentation goes as every other's does (the lines before
        // it stay as they are).
        // (Not blanks that start the file before a byte-order mark: BuildKit drops a mark only
        // at the start of the file, so without them the instruction would read differently.)
        if let Some(blanks) = first.checked_sub(1).map(|i| &items[i]).filter(|e| e.kind() == WHITESPACE) {
            let before_bom = first < 2 && self.text[usize::from(blanks.text_range().end())..].starts_with('\u{feff}');
            if (first < 2 || items[first - 2].kind() == NEWLINE) && !before_bom && items[first].kind() != ERROR {
                self.edit_range(blanks.text_range(), "");
            }
        }
        // For each item, the kind of the next instruction: the comments before a FROM or an ARG
        // are its description, which BuildKit reads with the `#` of an indented comment line
        // (its parser drops the line's first byte and trims the rest), so their indentation
        // stays, as a `# check=` comment's does above any instruction.
        let mut next_instruction = vec![None; items.len()];
        let mut next = None;
        for (i, item) in items.iter().enumerate().rev() {
            if item.kind().is_instruction() {
                next = Some(item.kind());
            }
            next_instruction[i] = next;
        }
        // The line endings of the empty lines just read (each its own token).
        let mut empty: Vec<TextRange> = Vec::new();
        let mut line_start = false;
        for (i, item) in items.iter().enumerate().skip(first) {
            let range = item.text_range();
            if let Some(node) = item.as_node() {
                self.empty_lines(&mut empty, 1);
                // An unknown instruction (which BuildKit fails on) is left as written, with its
                // indentation: most often it is a line meant to continue the one before (a `\`
                // under `# escape=\``, a `` ` `` without it), whose layout is the author's
                // (found by a QA run).
                if node.kind() == ERROR {
                    line_start = false;
                    continue;
                }
                if let Some(instruction) = Instruction::cast(node.clone()) {
                    self.instruction(&instruction);
                }
                line_start = false;
                continue;
            }
            match item.kind() {
                NEWLINE => {
                    if line_start {
                        empty.push(range);
                    }
                    line_start = true;
                }
                // Blanks at the start of a line (before an instruction or a comment, or alone)
                // and at its end.
                WHITESPACE => {
                    let next = items.get(i + 1).map(|e| e.kind());
                    // (A `# check=` comment above any instruction sets its checks, read the
                    // same way: indented, BuildKit reads it as `# check=...` and ignores it.)
                    let checks = || {
                        let comment = items[i + 1].as_token().map_or("", |t| t.text());
                        stagecraft_syntax::directives::match_directive_line(comment).is_some_and(|(k, _)| k == "check")
                    };
                    let describes = next == Some(COMMENT)
                        && (matches!(next_instruction[i], Some(FROM_INSTR | ARG_INSTR)) || checks());
                    let unknown = next == Some(ERROR);
                    if (line_start && !describes && !unknown) || matches!(next, Some(NEWLINE) | None) {
                        self.edit_range(range, "");
                    }
                }
                COMMENT => {
                    self.empty_lines(&mut empty, 1);
                    self.trailing_blanks(usize::from(range.start()), usize::from(range.end()));
                    line_start = false;
                }
                _ => {
                    self.empty_lines(&mut empty, 1);
                    line_start = false;
                }
            }
        }
        // The end of the file: one line ending after the last line, and no empty lines.
        self.empty_lines(&mut empty, 0);
        if !line_start {
            // The line ending the file uses.
            let newline = if self.text.contains("\r\n") { "\r\n" } else { "\n" };
            let len = self.text.len();
            self.edit(len, len, newline);
        }
        // Edits inside instructions came after the blanks that follow them.
        self.edits.sort_by_key(|e| (e.range.start(), e.range.end()));
        // Two rules never edit the same text (the tests and the fuzzer hold them to it); were
        // they to, the later edit is left out rather than handing out overlapping edits.
        let mut last_end = TextSize::new(0);
        self.edits.retain(|e| {
            let apart = e.range.start() >= last_end;
            debug_assert!(apart, "overlapping formatting edits at {:?}", e.range);
            last_end = last_end.max(e.range.end());
            apart
        });
    }

    fn edit_range(&mut self, range: TextRange, new_text: &str) {
        self.edit(usize::from(range.start()), usize::from(range.end()), new_text);
    }

    /// A run of empty lines before an instruction or a comment: only `keep` of them stay.
    fn empty_lines(&mut self, empty: &mut Vec<TextRange>, keep: usize) {
        for &range in empty.iter().skip(keep) {
            self.edit_range(range, "");
        }
        empty.clear();
    }

    /// Blanks at the end of `start..end` go.
    /// (A CR among them too: BuildKit trims it with them, and once the blanks after it were
    /// gone it would end the line, and the next formatting would find blanks before it.)
    /// Not where that would leave the escape character ending the line: after it, a CR then a
    /// blank is no line continuation to BuildKit (`\\[ \t]*$`), but once they go the CR (and
    /// the line feed after it) ends the line there, and the next line joins this one.
    fn trailing_blanks(&mut self, start: usize, end: usize) {
        let e = self.blanks_before(start, end);
        let b = self.text.as_bytes();
        if e > start && b[e - 1] == self.escape && b[e..end].contains(&b'\r') {
            return;
        }
        self.edit(e, end, "");
    }

    /// Where the blanks (and CRs) that end `start..end` start.
    fn blanks_before(&self, start: usize, end: usize) -> usize {
        let b = self.text.as_bytes();
        let mut e = end;
        while e > start && (is_blank(b[e - 1]) || b[e - 1] == b'\r') {
            e -= 1;
        }
        e
    }

    fn instruction(&mut self, instruction: &Instruction) {
        let node = instruction.syntax();
        // One walk: keywords (and an ONBUILD trigger's), `AS` and HEALTHCHECK's `CMD` and `NONE`
        // in upper case, one space after a keyword, no blanks after a continuation's escape
        // character; and whether the instruction has a heredoc, an exec form, or a flag holding a
        // quote (BuildKit reads flags with `\` escaping even inside single quotes, unlike the
        // shell, so which blanks are quoted there is not for a quote scan to say).
        let (mut heredoc, mut exec_form, mut quoted_flag) = (false, false, false);
        for element in node.descendants_with_tokens() {
            if let Some(n) = element.as_node() {
                match n.kind() {
                    HEREDOC => heredoc = true,
                    JSON_ARRAY => exec_form = true,
                    FLAG => quoted_flag |= n.text().contains_char('"') || n.text().contains_char('\''),
                    HEALTHCHECK_INSTR => self.healthcheck_type(n),
                    _ => {}
                }
                continue;
            }
            let Some(token) = element.into_token() else { continue };
            match token.kind() {
                KEYWORD | AS_KW => self.keyword(&token),
                LINE_CONTINUATION => {
                    let r = token.text_range();
                    self.edit(usize::from(r.start()) + 1, usize::from(r.end()), "");
                }
                _ => {}
            }
        }
        if heredoc {
            return;
        }
        // What BuildKit keeps as written, blanks and all (`parseString`; the value of ENV and
        // LABEL's legacy `key value` form): its continuation lines stay as they are.
        let own = instruction.trigger().unwrap_or_else(|| instruction.clone());
        let as_written =
            matches!(own.syntax().kind(), MAINTAINER_INSTR | USER_INSTR | WORKDIR_INSTR | STOPSIGNAL_INSTR)
                || (matches!(own.syntax().kind(), ENV_INSTR | LABEL_INSTR) && own.key_values().any(|kv| !kv.has_eq()));
        let lines_stay =
            exec_form || quoted_flag || as_written || node.first_token().is_some_and(|t| t.kind() != KEYWORD);
        // Otherwise `lines` formats the continuation lines, and says when they must stay after all.
        if lines_stay || !self.lines(node) {
            self.last_line_blanks(node);
        }
    }

    /// A keyword or `AS` in upper case, and one space after a keyword. Not an unknown
    /// instruction's word, nor the keyword of an ONBUILD in an ONBUILD (both fail the build as
    /// written).
    fn keyword(&mut self, token: &SyntaxToken) {
        let onbuilds = token.parent_ancestors().filter(|n| n.kind() == ONBUILD_INSTR).count();
        if token.parent().is_some_and(|p| p.kind() == ERROR) || onbuilds > 1 {
            return;
        }
        if token.text().bytes().any(|b| b.is_ascii_lowercase()) {
            self.edit_range(token.text_range(), &token.text().to_ascii_uppercase());
        }
        if token.kind() != KEYWORD {
            return;
        }
        if let Some(ws) = token.next_token().filter(|t| t.kind() == WHITESPACE && t.text() != " ") {
            // (Blanks at a line's end, or before its escape character, are another rule's.)
            let ends =
                ws.next_token().is_none_or(|t| matches!(t.kind(), NEWLINE | LINE_CONTINUATION | TRAILING_ESCAPE));
            if !ends {
                self.edit_range(ws.text_range(), " ");
            }
        }
    }

    /// Blanks at the end of an instruction whose lines [`Self::lines`] leaves alone: BuildKit
    /// trims the joined line (`splitCommand`), so they are nothing, even inside quotes. (Not
    /// after an escape character: the continuation's own rule has those.)
    fn last_line_blanks(&mut self, node: &SyntaxNode) {
        let (start, end) = (usize::from(node.text_range().start()), usize::from(node.text_range().end()));
        let b = self.text.as_bytes();
        let s = self.blanks_before(start, end);
        if s < end && s > start && b[s - 1] != self.escape && b[s - 1] != b'\n' {
            self.edit(s, end, "");
        }
    }

    /// HEALTHCHECK's `CMD` and `NONE`, which BuildKit reads in any case, in upper case.
    fn healthcheck_type(&mut self, check: &SyntaxNode) {
        let Some(word) = check.children().find(|n| n.kind() == WORD) else { return };
        let upper = word.to_string().to_ascii_uppercase();
        if matches!(upper.as_str(), "CMD" | "NONE") {
            self.edit_range(word.text_range(), &upper);
        }
    }

    /// The lines of an instruction: continuation lines indented, blanks at line ends removed.
    /// False when its quotes leave which blanks are text unknown: the lines stay.
    fn lines(&mut self, node: &SyntaxNode) -> bool {
        let range = node.text_range();
        let (start, end) = (usize::from(range.start()), usize::from(range.end()));
        let b = self.text.as_bytes();
        // Each line: where it starts, where its text starts after the indentation, where it
        // ends (before `\r\n`), whether the line before it ends in a blank before the escape
        // character, the quote open at its start, and where its text ends before the escape
        // character that continues it, if one does.
        struct Line {
            start: usize,
            text: usize,
            end: usize,
            after_blank: bool,
            in_quote: bool,
            pinned: bool,
            quoted_end: bool,
            comment: bool,
            empty: bool,
            continued: Option<usize>,
        }
        // Where quotes nest (`"$(echo "a  b")"`, `` `...` ``, `"${A:-"a  b"}"`), which blanks
        // are quoted is the shell's to say, not a quote scan's: the lines stay as they are.
        let all = &self.text[start..end];
        // (With `` # escape=` ``, a backtick that continues a line is no shell's: any other is.)
        let backtick = all.match_indices('`').any(|(i, _)| {
            let rest = all[i + 1..].trim_start_matches([' ', '\t']);
            self.escape != b'`' || !(rest.is_empty() || rest.starts_with(['\n', '\r']))
        });
        let nested = all.contains("$(") || all.contains("$'") || backtick || open_braces(all.as_bytes(), self.escape);
        if nested {
            return false;
        }
        let mut lines = Vec::new();
        // The quotes open as BuildKit reads them (the file's escape character), as a POSIX
        // shell does (`\`), and as cmd and PowerShell do, where `\"` escapes nothing (the
        // shell of Windows images, or one a SHELL names): a line moves only where all say it
        // is outside quotes. (A byte no text has stands for no escape character.)
        let mut quotes = [None, None, None];
        let mut at = start;
        let (mut after_blank, mut pinned) = (false, false);
        while at <= end {
            let line_end = self.text[at..end].find('\n').map_or(end, |i| at + i);
            let mut content_end = line_end;
            while content_end > at && b[content_end - 1] == b'\r' {
                content_end -= 1;
            }
            let text = at + b[at..content_end].iter().take_while(|&&c| is_blank(c)).count();
            // A comment line (which BuildKit drops) or an empty one: after any Unicode space.
            let line = &self.text[at..content_end];
            let comment = at != start && stagecraft_syntax::is_comment_line(line);
            let empty = line.trim_start().is_empty();
            let in_quote = quotes.iter().any(Option::is_some);
            scan_quotes(line, self.escape, &mut quotes[0]);
            // (With `\` for the file's escape character the two readings are one.)
            if self.escape == b'\\' {
                quotes[1] = quotes[0];
            } else {
                scan_quotes(line, b'\\', &mut quotes[1]);
            }
            scan_quotes(line, 0xff, &mut quotes[2]);
            let quoted_end = quotes.iter().any(Option::is_some);
            // The escape character that continues the line, after its last character.
            let e = blanks_start(b, text, content_end);
            let continued = (e > text && b[e - 1] == self.escape).then_some(e - 1);
            lines.push(Line {
                start: at,
                text,
                end: content_end,
                after_blank,
                in_quote,
                pinned,
                quoted_end,
                comment,
                empty,
                continued,
            });
            if !comment && !empty {
                // What the line has before that escape character, if anything.
                let before = continued.filter(|&esc| esc > text).map(|esc| b[esc - 1]);
                // A blank there separates words, unless it is escaped itself (`a\ \`: the
                // next line continues the word `a b`).
                after_blank = before.is_some_and(is_blank) && !escaped_blank(b, e - 1, self.escape);
                // An escape character (BuildKit's or the shell's) there escapes what the next
                // line starts with: it stays put.
                pinned = before.is_some_and(|c| is_escape_like(c, self.escape));
            }
            if line_end == end {
                break;
            }
            at = line_end + 1;
        }
        // A quote that never closes: which blanks are text is anyone's guess.
        if quotes.iter().any(Option::is_some) {
            return false;
        }
        // Columns of indentation of the continuation lines that move: not inside quotes, not
        // empty, and not glued to the word before (no indentation and no blank before the
        // escape character above).
        let unit = self.options.indent_width;
        let width = |s: usize, e: usize| -> u32 { b[s..e].iter().map(|&c| if c == b'\t' { unit } else { 1 }).sum() };
        let moves = |l: &Line| !l.in_quote && !l.pinned && !l.empty && (l.text > l.start || l.after_blank || l.comment);
        // (Comment lines, which BuildKit drops, do not set the depth.)
        let least = lines.iter().skip(1).filter(|l| moves(l) && !l.comment).map(|l| width(l.start, l.text)).min();
        for (k, l) in lines.iter().enumerate() {
            if k > 0 && !l.in_quote {
                if l.empty {
                    // An empty line inside the continuation (BuildKit drops it): no blanks.
                    self.edit(l.start, l.end, "");
                    continue;
                }
                if moves(l) {
                    let own = width(l.start, l.text);
                    let columns = own.saturating_sub(least.unwrap_or(own)) + unit;
                    let spaces_already =
                        !self.options.use_tabs && own == columns && !b[l.start..l.text].contains(&b'\t');
                    if !spaces_already {
                        let indent = self.indent(columns);
                        self.edit(l.start, l.text, &indent);
                    }
                }
            }
            if l.quoted_end {
                continue;
            }
            match l.continued {
                // Blanks at the end (unless a quote is open there: the joined line keeps them).
                None => self.trailing_blanks(l.text, l.end),
                // Blanks before the escape character that continues the line, outside quotes:
                // one space (the joined line has blanks there either way). (A blank escaped
                // itself, `a\ \`, stays, and so do the blanks after it.)
                Some(esc) => {
                    let s = blanks_start(b, l.text, esc);
                    if s < esc && s > l.text && !is_escape_like(b[s - 1], self.escape) {
                        self.edit(s, esc, " ");
                    }
                }
            }
        }
        true
    }

    fn indent(&self, columns: u32) -> String {
        if self.options.use_tabs {
            let tabs = columns / self.options.indent_width;
            let spaces = columns % self.options.indent_width;
            "\t".repeat(tabs as usize) + &" ".repeat(spaces as usize)
        } else {
            " ".repeat(columns as usize)
        }
    }
}
