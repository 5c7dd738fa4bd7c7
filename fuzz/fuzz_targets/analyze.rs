//! Any UTF-8 input analyses without panicking, and every editor query at any offset (inside,
//! at, or past the end of the text, also inside a multi-byte character) answers without
//! panicking; renames that succeed and every fix produce edits inside the text on character
//! boundaries; "fix all" (safe and unsafe) settles or says it did not, without panicking; the
//! selection ranges and links stay inside the text; formatting keeps the text parsing, keeps
//! its instructions and formats to itself. The same text read as a `.dockerignore`
//! either is rejected or gives the analysis its rules (so `CopyIgnoredFile` matches the file's
//! own COPY sources against its own lines), and matches its first lines as paths. The words
//! of its first line are named build contexts (so that some stage or image names are replaced).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stagecraft_analysis::fixes::{fix_text, FixSet};
use stagecraft_analysis::format::{self, FormatOptions};
use std::sync::Arc;

use stagecraft_analysis::dockerignore::DockerIgnore;
use stagecraft_analysis::{analyze, IgnoreRules, Options, SvgOptions, TextEdit, TextRange, TextSize};

fn check_edits(text: &str, edits: &[TextEdit]) {
    for edit in edits {
        let range = edit.range;
        assert!(usize::from(range.end()) <= text.len());
        assert!(text.is_char_boundary(range.start().into()) && text.is_char_boundary(range.end().into()));
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut options = Options::default();
    if let Ok(rules) = DockerIgnore::parse(text) {
        // A few lines: every line against every pattern would slow the fuzzing down.
        for line in text.lines().take(8) {
            let _ = rules.matches_or_parent_matches(line);
        }
        options.ignore = Some(IgnoreRules(Arc::new(rules)));
    }
    options.named_contexts = text.lines().next().unwrap_or("").split_whitespace().map(String::from).collect();
    let analysis = analyze(text, &options);
    // An unused context is one that was given, and suggests no other spelling of itself.
    for c in analysis.unused_named_contexts() {
        assert!(options.named_contexts.contains(&c.name), "{c:?}");
        assert_ne!(c.suggestion.as_ref(), Some(&c.name), "{c:?}");
    }
    let _ = (analysis.targets(), analysis.graph(), analysis.to_dot(), analysis.to_mermaid());
    let _ = (analysis.outline(), analysis.folds(), analysis.inlay_hints(), analysis.semantic_tokens());
    for (i, _) in analysis.stages().iter().enumerate() {
        let plan = analysis.plan(i);
        // What a replaced stage's steps use is dispatched, never built too.
        for s in analysis.dispatched_not_built(i) {
            assert!(!plan.stages.contains(&s), "stage {s} both built and only dispatched for target {i}");
        }
        let _ = analysis.to_svg(&SvgOptions { target: Some(i), offset: None });
    }
    let _ = analysis.to_svg(&SvgOptions::default());
    for d in analysis.diagnostics() {
        if let Some(fix) = &d.fix {
            check_edits(text, &fix.edits);
            let _ = TextEdit::apply_all(text, &fix.edits);
        }
    }
    for link in analysis.links() {
        check_edits(text, &[TextEdit { range: link.range, new_text: String::new() }]);
    }
    // Formatting: edits on character boundaries (in order and apart: the formatter's debug
    // assertion, which fuzzing runs with); the result parses as the text did, keeps its
    // instructions, and formats to itself (a parse is all formatting reads).
    if let Ok(edits) = analysis.format(&FormatOptions::default()) {
        check_edits(text, &edits);
        let formatted = TextEdit::apply_all(text, &edits);
        let again = stagecraft_syntax::parse(&formatted);
        assert!(again.errors().is_empty(), "{:?}", again.errors());
        assert_eq!(analysis.parse().tree().instructions().count(), again.tree().instructions().count());
        let edits_again = format::format(&formatted, &again, &FormatOptions::default()).map(|e| e.len());
        assert_eq!(edits_again, Ok(0), "not idempotent:\n{formatted}");
    }
    for set in [FixSet::Safe, FixSet::Unsafe] {
        let _ = fix_text(text, &Options::default(), set);
    }
    // Every offset of a short text (a multi-byte blank before one once made completion slice
    // inside it), a spread of a longer one: every 7th byte; and the end (and one past it).
    let len = text.len();
    let step = if len <= 256 { 1 } else { 7 };
    for offset in (0..=len + 1).step_by(step).chain([len, len + 1]) {
        let at = TextSize::from(offset as u32);
        let _ = (analysis.definition(at), analysis.references_at(at), analysis.hover(at));
        let _ = (analysis.completions(at), analysis.stage_at(at), analysis.prepare_rename(at));
        if let Ok(edits) = analysis.rename(at, "renamed") {
            check_edits(text, &edits);
        }
        // At the cursor, and over a selection from it.
        let selected = TextRange::new(at, TextSize::from(((offset + step) as u32).min(len as u32)).max(at));
        for assist in analysis.assists(TextRange::empty(at)).into_iter().chain(analysis.assists(selected)) {
            check_edits(text, &assist.edits);
        }
        let ranges = analysis.selection_ranges(at);
        check_edits(text, &ranges.iter().map(|&range| TextEdit { range, new_text: String::new() }).collect::<Vec<_>>());
    }
});
