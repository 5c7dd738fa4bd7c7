//! stagecraft's own checks on top of BuildKit's: unused stages, references to stages that do not
//! exist (with "did you mean"), FROM naming a later stage, and stage names that differ only in case.

use stagecraft_syntax::hash::Map;

use stagecraft_syntax::shell::{Env, Lexer};
use stagecraft_syntax::{sort, SyntaxKind, TextRange, TextSize};

use crate::model::*;
use crate::{suggest, Analysis, Options};

pub(crate) fn run(a: &mut Analysis, options: &Options) {
    targets_and_unused(a, options);
    unused_named_contexts(a, options);
    unknown_stage_references(a);
    // A build failure (of `docker build`): the browser build leaves those out.
    if cfg!(feature = "build-failures") {
        stage_names_that_are_no_references(a);
        mounts_from_an_index(a);
    }
    from_later_stage(a);
    stage_name_casing_fixes(a);
    #[cfg(feature = "build-failures")]
    lone_carriage_returns(a);
}

/// A carriage return with no line feed after it (an old Mac line ending, or one stray): BuildKit
/// reads lines as Go's `bufio.ScanLines` does, which breaks them at line feeds only, so the text
/// on both sides of it is one line, one instruction; an editor shows two lines (as LSP counts
/// lines), and so do the positions stagecraft reports, while BuildKit's line numbers in messages
/// count one. Said once, at the first. A CR that ends the file is dropped as one before a line
/// feed is. (Not in the browser build, for its size.)
#[cfg(feature = "build-failures")]
fn lone_carriage_returns(a: &mut Analysis) {
    let b = a.text.as_bytes();
    // (From CR to CR: most files have none, and a search for one byte is fast. At the end of
    // the file `ScanLines` drops a CR too.)
    let (mut first, mut more, mut from) = (None, 0, 0);
    while let Some(k) = b[from..].iter().position(|&c| c == b'\r') {
        let at = from + k;
        if b.get(at + 1).is_some_and(|&c| c != b'\n') {
            if first.is_none() {
                first = Some(at);
            } else {
                more += 1;
            }
        }
        from = at + 1;
    }
    let Some(first) = first else { return };
    let range = TextRange::at(TextSize::new(first as u32), TextSize::new(1));
    let others = match more {
        0 => String::new(),
        1 => " (the file has one more)".to_string(),
        n => format!(" (the file has {n} more)"),
    };
    let message = format!(
        "a carriage return without a line feed after it{others} is no line break to BuildKit: it reads the text on both sides as one line, while editors show two; save the file with LF (or CRLF) line endings"
    );
    let lines = a.index.buildkit_lines(range, &a.text);
    a.diagnostics.push(Diagnostic::ours("lone-carriage-return", Severity::Warning, range, message, None, lines));
}

/// A mount's `from=` that is a stage's index (`from=0`): BuildKit looks a mount's source up by
/// name only (`detectRunMount`), so it pulls the image `0`, and the build fails. Said with the
/// stage an index would be, an earlier one, and its name as an unsafe fix where it has one.
fn mounts_from_an_index(a: &mut Analysis) {
    let mut found = Vec::new();
    for r in &a.references {
        let trigger = r.origin == RefOrigin::OnbuildTrigger;
        if !matches!(r.kind, RefKind::MountFrom { .. }) || !(r.origin == RefOrigin::Direct || trigger) {
            continue;
        }
        // (`+0` is no image name: BuildKit's error for it says so.)
        if !matches!(r.target, RefTarget::Image(_))
            || r.value.is_empty()
            || !r.value.bytes().all(|b| b.is_ascii_digit())
        {
            continue;
        }
        // (A trigger runs in later stages: a stage before the first that runs it.)
        let limit = if trigger { a.first_built_on(r.in_stage) } else { Some(r.in_stage) };
        let Some(n) = r.value.parse::<usize>().ok().filter(|&n| limit.is_some_and(|l| n < l)) else {
            continue;
        };
        let head = format!(
            "`from={}` names the image `{}`, not stage {n}: a mount's `from` finds a stage by its name only, so BuildKit pulls `{}`, which fails",
            r.value, r.value, r.value
        );
        // The name is a fix only where it finds that stage (a later stage may take it again).
        let (message, fix) = match a.stages[n].name.clone() {
            Some(name) if a.find_target(&name) != Some(n) => {
                (format!("{head}; stage {n} is `{name}`, a name a later stage takes again"), None)
            }
            Some(name) => (
                format!("{head}; stage {n} is `{name}`"),
                Some(Fix {
                    title: format!("Use the name `{name}` of stage {n}"),
                    edits: vec![TextEdit { range: r.range, new_text: name }],
                    applicability: Applicability::Unsafe,
                }),
            ),
            None => (format!("{head}; name stage {n} (`AS name` after its base) and use the name"), None),
        };
        found.push(Diagnostic::ours(
            "mount-from-index",
            Severity::Warning,
            r.range,
            message,
            fix,
            (r.line, r.end_line),
        ));
    }
    a.diagnostics.extend(found);
}

