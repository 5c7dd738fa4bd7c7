//! Code actions: the fixes diagnostics carry (remove an unused stage, use the stage a typo
//! meant, `key=value` for legacy ENV, keyword casing, ...), and "fix all" for the safe ones
//! (`source.fixAll.stagecraft`, which editors run on save when asked to).

use std::collections::HashMap;

use stagecraft_analysis::fixes::{fix_text, FixSet};
use stagecraft_analysis::{Analysis, Applicability, Options, TextSize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionResponse, Diagnostic, Range, TextEdit, Uri,
    WorkspaceEdit,
};

use crate::convert::Encoding;

/// The kind of the "fix all" action.
pub(crate) fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.stagecraft")
}

/// Whether a client that asked for `only` these kinds wants actions of `kind`: kinds are
/// hierarchical (`source.fixAll` covers `source.fixAll.stagecraft`).
fn wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|o| {
            kind.as_str().strip_prefix(o.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    })
}

pub(crate) fn code_actions(
    a: &Analysis,
    options: &Options,
    encoding: Encoding,
    uri: &Uri,
    range: Range,
    context: &[Diagnostic],
    only: Option<&[CodeActionKind]>,
) -> Result<Option<CodeActionResponse>> {
    let wanted_range = encoding.text_range(a.line_index(), a.text(), range)?;
    let edit = |edits: &[stagecraft_analysis::TextEdit]| WorkspaceEdit {
        changes: Some(HashMap::from([(
            uri.clone(),
            edits
                .iter()
                .map(|e| TextEdit { range: encoding.lsp_range(a, e.range), new_text: e.new_text.clone() })
                .collect(),
        )])),
        ..WorkspaceEdit::default()
    };
    let mut actions = Vec::new();
    if wanted(only, &CodeActionKind::QUICKFIX) {
        let all = super::diagnostics::convert(a, uri, encoding);
        for (d, lsp) in a.diagnostics().iter().zip(&all) {
            let Some(fix) = &d.fix else { continue };
            // Where the range touches the finding, or for a finding the client names in its
            // context (Neovim sends the cursor's line's diagnostics with an empty range at the
            // cursor, which may be anywhere on the line).
            // A finding ends at its text, not at the blanks its line ends in, but a cursor after
            // them (where End puts it) still touches it; not blanks before more of the line.
            let after = &a.text()[usize::from(d.range.end())..];
            let rest = after.trim_start_matches([' ', '\t']);
            let at_line_end = rest.is_empty() || rest.starts_with(['\r', '\n']);
            let blanks = if at_line_end { after.len() - rest.len() } else { 0 };
            let end = d.range.end() + TextSize::from(blanks as u32);
            let touches = d.range.start() <= wanted_range.end() && wanted_range.start() <= end;
            // (By its range; else by its lines, code and message where they name one finding
            // alone: Neovim 0.7 sends back byte columns, which differ from the UTF-16 ones on a
            // line with non-ASCII text.)
            let same = |c: &Diagnostic, d: &Diagnostic| {
                (c.range.start.line, c.range.end.line) == (d.range.start.line, d.range.end.line)
                    && c.message == d.message
                    && c.code == d.code
            };
            let named = || {
                context.iter().any(|c| {
                    (c.range == lsp.range && c.message == lsp.message && c.code == lsp.code)
                        || (same(c, lsp) && all.iter().filter(|d| same(c, d)).count() == 1)
                })
            };
            if !touches && !named() {
                continue;
            }
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp.clone()]),
                edit: Some(edit(&fix.edits)),
                // An editor's "auto fix" applies the preferred one without asking: only a fix
                // that leaves the build as it was.
                is_preferred: Some(fix.applicability == Applicability::Safe),
                ..CodeAction::default()
            }));
        }
    }
    // Rewrites that keep the build (a stage referred to by index named instead), at the cursor
    // or in the selection.
    if wanted(only, &CodeActionKind::REFACTOR_REWRITE) {
        for assist in a.assists(wanted_range) {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: assist.title,
                kind: Some(CodeActionKind::REFACTOR_REWRITE),
                edit: Some(edit(&assist.edits)),
                ..CodeAction::default()
            }));
        }
    }
    if wanted(only, &fix_all_kind()) {
        if let Some((edits, count)) = fix_all(a, options) {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Fix all safe problems ({count})"),
                kind: Some(fix_all_kind()),
                edit: Some(edit(&edits)),
                ..CodeAction::default()
            }));
        }
    }
    Ok((!actions.is_empty()).then_some(actions))
}

