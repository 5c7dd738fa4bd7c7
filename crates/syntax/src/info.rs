//! A plain-data snapshot of an instruction, read from the green tree in one pass: what
//! BuildKit's `instructions.Parse` consumes (keyword, flags, arguments, key/value pairs) with the
//! ranges an editor needs. Building it allocates no cursor nodes, which matters when an analysis
//! visits every instruction of a large file several times.

use std::borrow::Cow;

use rowan::{GreenNodeData, NodeOrToken, TextRange, TextSize};

use crate::ast::{green_kind, green_text, AstNode, Instruction};
use crate::go;
use crate::json::{self, JsonArray};
use crate::parser::instruction::cook_flag;
use crate::SyntaxKind::{self, *};

/// A flag as BuildKit reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagInfo<'a> {
    /// The unquoted flag (`--mount=type=cache,target=/x`).
    pub cooked: Cow<'a, str>,
    /// Where the first `=` is in `cooked`.
    eq: Option<usize>,
    /// The whole flag.
    pub range: TextRange,
    /// `--name`.
    pub name_range: TextRange,
    /// The value.
    pub value_range: Option<TextRange>,
}

impl FlagInfo<'_> {
    /// The name without `--`.
    pub fn name(&self) -> &str {
        let name = &self.cooked[..self.eq.unwrap_or(self.cooked.len())];
        name.strip_prefix("--").unwrap_or(name)
    }

    /// The value after the first `=`.
    pub fn value(&self) -> Option<&str> {
        self.eq.map(|eq| &self.cooked[eq + 1..])
    }
}

/// A `key=value` (or legacy `key value`, or ARG `key`) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairInfo<'a> {
    /// The key as written.
    pub key: Cow<'a, str>,
    /// The value as written; `None` without `=` (or for a legacy pair without value).
    pub value: Option<Cow<'a, str>>,
    /// Whether `=` separates them.
    pub has_eq: bool,
    /// The whole pair.
    pub range: TextRange,
    /// The key (the whole pair when there is no key).
    pub key_range: TextRange,
    /// The value.
    pub value_range: Option<TextRange>,
    /// The whole pair as written (ARG keeps words whole).
    pub text: Cow<'a, str>,
}

/// An instruction as plain data. Its strings borrow from the source text wherever BuildKit reads
/// them as written: they are owned only for a node with a line continuation or a comment inside
/// (every multi-line shell command, say), a flag that needs unquoting (quotes, escapes,
/// non-ASCII bytes) and exec-form strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionInfo<'a> {
    /// The node kind.
    pub kind: SyntaxKind,
    /// The instruction.
    pub range: TextRange,
    /// The keyword as written.
    pub keyword: Cow<'a, str>,
    /// Where the keyword is.
    pub keyword_range: TextRange,
    /// Flags before the arguments.
    pub flags: Vec<FlagInfo<'a>>,
    /// BuildKit's argument list (see [`Instruction::args`]).
    pub args: Vec<Cow<'a, str>>,
    /// Argument words with their ranges (FROM, COPY, ADD, EXPOSE, WORKDIR, ...).
    pub words: Vec<(Cow<'a, str>, TextRange)>,
    /// Key/value pairs (ARG, ENV, LABEL).
    pub pairs: Vec<PairInfo<'a>>,
    /// Exec (JSON) form.
    pub json: bool,
    /// Where the shell-form command is, if there is one.
    pub shell_command: Option<TextRange>,
}

impl<'a> InstructionInfo<'a> {
    /// The first flag named `name`.
    pub fn flag(&self, name: &str) -> Option<&FlagInfo<'a>> {
        self.flags.iter().find(|f| f.name() == name)
    }

    /// The last flag named `name` (BuildKit keeps the last value of a string flag).
    pub fn last_flag(&self, name: &str) -> Option<&FlagInfo<'a>> {
        self.flags.iter().rev().find(|f| f.name() == name)
    }
}

/// The source text an instruction is read from: `text` starts at offset `start` of the file.
#[derive(Clone, Copy)]
struct Source<'a> {
    text: &'a str,
    start: TextSize,
}