/// BuildKit's `StageNameCasing` is fixed by renaming the stage to its lowercase name everywhere
/// it is used (BuildKit already matches it that way, so the build does not change).
fn stage_name_casing_fixes(a: &mut Analysis) {
    let mut fixes = Vec::new();
    for (i, d) in a.diagnostics.iter().enumerate() {
        if d.code != crate::rules::STAGE_NAME_CASING.name || d.fix.is_some() {
            continue;
        }
        // (The stages are in text order.)
        let at = a.stages.partition_point(|s| s.from_range.start() <= d.range.start());
        let Some(stage) = at.checked_sub(1).map(|s| &a.stages[s]).filter(|s| s.name_range == Some(d.range)) else {
            continue;
        };
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
    // The build's target is in play: the `--target`, else the default one (a build with a
    // `--target` does not build the default, and only the target's stages are checked).
    // (One the file lacks: the default, as an analysis of it stops there anyway.)
    let named = options.target_name().and_then(|t| a.resolve_stage(t).ok());
    let built = named.or(a.default_target());
    let mut in_play: Vec<usize> = built.into_iter().collect();
    // The `--target` each one's build is given: this build's (none for the default target);
    // another's name as given (see `TARGETSTAGE` below).
    let mut given: Vec<Option<&str>> = in_play.iter().map(|_| options.target_name()).collect();
    // A target in play this file does not have: editors' settings name targets for every
    // Dockerfile of a workspace, so it is no error, but an unused stage's message says it (a
    // typo there would otherwise leave the hints quietly wrong).
    let mut not_found = Vec::new();
    for name in &options.targets {
        match a.resolve_stage(name) {
            Ok(t) if !in_play.contains(&t) => {
                in_play.push(t);
                given.push(Some(name));
            }
            Ok(_) => {}
            Err(e) => not_found.push(e),
        }
    }
    let mut used = vec![false; a.stages.len()];
    // BuildKit sets `TARGETSTAGE` per build: where the file may read it in a stage reference
    // (one written with a variable, in a file that names it), a target whose build sets another
    // value than this analysis did may build other stages, which the stage graph of a run of
    // the engine for it says (its findings unused: only the target's stages dispatched, no
    // ignore rules).
    let per_target = a.text.contains("TARGETSTAGE") && a.references.iter().any(|r| r.value.contains('$'));
    let this = per_target.then(|| crate::engine::target_stage_value(options.target_name(), &a.stages));
    for (&t, &name) in in_play.iter().zip(&given) {
        let value = this.as_ref().map(|_| crate::engine::target_stage_value(name, &a.stages));
        if value.is_some() && value != this {
            let target =
                Options { target: name.map(String::from), only_needed_stages: true, ignore: None, ..options.clone() };
            let out = crate::engine::Engine::new(&a.text, &a.parse, &a.index, &target).run();
            for &s in crate::graph::Reachability::new(&out.deps).builds(t) {
                used[s] = true;
            }
        } else {
            for &s in a.target_builds(t) {
                used[s] = true;
            }
        }
    }
    // The stage SOURCE_DATE_EPOCH names is read for its source's time: BuildKit needs it.
    // (Only found with the build's failures: the gate lets the browser build drop this.)
    if let Some((s, _)) = a.epoch_stage.filter(|_| cfg!(feature = "build-failures")) {
        used[s] = true;
    }
    // (On the per-target `TARGETSTAGE` path above, `used` comes from that target's run while
    // this follows this run's graph: they differ only where a replaced stage's references read
    // `TARGETSTAGE`.)
    // What a stage that a named context replaces uses is not built, but BuildKit still follows
    // it and dispatches it (its findings and failures count, its base is resolved): removing it
    // would change the build.
    if cfg!(feature = "named-contexts") {
        a.mark_dispatched(&mut used);
    }
    a.unused = (0..a.stages.len()).filter(|&s| !used[s]).collect();
    a.targets_in_play = in_play.clone();
    // Bases written with variables (`FROM build-${VARIANT}`): with other build args or another
    // platform they name other stages. Each named stage such a later base may name, with
    // the first such stage, whatever the targets in play: the unused-stage hints say so, and a
    // rename refuses it.
    // (`FROM $BASE` alone, which can expand to anything, is most often an image: it marks no
    // stage.)
    // Each with what it can expand to (a base may have up to 2^MAX_COMBINED patterns); only a
    // base after a named stage can name one.
    let first_named = a.stages.iter().position(|s| s.name.is_some());
    let bases = variable_base_patterns(a, first_named.map_or(a.stages.len(), |s| s + 1));
    if !bases.is_empty() {
        let names: Vec<(usize, &str)> = a.stages.iter().filter_map(|s| Some((s.index, s.name.as_deref()?))).collect();
        #[cfg(feature = "large-files")]
        let found = first_namers_indexed(&names, &bases);
        #[cfg(not(feature = "large-files"))]
        let found = first_namers(&names, &bases);
        a.named_by_variable = found;
    }
    // What follows says why each unused stage is; with none (the usual case on a keystroke),
    // nothing of it is needed.
    if a.unused.is_empty() {
        return;
    }
    // A name several stages have (BuildKit takes the last) is told apart by its line.
    let on_line = |t: usize| {
        if a.name_shared.get(t).copied().unwrap_or(false) {
            format!(" on line {}", a.stages[t].line)
        } else {
            String::new()
        }
    };
    // A stage without a name is no `--target`: it is said by its FROM line, not as `stage-N`.
    let describe = |t: usize| {
        let st = &a.stages[t];
        let name = match &st.name {
            Some(name) => format!("`{name}`{}", on_line(t)),
            None if st.base.is_empty() => format!("stage {t} (the `FROM` on line {})", st.line),
            None => format!("stage {t} (`FROM {}` on line {})", st.base, st.line),
        };
        // (A `--target` that names the default target is said as the target it was given as.)
        let role = if Some(t) == named {
            "the target "
        } else if Some(t) == a.default_target() {
            "the default target "
        } else {
            ""
        };
        format!("{role}{name}")
    };
    let why = match in_play.as_slice() {
        // (The build's target is always in play, first.)
        [t] => format!("{} does not build it", describe(*t)),
        _ => {
            // (A fold, not `join`: see `Analysis::not_found`.)
            let names = in_play.iter().enumerate().fold(String::new(), |mut list, (i, &t)| {
                if i > 0 {
                    list.push_str(", ");
                }
                list.push_str(&describe(t));
                list
            });
            format!("none of the targets in play — {names} — builds it")
        }
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
        // A later stage's variable base that could name this one.
        let picker = a.named_by_variable(s);
        // The legacy builder builds every stage up to a target (the first of its name), not
        // those after it.
        let legacy = in_play.iter().any(|&t| crate::graph::legacy_stages(&a.stages, &a.name_shared, t).contains(&s));
        let mut message = match picker {
            None => format!(
                "stage `{}`{} is not used: {why}, so BuildKit skips it{}",
                stage.display_name(),
                on_line(s),
                if legacy { " (the legacy builder still builds it)" } else { "" }
            ),
            Some(p) => format!(
                "stage `{}`{} is not used with these build args and platform: {why}, so BuildKit skips it; `FROM {}` (line {}) may name it with other values",
                stage.display_name(),
                on_line(s),
                a.stages[p].base,
                a.stages[p].line
            ),
        };
        for e in &not_found {
            message.push_str(&format!("; of the targets in play, {e}"));
        }
        // Information, not a hint: editors list it with the problems (VS Code's Problems
        // panel leaves hints out) and still fade the stage (`unnecessary`).
        // No removal while another stage uses this one: that stage's `FROM` would name an
        // image instead (removing the user first makes this one removable).
        // Nor while a variable base may name it: it is not dead code, and not faded either.
        let removable = !used_by_other[s] && picker.is_none();
        let fix = removable.then(|| stage_removal(a, s, &by_index)).flatten().map(|edits| Fix {
            title: format!("Remove stage `{}`", stage.display_name()),
            edits,
            applicability: Applicability::Manual,
        });
        a.diagnostics.push(Diagnostic {
            unnecessary: picker.is_none(),
            ..Diagnostic::ours("unused-stage", Severity::Info, range, message, fix, lines)
        });
    }
}

/// For each named stage (`names`: index and name, in stage order), the first later stage whose
/// base may name it (`bases`: each base's patterns, see [`name_patterns`], in stage order), as
/// `(stage, base's stage)` pairs in stage order. Each name against every base: quadratic where
/// thousands of such bases follow thousands of stages (the browser build's, without
/// `large-files`, for its size; the reference for [`first_namers_indexed`] in tests).
#[cfg(any(test, not(feature = "large-files")))]
fn first_namers(names: &[(usize, &str)], bases: &[(usize, String)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for &(s, name) in names {
        if let Some(&(p, _)) = bases.iter().find(|(p, pattern)| *p > s && may_name(pattern.as_bytes(), name.as_bytes()))
        {
            out.push((s, p));
        }
    }
    out
}

/// [`first_namers`] for files of tens of thousands of stages: each pattern once, with its
/// stages in order (the first after a name's stage by binary search), tried only against the
/// names that start with the pattern's literal start (a range of the sorted names).
/// Quadratic only in patterns that start with a variable and names that follow them.
#[cfg(feature = "large-files")]
fn first_namers_indexed(names: &[(usize, &str)], bases: &[(usize, String)]) -> Vec<(usize, usize)> {
    let mut index: Map<&str, usize> = Map::default();
    let mut patterns: Vec<(&str, Vec<usize>)> = Vec::new();
    for (p, pattern) in bases {
        let i = *index.entry(pattern.as_str()).or_insert_with(|| {
            patterns.push((pattern.as_str(), Vec::new()));
            patterns.len() - 1
        });
        patterns[i].1.push(*p);
    }
    let mut sorted: Vec<(&str, usize)> = names.iter().map(|&(s, name)| (name, s)).collect();
    sort::sort_unstable_by(&mut sorted, |a, b| a.cmp(b));
    let mut first: Vec<Option<usize>> = vec![None; names.last().map_or(0, |&(s, _)| s + 1)];
    for (pattern, stages) in &patterns {
        // `may_name` compares a pattern's characters lower-cased.
        let literal = pattern.split(char::from(ANY)).next().unwrap_or_default().to_ascii_lowercase();
        let start = sorted.partition_point(|(name, _)| *name < literal.as_str());
        for &(name, s) in sorted[start..].iter().take_while(|(name, _)| name.starts_with(literal.as_str())) {
            let Some(&p) = stages.get(stages.partition_point(|&p| p <= s)) else { continue };
            if first[s].is_none_or(|q| p < q) && may_name(pattern.as_bytes(), name.as_bytes()) {
                first[s] = Some(p);
            }
        }
    }
    names.iter().filter_map(|&(s, _)| Some((s, first[s]?))).collect()
}

/// What the bases of the stages from `first` on, written with variables, may expand to, each
/// with its stage: only patterns a stage name may fill (not empty, and no character a name cannot
/// have: `${REGISTRY}/app:${TAG}` is an image). For the unused-stage hints, and for a rename's or
/// an assist's new name ([`pattern_may_name`]): a name one fits would let that build take the
/// stage instead of an image.
pub(crate) fn variable_base_patterns(a: &Analysis, first: usize) -> Vec<(usize, String)> {
    let lexer = Lexer::new(a.parse().tree().escape_char());
    let mut bases = Vec::new();
    for (p, stage) in a.stages.iter().enumerate().skip(first) {
        name_patterns(&lexer, &stage.base, |pattern| {
            let name_like =
                pattern.bytes().all(|b| b == ANY || crate::instructions::stage_name_byte(b.to_ascii_lowercase()));
            if name_like && !may_name(pattern.as_bytes(), b"") {
                bases.push((p, pattern));
            }
        });
    }
    bases
}

/// Whether a pattern of [`variable_base_patterns`] may expand to `name`.
pub(crate) fn pattern_may_name(pattern: &str, name: &str) -> bool {
    may_name(pattern.as_bytes(), name.as_bytes())
}

/// Stands for a variable's value in a [`name_patterns`]: a character no stage name has.
const ANY: u8 = 0;

/// What a base written with variables (`build-${VARIANT:-alpine}`) can expand to, for
/// [`may_name`]: BuildKit's lexer expands it (quotes and escapes removed as it removes them,
/// `$1x` as `$1` then `x`) with each of its variables set to [`ANY`] or unset, in every
/// combination (`${DEV:+dev-image}` is `dev-image` or nothing; `${DEV:+dev-}${V}` may be
/// `dev-` and anything, or anything), each handed to `found`; nothing for a base with no
/// variable. With more than [`MAX_COMBINED`] variables, only all set and none set are tried.
fn name_patterns(lexer: &Lexer, base: &str, mut found: impl FnMut(String)) {
    /// The variables whose bit is set in the mask set to [`ANY`], the others unset; a name not
    /// in the list is set unless the mask is 0.
    struct Set<'a>(&'a stagecraft_syntax::shell::Names, u32);
    impl Env for Set<'_> {
        fn lookup(&self, name: &str) -> Option<&str> {
            let bit = self.0.iter().position(|n| n == name).map_or(u32::MAX, |i| 1 << i);
            (self.1 & bit != 0).then_some("\0")
        }
    }
    if !base.contains('$') || base.contains('\0') {
        return;
    }
    // `$NAME` or `${NAME}` alone is anything or nothing: no pattern, and no lexer run for the
    // many stages written `FROM ${BASE_IMAGE}`.
    let alone = base.strip_prefix("${").and_then(|r| r.strip_suffix('}')).or_else(|| base.strip_prefix('$'));
    if alone.is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric())) {
        return;
    }
    // All set first: the names it looks up are all the base's (the lexer expands every part
    // of a `${A:-word}`, whichever it keeps).
    let mut names = Default::default();
    // Every mask but all ones (the run above); none set only (a mask of 0 over no names) when
    // the base has too many variables, or when all set fails.
    let combinations = match lexer.process_word(base, &Set(&names, u32::MAX)) {
        Ok(e) => {
            found(e.result);
            names = e.matched;
            if names.len() > MAX_COMBINED {
                names = Default::default();
                1
            } else {
                (1u32 << names.len()) - 1
            }
        }
        Err(_) => 1,
    };
    for mask in 0..combinations {
        if let Ok(e) = lexer.process_word(base, &Set(&names, mask)) {
            found(e.result);
        }
    }
}

