//! `stagecraft/targets`: the targets with descriptions, the default marked, and for each what
//! BuildKit builds (in waves) and what the legacy builder builds.
//!
//! Those lists together grow with the square of the stage count (the legacy builder builds
//! every stage up to its target; a chain of stages builds the whole chain), so a document
//! whose lists would hold more than [`PLANS_LISTED_MAX`] names gets the counts alone, marked
//! `detailed: false`, and a client asks for one target's lists with `target`.

use serde::Deserialize;
use serde_json::{json, Value};
use stagecraft_analysis::{Analysis, LegacyNote, Target, PLANS_LISTED_MAX};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::lsp_types::TextDocumentIdentifier;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TargetsParams {
    pub(crate) text_document: TextDocumentIdentifier,
    /// One target (a stage name or `#index`), always with its lists.
    pub(crate) target: Option<String>,
}

pub(crate) fn targets(a: &Analysis, only: Option<&str>) -> Result<Value> {
    let counts = a.target_build_counts();
    let failures = a.target_failures();
    let selected: Vec<Target> = match only {
        Some(name) => {
            let stage = a.resolve_stage(name).map_err(Error::invalid_params)?;
            let s = &a.stages()[stage];
            let is_default = Some(stage) == a.default_target();
            vec![Target { stage, name: s.name.clone(), description: s.description.clone(), is_default }]
        }
        None => a.targets(),
    };
    // A 5,000-stage chain's lists would hold 37.5 million names, hundreds of MB of JSON.
    let detailed = only.is_some() || a.plans_listed(selected.iter().map(|t| t.stage)) <= PLANS_LISTED_MAX;
    let name = |s: usize| a.stages()[s].display_name();
    // Where the legacy builder fails of its own accord, building each target (`stagecraft plan
    // --legacy`), on the file as it reads it: the stages up to the target, in order. (Read with
    // each target's BuildKit set: only where the lists are given, which keep those sets anyway.)
    let legacy_counts: Vec<usize> = selected.iter().map(|t| a.target_legacy_count(t.stage)).collect();
    let legacy_fails = match detailed {
        true => {
            let builds: Vec<(usize, &[usize])> =
                selected.iter().zip(&legacy_counts).map(|(t, &n)| (n, a.target_builds(t.stage))).collect();
            let view = a.legacy_view();
            view.as_ref().unwrap_or(a).legacy_failures(&builds)
        }
        false => vec![None; selected.len()],
    };
    let list: Vec<Value> = selected
        .into_iter()
        .zip(legacy_counts.into_iter().zip(legacy_fails))
        .map(|(t, (legacy_count, legacy_fails))| {
            // (Where BuildKit fails there too, `fails` says it.)
            let legacy_fails = legacy_fails.filter(|f| f.note != LegacyNote::FailsThere).map(|f| {
                json!({
                    "message": stagecraft_analysis::queries::shortened(&f.message),
                    "line": a.line_index().line_col(f.offset).line,
                })
            });
            let mut entry = json!({
                "name": t.name,
                "stage": t.stage,
                "description": t.description,
                "isDefault": t.is_default,
                "line": a.line_index().line_col(a.stages()[t.stage].from_range.start()).line,
                "builds": counts[t.stage],
                "legacyBuilds": legacy_count,
                // Where its build is known to fail (see `Analysis::target_failures`); the line
                // is given apart, so not again in the message (`dockerfile parse error on line 2: `).
                "fails": failures[t.stage].as_ref().map(|e| json!({
                    "message": stagecraft_analysis::queries::shortened(e.message_without_line()),
                    "line": e.range.map(|r| a.line_index().line_col(r.start()).line),
                })),
                // The legacy builder's own first failure building the stages it builds for this
                // target, where BuildKit does otherwise (0-based line, as `line`; null where the
                // lists are not given).
                "legacyFails": legacy_fails,
            });
            if detailed {
                let plan = a.plan(t.stage);
                entry["buildkit"] = json!({
                    "stages": plan.stages.iter().map(|&s| name(s)).collect::<Vec<_>>(),
                    "waves": plan.waves.iter().map(|w| w.iter().map(|&s| name(s)).collect::<Vec<_>>()).collect::<Vec<_>>(),
                    "inCycle": plan.in_cycle.iter().map(|&s| name(s)).collect::<Vec<_>>(),
                    "images": plan.images,
                    "contexts": plan.contexts,
                    // What a stage a named context replaces still uses: BuildKit dispatches it
                    // (its failures fail the build) and builds none of it, as `plan` says.
                    "dispatchedNotBuilt": a.dispatched_not_built(t.stage).into_iter().map(name).collect::<Vec<_>>(),
                });
                entry["legacy"] = json!(plan.legacy_stages.iter().map(|&s| name(s)).collect::<Vec<_>>());
            }
            entry
        })
        .collect();
    Ok(json!({"defaultTarget": a.default_target(), "detailed": detailed, "targets": list}))
}
