//! The analysis pipeline, in BuildKit's order: parse, instructions, stage names, meta ARGs,
//! dispatch states (FROM expansion), the dependency graph, stage resolution, ONBUILD triggers
//! and dispatch. Each step adds to the model and to the diagnostics. Once BuildKit would have
//! stopped with an error, later BuildKit checks are still reported, marked as not reported by
//! BuildKit, so that an editor keeps showing them.

use stagecraft_syntax::hash::Map;
use stagecraft_syntax::sort;
use std::rc::Rc;

use stagecraft_syntax::ast::{AstNode, Flag, Instruction};
use stagecraft_syntax::heredoc::{self, parse_heredoc};
use stagecraft_syntax::info::{FlagInfo, InstructionInfo, PairInfo};
use stagecraft_syntax::shell::{EnvList, Lexer};
use stagecraft_syntax::SyntaxKind::*;
use stagecraft_syntax::{directives, go, LineIndex, Parse, SyntaxErrorKind, TextRange, TextSize, KEYWORDS};

use crate::copy;
use crate::env::{builtin_args, Expander, Scope, Text, Vars, DEFAULT_PATH};
use crate::instructions::{self, csv_fields, valid_stage_name, LintHit};
use crate::model::*;
use crate::platform::{self, Platform};
use crate::reference::parse_normalized_named;
use crate::rules::{self, CheckConfig, Rule};
use crate::suggest;
use crate::Options;

/// Everything the pipeline computes.
pub(crate) struct Output {
    pub(crate) check: CheckConfig,
    pub(crate) global_args: Vec<GlobalArg>,
    pub(crate) stages: Vec<Stage>,
    pub(crate) references: Vec<StageRef>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) build_error: Option<BuildError>,
    /// For each stage, the stages and external images it depends on directly.
    pub(crate) deps: Vec<Vec<Dep>>,
    /// The keys of the named build contexts given for the build.
    pub(crate) context_keys: Vec<String>,
    /// For each stage: another stage has its name too.
    pub(crate) name_shared: Vec<bool>,
    /// [`Options::platform`] was given and parses: every stage's OS is known.
    pub(crate) platform_given: bool,
    /// The stage SOURCE_DATE_EPOCH names, and where the global ARG writes its name (when it
    /// is written there as it is, and no build arg replaces it).
    pub(crate) epoch_stage: Option<(usize, Option<TextRange>)>,
    /// The build error's other line spans (see [`Engine::error_lines`]).
    #[cfg(feature = "build-failures")]
    pub(crate) error_lines: Vec<(u32, u32)>,
    /// The key of the named build context SOURCE_DATE_EPOCH names.
    pub(crate) epoch_context: Option<String>,
    /// For each stage a named context replaces: the stages its steps use, which BuildKit still
    /// dispatches (their findings and failures count) but does not build.
    pub(crate) dispatch_only: Vec<Vec<usize>>,
    /// What [`Engine::probe`] found.
    #[cfg(feature = "probe")]
    pub(crate) probed: Option<Probed>,
    /// What a run [`Engine::with_uses`] found: each variable expanded (its range, name and
    /// where its value was set), in no order, a range's last entry the one that holds.
    #[cfg(feature = "probe")]
    pub(crate) uses: Vec<(TextRange, String, Origin)>,
}

/// The variables BuildKit expands a word with, at one place of the file (a hover's question):
/// recorded by an analysis run with a probe, just before the instruction (or the ARG pair) that
/// holds the place expands it.
#[derive(Debug, Clone)]
pub(crate) struct Probed {
    pub(crate) env: Vars,
    /// ARGs declared in the stage so far, as keys (an unset one is no UndefinedVar).
    pub(crate) build_args: Vars,
    /// Where each variable of `env` was set last, as far as the file says.
    pub(crate) origins: Scope<Origin>,
}

/// Where a variable's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `ENV`, at the key.
    Env(TextRange),
    /// A stage's `ARG` with its default (or the global ARG's value it takes), at the key.
    Arg(TextRange),
    /// A stage's or a global `ARG` given a value with `--build-arg`, at the key.
    BuildArg(TextRange),
    /// A global `ARG`'s default, at the key.
    GlobalArg(TextRange),
    /// An automatic platform ARG, declared in the stage.
    Builtin,
}

/// One dependency of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dep {
    pub(crate) target: RefTarget,
    pub(crate) kind: EdgeKind,
    pub(crate) range: TextRange,
    /// A mount without `from=`: it uses the empty image, which graphs leave out.
    pub(crate) implicit: bool,
}

/// An instruction with its plain-data view, read once per analysis.
#[derive(Clone)]
struct Cmd<'a> {
    node: Instruction,
    info: InstructionInfo<'a>,
    /// A comment line stands above it (else it has no `prev_comments`).
    commented: bool,
}

/// The check settings as the engine hands them to each instruction. Shared in the native builds:
/// a clone per instruction counted two atomic reference counts up and down, 3% of an analysis.
/// A plain value in the browser build, where `Rc` costs bytes and the lists are plain vectors,
/// empty in most files.
#[cfg(feature = "large-files")]
type Settings = Rc<CheckConfig>;
#[cfg(not(feature = "large-files"))]
type Settings = CheckConfig;

#[cfg(feature = "large-files")]
fn share(settings: CheckConfig) -> Settings {
    Rc::new(settings)
}

#[cfg(not(feature = "large-files"))]
fn share(settings: CheckConfig) -> Settings {
    settings
}

#[cfg(feature = "large-files")]
fn unshare(settings: Settings) -> CheckConfig {
    Rc::unwrap_or_clone(settings)
}

#[cfg(not(feature = "large-files"))]
fn unshare(settings: Settings) -> CheckConfig {
    settings
}

/// Whether two settings are one (so equal without a comparison).
#[cfg(feature = "large-files")]
fn same(a: &Settings, b: &Settings) -> bool {
    Rc::ptr_eq(a, b)
}

#[cfg(not(feature = "large-files"))]
fn same(_: &Settings, _: &Settings) -> bool {
    false
}

/// A stage's instructions, as indices into [`Engine::cmds`].
struct StageSyntax {
    from: usize,
    commands: Vec<usize>,
}

/// A "dispatch state" in BuildKit's sense: a stage, or an external image some `--from` names.
#[derive(Debug, Clone)]
enum State {
    Stage(usize),
    /// An image a `--from` names: its name, its instruction (where BuildKit reports a bad
    /// name), the name as written (where the finding points), and whether BuildKit's error
    /// names the instruction's lines (a `COPY --from`'s does; a mount's state has no location
    /// in `detectRunMount`).
    External(String, TextRange, TextRange, bool),
}

/// The mount types BuildKit's `parseMount` takes (also what completion offers after `type=`).
pub(crate) const MOUNT_TYPES: [&str; 5] = ["bind", "cache", "tmpfs", "secret", "ssh"];
/// The cache mount's `sharing` values.
pub(crate) const MOUNT_SHARING: [&str; 3] = ["shared", "private", "locked"];

/// The named build contexts whose value BuildKit cannot load, by key, with why: a
/// `docker-image://` reference that does not parse (`NamedContext.load` returns
/// `ParseNormalizedNamed`'s error as it is; `scratch` is the empty image). The last value
/// given for a name counts (buildx keeps them in a map).
#[cfg(feature = "named-contexts")]
fn context_errors(options: &Options) -> Vec<(String, String)> {
    let mut errors: Vec<(String, String)> = Vec::new();
    for (name, value) in &options.context_values {
        let Ok(key) = crate::reference::context_key(name) else { continue };
        errors.retain(|(k, _)| *k != key);
        let Some(image) = value.strip_prefix("docker-image://") else { continue };
        if image == "scratch" {
            continue;
        }
        if let Err(e) = parse_normalized_named(image) {
            let message = format!(
                "{e}; the named build context {name}={value} names no image: write docker-image://NAME[:TAG], such as docker-image://alpine:3.20"
            );
            errors.push((key, message));
        }
    }
    errors
}

pub(crate) struct Engine<'a> {
    text: &'a str,
    parse: &'a Parse,
    index: &'a LineIndex,
    options: &'a Options,
    /// The keys of the named build contexts given for the build ([`crate::reference::context_key`]
    /// of each valid name).
    context_keys: Vec<String>,
    /// The named contexts' keys whose `docker-image://` value BuildKit cannot parse, with why.
    #[cfg(feature = "named-contexts")]
    context_errors: Vec<(String, String)>,
    /// The stages BuildKit resolves as reachable (`resolveReachableStages`: those dispatched),
    /// once known: where it loads named contexts.
    #[cfg(feature = "named-contexts")]
    reachable: Vec<bool>,
    /// Whether each stage is another's base, once the bases are resolved: made on the first
    /// trigger that names something (a search of the stages for each trigger was quadratic in
    /// a file of many stages with a trigger each; the browser build keeps the search).
    #[cfg(feature = "large-files")]
    built_on: Vec<bool>,
    /// For each stage: another stage has its name too (BuildKit's `DuplicateStageName`, if it
    /// runs, reports the later ones).
    name_shared: Vec<bool>,
    /// For each stage whose `--platform` parsed: whether its OS is Windows (none: the stage is
    /// for the target platform).
    stage_windows: Vec<Option<bool>>,
    /// The target platform ([`Options::platform`], parsed once; `linux/amd64` when none or one
    /// that does not parse) and whether one was given.
    target: Platform,
    platform_given: bool,
    epoch_stage: Option<(usize, Option<TextRange>)>,
    /// The other line spans BuildKit's error names beside [`BuildError::lines`]: a cycle of
    /// references names the instruction of each reference its search followed.
    #[cfg(feature = "build-failures")]
    error_lines: Vec<(u32, u32)>,
    epoch_context: Option<String>,
    /// SOURCE_DATE_EPOCH as BuildKit resolves it before it makes the stages (`Some(None)`:
    /// unset; see [`Engine::source_date_epoch`]); the stages' `ARG SOURCE_DATE_EPOCH` reads it.
    #[cfg(feature = "build-failures")]
    epoch_value: Option<Option<String>>,
    lexer: Expander,
    /// The file's check settings (shared: every instruction without a `# check=` comment of its
    /// own takes these).
    check: Settings,
    /// BuildKit has failed by now: its later checks never run.
    stopped: bool,
    /// While a stage runs its base stage's ONBUILD triggers: the stage's `FROM`, where BuildKit
    /// reports what they find, and the trigger.
    relocate: Option<(TextRange, TextRange)>,
    /// The ONBUILD triggers each stage runs (its base stage's), read once.
    triggers: Vec<Rc<Vec<Cmd<'a>>>>,
    /// The round of `resolveReachableStages` in which each stage the target needs is first
    /// needed (0: through written references; `usize::MAX`: not needed), and where the states
    /// of each round end: first those of the stages and their written `--from`s, which BuildKit
    /// resolves before it reads any inherited trigger, then those each round's triggers add.
    /// BuildKit reads a round's triggers once that round's images are resolved and platforms
    /// checked, and resolves what they add in the next.
    #[cfg(feature = "build-failures")]
    trigger_rounds: (Vec<usize>, Vec<usize>),
    /// A failure an inherited trigger's references meet (`toCommand` in `initOnBuildTriggers`):
    /// the stage that runs it, the trigger, and the error, which becomes the build's when
    /// BuildKit would reach it (after the first round, at its trigger; see `parse_triggers`).
    #[cfg(feature = "build-failures")]
    trigger_failures: Vec<(usize, TextRange, BuildError)>,
    /// The states an inherited trigger adds (images its `--from`s name), in order, each with
    /// the trigger: what is wrong with the image is said with a note naming it.
    #[cfg(feature = "build-failures")]
    trigger_images: Vec<(usize, TextRange)>,
    /// The stage last asked whether it has a CMD and whether an ENTRYPOINT (for the exec-form
    /// fix of JSONArgsRecommended): read once a stage, not once a CMD (25,000 CMDs in one stage
    /// took 5.6 s to check).
    #[cfg(feature = "build-failures")]
    cmd_kinds: Option<(usize, [bool; 2])>,
    build_error: Option<BuildError>,
    diagnostics: Vec<Diagnostic>,
    global_args: Vec<GlobalArg>,
    /// Every instruction of the file, in order.
    /// Shared so that a pass can read it while it changes the engine (an `Rc<Vec>`, not an
    /// `Rc<[_]>`, whose conversion would copy every instruction's record once more).
    cmds: Rc<Vec<Cmd<'a>>>,
    global_arg_syntax: Vec<usize>,
    stages: Vec<Stage>,
    syntax: Vec<StageSyntax>,
    references: Vec<StageRef>,
    deps: Vec<Vec<Dep>>,
    /// The stages each stage that a named context replaces takes from: not built, but BuildKit
    /// still follows them (it makes their steps, whose failures count).
    dispatch_only: Vec<Vec<usize>>,
    /// Global ARG values after expansion (built-ins first).
    globals: Vars,
    /// Every global ARG key, with or without a value.
    declared_globals: Vec<String>,
    /// The names a `FROM` may use (BuildKit's "not declared" check and its suggestions): the
    /// global scope's variables, built-ins included, then every global ARG key without a value.
    /// As keys of a [`Vars`] (values unused), read once the globals are known.
    from_arg_keys: Vars,
    /// How many more options "did you mean" may compare a name with, in this analysis (see
    /// [`SUGGESTION_BUDGET`]).
    suggestions_left: usize,
    /// BuildKit's states: stages, then external images as `--from` names them.
    states: Vec<State>,
    /// Stage names to their last definition (how `--from` finds them).
    names: Map<String, usize>,
    /// The check configuration of instructions with a `# check=` comment above them.
    /// By instruction, in file order (a vector searched by position: a map of this type would
    /// be more code in the wasm package).
    local_checks: Vec<(TextRange, Settings)>,
    /// Image references already validated (files repeat the same few bases): each name's
    /// index in `image_checks` (keyed as `names` is: one map type less in the wasm).
    image_names: Map<String, usize>,
    image_checks: Vec<Result<(), String>>,
    /// The variables written in one instruction (its range), in order, each with the range of
    /// the argument it is in, and for each name the use its next finding takes. Read once per
    /// instruction, on its first undefined variable: a walk of the instruction for each would be
    /// quadratic in one `ENV` of thousands of pairs.
    variables: Option<(TextRange, Vec<Use>, Map<String, usize>)>,
    /// What a probe run records.
    probe: ProbeState,
    /// Each global ARG's key with where the last one with a value is written: where a stage's
    /// `ARG` without a value takes its value from, for a probe (made once: a search of the
    /// global ARGs per such `ARG` made completion after `$` in a file of 40,000 take 2 s).
    #[cfg(feature = "probe")]
    global_origins: std::cell::OnceCell<stagecraft_syntax::hash::Map<String, TextRange>>,
}

/// Where a stage's variables were set: its environment's, its image config `Env`'s.
#[cfg(feature = "probe")]
type StageOrigins = (Scope<Origin>, Scope<Origin>);

/// A variable written in an instruction: its name, itself, the range of the argument it is in,
/// and the index of the next use of its name (`usize::MAX`: none; see `Engine::find_variable`).
type Use = (String, stagecraft_syntax::ast::Variable, TextRange, usize);

/// What a run with a probe records (see [`Probed`]): the place, what was found there, and
/// where each variable of the stage being dispatched (and of each stage dispatched) was set.
/// Without the `probe` feature it holds nothing, and the engine carries no code for it.
#[cfg(feature = "probe")]
#[derive(Default)]
struct ProbeState {
    at: Option<TextSize>,
    found: Option<Probed>,
    origins: StageOrigins,
    final_origins: Vec<StageOrigins>,
    /// In a run for every use ([`Engine::with_uses`]): each variable expanded, with where
    /// the value it is expanded with was set (a later entry for a range replaces an earlier).
    uses: Option<Vec<(TextRange, String, Origin)>>,
}

#[cfg(not(feature = "probe"))]
#[derive(Default)]
struct ProbeState {}

#[cfg(feature = "probe")]
impl ProbeState {
    fn active(&self) -> bool {
        self.at.is_some() || self.uses.is_some()
    }

    fn found(&self) -> bool {
        self.found.is_some()
    }

    /// Records the environment when `range` holds the place (`origins`: those of the global
    /// scope; `None`: the stage's).
    fn record(&mut self, range: TextRange, env: &Vars, build_args: &Vars, origins: Option<&Scope<Origin>>) {
        if self.at.is_some_and(|at| range.contains_inclusive(at)) {
            let origins = origins.unwrap_or(&self.origins.0).clone();
            self.found = Some(Probed { env: env.clone(), build_args: build_args.clone(), origins });
        }
    }

    /// `ENV` (also `image`: into the image config) or `ARG` set `key`.
    fn note(&mut self, key: &str, origin: Origin, image: bool) {
        self.origins.0.assign(key, origin);
        if image {
            self.origins.1.assign(key, origin);
        }
    }

    /// Stage `s` of `n` starts, on stage `base` if it is built on one: the base's variables,
    /// then its image config's `Env` again.
    fn stage_start(&mut self, n: usize, base: Option<usize>) {
        self.final_origins.resize(n, StageOrigins::default());
        self.origins = match base {
            Some(b) => {
                let (mut origins, image) = self.final_origins[b].clone();
                for (k, &o) in image.entries() {
                    origins.assign(k, o);
                }
                (origins, image)
            }
            None => StageOrigins::default(),
        };
    }

    fn stage_end(&mut self, s: usize) {
        self.final_origins[s] = std::mem::take(&mut self.origins);
    }
}

#[cfg(not(feature = "probe"))]
impl ProbeState {
    fn active(&self) -> bool {
        false
    }

    fn found(&self) -> bool {
        false
    }

    fn record(&mut self, _: TextRange, _: &Vars, _: &Vars, _: Option<&Scope<Origin>>) {}

    fn note(&mut self, _: &str, _: Origin, _: bool) {}

    fn stage_start(&mut self, _: usize, _: Option<usize>) {}

    fn stage_end(&mut self, _: usize) {}
}

impl<'a> Engine<'a> {
    pub(crate) fn new(text: &'a str, parse: &'a Parse, index: &'a LineIndex, options: &'a Options) -> Self {
        let escape = parse.tree().escape_char();
        let target = options.platform.as_deref().and_then(|p| crate::platform::parse_target(p).ok());
        Engine {
            text,
            parse,
            index,
            options,
            context_keys: if cfg!(feature = "named-contexts") {
                options.named_contexts.iter().filter_map(|c| crate::reference::context_key(c).ok()).collect()
            } else {
                Vec::new()
            },
            #[cfg(feature = "named-contexts")]
            context_errors: context_errors(options),
            #[cfg(feature = "named-contexts")]
            reachable: Vec::new(),
            #[cfg(feature = "large-files")]
            built_on: Vec::new(),
            name_shared: Vec::new(),
            stage_windows: Vec::new(),
            platform_given: target.is_some(),
            epoch_stage: None,
            #[cfg(feature = "build-failures")]
            error_lines: Vec::new(),
            epoch_context: None,
            #[cfg(feature = "build-failures")]
            epoch_value: None,
            target: target.unwrap_or_else(Platform::default_linux_amd64),
            lexer: Expander::new(escape),
            check: Settings::default(),
            stopped: false,
            relocate: None,
            triggers: Vec::new(),
            #[cfg(feature = "build-failures")]
            trigger_rounds: (Vec::new(), Vec::new()),
            #[cfg(feature = "build-failures")]
            trigger_failures: Vec::new(),
            #[cfg(feature = "build-failures")]
            trigger_images: Vec::new(),
            #[cfg(feature = "build-failures")]
            cmd_kinds: None,
            build_error: None,
            diagnostics: Vec::new(),
            global_args: Vec::new(),
            cmds: Rc::default(),
            global_arg_syntax: Vec::new(),
            stages: Vec::new(),
            syntax: Vec::new(),
            references: Vec::new(),
            deps: Vec::new(),
            dispatch_only: Vec::new(),
            globals: Vars::default(),
            declared_globals: Vec::new(),
            from_arg_keys: Vars::default(),
            suggestions_left: SUGGESTION_BUDGET,
            states: Vec::new(),
            names: Map::default(),
            local_checks: Vec::new(),
            image_names: Map::default(),
            image_checks: Vec::new(),
            variables: None,
            probe: ProbeState::default(),
            #[cfg(feature = "probe")]
            global_origins: std::cell::OnceCell::new(),
        }
    }

    /// Records the environment BuildKit expands the word at `at` with (see [`Probed`]).
    #[cfg(feature = "probe")]
    pub(crate) fn with_probe(mut self, at: TextSize) -> Self {
        self.probe.at = Some(at);
        self
    }

    /// Records, for every variable BuildKit expands, where the value it expands with was set
    /// (see [`Output::uses`]): a variable's references.
    #[cfg(feature = "probe")]
    pub(crate) fn with_uses(mut self) -> Self {
        self.probe.uses = Some(Vec::new());
        self
    }

    /// Where the last global ARG `key` with a value is written (see `global_origins`).
    #[cfg(feature = "probe")]
    fn global_origin(&self, key: &str) -> Option<TextRange> {
        let origins = self.global_origins.get_or_init(|| {
            let with_values = self.global_args.iter().filter(|a| a.value_expanded.is_some());
            with_values.map(|a| (a.key.clone(), a.key_range)).collect()
        });
        origins.get(key).copied()
    }

    #[cfg(not(feature = "probe"))]
    fn global_origin(&self, _: &str) -> Option<TextRange> {
        None
    }

    /// Whether this run records a probe (never in a build without the `probe` feature).
    fn probing(&self) -> bool {
        self.probe.active()
    }

    /// Whether the probe has what it asked for: the rest of the run can be skipped.
    fn probe_found(&self) -> bool {
        self.probe.found()
    }

    /// Takes the environment for the probe when `range` holds its place (`origins`: those of
    /// the global scope; `None`: the stage's).
    fn probe_here(&mut self, range: TextRange, env: &Vars, build_args: &Vars, origins: Option<&Scope<Origin>>) {
        if self.probing() && self.relocate.is_none() {
            #[cfg(feature = "probe")]
            if self.probe.uses.is_some() {
                self.record_uses(range, origins);
                return;
            }
            self.probe.record(range, env, build_args, origins);
        }
    }

    /// The variables written in `range` (a word, a pair or an instruction BuildKit expands
    /// next), with where the values they expand with were set.
    #[cfg(feature = "probe")]
    fn record_uses(&mut self, range: TextRange, origins: Option<&Scope<Origin>>) {
        let origins = origins.unwrap_or(&self.probe.origins.0);
        let covering = self.parse.syntax_node().covering_element(range);
        let Some(node) = covering.as_node().cloned().or_else(|| covering.parent()) else { return };
        let mut found = Vec::new();
        // (Not in an ONBUILD trigger: the stages built on this one expand it, each with its own.)
        let in_trigger = |n: &stagecraft_syntax::SyntaxNode| n.ancestors().any(|a| a.kind() == ONBUILD_INSTR);
        let variables = node.descendants().filter(|n| n.kind() == VARIABLE && range.contains_range(n.text_range()));
        for v in variables.filter(|v| !in_trigger(v)) {
            let name = v.children_with_tokens().find(|e| e.kind() == VAR_NAME).and_then(|e| e.into_token());
            if let Some((name, &origin)) = name.and_then(|n| Some((n.text().to_string(), origins.value(n.text())?))) {
                found.push((v.text_range(), name, origin));
            }
        }
        // And in the bodies of the COPY and ADD heredocs BuildKit expands.
        let bodies =
            node.descendants_with_tokens().filter_map(|e| e.into_token()).filter(|t| t.kind() == HEREDOC_CONTENT);
        for (at, name) in
            bodies.filter(|t| range.contains_range(t.text_range())).flat_map(|t| crate::queries::heredoc_variables(&t))
        {
            if let Some(&origin) = origins.value(&name) {
                found.push((at, name, origin));
            }
        }
        self.probe.uses.get_or_insert_with(Vec::new).extend(found);
    }