/// How many variables of one base [`name_patterns`] sets and unsets in every combination.
const MAX_COMBINED: usize = 4;

/// Whether a [`name_patterns`] pattern can be `name`: its text in lower case, as stage names are, and
/// each [`ANY`] any text. A wildcard match that goes back only to the last `ANY`: linear for
/// one, and never worse than the lengths multiplied, whatever their number.
fn may_name(pattern: &[u8], name: &[u8]) -> bool {
    let (mut w, mut n) = (0, 0);
    // The pattern after the last `ANY` passed, and where in the name its match started.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if w < pattern.len() {
            let c = pattern[w];
            if c == ANY {
                w += 1;
                star = Some((w, n));
                continue;
            }
            if n < name.len() && name[n] == c.to_ascii_lowercase() {
                w += 1;
                n += 1;
                continue;
            }
        } else if n == name.len() {
            return true;
        }
        // A mismatch: the last `ANY` takes one more byte of the name, if there is one.
        match star {
            Some((sw, sn)) if sn < name.len() => {
                star = Some((sw, sn + 1));
                w = sw;
                n = sn + 1;
            }
            _ => return false,
        }
    }
}

/// Whether `part` is one of the `-`, `_` or `.` separated parts of `name`.
fn has_part(name: &str, part: &str) -> bool {
    name.split(['-', '_', '.']).any(|p| p == part)
}

