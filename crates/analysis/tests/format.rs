//! The formatter: what it changes, and that a formatted file builds what the original builds.
//! The second is checked on every corpus file and on random texts: BuildKit's reading of each
//! instruction (keyword, flags, words, exec form, heredocs) is the same before and after, the
//! stage model is the same, and formatting again changes nothing.

use stagecraft_analysis::format::FormatOptions;
use stagecraft_analysis::{analyze, Analysis, Options, TextEdit};
use stagecraft_syntax::ast::Instruction;
use stagecraft_syntax::shell::{Lexer, NoEnv};
use stagecraft_testkit::Rng;

fn format_with(text: &str, options: &FormatOptions) -> String {
    let a = analyze(text, &Options::default());
    // (Edits that overlap fail the formatter's own debug assertion, which tests run with.)
    let edits = a.format(options).unwrap_or_else(|e| panic!("not formatted: {}\n{text}", e.message));
    TextEdit::apply_all(text, &edits)
}

fn format(text: &str) -> String {
    format_with(text, &FormatOptions::default())
}

#[test]
fn keywords_blanks_indentation_and_empty_lines() {
    let text = "# syntax=docker/dockerfile:1\n\n\nfrom   alpine as build  \n  run apt-get update && \\   \n\
                apt-get install -y \\\n\t\tcurl \\\n\t\tgit\n\n\n\n   # a comment   \nCopy --from=build /a /b\n\
                onbuild   run echo hi\nhealthcheck --interval=5s cmd true\n\n\n";
    let expected = "# syntax=docker/dockerfile:1\n\n\nFROM alpine AS build\nRUN apt-get update && \\\n    \
                    apt-get install -y \\\n            curl \\\n            git\n\n# a comment\nCOPY --from=build /a /b\n\
                    ONBUILD RUN echo hi\nHEALTHCHECK --interval=5s CMD true\n";
    assert_eq!(format(text), expected);
    assert_eq!(format(expected), expected);
}

#[test]
fn blanks_at_the_end_go_where_the_lines_stay() {
    // Exec form, what BuildKit keeps as written and nested quotes keep their lines, but not the
    // blanks that end them: BuildKit trims the joined line.
    let text = "FROM a\nCMD [\"a\"]   \nWORKDIR /app  \nRUN echo $(date)  \nRUN echo \"open  \n";
    assert_eq!(format(text), "FROM a\nCMD [\"a\"]\nWORKDIR /app\nRUN echo $(date)\nRUN echo \"open\n");
}

