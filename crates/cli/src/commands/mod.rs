//! One module per subcommand.

pub(crate) mod analyze;
pub(crate) mod check;
pub(crate) mod dump;
pub(crate) mod fmt;
pub(crate) mod graph;
pub(crate) mod plan;
pub(crate) mod rename;
pub(crate) mod targets;

use std::path::Path;
use std::sync::Arc;

use stagecraft_analysis::dockerignore;
use stagecraft_analysis::{analyze, Analysis, BuildError, IgnoreRules, Options};

use crate::{input, Failure};

/// Reads FILE and analyses it (bytes that are not UTF-8 read as U+FFFD, with a warning: see
/// `input::read_lossy`).
pub(crate) fn read_and_analyze(path: &Path, options: &Options) -> Result<Analysis, Failure> {
    read_and_analyze_noting(path, options).map(|(an, _)| an)
}

/// [`read_and_analyze`], with what was not UTF-8 in the file.
pub(crate) fn read_and_analyze_noting(
    path: &Path,
    options: &Options,
) -> Result<(Analysis, Option<input::NotUtf8>), Failure> {
    let (text, not_utf8) = input::read_lossy(path)?;
    Ok((analyze_text(path, &text, options)?, not_utf8))
}

/// Analyses FILE's `text`; an unknown `--target` is an error.
pub(crate) fn analyze_text(path: &Path, text: &str, options: &Options) -> Result<Analysis, Failure> {
    let an = analyze(text, options);
    known_targets(&an, path, options)?;
    Ok(an)
}

/// For the commands that say what a build does (`check`, `plan`, `analyze`): a build arg no
/// `ARG` reads, and a named context that replaces nothing, are said on stderr. BuildKit ignores
/// both without a word, so a typo in the flag or the file would go unseen (or pull an image).
pub(crate) fn warn_unused_options(an: &Analysis, path: &Path, options: &Options) {
    for (key, closest) in an.unread_build_args(&options.build_args) {
        let hint = closest.map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
        crate::output::errln!(
            "stagecraft: warning: {}: --build-arg `{key}` is read by no ARG of this file, and BuildKit ignores it{hint}",
            input::shown(path),
        );
    }
    for c in an.unused_named_contexts() {
        let hint = if c.name == "scratch" {
            " (`scratch` is the empty image: never looked up)".to_string()
        } else {
            c.suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
        };
        crate::output::errln!(
            "stagecraft: warning: {}: --build-context {} replaces no stage and no image of this file, and BuildKit ignores it{hint}",
            input::shown(path),
            c.name
        );
    }
}

/// A usage error for a `--target` no stage of the file has: BuildKit fails on one, and so does
/// every command that takes it (a typo in CI must not quietly check the default target).
pub(crate) fn known_targets(an: &Analysis, path: &Path, options: &Options) -> Result<(), Failure> {
    for t in &options.targets {
        resolve_target(an, path, t)?;
    }
    Ok(())
}

/// The stage `--target` = `t` builds, or a usage error that says why none does, and the error
/// `docker build` meets first where it fails before it looks for a target: it looks once the
/// file parses and its stages are made.
fn resolve_target(an: &Analysis, path: &Path, t: &str) -> Result<usize, Failure> {
    an.resolve_stage(t).map_err(|e| {
        let phases = ["parse", "instructions", "meta-args", "dispatch-states"];
        let first = an.build_error().filter(|b| phases.contains(&b.phase)).map_or(String::new(), |b| {
            let at = b.range.map_or(String::new(), |r| format!("line {}: ", an.line_of(r.start())));
            format!("; `docker build` fails before it looks for a target: {at}{}", b.message_without_line())
        });
        Failure::Usage(format!("{}: {e}{first}", input::shown(path)))
    })
}

/// `:LINE:COLUMN` of an offset, after a file's name in a message (as `check` says where).
pub(crate) fn line_column(an: &Analysis, offset: stagecraft_analysis::TextSize) -> String {
    let (line, column) = crate::output::position(an, offset);
    format!(":{line}:{column}")
}

