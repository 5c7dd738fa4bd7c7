//! A command written as a list that is not JSON: `CMD ['node', 'server.js']`. BuildKit reads
//! the exec form only when the arguments parse as a JSON array of strings; anything else is the
//! shell form, so that command runs `/bin/sh -c "['node', 'server.js']"` and fails at run time
//! (`[node,: not found`: the shell takes the quotes off), and BuildKit says nothing at build time
//! but, for CMD and ENTRYPOINT, that JSON is recommended. stagecraft says why it is not JSON and
//! offers the JSON it meant.

/// What is wrong with a shell-form command that looks like an exec-form list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotJson {
    /// Why BuildKit does not read it as JSON, for people.
    pub(crate) why: &'static str,
    /// The JSON array it means, when its items say it unambiguously.
    pub(crate) json: Option<String>,
}

/// `command` (a shell-form command, on one line) when it is a list of quoted strings that JSON
/// does not take: single or typographic quotes, or a comma after the last item. A shell command
/// that starts with `[` is also the `test` command (`[ "$A" = x ]`, `[ -f x ]`): a list of one
/// item with a blank after the `[` is taken for one, and so is anything that is not a list of
/// quoted strings.
pub(crate) fn not_json(command: &str) -> Option<NotJson> {
    let inner = command.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut rest = inner;
    // Each item: the quote that opens it, and what it holds.
    let mut items: Vec<(char, &str)> = Vec::new();
    let mut trailing = false;
    let mut escapes = false;
    // An escape other than of a quote or a backslash (`\n`: JSON's, or a Windows path's?).
    let mut other_escapes = false;
    loop {
        rest = rest.trim_start();
        let Some(open) = rest.chars().next() else { break };
        let close = match open {
            '"' => '"',
            '\'' => '\'',
            '\u{201c}' | '\u{201d}' => '\u{201d}',
            '\u{2018}' | '\u{2019}' => '\u{2019}',
            _ => return None,
        };
        let body = &rest[open.len_utf8()..];
        // The item's end: its closing quote (a typographic one may close with either mark).
        let mut end = None;
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                escapes = true;
                other_escapes |= !matches!(chars.next(), Some((_, '\\' | '"')));
            } else if c == close || (close == '\u{201d}' && c == '\u{201c}') || (close == '\u{2019}' && c == '\u{2018}')
            {
                end = Some((i, c.len_utf8()));
                break;
            }
        }
        let (end, width) = end?;
        items.push((open, &body[..end]));
        rest = body[end + width..].trim_start();
        match rest.strip_prefix(',') {
            Some(after) => {
                rest = after;
                if rest.trim().is_empty() {
                    trailing = true;
                    break;
                }
            }
            None if rest.is_empty() => break,
            None => return None,
        }
    }
    let single = items.iter().any(|&(q, _)| q == '\'');
    let curly = items.iter().find(|&&(q, _)| !q.is_ascii()).map(|&(q, _)| q);
    if items.is_empty() || !(single || curly.is_some() || trailing) {
        return None;
    }
    // `[ 'x' ]` runs `test x` (and `[ 'x', ]` `test x,`): a list of one spaced from its bracket
    // may be meant so.
    if items.len() == 1 && inner.starts_with(char::is_whitespace) {
        return None;
    }
    let why = match curly {
        Some('\u{2018}' | '\u{2019}') => "JSON strings take plain double quotes, not typographic ones like ‘ ’",
        Some(_) => "JSON strings take plain double quotes, not typographic ones like “ ”",
        None if single => "JSON strings take double quotes, not single ones",
        None => "JSON takes no comma after the last item",
    };
    // The JSON meant, when the items say it unambiguously: not when one holds a backslash (an
    // escape or itself, to its writer: `C:\new`) or a control character, nor a quote beside a
    // comma (`[“npm", "start”]`: quotes mixed up, not one item), nor a plain double quote inside
    // a typographic pair. A double quote inside single quotes is escaped.
    let quote_by_comma = |body: &str| {
        // (Any mark that may have been typed for a quote: plain, typographic, low, angle, prime,
        // acute, backtick.)
        let quote = |c: char| {
            matches!(
                c,
                '"' | '\'' | '`' | '\u{b4}' | '\u{201c}'..='\u{201f}' | '\u{2018}'..='\u{201b}' | '\u{ab}' | '\u{bb}' | '\u{2032}' | '\u{2033}'
            )
        };
        body.match_indices(',')
            .any(|(i, _)| body[..i].trim_end().ends_with(quote) || body[i + 1..].trim_start().starts_with(quote))
    };
    // Only a comma too many, after items in double quotes whose escapes can only be JSON's (an
    // escaped quote or backslash): the list without it, as written, when that is JSON BuildKit
    // reads. (Else, as for the other lists: blanks JSON does not take around the items, say.)
    let as_written =
        trailing && !single && curly.is_none() && !other_escapes && !items.iter().any(|&(_, b)| quote_by_comma(b));
    if as_written {
        let list = command.trim();
        let before_bracket = list[..list.len() - 1].trim_end();
        let comma = before_bracket.len() - 1;
        let json = format!("{}{}", &list[..comma], &list[comma + 1..]);
        if stagecraft_syntax::is_exec_form(&json) {
            return Some(NotJson { why, json: Some(json) });
        }
    }
    let plain = !escapes
        && items.iter().all(|&(q, body)| {
            !body.chars().any(char::is_control) && !quote_by_comma(body) && (q.is_ascii() || !body.contains('"'))
        });
    let json = plain.then(|| {
        let quoted: Vec<String> = items.iter().map(|(_, body)| format!("\"{}\"", body.replace('"', "\\\""))).collect();
        format!("[{}]", quoted.join(", "))
    });
    Some(NotJson { why, json })
}

