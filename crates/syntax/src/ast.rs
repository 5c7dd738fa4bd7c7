//! Typed views over the tree. They are zero-cost wrappers around [`SyntaxNode`], and every
//! accessor returns an `Option` or an iterator, because trees of broken files are incomplete.

use rowan::{TextRange, TextSize};

use crate::heredoc::{self, Heredoc};
use crate::json::{self, JsonArray as ParsedJson};
use crate::parser::instruction::cook_flag;
use crate::SyntaxKind::{self, *};
use crate::{SyntaxNode, SyntaxToken};

/// A typed view of a node.
pub trait AstNode: Sized {
    /// Wraps `node` if it has the right kind.
    fn cast(node: SyntaxNode) -> Option<Self>;
    /// The underlying node.
    fn syntax(&self) -> &SyntaxNode;
    /// The node's source range.
    fn range(&self) -> TextRange {
        self.syntax().text_range()
    }
}

macro_rules! ast_node {
    ($(#[$doc:meta])* $name:ident, $($kind:ident)|+) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            pub(crate) syntax: SyntaxNode,
        }

        impl AstNode for $name {
            fn cast(node: SyntaxNode) -> Option<Self> {
                matches!(node.kind(), $($kind)|+).then_some($name { syntax: node })
            }

            fn syntax(&self) -> &SyntaxNode {
                &self.syntax
            }
        }
    };
}

ast_node!(
    /// The whole file.
    SourceFile, SOURCE_FILE
);
ast_node!(
    /// A parser directive line (`# syntax=...`, `# escape=...`, `# check=...`).
    Directive, DIRECTIVE
);
ast_node!(
    /// A `--name=value` flag before the arguments.
    Flag, FLAG
);
ast_node!(
    /// One `key=value` option of a `--mount` flag.
    MountOption, MOUNT_OPTION
);
ast_node!(
    /// An argument word.
    Word, WORD
);
ast_node!(
    /// The stage name after `AS`.
    StageName, STAGE_NAME
);
ast_node!(
    /// `key=value`, `key` (ARG) or the legacy `key value` (ENV, LABEL).
    KeyValue, KEY_VALUE
);
ast_node!(
    /// `$NAME` or `${NAME...}`.
    Variable, VARIABLE
);
ast_node!(
    /// An exec-form JSON array.
    JsonArray, JSON_ARRAY
);
ast_node!(
    /// A shell-form command.
    ShellCommand, SHELL_COMMAND
);
ast_node!(
    /// A heredoc body and its terminator line.
    HeredocBody, HEREDOC
);

/// Any instruction, known or not. Accessors that only make sense for some keywords return
/// `None` (or nothing) for the others.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Instruction {
    pub(crate) syntax: SyntaxNode,
}

impl AstNode for Instruction {
    fn cast(node: SyntaxNode) -> Option<Self> {
        node.kind().is_instruction().then_some(Instruction { syntax: node })
    }

    fn syntax(&self) -> &SyntaxNode {
        &self.syntax
    }
}

/// The text BuildKit sees for a node: its tokens with continuation markers and the lines they
/// skip left out (see [`SyntaxKind::is_joined_away`]).
pub fn logical_text(node: &SyntaxNode) -> String {
    green_text(&node.green())
}

/// [`logical_text`] of a green node. Walking green nodes allocates no cursor nodes.
pub(crate) fn green_text(green: &rowan::GreenNodeData) -> String {
    fn walk(green: &rowan::GreenNodeData, out: &mut String) {
        for child in green.children() {
            match child {
                rowan::NodeOrToken::Node(n) => walk(n, out),
                rowan::NodeOrToken::Token(t) => {
                    if !green_kind(t.kind()).is_joined_away() {
                        out.push_str(t.text());
                    }
                }
            }
        }
    }
    let mut out = String::with_capacity(u32::from(green.text_len()) as usize);
    walk(green, &mut out);
    out
}

pub(crate) fn green_kind(raw: rowan::SyntaxKind) -> SyntaxKind {
    SyntaxKind::from_raw(raw.0).unwrap_or(ERROR)
}

fn children<N: AstNode>(node: &SyntaxNode) -> impl Iterator<Item = N> {
    node.children().filter_map(N::cast)
}

