//! Code actions: the fixes diagnostics carry (remove an unused stage, use the stage a typo
//! meant, `key=value` for legacy ENV, keyword casing, ...), and "fix all" for the safe ones
//! (`source.fixAll.stagecraft`, which editors run on save when asked to).

use std::collections::HashMap;

use stagecraft_analysis::fixes::FixSet;
use stagecraft_analysis::{Analysis, Applicability};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionResponse, Range, TextEdit, Uri, WorkspaceEdit,
};

use crate::convert::Encoding;

/// The kind of the "fix all" action.
pub(crate) fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.stagecraft")
}

/// Whether a client that asked for `only` these kinds wants actions of `kind`: kinds are
/// hierarchical (`source.fixAll` covers `source.fixAll.stagecraft`).
fn wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|o| {
            kind.as_str().strip_prefix(o.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    })
}

pub(crate) fn code_actions(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    range: Range,
    only: Option<&[CodeActionKind]>,
) -> Result<Option<CodeActionResponse>> {
    let wanted_range = encoding.text_range(a.line_index(), a.text(), range)?;
    let edit = |edits: &[stagecraft_analysis::TextEdit]| WorkspaceEdit {
        changes: Some(HashMap::from([(
            uri.clone(),
            edits
                .iter()
                .map(|e| TextEdit { range: encoding.lsp_range(a, e.range), new_text: e.new_text.clone() })
                .collect(),
        )])),
        ..WorkspaceEdit::default()
    };
    let mut actions = Vec::new();
    if wanted(only, &CodeActionKind::QUICKFIX) {
        let lsp_diagnostics = super::diagnostics::convert(a, uri, encoding);
        for (d, lsp) in a.diagnostics().iter().zip(lsp_diagnostics) {
            let Some(fix) = &d.fix else { continue };
            let touches = d.range.start() <= wanted_range.end() && wanted_range.start() <= d.range.end();
            if !touches {
                continue;
            }
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp]),
                edit: Some(edit(&fix.edits)),
                // An editor's "auto fix" applies the preferred one without asking: only a fix
                // that leaves the build as it was.
                is_preferred: Some(fix.applicability == Applicability::Safe),
                ..CodeAction::default()
            }));
        }
    }
    if wanted(only, &fix_all_kind()) {
        let (edits, count) = a.fix_all_edits(FixSet::Safe);
        if count > 0 {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Fix all safe problems ({count})"),
                kind: Some(fix_all_kind()),
                edit: Some(edit(&edits)),
                ..CodeAction::default()
            }));
        }
    }
    Ok((!actions.is_empty()).then_some(actions))
}
