//! BuildKit's instruction-level checks (`instructions.Parse`): flags, argument counts, stage
//! names, `--mount` syntax, HEALTHCHECK options, and the lint rules that run while parsing.

use std::num::IntErrorKind;

use stagecraft_syntax::ast::{AstNode, Instruction};
use stagecraft_syntax::go;
use stagecraft_syntax::heredoc::parse_heredoc;
use stagecraft_syntax::info::InstructionInfo;
use stagecraft_syntax::SyntaxKind::*;
use stagecraft_syntax::{TextRange, KEYWORDS};

use crate::model::{Applicability, Fix, TextEdit};
use crate::rules::{self, Rule};
use crate::suggest;

/// A lint rule hit, before configuration and ordering.
#[derive(Debug, Clone)]
pub(crate) struct LintHit {
    pub(crate) rule: Rule,
    pub(crate) message: String,
    /// Where an editor should show it.
    pub(crate) range: TextRange,
    /// The instruction it is about (BuildKit reports its lines).
    pub(crate) instruction: TextRange,
    /// How to fix it, when there is a way.
    pub(crate) fix: Option<Fix>,
}

/// BuildKit's error for an instruction, with the most precise range we know.
#[derive(Debug, Clone)]
pub(crate) struct InstructionError {
    pub(crate) message: String,
    pub(crate) range: TextRange,
}

#[derive(Clone, Copy, PartialEq)]
enum FlagType {
    Bool,
    Str,
    Strs,
}

use FlagType::*;

const FROM_FLAGS: &[(&str, FlagType)] = &[("platform", Str)];
const RUN_FLAGS: &[(&str, FlagType)] = &[("device", Strs), ("mount", Strs), ("network", Str), ("security", Str)];
const COPY_FLAGS: &[(&str, FlagType)] =
    &[("chown", Str), ("from", Str), ("chmod", Str), ("link", Bool), ("exclude", Strs), ("parents", Bool)];
const ADD_FLAGS: &[(&str, FlagType)] = &[
    ("chown", Str),
    ("chmod", Str),
    ("link", Bool),
    ("keep-git-dir", Bool),
    ("checksum", Str),
    ("unpack", Bool),
    ("exclude", Strs),
];
const HEALTHCHECK_FLAGS: &[(&str, FlagType)] =
    &[("interval", Str), ("timeout", Str), ("start-period", Str), ("start-interval", Str), ("retries", Str)];

