//! Fixes: each rule's fix on a small file, "fix all" in passes, and over the corpora: safe fixes
//! leave the build as it was, settle, and leave nothing safe to fix.

use stagecraft_analysis::fixes::{fix_text, FixSet};
use stagecraft_analysis::{analyze, Analysis, Applicability, BaseKind, Options, RefTarget};

fn fixed(text: &str, set: FixSet) -> String {
    let f = fix_text(text, &Options::default(), set);
    assert!(!f.unsettled, "fixes did not settle:\n{}", f.text);
    f.text
}

/// The fix of the one diagnostic `code` in `text`, with its applicability.
fn fix_of(text: &str, code: &str) -> (String, Applicability) {
    let a = analyze(text, &Options::default());
    let d = a.diagnostics().iter().find(|d| d.code == code).unwrap_or_else(|| panic!("no {code}"));
    let fix = d.fix.as_ref().unwrap_or_else(|| panic!("{code} has no fix"));
    (stagecraft_analysis::TextEdit::apply_all(text, &fix.edits), fix.applicability)
}

#[test]
fn each_rule_fixes_what_it_reports() {
    use Applicability::*;
    let cases: &[(&str, &str, &str, Applicability)] = &[
        ("FromAsCasing", "FROM alpine as a\nFROM a\n", "FROM alpine AS a\nFROM a\n", Safe),
        ("FromAsCasing", "from alpine AS a\nfrom a\n", "from alpine as a\nfrom a\n", Safe),
        (
            "StageNameCasing",
            "FROM alpine AS Build\nFROM alpine\nCOPY --from=Build /a /b\nRUN --mount=from=Build x\n",
            "FROM alpine AS build\nFROM alpine\nCOPY --from=build /a /b\nRUN --mount=from=build x\n",
            Safe,
        ),
        ("ConsistentInstructionCasing", "FROM alpine\nRUN a\nrun b\n", "FROM alpine\nRUN a\nRUN b\n", Safe),
        // A FROM's `AS` goes with it: FromAsCasing has nothing to say after the fix.
        (
            "ConsistentInstructionCasing",
            "from alpine as base\nrun echo\nFROM base AS app\n",
            "from alpine as base\nrun echo\nfrom base as app\n",
            Safe,
        ),
        // FromAsCasing's fix on a FROM the casing rule rewrites is the same fix: `AS` in the
        // case the keyword gets (not the keyword's old case, which the casing fix then changes).
        ("FromAsCasing", "FROM alpine as base\nrun a\nrun b\n", "from alpine as base\nrun a\nrun b\n", Safe),
        ("LegacyKeyValueFormat", "FROM alpine\nENV A b c\n", "FROM alpine\nENV A=\"b c\"\n", Safe),
        ("NoEmptyContinuation", "FROM alpine\nRUN a \\\n\n  b\n", "FROM alpine\nRUN a \\\n  b\n", Safe),
        ("NoEmptyContinuation", "FROM alpine\r\nRUN a \\\r\n  \r\n  b\r\n", "FROM alpine\r\nRUN a \\\r\n  b\r\n", Safe),
        // BuildKit warns once an instruction: its fix takes every empty line (it took the first).
        (
            "NoEmptyContinuation",
            "FROM alpine\nRUN apk add \\\n\n    gnupg \\\n  \n\n    curl\n",
            "FROM alpine\nRUN apk add \\\n    gnupg \\\n    curl\n",
            Safe,
        ),
        // A blank last line at the end of the file: nothing after it to take.
        ("NoEmptyContinuation", "FROM alpine\nRUN a \\\n  ", "FROM alpine\nRUN a \\\n", Safe),
        ("ExposeProtoCasing", "FROM alpine\nEXPOSE 80/TCP 53/udp\n", "FROM alpine\nEXPOSE 80/tcp 53/udp\n", Safe),
        // The name BuildKit's message suggests, as UndefinedVar's fix takes it; in a platform too.
        (
            "UndefinedArgInFrom",
            "ARG VERSION=3.19\nFROM alpine:${VERISON}\n",
            "ARG VERSION=3.19\nFROM alpine:${VERSION}\n",
            Unsafe,
        ),
        (
            "UndefinedArgInFrom",
            "FROM --platform=$BUILDPLATFROM alpine AS a\n",
            "FROM --platform=$BUILDPLATFORM alpine AS a\n",
            Unsafe,
        ),
        // Never safe: without the flag, in a build that names no platform, a single-platform
        // image for another platform the builder runs is built for its own (BuildKit's
        // `autoDetectPlatform`), with it for the target's (a fixes QA run).
        ("RedundantTargetPlatform", "FROM --platform=$TARGETPLATFORM alpine AS a\n", "FROM alpine AS a\n", Unsafe),
        // BuildKit's check compares words; a stage without `--platform` is built for the build's
        // platform, which the global ARG does not change: removing the flag changes the build,
        // on every platform but the ARG's (this analysis's, linux/amd64, among them: the file
        // is built for others too).
        (
            "RedundantTargetPlatform",
            "ARG TARGETPLATFORM=linux/arm64\nFROM --platform=$TARGETPLATFORM alpine AS a\n",
            "ARG TARGETPLATFORM=linux/arm64\nFROM alpine AS a\n",
            Unsafe,
        ),
        (
            "RedundantTargetPlatform",
            "ARG TARGETPLATFORM=linux/x86_64\nFROM --platform=$TARGETPLATFORM alpine AS a\n",
            "ARG TARGETPLATFORM=linux/x86_64\nFROM alpine AS a\n",
            Unsafe,
        ),
        // An ARG without a default keeps BuildKit's value (unsafe all the same, as above).
        (
            "RedundantTargetPlatform",
            "ARG TARGETPLATFORM\nFROM --platform=$TARGETPLATFORM alpine AS a\n",
            "ARG TARGETPLATFORM\nFROM alpine AS a\n",
            Unsafe,
        ),
        // (Pinned by the ARG's default, an OS alone too.)
        (
            "RedundantTargetPlatform",
            "ARG TARGETPLATFORM=linux\nFROM --platform=$TARGETPLATFORM alpine AS a\n",
            "ARG TARGETPLATFORM=linux\nFROM alpine AS a\n",
            Unsafe,
        ),
        (
            "MaintainerDeprecated",
            "FROM alpine\nMAINTAINER Jane <j@example.com>\n",
            "FROM alpine\nLABEL org.opencontainers.image.authors=\"Jane <j@example.com>\"\n",
            Unsafe,
        ),
        (
            "JSONArgsRecommended",
            "FROM alpine\nCMD serve --port=80\n",
            "FROM alpine\nCMD [\"serve\", \"--port=80\"]\n",
            Unsafe,
        ),
        // `exec` replaced the shell with the program: the exec form runs the program itself.
        (
            "JSONArgsRecommended",
            "FROM alpine\nENTRYPOINT exec nginx -g daemon\n",
            "FROM alpine\nENTRYPOINT [\"nginx\", \"-g\", \"daemon\"]\n",
            Unsafe,
        ),
        (
            "UndefinedVar",
            "FROM scratch\nENV HOME_DIR=/h\nWORKDIR $HOME_DI\n",
            "FROM scratch\nENV HOME_DIR=/h\nWORKDIR $HOME_DIR\n",
            Unsafe,
        ),
        (
            "unknown-stage",
            "FROM alpine AS builder\nFROM alpine\nCOPY --from=bulder /a /b\n",
            "FROM alpine AS builder\nFROM alpine\nCOPY --from=builder /a /b\n",
            Unsafe,
        ),
        ("unused-stage", "FROM alpine AS a\nRUN x\n\nFROM alpine\n", "FROM alpine\n", Manual),
    ];
    for &(code, text, want, applicability) in cases {
        assert_eq!(fix_of(text, code), (want.to_string(), applicability), "{code} on {text:?}");
    }
}

