//! Turning analysis data into JSON with 1-based lines and columns.

use serde_json::{json, Value};
use stagecraft_analysis::{Analysis, Diagnostic, LineIndex, TextRange, TextSize};

/// 1-based line and column (in characters) of an offset. A byte-order mark is no column:
/// editors drop it when they read the file, so `1:16` must be the 16th character they show.
pub(crate) fn position(a: &Analysis, offset: TextSize) -> (u32, u32) {
    position_in(a.line_index(), a.text(), offset)
}

/// [`position`] in a text that was not analysed.
pub(crate) fn position_in(index: &LineIndex, text: &str, offset: TextSize) -> (u32, u32) {
    let lc = index.to_wide(offset, stagecraft_syntax::WideEncoding::Utf32);
    let bom = lc.col > 0 && !unseen_start(text, lc.line).is_empty();
    (lc.line + 1, lc.col + 1 - u32::from(bom))
}

/// What editors do not show at the start of 0-based `line` of `text`: a byte-order mark on the
/// first line, else nothing.
pub(crate) fn unseen_start(text: &str, line: u32) -> &str {
    match line {
        0 if text.starts_with('\u{FEFF}') => "\u{FEFF}",
        _ => "",
    }
}

/// `{"start": {"line", "column"}, "end": {...}}`.
pub(crate) fn range(a: &Analysis, r: TextRange) -> Value {
    let (sl, sc) = position(a, r.start());
    let (el, ec) = position(a, r.end());
    json!({"start": {"line": sl, "column": sc}, "end": {"line": el, "column": ec}})
}

/// A diagnostic: BuildKit's `line`/`end_line` (the instruction) plus the precise range.
pub(crate) fn diagnostic(a: &Analysis, d: &Diagnostic) -> Value {
    let (line, column) = position(a, d.range.start());
    let (end_line, end_column) = position(a, d.range.end());
    let fix = d.fix.as_ref().map(|f| {
        json!({
            "title": f.title,
            "edits": f.edits.iter().map(|e| json!({"range": range(a, e.range), "new_text": e.new_text})).collect::<Vec<_>>(),
            "applicability": f.applicability.as_str(),
        })
    });
    json!({
        "code": d.code,
        "severity": d.severity.as_str(),
        "message": d.message,
        "line": d.lines.0,
        "end_line": d.lines.1,
        "column": if line == d.lines.0 { column } else { 1 },
        "end_column": if end_line == d.lines.1 { end_column } else { 1 },
        "range": json!({"start": {"line": line, "column": column}, "end": {"line": end_line, "column": end_column}}),
        "url": d.url,
        "buildkit": d.buildkit_reports,
        "unnecessary": d.unnecessary,
        "fix": fix,
        "note": a.note(d),
        // The ONBUILD trigger a finding comes from (the finding is where BuildKit reports it).
        "trigger": d.trigger.map(|t| range(a, t)),
    })
}

/// Writes `value` pretty-printed with a trailing newline, as it is serialised (the text of a
/// large report is never held whole: `targets --format json` of a 5,000-stage chain is 406 MB).
pub(crate) fn print_json(value: &impl serde::Serialize) {
    use std::io::Write;
    /// Standard output through [`stdout_bytes`].
    struct Out;
    impl Write for Out {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            stdout_bytes(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 16, Out);
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// A JSON object: `object`'s members and more, each of `members` written as it is made, in the
/// place `json!`'s sorted map would give it (`members` are in the order of their keys).
pub(crate) struct WithMembers<'k, T> {
    pub object: serde_json::Value,
    pub members: Vec<(&'k str, T)>,
}

impl<T: serde::Serialize> serde::Serialize for WithMembers<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        debug_assert!(self.members.windows(2).all(|w| w[0].0 < w[1].0));
        let mut map = s.serialize_map(None)?;
        let mut lazy = self.members.iter().peekable();
        for (k, v) in self.object.as_object().into_iter().flatten() {
            while let Some((key, value)) = lazy.next_if(|(key, _)| *key < k.as_str()) {
                map.serialize_entry(key, value)?;
            }
            map.serialize_entry(k, v)?;
        }
        for (key, value) in lazy {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A JSON array of `len` items, each made by `item` as it is written: a list of thousands of
/// large items (each target's stages) is never held whole.
pub(crate) struct LazyArray<F>(pub usize, pub F);

impl<F: Fn(usize) -> serde_json::Value> serde::Serialize for LazyArray<F> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0))?;
        for i in 0..self.0 {
            seq.serialize_element(&(self.1)(i))?;
        }
        seq.end()
    }
}

/// Set once standard output's reader has gone away.
static READER_GONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes to standard output. A reader that has gone away (`stagecraft check F | head -1`)
/// stops the output but not the run, so that the exit status still says whether the file has
/// errors; any other write error ends the run with a message. `print!` would panic in both
/// cases.
pub(crate) fn stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    write_stdout(|out| out.write_fmt(args));
}

/// Writes bytes as they are to standard output, as [`stdout`] writes text.
pub(crate) fn stdout_bytes(bytes: &[u8]) {
    use std::io::Write;
    write_stdout(|out| out.write_all(bytes));
}

fn write_stdout(write: impl FnOnce(&mut std::io::StdoutLock<'static>) -> std::io::Result<()>) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    if READER_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = write(&mut out).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            READER_GONE.store(true, Ordering::Relaxed);
            return;
        }
        errln!("stagecraft: cannot write the output: {e}");
        std::process::exit(2);
    }
}

pub(crate) use stagecraft_analysis::queries::shortened;

/// Writes a message to stderr. A closed stderr (`2>&1 | head -c1`) loses it, as a closed
/// stdout loses output: `eprint!` would panic. Control characters are shown ([`visible`]), and
/// long words cut ([`shortened`]).
pub(crate) fn stderr(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(visible(&shortened(&args.to_string())).as_bytes());
}

/// `text` as a person reads it in a terminal or a CI log: the control characters a Dockerfile
/// may hold (an escape sequence would move the cursor, clear the screen, retitle the window or
/// colour the log), and the bidirectional overrides that would reorder what is shown, each as
/// one visible character of one cell, so that a snippet's carets still line up: a C0 control as
/// its Unicode picture (`␛` for ESC, `␍` for a carriage return, `␡` for DEL), the others as
/// U+FFFD. `\n` and tabs stay.
/// For the reports meant to be read; JSON escapes them anyway, and diffs and graphs are data.
pub(crate) fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    fn shown(c: char) -> Option<char> {
        match c {
            '\n' | '\t' => None,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
            '\u{7f}' => Some('\u{2421}'),
            '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => Some('\u{fffd}'),
            _ => None,
        }
    }
    if !text.chars().any(|c| shown(c).is_some()) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().map(|c| shown(c).unwrap_or(c)).collect())
}

/// `eprintln!` through [`stderr`].
macro_rules! errln {
    ($($arg:tt)*) => { $crate::output::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` through [`stdout`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::stdout(format_args!($($arg)*)) };
}

/// `println!` through [`stdout`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::output::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// [`out!`] for a report meant to be read, its control characters shown ([`visible`]).
macro_rules! text {
    ($($arg:tt)*) => { $crate::output::stdout(format_args!("{}", $crate::output::visible(&format!($($arg)*)))) };
}

/// [`outln!`] for a report meant to be read, its control characters shown ([`visible`]).
macro_rules! textln {
    ($($arg:tt)*) => {
        $crate::output::stdout(format_args!("{}\n", $crate::output::visible(&format!($($arg)*))))
    };
}

pub(crate) use {errln, out, outln, text, textln};
