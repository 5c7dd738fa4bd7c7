//! Document and range formatting: the analysis layer's formatter, with the client's indentation.

use stagecraft_analysis::format::FormatOptions;
use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{FormattingOptions, Range, TextEdit};

use crate::convert::Encoding;

/// The edits that format the document (or the part of them inside `range`). A file with a
/// syntax error is not formatted: no edits, and `Err` holds the message for the client's log
/// (an error answer would pop up on every format-on-save while the user is still typing).
pub(crate) fn format(
    a: &Analysis,
    encoding: Encoding,
    options: &FormattingOptions,
    range: Option<Range>,
) -> Result<std::result::Result<Vec<TextEdit>, String>> {
    let wanted = range.map(|r| encoding.text_range(a.line_index(), a.text(), r)).transpose()?;
    let options = FormatOptions { indent_width: options.tab_size.clamp(1, 16), use_tabs: !options.insert_spaces };
    let edits = match a.format(&options) {
        Ok(edits) => edits,
        Err(e) => {
            let at = encoding.position(a.line_index(), e.range.start());
            return Ok(Err(format!("line {}, column {}: {}", at.line + 1, at.character + 1, e.message)));
        }
    };
    let edits = edits
        .into_iter()
        .filter(|e| wanted.is_none_or(|w| w.contains_range(e.range)))
        .map(|e| TextEdit { range: encoding.lsp_range(a, e.range), new_text: e.new_text })
        .collect();
    Ok(Ok(edits))
}