fn child<N: AstNode>(node: &SyntaxNode) -> Option<N> {
    children(node).next()
}

fn tokens(node: &SyntaxNode, kind: SyntaxKind) -> impl Iterator<Item = SyntaxToken> {
    node.children_with_tokens().filter_map(|e| e.into_token()).filter(move |t| t.kind() == kind)
}

/// The concatenated text and covering range of the direct child tokens of one kind (a token
/// split by a line continuation comes back whole). Reads the green node, so no cursor nodes are
/// allocated.
fn joined_tokens(node: &SyntaxNode, kind: SyntaxKind) -> Option<(String, TextRange)> {
    let raw = rowan::SyntaxKind::from(kind);
    let mut text = String::new();
    let mut range: Option<TextRange> = None;
    let mut offset = node.text_range().start();
    for child in node.green().children() {
        let len = child.text_len();
        match child {
            rowan::NodeOrToken::Token(t) if t.kind() == raw => {
                text.push_str(t.text());
                let r = TextRange::at(offset, len);
                range = Some(range.map_or(r, |x| x.cover(r)));
            }
            // The pieces of one token are split only by what joining lines takes away: past
            // them, the token is whole (and an instruction of 4,000 words is not read to its
            // end for its keyword).
            rowan::NodeOrToken::Token(t) if green_kind(t.kind()).is_joined_away() => {}
            _ if range.is_some() => break,
            _ => {}
        }
        offset += len;
    }
    range.map(|r| (text, r))
}

impl SourceFile {
    /// Parser directives, in order.
    pub fn directives(&self) -> impl Iterator<Item = Directive> {
        // They lead the file: the first other node ends them (without walking a large file).
        self.syntax.children().map_while(Directive::cast)
    }

    /// Top-level instructions, in order.
    pub fn instructions(&self) -> impl Iterator<Item = Instruction> {
        children(&self.syntax)
    }

    /// [`SourceFile::instructions`], each with whether a comment line stands between it and
    /// the instruction before it: where that is false, [`Instruction::prev_comments`] is empty
    /// and need not walk back over the file's elements to say so.
    pub fn instructions_with_comment_flags(&self) -> impl Iterator<Item = (Instruction, bool)> {
        let green = self.syntax.green().into_owned();
        let mut nodes = self.syntax.children();
        let mut at = 0;
        std::iter::from_fn(move || {
            let mut comment = false;
            while let Some(child) = green.children().nth(at) {
                at += 1;
                match child {
                    rowan::NodeOrToken::Token(t) => comment |= green_kind(t.kind()) == COMMENT,
                    rowan::NodeOrToken::Node(_) => {
                        if let Some(i) = nodes.next().and_then(Instruction::cast) {
                            return Some((i, comment));
                        }
                    }
                }
            }
            None
        })
    }

    /// The escape character set by `# escape=` (`\` by default).
    pub fn escape_char(&self) -> char {
        self.directives()
            .find(|d| d.name().as_deref() == Some("escape"))
            .and_then(|d| d.value())
            .and_then(|v| match v.as_str() {
                "`" => Some('`'),
                "\\" => Some('\\'),
                _ => None,
            })
            .unwrap_or('\\')
    }
}

impl Directive {
    /// The key, lower-cased (`syntax`, `escape`, `check`).
    pub fn name(&self) -> Option<String> {
        tokens(&self.syntax, DIRECTIVE_NAME).next().map(|t| t.text().to_ascii_lowercase())
    }

    /// The key's range.
    pub fn name_range(&self) -> Option<TextRange> {
        tokens(&self.syntax, DIRECTIVE_NAME).next().map(|t| t.text_range())
    }

    /// The value as written.
    pub fn value(&self) -> Option<String> {
        tokens(&self.syntax, DIRECTIVE_VALUE).next().map(|t| t.text().to_string())
    }

    /// The value's range.
    pub fn value_range(&self) -> Option<TextRange> {
        tokens(&self.syntax, DIRECTIVE_VALUE).next().map(|t| t.text_range())
    }
}

