//! The stage model of a Dockerfile as BuildKit sees it: stages, every stage reference and what it
//! resolves to, global ARGs, targets and build plans, the stage graph, BuildKit's checks and our
//! own, and the queries editors need. Plain data out; no LSP, wasm or IO.
//!
//! ```
//! use stagecraft_analysis::{analyze, Options};
//! let a = analyze("FROM alpine AS build\nRUN make\nFROM scratch\nCOPY --from=build /out /\n", &Options::default());
//! assert_eq!(a.stages().len(), 2);
//! assert_eq!(a.references()[2].stage(), Some(0));
//! assert_eq!(a.plan(1).stages, vec![0, 1]);
//! ```

pub mod assists;
mod checks;
mod copy;
pub mod dockerignore;
mod engine;
pub mod env;
#[cfg(feature = "build-failures")]
mod exec_form;
mod export;
pub mod fixes;
pub mod format;
mod gitref;
// (Needs `build-failures`: STOPSIGNAL's check is one of them.)
#[cfg(all(test, feature = "build-failures"))]
mod go_std;
mod graph;
pub mod instructions;
#[cfg(all(feature = "build-failures", feature = "probe"))]
mod legacy;
pub mod links;
mod model;
pub mod platform;
pub mod queries;
pub mod reference;
pub mod rules;
pub mod suggest;
pub mod svg;

#[cfg(all(feature = "build-failures", feature = "probe"))]
pub use legacy::{LegacyFailure, LegacyNote};
pub use model::*;
pub use rules::CheckConfig;
pub use stagecraft_syntax::{LineIndex, Parse, TextRange, TextSize};
pub use svg::SvgOptions;

use stagecraft_syntax::parse;
use stagecraft_syntax::sort;

/// What the analysis should assume about the build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--build-arg` values.
    pub build_args: Vec<(String, String)>,
    /// Named build contexts (`--build-context NAME=...`), by the names given, each read as buildx
    /// reads it ([`reference::context_key`]: `alpine:latest` is `alpine`; a name that is no
    /// image reference matches nothing). As in BuildKit, a stage whose name is one is replaced
    /// whole; else a base image or `--from` image whose key is one is replaced by it.
    pub named_contexts: Vec<String>,
    /// What named build contexts are (`--build-context NAME=VALUE`), as (NAME as given, VALUE):
    /// a `docker-image://REF` whose reference does not parse fails the build where BuildKit
    /// loads the context (`NamedContext.load`, for a stage the target needs: the error is the
    /// reference's, at the stage's FROM or the COPY or RUN that names it). Other values (a
    /// directory, a Git or HTTP URL, `oci-layout://`, ...) are not read. For a NAME given twice,
    /// the last value counts, as buildx keeps it. (Not in the browser build, which has no named
    /// contexts.)
    #[cfg(feature = "named-contexts")]
    pub context_values: Vec<(String, String)>,
    /// The `--target` of the build, if any (sets `TARGETSTAGE`). With one, only the stages the
    /// targets need are dispatched, as BuildKit does; without, BuildKit's lint (`docker build
    /// --check`) dispatches every stage. An empty one is none, as BuildKit reads it
    /// ([`Options::target_name`]).
    pub target: Option<String>,
    /// Dispatch only the stages the target (`target`, else the last stage) needs, as `docker
    /// build` does, also without `target` (for what a build does rather than what its lint says).
    pub only_needed_stages: bool,
    /// Targets in play besides the build's own (the `target`, else the default one; names, or
    /// `#N` for the stage at index N): a stage none of them builds is unused.
    pub targets: Vec<String>,
    /// Severity overrides by diagnostic code.
    pub severities: Vec<(String, Severity)>,
    /// The build context's ignore rules, for `CopyIgnoredFile` (BuildKit checks nothing without
    /// an ignore file). [`dockerignore::DockerIgnore`] reads them as BuildKit does.
    pub ignore: Option<IgnoreRules>,
    /// Why BuildKit rejects (or cannot read) the build context's ignore file, when it does: every
    /// build of the context then fails with it, once the stages are resolved and before any is
    /// dispatched (`dispatchStages` reads the ignore patterns first). The error is the caller's
    /// to show; the analysis makes it the build's, where BuildKit meets it.
    #[cfg(feature = "build-failures")]
    pub ignore_error: Option<String>,
    /// The target platform (`docker build --platform`, one `os/arch[/variant]` or `local`, read
    /// by [`platform::parse_target`]); `None`, or one that does not parse, is `linux/amd64`. It sets the
    /// `TARGET*` ARGs and the OS of every stage without a `--platform` of its own (a Windows
    /// stage reads Windows paths). The build platform stays `linux/amd64`.
    pub platform: Option<String>,
}

