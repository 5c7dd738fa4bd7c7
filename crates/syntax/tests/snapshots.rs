//! Snapshot tests for tricky inputs: each `snapshots/NAME.Dockerfile` has `NAME.tree` beside it
//! (the tree, the errors and BuildKit's dump). `UPDATE_SNAPSHOTS=1` rewrites them for review.

use std::path::Path;

use stagecraft_syntax::{dump, parse, LineIndex};
use stagecraft_testkit::{check_snapshot, read};

fn render(text: &str) -> String {
    let parse = parse(text);
    let index = LineIndex::new(text);
    let mut out = dump::tree(&parse.syntax_node());
    out.push_str("--- errors\n");
    for e in parse.errors() {
        let lc = index.line_col(e.range().start());
        out.push_str(&format!("{}:{}: {}\n", lc.line + 1, lc.col + 1, e.message()));
    }
    out.push_str("--- buildkit dump\n");
    out.push_str(&dump::buildkit(&parse.tree()));
    out
}

#[test]
fn snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 8);
    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|input| check_snapshot(&input.with_extension("tree"), &render(&read(input))).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
