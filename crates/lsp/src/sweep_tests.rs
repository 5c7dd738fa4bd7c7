//! Every position request at many positions of every corpus file, in UTF-16 and UTF-8: no
//! panic, an error (not an answer) for lines past the end, every range and position answered
//! inside the document, and answers that agree with each other (a highlight covers the position
//! asked about; a prepared rename covers it and the rename edits it; references with the
//! declaration equal the highlights; each selection range covers it and lies inside the next).
//! Positions are every column of files up to 400 bytes, each line's start, middle and end, one
//! and forty units past its end in the others, and the lines just past the document.
//!
//! Positions are derived here from the text itself (lines split at `\n`, `\r\n` and a lone `\r`,
//! columns counted per character), not from the server's line index, so that the index is
//! checked too.

use stagecraft_analysis::{analyze_parsed, Analysis, Options};
use stagecraft_syntax::WideEncoding;
use tower_lsp_server::lsp_types::*;

use crate::convert::Encoding;
use crate::handlers;

/// The document as the protocol sees it: each line's length in the encoding's units, and where
/// its characters start.
struct Lines {
    lengths: Vec<u32>,
    boundaries: Vec<Vec<u32>>,
}

impl Lines {
    fn new(text: &str, enc: WideEncoding) -> Lines {
        let mut lengths = vec![0];
        let mut boundaries = vec![vec![0]];
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' | '\r' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    lengths.push(0);
                    boundaries.push(vec![0]);
                }
                c => {
                    let len = lengths.last_mut().expect("one line at least");
                    *len += match enc {
                        WideEncoding::Utf8 => c.len_utf8() as u32,
                        WideEncoding::Utf16 => c.len_utf16() as u32,
                        WideEncoding::Utf32 => 1,
                    };
                    boundaries.last_mut().expect("one line at least").push(*len);
                }
            }
        }
        Lines { lengths, boundaries }
    }

    /// Where the server takes a position to be: a column past the line's end is its end, a
    /// column inside a character the character's end (see `LineIndex::offset`).
    fn effective(&self, p: Position) -> Position {
        let b = &self.boundaries[p.line as usize];
        let character = b.iter().copied().find(|&x| x >= p.character).unwrap_or(self.lengths[p.line as usize]);
        Position { line: p.line, character }
    }

    fn check_position(&self, p: Position, what: &str) -> Result<(), String> {
        match self.lengths.get(p.line as usize) {
            Some(&len) if p.character <= len => Ok(()),
            Some(&len) => Err(format!("{what}: {}:{} is past its line's end ({len})", p.line, p.character)),
            None => Err(format!("{what}: line {} is past the end ({} lines)", p.line, self.lengths.len())),
        }
    }

    fn check_range(&self, r: Range, what: &str) -> Result<(), String> {
        self.check_position(r.start, what)?;
        self.check_position(r.end, what)?;
        if (r.end.line, r.end.character) < (r.start.line, r.start.character) {
            return Err(format!("{what}: range ends before it starts: {r:?}"));
        }
        Ok(())
    }
}

fn contains(r: Range, p: Position) -> bool {
    (r.start.line, r.start.character) <= (p.line, p.character) && (p.line, p.character) <= (r.end.line, r.end.character)
}

fn sorted(mut ranges: Vec<Range>) -> Vec<Range> {
    ranges.sort_by_key(|r| (r.start.line, r.start.character, r.end.line, r.end.character));
    ranges.dedup();
    ranges
}

