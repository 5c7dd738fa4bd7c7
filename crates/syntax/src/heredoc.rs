//! Heredoc words (`<<EOF`, `<<-"EOF"`, `3<<EOF`) as BuildKit recognises them.

use crate::shell::{Lexer, NoEnv};

/// What a heredoc word says about its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The terminator line (quotes removed).
    pub name: String,
    /// The file descriptor before `<<` (0 when absent).
    pub fd: u64,
    /// Whether variables in the body are expanded (false when any part of the word is quoted).
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
}

/// A heredoc word found on an instruction line, with its span in that line.
#[derive(Debug, Clone)]
pub(crate) struct HeredocWord {
    pub(crate) heredoc: Heredoc,
    pub(crate) span: (usize, usize),
}

/// BuildKit's `ParseHeredoc`: `^(\d*)<<(-?)\s*([^<]*)$` and a single-word name. `Ok(None)` when the
/// word is no heredoc; `Err` when the name cannot be lexed.
pub fn parse_heredoc(word: &str) -> Result<Option<Heredoc>, String> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let Some(rest) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    // `\s*` after `<<-?` (the lexer keeps those blanks in the word).
    let rest = rest.trim_start_matches(crate::go::RE2_SPACE);
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    let fd = word[..digits].parse::<u64>().unwrap_or(if digits == 0 { 0 } else { u64::MAX });
    let mut lex = Lexer::new('\\');
    lex.skip_unset_env = true;
    let words = lex.process_words(rest, &NoEnv).map_err(|e| e.to_string())?;
    if words.len() != 1 {
        return Ok(None);
    }
    lex.raw_quotes = true;
    let raw = lex.process_words(rest, &NoEnv).map_err(|e| e.to_string())?;
    if raw.len() != words.len() {
        return Err(format!("internal lexing of heredoc produced inconsistent results: {rest}"));
    }
    let quotes = |s: &str| s.matches(['\'', '"']).count();
    let name = words.into_iter().next().unwrap_or_default();
    let expand = quotes(&name) == quotes(&raw[0]);
    Ok(Some(Heredoc { name, fd, expand, chomp }))
}

/// BuildKit's `heredocsFromLine`: every heredoc word of a logical instruction line.
pub(crate) fn heredocs_from_line(line: &str) -> Result<Vec<HeredocWord>, String> {
    let mut lex = Lexer::new('\\');
    lex.raw_quotes = true;
    lex.raw_escapes = true;
    lex.skip_unset_env = true;
    // BuildKit ignores a lexing error here (no words, so no heredocs).
    let words = lex.process_words_with_spans(line, &NoEnv).unwrap_or_default();
    let mut out = Vec::new();
    for (word, start, end) in words {
        if let Some(heredoc) = parse_heredoc(&word)? {
            out.push(HeredocWord { heredoc, span: (start, end) });
        }
    }
    Ok(out)
}

/// Removes leading tabs from every line (`<<-`).
pub fn chomp(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    for line in content.split_inclusive('\n') {
        out.push_str(line.trim_start_matches('\t'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(word: &str) -> Option<Heredoc> {
        parse_heredoc(word).unwrap()
    }

    #[test]
    fn heredoc_words() {
        assert_eq!(h("<<EOF"), Some(Heredoc { name: "EOF".into(), fd: 0, expand: true, chomp: false }));
        assert_eq!(h("<<-'EOF'"), Some(Heredoc { name: "EOF".into(), fd: 0, expand: false, chomp: true }));
        assert_eq!(h(r#"3<<E"O"F"#), Some(Heredoc { name: "EOF".into(), fd: 3, expand: false, chomp: false }));
        assert_eq!(h("<<"), None);
        assert_eq!(h("a<<EOF"), None);
        assert_eq!(h("<<EOF<"), None);
        assert!(parse_heredoc("<<\"EOF").is_err());
    }

    #[test]
    fn heredocs_on_a_line() {
        let words = heredocs_from_line("RUN cat <<A >a && cat <<-\"B\" >b").unwrap();
        let names: Vec<_> = words.iter().map(|w| (w.heredoc.name.as_str(), w.span)).collect();
        assert_eq!(names, [("A", (8, 11)), ("B", (22, 28))]);
        assert_eq!(chomp("\t\ta\n\tb\nc"), "a\nb\nc");
    }
}
