//! Semantic tokens: stage definitions and references, images, variables, and the rest.

use stagecraft_analysis::queries::TokenType;
use stagecraft_analysis::Analysis;
use tower_lsp_server::lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensEdit, SemanticTokensLegend,
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

/// The edit that turns the tokens `old` into `new` (`semanticTokens/full/delta`): the tokens
/// between their common start and their common end, or none when they are equal. An edit counts
/// in the integers of the encoded data, five a token. (An edit inside a big file moves the
/// tokens after it only when it changes their lines: a line added or removed, so the common end
/// is found in relative positions, which stay as they were after the first changed token.)
pub(crate) fn delta(old: &[SemanticToken], new: &[SemanticToken]) -> Vec<SemanticTokensEdit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let room = old.len().min(new.len()) - prefix;
    let suffix = old.iter().rev().zip(new.iter().rev()).take(room).take_while(|(a, b)| a == b).count();
    if prefix == old.len() && prefix == new.len() {
        return Vec::new();
    }
    vec![SemanticTokensEdit {
        start: (prefix * 5) as u32,
        delete_count: ((old.len() - prefix - suffix) * 5) as u32,
        data: Some(new[prefix..new.len() - suffix].to_vec()),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(delta_line: u32, length: u32) -> SemanticToken {
        SemanticToken { delta_line, delta_start: 0, length, token_type: 0, token_modifiers_bitset: 0 }
    }

    /// Applies `edits` to `old` as a client does, on the encoded integers.
    fn apply(old: &[SemanticToken], edits: &[SemanticTokensEdit]) -> Vec<u32> {
        let encode =
            |t: &SemanticToken| [t.delta_line, t.delta_start, t.length, t.token_type, t.token_modifiers_bitset];
        let mut data: Vec<u32> = old.iter().flat_map(encode).collect();
        for e in edits {
            let inserted: Vec<u32> = e.data.iter().flatten().flat_map(encode).collect();
            data.splice(e.start as usize..(e.start + e.delete_count) as usize, inserted);
        }
        data
    }

    #[test]
    fn a_delta_applied_gives_the_new_tokens() {
        let encode = |ts: &[SemanticToken]| -> Vec<u32> {
            ts.iter()
                .flat_map(|t| [t.delta_line, t.delta_start, t.length, t.token_type, t.token_modifiers_bitset])
                .collect()
        };
        let a: Vec<SemanticToken> = (0..6).map(|i| token(1, i)).collect();
        let cases: Vec<Vec<SemanticToken>> = vec![
            a.clone(),
            a[..3].iter().chain(&[token(1, 9)]).chain(&a[3..]).copied().collect(),
            a[..2].iter().chain(&a[4..]).copied().collect(),
            a.iter().map(|t| token(t.delta_line, t.length + 1)).collect(),
            Vec::new(),
            vec![token(1, 1), token(1, 1)],
        ];
        for new in &cases {
            let edits = delta(&a, new);
            assert_eq!(apply(&a, &edits), encode(new), "{new:?}");
            assert!(edits.len() <= 1);
        }
        // Equal: no edit; one token changed: one token sent.
        assert!(delta(&a, &a).is_empty());
        let mut one = a.clone();
        one[2] = token(1, 7);
        assert_eq!(delta(&a, &one)[0].data.as_ref().map(Vec::len), Some(1));
        // Repeated tokens on both sides of the change are not counted twice.
        let same = vec![token(1, 1); 4];
        let fewer = vec![token(1, 1); 3];
        assert_eq!(apply(&same, &delta(&same, &fewer)), encode(&fewer));
        assert_eq!(apply(&fewer, &delta(&fewer, &same)), encode(&same));
    }
}
