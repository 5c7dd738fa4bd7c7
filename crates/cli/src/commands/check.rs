//! `stagecraft check`: diagnostics for one or more files as text, JSON, SARIF or GitHub Actions
//! annotations; exit 1 when an error-level finding exists.

use std::ffi::OsString;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};
use std::path::Path;

use stagecraft_analysis::fixes::{fix_text, FixSet, MAX_PASSES};
use stagecraft_analysis::{rules, Analysis, Diagnostic, Options, Severity, TextRange, TextSize};

use crate::args::{self, Format, Spec};
use crate::input::{self, NotUtf8};
use crate::{output, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft check FILE... [--format text|json|sarif|github] [--build-arg K=V]... [--target T]...
                        [--build-context NAME=...]... [--platform P] [--context DIR] [--fix [--unsafe-fixes]]

Reports BuildKit's checks (under BuildKit's rule names, honouring `# check=`) and stagecraft's
own (unused stages, unknown or later stages, build failures). Exit status: 0 when nothing is
an error, 1 when something is, 2 on usage or read errors (a file that cannot be read is
reported, on stderr and in the report: a JSON file entry with an \"error\", a SARIF tool
execution notification, a GitHub error annotation; the others are still checked).

A FILE of `-` is the standard input, `<stdin>` in the report; its build context (for the
ignore file) is --context DIR or the current directory, and --fix has no file to write to.

`CopyIgnoredFile` checks COPY and ADD sources against the ignore file BuildKit reads:
`FILE.dockerignore` beside the Dockerfile (named after it), else `.dockerignore` in the build
context, which is --context DIR or the Dockerfile's directory. An ignore file BuildKit rejects
(a malformed pattern, a lone `!`) or cannot read is an error (exit 1), since every build of the
context fails: at its
line (stderr, a JSON file entry's `ignore_file_error`, a SARIF tool execution notification, a
GitHub error annotation), and the Dockerfile is checked without `CopyIgnoredFile`.

--format json gives each diagnostic its `range` (1-based lines and columns: where the text,
SARIF and GitHub outputs put it) and BuildKit's `line`/`end_line` (the instruction's lines, as
BuildKit reports the finding; for some rules, such as an empty continuation line, not the
range's line), with `column`/`end_column` on those lines where the range is on them, else 1.

--format github prints one GitHub Actions annotation per finding (`::error file=...,line=...::`;
warnings as `::warning`, info and hints as `::notice`), for a workflow step's log and the
pull request's files.

--fix applies the fixes that do not change what the build does (keyword casing, `key=value`,
lowercase stage names, an empty --from=, empty continuation lines, ...), writes the files
back, and reports what is left. --unsafe-fixes also applies those that may (the stage or
variable a typo probably meant, the exec form of CMD and ENTRYPOINT, LABEL instead of
MAINTAINER, ADD for a URL COPY cannot fetch, a redundant --platform): review the result. Removing an unused
stage is left to you (a --target elsewhere may build it); editors offer it as a quick fix.

--target T adds a target in play (a stage none of them builds is unused); a T no stage has is
an error, as in BuildKit. As in `docker build --check`, without --target the steps of every
stage are checked; with it, only those of the stages the targets need.";