    pub(crate) fn run(mut self) -> Output {
        // BuildKit reads the check settings (`newRuleLinter`, and dockerui the build arg before
        // it reads the file) before it parses the file.
        self.check_directive();
        self.syntax_errors();
        self.collect();
        self.instructions();
        if self.stages.is_empty() && self.cmds.is_empty() && self.build_error.is_some() {
            // The parser already says the file has no instructions.
        } else if self.stages.is_empty() && self.diagnostics.iter().any(|d| d.code == "no-stage") {
            // The first instruction before any FROM already says it.
        } else if self.stages.is_empty() {
            let end = TextSize::of(self.text);
            self.fail(
                "no-stages",
                "dockerfile contains no stages to build: add a FROM instruction",
                None,
                "instructions",
            );
            if let Some(d) = self.diagnostics.last_mut() {
                d.range = TextRange::empty(end);
            }
        } else {
            self.stage_names();
            self.instruction_casing();
            self.meta_args();
            // A probe in the global scope has what it asked for.
            if !self.probe_found() {
                self.dispatch_states();
                self.dependency_graph();
                self.onbuild_triggers();
                // (Where named contexts are loaded: the triggers read may have made more needed.)
                #[cfg(feature = "named-contexts")]
                if !self.context_errors.is_empty() {
                    let target = self.build_target();
                    let direct = self.direct_deps();
                    self.reachable = self.dispatch_set(target, &direct, &crate::graph::closure(&direct, target));
                }
                #[cfg(feature = "build-failures")]
                self.resolve_stages(0, self.trigger_rounds.1.first().copied().unwrap_or(usize::MAX));
                #[cfg(not(feature = "build-failures"))]
                self.resolve_stages();
                self.dispatch();
                self.lint_violations();
            }
        }
        Output {
            check: unshare(self.check),
            global_args: self.global_args,
            stages: self.stages,
            references: self.references,
            diagnostics: self.diagnostics,
            build_error: self.build_error,
            deps: self.deps,
            context_keys: self.context_keys,
            name_shared: self.name_shared,
            platform_given: self.platform_given,
            epoch_stage: self.epoch_stage,
            #[cfg(feature = "build-failures")]
            error_lines: self.error_lines,
            epoch_context: self.epoch_context,
            dispatch_only: self.dispatch_only,
            #[cfg(feature = "probe")]
            probed: self.probe.found,
            #[cfg(feature = "probe")]
            uses: self.probe.uses.unwrap_or_default(),
        }
    }

    /// The check configuration for an instruction (the file's, or merged with a `# check=`
    /// comment above it).
    fn config_for(&self, instruction: TextRange) -> Settings {
        match self.local_checks.binary_search_by_key(&instruction.start(), |(r, _)| r.start()) {
            Ok(i) if self.local_checks[i].0 == instruction => self.local_checks[i].1.clone(),
            _ => self.check.clone(),
        }
    }

    // ---- reporting ----

    /// BuildKit's line span of a range (see [`LineIndex::buildkit_lines`]).
    fn lines(&self, range: TextRange) -> (u32, u32) {
        self.index.buildkit_lines(range, self.text)
    }

    fn lint(&mut self, hit: LintHit, config: &CheckConfig) {
        if !config.enabled(&hit.rule) {
            return;
        }
        let severity = if self.check.error { Severity::Error } else { Severity::Warning };
        // A trigger's finding goes where BuildKit puts it, without a fix: the edit would be in
        // the trigger, which every stage built on its stage runs.
        let (range, instruction, fix, trigger) = match self.relocate {
            Some((from, trigger)) => (from, from, None, Some(trigger)),
            None => (hit.range, hit.instruction, hit.fix, None),
        };
        let lines = self.lines(instruction);
        self.diagnostics.push(Diagnostic {
            code: hit.rule.name.to_string(),
            severity,
            range,
            message: hit.message,
            url: hit.rule.url(),
            fix,
            unnecessary: false,
            buildkit_reports: !self.stopped,
            lines,
            trigger,
        });
    }

    fn hit(&mut self, rule: Rule, message: String, range: TextRange, instruction: TextRange, config: &CheckConfig) {
        self.hit_fixed(rule, message, (range, instruction), None, config);
    }

    /// [`Engine::hit`] with a fix.
    fn hit_fixed(
        &mut self,
        rule: Rule,
        message: String,
        at: (TextRange, TextRange),
        fix: Option<Fix>,
        config: &CheckConfig,
    ) {
        let (range, instruction) = at;
        self.lint(LintHit { rule, message, range, instruction, fix }, config);
    }

    /// A build failure: an error diagnostic, and BuildKit stops (the first one is BuildKit's).
    fn fail(&mut self, code: &str, message: &str, range: Option<TextRange>, phase: &'static str) {
        self.fail_in(code, message, range, range, phase);
    }

    /// [`Engine::fail`] at `range` (a word or flag) of the instruction at `instruction`, whose
    /// lines are the ones BuildKit names (none: BuildKit's error has no location).
    fn fail_in(
        &mut self,
        code: &str,
        message: &str,
        range: Option<TextRange>,
        instruction: Option<TextRange>,
        phase: &'static str,
    ) {
        // A trigger's failure is at the `FROM` of the stage that runs it (see `lint`).
        let trigger = self.relocate.map(|(_, t)| t);
        let range = self.relocate.map(|(from, _)| from).or(range);
        let instruction = self.relocate.map(|(from, _)| from).or(instruction);
        // (The browser build shows neither the build's error nor the lines BuildKit names.)
        let lines = instruction.filter(|_| cfg!(feature = "build-failures")).map(|r| self.lines(r));
        if !self.stopped {
            self.build_error = Some(BuildError { message: message.to_string(), range, lines, phase });
        }
        self.stopped = true;
        let range = range.unwrap_or_else(|| TextRange::empty(TextSize::new(0)));
        let lines = lines.unwrap_or_else(|| self.lines(range));
        self.diagnostics.push(Diagnostic {
            code: code.to_string(),
            severity: Severity::Error,
            range,
            message: message.to_string(),
            url: None,
            fix: None,
            unnecessary: false,
            buildkit_reports: false,
            lines,
            trigger,
        });
    }

    /// One of our own findings (BuildKit does not report it).
    fn ours(&mut self, code: &str, severity: Severity, range: TextRange, message: String, fix: Option<Fix>) {
        let lines = self.lines(range);
        self.diagnostics.push(Diagnostic::ours(code, severity, range, message, fix, lines));
    }

    // ---- parse ----

    fn syntax_errors(&mut self) {
        if cfg!(feature = "build-failures") && self.text.is_empty() {
            // BuildKit's frontend refuses an empty file before its parser says it has no
            // instructions.
            let message = "the Dockerfile cannot be empty: a Dockerfile needs at least one instruction, such as FROM";
            self.fail_in("syntax-error", message, Some(TextRange::default()), None, "parse");
            return;
        }
        let errors: Vec<_> = self.parse.errors().to_vec();
        // The directives' ranges, in order (found once: a file may repeat a directive thousands
        // of times, each an error).
        let directives: Vec<TextRange> = match errors.is_empty() {
            true => Vec::new(),
            false => self.parse.tree().directives().map(|d| d.syntax().text_range()).collect(),
        };
        let in_directive = |r: TextRange| {
            let i = directives.partition_point(|d| d.start() <= r.start());
            i > 0 && directives[i - 1].contains_range(r)
        };
        // The instructions' ranges, in order, where an error may be in one (found once, as the
        // directives').
        #[cfg(feature = "build-failures")]
        let instructions: Vec<(TextRange, bool)> = match errors.iter().any(|e| e.kind() == SyntaxErrorKind::Local) {
            true => self
                .parse
                .tree()
                .instructions()
                .map(|i| {
                    let heredoc = i.syntax().descendants_with_tokens().any(|e| e.kind() == HEREDOC_CONTENT);
                    (i.range(), heredoc)
                })
                .collect(),
            _ => Vec::new(),
        };
        for e in errors {
            // The lines BuildKit's parser names: a file with no instructions at its last line;
            // a directive it refuses at the line before it (it counts lines from 0 there); an
            // instruction it cannot read from its first line to the last of its continuation
            // lines (`withLocation(err, startLine, currentLine)`), also where the error is in a
            // continuation line. (Not for an instruction with heredocs, whose bodies come after
            // those lines: there the error's own lines.)
            #[cfg(feature = "build-failures")]
            let instruction = {
                let i = instructions.partition_point(|(r, _)| r.start() <= e.range().start());
                instructions.get(i.wrapping_sub(1)).filter(|(r, heredoc)| !heredoc && r.contains_range(e.range()))
            };
            let lines = if !cfg!(feature = "build-failures") {
                None
            } else if e.kind() == SyntaxErrorKind::NoInstructions {
                let b = self.text.as_bytes();
                let n = b.iter().filter(|&&c| c == b'\n').count() + usize::from(b.last().is_some_and(|&c| c != b'\n'));
                Some((n as u32, n as u32))
            } else if e.kind() == SyntaxErrorKind::LineTooLong {
                // A line BuildKit cannot read: up to the line before it, the last it read (from
                // the instruction on for a heredoc it leaves open: the range starts there).
                let (first, last) = (self.lines(e.range()).0, self.lines(TextRange::empty(e.range().end())).0 - 1);
                Some((if e.range().is_empty() { last } else { first }, last))
            } else if in_directive(e.range()) {
                let line = self.lines(e.range()).0.saturating_sub(1);
                Some((line, line))
            } else {
                #[cfg(feature = "build-failures")]
                let lines = instruction.map(|&(r, _)| self.lines(r));
                #[cfg(not(feature = "build-failures"))]
                let lines = None;
                lines
            };
            match lines {
                Some(lines) => {
                    self.fail_in("syntax-error", e.message(), Some(e.range()), None, "parse");
                    if let Some(b) = self.build_error.as_mut().filter(|b| b.range == Some(e.range())) {
                        b.lines = Some(lines);
                    }
                }
                None => self.fail("syntax-error", e.message(), Some(e.range()), "parse"),
            }
        }
    }

    fn check_directive(&mut self) {
        // `--build-arg BUILDKIT_DOCKERFILE_CHECK=...` replaces the file's `# check=` directive
        // (dockerui reads it into the `LinterConfig` that `newRuleLinter` prefers). The browser
        // build, within its size budget, reads the file's directive only.
        let from_build_arg =
            self.options.build_arg("BUILDKIT_DOCKERFILE_CHECK").filter(|_| cfg!(feature = "build-failures"));
        if let Some(value) = from_build_arg {
            match CheckConfig::parse(value) {
                Ok(c) => self.check = share(c),
                Err(e) => {
                    // (No line of the file is wrong: said where the value comes from.)
                    let message = format!(
                        "failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: {e}; the value is the build arg's (given with --build-arg or the editor's buildArgs setting), not this file's: write it as `skip=RuleA,RuleB;error=true`"
                    );
                    self.fail("invalid-check-directive", &message, None, "parse");
                }
            }
            self.unknown_checks(None);
            return;
        }
        let Some(d) = directives::find(self.text, "check") else { return };
        let range = self
            .parse
            .tree()
            .directives()
            .find(|x| x.name().as_deref() == Some("check"))
            .and_then(|x| x.value_range())
            .unwrap_or_else(|| self.index.line_range(d.line as u32, self.text).unwrap_or_default());
        match CheckConfig::parse(&d.first_word) {
            Ok(c) => self.check = share(c),
            // (BuildKit's error names no lines: `newRuleLinter` drops the directive's.)
            Err(e) => self.fail_in(
                "invalid-check-directive",
                &format!("failed to parse check options: {e}; use `# check=skip=RuleA,RuleB;error=true`"),
                Some(range),
                None,
                "parse",
            ),
        }
        self.unknown_checks(Some(range));
    }

    /// Names in `skip=` and `experimental=` that are no BuildKit check (`range`: the file's
    /// directive; `None`: the build arg).
    fn unknown_checks(&mut self, range: Option<TextRange>) {
        let whence = if range.is_none() { " (in BUILDKIT_DOCKERFILE_CHECK)" } else { "" };
        // (Said after the message, so that one string serves both.) Where each name was last
        // found in the value: a name written twice is marked at each place.
        let mut searched: Vec<(String, usize)> = Vec::new();
        for name in self.check.skip.iter().chain(self.check.experimental.iter()).cloned().collect::<Vec<_>>() {
            if rules::by_name(&name).is_some() {
                continue;
            }
            // (`skip=A, B`: BuildKit's directive value ends at the first blank.)
            let mut message = if name.is_empty() {
                "an empty check name: a stray comma, or a space (the value ends at the first one)".to_string()
            } else {
                format!("`{name}` is not a BuildKit check; it has no effect")
            };
            message.push_str(whence);
            if let Some(s) = suggest::search(&name, rules::ALL.iter().map(|r| r.name), true) {
                message.push_str(&format!(" (did you mean {s}?)"));
            }
            // At the name in the directive's value where it is written so (between `=`, `,` or
            // `;`), else the value.
            let at = match range {
                Some(r) => {
                    let from = searched.iter().rev().find(|(n, _)| *n == name).map_or(0, |&(_, end)| end);
                    let found = name_in_list(&self.text[r], &name, from);
                    if let Some((i, len)) = found {
                        searched.push((name.clone(), i + len));
                    }
                    found.map_or(r, |(i, len)| {
                        TextRange::at(r.start() + TextSize::new(i as u32), TextSize::new(len as u32))
                    })
                }
                None => TextRange::empty(TextSize::new(0)),
            };
            self.ours("unknown-check", Severity::Warning, at, message, None);
        }
    }

    /// Reads every instruction once, and reports BuildKit's parse-time empty-continuation
    /// warnings (before any instruction error, as BuildKit's parser does).
    fn collect(&mut self) {
        let config = self.check.clone();
        let mut cmds = Vec::with_capacity(self.parse.green().children().len() / 2);
        for (node, commented) in self.parse.tree().instructions_with_comment_flags() {
            let info = node.info_in(self.text);
            // Only an instruction spanning lines can have an empty continuation line.
            if self.text[info.range].contains('\n') {
                self.keyword_in_continuation(info.range, info.keyword_range);
                let empty = node.empty_continuation_lines(false);
                if let Some(&line) = empty.first() {
                    // The blank lines go, with their line breaks: BuildKit skips them anyway. (All
                    // of them: BuildKit warns once for the instruction.)
                    let edits = empty.iter().map(|line| {
                        let rest = &self.text[usize::from(line.end())..];
                        let eol = if rest.starts_with("\r\n") { 2 } else { u32::from(rest.starts_with(['\n', '\r'])) };
                        TextEdit {
                            range: TextRange::new(line.start(), line.end() + TextSize::new(eol)),
                            new_text: String::new(),
                        }
                    });
                    let title = if empty.len() == 1 { "Remove the empty line" } else { "Remove the empty lines" };
                    let fix = Fix { title: title.into(), edits: edits.collect(), applicability: Applicability::Safe };
                    self.hit_fixed(
                        rules::NO_EMPTY_CONTINUATION,
                        "Empty continuation line".into(),
                        (line, TextRange::empty(info.range.end())),
                        Some(fix),
                        &config,
                    );
                    // BuildKit reports the instruction's last line.
                    let last = self.lines(info.range).1;
                    if let Some(d) = self.diagnostics.last_mut().filter(|d| d.code == rules::NO_EMPTY_CONTINUATION.name)
                    {
                        d.lines = (last, last);
                    }
                }
            }
            #[cfg(feature = "build-failures")]
            {
                self.exec_form_not_json(&info);
                // (The trigger is written here, so the finding is too; BuildKit runs it in the
                // stages built on this one.)
                if let Some(trigger) = node.trigger() {
                    self.exec_form_not_json(&trigger.info_in(self.text));
                }
            }
            cmds.push(Cmd { node, info, commented });
        }
        self.cmds = Rc::new(cmds);
    }

    /// A RUN, CMD, ENTRYPOINT or HEALTHCHECK CMD written as a list that is not JSON (`CMD
    /// ['node', 'app.js']`): the shell form to BuildKit (see [`crate::exec_form`]).
    #[cfg(feature = "build-failures")]
    fn exec_form_not_json(&mut self, info: &InstructionInfo) {
        if info.json || !matches!(info.kind, RUN_INSTR | CMD_INSTR | ENTRYPOINT_INSTR | HEALTHCHECK_INSTR) {
            return;
        }
        let Some(command) = info.shell_command else { return };
        let written = &self.text[command];
        let trimmed = written.trim();
        // (Most commands do not start with `[`: looked at first.)
        if !trimmed.starts_with('[') || trimmed.contains(['\n', '\r']) {
            return;
        }
        let Some(n) = crate::exec_form::not_json(trimmed) else { return };
        let start = command.start() + TextSize::new((written.len() - written.trim_start().len()) as u32);
        let range = TextRange::at(start, TextSize::new(trimmed.len() as u32));
        let mut message = format!(
            "this is not JSON: {}, so BuildKit takes it for the shell form and runs it as a shell command line",
            n.why
        );
        let fix = n.json.map(|json| {
            // (A backtick in Markdown code needs a longer fence.)
            let code = if json.contains('`') { format!("`` {json} ``") } else { format!("`{json}`") };
            message.push_str(&format!("; write it as JSON: {code}"));
            Fix {
                title: "Write it as JSON".into(),
                edits: vec![TextEdit { range, new_text: json }],
                applicability: Applicability::Unsafe,
            }
        });
        self.ours("exec-form-not-json", Severity::Warning, range, message, fix);
    }

