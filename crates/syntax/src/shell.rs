//! BuildKit's shell word lexer (`frontend/dockerfile/shell`): quote removal, escapes and variable
//! expansion (`$A`, `${A}`, `${A:-x}`, `${A#pat}`, `${A/pat/repl}`, ...), and word splitting.
//!
//! This is a faithful port, quirks included: names use Go's Unicode classes, empty quoted words
//! vanish from word lists, and a nested `${A<op>...}` clears the half-built outer word in
//! [`Lexer::process_words`] (BuildKit's shared words buffer).

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::hash::Map;

use crate::go;

/// Variables visible to an expansion.
pub trait Env {
    /// The value of `name`, or `None` when it is not set (set-but-empty is `Some("")`).
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl<S: BuildHasher> Env for HashMap<String, String, S> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl<E: Env + ?Sized> Env for &E {
    fn lookup(&self, name: &str) -> Option<&str> {
        (**self).lookup(name)
    }
}

/// An environment with nothing set.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEnv;

impl Env for NoEnv {
    fn lookup(&self, _: &str) -> Option<&str> {
        None
    }
}

/// `KEY=value` entries where a later duplicate wins and `KEY` alone is set and empty
/// (BuildKit's `EnvsFromSlice`).
#[derive(Debug, Clone, Default)]
pub struct EnvList {
    map: Map<String, String>,
}

impl EnvList {
    /// Builds the list from `KEY=value` strings.
    pub fn from_entries<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> EnvList {
        let mut map = Map::default();
        for entry in entries {
            let entry = entry.as_ref();
            let (k, v) = entry.split_once('=').unwrap_or((entry, ""));
            map.insert(k.to_string(), v.to_string());
        }
        EnvList { map }
    }
}

impl Env for EnvList {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }
}

/// The result of expanding one word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded text, quotes and escapes removed (unless the lexer keeps them).
    pub result: String,
    /// Names looked up and found.
    pub matched: Names,
    /// Names looked up and not set.
    pub unmatched: Names,
}

/// The variable names an expansion looked up, sorted and each once (BuildKit keeps them in a
/// map; the order here makes reports reproducible). A word looks up few names, so they are
/// one vector rather than a B-tree with a node per set: collected as the lexer meets them, and
/// sorted and deduplicated whenever they have doubled since the last time and at the end, which
/// stays `n log n` and keeps as many names as the word has different ones (`$A$B$A$B…`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names(Vec<String>, usize);

impl Names {
    /// Adds a name while expanding; [`Names::finish`] sorts and deduplicates.
    fn push(&mut self, name: &str) {
        if self.0.last().is_none_or(|last| last != name) {
            self.0.push(name.to_string());
            if self.0.len() >= 2 * self.1.max(16) {
                self.sort();
            }
        }
    }

    fn sort(&mut self) {
        // (Through the shared sort: the standard library's would be another copy of its sort
        // code in the browser build.)
        crate::sort::sort_unstable_by(&mut self.0, |a, b| a.cmp(b));
        self.0.dedup();
        self.1 = self.0.len();
    }

    fn finish(mut self) -> Names {
        self.sort();
        self
    }

    /// Whether `name` was looked up.
    pub fn contains(&self, name: &str) -> bool {
        self.0.binary_search_by(|n| n.as_str().cmp(name)).is_ok()
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names in order.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a Names {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// An expansion failure, worded as BuildKit words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    /// The inner message (`syntax error: missing '}'`, `FOO: is not allowed to be unset`, ...).
    pub message: String,
    /// The whole input word.
    pub input: String,
    /// Names looked up and not set before the expansion failed: BuildKit's `ProcessWord` returns
    /// them with its error, and its callers lint them (UndefinedArgInFrom, UndefinedVar) before
    /// they fail the build. Empty for the word-splitting forms, which look up nothing for a lint.
    pub unmatched: Names,
}

impl std::fmt::Display for ShellError {
    /// BuildKit's full text: `failed to process "<input>": <message>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "failed to process {}: {}", go::quote_str(&self.input), self.message)
    }
}

impl std::error::Error for ShellError {}

/// The names an expansion looked up and found unset, whether it succeeded or failed (BuildKit
/// lints them either way).
pub fn unmatched(result: &Result<Expansion, ShellError>) -> &Names {
    match result {
        Ok(e) => &e.unmatched,
        Err(e) => &e.unmatched,
    }
}

/// A configured lexer (BuildKit's `shell.Lex`).
#[derive(Debug, Clone, Copy)]
pub struct Lexer {
    escape: char,
    /// Keep quote characters in the output.
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Treat quotes as ordinary characters.
    pub skip_process_quotes: bool,
    /// Leave references to unset variables as written.
    pub skip_unset_env: bool,
}

impl Lexer {
    /// A lexer with the file's escape character (`\` or `` ` ``) and no flags.
    pub fn new(escape: char) -> Lexer {
        Lexer { escape, raw_quotes: false, raw_escapes: false, skip_process_quotes: false, skip_unset_env: false }
    }

    /// The escape character it was made with.
    pub fn escape(&self) -> char {
        self.escape
    }

    /// `ProcessWordWithMatches`: the expanded string plus the names it looked up.
    ///
    /// (Not [`Lexer::process_word_within`] with a word's budget: the browser build would carry
    /// the file budget's code and message, 190 B gzipped.)
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<Expansion, ShellError> {
        if self.is_literal(word) {
            return Ok(Expansion { result: word.to_string(), ..Expansion::default() });
        }
        let mut sw = ShellWord::new(self, word, env, true);
        match sw.process() {
            Ok((result, _)) => Ok(Expansion { result, matched: sw.matched.finish(), unmatched: sw.unmatched.finish() }),
            Err(message) => Err(ShellError { message, input: word.to_string(), unmatched: sw.unmatched.finish() }),
        }
    }

