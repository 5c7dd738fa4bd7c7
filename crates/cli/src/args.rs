//! Command-line options shared by the subcommands.

use std::ffi::OsString;
use std::path::PathBuf;

use stagecraft_analysis::Options;

use crate::Failure;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    Dot,
    Mermaid,
    Svg,
}

impl Format {
    const ALL: [(&'static str, Format); 7] = [
        ("text", Format::Text),
        ("json", Format::Json),
        ("sarif", Format::Sarif),
        ("github", Format::Github),
        ("dot", Format::Dot),
        ("mermaid", Format::Mermaid),
        ("svg", Format::Svg),
    ];

    /// The format named `s`, if `allowed` has it; else an error that lists those it has.
    fn parse(s: &str, allowed: &[Format]) -> Result<Format, Failure> {
        let names: Vec<&str> = Self::ALL.iter().filter(|(_, f)| allowed.contains(f)).map(|(n, _)| *n).collect();
        // (`--format JSON` is `json`: nothing else could be meant.)
        match Self::ALL.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
            Some((_, f)) if allowed.contains(f) => Ok(*f),
            found => {
                let what = if found.is_some() { "this command cannot print" } else { "unknown format" };
                Err(Failure::Usage(format!("{what} `{s}`: --format takes {}", names.join(", "))))
            }
        }
    }
}

/// Parsed arguments: files, positional words, and the options that shape the analysis.
#[derive(Debug, Default)]
pub(crate) struct Args {
    pub(crate) positional: Vec<String>,
    pub(crate) files: Vec<PathBuf>,
    pub(crate) format: Option<Format>,
    pub(crate) options: Options,
    pub(crate) legacy: bool,
    pub(crate) write: bool,
    pub(crate) fix: bool,
    pub(crate) unsafe_fixes: bool,
    /// `--context DIR`: the build context, where `.dockerignore` is looked for.
    pub(crate) context: Option<PathBuf>,
    /// `fmt --check`: say which files would change, change none.
    pub(crate) check: bool,
    /// `fmt --indent N`: columns per indentation level.
    pub(crate) indent: Option<u32>,
    /// `fmt --tabs`: indent with tabs.
    pub(crate) tabs: bool,
    /// Every `--target` as given, empty ones (the default target) too; the options hold the
    /// others.
    pub(crate) given_targets: Vec<String>,
}

/// What a command accepts.
pub(crate) struct Spec {
    /// The `--format` values it prints.
    pub(crate) formats: &'static [Format],
    pub(crate) target: bool,
    pub(crate) legacy: bool,
    pub(crate) write: bool,
    /// How many positional words follow the file (rename: 2).
    pub(crate) words_after_file: usize,
    pub(crate) many_files: bool,
    /// `--fix` and `--unsafe-fixes`.
    pub(crate) fix: bool,
    /// `--context DIR` (the commands that report diagnostics).
    pub(crate) context: bool,
    /// `--check`, `--indent N` and `--tabs` (`fmt`), and none of the options that shape an
    /// analysis (`--build-arg`, `--build-context`, `--platform`), which formatting reads not.
    pub(crate) format_options: bool,
}

impl Spec {
    /// One FILE, these formats, no other options.
    pub(crate) const fn new(formats: &'static [Format]) -> Spec {
        Spec {
            formats,
            target: false,
            legacy: false,
            write: false,
            words_after_file: 0,
            many_files: false,
            fix: false,
            context: false,
            format_options: false,
        }
    }
}

/// A usage error: the message, the command's synopsis (its help up to the first blank line),
/// and where the rest is, instead of every option's paragraph.
pub(crate) fn usage_error(msg: &str, help: &str) -> Failure {
    let synopsis = help.split("\n\n").next().unwrap_or(help);
    let command = synopsis.split_whitespace().nth(2).filter(|c| !c.starts_with('<')).unwrap_or("");
    let more = if command.is_empty() { String::new() } else { format!(" {command}") };
    Failure::Usage(format!("{msg}\n\n{synopsis}\n\nRun `stagecraft{more} --help` for what each option does."))
}

/// Whether a command of a spec takes an option.
type Takes = fn(&Spec) -> bool;