    /// `RUN make && \` and then `FROM scratch` (often after an empty line): the continuation
    /// makes the `FROM` a word of the `RUN`, and the stage it meant to start never exists. A
    /// line inside a continuation that starts with an instruction keyword in capitals and a
    /// blank is reported; heredocs (whose bodies may hold anything) are left alone, and so are
    /// the CMD of a HEALTHCHECK and the keyword that `ONBUILD \` takes on its next line.
    fn keyword_in_continuation(&mut self, range: TextRange, keyword_range: TextRange) {
        let full: &'a str = self.text;
        let text = &full[range];
        if text.contains("<<") {
            return;
        }
        // The escape character is `\\` or `` ` ``; bytes keep this small in the wasm.
        let escape = self.lexer.escape();
        let b = text.as_bytes();
        let blank = |c: u8| c == b' ' || c == b'\t';
        let keyword = &full[keyword_range];
        // The keyword need not open the text: a line with a lone escape character may come first.
        let mut after_keyword = usize::from(keyword_range.end() - range.start());
        while after_keyword < b.len() && blank(b[after_keyword]) {
            after_keyword += 1;
        }
        // HEALTHCHECK takes CMD; `ONBUILD \` takes the keyword on the next line.
        let healthcheck = keyword.eq_ignore_ascii_case("HEALTHCHECK");
        let onbuild_alone = keyword.eq_ignore_ascii_case("ONBUILD") && b.get(after_keyword) == Some(&(escape as u8));
        // From the keyword on: lines before it hold a lone escape character, no keyword.
        let kw_start = usize::from(keyword_range.start() - range.start());
        let (mut continued, mut lines_before, mut i) = (false, 0, kw_start);
        // The quotes open at `scanned` (a line start), read only as far as a line that needs it.
        let (mut scanned, mut quote) = (kw_start, None);
        while i < b.len() {
            let end = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n);
            let (mut s, mut e) = (i, end);
            while s < e && blank(b[s]) {
                s += 1;
            }
            while e > s && (blank(b[e - 1]) || b[e - 1] == b'\r') {
                e -= 1;
            }
            // Blank lines and comments (after any Unicode space, as BuildKit reads them) inside
            // a continuation keep it going.
            let line = &text[i..end];
            if !stagecraft_syntax::is_comment_line(line) && !line.trim_start().is_empty() {
                let mut w = s;
                while w < e && b[w].is_ascii_uppercase() {
                    w += 1;
                }
                let word = &text[s..w];
                let taken = (healthcheck && word == "CMD") || (onbuild_alone && lines_before == 1);
                // An open quote at the start of the line: it is inside a string (`"SELECT a \`,
                // then `FROM t`), so a keyword there is text (read only for such a line).
                let mut in_quotes = || {
                    scan_quotes(&text[scanned..i], escape as u8, &mut quote);
                    scanned = i;
                    quote.is_some()
                };
                if continued && w < e && blank(b[w]) && KEYWORDS.contains(&word) && !taken && !in_quotes() {
                    let r = TextRange::at(range.start() + TextSize::new(s as u32), TextSize::new(word.len() as u32));
                    let (first, keyword) = (self.lines(keyword_range).0, keyword.to_ascii_uppercase());
                    // (A backtick in Markdown code needs a longer fence.)
                    let ends = if escape == '`' { "`` ` ``".to_string() } else { format!("`{escape}`") };
                    let message = format!(
                        "`{word}` here starts no instruction: a line above ends with {ends}, so this line continues the {keyword} on line {first} and `{word}` is a word of it; end the {keyword} before this line"
                    );
                    self.ours("keyword-in-continuation", Severity::Warning, r, message, None);
                }
                continued = b[e - 1] == escape as u8;
                // (A line holding only the escape character takes no keyword.)
                lines_before += usize::from(e - s > 1 || !continued);
            }
            i = end + 1;
        }
    }

    // ---- instructions.Parse ----

    fn instructions(&mut self) {
        let cmds = Rc::clone(&self.cmds);
        for (index, Cmd { node: i, info, commented }) in cmds.iter().enumerate() {
            let mut hits = Vec::new();
            let result = instructions::check(i, info, &mut hits);
            let comments = if *commented { i.prev_comments() } else { Vec::new() };
            // (Written out for each build: a conversion, even the identity, costs the browser
            // build 48 bytes.)
            #[cfg(feature = "large-files")]
            let config = if comments.is_empty() {
                self.check.clone()
            } else {
                Rc::new(self.check.merged_with_comments(&comments))
            };
            #[cfg(not(feature = "large-files"))]
            let config =
                if comments.is_empty() { self.check.clone() } else { self.check.merged_with_comments(&comments) };
            if !same(&config, &self.check) && config != self.check {
                self.local_checks.push((info.range, config.clone()));
            }
            for hit in hits {
                self.lint(hit, &config);
            }
            if let Err(e) = result {
                let code = if info.kind == ERROR { "unknown-instruction" } else { "invalid-instruction" };
                #[cfg(feature = "build-failures")]
                let first = !self.stopped;
                // At the word or flag; BuildKit's error names the instruction's lines, all of
                // them (`WithLocation(err, node.Location())`), also where the flag is on a
                // continuation line.
                self.fail_in(code, &e.message, Some(e.range), Some(info.range), "instructions");
                // The build's error is BuildKit's `parseError`, which names the instruction's
                // first line (the diagnostic, at the instruction, need not).
                #[cfg(feature = "build-failures")]
                if first {
                    let line = self.lines(info.range).0;
                    if let Some(b) = self.build_error.as_mut() {
                        b.message = format!("{PARSE_ERROR_PREFIX}{line}: {}", b.message);
                    }
                }
            }
            self.non_ascii_flags(info);
            match info.kind {
                FROM_INSTR => self.add_stage(index, i, info, &comments, &config),
                ARG_INSTR if self.stages.is_empty() => self.add_global_arg(index, info, &comments, &config),
                // BuildKit stops at the first; said once, not for every instruction after it.
                _ if self.stages.is_empty() => {
                    if !self.diagnostics.iter().any(|d| d.code == "no-stage") {
                        self.fail(
                            "no-stage",
                            "no build stage in current context: instructions other than ARG must come after a FROM",
                            Some(info.range),
                            "instructions",
                        );
                    }
                }
                _ => {
                    if info.kind == ARG_INSTR {
                        self.definition_description_arg(info, &comments, &config);
                    }
                    let s = self.stages.len() - 1;
                    self.stages[s].commands.push(info.range);
                    self.stages[s].range = self.stages[s].range.cover(info.range);
                    self.syntax[s].commands.push(index);
                }
            }
        }
    }

    /// Flags written with characters outside ASCII. BuildKit reads a flag a byte at a time
    /// (`extractBuilderFlags`), each byte a character of its own, so each such character becomes
    /// two to four others (`é` is read as `Ã©`), silently where a value is not checked (a
    /// mount's target, a `--chown` user).
    fn non_ascii_flags(&mut self, info: &InstructionInfo) {
        for f in &info.flags {
            let written = &self.text[std::ops::Range::<usize>::from(f.range)];
            if written.is_ascii() {
                continue;
            }
            let message = format!(
                "BuildKit reads a flag a byte at a time, so each character outside ASCII becomes two to four others: it reads `{written}` as {}; write the flag in ASCII",
                go::quote_str(&f.cooked)
            );
            self.ours("non-ascii-flag", Severity::Warning, f.range, message, None);
        }
    }

    fn add_stage(
        &mut self,
        cmd: usize,
        i: &Instruction,
        info: &InstructionInfo,
        comments: &[String],
        config: &CheckConfig,
    ) {
        let index = self.stages.len();
        let base_word = i.from_image();
        let name = i.stage_name();
        let name_as_written = name.as_ref().map(|n| n.text());
        let lowered = name_as_written.as_deref().map(go::to_lower);
        let platform = info.flag("platform");
        let description = lowered
            .as_deref()
            .and_then(|n| comments.iter().find_map(|c| c.strip_prefix(&format!("{n} ")).map(|d| d.to_string())));
        let range = info.range;
        let (line, end_line) = self.lines(range);
        if let (Some(n), Some(last)) = (&lowered, comments.last()) {
            if valid_stage_name(n) && last.split(' ').next() != Some(n.as_str()) {
                self.hit(
                    rules::INVALID_DEFINITION_DESCRIPTION,
                    format!("Comment for FROM should follow the format: `# {n} <description>`"),
                    range,
                    range,
                    config,
                );
            }
        }
        self.stages.push(Stage {
            index,
            name: lowered,
            name_as_written,
            name_range: name.map(|n| n.range()),
            from_range: range,
            from_keyword: info.keyword.to_string(),
            range,
            base: base_word.as_ref().map(|w| w.text()).unwrap_or_default(),
            base_range: base_word.map(|w| w.range()),
            base_expanded: None,
            base_kind: BaseKind::Unresolved,
            // (An empty one is none: BuildKit reads the flag only when it has a value.)
            platform: platform.and_then(|f| f.value()).filter(|v| !v.is_empty()).map(String::from),
            platform_range: platform.and_then(|f| f.value_range),
            platform_expanded: None,
            description,
            commands: Vec::new(),
            line,
            end_line,
        });
        self.syntax.push(StageSyntax { from: cmd, commands: Vec::new() });
        self.deps.push(Vec::new());
    }

    fn add_global_arg(&mut self, index: usize, info: &InstructionInfo, comments: &[String], config: &CheckConfig) {
        let (line, _) = self.lines(info.range);
        for kv in &info.pairs {
            let key = kv.key.to_string();
            let description = comments.iter().find_map(|c| c.strip_prefix(&format!("{key} ")).map(|d| d.to_string()));
            self.global_args.push(GlobalArg {
                key,
                value: kv.value.as_deref().map(String::from),
                value_expanded: None,
                key_range: kv.key_range,
                value_range: kv.value_range,
                range: info.range,
                line,
                description,
            });
        }
        self.global_arg_syntax.push(index);
        self.definition_description_arg(info, comments, config);
    }

    /// InvalidDefinitionDescription for ARG (an experimental rule).
    fn definition_description_arg(&mut self, info: &InstructionInfo, comments: &[String], config: &CheckConfig) {
        let Some(last) = comments.last() else { return };
        let first = last.split(' ').next().unwrap_or("");
        if info.pairs.iter().any(|kv| kv.key == first) {
            return;
        }
        let shown = if info.pairs.len() == 1 { &*info.pairs[0].key } else { "<arg_key>" };
        self.hit(
            rules::INVALID_DEFINITION_DESCRIPTION,
            format!("Comment for ARG should follow the format: `# {shown} <description>`"),
            info.range,
            info.range,
            config,
        );
    }

    // ---- stage names and casing ----

    fn stage_names(&mut self) {
        // Names seen (a map of the type `names` has: a set would be more code in the wasm).
        let mut seen: Map<String, usize> = Map::default();
        self.name_shared = vec![false; self.stages.len()];
        for s in 0..self.stages.len() {
            let Some(name) = self.stages[s].name.clone() else { continue };
            let range = self.stages[s].name_range.unwrap_or(self.stages[s].from_range);
            let from = self.stages[s].from_range;
            let config = self.check.clone();
            if name == "context" || name == "scratch" {
                self.hit(
                    rules::RESERVED_STAGE_NAME,
                    format!("Stage name should not use the same name as reserved stage {}", go::quote_str(&name)),
                    range,
                    from,
                    &config,
                );
            }
            if let Some(first) = seen.insert(name.clone(), s) {
                self.name_shared[first] = true;
                self.name_shared[s] = true;
                self.hit(
                    rules::DUPLICATE_STAGE_NAME,
                    format!("Duplicate stage name {}, stage names should be unique", go::quote_str(&name)),
                    range,
                    from,
                    &config,
                );
            }
        }
    }

    /// ConsistentInstructionCasing over the instructions of every stage (FROM included, global
    /// ARGs not), against the majority case.
    fn instruction_casing(&mut self) {
        let cmds = Rc::clone(&self.cmds);
        let keywords = || {
            self.syntax
                .iter()
                .flat_map(|st| std::iter::once(&st.from).chain(st.commands.iter()))
                .map(|&c| &cmds[c])
                .filter(|c| !c.info.keyword.is_empty())
        };
        let (mut lower, mut upper) = (0, 0);
        for Cmd { info, .. } in keywords() {
            match keyword_case(&info.keyword) {
                Case::Lower => lower += 1,
                Case::Upper => upper += 1,
                Case::Mixed => {}
            }
        }
        let majority_lower = lower > upper;
        let wanted_case = if majority_lower { Case::Lower } else { Case::Upper };
        let wrong: Vec<&Cmd> = keywords().filter(|c| keyword_case(&c.info.keyword) != wanted_case).collect();
        let config = self.check.clone();
        // FromAsCasing's findings with a fix, by where they are (found once: a search per
        // instruction was quadratic in them).
        let mut from_as: Vec<(TextRange, usize)> = Vec::new();
        if config.enabled(&rules::CONSISTENT_INSTRUCTION_CASING) {
            for (i, d) in self.diagnostics.iter().enumerate() {
                if d.code == rules::FROM_AS_CASING.name && d.fix.is_some() {
                    from_as.push((d.range, i));
                }
            }
            sort::sort_by_key(&mut from_as, |&(r, _)| r.start());
        }
        for Cmd { node, info, .. } in wrong {
            let k = &info.keyword;
            let (wanted, case) =
                if majority_lower { (go::to_lower(k), "lowercase") } else { (go::to_upper(k), "uppercase") };
            if *k == wanted {
                continue;
            }
            let range = info.keyword_range;
            let mut edits = vec![TextEdit { range, new_text: wanted.clone() }];
            let mut title = format!("Write `{wanted}`");
            // A FROM's `AS` follows its keyword's case (FromAsCasing would warn next).
            let as_wanted = if majority_lower { "as" } else { "AS" };
            if let Some(t) = node.as_keyword().filter(|t| go::equal_fold_as(t.text()) && t.text() != as_wanted) {
                edits.push(TextEdit { range: t.text_range(), new_text: as_wanted.into() });
                title.push_str(&format!(" and `{as_wanted}`"));
            }
            // Not for an unknown instruction: its name is in the error the build fails with.
            let fix = (info.kind != ERROR).then_some(Fix { title, edits, applicability: Applicability::Safe });
            // FromAsCasing's own fix on this FROM would write `AS` in the keyword's old case,
            // against this one: both fix it the same way (while this rule runs).
            if info.kind == FROM_INSTR {
                let at = from_as.partition_point(|&(r, _)| r.start() < info.range.start());
                if let Some(&(_, d)) = from_as.get(at).filter(|(r, _)| info.range.contains_range(*r)) {
                    self.diagnostics[d].fix.clone_from(&fix);
                }
            }
            self.hit_fixed(
                rules::CONSISTENT_INSTRUCTION_CASING,
                format!("Command '{k}' should match the case of the command majority ({case})"),
                (range, info.range),
                fix,
                &config,
            );
        }
    }

    // ---- meta ARGs ----

    fn target_stage_name(&self) -> String {
        target_stage_value(self.options.target_name(), &self.stages)
    }

    fn builtins(&self) -> Vars {
        let amd64 = Platform::default_linux_amd64();
        let mut v = builtin_args(&amd64, &self.target, &self.target_stage_name());
        let keys: Vec<String> = v.keys().map(String::from).collect();
        for k in keys {
            if let Some(val) = self.options.build_arg(&k) {
                v.set_in_place(&k, val);
            }
        }
        v
    }

    /// `buildMetaArgs`: global ARG defaults expanded in order; `with_build_args` applies overrides.
    fn evaluate_globals(&mut self, with_build_args: bool) -> Result<GlobalValues, (String, TextRange)> {
        let mut vars = self.builtins();
        let mut values = Vec::new();
        let mut origins = Scope::default();
        let cmds = Rc::clone(&self.cmds);
        for i in self.global_arg_syntax.clone() {
            let info = &cmds[i].info;
            for kv in &info.pairs {
                let key = &kv.key;
                if with_build_args {
                    self.probe_here(kv.range, &vars, &Vars::default(), Some(&origins));
                }
                let override_value = if with_build_args { self.options.build_arg(key) } else { None };
                let value = match (override_value, &kv.value) {
                    (Some(v), _) => Some(v.to_string()),
                    (None, Some(raw)) => match self.lexer.process_word(raw, &vars) {
                        Ok(e) => Some(e.result),
                        Err(e) => return Err((expansion_failure(&e), info.range)),
                    },
                    (None, None) => None,
                };
                if let Some(v) = &value {
                    vars.set(key, v);
                    let origin = if override_value.is_some() {
                        Origin::BuildArg(kv.key_range)
                    } else {
                        Origin::GlobalArg(kv.key_range)
                    };
                    if self.probing() {
                        origins.assign(key, origin);
                    }
                }
                values.push(value);
            }
        }
        if self.probing() && with_build_args {
            // A FROM line expands with every global ARG.
            let froms: Vec<TextRange> = self.stages.iter().map(|s| s.from_range).collect();
            for from in froms {
                self.probe_here(from, &vars, &Vars::default(), Some(&origins));
            }
        }
        Ok((vars, values))
    }

    fn meta_args(&mut self) {
        self.declared_globals = self.global_args.iter().map(|a| a.key.clone()).collect();
        // InvalidDefaultArgInFrom: defaults only; any expansion error abandons the check.
        if let Ok((defaults, _)) = self.evaluate_globals(false) {
            // (A FROM without a base failed as an instruction already: no ARG made it so.)
            for s in 0..self.stages.len() {
                if self.stages[s].base_range.is_none() {
                    continue;
                }
                let base = self.stages[s].base.clone();
                let Ok(e) = self.lexer.process_word(&base, &defaults) else { break };
                if self.image_name(&e.result).is_err() {
                    let range = self.stages[s].base_range.unwrap_or(self.stages[s].from_range);
                    let from = self.stages[s].from_range;
                    let config = self.check.clone();
                    self.hit(
                        rules::INVALID_DEFAULT_ARG_IN_FROM,
                        format!("Default value for ARG {base} results in empty or invalid base image name"),
                        range,
                        from,
                        &config,
                    );
                }
            }
        }
        match self.evaluate_globals(true) {
            Ok((vars, values)) => {
                for (arg, v) in self.global_args.iter_mut().zip(values) {
                    arg.value_expanded = v;
                }
                self.globals = vars;
            }
            Err((message, range)) => {
                self.fail("invalid-arg", &message, Some(range), "meta-args");
                self.globals = self.builtins();
            }
        }
        let mut keys = Vars::default();
        for k in self.globals.keys().chain(self.declared_globals.iter().map(String::as_str)) {
            keys.set_in_place(k, "");
        }
        self.from_arg_keys = keys;
        self.source_date_epoch();
    }

    /// BuildKit validates SOURCE_DATE_EPOCH before building (`resolveSourceDateEpochValue`): a
    /// number, `context`, a named build context, or the name of a stage that only fetches one
    /// remote source (`sourceDateEpochStageSource`).
    fn source_date_epoch(&mut self) {
        // (Without the build's failures, only the named context it may name is looked for: the
        // browser build, for its size, does not look for the stage.)
        if !cfg!(feature = "build-failures") && !cfg!(feature = "named-contexts") {
            return;
        }
        // The last global ARG that gives it a value (`ARG SOURCE_DATE_EPOCH` alone after one
        // with a value keeps it, as in `buildMetaArgs`).
        let arg =
            self.global_args.iter().rev().find(|a| a.key == "SOURCE_DATE_EPOCH" && a.value_expanded.is_some()).cloned();
        let range = arg.as_ref().map(|a| a.range);
        // A `--build-arg` wins even when it is empty (`getBuildArgValue`), and empty means none.
        let value =
            match (self.options.build_arg("SOURCE_DATE_EPOCH"), arg.as_ref().and_then(|a| a.value_expanded.as_ref())) {
                (Some(v), _) => v.to_string(),
                (None, Some(v)) => v.clone(),
                (None, None) => return,
            };
        // What the build then reads as SOURCE_DATE_EPOCH, in the global ARGs and every stage's
        // `ARG SOURCE_DATE_EPOCH` (`setBuildArgValue(... formatSourceDateEpochValue(...))`): a
        // number as Go prints it (`0123` is `123`); else the time BuildKit resolves from the
        // context, named context or stage, which is not known here: unset, as BuildKit leaves it
        // for a local context and without a client (as the oracle ran).
        // (An empty value resolves to nothing too: the build arg is then dropped. The FROM lines
        // see the value only where a global ARG declares it, as they see any build arg.)
        let number = value.parse::<i64>().ok();
        #[cfg(feature = "build-failures")]
        {
            let resolved = number.map(|n| n.to_string());
            match &resolved {
                _ if self.globals.get("SOURCE_DATE_EPOCH").is_none() => {}
                Some(n) => self.globals.set("SOURCE_DATE_EPOCH", n),
                None => {
                    let mut kept = Vars::default();
                    for (k, v) in self.globals.iter().filter(|&(k, _)| k != "SOURCE_DATE_EPOCH") {
                        kept.set_in_place(k, v);
                    }
                    self.globals = kept;
                }
            }
            self.epoch_value = Some(resolved);
        }
        if value.is_empty() || number.is_some() || value == "context" {
            return;
        }
        if let Some(key) = self.named_context(&value) {
            // BuildKit takes the time from the context: it is used.
            self.epoch_context = Some(key);
            return;
        }
        if !cfg!(feature = "build-failures") {
            return;
        }
        // `docker build` (BuildKit with a client) looks the value up as a named build context
        // first, which fails for a value that is no image name; BuildKit's packages without a
        // client (the oracle) go on to the stages. Said as our own finding, as for stage names.
        if let Err(why) = crate::reference::parse_normalized_named(&value) {
            let at = range.unwrap_or_default();
            let message = format!(
                "`docker build` fails on this SOURCE_DATE_EPOCH: it looks the value up as a named build context first, and `{value}` is no image name (\"invalid context name {value}: {why}\"); use a number, `context`, or a stage's name as it is written after AS, in lower case"
            );
            self.ours("source-date-epoch-not-a-reference", Severity::Error, at, message, None);
        }
        // (`strings.EqualFold`, without a client: `ſrc` names a stage `src`.)
        let stage = self.stages.iter().position(|s| s.name.as_deref().is_some_and(|n| go::equal_fold_ascii(&value, n)));
        let Some(s) = stage else {
            // At the ARG whose value this is.
            let message = format!("invalid SOURCE_DATE_EPOCH: {value}");
            self.fail_in("invalid-source-date-epoch", &message, range, None, "meta-args");
            return;
        };
        // The stage is read (not built): a rename follows the name where the ARG writes it.
        // (Written as it is after the `=`, or in one pair of quotes.)
        let written = arg.as_ref().filter(|_| self.options.build_arg("SOURCE_DATE_EPOCH").is_none()).and_then(|a| {
            let range = a.value_range?;
            let raw = &self.text[range];
            let quoted = raw.len() >= 2 && (raw.starts_with('"') || raw.starts_with('\'')) && raw.ends_with(&raw[..1]);
            let inner = if quoted {
                TextRange::new(range.start() + TextSize::new(1), range.end() - TextSize::new(1))
            } else {
                range
            };
            (self.text[inner] == *value).then_some(inner)
        });
        self.epoch_stage = Some((s, written));
        if let Err(message) = self.source_date_epoch_stage(s) {
            let from = self.stages[s].from_range;
            self.fail("invalid-source-date-epoch", &message, Some(from), "meta-args");
        }
    }

    /// The `--build-arg` value a stage's ARG reads: SOURCE_DATE_EPOCH's as BuildKit resolved it.
    fn stage_build_arg(&self, key: &str) -> Option<std::borrow::Cow<'a, str>> {
        #[cfg(feature = "build-failures")]
        if let Some(v) = self.epoch_value.as_ref().filter(|_| key == "SOURCE_DATE_EPOCH") {
            return v.clone().map(std::borrow::Cow::Owned);
        }
        self.options.build_arg(key).map(std::borrow::Cow::Borrowed)
    }

    /// `sourceDateEpochStageSource`: the stage must be `FROM scratch` (after the global ARGs)
    /// and hold ARGs and exactly one ADD of one HTTP(S) or Git source (after its ARGs).
    fn source_date_epoch_stage(&self, s: usize) -> Result<(), String> {
        // The global ARGs without SOURCE_DATE_EPOCH itself.
        let mut env = Vars::default();
        for (k, v) in self.globals.iter().filter(|(k, _)| *k != "SOURCE_DATE_EPOCH") {
            env.set(k, v);
        }
        let base = &self.stages[s].base;
        let expanded = self
            .lexer
            .process_word(base, &env)
            .map_err(|e| format!("failed to process source stage base name {}: {e}", go::quote_str(base)))?;
        if expanded.result != "scratch" {
            return Err("SOURCE_DATE_EPOCH stage must use FROM scratch".into());
        }
        const ONE_ADD: &str = "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD";
        let mut added = false;
        for &c in &self.syntax[s].commands {
            let info = &self.cmds[c].info;
            match info.kind {
                ARG_INSTR => {
                    for kv in &info.pairs {
                        let value = match (self.options.build_arg(&kv.key), &kv.value) {
                            (Some(v), _) => v.to_string(),
                            (None, None) => continue,
                            (None, Some(raw)) => self.lexer.process_word(raw, &env).map_err(|e| e.to_string())?.result,
                        };
                        env.set(&kv.key, &value);
                    }
                }
                ADD_INSTR => {
                    if added {
                        return Err(ONE_ADD.into());
                    }
                    added = true;
                    let sources = &info.args[..info.args.len().saturating_sub(1)];
                    if sources.len() != 1 || parse_heredoc(&sources[0]).ok().flatten().is_some() {
                        return Err("SOURCE_DATE_EPOCH stage must contain exactly one remote ADD source".into());
                    }
                    let src = self.lexer.process_word(&sources[0], &env).map_err(|e| e.to_string())?.result;
                    // The checksum, expanded where BuildKit expands it: once the source is known to
                    // be a URL or a repository. (An empty `--checksum=` is none: BuildKit tests
                    // the value as written.)
                    let raw = info.last_flag("checksum").and_then(|f| f.value()).filter(|raw| !raw.is_empty());
                    let checksum = |engine: &Self| match raw {
                        Some(raw) => {
                            engine.lexer.process_word(raw, &env).map(|e| Some(e.result)).map_err(|e| e.to_string())
                        }
                        None => Ok(None),
                    };
                    match crate::copy::source_kind(&src)? {
                        crate::copy::SourceKind::Git => {
                            checksum(self)?;
                        }
                        crate::copy::SourceKind::Http => {
                            if let Some(e) = checksum(self)?.as_deref().and_then(crate::reference::digest_error) {
                                return Err(e.into());
                            }
                        }
                        crate::copy::SourceKind::Local => {
                            return Err("SOURCE_DATE_EPOCH stage source must be a single HTTP(S) or Git ADD".into())
                        }
                    }
                }
                // (The keyword as written: the oracle's BuildKit says `COPY` for `COPY`.)
                _ => {
                    return Err(format!(
                        "SOURCE_DATE_EPOCH stage does not meet source-only requirements: unsupported {} instruction",
                        info.keyword
                    ))
                }
            }
        }
        if added {
            Ok(())
        } else {
            Err(ONE_ADD.into())
        }
    }

    // ---- dispatch states (FROM) ----

    /// What to do about a word that expands to a blank or bad image name: the ARGs in it that no
    /// global ARG declares, and those that have no value, by name; else its ARGs in general.
    /// (`range`: the base as written, whose variables the parser has marked.)
    fn empty_args_advice(&self, range: TextRange) -> String {
        // (The browser build, which leaves out the details of build failures, says it in
        // general: it counts its bytes.)
        if !cfg!(feature = "build-failures") {
            return "declare its ARGs before the first FROM, with values or --build-arg".into();
        }
        let (mut undeclared, mut empty, mut emptied) = (String::new(), String::new(), String::new());
        let element = self.parse.syntax_node().covering_element(range);
        let names: Vec<String> = element
            .as_node()
            .cloned()
            .or_else(|| element.parent())
            .into_iter()
            .flat_map(|n| n.descendants_with_tokens())
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == VAR_NAME && range.contains_range(t.text_range()))
            .map(|t| t.text().to_string())
            .collect();
        for name in names {
            let value = self.globals.get(&name);
            if value.is_some_and(|v| !v.is_empty()) {
                continue;
            }
            // (An automatic platform ARG has a value, empty for some platforms: `--platform` sets
            // it, not a default.)
            if value.is_some() && !self.declared_globals.contains(&name) && self.builtins().get(&name).is_some() {
                continue;
            }
            // (A build arg counts only for an ARG declared before the first FROM.)
            let declared = self.declared_globals.contains(&name);
            let list = if declared && self.options.build_arg(&name) == Some("") {
                &mut emptied
            } else if value.is_some() || declared {
                &mut empty
            } else {
                &mut undeclared
            };
            let item = format!("`{name}`");
            if !list.contains(&item) {
                if !list.is_empty() {
                    list.push_str(", ");
                }
                list.push_str(&item);
            }
        }
        let mut out = String::new();
        if !undeclared.is_empty() {
            out = format!("not declared: {undeclared} (declare with `ARG` before the first FROM)");
        }
        if !empty.is_empty() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(&format!("no value: {empty} (give a default or pass --build-arg)"));
        }
        if !emptied.is_empty() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(&format!(
                "set empty by --build-arg: {emptied} (give it a value, or leave it out for the ARG's default)"
            ));
        }
        if out.is_empty() {
            out.push_str("give its ARGs values or pass --build-arg");
        }
        out
    }

    /// [`Self::suggest`] for a finding of `rule`, none when the file's `# check=skip` drops it
    /// (the budget is for findings that are shown).
    fn suggest_for<'o>(
        &mut self,
        rule: &Rule,
        config: &CheckConfig,
        value: &str,
        options: impl IntoIterator<Item = &'o str>,
        count: usize,
    ) -> Option<String> {
        if !config.enabled(rule) {
            return None;
        }
        self.suggest(value, options, count)
    }

    /// BuildKit's "did you mean" ([`suggest::search`]) over `count` options, while this
    /// analysis's budget for them lasts; none once it is spent.
    fn suggest<'o>(&mut self, value: &str, options: impl IntoIterator<Item = &'o str>, count: usize) -> Option<String> {
        match self.suggestions_left.checked_sub(count) {
            Some(left) => self.suggestions_left = left,
            None => {
                self.suggestions_left = 0;
                return None;
            }
        }
        suggest::search(value, options, true)
    }

    fn report_from_args(
        &mut self,
        unmatched: &stagecraft_syntax::shell::Names,
        s: usize,
        range: TextRange,
        config: &CheckConfig,
    ) {
        if unmatched.is_empty() {
            return;
        }
        let keys = std::mem::take(&mut self.from_arg_keys);
        let from = self.stages[s].from_range;
        for name in unmatched {
            if keys.get(name).is_some() {
                continue;
            }
            let mut message = format!("FROM argument '{name}' is not declared");
            let rule = &rules::UNDEFINED_ARG_IN_FROM;
            let suggestion = self.suggest_for(rule, config, name, keys.keys(), keys.len());
            if let Some(sug) = &suggestion {
                message.push_str(&format!(" (did you mean {sug}?)"));
            }
            // As UndefinedVar's: not safe, which ARG was meant is a guess.
            let written = suggestion.as_ref().and_then(|_| self.find_variable(range, name)?.name_range());
            let fix = suggestion.zip(written).map(|(s, name_range)| Fix {
                title: format!("Use `${s}`"),
                edits: vec![TextEdit { range: name_range, new_text: s }],
                applicability: Applicability::Unsafe,
            });
            self.hit_fixed(rules::UNDEFINED_ARG_IN_FROM, message, (range, from), fix, config);
        }
        self.from_arg_keys = keys;
    }

    fn dispatch_states(&mut self) {
        let mut by_name: Map<String, usize> = Map::default();
        for s in 0..self.stages.len() {
            self.states.push(State::Stage(s));
            let config = self.config_for(self.stages[s].from_range);
            let from = self.stages[s].from_range;
            let base = self.stages[s].base.clone();
            let base_range = self.stages[s].base_range.unwrap_or(from);
            let expanded = self.lexer.process_word(&base, &self.globals);
            // Linted before a failure is: BuildKit reports the names its failed expansion
            // looked up too.
            self.report_from_args(stagecraft_syntax::shell::unmatched(&expanded), s, base_range, &config);
            let expanded = match expanded {
                // (A FROM without a base failed as an instruction already.)
                Ok(e) if e.result.is_empty() && self.stages[s].base_range.is_none() => None,
                Ok(e) if e.result.is_empty() => {
                    let message =
                        format!("base name ({base}) should not be blank: {}", self.empty_args_advice(base_range));
                    self.fail("blank-base", &message, Some(base_range), "dispatch-states");
                    None
                }
                Ok(e) => Some(e.result),
                Err(e) => {
                    self.fail("invalid-base", &expansion_failure(&e), Some(base_range), "dispatch-states");
                    None
                }
            };
            self.stages[s].base_expanded = expanded.clone();
            self.platform(s, &config);
            // Named build contexts replace a stage outright, by its name; else an earlier
            // stage is the base; else a named context replaces the base image.
            let named_context = self.stages[s].name.as_deref().and_then(|n| self.replaced_stage(n));
            let kind = match &expanded {
                None => BaseKind::Unresolved,
                Some(b) => match by_name.get(b) {
                    Some(&earlier) => BaseKind::Stage(earlier),
                    None if b == "scratch" => BaseKind::Scratch,
                    None => match self.named_context(b) {
                        Some(key) => BaseKind::ImageContext(key),
                        None => BaseKind::Image(b.clone()),
                    },
                },
            };
            let kind = named_context.map_or(kind, BaseKind::NamedContext);
            self.stages[s].base_kind = kind.clone();
            let target = match &kind {
                BaseKind::Stage(t) => RefTarget::Stage(*t),
                BaseKind::Image(i) => RefTarget::Image(i.clone()),
                BaseKind::ImageContext(key) => RefTarget::NamedContext(key.clone()),
                BaseKind::Scratch => RefTarget::Scratch,
                BaseKind::Unresolved => RefTarget::Invalid("the base does not expand".into()),
                BaseKind::NamedContext(_) => RefTarget::Invalid("a named build context replaces this stage".into()),
            };
            let (line, end_line) = self.lines(from);
            self.references.push(StageRef {
                kind: RefKind::From,
                in_stage: s,
                instruction: self.stages[s].from_keyword.clone(),
                value: base,
                range: base_range,
                instruction_range: from,
                target: target.clone(),
                forward: false,
                origin: RefOrigin::Direct,
                line,
                end_line,
            });
            if !matches!(target, RefTarget::Invalid(_)) {
                self.deps[s].push(Dep { target, kind: EdgeKind::From, range: base_range, implicit: false });
            }
            if let Some(n) = self.stages[s].name.clone() {
                by_name.insert(n, s);
            }
        }
    }

    /// The flag whose value is at `value` (`--platform=$TARGETPLATFORM`), with the blank after
    /// it: what removing the flag removes.
    fn flag_removal(&self, value: TextRange) -> Option<TextRange> {
        let root = self.parse.syntax_node();
        let flag = root.covering_element(value).ancestors().find(|n| n.kind() == FLAG)?;
        // Not one of two of a name: BuildKit fails on the pair ("duplicate flag specified"),
        // and taking one away would mend that.
        // (As BuildKit reads them: unquoted, and joined across line continuations.)
        let name = |f: &stagecraft_syntax::SyntaxNode| stagecraft_syntax::ast::Flag::cast(f.clone()).map(|f| f.name());
        let same = flag.parent()?.children().filter(|f| f.kind() == FLAG && name(f) == name(&flag)).count();
        (same == 1).then(|| self.with_blanks_after(flag.text_range()))
    }

    /// `range` with the spaces and tabs after it.
    fn with_blanks_after(&self, range: TextRange) -> TextRange {
        let blanks = self.text[usize::from(range.end())..].bytes().take_while(|&b| b == b' ' || b == b'\t').count();
        TextRange::new(range.start(), range.end() + TextSize::new(blanks as u32))
    }

    fn platform(&mut self, s: usize, config: &CheckConfig) {
        // (A FROM without a base failed as an instruction: BuildKit lints nothing after that.)
        let Some(raw) = self.stages[s].platform.clone().filter(|_| self.stages[s].base_range.is_some()) else {
            return;
        };
        let from = self.stages[s].from_range;
        let range = self.stages[s].platform_range.unwrap_or(from);
        let result = self.lexer.process_word(&raw, &self.globals);
        let unmatched = stagecraft_syntax::shell::unmatched(&result).clone();
        let (matched, value) = match &result {
            Ok(e) => (e.matched.clone(), e.result.clone()),
            Err(_) => Default::default(),
        };
        self.report_from_args(&unmatched, s, range, config);
        if matched.len() == 1
            && unmatched.is_empty()
            && matched.contains("TARGETPLATFORM")
            && self.globals.get("TARGETPLATFORM") == Some(value.as_str())
        {
            // BuildKit compares the words only, and removing the flag can change the build, so
            // the fix is not safe: a stage without `--platform`, in a build that names no
            // platform, is built for its image's own platform where that single-platform image
            // is for another one the builder runs (`autoDetectPlatform` under `implicitTarget`),
            // with the flag for the target's (found by a fixes QA run); and it follows the
            // build's target platform, which an `ARG TARGETPLATFORM=...` default or a build arg
            // pinning `$TARGETPLATFORM` does not change.
            let fix = self.flag_removal(range).map(|removal| Fix {
                title: "Remove `--platform`".into(),
                edits: vec![TextEdit { range: removal, new_text: String::new() }],
                applicability: Applicability::Unsafe,
            });
            self.hit_fixed(
                rules::REDUNDANT_TARGET_PLATFORM,
                format!("Setting platform to predefined {raw} in FROM is redundant as this is the default behavior"),
                (range, from),
                fix,
                config,
            );
        }
        if matched.is_empty() && unmatched.is_empty() && result.is_ok() {
            if let Ok(p) = platform::parse(&value) {
                let stage_name = self.stages[s].name.clone().unwrap_or_default();
                if !stage_name.contains(&p.os) && !stage_name.contains(&p.architecture) {
                    self.hit(
                        rules::FROM_PLATFORM_FLAG_CONST_DISALLOWED,
                        format!("FROM --platform flag should not use constant value {}", go::quote_str(&value)),
                        range,
                        from,
                        config,
                    );
                }
            }
        }
        match result {
            Err(e) => {
                self.fail(
                    "invalid-platform",
                    &format!("failed to process arguments for platform : {e}"),
                    Some(range),
                    "dispatch-states",
                );
            }
            Ok(_) if value.is_empty() => {
                let mut message = format!("empty platform value from expression {raw}");
                if let Some(sug) = self.suggest_any(&unmatched) {
                    message.push_str(&format!(" (did you mean {sug}?)"));
                }
                message.push_str("; it expands to nothing: give the ARG a default or pass --build-arg");
                self.fail("invalid-platform", &message, Some(range), "dispatch-states");
            }
            Ok(_) => match platform::parse(&value) {
                Ok(p) => {
                    self.stages[s].platform_expanded = Some(p.format_all());
                    self.stage_windows.resize(self.stages.len(), None);
                    self.stage_windows[s] = Some(p.os == "windows");
                }
                Err(e) => {
                    let mut inner = e;
                    if let Some(sug) = self.suggest_any(&unmatched) {
                        inner.push_str(&format!(" (did you mean {sug}?)"));
                    }
                    self.fail(
                        "invalid-platform",
                        &format!("failed to parse platform {raw}: {inner}"),
                        Some(range),
                        "dispatch-states",
                    );
                }
            },
        }
    }

    /// BuildKit's `validateBaseImagePlatform` for a stage on an image with a `--platform`: the
    /// image's platform against the one asked for (their OS and architecture). stagecraft reads
    /// no image's config; it checks as the oracle's images are, `linux/amd64`, and, when the
    /// build names its platform, as images made for that one too (`Analysis::note` says so: a
    /// multi-platform image has the platform asked for, and BuildKit reports nothing).
    ///
    /// (The oracle builds for linux/amd64 only. A build for linux/arm64 on images made for
    /// linux/amd64 alone would have BuildKit report every stage without a `--platform` of its
    /// own, which asks for the build's; but a user who builds for a platform uses images made
    /// for it, and most images are made for several: such a report would be false on nearly
    /// every stage of nearly every file.)
    fn base_image_platform(&mut self, s: usize) {
        let st = &self.stages[s];
        let (BaseKind::Image(_), Some(image)) = (&st.base_kind, &st.base_expanded) else { return };
        // Without a `--platform` of its own, a stage asks for the build's platform, or BuildKit
        // takes the image's (`autoDetectPlatform`): the image has it, as above.
        let Some(Ok(p)) = st.platform_expanded.as_deref().map(platform::parse) else { return };
        let build = self.options.platform.is_some().then_some(&self.target);
        if (p.os == "linux" && p.architecture == "amd64")
            || build.is_some_and(|b| b.os == p.os && b.architecture == p.architecture)
        {
            return;
        }
        let message = format!(
            "Base image {image} was pulled with platform \"linux/amd64\", expected {} for current build",
            go::quote_str(&p.format_all())
        );
        let from = st.from_range;
        let config = self.config_for(from);
        self.hit(rules::INVALID_BASE_IMAGE_PLATFORM, message, from, from, &config);
    }

    fn suggest_any(&mut self, unmatched: &stagecraft_syntax::shell::Names) -> Option<String> {
        let keys = std::mem::take(&mut self.globals);
        let found = unmatched.iter().find_map(|n| self.suggest(n, keys.keys(), keys.len()));
        self.globals = keys;
        found
    }

    // ---- dependency graph ----

    /// The stage a target names: a stage name, or `#N` for the stage at index N (how editors
    /// and the CLI name a stage without a name).
    /// The stage the build is for: `--target`, else the last stage.
    fn build_target(&self) -> usize {
        self.options.target_name().and_then(|t| self.target_index(t)).unwrap_or(self.stages.len() - 1)
    }

    fn target_index(&self, spec: &str) -> Option<usize> {
        match spec.strip_prefix('#') {
            Some(i) => i.parse::<usize>().ok().filter(|&i| i < self.stages.len()),
            None => self.find_state_by_name(spec),
        }
    }

    /// Why BuildKit cannot load the named build context of key `key`, if it cannot (a
    /// `docker-image://` value that is no reference).
    #[cfg(feature = "named-contexts")]
    fn context_error(&self, key: &str) -> Option<&str> {
        self.context_errors.iter().find(|(k, _)| k == key).map(|(_, e)| e.as_str())
    }

    /// What an image name BuildKit looks up refers to: the named context given under its key,
    /// else the image.
    fn image_target(&self, name: String) -> RefTarget {
        match self.named_context(&name) {
            Some(key) => RefTarget::NamedContext(key),
            None => RefTarget::Image(name),
        }
    }

    /// The key of the named build context given for the build that an image name (after
    /// expansion) is looked up by, if one is given. `scratch` is never looked up (BuildKit takes
    /// it for the empty image first).
    fn named_context(&self, name: &str) -> Option<String> {
        if !cfg!(feature = "named-contexts") || self.context_keys.is_empty() || name == "scratch" {
            return None;
        }
        let key = crate::reference::context_key(name).ok()?;
        self.context_keys.contains(&key).then_some(key)
    }

    /// The key of the named build context given for the build that replaces the stage named
    /// `name`, if one does (BuildKit's `namedContextFunc` passes the name itself, and never looks
    /// up `scratch` or `context`).
    fn replaced_stage(&self, name: &str) -> Option<String> {
        if name.eq_ignore_ascii_case("scratch") || name.eq_ignore_ascii_case("context") {
            return None;
        }
        self.named_context(name)
    }

    fn find_state_by_name(&self, name: &str) -> Option<usize> {
        if let Some(&s) = self.names.get(name) {
            return Some(s);
        }
        self.names.get(&name.to_lowercase()).copied()
    }

    fn stage_display(&self, s: usize) -> String {
        self.stages[s].name.clone().unwrap_or_else(|| format!("stage-{s}"))
    }

    fn dependency_graph(&mut self) {
        // The last definition of a name wins.
        self.names = self.stages.iter().filter_map(|s| s.name.clone().map(|n| (n, s.index))).collect();
        // deps per state for cycle detection: (source state, command range)
        let mut graph: Vec<Vec<(usize, TextRange)>> = vec![Vec::new(); self.stages.len()];
        // Where each source stands in the current stage's list (a stage may copy from
        // thousands of others).
        let mut slot = vec![usize::MAX; self.stages.len()];
        for s in 0..self.stages.len() {
            // A stage a named context replaces: its steps are not made, but BuildKit reads what
            // they use (its own triggers are the context's to have).
            let replaced =
                cfg!(feature = "named-contexts") && matches!(self.stages[s].base_kind, BaseKind::NamedContext(_));
            let cmds = Rc::clone(&self.cmds);
            for &c in &self.syntax[s].commands.clone() {
                let Cmd { node, info, .. } = &cmds[c];
                match info.kind {
                    COPY_INSTR => {
                        if let Some(src) = self.copy_from(s, info, RefOrigin::Direct, None) {
                            // Point at the --from value: that is where a cycle is made.
                            let at = self.references.last().map_or(info.range, |r| r.range);
                            add_edge(&mut graph, &mut slot, s, src, at);
                        }
                    }
                    RUN_INSTR if info.flag("mount").is_some() => {
                        // At the `from=` value, as for COPY (the whole flag for a plain mount).
                        for (src, at) in self.mounts(s, node, info, RefOrigin::Direct, None) {
                            add_edge(&mut graph, &mut slot, s, src, at);
                        }
                    }
                    ONBUILD_INSTR if !replaced => self.trigger_references(s, node),
                    _ => {}
                }
            }
            for &(src, _) in &graph[s] {
                slot[src] = usize::MAX;
            }
        }
        self.cycles(&graph);
        // (The browser build has no named contexts.)
        if !cfg!(feature = "named-contexts") || self.context_keys.is_empty() {
            return;
        }
        self.dispatch_only = vec![Vec::new(); self.stages.len()];
        for s in 0..self.stages.len() {
            if matches!(self.stages[s].base_kind, BaseKind::NamedContext(_)) {
                let deps = std::mem::take(&mut self.deps[s]);
                self.dispatch_only[s] = deps
                    .iter()
                    .filter_map(|d| match d.target {
                        RefTarget::Stage(t) => Some(t),
                        _ => None,
                    })
                    .collect();
            }
        }
    }

    /// Whether a stage is built on stage `s` (the bases resolved).
    #[cfg(feature = "large-files")]
    fn is_built_on(&mut self, s: usize) -> bool {
        if self.built_on.is_empty() {
            self.built_on = vec![false; self.stages.len()];
            for t in &self.stages {
                if let BaseKind::Stage(b) = t.base_kind {
                    self.built_on[b] = true;
                }
            }
        }
        self.built_on[s]
    }

    /// References written inside an ONBUILD trigger, in the stage that defines it (they run in
    /// the stages built on it; here they are only names to navigate).
    fn trigger_references(&mut self, s: usize, c: &Instruction) {
        let Some(trigger) = c.trigger() else { return };
        let info = trigger.info_in(self.text);
        let stopped = self.stopped;
        let build_error = self.build_error.clone();
        let diagnostics = self.diagnostics.len();
        let states = self.states.len();
        let references = self.references.len();
        match info.kind {
            COPY_INSTR => {
                self.copy_from(s, &info, RefOrigin::OnbuildTrigger, None);
            }
            RUN_INSTR => {
                self.mounts(s, &trigger, &info, RefOrigin::OnbuildTrigger, None);
            }
            _ => {}
        }
        // Resolving a trigger here is for navigation only: it cannot fail the build, and an image
        // it names is pulled only where the trigger runs (no state for it here). What is wrong
        // with the trigger as written (an empty `from`) is still said here, once.
        self.stopped = stopped;
        self.build_error = build_error;
        let mut kept = diagnostics;
        for i in diagnostics..self.diagnostics.len() {
            if self.diagnostics[i].code == "empty-from" {
                self.diagnostics.swap(kept, i);
                kept += 1;
            }
        }
        self.diagnostics.truncate(kept);
        self.states.truncate(states);
        // Where no stage here runs the trigger (the stages' bases are resolved before any stage
        // is dispatched), a name that may be a stage's, or an index, is looked up among the
        // stages of the Dockerfiles built on this image, and names nothing here. An image no
        // stage can be named after (`alpine:3`), the build context, `scratch` and a variable
        // (which BuildKit refuses wherever the trigger runs) read the same everywhere.
        #[cfg(feature = "large-files")]
        let runs_here = self.references.len() == references || self.is_built_on(s);
        #[cfg(not(feature = "large-files"))]
        let runs_here = self.stages.iter().any(|t| t.base_kind == BaseKind::Stage(s));
        if !runs_here {
            for r in &mut self.references[references..] {
                // (A stage name in any ASCII case: `[a-z][a-z0-9-_.]*` once lower-cased; Go's
                // lower-casing also makes `k` of the Kelvin sign, which is left as written.)
                let b = r.value.as_bytes();
                let name = b.first().is_some_and(u8::is_ascii_alphabetic)
                    && b.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
                let stage_like = name || !b.is_empty() && b.iter().all(u8::is_ascii_digit);
                if stage_like && !r.value.eq_ignore_ascii_case("scratch") {
                    r.target = RefTarget::NotRunHere;
                }
            }
        }
        // A trigger's flags are read as the instruction's are, where it runs: said once, here.
        self.non_ascii_flags(&info);
    }

    /// An empty `--from=` of COPY (`range`: the flag) or `from=` of a mount: BuildKit reads it as
    /// none. Reported where it is written, not again in each stage that inherits a trigger.
    fn empty_from(&mut self, range: TextRange, copy: bool) {
        let (message, fix) = if copy {
            let fix = self.flag_removal(range).map(|removal| Fix {
                title: "Remove the empty `--from=`".into(),
                edits: vec![TextEdit { range: removal, new_text: String::new() }],
                applicability: Applicability::Safe,
            });
            ("`--from=` is empty, which BuildKit reads as no `--from`: COPY copies from the build context. Name a stage, a stage index or an image, or remove the flag", fix)
        } else {
            ("`from=` is empty, which BuildKit reads as no `from=`: name a stage or an image, or remove it", None)
        };
        self.ours("empty-from", Severity::Warning, range, message.into(), fix);
    }

    /// A COPY's `--from`: records the reference and returns the source state (a stage index, or
    /// a new external state) when it is a dependency.
    fn copy_from(&mut self, s: usize, c: &InstructionInfo, origin: RefOrigin, at: Option<TextRange>) -> Option<usize> {
        let flag = c.last_flag("from")?;
        let value = flag.value()?.to_string();
        let value_range = flag.value_range.unwrap_or(flag.range);
        let range = at.unwrap_or(value_range);
        let (line, end_line) = self.lines(at.unwrap_or(c.range));
        let mut reference = StageRef {
            kind: RefKind::CopyFrom,
            in_stage: s,
            instruction: c.keyword.to_string(),
            value: value.clone(),
            range,
            instruction_range: c.range,
            target: RefTarget::Context,
            forward: false,
            origin: origin.clone(),
            line,
            end_line,
        };
        if value.is_empty() {
            // Reported where it is written, not again in each stage that inherits the trigger.
            if !matches!(origin, RefOrigin::Inherited { .. }) {
                self.empty_from(flag.range, true);
            }
            self.references.push(reference);
            return None;
        }
        let expanded = self.lexer.process_word(&value, &EnvList::default());
        // An inherited trigger's failure is at the `FROM` of the stage that runs it
        // (`initOnBuildTriggers`' `SetLocation`), naming the trigger, as in dispatch.
        let relocate = match (&origin, at) {
            (RefOrigin::Inherited { .. }, Some(from)) => Some((from, c.range)),
            _ => self.relocate,
        };
        let outer = std::mem::replace(&mut self.relocate, relocate);
        let state = match expanded {
            Err(e) => {
                reference.target = RefTarget::Invalid(e.to_string());
                self.fail("invalid-from", &e.to_string(), Some(value_range), "dependency-graph");
                None
            }
            Ok(e) if e.result != value => {
                let message = "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround";
                reference.target = RefTarget::Invalid(message.into());
                // An inherited trigger's error is at the `FROM` of the stage that runs it
                // (`initOnBuildTriggers`' `SetLocation`); a written one's has no location.
                self.fail_in("variable-in-from", message, Some(value_range), at, "dependency-graph");
                None
            }
            Ok(_) => match value.parse::<i64>().ok() {
                Some(n) => {
                    if n >= 0 && (n as usize) < self.states.len() {
                        match self.states[n as usize].clone() {
                            State::Stage(t) => {
                                reference.target = RefTarget::Stage(t);
                                Some(n as usize)
                            }
                            State::External(img, _, _, _) => {
                                reference.target = self.image_target(img);
                                Some(n as usize)
                            }
                        }
                    } else {
                        let message = format!("invalid stage index {n}");
                        reference.target = RefTarget::Invalid(message.clone());
                        let count = self.stages.len();
                        // BuildKit's error has no location (`findStateByIndex` through
                        // `toCommand`, with no `WithLocation`): no lines, but the value's range;
                        // an inherited trigger's is at the inheriting `FROM`.
                        self.fail_in(
                            "stage-index-out-of-range",
                            &format!(
                                "{message}: the file has {count} stage{} (0 to {})",
                                if count == 1 { "" } else { "s" },
                                count.saturating_sub(1)
                            ),
                            Some(value_range),
                            at,
                            "dependency-graph",
                        );
                        None
                    }
                }
                None => match self.find_state_by_name(&value) {
                    Some(t) => {
                        reference.target = RefTarget::Stage(t);
                        Some(t)
                    }
                    None => {
                        reference.target = self.image_target(value.clone());
                        // (An inherited trigger's image is at the FROM that runs it, as its
                        // command is: `initOnBuildTriggers` moves the trigger's lines there. The
                        // browser build, within its size budget, keeps the trigger's.)
                        let error_at = if cfg!(feature = "build-failures") { at.unwrap_or(c.range) } else { c.range };
                        self.states.push(State::External(value.clone(), error_at, range, true));
                        #[cfg(feature = "build-failures")]
                        if at.is_some() {
                            self.trigger_images.push((self.states.len() - 1, c.range));
                        }
                        Some(self.states.len() - 1)
                    }
                },
            },
        };
        self.relocate = outer;
        if let RefTarget::Stage(t) = reference.target {
            reference.forward = forward_to(t, s, &origin);
        }
        let dep = reference.is_dependency().then(|| Dep {
            target: reference.target.clone(),
            kind: if matches!(origin, RefOrigin::Inherited { .. }) { EdgeKind::Onbuild } else { EdgeKind::Copy },
            range,
            implicit: false,
        });
        self.references.push(reference);
        if let Some(d) = dep.filter(|d| !matches!(d.target, RefTarget::Invalid(_))) {
            self.deps[s].push(d);
        }
        state.filter(|_| !matches!(origin, RefOrigin::OnbuildTrigger))
    }

    /// A RUN's mounts: every mount depends on its `from=` (or on `scratch` without one).
    fn mounts(
        &mut self,
        s: usize,
        node: &Instruction,
        c: &InstructionInfo,
        origin: RefOrigin,
        at: Option<TextRange>,
    ) -> Vec<(usize, TextRange)> {
        let mut sources = Vec::new();
        let mount_flags: Vec<&FlagInfo> = c.flags.iter().filter(|f| f.name() == "mount").collect();
        if mount_flags.is_empty() {
            return sources;
        }
        let (line, end_line) = self.lines(at.unwrap_or(c.range));
        // The flag nodes, for where `from=` values are written; read once, when one is.
        let mut flag_nodes: Option<Vec<Flag>> = None;
        for (mount_index, flag) in mount_flags.iter().enumerate() {
            let fields = csv_fields(flag.value().unwrap_or_default()).unwrap_or_default();
            let from = mount_field(&fields, &["from"]).map(str::to_string);
            let mount_type = mount_field(&fields, &["type"]).map_or_else(|| "bind".to_string(), go::to_lower);
            let from_range = match from {
                Some(_) => mount_from_range(flag_nodes.get_or_insert_with(|| node.flags().collect()), flag),
                None => None,
            }
            .unwrap_or(flag.range);
            if from.as_deref() == Some("") && !matches!(origin, RefOrigin::Inherited { .. }) {
                // The whole `from=`, where the empty value is found after it.
                let end = usize::from(from_range.end());
                let key = end
                    .checked_sub(5)
                    .filter(|&k| self.text.get(k..end).is_some_and(|t| t.eq_ignore_ascii_case("from=")));
                let range = key.map_or(from_range, |k| TextRange::new(TextSize::new(k as u32), from_range.end()));
                self.empty_from(range, false);
            }
            let name = from.clone().filter(|f| !f.is_empty()).unwrap_or_else(|| "scratch".into());
            let stage = self.find_state_by_name(&name);
            let explicit = from.as_deref().is_some_and(|f| !f.is_empty());
            if !explicit && stage.is_none() {
                // A plain mount: it depends on the (external) empty image.
                if !matches!(origin, RefOrigin::OnbuildTrigger) {
                    self.states.push(State::External("scratch".into(), c.range, c.range, false));
                    sources.push((self.states.len() - 1, at.unwrap_or(flag.range)));
                    self.deps[s].push(Dep {
                        target: RefTarget::Scratch,
                        kind: if matches!(origin, RefOrigin::Inherited { .. }) {
                            EdgeKind::Onbuild
                        } else {
                            EdgeKind::Mount
                        },
                        range: at.unwrap_or(flag.range),
                        implicit: true,
                    });
                }
                continue;
            }
            let target = match stage {
                Some(t) => RefTarget::Stage(t),
                // BuildKit refuses the instruction while parsing (reported there): no image.
                None if explicit && crate::instructions::mount_from_has_variable(&name) => {
                    RefTarget::Invalid(crate::instructions::MOUNT_FROM_VARIABLE.into())
                }
                None => self.image_target(name.clone()),
            };
            let kind = if explicit {
                RefKind::MountFrom { mount_type, mount_index }
            } else {
                RefKind::MountImplicitScratch { mount_type, mount_index }
            };
            let range = at.unwrap_or(if explicit { from_range } else { flag.range });
            let reference = StageRef {
                kind,
                in_stage: s,
                instruction: c.keyword.to_string(),
                value: if explicit { name.clone() } else { String::new() },
                range,
                instruction_range: c.range,
                target: target.clone(),
                forward: matches!(target, RefTarget::Stage(t) if forward_to(t, s, &origin)),
                origin: origin.clone(),
                line,
                end_line,
            };
            if reference.is_dependency() && !matches!(target, RefTarget::Invalid(_)) {
                self.deps[s].push(Dep {
                    target: target.clone(),
                    kind: if matches!(origin, RefOrigin::Inherited { .. }) {
                        EdgeKind::Onbuild
                    } else {
                        EdgeKind::Mount
                    },
                    range,
                    implicit: false,
                });
                match stage {
                    Some(t) => sources.push((t, range)),
                    None => {
                        // (BuildKit's error names no lines; an inherited trigger's is said at the
                        // FROM that runs it, as its COPY's and its finding are.)
                        let error_at = if cfg!(feature = "build-failures") { at.unwrap_or(c.range) } else { c.range };
                        self.states.push(State::External(name.clone(), error_at, range, false));
                        sources.push((self.states.len() - 1, range));
                        #[cfg(feature = "build-failures")]
                        if at.is_some() {
                            self.trigger_images.push((self.states.len() - 1, c.range));
                        }
                    }
                }
            }
            self.references.push(reference);
        }
        sources
    }

    /// BuildKit's `validateCircularDependency` over COPY and mount edges. Its message names the
    /// stage the search started from; ours then says which stages take from which, and where.
    fn cycles(&mut self, graph: &[Vec<(usize, TextRange)>]) {
        let n = self.stages.len();
        let mut visited = vec![false; n];
        let mut on_path = vec![false; n];
        /// Depth first from `state`; on a cycle, the stage it closes on (`path` holds the edges
        /// followed: the stage each leaves and its reference).
        fn visit(
            state: usize,
            graph: &[Vec<(usize, TextRange)>],
            visited: &mut [bool],
            on_path: &mut [bool],
            path: &mut Vec<(usize, TextRange)>,
        ) -> Option<usize> {
            if visited[state] {
                return None;
            }
            visited[state] = true;
            on_path[state] = true;
            for &(dep, range) in &graph[state] {
                path.push((state, range));
                if dep < on_path.len() && on_path[dep] {
                    return Some(dep);
                }
                if dep < visited.len() {
                    if let Some(closed) = visit(dep, graph, visited, on_path, path) {
                        return Some(closed);
                    }
                }
                path.pop();
            }
            on_path[state] = false;
            None
        }
        for root in 0..n {
            let mut path = Vec::new();
            if let Some(closed) = visit(root, graph, &mut visited, &mut on_path, &mut path) {
                let name = self.stage_display(root);
                let range = path.first().map(|&(_, r)| r);
                let start = path.iter().position(|&(from, _)| from == closed).unwrap_or(0);
                let message =
                    format!("circular dependency detected on stage: {name}; {}", self.explain_cycle(&path, start));
                #[cfg(feature = "build-failures")]
                let first = !self.stopped;
                self.fail("circular-dependency", &message, range, "dependency-graph");
                // BuildKit's error names the instruction of each reference its search followed
                // (`WithLocation` for each command on the path, from the stage it started at).
                #[cfg(feature = "build-failures")]
                if first {
                    // (Each reference's instruction, looked up: a cycle may run through
                    // thousands of stages.)
                    let instructions: Map<TextRange, TextRange> =
                        self.references.iter().map(|x| (x.range, x.instruction_range)).collect();
                    let instruction = |r: TextRange| instructions.get(&r).copied().unwrap_or(r);
                    let lines: Vec<(u32, u32)> = path.iter().map(|&(_, r)| self.lines(instruction(r))).collect();
                    if let Some(e) = self.build_error.as_mut() {
                        e.lines = lines.first().copied();
                    }
                    self.error_lines = lines.into_iter().skip(1).collect();
                }
                return;
            }
        }
    }

    /// What a cycle of stages is made of: each stage, what it takes from and where (led to from
    /// the stage the search started at, when that one is not in it); a stage that takes from
    /// itself through a name several stages have is told which one BuildKit takes. (Written
    /// piece by piece: each `format!` costs the browser build its own code.)
    fn explain_cycle(&self, path: &[(usize, TextRange)], start: usize) -> String {
        let mut out = String::new();
        let quoted = |out: &mut String, s: &str| {
            out.push('`');
            out.push_str(s);
            out.push('`');
        };
        // Stages that share a name are told apart by their lines.
        let sharing = |s: usize| self.name_shared.get(s).copied().unwrap_or(false);
        let label = |out: &mut String, s: usize| {
            quoted(out, &self.stage_display(s));
            if sharing(s) {
                out.push_str(" (line ");
                out.push_str(&self.stages[s].line.to_string());
                out.push(')');
            }
        };
        for (i, &(from, r)) in path.iter().enumerate() {
            let to = path.get(i + 1).map_or(path[start].0, |e| e.0);
            if i == start && i > 0 {
                out.push_str(", which is in a cycle: ");
            } else if i > 0 {
                out.push_str(", ");
            }
            label(&mut out, from);
            let written = &self.text[r];
            if from == to {
                out.push_str(" takes from itself");
            } else {
                out.push_str(if i == 0 || i == start { " takes from " } else { " from " });
                label(&mut out, to);
            }
            if written != self.stage_display(to) {
                out.push_str(" (");
                quoted(&mut out, written);
                out.push(')');
            }
            out.push_str(" on line ");
            out.push_str(&self.lines(r).0.to_string());
        }
        if let [(s, r)] = path[start..] {
            // A name (not an index) several stages have: BuildKit takes the last.
            let by_name = !crate::model::is_index(&self.text[r]);
            if by_name && sharing(s) {
                out.push_str(": BuildKit takes the last of the stages named ");
                quoted(&mut out, &self.stage_display(s));
                out.push_str("; rename one of them");
            } else {
                out.push_str(": a stage cannot take files from itself; name an earlier stage");
            }
            return out;
        }
        out.push_str(": one of them must not");
        out
    }

    // ---- ONBUILD triggers inherited from base stages ----

    fn onbuild_triggers(&mut self) {
        // One list per base, shared by the stages built on it (a list each was quadratic:
        // 4,000 stages on one of 4,000 triggers took 4.4 GB).
        // (The first stage built on each base, whose list the others share.)
        let mut first = vec![usize::MAX; self.stages.len()];
        let none = Rc::new(Vec::new());
        let mut triggers: Vec<Rc<Vec<Cmd<'a>>>> = Vec::with_capacity(self.stages.len());
        for s in 0..self.stages.len() {
            let list = match self.stages[s].base_kind {
                BaseKind::Stage(b) if first[b] < s => Rc::clone(&triggers[first[b]]),
                BaseKind::Stage(b) => {
                    first[b] = s;
                    Rc::new(self.base_triggers(b))
                }
                _ => Rc::clone(&none),
            };
            triggers.push(list);
        }
        // BuildKit reads the triggers of the stages the target needs (`resolveStages`), again
        // as long as their references make more stages needed; even its lint of every stage
        // reads no others. Those are read here too, for the graph and for editors, but what
        // would fail them is only a warning of ours: it fails the build when such a stage is.
        let n = self.stages.len();
        let target = self.build_target();
        let direct = self.direct_deps();
        // In passes over the stages in file order: the needed ones not read yet, and the stages
        // their triggers' references need (no closure of the whole graph computed again).
        let mut needed = vec![false; n];
        for s in crate::graph::closure(&direct, target) {
            needed[s] = true;
        }
        #[cfg(feature = "build-failures")]
        {
            self.trigger_rounds = (vec![usize::MAX; n], vec![self.states.len()]);
        }
        let mut read = vec![false; n];
        let mut more = true;
        // In rounds, as BuildKit reads them: the stages needed when a round starts. (The browser
        // build, for its size, reads a stage a trigger makes needed in the same pass when it
        // comes later: the same references, found in another order.)
        while more {
            more = false;
            #[cfg(feature = "build-failures")]
            let round = needed.clone();
            for s in 0..n {
                #[cfg(feature = "build-failures")]
                let now = round[s];
                #[cfg(not(feature = "build-failures"))]
                let now = needed[s];
                if !now || read[s] {
                    continue;
                }
                more = true;
                read[s] = true;
                #[cfg(feature = "build-failures")]
                {
                    self.trigger_rounds.0[s] = self.trigger_rounds.1.len() - 1;
                }
                let before = self.deps[s].len();
                #[cfg(feature = "build-failures")]
                let (stopped, diagnostics) = (self.stopped, self.diagnostics.len());
                self.read_triggers(s, &triggers[s]);
                #[cfg(feature = "build-failures")]
                self.defer_trigger_failure(s, stopped, diagnostics);
                // What a newly needed stage needs, through its written references too.
                for d in &self.deps[s][before..] {
                    if let RefTarget::Stage(t) = d.target {
                        if !needed[t] {
                            for u in crate::graph::closure(&direct, t) {
                                needed[u] = true;
                            }
                        }
                    }
                }
            }
            #[cfg(feature = "build-failures")]
            if more {
                self.trigger_rounds.1.push(self.states.len());
            }
        }
        // The others' are read within a budget: each stage inherits its base's triggers, and
        // 2,000 stages on one of 2,000 `ONBUILD COPY --from` triggers made 4 million references
        // (1.4 GB) that no build reads.
        // (Counted among those that may refer to a stage, once per base.)
        // (Not in the browser build, for its size.)
        let mut referring: Vec<Option<usize>> = vec![None; n];
        let (mut left, mut said) = (INHERITED_TRIGGERS, false);
        for s in (0..n).filter(|&s| !read[s]) {
            if let (true, &BaseKind::Stage(b)) = (cfg!(feature = "large-files"), &self.stages[s].base_kind) {
                let count = *referring[b].get_or_insert_with(|| {
                    let refers = |c: &&Cmd| match c.info.kind {
                        COPY_INSTR => c.info.last_flag("from").is_some(),
                        RUN_INSTR => c.info.flags.iter().any(|f| f.name() == "mount"),
                        _ => false,
                    };
                    triggers[s].iter().filter(refers).count()
                });
                if left < count {
                    if !said {
                        let message = format!(
                            "stagecraft has read {INHERITED_TRIGGERS} ONBUILD triggers that stages the build does not need inherit, and reads no more of them from here on but those that still fit: what the others copy or mount from other stages is not shown; the stages the build needs are all read"
                        );
                        self.ours("triggers-not-read", Severity::Info, self.stages[s].from_range, message, None);
                        said = true;
                    }
                    continue;
                }
                left -= count;
            }
            let (error, stopped, before) = (self.build_error.take(), self.stopped, self.diagnostics.len());
            #[cfg(feature = "build-failures")]
            let states = self.states.len();
            self.read_triggers(s, &triggers[s]);
            // The images they name are said here, as what would fail such a stage's build, and
            // are no states of this build (BuildKit never reads these triggers).
            #[cfg(feature = "build-failures")]
            {
                self.resolve_stages(states, usize::MAX);
                self.states.truncate(states);
                self.trigger_images.retain(|t| t.0 < states);
            }
            self.build_error = error;
            self.stopped = stopped;
            for d in &mut self.diagnostics[before..] {
                if d.severity == Severity::Error && !d.buildkit_reports {
                    d.severity = Severity::Warning;
                }
            }
        }
        self.triggers = triggers;
    }

    /// A failure stage `s`'s inherited triggers met as their references were read (after
    /// `diagnostics`, where the engine had not `stopped`) waits for its turn: BuildKit meets it in
    /// `initOnBuildTriggers`, after the first round of resolving images and checking platforms,
    /// and only if no trigger before it fails to parse (`parse_triggers`).
    #[cfg(feature = "build-failures")]
    fn defer_trigger_failure(&mut self, s: usize, stopped: bool, diagnostics: usize) {
        if stopped || !self.stopped {
            return;
        }
        let trigger = self.diagnostics[diagnostics..].iter().find_map(|d| d.trigger);
        if let (Some(trigger), Some(error)) = (trigger, self.build_error.take()) {
            self.trigger_failures.push((s, trigger, error));
            self.stopped = false;
        }
    }

    /// The references of stage `s`'s inherited triggers, which go through the same checks as
    /// written ones.
    fn read_triggers(&mut self, s: usize, triggers: &[Cmd<'a>]) {
        // The references are at the inheriting FROM, without the blanks its line ends in.
        let escape = self.lexer.escape();
        let from = crate::without_trailing_blanks(self.text, self.stages[s].from_range, escape);
        for Cmd { node: t, info, .. } in triggers {
            match info.kind {
                COPY_INSTR => {
                    let trigger_range = info.last_flag("from").and_then(|f| f.value_range);
                    if let Some(tr) = trigger_range {
                        self.copy_from(s, info, RefOrigin::Inherited { trigger_range: tr }, Some(from));
                    }
                }
                RUN_INSTR => {
                    let tr = crate::without_trailing_blanks(self.text, info.range, escape);
                    self.mounts(s, t, info, RefOrigin::Inherited { trigger_range: tr }, Some(from));
                }
                _ => {}
            }
        }
    }

    /// Each stage's direct dependencies as BuildKit follows them to find what a target needs
    /// (with the stages a named context's replaced stage still reaches).
    fn direct_deps(&self) -> Vec<Vec<usize>> {
        let mut direct = crate::graph::stage_deps(&self.deps);
        for (s, more) in self.dispatch_only.iter().enumerate().filter(|_| cfg!(feature = "named-contexts")) {
            direct[s].extend(more.iter().copied().filter(|&t| t != s));
        }
        direct
    }

    /// The triggers of the ONBUILD instructions of stage `b`, which the stages built on it run.
    fn base_triggers(&self, b: usize) -> Vec<Cmd<'a>> {
        self.syntax[b]
            .commands
            .iter()
            .map(|&c| &self.cmds[c])
            .filter(|c| c.info.kind == ONBUILD_INSTR)
            .filter_map(|c| c.node.trigger())
            .map(|node| Cmd { info: node.info_in(self.text), node, commented: false })
            .collect()
    }

    // ---- resolve stages ----

    /// The image names of BuildKit's states `from..to` (a round of `resolveReachableStages`;
    /// the browser build, for its size, resolves them all in one).
    fn resolve_stages(
        &mut self,
        #[cfg(feature = "build-failures")] from: usize,
        #[cfg(feature = "build-failures")] to: usize,
    ) {
        let mut last_error: Option<(String, TextRange, bool)> = None;
        #[cfg(feature = "build-failures")]
        let states = self.states.get(from..to.min(self.states.len())).unwrap_or_default().to_vec();
        #[cfg(not(feature = "build-failures"))]
        let states = self.states.clone();
        #[cfg(feature = "build-failures")]
        let mut index = from;
        for state in states {
            #[cfg(feature = "build-failures")]
            {
                index += 1;
            }
            #[cfg(feature = "named-contexts")]
            let stage = match state {
                State::Stage(s) => Some(s),
                State::External(..) => None,
            };
            // The base as written, when ARGs made the name.
            // `range`: where BuildKit reports it (the build's error); `at`: the finding's;
            // `located`: whether BuildKit's error names its lines.
            let (name, range, at, written, located) = match state {
                // An image's name is its expanded base; a stage a named context replaces still has
                // its base name parsed as an image's (`resolveBaseImage` parses it before it
                // loads the context).
                State::Stage(s) => match (&self.stages[s].base_kind, &self.stages[s].base_expanded) {
                    (BaseKind::Image(_) | BaseKind::NamedContext(_) | BaseKind::ImageContext(_), Some(b)) => {
                        let range = self.stages[s].base_range.unwrap_or(self.stages[s].from_range);
                        (b.clone(), range, range, Some(&self.stages[s].base).filter(|b| b.contains('$')).cloned(), true)
                    }
                    _ => continue,
                },
                State::External(name, range, at, located) => {
                    if name == "scratch" {
                        continue;
                    }
                    (name, range, at, None, located)
                }
            };
            if let Err(e) = self.image_name(&name) {
                let mut message = format!("failed to parse stage name {}: {e}", go::quote_str(&name));
                if let Some(written) = written {
                    message.push_str(&format!("; `{written}` expands to it: {}", self.empty_args_advice(range)));
                } else if let Some(hint) = reference_hint(&name) {
                    message.push_str("; ");
                    message.push_str(hint);
                }
                self.ours("invalid-image-reference", Severity::Error, at, message.clone(), None);
                // (An image an inherited trigger names: the note names the trigger.)
                #[cfg(feature = "build-failures")]
                if let Ok(t) = self.trigger_images.binary_search_by_key(&(index - 1), |t| t.0) {
                    let trigger = Some(self.trigger_images[t].1);
                    if let Some(d) = self.diagnostics.last_mut() {
                        d.trigger = trigger;
                    }
                }
                last_error = Some((message, range, located));
                continue;
            }
            // Then the named context it is replaced by, if one is given (only for a stage the
            // target needs: BuildKit loads it there).
            #[cfg(feature = "named-contexts")]
            {
                let key = match stage {
                    Some(s) => match &self.stages[s].base_kind {
                        BaseKind::NamedContext(k) | BaseKind::ImageContext(k) => Some(k.clone()),
                        _ => None,
                    },
                    None => self.named_context(&name),
                };
                // (An image's state is reached from the stage whose instruction names it; a
                // trigger's is said at the FROM of the stage that runs it.)
                // (Looked for only where the context has an error: a search of the stages for
                // each image reference was quadratic in a file of many stages copying from one.)
                let reached = || {
                    let at = self.stages.partition_point(|st| st.range.start() <= range.start());
                    let within = at.checked_sub(1).filter(|&s| self.stages[s].range.contains(range.start()));
                    stage.or(within).is_some_and(|s| self.reachable.get(s) != Some(&false))
                };
                if let Some(message) = key.as_deref().and_then(|k| self.context_error(k)).filter(|_| reached()) {
                    let message = message.to_string();
                    // (A stage the context replaces whole is pointed at by its name.)
                    let at = match stage.map(|s| (&self.stages[s].base_kind, self.stages[s].name_range)) {
                        Some((BaseKind::NamedContext(_), Some(name))) => name,
                        _ => at,
                    };
                    self.ours("invalid-build-context", Severity::Error, at, message.clone(), None);
                    last_error = Some((message, range, located));
                }
            }
        }
        if let Some((message, range, located)) = last_error {
            if !self.stopped {
                let lines = located.then(|| self.lines(range));
                self.build_error = Some(BuildError { message, range: Some(range), lines, phase: "resolve-stages" });
            }
            self.stopped = true;
        }
    }

    // ---- dispatch ----

    /// The stages dispatched, as BuildKit resolves them as reachable: its lint without a target
    /// dispatches every stage (`AllStages`); a build, or a lint with `--target`, only the stages
    /// the target needs (`allReachable`, `needed`): here those of every target in play given
    /// with it. (Out of line: the browser module measured 20 to 55 bytes smaller so.)
    #[inline(never)]
    fn dispatch_set(&self, target: usize, direct: &[Vec<usize>], needed: &[usize]) -> Vec<bool> {
        let n = self.stages.len();
        let mut dispatch_set = vec![true; n];
        if self.options.target_name().is_some() || self.options.only_needed_stages {
            dispatch_set = vec![false; n];
            let more = self.options.targets.iter().filter_map(|t| self.target_index(t));
            let others = more.filter(|&t| t != target).flat_map(|t| crate::graph::closure(direct, t));
            for s in needed.iter().copied().chain(others) {
                dispatch_set[s] = true;
            }
        }
        dispatch_set
    }

    fn dispatch(&mut self) {
        let n = self.stages.len();
        // What the target builds (`--target`, else the last stage), sorted.
        let target = self.build_target();
        let direct = self.direct_deps();
        let needed = crate::graph::closure(&direct, target);
        // (The browser build, for its size, reads the triggers first, whose failure then drops
        // the platforms' checks.)
        #[cfg(not(feature = "build-failures"))]
        if !self.stopped {
            self.parse_triggers(&needed);
        }
        let dispatch_set = self.dispatch_set(target, &direct, &needed);
        let lint_all = self.options.target_name().is_none() && !self.options.only_needed_stages;
        #[cfg(feature = "build-failures")]
        self.resolve_with_triggers(&dispatch_set, lint_all);
        // BuildKit checks each base image's platform as it resolves it, before any dispatch.
        #[cfg(not(feature = "build-failures"))]
        if !self.stopped {
            for s in (0..n).filter(|&s| dispatch_set[s]) {
                self.base_image_platform(s);
            }
        }
        // The build context's ignore file is read before any stage is dispatched.
        #[cfg(feature = "build-failures")]
        if let Some(message) = self.options.ignore_error.clone().filter(|_| !self.stopped) {
            self.build_error = Some(BuildError { message, range: None, lines: None, phase: "context" });
            self.stopped = true;
        }
        let mut finals: Vec<Option<DispatchState>> = vec![None; n];
        // The last stage dispatched on each stage: it takes the state its base leaves, the
        // others copy it. (A base is an earlier stage.)
        let mut last_user = vec![usize::MAX; n];
        for s in (0..n).filter(|&s| dispatch_set[s]) {
            if let BaseKind::Stage(b) = self.stages[s].base_kind {
                last_user[b] = s;
            }
        }
        let mut dispatched = vec![false; n];
        // A stage a named context replaces is loaded before any stage is dispatched
        // (`resolveBaseImage` marks it dispatched): an earlier stage may copy from it.
        for s in (0..n).filter(|&s| dispatch_set[s]) {
            dispatched[s] = matches!(self.stages[s].base_kind, BaseKind::NamedContext(_));
        }
        let target_windows = self.target.os == "windows";
        for s in 0..n {
            if !dispatch_set[s] {
                continue;
            }
            // A stage on another stage takes its platform too, whatever its own `--platform`
            // says (BuildKit's `dispatchState.init`).
            // A stage without `--platform` is for the target platform.
            let windows = self.stage_windows.get(s).copied().flatten().unwrap_or(target_windows);
            if self.probing() {
                let base = if let BaseKind::Stage(b) = self.stages[s].base_kind { Some(b) } else { None };
                self.probe.stage_start(n, base.filter(|&b| finals[b].is_some()));
            }
            let mut st = match self.stages[s].base_kind {
                BaseKind::Stage(b) => match if last_user[b] == s { finals[b].take() } else { finals[b].clone() } {
                    // The base's environment, then its image config's `Env` again on top.
                    Some(mut st) => {
                        st.env.set_all(&st.image_env);
                        st
                    }
                    None => DispatchState::image(windows),
                },
                // The empty image has no working directory: paths start at `/`. BuildKit gives it
                // the target platform, whatever the stage's own `--platform` says.
                BaseKind::Scratch => DispatchState::scratch(target_windows),
                _ => DispatchState::image(windows),
            };
            st.cmd = None;
            st.entrypoint = None;
            st.healthcheck = None;
            // A replaced stage's steps are not run; but BuildKit's lint of every stage dispatches
            // it again, steps and all.
            let commands = if matches!(self.stages[s].base_kind, BaseKind::NamedContext(_)) && !lint_all {
                Vec::new()
            } else {
                self.syntax[s].commands.clone()
            };
            let cmds = Rc::clone(&self.cmds);
            if needed.binary_search(&s).is_ok() {
                self.run_triggers(s, &mut st, &dispatched);
            }
            for c in commands {
                self.dispatch_command(s, &cmds[c], &mut st, &dispatched);
            }
            dispatched[s] = true;
            // (Kept only for the stages built on it, and only until the last of them.)
            finals[s] = (last_user[s] != usize::MAX).then_some(st);
            if self.probing() {
                self.probe.stage_end(s);
                // Later stages cannot change what an earlier one had.
                if self.probe_found() {
                    break;
                }
            }
        }
    }

    /// BuildKit's order from its first round of `resolveReachableStages` on (that round's image
    /// names are resolved by now), round by round: it checks the platform of each base image
    /// the round resolves (in the first, every stage's for a lint of all stages, else those the
    /// target needs through written references; later, those the last round's triggers made
    /// needed), then reads the triggers of the stages first needed in the round, each trigger
    /// parsed and its references looked up before the next (`initOnBuildTriggers`); the next
    /// round first resolves the images those triggers named.
    #[cfg(feature = "build-failures")]
    fn resolve_with_triggers(&mut self, dispatch_set: &[bool], lint_all: bool) {
        let (round_of, ends) = std::mem::take(&mut self.trigger_rounds);
        let in_round = |s: usize, k: usize| match round_of.get(s) {
            _ if lint_all => k == 0,
            Some(&r) => r == k,
            None => false,
        };
        for k in 0..ends.len() {
            if k > 0 {
                self.resolve_stages(ends[k - 1], ends[k]);
            }
            if !self.stopped {
                for s in (0..dispatch_set.len()).filter(|&s| dispatch_set[s] && in_round(s, k)) {
                    self.base_image_platform(s);
                }
            }
            let stages: Vec<usize> = (0..round_of.len()).filter(|&s| round_of[s] == k).collect();
            if !self.stopped && !stages.is_empty() {
                self.parse_triggers(&stages);
            }
        }
        // (Stages only other targets in play need, which this build does not resolve.)
        if !self.stopped && !lint_all {
            for s in (0..dispatch_set.len()).filter(|&s| dispatch_set[s] && round_of.get(s) == Some(&usize::MAX)) {
                self.base_image_platform(s);
            }
        }
    }

    /// BuildKit parses the ONBUILD triggers of the stages the target needs while it resolves
    /// them (`initOnBuildTriggers`), and fails at the first that is no valid instruction, at
    /// the `FROM` of the stage that would run it. (The ONBUILD itself checks only the trigger's
    /// keyword.)
    #[inline(never)]
    fn parse_triggers(&mut self, needed: &[usize]) {
        let mut bad = None;
        // Each base's triggers are read once, for every stage built on it: the stages share the
        // list, parsed again where it needs to be.
        // (The first stage read for each base.)
        let mut done = vec![usize::MAX; self.stages.len()];
        for &s in needed {
            let BaseKind::Stage(b) = self.stages[s].base_kind else { continue };
            // (After a failure no stage checks its triggers, and the stages on the failed base
            // share its list as far as it was read again. The browser build, for its size,
            // checks a base's triggers for each needed stage built on it: without
            // `build-failures` it reads none again.)
            if cfg!(feature = "build-failures") && done[b] != usize::MAX {
                self.triggers[s] = Rc::clone(&self.triggers[done[b]]);
                continue;
            }
            if bad.is_some() {
                continue;
            }
            // (A trigger's reference failed: the build's error by now.)
            #[cfg(feature = "build-failures")]
            if self.stopped {
                continue;
            }
            let mut list = Rc::clone(&self.triggers[s]);
            for i in 0..list.len() {
                let range = list[i].info.range;
                match self.parsed_again(&list[i]) {
                    Err(message) => {
                        bad = Some((s, range, "syntax-error", message));
                        break;
                    }
                    // (The list copied once, if it is.)
                    Ok(Some(again)) => Rc::make_mut(&mut list)[i] = again,
                    Ok(None) => {}
                }
                let t = &list[i];
                if let Err(e) = instructions::check(&t.node, &t.info, &mut Vec::new()) {
                    let code = if t.info.kind == ERROR { "unknown-instruction" } else { "invalid-instruction" };
                    bad = Some((s, range, code, e.message));
                    break;
                }
                // Then the trigger's references (`toCommand`), before the next trigger is parsed.
                #[cfg(feature = "build-failures")]
                if let Some(f) = self.trigger_failures.iter().position(|f| (f.0, f.1) == (s, range)) {
                    self.trigger_failed(f);
                    break;
                }
            }
            // (Kept when a trigger failed too: BuildKit stops there, but the analysis goes on
            // and runs the triggers read before it as BuildKit reads them.)
            self.triggers[s] = list;
            done[b] = s;
        }
        if let Some((s, trigger, code, message)) = bad {
            self.relocate = Some((self.stages[s].from_range, trigger));
            self.fail(code, &message, None, "resolve-stages");
            self.relocate = None;
        }
        // (A failure waiting in one of these stages where no trigger read reached it: still the
        // build's.)
        #[cfg(feature = "build-failures")]
        if let Some(f) = self.trigger_failures.iter().position(|f| needed.binary_search(&f.0).is_ok()) {
            if !self.stopped {
                self.trigger_failed(f);
            }
        }
    }

    /// The trigger failure `f` of [`Engine::trigger_failures`] is the build's: BuildKit has read
    /// the trigger (`initOnBuildTriggers`).
    #[cfg(feature = "build-failures")]
    fn trigger_failed(&mut self, f: usize) {
        let (_, _, error) = self.trigger_failures.swap_remove(f);
        self.build_error = Some(BuildError { phase: "resolve-stages", ..error });
        self.stopped = true;
    }

    /// The trigger as BuildKit runs it, where that differs from the file's tree.
    /// `initOnBuildTriggers` parses a trigger again from its text alone (the ONBUILD's line
    /// without the keyword), so with the default escape character: under `# escape=`` ` `` the
    /// words of an ENV, LABEL or ARG trigger can split otherwise (`ENV A=x`` y` is two words
    /// there, and fails; `C:\Program`` Files` too). Such a trigger is read from that parse, each
    /// of its ranges the trigger's own (what it finds is reported at the FROM that runs it).
    /// `Ok(None)`: the file's reading stands; `Err`: that parse fails, with BuildKit's message.
    fn parsed_again(&self, t: &Cmd<'a>) -> Result<Option<Cmd<'a>>, String> {
        let words = matches!(t.info.kind, ENV_INSTR | LABEL_INSTR | ARG_INSTR);
        if !cfg!(feature = "build-failures") || self.lexer.escape() == '\\' || !words {
            return Ok(None);
        }
        let Some(onbuild) = t.node.syntax().parent() else { return Ok(None) };
        // (`(?i)^\s*ONBUILD\s*` taken off the line, as `parseOnBuild` does.)
        let line = stagecraft_syntax::ast::logical_text(&onbuild);
        let rest = line.trim_start_matches(go::RE2_SPACE);
        let Some(rest) = rest.get(7..).filter(|_| rest[..7].eq_ignore_ascii_case("onbuild")) else { return Ok(None) };
        let parse = stagecraft_syntax::parse(rest.trim_start_matches(go::RE2_SPACE));
        if let Some(e) = parse.errors().first() {
            return Err(e.message().to_string());
        }
        let Some(node) = parse.tree().instructions().next() else { return Ok(None) };
        let mut info = node.info();
        let key = |p: &PairInfo| (p.key.to_string(), p.value.as_deref().map(str::to_string), p.has_eq);
        if info.kind == t.info.kind && info.pairs.iter().map(key).eq(t.info.pairs.iter().map(key)) {
            return Ok(None);
        }
        let r = t.info.range;
        (info.range, info.keyword_range, info.shell_command) = (r, r, info.shell_command.map(|_| r));
        for f in &mut info.flags {
            (f.range, f.name_range, f.value_range) = (r, r, f.value_range.map(|_| r));
        }
        for w in &mut info.words {
            w.1 = r;
        }
        for p in &mut info.pairs {
            (p.range, p.key_range, p.value_range) = (r, r, p.value_range.map(|_| r));
        }
        Ok(Some(Cmd { node, info, commented: false }))
    }

    /// A stage the target needs runs its base stage's ONBUILD triggers first (BuildKit's
    /// `initOnBuildTriggers`, for the direct base only), and what they find is reported at its
    /// `FROM`. (Their references were read with the stage's, in `onbuild_triggers`.)
    #[inline(never)]
    fn run_triggers(&mut self, s: usize, st: &mut DispatchState, dispatched: &[bool]) {
        let triggers = Rc::clone(&self.triggers[s]);
        for t in triggers.iter() {
            self.relocate = Some((self.stages[s].from_range, t.info.range));
            self.dispatch_command(s, t, st, dispatched);
        }
        self.relocate = None;
    }

    fn dispatch_command(&mut self, s: usize, cmd: &Cmd, st: &mut DispatchState, dispatched: &[bool]) {
        let c = &cmd.info;
        let config = self.config_for(c.range);
        let node = c.range;
        self.probe_here(node, &st.env, &st.build_args, None);
        match c.kind {
            ENV_INSTR | LABEL_INSTR => {
                let name = &c.keyword;
                // BuildKit expands every word of the instruction before it sets any of them
                // (`dispatch` expands, then `dispatchEnv` sets): `ENV abc=bye def=$abc` gives
                // `def` the value `abc` had before the line, as the Dockerfile reference says.
                let mut set = Vec::new();
                for kv in &c.pairs {
                    let key = self.expand(&kv.key, st, node, &config);
                    let value = self.expand(kv.value.as_deref().unwrap_or_default(), st, node, &config);
                    // (`ENV A` alone is a parse error, not a legacy pair.)
                    if !kv.has_eq && kv.value.is_some() {
                        self.hit_fixed(
                            rules::LEGACY_KEY_VALUE_FORMAT,
                            format!(
                                "\"{name} key=value\" should be used instead of legacy \"{name} key value\" format"
                            ),
                            (kv.range, node),
                            legacy_fix(kv, self.lexer.escape() as u8),
                            &config,
                        );
                    }
                    if c.kind == ENV_INSTR {
                        if let Some(k) = key.clone() {
                            set.push((k, value.unwrap_or_default(), kv.key_range));
                        }
                    }
                }
                // `dispatchEnv` checks the keys, once the whole instruction has expanded: a pair
                // that fails to expand fails the build before any key is checked (the keys are
                // still checked, as ours).
                for (k, _, at) in &set {
                    self.secrets(k, "ENV", *at, node, &config);
                }
                for (k, v, at) in set {
                    // (One string for both: a stage built on this one finds them the same.)
                    let (key, value) = (Text::from(k.as_str()), Text::from(v));
                    st.env.assign_shared(&key, value.clone());
                    st.image_env.assign_in_place_shared(&key, value);
                    if self.probing() {
                        self.probe.note(&k, Origin::Env(at), true);
                        // On a key written as it is (a variable in it has its own place, before
                        // the line), the probe takes what the pair leaves: a declaration's hover.
                        if self.text[at] == *k {
                            self.probe_here(at, &st.env, &st.build_args, None);
                        }
                    }
                }
            }
            ARG_INSTR => {
                for kv in &c.pairs {
                    let key = &kv.key;
                    // The pairs are set one by one: a later one expands with the earlier ones.
                    self.probe_here(kv.range, &st.env, &st.build_args, None);
                    self.secrets(key, "ARG", kv.key_range, node, &config);
                    let build_arg = self.stage_build_arg(key);
                    let build_arg = build_arg.as_deref();
                    let value = match (build_arg, &kv.value) {
                        (Some(v), _) => Some(v.to_string()),
                        (None, Some(raw)) => self.expand(raw, st, node, &config),
                        (None, None) => self.globals.get(key).map(String::from),
                    };
                    // Where the value came from, for a probe only.
                    // (SOURCE_DATE_EPOCH resolved from a global ARG's default reads as a build
                    // arg, and comes from that ARG.)
                    let origin = || match (build_arg, &kv.value) {
                        (Some(_), _) if self.options.build_arg(key).is_some() => Origin::BuildArg(kv.key_range),
                        (None, Some(_)) => Origin::Arg(kv.key_range),
                        _ => self.global_origin(key).map_or(Origin::Builtin, Origin::GlobalArg),
                    };
                    st.build_args.set_in_place(key, "");
                    // BuildKit's `nonEnvArgs` (the SBOM scan switches) are no variables.
                    if let Some(v) = value.filter(|_| !NON_ENV_ARGS.contains(&key.as_ref())) {
                        st.env.set(key, &v);
                        if self.probing() {
                            let origin = origin();
                            self.probe.note(key, origin, false);
                        }
                    }
                    // On the key, the probe takes what the pair leaves (a declaration's hover).
                    self.probe_here(kv.key_range, &st.env, &st.build_args, None);
                }
            }
            COPY_INSTR | ADD_INSTR => self.dispatch_copy(s, cmd, st, dispatched, &config),
            WORKDIR_INSTR => {
                let path = c.args.first().map_or("", |p| &**p);
                let expanded = self.expand(path, st, node, &config);
                // (`WORKDIR` alone is an error of its own, not a relative path.)
                if !st.workdir_set && !c.args.is_empty() {
                    if let Some(p) = &expanded {
                        if !is_abs(p, st.windows) {
                            self.hit(
                                rules::WORKDIR_RELATIVE_PATH,
                                format!(
                                    "Relative workdir {} can have unexpected results if the base image changes",
                                    go::quote_str(p)
                                ),
                                c.words.first().map(|w| w.1).unwrap_or(node),
                                node,
                                &config,
                            );
                        }
                    }
                }
                st.workdir_set = true;
                // BuildKit's `NormalizeWorkdir`: a relative path goes on from the one before.
                match expanded.as_deref() {
                    // (Read only for a build failure, which the browser build leaves out.)
                    _ if st.windows || !cfg!(feature = "build-failures") => st.dir = None,
                    Some(p) if p.starts_with('/') => {
                        st.dir_from_image = false;
                        st.dir = Some(crate::dockerignore::clean(p));
                    }
                    Some(p) => {
                        if let Some(d) = &mut st.dir {
                            crate::dockerignore::join_clean(d, p);
                        }
                    }
                    None => st.dir = None,
                }
                // BuildKit then normalises the path, which on Windows fails for another drive,
                // a bare drive and a UNC path.
                if let Some(e) = expanded.as_deref().filter(|_| st.windows).and_then(windows_workdir_error) {
                    self.fail("invalid-workdir", &e, Some(node), "dispatch");
                }
            }
            USER_INSTR | STOPSIGNAL_INSTR | VOLUME_INSTR => {
                // Every word expands (`Expand`) before the values are checked: one that fails
                // to expand fails the build first. (The words after it are still read, for
                // what they name.)
                let (mut values, mut expanded) = (Vec::new(), true);
                for a in &c.args {
                    match self.expand(a, st, node, &config) {
                        Some(value) if cfg!(feature = "build-failures") => values.push(value),
                        Some(_) => {}
                        None => expanded = false,
                    }
                }
                #[cfg(feature = "build-failures")]
                if expanded {
                    self.refuse_value(c, &values);
                }
                #[cfg(not(feature = "build-failures"))]
                let _ = (values, expanded);
            }
            RUN_INSTR => {
                // BuildKit reads every mount (expanding its values) before it makes any, and
                // stops at the first it refuses.
                let mut refused = false;
                for f in c.flags.iter().filter(|f| f.name() == "mount") {
                    let fields = &csv_fields(f.value().unwrap_or_default()).unwrap_or_default();
                    if !cfg!(feature = "build-failures") {
                        // The browser build only expands the values (see `Cargo.toml`).
                        for field in fields {
                            if let Some((_, v)) = field.split_once('=') {
                                self.expand(v, st, node, &config);
                            }
                        }
                        continue;
                    }
                    if let Err(e) = self.parse_mount(fields, st, node, &config) {
                        if let Some(e) = e {
                            self.fail_in("invalid-mount", &e.message, Some(f.range), Some(node), "dispatch");
                            let fix = e.fix.filter(|_| self.relocate.is_none()).and_then(|(field, part, new_text)| {
                                // The field as written, once, in the flag.
                                let flag = &self.text[f.range];
                                let mut at = flag.match_indices(field.as_str()).map(|(i, _)| i).filter(|&i| {
                                    let end = i + field.len();
                                    matches!(flag.as_bytes().get(i.wrapping_sub(1)), Some(b'=' | b','))
                                        && matches!(flag.as_bytes().get(end), None | Some(b','))
                                });
                                let i = at.next().filter(|_| at.next().is_none())?;
                                let start = f.range.start() + TextSize::new((i + part.start) as u32);
                                let range = TextRange::at(start, TextSize::new(part.len() as u32));
                                Some(Fix {
                                    title: format!("Write `{new_text}`"),
                                    edits: vec![TextEdit { range, new_text }],
                                    applicability: Applicability::Unsafe,
                                })
                            });
                            if let Some(d) = self.diagnostics.last_mut().filter(|_| fix.is_some()) {
                                d.fix = fix;
                            }
                        }
                        refused = true;
                        break;
                    }
                }
                // (The fields are read again: a mount list is short, and keeping them would
                // cost the browser build a vector type of its own.)
                for f in c.flags.iter().filter(|f| f.name() == "mount" && !refused) {
                    let fields = csv_fields(f.value().unwrap_or_default()).unwrap_or_default();
                    // A mount from a stage BuildKit has not built yet fails. A cache mount
                    // without a `from` is from `scratch` (`dispatchRunMounts`), which is a stage
                    // when one has that name.
                    // (The type is expanded first, as `setMountState` expands every value but
                    // `from`: `type=$T` with `T=cache` is a cache mount.)
                    let named = mount_field(&fields, &["from"]).filter(|f| !f.is_empty());
                    let from = named.or_else(|| {
                        let typ = mount_field(&fields, &["type"]).map(|t| self.expanded_or_written(t, st));
                        typ.is_some_and(|t| t.eq_ignore_ascii_case("cache")).then_some("scratch")
                    });
                    // The mount's own failures, in BuildKit's order: its source, then its target.
                    let before = self.diagnostics.len();
                    if let Some(name) = from {
                        if let Some(t) = self.find_state_by_name(name) {
                            if t != s && !dispatched[t] {
                                // Expanded, as `parseMount` reads it with the expander.
                                let target = mount_field(&fields, MOUNT_TARGET_KEYS).unwrap_or_default();
                                let target = self.expanded_or_written(target, st);
                                let target = target.as_str();
                                self.fail(
                                    "forward-reference",
                                    &mount_forward_message(name, target),
                                    match named {
                                        Some(_) => mount_from_range(&cmd.node.flags().collect::<Vec<_>>(), f),
                                        None => Some(f.range),
                                    },
                                    "dispatch",
                                );
                            }
                        }
                    }
                    // (A mount BuildKit cannot read, `--mount=` say, failed with the instruction:
                    // it has no target to check.)
                    if self.diagnostics.len() == before
                        && cfg!(feature = "build-failures")
                        && f.value().is_some_and(|v| csv_fields(v).is_ok())
                    {
                        // `dispatchSSH`, as the mounts are made (after every mount is read): an
                        // SSH mount forwards the agent named by `id`, from no source.
                        let typ = mount_field(&fields, &["type"]).map(|t| self.expanded_or_written(t, st));
                        let source = mount_field(&fields, &["source", "src"]).map(|v| self.expanded_or_written(v, st));
                        if typ.is_some_and(|t| t.eq_ignore_ascii_case("ssh")) && source.is_some_and(|v| !v.is_empty()) {
                            let message = "ssh does not support source; an SSH mount forwards the agent socket named by `id` (default `default`): remove `source`";
                            self.fail_in("invalid-mount", message, Some(f.range), Some(node), "dispatch");
                        } else {
                            self.mount_target(&fields, st, f.range, node);
                        }
                    }
                }
                // `RUN --device` is in the labs frontend only (BuildKit's built-in frontend and
                // `docker/dockerfile:1` refuse it when they make the step).
                if let Some(f) = c.flag("device").filter(|_| cfg!(feature = "build-failures")) {
                    let labs = directives::find(self.text, "syntax").is_some_and(|d| d.first_word.contains("labs"));
                    if !labs {
                        self.fail_in(
                            "labs-only",
                            "device feature is only supported in Dockerfile frontend 1.14.0-labs or later; make \
                             `# syntax=docker/dockerfile:1-labs` the first line to use it",
                            Some(f.range),
                            Some(node),
                            "dispatch",
                        );
                    }
                }
            }
            EXPOSE_INSTR => {
                // BuildKit sorts the words when it parses EXPOSE; `dispatchExpose` expands them
                // all (a word that fails to expand fails the build before any port is read:
                // the ports that expand are still read, as ours), then reads each port in turn
                // and stops at the first it refuses.
                let mut ports: Vec<String> = c.args.iter().map(|p| p.to_string()).collect();
                sort::sort_by(&mut ports, |a, b| a.cmp(b));
                let mut words = Vec::new();
                for p in ports {
                    match self.lexer.process_words(&p, &st.env) {
                        Ok(w) => words.extend(w),
                        Err(e) if cfg!(feature = "build-failures") => {
                            self.fail("invalid-expansion", &expansion_failure(&e), Some(node), "dispatch");
                        }
                        Err(_) => {}
                    }
                }
                for port in words {
                    if !self.expose(&port, c, &config) {
                        break;
                    }
                }
            }
            CMD_INSTR | ENTRYPOINT_INSTR | HEALTHCHECK_INSTR => {
                let name = &c.keyword;
                let slot = match c.kind {
                    CMD_INSTR => &mut st.cmd,
                    ENTRYPOINT_INSTR => &mut st.entrypoint,
                    _ => &mut st.healthcheck,
                };
                let previous = slot.replace((node, c.keyword_range, self.relocate));
                if let Some((prev, range, at)) = previous {
                    // Reported at the earlier one, as BuildKit does: where a trigger's is.
                    let now = std::mem::replace(&mut self.relocate, at);
                    self.hit(
                        rules::MULTIPLE_INSTRUCTIONS_DISALLOWED,
                        format!(
                            "Multiple {name} instructions should not be used in the same stage because only the last one will be used"
                        ),
                        range,
                        prev,
                        &config,
                    );
                    self.relocate = now;
                }
                if c.kind != HEALTHCHECK_INSTR && !c.json && !st.shell_set {
                    let command = c.shell_command.unwrap_or(node);
                    // No exec form where it would not run the same (a fixes QA run): with a flag
                    // (which fails the parse either way), on Windows (`dir` is cmd.exe's, `npm`
                    // a `.cmd`: both need the shell), and in a stage with both a CMD and an
                    // ENTRYPOINT: an exec-form ENTRYPOINT takes the CMD as its arguments, which
                    // a shell-form one ignores, and gets a CMD's words where it got `/bin/sh -c
                    // ...`. (Native builds: the browser applies no fixes in bulk.)
                    #[cfg(feature = "build-failures")]
                    let runs_alike = c.flags.is_empty() && !st.windows && {
                        let kinds = match self.cmd_kinds {
                            Some((at, kinds)) if at == s => kinds,
                            _ => {
                                let has =
                                    |kind| self.syntax[s].commands.iter().any(|&k| self.cmds[k].info.kind == kind);
                                let kinds = [has(CMD_INSTR), has(ENTRYPOINT_INSTR)];
                                self.cmd_kinds = Some((s, kinds));
                                kinds
                            }
                        };
                        // (The other kind's.)
                        !kinds[usize::from(c.kind == CMD_INSTR)]
                    };
                    #[cfg(not(feature = "build-failures"))]
                    let runs_alike = true;
                    self.hit_fixed(
                        rules::JSON_ARGS_RECOMMENDED,
                        format!("JSON arguments recommended for {name} to prevent unintended behavior related to OS signals"),
                        (command, node),
                        c.shell_command.filter(|_| runs_alike).and_then(|r| exec_form_fix(&self.text[r], r)),
                        &config,
                    );
                }
            }
            SHELL_INSTR => st.shell_set = true,
            _ => {}
        }
    }

    /// COPY and ADD, in the order BuildKit's `dispatch` and `dispatchCopy` take them: the words
    /// are expanded (undefined variables), then a `--from` stage not built yet, the destination,
    /// `--chmod` and `--checksum` fail the build, then each source in turn: a Git repository or
    /// URL COPY cannot take, or a context file the ignore file leaves out (`CopyIgnoredFile`).
    fn dispatch_copy(
        &mut self,
        s: usize,
        cmd: &Cmd,
        st: &mut DispatchState,
        dispatched: &[bool],
        config: &CheckConfig,
    ) {
        let c = &cmd.info;
        let node = c.range;
        let add = c.kind == ADD_INSTR;
        // What makes BuildKit fail the step (left out of the browser build, see `Cargo.toml`).
        let failures = cfg!(feature = "build-failures");
        let mut chmod = None;
        let mut checksum = None;
        // In the order BuildKit's `Expand` takes them, whatever the order they are written in:
        // `--chown`, then `--chmod`, then ADD's `--checksum`; the first that fails to expand
        // fails the build, and the names looked up after it are ours to report.
        for name in ["chown", "chmod", "checksum"] {
            // (A flag given twice fails BuildKit's parse; both are read for what they name.)
            for f in c.flags.iter().filter(|f| f.name() == name) {
                let value = self.expand(f.value().unwrap_or_default(), st, node, config).filter(|_| failures);
                match name {
                    "chmod" => chmod = value.map(|v| (v, f.range)),
                    "checksum" => checksum = value.map(|v| (v, f.range)),
                    _ => {}
                }
            }
        }
        // The words: sources (or heredocs) and the destination, expanded, kept for the checks
        // that follow (the browser build checks the ignore file as it goes, which is the same
        // but for the order of findings, which it does not show).
        let mut expanded: Vec<Option<String>> = Vec::with_capacity(if failures { c.args.len() } else { 0 });
        // The heredocs BuildKit expands (`ExpandRaw`), after every other word (`Expand`).
        let mut to_expand = Vec::new();
        for (i, arg) in c.args.iter().enumerate() {
            match parse_heredoc(arg).ok().flatten() {
                Some(h) => {
                    // Looked up by the word's name (`heredocLookup` in `parseSourcesAndDest`): the
                    // last body whose terminator is that name, or none (`COPY <<EOF <<EOF /d/`
                    // copies the second body twice, and never expands the first). (A body with no
                    // terminator fails the parse, and is not read here: the module has no room.)
                    let body = cmd.node.heredoc_bodies().filter(|b| b.is_named(&h.name)).last();
                    let body = body.map(|b| b.content()).unwrap_or_default();
                    if h.expand {
                        to_expand.push(if h.chomp { heredoc::chomp(&body) } else { body });
                    }
                    if failures {
                        expanded.push(None);
                    }
                }
                None => {
                    let value = self.expand(arg, st, node, config);
                    if failures {
                        expanded.push(value);
                    } else if let Some(v) = value.filter(|_| i + 1 < c.args.len()) {
                        self.copy_ignored(c, i, &v, config);
                    }
                }
            }
        }
        let mut raw = Lexer::new('\\');
        raw.skip_process_quotes = true;
        for body in to_expand {
            let result = raw.process_word(&body, &st.env);
            self.report_unmatched(stagecraft_syntax::shell::unmatched(&result), st, node, config);
            // Linted, then the build fails (`${V?message}` of an unset V, `${V:#x}`).
            if let Err(e) = result {
                self.fail("invalid-expansion", &expansion_failure(&e), Some(node), "dispatch");
                break;
            }
        }
        let word = |i: usize| word_range(c, i);
        let from = if add { None } else { c.last_flag("from") };
        if let Some(f) = from {
            let value = f.value().unwrap_or_default();
            if let Some(t) = self.find_copy_source(value) {
                if t != s && !dispatched[t] {
                    let current = if self.stages.len() == 1 { String::new() } else { self.stage_display(s) };
                    self.fail_in(
                        "forward-reference",
                        &copy_forward_message(value, &current),
                        Some(f.value_range.unwrap_or(node)),
                        Some(node),
                        "dispatch",
                    );
                }
            }
        }
        let dest = c.args.len().checked_sub(1);
        if let Some(Some(path)) = dest.and_then(|d| expanded.get(d)).filter(|_| failures && st.windows) {
            if let Some(e) = copy::windows_drive_error(path) {
                let at = dest.and_then(word).unwrap_or(node);
                let message = format!("removing drive letter: {e}; use a path on C: or one without a drive");
                self.fail_in("invalid-copy", &message, Some(at), Some(node), "dispatch");
            }
        }
        if let Some((value, range)) = chmod.as_ref().filter(|_| failures) {
            if let Some(e) = copy::chmod_error(value) {
                self.fail_in("invalid-copy", &e, Some(*range), Some(node), "dispatch");
            }
        }
        // (Whole in `if failures`, so that the browser build does not carry the Git reading.)
        let checksum_given = if failures && add { checksum.as_ref().filter(|(v, _)| !v.is_empty()) } else { None };
        if let Some((_, range)) = checksum_given {
            let mut sources = expanded.iter().take(dest.unwrap_or(0)).flatten();
            let message = match (sources.next(), sources.next()) {
                // (`isGitSource` also takes the `github.com/…` form, which is then copied as a
                // local path, but not a repository whose query BuildKit refuses.)
                (Some(one), None) if copy::is_git_source(one) || copy::url_or_path(one) == copy::SourceKind::Http => {
                    None
                }
                (Some(_), None) => Some("checksum requires HTTP(S) or Git sources"),
                _ => Some("checksum can't be specified for multiple sources"),
            };
            if let Some(m) = message {
                self.fail_in("invalid-copy", m, Some(*range), Some(node), "dispatch");
            }
        }
        let parents =
            failures && !add && c.last_flag("parents").is_some_and(|f| f.value().is_none_or(|v| v != "false"));
        // (The browser build checked the ignore file as it expanded the words.)
        if failures {
            // `--keep-git-dir` and `--checksum` as given, then as each repository's query sets
            // them for the sources after it (BuildKit's `cfg` changes as its loop goes).
            let mut git = crate::gitref::CopyOptions::new(c, checksum.as_ref().map(|(v, r)| (v.as_str(), *r)));
            for (i, source) in expanded.iter().enumerate().take(dest.unwrap_or(0)) {
                let Some(source) = source.as_deref() else { continue };
                let at = word(i).unwrap_or(node);
                let kind = match git.apply(source, add, at) {
                    Err(mut e) => {
                        // What the words expanded to is not in sight (`?checksum=$COMMIT` of an
                        // ARG with no value "has no value"): said (a QA run on a real file).
                        if c.args[i] != source && c.args[i].contains('$') {
                            e.push_str(&format!("; the source `{}` expands to `{source}`", c.args[i]));
                        }
                        self.fail_in("invalid-copy", &e, Some(at), Some(node), "dispatch");
                        continue;
                    }
                    Ok(Some(_)) => copy::SourceKind::Git,
                    Ok(None) => copy::url_or_path(source),
                };
                match kind {
                    kind @ (copy::SourceKind::Git | copy::SourceKind::Http) if !add => {
                        let (message, what) = match kind {
                            copy::SourceKind::Git => {
                                ("source can't be a git ref for COPY; ADD fetches Git repositories", "Git repositories")
                            }
                            _ => ("source can't be a URL for COPY; ADD fetches URLs", "URLs"),
                        };
                        self.fail_in("invalid-copy", message, Some(at), Some(node), "dispatch");
                        // ADD takes it, and COPY's other flags, but not `--from` or `--parents`;
                        // nor a context file beside it, which ADD would unpack where it is a tar
                        // archive (found by a fixes QA run; heredocs are copied alike).
                        // (No fix for a trigger's, whose edit would be in every stage's trigger.)
                        let remote = |w: &Option<String>| {
                            w.as_deref().is_none_or(|w| {
                                copy::url_or_path(w) != copy::SourceKind::Local || copy::is_git_source(w)
                            })
                        };
                        let flags_ok = self.relocate.is_none()
                            && c.flags.iter().all(|f| matches!(f.name(), "chown" | "chmod" | "link" | "exclude"))
                            && expanded[..dest.unwrap_or(0)].iter().all(remote);
                        if let Some(d) = self.diagnostics.last_mut().filter(|_| flags_ok) {
                            let new_text =
                                if c.keyword.bytes().all(|b| b.is_ascii_lowercase()) { "add" } else { "ADD" };
                            d.fix = Some(Fix {
                                title: format!("Use ADD, which fetches {what}"),
                                edits: vec![TextEdit { range: c.keyword_range, new_text: new_text.into() }],
                                applicability: Applicability::Unsafe,
                            });
                        }
                    }
                    copy::SourceKind::Git => {}
                    copy::SourceKind::Http => {
                        // (An earlier repository's `?checksum=` is this URL's checksum too.)
                        if let Some((v, range, from)) = &git.checksum {
                            if let Some(e) = crate::reference::digest_error(&String::from_utf8_lossy(v)) {
                                let mut e = match from {
                                    Some(url) => format!("{e}; the checksum comes from the query of {url}, and applies to the sources after it"),
                                    None => e.to_string(),
                                };
                                if cfg!(feature = "build-failures") {
                                    e.push_str("; write a digest such as `sha256:` and its 64 hex digits (sha384: 96, sha512: 128), in lower case");
                                }
                                self.fail_in("invalid-copy", &e, Some(*range), Some(node), "dispatch");
                            }
                        }
                    }
                    copy::SourceKind::Local => {
                        self.copy_ignored(c, i, source, config);
                        if st.windows {
                            // `--parents` normalises the part after `/./` (or all of it) first.
                            let pattern = parents.then(|| source.split_once("/./").map_or(source, |(_, p)| p));
                            let e = pattern.and_then(copy::windows_drive_error).or_else(|| {
                                let parent =
                                    if parents { source.split_once("/./").map(|(p, _)| p) } else { Some(source) };
                                parent.and_then(copy::windows_drive_error)
                            });
                            if let Some(e) = e {
                                let message = format!(
                                    "removing drive letter: removing drive letter: {e}; use a path on C: or one without a drive"
                                );
                                self.fail_in("invalid-copy", &message, Some(at), Some(node), "dispatch");
                            }
                        }
                    }
                }
            }
        }
    }

    /// A mount's value expanded in the stage's environment, or as written where that fails
    /// (the failure is reported where the mount is read).
    fn expanded_or_written(&self, word: &str, st: &DispatchState) -> String {
        match self.lexer.process_word(word, &st.env) {
            Ok(e) => e.result,
            Err(_) => word.to_string(),
        }
    }

    /// BuildKit's `parseMount` with its expander: each value is expanded in turn (undefined
    /// variables), and the first key or value it refuses is the error (`Err(None)`: the
    /// expansion itself failed, already reported).
    fn parse_mount(
        &mut self,
        fields: &[String],
        st: &DispatchState,
        node: TextRange,
        config: &CheckConfig,
    ) -> Result<(), Option<MountError>> {
        const TYPES: [&str; 5] = MOUNT_TYPES;
        const SHARING: [&str; 3] = MOUNT_SHARING;
        const KEYS: [&str; 19] = [
            "type",
            "from",
            "source",
            "target",
            "readonly",
            "id",
            "sharing",
            "required",
            "size",
            "mode",
            "uid",
            "gid",
            "src",
            "dst",
            "destination",
            "ro",
            "rw",
            "readwrite",
            "env",
        ];
        let err = |message: String| Some(MountError { message, fix: None });
        // A "did you mean": the message says it, and the fix writes it over `part` of `field`
        // (the key, or the value when it reads as written).
        let suggest = |message: String, value: &str, options: &[&str], field: &str, key: bool| {
            let Some(s) = suggest::search(value, options.iter().copied(), true) else {
                return err(match cfg!(feature = "build-failures") {
                    true => format!("{message}; write one of {}", options.join(", ")),
                    false => message,
                });
            };
            let split = field.find('=').unwrap_or(field.len());
            let part = if key { 0..split } else { (split + 1).min(field.len())..field.len() };
            let fix = (key || &field[part.clone()] == value).then(|| (field.to_string(), part, s.clone()));
            Some(MountError { message: format!("{message} (did you mean {s}?)"), fix })
        };
        let bool_value = |v: &str| stagecraft_syntax::go::parse_bool(v).is_some();
        let mut typ = String::from("bind");
        let (mut from, mut source, mut target, mut id, mut sharing) = (false, false, false, false, false);
        // Which of mode, uid and gid are set (BuildKit refuses them in that order).
        let mut file_info = [false; 3];
        for field in fields {
            let (key, value) = match field.split_once('=') {
                Some((k, v)) => (k.to_lowercase(), v),
                None => {
                    let key = field.to_lowercase();
                    match key.as_str() {
                        "readonly" | "ro" | "readwrite" | "rw" => continue,
                        "required" if matches!(typ.as_str(), "secret" | "ssh") => continue,
                        "required" => return Err(err(format!("unexpected key '{key}' for mount type '{typ}'"))),
                        _ => {
                            let mut message = format!("invalid field '{field}' must be a key=value pair");
                            if cfg!(feature = "build-failures") && field.is_empty() {
                                message.push_str("; the value has an empty field: remove the extra comma");
                            }
                            return Err(err(message));
                        }
                    }
                }
            };
            let value = self.expand(value, st, node, config).ok_or(None)?;
            let invalid = || err(format!("invalid value for {key}: {value}"));
            match key.as_str() {
                "type" => {
                    let t = value.to_lowercase();
                    if !TYPES.contains(&t.as_str()) {
                        let message = format!("unsupported mount type {}", go::quote_str(&value));
                        return Err(suggest(message, &value, &TYPES, field, false));
                    }
                    typ = t;
                }
                "from" => from = !value.is_empty(),
                "source" | "src" => source = !value.is_empty(),
                "target" | "dst" | "destination" => target = !value.is_empty(),
                "readonly" | "ro" | "readwrite" | "rw" if !bool_value(&value) => return Err(invalid()),
                "readonly" | "ro" | "readwrite" | "rw" => {}
                "required" if !matches!(typ.as_str(), "secret" | "ssh") => {
                    return Err(err(format!("unexpected key '{key}' for mount type '{typ}'")));
                }
                "required" if !bool_value(&value) => return Err(invalid()),
                "required" => {}
                "size" if typ != "tmpfs" => return Err(err(format!("unexpected key '{key}' for mount type '{typ}'"))),
                "size" if !ram_in_bytes(&value) => return Err(invalid()),
                "size" => {}
                "id" => id = !value.is_empty(),
                "sharing" => {
                    if !SHARING.contains(&value.to_lowercase().as_str()) {
                        let message = format!("unsupported sharing value {}", go::quote_str(&value));
                        return Err(suggest(message, &value, &SHARING, field, false));
                    }
                    sharing = true;
                }
                "mode" | "uid" | "gid" => {
                    if copy::parse_u32(&value, if key == "mode" { 8 } else { 10 }).is_none() {
                        return Err(err(format!("invalid value {value} for {key}")));
                    }
                    file_info[["mode", "uid", "gid"].iter().position(|k| *k == key).unwrap_or(0)] = true;
                }
                "env" => {}
                _ => return Err(suggest(format!("unexpected key '{key}' in '{field}'"), &key, &KEYS, field, true)),
            }
        }
        if !matches!(typ.as_str(), "secret" | "ssh" | "cache") {
            if let Some(i) = file_info.iter().position(|&set| set) {
                let key = ["mode", "uid", "gid"][i];
                return Err(err(format!("{key} not allowed for {} type mounts", go::quote_str(&typ))));
            }
        }
        if typ == "secret" {
            let message = if from {
                "secret mount should not have a from"
            } else if sharing {
                "secret mount should not define sharing"
            } else if !source && !target && !id {
                "invalid secret mount. one of source, target required"
            } else if source && id {
                "both source and id can't be set"
            } else {
                ""
            };
            if !message.is_empty() {
                return Err(err(message.into()));
            }
        }
        if sharing && typ != "cache" {
            return Err(err(format!("invalid cache sharing set for {typ} mount")));
        }
        Ok(())
    }

    /// BuildKit's `dispatchRunMounts` refuses a mount (other than a secret or SSH one) whose
    /// target is `/`: written so, or a relative one (none at all included) that the working
    /// directory makes `/`. Only said where that directory is known.
    fn mount_target(&mut self, fields: &[String], st: &DispatchState, flag: TextRange, node: TextRange) {
        let expand = |v: &str| self.lexer.process_word(v, &st.env).ok().map(|e| e.result);
        let typ = mount_field(fields, &["type"]).and_then(expand).map(|t| t.to_lowercase());
        if matches!(typ.as_deref(), Some("secret" | "ssh")) {
            return;
        }
        let Some(target) = mount_field(fields, MOUNT_TARGET_KEYS).map_or(Some(String::new()), expand) else {
            return;
        };
        // (Windows paths join otherwise: only `/` as written is said there.)
        let root = if st.windows || target.starts_with('/') {
            target == "/"
        } else {
            st.dir.as_ref().is_some_and(|d| crate::dockerignore::clean(&format!("/{d}/{target}")) == "/")
        };
        if root {
            let message = if target == "/" {
                "invalid mount target \"/\"; a mount cannot cover the root: mount it on a directory".to_string()
            } else {
                let what = if target.is_empty() {
                    "the mount has no target, so it lands on".to_string()
                } else {
                    format!("the relative target `{target}` lands on")
                };
                let dir = if st.dir_from_image {
                    "the working directory is `/` unless the base image sets one: stagecraft does not read image configs"
                } else {
                    "the working directory is `/`"
                };
                format!(
                    "invalid mount target \"/\"; {what} the root ({dir}): give it an absolute target such as `target=/cache`, or set a WORKDIR"
                )
            };
            self.fail_in("invalid-mount", &message, Some(flag), Some(node), "dispatch");
        }
    }

    /// With `# check=error=true`, a build that got through ends in BuildKit's error naming the
    /// rules it found broken, in the order it found them. Each finding is already an error
    /// diagnostic, so this adds no other.
    fn lint_violations(&mut self) {
        if !cfg!(feature = "build-failures") || !self.check.error || self.stopped {
            return;
        }
        let mut names: Vec<&str> = Vec::new();
        let mut message = String::from("lint violation found for rules: ");
        for d in self.diagnostics.iter().filter(|d| d.buildkit_reports && rules::by_name(&d.code).is_some()) {
            if !names.contains(&d.code.as_str()) {
                if !names.is_empty() {
                    message.push_str(", ");
                }
                message.push_str(&d.code);
                names.push(&d.code);
            }
        }
        if !names.is_empty() {
            self.build_error = Some(BuildError { message, range: None, lines: None, phase: "lint" });
            self.stopped = true;
        }
    }

    /// `CopyIgnoredFile` for source `i` of a COPY or ADD: a source taken from the build context
    /// (not from another stage or image) that its ignore rules leave out. BuildKit checks
    /// nothing when a rule is an exception (`!path`).
    fn copy_ignored(&mut self, c: &InstructionInfo, i: usize, source: &str, config: &CheckConfig) {
        let add = c.kind == ADD_INSTR;
        let from_context = add || c.last_flag("from").and_then(|f| f.value()).is_none_or(str::is_empty);
        let ignore = self.options.ignore.as_ref().map(|i| &*i.0).filter(|i| from_context && !i.has_exclusions());
        if let Some(path) = ignore.and_then(|ignore| ignore.excluded(source)) {
            let at = word_range(c, i).unwrap_or(c.range);
            let verb = if add { "Add" } else { "Copy" };
            self.hit(
                rules::COPY_IGNORED_FILE,
                format!("Attempting to {verb} file {} that is excluded by .dockerignore", go::quote_str(&path)),
                at,
                c.range,
                config,
            );
        }
    }

    /// `reference.ParseNormalizedNamed`, remembered per name.
    fn image_name(&mut self, name: &str) -> Result<(), String> {
        if let Some(&i) = self.image_names.get(name) {
            return self.image_checks[i].clone();
        }
        let r = parse_normalized_named(name);
        self.image_names.insert(name.to_string(), self.image_checks.len());
        self.image_checks.push(r.clone());
        r
    }

    fn find_copy_source(&self, value: &str) -> Option<usize> {
        match value.parse::<i64>().ok() {
            Some(n) if n >= 0 && (n as usize) < self.stages.len() => Some(n as usize),
            Some(_) => None,
            None => self.find_state_by_name(value),
        }
    }

    /// What BuildKit refuses of a USER, STOPSIGNAL or VOLUME once every word has expanded
    /// (`values`, one a word): a signal `signal.ParseSignal` does not know, a volume that
    /// expands to nothing.
    #[cfg(feature = "build-failures")]
    fn refuse_value(&mut self, c: &InstructionInfo, values: &[String]) {
        for (a, value) in c.args.iter().zip(values) {
            let message = match c.kind {
                STOPSIGNAL_INSTR if !known_signal(value) => {
                    format!("invalid signal: {value}; use a name such as SIGTERM, or a number")
                }
                // (An empty volume as written was refused when the instruction was read.)
                VOLUME_INSTR if value.is_empty() && !a.is_empty() => {
                    "VOLUME specified can not be an empty string".into()
                }
                _ => continue,
            };
            self.fail("invalid-value", &message, Some(c.range), "dispatch");
            break;
        }
    }

    /// Expands a word with the stage environment, reporting undefined variables; `None` when
    /// the word does not expand (BuildKit fails).
    fn expand(&mut self, word: &str, st: &DispatchState, node: TextRange, config: &CheckConfig) -> Option<String> {
        match self.lexer.process_word(word, &st.env) {
            Ok(e) => {
                self.report_unmatched(&e.unmatched, st, node, config);
                Some(e.result)
            }
            Err(e) => {
                // BuildKit lints the names looked up before it fails.
                self.report_unmatched(&e.unmatched, st, node, config);
                self.fail("invalid-expansion", &expansion_failure(&e), Some(node), "dispatch");
                None
            }
        }
    }

    fn report_unmatched(
        &mut self,
        unmatched: &stagecraft_syntax::shell::Names,
        st: &DispatchState,
        node: TextRange,
        config: &CheckConfig,
    ) {
        for name in unmatched {
            if st.build_args.get(name).is_some() || NON_ENV_ARGS.contains(&name.as_str()) {
                continue;
            }
            let mut message = format!("Usage of undefined variable '${name}'");
            // (`ENV ${UNSET}=v` sets a variable of no name, which may be the nearest: BuildKit's
            // message then names none, `if suggest != ""`.)
            let suggestion = self
                .suggest_for(&rules::UNDEFINED_VAR, config, name, st.env.keys(), st.env.len())
                .filter(|s| !s.is_empty());
            if let Some(s) = &suggestion {
                message.push_str(&format!(" (did you mean ${s}?)"));
            }
            let variable = self.find_variable(node, name);
            let range = variable.as_ref().map_or(node, |v| v.range());
            // Not safe: which variable was meant is a guess.
            let fix = suggestion.zip(variable.and_then(|v| v.name_range())).map(|(s, name_range)| Fix {
                title: format!("Use `${s}`"),
                edits: vec![TextEdit { range: name_range, new_text: s.to_string() }],
                applicability: Applicability::Unsafe,
            });
            self.hit_fixed(rules::UNDEFINED_VAR, message, (range, node), fix, config);
        }
    }

    /// Where `$name` is written inside the instruction at `node`, for a precise finding: the
    /// first use, and for each finding of the name after it the first use in a later word
    /// (BuildKit reports a name once for each word it expands: `ENV A=$X B=$X` twice, and each
    /// option of a `--mount`).
    fn find_variable(&mut self, node: TextRange, name: &str) -> Option<stagecraft_syntax::ast::Variable> {
        use stagecraft_syntax::ast::Variable;
        if self.variables.as_ref().is_none_or(|(r, _, _)| *r != node) {
            let mut uses: Vec<Use> = Vec::new();
            // The first use of each name, and while reading, the last.
            let (mut first, mut last) = (Map::default(), Map::default());
            if let Some(n) = self.parse.syntax_node().covering_element(node).into_node() {
                for v in n.descendants().filter_map(Variable::cast) {
                    if let Some(name) = v.name() {
                        // (What is expanded as one word: a mount option, else the argument, the
                        // node around it that is a child of the instruction.)
                        let argument = v
                            .syntax()
                            .ancestors()
                            .find(|a| a.kind() == MOUNT_OPTION || a.parent().as_ref() == Some(&n));
                        let range = argument.map_or(v.range(), |a| a.text_range());
                        let k = uses.len();
                        match last.insert(name.clone(), k) {
                            Some(j) => uses[j].3 = k,
                            None => {
                                first.insert(name.clone(), k);
                            }
                        }
                        uses.push((name, v, range, usize::MAX));
                    }
                }
            }
            self.variables = Some((node, uses, first));
        }
        let (_, uses, next) = self.variables.as_mut()?;
        let i = *next.get(name)?;
        // The next finding of the name: its next use in a later argument, else its next use
        // (more findings than arguments: a mount's fields), else this one again.
        let mut j = uses[i].3;
        while j != usize::MAX && uses[j].2 == uses[i].2 {
            j = uses[j].3;
        }
        let j = if j == usize::MAX { uses[i].3 } else { j };
        if j != usize::MAX {
            next.insert(name.to_string(), j);
        }
        Some(uses[i].1.clone())
    }

    fn secrets(&mut self, key: &str, kind: &str, range: TextRange, node: TextRange, config: &CheckConfig) {
        if is_secret_name(key) {
            self.hit(
                rules::SECRETS_USED_IN_ARG_OR_ENV,
                format!("Do not use ARG or ENV instructions for sensitive data ({kind} {})", go::quote_str(key)),
                range,
                node,
                config,
            );
        }
    }

    /// One EXPOSE port as BuildKit's `parsePort` reads it: the lint rules once the protocol
    /// reads, then the address and port numbers. False when it fails the build.
    fn expose(&mut self, port: &str, c: &InstructionInfo, config: &CheckConfig) -> bool {
        let node = c.range;
        // Only a port with something to report needs its place: finding it is a search of the
        // instruction's words.
        let range = || c.words.iter().find(|w| w.0 == port).map(|w| w.1).unwrap_or(node);
        // `[ip:]host:container/proto`, split at the last two colons.
        let (rest, container) = port.rfind(':').map_or(("", port), |i| (&port[..i], &port[i + 1..]));
        let (ip, host) = rest.rfind(':').map_or(("", rest), |i| (&rest[..i], &rest[i + 1..]));
        let (number, proto) = container.split_once('/').unwrap_or((container, ""));
        let failures = cfg!(feature = "build-failures");
        if number.is_empty() || !["", "tcp", "udp", "sctp"].iter().any(|p| proto.eq_ignore_ascii_case(p)) {
            if failures {
                let e = if number.is_empty() {
                    "no port specified".into()
                } else {
                    format!("invalid proto: {proto}; EXPOSE takes tcp, udp or sctp")
                };
                let message = format!("invalid port: {}: {e}", go::quote_str(port));
                self.fail_in("invalid-port", &message, Some(range()), Some(node), "dispatch");
            }
            return !failures;
        }
        if proto.bytes().any(|b| b.is_ascii_uppercase()) {
            let range = range();
            // Where the port is written as it reads (no quotes or variables), lowercase it.
            let fix = (&self.text[range] == port).then(|| {
                let new_text = format!("{}/{}", &port[..port.len() - proto.len() - 1], proto.to_lowercase());
                Fix {
                    title: format!("Write `{new_text}`"),
                    edits: vec![TextEdit { range, new_text }],
                    applicability: Applicability::Safe,
                }
            });
            self.hit_fixed(
                rules::EXPOSE_PROTO_CASING,
                format!("Defined protocol '{port}' in EXPOSE instruction should be lowercase"),
                (range, node),
                fix,
                config,
            );
        }
        if !ip.is_empty() || !host.is_empty() {
            self.hit(
                rules::EXPOSE_INVALID_FORMAT,
                format!("EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'"),
                range(),
                node,
                config,
            );
        }
        if !failures {
            return true;
        }
        let message = if let Some(e) = (!ip.is_empty()).then(|| ip_error(ip)).flatten() {
            Some(e)
        } else if port_range(number).is_none() {
            Some(format!(
                "invalid containerPort: {number}; a port is a number up to 65535, or a range such as 8000-8010"
            ))
        } else if !host.is_empty() {
            match (port_range(host), port_range(number)) {
                (None, _) => Some(format!("invalid hostPort: {host}")),
                (Some((hs, he)), Some((cs, ce))) if ce - cs != he - hs && ce != cs => {
                    Some(format!("invalid ranges specified for container and host Ports: {number} and {host}"))
                }
                _ => None,
            }
        } else {
            None
        };
        match message {
            Some(m) => {
                self.fail_in("invalid-port", &m, Some(range()), Some(node), "dispatch");
                false
            }
            None => true,
        }
    }
}

