//! `Parse::reparse` (the incremental parse an editor uses on every keystroke) must give exactly
//! what a full parse of the edited text gives: the same tree and the same errors. Checked on
//! every corpus file at many places with edits chosen to move line structure around
//! (continuations in both escape characters, heredocs, comments, directives, CRLF), and on
//! random Dockerfile-ish texts.

use rowan::NodeOrToken;
use stagecraft_syntax::{parse, Parse, TextRange, TextSize};
use stagecraft_testkit::Rng;

/// Edits that change how lines group: continuations, heredoc starts and ends, comments, blank
/// lines, new instructions, directives, multi-byte text.
const INSERTS: &[&str] = &[
    "",
    "\n",
    "\\\n",
    "`\n",
    " \\",
    "\r\n",
    "# c\n",
    "RUN <<EOF\n",
    "EOF\n",
    "<<-X cat\n",
    "X\n",
    "FROM a AS b\n",
    "RUN x",
    "# escape=`\n",
    "\"",
    "ä😀",
    "\n\n  \n",
    "[\"a\",",
];

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Applies one edit both ways and compares; true when the incremental path kept old children.
fn check(name: &str, old_text: &str, old: &Parse, start: usize, end: usize, insert: &str) -> bool {
    let mut new_text = old_text.to_string();
    new_text.replace_range(start..end, insert);
    let deleted = TextRange::new(TextSize::new(start as u32), TextSize::new(end as u32));
    let incremental = old.reparse(&new_text, deleted, TextSize::of(insert));
    let full = parse(&new_text);
    assert_eq!(incremental, full, "{name}: replacing {start}..{end} ({:?}) with {insert:?}", &old_text[start..end]);
    // Old children kept (the same allocation) means the incremental path ran.
    let first = |p: &Parse| match p.green().children().next() {
        Some(NodeOrToken::Node(n)) => Some(n as *const _ as *const u8),
        Some(NodeOrToken::Token(t)) => Some(t as *const _ as *const u8),
        None => None,
    };
    first(old).is_some() && first(old) == first(&incremental)
}

fn edit_file(name: &str, text: &str, rng: &mut Rng, edits: usize) -> (usize, usize) {
    let old = parse(text);
    let mut reused = 0;
    for _ in 0..edits {
        let start = floor_boundary(text, rng.below(text.len() + 1));
        let end = if rng.below(3) == 0 { floor_boundary(text, start + rng.below(40)).max(start) } else { start };
        let insert = INSERTS[rng.below(INSERTS.len())];
        if check(name, text, &old, start, end, insert) {
            reused += 1;
        }
    }
    (reused, edits)
}

#[test]
fn reparse_equals_a_full_parse_on_the_corpus() {
    let mut rng = Rng(0x5eed_cafe);
    let cases: Vec<std::path::PathBuf> = stagecraft_testkit::parser_cases().into_iter().map(|c| c.dockerfile).collect();
    let real_world = stagecraft_testkit::real_world_files();
    assert!(cases.len() > 20 && real_world.len() > 100, "the corpus is there");
    let mut reused = [0, 0];
    let mut total = [0, 0];
    for (kind, files) in [cases, real_world].iter().enumerate() {
        for path in files {
            let Ok(text) = std::fs::read_to_string(path) else { continue };
            let (r, t) = edit_file(&path.display().to_string(), &text, &mut rng, 60);
            reused[kind] += r;
            total[kind] += t;
        }
    }
    // In real files most edits land after the first instruction, where the incremental path
    // runs (BuildKit's parser cases are mostly a few lines long).
    assert!(reused[1] * 4 > total[1] * 3, "the incremental path ran for {reused:?} of {total:?} edits");
}

#[test]
fn reparse_equals_a_full_parse_on_random_texts() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let (mut reused, mut total) = (0, 0);
    for case in 0..3000 {
        let text = stagecraft_testkit::random_dockerfile(&mut rng, 24);
        let (r, t) = edit_file(&format!("random text {case}: {text:?}"), &text, &mut rng, 4);
        reused += r;
        total += t;
    }
    assert!(reused * 5 > total, "the incremental path ran for only {reused} of {total} edits");
}

#[test]
fn whole_file_errors_and_bad_edits_fall_back_to_a_full_parse() {
    // The first over-long line is the one reported; an edit that adds an earlier one moves it.
    let long = "x".repeat(70_000);
    let text = format!("FROM a\nRUN a\nRUN b\nRUN {long}\nRUN {long}\n");
    let old = parse(&text);
    let at = text.find("RUN b").unwrap();
    check("long lines", &text, &old, at, at, &format!("RUN {long}\n"));
    // An edit that does not fit the old text (past its end) is a full parse, not a panic.
    let p = parse("FROM a\nRUN b\n").reparse("FROM a\n", TextRange::new(100.into(), 120.into()), 0.into());
    assert_eq!(p, parse("FROM a\n"));
}
