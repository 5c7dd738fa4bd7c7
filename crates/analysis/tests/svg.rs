//! The stage graph as SVG: geometry (no overlapping boxes, labels inside), well-formed and
//! deterministic output over the whole corpus, the class contract the front ends rely on, and
//! a snapshot of the shipped example.

use std::path::Path;

use stagecraft_analysis::{analyze, Analysis, Options, SvgOptions};
use stagecraft_testkit::{check_snapshot, read, workspace_root};

/// A minimal well-formedness check: tags balance, attributes are quoted, no stray `<` or `&`.
fn check_xml(svg: &str) -> Result<(), String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if text.contains('<')
            || text
                .replace("&amp;", "")
                .replace("&lt;", "")
                .replace("&gt;", "")
                .replace("&quot;", "")
                .replace("&apos;", "")
                .contains('&')
        {
            return Err(format!("bad text {text:?}"));
        }
        rest = &rest[open..];
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").ok_or("unterminated CDATA")?;
            rest = &cdata[end + 3..];
            continue;
        }
        let close = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name = tag.split([' ', '/']).next().unwrap_or("");
        if tag[name.len()..].matches('"').count() % 2 != 0 || tag.contains('<') {
            return Err(format!("bad tag <{tag}>"));
        }
        if !self_closing {
            stack.push(name);
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed {stack:?}"))
    }
}

fn check_drawing(name: &str, a: &Analysis, target: Option<usize>) -> Result<(), String> {
    let options = SvgOptions { target, offset: None };
    let r = a.render_svg(&options).expect("drawn");
    check_xml(&r.svg).map_err(|e| format!("{name}: not well-formed: {e}"))?;
    for i in 0..r.boxes.len() {
        for j in i + 1..r.boxes.len() {
            if r.boxes[i].overlaps(&r.boxes[j]) {
                return Err(format!("{name}: boxes {i} and {j} overlap: {:?} {:?}", r.boxes[i], r.boxes[j]));
            }
        }
        let b = &r.boxes[i];
        if b.x < 0.0 || b.y < 0.0 || b.x + b.width > r.size.0 + 0.01 || b.y + b.height > r.size.1 + 0.01 {
            return Err(format!("{name}: box {i} outside the drawing: {b:?} in {:?}", r.size));
        }
    }
    let stage_nodes = r.svg.matches("<g class=\"node stage").count();
    if stage_nodes != a.stages().len() {
        return Err(format!("{name}: {stage_nodes} stage nodes for {} stages", a.stages().len()));
    }
    for s in a.stages() {
        if !r.svg.contains(&format!("data-stage=\"{}\" data-from=\"{}\"", s.index, u32::from(s.from_range.start()))) {
            return Err(format!("{name}: no node for stage {}", s.index));
        }
    }
    if a.to_svg(&options).expect("drawn") != r.svg {
        return Err(format!("{name}: two renderings differ"));
    }
    Ok(())
}