impl Instruction {
    /// The node kind (`FROM_INSTR`, ..., `ERROR` for unknown keywords).
    pub fn kind(&self) -> SyntaxKind {
        self.syntax.kind()
    }

    /// The keyword as written (BuildKit's `node.Value`).
    pub fn keyword(&self) -> Option<String> {
        joined_tokens(&self.syntax, KEYWORD).map(|(t, _)| t)
    }

    /// The keyword's range.
    pub fn keyword_range(&self) -> Option<TextRange> {
        joined_tokens(&self.syntax, KEYWORD).map(|(_, r)| r)
    }

    /// Flags before the arguments, in order (a bare `--` is not one).
    pub fn flags(&self) -> impl Iterator<Item = Flag> {
        children(&self.syntax)
    }

    /// The first flag with this name (without the dashes).
    pub fn flag(&self, name: &str) -> Option<Flag> {
        self.flags().find(|f| f.is(name))
    }

    /// Argument words (FROM, COPY, ADD, VOLUME, EXPOSE, WORKDIR, USER, ...).
    pub fn words(&self) -> impl Iterator<Item = Word> {
        children(&self.syntax)
    }

    /// The exec-form arguments, if written as a JSON array.
    pub fn json(&self) -> Option<JsonArray> {
        child(&self.syntax)
    }

    /// The shell-form command (RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK).
    pub fn shell_command(&self) -> Option<ShellCommand> {
        child(&self.syntax)
    }

    /// Key/value pairs (ARG, ENV, LABEL).
    pub fn key_values(&self) -> impl Iterator<Item = KeyValue> {
        children(&self.syntax)
    }

    /// The instruction an ONBUILD wraps.
    pub fn trigger(&self) -> Option<Instruction> {
        (self.kind() == ONBUILD_INSTR).then(|| child(&self.syntax)).flatten()
    }

    /// FROM: the base image or stage word.
    pub fn from_image(&self) -> Option<Word> {
        (self.kind() == FROM_INSTR).then(|| self.words().next()).flatten()
    }

    /// FROM: the `AS` keyword token.
    pub fn as_keyword(&self) -> Option<SyntaxToken> {
        tokens(&self.syntax, AS_KW).next()
    }

    /// FROM: the stage name after `AS`.
    pub fn stage_name(&self) -> Option<StageName> {
        child(&self.syntax)
    }

    /// Heredoc bodies this instruction reads, in order.
    pub fn heredoc_bodies(&self) -> impl Iterator<Item = HeredocBody> {
        children(&self.syntax)
    }

    /// The heredoc words (`<<EOF`) of this instruction's line, as BuildKit reads them.
    ///
    /// A heredoc word can be several HEREDOC_MARKER tokens: a line continuation inside it
    /// (`<<EO\` then `F`), or blanks inside its quoted name where the instruction splits its
    /// words there (`COPY <<"E F"`). Every heredoc word starts with `<<` (after an fd), so a
    /// piece that does not continues the word before it, with the line's text in between.
    pub fn heredocs(&self) -> Vec<(Heredoc, TextRange)> {
        fn starts_word(text: &str) -> bool {
            text.trim_start_matches(|c: char| c.is_ascii_digit()).starts_with("<<")
        }
        let mut words: Vec<(String, TextRange)> = Vec::new();
        let mut between = String::new();
        for token in self.syntax.descendants_with_tokens().filter_map(|e| e.into_token()) {
            match words.last_mut() {
                _ if token.kind() == HEREDOC_MARKER && starts_word(token.text()) => {
                    words.push((token.text().to_string(), token.text_range()));
                    between.clear();
                }
                Some((word, range)) if token.kind() == HEREDOC_MARKER => {
                    word.push_str(&between);
                    word.push_str(token.text());
                    *range = range.cover(token.text_range());
                    between.clear();
                }
                Some(_) if !token.kind().is_joined_away() => between.push_str(token.text()),
                _ => {}
            }
        }
        words
            .into_iter()
            .filter_map(|(word, range)| heredoc::parse_heredoc(&word).ok().flatten().map(|h| (h, range)))
            .collect()
    }

