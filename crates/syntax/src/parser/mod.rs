//! The parser: BuildKit's line loop (directives, comments, continuations, heredocs) over the
//! source, with each logical instruction handed to [`instruction::LineParser`] and its events
//! projected back onto the source bytes.

pub(crate) mod instruction;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod split;

use rowan::{GreenNode, TextRange, TextSize};

use crate::green::Builder;

use crate::heredoc::{self, HeredocWord};
use crate::SyntaxKind::{self, *};
use crate::{SyntaxError, SyntaxErrorKind};
use instruction::{Event, LineParser};

/// BuildKit reads lines with a `bufio.Scanner`, whose buffer holds at most 64 KiB.
const MAX_LINE: usize = 65_535;

/// BuildKit's error for a file with no instructions.
const NO_INSTRUCTIONS: &str = "file with no instructions";

/// One physical line: `[start, content_end)` is its text without the trailing `\r`/`\n` run,
/// `[content_end, end)` that run.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    content_end: usize,
    end: usize,
}

/// A piece of the source that is part of a logical line.
#[derive(Debug, Clone, Copy)]
struct Segment {
    phys: usize,
    log: usize,
    len: usize,
}

/// Source text that joining removed (continuation markers, skipped lines), to be put back at
/// logical position `log`.
#[derive(Debug, Clone, Copy)]
struct Trivia {
    log: usize,
    kind: SyntaxKind,
    start: usize,
    end: usize,
}

/// A heredoc body read after its instruction line.
#[derive(Debug, Clone)]
struct HeredocBody {
    content: (usize, usize),
    terminator: Option<(usize, usize)>,
    newline: Option<(usize, usize)>,
}

pub(crate) fn parse(text: &str) -> (GreenNode, Vec<SyntaxError>) {
    let mut p = Parser::new(text);
    p.builder.start_node(SOURCE_FILE);
    p.file();
    p.finish()
}

