//! The stage graph as SVG: stages, external images and scratch as boxes, edges by kind, the
//! chosen target's build plan highlighted and the rest dimmed. The class names are a contract
//! with the front ends (see `web/` and the README): `node stage|image|scratch`,
//! `default-target`, `target`, `in-plan`, `legacy-only`, `dimmed`, `unused`;
//! `edge edge-from|edge-copy|edge-mount|edge-onbuild`, `forward` (the stage itself or a later
//! one: a build of the stage fails); `data-stage`, `data-from`, `data-line`. Focus and the
//! pointer cursor are the front ends' to style: they make the nodes focusable and clickable, a
//! standalone SVG has none.

use stagecraft_graph::svg::{Document, Edge, LegendItem, Line, Metrics, Node};
use stagecraft_graph::{LayoutOptions, Rendered};

use crate::model::*;
use crate::{Analysis, TextSize};

/// The embedded style sheet; every rule is scoped to `.stagecraft-graph` so that several
/// graphs and the page around them do not interfere. An edge's colour is its group's `color`
/// (its line's stroke and its arrow's fill are `currentColor`), and its dashes are the group's
/// (`stroke-dasharray` is inherited): one rule per kind of edge, which pages can override.
pub const CSS: &str = "\
.stagecraft-graph{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;background:#fff;color:#57606a}\
.stagecraft-graph text{fill:#1f2328}\
.stagecraft-graph .node rect,.stagecraft-graph .swatch rect{fill:#fff;stroke:#57606a;stroke-width:1.2}\
.stagecraft-graph .node .name{font-size:13px;font-weight:600}\
.stagecraft-graph .node .base{fill:#57606a}\
.stagecraft-graph .node.image rect,.stagecraft-graph .sw-image rect{fill:#f6f8fa;stroke:#8c959f;rx:12px}\
.stagecraft-graph .node.scratch rect,.stagecraft-graph .sw-scratch rect{fill:#fff;stroke:#8c959f;stroke-dasharray:3 3;rx:12px}\
.stagecraft-graph .node.default-target rect,.stagecraft-graph .sw-default-target rect{stroke:#1f2328;stroke-width:2.6}\
.stagecraft-graph .node.unused rect,.stagecraft-graph .sw-unused rect{fill:#f6f8fa;stroke:#8c959f;stroke-dasharray:5 3}\
.stagecraft-graph .node.unused text{fill:#6e7781}\
.stagecraft-graph .node.in-plan rect,.stagecraft-graph .sw-in-plan rect{stroke:#0969da;stroke-width:2}\
.stagecraft-graph .node.target rect,.stagecraft-graph .sw-target rect{fill:#ddf4ff;stroke:#0969da;stroke-width:3}\
.stagecraft-graph .node.legacy-only rect,.stagecraft-graph .sw-legacy-only rect{fill:#fff8c5;stroke:#bf8700;stroke-dasharray:2 2}\
.stagecraft-graph .dimmed,.stagecraft-graph .sw-dimmed{opacity:.35}\
.stagecraft-graph .node.selected rect{stroke:#cf222e;stroke-width:3}\
.stagecraft-graph .line{fill:none;stroke:currentColor;stroke-width:1.4}\
.stagecraft-graph .arrow{fill:currentColor}\
.stagecraft-graph .edge-copy,.stagecraft-graph .sw-edge-copy{color:#0969da;stroke-dasharray:6 3}\
.stagecraft-graph .edge-mount,.stagecraft-graph .sw-edge-mount{color:#1a7f37;stroke-dasharray:2 3}\
.stagecraft-graph .edge-onbuild,.stagecraft-graph .sw-edge-onbuild{color:#8250df;stroke-dasharray:8 3 2 3}\
.stagecraft-graph .forward,.stagecraft-graph .sw-forward{color:#cf222e}\
.stagecraft-graph .legend-label{font-size:11px;fill:#57606a}\
.stagecraft-graph .empty-note{fill:#57606a}";

/// What to draw.
#[derive(Default)]
pub struct SvgOptions<'a> {
    /// The target whose build plan is highlighted; the default target when `None`.
    pub target: Option<usize>,
    /// How `data-from` offsets are written (UTF-8 offsets when `None`; a browser wants UTF-16).
    pub offset: Option<&'a dyn Fn(TextSize) -> u32>,
}

impl std::fmt::Debug for SvgOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SvgOptions").field("target", &self.target).finish_non_exhaustive()
    }
}

fn kind_class(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::From => "edge-from",
        EdgeKind::Copy => "edge-copy",
        EdgeKind::Mount => "edge-mount",
        EdgeKind::Onbuild => "edge-onbuild",
    }
}

fn kind_label(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::From => "FROM",
        EdgeKind::Copy => "COPY --from",
        EdgeKind::Mount => "RUN --mount from",
        EdgeKind::Onbuild => "ONBUILD trigger",
    }
}

impl Analysis {
    /// The stage graph as a self-contained SVG document; an error for people when it is too
    /// large to draw (see [`Analysis::render_svg`]).
    pub fn to_svg(&self, options: &SvgOptions) -> Result<String, String> {
        self.render_svg(options).map(|r| r.svg)
    }