    /// BuildKit's argument list for the instruction (`node.Next...`): exec-form strings, words,
    /// the shell-form command, or ENV/LABEL `key value sep` triples. An ONBUILD has none here
    /// (see [`Instruction::trigger`]).
    pub fn args(&self) -> Vec<String> {
        self.info().args.into_iter().map(std::borrow::Cow::into_owned).collect()
    }

    /// Whether a whitespace-only line sits inside the instruction's line continuation (BuildKit's
    /// "Empty continuation line" warning).
    pub fn has_empty_continuation(&self) -> bool {
        self.empty_continuation_line().is_some()
    }

    /// The first whitespace-only line inside the instruction's line continuation, if any (read
    /// from the green tree: no cursor nodes).
    pub fn empty_continuation_line(&self) -> Option<TextRange> {
        self.empty_continuation_lines(true).first().copied()
    }

    /// The whitespace-only lines inside the instruction's line continuation, in order (only the
    /// first with `first_only`). Their line breaks follow them.
    pub fn empty_continuation_lines(&self, first_only: bool) -> Vec<TextRange> {
        /// `after_newline`: where the current line started, while it holds only whitespace.
        fn walk(
            green: &rowan::GreenNodeData,
            offset: &mut rowan::TextSize,
            after_newline: &mut Option<rowan::TextSize>,
            found: &mut Vec<TextRange>,
            first_only: bool,
        ) -> std::ops::ControlFlow<()> {
            for child in green.children() {
                match child {
                    // Heredoc bodies follow the whole continued line.
                    rowan::NodeOrToken::Node(n) if green_kind(n.kind()) == HEREDOC => {
                        *after_newline = None;
                        return std::ops::ControlFlow::Break(());
                    }
                    rowan::NodeOrToken::Node(n) => walk(n, offset, after_newline, found, first_only)?,
                    rowan::NodeOrToken::Token(t) => {
                        match green_kind(t.kind()) {
                            NEWLINE => {
                                if let Some(start) = *after_newline {
                                    found.push(TextRange::new(start, *offset));
                                    if first_only {
                                        *after_newline = None;
                                        return std::ops::ControlFlow::Break(());
                                    }
                                }
                                *after_newline = Some(*offset + t.text_len());
                            }
                            CONTINUATION_WHITESPACE if after_newline.is_some() => {}
                            _ => *after_newline = None,
                        }
                        *offset += t.text_len();
                    }
                }
            }
            std::ops::ControlFlow::Continue(())
        }
        let range = self.syntax.text_range();
        let mut offset = range.start();
        let (mut after_newline, mut found) = (None, Vec::new());
        let _ = walk(&self.syntax.green(), &mut offset, &mut after_newline, &mut found, first_only);
        // A blank last line: its line ending (if any) follows the node.
        found.extend(after_newline.map(|s| TextRange::new(s, range.end().max(s))));
        found
    }

    /// BuildKit's `node.Original`: the instruction line with continuations joined (heredoc
    /// bodies excluded). A trailing escape stays (see [`SyntaxKind::is_joined_away`]).
    pub fn original(&self) -> String {
        let mut out = String::new();
        for e in self.syntax.descendants_with_tokens() {
            if let Some(t) = e.into_token() {
                let in_heredoc = t.parent().is_some_and(|p| p.kind() == HEREDOC);
                if !t.kind().is_joined_away() && !in_heredoc {
                    out.push_str(t.text());
                }
            }
        }
        out
    }

    /// Comment lines directly above the instruction, as BuildKit collects them (`PrevComment`):
    /// text after `#`, trimmed; an empty `#` line starts the block over; blank lines do not.
    pub fn prev_comments(&self) -> Vec<String> {
        self.prev_comment_bodies().into_iter().map(|(_, body)| body).collect()
    }