/// The incremental parse behind [`crate::Parse::reparse`]; `None` asks for a full parse.
///
/// The parser reads the file one logical line at a time, and where one ends (a top-level child
/// that starts a line) it carries nothing into the next but the escape character and the facts
/// that directives are over and an instruction was seen. So: start at such a boundary before
/// the edit (after the first instruction, where those facts hold), parse until a boundary after
/// the edit that was also one in the old tree, and keep the old children on either side.
/// Errors belong to the lines they were found on; a boundary an old error sits on is skipped,
/// since the error could belong to either side.
pub(crate) fn reparse(
    old: &GreenNode,
    old_errors: &[SyntaxError],
    text: &str,
    deleted: TextRange,
    inserted: TextSize,
) -> Option<(GreenNode, Vec<SyntaxError>)> {
    let old_len = old.text_len();
    let fits = u64::from(u32::from(old_len)) + u64::from(u32::from(inserted))
        == text.len() as u64 + u64::from(u32::from(deleted.len()));
    if deleted.end() > old_len
        || !fits
        || !text.is_char_boundary(usize::from(deleted.start()))
        || old_errors.iter().any(|e| e.is_whole_file())
    {
        return None;
    }
    // Borrowed: only the children kept are cloned (an atomic count each), once.
    let children: Vec<_> = old.children().collect();
    let mut starts = Vec::with_capacity(children.len() + 1);
    let mut offset = TextSize::new(0);
    for c in &children {
        starts.push(offset);
        offset += c.text_len();
    }
    starts.push(offset);
    // A child starts a logical line when it is the first or the one before ends with a newline.
    let boundary = |i: usize| i == 0 || i == children.len() || ends_with_newline(children[i - 1]);
    let has_error_at = |o: TextSize| old_errors.iter().any(|e| e.range.start() == o);
    let first_instruction =
        children.iter().position(|c| matches!(c, rowan::NodeOrToken::Node(n) if n.kind() != DIRECTIVE.into()))?;
    // The child holding the edit's start, then two boundaries back: the line before the edit
    // can continue into it.
    let holder =
        starts.partition_point(|&o| o <= deleted.start()).saturating_sub(1).min(children.len().saturating_sub(1));
    let mut b = holder;
    let mut seen = 0;
    loop {
        if b <= first_instruction {
            return None;
        }
        if boundary(b) && !has_error_at(starts[b]) {
            seen += 1;
            if seen == 2 {
                break;
            }
        }
        b -= 1;
    }
    let start = usize::from(starts[b]);
    let edit_end = deleted.start() + inserted;

    let mut p = Parser::new(text);
    p.pos = start;
    p.line_no = text.as_bytes()[..start].iter().filter(|&&c| c == b'\n').count();
    p.escape = crate::ast::SourceFile { syntax: crate::SyntaxNode::new_root(old.clone()) }.escape_char() as u8;
    p.directives_done = true;
    p.instructions = 1;
    // Parse lines until a boundary past the edit that the old tree has too.
    let resume = loop {
        if p.pos >= text.len() {
            break children.len();
        }
        let at = TextSize::new(p.pos as u32);
        if at >= edit_end && p.pos > start {
            let old_at = at - edit_end + deleted.end();
            let k = starts.partition_point(|&o| o < old_at);
            if k < children.len() && starts[k] == old_at && boundary(k) && !has_error_at(old_at) {
                break k;
            }
        }
        p.line(false);
    };
    if p.errors.iter().any(|e| e.is_whole_file()) {
        return None;
    }
    let old_resume = starts[resume];
    let mut new_children: Vec<_> = children[..b].iter().map(|&c| c.to_owned()).collect();
    new_children.append(&mut p.builder.children);
    new_children.extend(children[resume..].iter().map(|&c| c.to_owned()));
    let green = GreenNode::new(SOURCE_FILE.into(), new_children);
    let mut errors: Vec<SyntaxError> = old_errors.iter().filter(|e| e.range.start() < starts[b]).cloned().collect();
    errors.append(&mut p.errors);
    let shift = |o: TextSize| o - deleted.end() + edit_end;
    for e in old_errors.iter().filter(|e| e.range.start() >= old_resume) {
        let mut e = e.clone();
        e.range = TextRange::new(shift(e.range.start()), shift(e.range.end()));
        errors.push(e);
    }
    crate::sort::sort_by_key(&mut errors, |e| e.range.start());
    Some((green, errors))
}

/// Whether a green child's text ends with a newline.
fn ends_with_newline<'a>(mut element: rowan::NodeOrToken<&'a rowan::GreenNodeData, &'a rowan::GreenTokenData>) -> bool {
    loop {
        match element {
            rowan::NodeOrToken::Token(t) => return t.text().ends_with('\n'),
            rowan::NodeOrToken::Node(n) => match n.children().next_back() {
                Some(last) => element = last,
                None => return false,
            },
        }
    }
}

impl<'t> Parser<'t> {
    /// Closes the file node and adds the error for a file without instructions.
    fn finish(mut self) -> (GreenNode, Vec<SyntaxError>) {
        self.builder.finish_node();
        if self.instructions == 0 {
            let end = TextSize::of(self.text);
            self.errors.push(SyntaxError::with_kind(
                TextRange::new(end, end),
                format!("{NO_INSTRUCTIONS}: a Dockerfile needs at least one instruction, such as FROM"),
                SyntaxErrorKind::NoInstructions,
            ));
        }
        (self.builder.finish(), self.errors)
    }