/// With the casing rule skipped, FromAsCasing's fix is its own (`AS` in the keyword's case).
#[test]
fn from_as_casing_fixes_its_own_way_when_the_casing_rule_is_skipped() {
    let text = "# check=skip=ConsistentInstructionCasing\nFROM alpine as base\nrun a\nrun b\n";
    assert_eq!(
        fix_of(text, "FromAsCasing").0,
        "# check=skip=ConsistentInstructionCasing\nFROM alpine AS base\nrun a\nrun b\n"
    );
}

#[test]
fn no_fix_where_the_result_would_not_mean_the_same() {
    let has_fix = |text: &str, code: &str| {
        analyze(text, &Options::default()).diagnostics().iter().any(|d| d.code == code && d.fix.is_some())
    };
    // Shell syntax, variables or quotes: the exec form would run something else.
    for cmd in ["serve && log", "serve $PORT", "serve \"a b\"", "serve *.conf", "serve > log"] {
        assert!(!has_fix(&format!("FROM alpine\nCMD {cmd}\n"), "JSONArgsRecommended"), "{cmd}");
    }
    // No program to run without the shell: a builtin, an assignment, `exec` with options.
    for cmd in ["cd /app", "export A=1", ". ./env", "PORT=80 serve", "exec -a name serve", "exec", "if"] {
        assert!(!has_fix(&format!("FROM alpine\nCMD {cmd}\n"), "JSONArgsRecommended"), "{cmd}");
    }
    // Where the exec form would not run the same (a fixes QA run on real files): a flag (it
    // fails the parse either way, and `CMD --port ["80"]` would too), an ENTRYPOINT in a stage
    // with a CMD (an exec-form ENTRYPOINT takes it as its arguments), a Windows stage (`npm` is
    // a `.cmd`, `dir` cmd.exe's: both need the shell).
    assert!(!has_fix("FROM node\nCMD --port 80\n", "JSONArgsRecommended"));
    let entrypoint = |text: &str| {
        let a = analyze(text, &Options::default());
        a.diagnostics()
            .iter()
            .any(|d| d.code == "JSONArgsRecommended" && d.fix.is_some() && d.message.contains("ENTRYPOINT"))
    };
    assert!(!entrypoint("FROM node\nCMD serve\nENTRYPOINT node server.js\n"));
    assert!(!entrypoint("FROM node\nENTRYPOINT node server.js\nCMD serve\n"));
    assert!(entrypoint("FROM node AS base\nCMD serve\nFROM base\nENTRYPOINT node server.js\n"), "another stage's CMD");
    // Nor a CMD beside an ENTRYPOINT (an exec-form one gets its words where it got `/bin/sh -c`).
    assert!(!has_fix(
        "FROM postgres\nENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD postgres -c x=1\n",
        "JSONArgsRecommended"
    ));
    let windows = Options { platform: Some("windows/amd64".into()), ..Options::default() };
    let on_windows = analyze("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD npm start\n", &windows);
    assert!(on_windows.diagnostics().iter().any(|d| d.code == "JSONArgsRecommended" && d.fix.is_none()));
    // COPY of a URL becomes ADD only where no context file is beside it, which ADD would
    // unpack where it is a tar archive (a fixes QA run).
    assert!(!has_fix("FROM alpine\nCOPY https://example.com/a.txt vendor.tar.gz /dst/\n", "invalid-copy"));
    assert!(has_fix("FROM alpine\nCOPY https://example.com/a.txt https://example.com/b.txt /dst/\n", "invalid-copy"));
    assert!(has_fix("FROM alpine\nCOPY https://example.com/a.txt git@github.com:o/r.git /dst/\n", "invalid-copy"));
    // A value that does not read the same inside double quotes.
    assert!(!has_fix("FROM alpine\nMAINTAINER \"Jane\"\n", "MaintainerDeprecated"));
    // A port that comes from a variable is not written as it reads.
    let text = "FROM alpine\nARG P=80/TCP\nEXPOSE $P\n";
    assert!(analyze(text, &Options::default()).diagnostics().iter().any(|d| d.code == "ExposeProtoCasing"));
    assert!(!has_fix(text, "ExposeProtoCasing"));
    // An unknown instruction keeps its name: the build's error quotes it.
    let text = "FROM alpine\nRUN a\nfrobnicate x\n";
    assert!(analyze(text, &Options::default()).diagnostics().iter().any(|d| d.code == "ConsistentInstructionCasing"));
    assert!(!has_fix(text, "ConsistentInstructionCasing"));
    // FromAsCasing looks at the middle word whatever it is; only an `as` gets its case fixed
    // (`foo` would become `AS` and the build error a new stage).
    for text in ["FROM alpine foo builder\nRUN echo\nFROM builder\n", "FROM alpine:3.20 \\\nfrom alpine:3.20\n"] {
        assert!(analyze(text, &Options::default()).diagnostics().iter().any(|d| d.code == "FromAsCasing"), "{text}");
        assert!(!has_fix(text, "FromAsCasing"), "{text}");
    }
    assert!(has_fix("FROM alpine as builder\n", "FromAsCasing"));
    // An `as` split by a line continuation: `AS` over its first part would make `ASs`, and a
    // "fix all" (FromAsCasing after the casing rule's fix) would break the build.
    for text in ["FROM alpine a\\\ns build\nRUN true\n", "from alpine a\\\n# c\ns build\nRUN true\nRUN true\n"] {
        let f = fix_text(text, &Options::default(), FixSet::Safe);
        let after = analyze(&f.text, &Options::default());
        assert!(after.build_error().is_none(), "{text:?} became {:?}", f.text);
        assert_eq!(after.stages()[0].name.as_deref(), Some("build"), "{:?}", f.text);
    }
}

