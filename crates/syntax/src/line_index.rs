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
    /// For each of `wide`: how many more UTF-8 bytes than UTF-16 code units the text has up to
    /// and including that character.
    wide_shrink: Vec<u32>,
}

/// UTF-16 code units of a character that takes `len8` bytes in UTF-8.
fn utf16_units(len8: u8) -> u32 {
    if len8 == 4 {
        2
    } else {
        1
    }
}

/// Marks (high bit) the bytes of `w` that are `\n`, `\r` or not ASCII. The usual zero-byte test:
/// a byte after a marked one may be marked wrongly, the lowest marked byte is always right.
fn break_or_wide(w: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    zero(w ^ (LO * u64::from(b'\n'))) | zero(w ^ (LO * u64::from(b'\r'))) | (w & HI)
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
            // Eight bytes at a time past plain ASCII without line breaks (most of any file).
            if let Some(chunk) = b.get(i..i + 8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                match break_or_wide(u64::from_le_bytes(word)) {
                    0 => {
                        i += 8;
                        continue;
                    }
                    // The lowest marked byte is exact: skip to it.
                    m => i += (m.trailing_zeros() / 8) as usize,
                }
            }
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
        let mut shrink = 0;
        let wide_shrink = wide
            .iter()
            .map(|&(_, len)| {
                shrink += u32::from(len) - utf16_units(len);
                shrink
            })
            .collect();
        LineIndex { len: TextSize::of(text), starts, lf_only, wide, wide_shrink }
    }

    /// The offset in UTF-16 code units from the start of the text (as JavaScript strings and
    /// editors' document offsets count), of an offset clamped to the text; inside a character,
    /// of the character's start.
    pub fn utf16_offset(&self, offset: TextSize) -> u32 {
        let offset = offset.min(self.len);
        let k = self.wide.partition_point(|&(at, _)| at < offset);
        let Some(i) = k.checked_sub(1) else { return u32::from(offset) };
        let (at, len) = self.wide[i];
        let before = if i == 0 { 0 } else { self.wide_shrink[i - 1] };
        if offset < at + TextSize::from(u32::from(len)) {
            // Inside character i.
            return u32::from(at) - before;
        }
        u32::from(offset) - self.wide_shrink[i]
    }

    /// The offset of a UTF-16 offset from the start of the text; `None` past the end. Inside a
    /// surrogate pair: the character's start.
    pub fn utf16_to_offset(&self, units: u32) -> Option<TextSize> {
        // The first wide character that starts at or after `units` in UTF-16.
        let starts16 = |i: usize| u32::from(self.wide[i].0) - if i == 0 { 0 } else { self.wide_shrink[i - 1] };
        let (mut lo, mut hi) = (0, self.wide.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if starts16(mid) < units {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let offset = match lo.checked_sub(1) {
            None => units,
            Some(i) => {
                let (at, len) = self.wide[i];
                if units < starts16(i) + utf16_units(len) {
                    u32::from(at)
                } else {
                    units + self.wide_shrink[i]
                }
            }
        };
        (offset <= u32::from(self.len)).then(|| TextSize::new(offset))
    }

    /// The length of the text in UTF-16 code units.
    pub fn utf16_len(&self) -> u32 {
        self.utf16_offset(self.len)
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
        for &(_, len) in self.wide_in(start, end) {
            let units = if enc == WideEncoding::Utf16 { utf16_units(len) } else { 1 };
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

    /// BuildKit's 1-based first and last line of a node's `range` in `text` (the text this index
    /// is of): a node that ends right after a line ending ends on the next line (an empty last
    /// line of a continuation), otherwise on the line of its last byte; an empty range is one
    /// line.
    pub fn buildkit_lines(&self, range: TextRange, text: &str) -> (u32, u32) {
        let start = self.buildkit_line(range.start());
        let end = if range.is_empty() {
            start
        } else if text.as_bytes().get(usize::from(range.end()) - 1) == Some(&b'\n') {
            self.buildkit_line(range.end())
        } else {
            self.buildkit_line(range.end() - TextSize::new(1))
        };
        (start, end)
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
    fn utf16_offsets_round_trip_at_every_boundary() {
        for text in ["", "abc", "é", "a😀b", "日本語\nx", "😀😀", "aé😀\r\nz", "€😀é😀"] {
            let index = LineIndex::new(text);
            assert_eq!(index.utf16_len() as usize, text.encode_utf16().count(), "{text}");
            for (i, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                let u16 = text[..i].encode_utf16().count() as u32;
                assert_eq!(index.utf16_offset(TextSize::new(i as u32)), u16, "{text} @{i}");
                assert_eq!(index.utf16_to_offset(u16), Some(TextSize::new(i as u32)), "{text} @{i}");
            }
            assert_eq!(index.utf16_to_offset(index.utf16_len() + 1), None);
            assert_eq!(index.utf16_offset(TextSize::of(text) + TextSize::new(5)), index.utf16_len(), "clamped");
        }
        // Inside a character: its start, both ways.
        let index = LineIndex::new("a😀b");
        assert_eq!(index.utf16_to_offset(2), Some(TextSize::new(1)));
        assert_eq!(index.utf16_offset(TextSize::new(3)), 1);
        let index = LineIndex::new("xé");
        assert_eq!(index.utf16_offset(TextSize::new(2)), 1);
    }

    #[test]
    fn buildkit_line_spans() {
        let text = "FROM a\nRUN b \\\n  c\nRUN d \\\n\nEOF";
        let index = LineIndex::new(text);
        let span =
            |a: usize, b: usize| index.buildkit_lines(TextRange::new((a as u32).into(), (b as u32).into()), text);
        assert_eq!(span(0, 6), (1, 1));
        // A range that ends after a line ending ends on the next line; an empty one is one line.
        assert_eq!(span(7, 18), (2, 3));
        assert_eq!(span(19, 27), (4, 5));
        assert_eq!(span(19, 19), (4, 4));
    }

    /// The index read eight bytes at a time equals one read byte by byte, with breaks and wide
    /// characters at every position of a chunk.
    #[test]
    fn the_word_scan_equals_a_byte_scan() {
        fn by_bytes(text: &str) -> (Vec<TextSize>, bool, Vec<(TextSize, u8)>) {
            let (mut starts, mut lone_cr, mut wide) = (Vec::new(), false, Vec::new());
            for (i, c) in text.char_indices() {
                let next = text.as_bytes().get(i + 1);
                if c == '\n' || (c == '\r' && next != Some(&b'\n')) {
                    starts.push(TextSize::new(i as u32 + 1));
                    lone_cr |= c == '\r';
                } else if c.len_utf8() > 1 {
                    wide.push((TextSize::new(i as u32), c.len_utf8() as u8));
                }
            }
            (starts, lone_cr, wide)
        }
        let pieces = ["a", "\n", "\r", "\r\n", "é", "😀", "€", "        ", "\t", "#"];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..4000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..(seed % 40) {
                text.push_str(pieces[((seed >> (k % 50)) as usize + k as usize) % pieces.len()]);
            }
            let index = LineIndex::new(&text);
            let (starts, lone_cr, wide) = by_bytes(&text);
            assert_eq!((&index.starts, index.lf_only.is_some(), &index.wide), (&starts, lone_cr, &wide), "{text:?}");
        }
    }

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
