//! A lossless syntax tree for Dockerfiles that follows BuildKit's grammar.
//!
//! [`parse`] never fails: it returns a tree holding every byte of the input plus the errors
//! BuildKit's parser would report. The tree knows nothing of stages; see `stagecraft-analysis`.
//!
//! ```
//! let parse = stagecraft_syntax::parse("FROM alpine AS base\nRUN echo hi\n");
//! assert!(parse.errors().is_empty());
//! assert_eq!(parse.syntax_node().to_string(), "FROM alpine AS base\nRUN echo hi\n");
//! let stage = parse.tree().instructions().next().unwrap();
//! assert_eq!(stage.keyword().as_deref(), Some("FROM"));
//! ```

pub mod ast;
pub mod directives;
pub mod dump;
pub mod go;
mod green;
pub mod hash;
pub mod heredoc;
pub mod info;
mod json;
mod kind;
mod line_index;
mod parser;
pub mod shell;
pub use stagecraft_sort as sort;
mod unicode_tables;

pub use kind::{Dockerfile, SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken, KEYWORDS};
pub use line_index::{LineCol, LineIndex, WideEncoding};
pub use rowan::{GreenNode, TextRange, TextSize, TokenAtOffset};

/// Whether BuildKit reads `line` (without its line ending) as a comment line: `#` after any
/// Unicode space (`trimLeadingWhitespace`, then `isComment`), `\v` and NBSP too.
pub fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Whether BuildKit reads `args` (an instruction's arguments, left-trimmed) as the exec form: a
/// JSON array of strings, as Go's `encoding/json` accepts it.
pub fn is_exec_form(args: &str) -> bool {
    matches!(json::parse_array(args), json::JsonArray::Strings { .. })
}

/// Whether BuildKit's `parseWords` reads `text` as one word (no blank outside quotes), with
/// the escape character `escape`.
pub fn is_one_word(text: &str, escape: u8) -> bool {
    let (words, _) = parser::instruction::parse_words(text, 0, text.len(), escape);
    matches!(words[..], [(0, end)] if end == text.len())
}

/// A parsed file: the green tree (cheap to clone and `Send`) and the syntax errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parse {
    green: GreenNode,
    errors: Vec<SyntaxError>,
}

impl Parse {
    /// The immutable, thread-safe green tree.
    pub fn green(&self) -> &GreenNode {
        &self.green
    }

    /// The root of a traversable tree.
    pub fn syntax_node(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }

    /// The root as a typed node.
    pub fn tree(&self) -> ast::SourceFile {
        ast::SourceFile { syntax: self.syntax_node() }
    }

    /// Errors that make BuildKit's parser reject the file, in source order.
    pub fn errors(&self) -> &[SyntaxError] {
        &self.errors
    }
}

/// A syntax error: where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    range: TextRange,
    message: String,
    kind: SyntaxErrorKind,
}

/// What a [`SyntaxError`] is about, where that decides more than its message: the lines
/// BuildKit names for it, and whether an incremental reparse can keep or redo it locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// An error about the lines it covers.
    Local,
    /// The file has no instructions (BuildKit names its last line).
    NoInstructions,
    /// The first line longer than BuildKit's scanner reads (65,535 bytes): BuildKit names
    /// the line before, the last it read, whichever message it gives.
    LineTooLong,
}

impl SyntaxError {
    pub(crate) fn new(range: TextRange, message: impl Into<String>) -> SyntaxError {
        SyntaxError { range, message: message.into(), kind: SyntaxErrorKind::Local }
    }

    pub(crate) fn with_kind(range: TextRange, message: impl Into<String>, kind: SyntaxErrorKind) -> SyntaxError {
        SyntaxError { kind, ..SyntaxError::new(range, message) }
    }

    /// What the error is about.
    pub fn kind(&self) -> SyntaxErrorKind {
        self.kind
    }

