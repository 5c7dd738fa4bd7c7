//! `stagecraft targets`: what `--target` can name, with descriptions and what each builds.

use std::ffi::OsString;

use serde_json::{json, Value};

use crate::args::{self, Format, Spec};
use crate::{input, output, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft targets FILE [--format text|json] [--build-arg K=V]... [--build-context NAME=...]...
                          [--platform P]

Lists the build targets (named stages and the default stage) as `docker buildx build
--call=targets` does, with the stages BuildKit builds for each. A name several stages share is
listed once, for the stage `--target` builds (the last; buildx lists each).

Exit status: 0, or 1 when BuildKit cannot list them (a parse or instruction error: it goes to
stderr, and the targets are still listed), 2 on usage or read errors (a file with no stages has
no target).";

/// A failure `--call=targets` meets: it only parses the file and its instructions
/// (BuildKit's `ListTargets`), so it lists the targets of a file whose build fails later.
fn lists_targets(e: &stagecraft_analysis::BuildError) -> bool {
    matches!(e.phase, "parse" | "instructions")
}

pub(crate) fn run(raw: Vec<OsString>) -> Result<Outcome, Failure> {
    let Some(a) = args::parse(raw, &Spec::new(&[Format::Text, Format::Json]), HELP)? else { return Ok(Outcome::Ok) };
    let path = &a.files[0];
    let an = super::read_and_analyze(path, &a.options)?;
    // Nothing to list is an error, as for `plan` (and `--call=targets`, which fails to parse).
    super::target_stage(&an, path, None)?;
    let targets = an.targets();
    if a.format == Some(Format::Json) {
        // Each target's lists are made as they are written; beyond the budget the server and the
        // browser keep too, only their lengths (they grow with the square of the stage count).
        let listed = an.plans_listed(targets.iter().map(|t| t.stage));
        let detailed = listed <= stagecraft_analysis::PLANS_LISTED_MAX;
        if !detailed {
            crate::output::errln!(
                "stagecraft: note: {}: the targets' lists would name {listed} stages in all; the JSON gives how many stages each builds (`builds_count`, `legacy_builds_count`) and null lists (`stagecraft plan --target T` lists one)",
                input::shown(path)
            );
        }
        let counts = an.target_build_counts();
        let list = output::LazyArray(targets.len(), |i: usize| -> Value {
            let t = &targets[i];
            let names =
                |stages: &[usize]| json!(stages.iter().map(|&s| an.stages()[s].display_name()).collect::<Vec<_>>());
            let (builds, legacy) = match detailed {
                true => {
                    let plan = an.plan(t.stage);
                    (names(&plan.stages), names(&plan.legacy_stages))
                }
                false => (Value::Null, Value::Null),
            };
            json!({
                "name": t.name,
                "stage": t.stage,
                "description": t.description,
                "default": t.is_default,
                "line": an.stages()[t.stage].line,
                "builds": builds,
                "legacy_builds": legacy,
                "builds_count": counts[t.stage],
                "legacy_builds_count": an.target_legacy_count(t.stage),
            })
        });
        let object = json!({
            "default_target": an.default_target(),
            "build_error": an.build_error().filter(|e| lists_targets(e)).map(|e| super::build_error_json(&an, e)),
        });
        output::print_json(&output::WithMembers { object, members: vec![("targets", list)] });
        return Ok(super::build_outcome(&an, path, lists_targets));
    }
    let counts = an.target_build_counts();
    let rows: Vec<(String, String, String)> = targets
        .iter()
        .map(|t| {
            // An unnamed default stage is no name `--target` takes: `(default)` alone, as buildx
            // prints it (`PrintTargets`), not `stage-N`.
            let name = match &t.name {
                Some(name) if t.is_default => format!("{name} (default)"),
                Some(name) => name.clone(),
                None => "(default)".to_string(),
            };
            let builds = counts[t.stage];
            (name, format!("{builds}"), t.description.clone().unwrap_or_default())
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(6);
    crate::output::textln!("{:<width$}  {:>6}  DESCRIPTION", "TARGET", "BUILDS");
    for (name, builds, desc) in rows {
        // (No blanks at the end of a row without a description.)
        let row = format!("{name:<width$}  {builds:>6}  {desc}");
        crate::output::textln!("{}", row.trim_end());
    }
    Ok(super::build_outcome(&an, path, lists_targets))
}
