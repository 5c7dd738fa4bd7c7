//! Incremental text sync: applying `didChange` content changes in order.

use stagecraft_syntax::{LineCol, LineIndex, Parse, TextRange, TextSize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::TextDocumentContentChangeEvent;

use crate::convert::Encoding;

/// Applies the changes to `text`, and to `parse` (its parse, if known) incrementally; a change
/// with a bad range is an error (the client and server are out of sync) that stops there.
///
/// Changes that each stand before the one before them (an editor's multiple cursors, a
/// replace-all: editors send those from the end of the document back) read positions the
/// earlier ones did not move. Such a run is read with one line index and applied in one pass,
/// with one reparse: 5,000 of them took 1.8 s one by one, each indexing and copying the text.
/// Changes that each stand after the one before them (the same edits in document order) read
/// positions in the text the ones before made; such a run is applied in one pass too (see
/// [`Forward`]), with one reparse.
pub(crate) fn apply(
    text: &mut String,
    parse: &mut Option<Parse>,
    encoding: Encoding,
    changes: Vec<TextDocumentContentChangeEvent>,
) -> Result<()> {
    let mut changes = changes.into_iter().peekable();
    while let Some(change) = changes.next() {
        let Some(range) = change.range else {
            *text = change.text;
            *parse = None;
            continue;
        };
        let index = LineIndex::new(text);
        let mut run = vec![(encoding.text_range(&index, text, range)?, change.text)];
        let mut start = range.start;
        while let Some(next) = changes.peek() {
            // Before the start of the last change taken: on an earlier line, or before it on its
            // line (a column past the line's end would read differently once it changed). A bad
            // range ends the run; the loop then reports it.
            let Some(r) = next.range else { break };
            let Ok(tr) = encoding.text_range(&index, text, r) else { break };
            let before =
                r.end.line < start.line || (r.end.line == start.line && tr.end() < run[run.len() - 1].0.start());
            if !before {
                break;
            }
            start = r.start;
            run.push((tr, changes.next().map(|c| c.text).unwrap_or_default()));
        }
        if run.len() > 1 {
            apply_run(text, parse, &run);
            continue;
        }
        // A run forward: each change starts at or after where the text the one before put in
        // ends (in the text as that one left it).
        let [(first, inserted)]: [(TextRange, String); 1] = run.try_into().expect("a run of one change");
        // One change alone (a keystroke): in place, moving only what follows it.
        if changes.peek().is_none_or(|c| c.range.is_none()) {
            text.replace_range(std::ops::Range::<usize>::from(first), &inserted);
            *parse = parse.take().map(|p| p.reparse(text, first, TextSize::of(&inserted)));
            continue;
        }
        // (The old text stays in `text` until the new one is whole.)
        let mut fwd = Forward::new(text, &index, encoding, first, &inserted);
        while let Some(Some(r)) = changes.peek().map(|c| c.range) {
            let Some((lo, hi)) = fwd.range(r) else { break };
            fwd.replace(lo, hi, &changes.next().map(|c| c.text).unwrap_or_default());
        }
        let (new, replaced) = fwd.finish();
        let inserted = TextSize::of(&new[usize::from(first.start())..]) - TextSize::of(&text[replaced..]);
        let old = TextRange::new(first.start(), TextSize::new(replaced as u32));
        *parse = parse.take().map(|p| p.reparse(&new, old, inserted));
        *text = new;
    }
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// How many changes [`Forward::replace`] applied (the tests check that the one pass runs).
    static FORWARD_REPLACED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A run of changes in document order, applied in one pass over the text: the text the changes
/// so far made is `new` (final: later changes start at or after its end) followed by the old
/// text from `src` on, whose positions are read with the old text's line index. (4,000 inserts
/// on the 10,021-line benchmark file took 4.7 s in a debug build applied one by one, each
/// indexing and copying the text; 0.3 s so.)
struct Forward<'a> {
    orig: &'a str,
    index: &'a LineIndex,
    encoding: Encoding,
    new: String,
    /// Where the old text's part starts.
    src: usize,
    /// Line breaks in `new` (`\r\n` is one), and where its last line starts.
    lines: u32,
    line_start: usize,
    /// The old text's line holding `src`.
    src_line: u32,
}

impl<'a> Forward<'a> {
    fn new(orig: &'a str, index: &'a LineIndex, encoding: Encoding, first: TextRange, inserted: &str) -> Self {
        let mut new = String::with_capacity(orig.len() + inserted.len());
        new.push_str(&orig[..usize::from(first.start())]);
        // (The lines before the first change are the old text's: read off its index. A
        // position is never between a `\r` and its `\n`.)
        let at = index.line_col(first.start()).line;
        let line_start = index.line_start(at).map_or(0, usize::from);
        let mut fwd = Forward { orig, index, encoding, new, src: 0, lines: at, line_start, src_line: 0 };
        fwd.push(inserted, usize::from(first.end()));
        fwd
    }

    /// The offsets, in the text as the changes so far left it, of a change that starts at or
    /// after where they end; `None` for one before (the run ends there) or a range the
    /// protocol refuses (the caller reads it again in the whole text, and reports it).
    fn range(&self, r: tower_lsp_server::lsp_types::Range) -> Option<(usize, usize)> {
        // `\r` then `\n` across the seam is one line break, which the old index cannot see.
        if self.new.ends_with('\r') && self.orig.as_bytes().get(self.src) == Some(&b'\n') {
            return None;
        }
        let lines = self.lines + (self.index.line_count() - self.src_line);
        let start = self.offset(r.start)?;
        let end = if r.end.line == lines && r.end.character == 0 {
            self.new.len() + self.orig.len() - self.src
        } else {
            self.offset(r.end)?
        };
        (start >= self.new.len() && end >= start).then_some((start, end))
    }

    /// The offset of a position at or after the end of `new`, as [`Encoding::offset`] reads it.
    fn offset(&self, p: tower_lsp_server::lsp_types::Position) -> Option<usize> {
        if p.line < self.lines {
            return None;
        }
        if p.line > self.lines {
            // (Past the end, also past `u32::MAX`: refused as the whole text would be.)
            let line = self.src_line.checked_add(p.line - self.lines).filter(|&l| l < self.index.line_count())?;
            let at = self.index.offset(LineCol { line, col: p.character }, self.encoding.0, self.orig);
            return Some(self.new.len() + usize::from(at) - self.src);
        }
        // The line of the seam: the end of `new`, then the old text up to its line break. A
        // column past the line's end is its end; one inside a character is that character's end.
        let (mut units, mut at) = (0u32, self.line_start);
        let tail = self.orig[self.src..].chars().take_while(|&c| c != '\n' && c != '\r');
        for c in self.new[self.line_start..].chars().chain(tail) {
            if units >= p.character {
                break;
            }
            units += self.encoding.0.units(c);
            at += c.len_utf8();
        }
        Some(at)
    }

    /// Replaces `lo..hi` (offsets of the text as the changes so far left it, at or after the
    /// end of `new`).
    fn replace(&mut self, lo: usize, hi: usize, inserted: &str) {
        #[cfg(test)]
        FORWARD_REPLACED.with(|n| n.set(n.get() + 1));
        let (lo, hi) = (self.src + lo - self.new.len(), self.src + hi - self.new.len());
        let from = self.new.len();
        self.new.push_str(&self.orig[self.src..lo]);
        self.count_lines(from);
        self.push(inserted, hi);
    }

    fn push(&mut self, inserted: &str, src: usize) {
        let from = self.new.len();
        self.new.push_str(inserted);
        self.count_lines(from);
        self.src = src;
        self.src_line = self.index.line_col(TextSize::new(src as u32)).line;
    }

    /// Counts the line breaks of `new` from `from` on, as the line index does (`\n`, `\r\n`,
    /// a lone `\r`).
    fn count_lines(&mut self, from: usize) {
        let b = self.new.as_bytes();
        for i in from..b.len() {
            match b[i] {
                b'\r' => self.lines += 1,
                b'\n' if i > 0 && b[i - 1] == b'\r' => {}
                b'\n' => self.lines += 1,
                _ => continue,
            }
            self.line_start = i + 1;
        }
    }

    /// The new text, and where in the old one the part the changes replaced ends.
    fn finish(mut self) -> (String, usize) {
        self.new.push_str(&self.orig[self.src..]);
        (self.new, self.src)
    }
}

/// Applies changes whose ranges (of `text`) each end before the one before them starts.
fn apply_run(text: &mut String, parse: &mut Option<Parse>, run: &[(TextRange, String)]) {
    let (lo, hi) = (run[run.len() - 1].0.start(), run[0].0.end());
    let mut new = String::with_capacity(text.len() + run.iter().map(|(_, t)| t.len()).sum::<usize>());
    new.push_str(&text[..usize::from(lo)]);
    let mut at = lo;
    for (r, inserted) in run.iter().rev() {
        new.push_str(&text[std::ops::Range::<usize>::from(TextRange::new(at, r.start()))]);
        new.push_str(inserted);
        at = r.end();
    }
    new.push_str(&text[usize::from(hi)..]);
    // What replaced `lo..hi`: everything of the new text but the unchanged ends.
    let inserted = TextSize::of(&new) - (TextSize::of(text.as_str()) - (hi - lo));
    *parse = parse.take().map(|p| p.reparse(&new, TextRange::new(lo, hi), inserted));
    *text = new;
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
        // A run forward that shortens the text (each change read in the text the one before
        // left): lines joined, a word cut, a line taken out; then one before them again.
        let mut text = "FROM a AS b\nRUN one \\\n two\nCOPY --from=b /x /y\nRUN three\n".to_string();
        let mut parse = Some(stagecraft_syntax::parse(&text));
        let changes = vec![
            change(1, 8, 2, 1, ""),
            change(1, 11, 1, 12, "!"),
            change(2, 13, 2, 18, ""),
            change(3, 0, 4, 0, ""),
            change(0, 10, 0, 11, "base"),
        ];
        apply(&mut text, &mut parse, Encoding(WideEncoding::Utf8), changes).unwrap();
        assert_eq!(text, "FROM a AS base\nRUN one two!\nCOPY --from=by\n");
        assert_eq!(parse, Some(stagecraft_syntax::parse(&text)), "the parse follows the edits");
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

    #[test]
    fn random_edits_match_the_model_and_the_parse_follows() {
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

    /// Short lines, some ending in a lone `\r` (a `\n` inserted after one joins them), and up
    /// to five pieces after them.
    fn seed_text(rng: &mut Rng) -> String {
        let mut text = String::from("FROM a\rRUN x é😀\r\nb\rCOPY --from=a /x /y\n");
        for _ in 0..rng.below(6) {
            text.push_str(PIECES[rng.below(PIECES.len())]);
        }
        text
    }

    /// The position of a byte offset in the model's terms (lines end at `\n`, `\r\n` or a lone
    /// `\r`; columns in `enc`'s units).
    fn model_position(text: &str, offset: usize, enc: WideEncoding) -> Position {
        let (mut line, mut start) = (0, 0);
        let b = text.as_bytes();
        let mut i = 0;
        while i < offset {
            match b[i] {
                b'\r' if b.get(i + 1) == Some(&b'\n') && i + 1 < offset => i += 1,
                b'\r' | b'\n' => {}
                _ => {
                    i += 1;
                    continue;
                }
            }
            i += 1;
            line += 1;
            start = i;
        }
        let units = text[start..offset]
            .chars()
            .map(|c| match enc {
                WideEncoding::Utf8 => c.len_utf8() as u32,
                _ => c.len_utf16() as u32,
            })
            .sum();
        Position { line, character: units }
    }

    /// Runs in document order where each change starts where the one before ended or a little
    /// after, often on the same line (the line where the text the changes made meets the text
    /// they have not reached yet), with line breaks of every kind put in and taken out: the
    /// same text and parse as the changes sent one message each.
    #[test]
    fn forward_runs_across_the_seam_equal_changes_one_by_one() {
        let mut rng = Rng(0x6a09_e667_f3bc_c908);
        let (mut same_line, mut generated, mut replaced) = (0, 0, 0);
        for round in 0..300 {
            let enc = if round % 2 == 0 { WideEncoding::Utf16 } else { WideEncoding::Utf8 };
            let text = seed_text(&mut rng);
            // Made one by one in a copy, which gives each change's position in the text the
            // changes before it left.
            let mut one = text.clone();
            let mut one_parse = Some(stagecraft_syntax::parse(&text));
            let mut changes = Vec::new();
            let mut at = rng.below(8).min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            for _ in 0..1 + rng.below(12) {
                // On a character's boundary, and not between the two bytes of a `\r\n` (no
                // position names that offset).
                let settle = |mut i: usize| {
                    while !one.is_char_boundary(i) || (i > 0 && one[..i].ends_with('\r') && one[i..].starts_with('\n'))
                    {
                        i += 1;
                    }
                    i
                };
                let lo = settle((at + rng.below(4)).min(one.len()));
                let hi = settle((lo + rng.below(5)).min(one.len()));
                let (a, b) = (model_position(&one, lo, enc), model_position(&one, hi, enc));
                let inserted: String = (0..rng.below(3)).map(|_| PIECES[rng.below(PIECES.len())]).collect();
                let change = TextDocumentContentChangeEvent {
                    range: Some(Range { start: a, end: b }),
                    range_length: None,
                    text: inserted.clone(),
                };
                if changes.last().is_some_and(|_| a.line == model_position(&one, settle(at), enc).line) {
                    same_line += 1;
                }
                apply(&mut one, &mut one_parse, Encoding(enc), vec![change.clone()]).unwrap();
                changes.push(change);
                at = lo + inserted.len();
            }
            let mut all_parse = Some(stagecraft_syntax::parse(&text));
            let mut all = text.clone();
            let before = FORWARD_REPLACED.with(|n| n.get());
            apply(&mut all, &mut all_parse, Encoding(enc), changes.clone()).unwrap();
            assert_eq!(all, one, "round {round}: {changes:?} in {text:?}");
            assert_eq!(all_parse, one_parse, "round {round}: the parse of {all:?}");
            generated += changes.len() - 1;
            replaced += FORWARD_REPLACED.with(|n| n.get()) - before;
            // A change past the end after a run that took lines out (`u32::MAX`): refused, as
            // one by one, and the text as the run left it.
            let past = Position { line: u32::MAX - 1, character: 0 };
            let mut refused = changes.clone();
            refused.push(TextDocumentContentChangeEvent {
                range: Some(Range { start: past, end: past }),
                range_length: None,
                text: "x".into(),
            });
            let mut all = text.clone();
            let mut all_parse = Some(stagecraft_syntax::parse(&text));
            assert!(apply(&mut all, &mut all_parse, Encoding(enc), refused).is_err(), "round {round}");
            assert_eq!(all, one, "round {round}: the changes before the refused one stay");
        }
        assert!(same_line > 500, "{same_line} changes on the line where the one before ended");
        // The one pass took them (not the change-by-change path, which gives the same text):
        // all but those after a `\r` that a `\n` follows across the seam.
        assert!(replaced * 10 > generated * 9, "{replaced} of {generated} changes in one pass");
    }

    /// Several changes in one message, as one run or not (from the end of the document back,
    /// as editors send multiple cursors' edits, or anywhere): the same text, parse and error as
    /// the changes sent one message each.
    #[test]
    fn changes_in_one_message_equal_changes_one_by_one() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut runs, mut forward, mut refused) = (0, 0, 0);
        for round in 0..400 {
            let enc = if round % 2 == 0 { WideEncoding::Utf16 } else { WideEncoding::Utf8 };
            let text = seed_text(&mut rng);
            // Lines that exist, columns past their ends too, now and then the line after the last
            // (at column 0 the end of the text, as a range's end) or one past it (a change the
            // client should not send: the message stops there).
            let lines = LineIndex::new(&text).line_count() as usize;
            let mut positions: Vec<Position> = (0..2 * (1 + rng.below(6)))
                .map(|_| {
                    let line = match rng.below(40) {
                        0 => lines + 1,
                        1..=3 => lines,
                        _ => rng.below(lines),
                    };
                    Position { line: line as u32, character: if line == lines { 0 } else { rng.below(30) as u32 } }
                })
                .collect();
            // Half the messages from the end back, each change before the one before it; a
            // quarter in document order (a run forward, where positions are read in the text
            // the changes before left).
            let backwards = round % 4 < 2;
            if backwards {
                positions.sort_by_key(|p| std::cmp::Reverse((p.line, p.character)));
            } else if round % 4 == 2 {
                positions.sort_by_key(|p| (p.line, p.character));
            }
            let mut changes: Vec<TextDocumentContentChangeEvent> = positions
                .chunks(2)
                .map(|pair| {
                    let (mut a, mut b) = (pair[0], pair[1]);
                    if (b.line, b.character) < (a.line, a.character) {
                        std::mem::swap(&mut a, &mut b);
                    }
                    let inserted: String = (0..rng.below(3)).map(|_| PIECES[rng.below(PIECES.len())]).collect();
                    TextDocumentContentChangeEvent {
                        range: Some(Range { start: a, end: b }),
                        range_length: None,
                        text: inserted,
                    }
                })
                .collect();
            // Sometimes a run, then a change past the end.
            if rng.below(8) == 0 {
                let past = Position { line: lines as u32 + 3, character: 0 };
                changes.push(TextDocumentContentChangeEvent {
                    range: Some(Range { start: past, end: past }),
                    range_length: None,
                    text: "x".into(),
                });
            }
            let (mut one, mut one_parse) = (text.clone(), Some(stagecraft_syntax::parse(&text)));
            let mut one_result = Ok(());
            for c in changes.clone() {
                one_result = apply(&mut one, &mut one_parse, Encoding(enc), vec![c]);
                if one_result.is_err() {
                    break;
                }
            }
            let (mut all, mut all_parse) = (text.clone(), Some(stagecraft_syntax::parse(&text)));
            let all_result = apply(&mut all, &mut all_parse, Encoding(enc), changes.clone());
            assert_eq!(all, one, "round {round}: {changes:?} in {text:?}");
            assert_eq!(format!("{all_result:?}"), format!("{one_result:?}"), "round {round}");
            assert_eq!(all_parse, one_parse, "round {round}: the parse of {all:?}");
            assert_eq!(all_parse, Some(stagecraft_syntax::parse(&all)), "round {round}: a parse of the whole text");
            runs += usize::from(backwards && changes.len() > 1 && all_result.is_ok());
            forward += usize::from(round % 4 == 2 && changes.len() > 1 && all_result.is_ok());
            refused += usize::from(all_result.is_err());
        }
        // Runs of several changes were there to apply at once, and messages that stop.
        assert!(runs > 100 && forward > 20 && refused > 10, "{runs} runs, {forward} forward, {refused} refused");
    }
}
