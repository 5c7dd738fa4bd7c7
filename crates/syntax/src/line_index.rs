//! Offsets to line/column and back, in UTF-8, UTF-16 or UTF-32 columns.

use rowan::{TextRange, TextSize};

/// A zero-based line and a column in UTF-8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    /// Zero-based line.
    pub line: u32,
    /// Zero-based column, in the encoding it was produced for.
    pub col: u32,
}

/// How columns are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WideEncoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units (the LSP default).
    Utf16,
    /// Code points.
    Utf32,
}

/// Line starts of a text. Lines end at `\n`, `\r\n` or a lone `\r` (as editors count them);
/// [`LineIndex::buildkit_line`] counts only `\n`, as BuildKit does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    len: TextSize,
    /// Offset of the first byte of every line after the first.
    starts: Vec<TextSize>,
    /// Offsets of `\n` bytes, only kept when the text has a lone `\r` (else equal to line ends).
    lf_only: Option<Vec<TextSize>>,
    /// Non-ASCII characters: (offset, UTF-8 length); sorted.
    wide: Vec<(TextSize, u8)>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        let b = text.as_bytes();
        let mut starts = Vec::new();
        let mut lone_cr = false;
        let mut wide = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'\n' {
                starts.push(TextSize::new(i as u32 + 1));
            } else if c == b'\r' {
                if b.get(i + 1) != Some(&b'\n') {
                    lone_cr = true;
                    starts.push(TextSize::new(i as u32 + 1));
                }
            } else if c >= 0x80 {
                let len = match c {
                    0xF0..=0xFF => 4,
                    0xE0..=0xEF => 3,
                    _ => 2,
                };
                wide.push((TextSize::new(i as u32), len));
                i += len as usize;
                continue;
            }
            i += 1;
        }
        let lf_only = lone_cr.then(|| {
            b.iter().enumerate().filter(|(_, &c)| c == b'\n').map(|(i, _)| TextSize::new(i as u32 + 1)).collect()
        });
        LineIndex { len: TextSize::of(text), starts, lf_only, wide }
    }

    /// The length of the indexed text.
    pub fn len(&self) -> TextSize {
        self.len
    }

    /// Whether the indexed text is empty.
    pub fn is_empty(&self) -> bool {
        self.len == TextSize::new(0)
    }

    /// Number of lines (a final line without a terminator counts; an empty text has one).
    pub fn line_count(&self) -> u32 {
        self.starts.len() as u32 + 1
    }

    /// The offset where `line` starts, if it exists.
    pub fn line_start(&self, line: u32) -> Option<TextSize> {
        match line {
            0 => Some(TextSize::new(0)),
            n => self.starts.get(n as usize - 1).copied(),
        }
    }

    /// The range of `line` without its terminator.
    pub fn line_range(&self, line: u32, text: &str) -> Option<TextRange> {
        let start = self.line_start(line)?;
        let mut end = self.line_start(line + 1).unwrap_or(self.len);
        let b = text.as_bytes();
        while end > start && matches!(b[u32::from(end) as usize - 1], b'\n' | b'\r') {
            end -= TextSize::new(1);
        }
        Some(TextRange::new(start, end))
    }

    /// Line and UTF-8 column of an offset (clamped to the text).
    pub fn line_col(&self, offset: TextSize) -> LineCol {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.line_start(line as u32).unwrap_or_default();
        LineCol { line: line as u32, col: u32::from(offset - start) }
    }

    /// Line and column of an offset in the given encoding.
    pub fn to_wide(&self, offset: TextSize, enc: WideEncoding) -> LineCol {
        let lc = self.line_col(offset);
        if enc == WideEncoding::Utf8 {
            return lc;
        }
        let start = self.line_start(lc.line).unwrap_or_default();
        let end = offset.min(self.len);
        let mut col = lc.col;
        for &(at, len) in self.wide_in(start, end) {
            let _ = at;
            let units = match (enc, len) {
                (WideEncoding::Utf16, 4) => 2,
                _ => 1,
            };
            col = col - u32::from(len) + units;
        }
        LineCol { line: lc.line, col }
    }

    /// The offset of a line and column in the given encoding. A column past the end of the
    /// line clamps to the line end; a line past the end clamps to the text end; a column inside
    /// a character moves to its end.
    pub fn offset(&self, pos: LineCol, enc: WideEncoding, text: &str) -> TextSize {
        let Some(range) = self.line_range(pos.line, text) else {
            return self.len;
        };
        let mut remaining = pos.col;
        let mut offset = range.start();
        for c in text[range].chars() {
            if remaining == 0 {
                break;
            }
            let units = match enc {
                WideEncoding::Utf8 => c.len_utf8() as u32,
                WideEncoding::Utf16 => c.len_utf16() as u32,
                WideEncoding::Utf32 => 1,
            };
            remaining = remaining.saturating_sub(units);
            offset += TextSize::of(c);
        }
        offset
    }

    /// BuildKit's 1-based line of an offset (counting `\n` only).
    pub fn buildkit_line(&self, offset: TextSize) -> u32 {
        let offset = offset.min(self.len);
        match &self.lf_only {
            None => self.starts.partition_point(|&s| s <= offset) as u32 + 1,
            Some(lf) => lf.partition_point(|&s| s <= offset) as u32 + 1,
        }
    }

    fn wide_in(&self, start: TextSize, end: TextSize) -> &[(TextSize, u8)] {
        let a = self.wide.partition_point(|&(at, _)| at < start);
        let b = self.wide.partition_point(|&(at, _)| at < end);
        &self.wide[a..b]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_wide_characters() {
        let text = "FROM a\r\nRUN é😀x\rCMD\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        let x = TextSize::new(text.find('x').unwrap() as u32);
        assert_eq!(idx.line_col(x), LineCol { line: 1, col: 10 });
        assert_eq!(idx.to_wide(x, WideEncoding::Utf16), LineCol { line: 1, col: 7 });
        assert_eq!(idx.to_wide(x, WideEncoding::Utf32), LineCol { line: 1, col: 6 });
        assert_eq!(idx.offset(LineCol { line: 1, col: 7 }, WideEncoding::Utf16, text), x);
        assert_eq!(idx.offset(LineCol { line: 1, col: 99 }, WideEncoding::Utf16, text), x + TextSize::new(1));
        assert_eq!(idx.offset(LineCol { line: 9, col: 0 }, WideEncoding::Utf16, text), idx.len());
        // The lone \r starts a line for editors, not for BuildKit.
        let cmd = TextSize::new(text.find("CMD").unwrap() as u32);
        assert_eq!(idx.line_col(cmd).line, 2);
        assert_eq!(idx.buildkit_line(cmd), 2);
        assert_eq!(idx.buildkit_line(idx.len()), 3);
    }
}
