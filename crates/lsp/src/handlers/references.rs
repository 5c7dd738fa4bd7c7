//! References, document highlights and linked editing of a stage's name.

use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    DocumentHighlight, DocumentHighlightKind, LinkedEditingRanges, Location, Position, Uri,
};

use crate::convert::Encoding;

pub(crate) fn references(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    position: Position,
    include_declaration: bool,
) -> Result<Option<Vec<Location>>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    // The declaration is where go-to-definition goes: for a stage without a name, its FROM.
    let ranges: Vec<_> = a
        .references_at(offset)
        .into_iter()
        .filter(|o| include_declaration || !o.is_definition)
        .map(|o| o.range)
        .collect();
    let found: Vec<Location> =
        ranges.into_iter().map(|r| Location { uri: uri.clone(), range: encoding.lsp_range(a, r) }).collect();
    Ok((!found.is_empty()).then_some(found))
}

pub(crate) fn highlight(
    a: &Analysis,
    encoding: Encoding,
    position: Position,
) -> Result<Option<Vec<DocumentHighlight>>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    let found: Vec<DocumentHighlight> = a
        .references_at(offset)
        .into_iter()
        .map(|o| DocumentHighlight {
            range: encoding.lsp_range(a, o.range),
            kind: Some(if o.is_definition { DocumentHighlightKind::WRITE } else { DocumentHighlightKind::READ }),
        })
        .collect();
    Ok((!found.is_empty()).then_some(found))
}

/// The ranges typed together with the stage name at `position` ([`Analysis::linked_editing`]).
pub(crate) fn linked_editing(
    a: &Analysis,
    encoding: Encoding,
    position: Position,
) -> Result<Option<LinkedEditingRanges>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    Ok(a.linked_editing(offset).map(|ranges| LinkedEditingRanges {
        ranges: ranges.into_iter().map(|r| encoding.lsp_range(a, r)).collect(),
        word_pattern: None,
    }))
}
