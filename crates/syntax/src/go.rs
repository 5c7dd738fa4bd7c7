//! Small pieces of Go's standard library whose exact behaviour BuildKit's output depends on.

use crate::unicode_tables::{BLOCK, DIGIT, LETTER, PRINT};

/// Sorted, disjoint code point ranges (`unicode_tables`, written by tools/gen_unicode_tables.py):
/// each as its distance from the end of the one before and its length less one, in LEB128, in
/// blocks of [`BLOCK`] ranges; `index` holds each block's first code point and where its bytes
/// start.
pub(crate) struct Table {
    pub(crate) index: &'static [(u32, u32)],
    pub(crate) data: &'static [u8],
}

/// Whether `c` falls in one of the table's ranges.
fn contains(table: &Table, c: char) -> bool {
    let c = c as u32;
    let block = table.index.partition_point(|&(first, _)| first <= c);
    let Some(&(mut at, offset)) = block.checked_sub(1).and_then(|b| table.index.get(b)) else {
        return false;
    };
    let mut bytes = table.data.get(offset as usize..).unwrap_or_default().iter();
    // (A value takes at most three bytes: the generator checks it.)
    let mut leb = || {
        let (mut n, mut shift) = (0u32, 0);
        for &b in bytes.by_ref().take(3) {
            n |= u32::from(b & 0x7F) << shift;
            shift += 7;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    };
    for _ in 0..BLOCK {
        let (Some(gap), Some(len)) = (leb(), leb()) else { return false };
        let lo = at + gap;
        if c < lo {
            return false;
        }
        if c <= lo + len {
            return true;
        }
        at = lo + len + 1;
    }
    false
}

/// Go's `unicode.IsSpace` (the same set as Rust's `char::is_whitespace`).
pub fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `unicode.IsSpace(rune(b))` applied to a single byte, as BuildKit's byte-wise loops do:
/// the Latin-1 bytes 0x85 and 0xA0 count as spaces too.
pub fn is_space_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xA0)
}

/// A word BuildKit ends at the first byte `unicode.IsSpace(rune(b))` calls blank, as
/// `parseHealthConfig` does with HEALTHCHECK's type: where that byte is inside a character
/// (0x85 or 0xA0 after its first byte, as in a no-break space), the word keeps the character's
/// bytes before it, which are no longer UTF-8: each is read as U+FFFD, as Go's string functions
/// read them (`CMD` + U+00A0 is `"CMD\xc2"`, `CMD\u{FFFD}` here).
pub fn cut_at_space_byte(word: &str) -> std::borrow::Cow<'_, str> {
    let Some(at) = word.bytes().position(is_space_byte) else { return word.into() };
    let mut start = at;
    while !word.is_char_boundary(start) {
        start -= 1;
    }
    let mut cut = word[..start].to_string();
    cut.extend(std::iter::repeat_n('\u{FFFD}', at - start));
    cut.into()
}

/// Go's `unicode.IsLetter`.
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    contains(&LETTER, c)
}

/// Go's `unicode.IsDigit`.
pub fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    contains(&DIGIT, c)
}

/// Go's `strconv.IsPrint`.
pub fn is_print(c: char) -> bool {
    let u = c as u32;
    if u <= 0xFF {
        return (0x20..=0x7E).contains(&u) || ((0xA1..=0xFF).contains(&u) && u != 0xAD);
    }
    contains(&PRINT, c)
}

/// Go's `strings.ToLower`, which maps rune by rune (no context-dependent final sigma).
pub fn to_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .map(|c| match c {
            // Go maps U+0130 to plain 'i'; Rust would add a combining dot.
            '\u{130}' => 'i',
            c => go_case(c, c.to_lowercase().next().unwrap_or(c)),
        })
        .collect()
}

/// A case mapping of Rust's kept where Go's Unicode has both characters (graphic, `IsPrint`,
/// in Go's Unicode 15.0 tables; everything with a case is). Rust's own tables are newer:
/// Unicode 16 gave `ƛ` the upper case `Ƛ` (U+A7DC, new) and made the Garay script, and Go maps
/// neither.
fn go_case(c: char, mapped: char) -> char {
    if mapped == c || (is_print(c) && is_print(mapped)) {
        mapped
    } else {
        c
    }
}

