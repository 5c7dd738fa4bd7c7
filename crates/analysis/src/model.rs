//! The plain data the analysis produces. Offsets are UTF-8 [`TextRange`]s into the analysed text;
//! lines, where given, are BuildKit's (1-based, counting `\n`).

use stagecraft_syntax::TextRange;

/// One `FROM` and the instructions after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Position in the file, from 0 (what `--from=N` counts).
    pub index: usize,
    /// The `AS` name lower-cased, as BuildKit stores and matches it.
    pub name: Option<String>,
    /// The `AS` name as written.
    pub name_as_written: Option<String>,
    /// Where the `AS` name is written.
    pub name_range: Option<TextRange>,
    /// The `FROM` instruction.
    pub from_range: TextRange,
    /// The `FROM` keyword as written.
    pub from_keyword: String,
    /// From the `FROM` to the end of the stage's last instruction.
    pub range: TextRange,
    /// The base as written (`golang:${GO_VERSION}`, `builder`, `scratch`).
    pub base: String,
    /// Where the base is written.
    pub base_range: Option<TextRange>,
    /// The base with global ARGs expanded; `None` when expansion fails.
    pub base_expanded: Option<String>,
    /// What the base is.
    pub base_kind: BaseKind,
    /// `--platform` as written.
    pub platform: Option<String>,
    /// Where the `--platform` value is written.
    pub platform_range: Option<TextRange>,
    /// `--platform` with global ARGs expanded.
    pub platform_expanded: Option<String>,
    /// The description comment (`# name description` above the FROM), as `buildx --call=targets` shows it.
    pub description: Option<String>,
    /// The instructions of the stage after its FROM.
    pub commands: Vec<TextRange>,
    /// BuildKit's first and last line of the FROM instruction.
    pub line: u32,
    /// See `line`.
    pub end_line: u32,
}

impl Stage {
    /// The name people see: BuildKit's (the `AS` name in lower case, as its progress output and
    /// `--target` have it), or `stage-N`.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| format!("stage-{}", self.index))
    }

    /// Whether a named build context replaces the stage: BuildKit loads the context and builds
    /// none of the stage's commands.
    pub fn is_replaced(&self) -> bool {
        cfg!(feature = "named-contexts") && matches!(self.base_kind, BaseKind::NamedContext(_))
    }
}

/// What a stage builds on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseKind {
    /// An earlier stage of the same file.
    Stage(usize),
    /// An image pulled from a registry.
    Image(String),
    /// The empty image.
    Scratch,
    /// Not known: the base does not expand (a variable error) or expands to nothing.
    Unresolved,
    /// A named build context (`--build-context NAME=...`) replaces the whole stage: its key, as
    /// [`crate::reference::context_key`] makes it from the stage's name (`build` for a stage
    /// named `build`, given as `--build-context docker.io/library/build=...` too).
    NamedContext(String),
    /// A named build context replaces the base image (by its key, as
    /// [`crate::reference::context_key`] makes it: `alpine` for `FROM alpine:latest`); the
    /// stage's instructions run on it.
    ImageContext(String),
}

/// The kinds of stage references BuildKit follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// `FROM <base>`.
    From,
    /// `COPY --from=<name|index|image>`.
    CopyFrom,
    /// `RUN --mount=...,from=<name|image>`.
    MountFrom {
        /// The mount's `type` (lower-cased; `bind` by default).
        mount_type: String,
        /// Which `--mount` of the RUN, from 0.
        mount_index: usize,
    },
    /// A `RUN --mount` without `from=` while a stage is literally named `scratch`.
    MountImplicitScratch {
        /// The mount's `type`.
        mount_type: String,
        /// Which `--mount` of the RUN, from 0.
        mount_index: usize,
    },
}

impl RefKind {
    /// The oracle's name for the kind.
    pub fn as_str(&self) -> &'static str {
        match self {
            RefKind::From => "from",
            RefKind::CopyFrom => "copy-from",
            RefKind::MountFrom { .. } => "mount-from",
            RefKind::MountImplicitScratch { .. } => "mount-implicit-scratch",
        }
    }
}

