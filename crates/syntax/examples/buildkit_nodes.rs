//! Prints, for each file named on the command line, one JSON line with its instructions as
//! BuildKit's parser reports them (keyword, joined line, line span, flags, arguments, exec form,
//! heredocs) and the parse errors. `tools/differential.py` compares this with BuildKit's own
//! parser. `cargo run --example buildkit_nodes -- FILE...`
use stagecraft_syntax::ast::{AstNode, Instruction};
use stagecraft_syntax::{parse, LineIndex};
use stagecraft_testkit::serde_json::{json, Value};

fn node(i: &Instruction, text: &str, index: &LineIndex) -> Value {
    let (start, end) = index.buildkit_lines(i.syntax().text_range(), text);
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