/// The edits that delete a stage: its description comments, its instructions and the line
/// ending after them, and every `--from=N` after it renumbered to the stage it meant. None when
/// a stage index is written otherwise (`--from=${I}`) or in an ONBUILD trigger a stage here runs
/// (one no stage here runs names a stage of the Dockerfiles built on its image).
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
        let numeric = crate::model::is_index(&r.value);
        if r.value.contains('$') || (numeric && !a.is_index_ref(r)) {
            return None;
        }
        if !numeric {
            continue;
        }
        edits.push(TextEdit { range: r.range, new_text: (t - 1).to_string() });
    }
    let text = a.text();
    let mut start = stage.range.start();
    // Take the comment block right above the FROM with it, but not the parser directives at the
    // top of the file (`# syntax=`, `# escape=`, `# check=`): they are the file's, not the stage's.
    // (They come first: the nodes before the first instruction, read once per removal.)
    let directives = a.parse().syntax_node().children().take_while(|n| n.kind() == SyntaxKind::DIRECTIVE).last();
    let directives_end = directives.map_or(TextSize::new(0), |n| n.text_range().end());
    let index = a.line_index();
    let mut line = index.line_col(start).line;
    while line > 0 {
        let Some(r) = index.line_range(line - 1, text) else { break };
        let content = text[r].trim_start();
        if content.starts_with('#') && !content.is_empty() && r.start() >= directives_end {
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

/// The named build contexts given for the build that replace no stage and no image of this
/// file: BuildKit ignores them without a word (moby/buildkit#7091), so a typo in either place
/// pulls an image instead of using the context.
fn unused_named_contexts(a: &mut Analysis, options: &Options) {
    if !cfg!(feature = "named-contexts") || options.named_contexts.is_empty() {
        return;
    }
    // (And the one SOURCE_DATE_EPOCH names: BuildKit reads its time.)
    let mut used: Vec<String> = a.epoch_context.iter().cloned().collect();
    for st in &a.stages {
        if let BaseKind::NamedContext(key) = &st.base_kind {
            used.push(key.clone());
        }
    }
    // What a context could have been meant for: the stage names and the images' keys.
    let mut candidates: Vec<String> = a.stages.iter().filter_map(|s| s.name.clone()).collect();
    for r in &a.references {
        match &r.target {
            RefTarget::NamedContext(k) => used.push(k.clone()),
            RefTarget::Image(i) => candidates.extend(crate::reference::context_key(i).ok()),
            _ => {}
        }
    }
    for given in &options.named_contexts {
        // Looked up by its key, as buildx makes it (`nginx:latest` is `nginx`); a name that is
        // no image reference (`Build`) buildx refuses, and it matches nothing.
        let key = crate::reference::context_key(given).ok();
        if key.as_ref().is_some_and(|k| used.contains(k)) || a.unused_contexts.iter().any(|c| c.name == *given) {
            continue;
        }
        let name = key.as_deref().unwrap_or(given);
        let suggestion = candidates
            .iter()
            .find(|c| c.eq_ignore_ascii_case(name) && *c != name)
            .cloned()
            .or_else(|| suggest::search(name, candidates.iter().map(String::as_str), true));
        a.unused_contexts.push(UnusedContext { name: given.clone(), suggestion });
    }
}

/// A stage name BuildKit's parser takes but that is no image reference (`build-`, `a..b`,
/// `x_-y`): `docker build` looks every stage name up as a named build context
/// (`dockerui.Client.NamedContext`, which parses it as a reference first) and fails with
/// "invalid context name". BuildKit's Go packages without a client (as the oracle ran them)
/// say nothing, so this is an error of ours and not the build's error.
fn stage_names_that_are_no_references(a: &mut Analysis) {
    let mut found = Vec::new();
    for st in &a.stages {
        let (Some(name), Some(range)) = (&st.name, st.name_range) else { continue };
        // Only names BuildKit's parser takes (it refuses the others itself). The reserved
        // `scratch` and `context` are plain names, never looked up.
        if !crate::instructions::valid_stage_name(name) || crate::reference::is_plain_name(name) {
            continue;
        }
        let Err(why) = crate::reference::parse_normalized_named(name) else { continue };
        let candidate = reference_name(name);
        let fix = candidate.as_deref().filter(|c| c != name).and_then(|c| {
            let edits = a.rename_stage(st.index, c).ok()?;
            Some(Fix { title: format!("Rename the stage to `{c}`"), edits, applicability: Applicability::Unsafe })
        });
        // What to do, where the separators are the cause (not length or 64 hex digits).
        let how = if why == "invalid reference format" {
            "; separators (`.`, `_`, `__`, dashes) must stand between letters or digits"
        } else {
            ""
        };
        let message = format!(
            "`docker build` fails on this stage name: it looks stage names up as named build contexts, and `{name}` is no image name (\"invalid context name {name}: {why}\"){how}"
        );
        found.push((range, (st.line, st.end_line), message, fix));
    }
    for (range, lines, message, fix) in found {
        a.diagnostics.push(Diagnostic::ours("stage-name-not-a-reference", Severity::Error, range, message, fix, lines));
    }
}

/// `name` made an image name: each run of separators that the reference grammar refuses becomes
/// one dash, and separators at the ends go. `None` when that is still no image name.
fn reference_name(name: &str) -> Option<String> {
    let mut out = String::new();
    let mut run = String::new();
    for c in name.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if !run.is_empty() {
                let ok = run == "." || run == "_" || run == "__" || run.bytes().all(|b| b == b'-');
                out.push_str(if ok { &run } else { "-" });
                run.clear();
            }
            out.push(c);
        } else {
            run.push(c);
        }
    }
    crate::reference::context_key(&out).ok().filter(|k| *k == out)
}

