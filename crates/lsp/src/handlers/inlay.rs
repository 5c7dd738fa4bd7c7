//! Inlay hints: expanded ARG values in FROM, stage names behind numeric `--from`.

use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{InlayHint, InlayHintKind, InlayHintLabel, InlayHintTooltip, Range};

use crate::convert::Encoding;

pub(crate) fn inlay_hints(a: &Analysis, encoding: Encoding, range: Range) -> Result<Option<Vec<InlayHint>>> {
    let wanted = encoding.text_range(a.line_index(), a.text(), range)?;
    let hints = a
        .inlay_hints()
        .into_iter()
        .filter(|h| wanted.start() <= h.offset && h.offset <= wanted.end())
        .map(|h| InlayHint {
            position: encoding.position(a.line_index(), h.offset),
            label: InlayHintLabel::String(h.label),
            kind: Some(InlayHintKind::TYPE),
            text_edits: None,
            tooltip: Some(InlayHintTooltip::String(h.tooltip)),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect();
    Ok(Some(hints))
}