/// Checks one document; returns the first problem found.
fn sweep(text: &str, enc: WideEncoding) -> Result<usize, String> {
    let a: Analysis = analyze_parsed(text, stagecraft_syntax::parse(text), &Options::default());
    let encoding = Encoding(enc);
    let lines = Lines::new(text, enc);
    let uri: Uri = "file:///sweep/Dockerfile".parse().map_err(|_| "uri")?;
    let line_count = lines.lengths.len() as u32;
    if a.line_index().line_count() != line_count {
        return Err(format!("the line index counts {} lines, the text has {line_count}", a.line_index().line_count()));
    }

    // Whole-document answers.
    for d in handlers::diagnostics::convert(&a, &uri, encoding) {
        lines.check_range(d.range, "diagnostic")?;
        for r in d.related_information.iter().flatten() {
            lines.check_range(r.location.range, "related information")?;
        }
    }
    if let DocumentSymbolResponse::Nested(symbols) = handlers::symbols::symbols(&a, encoding) {
        let mut todo: Vec<&DocumentSymbol> = symbols.iter().collect();
        while let Some(s) = todo.pop() {
            lines.check_range(s.range, "symbol")?;
            lines.check_range(s.selection_range, "symbol selection")?;
            if !contains(s.range, s.selection_range.start) || !contains(s.range, s.selection_range.end) {
                return Err(format!("symbol {}: selection outside its range", s.name));
            }
            for child in s.children.iter().flatten() {
                if !contains(s.range, child.range.start) || !contains(s.range, child.range.end) {
                    return Err(format!("symbol {}: child {} outside it", s.name, child.name));
                }
            }
            todo.extend(s.children.iter().flatten());
        }
    }
    for f in handlers::folding::folding(&a) {
        if f.start_line > f.end_line || f.end_line >= line_count {
            return Err(format!("folding range {f:?} outside the document"));
        }
    }
    // Formatting: edits inside the document, in order and apart (or an error for a syntax
    // error); a range of the whole document gives the same edits.
    let options = FormattingOptions { tab_size: 4, insert_spaces: true, ..FormattingOptions::default() };
    if let Ok(Ok(edits)) = handlers::format::format(&a, encoding, &options, None) {
        let ranges: Vec<Range> = edits.iter().map(|e| e.range).collect();
        for (k, r) in ranges.iter().enumerate() {
            lines.check_range(*r, "formatting edit")?;
            if k > 0 && (r.start.line, r.start.character) < (ranges[k - 1].end.line, ranges[k - 1].end.character) {
                return Err(format!("formatting edits out of order or overlapping: {:?} then {r:?}", ranges[k - 1]));
            }
        }
        let last = line_count - 1;
        let whole = Range { start: Position::new(0, 0), end: Position::new(last, lines.lengths[last as usize]) };
        let in_range = handlers::format::format(&a, encoding, &options, Some(whole)).map_err(|e| e.to_string())?;
        if in_range.as_ref() != Ok(&edits) {
            return Err("range formatting of the whole document differs from formatting it".into());
        }
    }
    for lens in handlers::code_lens::lenses(&a, encoding, &uri) {
        lines.check_range(lens.range, "code lens")?;
    }
    // Semantic tokens: decode the relative encoding and check each token.
    let tokens = handlers::semantic::tokens(&a, encoding);
    let (mut line, mut start) = (0u32, 0u32);
    let mut previous_end: Option<Position> = None;
    for t in &tokens.data {
        line += t.delta_line;
        start = if t.delta_line == 0 { start + t.delta_start } else { t.delta_start };
        let end = Position { line, character: start + t.length };
        lines.check_range(Range { start: Position { line, character: start }, end }, "semantic token")?;
        if previous_end.is_some_and(|e| (e.line, e.character) > (line, start)) {
            return Err(format!("semantic tokens overlap at {line}:{start}"));
        }
        previous_end = Some(end);
    }
    let everything = Range {
        start: Position { line: 0, character: 0 },
        end: Position { line: line_count - 1, character: lines.lengths[line_count as usize - 1] },
    };
    for h in
        handlers::inlay::inlay_hints(&a, encoding, everything).map_err(|e| e.message.to_string())?.into_iter().flatten()
    {
        lines.check_position(h.position, "inlay hint")?;
    }
    for link in handlers::links::links(&a, encoding) {
        lines.check_range(link.range, "document link")?;
        if !link.target.as_ref().is_some_and(|t| t.as_str().starts_with("https://")) {
            return Err(format!("document link without an https target: {link:?}"));
        }
    }
    handlers::targets::targets(&a, None).map_err(|e| format!("targets: {}", e.message))?;
    handlers::graph::graph(&a, None).map_err(|e| format!("graph: {}", e.message))?;

    // Position requests.
    let mut asked = 0;
    for line in 0..line_count + 2 {
        let len = lines.lengths.get(line as usize).copied().unwrap_or(0);
        // Every column of small files (where most of the odd cases are), five of the others.
        let mut columns: Vec<u32> =
            if text.len() <= 400 { (0..=len + 1).collect() } else { vec![0, len / 2, len, len + 1, len + 40] };
        columns.dedup();
        for character in columns {
            asked += 1;
            let p = Position { line, character };
            let past = line >= line_count;
            let at = format!("at {line}:{character}");
            let def = handlers::definition::stage(&a, encoding, &uri, p);
            let variable_def = handlers::definition::variable(&a, encoding, &uri, p);
            use handlers::references::{STAGE, VARIABLE};
            let refs = handlers::references::references(&a, encoding, &uri, p, true, STAGE);
            let refs_only = handlers::references::references(&a, encoding, &uri, p, false, STAGE);
            let highlight = handlers::references::highlight(&a, encoding, p, STAGE);
            let variable_refs = handlers::references::references(&a, encoding, &uri, p, true, VARIABLE);
            let prepared = handlers::rename::prepare(&a, encoding, p);
            let renamed = handlers::rename::rename(&a, encoding, &uri, p, "swept");
            let hover = handlers::hover::hover(&a, encoding, p);
            let completion = handlers::completion::completion(&a, encoding, p);
            let actions = handlers::code_action::code_actions(
                &a,
                &Options::default(),
                encoding,
                &uri,
                Range { start: p, end: p },
                &[],
                None,
            );
            let selection = handlers::selection::selection_ranges(&a, encoding, &[p]);
            let hierarchy = handlers::hierarchy::prepare(&a, encoding, &uri, p);
            let linked = handlers::references::linked_editing(&a, encoding, p);
            if past {
                // Every one of them refuses a line past the end (a rename may refuse for its
                // own reason first; it must still refuse).
                let answered = [
                    def.is_ok(),
                    variable_def.is_ok(),
                    refs.is_ok(),
                    refs_only.is_ok(),
                    highlight.is_ok(),
                    variable_refs.is_ok(),
                    prepared.is_ok(),
                    renamed.is_ok(),
                    hover.is_ok(),
                    completion.is_ok(),
                    actions.is_ok(),
                    selection.is_ok(),
                    hierarchy.is_ok(),
                    linked.is_ok(),
                ];
                if answered.iter().any(|&x| x) {
                    return Err(format!("{at} (past the end): answered instead of an error: {answered:?}"));
                }
                continue;
            }
            let def = def.map_err(|e| format!("definition {at}: {}", e.message))?;
            let variable_def = variable_def.map_err(|e| format!("variable definition {at}: {}", e.message))?;
            if let Some(GotoDefinitionResponse::Scalar(l)) = &variable_def {
                lines.check_range(l.range, "variable definition")?;
            }
            // A variable's references hold the key its definition goes to.
            let variable_refs =
                variable_refs.map_err(|e| format!("variable references {at}: {}", e.message))?.unwrap_or_default();
            for l in &variable_refs {
                lines.check_range(l.range, "variable reference")?;
            }
            if let Some(GotoDefinitionResponse::Scalar(l)) = &variable_def {
                if !variable_refs.iter().any(|r| r.range == l.range) {
                    return Err(format!("{at}: the variable's definition {:?} is not among its references", l.range));
                }
            }
            if let Some(GotoDefinitionResponse::Scalar(l)) = &def {
                lines.check_range(l.range, "definition")?;
            }
            let refs = refs.map_err(|e| format!("references {at}: {}", e.message))?.unwrap_or_default();
            let refs_only = refs_only.map_err(|e| format!("references {at}: {}", e.message))?.unwrap_or_default();
            for l in refs.iter().chain(&refs_only) {
                lines.check_range(l.range, "reference")?;
            }
            // The declaration a definition jumps to is among the references with declaration.
            let declaration = match &def {
                Some(GotoDefinitionResponse::Scalar(l)) => Some(l.range),
                _ => None,
            };
            if let Some(d) = declaration {
                if !refs.iter().any(|r| r.range == d) {
                    return Err(format!("{at}: the definition {d:?} is not among the references"));
                }
            }
            if refs_only.len() > refs.len() {
                return Err(format!("{at}: more references without the declaration than with it"));
            }
            let highlight = highlight.map_err(|e| format!("highlight {at}: {}", e.message))?.unwrap_or_default();
            for h in &highlight {
                lines.check_range(h.range, "highlight")?;
            }
            let p = lines.effective(p);
            if !highlight.is_empty() && !highlight.iter().any(|h| contains(h.range, p)) {
                return Err(format!("{at}: no highlight covers the position"));
            }
            // The highlights are the references with the declaration, except the FROM line of
            // a stage without a name (no name to highlight there).
            let highlighted = sorted(highlight.iter().map(|h| h.range).chain(declaration).collect());
            if sorted(refs.iter().map(|l| l.range).collect()) != highlighted {
                return Err(format!("{at}: references with the declaration differ from the highlights"));
            }
            match prepared {
                Ok(Some(PrepareRenameResponse::RangeWithPlaceholder { range, .. })) => {
                    lines.check_range(range, "prepared rename")?;
                    if !contains(range, p) {
                        return Err(format!("{at}: the prepared rename range does not cover the position"));
                    }
                    let edit = renamed.map_err(|e| format!("rename {at} after a prepared rename: {}", e.message))?;
                    let edits = edit.and_then(|e| e.changes).and_then(|mut c| c.remove(&uri)).unwrap_or_default();
                    for e in &edits {
                        lines.check_range(e.range, "rename edit")?;
                    }
                    // The rename edits the name under the cursor, unless that is a stage's
                    // number (`--from=0`), which stays.
                    let under =
                        encoding.text_range(a.line_index(), a.text(), range).map_err(|e| e.message.to_string())?;
                    let numeric = a.text()[under].parse::<i64>().is_ok();
                    if edits.is_empty() || numeric == edits.iter().any(|e| e.range == range) {
                        return Err(format!(
                            "{at}: {}",
                            if numeric {
                                "the rename changes the stage number under the cursor"
                            } else {
                                "the rename does not change the name under the cursor"
                            }
                        ));
                    }
                }
                Ok(_) => {}
                Err(_) => {
                    if renamed.is_ok() {
                        return Err(format!("{at}: rename answered where prepareRename refused"));
                    }
                }
            }
            if let Some(Hover { range: Some(r), .. }) = hover.map_err(|e| format!("hover {at}: {}", e.message))? {
                lines.check_range(r, "hover")?;
                if !contains(r, p) {
                    return Err(format!("{at}: the hover's range {r:?} does not cover the position"));
                }
            }
            if let Some(CompletionResponse::Array(items) | CompletionResponse::List(CompletionList { items, .. })) =
                completion.map_err(|e| format!("completion {at}: {}", e.message))?
            {
                for item in items {
                    if item.label.is_empty() {
                        return Err(format!("{at}: a completion without a label"));
                    }
                    if let Some(CompletionTextEdit::Edit(e)) = item.text_edit {
                        lines.check_range(e.range, "completion edit")?;
                        if !contains(e.range, p) {
                            return Err(format!(
                                "{at}: completion {} edits {:?}, away from the cursor",
                                item.label, e.range
                            ));
                        }
                    }
                }
            }
            // Each selection range covers the position and lies inside the next one.
            let selection = selection.map_err(|e| format!("selection range {at}: {}", e.message))?;
            let mut step = selection.first();
            let mut inner: Option<Range> = None;
            while let Some(s) = step {
                lines.check_range(s.range, "selection range")?;
                if !contains(s.range, lines.effective(p)) {
                    return Err(format!("{at}: selection range {:?} does not cover the position", s.range));
                }
                if let Some(i) = inner {
                    if i == s.range || !contains(s.range, i.start) || !contains(s.range, i.end) {
                        return Err(format!("{at}: selection range {:?} does not grow from {i:?}", s.range));
                    }
                }
                inner = Some(s.range);
                step = s.parent.as_deref();
            }
            // Call hierarchy: the prepared item is the stage go-to-definition goes to (or an
            // image named at the position), and every call's item and ranges lie in the
            // document (an incoming call's ranges inside its caller's stage).
            for item in hierarchy.map_err(|e| format!("call hierarchy {at}: {}", e.message))?.into_iter().flatten() {
                lines.check_range(item.range, "call hierarchy item")?;
                lines.check_range(item.selection_range, "call hierarchy selection")?;
                let expected = match &declaration {
                    Some(d) => *d == item.selection_range && contains(item.range, d.start),
                    None => contains(item.selection_range, p),
                };
                if !expected {
                    return Err(format!(
                        "{at}: the call hierarchy item {:?} is neither the definition {declaration:?} nor at the position",
                        item.selection_range
                    ));
                }
                let incoming = handlers::hierarchy::incoming(&a, encoding, &item)
                    .map_err(|e| format!("incoming calls {at}: {}", e.message))?
                    .unwrap_or_default();
                for call in incoming {
                    lines.check_range(call.from.range, "incoming call")?;
                    for r in call.from_ranges {
                        lines.check_range(r, "incoming call range")?;
                        if !contains(call.from.range, r.start) {
                            return Err(format!("{at}: an incoming call's range {r:?} is outside its caller"));
                        }
                    }
                }
                let outgoing = handlers::hierarchy::outgoing(&a, encoding, &item)
                    .map_err(|e| format!("outgoing calls {at}: {}", e.message))?
                    .unwrap_or_default();
                for call in outgoing {
                    lines.check_range(call.to.range, "outgoing call")?;
                    for r in call.from_ranges {
                        lines.check_range(r, "outgoing call range")?;
                    }
                }
            }
            // Linked editing: one range covers the position, and the ranges are exactly where a
            // rename from here writes the new name.
            if let Some(l) = linked.map_err(|e| format!("linked editing {at}: {}", e.message))? {
                if !l.ranges.iter().any(|r| contains(*r, p)) {
                    return Err(format!("{at}: no linked editing range covers the position"));
                }
                for r in &l.ranges {
                    lines.check_range(*r, "linked editing range")?;
                }
                let renamed = handlers::rename::rename(&a, encoding, &uri, p, "swept")
                    .map_err(|e| format!("rename {at} where linked editing answered: {}", e.message))?;
                let edits = renamed.and_then(|e| e.changes).and_then(|mut c| c.remove(&uri)).unwrap_or_default();
                if sorted(edits.iter().map(|e| e.range).collect()) != sorted(l.ranges.clone()) {
                    return Err(format!("{at}: the linked editing ranges are not where a rename writes"));
                }
            }
            for action in actions.map_err(|e| format!("code actions {at}: {}", e.message))?.into_iter().flatten() {
                if let CodeActionOrCommand::CodeAction(CodeAction { edit: Some(edit), .. }) = action {
                    for e in edit.changes.into_iter().flat_map(|c| c.into_values()).flatten() {
                        lines.check_range(e.range, "code action edit")?;
                    }
                }
            }
        }
    }
    Ok(asked)
}

fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = stagecraft_testkit::parser_cases()
        .into_iter()
        .map(|c| (c.name, stagecraft_testkit::read(&c.dockerfile)))
        .chain(stagecraft_testkit::real_world_files().into_iter().map(|p| {
            let text = stagecraft_testkit::read(&p);
            (p.display().to_string(), text)
        }))
        .collect();
    // What the corpus has little of: CRLF and lone CR line ends, characters outside the BMP
    // before and inside names, a heredoc, half-typed flags, an empty file, blanks of more than
    // one byte.
    for (name, text) in [
        ("crlf", "FROM alpine AS base\r\nFROM base AS b\r\nCOPY --from=base /a /b\r\n"),
        ("lone cr", "FROM alpine AS base\rRUN --mount=from=base x\rFROM base\r"),
        ("astral", "# 😀 base stage 😀\nFROM alpine AS b😀se\nFROM b😀se AS 𝒳\nCOPY --from=b😀se /😀 /x\nCOPY --from=0 /a /b\n"),
        ("heredoc", "FROM alpine AS a\nRUN <<EOF cat >/x\nhello 😀\nEOF\nFROM a\nCOPY --from=a <<-EOT /y\n\tx\n\tEOT\n"),
        ("half typed", "FROM alpine AS a\nCOPY --from=\nRUN --mount=type=cache,from=\nCOPY --fr\nFROM \n"),
        ("empty", ""),
        // Blanks of more than one byte (U+2005, U+3000, U+00A0) where words end: completion
        // once took each blank for one byte and sliced inside it.
        (
            "unicode blanks",
            "FROM\u{2005}alpine\u{3000}AS\u{a0}a\nCOPY\u{2005}--from=a\u{2005}/x /y\nRUN\u{3000}--mount=from=a,target=/x\u{2005}echo\u{2005}$A\u{3000}${B}\nFROM a\u{2005}AS b\u{2005}\n",
        ),
    ] {
        files.push((name.to_string(), text.to_string()));
    }
    files
}

#[test]
fn every_request_at_every_kind_of_position_in_the_corpus() {
    let files = corpus();
    assert!(files.len() > 500, "the corpus is there ({} files)", files.len());
    let mut failures = Vec::new();
    let mut asked = 0;
    for (i, (name, text)) in files.iter().enumerate() {
        // UTF-8 for every other file, both for files with characters beyond ASCII.
        let encodings: &[WideEncoding] = if !text.is_ascii() {
            &[WideEncoding::Utf16, WideEncoding::Utf8]
        } else if i % 2 == 0 {
            &[WideEncoding::Utf16]
        } else {
            &[WideEncoding::Utf8]
        };
        for &enc in encodings {
            match sweep(text, enc) {
                Ok(n) => asked += n,
                Err(e) => failures.push(format!("{name} ({enc:?}): {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} files:\n{}", failures.len(), files.len(), failures.join("\n"));
    assert!(asked > 100_000, "positions asked: {asked}");
}
