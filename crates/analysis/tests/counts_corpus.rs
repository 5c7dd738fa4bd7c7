//! The one-pass summaries (`target_build_counts`, `target_legacy_count`, `plans_listed`,
//! `reference_counts`, `is_unused`, `targets`) agree with the per-stage queries they stand in
//! for, on every corpus file and on files made to stress them (repeated names, a stage used from
//! many places, a long chain).

use stagecraft_analysis::{analyze, Analysis, GraphNode, LegacyNote, Options};
use stagecraft_testkit::{parser_cases, read, real_world_files};

/// `targets()` as first written: walk the stages, a repeated name replacing the earlier entry.
fn targets_naive(a: &Analysis) -> Vec<(usize, Option<String>, bool)> {
    let mut out: Vec<(usize, Option<String>, bool)> = Vec::new();
    for s in a.stages() {
        let is_default = Some(s.index) == a.default_target();
        if s.name.is_some() || is_default {
            if let Some(name) = &s.name {
                out.retain(|t| t.1.as_ref() != Some(name));
            }
            out.push((s.index, s.name.clone(), is_default));
        }
    }
    out
}

fn check(name: &str, a: &Analysis) {
    let builds = a.target_build_counts();
    let refs = a.reference_counts();
    assert_eq!(builds.len(), a.stages().len(), "{name}");
    assert_eq!(refs.len(), a.stages().len(), "{name}");
    for s in 0..a.stages().len() {
        assert_eq!(builds[s], a.target_builds(s).len(), "{name}: stage {s} build count");
        let plan = a.plan(s);
        assert_eq!(a.target_legacy_count(s), plan.legacy_stages.len(), "{name}: stage {s} legacy count");
        // (The stages on or after a cycle are listed once more too, in `in_cycle`.)
        let listed = plan.stages.len()
            + plan.waves.iter().map(Vec::len).sum::<usize>()
            + plan.in_cycle.len()
            + plan.legacy_stages.len();
        assert_eq!(a.plans_listed([s]), listed, "{name}: stage {s} plan entries");
        let uses = a.occurrences(s).iter().filter(|o| !o.is_definition).count();
        assert_eq!(refs[s], uses, "{name}: stage {s} reference count");
        assert_eq!(a.is_unused(s), a.unused_stages().contains(&s), "{name}: stage {s} unused");
    }
    let targets: Vec<_> = a.targets().into_iter().map(|t| (t.stage, t.name, t.is_default)).collect();
    assert_eq!(targets, targets_naive(a), "{name}: targets");
    // Each image or scratch is one node of the graph, however many edges leave it.
    let externals: Vec<&GraphNode> = a.graph().nodes.iter().filter(|n| !matches!(n, GraphNode::Stage(_))).collect();
    for (i, n) in externals.iter().enumerate() {
        assert!(!externals[..i].contains(n), "{name}: graph node {n:?} twice");
    }
}

/// Each target's legacy-builder failure found with every target's at once (the language
/// server's target list) is the one found for it alone (`stagecraft plan --legacy`). Returns what
/// BuildKit does where each failing build fails.
fn check_legacy(name: &str, a: &Analysis) -> Vec<LegacyNote> {
    let builds: Vec<(usize, &[usize])> =
        (0..a.stages().len()).map(|s| (a.target_legacy_count(s), a.target_builds(s))).collect();
    let together = a.legacy_failures(&builds);
    assert_eq!(together.len(), builds.len(), "{name}");
    for (s, (build, found)) in builds.iter().zip(&together).enumerate() {
        assert_eq!(*found, a.legacy_failure(build.0, build.1), "{name}: stage {s}");
    }
    together.iter().flatten().map(|f| f.note).collect()
}

#[test]
fn summaries_agree_with_queries_on_the_corpus() {
    let mut files = 0;
    let mut legacy_fails = 0;
    for path in real_world_files() {
        let a = analyze(&read(&path), &Options::default());
        check(&path.display().to_string(), &a);
        legacy_fails += check_legacy(&path.display().to_string(), &a).len();
        files += 1;
    }
    for case in parser_cases() {
        let a = analyze(&read(&case.dockerfile), &Options::default());
        check(&case.name, &a);
        legacy_fails += check_legacy(&case.name, &a).len();
        files += 1;
    }
    assert!(files > 100, "only {files} files");
    // (Builds the legacy builder fails were there to compare.)
    assert!(legacy_fails > 100, "{legacy_fails}");
}

#[test]
fn summaries_agree_on_stress_shapes() {
    let mut text = String::from("FROM alpine AS base\nFROM base AS dup\nFROM alpine AS dup\n");
    // A chain, each stage copying from the one two before and mounting the base.
    for i in 0..60 {
        let prev = if i == 0 { "base".to_string() } else { format!("c{}", i - 1) };
        text.push_str(&format!("FROM {prev} AS c{i}\n"));
        if i >= 2 {
            text.push_str(&format!("COPY --from=c{} /a /a\n", i - 2));
        }
        text.push_str("RUN --mount=type=cache,from=base,target=/x true\n");
        text.push_str("COPY --from=nginx:latest /b /b\nCOPY --from=1 /c /c\n");
    }
    // A repeated name between others, and an unnamed last stage using everything.
    text.push_str("FROM alpine AS dup\nFROM scratch\nCOPY --from=dup / /\nCOPY --from=c59 / /\n");
    let a = analyze(&text, &Options::default());
    check("stress", &a);
    // The shapes are there to be checked: the chain builds all its links, `base` is used a lot,
    // and the repeated name is listed once, as its last definition.
    let c59 = a.stages().iter().position(|s| s.name.as_deref() == Some("c59")).unwrap();
    assert!(a.target_build_counts()[c59] > 60);
    assert!(a.reference_counts()[0] > 60);
    let dups: Vec<_> = a.targets().into_iter().filter(|t| t.name.as_deref() == Some("dup")).collect();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].stage, a.stages().len() - 2);
}

