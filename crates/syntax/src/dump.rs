//! Printers: BuildKit's `AST.Dump()` format, and a rowan tree dump for people debugging the parser.

use crate::ast::{Instruction, SourceFile};
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
    for arg in instruction.args() {
        s.push(' ');
        s.push_str(&go::quote_str(&arg));
    }
    s.trim().to_string()
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