pub(crate) fn run(raw: Vec<OsString>) -> Result<Outcome, Failure> {
    let Some(a) = args::parse(
        raw,
        &Spec {
            target: true,
            many_files: true,
            fix: true,
            context: true,
            ..Spec::new(&[Format::Text, Format::Json, Format::Sarif, Format::Github])
        },
        HELP,
    )?
    else {
        return Ok(Outcome::Ok);
    };
    // A file that cannot be read is reported on stderr (and in the JSON, SARIF and GitHub
    // outputs, which a CI job reads instead), and the others are still checked; the exit status
    // says some input was not.
    let mut files: Vec<Checked> = Vec::new();
    let mut unread = false;
    let set = if a.unsafe_fixes { FixSet::Unsafe } else { FixSet::Safe };
    if a.fix && a.files.iter().any(|f| input::is_stdin(f)) {
        return Err(Failure::Usage(
            "--fix writes the fixes back to each file, and `-` (the standard input) is none: pass the file's path"
                .into(),
        ));
    }
    let format = a.format.unwrap_or(Format::Text);
    // One file's failure in the text report is the message alone; a machine-read report gets an
    // entry for it even then (a CI job uploads the SARIF file, or reads the JSON).
    let report_unread = a.files.len() > 1 || format != Format::Text;
    // How the reports name a file (the data formats escape what they need to themselves).
    let named = |p: &Path| Name {
        shown: if format == Format::Text { input::shown(p) } else { input::name(p) },
        uri: uri_reference(&input::name_bytes(p)),
    };
    // The ignore files at fault said so far: Dockerfiles of one context share one.
    let mut said: Vec<String> = Vec::new();
    for path in &a.files {
        // An ignore file BuildKit rejects (or cannot read) fails every build of the context: an
        // error, at the file and line at fault, and the Dockerfile is still checked (without
        // `CopyIgnoredFile`). (Its rules are read once the Dockerfile is there: a missing one is
        // said first.)
        let (options, fault) = super::with_ignore_rules(path, &a.options, a.context.as_deref());
        let ignore_fault = fault.map(|message| {
            if !said.contains(&message) {
                crate::output::errln!("stagecraft: {message}");
                said.push(message.clone());
            }
            let dockerfile = (!input::is_stdin(path)).then_some(path.as_path());
            let at = stagecraft_analysis::dockerignore::fault_for(dockerfile, a.context.as_deref())
                .map(|(f, line)| (named(&f), line));
            (message, at)
        });
        let result = if a.fix {
            fix_file(path, &options, set).map(|an| (an, None))
        } else {
            super::read_and_analyze_noting(path, &options)
        };
        let file = named(path);
        match result {
            Ok((an, not_utf8)) => {
                super::warn_unused_options(&an, path, &options);
                let stdin = input::is_stdin(path);
                files.push(Checked { file, result: Ok(an), not_utf8, ignore_fault, stdin });
            }
            Err(Failure::Io(message) | Failure::Usage(message)) if report_unread => {
                crate::output::errln!("stagecraft: {message}");
                files.push(Checked { file, result: Err(message), not_utf8: None, ignore_fault, stdin: false });
                unread = true;
            }
            Err(e) => return Err(e),
        }
    }
    let errors =
        analysed(&files).flat_map(|(_, an)| an.diagnostics()).filter(|d| d.severity == Severity::Error).count()
            + ignore_faults(&files).count();
    match format {
        Format::Json => output::print_json(&Report { files: &files, errors }),
        Format::Sarif => output::print_json(&sarif(&files)),
        Format::Github => crate::output::text!("{}", github(&files)),
        _ => crate::output::text!("{}", text(&files, set)),
    }
    Ok(if unread {
        Outcome::Unread
    } else if errors > 0 {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}

/// A file checked: its name as shown, its analysis or why it could not be read, and where it
/// was not UTF-8 (read as U+FFFD there, which the reports say as a warning on the file).
struct Checked {
    file: Name,
    result: Result<Analysis, String>,
    not_utf8: Option<NotUtf8>,
    /// The ignore file BuildKit would read for it, when BuildKit rejects it: why, and the file
    /// (as shown) and line at fault where a pattern is.
    ignore_fault: Option<(String, Option<(Name, usize)>)>,
    /// Read from the standard input, which `--fix` has no file to write to.
    stdin: bool,
}

/// A file as the reports name it, and as SARIF's `uri` (from the name's bytes: one that is not
/// UTF-8 is shown with U+FFFD, which would name another file).
struct Name {
    shown: String,
    uri: String,
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.shown
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.shown)
    }
}

/// Each file checked.
type Files = [Checked];

/// The files that were read, with their analyses.
fn analysed(files: &Files) -> impl Iterator<Item = (&Name, &Analysis)> {
    files.iter().filter_map(|c| c.result.as_ref().ok().map(|an| (&c.file, an)))
}

/// The files that could not be read, with the message that says why (it names the file).
fn unread(files: &Files) -> impl Iterator<Item = (&Name, &str)> {
    files.iter().filter_map(|c| c.result.as_ref().err().map(|e| (&c.file, e.as_str())))
}

