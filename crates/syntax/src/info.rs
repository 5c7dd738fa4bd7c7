//! A plain-data snapshot of an instruction, read from the green tree in one pass: what
//! BuildKit's `instructions.Parse` consumes (keyword, flags, arguments, key/value pairs) with the
//! ranges an editor needs. Building it allocates no cursor nodes, which matters when an analysis
//! visits every instruction of a large file several times.

use rowan::{GreenNodeData, NodeOrToken, TextRange, TextSize};

use crate::ast::{green_kind, green_text, AstNode, Instruction};
use crate::json::{self, JsonArray};
use crate::parser::instruction::cook_flag;
use crate::SyntaxKind::{self, *};

/// A flag as BuildKit reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagInfo {
    /// The unquoted flag (`--mount=type=cache,target=/x`).
    pub cooked: String,
    /// The name without `--`.
    pub name: String,
    /// The value after the first `=`.
    pub value: Option<String>,
    /// The whole flag.
    pub range: TextRange,
    /// `--name`.
    pub name_range: TextRange,
    /// The value.
    pub value_range: Option<TextRange>,
}

/// A `key=value` (or legacy `key value`, or ARG `key`) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairInfo {
    /// The key as written.
    pub key: String,
    /// The value as written; `None` without `=` (or for a legacy pair without value).
    pub value: Option<String>,
    /// Whether `=` separates them.
    pub has_eq: bool,
    /// The whole pair.
    pub range: TextRange,
    /// The key (the whole pair when there is no key).
    pub key_range: TextRange,
    /// The value.
    pub value_range: Option<TextRange>,
    /// The whole pair as written (ARG keeps words whole).
    pub text: String,
}

/// An instruction as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionInfo {
    /// The node kind.
    pub kind: SyntaxKind,
    /// The instruction.
    pub range: TextRange,
    /// The keyword as written.
    pub keyword: String,
    /// Where the keyword is.
    pub keyword_range: TextRange,
    /// Flags before the arguments.
    pub flags: Vec<FlagInfo>,
    /// BuildKit's argument list (see [`Instruction::args`]).
    pub args: Vec<String>,
    /// Argument words with their ranges (FROM, COPY, ADD, EXPOSE, WORKDIR, ...).
    pub words: Vec<(String, TextRange)>,
    /// Key/value pairs (ARG, ENV, LABEL).
    pub pairs: Vec<PairInfo>,
    /// Exec (JSON) form.
    pub json: bool,
    /// Where the shell-form command is, if there is one.
    pub shell_command: Option<TextRange>,
}

impl InstructionInfo {
    /// The first flag named `name`.
    pub fn flag(&self, name: &str) -> Option<&FlagInfo> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// The last flag named `name` (BuildKit keeps the last value of a string flag).
    pub fn last_flag(&self, name: &str) -> Option<&FlagInfo> {
        self.flags.iter().rev().find(|f| f.name == name)
    }
}