/// BuildKit expands a legacy `ENV key value`'s value as written (its lexer takes the quotes
/// out), so `key=value` must be a word that expands to the same: `'a b'` stays `'a b'`, not
/// `"'a b'"`, whose single quotes would be kept. Checked by the value `$C` has after it, before
/// and after the fix.
#[test]
fn legacy_key_value_fix_keeps_the_value() {
    let fixed_values = [
        ("a b", "\"a b\""),
        ("a  b", "\"a  b\""),
        ("'a b'", "'a b'"),
        ("a'b c'", "a'b c'"),
        ("\"a b\"", "\"a b\""),
        ("'x'", "'x'"),
        ("$X y", "\"$X y\""),
        ("'a b'\"c d\"", "'a b'\"c d\""),
        ("${X:-a b}", "\"${X:-a b}\""),
        ("a\\ b", "a\\ b"),
        ("'a\\ b'", "'a\\ b'"),
        ("a\\b", "a\\b"),
    ];
    // A blank outside the quotes and a quote or escape: no word reads the same.
    let no_fix = ["'a b' c", "a 'b c'", "\"q\" rest", "a\\ b c", "a\\b c"];
    let value_of_c = |text: &str| {
        let a = analyze(text, &Options::default());
        let at = text.rfind("$C").unwrap() as u32;
        a.variable_at(at.into()).and_then(|v| v.value)
    };
    for (keyword, probe) in [("ENV", "WORKDIR /$C\n"), ("LABEL", "")] {
        for (value, want) in fixed_values {
            let text = format!("FROM alpine\nENV X=x\n{keyword} C {value}\n{probe}");
            let after = format!("FROM alpine\nENV X=x\n{keyword} C={want}\n{probe}");
            assert_eq!(fix_of(&text, "LegacyKeyValueFormat"), (after.clone(), Applicability::Safe), "{text:?}");
            if keyword == "ENV" {
                let before = value_of_c(&text);
                assert!(before.is_some(), "{text:?}");
                assert_eq!(value_of_c(&after), before, "{text:?} became {after:?}");
            }
        }
        for value in no_fix {
            let text = format!("FROM alpine\n{keyword} C {value}\n{probe}");
            let a = analyze(&text, &Options::default());
            let d = a.diagnostics().iter().find(|d| d.code == "LegacyKeyValueFormat");
            assert!(d.is_some_and(|d| d.fix.is_none()), "{text:?}: {d:?}");
        }
    }
    // A key that would not stay the word before the `=`: a blank BuildKit's legacy split does
    // not see (U+00A0, U+2005), quotes around a blank, an escape.
    for text in [
        "FROM alpine\nENV A\u{a0}b c\n",
        "FROM alpine\nENV A\u{2005}b c\n",
        "FROM alpine\nLABEL \"a b\" c\n",
        "FROM alpine\nENV a\\ b c\n",
    ] {
        let a = analyze(text, &Options::default());
        let d = a.diagnostics().iter().find(|d| d.code == "LegacyKeyValueFormat");
        assert!(d.is_some_and(|d| d.fix.is_none()), "{text:?}: {d:?}");
    }
    // The escape character is the file's: under `# escape=`` ` ``, a backtick escapes the blank.
    let text = "# escape=`\nFROM alpine\nENV C a` b\nWORKDIR /$C\n";
    let after = "# escape=`\nFROM alpine\nENV C=a` b\nWORKDIR /$C\n";
    assert_eq!(fix_of(text, "LegacyKeyValueFormat"), (after.to_string(), Applicability::Safe));
    assert_eq!(value_of_c(after), value_of_c(text));
    assert_eq!(value_of_c(text).as_deref(), Some("a b"));
    let text = "# escape=`\nFROM alpine\nENV C a\\ b\n";
    assert!(analyze(text, &Options::default())
        .diagnostics()
        .iter()
        .any(|d| d.code == "LegacyKeyValueFormat" && d.fix.is_none()));
}