/// Checks one instruction; `Err` is BuildKit's error for it. Lint hits found while parsing are
/// pushed to `lints` (BuildKit emits them before the instruction's own error).
pub(crate) fn check(i: &Instruction, info: &InstructionInfo, lints: &mut Vec<LintHit>) -> Result<(), InstructionError> {
    let node = info.range;
    let err = |message: String| InstructionError { message, range: node };
    let args = &info.args;
    let keyword = &info.keyword;
    match info.kind {
        FROM_INSTR => check_from(i, info, lints),
        RUN_INSTR => {
            check_flags(info, RUN_FLAGS)?;
            check_run_options(info)
        }
        CMD_INSTR | ENTRYPOINT_INSTR => check_flags(info, &[]),
        SHELL_INSTR => {
            check_flags(info, &[])?;
            if args.is_empty() {
                return Err(err("SHELL requires at least one argument".into()));
            }
            if !info.json {
                return Err(err("SHELL requires the arguments to be in JSON form".into()));
            }
            Ok(())
        }
        ENV_INSTR | LABEL_INSTR => {
            check_flags(info, &[])?;
            let name = if info.kind == ENV_INSTR { "ENV" } else { "LABEL" };
            if args.is_empty() {
                return Err(err(format!("{name} requires at least one argument")));
            }
            if info.pairs.iter().any(|kv| kv.key.is_empty()) {
                return Err(err(format!("{name} names can not be blank")));
            }
            Ok(())
        }
        ARG_INSTR => {
            if args.is_empty() {
                return Err(err("ARG requires at least one argument".into()));
            }
            if args.iter().any(|a| a.split_once('=').is_some_and(|(k, _)| k.is_empty())) {
                return Err(err("ARG names can not be blank".into()));
            }
            Ok(())
        }
        MAINTAINER_INSTR => {
            lints.push(LintHit {
                rule: rules::MAINTAINER_DEPRECATED,
                message: "Maintainer instruction is deprecated in favor of using label".into(),
                range: info.keyword_range,
                instruction: node,
                fix: maintainer_fix(info),
            });
            if args.len() != 1 {
                return Err(err("MAINTAINER requires exactly one argument".into()));
            }
            check_flags(info, &[])
        }
        WORKDIR_INSTR | USER_INSTR => {
            if args.len() != 1 {
                let name = if info.kind == WORKDIR_INSTR { "WORKDIR" } else { "USER" };
                return Err(err(format!("{name} requires exactly one argument")));
            }
            check_flags(info, &[])
        }
        STOPSIGNAL_INSTR => {
            if args.len() != 1 {
                return Err(err("STOPSIGNAL requires exactly one argument".into()));
            }
            Ok(())
        }
        VOLUME_INSTR => {
            if args.is_empty() {
                return Err(err("VOLUME requires at least one argument".into()));
            }
            check_flags(info, &[])?;
            if args.iter().any(|a| a.trim().is_empty()) {
                return Err(err("VOLUME specified can not be an empty string".into()));
            }
            Ok(())
        }
        EXPOSE_INSTR => {
            if args.is_empty() {
                return Err(err("EXPOSE requires at least one argument".into()));
            }
            check_flags(info, &[])
        }
        ONBUILD_INSTR => {
            let Some(trigger) = i.trigger() else {
                return Err(err("ONBUILD requires at least one argument".into()));
            };
            check_flags(info, &[])?;
            let name = go::to_upper(trigger.keyword().unwrap_or_default().trim());
            let range = trigger.keyword_range().unwrap_or(node);
            match name.as_str() {
                "ONBUILD" => Err(InstructionError {
                    message: "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into(),
                    range,
                }),
                "MAINTAINER" | "FROM" => {
                    Err(InstructionError { message: format!("{name} isn't allowed as an ONBUILD trigger"), range })
                }
                _ => Ok(()),
            }
        }
        HEALTHCHECK_INSTR => check_healthcheck(info),
        ADD_INSTR | COPY_INSTR => {
            let name = if info.kind == ADD_INSTR { "ADD" } else { "COPY" };
            if args.len() < 2 {
                return Err(err(format!(
                    "{name} requires at least two arguments, but only one was provided. Destination could not be determined"
                )));
            }
            check_flags(info, if info.kind == ADD_INSTR { ADD_FLAGS } else { COPY_FLAGS })?;
            if parse_heredoc(&args[args.len() - 1]).ok().flatten().is_some() {
                return Err(err(format!("{name} cannot accept a heredoc as a destination")));
            }
            Ok(())
        }
        _ => {
            let suggestion = suggest::search(keyword, KEYWORDS.iter().copied(), false);
            let mut message = format!("unknown instruction: {keyword}");
            if let Some(s) = suggestion {
                message.push_str(&format!(" (did you mean {s}?)"));
            }
            // A character the message does not show: BuildKit splits words at ASCII blanks only,
            // so `FROM` and a no-break space and `alpine` are one word.
            let hidden = |c: char| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
            };
            if let Some(c) = keyword.chars().find(|&c| hidden(c)) {
                message.push_str(&format!(
                    "; it holds U+{:04X}, an invisible character or a blank that is no word break to BuildKit: type it again as a space or delete it",
                    c as u32
                ));
            }
            Err(InstructionError { message, range: info.keyword_range })
        }
    }
}

/// `MAINTAINER name` as the label Docker's documentation recommends. Not safe: the image's
/// author field becomes a label. Only for a value that reads the same inside double quotes.
fn maintainer_fix(info: &InstructionInfo) -> Option<Fix> {
    let [value] = info.args.as_slice() else { return None };
    if value.is_empty() || value.bytes().any(|b| b"\"\\$`\n\r".contains(&b)) {
        return None;
    }
    let label = if info.keyword.bytes().any(|b| b.is_ascii_uppercase()) { "LABEL" } else { "label" };
    Some(Fix {
        title: "Use `LABEL org.opencontainers.image.authors`".into(),
        edits: vec![TextEdit {
            range: info.range,
            new_text: format!("{label} org.opencontainers.image.authors=\"{value}\""),
        }],
        applicability: Applicability::Unsafe,
    })
}