/// The ignore files BuildKit rejects or cannot read, each once (Dockerfiles of one context share
/// one): the first Dockerfile's name, why (the message names the ignore file), and the ignore
/// file and line at fault where a pattern is.
fn ignore_faults(files: &Files) -> impl Iterator<Item = (&Name, &str, Option<(&Name, usize)>)> {
    files.iter().enumerate().filter_map(|(i, c)| {
        let (why, at) = c.ignore_fault.as_ref()?;
        let again = files[..i].iter().any(|e| e.ignore_fault.as_ref().is_some_and(|(w, _)| w == why));
        (!again).then(|| (&c.file, why.as_str(), at.as_ref().map(|(f, line)| (f, *line))))
    })
}

/// The files that were read with bytes that are not UTF-8, and where.
fn not_utf8(files: &Files) -> impl Iterator<Item = (&Name, &NotUtf8)> {
    files.iter().filter_map(|c| c.not_utf8.as_ref().map(|n| (&c.file, n)))
}

/// Fixes the file at `path` in place (see `fixes::fix_text`) and returns the analysis of the
/// result; says on stderr what it fixed.
fn fix_file(path: &Path, options: &Options, set: FixSet) -> Result<Analysis, Failure> {
    let text = input::read(path)?;
    let fixed = fix_text(&text, options, set);
    // An unknown --target is an error before anything is written.
    super::known_targets(&fixed.analysis, path, options)?;
    let shown = input::shown(path);
    if fixed.text != text {
        input::write_whole(path, &fixed.text)
            .map_err(|e| Failure::Io(format!("{shown}: cannot write the fixes: {e}")))?;
        crate::output::errln!("{shown}: fixed {} problem{}", fixed.applied, if fixed.applied == 1 { "" } else { "s" });
    }
    if fixed.unsettled {
        crate::output::errln!(
            "{shown}: fixes still applied after {MAX_PASSES} passes; run `stagecraft check --fix` again and review the result"
        );
    }
    Ok(fixed.analysis)
}

/// `{"errors": N, "files": [{"diagnostics": [...], "file": F}]}` (a file that could not be read
/// has no diagnostics and an `"error"`, the message that names it and says why; one with bytes
/// that are not UTF-8 has `"warnings": [{"line", "column", "message"}]`), serialised
/// one diagnostic at a time: as one `Value` tree, 50,000 diagnostics took 930 MB. Keys in the
/// order a `Value` object writes them (sorted), so the output is what it was.
struct Report<'a> {
    files: &'a Files,
    errors: usize,
}

impl Serialize for Report<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("errors", &self.errors)?;
        m.serialize_entry("files", &Seq(|| self.files.iter()))?;
        m.end()
    }
}

/// A file's entry in the JSON report.
impl Serialize for Checked {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match &self.result {
            Ok(an) => {
                m.serialize_entry("diagnostics", &Seq(|| an.diagnostics().iter().map(|d| output::diagnostic(an, d))))?
            }
            Err(reason) => {
                m.serialize_entry("diagnostics", &[(); 0])?;
                m.serialize_entry("error", reason)?;
            }
        }
        m.serialize_entry("file", &self.file)?;
        if let Some((why, at)) = &self.ignore_fault {
            let (file, line) = at.as_ref().map_or((None, None), |(f, l)| (Some(f), Some(l)));
            m.serialize_entry("ignore_file_error", &json!({"file": file, "line": line, "message": why}))?;
        }
        if let Some(n) = &self.not_utf8 {
            m.serialize_entry("warnings", &[json!({"column": n.column, "line": n.line, "message": n.message})])?;
        }
        m.end()
    }
}

/// A sequence made on demand by `f`.
struct Seq<F>(F);

impl<F: Fn() -> I, I: Iterator<Item = T>, T: Serialize> Serialize for Seq<F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