/// A flag given twice fails the build ("duplicate flag specified"): a fix that takes one of
/// them away would mend that, so the findings about one of them have none.
#[test]
fn no_flag_removal_where_the_flag_is_given_twice() {
    for (text, code) in [
        ("FROM alpine AS x\nFROM alpine\nCOPY --from=x --from= /a /b\n", "empty-from"),
        ("FROM alpine\nCOPY --from= --from= a b\n", "empty-from"),
        ("FROM --platform=$TARGETPLATFORM --platform=linux/arm64 alpine\n", "RedundantTargetPlatform"),
        // The names as BuildKit reads them: split by a line continuation.
        ("FROM alpine AS x\nFROM alpine\nCOPY --fr\\\nom=x --from= /a /b\n", "empty-from"),
    ] {
        let a = analyze(text, &Options::default());
        assert!(a.build_error().is_some(), "{text:?}");
        let found: Vec<_> = a.diagnostics().iter().filter(|d| d.code == code).collect();
        assert!(!found.is_empty() && found.iter().all(|d| d.fix.is_none()), "{text:?}: {found:?}");
        assert_eq!(fixed(text, FixSet::Unsafe), text);
    }
    // Given once, the flag goes.
    assert_eq!(
        fix_of("FROM alpine AS x\nFROM alpine\nCOPY --from= /a /b\n", "empty-from"),
        ("FROM alpine AS x\nFROM alpine\nCOPY /a /b\n".to_string(), Applicability::Safe)
    );
}

