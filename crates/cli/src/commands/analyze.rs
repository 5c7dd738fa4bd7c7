//! `stagecraft analyze`: the whole model (stages, references, targets, unused stages,
//! diagnostics), as JSON with the oracle's field names, or as a summary.

use std::ffi::OsString;

use serde_json::{json, Value};
use stagecraft_analysis::{Analysis, BaseKind, RefKind, RefOrigin, RefTarget, PLANS_LISTED_MAX};

use crate::args::{self, Format, Spec};
use crate::{input, output, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft analyze FILE [--format text|json] [--build-arg K=V]... [--target T]... [--build-context NAME=...]...
                          [--platform P] [--context DIR]

Prints the stage model: stages and their bases, every stage reference and what it resolves
to, targets, what each target builds, unused stages and diagnostics. The JSON uses the field
names of BuildKit's oracle (lines are 1-based). --target T is the build's target instead of
the default one; more --target put more targets in play (a stage no target in play builds is
unused). --context DIR is the build context, whose .dockerignore `CopyIgnoredFile` checks (as
`stagecraft check` does).

Exit status: 0 when the file is read, whatever it finds (the build's error is in the report;
`stagecraft check` exits 1 on errors), 2 on usage or read errors.";

pub(crate) fn run(raw: Vec<OsString>) -> Result<Outcome, Failure> {
    let check = check_command(&raw);
    let Some(a) =
        args::parse(raw, &Spec { target: true, context: true, ..Spec::new(&[Format::Text, Format::Json]) }, HELP)?
    else {
        return Ok(Outcome::Ok);
    };
    let path = &a.files[0];
    // An ignore file BuildKit rejects is said, and the rest analysed without it (`check`
    // reports it as an error).
    let (options, fault) = super::with_ignore_rules(path, &a.options, a.context.as_deref());
    if let Some(message) = fault {
        crate::output::errln!("stagecraft: {message} (`CopyIgnoredFile` is not checked)");
    }
    let analysis = super::read_and_analyze(path, &options)?;
    super::warn_unused_options(&analysis, path, &options);
    match a.format.unwrap_or(Format::Text) {
        Format::Json => {
            if !detailed(&analysis) {
                crate::output::errln!(
                    "stagecraft: note: {}: what every stage's target builds would list {} stages in all; the JSON gives each target's count (`target_builds_count`), and null for `target_builds_stages` and `target_uses_external` (`stagecraft plan --target T` lists one)",
                    input::shown(path),
                    analysis.target_build_counts().iter().sum::<usize>()
                );
            }
            output::print_json(&to_json(&analysis, &input::name(path)))
        }
        _ => crate::output::text!("{}", summary(&analysis, &check, options.target_name().is_none())),
    }
    Ok(Outcome::Ok)
}

/// Whether the JSON lists what each stage's target builds: those lists grow with the square of
/// the stage count (a chain of 50,000 stages would list 1.25 billion), so beyond the budget the
/// language server and the browser keep too ([`PLANS_LISTED_MAX`] entries) only the counts are
/// given.
fn detailed(a: &Analysis) -> bool {
    a.target_build_counts().iter().sum::<usize>() <= PLANS_LISTED_MAX
}

/// An array member of [`to_json`]'s object, each item made as it is written.
type Lazy<'a> = output::LazyArray<Box<dyn Fn(usize) -> Value + 'a>>;

/// The oracle-shaped JSON of an analysis. The stages, references and diagnostics are made as
/// they are written: what each stage's target builds is a list of stages, thousands long in a
/// file of thousands, and ONBUILD triggers inherited by a thousand stages make a million
/// references (a `serde_json::Value` of each, held at once, took 8.5 GB for a 69 KB file).
pub(crate) fn to_json<'a>(a: &'a Analysis, file: &str) -> impl serde::Serialize + 'a {
    let detailed = detailed(a);
    let stages: Lazy<'a> = output::LazyArray(
        a.stages().len(),
        Box::new(move |i: usize| -> Value {
            let s = &a.stages()[i];
            let (base_stage, base_external) = match &s.base_kind {
                BaseKind::Stage(t) => (json!(t), Value::Null),
                BaseKind::Image(i) => (Value::Null, json!(i)),
                BaseKind::Scratch => (Value::Null, json!("scratch")),
                BaseKind::Unresolved | BaseKind::NamedContext(_) | BaseKind::ImageContext(_) => {
                    (Value::Null, Value::Null)
                }
            };
            json!({
                "index": s.index,
                "name": s.name,
                "name_as_written": s.name_as_written,
                "from_keyword": s.from_keyword,
                "base": s.base,
                "base_expanded": s.base_expanded,
                "base_stage": base_stage,
                "base_external": base_external,
                "named_context": matches!(s.base_kind, BaseKind::NamedContext(_)),
                // The named build context that replaces the base image, by its key.
                "base_context": match &s.base_kind {
                    BaseKind::ImageContext(k) => json!(k),
                    _ => Value::Null,
                },
                "platform": s.platform,
                "platform_expanded": s.platform_expanded,
                "line": s.line,
                "end_line": s.end_line,
                "range": output::range(a, s.range),
                "name_range": s.name_range.map(|r| output::range(a, r)),
                "doc_comment": s.description,
                "num_commands": s.commands.len(),
                "target_builds_stages": if detailed { json!(a.target_builds(s.index)) } else { Value::Null },
                "target_builds_count": a.target_build_counts()[s.index],
                // (Found from the same lists: null with them.)
                "target_uses_external": if detailed { json!(a.target_uses_external(s.index)) } else { Value::Null },
                "unused": a.is_unused(s.index),
            })
        }),
    );
    let references: Lazy<'a> = output::LazyArray(
        a.references().len(),
        Box::new(move |i: usize| -> Value {
            let r = &a.references()[i];
            let (resolved_stage, external, error) = match &r.target {
                RefTarget::Stage(t) => (json!(t), Value::Null, Value::Null),
                RefTarget::Image(i) => (Value::Null, json!(i), Value::Null),
                RefTarget::Scratch => (Value::Null, json!("scratch"), Value::Null),
                RefTarget::Context | RefTarget::NamedContext(_) | RefTarget::NotRunHere => {
                    (Value::Null, Value::Null, Value::Null)
                }
                RefTarget::Invalid(why) => (Value::Null, Value::Null, json!(why)),
            };
            let mut v = json!({
                "kind": r.kind.as_str(),
                "in_stage": r.in_stage,
                "instruction": r.instruction,
                "value": r.value,
                "line": r.line,
                "end_line": r.end_line,
                "range": output::range(a, r.range),
                "resolved_stage": resolved_stage,
                "external": external,
                "build_context": matches!(r.target, RefTarget::Context),
                "named_context": match &r.target {
                    RefTarget::NamedContext(k) => json!(k),
                    _ => Value::Null,
                },
                "error": error,
                "forward": r.forward,
                "onbuild": matches!(r.origin, RefOrigin::Inherited { .. }),
                "origin": r.origin.as_str(),
            });
            if let RefKind::MountFrom { mount_type, mount_index }
            | RefKind::MountImplicitScratch { mount_type, mount_index } = &r.kind
            {
                v["mount_type"] = json!(mount_type);
                v["mount_index"] = json!(mount_index);
            }
            v
        }),
    );
    let diagnostics: Lazy<'a> =
        output::LazyArray(a.diagnostics().len(), Box::new(move |i: usize| output::diagnostic(a, &a.diagnostics()[i])));
    let targets: Vec<Value> = a
        .targets()
        .iter()
        .map(|t| json!({"name": t.name, "stage": t.stage, "description": t.description, "default": t.is_default}))
        .collect();
    let global_args: Vec<Value> = a
        .global_args()
        .iter()
        .map(|g| json!({"key": g.key, "value": g.value, "value_expanded": g.value_expanded, "line": g.line, "description": g.description}))
        .collect();
    let object = json!({
        "file": file,
        "escape_token": a.parse().tree().escape_char().to_string(),
        "check_directive": {
            "skip_all": a.check_config().skip_all,
            "skip": &*a.check_config().skip,
            "experimental": &*a.check_config().experimental,
            "error": a.check_config().error,
        },
        "global_args": global_args,
        "targets": targets,
        "default_target": a.default_target(),
        "targets_in_play": a.targets_in_play(),
        "unused_stages": a.unused_stages(),
        "unused_named_contexts": a.unused_named_contexts().iter().map(|c| json!({"name": c.name, "suggestion": c.suggestion})).collect::<Vec<_>>(),
        "build_error": a.build_error().map(|e| super::build_error_json(a, e)),
    });
    output::WithMembers {
        object,
        members: vec![("diagnostics", diagnostics), ("references", references), ("stages", stages)],
    }
}