fn check_from(i: &Instruction, info: &InstructionInfo, lints: &mut Vec<LintHit>) -> Result<(), InstructionError> {
    let node = info.range;
    let (args, keyword) = (&info.args, &*info.keyword);
    let words: Vec<TextRange> = info.words.iter().map(|(_, r)| *r).collect();
    if args.len() == 3 && args[2] != go::to_lower(&args[2]) {
        lints.push(LintHit {
            rule: rules::STAGE_NAME_CASING,
            message: format!("Stage name '{}' should be lowercase", args[2]),
            range: words.last().copied().unwrap_or(node),
            instruction: node,
            // The fix renames the stage everywhere; the checks after the model add it.
            fix: None,
        });
    }
    if args.len() >= 3 {
        let lower = keyword == go::to_lower(keyword);
        let upper = keyword == go::to_upper(keyword);
        let mismatch = (lower && args[1] != go::to_lower(&args[1])) || (upper && args[1] != go::to_upper(&args[1]));
        if (lower || upper) && mismatch {
            let as_token = i.as_keyword();
            let as_range = as_token.as_ref().map(|t| t.text_range()).or_else(|| words.get(1).copied()).unwrap_or(node);
            let as_wanted = if lower { "as" } else { "AS" };
            // Only the case of an `as` changes: another word there (`FROM a b c`, a build error)
            // would become a stage name. Not for an `as` split by a line continuation (`a\` and
            // `s`): writing `AS` over its first part would make the word `ASs`.
            let whole = as_token.as_ref().is_some_and(|t| go::equal_fold_as(t.text()));
            let fix = (go::equal_fold_as(&args[1]) && whole).then(|| Fix {
                title: format!("Write `{as_wanted}`"),
                edits: vec![TextEdit { range: as_range, new_text: as_wanted.into() }],
                applicability: Applicability::Safe,
            });
            lints.push(LintHit {
                rule: rules::FROM_AS_CASING,
                message: format!("'{}' and '{}' keywords' casing do not match", args[1], keyword),
                range: as_range,
                instruction: node,
                fix,
            });
        }
    }
    if args.len() == 3 && go::equal_fold_as(&args[1]) {
        if !valid_stage_name(&go::to_lower(&args[2])) {
            return Err(InstructionError {
                message: format!(
                    "invalid name for build stage: {}, name can't start with a number or contain symbols",
                    go::quote_str(&args[2])
                ),
                range: i.stage_name().map(|s| s.range()).unwrap_or(node),
            });
        }
    } else if args.len() != 1 {
        let mut message = String::from("FROM requires either one or three arguments");
        // (What to write; not in the browser build, for its size.)
        if cfg!(feature = "build-failures") {
            message.push_str("; write `FROM image` or `FROM image AS name`, flags before the image");
        }
        return Err(InstructionError { message, range: node });
    }
    check_flags(info, FROM_FLAGS)
}

/// BuildKit's stage name syntax: `^[a-z][a-z0-9-_.]*$` (after lower-casing).
pub fn valid_stage_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty() && b[0].is_ascii_lowercase() && b.iter().all(|&c| stage_name_byte(c))
}

/// A byte a stage name may hold after its first: `[a-z0-9-_.]`.
pub(crate) fn stage_name_byte(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.')
}

/// BuildKit's `BFlags.Parse` over the instruction's flags.
fn check_flags(info: &InstructionInfo, declared: &[(&str, FlagType)]) -> Result<(), InstructionError> {
    let mut used: Vec<&str> = Vec::new();
    for flag in &info.flags {
        let range = flag.range;
        let flag_name = format!("--{}", flag.name());
        let value = flag.value();
        let arg = flag.name();
        let Some(&(name, ty)) = declared.iter().find(|(n, _)| *n == arg) else {
            let mut message = format!("unknown flag: {flag_name}");
            if let Some(s) = suggest::search(arg, declared.iter().map(|(n, _)| *n), true) {
                message.push_str(&format!(" (did you mean {s}?)"));
            }
            return Err(InstructionError { message, range: flag.name_range });
        };
        if used.contains(&name) && ty != Strs {
            return Err(InstructionError { message: format!("duplicate flag specified: {flag_name}"), range });
        }
        used.push(name);
        match ty {
            Bool => {
                if value == Some("") {
                    let mut message = format!("missing a value on flag: {flag_name}");
                    if cfg!(feature = "build-failures") {
                        message.push_str(&format!("; write `{flag_name}`, `{flag_name}=true` or `{flag_name}=false`"));
                    }
                    return Err(InstructionError { message, range });
                }
                let v = value.unwrap_or_default();
                if !matches!(v.to_lowercase().as_str(), "true" | "" | "false") {
                    return Err(InstructionError {
                        message: format!("expecting boolean value for flag {flag_name}, not: {v}"),
                        range,
                    });
                }
            }
            Str | Strs => {
                if value.is_none() {
                    let mut message = format!("missing a value on flag: {flag_name}");
                    if cfg!(feature = "build-failures") {
                        message.push_str(&format!("; write `{flag_name}=VALUE`, with `=` and no blank"));
                    }
                    return Err(InstructionError { message, range });
                }
            }
        }
    }
    Ok(())
}