#[test]
fn fix_all_takes_non_overlapping_fixes_in_passes() {
    // `from ... AS` on a mostly upper-case file: the keyword becomes FROM, then AS matches it.
    let text = "FROM alpine AS base\nRUN a\nfrom base as Next\nEXPOSE 80/TCP\nCOPY --from=Next /a /b\n";
    assert_eq!(
        fixed(text, FixSet::Safe),
        "FROM alpine AS base\nRUN a\nFROM base AS next\nEXPOSE 80/tcp\nCOPY --from=next /a /b\n"
    );
    // Unsafe fixes only when asked; removing an unused stage never in bulk.
    let text = "FROM alpine AS unused\nFROM alpine AS app\nCMD serve\n";
    assert_eq!(fixed(text, FixSet::Safe), text);
    assert_eq!(fixed(text, FixSet::Unsafe), "FROM alpine AS unused\nFROM alpine AS app\nCMD [\"serve\"]\n");
    let a = analyze(text, &Options::default());
    assert_eq!((a.fixable(FixSet::Safe), a.fixable(FixSet::Unsafe)), (0, 1));
    // Two fixes on the same text: `key=value` rewrites the value that the typo fix edits. One
    // pass takes one of them; the next pass the other.
    let text = "FROM scratch\nENV FOO=1\nENV A $FOOO\n";
    let a = analyze(text, &Options::default());
    assert_eq!(a.fixable(FixSet::Unsafe), 2);
    assert_eq!(a.fix_all_edits(FixSet::Unsafe).1, 1);
    assert_eq!(fixed(text, FixSet::Unsafe), "FROM scratch\nENV FOO=1\nENV A=$FOO\n");
}