/// What `CopyIgnoredFile` asks of the build context's ignore rules. A trait object, so a build
/// of stagecraft that never reads an ignore file (the browser's) carries no matcher.
pub trait ContextIgnore: std::fmt::Debug + Send + Sync {
    /// Whether any rule is an exception (`!path`): BuildKit then checks no source, since which
    /// files an exception brings back cannot be told from the patterns alone.
    fn has_exclusions(&self) -> bool;
    /// BuildKit's check of one `COPY` or `ADD` source (after variable expansion): the source
    /// cleaned as BuildKit names it (`filepath.Clean`, slash-separated) when
    /// `MatchesOrParentMatches` says the rules exclude it; `None` when they do not, when a rule
    /// cannot be matched (BuildKit then reports nothing for the source), and for a URL or Git
    /// repository, which does not come from the build context.
    fn excluded(&self, source: &str) -> Option<String>;
}

/// Shared ignore rules in [`Options`] (equal when they are the same rules).
#[derive(Debug, Clone)]
pub struct IgnoreRules(pub std::sync::Arc<dyn ContextIgnore>);

impl PartialEq for IgnoreRules {
    fn eq(&self, other: &IgnoreRules) -> bool {
        std::ptr::addr_eq(std::sync::Arc::as_ptr(&self.0), std::sync::Arc::as_ptr(&other.0))
    }
}

impl Eq for IgnoreRules {}

impl Options {
    /// The `--target` given, if it is not empty (BuildKit reads an empty one as none).
    pub fn target_name(&self) -> Option<&str> {
        self.target.as_deref().filter(|t| !t.is_empty())
    }

