//! Go to definition (and declaration) of a stage.

use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{GotoDefinitionResponse, Location, Position, Uri};

use crate::convert::Encoding;

pub(crate) fn definition(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    position: Position,
) -> Result<Option<GotoDefinitionResponse>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    Ok(a.definition(offset).map(|(_, range)| {
        GotoDefinitionResponse::Scalar(Location { uri: uri.clone(), range: encoding.lsp_range(a, range) })
    }))
}
