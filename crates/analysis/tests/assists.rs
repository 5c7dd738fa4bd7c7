//! The rewrites offered at a place (`Analysis::assists`): naming a stage referred to by index,
//! and using a stage's name where an index refers to it. Each must leave the build as it was:
//! checked on small files, and on every corpus stage without a name and every index reference.

use stagecraft_analysis::assists::Assist;
use stagecraft_analysis::{analyze, Analysis, Options, RefOrigin, RefTarget, TextEdit, TextRange, TextSize};
use stagecraft_testkit::corpus_texts;

fn plain(text: &str) -> Analysis {
    analyze(text, &Options::default())
}

/// The text with the assist's edits applied.
fn apply(text: &str, assist: &Assist) -> String {
    TextEdit::apply_all(text, &assist.edits)
}

/// The assists at the first occurrence of `marker`'s text in `text`, plus `delta` bytes.
fn at(text: &str, marker: &str, delta: usize) -> Vec<Assist> {
    let offset = text.find(marker).unwrap_or_else(|| panic!("{marker:?} not in {text:?}")) + delta;
    plain(text).assists(TextRange::empty(TextSize::new(offset as u32)))
}

#[test]
fn an_unnamed_stage_gets_a_name_from_its_image_and_its_index_references_use_it() {
    // (A mount's `from=0` names an image: BuildKit looks mounts up by name only.)
    let text = "FROM --platform=$BUILDPLATFORM golang:1.22 \nRUN go build\nFROM alpine\nCOPY --from=0 /app /app\nRUN --mount=type=cache,from=0,target=/c true\nCOPY --from=0 /b /b\n";
    let assists = at(text, "golang", 2);
    assert_eq!(assists.len(), 1, "{assists:?}");
    assert_eq!(
        assists[0].title,
        "Name stage 0 `golang`, and use the name in the 2 places this file's stages refer to it by index"
    );
    assert_eq!(
        apply(text, &assists[0]),
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS golang \nRUN go build\nFROM alpine\nCOPY --from=golang /app /app\nRUN --mount=type=cache,from=0,target=/c true\nCOPY --from=golang /b /b\n"
    );
    // The same from an index reference to it.
    assert_eq!(at(text, "--from=0", 7), assists);
    // A lower-case `from` gets a lower-case `as` (FromAsCasing).
    let lower = "from golang:1.22\nfrom alpine\ncopy --from=0 /a /b\n";
    assert_eq!(
        apply(lower, &at(lower, "golang", 0)[0]),
        "from golang:1.22 as golang\nfrom alpine\ncopy --from=golang /a /b\n"
    );
}

#[test]
fn the_name_avoids_stages_images_and_variable_bases_it_would_bind() {
    // `build` is taken; `alpine` is used as an image later (`FROM alpine` would take the stage)
    // and earlier (it would read as a stage used before its definition).
    let text = "FROM golang AS golang\nFROM alpine\nFROM golang AS build\nFROM alpine\nCOPY --from=1 /a /b\n";
    let a = &at(text, "--from=1", 7)[0];
    assert!(a.title.starts_with("Name stage 1 `alpine-2`"), "{}", a.title);
    // `tools` is taken, and a later `FROM tools-${V}` may name `tools-2` and on with some build
    // arg: a name of another shape.
    let text = "FROM img/tools:1\nFROM alpine AS tools\nFROM tools-${V}\nCOPY --from=0 /a /b\n";
    let a = &at(text, "img/tools", 0)[0];
    assert!(a.title.starts_with("Name stage 0 `build`"), "{}", a.title);
    // With any build arg, the later base takes what it took before: an image, or `tools`.
    let named = apply(text, a);
    for v in ["2", "x", "build"] {
        let options = Options { build_args: vec![("V".into(), v.into())], ..Options::default() };
        let (before, after) = (analyze(text, &options), analyze(&named, &options));
        assert_eq!(after.stages()[2].base_kind, before.stages()[2].base_kind, "V={v}");
    }
    // Nothing a name can start with: `stage`; `scratch` is reserved.
    assert!(at("FROM scratch\nFROM alpine\nCOPY --from=0 / /\n", "scratch", 0)[0]
        .title
        .starts_with("Name stage 0 `scratch-2`"));
    assert!(at("FROM 0ab:1\nFROM alpine\n", "0ab", 0)[0].title.starts_with("Name stage 0 `ab`"));
}

