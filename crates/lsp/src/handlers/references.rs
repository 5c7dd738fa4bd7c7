//! References, document highlights and linked editing of a stage's name; references and
//! highlights of a variable (the analysis runs again for those: off the server's thread).

use stagecraft_analysis::queries::Occurrence;
use stagecraft_analysis::{Analysis, TextSize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    DocumentHighlight, DocumentHighlightKind, LinkedEditingRanges, Location, Position, Uri,
};

use crate::convert::Encoding;

/// Where the occurrences come from: a stage's (quick), or a variable's.
pub(crate) type Find = fn(&Analysis, TextSize) -> Vec<Occurrence>;

pub(crate) const STAGE: Find = Analysis::references_at;
pub(crate) const VARIABLE: Find = Analysis::variable_references;

pub(crate) fn references(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    position: Position,
    include_declaration: bool,
    find: Find,
) -> Result<Option<Vec<Location>>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    // The declaration is where go-to-definition goes: for a stage without a name, its FROM.
    let ranges: Vec<_> =
        find(a, offset).into_iter().filter(|o| include_declaration || !o.is_definition).map(|o| o.range).collect();
    let found: Vec<Location> =
        ranges.into_iter().map(|r| Location { uri: uri.clone(), range: encoding.lsp_range(a, r) }).collect();
    Ok((!found.is_empty()).then_some(found))
}

pub(crate) fn highlight(
    a: &Analysis,
    encoding: Encoding,
    position: Position,
    find: Find,
) -> Result<Option<Vec<DocumentHighlight>>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    let found: Vec<DocumentHighlight> = find(a, offset)
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