/// For the commands that show what a build would do (`plan`, `targets`): a failure `counts`
/// (BuildKit's step for them meets it) is said on stderr, with where and what, and makes the
/// exit status 1; the output is still printed, as what the build would be once it is mended.
pub(crate) fn build_outcome(an: &Analysis, path: &Path, counts: impl Fn(&BuildError) -> bool) -> crate::Outcome {
    match an.build_error().filter(|e| counts(e)) {
        Some(e) => {
            let at = e.range.map(|r| line_column(an, r.start())).unwrap_or_default();
            crate::output::errln!(
                "stagecraft: {}{at}: the build fails: {} (the output is what it would build once that is mended; `stagecraft check` says more)",
                input::shown(path),
                e.message_without_line()
            );
            crate::Outcome::Findings
        }
        None => crate::Outcome::Ok,
    }
}

/// `options` plus the ignore rules BuildKit reads for the Dockerfile at `path`, for
/// `CopyIgnoredFile`: `<name>.dockerignore` beside it, else `.dockerignore` at the root of the
/// build context (`--context`, or the Dockerfile's directory). A Dockerfile on the standard
/// input has no name or directory (as with `docker build -f - DIR`): only the context's
/// `.dockerignore` is read (`--context`, or the current directory). An ignore file BuildKit
/// rejects (or that cannot be read) is the build's error where BuildKit meets it
/// ([`Options::ignore_error`]), and its message comes back for the command to say.
pub(crate) fn with_ignore_rules(path: &Path, options: &Options, context: Option<&Path>) -> (Options, Option<String>) {
    // A Dockerfile that is not there: its reading says so, not its context's ignore file.
    if !input::is_stdin(path) && !path.is_file() {
        return (options.clone(), None);
    }
    let rules = if input::is_stdin(path) {
        dockerignore::context_ignore_file(context.unwrap_or(Path::new("."))).map(|f| dockerignore::load(&f)).transpose()
    } else {
        dockerignore::load_for(path, context)
    };
    match rules {
        Ok(Some(rules)) => (Options { ignore: Some(IgnoreRules(Arc::new(rules))), ..options.clone() }, None),
        Ok(None) => (options.clone(), None),
        Err(message) => (Options { ignore_error: Some(message.clone()), ..options.clone() }, Some(message)),
    }
}

/// A command that shows one target's build (`what`) refuses several `--target`s (the others
/// take them as the targets in play).
pub(crate) fn one_target(a: &crate::args::Args, what: &str, help: &str) -> Result<(), Failure> {
    if a.given_targets.len() > 1 {
        let given: Vec<String> =
            a.given_targets.iter().map(|t| if t.is_empty() { "''".into() } else { format!("`{t}`") }).collect();
        return Err(crate::args::usage_error(
            &format!("{what}, and --target is given more than once ({}): give it once", given.join(", ")),
            help,
        ));
    }
    Ok(())
}

/// The stage `--target` names, or the default target; a usage error says which names exist.
pub(crate) fn target_stage(an: &Analysis, path: &Path, target: Option<&str>) -> Result<usize, Failure> {
    match target {
        Some(t) => resolve_target(an, path, t),
        None => an.default_target().ok_or_else(|| {
            let shown = input::shown(path);
            let named = if input::is_stdin(path) { "-".into() } else { shown.clone() };
            Failure::Usage(format!(
                "{shown}: the file has no stages: a stage starts at a FROM instruction (`stagecraft check {named}` says what BuildKit reads in it)"
            ))
        }),
    }
}

/// The build's error in the JSON of `analyze`, `plan` and `targets`: the same object in each.
pub(crate) fn build_error_json(an: &Analysis, e: &BuildError) -> serde_json::Value {
    serde_json::json!({
        "message": e.message,
        "phase": e.phase,
        "line": e.range.map(|r| an.line_of(r.start())),
        // BuildKit's own line span, as its error names it (none where it names none).
        "lines": e.lines.map(|_| an.build_error_lines().into_iter().map(|(start, end)| [start, end]).collect::<Vec<_>>()),
    })
}

/// The plural ending for `n` things: `""` for one, else `"s"`.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