/// What the build does: stages and their bases, where every reference goes, what each target
/// builds, the platform each stage is built for, and whether (and why) the build fails. Not
/// positions (a removed blank line moves them) and not the platform as written (a redundant
/// `--platform` goes; a stage without one is built for the build's, linux/amd64 here).
fn build(a: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = a
        .stages()
        .iter()
        .map(|s| {
            let platform = s.platform_expanded.as_deref().unwrap_or("linux/amd64");
            format!(
                "stage {} {:?} {:?} on {platform} builds {:?}",
                s.index,
                s.name,
                s.base_kind,
                a.target_builds(s.index)
            )
        })
        .collect();
    // (An empty `--from=` is recorded as a reference to the build context: the same as none.)
    for r in a.references().iter().filter(|r| r.target != RefTarget::Context) {
        let target = match &r.target {
            RefTarget::Image(i) => format!("image {i}"),
            other => format!("{other:?}"),
        };
        out.push(format!("ref {} in {} -> {target}", r.kind.as_str(), r.in_stage));
    }
    // Every ENV and LABEL pair as BuildKit's lexer reads it (variables left unset: the same in
    // both texts), which a rewritten pair must keep.
    let lexer = stagecraft_syntax::shell::Lexer::new(a.parse().tree().escape_char());
    for i in a.parse().tree().instructions() {
        let info = i.info_in(a.text());
        if matches!(info.keyword.to_ascii_uppercase().as_str(), "ENV" | "LABEL") {
            for kv in &info.pairs {
                let read = |w: &str| lexer.process_word(w, &stagecraft_syntax::shell::NoEnv).map(|e| e.result);
                out.push(format!(
                    "{} {:?}={:?}",
                    info.keyword.to_ascii_uppercase(),
                    read(&kv.key),
                    read(kv.value.as_deref().unwrap_or(""))
                ));
            }
        }
    }
    // Under `# check=error=true` the lint findings fail the build, and fixing them is the point.
    // (BuildKit's message, whose stage names StageNameCasing's fix may lower: stagecraft's hint
    // after it may quote the text as written.)
    // (Without the line BuildKit's parser names: a fix that takes a line away moves it.)
    let error = a.build_error().filter(|e| e.phase != "lint");
    out.push(format!(
        "fails: {:?}",
        error.map(|e| (e.phase, e.message_without_line().split("; ").next().map(str::to_lowercase)))
    ));
    out
}

#[test]
fn safe_fixes_keep_the_build_over_the_corpora() {
    let files = stagecraft_testkit::corpus_texts();
    let (mut changed, mut applied, mut total) = (0, 0, 0);
    for (name, text) in files {
        total += 1;
        let before = analyze(&text, &Options::default());
        let f = fix_text(&text, &Options::default(), FixSet::Safe);
        assert!(!f.unsettled, "{name}: safe fixes did not settle");
        if f.applied == 0 {
            assert_eq!(f.text, text, "{name}");
            continue;
        }
        changed += 1;
        applied += f.applied;
        assert_eq!(build(&before), build(&f.analysis), "{name}: safe fixes changed the build:\n{}", f.text);
        // Nothing safe is left, and fixing created no new kind of problem.
        assert_eq!(f.analysis.fixable(FixSet::Safe), 0, "{name}");
        for d in f.analysis.diagnostics() {
            assert!(
                before.diagnostics().iter().any(|b| b.code == d.code),
                "{name}: fixing brought a new {}: {}",
                d.code,
                d.message
            );
        }
        // The unsafe set settles too, and a pass never takes edits that overlap or start at the
        // same place.
        assert!(!fix_text(&text, &Options::default(), FixSet::Unsafe).unsettled, "{name}: unsafe fixes did not settle");
        let (mut edits, _) = before.fix_all_edits(FixSet::Unsafe);
        edits.sort_by_key(|e| e.range.start());
        for w in edits.windows(2) {
            assert!(w[0].range.end() <= w[1].range.start() && w[0].range.start() < w[1].range.start(), "{name}: {w:?}");
        }
    }
    println!("safe fixes: {applied} applied in {changed} of {total} files");
    assert!(changed > 10, "the corpora have files to fix ({changed})");
}

/// The build with stage `gone` taken out: every other stage (numbered as it will be), what it
/// is built on and every reference outside `gone`, with stage numbers after `gone` moved down.
fn build_without(a: &Analysis, gone: Option<usize>) -> Vec<String> {
    let renumber = |s: usize| match gone {
        Some(g) if s > g => s - 1,
        _ => s,
    };
    let mut out = Vec::new();
    for s in a.stages().iter().filter(|s| Some(s.index) != gone) {
        let base = match s.base_kind {
            BaseKind::Stage(t) => format!("stage {}", renumber(t)),
            ref other => format!("{other:?}"),
        };
        out.push(format!("stage {} {:?} on {base}", renumber(s.index), s.name));
    }
    for r in a.references().iter().filter(|r| Some(r.in_stage) != gone) {
        let target = match &r.target {
            RefTarget::Stage(t) => format!("stage {}", renumber(*t)),
            other => format!("{other:?}"),
        };
        out.push(format!("ref {} in {} -> {target}", r.kind.as_str(), renumber(r.in_stage)));
    }
    out
}