fn text(files: &Files, set: FixSet) -> String {
    let mut out = String::new();
    for (file, a) in analysed(files) {
        for d in a.diagnostics() {
            let (line, col) = output::position(a, d.range.start());
            let message = output::shortened(&d.message);
            out.push_str(&format!("{file}:{line}:{col}: {}[{}]: {message}\n", d.severity.as_str(), d.code));
            if let Some(r) = a.line_index().line_range(line - 1, a.text()) {
                // The line as editors show it (the columns count what they show).
                let r = TextRange::new(r.start() + TextSize::of(output::unseen_start(a.text(), line - 1)), r.end());
                let at = d.range.start().max(r.start()) - r.start();
                out.push_str(&snippet(&a.text()[r], usize::from(at), usize::from(d.range.len())));
            }
            if let Some(note) = a.note(d) {
                out.push_str(&format!("  = note: {}\n", output::shortened(&note)));
            }
            // A BuildKit check after the build's error: BuildKit stops first (the JSON's
            // `buildkit` is false), and it is reported so that the file's findings are all seen.
            let rule = stagecraft_analysis::rules::by_name(&d.code).is_some();
            if let Some(e) = a.build_error().filter(|_| rule && !d.buildkit_reports) {
                let at = e.range.map(|r| format!(" on line {}", a.line_of(r.start()))).unwrap_or_default();
                out.push_str(&format!(
                    "  = note: `docker build --check` stops at the build's error{at} and does not report this\n"
                ));
            }
        }
    }
    if let Some(problems) = problems(analysed(files).flat_map(|(_, a)| a.diagnostics())) {
        out.push_str(&format!("{problems}\n"));
        // `--fix` refuses a file that is not UTF-8, and the standard input: their fixes are not
        // counted.
        let fixable = |set| -> usize {
            files
                .iter()
                .filter(|c| c.not_utf8.is_none() && !c.stdin)
                .filter_map(|c| c.result.as_ref().ok())
                .map(|a| a.fixable(set))
                .sum()
        };
        let (safe, all) = (fixable(FixSet::Safe), fixable(FixSet::Unsafe));
        if set == FixSet::Safe && safe > 0 {
            out.push_str(&format!("{safe} fixable with `--fix`\n"));
        }
        if set == FixSet::Safe && all > safe {
            out.push_str(&format!(
                "{} more with `--fix --unsafe-fixes` (they change the build: review them)\n",
                all - safe
            ));
        }
    } else if ignore_faults(files).next().is_some() {
        // (Not "no problems": the build fails.)
        out.push_str("no problems in the Dockerfile");
        out.push_str(if files.len() == 1 { "\n" } else { "s\n" });
    } else {
        out.push_str("no problems\n");
    }
    let faults = ignore_faults(files).count();
    if faults > 0 {
        out.push_str(&format!(
            "{faults} ignore file{} BuildKit rejects or cannot read (said above): every build of {} context fails, and `CopyIgnoredFile` was not checked\n",
            super::plural(faults),
            if faults == 1 { "its" } else { "their" }
        ));
    }
    // "no problems" must not read as "all clear" when some input was never checked.
    let unread = unread(files).count();
    if unread > 0 {
        out.push_str(&format!("{unread} file{} not checked (said above)\n", super::plural(unread)));
    }
    let lossy = not_utf8(files).count();
    if lossy > 0 {
        out.push_str(&format!(
            "{lossy} file{} not UTF-8, checked with each such byte read as U+FFFD (`--fix` refuses {})\n",
            super::plural(lossy),
            if lossy == 1 { "it" } else { "them" }
        ));
    }
    out
}

/// The most characters of a source line a snippet shows: a line may be a megabyte long, and a
/// file may have thousands of findings on it.
const SNIPPET_CHARS: usize = 120;