/// What to do about an image reference that does not parse, where the cause is plain from the
/// text: the usual slips, not the whole grammar (`[registry/]path[:tag][@digest]`).
fn reference_hint(name: &str) -> Option<&'static str> {
    let last = name.rsplit('/').next().unwrap_or(name);
    if name.ends_with(':') || name.ends_with('@') {
        Some("the tag after `:` or the digest after `@` is missing")
    } else if !name.contains('[') && last.split('@').next().unwrap_or(last).matches(':').count() > 1 {
        Some("an image has one tag, after one `:` (`name:tag`)")
    } else {
        None
    }
}

/// BuildKit's error for a COPY from stage `value`, not built yet when stage `current` runs it.
pub(crate) fn copy_forward_message(value: &str, current: &str) -> String {
    format!(
        "cannot copy from stage {}, it needs to be defined before current stage {}",
        go::quote_str(value),
        go::quote_str(current)
    )
}

/// BuildKit's error for a mount at `target` from stage `from`, not built yet.
pub(crate) fn mount_forward_message(from: &str, target: &str) -> String {
    format!(
        "cannot mount from stage {} to {}, stage needs to be defined before current command",
        go::quote_str(from),
        go::quote_str(target)
    )
}

/// The keys a mount's target is written under.
pub(crate) const MOUNT_TARGET_KEYS: &[&str] = &["target", "dst", "destination"];

