//! `stagecraft fmt`: format Dockerfiles; prints a diff unless --write or --check.

use std::ffi::OsString;

use stagecraft_analysis::format::{format, FormatOptions};
use stagecraft_analysis::{LineIndex, TextEdit};

use crate::args::{self, Format, Spec};
use crate::{input, output, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft fmt FILE... [--write | --check] [--indent N] [--tabs]

Formats Dockerfiles, changing only what BuildKit reads the same either way: instruction
keywords and AS in upper case; one blank after a keyword; blanks before a line
continuation's escape character cut to one, none after it; continuation lines one level
deeper than their instruction (deeper lines keep their depth relative to the least indented);
no blanks at line ends; at most one empty line between instructions; a line ending at the end.

What it keeps is what runs and what is copied: the text of a shell-form RUN, CMD, ENTRYPOINT
or HEALTHCHECK and of an ONBUILD trigger is also stored as written (in the image's history and
config, and a RUN's in its cache key), so those strings change with the blanks.

Left as they are (but for blanks at line ends): everything before the first instruction (but
its own indentation), heredocs, exec form, quoted text, what BuildKit keeps as written (WORKDIR, USER, MAINTAINER,
STOPSIGNAL, `ENV k v`, `LABEL k v`), a continuation line glued to the word before it (`foo\\`
then `bar`), and the continuation lines of an instruction whose quotes never close or may nest
(`$(...)`, backticks, `$'...'`, `${...}`, a flag holding quotes).

Prints a unified diff of each file it would change; --write changes the files instead;
--check prints the names of the files it would change and exits 1 if there are any.
A FILE of `-` reads the standard input and prints it formatted (an editor's filter); it is
named alone, but for --check.
--indent N: columns per indentation level (default 4); --tabs: indent with tabs, each counting
as N columns (deeper continuation lines keep their extra depth in blanks).
A file with a syntax error is not formatted: the error is said, with its line and column,
and the exit status is 1 (`-` prints the text unchanged). 2: a file could not be read or
written (`-` prints what it read unchanged: text that is not UTF-8, say).";

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
    // (`-` given twice is refused with the other arguments.)
    if a.files.len() > 1 && !a.check && a.files.iter().any(|f| input::is_stdin(f)) {
        return Err(Failure::Usage(
            "`-` prints the standard input formatted (a filter), which would be mixed with the other files' diffs: \
             format `-` on its own, or use --check, which names each file it would change"
                .into(),
        ));
    }
    let options = FormatOptions { indent_width: a.indent.unwrap_or(4), use_tabs: a.tabs };
    // A file that could not be read or written (exit 2) goes before one found wanting (1).
    let (mut unread, mut findings) = (false, false);
    for path in &a.files {
        let shown = input::shown(path);
        // A filter (`:%!stagecraft fmt -` in vim) prints the text, formatted or as it was.
        let filter = input::is_stdin(path) && !a.check;
        let text = match input::read_keeping_bytes(path) {
            Ok(text) => text,
            Err((Failure::Io(msg), bytes)) => {
                crate::output::errln!("stagecraft: {msg}");
                // A filter gives back what it read: an editor would otherwise replace the
                // buffer with nothing.
                if filter {
                    output::stdout_bytes(&bytes);
                }
                unread = true;
                continue;
            }
            Err((e, _)) => return Err(e),
        };
        // The tree is all formatting reads: no analysis.
        let parse = stagecraft_syntax::parse(&text);
        let edits = match format(&text, &parse, &options) {
            Ok(edits) => edits,
            Err(e) => {
                let (line, col) = output::position_in(&LineIndex::new(&text), &text, e.range.start());
                crate::output::errln!("{shown}:{line}:{col}: error: {}", e.message);
                if filter {
                    output::out!("{text}");
                }
                findings = true;
                continue;
            }
        };
        if filter {
            output::out!("{}", TextEdit::apply_all(&text, &edits));
        } else if edits.is_empty() {
            // Formatted already.
        } else if a.check {
            output::outln!("{shown}");
            findings = true;
        } else if a.write {
            match input::write_whole(path, &TextEdit::apply_all(&text, &edits)) {
                Ok(()) => crate::output::errln!("{shown}: formatted"),
                Err(e) => {
                    crate::output::errln!("stagecraft: {shown}: cannot write: {e}");
                    unread = true;
                }
            }
        } else {
            output::out!("{}", crate::diff::unified(&shown, &text, &edits));
        }
    }
    Ok(if unread {
        Outcome::Unread
    } else if findings {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}
