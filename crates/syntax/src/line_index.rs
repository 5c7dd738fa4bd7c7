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

impl WideEncoding {
    /// The units `c` takes in this encoding.
    pub fn units(self, c: char) -> u32 {
        units(c.len_utf8() as u8, self)
    }
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
    /// Which of `wide` take four bytes (two UTF-16 code units, one code point), by index; sorted.
    /// With `wide_shrink`, what a column in code points saves (most texts have none).
    astral: Vec<u32>,
}

/// Units of a character that takes `len8` bytes in UTF-8, in `enc`.
fn units(len8: u8, enc: WideEncoding) -> u32 {
    match enc {
        WideEncoding::Utf8 => u32::from(len8),
        WideEncoding::Utf16 => utf16_units(len8),
        WideEncoding::Utf32 => 1,
    }
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
        let mut astral = Vec::new();
        let wide_shrink = wide
            .iter()
            .enumerate()
            .map(|(i, &(_, len))| {
                if len == 4 {
                    astral.push(i as u32);
                }
                shrink += u32::from(len) - utf16_units(len);
                shrink
            })
            .collect();
        LineIndex { len: TextSize::of(text), starts, lf_only, wide, wide_shrink, astral }
    }

    /// The offset in UTF-16 code units from the start of the text (as JavaScript strings and
    /// editors' document offsets count), of an offset clamped to the text; inside a character,
    /// of the character's start.
    pub fn utf16_offset(&self, offset: TextSize) -> u32 {
        self.wide_offset_by(offset, |n| n.checked_sub(1).map_or(0, |last| self.wide_shrink[last]))
    }

    /// The offset counted in `enc` from the start of the text, of an offset clamped to the text;
    /// inside a character, of the character's start. A binary search, not a walk: a line may be
    /// a megabyte long.
    fn wide_offset(&self, offset: TextSize, enc: WideEncoding) -> u32 {
        self.wide_offset_by(offset, |n| self.saved(n, enc))
    }

    /// [`LineIndex::wide_offset`], `saved(n)` being [`LineIndex::saved`] in its encoding (the
    /// browser build has only UTF-16's).
    fn wide_offset_by(&self, offset: TextSize, saved: impl Fn(usize) -> u32) -> u32 {
        let offset = offset.min(self.len);
        let k = self.wide.partition_point(|&(at, _)| at < offset);
        let Some(i) = k.checked_sub(1) else { return u32::from(offset) };
        let (at, len) = self.wide[i];
        if offset < at + TextSize::from(u32::from(len)) {
            // Inside character i.
            return u32::from(at) - saved(i);
        }
        u32::from(offset) - saved(k)
    }

    /// How many fewer units than UTF-8 bytes the first `n` wide characters take in `enc`.
    fn saved(&self, n: usize, enc: WideEncoding) -> u32 {
        let Some(last) = n.checked_sub(1) else { return 0 };
        match enc {
            WideEncoding::Utf8 => 0,
            WideEncoding::Utf16 => self.wide_shrink[last],
            // A four-byte character is two UTF-16 units and one code point.
            WideEncoding::Utf32 => self.wide_shrink[last] + self.astral.partition_point(|&a| (a as usize) < n) as u32,
        }
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
        LineCol { line: lc.line, col: self.wide_offset(offset, enc) - self.wide_offset(start, enc) }
    }

    /// The offset of a line and column in the given encoding. A column past the end of the
    /// line clamps to the line end; a line past the end clamps to the text end; a column inside
    /// a character moves to its end.
    pub fn offset(&self, pos: LineCol, enc: WideEncoding, text: &str) -> TextSize {
        let Some(range) = self.line_range(pos.line, text) else {
            return self.len;
        };
        let target = self.wide_offset(range.start(), enc).saturating_add(pos.col);
        // The wide characters of the line, and the first of them that starts at or after the
        // column (a binary search: a line may be a megabyte long).
        let a = self.wide.partition_point(|&(at, _)| at < range.start());
        let b = a + self.wide[a..].partition_point(|&(at, _)| at < range.end());
        let starts = |i: usize| u32::from(self.wide[i].0) - self.saved(i, enc);
        let i = {
            let (mut lo, mut hi) = (a, b);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if starts(mid) < target {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let offset = match i.checked_sub(1).filter(|&j| j >= a) {
            // Inside the wide character before: its end.
            Some(j) if target < starts(j) + units(self.wide[j].1, enc) => {
                u32::from(self.wide[j].0) + u32::from(self.wide[j].1)
            }
            // Past it, in plain ASCII.
            _ => target.saturating_add(self.saved(i, enc)),
        };
        TextSize::new(offset).min(range.end())
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` texts of fewer than `max` of `pieces` each, from the testkit's generator.
    fn random_texts<'a>(pieces: &'a [&str], seed: u64, count: usize, max: u64) -> impl Iterator<Item = String> + 'a {
        let mut rng = stagecraft_testkit::Rng(seed);
        (0..count).map(move |_| {
            let seed = rng.next();
            (0..seed % max).map(|k| pieces[((seed >> (k % 50)) as usize + k as usize) % pieces.len()]).collect()
        })
    }

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

    /// Columns both ways, searched, against a walk over the line's characters (what the index
    /// did before), in every encoding, at every offset (inside characters too) and every column
    /// up to past the line's end.
    #[test]
    fn columns_equal_a_walk_over_the_line() {
        fn units(c: char, enc: WideEncoding) -> u32 {
            match enc {
                WideEncoding::Utf8 => c.len_utf8() as u32,
                WideEncoding::Utf16 => c.len_utf16() as u32,
                WideEncoding::Utf32 => 1,
            }
        }
        let pieces = ["a", "\n", "\r\n", "\r", "é", "😀", "€", "𝄞x", "  "];
        for text in random_texts(&pieces, 0x2545_f491_4f6c_dd1d, 3000, 24) {
            let index = LineIndex::new(&text);
            for enc in [WideEncoding::Utf8, WideEncoding::Utf16, WideEncoding::Utf32] {
                for o in 0..=text.len() as u32 + 2 {
                    let lc = index.line_col(TextSize::new(o));
                    let start = index.line_start(lc.line).unwrap();
                    // Inside a character: its start (UTF-8 columns are bytes, as they are).
                    let mut at = (o as usize).min(text.len());
                    while enc != WideEncoding::Utf8 && !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    let col = match enc {
                        WideEncoding::Utf8 => lc.col,
                        _ => text[usize::from(start)..at].chars().map(|c| units(c, enc)).sum(),
                    };
                    assert_eq!(
                        index.to_wide(TextSize::new(o), enc),
                        LineCol { line: lc.line, col },
                        "{text:?} {enc:?} @{o}"
                    );
                }
                for line in 0..index.line_count() + 1 {
                    let Some(range) = index.line_range(line, &text) else { continue };
                    let width: u32 = text[range].chars().map(|c| units(c, enc)).sum();
                    for col in (0..width + 3).chain([u32::MAX]) {
                        let (mut remaining, mut walked) = (col, range.start());
                        for c in text[range].chars() {
                            if remaining == 0 {
                                break;
                            }
                            remaining = remaining.saturating_sub(units(c, enc));
                            walked += TextSize::of(c);
                        }
                        let found = index.offset(LineCol { line, col }, enc, &text);
                        assert_eq!(found, walked, "{text:?} {enc:?} line {line} col {col}");
                    }
                }
            }
        }
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
        for text in random_texts(&pieces, 0x9e37_79b9_7f4a_7c15, 4000, 40) {
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