/// BuildKit's refusal of a mount `from=` with a variable in it.
pub(crate) const MOUNT_FROM_VARIABLE: &str = "'from' doesn't support variable expansion, define alias stage instead";

/// Whether BuildKit refuses a mount's `from=` value for a variable: a `$` anywhere but last.
pub(crate) fn mount_from_has_variable(value: &str) -> bool {
    value.find('$').is_some_and(|i| i != value.len() - 1)
}

/// The RUN flag checks that run while parsing: devices, mount syntax (and `from` without
/// variables), network and security values.
fn check_run_options(info: &InstructionInfo) -> Result<(), InstructionError> {
    let flags = &info.flags;
    for f in flags.iter().filter(|f| f.name() == "device") {
        check_device(f.value().unwrap_or_default()).map_err(|message| InstructionError { message, range: f.range })?;
    }
    for f in flags.iter().filter(|f| f.name() == "mount") {
        let value = f.value().unwrap_or_default();
        let fields = csv_fields(value)
            .map_err(|e| InstructionError { message: format!("failed to parse csv mounts: {e}"), range: f.range })?;
        for field in fields {
            if let Some((key, value)) = field.split_once('=') {
                if key.to_lowercase() == "from" && mount_from_has_variable(value) {
                    return Err(InstructionError { message: MOUNT_FROM_VARIABLE.into(), range: f.range });
                }
            }
        }
    }
    if let Some(f) = flags.iter().find(|f| f.name() == "network") {
        let v = f.value().unwrap_or_default();
        if !matches!(v, "default" | "none" | "host") {
            return Err(InstructionError {
                // (BuildKit's message ends at the value, with no "did you mean": what to write
                // is ours, after `; `, and names all three.)
                message: format!("invalid network mode {}; use default, none or host", go::quote_str(v)),
                range: f.range,
            });
        }
    }
    if let Some(f) = flags.iter().find(|f| f.name() == "security") {
        let v = f.value().unwrap_or_default();
        if !matches!(v, "insecure" | "sandbox") {
            return Err(InstructionError {
                message: format!("security {} is not valid; use insecure or sandbox", go::quote_str(v)),
                range: f.range,
            });
        }
    }
    Ok(())
}

fn check_device(value: &str) -> Result<(), String> {
    let fields = csv_fields(value).map_err(|e| format!("failed to parse csv devices: {e}"))?;
    let mut name = String::new();
    for field in fields {
        match field.split_once('=') {
            None => {
                let key = field.to_lowercase();
                if key == "required" {
                    continue;
                }
                if name.is_empty() {
                    name = field;
                    continue;
                }
                return Err(format!("invalid field '{field}' must be a key=value pair"));
            }
            Some((k, v)) => match k.to_lowercase().as_str() {
                "name" => {
                    if !name.is_empty() {
                        return Err(format!("device name already set to {name}"));
                    }
                    name = v.to_string();
                }
                "required" => {
                    if stagecraft_syntax::go::parse_bool(v).is_none() {
                        return Err(format!("invalid value for required: {v}"));
                    }
                }
                key => {
                    if name.is_empty() {
                        name = field.clone();
                        continue;
                    }
                    let mut message = format!("unexpected key '{key}' in '{field}'");
                    if let Some(s) = suggest::search(key, ["name", "required"], true) {
                        message.push_str(&format!(" (did you mean {s}?)"));
                    }
                    return Err(message);
                }
            },
        }
    }
    Ok(())
}

