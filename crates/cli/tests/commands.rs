//! The `stagecraft` subcommands, run as a real process on small Dockerfiles.

use std::process::{Command, Output};

use stagecraft_testkit::{parse_json, TempDir as Dir, Value};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagecraft")).args(args).output().expect("stagecraft runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const MULTI: &str = "\
ARG GO=1.22
# build compiles it
FROM golang:${GO} AS build
RUN make
FROM alpine AS docs
FROM scratch AS release
COPY --from=build /out /out
";

#[test]
fn analyze_json_uses_the_oracle_field_names() {
    let d = Dir::new("analyze");
    let f = d.file("Dockerfile", MULTI);
    let o = run(&["analyze", &f, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: Value = parse_json(&stdout(&o));
    let s0 = &j["stages"][0];
    assert_eq!(
        (s0["name"].as_str(), s0["base"].as_str(), s0["base_external"].as_str()),
        (Some("build"), Some("golang:${GO}"), Some("golang:1.22"))
    );
    assert_eq!(s0["doc_comment"].as_str(), Some("compiles it"));
    assert_eq!(j["stages"][2]["target_builds_stages"], serde_json_array(&[0, 2]));
    assert_eq!(j["default_target"].as_u64(), Some(2));
    assert_eq!(j["unused_stages"], serde_json_array(&[1]));
    let copy = j["references"].as_array().unwrap().iter().find(|r| r["kind"] == "copy-from").unwrap();
    assert_eq!(
        (copy["in_stage"].as_u64(), copy["resolved_stage"].as_u64(), copy["line"].as_u64()),
        (Some(2), Some(0), Some(7))
    );
    let diag = &j["diagnostics"][0];
    assert_eq!(
        (diag["code"].as_str(), diag["line"].as_u64(), diag["column"].as_u64()),
        (Some("unused-stage"), Some(5), Some(16))
    );
    // --build-arg changes the expansion; --target builds docs, not the default target: what
    // docs does not need is unused.
    let o = run(&["analyze", &f, "--format", "json", "--build-arg", "GO=1.23", "--target", "docs"]);
    let j: Value = parse_json(&stdout(&o));
    assert_eq!(j["stages"][0]["base_expanded"].as_str(), Some("golang:1.23"));
    assert_eq!(j["unused_stages"], serde_json_array(&[0, 2]));
    // As buildx reads `--build-arg`: a KEY alone takes the environment's value (and is not
    // given without one), an empty KEY is refused.
    let base = |envs: &[(&str, &str)], arg: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .args(["analyze", &f, "--format", "json", "--build-arg", arg])
            .env_remove("GO")
            .envs(envs.iter().copied())
            .output()
            .expect("stagecraft runs");
        assert!(o.status.success(), "{}", stderr(&o));
        parse_json(&stdout(&o))["stages"][0]["base_expanded"].as_str().map(str::to_string)
    };
    assert_eq!(base(&[("GO", "1.24")], "GO").as_deref(), Some("golang:1.24"));
    assert_eq!(base(&[], "GO").as_deref(), Some("golang:1.22"), "the default, not an empty value");
    assert_eq!(base(&[("GO", "1.24")], "GO=").as_deref(), Some("golang:"));
    let o = run(&["analyze", &f, "--build-arg", "=1.23"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--build-arg `=1.23` has no name: write KEY=VALUE"), "{}", stderr(&o));
}

#[test]
fn analyze_text_ends_with_the_build_failure_and_a_count_of_problems() {
    let d = Dir::new("analyze-text");
    // The file's path and what `analyze` prints for it.
    let analyze = |name: &str, text: &str| {
        let f = d.file(name, text);
        let o = run(&["analyze", &f]);
        assert!(o.status.success(), "{}", stderr(&o));
        (stdout(&o), f)
    };
    let (out, f) = analyze("Dockerfile", MULTI);
    assert!(out.contains("stage 1 docs on line 5: FROM image alpine (unused)\n"), "{out}");
    let end = format!("3 stages, 4 references, 1 unused\n1 problem (1 info): `stagecraft check {f}` lists them\n");
    assert!(out.ends_with(&end), "{out}");
    let (out, f) = analyze("warned.Dockerfile", "FROM alpine AS Base\n");
    let end = format!("1 stage, 1 reference, 0 unused\n1 problem (1 warning): `stagecraft check {f}` lists them\n");
    assert!(out.ends_with(&end), "{out}");
    let (out, _) = analyze("bad.Dockerfile", "FROM alpine AS a\nCOPY --from=a /x /x\n");
    let failure = "\nthe build fails (line 2, column 13): circular dependency detected on stage: a; `a` takes from itself on line 2: a stage cannot take files from itself; name an earlier stage\n1 problem (1 error): ";
    assert!(out.contains(failure), "{out}");
    // Without a target, the analysis is BuildKit's lint of every stage: a failure in a stage
    // the default target does not build fails `docker build --check`, and not a build (found
    // by a QA run; it said "the build fails"). With a target that builds it, the build fails.
    let fwd = "FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nRUN touch /x\n";
    let (out, f) = analyze("fwd.Dockerfile", fwd);
    let check_fails = "\n`docker build --check` fails (line 2, column 13): cannot copy from stage \"b\", it needs to be defined before current stage \"a\" (the check reads every stage; a build of the default target `b` does not meet it)\n";
    assert!(out.contains(check_fails), "{out}");
    let out = stdout(&run(&["analyze", &f, "--target", "a"]));
    assert!(out.contains("\nthe build fails (line 2, column 13): cannot copy"), "{out}");
    let (out, _) = analyze("fwd2.Dockerfile", &format!("{fwd}FROM a\n"));
    assert!(out.contains("\nthe build fails (line 2, column 13): cannot copy"), "the default target builds `a`: {out}");
    // The command repeats the options but the format (they change what is found) and quotes
    // what a shell would split.
    let f = d.file("we ird.Dockerfile", "FROM alpine AS Base\n");
    let out = stdout(&run(&["analyze", &f, "--platform", "linux/arm64", "--format", "text"]));
    assert!(out.ends_with(&format!("`stagecraft check '{f}' --platform linux/arm64` lists them\n")), "{out}");
    // Nothing to report, nothing said.
    let (out, _) = analyze("ok.Dockerfile", "FROM alpine\n");
    assert!(out.ends_with("1 stage, 1 reference, 0 unused\n"), "{out}");
}

fn serde_json_array(v: &[u64]) -> Value {
    parse_json(&format!("{v:?}"))
}

#[test]
fn check_exit_codes_and_formats() {
    let d = Dir::new("check");
    let ok = d.file("ok.Dockerfile", MULTI);
    let bad = d.file("bad.Dockerfile", "FROM alpine AS a\nCOPY --from=a /x /x\n");
    let o = run(&["check", &ok]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("ok.Dockerfile:5:16: info[unused-stage]"), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("1 problem (1 info)\n"));
    let o = run(&["check", &ok, &bad]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o)
        .contains("bad.Dockerfile:2:13: error[circular-dependency]: circular dependency detected on stage: a"));
    let o = run(&["check", &bad, "--format", "json"]);
    let j: Value = parse_json(&stdout(&o));
    assert_eq!(j["errors"].as_u64(), Some(1));
    // Written a diagnostic at a time, with the keys in the order they always had (sorted).
    assert!(
        stdout(&o).starts_with(
            "{\n  \"errors\": 1,\n  \"files\": [\n    {\n      \"diagnostics\": [\n        {\n          \"buildkit\": "
        ),
        "{}",
        stdout(&o)
    );
    assert_eq!(j["files"][0]["file"].as_str(), Some(bad.as_str()));
    let o = run(&["check", &bad, "--format", "sarif"]);
    let j: Value = parse_json(&stdout(&o));
    assert_eq!(j["version"].as_str(), Some("2.1.0"));
    let result = &j["runs"][0]["results"][0];
    assert_eq!((result["ruleId"].as_str(), result["level"].as_str()), (Some("circular-dependency"), Some("error")));
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64(), Some(2));
    let missing = d.0.join("missing").to_string_lossy().into_owned();
    let o = run(&["check", &missing]);
    assert_eq!(o.status.code(), Some(2));
    // Bytes that are not UTF-8 (a comment saved in Latin-1: BuildKit builds it) are read as
    // U+FFFD, with a warning that says where; `--fix` would write them back changed: refused.
    let latin1 = d.0.join("latin1");
    std::fs::write(&latin1, b"FROM alpine\n# Auteur: Ren\xe9\nRUN true\n").unwrap();
    let o = run(&["check", &latin1.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("latin1:2:14: not valid UTF-8 (byte 0xe9); each such byte is read as U+FFFD"),
        "{}",
        stderr(&o)
    );
    let o = run(&["check", "--fix", &latin1.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("latin1:2:14: not valid UTF-8 (byte 0xe9); stagecraft changes UTF-8 Dockerfiles only"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&latin1).unwrap(), b"FROM alpine\n# Auteur: Ren\xe9\nRUN true\n");
    // The reports a CI job reads say it too, at the byte; the text report counts no fix that
    // `--fix` would refuse (`from` is a lower-case keyword, fixable).
    std::fs::write(&latin1, b"from alpine\n# Auteur: Ren\xe9\nRUN true\n").unwrap();
    let path = latin1.to_string_lossy().into_owned();
    let o = run(&["check", &path]);
    assert!(!stdout(&o).contains("fixable"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("1 file not UTF-8, checked with each such byte read as U+FFFD (`--fix` refuses it)"),
        "{}",
        stdout(&o)
    );
    let j = parse_json(&stdout(&run(&["check", &path, "--format", "json"])));
    let w = &j["files"][0]["warnings"][0];
    assert_eq!((w["line"].as_u64(), w["column"].as_u64()), (Some(2), Some(14)), "{j}");
    assert!(
        w["message"].as_str().unwrap().starts_with("not valid UTF-8 (byte 0xe9); each such byte is read as U+FFFD"),
        "{j}"
    );
    let j = parse_json(&stdout(&run(&["check", &path, "--format", "sarif"])));
    assert_eq!(j["runs"][0]["columnKind"].as_str(), Some("unicodeCodePoints"), "columns count characters");
    let inv = &j["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], Value::Bool(true), "{j}");
    let n = &inv["toolExecutionNotifications"][0];
    assert_eq!(n["level"].as_str(), Some("warning"));
    assert_eq!(n["locations"][0]["physicalLocation"]["region"]["startColumn"].as_u64(), Some(14), "{j}");
    let o = run(&["check", &path, "--format", "github"]);
    assert!(
        stdout(&o).contains(&format!(
            "::warning file={},line=2,col=14,title=stagecraft::not valid UTF-8",
            path.replace(':', "%3A")
        )),
        "{}",
        stdout(&o)
    );
    // A file that could not be read as well: the run did not check everything.
    let j = parse_json(&stdout(&run(&["check", &path, &d.0.join("nowhere").to_string_lossy(), "--format", "sarif"])));
    let inv = &j["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], Value::Bool(false), "{j}");
    let levels: Vec<&str> =
        inv["toolExecutionNotifications"].as_array().unwrap().iter().map(|n| n["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["error", "warning"], "{j}");
    // A byte-order mark is no column, as in findings.
    std::fs::write(&latin1, b"\xef\xbb\xbfFROM alpine # \xe9\n").unwrap();
    let j = parse_json(&stdout(&run(&["check", &path, "--format", "json"])));
    assert_eq!(j["files"][0]["warnings"][0]["column"].as_u64(), Some(15), "{j}");
    std::fs::write(&latin1, b"FROM alpine\n# Auteur: Ren\xe9\nRUN true\n").unwrap();
    // One U+FFFD a byte (columns stay where an editor showing Latin-1 has them; the standard
    // library's lossy reading makes one of `\xe9\xa9`); the warning's column in characters.
    std::fs::write(&latin1, b"FROM alpine\n# \xc3\xa9t\xe9\xa9 x\nRUN true\n").unwrap();
    let o = run(&["dump", "--tree", &latin1.to_string_lossy()]);
    assert!(stdout(&o).contains("\"# \u{e9}t\u{fffd}\u{fffd} x\""), "{}", stdout(&o));
    assert!(stderr(&o).contains("latin1:2:5: not valid UTF-8 (byte 0xe9)"), "{}", stderr(&o));
    // UTF-16 is refused: read as UTF-8 it is noise.
    std::fs::write(&latin1, b"\xff\xfeF\0R\0O\0M\0").unwrap();
    let o = run(&["check", &latin1.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("UTF-16 text (it starts with the byte-order mark FF FE); save the file as UTF-8"),
        "{}",
        stderr(&o)
    );
    // One unreadable file among several: it is reported, the others are still checked.
    let junk = d.0.join("junk.bin");
    std::fs::create_dir(&junk).unwrap();
    let o = run(&["check", &bad, &junk.to_string_lossy(), &missing, "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "some input was not read");
    assert!(
        stderr(&o).contains("junk.bin: is a directory") && stderr(&o).contains("missing: no such file"),
        "{}",
        stderr(&o)
    );
    let j: Value = parse_json(&stdout(&o));
    assert_eq!((j["errors"].as_u64(), j["files"][0]["file"].as_str()), (Some(1), Some(bad.as_str())));
    // A CI job reads the report, not stderr: the unread files are in it, in the order given.
    let unread: Vec<(Option<&str>, Option<&str>)> =
        j["files"].as_array().unwrap()[1..].iter().map(|f| (f["file"].as_str(), f["error"].as_str())).collect();
    assert_eq!(unread.len(), 2, "{j}");
    assert!(unread[0].0.unwrap().ends_with("junk.bin") && unread[0].1.unwrap().contains("is a directory"), "{j}");
    assert_eq!(unread[1].0, Some(missing.as_str()));
    assert!(unread[1].1.unwrap().ends_with("missing: no such file"), "{j}");
    assert!(j["files"][0]["error"].is_null() && j["files"][2]["diagnostics"].as_array().unwrap().is_empty());
    let o = run(&["check", &bad, &missing, "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(2));
    let j: Value = parse_json(&stdout(&o));
    let invocation = &j["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"].as_bool(), Some(false));
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(notification["level"].as_str(), Some("error"));
    assert!(notification["message"]["text"].as_str().unwrap().ends_with("missing: no such file"));
    let uri = notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("file:///") && uri.ends_with("/missing"), "{uri}");
    assert_eq!(j["runs"][0]["results"][0]["ruleId"].as_str(), Some("circular-dependency"));
    let o = run(&["check", &bad, "--format", "sarif"]);
    assert!(parse_json(&stdout(&o))["runs"][0].get("invocations").is_none(), "every file was read");
    let o = run(&["check", &ok, &missing]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).ends_with("1 problem (1 info)\n1 file not checked (said above)\n"), "{}", stdout(&o));
    let o = run(&["check", &missing, &bad, "--format", "github"]);
    let first = stdout(&o).lines().next().unwrap_or_default().to_string();
    assert!(first.starts_with("::error file=") && first.ends_with("missing: no such file"), "{first}");
    // One file alone: the machine-read reports have its entry too (an empty SARIF file fails a
    // CI job's upload); the text report is the message on stderr.
    for format in ["json", "sarif", "github"] {
        let o = run(&["check", &missing, "--format", format]);
        assert_eq!(o.status.code(), Some(2), "{format}");
        assert!(stdout(&o).contains("missing: no such file"), "{format}: {}", stdout(&o));
    }
    let j = parse_json(&stdout(&run(&["check", &missing, "--format", "json"])));
    assert_eq!((j["files"][0]["file"].as_str(), j["errors"].as_u64()), (Some(missing.as_str()), Some(0)), "{j}");
    let o = run(&["check", &missing]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("", Some(2)));
    assert!(stderr(&o).ends_with("missing: no such file\n"), "{}", stderr(&o));
    let o = run(&["check", &ok, "--format", "dot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot print `dot`: --format takes text, json, sarif, github"), "{}", stderr(&o));
    let o = run(&["graph", &ok, "--format", "png"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown format `png`: --format takes json, dot, mermaid, svg"), "{}", stderr(&o));
}

#[test]
fn check_github_annotations_escape_and_map_severities() {
    let d = Dir::new("github");
    // A comma and a colon in the file name, a line break in no message: the properties escape
    // both, as the runner reads them back.
    let f = d.file("a,b:c.Dockerfile", "FROM alpine AS a\nCOPY --from=a /x /x\nFROM alpine AS Base\n");
    let o = run(&["check", &f, "--format", "github"]);
    assert_eq!(o.status.code(), Some(1), "an error-level finding fails the step");
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let file = f.replace(',', "%2C").replace(':', "%3A");
    assert_eq!(
        lines,
        [
            format!("::notice file={file},line=1,col=16,endLine=1,endColumn=17,title=stagecraft unused-stage::stage `a` is not used: the default target `base` does not build it, so BuildKit skips it (the legacy builder still builds it)"),
            format!("::error file={file},line=2,col=13,endLine=2,endColumn=14,title=stagecraft circular-dependency::circular dependency detected on stage: a; `a` takes from itself on line 2: a stage cannot take files from itself; name an earlier stage"),
            format!("::warning file={file},line=3,col=16,endLine=3,endColumn=20,title=stagecraft StageNameCasing::Stage name 'Base' should be lowercase"),
        ]
    );
    // `%` in a message is escaped too (BuildKit quotes an unknown keyword back).
    let f = d.file("pct.Dockerfile", "FROM alpine\nRU%N x\n");
    let out = stdout(&run(&["check", &f, "--format", "github"]));
    assert!(out.ends_with("::unknown instruction: RU%25N (did you mean RUN?)\n"), "{out}");
}

/// A file name with a line break cannot start a line of its own in a report meant to be read,
/// where a CI log would read it as a command (`::error ...` in GitHub Actions): the break is
/// shown as `␊` (in the command `analyze` suggests, as a shell's `$'...\n...'`). The data
/// formats keep the name exactly (JSON escapes it).
#[test]
fn a_line_break_in_a_file_name_starts_no_line() {
    let d = Dir::new("newline-name");
    let f = d.file("evil\n::error file=x::pwn.Dockerfile", "from alpine AS a\nFROM alpine\n");
    for args in
        [vec!["check", &f], vec!["analyze", &f], vec!["fmt", "--check", &f], vec!["check", &format!("{f}.missing")]]
    {
        let o = run(&args);
        let all = format!("{}{}", stdout(&o), stderr(&o));
        let shown = if args[0] == "analyze" {
            "evil\\n::error file=x::pwn.Dockerfile'`"
        } else {
            "evil\u{240a}::error file=x::pwn.Dockerfile"
        };
        assert!(all.contains(shown), "{args:?}: {all}");
        assert!(!all.lines().any(|l| l.starts_with("::")), "{args:?}: {all}");
    }
    let o = run(&["check", &f, "--format", "json"]);
    let j: Value = parse_json(&stdout(&o));
    assert_eq!(j["files"][0]["file"].as_str(), Some(f.as_str()));
    let o = run(&["analyze", &f, "--format", "json"]);
    assert_eq!(parse_json(&stdout(&o))["file"].as_str(), Some(f.as_str()));
    // So in the message of an ignore file BuildKit rejects, in a directory with such a name.
    std::fs::create_dir_all(d.0.join("dir\n::error::y")).unwrap();
    let g = d.file("dir\n::error::y/Dockerfile", "FROM alpine\n");
    d.file("dir\n::error::y/.dockerignore", "[\n");
    let o = run(&["check", &g]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("dir\u{240a}::error::y/.dockerignore:1: syntax error in pattern"), "{all}");
    assert!(!all.lines().any(|l| l.starts_with("::")), "{all}");
}

/// A file name that is not UTF-8 (Linux allows any bytes but `/` and NUL) is opened as the OS
/// gave it; messages and JSON show it with U+FFFD where it cannot be read as text.
#[cfg(target_os = "linux")]
#[test]
fn a_file_name_that_is_not_utf8_is_opened() {
    use std::os::unix::ffi::OsStrExt;
    let d = Dir::new("not-utf8-name");
    let name = std::ffi::OsStr::from_bytes(b"Dock\xffer");
    let path = d.0.join(name);
    std::fs::write(&path, "FROM alpine AS a\nFROM a AS b\nCOPY --from=a /x /y\nFROM alpine AS unused\nFROM b\n")
        .unwrap();
    let cli = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_stagecraft")).args(args).output().expect("stagecraft runs")
    };
    let o = cli(&["check".as_ref(), "--format".as_ref(), "json".as_ref(), path.as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: Value = parse_json(&stdout(&o));
    let shown = j["files"][0]["file"].as_str().expect("a file name");
    assert!(shown.ends_with("Dock\u{fffd}er"), "{shown}");
    assert_eq!(j["files"][0]["diagnostics"][0]["code"].as_str(), Some("unused-stage"), "{j:?}");
    let o = cli(&["targets".as_ref(), path.as_os_str()]);
    assert!(stdout(&o).contains("b "), "{}{}", stdout(&o), stderr(&o));
    // A missing file of such a name is said, with the name readable.
    let o = cli(&["check".as_ref(), d.0.join(std::ffi::OsStr::from_bytes(b"gone\xfe")).as_os_str()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("gone\u{fffd}"), "{}", stderr(&o));
}

#[test]
fn a_long_value_is_cut_in_messages_for_people_and_kept_whole_in_data() {
    let d = Dir::new("long-word");
    let value = format!("80/{}", "x".repeat(15_000));
    let f = d.file("Dockerfile", &format!("FROM alpine AS a\nEXPOSE {value}\nFROM a\n"));
    for format in ["text", "github"] {
        let out = stdout(&run(&["check", &f, "--format", format]));
        let longest = out.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(longest < 700, "{format}: a line of {longest} characters");
        assert!(
            out.contains(&format!("invalid port: \"80/{}…{}\": invalid proto", "x".repeat(116), "x".repeat(38))),
            "{out}"
        );
    }
    let j: Value = parse_json(&stdout(&run(&["check", &f, "--format", "json"])));
    assert!(j["files"][0]["diagnostics"][0]["message"].as_str().unwrap().contains(&value));
    // So on stderr: a rename's refusal quotes the reference.
    let g = d.file("two", &format!("ARG B=a\nFROM alpine AS a\nFROM ${{B:-{}}}\n", "y".repeat(5_000)));
    let o = run(&["rename", &g, "a", "b"]);
    assert!(
        !o.status.success() && stderr(&o).contains("referenced as `${B:-yyy") && stderr(&o).len() < 1_000,
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_reads_the_ignore_file_buildkit_reads() {
    let d = Dir::new("ignore");
    let text = "FROM alpine\nCOPY secrets/key /k\nCOPY app /app\n";
    let f = d.file("Dockerfile", text);
    let found = |args: &[&str]| -> Vec<String> {
        let report = parse_json(&stdout(&run(&[&["check", "--format", "json"], args].concat())));
        let diags = report["files"][0]["diagnostics"].as_array().unwrap().clone();
        diags
            .iter()
            .filter(|d| d["code"] == "CopyIgnoredFile")
            .map(|d| d["message"].as_str().unwrap().to_string())
            .collect()
    };
    // No ignore file: nothing to check.
    assert!(found(&[&f]).is_empty());
    // `.dockerignore` in the Dockerfile's directory, the default context.
    d.file(".dockerignore", "secrets\n");
    assert_eq!(found(&[&f]), ["Attempting to Copy file \"secrets/key\" that is excluded by .dockerignore"]);
    // `--context DIR` names another context, whose root has none.
    std::fs::create_dir_all(d.0.join("ctx")).unwrap();
    let ctx = d.0.join("ctx").to_string_lossy().into_owned();
    assert!(found(&[&f, "--context", &ctx]).is_empty());
    // A Dockerfile-specific ignore file beside the Dockerfile wins over the context's.
    let g = d.file("app.Dockerfile", text);
    d.file("app.Dockerfile.dockerignore", "app\n");
    assert_eq!(found(&[&g]), ["Attempting to Copy file \"app\" that is excluded by .dockerignore"]);
    // A pattern BuildKit rejects fails every build: an error naming the file and line, and the
    // Dockerfile is still checked (without CopyIgnoredFile).
    d.file(".dockerignore", "ok\n[bad\n");
    let unused = d.file("Unused.Dockerfile", "FROM alpine AS a\nFROM alpine\n");
    let o = run(&["check", &unused]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(".dockerignore:2: syntax error in pattern (`[bad`): BuildKit fails every build"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("info[unused-stage]: stage `a` is not used"), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("1 ignore file BuildKit rejects or cannot read (said above): every build of its context fails, and `CopyIgnoredFile` was not checked\n"), "{}", stdout(&o));
    // Two Dockerfiles of that context share it: one error, said once.
    let o = run(&["check", &unused, &f, "--format", "json"]);
    assert_eq!(stderr(&o).matches("syntax error in pattern").count(), 1, "{}", stderr(&o));
    assert_eq!(parse_json(&stdout(&o))["errors"].as_u64(), Some(1));
    // And in the JSON report, beside the file's findings, counted as an error.
    let j = parse_json(&stdout(&run(&["check", &f, "--format", "json"])));
    let fault = &j["files"][0]["ignore_file_error"];
    assert!(fault["message"].as_str().unwrap_or_default().contains(".dockerignore:2: syntax error in pattern"), "{j}");
    assert_eq!(
        (fault["line"].as_u64(), j["errors"].as_u64(), j["files"][0].get("error")),
        (Some(2), Some(1), None),
        "{j}"
    );
    // A Dockerfile with no findings of its own is not "no problems".
    let clean = d.file("Clean.Dockerfile", "FROM alpine\nCMD [\"x\"]\n");
    let o = run(&["check", &clean]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("no problems in the Dockerfile\n1 ignore file"), "{}", stdout(&o));
    // `analyze` says it and goes on; it is the build's error, where BuildKit meets it: before
    // any stage is dispatched (`plan` reads the ignore file too, as `docker build` does).
    let o = run(&["analyze", &unused]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("(`CopyIgnoredFile` is not checked)"), "{}", stderr(&o));
    let bad_step = d.file("Step.Dockerfile", "FROM alpine\nCOPY --chmod=999 . /\n");
    let j = parse_json(&stdout(&run(&["analyze", &bad_step, "--format", "json"])));
    let message = j["build_error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(".dockerignore:2: syntax error in pattern"), "{j}");
    let o = run(&["plan", &bad_step]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Step.Dockerfile: the build fails: "), "{}", stderr(&o));
    assert!(stderr(&o).contains(".dockerignore:2: syntax error in pattern"), "{}", stderr(&o));
    // GitHub annotations and SARIF point at the ignore file's line, where the fix is.
    let ignore = d.0.join(".dockerignore").to_string_lossy().into_owned();
    let gh = stdout(&run(&["check", &f, "--format", "github"]));
    assert!(gh.starts_with(&format!("::error file={},line=2,title=stagecraft::", ignore.replace(':', "%3A"))), "{gh}");
    let sarif = parse_json(&stdout(&run(&["check", &f, "--format", "sarif"])));
    let at = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"];
    assert_eq!(at["region"]["startLine"].as_u64(), Some(2), "{sarif}");
    assert!(at["artifactLocation"]["uri"].as_str().unwrap_or_default().ends_with(".dockerignore"), "{sarif}");
    // A Dockerfile that is not there is said to be missing, whatever its context's ignore file.
    let missing = d.0.join("Missingfile").to_string_lossy().into_owned();
    let gh = stdout(&run(&["check", &missing, "--format", "github"]));
    assert!(gh.starts_with(&format!("::error file={},title=stagecraft::", missing.replace(':', "%3A"))), "{gh}");
    assert!(gh.contains("no such file"), "{gh}");
    let o = run(&["check", &f, "--context", &d.0.join("nowhere").to_string_lossy()]);
    assert!(stderr(&o).contains("nowhere: no such directory"), "{}", stderr(&o));
    // The Dockerfile given as the context (an easy slip): it exists, it is not a directory.
    let o = run(&["check", &f, "--context", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(": is not a directory; pass the build context's directory"), "{}", stderr(&o));
}

#[test]
fn a_finding_that_rests_on_an_unread_image_config_carries_a_note_in_every_format() {
    let d = Dir::new("note");
    let f = d.file("Dockerfile", "FROM mcr.microsoft.com/dotnet/aspnet:8.0\nUSER $APP_UID\n");
    let note = "stagecraft does not read image configs: if image `mcr.microsoft.com/dotnet/aspnet:8.0` sets APP_UID in its ENV, BuildKit finds it and does not report this";
    // Text: under the source line, as rustc prints its notes.
    let out = stdout(&run(&["check", &f]));
    assert!(out.contains(&format!("  | USER $APP_UID\n  |      ^^^^^^^^\n  = note: {note}\n")), "{out}");
    // JSON: a field of its own, the message BuildKit's; null where there is none.
    let report = parse_json(&stdout(&run(&["check", &f, "--format", "json"])));
    let diag = &report["files"][0]["diagnostics"][0];
    assert_eq!(diag["message"], "Usage of undefined variable '$APP_UID'");
    assert_eq!(diag["note"], note);
    let g = d.file("scratch.Dockerfile", "FROM scratch\nUSER $APP_UID\n");
    let report = parse_json(&stdout(&run(&["check", &g, "--format", "json"])));
    assert_eq!(report["files"][0]["diagnostics"][0]["note"], Value::Null);
    // GitHub annotations and SARIF: on a second line of the message.
    let out = stdout(&run(&["check", &f, "--format", "github"]));
    assert!(out.ends_with(&format!("::Usage of undefined variable '$APP_UID'%0A{note}\n")), "{out}");
    let sarif = parse_json(&stdout(&run(&["check", &f, "--format", "sarif"])));
    assert_eq!(
        sarif["runs"][0]["results"][0]["message"]["text"],
        format!("Usage of undefined variable '$APP_UID'\n{note}")
    );
}

/// A BuildKit check after the build's error is listed, and the text says that BuildKit stops
/// first (JSON: `buildkit` false); one before it is BuildKit's to report, and has no such note.
#[test]
fn a_buildkit_check_after_the_build_error_says_buildkit_stops_first() {
    let d = Dir::new("stops");
    let f = d
        .file("Dockerfile", "FROM alpine AS Base\nRUN --mount=type=bind,from=composer:${V},target=/y true\nENV A=$W\n");
    let out = stdout(&run(&["check", &f]));
    let stops = "  = note: `docker build --check` stops at the build's error on line 2 and does not report this\n";
    assert_eq!(out.matches(stops).count(), 2, "UndefinedVar of $V and of $W: {out}");
    // Each finding is its line and what is indented under it.
    let findings: Vec<&str> = out.split(&format!("{f}:")).skip(1).collect();
    let casing = findings.iter().find(|b| b.contains("[StageNameCasing]")).expect("the casing warning");
    assert!(!casing.contains("stops at"), "BuildKit reports it before it fails: {casing}");
    let report = parse_json(&stdout(&run(&["check", &f, "--format", "json"])));
    let reported: Vec<(String, bool)> = report["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["buildkit"].as_bool().unwrap()))
        .collect();
    assert!(reported.contains(&("StageNameCasing".into(), true)), "{reported:?}");
    assert!(reported.contains(&("UndefinedVar".into(), false)), "{reported:?}");
}

#[test]
fn a_finding_in_an_onbuild_trigger_points_at_the_trigger_in_json_and_sarif() {
    let d = Dir::new("trigger");
    let f = d.file("Dockerfile", "FROM alpine AS base\nONBUILD ENV a b\nFROM base\nENV c d\n");
    let report = parse_json(&stdout(&run(&["check", &f, "--format", "json"])));
    let diag = &report["files"][0]["diagnostics"][0];
    assert_eq!((&diag["code"], &diag["line"]), (&Value::from("LegacyKeyValueFormat"), &Value::from(3)), "{report}");
    assert_eq!(diag["trigger"], parse_json(r#"{"start": {"line": 2, "column": 9}, "end": {"line": 2, "column": 16}}"#));
    // The stage's own finding has none.
    let own = &report["files"][0]["diagnostics"][1];
    assert_eq!((&own["line"], &own["trigger"]), (&Value::from(4), &Value::Null), "{report}");
    let sarif = parse_json(&stdout(&run(&["check", &f, "--format", "sarif"])));
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
    assert_eq!(result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"], 2);
    assert_eq!(result["relatedLocations"][0]["message"]["text"], "the ONBUILD trigger");
}

#[test]
fn check_fix_writes_safe_fixes_and_reports_what_is_left() {
    let dir = Dir::new("fix");
    let text = "FROM alpine as Base\nrun a\nRUN b\nRUN c\nFROM alpine\nCOPY --from=Base /a /b\nCMD serve\n";
    let f = dir.file("Dockerfile", text);
    // Without --fix: the counts of what could be fixed, and the file untouched.
    let o = run(&["check", &f]);
    assert!(stdout(&o).contains("3 fixable with `--fix`\n1 more with `--fix --unsafe-fixes`"), "{}", stdout(&o));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), text);
    let o = run(&["check", "--fix", &f, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("Dockerfile: fixed 3 problems"), "{}", stderr(&o));
    let fixed = "FROM alpine AS base\nRUN a\nRUN b\nRUN c\nFROM alpine\nCOPY --from=base /a /b\nCMD serve\n";
    assert_eq!(std::fs::read_to_string(&f).unwrap(), fixed);
    // What is left is reported from the fixed file: the unsafe exec-form fix, marked so.
    let report = parse_json(&stdout(&o));
    let left = &report["files"][0]["diagnostics"];
    assert_eq!(left.as_array().unwrap().len(), 1, "{report}");
    assert_eq!(left[0]["code"], "JSONArgsRecommended");
    assert_eq!(left[0]["fix"]["applicability"], "unsafe");
    // Fixing a fixed file changes nothing and says nothing.
    let o = run(&["check", "--fix", &f]);
    assert_eq!(stderr(&o), "");
    let o = run(&["check", "--fix", "--unsafe-fixes", &f]);
    assert!(stderr(&o).contains("fixed 1 problem\n"), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&f).unwrap().ends_with("CMD [\"serve\"]\n"));
    // --unsafe-fixes alone is a usage error.
    let o = run(&["check", "--unsafe-fixes", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("add --fix"), "{}", stderr(&o));
}

#[test]
fn named_build_contexts_replace_stages_and_images_and_unused_ones_are_warned_about() {
    let d = Dir::new("contexts");
    let f = d.file(
        "Dockerfile",
        "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM alpine:latest\nCOPY --from=build /app /app\nCOPY --from=nginx:1.27 /etc/nginx /etc/nginx\n",
    );
    // As `docker buildx build --build-context`: `build` replaces the stage, `alpine` the image
    // `alpine:latest` (BuildKit's key for it); a misspelt one replaces nothing, silently in
    // BuildKit, with a warning here.
    let args =
        ["plan", &f, "--build-context", "alpine=docker-image://alpine:3.20", "--build-context", "build=local:out"];
    let o = run(&[&args[..], &["--build-context", "ngnix:1.27=x"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "BuildKit builds 1 stage for the default target (unnamed stage 1):\n  wave 1: build (a named context: loaded, not built)\n  wave 2: stage-1\nimages: nginx:1.27\nnamed contexts: build, alpine\n"
    );
    assert!(
        stderr(&o).contains("--build-context ngnix:1.27 replaces no stage and no image of this file, and BuildKit ignores it; did you mean `nginx:1.27`?"),
        "{}",
        stderr(&o)
    );
    // The target list counts what is built: the replaced stage is loaded.
    let o = run(&["targets", &f, "--build-context", "build=local:out"]);
    let out = stdout(&o);
    let counts: Vec<&str> = out.lines().skip(1).map(|l| l.split_whitespace().last().unwrap_or_default()).collect();
    assert_eq!(counts, ["0", "1"], "{out}");
    let o = run(&[&args[..], &["--format", "json"]].concat());
    let j: Value = parse_json(&stdout(&o));
    assert_eq!(
        (j["images"].clone(), j["contexts"].clone()),
        (parse_json("[\"nginx:1.27\"]"), parse_json("[\"build\", \"alpine\"]"))
    );
    assert_eq!(stderr(&o), "");
    assert_eq!(j["dispatched_not_built"], parse_json("[]"));
    // What a replaced stage's steps use is dispatched (its failures fail the build), not built:
    // BuildKit reads the replaced stage's steps for their dependencies (found by an audit).
    let g = d.file(
        "Uses.Dockerfile",
        "FROM alpine AS tools\nFROM alpine AS dep\nCOPY --from=tools / /\nWORKDIR ${X:?must be set}\n\
         FROM alpine AS base\nCOPY --from=dep /a /b\nFROM base\n",
    );
    let o = run(&["plan", &g, "--build-context", "base=docker-image://busybox"]);
    assert_eq!(o.status.code(), Some(1), "the failure in `dep` fails the build: {}", stderr(&o));
    assert!(stdout(&o).contains("\ndispatched, not built: tools, dep ("), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("BuildKit builds 1 stage for the default target (unnamed stage 3):\n"),
        "{}",
        stdout(&o)
    );
    let o = run(&["plan", &g, "--format", "json", "--build-context", "base=docker-image://busybox"]);
    let j: Value = parse_json(&stdout(&o));
    assert_eq!(j["dispatched_not_built"], parse_json("[\"tools\", \"dep\"]"));
    assert_eq!(j["build_error"]["line"], 4);
    let o = run(&["analyze", &f, "--format", "json", "--build-context", "alpine=x", "--build-context", "biuld=y"]);
    let j: Value = parse_json(&stdout(&o));
    assert_eq!(j["stages"][1]["base_context"], parse_json("\"alpine\""));
    assert_eq!(j["stages"][1]["base_external"], Value::Null);
    assert_eq!(j["references"][1]["named_context"], parse_json("\"alpine\""));
    assert_eq!(j["unused_named_contexts"], parse_json("[{\"name\": \"biuld\", \"suggestion\": \"build\"}]"));
    // A `docker-image://` value that is no reference fails the build where it is loaded.
    let o = run(&["plan", &f, "--build-context", "alpine=docker-image://Alpine:3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the named build context alpine=docker-image://Alpine:3 names no image"),
        "{}",
        stderr(&o)
    );
    let o = run(&["check", &f, "--build-context", "scratch=x"]);
    assert!(
        stderr(&o).contains("--build-context scratch replaces no stage and no image of this file, and BuildKit ignores it (`scratch` is the empty image: never looked up)"),
        "{}",
        stderr(&o)
    );
    // As buildx reads them: NAME=VALUE, NAME an image name (in its familiar form).
    for (bad, message) in [
        ("deps", "--build-context needs NAME=VALUE, got `deps`"),
        ("Build=x", "--build-context Build=x: invalid context name Build: invalid reference format: repository name (library/Build) must be lowercase"),
        ("=x", "--build-context `=x` has no name: write NAME=VALUE"),
    ] {
        let o = run(&["plan", &f, "--build-context", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(stderr(&o).contains(message), "{bad}: {}", stderr(&o));
    }
    let o = run(&["plan", &f, "--format", "json", "--build-context", "docker.io/library/alpine:latest=x"]);
    assert_eq!(parse_json(&stdout(&o))["contexts"], parse_json("[\"alpine\"]"));
    // `graph` says nothing on stderr (editors read its output).
    let o = run(&["graph", &f, "--format", "mermaid", "--build-context", "unused=x"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    // Without contexts, the images are pulled.
    let o = run(&["plan", &f, "--format", "json"]);
    let j: Value = parse_json(&stdout(&o));
    assert_eq!(j["images"], parse_json("[\"golang:1.22\", \"alpine:latest\", \"nginx:1.27\"]"));
}

#[test]
fn targets_and_plans() {
    let d = Dir::new("targets");
    let f = d.file("Dockerfile", MULTI);
    let o = run(&["targets", &f]);
    let out = stdout(&o);
    assert!(out.contains("build ") && out.contains("compiles it") && out.contains("release (default)"), "{out}");
    // A row without a description ends at its count.
    assert!(out.contains("\nrelease (default)       2\n"), "{out:?}");
    // An unnamed stage asked for by index is not the default target.
    let f3 = d.file("Two.Dockerfile", "FROM alpine\nFROM alpine\n");
    assert!(stdout(&run(&["plan", &f3, "--target", "#0"]))
        .starts_with("BuildKit builds 1 stage for unnamed stage 0 (#0):\n"));
    assert!(
        stdout(&run(&["plan", &f3])).starts_with("BuildKit builds 1 stage for the default target (unnamed stage 1):\n")
    );
    // An unnamed default stage is listed as buildx lists it, not under a name `--target` refuses.
    let f2 = d.file("Unnamed.Dockerfile", "FROM alpine AS build\nFROM build\n");
    let out = stdout(&run(&["targets", &f2]));
    assert_eq!(out, "TARGET     BUILDS  DESCRIPTION\nbuild           1\n(default)       2\n");
    let o = run(&["plan", &f, "--target", "release"]);
    assert_eq!(
        stdout(&o),
        "BuildKit builds 2 stages for release:\n  wave 1: build\n  wave 2: release\nimages: golang:1.22\n"
    );
    // An empty target is the default one, as BuildKit reads it.
    // An image a build arg leaves blank is shown quoted (and the build fails on it).
    let blank = run(&["plan", &f, "--target", "release", "--build-arg", "GO= "]);
    assert!(stdout(&blank).ends_with("images: \"golang: \"\n"), "{}", stdout(&blank));
    // A stage name that is no image name: BuildKit builds it, `docker build` fails on it (it
    // looks stage names up as named contexts); the legacy builder does not.
    let dash = d.file("dash.Dockerfile", "FROM alpine AS build-\nRUN true\n");
    let o = run(&["plan", &dash]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("dash.Dockerfile:1:16: `docker build` fails on this stage name"), "{}", stderr(&o));
    assert_eq!(run(&["plan", &dash, "--legacy"]).status.code(), Some(0));
    // It looks the name up in its loop over the stages, once the stage's FROM is expanded:
    // before a later stage's FROM and the references, after its own FROM and earlier stages'.
    for (text, first) in [
        ("FROM alpine AS build-\nFROM $UNDEF AS b\n", "1:16: `docker build` fails on this stage name"),
        ("FROM alpine AS build-\nFROM alpine\nCOPY --from=$X / /\n", "1:16: `docker build` fails on this stage name"),
        ("FROM $UNDEF AS build-\n", "1:6: the build fails: base name ($UNDEF) should not be blank"),
        ("FROM $UNDEF AS b\nFROM alpine AS build-\n", "1:6: the build fails: base name ($UNDEF) should not be blank"),
    ] {
        let f = d.file("order.Dockerfile", text);
        let o = run(&["plan", &f]);
        let err = stderr(&o);
        let said: Vec<&str> = err.lines().collect();
        assert_eq!(said.len(), 1, "{text}: {said:?}");
        assert!(said[0].contains(&format!("order.Dockerfile:{first}")), "{text}: {said:?}");
    }
    // A build arg no ARG reads is said (BuildKit ignores it), with the key it may have meant.
    let typo = run(&["plan", &f, "--build-arg", "G0=1.23"]);
    assert!(
        stderr(&typo).ends_with(
            ": --build-arg `G0` is read by no ARG of this file, and BuildKit ignores it; did you mean `GO`?\n"
        ),
        "{}",
        stderr(&typo)
    );
    let (empty, none) = (run(&["plan", &f, "--target", ""]), run(&["plan", &f]));
    assert_eq!((empty.status.code(), stdout(&empty)), (Some(0), stdout(&none)), "{}", stderr(&empty));
    let o = run(&["plan", &f, "--legacy"]);
    assert!(
        stdout(&o).contains("The legacy builder builds 3 stages")
            && stdout(&o).contains("1 of them BuildKit skips: docs")
    );
    // With a stage name used twice, the legacy builder takes the first stage of a --target's
    // name and fails at the second without one; BuildKit builds.
    let dup = d.file("Dup.Dockerfile", "FROM alpine AS a\nFROM alpine AS b\nFROM alpine AS a\nFROM alpine AS c\n");
    let o = run(&["plan", &dup, "--legacy", "--target", "a"]);
    assert_eq!((o.status.code(), stdout(&o).lines().nth(1)), (Some(0), Some("  a (line 1)")), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 of them BuildKit skips: a (line 1)"), "{}", stdout(&o));
    assert_eq!(run(&["plan", &dup, "--legacy", "--format", "json"]).status.code(), Some(1));
    let o = run(&["plan", &dup, "--legacy"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("Dup.Dockerfile:3:1: the legacy builder fails: a stage name already used"),
        "{}",
        stderr(&o)
    );
    assert_eq!(run(&["plan", &dup]).status.code(), Some(0));
    let json = parse_json(&stdout(&run(&["plan", &dup, "--format", "json"])));
    assert_eq!(json["legacy_error"]["line"], 3);
    assert_eq!(json["legacy_stages"].as_array().map(Vec::len), Some(4));
    // The legacy builder takes no RUN flag and no COPY or ADD --chmod (its `dispatchRun` and
    // `dispatchCopy`), in a stage's own instructions or a base stage's triggers it runs; the
    // first in build order is its failure. BuildKit builds.
    let fails = |text: &str, target: Option<&str>| {
        let f = d.file("Legacy.Dockerfile", text);
        let mut args = vec!["plan", &f, "--legacy", "--format", "json"];
        args.extend(target.map(|t| ["--target", t]).into_iter().flatten());
        let json = parse_json(&stdout(&run(&args)));
        (json["legacy_error"]["line"].as_u64(), json["legacy_error"]["message"].as_str().map(String::from))
    };
    let text = "FROM alpine AS a\nRUN true\nCOPY --chmod=755 x /x\nFROM alpine AS b\nRUN --network=none true\n";
    let chmod = "the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled";
    assert_eq!(fails(text, None), (Some(3), Some(chmod.into())));
    assert_eq!(fails(&text.replace("--chmod=755 ", ""), None).0, Some(5));
    assert_eq!(fails(&text.replace("--chmod=755 ", "--chown=1 "), Some("a")), (None, None));
    let trigger = "FROM alpine AS base\nONBUILD RUN --mount=type=cache,target=/c true\nFROM base AS app\nRUN true\n";
    let (line, message) = fails(trigger, None);
    assert_eq!(line, Some(3));
    assert!(message.is_some_and(|m| m.starts_with("the --mount option requires BuildKit.")));
    assert_eq!(fails(trigger, Some("base")), (None, None));
    // A flag neither builder knows fails both alike, as BuildKit's parse: no legacy failure.
    assert_eq!(fails("FROM alpine\nRUN --bogus true\n", None), (None, None));
    // The earlier failure in build order: a name clash at its stage's start.
    let both = "FROM alpine AS a\nFROM alpine AS a\nRUN --network=none true\n";
    assert_eq!(fails(both, None).1.as_deref(), Some("a stage name already used"));
    // The legacy builder sets no automatic platform ARG: `--platform=$BUILDPLATFORM` reads
    // nothing there, and its FROM fails (a global ARG's default or a build arg for it would do).
    let cross = "FROM --platform=$BUILDPLATFORM golang AS build\nRUN --network=none true\nFROM alpine\n";
    let (line, message) = fails(cross, None);
    assert_eq!(line, Some(1));
    let message = message.unwrap_or_default();
    assert!(message.starts_with("failed to parse platform : \"\" is an invalid"), "{message}");
    assert_eq!(
        fails(&format!("ARG BUILDPLATFORM=linux/amd64\n{cross}"), None).0,
        Some(3),
        "the RUN flag, a line lower"
    );
    assert_eq!(fails("FROM --platform=linux/arm64 alpine AS a\nFROM a\n", None), (None, None));
    // A trigger copying from the stage running it fails at its FROM, before the stage's own
    // instructions (found by an audit of moby's builder: an index "refers to current build
    // stage").
    let own = "FROM alpine AS base\nONBUILD COPY --from=1 /a /b\nFROM base AS app\nRUN --network=none true\n";
    let (line, message) = fails(own, None);
    assert_eq!(line, Some(3));
    assert!(message.unwrap_or_default().starts_with("invalid from flag value 1: refers to current build stage"));
    let (line, message) = fails(&own.replace("--from=1", "--from=app"), None);
    assert_eq!(line, Some(3));
    assert!(message.unwrap_or_default().starts_with("invalid from flag value app: no stage `app` is built yet"));
    // `+1` is an index too; and the triggers run in order: the first that fails is the failure
    // (found by a review).
    let message = fails(&own.replace("--from=1", "--from=+1"), None).1.unwrap_or_default();
    assert!(message.starts_with("invalid from flag value +1: refers to current build stage"), "{message}");
    let order = "FROM alpine AS base\nONBUILD COPY --from=1 /a /b\nONBUILD RUN --network=none true\nFROM base AS t\n";
    assert!(fails(order, None).1.unwrap_or_default().starts_with("invalid from flag value 1"));
    let swapped = "FROM alpine AS base\nONBUILD RUN --network=none true\nONBUILD COPY --from=1 /a /b\nFROM base AS t\n";
    assert!(fails(swapped, None).1.unwrap_or_default().starts_with("the --network option requires BuildKit"));
    // A global ARG declared again without a value has none there (moby's `AddMetaArg`); a value
    // from a build arg is no automatic ARG's, and the message does not say it is.
    let failing = fails("FROM --platform=${BUILDPLATFORM:?no} alpine\n", None).1.unwrap_or_default();
    assert!(failing.starts_with("failed to process arguments for platform : "), "{failing}");
    assert!(
        failing
            .ends_with("(the legacy builder sets no automatic platform ARG, such as BUILDPLATFORM or TARGETPLATFORM)"),
        "{failing}"
    );
    let again = "ARG P=linux/arm64\nARG P\nFROM --platform=$P alpine\n";
    assert_eq!(fails(again, None).0, Some(3));
    assert_eq!(fails("ARG P=linux/arm64\nFROM --platform=$P alpine\n", None), (None, None));
    // From an audit of moby's classic builder (stop 51). It looks a FROM name up among the
    // stages it has built in any case (`getByName`), where BuildKit takes `BASE` for an image's.
    assert_eq!(fails("FROM alpine AS base\nFROM BASE\n", None), (None, None));
    let (line, message) = fails("FROM alpine AS base\nFROM Other\n", None);
    assert_eq!(
        (line, message.as_deref()),
        (Some(2), Some("invalid reference format: repository name (library/Other) must be lowercase"))
    );
    // An automatic platform ARG in the base name reads nothing there either.
    let (line, message) = fails("FROM ${TARGETARCH}/alpine\n", None);
    assert_eq!(line, Some(1));
    assert!(message.unwrap_or_default().starts_with("invalid reference format (the legacy builder sets no automatic"));
    assert_eq!(fails("FROM alpine:${TARGETARCH}\n", None).0, Some(1), "`alpine:` is no reference");
    assert_eq!(fails("FROM alpine${TARGETARCH}\n", None), (None, None), "another image, but one");
    // It expands no variable in `--from`, and fails on an index not before the stage's.
    let copies = "ARG X=a\nFROM alpine AS a\nFROM alpine AS b\nCOPY --from=A /x /x\nCOPY --from=0 /x /x\n";
    assert_eq!(fails(copies, None), (None, None), "a built stage, in any case; an index before");
    let (line, message) = fails(&copies.replace("=0 ", "=$X "), None);
    assert_eq!(
        (line, message.as_deref()),
        (
            Some(5),
            Some(
                "invalid from flag value $X: invalid reference format: repository name (library/$X) must be lowercase"
            )
        )
    );
    let lower = fails(&copies.replace("=0 ", "=${x} "), None).1;
    assert_eq!(lower.as_deref(), Some("invalid from flag value ${x}: invalid reference format"));
    let (line, message) = fails(&copies.replace("=0 ", "=1 "), None);
    assert_eq!((line, message.as_deref()), (Some(5), Some("invalid from flag value 1: refers to current build stage")));
    let forward = "FROM alpine AS a\nCOPY --from=1 /x /x\nFROM alpine AS b\n";
    assert_eq!(fails(forward, None).1.as_deref(), Some("invalid from flag value 1: index out of bounds"));
    let message = fails(&forward.replace("--from=1", "--from=b"), None).1.unwrap_or_default();
    assert!(message.starts_with("invalid from flag value b: no stage `b` is built yet"), "{message}");
    assert_eq!(fails(&forward.replace("--from=1", "--from=nginx"), None), (None, None), "an image");
    // The `--from` is read before the sources, and --chmod before both.
    let order = "FROM alpine\nCOPY --chmod=644 --from=5 /x /x\n";
    assert!(fails(order, None).1.unwrap_or_default().starts_with("the --chmod option"));
    assert!(fails(&order.replace("--chmod=644 ", ""), None)
        .1
        .unwrap_or_default()
        .starts_with("invalid from flag value 5"));
    // A COPY or ADD whose only sources are heredocs copies nothing there.
    let heredoc = "FROM alpine\nCOPY <<EOF /x\nhi\nEOF\n";
    let (line, message) = fails(heredoc, None);
    assert_eq!(line, Some(2));
    assert!(message.unwrap_or_default().starts_with("COPY failed: no source files were specified"));
    assert_eq!(fails(&heredoc.replace("<<EOF /x", "<<EOF a /x"), None), (None, None), "a path too");
    // A RUN's heredoc is no part of the command it runs: such RUNs are listed up to its
    // failure, in stages it builds (a trigger's and a later target's are not).
    let unrun = |text: &str, target: Option<&str>| {
        let f = d.file("Legacy.Dockerfile", text);
        let mut args = vec!["plan", &f, "--legacy", "--format", "json"];
        args.extend(target.map(|t| ["--target", t]).into_iter().flatten());
        let json = parse_json(&stdout(&run(&args)));
        let list = json["legacy_unrun_heredocs"].as_array().cloned().unwrap_or_default();
        list.iter().map(|u| (u["stage"].as_str().unwrap_or("?").to_string(), u["line"].as_u64())).collect::<Vec<_>>()
    };
    let runs = "FROM alpine AS a\nRUN <<EOF\necho\nEOF\nONBUILD RUN <<EOF\nx\nEOF\nFROM a AS b\nRUN python3 <<-PY\nprint(1)\nPY\n";
    assert_eq!(unrun(runs, None), [("a".to_string(), Some(2)), ("b".to_string(), Some(9))]);
    assert_eq!(unrun(runs, Some("a")), [("a".to_string(), Some(2))]);
    let failing = "FROM alpine AS a\nRUN <<EOF\nx\nEOF\nRUN --network=none <<EOF\nx\nEOF\nRUN <<EOF\nx\nEOF\n";
    assert_eq!(unrun(failing, None), [("a".to_string(), Some(2))], "up to its failure, not at it");
    // Up to a failure BuildKit meets too, and none where the file does not parse (review).
    let shared = "FROM alpine AS a\nRUN <<EOF\nx\nEOF\nWORKDIR ${X:?unset}\nRUN <<EOF\nx\nEOF\n";
    assert_eq!(unrun(shared, None), [("a".to_string(), Some(2))]);
    assert_eq!(unrun(&format!("{shared}FOO bar\n"), None), []);
    let said = stdout(&run(&["plan", &d.file("Legacy.Dockerfile", runs), "--legacy"]));
    assert!(
        said.contains("It runs 2 RUNs with a heredoc without the heredoc's body")
            && said.ends_with("line 2 (a), line 9 (b)\n"),
        "{said}"
    );
    // A RUN's flags: one of them at random, said so; a mount it cannot read fails first.
    let message = fails("FROM alpine\nRUN --network=none --mount=type=cache,target=/x true\n", None).1;
    assert!(message.unwrap_or_default().ends_with(
        "(or another of the RUN's flags, --network, --mount: the legacy builder names one of them at random)"
    ));
    let bad_mount = fails("FROM alpine\nRUN --mount=type=nope,target=/x true\n", None).1;
    assert_eq!(
        bad_mount.as_deref(),
        Some("unsupported mount type \"nope\"; write one of bind, cache, tmpfs, secret, ssh")
    );
    // From the review: it reads the file as it does, with `FROM BASE` as stage `base` (so what
    // BuildKit would meet after its own failure there is found: a later step, the stage's
    // triggers), with no named context, and an image's ID as a local image's.
    let exit = |text: &str, extra: &[&str]| {
        let f = d.file("Legacy.Dockerfile", text);
        let mut args = vec!["plan", f.as_str(), "--legacy"];
        args.extend(extra);
        let o = run(&args);
        (o.status.code(), stderr(&o))
    };
    let (code, err) = exit("FROM alpine AS base\nFROM BASE\nWORKDIR ${X:?must}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains(":3:1: the build fails: failed to process \"${X:?must}\""), "{err}");
    let (code, err) = exit("FROM alpine AS base\nONBUILD RUN --mount=type=cache,target=/c true\nFROM BASE\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains(":3:1: the legacy builder fails: the --mount option requires BuildKit"), "{err}");
    let contexts = ["--build-context", "nginx=docker-image://Bad"];
    assert_eq!(exit("FROM alpine\nCOPY --from=nginx /a /b\n", &contexts).0, Some(0));
    assert_eq!(exit("FROM nginx\n", &contexts).0, Some(0));
    let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_eq!(exit(&format!("FROM {id}\nFROM alpine\nCOPY --from={id} /a /b\n"), &[]).0, Some(0));
    let (code, err) = exit("FROM ${TARGETARCH:?x}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("the legacy builder fails: failed to process \"${TARGETARCH:?x}\": TARGETARCH: x (the legacy builder sets no automatic platform ARG"), "{err}");
    // A word that does not expand fails it in a stage BuildKit skips, which it builds.
    let skipped = "FROM alpine AS skipped\nENV A=${X:?missing}\nFROM alpine AS app\nRUN true\n";
    let (line, message) = fails(skipped, None);
    assert_eq!((line, message.as_deref()), (Some(2), Some("failed to process \"${X:?missing}\": X: missing")));
    assert_eq!(fails(skipped, Some("skipped")).1.as_deref(), None, "BuildKit's own failure there");
    assert_eq!(fails(&skipped.replace("${X:?missing}", "$X"), None), (None, None));
    let o = run(&["plan", &d.file("Legacy.Dockerfile", text), "--legacy"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!(":3:1: the legacy builder fails: {chmod} (BuildKit builds it)")),
        "{}",
        stderr(&o)
    );
    let o = run(&["plan", &f, "--target", "biuld"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("target stage \"biuld\" could not be found (did you mean build?)"), "{}", stderr(&o));
    // Where `docker build` fails before it looks for a target, the usage error says so too.
    let broken = d.file("Broken.Dockerfile", "FROM alpine AS a\nFOO bar\n");
    let o = run(&["plan", &broken, "--target", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).ends_with("target stage \"nope\" could not be found; targets: a; `docker build` fails before it looks for a target: line 2: unknown instruction: FOO (did you mean FROM?)\n"),
        "{}",
        stderr(&o)
    );
    // Every command that takes --target fails on one no stage has, as BuildKit does: a typo
    // in CI must not quietly check the default target instead.
    for args in [
        &["check", &f, "--target", "biuld"][..],
        &["check", &f, "--target", "biuld", "--format", "json"],
        &["analyze", &f, "--target", "biuld"],
        &["graph", &f, "--format", "dot", "--target", "biuld"],
        &["graph", &f, "--format", "json", "--target", "biuld"],
        &["graph", &f, "--format", "mermaid", "--target", "biuld"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("target stage \"biuld\" could not be found (did you mean build?)"), "{args:?}");
    }
    let o = run(&["plan", &f, "--format", "json", "--target", "docs"]);
    let j: Value = parse_json(&stdout(&o));
    assert_eq!(j["legacy_only"], parse_json("[\"build\"]"));
    // A cycle of references (a forward `COPY --from`, a build error): no order builds its
    // stages or those after it, so they are in no wave.
    let cyc = d.file(
        "Cycle.Dockerfile",
        "FROM alpine AS x\nFROM alpine AS a\nCOPY --from=b /x /y\nFROM a AS b\nFROM b AS c\nCOPY --from=x / /\n",
    );
    let o = run(&["plan", &cyc]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "BuildKit builds 4 stages for c:\n  wave 1: x\n  in no wave, on or after a cycle of references: a, b, c\nimages: alpine\n"
    );
    let j = parse_json(&stdout(&run(&["plan", &cyc, "--format", "json"])));
    assert_eq!((&j["waves"], &j["in_cycle"]), (&parse_json(r#"[["x"]]"#), &parse_json(r#"["a", "b", "c"]"#)), "{j}");
    assert_eq!(parse_json(&stdout(&run(&["plan", &f, "--format", "json"])))["in_cycle"], parse_json("[]"));
    // `#N` is the stage at index N, as in the editors.
    assert_eq!(stdout(&run(&["plan", &f, "--target", "#2"])), stdout(&run(&["plan", &f, "--target", "release"])));
    let o = run(&["plan", &f, "--target", "#9"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no stage #9: the file has 3 stages, #0 to #2"), "{}", stderr(&o));
    assert_eq!(run(&["plan", &f]).status.code(), Some(0));
    assert_eq!(run(&["targets", &f]).status.code(), Some(0));
    assert!(parse_json(&stdout(&run(&["targets", &f, "--format", "json"])))["build_error"].is_null());
    // A build BuildKit fails: the plan and targets still show, the failure goes to stderr with
    // its line, and the exit status says it (a script must not build on a plan that fails).
    let bad = d.file("Bad.Dockerfile", "FROM alpine AS a\nRUN x\nFROM a AS b\nFOO bar\n");
    for args in [&["plan", &bad][..], &["plan", &bad, "--legacy"], &["targets", &bad]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(!stdout(&o).is_empty(), "{args:?}");
        assert!(stderr(&o).contains("Bad.Dockerfile:4:1: the build fails: unknown instruction: FOO"), "{}", stderr(&o));
    }
    for command in ["plan", "targets"] {
        let o = run(&[command, &bad, "--format", "json"]);
        assert_eq!(o.status.code(), Some(1));
        // The same object as `analyze`'s, with BuildKit's line.
        let error = &parse_json(&stdout(&o))["build_error"];
        // (BuildKit's message: its parser names the line; the text above says it before.)
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|e| e.starts_with("dockerfile parse error on line 4: unknown instruction: FOO")),
            "{command}"
        );
        assert_eq!(error["line"], 4, "{command}");
        assert_eq!(error["lines"], parse_json("[[4, 4]]"), "{command}");
    }
    // A step failing in a stage the target does not build fails no build of it (BuildKit
    // dispatches only the stages a target needs), and `--call=targets` only parses: both list.
    let other = d.file("Other.Dockerfile", "FROM alpine AS a\nCOPY --from=b /x /y\nEXPOSE 99999\nFROM alpine AS b\n");
    for args in [&["plan", &other][..], &["plan", &other, "--target", "b"], &["targets", &other]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
    }
    // Its lint: every stage without --target (`docker build --check`), the target's with one.
    assert_eq!(run(&["check", &other]).status.code(), Some(1));
    assert_eq!(run(&["check", &other, "--target", "b"]).status.code(), Some(0));
    assert_eq!(run(&["plan", &other, "--target", "a"]).status.code(), Some(1));
    // A file with no stages has no target to list.
    let empty = d.file("Empty.Dockerfile", "# nothing yet\n");
    for command in ["targets", "plan", "graph"] {
        let o = run(&[command, &empty]);
        assert_eq!(o.status.code(), Some(2), "{command}");
        assert!(stderr(&o).contains("Empty.Dockerfile: the file has no stages"), "{command}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{command}: {}", stdout(&o));
    }
}

/// Arguments that say one thing twice, or more than a command takes, are refused with what
/// was given.
#[test]
fn too_many_arguments_are_said() {
    let d = Dir::new("too-many");
    let f = d.file("Dockerfile", "FROM alpine AS a\nFROM alpine AS b\n");
    let g = d.file("Other.Dockerfile", "FROM alpine\n");
    let o = run(&["analyze", &f, &g]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected one FILE (`check` and `fmt` take several), got 2: "), "{}", stderr(&o));
    let o = run(&["rename", &f, "a"]);
    assert!(stderr(&o).contains("expected a FILE and 2 more arguments, got 2: "), "{}", stderr(&o));
    // One build, one target: plan and graph refuse two (which would they show?).
    for command in ["plan", "graph"] {
        let o = run(&[command, &f, "--target", "a", "--target", "b"]);
        assert_eq!(o.status.code(), Some(2), "{command}");
        assert!(stderr(&o).contains("--target is given more than once (`a`, `b`)"), "{}", stderr(&o));
        // (An empty one, the default target, counts too, wherever it is given.)
        for twice in [["", "a"], ["a", ""]] {
            let o = run(&[command, &f, "--target", twice[0], "--target", twice[1]]);
            assert_eq!(o.status.code(), Some(2), "{command} {twice:?}");
            assert!(stderr(&o).contains("--target is given more than once ("), "{}", stderr(&o));
        }
    }
    let o = run(&["dump", "--buildkit", "--tree", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give one of --buildkit and --tree, once"), "{}", stderr(&o));
}

/// A file name that is not UTF-8: JSON (whose strings cannot hold the byte) names it with
/// U+FFFD, SARIF's URI with the byte itself, percent-encoded (U+FFFD would name another file).
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_keeps_its_bytes_in_sarif() {
    use std::os::unix::ffi::OsStrExt;
    let d = Dir::new("name-not-utf8");
    let path = d.0.join(std::ffi::OsStr::from_bytes(b"bad\xffname"));
    std::fs::write(&path, "FROM alpine AS unused\nFROM alpine\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["check", "--format", "sarif"])
        .arg(&path)
        .output()
        .unwrap();
    let j = parse_json(&stdout(&o));
    let uri = j["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str();
    assert!(uri.is_some_and(|u| u.starts_with("file://") && u.ends_with("/bad%FFname")), "{j}");
    let o =
        Command::new(env!("CARGO_BIN_EXE_stagecraft")).args(["check", "--format", "json"]).arg(&path).output().unwrap();
    let j = parse_json(&stdout(&o));
    assert!(j["files"][0]["file"].as_str().is_some_and(|f| f.ends_with("bad\u{fffd}name")), "{j}");
}

/// An empty `--target` is the default target: among several, it puts the default in play
/// wherever it is given (it was dropped unless given last), and the build has no target then.
#[test]
fn an_empty_target_is_the_default_in_any_order() {
    let d = Dir::new("empty-target");
    let f = d.file("Dockerfile", "FROM alpine AS a\nFROM alpine AS test\nFROM alpine AS docs\nFROM a AS release\n");
    let in_play = |targets: &[&str]| {
        let mut args = vec!["analyze", f.as_str(), "--format", "json"];
        for t in targets {
            args.extend(["--target", t]);
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let mut play: Vec<u64> = v["targets_in_play"].as_array().unwrap().iter().map(|t| t.as_u64().unwrap()).collect();
        play.sort_unstable();
        (play, v["unused_stages"].clone())
    };
    let default_and_test = in_play(&["test", ""]);
    assert_eq!(default_and_test.0, [1, 3]);
    assert_eq!(default_and_test.1, serde_json::json!([2]));
    assert_eq!(in_play(&["", "test"]), default_and_test);
    assert_eq!(in_play(&["docs", "", "test"]).0, [1, 2, 3]);
    // `check` says the same: `docs` alone is unused.
    let o = run(&["check", &f, "-t", "", "-t", "test"]);
    assert!(stdout(&o).contains("stage `docs` is not used"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("stage `a` is not used"), "{}", stdout(&o));
}

/// A file named twice (`check *.Dockerfile Dockerfile`, or by another path) is checked once.
#[test]
fn a_file_named_twice_is_checked_once() {
    let d = Dir::new("twice");
    let f = d.file("Dockerfile", "from alpine AS Bad\n");
    let other = d.0.join(".").join("Dockerfile").to_string_lossy().into_owned();
    let o = run(&["check", &f, &other, &f, "--format", "json"]);
    let files = parse_json(&stdout(&o))["files"].as_array().map_or(0, Vec::len);
    assert_eq!(files, 1, "{}", stdout(&o));
    let o = run(&["fmt", "--check", &f, &other]);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
}

/// A usage error says what was wrong, what was probably meant, the command's synopsis and where
/// the rest is: not every option's paragraph.
#[test]
fn usage_errors_are_short_and_suggest_what_was_meant() {
    let d = Dir::new("usage");
    let f = d.file("Dockerfile", "FROM alpine\n");
    let o = run(&["check", "--formt", "json", &f]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.starts_with("stagecraft: invalid option '--formt'; did you mean `--format`?\n\nusage: stagecraft check"),
        "{e}"
    );
    assert!(e.ends_with("Run `stagecraft check --help` for what each option does.\n"), "{e}");
    assert!(!e.contains("--fix applies"), "the whole help: {e}");
    let o = run(&["targets", "--fix", &f]);
    assert!(stderr(&o).contains("'--fix': another command takes it, not this one"), "{}", stderr(&o));
    let o = run(&["chek", &f]);
    assert!(stderr(&o).starts_with("stagecraft: unknown command \"chek\"; did you mean `check`?"), "{}", stderr(&o));
    // `help COMMAND` is the command's help; `--format JSON` is json.
    let o = run(&["help", "plan"]);
    assert!(o.status.success() && stdout(&o).starts_with("usage: stagecraft plan FILE"), "{}", stdout(&o));
    let o = run(&["check", "--format", "JSON", &f]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(parse_json(&stdout(&o))["errors"].as_u64(), Some(0));
}

/// `lsp --help` prints its help and exits instead of serving a client that never comes (it
/// waited on its input); other options are refused, and `--stdio` (which clients pass) is taken.
#[test]
fn lsp_takes_help_and_stdio_and_refuses_the_rest() {
    use std::process::Stdio;
    let spawn = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("stagecraft runs")
    };
    for (args, code) in [(&["lsp", "--help"][..], 0), (&["lsp", "--bogus"][..], 2)] {
        // (Its input stays open: a server would wait on it.)
        let mut child = spawn(args);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{args:?} still runs after 20 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let out = child.wait_with_output().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        if code == 0 {
            assert!(String::from_utf8_lossy(&out.stdout).starts_with("usage: stagecraft lsp [--stdio]"));
        }
    }
    // `--stdio` serves: a closed input before `exit` ends it with 1, as the protocol says.
    let mut child = spawn(&["lsp", "--stdio"]);
    drop(child.stdin.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn rename_prints_a_diff_or_writes() {
    let d = Dir::new("rename");
    let f = d.file("Dockerfile", MULTI);
    let o = run(&["rename", &f, "build", "compile"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let diff = stdout(&o);
    // The path is absolute: one slash after `a`, as git writes it.
    let shown = f.trim_start_matches('/');
    assert!(diff.starts_with(&format!("--- a/{shown}\n+++ b/{shown}\n@@ ")), "{diff}");
    // Adjacent changed lines: the old ones, then the new ones (the description comment's
    // leading name is renamed with the stage).
    assert!(
        diff.contains("-# build compiles it\n-FROM golang:${GO} AS build\n+# compile compiles it\n+FROM golang:${GO} AS compile\n"),
        "{diff}"
    );
    assert!(diff.contains("-COPY --from=build /out /out\n+COPY --from=compile /out /out\n"), "{diff}");
    assert_eq!(apply_unified_diff(MULTI, &diff), MULTI.replace("build", "compile"), "{diff}");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), MULTI, "a diff must not touch the file");
    let o = run(&["rename", &f, "build", "docs"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(":3:22: cannot rename `build` to `docs`: a stage named `docs` already exists"),
        "{}",
        stderr(&o)
    );
    let o = run(&["rename", &f, "build", "compile", "--write"]);
    assert!(o.status.success());
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        MULTI
            .replace("AS build", "AS compile")
            .replace("--from=build", "--from=compile")
            .replace("# build compiles", "# compile compiles"),
        "the description comment keeps naming the stage"
    );
    // A name split by a line continuation is one place, however many lines it takes.
    let split = d.file("Split.Dockerfile", "FROM alpine AS ba\\\nse\nFROM alpine\nCOPY --from=base /a /b\n");
    let o = run(&["rename", &split, "base", "core", "--write"]);
    assert!(stderr(&o).contains("renamed `base` to `core` in 2 places"), "{}", stderr(&o));
    let o = run(&["rename", &f, "nope", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(": stage \"nope\" could not be found; stages: "), "{}", stderr(&o));
}

/// `--write` and `--fix` replace a file whole (a new file takes its place, so a failed write
/// leaves the old text): with its permissions, through a symbolic link to its target (the link
/// stays a link), in place where it has other hard links (they stay one file), and not at all
/// where the file is read-only; no temporary file is left beside it. (Where the new file cannot
/// be made as the old was, another user's file or a bind mount, it is written in place: not
/// tested here, which needs other users or mounts.)
#[cfg(unix)]
#[test]
fn written_files_are_replaced_whole_and_keep_what_they_were() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let d = Dir::new("write-whole");
    let text = "FROM alpine AS base\nFROM alpine\nCOPY --from=base /a /b\n";
    let f = d.file("Dockerfile", text);
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = d.0.join("link.Dockerfile");
    std::os::unix::fs::symlink(&f, &link).unwrap();
    let before = std::fs::metadata(&f).unwrap().ino();
    let o = run(&["rename", &link.to_string_lossy(), "base", "core", "--write"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), text.replace("base", "core"));
    // Another file took its place (the old one was never opened for writing).
    assert_ne!(std::fs::metadata(&f).unwrap().ino(), before);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o640);
    // Hard links stay one file.
    let hard = d.0.join("hard.Dockerfile");
    std::fs::hard_link(&f, &hard).unwrap();
    let o = run(&["fmt", "--write", &hard.to_string_lossy()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["rename", &hard.to_string_lossy(), "core", "base", "--write"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::metadata(&f).unwrap().ino(), std::fs::metadata(&hard).unwrap().ino());
    assert_eq!(std::fs::read_to_string(&f).unwrap(), text);
    // A read-only file is refused, unless the tests run as root (who may write it anyway).
    std::fs::remove_file(&hard).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o440)).unwrap();
    let o = run(&["rename", &f, "base", "core", "--write"]);
    let root = std::fs::OpenOptions::new().write(true).open(&f).is_ok();
    assert_eq!(o.status.code(), Some(if root { 0 } else { 2 }), "{}", stderr(&o));
    let leftovers: Vec<String> = std::fs::read_dir(&d.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("stagecraft-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The SVG's `data-from` counts UTF-16 code units, as the browser's and the server's do.
#[test]
fn svg_offsets_are_utf16() {
    let d = Dir::new("svg-utf16");
    let f = d.file("Dockerfile", "ENV A=\u{1F600}\nFROM alpine AS a\n");
    let svg = stdout(&run(&["graph", &f, "--format", "svg"]));
    assert!(svg.contains("data-from=\"9\""), "{svg}");
}

#[test]
fn graph_formats() {
    let d = Dir::new("graph");
    let f = d.file("Dockerfile", MULTI);
    let dot = stdout(&run(&["graph", &f]));
    assert!(dot.starts_with("digraph stages {") && dot.contains("n0 -> n2 [style=dashed, label=\"COPY\"]"), "{dot}");
    let mermaid = stdout(&run(&["graph", &f, "--format", "mermaid"]));
    assert!(mermaid.starts_with("flowchart TD\n"));
    let j: Value = parse_json(&stdout(&run(&["graph", &f, "--format", "json"])));
    assert_eq!(j["nodes"][2]["label"].as_str(), Some("release"));
    assert!(j["edges"].as_array().unwrap().iter().any(|e| e["kind"] == "copy" && e["line"] == 7));

    let svg = stdout(&run(&["graph", &f, "--format", "svg"]));
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"stagecraft-graph\""), "{svg}");
    assert!(svg.contains("<g class=\"node stage default-target target in-plan\" data-stage=\"2\""), "{svg}");
    let svg = stdout(&run(&["graph", &f, "--format", "svg", "--target", "DOCS"]));
    assert!(svg.contains("<g class=\"node stage target in-plan\" data-stage=\"1\""), "{svg}");
    assert!(svg.contains("<g class=\"node stage legacy-only dimmed unused\" data-stage=\"0\""), "{svg}");
    let o = run(&["graph", &f, "--format", "svg", "--target", "relase"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("target stage \"relase\" could not be found (did you mean release?)"),
        "{}",
        stderr(&o)
    );
    // 1,500 stages, each copying from the first: too large to draw (an earlier build took
    // seconds and gigabytes for such files); the text formats still list it.
    let f = d.file("far.Dockerfile", &stagecraft_testkit::stage_chain(1500, "COPY --from=c0 /a /a\n"));
    let o = run(&["graph", &f, "--format", "svg"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(1), ""));
    assert!(stderr(&o).contains("far.Dockerfile: the graph is too large to draw: its edges cross"), "{}", stderr(&o));
    assert!(
        stderr(&o).ends_with(
            "the DOT and Mermaid outputs list it all (--format dot or mermaid; json for its stages and edges)\n"
        ),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&run(&["graph", &f, "--format", "dot"])).contains("n0 -> n1499"));
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    // `stagecraft check F | head -1`: once the reader has gone, writing fails with a broken
    // pipe. Every command must stop writing without a panic or a message, and still exit
    // with the status a full read gets (`check` says the file has an error).
    let dir = Dir::new("pipe");
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!("FROM alpine AS stage{i}\nRUN echo {i}\nCOPY --from=stage{} /a /b\n", i / 2));
    }
    text.push_str("FORM alpine\n");
    let file = dir.file("Dockerfile", &text);
    let commands: [&[&str]; 5] = [
        &["graph", &file, "--format", "svg"],
        &["graph", &file, "--format", "json"],
        &["dump", "--tree", &file],
        &["analyze", &file, "--format", "json"],
        &["check", &file],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("stagecraft runs");
        let mut first = [0u8; 16];
        let mut out = child.stdout.take().expect("stdout");
        std::io::Read::read_exact(&mut out, &mut first).expect("the command writes");
        drop(out);
        let o = child.wait_with_output().expect("stagecraft ends");
        let full = run(args);
        // More than a pipe holds (64 KiB on Linux), so that the write after the close fails.
        assert!(
            full.stdout.len() > 1 << 16,
            "{args:?}: the output ({} bytes) should outgrow the pipe",
            full.stdout.len()
        );
        assert_eq!(o.status.code(), full.status.code(), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), stderr(&full), "{args:?}");
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
}

/// Any other write error ends the run with a message and exit 2 (here: a full disk).
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_is_reported() {
    let dir = Dir::new("full");
    let file = dir.file("Dockerfile", "FROM alpine AS build\nFROM scratch\nCOPY --from=build /a /b\n");
    for args in [&["analyze", &file, "--format", "json"][..], &["targets", &file], &["dump", "--tree", &file]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let o =
            Command::new(env!("CARGO_BIN_EXE_stagecraft")).args(args).stdout(full).output().expect("stagecraft runs");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("cannot write the output"), "{args:?}: {}", stderr(&o));
    }
}

/// The CLI writes through `output`'s macros, which never panic on a closed pipe; `print!`,
/// `println!`, `eprint!` and `eprintln!` would (clippy denies them too, but tests run without it).
#[test]
fn output_goes_through_the_macros_that_never_panic() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or_default();
                    if ["print!(", "println!(", "eprint!(", "eprintln!("].iter().any(|m| code.contains(m)) {
                        found.push(format!("{}:{}: {line}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// A message that cannot be written (stderr on a full disk, or a pipe closed as in
/// `2>&1 | head -c1`) is lost, and the run ends as it would have: `eprintln!` panicked (101).
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_to_stderr_is_no_panic() {
    let dir = Dir::new("full-stderr");
    let file = dir.file("Dockerfile", "FROM alpine AS build\nFROM scratch\nCOPY --from=build /a /b\n");
    let missing = dir.0.join("missing").display().to_string();
    let bad = dir.file("bad.Dockerfile", "\0\0FROM\n");
    for (args, code) in [
        (&["check", "--format"][..], 2),
        (&["plan", &bad][..], 2),
        (&["check", &missing][..], 2),
        (&["check", &file, "--fix", "--unsafe-fixes"][..], 0),
        (&["frobnicate"][..], 2),
        (&[][..], 2),
    ] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let o =
            Command::new(env!("CARGO_BIN_EXE_stagecraft")).args(args).stderr(full).output().expect("stagecraft runs");
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stdout(&o));
    }
}

/// A byte-order mark is no column (editors drop it), in every output format.
#[test]
fn a_byte_order_mark_is_no_column() {
    let d = Dir::new("bom");
    let f = d.file("Dockerfile", "\u{feff}FROM alpine as base\nRUN a\nFROM base\n");
    let o = run(&["check", &f]);
    assert!(stdout(&o).contains("Dockerfile:1:13: warning[FromAsCasing]"), "{}", stdout(&o));
    // The line as an editor shows it, the carets under the 13th character.
    assert!(stdout(&o).contains("  | FROM alpine as base\n  |             ^^\n"), "{}", stdout(&o));
    let j = parse_json(&stdout(&run(&["check", &f, "--format", "json"])));
    assert_eq!(j["files"][0]["diagnostics"][0]["range"]["start"], parse_json(r#"{"line": 1, "column": 13}"#), "{j}");
    let sarif = parse_json(&stdout(&run(&["check", &f, "--format", "sarif"])));
    assert_eq!(sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"], 13);
}

/// Runs `stagecraft ARGS` in `dir` with `input` on its standard input.
fn run_with_stdin(args: &[&str], dir: &std::path::Path, input: impl AsRef<[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("stagecraft runs");
    // (A usage error exits before it reads: the pipe may be closed.)
    let _ = child.stdin.take().unwrap().write_all(input.as_ref());
    child.wait_with_output().unwrap()
}

#[test]
fn a_file_of_dash_is_the_standard_input() {
    let d = Dir::new("stdin");
    let text = "FROM alpine AS base\nfrom base\nCOPY secrets/key /k\n";
    // `check -` names it `<stdin>` and reads the context's ignore file (the current directory).
    let o = run_with_stdin(&["check", "-"], &d.0, text);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("<stdin>:2:1: warning[ConsistentInstructionCasing]"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("CopyIgnoredFile"), "{}", stdout(&o));
    // Its casing has a fix, but `--fix` refuses `-`: no "fixable with `--fix`" is offered.
    assert!(stdout(&o).ends_with("1 problem (1 warning)\n"), "{}", stdout(&o));
    d.file(".dockerignore", "secrets\n");
    let o = run_with_stdin(&["check", "--format", "json", "-"], &d.0, text);
    let report = parse_json(&stdout(&o));
    assert_eq!(report["files"][0]["file"], "<stdin>");
    let codes: Vec<&str> =
        report["files"][0]["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["ConsistentInstructionCasing", "CopyIgnoredFile"]);
    // --context names another context, whose root has no ignore file.
    std::fs::create_dir_all(d.0.join("ctx")).unwrap();
    let o = run_with_stdin(&["check", "-", "--context", "ctx"], &d.0, text);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("<stdin>:2:1: warning[ConsistentInstructionCasing]"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("CopyIgnoredFile"), "{}", stdout(&o));
    // There is no file name to look up `<name>.dockerignore` by: a `-.dockerignore` beside
    // where it runs (where a file named `-` would be) is not read.
    d.file("-.dockerignore", "secrets\n");
    let o = run_with_stdin(&["check", "-", "--context", "ctx"], &d.0, text);
    assert!(!stdout(&o).contains("CopyIgnoredFile"), "{}", stdout(&o));
    // The other commands read it too; a rename prints its diff.
    let o = run_with_stdin(&["rename", "-", "base", "builder"], &d.0, text);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("--- a/<stdin>\n+++ b/<stdin>\n"), "{}", stdout(&o));
    assert!(stdout(&o).contains("+from builder\n"), "{}", stdout(&o));
    let o = run_with_stdin(&["plan", "-", "--format", "json"], &d.0, text);
    assert!(o.status.success(), "{}", stderr(&o));
    // What cannot work says so: writing back, reading it twice, bytes that are not UTF-8.
    for (args, message) in [
        (
            &["check", "--fix", "-"][..],
            "--fix writes the fixes back to each file, and `-` (the standard input) is none",
        ),
        (&["rename", "-", "base", "b", "--write"], "--write changes the file, and `-` (the standard input) is none"),
        (&["check", "-", "-"], "`-` (the standard input) is given twice"),
    ] {
        let o = run_with_stdin(args, &d.0, text);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{args:?}: nothing is checked");
    }
    let o = run_with_stdin(&["analyze", "-"], &d.0, "FROM a\n\u{fffd}\n");
    assert!(o.status.success(), "{}", stderr(&o));
    // Bytes that are not UTF-8: read as U+FFFD where only read, refused where written back.
    let with_bytes = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"FROM a AS b\n# \xff\n").unwrap();
        }
        child.wait_with_output().unwrap()
    };
    let o = with_bytes(&["analyze", "-"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("<stdin>:2:3: not valid UTF-8 (byte 0xff); each such byte is read as U+FFFD"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("stage 0 b on line 1"), "{}", stdout(&o));
    for args in [&["rename", "-", "b", "c"][..], &["fmt", "-"]] {
        let o = with_bytes(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("<stdin>:2:3: not valid UTF-8 (byte 0xff); stagecraft changes UTF-8 Dockerfiles only"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn platform_is_the_target_platform_of_every_command() {
    let d = Dir::new("platform");
    let f = d.file(
        "Dockerfile",
        "FROM alpine AS base-amd64\nFROM alpine AS base-arm64\nFROM base-${TARGETARCH} AS final\nRUN true\n",
    );
    let o = run(&["plan", &f]);
    assert!(stdout(&o).contains("wave 1: base-amd64\n"), "{}", stdout(&o));
    let o = run(&["plan", &f, "--platform", "linux/arm64"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("wave 1: base-arm64\n"), "{}", stdout(&o));
    let o = run(&["check", &f, "--platform", "linux/arm64", "--format", "json"]);
    let report = parse_json(&stdout(&o));
    let unused: Vec<&str> = report["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "unused-stage")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert!(unused[0].starts_with("stage `base-amd64` is not used"), "{unused:?}");
    // Empty is not given, as docker reads it; graph and targets take it too.
    let o = run(&["plan", &f, "--platform", ""]);
    assert!(stdout(&o).contains("wave 1: base-amd64\n"), "{}", stderr(&o));
    let o = run(&["graph", &f, "--platform", "linux/arm64", "--format", "mermaid"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // final (n2) is built on base-arm64 (n1); base-amd64 (n0) is the unused one.
    assert!(stdout(&o).contains("  n1 --> n2\n") && stdout(&o).contains("class n0 unused"), "{}", stdout(&o));
    assert!(run(&["targets", &f, "--platform", "linux/arm64"]).status.success());
    // `local` (any case) is this machine's platform, as buildx reads it.
    let local = stagecraft_analysis::platform::local().expect("a machine that runs tests has a platform");
    let written = run(&["plan", &f, "--platform", &local.format()]);
    for spec in ["local", "Local"] {
        let o = run(&["plan", &f, "--platform", spec]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), stdout(&written), "{spec}");
    }
    if ["amd64", "arm64"].contains(&local.architecture.as_str()) {
        let wave = format!("wave 1: base-{}\n", local.architecture);
        assert!(stdout(&written).contains(&wave), "{}", stdout(&written));
    }
    // One platform, written as BuildKit reads it.
    for (platform, message) in
        [("linux/amd64,linux/arm64", "one platform at a time"), ("lin", "unknown operating system or architecture")]
            .into_iter()
            // Blanks around it are refused, as buildx's parser refuses them (not trimmed).
            .chain([(" linux/arm64", "write os/arch without blanks"), ("linux/arm64 ", "\"arm64 \" is an invalid")])
    {
        let o = run(&["plan", &f, "--platform", platform]);
        assert_eq!(o.status.code(), Some(2), "{platform}");
        assert!(stderr(&o).contains(message), "{platform}: {}", stderr(&o));
    }
}

/// Applies a unified diff to `old` as `patch` does, checking every hunk's header and context
/// against the text (so a diff that does not say what changed fails).
fn apply_unified_diff(old: &str, diff: &str) -> String {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let mut out: Vec<String> = Vec::new();
    let mut at = 0; // next old line to copy
    let mut lines = diff.lines().skip(2).peekable();
    while let Some(header) = lines.next() {
        let nums: Vec<usize> = header
            .trim_start_matches("@@ -")
            .trim_end_matches(" @@")
            .split([' ', ',', '+'])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap_or_else(|_| panic!("bad hunk header {header:?}")))
            .collect();
        let (old_start, old_n, new_start, new_n) = (nums[0], nums[1], nums[2], nums[3]);
        assert_eq!(new_start as isize - old_start as isize, out.len() as isize - at as isize, "{header}");
        out.extend(old_lines[at..old_start - 1].iter().map(|s| s.to_string()));
        at = old_start - 1;
        let (mut seen_old, mut seen_new) = (0, 0);
        while let Some(line) = lines.next_if(|l| !l.starts_with("@@")) {
            let (mark, rest) = line.split_at(1);
            let no_newline = lines.next_if(|l| l.starts_with("\\ No newline")).is_some();
            let text = if no_newline { rest.to_string() } else { format!("{rest}\n") };
            if mark != "+" {
                assert_eq!(old_lines[at], text, "context or removed line {line:?} is not the file's");
                at += 1;
                seen_old += 1;
            }
            if mark != "-" {
                out.push(text);
                seen_new += 1;
            }
        }
        assert_eq!((seen_old, seen_new), (old_n, new_n), "{header}");
    }
    out.extend(old_lines[at..].iter().map(|s| s.to_string()));
    out.concat()
}

#[test]
fn fmt_prints_a_diff_checks_or_writes() {
    let d = Dir::new("fmt");
    let text = "# syntax=docker/dockerfile:1\nfrom alpine as build\n\n\n\nrun apk add \\\n  curl   \\\n  git\n\
                copy --from=build /a /b   \nFROM scratch\nCOPY --from=build /b /c";
    let formatted = "# syntax=docker/dockerfile:1\nFROM alpine AS build\n\nRUN apk add \\\n    curl \\\n    git\n\
                     COPY --from=build /a /b\nFROM scratch\nCOPY --from=build /b /c\n";
    let f = d.file("Dockerfile", text);
    let done = d.file("Formatted.Dockerfile", formatted);
    // A diff that `patch` would apply, and the file untouched.
    let o = run(&["fmt", &f]);
    assert!(o.status.success(), "{}", stderr(&o));
    let diff = stdout(&o);
    assert!(diff.starts_with(&format!("--- a/{0}\n+++ b/{0}\n@@ ", f.trim_start_matches('/'))), "{diff}");
    assert_eq!(apply_unified_diff(text, &diff), formatted, "{diff}");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), text);
    // --tabs with --indent: a tab counts as N columns (a QA run took the width for ignored).
    let nested = d.file("Nested.Dockerfile", "FROM a\nRUN a \\\n  b \\\n    c\n");
    let with_width = |width: &str| stdout(&run(&["fmt", &nested, "--tabs", "--indent", width]));
    assert!(with_width("2").contains("+\t\tc\n") && with_width("4").contains("+\t  c\n"), "{}", with_width("2"));
    // --check names the files that would change, and fails.
    let o = run(&["fmt", "--check", &f, &done]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(1), format!("{f}\n")));
    // The standard input comes out formatted.
    let o = run_with_stdin(&["fmt", "-", "--indent", "2"], &d.0, text);
    assert_eq!(stdout(&o), formatted.replace("    curl", "  curl").replace("    git", "  git"));
    // --write, then nothing is left to do.
    let o = run(&["fmt", "--write", &f]);
    assert!(o.status.success() && stderr(&o).contains("formatted"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), formatted);
    let o = run(&["fmt", "--check", &f]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    assert_eq!(stdout(&run(&["fmt", &f])), "");
    // A syntax error: said with where it is, the file left alone, exit 1.
    let bad = d.file("Bad.Dockerfile", "from a\nRUN <<EOF\nno end\n");
    let o = run(&["fmt", "--write", &bad]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Bad.Dockerfile:2:5: error: not formatted: unterminated heredoc"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), "from a\nRUN <<EOF\nno end\n");
    assert_eq!(run(&["fmt", "--write", "-"]).status.code(), Some(2));
    // `-` is a filter: its text would be mixed into other files' diffs (and it is read once).
    for (args, says) in [
        (&["fmt", &f, "-"][..], "mixed with the other files' diffs"),
        (&["fmt", "-", &f], "mixed with the other files' diffs"),
        (&["fmt", "-", "-"], "it can be read once"),
        (&["fmt", "--check", "-", "-"], "it can be read once"),
    ] {
        let o = run_with_stdin(args, &d.0, text);
        assert_eq!((o.status.code(), stdout(&o)), (Some(2), String::new()), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    // --check names it as any file.
    let o = run_with_stdin(&["fmt", "--check", &f, "-"], &d.0, text);
    assert_eq!((o.status.code(), stdout(&o)), (Some(1), "<stdin>\n".to_string()));
    // Formatting reads no build args: a usage error, not an option silently ignored.
    let o = run(&["fmt", "--build-arg", "A=1", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("formatting reads no build args"), "{}", stderr(&o));
    // As a filter, a text that cannot be formatted comes back as it was.
    let o = run_with_stdin(&["fmt", "-"], &d.0, "from a\nRUN <<EOF\nno end\n");
    assert_eq!((o.status.code(), stdout(&o)), (Some(1), "from a\nRUN <<EOF\nno end\n".to_string()));
    // And so does one that is no UTF-8, byte for byte (an editor would lose its buffer).
    for bytes in [&b"from alpine\nRUN echo caf\xe9\n"[..], b"\xff\xfef\0r\0o\0m\0"] {
        let o = run_with_stdin(&["fmt", "-"], &d.0, bytes);
        assert_eq!((o.status.code(), o.stdout.as_slice()), (Some(2), bytes), "{}", stderr(&o));
        assert!(stderr(&o).contains("<stdin>"), "{}", stderr(&o));
    }
}

/// Control characters in a Dockerfile (an escape sequence would clear the terminal, recolour a
/// CI log or hide lines) and bidirectional overrides are shown, one visible character each, in
/// the reports meant to be read: the carets still line up. JSON escapes them as it always did.
#[test]
fn control_characters_in_a_file_are_shown_not_sent_to_the_terminal() {
    let d = Dir::new("controls");
    let f = d.file(
        "Dockerfile",
        "# build the \u{1b}[31mthing\u{7}\nFROM alpine AS build\nRUN --b\u{1b}[2Jad\u{7f}\u{202e} x\nFROM scratch\nCOPY --from=build /a /b\n",
    );
    let raw = |s: &str| s.chars().any(|c| matches!(c, '\u{1b}' | '\u{7}' | '\u{7f}' | '\u{202e}'));
    for args in [&["check", f.as_str()][..], &["check", &f, "--format", "github"], &["targets", &f], &["plan", &f]] {
        let o = run(args);
        assert!(!raw(&stdout(&o)) && !raw(&stderr(&o)), "{args:?}: {:?}", stdout(&o));
    }
    let text = stdout(&run(&["check", &f]));
    // (The message reads the flag a byte at a time, as BuildKit does: U+202E is three.)
    assert!(text.contains("unknown flag: --b␛[2Jad␡â\u{fffd}®"), "{text}");
    // The snippet and its carets: one cell per character shown.
    let snippet: Vec<&str> = text.lines().skip_while(|l| !l.contains("unknown flag")).skip(1).take(2).collect();
    assert_eq!(snippet, ["  | RUN --b␛[2Jad␡\u{fffd} x", "  |     ^^^^^^^^^^^"], "{text}");
    assert!(stdout(&run(&["targets", &f])).contains("the ␛[31mthing␇"));
    let json = stdout(&run(&["check", &f, "--format", "json"]));
    assert!(json.contains("\\u001b[2J"), "{json}");
}

/// What each target builds grows with the square of a chain's length: past the budget the
/// server and the browser keep, the JSON of `analyze` and `targets` gives counts, with null
/// lists and a note on stderr, instead of a listing of billions of names.
#[test]
fn json_of_a_long_chain_gives_counts_instead_of_lists() {
    let d = Dir::new("long-chain");
    let mut text = String::from("FROM alpine AS s0\n");
    for i in 1..800 {
        text.push_str(&format!("FROM s{} AS s{i}\n", i - 1));
    }
    let f = d.file("Dockerfile", &text);
    let o = run(&["analyze", &f, "--format", "json"]);
    let j = parse_json(&stdout(&o));
    let last = &j["stages"][799];
    assert_eq!(
        (last["target_builds_stages"].clone(), last["target_builds_count"].clone()),
        (Value::Null, parse_json("800"))
    );
    assert!(stderr(&o).contains("would list 320400 stages in all"), "{}", stderr(&o));
    let o = run(&["targets", &f, "--format", "json"]);
    let j = parse_json(&stdout(&o));
    let last = &j["targets"][799];
    assert_eq!(
        (last["builds"].clone(), last["builds_count"].clone(), last["legacy_builds_count"].clone()),
        (Value::Null, parse_json("800"), parse_json("800"))
    );
    assert!(stderr(&o).contains("the targets' lists would name"), "{}", stderr(&o));
    // A short one lists them, with the counts beside.
    let short = d.file("Short.Dockerfile", "FROM alpine AS a\nFROM a AS b\n");
    let j = parse_json(&stdout(&run(&["analyze", &short, "--format", "json"])));
    assert_eq!(
        (j["stages"][1]["target_builds_stages"].clone(), j["stages"][1]["target_builds_count"].clone()),
        (parse_json("[0, 1]"), parse_json("2"))
    );
}