    /// [`Instruction::prev_comments`] with the range each kept text comes from.
    pub fn prev_comment_bodies(&self) -> Vec<(TextRange, String)> {
        let Some(parent) = self.syntax.parent() else { return Vec::new() };
        let green = parent.green();
        // The file-level elements between the previous instruction and this one, walking back
        // (the analysis asks only where `SourceFile::instructions_with_comment_flags` saw a
        // comment line).
        let mut between: Vec<(SyntaxKind, &str, TextSize)> = Vec::new();
        let mut start = self.syntax.text_range().start();
        for child in green.children().rev().skip(green.children().len() - self.syntax.index()) {
            let kind = green_kind(child.kind());
            if kind.is_instruction() {
                break;
            }
            start -= child.text_len();
            between.push((kind, child.as_token().map_or("", |t| t.text()), start));
        }
        between.reverse();
        let mut comments = Vec::new();
        for (i, &(kind, text, start)) in between.iter().enumerate() {
            if kind != COMMENT {
                continue;
            }
            let indented = i > 0 && between[i - 1].0 == WHITESPACE;
            // BuildKit trims `line[1:]` of the raw line: for an indented comment that keeps the `#`.
            let raw = if indented { text } else { &text[1..] };
            let body = raw.trim();
            if body.is_empty() {
                comments.clear();
            } else {
                let offset =
                    TextSize::of(text) - TextSize::of(raw) + TextSize::of(&raw[..raw.len() - raw.trim_start().len()]);
                comments.push((TextRange::at(start + offset, TextSize::of(body)), body.to_string()));
            }
        }
        comments
    }
}

impl Flag {
    /// BuildKit's flag string: the word with quotes and backslashes removed.
    pub fn cooked(&self) -> String {
        let text = logical_text(&self.syntax);
        cook_flag(text.as_bytes()).text
    }

    /// Whether the flag is `--name` (cheap: no unquoting unless the name is quoted).
    pub fn is(&self, name: &str) -> bool {
        match joined_tokens(&self.syntax, FLAG_NAME) {
            Some((raw, _)) if !raw.contains(['\'', '"', '\\']) => raw.strip_prefix("--") == Some(name),
            _ => self.name() == name,
        }
    }

    /// The name without the leading `--`.
    pub fn name(&self) -> String {
        let cooked = self.cooked();
        let name = cooked.split('=').next().unwrap_or("");
        name.strip_prefix("--").unwrap_or(name).to_string()
    }

    /// The value after the first `=`, if there is one.
    pub fn value(&self) -> Option<String> {
        self.cooked().split_once('=').map(|(_, v)| v.to_string())
    }

    /// The range of `--name`.
    pub fn name_range(&self) -> Option<TextRange> {
        joined_tokens(&self.syntax, FLAG_NAME).map(|(_, r)| r)
    }

    /// The value's node.
    pub fn value_node(&self) -> Option<SyntaxNode> {
        self.syntax.children().find(|n| n.kind() == FLAG_VALUE)
    }

    /// The value's range.
    pub fn value_range(&self) -> Option<TextRange> {
        self.value_node().map(|n| n.text_range())
    }

    /// `--mount` options, in order.
    pub fn mount_options(&self) -> impl Iterator<Item = MountOption> {
        self.value_node().into_iter().flat_map(|n| n.children().filter_map(MountOption::cast))
    }

    /// Variables referenced in the value.
    pub fn variables(&self) -> impl Iterator<Item = Variable> {
        self.syntax.descendants().filter_map(Variable::cast)
    }
}

impl MountOption {
    /// The key as written.
    pub fn key(&self) -> String {
        self.syntax.children().find(|n| n.kind() == KEY).map(|n| logical_text(&n)).unwrap_or_default()
    }

    /// The key's range.
    pub fn key_range(&self) -> Option<TextRange> {
        self.syntax.children().find(|n| n.kind() == KEY).map(|n| n.text_range())
    }

    /// The value as written (quotes kept), if the option has `=`.
    pub fn value(&self) -> Option<String> {
        tokens(&self.syntax, EQ).next()?;
        Some(self.syntax.children().find(|n| n.kind() == VALUE).map(|n| logical_text(&n)).unwrap_or_default())
    }

    /// The value's range (empty at the `=` end when the value is empty).
    pub fn value_range(&self) -> Option<TextRange> {
        if let Some(n) = self.syntax.children().find(|n| n.kind() == VALUE) {
            return Some(n.text_range());
        }
        let eq = tokens(&self.syntax, EQ).next()?;
        Some(TextRange::empty(eq.text_range().end()))
    }
}

