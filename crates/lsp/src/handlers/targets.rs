//! `stagecraft/targets`: the targets with descriptions, the default marked, and for each what
//! BuildKit builds (in waves) and what the legacy builder builds.

use serde::Deserialize;
use serde_json::{json, Value};
use stagecraft_analysis::Analysis;
use tower_lsp_server::lsp_types::TextDocumentIdentifier;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TargetsParams {
    pub(crate) text_document: TextDocumentIdentifier,
}

pub(crate) fn targets(a: &Analysis) -> Value {
    let name = |s: usize| a.stages()[s].display_name();
    let list: Vec<Value> = a
        .targets()
        .iter()
        .map(|t| {
            let plan = a.plan(t.stage);
            json!({
                "name": t.name,
                "stage": t.stage,
                "description": t.description,
                "isDefault": t.is_default,
                "line": a.line_index().line_col(a.stages()[t.stage].from_range.start()).line,
                "buildkit": {
                    "stages": plan.stages.iter().map(|&s| name(s)).collect::<Vec<_>>(),
                    "waves": plan.waves.iter().map(|w| w.iter().map(|&s| name(s)).collect::<Vec<_>>()).collect::<Vec<_>>(),
                    "images": plan.images,
                },
                "legacy": plan.legacy_stages.iter().map(|&s| name(s)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"defaultTarget": a.default_target(), "targets": list})
}
