//! What a target builds: BuildKit's reachability (FROM chains, `COPY --from`, mounts, inherited
//! ONBUILD triggers), build plans in parallel waves, the legacy builder's set, and the graph.

use crate::engine::Dep;
use crate::model::*;

/// Per stage, its direct dependencies among stages and the external states it uses.
pub(crate) struct Reachability {
    /// `builds[t]`: the stages BuildKit builds for `--target` = stage `t` (sorted).
    pub(crate) builds: Vec<Vec<usize>>,
    /// `uses_external[t]`: external images pulled through `COPY --from`/mounts for target `t`,
    /// one entry per use (`scratch` included).
    pub(crate) uses_external: Vec<Vec<String>>,
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

pub(crate) fn reachability(deps: &[Vec<Dep>]) -> Reachability {
    let direct = stage_deps(deps);
    let n = deps.len();
    let mut builds = Vec::with_capacity(n);
    let mut uses_external = Vec::with_capacity(n);
    for t in 0..n {
        let set = closure(&direct, t);
        let mut external = Vec::new();
        for &s in &set {
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
        builds.push(set);
        uses_external.push(external);
    }
    Reachability { builds, uses_external }
}

/// Stages reachable from `t`, itself included, sorted.
pub(crate) fn closure(direct: &[Vec<usize>], t: usize) -> Vec<usize> {
    let mut seen = vec![false; direct.len()];
    let mut stack = vec![t];
    while let Some(s) = stack.pop() {
        if s >= seen.len() || seen[s] {
            continue;
        }
        seen[s] = true;
        stack.extend(direct[s].iter().copied());
    }
    (0..direct.len()).filter(|&s| seen[s]).collect()
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
