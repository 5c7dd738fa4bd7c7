//! Queries and diagnostics, one small Dockerfile each. `$0` marks the cursor.

use stagecraft_analysis::queries::{CompletionKind, OutlineKind, TokenType, VariableSource, VariableValue};
use stagecraft_analysis::{
    analyze, Analysis, Applicability, BaseKind, GraphNode, Options, RefOrigin, RefTarget, Severity, TextEdit,
    TextRange, TextSize,
};

fn fixture(text: &str) -> (Analysis, TextSize) {
    let offset = text.find("$0").expect("fixture has a $0 cursor");
    let text = text.replacen("$0", "", 1);
    (analyze(&text, &Options::default()), TextSize::new(offset as u32))
}

/// The labels completion offers at the fixture's `$0`.
fn completion_labels(text: &str) -> Vec<String> {
    let (a, at) = fixture(text);
    a.completions(at).into_iter().map(|c| c.label).collect()
}

fn plain(text: &str) -> Analysis {
    analyze(text, &Options::default())
}

fn slice(a: &Analysis, r: TextRange) -> &str {
    &a.text()[r]
}

fn codes(a: &Analysis) -> Vec<&str> {
    a.diagnostics().iter().map(|d| d.code.as_str()).collect()
}

/// Each finding of `code`: the text it marks, its line and its message.
fn findings<'a>(a: &'a Analysis, code: &str) -> Vec<(&'a str, u32, &'a str)> {
    a.diagnostics()
        .iter()
        .filter(|d| d.code == code)
        .map(|d| (slice(a, d.range), a.line_of(d.range.start()), d.message.as_str()))
        .collect()
}

fn diag<'a>(a: &'a Analysis, code: &str) -> &'a stagecraft_analysis::Diagnostic {
    a.diagnostics().iter().find(|d| d.code == code).unwrap_or_else(|| panic!("no {code} in {:?}", codes(a)))
}

/// The edits of the fixes of every `code` finding (each must have one), in order.
fn fix_edits(a: &Analysis, code: &str) -> Vec<stagecraft_analysis::TextEdit> {
    let with_code = a.diagnostics().iter().filter(|d| d.code == code);
    with_code.flat_map(|d| d.fix.clone().unwrap_or_else(|| panic!("{code} without a fix: {d:?}")).edits).collect()
}

// ---- definition ----

#[test]
fn definition_from_copy_from() {
    let (a, at) = fixture("FROM alpine AS build\nRUN make\nFROM scratch\nCOPY --from=bu$0ild /out /\n");
    let (stage, range) = a.definition(at).unwrap();
    assert_eq!((stage, slice(&a, range)), (0, "build"));
}

#[test]
fn definition_from_mount_from() {
    let (a, at) = fixture("FROM alpine AS deps\nFROM alpine\nRUN --mount=type=bind,from=de$0ps,target=/d ls /d\n");
    assert_eq!(a.definition(at).map(|(s, _)| s), Some(0));
}

#[test]
fn definition_from_from_base_and_numeric_from() {
    let (a, at) = fixture("FROM alpine AS base\nFROM ba$0se AS next\n");
    assert_eq!(a.definition(at).map(|(s, _)| s), Some(0));
    let (a, at) = fixture("FROM alpine AS first\nFROM scratch\nCOPY --from=$00 /a /a\n");
    let (stage, range) = a.definition(at).unwrap();
    assert_eq!((stage, slice(&a, range)), (0, "first"));
}

#[test]
fn definition_inside_onbuild_trigger() {
    let (a, at) = fixture("FROM alpine AS src\nFROM alpine AS base\nONBUILD COPY --from=s$0rc /a /a\nFROM base\n");
    assert_eq!(a.definition(at).map(|(s, _)| s), Some(0));
}

/// A stage without a name is found from its `FROM` (where go-to-definition on `--from=0`
/// goes), outside the image it names: references, and a rename that says why it cannot.
#[test]
fn references_from_the_from_of_a_stage_without_a_name() {
    let (a, at) = fixture("FR$0OM alpine\nFROM alpine AS b\nCOPY --from=0 / /\n");
    let found: Vec<&str> = a.references_at(at).iter().map(|o| slice(&a, o.range)).collect();
    assert_eq!(found, ["FROM alpine", "0"]);
    assert!(a.prepare_rename(at).is_err());
    // Its keyword, flags and variables keep their own hovers.
    assert_eq!(a.hover(at).map(|h| slice(&a, h.range).to_string()).as_deref(), Some("FROM"));
    let (a, at) = fixture("FROM --platform=$BUILD$0PLATFORM alpine\nFROM alpine AS b\nCOPY --from=0 / /\n");
    assert!(a.hover(at).is_some_and(|h| h.markdown.contains("BUILDPLATFORM")), "{:?}", a.hover(at));
    // The image is the image's.
    let (a, at) = fixture("FROM alp$0ine\nFROM alpine AS b\nCOPY --from=0 / /\n");
    assert!(a.references_at(at).is_empty());
    // A named stage's FROM keyword is not its name.
    let (a, at) = fixture("FR$0OM alpine AS a\nFROM alpine AS b\nCOPY --from=0 / /\n");
    assert!(a.references_at(at).is_empty());
}

/// A stage is shown by BuildKit's name: `AS Build` is `build` in its progress output and to
/// `--target`, so in every list of stages too.
#[test]
fn stages_are_shown_by_buildkits_name() {
    let a = plain("FROM alpine AS Base\nFROM Base\nFROM base AS Build\nCOPY --from=0 / /\n");
    let shown: Vec<String> = a.stages().iter().map(|s| s.display_name()).collect();
    assert_eq!(shown, ["base", "stage-1", "build"]);
    assert_eq!(a.stages()[2].name_as_written.as_deref(), Some("Build"));
}

#[test]
fn no_definition_for_images() {
    let (a, at) = fixture("FROM alp$0ine\nCOPY --from=nginx:latest /a /a\n");
    assert_eq!(a.definition(at), None);
    let (a, at) = fixture("FROM alpine\nCOPY --from=ngi$0nx:latest /a /a\n");
    assert_eq!(a.definition(at), None);
}

// ---- references ----

#[test]
fn references_list_definition_and_uses() {
    let (a, at) = fixture(
        "FROM alpine AS bu$0ild\nRUN make\nFROM build AS test\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\nRUN --mount=from=Build,target=/x true\n",
    );
    let refs = a.references_at(at);
    let texts: Vec<(&str, bool)> = refs.iter().map(|o| (slice(&a, o.range), o.is_definition)).collect();
    assert_eq!(texts, [("build", true), ("build", false), ("build", false), ("0", false), ("Build", false)]);
}

// ---- rename ----

#[test]
fn rename_changes_every_named_reference_and_keeps_indices() {
    let text = "FROM alpine AS build\nFROM build AS test\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\nRUN --mount=type=cache,from=BUILD,target=/c true\n";
    let (a, at) = fixture(&text.replacen("AS build", "AS bu$0ild", 1));
    let edits = a.rename(at, "compile").unwrap();
    let out = TextEdit::apply_all(a.text(), &edits);
    assert_eq!(
        out,
        "FROM alpine AS compile\nFROM compile AS test\nFROM scratch\nCOPY --from=compile /a /a\nCOPY --from=0 /b /b\nRUN --mount=type=cache,from=compile,target=/c true\n"
    );
    let again = plain(&out);
    assert_eq!(again.plan(2).stages, a.plan(2).stages);
}

/// Renaming a stage to the name its `AS` already has changes nothing, not even a reference
/// written in another case; a change of the `AS` name's case rewrites every reference.
#[test]
fn rename_to_the_name_it_has_changes_nothing() {
    let text = "FROM alpine AS build\nFROM scratch\nCOPY --from=BUILD /a /a\nRUN --mount=from=Build,target=/c true\n";
    assert_eq!(plain(text).rename_stage(0, "build").unwrap(), vec![]);
    let cased = text.replace("AS build", "AS Build");
    let renamed = TextEdit::apply_all(&cased, &plain(&cased).rename_stage(0, "build").unwrap());
    assert_eq!(renamed, text.replace("BUILD", "build").replace("Build", "build"));
}

/// `ARG SOURCE_DATE_EPOCH=<stage>` names a stage BuildKit reads the time of its one remote
/// source from: the stage is not unused (removing it fails the build), and a rename follows the
/// name there, or refuses where the name comes through a variable or a build arg.
#[test]
fn a_stage_source_date_epoch_names_is_used_and_renamed_with_it() {
    let text =
        "ARG SOURCE_DATE_EPOCH=mysource\nFROM scratch AS mysource\nADD https://example.com/src.tar /\nFROM busybox\n";
    let a = plain(text);
    assert!(a.unused_stages().is_empty(), "{:?}", a.unused_stages());
    let renamed = TextEdit::apply_all(text, &a.rename_stage(0, "src").unwrap());
    assert!(renamed.starts_with("ARG SOURCE_DATE_EPOCH=src\nFROM scratch AS src\n"), "{renamed}");
    assert!(plain(&renamed).build_error().is_none(), "{renamed}");
    let through = plain(&format!("ARG N=mysource\n{}", text.replace("=mysource", "=${N}")));
    let e = through.rename_stage(0, "src").unwrap_err();
    assert!(e.to_string().contains("SOURCE_DATE_EPOCH names stage `mysource` in a form a rename cannot follow"), "{e}");
    let by_arg = analyze(
        text,
        &Options { build_args: vec![("SOURCE_DATE_EPOCH".into(), "mysource".into())], ..Options::default() },
    );
    assert!(by_arg.rename_stage(0, "src").is_err());
    // A change of case only is no refusal (BuildKit matches the name without case): the
    // casing rule keeps its fix.
    let cased = plain(&text.replace("AS mysource", "AS MySource").replace("=mysource", "=${N}").replacen(
        "ARG",
        "ARG N=mysource\nARG",
        1,
    ));
    assert!(cased.rename_stage(0, "mysource").is_ok());
    assert!(cased.diagnostics().iter().any(|d| d.code == "StageNameCasing" && d.fix.is_some()));
    // BuildKit's packages match the value with `strings.EqualFold` (`ſrc` names `src`), but
    // `docker build` looks it up as a named context first, which fails for what is no image name:
    // said as our own error.
    let folded = plain(&text.replace("=mysource", "=\u{17F}rc").replace("AS mysource", "AS src"));
    assert!(folded.build_error().is_none() && folded.unused_stages().is_empty(), "{:?}", folded.build_error());
    let d = diag(&folded, "source-date-epoch-not-a-reference");
    assert!(d.message.contains("invalid context name \u{17F}rc"), "{}", d.message);
    assert!(!codes(&a).contains(&"source-date-epoch-not-a-reference"));
    // A value in quotes is followed too.
    let quoted = text.replace("=mysource", "=\"mysource\"");
    let renamed = TextEdit::apply_all(&quoted, &plain(&quoted).rename_stage(0, "src").unwrap());
    assert!(renamed.starts_with("ARG SOURCE_DATE_EPOCH=\"src\"\nFROM scratch AS src\n"), "{renamed}");
    let single = text.replace("=mysource", "='mysource'");
    let renamed = TextEdit::apply_all(&single, &plain(&single).rename_stage(0, "src").unwrap());
    assert!(renamed.starts_with("ARG SOURCE_DATE_EPOCH='src'\nFROM scratch AS src\n"), "{renamed}");
    // Written in parts (quotes around some of it, a line continuation inside): refused.
    for parts in ["=\"my\"source", "=mys\\\nource", "=\"mysource\"\"\""] {
        let split = text.replace("=mysource", parts);
        let a = plain(&split);
        assert!(a.unused_stages().is_empty(), "{split}");
        assert!(a.rename_stage(0, "src").is_err(), "{split}");
    }
}

/// A name split by line continuations is renamed where it stands: the new name takes its last
/// part, the other parts go, and the comment lines and breaks between them stay.
#[test]
fn rename_keeps_the_lines_of_a_split_name() {
    let text = "FROM alpine AS ba\\\n\\\nse\nRUN true\nFROM alpine\nCOPY --from=ba\\\n# keep this comment\nse /a /b\nRUN --mount=from=ba\\\nse,target=/x true\n";
    let a = plain(text);
    let renamed = TextEdit::apply_all(text, &a.rename_stage(0, "core").unwrap());
    assert_eq!(
        renamed,
        "FROM alpine AS \\\n\\\ncore\nRUN true\nFROM alpine\nCOPY --from=\\\n# keep this comment\ncore /a /b\nRUN --mount=from=\\\ncore,target=/x true\n"
    );
    let b = plain(&renamed);
    assert_eq!(b.stages()[0].name.as_deref(), Some("core"));
    assert_eq!(b.references().iter().filter(|r| r.stage() == Some(0)).count(), 2, "{renamed}");
    assert!(b.build_error().is_none());
}