/// `--from=biuld` (or `FROM biuld`) when a stage is named `build`: BuildKit would pull an image
/// named `biuld`.
/// With named build contexts given, a close context name is suggested too.
fn unknown_stage_references(a: &mut Analysis) {
    let names: Vec<String> = a.stages.iter().filter_map(|s| s.name.clone()).collect();
    // Each distinct name's result, by its index in `results` (a map type the engine has: one
    // map type less in the wasm).
    let mut searched: Map<String, usize> = Map::default();
    // Each with the stage its name finds (the last of that name, as BuildKit's `--from` does).
    let mut results: Vec<Option<(String, Option<usize>)>> = Vec::new();
    // For each result, once a reference needs it: the stages, each the last of its name, whose
    // names are suggestions for it, with their distance to it, in stage order.
    let mut close_stages: Vec<Option<Vec<(usize, usize)>>> = Vec::new();
    let mut found = Vec::new();
    let mut from_labels = Vec::new();
    // Whether each stage is the last of its name (the one `--from` finds), once needed.
    let mut last_of_name: Option<Vec<bool>> = None;
    // The last stage built on each stage, once a trigger's reference asks.
    #[cfg(feature = "large-files")]
    let mut last_built_on_each: Option<Vec<Option<usize>>> = None;
    // Each distinct name is compared with every stage's: past this many comparisons, names get
    // no search (and no finding), as undefined variables get no suggestion past the engine's
    // budget (thousands of distinct unknown names beside thousands of stages made this
    // quadratic: 16,000 of each took a minute). No file of the shared corpus makes more than a
    // few hundred.
    let mut budget: usize = 1 << 22;
    for r in &a.references {
        if matches!(r.origin, RefOrigin::Inherited { .. }) {
            continue;
        }
        let RefTarget::Image(image) = &r.target else { continue };
        // The stage itself or a later one cannot be used here (a trigger's, in the last stage
        // that runs it). A trigger no stage here runs names a stage of the Dockerfiles built
        // on this image, which this file cannot tell (as rename leaves it alone).
        // (The last stage built on each, made once: a search for each trigger's reference was
        // quadratic in a file of many stages with a trigger each; the browser build keeps the
        // search.)
        #[cfg(feature = "large-files")]
        let mut last_built_on = |s: usize| {
            last_built_on_each.get_or_insert_with(|| {
                let mut last = vec![None; a.stages.len()];
                for t in &a.stages {
                    if let BaseKind::Stage(b) = t.base_kind {
                        last[b] = Some(t.index);
                    }
                }
                last
            })[s]
        };
        #[cfg(not(feature = "large-files"))]
        let last_built_on = |s: usize| a.last_built_on(s);
        let limit = if r.origin == RefOrigin::OnbuildTrigger { last_built_on(r.in_stage) } else { Some(r.in_stage) };
        let Some(limit) = limit else { continue };
        let from = r.kind == RefKind::From;
        // FROM takes no index: the stage needs a name. (A close name is looked for below, as
        // for `--from`.)
        if let Some(n) = unnamed_stage_label(a, image).filter(|_| from) {
            from_labels.push((r.range, r.line, image.clone(), n));
            continue;
        }
        // A name that is no image name fails the build (a base's own error says so; `FROM
        // Builder` too: FROM matches names exactly), so any close name is a guess worth
        // making; a valid one is pulled, and taken for a typo only when it is a likely one
        // (`--from=rust` beside a stage `test` is the image). Most bases are images: a base is
        // no typo of a stage whose name it begins or is begun by either (`FROM alpine` beside
        // a stage `alpine3`).
        let valid = crate::reference::parse_normalized_named(image).is_ok();
        if image.contains([':', '/', '@']) || (from && !valid) {
            continue;
        }
        // (For a base of four or five characters, only a swap of neighbours: `FROM bash` beside
        // a stage `base` is the image.)
        let plausible = |c: &str| {
            let short_edit = image.chars().count() < 6 && !suggest::one_swap(image, c);
            !valid
                || (suggest::likely_typo(image, c)
                    && !(from && (short_edit || c.starts_with(image.as_str()) || image.starts_with(c))))
        };
        // One search per distinct name and kind (a base's key ends in a line break, which no
        // name holds): a file may pull one unknown image many times.
        let key = if from { format!("{image}\n") } else { image.clone() };
        let i = *searched.entry(key).or_insert_with(|| {
            if budget < names.len() {
                results.push(None);
                close_stages.push(None);
                return results.len() - 1;
            }
            budget -= names.len();
            // A name that is one part of exactly one stage's name (`set` of `license-set`) is
            // what a `--from` meant more surely than a name one edit away (`test`).
            // Only among names close enough to suggest at all: `--from=node` beside a stage
            // `node-deps` is most likely the image.
            let close = suggest::search(image, names.iter().map(String::as_str), true);
            let lower = image.to_lowercase();
            let (mut part, mut parts) = (None, 0);
            for n in names.iter().filter(|_| !from) {
                if *n != lower && has_part(n, &lower) {
                    part = Some(n);
                    parts += 1;
                }
            }
            let suggestion = close.and_then(|c| match part.filter(|_| parts == 1) {
                Some(part) => Some(part.clone()),
                None => plausible(&c).then_some(c),
            });
            results.push(suggestion.map(|name| {
                let stage = a.find_target(&name);
                (name, stage)
            }));
            close_stages.push(None);
            results.len() - 1
        });
        let through_variable = r.value.contains('$');
        let context =
            || suggest::search(image, a.context_names().iter().map(String::as_str), true).filter(|c| plausible(c));
        if let Some((mut suggestion, stage)) = results[i].clone() {
            // Already written so: BuildKit read the flag's bytes one by one (a non-ASCII name
            // comes out as `bÃ¤se`), and no edit of the text makes it match; the stage's name is
            // refused where it is defined.
            if a.text.get(usize::from(r.range.start())..usize::from(r.range.end())) == Some(suggestion.as_str()) {
                continue;
            }
            // A stage it cannot use: said, with no fix that would turn the pull into a failed
            // build.
            let how = match stage {
                Some(t) if t >= limit => {
                    // A close name among the stages it can use is what was meant (a name that a
                    // later stage takes again finds the later one): the first closest, as
                    // `suggest::search` picks, among the image's close stages before `limit` (found
                    // once per image: a search per reference was quadratic in stages), if it is
                    // a plausible one, as above. (FROM finds the last stage of a name before it,
                    // so any named stage may be the one.)
                    let last = last_of_name.get_or_insert_with(|| a.last_of_name());
                    let list = close_stages[i].get_or_insert_with(|| {
                        let len = image.chars().count();
                        let mut list = Vec::new();
                        for st in &a.stages {
                            let Some(n) = st.name.as_ref().filter(|_| from || last[st.index]) else { continue };
                            if n.chars().count().abs_diff(len) < 3 {
                                let d = suggest::levenshtein_below(image, n, 3);
                                if d < 3 {
                                    list.push((st.index, d));
                                }
                            }
                        }
                        list
                    });
                    let mut best: Option<(usize, usize)> = None;
                    for &(st, d) in list.iter().filter(|(st, _)| *st < limit) {
                        if best.is_none_or(|(_, b)| d < b) {
                            best = Some((st, d));
                        }
                    }
                    match best.and_then(|(st, _)| a.stages[st].name.clone()).filter(|n| plausible(n)) {
                        Some(earlier) => {
                            suggestion = earlier;
                            Found::Stage
                        }
                        // Most bases are images: a base close only to a later stage's name
                        // is left alone.
                        None if from => continue,
                        None => Found::Later(t),
                    }
                }
                _ => Found::Stage,
            };
            found.push((r.range, r.line, image.clone(), suggestion, how, through_variable));
        } else if let Some(n) = unnamed_stage_label(a, image) {
            // `stage-N` is only how stagecraft (and its graphs) show a stage without a name. Its
            // index is what was meant only where the stage may be used.
            let earlier = n < limit;
            found.push((r.range, r.line, image.clone(), n.to_string(), Found::Index(earlier), through_variable));
        } else if let Some(c) = cfg!(feature = "named-contexts").then(context).flatten() {
            found.push((r.range, r.line, image.clone(), c, Found::Context, through_variable));
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
    for (range, line, image, suggestion, how, through_variable) in found {
        let message = match how {
            Found::Index(true) => format!(
                "{}; refer to the stage by its index `{suggestion}`, or name it with `AS` on its FROM line",
                label(&image, &suggestion)
            ),
            Found::Index(false) => format!(
                "{}; this reference cannot use stage {suggestion}: a stage takes only from stages before it",
                label(&image, &suggestion)
            ),
            Found::Stage => format!(
                "no stage is named `{image}`, so BuildKit will pull an image called `{image}`; did you mean the stage `{suggestion}`?"
            ),
            Found::Context => format!(
                "no stage or named build context is named `{image}`, so BuildKit will pull an image called `{image}`; did you mean the named context `{suggestion}`?"
            ),
            Found::Later(t) => format!(
                "no stage is named `{image}`, so BuildKit will pull an image called `{image}`; the closest name is stage `{suggestion}` on line {}, which this reference cannot use: a stage takes only from stages before it",
                a.stages[t].line
            ),
        };
        #[cfg(feature = "build-failures")]
        let message = unless_no_image(
            message,
            &image,
            &format!("so BuildKit will pull an image called `{image}`"),
            &format!("and `{image}` is no image name either: the build fails on it"),
        );
        // No fix for a name that comes from a variable (`FROM ${BASE}`): writing the stage's
        // name there would drop the variable.
        let title = match how {
            _ if through_variable => None,
            Found::Index(true) => Some(format!("Use stage {suggestion} by its index")),
            Found::Index(false) => None,
            Found::Stage => Some(format!("Use stage `{suggestion}`")),
            Found::Context => Some(format!("Use the named context `{suggestion}`")),
            Found::Later(_) => None,
        };
        let fix = title.map(|title| Fix {
            title,
            edits: vec![TextEdit { range, new_text: suggestion.clone() }],
            applicability: Applicability::Unsafe,
        });
        a.diagnostics.push(Diagnostic::ours("unknown-stage", Severity::Warning, range, message, fix, (line, line)));
    }
}

/// `message` with its claim that BuildKit pulls `image` (`pull`) said as `instead` where
/// `image` is no image reference: BuildKit fails on it, as the error beside such a finding says.
/// (Native builds: the browser module, for its size, keeps the claim.)
#[cfg(feature = "build-failures")]
fn unless_no_image(message: String, image: &str, pull: &str, instead: &str) -> String {
    match crate::reference::parse_normalized_named(image) {
        Ok(_) => message,
        Err(_) => message.replacen(pull, instead, 1),
    }
}

/// What an unknown stage reference was taken for.
enum Found {
    /// A stage of that name, close to what is written.
    Stage,
    /// A stage without a name, by its `stage-N` label; whether this reference may use it.
    Index(bool),
    /// A named build context given for the build.
    Context,
    /// A stage of that name, close to what is written, that this reference cannot use: the
    /// stage that holds it, or a later one.
    Later(usize),
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
    let mut by_name: Map<String, usize> = Map::default();
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
        if split > 0 {
            found.push((
                "stage-reference-case",
                r.range,
                r.line,
                // (The stage as BuildKit keeps its name: said as declared, `Base`, it would
                // read as the name written.)
                format!(
                    "`FROM {image}` does not match stage `{lower}`: stage names are lower-cased, and FROM matches them exactly; write `{lower}`"
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
            let message = format!(
                "`FROM {image}` names a stage defined later (line {}); FROM only sees earlier stages, so BuildKit pulls an image called `{image}`: move stage `{}` above this one",
                later.line,
                later.display_name()
            );
            #[cfg(feature = "build-failures")]
            let message = unless_no_image(
                message,
                image,
                &format!("so BuildKit pulls an image called `{image}`"),
                &format!("so BuildKit reads `{image}` as an image's name, which it is not: the build fails on it"),
            );
            found.push(("forward-stage-reference", r.range, r.line, message, None));
        }
    }
    for (code, range, line, message, fix) in found {
        a.diagnostics.push(Diagnostic::ours(code, Severity::Error, range, message, fix, (line, line)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indexed search finds what the plain one finds, on random names and patterns over a
    /// few characters (so that many match), upper-case ones in patterns and patterns that start
    /// with a variable included.
    #[cfg(feature = "large-files")]
    #[test]
    fn indexed_first_namers_agree_with_the_search() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let (mut found, mut tried) = (0, 0);
        for _ in 0..2000 {
            let (mut names, mut bases) = (Vec::new(), Vec::new());
            fn word(next: &mut impl FnMut(u64) -> u64, pattern: bool) -> String {
                let chars: &[u8] = if pattern { b"ab-A\0\0" } else { b"ab-" };
                (0..1 + next(4)).map(|_| char::from(chars[next(chars.len() as u64) as usize])).collect()
            }
            for s in 0..1 + next(40) as usize {
                if next(3) > 0 {
                    names.push((s, word(&mut next, false)));
                }
                if next(2) == 0 {
                    for _ in 0..1 + next(3) {
                        bases.push((s, word(&mut next, true)));
                    }
                }
            }
            let names: Vec<(usize, &str)> = names.iter().map(|(s, n)| (*s, n.as_str())).collect();
            let want = first_namers(&names, &bases);
            assert_eq!(first_namers_indexed(&names, &bases), want, "{names:?} {bases:?}");
            found += want.len();
            tried += names.len();
        }
        assert!(found > tried / 10, "{found} of {tried}: too few names matched to tell");
    }

    fn patterns(base: &str) -> Vec<String> {
        let mut out = Vec::new();
        name_patterns(&Lexer::new('\\'), base, |p| out.push(p));
        out
    }

    /// None set is tried even when all set fails: each `${V///T}` with `V` set to one
    /// character makes `T` twice (the empty pattern matches before and after it), so 17 levels
    /// pass the expansion limit; with `V` unset it is `z`.
    #[test]
    fn none_set_is_tried_when_all_set_fails() {
        let base = format!("{}z{}", "${V///".repeat(17), "}".repeat(17));
        assert_eq!(patterns(&base), ["z"]);
        // Three levels: all set expands too.
        let base = format!("{}z{}", "${V///".repeat(3), "}".repeat(3));
        assert_eq!(patterns(&base).len(), 2);
    }
}