/// The value of a mount's field under one of `keys` (lower-case; the key is read in any case,
/// folded as Go's `strings.ToLower` folds it), as BuildKit's `parseMount` reads it: the last one
/// written wins.
pub(crate) fn mount_field<'f>(fields: &'f [String], keys: &[&str]) -> Option<&'f str> {
    fields.iter().rev().find_map(|field| {
        let (k, v) = field.split_once('=')?;
        let matches = |key: &&str| if k.is_ascii() { k.eq_ignore_ascii_case(key) } else { go::to_lower(k) == *key };
        keys.iter().any(matches).then_some(v)
    })
}

/// The quote open after these lines of an instruction, given the one open before them (comment
/// lines, which BuildKit drops from a continuation, left out): `'...'` as the shell reads it,
/// `"..."` with the escape character escaping within.
pub(crate) fn scan_quotes(text: &str, escape: u8, quote: &mut Option<u8>) {
    for line in text.split('\n') {
        if stagecraft_syntax::is_comment_line(line) {
            continue;
        }
        let line = line.as_bytes();
        let mut k = 0;
        while k < line.len() {
            let c = line[k];
            match *quote {
                Some(b'\'') if c == b'\'' => *quote = None,
                Some(b'"') if c == escape => k += 1,
                Some(b'"') if c == b'"' => *quote = None,
                Some(_) => {}
                None if c == escape => k += 1,
                None if c == b'\'' || c == b'"' => *quote = Some(c),
                None => {}
            }
            k += 1;
        }
    }
}