fn check_healthcheck(info: &InstructionInfo) -> Result<(), InstructionError> {
    let node = info.range;
    let args = &info.args;
    let err = |message: String| InstructionError { message, range: node };
    let Some(first) = args.first() else {
        return Err(err("HEALTHCHECK requires at least one argument".into()));
    };
    let typ = go::to_upper(first);
    if typ == "NONE" {
        if args.len() > 1 {
            return Err(err("HEALTHCHECK NONE takes no arguments".into()));
        }
        return Ok(());
    }
    check_flags(info, HEALTHCHECK_FLAGS)?;
    if typ != "CMD" {
        return Err(err(format!("Unknown type {} in HEALTHCHECK (try CMD)", go::quote_str(&typ))));
    }
    if args.len() < 2 {
        return Err(err("Missing command after HEALTHCHECK CMD".into()));
    }
    // BuildKit reads the durations, then the retries, whatever order they are written in (the
    // last value of a flag given twice).
    // (Native builds only, for the browser module's size: the value pointed at, and what the
    // flag takes.)
    let at = |flag: Option<&stagecraft_syntax::info::FlagInfo<'_>>, mut message: String, takes: &str| {
        let mut range = node;
        if let Some(f) = flag.filter(|_| cfg!(feature = "build-failures")) {
            message.push_str(&format!("; --{} takes {takes}", f.name()));
            range = f.range;
        }
        InstructionError { message, range }
    };
    for name in ["interval", "timeout", "start-period", "start-interval"] {
        let flag = info.last_flag(name);
        let value = flag.and_then(|f| f.value()).unwrap_or_default();
        if !value.is_empty() {
            let takes = "a duration such as `30s`, `1m30s` or `500ms`";
            let nanos = parse_duration(value).map_err(|m| at(flag, m, takes))?;
            if nanos != 0 && nanos < 1_000_000 {
                return Err(err(format!("Interval {} cannot be less than 1ms", go::quote_str(name))));
            }
        }
    }
    let flag = info.last_flag("retries");
    let retries = flag.and_then(|f| f.value()).unwrap_or_default();
    if !retries.is_empty() {
        // `strconv.ParseInt(v, 10, 32)`, which takes a sign and fails as Rust's `i32` parse does.
        let n = retries.parse::<i32>().map_err(|e| {
            let overflow = matches!(e.kind(), IntErrorKind::PosOverflow | IntErrorKind::NegOverflow);
            let why = if overflow { "value out of range" } else { "invalid syntax" };
            let message = format!("strconv.ParseInt: parsing {}: {why}", go::quote_str(retries));
            at(flag, message, "a whole number, such as `3`")
        })?;
        if n < 0 {
            return Err(err(format!("--retries cannot be negative ({n})")));
        }
    }
    Ok(())
}

