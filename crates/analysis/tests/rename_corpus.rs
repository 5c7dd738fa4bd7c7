//! Rename keeps meaning: renaming any named stage of the real-world corpus to a fresh name gives
//! a file whose analysis is the same graph with only that name changed, and whose text differs
//! only at that stage's name and its references. Where a rename is refused, the reason names
//! the reference that makes it uncertain.

use stagecraft_analysis::{analyze, Analysis, Options, RefTarget, TextEdit};
use stagecraft_testkit::{read, real_world_files};

/// The graph with one stage name replaced: stages (name, base), references (kind, stage, where
/// they resolve), what every target builds, unused stages, and diagnostic codes by line.
fn shape(a: &Analysis, renamed: Option<(usize, &str)>) -> Vec<String> {
    let name_of = |s: usize| -> String {
        match renamed {
            Some((r, n)) if r == s => n.to_string(),
            _ => a.stages()[s].name.clone().unwrap_or_default(),
        }
    };
    let mut out = Vec::new();
    for s in a.stages() {
        out.push(format!(
            "stage {} {} base={:?} builds={:?} description={:?}",
            s.index,
            name_of(s.index),
            s.base_kind,
            a.target_builds(s.index),
            s.description
        ));
    }
    for r in a.references() {
        let target = match &r.target {
            RefTarget::Stage(t) => format!("stage {t}"),
            other => format!("{other:?}"),
        };
        out.push(format!(
            "ref {} in {} line {} -> {target} forward={}",
            r.kind.as_str(),
            r.in_stage,
            r.line,
            r.forward
        ));
    }
    out.push(format!("unused {:?}", a.unused_stages()));
    // `unknown-stage` suggests a close stage name, so it may appear or go with the new name; the
    // checks of the renamed stage's own name (its case, a reserved word, a duplicate) go with
    // the fresh name.
    let own = renamed.map(|(r, _)| &a.stages()[r]);
    let about_own_name = |d: &stagecraft_analysis::Diagnostic| {
        own.is_some_and(|own| match d.code.as_str() {
            "StageNameCasing" | "ReservedStageName" => Some(d.range) == own.name_range,
            // Reported at the other stage of the same name.
            "DuplicateStageName" => a.stage_at(d.range.start()).is_some_and(|s| a.stages()[s].name == own.name),
            _ => false,
        })
    };
    for d in a.diagnostics().iter().filter(|d| d.code != "unknown-stage" && !about_own_name(d)) {
        out.push(format!("diag {} {:?}", d.code, d.lines));
    }
    out
}

#[test]
fn renaming_any_stage_keeps_the_graph() {
    let (mut renamed, mut refused) = (0, 0);
    for path in real_world_files() {
        let text = read(&path);
        let a = analyze(&text, &Options::default());
        for s in a.stages().iter().filter(|s| s.name.is_some()) {
            // (No `-`: linkerd's `FROM $RUNTIME_IMAGE-$TARGETARCH` may expand to any name with
            // one, which a rename refuses.)
            let fresh = format!("renamed{}", s.index);
            match a.rename_stage(s.index, &fresh) {
                Ok(edits) => {
                    renamed += 1;
                    // Every edit is at an occurrence of this stage, or at its name in the
                    // `# name description` comment above its FROM.
                    let occurrences = a.occurrences(s.index);
                    let comment = |r: stagecraft_analysis::TextRange| {
                        let line = &text[usize::from(r.start()).saturating_sub(200)..usize::from(r.start())];
                        s.description.is_some()
                            && line
                                .rsplit('\n')
                                .next()
                                .is_some_and(|l| l.trim_start_matches([' ', '\t']).starts_with('#'))
                    };
                    for e in &edits {
                        assert!(
                            occurrences.iter().any(|o| o.range == e.range) || comment(e.range),
                            "{}: edit {:?} is not at an occurrence of `{}`",
                            path.display(),
                            e.range,
                            s.display_name()
                        );
                        assert_eq!(e.new_text, fresh);
                    }
                    let new_text = TextEdit::apply_all(&text, &edits);
                    let b = analyze(&new_text, &Options::default());
                    assert_eq!(
                        shape(&a, Some((s.index, &fresh))),
                        shape(&b, None),
                        "{}: renaming `{}` changed the graph",
                        path.display(),
                        s.display_name()
                    );
                    assert_eq!(b.stages()[s.index].name.as_deref(), Some(fresh.as_str()));
                }
                Err(e) => {
                    refused += 1;
                    // Referenced through a variable now, or nameable through one with other build
                    // args (`FROM golangci-binary-${GOLANGCI_FROM_SOURCE}` in buildx's lint file).
                    assert!(
                        e.0.contains("also referenced as")
                            || e.0.contains("may name it with other build args")
                            || e.0.contains("where the trigger would run and no longer find this stage")
                            || e.0.contains(&format!("may name `{fresh}` with other build args")),
                        "{}: unexpected refusal: {e}",
                        path.display()
                    );
                }
            }
        }
    }
    println!("rename: {renamed} stages renamed, {refused} refused (referenced, or nameable, through a variable)");
    assert!(renamed > 200, "only {renamed} renames");
}
