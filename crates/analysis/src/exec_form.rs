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
    let mut items: Vec<String> = Vec::new();
    let (mut single, mut curly, mut trailing, mut escapes) = (false, false, false, false);
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
        single |= open == '\'';
        curly |= !open.is_ascii();
        let body = &rest[open.len_utf8()..];
        // The item's end: its closing quote (a typographic list may close with either mark).
        let mut end = None;
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                escapes = true;
                chars.next();
            } else if c == close || (curly && !c.is_ascii() && matches!(c, '\u{201c}' | '\u{201d}')) {
                end = Some(i);
                break;
            }
        }
        let end = end?;
        items.push(body[..end].to_string());
        rest = body[end..].chars().next().map_or("", |c| &body[end + c.len_utf8()..]).trim_start();
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
    if items.is_empty() || !(single || curly || trailing) {
        return None;
    }
    // `[ 'x' ]` runs `test x`: a list of one, spaced from its brackets, may be meant so.
    if items.len() == 1 && !trailing && inner.starts_with(char::is_whitespace) {
        return None;
    }
    let why = if curly {
        "JSON strings take plain double quotes, not typographic “ ” ones"
    } else if single {
        "JSON strings take double quotes, not single ones"
    } else {
        "JSON takes no comma after the last item"
    };
    // The JSON meant, when no item holds a backslash (which the writer may have meant as an
    // escape or as itself) or a control character: a double quote inside another kind of quote
    // is escaped.
    let plain = !escapes && items.iter().all(|i| !i.chars().any(char::is_control));
    let json = plain.then(|| {
        let quoted: Vec<String> = items.iter().map(|i| format!("\"{}\"", i.replace('"', "\\\""))).collect();
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
        assert_eq!(json("[“npm”, “start”]").as_deref(), Some(r#"["npm", "start"]"#));
        assert_eq!(json("['server']").as_deref(), Some(r#"["server"]"#));
        assert_eq!(json("[\"a\", 'b']").as_deref(), Some(r#"["a", "b"]"#));
        assert_eq!(not_json("['a', 'b']").unwrap().why, "JSON strings take double quotes, not single ones");
        assert!(not_json("[“a”]").unwrap().why.contains("typographic “ ” ones"));
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
            "['a', b]",
            "['unterminated]",
            "[",
            "",
        ] {
            assert_eq!(not_json(command), None, "{command}");
        }
    }
}