    fn new(text: &'t str) -> Parser<'t> {
        Parser {
            text,
            pos: 0,
            line_no: 0,
            builder: Builder::new(),
            segments: Vec::new(),
            trivia: Vec::new(),
            events: Vec::new(),
            errors: Vec::new(),
            escape: b'\\',
            directives_done: false,
            seen_directives: Vec::new(),
            too_long_reported: false,
            instructions: 0,
            heredoc_of: None,
        }
    }
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
    line_no: usize,
    builder: Builder,
    segments: Vec<Segment>,
    trivia: Vec<Trivia>,
    events: Vec<Event>,
    errors: Vec<SyntaxError>,
    escape: u8,
    directives_done: bool,
    seen_directives: Vec<String>,
    too_long_reported: bool,
    instructions: usize,
    /// Where the instruction starts whose heredoc bodies are being read.
    heredoc_of: Option<usize>,
}

fn range(start: usize, end: usize) -> TextRange {
    TextRange::new(TextSize::new(start as u32), TextSize::new(end as u32))
}

impl<'t> Parser<'t> {
    fn next_line(&mut self) -> Option<Line> {
        if self.pos >= self.text.len() {
            return None;
        }
        let b = self.text.as_bytes();
        let start = self.pos;
        let end = match memchr_newline(&b[start..]) {
            Some(i) => start + i + 1,
            None => b.len(),
        };
        let mut content_end = end;
        while content_end > start && matches!(b[content_end - 1], b'\n' | b'\r') {
            content_end -= 1;
        }
        self.pos = end;
        self.line_no += 1;
        let has_newline = b[end - 1] == b'\n';
        let len = end - start - usize::from(has_newline);
        if len > MAX_LINE && !self.too_long_reported {
            self.too_long_reported = true;
            // BuildKit's scanner stops at the line: in a heredoc's body, the heredoc is not
            // closed (from the instruction on: the range starts there); else, with no
            // instruction read before it (one it continues counts: BuildKit adds it), the file
            // has none; else the scanner's error.
            let (error, from) = match (self.heredoc_of, self.instructions) {
                (Some(from), _) => ("unterminated heredoc", from),
                (None, 0) => (NO_INSTRUCTIONS, start),
                _ => ("dockerfile line greater than max allowed size of 65535", start),
            };
            self.errors.push(SyntaxError::with_kind(
                range(from, start),
                format!(
                    "{error}: line {} is {len} bytes long, more than BuildKit reads: split it with line continuations",
                    self.line_no
                ),
                SyntaxErrorKind::LineTooLong,
            ));
        }
        Some(Line { start, content_end, end })
    }

    fn token(&mut self, kind: SyntaxKind, start: usize, end: usize) {
        if start < end {
            self.builder.token(kind, &self.text[start..end]);
        }
    }

    fn file(&mut self) {
        let mut first = self.pos == 0;
        while self.line(first) {
            first = false;
        }
    }

    /// Parses the next logical line (a directive, a comment, a blank line or an instruction
    /// with its continuation lines and heredocs); false at the end of the text.
    fn line(&mut self, first: bool) -> bool {
        let Some(line) = self.next_line() else { return false };
        let mut s = line.start;
        if first && self.text[s..].starts_with('\u{FEFF}') {
            self.token(BOM, s, s + 3);
            s += 3;
        }
        let content = &self.text[s..line.content_end.max(s)];
        let t = s + (content.len() - content.trim_start().len());
        let e = line.content_end.max(t);
        if !self.directives_done && self.directive(line, s, t, e) {
            return true;
        }
        self.directives_done = true;
        if self.text.as_bytes().get(t) == Some(&b'#') && t < e {
            self.token(WHITESPACE, s, t);
            self.token(COMMENT, t, e);
            self.token(NEWLINE, e, line.end);
            return true;
        }
        let cont = self.continuation(t, e);
        if cont.is_none() && t == e {
            self.token(WHITESPACE, s, e);
            self.token(NEWLINE, e, line.end);
            return true;
        }
        self.token(WHITESPACE, s, t);
        self.instruction(line, t, cont);
        true
    }