impl Word {
    /// The word as BuildKit sees it (continuations joined, quotes kept).
    pub fn text(&self) -> String {
        logical_text(&self.syntax)
    }

    /// Variable references in the word.
    pub fn variables(&self) -> impl Iterator<Item = Variable> {
        self.syntax.descendants().filter_map(Variable::cast)
    }
}

impl StageName {
    /// The name as written.
    pub fn text(&self) -> String {
        logical_text(&self.syntax)
    }
}

impl KeyValue {
    /// The key as written.
    pub fn key(&self) -> String {
        self.syntax.children().find(|n| n.kind() == KEY).map(|n| logical_text(&n)).unwrap_or_default()
    }

    /// The key's range.
    pub fn key_range(&self) -> Option<TextRange> {
        self.syntax.children().find(|n| n.kind() == KEY).map(|n| n.text_range())
    }

    /// Whether the pair uses `=` (false for ARG without a default and for legacy `ENV k v`).
    pub fn has_eq(&self) -> bool {
        tokens(&self.syntax, EQ).next().is_some()
    }

    /// The value as written (quotes kept); `None` when there is none.
    pub fn value(&self) -> Option<String> {
        match self.syntax.children().find(|n| n.kind() == VALUE) {
            Some(n) => Some(logical_text(&n)),
            None => self.has_eq().then(String::new),
        }
    }

    /// The value's range.
    pub fn value_range(&self) -> Option<TextRange> {
        self.syntax.children().find(|n| n.kind() == VALUE).map(|n| n.text_range())
    }

    /// The whole pair as BuildKit sees it (ARG keeps words whole).
    pub fn text(&self) -> String {
        logical_text(&self.syntax)
    }
}

impl Variable {
    /// The variable's name.
    pub fn name(&self) -> Option<String> {
        joined_tokens(&self.syntax, VAR_NAME).map(|(t, _)| t)
    }

    /// The name's range.
    pub fn name_range(&self) -> Option<TextRange> {
        joined_tokens(&self.syntax, VAR_NAME).map(|(_, r)| r)
    }

    /// Whether it is written `${...}`.
    pub fn is_braced(&self) -> bool {
        tokens(&self.syntax, L_CURLY).next().is_some()
    }

    /// The modifier operator (`:-`, `+`, `#`, ...), if any.
    pub fn operator(&self) -> Option<String> {
        tokens(&self.syntax, VAR_OP).next().map(|t| t.text().to_string())
    }
}

impl JsonArray {
    /// The decoded strings (empty when an element is not a string).
    pub fn strings(&self) -> Vec<String> {
        match json::parse_array(&logical_text(&self.syntax)) {
            ParsedJson::Strings { values, .. } => values,
            _ => Vec::new(),
        }
    }

    /// Each string element with its source range (a string split by a continuation is one element).
    pub fn elements(&self) -> Vec<TextRange> {
        let mut out: Vec<TextRange> = Vec::new();
        let mut last_was_string = false;
        for e in self.syntax.children_with_tokens() {
            match e.kind() {
                JSON_STRING | JSON_OTHER => {
                    let r = e.text_range();
                    match out.last_mut() {
                        Some(prev) if last_was_string => *prev = prev.cover(r),
                        _ => out.push(r),
                    }
                    last_was_string = true;
                }
                k if k.is_joined_away() => {}
                _ => last_was_string = false,
            }
        }
        out
    }
}

impl ShellCommand {
    /// The command as BuildKit passes it to the shell (continuations joined).
    pub fn text(&self) -> String {
        logical_text(&self.syntax)
    }
}

impl HeredocBody {
    /// The body, as written, including its line endings.
    pub fn content(&self) -> String {
        tokens(&self.syntax, HEREDOC_CONTENT).map(|t| t.text().to_string()).collect()
    }

    /// The terminator line, if the heredoc is terminated.
    pub fn terminator(&self) -> Option<SyntaxToken> {
        tokens(&self.syntax, HEREDOC_END).next()
    }

