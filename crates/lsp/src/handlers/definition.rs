//! Go to definition (and declaration) of a stage, or of a variable: the `ENV` or `ARG` that set
//! it there.

use stagecraft_analysis::{Analysis, TextRange, TextSize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{GotoDefinitionResponse, Location, Position, Uri};

use crate::convert::Encoding;

/// The stage named at `position` (quick: the analysis knows every stage reference).
pub(crate) fn stage(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    position: Position,
) -> Result<Option<GotoDefinitionResponse>> {
    found(a, encoding, uri, position, |a, offset| a.definition(offset).map(|(_, range)| range))
}

/// The variable at `position` (the analysis runs again to see what set it there: off the
/// server's thread).
pub(crate) fn variable(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    position: Position,
) -> Result<Option<GotoDefinitionResponse>> {
    found(a, encoding, uri, position, Analysis::variable_definition)
}

/// What `find` finds at `position`, as the protocol's answer.
fn found(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    position: Position,
    find: impl FnOnce(&Analysis, TextSize) -> Option<TextRange>,
) -> Result<Option<GotoDefinitionResponse>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    Ok(find(a, offset).map(|range| {
        GotoDefinitionResponse::Scalar(Location { uri: uri.clone(), range: encoding.lsp_range(a, range) })
    }))
}
