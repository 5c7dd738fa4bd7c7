//! Completion of stage names, instruction keywords and flags.

use stagecraft_analysis::queries::CompletionKind;
use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    CompletionItem, CompletionItemKind, CompletionResponse, CompletionTextEdit, Documentation, Position, TextEdit,
};

use crate::convert::Encoding;

pub(crate) fn completion(a: &Analysis, encoding: Encoding, position: Position) -> Result<Option<CompletionResponse>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    let items: Vec<CompletionItem> = a
        .completions(offset)
        .into_iter()
        .enumerate()
        .map(|(i, c)| CompletionItem {
            label: c.label,
            kind: Some(match c.kind {
                CompletionKind::Stage => CompletionItemKind::CLASS,
                CompletionKind::Scratch => CompletionItemKind::CONSTANT,
                CompletionKind::Keyword => CompletionItemKind::KEYWORD,
                CompletionKind::Flag => CompletionItemKind::PROPERTY,
                CompletionKind::NamedContext => CompletionItemKind::FOLDER,
                CompletionKind::Variable => CompletionItemKind::VARIABLE,
            }),
            detail: c.detail,
            documentation: c.documentation.map(Documentation::String),
            // Keep our order (stages in file order).
            sort_text: Some(format!("{i:04}")),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range: encoding.lsp_range(a, c.replace),
                new_text: c.insert,
            })),
            ..CompletionItem::default()
        })
        .collect();
    Ok((!items.is_empty()).then_some(CompletionResponse::Array(items)))
}
