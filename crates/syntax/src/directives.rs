//! BuildKit's directive parser as `DetectSyntax`/`ParseDirective` use it: the leading comment
//! block, after a byte-order mark and a `#!` shebang line.

/// A directive found by [`find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDirective {
    /// The full value as written.
    pub value: String,
    /// The value up to its first space (what BuildKit uses).
    pub first_word: String,
    /// Zero-based line number.
    pub line: usize,
}

/// The first `# key=value` directive named `key` in the leading directive block of `text`,
/// skipping a BOM and a shebang line (BuildKit's `ParseDirective`).
pub fn find(text: &str, key: &str) -> Option<FoundDirective> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = text.split('\n').enumerate().peekable();
    if let Some((_, first)) = lines.peek() {
        if first.starts_with("#!") {
            lines.next();
        }
    }
    for (line, raw) in lines {
        let (name, value) = match_directive_line(raw)?;
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            return None;
        }
        if name == key {
            let first_word = value.split(' ').next().unwrap_or("").to_string();
            return Some(FoundDirective { value, first_word, line });
        }
    }
    None
}

/// BuildKit's `DirectiveParser.ParseLine` (the parser's own matcher): the lower-cased key and
/// the value of a `# key=value` line.
pub fn match_directive_line(line: &str) -> Option<(String, String)> {
    let d = crate::parser::match_directive(line)?;
    Some((line[d.name.0..d.name.1].to_ascii_lowercase(), line[d.value.0..d.value.1].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_check_after_shebang() {
        let text = "#!/usr/bin/env docker\n# syntax=docker/dockerfile:1\n#check = skip=all // why\nFROM a\n";
        let d = find(text, "check").unwrap();
        assert_eq!((d.first_word.as_str(), d.line), ("skip=all", 2));
        assert_eq!(find(text, "escape"), None);
        assert_eq!(find("# foo=bar\n# check=x\n", "check"), None);
    }

    /// BuildKit trims what `unicode.IsSpace` calls blank after the `#` (a no-break space pasted
    /// from a web page, `\v`), but only `[\t\n\f\r ]` around the `=`.
    #[test]
    fn unicode_blanks_after_the_hash() {
        assert_eq!(match_directive_line("#\u{a0}\u{3000}Escape=`"), Some(("escape".into(), "`".into())));
        assert_eq!(match_directive_line("#\u{b}check = skip=all"), Some(("check".into(), "skip=all".into())));
        assert_eq!(match_directive_line("# escape\u{a0}=`"), None);
        let p = crate::parse("#\u{a0}escape=`\nFROM a\nRUN echo `\n  hi\n");
        assert_eq!(p.tree().escape_char(), '`');
        assert_eq!(p.tree().instructions().count(), 2);
    }
}