    /// [`Lexer::process_word`] whose patterns take their steps from `steps_left`, what is left
    /// of a budget of a whole file's (see [`MAX_FILE_MATCH_STEPS`]): each word still takes at
    /// most [`MAX_MATCH_STEPS`], and fewer when the budget has fewer left.
    pub fn process_word_within(
        &self,
        word: &str,
        env: &dyn Env,
        steps_left: &mut usize,
    ) -> Result<Expansion, ShellError> {
        if self.is_literal(word) {
            return Ok(Expansion { result: word.to_string(), ..Expansion::default() });
        }
        let mut sw = ShellWord::new(self, word, env, true);
        match sw.process_within(steps_left) {
            Ok((result, _)) => Ok(Expansion { result, matched: sw.matched.finish(), unmatched: sw.unmatched.finish() }),
            Err(message) => Err(ShellError { message, input: word.to_string(), unmatched: sw.unmatched.finish() }),
        }
    }

    /// [`Lexer::process_words`] within a file's budget of steps, as
    /// [`Lexer::process_word_within`].
    pub fn process_words_within(
        &self,
        word: &str,
        env: &dyn Env,
        steps_left: &mut usize,
    ) -> Result<Vec<String>, ShellError> {
        let mut sw = ShellWord::new(self, word, env, false);
        match sw.process_within(steps_left) {
            Ok((_, words)) => Ok(words),
            Err(message) => Err(ShellError { message, input: word.to_string(), unmatched: Names::default() }),
        }
    }

    /// A word with nothing for the lexer to do (no variables, quotes or escapes) expands to
    /// itself.
    pub fn is_literal(&self, word: &str) -> bool {
        !word.starts_with('\u{FEFF}')
            && !word.bytes().any(|b| matches!(b, b'$' | b'\'' | b'"' | b'\\' | b'`'))
            && !word.contains(self.escape)
    }

    /// `ProcessWords`: the expanded text split into words.
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ShellError> {
        let mut sw = ShellWord::new(self, word, env, false);
        match sw.process() {
            Ok((_, words)) => Ok(words),
            Err(message) => Err(ShellError { message, input: word.to_string(), unmatched: Names::default() }),
        }
    }

    /// Splits `word` into words and reports where each starts and ends in `word` (byte offsets;
    /// the end is after the last character the word consumed). Used to locate heredoc markers.
    pub(crate) fn process_words_with_spans(
        &self,
        word: &str,
        env: &dyn Env,
    ) -> Result<Vec<(String, usize, usize)>, ShellError> {
        let mut sw = ShellWord::new(self, word, env, false);
        sw.track_spans = true;
        match sw.process() {
            Ok((_, words)) => {
                // (A loop that pushes: a zipped iterator collected is larger in the browser build.)
                let mut out = Vec::with_capacity(words.len());
                for (i, w) in words.into_iter().enumerate() {
                    let Some(&(s, e)) = sw.spans.get(i) else { break };
                    out.push((w, s, e));
                }
                Ok(out)
            }
            Err(message) => Err(ShellError { message, input: word.to_string(), unmatched: Names::default() }),
        }
    }
}

type Inner<T> = Result<T, String>;

/// How deep variable expansions may nest (see `ShellWord::process_stop_on`).
pub const MAX_NESTING: usize = 100;

/// How much longer than the word itself a word's expansion may grow: 128 KiB, the most Linux
/// passes in one environment string (`MAX_ARG_STRLEN`). A variable built from itself twice
/// (`ENV A=$A$A`) doubles at each step, and BuildKit would follow it until memory runs out; an
/// editor cannot, so expansion stops here with an error (see `ShellWord::check_length`).
pub const MAX_EXPANSION: usize = 128 * 1024;

struct ShellWord<'a> {
    text: &'a str,
    pos: usize,
    escape: char,
    raw_quotes: bool,
    raw_escapes: bool,
    skip_process_quotes: bool,
    skip_unset_env: bool,
    env: &'a dyn Env,
    capture: bool,
    matched: Names,
    unmatched: Names,
    /// Whether the caller wants the split words (`ProcessWords`); `ProcessWord` only needs the
    /// expanded string, which never depends on them, so the splitting is skipped.
    want_words: bool,
    /// BuildKit shares one word buffer between nested calls; see the module docs.
    words_buffer: String,
    /// Word spans for the top-level call (start of the word's first char, end of its last).
    track_spans: bool,
    depth: usize,
    spans: Vec<(usize, usize)>,
    word_start: Option<usize>,
    /// The pattern matcher's steps so far (see [`MAX_MATCH_STEPS`]).
    match_steps: usize,
}

/// Per-call word list (`wordsStruct` minus its buffer).
#[derive(Default)]
struct Words {
    words: Vec<String>,
    in_word: bool,
}

