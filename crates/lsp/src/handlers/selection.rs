//! Selection ranges ("expand selection"): from the word under the cursor out to the file.

use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{Position, Range, SelectionRange};

use crate::convert::Encoding;

/// One chain per position, innermost first, each range's parent the next larger one.
pub(crate) fn selection_ranges(
    a: &Analysis,
    encoding: Encoding,
    positions: &[Position],
) -> Result<Vec<SelectionRange>> {
    positions
        .iter()
        .map(|&p| {
            let offset = encoding.offset(a.line_index(), a.text(), p)?;
            let mut chain: Option<SelectionRange> = None;
            for r in a.selection_ranges(offset).into_iter().rev() {
                chain = Some(SelectionRange { range: encoding.lsp_range(a, r), parent: chain.map(Box::new) });
            }
            Ok(chain.unwrap_or(SelectionRange { range: Range { start: p, end: p }, parent: None }))
        })
        .collect()
}