#[test]
fn every_corpus_file_draws_well() {
    let files = stagecraft_testkit::corpus_texts();
    assert!(files.len() > 200, "the corpus is missing");
    let mut failures = Vec::new();
    let mut drawn = 0;
    for (name, text) in &files {
        let a = analyze(text, &Options::default());
        let mut targets = vec![None];
        // Every target of small files, a few of large ones.
        targets.extend(a.targets().iter().take(6).map(|t| Some(t.stage)));
        for t in targets {
            drawn += 1;
            if let Err(e) = check_drawing(name, &a, t) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{} of {drawn} drawings fail:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn classes_follow_the_target() {
    let text = read(&workspace_root().join("examples/multistage.Dockerfile"));
    let a = analyze(&text, &Options::default());
    let stage = |name: &str| a.find_target(name).unwrap();
    let node_class = |svg: &str, s: usize| -> String {
        let at = svg.find(&format!("data-stage=\"{s}\" data-from")).unwrap();
        let start = svg[..at].rfind("<g class=\"").unwrap() + "<g class=\"".len();
        svg[start..].split('"').next().unwrap().to_string()
    };
    // Default target: release builds base, build, certs; test and docs are unused and dimmed.
    let svg = a.to_svg(&SvgOptions::default()).expect("drawn");
    assert_eq!(node_class(&svg, stage("release")), "node stage default-target target in-plan");
    assert_eq!(node_class(&svg, stage("build")), "node stage in-plan");
    assert_eq!(node_class(&svg, stage("test")), "node stage legacy-only dimmed unused");
    assert!(svg.contains("<g class=\"node image dimmed\" data-image=\"node:22-alpine\">"), "{svg}");
    // --target test: BuildKit builds base and test; the legacy builder would also build build.
    let svg = a.to_svg(&SvgOptions { target: Some(stage("test")), offset: None }).expect("drawn");
    assert_eq!(node_class(&svg, stage("test")), "node stage target in-plan unused");
    assert_eq!(node_class(&svg, stage("base")), "node stage in-plan");
    assert_eq!(node_class(&svg, stage("build")), "node stage legacy-only dimmed");
    assert_eq!(node_class(&svg, stage("docs")), "node stage dimmed unused");
    assert_eq!(node_class(&svg, stage("release")), "node stage default-target dimmed");
    assert!(svg.contains("<g class=\"edge edge-copy dimmed\""));
    assert!(
        svg.contains("<g class=\"edge edge-from\" data-source-node=\"0\" data-stage=\"2\""),
        "base -> test is in the plan"
    );
    assert!(svg.contains(">legacy builder only</text>"));
    // Legend swatches do not carry graph classes.
    assert_eq!(svg.matches("class=\"node stage").count(), 6);
    assert!(!svg.contains("swatch stage"), "{svg}");
    // A custom offset encoding is used for data-from.
    let svg = a.to_svg(&SvgOptions { target: None, offset: Some(&|o| u32::from(o) + 1000) }).expect("drawn");
    let from = a.stages()[0].from_range.start();
    assert!(svg.contains(&format!("data-from=\"{}\"", u32::from(from) + 1000)));
}

#[test]
fn hostile_names_are_escaped() {
    let a = analyze("FROM \"a<b>&c\" AS x\nFROM x AS y\nCOPY --from=\"q&<z>\" / /\n", &Options::default());
    let svg = a.to_svg(&SvgOptions::default()).expect("drawn");
    check_xml(&svg).unwrap();
    assert!(!svg.contains("<b>"));
}

#[test]
fn edges_of_one_kind_between_two_stages_are_drawn_once() {
    // b is built on a, copies from it twice and mounts it: three kinds, three edges side by side;
    // the two copies are one edge whose title lists both lines.
    // (Two mounts of one RUN stand on one line: listed once.)
    let text = "FROM alpine AS a\nFROM a AS b\nCOPY --from=a /x /x\nCOPY --from=a /y /y\nRUN --mount=from=a,target=/m --mount=from=a,target=/n true\n";
    let svg = analyze(text, &Options::default()).to_svg(&SvgOptions::default()).expect("drawn");
    check_xml(&svg).unwrap();
    let edges: Vec<&str> =
        svg.split("<g class=\"edge ").skip(1).filter(|e| e.contains("data-source-node=\"0\"")).collect();
    assert_eq!(edges.len(), 3, "{svg}");
    assert!(edges.iter().any(|e| e.contains("<title>COPY --from a → b (lines 3, 4)</title>")), "{edges:#?}");
    assert!(edges.iter().any(|e| e.contains("<title>RUN --mount from a → b (line 5)</title>")), "{edges:#?}");
    // Many references: ten lines listed, and how many more.
    let text = format!("FROM alpine AS a\nFROM alpine AS b\n{}", "COPY --from=a /x /x\n".repeat(25));
    let svg = analyze(&text, &Options::default()).to_svg(&SvgOptions::default()).expect("drawn");
    assert!(
        svg.contains("<title>COPY --from a → b (lines 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 and 15 more)</title>"),
        "{svg}"
    );
    // Each on a line of its own.
    let lines: Vec<&str> =
        edges.iter().map(|e| e.split("<path class=\"line\" d=\"").nth(1).unwrap().split('"').next().unwrap()).collect();
    assert!(lines[0] != lines[1] && lines[1] != lines[2] && lines[0] != lines[2], "{lines:?}");
}

#[test]
fn edges_to_a_stage_not_yet_defined_are_marked() {
    // a copies from b (defined after it) and mounts itself: BuildKit fails at both; b copies
    // from a, as it may. The cycle a → b → a is drawn with its failing edge marked.
    let text = "FROM alpine AS a\nCOPY --from=b /x /x\nRUN --mount=from=a,target=/m true\nFROM alpine AS b\nCOPY --from=a /y /y\n";
    let a = analyze(text, &Options::default());
    let svg = a.to_svg(&SvgOptions::default()).expect("drawn");
    check_xml(&svg).unwrap();
    let edge = |source: usize, stage: usize| {
        let head = format!("data-source-node=\"{source}\" data-stage=\"{stage}\"");
        svg.split("<g class=\"").find(|g| g.contains(&head)).map(|g| g.split('"').next().unwrap().to_string())
    };
    assert_eq!(edge(1, 0).as_deref(), Some("edge edge-copy forward"), "{svg}");
    assert_eq!(edge(0, 1).as_deref(), Some("edge edge-copy"), "{svg}");
    assert!(
        svg.contains(".stagecraft-graph .forward,.stagecraft-graph .sw-forward{color:"),
        "the style sheet draws them"
    );
    // The legend names them, in their colour.
    assert!(
        svg.contains("<g class=\"swatch-edge sw-forward\">") && svg.contains(">a later stage or itself: fails</text>"),
        "{svg}"
    );
    // DOT marks the same edges.
    let dot = a.to_dot();
    assert!(dot.contains("n1 -> n0 [style=dashed, label=\"COPY\", color=red];"), "{dot}");
    assert!(dot.contains("n0 -> n1 [style=dashed, label=\"COPY\"];"), "{dot}");
    // And the model says which they are: the forward copy and the self-mount.
    let g = a.graph();
    let forward: Vec<(usize, usize)> =
        g.edges.iter().filter(|e| a.is_forward(e)).map(|e| (e.source, e.stage)).collect();
    assert_eq!(forward, [(1, 0), (0, 0)], "{:?}", g.edges);
    // A stage that a named build context replaces is no step of the build: copying from it
    // before its FROM builds, and the edge is not marked.
    let text = "FROM alpine AS a\nCOPY --from=b /x /y\nFROM busybox AS b\n";
    let options = Options { named_contexts: vec!["b".into()], ..Options::default() };
    let a = analyze(text, &options);
    assert!(a.build_error().is_none(), "{:?}", a.build_error());
    let g = a.graph();
    assert!(g.edges.iter().any(|e| e.source == 1 && e.stage == 0), "{:?}", g.edges);
    assert!(!g.edges.iter().any(|e| a.is_forward(e)), "{:?}", g.edges);
    let svg = a.to_svg(&SvgOptions::default()).expect("drawn");
    assert!(!svg.contains(" forward\"") && !svg.contains("sw-forward\""), "no red edge, no legend entry: {svg}");
    assert!(!a.to_dot().contains("color=red"));
    // Without it, the same file fails there.
    let a = analyze(text, &Options::default());
    assert!(a.build_error().is_some_and(|e| e.message.starts_with("cannot copy from stage \"b\"")));
    assert!(a.graph().edges.iter().any(|e| a.is_forward(e)));
}

/// A trigger inherited from the base that copies or mounts from the stage running it builds:
/// BuildKit marks a stage dispatched before its commands (the triggers among them) run. The
/// edge is drawn, not red; the plan puts the stage in a wave, not on a cycle. Written in the
/// stage itself, the same copy is a cycle.
#[test]
fn a_trigger_using_the_stage_that_runs_it_is_no_cycle() {
    for trigger in ["COPY --from=app /a /b", "RUN --mount=from=app,target=/x true"] {
        let text = format!("FROM alpine AS base\nONBUILD {trigger}\nFROM base AS app\nRUN true\n");
        let a = analyze(&text, &Options::default());
        assert!(a.build_error().is_none(), "{:?}", a.build_error());
        let g = a.graph();
        let edge = g.edges.iter().find(|e| e.source == 1 && e.stage == 1).expect("the trigger's edge");
        assert!(!a.is_forward(edge), "{text}");
        assert!(!a.to_dot().contains("color=red"), "{}", a.to_dot());
        let plan = a.plan(1);
        assert_eq!((plan.waves, plan.in_cycle), (vec![vec![0], vec![1]], vec![]), "{text}");
        assert!(a.references().iter().all(|r| !r.forward), "{:?}", a.references());
        let written = analyze(
            &text.replace(&format!("ONBUILD {trigger}\nFROM base AS app\n"), &format!("FROM base AS app\n{trigger}\n")),
            &Options::default(),
        );
        assert!(written.build_error().is_some(), "{text}");
        assert_eq!(written.plan(1).in_cycle, [1]);
    }
}

#[test]
fn no_stages_draws_a_note() {
    let a = analyze("# nothing here\n", &Options::default());
    let svg = a.to_svg(&SvgOptions::default()).expect("drawn");
    check_xml(&svg).unwrap();
    assert!(svg.contains("No stages"));
}

#[test]
fn example_snapshot() {
    let root = workspace_root();
    let text = read(&root.join("examples/multistage.Dockerfile"));
    let a = analyze(&text, &Options::default());
    let mut out = String::new();
    for target in [None, a.find_target("test")] {
        out.push_str(&a.to_svg(&SvgOptions { target, offset: None }).expect("drawn").replace("><", ">\n<"));
        out.push_str("\n\n");
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/multistage.svg.txt");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    check_snapshot(&path, &out).unwrap();
}