impl<'a> ShellWord<'a> {
    fn new(lex: &Lexer, text: &'a str, env: &'a dyn Env, capture: bool) -> Self {
        // text/scanner skips a byte-order mark at the very start.
        let pos = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
        ShellWord {
            text,
            pos,
            escape: lex.escape,
            raw_quotes: lex.raw_quotes,
            raw_escapes: lex.raw_escapes,
            skip_process_quotes: lex.skip_process_quotes,
            skip_unset_env: lex.skip_unset_env,
            env,
            capture,
            matched: Names::default(),
            unmatched: Names::default(),
            want_words: !capture,
            words_buffer: String::new(),
            track_spans: false,
            depth: 0,
            spans: Vec::new(),
            word_start: None,
            match_steps: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// [`ShellWord::process`] with the patterns' steps taken from `steps_left` (at most
    /// [`MAX_MATCH_STEPS`] of them): a word stopped by a budget that had fewer left says it was
    /// the file's.
    fn process_within(&mut self, steps_left: &mut usize) -> Inner<(String, Vec<String>)> {
        let start = MAX_MATCH_STEPS - (*steps_left).min(MAX_MATCH_STEPS);
        self.match_steps = start;
        let result = self.process();
        *steps_left = steps_left.saturating_sub(self.match_steps - start);
        result.map_err(|message| if message == WORD_STEPS && start > 0 { FILE_STEPS.to_string() } else { message })
    }

    fn process(&mut self) -> Inner<(String, Vec<String>)> {
        let raw = self.raw_escapes;
        self.process_stop_on(None, raw)
    }

    // ---- words ----

    fn note_word_start(&mut self, at: usize) {
        if self.track_spans && self.depth == 1 && self.word_start.is_none() {
            self.word_start = Some(at);
        }
    }

    fn flush_word(&mut self, words: &mut Words, end: usize) {
        if !self.words_buffer.is_empty() {
            words.words.push(std::mem::take(&mut self.words_buffer));
            if self.track_spans && self.depth == 1 {
                self.spans.push((self.word_start.unwrap_or(end), end));
            }
        }
        if self.depth == 1 {
            self.word_start = None;
        }
        words.in_word = false;
    }

    fn add_char(&mut self, words: &mut Words, c: char, at: usize) {
        if !self.want_words {
            return;
        }
        if go::is_space(c) {
            if words.in_word {
                self.flush_word(words, at);
            }
        } else {
            self.add_raw_char(words, c, at);
        }
    }

    fn add_raw_char(&mut self, words: &mut Words, c: char, at: usize) {
        if !self.want_words {
            return;
        }
        self.note_word_start(at);
        self.words_buffer.push(c);
        words.in_word = true;
    }

    fn add_string(&mut self, words: &mut Words, s: &str, at: usize) {
        if !self.want_words {
            return;
        }
        for c in s.chars() {
            self.add_char(words, c, at);
        }
    }

    fn add_raw_string(&mut self, words: &mut Words, s: &str, at: usize) {
        if !self.want_words {
            return;
        }
        self.note_word_start(at);
        self.words_buffer.push_str(s);
        words.in_word = true;
    }

    fn get_words(&mut self, mut words: Words) -> Vec<String> {
        let end = self.pos;
        if !self.words_buffer.is_empty() {
            words.words.push(std::mem::take(&mut self.words_buffer));
            if self.track_spans && self.depth == 1 {
                self.spans.push((self.word_start.unwrap_or(end), end));
            }
        }
        words.words
    }

    // ---- the loop ----

    fn process_stop_on(&mut self, stop: Option<char>, raw_escapes: bool) -> Inner<(String, Vec<String>)> {
        // Each level of `${A:-${B:-...}}` is a level of this recursion. BuildKit's (Go) stacks
        // grow; ours do not (a browser's least of all), so expansion stops with an error here.
        if self.depth >= MAX_NESTING {
            return Err(format!(
                "variable expansion nested more than {MAX_NESTING} levels deep: stagecraft stops there (BuildKit would go on); flatten it with intermediate ARGs"
            ));
        }
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        self.depth += 1;
        let out = self.process_stop_on_inner(stop);
        self.depth -= 1;
        self.raw_escapes = saved;
        out
    }

    fn process_stop_on_inner(&mut self, stop: Option<char>) -> Inner<(String, Vec<String>)> {
        let mut result = String::new();
        self.words_buffer.clear();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            let at = self.pos;
            if stop == Some(ch) {
                self.next();
                return Ok((result, self.get_words(words)));
            }
            if ch == '$' {
                let tmp = self.process_dollar()?;
                self.push_checked(&mut result, &tmp)?;
                self.add_string(&mut words, &tmp, at);
            } else if ch == '<' {
                let tmp = self.process_possible_heredoc();
                result.push_str(&tmp);
                self.add_raw_string(&mut words, &tmp, at);
            } else if !self.skip_process_quotes && ch == '\'' {
                let tmp = self.process_single_quote()?;
                result.push_str(&tmp);
                self.add_raw_string(&mut words, &tmp, at);
            } else if !self.skip_process_quotes && ch == '"' {
                let tmp = self.process_double_quote()?;
                self.push_checked(&mut result, &tmp)?;
                self.add_raw_string(&mut words, &tmp, at);
            } else {
                self.next();
                if ch == self.escape {
                    if self.raw_escapes {
                        self.add_raw_char(&mut words, ch, at);
                        result.push(ch);
                    }
                    let Some(escaped) = self.next() else { break };
                    self.add_raw_char(&mut words, escaped, at);
                    result.push(escaped);
                } else {
                    self.add_char(&mut words, ch, at);
                    result.push(ch);
                }
            }
        }
        if let Some(stop) = stop {
            return Err(format!("unexpected end of statement while looking for matching {stop}"));
        }
        // Text after the last variable counts too.
        self.check_length(&result)?;
        Ok((result, self.get_words(words)))
    }

    /// The limit of [`MAX_EXPANSION`]: text a word expands to may be up to 128 KiB longer than
    /// the word.
    fn check_length(&self, result: &str) -> Inner<()> {
        if result.len() > self.limit() {
            return Err(format!(
                "the expansion grows more than {} KiB longer than the word, the most Linux passes in one environment string: stagecraft stops there (BuildKit would go on until memory runs out); look for a variable built from itself more than once, such as `ENV A=$A$A`, a very long value used many times, or one value longer than 128 KiB",
                MAX_EXPANSION / 1024
            ));
        }
        Ok(())
    }

    /// Adds an expansion (or a quoted part holding one) to `result`, within the limit.
    fn push_checked(&self, result: &mut String, piece: &str) -> Inner<()> {
        result.push_str(piece);
        self.check_length(result)
    }

    fn limit(&self) -> usize {
        self.text.len() + MAX_EXPANSION
    }

    /// `<<` keeps the blanks after it in its word, so `<<  EOF` stays one heredoc word.
    fn process_possible_heredoc(&mut self) -> String {
        self.next();
        if self.peek() != Some('<') {
            return "<".into();
        }
        self.next();
        let mut result = String::from("<<");
        while let Some(c) = self.peek().filter(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
            self.next();
            result.push(c);
        }
        result
    }

    fn process_single_quote(&mut self) -> Inner<String> {
        self.next();
        let mut result = String::new();
        if self.raw_quotes {
            result.push('\'');
        }
        loop {
            match self.next() {
                None => return Err("unexpected end of statement while looking for matching single-quote".into()),
                Some('\'') => {
                    if self.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(c) => result.push(c),
            }
        }
    }

    fn process_double_quote(&mut self) -> Inner<String> {
        self.next();
        let mut result = String::new();
        if self.raw_quotes {
            result.push('"');
        }
        loop {
            match self.peek() {
                None => return Err("unexpected end of statement while looking for matching double-quote".into()),
                Some('"') => {
                    self.next();
                    if self.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let tmp = self.process_dollar()?;
                    self.push_checked(&mut result, &tmp)?;
                }
                Some(_) => {
                    let mut ch = self.next().unwrap_or('\0');
                    if ch == self.escape {
                        if self.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(c) if c == '"' || c == '$' || c == self.escape => ch = self.next().unwrap_or(c),
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn get_env(&mut self, name: &str) -> Option<&'a str> {
        let env: &'a dyn Env = self.env;
        match env.lookup(name) {
            Some(v) => {
                if self.capture {
                    self.matched.push(name);
                }
                Some(v)
            }
            None => {
                if self.capture {
                    self.unmatched.push(name);
                }
                None
            }
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && go::is_digit(ch) {
                while let Some(d) = self.peek().filter(|&c| go::is_digit(c)) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !go::is_letter(ch) && !go::is_digit(ch) && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    /// A `$` expansion: the variable's value is borrowed from the environment when it is used
    /// as is.
    fn process_dollar(&mut self) -> Inner<Cow<'a, str>> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok(Cow::Borrowed("$"));
            }
            return Ok(match self.get_env(&name) {
                Some(v) => Cow::Borrowed(v),
                None if self.skip_unset_env => Cow::Owned(format!("${name}")),
                None => Cow::Borrowed(""),
            });
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            Some(_) => {}
        }
        let name = self.process_name();
        let mut ch = self.next();
        let mut chs = ch.map_or_else(|| '\u{FFFD}'.to_string(), |c| c.to_string());
        let mut null_is_unset = false;
        match ch {
            Some('}') => {
                return Ok(match self.get_env(&name) {
                    Some(v) => Cow::Borrowed(v),
                    None if self.skip_unset_env => Cow::Owned(format!("${{{name}}}")),
                    None => Cow::Borrowed(""),
                });
            }
            Some('/') => return self.replacement(&name).map(Cow::Owned),
            Some(':') => {
                null_is_unset = true;
                ch = self.next();
                chs.push(ch.unwrap_or('\u{FFFD}'));
            }
            Some('+' | '-' | '?' | '#' | '%') => {}
            _ => return Err(format!("unsupported modifier ({chs}) in substitution")),
        }
        // The operator forms (also reached with any character after ':').
        let raw = matches!(ch, Some('#' | '%'));
        if null_is_unset && raw {
            return Err(format!("unsupported modifier ({chs}) in substitution"));
        }
        let word = match self.process_stop_on(Some('}'), raw) {
            Ok((word, _)) => word,
            Err(e) => {
                return Err(if self.peek().is_none() { "syntax error: missing '}'".into() } else { e });
            }
        };
        let value = self.get_env(&name);
        if self.skip_unset_env && value.is_none() {
            return Ok(Cow::Owned(format!("${{{name}{chs}{word}}}")));
        }
        let set = value.is_some();
        let value = value.unwrap_or_default();
        let use_word = !set || (null_is_unset && value.is_empty());
        match ch {
            Some('-') => Ok(if use_word { Cow::Owned(word) } else { Cow::Borrowed(value) }),
            Some('+') => Ok(Cow::Owned(if use_word { String::new() } else { word })),
            Some('?') => {
                if !set {
                    let msg = if word.is_empty() { "is not allowed to be unset".to_string() } else { word };
                    return Err(format!("{name}: {msg}"));
                }
                if null_is_unset && value.is_empty() {
                    let msg = if word.is_empty() { "is not allowed to be empty".to_string() } else { word };
                    return Err(format!("{name}: {msg}"));
                }
                Ok(Cow::Borrowed(value))
            }
            Some(op @ ('#' | '%')) => {
                let mut pattern = word.as_str();
                let greedy = pattern.as_bytes().first() == Some(&(op as u8));
                if greedy {
                    pattern = &pattern[1..];
                }
                let steps = &mut self.match_steps;
                if op == '%' {
                    trim_suffix(pattern, value, greedy, steps).map(Cow::Owned)
                } else {
                    trim_prefix(pattern, value, greedy, steps).map(Cow::Owned)
                }
            }
            _ => Err(format!("unsupported modifier ({chs}) in substitution")),
        }
    }

    /// `${name/pattern/replacement}` and `${name//pattern/replacement}`.
    fn replacement(&mut self, name: &str) -> Inner<String> {
        let replace_all = self.peek() == Some('/');
        if replace_all {
            self.next();
        }
        let pattern = match self.process_stop_on(Some('/'), true) {
            Ok((p, _)) => p,
            Err(e) => return Err(if self.peek().is_none() { "syntax error: missing '/' in ${}".into() } else { e }),
        };
        let replacement = match self.process_stop_on(Some('}'), true) {
            Ok((r, _)) => r,
            Err(e) => return Err(if self.peek().is_none() { "syntax error: missing '}'".into() } else { e }),
        };
        let value = self.get_env(name);
        if self.skip_unset_env && value.is_none() {
            return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
        }
        let value = value.unwrap_or_default();
        let glob = Glob::compile(&pattern).map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
        let out = if replace_all {
            glob.replace_all(value, &replacement, self.limit(), &mut self.match_steps)?
        } else {
            match glob.matcher(value, &mut self.match_steps).find(0)? {
                Some((s, e)) => format!("{}{}{}", &value[..s], replacement, &value[e..]),
                None => value.to_string(),
            }
        };
        // (Checked where it is added to the word, as every expansion is.)
        Ok(out)
    }
}

/// `steps`: the matcher's steps so far in this word (see [`MAX_MATCH_STEPS`]).
fn trim_prefix(pattern: &str, value: &str, greedy: bool, steps: &mut usize) -> Inner<String> {
    let glob =
        Glob::compile_with(pattern, greedy).map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
    Ok(match glob.matcher(value, steps).match_at(0)? {
        Some(end) => value[end..].to_string(),
        None => value.to_string(),
    })
}

fn trim_suffix(pattern: &str, value: &str, greedy: bool, steps: &mut usize) -> Inner<String> {
    let reversed_pattern = reverse_pattern(pattern);
    let reversed_value: String = value.chars().rev().collect();
    let trimmed = trim_prefix(&reversed_pattern, &reversed_value, greedy, steps)?;
    Ok(trimmed.chars().rev().collect())
}

/// Reverses a pattern while keeping each `\x` pair in order.
fn reverse_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = vec!['\0'; chars.len()];
    let last = chars.len().saturating_sub(1);
    let mut i = 0;
    while i < chars.len() {
        let out_idx = last - i;
        if chars[i] == '\\' && i != last {
            out[out_idx - 1] = '\\';
            out[out_idx] = chars[i + 1];
            i += 2;
        } else {
            out[out_idx] = chars[i];
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// A shell pattern (`*`, `?`, literals) matched with the leftmost-first preference of the Go
/// regular expression BuildKit builds from it. `*` and `?` never match a newline.
#[derive(Debug)]
struct Glob {
    tokens: Vec<GlobToken>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum GlobToken {
    Star { greedy: bool },
    Any,
    Lit(char),
}

impl Glob {
    fn compile(pattern: &str) -> Result<Glob, String> {
        Self::compile_with(pattern, true)
    }

    /// `convertShellPatternToRegex` without the regex.
    fn compile_with(pattern: &str, greedy: bool) -> Result<Glob, String> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => tokens.push(GlobToken::Star { greedy }),
                '?' => tokens.push(GlobToken::Any),
                '\\' => {
                    if let Some('}' | '/') = chars.peek() {
                        continue;
                    }
                    match chars.next() {
                        Some(t @ ('*' | '?' | '\\')) => tokens.push(GlobToken::Lit(t)),
                        other => return Err(format!("invalid escape '\\{}'", other.unwrap_or('\u{FFFD}'))),
                    }
                }
                c => tokens.push(GlobToken::Lit(c)),
            }
        }
        Ok(Glob { tokens })
    }

    /// A matcher of this pattern against `value`, counting its steps on from `steps` (those
    /// of the word's other patterns).
    fn matcher<'g, 'v, 's>(&'g self, value: &'v str, steps: &'s mut usize) -> Matcher<'g, 'v, 's> {
        let states = self.tokens.len() + 1;
        Matcher {
            glob: self,
            value,
            current: Vec::with_capacity(states),
            next: Vec::with_capacity(states),
            stack: Vec::new(),
            seen: vec![0; states],
            generation: 0,
            steps,
        }
    }

    /// Go's `Regexp.ReplaceAllString`, including its `$` template expansion (the pattern has no
    /// groups, so `$0` is the match and every other reference is empty). Stops once the text
    /// grows past `limit`, which the caller then refuses.
    fn replace_all(&self, src: &str, template: &str, limit: usize, steps: &mut usize) -> Inner<String> {
        let mut m = self.matcher(src, steps);
        let mut out = String::new();
        let mut last_end = 0;
        let mut search = 0;
        while search <= src.len() && out.len() <= limit {
            let Some((a, b)) = m.find(search)? else {
                break;
            };
            out.push_str(&src[last_end..a]);
            if b > last_end || a == 0 {
                expand_template(&mut out, template, &src[a..b], limit);
            }
            last_end = b;
            let width = src[search..].chars().next().map_or(0, char::len_utf8);
            if search + width > b {
                search += width;
            } else if search + 1 > b {
                search += 1;
            } else {
                search = b;
            }
        }
        out.push_str(&src[last_end.min(src.len())..]);
        Ok(out)
    }
}

/// How many thread steps the patterns of one word may take before stagecraft gives up
/// (BuildKit's regular expressions would go on): 16 million, a tenth of a second natively. A
/// pattern that matches as it reads takes a step or two per character of the value; one whose
/// every start stays alive, such as 50,000 `a`s and a `c` against as many `a`s, takes the
/// product of the two lengths.
pub const MAX_MATCH_STEPS: usize = 1 << 24;

/// How many steps the patterns of a whole file may take, where the caller keeps count
/// ([`Lexer::process_word_within`]): 64 million. Thousands of words each just within their own
/// 16 million took a minute (4,000 `${A/aaaa…c/x}` against one long value).
pub const MAX_FILE_MATCH_STEPS: usize = 1 << 26;

/// Why a word's patterns stop.
const WORD_STEPS: &str = "the patterns of this word take more than 16 million steps to match against their values: stagecraft stops there (BuildKit would go on); a shorter pattern, or one that fails sooner (a literal first), is matched in fewer";

/// Why a word's patterns stop when the file's budget is spent.
const FILE_STEPS: &str = "the patterns of this file take more than 64 million steps in all to match against their values: stagecraft stops there (BuildKit would go on); shorter patterns, or ones that fail sooner (a literal first), are matched in fewer";

/// A [`Glob`] run against one value as Go's regular expressions run (a Pike VM): every thread
/// of the pattern advances one character at a time, in the order of preference of Go's
/// leftmost-first matching, so no state is tried twice. Time is the value's length times the
/// threads alive at once, memory the pattern's length, and nothing recurses.
struct Matcher<'g, 'v, 's> {
    glob: &'g Glob,
    value: &'v str,
    /// The threads alive, most preferred first: the token each is at and where its match
    /// started. (Plain pairs, like the word spans: one copy of `Vec`'s code in the browser.)
    current: Vec<(usize, usize)>,
    next: Vec<(usize, usize)>,
    /// Tokens still to add to the list being built, and whether each is only to be emitted (1).
    stack: Vec<(usize, usize)>,
    /// The generation in which each token was last added to a list.
    seen: Vec<usize>,
    generation: usize,
    /// The steps of the word's patterns so far, this one's included.
    steps: &'s mut usize,
}

impl Matcher<'_, '_, '_> {
    /// The preferred end of a match that starts exactly at `start`.
    fn match_at(&mut self, start: usize) -> Inner<Option<usize>> {
        Ok(self.run(start, true)?.map(|(_, end)| end))
    }

    /// The leftmost match starting at or after `from`.
    fn find(&mut self, from: usize) -> Inner<Option<(usize, usize)>> {
        self.run(from, false)
    }

    fn run(&mut self, from: usize, anchored: bool) -> Inner<Option<(usize, usize)>> {
        let accept = self.glob.tokens.len();
        let mut current = std::mem::take(&mut self.current);
        let mut next = std::mem::take(&mut self.next);
        current.clear();
        let mut matched = None;
        let mut pos = from;
        self.generation += 1;
        loop {
            // A match may start here, after every thread already running (they started earlier).
            if matched.is_none() && (!anchored || pos == from) {
                self.add(&mut current, 0, pos);
            }
            if current.is_empty() {
                break;
            }
            *self.steps += current.len();
            if *self.steps > MAX_MATCH_STEPS {
                return Err(WORD_STEPS.into());
            }
            let c = self.value[pos..].chars().next();
            self.generation += 1;
            next.clear();
            for &(token, start) in &current {
                if token == accept {
                    // Every thread after this one is less preferred.
                    matched = Some((start, pos));
                    break;
                }
                let to = match (self.glob.tokens[token], c) {
                    (GlobToken::Lit(l), Some(c)) if l == c => token + 1,
                    (GlobToken::Any, Some(c)) if c != '\n' => token + 1,
                    (GlobToken::Star { .. }, Some(c)) if c != '\n' => token,
                    _ => continue,
                };
                self.add(&mut next, to, start);
            }
            let Some(c) = c else { break };
            pos += c.len_utf8();
            std::mem::swap(&mut current, &mut next);
        }
        self.current = current;
        self.next = next;
        Ok(matched)
    }

    /// Adds the thread at `token` and every token it reaches without reading, in order of
    /// preference: a greedy `*` first goes on reading, a lazy one first tries what follows.
    fn add(&mut self, list: &mut Vec<(usize, usize)>, token: usize, start: usize) {
        self.stack.push((token, 0));
        while let Some((token, emit)) = self.stack.pop() {
            if emit == 1 {
                list.push((token, start));
                continue;
            }
            if self.seen[token] == self.generation {
                continue;
            }
            self.seen[token] = self.generation;
            match self.glob.tokens.get(token) {
                Some(GlobToken::Star { greedy: true }) => {
                    list.push((token, start));
                    self.stack.push((token + 1, 0));
                }
                Some(GlobToken::Star { greedy: false }) => {
                    self.stack.push((token, 1));
                    self.stack.push((token + 1, 0));
                }
                _ => list.push((token, start)),
            }
        }
    }
}

/// Go's `Regexp.Expand` for a match without capture groups.
/// Stops once `out` is past `limit` (many `$0`s would multiply the match); the caller refuses
/// such a text.
fn expand_template(out: &mut String, template: &str, matched: &str, limit: usize) {
    let mut t = template;
    while let Some(i) = t.find('$') {
        if out.len() > limit {
            return;
        }
        out.push_str(&t[..i]);
        t = &t[i + 1..];
        if let Some(rest) = t.strip_prefix('$') {
            out.push('$');
            t = rest;
            continue;
        }
        let (brace, body) = match t.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, t),
        };
        let name_len = body.find(|c: char| !(go::is_letter(c) || go::is_digit(c) || c == '_')).unwrap_or(body.len());
        if name_len == 0 || (brace && !body[name_len..].starts_with('}')) {
            out.push('$');
            continue;
        }
        let name = &body[..name_len];
        t = &body[name_len + usize::from(brace)..];
        if name == "0" {
            out.push_str(matched);
        }
    }
    out.push_str(t);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> EnvList {
        EnvList::from_entries(["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="])
    }

