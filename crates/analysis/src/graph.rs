//! What a target builds: BuildKit's reachability (FROM chains, `COPY --from`, mounts, inherited
//! ONBUILD triggers), build plans in parallel waves, the legacy builder's set, and the graph.

use crate::Lazy;
use stagecraft_syntax::sort;

use crate::engine::Dep;
use crate::model::*;

/// What each `--target` builds, computed for a target the first time it is asked for (an
/// editor asks for a few; a file may have hundreds of stages).
#[derive(Debug, Clone)]
pub(crate) struct Reachability {
    /// Each stage's stage dependencies.
    pub(crate) direct: Vec<Vec<usize>>,
    builds: Vec<Lazy<Vec<usize>>>,
    /// How many stages each target builds, for every target at once (code lenses and the
    /// target picker ask for all of them, after every edit).
    build_counts: Lazy<Vec<usize>>,
    uses_external: Vec<Lazy<Vec<String>>>,
}

impl Reachability {
    pub(crate) fn new(deps: &[Vec<Dep>]) -> Reachability {
        let n = deps.len();
        Reachability {
            direct: stage_deps(deps),
            builds: (0..n).map(|_| Lazy::new()).collect(),
            build_counts: Lazy::new(),
            uses_external: (0..n).map(|_| Lazy::new()).collect(),
        }
    }

    /// The stages BuildKit builds for `--target` = stage `t` (sorted).
    pub(crate) fn builds(&self, t: usize) -> &[usize] {
        match self.builds.get(t) {
            Some(cell) => cell.get_or_init(|| closure(&self.direct, t)),
            None => &[],
        }
    }

    /// How many stages BuildKit builds for each target, without keeping the sets: for a long
    /// chain of stages the sets together grow with the square of the stage count. A stage a
    /// named build context replaces is loaded, not built, and is not counted.
    pub(crate) fn build_counts(&self, stages: &[Stage]) -> &[usize] {
        self.build_counts.get_or_init(|| {
            let weight = |s: usize| usize::from(!stages.get(s).is_some_and(Stage::is_replaced));
            self.count_builds(weight)
        })
    }

    /// Each target's closure counted for 64 components at a time (stages on a cycle, a build
    /// error, form one component): Tarjan's walk gives the components in an order where each
    /// reaches only those before it and itself, so one pass in that order ORs each component's
    /// dependencies' bits into its own, and a bit count gives what it builds of those 64.
    /// O(n·(n+m)/64) time and O(n+m) memory for any shape, where a walk from each target is
    /// O(n·(n+m)): each stage built on the one before and copying from the one before that took
    /// six seconds for 50,000 stages.
    #[cfg(feature = "large-files")]
    fn count_builds(&self, weight: impl Fn(usize) -> usize) -> Vec<usize> {
        let direct = &self.direct;
        let (comp, k) = components(direct);
        // Each component's size, and the components its stages depend on (other than itself),
        // `succ[first[c]..first[c + 1]]`.
        // (A component's size counts the stages built: a replaced stage, alone in its
        // component since it depends on nothing, counts 0.)
        let mut size = vec![0usize; k];
        let mut first = vec![0usize; k + 1];
        for (s, &c) in comp.iter().enumerate() {
            size[c] += weight(s);
            first[c + 1] += direct[s].len();
        }
        for c in 0..k {
            first[c + 1] += first[c];
        }
        let mut fill = first.clone();
        let mut succ = vec![usize::MAX; first[k]];
        for (s, &c) in comp.iter().enumerate() {
            for &d in &direct[s] {
                if let Some(&dc) = comp.get(d).filter(|&&dc| dc != c) {
                    succ[fill[c]] = dc;
                    fill[c] += 1;
                }
            }
        }
        let mut built = vec![0usize; k];
        let mut masks = vec![0u64; k];
        for b in (0..k).step_by(64) {
            let end = (b + 64).min(k);
            // The block's components of other than one stage built: their bits count their sizes.
            let multi = (b..end).filter(|&c| size[c] != 1).fold(0u64, |m, c| m | 1 << (c - b));
            // Components before the block reach none of it. (Unfilled slots, for dependencies
            // within a component or past the stages, hold `usize::MAX`: no component.)
            for c in b..k {
                let mut mask = if c < end { 1u64 << (c - b) } else { 0 };
                for &dc in &succ[first[c]..first[c + 1]] {
                    if (b..k).contains(&dc) {
                        mask |= masks[dc];
                    }
                }
                masks[c] = mask;
                let mut count = (mask & !multi).count_ones() as usize;
                let mut rest = mask & multi;
                while rest != 0 {
                    count += size[b + rest.trailing_zeros() as usize];
                    rest &= rest - 1;
                }
                built[c] += count;
            }
        }
        comp.iter().map(|&c| built[c]).collect()
    }

