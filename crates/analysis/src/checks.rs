//! stagecraft's own checks on top of BuildKit's: unused stages, references to stages that do not
//! exist (with "did you mean"), FROM naming a later stage, and stage names that differ only in case.

use std::collections::HashMap;

use stagecraft_syntax::{sort, TextRange, TextSize};

use crate::model::*;
use crate::{suggest, Analysis, Options};

pub(crate) fn run(a: &mut Analysis, options: &Options) {
    targets_and_unused(a, options);
    unknown_stage_references(a);
    from_later_stage(a);
    stage_name_casing_fixes(a);
}

/// BuildKit's `StageNameCasing` is fixed by renaming the stage to its lowercase name everywhere
/// it is used (BuildKit already matches it that way, so the build does not change).
fn stage_name_casing_fixes(a: &mut Analysis) {
    let mut fixes = Vec::new();
    for (i, d) in a.diagnostics.iter().enumerate() {
        if d.code != crate::rules::STAGE_NAME_CASING.name || d.fix.is_some() {
            continue;
        }
        let Some(stage) = a.stages.iter().find(|s| s.name_range == Some(d.range)) else { continue };
        let Some(lower) = stage.name.clone() else { continue };
        if let Ok(edits) = a.rename_stage(stage.index, &lower) {
            fixes.push((
                i,
                Fix { title: format!("Rename the stage to `{lower}`"), edits, applicability: Applicability::Safe },
            ));
        }
    }
    for (i, fix) in fixes {
        a.diagnostics[i].fix = Some(fix);
    }
}

fn targets_and_unused(a: &mut Analysis, options: &Options) {
    let mut in_play: Vec<usize> = a.default_target().into_iter().collect();
    // A target in play this file does not have: editors' settings name targets for every
    // Dockerfile of a workspace, so it is no error, but an unused stage's message says it (a
    // typo there would otherwise leave the hints quietly wrong).
    let mut not_found = Vec::new();
    for name in &options.targets {
        match a.resolve_stage(name) {
            Ok(t) if !in_play.contains(&t) => in_play.push(t),
            Ok(_) => {}
            Err(e) => not_found.push(e),
        }
    }
    let mut used = vec![false; a.stages.len()];
    for &t in &in_play {
        for &s in a.target_builds(t) {
            used[s] = true;
        }
    }
    a.unused = (0..a.stages.len()).filter(|&s| !used[s]).collect();
    a.targets_in_play = in_play.clone();
    let describe = |t: usize| {
        let name = a.stages[t].name_as_written.clone().unwrap_or_else(|| format!("stage-{t}"));
        if Some(t) == a.default_target() {
            format!("`{name}` (default)")
        } else {
            format!("`{name}`")
        }
    };
    let why = if in_play.len() == 1 {
        format!("the default target {} does not build it", describe(in_play[0]).replace(" (default)", ""))
    } else {
        format!(
            "none of the targets in play ({}) builds it",
            in_play.iter().map(|&t| describe(t)).collect::<Vec<_>>().join(", ")
        )
    };
    // Stages another stage is built on or takes files from (all unused too when they are).
    let mut used_by_other = vec![false; a.stages.len()];
    for (d, deps) in a.deps.iter().enumerate() {
        for dep in deps {
            if let RefTarget::Stage(t) = dep.target {
                used_by_other[t] |= t != d;
            }
        }
    }
    // References that may name a stage by its index: a name starts with a letter, an index
    // with a digit (or the reference goes through a variable). Few, if any.
    let by_index: Vec<usize> = (0..a.references.len())
        .filter(|&i| {
            let r = &a.references[i];
            matches!(r.target, RefTarget::Stage(_)) && !r.value.starts_with(|c: char| c.is_ascii_alphabetic())
        })
        .collect();
    for s in a.unused.clone() {
        let stage = &a.stages[s];
        let range = stage.name_range.unwrap_or(stage.from_range);
        let lines = (stage.line, stage.end_line);
        let mut message = format!(
            "stage `{}` is not used: {why}, so BuildKit skips it (the legacy builder still builds it)",
            stage.display_name()
        );
        for e in &not_found {
            message.push_str(&format!("; of the targets in play, {e}"));
        }
        // Information, not a hint: editors list it with the problems (VS Code's Problems
        // panel leaves hints out) and still fade the stage (`unnecessary`).
        // No removal while another stage uses this one: that stage's `FROM` would name an
        // image instead (removing the user first makes this one removable).
        let fix = (!used_by_other[s]).then(|| stage_removal(a, s, &by_index)).flatten().map(|edits| Fix {
            title: format!("Remove stage `{}`", stage.display_name()),
            edits,
            applicability: Applicability::Manual,
        });
        a.diagnostics.push(Diagnostic {
            unnecessary: true,
            ..Diagnostic::ours("unused-stage", Severity::Info, range, message, fix, lines)
        });
    }
}