/// What a reference resolves to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefTarget {
    /// A stage of this file.
    Stage(usize),
    /// An external image.
    Image(String),
    /// The empty image.
    Scratch,
    /// `--from=` with an empty value: the build context; no dependency.
    Context,
    /// A named build context (`--build-context NAME=...`) given for the build replaces this
    /// image: its key (see [`BaseKind::ImageContext`]).
    NamedContext(String),
    /// BuildKit fails on it (a variable in `--from`, an index out of range, a base that does
    /// not expand); the reason says how.
    Invalid(String),
    /// A name that may be a stage's (or an index), written in an `ONBUILD` trigger of a stage
    /// no stage of this file is built on: the trigger runs in the builds of Dockerfiles built
    /// on the stage's image, where the name is looked up among their stages, so it names
    /// nothing here. (An image name no stage can have, such as `alpine:3`, is an image.)
    NotRunHere,
}

/// Where a reference comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefOrigin {
    /// Written in the stage it belongs to.
    Direct,
    /// Written inside an `ONBUILD` trigger: it runs in the stages built on this one, so it is
    /// not a dependency of the stage it is written in.
    OnbuildTrigger,
    /// An `ONBUILD` trigger of the base stage, run in this stage.
    Inherited {
        /// Where the trigger's reference is written.
        trigger_range: TextRange,
    },
}

impl RefOrigin {
    /// The name front ends show: `direct`, `onbuild-trigger`, `onbuild-inherited`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RefOrigin::Direct => "direct",
            RefOrigin::OnbuildTrigger => "onbuild-trigger",
            RefOrigin::Inherited { .. } => "onbuild-inherited",
        }
    }
}

/// A reference to a stage or an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRef {
    /// Which kind.
    pub kind: RefKind,
    /// The stage whose build follows the reference.
    pub in_stage: usize,
    /// The instruction keyword as written (`FROM`, `COPY`, `RUN`).
    pub instruction: String,
    /// The referenced name as written (quotes removed from flags, as BuildKit does).
    pub value: String,
    /// Where the value is written (for inherited ONBUILD references: the inheriting FROM).
    pub range: TextRange,
    /// The instruction the reference is part of.
    pub instruction_range: TextRange,
    /// What it resolves to.
    pub target: RefTarget,
    /// The reference points at the same or a later stage: the build fails.
    pub forward: bool,
    /// Where the reference comes from.
    pub origin: RefOrigin,
    /// BuildKit's 1-based line.
    pub line: u32,
    /// BuildKit's 1-based end line.
    pub end_line: u32,
}

impl StageRef {
    /// The stage it resolves to, if any.
    pub fn stage(&self) -> Option<usize> {
        match self.target {
            RefTarget::Stage(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the reference is a build dependency of `in_stage` (triggers are not).
    pub fn is_dependency(&self) -> bool {
        !matches!(self.origin, RefOrigin::OnbuildTrigger) && !matches!(self.target, RefTarget::Context)
    }
}

/// An `ARG` before the first `FROM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalArg {
    /// The name.
    pub key: String,
    /// The default as written, if any.
    pub value: Option<String>,
    /// The default after expansion (and after a build-arg override), if any.
    pub value_expanded: Option<String>,
    /// Where the name is written.
    pub key_range: TextRange,
    /// Where the default is written (with its quotes), if there is one.
    pub value_range: Option<TextRange>,
    /// The ARG instruction.
    pub range: TextRange,
    /// BuildKit's line.
    pub line: u32,
    /// The description comment (`# NAME description`).
    pub description: Option<String>,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The build fails.
    Error,
    /// Likely a mistake.
    Warning,
    /// Worth knowing.
    Info,
    /// A hint (unused code and the like).
    Hint,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

/// Replace `range` with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextEdit {
    /// What to replace.
    pub range: TextRange,
    /// The replacement.
    pub new_text: String,
}

impl TextEdit {
    /// `text` with `edits` applied; the edits are sorted and disjoint (as rename and fixes give
    /// them), so one pass builds the result.
    pub fn apply_all(text: &str, edits: &[TextEdit]) -> String {
        let mut out = String::with_capacity(text.len() + edits.iter().map(|e| e.new_text.len()).sum::<usize>());
        let mut last = 0usize;
        for e in edits {
            out.push_str(&text[last..usize::from(e.range.start())]);
            out.push_str(&e.new_text);
            last = e.range.end().into();
        }
        out.push_str(&text[last..]);
        out
    }
}

/// A fix for a diagnostic: edits that are sorted and disjoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, for a menu.
    pub title: String,
    /// The edits.
    pub edits: Vec<TextEdit>,
    /// When it may be applied without asking.
    pub applicability: Applicability,
}

/// When a fix may be applied without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    /// It changes only how the file is written, not what the build does (keyword casing,
    /// `key=value`, an empty `--from=`): `check --fix` applies it, editors offer it in "fix all".
    Safe,
    /// It changes what the build does (the stage or variable a typo probably meant, the exec
    /// form of a command, a label for MAINTAINER): `check --fix --unsafe-fixes` applies it, to
    /// be reviewed.
    Unsafe,
    /// One at a time, on request only: removing an unused stage (another target, such as
    /// `--target` in a CI job, may still build it).
    Manual,
}