/// Removing an unused stage leaves every other stage as it was: no stage built on it is left
/// naming an image instead (no removal is offered while another stage uses it), and a
/// `--from=N` after it is renumbered.
#[test]
fn removing_an_unused_stage_keeps_the_others() {
    // `b` is built on `a`: only `b`, the stage nobody uses, can go first.
    let text = "FROM alpine AS a\nRUN x\n\nFROM a AS b\nRUN y\n\nFROM alpine AS final\nRUN z\n";
    let a = analyze(text, &Options::default());
    let fixes: Vec<(&str, bool)> = a
        .diagnostics()
        .iter()
        .filter(|d| d.code == "unused-stage")
        .map(|d| (&text[d.range], d.fix.is_some()))
        .collect();
    assert_eq!(fixes, [("a", false), ("b", true)]);
    let remove = |text: &str| {
        let a = analyze(text, &Options::default());
        let d = a.diagnostics().iter().find(|d| d.code == "unused-stage" && d.fix.is_some()).unwrap();
        stagecraft_analysis::TextEdit::apply_all(text, &d.fix.as_ref().unwrap().edits)
    };
    let once = remove(text);
    assert_eq!(once, "FROM alpine AS a\nRUN x\n\nFROM alpine AS final\nRUN z\n");
    assert_eq!(remove(&once), "FROM alpine AS final\nRUN z\n");
    // An index after the removed stage follows the stage it meant.
    let text = "FROM alpine AS old\nFROM alpine AS x\nFROM scratch\nCOPY --from=1 /a /a\nCOPY --from=x /b /b\n";
    let a = analyze(text, &Options::default());
    let d = a.diagnostics().iter().find(|d| d.code == "unused-stage").unwrap();
    assert_eq!(&text[d.range], "old");
    let fixed = stagecraft_analysis::TextEdit::apply_all(text, &d.fix.as_ref().unwrap().edits);
    assert_eq!(fixed, "FROM alpine AS x\nFROM scratch\nCOPY --from=0 /a /a\nCOPY --from=x /b /b\n");
    // An index written before the removed stage (a forward reference, found by the fuzzer:
    // the edits were out of order) is renumbered too.
    let text = "FROM alpine AS a\nCOPY --from=3 /x /y\nFROM alpine AS old\nFROM a AS b\nFROM alpine AS c\nCOPY --from=b /b /b\n";
    let a = analyze(text, &Options::default());
    let d = a.diagnostics().iter().find(|d| d.code == "unused-stage" && &text[d.range] == "old").unwrap();
    let fixed = stagecraft_analysis::TextEdit::apply_all(text, &d.fix.as_ref().unwrap().edits);
    assert_eq!(fixed, "FROM alpine AS a\nCOPY --from=2 /x /y\nFROM a AS b\nFROM alpine AS c\nCOPY --from=b /b /b\n");
    // `+2` is index 2 to BuildKit (`strconv.Atoi`), renumbered as `2` is (it was left, and then
    // named the stage it is in).
    let text = "FROM alpine AS first\nFROM alpine AS unused\nFROM alpine AS three\nFROM alpine\nCOPY --from=2 / /\nCOPY --from=+2 / /\nCOPY --from=02 / /\n";
    let a = analyze(text, &Options::default());
    let d = a.diagnostics().iter().find(|d| d.code == "unused-stage" && &text[d.range] == "unused").unwrap();
    let fixed = stagecraft_analysis::TextEdit::apply_all(text, &d.fix.as_ref().unwrap().edits);
    assert_eq!(fixed, "FROM alpine AS first\nFROM alpine AS three\nFROM alpine\nCOPY --from=1 / /\nCOPY --from=1 / /\nCOPY --from=1 / /\n");
    // The parser directives above the first stage are the file's: its description comment goes
    // with it, they stay (the escape directive went, and `/b` became an instruction).
    for eol in ["\n", "\r\n"] {
        let text = "# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\n# unused is left over\nFROM alpine AS unused\nFROM scratch\nCOPY a `\n  /b\n"
            .replace('\n', eol);
        let a = analyze(&text, &Options::default());
        let d = a.diagnostics().iter().find(|d| d.code == "unused-stage").unwrap();
        let fixed = stagecraft_analysis::TextEdit::apply_all(&text, &d.fix.as_ref().unwrap().edits);
        assert_eq!(
            fixed,
            "# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM scratch\nCOPY a `\n  /b\n"
                .replace('\n', eol)
        );
    }
    // An index in an ONBUILD trigger is read in each stage that runs it: no removal.
    let text = "FROM alpine AS old\nFROM alpine AS x\nFROM alpine AS p\nONBUILD COPY --from=1 /a /a\nFROM p\n";
    let a = analyze(text, &Options::default());
    let d = a.diagnostics().iter().find(|d| d.code == "unused-stage").unwrap();
    assert!(d.fix.is_none(), "{:?}", d.fix);
}