    /// Recognises a parser directive (`# key=value` in the leading comment block); emits it and
    /// returns true when the line is one.
    fn directive(&mut self, line: Line, s: usize, t: usize, e: usize) -> bool {
        let Some(d) = match_directive(&self.text[t..e]) else {
            return false;
        };
        let key = self.text[t + d.name.0..t + d.name.1].to_ascii_lowercase();
        if !matches!(key.as_str(), "syntax" | "escape" | "check") {
            return false;
        }
        let value = &self.text[t + d.value.0..t + d.value.1];
        let value_range = range(t + d.value.0, t + d.value.1);
        if self.seen_directives.contains(&key) {
            self.errors.push(SyntaxError::new(
                range(t, e),
                format!("only one {key} parser directive can be used: remove this repeated `# {key}=` line"),
            ));
        } else {
            self.seen_directives.push(key.clone());
            if key == "escape" {
                match value {
                    "\\" => self.escape = b'\\',
                    "`" => self.escape = b'`',
                    _ => self.errors.push(SyntaxError::new(
                        value_range,
                        format!(
                            "invalid escape token '{value}' does not match ` or \\: use `# escape=\\` or `# escape=``"
                        ),
                    )),
                }
            }
        }
        self.token(WHITESPACE, s, t);
        self.builder.start_node(DIRECTIVE);
        let mut at = t;
        for (kind, (a, b)) in [
            (HASH, (0, 1)),
            (WHITESPACE, (1, d.name.0)),
            (DIRECTIVE_NAME, d.name),
            (WHITESPACE, (d.name.1, d.eq)),
            (EQ, (d.eq, d.eq + 1)),
            (WHITESPACE, (d.eq + 1, d.value.0)),
            (DIRECTIVE_VALUE, d.value),
            (WHITESPACE, (d.value.1, e - t)),
        ] {
            debug_assert_eq!(at, t + a);
            self.token(kind, t + a, t + b);
            at = t + b;
        }
        debug_assert_eq!(at, e);
        self.builder.finish_node();
        self.token(NEWLINE, e, line.end);
        true
    }

    /// BuildKit's continuation regex `([^E])E[ \t]*$|^E[ \t]*$` on `[s, e)`: the offset of the
    /// escape character when the line continues.
    fn continuation(&self, s: usize, e: usize) -> Option<usize> {
        let b = self.text.as_bytes();
        let mut i = e;
        while i > s && matches!(b[i - 1], b' ' | b'\t') {
            i -= 1;
        }
        if i == s || b[i - 1] != self.escape {
            return None;
        }
        let esc = i - 1;
        if esc == s || b[esc - 1] != self.escape {
            Some(esc)
        } else {
            None
        }
    }

    fn instruction(&mut self, first: Line, t: usize, mut cont: Option<usize>) {
        self.instructions += 1;
        let mut segments = std::mem::take(&mut self.segments);
        segments.clear();
        let mut trivia = std::mem::take(&mut self.trivia);
        trivia.clear();
        let mut log = 0usize;
        let mut line = first;
        let mut seg_start = t;
        'lines: loop {
            let body_end = cont.unwrap_or(line.content_end);
            segments.push(Segment { phys: seg_start, log, len: body_end - seg_start });
            log += body_end - seg_start;
            let Some(esc) = cont else { break };
            trivia.push(Trivia { log, kind: LINE_CONTINUATION, start: esc, end: line.content_end });
            trivia.push(Trivia { log, kind: NEWLINE, start: line.content_end, end: line.end });
            loop {
                let Some(next) = self.next_line() else {
                    break 'lines;
                };
                let raw = &self.text[next.start..next.end];
                let lead = raw.len() - raw.trim_start().len();
                if raw.as_bytes().get(lead) == Some(&b'#') {
                    let hash = next.start + lead;
                    trivia.push(Trivia { log, kind: CONTINUATION_WHITESPACE, start: next.start, end: hash });
                    trivia.push(Trivia { log, kind: COMMENT, start: hash, end: next.content_end });
                    trivia.push(Trivia { log, kind: NEWLINE, start: next.content_end, end: next.end });
                    continue;
                }
                if self.text[next.start..next.content_end].trim_start().is_empty() {
                    trivia.push(Trivia {
                        log,
                        kind: CONTINUATION_WHITESPACE,
                        start: next.start,
                        end: next.content_end,
                    });
                    trivia.push(Trivia { log, kind: NEWLINE, start: next.content_end, end: next.end });
                    continue;
                }
                line = next;
                seg_start = next.start;
                cont = self.continuation(next.start, next.content_end);
                continue 'lines;
            }
        }
        trivia.retain(|t| t.start < t.end);
        // The last line's newline is outside the instruction (unless heredocs follow).
        let last_newline = match trivia.last() {
            Some(t) if t.kind == NEWLINE && t.end == self.pos => trivia.pop().map(|t| (t.start, t.end)),
            _ if cont.is_none() && line.content_end < line.end => Some((line.content_end, line.end)),
            _ => None,
        };

