//! Two code lenses above each FROM: the stage as a target and what it builds (or where its build
//! fails), running the target picker; and how often the stage is used, running the references
//! view.

use stagecraft_analysis::Analysis;
use tower_lsp_server::lsp_types::{CodeLens, Command, Uri};

use crate::convert::Encoding;

pub(crate) fn lenses(a: &Analysis, encoding: Encoding, uri: &Uri) -> Vec<CodeLens> {
    // Per stage, each computed in one pass: a file may have thousands of stages.
    let mut targets = vec![None; a.stages().len()];
    for t in a.targets() {
        if let Some(slot) = targets.get_mut(t.stage) {
            *slot = Some(t);
        }
    }
    let builds = a.target_build_counts();
    let refs = a.reference_counts();
    let failures = a.target_failures();
    a.stages()
        .iter()
        .flat_map(|s| {
            let (builds, refs) = (builds[s.index], refs[s.index]);
            // The analysis says which stages `--target` can name: not an unnamed stage before the
            // last, nor a stage whose name a later stage takes over.
            let label = match &targets[s.index] {
                // (`--target` cannot name an unnamed stage: the default is built without one.)
                Some(t) if t.is_default && s.name.is_none() => format!("target: default (unnamed stage {})", s.index),
                Some(t) if t.is_default => format!("target: {} (default)", s.display_name()),
                Some(_) => format!("target: {}", s.display_name()),
                None if s.name.is_some() => format!("{} (not a target: a later stage has its name)", s.display_name()),
                None => format!("{} (unnamed, not a target)", s.display_name()),
            };
            // A build known to fail says so, and where, instead of what it would build.
            let build = match &failures[s.index] {
                Some(e) => match e.range {
                    Some(r) => format!("build fails (line {})", a.line_of(r.start())),
                    None => "build fails".to_string(),
                },
                None => format!("builds {builds} stage{}", if builds == 1 { "" } else { "s" }),
            };
            let line_start = encoding.position(a.line_index(), s.from_range.start());
            let range = tower_lsp_server::lsp_types::Range { start: line_start, end: line_start };
            // The references are asked for where go-to-definition lands: the name, or an
            // unnamed stage's FROM.
            let at = encoding.position(a.line_index(), s.name_range.unwrap_or(s.from_range).start());
            let lens = |title: String, command: &str, arguments: Vec<serde_json::Value>| CodeLens {
                range,
                command: Some(Command { title, command: command.into(), arguments: Some(arguments) }),
                data: None,
            };
            [
                lens(
                    format!("{label} · {build}"),
                    "stagecraft.pickTarget",
                    vec![serde_json::json!(uri.as_str()), serde_json::json!(s.index)],
                ),
                lens(
                    format!("{refs} ref{}", if refs == 1 { "" } else { "s" }),
                    "stagecraft.showReferences",
                    vec![serde_json::json!(uri.as_str()), serde_json::json!(at)],
                ),
            ]
        })
        .collect()
}
