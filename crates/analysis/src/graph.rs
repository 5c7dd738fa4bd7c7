//! What a target builds: BuildKit's reachability (FROM chains, `COPY --from`, mounts, inherited
//! ONBUILD triggers), build plans in parallel waves, the legacy builder's set, and the graph.

use std::sync::OnceLock;

use crate::engine::Dep;
use crate::model::*;

/// What each `--target` builds, computed for a target the first time it is asked for (an
/// editor asks for a few; a file may have hundreds of stages).
#[derive(Debug, Clone)]
pub(crate) struct Reachability {
    direct: Vec<Vec<usize>>,
    builds: Vec<OnceLock<Vec<usize>>>,
    uses_external: Vec<OnceLock<Vec<String>>>,
}

impl Reachability {
    pub(crate) fn new(deps: &[Vec<Dep>]) -> Reachability {
        let n = deps.len();
        Reachability {
            direct: stage_deps(deps),
            builds: (0..n).map(|_| OnceLock::new()).collect(),
            uses_external: (0..n).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The stages BuildKit builds for `--target` = stage `t` (sorted).
    pub(crate) fn builds(&self, t: usize) -> &[usize] {
        match self.builds.get(t) {
            Some(cell) => cell.get_or_init(|| closure(&self.direct, t)),
            None => &[],
        }
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

/// The stage dependencies of each stage (deduplicated, in order).
pub(crate) fn stage_deps(deps: &[Vec<Dep>]) -> Vec<Vec<usize>> {
    deps.iter()
        .map(|ds| {
            let mut out: Vec<usize> = Vec::new();
            for d in ds {
                if let RefTarget::Stage(t) = d.target {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
            out
        })
        .collect()
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
    out.sort_unstable();
    out
}

/// The build plan for a target.
pub(crate) fn build_plan(stages: &[Stage], deps: &[Vec<Dep>], target: usize) -> BuildPlan {
    let direct = stage_deps(deps);
    let set = closure(&direct, target);
    let in_set = |s: usize| set.contains(&s);
    // Wave = longest chain of dependencies below a stage. Cycles (a build error) end up in a
    // last wave of their own.
    let mut wave: Vec<Option<usize>> = vec![None; stages.len()];
    let mut remaining: Vec<usize> = set.clone();
    let mut level = 0;
    while !remaining.is_empty() {
        let ready: Vec<usize> = remaining
            .iter()
            .copied()
            .filter(|&s| direct[s].iter().all(|&d| d == s || !in_set(d) || wave[d].is_some_and(|w| w < level)))
            .collect();
        if ready.is_empty() {
            for &s in &remaining {
                wave[s] = Some(level);
            }
            break;
        }
        for &s in &ready {
            wave[s] = Some(level);
        }
        remaining.retain(|s| !ready.contains(s));
        level += 1;
    }
    let max = set.iter().filter_map(|&s| wave[s]).max().map_or(0, |m| m + 1);
    let mut waves = vec![Vec::new(); max];
    for &s in &set {
        if let Some(w) = wave[s] {
            waves[w].push(s);
        }
    }
    let order: Vec<usize> = waves.iter().flatten().copied().collect();
    let mut images: Vec<String> = Vec::new();
    for &s in &order {
        for d in &deps[s] {
            if let RefTarget::Image(i) = &d.target {
                if !images.contains(i) {
                    images.push(i.clone());
                }
            }
        }
    }
    BuildPlan {
        target,
        stages: order,
        waves,
        images,
        legacy_stages: (0..=target.min(stages.len().saturating_sub(1))).collect(),
    }
}

/// The stage graph: stage nodes, then images and scratch as they are first used.
pub(crate) fn stage_graph(stages: &[Stage], deps: &[Vec<Dep>]) -> StageGraph {
    let mut graph = StageGraph { nodes: (0..stages.len()).map(GraphNode::Stage).collect(), edges: Vec::new() };
    for (s, ds) in deps.iter().enumerate() {
        for d in ds {
            if d.implicit {
                continue;
            }
            let node = match &d.target {
                RefTarget::Stage(t) => GraphNode::Stage(*t),
                RefTarget::Image(i) => GraphNode::Image(i.clone()),
                RefTarget::Scratch => GraphNode::Scratch,
                _ => continue,
            };
            let source = match graph.nodes.iter().position(|n| *n == node) {
                Some(p) => p,
                None => {
                    graph.nodes.push(node);
                    graph.nodes.len() - 1
                }
            };
            graph.edges.push(GraphEdge { source, stage: s, kind: d.kind, range: d.range });
        }
    }
    graph
}
