//! What moby's classic builder (the legacy builder, `DOCKER_BUILDKIT=0`) does with a build,
//! where it differs from BuildKit: how it reads the file ([`Analysis::legacy_view`]) and where it
//! fails first ([`Analysis::legacy_failure`]). It reads the file with BuildKit's parser and
//! instructions package, so a file fails to parse alike, and is taken to fail where BuildKit
//! does where none of these applies. Native builds only (the browser has no legacy view), with
//! the options kept (`probe`), which the view reads again.

use stagecraft_syntax::{TextRange, TextSize};

use crate::model::*;
use crate::{analyze, env, platform, reference, Analysis, BuildError, Options};

/// Where the legacy builder fails ([`Analysis::legacy_failure`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyFailure {
    /// The stage it fails in.
    pub stage: usize,
    /// The line it names (BuildKit's count of lines, as build errors say it).
    pub line: u32,
    /// Where in the text that line is named (for an editor's count of lines).
    pub offset: TextSize,
    /// Its message, as it says it (with why, in parentheses, where that is ours).
    pub message: String,
    /// What BuildKit does there.
    pub note: LegacyNote,
}

/// What BuildKit does where the legacy builder fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyNote {
    /// It builds it.
    Builds,
    /// It warns (DuplicateStageName), and builds.
    Warns,
    /// It sets the automatic platform ARGs, and builds.
    SetsPlatformArgs,
    /// It copies from the stage as its base left it (a trigger copying from the stage itself).
    CopiesFromBase,
    /// It fails there too, with the same error.
    FailsThere,
    /// It skips the stage (no target it builds needs it).
    SkipsStage,
}

/// A `COPY --from` the legacy builder fails on: its message is "invalid from flag value VALUE:
/// WHY".
struct CopyFrom<'a> {
    /// The stage that runs it.
    stage: usize,
    /// The `--from` value, as written.
    value: &'a str,
    why: String,
    /// Whether it is an inherited ONBUILD trigger's (run at the stage's FROM).
    trigger: bool,
    /// Where it is written (a trigger's in its base stage).
    at: TextSize,
    /// The value's range where the stage runs it.
    range: TextRange,
}