/// The source line `src`, with carets under the `len` bytes from byte `at` (at least one
/// caret, none past what is shown). A line longer than [`SNIPPET_CHARS`] characters is shown
/// around `at`, its cut ends marked `…`; the work is that of the part shown, not of the line.
fn snippet(src: &str, at: usize, len: usize) -> String {
    let at = floor_boundary(src, at.min(src.len()));
    let long = src.len() > SNIPPET_CHARS && src.char_indices().nth(SNIPPET_CHARS).is_some();
    // Up to a third of the width before the finding, the rest after it.
    let mut start = 0;
    if long {
        start = at;
        for c in src[..at].chars().rev().take(SNIPPET_CHARS / 3) {
            start -= c.len_utf8();
        }
    }
    let end = match src[start..].char_indices().nth(SNIPPET_CHARS) {
        Some((i, _)) if long => (start + i).max(at),
        _ => src.len(),
    };
    let (open, close) = (if start > 0 { "…" } else { "" }, if end < src.len() { "…" } else { "" });
    // A terminal shows a wide character (CJK, emoji) in two cells: so many blanks or carets. A
    // tab is shown as four blanks (a terminal's tab stops would not line up with carets under
    // it), as rustc does.
    let cells = |c: char| if c == '\t' { TAB.len() } else { stagecraft_graph::svg::char_cells(c) };
    let pad = " ".repeat(open.chars().count() + src[start..at].chars().map(cells).sum::<usize>());
    let marked_end = floor_boundary(src, at.saturating_add(len).min(end));
    let width = src[at..marked_end].chars().map(cells).sum::<usize>().max(1);
    let shown = src[start..end].replace('\t', TAB);
    format!("  | {open}{shown}{close}\n  | {pad}{}\n", "^".repeat(width))
}

/// How a snippet shows a tab.
const TAB: &str = "    ";

/// `i` moved back to a character boundary of `s`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// SARIF 2.1.0, one run.
/// SARIF 2.1.0, each result serialised as it is made (as one `Value` tree, 50,000 results took
/// half a gigabyte). Keys in the order a `Value` object writes them (sorted), as before.
fn sarif(files: &Files) -> impl Serialize + '_ {
    let mut rule_ids: Vec<&str> = Vec::new();
    for d in analysed(files).flat_map(|(_, a)| a.diagnostics()) {
        if !rule_ids.contains(&d.code.as_str()) {
            rule_ids.push(&d.code);
        }
    }
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|&id| match rules::by_name(id) {
            Some(r) => {
                let mut rule = json!({"id": id, "shortDescription": {"text": r.description()}});
                if let Some(url) = r.url() {
                    rule["helpUri"] = url.into();
                }
                rule
            }
            None => json!({"id": id, "shortDescription": {"text": id}}),
        })
        .collect();
    Sarif {
        files,
        tool: json!({"driver": {"name": "stagecraft", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}),
    }
}

/// A path as SARIF's `uri`: a URI reference, so what is not a URI character is percent-encoded
/// (`#` would start a fragment, `c:` a scheme, a space is no URI character), and an absolute
/// path is a `file://` URI.
fn uri_reference(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with(b"/") {
        out.push_str("file://");
    }
    for &b in path {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Sarif<'a> {
    files: &'a Files,
    tool: Value,
}

impl Serialize for Sarif<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("$schema", "https://json.schemastore.org/sarif-2.1.0.json")?;
        m.serialize_entry("runs", &[SarifRun(self)])?;
        m.serialize_entry("version", "2.1.0")?;
        m.end()
    }
}

struct SarifRun<'a, 'b>(&'b Sarif<'a>);