/// Go's `strings.ToUpper`: rune by rune with `unicode.ToUpper`, a mapping to one character
/// (`ß` stays `ß`, where Rust's full mapping writes `SS`).
pub fn to_upper(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    s.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) => go_case(c, u),
                // Several characters: Unicode's one-character mapping is the character itself,
                // but for the Greek letters with a subscript iota, which take their title case.
                _ => match c as u32 {
                    0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => char::from_u32(c as u32 + 8).unwrap_or(c),
                    0x1FB3 | 0x1FC3 | 0x1FF3 => char::from_u32(c as u32 + 9).unwrap_or(c),
                    _ => c,
                },
            }
        })
        .collect()
}

/// Go's `strings.EqualFold` for the two-letter keyword `as` (the only fold BuildKit does on
/// Dockerfile syntax): `a`/`A` then `s`/`S`/`ſ` (U+017F folds to `s`).
pub fn equal_fold_as(word: &str) -> bool {
    let mut chars = word.chars();
    matches!((chars.next(), chars.next(), chars.next()), (Some('a' | 'A'), Some('s' | 'S' | '\u{17F}'), None))
}

/// Go's `strings.EqualFold(word, ascii)` where `ascii` is ASCII (a stage name): letters match in
/// either case, and `ſ` (U+017F) and `K` (U+212A, the Kelvin sign) fold to `s` and `k`.
pub fn equal_fold_ascii(word: &str, ascii: &str) -> bool {
    let mut a = ascii.bytes();
    let same = word.chars().all(|c| {
        a.next().is_some_and(|b| match c {
            '\u{17F}' => b.eq_ignore_ascii_case(&b's'),
            '\u{212A}' => b.eq_ignore_ascii_case(&b'k'),
            _ => c.is_ascii() && (c as u8).eq_ignore_ascii_case(&b),
        })
    });
    same && a.next().is_none()
}

/// What `\s` matches in Go's regular expressions (RE2's Perl class: no `\v`, nothing outside
/// ASCII).
pub const RE2_SPACE: [char; 5] = ['\t', '\n', '\u{c}', '\r', ' '];

/// Go's `strconv.ParseFloat(s, 64)`: `None` where Go refuses it, `Some(true)` for a value below
/// zero. Go's syntax: `inf`, `infinity` (with a sign) or `nan`, in any case; or a sign, then
/// decimal digits with one `.` and an `e` exponent, or `0x` and hexadecimal digits with a `p`
/// exponent, which hexadecimal needs; `_` between digits (or after `0x`). Native builds also
/// refuse what Go refuses as out of range (`1e400`) and take what rounds to zero as zero
/// (`-1e-400` is not below zero); the browser build, for its size, does neither.
pub fn parse_float_sign(s: &str) -> Option<bool> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
        return Some(s.starts_with('-'));
    }
    if s.eq_ignore_ascii_case("nan") {
        return Some(false);
    }
    let b = s.as_bytes();
    let (negative, mut i) = match b.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let hex = i + 2 < b.len() && b[i] == b'0' && (b[i + 1] | 0x20) == b'x';
    if hex {
        i += 2;
    }
    let (mut dot, mut digits, mut underscores, mut nonzero) = (false, false, false, false);
    while let Some(&c) = b.get(i) {
        match c {
            b'_' => underscores = true,
            b'.' if dot => break,
            b'.' => dot = true,
            c if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) => {
                digits = true;
                nonzero |= c != b'0';
            }
            _ => break,
        }
        i += 1;
    }
    if !digits {
        return None;
    }
    let mantissa_end = i;
    if b.get(i).is_some_and(|&c| (c | 0x20) == if hex { b'p' } else { b'e' }) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&c) = b.get(i).filter(|&&c| c.is_ascii_digit() || c == b'_') {
            underscores |= c == b'_';
            i += 1;
        }
    } else if hex {
        return None;
    }
    if i != b.len() || (underscores && !underscores_ok(b)) {
        return None;
    }
    if cfg!(target_arch = "wasm32") {
        return Some(negative && nonzero);
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    if hex {
        let value = hex_float(&clean, mantissa_end - s[..mantissa_end].matches('_').count());
        return (!value.is_infinite()).then_some(value < 0.0);
    }
    // Out of range as the JSON reader says it (Go's reading of the exponent included); below
    // zero unless it rounds to zero.
    (!float_overflows(clean.as_bytes())).then(|| clean.parse::<f64>().is_ok_and(|v| v < 0.0))
}

