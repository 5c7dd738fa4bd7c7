//! The document outline: global ARGs, then stages with their instructions.

use stagecraft_analysis::queries::{OutlineItem, OutlineKind};
use stagecraft_analysis::Analysis;
use tower_lsp_server::lsp_types::{DocumentSymbol, DocumentSymbolResponse, SymbolKind};

use crate::convert::Encoding;

pub(crate) fn symbols(a: &Analysis, encoding: Encoding) -> DocumentSymbolResponse {
    DocumentSymbolResponse::Nested(a.outline().into_iter().map(|i| symbol(a, encoding, i)).collect())
}

#[allow(deprecated)]
fn symbol(a: &Analysis, encoding: Encoding, item: OutlineItem) -> DocumentSymbol {
    DocumentSymbol {
        name: item.name,
        detail: (!item.detail.is_empty()).then_some(item.detail),
        kind: match item.kind {
            OutlineKind::Stage => SymbolKind::CLASS,
            OutlineKind::Arg => SymbolKind::VARIABLE,
            OutlineKind::Instruction => SymbolKind::FUNCTION,
        },
        tags: None,
        deprecated: None,
        range: encoding.lsp_range(a, item.range),
        selection_range: encoding.lsp_range(a, item.selection),
        children: (!item.children.is_empty())
            .then(|| item.children.into_iter().map(|c| symbol(a, encoding, c)).collect()),
    }
}