/// A mount's `from=` written with quotes (BuildKit unquotes flag words before reading the
/// mount): the reference covers the value with its own quotes, not a quote that encloses the
/// whole option, so a rename leaves the quoting balanced and the mount naming the new name. A
/// name quoted whole keeps its quotes; one partly quoted is written anew.
#[test]
fn rename_keeps_a_quoted_mount_from_balanced() {
    for (from, renamed) in [
        (r#"from="builder""#, r#"from="b2""#),
        ("from='builder'", "from='b2'"),
        (r#"from=build"er""#, "from=b2"),
        (r#""from=builder""#, r#""from=b2""#),
        ("'from=builder'", "'from=b2'"),
    ] {
        for mount in [format!("type=bind,{from},target=/y"), format!("{from},target=/y"), format!("target=/y,{from}")] {
            let text = format!("FROM alpine AS builder\nFROM alpine\nRUN --mount={mount} true\n");
            let a = plain(&text);
            let r = a.references().iter().find(|r| r.kind.as_str() == "mount-from").expect(&text);
            assert_eq!(r.target, RefTarget::Stage(0), "{text}");
            let at = TextSize::new(text.find("AS builder").unwrap() as u32 + 3);
            let out = TextEdit::apply_all(a.text(), &a.rename(at, "b2").unwrap());
            assert_eq!(out, text.replace("AS builder", "AS b2").replace(from, renamed), "{text}");
            let again = plain(&out);
            let r = again.references().iter().find(|r| r.kind.as_str() == "mount-from").unwrap();
            assert_eq!((&r.target, again.stages()[0].name.as_deref()), (&RefTarget::Stage(0), Some("b2")), "{out}");
        }
    }
    // The whole flag word quoted: the option's closing quote stays where it was.
    let text = "FROM alpine AS builder\nFROM alpine\nRUN --mount='type=bind,from=builder' true\n";
    let a = plain(text);
    let out = TextEdit::apply_all(a.text(), &a.rename(TextSize::new(16), "b2").unwrap());
    assert_eq!(out, "FROM alpine AS b2\nFROM alpine\nRUN --mount='type=bind,from=b2' true\n");
}

/// A stage without a name occurs at its `FROM` (where go-to-definition goes), so references
/// with the declaration and highlights agree.
#[test]
fn a_stage_without_a_name_occurs_at_its_from() {
    let (a, at) = fixture("FROM alpine\nRUN x\nFROM scratch\nCOPY --from=$00 /a /a\n");
    let found: Vec<(&str, bool)> = a.references_at(at).iter().map(|o| (slice(&a, o.range), o.is_definition)).collect();
    assert_eq!(found, [("FROM alpine", true), ("0", false)]);
    assert_eq!(a.definition(at).map(|(_, r)| slice(&a, r)), Some("FROM alpine"));
}

/// A `--from` in an `ONBUILD` trigger names a stage of the build that runs the trigger: where a
/// stage of this file is built on the trigger's, this file's (the rename follows it there); else
/// the stages of Dockerfiles built on this image (the rename leaves it, and refuses from it).
#[test]
fn rename_follows_an_onbuild_trigger_only_where_a_stage_here_runs_it() {
    let run = "FROM alpine AS builder\nFROM alpine AS base\nONBUILD COPY --from=builder /a /b\n\
               ONBUILD RUN --mount=from=x,target=/x --mount=from=builder,target=/b true\nFROM base\n";
    let (a, at) = fixture(&run.replacen("AS builder", "AS bui$0lder", 1));
    let out = TextEdit::apply_all(a.text(), &a.rename(at, "compiler").unwrap());
    assert_eq!(out, run.replace("builder", "compiler"));
    let found: Vec<&str> = a.references_at(at).iter().map(|o| slice(&a, o.range)).collect();
    assert_eq!(found, ["builder"; 3]);
    assert_eq!(a.reference_counts()[0], 2);
    // From the trigger, the same.
    let (a, at) = fixture(&run.replacen("--from=builder", "--from=bu$0ilder", 1));
    assert_eq!(TextEdit::apply_all(a.text(), &a.rename(at, "compiler").unwrap()), run.replace("builder", "compiler"));

    let downstream = "FROM alpine AS builder\nFROM alpine AS base\nONBUILD COPY --from=builder /a /b\n\
                      FROM alpine\nCOPY --from=builder /x /y\n";
    let (a, at) = fixture(&downstream.replacen("AS builder", "AS bui$0lder", 1));
    let out = TextEdit::apply_all(a.text(), &a.rename(at, "compiler").unwrap());
    assert_eq!(
        out,
        "FROM alpine AS compiler\nFROM alpine AS base\nONBUILD COPY --from=builder /a /b\nFROM alpine\nCOPY --from=compiler /x /y\n"
    );
    let lines: Vec<u32> = a.references_at(at).iter().map(|o| a.line_of(o.range.start())).collect();
    assert_eq!(lines, [1, 5]);
    assert_eq!(a.reference_counts()[0], 1);
    let (a, at) = fixture(&downstream.replacen("--from=builder /a", "--from=bu$0ilder /a", 1));
    let refused = a.rename(at, "compiler").unwrap_err().0;
    assert!(refused.starts_with("no stage here runs this ONBUILD trigger"), "{refused}");
    assert_eq!(a.prepare_rename(at).unwrap_err().0, refused);
    // Nor is it this file's stage to go to, find or highlight (the rename's reading); its hover
    // says why.
    assert_eq!(a.definition(at), None);
    assert!(a.references_at(at).is_empty());
    let hover = a.hover(at).expect("a hover").markdown;
    assert!(
        hover.starts_with("**ONBUILD trigger** `builder`\n\nNo stage of this file is built on this one"),
        "{hover}"
    );
    // The model says so too: the trigger's reference resolves to nothing here, before the rename
    // and after it (the analysis is the same graph with the name changed), and to the stage
    // where a stage here runs the trigger.
    let trigger_targets = |text: &str| -> Vec<RefTarget> {
        let a = plain(text);
        a.references().iter().filter(|r| r.origin == RefOrigin::OnbuildTrigger).map(|r| r.target.clone()).collect()
    };
    assert_eq!(trigger_targets(downstream), [RefTarget::NotRunHere]);
    assert_eq!(trigger_targets(&out), [RefTarget::NotRunHere]);
    // (So is a trigger that names an image, which a rename may take the name of, and an index;
    // not what reads the same wherever it runs: an image no stage can be named after, the build
    // context, `scratch`, a variable BuildKit refuses.)
    let unrun = "FROM alpine AS a\nONBUILD COPY --from=alpine /a /b\nONBUILD COPY --from=7 /a /b\n\
                 ONBUILD COPY --from=alpine:3 /a /b\nONBUILD COPY --from= /a /b\nONBUILD COPY --from=scratch /a /b\n\
                 ONBUILD RUN --mount=from=${X},target=/m true\n";
    let targets = trigger_targets(unrun);
    assert_eq!(
        targets[..5],
        [
            RefTarget::NotRunHere,
            RefTarget::NotRunHere,
            RefTarget::Image("alpine:3".into()),
            RefTarget::Context,
            RefTarget::Image("scratch".into()),
        ]
    );
    assert!(matches!(targets[5], RefTarget::Invalid(_)), "{targets:?}");
    // Highlighted as the stage references they most likely are where they run.
    let a = plain(unrun);
    let highlighted: Vec<(&str, TokenType)> = a
        .semantic_tokens()
        .into_iter()
        .filter(|t| matches!(t.ty, TokenType::StageReference | TokenType::Image))
        .map(|t| (slice(&a, t.range), t.ty))
        .collect();
    assert!(highlighted.contains(&("7", TokenType::StageReference)), "{highlighted:?}");
    assert!(highlighted.contains(&("alpine:3", TokenType::Image)), "{highlighted:?}");
    assert_eq!(
        highlighted.iter().filter(|(t, _)| *t == "alpine").count(),
        2,
        "the base and the trigger's: {highlighted:?}"
    );
    assert_eq!(trigger_targets(&format!("{downstream}FROM base\n")), [RefTarget::Stage(0)]);
    // After the rename, the trigger's `builder` names no stage here, and nothing says it does:
    // no unknown-stage "did you mean `compiler`" (the Dockerfiles built on this image have their
    // own `builder`), and renaming back is no rename onto an image this build pulls.
    let renamed = plain(&out);
    assert!(!renamed.diagnostics().iter().any(|d| d.code == "unknown-stage"), "{:?}", renamed.diagnostics());
    let (a, at) = fixture(&out.replacen("AS compiler", "AS compi$0ler", 1));
    assert_eq!(TextEdit::apply_all(a.text(), &a.rename(at, "builder").unwrap()), downstream);
    // Where a stage here runs the trigger, its name is this build's and is checked.
    let typo = "FROM alpine AS builder\nFROM alpine AS base\nONBUILD COPY --from=buidler /a /b\nFROM base\n";
    let found: Vec<String> = plain(typo).diagnostics().iter().map(|d| d.code.clone()).collect();
    assert!(found.iter().any(|c| c == "unknown-stage"), "{found:?}");
}

#[test]
fn rename_from_a_reference_and_prepare() {
    let (a, at) = fixture("FROM alpine AS build\nFROM scratch\nCOPY --from=bui$0ld /a /a\n");
    let (range, name) = a.prepare_rename(at).unwrap();
    assert_eq!((slice(&a, range), name.as_str()), ("build", "build"));
    assert_eq!(a.rename(at, "b2").unwrap().len(), 2);
    // From `--from=0` the editor's box goes on the number (where the cursor is), filled with the
    // stage's name; the rename changes the name and leaves the number.
    let (a, at) = fixture("FROM alpine AS build\nFROM scratch\nCOPY --from=$00 /a /a\nCOPY --from=build /b /b\n");
    let (range, name) = a.prepare_rename(at).unwrap();
    assert_eq!((slice(&a, range), name.as_str()), ("0", "build"));
    let out = TextEdit::apply_all(a.text(), &a.rename(at, "b2").unwrap());
    assert_eq!(out, "FROM alpine AS b2\nFROM scratch\nCOPY --from=0 /a /a\nCOPY --from=b2 /b /b\n");
}

#[test]
fn rename_refuses_with_reasons() {
    let text =
        "FROM alpine AS bu$0ild\nFROM alpine AS test\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=nginx /n /n\n";
    let (a, at) = fixture(text);
    for (name, reason) in [
        ("Build2", "lower-case"),
        ("9lives", "not a valid stage name"),
        ("with space", "not a valid stage name"),
        ("scratch", "reserved"),
        ("context", "reserved"),
        ("test", "already exists"),
        ("nginx", "used as an image"),
        ("", "empty"),
    ] {
        let err = a.rename(at, name).unwrap_err();
        assert!(err.0.contains(reason), "{name}: {err}");
    }
    // A reference through a variable would not follow the new name.
    let (a, at) = fixture("ARG B=build\nFROM alpine AS bu$0ild\nFROM ${B}\n");
    assert!(a.rename(at, "compile").unwrap_err().0.contains("also referenced as `${B}` on line 3"));
    assert!(a.prepare_rename(at).is_err());
    // An unnamed stage has nothing to rename.
    let (a, at) = fixture("FROM alpine\nFROM scratch\nCOPY --from=$00 /a /a\n");
    assert!(a.rename(at, "x").unwrap_err().0.contains("has no name"));
    // An upper-case name that lower-cased is still no stage name gets that reason, not a
    // suggestion of another invalid name.
    let (a, at) = fixture("FROM alpine AS bu$0ild\n");
    assert!(a.rename(at, "Compile").unwrap_err().0.contains("use `compile`"));
    // Nor one the lower-cased name would be refused for: reserved, taken, an image's.
    let (a, at) = fixture("FROM nginx\nFROM alpine AS bu$0ild\nFROM alpine AS b\nCOPY --from=Nginx / /\n");
    for (upper, reason) in [
        ("Scratch", "`scratch` is reserved"),
        ("Context", "`context` is reserved"),
        ("B", "a stage named `b` already exists"),
        ("NGINX", "`nginx` is used as an image on line 4"),
    ] {
        let e = a.rename(at, upper).unwrap_err().0;
        assert!(e.contains(reason) && !e.contains("use `"), "{upper}: {e}");
        assert!(e.starts_with("stage names are lower-case"), "{upper}: {e}");
    }
    for bad in ["Bad Name", "A B", "Node:20", "\u{dc}ber"] {
        let e = a.rename(at, bad).unwrap_err().0;
        assert!(e.contains("is not a valid stage name"), "{bad}: {e}");
    }
    // Not a stage at all.
    let (a, at) = fixture("FROM alp$0ine\n");
    assert!(a.prepare_rename(at).is_err());
}

/// A rename to a name some reference uses as an image is refused: a `FROM` after the stage or
/// any `--from` would take the stage instead. A `FROM` before it would keep the image (FROM
/// binds only earlier stages), but stagecraft reads that as a stage used before its definition
/// (`forward-stage-reference`, an error): refused too, saying which it is. (Stop 37 changed
/// this: the rename was allowed and left a file with that error.)
#[test]
fn rename_to_an_image_name_refuses_only_where_the_image_would_become_the_stage() {
    let text = "FROM busybox\nFROM alpine AS two\nFROM two\n";
    let a = plain(text);
    let at = TextSize::new(text.find("two").unwrap() as u32);
    let e = a.rename(at, "busybox").unwrap_err();
    assert!(e.0.contains("used as an image on line 1: it would stay the image"), "{}", e.0);
    // A later base written with a variable that may expand to the new name would take the
    // stage with some build arg.
    let text2 = "FROM alpine AS first\nFROM build-${V} AS early\n";
    let a2 = plain(text2);
    let e = a2.rename(TextSize::new(text2.find("first").unwrap() as u32), "build-x").unwrap_err();
    assert!(e.0.contains("`FROM build-${V}` (line 2) may name `build-x`"), "{}", e.0);
    assert!(a2.rename(TextSize::new(text2.find("first").unwrap() as u32), "compile").is_ok());
    let forced = plain("FROM busybox\nFROM alpine AS busybox\nFROM busybox\n");
    assert!(forced.diagnostics().iter().any(|d| d.code == "forward-stage-reference"));
    assert_eq!(
        TextEdit::apply_all(a.text(), &a.rename(at, "busybox2").unwrap()),
        "FROM busybox\nFROM alpine AS busybox2\nFROM busybox2\n"
    );
    for (text, line) in [
        ("FROM alpine AS two\nFROM busybox\nFROM two\n", 2),
        ("FROM busybox\nCOPY --from=busybox /a /a\nFROM alpine AS two\n", 2),
        ("FROM alpine AS two\nFROM scratch\nCOPY --from=BusyBox /a /a\n", 3),
    ] {
        let a = plain(text);
        let at = TextSize::new(text.find("two").unwrap() as u32);
        let e = a.rename(at, "busybox").unwrap_err();
        assert!(e.0.contains(&format!("used as an image on line {line}")), "{text}: {}", e.0);
    }
}

#[test]
fn rename_keeps_the_description_comment_naming_the_stage() {
    let (a, at) =
        fixture("# build compiles it\n# (more words)\nFROM alpine AS bu$0ild\nFROM scratch\nCOPY --from=build /a /a\n");
    assert_eq!(a.stages()[0].description.as_deref(), Some("compiles it"));
    let edits = a.rename(at, "compile").unwrap();
    let spans: Vec<&str> = edits.iter().map(|e| slice(&a, e.range)).collect();
    assert_eq!(spans, ["build", "build", "build"]);
    assert_eq!(u32::from(edits[0].range.start()), 2, "the word after `# `");
    // Not a description (an indented comment keeps its `#` for BuildKit; another word first).
    for text in ["  # build compiles it\nFROM alpine AS bu$0ild\n", "# builds it\nFROM alpine AS bu$0ild\n"] {
        let (a, at) = fixture(text);
        assert_eq!(a.rename(at, "compile").unwrap().len(), 1, "{text}");
    }
}

#[test]
fn an_onbuild_trigger_is_checked_where_it_runs_not_where_it_is_written() {
    // Nothing builds on `a`: its trigger never runs, so its image reference is never parsed.
    let a = plain("FROM alpine AS a\nONBUILD COPY --from=Foo /x /y\nFROM alpine\nRUN true\n");
    assert!(!codes(&a).contains(&"invalid-image-reference"), "{:?}", codes(&a));
    // Where it runs, the bad reference fails the build once, at the trigger.
    let a = plain("FROM alpine AS a\nONBUILD COPY --from=Foo /x /y\nFROM a\n");
    assert_eq!(codes(&a).iter().filter(|c| **c == "invalid-image-reference").count(), 1, "{:?}", codes(&a));
}

// ---- completion ----

#[test]
fn complete_stage_names_after_copy_from() {
    let (a, at) =
        fixture("FROM alpine AS build\n# build compiles\nFROM alpine AS test\nFROM scratch\nCOPY --from=b$0\n");
    let c = a.completions(at);
    let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["build", "test"]);
    assert!(c.iter().all(|c| c.kind == CompletionKind::Stage && slice(&a, c.replace) == "b"));
    // In a quoted value the quotes stay: the word inside them is replaced.
    for text in [
        "FROM alpine AS build\nFROM alpine\nCOPY --from=\"bu$0\" /a /b\n",
        "FROM alpine AS build\nFROM alpine\nCOPY --from='bu$0 /a /b\n",
        "FROM alpine AS build\nFROM alpine\nRUN --mount=type=bind,from=\"bu$0\" true\n",
    ] {
        let (a, at) = fixture(text);
        let c = a.completions(at);
        assert_eq!(
            c.iter().map(|c| (c.label.as_str(), slice(&a, c.replace))).collect::<Vec<_>>(),
            [("build", "bu")],
            "{text:?}"
        );
    }
    // After the closing quote, the whole quoted word is replaced (quotes and all).
    let (a, at) = fixture("FROM alpine AS build\nFROM alpine\nCOPY --from=\"build\"$0 /a /b\n");
    assert!(a.completions(at).iter().all(|c| slice(&a, c.replace) == "\"build\""), "{:?}", a.completions(at));
    assert!(!a.completions(at).is_empty());
}

/// A later stage that a named build context replaces is the context, loaded before any stage is
/// built: `--from` may name it, and completion offers it as the context.
#[test]
fn a_later_stage_a_named_context_replaces_is_offered_after_copy_from() {
    let text = "FROM alpine AS a\nCOPY --from=$0 /x /y\nFROM busybox AS tools\nFROM alpine AS later\n";
    let at = TextSize::new(text.find("$0").unwrap() as u32);
    let code = text.replacen("$0", "", 1);
    let options = Options { named_contexts: vec!["tools".into()], ..Options::default() };
    let a = analyze(&code, &options);
    let c = a.completions(at);
    assert_eq!(
        c.iter().map(|c| (c.label.as_str(), c.kind, c.detail.as_deref())).collect::<Vec<_>>(),
        [("tools", CompletionKind::NamedContext, Some("named build context (it replaces stage 1)"))]
    );
    assert!(a.build_error().is_none(), "{:?}", a.build_error());
}

#[test]
fn a_stage_repeating_an_earlier_name_is_not_offered_that_name_after_copy_from() {
    // `--from=build` in the second `build` finds the last stage of the name, the stage itself:
    // the earlier `build` is not what it would take from, so the name is not offered at all.
    assert_eq!(
        completion_labels("FROM alpine AS build\nFROM alpine AS other\nFROM alpine AS build\nCOPY --from=$0 /a /b\n"),
        ["other"]
    );
    // FROM finds the last earlier stage of a name: there the earlier `build` is offered.
    assert_eq!(completion_labels("FROM alpine AS build\nFROM $0 AS build\n"), ["build", "scratch"]);
}

/// A stage defined after the current one is not offered after `--from=` or a mount's `from=`:
/// BuildKit fails on a reference to it (`forward-reference`). Nor is a name a later stage has
/// too: `--from` finds the last stage of a name.
#[test]
fn later_stages_are_not_offered_after_copy_or_mount_from() {
    let (a, at) = fixture(
        "# base it all\nFROM alpine AS base\nFROM base AS build\nCOPY --from=$0 /a /b\nFROM scratch AS later\n",
    );
    let c = a.completions(at);
    let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["base"]);
    assert_eq!(c[0].detail.as_deref(), Some("stage 0 · FROM alpine"));
    assert_eq!(c[0].documentation.as_deref(), Some("it all"));
    let text = "FROM alpine AS deps\nFROM alpine AS tools\nFROM alpine AS build\nRUN --mount=type=cache,from=$0 \\\n  true\nFROM alpine AS tools\nFROM alpine AS test\n";
    assert_eq!(completion_labels(text), ["deps"], "`tools` is the later stage's name too");
}

#[test]
fn a_trigger_completes_as_the_stages_that_run_it() {
    // `ONBUILD COPY --from=` runs in the stages built on this one (`app`, `app2`): only the
    // stages before the first that runs it are earlier for all of them (`mid` would fail the
    // build of `app`, and `app` its own); that one and the stages after it are left out, as a
    // stage is in its own `--from=`.
    let text = "FROM alpine AS base\nFROM base AS tmpl\nONBUILD COPY --from=$0 /a /b\nFROM tmpl AS app\nFROM alpine AS mid\nFROM tmpl AS app2\nFROM alpine AS late\n";
    assert_eq!(completion_labels(text), ["base", "tmpl"]);
    // No stage runs the trigger: all are offered.
    let text = "FROM alpine AS base\nFROM base AS tmpl\nONBUILD COPY --from=$0 /a /b\nFROM alpine AS other\n";
    assert_eq!(completion_labels(text), ["base", "tmpl", "other"]);
    // After `ONBUILD `: the keywords a trigger may be (not ONBUILD, FROM or MAINTAINER).
    for text in ["FROM alpine\nONBUILD $0\n", "FROM alpine\nonbuild R$0\n"] {
        let (a, at) = fixture(text);
        let labels: Vec<String> = a.completions(at).into_iter().map(|c| c.label.to_uppercase()).collect();
        assert!(labels.contains(&"RUN".to_string()) && labels.contains(&"COPY".to_string()), "{text:?}: {labels:?}");
        assert!(!labels.iter().any(|l| ["ONBUILD", "FROM", "MAINTAINER"].contains(&l.as_str())), "{labels:?}");
    }
}

/// The word a completion replaces ends before a line continuation: accepting `deps` at
/// `from=de|\` keeps the `\` (either escape character, blanks after it or not).
#[test]
fn a_completion_keeps_the_line_continuation_after_the_word() {
    for (text, word) in [
        ("FROM alpine AS deps\nFROM alpine\nRUN --mount=type=cache,from=de$0\\\n  true\n", "de"),
        ("FROM alpine AS deps\nFROM alpine\nRUN --mount=type=cache,from=d$0e\\  \r\n  true\n", "de"),
        ("FROM alpine AS deps\nFROM alpine\nCOPY --from=de$0\\\n  /a /b\n", "de"),
        ("# escape=`\nFROM alpine AS deps\nFROM de$0`\n  AS b\n", "de"),
        ("FROM alpine\nRUN --mo$0\\\n  true\n", "--mo"),
        // Not a continuation: the escape character is part of the word.
        ("FROM alpine AS deps\nFROM alpine\nCOPY --from=de$0\\x /a /b\n", "de\\x"),
    ] {
        let (a, at) = fixture(text);
        let c = a.completions(at);
        assert!(!c.is_empty(), "{text:?}");
        assert!(c.iter().all(|c| slice(&a, c.replace) == word), "{text:?}: {c:?}");
    }
    // The cursor after the continuation's escape character: nothing (an item would replace it).
    for text in ["FROM alpine AS deps\nFROM alpine\nCOPY --from=de\\$0\n  /a /b\n", "FROM alpine AS deps\nFROM de\\$0"]
    {
        assert!(completion_labels(text).is_empty(), "{text:?}");
    }
}

/// `FROM --platform=` offers the build's platform ARG (not `$TARGETPLATFORM`, the default,
/// which BuildKit calls redundant), not stages; `RUN --network=` and `--security=` their modes;
/// other flags' values nothing.
#[test]
fn flag_values_are_completed_where_a_flag_takes_a_few() {
    let stages = "FROM alpine AS deps\n";
    assert_eq!(completion_labels(&format!("{stages}FROM --platform=$0\n")), ["$BUILDPLATFORM"]);
    assert_eq!(completion_labels(&format!("{stages}FROM --platform=lin$0 deps\n")), ["$BUILDPLATFORM"]);
    assert_eq!(completion_labels(&format!("{stages}FROM --platform=$BUILDPLATFORM $0\n")), ["deps", "scratch"]);
    assert_eq!(completion_labels(&format!("{stages}RUN --network=$0 true\n")), ["default", "none", "host"]);
    assert_eq!(completion_labels(&format!("{stages}RUN --security=$0 true\n")), ["sandbox", "insecure"]);
    assert!(completion_labels(&format!("{stages}COPY --chown=$0 a b\n")).is_empty());
    // A flag-like word among the arguments is no flag: nothing.
    assert!(completion_labels(&format!("{stages}RUN echo --network=$0\n")).is_empty());
}

#[test]
fn before_the_first_from_only_arg_and_from_are_offered() {
    let labels = completion_labels("# syntax=docker/dockerfile:1\n$0\nFROM alpine\n");
    assert_eq!(labels, ["ARG", "FROM"]);
    let labels = completion_labels("FROM alpine\n$0\n");
    assert!(["RUN", "COPY", "ONBUILD", "FROM"].iter().all(|k| labels.iter().any(|l| l == k)), "{labels:?}");
    // In a continued line, `ONBUILD` is a word of the instruction: no keywords.
    let (a, at) = fixture("FROM alpine\nRUN echo \\\n  ONBUILD R$0\n");
    assert!(a.completions(at).is_empty());
}

/// Flags: one given already is offered again only where BuildKit takes it more than once, and
/// a flag name is case-sensitive (`--FROM=` is an unknown flag, with no stages to complete).
#[test]
fn complete_flags_not_given_yet() {
    let labels = completion_labels("FROM alpine AS base\nFROM scratch\nCOPY --from=base --chmod=644 --$0\n");
    assert_eq!(labels, ["--chown", "--link", "--parents", "--exclude"]);
    let labels = completion_labels("FROM alpine\nRUN --mount=type=cache,target=/c --network=none --$0\n");
    assert_eq!(labels, ["--mount", "--security", "--device"]);
    assert!(completion_labels("FROM alpine AS base\nFROM scratch\ncopy --FROM=$0\n").is_empty());
    assert_eq!(completion_labels("FROM alpine AS base\nFROM scratch\ncopy --from=$0\n"), ["base"]);
    // Mount keys are read in any case.
    assert_eq!(completion_labels("FROM alpine AS deps\nFROM alpine\nRUN --mount=TYPE=cache,FROM=$0\n"), ["deps"]);
    assert_eq!(completion_labels("FROM alpine\nRUN --mount=TYPE=cache,SHARING=$0\n"), ["shared", "private", "locked"]);
}

#[test]
fn complete_earlier_stages_and_scratch_after_from() {
    let labels = completion_labels("FROM alpine AS base\nFROM $0\nFROM alpine AS later\n");
    assert_eq!(labels, ["base", "scratch"]);
    let labels = completion_labels("FROM alpine AS base\nFROM --platform=$BUILDPLATFORM b$0\n");
    assert_eq!(labels, ["base", "scratch"]);
    // A name two stages have is described by the stage it finds: the last (before the FROM,
    // for FROM), in the order of the stages found.
    let details = |text: &str| {
        let (a, at) = fixture(text);
        a.completions(at).into_iter().map(|c| (c.label, c.detail.unwrap_or_default())).collect::<Vec<_>>()
    };
    let text = "FROM alpine AS a\nFROM alpine AS b\nFROM busybox AS a\nFROM scratch\nCOPY --from=$0\n";
    assert_eq!(
        details(text),
        [("b".to_string(), "stage 1 · FROM alpine".to_string()), ("a".into(), "stage 2 · FROM busybox".into())]
    );
    let text = "FROM alpine AS a\nFROM $0\nFROM busybox AS a\nFROM node AS a\n";
    assert_eq!(details(text)[0], ("a".to_string(), "stage 0 · FROM alpine".to_string()));
}

#[test]
fn complete_mount_keys_and_values() {
    let labels = |text: &str| {
        let (a, at) = fixture(text);
        a.completions(at).into_iter().map(|c| (c.label, c.insert, c.kind)).collect::<Vec<_>>()
    };
    let names = |text: &str| labels(text).into_iter().map(|(l, ..)| l).collect::<Vec<_>>();
    assert_eq!(names("FROM alpine\nRUN --mount=type=$0 true\n"), ["bind", "cache", "tmpfs", "secret", "ssh"]);
    assert_eq!(names("FROM alpine\nRUN --mount=type=cache,sharing=l$0 true\n"), ["shared", "private", "locked"]);
    // The keys of the mount's type that are not there yet; `key=` inserted, a flag alone.
    assert_eq!(
        names("FROM alpine\nRUN --mount=type=cache,target=/c,$0 true\n"),
        ["id", "sharing", "from", "source", "mode", "uid", "gid", "readonly"]
    );
    assert_eq!(names("FROM alpine\nRUN --mount=type=tmpfs,$0\n"), ["target", "size"]);
    // Keys after the cursor are given too, and a `type=` there says the mount's type.
    assert_eq!(names("FROM alpine\nRUN --mount=type=bind,fr$0,target=/x ls\n"), ["source", "from", "readwrite"]);
    assert_eq!(names("FROM alpine\nRUN --mount=ta$0,type=tmpfs true\n"), ["target", "size"]);
    let bind = labels("FROM alpine\nRUN --mount=$0\n");
    assert_eq!(
        bind.iter().map(|(l, ..)| l.as_str()).collect::<Vec<_>>(),
        ["type", "target", "source", "from", "readwrite"]
    );
    assert!(bind.iter().all(|(l, i, k)| *k == CompletionKind::MountKey && (i == &format!("{l}=") || l == "readwrite")));
    // A value no list holds: nothing; `from=` is the stages'.
    assert!(names("FROM alpine\nRUN --mount=type=cache,target=$0\n").is_empty());
    assert_eq!(names("FROM alpine AS deps\nFROM alpine\nRUN --mount=from=$0\n"), ["deps"]);
}

#[test]
fn complete_mount_from() {
    let labels = completion_labels("FROM alpine AS deps\nFROM alpine\nRUN --mount=type=bind,from=$0\n");
    assert_eq!(labels, ["deps"]);
}

#[test]
fn no_stage_is_completed_before_the_first_from() {
    // (A file typed from the bottom up: every stage comes later, and a `--from` naming a later
    // stage fails the build.)
    for text in [
        "COPY --from=$0 /src /dst\nFROM alpine AS later\nFROM alpine AS final\n",
        "RUN --mount=type=bind,from=$0,target=/x true\nFROM alpine AS later\n",
    ] {
        assert_eq!(completion_labels(text), Vec::<String>::new(), "{text:?}");
    }
}

#[test]
fn complete_named_contexts_after_from() {
    // The contexts given for the build are sources too; one a stage's name takes, or one that
    // no name can reach (`Build`), is not offered.
    let text = "FROM alpine AS deps\nFROM alpine\nCOPY --from=";
    let a = with_contexts(text, &["deps", "assets", "alpine:3.20", "Build", "docker.io/library/tools:latest"]);
    let got: Vec<(String, CompletionKind)> =
        a.completions(TextSize::of(text)).into_iter().map(|c| (c.label, c.kind)).collect();
    assert_eq!(
        got,
        [
            ("deps".to_string(), CompletionKind::Stage),
            ("assets".to_string(), CompletionKind::NamedContext),
            ("alpine:3.20".to_string(), CompletionKind::NamedContext),
            ("tools".to_string(), CompletionKind::NamedContext),
        ]
    );
}

#[test]
fn complete_keywords_and_flags() {
    let (a, at) = fixture("FROM alpine\nCO$0\n");
    let c = a.completions(at);
    assert!(c.iter().any(|c| c.label == "COPY" && c.kind == CompletionKind::Keyword));
    assert_eq!(c.len(), 18);
    let (a, at) = fixture("from alpine\nru$0\n");
    assert!(a.completions(at).iter().any(|c| c.label == "run"));
    let (a, at) = fixture("FROM alpine\nCOPY --$0\n");
    let flags: Vec<String> = a.completions(at).into_iter().map(|c| c.insert).collect();
    assert!(flags.contains(&"--from=".into()) && flags.contains(&"--link".into()));
    let (a, at) = fixture("FROM alpine\nRUN --mo$0\n");
    assert!(a.completions(at).iter().any(|c| c.label == "--mount"));
    // Not on a line a continuation at the end of the file carries on (found by QA); but after
    // one that ended the instruction.
    for text in [
        "FROM alpine\nRUN apt-get install \\\n$0",
        "FROM alpine\nRUN apt-get install \\\n\n$0",
        "FROM alpine\nRUN apt-get install \\\n# c\n$0",
        "FROM alpine\nRUN apt-get install \\\n  # c\n$0",
        "FROM alpine\nRUN apt-get install \\\n   \n$0",
    ] {
        let (a, at) = fixture(text);
        assert!(!a.completions(at).iter().any(|c| c.kind == CompletionKind::Keyword), "{text}");
    }
    let (a, at) = fixture("FROM alpine\nRUN apt-get install\n$0");
    assert_eq!(a.completions(at).len(), 18);
}

/// Flags and `--from=` names only where BuildKit reads flags (before the first argument, on
/// any continuation line), inside an ONBUILD's trigger too, and never in a comment or a value.
#[test]
fn complete_flags_and_stage_names_only_where_flags_stand() {
    let none = [
        "FROM alpine AS b\nRUN echo --$0\n",
        "FROM alpine AS b\nCOPY --from=b /src --$0\n",
        "FROM alpine AS b\nRUN echo \\\n  --$0\n",
        "FROM alpine AS b\nCOPY <<EOF /x\n--$0\nEOF\n",
        "FROM alpine AS b\n# COPY --from=$0\n",
        "FROM alpine AS b\nLABEL x=\"--from=$0\"\n",
        "FROM alpine AS b\nRUN echo --mount=from=$0\n",
        "FROM alpine AS b\nCOPY a --from=$0 /x\n",
    ];
    for text in none {
        let (a, at) = fixture(text);
        assert_eq!(a.completions(at), [], "{text}");
    }
    let some = [
        ("FROM alpine AS b\nRUN --mount=type=cache,target=/x \\\n  --$0\n", "--network"),
        ("FROM alpine AS b\nCOPY --link --$0 /a /b\n", "--from"),
        ("FROM alpine AS b\nONBUILD COPY --$0\n", "--from"),
        ("FROM alpine AS b\nFROM b\nONBUILD COPY --from=$0 /a /a\n", "b"),
        ("FROM alpine AS b\nFROM alpine\nRUN --network=none --mount=type=bind,from=$0 true\n", "b"),
    ];
    for (text, label) in some {
        let (a, at) = fixture(text);
        assert!(a.completions(at).iter().any(|c| c.label == label), "{label} in {text}: {:?}", a.completions(at));
    }
}

/// The word under the cursor is replaced whole, and nothing it is followed by is doubled.
#[test]
fn completion_replaces_the_rest_of_the_word() {
    let (a, at) = fixture("FROM alpine AS builder\nFROM scratch\nCOPY --from=bu$0ilder /a /a\n");
    let c = a.completions(at);
    assert_eq!(slice(&a, c[0].replace), "builder");
    let out = TextEdit::apply_all(a.text(), &[TextEdit { range: c[0].replace, new_text: c[0].insert.clone() }]);
    assert_eq!(out, "FROM alpine AS builder\nFROM scratch\nCOPY --from=builder /a /a\n");
    let (a, at) = fixture("FROM alpine\nCOPY --fr$0om=x /a /a\n");
    let from = a.completions(at).into_iter().find(|c| c.label == "--from").unwrap();
    let out = TextEdit::apply_all(a.text(), &[TextEdit { range: from.replace, new_text: from.insert }]);
    assert_eq!(out, "FROM alpine\nCOPY --from=x /a /a\n");
    let (a, at) = fixture("FROM alpine\nRU$0 echo\n");
    let run = a.completions(at).into_iter().find(|c| c.label == "RUN").unwrap();
    assert_eq!(
        TextEdit::apply_all(a.text(), &[TextEdit { range: run.replace, new_text: run.insert }]),
        "FROM alpine\nRUN echo\n"
    );
}

#[test]
fn completion_tolerates_offsets_inside_characters_and_case_folding_that_changes_length() {
    // Found by the `analyze` fuzz target: an offset inside `ä` sliced the text mid-character.
    let a = plain("FROM alpine AS build\nCOPY test-\u{e4}.txt /\n");
    let inside = TextSize::new(a.text().find('\u{e4}').unwrap() as u32 + 1);
    assert!(a.completions(inside).is_empty());
    // `İ` lower-cases to three bytes from two: the text before the word is folded on its own,
    // else the cut between the two would fall in the wrong place.
    let labels = completion_labels("FROM alpine AS build\nFROM scratch\nCOPY --from=\u{130}$0\n");
    assert_eq!(labels, ["build"]);
}

// ---- hover ----

#[test]
fn hover_on_a_stage_shows_its_chain_and_users() {
    let (a, at) = fixture(
        "# build compiles the server\nFROM golang:1.22 AS bu$0ild\nFROM build AS test\nFROM scratch AS release\nCOPY --from=build /out /out\n",
    );
    let h = a.hover(at).unwrap();
    assert_eq!(slice(&a, h.range), "build");
    for part in ["**stage `build`**", "compiles the server", "image `golang:1.22`", "used by:", "`test`", "`release`"] {
        assert!(h.markdown.contains(part), "{part} missing in {}", h.markdown);
    }
    // `build` is used, by `test`, but no target in play builds it: the hover says which.
    let first_line = |a: &Analysis, at| a.hover(at).unwrap().markdown.lines().next().unwrap().to_string();
    let text = "FROM golang:1.22 AS bu$0ild\nFROM build AS test\nFROM scratch AS release\n";
    assert_eq!(
        first_line(&fixture(text).0, fixture(text).1),
        "**stage `build`** · index 0 · not built by the default target"
    );
    let (a, at) = fixture(&format!("{text}FROM alpine AS lint\nFROM scratch AS final\n"));
    let targets = Options { targets: vec!["lint".into()], ..Options::default() };
    let a = stagecraft_analysis::analyze(a.text(), &targets);
    assert!(
        first_line(&a, at).ends_with(" · not built by the targets in play (`final`, `lint`)"),
        "{}",
        first_line(&a, at)
    );
    let (a, at) = fixture("FROM alpine AS x\nFROM scratch\nCOPY --from=ngi$0nx /a /a\n");
    assert!(a.hover(at).unwrap().markdown.contains("image"));
    // An image named through variables says what it expands to; a FROM says "earlier" (a later
    // stage of that name would not be used).
    // On a variable, what it holds comes first.
    let (a, at) = fixture("ARG BASE=alpine\nARG V=3.19\nFROM ${BA$0SE}-${V} AS a\nFROM alpine-3.19 AS c\n");
    assert_eq!(
        a.hover(at).unwrap().markdown,
        "**`$BASE`** = `alpine`\n\nThe global `ARG` on line 1.\n\n---\n\n**image** `alpine-3.19`\n\nAn external image: no earlier stage is named `alpine-3.19` (`${BASE}-${V}` expands to it), so BuildKit pulls it."
    );
    assert_eq!(slice(&a, a.hover(at).unwrap().range), "${BASE}");
    let (a, at) = fixture("ARG VER$0SION=1.2\nFROM alpine:${VERSION}\n");
    assert!(a.hover(at).unwrap().markdown.contains("`1.2`"));
}

/// Hover on the key of a stage's `ENV` or `ARG`: what the variable holds once the line is read,
/// and where that comes from.
#[test]
fn hover_on_a_declaration_says_what_it_sets() {
    let text = "ARG GO=1.22\nFROM alpine AS a\nARG GO\nARG TARGETOS\nARG MODE=dev\nARG NONE\nENV HOME_DIR=/home/$MODE A=$HOME_DIR\nFROM a AS b\nENV HOME_DIR=/x\n";
    let hover = |options: &Options, key: &str, nth: usize| {
        let a = analyze(text, options);
        let at = text.match_indices(key).nth(nth).unwrap().0 + 1;
        a.hover(TextSize::new(at as u32)).map(|h| (slice(&a, h.range).to_string(), h.markdown))
    };
    let plain = Options::default();
    let (range, md) = hover(&plain, "HOME_DIR=", 0).unwrap();
    assert_eq!(range, "HOME_DIR");
    assert!(md.starts_with("**ENV** `HOME_DIR` = `/home/dev`\n\n"), "{md}");
    assert!(md.contains("in the image's containers"), "{md}");
    // The line's other pair read the value from before it (BuildKit expands every word first).
    let (_, md) = hover(&plain, "A=", 0).unwrap();
    assert!(md.starts_with("**ENV** `A` = `\"\"` (empty)\n\n"), "{md}");
    assert!(hover(&plain, "HOME_DIR=", 1).unwrap().1.starts_with("**ENV** `HOME_DIR` = `/x`"));
    let (_, md) = hover(&plain, "GO\n", 0).unwrap();
    assert!(md.starts_with("**ARG** `GO` = `1.22`\n\nThe value of the global `ARG` on line 1."), "{md}");
    let (_, md) = hover(&plain, "TARGETOS", 0).unwrap();
    assert!(md.starts_with("**ARG** `TARGETOS` = `linux`\n\nOne of BuildKit's automatic platform ARGs"), "{md}");
    let (_, md) = hover(&plain, "MODE=", 0).unwrap();
    assert!(md.starts_with("**ARG** `MODE` = `dev`\n\nIts default."), "{md}");
    let (_, md) = hover(&plain, "NONE", 0).unwrap();
    assert!(md.starts_with("**ARG** `NONE`\n\nDeclared without a value"), "{md}");
    // An ARG without a value after one with: the earlier one set it.
    let again = "FROM alpine\nARG V=1\nARG V\n";
    let a = analyze(again, &plain);
    let md = a.hover(TextSize::new(again.rfind('V').unwrap() as u32)).unwrap().markdown;
    assert!(md.starts_with("**ARG** `V` = `1`\n\nGiven no value here: the `ARG` on line 2 set it."), "{md}");
    // A quoted key is another name once read: no declaration hover.
    let quoted = "FROM alpine\nENV \"Q\"=1\n";
    assert_eq!(analyze(quoted, &plain).hover(TextSize::new(17)), None);
    let prod = Options { build_args: [("MODE".to_string(), "prod".to_string())].into(), ..Options::default() };
    let (_, md) = hover(&prod, "MODE=", 0).unwrap();
    assert!(md.starts_with("**ARG** `MODE` = `prod`\n\nGiven with `--build-arg MODE=...`."), "{md}");
    // A use in the value is still that variable's hover (what it held before the line).
    let (range, md) = hover(&plain, "$HOME_DIR", 0).unwrap();
    assert_eq!((range.as_str(), md.starts_with("**`$HOME_DIR`**")), ("$HOME_DIR", true), "{md}");
}

/// A variable in the body of a `COPY` heredoc BuildKit expands has the hover of any other:
/// what it holds there. Not in a quoted heredoc (its body is taken as written), nor an escaped
/// `\$`, nor in a `RUN` heredoc (the shell expands that).
#[test]
fn hover_on_a_variable_in_a_copy_heredoc() {
    let text = "FROM alpine\nENV NODE_ENV=prod\nCOPY <<EOF /app/.env\nMODE=$NODE_ENV ${NODE_ENV:-x} \\$NODE_ENV\nEOF\nCOPY <<'EOF' /b\n$NODE_ENV\nEOF\nRUN <<EOF\necho $NODE_ENV\nEOF\n";
    let a = plain(text);
    let hover_at = |nth: usize| {
        let at = text.match_indices("NODE_ENV").nth(nth).unwrap().0 + 2;
        a.hover(TextSize::new(at as u32)).map(|h| (slice(&a, h.range).to_string(), h.markdown))
    };
    let (range, md) = hover_at(1).unwrap();
    assert_eq!(range, "$NODE_ENV");
    assert!(md.starts_with("**`$NODE_ENV`** = `prod`\n\nSet by the `ENV` on line 2."), "{md}");
    // To its closing brace, as a variable outside a heredoc (a QA run: the ranges left it out).
    assert_eq!(hover_at(2).unwrap().0, "${NODE_ENV:-x}");
    assert_eq!(hover_at(3), None, "an escaped `$`");
    assert_eq!(hover_at(4), None, "a quoted heredoc");
    assert_eq!(hover_at(5), None, "a RUN heredoc");
    // A body a later one of its name replaces is never read (BuildKit looks bodies up by
    // name); the one read is expanded where a word of its name expands.
    let text = "FROM alpine\nENV V=1\nCOPY <<EOF <<'EOF' /d/\n$V first\nEOF\n$V second\nEOF\n";
    let a = plain(text);
    let hover_at = |nth: usize| {
        let at = text.match_indices("$V").nth(nth).unwrap().0 + 1;
        a.hover(TextSize::new(at as u32)).map(|h| slice(&a, h.range).to_string())
    };
    assert_eq!(hover_at(0), None, "the first body is never read");
    assert_eq!(hover_at(1).as_deref(), Some("$V"), "the second, expanded for the unquoted word");
}

/// On a variable in a `FROM` that names a stage (`FROM stage-${V}`), hover, definition and
/// references are the variable's, as in an image's name; the hover then shows the stage it
/// names. Elsewhere on the word they are the stage's (a QA run of the server on real files: the
/// stage hid the variable's value there).
#[test]
fn a_variable_in_a_stage_name_is_the_variables() {
    let text = "ARG V=a\nFROM alpine AS stage-a\nFROM stage-${V}\n";
    let a = plain(text);
    let on_v = TextSize::new((text.find("${V}").unwrap() + 2) as u32);
    let on_stage = TextSize::new((text.find("stage-${V}").unwrap() + 1) as u32);
    let hover = a.hover(on_v).unwrap();
    assert_eq!(slice(&a, hover.range), "${V}");
    assert!(hover.markdown.starts_with("**`$V`** = `a`"), "{}", hover.markdown);
    let (_, card) = hover.markdown.split_once("\n\n---\n\n").expect("the variable, then the stage");
    assert!(card.contains("stage-a"), "{card}");
    assert_eq!(a.definition(on_v), None, "the stage's definition is not the variable's");
    assert_eq!(a.variable_definition(on_v).map(|r| slice(&a, r)), Some("V"));
    assert_eq!(a.definition(on_stage).map(|(s, _)| s), Some(0));
    let uses: Vec<&str> = a.variable_references(on_v).iter().map(|o| slice(&a, o.range)).collect();
    assert_eq!(uses, ["V", "${V}"]);
}

/// Definition of a variable: the key of what set it; for a global `ARG`'s value in a stage, the
/// stage's `ARG` that brought it in (the last before it).
#[test]
fn definition_of_a_variable_is_its_declaration() {
    let text = "ARG G=1\nFROM alpine:$G\nARG G\nENV E=$G\nARG G\nWORKDIR /$G$E\n";
    let a = plain(text);
    let def = |needle: &str, nth: usize| {
        let at = text.match_indices(needle).nth(nth).unwrap().0 + 1;
        a.variable_definition(TextSize::new(at as u32)).map(|r| (a.line_of(r.start()), slice(&a, r).to_string()))
    };
    assert_eq!(def("$G", 0), Some((1, "G".into())), "in FROM: the global ARG");
    assert_eq!(def("$G", 1), Some((3, "G".into())), "in the stage: its ARG G before the use");
    assert_eq!(def("$G", 2), Some((5, "G".into())), "the last one before the use");
    assert_eq!(def("$E", 0), Some((4, "E".into())));
}

#[test]
fn hover_on_a_git_source_says_what_buildkit_fetches() {
    let (a, at) =
        fixture("FROM alpine\nADD --keep-git-dir https://github.com/golang/vu$0ln.git?tag=v1.1.4&subdir=cmd /src\n");
    let h = a.hover(at).unwrap();
    assert_eq!(slice(&a, h.range), "https://github.com/golang/vuln.git?tag=v1.1.4&subdir=cmd");
    assert_eq!(
        h.markdown,
        "**Git repository** `https://github.com/golang/vuln.git`\n\nBuildKit fetches `refs/tags/v1.1.4` and copies its directory `cmd`. The `.git` directory is kept."
    );
    let (a, at) = fixture("FROM alpine\nADD git@github.com:moby/buildkit.git#v0.1:docs?x /s$0rc\n");
    assert!(a.hover(at).is_none(), "the destination is no source");
    let (a, at) = fixture("FROM alpine\nADD git@github.com:moby/buil$0dkit.git?commit=abc&submodules=0 /src\n");
    assert_eq!(
        a.hover(at).unwrap().markdown,
        "**Git repository** `git@github.com:moby/buildkit.git`\n\nBuildKit fetches its default branch. The commit must be `abc`. Submodules are not fetched."
    );
    let (a, at) = fixture("FROM alpine\nADD https://h/r.g$0it?foo=1 /src\n");
    assert!(a.hover(at).unwrap().markdown.contains("BuildKit fails on it: unexpected query \"foo\"; "));
    // ADD's options as they stand at the source: the flags, then earlier repositories' queries.
    let (a, at) = fixture("FROM alpine\nADD --checksum=abc https://h/r.g$0it /src\n");
    assert!(a.hover(at).unwrap().markdown.ends_with("The commit must be `abc`."));
    let (a, at) = fixture("FROM alpine\nADD https://a/x.git?keep-git-dir=1 https://b/y.g$0it /d/\n");
    assert!(a.hover(at).unwrap().markdown.ends_with("The `.git` directory is kept."));
    let (a, at) = fixture("FROM alpine\nADD --keep-git-dir=false https://h/r.g$0it?keep-git-dir=1 /d\n");
    assert!(a.hover(at).unwrap().markdown.contains("BuildKit fails on it: inconsistent keep-git-dir configuration"));
    // A word BuildKit reads otherwise than as written (an escape, quotes) is left alone.
    for text in ["FROM alpine\nADD https://h/r.git#v1\\:s$0ub /d\n", "FROM alpine\nADD https://h/r.g$0it#\"v1\" /d\n"] {
        let (a, at) = fixture(text);
        assert!(a.hover(at).is_none_or(|h| !h.markdown.contains("Git repository")), "{text}");
    }
    let (a, at) = fixture("FROM alpine\nCOPY https://h/r.g$0it /src\n");
    assert!(a.hover(at).unwrap().markdown.ends_with("COPY cannot fetch a repository; ADD can."));
    // Not repositories: a URL, a path, the `github.com/` form, a word with a variable.
    for text in [
        "FROM alpine\nADD https://example.com/a.t$0gz /a\n",
        "FROM alpine\nADD sr$0c /a\n",
        "FROM alpine\nADD github.com/moby/bu$0ildkit /a\n",
        "FROM alpine\nARG R=x\nADD https://h/$R.g$0it /a\n",
    ] {
        let (a, at) = fixture(text);
        assert!(a.hover(at).is_none_or(|h| !h.markdown.contains("Git repository")), "{text}");
    }
}

#[test]
fn hover_lists_stop_after_ten_entries() {
    // A stage used by 15 others, and a final stage copying from all of them.
    let mut text = String::from("FROM alpine AS ba$0se\n");
    for i in 0..15 {
        text.push_str(&format!("FROM base AS s{i}\n"));
    }
    text.push_str("FROM scratch\n");
    for i in 0..15 {
        text.push_str(&format!("COPY --from=s{i} /a{i} /b{i}\n"));
    }
    let (a, at) = fixture(&text);
    let md = a.hover(at).unwrap().markdown;
    let used_by = md.lines().find(|l| l.starts_with("used by: ")).expect(&md);
    assert_eq!(used_by.matches("(from line").count(), 10, "{used_by}");
    assert!(used_by.ends_with(", and 5 more"), "{used_by}");
    let last = a.stages().len() - 1;
    let md = a.stage_markdown(last);
    let depends = md.lines().find(|l| l.starts_with("depends on: ")).expect(&md);
    assert!(depends.contains("`s9` (COPY --from") && !depends.contains("`s10`"), "{depends}");
    assert!(depends.ends_with(", and 5 more"), "{depends}");
    let copies = md.lines().find(|l| l.starts_with("copies: ")).expect(&md);
    assert!(copies.ends_with("; and 5 more"), "{copies}");
    // Ten or fewer are listed whole.
    let (a, at) = fixture("FROM alpine AS ba$0se\nFROM base AS one\nFROM base AS two\n");
    let md = a.hover(at).unwrap().markdown;
    assert!(md.contains("used by: `one` (from line 2), `two` (from line 3)\n"), "{md}");
}

#[test]
fn hover_lists_a_use_once_per_line() {
    // Two mounts of one stage on one line are one entry in both directions; a use on another
    // line is another entry.
    let text = "FROM alpine AS ca$0che\nFROM alpine\nRUN --mount=from=cache,target=/a --mount=from=cache,target=/b true\nRUN --mount=from=cache,target=/c true\n";
    let (a, at) = fixture(text);
    let md = a.hover(at).unwrap().markdown;
    let used_by = md.lines().find(|l| l.starts_with("used by: ")).expect(&md);
    assert_eq!(used_by, "used by: `stage-1` (mount-from line 3), `stage-1` (mount-from line 4)", "{md}");
    let md = a.stage_markdown(1);
    let depends = md.lines().find(|l| l.starts_with("depends on: ")).expect(&md);
    assert_eq!(depends.matches("`cache` (RUN --mount, line 3)").count(), 1, "{md}");
    assert_eq!(depends.matches("`cache` (RUN --mount, line 4)").count(), 1, "{md}");
}

#[test]
fn hover_base_chain_keeps_the_nearest_bases_and_the_root() {
    let mut text = String::from("FROM alpine AS c0\n");
    for i in 1..12 {
        text.push_str(&format!("FROM c{} AS c{i}\n", i - 1));
    }
    let a = plain(&text);
    // Twelve stages and the image: thirteen links, three of them counted in the middle.
    let chain = |s: usize| a.stage_markdown(s).lines().find(|l| l.starts_with("base chain: ")).unwrap().to_string();
    assert_eq!(
        chain(11),
        "base chain: `c11` ← `c10` ← `c9` ← `c8` ← `c7` ← `c6` ← `c5` ← `c4` ← (3 more) ← `c0` ← image `alpine`"
    );
    // Ten links are all shown.
    assert_eq!(chain(8), "base chain: `c8` ← `c7` ← `c6` ← `c5` ← `c4` ← `c3` ← `c2` ← `c1` ← `c0` ← image `alpine`");
}

// ---- outline, folding, inlay hints, semantic tokens ----

#[test]
fn outline_has_args_then_stages_with_instructions() {
    let a = plain("ARG V=1\nFROM alpine AS base\nRUN a\nCOPY x y\nFROM base\nCMD [\"x\"]\n");
    let o = a.outline();
    let top: Vec<(&str, OutlineKind)> = o.iter().map(|i| (i.name.as_str(), i.kind)).collect();
    assert_eq!(top, [("V", OutlineKind::Arg), ("base", OutlineKind::Stage), ("stage-1", OutlineKind::Stage)]);
    assert_eq!(o[1].children.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["RUN", "COPY"]);
}

#[test]
fn folds_cover_stages_instructions_and_comments() {
    let a = plain("# one\n# two\nFROM alpine\nRUN a \\\n  b\nFROM scratch\n");
    let folds: Vec<(u32, u32, bool)> = a.folds().into_iter().map(|f| (f.start_line, f.end_line, f.comment)).collect();
    assert_eq!(folds, [(0, 1, true), (2, 4, false), (3, 4, false)]);
}

/// The texts "expand selection" steps through at the cursor.
fn selections(text: &str) -> Vec<String> {
    let (a, at) = fixture(text);
    let ranges = a.selection_ranges(at);
    for w in ranges.windows(2) {
        assert!(w[1].contains_range(w[0]) && w[1] != w[0], "{ranges:?} must grow");
    }
    ranges.iter().map(|&r| slice(&a, r).to_string()).collect()
}

#[test]
fn selection_grows_from_a_mount_option_to_the_file() {
    let text = "FROM alpine AS b\nRUN --mount=type=cache,from=b$0,target=/x \\\n  make\nFROM scratch\n";
    let steps = selections(text);
    let file = text.replace("$0", "");
    assert_eq!(
        steps,
        [
            "b",
            "from=b",
            "type=cache,from=b,target=/x",
            "--mount=type=cache,from=b,target=/x",
            "RUN --mount=type=cache,from=b,target=/x \\\n  make",
            "FROM alpine AS b\nRUN --mount=type=cache,from=b,target=/x \\\n  make",
            file.as_str(),
        ]
    );
}

#[test]
fn selection_takes_a_word_of_a_shell_command_and_a_quoted_string_inside_out() {
    let steps = selections("FROM alpine\nRUN echo \"he$0llo\" && make\n");
    assert_eq!(steps[..4], ["hello", "\"hello\"", "echo \"hello\" && make", "RUN echo \"hello\" && make"]);
    let steps = selections("FROM alpine\nCOPY [\"/a$0\", \"/b\", \"/\"]\n");
    assert_eq!(steps[..3], ["/a", "\"/a\"", "[\"/a\", \"/b\", \"/\"]"]);
}

#[test]
fn selection_between_stages_and_past_the_end_is_the_file() {
    let text = "FROM alpine AS a\nRUN x\n\n# about b\n$0\nFROM a\n";
    // The blank line is not in stage a (which ends with its last instruction).
    assert_eq!(selections(text), ["\n", text.replace("$0", "").as_str()]);
    let a = plain("FROM alpine\n");
    // Past the end is the end: the last line break, then the file.
    assert_eq!(
        a.selection_ranges(TextSize::new(500)),
        [TextRange::new(11.into(), 12.into()), TextRange::new(0.into(), 12.into())]
    );
    assert_eq!(plain("").selection_ranges(TextSize::new(0)), [TextRange::empty(0.into())]);
}

#[test]
fn links_go_to_the_pages_of_the_images_named() {
    let a = plain(
        "# syntax=docker/dockerfile:1.7\nARG B=alpine:3.19\nFROM $B AS a\nFROM a\nCOPY --from=quay.io/org/tool:2 /t /t\n\
         RUN --mount=from=ghcr.io/o/cache,target=/c true\nFROM scratch\n",
    );
    let links = a.links();
    let links: Vec<(&str, &str, &str)> =
        links.iter().map(|l| (slice(&a, l.range), l.url.as_str(), l.tooltip.as_str())).collect();
    assert_eq!(
        links,
        [
            (
                "docker/dockerfile:1.7",
                "https://hub.docker.com/r/docker/dockerfile",
                "docker/dockerfile:1.7 on Docker Hub"
            ),
            // The base as written, linked to what it expands to.
            ("$B", "https://hub.docker.com/_/alpine", "alpine:3.19 on Docker Hub"),
            ("quay.io/org/tool:2", "https://quay.io/repository/org/tool", "quay.io/org/tool:2 on Quay"),
        ]
    );
    // Stages, scratch and images of registries without a page we can name have no link, nor
    // what is no image name.
    assert!(plain("FROM scratch AS s\nFROM s\nFROM ghcr.io/a/b\nCOPY --from=Buld / /\n").links().is_empty());
    // Nor a name taken for a mistyped stage's (`unknown-stage`), though an image of it exists.
    let a = plain("FROM golang AS builder\nFROM alpine\nCOPY --from=bulder /a /a\nCOPY --from=nginx /b /b\n");
    assert!(codes(&a).contains(&"unknown-stage"), "{:?}", a.diagnostics());
    let linked: Vec<&str> = a.links().iter().map(|l| slice(&a, l.range)).collect();
    assert_eq!(linked, ["golang", "alpine", "nginx"]);
}

/// The hover of what is no image name says BuildKit fails on it, as its diagnostic does.
#[test]
fn hover_on_an_invalid_image_name_says_the_build_fails() {
    let (a, at) = fixture("FROM alpine AS build\nFROM scratch\nCOPY --from=Bu$0ld / /\n");
    let hover = a.hover(at).unwrap().markdown;
    assert!(
        hover.ends_with("and BuildKit fails on it as an image (\"invalid reference format: repository name (library/Buld) must be lowercase\")."),
        "{hover}"
    );
    assert!(
        codes(&a).contains(&"invalid-image-reference")
            || a.diagnostics().iter().any(|d| d.message.contains("must be lowercase")),
        "{:?}",
        a.diagnostics()
    );
}

#[test]
fn inlay_hints_show_expanded_args_and_numeric_stage_names() {
    let a = plain(
        "ARG BASE=alpine:3.19\nFROM ${BASE} AS base\nFROM --platform=$BUILDPLATFORM scratch\nCOPY --from=0 /a /a\n",
    );
    let hints: Vec<String> = a.inlay_hints().into_iter().map(|h| h.label).collect();
    assert_eq!(hints, ["= alpine:3.19", "= linux/amd64", "(base)"]);
}

#[test]
fn semantic_tokens_tell_stages_from_images_and_variables() {
    let a = plain("FROM alpine AS build\nFROM build\nCOPY --from=nginx /a /a\nENV X=$Y\n");
    let kinds: Vec<(String, TokenType)> = a
        .semantic_tokens()
        .into_iter()
        .filter(|t| !matches!(t.ty, TokenType::Keyword | TokenType::Operator))
        .map(|t| (a.text()[t.range].to_string(), t.ty))
        .collect();
    assert_eq!(
        kinds,
        [
            ("alpine".to_string(), TokenType::Image),
            ("build".into(), TokenType::StageDefinition),
            ("build".into(), TokenType::StageReference),
            ("--from".into(), TokenType::Flag),
            ("nginx".into(), TokenType::Image),
            ("$Y".into(), TokenType::Variable),
        ]
    );
    // An image named through variables: the variables stay variables.
    let a = plain("ARG B=alpine\nARG V=3\nFROM ${B}-$V AS x\n");
    let kinds: Vec<(String, TokenType)> = a
        .semantic_tokens()
        .into_iter()
        .filter(|t| t.range.start() >= TextSize::new(a.text().find("${B}").unwrap() as u32))
        .filter(|t| !matches!(t.ty, TokenType::Keyword | TokenType::Operator))
        .map(|t| (a.text()[t.range].to_string(), t.ty))
        .collect();
    let v = |s: &str| (s.to_string(), TokenType::Variable);
    assert_eq!(kinds, [v("${B}"), ("-".into(), TokenType::Image), v("$V"), ("x".into(), TokenType::StageDefinition)]);
    // One token a reference, each reference its own: a modifier's word is not the variable's,
    // and a reference in it is another.
    let a = plain("FROM alpine\nENV A=${X:-w}$Y B=${X:+$Y}\n");
    let vars: Vec<&str> =
        a.semantic_tokens().into_iter().filter(|t| t.ty == TokenType::Variable).map(|t| slice(&a, t.range)).collect();
    assert_eq!(vars, ["${X:-", "}", "$Y", "${X:+", "$Y", "}"]);
    // A heredoc's markers and closing word; `<<-` strips the closing word's tabs, not part of it.
    let a = plain("FROM alpine\nRUN <<-EOT\n\techo hi\n\t\tEOT\n");
    let strings: Vec<&str> =
        a.semantic_tokens().into_iter().filter(|t| t.ty == TokenType::String).map(|t| slice(&a, t.range)).collect();
    assert_eq!(strings, ["<<-EOT", "EOT"]);
}

// ---- targets and plans ----

#[test]
fn targets_plans_waves_and_legacy() {
    let a = plain(concat!(
        "FROM alpine AS base\n",
        "# deps fetches modules\n",
        "FROM base AS deps\n",
        "FROM base AS tools\n",
        "FROM alpine AS docs\n",
        "FROM deps AS build\n",
        "COPY --from=tools /t /t\n",
        "FROM scratch\n",
        "COPY --from=build /b /b\n",
        "COPY --from=busybox /bin/sh /sh\n",
    ));
    let targets: Vec<(Option<String>, bool)> = a.targets().into_iter().map(|t| (t.name, t.is_default)).collect();
    assert_eq!(targets.last(), Some(&(None, true)));
    assert_eq!(a.targets()[1].description.as_deref(), Some("fetches modules"));
    let plan = a.plan(5);
    assert_eq!(plan.waves, vec![vec![0], vec![1, 2], vec![4], vec![5]]);
    assert_eq!(plan.stages, vec![0, 1, 2, 4, 5]);
    assert_eq!(plan.images, vec!["alpine".to_string(), "busybox".into()]);
    assert_eq!(plan.legacy_stages, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(a.unused_stages(), &[3]);
    // The legacy builder finds a target by name as its `instructions.HasStage` does, the first
    // stage of the name (BuildKit takes the last), and fails at a name already used.
    let dup = plain("FROM alpine AS a\nFROM alpine AS b\nFROM alpine AS A\nFROM alpine AS c\n");
    assert_eq!(dup.plan(2).legacy_stages, vec![0]);
    assert_eq!(dup.target_legacy_count(2), 1);
    assert_eq!(dup.plan(3).legacy_stages, vec![0, 1, 2, 3]);
    assert_eq!((dup.legacy_name_clash(2), dup.legacy_name_clash(4)), (None, Some(2)));
    let with_docs = analyze(a.text(), &Options { targets: vec!["docs".into()], ..Options::default() });
    assert!(with_docs.unused_stages().is_empty());
    // A target in play this file lacks (an editor setting for the whole workspace) is no
    // error; the unused stage's message names it, with the name it probably meant.
    let unused_message = |targets: &[&str]| {
        let options = Options { targets: targets.iter().map(|t| t.to_string()).collect(), ..Options::default() };
        let b = analyze(a.text(), &options);
        assert_eq!(b.unused_stages(), &[3], "{targets:?}");
        b.diagnostics().iter().find(|d| d.code == "unused-stage").map(|d| d.message.clone()).unwrap()
    };
    let m = unused_message(&["doc"]);
    assert!(
        m.ends_with("; of the targets in play, target stage \"doc\" could not be found (did you mean docs?)"),
        "{m}"
    );
    assert!(!unused_message(&[]).contains("targets in play"));
}

/// Waves the slow, obvious way: round after round, the stages whose dependencies are all in
/// earlier rounds; what never gets ready (a cycle) goes last.
fn reference_waves(a: &Analysis, target: usize) -> Vec<Vec<usize>> {
    let g = a.graph();
    let n = a.stages().len();
    let mut direct = vec![Vec::new(); n];
    for e in &g.edges {
        if let stagecraft_analysis::GraphNode::Stage(src) = g.nodes[e.source] {
            if !direct[e.stage].contains(&src) {
                direct[e.stage].push(src);
            }
        }
    }
    let set = a.target_builds(target).to_vec();
    let mut wave: Vec<Option<usize>> = vec![None; n];
    let mut remaining = set.clone();
    let mut level = 0;
    let mut waves = Vec::new();
    while !remaining.is_empty() {
        let ready: Vec<usize> = remaining
            .iter()
            .copied()
            .filter(|&s| direct[s].iter().all(|&d| !set.contains(&d) || wave[d].is_some_and(|w| w < level)))
            .collect();
        if ready.is_empty() {
            waves.push(remaining.clone());
            break;
        }
        for &s in &ready {
            wave[s] = Some(level);
        }
        remaining.retain(|s| !ready.contains(s));
        waves.push(ready);
        level += 1;
    }
    waves
}

#[test]
fn waves_match_the_round_by_round_definition() {
    let mut files: Vec<String> =
        stagecraft_testkit::real_world_files().iter().map(|p| stagecraft_testkit::read(p)).collect();
    files.push("FROM alpine AS a\nCOPY --from=c / /\nFROM a AS b\nFROM b AS c\nFROM c AS d\nFROM alpine AS e\nFROM scratch\nCOPY --from=d / /\nCOPY --from=e / /\n".into());
    files.push("FROM alpine AS a\nCOPY --from=a / /\nFROM a AS b\n".into());
    let (mut compared, mut cyclic) = (0, 0);
    for text in &files {
        let a = plain(text);
        for t in 0..a.stages().len() {
            let plan = a.plan(t);
            // The reference puts what never gets ready in a last round of its own.
            let mut waves = plan.waves.clone();
            if !plan.in_cycle.is_empty() {
                waves.push(plan.in_cycle.clone());
            }
            assert_eq!(waves, reference_waves(&a, t), "target {t} of\n{text}");
            // Without a cycle the target stands alone in the last wave; with one, the stages on
            // or above it include the target, and some of them uses another or itself (a stage
            // that copies from itself is a cycle to BuildKit: `TestDockerfileCircularDependencies`).
            assert_eq!(plan.in_cycle.is_empty(), plan.waves.last() == Some(&vec![t]), "target {t} of\n{text}");
            assert!(plan.in_cycle.is_empty() || plan.in_cycle.contains(&t), "target {t} of\n{text}");
            let uses_one = a.graph().edges.iter().any(|e| {
                let source = match a.graph().nodes[e.source] {
                    stagecraft_analysis::GraphNode::Stage(s) => s,
                    _ => return false,
                };
                plan.in_cycle.contains(&source) && plan.in_cycle.contains(&e.stage)
            });
            assert_eq!(plan.in_cycle.is_empty(), !uses_one, "target {t} of\n{text}");
            cyclic += usize::from(!plan.in_cycle.is_empty());
            compared += 1;
        }
    }
    assert!(compared > 300, "{compared}");
    assert!(cyclic >= 4, "{cyclic}");
    // A stage that copies from itself never gets ready, nor what is built on it.
    let a = plain("FROM alpine AS a\nCOPY --from=a / /\nFROM a AS b\nFROM alpine AS c\n");
    let message = &a.build_error().unwrap().message;
    assert!(message.starts_with("circular dependency detected on stage: a; "), "{message}");
    assert_eq!((a.plan(0).in_cycle, a.plan(0).waves.len()), (vec![0], 0));
    assert_eq!((a.plan(1).in_cycle, a.plan(1).waves.len()), (vec![0, 1], 0));
    assert_eq!((a.plan(2).in_cycle, a.plan(2).waves), (vec![], vec![vec![2]]));
}

/// BuildKit expands every word of an ENV before it sets any (`dispatch` expands the command,
/// then `dispatchEnv` adds the pairs): a later pair reads the value from before the line.
#[test]
fn env_pairs_read_the_environment_before_the_line() {
    // The Dockerfile reference's example: `def` is `hello`, not `bye`. Seen through WORKDIR: `/x`
    // is absolute, `y` would be relative.
    let a = plain("FROM scratch\nENV abc=/x\nENV abc=y def=$abc\nWORKDIR $def\n");
    assert!(!codes(&a).contains(&"WorkdirRelativePath"), "{:?}", a.diagnostics());
    let a = plain("FROM scratch\nENV abc=/x\nENV abc=y def=$abc\nWORKDIR $abc\n");
    assert_eq!(codes(&a), ["WorkdirRelativePath"], "{:?}", a.diagnostics());
    // A key set earlier on the same line is not defined yet: UndefinedVar, as BuildKit reports it.
    let a = plain("FROM alpine\nENV GOPATH=/go \\\n    PATH=$GOPATH/bin:$PATH\nRUN echo $GOPATH\n");
    let undefined: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.code == "UndefinedVar").map(|d| d.message.as_str()).collect();
    assert_eq!(undefined, ["Usage of undefined variable '$GOPATH' (did you mean $PATH?)"], "{:?}", a.diagnostics());
    assert_eq!(slice(&a, diag(&a, "UndefinedVar").range), "$GOPATH");
    assert_eq!(diag(&a, "UndefinedVar").lines, (2, 3));
    // `ENV ${K}=v` with `K` unset sets a variable of no name, the nearest to `HD`: BuildKit's
    // message names no suggestion then (found by an audit; it said "did you mean $?").
    let a = plain("FROM alpine\nENV ${K}=v\nWORKDIR /$HD\n");
    let undefined: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.code == "UndefinedVar").map(|d| d.message.as_str()).collect();
    assert_eq!(undefined, ["Usage of undefined variable '$K'", "Usage of undefined variable '$HD'"]);
    // ARG pairs are set one by one (`dispatchArg`), so a later one reads an earlier one.
    let a = plain("FROM alpine\nARG A=/a B=$A\nWORKDIR $B\n");
    assert!(a.diagnostics().is_empty(), "{:?}", a.diagnostics());
}