/// The digits of 2^1024 - 2^970, the least number that rounds to infinity as a float64 (halfway
/// between the largest float64 and 2^1024, which rounds to even: up).
pub(crate) const INFINITY_FROM: &[u8] = b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// Whether a decimal number (a sign, digits with a `.`, an `e` exponent: a JSON number, or
/// what `strconv.ParseFloat` reads without its `_`) is too large for a float64, as
/// `strconv.ParseFloat` says with its range error. Read from its digits, not by
/// parsing it (a float parser is ≈10 KB of the browser build).
pub(crate) fn float_overflows(literal: &[u8]) -> bool {
    let literal = literal.strip_prefix(b"-").or_else(|| literal.strip_prefix(b"+")).unwrap_or(literal);
    let (mantissa, exponent) = match literal.iter().position(|&c| c == b'e' || c == b'E') {
        Some(e) => (&literal[..e], &literal[e + 1..]),
        None => (literal, &b""[..]),
    };
    let int_len = mantissa.iter().position(|&c| c == b'.').unwrap_or(mantissa.len()) as i64;
    let digits: Vec<u8> = mantissa.iter().copied().filter(u8::is_ascii_digit).collect();
    let Some(first) = digits.iter().position(|&c| c != b'0') else { return false };
    let (negative, exp_digits) = match exponent.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, exponent),
    };
    // Go's `readFloat` (and its slow path, `decimal.set`) stops reading an exponent's digits once
    // it has reached 10,000: `1e100000` is read as `1e10000`, and a number of 10,000 digits
    // with such an exponent can come back in range.
    let exp = exp_digits.iter().fold(0i64, |n, &d| if n < 10_000 { n * 10 + i64::from(d - b'0') } else { n });
    let exp = if negative { -exp } else { exp };
    // The power of ten of the first significant digit.
    let magnitude = (int_len - 1 - first as i64).saturating_add(exp);
    let end = digits.iter().rposition(|&c| c != b'0').map_or(first, |i| i + 1);
    let significant = &digits[first..end];
    magnitude > 308 || (magnitude == 308 && significant >= INFINITY_FROM)
}

/// The value of a hexadecimal float that [`parse_float_sign`] has read (`-0x1.8p3`, without
/// `_`; `p` at `exponent_at`), in the nearest float64 but at the edges of its range (Go rounds
/// once; a mantissa of more than 53 bits rounds twice here). Infinite where it is too large.
/// As Go, it keeps 16 digits of the mantissa and counts the rest in the exponent, and stops
/// reading the exponent's digits at 10,000.
fn hex_float(s: &str, exponent_at: usize) -> f64 {
    let (mantissa, exponent) = s.split_at(exponent_at);
    let negative = mantissa.starts_with('-');
    let digits = mantissa.trim_start_matches(['+', '-']).get(2..).unwrap_or_default();
    // `scale`: the power of two the kept digits are to be multiplied by.
    let (mut value, mut scale, mut kept, mut dot) = (0f64, 0i64, 0, false);
    for c in digits.chars() {
        match c.to_digit(16) {
            Some(0) if kept == 0 => scale -= 4 * i64::from(dot),
            Some(d) if kept < 16 => {
                value = value * 16.0 + f64::from(d);
                kept += 1;
                scale -= 4 * i64::from(dot);
            }
            Some(_) => scale += 4 * i64::from(!dot),
            None => dot = true,
        }
    }
    let exponent = exponent.get(1..).unwrap_or_default();
    let (sign, exp_digits) = match exponent.as_bytes().first() {
        Some(b'-') => (-1, &exponent[1..]),
        Some(b'+') => (1, &exponent[1..]),
        _ => (1, exponent),
    };
    let e = exp_digits.bytes().fold(0i64, |n, d| if n < 10_000 { n * 10 + i64::from(d - b'0') } else { n });
    scale += sign * e;
    while value != 0.0 && !value.is_infinite() && scale != 0 {
        let step = scale.clamp(-500, 500);
        value *= 2f64.powi(step as i32);
        scale -= step;
    }
    if negative {
        -value
    } else {
        value
    }
}

