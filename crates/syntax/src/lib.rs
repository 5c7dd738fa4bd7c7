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
pub mod heredoc;
pub mod info;
mod json;
mod kind;
mod line_index;
mod parser;
pub mod shell;
mod unicode_tables;

pub use kind::{Dockerfile, SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken, KEYWORDS};
pub use line_index::{LineCol, LineIndex, WideEncoding};
pub use rowan::{GreenNode, TextRange, TextSize};

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
}

impl SyntaxError {
    pub(crate) fn new(range: TextRange, message: impl Into<String>) -> SyntaxError {
        SyntaxError { range, message: message.into() }
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
    let (green, mut errors) = parser::parse(text);
    errors.sort_by_key(|e| e.range.start());
    Parse { green, errors }
}