/// Every long option, and whether a command of this spec takes it: the one table that the
/// parser's guard and the "did you mean" for an option a command does not take both read.
const LONG_OPTIONS: [(&str, Takes); 14] = [
    ("help", |_| true),
    ("format", |_| true),
    ("build-arg", |s| !s.format_options),
    ("build-context", |s| !s.format_options),
    ("platform", |s| !s.format_options),
    ("target", |s| s.target),
    ("legacy", |s| s.legacy),
    ("write", |s| s.write),
    ("fix", |s| s.fix),
    ("unsafe-fixes", |s| s.fix),
    ("context", |s| s.context),
    ("check", |s| s.format_options),
    ("tabs", |s| s.format_options),
    ("indent", |s| s.format_options),
];

/// The long option an argument is, its short form spelled out (`-w`: `write`).
fn long_name<'a>(arg: &lexopt::Arg<'a>) -> Option<&'a str> {
    match *arg {
        lexopt::Arg::Long(name) => Some(name),
        lexopt::Arg::Short('h') => Some("help"),
        lexopt::Arg::Short('f') => Some("format"),
        lexopt::Arg::Short('t') => Some("target"),
        lexopt::Arg::Short('w') => Some("write"),
        _ => None,
    }
}

/// Whether a command of this spec takes the long option `name`.
fn takes(spec: &Spec, name: &str) -> bool {
    LONG_OPTIONS.iter().any(|(n, taken)| *n == name && taken(spec))
}

/// lexopt's message for an argument the command does not take, with the option it probably
/// meant (`--formt`: `--format`).
fn unexpected(arg: lexopt::Arg<'_>, spec: &Spec) -> String {
    let message = arg.clone().unexpected().to_string();
    let lexopt::Arg::Long(name) = arg else { return message };
    if LONG_OPTIONS.iter().any(|(n, _)| *n == name) {
        return format!("{message}: another command takes it, not this one");
    }
    let known = || LONG_OPTIONS.iter().filter(|(_, taken)| taken(spec)).map(|(n, _)| *n);
    // A name cut short is the options it starts (`--fo`: `--format`, not the closer `--fix`).
    let started: Vec<String> =
        known().filter(|n| !name.is_empty() && n.starts_with(name)).map(|n| format!("`--{n}`")).collect();
    match started.split_last() {
        Some((last, [])) => format!("{message}; did you mean {last}?"),
        Some((last, rest)) => format!("{message}; did you mean {} or {last}?", rest.join(", ")),
        None => match stagecraft_analysis::suggest::search(name, known(), true) {
            Some(meant) => format!("{message}; did you mean `--{meant}`?"),
            None => message,
        },
    }
}

