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

/// Random edits through `apply`, against a plain model of the protocol's positions, and the
/// parse kept up to date through them against a parse of the whole text.
#[cfg(test)]
mod random_edits {
    use super::*;
    use stagecraft_syntax::WideEncoding;
    use tower_lsp_server::lsp_types::{Position, Range};

    /// The byte offset of a position, computed from scratch: lines end at `\n`, `\r\n` or a lone
    /// `\r`; a column past the end is the line's end, one inside a character that character's
    /// end; `None` for a line past the end.
    fn model_offset(text: &str, p: Position, enc: WideEncoding) -> Option<usize> {
        let mut line = 0;
        let mut start = 0;
        let b = text.as_bytes();
        while line < p.line {
            let next = b[start..].iter().position(|&c| c == b'\n' || c == b'\r')?;
            start += next + if b[start + next] == b'\r' && b.get(start + next + 1) == Some(&b'\n') { 2 } else { 1 };
            line += 1;
        }
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if c == '\n' || c == '\r' || units >= p.character {
                return Some(start + i);
            }
            units += match enc {
                WideEncoding::Utf8 => c.len_utf8() as u32,
                _ => c.len_utf16() as u32,
            };
        }
        Some(text.len())
    }

    use stagecraft_testkit::Rng;

    #[test]
    fn random_edits_match_the_model_and_the_parse_follows() {
        const PIECES: &[&str] = &[
            "",
            "x",
            "\n",
            "\r\n",
            "\r",
            " ",
            "\\",
            "\\\n",
            "é",
            "😀",
            "𝒳y",
            "FROM alpine AS a\n",
            "FROM a AS b\r\n",
            "COPY --from=a /x /y\n",
            "RUN --mount=from=b,target=/t x\n",
            "RUN <<EOF\n",
            "EOF\n",
            "# escape=`\n",
            "ARG V=1\n",
            "${V:-a}",
            "\"",
            "[\"a\", ",
            "ONBUILD ",
            "--from=",
            "\t",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..300 {
            let enc = if round % 2 == 0 { WideEncoding::Utf16 } else { WideEncoding::Utf8 };
            let mut text = String::from("FROM alpine AS a\nRUN x\nFROM a AS b\nCOPY --from=a /x /y\n");
            let mut parse = Some(stagecraft_syntax::parse(&text));
            for step in 0..40 {
                let lines = text.split(['\n', '\r']).count() as u32 + 1;
                let pos = |rng: &mut Rng| Position {
                    line: rng.below(lines as usize + 1) as u32,
                    character: rng.below(30) as u32,
                };
                let (mut a, mut b) = (pos(&mut rng), pos(&mut rng));
                if (b.line, b.character) < (a.line, a.character) {
                    std::mem::swap(&mut a, &mut b);
                }
                let inserted: String = (0..rng.below(3)).map(|_| PIECES[rng.below(PIECES.len())]).collect();
                let change = TextDocumentContentChangeEvent {
                    range: Some(Range { start: a, end: b }),
                    range_length: None,
                    text: inserted.clone(),
                };
                let before = text.clone();
                let result = apply(&mut text, &mut parse, Encoding(enc), vec![change]);
                // A range may end at the start of the line after the last (the end of the text).
                let lines = before.replace("\r\n", "\n").matches(['\n', '\r']).count() as u32 + 1;
                let end = model_offset(&before, b, enc)
                    .or_else(|| (b.line == lines && b.character == 0).then_some(before.len()));
                match (model_offset(&before, a, enc), end) {
                    (Some(s), Some(e)) => {
                        assert!(result.is_ok(), "round {round} step {step}: {a:?}..{b:?} refused in {before:?}");
                        let mut expected = before.clone();
                        expected.replace_range(s..e, &inserted);
                        assert_eq!(
                            text, expected,
                            "round {round} step {step}: {a:?}..{b:?} {inserted:?} in {before:?}"
                        );
                    }
                    _ => {
                        assert!(result.is_err(), "round {round} step {step}: a line past the end was accepted");
                        assert_eq!(text, before, "a refused change changes nothing");
                    }
                }
                assert_eq!(
                    parse.as_ref(),
                    Some(&stagecraft_syntax::parse(&text)),
                    "round {round} step {step}: the kept parse differs from a full parse of {text:?}"
                );
            }
        }
    }
}