/// Random stage graphs: mostly one dependency per stage (the count that follows from the
/// dependency's), with forward references, self references and cycles among them (BuildKit
/// fails on those; the counts still say what a walk reaches), checked against the walk. In a
/// third of them named build contexts replace some stages, which are loaded, not built: the
/// counts leave them out.
#[test]
fn build_counts_agree_on_random_graphs() {
    let mut rng = stagecraft_testkit::Rng(0x5eed_c0de);
    let mut built_on_stages = 0;
    let mut on_cycles = 0;
    let mut replaced = 0;
    let mut legacy_notes = Vec::new();
    // Small files, and files past 64 stages: the counts go 64 stages at a time, with cycles
    // (forward references) across those blocks.
    for round in 0..340 {
        let n = if round < 300 { 1 + rng.below(30) } else { 60 + rng.below(200) };
        let mut text = String::new();
        for i in 0..n {
            // Mostly an earlier stage, sometimes a later one or itself (more often in the large
            // files).
            let forward = if round < 300 { 10 } else { 3 };
            let pick = |rng: &mut stagecraft_testkit::Rng| match rng.below(forward) {
                0 => rng.below(n),
                _ => rng.below(i.max(1)),
            };
            // (Now and then a name an earlier stage has, in the small files.)
            let name = match rng.below(if round < 300 { 12 } else { 1 << 30 }) {
                0 if i > 0 => format!("s{}", rng.below(i)),
                _ => format!("s{i}"),
            };
            match rng.below(4) {
                0 => text.push_str(&format!("FROM alpine AS {name}\n")),
                _ => text.push_str(&format!("FROM s{} AS {name}\n", pick(&mut rng))),
            }
            // (And a step that fails to expand, which the legacy builder meets in a stage
            // BuildKit skips.)
            if round < 300 && rng.below(15) == 0 {
                text.push_str("ENV Y=${UNSET:?must be set}\n");
            }
            for _ in 0..rng.below(if round < 300 { 4 } else { 6 }).saturating_sub(2) {
                match rng.below(3) {
                    0 => text.push_str(&format!("COPY --from=s{} / /\n", pick(&mut rng))),
                    1 => text.push_str(&format!("RUN --mount=from=s{},target=/x true\n", pick(&mut rng))),
                    _ => text.push_str(&format!("ONBUILD COPY --from=s{} / /\n", pick(&mut rng))),
                }
            }
        }
        let named_contexts = match round % 3 {
            2 => (0..1 + rng.below(3)).map(|_| format!("s{}", rng.below(n))).collect(),
            _ => Vec::new(),
        };
        let a = analyze(&text, &Options { named_contexts, ..Options::default() });
        if round < 300 {
            legacy_notes.extend(check_legacy(&text, &a));
        }
        let built = |s: usize| a.target_builds(s).iter().filter(|&&t| !a.stages()[t].is_replaced()).count();
        replaced += a.stages().iter().filter(|s| s.is_replaced()).count();
        // Some targets' sets are asked for before the counts (a count then reads its set).
        let asked: Vec<usize> = (0..rng.below(3)).map(|_| rng.below(n)).collect();
        let sets: Vec<usize> = asked.iter().map(|&s| built(s)).collect();
        let counts = a.target_build_counts().to_vec();
        for (&s, &len) in asked.iter().zip(&sets) {
            assert_eq!(counts[s], len, "stage {s} of\n{text}");
        }
        for (s, &count) in counts.iter().enumerate() {
            assert_eq!(count, built(s), "stage {s} of\n{text}");
            let on_stage = matches!(a.stages()[s].base_kind, stagecraft_analysis::BaseKind::Stage(_));
            built_on_stages += usize::from(count > 1 && on_stage);
            // On a cycle with a stage in another block of 64: it builds a later stage that builds it.
            let across = |l: usize| l > s && l / 64 != s / 64 && a.target_builds(l).binary_search(&s).is_ok();
            on_cycles += usize::from(round >= 300 && a.target_builds(s).iter().any(|&l| across(l)));
        }
    }
    assert!(on_cycles > 100, "stages on a cycle across blocks: {on_cycles}");
    assert!(replaced > 100, "stages named contexts replace: {replaced}");
    // Builds the legacy builder fails, of each kind whose batching differs: a stage name used
    // twice, an option only BuildKit has, a step's failure in a stage BuildKit skips.
    for note in [LegacyNote::Warns, LegacyNote::Builds, LegacyNote::SkipsStage] {
        let n = legacy_notes.iter().filter(|&&n| n == note).count();
        assert!(n > 20, "builds the legacy builder fails with {note:?}: {n}");
    }
    // Stages built on stages, whose counts follow from their bases', were there to count.
    assert!(built_on_stages > 1000, "{built_on_stages}");
}