impl Analysis {
    /// The file's stage names, with the first and last stage of each (see [`NameSpans`]).
    fn name_spans(&self) -> NameSpans<'_> {
        let mut span = stagecraft_syntax::hash::Map::default();
        for t in &self.stages {
            if let Some(n) = t.name.as_deref() {
                span.entry(n).and_modify(|e: &mut (usize, usize)| e.1 = t.index).or_insert((t.index, t.index));
            }
        }
        NameSpans(span)
    }

    /// The file as the legacy builder reads it, where that differs from BuildKit's reading:
    /// it has no named build contexts, and it finds a FROM name among the stages built before
    /// in any case (`getByName` lower-cases it), where BuildKit looks a stage name up as written
    /// and takes `FROM BASE` for an image's. (A name written with variables is left as it is.)
    /// None where it reads the file as BuildKit does.
    pub fn legacy_view(&self) -> Option<Analysis> {
        let names = self.name_spans();
        let mut text: Option<String> = None;
        for s in &self.stages {
            let (BaseKind::Image(_), Some(range)) = (&s.base_kind, s.base_range) else { continue };
            let written = &self.text[range];
            let lowered = written.to_ascii_lowercase();
            if written != lowered && !written.contains('$') && names.built_before(s.index, &lowered) {
                text.get_or_insert_with(|| self.text.clone())
                    .replace_range(std::ops::Range::<usize>::from(range), &lowered);
            }
        }
        if text.is_none() && self.options.named_contexts.is_empty() {
            return None;
        }
        #[cfg(feature = "named-contexts")]
        let options = Options { named_contexts: Vec::new(), context_values: Vec::new(), ..self.options.clone() };
        #[cfg(not(feature = "named-contexts"))]
        let options = Options { named_contexts: Vec::new(), ..self.options.clone() };
        Some(analyze(text.as_deref().unwrap_or(&self.text), &options))
    }

    /// The legacy builder's first failure of its own in the build of stages `0..end` (it builds
    /// every stage up to the target, in order), where BuildKit, building `buildkit_stages`, does
    /// otherwise; None where it is taken to fail where BuildKit does. Call it on
    /// [`Analysis::legacy_view`] where there is one. In its order: a stage's name is checked at
    /// its start (a name an earlier stage has), then its FROM (a `--platform`, then a base name,
    /// that it reads otherwise), then the triggers it runs of its base stage, at the FROM (an
    /// option only BuildKit has, a `--from` it cannot look up), then its own instructions (the
    /// same, a COPY of heredocs only, and a word that does not expand in a stage BuildKit skips).
    pub fn legacy_failure(&self, end: usize, buildkit_stages: &[usize]) -> Option<LegacyFailure> {
        self.legacy_failures(&[(end, buildkit_stages)]).pop().flatten()
    }

    /// [`Analysis::legacy_failure`] for several builds of this file at once (each target's: the
    /// stages `0..end` the legacy builder builds, and BuildKit's stages), in their order. Each
    /// kind of failure is looked for once, in every stage: the first of a kind in a build is the
    /// first in the file when that one's stage is in the build, and none otherwise (each is the
    /// first in stage order). Only the failure of a step in a stage BuildKit skips depends on
    /// what BuildKit builds. Call it on an analysis that dispatches every stage (no `--target`,
    /// not only the needed stages: the legacy builder meets the steps of stages BuildKit skips),
    /// as the language server's is and `plan` makes one.
    pub fn legacy_failures(&self, builds: &[(usize, &[usize])]) -> Vec<Option<LegacyFailure>> {
        debug_assert!(
            !self.options.only_needed_stages && self.options.target_name().is_none(),
            "legacy_failures reads an analysis of every stage"
        );
        let end = builds.iter().map(|b| b.0).max().unwrap_or(0).min(self.stages.len());
        let zero = TextSize::new(0);
        // (stage, step, where, the failure), ordered by the first three.
        let mut found: Vec<(usize, u8, TextSize, LegacyFailure)> = Vec::new();
        // (`line` is BuildKit's line of `offset`.)
        let failure = |stage: usize, (line, offset): (u32, TextSize), message: String, note: LegacyNote| {
            LegacyFailure { stage, line, offset, message, note }
        };
        let at_from = |s: usize| (self.stages[s].line, self.stages[s].from_range.start());
        let at = |offset: TextSize| (self.line_of(offset), offset);
        if let Some(s) = self.legacy_name_clash(end) {
            let message = format!("{} stage name already used", self.stages[s].display_name());
            found.push((s, 0, zero, failure(s, at_from(s), message, LegacyNote::Warns)));
        }
        // (Not where the file does not parse: both builders read it with BuildKit's parser and
        // instructions package, and fail alike, an unknown flag too.)
        let parses = !self.build_error.as_ref().is_some_and(|e| matches!(e.phase, "parse" | "instructions"));
        // A step that fails in a stage BuildKit skips, which the legacy builder builds: a word
        // that does not expand (it expands each instruction's words as BuildKit does, with the
        // instructions package they share). Found as the first failure of the lint that
        // dispatches every stage: another failure before it hides it. (Its other steps'
        // failures are BuildKit's own checks, or not read here.)
        let mut skipped = None;
        if parses {
            if let Some((s, message, automatic, base)) = self.legacy_from_failure(end) {
                let (message, note) = if automatic {
                    let why =
                        "the legacy builder sets no automatic platform ARG, such as BUILDPLATFORM or TARGETPLATFORM";
                    (format!("{message} ({why})"), LegacyNote::SetsPlatformArgs)
                } else {
                    (message, LegacyNote::Builds)
                };
                // (The platform is read before the base.)
                let after = if base { self.stages[s].from_range.end() } else { zero };
                found.push((s, 1, after, failure(s, at_from(s), message, note)));
            }
            if let Some((s, range, message, after, buildkit)) = self.legacy_buildkit_option(end) {
                let step = if range == self.stages[s].from_range { 2 } else { 3 };
                let note = if buildkit { LegacyNote::FailsThere } else { LegacyNote::Builds };
                found.push((s, step, after, failure(s, at(range.start()), message, note)));
            }
            if let Some(f) = self.legacy_copy_from_failure(end) {
                let trigger = if f.trigger {
                    " (in the stage's inherited ONBUILD trigger, which the legacy builder runs at the FROM)"
                } else {
                    ""
                };
                let message = format!("invalid from flag value {}: {}{trigger}", f.value, f.why);
                let own = self.references.iter().any(|r| r.range == f.range && r.stage() == Some(f.stage));
                let note = if f.trigger && own { LegacyNote::CopiesFromBase } else { LegacyNote::Builds };
                let (step, place) = if f.trigger { (2, at_from(f.stage)) } else { (3, at(f.range.start())) };
                found.push((f.stage, step, f.at, failure(f.stage, place, message, note)));
            }
            // Only where a build has a stage BuildKit skips: fewer of BuildKit's stages (each
            // once) are among its `0..end` than there are.
            let skips = |&(end, built): &(usize, &[usize])| built.iter().filter(|&&s| s < end).count() < end;
            // (This analysis dispatches every stage: its first failure is the lint's.)
            if builds.iter().any(skips) {
                skipped = self.build_error().filter(|e| e.phase == "dispatch").and_then(|e| {
                    let range = e.range?;
                    let s = self.stage_at(range.start()).filter(|&s| s < end)?;
                    let expands = self.diagnostics.iter().any(|d| d.code == "invalid-expansion" && d.range == range);
                    let message = e.message_without_line().to_string();
                    expands
                        .then(|| (s, 3, range.start(), failure(s, at(range.start()), message, LegacyNote::SkipsStage)))
                });
            }
        }
        builds
            .iter()
            .map(|&(end, built)| {
                let skipped = skipped.as_ref().filter(|f| f.0 < end && !built.contains(&f.0));
                let first = found.iter().chain(skipped).filter(|f| f.0 < end).min_by_key(|f| (f.0, f.1, f.2));
                first.map(|f| {
                    let mut f = f.3.clone();
                    // BuildKit's own error at a step of a stage this build of BuildKit's skips:
                    // not met there.
                    if f.note == LegacyNote::FailsThere && !built.contains(&f.stage) {
                        f.note = LegacyNote::SkipsStage;
                    }
                    f
                })
            })
            .collect()
    }

    /// Whether the legacy builder, building stages `0..end`, meets BuildKit's error `e` of this
    /// view where [`Analysis::legacy_failure`] finds none of its own: all but BuildKit's failure
    /// at an image name in those stages (a base or a `--from`, in its wrap "failed to parse
    /// stage name"), whose reading `legacy_failure` models (an image's ID, say, names a local
    /// image there).
    pub fn legacy_meets(&self, e: &BuildError, end: usize) -> bool {
        let image = e.phase == "resolve-stages" && e.message.starts_with("failed to parse stage name");
        !(image && e.range.and_then(|r| self.stage_at(r.start())).is_some_and(|s| s < end))
    }

    /// The first of the stages `0..end` whose name an earlier one has: the legacy builder fails
    /// there ("NAME stage name already used"), where BuildKit warns (DuplicateStageName).
    pub fn legacy_name_clash(&self, end: usize) -> Option<usize> {
        let mut seen = stagecraft_syntax::hash::Map::default();
        let shared = self.stages.iter().take(end).filter(|s| self.name_shared.get(s.index) == Some(&true));
        shared
            .filter_map(|s| Some((s.index, s.name.as_ref()?)))
            .find(|&(_, n)| seen.insert(n, ()).is_some())
            .map(|(s, _)| s)
    }

    /// The first instruction of stages `0..end` that the legacy builder fails on for what only
    /// BuildKit has, with its message: an option ("the --mount option requires BuildKit. Refer
    /// to ..."): any flag of a RUN (its `dispatchRun` takes none; for several, it names one at
    /// random, the first of a Go map's), a `--chmod` with a value on COPY or ADD; or a COPY or ADD
    /// whose only sources are heredocs (it reads the source paths only: "COPY failed: no source
    /// files were specified"). In a stage's own instructions, or in the triggers it runs of a
    /// base stage's ONBUILDs (at its FROM, where it runs them). The stage, the range to point
    /// at, the message, and where it is in the legacy builder's order (a trigger's where it is
    /// written in its base stage, as the triggers run in that order; a COPY's sources are read
    /// after its `--from`, so at the instruction's end), and whether it is BuildKit's error too
    /// (a RUN's mount it cannot read, when that is BuildKit's first error: one in a stage
    /// BuildKit skips, or in a trigger, is not seen here). (A trigger's heredocs are not read:
    /// the classic builder parses a trigger as one line.)
    fn legacy_buildkit_option(&self, end: usize) -> Option<(usize, TextRange, String, TextSize, bool)> {
        use stagecraft_syntax::ast::AstNode;
        use stagecraft_syntax::SyntaxKind::{ADD_INSTR, COPY_INSTR, RUN_INSTR};
        let requires = |option: &str| {
            format!("the --{option} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled")
        };
        let needs = |i: &stagecraft_syntax::ast::Instruction, trigger: bool| match i.kind() {
            RUN_INSTR => {
                let mut names: Vec<String> = Vec::new();
                for f in i.flags() {
                    if !names.contains(&f.name()) {
                        names.push(f.name());
                    }
                }
                let first = names.first()?;
                // (It expands a RUN's words before it runs it, and reads its mounts there: a
                // mount BuildKit fails on at this RUN fails it first, alike.)
                let here = |r: TextRange| i.syntax().text_range().contains_range(r);
                let mounts = || i.flags().filter(|f| f.is("mount")).map(|f| f.syntax().text_range());
                let failing = |m: TextRange| {
                    self.diagnostics.iter().any(|d| d.severity == Severity::Error && m.contains_range(d.range))
                };
                let error = self.build_error.as_ref().filter(|e| e.phase == "dispatch" && e.range.is_some_and(here));
                if let Some(e) = error.filter(|_| !trigger && mounts().any(failing)) {
                    return Some((e.message_without_line().to_string(), i.range().start(), true));
                }
                let mut message = requires(first);
                if names.len() > 1 {
                    let all = names.iter().map(|n| format!("--{n}")).collect::<Vec<_>>().join(", ");
                    message.push_str(&format!(
                        " (or another of the RUN's flags, {all}: the legacy builder names one of them at random)"
                    ));
                }
                Some((message, i.range().start(), false))
            }
            COPY_INSTR | ADD_INSTR => {
                if i.flag("chmod").is_some_and(|f| f.value().is_some_and(|v| !v.is_empty())) {
                    return Some((requires("chmod"), i.range().start(), false));
                }
                // (Its words are the sources and the destination; the heredocs are sources.)
                let heredocs = i.heredocs().len();
                let only_heredocs = !trigger && heredocs > 0 && i.json().is_none() && i.words().count() == heredocs + 1;
                let keyword = if i.kind() == COPY_INSTR { "COPY" } else { "ADD" };
                only_heredocs.then(|| {
                    let message = format!("{keyword} failed: no source files were specified (the legacy builder reads no heredoc as a source)");
                    (message, i.range().end(), false)
                })
            }
            _ => None,
        };
        let instructions: Vec<_> = self.parse.tree().instructions().collect();
        let of = |s: &Stage| of_stage(&instructions, s);
        for s in self.stages.iter().take(end) {
            if let BaseKind::Stage(b) = s.base_kind {
                let triggers = of(&self.stages[b]).iter().filter_map(|i| i.trigger());
                if let Some((message, at, buildkit)) = triggers.into_iter().find_map(|t| needs(&t, true)) {
                    return Some((s.index, s.from_range, message, at, buildkit));
                }
            }
            if let Some((i, (message, at, buildkit))) = of(s).iter().find_map(|i| Some((i, needs(i, false)?))) {
                return Some((s.index, i.syntax().text_range(), message, at, buildkit));
            }
        }
        None
    }

    /// The RUN instructions in shell form with a heredoc, in the stages `0..end`, each with its
    /// stage: the legacy builder runs them without their heredocs' bodies. Its `dispatchRun`
    /// runs the command line, which is the RUN's first line, and reads no heredoc (BuildKit
    /// makes a script or the command's input of them): `RUN <<EOF` runs `sh -c '<<EOF'`, which
    /// does nothing and succeeds, and `RUN python3 <<EOF` runs python3 with no input. (Read in
    /// moby 26.1.5's builder/dockerfile, Debian's golang-github-docker-docker-dev. A trigger's
    /// are not listed: the classic builder parses a trigger as one line.) Only those before it
    /// fails: at `failure`, its own ([`Analysis::legacy_failure`] of the same build), else
    /// BuildKit's error where it meets that, and none where the file does not parse.
    pub fn legacy_unrun_heredocs(&self, end: usize, failure: Option<&LegacyFailure>) -> Vec<(usize, TextRange)> {
        use stagecraft_syntax::ast::AstNode;
        let before = |s: usize, r: TextRange| match failure {
            Some(f) => (s, r.start()) < (f.stage, f.offset),
            None => match self.build_error().filter(|e| self.legacy_meets(e, end)) {
                Some(e) if matches!(e.phase, "parse" | "instructions") => false,
                Some(e) => e.range.is_some_and(|at| r.start() < at.start()),
                None => true,
            },
        };
        let instructions: Vec<_> = self.parse.tree().instructions().collect();
        let mut found = Vec::new();
        for s in self.stages.iter().take(end) {
            for i in of_stage(&instructions, s) {
                let run = i.kind() == stagecraft_syntax::SyntaxKind::RUN_INSTR;
                let range = i.syntax().text_range();
                if run && i.json().is_none() && !i.heredocs().is_empty() && before(s.index, range) {
                    found.push((s.index, range));
                }
            }
        }
        found
    }

    /// The first `COPY --from` of the stages `0..end` that the legacy builder cannot look up,
    /// in its order, with why: its own instructions', and the inherited ONBUILD triggers' it runs
    /// at the FROM, before the stage is among its built stages (`trigger`). It looks a value up
    /// as written (`getImageMount`: it expands no variable in `--from`), in turn as the name of
    /// a stage built before (any case: `getByName` lower-cases it), as an index (`ParseInt`;
    /// `validateIndex`: one that is not before the stage fails), then as an image (a reference
    /// that does not parse fails). A stage's own name, or a later stage's, is no built stage
    /// there, so it is pulled as an image, where BuildKit copies from that stage.
    /// (With where the `--from` is written: a stage's triggers run in that order, then its own
    /// instructions.)
    fn legacy_copy_from_failure(&self, end: usize) -> Option<CopyFrom<'_>> {
        let names = self.name_spans();
        // (Not a trigger where it is written: it runs in the stages built on that one.)
        let run =
            |r: &&StageRef| r.in_stage < end && r.kind == RefKind::CopyFrom && r.origin != RefOrigin::OnbuildTrigger;
        let fails = self.references.iter().filter(run);
        let fails = fails.filter_map(|r| {
            let value = r.value.as_str();
            let why = if value.is_empty() || names.built_before(r.in_stage, &value.to_lowercase()) {
                return None;
            } else if let Ok(n) = value.parse::<i64>() {
                match n.cmp(&(r.in_stage as i64)) {
                    std::cmp::Ordering::Less if n >= 0 => return None,
                    std::cmp::Ordering::Equal => "refers to current build stage".to_string(),
                    _ => "index out of bounds".to_string(),
                }
            } else if let Some(e) = reference::parse_normalized_named(value).err().filter(|_| !reference::is_image_id(value)) {
                e
            } else if names.at_or_after(r.in_stage, &value.to_lowercase()) {
                format!("no stage `{value}` is built yet, so it pulls `{value}` as an image (or takes a local image of that name)")
            } else {
                return None;
            };
            let (trigger, at) = match r.origin {
                RefOrigin::Inherited { trigger_range } => (true, trigger_range.start()),
                _ => (false, r.range.start()),
            };
            Some(CopyFrom { stage: r.in_stage, value, why, trigger, at, range: r.range })
        });
        fails.min_by_key(|f| (f.stage, !f.trigger, f.at))
    }

    /// The first of the stages `0..end` whose `FROM` the legacy builder cannot read, with its
    /// message, whether it reads an automatic platform ARG, unset there, and whether it is the
    /// base image (else the platform). It sets none of the automatic platform ARGs
    /// (`BUILDPLATFORM`, `TARGETPLATFORM`, ...): a value reads the global ARGs only (their
    /// defaults, or the build args given for them). So `--platform=$BUILDPLATFORM` expands to
    /// nothing there, and `initializeStage` fails ("failed to parse platform ..."), where
    /// BuildKit builds. Then the base (`getFromImage`, `getImageOrStage`): a name that expands to
    /// nothing fails; one that names a stage built before, in any case, is that stage (where
    /// BuildKit looks a stage's name up as written, so `FROM BASE` fails there as an image's);
    /// else an image reference that does not parse fails, as it is written.
    fn legacy_from_failure(&self, end: usize) -> Option<(usize, String, bool, bool)> {
        let names = self.name_spans();
        use stagecraft_syntax::shell::Lexer;
        let lexer = Lexer::new(self.parse.tree().escape_char());
        // `GetAllMeta`: each global ARG's build arg, else its default (expanded with those
        // before it), else nothing.
        let mut env: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for g in &self.global_args {
            let value = match (self.options.build_arg(&g.key), &g.value) {
                (Some(v), _) => Some(v.to_string()),
                (None, Some(d)) => lexer.process_word(d, &env).ok().map(|e| e.result),
                (None, None) => None,
            };
            // (An `ARG` again without a value unsets it there: `AddMetaArg` with none.)
            match value {
                Some(v) => env.insert(g.key.clone(), v),
                None => env.remove(&g.key),
            };
        }
        // (The automatic platform ARGs' names.)
        let amd64 = platform::Platform::default_linux_amd64();
        let builtins = env::builtin_args(&amd64, &amd64, "");
        let automatic =
            |unmatched: &stagecraft_syntax::shell::Names| unmatched.into_iter().any(|n| builtins.get(n).is_some());
        self.stages.iter().take(end).find_map(|s| {
            if let Some(raw) = s.platform.as_deref().filter(|p| p.contains('$')) {
                let failure = match lexer.process_word(raw, &env) {
                    // (A word that fails names its variables in the text only.)
                    Err(e) => {
                        let named = builtins.keys().any(|k| !env.contains_key(k) && raw.contains(k));
                        Some((format!("failed to process arguments for platform : {e}"), named))
                    }
                    Ok(e) => platform::parse(&e.result)
                        .err()
                        .map(|p| (format!("failed to parse platform {}: {p}", e.result), automatic(&e.unmatched))),
                };
                if let Some((message, automatic)) = failure {
                    return Some((s.index, message, automatic, false));
                }
            }
            // (A base that does not expand fails as the word's error, `getExpandedString`'s.)
            let e = match lexer.process_word(&s.base, &env) {
                Ok(e) => e,
                Err(e) => {
                    let named = builtins.keys().any(|k| !env.contains_key(k) && s.base.contains(k));
                    return Some((s.index, e.to_string(), named, true));
                }
            };
            let name = e.result;
            if name.is_empty() {
                let message = format!("base name ({}) should not be blank", s.base);
                return Some((s.index, message, automatic(&e.unmatched), true));
            }
            let lowered = name.to_lowercase();
            // (An image's ID, 64 hex digits, names a local image there.)
            if name == "scratch" || reference::is_image_id(&name) || names.built_before(s.index, &lowered) {
                return None;
            }
            let message = reference::parse_normalized_named(&name).err()?;
            Some((s.index, message, automatic(&e.unmatched), true))
        })
    }
}

