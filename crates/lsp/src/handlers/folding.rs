//! Folding ranges: stages, multi-line instructions, comment blocks.

use stagecraft_analysis::Analysis;
use tower_lsp_server::lsp_types::{FoldingRange, FoldingRangeKind};

pub(crate) fn folding(a: &Analysis) -> Vec<FoldingRange> {
    a.folds()
        .into_iter()
        .map(|f| FoldingRange {
            start_line: f.start_line,
            end_line: f.end_line,
            kind: Some(if f.comment { FoldingRangeKind::Comment } else { FoldingRangeKind::Region }),
            ..FoldingRange::default()
        })
        .collect()
}
