//! Any UTF-8 input parses without panicking, keeps every byte, and prints; a parse in two halves
//! (as `parse` does for large files), cut where the first byte says, equals it (for one input in
//! eight); every place a cursor can be goes to a line and column and back, in every encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stagecraft_syntax::ast::AstNode;
use stagecraft_syntax::{dump, parse, parse_on_two_threads, LineIndex, TextSize, WideEncoding};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parse = parse(text);
    assert_eq!(parse.syntax_node().to_string(), text);
    // A thread per run is slow: one input in eight.
    if data.len() % 8 == 0 {
        let cut = data.first().map_or(0, |&b| text.len() * usize::from(b) / 256);
        assert!(parse_on_two_threads(text, cut) == parse, "cut at {cut}");
    }
    let file = parse.tree();
    let _ = dump::buildkit(&file);
    for i in file.instructions() {
        let _ = (i.original(), i.prev_comments(), i.heredocs(), i.has_empty_continuation());
        for f in i.flags() {
            let _ = (f.name(), f.value(), f.mount_options().count());
        }
        let _ = i.syntax().text_range();
    }
    let index = LineIndex::new(text);
    let b = text.as_bytes();
    // (Not between the `\r` and `\n` of a line break: no cursor stands there.)
    let cursors = text.char_indices().map(|(o, _)| o).chain([text.len()]);
    for o in cursors.filter(|&o| !(o > 0 && b[o - 1] == b'\r' && b.get(o) == Some(&b'\n'))) {
        let at = TextSize::new(o as u32);
        for enc in [WideEncoding::Utf8, WideEncoding::Utf16, WideEncoding::Utf32] {
            let lc = index.to_wide(at, enc);
            assert_eq!(index.offset(lc, enc, text), at, "{enc:?} {lc:?}");
        }
    }
});