#[test]
fn named_context_replaces_a_stage() {
    let text =
        "FROM alpine AS deps\nCOPY --from=tools /t /t\nFROM alpine AS tools\nFROM scratch\nCOPY --from=deps /d /d\n";
    let build = Options { named_contexts: vec!["deps".into()], only_needed_stages: true, ..Options::default() };
    let a = analyze(text, &build);
    assert_eq!(a.stages()[0].base_kind, stagecraft_analysis::BaseKind::NamedContext("deps".into()));
    assert_eq!(a.target_builds(2), &[0, 2]);
    assert!(!codes(&a).contains(&"forward-reference"), "a build does not run the replaced stage's steps");
    // BuildKit's lint of every stage (`AllStages`) dispatches the replaced stage again, steps and
    // all: its COPY from a later stage fails there.
    let lint = analyze(text, &Options { named_contexts: vec!["deps".into()], ..Options::default() });
    assert!(codes(&lint).contains(&"forward-reference"), "{:?}", lint.diagnostics());
    // A replaced stage is loaded before any is dispatched: an earlier stage may copy from it,
    // and mount it.
    let later =
        "FROM alpine AS a\nCOPY --from=b /x /y\nRUN --mount=from=b,target=/b true\nFROM alpine AS b\nRUN echo hi\n";
    for target in [None, Some("a")] {
        let options =
            Options { named_contexts: vec!["b".into()], target: target.map(String::from), ..Options::default() };
        let a = analyze(later, &options);
        assert!(
            a.build_error().is_none() && !codes(&a).contains(&"forward-reference"),
            "{target:?}: {:?}",
            a.diagnostics()
        );
    }
    assert!(codes(&plain(later)).contains(&"forward-reference"));
    // Its base name is still read as an image's (`resolveBaseImage` parses it first).
    let bad = "ARG V\nFROM alpine:$V AS base\nFROM base\n";
    let a = analyze(
        bad,
        &Options { named_contexts: vec!["base".into()], target: Some("base".into()), ..Options::default() },
    );
    let e = a.build_error().expect("the base name does not parse");
    assert!(e.message.starts_with("failed to parse stage name \"alpine:\""), "{e:?}");
}

fn with_contexts(text: &str, contexts: &[&str]) -> Analysis {
    let named_contexts = contexts.iter().map(|c| c.to_string()).collect();
    analyze(text, &Options { named_contexts, ..Options::default() })
}

