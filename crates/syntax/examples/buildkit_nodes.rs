//! Prints, for each file named on the command line, one JSON line with its instructions as
//! BuildKit's parser reports them (keyword, joined line, line span, flags, arguments, exec form,
//! heredocs) and the parse errors. `tools/differential.py` compares this with BuildKit's own
//! parser. `cargo run --example buildkit_nodes -- FILE...`
use stagecraft_syntax::ast::{AstNode, Instruction};
use stagecraft_syntax::{parse, LineIndex, TextSize};
use stagecraft_testkit::serde_json::{json, Value};

/// BuildKit's 1-based start and end line of an instruction (as `tests/oracle_nodes.rs` reads them).
fn lines(index: &LineIndex, text: &str, i: &Instruction) -> (u32, u32) {
    let r = i.syntax().text_range();
    let start = index.buildkit_line(r.start());
    let end = if r.end() > r.start() && text.as_bytes()[usize::from(r.end()) - 1] == b'\n' {
        index.buildkit_line(r.end())
    } else {
        index.buildkit_line(r.end() - TextSize::new(u32::from(r.end() > r.start())))
    };
    (start, end)
}

fn node(i: &Instruction, text: &str, index: &LineIndex) -> Value {
    let (start, end) = lines(index, text, i);
    let trigger = i.trigger();
    // An ONBUILD's flags, arguments and form are its trigger's.
    let own = trigger.as_ref().unwrap_or(i);
    let bodies = i.heredoc_bodies().map(Some).chain(std::iter::repeat(None));
    let heredocs: Vec<Value> = i
        .heredocs()
        .iter()
        .zip(bodies)
        .map(|((h, _), b)| json!({"name": h.name, "fd": h.fd, "content": b.map(|b| b.content()).unwrap_or_default()}))
        .collect();
    json!({
        "cmd": i.keyword().unwrap_or_default().to_uppercase(),
        "sub_cmd": trigger.as_ref().and_then(Instruction::keyword).map(|k| k.to_uppercase()),
        "json": own.json().is_some(),
        "original": i.original(),
        "start_line": start,
        "end_line": end,
        "flags": own.flags().map(|f| f.cooked()).collect::<Vec<_>>(),
        "value": own.args(),
        "heredocs": heredocs,
    })
}

fn main() {
    for path in std::env::args().skip(1) {
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("{path}: cannot read it");
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let parse = parse(&text);
        let index = LineIndex::new(&text);
        let nodes: Vec<Value> = parse.tree().instructions().map(|i| node(&i, &text, &index)).collect();
        let errors: Vec<&str> = parse.errors().iter().map(|e| e.message()).collect();
        println!("{}", json!({"file": path, "nodes": nodes, "errors": errors}));
    }
}
