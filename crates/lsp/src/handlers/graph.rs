//! `stagecraft/stageGraph`: the graph as SVG, as nodes and edges, DOT and Mermaid.

use serde::Deserialize;
use serde_json::{json, Value};
use stagecraft_analysis::{Analysis, GraphNode, SvgOptions, TextSize};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::lsp_types::TextDocumentIdentifier;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphParams {
    pub(crate) text_document: TextDocumentIdentifier,
    pub(crate) target: Option<String>,
}

pub(crate) fn graph(a: &Analysis, target: Option<&str>) -> Result<Value> {
    let target = match target {
        Some(t) => Some(a.resolve_stage(t).map_err(Error::invalid_params)?),
        None => None,
    };
    // `data-from` in UTF-16 code units, as editors count document offsets.
    let offset = |o: TextSize| crate::convert::document_offset(a.line_index(), o);
    // A graph too large to draw has no SVG, and says why; its DOT, Mermaid, nodes and edges
    // still come.
    let (svg, svg_error) = match a.to_svg(&SvgOptions { target, offset: Some(&offset) }) {
        Ok(svg) => (Some(svg), None),
        Err(e) => (None, Some(e)),
    };
    let g = a.graph();
    let line = |s: usize| a.line_index().line_col(a.stages()[s].from_range.start()).line;
    let nodes: Vec<Value> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(id, n)| match n {
            GraphNode::Stage(s) => {
                json!({"id": id, "kind": "stage", "label": a.stages()[*s].display_name(), "stage": s, "line": line(*s)})
            }
            GraphNode::Image(i) => json!({"id": id, "kind": "image", "label": i, "stage": null, "line": null}),
            GraphNode::Scratch => json!({"id": id, "kind": "scratch", "label": "scratch", "stage": null, "line": null}),
            GraphNode::NamedContext(k) => json!({"id": id, "kind": "context", "label": k, "stage": null, "line": null}),
        })
        .collect();
    let edges: Vec<Value> =
        g.edges.iter().map(|e| json!({"source": e.source, "stage": e.stage, "kind": e.kind.as_str()})).collect();
    let mut out = json!({"svg": svg, "dot": a.to_dot(), "mermaid": a.to_mermaid(), "nodes": nodes, "edges": edges});
    if let Some(e) = svg_error {
        out["svgError"] = Value::from(e);
    }
    Ok(out)
}
