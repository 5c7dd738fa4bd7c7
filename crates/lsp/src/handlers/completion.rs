//! Completion of stage names, variables, instruction keywords and flags.

use stagecraft_analysis::queries::{Completion, CompletionKind};
use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionResponse, CompletionTextEdit, Documentation,
    Position, TextEdit,
};

use crate::convert::Encoding;

/// The most stage names or variables one answer lists. Past it the answer keeps the ones that
/// match what is typed, those that start with it first, and says it is incomplete, so that the
/// editor asks again as the word grows: a file of 50,000 variables or stages would otherwise
/// send megabytes on every keystroke. `scratch` and named contexts are always listed (they are
/// few; keywords and flags never come with stage names or variables).
const LISTED_MAX: usize = 1000;

pub(crate) fn completion(a: &Analysis, encoding: Encoding, position: Position) -> Result<Option<CompletionResponse>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    let mut completions = a.completions(offset);
    let capped = |c: &Completion| matches!(c.kind, CompletionKind::Stage | CompletionKind::Variable);
    let is_incomplete = completions.iter().filter(|c| capped(c)).count() > LISTED_MAX;
    if is_incomplete {
        // What is typed of the word: a completion replaces the word from where its typing
        // began (`Completion::replace`), through the cursor, to the word's end.
        let typed = completions
            .first()
            .and_then(|c| a.text().get(usize::from(c.replace.start())..usize::from(offset)))
            .unwrap_or_default()
            .to_lowercase();
        completions.retain(|c| !capped(c) || matches_typed(&c.label, &typed));
        // Those that start with what is typed first (`scratch` and named contexts ahead of the
        // stages among them), each group in the analysis's order.
        completions.sort_by_cached_key(|c| (!c.label.to_lowercase().starts_with(&typed), capped(c)));
        let mut listed = 0;
        completions.retain(|c| {
            listed += usize::from(capped(c));
            !capped(c) || listed <= LISTED_MAX
        });
    }
    let items: Vec<CompletionItem> =
        completions.into_iter().enumerate().map(|(i, c)| item(a, encoding, i, c)).collect();
    Ok(match (items.is_empty(), is_incomplete) {
        (true, false) => None,
        (_, false) => Some(CompletionResponse::Array(items)),
        (_, true) => Some(CompletionResponse::List(CompletionList { is_incomplete: true, items })),
    })
}

/// Whether `label` holds the characters of `typed` (lower case) in order, ignoring case: the
/// editors' own filters are at least as strict, so what is left out here they would not show.
fn matches_typed(label: &str, typed: &str) -> bool {
    let mut label = label.chars().flat_map(char::to_lowercase);
    typed.chars().all(|t| label.any(|l| l == t))
}

fn item(a: &Analysis, encoding: Encoding, i: usize, c: Completion) -> CompletionItem {
    CompletionItem {
        label: c.label,
        kind: Some(match c.kind {
            CompletionKind::Stage => CompletionItemKind::CLASS,
            CompletionKind::Scratch => CompletionItemKind::CONSTANT,
            CompletionKind::Keyword => CompletionItemKind::KEYWORD,
            CompletionKind::Flag => CompletionItemKind::PROPERTY,
            CompletionKind::NamedContext => CompletionItemKind::FOLDER,
            CompletionKind::Variable => CompletionItemKind::VARIABLE,
            CompletionKind::MountKey => CompletionItemKind::PROPERTY,
            CompletionKind::MountValue | CompletionKind::FlagValue => CompletionItemKind::ENUM_MEMBER,
        }),
        detail: c.detail,
        documentation: c.documentation.map(Documentation::String),
        // Keep this order (stages in file order; past the cap, those that start with what is
        // typed first).
        sort_text: Some(format!("{i:04}")),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit {
            range: encoding.lsp_range(a, c.replace),
            new_text: c.insert,
        })),
        ..CompletionItem::default()
    }
}

#[cfg(test)]
mod tests {
    use super::matches_typed;

    #[test]
    fn typed_characters_in_order_ignoring_case() {
        assert!(matches_typed("builder", ""));
        assert!(matches_typed("builder", "bld"));
        assert!(matches_typed("Builder", "bui"));
        assert!(matches_typed("s12345", "s45"));
        assert!(!matches_typed("builder", "dlb"));
        assert!(!matches_typed("s1", "s12"));
    }
}