        let logical: std::borrow::Cow<'_, str> = if segments.len() == 1 {
            let s = segments[0];
            std::borrow::Cow::Borrowed(&self.text[s.phys..s.phys + s.len])
        } else {
            let mut out = String::with_capacity(log);
            for s in &segments {
                out.push_str(&self.text[s.phys..s.phys + s.len]);
            }
            std::borrow::Cow::Owned(out)
        };

        let (events, line_errors, info) =
            LineParser::new(&logical, self.escape, std::mem::take(&mut self.events)).parse();
        for e in line_errors {
            let r = range(log_to_phys(&segments, e.start, false), log_to_phys(&segments, e.end, true));
            self.errors.push(SyntaxError::new(r, e.message));
        }

        let mut markers = Vec::new();
        let mut bodies = Vec::new();
        if info.heredoc_capable && logical.contains("<<") {
            match heredoc::heredocs_from_line(&logical) {
                Ok(words) => {
                    markers = words.iter().map(|w: &HeredocWord| w.span).collect();
                    bodies = self.heredoc_bodies(&words, &segments);
                }
                Err(message) => {
                    let r = range(t, log_to_phys(&segments, logical.len(), true));
                    self.errors.push(SyntaxError::new(r, message));
                }
            }
        }

        let mut emitter = Emitter {
            text: self.text,
            builder: &mut self.builder,
            segments: &segments,
            trivia: &trivia,
            next_trivia: 0,
            segment: 0,
            markers: &markers,
        };
        let mut lpos = 0usize;
        let mut depth = 0usize;
        let mut trailing_newline = last_newline;
        for &ev in &events {
            match ev {
                Event::Start(kind) => {
                    if depth > 0 {
                        emitter.flush_trivia(lpos);
                    }
                    emitter.builder.start_node(kind);
                    depth += 1;
                }
                Event::Token(kind, end) => {
                    let end = end as usize;
                    emitter.logical_token(kind, lpos, end);
                    lpos = end;
                }
                Event::Finish => {
                    depth -= 1;
                    if depth == 0 {
                        emitter.flush_trivia(usize::MAX);
                    }
                    emitter.builder.finish_node();
                }
                Event::HeredocSlot => {
                    if bodies.is_empty() {
                        continue;
                    }
                    emitter.flush_trivia(usize::MAX);
                    if let Some((a, b)) = trailing_newline.take() {
                        emitter.physical(NEWLINE, a, b);
                    }
                    let count = bodies.len();
                    for (i, body) in bodies.iter().enumerate() {
                        emitter.builder.start_node(HEREDOC);
                        emitter.physical(HEREDOC_CONTENT, body.content.0, body.content.1);
                        if let Some((a, b)) = body.terminator {
                            emitter.physical(HEREDOC_END, a, b);
                        }
                        emitter.builder.finish_node();
                        if i + 1 < count {
                            if let Some((a, b)) = body.newline {
                                emitter.physical(NEWLINE, a, b);
                            }
                        } else {
                            trailing_newline = body.newline;
                        }
                    }
                }
            }
        }
        if let Some((a, b)) = trailing_newline {
            self.token(NEWLINE, a, b);
        }
        self.segments = segments;
        self.trivia = trivia;
        self.events = events;
    }

    /// Reads the bodies of the heredocs an instruction line opened, in order.
    fn heredoc_bodies(&mut self, words: &[HeredocWord], segments: &[Segment]) -> Vec<HeredocBody> {
        let mut bodies = Vec::new();
        self.heredoc_of = segments.first().map(|s| s.phys);
        for word in words {
            let body_start = self.pos;
            let mut terminator = None;
            while let Some(line) = self.next_line() {
                let content = &self.text[line.start..line.content_end];
                let candidate = if word.heredoc.chomp { content.trim_start_matches('\t') } else { content };
                if candidate == word.heredoc.name {
                    terminator = Some(line);
                    break;
                }
            }
            match terminator {
                Some(line) => bodies.push(HeredocBody {
                    content: (body_start, line.start),
                    terminator: Some((line.start, line.content_end)),
                    newline: (line.content_end < line.end).then_some((line.content_end, line.end)),
                }),
                None => {
                    let (ms, me) = word.span;
                    let r = range(log_to_phys(segments, ms, false), log_to_phys(segments, me, true));
                    self.errors.push(SyntaxError::new(
                        r,
                        format!(
                            "unterminated heredoc: no line `{}` ends the heredoc opened here; add it after the heredoc's content",
                            word.heredoc.name
                        ),
                    ));
                    bodies.push(HeredocBody { content: (body_start, self.pos), terminator: None, newline: None });
                    break;
                }
            }
        }
        self.heredoc_of = None;
        bodies
    }
}

