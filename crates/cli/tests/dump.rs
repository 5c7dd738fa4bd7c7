//! `stagecraft dump --buildkit` against BuildKit's own parser output, byte for byte, run as a
//! real process over every parser case with a `result` and every real-world file.

use std::path::Path;
use std::process::{Command, Output};

use stagecraft_testkit::{oracles, parser_cases, read, TempDir};

fn stagecraft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagecraft")).args(args).output().expect("stagecraft runs")
}

fn dump(path: &Path) -> Output {
    stagecraft(&["dump", "--buildkit", path.to_str().expect("UTF-8 path")])
}

/// Cases where we deliberately print something else than BuildKit, with the reason. Empty:
/// every case agrees.
const DELIBERATE_DIFFERENCES: &[(&str, &str)] = &[];

#[test]
fn buildkit_dump_matches_every_parser_case_and_real_world_file() {
    let mut compared = 0;
    let mut failures = Vec::new();
    let (mut upstream, mut extracted) = (0, 0);
    for case in parser_cases() {
        let Some(result) = &case.result else { continue };
        if DELIBERATE_DIFFERENCES.iter().any(|(name, _)| *name == case.name) {
            continue;
        }
        if case.name.contains('/') {
            extracted += 1;
        } else {
            upstream += 1;
        }
        compared += 1;
        let out = dump(&case.dockerfile);
        let expected = std::fs::read(result).expect("result is readable");
        if !out.status.success() || out.stdout != expected {
            failures.push(format!(
                "{}: exit {:?}, stderr {}",
                case.name,
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let mut real_world = 0;
    for oracle in oracles().into_iter().filter(|o| o.name.starts_with("real-world/")) {
        let parse = &oracle.json["parse"];
        let out = dump(&oracle.dockerfile);
        real_world += 1;
        compared += 1;
        if parse["error"].is_null() {
            let expected = format!("{}\n", parse["ast_dump"].as_str().unwrap_or_default());
            if !out.status.success() || out.stdout != expected.as_bytes() {
                failures.push(format!("{}: dump differs", oracle.name));
            }
        } else if out.status.code() != Some(1) {
            failures.push(format!("{}: BuildKit rejects it, we did not", oracle.name));
        }
    }
    println!(
        "dump --buildkit: {} of {compared} agree ({upstream} upstream parser cases, {extracted} extracted cases, {real_world} real-world files); {} deliberate differences",
        compared - failures.len(),
        DELIBERATE_DIFFERENCES.len()
    );
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(upstream, 33, "BuildKit's upstream parser cases");
    assert!(extracted >= 600 && real_world >= 130, "too few cases compared");
}

#[test]
fn negative_cases_are_rejected_with_a_located_error() {
    let negatives: Vec<_> = parser_cases().into_iter().filter(|c| c.name.starts_with("negative-")).collect();
    assert_eq!(negatives.len(), 4);
    for case in negatives {
        let out = dump(&case.dockerfile);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", case.name);
        assert!(out.stdout.is_empty(), "{}: printed a dump", case.name);
        // file:line:col: error: message
        let shown = case.dockerfile.display().to_string();
        assert!(stderr.starts_with(&format!("{shown}:")) && stderr.contains(": error: "), "{}: {stderr}", case.name);
    }
}

/// The column counts characters, as `check` and `fmt` count them: `é` is one.
#[test]
fn the_error_column_counts_characters() {
    let dir = TempDir::new("dump-col");
    let file = dir.file("Dockerfile", "FROM alpine\nRUN écho <<EOF\nx\n");
    let dumped = String::from_utf8_lossy(&dump(Path::new(&file)).stderr).into_owned();
    let formatted = String::from_utf8_lossy(&stagecraft(&["fmt", &file]).stderr).into_owned();
    let at = format!("{file}:2:10: error: ");
    assert!(dumped.starts_with(&at), "{dumped}");
    assert!(formatted.starts_with(&at), "{formatted}");
}

#[test]
fn every_corpus_file_parses_without_losing_a_byte() {
    let files: Vec<_> =
        parser_cases().into_iter().map(|c| c.dockerfile).chain(oracles().into_iter().map(|o| o.dockerfile)).collect();
    for path in &files {
        let text = read(path);
        let parse = stagecraft_syntax::parse(&text);
        assert_eq!(parse.syntax_node().to_string(), text, "{}", path.display());
    }
    assert!(files.len() > 1000);
}

#[test]
fn unreadable_input_is_a_clear_error_with_exit_2() {
    let tmp = TempDir::new("dump-unreadable");
    let dir = &tmp.0;
    let missing = dir.join("missing.Dockerfile");
    let binary = dir.join("binary.Dockerfile");
    std::fs::write(&binary, b"FROM alpine\nRUN echo \xff\xfe\n").unwrap();

    let out = stagecraft(&["dump", "--buildkit", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.Dockerfile: no such file"));

    let out = stagecraft(&["dump", "--tree", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));

    // Bytes that are not UTF-8 BuildKit reads as they are; here each is U+FFFD, with a warning.
    let out = stagecraft(&["dump", "--buildkit", binary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("binary.Dockerfile:2:10: not valid UTF-8 (byte 0xff); each such byte is read as U+FFFD"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "(from \"alpine\")\n(run \"echo \u{fffd}\u{fffd}\")\n");

    let out = stagecraft(&["dump"]);
    assert_eq!(out.status.code(), Some(2));
    let out = stagecraft(&["dump", "--bogus", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn tree_dump_shows_kinds_ranges_and_text() {
    let dir = TempDir::new("dump-tree");
    let file = dir.file("Dockerfile", "FROM alpine AS base\n");
    let out = stagecraft(&["dump", "--tree", &file]);
    assert!(out.status.success());
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.starts_with("SOURCE_FILE@0..20\n  FROM_INSTR@0..19\n    KEYWORD@0..4 \"FROM\"\n"), "{tree}");
    assert!(tree.contains("STAGE_NAME@15..19"), "{tree}");
}