impl Applicability {
    /// The name the CLI's JSON gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::Manual => "manual",
        }
    }
}

/// A finding about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable code: BuildKit's rule name for BuildKit's checks (`DuplicateStageName`), a
    /// kebab-case name for ours (`unknown-stage`, `unused-stage`, `syntax-error`, ...).
    pub code: String,
    /// How serious.
    pub severity: Severity,
    /// Where.
    pub range: TextRange,
    /// What is wrong and what to do.
    pub message: String,
    /// Documentation for the rule.
    pub url: Option<String>,
    /// A fix, when there is one.
    pub fix: Option<Fix>,
    /// The code it covers is unused (editors fade it).
    pub unnecessary: bool,
    /// Whether `docker build --check` reports it: false for our own checks and for BuildKit
    /// checks BuildKit never reaches because the build fails first.
    pub buildkit_reports: bool,
    /// BuildKit's 1-based line range of the finding (the instruction's lines).
    pub lines: (u32, u32),
    /// For a finding in an `ONBUILD` trigger that a stage built on the trigger's stage runs:
    /// the trigger, which is written in the base stage. The finding itself is where BuildKit
    /// reports it, that stage's `FROM`.
    pub trigger: Option<TextRange>,
}

impl Diagnostic {
    /// One of our own findings (no rule URL; `docker build --check` does not report it).
    pub(crate) fn ours(
        code: &str,
        severity: Severity,
        range: TextRange,
        message: String,
        fix: Option<Fix>,
        lines: (u32, u32),
    ) -> Diagnostic {
        Diagnostic {
            code: code.to_string(),
            severity,
            range,
            message,
            url: None,
            fix,
            unnecessary: false,
            buildkit_reports: false,
            lines,
            trigger: None,
        }
    }
}

/// A target for `--target`: a named stage or the default (last) stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The stage.
    pub stage: usize,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Its description comment.
    pub description: Option<String>,
    /// Whether it is what `docker build` builds without `--target`.
    pub is_default: bool,
}

/// What building a target takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPlan {
    /// The target stage.
    pub target: usize,
    /// The stages BuildKit builds (the target and what it depends on), dependencies first.
    pub stages: Vec<usize>,
    /// The stages of `stages` not in [`BuildPlan::in_cycle`], in waves: every stage of a wave
    /// depends only on earlier waves, so a wave can build in parallel, and without a cycle the
    /// target stands alone in the last one. The stages on or above a cycle of references (a
    /// build error) are in no wave: no order builds them.
    pub waves: Vec<Vec<usize>>,
    /// The stages on or above a cycle of references, in `stages` after the waves' (empty but
    /// for a build BuildKit fails).
    pub in_cycle: Vec<usize>,
    /// External images pulled: bases and `--from` images of the stages built.
    pub images: Vec<String>,
    /// Named build contexts used (by their keys): stages they replace and images they stand in
    /// for. Empty unless [`crate::Options::named_contexts`] names some.
    pub contexts: Vec<String>,
    /// What the legacy builder builds: every stage up to the target.
    pub legacy_stages: Vec<usize>,
}

