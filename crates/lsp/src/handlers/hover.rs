//! Hover on stage names, references, images and global ARGs.

use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

use crate::convert::Encoding;

pub(crate) fn hover(a: &Analysis, encoding: Encoding, position: Position) -> Result<Option<Hover>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    Ok(a.hover(offset).map(|h| Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: h.markdown }),
        range: Some(encoding.lsp_range(a, h.range)),
    }))
}