#[cfg(test)]
mod tests {
    use super::not_json;

    fn json(command: &str) -> Option<String> {
        not_json(command).and_then(|n| n.json)
    }

    #[test]
    fn lists_that_are_not_json() {
        assert_eq!(json("['node', 'server.js']").as_deref(), Some(r#"["node", "server.js"]"#));
        assert_eq!(
            json("['echo','single quotes are invalid JSON']").as_deref(),
            Some(r#"["echo", "single quotes are invalid JSON"]"#)
        );
        assert_eq!(json("[\"a\", \"b\",]").as_deref(), Some(r#"["a", "b"]"#));
        // A comma too many goes alone: the items stay as written, escaped quotes and backslashes
        // too.
        assert_eq!(json(r#"["a","b" , ]"#).as_deref(), Some(r#"["a","b"  ]"#));
        assert_eq!(json(r#"["sh", "-c", "echo \"x\"",]"#).as_deref(), Some(r#"["sh", "-c", "echo \"x\""]"#));
        assert_eq!(json(r#"["C:\\app\\run.exe",]"#).as_deref(), Some(r#"["C:\\app\\run.exe"]"#));
        // No fix for other escapes (`\t`, `\n`: a Windows path's backslashes, or JSON's?), one
        // JSON does not know, a tab.
        for bad in [r#"["C:\temp\new.exe",]"#, r#"["a\q",]"#, "[\"a\tb\",]"] {
            let n = not_json(bad).unwrap_or_else(|| panic!("{bad}"));
            assert_eq!((n.why, n.json), ("JSON takes no comma after the last item", None), "{bad}");
        }
        // Blanks JSON does not take (a no-break space) are left out, as for other lists.
        assert_eq!(json("[\"a\",\u{a0}\"b\",]").as_deref(), Some(r#"["a", "b"]"#));
        assert_eq!(json("[“npm”, “start”]").as_deref(), Some(r#"["npm", "start"]"#));
        assert_eq!(json("['server']").as_deref(), Some(r#"["server"]"#));
        assert_eq!(json("[\"a\", 'b']").as_deref(), Some(r#"["a", "b"]"#));
        assert_eq!(not_json("['a', 'b']").unwrap().why, "JSON strings take double quotes, not single ones");
        assert!(not_json("[“a”]").unwrap().why.ends_with("typographic ones like “ ”"));
        assert!(not_json("[‘a’, ‘b’]").unwrap().why.ends_with("typographic ones like ‘ ’"));
        // Quotes mixed up: said, without a guess that would make one item of two.
        for mixed in [
            "[“npm\", \"start”]",
            "['npm\", \"start']",
            "[\"a', 'b\", 'c']",
            "[“say \"hi\"”, “x”]",
            "['npm`, `start']",
            "['npm´, ´start']",
            "['a„, ‚b']",
            "['a», «b']",
            "[\"npm\u{201d}, \u{201c}start\",]",
            "[\"a', 'b\",]",
        ] {
            let n = not_json(mixed).unwrap_or_else(|| panic!("{mixed}"));
            assert_eq!(n.json, None, "{mixed}");
        }
        // An ASCII-quoted item after a typographic one ends at its own quote.
        assert_eq!(json("[“a”, 'b”c']").as_deref(), Some(r#"["a", "b”c"]"#));
        assert!(not_json("[\"a\",]").unwrap().why.contains("comma"));
        // A double quote inside single quotes is escaped; a backslash is left to the writer.
        assert_eq!(json(r#"['sh', '-c', 'echo "hi"']"#).as_deref(), Some(r#"["sh", "-c", "echo \"hi\""]"#));
        assert_eq!(json(r#"["it's", 'x']"#).as_deref(), Some(r#"["it's", "x"]"#));
        let n = not_json(r"['sh', '-c', 'echo a\tb']").unwrap();
        assert_eq!(n.json, None);
    }

    #[test]
    fn shell_commands_and_json_are_left_alone() {
        for command in [
            "[ -f /etc/x ]",
            "[ \"$A\" = x ]",
            "[ 'x' ]",
            "[ \"x\" ]",
            "[\"a\", \"b\"]",
            "['a' 'b']",
            "[ -n 'x' ] && echo",
            "echo ['a', 'b']",
            "[]",
            "[ 'a', ]",
            "['a', b]",
            "['unterminated]",
            "[",
            "",
        ] {
            assert_eq!(not_json(command), None, "{command}");
        }
    }
}