#[test]
fn named_context_replaces_images_by_their_key() {
    // BuildKit looks a base image, a `--from` image and a mount's image up by their familiar
    // name without `:latest`; the stage's instructions still run on the context.
    let text = "FROM docker.io/library/alpine:latest AS base\nRUN apt-get install x\nFROM base\nCOPY --from=nginx /a /a\nRUN --mount=from=busybox:1.36,target=/b true\nCOPY --from=2 /c /c\n";
    let a = with_contexts(text, &["alpine", "nginx", "busybox:1.36"]);
    assert_eq!(a.stages()[0].base_kind, BaseKind::ImageContext("alpine".into()));
    let targets: Vec<&RefTarget> = a.references().iter().map(|r| &r.target).collect();
    assert_eq!(
        targets,
        [
            &RefTarget::NamedContext("alpine".into()),
            &RefTarget::Stage(0),
            &RefTarget::NamedContext("nginx".into()),
            &RefTarget::NamedContext("busybox:1.36".into()),
            // `--from=2` is the state `--from=nginx` added.
            &RefTarget::NamedContext("nginx".into()),
        ]
    );
    assert!(a.plan(1).images.is_empty(), "{:?}", a.plan(1).images);
    assert!(a.graph().nodes.contains(&GraphNode::NamedContext("nginx".into())));
    let svg = a.to_svg(&stagecraft_analysis::SvgOptions::default()).expect("drawn");
    assert!(svg.contains(">FROM alpine (named context)<") && svg.contains(r#"data-context="nginx""#), "{svg}");
    assert!(a.unused_named_contexts().is_empty(), "{:?}", a.unused_named_contexts());
    assert!(a
        .hover(TextSize::new(text.find("nginx").unwrap() as u32))
        .unwrap()
        .markdown
        .contains("named build context"));
    // Without the contexts, the same file pulls three images.
    assert_eq!(plain(text).plan(1).images, ["docker.io/library/alpine:latest", "nginx", "busybox:1.36"]);
}

#[test]
fn named_contexts_that_replace_nothing_are_reported() {
    let text = "FROM alpine:3.20 AS build\nFROM build\nCOPY --from=nginx /a /a\n";
    // Names are read as buildx reads them: `nginx:latest` is `nginx` (used); `Build` is no
    // image name (buildx refuses it: it matches nothing here); `alpine:3.19` is not
    // `alpine:3.20`; the image `scratch` is never looked up.
    let a = with_contexts(text, &["Build", "alpine:3.19", "nginx:latest", "scratch"]);
    let unused: Vec<(&str, Option<&str>)> =
        a.unused_named_contexts().iter().map(|c| (c.name.as_str(), c.suggestion.as_deref())).collect();
    assert_eq!(unused, [("Build", Some("build")), ("alpine:3.19", Some("alpine:3.20")), ("scratch", None)]);
    assert_eq!(a.references()[2].target, RefTarget::NamedContext("nginx".into()));
    assert_eq!(a.stages()[0].base_kind, BaseKind::Image("alpine:3.20".into()));
    // `context` is looked up for an image (BuildKit passes `docker.io/library/context:latest`).
    let a = with_contexts("FROM alpine\nCOPY --from=context /a /a\n", &["context"]);
    assert_eq!(a.references()[1].target, RefTarget::NamedContext("context".into()));
    // A stage by its name, in the familiar form; a name with a platform suffix is no image name.
    let a = with_contexts(text, &["docker.io/library/build"]);
    assert_eq!(a.stages()[0].base_kind, BaseKind::NamedContext("build".into()));
    let hover = a.hover(TextSize::new(text.find("AS build").unwrap() as u32 + 3)).unwrap().markdown;
    assert!(hover.contains("named build context `build` (it replaces the stage)"), "{hover}");
    assert!(a
        .to_svg(&stagecraft_analysis::SvgOptions::default())
        .expect("drawn")
        .contains(">replaced by a named context<"));
    assert!(a.unused_named_contexts().is_empty());
    let a = with_contexts(text, &["build::linux/arm64"]);
    assert_eq!(a.stages()[0].base_kind, BaseKind::Image("alpine:3.20".into()));
    // A `--from` image close to a context's name: the context is suggested.
    let a = with_contexts("FROM alpine\nCOPY --from=deps /d /d\n", &["dep"]);
    let d = diag(&a, "unknown-stage");
    assert!(d.message.contains("did you mean the named context `dep`"), "{}", d.message);
    assert_eq!(d.fix.as_ref().unwrap().edits[0].new_text, "dep");
    // `FROM scratch` stays the empty image.
    let a = with_contexts("FROM scratch\n", &["scratch"]);
    assert_eq!(a.stages()[0].base_kind, BaseKind::Scratch);
}

// ---- our diagnostics ----

#[test]
fn a_stage_name_that_is_no_image_name_fails_docker_build() {
    // BuildKit's parser takes these names, but `docker build` looks each stage name up as a
    // named context, as an image reference, and fails.
    for (name, fixed) in
        [("build-", Some("build")), ("a..b", Some("a-b")), ("x_-y", Some("x-y")), ("a___b", Some("a-b"))]
    {
        let text = format!("FROM alpine AS {name}\nRUN make\nFROM scratch\nCOPY --from={name} /out /\n");
        let a = plain(&text);
        let d = diag(&a, "stage-name-not-a-reference");
        assert_eq!(slice(&a, d.range), name);
        assert!(d.message.contains(&format!("invalid context name {name}: invalid reference format")), "{}", d.message);
        let fix = d.fix.as_ref().map(|f| TextEdit::apply_all(&text, &f.edits));
        assert_eq!(fix, fixed.map(|f| text.replace(name, f)), "{name}");
    }
    // 64 hex digits: no image name either, and not for its separators.
    let hex = "a".repeat(64);
    let a = plain(&format!("FROM alpine AS {hex}\n"));
    let d = diag(&a, "stage-name-not-a-reference");
    assert!(
        d.message.contains("cannot specify 64-byte hexadecimal strings") && !d.message.contains("separators"),
        "{}",
        d.message
    );
    assert_eq!(d.severity, Severity::Error);
    // Renaming to such a name, or to a named context's, is refused.
    let a = with_contexts("FROM alpine AS build\nFROM build\n", &["ctx"]);
    for (new, why) in [("build-", "`docker build` would fail on `build-`"), ("ctx", "`ctx` is a named build context")] {
        let e = a.rename_stage(0, new).unwrap_err();
        assert!(e.0.contains(why), "{new}: {}", e.0);
    }
    // Each with what to do: separators, length (as `library/NAME` counts: the path, without
    // the domain), an ID.
    let long = "x".repeat(248);
    let hex = "a".repeat(64);
    for (new, how) in [
        ("build-", "; keep separators between letters or digits"),
        (long.as_str(), "; use a name of at most 247 characters"),
        (hex.as_str(), "; a name of 64 hexadecimal digits reads as an image ID: add a letter or a separator"),
    ] {
        let e = a.rename_stage(0, new).unwrap_err();
        assert!(e.0.ends_with(how), "{}", e.0);
    }
    assert!(a.rename_stage(0, &"x".repeat(247)).is_ok());
    // A name BuildKit's parser refuses is that error alone.
    let a = plain("FROM alpine AS b\u{e4}se\n");
    assert!(!codes(&a).contains(&"stage-name-not-a-reference"), "{:?}", codes(&a));
    for ok in ["build", "a.b", "a__b", "a--b", "stage-1_x"] {
        let a = plain(&format!("FROM alpine AS {ok}\n"));
        assert!(!codes(&a).contains(&"stage-name-not-a-reference"), "{ok}: {:?}", codes(&a));
    }
}

#[test]
fn unused_stage_is_information_with_a_removal_fix() {
    let text = "FROM alpine AS base\n\n# docs is unused\nFROM node AS docs\nRUN build\n\nFROM base\n";
    let a = plain(text);
    let d = diag(&a, "unused-stage");
    assert_eq!((d.severity, d.unnecessary, slice(&a, d.range)), (Severity::Info, true, "docs"));
    let fix = d.fix.as_ref().unwrap();
    assert_eq!(TextEdit::apply_all(text, &fix.edits), "FROM alpine AS base\n\nFROM base\n");
    // A name two stages have is told apart by the line.
    let a = plain("FROM alpine AS app\nFROM node AS app\nRUN x\n");
    assert_eq!(
        diag(&a, "unused-stage").message,
        "stage `app` on line 1 is not used: the default target `app` on line 2 does not build it, so BuildKit skips it (the legacy builder still builds it)"
    );
}

#[test]
fn unknown_stage_suggests_the_close_name() {
    let a = plain("FROM alpine AS build\nFROM scratch\nCOPY --from=biuld /a /a\n");
    let d = diag(&a, "unknown-stage");
    assert!(d.message.contains("did you mean the stage `build`"));
    assert_eq!(d.fix.as_ref().unwrap().edits[0].new_text, "build");
    // A non-ASCII name as BuildKit reads a flag (byte by byte: `bÃ¤se`) matches no stage, but
    // the text already says `bäse`: no suggestion of what is written (the stage's own name is
    // the error).
    let a = plain("FROM alpine AS b\u{e4}se\nFROM scratch\nCOPY --from=b\u{e4}se /a /a\n");
    assert!(!codes(&a).contains(&"unknown-stage"), "{:?}", a.diagnostics());
    assert!(codes(&a).contains(&"invalid-instruction"));
    // A tagged image is an image, not a typo.
    assert!(
        !codes(&plain("FROM alpine AS build\nFROM scratch\nCOPY --from=biuld:1 /a /a\n")).contains(&"unknown-stage")
    );
    // The stage itself, or a later one, cannot be taken from: said, with no fix (it would turn
    // the pull into a failed build).
    let a = plain("FROM alpine AS a\nFROM a AS build\nCOPY --from=buidl / /\n");
    let d = diag(&a, "unknown-stage");
    assert!(
        d.message.ends_with(
            "the closest name is stage `build` on line 2, which this reference cannot use: a stage takes only from stages before it"
        ),
        "{}",
        d.message
    );
    assert!(d.fix.is_none());
    let a = plain("FROM alpine AS a\nRUN --mount=from=buidl,target=/x true\nFROM alpine AS build\n");
    let d = diag(&a, "unknown-stage");
    assert!(
        d.message.contains("the closest name is stage `build` on line 3, which this reference cannot use"),
        "{}",
        d.message
    );
    assert!(d.fix.is_none());
    // A close name among the stages before it is offered instead (`buildx` is one edit from the
    // later `build`, two from the earlier `builds2`).
    let a = plain("FROM alpine AS builds2\nFROM alpine AS a\nCOPY --from=buildx / /\nFROM alpine AS build\n");
    let d = diag(&a, "unknown-stage");
    assert_eq!(d.fix.as_ref().map(|f| f.edits[0].new_text.as_str()), Some("builds2"), "{}", d.message);
    assert!(d.message.contains("did you mean the stage `builds2`"), "{}", d.message);
    // The last stage of the name is the one `--from` finds: an earlier one of that name does
    // not make it usable.
    let a = plain("FROM alpine AS build\nFROM alpine AS a\nCOPY --from=buidl / /\nFROM alpine AS build\n");
    assert!(diag(&a, "unknown-stage").fix.is_none());
    // A trigger runs in the later stages built on its own: a stage after it may be meant, if
    // it comes before the last of them. One no stage runs names a stage of the Dockerfiles
    // built on this image: no finding.
    let a = plain("FROM alpine AS t\nONBUILD COPY --from=buidl / /\nFROM alpine AS build\nFROM t\n");
    assert!(a.diagnostics().iter().any(|d| d.code == "unknown-stage" && d.fix.is_some()), "{:?}", a.diagnostics());
    let a = plain("FROM alpine AS t\nONBUILD COPY --from=buidl / /\nFROM alpine AS build\n");
    assert!(!a.diagnostics().iter().any(|d| d.code == "unknown-stage"), "{:?}", a.diagnostics());
    let a = plain("FROM alpine AS t\nONBUILD COPY --from=buidl / /\nFROM t\nFROM alpine AS build\n");
    assert!(
        a.diagnostics().iter().any(|d| d.code == "unknown-stage" && d.fix.is_none() && d.message.contains("line 4")),
        "{:?}",
        a.diagnostics()
    );
    // A base one or two edits from an earlier stage's name is a typo too (BuildKit pulls
    // `biulder`), with the same fix; a tagged base, or one close only to a later stage's name,
    // is taken for the image it names (most bases are images).
    let text = "FROM golang AS builder\nFROM biulder AS test\nFROM builder:1\nFROM alpine AS a\nFROM biuld\nFROM alpine AS build\n";
    let a = plain(text);
    let found: Vec<_> = a.diagnostics().iter().filter(|d| d.code == "unknown-stage").collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("did you mean the stage `builder`"), "{}", found[0].message);
    assert_eq!((found[0].lines, slice(&a, found[0].range)), ((2, 2), "biulder"));
    let fixed = TextEdit::apply_all(text, &found[0].fix.as_ref().unwrap().edits);
    assert!(fixed.starts_with("FROM golang AS builder\nFROM builder AS test\n"), "{fixed}");
    assert_eq!(plain(&fixed).stages()[1].base_kind, BaseKind::Stage(0));
    // A base in capitals is no image name: its own errors say so, with no guess beside them.
    let a = plain("FROM golang AS builder\nFROM Builder\nFROM Biulder\n");
    assert!(!codes(&a).contains(&"unknown-stage"), "{:?}", a.diagnostics());
    assert!(codes(&a).contains(&"stage-reference-case"), "{:?}", a.diagnostics());
}

/// BuildKit's lint without a target dispatches every stage (`AllStages`); with `--target`, and
/// in a build, only the stages the target needs: a step failing in another stage fails nothing.
#[test]
fn only_the_stages_a_target_needs_are_dispatched_when_there_is_one() {
    let text = "FROM alpine AS a\nEXPOSE 99999\nCOPY --from=b /x /y\nFROM alpine AS b\nSTOPSIGNAL FOO\nFROM b AS c\n";
    let lint = plain(text);
    assert!(
        lint.build_error().is_some_and(|e| e.message.starts_with("invalid containerPort: 99999")),
        "{:?}",
        lint.build_error()
    );
    let for_target = |text: &str, options: Options| {
        let a = analyze(text, &options);
        (a.build_error().map(|e| e.message.clone()), codes(&a).iter().filter(|c| c.starts_with("invalid")).count())
    };
    // c needs b (its base): b's STOPSIGNAL fails, a's steps are never run.
    let (error, _) =
        for_target(text, Options { target: Some("c".into()), targets: vec!["c".into()], ..Options::default() });
    assert!(error.as_deref().is_some_and(|e| e.contains("FOO")), "{error:?}");
    // The same for the default target, as a build (not its lint) runs it.
    let (error, _) = for_target(text, Options { only_needed_stages: true, ..Options::default() });
    assert!(error.as_deref().is_some_and(|e| e.contains("FOO")), "{error:?}");
    // A target whose stages all dispatch cleanly: no failure at all.
    let text = "FROM alpine AS a\nEXPOSE 99999\nFROM alpine AS b\nRUN true\n";
    let (error, invalid) =
        for_target(text, Options { target: Some("b".into()), targets: vec!["b".into()], ..Options::default() });
    assert_eq!((error, invalid), (None, 0));
    assert!(plain(text).build_error().is_some(), "the lint of every stage still fails");
    // `#N` names the stage at index N, as a name does (not the last stage, whose step fails).
    let three = format!("{text}FROM alpine AS c\nSTOPSIGNAL FOO\n");
    let (error, invalid) =
        for_target(&three, Options { target: Some("#1".into()), targets: vec!["#1".into()], ..Options::default() });
    assert_eq!((error, invalid), (None, 0));
    // Targets in play given with --target add their stages.
    let both = Options { target: Some("b".into()), targets: vec!["a".into(), "b".into()], ..Options::default() };
    assert!(analyze(text, &both).build_error().is_some());
}

/// BuildKit sets `TARGETSTAGE` per build: each target in play builds what its own build
/// would, not what the `--target` of this analysis makes of a base that reads it.
#[test]
fn each_target_in_play_reads_its_own_targetstage() {
    let text = "FROM alpine AS prod-base\nFROM alpine AS dev-base\nFROM ${TARGETSTAGE}-base AS prod\nFROM ${TARGETSTAGE}-base AS dev\n";
    let unused = |options: Options| {
        let a = analyze(text, &options);
        a.diagnostics()
            .iter()
            .filter(|d| d.code == "unused-stage")
            .map(|d| slice(&a, d.range).to_string())
            .collect::<Vec<_>>()
    };
    // `--target prod`: it builds its own base; the default target (`dev`) is not built.
    let prod = Options { target: Some("prod".into()), targets: vec!["prod".into()], ..Options::default() };
    assert_eq!(unused(prod), ["dev-base", "dev"]);
    // With `dev` in play too: each builds its own base.
    let both = Options { target: Some("prod".into()), targets: vec!["dev".into()], ..Options::default() };
    assert_eq!(unused(both), Vec::<String>::new());
    // The default alone: only `dev-base` (and `prod`, built by no target in play).
    assert_eq!(unused(Options::default()), ["prod-base", "prod"]);
    // A target in play that is not the `--target`: its own base too.
    let prod_in_play = Options { targets: vec!["prod".into()], ..Options::default() };
    assert_eq!(unused(prod_in_play), Vec::<String>::new());
    // Read through a global ARG, too.
    let text = "ARG B=${TARGETSTAGE}-base\nFROM alpine AS prod-base\nFROM alpine AS dev-base\nFROM $B AS prod\nFROM $B AS dev\n";
    let a = analyze(text, &Options { targets: vec!["prod".into()], ..Options::default() });
    assert!(!codes(&a).contains(&"unused-stage"), "{:?}", a.diagnostics());
    // `#2`, stagecraft's name for the stage at index 2, builds as `prod` does.
    let a = analyze(text, &Options { targets: vec!["#2".into()], ..Options::default() });
    assert!(!codes(&a).contains(&"unused-stage"), "{:?}", a.diagnostics());
}

/// `--from=scratch` and a mount `from=scratch` are the empty image: nothing to pull.
#[test]
fn scratch_is_pulled_by_no_plan() {
    let a = plain(
        "FROM alpine\nRUN --mount=from=scratch,target=/x true\nCOPY --from=scratch /a /a\nCOPY --from=nginx /b /b\n",
    );
    assert_eq!(a.plan(0).images, vec!["alpine".to_string(), "nginx".into()]);
    assert!(plain("FROM scratch\nCOPY --from=scratch /a /a\n").plan(0).images.is_empty());
}

/// `stage-N` is how stagecraft shows a stage without a name, never a name BuildKit knows: a
/// `--from=stage-0` pulls an image, and the finding says to use the index.
#[test]
fn the_label_of_an_unnamed_stage_is_no_name() {
    let text =
        "FROM alpine\nRUN make\nFROM alpine\nCOPY --from=stage-0 /a /a\nRUN --mount=from=stage-0,target=/m true\n";
    let a = plain(text);
    let found: Vec<&stagecraft_analysis::Diagnostic> =
        a.diagnostics().iter().filter(|d| d.code == "unknown-stage").collect();
    assert_eq!(found.len(), 2, "{:?}", a.diagnostics());
    assert!(found[0].message.contains("stage 0 has no name"), "{}", found[0].message);
    assert!(found[0].message.contains("refer to the stage by its index `0`, or name it with `AS`"));
    let fix = found[0].fix.as_ref().unwrap();
    assert_eq!(fix.applicability, Applicability::Unsafe, "the build changes: no image pull");
    let fixed = TextEdit::apply_all(text, &fix.edits);
    let b = plain(&fixed);
    assert!(fixed.contains("COPY --from=0 /a /a"));
    assert_eq!(b.references().iter().filter(|r| r.stage() == Some(0)).count(), 1, "{fixed}");
    // The stage itself or a later one: said, with no fix (`--from=1` in stage 1 is a cycle,
    // `--from=2` a forward reference).
    let text = "FROM alpine\nFROM alpine\nCOPY --from=stage-1 /a /b\nCOPY --from=stage-2 /a /b\nFROM alpine\n";
    let a = plain(text);
    for d in a.diagnostics().iter().filter(|d| d.code == "unknown-stage") {
        assert!(d.fix.is_none(), "{d:?}");
        assert!(d.message.contains("a stage takes only from stages before it"), "{}", d.message);
    }
    assert_eq!(codes(&a).iter().filter(|c| **c == "unknown-stage").count(), 2);
    // A trigger that no stage of this file runs names a stage of the Dockerfiles built on this
    // image (see rename_follows_an_onbuild_trigger_only_where_a_stage_here_runs_it): nothing
    // here tells what it names.
    let a = plain("FROM alpine\nFROM alpine AS builder\nONBUILD COPY --from=stage-0 /a /b\n");
    assert!(!codes(&a).contains(&"unknown-stage"), "{:?}", codes(&a));
    // FROM takes no index: the finding says to name the stage, and offers no edit.
    let a = plain("FROM alpine\nRUN make\nFROM stage-0\n");
    let d = diag(&a, "unknown-stage");
    assert!(d.message.contains("FROM names a stage only by its name: give stage 0 one with `AS`"), "{}", d.message);
    assert!(d.fix.is_none());
    // Not where `stage-N` could be meant: a named stage N, a stage N that does not exist, a
    // leading zero, or a stage really named so.
    for text in [
        "FROM alpine AS a\nFROM alpine\nCOPY --from=stage-0 /a /a\n",
        "FROM alpine\nCOPY --from=stage-7 /a /a\n",
        "FROM alpine\nFROM alpine\nCOPY --from=stage-00 /a /a\n",
        "FROM alpine AS stage-0\nFROM alpine\nCOPY --from=stage-0 /a /a\n",
    ] {
        assert!(!codes(&plain(text)).contains(&"unknown-stage"), "{text}");
    }
}

#[test]
fn from_a_later_stage_or_in_another_case() {
    let a = plain("FROM builder\nFROM alpine AS builder\n");
    assert!(diag(&a, "forward-stage-reference").message.contains("defined later (line 2)"));
    // A stage named after its base image is no mistake: FROM cannot see the stage it starts.
    for text in ["FROM node AS node\n", "FROM Node AS node\n", "FROM alpine AS base\nFROM base AS base\n"] {
        let a = plain(text);
        let codes = codes(&a);
        assert!(!codes.contains(&"forward-stage-reference") && !codes.contains(&"stage-reference-case"), "{text}");
    }
    // A later stage of that name still earns the note.
    let a = plain("FROM node AS node\nFROM alpine AS node\n");
    assert!(diag(&a, "forward-stage-reference").message.contains("defined later (line 2)"));
    // Another case is no forward reference: a code of its own.
    let a = plain("FROM alpine AS builder\nFROM Builder\n");
    assert!(!codes(&a).contains(&"forward-stage-reference"));
    let d = diag(&a, "stage-reference-case");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.fix.as_ref().unwrap().edits[0].new_text, "builder");
}

#[test]
fn an_empty_from_is_reported_where_it_is_written() {
    let text = "FROM alpine AS a\nONBUILD COPY --from= /t /t\nFROM a\nCOPY --from=  /x /y\nRUN --mount=type=bind,from=,target=/m true\n\
                RUN --mount=\"type=cache,FROM=,target=/é\" true\n";
    let a = plain(text);
    let empties: Vec<_> = a.diagnostics().iter().filter(|d| d.code == "empty-from").collect();
    // The trigger once (not again in the stage that inherits it), the COPY, the mounts (a key in
    // any case, in a quoted value).
    assert_eq!(
        empties.iter().map(|d| (d.severity, slice(&a, d.range))).collect::<Vec<_>>(),
        [
            (Severity::Warning, "--from="),
            (Severity::Warning, "--from="),
            (Severity::Warning, "from="),
            (Severity::Warning, "FROM=")
        ]
    );
    // BuildKit copies from the context either way, so removing the flag is safe; the mount's
    // field has no fix.
    let fix = empties[1].fix.as_ref().unwrap();
    assert_eq!(fix.applicability, Applicability::Safe);
    assert_eq!(TextEdit::apply_all(text, &fix.edits).lines().nth(3), Some("COPY /x /y"));
    assert!(empties[2].fix.is_none());
    // A named value is no empty one.
    assert!(!codes(&plain("FROM alpine AS a\nFROM a\nCOPY --from=a /x /y\n")).contains(&"empty-from"));
}

/// A mount's `from=0` is the image `0` (BuildKit finds a mount's stage by name only): said,
/// with the stage's name as an unsafe fix where it has one; not for an index no earlier stage
/// has, nor for a COPY's `--from=0`, which is the stage.
#[test]
fn a_mount_from_an_index_is_an_image_and_said_so() {
    let text = "FROM alpine AS deps\nFROM alpine\nFROM alpine\nRUN --mount=from=0,target=/d true\nRUN --mount=type=cache,from=1,target=/c true\nRUN --mount=from=2 true\nCOPY --from=0 /a /b\n";
    let a = plain(text);
    let found = findings(&a, "mount-from-index");
    assert_eq!(found.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(), [("0", 4), ("1", 5)], "{found:?}");
    assert_eq!(
        found[0].2,
        "`from=0` names the image `0`, not stage 0: a mount's `from` finds a stage by its name only, so BuildKit pulls `0`, which fails; stage 0 is `deps`"
    );
    assert!(found[1].2.ends_with("; name stage 1 (`AS name` after its base) and use the name"), "{}", found[1].2);
    let fixes: Vec<_> =
        a.diagnostics().iter().filter(|d| d.code == "mount-from-index").map(|d| d.fix.clone()).collect();
    let fix = fixes[0].as_ref().expect("a fix for the named stage");
    assert_eq!(fix.applicability, Applicability::Unsafe);
    assert_eq!(TextEdit::apply_all(text, &fix.edits).lines().nth(3), Some("RUN --mount=from=deps,target=/d true"));
    assert!(fixes[1].is_none());
    // The fixed mount takes the stage.
    let after = plain(&TextEdit::apply_all(text, &fix.edits));
    assert!(after.references().iter().any(|r| r.line == 4 && r.target == RefTarget::Stage(0)));
    // A name a later stage takes again would find that stage: no fix. `+0` is no image name
    // (BuildKit says so): not this finding.
    let text = "FROM alpine AS deps\nFROM alpine\nRUN --mount=from=0,target=/d true\nRUN --mount=from=+0,target=/e true\nFROM alpine AS deps\n";
    let a = plain(text);
    let found: Vec<_> = a.diagnostics().iter().filter(|d| d.code == "mount-from-index").collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].fix.is_none() && found[0].message.ends_with("stage 0 is `deps`, a name a later stage takes again"),
        "{found:?}"
    );
}

#[test]
fn an_image_name_that_args_leave_incomplete_says_where_it_comes_from() {
    let a = plain("ARG app\nFROM alpine AS source-web\nFROM source-${app} AS source\nFROM alpine:${app}\n");
    let bad: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.code == "invalid-image-reference").map(|d| d.message.as_str()).collect();
    assert_eq!(bad, [
        "failed to parse stage name \"source-\": invalid reference format; `source-${app}` expands to it: no value: `app` (give a default or pass --build-arg)",
        "failed to parse stage name \"alpine:\": invalid reference format; `alpine:${app}` expands to it: no value: `app` (give a default or pass --build-arg)",
    ]);
    // Several, and one never declared; a blank base says the same.
    let a = plain("ARG ns\nARG ver\nFROM ${ns}/base:${ver}-$X\nFROM $NOPE\n");
    let messages: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.severity == Severity::Error).map(|d| d.message.as_str()).collect();
    assert_eq!(messages, [
        "failed to parse stage name \"/base:-\": invalid reference format; `${ns}/base:${ver}-$X` expands to it: not declared: `X` (declare with `ARG` before the first FROM); no value: `ns`, `ver` (give a default or pass --build-arg)",
        "base name ($NOPE) should not be blank: not declared: `NOPE` (declare with `ARG` before the first FROM)",
    ]);
    // With the build arg, the name is a stage's.
    let options = Options { build_args: vec![("app".into(), "web".into())], ..Options::default() };
    let a = analyze("ARG app\nFROM alpine AS source-web\nFROM source-${app} AS source\n", &options);
    assert!(a.build_error().is_none());
    assert_eq!(a.stages()[1].base_kind, stagecraft_analysis::BaseKind::Stage(0));
    // A build arg given empty replaces the ARG's default: said so, not "give a default".
    let options = Options { build_args: vec![("TAG".into(), String::new())], ..Options::default() };
    let a = analyze("ARG TAG=3\nFROM alpine:${TAG}\n", &options);
    assert_eq!(
        diag(&a, "invalid-image-reference").message,
        "failed to parse stage name \"alpine:\": invalid reference format; `alpine:${TAG}` expands to it: set empty by --build-arg: `TAG` (give it a value, or leave it out for the ARG's default)"
    );
    // Not declared, the build arg does not count (BuildKit ignores it): declaring is the advice.
    let a = analyze("FROM alpine:${TAG}\n", &options);
    assert!(
        diag(&a, "invalid-image-reference")
            .message
            .ends_with("not declared: `TAG` (declare with `ARG` before the first FROM)"),
        "{}",
        diag(&a, "invalid-image-reference").message
    );
}

#[test]
fn an_image_name_that_does_not_parse_says_the_usual_slip() {
    let message = |base: &str| {
        let a = plain(&format!("FROM {base}\n"));
        diag(&a, "invalid-image-reference").message.clone()
    };
    assert_eq!(
        message("maven:3.8-jdk:17"),
        "failed to parse stage name \"maven:3.8-jdk:17\": invalid reference format; an image has one tag, after one `:` (`name:tag`)"
    );
    assert!(message("localhost:5000/app:1:2").ends_with("; an image has one tag, after one `:` (`name:tag`)"));
    assert!(message("alpine:").ends_with("; the tag after `:` or the digest after `@` is missing"));
    // BuildKit's own words say it already, or the cause is not plain: nothing added.
    assert_eq!(
        message("Alpine"),
        "failed to parse stage name \"Alpine\": invalid reference format: repository name (library/Alpine) must be lowercase"
    );
    assert_eq!(message("a..b"), "failed to parse stage name \"a..b\": invalid reference format");
    // An IPv6 registry's colons are no tags.
    assert!(!message("[::1]:5000:x").contains("one tag"), "{}", message("[::1]:5000:x"));
}

#[test]
fn build_failures_are_errors() {
    let a = plain("FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nCOPY --from=a /y /y\n");
    assert_eq!(
        diag(&a, "circular-dependency").message,
        "circular dependency detected on stage: a; `a` takes from `b` on line 2, `b` from `a` on line 4: one of them must not"
    );
    // What the cycle is made of, for each kind of edge and wherever the search started.
    let explained = |text: &str| {
        let a = plain(text);
        let message = diag(&a, "circular-dependency").message.clone();
        message.split_once("; ").map(|(_, e)| e.to_string()).unwrap_or(message)
    };
    // A stage that takes from itself: by its own name, or by a name another stage has too
    // (BuildKit takes the last stage of a name; not so for an index), also through a mount
    // (the `from=` value is quoted, not the RUN).
    assert_eq!(
        explained("FROM alpine AS a\nCOPY --from=a /x /x\n"),
        "`a` takes from itself on line 2: a stage cannot take files from itself; name an earlier stage"
    );
    assert_eq!(
        explained("FROM alpine AS build\nFROM alpine AS build\nCOPY --from=build /x /x\n"),
        "`build` (line 2) takes from itself on line 3: BuildKit takes the last of the stages named `build`; rename one of them"
    );
    assert_eq!(
        explained("FROM alpine AS build\nFROM alpine AS build\nCOPY --from=1 /x /x\n"),
        "`build` (line 2) takes from itself (`1`) on line 3: a stage cannot take files from itself; name an earlier stage"
    );
    assert_eq!(
        explained("FROM alpine AS a\nRUN --mount=from=a,target=/x true\n"),
        "`a` takes from itself on line 2: a stage cannot take files from itself; name an earlier stage"
    );
    // Indexes are written as they are; a search that starts outside the cycle leads into it.
    assert_eq!(
        explained("FROM alpine\nCOPY --from=1 /x /x\nFROM alpine\nCOPY --from=0 /y /y\n"),
        "`stage-0` takes from `stage-1` (`1`) on line 2, `stage-1` from `stage-0` (`0`) on line 4: one of them must not"
    );
    assert_eq!(
        explained(
            "FROM alpine AS z\nCOPY --from=b /q /q\nFROM alpine AS b\nCOPY --from=c /x /x\nFROM alpine AS c\nRUN --mount=from=b,target=/t true\n"
        ),
        "`z` takes from `b` on line 2, which is in a cycle: `b` takes from `c` on line 4, `c` from `b` on line 6: one of them must not"
    );
    let a = plain("FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\n");
    assert!(diag(&a, "forward-reference").message.contains("needs to be defined before current stage \"a\""));
    let a = plain("FROM alpine\nCOPY --from=3 /x /x\n");
    assert!(diag(&a, "stage-index-out-of-range").message.starts_with("invalid stage index 3"));
    // BuildKit's error has no location; the finding still points at the index.
    let e = a.build_error().unwrap();
    assert_eq!((e.lines, e.range.map(|r| slice(&a, r))), (None, Some("3")));
    let a = plain("ARG S=x\nFROM alpine\nCOPY --from=$S /x /x\n");
    assert_eq!(diag(&a, "variable-in-from").severity, Severity::Error);
    let a = plain("FROM alpine AS 1st\n");
    assert!(diag(&a, "invalid-instruction").message.contains("invalid name for build stage"));
    let a = plain("FROM alpine\nCOPY --form=x a b\n");
    assert!(diag(&a, "invalid-instruction").message.contains("unknown flag: --form (did you mean from?)"));
    // BuildKit counts MAINTAINER's arguments before it parses the flags: with nothing after a
    // flag, the argument is missing (not the flag unknown); with text, the flag is unknown.
    let a = plain("FROM alpine\nMAINTAINER --x=1\n");
    assert_eq!(diag(&a, "invalid-instruction").message, "MAINTAINER requires exactly one argument");
    let a = plain("FROM alpine\nMAINTAINER --x=1 me\n");
    assert_eq!(diag(&a, "invalid-instruction").message, "unknown flag: --x");
    let a = plain("FROM alpine\nRUNN x\n");
    assert!(diag(&a, "unknown-instruction").message.contains("did you mean RUN?"));
    let a = plain("ARG IMG\nFROM $IMG\n");
    assert!(diag(&a, "blank-base").message.contains("base name ($IMG) should not be blank"));
    // A FROM without a base (being typed) fails as an instruction, and that is all: no ARG
    // made its base blank or invalid.
    for bare in ["FROM", "FROM ", "FROM --platform=$BUILDPLATFORM", "FROM --platform=linux/amd64", "ARG V=1\nFROM"] {
        let a = plain(&format!("FROM alpine AS a\nRUN true\n{bare}\n"));
        let errors: Vec<&str> = codes(&a).into_iter().filter(|c| *c != "unused-stage").collect();
        assert_eq!(errors, ["invalid-instruction"], "{bare}: {:?}", a.diagnostics());
        let message = &diag(&a, "invalid-instruction").message;
        assert!(message.starts_with("FROM requires either one or three arguments; write `FROM image`"), "{message}");
        // The unused stage's hint names it by its line, having no base to show.
        assert!(
            diag(&a, "unused-stage").message.contains("the default target stage 1 (the `FROM` on line "),
            "{:?}",
            a.diagnostics()
        );
    }
    let a = plain("FROM Alpine:3\n");
    assert!(diag(&a, "invalid-image-reference").message.contains("must be lowercase"));
    assert!(a.build_error().is_some());
}

// ---- BuildKit's checks ----

#[test]
fn buildkit_checks_fire_and_honour_check_skip() {
    let text = concat!(
        "ARG VARIANT\n",
        "FROM alpine${VARINAT} as Build\n",
        "FROM alpine AS build\n",
        "FROM alpine AS scratch\n",
        "FROM --platform=$TARGETPLATFORM alpine AS p\n",
        "FROM --platform=linux/arm64 alpine AS q\n",
        "ENV a b\n",
        "CMD echo one\n",
        "CMD [\"two\"]\n",
        "MAINTAINER me\n",
        "EXPOSE 80/TCP 8080:80\n",
        "WORKDIR app\n",
        "ENV API_TOKEN=x\n",
        "COPY $UNDEFINED /a\n",
    );
    let a = plain(text);
    let got: Vec<&str> = a.diagnostics().iter().filter(|d| d.buildkit_reports).map(|d| d.code.as_str()).collect();
    for rule in [
        "UndefinedArgInFrom",
        "FromAsCasing",
        "StageNameCasing",
        "DuplicateStageName",
        "ReservedStageName",
        "RedundantTargetPlatform",
        "FromPlatformFlagConstDisallowed",
        "LegacyKeyValueFormat",
        "JSONArgsRecommended",
        "MultipleInstructionsDisallowed",
        "MaintainerDeprecated",
        "ExposeProtoCasing",
        "ExposeInvalidFormat",
        "WorkdirRelativePath",
        "SecretsUsedInArgOrEnv",
        "UndefinedVar",
    ] {
        assert!(got.contains(&rule), "{rule} missing: {got:?}");
    }
    let d = diag(&a, "UndefinedArgInFrom");
    assert_eq!(d.message, "FROM argument 'VARINAT' is not declared (did you mean VARIANT?)");
    assert_eq!(slice(&a, d.range), "alpine${VARINAT}");
    let legacy = diag(&a, "LegacyKeyValueFormat");
    assert_eq!(legacy.fix.as_ref().unwrap().edits[0].new_text, "=b");

    let skipped = plain(&format!("# check=skip=FromAsCasing,UndefinedVar;error=true\n{text}"));
    let got: Vec<&str> = skipped.diagnostics().iter().map(|d| d.code.as_str()).collect();
    assert!(!got.contains(&"FromAsCasing") && !got.contains(&"UndefinedVar"));
    assert_eq!(diag(&skipped, "StageNameCasing").severity, Severity::Error);
    let all = plain(&format!("# check=skip=all\n{text}"));
    assert!(all.diagnostics().iter().all(|d| stagecraft_analysis::rules::by_name(&d.code).is_none()));
}

#[test]
fn warnings_after_a_build_error_are_kept_but_marked() {
    let a = plain("FROM alpine\nCOPY --from=$X /a /a\nENV a b\n");
    let legacy = diag(&a, "LegacyKeyValueFormat");
    assert!(!legacy.buildkit_reports, "BuildKit stops at the --from error before dispatch");
}

