//! Parsing never fails and never loses text, whatever the input: random text built from
//! Dockerfile-ish pieces must come back byte for byte, and every typed accessor and printer must
//! run on the result without panicking.

use proptest::prelude::*;
use stagecraft_syntax::ast::{AstNode, Instruction};
use stagecraft_syntax::{dump, parse, LineCol, LineIndex, WideEncoding};

const PIECES: &[&str] = &[
    "FROM ",
    "from ",
    "RUN ",
    "COPY ",
    "ADD ",
    "ONBUILD ",
    "ARG ",
    "ENV ",
    "LABEL ",
    "HEALTHCHECK ",
    "CMD ",
    "SHELL ",
    "EXPOSE ",
    "WORKDIR ",
    "USER ",
    "VOLUME ",
    "STOPSIGNAL ",
    "MAINTAINER ",
    "ENTRYPOINT ",
    "NOTACMD ",
    " AS ",
    " as ",
    "alpine",
    "build",
    "--from=",
    "--from=0 ",
    "--mount=type=cache,target=/x,from=build ",
    "--platform=$BUILDPLATFORM ",
    "--",
    "-- ",
    "--mount=\"type=bind,source=a,b\" ",
    "# escape=`\n",
    "# escape=\\\n",
    "# syntax=docker/dockerfile:1\n",
    "# check=skip=all\n",
    "#!/bin/sh\n",
    "# comment\n",
    "#\n",
    "\\\n",
    "`\n",
    "\\",
    "`",
    "\\ \t\n",
    "<<EOF",
    "<<-'EOF'",
    "<<\"E O\"",
    "3<<X",
    "<< EOF",
    "EOF\n",
    "\tEOF\n",
    "X\n",
    "\"",
    "'",
    "[",
    "]",
    "[\"a\", \"b\"]",
    "[1, {\"k\": [2]}]",
    "\"\\u00e9\\ud83d\"",
    "${A:-b}",
    "${A",
    "$A",
    "${A:+${B}}",
    "${A//x/y}",
    "$",
    "}",
    "{",
    "=",
    "a=b ",
    "k v ",
    ",",
    "\r\n",
    "\r",
    "\n",
    "\n\n",
    "\t",
    " ",
    "    ",
    "é",
    "😀",
    "한국어",
    "\u{a0}",
    "\u{feff}",
    "\u{0}",
    "\u{85}",
    "x",
    "0",
];

fn dockerfile_ish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => proptest::sample::select(PIECES).prop_map(String::from),
        1 => "[ -~]{0,12}",
        1 => any::<char>().prop_map(String::from),
        1 => Just("y".repeat(500)),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

/// Calls every accessor on every instruction, recursively.
fn exercise(i: &Instruction) {
    let _ = (i.keyword(), i.keyword_range(), i.original(), i.prev_comments(), i.has_empty_continuation());
    for f in i.flags() {
        let _ = (f.cooked(), f.name(), f.value(), f.name_range(), f.value_range());
        for m in f.mount_options() {
            let _ = (m.key(), m.value(), m.key_range(), m.value_range());
        }
        for v in f.variables() {
            let _ = (v.name(), v.name_range(), v.operator(), v.is_braced());
        }
    }
    for w in i.words() {
        let _ = w.text();
        for v in w.variables() {
            let _ = (v.name(), v.operator());
        }
    }
    for kv in i.key_values() {
        let _ = (kv.key(), kv.value(), kv.has_eq(), kv.text(), kv.key_range(), kv.value_range());
    }
    if let Some(j) = i.json() {
        let _ = (j.strings(), j.elements());
    }
    let _ = (i.shell_command().map(|c| c.text()), i.from_image(), i.as_keyword(), i.stage_name().map(|s| s.text()));
    let _ = i.heredocs();
    for b in i.heredoc_bodies() {
        let _ = (b.content(), b.terminator());
    }
    let _ = dump::instruction_dump(i);
    if let Some(t) = i.trigger() {
        exercise(&t);
    }
}

