//! The stage graph as DOT and Mermaid text.

use std::fmt::Write;

use crate::model::*;
use crate::Analysis;

fn node_label(a: &Analysis, n: &GraphNode) -> String {
    match n {
        GraphNode::Stage(s) => a.stages()[*s].display_name(),
        GraphNode::Image(i) => i.clone(),
        GraphNode::Scratch => "scratch".into(),
        GraphNode::NamedContext(k) => format!("{k} (named context)"),
    }
}

/// A label for DOT (`dot`) or Mermaid: quotes (and for Mermaid, angle brackets) escaped, and control characters (an image name
/// BuildKit would refuse may hold them) replaced, so that none reaches a renderer (or a
/// terminal the text is printed in).
fn escape(s: &str, dot: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '"' if dot => {
                out.push('\\');
                out.push(c);
            }
            '"' => out.push_str("#quot;"),
            // (Mermaid's labels are HTML: `<b>` in a name would be markup.)
            '<' if !dot => out.push_str("#60;"),
            '>' if !dot => out.push_str("#62;"),
            // Shown as U+FFFD: no image name BuildKit takes has one (the name's error says so).
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// References of one kind from one node into one stage (ten `COPY --from=build` in a stage) are
/// one edge, as the SVG draws them: the first of each. (The graph lists its edges stage by
/// stage, so the stage last seen for a node and kind is the one to compare.)
struct Once(Vec<usize>);

impl Once {
    fn new(nodes: usize) -> Self {
        Once(vec![usize::MAX; nodes * 4])
    }

    fn first(&mut self, e: &GraphEdge) -> bool {
        std::mem::replace(&mut self.0[e.source * 4 + e.kind as usize], e.stage) != e.stage
    }
}

impl Analysis {
    /// The stage graph in Graphviz DOT: stages as boxes (the default target bold, unused ones
    /// dashed grey), images as folders, edges styled by kind (FROM solid, COPY dashed, mount
    /// dotted, ONBUILD bold).
    pub fn to_dot(&self) -> String {
        let g = self.graph();
        let mut out = String::from("digraph stages {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n");
        for (id, n) in g.nodes.iter().enumerate() {
            let label = escape(&node_label(self, n), true);
            let attrs = match n {
                GraphNode::Stage(s) => {
                    let st = &self.stages()[*s];
                    let mut a =
                        format!("shape=box, style=\"rounded{}\"", if self.is_unused(*s) { ",dashed" } else { "" });
                    if Some(*s) == self.default_target() {
                        a.push_str(", penwidth=2");
                    }
                    if self.is_unused(*s) {
                        a.push_str(", color=gray50, fontcolor=gray50");
                    }
                    // The base as BuildKit pulls it (with the build args), as the SVG shows it.
                    let base = st.base_expanded.as_deref().unwrap_or(&st.base);
                    format!("label=\"{label}\\nFROM {}\", {a}", escape(base, true))
                }
                GraphNode::Image(_) => format!("label=\"{label}\", shape=folder"),
                GraphNode::Scratch => "label=\"scratch\", shape=folder, style=dotted".to_string(),
                GraphNode::NamedContext(_) => format!("label=\"{label}\", shape=tab"),
            };
            let _ = writeln!(out, "  n{id} [{attrs}];");
        }
        let mut once = Once::new(g.nodes.len());
        for e in g.edges.iter().filter(|e| once.first(e)) {
            let style = match e.kind {
                EdgeKind::From => "style=solid",
                EdgeKind::Copy => "style=dashed, label=\"COPY\"",
                EdgeKind::Mount => "style=dotted, label=\"mount\"",
                EdgeKind::Onbuild => "style=bold, label=\"ONBUILD\"",
            };
            let broken = if self.is_forward(e) { ", color=red" } else { "" };
            let _ = writeln!(out, "  n{} -> n{} [{style}{broken}];", e.source, e.stage);
        }
        out.push_str("}\n");
        out
    }

    /// The stage graph as a Mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        let g = self.graph();
        let mut out = String::from("flowchart TD\n");
        for (id, n) in g.nodes.iter().enumerate() {
            let label = escape(&node_label(self, n), false);
            let shape = match n {
                GraphNode::Stage(s) if Some(*s) == self.default_target() => format!("n{id}[[\"{label}\"]]"),
                GraphNode::Stage(_) => format!("n{id}[\"{label}\"]"),
                GraphNode::Image(_) | GraphNode::Scratch | GraphNode::NamedContext(_) => {
                    format!("n{id}[(\"{label}\")]")
                }
            };
            let _ = writeln!(out, "  {shape}");
        }
        let mut once = Once::new(g.nodes.len());
        for e in g.edges.iter().filter(|e| once.first(e)) {
            let arrow = match e.kind {
                EdgeKind::From => "-->",
                EdgeKind::Copy => "-. COPY .->",
                EdgeKind::Mount => "-. mount .->",
                EdgeKind::Onbuild => "== ONBUILD ==>",
            };
            let _ = writeln!(out, "  n{} {arrow} n{}", e.source, e.stage);
        }
        let unused = self.unused_stages();
        if !unused.is_empty() {
            out.push_str("  classDef unused stroke-dasharray: 5 5,color:#888\n  class ");
            // (Not `join`: see `Analysis::not_found`.)
            for (i, s) in unused.iter().enumerate() {
                out.push_str(if i > 0 { ",n" } else { "n" });
                out.push_str(&s.to_string());
            }
            out.push_str(" unused\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::{analyze, Options};

    #[test]
    fn dot_and_mermaid() {
        let a = analyze(
            "FROM golang AS build\nFROM alpine AS docs\nFROM scratch\nCOPY --from=build /b /b\n",
            &Options::default(),
        );
        let dot = a.to_dot();
        assert!(dot.contains("n0 [label=\"build\\nFROM golang\", shape=box, style=\"rounded\"]"), "{dot}");
        assert!(dot.contains("n0 -> n2 [style=dashed, label=\"COPY\"]"), "{dot}");
        assert!(
            dot.contains("n1 [label=\"docs\\nFROM alpine\", shape=box, style=\"rounded,dashed\", color=gray50"),
            "{dot}"
        );
        let m = a.to_mermaid();
        assert!(
            m.contains("n2[[\"stage-2\"]]") && m.contains("n0 -. COPY .-> n2") && m.contains("class n1 unused"),
            "{m}"
        );
        // Quotes, backslashes and control characters (in an image name BuildKit would refuse).
        // (DOT shows the base as it expands: single quotes keep the double quote and backslash.)
        let a = analyze("FROM 'a\"\\b'\x01c\x7fd AS x\nFROM x\n", &Options::default());
        let dot = a.to_dot();
        assert!(dot.contains("FROM a\\\"\\\\b\u{fffd}c\u{fffd}d\""), "{dot}");
        let m = a.to_mermaid();
        assert!(m.contains("n2[(\"a#quot;\\b\u{fffd}c\u{fffd}d\")]"), "{m}");
        assert!(!dot.chars().chain(m.chars()).any(|c| c.is_control() && c != '\n'), "{dot}{m}");
        // The base as it expands (the SVG shows it so).
        let dot = analyze("ARG V=3.20\nFROM alpine:${V} AS a\n", &Options::default()).to_dot();
        assert!(dot.contains("label=\"a\\nFROM alpine:3.20\""), "{dot}");
        // Angle brackets are no markup in Mermaid's HTML labels.
        let a = analyze("FROM a<b>&c\n", &Options::default());
        let m = a.to_mermaid();
        assert!(m.contains("[(\"a#60;b#62;&c\")]"), "{m}");
        // (DOT's quoted labels are no markup: they keep them.)
        assert!(a.to_dot().contains("FROM a<b>&c\""), "{}", a.to_dot());
    }

    #[test]
    fn references_of_one_kind_between_two_stages_are_one_edge() {
        let a = analyze(
            "FROM alpine AS build\nFROM alpine AS app\nCOPY --from=build /a /a\nRUN --mount=from=build true\nCOPY --from=build /b /b\nFROM app\nCOPY --from=build /c /c\n",
            &Options::default(),
        );
        // (Stages, then the image alpine: each FROM alpine, `app`'s COPY and mount of `build`,
        // and the last stage's FROM and COPY.)
        let dot = a.to_dot();
        let edges: Vec<&str> = dot.lines().filter(|l| l.contains("->")).collect();
        assert_eq!(
            edges,
            [
                "  n3 -> n0 [style=solid];",
                "  n3 -> n1 [style=solid];",
                "  n0 -> n1 [style=dashed, label=\"COPY\"];",
                "  n0 -> n1 [style=dotted, label=\"mount\"];",
                "  n1 -> n2 [style=solid];",
                "  n0 -> n2 [style=dashed, label=\"COPY\"];",
            ],
            "{dot}"
        );
        let m = a.to_mermaid();
        assert_eq!(m.matches("n0 -. COPY .-> n1").count(), 1, "{m}");
        assert_eq!(m.matches("n0 -. COPY .-> n2").count(), 1, "{m}");
        assert_eq!(m.matches(" --> ").count() + m.matches(" .-> ").count(), 6, "{m}");
    }
}
