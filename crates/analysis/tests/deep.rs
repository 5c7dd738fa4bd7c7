//! Input nested thousands of levels deep (`${A:-${A:-...}}`, `ONBUILD ONBUILD ...`, unclosed
//! `${`), analysed on a thread with a 1 MiB stack, about what a browser gives WebAssembly: the
//! parser keeps the tree shallow, variable expansion stops with an error at
//! `stagecraft_syntax::shell::MAX_NESTING` levels, and nothing overflows the stack. BuildKit's Go
//! stacks grow, so it would expand deeper: a deliberate difference, for input no Dockerfile has.

use stagecraft_analysis::{analyze, Options};

const N: usize = 20_000;

fn cases() -> Vec<(&'static str, String)> {
    let nest = |open: &str| format!("{}x{}", open.repeat(N), "}".repeat(N));
    vec![
        ("ARG default", format!("FROM alpine\nARG B={}\n", nest("${A:-"))),
        ("ENV alternative", format!("FROM alpine\nENV B={}\n", nest("${A:+"))),
        ("LABEL", format!("FROM alpine\nLABEL a={}\n", nest("${A:-"))),
        ("WORKDIR", format!("FROM alpine\nWORKDIR {}\n", nest("${A:-"))),
        ("FROM", format!("ARG A=alpine\nFROM {}\n", nest("${A:-"))),
        ("FROM --platform", format!("FROM --platform={} alpine\n", nest("${A:-"))),
        ("COPY --from", format!("FROM alpine\nCOPY --from={} /a /b\n", nest("${A:-"))),
        ("RUN --mount from=", format!("FROM alpine\nRUN --mount=from={} x\n", nest("${A:-"))),
        ("heredoc marker", format!("FROM alpine\nRUN <<{}\nx\n", nest("${A:-"))),
        ("unclosed ${", format!("FROM alpine\nARG B={}\n", "${".repeat(N))),
        ("ONBUILD chain", format!("FROM alpine\n{}RUN x\n", "ONBUILD ".repeat(N))),
    ]
}

/// The deepest node's depth (walking up from each node: no recursion over the tree).
fn depth(node: &stagecraft_syntax::SyntaxNode) -> usize {
    node.descendants().map(|n| n.ancestors().count()).max().unwrap_or(0)
}

#[test]
fn deep_nesting_neither_overflows_nor_loses_text() {
    let worker = std::thread::Builder::new().stack_size(1 << 20).spawn(|| {
        let mut problems = Vec::new();
        for (name, text) in cases() {
            let parse = stagecraft_syntax::parse(&text);
            let root = parse.syntax_node();
            if root.text().to_string() != text {
                problems.push(format!("{name}: the tree lost text"));
            }
            let d = depth(&root);
            if d > 200 {
                problems.push(format!("{name}: the tree is {d} levels deep"));
            }
            let a = analyze(&text, &Options::default());
            let nested = a.diagnostics().iter().any(|d| d.message.contains("nested more than 100 levels deep"));
            let expects_limit = !matches!(name, "unclosed ${" | "ONBUILD chain" | "heredoc marker");
            if expects_limit && !nested {
                let codes: Vec<&str> = a.diagnostics().iter().map(|d| d.code.as_str()).collect();
                problems.push(format!("{name}: no error about the nesting, only {codes:?}"));
            }
            if name == "ONBUILD chain" && !a.diagnostics().iter().any(|d| d.message.contains("ONBUILD ONBUILD")) {
                problems.push(format!("{name}: no error about chaining ONBUILD"));
            }
        }
        problems
    });
    let problems = worker.expect("a thread").join().expect("no panic and no overflow");
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Nesting a little under the limit still expands, as BuildKit does.
#[test]
fn nesting_under_the_limit_expands() {
    let depth = 90;
    let text = format!("FROM alpine\nARG B={}x{}\nENV C=$B\n", "${A:-".repeat(depth), "}".repeat(depth));
    let a = analyze(&text, &Options::default());
    assert!(
        a.diagnostics().iter().all(|d| !d.message.contains("nested")),
        "{:?}",
        a.diagnostics().iter().map(|d| &d.message).collect::<Vec<_>>()
    );
}

/// Input whose expansion grows without bound or whose patterns are long, analysed on a 1 MiB
/// stack as above. A variable built from itself twice doubles at each step, and BuildKit would
/// follow it until memory runs out; stagecraft stops at
/// `stagecraft_syntax::shell::MAX_EXPANSION` with an error that says why. A pattern as long as
/// a line may be (BuildKit reads lines up to 64 KiB) once recursed once per character.
#[test]
fn growing_expansions_stop_with_a_reason_and_long_patterns_do_not_overflow() {
    let long = "a".repeat(60_000);
    let cases: Vec<(&str, String, Option<usize>)> = vec![
        ("ENV doubling", format!("FROM alpine\nENV A=x\n{}RUN true\n", "ENV A=$A$A\n".repeat(40)), Some(20)),
        ("stage ARG doubling", format!("FROM alpine\nARG A=x\n{}", "ARG A=\"$A$A\"\n".repeat(40)), Some(20)),
        ("global ARG doubling", format!("ARG A=x\n{}FROM alpine\n", "ARG A=${A}${A}\n".repeat(40)), Some(19)),
        (
            "LABEL of a doubled value",
            format!("FROM alpine\nENV A=x\n{}LABEL l=$A$A$A$A\n", "ENV A=$A$A\n".repeat(16)),
            Some(19),
        ),
        ("long prefix pattern", format!("FROM alpine\nENV A={long}b\nENV B=${{A#{long}}}\n"), None),
        ("long suffix pattern", format!("FROM alpine\nENV A=b{long}\nENV B=${{A%{long}}}\n"), None),
        (
            "pattern no start finishes",
            format!("FROM alpine\nENV A={}\nENV B=${{A//a*c/x}}\n", "ab".repeat(30_000)),
            None,
        ),
    ];
    let worker = std::thread::Builder::new().stack_size(1 << 20).spawn(move || {
        let mut problems = Vec::new();
        for (name, text, error_line) in cases {
            let a = analyze(&text, &Options::default());
            let index = stagecraft_syntax::LineIndex::new(&text);
            let grows: Vec<u32> = a
                .diagnostics()
                .iter()
                .filter(|d| d.message.contains("grows more than 128 KiB longer than the word"))
                .map(|d| index.line_col(d.range.start()).line + 1)
                .collect();
            match error_line {
                // (An ARG whose value fails keeps its value, so every later doubling fails too.)
                Some(line) if grows.first() != Some(&(line as u32)) => problems
                    .push(format!("{name}: expected the first growth error on line {line}, got lines {grows:?}")),
                None if !grows.is_empty() || a.diagnostics().iter().any(|d| d.code == "invalid-expansion") => {
                    let codes: Vec<&str> = a.diagnostics().iter().map(|d| d.code.as_str()).collect();
                    problems.push(format!("{name}: expected no expansion error, got {codes:?}"))
                }
                _ => {}
            }
        }
        problems
    });
    let problems = worker.expect("a thread").join().expect("no panic and no overflow");
    assert!(problems.is_empty(), "{problems:#?}");
}