/// Where `name` is one item of `list` (`skip=A,B;error=true`: its items lie between `=`, `,`
/// and `;`) at or after byte `from`, as (offset, length); `None` for an empty name, or one
/// written otherwise.
fn name_in_list(list: &str, name: &str, from: usize) -> Option<(usize, usize)> {
    let bounded = |i: usize| {
        let before = list[..i].chars().next_back().is_none_or(|c| matches!(c, '=' | ',' | ';'));
        let after = list[i + name.len()..].chars().next().is_none_or(|c| matches!(c, ',' | ';' | ' ' | '\t'));
        before && after
    };
    let rest = list.get(from..)?;
    (!name.is_empty())
        .then(|| rest.match_indices(name).map(|(i, _)| from + i).find(|&i| bounded(i)))?
        .map(|i| (i, name.len()))
}

/// BuildKit's `nonEnvArgs`: ARGs that switch the SBOM scan and never become variables.
const NON_ENV_ARGS: [&str; 2] = ["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"];

/// The global ARG environment and each global ARG's value.
type GlobalValues = (Vars, Vec<Option<String>>);

/// The environment and trackers of a stage while BuildKit dispatches it.
#[derive(Debug, Clone)]
struct DispatchState {
    env: Vars,
    /// The image config's `Env`: what `ENV` set (and the default `PATH`), not `ARG`. A stage
    /// built on this one gets it again over the inherited environment (`dispatchStages`), so
    /// there an `ENV` wins over an `ARG` of the same name.
    image_env: Vars,
    /// The ARGs the stage declares, in order (as keys; the values are in `env`).
    build_args: Vars,
    shell_set: bool,
    workdir_set: bool,
    /// The working directory, where it is known: set by an absolute WORKDIR, on scratch
    /// (`/`), and on an image, whose own is in its config, which stagecraft does not read: `/`,
    /// as for an image that sets none (the oracle's images), with `dir_from_image` set.
    dir: Option<String>,
    /// `dir` rests on the image's working directory, taken for `/` (no absolute WORKDIR since).
    dir_from_image: bool,
    /// The stage's platform is Windows (given with `--platform`; stagecraft reads no image's):
    /// paths are Windows paths.
    windows: bool,
    /// The last CMD, ENTRYPOINT and HEALTHCHECK: the instruction, its keyword, and where it is
    /// reported when it came from an ONBUILD trigger ([`Engine::relocate`]).
    cmd: Option<Seen>,
    entrypoint: Option<Seen>,
    healthcheck: Option<Seen>,
}

