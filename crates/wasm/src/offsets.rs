//! UTF-8 offsets (the analysis) to UTF-16 code-unit offsets (JavaScript strings) and back.

use stagecraft_analysis::TextSize;

/// The non-ASCII characters of a text, with how much shorter each is in UTF-16.
#[derive(Debug, Clone, Default)]
pub struct Utf16Map {
    len8: u32,
    /// UTF-8 start of each non-ASCII character.
    starts8: Vec<u32>,
    /// UTF-16 start of each non-ASCII character.
    starts16: Vec<u32>,
    /// UTF-8 length of each.
    lens8: Vec<u8>,
    /// `delta[i]`: UTF-8 minus UTF-16 length of the text up to and including character `i`.
    delta: Vec<u32>,
}

impl Utf16Map {
    /// Builds the map (one pass; nothing stored for ASCII text).
    pub fn new(text: &str) -> Utf16Map {
        let mut map = Utf16Map { len8: text.len() as u32, ..Utf16Map::default() };
        let mut delta = 0u32;
        for (i, c) in text.char_indices() {
            let l8 = c.len_utf8() as u32;
            if l8 > 1 {
                map.starts8.push(i as u32);
                map.starts16.push(i as u32 - delta);
                map.lens8.push(l8 as u8);
                delta += l8 - c.len_utf16() as u32;
                map.delta.push(delta);
            }
        }
        map
    }

    /// The UTF-16 offset of a UTF-8 offset (inside a character: of the character's start).
    pub fn to_utf16(&self, offset: TextSize) -> u32 {
        let o = u32::from(offset).min(self.len8);
        let k = self.starts8.partition_point(|&s| s < o);
        if k == 0 {
            return o;
        }
        let i = k - 1;
        let end = self.starts8[i] + self.lens8[i] as u32;
        if o < end {
            // Inside character i.
            return self.starts16[i];
        }
        o - self.delta[i]
    }

    /// The UTF-8 offset of a UTF-16 offset; `None` past the end. Inside a surrogate pair:
    /// the character's start.
    pub fn to_utf8(&self, offset: u32) -> Option<TextSize> {
        let k = self.starts16.partition_point(|&s| s < offset);
        let o8 = if k == 0 {
            offset
        } else {
            let i = k - 1;
            let l16 = self.lens8[i] as u32 - (self.delta[i] - if i == 0 { 0 } else { self.delta[i - 1] });
            if offset < self.starts16[i] + l16 {
                self.starts8[i]
            } else {
                offset + self.delta[i]
            }
        };
        (o8 <= self.len8).then(|| TextSize::new(o8))
    }

    /// The length of the text in UTF-16 code units.
    pub fn len16(&self) -> u32 {
        self.len8 - self.delta.last().copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_every_boundary() {
        for text in ["", "abc", "é", "a😀b", "日本語\nx", "😀😀", "aé😀\r\nz"] {
            let map = Utf16Map::new(text);
            assert_eq!(map.len16() as usize, text.encode_utf16().count(), "{text}");
            for (i, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                let u16 = text[..i].encode_utf16().count() as u32;
                assert_eq!(map.to_utf16(TextSize::new(i as u32)), u16, "{text} @{i}");
                assert_eq!(map.to_utf8(u16), Some(TextSize::new(i as u32)), "{text} @{i}");
            }
            assert_eq!(map.to_utf8(map.len16() + 1), None);
        }
        // The middle of a surrogate pair maps to the character's start.
        let map = Utf16Map::new("a😀b");
        assert_eq!(map.to_utf8(2), Some(TextSize::new(1)));
        assert_eq!(map.to_utf16(TextSize::new(3)), 1);
    }
}
