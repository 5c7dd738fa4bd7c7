//! `stagecraft fmt`: format Dockerfiles; prints a diff unless --write or --check.

use std::ffi::OsString;

use stagecraft_analysis::format::FormatOptions;
use stagecraft_analysis::{analyze, Options, TextEdit};

use crate::args::{self, Format, Spec};
use crate::{input, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft fmt FILE... [--write | --check] [--indent N] [--tabs]

Formats Dockerfiles, changing only what BuildKit reads the same either way: instruction
keywords and AS in upper case, one blank after a keyword and before a line continuation,
continuation lines indented one level (deeper lines keep their depth relative to the least indented), no blanks at line ends,
at most one empty line between instructions, a line ending at the end. Heredoc bodies, quoted
text, exec-form lines, what BuildKit keeps as written (WORKDIR, USER, ...) and everything
before the first instruction are left as they are.

Prints a unified diff of each file it would change; --write changes the files instead;
--check prints the names of the files it would change and exits 1 if there are any.
A FILE of `-` reads the standard input and prints it formatted.
--indent N: columns per indentation level (default 4); --tabs: indent with tabs.
A file with a syntax error is not formatted: the error is said, and the exit status is 1
(`-` prints the text unchanged).";

pub(crate) fn run(raw: Vec<OsString>) -> Result<Outcome, Failure> {
    let spec = Spec { write: true, many_files: true, format_options: true, ..Spec::new(&[Format::Text]) };
    let Some(a) = args::parse(raw, &spec, HELP)? else {
        return Ok(Outcome::Ok);
    };
    if a.write && a.check {
        return Err(Failure::Usage("--write and --check: pick one (--check changes nothing)".into()));
    }
    if a.write && a.files.iter().any(|f| input::is_stdin(f)) {
        return Err(Failure::Usage(
            "--write changes files, and `-` (the standard input) is none: without --write, `-` prints the formatted text".into(),
        ));
    }
    let options = FormatOptions { indent_width: a.indent.unwrap_or(4), use_tabs: a.tabs };
    let mut outcome = Outcome::Ok;
    for path in &a.files {
        let shown = input::shown(path);
        let text = match input::read(path) {
            Ok(text) => text,
            Err(Failure::Io(msg)) => {
                eprintln!("stagecraft: {msg}");
                outcome = Outcome::Unread;
                continue;
            }
            Err(e) => return Err(e),
        };
        let an = analyze(&text, &Options::default());
        let edits = match an.format(&options) {
            Ok(edits) => edits,
            Err(e) => {
                let at = an.line_index().line_col(e.range.start());
                eprintln!("stagecraft: {shown}:{}:{}: {}", at.line + 1, at.col + 1, e.message);
                // A filter (`:%!stagecraft fmt -` in vim) gets its text back as it was.
                if input::is_stdin(path) && !a.check {
                    crate::output::out!("{text}");
                }
                if !matches!(outcome, Outcome::Unread) {
                    outcome = Outcome::Findings;
                }
                continue;
            }
        };
        if input::is_stdin(path) && !a.check {
            crate::output::out!("{}", TextEdit::apply_all(&text, &edits));
        } else if edits.is_empty() {
            // Formatted already.
        } else if a.check {
            crate::output::outln!("{shown}");
            if !matches!(outcome, Outcome::Unread) {
                outcome = Outcome::Findings;
            }
        } else if a.write {
            std::fs::write(path, TextEdit::apply_all(&text, &edits))
                .map_err(|e| Failure::Io(format!("{shown}: cannot write: {e}")))?;
            eprintln!("{shown}: formatted");
        } else {
            crate::output::out!("{}", crate::diff::unified(&shown, &text, &edits));
        }
    }
    Ok(outcome)
}