    /// Each target's count by a walk from it, but in one pass along a chain of stages. Quadratic
    /// where many stages have several dependencies; the browser build keeps it for its size.
    #[cfg(not(feature = "large-files"))]
    fn count_builds(&self, weight: impl Fn(usize) -> usize) -> Vec<usize> {
        let n = self.direct.len();
        // `seen[s] == t + 1`: stage `s` was reached from target `t` (no clearing between targets).
        let mut seen = vec![0usize; n];
        let mut stack = Vec::new();
        // `downward[s]`: every stage `s` reaches comes before it (the dependencies of a file
        // BuildKit builds). A stage whose one dependency `d` is such builds one stage more than
        // `d` does, since `d` cannot reach it: a chain of stages is counted in one pass.
        let mut downward = vec![false; n];
        let mut counts = Vec::with_capacity(n);
        for t in 0..n {
            let deps = &self.direct[t];
            downward[t] = deps.iter().all(|&d| d < t && downward[d]);
            let count = match (self.builds[t].get(), deps.as_slice()) {
                (Some(set), _) => set.iter().map(|&s| weight(s)).sum(),
                (None, &[d]) if downward[t] => counts[d] + weight(t),
                (None, _) => {
                    let mut count = 0;
                    stack.push(t);
                    while let Some(s) = stack.pop() {
                        if s >= n || seen[s] == t + 1 {
                            continue;
                        }
                        seen[s] = t + 1;
                        count += weight(s);
                        stack.extend(self.direct[s].iter().copied());
                    }
                    count
                }
            };
            counts.push(count);
        }
        counts
    }

    /// External images pulled through `COPY --from`/mounts for target `t`, one entry per use
    /// (`scratch` included).
    pub(crate) fn uses_external(&self, deps: &[Vec<Dep>], t: usize) -> &[String] {
        let Some(cell) = self.uses_external.get(t) else { return &[] };
        cell.get_or_init(|| {
            let mut external = Vec::new();
            for &s in self.builds(t) {
                for d in &deps[s] {
                    if d.kind == EdgeKind::From {
                        continue;
                    }
                    match &d.target {
                        RefTarget::Image(i) => external.push(i.clone()),
                        RefTarget::Scratch => external.push("scratch".into()),
                        _ => {}
                    }
                }
            }
            external
        })
    }
}

/// The stage dependencies of each stage (each stage once, in order).
pub(crate) fn stage_deps(deps: &[Vec<Dep>]) -> Vec<Vec<usize>> {
    // `listed[t] == s`: stage `t` is in stage `s`'s list already (a stage may copy from
    // thousands of others).
    let mut listed = vec![usize::MAX; deps.len()];
    deps.iter()
        .enumerate()
        .map(|(s, ds)| {
            let mut out: Vec<usize> = Vec::new();
            for d in ds {
                // (A trigger inherited from the base may use the stage running it, which is
                // dispatched by then: no cycle.)
                if d.kind == EdgeKind::Onbuild && d.target == RefTarget::Stage(s) {
                    continue;
                }
                if let RefTarget::Stage(t) = d.target {
                    // (`t` is a stage's index; the walks skip any other, and the analysis makes
                    // none.)
                    if let Some(mark) = listed.get_mut(t) {
                        if *mark == s {
                            continue;
                        }
                        *mark = s;
                    }
                    out.push(t);
                }
            }
            out
        })
        .collect()
}

/// The strongly connected components of the stage graph (Tarjan's, without recursion):
/// each stage's component and how many there are. A component is numbered after every
/// component it reaches, itself aside.
#[cfg(feature = "large-files")]
fn components(direct: &[Vec<usize>]) -> (Vec<usize>, usize) {
    const NONE: usize = usize::MAX;
    let n = direct.len();
    let mut index = vec![NONE; n];
    let mut low = vec![0usize; n];
    let mut comp = vec![NONE; n];
    let mut open: Vec<usize> = Vec::new();
    let mut path: Vec<(usize, usize)> = Vec::new();
    let (mut next, mut k) = (0, 0);
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        index[root] = next;
        low[root] = next;
        next += 1;
        open.push(root);
        path.push((root, 0));
        while let Some(&mut (v, ref mut e)) = path.last_mut() {
            if let Some(&w) = direct[v].get(*e) {
                *e += 1;
                if w >= n {
                    continue;
                }
                if index[w] == NONE {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    open.push(w);
                    path.push((w, 0));
                } else if comp[w] == NONE {
                    // Seen and in no component yet: on the open stack, in v's component.
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            path.pop();
            if let Some(&(u, _)) = path.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = open.pop() {
                    comp[w] = k;
                    if w == v {
                        break;
                    }
                }
                k += 1;
            }
        }
    }
    (comp, k)
}