#[test]
fn names_a_failed_expansion_looked_up_are_linted_before_it_fails() {
    // BuildKit's ProcessWord returns the unset names it met with its error, and its callers
    // lint them before they fail: in FROM, in --platform and in an instruction's words.
    let reported = |text: &str| {
        let a = plain(text);
        let error = a.build_error().map(|e| e.message.clone());
        let seen: Vec<(String, bool)> =
            a.diagnostics().iter().map(|d| (format!("{} {}", d.code, d.message), d.buildkit_reports)).collect();
        (error, seen)
    };
    let (error, seen) = reported("FROM ${X?oops}\n");
    assert_eq!(error.as_deref(), Some("failed to process \"${X?oops}\": X: oops"));
    assert!(seen.contains(&("UndefinedArgInFrom FROM argument 'X' is not declared".into(), true)), "{seen:?}");
    let (error, seen) = reported("FROM --platform=${P:?oops} alpine\n");
    assert!(error.is_some());
    assert!(seen.contains(&("UndefinedArgInFrom FROM argument 'P' is not declared".into(), true)), "{seen:?}");
    let (error, seen) = reported("FROM alpine\nWORKDIR /${Y?bad}\n");
    assert_eq!(error.as_deref(), Some("failed to process \"/${Y?bad}\": Y: bad"));
    assert!(seen.contains(&("UndefinedVar Usage of undefined variable '$Y'".into(), true)), "{seen:?}");
    // A COPY heredoc that is expanded fails the build as a word does, but after every word:
    // BuildKit expands the heredocs (`ExpandRaw`) once the sources and destination are.
    let (error, seen) = reported("FROM alpine\nCOPY <<EOF /x\n${Z?bad} $W\nEOF\n");
    assert_eq!(error.as_deref(), Some("failed to process \"${Z?bad} $W\\n\": Z: bad"));
    assert!(seen.contains(&("UndefinedVar Usage of undefined variable '$Z'".into(), true)), "{seen:?}");
    assert!(!seen.iter().any(|(d, _)| d.contains("'$W'")), "the lexer stops at the error: {seen:?}");
    let (error, seen) = reported("FROM alpine\nCOPY <<EOF ${D?dest}\n${Z?bad}\nEOF\n");
    assert_eq!(error.as_deref(), Some("failed to process \"${D?dest}\": D: dest"));
    assert!(seen.contains(&("UndefinedVar Usage of undefined variable '$Z'".into(), false)), "{seen:?}");
    // Bodies are looked up by their word's name (`heredocLookup` in BuildKit's
    // `parseSourcesAndDest`): of two named EOF, the second is copied for both words, and the
    // first is never expanded (found by a heredoc audit; they were taken in order).
    let (error, seen) = reported("FROM alpine\nCOPY <<EOF <<EOF /a/\n${X1?must be set}\nEOF\n$X2\nEOF\n");
    assert_eq!(error, None, "{seen:?}");
    let undefined: Vec<&str> =
        seen.iter().filter(|(d, _)| d.starts_with("UndefinedVar")).map(|(d, _)| &d[..]).collect();
    assert_eq!(undefined, ["UndefinedVar Usage of undefined variable '$X2'"; 2], "expanded once per word");
    // The name BuildKit reads in the word: `<<E\ OF` is the parser's `E OF`, and COPY's word
    // `<<E\` names `E`, which no body has: an empty file, nothing expanded.
    let (error, seen) = reported("FROM alpine\nCOPY <<E\\ OF /d/\n${Z?boom}\nE OF\n");
    assert_eq!(error, None, "{seen:?}");
    assert!(!seen.iter().any(|(d, _)| d.contains("'$Z'")), "{seen:?}");
    // The same in an inherited trigger, run at the FROM of the stage built on it.
    let (error, _) = reported("FROM alpine AS base\nONBUILD COPY <<EOF <<EOF /d/\n${Q?x}\nEOF\nok\nEOF\nFROM base\n");
    assert_eq!(error, None);
    let (error, _) = reported("FROM alpine AS base\nONBUILD COPY <<EOF <<X /d/\n${Q?x}\nEOF\nok\nX\nFROM base\n");
    assert_eq!(error.as_deref(), Some("failed to process \"${Q?x}\\n\": Q: x"), "the body read fails it");
}

#[test]
fn severity_overrides_apply() {
    let a = analyze(
        "FROM alpine AS x\nFROM alpine\n",
        &Options { severities: vec![("unused-stage".into(), Severity::Warning)], ..Options::default() },
    );
    assert_eq!(diag(&a, "unused-stage").severity, Severity::Warning);
}

/// A mount's `from=` with a variable fails BuildKit's parse of the RUN: that one error, and
/// neither an image to pull nor a reference that resolves.
#[test]
fn a_variable_in_a_mount_from_is_only_the_parse_error() {
    let a = plain("FROM alpine AS a\nARG S=a\nRUN --mount=from=$S,target=/x true\n");
    let codes: Vec<&str> = a.diagnostics().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["invalid-instruction"], "{:?}", a.diagnostics());
    assert!(a.diagnostics()[0].message.contains("'from' doesn't support variable expansion"));
    let r = a.references().iter().find(|r| r.value == "$S").expect("the mount's reference");
    assert!(matches!(r.target, RefTarget::Invalid(_)), "{:?}", r.target);
    assert!(
        !a.graph().nodes.iter().any(|n| matches!(n, GraphNode::Image(i) if i.contains('$'))),
        "no image node for `$S`"
    );
}

#[test]
fn unknown_targets_get_one_message_everywhere() {
    let a = plain("FROM alpine AS Build\nFROM build AS test\nFROM scratch\n");
    assert_eq!(a.resolve_target("BUILD"), Ok(0), "names match ignoring case");
    assert_eq!(a.resolve_target("tset"), Err("target stage \"tset\" could not be found (did you mean test?)".into()));
    assert_eq!(
        a.resolve_target("release"),
        Err("target stage \"release\" could not be found; targets: Build, test".into()),
        "no close name: the names there are, as written"
    );
    let unnamed = plain("FROM alpine\n");
    assert_eq!(unnamed.resolve_target("x"), Err("target stage \"x\" could not be found; no stage has a name".into()));
    // An empty name is the default target, as BuildKit reads an empty `--target`.
    assert_eq!(a.resolve_target(""), Ok(2));
    assert_eq!(unnamed.resolve_target(""), Ok(0));
    // Targets in play by `#index` too.
    let text = "FROM alpine AS build\nFROM build AS test\nFROM alpine\n";
    let unused = |targets: &[&str]| {
        let a =
            analyze(text, &Options { targets: targets.iter().map(|t| t.to_string()).collect(), ..Options::default() });
        a.unused_stages().to_vec()
    };
    assert_eq!(unused(&[]), [0, 1]);
    assert_eq!(unused(&["#1"]), unused(&["TEST"]));
    assert_eq!(unused(&["#1"]), [] as [usize; 0]);
    // `#index` names any stage, the unnamed ones included.
    assert_eq!(unnamed.resolve_stage("#0"), Ok(0));
    assert_eq!(a.resolve_stage("build"), Ok(0));
    let n = a.stages().len();
    assert_eq!(
        a.resolve_stage(&format!("#{n}")),
        Err(format!("no stage #{n}: the file has {n} stages, #0 to #{}", n - 1))
    );
    assert!(a.resolve_stage("#x").is_err() && a.resolve_stage("#").is_err() && a.resolve_stage("#-1").is_err());
    // Lists show a stage without a name as `stage-N`: asked for so, the answer says how to.
    assert_eq!(
        a.resolve_stage("stage-2"),
        Err("target stage \"stage-2\" could not be found; targets: Build, test; stage 2 has no name: ask for it as #2"
            .into())
    );
    assert_eq!(
        a.resolve_stage("stage-1"),
        Err("target stage \"stage-1\" could not be found; targets: Build, test".into())
    );
    assert_eq!(
        plain("FROM alpine\n").resolve_stage("stage-0"),
        Err("target stage \"stage-0\" could not be found; no stage has a name: ask for stage 0 as #0".into())
    );
    // A command that asks for a stage by name (a rename) says "stage", not "target stage".
    assert_eq!(a.stage_named("tset"), Err("stage \"tset\" could not be found (did you mean test?)".into()));
    assert_eq!(a.stage_named("nope"), Err("stage \"nope\" could not be found; stages: Build, test".into()));
    assert_eq!(a.stage_named("TEST"), Ok(1));
    // A name stages share is listed once, as written where `--target` finds it (the last).
    let shared = plain("FROM alpine AS dup\nFROM alpine AS Dup\nFROM alpine AS other\nFROM alpine AS DUP\n");
    assert_eq!(
        shared.resolve_target("release"),
        Err("target stage \"release\" could not be found; targets: other, DUP".into())
    );
    // The suggestion is among the names BuildKit keeps, lower-cased: "tset" is two edits from
    // `test`, three from `Test`.
    let upper = plain("FROM alpine AS build\nFROM alpine AS Test\nFROM alpine\n");
    assert_eq!(
        upper.resolve_target("tset"),
        Err("target stage \"tset\" could not be found (did you mean test?)".into())
    );
}

#[test]
fn unused_stage_messages_name_the_targets_in_play() {
    let text =
        "FROM alpine AS base\nFROM alpine AS lint\nFROM alpine AS builder\nFROM alpine\nCOPY --from=builder /a /b\n";
    let a = analyze(text, &Options { targets: vec!["lint".into()], ..Options::default() });
    let unused: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.code == "unused-stage").map(|d| d.message.as_str()).collect();
    assert_eq!(unused, [
        "stage `base` is not used: none of the targets in play — the default target stage 3 (`FROM alpine` on line 4), `lint` — builds it, so BuildKit skips it (the legacy builder still builds it)",
    ]);
    let a = plain(text);
    assert!(
        diag(&a, "unused-stage")
            .message
            .contains(": the default target stage 3 (`FROM alpine` on line 4) does not build it, so"),
        "{}",
        diag(&a, "unused-stage").message
    );
    // The legacy builder stops at the target: a stage after it is not built by either.
    let text = "FROM alpine AS a\nFROM alpine AS test\nFROM alpine AS after\n";
    let a = analyze(text, &Options { target: Some("test".into()), targets: vec!["test".into()], ..Options::default() });
    let unused: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.code == "unused-stage").map(|d| d.message.as_str()).collect();
    assert_eq!(unused, [
        "stage `a` is not used: the target `test` does not build it, so BuildKit skips it (the legacy builder still builds it)",
        "stage `after` is not used: the target `test` does not build it, so BuildKit skips it",
    ]);
    // A `--target` naming the default target is the target it was given as; one the file
    // lacks leaves the default target.
    let text = "FROM alpine AS a\nFROM alpine AS c\n";
    for (target, said) in [("c", "the target `c`"), ("nope", "the default target `c`")] {
        let a = analyze(text, &Options { target: Some(target.into()), ..Options::default() });
        let message = &diag(&a, "unused-stage").message;
        assert!(message.starts_with(&format!("stage `a` is not used: {said} does not build it")), "{message}");
    }
}

#[test]
fn a_rename_refuses_a_stage_a_variable_base_may_name() {
    // With `--platform linux/arm64` the last FROM names `base-arm64`: renaming it would break
    // that build (the one the default platform picks is refused as referenced through `$`).
    let text = "FROM alpine AS base-amd64\nFROM alpine AS base-arm64\nFROM base-${TARGETARCH} AS final\n";
    let refusal =
        "`FROM base-${TARGETARCH}` (line 3) may name it with other build args or another platform: rename by hand";
    let a = plain(text);
    assert_eq!(a.rename_stage(1, "arm").map_err(|e| e.to_string()), Err(refusal.to_string()));
    assert!(a.rename_stage(0, "amd").unwrap_err().0.contains("also referenced as `base-${TARGETARCH}`"));
    // An editor's prepareRename is refused too (a prepared rename is one that goes ahead).
    assert!(a.prepare_rename(TextSize::new(text.find("base-arm64").unwrap() as u32)).is_err());
    // Whatever the targets in play (an editor's setting may make the stage used).
    let a = analyze(text, &Options { targets: vec!["base-arm64".into()], ..Options::default() });
    assert!(a.unused_stages().is_empty());
    assert_eq!(a.rename_stage(1, "arm").map_err(|e| e.to_string()), Err(refusal.to_string()));
    // A change of case keeps the name BuildKit reads (stage names are lower-cased): the
    // StageNameCasing fix stays.
    let a = plain(&text.replace("AS base-arm64", "AS Base-arm64"));
    assert_eq!(a.rename_stage(1, "base-arm64").map(|e| e.len()), Ok(1));
    assert!(a.diagnostics().iter().any(|d| d.code == "StageNameCasing" && d.fix.is_some()));
    // A stage that another uses by name is no safer: `--build-arg V=b` would pull an image.
    let a = plain(
        "ARG V=a\nFROM alpine AS build-a\nFROM alpine AS build-b\nFROM build-${V} AS pick\nFROM build-b AS final\n",
    );
    assert!(!a.unused_stages().contains(&1));
    assert!(a.rename_stage(1, "foo").unwrap_err().0.starts_with("`FROM build-${V}` (line 4) may name it"));
    // The refusal names the first later base that may name the stage, whichever of the
    // patterns was written first (`build-${V}`, on line 3, names no later stage before line 6).
    let a = plain(
        "ARG V=a\nFROM alpine AS first\nFROM build-${V} AS early\nFROM alpine AS build-b\nFROM b${V} AS mid\nFROM build-${V} AS late\n",
    );
    assert!(a.rename_stage(2, "foo").unwrap_err().0.starts_with("`FROM b${V}` (line 5) may name it"));
    assert!(a.rename_stage(0, "foo").is_ok(), "no later base may name `first`");
    // A variable alone marks no stage (most often an image), as in the unused-stage hints.
    let a = plain("ARG V=dev\nFROM alpine AS dev\nFROM alpine AS prod\nFROM ${V}\n");
    assert_eq!(a.rename_stage(1, "p").map(|e| e.len()), Ok(1));
    // An ONBUILD trigger that no stage runs with these build args keeps its text in a rename;
    // where a base with variables may build on its stage with others, the trigger then runs
    // here and would pull an image of the old name (a QA run on a real Dart file).
    let text = "ARG env=runtime\nFROM dart AS build\nFROM scratch AS build_runtime\nCOPY --from=build /a /a\n\
                FROM build_runtime AS build_debug\nONBUILD COPY --from=build /c /c\nFROM build_${env}\n";
    let a = plain(text);
    let refusal = "the ONBUILD trigger on line 6 names `build`, and `FROM build_${env}` (line 7) may build on its stage `build_debug` with other build args or another platform, where the trigger would run and no longer find this stage: rename by hand";
    assert_eq!(a.rename_stage(0, "bld").map_err(|e| e.to_string()), Err(refusal.to_string()));
    // No base may build on the trigger's stage: the rename goes ahead, the trigger as it was.
    let a = plain(&text.replace("FROM build_${env}", "FROM build_runtime"));
    let edits = a.rename_stage(0, "bld").unwrap();
    assert_eq!(edits.len(), 2, "{edits:?}");
}

#[test]
fn hover_names_only_build_commands_buildkit_takes() {
    // `--target` finds the last stage of a name, and a stage without a name only as the default.
    let text =
        "FROM alpine\nFROM alpine AS dup\nFROM alpine AS dup\nFROM alpine AS last\nCOPY --from=0 /a /a\nFROM alpine\n";
    let a = plain(text);
    let last_line = |needle: &str, plus: usize| {
        let h = a.hover(TextSize::new((text.find(needle).unwrap() + plus) as u32)).unwrap();
        h.markdown.lines().last().unwrap_or_default().to_string()
    };
    assert_eq!(last_line("--from=0", 7), "not a target (it has no name); building it takes 1 stage");
    assert_eq!(
        last_line("AS dup", 3),
        "not a target: `docker build --target dup` builds the later stage of that name, on line 3; building this stage takes 1 stage"
    );
    assert_eq!(last_line("AS dup\nFROM alpine AS last", 3), "`docker build --target dup` builds 1 stage");
    assert_eq!(last_line("AS last", 3), "`docker build --target last` builds 2 stages");
    // (The default stage, reached by a reference to itself: a cycle, but hover still answers.)
    let a = plain("FROM alpine AS a\nFROM a\nCOPY --from=1 /x /y\n");
    let h = a.hover(TextSize::new(36)).unwrap();
    let last = h.markdown.lines().last().unwrap();
    assert!(
        last.starts_with(
            "`docker build` (the default target) builds 2 stages, and fails on line 3: circular dependency"
        ),
        "{}",
        h.markdown
    );
    // A failure in one stage's instructions: said for the targets that build that stage only.
    let text = "FROM alpine AS ok\nFROM alpine AS bad\nEXPOSE 80/bogus\nFROM bad AS top\nFROM ok\n";
    let a = plain(text);
    let last_line = |needle: &str| {
        let h = a.hover(TextSize::new((text.find(needle).unwrap() + 3) as u32)).unwrap();
        h.markdown.lines().last().unwrap_or_default().to_string()
    };
    assert_eq!(last_line("AS ok"), "`docker build --target ok` builds 1 stage");
    assert_eq!(
        last_line("AS top"),
        "`docker build --target top` builds 2 stages, and fails on line 3: invalid port: \"80/bogus\": invalid proto: bogus; EXPOSE takes tcp, udp or sctp"
    );
}

#[test]
fn an_invalid_image_in_a_from_flag_is_reported_at_its_name() {
    // The finding points at the name as the other `--from` findings do; the build's error stays
    // at the instruction, where BuildKit reports it.
    let a = plain("FROM alpine\nCOPY --from=Nope /a /b\nRUN --mount=from=Bad,target=/x true\n");
    let at: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.code == "invalid-image-reference").map(|d| slice(&a, d.range)).collect();
    assert_eq!(at, ["Nope", "Bad"]);
    // BuildKit's error is the last one's, the mount's, whose image has no location in BuildKit
    // (`detectRunMount` makes its state without one): no lines. A COPY's names its line.
    assert_eq!(a.build_error().map(|e| e.lines), Some(None));
    let a = plain("FROM alpine\nRUN true\nCOPY --from=Nope /a /b\n");
    assert_eq!(a.build_error().map(|e| e.lines), Some(Some((3, 3))));
}

#[test]
fn an_unknown_instruction_names_the_invisible_character_in_it() {
    for (text, c) in
        [("FROM\u{a0}alpine\n", "U+00A0"), ("RUN\u{200b} true\n", "U+200B"), ("FROM alpine\n\u{feff}RUN x\n", "U+FEFF")]
    {
        let a = plain(text);
        let m = &diag(&a, "unknown-instruction").message;
        assert!(
            m.contains(&format!("; it holds {c}, an invisible character or a blank that is no word break to BuildKit")),
            "{m}"
        );
    }
    // A keyword that is only misspelt gets no such words.
    assert!(!diag(&plain("FORM alpine\n"), "unknown-instruction").message.contains("it holds"));
}

#[test]
fn windows_paths_are_read_as_buildkit_reads_them_on_a_windows_stage() {
    // `--platform` says the OS; a stage on a stage has its base's platform, whatever its own
    // flag says (`win` sets no workdir, so `child`'s `\x` is checked, and absolute).
    let text = "FROM --platform=windows/amd64 mcr.microsoft.com/windows/servercore:ltsc2022 AS win\nENV A=1\n\
                FROM --platform=linux/amd64 win AS child\nWORKDIR \\\\x\n\
                FROM --platform=windows/amd64 mcr.microsoft.com/windows/servercore:ltsc2022 AS abs\n\
                WORKDIR C:\\\\app\n\
                FROM --platform=windows/amd64 mcr.microsoft.com/windows/servercore:ltsc2022 AS rel\nWORKDIR c:app\n\
                FROM --platform=linux/amd64 alpine AS lin\nWORKDIR C:\\\\app\n";
    let a = plain(text);
    let rel: Vec<_> = a.diagnostics().iter().filter(|d| d.code == "WorkdirRelativePath").collect();
    // `C:\app` is absolute on Windows; `c:app` is relative to the drive's directory, and on Linux
    // `C:\app` is a relative name.
    assert_eq!(
        rel.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
        [
            "Relative workdir \"c:app\" can have unexpected results if the base image changes",
            "Relative workdir \"C:\\\\app\" can have unexpected results if the base image changes",
        ]
    );
    assert!(a.build_error().is_none());
    // An image sets its PATH, Windows images too (the oracle's images set only PATH, and
    // BuildKit keeps an image's): `$PATH` is defined on a Windows image's stage. (BuildKit leaves
    // PATH to the OS, moby/buildkit#5445, only where the image has none: scratch, below.)
    let a = plain("FROM --platform=windows/amd64 mcr.microsoft.com/windows/nanoserver AS w\nWORKDIR C:\\\\x$PATH\n");
    assert!(!a.diagnostics().iter().any(|d| d.code == "UndefinedVar"), "{:?}", a.diagnostics());
    assert!(
        !a.diagnostics().iter().any(|d| d.code == "WorkdirRelativePath"),
        "C:\\x (written C:\\\\x) is absolute on Windows"
    );
    // So is a stage whose --platform has a Windows version (the image's platform is checked).
    let a = plain("FROM --platform=windows(10.0.20348)/amd64 mcr.microsoft.com/windows/nanoserver AS windows\nWORKDIR C:\\\\x$PATH\n");
    assert_eq!(codes(&a), ["InvalidBaseImagePlatform"], "{:?}", a.diagnostics());
    let a = plain("FROM --platform=linux/amd64 alpine AS l\nWORKDIR /x$PATH\n");
    assert!(!a.diagnostics().iter().any(|d| d.code == "UndefinedVar"));
    // scratch has the build's target platform whatever its own --platform (BuildKit's
    // resolveReachableStages): a Windows build's scratch has no PATH, a Linux build's has one.
    let scratch = "FROM --platform=windows/amd64 scratch AS s\nENV P=$PATH\n";
    assert!(!plain(scratch).diagnostics().iter().any(|d| d.code == "UndefinedVar"));
    let windows = Options { platform: Some("windows/amd64".into()), ..Options::default() };
    let a = analyze("FROM scratch\nENV P=$PATH\n", &windows);
    assert!(a.diagnostics().iter().any(|d| d.code == "UndefinedVar"), "{:?}", a.diagnostics());
    // BuildKit refuses another drive, a bare drive and a UNC path: none is absolute, so the
    // check warns first, and then normalising the path fails the build at that WORKDIR.
    let not_c = "The specified path is not on the system drive (C:)";
    for (path, why) in [
        ("D:\\\\app", not_c),
        ("d:app", not_c),
        ("/a:b", not_c),
        ("C:", "No relative path specified in \"C:\""),
        ("//server/share", "UNC paths are not supported"),
        ("\\\\\\\\server\\\\share", "UNC paths are not supported"),
    ] {
        let text = format!(
            "FROM --platform=windows/amd64 mcr.microsoft.com/windows/nanoserver AS windows\nRUN a\nWORKDIR {path}\nRUN b\n"
        );
        let a = plain(&text);
        // In position order: the image's platform at the FROM (the oracle's images are for
        // linux/amd64), then the error covers the instruction, the warning its path.
        assert_eq!(codes(&a), ["InvalidBaseImagePlatform", "invalid-workdir", "WorkdirRelativePath"], "{path}");
        let e = a.build_error().expect(path);
        assert_eq!(
            e.message,
            format!("normalizing workdir: normalizing working directory: removing drive letter: {why}"),
            "{path}"
        );
        assert_eq!((e.phase, e.range.map(|r| &text[r])), ("dispatch", Some(&*format!("WORKDIR {path}"))));
    }
    // The rest pass: paths on C: or on no drive, absolute or relative, and any path on a Linux
    // stage.
    let win = "FROM --platform=windows/amd64 mcr.microsoft.com/windows/nanoserver";
    for text in [
        format!("{win}\nWORKDIR c:\\\\app\nWORKDIR C:x\nWORKDIR \\\\app\nWORKDIR app\nWORKDIR C:/a:b\n"),
        "FROM --platform=linux/amd64 alpine\nWORKDIR D:\\\\app\nWORKDIR //server/share\nWORKDIR C:\n".into(),
    ] {
        assert_eq!(plain(&text).build_error(), None, "{text}");
    }
    // A stage the target does not need fails too, as under `docker build --check`, which
    // dispatches every stage (a plain build would skip it), like stagecraft's other checks.
    assert!(plain(&format!("{win} AS unused\nWORKDIR D:\\\\app\nFROM alpine\n")).build_error().is_some());
    // Unlike the check, which reads the first WORKDIR only, every WORKDIR is normalised.
    let a = plain(&format!("{win} AS windows\nWORKDIR C:\\\\app\nWORKDIR y:z\n"));
    assert_eq!(codes(&a), ["InvalidBaseImagePlatform", "invalid-workdir"]);
    assert_eq!(a.build_error().and_then(|e| e.range).map(|r| a.line_index().line_col(r.start()).line), Some(2));
}

/// BuildKit's `validateBaseImagePlatform`, as the oracle runs it (its images are linux/amd64):
/// a stage on an image whose `--platform` asks for another OS or architecture, every stage of
/// a lint; not one that asks for linux/amd64 (in any spelling or variant), one on a stage or on
/// scratch, nor one without `--platform` (BuildKit takes the image's). The note says what
/// stagecraft cannot see; the rule has no documentation page.
#[test]
fn a_base_image_for_another_platform_is_reported_as_the_oracle_reports_it() {
    let a = plain(
        "ARG P=linux/arm64\nFROM --platform=$P alpine AS a\nFROM --platform=linux/arm/v7 alpine AS b\n\
         FROM --platform=linux/x86_64 alpine AS c\nFROM --platform=$BUILDPLATFORM golang AS d\n\
         FROM --platform=linux/arm64 a AS e\nFROM --platform=linux/arm64 scratch AS f\nFROM alpine\n",
    );
    let found = findings(&a, "InvalidBaseImagePlatform");
    assert_eq!(
        found,
        [
            ("FROM --platform=$P alpine AS a", 2, "Base image alpine was pulled with platform \"linux/amd64\", expected \"linux/arm64\" for current build"),
            ("FROM --platform=linux/arm/v7 alpine AS b", 3, "Base image alpine was pulled with platform \"linux/amd64\", expected \"linux/arm/v7\" for current build"),
        ]
    );
    let d = a.diagnostics().iter().find(|d| d.code == "InvalidBaseImagePlatform").unwrap();
    assert_eq!(d.url, None);
    assert_eq!(
        a.note(d).as_deref(),
        Some("stagecraft does not read image configs, and checks as with an image made for linux/amd64 only: if image `alpine` is published for linux/arm64 too (most official images are), BuildKit pulls that one and does not report this")
    );
    // `# check=skip=` turns it off, as any rule.
    let a = plain("# check=skip=InvalidBaseImagePlatform\nFROM --platform=linux/arm64 alpine AS arm64\n");
    assert!(findings(&a, "InvalidBaseImagePlatform").is_empty());
}

/// Which targets a known failure fails: every one for a failure before dispatch; for one in a
/// stage's instructions or in an ONBUILD trigger a stage runs, the targets that build that
/// stage, found in one walk (a chain of 5,000 stages, each building all before it).
#[test]
fn target_failures_follow_the_stages_that_build_the_failing_one() {
    let failing = |text: &str| -> Vec<bool> { plain(text).target_failures().iter().map(Option::is_some).collect() };
    // A trigger that is no valid instruction fails where `child` runs it: only its builds.
    let trigger = "FROM alpine AS base\nONBUILD EXPOSE\nFROM alpine AS other\nFROM base AS child\n";
    assert_eq!(failing(trigger), [false, false, true]);
    // So do a trigger's references in a stage the default build does not need: its image that
    // BuildKit cannot parse, or its index (found by a review: the picker said `unused` builds).
    for bad in ["--from=Bad", "--from=9"] {
        let text = format!("FROM alpine AS b\nONBUILD COPY {bad} / /\nFROM b AS unused\nFROM alpine AS t\n");
        assert_eq!(failing(&text), [false, true, false], "{text}");
        let built = analyze(&text, &Options { target: Some("unused".into()), ..Options::default() });
        let message = built.build_error().map(|e| e.message.clone()).unwrap_or_default();
        let failures = plain(&text).target_failures()[1].as_ref().map(|f| f.message.to_string()).unwrap_or_default();
        assert_eq!(failures, message, "{text}");
    }
    // A cycle fails them all; so does a stage name that is no image reference.
    assert_eq!(failing("FROM alpine AS x\nFROM alpine AS a\nCOPY --from=a /x /y\n"), [true, true]);
    assert_eq!(failing("FROM alpine AS x\nFROM Bad AS b\nFROM alpine\n"), [true, true, true]);
    // `# check=error=true`: what fails depends on what the build lints.
    assert_eq!(failing("# check=error=true\nFROM alpine AS a\nMAINTAINER x\nFROM a\n"), [false, false]);
    let mut chain = String::from("FROM alpine AS s0\nEXPOSE 80/bogus\n");
    for i in 1..5_000 {
        chain.push_str(&format!("FROM s{} AS s{i}\n", i - 1));
    }
    chain.push_str("FROM alpine AS apart\n");
    let fails = failing(&chain);
    assert_eq!((fails.iter().filter(|&&f| f).count(), fails.last()), (5_000, Some(&false)));
    // A base's trigger that names a stage defined after the stage running it fails that
    // stage's builds, though this build (of `mid`, the default target) runs no trigger; with
    // BuildKit's message, the same the build of that target gives.
    for (text, target) in [
        ("FROM alpine AS base\nONBUILD COPY --from=mid /x /y\nFROM base AS child1\nFROM alpine AS mid\n", "child1"),
        (
            "FROM alpine AS base\nONBUILD RUN --mount=from=mid,target=/m true\nFROM base AS child1\nFROM alpine AS mid\n",
            "child1",
        ),
        (
            "FROM alpine AS base\nONBUILD COPY --from=mid /x /y\nFROM base AS child1\nFROM alpine AS mid\nFROM base AS child2\n",
            "child1",
        ),
    ] {
        let a = plain(text);
        // (The default target's build fails nowhere: `mid` runs no trigger, and `child2`, in
        // the third file, runs it after `mid` is built.)
        assert!(a.build_error().is_none(), "{text:?}");
        let failures = a.target_failures();
        let child = a.stages().iter().position(|s| s.name.as_deref() == Some(target)).unwrap();
        let built = analyze(text, &Options { target: Some(target.into()), ..Options::default() });
        let e = built.build_error().expect("the target's build fails");
        assert_eq!(failures[child].as_ref().map(|f| (f.message.as_ref(), f.range)), Some((e.message.as_str(), e.range)), "{text:?}");
        // Its base, and `mid`, build without it.
        assert!(failures[0].is_none() && failures[child + 1].is_none(), "{text:?}: {failures:?}");
    }
    // A cache mount without `from=` is from a stage named `scratch` where there is one; a
    // stage a named build context replaces is loaded before any is built: no failure.
    let text = "FROM alpine AS base\nONBUILD RUN --mount=type=cache,target=/c true\nFROM base AS child\nFROM alpine AS scratch\n";
    let built = analyze(text, &Options { target: Some("child".into()), ..Options::default() });
    let default_build = plain(text);
    let failures = default_build.target_failures();
    assert_eq!(failures[1].as_ref().map(|f| f.message.as_ref()), built.build_error().map(|e| e.message.as_str()));
    assert!(
        failures[1].as_ref().is_some_and(|f| f.message.starts_with("cannot mount from stage \"scratch\" to \"/c\"")),
        "{failures:?}"
    );
    let text = "FROM alpine AS base\nONBUILD COPY --from=mid /x /y\nFROM base AS child1\nFROM alpine AS mid\n";
    let a = analyze(text, &Options { named_contexts: vec!["mid".into()], ..Options::default() });
    assert!(a.target_failures().iter().all(Option::is_none), "{:?}", a.target_failures());
    // A trigger's failure is at the FROM, before the stage's own instructions fail.
    let text =
        "FROM alpine AS base\nONBUILD COPY --from=late /x /y\nFROM base AS a\nEXPOSE 80/bogus\nFROM alpine AS late\n";
    let a = plain(text);
    let e = a.build_error().expect("the EXPOSE fails the build of every stage");
    assert_eq!(a.line_of(e.range.unwrap().start()), 4);
    let fails = a.target_failures();
    assert_eq!(fails[1].as_ref().map(|f| a.line_of(f.range.unwrap().start())), Some(3), "{fails:?}");
    // The first failing stage a target builds is where it fails.
    let text = "FROM alpine AS base\nONBUILD COPY --from=late /x /y\nFROM base AS a\nCOPY --from=late /p /q\nFROM base AS b\nFROM alpine AS late\nFROM a\nCOPY --from=b /r /s\n";
    let a = analyze(text, &Options { target: Some("late".into()), ..Options::default() });
    let failures = a.target_failures();
    assert_eq!(failures[4].as_ref().map(|f| a.line_of(f.range.unwrap().start())), Some(3), "{failures:?}");
}

