//! A code lens above each FROM: the stage as a target, what it builds, how often it is used.

use stagecraft_analysis::Analysis;
use tower_lsp_server::lsp_types::{CodeLens, Command, Uri};

use crate::convert::Encoding;

pub(crate) fn lenses(a: &Analysis, encoding: Encoding, uri: &Uri) -> Vec<CodeLens> {
    a.stages()
        .iter()
        .map(|s| {
            let builds = a.plan(s.index).stages.len();
            let refs = a.occurrences(s.index).iter().filter(|o| !o.is_definition).count();
            // Targets are the named stages and the default (last) one; an unnamed stage before
            // the last cannot be passed to --target.
            let label = match (&s.name_as_written, Some(s.index) == a.default_target()) {
                (Some(n), true) => format!("target: {n} (default)"),
                (Some(n), false) => format!("target: {n}"),
                (None, true) => format!("target: stage-{} (default)", s.index),
                (None, false) => format!("stage-{} (unnamed, not a target)", s.index),
            };
            let title = format!(
                "{label} · builds {builds} stage{} · {refs} ref{}",
                if builds == 1 { "" } else { "s" },
                if refs == 1 { "" } else { "s" }
            );
            let line_start = encoding.position(a.line_index(), s.from_range.start());
            CodeLens {
                range: tower_lsp_server::lsp_types::Range { start: line_start, end: line_start },
                command: Some(Command {
                    title,
                    command: "stagecraft.pickTarget".into(),
                    arguments: Some(vec![serde_json::json!(uri.as_str()), serde_json::json!(s.index)]),
                }),
                data: None,
            }
        })
        .collect()
}