    /// Depends on more of the file than the lines it is about (the first over-long line, a
    /// file with no instructions): an incremental reparse cannot keep or redo it locally.
    pub(crate) fn is_whole_file(&self) -> bool {
        self.kind != SyntaxErrorKind::Local
    }

    /// The source range the error is about.
    pub fn range(&self) -> TextRange {
        self.range
    }

    /// The message, written for a person.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses a Dockerfile. Never fails and never loses text: `parse(t).syntax_node().to_string() == t`.
pub fn parse(text: &str) -> Parse {
    #[cfg(not(target_arch = "wasm32"))]
    if text.len() >= PARALLEL_MIN {
        if let Some(at) = split_point(text) {
            return parse_on_two_threads(text, at);
        }
    }
    let (green, mut errors) = parser::parse(text);
    sort::sort_by_key(&mut errors, |e| e.range.start());
    Parse { green, errors }
}

/// Texts from this size on are parsed in two halves at once (see [`parse`]).
pub const PARALLEL_MIN: usize = 64 * 1024;

/// Where to cut a text for a parse in two halves: a line start near the middle, after a line
/// that does not end in an escape character. `None` when there is no such line.
#[cfg(not(target_arch = "wasm32"))]
fn split_point(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut at = text.len() / 2;
    for _ in 0..64 {
        let nl = at + b[at..].iter().position(|&c| c == b'\n')?;
        let line_start = b[..nl].iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
        let line = &b[line_start..nl];
        let trimmed = line.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(&line[..0], |i| &line[..=i]);
        at = nl + 1;
        if at < b.len() && !matches!(trimmed.last(), Some(b'\\' | b'`')) {
            return Some(at);
        }
    }
    None
}

/// [`parse`] with the lines from `at` (a line start) on parsed on a second thread. The result
/// is the same as a parse on one thread, at any `at`.
#[doc(hidden)]
#[cfg(not(target_arch = "wasm32"))]
pub fn parse_on_two_threads(text: &str, at: usize) -> Parse {
    // The tail must start a line.
    let at = match at {
        0 => 0,
        _ if at >= text.len() => text.len(),
        _ => text.as_bytes()[at - 1..].iter().position(|&c| c == b'\n').map_or(text.len(), |i| at + i),
    };
    let (green, mut errors) = std::thread::scope(|scope| {
        parser::split::parse_split(text, at, |escape| {
            let tail = move || parser::split::parse_tail(text, at, escape);
            // Where no thread can be started, this one parses the tail after the head.
            let handle = std::thread::Builder::new().spawn_scoped(scope, tail).ok();
            move || match handle {
                Some(handle) => handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                None => tail(),
            }
        })
    });
    sort::sort_by_key(&mut errors, |e| e.range.start());
    Parse { green, errors }
}

impl Parse {
    /// The parse of `text`, which is this parse's text with `deleted` (a range of the old text)
    /// replaced by `inserted` bytes. Only the lines the edit can have changed are parsed again;
    /// the rest of the tree is shared. The result always equals `parse(text)`: where the edit
    /// reaches the parser directives or the first instruction, or touches a whole-file error,
    /// or does not fit this parse, the whole text is parsed.
    ///
    /// ```
    /// let old = "FROM a AS b\nRUN x\nRUN y\n";
    /// let new = "FROM a AS b\nRUN x \\\n  z\nRUN y\n";
    /// let at = stagecraft_syntax::TextSize::new(17);
    /// let p = stagecraft_syntax::parse(old).reparse(new, stagecraft_syntax::TextRange::empty(at), 5.into());
    /// assert_eq!(p, stagecraft_syntax::parse(new));
    /// ```
    pub fn reparse(&self, text: &str, deleted: TextRange, inserted: TextSize) -> Parse {
        match parser::reparse(&self.green, &self.errors, text, deleted, inserted) {
            Some((green, errors)) => Parse { green, errors },
            None => parse(text),
        }
    }
}
