//! `stagecraft rename`: rename a stage everywhere it is named; prints a diff unless --write.

use std::ffi::OsString;

use stagecraft_analysis::TextEdit;

use crate::args::{self, Format, Spec};
use crate::{input, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft rename FILE OLD NEW [--write]

Renames stage OLD to NEW at its AS name and at every FROM, --from and from= that names it.
Prints a unified diff; --write changes the file instead. Refuses, saying why, when NEW is not a
valid or free stage name or when a reference through a variable would not follow.";

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
    let an = super::read_and_analyze(path, &a.options)?;
    let text = an.text();
    let stage = an.resolve_target(old).map_err(|e| Failure::Usage(format!("{}: {e}", input::shown(path))))?;
    let edits = an.rename_stage(stage, new).map_err(|e| {
        let line = an.stages()[stage].line;
        Failure::Refused(format!("{}:{line}: cannot rename `{old}` to `{new}`: {e}", input::shown(path)))
    })?;
    let new_text = TextEdit::apply_all(text, &edits);
    if a.write {
        std::fs::write(path, &new_text)
            .map_err(|e| Failure::Io(format!("{}: cannot write: {e}", input::shown(path))))?;
        eprintln!(
            "{}: renamed `{old}` to `{new}` in {} place{}",
            input::shown(path),
            edits.len(),
            if edits.len() == 1 { "" } else { "s" }
        );
    } else {
        crate::output::out!("{}", unified_diff(&input::shown(path), text, &new_text));
    }
    Ok(Outcome::Ok)
}

/// A unified diff of two texts with the same number of lines (a rename never adds lines).
pub(crate) fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let changed: Vec<usize> = (0..a.len().max(b.len())).filter(|&i| a.get(i) != b.get(i)).collect();
    // `a/` and `b/` go before a path relative to the root (`a//tmp/x` reads as a typo, and
    // `git apply` or `patch -p1` take the path after the first slash).
    let name = name.trim_start_matches('/');
    let mut out = format!("--- a/{name}\n+++ b/{name}\n");
    let context = 3;
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(context);
        let mut end = changed[i];
        let mut j = i;
        while j + 1 < changed.len() && changed[j + 1] <= end + 2 * context + 1 {
            j += 1;
            end = changed[j];
        }
        let stop = (end + context + 1).min(a.len().max(b.len()));
        out.push_str(&format!("@@ -{},{} +{},{} @@\n", start + 1, stop - start, start + 1, stop - start));
        for k in start..stop {
            if changed[i..=j].contains(&k) {
                push_line(&mut out, '-', a.get(k).copied().unwrap_or(""));
                push_line(&mut out, '+', b.get(k).copied().unwrap_or(""));
            } else {
                push_line(&mut out, ' ', a.get(k).copied().unwrap_or(""));
            }
        }
        i = j + 1;
    }
    out
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}