    /// The `--build-arg` value for `key` (the last one given wins).
    pub fn build_arg(&self, key: &str) -> Option<&str> {
        self.build_args.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A value computed on first use: a `OnceLock` (the language server shares analyses between
/// threads); in the browser build, which has one thread (wasm without atomics), a `OnceCell`
/// (the lock's machinery for a target without threads was 916 B of it).
#[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
pub(crate) type Lazy<T> = std::sync::OnceLock<T>;
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub(crate) type Lazy<T> = std::cell::OnceCell<T>;

/// The analysed file: the tree plus everything derived from it.
#[derive(Debug, Clone)]
pub struct Analysis {
    text: String,
    parse: Parse,
    index: LineIndex,
    check: CheckConfig,
    global_args: Vec<GlobalArg>,
    stages: Vec<Stage>,
    references: Vec<StageRef>,
    diagnostics: Vec<Diagnostic>,
    build_error: Option<BuildError>,
    deps: Vec<Vec<engine::Dep>>,
    reach: graph::Reachability,
    unused: Vec<usize>,
    /// Named stages that a later base written with variables may name with other build args or
    /// another platform, each with the first such later stage (`FROM base-${TARGETARCH}`): the
    /// unused-stage hints say so, and a rename would leave those builds behind.
    named_by_variable: Vec<(usize, usize)>,
    targets_in_play: Vec<usize>,
    unused_contexts: Vec<UnusedContext>,
    /// The keys of [`Options::named_contexts`] (the valid names).
    context_names: Vec<String>,
    /// For each stage: another stage has its name too.
    name_shared: Vec<bool>,
    /// The target platform was given ([`Options::platform`]): every stage's OS is known.
    platform_given: bool,
    /// The stage SOURCE_DATE_EPOCH names, and where its name is written (see the engine).
    pub(crate) epoch_stage: Option<(usize, Option<TextRange>)>,
    #[cfg(feature = "build-failures")]
    error_lines: Vec<(u32, u32)>,
    /// The named build context SOURCE_DATE_EPOCH names.
    pub(crate) epoch_context: Option<String>,
    /// The stages each stage a named context replaces still has dispatched (see the engine).
    pub(crate) dispatch_only: Vec<Vec<usize>>,
    /// The stage graph, built on first use (SVG, DOT, Mermaid and editors' graph views all
    /// read it).
    graph: Lazy<StageGraph>,
    /// The `# syntax=` directive (read once: a note on every error asks for it).
    syntax: Lazy<Option<stagecraft_syntax::directives::FoundDirective>>,
    /// Indexes of the references and names a rename checks (see [`Names`]).
    #[cfg(feature = "large-files")]
    names: Lazy<Names>,
    /// What the analysis assumed, for the queries that run the pipeline again (a variable's
    /// value at a place: [`Analysis::variable_at`]).
    #[cfg(feature = "probe")]
    options: Options,
}

/// The most stage entries the server's `stagecraft/targets` and the wasm `analyze` list in all
/// their targets' plans together; beyond it they send counts and give plans one at a time. The
/// 501-stage benchmark file lists 185,041; a chain of stages passes it from ≈410 stages.
pub const PLANS_LISTED_MAX: usize = 250_000;

/// Analyses a Dockerfile.
pub fn analyze(text: &str, options: &Options) -> Analysis {
    analyze_parsed(text, parse(text), options)
}

/// Analyses an already parsed Dockerfile (`parse` must be the parse of `text`).
pub fn analyze_parsed(text: &str, parse: Parse, options: &Options) -> Analysis {
    let index = LineIndex::new(text);
    let out = engine::Engine::new(text, &parse, &index, options).run();
    let reach = graph::Reachability::new(&out.deps);
    let mut analysis = Analysis {
        text: text.to_string(),
        parse,
        index,
        check: out.check,
        global_args: out.global_args,
        stages: out.stages,
        references: out.references,
        diagnostics: out.diagnostics,
        build_error: out.build_error,
        deps: out.deps,
        reach,
        unused: Vec::new(),
        named_by_variable: Vec::new(),
        targets_in_play: Vec::new(),
        unused_contexts: Vec::new(),
        context_names: out.context_keys,
        name_shared: out.name_shared,
        platform_given: out.platform_given,
        epoch_stage: out.epoch_stage,
        #[cfg(feature = "build-failures")]
        error_lines: out.error_lines,
        epoch_context: out.epoch_context,
        dispatch_only: out.dispatch_only,
        graph: Lazy::new(),
        syntax: Lazy::new(),
        #[cfg(feature = "large-files")]
        names: Lazy::new(),
        #[cfg(feature = "probe")]
        options: options.clone(),
    };
    checks::run(&mut analysis, options);
    #[cfg(feature = "build-failures")]
    analysis.fixes_on_request_where_the_image_may_set();
    for (code, severity) in &options.severities {
        for d in analysis.diagnostics.iter_mut().filter(|d| &d.code == code) {
            d.severity = *severity;
        }
    }
    let escape = analysis.parse.tree().escape_char();
    trim_trailing_blanks(&mut analysis.diagnostics, text, escape);
    sort::sort_by(&mut analysis.diagnostics, |a, b| (a.range.start(), &a.code).cmp(&(b.range.start(), &b.code)));
    analysis
}

/// A diagnostic ends at its last character that is not a blank, and so does the trigger it
/// names: the blanks a line ends in are no part of what it says (the whole-instruction findings
/// took them in), and an editor would underline them (and move the underline when they change).
fn trim_trailing_blanks(diagnostics: &mut [Diagnostic], text: &str, escape: char) {
    for d in diagnostics {
        d.range = without_trailing_blanks(text, d.range, escape);
        d.trigger = d.trigger.map(|t| without_trailing_blanks(text, t, escape));
    }
}

/// `range` without the blanks (spaces, tabs, a CRLF's `\r`) it ends in, unless it holds nothing
/// else. A blank after an odd run of the file's escape character is escaped, part of a word:
/// kept (`a\ `; in `a\\ ` the escape is escaped, and the blank is not).
pub(crate) fn without_trailing_blanks(text: &str, range: TextRange, escape: char) -> TextRange {
    let bytes = text.as_bytes();
    let (start, mut end) = (usize::from(range.start()), usize::from(range.end()));
    while end > start && matches!(bytes.get(end - 1), Some(b' ' | b'\t' | b'\r')) {
        let escapes = bytes[start..end - 1].iter().rev().take_while(|&&b| char::from(b) == escape).count();
        if escapes % 2 == 1 {
            break;
        }
        end -= 1;
    }
    if end > start {
        TextRange::new(range.start(), (end as u32).into())
    } else {
        range
    }
}

/// What a rename looks names up in, built on first use: a search of every reference and stage
/// per rename made the casing rule's fixes (a rename each) quadratic in stages.
#[cfg(feature = "large-files")]
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// For each stage, the references that resolve to it (indices into the references, in
    /// order).
    pub(crate) refs_by_stage: Vec<Vec<usize>>,
    /// The references that name an image or a named context, with that name lower-cased,
    /// sorted (see [`Names::find`]).
    pub(crate) images: Vec<(String, usize)>,
    /// The stages with each name, sorted.
    pub(crate) stages: Vec<(String, usize)>,
    /// The references an `ONBUILD` trigger brings into a stage that runs it, by where the
    /// trigger writes them (see [`RefOrigin::Inherited`]), sorted by where that starts.
    pub(crate) trigger_runs: Vec<(TextRange, usize)>,
}

#[cfg(feature = "large-files")]
impl Names {
    /// The entries of `list` for `key`, in the order of their indices.
    pub(crate) fn find<'a>(list: &'a [(String, usize)], key: &str) -> impl Iterator<Item = usize> + 'a {
        let start = list.partition_point(|(k, _)| k.as_str() < key);
        let end = start + list[start..].partition_point(|(k, _)| k == key);
        list[start..end].iter().map(|&(_, i)| i)
    }
}

