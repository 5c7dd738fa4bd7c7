//! Changes to a file that BuildKit reads the same way must not change the analysis, on every
//! corpus file (the parser cases and the real-world files, each also a stand-in for the files
//! we do not have):
//! - **CRLF line ends.** BuildKit's scanner drops the `\r` before each `\n`, so the stages, the
//!   references, the diagnostics (code, severity, message and where, in lines and characters),
//!   the targets and the build error are the same.
//! - **Blanks at the end of each line.** BuildKit trims them from every instruction line, and a
//!   continuation's `\` may be followed by blanks. The same holds, ranges included, except in
//!   files with heredocs, whose lines are content (a terminator followed by blanks is no
//!   terminator) and are left out of this one.
//!
//! - **No `\n` after the last line**: the same, except where a finding about the whole file
//!   (no instructions, no stages) is placed: at the file's end, wherever that is, and on the
//!   last line BuildKit read.
//!
//! - **Keywords in lowercase** (`from ... as`, `run`): the same, apart from the casing rules.
//!
//! Files already holding a `\r` are left out of every check (their lone or CRLF ends are the
//! cases themselves).

use stagecraft_analysis::{analyze, Analysis, Options, RefOrigin, TextSize};
use stagecraft_testkit::corpus_texts;

/// 1-based line and character column.
fn at(a: &Analysis, offset: TextSize) -> (u32, u32) {
    let lc = a.line_index().to_wide(offset, stagecraft_syntax::WideEncoding::Utf32);
    (lc.line + 1, lc.col + 1)
}

/// Everything a user sees of an analysis, with positions as lines and columns (the byte offsets
/// move with every `\r` and blank).
fn summary(a: &Analysis) -> Vec<String> {
    let mut out = Vec::new();
    for s in a.stages() {
        out.push(format!(
            "stage #{} {:?} ({:?}) on {:?} base {:?} {:?} lines {}-{} name at {:?} platform {:?} {} commands",
            s.index,
            s.name,
            s.name_as_written,
            s.base,
            s.base_expanded,
            s.base_kind,
            s.line,
            s.end_line,
            s.name_range.map(|r| (at(a, r.start()), at(a, r.end()))),
            s.platform_expanded.as_ref().or(s.platform.as_ref()),
            s.commands.len(),
        ));
    }
    for r in a.references() {
        out.push(format!(
            "ref {:?} in #{} {} {:?} at {:?}-{:?} -> {:?} forward={} {} lines {}-{}",
            r.kind,
            r.in_stage,
            r.instruction.to_uppercase(), // (the keyword as written)
            r.value,
            at(a, r.range.start()),
            at(a, r.range.end()),
            r.target,
            r.forward,
            match &r.origin {
                RefOrigin::Inherited { trigger_range } => {
                    format!("inherited from {:?}-{:?}", at(a, trigger_range.start()), at(a, trigger_range.end()))
                }
                other => format!("{other:?}"),
            },
            r.line,
            r.end_line,
        ));
    }
    for d in a.diagnostics() {
        // A finding about a blank line (an empty continuation) covers the blanks it holds.
        let blank = a.text()[d.range].trim().is_empty();
        // One about the whole file (it has no instructions, no stages) is at its end.
        let at_end = usize::from(d.range.start()) == a.text().len();
        out.push(format!(
            "diag {} {:?} at {:?}-{:?} lines {:?} {:?} fix {:?} trigger {:?}",
            d.code,
            d.severity,
            if at_end { None } else { Some(at(a, d.range.start())) },
            if blank { None } else { Some(at(a, d.range.end())) },
            if at_end { None } else { Some(d.lines) },
            d.message,
            d.fix.as_ref().map(|f| (&f.title, f.edits.len())),
            d.trigger.map(|t| (at(a, t.start()), at(a, t.end()))),
        ));
    }
    out.push(format!("default target {:?}, unused {:?}", a.default_target(), a.unused_stages()));
    out.push(format!("builds {:?}", a.target_build_counts()));
    // BuildKit places an error about the whole file on the last line it read.
    let whole_file =
        |m: &str| a.diagnostics().iter().any(|d| d.message == m && usize::from(d.range.start()) == a.text().len());
    out.push(format!(
        "build error {:?}",
        a.build_error().map(|e| (&e.message, (!whole_file(&e.message)).then_some(&e.lines)))
    ));
    out
}