/// A stage's instructions, found by its range (`instructions` are the file's, in text order).
fn of_stage<'i>(
    instructions: &'i [stagecraft_syntax::ast::Instruction],
    s: &Stage,
) -> &'i [stagecraft_syntax::ast::Instruction] {
    use stagecraft_syntax::ast::AstNode;
    let start = instructions.partition_point(|i| i.syntax().text_range().start() < s.range.start());
    let end = instructions.partition_point(|i| i.syntax().text_range().start() < s.range.end());
    &instructions[start..end]
}

/// Each stage name (lower-case, as names are kept) with the first and the last stage that has
/// it: made once for a search over the stages, which asked each stage's name of the stages
/// before it (`plan --legacy` on a 32,000-stage chain took 2.2 s).
struct NameSpans<'a>(stagecraft_syntax::hash::Map<&'a str, (usize, usize)>);

impl NameSpans<'_> {
    /// Whether a stage before stage `end` has the name: one the legacy builder has built when it
    /// reaches `end` (`getByName`).
    fn built_before(&self, end: usize, name: &str) -> bool {
        self.0.get(name).is_some_and(|&(first, _)| first < end)
    }

    /// Whether stage `s` or a later one has the name.
    fn at_or_after(&self, s: usize, name: &str) -> bool {
        self.0.get(name).is_some_and(|&(_, last)| last >= s)
    }
}