/// What review found: a quoted flag's range takes in the quote; a comment above the FROM would
/// become an invalid description under the experimental rule; `+0` is index 0; the escape
/// character is the file's; a stage with no index reference gets a plain title.
#[test]
fn assists_leave_alone_what_they_would_break() {
    // `--"from=0"`: the reference's range holds the closing quote; not rewritten.
    let text = "FROM golang\nFROM alpine\nCOPY --\"from=0\" /a /b\nCOPY --from=+0 /c /d\n";
    let a = &at(text, "golang", 0)[0];
    assert_eq!(
        apply(text, a),
        "FROM golang AS golang\nFROM alpine\nCOPY --\"from=0\" /a /b\nCOPY --from=golang /c /d\n"
    );
    // A comment right above the FROM, with InvalidDefinitionDescription on: no name offered.
    let text = "# check=experimental=InvalidDefinitionDescription\n\n# the compiler\nFROM golang\nFROM alpine\nCOPY --from=0 / /\n";
    assert!(at(text, "golang", 0).is_empty());
    assert!(!at(&text.replace("# check=experimental=InvalidDefinitionDescription\n", ""), "golang", 0).is_empty());
    // A continuation after the base, with the file's escape character.
    let text = "# escape=`\nFROM golang `\n";
    assert_eq!(apply(text, &at(text, "golang", 0)[0]), "# escape=`\nFROM golang AS golang `\n");
    // (With `\` the escape, the backtick is a second word: no name can follow.)
    assert!(at("FROM golang `\n", "golang", 0).is_empty());
    // No index reference: the title says only the name. A stage's own base image may share it.
    let assists = at("FROM node\nFROM alpine\n", "node", 0);
    assert_eq!(assists[0].title, "Name stage 0 `node`");
    // The default target of a file that reads `TARGETSTAGE` (its name, else `default`): a name
    // would change what the build writes. Other stages may still get one.
    let text = "FROM node\nFROM alpine\nARG TARGETSTAGE\nRUN echo $TARGETSTAGE > /stage\n";
    assert!(at(text, "alpine", 0).is_empty());
    assert!(!at(text, "node", 0).is_empty());
    assert!(!at("FROM node\nFROM alpine\n", "alpine", 0).is_empty());
}

#[test]
fn an_index_reference_to_a_named_stage_uses_the_name() {
    let text = "FROM golang AS build\nFROM alpine\nCOPY --from=0 /a /b\n";
    let assists = at(text, "--from=0", 7);
    assert_eq!(assists.len(), 1);
    assert_eq!(assists[0].title, "Use the name `build` of stage 0");
    assert_eq!(apply(text, &assists[0]), "FROM golang AS build\nFROM alpine\nCOPY --from=build /a /b\n");
    // Not when a later stage takes the name (the name would reach that one).
    let text = "FROM golang AS build\nFROM alpine\nCOPY --from=0 /a /b\nFROM alpine AS build\n";
    assert!(at(text, "--from=0", 7).is_empty());
    // Not on a named stage's FROM, an image reference, or an index in an ONBUILD trigger.
    assert!(at(text, "golang", 0).is_empty());
    assert!(at("FROM a\nCOPY --from=nginx / /\n", "nginx", 0).is_empty());
    assert!(at("FROM golang AS b\nONBUILD COPY --from=0 / /\n", "--from=0", 7).is_empty());
}

/// Every stage without a name in the corpus, and every index reference, rewritten: the stage
/// graph, what each reference resolves to and the findings (by code and line) stay as they were.
#[test]
fn assists_keep_the_build_over_the_corpus() {
    let files = corpus_texts();
    let (mut applied, mut failures) = (0, Vec::new());
    let resolved = |a: &Analysis| -> Vec<(u32, Option<usize>)> {
        a.references()
            .iter()
            .map(|r| (r.line, if let RefTarget::Stage(t) = r.target { Some(t) } else { None }))
            .collect()
    };
    let edges = |a: &Analysis| -> Vec<String> {
        a.graph().edges.iter().map(|e| format!("{} -> {} {:?}", e.source, e.stage, e.kind)).collect()
    };
    let findings = |a: &Analysis| -> Vec<(String, u32)> {
        let mut v: Vec<(String, u32)> = a.diagnostics().iter().map(|d| (d.code.clone(), d.lines.0)).collect();
        v.sort();
        v
    };
    for (name, text) in &files {
        let a = plain(text);
        let mut offsets: Vec<TextSize> = a
            .stages()
            .iter()
            .filter(|s| s.name_range.is_none())
            .filter_map(|s| s.base_range.map(|r| r.start()))
            .collect();
        offsets.extend(a.references().iter().filter(|r| r.value.parse::<usize>().is_ok()).map(|r| r.range.start()));
        for offset in offsets {
            for assist in a.assists(TextRange::empty(offset)) {
                let b = plain(&apply(text, &assist));
                applied += 1;
                // Every index reference it names is rewritten.
                let named: Vec<usize> = b.stages().iter().filter(|s| s.name.is_some()).map(|s| s.index).collect();
                let by_index = b.references().iter().any(|r| {
                    r.origin == RefOrigin::Direct
                        && r.value.parse::<usize>().is_ok()
                        && matches!(r.target, RefTarget::Stage(t) if named.contains(&t) && a.stages()[t].name.is_none())
                        && b.text()[r.range] == r.value
                });
                let same = !by_index
                    && a.stages().len() == b.stages().len()
                    && edges(&a) == edges(&b)
                    && resolved(&a) == resolved(&b)
                    && findings(&a) == findings(&b);
                if !same {
                    failures.push(format!("{name}: {}", assist.title));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {applied} assists changed the build:\n{}", failures.len(), failures.join("\n"));
    assert!(applied > 100, "{applied}");
}