impl Serialize for SarifRun<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let results = || {
            analysed(self.0.files).flat_map(|(file, a)| {
                a.diagnostics().iter().map(move |d| {
                    let location = |r: stagecraft_analysis::TextRange| {
                        let (sl, sc) = output::position(a, r.start());
                        let (el, ec) = output::position(a, r.end());
                        json!({"physicalLocation": {
                            "artifactLocation": {"uri": file.uri.clone()},
                            "region": {"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec},
                        }})
                    };
                    let mut result = json!({
                        "ruleId": d.code,
                        "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning", _ => "note" },
                        "message": {"text": a.message_with_note(d)},
                        "locations": [location(d.range)],
                    });
                    // A finding in an ONBUILD trigger points at the trigger too.
                    if let Some(t) = d.trigger {
                        let mut related = location(t);
                        related["message"] = json!({"text": "the ONBUILD trigger"});
                        result["relatedLocations"] = json!([related]);
                    }
                    result
                })
            })
        };
        let mut m = s.serialize_map(None)?;
        // Columns count characters (code points), not SARIF's default UTF-16 code units: an
        // emoji before a finding is one column.
        m.serialize_entry("columnKind", "unicodeCodePoints")?;
        // A file that could not be read is a tool execution notification: SARIF viewers show it,
        // and the run did not check everything it was asked to. So is an ignore file BuildKit
        // rejects, at its line (the Dockerfile was checked).
        let unread: Vec<_> = unread(self.0.files).map(|(file, reason)| (file, reason, None)).collect();
        let successful = unread.is_empty();
        let mut notifications: Vec<Value> = unread
            .into_iter()
            .chain(ignore_faults(self.0.files))
            .map(|(file, reason, at)| {
                let location = match at {
                    Some((f, line)) => {
                        json!({"artifactLocation": {"uri": f.uri.clone()}, "region": {"startLine": line}})
                    }
                    None => json!({"artifactLocation": {"uri": file.uri.clone()}}),
                };
                json!({"level": "error", "locations": [{"physicalLocation": location}], "message": {"text": reason}})
            })
            .collect();
        // A file read with bytes that are not UTF-8 was checked, as U+FFFD there: a warning.
        notifications.extend(not_utf8(self.0.files).map(|(file, n)| {
            json!({
                "level": "warning",
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": file.uri.clone()},
                    "region": {"startLine": n.line, "startColumn": n.column},
                }}],
                "message": {"text": n.message},
            })
        }));
        if !notifications.is_empty() {
            m.serialize_entry(
                "invocations",
                &json!([{"executionSuccessful": successful, "toolExecutionNotifications": notifications}]),
            )?;
        }
        m.serialize_entry("results", &Seq(results))?;
        m.serialize_entry("tool", &self.0.tool)?;
        m.end()
    }
}

/// `3 problems (1 error, 2 warnings)`: how many diagnostics there are by severity, errors
/// first; `None` when there are none.
pub(crate) fn problems<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> Option<String> {
    let mut counts = [0usize; 4];
    for d in diagnostics {
        counts[d.severity as usize] += 1;
    }
    let total: usize = counts.iter().sum();
    let parts: Vec<String> = [("error", counts[0]), ("warning", counts[1]), ("info", counts[2]), ("hint", counts[3])]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(w, n)| format!("{n} {w}{}", super::plural(*n)))
        .collect();
    (total > 0).then(|| format!("{total} problem{} ({})", super::plural(total), parts.join(", ")))
}

