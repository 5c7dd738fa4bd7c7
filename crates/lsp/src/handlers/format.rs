//! Document and range formatting: the analysis layer's formatter, with the client's indentation.

use stagecraft_analysis::format::FormatOptions;
use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::lsp_types::{FormattingOptions, Range, TextEdit};

use crate::convert::Encoding;

/// The edits that format the document (or the part of them inside `range`); a file with a
/// syntax error is not formatted, and the answer says where the error is.
pub(crate) fn format(
    a: &Analysis,
    encoding: Encoding,
    options: &FormattingOptions,
    range: Option<Range>,
) -> Result<Option<Vec<TextEdit>>> {
    let wanted = range.map(|r| encoding.text_range(a.line_index(), a.text(), r)).transpose()?;
    let options = FormatOptions { indent_width: options.tab_size.clamp(1, 16), use_tabs: !options.insert_spaces };
    let edits = a.format(&options).map_err(|e| {
        let at = encoding.position(a.line_index(), e.range.start());
        Error {
            // LSP's `RequestFailed`: the request was valid, and could not be done.
            code: ErrorCode::ServerError(-32803),
            message: format!("line {}, column {}: {}", at.line + 1, at.character + 1, e.message).into(),
            data: None,
        }
    })?;
    let edits = edits
        .into_iter()
        .filter(|e| wanted.is_none_or(|w| w.contains_range(e.range)))
        .map(|e| TextEdit { range: encoding.lsp_range(a, e.range), new_text: e.new_text })
        .collect();
    Ok(Some(edits))
}
