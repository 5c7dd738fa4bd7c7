//! Printers: BuildKit's `AST.Dump()` format, and a rowan tree dump for people debugging the parser.

use crate::ast::{logical_text, AstNode, Instruction, SourceFile};
use crate::go;
use crate::SyntaxKind::*;
use crate::{SyntaxElement, SyntaxNode};

/// BuildKit's `Node.Dump()` of the whole file, one s-expression per instruction, with a
/// trailing newline (the format of BuildKit's parser test `result` files).
pub fn buildkit(file: &SourceFile) -> String {
    let mut out = String::new();
    for instruction in file.instructions() {
        out.push('(');
        out.push_str(&instruction_dump(&instruction));
        out.push_str(")\n");
    }
    out
}

/// One instruction, without the outer parentheses.
pub fn instruction_dump(instruction: &Instruction) -> String {
    let mut s = go::to_lower(&instruction.keyword().unwrap_or_default());
    let flags: Vec<String> = instruction.flags().map(|f| go::quote_str(&f.cooked())).collect();
    if !flags.is_empty() {
        s.push_str(" [");
        s.push_str(&flags.join(" "));
        s.push(']');
    }
    if instruction.kind() == ONBUILD_INSTR {
        if let Some(trigger) = instruction.trigger() {
            s.push_str(" (");
            s.push_str(&instruction_dump(&trigger));
            s.push(')');
        }
        return s.trim().to_string();
    }
    for arg in arguments(instruction) {
        s.push(' ');
        s.push_str(&go::quote_str(&arg));
    }
    s.trim().to_string()
}

/// The argument values of BuildKit's node chain (`node.Next...`).
fn arguments(instruction: &Instruction) -> Vec<String> {
    let node = instruction.syntax();
    if instruction.kind() == ERROR {
        // Unknown instructions keep one empty argument (parseIgnore).
        return vec![String::new()];
    }
    let mut args: Vec<String> = Vec::new();
    // An AS keyword split by a continuation arrives in pieces; BuildKit sees one word.
    let mut in_as = false;
    for child in node.children_with_tokens() {
        match child {
            SyntaxElement::Token(t) if t.kind() == AS_KW => {
                match args.last_mut() {
                    Some(last) if in_as => last.push_str(t.text()),
                    _ => args.push(t.text().to_string()),
                }
                in_as = true;
            }
            SyntaxElement::Token(_) => {}
            SyntaxElement::Node(n) => {
                in_as = false;
                match n.kind() {
                    WORD | STAGE_NAME | SHELL_COMMAND => args.push(logical_text(&n)),
                    JSON_ARRAY => args.extend(crate::ast::JsonArray::cast(n).map(|j| j.strings()).unwrap_or_default()),
                    KEY_VALUE => key_value(instruction.kind(), &n, &mut args),
                    _ => {}
                }
            }
        }
    }
    args
}

fn key_value(kind: crate::SyntaxKind, n: &SyntaxNode, args: &mut Vec<String>) {
    let Some(kv) = crate::ast::KeyValue::cast(n.clone()) else {
        return;
    };
    if kind == ARG_INSTR {
        args.push(kv.text());
        return;
    }
    args.push(kv.key());
    args.push(kv.value().unwrap_or_default());
    args.push(if kv.has_eq() { "=".into() } else { String::new() });
}

/// An indented dump of the rowan tree: kinds, ranges and token texts.
pub fn tree(node: &SyntaxNode) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for event in node.preorder_with_tokens() {
        match event {
            rowan::WalkEvent::Enter(e) => {
                out.push_str(&"  ".repeat(depth));
                match &e {
                    SyntaxElement::Node(n) => {
                        out.push_str(&format!("{:?}@{:?}\n", n.kind(), n.text_range()));
                        depth += 1;
                    }
                    SyntaxElement::Token(t) => {
                        out.push_str(&format!("{:?}@{:?} {:?}\n", t.kind(), t.text_range(), t.text()));
                    }
                }
            }
            rowan::WalkEvent::Leave(SyntaxElement::Node(_)) => depth -= 1,
            rowan::WalkEvent::Leave(_) => {}
        }
    }
    out
}