type Seen = (TextRange, TextRange, Option<(TextRange, TextRange)>);

/// The `PATH` a Windows image sets (nanoserver's, servercore's).
const WINDOWS_PATH: &str = "C:\\Windows\\system32;C:\\Windows";

impl DispatchState {
    /// A stage on an image stagecraft cannot see: only `PATH` is set, as in the oracle's images
    /// (which set only `PATH`); Windows images set theirs too, the system's. (Not the empty
    /// image on Windows: see [`DispatchState::scratch`].)
    fn image(windows: bool) -> DispatchState {
        let mut env = Vars::default();
        env.set("PATH", if windows { WINDOWS_PATH } else { DEFAULT_PATH });
        DispatchState {
            image_env: env.clone(),
            env,
            build_args: Vars::default(),
            shell_set: false,
            workdir_set: false,
            dir: (!windows).then(|| "/".into()),
            dir_from_image: !windows,
            windows,
            cmd: None,
            entrypoint: None,
            healthcheck: None,
        }
    }

    /// A stage on the empty image: no working directory (paths start at `/`), and `PATH` only as
    /// BuildKit sets it where an image has none: its default, but not on Windows, where BuildKit
    /// leaves it to the OS (moby/buildkit#5445, in the oracle's BuildKit).
    fn scratch(windows: bool) -> DispatchState {
        let mut st = DispatchState { dir: Some("/".into()), dir_from_image: false, ..DispatchState::image(windows) };
        if windows {
            st.env = Vars::default();
            st.image_env = Vars::default();
        }
        st
    }
}