impl<'a> Source<'a> {
    fn slice(self, range: TextRange) -> &'a str {
        &self.text[range - self.start]
    }

    /// The text of a node as BuildKit joins it: a slice of the source, unless a line
    /// continuation (or another joined-away token) sits inside it.
    fn joined(self, green: &GreenNodeData, range: TextRange) -> Cow<'a, str> {
        if has_joined_away(green) {
            Cow::Owned(green_text(green))
        } else {
            Cow::Borrowed(self.slice(range))
        }
    }
}

fn has_joined_away(green: &GreenNodeData) -> bool {
    green.children().any(|child| match child {
        NodeOrToken::Node(n) => has_joined_away(n),
        NodeOrToken::Token(t) => green_kind(t.kind()).is_joined_away(),
    })
}

impl Instruction {
    /// The instruction as plain data, read in one pass over the green tree. `text` is the
    /// source the tree was parsed from (the whole file); the record borrows from it.
    pub fn info_in<'a>(&self, text: &'a str) -> InstructionInfo<'a> {
        debug_assert_eq!(
            TextSize::of(text),
            self.syntax().ancestors().last().map_or(0.into(), |r| r.text_range().end())
        );
        self.read_info(Source { text, start: TextSize::new(0) })
    }

    /// The instruction as plain data, owning its strings (see [`Instruction::info_in`], which
    /// copies less).
    pub fn info(&self) -> InstructionInfo<'static> {
        let own = self.syntax().to_string();
        let info = self.read_info(Source { text: &own, start: self.syntax().text_range().start() });
        info.into_owned()
    }

    fn read_info<'a>(&self, source: Source<'a>) -> InstructionInfo<'a> {
        let green = self.syntax().green();
        let kind = self.kind();
        let range = self.syntax().text_range();
        // Exact capacities: a first push would reserve four elements, and flag and pair records
        // are large (this record is held for every instruction of a file while it is analysed).
        let (mut flags, mut words, mut pairs, mut others) = (0, 0, 0, 1);
        for child in green.children() {
            match green_kind(child.kind()) {
                FLAG => flags += 1,
                WORD | STAGE_NAME => words += 1,
                KEY_VALUE => pairs += 1,
                AS_KW | SHELL_COMMAND => others += 1,
                _ => {}
            }
        }
        let per_pair = if kind == ARG_INSTR { 1 } else { 3 };
        let mut info = InstructionInfo {
            kind,
            range,
            keyword: Cow::Borrowed(""),
            keyword_range: TextRange::empty(range.start()),
            flags: Vec::with_capacity(flags),
            args: Vec::with_capacity(words + pairs * per_pair + others),
            words: Vec::with_capacity(words),
            pairs: Vec::with_capacity(pairs),
            json: false,
            shell_command: None,
        };
        if kind == ERROR {
            info.args.push(Cow::Borrowed(""));
        }
        let mut keyword_range: Option<TextRange> = None;
        let mut in_as = false;
        let mut offset = range.start();
        for child in green.children() {
            let len = child.text_len();
            let child_range = TextRange::at(offset, len);
            match child {
                NodeOrToken::Token(t) => match green_kind(t.kind()) {
                    KEYWORD => {
                        // A keyword split by a line continuation is several tokens.
                        if keyword_range.is_none() {
                            info.keyword = Cow::Borrowed(source.slice(child_range));
                        } else {
                            info.keyword.to_mut().push_str(t.text());
                        }
                        keyword_range = Some(keyword_range.map_or(child_range, |r| r.cover(child_range)));
                    }
                    AS_KW => {
                        match info.args.last_mut() {
                            Some(last) if in_as => last.to_mut().push_str(t.text()),
                            _ => info.args.push(Cow::Borrowed(source.slice(child_range))),
                        }
                        in_as = true;
                    }
                    _ => {}
                },
                NodeOrToken::Node(n) => {
                    in_as = false;
                    match green_kind(n.kind()) {
                        FLAG => info.flags.push(flag_info(n, offset, source)),
                        WORD | STAGE_NAME => {
                            let mut text = source.joined(n, child_range);
                            // (The parser ends HEALTHCHECK's type after the character that
                            // holds the blank byte; BuildKit ends it at the byte.)
                            if kind == HEALTHCHECK_INSTR && info.words.is_empty() {
                                if let Cow::Owned(cut) = go::cut_at_space_byte(&text) {
                                    text = Cow::Owned(cut);
                                }
                            }
                            if kind != ERROR {
                                info.args.push(text.clone());
                            }
                            info.words.push((text, child_range));
                        }
                        SHELL_COMMAND => {
                            info.shell_command = Some(child_range);
                            info.args.push(source.joined(n, child_range));
                        }
                        JSON_ARRAY => {
                            info.json = true;
                            if let JsonArray::Strings { values, .. } = json::parse_array(&source.joined(n, child_range))
                            {
                                info.args.extend(values.into_iter().map(Cow::Owned));
                            }
                        }
                        KEY_VALUE => {
                            let pair = pair_info(n, offset, source);
                            if kind == ARG_INSTR {
                                info.args.push(pair.text.clone());
                            } else {
                                info.args.push(pair.key.clone());
                                info.args.push(pair.value.clone().unwrap_or_default());
                                info.args.push(Cow::Borrowed(if pair.has_eq { "=" } else { "" }));
                            }
                            info.pairs.push(pair);
                        }
                        _ => {}
                    }
                }
            }
            offset += len;
        }
        info.keyword_range = keyword_range.unwrap_or(TextRange::empty(range.start()));
        info
    }
}

