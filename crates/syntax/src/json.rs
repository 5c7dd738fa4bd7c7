//! The exec form: a JSON array of strings, accepted exactly as Go's `encoding/json` accepts it.

use crate::SyntaxKind::{self, *};

/// Go's `encoding/json` refuses documents nested deeper than this.
const MAX_DEPTH: usize = 10_000;

/// What `parseJSON` in BuildKit's line parsers makes of an argument string.
#[derive(Debug)]
pub(crate) enum JsonArray {
    /// Not a JSON array at all (BuildKit falls back to the shell form).
    NotArray,
    /// Valid JSON whose elements are all strings: the exec form.
    Strings { tokens: Vec<(SyntaxKind, usize, usize)>, values: Vec<String> },
    /// Valid JSON with a non-string element: BuildKit rejects the file.
    NotStrings { tokens: Vec<(SyntaxKind, usize, usize)> },
}

/// Parses `text` (already left-trimmed) as a JSON array; token offsets are relative to `text`.
pub(crate) fn parse_array(text: &str) -> JsonArray {
    if !text.starts_with('[') {
        return JsonArray::NotArray;
    }
    let mut p = Scanner { b: text.as_bytes(), pos: 0, tokens: Vec::new(), overflow: false };
    match p.array() {
        // A number too large for a float64 is an error of `json.Unmarshal` (it decodes the rest
        // and then returns it), so BuildKit falls back to the shell form.
        Some(_) if p.overflow => JsonArray::NotArray,
        Some((values, all_strings)) => {
            let trailing = p.pos;
            p.skip_ws();
            if p.pos != p.b.len() {
                return JsonArray::NotArray;
            }
            if trailing < p.pos {
                p.tokens.push((WHITESPACE, trailing, p.pos));
            }
            if all_strings {
                JsonArray::Strings { tokens: p.tokens, values }
            } else {
                JsonArray::NotStrings { tokens: p.tokens }
            }
        }
        None => JsonArray::NotArray,
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
    tokens: Vec<(SyntaxKind, usize, usize)>,
    /// A number `strconv.ParseFloat` refuses as out of range (`1e999`; one too small is 0).
    overflow: bool,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn ws_token(&mut self) {
        let start = self.pos;
        self.skip_ws();
        if start < self.pos {
            self.tokens.push((WHITESPACE, start, self.pos));
        }
    }

    /// The top-level array; returns the decoded strings and whether every element was one.
    fn array(&mut self) -> Option<(Vec<String>, bool)> {
        self.tokens.push((L_BRACK, 0, 1));
        self.pos = 1;
        self.ws_token();
        let mut values = Vec::new();
        let mut all_strings = true;
        if self.b.get(self.pos) == Some(&b']') {
            self.tokens.push((R_BRACK, self.pos, self.pos + 1));
            self.pos += 1;
            return Some((values, true));
        }
        loop {
            let start = self.pos;
            if self.b.get(self.pos) == Some(&b'"') {
                let value = self.string()?;
                self.tokens.push((JSON_STRING, start, self.pos));
                values.push(value);
            } else {
                self.skip_value(1)?;
                self.tokens.push((JSON_OTHER, start, self.pos));
                all_strings = false;
            }
            self.ws_token();
            match self.b.get(self.pos) {
                Some(b',') => {
                    self.tokens.push((COMMA, self.pos, self.pos + 1));
                    self.pos += 1;
                    self.ws_token();
                }
                Some(b']') => {
                    self.tokens.push((R_BRACK, self.pos, self.pos + 1));
                    self.pos += 1;
                    return Some((values, all_strings));
                }
                _ => return None,
            }
        }
    }

    /// A string literal at `pos`, decoded as Go does (bad surrogates become U+FFFD).
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        let mut run_start = self.pos;
        loop {
            let c = *self.b.get(self.pos)?;
            match c {
                b'"' => {
                    out.push_str(self.text(run_start, self.pos));
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(self.text(run_start, self.pos));
                    let esc = *self.b.get(self.pos + 1)?;
                    self.pos += 2;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4(self.pos)?;
                            self.pos += 4;
                            if (0xD800..0xE000).contains(&hi) {
                                // A surrogate: combine with a following \u low surrogate if any.
                                let low = if self.b.get(self.pos) == Some(&b'\\')
                                    && self.b.get(self.pos + 1) == Some(&b'u')
                                {
                                    self.hex4(self.pos + 2)
                                } else {
                                    None
                                };
                                match low {
                                    Some(lo) if (0xD800..0xDC00).contains(&hi) && (0xDC00..0xE000).contains(&lo) => {
                                        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                        self.pos += 6;
                                    }
                                    _ => out.push('\u{FFFD}'),
                                }
                            } else {
                                out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                            }
                        }
                        _ => return None,
                    }
                    run_start = self.pos;
                }
                0x00..=0x1F => return None,
                _ => self.pos += 1,
            }
        }
    }

    fn text(&self, start: usize, end: usize) -> &str {
        // Both ends sit on ASCII bytes of valid UTF-8 input.
        std::str::from_utf8(&self.b[start..end]).unwrap_or("")
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.b.get(at..at + 4)?;
        let mut v = 0;
        for &d in digits {
            v = v * 16 + (d as char).to_digit(16)?;
        }
        Some(v)
    }

    /// Validates and skips any JSON value without recursion (objects and arrays may nest deeply).
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        // Stack of open containers: b']' or b'}'.
        let mut stack: Vec<u8> = Vec::new();
        loop {
            // Expect a value.
            self.skip_ws();
            match *self.b.get(self.pos)? {
                b'"' => {
                    self.string()?;
                }
                b'[' | b'{' => {
                    let open = self.b[self.pos];
                    self.pos += 1;
                    if depth + stack.len() + 1 > MAX_DEPTH {
                        return None;
                    }
                    stack.push(if open == b'[' { b']' } else { b'}' });
                    self.skip_ws();
                    if self.b.get(self.pos) == stack.last() {
                        self.pos += 1;
                        stack.pop();
                    } else if open == b'{' {
                        self.object_key()?;
                        continue;
                    } else {
                        continue;
                    }
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&close) = stack.last() else {
                    return Some(());
                };
                self.skip_ws();
                match *self.b.get(self.pos)? {
                    b',' => {
                        self.pos += 1;
                        if close == b'}' {
                            self.skip_ws();
                            self.object_key()?;
                        }
                        break;
                    }
                    c if c == close => {
                        self.pos += 1;
                        stack.pop();
                    }
                    _ => return None,
                }
            }
        }
    }

    fn object_key(&mut self) -> Option<()> {
        if self.b.get(self.pos) != Some(&b'"') {
            return None;
        }
        self.string()?;
        self.skip_ws();
        if self.b.get(self.pos) != Some(&b':') {
            return None;
        }
        self.pos += 1;
        Some(())
    }

    fn literal(&mut self, lit: &[u8]) -> Option<()> {
        if self.b.get(self.pos..self.pos + lit.len()) == Some(lit) {
            self.pos += lit.len();
            Some(())
        } else {
            None
        }
    }

    fn number(&mut self) -> Option<()> {
        let start = self.pos;
        let digits = |s: &mut Self| {
            let start = s.pos;
            while s.b.get(s.pos).is_some_and(u8::is_ascii_digit) {
                s.pos += 1;
            }
            s.pos > start
        };
        if self.b.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return None,
        }
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.b.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        // (Not in the browser build, for its size: it reads such a number as a number, as
        // stagecraft did before.)
        self.overflow |= !cfg!(target_arch = "wasm32") && crate::go::float_overflows(&self.b[start..self.pos]);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(text: &str) -> Option<Vec<String>> {
        match parse_array(text) {
            JsonArray::Strings { values, .. } => Some(values),
            _ => None,
        }
    }

    #[test]
    fn accepts_what_go_accepts() {
        assert_eq!(strings(r#"["a", "b"]"#).unwrap(), ["a", "b"]);
        assert_eq!(strings("[ ]").unwrap(), Vec::<String>::new());
        assert_eq!(strings(r#"["\u00e9\n\/", "x"] "#).unwrap(), ["é\n/", "x"]);
        assert_eq!(strings(r#"["\ud83d\ude00", "\ud83d", "\ude00x"]"#).unwrap(), ["😀", "\u{FFFD}", "\u{FFFD}x"]);
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [r#"["a",]"#, r#"['a']"#, r#"["a" "b"]"#, r#"["a"] x"#, "[\"a\tb\"]", r#"["\x"]"#, "[", r#"["a"#] {
            assert!(matches!(parse_array(bad), JsonArray::NotArray), "{bad}");
        }
    }

    #[test]
    fn non_strings_are_their_own_error() {
        for text in [r#"["a", 1]"#, r#"[null]"#, r#"["a", ["b"]]"#, r#"[{"k": [1, -2.5e3]}, true]"#] {
            assert!(matches!(parse_array(text), JsonArray::NotStrings { .. }), "{text}");
        }
        assert!(matches!(parse_array("[01]"), JsonArray::NotArray));
        // Out of a float64's range anywhere: `json.Unmarshal` fails, and BuildKit takes the
        // shell form; too small is 0, no error.
        for text in ["[1e999]", r#"["a", -1.8e308]"#, r#"[{"k": [1E400]}]"#] {
            assert!(matches!(parse_array(text), JsonArray::NotArray), "{text}");
        }
        assert!(matches!(parse_array("[1e-400, 1.7976931348623157e308]"), JsonArray::NotStrings { .. }));
    }

    /// Go clips an exponent at its first digits past 10,000; Rust's parser does not, so these
    /// are not compared with it (a review found them).
    #[test]
    fn overflow_clips_the_exponent_as_go_does() {
        // 0.(9,700 zeros)1e100000 is 1e299 to Go (its exponent read as 10,000).
        let small = format!("0.{}1e100000", "0".repeat(9700));
        assert!(!crate::go::float_overflows(small.as_bytes()));
        // 1(10,400 zeros)e-100000 is 1e400 to Go.
        let large = format!("1{}e-100000", "0".repeat(10_400));
        assert!(crate::go::float_overflows(large.as_bytes()));
        assert!(crate::go::float_overflows(b"1e99999999999999999999"));
    }

    /// The digits say what Rust's float parser says (as Go's does: correctly rounded), for
    /// exponents below 10,000.
    #[test]
    fn overflow_is_read_from_the_digits() {
        let mut cases: Vec<String> = [
            "0",
            "-0.0e999999999999999999999",
            "1e308",
            "1e309",
            "9.99e308",
            "0.00001e313",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "17976931348623158e292",
            "100000e304",
            "1E+309",
            "1e-309",
            "123.456e-99999999999999999999999",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // The bound itself, written in several ways, and next to it.
        let t = std::str::from_utf8(crate::go::INFINITY_FROM).unwrap();
        cases.push(format!("{}.{}e308", &t[..1], &t[1..]));
        cases.push(format!("{}.{}e306", &t[..3], &t[3..]));
        cases.push(t.to_string());
        cases.push(format!("{}1", &t[..t.len() - 1]));
        cases.push(format!("{}1", t));
        cases.push(format!("0.{t}e309"));
        cases.push(format!("{}0e-1", t));
        let mut x: u64 = 1;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = t[..(x % 40) as usize + 1].to_string();
            cases.push(format!("{}e{}", digits, 308 - digits.len() as i64 + 1 - (x >> 40) as i64 % 3));
        }
        for case in &cases {
            let rust = case.parse::<f64>().unwrap().is_infinite();
            assert_eq!(crate::go::float_overflows(case.as_bytes()), rust, "{case}");
        }
        let deep = format!("[{}{}]", "[".repeat(20_000), "]".repeat(20_000));
        assert!(matches!(parse_array(&deep), JsonArray::NotArray));
    }

    /// Against Go's `encoding/json` as BuildKit's `parseJSON` uses it (`tools/oracle-go`, Go 1.24
    /// from Debian's archive): random texts from the pieces that matter (strings and their
    /// escapes, surrogates, numbers out of range, other values, nesting, blanks JSON has and
    /// has not). Needs it, so on demand (`tools/test.sh differential` runs it):
    /// `cargo test -p stagecraft-syntax --lib json -- --ignored`.
    #[test]
    #[ignore = "needs Go from Debian's archive"]
    fn against_go() {
        const PIECES: &[&str] = &[
            "\"a\"",
            "\"a\"",
            ",",
            ",",
            " ",
            "\t",
            "\n",
            "\r",
            "\u{c}",
            "\u{a0}",
            "\"\\u00e9\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\udc00\\ud800\"",
            "\"\\x\"",
            "\"\\/\\b\\f\"",
            "1",
            "-0",
            "1e400",
            "1e-400",
            "01",
            "1.",
            ".5",
            "-",
            "1E+2",
            "true",
            "null",
            "nul",
            "{}",
            "{\"a\":1}",
            "[",
            "]",
            "[]",
            "\"\\u0000\"",
            "\"tab\there\"",
            "\"é\"",
            "\"\"",
            "\"a\\\"b\"",
            "\"\u{7f}\"",
            "\"\\u00\"",
            "\"",
            "'a'",
            "\u{feff}",
        ];
        let mut rng = stagecraft_testkit::Rng(0x5eed_1503);
        let mut texts = vec!["[".repeat(10_001) + &"]".repeat(10_001), "[".repeat(10_000) + &"]".repeat(10_000)];
        for _ in 0..20_000 {
            let mut t = String::from("[");
            for _ in 0..rng.below(7) {
                t.push_str(PIECES[rng.below(PIECES.len())]);
            }
            if rng.below(4) > 0 {
                t.push(']');
            }
            texts.push(t);
        }
        let inputs: Vec<_> = texts.iter().map(|t| stagecraft_testkit::serde_json::json!(["json", t])).collect();
        let theirs = stagecraft_testkit::go_lines("oracle-go", &["lines"], &inputs);
        let (mut differ, mut kinds) = (Vec::new(), std::collections::BTreeMap::new());
        for (t, go) in texts.iter().zip(&theirs) {
            let ours = match parse_array(t) {
                JsonArray::NotArray => stagecraft_testkit::serde_json::json!({"kind": "not array"}),
                JsonArray::NotStrings { .. } => stagecraft_testkit::serde_json::json!({"kind": "not strings"}),
                JsonArray::Strings { values, .. } => {
                    stagecraft_testkit::serde_json::json!({"kind": "strings", "values": values})
                }
            };
            *kinds.entry(go["kind"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
            if ours != *go {
                differ.push(format!("{:?}: ours {ours}, Go's {go}", t.chars().take(200).collect::<String>()));
            }
        }
        stagecraft_testkit::assert_none_differ(&differ, texts.len());
        assert!(kinds.len() == 3 && kinds.values().all(|&n| n > 300), "{kinds:?}");
    }
}