/// GitHub Actions workflow commands: one annotation per diagnostic, with its range.
fn github(files: &Files) -> String {
    // Values are escaped as the runner unescapes them; properties also escape `:` and `,`.
    fn data(s: &str) -> String {
        s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
    }
    fn property(s: &str) -> String {
        data(s).replace(':', "%3A").replace(',', "%2C")
    }
    let mut out = String::new();
    let unread = unread(files).map(|(file, reason)| (file, reason, None));
    for (file, reason, at) in unread.chain(ignore_faults(files)) {
        let place = match at {
            Some((f, line)) => format!("file={},line={line}", property(f)),
            None => format!("file={}", property(file)),
        };
        out.push_str(&format!("::error {place},title=stagecraft::{}\n", data(reason)));
    }
    for (file, n) in not_utf8(files) {
        out.push_str(&format!(
            "::warning file={},line={},col={},title=stagecraft::{}\n",
            property(file),
            n.line,
            n.column,
            data(&n.message)
        ));
    }
    for (file, a) in analysed(files) {
        for d in a.diagnostics() {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Hint => "notice",
            };
            let (line, col) = output::position(a, d.range.start());
            let (end_line, end_col) = output::position(a, d.range.end());
            out.push_str(&format!(
                "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}\n",
                property(file),
                property(&format!("stagecraft {}", d.code)),
                data(&output::shortened(&a.message_with_note(d)))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{snippet, uri_reference, SNIPPET_CHARS};

    /// The snippet as it was before long lines were cut: the whole line, carets under the range.
    fn whole_line(src: &str, at: usize, len: usize) -> String {
        let end = (at + len).min(src.len());
        let cells = |c: char| if c == '\t' { 4 } else { 1 };
        let width = src[at..end].chars().map(cells).sum::<usize>().max(1);
        let pad = " ".repeat(src[..at].chars().map(cells).sum());
        format!("  | {}\n  | {pad}{}\n", src.replace('\t', "    "), "^".repeat(width))
    }

    #[test]
    fn short_lines_are_shown_whole() {
        for (src, at, len) in [
            ("USER $APP_UID", 5, 8),
            ("\tRUN x", 1, 3),
            // A tab inside the range: four carets, under the four blanks shown for it.
            ("ENV\tK\tv", 3, 3),
            ("ENV ä=$ö", 8, 3),
            ("", 0, 0),
            ("FROM a", 6, 0),
            ("FROM a", 2, 100),
        ] {
            assert_eq!(snippet(src, at, len), whole_line(src, at, len), "{src:?}");
        }
        let exactly = "é".repeat(SNIPPET_CHARS);
        assert_eq!(snippet(&exactly, 2, 2), whole_line(&exactly, 2, 2));
    }

    #[test]
    fn carets_count_the_cells_of_wide_characters() {
        // A terminal shows 日本語 in six cells: the carets stand under `$UNDEF`.
        let src = "ENV 日本語=1 Y=$UNDEF";
        let at = src.find('$').unwrap();
        assert_eq!(snippet(src, at, "$UNDEF".len()), format!("  | {src}\n  | {}^^^^^^\n", " ".repeat(4 + 6 + 5)));
        // A wide character marked: two carets; a zero-width one takes no cell before a finding.
        assert_eq!(snippet("A 語 B", 2, "語".len()), "  | A 語 B\n  |   ^^\n");
        assert_eq!(snippet("RUN\u{200b} x", 7, 1), "  | RUN\u{200b} x\n  |     ^\n");
    }

    #[test]
    fn long_lines_are_shown_around_the_finding() {
        let src: String = (0..20_000).map(|i| format!("Vä{i}=$Vä{} ", i.max(1) - 1)).collect();
        let at = src.find("$Vä9999 ").unwrap();
        let out = snippet(&src, at, "$Vä9999".len());
        let (line, carets) = out.split_once('\n').unwrap();
        let line = line.strip_prefix("  | ").unwrap();
        let carets = carets.strip_prefix("  | ").unwrap().trim_end_matches('\n');
        // Cut at both ends, a third of the width before the finding.
        assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
        assert_eq!(line.chars().count(), SNIPPET_CHARS + 2, "{line}");
        let before = carets.len() - carets.trim_start().len();
        assert_eq!(before, 1 + SNIPPET_CHARS / 3);
        let marked: String = line.chars().skip(before).take(carets.trim_start().len()).collect();
        assert_eq!(marked, "$Vä9999");
        // At the start and at the end of the line: one end cut, carets within what is shown.
        let first = snippet(&src, 0, src.len());
        assert!(!first.starts_with("  | …") && first.contains("…\n"), "{first}");
        assert_eq!(first.lines().nth(1).unwrap(), format!("  | {}", "^".repeat(SNIPPET_CHARS)));
        let last = snippet(&src, src.len(), 0);
        assert!(last.starts_with("  | …") && !last.contains("…\n"), "{last}");
        assert!(last.ends_with("^\n"), "{last}");
    }

    #[test]
    fn sarif_uris_are_uri_references() {
        assert_eq!(uri_reference(b"docker/Dockerfile"), "docker/Dockerfile");
        assert_eq!(uri_reference(b"sp ace#1.Dockerfile"), "sp%20ace%231.Dockerfile");
        assert_eq!(uri_reference(b"c:x.Dockerfile"), "c%3Ax.Dockerfile");
        assert_eq!(uri_reference(b"we,ird%na.Dockerfile"), "we%2Cird%25na.Dockerfile");
        assert_eq!(uri_reference("/tmp/d\u{e9}j\u{e0}/Dockerfile".as_bytes()), "file:///tmp/d%C3%A9j%C3%A0/Dockerfile");
        // A name that is not UTF-8: its bytes, not U+FFFD (which names another file).
        assert_eq!(uri_reference(b"bad\xffname"), "bad%FFname");
    }
}