/// How many options all of an analysis's "did you mean" searches may compare names with: 4
/// million, about a quarter of a second here (no file of the shared corpus compares more than
/// 8). Past it, names get no suggestion: a file with thousands of undefined variables
/// and thousands of defined ones would otherwise take minutes, as it does BuildKit, whose
/// suggestions compare every pair.
const SUGGESTION_BUDGET: usize = 1 << 22;

/// How many inherited ONBUILD triggers of stages the build does not need are read (see
/// `Engine::onbuild_triggers`).
const INHERITED_TRIGGERS: usize = 1 << 18;

/// BuildKit's `system.IsAbs`. On Windows a `C:` drive letter is taken off (BuildKit refuses
/// another drive, a bare `C:` and a UNC path: none is absolute), then `/` or `\` starts an
/// absolute path.
pub(crate) fn is_abs(path: &str, windows: bool) -> bool {
    let b = path.as_bytes();
    let separator = |i: usize| matches!(b.get(i), Some(b'/' | b'\\'));
    if !windows {
        return b.first() == Some(&b'/');
    }
    let start = match b.iter().position(|&c| c == b':') {
        None => 0,
        // `c` or `C`.
        Some(1) if b[0] | 0x20 == b'c' => 2,
        Some(_) => return false,
    };
    separator(start) && !(separator(0) && separator(1))
}

/// Where argument `i` of an instruction is written (when its words are its arguments).
fn word_range(c: &InstructionInfo, i: usize) -> Option<TextRange> {
    c.words.get(i).filter(|_| c.words.len() == c.args.len()).map(|w| w.1)
}

/// A `RUN --mount` option BuildKit refuses, and the fix of a misspelt key or value: the field
/// as written, the part of it to replace, and the suggestion.
struct MountError {
    message: String,
    fix: Option<(String, std::ops::Range<usize>, String)>,
}

/// go-units' `RAMInBytes` accepting a tmpfs `size=` (`64m`, `1.5 GiB`, `512`).
pub(crate) fn ram_in_bytes(s: &str) -> bool {
    let Some(sep) = s.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ') else { return false };
    let (num, suffix) =
        if s.as_bytes()[sep] == b' ' { (&s[..sep], &s[sep + 1..]) } else { (&s[..=sep], &s[sep + 1..]) };
    // `strconv.ParseFloat`, and no negative size (`inf ` and `nan ` are sizes too).
    if go::parse_float_sign(num) != Some(false) {
        return false;
    }
    // (The suffix's length is read before it is lower-cased: `K`, the Kelvin sign, is 3 bytes
    // and then `k`.)
    if suffix.len() > 3 {
        return false;
    }
    let suffix = go::to_lower(suffix);
    match suffix.as_bytes() {
        [] | [b'b'] => true,
        // (A lower-cased suffix can be longer than 3 bytes, `KȺ` is `kⱥ`: go-units then only
        // checks its first byte.)
        [u, rest @ ..] if b"kmgtp".contains(u) => match rest {
            [b] => *b == b'b',
            [i, b] => [*i, *b] == *b"ib",
            _ => true,
        },
        _ => false,
    }
}

/// `signal.ParseSignal` on Linux: a non-zero number, or a name with or without `SIG`, in any
/// case.
#[cfg(feature = "build-failures")]
pub(crate) fn known_signal(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().is_ok_and(|n| n != 0);
    }
    let upper = go::to_upper(s);
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    const NAMES: &[&str] = &[
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL",
        "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1",
        "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX",
    ];
    let offset = |rest: &str, max: u32| {
        rest.parse::<u32>().is_ok_and(|n| (1..=max).contains(&n) && !rest.starts_with(['0', '+']))
    };
    NAMES.contains(&name)
        || name.strip_prefix("RTMIN+").is_some_and(|n| offset(n, 15))
        || name.strip_prefix("RTMAX-").is_some_and(|n| offset(n, 14))
}

/// BuildKit's `parsePortRange`: `80` or `8000-9000`, each a port from 0 to 65535 (Go's
/// `ParseInt` takes a sign), the end not below the start.
fn port_range(ports: &str) -> Option<(i64, i64)> {
    // The newest BuildKit's `parsePortNumber`: `strconv.ParseInt(s, 10, 0)`, which takes a
    // sign (`+80` is port 80; older ones read ports with `ParseUint`, which does not), as
    // Rust's integer parsing does, and nothing but digits after it.
    let number = |s: &str| s.parse::<i64>().ok().filter(|p| (0..=65535).contains(p));
    let (start, end) = ports.split_once('-').unwrap_or((ports, ports));
    let first = number(start)?;
    if start == end {
        return Some((first, first));
    }
    let last = number(end)?;
    (last >= first).then_some((first, last))
}

/// Why BuildKit refuses the address of an EXPOSE port, if it does (`net.SplitHostPort` on a
/// bracketed one, then `net.ParseIP`).
pub(crate) fn ip_error(ip: &str) -> Option<String> {
    let mut addr = ip;
    if let Some(inner) = ip.strip_prefix('[') {
        // `ip + ":"`: the `]` must come just before that last colon.
        let why = match inner.find(']') {
            None => Some("missing ']' in address"),
            Some(end) if end + 1 != inner.len() => Some(if inner.as_bytes()[end + 1] == b':' {
                "too many colons in address"
            } else {
                "missing port in address"
            }),
            Some(_) if inner.contains('[') => Some("unexpected '[' in address"),
            Some(end) => {
                addr = &inner[..end];
                None
            }
        };
        if let Some(why) = why {
            return Some(format!("invalid IP address {ip}: address {ip}:: {why}"));
        }
    }
    (!addr.is_empty() && addr.parse::<std::net::IpAddr>().is_err()).then(|| format!("invalid IP address: {addr}"))
}

/// BuildKit's error for a Windows WORKDIR path that `CheckSystemDriveAndRemoveDriveLetter`
/// refuses (another drive, a bare drive, a UNC path), if it does.
#[inline(never)]
fn windows_workdir_error(path: &str) -> Option<String> {
    copy::windows_drive_error(path)
        .map(|e| format!("normalizing workdir: normalizing working directory: removing drive letter: {e}"))
}

/// Adds `src` to stage `s`'s sources, `slot[src]` being its place in the list when it is there
/// already (`usize::MAX` when not).
fn add_edge(graph: &mut [Vec<(usize, TextRange)>], slot: &mut [usize], s: usize, src: usize, range: TextRange) {
    if src < graph.len() {
        // One entry per source: a later command replaces the location.
        match slot[src] {
            usize::MAX => {
                slot[src] = graph[s].len();
                graph[s].push((src, range));
            }
            i => graph[s][i].1 = range,
        }
    }
}

/// `SecretsUsedInArgOrEnv`'s patterns.
fn is_secret_name(key: &str) -> bool {
    const SECRET: &[&str] =
        &["apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"];
    const NOT_SECRET: &[&str] = &["public", "file", "version"];
    if key.is_ascii() {
        // The common case, without the allocations below.
        let has = |words: &[&str]| key.split('_').any(|p| words.iter().any(|w| p.eq_ignore_ascii_case(w)));
        return has(SECRET) && !has(NOT_SECRET);
    }
    // Go's `(?i)` folds: `ſ` (U+017F) is an `s` and the Kelvin sign a `k` (`ENV PAſſWORD=x`
    // is a secret to BuildKit, `KEY_VERſION` is a version).
    let has = |words: &[&str]| key.split('_').any(|p| words.iter().any(|w| go::equal_fold_ascii(p, w)));
    has(SECRET) && !has(NOT_SECRET)
}

/// A shell-form command as the exec form, when that runs the same program with the same
/// arguments: plain words only (no quotes, variables, globs, redirections or other shell
/// syntax, no line continuation). Not safe: the program no longer runs under `/bin/sh -c`,
/// which is the point of the rule.
///
/// Whether a reference in stage `s` to stage `t` names a stage not dispatched yet when it is
/// dispatched ("needs to be defined before current stage"). A trigger inherited from the base
/// runs once the stage is marked dispatched (`dispatchStages` sets `dispatched` before the
/// stage's commands), so it may use the stage itself; a trigger as written runs elsewhere.
fn forward_to(t: usize, s: usize, origin: &RefOrigin) -> bool {
    match origin {
        RefOrigin::OnbuildTrigger => false,
        RefOrigin::Inherited { .. } => t > s,
        _ => t >= s,
    }
}

/// The first word must name a program: `exec foo` is `foo` (the shell replaced itself with it,
/// as the exec form runs it), while a shell builtin or reserved word (`cd`, `export`, `set`,
/// `.`, `if`, ...), an assignment (`PORT=80 serve`) or `exec` with options has no program to
/// run without the shell.
fn exec_form_fix(command: &str, range: TextRange) -> Option<Fix> {
    /// POSIX special built-ins and reserved words, and the builtins of dash and bash that have
    /// no program of the same name in an image.
    const SHELL_ONLY: &[&str] = &[
        ".", ":", "alias", "bg", "break", "case", "cd", "command", "continue", "do", "done", "elif", "else", "esac",
        "eval", "exec", "exit", "export", "fc", "fg", "fi", "for", "getopts", "hash", "if", "jobs", "local", "read",
        "readonly", "return", "set", "shift", "source", "then", "times", "trap", "type", "ulimit", "umask", "unalias",
        "unset", "until", "wait", "while",
    ];
    let plain = |b: u8| b == b' ' || b.is_ascii_alphanumeric() || b"_./:=@%+,-".contains(&b);
    if command.trim().is_empty() || !command.bytes().all(plain) {
        return None;
    }
    let mut words: Vec<&str> = command.split(' ').filter(|w| !w.is_empty()).collect();
    if words[0] == "exec" && words.get(1).is_some_and(|w| !w.starts_with('-')) {
        words.remove(0);
    }
    if SHELL_ONLY.contains(&words[0]) || words[0].contains('=') {
        return None;
    }
    let mut json = String::from("[");
    for (i, word) in words.into_iter().enumerate() {
        json.push_str(if i == 0 { "\"" } else { ", \"" });
        json.push_str(word);
        json.push('"');
    }
    json.push(']');
    Some(Fix {
        title: format!("Use the exec form `{json}`"),
        edits: vec![TextEdit { range, new_text: json }],
        applicability: Applicability::Unsafe,
    })
}

/// `ENV key value` as `ENV key=value`. BuildKit expands a legacy value as written, and the new
/// form's value is a word (`parseWords`) expanded the same way: a value that is one word as it
/// stands (`'a b'`, `a\\ b`) is kept, one with a blank outside quotes is put in double quotes
/// when it has no quote or escape that would read otherwise there (`a'b c' d` has no fix:
/// `"a'b c' d"` would keep the single quotes).
fn legacy_fix(kv: &PairInfo, escape: u8) -> Option<Fix> {
    let key_range = kv.key_range;
    let value_range = kv.value_range?;
    let value = kv.value.as_deref()?;
    // The key must stay the word before the `=`: BuildKit's split of the legacy form is at
    // ASCII blanks, the new form's words end at any blank (`A\u{a0}b c` would be read as the
    // legacy form again, with one argument), and quotes or escapes would take in the `=`.
    if kv.key.contains(|c: char| c.is_whitespace() || matches!(c, '=' | '\'' | '"' | '\\' | '`')) {
        return None;
    }
    let new_value = if stagecraft_syntax::is_one_word(value, escape) {
        value.to_string()
    } else if !value.contains(['"', '\'', '\\', '`']) {
        format!("\"{value}\"")
    } else {
        return None;
    };
    Some(Fix {
        applicability: Applicability::Safe,
        title: "Use `key=value`".into(),
        edits: vec![TextEdit {
            range: TextRange::new(key_range.end(), value_range.end()),
            new_text: format!("={new_value}"),
        }],
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Lower,
    Upper,
    Mixed,
}

/// How a keyword is written: all lowercase (Go's `strings.ToLower` leaves it alone), all
/// uppercase, or neither.
fn keyword_case(k: &str) -> Case {
    if k.is_ascii() {
        if !k.bytes().any(|b| b.is_ascii_uppercase()) {
            Case::Lower
        } else if !k.bytes().any(|b| b.is_ascii_lowercase()) {
            Case::Upper
        } else {
            Case::Mixed
        }
    } else if k == go::to_lower(k) {
        Case::Lower
    } else if k == go::to_upper(k) {
        Case::Upper
    } else {
        Case::Mixed
    }
}

/// Where a mount's `from=` value is written (the last one, as BuildKit keeps it).
fn mount_from_range(flags: &[Flag], flag: &FlagInfo) -> Option<TextRange> {
    // The flags are in text order: a RUN with thousands of mounts stays linear.
    let at = flags.partition_point(|f| f.range().start() < flag.range.start());
    let cursor = flags.get(at).filter(|f| f.range() == flag.range)?;
    cursor.mount_options().filter(|o| o.key().eq_ignore_ascii_case("from")).last().and_then(|o| o.value_range())
}

/// `TARGETSTAGE` for a build of `target` (a `--target` as given; `#N`, stagecraft's name for the
/// stage at index N, is that stage's name), else of the default target: the last stage's name,
/// else `default`.
pub(crate) fn target_stage_value(target: Option<&str>, stages: &[Stage]) -> String {
    let stage = match target.filter(|t| !t.is_empty()) {
        None => stages.last(),
        Some(t) => match t.strip_prefix('#').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => stages.get(n),
            None => return t.to_string(),
        },
    };
    stage.and_then(|s| s.name.clone()).unwrap_or_else(|| "default".into())
}

/// BuildKit's message for a word that does not expand, and in native builds what to do about
/// it where BuildKit's words do not say: `${NAME` left open reads as an "unsupported modifier"
/// that is the end of input (Go's replacement character), other modifiers as themselves.
fn expansion_failure(e: &stagecraft_syntax::shell::ShellError) -> String {
    let mut message = e.to_string();
    if cfg!(feature = "build-failures") {
        message.push_str(match e.message.as_str() {
            "unsupported modifier (\u{FFFD}) in substitution" => {
                "; a `${` is not closed: end the variable's name with `}`"
            }
            m if m.starts_with("unsupported modifier") => {
                "; after `${NAME` comes `}` or a modifier: `:-`, `-`, `:+`, `+`, `:?`, `?`, `#`, `##`, `%`, `%%`, `/` or `//`"
            }
            "syntax error: bad substitution" => "; write a variable's name after `${`",
            _ => "",
        });
    }
    message
}

#[cfg(test)]
mod tests {
    use super::is_secret_name;

    #[test]
    fn secret_names_as_buildkit_reads_them() {
        for key in ["API_KEY", "db_password", "Token", "x_AUTH_y", "MY_APIKEY", "aws_Credentials"] {
            assert!(is_secret_name(key), "{key}");
        }
        for key in ["KEYS", "PUBLIC_KEY", "key_file", "TOKEN_VERSION", "monkey", "PATH", ""] {
            assert!(!is_secret_name(key), "{key}");
        }
        // Outside ASCII, Go's case folding can still reach the words: the Kelvin sign is a `k`,
        // `ſ` an `s`.
        assert!(is_secret_name("API_\u{212A}EY"));
        assert!(!is_secret_name("PUBLIC_\u{212A}EY"));
        assert!(!is_secret_name("schlüssel"));
        assert!(is_secret_name("\u{17F}ECRET"));
        assert!(is_secret_name("PA\u{17F}\u{17F}WORD"));
        assert!(!is_secret_name("KEY_VER\u{17F}ION"));
    }
}