impl Instruction {
    /// The instruction as plain data, read in one pass over the green tree.
    pub fn info(&self) -> InstructionInfo {
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
            keyword: String::new(),
            keyword_range: TextRange::empty(range.start()),
            flags: Vec::with_capacity(flags),
            args: Vec::with_capacity(words + pairs * per_pair + others),
            words: Vec::with_capacity(words),
            pairs: Vec::with_capacity(pairs),
            json: false,
            shell_command: None,
        };
        if kind == ERROR {
            info.args.push(String::new());
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
                        info.keyword.push_str(t.text());
                        keyword_range = Some(keyword_range.map_or(child_range, |r| r.cover(child_range)));
                    }
                    AS_KW => {
                        match info.args.last_mut() {
                            Some(last) if in_as => last.push_str(t.text()),
                            _ => info.args.push(t.text().to_string()),
                        }
                        in_as = true;
                    }
                    _ => {}
                },
                NodeOrToken::Node(n) => {
                    in_as = false;
                    match green_kind(n.kind()) {
                        FLAG => info.flags.push(flag_info(n, offset)),
                        WORD | STAGE_NAME => {
                            let text = green_text(n);
                            info.words.push((text.clone(), child_range));
                            if kind != ERROR {
                                info.args.push(text);
                            }
                        }
                        SHELL_COMMAND => {
                            info.shell_command = Some(child_range);
                            info.args.push(green_text(n));
                        }
                        JSON_ARRAY => {
                            info.json = true;
                            if let JsonArray::Strings { values, .. } = json::parse_array(&green_text(n)) {
                                info.args.extend(values);
                            }
                        }
                        KEY_VALUE => {
                            let pair = pair_info(n, offset);
                            if kind == ARG_INSTR {
                                info.args.push(pair.text.clone());
                            } else {
                                info.args.push(pair.key.clone());
                                info.args.push(pair.value.clone().unwrap_or_default());
                                info.args.push(if pair.has_eq { "=".into() } else { String::new() });
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

fn flag_info(green: &GreenNodeData, start: TextSize) -> FlagInfo {
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
    let cooked = cook_flag(green_text(green).as_bytes()).text;
    let (name, value) = match cooked.split_once('=') {
        Some((n, v)) => (n.to_string(), Some(v.to_string())),
        None => (cooked.clone(), None),
    };
    let range = TextRange::at(start, green.text_len());
    FlagInfo {
        name: name.strip_prefix("--").unwrap_or(&name).to_string(),
        value,
        cooked,
        range,
        name_range: name_range.unwrap_or(range),
        value_range,
    }
}

fn pair_info(green: &GreenNodeData, start: TextSize) -> PairInfo {
    let mut key = String::new();
    let mut key_range = None;
    let mut value: Option<String> = None;
    let mut value_range = None;
    let mut has_eq = false;
    let mut offset = start;
    for child in green.children() {
        let r = TextRange::at(offset, child.text_len());
        match child {
            NodeOrToken::Node(n) if green_kind(n.kind()) == KEY => {
                key = green_text(n);
                key_range = Some(r);
            }
            NodeOrToken::Node(n) if green_kind(n.kind()) == VALUE => {
                value = Some(green_text(n));
                value_range = Some(r);
            }
            NodeOrToken::Token(t) if green_kind(t.kind()) == EQ => has_eq = true,
            _ => {}
        }
        offset += child.text_len();
    }
    if has_eq && value.is_none() {
        value = Some(String::new());
    }
    let range = TextRange::at(start, green.text_len());
    PairInfo { key, value, has_eq, range, key_range: key_range.unwrap_or(range), value_range, text: green_text(green) }
}

#[cfg(test)]
mod tests {
    use crate::parse;

    #[test]
    fn info_matches_the_typed_accessors() {
        let text = "FROM --platform=$P alpine AS base\nCOPY --from=base --chown=a:b x y\nENV a=1 b=\"2 3\"\nARG x y=1\nRUN [\"a\"]\nRUN echo \\\n  hi\nLABEL k v w\nNOPE x\n";
        let p = parse(text);
        for i in p.tree().instructions() {
            let info = i.info();
            assert_eq!(Some(info.keyword.clone()), i.keyword());
            assert_eq!(Some(info.keyword_range), i.keyword_range());
            assert_eq!(
                info.flags.iter().map(|f| f.cooked.clone()).collect::<Vec<_>>(),
                i.flags().map(|f| f.cooked()).collect::<Vec<_>>()
            );
            assert_eq!(info.json, i.json().is_some());
            for (pair, kv) in info.pairs.iter().zip(i.key_values()) {
                assert_eq!((pair.key.clone(), pair.value.clone(), pair.has_eq), (kv.key(), kv.value(), kv.has_eq()));
                assert_eq!(Some(pair.key_range), kv.key_range());
                assert_eq!(pair.value_range, kv.value_range());
            }
            for (f, flag) in info.flags.iter().zip(i.flags()) {
                assert_eq!((f.name.clone(), f.value.clone()), (flag.name(), flag.value()));
                assert_eq!(f.value_range, flag.value_range());
            }
        }
    }
}