/// Maps a logical offset to the source. At a gap, `end` picks the end of the earlier segment.
fn log_to_phys(segments: &[Segment], pos: usize, end: bool) -> usize {
    let mut found = segments[0].phys;
    for s in segments {
        if pos >= s.log && pos <= s.log + s.len {
            found = s.phys + (pos - s.log);
            if end || pos < s.log + s.len {
                return found;
            }
        }
    }
    found
}

/// The first `\n` in `b`, eight bytes at a time.
fn memchr_newline(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const NL: u64 = LO * b'\n' as u64;
    let mut i = 0;
    while i + 8 <= b.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(word) ^ NL;
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == b'\n').map(|p| i + p)
}

pub(crate) struct DirectiveMatch {
    pub(crate) name: (usize, usize),
    eq: usize,
    pub(crate) value: (usize, usize),
}

/// BuildKit's `DirectiveParser.ParseLine`: after the `#`, blanks as `unicode.IsSpace` reads them
/// (`\v`, U+00A0, U+3000, ...) are trimmed, and the rest must match
/// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`, where `\s` is `[\t\n\f\r ]`.
pub(crate) fn match_directive(line: &str) -> Option<DirectiveMatch> {
    let b = line.as_bytes();
    let is_s = |c: u8| matches!(c, b'\t' | b'\n' | 0x0c | b'\r' | b' ');
    if b.first() != Some(&b'#') {
        return None;
    }
    let mut i = line.len() - line[1..].trim_start_matches(crate::go::is_space).len();
    let name_start = i;
    if !b.get(i).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    while i < b.len() && b[i].is_ascii_alphanumeric() {
        i += 1;
    }
    let name_end = i;
    while i < b.len() && is_s(b[i]) {
        i += 1;
    }
    if b.get(i) != Some(&b'=') {
        return None;
    }
    let eq = i;
    i += 1;
    if i >= b.len() {
        return None;
    }
    // `\s*` is greedy but must leave one character for `.+?`.
    let mut v = i;
    while v + 1 < b.len() && is_s(b[v]) {
        v += 1;
    }
    let mut ve = b.len();
    while ve > v + 1 && is_s(b[ve - 1]) {
        ve -= 1;
    }
    // `.` matches any character but `\n` (which cannot occur in a line).
    while !line.is_char_boundary(ve) {
        ve += 1;
    }
    Some(DirectiveMatch { name: (name_start, name_end), eq, value: (v, ve) })
}