fn corpus() -> Vec<(String, String)> {
    let mut files = corpus_texts();
    files.retain(|(_, text)| !text.contains('\r'));
    assert!(files.len() > 500, "the corpus is there: {} files", files.len());
    files
}

/// The first line where two summaries differ, for the failure message.
fn first_difference(a: &[String], b: &[String]) -> String {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return format!("\n  plain: {x}\n  moved: {y}");
        }
    }
    format!("\n  {} lines against {}", a.len(), b.len())
}

fn check(transform: impl Fn(&str) -> String, skip: impl Fn(&str) -> bool) -> usize {
    let options = Options::default();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, text) in corpus() {
        if skip(&text) {
            continue;
        }
        let moved = transform(&text);
        assert_ne!(moved, text, "{name}: the change changes nothing");
        checked += 1;
        let (a, b) = (summary(&analyze(&text, &options)), summary(&analyze(&moved, &options)));
        if a != b {
            failures.push(format!("{name}:{}", first_difference(&a, &b)));
        }
    }
    assert!(failures.is_empty(), "{} of {checked} files differ:\n{}", failures.len(), failures.join("\n"));
    checked
}

#[test]
fn crlf_line_ends_change_nothing() {
    let checked = check(|t| t.replace('\n', "\r\n"), |t| !t.contains('\n'));
    assert!(checked > 500, "{checked}");
}

#[test]
fn blanks_at_line_ends_change_nothing() {
    let checked = check(|t| t.replace('\n', " \t\n"), |t| !t.contains('\n') || t.contains("<<"));
    assert!(checked > 500, "{checked}");
}

/// BuildKit reads a last line without its `\n` as it reads it with one.
#[test]
fn a_missing_last_newline_changes_nothing() {
    let checked = check(|t| t.strip_suffix('\n').unwrap_or(t).to_string(), |t| !t.ends_with('\n'));
    assert!(checked > 500, "{checked}");
}

/// BuildKit matches instruction keywords and `AS` in any case: written in lowercase, a file has
/// the same stages, references, targets and findings, apart from the casing rules' own (and the
/// build error `# check=error=true` makes of them) and messages that quote a keyword as written.
#[test]
fn lowercase_keywords_change_nothing_but_casing_findings() {
    use stagecraft_syntax::{SyntaxKind, TextRange};
    let lower = |text: &str| {
        let tree = stagecraft_syntax::parse(text).syntax_node();
        let mut out = text.to_string();
        for t in tree.descendants_with_tokens().filter_map(|e| e.into_token()) {
            if matches!(t.kind(), SyntaxKind::KEYWORD | SyntaxKind::AS_KW) {
                let r: TextRange = t.text_range();
                out.replace_range(std::ops::Range::<usize>::from(r), &t.text().to_ascii_lowercase());
            }
        }
        out
    };
    let casing = |summary: Vec<String>| -> Vec<String> {
        summary
            .into_iter()
            .filter(|l| !l.starts_with("diag ConsistentInstructionCasing") && !l.starts_with("diag FromAsCasing"))
            .map(|l| {
                // `# check=error=true` fails the build over the casing rules alone.
                let rules =
                    l.split_once("lint violation found for rules: ").map(|(_, r)| r.split('"').next().unwrap_or(""));
                match rules {
                    Some(r) if r.split(", ").all(|r| matches!(r, "FromAsCasing" | "ConsistentInstructionCasing")) => {
                        "build error none".to_string()
                    }
                    // A message may quote a keyword as written; nothing else changes case.
                    _ if l.starts_with("diag ") || l.starts_with("build error") => l.to_ascii_lowercase(),
                    _ => l,
                }
            })
            .collect()
    };
    let options = Options::default();
    let (mut checked, mut failures) = (0, Vec::new());
    for (name, text) in corpus() {
        let moved = lower(&text);
        if moved == text {
            continue;
        }
        checked += 1;
        let (a, b) = (casing(summary(&analyze(&text, &options))), casing(summary(&analyze(&moved, &options))));
        if a != b {
            failures.push(format!("{name}:{}", first_difference(&a, &b)));
        }
    }
    assert!(failures.is_empty(), "{} of {checked} files differ:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 500, "{checked}");
}
