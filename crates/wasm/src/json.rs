//! A small JSON writer: the browser API hands JavaScript one JSON text per call (parsed by the
//! engine's native `JSON.parse`), written straight from the analysis with no intermediate tree
//! and without serde, which keeps the module small.

/// Writes JSON text; commas are placed by the writer.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
    /// Per open container: whether the next element is its first.
    first: Vec<bool>,
    /// A key was just written: the next value follows it without a comma.
    after_key: bool,
}

impl Writer {
    /// A writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Writer {
        Writer { out: String::with_capacity(capacity), ..Writer::default() }
    }

    /// The text written.
    pub fn finish(self) -> String {
        self.out
    }

    fn sep(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(first) = self.first.last_mut() {
            if !*first {
                self.out.push(',');
            }
            *first = false;
        }
    }

    /// `{`.
    pub fn begin_object(&mut self) -> &mut Self {
        self.sep();
        self.out.push('{');
        self.first.push(true);
        self
    }

    /// `}`.
    pub fn end_object(&mut self) -> &mut Self {
        self.first.pop();
        self.out.push('}');
        self
    }

    /// `[`.
    pub fn begin_array(&mut self) -> &mut Self {
        self.sep();
        self.out.push('[');
        self.first.push(true);
        self
    }

    /// `]`.
    pub fn end_array(&mut self) -> &mut Self {
        self.first.pop();
        self.out.push(']');
        self
    }

    /// An object key; a value must follow.
    pub fn key(&mut self, k: &str) -> &mut Self {
        self.sep();
        self.push_string(k);
        self.out.push(':');
        self.after_key = true;
        self
    }

    /// A string value.
    pub fn string(&mut self, s: &str) -> &mut Self {
        self.sep();
        self.push_string(s);
        self
    }

    /// A string or `null`.
    pub fn opt_string(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.string(s),
            None => self.null(),
        }
    }

    /// A whole number.
    pub fn uint(&mut self, n: u64) -> &mut Self {
        self.sep();
        stagecraft_graph::svg::push_uint(&mut self.out, n);
        self
    }

    /// A whole number or `null`.
    pub fn opt_uint(&mut self, n: Option<u64>) -> &mut Self {
        match n {
            Some(n) => self.uint(n),
            None => self.null(),
        }
    }

    /// `true` or `false`.
    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.sep();
        self.out.push_str(if b { "true" } else { "false" });
        self
    }

    /// `null`.
    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.out.push_str("null");
        self
    }

    /// An array of whole numbers.
    pub fn uints(&mut self, ns: impl IntoIterator<Item = usize>) -> &mut Self {
        self.begin_array();
        for n in ns {
            self.uint(n as u64);
        }
        self.end_array()
    }

    fn push_string(&mut self, s: &str) {
        self.out.push('"');
        let mut start = 0;
        for (i, b) in s.bytes().enumerate() {
            let escape = match b {
                b'"' => Some("\\\""),
                b'\\' => Some("\\\\"),
                b'\n' => Some("\\n"),
                b'\r' => Some("\\r"),
                b'\t' => Some("\\t"),
                0..=0x1F => None,
                _ => continue,
            };
            self.out.push_str(&s[start..i]);
            match escape {
                Some(e) => self.out.push_str(e),
                None => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.out.push_str("\\u00");
                    self.out.push(HEX[(b >> 4) as usize] as char);
                    self.out.push(HEX[(b & 15) as usize] as char);
                }
            }
            start = i + 1;
        }
        self.out.push_str(&s[start..]);
        self.out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_json() {
        let mut w = Writer::default();
        w.begin_object();
        w.key("a").uint(0).key("b").string("q\"\\\n\u{1}😀").key("c").begin_array();
        w.null().bool(true).opt_uint(Some(12345678901)).opt_string(None).uints([1, 2]);
        w.begin_object().end_object();
        w.end_array().key("d").begin_array().end_array();
        w.end_object();
        let text = w.finish();
        assert_eq!(text, r#"{"a":0,"b":"q\"\\\n\u0001😀","c":[null,true,12345678901,null,[1,2],{}],"d":[]}"#);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["b"], "q\"\\\n\u{1}😀");
    }
}
