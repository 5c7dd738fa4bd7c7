//! A layered ("Sugiyama") layout of a directed graph, top to bottom, sources first:
//!
//! 1. cycles are broken by reversing the back edges of a depth-first search;
//! 2. layers: longest path from the sources, then nodes with more outgoing than incoming edges
//!    move down next to their successors (shorter edges);
//! 3. edges longer than one layer get a chain of dummy nodes, one chain per source and bundle
//!    (edges of a source in the same bundle share their route until they part: edge
//!    concentration keeps a base image used by hundreds of stages to one trunk);
//! 4. crossing reduction: barycenter sweeps down and up, the best order kept, then adjacent
//!    swaps ("transpose") on small graphs;
//! 5. coordinates: alternating sweeps that pull each node to the weighted mean of its
//!    neighbours, solved exactly per layer under the no-overlap constraints (weighted isotonic
//!    regression); a long edge's dummies pull each other hard and yield little to the boxes
//!    beside them, and each chain is then cut into the fewest straight runs that fit;
//! 6. edge routes through the dummies, with ports spread along the node borders.
//!
//! Everything is deterministic: ties break on indices and no hash map is iterated.

use stagecraft_sort::{sort_by, sort_unstable_by};

/// The size of a node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// An edge to lay out, from `source` (drawn above) to `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutEdge {
    /// The node the edge leaves.
    pub source: usize,
    /// The node the edge enters.
    pub target: usize,
    /// Edges from one source with the same bundle share their route over long distances.
    pub bundle: u32,
}

/// Spacing of the layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutOptions {
    /// Horizontal space between two boxes of a layer.
    pub node_gap: f64,
    /// Horizontal space next to an edge passing through a layer.
    pub edge_gap: f64,
    /// Vertical space between layers.
    pub layer_gap: f64,
    /// Space around the drawing.
    pub margin: f64,
    /// The most nodes the edges' paths may pass through: [`MAX_PATH_NODES`] by default.
    pub max_path_nodes: usize,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions { node_gap: 28.0, edge_gap: 12.0, layer_gap: 52.0, margin: 16.0, max_path_nodes: MAX_PATH_NODES }
    }
}

/// A point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Horizontal.
    pub x: f64,
    /// Vertical (down).
    pub y: f64,
}

/// A node's box (top-left corner and size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Rect {
    /// Whether two boxes share any area.
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }

    /// The horizontal centre.
    pub fn center_x(&self) -> f64 {
        self.x + self.width / 2.0
    }
}

/// How an edge is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// From the source's border to the target's border. Between two consecutive points the
    /// edge is a vertical line when they share `x` and the first is the top of a layer band,
    /// otherwise a curve with vertical tangents (see [`Route::is_straight`]).
    pub points: Vec<Point>,
    /// Which segments are straight (`straight[i]` is the segment from `points[i]`).
    pub straight: Vec<bool>,
    /// The edge goes against the layering (it closes a cycle): it is drawn upwards.
    pub reversed: bool,
    /// An edge from a node to itself, drawn as a loop on the node's right.
    pub self_loop: bool,
}

impl Route {
    /// Whether the segment starting at `points[i]` is a straight line.
    pub fn is_straight(&self, i: usize) -> bool {
        self.straight.get(i).copied().unwrap_or(false)
    }
}

/// The result: a box per node, a route per edge (empty for an edge naming a missing node).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Node boxes, in input order.
    pub nodes: Vec<Rect>,
    /// Edge routes, in input order.
    pub edges: Vec<Route>,
    /// The layer of each node (0 at the top).
    pub layers: Vec<usize>,
    /// Width of the drawing, margins included.
    pub width: f64,
    /// Height of the drawing, margins included.
    pub height: f64,
    /// Edge crossings left between adjacent layers (a quality measure).
    pub crossings: usize,
}

/// The most nodes the edges' paths may pass through in all: an edge's ends and a node on each
/// layer between them (a dummy that the edges of its bundle share). Time and memory grow with
/// them: a graph where each of 4,000 stages copies from a random earlier one passes 4 million,
/// and took 4.9 s and 718 MB to draw; 20,000 such stages passed 6.5 GB in 30 s. A graph past the limit is
/// [`TooLarge`] instead.
pub const MAX_PATH_NODES: usize = 1_000_000;

/// A graph whose edges pass through more than [`LayoutOptions::max_path_nodes`] nodes: too large
/// to draw.
/// (No `Display`: the caller words it for its users, and the browser build carries one text.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    /// The nodes its edges' paths pass through.
    pub path_nodes: usize,
}