#[test]
fn what_could_change_the_build_is_left_alone() {
    // A continuation line glued to the word before it (`foo\` + `bar` is `foobar`).
    let glued = "FROM a\nRUN echo foo\\\nbar\n";
    assert_eq!(format(glued), glued);
    // Lines that start inside quotes, and blanks at the end of a line inside quotes.
    let quoted = "FROM a\nRUN echo \"a   \\\n   b  \\\n c\" \\\n  && true\n";
    assert_eq!(format(quoted), "FROM a\nRUN echo \"a   \\\n   b  \\\n c\" \\\n    && true\n");
    // A `${...}` that a line continuation leaves open: the next line's blanks are inside it.
    let pattern = "FROM a\nRUN A=\"x   y\"; echo ${A/x \\\n  y/matched}\nRUN echo ${A#a \\\n b}\n";
    assert_eq!(format(pattern), pattern);
    // One never closed: where it would end is anyone's guess.
    let open = "FROM a\nRUN a \\\n  b ${X\n";
    assert_eq!(format(open), open);
    // An unknown instruction (BuildKit fails on it) is left as written, with its indentation:
    // here lines meant to continue the `RUN`, whose `\` is no continuation under `# escape=\``
    // (a QA run on a real file; the formatter took the layout apart). The rest is formatted.
    let escape = "# escape=`\nFROM  alpine\nRUN apk add \\\n      curl \\\n  && echo done \n";
    assert_eq!(format(escape), "# escape=`\nFROM alpine\nRUN apk add \\\n      curl \\\n  && echo done \n");
    assert_eq!(format("  nope x\nFROM a\n"), "  nope x\nFROM a\n", "not even the first line's blanks");
    // Heredoc bodies and their instruction's lines; exec form across lines.
    let heredoc = "FROM a\nRUN <<EOF \\\n  cat  \n  body  \n\n\nEOF\nCMD [\"a\", \\\n  \"b\"]\n";
    assert_eq!(format(heredoc), heredoc);
    // Everything before the first instruction (an empty line there ends the directives).
    let prologue = "\n\n  # syntax=x   \n\n\nFROM a\n";
    assert_eq!(format(prologue), prologue);
    // But for the first instruction's own indentation, which goes as every other's does.
    assert_eq!(format("   FROM alpine\n   RUN x\n"), "FROM alpine\nRUN x\n");
    assert_eq!(format("# c\n\t FROM alpine\n"), "# c\nFROM alpine\n");
    // Not blanks before a byte-order mark: BuildKit drops one only where the file starts.
    let bom = "  \u{feff}FROM alpine\nRUN x\n";
    assert_eq!(format(bom), bom);
    // The indentation of the comments before a FROM or an ARG: BuildKit reads an indented
    // comment line with its `#` into their description (`# build ...` describes no `build`).
    let described =
        "FROM alpine AS a\n   # build the build stage\n\n  # more\nFROM alpine AS build\n  # V the v\nARG V\n";
    assert_eq!(format(described), described);
    let before = analyze(described, &Options::default());
    assert_eq!(before.stages()[1].description, None);
    // Before another instruction it goes.
    assert_eq!(format("FROM alpine\n   # c\nRUN x\n"), "FROM alpine\n# c\nRUN x\n");
    // But not a `# check=` comment's, read the same way: indented, BuildKit ignores it; moved
    // to the line's start, it would skip the rule and the build would pass.
    let checked = "# check=error=true\nFROM alpine\n  # check=skip=JSONArgsRecommended\nCMD echo hi\n";
    assert_eq!(format(checked), checked);
    // (The failure of a build with findings under `check=error=true` is a build failure.)
    #[cfg(feature = "build-failures")]
    assert!(analyze(checked, &Options::default()).build_error().is_some());
    let unindented = checked.replace("  # check", "# check");
    assert!(analyze(&unindented, &Options::default()).build_error().is_none());
    // Under cmd or PowerShell (a Windows image's shell), `\"` escapes nothing: the second
    // line is inside the quotes that `"C:\dest   \` opens, and its blanks are text.
    let windows = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"powershell\", \"-Command\"]\nRUN Copy-Item \"C:\\src\\\" \"C:\\dest   \\\n        folder\\\" -Recurse\n";
    assert_eq!(format(windows), windows);
    // The backtick escape character, and CRLF line endings kept.
    let backtick = "# escape=`\r\nfrom a\r\nrun dir `\r\n  c:\\x\r\n\r\n\r\n\r\n";
    assert_eq!(format(backtick), "# escape=`\r\nFROM a\r\nRUN dir `\r\n    c:\\x\r\n");
    // With the backtick escape character, a backtick that continues no line is the shell's
    // (command substitution, where quotes nest): the lines stay, blanks in quotes and all.
    let nested = "# escape=`\nFROM alpine\nRUN echo \"x `echo \"a   `\n      b\"` y\"\n";
    assert_eq!(format(nested), nested);
}

#[test]
fn indentation_follows_the_options_and_a_missing_line_ending_is_added() {
    let text = "FROM a\nRUN a \\\n  b \\\n    c";
    assert_eq!(format(text), "FROM a\nRUN a \\\n    b \\\n      c\n");
    let tabs = FormatOptions { indent_width: 2, use_tabs: true };
    assert_eq!(format_with(text, &tabs), "FROM a\nRUN a \\\n\tb \\\n\t\tc\n");
}

#[test]
fn a_file_with_a_syntax_error_is_not_formatted() {
    let a = analyze("FROM a\nRUN <<EOF\nno end\n", &Options::default());
    let e = a.format(&FormatOptions::default()).unwrap_err();
    assert!(e.message.starts_with("not formatted: unterminated heredoc"), "{}", e.message);
    assert!(e.message.ends_with("; mend the syntax error first"), "{}", e.message);
    assert_eq!(a.line_of(e.range.start()), 2);
}

