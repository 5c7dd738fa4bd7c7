//! Layout and SVG of synthetic layered graphs (random DAGs shaped like large Dockerfiles).
//! `cargo bench -p stagecraft-graph --bench layout`.

use std::time::{Duration, Instant};

use stagecraft_graph::{render, Document, Edge, LayoutOptions, Line, Metrics, Node};

/// A deterministic pseudo-random DAG: every node depends on a few earlier ones and on one of
/// a handful of "images".
fn graph(stages: usize) -> Document {
    let mut rng = stagecraft_testkit::Rng(0x9E37_79B9_7F4A_7C15);
    let mut next = |m: usize| rng.below(m);
    let images = 3;
    let mut nodes: Vec<Node> = (0..stages)
        .map(|i| Node {
            lines: vec![
                Line { text: format!("stage{i}"), class: "name".into() },
                Line { text: "alpine:3.19".into(), class: "base".into() },
            ],
            class: "stage".into(),
            ..Node::default()
        })
        .collect();
    nodes.extend((0..images).map(|i| Node {
        lines: vec![Line { text: format!("image{i}:latest"), class: "name".into() }],
        class: "image".into(),
        ..Node::default()
    }));
    let mut edges = Vec::new();
    for i in 0..stages {
        edges.push(Edge { source: stages + next(images), target: i, class: "from".into(), ..Edge::default() });
        for _ in 0..3.min(i) {
            edges.push(Edge { source: next(i), target: i, class: "copy".into(), bundle: 1, ..Edge::default() });
        }
    }
    Document { class: "g".into(), nodes, edges, ..Document::default() }
}

fn main() {
    for stages in [10, 60, 500] {
        let doc = graph(stages);
        let start = Instant::now();
        let mut runs = 0;
        let mut last = None;
        while start.elapsed() < Duration::from_secs(2) || runs < 3 {
            last = Some(render(&doc, &Metrics::default(), &LayoutOptions::default()).expect("drawn"));
            runs += 1;
        }
        let per = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        let r = last.expect("rendered");
        println!(
            "layout+svg {stages:>4} stages, {:>5} edges   {per:>9.3} ms   {:>8} bytes   {} crossings",
            doc.edges.len(),
            r.svg.len(),
            r.crossings
        );
    }
}
