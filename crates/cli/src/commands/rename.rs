//! `stagecraft rename`: rename a stage everywhere it is named; prints a diff unless --write.

use std::ffi::OsString;

use stagecraft_analysis::TextEdit;

use crate::args::{self, Format, Spec};
use crate::{input, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft rename FILE OLD NEW [--write] [--build-arg K=V]... [--build-context NAME=...]...
                         [--platform P]

Renames stage OLD to NEW at its AS name and at every FROM, --from and from= that names it (in an
ONBUILD trigger, only where a stage of the file runs the trigger: elsewhere it names a stage of
the Dockerfiles built on the image), and at the start of the comment above its FROM that BuildKit
reads as the stage's description (`# OLD builds the app`: buildx shows the description only while
the comment starts with the name). Prints a unified diff; --write changes the file instead.
Refuses, saying why, when NEW is not a valid or free stage name or when a reference through a
variable would not follow. The build args, named contexts and platform decide what references
written with variables name.

Exit status: 0 when renamed (or the diff printed), 1 when the rename is refused, 2 on usage or
read errors (OLD names no stage).";

pub(crate) fn run(raw: Vec<OsString>) -> Result<Outcome, Failure> {
    let Some(a) = args::parse(raw, &Spec { write: true, words_after_file: 2, ..Spec::new(&[Format::Text]) }, HELP)?
    else {
        return Ok(Outcome::Ok);
    };
    let path = &a.files[0];
    if a.write && input::is_stdin(path) {
        return Err(Failure::Usage(
            "--write changes the file, and `-` (the standard input) is none: pass the file's path, or leave out --write for a diff".into(),
        ));
    }
    let (old, new) = (&a.positional[0], &a.positional[1]);
    // Not read lossily: the file, or the diff, is written back.
    let an = super::analyze_text(path, &crate::input::read(path)?, &a.options)?;
    let text = an.text();
    let stage = an.stage_named(old).map_err(|e| Failure::Usage(format!("{}: {e}", input::shown(path))))?;
    let edits = an.rename_stage(stage, new).map_err(|e| {
        let s = &an.stages()[stage];
        let at = super::line_column(&an, s.name_range.unwrap_or(s.range).start());
        Failure::Refused(format!("{}{at}: cannot rename `{old}` to `{new}`: {e}", input::shown(path)))
    })?;
    if a.write {
        input::write_whole(path, &TextEdit::apply_all(text, &edits))
            .map_err(|e| Failure::Io(format!("{}: cannot write: {e}", input::shown(path))))?;
        // (A name split by line continuations takes an edit per line; it is one place.)
        let places = edits.iter().filter(|e| !e.new_text.is_empty()).count();
        crate::output::errln!(
            "{}: renamed `{old}` to `{new}` in {places} place{}",
            input::shown(path),
            if places == 1 { "" } else { "s" }
        );
    } else {
        crate::output::out!("{}", crate::diff::unified(&input::shown(path), text, &edits));
    }
    Ok(Outcome::Ok)
}