impl InstructionInfo<'_> {
    /// The same record, owning its strings.
    pub fn into_owned(self) -> InstructionInfo<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        InstructionInfo {
            kind: self.kind,
            range: self.range,
            keyword: own(self.keyword),
            keyword_range: self.keyword_range,
            flags: self
                .flags
                .into_iter()
                .map(|f| FlagInfo {
                    cooked: own(f.cooked),
                    eq: f.eq,
                    range: f.range,
                    name_range: f.name_range,
                    value_range: f.value_range,
                })
                .collect(),
            args: self.args.into_iter().map(own).collect(),
            words: self.words.into_iter().map(|(w, r)| (own(w), r)).collect(),
            pairs: self
                .pairs
                .into_iter()
                .map(|p| PairInfo {
                    key: own(p.key),
                    value: p.value.map(own),
                    has_eq: p.has_eq,
                    range: p.range,
                    key_range: p.key_range,
                    value_range: p.value_range,
                    text: own(p.text),
                })
                .collect(),
            json: self.json,
            shell_command: self.shell_command,
        }
    }
}

fn flag_info<'a>(green: &GreenNodeData, start: TextSize, source: Source<'a>) -> FlagInfo<'a> {
    let mut name_range: Option<TextRange> = None;
    let mut value_range = None;
    let mut offset = start;
    for child in green.children() {
        let r = TextRange::at(offset, child.text_len());
        match green_kind(child.kind()) {
            FLAG_NAME => name_range = Some(name_range.map_or(r, |x| x.cover(r))),
            FLAG_VALUE => value_range = Some(r),
            _ => {}
        }
        offset += child.text_len();
    }
    let range = TextRange::at(start, green.text_len());
    let raw = source.joined(green, range);
    // Unquoting changes nothing in a flag without quotes, escapes or non-ASCII bytes (which
    // BuildKit reads as Latin-1).
    let cooked = if raw.bytes().all(|b| b.is_ascii() && !matches!(b, b'\'' | b'"' | b'\\')) {
        raw
    } else {
        Cow::Owned(cook_flag(raw.as_bytes()).text)
    };
    FlagInfo { eq: cooked.find('='), cooked, range, name_range: name_range.unwrap_or(range), value_range }
}

