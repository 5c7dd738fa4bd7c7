//! The one place where offsets become LSP positions and back, in the negotiated encoding.

use stagecraft_analysis::{Analysis, TextRange, TextSize};
use stagecraft_syntax::{LineCol, LineIndex, WideEncoding};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::lsp_types::{Position, PositionEncodingKind, Range};

/// How columns are counted for this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Encoding(pub(crate) WideEncoding);

impl Encoding {
    /// UTF-8 when the client offers it (no conversion), else UTF-16 (the LSP default).
    pub(crate) fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding(WideEncoding::Utf8),
            _ => Encoding(WideEncoding::Utf16),
        }
    }

    pub(crate) fn kind(self) -> PositionEncodingKind {
        match self.0 {
            WideEncoding::Utf8 => PositionEncodingKind::UTF8,
            WideEncoding::Utf16 => PositionEncodingKind::UTF16,
            WideEncoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    pub(crate) fn position(self, index: &LineIndex, offset: TextSize) -> Position {
        let lc = index.to_wide(offset, self.0);
        Position { line: lc.line, character: lc.col }
    }

    pub(crate) fn range(self, index: &LineIndex, range: TextRange) -> Range {
        Range { start: self.position(index, range.start()), end: self.position(index, range.end()) }
    }

    /// The offset of a position; a line past the end is an error, a column past the end of its
    /// line means the end of the line (as the protocol says).
    pub(crate) fn offset(self, index: &LineIndex, text: &str, p: Position) -> Result<TextSize> {
        let lines = index.line_count();
        if p.line >= lines {
            return Err(Error::invalid_params(format!(
                "position {}:{} is past the end of the document ({lines} line{})",
                p.line,
                p.character,
                if lines == 1 { "" } else { "s" }
            )));
        }
        Ok(index.offset(LineCol { line: p.line, col: p.character }, self.0, text))
    }

    /// A range to offsets (start and end each as in [`Encoding::offset`]), except that an end
    /// at the start of the line after the last is the end of the text: the protocol's way to
    /// take in a line with its line break, which clients use for "the whole document" (Neovim's
    /// inlay hints ask up to line `line_count`, 0) also when the last line has no break.
    pub(crate) fn text_range(self, index: &LineIndex, text: &str, r: Range) -> Result<TextRange> {
        let start = self.offset(index, text, r.start)?;
        let end = if r.end.line == index.line_count() && r.end.character == 0 {
            TextSize::of(text)
        } else {
            self.offset(index, text, r.end)?
        };
        if end < start {
            return Err(Error::invalid_params(format!(
                "range end {}:{} is before its start {}:{}",
                r.end.line, r.end.character, r.start.line, r.start.character
            )));
        }
        Ok(TextRange::new(start, end))
    }

    /// Shorthand for a range in an analysed document.
    pub(crate) fn lsp_range(self, a: &Analysis, r: TextRange) -> Range {
        self.range(a.line_index(), r)
    }
}

/// An offset as editors count offsets into a document (`TextDocument.offsetAt` in VS Code,
/// JavaScript string indices): UTF-16 code units from the start, whatever the negotiated
/// encoding of positions.
pub(crate) fn document_offset(index: &LineIndex, offset: TextSize) -> u32 {
    index.utf16_offset(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_crlf() {
        let text = "FROM a\r\nRUN 😀 é x\n";
        let index = LineIndex::new(text);
        let enc = Encoding(WideEncoding::Utf16);
        let x = TextSize::new(text.find('x').unwrap() as u32);
        assert_eq!(enc.position(&index, x), Position { line: 1, character: 9 });
        assert_eq!(enc.offset(&index, text, Position { line: 1, character: 9 }).unwrap(), x);
        assert!(enc.offset(&index, text, Position { line: 7, character: 0 }).is_err());
        // A range may end at the start of the line after the last, also where the last line
        // has no line break; not further.
        for text in ["FROM a\nRUN b", "FROM a\nRUN b\n"] {
            let index = LineIndex::new(text);
            let at = |line, character| Position { line, character };
            let whole = Range { start: at(0, 0), end: at(index.line_count(), 0) };
            assert_eq!(enc.text_range(&index, text, whole).unwrap(), TextRange::up_to(TextSize::of(text)), "{text:?}");
            let past = Range { start: at(0, 0), end: at(index.line_count(), 1) };
            assert!(enc.text_range(&index, text, past).is_err());
            let past = Range { start: at(0, 0), end: at(index.line_count() + 1, 0) };
            assert!(enc.text_range(&index, text, past).is_err());
        }
        let utf8 = Encoding(WideEncoding::Utf8);
        assert_eq!(utf8.position(&index, x), Position { line: 1, character: 12 });
    }
}