/// Go's `underscoreOK`: each `_` between two digits, or between the `0x` and a digit.
fn underscores_ok(s: &[u8]) -> bool {
    let s = s.strip_prefix(b"-").or_else(|| s.strip_prefix(b"+")).unwrap_or(s);
    // What came last: a digit or base prefix ('0'), an underscore ('_'), the start ('^') or
    // anything else ('!').
    let (mut saw, mut i, mut hex) = (b'^', 0, false);
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1] | 0x20, b'b' | b'o' | b'x') {
        (saw, i, hex) = (b'0', 2, (s[1] | 0x20) == b'x');
    }
    for &c in &s[i..] {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else if saw == b'_' {
            return false;
        } else {
            saw = b'!';
        }
    }
    saw != b'_'
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Which part of a URL [`unescape`] reads, as Go's `net/url` tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPart {
    /// A path, fragment or userinfo: any `%XX` decodes.
    Path,
    /// A query key or value (`encodeQueryComponent`): `+` is a space too.
    Query,
    /// A host (`encodeHost`): only characters a host may hold, and `%XX` only for bytes from
    /// 0x80 up, or `%25`.
    Host,
    /// An IPv6 zone after `%25` (`encodeZone`): the host's characters, and `%XX` for any of
    /// them, a space, or `%25`.
    Zone,
}

/// Go's `url` unescaping of `%XX` (two hex digits each) in one part of a URL: the bytes, or
/// where Go refuses the text (a bad `%`, or a character the part cannot hold).
pub fn unescape(s: &str, part: UrlPart) -> Result<Vec<u8>, usize> {
    let b = s.as_bytes();
    let hex = |c: Option<&u8>| c.and_then(|&c| (c as char).to_digit(16)).map(|d| d as u8);
    // `shouldEscape`'s answer for a host or zone: what needs no escape there.
    let host_char = |c: u8| c.is_ascii_alphanumeric() || b"!$&'()*+,;=:[]<>\"-_.~".contains(&c);
    let host = matches!(part, UrlPart::Host | UrlPart::Zone);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(h), Some(l)) = (hex(b.get(i + 1)), hex(b.get(i + 2))) else { return Err(i) };
                let v = h << 4 | l;
                let percent = v == b'%';
                let refused = match part {
                    UrlPart::Host => h < 8 && !percent,
                    UrlPart::Zone => !percent && v != b' ' && !host_char(v),
                    UrlPart::Path | UrlPart::Query => false,
                };
                if refused {
                    return Err(i);
                }
                out.push(v);
                i += 3;
            }
            b'+' if part == UrlPart::Query => {
                out.push(b' ');
                i += 1;
            }
            c => {
                if host && c < 0x80 && !host_char(c) {
                    return Err(i);
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Go's `strconv.Quote` over raw bytes (invalid UTF-8 becomes `\x..`).
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    let mut rest = bytes;
    while !rest.is_empty() {
        let (c, width) = decode_rune(rest);
        match c {
            None => push_hex(&mut out, "\\x", u32::from(rest[0]), 2),
            Some(c) => quote_char(&mut out, c),
        }
        rest = &rest[width..];
    }
    out.push('"');
    out
}

/// Go's `strconv.Quote` over a string.
pub fn quote_str(s: &str) -> String {
    quote(s.as_bytes())
}

fn quote_char(out: &mut String, c: char) {
    if c == '"' || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7F => push_hex(out, "\\x", c as u32, 2),
        c if (c as u32) < 0x10000 => push_hex(out, "\\u", c as u32, 4),
        c => push_hex(out, "\\U", c as u32, 8),
    }
}