/// A value as Go's `time` package quotes it in its errors (`time.quote`, not `strconv.Quote`):
/// each byte of a character outside printable ASCII as `\xNN`, `"` and `\` escaped. (The
/// browser build, for its size, quotes as `strconv.Quote` does, which differs only there.)
#[cfg(feature = "build-failures")]
fn time_quote(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::from('"');
    for c in s.chars() {
        if c < ' ' || !c.is_ascii() {
            for b in c.encode_utf8(&mut [0; 4]).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(not(feature = "build-failures"))]
use go::quote_str as time_quote;

/// Go's `time.ParseDuration`, in nanoseconds (its algorithm: integer digits, a fraction
/// scaled in floating point, overflow checks at 2^63).
pub(crate) fn parse_duration(s: &str) -> Result<i128, String> {
    const LIMIT: u64 = 1 << 63;
    let invalid = || format!("time: invalid duration {}", time_quote(s));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !rest.is_empty() {
        let b = rest.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // leadingInt
        let mut v: u64 = 0;
        let mut i = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(b[i] - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        // leadingFraction
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let start = i;
            let mut overflow = false;
            while i < b.len() && b[i].is_ascii_digit() {
                if !overflow {
                    if f > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(b[i] - b'0');
                        if y > LIMIT {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i > start;
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = rest[i..].find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len() - i);
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", time_quote(s)));
        }
        let unit = &rest[i..i + unit_len];
        rest = &rest[i + unit_len..];
        let unit_ns: u64 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(format!("time: unknown unit {} in duration {}", time_quote(unit), time_quote(s))),
        };
        if v > LIMIT / unit_ns {
            return Err(invalid());
        }
        v *= unit_ns;
        if f > 0 {
            v += (f as f64 * (unit_ns as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d += v;
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok(-(d as i128));
    }
    if d > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(d as i128)
}

/// `csvvalue.Fields`: one CSV record split on `,` with `"` quoting (`""` is a quote).
pub(crate) fn csv_fields(value: &str) -> Result<Vec<String>, String> {
    let value = value.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v)).unwrap_or(value);
    if value.is_empty() {
        return Err("EOF".into());
    }
    let b = value.as_bytes();
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        let mut field = Vec::new();
        if b.get(i) == Some(&b'"') {
            i += 1;
            // Where go-csvvalue's `Fields` stands for an error: after the last quote it read.
            let mut after_quote = i;
            loop {
                match b.get(i) {
                    None => {
                        return Err(format!(
                            "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                            after_quote + 1
                        ))
                    }
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                        field.push(b'"');
                        i += 2;
                        after_quote = i;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        field.push(c);
                        i += 1;
                    }
                }
            }
            match b.get(i) {
                None | Some(b',') => {}
                // At the closing quote.
                Some(_) => {
                    return Err(format!("parse error on line 1, column {i}: extraneous or missing \" in quoted-field"))
                }
            }
        } else {
            while let Some(&c) = b.get(i) {
                if c == b',' {
                    break;
                }
                if c == b'"' {
                    return Err(format!("parse error on line 1, column {}: bare \" in non-quoted-field", i + 1));
                }
                field.push(c);
                i += 1;
            }
        }
        fields.push(String::from_utf8_lossy(&field).into_owned());
        if i >= b.len() {
            return Ok(fields);
        }
        i += 1;
        if i == b.len() {
            fields.push(String::new());
            return Ok(fields);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv() {
        assert_eq!(csv_fields("type=cache,target=/x").unwrap(), ["type=cache", "target=/x"]);
        assert_eq!(csv_fields(r#""source=a,b",x"#).unwrap(), ["source=a,b", "x"]);
        assert_eq!(csv_fields("a,,b,").unwrap(), ["a", "", "b", ""]);
        assert_eq!(csv_fields("").unwrap_err(), "EOF");
        assert!(csv_fields(r#"a"b"#).unwrap_err().contains("bare \""));
        assert!(csv_fields(r#""ab"#).unwrap_err().contains("extraneous or missing"));
        // The columns go-csvvalue's `Fields` gives (its own tests: "Single quote strict",
        // "Too many quotes only", "ExtraneousQuote"): after the last quote read for a field
        // left open, at the closing quote for text after it.
        let column = |v: &str| {
            csv_fields(v).unwrap_err().split(", column ").nth(1).and_then(|c| c.split(':').next().map(String::from))
        };
        assert_eq!(column(r#"""#).as_deref(), Some("2"));
        assert_eq!(column(r#"""""#).as_deref(), Some("4"));
        assert_eq!(column(r#""a "word","b""#).as_deref(), Some("4"));
        assert_eq!(column(r#"type=cache,"target=/c"#).as_deref(), Some("13"));
        assert_eq!(column(r#"a"b"#).as_deref(), Some("2"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("1h2m"), Ok(3_720_000_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("5").unwrap_err(), "time: missing unit in duration \"5\"");
        assert_eq!(parse_duration("5q").unwrap_err(), "time: unknown unit \"q\" in duration \"5q\"");
        assert_eq!(parse_duration("x").unwrap_err(), "time: invalid duration \"x\"");
        // Go's `time.quote`: a byte at a time outside printable ASCII (found by an audit).
        #[cfg(feature = "build-failures")]
        {
            assert_eq!(
                parse_duration("1\u{c2}\u{b5}s").unwrap_err(),
                r#"time: unknown unit "\xc3\x82\xc2\xb5s" in duration "1\xc3\x82\xc2\xb5s""#
            );
            assert_eq!(parse_duration("\"\t\\").unwrap_err(), r#"time: invalid duration "\"\x09\\""#);
        }
        // Go's results for edge cases (time.ParseDuration, Go 1.22).
        assert_eq!(parse_duration(".5s"), Ok(500_000_000));
        assert_eq!(parse_duration("1.s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("-1.5h"), Ok(-5_400_000_000_000));
        assert_eq!(parse_duration("1.0000000000000000000001s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("2562047h47m16.854775807s"), Ok(9_223_372_036_854_775_807));
        assert!(parse_duration("2562047h47m16.854775808s").is_err());
        assert_eq!(parse_duration("-2562047h47m16.854775808s"), Ok(-9_223_372_036_854_775_808));
        assert_eq!(parse_duration("3\u{b5}s"), Ok(3_000));
        assert!(parse_duration(".s").is_err());
        assert!(parse_duration("+").is_err());
    }

    #[test]
    fn stage_names() {
        assert!(valid_stage_name("build-env_1.2"));
        assert!(!valid_stage_name("1build") && !valid_stage_name("build-%s") && !valid_stage_name(""));
    }
}
