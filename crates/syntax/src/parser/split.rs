//! The parse of a large file in two halves at once: the lines from a cut near the middle are
//! parsed on another thread, and the halves are joined where both parses start a logical line.

use rowan::{GreenNode, GreenToken, NodeOrToken};

use super::Parser;
use crate::SyntaxError;
use crate::SyntaxKind::SOURCE_FILE;

/// A parse from a logical-line start to the end of the text, made apart from the parse of the
/// text before it (see [`parse_split`]).
pub(crate) struct Tail {
    children: Vec<NodeOrToken<GreenNode, GreenToken>>,
    errors: Vec<SyntaxError>,
    /// Where each logical line it parsed starts, with how many children, instructions and
    /// errors came before it; the text's end is the last.
    boundaries: Vec<Boundary>,
}

#[derive(Clone, Copy)]
struct Boundary {
    offset: usize,
    children: usize,
    instructions: usize,
    errors: usize,
}

/// Parses `text[start..]` as lines after the parser directives (whose escape character is
/// `escape`) and after an instruction. `start` must be a line start; whether a logical line
/// starts there too is for [`parse_split`] to find out.
pub(crate) fn parse_tail(text: &str, start: usize, escape: u8) -> Tail {
    let mut p = Parser::new(text);
    p.pos = start;
    p.line_no = count_newlines(&text.as_bytes()[..start]);
    p.escape = escape;
    p.directives_done = true;
    let mut boundaries = Vec::with_capacity(1024);
    loop {
        boundaries.push(Boundary {
            offset: p.pos,
            children: p.builder.children.len(),
            instructions: p.instructions,
            errors: p.errors.len(),
        });
        if !p.line(false) {
            break;
        }
    }
    Tail { children: p.builder.children, errors: p.errors, boundaries }
}

/// Parses `text` with the lines from `at` on (a line start past the directives) parsed by
/// `tail`, which is called once and may run on another thread while this one parses the lines
/// before. The two meet at the first logical-line start at or after `at` that the tail's parse
/// also started a line at; if there is none (the tail began inside a heredoc, say, and never
/// fell back into step), this thread parses on to the end. Either way the result equals
/// [`super::parse`]'s.
pub(crate) fn parse_split<J: FnOnce() -> Tail>(
    text: &str,
    at: usize,
    tail: impl FnOnce(u8) -> J,
) -> (GreenNode, Vec<SyntaxError>) {
    let mut p = Parser::new(text);
    p.builder.start_node(SOURCE_FILE);
    // The directives first: the tail needs their escape character.
    let mut first = true;
    while !p.directives_done && p.line(first) {
        first = false;
    }
    if p.pos >= at || p.pos >= text.len() {
        p.file();
        return p.finish();
    }
    let join = tail(p.escape);
    while p.pos < at && p.line(false) {}
    let tail = join();
    // A line too long for BuildKit is reported once, for the first; a tail that read one cannot
    // know whether it was the first, so it is not used.
    if !tail.errors.iter().any(|e| e.is_whole_file()) {
        let error_at = |errors: &[SyntaxError], o: usize| errors.iter().any(|e| usize::from(e.range.start()) == o);
        let mut b = 0;
        loop {
            while b < tail.boundaries.len() && tail.boundaries[b].offset < p.pos {
                b += 1;
            }
            // Past the tail's last line start: the halves never meet.
            let Some(&k) = tail.boundaries.get(b) else { break };
            if k.offset == p.pos && !error_at(&p.errors, p.pos) && !error_at(&tail.errors, p.pos) {
                let last = tail.boundaries[tail.boundaries.len() - 1];
                let (mut children, mut errors) = (tail.children, tail.errors);
                p.builder.children.extend(children.drain(k.children..));
                p.errors.extend(errors.drain(k.errors..));
                p.instructions += last.instructions - k.instructions;
                return p.finish();
            }
            if !p.line(false) {
                break;
            }
        }
    }
    p.file();
    p.finish()
}

fn count_newlines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::{parse_split, parse_tail};

    /// Where no thread can be started, the tail is parsed on this thread after the head: the
    /// same join, in another order.
    #[test]
    fn a_tail_parsed_after_the_head_joins_the_same() {
        let text = "# escape=`\nFROM a AS b\nRUN x `\n  y\nRUN <<EOF\nFROM c\nEOF\n# c\nCOPY --from=b /x /y\nRUN z\n";
        let whole = super::super::parse(text);
        for at in text.match_indices('\n').map(|(i, _)| i + 1) {
            let split = parse_split(text, at, |escape| move || parse_tail(text, at, escape));
            assert!(split == whole, "cut at {at}");
        }
    }
}
