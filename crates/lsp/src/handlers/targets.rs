//! `stagecraft/targets`: the targets with descriptions, the default marked, and for each what
//! BuildKit builds (in waves) and what the legacy builder builds.
//!
//! Those lists together grow with the square of the stage count (the legacy builder builds
//! every stage up to its target; a chain of stages builds the whole chain), so a document
//! whose lists would hold more than [`DETAIL_BUDGET`] names gets the counts alone, marked
//! `detailed: false`, and a client asks for one target's lists with `target`.

use serde::Deserialize;
use serde_json::{json, Value};
use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::lsp_types::TextDocumentIdentifier;

/// Stage names all the targets' lists may hold together (the 501-stage benchmark file needs
/// ≈131,000; a 5,000-stage chain would need 25 million, ≈400 MB of JSON).
pub(crate) const DETAIL_BUDGET: usize = 250_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TargetsParams {
    pub(crate) text_document: TextDocumentIdentifier,
    /// One target (a stage name or `#index`), always with its lists.
    pub(crate) target: Option<String>,
}

pub(crate) fn targets(a: &Analysis, only: Option<&str>) -> Result<Value> {
    let targets = a.targets();
    let counts = a.target_build_counts();
    // `legacy_stages` is every stage up to the target.
    let legacy_count = |s: usize| s + 1;
    let selected: Vec<(usize, Option<String>, Option<String>, bool)> = match only {
        Some(name) => {
            let stage = a.resolve_target(name).map_err(Error::invalid_params)?;
            let stage_info = &a.stages()[stage];
            vec![(stage, stage_info.name.clone(), stage_info.description.clone(), Some(stage) == a.default_target())]
        }
        None => targets.into_iter().map(|t| (t.stage, t.name, t.description, t.is_default)).collect(),
    };
    let names: usize = selected.iter().map(|t| 2 * counts[t.0] + legacy_count(t.0)).sum();
    let detailed = only.is_some() || names <= DETAIL_BUDGET;
    let name = |s: usize| a.stages()[s].display_name();
    let list: Vec<Value> = selected
        .into_iter()
        .map(|(stage, target_name, description, is_default)| {
            let mut entry = json!({
                "name": target_name,
                "stage": stage,
                "description": description,
                "isDefault": is_default,
                "line": a.line_index().line_col(a.stages()[stage].from_range.start()).line,
                "builds": counts[stage],
                "legacyBuilds": legacy_count(stage),
            });
            if detailed {
                let plan = a.plan(stage);
                debug_assert_eq!(plan.legacy_stages.len(), legacy_count(stage));
                entry["buildkit"] = json!({
                    "stages": plan.stages.iter().map(|&s| name(s)).collect::<Vec<_>>(),
                    "waves": plan.waves.iter().map(|w| w.iter().map(|&s| name(s)).collect::<Vec<_>>()).collect::<Vec<_>>(),
                    "images": plan.images,
                });
                entry["legacy"] = json!(plan.legacy_stages.iter().map(|&s| name(s)).collect::<Vec<_>>());
            }
            entry
        })
        .collect();
    Ok(json!({"defaultTarget": a.default_target(), "detailed": detailed, "targets": list}))
}
