//! Incremental text sync: applying `didChange` content changes in order.

use stagecraft_syntax::{LineIndex, Parse, TextSize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::TextDocumentContentChangeEvent;

use crate::convert::Encoding;

/// Applies the changes to `text`, and to `parse` (its parse, if known) incrementally; a change
/// with a bad range is an error (the client and server are out of sync) that stops there.
pub(crate) fn apply(
    text: &mut String,
    parse: &mut Option<Parse>,
    encoding: Encoding,
    changes: Vec<TextDocumentContentChangeEvent>,
) -> Result<()> {
    for change in changes {
        match change.range {
            None => {
                *text = change.text;
                *parse = None;
            }
            Some(range) => {
                let index = LineIndex::new(text);
                let r = encoding.text_range(&index, text, range)?;
                text.replace_range(std::ops::Range::<usize>::from(r), &change.text);
                *parse = parse.take().map(|p| p.reparse(text, r, TextSize::of(&change.text)));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stagecraft_syntax::WideEncoding;
    use tower_lsp_server::lsp_types::{Position, Range};

    #[test]
    fn incremental_changes_in_utf16() {
        let mut text = "FROM a AS 😀x\nRUN b\n".to_string();
        let change = |l1, c1, l2, c2, t: &str| TextDocumentContentChangeEvent {
            range: Some(Range {
                start: Position { line: l1, character: c1 },
                end: Position { line: l2, character: c2 },
            }),
            range_length: None,
            text: t.into(),
        };
        let mut parse = Some(stagecraft_syntax::parse(&text));
        let changes = vec![change(0, 12, 0, 13, "y"), change(1, 4, 1, 5, "c"), change(2, 0, 2, 0, "RUN \\\n d\n")];
        apply(&mut text, &mut parse, Encoding(WideEncoding::Utf16), changes).unwrap();
        assert_eq!(text, "FROM a AS 😀y\nRUN c\nRUN \\\n d\n");
        assert_eq!(parse, Some(stagecraft_syntax::parse(&text)), "the parse follows the edits");
        assert!(apply(&mut text, &mut parse, Encoding(WideEncoding::Utf16), vec![change(9, 0, 9, 1, "z")]).is_err());
    }
}
