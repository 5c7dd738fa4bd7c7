//! Parses one logical instruction line (continuations already joined) the way BuildKit's
//! `newNodeFromLine` does, and describes its tree as events over the logical text.
//!
//! Positions here are byte offsets into the logical line; the caller maps them back to the
//! source, inserting the continuation trivia that joining removed.

use crate::go;
use crate::json::{self, JsonArray};
use crate::SyntaxKind::{self, *};

/// How deep `ONBUILD ONBUILD ...` nests as nodes; deeper, the rest is the innermost trigger's
/// text (BuildKit refuses any chaining, so this is about the stack, not about meaning).
const MAX_ONBUILD_NESTING: u8 = 16;

/// How deep `${A:-${B:-...}}` nests as VARIABLE nodes; deeper, the rest is text.
const MAX_VAR_NESTING: usize = 64;

/// One step of the tree, in logical coordinates. Tokens are contiguous: each ends where the
/// next begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Start(SyntaxKind),
    Token(SyntaxKind, u32),
    Finish,
    /// Where heredoc bodies go: the end of the instruction that reads them.
    HeredocSlot,
}

/// An error in logical coordinates.
#[derive(Debug, Clone)]
pub(crate) struct LineError {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) message: String,
}

/// What the caller needs to know beyond the events.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineInfo {
    /// BuildKit's `canContainHeredoc`: RUN/COPY/ADD (or ONBUILD around one) in shell form.
    pub(crate) heredoc_capable: bool,
}

pub(crate) struct LineParser<'a> {
    line: &'a str,
    bytes: &'a [u8],
    escape: u8,
    pos: usize,
    pub(crate) events: Vec<Event>,
    pub(crate) errors: Vec<LineError>,
}

const RE_WHITESPACE: [u8; 5] = [b'\t', 0x0b, 0x0c, b'\r', b' '];

fn is_re_ws(b: u8) -> bool {
    RE_WHITESPACE.contains(&b)
}

impl<'a> LineParser<'a> {
    /// A parser for `line`, writing into `events` (cleared first, so callers can reuse it).
    pub(crate) fn new(line: &'a str, escape: u8, mut events: Vec<Event>) -> Self {
        events.clear();
        LineParser { line, bytes: line.as_bytes(), escape, pos: 0, events, errors: Vec::new() }
    }

    /// Parses the whole line as one instruction.
    pub(crate) fn parse(mut self) -> (Vec<Event>, Vec<LineError>, LineInfo) {
        let len = self.line.len();
        let capable = self.instruction(0, len, 0);
        (self.events, self.errors, LineInfo { heredoc_capable: capable })
    }

    // ---- event helpers ----

    fn start(&mut self, kind: SyntaxKind) {
        self.events.push(Event::Start(kind));
    }

    fn finish(&mut self) {
        self.events.push(Event::Finish);
    }

    /// A token from the current position to `end` (moved forward to a char boundary).
    fn token(&mut self, kind: SyntaxKind, end: usize) {
        let mut end = end.min(self.line.len());
        while !self.line.is_char_boundary(end) {
            end += 1;
        }
        if end <= self.pos {
            return;
        }
        self.events.push(Event::Token(kind, end as u32));
        self.pos = end;
    }

    /// The first character boundary at or after `pos`.
    fn ceil_char(&self, mut pos: usize) -> usize {
        while !self.line.is_char_boundary(pos) {
            pos += 1;
        }
        pos
    }

    fn error(&mut self, start: usize, end: usize, message: impl Into<String>) {
        self.errors.push(LineError { start, end, message: message.into() });
    }

    // ---- the instruction ----

