//! A large text is parsed in two halves at once (`parse` cuts it near the middle). The halves
//! meet where both parses start a logical line, so the result must equal a parse on one thread
//! wherever the cut falls: inside continuations, heredocs, comments and directives, after a
//! BOM, in CRLF text, before an over-long line. Checked at every line start of every corpus
//! file and of random texts, and on the generated benchmark file.

use stagecraft_syntax::{parse, parse_on_two_threads, Parse, PARALLEL_MIN};

fn assert_split_equal(name: &str, text: &str, whole: &Parse) -> usize {
    let mut cuts = 0;
    for at in std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)) {
        let split = parse_on_two_threads(text, at);
        assert!(split == *whole, "{name}: cut at byte {at} parses differently:\n{text:?}");
        cuts += 1;
    }
    cuts
}

#[test]
fn a_parse_in_two_halves_equals_one_on_the_corpus() {
    let mut files: Vec<std::path::PathBuf> =
        stagecraft_testkit::parser_cases().into_iter().map(|c| c.dockerfile).collect();
    files.extend(stagecraft_testkit::real_world_files());
    assert!(files.len() > 120, "the corpus is there");
    let mut cuts = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        assert!(text.len() < PARALLEL_MIN, "{}: `parse` is on one thread here", path.display());
        cuts += assert_split_equal(&path.display().to_string(), &text, &parse(&text));
    }
    assert!(cuts > 10_000, "{cuts} cuts");
}

#[test]
fn a_parse_in_two_halves_equals_one_on_random_texts() {
    let mut rng = stagecraft_testkit::Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..2000 {
        let text = stagecraft_testkit::random_dockerfile(&mut rng, 24);
        assert_split_equal(&format!("random text {case}"), &text, &parse(&text));
    }
}

#[test]
fn over_long_lines_are_reported_once_whichever_half_reads_them() {
    let long = "x".repeat(70_000);
    for text in [
        format!("FROM a\nRUN a\nRUN {long}\nRUN b\nRUN {long}\n"),
        format!("FROM a\nRUN a\nRUN b\nRUN {long}\nRUN {long}\n"),
        format!("FROM a\nRUN {long}\nRUN a\nRUN b\nRUN c\n"),
    ] {
        let one = parse_on_two_threads(&text, text.len());
        assert_eq!(
            one.errors().iter().filter(|e| e.kind() == stagecraft_syntax::SyntaxErrorKind::LineTooLong).count(),
            1
        );
        assert_split_equal("long lines", &text, &one);
        assert_eq!(parse(&text), one);
    }
}

#[test]
fn the_benchmark_file_parses_the_same_in_two_halves() {
    let big = stagecraft_testkit::bench::big_file();
    assert!(big.len() >= PARALLEL_MIN);
    // A cut at the end is a parse on one thread.
    let one = parse_on_two_threads(&big, big.len());
    assert_eq!(parse(&big), one);
    for at in (0..big.len()).step_by(big.len() / 97) {
        assert!(parse_on_two_threads(&big, at) == one, "cut at {at}");
    }
}