    fn word(input: &str) -> Result<String, String> {
        Lexer::new('\\').process_word(input, &env()).map(|e| e.result).map_err(|e| e.message)
    }

    /// Names met again and again, not one after the other, are kept once each while the word
    /// is expanded, not once per lookup.
    #[test]
    fn names_stay_as_many_as_the_word_has() {
        let mut names = Names::default();
        for i in 0..100_000 {
            names.push(["B", "A", "C"][i % 3]);
        }
        assert!(names.0.len() <= 32, "{} kept", names.0.len());
        let names = names.finish();
        assert_eq!(names.iter().collect::<Vec<_>>(), ["A", "B", "C"]);
        let e = Lexer::new('\\').process_word(&"$PWD$SHELL$NULL$NOPE".repeat(3), &env()).unwrap();
        assert_eq!(e.matched.iter().collect::<Vec<_>>(), ["NULL", "PWD", "SHELL"]);
        assert_eq!(e.unmatched.iter().collect::<Vec<_>>(), ["NOPE"]);
    }

    #[test]
    fn expands_like_buildkit() {
        assert_eq!(word("he${PWD:+${PWD}:}xx").unwrap(), "he/home:xx");
        assert_eq!(word(r"he${XXX:-\${PWD}z}xx").unwrap(), "he${PWDz}xx");
        assert_eq!(word("he${PWD").unwrap_err(), "unsupported modifier (\u{FFFD}) in substitution");
        assert_eq!(word("${aaa:-bbb").unwrap_err(), "syntax error: missing '}'");
        assert_eq!(word("${PWD##*/}").unwrap(), "home");
        assert_eq!(word("${PWD%/*}").unwrap(), "");
        assert_eq!(word("${PWD//o/0}").unwrap(), "/h0me");
        assert_eq!(word("$999aaa").unwrap(), "aaa");
    }