/// BuildKit's reading of an instruction, with the blanks that do not matter left out: the
/// words of its arguments as BuildKit's lexer splits them (quotes and what they hold kept).
fn reading(i: &Instruction, escape: char) -> String {
    let trigger = i.trigger();
    let own = trigger.as_ref().unwrap_or(i);
    let mut lexer = Lexer::new(escape);
    lexer.raw_quotes = true;
    lexer.raw_escapes = true;
    lexer.skip_unset_env = true;
    let words = |s: &str| lexer.process_words(s, &NoEnv).unwrap_or_else(|_| vec![format!("(unsplit) {s}")]);
    // What BuildKit keeps as written (exec form, `parseString`, ENV and LABEL values) is
    // compared as it is; other arguments as the words BuildKit's lexer splits them into.
    let keyword = own.keyword().unwrap_or_default().to_ascii_uppercase();
    let as_written = own.json().is_some()
        || matches!(keyword.as_str(), "MAINTAINER" | "USER" | "WORKDIR" | "STOPSIGNAL" | "ENV" | "LABEL");
    let mut args: Vec<Vec<String>> = if as_written {
        own.args().into_iter().map(|a| vec![a]).collect()
    } else {
        own.args().iter().map(|a| words(a)).collect()
    };
    // `FROM image AS name` and `HEALTHCHECK CMD ...`: BuildKit reads `AS` and `CMD` in any case.
    let word = match keyword.as_str() {
        "FROM" if args.len() == 3 => 1,
        "HEALTHCHECK" => 0,
        _ => usize::MAX,
    };
    if let Some([w]) = args.get_mut(word).map(|a| a.as_mut_slice()) {
        if matches!(w.to_ascii_uppercase().as_str(), "AS" | "CMD" | "NONE") {
            *w = w.to_ascii_uppercase();
        }
    }
    let heredocs: Vec<(String, String)> =
        i.heredocs().iter().zip(i.heredoc_bodies()).map(|((h, _), b)| (h.name.clone(), b.content())).collect();
    format!(
        "{} {:?} json={} flags={:?} args={:?} heredocs={:?}",
        i.keyword().unwrap_or_default().to_uppercase(),
        trigger.as_ref().and_then(Instruction::keyword).map(|k| k.to_uppercase()),
        own.json().is_some(),
        own.flags().map(|f| f.cooked()).collect::<Vec<_>>(),
        args,
        heredocs
    )
}

/// The shell command of a shell-form RUN, CMD or ENTRYPOINT (or such an ONBUILD trigger).
fn shell_command(i: &Instruction) -> Option<String> {
    let own = i.trigger().unwrap_or_else(|| i.clone());
    let keyword = own.keyword()?.to_ascii_uppercase();
    let shell = matches!(keyword.as_str(), "RUN" | "CMD" | "ENTRYPOINT") && own.json().is_none();
    (shell && own.heredocs().is_empty()).then(|| own.args().concat())
}

