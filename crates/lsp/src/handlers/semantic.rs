//! Semantic tokens: stage definitions and references, images, variables, and the rest.

use stagecraft_analysis::queries::TokenType;
use stagecraft_analysis::Analysis;
use tower_lsp_server::lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensLegend,
};

use crate::convert::Encoding;

const TYPES: &[(TokenType, SemanticTokenType)] = &[
    (TokenType::Keyword, SemanticTokenType::KEYWORD),
    (TokenType::StageDefinition, SemanticTokenType::CLASS),
    (TokenType::StageReference, SemanticTokenType::CLASS),
    (TokenType::Image, SemanticTokenType::NAMESPACE),
    (TokenType::Variable, SemanticTokenType::VARIABLE),
    (TokenType::Flag, SemanticTokenType::PARAMETER),
    (TokenType::Comment, SemanticTokenType::COMMENT),
    (TokenType::Directive, SemanticTokenType::MACRO),
    (TokenType::String, SemanticTokenType::STRING),
    (TokenType::Operator, SemanticTokenType::OPERATOR),
];

/// Modifier bits: 0 = declaration (a stage's `AS` name), 1 = `unused` (a stage no target in play
/// builds). `unused` is no standard modifier: clients that know it (Neovim's `@lsp.mod.unused`,
/// a VS Code theme rule) style it, others ignore it. (The standard `deprecated` struck such
/// stages through, which says something else; the unused-stage hint fades them already.)
pub(crate) fn legend() -> SemanticTokensLegend {
    let mut token_types: Vec<SemanticTokenType> = Vec::new();
    for (_, t) in TYPES {
        if !token_types.contains(t) {
            token_types.push(t.clone());
        }
    }
    SemanticTokensLegend {
        token_types,
        token_modifiers: vec![SemanticTokenModifier::DECLARATION, SemanticTokenModifier::new("unused")],
    }
}

pub(crate) fn tokens(a: &Analysis, encoding: Encoding) -> SemanticTokens {
    let legend = legend().token_types;
    // The legend index of each entry of TYPES, worked out once.
    let indices: Vec<u32> =
        TYPES.iter().map(|(_, lsp)| legend.iter().position(|t| t == lsp).unwrap_or(0) as u32).collect();
    let index_of = |ty: TokenType| TYPES.iter().position(|(t, _)| *t == ty).map_or(0, |i| indices[i]);
    let mut data = Vec::new();
    let (mut prev_line, mut prev_start) = (0u32, 0u32);
    for t in a.semantic_tokens() {
        let start = encoding.position(a.line_index(), t.range.start());
        let end = encoding.position(a.line_index(), t.range.end());
        let mut modifiers = 0;
        if t.ty == TokenType::StageDefinition {
            modifiers |= 1;
        }
        if t.unused {
            modifiers |= 2;
        }
        // Tokens cannot span lines: one split by a line continuation (`AS b\` and `uild` on the
        // next line) is a token on each line it takes.
        for line in start.line..=end.line {
            let (from, to) = if start.line == end.line {
                (start, end)
            } else {
                let Some(range) = a.line_index().line_range(line, a.text()) else { break };
                // A comment line (or an empty one) inside the continuation is no part of it:
                // BuildKit drops it.
                let content = a.text()[range].trim_start_matches([' ', '\t']);
                if line != start.line && (content.is_empty() || content.starts_with('#')) {
                    continue;
                }
                let from = if line == start.line { t.range.start() } else { range.start() };
                // (Up to the line's escape character and the blanks before it.)
                let to = if line == end.line {
                    t.range.end()
                } else {
                    let kept = a.text()[range].trim_end_matches(['\\', '`', ' ', '\t']).len();
                    range.start() + stagecraft_analysis::TextSize::new(kept as u32)
                };
                (encoding.position(a.line_index(), from), encoding.position(a.line_index(), to))
            };
            let length = to.character.saturating_sub(from.character);
            if length == 0 || to.line != from.line {
                continue;
            }
            let delta_line = from.line - prev_line;
            let delta_start = if delta_line == 0 { from.character - prev_start } else { from.character };
            data.push(SemanticToken {
                delta_line,
                delta_start,
                length,
                token_type: index_of(t.ty),
                token_modifiers_bitset: modifiers,
            });
            prev_line = from.line;
            prev_start = from.character;
        }
    }
    SemanticTokens { result_id: None, data }
}