/// Parses a command's arguments; `None` when `--help` was asked for and printed.
pub(crate) fn parse(raw: Vec<OsString>, spec: &Spec, help: &str) -> Result<Option<Args>, Failure> {
    use lexopt::prelude::*;
    let usage = |msg: String| usage_error(&msg, help);
    let mut p = lexopt::Parser::from_args(raw);
    let mut args = Args::default();
    let mut wants_help = false;
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    while let Some(arg) = p.next().map_err(|e| usage(e.to_string()))? {
        if long_name(&arg).is_some_and(|name| !takes(spec, name)) {
            let analysis_only = matches!(arg, Long("build-arg" | "build-context" | "platform"));
            return Err(usage(if analysis_only && spec.format_options {
                format!("{}: formatting reads no build args, contexts or platform", arg.unexpected())
            } else {
                unexpected(arg, spec)
            }));
        }
        match arg {
            Short('h') | Long("help") => wants_help = true,
            Long("format") | Short('f') => {
                let v = p.value().map_err(|e| usage(e.to_string()))?;
                args.format = Some(Format::parse(&v.to_string_lossy(), spec.formats)?);
            }
            Long("build-arg") => {
                let v = p.value().map_err(|e| usage(e.to_string()))?.to_string_lossy().into_owned();
                // As buildx reads it (`listToMap`): KEY=VALUE; a KEY alone takes the environment's
                // value, and is not given when the environment has none; an empty KEY is an error.
                let (k, val) = v.split_once('=').map_or((v.as_str(), None), |(k, val)| (k, Some(val)));
                if k.is_empty() {
                    return Err(usage(format!(
                        "--build-arg `{v}` has no name: write KEY=VALUE, or KEY alone for the environment's value"
                    )));
                }
                let val =
                    val.map(str::to_string).or_else(|| std::env::var_os(k).map(|e| e.to_string_lossy().into_owned()));
                if let Some(val) = val {
                    args.options.build_args.push((k.to_string(), val));
                }
            }
            Long("build-context") => {
                let v = p.value().map_err(|e| usage(e.to_string()))?.to_string_lossy().into_owned();
                // As buildx reads it (`ParseContextNames`): NAME=VALUE, NAME an image reference.
                let Some((name, value)) = v.split_once('=') else {
                    return Err(usage(format!("--build-context needs NAME=VALUE, got `{v}`")));
                };
                if name.is_empty() {
                    return Err(usage(format!("--build-context `{v}` has no name: write NAME=VALUE")));
                }
                stagecraft_analysis::reference::context_key(name)
                    .map_err(|e| usage(format!("--build-context {v}: {e} (NAME is read as an image name)")))?;
                args.options.named_contexts.push(name.to_string());
                args.options.context_values.push((name.to_string(), value.to_string()));
            }
            Long("platform") => {
                // Not trimmed: buildx hands the value to containerd's platform parser as it is,
                // which refuses blanks around it.
                let v = p.value().map_err(|e| usage(e.to_string()))?.to_string_lossy().into_owned();
                // Empty is not given, as docker reads it.
                if v.is_empty() {
                    args.options.platform = None;
                    continue;
                }
                stagecraft_analysis::platform::parse_target(&v).map_err(|e| {
                    let blanks = if v.trim() != v { " without blanks around it" } else { "" };
                    usage(format!("--platform: {e}; write os/arch{blanks}, such as linux/arm64"))
                })?;
                args.options.platform = Some(v);
            }
            Long("target") | Short('t') => {
                let v = p.value().map_err(|e| usage(e.to_string()))?.to_string_lossy().into_owned();
                args.given_targets.push(v.clone());
                // An empty target is the default one, as BuildKit reads it: none given (below).
                if !v.is_empty() {
                    args.options.targets.push(v.clone());
                    args.options.target = Some(v);
                }
            }
            Long("legacy") => args.legacy = true,
            Long("write") | Short('w') => args.write = true,
            Long("fix") => args.fix = true,
            Long("unsafe-fixes") => args.unsafe_fixes = true,
            Long("context") => {
                let dir = PathBuf::from(p.value().map_err(|e| usage(e.to_string()))?);
                if !dir.is_dir() {
                    let what = if dir.exists() { "is not a directory" } else { "no such directory" };
                    return Err(Failure::Io(format!(
                        "--context {}: {what}; pass the build context's directory (the one `docker build` is given)",
                        dir.display()
                    )));
                }
                args.context = Some(dir);
            }
            Long("check") => args.check = true,
            Long("tabs") => args.tabs = true,
            Long("indent") => {
                let v = p.value().map_err(|e| usage(e.to_string()))?.to_string_lossy().into_owned();
                let n = v.parse::<u32>().ok().filter(|n| (1..=16).contains(n));
                args.indent = Some(
                    n.ok_or_else(|| usage(format!("--indent needs a number of columns from 1 to 16, got `{v}`")))?,
                );
            }
            // Kept as the OS gave it: a file name need not be UTF-8.
            Value(v) => rest.push(v),
            other => return Err(usage(unexpected(other, spec))),
        }
    }
    if wants_help {
        crate::output::outln!("{help}");
        return Ok(None);
    }
    if rest.is_empty() {
        return Err(usage("missing FILE".into()));
    }
    if args.unsafe_fixes && !args.fix {
        return Err(usage("--unsafe-fixes only says which fixes `--fix` applies: add --fix".into()));
    }
    let file_count = if spec.many_files { rest.len() - spec.words_after_file.min(rest.len()) } else { 1 };
    if !spec.many_files && rest.len() != 1 + spec.words_after_file {
        let given = rest.iter().map(|a| format!("`{}`", a.to_string_lossy())).collect::<Vec<_>>().join(", ");
        let wanted = match spec.words_after_file {
            0 => "one FILE (`check` and `fmt` take several)".to_string(),
            n => format!("a FILE and {n} more arguments"),
        };
        return Err(usage(format!("expected {wanted}, got {}: {given}", rest.len())));
    }
    // A file given twice (`check *.Dockerfile Dockerfile`, `./Dockerfile`) is read once, where
    // it is first named. (By its directory and name: a link of another name is another file to
    // BuildKit, which reads the ignore file named after it.)
    let mut seen = std::collections::HashSet::new();
    for f in rest.drain(..file_count) {
        let path = PathBuf::from(f);
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let key = std::fs::canonicalize(dir).map(|d| d.join(path.file_name().unwrap_or_default()));
        if crate::input::is_stdin(&path) || seen.insert(key.unwrap_or_else(|_| path.clone())) {
            args.files.push(path);
        }
    }
    if args.files.iter().filter(|f| crate::input::is_stdin(f)).count() > 1 {
        return Err(usage("`-` (the standard input) is given twice; it can be read once".into()));
    }
    args.positional = rest.into_iter().map(|w| w.to_string_lossy().into_owned()).collect();
    // An empty `--target` among several puts the default target in play, wherever it is given:
    // the build's target is then none (the default), and the named ones are in play beside it.
    if args.given_targets.iter().any(String::is_empty) {
        args.options.target = None;
    }
    Ok(Some(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option in the table has an arm that parses it for a command that takes it, and the
    /// guard refuses it for one that does not. (One way only: an arm for an option the table
    /// lacks is never reached, which this cannot see.)
    #[test]
    fn every_option_in_the_table_is_parsed_where_taken_and_refused_elsewhere() {
        let specs = [
            Spec::new(&[Format::Text]),
            Spec { target: true, legacy: true, write: true, fix: true, context: true, ..Spec::new(&[Format::Text]) },
            Spec { write: true, many_files: true, format_options: true, ..Spec::new(&[Format::Text]) },
        ];
        let value = |name: &str| match name {
            "format" => Some("text"),
            "build-arg" => Some("A=1"),
            "build-context" => Some("base=docker-image://alpine"),
            "platform" => Some("linux/arm64"),
            "target" => Some("t"),
            "context" => Some("."),
            "indent" => Some("2"),
            _ => None,
        };
        for spec in &specs {
            // (`--help` prints the help and is taken by every command.)
            for (name, _) in LONG_OPTIONS.iter().filter(|(n, _)| *n != "help") {
                let name = *name;
                let mut raw: Vec<OsString> = vec![format!("--{name}").into()];
                raw.extend(value(name).map(OsString::from));
                if name == "unsafe-fixes" {
                    raw.push("--fix".into());
                }
                raw.push("Dockerfile".into());
                let result = parse(raw, spec, "usage: stagecraft x FILE");
                let refused = match &result {
                    Err(Failure::Usage(m)) => m.contains("invalid option"),
                    _ => false,
                };
                assert_eq!(refused, !takes(spec, name), "--{name}: {:?}", result.err());
                if takes(spec, name) {
                    assert!(result.is_ok(), "--{name}: {:?}", result.err());
                }
            }
        }
    }

    #[test]
    fn an_option_of_another_command_is_named_as_such_and_a_typo_gets_a_suggestion() {
        let plan = Spec { target: true, legacy: true, ..Spec::new(&[Format::Text]) };
        let err = |raw: &[&str], spec: &Spec| match parse(raw.iter().map(OsString::from).collect(), spec, "u") {
            Err(Failure::Usage(m)) => m,
            other => panic!("{raw:?}: {:?}", other.map(|a| a.is_some())),
        };
        assert!(err(&["--write", "Dockerfile"], &plan).contains("another command takes it"));
        assert!(err(&["--legcy", "Dockerfile"], &plan).contains("did you mean `--legacy`?"));
        let fmt = Spec { format_options: true, ..Spec::new(&[Format::Text]) };
        assert!(err(&["--build-arg", "A=1", "Dockerfile"], &fmt).contains("formatting reads no build args"));
        assert!(err(&["--indnt", "2", "Dockerfile"], &fmt).contains("did you mean `--indent`?"));
        // A name cut short: the options it starts, the only one or each (QA: `--fo` got `--fix`).
        assert!(err(&["--fo", "json", "Dockerfile"], &plan).contains("did you mean `--format`?"));
        assert!(err(&["--tar", "x", "Dockerfile"], &plan).contains("did you mean `--target`?"));
        let check = Spec { fix: true, ..Spec::new(&[Format::Text]) };
        assert!(err(&["--f", "Dockerfile"], &check).contains("did you mean `--format` or `--fix`?"));
        assert!(err(&["--build", "Dockerfile"], &check).contains("did you mean `--build-arg` or `--build-context`?"));
    }
}