/// The edits that delete a stage: its description comments, its instructions and the line
/// ending after them, and every `--from=N` after it renumbered to the stage it meant. None when
/// a stage index is written otherwise (`--from=${I}`) or in an ONBUILD trigger.
/// `by_index`: the references that may name a stage by its index (see [`run`]).
fn stage_removal(a: &Analysis, s: usize, by_index: &[usize]) -> Option<Vec<TextEdit>> {
    let stage = &a.stages[s];
    let mut edits = Vec::new();
    for r in by_index.iter().map(|&i| &a.references[i]) {
        let RefTarget::Stage(t) = r.target else { continue };
        if t <= s || stage.range.contains_range(r.range) {
            continue;
        }
        // Through a variable, an index or a name: which, the written text does not say.
        let numeric = !r.value.is_empty() && r.value.bytes().all(|b| b.is_ascii_digit());
        if r.value.contains('$') || (numeric && (r.origin != RefOrigin::Direct || a.text()[r.range] != r.value)) {
            return None;
        }
        if !numeric {
            continue;
        }
        edits.push(TextEdit { range: r.range, new_text: (t - 1).to_string() });
    }
    let text = a.text();
    let mut start = stage.range.start();
    // Take the comment block right above the FROM with it.
    let index = a.line_index();
    let mut line = index.line_col(start).line;
    while line > 0 {
        let Some(r) = index.line_range(line - 1, text) else { break };
        let content = text[r].trim_start();
        if content.starts_with('#') && !content.is_empty() {
            start = r.start();
            line -= 1;
        } else {
            break;
        }
    }
    if let Some(line_start) = index.line_start(index.line_col(start).line) {
        if text[usize::from(line_start)..usize::from(start)].trim().is_empty() {
            start = line_start;
        }
    }
    let mut end = usize::from(stage.range.end());
    let b = text.as_bytes();
    while end < b.len() && (b[end] == b'\r' || b[end] == b' ' || b[end] == b'\t') {
        end += 1;
    }
    if end < b.len() && b[end] == b'\n' {
        end += 1;
    }
    // And one blank line after it, so stages stay separated by one.
    let mut blank = end;
    while blank < b.len() && (b[blank] == b' ' || b[blank] == b'\t' || b[blank] == b'\r') {
        blank += 1;
    }
    if blank < b.len() && b[blank] == b'\n' {
        end = blank + 1;
    }
    edits.push(TextEdit { range: TextRange::new(start, TextSize::new(end as u32)), new_text: String::new() });
    // In text order: an index can be written before the stage too (a forward reference).
    sort::sort_by_key(&mut edits, |e| e.range.start());
    Some(edits)
}

/// `--from=biuld` when a stage is named `build`: BuildKit would pull an image named `biuld`.
fn unknown_stage_references(a: &mut Analysis) {
    let names: Vec<String> = a.stages.iter().filter_map(|s| s.name.clone()).collect();
    // Each distinct name's result, by its index in `results` (a map type the engine has: one
    // map type less in the wasm).
    let mut searched: HashMap<String, usize> = HashMap::new();
    let mut results: Vec<Option<String>> = Vec::new();
    let mut found = Vec::new();
    let mut from_labels = Vec::new();
    for r in &a.references {
        if matches!(r.origin, RefOrigin::Inherited { .. }) {
            continue;
        }
        let RefTarget::Image(image) = &r.target else { continue };
        if r.kind == RefKind::From {
            // FROM takes no index: the stage needs a name.
            if let Some(n) = unnamed_stage_label(a, image) {
                from_labels.push((r.range, r.line, image.clone(), n));
            }
            continue;
        }
        if image.contains([':', '/', '@']) {
            continue;
        }
        // One search per distinct name: a file may pull one unknown image many times.
        let i = *searched.entry(image.clone()).or_insert_with(|| {
            results.push(suggest::search(image, names.iter().map(String::as_str), true));
            results.len() - 1
        });
        if let Some(suggestion) = results[i].clone() {
            // Already written so: BuildKit read the flag's bytes one by one (a non-ASCII name
            // comes out as `bÃ¤se`), and no edit of the text makes it match; the stage's name is
            // refused where it is defined.
            if a.text.get(usize::from(r.range.start())..usize::from(r.range.end())) == Some(suggestion.as_str()) {
                continue;
            }
            found.push((r.range, r.line, image.clone(), suggestion, false));
        } else if let Some(n) = unnamed_stage_label(a, image) {
            // `stage-N` is only how stagecraft (and its graphs) show a stage without a name.
            found.push((r.range, r.line, image.clone(), n.to_string(), true));
        }
    }
    // What a `stage-N` label names: an image.
    let label = |image: &str, n: &str| {
        format!("no stage is named `{image}` (stage {n} has no name; `{image}` is only how it is shown), so BuildKit will pull an image called `{image}`")
    };
    for (range, line, image, n) in from_labels {
        let message = format!(
            "{}; FROM names a stage only by its name: give stage {n} one with `AS` and use it here",
            label(&image, &n.to_string())
        );
        a.diagnostics.push(Diagnostic::ours("unknown-stage", Severity::Warning, range, message, None, (line, line)));
    }
    for (range, line, image, suggestion, by_index) in found {
        let message = if by_index {
            format!(
                "{}; refer to the stage by its index `{suggestion}`, or name it with `AS` on its FROM line",
                label(&image, &suggestion)
            )
        } else {
            format!(
                "no stage is named `{image}`, so BuildKit will pull an image called `{image}`; did you mean the stage `{suggestion}`?"
            )
        };
        let fix = Fix {
            title: if by_index {
                format!("Use stage {suggestion} by its index")
            } else {
                format!("Use stage `{suggestion}`")
            },
            edits: vec![TextEdit { range, new_text: suggestion.clone() }],
            applicability: Applicability::Unsafe,
        };
        a.diagnostics.push(Diagnostic::ours(
            "unknown-stage",
            Severity::Warning,
            range,
            message,
            Some(fix),
            (line, line),
        ));
    }
}