impl Analysis {
    #[cfg(feature = "large-files")]
    pub(crate) fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            let mut n = Names { refs_by_stage: vec![Vec::new(); self.stages.len()], ..Names::default() };
            for (i, r) in self.references.iter().enumerate() {
                if let Some(list) = r.stage().and_then(|s| n.refs_by_stage.get_mut(s)) {
                    list.push(i);
                }
                if let RefOrigin::Inherited { trigger_range } = r.origin {
                    n.trigger_runs.push((trigger_range, i));
                }
                let image = match &r.target {
                    RefTarget::Image(image) => image,
                    // (Its key is not what is written: `docker.io/library/nginx` is `nginx`.)
                    RefTarget::NamedContext(_) => &r.value,
                    _ => continue,
                };
                n.images.push((image.to_lowercase(), i));
            }
            n.stages = self.stages.iter().filter_map(|s| Some((s.name.clone()?, s.index))).collect();
            for list in [&mut n.images, &mut n.stages] {
                sort::sort_by(list, |a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
            }
            sort::sort_by_key(&mut n.trigger_runs, |&(r, i)| (r.start(), r.end(), i));
            n
        })
    }

    /// The `# syntax=` directive, if the file has one.
    pub(crate) fn syntax_directive(&self) -> Option<&stagecraft_syntax::directives::FoundDirective> {
        self.syntax.get_or_init(|| stagecraft_syntax::directives::find(&self.text, "syntax")).as_ref()
    }

    /// The analysed text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The syntax tree.
    pub fn parse(&self) -> &Parse {
        &self.parse
    }

    /// Line/column conversion for the text.
    pub fn line_index(&self) -> &LineIndex {
        &self.index
    }

    /// The `# check=` configuration in effect.
    pub fn check_config(&self) -> &CheckConfig {
        &self.check
    }

    /// ARGs before the first FROM.
    pub fn global_args(&self) -> &[GlobalArg] {
        &self.global_args
    }

    /// Stages in file order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Every stage reference, in source order per stage.
    pub fn references(&self) -> &[StageRef] {
        &self.references
    }

    /// The named build contexts of [`Options::named_contexts`] that replace no stage and no
    /// image of this file (BuildKit ignores them silently), with a close name that would.
    pub fn unused_named_contexts(&self) -> &[UnusedContext] {
        &self.unused_contexts
    }

    /// The named build contexts given for the build, by their keys ([`reference::context_key`]
    /// of each name of [`Options::named_contexts`] that is an image reference).
    pub fn context_names(&self) -> &[String] {
        &self.context_names
    }

    /// Diagnostics, sorted by position.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// BuildKit's first failure, if the build fails.
    pub fn build_error(&self) -> Option<&BuildError> {
        self.build_error.as_ref()
    }

    /// Every line the build's error names, as BuildKit's lint reports them: a node's location
    /// is a range for each of its lines (`toRanges`), and `mergeLocations` puts them in line
    /// order, one range a line. Beside [`BuildError::lines`], a cycle of references names the
    /// instruction of each reference BuildKit's search followed. (Native builds only.)
    #[cfg(feature = "build-failures")]
    pub fn build_error_lines(&self) -> Vec<(u32, u32)> {
        let Some(first) = self.build_error.as_ref().and_then(|e| e.lines) else { return Vec::new() };
        let spans = std::iter::once(first).chain(self.error_lines.iter().copied());
        let mut lines: Vec<u32> = spans.flat_map(|(start, end)| start..=end.max(start)).collect();
        sort::sort_by_key(&mut lines, |&l| l);
        lines.dedup();
        lines.into_iter().map(|l| (l, l)).collect()
    }

    /// What `docker build` builds without `--target`: the last stage.
    pub fn default_target(&self) -> Option<usize> {
        self.stages.len().checked_sub(1)
    }

    /// The stages BuildKit builds for `--target` = `stage` (sorted, itself included).
    pub fn target_builds(&self, stage: usize) -> &[usize] {
        self.reach.builds(stage)
    }

    /// How many stages `--target` = each stage builds (the lengths of
    /// [`Analysis::target_builds`] without the stages named build contexts replace, computed
    /// without keeping every set).
    pub fn target_build_counts(&self) -> &[usize] {
        self.reach.build_counts(&self.stages)
    }

    /// How many stages the legacy builder builds for `--target` = `stage` (the length of
    /// [`BuildPlan::legacy_stages`], without the list).
    pub fn target_legacy_count(&self, stage: usize) -> usize {
        graph::legacy_stages(&self.stages, &self.name_shared, stage).len()
    }

    /// Whether another stage has stage `stage`'s name.
    pub fn shares_name(&self, stage: usize) -> bool {
        self.name_shared.get(stage) == Some(&true)
    }

    /// External images `COPY --from` and mounts pull for `--target` = `stage`.
    pub fn target_uses_external(&self, stage: usize) -> &[String] {
        self.reach.uses_external(&self.deps, stage)
    }

    /// Stages no target in play builds.
    pub fn unused_stages(&self) -> &[usize] {
        &self.unused
    }

    /// Whether no target in play builds `stage`.
    pub fn is_unused(&self, stage: usize) -> bool {
        // `unused` is in stage order.
        self.unused.binary_search(&stage).is_ok()
    }

    /// The stages whose builds decide which stages are used (the default target and the
    /// targets named in the options).
    pub fn targets_in_play(&self) -> &[usize] {
        &self.targets_in_play
    }

    /// Targets as `docker buildx build --call=targets` lists them: named stages, then the
    /// default stage if it has no name; but a name several stages share is listed once, for
    /// the stage `--target` builds (buildx lists each, though only the last can be built).
    pub fn targets(&self) -> Vec<Target> {
        let default = self.default_target();
        // A repeated name targets its last definition: a stage is listed when no later stage
        // has its name.
        let last = self.last_of_name();
        let mut out: Vec<Target> = Vec::new();
        for s in &self.stages {
            let is_default = Some(s.index) == default;
            if s.name.is_some() && !last[s.index] {
                continue;
            }
            if s.name.is_some() || is_default {
                out.push(Target {
                    stage: s.index,
                    name: s.name.clone(),
                    description: s.description.clone(),
                    is_default,
                });
            }
        }
        out
    }

    /// Whether each stage is the last of its name, the one a name finds (`--target`, `--from`);
    /// `false` for a stage without a name.
    pub(crate) fn last_of_name(&self) -> Vec<bool> {
        // Keyed by `String` as the engine's map of names is: one map type less in the wasm.
        let mut seen: stagecraft_syntax::hash::Map<String, usize> = stagecraft_syntax::hash::Map::default();
        let mut last = vec![false; self.stages.len()];
        for s in self.stages.iter().rev() {
            if let Some(n) = &s.name {
                last[s.index] = seen.insert(n.clone(), s.index).is_none();
            }
        }
        last
    }

    /// The stage `--target NAME` selects (names match ignoring case; the last definition wins).
    pub fn find_target(&self, name: &str) -> Option<usize> {
        let lower = name.to_lowercase();
        self.stages.iter().rev().find(|s| s.name.as_deref() == Some(lower.as_str())).map(|s| s.index)
    }

    /// The stage `--target NAME` selects, or why none does, in BuildKit's words and with the
    /// closest name (or the names there are) to help. Every adapter reports an unknown target
    /// with this one message.
    ///
    /// An empty name is the default target, as BuildKit reads an empty `--target`.
    pub fn resolve_target(&self, name: &str) -> Result<usize, String> {
        let found = if name.is_empty() { self.default_target() } else { self.find_target(name) };
        found.ok_or_else(|| self.not_found(name, "target stage", "targets"))
    }

    /// The first later stage whose base, written with variables, may name `stage` with other
    /// build args or another platform (`named_by_variable` is in stage order: a binary search).
    pub(crate) fn named_by_variable(&self, stage: usize) -> Option<usize> {
        let i = self.named_by_variable.binary_search_by_key(&stage, |&(s, _)| s).ok()?;
        Some(self.named_by_variable[i].1)
    }

    /// The last stage built on stage `s`: the last to run its ONBUILD triggers.
    #[cfg(not(feature = "large-files"))]
    pub(crate) fn last_built_on(&self, s: usize) -> Option<usize> {
        self.stages.iter().rposition(|t| t.base_kind == BaseKind::Stage(s))
    }

    /// The first stage built on stage `s`: where its ONBUILD triggers first run.
    pub(crate) fn first_built_on(&self, s: usize) -> Option<usize> {
        self.stages.iter().position(|t| t.base_kind == BaseKind::Stage(s))
    }

    /// The stage named `name` (as `--target` matches names), or why none is, for a command that
    /// asks for a stage by name (a rename), with the closest name or the names there are.
    pub fn stage_named(&self, name: &str) -> Result<usize, String> {
        self.find_target(name).ok_or_else(|| self.not_found(name, "stage", "stages"))
    }

    /// "`what` "NAME" could not be found", with the closest name (or the `listed` there are).
    /// (The list is joined by a fold, as the two lists in `checks` and `export` are, not the
    /// standard `join`: each of its copies, for `&str` and `String` lists, was a kilobyte of the
    /// browser build; one shared helper behind a `dyn Iterator` measured 231 B more.)
    fn not_found(&self, name: &str, what: &str, listed: &str) -> String {
        // The targets' names: a name two stages share once, as written where `--target` finds
        // it (the last definition). BuildKit suggests among the names as it keeps them,
        // lower-cased (`Test` is `test`).
        let (mut names, mut lowered): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        for t in self.targets() {
            let s = &self.stages[t.stage];
            if let (Some(name), Some(written)) = (&s.name, &s.name_as_written) {
                names.push(written);
                lowered.push(name);
            }
        }
        let hint = match suggest::search(name, lowered.iter().copied(), true) {
            Some(s) => format!(" (did you mean {s}?)"),
            None if names.is_empty() => "; no stage has a name".to_string(),
            // (Ten at most: a file may have thousands, and each unused stage's hint says this.)
            None => {
                let mut list = names.iter().take(10).enumerate().fold(format!("; {listed}: "), |mut list, (i, n)| {
                    if i > 0 {
                        list.push_str(", ");
                    }
                    list.push_str(n);
                    list
                });
                if names.len() > 10 {
                    list.push_str(&format!(" and {} more", names.len() - 10));
                }
                list
            }
        };
        format!("{what} \"{name}\" could not be found{hint}")
    }

    /// A stage by target name, or by `#index` (how the editors and the web pages name a stage
    /// without a name: `#0` is the first stage); an unknown name gets
    /// [`Analysis::resolve_target`]'s message. Stage names cannot start with `#`.
    pub fn resolve_stage(&self, spec: &str) -> Result<usize, String> {
        let Some(index) = spec.strip_prefix('#') else {
            // `stage-N` is how lists show a stage without a name (`Stage::display_name`): said
            // to people who type names (the browser's pages ask for such a stage as `#N`, and
            // the module keeps the bytes).
            #[cfg(not(target_arch = "wasm32"))]
            return self.resolve_target(spec).map_err(|e| match spec.strip_prefix("stage-").map(str::parse::<usize>) {
                Some(Ok(i)) if self.stages.get(i).is_some_and(|s| s.name.is_none()) => {
                    if self.stages.iter().all(|s| s.name.is_none()) {
                        format!("{e}: ask for stage {i} as #{i}")
                    } else {
                        format!("{e}; stage {i} has no name: ask for it as #{i}")
                    }
                }
                _ => e,
            });
            #[cfg(target_arch = "wasm32")]
            return self.resolve_target(spec);
        };
        let n = self.stages.len();
        match index.parse::<usize>() {
            Ok(i) if i < n => Ok(i),
            _ => Err(format!(
                "no stage {spec}: the file has {n} stage{}{}",
                if n == 1 { "" } else { "s" },
                if n == 0 { String::new() } else { format!(", #0 to #{}", n - 1) }
            )),
        }
    }

    /// What building `target` takes.
    pub fn plan(&self, target: usize) -> BuildPlan {
        graph::build_plan(&self.stages, &self.name_shared, &self.deps, &self.reach, target)
    }

    /// The stages BuildKit dispatches for `plan` and builds none of: what the steps of a stage
    /// a named context replaces use, and what those use in turn, in file order. BuildKit still
    /// reads the replaced stage's steps for their dependencies (`toCommand`), so it resolves
    /// these stages' bases and dispatches their steps (a failure there fails the build), and
    /// solves none of it: nothing takes their result.
    #[cfg(feature = "named-contexts")]
    pub fn dispatched_not_built(&self, target: usize) -> Vec<usize> {
        // (None without a named context that replaces a stage: the usual case, for every target.)
        if self.dispatch_only.iter().all(Vec::is_empty) {
            return Vec::new();
        }
        let mut seen = vec![false; self.stages.len()];
        for &s in self.target_builds(target) {
            seen[s] = true;
        }
        let mut out = self.mark_dispatched(&mut seen);
        out.sort_unstable();
        out
    }

    /// Marks in `seen` what the stages marked there have dispatched without building it (what a
    /// replaced stage's steps use, and what that builds on and uses in turn), and returns the
    /// stages it marked.
    pub(crate) fn mark_dispatched(&self, seen: &mut [bool]) -> Vec<usize> {
        let mut pending: Vec<usize> = (0..self.stages.len()).filter(|&s| seen[s]).collect();
        let mut marked = Vec::new();
        while let Some(s) = pending.pop() {
            for &t in self.dispatch_only.get(s).into_iter().flatten() {
                for &u in self.target_builds(t) {
                    if !seen[u] {
                        seen[u] = true;
                        marked.push(u);
                        pending.push(u);
                    }
                }
            }
        }
        marked
    }

    /// How many stage entries the plans of `targets` list together (each plan's stages, its
    /// waves and `in_cycle`, and its legacy stages), without building them: they grow with the
    /// square of the stage count, so the server and the wasm API compare this with
    /// [`PLANS_LISTED_MAX`] before sending every plan.
    pub fn plans_listed(&self, targets: impl IntoIterator<Item = usize>) -> usize {
        // (Stages named build contexts replace are listed in plans but not counted: a few.)
        let counts = self.target_build_counts();
        targets.into_iter().map(|t| 2 * counts.get(t).copied().unwrap_or(0) + self.target_legacy_count(t)).sum()
    }

    /// Stages, images and how they depend on each other.
    pub fn graph(&self) -> &StageGraph {
        self.graph.get_or_init(|| graph::stage_graph(&self.stages, &self.deps))
    }

    /// Whether edge `e` of [`Analysis::graph`] uses its own stage or a later one (`COPY
    /// --from` or a mount naming a stage defined further down), where a build of the stage
    /// fails ("needs to be defined before current stage"), or every build when the edge closes
    /// a cycle (a stage that uses itself, say: BuildKit checks for cycles before it picks the
    /// target's stages). Every cycle has such an edge, unless a named build context replaces a
    /// stage on it: such a stage is no step of the build, and using it is not one of these
    /// (BuildKit still reports the cycle, which reads the replaced stage's commands). A trigger
    /// inherited from the base may use the stage running it: that stage is dispatched by then.
    pub fn is_forward(&self, e: &GraphEdge) -> bool {
        // (The graph's first nodes are the stages, in order.)
        let s = e.source;
        s < self.stages.len()
            && (s > e.stage || s == e.stage && e.kind != EdgeKind::Onbuild)
            && !self.stages[s].is_replaced()
    }

    /// BuildKit's 1-based line of an offset.
    pub fn line_of(&self, offset: TextSize) -> u32 {
        self.index.buildkit_line(offset)
    }

    /// The analysis pipeline again, recording the variables BuildKit expands the word at `at`
    /// with.
    #[cfg(feature = "probe")]
    pub(crate) fn probe(&self, at: TextSize) -> Option<engine::Probed> {
        engine::Engine::new(&self.text, &self.parse, &self.index, &self.options).with_probe(at).run().probed
    }

    #[cfg(not(feature = "probe"))]
    pub(crate) fn probe(&self, _: TextSize) -> Option<engine::Probed> {
        None
    }

    /// The analysis pipeline again, recording each variable BuildKit expands and where the
    /// value it expands with was set (a range's last entry holds).
    #[cfg(feature = "probe")]
    pub(crate) fn expanded_variables(&self) -> Vec<(TextRange, String, engine::Origin)> {
        engine::Engine::new(&self.text, &self.parse, &self.index, &self.options).with_uses().run().uses
    }

    #[cfg(not(feature = "probe"))]
    pub(crate) fn expanded_variables(&self) -> Vec<(TextRange, String, engine::Origin)> {
        Vec::new()
    }

    /// Whether the analysis was for a `--target`.
    #[cfg(feature = "probe")]
    pub(crate) fn target_given(&self) -> bool {
        self.options.target_name().is_some()
    }

    #[cfg(not(feature = "probe"))]
    pub(crate) fn target_given(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_blanks_but_not_escaped_ones() {
        fn cut(text: &str) -> &str {
            &text[without_trailing_blanks(text, TextRange::up_to(TextSize::of(text)), '\\')]
        }
        assert_eq!(cut("RUN a \t\r"), "RUN a");
        assert_eq!(cut("   "), "   ");
        assert_eq!(cut(""), "");
        // An escaped blank is part of its word; after an escaped escape it is not.
        assert_eq!(cut("COPY a\\  "), "COPY a\\ ");
        assert_eq!(cut("COPY a\\\\  "), "COPY a\\\\");
        assert_eq!(cut("COPY a`  "), "COPY a`");
        let r = without_trailing_blanks("COPY a`  ", TextRange::up_to(TextSize::of("COPY a`  ")), '`');
        assert_eq!(&"COPY a`  "[r], "COPY a` ");
        assert_eq!(cut("ENV a=\u{e4}\u{3000} "), "ENV a=\u{e4}\u{3000}");
    }
}
