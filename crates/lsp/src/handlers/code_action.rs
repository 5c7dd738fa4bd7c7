//! Code actions: the fixes diagnostics carry (remove an unused stage, use the stage a typo
//! meant, `key=value` for legacy ENV, keyword casing, ...).

use std::collections::HashMap;

use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionResponse, Range, TextEdit, Uri, WorkspaceEdit,
};

use crate::convert::Encoding;

pub(crate) fn code_actions(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    range: Range,
) -> Result<Option<CodeActionResponse>> {
    let wanted = encoding.text_range(a.line_index(), a.text(), range)?;
    let lsp_diagnostics = super::diagnostics::convert(a, encoding);
    let mut actions = Vec::new();
    for (d, lsp) in a.diagnostics().iter().zip(lsp_diagnostics) {
        let Some(fix) = &d.fix else { continue };
        let touches = d.range.start() <= wanted.end() && wanted.start() <= d.range.end();
        if !touches {
            continue;
        }
        let edits: Vec<TextEdit> = fix
            .edits
            .iter()
            .map(|e| TextEdit { range: encoding.lsp_range(a, e.range), new_text: e.new_text.clone() })
            .collect();
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: fix.title.clone(),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![lsp]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), edits)])),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    }
    Ok((!actions.is_empty()).then_some(actions))
}