/// A named build context given for the build that replaces nothing in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedContext {
    /// The name as given (`--build-context NAME=...`).
    pub name: String,
    /// A stage name or image that is close to it (`build` for `biuld`, `alpine:3.20` for
    /// `alpine:3.19`), or the key BuildKit looks it up by when that differs (`alpine` for
    /// `alpine:latest`).
    pub suggestion: Option<String>,
}

/// A node of the stage graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GraphNode {
    /// A stage.
    Stage(usize),
    /// An external image.
    Image(String),
    /// The empty image.
    Scratch,
    /// A named build context that replaces an image (by its key).
    NamedContext(String),
}

/// How a dependency is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// `FROM`.
    From,
    /// `COPY --from`.
    Copy,
    /// `RUN --mount ... from=`.
    Mount,
    /// An inherited `ONBUILD` trigger's `COPY --from` or mount.
    Onbuild,
}

impl EdgeKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::From => "from",
            EdgeKind::Copy => "copy",
            EdgeKind::Mount => "mount",
            EdgeKind::Onbuild => "onbuild",
        }
    }
}

/// A dependency edge: `stage` uses `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEdge {
    /// Index into [`StageGraph::nodes`] of what is used.
    pub source: usize,
    /// The stage using it.
    pub stage: usize,
    /// How.
    pub kind: EdgeKind,
    /// Where the reference is written.
    pub range: TextRange,
}

/// Stages, images and the edges between them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StageGraph {
    /// Stages first (node `i` is stage `i`), then images, then scratch if used.
    pub nodes: Vec<GraphNode>,
    /// Edges, in source order.
    pub edges: Vec<GraphEdge>,
}

/// A build failure BuildKit reports before or while building (not a lint warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    /// BuildKit's message.
    pub message: String,
    /// Where, when BuildKit says: the word or flag at fault where we can tell, else the
    /// instruction.
    pub range: Option<TextRange>,
    /// BuildKit's 1-based line span of the error (the instruction's), when it has one (all
    /// of them: [`crate::Analysis::build_error_lines`]).
    pub lines: Option<(u32, u32)>,
    /// The phase that fails (`parse`, `instructions`, `meta-args`, `dispatch-states`,
    /// `dependency-graph`, `resolve-stages`, `context`: the build context's ignore file, read
    /// before any stage is dispatched, `dispatch`, `lint`: `# check=error=true`).
    pub phase: &'static str,
}

/// What BuildKit's `parseError` puts before the message of an instruction it cannot parse,
/// with the instruction's first line and `: ` after it. (Written only with the build's failures:
/// native builds.)
#[cfg(feature = "build-failures")]
pub(crate) const PARSE_ERROR_PREFIX: &str = "dockerfile parse error on line ";

#[cfg(feature = "build-failures")]
impl BuildError {
    /// The message without the line BuildKit's parser names for an instruction it cannot parse
    /// (`dockerfile parse error on line 4: `), for a text that says the line itself.
    pub fn message_without_line(&self) -> &str {
        without_parse_line(&self.message)
    }
}

/// `message` without the line BuildKit's parser names at its start (see
/// [`BuildError::message_without_line`]).
#[cfg(feature = "build-failures")]
pub(crate) fn without_parse_line(message: &str) -> &str {
    let rest = message.strip_prefix(PARSE_ERROR_PREFIX).and_then(|m| m.split_once(": "));
    match rest {
        Some((line, m)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => m,
        _ => message,
    }
}

/// Whether a `--from` value is a stage index as BuildKit's `strconv.Atoi` reads one that names a
/// stage: digits, with a `+` or not (`-1` is never a stage).
pub fn is_index(value: &str) -> bool {
    let digits = value.strip_prefix('+').unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}