    /// The stage graph drawn, with its geometry. A graph whose edges pass through more than
    /// [`stagecraft_graph::MAX_PATH_NODES`] layers in all (thousands of stages, each using one
    /// far above it) is not drawn: the error says so, and what the text formats give instead.
    pub fn render_svg(&self, options: &SvgOptions) -> Result<Rendered, String> {
        let doc = self.svg_document(options);
        stagecraft_graph::render(&doc, &Metrics::default(), &LayoutOptions::default()).map_err(|e| {
            format!(
                "the graph is too large to draw: its edges cross {} layers in all, over the limit of {}; the DOT and Mermaid outputs list it all",
                e.path_nodes,
                stagecraft_graph::MAX_PATH_NODES
            )
        })
    }

    fn svg_document(&self, options: &SvgOptions) -> Document {
        let g = self.graph();
        let stages = self.stages();
        let default = self.default_target();
        let target = options.target.filter(|&t| t < stages.len()).or(default);
        let explicit = options.target.is_some_and(|t| t < stages.len());
        let plan = target.map(|t| self.plan(t));
        // Membership by stage index (a large graph asks for every node and edge).
        let mark = |list: &[usize]| {
            let mut marks = vec![false; stages.len()];
            for &s in list.iter().filter(|&&s| s < stages.len()) {
                marks[s] = true;
            }
            marks
        };
        let plan_marks = plan.as_ref().map(|p| (mark(&p.stages), mark(&p.legacy_stages)));
        let in_plan = |s: usize| plan_marks.as_ref().is_none_or(|(p, _)| p.get(s).copied().unwrap_or(false));
        let legacy = |s: usize| plan_marks.as_ref().is_some_and(|(_, l)| l.get(s).copied().unwrap_or(false));
        let unused_marks = mark(self.unused_stages());
        let is_unused = |s: usize| unused_marks.get(s).copied().unwrap_or(false);
        let offset = |o: TextSize| options.offset.map_or(u32::from(o), |f| f(o));

        // A node is dimmed when no stage of the plan uses it.
        let mut image_used = vec![false; g.nodes.len()];
        for e in &g.edges {
            if in_plan(e.stage) {
                image_used[e.source] = true;
            }
        }

        let mut nodes = Vec::with_capacity(g.nodes.len());
        for (id, n) in g.nodes.iter().enumerate() {
            let node = match n {
                GraphNode::Stage(s) => {
                    let st = &stages[*s];
                    let mut class = String::from("stage");
                    let mut notes: Vec<String> = Vec::new();
                    if Some(*s) == default {
                        class.push_str(" default-target");
                        notes.push("the default target".into());
                    }
                    if Some(*s) == target {
                        class.push_str(" target");
                    }
                    if in_plan(*s) {
                        class.push_str(" in-plan");
                    }
                    if !in_plan(*s) && legacy(*s) {
                        class.push_str(" legacy-only");
                        notes.push("only the legacy builder builds it for this target".into());
                    }
                    if !in_plan(*s) {
                        class.push_str(" dimmed");
                    }
                    if is_unused(*s) {
                        class.push_str(" unused");
                        notes.push("unused: no target in play builds it".into());
                    }
                    let base = match &st.base_kind {
                        BaseKind::Stage(b) => stages[*b].display_name(),
                        BaseKind::ImageContext(k) => format!("{k} (named context)"),
                        _ => st.base_expanded.clone().unwrap_or_else(|| st.base.clone()),
                    };
                    let mut title = format!("{} (line {}): FROM {}", st.display_name(), st.line, st.base);
                    if let Some(d) = &st.description {
                        title.push_str(&format!(" — {d}"));
                    }
                    for note in notes {
                        title.push_str(&format!("; {note}"));
                    }
                    Node {
                        lines: vec![
                            Line { text: st.display_name(), class: "name".into() },
                            Line {
                                text: if matches!(st.base_kind, BaseKind::NamedContext(_)) {
                                    "replaced by a named context".into()
                                } else {
                                    format!("FROM {base}")
                                },
                                class: "base".into(),
                            },
                        ],
                        title,
                        class,
                        attrs: vec![
                            ("data-stage".into(), s.to_string()),
                            ("data-from".into(), offset(st.from_range.start()).to_string()),
                            ("data-line".into(), st.line.to_string()),
                        ],
                    }
                }
                GraphNode::Image(i) => Node {
                    lines: vec![Line { text: i.clone(), class: "name".into() }],
                    title: format!("external image {i}"),
                    class: if image_used[id] { "image".into() } else { "image dimmed".into() },
                    attrs: vec![("data-image".into(), i.clone())],
                },
                GraphNode::NamedContext(k) => Node {
                    lines: vec![
                        Line { text: k.clone(), class: "name".into() },
                        Line { text: "named context".into(), class: "base".into() },
                    ],
                    title: format!("named build context {k}"),
                    class: if image_used[id] { "image context".into() } else { "image context dimmed".into() },
                    attrs: vec![("data-context".into(), k.clone())],
                },
                GraphNode::Scratch => Node {
                    lines: vec![Line { text: "scratch".into(), class: "name".into() }],
                    title: "scratch: the empty image".into(),
                    class: if image_used[id] { "scratch".into() } else { "scratch dimmed".into() },
                    attrs: Vec::new(),
                },
            };
            nodes.push(node);
        }
        // (A loop that pushes: the iterator collected was 0.8 KB of the browser build.)
        let mut edges: Vec<Edge> = Vec::with_capacity(g.edges.len());
        // References of one kind from one node into one stage (ten `COPY --from=build`) would
        // draw one path ten times: one edge, whose title lists their lines. The edge drawn for
        // each node and kind, by `node * 4 + kind` (the graph lists the edges stage by stage, so
        // an entry stands for the current stage while its edge's target is that stage).
        let mut drawn: Vec<usize> = vec![usize::MAX; nodes.len() * 4];
        let mut lines: Vec<Vec<u32>> = Vec::with_capacity(g.edges.len());
        for e in &g.edges {
            let line = self.line_of(e.range.start());
            let slot = e.source * 4 + e.kind as usize;
            let same = |x: &Edge| x.source == e.source && x.target == e.stage;
            if let Some(i) = drawn.get(slot).copied().filter(|&i| edges.get(i).is_some_and(same)) {
                // (A trigger's references in a stage built on its own, or two mounts of one
                // RUN, stand on one line: listed once.)
                if lines[i].last() != Some(&line) {
                    lines[i].push(line);
                }
                continue;
            }
            drawn[slot] = edges.len();
            lines.push(vec![line]);
            let mut class = kind_class(e.kind).to_string();
            if !in_plan(e.stage) {
                class.push_str(" dimmed");
            }
            if self.is_forward(e) {
                class.push_str(" forward");
            }
            edges.push(Edge {
                source: e.source,
                target: e.stage,
                class,
                attrs: vec![
                    ("data-source-node".into(), e.source.to_string()),
                    ("data-stage".into(), e.stage.to_string()),
                ],
                bundle: e.kind as u32,
                title: format!(
                    "{} {} → {}",
                    kind_label(e.kind),
                    nodes[e.source].lines[0].text,
                    stages[e.stage].display_name()
                ),
            });
        }
        // " (line 3)", " (lines 3, 4)", at most ten of them and how many more.
        for (edge, lines) in edges.iter_mut().zip(&lines) {
            edge.title.push_str(if lines.len() == 1 { " (line " } else { " (lines " });
            for (i, l) in lines.iter().take(10).enumerate() {
                if i > 0 {
                    edge.title.push_str(", ");
                }
                edge.title.push_str(&l.to_string());
            }
            if lines.len() > 10 {
                edge.title.push_str(&format!(" and {} more", lines.len() - 10));
            }
            edge.title.push(')');
        }

        // Legend swatches have their own classes (`sw-*`), so that selecting `.target` or
        // `.edge-copy` finds graph elements only.
        let swatch = |class: &str, label: &str| LegendItem::Node { class: class.into(), label: label.into() };
        let mut legend = vec![swatch("sw-stage", "stage")];
        if explicit {
            legend.push(swatch("sw-stage sw-default-target", "default target"));
            legend.push(swatch("sw-stage sw-target", "--target"));
        } else {
            legend.push(swatch("sw-stage sw-default-target sw-target", "default target"));
        }
        if plan.as_ref().is_some_and(|p| p.stages.len() > 1) {
            legend.push(swatch("sw-stage sw-in-plan", "built for the target"));
        }
        if stages.iter().any(|s| legacy(s.index) && !in_plan(s.index)) {
            legend.push(swatch("sw-stage sw-legacy-only sw-dimmed", "legacy builder only"));
        }
        if !self.unused_stages().is_empty() {
            legend.push(swatch("sw-stage sw-unused", "unused"));
        }
        if g.nodes.iter().any(|n| matches!(n, GraphNode::Image(_))) {
            legend.push(swatch("sw-image", "external image"));
        }
        if g.nodes.contains(&GraphNode::Scratch) {
            legend.push(swatch("sw-scratch", "scratch"));
        }
        for kind in [EdgeKind::From, EdgeKind::Copy, EdgeKind::Mount, EdgeKind::Onbuild] {
            if g.edges.iter().any(|e| e.kind == kind) {
                legend.push(LegendItem::Edge {
                    class: format!("sw-{}", kind_class(kind)),
                    label: kind_label(kind).into(),
                });
            }
        }
        if g.edges.iter().any(|e| self.is_forward(e)) {
            legend
                .push(LegendItem::Edge { class: "sw-forward".into(), label: "a later stage or itself: fails".into() });
        }

        let title = match target {
            Some(t) => format!(
                "Stage graph: {} stage{}, {} {}",
                stages.len(),
                if stages.len() == 1 { "" } else { "s" },
                if explicit { "target" } else { "default target" },
                stages[t].display_name()
            ),
            None => "Stage graph: no stages".into(),
        };
        Document {
            class: "stagecraft-graph".into(),
            title,
            css: CSS.into(),
            nodes,
            edges,
            legend,
            empty_note: "No stages: add a FROM instruction.".into(),
        }
    }
}