/// With a build platform given, images are taken as made for it too (the oracle builds for
/// linux/amd64 only; a build for arm64 uses images made for arm64): a stage without
/// `--platform`, which asks for the build's, is not reported, nor one that asks for it or for
/// linux/amd64; one that asks for a third platform is, and its note says what was assumed.
#[test]
fn images_are_taken_as_made_for_the_build_platform_too() {
    let arm = Options { platform: Some("linux/arm64".into()), ..Options::default() };
    let a = analyze(
        "FROM alpine AS a\nFROM --platform=linux/amd64 alpine AS b\nFROM --platform=$BUILDPLATFORM alpine AS c\n\
         FROM --platform=$TARGETPLATFORM alpine AS d\nFROM --platform=linux/arm/v7 alpine AS e\n",
        &arm,
    );
    let found = findings(&a, "InvalidBaseImagePlatform");
    assert_eq!(found.iter().map(|f| f.1).collect::<Vec<_>>(), [5], "{found:?}");
    let d = a.diagnostics().iter().find(|d| d.code == "InvalidBaseImagePlatform").unwrap();
    assert_eq!(
        a.note(d).as_deref(),
        Some("stagecraft does not read image configs, and checks as with an image made for linux/amd64 and for the build's platform only: if image `alpine` is published for linux/arm/v7 too (most official images are), BuildKit pulls that one and does not report this")
    );
    // Made an error by `# check=error=true`, the finding keeps its note.
    let a = analyze("# check=error=true\nFROM --platform=linux/arm/v7 alpine\n", &arm);
    let d = a.diagnostics().iter().find(|d| d.code == "InvalidBaseImagePlatform").unwrap();
    assert_eq!(d.severity, Severity::Error);
    assert!(a.note(d).is_some_and(|n| n.starts_with("stagecraft does not read image configs")), "{:?}", a.note(d));
}

/// A name no target has lists ten of the names there are, not thousands (each unused stage's
/// hint says it when the editors' settings name such a target).
#[test]
fn an_unknown_target_lists_ten_names_and_a_count() {
    let many: String = (0..50).map(|i| format!("FROM alpine AS stage{i}\n")).collect();
    let e = plain(&many).resolve_target("nope").unwrap_err();
    assert!(
        e.ends_with(
            "; targets: stage0, stage1, stage2, stage3, stage4, stage5, stage6, stage7, stage8, stage9 and 40 more"
        ),
        "{e}"
    );
}

/// References of a variable: the key that set the value a use expands with, and every use
/// BuildKit expands with that value, from any of them; another key of the same name is another
/// variable, and a shell command is the shell's.
#[test]
fn a_variables_references_are_the_uses_of_the_value_a_key_sets() {
    let text = "ARG BASE=alpine\nFROM $BASE AS a\nARG V=1\nENV A=$V B=${V:-x}\nRUN echo $V\nARG V=2\nWORKDIR /$V\n\
                FROM a AS b\nENV C=$A\nLABEL l=$V\n";
    let a = plain(text);
    let found = |needle: &str, plus: usize| -> Vec<(u32, &str)> {
        let at = TextSize::new((text.find(needle).unwrap() + plus) as u32);
        a.variable_references(at).iter().map(|o| (a.line_of(o.range.start()), slice(&a, o.range))).collect()
    };
    // From the first `ARG V=1`, or a use of its value: the key and the two uses in ENV.
    let first = [(3, "V"), (4, "$V"), (4, "${V:-x}")];
    assert_eq!(found("ARG V=1", 4), first);
    assert_eq!(found("B=${V", 4), first);
    // `ARG V=2` sets another value: WORKDIR's use, and LABEL's in `b`, which starts from the
    // state `a` leaves (BuildKit's `d.state = d.base.state`: its ARGs' values too).
    assert_eq!(found("ARG V=2", 4), [(6, "V"), (7, "$V"), (10, "$V")]);
    // An ENV's value reaches the stages built on its stage.
    assert_eq!(found("ENV A", 4), [(4, "A"), (9, "$A")]);
    // A global ARG's uses in FROM.
    assert_eq!(found("$BASE", 1), [(1, "BASE"), (2, "$BASE")]);
    let definitions = a.variable_references(TextSize::new(text.find("B=${V").unwrap() as u32 + 4));
    assert!(definitions[0].is_definition && definitions[1..].iter().all(|o| !o.is_definition));
    // Nothing from a shell command's word, a stage name or a keyword.
    for (needle, plus) in [("echo $V", 6), ("AS a", 3), ("WORKDIR", 1)] {
        assert!(found(needle, plus).is_empty(), "{needle}");
    }
    // A COPY heredoc BuildKit expands reads them too (not a quoted one); an ONBUILD trigger's
    // words are the stages' built on it, each with its own values; a key in a trigger sets the
    // value those stages read.
    let text = "FROM alpine AS a\nENV V=1\nCOPY <<EOF /x\n$V ${V}\nEOF\nCOPY <<'EOF' /y\n$V\nEOF\n\
                ONBUILD LABEL x=$V\nONBUILD ENV W=2\nFROM a AS b\nLABEL z=$W\n";
    let a = plain(text);
    let found = |needle: &str, plus: usize| -> Vec<(u32, &str)> {
        let at = TextSize::new((text.find(needle).unwrap() + plus) as u32);
        a.variable_references(at).iter().map(|o| (a.line_of(o.range.start()), slice(&a, o.range))).collect()
    };
    assert_eq!(found("ENV V", 4), [(2, "V"), (4, "$V"), (4, "${V}")]);
    assert_eq!(found("${V}", 2), found("ENV V", 4));
    assert_eq!(found("ENV W", 4), [(10, "W"), (12, "$W")]);
    assert_eq!(found("z=$W", 3), found("ENV W", 4));
    // An ARG's pairs are set one by one: in `ARG G H=$G`, `$G` is the `G` before it brings in
    // (definition and references alike; definition went to the global ARG).
    let text = "ARG G=1\nFROM alpine\nARG G H=$G\n";
    let a = plain(text);
    let use_at = TextSize::new(text.find("$G").unwrap() as u32 + 1);
    let stage_g = TextRange::at(TextSize::new(text.find("ARG G H").unwrap() as u32 + 4), TextSize::new(1));
    assert_eq!(a.variable_definition(use_at), Some(stage_g));
    let refs: Vec<TextRange> = a.variable_references(use_at).iter().map(|o| o.range).collect();
    assert_eq!(refs, [stage_g, TextRange::at(use_at - TextSize::new(1), TextSize::new(2))]);
    // A stage built on another starts with its state, build args too: the base's `ARG V`
    // brings the global value to the derived stage's use (definition and references alike).
    let text = "ARG V=g\nFROM alpine AS a\nARG V\nFROM a AS b\nLABEL l=$V\n";
    let a = plain(text);
    let use_at = TextSize::new(text.find("$V").unwrap() as u32 + 1);
    let base_v = TextRange::at(TextSize::new(text.find("ARG V\n").unwrap() as u32 + 4), TextSize::new(1));
    assert_eq!(a.variable_definition(use_at), Some(base_v));
    let refs: Vec<TextRange> = a.variable_references(base_v.start()).iter().map(|o| o.range).collect();
    assert_eq!(refs, [base_v, TextRange::at(use_at - TextSize::new(1), TextSize::new(2))]);
    // The global key's references leave it out: it reaches the use through that ARG.
    assert_eq!(a.variable_references(TextSize::new(4)).len(), 1);
    // ENV and LABEL expand their keys as their values (BuildKit's `expandKvp`), the legacy
    // `ENV k v` form too; an ARG's key is taken as written (`dispatchArg`), so `$U` there is
    // no use of U.
    let text = "FROM alpine\nARG U=foo\nENV $U=z ${U}_2=y\nENV $U-old x\nLABEL $U=1\nARG $U=2\nRUN echo $U\n";
    let a = plain(text);
    let key_at = TextSize::new(text.find("U=foo").unwrap() as u32);
    let found: Vec<(u32, &str)> =
        a.variable_references(key_at).iter().map(|o| (a.line_of(o.range.start()), slice(&a, o.range))).collect();
    assert_eq!(found, [(2, "U"), (3, "$U"), (3, "${U}"), (4, "$U"), (5, "$U")]);
    // Uses inside single quotes are no uses, however many uses come before and after them in
    // one instruction (the quote scan goes on from the last use).
    let quoted = plain("FROM alpine\nARG V=1\nLABEL a=$V b='$V' c=\"$V\" d=$V'$V'$V\n");
    let at = TextSize::new(quoted.text().find("V=1").unwrap() as u32);
    let uses: Vec<usize> =
        quoted.variable_references(at).iter().skip(1).map(|o| usize::from(o.range.start())).collect();
    let expected: Vec<usize> =
        [0, 2, 3, 5].iter().map(|&k| quoted.text().match_indices("$V").nth(k).unwrap().0).collect();
    assert_eq!(uses, expected);
    let in_key = TextSize::new(text.find("${U}_2").unwrap() as u32 + 2);
    assert_eq!(a.variable_definition(in_key), Some(TextRange::at(key_at, TextSize::new(1))));
}

#[test]
fn findings_that_rest_on_an_unread_image_config_say_so() {
    let text = "FROM mcr.microsoft.com/dotnet/aspnet:8.0 AS base\nFROM base AS final\nUSER $APP_UID\n\
                FROM scratch AS empty\nWORKDIR $NOPE\n\
                FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win\nWORKDIR C:\\\\app\nWORKDIR x\n\
                FROM --platform=linux/amd64 alpine AS lin\nWORKDIR C:\\\\app\n\
                FROM alpine AS rel\nWORKDIR app\nFROM @ AS bad\nUSER $X\n";
    let a = plain(text);
    let notes: Vec<(&str, &str, Option<String>)> = a
        .diagnostics()
        .iter()
        .filter(|d| matches!(d.code.as_str(), "UndefinedVar" | "WorkdirRelativePath"))
        .map(|d| (d.code.as_str(), slice(&a, d.range), a.note(d)))
        .collect();
    let pre = "stagecraft does not read image configs: if image";
    assert_eq!(notes, [
        // The image is the base of the stage's base.
        ("UndefinedVar", "$APP_UID", Some(format!(
            "{pre} `mcr.microsoft.com/dotnet/aspnet:8.0` sets APP_UID in its ENV, BuildKit finds it and does not report this"
        ))),
        // scratch sets nothing (and the empty path is relative).
        ("UndefinedVar", "$NOPE", None),
        ("WorkdirRelativePath", "$NOPE", None),
        // On an image of unknown OS, `C:\app` may be absolute; with `--platform`, or as a plain
        // relative name, it is not.
        ("WorkdirRelativePath", "C:\\\\app", Some(format!(
            "{pre} `mcr.microsoft.com/windows/servercore:ltsc2022` is a Windows image, this path is absolute and BuildKit does not report this"
        ))),
        ("WorkdirRelativePath", "C:\\\\app", None),
        ("WorkdirRelativePath", "app", None),
        // An image reference that does not parse fails the build first.
        ("UndefinedVar", "$X", None),
    ]);
    // Where the variable may be the image's, its fix (the nearest name) is offered on request
    // only, never applied by `check --fix --unsafe-fixes`: `$GOPATH` on golang's image is no
    // typo of `$PATH`, nor Jupyter's `$HOME` one of the file's `$HOST` (QA runs on real
    // files). On scratch it stays unsafe.
    let a = plain(
        "FROM golang:1.22 AS go\nWORKDIR $GOPATH/src\nENV HOST=h\nWORKDIR /$HOME\nFROM scratch\nENV HOME_DIR=/h\nWORKDIR $HOME_DI\n",
    );
    let fixes: Vec<(&str, Option<Applicability>)> = a
        .diagnostics()
        .iter()
        .filter(|d| d.code == "UndefinedVar")
        .map(|d| (slice(&a, d.range), d.fix.as_ref().map(|f| f.applicability)))
        .collect();
    assert_eq!(
        fixes,
        [
            ("$GOPATH", Some(Applicability::Manual)),
            ("$HOME", Some(Applicability::Manual)),
            ("$HOME_DI", Some(Applicability::Unsafe)),
        ]
    );
}

/// An unknown instruction after a line that ends in the escape character the file does not
/// have: the note says that line continues nothing (a QA run on a real file got eleven errors
/// and no word of why).
#[test]
fn an_unknown_instruction_after_the_other_escape_character_says_so() {
    let notes = |text: &str| -> Vec<Option<String>> {
        let a = plain(text);
        a.diagnostics().iter().filter(|d| d.code == "unknown-instruction").map(|d| a.note(d)).collect()
    };
    let backslash = notes("# escape=`\nFROM alpine\nRUN apk add \\\n  curl \\ \n  && echo done\n");
    let said = "the line before ends in `\\`, which continues no line here: the `# escape=` directive on line 1 makes the backtick the escape character; end that line with a backtick instead, or remove the directive";
    assert_eq!(backslash, [Some(said.to_string()), Some(said.to_string())]);
    let backtick = notes("FROM alpine\nRUN apk add `\n  curl\n");
    assert!(
        backtick[0].as_deref().is_some_and(|n| n.starts_with("the line before ends in a backtick")),
        "{backtick:?}"
    );
    // A line before that ends otherwise: no note.
    assert_eq!(notes("FROM alpine\nRUN x\ncurl y\n"), [None]);
}

#[test]
fn an_invalid_base_without_args_is_said_to_be_the_name_as_written() {
    // BuildKit's rule says "Default value for ARG ..." of any base that is no image name.
    let a = plain("FROM maven:3.8-jdk:17 AS build\nARG V=a:b:c\nFROM $V\n");
    let notes: Vec<(&str, Option<String>)> = a
        .diagnostics()
        .iter()
        .filter(|d| d.code == "InvalidDefaultArgInFrom")
        .map(|d| (slice(&a, d.range), a.note(d)))
        .collect();
    assert_eq!(
        notes,
        [
            (
                "maven:3.8-jdk:17",
                Some(
                    "no ARG is in `maven:3.8-jdk:17`: it is no valid image name as written (see the error on it)"
                        .into()
                )
            ),
            ("$V", None),
        ]
    );
}

#[test]
fn errors_in_a_file_for_another_frontend_say_which_frontend() {
    let text = "# syntax = ghcr.io/shinsenter/dockerfile-x:v1\nFROM alpine\nINCLUDE ./meta\n";
    let a = plain(text);
    assert_eq!(a.other_frontend().as_deref(), Some("ghcr.io/shinsenter/dockerfile-x:v1"));
    let error = diag(&a, "unknown-instruction");
    assert_eq!(
        a.note(error).as_deref(),
        Some("`# syntax=` asks for the frontend `ghcr.io/shinsenter/dockerfile-x:v1`, not Docker's Dockerfile frontend: stagecraft reads the file as Docker's does, and `ghcr.io/shinsenter/dockerfile-x:v1` may accept this")
    );
    // Only errors: a warning holds whichever frontend reads the file.
    let a = plain("# syntax=example.com/frontend\nFROM alpine as base\n");
    assert_eq!(a.note(diag(&a, "FromAsCasing")), None);
    // Docker's own frontends, however written, are no other frontend.
    for syntax in [
        "docker/dockerfile:1",
        "docker.io/docker/dockerfile:1.7-labs",
        "docker/dockerfile-upstream:master@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "index.docker.io/docker/dockerfile",
    ] {
        let a = plain(&format!("# syntax={syntax}\nFROM alpine\nINCLUDE ./meta\n"));
        assert_eq!(a.other_frontend(), None, "{syntax}");
        assert_eq!(a.note(diag(&a, "unknown-instruction")), None, "{syntax}");
    }
}

#[test]
fn flags_outside_ascii_are_reported_as_buildkit_reads_them() {
    // BuildKit reads a flag a byte at a time: `é` (C3 A9) becomes `Ã©`, silently for a mount's
    // target; `日` (E6 97 A5) becomes `æ`, a C1 control and `¥`.
    let a = plain("FROM alpine AS b\nRUN --mount=type=cache,target=/données true\nCOPY --chown=日 --from=b a b\nCOPY --link a b\n");
    assert_eq!(findings(&a, "non-ascii-flag"), [
        ("--mount=type=cache,target=/données", 2, "BuildKit reads a flag a byte at a time, so each character outside ASCII becomes two to four others: it reads `--mount=type=cache,target=/données` as \"--mount=type=cache,target=/donnÃ©es\"; write the flag in ASCII"),
        ("--chown=日", 3, "BuildKit reads a flag a byte at a time, so each character outside ASCII becomes two to four others: it reads `--chown=日` as \"--chown=æ\\u0097¥\"; write the flag in ASCII"),
    ]);
    assert_eq!(diag(&a, "non-ascii-flag").severity, Severity::Warning);
    // Arguments are read as UTF-8: only flags.
    assert!(!codes(&plain("FROM alpine\nCOPY données /données\nRUN echo é\n")).contains(&"non-ascii-flag"));
    // A trigger's flags, where the trigger is written and once, whichever stages run it.
    let a = plain("FROM alpine AS base\nONBUILD RUN --mount=target=/é true\nFROM base\nFROM base\n");
    assert_eq!(
        findings(&a, "non-ascii-flag").iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(),
        [("--mount=target=/é", 2)]
    );
}

#[test]
fn a_command_written_as_a_list_that_is_not_json_is_reported_with_the_json_it_means() {
    let text = "FROM alpine\nRUN ['apt-get', 'update']\nCMD [\u{201c}npm\u{201d}, \u{201c}start\u{201d}]\n\
                ENTRYPOINT [\"a\", \"b\",]\nRUN ['sh', '-c', 'echo \"hi\"']\nRUN ['sh', '-c', 'printf a\\tb']\n";
    let a = plain(text);
    let found = findings(&a, "exec-form-not-json");
    assert_eq!(
        found.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(),
        [
            ("['apt-get', 'update']", 2),
            ("[\u{201c}npm\u{201d}, \u{201c}start\u{201d}]", 3),
            ("[\"a\", \"b\",]", 4),
            ("['sh', '-c', 'echo \"hi\"']", 5),
            ("['sh', '-c', 'printf a\\tb']", 6),
        ]
    );
    assert_eq!(
        found[0].2,
        "this is not JSON: JSON strings take double quotes, not single ones, so BuildKit takes it for the shell form and runs it as a shell command line; write it as JSON: `[\"apt-get\", \"update\"]`"
    );
    // A backtick in the JSON: a longer code fence.
    let b = plain("FROM alpine\nRUN ['sh', '-c', 'echo `date`']\n");
    assert!(diag(&b, "exec-form-not-json")
        .message
        .ends_with("write it as JSON: `` [\"sh\", \"-c\", \"echo `date`\"] ``"));
    assert!(found[1].2.contains("typographic"), "{}", found[1].2);
    assert!(found[2].2.contains("no comma after the last item"), "{}", found[2].2);
    assert_eq!(diag(&a, "exec-form-not-json").severity, Severity::Warning);
    // The fixes (they change what runs: unsafe) make the exec form BuildKit reads, a double
    // quote inside single ones escaped; an item with a backslash (an escape or itself?) gets none.
    let fixes: Vec<_> =
        a.diagnostics().iter().filter(|d| d.code == "exec-form-not-json").map(|d| d.fix.clone()).collect();
    assert!(fixes[3].is_some() && fixes[4].is_none());
    let edits: Vec<_> = fixes
        .iter()
        .flatten()
        .flat_map(|f| {
            assert_eq!(f.applicability, stagecraft_analysis::Applicability::Unsafe);
            f.edits.clone()
        })
        .collect();
    let fixed = stagecraft_analysis::TextEdit::apply_all(text, &edits);
    let b = plain(&fixed);
    assert_eq!(findings(&b, "exec-form-not-json").len(), 1, "{fixed}");
    assert!(findings(&b, "JSONArgsRecommended").is_empty(), "{fixed}");
    assert!(
        fixed.contains("RUN [\"apt-get\", \"update\"]\nCMD [\"npm\", \"start\"]\nENTRYPOINT [\"a\", \"b\"]\n"),
        "{fixed}"
    );
    assert!(fixed.contains("RUN [\"sh\", \"-c\", \"echo \\\"hi\\\"\"]\n"), "{fixed}");
    assert!(b.parse().tree().instructions().nth(4).is_some_and(|i| i.info().json), "the fix is the exec form: {fixed}");
    // A comma too many alone, after items with escaped quotes and backslashes: the fix drops the
    // comma and keeps the escapes, and BuildKit then reads the exec form with what they mean.
    let text = "FROM alpine\nCMD [\"sh\", \"-c\", \"echo \\\"C:\\\\x\\\"\",]\n";
    let a = plain(text);
    let fixed = stagecraft_analysis::TextEdit::apply_all(text, &fix_edits(&a, "exec-form-not-json"));
    assert_eq!(fixed, text.replace(",]", "]"));
    let cmd = plain(&fixed).parse().tree().instructions().nth(1).map(|i| i.info());
    assert!(cmd.as_ref().is_some_and(|i| i.json && i.args == ["sh", "-c", "echo \"C:\\x\""]), "{cmd:?}");
    // An ONBUILD trigger's, where it is written.
    // Once, though stages built on it run it; a continuation before the trigger; not in a
    // chained ONBUILD (an error of its own).
    let text =
        "FROM alpine AS a\nONBUILD RUN ['a', 'b']\nONBUILD ONBUILD CMD ['x', 'y']\nONBUILD \\\n  CMD ['c', 'd']\n\
                FROM a AS b\nFROM b\n";
    let a = plain(text);
    assert_eq!(
        findings(&a, "exec-form-not-json").iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(),
        [("['a', 'b']", 2), ("['c', 'd']", 5)]
    );
    let edits = fix_edits(&a, "exec-form-not-json");
    assert_eq!(
        stagecraft_analysis::TextEdit::apply_all(text, &edits),
        text.replace("['a', 'b']", "[\"a\", \"b\"]").replace("['c', 'd']", "[\"c\", \"d\"]")
    );
    // HEALTHCHECK's CMD too, and a RUN with flags: the fix replaces the list alone.
    let text =
        "FROM alpine\nHEALTHCHECK --interval=5s CMD ['curl', '-f', 'http://x/']\nRUN --network=none ['a', 'b']\n";
    let a = plain(text);
    let edits = fix_edits(&a, "exec-form-not-json");
    assert_eq!(edits.len(), 2, "{:?}", a.diagnostics());
    assert_eq!(
        stagecraft_analysis::TextEdit::apply_all(text, &edits),
        "FROM alpine\nHEALTHCHECK --interval=5s CMD [\"curl\", \"-f\", \"http://x/\"]\nRUN --network=none [\"a\", \"b\"]\n"
    );
    // Shell commands that start with `[` (the `test` command), JSON, a list over several lines,
    // and other instructions are left alone.
    for text in [
        "FROM alpine\nRUN [ -f /etc/x ] && echo x\n",
        "FROM alpine\nRUN [ 'x' ]\n",
        "FROM alpine\nRUN [ \"$A\" = x ]\n",
        "FROM alpine\nCMD [\"a\", \"b\"]\n",
        "FROM alpine\nRUN ['a', \\\n  'b']\n",
        "FROM alpine\nLABEL x=['a', 'b']\n",
    ] {
        assert!(findings(&plain(text), "exec-form-not-json").is_empty(), "{text}");
    }
}

#[test]
fn a_keyword_that_a_continuation_swallows_is_reported() {
    // The `\` (and the empty line BuildKit skips) make `FROM scratch AS ctx` words of the RUN:
    // the stage never exists, and `--from=ctx` pulls an image.
    let text = "FROM alpine AS build\nRUN make && \\\n    make install && \\\n\nFROM scratch AS ctx\nCOPY x /x\n\
                FROM alpine\nRUN a \\\n  # a comment keeps it going\n\tRUN b\nCOPY --from=build /a /a\n";
    let a = plain(text);
    assert_eq!(a.stages().len(), 2, "the swallowed FROM starts no stage");
    assert_eq!(findings(&a, "keyword-in-continuation"), [
        ("FROM", 5, "`FROM` here starts no instruction: a line above ends with `\\`, so this line continues the RUN on line 2 and `FROM` is a word of it; end the RUN before this line"),
        ("RUN", 10, "`RUN` here starts no instruction: a line above ends with `\\`, so this line continues the RUN on line 8 and `RUN` is a word of it; end the RUN before this line"),
    ]);
    assert_eq!(diag(&a, "keyword-in-continuation").severity, Severity::Warning);
    // An ONBUILD's trigger is its own, but a second ONBUILD chained on is not.
    let a = plain("FROM alpine\nONBUILD ENV A 1 \\\nONBUILD ENV B 2\n");
    assert_eq!(slice(&a, diag(&a, "keyword-in-continuation").range), "ONBUILD");
    assert_eq!(a.line_of(diag(&a, "keyword-in-continuation").range.start()), 3);
    // The escape character of the file.
    let a = plain("# escape=`\nFROM alpine\nRUN a `\nCOPY b /b\n");
    assert_eq!(codes(&a), ["keyword-in-continuation"]);
    assert!(diag(&a, "keyword-in-continuation").message.contains("a line above ends with `` ` ``, so"));
    // After a string that closes, a keyword is one again.
    let a = plain("FROM alpine\nRUN echo \"a \\\n  b\" \\\nCOPY x /x\n");
    assert_eq!(codes(&a), ["keyword-in-continuation"]);
    // After a lone-escape line, the message names the keyword's line.
    let a = plain("FROM alpine\n\\\nRUN x \\\n  FROM y\n");
    assert!(diag(&a, "keyword-in-continuation").message.contains("continues the RUN on line 3"));
    // Not keywords: a key named like one, a lower-case word, a keyword as the last word, a
    // comment, a heredoc body (which may hold a Dockerfile), a line that continues nothing.
    for text in [
        "FROM alpine\nENV A=1 \\\n    ENV=2\n",
        "FROM alpine\nLABEL a=1 \\\n    MAINTAINER=\"me\"\n",
        "FROM alpine\nRUN echo \\\n    from the top\n",
        "FROM alpine\nRUN echo \\\n    RUN\n",
        "FROM alpine\nRUN echo \\\n# FROM x\n    done\n",
        "FROM alpine\nCOPY <<EOF /Dockerfile\nFROM alpine\nRUN \\\nRUN x\nEOF\n",
        "FROM alpine\nRUN echo a\nRUN echo b\n",
        // What HEALTHCHECK and ONBUILD take next.
        "FROM alpine\nHEALTHCHECK --interval=1m --timeout=10s \\\n  CMD curl -f localhost || exit 1\n",
        "FROM alpine\nONBUILD \\\n    RUN make\n",
        // A line with a lone escape: the instruction starts there, and its keyword follows.
        "FROM alpine\n\\\nRUN x\n",
        "FROM alpine\n\\ \n  RUN y \\\n  && z\n",
        "FROM alpine\n\\\nONBUILD \\\n  RUN make\n",
        // ...and a lone-escape line between ONBUILD and its trigger (found by the formatter's
        // random test: the trigger's keyword, once in upper case, was reported).
        "FROM alpine\nONBUILD \\\n\\\nRUN make\n",
        // Inside a string the command goes on: SQL in a double-quoted argument, a quoted word.
        "FROM alpine\nRUN sqlite3 /db \"SELECT name \\\n    FROM users \\\n    WHERE id = 1\"\n",
        "FROM alpine\nRUN echo 'a \\\nCOPY b' /c\n",
    ] {
        assert!(!codes(&plain(text)).contains(&"keyword-in-continuation"), "{text}");
    }
}

/// `CopyIgnoredFile`, as `dockerfile2llb` runs it: each source a COPY or ADD takes from the build
/// context, after variable expansion and `filepath.Clean`, against the ignore file's rules.
#[test]
fn copy_ignored_file_checks_context_sources_against_the_ignore_rules() {
    use stagecraft_analysis::dockerignore::DockerIgnore;
    use stagecraft_analysis::IgnoreRules;
    use std::sync::Arc;
    let with = |rules: &str, text: &str| {
        let ignore = IgnoreRules(Arc::new(DockerIgnore::parse(rules).unwrap()));
        analyze(text, &Options { ignore: Some(ignore), ..Options::default() })
    };
    let found = |a: &Analysis| -> Vec<(String, String)> {
        a.diagnostics()
            .iter()
            .filter(|d| d.code == "CopyIgnoredFile")
            .map(|d| (slice(a, d.range).to_string(), d.message.clone()))
            .collect()
    };
    let text = "FROM alpine AS build\nENV DIR=secrets\nCOPY ./tmp/a.txt src/ $DIR/key /app/\n\
                ADD https://example.com/tmp/x.tgz /t/\nADD tmp/b.tgz /t/\nCOPY <<EOF /tmp/h\ntmp\nEOF\n\
                FROM alpine\nCOPY --from=build /tmp/a /a\nCOPY --from=nginx tmp /b\nCOPY --from= tmp/c /c\n";
    let a = with("# scratch files\ntmp\nsecrets/\n", text);
    assert_eq!(
        found(&a),
        [
            ("./tmp/a.txt", "Attempting to Copy file \"tmp/a.txt\" that is excluded by .dockerignore"),
            ("$DIR/key", "Attempting to Copy file \"secrets/key\" that is excluded by .dockerignore"),
            ("tmp/b.tgz", "Attempting to Add file \"tmp/b.tgz\" that is excluded by .dockerignore"),
            // An empty `--from=` copies from the context.
            ("tmp/c", "Attempting to Copy file \"tmp/c\" that is excluded by .dockerignore"),
        ]
        .map(|(w, m)| (w.to_string(), m.to_string()))
    );
    let d = a.diagnostics().iter().find(|d| d.code == "CopyIgnoredFile").unwrap();
    assert_eq!((d.severity, d.lines), (Severity::Warning, (3, 3)));
    assert!(d.buildkit_reports);
    // Any exception turns the check off, as in BuildKit; so does `# check=skip=...`, and no
    // ignore file means no check.
    assert!(found(&with("tmp\n!tmp/keep\n", text)).is_empty());
    assert!(found(&with("tmp\n", &format!("# check=skip=CopyIgnoredFile\n{text}"))).is_empty());
    assert!(!codes(&plain(text)).contains(&"CopyIgnoredFile"));
    // `COPY . .` with everything ignored: the context root itself matches `*` (and `**`,
    // `**/*`, and `/*`, which is `*` once read).
    for every in ["*", "**", "**/*", "/*", "tmp\n*"] {
        let a = with(&format!("{every}\n"), "FROM alpine\nCOPY . /src/\nCOPY ./ /o/\nCOPY / /r/\n");
        assert_eq!(found(&a).len(), 3, "{every}");
    }
    assert!(found(&with(".git\n", "FROM alpine\nCOPY . /src/\n")).is_empty());
    // A pattern that only happens to match `.` (dotfiles, one-character names) leaves the root
    // alone: BuildKit warns for the root only for the patterns above (found by an audit).
    for some in [".*", "?", "*.*", "!x\n*"] {
        assert!(found(&with(&format!("{some}\n"), "FROM alpine\nCOPY . /src/\nCOPY ./ /o/\n")).is_empty(), "{some}");
    }
    assert_eq!(found(&with(".*\n", "FROM alpine\nCOPY .env /src/\n")).len(), 1);
}