/// The index N when `image` is `stage-N` (as [`Stage::display_name`] shows a stage without a
/// name) and stage N has no name.
fn unnamed_stage_label(a: &Analysis, image: &str) -> Option<usize> {
    let digits = image.strip_prefix("stage-")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    let n: usize = digits.parse().ok()?;
    a.stages.get(n).filter(|s| s.name.is_none()).map(|_| n)
}

/// `FROM builder` where `builder` is defined later, or written in another case: BuildKit only
/// matches earlier stages, exactly, so it pulls an image instead.
fn from_later_stage(a: &mut Analysis) {
    // Each name's stages in order, so that a file with thousands of stages stays linear.
    // (By the index of its list in `lists`, with a map type the engine has: one map type less
    // in the wasm.)
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut lists: Vec<Vec<usize>> = Vec::new();
    for s in &a.stages {
        if let Some(name) = &s.name {
            let i = *by_name.entry(name.clone()).or_insert_with(|| {
                lists.push(Vec::new());
                lists.len() - 1
            });
            lists[i].push(s.index);
        }
    }
    let mut found = Vec::new();
    for r in &a.references {
        if r.kind != RefKind::From {
            continue;
        }
        let RefTarget::Image(image) = &r.target else { continue };
        let lower = image.to_lowercase();
        let Some(same) = by_name.get(&lower).map(|&i| &lists[i]) else { continue };
        // The stages before this one, and from this one on.
        let split = same.partition_point(|&s| s < r.in_stage);
        if let Some(st) = split.checked_sub(1).map(|i| &a.stages[same[i]]) {
            found.push((
                r.range,
                r.line,
                format!(
                    "`FROM {image}` does not match stage `{}`: FROM matches stage names exactly and they are lower-case; write `{lower}`",
                    st.name_as_written.clone().unwrap_or_default()
                ),
                // The build changes: from pulling an image to using the stage.
                Some(Fix {
                    title: format!("Use `{lower}`"),
                    edits: vec![TextEdit { range: r.range, new_text: lower.clone() }],
                    applicability: Applicability::Unsafe,
                }),
            ));
            continue;
        }
        // `FROM node AS node` (a stage named after its base image) is no mistake: the stage is
        // not defined while its own FROM is read, so BuildKit pulls the image, as meant.
        if let Some(later) = same[split..].iter().find(|&&i| i != r.in_stage).map(|&i| &a.stages[i]) {
            found.push((
                r.range,
                r.line,
                format!(
                    "`FROM {image}` names a stage defined later (line {}); FROM only sees earlier stages, so BuildKit pulls an image called `{image}`: move stage `{}` above this one",
                    later.line,
                    later.display_name()
                ),
                None,
            ));
        }
    }
    for (range, line, message, fix) in found {
        a.diagnostics.push(Diagnostic::ours(
            "forward-stage-reference",
            Severity::Error,
            range,
            message,
            fix,
            (line, line),
        ));
    }
}