    #[test]
    fn patterns_reverse_with_escapes_kept_in_order() {
        assert_eq!(reverse_pattern(r"ab\*c"), r"c\*ba");
        assert_eq!(reverse_pattern(r"a\"), r"\a");
        assert_eq!(reverse_pattern(r"é\éx\\"), r"\\x\éé");
        assert_eq!(reverse_pattern(""), "");
    }

    #[test]
    fn words_split_and_spans() {
        let mut lex = Lexer::new('\\');
        lex.raw_quotes = true;
        lex.raw_escapes = true;
        lex.skip_unset_env = true;
        let w = lex.process_words_with_spans(r#"RUN  cat <<"EOF" 2<<-X"#, &NoEnv).unwrap();
        let texts: Vec<_> = w.iter().map(|(t, s, e)| (t.as_str(), *s, *e)).collect();
        assert_eq!(texts, [("RUN", 0, 3), ("cat", 5, 8), ("<<\"EOF\"", 9, 16), ("2<<-X", 17, 22)]);
    }

    /// Leftmost-first matching read off its definition: at each start, try the preferred
    /// choice first and backtrack (exponential, so only for short inputs).
    fn reference_match(tokens: &[GlobToken], value: &str, vi: usize) -> Option<usize> {
        let Some(&token) = tokens.first() else { return Some(vi) };
        let rest = &tokens[1..];
        let c = value[vi..].chars().next();
        match token {
            GlobToken::Lit(l) => c.filter(|&c| c == l).and_then(|c| reference_match(rest, value, vi + c.len_utf8())),
            GlobToken::Any => c.filter(|&c| c != '\n').and_then(|c| reference_match(rest, value, vi + c.len_utf8())),
            GlobToken::Star { greedy } => {
                let stop = value[vi..].find('\n').map_or(value.len(), |i| vi + i);
                let mut ends: Vec<usize> = value[vi..stop].char_indices().map(|(i, _)| vi + i).collect();
                ends.push(stop);
                if greedy {
                    ends.reverse();
                }
                ends.into_iter().find_map(|end| reference_match(rest, value, end))
            }
        }
    }

    #[test]
    fn matcher_agrees_with_backtracking() {
        // A small xorshift: the cases are the same on every run.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut pick = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let (mut found, mut anchored) = (0, 0);
        for _ in 0..20_000 {
            let pattern: String = (0..pick(6)).map(|_| ["a", "b", "*", "?", "\\*", "é", "\n"][pick(7)]).collect();
            let value: String = (0..pick(9)).map(|_| ["a", "b", "\n", "é", "*"][pick(5)]).collect();
            for greedy in [true, false] {
                let glob = Glob::compile_with(&pattern, greedy).unwrap();
                // One matcher for every question, as `replace_all` uses one.
                let mut steps = 0;
                let mut m = glob.matcher(&value, &mut steps);
                let expected = reference_match(&glob.tokens, &value, 0);
                assert_eq!(m.match_at(0).unwrap(), expected, "{pattern:?} at the start of {value:?}");
                anchored += usize::from(expected.is_some());
                let starts: Vec<usize> = value.char_indices().map(|(i, _)| i).chain([value.len()]).collect();
                for (k, &from) in starts.iter().enumerate() {
                    let expected =
                        starts[k..].iter().find_map(|&s| reference_match(&glob.tokens, &value, s).map(|e| (s, e)));
                    assert_eq!(m.find(from).unwrap(), expected, "{pattern:?} in {value:?} from {from}");
                    if from == 0 {
                        found += usize::from(expected.is_some());
                    }
                }
            }
        }
        // Both outcomes are well represented.
        assert!(found > 10_000 && found < 38_000 && anchored > 5_000 && anchored < 35_000, "{found} {anchored}");
    }

    #[test]
    fn long_patterns_and_values_neither_overflow_nor_hang() {
        let long = "a".repeat(100_000);
        let env = EnvList::from_entries([format!("A={long}b")]);
        let lex = Lexer::new('\\');
        let word = |w: &str| lex.process_word(w, &env).map(|e| e.result).map_err(|e| e.message);
        // A 100,000-character pattern that must match at the start (it once recursed once per
        // character, and overflowed the stack): one thread alive at a time.
        assert_eq!(word(&format!("${{A#{long}}}")).as_deref(), Ok("b"));
        assert_eq!(word(&format!("${{A%{long}b}}")).as_deref(), Ok(""));
        // A pattern that no start can finish: linear, not quadratic.
        assert_eq!(word("${A//a*c/x}").map(|r| r.len()), Ok(100_001));
        assert_eq!(word("${A//a/}").as_deref(), Ok("b"));
        // Every start alive at once, billions of steps: refused with a reason.
        let err = word(&format!("${{A/{}c/x}}", &long[..50_000])).unwrap_err();
        assert!(err.contains("16 million steps"), "{err}");
        // The budget is the word's, not each pattern's: one such pattern (100 threads alive
        // against 100,001 characters, 10 million steps) passes, two in one word do not.
        let pattern = format!("${{A/{}c/x}}", &long[..100]);
        assert_eq!(word(&pattern).map(|r| r.len()), Ok(100_001));
        let err = word(&format!("{pattern}{pattern}")).unwrap_err();
        assert!(err.contains("16 million steps"), "{err}");
        // Within a file's budget: words of 10 million steps each, six of them fit in 64 million,
        // the seventh fails with the file's reason; a word that needs no pattern still expands.
        let mut left = MAX_FILE_MATCH_STEPS;
        let within = |w: &str, left: &mut usize| lex.process_word_within(w, &env, left).map_err(|e| e.message);
        for _ in 0..6 {
            assert_eq!(within(&pattern, &mut left).map(|e| e.result.len()), Ok(100_001));
        }
        assert!(left < 10_000_000, "{left}");
        let err = within(&pattern, &mut left).unwrap_err();
        assert!(err.contains("patterns of this file take more than 64 million steps"), "{err}");
        assert_eq!(left, 0);
        assert_eq!(within("$A", &mut left).map(|e| e.result.len()), Ok(100_001));
        // One word alone still stops at its own 16 million, with its own reason.
        let mut left = MAX_FILE_MATCH_STEPS;
        let err = within(&format!("{pattern}{pattern}"), &mut left).unwrap_err();
        assert!(err.contains("patterns of this word take more than 16 million"), "{err}");
        let words = lex.process_words_within(&format!("{pattern}{pattern}"), &env, &mut 1_000).unwrap_err();
        assert!(words.message.contains("patterns of this file"), "{}", words.message);
    }

    #[test]
    fn expansion_stops_growing_past_the_limit() {
        let lex = Lexer::new('\\');
        let limit = |word: &str| word.len() + MAX_EXPANSION;
        // Doubling, bare and in double quotes: it stops once past the limit, with the reason,
        // and no result is longer.
        for word in ["$A$A", "\"$A\"\"$A\"", "\"$A$A\""] {
            let mut value = "x".to_string();
            loop {
                let env = EnvList::from_entries([format!("A={value}")]);
                match lex.process_word(word, &env) {
                    Ok(e) => {
                        assert!(e.result.len() <= limit(word), "{word}: {}", e.result.len());
                        value = e.result;
                    }
                    Err(e) => {
                        assert!(value.len() * 2 > limit(word), "{word}: {}", value.len());
                        assert!(e.message.contains("128 KiB longer than the word"), "{}", e.message);
                        break;
                    }
                }
            }
        }
        let long = "x".repeat(100_000);
        let env = EnvList::from_entries([format!("A={long}")]);
        let refused = |word: &str| {
            let err = lex.process_word(word, &env).map(|e| e.result.len()).unwrap_err();
            assert!(err.message.contains("128 KiB longer"), "{}", err.message);
        };
        refused("${A//x/yy}");
        // Many `$0`s in one replacement multiply the match: refused before they are all written
        // (3 GB of them).
        refused(&format!("${{A//*/'{}'}}", "$0".repeat(30_000)));
        let mut steps = 0;
        let out = Glob::compile("*").unwrap().replace_all(&long, &"$0".repeat(30_000), 1000, &mut steps).unwrap();
        assert!(out.len() <= 1000 + long.len(), "{}", out.len());
        // Text after the last variable counts: `$A` exactly at the limit, then ten more bytes.
        let word = format!("${{A}}{}", "z".repeat(10));
        let env = EnvList::from_entries([format!("A={}", "x".repeat(limit(&word)))]);
        let err = lex.process_word(&word, &env).map(|e| e.result.len()).unwrap_err();
        assert!(err.message.contains("128 KiB longer"), "{}", err.message);
        // A word longer than 128 KiB may still grow by 128 KiB: literal text never fails.
        let word = format!("{}$A", "z".repeat(MAX_EXPANSION + 10));
        let e = lex.process_word(&word, &EnvList::from_entries(["A=123"])).map(|e| e.result.len());
        assert_eq!(e, Ok(MAX_EXPANSION + 13));
    }

    /// The pattern matcher against BuildKit's reading of a pattern (`convertShellPatternToRegex`,
    /// written after BuildKit's code in `tools/oracle-go`) run by Go's regexp (Go 1.24 from
    /// Debian's archive): the escape errors, the anchored match of `${a#p}` and `${a##p}`, the
    /// leftmost match of `${a/p/r}`, and `ReplaceAllString` with its `$` template for
    /// `${a//p/r}`. Random patterns (escapes of every kind among them), values and templates. On
    /// demand (`tools/test.sh differential` runs it): `cargo test -p stagecraft-syntax --lib
    /// shell -- --ignored`.
    #[test]
    #[ignore = "needs Go from Debian's archive"]
    fn patterns_against_go() {
        use stagecraft_testkit::serde_json::json;
        const PATTERN: &[&str] = &[
            "*", "*", "?", "a", "b", "ab", "\\*", "\\?", "\\\\", "\\}", "\\/", ".", "é", "\n", "$", "{", "^", "[", "+",
            "|", "(", "\\a", "\\",
        ];
        const VALUE: &[&str] = &["a", "b", "ab", "é", "\n", "*", ".", "$", "aa", "", "{", "^", "}", "/", "[", "+"];
        const TEMPLATE: &[&str] =
            &["x", "", "$0", "${0}", "$1", "$$", "$x", "${x}", "${", "$", "$0$0", "a$", "${0", "$é", "$_", "$10"];
        let mut rng = stagecraft_testkit::Rng(0x005e_ed61);
        let pick = |rng: &mut stagecraft_testkit::Rng, xs: &[&str], n: usize| -> String {
            (0..rng.below(n + 1)).map(|_| xs[rng.below(xs.len())]).collect()
        };
        let cases: Vec<(String, bool, bool, String, String)> = (0..12_000)
            .map(|_| {
                let pattern = pick(&mut rng, PATTERN, 4);
                let (greedy, anchored) = (rng.below(2) == 0, rng.below(2) == 0);
                (pattern, greedy, anchored, pick(&mut rng, VALUE, 6), pick(&mut rng, TEMPLATE, 2))
            })
            .collect();
        let inputs: Vec<_> = cases
            .iter()
            .map(|(pattern, greedy, anchored, value, template)| {
                let c = json!({"Pattern": pattern, "Greedy": greedy, "Anchored": anchored, "Value": value, "Template": template});
                json!(["shellpattern", c.to_string()])
            })
            .collect();
        let theirs = stagecraft_testkit::go_lines("oracle-go", &["lines"], &inputs);
        let (mut differ, mut counts) = (Vec::new(), [0; 3]);
        for ((pattern, greedy, anchored, value, template), go) in cases.iter().zip(&theirs) {
            let mut steps = 0;
            let ours = match Glob::compile_with(pattern, *greedy) {
                Err(e) => {
                    counts[0] += 1;
                    json!({ "error": e })
                }
                Ok(glob) => {
                    let find = if *anchored {
                        glob.matcher(value, &mut steps).match_at(0).unwrap().map(|end| (0, end))
                    } else {
                        glob.matcher(value, &mut steps).find(0).unwrap()
                    };
                    counts[1 + usize::from(find.is_some())] += 1;
                    let mut out = json!({"find": find.map(|(a, b)| [a, b])});
                    if !*anchored {
                        out["replaced"] = json!(glob.replace_all(value, template, usize::MAX, &mut steps).unwrap());
                    }
                    out
                }
            };
            if ours != *go {
                differ.push(format!("{pattern:?} (greedy {greedy}, anchored {anchored}) on {value:?} ({template:?}): ours {ours}, Go's {go}"));
            }
        }
        stagecraft_testkit::assert_none_differ(&differ, cases.len());
        // Refused patterns, and matches and misses, each many times over.
        assert!(counts.iter().all(|&n| n > 1_000), "errors, misses, matches: {counts:?}");
    }
}
