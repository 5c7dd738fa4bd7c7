//! Rename a stage from its `AS` name or any reference; a refused rename answers with the reason.

use std::collections::HashMap;

use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::lsp_types::{Position, PrepareRenameResponse, TextEdit, Uri, WorkspaceEdit};

use crate::convert::Encoding;

pub(crate) fn prepare(a: &Analysis, encoding: Encoding, position: Position) -> Result<Option<PrepareRenameResponse>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    match a.prepare_rename(offset) {
        Ok((range, placeholder)) => {
            Ok(Some(PrepareRenameResponse::RangeWithPlaceholder { range: encoding.lsp_range(a, range), placeholder }))
        }
        Err(e) => Err(refused(e.0)),
    }
}

/// A rename the analysis refuses: LSP's RequestFailed (the request was valid; what it asks
/// cannot be done), with the reason, cut where a long name would make it long.
fn refused(mut reason: String) -> Error {
    const REQUEST_FAILED: i64 = -32803;
    if let Some((cut, _)) = reason.char_indices().nth(400) {
        reason.truncate(cut);
        reason.push('…');
    }
    Error { code: ErrorCode::ServerError(REQUEST_FAILED), message: reason.into(), data: None }
}

pub(crate) fn rename(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    position: Position,
    new_name: &str,
) -> Result<Option<WorkspaceEdit>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    let edits = a.rename(offset, new_name).map_err(|e| refused(e.0))?;
    let edits: Vec<TextEdit> =
        edits.into_iter().map(|e| TextEdit { range: encoding.lsp_range(a, e.range), new_text: e.new_text }).collect();
    Ok(Some(WorkspaceEdit { changes: Some(HashMap::from([(uri.clone(), edits)])), ..WorkspaceEdit::default() }))
}