/// Stages reachable from `t`, itself included, sorted.
pub(crate) fn closure(direct: &[Vec<usize>], t: usize) -> Vec<usize> {
    let mut seen = vec![false; direct.len()];
    let mut out = Vec::new();
    let mut stack = vec![t];
    while let Some(s) = stack.pop() {
        if s >= seen.len() || seen[s] {
            continue;
        }
        seen[s] = true;
        out.push(s);
        stack.extend(direct[s].iter().copied());
    }
    sort::sort_by(&mut out, |a, b| a.cmp(b));
    out
}

/// The build plan for a target; `reach` holds what each target builds.
pub(crate) fn build_plan(
    stages: &[Stage],
    name_shared: &[bool],
    deps: &[Vec<Dep>],
    reach: &Reachability,
    target: usize,
) -> BuildPlan {
    let direct = &reach.direct;
    let set = reach.builds(target);
    let n = direct.len();
    let mut in_set = vec![false; n];
    for &s in set {
        in_set[s] = true;
    }
    // Wave = the longest chain of dependencies below a stage (its dependencies in the set).
    // Stages on or above a cycle (a build error; a stage that takes from itself is one) are in
    // no wave, as they would never become ready.
    const UNSEEN: usize = usize::MAX;
    const ON_PATH: usize = usize::MAX - 1;
    const CYCLIC: usize = usize::MAX - 2;
    let mut wave = vec![UNSEEN; n];
    for &root in set {
        if wave[root] != UNSEEN {
            continue;
        }
        // Iterative post-order DFS.
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        wave[root] = ON_PATH;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            let ds = &direct[v];
            if *next < ds.len() {
                let d = ds[*next];
                *next += 1;
                if d >= n || !in_set[d] {
                    continue;
                }
                match wave[d] {
                    UNSEEN => {
                        wave[d] = ON_PATH;
                        stack.push((d, 0));
                    }
                    // A cycle: v cannot become ready.
                    ON_PATH => wave[v] = CYCLIC,
                    _ => {}
                }
                continue;
            }
            stack.pop();
            let mut w = 0;
            let mut cyclic = wave[v] == CYCLIC;
            for &d in ds {
                if d >= n || !in_set[d] {
                    continue;
                }
                match wave[d] {
                    CYCLIC | ON_PATH => cyclic = true,
                    x => w = w.max(x + 1),
                }
            }
            wave[v] = if cyclic { CYCLIC } else { w };
        }
    }
    let finite = set.iter().map(|&s| wave[s]).filter(|&w| w < CYCLIC);
    let last = finite.clone().max().map_or(0, |m| m + 1);
    let mut waves = vec![Vec::new(); last];
    let mut in_cycle = Vec::new();
    for &s in set {
        debug_assert!(wave[s] < last || wave[s] == CYCLIC, "stage {s} left unfinished");
        if wave[s] == CYCLIC {
            in_cycle.push(s);
        } else {
            waves[wave[s]].push(s);
        }
    }
    let order: Vec<usize> = waves.iter().flatten().chain(&in_cycle).copied().collect();
    let mut images: Vec<String> = Vec::new();
    let mut contexts: Vec<String> = Vec::new();
    // (What is listed already, looked up with `large-files`: a stage may use tens of thousands
    // of images.)
    let mut listed: stagecraft_syntax::hash::Map<String, usize> = Default::default();
    for &s in &order {
        // A stage a named context replaces (it has no dependencies), by its name's key.
        let replaced = stages[s]
            .is_replaced()
            .then(|| stages[s].name.as_deref().and_then(|n| crate::reference::context_key(n).ok()))
            .flatten();
        let used = deps[s].iter().filter_map(|d| match &d.target {
            RefTarget::NamedContext(k) => Some(k.clone()),
            _ => None,
        });
        for k in replaced.into_iter().chain(used) {
            // (Keys and images apart: a key cannot start with a NUL.)
            if first_listing(&mut listed, &contexts, &k, || format!("\0{k}")) {
                contexts.push(k);
            }
        }
        for d in &deps[s] {
            if let RefTarget::Image(i) = &d.target {
                // `--from=scratch` is the empty image, as `FROM scratch` is: nothing is pulled
                // (BuildKit's stand-in stage for it is `llb.Scratch()`).
                if i != "scratch" && first_listing(&mut listed, &images, i, || i.clone()) {
                    images.push(i.clone());
                }
            }
        }
    }
    BuildPlan {
        target,
        stages: order,
        waves,
        in_cycle,
        images,
        contexts,
        legacy_stages: legacy_stages(stages, name_shared, target).collect(),
    }
}