/// Writes logical tokens at their source positions, with removed text put back as trivia.
struct Emitter<'a, 't> {
    text: &'t str,
    builder: &'a mut Builder,
    segments: &'a [Segment],
    trivia: &'a [Trivia],
    next_trivia: usize,
    segment: usize,
    markers: &'a [(usize, usize)],
}

impl Emitter<'_, '_> {
    fn physical(&mut self, kind: SyntaxKind, start: usize, end: usize) {
        if start < end {
            self.builder.token(kind, &self.text[start..end]);
        }
    }

    /// Emits the trivia that sits at or before logical position `upto`.
    fn flush_trivia(&mut self, upto: usize) {
        while let Some(t) = self.trivia.get(self.next_trivia) {
            if t.log > upto {
                break;
            }
            self.builder.token(t.kind, &self.text[t.start..t.end]);
            self.next_trivia += 1;
        }
    }

    fn logical_token(&mut self, kind: SyntaxKind, start: usize, end: usize) {
        if kind == TEXT && !self.markers.is_empty() {
            let mut cur = start;
            for &(ms, me) in self.markers {
                if me <= cur || ms >= end {
                    continue;
                }
                if ms > cur {
                    self.pieces(TEXT, cur, ms);
                    cur = ms;
                }
                let me = me.min(end);
                self.pieces(HEREDOC_MARKER, cur, me);
                cur = me;
            }
            self.pieces(TEXT, cur, end);
        } else {
            self.pieces(kind, start, end);
        }
    }

    /// One logical token, split where segments end (with the trivia between put back).
    fn pieces(&mut self, kind: SyntaxKind, start: usize, end: usize) {
        if self.segments.len() == 1 {
            // A one-line instruction: logical offsets are source offsets shifted.
            let s = self.segments[0];
            if start < end {
                self.builder.token(kind, &self.text[s.phys + start..s.phys + end]);
            }
            return;
        }
        let mut cur = start;
        while cur < end {
            self.flush_trivia(cur);
            while self.segment + 1 < self.segments.len() {
                let s = self.segments[self.segment];
                if cur < s.log + s.len {
                    break;
                }
                self.segment += 1;
            }
            let s = self.segments[self.segment];
            let piece_end = end.min(s.log + s.len);
            if piece_end <= cur {
                // Past the last segment: cannot happen for a well-formed event stream.
                break;
            }
            let a = s.phys + (cur - s.log);
            let b = s.phys + (piece_end - s.log);
            self.builder.token(kind, &self.text[a..b]);
            cur = piece_end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_regex() {
        // Unicode blanks after the `#` (not around the `=`).
        let d = match_directive("#\u{a0}\u{b}escape=`").unwrap();
        assert_eq!((d.name, d.value), ((4, 10), (11, 12)));
        assert!(match_directive("# escape\u{a0}=`").is_none());
        let d = match_directive("# escape=`").unwrap();
        assert_eq!((d.name, d.value), ((2, 8), (9, 10)));
        let d = match_directive("#syntax = docker/dockerfile:1  ").unwrap();
        assert_eq!(&"#syntax = docker/dockerfile:1  "[d.value.0..d.value.1], "docker/dockerfile:1");
        let d = match_directive("# escape=   ").unwrap();
        assert_eq!(d.value, (11, 12));
        assert!(match_directive("# escape=").is_none());
        assert!(match_directive("# 1x=y").is_none());
        assert!(match_directive("#!/bin/sh").is_none());
    }
}