    /// `newNodeFromLine` over `line[from..to]`. `depth` is 0 for the instruction itself and 1 for
    /// the trigger of an ONBUILD; returns BuildKit's `canContainHeredoc` for this node.
    fn instruction(&mut self, from: usize, to: usize, depth: u8) -> bool {
        let (s, e) = trim_range(self.line, from, to);
        let kw_end = (s..e).find(|&i| is_re_ws(self.bytes[i])).unwrap_or(e);
        let keyword = &self.line[s..kw_end];
        let kind = if keyword.is_ascii() {
            SyntaxKind::from_keyword(keyword)
        } else {
            // Go lower-cases rune by rune, so e.g. a Kelvin sign reads as `k`.
            SyntaxKind::from_keyword(&go::to_lower(keyword))
        };
        self.start(kind);
        // Blanks before the keyword are the instruction's: only a line that starts with a lone
        // escape character has them (`\` and then `  RUN x`: BuildKit's instruction starts at
        // the `\` line and its `Original` keeps the blanks, since continuation lines are not
        // trimmed).
        self.token(WHITESPACE, s);
        self.token(KEYWORD, kw_end);
        let mut json = false;
        let mut trigger_capable = false;
        if kw_end < e {
            let mut after = kw_end;
            while after < e && is_re_ws(self.bytes[after]) {
                after += 1;
            }
            self.token(WHITESPACE, after);
            // BuildKit's byte-wise loop can stop inside a character (0x85 and 0xA0 count as
            // spaces); the tree keeps whole characters.
            let args_end_of_flags = self.flags(after, e);
            let args_start = self.ceil_char(args_end_of_flags);
            let (a_s, _) = trim_range(self.line, args_start, e);
            self.token(WHITESPACE, a_s);
            if kind == ONBUILD_INSTR && depth < MAX_ONBUILD_NESTING {
                if a_s < e {
                    // The trigger runs to the end of the line, so that text after it (and any
                    // heredoc bodies it reads) stays in source order inside it.
                    trigger_capable = self.instruction(a_s, to, depth + 1) && depth == 0;
                }
            } else {
                json = self.arguments(kind, a_s, e);
            }
        }
        let own = matches!(kind, RUN_INSTR | COPY_INSTR | ADD_INSTR) && !json;
        self.token(WHITESPACE, to);
        // Heredoc bodies belong to the instruction that reads them: this one, or its trigger.
        if own && depth <= 1 {
            self.events.push(Event::HeredocSlot);
        }
        self.finish();
        own || trigger_capable
    }