#[test]
fn a_stage_runs_its_base_stages_onbuild_triggers_and_their_findings_are_at_its_from() {
    let text = "FROM alpine AS base\n\
                ONBUILD ENV a b\n\
                ONBUILD WORKDIR app\n\
                ONBUILD CMD echo hi\n\
                ONBUILD ENV X=1\n\
                FROM base AS child\n\
                WORKDIR /$X/$Y\n\
                CMD [\"x\"]\n\
                FROM child AS grandchild\n\
                FROM base AS unused\n\
                FROM grandchild\n";
    let a = plain(text);
    let child_from = a.stages()[1].from_range;
    let mut found: Vec<(&str, &str, u32, Option<String>)> = a
        .diagnostics()
        .iter()
        .filter(|d| d.code != "unused-stage")
        .map(|d| (d.code.as_str(), slice(&a, d.range), d.lines.0, a.note(d)))
        .collect();
    found.sort();
    let note = |line: u32| {
        Some(format!(
            "in the base stage's ONBUILD trigger on line {line}, which BuildKit runs in this stage and reports here"
        ))
    };
    // Each trigger is dispatched in `child` before its own instructions, reported at its FROM
    // (line 6) with BuildKit's message and no fix; `ENV X=1` sets X for `child`, so only `$Y`
    // is undefined. The trigger's CMD comes first, so the repeated CMD is reported there.
    // `grandchild` does not run them again (only a direct base's triggers run), and `unused`,
    // which the target does not need, not at all.
    assert_eq!(
        found,
        [
            ("JSONArgsRecommended", "FROM base AS child", 6, note(4)),
            ("LegacyKeyValueFormat", "FROM base AS child", 6, note(2)),
            ("MultipleInstructionsDisallowed", "FROM base AS child", 6, note(4)),
            (
                "UndefinedVar",
                "$Y",
                7,
                Some("stagecraft does not read image configs: if image `alpine` sets Y in its ENV, BuildKit finds it and does not report this".into())
            ),
            ("WorkdirRelativePath", "FROM base AS child", 6, note(3)),
        ]
    );
    assert!(a.diagnostics().iter().filter(|d| d.range == child_from).all(|d| d.fix.is_none()));
    // The trigger's `ENV a b` set `a` in `child` too.
    assert_eq!(diag(&a, "UndefinedVar").message, "Usage of undefined variable '$Y' (did you mean $a?)");
    // Without `child` in the target's way, no trigger runs.
    assert_eq!(
        codes(&plain("FROM alpine AS base\nONBUILD ENV a b\nFROM base AS child\nFROM alpine\n")),
        ["unused-stage", "unused-stage"]
    );
    // A trigger's `# check=skip` is the file's.
    let skipped = plain(&format!("# check=skip=LegacyKeyValueFormat,JSONArgsRecommended\n{text}"));
    assert!(!codes(&skipped).contains(&"LegacyKeyValueFormat") && !codes(&skipped).contains(&"JSONArgsRecommended"));
    // A trigger's COPY from a stage not built yet fails the build there.
    let text = "FROM alpine AS base\nONBUILD COPY --from=later /x /y\nFROM base AS child\nFROM alpine AS later\nCOPY --from=child /y /z\n";
    let a = plain(text);
    let e = a.build_error().expect("a forward reference in a trigger");
    assert_eq!(e.message, "cannot copy from stage \"later\", it needs to be defined before current stage \"child\"");
    assert_eq!(e.range.map(|r| &text[r]), Some("FROM base AS child"));
    assert_eq!(a.note(diag(&a, "forward-reference")), note(2));
    // The ONBUILD checks only its trigger's keyword; the trigger is parsed where it runs, and
    // a bad one fails there, while BuildKit resolves the stages, before any stage is built.
    let bad = "FROM alpine AS base\nONBUILD COPY onlyone\nFROM base\n";
    let a = plain(bad);
    let e = a.build_error().expect("a trigger that is no valid COPY");
    assert_eq!(
        (e.message.as_str(), e.phase, e.range.map(|r| &bad[r])),
        (
            "COPY requires at least two arguments, but only one was provided. Destination could not be determined",
            "resolve-stages",
            Some("FROM base")
        )
    );
    assert_eq!(a.note(diag(&a, "invalid-instruction")), note(2));
    // Where no stage the target needs runs it, nothing parses it; with `--target child`, it is.
    let skipped = "FROM alpine AS base\nONBUILD COPY onlyone\nFROM base AS child\nFROM alpine\n";
    assert_eq!(plain(skipped).build_error(), None);
    let options = Options { target: Some("child".into()), ..Options::default() };
    assert_eq!(analyze(skipped, &options).build_error().map(|e| e.phase), Some("resolve-stages"));
}

#[test]
fn the_target_platform_sets_the_target_args_and_the_os_of_stages() {
    let with = |platform: Option<&str>, text: &str| {
        analyze(text, &Options { platform: platform.map(String::from), ..Options::default() })
    };
    // The TARGET* ARGs of the global scope follow it (the build platform does not).
    let text = "FROM alpine:${TARGETOS}-${TARGETARCH}${TARGETVARIANT}-${BUILDARCH}\n";
    let base = |p| with(p, text).stages()[0].base_expanded.clone();
    assert_eq!(base(None).as_deref(), Some("alpine:linux-amd64-amd64"));
    assert_eq!(base(Some("linux/arm/v7")).as_deref(), Some("alpine:linux-armv7-amd64"));
    // A Windows OS version: TARGETOSVERSION, and TARGETPLATFORM keeps it (containerd's
    // FormatAll); TARGETOS does not.
    let text = "FROM img:${TARGETOSVERSION}_${TARGETPLATFORM}_${TARGETOS}\n";
    let a = with(Some("windows(10.0.20348)/amd64"), text);
    // (the `(`, `)` and `/` make no valid tag: the base is read back from the expansion)
    assert_eq!(a.stages()[0].base_expanded.as_deref(), Some("img:10.0.20348_windows(10.0.20348)/amd64_windows"));
    assert_eq!(with(None, text).stages()[0].base_expanded.as_deref(), Some("img:_linux/amd64_linux"));
    // A stage chosen by its architecture: another plan.
    let text = "FROM alpine AS base-amd64\nFROM alpine AS base-arm64\nFROM base-${TARGETARCH} AS final\n";
    assert_eq!(with(None, text).target_builds(2), [0, 2]);
    assert_eq!(with(Some("linux/arm64"), text).target_builds(2), [1, 2]);
    // A stage without --platform is for the target platform: on Windows, `C:\app` is absolute
    // (written `C:\\app`: the backslash is the escape character).
    let text = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nWORKDIR C:\\\\app\n";
    assert!(codes(&with(None, text)).contains(&"WorkdirRelativePath"));
    assert!(!codes(&with(Some("windows/amd64"), text)).contains(&"WorkdirRelativePath"));
    // With a Linux platform given, the OS is known: the warning has no "may be Windows" note.
    let a = with(Some("linux/amd64"), text);
    assert_eq!(a.note(diag(&a, "WorkdirRelativePath")), None);
    // A stage's own --platform still wins, but for scratch: BuildKit gives the empty image the
    // target platform.
    let a = with(Some("windows/amd64"), "FROM --platform=linux/amd64 alpine\nWORKDIR C:\\\\app\n");
    assert!(codes(&a).contains(&"WorkdirRelativePath"));
    let text = "FROM --platform=windows/amd64 scratch\nWORKDIR C:\\\\app\n";
    assert!(codes(&with(None, text)).contains(&"WorkdirRelativePath"));
    assert!(!codes(&with(Some("windows/amd64"), text)).contains(&"WorkdirRelativePath"));
}

#[test]
fn stage_uses_and_users_group_by_what_is_taken_and_by_stage() {
    let text = "FROM golang:1.22 AS build\n\
                RUN make\n\
                FROM alpine AS base\n\
                ONBUILD COPY --from=build /onb /onb\n\
                FROM base AS app\n\
                COPY --from=build /a /a\n\
                COPY --from=build /b /b\n\
                RUN --mount=from=golang:1.22,target=/g --mount=type=cache,from=build,target=/c true\n\
                COPY --from= /ctx /ctx\n\
                COPY --from=$X /v /v\n\
                FROM scratch\n\
                COPY --from=app /app /app\n\
                COPY --from=golang:1.22 /go /go\n";
    let a = plain(text);
    let at = |r: &TextRange| slice(&a, *r).to_string();
    let line = |r: &TextRange| a.line_index().line_col(r.start()).line + 1;
    // `app` takes from its base (FROM), from `build` three times and through the base's ONBUILD
    // trigger (at the FROM that runs it, where BuildKit reports it), and mounts an image; not from the build context (`--from=`)
    // nor from what BuildKit fails on (`$X`).
    let uses: Vec<(RefTarget, Vec<(String, u32)>)> =
        a.stage_uses(2).into_iter().map(|(t, rs)| (t, rs.iter().map(|r| (at(r), line(r))).collect())).collect();
    assert_eq!(
        uses,
        [
            (RefTarget::Stage(1), vec![("base".into(), 5)]),
            (
                RefTarget::Stage(0),
                vec![("FROM base AS app".into(), 5), ("build".into(), 6), ("build".into(), 7), ("build".into(), 8)]
            ),
            (RefTarget::Image("golang:1.22".into()), vec![("golang:1.22".into(), 8)]),
        ]
    );
    // The stage an ONBUILD is written in does not take from what the trigger names.
    let base: Vec<RefTarget> = a.stage_uses(1).into_iter().map(|(t, _)| t).collect();
    assert_eq!(base, [RefTarget::Image("alpine".into())]);
    // Who takes from `build`: `app` (four places); from the image: `build` (FROM), `app`
    // (mount) and the last stage (COPY).
    let users = |t: RefTarget| -> Vec<(usize, Vec<u32>)> {
        a.users_of(&t).into_iter().map(|(s, rs)| (s, rs.iter().map(line).collect())).collect()
    };
    assert_eq!(users(RefTarget::Stage(0)), [(2, vec![5, 6, 7, 8])]);
    assert_eq!(users(RefTarget::Image("golang:1.22".into())), [(0, vec![1]), (2, vec![8]), (3, vec![13])]);
    assert_eq!(users(RefTarget::Scratch), [(3, vec![11])]);
    assert!(users(RefTarget::Stage(3)).is_empty(), "nothing takes from the last stage");
}

#[test]
fn linked_editing_covers_every_written_name_or_nothing() {
    let text = "FROM alpine AS Build\nFROM build AS test\nCOPY --from=BUILD /a /b\nCOPY --from=0 /c /d\n\
                RUN --mount=from=build,target=/x true\n";
    let a = plain(text);
    let at = |needle: &str, plus: usize| TextSize::new((text.find(needle).unwrap() + plus) as u32);
    let linked =
        |offset| a.linked_editing(offset).map(|rs| rs.iter().map(|r| slice(&a, *r).to_string()).collect::<Vec<_>>());
    // Names written in different cases: no linked ranges (the protocol wants identical text in
    // each; a rename still writes all four).
    assert_eq!(linked(at("AS Build", 5)), None);
    assert_eq!(linked(at("--from=BUILD", 12)), None);
    assert_eq!(a.rename_stage(0, "make").map(|e| e.len()), Ok(4));
    // Written alike: from the AS name or any written reference, all four; not the number.
    let text = text.replace("Build", "build").replace("BUILD", "build");
    let a = plain(&text);
    let at = |needle: &str, plus: usize| TextSize::new((text.find(needle).unwrap() + plus) as u32);
    let linked =
        |offset| a.linked_editing(offset).map(|rs| rs.iter().map(|r| slice(&a, *r).to_string()).collect::<Vec<_>>());
    let all = Some(vec!["build".to_string(); 4]);
    assert_eq!(linked(at("AS build", 5)), all);
    assert_eq!(linked(at("--from=build", 12)), all);
    assert_eq!(linked(at("from=build,", 5)), all);
    assert_eq!(linked(at("--from=0", 7)), None, "a number is no name to edit");
    assert_eq!(linked(at("RUN", 1)), None);
    // What a rename would not do by retyping names: a name two stages share, a reference
    // through a variable, a quoted reference, a stage without a name.
    // (The cursor at the end of `needle`, on the name; each text linked without its obstacle
    // first, so that the None below is the obstacle's.)
    let linked_in = |text: &str, needle: &str| {
        let a = plain(text);
        a.linked_editing(TextSize::new((text.find(needle).unwrap() + needle.len()) as u32)).map(|rs| rs.len())
    };
    assert_eq!(linked_in("FROM alpine AS a\nFROM alpine AS b\nFROM a\n", "AS a"), Some(2));
    // The description comment's leading name goes along, as a rename changes it: the target
    // keeps its description.
    let described = "# a builds it\nFROM alpine AS a\nFROM a\n";
    let a = plain(described);
    let ranges = a.linked_editing(TextSize::new(described.find("AS a").unwrap() as u32 + 4)).unwrap();
    assert_eq!(ranges.iter().map(|r| u32::from(r.start())).collect::<Vec<_>>(), [2, 29, 36]);
    let edits = a.rename_stage(0, "b").unwrap();
    assert_eq!(edits.iter().map(|e| e.range).collect::<Vec<_>>(), ranges, "linked editing is where a rename writes");
    assert_eq!(linked_in("FROM alpine AS a\nFROM alpine AS a\nFROM a\n", "AS a"), None);
    assert_eq!(linked_in("ARG S=a\nFROM alpine AS a\nFROM a\n", "AS a"), Some(2));
    assert_eq!(linked_in("ARG S=a\nFROM alpine AS a\nFROM ${S}\nFROM a\n", "AS a"), None);
    assert_eq!(linked_in("FROM alpine AS a\nFROM alpine\nCOPY --from=a /x /y\n", "AS a"), Some(2));
    assert_eq!(linked_in("FROM alpine AS a\nFROM alpine\nCOPY --from=\"a\" /x /y\n", "AS a"), None);
    assert_eq!(linked_in("FROM alpine\nFROM alpine\nCOPY --from=0 /x /y\n", "--from=0"), None);
}

// ---- variables ----

/// The variable at the `n`th occurrence of `needle` (plus `delta` bytes), as BuildKit expands it.
fn variable(a: &Analysis, needle: &str, n: usize, delta: u32) -> VariableValue {
    let at = a.text().match_indices(needle).nth(n).unwrap_or_else(|| panic!("no {needle} #{n}")).0 as u32 + delta;
    a.variable_at(TextSize::new(at)).unwrap_or_else(|| panic!("no variable at {needle} #{n}"))
}

fn key_range(a: &Analysis, needle: &str) -> TextRange {
    let at = a.text().find(needle).unwrap();
    TextRange::at(TextSize::new(at as u32), TextSize::new(needle.split('=').next().unwrap().len() as u32))
}

#[test]
fn variables_hold_what_buildkit_expands_them_to() {
    let text = "ARG BASE=alpine\nARG TAG=${BASE}-x\nFROM --platform=$BUILDPLATFORM ${BASE:-x} AS a\n\
                ARG V=1 W=$V\nENV P=$V Q=$P\nCOPY --chown=$P a b\nRUN echo $P\nARG D\nARG TARGETARCH\n\
                WORKDIR /$D$TARGETARCH$PATH${NOPE:-dflt}\nONBUILD COPY --chown=$P a b\n\
                FROM a AS b\nWORKDIR /$P\nFROM scratch AS c\nWORKDIR /$P\n";
    let a = plain(text);
    // Global scope: the global ARGs in order, and the automatic platform ARGs.
    let v = variable(&a, "${BASE}", 0, 0);
    assert_eq!((v.name.as_str(), v.value.as_deref()), ("BASE", Some("alpine")));
    assert_eq!(v.source, VariableSource::GlobalArg(key_range(&a, "BASE=alpine")));
    assert_eq!(slice(&a, v.range), "${BASE}");
    let v = variable(&a, "${BASE:-x}", 0, 3);
    assert_eq!((v.value.as_deref(), v.expanded.as_deref()), (Some("alpine"), Some("alpine")));
    assert_eq!(slice(&a, v.range), "${BASE:-x}");
    let v = variable(&a, "$BUILDPLATFORM", 0, 1);
    assert_eq!((v.value.as_deref(), &v.source), (Some("linux/amd64"), &VariableSource::Builtin));
    // A global ARG without a value is where such a variable is declared (found by QA: hover
    // said no global ARG set it, and definition went nowhere).
    let declared = plain(
        "ARG TAG
FROM alpine:${TAG:-3.20}
",
    );
    let at = TextSize::new(
        "ARG TAG
FROM alpine:${T"
            .len() as u32,
    );
    let v = declared.variable_at(at).expect("a variable");
    let key = TextRange::at(TextSize::new(4), TextSize::new(3));
    assert_eq!((v.value, v.source), (None, VariableSource::DeclaredGlobal(key)));
    assert_eq!(declared.variable_definition(at), Some(key));
    let md = declared.hover(at).unwrap().markdown;
    assert!(md.contains("Declared by the global `ARG` on line 1 and given no value"), "{md}");
    assert_eq!(
        plain("FROM alpine:${TAG:-3.20}\nARG TAG\n").variable_at(TextSize::new(15)).map(|v| v.source),
        Some(VariableSource::Unset)
    );
    // A stage: ARG pairs one by one, ENV pairs all from before the line.
    let v = variable(&a, "$V", 0, 0);
    assert_eq!((v.value.as_deref(), &v.source), (Some("1"), &VariableSource::Arg(key_range(&a, "V=1"))));
    let v = variable(&a, "$P", 0, 1);
    assert_eq!((v.value, v.source), (None, VariableSource::Unset), "ENV P=... Q=$P reads P from before the line");
    let v = variable(&a, "--chown=$P", 0, 8);
    assert_eq!((v.value.as_deref(), &v.source), (Some("1"), &VariableSource::Env(key_range(&a, "P=$V"))));
    assert!(a
        .hover(TextSize::new(text.find("--chown=$P").unwrap() as u32 + 9))
        .unwrap()
        .markdown
        .starts_with("**`$P`** = `1`\n\nSet by the `ENV` on line 5."));
    // A shell command is the shell's to expand: no variable there.
    assert_eq!(a.variable_at(TextSize::new(text.find("echo $P").unwrap() as u32 + 6)), None);
    let v = variable(&a, "$D", 0, 1);
    assert_eq!((v.value, v.source), (None, VariableSource::Declared));
    let v = variable(&a, "$TARGETARCH", 0, 1);
    assert_eq!((v.value.as_deref(), &v.source), (Some("amd64"), &VariableSource::Builtin));
    let v = variable(&a, "$PATH", 0, 1);
    assert_eq!(v.source, VariableSource::DefaultPath);
    let v = variable(&a, "${NOPE:-dflt}", 0, 3);
    assert_eq!((v.value, v.expanded.as_deref(), v.source), (None, Some("dflt"), VariableSource::Unset));
    let md = a.hover(TextSize::new(text.find("${NOPE").unwrap() as u32 + 3)).unwrap().markdown;
    assert!(md.ends_with("`${NOPE:-dflt}` expands to `dflt`."), "{md}");
    let v = variable(&a, "--chown=$P", 1, 8);
    assert_eq!((v.value, v.source), (None, VariableSource::Trigger));
    // A stage built on another has its ENV; one on scratch not.
    let v = variable(&a, "/$P", 0, 1);
    assert_eq!((v.value.as_deref(), &v.source), (Some("1"), &VariableSource::Env(key_range(&a, "P=$V"))));
    let md = a.variable_markdown(&v);
    assert!(md.contains("line 5 (stage `a`, which this stage is built on)"), "{md}");
    let v = variable(&a, "/$P", 1, 1);
    assert_eq!((v.value, v.source), (None, VariableSource::Unset));
    // With build args and a target: a given value, and a stage the target does not build.
    let options = Options {
        build_args: vec![("BASE".into(), "debian".into()), ("V".into(), "9".into())],
        target: Some("a".into()),
        ..Options::default()
    };
    let a = analyze(text, &options);
    let v = variable(&a, "${BASE}", 0, 0);
    assert_eq!(
        (v.value.as_deref(), &v.source),
        (Some("debian"), &VariableSource::BuildArg(key_range(&a, "BASE=alpine")))
    );
    let v = variable(&a, "--chown=$P", 0, 8);
    assert_eq!(v.value.as_deref(), Some("9"));
    let v = variable(&a, "$V", 0, 0);
    assert_eq!(v.source, VariableSource::BuildArg(key_range(&a, "V=1")));
    let v = variable(&a, "/$P", 1, 1);
    assert_eq!((v.value, v.source), (None, VariableSource::NotBuilt));
    // Nothing outside a variable.
    assert_eq!(a.variable_at(TextSize::new(0)), None);
    assert_eq!(a.variable_at(TextSize::new(text.len() as u32 + 10)), None);
}

/// A stage built on another gets the other's environment and then its image config's `Env`
/// again (`dispatchStages`): an `ENV` wins over an `ARG` of the same name there, though not in
/// the stage that set both.
#[test]
fn a_stage_on_a_stage_gets_its_env_over_its_args() {
    let text = "FROM alpine AS base\nENV PORT=8080/tcp\nARG PORT=8080/TCP\nEXPOSE $PORT\nFROM base\nEXPOSE $PORT\n";
    let a = plain(text);
    let casing: Vec<u32> =
        a.diagnostics().iter().filter(|d| d.code == "ExposeProtoCasing").map(|d| a.line_of(d.range.start())).collect();
    assert_eq!(casing, [4], "{:?}", a.diagnostics());
    let v = variable(&a, "$PORT", 1, 0);
    assert_eq!(
        (v.value.as_deref(), &v.source),
        (Some("8080/tcp"), &VariableSource::Env(key_range(&a, "PORT=8080/tcp")))
    );
    // An ARG the base declared stays defined, with its value, where no ENV has the name.
    let a = plain("FROM alpine AS base\nARG DIR=/app\nFROM base\nWORKDIR $DIR\n");
    assert!(a.diagnostics().is_empty(), "{:?}", a.diagnostics());
}

/// A variable set again moves to the end of BuildKit's environment (`EnvList`), which decides
/// between equally close "did you mean" names.
#[test]
fn a_variable_set_again_is_the_newest() {
    let a = plain("FROM alpine\nENV AB=1 AC=2\nENV AB=3\nENV X=$AD\n");
    assert_eq!(diag(&a, "UndefinedVar").message, "Usage of undefined variable '$AD' (did you mean $AC?)");
    let a = plain("FROM alpine\nENV AB=1 AC=2\nENV AC=3\nENV X=$AD\n");
    assert_eq!(diag(&a, "UndefinedVar").message, "Usage of undefined variable '$AD' (did you mean $AB?)");
}

/// BuildKit's SBOM scan ARGs are switches, never variables (`nonEnvArgs`).
#[test]
fn sbom_scan_args_are_no_variables() {
    let a = plain("FROM alpine\nARG BUILDKIT_SBOM_SCAN_STAGE=true\nWORKDIR x$BUILDKIT_SBOM_SCAN_STAGE\n");
    assert_eq!(
        a.diagnostics().iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
        ["Relative workdir \"x\" can have unexpected results if the base image changes"]
    );
}

/// After `$` or `${`, the variables in scope there, with their values.
#[test]
fn variables_complete_after_a_dollar() {
    let labels = |text: &str| -> Vec<(String, Option<String>)> {
        let (a, at) = fixture(text);
        let c = a.completions(at);
        assert!(c.iter().all(|c| c.kind == CompletionKind::Variable), "{c:?}");
        c.into_iter().map(|c| (c.label, c.detail)).collect()
    };
    let l = |name: &str, detail: &str| (name.to_string(), Some(detail.to_string()));
    // Global scope: the automatic platform ARGs and the global ARGs before the place.
    let global = labels("ARG A=1\nARG B=${$0}\nARG C=3\nFROM alpine\n");
    assert!(global.contains(&l("A", "1")) && global.contains(&l("TARGETARCH", "amd64")), "{global:?}");
    assert!(!global.iter().any(|(n, _)| n == "B" || n == "C"), "{global:?}");
    // A stage: its image's PATH, its ARGs (one without a value too) and ENVs so far, the base
    // stage's; in a RUN command the shell gets them all.
    let text =
        "ARG V=1\nFROM alpine AS base\nARG V\nENV HOME_DIR=/srv\nFROM base\nARG EMPTY\nRUN echo $HO$0\nENV LATER=1\n";
    let (a, at) = fixture(text);
    let c = a.completions(at);
    let names: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
    // (In BuildKit's order: the base's image `Env` is set again after its ARGs.)
    assert_eq!(names, ["V", "PATH", "HOME_DIR", "EMPTY"], "{c:?}");
    assert_eq!(c[0].detail.as_deref(), Some("1"));
    assert_eq!(c[3].detail.as_deref(), Some("ARG without a value"));
    // The name typed so far is replaced, and the rest of it after the cursor too.
    assert_eq!(slice(&a, c[0].replace), "HO");
    let (a, at) = fixture("FROM alpine\nENV ABC=1\nWORKDIR /${A$0BC}\n");
    assert_eq!(slice(&a, a.completions(at)[0].replace), "ABC");
    // After `${`, the name closes the braces, unless a `}` or a modifier follows (found by QA).
    let insert = |text: &str| {
        let (a, at) = fixture(text);
        a.completions(at).into_iter().find(|c| c.label == "ABC").map(|c| c.insert).unwrap_or_default()
    };
    assert_eq!(insert("FROM alpine\nENV ABC=1\nRUN echo ${$0\n"), "ABC}");
    assert_eq!(insert("FROM alpine\nENV ABC=1\nRUN echo \"${A$0\"\n"), "ABC}");
    assert_eq!(insert("FROM alpine\nENV ABC=1\nRUN echo ${$0}\n"), "ABC");
    assert_eq!(insert("FROM alpine\nENV ABC=1\nRUN echo ${$0:-x}\n"), "ABC");
    assert_eq!(insert("FROM alpine\nENV ABC=1\nRUN echo $$0\n"), "ABC");
    // Not after `$$` or an escaped `\$`, nor where the image's environment is read later.
    for text in [
        "FROM alpine\nENV A=1\nRUN echo $$$0\n",
        "FROM alpine\nENV A=1\nWORKDIR \\$$0\n",
        "FROM alpine\nENV A=1\nCMD echo $$0\n",
        // A mount's `from=` takes no variable (BuildKit refuses a `$` there); its other fields
        // do (below).
        "FROM alpine\nENV A=1\nRUN --mount=type=bind,from=$$0 true\n",
        "FROM alpine\nENV A=1\nRUN --mount=from=${$0},target=/m true\n",
        "FROM alpine\nENV A=1\nRUN --mount=type=bind,\"from=$$0\" true\n",
        // The body of a heredoc with a quoted word is kept as it is.
        "FROM alpine\nENV A=1\nCOPY <<'EOF' /f\n$$0\nEOF\n",
        "FROM alpine\nENV A=1\nRUN <<\"EOF\"\necho $$0\nEOF\n",
        // COPY reads bodies by name: the first of two named EOF is never read.
        "FROM alpine\nENV A=1\nCOPY <<EOF <<'EOF' /d/\n$$0\nEOF\nx\nEOF\n",
    ] {
        let (a, at) = fixture(text);
        assert!(a.completions(at).iter().all(|c| c.kind != CompletionKind::Variable), "{text}");
    }
    for text in [
        "FROM alpine\nENV A=1\nRUN --mount=type=bind,from=x,target=/$$0 true\n",
        "FROM alpine\nENV A=1\nCOPY <<EOF /f\n$$0\nEOF\n",
        "FROM alpine\nENV A=1\nRUN <<EOF\necho $$0\nEOF\n",
        // ...and the second is, expanded through the first word, unquoted.
        "FROM alpine\nENV A=1\nCOPY <<EOF <<'EOF' /d/\nx\nEOF\n$$0\nEOF\n",
    ] {
        assert!(labels(text).contains(&l("A", "1")), "{text}");
    }
}

/// `--build-arg BUILDKIT_DOCKERFILE_CHECK=...` replaces the file's `# check=` directive, as
/// dockerui's `LinterConfig` does.
#[test]
fn the_check_build_arg_replaces_the_directive() {
    let with = |text: &str, value: &str| {
        analyze(
            text,
            &Options { build_args: vec![("BUILDKIT_DOCKERFILE_CHECK".into(), value.into())], ..Options::default() },
        )
    };
    let text = "# check=skip=JSONArgsRecommended\nFROM alpine\nCMD echo hi\nMAINTAINER x\n";
    assert_eq!(codes(&plain(text)), ["MaintainerDeprecated"]);
    assert_eq!(codes(&with(text, "skip=MaintainerDeprecated")), ["JSONArgsRecommended"]);
    let a = with(text, "error=true");
    assert_eq!(codes(&a), ["JSONArgsRecommended", "MaintainerDeprecated"]);
    assert!(a.diagnostics().iter().all(|d| d.severity == Severity::Error), "{:?}", a.diagnostics());
    let a = with(text, "skip=Bogus");
    let d = diag(&a, "unknown-check");
    assert!(
        d.message.starts_with("`Bogus` is not a BuildKit check; it has no effect (in BUILDKIT_DOCKERFILE_CHECK)"),
        "{}",
        d.message
    );
    let a = with(text, "nonsense");
    assert!(a
        .build_error()
        .is_some_and(|e| e.message.starts_with("failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: ")));
    // Both are read before the file is parsed (`newRuleLinter` before `parser.Parse`; dockerui
    // reads the build arg before the file, even an empty one): a parse error comes after them.
    let message = |a: &stagecraft_analysis::Analysis| a.build_error().map(|e| e.message.clone()).unwrap_or_default();
    assert!(message(&with("", "nonsense")).starts_with("failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: "));
    for broken in ["FROM alpine\nRUN <<EOF\n", "FROM alpine\nENV X\n", "# check=skip=all\nFROM alpine\n"] {
        let a = plain(&format!("# check=error=maybe\n{broken}"));
        assert!(message(&a).starts_with("failed to parse check options"), "{broken}: {}", message(&a));
        let a = with(broken, "nonsense");
        assert!(message(&a).starts_with("failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK"), "{broken}");
    }
    // A directive's value ends at the first space: an empty name says so (at the value).
    let a = plain("# check=skip=JSONArgsRecommended, MaintainerDeprecated\nFROM alpine\nMAINTAINER x\n");
    let d = diag(&a, "unknown-check");
    assert!(d.message.starts_with("an empty check name: a stray comma, or a space (the value ends at the first one)"));
    assert_eq!(slice(&a, d.range), "skip=JSONArgsRecommended, MaintainerDeprecated");
    // A name that is no check is marked where it is written, not with the whole value.
    let a = plain("# check=skip=Bog,StageNameCasing,Bogus;experimental=Bogus\nFROM alpine\n");
    let marked: Vec<&str> = findings(&a, "unknown-check").iter().map(|f| f.0).collect();
    assert_eq!(marked, ["Bog", "Bogus", "Bogus"]);
    let ranges: Vec<usize> =
        a.diagnostics().iter().filter(|d| d.code == "unknown-check").map(|d| usize::from(d.range.start())).collect();
    assert_eq!(ranges, [13, 33, 52]);
}

/// Hover on an instruction's keyword or one of its flags: what it does, with the reference.
#[test]
fn keywords_and_flags_say_what_they_do() {
    let hover = |text: &str| {
        let (a, at) = fixture(text);
        a.hover(at).map(|h| (slice(&a, h.range).to_string(), h.markdown))
    };
    let (word, md) = hover("FROM alpine AS a\nCO$0PY --from=a x y\n").unwrap();
    assert_eq!(word, "COPY");
    assert_eq!(md, "**COPY**: copy files from the context, a stage or an image.\n\n[Dockerfile reference](https://docs.docker.com/reference/dockerfile/#copy)");
    let (word, md) = hover("FROM alpine AS a\nCOPY --li$0nk --from=a x y\n").unwrap();
    assert_eq!(word, "--link");
    assert!(md.starts_with("**`--link`** of COPY: copy into an independent layer."), "{md}");
    // Inside an ONBUILD, the trigger's own keyword and flags; lower case is the same keyword.
    let (word, md) = hover("FROM alpine\nonbuild run --mou$0nt=type=cache,target=/c true\n").unwrap();
    assert_eq!(word, "--mount");
    assert!(md.starts_with("**`--mount`** of RUN:"), "{md}");
    assert!(hover("FROM alpine\non$0build run true\n")
        .unwrap()
        .1
        .starts_with("**ONBUILD**: run an instruction in images built on this one."));
    // An unknown flag or keyword has no hover.
    assert_eq!(hover("FROM alpine\nCOPY --bo$0gus x y\n"), None);
    assert_eq!(hover("FROM alpine\nFRO$0B x\n"), None);
    // A `--mount` option: its key, and a type's or sharing's value.
    let (word, md) = hover("FROM alpine\nRUN --mount=TYPE=ca$0che,target=/c true\n").unwrap();
    assert_eq!(word, "TYPE=cache");
    assert_eq!(md, "**`type`** of `RUN --mount`: bind, cache, tmpfs, secret or ssh.\n\n`cache`: a directory kept between builds (package caches, compilers').\n\n[Dockerfile reference](https://docs.docker.com/reference/dockerfile/#run---mount)");
    let (word, md) = hover("FROM alpine\nRUN --mount=type=cache,ta$0rget=/c true\n").unwrap();
    assert_eq!(
        (word.as_str(), md.starts_with("**`target`** of `RUN --mount`: where it is mounted.")),
        ("target=/c", true),
        "{md}"
    );
    assert_eq!(hover("FROM alpine\nRUN --mount=type=cache,bo$0gus=1 true\n"), None);
    // At a key's first character, after `=` or `,` (where a word motion puts the cursor).
    for text in
        ["FROM alpine\nRUN --mount=$0type=cache true\n", "FROM alpine\nRUN --mount=type=cache,$0sharing=locked true\n"]
    {
        let md = hover(text).map(|h| h.1).unwrap_or_default();
        assert!(md.contains("of `RUN --mount`"), "{text}: {md}");
    }
    // `AS`: what the name is for.
    let (word, md) = hover("FROM alpine a$0s base\n").unwrap();
    assert_eq!(word, "as");
    assert!(md.starts_with("**AS** names the stage"), "{md}");
}

/// A stage a later `FROM` written with variables may name (`FROM build-${VARIANT}`) is not
/// dead code: its unused-stage hint says which FROM may pick it, offers no removal, and does not
/// fade it. `FROM $BASE` alone (most often an image) marks nothing.
#[test]
fn stages_a_variable_base_may_name_are_not_dead_code() {
    let text = "ARG VARIANT=alpine\nFROM alpine AS build-alpine\nFROM debian AS build-debian\nFROM busybox AS tools\n\
                FROM build-${VARIANT} AS build\nARG BASE=scratch\nFROM $BASE\nCOPY --from=build /a /a\n";
    let a = plain(text);
    let unused: Vec<(&str, bool, bool)> = a
        .diagnostics()
        .iter()
        .filter(|d| d.code == "unused-stage")
        .map(|d| (slice(&a, d.range), d.unnecessary, d.fix.is_some()))
        .collect();
    assert_eq!(unused, [("build-debian", false, false), ("tools", true, true)]);
    let d = a.diagnostics().iter().find(|d| slice(&a, d.range) == "build-debian").unwrap();
    assert!(
        d.message.contains("is not used with these build args and platform")
            && d.message.contains("`FROM build-${VARIANT}` (line 5) may name it with other values"),
        "{}",
        d.message
    );
    // With the other value the other stage is the one left out, and said the same way.
    let debian =
        analyze(text, &Options { build_args: vec![("VARIANT".into(), "debian".into())], ..Options::default() });
    assert!(debian
        .diagnostics()
        .iter()
        .any(|d| d.code == "unused-stage" && slice(&debian, d.range) == "build-alpine" && !d.unnecessary));
    // The base is read as BuildKit's lexer reads it: quotes removed (`"build-${V}"` may name
    // `build-a`), and `$1x` is `$1` then `x` (it may name `build-ax`, not `build-a`).
    let picked = |base: &str| -> Vec<String> {
        let a = plain(&format!("FROM alpine AS build-a\nFROM alpine AS build-ax\nFROM {base}\n"));
        a.diagnostics()
            .iter()
            .filter(|d| d.code == "unused-stage" && !d.unnecessary)
            .map(|d| slice(&a, d.range).to_string())
            .collect()
    };
    assert_eq!(picked("\"build-${V}\""), ["build-a", "build-ax"]);
    assert_eq!(picked("build-$1x"), ["build-ax"]);
    assert_eq!(picked("build-\\$V"), Vec::<String>::new());
    assert_eq!(picked("build-$V"), ["build-a", "build-ax"]);
    // A stage a build arg switches on by name (`${DEV:+build-a}` is `build-a` or nothing).
    assert_eq!(picked("${DEV:+build-a}"), ["build-a"]);
    // Some set and others not: `${DEV:+dev-}build-${V}` is `build-a` with `V=a` alone.
    assert_eq!(picked("${DEV:+dev-}build-${V}"), ["build-a", "build-ax"]);
    assert_eq!(picked("${DEV:+dev-}${V:+build-}${W:-a}${X:+x}"), ["build-a", "build-ax"]);
    assert_eq!(picked("${DEV:+dev-}${V:+build-}z"), Vec::<String>::new());
    // Five variables: all set and none set only (`build-` and `a` need V alone).
    assert_eq!(picked("${A:+a}${B:+b}${C:+c}${D:+d}${V:+build-}a"), Vec::<String>::new());
    // 33 variables (a bit each would overflow a mask): all set and none set are still tried.
    let many: String = (1..33).map(|i| format!("${{V{i}:+}}")).collect();
    assert_eq!(picked(&format!("${{V0:+build-a}}{many}")), ["build-a"]);
}

/// An unknown `--from` that is one part of a stage's name suggests that stage before one a
/// single edit away (docker/compose's `--from=set` meant `license-set`, not `test`).
#[test]
fn an_unknown_stage_that_is_part_of_a_name_suggests_that_name() {
    let text = "FROM alpine AS test\nFROM alpine AS license-set\nFROM scratch\nCOPY --from=set /out /\n";
    let d = diag(&plain(text), "unknown-stage").clone();
    assert!(d.message.ends_with("did you mean the stage `license-set`?"), "{}", d.message);
    // Two stages with that part: no part is the one meant, and a three-letter name is no
    // likely typo of `test` (until stop 38 it suggested `test`).
    let text =
        "FROM alpine AS test\nFROM alpine AS a-set\nFROM alpine AS b-set\nFROM scratch\nCOPY --from=set /out /\n";
    assert!(!codes(&plain(text)).contains(&"unknown-stage"));
}

/// The names an unknown `--from` or `FROM` is taken for a typo of: a name of an image a stage
/// reference may pull is a typo only when it is a likely one, as BuildKit pulls it and the
/// build may well mean that (`--from=rust` beside a stage `test`, where BuildKit's own search
/// would suggest it).
#[test]
fn an_unknown_stage_is_a_typo_only_when_likely() {
    // Two edits from a four-letter name, one from a name under four characters: no guess.
    let text = "FROM alpine AS test\nFROM alpine AS basic\nFROM alpine AS y\nFROM rust\nCOPY --from=rust /a /a\nFROM bash\nFROM scratch\nCOPY --from=x /b /b\n";
    assert!(!codes(&plain(text)).contains(&"unknown-stage"), "{:?}", plain(text).diagnostics());
    // A base is no typo of a stage whose name it begins (or is begun by), nor one edit from a
    // name of four or five characters but by a swap (`FROM bash` beside `base` is the image);
    // a `--from` is.
    let a = plain("FROM alpine:3.19 AS alpine3\nRUN x\nFROM alpine\nFROM alpine AS alpin\nFROM alpine\n");
    assert!(!codes(&a).contains(&"unknown-stage"), "{:?}", a.diagnostics());
    let a =
        plain("FROM alpine AS base\nFROM bash\nFROM alpine AS build\nFROM buld\nFROM biuld\nCOPY --from=buld / /\n");
    let found: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.code == "unknown-stage").map(|d| slice(&a, d.range)).collect();
    assert_eq!(found, ["biuld", "buld"], "{:?}", a.diagnostics());
    // An official image of four or five characters is the image, for a `--from` too.
    let a = plain(
        "FROM alpine AS base\nFROM alpine AS code\nCOPY --from=bash / /\nCOPY --from=node / /\nCOPY --from=baes / /\n",
    );
    let found: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.code == "unknown-stage").map(|d| slice(&a, d.range)).collect();
    assert_eq!(found, ["baes"], "{:?}", a.diagnostics());
    // FROM finds the last stage of a name before it: a name a later stage takes again is
    // suggested by the earlier one.
    let a = plain("FROM golang AS builder\nFROM biulder AS x\nFROM alpine AS builder\n");
    let d = diag(&a, "unknown-stage");
    assert!(d.message.ends_with("did you mean the stage `builder`?") && d.fix.is_some(), "{d:?}");
    // What is no image name fails the build anyway: any close name is suggested.
    let a = plain("FROM alpine AS build\nFROM scratch\nCOPY --from=Buld / /\n");
    assert!(diag(&a, "unknown-stage").message.ends_with("did you mean the stage `build`?"), "{:?}", a.diagnostics());
    // Among the stages before it, the first closest name is taken, as BuildKit's search picks
    // it, and then only if it is a likely typo: here `abxy` (two edits, a four-letter name), so
    // no guess among the earlier ones, and the later `abce` is said.
    let a =
        plain("FROM alpine AS abxy\nFROM alpine AS bacd\nFROM scratch\nCOPY --from=abcd / /\nFROM alpine AS abce\n");
    let d = diag(&a, "unknown-stage");
    assert!(d.message.contains("the closest name is stage `abce` on line 5") && d.fix.is_none(), "{d:?}");
    // Through a variable: said, with no fix (writing the name there would drop the variable).
    let a = plain("ARG BASE=biulder\nFROM golang AS builder\nFROM ${BASE}\n");
    let d = diag(&a, "unknown-stage");
    assert!(d.message.ends_with("did you mean the stage `builder`?") && d.fix.is_none(), "{d:?}");
    // One edit from a five-letter name, a swap counting as one, and two from a longer one.
    for (written, meant) in [
        ("--from=tets", "test"),
        ("--from=biuld", "build"),
        ("--from=biulder", "builder"),
        ("--from=buildrr", "builder"),
    ] {
        let text = format!(
            "FROM alpine AS test\nFROM alpine AS build\nFROM alpine AS builder\nFROM scratch\nCOPY {written} /a /a\n"
        );
        let d = diag(&plain(&text), "unknown-stage").clone();
        assert!(d.message.ends_with(&format!("did you mean the stage `{meant}`?")), "{written}: {}", d.message);
    }
}