/// Lays out a graph; [`TooLarge`] when its edges pass through too many layers.
pub fn layout(sizes: &[Size], edges: &[LayoutEdge], options: &LayoutOptions) -> Result<Layout, TooLarge> {
    let n = sizes.len();
    let valid = |e: &LayoutEdge| e.source < n && e.target < n;
    let reversed = break_cycles(n, edges);
    // Each edge in layered direction (upper, lower); self loops and invalid edges excluded.
    // (Loops that push, here and for the paths and routes: zipped iterators collected were
    // 2 KB of the browser build.)
    let mut dag: Vec<Option<(usize, usize)>> = Vec::with_capacity(edges.len());
    for (e, &r) in edges.iter().zip(&reversed) {
        dag.push((valid(e) && e.source != e.target).then_some(if r {
            (e.target, e.source)
        } else {
            (e.source, e.target)
        }));
    }
    let layer = assign_layers(n, &dag);
    // (A loop: the iterator sum was 181 bytes of the browser build.)
    let mut path_nodes = 0;
    for &(a, b) in dag.iter().flatten() {
        path_nodes += layer[b].saturating_sub(layer[a]) + 1;
    }
    if path_nodes > options.max_path_nodes {
        return Err(TooLarge { path_nodes });
    }
    let mut g = Layered::new(sizes, &layer);
    let mut paths: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    for (i, e) in edges.iter().enumerate() {
        paths.push(match dag[i] {
            Some((a, b)) => g.add_edge(a, b, e.bundle, reversed[i]),
            None => Vec::new(),
        });
    }
    g.finish_adjacency();
    let crossings = g.order(sizes.len());
    g.coordinates(options);
    g.sort_neighbours();
    // Boxes.
    let mut rects: Vec<Rect> = (0..n)
        .map(|v| {
            let (w, h) = (sizes[v].width, sizes[v].height);
            let l = layer[v];
            Rect { x: g.x[v] - w / 2.0, y: g.layer_top[l] + (g.layer_height[l] - h) / 2.0, width: w, height: h }
        })
        .collect();
    // Edges between the same two nodes on adjacent layers (a stage's FROM, COPY and mount of one
    // stage, or both ways of a cycle) would be drawn on one line, the last hiding the others:
    // each gets a line of its own. (Edges of one bundle between the same nodes get one each
    // too: stagecraft passes one edge per kind.)
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for p in &paths {
        if p.len() == 2 {
            pairs.push((p[0], p[1]));
        }
    }
    sort_unstable_by(&mut pairs, Ord::cmp);
    // For the first of each group: how many of its edges are drawn, and how many it has.
    let mut drawn = vec![0usize; pairs.len()];
    let mut group = vec![0usize; pairs.len()];
    let mut first = 0;
    for i in 1..=pairs.len() {
        if pairs.get(i) != pairs.get(first) {
            group[first] = i - first;
            first = i;
        }
    }
    let mut routes: Vec<Route> = Vec::with_capacity(edges.len());
    for (i, e) in edges.iter().enumerate() {
        routes.push(if valid(e) && e.source == e.target {
            self_loop(&rects[e.source])
        } else if paths[i].is_empty() {
            Route { points: Vec::new(), straight: Vec::new(), reversed: false, self_loop: false }
        } else {
            let mut route = g.route(&paths[i], &rects, reversed[i]);
            if let [a, b] = paths[i][..] {
                // The first of them (a binary search by hand: `partition_point` with its
                // closure was 0.25 KB of the browser build).
                let (mut first, mut end) = (0, pairs.len());
                while first < end {
                    let mid = (first + end) / 2;
                    if pairs[mid] < (a, b) {
                        first = mid + 1;
                    } else {
                        end = mid;
                    }
                }
                let many = group[first];
                // Centred on the ports, 4 px apart: three lines stay within the 12 px a port
                // has when a node's neighbours crowd it.
                let shift = (drawn[first] as f64 - (many - 1) as f64 / 2.0) * 4.0;
                drawn[first] += 1;
                for p in &mut route.points {
                    p.x += shift;
                }
            }
            route
        });
    }
    // Shift everything so that the drawing starts at the margin.
    let min_x = rects
        .iter()
        .map(|r| r.x)
        .chain(routes.iter().flat_map(|r| r.points.iter().map(|p| p.x)))
        .fold(f64::INFINITY, f64::min);
    let dx = if min_x.is_finite() { options.margin - min_x } else { 0.0 };
    for r in &mut rects {
        r.x += dx;
    }
    for p in routes.iter_mut().flat_map(|r| r.points.iter_mut()) {
        p.x += dx;
    }
    let max_x = rects
        .iter()
        .map(|r| r.x + r.width)
        .chain(routes.iter().flat_map(|r| r.points.iter().map(|p| p.x)))
        .fold(0.0, f64::max);
    let max_y = rects.iter().map(|r| r.y + r.height).fold(0.0, f64::max);
    Ok(Layout {
        nodes: rects,
        edges: routes,
        layers: layer,
        width: max_x + options.margin,
        height: if n == 0 { 2.0 * options.margin } else { max_y + options.margin },
        crossings,
    })
}