/// "Fix all" as `check --fix` does it: passes of the safe fixes, each on the analysis of the
/// text the one before left, since a fix can make another possible (the removal of an unused
/// stage can make the one it was built on removable). The edits and how many fixes they make;
/// `None` when there is nothing to fix. When one pass fixes everything (the usual case), its
/// edits are the answer, each where its fix is (an editor keeps the cursor, marks and undo steps
/// of the lines between); after more passes, one edit of the region that changed.
fn fix_all(a: &Analysis, options: &Options) -> Option<(Vec<stagecraft_analysis::TextEdit>, usize)> {
    let (mut edits, count) = a.fix_all_edits(FixSet::Safe);
    if count == 0 {
        return None;
    }
    edits.sort_unstable_by_key(|e| e.range.start());
    let first = stagecraft_analysis::TextEdit::apply_all(a.text(), &edits);
    let rest = fix_text(&first, options, FixSet::Safe);
    if rest.applied == 0 {
        return Some((edits, count));
    }
    Some((vec![changed_region(a.text(), &rest.text)], count + rest.applied))
}

/// One edit that turns `old` into `new`: the region between their common start and end.
fn changed_region(old: &str, new: &str) -> stagecraft_analysis::TextEdit {
    let mut start = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = old.bytes().rev().zip(new.bytes().rev()).take_while(|(a, b)| a == b).count();
    end = end.min(old.len() - start).min(new.len() - start);
    while !old.is_char_boundary(old.len() - end) || !new.is_char_boundary(new.len() - end) {
        end -= 1;
    }
    // Neither end of the range may sit between a CRLF's two characters, where no LSP position is:
    // the region takes in the whole line break (the common parts are the same in both texts).
    let inside_crlf = |at: usize| at > 0 && old.as_bytes()[at - 1] == b'\r' && old.as_bytes().get(at) == Some(&b'\n');
    if inside_crlf(start) {
        start -= 1;
    }
    if inside_crlf(old.len() - end) {
        end -= 1;
    }
    let range = stagecraft_analysis::TextRange::new((start as u32).into(), ((old.len() - end) as u32).into());
    stagecraft_analysis::TextEdit { range, new_text: new[start..new.len() - end].to_string() }
}

#[cfg(test)]
mod tests {
    use super::changed_region;

    #[test]
    fn one_edit_covers_the_change() {
        for (old, new) in [
            ("from a as b\n", "FROM a AS b\n"),
            ("abc", "abc"),
            ("aaa", "aa"),
            ("aa", "aaa"),
            ("x\u{e9}y", "x\u{e8}y"),
            ("", "z"),
            ("\u{1F600}a", "\u{1F601}a"),
            // The blank continuation line goes, between lines that end in CRLF and in LF.
            ("RUN a \\\n\n    b \\\n\r\n    c\n", "RUN a \\\n    b \\\n    c\n"),
            ("a\r\nb", "a\r\nc\r\nb"),
            ("a\r\nb", "a\nb"),
        ] {
            let e = changed_region(old, new);
            let mut out = old.to_string();
            out.replace_range(usize::from(e.range.start())..usize::from(e.range.end()), &e.new_text);
            assert_eq!(out, new, "{old:?} -> {new:?}");
            for at in [e.range.start(), e.range.end()].map(usize::from) {
                assert!(!old[..at].ends_with('\r') || !old[at..].starts_with('\n'), "{old:?} -> {new:?}: {e:?}");
            }
        }
        assert_eq!(changed_region("from a as b\n", "FROM a AS b\n").new_text, "FROM a AS");
    }
}