    /// Whether its terminator line is `name` (after the tabs a `<<-` heredoc strips): the body
    /// BuildKit's COPY and ADD read for a heredoc word of that name, when it is the last such.
    pub fn is_named(&self, name: &str) -> bool {
        self.terminator().is_some_and(|t| t.text() == name || t.text().trim_start_matches('\t') == name)
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::AstNode;
    use crate::parse;

    #[test]
    fn directives_lead_the_file() {
        let file = parse("\u{feff}# syntax=docker/dockerfile:1\n# Escape=`\nFROM a\n# escape=\\\nRUN b\n").tree();
        let names: Vec<_> = file.directives().filter_map(|d| d.name()).collect();
        assert_eq!(names, ["syntax", "escape"]);
        assert_eq!(file.escape_char(), '`');
        // After the first instruction a directive is a comment.
        let file = parse("FROM a\n# escape=`\nRUN b\n").tree();
        assert_eq!(file.directives().count(), 0);
        assert_eq!(file.escape_char(), '\\');
        // A comment that is no directive ends them too, and so does a blank line.
        for text in ["# just a comment\n# escape=`\nFROM a\n", "# syntax=x\n\n# escape=`\nFROM a\n"] {
            assert_eq!(parse(text).tree().escape_char(), '\\', "{text:?}");
        }
    }

    /// A heredoc word split by a line continuation, or by the blank in a quoted name where
    /// COPY splits its words, is one heredoc (as BuildKit reads the joined line).
    #[test]
    fn a_heredoc_word_in_pieces_is_one_heredoc() {
        for (text, names) in [
            ("FROM a\nRUN cat <<EO\\\nF\nhello\nEOF\n", vec!["EOF"]),
            ("FROM a\nCOPY <<\"E F\" <<X /d\nhello\nE F\nb\nX\n", vec!["E F", "X"]),
            ("FROM a\nRUN cat <<A <<-B\na\nA\nb\n\tB\n", vec!["A", "B"]),
        ] {
            let i = parse(text).tree().instructions().nth(1).expect("the second instruction");
            let found: Vec<String> = i.heredocs().into_iter().map(|(h, _)| h.name).collect();
            assert_eq!(found, names, "{text:?}");
        }
        let i = parse("FROM a\nRUN cat <<EO\\\nF\nhello\nEOF\n").tree().instructions().nth(1).expect("RUN");
        let (_, range) = i.heredocs().remove(0);
        assert_eq!(&"FROM a\nRUN cat <<EO\\\nF\nhello\nEOF\n"[range], "<<EO\\\nF");
    }

    /// A line with a lone escape character starts the instruction that the next line holds, and
    /// that line's leading blanks are part of it (BuildKit trims only an instruction's first
    /// line): the instruction, its `Original` and its first line start at the escape.
    #[test]
    fn a_lone_escape_line_starts_the_instruction() {
        for (text, original) in [("FROM a\n\\ \n  \tRUN y\n", "  \tRUN y"), ("FROM a\n\\\nRUN x\n", "RUN x")] {
            let run = parse(text).tree().instructions().nth(1).expect("the RUN");
            assert_eq!(run.original(), original, "{text:?}");
            assert_eq!(usize::from(run.syntax().text_range().start()), "FROM a\n".len(), "{text:?}");
            assert_eq!(run.keyword().as_deref(), Some("RUN"));
        }
    }

    /// A last line `\ \` is a continuation (the regex takes the second escape) that leaves
    /// `\ ` at the end of the joined line: BuildKit keeps it in `Original` and drops the escape
    /// from the arguments only (BuildKit v0.12.5's parser, through PyPI's `dockerfile`, agrees).
    #[test]
    fn a_trailing_escape_stays_in_the_original() {
        for (text, original, args) in [
            ("FROM a\nARG x \\ \\", "ARG x \\ ", vec!["x"]),
            ("FROM a\nENV x=1 \\ \\\n\n# c\n", "ENV x=1 \\ ", vec!["x", "1", "="]),
            ("# escape=`\nFROM a\nARG\tAS ` \nb1`\n` `", "ARG\tAS b1` ", vec!["AS", "b1"]),
        ] {
            let last = parse(text).tree().instructions().last().expect("an instruction");
            assert_eq!(
                (last.original(), last.args()),
                (original.to_string(), args.iter().map(|a| a.to_string()).collect()),
                "{text:?}"
            );
        }
    }
}