fn pair_info<'a>(green: &GreenNodeData, start: TextSize, source: Source<'a>) -> PairInfo<'a> {
    let mut key = Cow::Borrowed("");
    let mut key_range = None;
    let mut value: Option<Cow<'a, str>> = None;
    let mut value_range = None;
    let mut has_eq = false;
    let mut offset = start;
    for child in green.children() {
        let r = TextRange::at(offset, child.text_len());
        match child {
            NodeOrToken::Node(n) if green_kind(n.kind()) == KEY => {
                key = source.joined(n, r);
                key_range = Some(r);
            }
            NodeOrToken::Node(n) if green_kind(n.kind()) == VALUE => {
                value = Some(source.joined(n, r));
                value_range = Some(r);
            }
            NodeOrToken::Token(t) if green_kind(t.kind()) == EQ => has_eq = true,
            _ => {}
        }
        offset += child.text_len();
    }
    if has_eq && value.is_none() {
        value = Some(Cow::Borrowed(""));
    }
    let range = TextRange::at(start, green.text_len());
    PairInfo {
        key,
        value,
        has_eq,
        range,
        key_range: key_range.unwrap_or(range),
        value_range,
        text: source.joined(green, range),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use crate::ast::{AstNode, StageName, Word};
    use crate::parse;

    #[test]
    fn info_matches_the_typed_accessors() {
        // Borrowed and owned strings side by side: continuations inside a keyword, a word, a
        // flag and a pair; quoted, escaped and non-ASCII flags; CRLF; a trailing escape.
        let text = "FROM --platform=$P alpine AS base\nCOPY --from=base --chown=a:b x y\nENV a=1 b=\"2 3\"\n\
                    ARG x y=1\nRUN [\"a\"]\nRUN echo \\\n  hi\nLABEL k v w\nNOPE x\n\
                    RU\\\nN --mo\\\nunt=type=cache,target=/x \"--network\"=none x\r\n\
                    COPY --chown='a b' --chmod=\\755 --exclude=é s\\\nrc d\r\nENV k\\\ney=va\\\r\nlue\n\
                    FROM b A\\\nS c\nCMD x \\";
        let p = parse(text);
        let mut borrowed = 0;
        let mut owned = 0;
        for i in p.tree().instructions() {
            let info = i.info_in(text);
            assert_eq!(info, i.info(), "{}", i.syntax());
            for word in info.args.iter().chain(info.words.iter().map(|(w, _)| w)) {
                match word {
                    Cow::Borrowed(_) => borrowed += 1,
                    Cow::Owned(_) => owned += 1,
                }
            }
            // Words and the shell command against the typed nodes' own text.
            let words: Vec<String> = i
                .syntax()
                .children()
                .filter_map(|n| {
                    Word::cast(n.clone()).map(|w| w.text()).or_else(|| StageName::cast(n).map(|s| s.text()))
                })
                .collect();
            assert_eq!(info.words.iter().map(|(w, _)| w.to_string()).collect::<Vec<_>>(), words);
            if let Some(command) = i.shell_command() {
                assert!(info.args.iter().any(|a| *a == command.text()), "{:?}", info.args);
            }
            assert_eq!(Some(info.keyword.to_string()), i.keyword());
            assert_eq!(Some(info.keyword_range), i.keyword_range());
            assert_eq!(
                info.flags.iter().map(|f| f.cooked.to_string()).collect::<Vec<_>>(),
                i.flags().map(|f| f.cooked()).collect::<Vec<_>>()
            );
            assert_eq!(info.json, i.json().is_some());
            assert_eq!(info.pairs.len(), i.key_values().count());
            for (pair, kv) in info.pairs.iter().zip(i.key_values()) {
                assert_eq!(
                    (pair.key.to_string(), pair.value.as_deref().map(String::from), pair.has_eq),
                    (kv.key(), kv.value(), kv.has_eq())
                );
                assert_eq!(Some(pair.key_range), kv.key_range());
                assert_eq!(pair.value_range, kv.value_range());
            }
            assert_eq!(info.flags.len(), i.flags().count());
            for (f, flag) in info.flags.iter().zip(i.flags()) {
                assert_eq!((f.name().to_string(), f.value().map(String::from)), (flag.name(), flag.value()));
                assert_eq!(f.value_range, flag.value_range());
            }
        }
        // Both kinds occur, so both paths were compared.
        assert!(borrowed > 10 && owned > 3, "{borrowed} borrowed, {owned} owned");
    }
}
