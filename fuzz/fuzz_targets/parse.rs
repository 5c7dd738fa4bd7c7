//! Any UTF-8 input parses without panicking, keeps every byte, and prints.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stagecraft_syntax::ast::AstNode;
use stagecraft_syntax::{dump, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parse = parse(text);
    assert_eq!(parse.syntax_node().to_string(), text);
    let file = parse.tree();
    let _ = dump::buildkit(&file);
    for i in file.instructions() {
        let _ = (i.original(), i.prev_comments(), i.heredocs(), i.has_empty_continuation());
        for f in i.flags() {
            let _ = (f.name(), f.value(), f.mount_options().count());
        }
        let _ = i.syntax().text_range();
    }
});