    /// BuildKit's `extractBuilderFlags` (byte-wise, quotes and backslashes, `--` ends flags);
    /// emits FLAG nodes and returns where the arguments start.
    fn flags(&mut self, from: usize, to: usize) -> usize {
        #[derive(PartialEq)]
        enum Phase {
            Spaces,
            Word,
            Quote,
        }
        let b = self.bytes;
        let mut phase = Phase::Spaces;
        let mut word_start = from;
        let mut cooked: Vec<u8> = Vec::new();
        let mut quote = 0u8;
        let mut pos = from;
        loop {
            let ch = if pos < to { b[pos] } else { 0 };
            if phase == Phase::Spaces {
                if pos == to {
                    return to;
                }
                if go::is_space_byte(ch) {
                    pos += 1;
                    continue;
                }
                if ch != b'-' || pos + 1 == to || b[pos + 1] != b'-' {
                    return pos;
                }
                phase = Phase::Word;
                word_start = pos;
                cooked.clear();
            }
            if pos == to {
                self.flag_word(word_start, to, cooked == b"--");
                return to;
            }
            if phase == Phase::Word {
                if go::is_space_byte(ch) {
                    let is_dd = cooked == b"--";
                    self.flag_word(word_start, pos, is_dd);
                    if is_dd {
                        return pos;
                    }
                    phase = Phase::Spaces;
                    pos += 1;
                    continue;
                }
                if ch == b'\'' || ch == b'"' {
                    quote = ch;
                    phase = Phase::Quote;
                    pos += 1;
                    continue;
                }
                let mut c = ch;
                if ch == b'\\' {
                    if pos + 1 == to {
                        pos += 1;
                        continue;
                    }
                    pos += 1;
                    c = b[pos];
                }
                cooked.push(c);
                pos += 1;
                continue;
            }
            // Phase::Quote
            if ch == quote {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            let mut c = ch;
            if ch == b'\\' {
                if pos + 1 == to {
                    phase = Phase::Word;
                    pos += 1;
                    continue;
                }
                pos += 1;
                c = b[pos];
            }
            cooked.push(c);
            pos += 1;
        }
    }

    fn flag_word(&mut self, start: usize, end: usize, double_dash: bool) {
        // BuildKit takes each byte for a character, so a byte 0x85 or 0xA0 inside a character
        // (the last byte of U+2005 or `à`; the middle one of `⅐`) is a blank to it and ends the
        // flag inside the character. A token ends on a character boundary, so the flag's token
        // keeps the whole character; its value ([`cook_flag`]) ends at the blank byte, as
        // BuildKit's does.
        let end = self.ceil_char(end);
        self.token(WHITESPACE, start);
        if double_dash {
            self.token(DOUBLE_DASH, end);
            return;
        }
        let raw = &self.bytes[start..end];
        self.start(FLAG);
        // Plain flags (no quotes or backslashes) need no unquoting to find their `=`.
        let plain = !raw.iter().any(|&c| matches!(c, b'\'' | b'"' | b'\\'));
        let (eq, is_mount) = if plain {
            let eq = raw.iter().position(|&c| c == b'=');
            (eq, eq.is_some_and(|e| &raw[..e] == b"--mount"))
        } else {
            let cooked = cook_flag(raw);
            (cooked.first_eq_raw, cooked.text.get(..cooked.first_eq_cooked) == Some("--mount"))
        };
        match eq {
            Some(eq) => {
                self.token(FLAG_NAME, start + eq);
                self.token(EQ, start + eq + 1);
                self.start(FLAG_VALUE);
                if is_mount {
                    self.mount_options(&cook_flag(raw), start, start + eq + 1, end);
                } else {
                    self.text_with_vars(start + eq + 1, end);
                }
                self.finish();
            }
            None => self.token(FLAG_NAME, end),
        }
        self.finish();
    }

    /// The comma-separated `key=value` options of a `--mount` value, split the way
    /// `csvvalue.Fields` splits the unquoted flag value.
    fn mount_options(&mut self, cooked: &CookedFlag, word_start: usize, value_start: usize, end: usize) {
        let value = &cooked.text.as_bytes()[cooked.first_eq_cooked + 1..];
        let base = cooked.first_eq_cooked + 1;
        let raw_at = |i: usize| -> usize {
            if base + i < cooked.raw_index.len() {
                word_start + cooked.raw_index[base + i]
            } else {
                end
            }
        };
        for (field_start, field_end) in csv_fields(value) {
            let fs = raw_at(field_start).max(value_start);
            let mut fe = if field_end == 0 { fs } else { (raw_at(field_end - 1) + 1).max(fs) };
            // Commas (and quotes the unquoting removed) between fields.
            self.separators(fs);
            self.start(MOUNT_OPTION);
            let eq = value[field_start..field_end].iter().position(|&c| c == b'=');
            match eq {
                Some(eq) => {
                    let eq_raw = raw_at(field_start + eq);
                    // The value as written runs to the comma (or the word's end): the quotes
                    // the unquoting removed are its own (`from="a"`), except the closing quote
                    // of one opened before the key (`"from=a"`), which is the option's.
                    let to = if field_end < value.len() { raw_at(field_end) } else { end };
                    if to > fe && to <= end {
                        fe = to;
                        let outer = quote_at(&self.bytes[word_start..eq_raw + 1]);
                        if outer != 0 && fe > eq_raw + 1 && self.bytes[fe - 1] == outer {
                            fe -= 1;
                        }
                    }
                    self.start(KEY);
                    self.token(TEXT, eq_raw);
                    self.finish();
                    self.token(EQ, eq_raw + 1);
                    self.start(VALUE);
                    self.text_with_vars(eq_raw + 1, fe);
                    self.finish();
                }
                None => {
                    self.start(KEY);
                    self.token(TEXT, fe);
                    self.finish();
                }
            }
            self.finish();
        }
        self.separators(end);
    }

    /// Text between mount options: each `,` a COMMA, anything else TEXT.
    fn separators(&mut self, end: usize) {
        while self.pos < end {
            if self.bytes[self.pos] == b',' {
                self.token(COMMA, self.pos + 1);
            } else {
                let next = (self.pos..end).find(|&i| self.bytes[i] == b',').unwrap_or(end);
                self.token(TEXT, next);
            }
        }
    }

    /// Dispatches on the keyword like BuildKit's table of line parsers; returns whether the
    /// arguments are in JSON (exec) form.
    fn arguments(&mut self, kind: SyntaxKind, s: usize, e: usize) -> bool {
        match kind {
            FROM_INSTR => self.stage_arguments(s, e),
            EXPOSE_INSTR => self.ws_words(s, e),
            RUN_INSTR | CMD_INSTR | ENTRYPOINT_INSTR | SHELL_INSTR => {
                let json = self.maybe_json(s, e);
                if !json {
                    self.shell_command(s, e);
                }
                return json;
            }
            ADD_INSTR | COPY_INSTR | VOLUME_INSTR => {
                let json = self.maybe_json(s, e);
                if !json {
                    self.ws_words(s, e);
                }
                return json;
            }
            ARG_INSTR => {
                let (words, trailing_escape) = parse_words(self.line, s, e, self.escape);
                for (ws, we) in words {
                    self.token(WHITESPACE, ws);
                    // (BuildKit's `dispatchArg` takes an ARG's key as written.)
                    self.key_value(ws, we, false);
                }
                if let Some(at) = trailing_escape {
                    self.token(WHITESPACE, at);
                    self.token(TRAILING_ESCAPE, at + 1);
                }
            }
            ENV_INSTR | LABEL_INSTR => self.name_val(kind, s, e),
            HEALTHCHECK_INSTR => return self.healthcheck(s, e),
            // BuildKit's parseString: nothing left after the flags is no argument at all.
            MAINTAINER_INSTR if s < e => {
                self.start(WORD);
                self.token(TEXT, e);
                self.finish();
            }
            MAINTAINER_INSTR => {}
            USER_INSTR | WORKDIR_INSTR | STOPSIGNAL_INSTR => self.word(s, e),
            _ => self.token(TEXT, e),
        }
        false
    }

    fn stage_arguments(&mut self, s: usize, e: usize) {
        let words = split_ws(self.bytes, s, e);
        if words.len() == 3 && go::equal_fold_as(&self.line[words[1].0..words[1].1]) {
            self.word(words[0].0, words[0].1);
            self.token(WHITESPACE, words[1].0);
            self.token(AS_KW, words[1].1);
            self.token(WHITESPACE, words[2].0);
            self.start(STAGE_NAME);
            self.token(TEXT, words[2].1);
            self.finish();
        } else {
            for (ws, we) in words {
                self.token(WHITESPACE, ws);
                self.word(ws, we);
            }
        }
    }

    fn ws_words(&mut self, s: usize, e: usize) {
        for (ws, we) in split_ws(self.bytes, s, e) {
            self.token(WHITESPACE, ws);
            self.word(ws, we);
        }
    }

    fn word(&mut self, s: usize, e: usize) {
        if s >= e {
            return;
        }
        self.start(WORD);
        self.text_with_vars(s, e);
        self.finish();
    }

    fn shell_command(&mut self, s: usize, e: usize) {
        if s >= e {
            return;
        }
        self.start(SHELL_COMMAND);
        self.token(TEXT, e);
        self.finish();
    }

    /// `parseJSON`: emits a JSON_ARRAY when the text is a JSON array; reports non-string elements.
    fn maybe_json(&mut self, s: usize, e: usize) -> bool {
        if s >= e {
            return false;
        }
        let (tokens, strings_only) = match json::parse_array(&self.line[s..e]) {
            JsonArray::NotArray => return false,
            JsonArray::Strings { tokens, .. } => (tokens, true),
            JsonArray::NotStrings { tokens } => (tokens, false),
        };
        self.start(JSON_ARRAY);
        for (kind, _, te) in tokens {
            self.token(kind, s + te);
        }
        self.finish();
        if !strings_only {
            self.error(s, e, "when using JSON array syntax, arrays must be comprised of strings only");
        }
        true
    }

    /// `parseNameVal` for ENV and LABEL: `k=v ...`, or the legacy `k v` when the first word has no `=`.
    fn name_val(&mut self, kind: SyntaxKind, s: usize, e: usize) {
        let (words, trailing_escape) = parse_words(self.line, s, e, self.escape);
        let Some(&(first_s, first_e)) = words.first() else {
            return;
        };
        let keyword = if kind == ENV_INSTR { "ENV" } else { "LABEL" };
        if !self.line[first_s..first_e].contains('=') {
            // Legacy form: the key is up to the first whitespace run, the value is the rest.
            let key_end = (s..e).find(|&i| is_re_ws(self.bytes[i])).unwrap_or(e);
            let mut value_start = key_end;
            while value_start < e && is_re_ws(self.bytes[value_start]) {
                value_start += 1;
            }
            self.start(KEY_VALUE);
            self.start(KEY);
            self.text_with_vars(s, key_end);
            self.finish();
            self.token(WHITESPACE, value_start);
            if value_start < e {
                self.start(VALUE);
                self.text_with_vars(value_start, e);
                self.finish();
            } else {
                self.error(s, e, format!("{keyword} must have two arguments"));
            }
            self.finish();
            return;
        }
        let mut reported = false;
        for (ws, we) in words {
            self.token(WHITESPACE, ws);
            if !reported && !self.line[ws..we].contains('=') {
                reported = true;
                let word = &self.line[ws..we];
                self.error(
                    ws,
                    we,
                    format!("Syntax error - can't find = in {}. Must be of the form: name=value", go::quote_str(word)),
                );
            }
            self.key_value(ws, we, true);
        }
        if let Some(at) = trailing_escape {
            self.token(WHITESPACE, at);
            self.token(TRAILING_ESCAPE, at + 1);
        }
    }

    /// A `key[=value]` word; `key_vars`: the key's variables are expanded (ENV and LABEL, whose
    /// `Expand` expands keys and values alike), so they are VARIABLE nodes as a value's are.
    fn key_value(&mut self, s: usize, e: usize, key_vars: bool) {
        self.start(KEY_VALUE);
        let eq = self.line[s..e].find('=').map(|i| s + i);
        self.start(KEY);
        if key_vars {
            self.text_with_vars(s, eq.unwrap_or(e));
        } else {
            self.token(TEXT, eq.unwrap_or(e));
        }
        self.finish();
        if let Some(eq) = eq {
            self.token(EQ, eq + 1);
            self.start(VALUE);
            self.text_with_vars(eq + 1, e);
            self.finish();
        }
        self.finish();
    }

    /// `parseHealthConfig`: a type word (CMD, NONE), then a command in either form.
    fn healthcheck(&mut self, s: usize, e: usize) -> bool {
        let b = self.bytes;
        let sep = self.ceil_char((s..e).find(|&i| go::is_space_byte(b[i])).unwrap_or(e));
        if sep == s {
            return false;
        }
        let next = self.ceil_char((sep..e).find(|&i| !go::is_space_byte(b[i])).unwrap_or(e));
        self.start(WORD);
        self.token(TEXT, sep);
        self.finish();
        self.token(WHITESPACE, next);
        let json = self.maybe_json(next, e);
        if !json {
            self.shell_command(next, e);
        }
        json
    }

    /// Literal text with `$VAR` / `${VAR...}` references as VARIABLE nodes. Quotes and the escape
    /// character are honoured the way the shell lexer honours them, for locating references only.
    fn text_with_vars(&mut self, s: usize, e: usize) {
        self.text_with_vars_in(s, e, 0);
    }

    /// [`LineParser::text_with_vars`] inside `depth` enclosing `${...}`: past
    /// [`MAX_VAR_NESTING`] the rest is plain text, so the tree (and the stack that builds it)
    /// stays shallow whatever the input nests.
    fn text_with_vars_in(&mut self, s: usize, e: usize, depth: usize) {
        let e = self.ceil_char(e.min(self.line.len()));
        let b = self.bytes;
        if depth >= MAX_VAR_NESTING || !b[s..e.min(b.len())].contains(&b'$') {
            self.token(TEXT, e);
            return;
        }
        let mut i = s;
        let (mut single, mut double) = (false, false);
        while i < e {
            let c = b[i];
            if c == self.escape && !single {
                i += 1 + self.line[i + 1..].chars().next().map_or(0, char::len_utf8);
                continue;
            }
            match c {
                b'\'' if !double => single = !single,
                b'"' if !single => double = !double,
                b'$' if !single => {
                    if let Some(var_end) = self.variable_end(i, e) {
                        self.token(TEXT, i);
                        self.variable(i, var_end, depth);
                        i = var_end;
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.token(TEXT, e);
    }

    /// The end of a variable reference starting with `$` at `i`, if one starts there.
    fn variable_end(&self, i: usize, e: usize) -> Option<usize> {
        let b = self.bytes;
        let next = *b.get(i + 1).filter(|_| i + 1 < e)?;
        if next == b'{' {
            return Some(self.close_brace(i + 2, e).map_or(e, |c| c + 1));
        }
        let name_end = self.name_end(i + 1, e);
        (name_end > i + 1).then_some(name_end)
    }

    /// BuildKit's `processName`: digits, or one special parameter, or letters/digits/underscores.
    fn name_end(&self, s: usize, e: usize) -> usize {
        let rest = &self.line[s..e];
        let mut chars = rest.char_indices();
        let Some((_, first)) = chars.next() else {
            return s;
        };
        if go::is_digit(first) {
            return s + rest.find(|c: char| !go::is_digit(c)).unwrap_or(rest.len());
        }
        if is_special_param(first) {
            return s + first.len_utf8();
        }
        s + rest.find(|c: char| !(go::is_letter(c) || go::is_digit(c) || c == '_')).unwrap_or(rest.len())
    }

    /// The `}` closing a `${` whose body starts at `s`, honouring nesting, quotes and escapes.
    fn close_brace(&self, s: usize, e: usize) -> Option<usize> {
        let b = self.bytes;
        let mut depth = 0usize;
        let (mut single, mut double) = (false, false);
        let mut i = s;
        while i < e {
            let c = b[i];
            if c == self.escape && !single {
                i += 2;
                continue;
            }
            match c {
                b'\'' if !double => single = !single,
                b'"' if !single => double = !double,
                b'$' if !single && b.get(i + 1) == Some(&b'{') => {
                    depth += 1;
                    i += 2;
                    continue;
                }
                b'}' if !single => {
                    if depth == 0 {
                        return Some(i);
                    }
                    depth -= 1;
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    fn variable(&mut self, s: usize, e: usize, depth: usize) {
        self.start(VARIABLE);
        self.token(DOLLAR, s + 1);
        if self.bytes.get(s + 1) == Some(&b'{') {
            self.token(L_CURLY, s + 2);
            let closed = self.bytes.get(e - 1) == Some(&b'}') && e > s + 2;
            let body_end = if closed { e - 1 } else { e };
            let name_end = self.name_end(s + 2, body_end);
            self.token(VAR_NAME, name_end);
            if name_end < body_end {
                let rest = &self.line[name_end..body_end];
                let op_len = [":-", ":+", ":?", ":=", "##", "%%", "//", "-", "+", "?", "=", "#", "%", "/", ":"]
                    .iter()
                    .find(|op| rest.starts_with(*op))
                    .map_or(0, |op| op.len());
                self.token(VAR_OP, name_end + op_len);
                if name_end + op_len < body_end {
                    self.start(VAR_ARG);
                    self.text_with_vars_in(name_end + op_len, body_end, depth + 1);
                    self.finish();
                }
            }
            if closed {
                self.token(R_CURLY, e);
            }
        } else {
            self.token(VAR_NAME, e);
        }
        self.finish();
    }
}

/// Go's `strings.TrimSpace` of `line[from..to]`, as a range (ASCII fast path).
fn trim_range(line: &str, from: usize, to: usize) -> (usize, usize) {
    let b = line.as_bytes();
    let mut s = from;
    while s < to && b[s] < 0x80 && b[s].is_ascii_whitespace() || s < to && b[s] == 0x0b {
        s += 1;
    }
    if s < to && b[s] >= 0x80 {
        let t = &line[s..to];
        s += t.len() - t.trim_start().len();
    }
    let mut e = to;
    while e > s && (b[e - 1].is_ascii_whitespace() || b[e - 1] == 0x0b) {
        e -= 1;
    }
    if e > s && b[e - 1] >= 0x80 {
        e = s + line[s..e].trim_end().len();
    }
    (s, e)
}

/// Special shell parameters BuildKit's lexer reads as a one-character name.
fn is_special_param(c: char) -> bool {
    matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}

/// `reWhitespace.Split` of an already trimmed argument string: spans of the words.
pub(crate) fn split_ws(b: &[u8], s: usize, e: usize) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut i = s;
    while i < e {
        let start = i;
        while i < e && !is_re_ws(b[i]) {
            i += 1;
        }
        words.push((start, i));
        while i < e && is_re_ws(b[i]) {
            i += 1;
        }
    }
    words
}

/// BuildKit's `parseWords`: spans of the words split on unquoted whitespace, quotes and escapes
/// kept; plus the offset of a lone escape character at the very end, which BuildKit drops.
pub(crate) fn parse_words(line: &str, s: usize, e: usize, escape: u8) -> (Vec<(usize, usize)>, Option<usize>) {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut i = s;
    let mut start: Option<usize> = None;
    let mut quote = 0u8;
    let mut blank_ok = false;
    let next_width = |i: usize| line[i..].chars().next().map_or(0, char::len_utf8);
    while i < e {
        let c = if b[i] < 0x80 { char::from(b[i]) } else { line[i..].chars().next().unwrap_or('\0') };
        let width = c.len_utf8();
        let Some(st) = start else {
            if go::is_space(c) {
                i += width;
                continue;
            }
            start = Some(i);
            continue;
        };
        let trailing_escape = b[i] == escape && i + 1 == e;
        if quote != 0 {
            if b[i] == quote {
                quote = 0;
            } else if b[i] == escape && quote != b'\'' {
                if trailing_escape {
                    words.push((st, i));
                    return (words, Some(i));
                }
                i += 1 + next_width(i + 1);
                continue;
            }
            i += width;
            continue;
        }
        if go::is_space(c) {
            if blank_ok || i > st {
                words.push((st, i));
            }
            start = None;
            blank_ok = false;
            i += width;
            continue;
        }
        if b[i] == b'\'' || b[i] == b'"' {
            quote = b[i];
            blank_ok = true;
        } else if b[i] == escape {
            if trailing_escape {
                if blank_ok || i > st {
                    words.push((st, i));
                }
                return (words, Some(i));
            }
            i += 1 + next_width(i + 1);
            continue;
        }
        i += width;
    }
    if let Some(st) = start {
        if blank_ok || e > st {
            words.push((st, e));
        }
    }
    (words, None)
}

/// A flag word after BuildKit's unquoting, with where its bytes came from.
pub(crate) struct CookedFlag {
    /// The unquoted text. Bytes above 0x7F are read as Latin-1 characters, as BuildKit's
    /// byte-wise loop does.
    pub(crate) text: String,
    /// For every byte of `text`, the offset in the raw word of the byte it came from.
    pub(crate) raw_index: Vec<usize>,
    /// Offset in the raw word of the first unquoted `=`, if any.
    pub(crate) first_eq_raw: Option<usize>,
    /// Offset in `text` of the first `=` (or the length when there is none).
    pub(crate) first_eq_cooked: usize,
}

/// Unquotes one flag word exactly like `extractBuilderFlags` does.
pub(crate) fn cook_flag(raw: &[u8]) -> CookedFlag {
    let mut text = String::with_capacity(raw.len());
    let mut raw_index = Vec::with_capacity(raw.len());
    let mut quote = 0u8;
    let mut i = 0;
    let push = |text: &mut String, raw_index: &mut Vec<usize>, byte: u8, at: usize| {
        let c = char::from(byte);
        for _ in 0..c.len_utf8() {
            raw_index.push(at);
        }
        text.push(c);
    };
    while i < raw.len() {
        let c = raw[i];
        // Outside quotes a blank byte ends the word: it can only be inside the word's last
        // character (see `flag_word`), and BuildKit takes nothing from it on. (Where it is not
        // the character's last byte, as in `⅐`, E2 85 90, BuildKit reads the rest, `\x90`, as
        // the start of the arguments; here the token ends with the character, so that rest is
        // read as nothing: a difference in the arguments of such a flag's instruction.)
        if quote == 0 && go::is_space_byte(c) {
            break;
        }
        if quote == 0 && (c == b'\'' || c == b'"') {
            quote = c;
            i += 1;
            continue;
        }
        if quote != 0 && c == quote {
            quote = 0;
            i += 1;
            continue;
        }
        if c == b'\\' {
            if i + 1 == raw.len() {
                i += 1;
                continue;
            }
            i += 1;
        }
        push(&mut text, &mut raw_index, raw[i], i);
        i += 1;
    }
    let first_eq_cooked = text.find('=').unwrap_or(text.len());
    let first_eq_raw = raw_index.get(first_eq_cooked).copied().filter(|_| first_eq_cooked < text.len());
    CookedFlag { text, raw_index, first_eq_raw, first_eq_cooked }
}

/// The quote (`'` or `"`) still open at the end of `raw`, a prefix of a flag word, as
/// [`cook_flag`] reads quotes; 0 when none is.
fn quote_at(raw: &[u8]) -> u8 {
    let mut quote = 0u8;
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if quote == 0 && (c == b'\'' || c == b'"') {
            quote = c;
        } else if quote != 0 && c == quote {
            quote = 0;
        } else if c == b'\\' {
            i += 1;
        }
        i += 1;
    }
    quote
}

/// `csvvalue.Fields` field spans over one record (the byte offsets of each field's text,
/// quotes included). Errors are not reported here; BuildKit reports them when it reads the mount.
pub(crate) fn csv_fields(value: &[u8]) -> Vec<(usize, usize)> {
    let mut fields = Vec::new();
    let mut i = 0;
    if value.is_empty() {
        return fields;
    }
    loop {
        let start = i;
        if value.get(i) == Some(&b'"') {
            i += 1;
            while i < value.len() {
                if value[i] == b'"' {
                    if value.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
        }
        while i < value.len() && value[i] != b',' {
            i += 1;
        }
        fields.push((start, i));
        if i >= value.len() {
            return fields;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<&str> {
        parse_words(line, 0, line.len(), b'\\').0.into_iter().map(|(s, e)| &line[s..e]).collect()
    }

    #[test]
    fn parse_words_keeps_quotes_and_escapes() {
        assert_eq!(words(r#"a="b c" d\ e 'f g'"#), [r#"a="b c""#, r"d\ e", "'f g'"]);
        assert_eq!(words("a  b\t"), ["a", "b"]);
        assert_eq!(words(r"a\"), ["a"]);
        assert_eq!(words(r#""""#), [r#""""#]);
    }

    #[test]
    fn flags_are_unquoted_bytewise() {
        let c = cook_flag(br#"--mount="type=cache,target=/x""#);
        assert_eq!(c.text, "--mount=type=cache,target=/x");
        assert_eq!(c.first_eq_raw, Some(7));
        let c = cook_flag("--label=é".as_bytes());
        assert_eq!(c.text, "--label=Ã©");
        // A blank byte ends it, out of quotes (the last byte of `à`, C3 A0), not in them.
        assert_eq!(cook_flag("--from=a\u{e0}".as_bytes()).text, "--from=a\u{c3}");
        assert_eq!(cook_flag("--from=a\u{2005}".as_bytes()).text, "--from=a\u{e2}\u{80}");
        assert_eq!(cook_flag("--from='a\u{e0}'".as_bytes()).text, "--from=a\u{c3}\u{a0}");
        // (The backslash escapes the character's first byte only.)
        assert_eq!(cook_flag("--from=\\\u{a0}".as_bytes()).text, "--from=\u{c2}");
        let c = cook_flag(br"--a\=b");
        assert_eq!(c.text, "--a=b");
        assert_eq!(c.first_eq_raw, Some(4));
    }

    #[test]
    fn csv_fields_split_on_unquoted_commas() {
        let v = br#"type=bind,"source=a,b",target=/x"#;
        let f: Vec<&[u8]> = csv_fields(v).into_iter().map(|(s, e)| &v[s..e]).collect();
        assert_eq!(f, [&b"type=bind"[..], br#""source=a,b""#, b"target=/x"]);
        assert_eq!(csv_fields(b"a,,b").len(), 3);
    }
}