/// The `stagecraft check` command that lists what this run of `analyze` counts: its arguments
/// but `--format`, each quoted for a POSIX shell where it needs to be.
fn check_command(raw: &[OsString]) -> String {
    let mut out = String::from("stagecraft check");
    let mut words = raw.iter().map(|w| w.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--format" || word == "-f" {
            words.next();
            continue;
        }
        if word.starts_with("--format=") || (word.starts_with("-f") && word.len() > 2 && !word.starts_with("--")) {
            continue;
        }
        out.push(' ');
        let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
        if plain {
            out.push_str(&word);
        } else if word.chars().any(char::is_control) {
            // (A line break in a file name starts no line: bash's and zsh's `$'...'`.)
            out.push_str("$'");
            for c in word.chars() {
                match c {
                    '\\' | '\'' => out.extend(['\\', c]),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('\'');
        } else {
            out.push_str(&format!("'{}'", word.replace('\'', "'\\''")));
        }
    }
    out
}

/// `lint_all`: no `--target` given, so the analysis is BuildKit's lint of every stage.
fn summary(a: &Analysis, check: &str, lint_all: bool) -> String {
    let mut out = String::new();
    // Each stage's references, in order (one pass, not one scan per stage).
    let mut refs_in: Vec<Vec<&stagecraft_analysis::StageRef>> = vec![Vec::new(); a.stages().len()];
    for r in a.references().iter().filter(|r| r.kind != RefKind::From) {
        if let Some(list) = refs_in.get_mut(r.in_stage) {
            list.push(r);
        }
    }
    for s in a.stages() {
        let base = match &s.base_kind {
            BaseKind::Stage(t) => format!("stage {}", a.stages()[*t].display_name()),
            BaseKind::Image(i) => format!("image {i}"),
            BaseKind::Scratch => "scratch".into(),
            BaseKind::Unresolved => format!("{} (does not expand)", s.base),
            BaseKind::NamedContext(k) => format!("named build context {k} (it replaces the stage)"),
            BaseKind::ImageContext(k) => format!("named build context {k} (for image {})", s.base),
        };
        let mut marks = Vec::new();
        if Some(s.index) == a.default_target() {
            marks.push("default target");
        }
        if a.is_unused(s.index) {
            marks.push("unused");
        }
        let marks = if marks.is_empty() { String::new() } else { format!(" ({})", marks.join(", ")) };
        out.push_str(&format!("stage {} {} on line {}: FROM {base}{marks}\n", s.index, s.display_name(), s.line));
        for r in &refs_in[s.index] {
            let to = match &r.target {
                RefTarget::Stage(t) => format!("stage {}", a.stages()[*t].display_name()),
                RefTarget::Image(i) => format!("image {i}"),
                RefTarget::Scratch => "scratch".into(),
                RefTarget::Context => "the build context".into(),
                RefTarget::NamedContext(k) => format!("named build context {k}"),
                RefTarget::Invalid(why) => format!("nothing ({why})"),
                RefTarget::NotRunHere => {
                    "nothing here (an ONBUILD trigger no stage of this file runs: it is looked up where an image built on this stage is built)".into()
                }
            };
            out.push_str(&format!("  line {}: {} {} -> {to}\n", r.line, r.kind.as_str(), r.value));
        }
    }
    out.push_str(&format!(
        "{} stage{}, {} reference{}, {} unused\n",
        a.stages().len(),
        super::plural(a.stages().len()),
        a.references().len(),
        super::plural(a.references().len()),
        a.unused_stages().len()
    ));
    // The diagnostics themselves are `check`'s output; here, whether there are any.
    if let Some(e) = a.build_error() {
        let at = e
            .range
            .map(|r| {
                let (line, column) = output::position(a, r.start());
                format!(" (line {line}, column {column})")
            })
            .unwrap_or_default();
        // Without a target this is BuildKit's lint of every stage (`docker build --check`): a
        // failure in a stage no target in play builds fails the check, not their builds.
        let failures =
            if lint_all && matches!(e.phase, "dispatch" | "resolve-stages") { a.target_failures() } else { Vec::new() };
        let play = a.targets_in_play();
        if !failures.is_empty() && !play.is_empty() && play.iter().all(|&t| failures[t].is_none()) {
            let names: Vec<String> = play.iter().map(|&t| format!("`{}`", a.stages()[t].display_name())).collect();
            let whose = if play.len() == 1 && Some(play[0]) == a.default_target() { "the default target " } else { "" };
            out.push_str(&format!(
                "`docker build --check` fails{at}: {} (the check reads every stage; a build of {whose}{} does not meet it)\n",
                e.message_without_line(),
                names.join(", ")
            ));
        } else {
            out.push_str(&format!("the build fails{at}: {}\n", e.message_without_line()));
        }
    }
    if let Some(problems) = super::check::problems(a.diagnostics()) {
        out.push_str(&format!("{problems}: `{check}` lists them\n"));
    }
    out
}