fn check(text: &str) {
    let parse = parse(text);
    let root = parse.syntax_node();
    assert_eq!(root.to_string(), text);
    let file = parse.tree();
    let _ = (file.escape_char(), dump::buildkit(&file), dump::tree(&root));
    for d in file.directives() {
        let _ = (d.name(), d.value(), d.name_range(), d.value_range());
    }
    for i in file.instructions() {
        exercise(&i);
        assert!(i.syntax().text_range().len() > 0.into() || text.is_empty());
    }
    // The flagged walk yields the same instructions, and an unflagged one has no comments.
    let flagged: Vec<_> = file.instructions_with_comment_flags().collect();
    assert_eq!(flagged.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(), file.instructions().collect::<Vec<_>>());
    for (i, commented) in &flagged {
        assert!(*commented || i.prev_comment_bodies().is_empty(), "{:?} has comments above it", i.syntax());
    }
    let len = root.text_range().end();
    for e in parse.errors() {
        assert!(e.range().end() <= len, "error range past the end: {e:?}");
        assert!(!e.message().is_empty());
    }
    // Positions anywhere, including past the end, map without panicking.
    let index = LineIndex::new(text);
    for enc in [WideEncoding::Utf8, WideEncoding::Utf16, WideEncoding::Utf32] {
        for line in 0..index.line_count() + 2 {
            for col in [0, 1, 3, 1000] {
                let offset = index.offset(LineCol { line, col }, enc, text);
                assert!(offset <= len);
                let back = index.to_wide(offset, enc);
                assert!(back.line <= index.line_count());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn any_dockerfile_ish_text_round_trips(text in dockerfile_ish()) {
        check(&text);
    }

    #[test]
    fn any_text_at_all_round_trips(text in any::<String>()) {
        check(&text);
    }
}

#[test]
fn instructions_say_whether_a_comment_stands_above_them() {
    let text = "# syntax=docker/dockerfile:1\n# about base\nFROM alpine AS base\nRUN a\n\n  # indented\n\nRUN b\n#\nRUN c\nRUN d # not a comment line\nRUN e\n";
    let parse = parse(text);
    let flags: Vec<(String, bool)> = parse
        .tree()
        .instructions_with_comment_flags()
        .map(|(i, commented)| (i.syntax().to_string(), commented))
        .collect();
    let expected = [
        ("FROM alpine AS base", true),
        ("RUN a", false),
        ("RUN b", true),
        ("RUN c", true),
        ("RUN d # not a comment line", false),
        ("RUN e", false),
    ];
    assert_eq!(flags, expected.map(|(t, c)| (t.to_string(), c)));
    // `#` alone is a comment line with no text: flagged, and still no comments.
    let c = parse.tree().instructions().nth(3).expect("RUN c");
    assert!(c.prev_comments().is_empty());
}

#[test]
fn very_long_lines_round_trip_and_report_buildkits_limit() {
    check(&format!("FROM alpine\nRUN echo {}\n", "x".repeat(70_000)));
    // BuildKit's message first (its scanner stops at the line), then which line. Before any
    // instruction (a first line), BuildKit has read none: the file has no instructions; one the
    // line continues counts (BuildKit adds it); in a heredoc's body the heredoc is not closed.
    let long = "x".repeat(70_000);
    for (text, message) in [
        (
            format!("FROM alpine\nRUN echo {long}\n"),
            "dockerfile line greater than max allowed size of 65535: line 2 is 70009 bytes long",
        ),
        (format!("FROM alpine:{long}\nRUN true\n"), "file with no instructions: line 1 "),
        (format!("# c\nFROM alpine \\\n{long}\n"), "dockerfile line greater than max allowed size of 65535: line 3 "),
        (format!("FROM alpine\nRUN <<EOF\n{long}\nEOF\n"), "unterminated heredoc: line 3 "),
    ] {
        let p = parse(&text);
        let err = p
            .errors()
            .iter()
            .find(|e| e.kind() == stagecraft_syntax::SyntaxErrorKind::LineTooLong)
            .expect("the limit is reported");
        assert!(err.message().starts_with(message), "{}", err.message());
    }
    // Exactly at the limit is fine.
    let at_limit = format!("FROM alpine\nRUN {}\n", "x".repeat(65_535 - 4));
    assert!(parse(&at_limit).errors().is_empty());
}

#[test]
fn awkward_inputs_round_trip() {
    for text in [
        "",
        "\n",
        "\r\n\r\n",
        "\u{feff}",
        "\u{feff}FROM a\r\n",
        "\\",
        "\\\n",
        "FROM a \\",
        "FROM a \\\n",
        "FROM a \\\n\n",
        "FROM a \\\n  \t",
        "RUN <<EOF",
        "RUN <<EOF\nno terminator",
        "RUN <<A <<B\nA\n",
        "ONBUILD RUN <<EOF   \nx\nEOF\n",
        "COPY <<\"EOF\nx\n",
        "RUN [\"a\",\n",
        "RUN [1]\n",
        "# escape=x\nFROM a\n",
        "# escape=`\n# escape=\\\nFROM a\n",
        "FROM a A\\\nS b\n",
        "ENV a\n",
        "ENV a=b c\n",
        "LABEL \"a b\"=c d=\\\n",
        "RUN --mount=type=cache,,\"target=/a,b\",from=x --mount= x\n",
        "HEALTHCHECK\u{a0}CMD x\n",
        "COPY --chown=\u{e0}:\u{e0} a b\n",
        "\u{0}\u{1}\u{7f}",
    ] {
        check(text);
    }
}

#[test]
fn bytewise_space_inside_a_character_keeps_the_character_whole() {
    // U+5A82A is F1 9A A0 AA: BuildKit's byte loops read its 0xA0 byte as a space.
    check("WORKDIR --from=\u{5a82a}COPY x\n");
    check("HEALTHCHECK CMD\u{5a82a}x\n");
    check("HEALTHCHECK \u{e0}\u{e0} x\n");
}