/// Marks the edges to reverse so that the graph has no cycle: the back edges of a depth-first
/// search started from each node in index order. Self loops are left alone.
fn break_cycles(n: usize, edges: &[LayoutEdge]) -> Vec<bool> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        if e.source < n && e.target < n && e.source != e.target {
            out[e.source].push(i);
        }
    }
    let mut reversed = vec![false; edges.len()];
    // 0: unvisited, 1: on the stack, 2: done.
    let mut state = vec![0u8; n];
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&e) = out[v].get(*next) {
                *next += 1;
                let t = edges[e].target;
                match state[t] {
                    0 => {
                        state[t] = 1;
                        stack.push((t, 0));
                    }
                    1 => reversed[e] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    reversed
}

/// Longest-path layering, then each node with more edges below than above moves down to just
/// above its nearest successor.
fn assign_layers(n: usize, dag: &[Option<(usize, usize)>]) -> Vec<usize> {
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for &(a, b) in dag.iter().flatten() {
        succ[a].push(b);
        indeg[b] += 1;
    }
    // Kahn's algorithm. Any topological order gives the same layers: the first pass sets a node's
    // layer from its predecessors', final once they all came before it, and the second from its
    // successors', final once they all came after it. (A stack, not a heap: less code in the
    // browser build.)
    let mut remaining = indeg.clone();
    let mut ready: Vec<usize> = (0..n).filter(|&v| remaining[v] == 0).collect();
    let mut topo = Vec::with_capacity(n);
    while let Some(v) = ready.pop() {
        topo.push(v);
        for &w in &succ[v] {
            remaining[w] -= 1;
            if remaining[w] == 0 {
                ready.push(w);
            }
        }
    }
    let mut layer = vec![0usize; n];
    for &v in &topo {
        for &w in &succ[v] {
            layer[w] = layer[w].max(layer[v] + 1);
        }
    }
    for &v in topo.iter().rev() {
        let out = succ[v].len();
        if out > indeg[v] {
            if let Some(m) = succ[v].iter().map(|&w| layer[w]).min() {
                if m > layer[v] + 1 {
                    layer[v] = m - 1;
                }
            }
        }
    }
    layer
}

/// The layered graph: real nodes `0..n`, then dummies.
struct Layered {
    layer: Vec<usize>,
    width: Vec<f64>,
    real: usize,
    /// Chain ids by upper node, then by (bundle, reversed): a handful per node (stagecraft's
    /// bundles are its four edge kinds). And each chain's dummies, top down. (Not a map keyed
    /// by all three: each map type is more code in the wasm package.)
    chain_ids: Vec<Vec<(u32, bool, usize)>>,
    chain_nodes: Vec<Vec<usize>>,
    segments: Vec<(usize, usize)>,
    up: Vec<Vec<usize>>,
    down: Vec<Vec<usize>>,
    layers: Vec<Vec<usize>>,
    pos: Vec<usize>,
    x: Vec<f64>,
    layer_top: Vec<f64>,
    layer_height: Vec<f64>,
    scratch: Scratch,
}

impl Layered {
    fn new(sizes: &[Size], layer: &[usize]) -> Layered {
        let count = layer.iter().copied().max().map_or(0, |m| m + 1);
        let mut layer_height = vec![0.0f64; count];
        for (v, &l) in layer.iter().enumerate() {
            layer_height[l] = layer_height[l].max(sizes[v].height);
        }
        Layered {
            layer: layer.to_vec(),
            width: sizes.iter().map(|s| s.width).collect(),
            real: sizes.len(),
            chain_ids: vec![Vec::new(); sizes.len()],
            chain_nodes: Vec::new(),
            segments: Vec::new(),
            up: Vec::new(),
            down: Vec::new(),
            layers: vec![Vec::new(); count],
            pos: Vec::new(),
            x: Vec::new(),
            layer_top: Vec::new(),
            layer_height,
            scratch: Scratch::default(),
        }
    }

    /// Adds an edge from `a` (upper) to `b`, with dummies; returns its node path.
    fn add_edge(&mut self, a: usize, b: usize, bundle: u32, reversed: bool) -> Vec<usize> {
        let mut path = vec![a];
        let first = self.layer[a] + 1;
        if first < self.layer[b] {
            // A chain's dummies sit on consecutive layers from the one below `a`, top down, so
            // the dummy on layer `l` is the chain's `l - first`-th (made by the first edge of
            // the chain that reaches that far down).
            let chains = self.chain_nodes.len();
            let ids = &mut self.chain_ids[a];
            let c = match ids.iter().find(|&&(b, r, _)| b == bundle && r == reversed) {
                Some(&(_, _, c)) => c,
                None => {
                    ids.push((bundle, reversed, chains));
                    self.chain_nodes.push(Vec::new());
                    chains
                }
            };
            for l in first..self.layer[b] {
                let d = match self.chain_nodes[c].get(l - first) {
                    Some(&d) => d,
                    None => {
                        let d = self.layer.len();
                        self.layer.push(l);
                        self.width.push(0.0);
                        self.chain_nodes[c].push(d);
                        d
                    }
                };
                path.push(d);
            }
        }
        path.push(b);
        for w in path.windows(2) {
            self.segments.push((w[0], w[1]));
        }
        path
    }

    fn finish_adjacency(&mut self) {
        let total = self.layer.len();
        sort_unstable_by(&mut self.segments, Ord::cmp);
        self.segments.dedup();
        self.up = vec![Vec::new(); total];
        self.down = vec![Vec::new(); total];
        for &(a, b) in &self.segments {
            self.down[a].push(b);
            self.up[b].push(a);
        }
        for v in 0..total {
            let l = self.layer[v];
            self.layers[l].push(v);
        }
    }

    fn is_dummy(&self, v: usize) -> bool {
        v >= self.real
    }

    fn set_positions(&mut self) {
        self.pos.resize(self.layer.len(), 0);
        for layer in &self.layers {
            for (i, &v) in layer.iter().enumerate() {
                self.pos[v] = i;
            }
        }
    }

    /// Crossing reduction; returns the crossings left.
    fn order(&mut self, real: usize) -> usize {
        self.set_positions();
        // Initial order: each layer by the barycentre of the layer above.
        for l in 1..self.layers.len() {
            self.sort_layer(l, true);
        }
        let mut best = self.layers.clone();
        let mut best_crossings = self.crossings();
        let iterations = if self.layer.len() > 5000 { 6 } else { 16 };
        let mut since_best = 0;
        for it in 0..iterations {
            if best_crossings == 0 {
                break;
            }
            if it % 2 == 0 {
                for l in 1..self.layers.len() {
                    self.sort_layer(l, true);
                }
            } else {
                for l in (0..self.layers.len().saturating_sub(1)).rev() {
                    self.sort_layer(l, false);
                }
            }
            let c = self.crossings();
            if c < best_crossings {
                best_crossings = c;
                best = self.layers.clone();
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= 4 {
                    break;
                }
            }
        }
        self.layers = best;
        self.set_positions();
        if real <= 200 && self.layer.len() <= 1500 && best_crossings > 0 {
            self.transpose();
            best_crossings = self.crossings();
        }
        best_crossings
    }

    /// Sorts layer `l` by the barycentre of its neighbours above (`from_above`) or below.
    fn sort_layer(&mut self, l: usize, from_above: bool) {
        let mut keyed = std::mem::take(&mut self.scratch.keyed);
        keyed.clear();
        keyed.extend(self.layers[l].iter().map(|&v| {
            let ns = if from_above { &self.up[v] } else { &self.down[v] };
            let bary = if ns.is_empty() {
                self.pos[v] as f64
            } else {
                ns.iter().map(|&u| self.pos[u] as f64).sum::<f64>() / ns.len() as f64
            };
            (bary, self.pos[v], v)
        }));
        // This runs for every layer in every sweep, where the browser build's shared sort (used
        // for the layout's other sorts) measured slower.
        sort_keyed(&mut keyed, &mut self.scratch.merge);
        for (i, &(_, _, v)) in keyed.iter().enumerate() {
            self.layers[l][i] = v;
            self.pos[v] = i;
        }
        self.scratch.keyed = keyed;
    }

    /// Crossings between all adjacent layers (inversions counted with a Fenwick tree).
    fn crossings(&self) -> usize {
        let mut total = 0;
        let mut targets: Vec<usize> = Vec::new();
        for l in 0..self.layers.len().saturating_sub(1) {
            targets.clear();
            for &u in &self.layers[l] {
                let start = targets.len();
                targets.extend(self.down[u].iter().map(|&w| self.pos[w]));
                sort_unstable_by(&mut targets[start..], Ord::cmp);
            }
            total += inversions(&targets, self.layers[l + 1].len());
        }
        total
    }

    /// Crossings between the edges of `v` and `w` (in this order), above and below.
    fn pair_crossings(&self, v: usize, w: usize) -> usize {
        let count = |a: &[usize], b: &[usize]| {
            let mut c = 0;
            for &x in a {
                for &y in b {
                    if self.pos[x] > self.pos[y] {
                        c += 1;
                    }
                }
            }
            c
        };
        count(&self.up[v], &self.up[w]) + count(&self.down[v], &self.down[w])
    }

    /// Swaps adjacent nodes while that removes crossings.
    fn transpose(&mut self) {
        for _ in 0..8 {
            let mut improved = false;
            for l in 0..self.layers.len() {
                for i in 0..self.layers[l].len().saturating_sub(1) {
                    let (v, w) = (self.layers[l][i], self.layers[l][i + 1]);
                    if self.pair_crossings(v, w) > self.pair_crossings(w, v) {
                        self.layers[l].swap(i, i + 1);
                        self.pos[v] = i + 1;
                        self.pos[w] = i;
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }

    fn separation(&self, a: usize, b: usize, options: &LayoutOptions) -> f64 {
        let gap = if self.is_dummy(a) || self.is_dummy(b) { options.edge_gap } else { options.node_gap };
        (self.width[a] + self.width[b]) / 2.0 + gap
    }

    /// How strongly node `v` is pulled towards its neighbour `u`. A long edge's dummies hold
    /// each other in line and barely yield to the boxes they pass (a real node's pull on a
    /// dummy is weak, a dummy's on a real node is not): otherwise a box beside a long edge pushes
    /// it aside layer after layer, and a chain of stages that all use one image drifts into a
    /// staircase as wide as the chain is long.
    fn weight(&self, u: usize, v: usize) -> f64 {
        match (self.is_dummy(u), self.is_dummy(v)) {
            (true, true) => 64.0,
            (true, false) => 2.0,
            (false, true) => 0.1,
            (false, false) => 1.0,
        }
    }

    fn coordinates(&mut self, options: &LayoutOptions) {
        let total = self.layer.len();
        self.x = vec![0.0; total];
        for l in 0..self.layers.len() {
            let mut x = 0.0;
            for i in 0..self.layers[l].len() {
                let v = self.layers[l][i];
                if i > 0 {
                    x += self.separation(self.layers[l][i - 1], v, options);
                }
                self.x[v] = x;
            }
        }
        let rounds = if total > 5000 { 4 } else { 8 };
        for _ in 0..rounds {
            for l in 1..self.layers.len() {
                self.place_layer(l, true, false, options);
            }
            for l in (0..self.layers.len().saturating_sub(1)).rev() {
                self.place_layer(l, false, true, options);
            }
        }
        for l in 0..self.layers.len() {
            self.place_layer(l, true, true, options);
        }
        self.straighten(options);
        self.align_pairs(options);
        // Vertical placement.
        let mut y = options.margin;
        self.layer_top = Vec::with_capacity(self.layers.len());
        for l in 0..self.layers.len() {
            if self.layer_height[l] == 0.0 {
                self.layer_height[l] = 12.0;
            }
            self.layer_top.push(y);
            y += self.layer_height[l] + options.layer_gap;
        }
    }

    /// Lines up the dummies of each long edge so that it runs straight down instead of wobbling
    /// by a few pixels per layer. Each dummy may move between its neighbours in its layer; a
    /// chain is cut into the fewest runs whose allowed intervals overlap (taken greedily from the
    /// top, which is optimal for intervals), and each run moves to one x in its overlap, the one
    /// nearest the run's median. Every move keeps the separations, so chains done later see
    /// the moves of the earlier ones.
    fn straighten(&mut self, options: &LayoutOptions) {
        let chains = std::mem::take(&mut self.chain_nodes);
        let mut xs: Vec<f64> = Vec::new();
        for chain in &chains {
            let mut start = 0;
            while start < chain.len() {
                let (mut lo, mut hi) = self.room(chain[start], options);
                let mut end = start + 1;
                while let Some(&d) = chain.get(end) {
                    let (l, h) = self.room(d, options);
                    if l.max(lo) > h.min(hi) {
                        break;
                    }
                    (lo, hi) = (l.max(lo), h.min(hi));
                    end += 1;
                }
                xs.clear();
                xs.extend(chain[start..end].iter().map(|&d| self.x[d]));
                sort_by(&mut xs, f64::total_cmp);
                let target = xs[xs.len() / 2].clamp(lo, hi);
                for &d in &chain[start..end] {
                    self.x[d] = target;
                }
                start = end;
            }
        }
        self.chain_nodes = chains;
    }

    /// Makes an edge vertical when it is the only edge below its upper end and the only one
    /// above its lower end (a base image and its one stage, say), where the neighbours leave
    /// room: the upper end moves over the lower one, or else the lower one under it. Bottom up,
    /// so that a chain of such edges lines up along its lowest node.
    fn align_pairs(&mut self, options: &LayoutOptions) {
        for l in (0..self.layers.len()).rev() {
            for i in 0..self.layers[l].len() {
                let v = self.layers[l][i];
                if self.is_dummy(v) || self.up[v].len() != 1 {
                    continue;
                }
                let u = self.up[v][0];
                if self.is_dummy(u) || self.down[u].len() != 1 || self.x[u] == self.x[v] {
                    continue;
                }
                let (lo, hi) = self.room(u, options);
                if (lo..=hi).contains(&self.x[v]) {
                    self.x[u] = self.x[v];
                    continue;
                }
                let (lo, hi) = self.room(v, options);
                if (lo..=hi).contains(&self.x[u]) {
                    self.x[v] = self.x[u];
                }
            }
        }
    }

    /// How far node `v` may move left and right without coming too close to its neighbours.
    fn room(&self, v: usize, options: &LayoutOptions) -> (f64, f64) {
        let (l, p) = (self.layer[v], self.pos[v]);
        let lo = p
            .checked_sub(1)
            .map(|q| self.layers[l][q])
            .map_or(f64::NEG_INFINITY, |u| self.x[u] + self.separation(u, v, options));
        let hi = self.layers[l].get(p + 1).map_or(f64::INFINITY, |&u| self.x[u] - self.separation(v, u, options));
        // A node always fits where it is (rounding aside).
        (lo.min(self.x[v]), hi.max(self.x[v]))
    }

    /// Moves the nodes of layer `l` as close as the order allows to the weighted mean of their
    /// neighbours (above and/or below).
    fn place_layer(&mut self, l: usize, above: bool, below: bool, options: &LayoutOptions) {
        let nodes = &self.layers[l];
        if nodes.is_empty() {
            return;
        }
        // x_i = y_i + c_i with y nondecreasing: isotonic regression of desired - c, where c_i
        // is how far node i must sit from the first at the least.
        let mut scratch = std::mem::take(&mut self.scratch);
        let Scratch { targets, weights, offsets, blocks, .. } = &mut scratch;
        targets.clear();
        weights.clear();
        offsets.clear();
        let mut c = 0.0;
        for (i, &v) in nodes.iter().enumerate() {
            let (mut sum, mut wsum) = (0.0, 0.0);
            let mut add = |ns: &[usize]| {
                for &u in ns {
                    let w = self.weight(u, v);
                    sum += w * self.x[u];
                    wsum += w;
                }
            };
            if above {
                add(&self.up[v]);
            }
            if below {
                add(&self.down[v]);
            }
            // No neighbour: stay, but give way easily.
            let (desired, weight) = if wsum > 0.0 { (sum / wsum, wsum) } else { (self.x[v], 0.1) };
            if i > 0 {
                c += self.separation(nodes[i - 1], v, options);
            }
            offsets.push(c);
            targets.push(desired - c);
            weights.push(weight);
        }
        isotonic_blocks(targets, weights, blocks);
        let mut i = 0;
        for &(_, mean, len) in blocks.iter() {
            for _ in 0..len {
                let v = self.layers[l][i];
                self.x[v] = mean + offsets[i];
                i += 1;
            }
        }
        self.scratch = scratch;
    }

    /// Orders each node's neighbours left to right (by x, then id), once the coordinates are
    /// final, for [`Layered::port`].
    fn sort_neighbours(&mut self) {
        let x = &self.x;
        let mut keyed = std::mem::take(&mut self.scratch.keyed);
        for ns in self.up.iter_mut().chain(self.down.iter_mut()) {
            // Keyed as the barycentres are, (x, id), and sorted the same way.
            keyed.clear();
            keyed.extend(ns.iter().map(|&u| (x[u], u, u)));
            sort_keyed(&mut keyed, &mut self.scratch.merge);
            for (n, &(_, _, u)) in ns.iter_mut().zip(&keyed) {
                *n = u;
            }
        }
        self.scratch.keyed = keyed;
    }

    /// Ports: where the segment between `v` and its neighbour `u` meets `v`'s border (the
    /// neighbours are sorted, see [`Layered::sort_neighbours`]).
    fn port(&self, v: usize, u: usize, upward: bool, rect: Option<&Rect>) -> f64 {
        let Some(rect) = rect else { return self.x[v] };
        let ns = if upward { &self.up[v] } else { &self.down[v] };
        let k = ns.len();
        if k <= 1 {
            return rect.center_x();
        }
        // u's place among them (a node with thousands of neighbours is searched, not scanned).
        let j = ns.partition_point(|&w| self.x[w].total_cmp(&self.x[u]).then(w.cmp(&u)).is_lt());
        let span = (rect.width - 16.0).max(0.0).min(12.0 * (k - 1) as f64);
        rect.center_x() - span / 2.0 + span * j as f64 / (k - 1) as f64
    }

    fn route(&self, path: &[usize], rects: &[Rect], reversed: bool) -> Route {
        let rect = |v: usize| (v < self.real).then(|| &rects[v]);
        let mut points = Vec::new();
        let mut straight = Vec::new();
        let (a, b) = (path[0], path[path.len() - 1]);
        let ra = &rects[a];
        points.push(Point { x: self.port(a, path[1], false, rect(a)), y: ra.y + ra.height });
        straight.push(false);
        for &d in &path[1..path.len() - 1] {
            let l = self.layer[d];
            let top = self.layer_top[l];
            points.push(Point { x: self.x[d], y: top });
            straight.push(true);
            points.push(Point { x: self.x[d], y: top + self.layer_height[l] });
            straight.push(false);
        }
        let rb = &rects[b];
        points.push(Point { x: self.port(b, path[path.len() - 2], true, rect(b)), y: rb.y });
        if reversed {
            points.reverse();
            straight.reverse();
        }
        Route { points, straight, reversed, self_loop: false }
    }
}

fn self_loop(r: &Rect) -> Route {
    let right = r.x + r.width;
    let (y1, y2) = (r.y + r.height * 0.3, r.y + r.height * 0.7);
    Route {
        points: vec![
            Point { x: right, y: y1 },
            Point { x: right + 18.0, y: y1 },
            Point { x: right + 18.0, y: y2 },
            Point { x: right, y: y2 },
        ],
        straight: vec![true, true, true],
        reversed: false,
        self_loop: true,
    }
}

/// Pairs `i < j` with `seq[i] > seq[j]`; values are below `bound`.
fn inversions(seq: &[usize], bound: usize) -> usize {
    let mut tree = vec![0usize; bound + 1];
    let mut count = 0;
    for (seen, &v) in seq.iter().enumerate() {
        // Number of earlier values <= v.
        let mut i = v + 1;
        let mut le = 0;
        while i > 0 {
            le += tree[i];
            i &= i - 1;
        }
        count += seen - le;
        let mut i = v + 1;
        while i <= bound {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    count
}

/// Weighted isotonic regression (pool adjacent violators): the nondecreasing sequence closest
/// to `targets` in weighted least squares.
#[cfg(test)]
fn isotonic(targets: &[f64], weights: &[f64]) -> Vec<f64> {
    let mut blocks = Vec::new();
    isotonic_blocks(targets, weights, &mut blocks);
    blocks.into_iter().flat_map(|(_, m, len)| std::iter::repeat_n(m, len)).collect()
}

/// [`isotonic`] as blocks of (weight, mean, length), in order.
fn isotonic_blocks(targets: &[f64], weights: &[f64], blocks: &mut Vec<(f64, f64, usize)>) {
    blocks.clear();
    for (&t, &w) in targets.iter().zip(weights) {
        blocks.push((w, t, 1));
        while blocks.len() >= 2 {
            let (w2, m2, n2) = blocks[blocks.len() - 1];
            let (w1, m1, n1) = blocks[blocks.len() - 2];
            if m1 <= m2 {
                break;
            }
            blocks.pop();
            let w = w1 + w2;
            *blocks.last_mut().expect("two blocks") = (w, (w1 * m1 + w2 * m2) / w, n1 + n2);
        }
    }
}

/// The order of [`Scratch::keyed`]: by the key, then by the second field (a position or an id,
/// never equal for two entries).
fn by_key(a: &(f64, usize, usize), b: &(f64, usize, usize)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Sorts by [`by_key`], a total order (so any sort gives the one result): the layout's sort on
/// its hot path, every layer in every sweep. Short slices by insertion; longer ones by merging
/// halves, skipped where the halves are already in order (the later sweeps move few nodes).
/// The standard stable sort was 3.5 KB of the browser build for this one type.
fn sort_keyed(v: &mut [(f64, usize, usize)], buf: &mut Vec<(f64, usize, usize)>) {
    let lt = |a: &(f64, usize, usize), b: &(f64, usize, usize)| by_key(a, b).is_lt();
    if v.len() <= 20 {
        for i in 1..v.len() {
            let mut j = i;
            while j > 0 && lt(&v[j], &v[j - 1]) {
                v.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let mid = v.len() / 2;
    sort_keyed(&mut v[..mid], buf);
    sort_keyed(&mut v[mid..], buf);
    if !lt(&v[mid], &v[mid - 1]) {
        return;
    }
    buf.clear();
    buf.extend_from_slice(&v[..mid]);
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < buf.len() {
        if j < v.len() && lt(&v[j], &buf[i]) {
            v[k] = v[j];
            j += 1;
        } else {
            v[k] = buf[i];
            i += 1;
        }
        k += 1;
    }
}

/// Buffers `place_layer` and `sort_layer` reuse from layer to layer (`keyed` also
/// `sort_neighbours`, from node to node).
#[derive(Default)]
struct Scratch {
    keyed: Vec<(f64, usize, usize)>,
    targets: Vec<f64>,
    weights: Vec<f64>,
    offsets: Vec<f64>,
    blocks: Vec<(f64, f64, usize)>,
    /// `sort_keyed`'s merge buffer.
    merge: Vec<(f64, usize, usize)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(n: usize) -> Vec<Size> {
        (0..n).map(|i| Size { width: 60.0 + (i % 3) as f64 * 20.0, height: 30.0 }).collect()
    }

    fn e(source: usize, target: usize) -> LayoutEdge {
        LayoutEdge { source, target, bundle: 0 }
    }

    #[test]
    fn parallel_edges_get_lines_of_their_own() {
        // 0 → 1 as FROM, COPY and mount (three bundles), 1 → 2 once, and 2 ⇄ 3 (a cycle).
        let b = |source, target, bundle| LayoutEdge { source, target, bundle };
        let edges = [b(0, 1, 0), b(0, 1, 1), b(0, 1, 2), b(1, 2, 0), b(2, 3, 0), b(3, 2, 1)];
        let l = layout(&sizes(4), &edges, &LayoutOptions::default()).expect("drawn");
        let xs = |i: usize| l.edges[i].points.iter().map(|p| p.x).collect::<Vec<f64>>();
        let (a, b, c) = (xs(0), xs(1), xs(2));
        // Each line keeps its own x at both ends, 4 px right of the one before, centred on the
        // ports.
        for (p, q) in [(&a, &b), (&b, &c)] {
            for (x, y) in p.iter().zip(q.iter()) {
                assert!((y - x - 4.0).abs() < 1e-9, "{a:?} {b:?} {c:?}");
            }
        }
        assert!((b[0] - l.nodes[0].center_x()).abs() < 1e-9 && (b[1] - l.nodes[1].center_x()).abs() < 1e-9, "{b:?}");
        // A single edge stays at the ports.
        assert!((xs(3)[0] - l.nodes[1].center_x()).abs() < 1e-9, "{:?}", xs(3));
        // Both ways of a cycle are told apart.
        let (d, e) = (xs(4), xs(5));
        assert!(d.iter().zip(&e).all(|(x, y)| (x - y).abs() >= 4.0 - 1e-9), "{d:?} {e:?}");
    }

    #[test]
    fn keyed_sort_matches_the_standard_sort() {
        let mut rng = stagecraft_testkit::Rng(0x2545_f491_4f6c_dd1d);
        let mut next = |n: u64| rng.below(n as usize) as u64;
        let mut buf = Vec::new();
        for round in 0..400 {
            let len = next(300) as usize;
            // Few distinct keys (ties broken by the second field), some runs already in order.
            let mut v: Vec<(f64, usize, usize)> =
                (0..len).map(|i| (next(1 + round % 40) as f64 / 2.0, i, next(1000) as usize)).collect();
            if round % 3 == 0 {
                v.sort_by(by_key);
                let k = next(len as u64 + 1) as usize;
                v[..k].reverse();
            }
            let mut want = v.clone();
            want.sort_by(by_key);
            sort_keyed(&mut v, &mut buf);
            assert_eq!(v, want, "round {round}");
        }
    }

    #[test]
    fn isotonic_pools_violators() {
        assert_eq!(isotonic(&[1.0, 3.0, 2.0, 4.0], &[1.0; 4]), vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(isotonic(&[3.0, 1.0], &[3.0, 1.0]), vec![2.5, 2.5]);
    }

    #[test]
    fn inversions_match_brute_force() {
        let seq = [3, 0, 2, 2, 1, 4, 0];
        let brute = (0..seq.len())
            .flat_map(|i| (i + 1..seq.len()).map(move |j| (i, j)))
            .filter(|&(i, j)| seq[i] > seq[j])
            .count();
        assert_eq!(inversions(&seq, 5), brute);
    }

    #[test]
    fn edges_point_down_and_boxes_do_not_overlap() {
        let edges = [e(0, 1), e(0, 2), e(1, 3), e(2, 3), e(0, 3), e(4, 3), e(4, 5)];
        let l = layout(&sizes(6), &edges, &LayoutOptions::default()).expect("drawn");
        for ed in &edges {
            assert!(l.layers[ed.target] > l.layers[ed.source], "{ed:?}");
            assert!(l.nodes[ed.target].y > l.nodes[ed.source].y);
        }
        for i in 0..6 {
            for j in i + 1..6 {
                assert!(!l.nodes[i].overlaps(&l.nodes[j]), "{i} {j}: {:?} {:?}", l.nodes[i], l.nodes[j]);
            }
        }
        // Routes start at the source's bottom and end at the target's top.
        for (ed, r) in edges.iter().zip(&l.edges) {
            let (s, t) = (&l.nodes[ed.source], &l.nodes[ed.target]);
            assert_eq!(r.points.first().unwrap().y, s.y + s.height);
            assert_eq!(r.points.last().unwrap().y, t.y);
        }
    }

    #[test]
    fn crossings_are_removed_when_possible() {
        // Two chains whose input order crosses: a0->b1, a1->b0.
        let edges = [e(0, 3), e(1, 2), e(2, 4), e(3, 5)];
        let l = layout(&sizes(6), &edges, &LayoutOptions::default()).expect("drawn");
        assert_eq!(l.crossings, 0);
    }

    #[test]
    fn cycles_and_self_loops_are_drawn() {
        let edges = [e(0, 1), e(1, 2), e(2, 0), e(1, 1), e(7, 1)];
        let l = layout(&sizes(3), &edges, &LayoutOptions::default()).expect("drawn");
        assert_eq!(l.edges.iter().filter(|r| r.reversed).count(), 1);
        assert!(l.edges[3].self_loop);
        assert!(l.edges[4].points.is_empty(), "an edge to a missing node is not drawn");
        assert!(l.edges[2].points.len() >= 2);
    }

    #[test]
    fn long_edges_of_one_bundle_share_dummies() {
        // 0 feeds 1..=5 placed on increasingly deep layers through a chain 1->2->3->4->5.
        let mut edges = vec![e(1, 2), e(2, 3), e(3, 4), e(4, 5), e(6, 1)];
        for t in 2..=5 {
            edges.push(e(0, t));
        }
        let l = layout(&sizes(7), &edges, &LayoutOptions::default()).expect("drawn");
        // The trunk from 0: its routes to 4 and 5 pass through the same points up to layer 3.
        let r4 = &l.edges[edges.len() - 2].points;
        let r5 = &l.edges[edges.len() - 1].points;
        assert_eq!(r4[1], r5[1]);
    }

    /// A chain of stages that all use one image (stage k copies from stage k-1): the image's
    /// long edges share one trunk, which runs straight down beside the chain, and the drawing
    /// stays two columns wide instead of drifting into a staircase.
    #[test]
    fn a_trunk_beside_a_chain_runs_straight() {
        let n = 120;
        let mut edges = Vec::new();
        for k in 1..=n {
            edges.push(e(0, k));
            if k > 1 {
                edges.push(LayoutEdge { source: k - 1, target: k, bundle: 1 });
            }
        }
        let s = sizes(n + 1);
        let l = layout(&s, &edges, &LayoutOptions::default()).expect("drawn");
        let trunk: Vec<f64> = l
            .edges
            .iter()
            .flat_map(|r| {
                let inner = &r.points[1..r.points.len() - 1];
                inner.iter().map(|p| p.x)
            })
            .collect();
        assert!(trunk.len() > n * 10, "long edges go through dummies");
        assert!(trunk.iter().all(|&x| x == trunk[0]), "one straight trunk: {:?}", &trunk[..8]);
        let widest = s.iter().map(|s| s.width).fold(0.0, f64::max);
        assert!(l.width < 3.0 * widest + 100.0, "two columns, not a staircase: {} wide", l.width);
    }

    /// An image used by one stage sits right above it, even when the stage's own children and
    /// the rest of the graph pull it aside (the shape of `examples/multistage.Dockerfile`).
    #[test]
    fn a_lone_edge_is_vertical() {
        // golang 0 -> base 1 -> build 2, test 3; node 4 -> docs 5; alpine 6 -> certs 7;
        // release 9 copies from build, certs and starts from scratch 8.
        let edges = [e(0, 1), e(1, 2), e(1, 3), e(4, 5), e(6, 7), e(7, 9), e(2, 9), e(8, 9)];
        let widths = [166.0, 190.0, 90.0, 90.0, 134.0, 162.0, 110.0, 141.0, 80.0, 112.0];
        let s: Vec<Size> = widths.iter().map(|&width| Size { width, height: 48.0 }).collect();
        let l = layout(&s, &edges, &LayoutOptions::default()).expect("drawn");
        // (edge, its upper end, its lower end) for each image and its one stage.
        for (edge, a, b) in [(0, 0, 1), (3, 4, 5), (4, 6, 7)] {
            let r = &l.edges[edge].points;
            assert_eq!(r[0].x, r[r.len() - 1].x, "{a} -> {b}: {r:?}");
            assert_eq!(l.nodes[a].center_x(), l.nodes[b].center_x());
        }
    }

    /// Straightening long edges and aligning lone edges move nodes only within the room their
    /// neighbours leave: on random graphs every layer keeps its order and separations afterwards.
    #[test]
    fn layers_keep_their_separations() {
        let options = LayoutOptions::default();
        let mut rng = stagecraft_testkit::Rng(0x2545_F491_4F6C_DD1D);
        let mut next = |m: usize| rng.below(m);
        for round in 0..30 {
            let n = 5 + next(60);
            let s = sizes(n);
            let mut edges = Vec::new();
            for t in 1..n {
                for _ in 0..1 + next(3) {
                    edges.push(LayoutEdge { source: next(t), target: t, bundle: next(2) as u32 });
                }
            }
            let dag: Vec<Option<(usize, usize)>> = edges.iter().map(|e| Some((e.source, e.target))).collect();
            let mut g = Layered::new(&s, &assign_layers(n, &dag));
            for ed in &edges {
                g.add_edge(ed.source, ed.target, ed.bundle, false);
            }
            g.finish_adjacency();
            g.order(n);
            g.coordinates(&options);
            for layer in &g.layers {
                for w in layer.windows(2) {
                    let need = g.separation(w[0], w[1], &options);
                    assert!(g.x[w[1]] - g.x[w[0]] >= need - 1e-6, "round {round}: {w:?} closer than {need}");
                }
            }
        }
    }

    #[test]
    fn layout_is_deterministic() {
        let mut edges = Vec::new();
        for i in 1..40 {
            edges.push(e((i * 7) % (i / 3 + 1), i));
            edges.push(e(i / 2, i));
        }
        let a = layout(&sizes(40), &edges, &LayoutOptions::default()).expect("drawn");
        let b = layout(&sizes(40), &edges, &LayoutOptions::default()).expect("drawn");
        assert_eq!(a, b);
    }

    #[test]
    fn a_graph_whose_edges_pass_too_many_layers_is_too_large() {
        // A chain of n nodes, and an edge from the first to each: the chain's edges pass 2 nodes
        // each, the edge to node i (layer i) i + 1.
        let chain = |n: usize| {
            let mut edges: Vec<LayoutEdge> = (1..n).map(|i| e(i - 1, i)).collect();
            edges.extend((2..n).map(|i| LayoutEdge { bundle: 1, ..e(0, i) }));
            edges
        };
        let path_nodes = |n: usize| 2 * (n - 1) + (2..n).map(|i| i + 1).sum::<usize>();
        // At the limit it is drawn, one past it it is not (a limit of the test's own).
        let n = 60;
        let at = LayoutOptions { max_path_nodes: path_nodes(n), ..LayoutOptions::default() };
        assert_eq!(layout(&sizes(n), &chain(n), &at).map(|l| l.nodes.len()), Ok(n));
        let under = LayoutOptions { max_path_nodes: path_nodes(n) - 1, ..at };
        assert_eq!(layout(&sizes(n), &chain(n), &under), Err(TooLarge { path_nodes: path_nodes(n) }));
        // The default limit: 1,500 nodes pass 1,128,745, refused at once.
        assert_eq!(path_nodes(1500), 1_128_745);
        assert_eq!(
            layout(&sizes(1500), &chain(1500), &LayoutOptions::default()),
            Err(TooLarge { path_nodes: 1_128_745 })
        );
    }

    #[test]
    fn empty_graph() {
        let l = layout(&[], &[], &LayoutOptions::default()).expect("drawn");
        assert!(l.nodes.is_empty());
        assert!(l.width > 0.0 && l.height > 0.0);
    }
}