/// Which of these pairs of shell commands a shell reads differently. bash prints each back as
/// the body of a function it defined (`declare -f`: blanks between words normalised, quoted
/// text, `$(...)` and the rest as the shell parsed them); nothing is run. A pair where one
/// command parses and the other does not differs; where neither parses, the lexer's words
/// (compared already) must do.
fn shell_readings_differ(pairs: &[(String, String)]) -> Vec<usize> {
    if pairs.is_empty() {
        return Vec::new();
    }
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    // Each definition in a subshell of its own: a failed `eval` can leave bash's own parser
    // of the script astray.
    let printed = |command: &str| {
        let definition = quote(&format!("f() {{\n{command}\n}}"));
        format!("$(eval {definition} 2>/dev/null && declare -f f | tail -n +2 || echo BAD)")
    };
    let mut script = String::new();
    for (k, (before, after)) in pairs.iter().enumerate() {
        script.push_str(&format!(
            "a={}\nb={}\nif [ \"$a\" = BAD ] && [ \"$b\" = BAD ]; then :; elif [ \"$a\" != \"$b\" ]; then echo {k}; fi\n",
            printed(before),
            printed(after)
        ));
    }
    let mut child = std::process::Command::new("bash")
        .arg("-s")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("bash runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), script.as_bytes()).expect("script written");
    let out = child.wait_with_output().expect("bash ends");
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
}

fn model(a: &Analysis) -> String {
    // (With descriptions: `--call=targets` and `--call=outline` list them.)
    let stages: Vec<_> = a.stages().iter().map(|s| (&s.name, &s.base, &s.description)).collect();
    let args: Vec<_> = a.global_args().iter().map(|g| (&g.key, &g.description)).collect();
    let refs: Vec<_> = a.references().iter().map(|r| (&r.value, format!("{:?}", r.target))).collect();
    let mut codes: Vec<&str> = a
        .diagnostics()
        .iter()
        .map(|d| d.code.as_str())
        // (Formatting mends these: casing, and a lone CR among the blanks that end a line.)
        .filter(|c| !matches!(*c, "ConsistentInstructionCasing" | "FromAsCasing" | "lone-carriage-return"))
        .collect();
    codes.sort_unstable();
    format!("{stages:?}\n{args:?}\n{refs:?}\n{codes:?}")
}

/// `None` when the text does not parse (it is not formatted); else what differs, if anything,
/// or whether formatting changed the text. The shell commands the formatting changed go to
/// `shell` (with `name`), for a shell to read.
fn check_same_build(name: &str, text: &str, shell: &mut Vec<(String, String, String)>) -> Option<Result<bool, String>> {
    let a = analyze(text, &Options::default());
    let edits = a.format(&FormatOptions::default()).ok()?;
    let formatted = TextEdit::apply_all(text, &edits);
    let b = analyze(&formatted, &Options::default());
    let escape = a.parse().tree().escape_char();
    let before: Vec<String> = a.parse().tree().instructions().map(|i| reading(&i, escape)).collect();
    let after: Vec<String> = b.parse().tree().instructions().map(|i| reading(&i, escape)).collect();
    for (x, y) in a.parse().tree().instructions().zip(b.parse().tree().instructions()) {
        if let (Some(x), Some(y)) = (shell_command(&x), shell_command(&y)) {
            if x != y {
                shell.push((name.to_string(), x, y));
            }
        }
    }
    let result = if !b.parse().errors().is_empty() {
        Err(format!("{name}: the formatted text does not parse: {:?}", b.parse().errors()))
    } else if before != after {
        let k = before.iter().zip(&after).position(|(x, y)| x != y).unwrap_or(before.len().min(after.len()));
        Err(format!(
            "{name}: instruction {k} reads differently:\n  {:?}\n  {:?}\n--- formatted:\n{formatted}",
            before.get(k),
            after.get(k)
        ))
    } else if model(&a) != model(&b) {
        Err(format!("{name}: the stage model differs:\n{}\n---\n{}\n--- formatted:\n{formatted}", model(&a), model(&b)))
    } else if b.format(&FormatOptions::default()).map(|e| e.len()) != Ok(0) {
        Err(format!("{name}: formatting again changes it:\n{formatted}"))
    } else {
        Ok(!edits.is_empty())
    };
    Some(result)
}

#[test]
fn every_corpus_file_builds_the_same_formatted() {
    let mut files: Vec<_> = stagecraft_testkit::parser_cases().into_iter().map(|c| c.dockerfile).collect();
    files.extend(stagecraft_testkit::real_world_files());
    let (mut formatted, mut changed, mut failures) = (0, 0, Vec::new());
    let mut shell = Vec::new();
    for path in &files {
        let text = stagecraft_testkit::read(path);
        match check_same_build(&path.display().to_string(), &text, &mut shell) {
            None => {}
            Some(Ok(edited)) => {
                formatted += 1;
                changed += usize::from(edited);
            }
            Some(Err(e)) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{} of {} files:\n{}", failures.len(), files.len(), failures.join("\n\n"));
    // Commands whose blanks the formatter changed, each read again by a shell.
    check_shell(&shell);
    assert!(shell.len() > 50, "{} shell commands changed", shell.len());
    // Most files parse, and the formatter has something to do in some of them.
    assert!(formatted > files.len() * 9 / 10 && changed > 50, "{formatted} formatted, {changed} changed");
}

fn check_shell(shell: &[(String, String, String)]) {
    let pairs: Vec<(String, String)> = shell.iter().map(|(_, x, y)| (x.clone(), y.clone())).collect();
    let differ = shell_readings_differ(&pairs);
    let shown: Vec<String> =
        differ.iter().take(5).map(|&k| format!("{}:\n  {:?}\n  {:?}", shell[k].0, shell[k].1, shell[k].2)).collect();
    assert!(differ.is_empty(), "{} shell commands read differently:\n{}", differ.len(), shown.join("\n"));
}

#[test]
fn the_shell_oracle_sees_quoted_blanks() {
    // The oracle itself: blanks between words are the same command, blanks in quotes are not,
    // a command the shell cannot parse differs from one it can.
    let pairs = [
        ("echo a   b".to_string(), "echo a b".to_string()),
        ("x=\"$(echo \"a  b\")\"".to_string(), "x=\"$(echo \"a b\")\"".to_string()),
        ("echo 'a".to_string(), "echo a".to_string()),
        ("echo 'a".to_string(), "echo  'a".to_string()),
    ];
    assert_eq!(shell_readings_differ(&pairs), [1, 2]);
}

/// Lines that put the formatter's rules against each other: indentation of every kind, quotes
/// across continuations, glued continuations, comments and empty lines inside them, both escape
/// characters, CRLF, heredocs, exec form, lower-case keywords, blanks at line ends.
const PIECES: &[&str] = &[
    "from a as b",
    "FROM b",
    "run x \\",
    "RUN x `",
    "  y",
    "y",
    "\ty \\",
    "    && z \\",
    "",
    "  ",
    "# c",
    "  # c \\",
    "# escape=`",
    "RUN echo \"a \\",
    "b\" \\",
    "RUN echo 'a \\",
    "  b' \\",
    "c'",
    "RUN <<EOF",
    "EOF",
    "  EOF",
    "CMD [\"a\", \\",
    "  \"b\"]",
    "env a=1 \\",
    "  b=\"x y\"",
    "copy --from=b /x /y   ",
    "label k=\"v  \\",
    "  w\"",
    "onbuild   run x",
    "ONBUILD \\",
    "  run y",
    "RUN a\\\\",
    "\\",
    "  RUN   x  ",
    "RUN foo\\",
    "bar",
    "healthcheck   cmd true",
    "ARG A=1 \\ ",
    "expose 80 \\\t",
    // What review found: an escaped blank before a continuation, text BuildKit keeps as
    // written, comment lines after other spaces, quotes that nest, `\"` under the backtick
    // escape, a keyword with only blanks after it, a lone CR.
    "RUN echo a\\ \\",
    "ENV a=x\\ \\",
    "RUN echo a\\\t\\",
    "WORKDIR /my \\",
    "LABEL k v  \\",
    "ENV PATH /a:\\",
    "  /b",
    "\u{b}# c \\",
    "\u{a0}# c",
    "RUN x=\"$(echo \"a  \\",
    "  b\")\"",
    "RUN echo \"a\\\"  `",
    "  b\\\"\"",
    "RUN   ",
    "EXPOSE\t\t",
    "RUN a \\\r",
    "RUN echo \"${A:-\"a  \\",
    "  b\"}\"",
    "USER a \\",
    // What a second review found: a single-quoted flag value across lines (BuildKit's flag
    // reading escapes inside single quotes), an escape character before the continuation's,
    // `$'...'`, a `${...}` holding `${B}` before a quote.
    "COPY --chown='a\\' \\",
    "   b' x\\'y z",
    "COPY --chown=a\\`",
    " b c d",
    "RUN echo $'a\\' \\",
    "RUN echo \"${A:-${B}\" \\",
    "   \"c}\"",
    "RUN echo a\\\\",
    " b",
    // And a third: blanks that end an instruction whose lines stay, a CR among them.
    "CMD [\"a\"]  ",
    "WORKDIR /app  ",
    "RUN echo $(a)  ",
    "WORKDIR /a \r ",
    // And a fourth: a `${...}` left open by a line continuation (the blanks inside are the
    // pattern's).
    "RUN A=\"x   y\"; echo ${A/x \\",
    "  y/matched}",
    // And QA's: an escape character, a CR and a blank, which is no continuation until the
    // blanks at the end go.
    "RUN echo a \\\r ",
    "ENV A=b \\\r\t",
    "  # check=skip=JSONArgsRecommended",
    "CMD echo hi",
];

#[test]
fn random_texts_build_the_same_formatted() {
    let mut rng = Rng(0x5eed_f0a7);
    let (mut checked, mut shell) = (0, Vec::new());
    for n in 0..6000 {
        let crlf = rng.below(8) == 0;
        let lines: Vec<&str> = (0..1 + rng.below(14)).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        let mut text = lines.join(if crlf { "\r\n" } else { "\n" });
        if rng.below(2) == 0 {
            text.push('\n');
        }
        if let Some(result) = check_same_build(&format!("random text {n}:\n{text}\n"), &text, &mut shell) {
            checked += 1;
            if let Err(e) = result {
                panic!("{e}\n--- original:\n{text}");
            }
        }
    }
    assert!(checked > 1000, "only {checked} random texts parsed");
    check_shell(&shell);
    assert!(shell.len() > 500, "{} shell commands changed", shell.len());
}