/// What the legacy builder builds for `--target` = `target`'s name: every stage up to the first
/// stage of that name (its `instructions.HasStage` takes the first, where BuildKit takes the
/// last), or up to `target` when it has none. (`name_shared`: whether another stage has each
/// stage's name; only then is the first looked for.)
pub(crate) fn legacy_stages(stages: &[Stage], name_shared: &[bool], target: usize) -> std::ops::Range<usize> {
    let mut first = target;
    if let Some(Some(name)) = stages.get(target).filter(|_| name_shared.get(target) == Some(&true)).map(|s| &s.name) {
        first = stages.iter().position(|s| matches!(&s.name, Some(n) if n == name)).unwrap_or(target);
    }
    0..(first + 1).min(stages.len())
}

/// Whether `item` is not in `list` yet; with `large-files`, looked up in `listed` under `key` and
/// marked there (the browser build, for its size, searches the list). The map is of the type the
/// graph's is: a set would be more code.
fn first_listing(
    listed: &mut stagecraft_syntax::hash::Map<String, usize>,
    list: &[String],
    item: &str,
    key: impl FnOnce() -> String,
) -> bool {
    if cfg!(feature = "large-files") {
        listed.insert(key(), 0).is_none()
    } else {
        !list.iter().any(|l| l == item)
    }
}

/// The stage graph: stage nodes, then images and scratch as they are first used.
pub(crate) fn stage_graph(stages: &[Stage], deps: &[Vec<Dep>]) -> StageGraph {
    let mut graph = StageGraph { nodes: (0..stages.len()).map(GraphNode::Stage).collect(), edges: Vec::new() };
    // Images by name, and scratch, by node (stage `t` is node `t`). (Not one map keyed by
    // `GraphNode`: each map type is more code in the wasm package, which has this one.)
    let mut images: stagecraft_syntax::hash::Map<String, usize> = stagecraft_syntax::hash::Map::default();
    let mut scratch = None;
    // The sources of the inherited triggers' edges (kind `Onbuild`, all at the stage's FROM),
    // with their stage (see below).
    #[cfg(feature = "large-files")]
    let mut at_from: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    for (s, ds) in deps.iter().enumerate() {
        for d in ds {
            if d.implicit {
                continue;
            }
            let nodes = &mut graph.nodes;
            let mut add = |node| {
                nodes.push(node);
                nodes.len() - 1
            };
            let source = match &d.target {
                RefTarget::Stage(t) => *t,
                RefTarget::Image(i) => *images.entry(i.clone()).or_insert_with(|| add(GraphNode::Image(i.clone()))),
                // In the same map, under a key no image name has.
                RefTarget::NamedContext(k) => {
                    *images.entry(format!("\0{k}")).or_insert_with(|| add(GraphNode::NamedContext(k.clone())))
                }
                RefTarget::Scratch => *scratch.get_or_insert_with(|| add(GraphNode::Scratch)),
                _ => continue,
            };
            let edge = GraphEdge { source, stage: s, kind: d.kind, range: d.range };
            // One edge for the inherited triggers that use one source alike: they are all
            // written at the stage's FROM (a thousand triggers copying from one stage, inherited
            // by a thousand stages, made a million edges no one could tell apart, and
            // `stagecraft/stageGraph` took 2.6 s). Each such edge is looked up among the
            // stage's edges at that place, whatever their order. Native builds only: 53 bytes
            // of the browser module, which draws such edges as one anyway.
            #[cfg(feature = "large-files")]
            if edge.kind == EdgeKind::Onbuild && !at_from.insert((source, s)) {
                continue;
            }
            graph.edges.push(edge);
        }
    }
    graph
}