/// Over the corpora: every removal of an unused stage leaves the other stages and their
/// references as they were.
#[test]
fn unused_stage_removals_keep_the_build_over_the_corpora() {
    let files = stagecraft_testkit::corpus_texts();
    let mut removed = 0;
    for (name, text) in files {
        let a = analyze(&text, &Options::default());
        for d in a.diagnostics().iter().filter(|d| d.code == "unused-stage") {
            let Some(fix) = &d.fix else { continue };
            let gone = a.stage_at(d.range.start()).unwrap();
            let after = analyze(&stagecraft_analysis::TextEdit::apply_all(&text, &fix.edits), &Options::default());
            assert_eq!(build_without(&a, Some(gone)), build_without(&after, None), "{name}: removing stage {gone}");
            removed += 1;
        }
    }
    assert!(removed > 20, "only {removed} removals checked");
}

/// Lines that the safe fixes rewrite (casing, legacy pairs with quotes, escapes and variables,
/// protocols, redundant platforms, stage names in references) and lines that read them.
const PIECES: &[&str] = &[
    "FROM alpine AS Build",
    "from alpine as base",
    "FROM base AS app",
    "FROM Build AS Next",
    "FROM --platform=$TARGETPLATFORM alpine AS plat",
    "ARG TARGETPLATFORM=linux/amd64",
    "ENV A b c",
    "ENV B 'x y'",
    "ENV C a'b c'",
    "ENV D \"p q\" r",
    "ENV E $A-x",
    "ENV F ${B:-u v}",
    "ENV G a\\ b",
    "ENV H 'a b' c",
    "env I  spaced   out",
    "ENV J=$C K=\"$D\"",
    "ENV L \"a'b\" c",
    "ENV M 'a'\"b c\"",
    "ENV N a`b c",
    "ENV O ''",
    "ENV P\u{a0}q r",
    "LABEL \"s t\" u",
    "LABEL l 'x y'",
    "LABEL m v w",
    "label n \"$A $B\"",
    "COPY --from=Build /a /b",
    "COPY --from=Build --from= /a /b",
    "COPY --from= /a /b",
    "FROM --platform=$TARGETPLATFORM --platform=linux/arm64 alpine AS dup",
    "COPY --from=build /a /b",
    "RUN --mount=from=BASE,target=/m true",
    "EXPOSE 80/TCP",
    "expose 443/Udp $P",
    "RUN echo $A \\",
    "  $B",
    "WORKDIR /$C",
    "ARG V=1",
    "ARG W",
    "",
    "# a comment",
];

/// Random files of those lines (under either escape character): the safe fixes keep the
/// build, ENV and LABEL values as BuildKit's lexer reads them among it.
#[test]
fn random_texts_keep_the_build_after_safe_fixes() {
    let mut rng = stagecraft_testkit::Rng(0xf1c5_5afe);
    let (mut fixed_files, mut fixes) = (0, 0);
    for n in 0..3000 {
        let mut lines: Vec<&str> = Vec::new();
        if rng.below(6) == 0 {
            lines.push("# escape=`");
        }
        lines.push(if rng.below(2) == 0 { "FROM alpine AS Build" } else { "from alpine as base" });
        lines.extend((0..1 + rng.below(12)).map(|_| PIECES[rng.below(PIECES.len())]));
        let text = lines.join("\n") + "\n";
        let before = analyze(&text, &Options::default());
        let f = fix_text(&text, &Options::default(), FixSet::Safe);
        assert!(!f.unsettled, "random text {n}: safe fixes did not settle:\n{text}");
        if f.applied == 0 {
            continue;
        }
        fixed_files += 1;
        fixes += f.applied;
        assert_eq!(
            build(&before),
            build(&f.analysis),
            "random text {n}: safe fixes changed the build:\n{text}---\n{}",
            f.text
        );
    }
    assert!(fixed_files > 1000 && fixes > 2000, "{fixed_files} files, {fixes} fixes");
}