/// Instructions before any FROM: BuildKit's error once, at the first, and no second error that
/// the file has no stages.
#[test]
fn no_stage_is_said_once() {
    let a = plain("ARG A=1\nRUN a\nRUN b\nCOPY x y\n");
    assert_eq!(codes(&a), ["no-stage"]);
    assert_eq!(slice(&a, diag(&a, "no-stage").range), "RUN a");
    assert_eq!(codes(&plain("ARG A=1\n")), ["no-stages"]);
}

/// What a review of the variable probe and the new checks found: where BuildKit takes a word
/// as written there is no variable, an expansion that fails says so, the global scope has no
/// image, single quotes keep a `$`, and inputs that used to cost time exponentially or stack
/// depth per byte stay fast.
#[test]
fn variable_queries_and_checks_hold_on_odd_input() {
    // HEALTHCHECK flags and MAINTAINER are taken as written: no variable, no completion.
    let (a, at) = fixture("FROM alpine\nENV X=5s\nHEALTHCHECK --interval=$$0X CMD true\n");
    assert_eq!(a.variable_at(at), None);
    let (a, at) = fixture("FROM alpine\nENV X=5s\nMAINTAINER $$0\n");
    assert!(a.completions(at).iter().all(|c| c.kind != CompletionKind::Variable));
    // A failing expansion, and the global scope's own wording.
    let (a, at) = fixture("FROM alpine\nWORKDIR /${B$0:?missing}\n");
    let md = a.hover(at).unwrap().markdown;
    assert!(md.ends_with("`${B:?missing}` fails here: B: missing."), "{md}");
    let (a, at) = fixture("ARG A=${NOPE$0}\nFROM alpine\n");
    assert!(a.hover(at).unwrap().markdown.contains("No global `ARG` sets it here"));
    // No stage yet: nothing to say (not "not built").
    let (a, at) = fixture("ARG X=1\nENV Y=$X$0\n");
    assert_eq!(a.variable_at(at), None);
    // Single quotes keep a `$`; a `{` alone completes nothing; the file's escape character.
    for text in [
        "FROM alpine\nENV A=1\nRUN awk '{print $$0}'\n",
        "FROM alpine\nENV A=1\nCOPY --from={$0 x y\n",
        "# escape=`\nFROM alpine\nENV A=1\nWORKDIR `$$0\n",
    ] {
        let (a, at) = fixture(text);
        assert!(a.completions(at).is_empty(), "{text}: {:?}", a.completions(at));
    }
    let (a, at) = fixture("FROM alpine\nENV A=1\nWORKDIR /${$0\n");
    assert!(a.completions(at).iter().any(|c| c.label == "A" && c.kind == CompletionKind::Variable));
    // Many variables in a base, a long name, a long base: all at once.
    let vars: String = (0..16).map(|i| format!("${{V{i}}}")).collect();
    let text = format!("FROM alpine AS {}\nFROM {vars}z AS x\nFROM alpine\n", "a".repeat(60));
    let a = plain(&text);
    // A base ending in `z` cannot name the `a...a` stage: unused, and faded.
    let first = a.diagnostics().iter().find(|d| d.code == "unused-stage" && a.line_of(d.range.start()) == 1);
    assert!(first.is_some_and(|d| d.unnecessary), "{:?}", a.diagnostics());
    let long = "a".repeat(100_000);
    let text = format!("FROM alpine AS {long}\nFROM ${{V}}{long} AS x\nFROM alpine\n");
    let a = plain(&text);
    assert!(a.diagnostics().iter().any(|d| d.code == "unused-stage" && !d.unnecessary), "the long base may name it");
    // A quote in a comment line or a heredoc body opens nothing; an exec-form RUN expands
    // nothing; an escaped backslash before a `$` leaves the variable.
    let (a, at) = fixture("FROM alpine\nENV V=2\nLABEL a=1 \\\n# don't\n  b=$V$0\n");
    assert_eq!(a.variable_at(at).and_then(|v| v.value).as_deref(), Some("2"));
    let (a, at) = fixture("FROM alpine\nENV V=2\nCOPY <<EOF /x\nit's $$0\nEOF\n");
    assert!(a.completions(at).iter().any(|c| c.label == "V"));
    let (a, at) = fixture("FROM alpine\nENV V=2\nRUN [\"echo\", \"$$0\"]\n");
    assert!(a.completions(at).iter().all(|c| c.kind != CompletionKind::Variable));
    let (a, at) = fixture("FROM alpine\nENV V=2\nWORKDIR /a\\\\$$0\n");
    assert!(a.completions(at).iter().any(|c| c.label == "V"));
    // A user's ARG named like a platform one is advised as any other.
    let a = plain("ARG BUILD_TAG=\nFROM ${BUILD_TAG}\n");
    assert!(diag(&a, "blank-base").message.contains("no value: `BUILD_TAG`"), "{}", diag(&a, "blank-base").message);
    // An image beside a stage named after it is not that stage (`--from=node`, `node-deps`).
    let a = plain("FROM node:20 AS node-deps\nFROM alpine\nCOPY --from=node /usr/local/bin/node /n\n");
    assert!(!codes(&a).contains(&"unknown-stage"), "{:?}", a.diagnostics());
}

/// A diagnostic about a whole instruction ends where the instruction's text does: the blanks the
/// line ends in (and a CRLF's `\r`) are not underlined, on one line or on the last of several.
/// A range of blanks alone keeps them.
#[test]
fn whole_instruction_diagnostics_leave_out_trailing_blanks() {
    let a = plain("ARG A=1 \t\nRUN a  \nFROM scratch\n");
    assert_eq!(slice(&a, diag(&a, "no-stage").range), "RUN a");
    // (An unnamed stage's hint is its FROM instruction; a named one's, its name.)
    let a = plain("FROM alpine:3 \t\r\nFROM alpine AS b\r\nRUN x \\\r\n  y  \r\n");
    assert_eq!(slice(&a, diag(&a, "unused-stage").range), "FROM alpine:3");
    let a = plain("RUN a \\\n  b \t\nFROM alpine\n");
    assert_eq!(slice(&a, diag(&a, "no-stage").range), "RUN a \\\n  b");
    // Blanks alone (an empty continuation line) stay what the finding points at.
    let a = plain("FROM alpine\nRUN a \\\n   \n  b\n");
    assert_eq!(slice(&a, diag(&a, "NoEmptyContinuation").range), "   ");
    // The trigger a finding names at the inheriting FROM ends at its text too.
    let a = plain("FROM alpine AS base\nONBUILD ENV a b  \nFROM base\n");
    let d = a.diagnostics().iter().find(|d| d.trigger.is_some()).unwrap_or_else(|| panic!("{:?}", a.diagnostics()));
    assert_eq!(slice(&a, d.trigger.unwrap()), "ENV a b");
}

/// A `--from` an inherited trigger cannot resolve fails the build at the `FROM` of the stage that
/// runs it, as BuildKit's `initOnBuildTriggers` says it, naming the trigger, as the trigger's
/// other failures are.
#[test]
fn an_inherited_trigger_from_error_is_at_the_inheriting_from() {
    for (from, code) in [("5", "stage-index-out-of-range"), ("$X", "variable-in-from")] {
        let a = plain(&format!("FROM alpine AS base\nONBUILD COPY --from={from} /x /x\nFROM base AS child\n"));
        let d = diag(&a, code);
        assert_eq!(slice(&a, d.range), "FROM base AS child", "{code}");
        assert_eq!(d.trigger.map(|t| slice(&a, t)), Some(format!("COPY --from={from} /x /x").as_str()), "{code}");
        assert_eq!(a.build_error().and_then(|e| e.range).map(|r| slice(&a, r)), Some("FROM base AS child"));
    }
}

#[test]
fn long_words_are_cut_in_messages_for_people() {
    use stagecraft_analysis::queries::shortened;
    assert!(matches!(shortened("invalid port: \"80/x\""), std::borrow::Cow::Borrowed(_)));
    // 200 characters stay; 201 are cut to the first 120 and the last 40, blanks kept as written.
    let edge = "é".repeat(200);
    assert_eq!(shortened(&format!("a  {edge}\tb")), format!("a  {edge}\tb"));
    let long = format!("\"80/{}z\":", "x".repeat(15_000));
    let cut = shortened(&format!("invalid port: {long} invalid proto\n{long}")).into_owned();
    let word = format!("\"80/{}…{}z\":", "x".repeat(116), "x".repeat(37));
    assert_eq!(cut, format!("invalid port: {word} invalid proto\n{word}"));
    // Characters, not bytes: a cut never splits one.
    let wide = shortened(&"日".repeat(300)).into_owned();
    assert_eq!(wide.chars().count(), 161);
}

/// Build args no `ARG` reads (BuildKit ignores them without a word): with the closest key that
/// one does; an ARG in a stage or in an ONBUILD trigger reads one, and the proxy variables,
/// `BUILDKIT_*` and `SOURCE_DATE_EPOCH` are BuildKit's own.
#[test]
fn build_args_no_arg_reads_are_listed_with_the_closest_key() {
    let text = "ARG BASE=alpine\nFROM $BASE\nARG VERSION\nONBUILD ARG LATER\n";
    let args = [
        "BASEE",
        "VERSION",
        "LATER",
        "http_proxy",
        "BUILDKIT_INLINE_CACHE",
        "SOURCE_DATE_EPOCH",
        "base",
        "Other",
        "Http_Proxy",
    ];
    let options =
        Options { build_args: args.iter().map(|k| (k.to_string(), "1".to_string())).collect(), ..Options::default() };
    let unread = analyze(text, &options).unread_build_args(&options.build_args);
    assert_eq!(
        unread,
        [
            ("BASEE".to_string(), Some("BASE".to_string())),
            ("base".into(), Some("BASE".into())),
            ("Other".into(), None),
            // (BuildKit's proxy ARGs are in upper or lower case only.)
            ("Http_Proxy".into(), None),
        ]
    );
    // An automatic platform ARG is read where a FROM names it (a build arg replaces BuildKit's
    // value there), without an ARG; not where none does.
    let text = "ARG IMG=debian:${TARGETOSVERSION}\nFROM --platform=$BUILDPLATFORM golang AS build\nFROM alpine:${TARGETARCH}\nFROM $MYTARGETOS\n";
    let args = ["TARGETPLATFORM", "BUILDPLATFORM", "TARGETARCH", "TARGETOS", "TARGETOSVERSION"];
    let options =
        Options { build_args: args.iter().map(|k| (k.to_string(), "1".to_string())).collect(), ..Options::default() };
    let unread: Vec<String> =
        analyze(text, &options).unread_build_args(&options.build_args).into_iter().map(|u| u.0).collect();
    assert_eq!(unread, ["TARGETPLATFORM", "TARGETOS"]);
}

/// A line BuildKit cannot read: its scanner stops there, and its error names the line before
/// (the last it read), or says the file has no instructions where none was read before it (one
/// the line continues counts: BuildKit adds it), or, in a heredoc's body, that the heredoc is
/// not closed (from the instruction's line).
#[test]
fn an_over_long_line_fails_as_buildkits_scanner_does() {
    let long = "x".repeat(70_000);
    let cases = [
        (format!("FROM alpine\nRUN {long}\n"), "dockerfile line greater than max allowed size of 65535: line 2 ", 1),
        (format!("FROM alpine:{long}\nRUN true\n"), "file with no instructions: line 1 ", 0),
        (
            format!("# c\nFROM alpine \\\n{long}\nRUN true\n"),
            "dockerfile line greater than max allowed size of 65535: line 3 ",
            2,
        ),
    ];
    for (text, message, line) in cases {
        let a = plain(&text);
        let e = a.build_error().expect("the build fails");
        assert!(e.message.starts_with(message), "{}", e.message);
        assert_eq!(a.build_error_lines(), [(line, line)], "{message}");
    }
    let a = plain(&format!("FROM alpine\nRUN <<EOF\nx\n{long}\nEOF\n"));
    let e = a.build_error().expect("the build fails");
    assert!(e.message.starts_with("unterminated heredoc: line 4 "), "{}", e.message);
    assert_eq!(a.build_error_lines(), [(2, 2), (3, 3)]);
}

/// An instruction BuildKit cannot read names all its lines, also where the word or flag at
/// fault is on a continuation line: its parser's `withLocation(err, startLine, currentLine)`,
/// and `instructions.Parse`'s `WithLocation(err, node.Location())`. (The diagnostic stays at the
/// word or flag.)
#[cfg(feature = "build-failures")]
#[test]
fn an_instruction_that_fails_names_all_its_lines() {
    let cases = [
        ("FROM alpine\nRUN --mount=type=cache,target=/x \\\n    --network=bogus \\\n    true\n", "--network=bogus", 3),
        ("FROM alpine\nCOPY \\\n  --bogus \\\n  a /b\n", "--bogus", 3),
        ("FROM alpine\nONBUILD \\\n  FROM x\n", "", 2),
        // (The parser's own error: ENV's pairs.)
        ("FROM alpine\nENV A=1 \\\n  B\nRUN true\n", "B", 2),
    ];
    for (text, at, count) in cases {
        let a = plain(text);
        let e = a.build_error().expect("the build fails");
        let want: Vec<(u32, u32)> = (2..2 + count).map(|l| (l, l)).collect();
        assert_eq!(a.build_error_lines(), want, "{text:?}: {}", e.message);
        if !at.is_empty() {
            let d = a.diagnostics().iter().find(|d| d.severity == Severity::Error).unwrap();
            assert_eq!(slice(&a, d.range), at, "{text:?}: the diagnostic is at the word or flag");
        }
    }
}

/// A carriage return with no line feed after it is no line break to BuildKit (Go's
/// `bufio.ScanLines` breaks at line feeds): the text on both sides is one instruction, where an
/// editor shows two lines. Said once, at the first, with how many more there are.
#[cfg(feature = "build-failures")]
#[test]
fn a_lone_carriage_return_is_said_once() {
    let text = "FROM alpine\nRUN echo a\rRUN echo b\rRUN echo c\n";
    let a = plain(text);
    assert_eq!(codes(&a), ["lone-carriage-return"]);
    let d = diag(&a, "lone-carriage-return");
    assert_eq!((d.range.start(), &text[d.range]), (22.into(), "\r"));
    assert!(d.message.contains("(the file has one more) is no line break to BuildKit"), "{}", d.message);
    // BuildKit's parse agrees: one RUN.
    let dump = stagecraft_syntax::dump::buildkit(&a.parse().tree());
    assert_eq!(dump.matches("(run ").count(), 1, "{dump}");
    // Line endings of CR LF and LF are line breaks.
    assert!(codes(&plain("FROM alpine\r\nRUN true\r\n")).is_empty());
    // So is one that ends the file (`ScanLines` drops it there).
    assert!(codes(&plain("FROM alpine\nRUN true\r")).is_empty());
    assert!(codes(&plain("FROM alpine\nRUN true\r\rRUN x\r")).contains(&"lone-carriage-return"));
}

/// (Native builds: the browser's graph keeps an edge per trigger, and draws them as one.)
#[cfg(feature = "large-files")]
#[test]
fn inherited_triggers_that_use_one_source_alike_are_one_edge() {
    // Two triggers copying from `b`, one mounting it, two copying from an image, alternating
    // (the review: only neighbours were merged): at `c`'s FROM, one edge of each source and
    // kind; `b`'s own COPYs from `a` stay one edge each.
    let a = plain(
        "FROM alpine AS a\nFROM alpine AS b\nCOPY --from=a /x /x\nCOPY --from=a /y /y\n\
         ONBUILD COPY --from=b /1 /1\nONBUILD COPY --from=busybox /3 /3\n\
         ONBUILD RUN --mount=from=b,target=/m true\nONBUILD COPY --from=busybox /4 /4\n\
         ONBUILD COPY --from=b /2 /2\nFROM b AS c\n",
    );
    let g = a.graph();
    let edges = |stage: usize| {
        let mut v: Vec<(String, &str)> = g
            .edges
            .iter()
            .filter(|e| e.stage == stage)
            .map(|e| (format!("{:?}", g.nodes[e.source]), e.kind.as_str()))
            .collect();
        v.sort();
        v
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        edges(2),
        [(s("Image(\"busybox\")"), "onbuild"), (s("Stage(1)"), "from"), (s("Stage(1)"), "onbuild")],
        "the two copies and the mount from `b` are one edge (the engine reads a trigger's mount as an onbuild use too)"
    );
    assert_eq!(edges(1), [(s("Image(\"alpine\")"), "from"), (s("Stage(0)"), "copy"), (s("Stage(0)"), "copy")]);
    assert_eq!(a.references().iter().filter(|r| matches!(r.origin, RefOrigin::Inherited { .. })).count(), 5);
}

/// BuildKit's words for these failures do not say what to do, or point at the whole instruction
/// (QA, stop 55): the message keeps them and adds it (native builds).
#[test]
fn failures_say_what_to_do() {
    let one = |text: &str, code: &str| {
        let a = plain(&format!("FROM alpine\n{text}\n"));
        let found = findings(&a, code);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        let (at, _, message) = found[0];
        (at.to_string(), message.to_string())
    };
    let (_, m) = one("ARG X=${Y", "invalid-expansion");
    assert_eq!(
        m,
        "failed to process \"${Y\": unsupported modifier (\u{FFFD}) in substitution; a `${` is not closed: end the variable's name with `}`"
    );
    let (_, m) = one("ENV A=${B!x}", "invalid-expansion");
    assert!(m.starts_with("failed to process \"${B!x}\": unsupported modifier (!) in substitution; after `${NAME` comes `}` or a modifier: `:-`"), "{m}");
    assert!(one("LABEL a=${}", "invalid-expansion")
        .1
        .ends_with("bad substitution; write a variable's name after `${`"));
    assert!(one("ENV A=${B:-x", "invalid-expansion").1.ends_with("missing '}'"), "clear as it is");
    let (at, m) = one("HEALTHCHECK --timeout=1s --interval=abc CMD x", "invalid-instruction");
    assert_eq!(at, "--interval=abc");
    assert_eq!(m, "time: invalid duration \"abc\"; --interval takes a duration such as `30s`, `1m30s` or `500ms`");
    let (at, m) = one("HEALTHCHECK --retries=x CMD x", "invalid-instruction");
    assert_eq!(
        (at.as_str(), m.as_str()),
        ("--retries=x", "strconv.ParseInt: parsing \"x\": invalid syntax; --retries takes a whole number, such as `3`")
    );
    let (_, m) = one("RUN --mount=type=bogus,target=/x true", "invalid-mount");
    assert_eq!(m, "unsupported mount type \"bogus\"; write one of bind, cache, tmpfs, secret, ssh");
    let (_, m) = one("RUN --mount=type=cahce,target=/x true", "invalid-mount");
    assert_eq!(m, "unsupported mount type \"cahce\" (did you mean cache?)", "a suggestion instead of the list");
    let (_, m) = one("RUN --mount=type=cache,target=/x, true", "invalid-mount");
    assert_eq!(m, "invalid field '' must be a key=value pair; the value has an empty field: remove the extra comma");
    assert_eq!(
        one("RUN --mount=type=cache,target=/x,bogus true", "invalid-mount").1,
        "invalid field 'bogus' must be a key=value pair"
    );
    // A name that is no image's is not pulled: BuildKit fails on it (an error says so too).
    let a = plain("FROM alpine AS a\nFROM alpine\nCOPY --from=$ /x /y\n");
    assert_eq!(
        findings(&a, "unknown-stage")[0].2,
        "no stage is named `$`, and `$` is no image name either: the build fails on it; did you mean the stage `a`?"
    );
    assert_eq!(findings(&a, "invalid-image-reference").len(), 1);
    // A check value given as a build arg: where it comes from, and how it is written.
    let options =
        Options { build_args: vec![("BUILDKIT_DOCKERFILE_CHECK".into(), "error=maybe".into())], ..Options::default() };
    let a = analyze("FROM alpine\n", &options);
    assert!(diag(&a, "invalid-check-directive").message.ends_with(
        "; the value is the build arg's (given with --build-arg or the editor's buildArgs setting), not this file's: write it as `skip=RuleA,RuleB;error=true`"
    ));
    let a = plain("FROM Base\nFROM alpine AS base\n");
    assert!(findings(&a, "forward-stage-reference")[0].2.contains(
        "so BuildKit reads `Base` as an image's name, which it is not: the build fails on it: move stage `base` above this one"
    ));
    // The stage said by the name BuildKit keeps: "does not match stage `Base`" contradicted itself.
    let a = plain("FROM alpine AS Base\nFROM Base\n");
    assert_eq!(
        findings(&a, "stage-reference-case")[0].2,
        "`FROM Base` does not match stage `base`: stage names are lower-cased, and FROM matches them exactly; write `base`"
    );
    let (_, m) = one("ADD --checksum=bad http://example.com/x /y", "invalid-copy");
    assert!(m.starts_with("invalid checksum digest format; write a digest such as `sha256:`"), "{m}");
}