fn push_hex(out: &mut String, prefix: &str, value: u32, digits: usize) {
    out.push_str(prefix);
    for shift in (0..digits).rev() {
        let nibble = (value >> (shift * 4)) & 0xF;
        out.push(char::from_digit(nibble, 16).unwrap_or('0'));
    }
}

/// Decodes one UTF-8 rune the way Go does: an invalid or truncated sequence is one byte wide
/// (`None`, Go's `RuneError` of width 1). `bytes` must not be empty.
#[inline]
pub fn decode_rune(bytes: &[u8]) -> (Option<char>, usize) {
    let len = match bytes[0] {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (None, 1),
    };
    if bytes.len() < len {
        return (None, 1);
    }
    match std::str::from_utf8(&bytes[..len]) {
        Ok(s) => (s.chars().next(), len),
        Err(_) => (None, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_upper_maps_one_character_to_one() {
        assert_eq!(to_upper("cmd"), "CMD");
        assert_eq!(to_upper("straße \u{149}\u{fb00}"), "STRAßE \u{149}\u{fb00}");
        assert_eq!(to_upper("\u{1f80}\u{1fb3}\u{1ff3}\u{1fb2}"), "\u{1f88}\u{1fbc}\u{1ffc}\u{1fb2}");
        assert_eq!(to_upper("\u{17f}ig\u{e9}"), "SIG\u{c9}");
    }

    #[test]
    fn cut_at_a_blank_byte() {
        assert_eq!(cut_at_space_byte("CMD"), "CMD");
        assert_eq!(cut_at_space_byte("CMD\u{a0}"), "CMD\u{FFFD}");
        assert_eq!(cut_at_space_byte("\u{e0}CMD"), "\u{FFFD}");
        // U+0805 is E0 A0 85: cut after its first byte; U+0845 (E0 A1 85) after its second.
        assert_eq!(cut_at_space_byte("x\u{805}y"), "x\u{FFFD}");
        assert_eq!(cut_at_space_byte("x\u{845}y"), "x\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn quote_matches_go() {
        assert_eq!(quote_str("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote_str("tab\there\n"), r#""tab\there\n""#);
        assert_eq!(quote_str("\u{1}\u{7f}"), r#""\x01\x7f""#);
        assert_eq!(quote_str("é 한국어"), "\"é 한국어\"");
        assert_eq!(quote_str("\u{a0}\u{ad}\u{2028}"), r#""\u00a0\u00ad\u2028""#);
        assert_eq!(quote_str("\u{e0000}"), r#""\U000e0000""#);
        assert_eq!(quote(&[b'a', 0xff, b'b']), r#""a\xffb""#);
        assert_eq!(quote(&[0xe2, 0x82]), r#""\xe2\x82""#);
    }

    #[test]
    fn go_classes() {
        assert!(is_letter('한') && is_letter('é') && !is_letter('1') && !is_letter('_'));
        assert!(is_digit('٣') && !is_digit('Ⅳ'));
        // The tables' edges (ranges that start and end blocks, the last range, astral planes;
        // checked against the (u32, u32) tables they replaced at every code point).
        assert!(is_letter('\u{100}') && is_letter('\u{3134A}') && !is_letter('\u{3134B}') && is_letter('\u{323AF}'));
        assert!(is_digit('\u{1FBF9}') && !is_digit('\u{1FBFA}') && is_digit('\u{1E950}') && !is_digit('\u{1E94F}'));
        assert!(is_print('\u{377}') && !is_print('\u{378}') && is_print('\u{E01EF}') && !is_print('\u{E01F0}'));
        assert!(!is_print('\u{10FFFF}') && !is_letter('\u{10FFFF}') && !is_print('\u{E0000}'));
        assert!(is_space_byte(0xA0) && !is_space_byte(0xC3));
        assert_eq!(to_lower("FROM İ"), "from i");
        // ParseFloat's syntax: underscores between digits, hexadecimal with its `p` exponent,
        // the words; and, natively, its range.
        for (s, want) in [
            ("1_0", Some(false)),
            ("1__0", None),
            ("_1", None),
            ("0x_1p0", Some(false)),
            ("0x1p4", Some(false)),
            ("0x1", None),
            ("-0x1p-2000", Some(false)),
            ("-1.5", Some(true)),
            ("-0", Some(false)),
            ("-1e-400", Some(false)),
            ("1e400", None),
            ("0x1p1024", None),
            (format!("0x1{}p-1024", "0".repeat(256)).as_str(), Some(false)),
            (format!("0x0.{}1p1020", "0".repeat(300)).as_str(), Some(false)),
            ("-Infinity", Some(true)),
            ("nan", Some(false)),
            ("+nan", None),
            ("infin", None),
            (".", None),
            ("1.", Some(false)),
        ] {
            assert_eq!(parse_float_sign(s), want, "{s:?}");
        }
        // Case pairs newer than Go's Unicode 15.0 (Rust's tables have them) are left alone:
        // `ƛ`'s upper case U+A7DC, Cyrillic TJE, Garay; Roman numerals and U+0345 map as Go's.
        assert_eq!(to_upper("\u{19b}\u{1c8a}\u{10d70}"), "\u{19b}\u{1c8a}\u{10d70}");
        assert_eq!(to_lower("\u{a7dc}\u{1c89}\u{10d50}"), "\u{a7dc}\u{1c89}\u{10d50}");
        assert_eq!(to_upper("\u{2170}\u{345}"), "\u{2160}\u{399}");
        assert_eq!(to_lower("\u{2160}"), "\u{2170}");
        assert!(equal_fold_as("aS") && equal_fold_as("Aſ") && !equal_fold_as("ass"));
        assert!(equal_fold_ascii("ſRC", "src") && equal_fold_ascii("\u{212A}it", "kit") && equal_fold_ascii("", ""));
        assert!(!equal_fold_ascii("src", "sr") && !equal_fold_ascii("sr", "src") && !equal_fold_ascii("é", "e"));
    }

    /// Go's `url.unescape` in each of its modes (net/url's `TestUnescape` and the host checks of
    /// `parseHost`).
    #[test]
    fn unescape_by_part() {
        use UrlPart::*;
        let ok = |s: &str, part| unescape(s, part).map(|v| String::from_utf8_lossy(&v).into_owned());
        assert_eq!(ok("a%20b+c", Path), Ok("a b+c".into()));
        assert_eq!(ok("a%20b+c", Query), Ok("a b c".into()));
        assert_eq!(ok("%zz", Path), Err(0));
        assert_eq!(ok("ab%2", Query), Err(2));
        // A host: `%XX` only for bytes from 0x80 up, or `%25`; no character a host cannot hold.
        assert_eq!(ok("h%C3%A9", Host), Ok("hé".into()));
        assert_eq!(ok("h%41", Host), Err(1));
        assert_eq!(ok("h%25", Host), Ok("h%".into()));
        assert_eq!(ok("a b", Host), Err(1));
        assert_eq!(ok("a/b", Host), Err(1));
        assert_eq!(ok("[::1]:80", Host), Ok("[::1]:80".into()));
        // A zone: `%XX` for what a host may hold, a space, or `%25`; nothing else.
        assert_eq!(ok("%25eth%41%20", Zone), Ok("%ethA ".into()));
        assert_eq!(ok("%2F", Zone), Err(0));
        assert_eq!(ok("a b", Zone), Err(1));
        // Bytes from 0x80 up are a host's as written.
        assert_eq!(unescape("\u{e9}", Host), Ok("\u{e9}".as_bytes().to_vec()));
    }
}
