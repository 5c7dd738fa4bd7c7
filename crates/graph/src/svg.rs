//! An SVG writer for laid-out graphs: boxes with lines of text, curved edges with arrowheads,
//! a legend. Styling is the caller's: classes and attributes on every element, and a style
//! sheet embedded in the document (so a saved file looks the same). No element has an `id`,
//! so several drawings can share a page.

use crate::layout::{layout, LayoutEdge, LayoutOptions, Point, Rect, Route, Size, TooLarge};

/// Text metrics. The writer measures text by counting characters, which is exact for the
/// monospace font the style sheet should ask for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Advance of one character of body text.
    pub char_width: f64,
    /// Advance of one character of a title line (the first line of a box).
    pub title_char_width: f64,
    /// Distance between baselines.
    pub line_height: f64,
    /// Space between the box and its text, left and right.
    pub padding_x: f64,
    /// Space between the box and its text, above and below.
    pub padding_y: f64,
    /// Narrowest box.
    pub min_width: f64,
    /// Longest line, in characters; longer lines end with `…` (the full text stays in the
    /// node's title).
    pub max_chars: usize,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            char_width: 7.2,
            title_char_width: 7.8,
            line_height: 16.0,
            padding_x: 12.0,
            padding_y: 8.0,
            min_width: 80.0,
            max_chars: 34,
        }
    }
}

/// A line of text in a box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The text.
    pub text: String,
    /// Its class.
    pub class: String,
}

/// A node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// Lines of text, the first one the title.
    pub lines: Vec<Line>,
    /// Tooltip (`<title>`).
    pub title: String,
    /// Classes of the node's group (after `node`).
    pub class: String,
    /// Extra attributes of the group (`data-*`, `aria-*`, `tabindex`).
    pub attrs: Vec<(String, String)>,
}

/// An edge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Edge {
    /// Index of the source node (drawn above).
    pub source: usize,
    /// Index of the target node.
    pub target: usize,
    /// Classes of the edge's group (after `edge`).
    pub class: String,
    /// Extra attributes of the group.
    pub attrs: Vec<(String, String)>,
    /// Edges from one source with the same bundle share their route over long distances.
    pub bundle: u32,
    /// Tooltip.
    pub title: String,
}

/// A legend entry: a sample node or edge with a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegendItem {
    /// A small box with these classes (on a `swatch` group).
    Node {
        /// Classes.
        class: String,
        /// What it means.
        label: String,
    },
    /// A short edge with these classes (on a `swatch-edge` group).
    Edge {
        /// Classes.
        class: String,
        /// What it means.
        label: String,
    },
}

/// Everything to draw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// Class of the root `<svg>`.
    pub class: String,
    /// Title of the drawing (`<title>` and `aria-label`).
    pub title: String,
    /// The embedded style sheet.
    pub css: String,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Edges.
    pub edges: Vec<Edge>,
    /// Legend entries, drawn above the graph.
    pub legend: Vec<LegendItem>,
    /// A note drawn instead of the graph when there are no nodes.
    pub empty_note: String,
}

/// A rendered drawing with the geometry tests and callers may want.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The SVG text.
    pub svg: String,
    /// Node boxes, in the drawing's coordinates.
    pub boxes: Vec<Rect>,
    /// Width and height of the drawing.
    pub size: (f64, f64),
    /// Edge crossings left.
    pub crossings: usize,
}

/// Display width of a text in character cells (wide East Asian characters count twice).
pub fn text_cells(s: &str) -> usize {
    s.chars().map(char_cells).sum()
}

/// Character cells `c` takes in a terminal or a monospaced font: 2 for wide East Asian
/// characters and emoji, none for zero-width ones (joiners, combining marks, a byte-order
/// mark), else 1 (the command line's carets line up by it).
pub fn char_cells(c: char) -> usize {
    if is_wide(c) {
        2
    } else if matches!(c, '\u{300}'..='\u{36f}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}') {
        0
    } else {
        1
    }
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF | 0x20000..=0x3FFFD)
}

/// Shortens a line to `max` cells, ending with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if text_cells(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut cells = 0;
    for c in s.chars() {
        let w = if is_wide(c) { 2 } else { 1 };
        if cells + w > max.saturating_sub(1) {
            break;
        }
        out.push(c);
        cells += w;
    }
    out.push('…');
    out
}

/// XML text and attribute escaping; characters XML 1.0 cannot hold become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Writes `s` escaped (see [`escape`]).
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Writes the pieces of an element in order: `Text` as is, `Escaped` escaped, `Num` rounded
/// to whole pixels. The writer builds a large graph's SVG from hundreds of thousands of them,
/// so it writes straight into the output instead of formatting each piece into a string.
enum Piece<'a> {
    Text(&'a str),
    Escaped(&'a str),
    Num(f64),
}

fn push_pieces(out: &mut String, pieces: &[Piece<'_>]) {
    for piece in pieces {
        match *piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Escaped(t) => push_escaped(out, t),
            Piece::Num(v) => push_num(out, v),
        }
    }
}

/// Writes a number rounded to whole pixels (no `-0`), without the formatting machinery: a
/// large graph writes hundreds of thousands of them.
fn push_num(out: &mut String, v: f64) {
    let r = v.round();
    let r = if r.is_finite() { r as i64 } else { 0 };
    if r < 0 {
        out.push('-');
    }
    push_uint(out, r.unsigned_abs());
}

/// Writes a whole number in decimal, without the formatting machinery (the SVG writer and the
/// wasm JSON writer write many of them, and `fmt` costs size in the browser build).
pub fn push_uint(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut n = n;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.reserve(digits.len() - i);
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

fn push_point(out: &mut String, cmd: char, p: Point) {
    out.push(cmd);
    push_num(out, p.x);
    out.push(' ');
    push_num(out, p.y);
}

fn attrs(out: &mut String, attrs: &[(String, String)]) {
    // Attribute names are the caller's constants; keep only safe characters anyway.
    let safe = |c: &char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':');
    for (k, v) in attrs {
        if k.chars().any(|c| safe(&c)) {
            out.push(' ');
            out.extend(k.chars().filter(safe));
            out.push_str("=\"");
            push_escaped(out, v);
            out.push('"');
        }
    }
}

impl Metrics {
    fn node_size(&self, node: &Node) -> Size {
        let mut width: f64 = self.min_width;
        for (i, line) in node.lines.iter().enumerate() {
            let cells = text_cells(&truncate(&line.text, self.max_chars)) as f64;
            let cw = if i == 0 { self.title_char_width } else { self.char_width };
            width = width.max(cells * cw + 2.0 * self.padding_x);
        }
        let lines = node.lines.len().max(1) as f64;
        Size { width: width.ceil(), height: lines * self.line_height + 2.0 * self.padding_y }
    }
}

/// Writes the path of a route: curves with vertical tangents between layers, straight lines
/// where the route runs straight down (a vertical run through several layers is one `V`).
fn push_path_data(d: &mut String, route: &Route) {
    let pts = &route.points;
    let Some(&first) = pts.first() else { return };
    push_point(d, 'M', first);
    let last = pts.len() - 1;
    let mut i = 1;
    while i <= last {
        let p = pts[i - 1];
        let q = if i == last { shorten(p, pts[i], route) } else { pts[i] };
        let same = |a: f64, b: f64| a.round() == b.round();
        if route.is_straight(i - 1) || (same(p.x, q.x) && !route.self_loop) {
            if same(p.x, q.x) && !route.self_loop {
                // Extend the vertical run as far as the points stay on this x.
                let mut j = i;
                while j < last && same(pts[j + 1].x, p.x) {
                    j += 1;
                }
                let end = if j == last { shorten(pts[j - 1], pts[j], route) } else { pts[j] };
                d.push('V');
                push_num(d, end.y);
                i = j + 1;
                continue;
            }
            push_point(d, 'L', q);
        } else {
            let my = (p.y + q.y) / 2.0;
            d.push('C');
            push_num(d, p.x);
            d.push(' ');
            push_num(d, my);
            d.push(' ');
            push_num(d, q.x);
            d.push(' ');
            push_num(d, my);
            d.push(' ');
            push_num(d, q.x);
            d.push(' ');
            push_num(d, q.y);
        }
        i += 1;
    }
}

/// A segment of a route's line, from the end of the one before: a cubic Bézier curve through the
/// control points `c`, straight when both are its start.
#[derive(Clone, Copy)]
struct Seg {
    c: [Point; 2],
    to: Point,
}

/// The segment from `points[i - 1]` to `points[i]` as [`push_path_data`] draws it, in whole
/// pixels: a curve with vertical tangents, or straight.
fn route_seg(route: &Route, i: usize) -> (Point, Seg) {
    let pts = &route.points;
    let round = |p: Point| Point { x: p.x.round(), y: p.y.round() };
    let q = if i + 1 == pts.len() { shorten(pts[i - 1], pts[i], route) } else { pts[i] };
    let (p, to) = (round(pts[i - 1]), round(q));
    let my = (pts[i - 1].y + q.y) / 2.0;
    let straight = route.is_straight(i - 1) || (p.x == to.x && !route.self_loop);
    let c = if straight { [p; 2] } else { [round(Point { x: p.x, y: my }), round(Point { x: q.x, y: my })] };
    (p, Seg { c, to })
}

/// The segment from `p` cut at `t` (de Casteljau): the part before and the part after.
fn split(p: Point, s: &Seg, t: f64) -> (Seg, Seg) {
    let lerp = |a: Point, b: Point| Point { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
    if s.c == [p; 2] {
        // Straight: cut where `t` of its length lies (as a curve whose controls sit at its start,
        // its points would crowd towards the end), and the parts straight again.
        let m = lerp(p, s.to);
        return (Seg { c: [p; 2], to: m }, Seg { c: [m; 2], to: s.to });
    }
    let (a, b, c) = (lerp(p, s.c[0]), lerp(s.c[0], s.c[1]), lerp(s.c[1], s.to));
    let (ab, bc) = (lerp(a, b), lerp(b, c));
    let m = lerp(ab, bc);
    (Seg { c: [a, ab], to: m }, Seg { c: [bc, c], to: s.to })
}

fn dist(a: Point, b: Point) -> f64 {
    ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).sqrt()
}

/// The length of the segment from `p`: the mean of the chord and the control polygon, which
/// bound a curve's length, once they differ by a twentieth of a pixel (halving the curve until
/// they do). A piece's dashes then start where the one before ended to a tenth of a pixel.
fn seg_len(p: Point, s: &Seg) -> f64 {
    let chord = dist(p, s.to);
    let polygon = dist(p, s.c[0]) + dist(s.c[0], s.c[1]) + dist(s.c[1], s.to);
    // (A coordinate that is not finite ends the halving too.)
    if polygon - chord <= 0.05 || chord < 0.01 || !polygon.is_finite() {
        return (chord + polygon) / 2.0;
    }
    let (a, b) = split(p, s, 0.5);
    seg_len(p, &a) + seg_len(a.to, &b)
}

/// Edges longer than this are drawn in pieces (see [`push_line`]).
const PIECE: f64 = 8192.0;
/// At most about this many pieces an edge (longer edges get longer pieces).
const MAX_PIECES: f64 = 8.0;

/// Writes an edge's line. A long one is a group of paths, each a piece of the same curve: a browser
/// rasterises a path whole, dashes and all, wherever any of it shows, and with a thousand edges
/// tens of thousands of pixels long (a stage that copies from a thousand others) one screen of a
/// changed drawing took Chromium 4 s. Each piece's `stroke-dashoffset` is the length drawn
/// before it, so that the dashes run on across the joins.
fn push_line(out: &mut String, route: &Route) {
    let n = route.points.len();
    // Most edges are short: their control polygons, never shorter than the curves, say so.
    let mut polygon = 0.0;
    for i in 1..n {
        let (p, s) = route_seg(route, i);
        polygon += dist(p, s.c[0]) + dist(s.c[0], s.c[1]) + dist(s.c[1], s.to);
    }
    let segs: Vec<(Point, Seg, f64)> = if polygon > PIECE {
        (1..n)
            .map(|i| {
                let (p, s) = route_seg(route, i);
                (p, s, seg_len(p, &s))
            })
            .collect()
    } else {
        Vec::new()
    };
    let total: f64 = segs.iter().map(|s| s.2).sum();
    if total <= PIECE {
        out.push_str("<path class=\"line\" d=\"");
        push_path_data(out, route);
        out.push_str("\"/>");
        return;
    }
    let max = (total / MAX_PIECES).max(PIECE);
    // Whether a piece is open, the length drawn before it, and its own.
    let (mut open, mut offset, mut len) = (false, 0.0, 0.0);
    // Where a vertical run written as one line will end (it may go on through several layers).
    let mut run: Option<Point> = None;
    // The pieces inherit the line's style from their group.
    out.push_str("<g class=\"line\">");
    for &(mut p, mut rest, whole) in &segs {
        let straight = rest.c == [p; 2];
        // Cut into `k` parts of about the same length (a curve's speed varies with t).
        let k = (whole / max).ceil().max(1.0);
        for j in (1..=k as usize).rev() {
            let (part, after) = split(p, &rest, 1.0 / j as f64);
            let part_len = if k == 1.0 { whole } else { seg_len(p, &part) };
            if open && len + part_len > max {
                end_piece(out, &mut run);
                open = false;
                offset += len;
                len = 0.0;
            }
            if !open {
                // Each piece's dashes start as far into the pattern as the line has gone.
                out.push_str("<path stroke-dashoffset=\"");
                push_tenth(out, offset);
                out.push_str("\" d=\"");
                push_tenths(out, 'M', p);
                open = true;
            }
            if straight && part.to.x == p.x {
                run = Some(part.to);
            } else {
                if let Some(end) = run.take() {
                    push_tenths(out, 'L', end);
                }
                if straight {
                    push_tenths(out, 'L', part.to);
                } else {
                    push_tenths(out, 'C', part.c[0]);
                    push_tenths(out, ' ', part.c[1]);
                    push_tenths(out, ' ', part.to);
                }
            }
            len += part_len;
            p = part.to;
            rest = after;
        }
    }
    end_piece(out, &mut run);
    out.push_str("</g>");
}

/// Ends the piece being written, with the vertical run it ends with.
fn end_piece(out: &mut String, run: &mut Option<Point>) {
    if let Some(end) = run.take() {
        push_tenths(out, 'L', end);
    }
    out.push_str("\"/>");
}

/// Writes a point to a tenth of a pixel (the pieces of a curve end between whole pixels).
fn push_tenths(out: &mut String, cmd: char, p: Point) {
    out.push(cmd);
    push_tenth(out, p.x);
    out.push(' ');
    push_tenth(out, p.y);
}

/// Writes a number to a tenth (no `-0`, no `.0`).
fn push_tenth(out: &mut String, v: f64) {
    // Half away from zero, as `round` (a library call on x86-64 and in wasm); NaN is 0.
    let t = (v * 10.0 + 0.5f64.copysign(v)) as i64;
    if t < 0 {
        out.push('-');
    }
    let t = t.unsigned_abs();
    push_uint(out, t / 10);
    if t % 10 != 0 {
        out.push('.');
        out.push(char::from(b'0' + (t % 10) as u8));
    }
}

const ARROW: f64 = 7.0;

/// Where the line stops so that the arrowhead ends at the border.
fn shorten(p: Point, q: Point, route: &Route) -> Point {
    if route.self_loop {
        return Point { x: q.x + ARROW, y: q.y };
    }
    let dir = if q.y >= p.y { 1.0 } else { -1.0 };
    Point { x: q.x, y: q.y - dir * (ARROW - 1.0) }
}

/// Writes the arrowhead at the end of a route.
fn push_arrow_data(d: &mut String, route: &Route) {
    let n = route.points.len();
    if n < 2 {
        return;
    }
    let (p, q) = (route.points[n - 2], route.points[n - 1]);
    let h = ARROW / 2.0 + 0.5;
    let corners = if route.self_loop {
        [(q.x + ARROW, q.y - h), (q.x + ARROW, q.y + h)]
    } else {
        let dir = if q.y >= p.y { 1.0 } else { -1.0 };
        let back = q.y - dir * ARROW;
        [(q.x - h, back), (q.x + h, back)]
    };
    push_point(d, 'M', q);
    for (x, y) in corners {
        push_point(d, 'L', Point { x, y });
    }
    d.push('Z');
}

/// Lays out and draws a document; [`TooLarge`] when its edges pass through too many layers.
pub fn render(doc: &Document, metrics: &Metrics, options: &LayoutOptions) -> Result<Rendered, TooLarge> {
    let mut sizes: Vec<Size> = Vec::with_capacity(doc.nodes.len());
    for n in &doc.nodes {
        sizes.push(metrics.node_size(n));
    }
    let edges: Vec<LayoutEdge> =
        doc.edges.iter().map(|e| LayoutEdge { source: e.source, target: e.target, bundle: e.bundle }).collect();
    let l = layout(&sizes, &edges, options)?;

    // The legend: entries in rows as wide as the graph (at least 520).
    let row_width = l.width.max(520.0) - 2.0 * options.margin;
    let mut legend = String::new();
    let (mut lx, mut ly) = (0.0, 0.0);
    let item_height = 20.0;
    let mut legend_width: f64 = 0.0;
    for item in &doc.legend {
        let (class, label, is_node) = match item {
            LegendItem::Node { class, label } => (class, label, true),
            LegendItem::Edge { class, label } => (class, label, false),
        };
        let w = 30.0 + 6.0 + text_cells(label) as f64 * 6.6 + 18.0;
        if lx > 0.0 && lx + w > row_width {
            lx = 0.0;
            ly += item_height;
        }
        if is_node {
            push_pieces(
                &mut legend,
                &[
                    Piece::Text("<g class=\"swatch "),
                    Piece::Escaped(class),
                    Piece::Text("\"><rect x=\""),
                    Piece::Num(lx),
                    Piece::Text("\" y=\""),
                    Piece::Num(ly + 1.0),
                    Piece::Text("\" width=\"30\" height=\"14\" rx=\"4\"/></g>"),
                ],
            );
        } else {
            push_pieces(
                &mut legend,
                &[
                    Piece::Text("<g class=\"swatch-edge "),
                    Piece::Escaped(class),
                    Piece::Text("\"><path class=\"line\" d=\"M"),
                    Piece::Num(lx),
                    Piece::Text(" "),
                    Piece::Num(ly + 8.0),
                    Piece::Text("H"),
                    Piece::Num(lx + 30.0),
                    Piece::Text("\"/></g>"),
                ],
            );
        }
        push_pieces(
            &mut legend,
            &[
                Piece::Text("<text class=\"legend-label\" x=\""),
                Piece::Num(lx + 36.0),
                Piece::Text("\" y=\""),
                Piece::Num(ly + 12.0),
                Piece::Text("\">"),
                Piece::Escaped(label),
                Piece::Text("</text>"),
            ],
        );
        lx += w;
        legend_width = legend_width.max(lx);
    }
    let legend_height = if doc.legend.is_empty() { 0.0 } else { ly + item_height + 8.0 };

    let dy = legend_height;
    let empty = doc.nodes.is_empty();
    let width = l.width.max(legend_width + 2.0 * options.margin).max(if empty { 320.0 } else { 0.0 });
    let height = l.height + dy + if empty { 24.0 } else { 0.0 };

    let mut out = String::with_capacity(512 + doc.nodes.len() * 400 + doc.edges.len() * 200);
    push_pieces(
        &mut out,
        &[
            Piece::Text("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\""),
            Piece::Escaped(&doc.class),
            Piece::Text("\" viewBox=\"0 0 "),
            Piece::Num(width),
            Piece::Text(" "),
            Piece::Num(height),
            Piece::Text("\" width=\""),
            Piece::Num(width),
            Piece::Text("\" height=\""),
            Piece::Num(height),
            Piece::Text("\" role=\"img\" aria-label=\""),
            Piece::Escaped(&doc.title),
            Piece::Text("\"><title>"),
            Piece::Escaped(&doc.title),
            Piece::Text("</title>"),
        ],
    );
    if !doc.css.is_empty() {
        // `]]>` cannot occur inside CDATA; style sheets have no reason to contain it.
        out.push_str("<style><![CDATA[");
        out.push_str(&doc.css.replace("]]>", "]] >"));
        out.push_str("]]></style>");
    }
    if !doc.legend.is_empty() {
        push_pieces(
            &mut out,
            &[
                Piece::Text("<g class=\"legend\" transform=\"translate("),
                Piece::Num(options.margin),
                Piece::Text(" "),
                Piece::Num(options.margin),
                Piece::Text(")\">"),
                Piece::Text(&legend),
                Piece::Text("</g>"),
            ],
        );
    }
    if empty && !doc.empty_note.is_empty() {
        push_pieces(
            &mut out,
            &[
                Piece::Text("<text class=\"empty-note\" x=\""),
                Piece::Num(options.margin),
                Piece::Text("\" y=\""),
                Piece::Num(dy + options.margin + 12.0),
                Piece::Text("\">"),
                Piece::Escaped(&doc.empty_note),
                Piece::Text("</text>"),
            ],
        );
    }
    push_pieces(
        &mut out,
        &[Piece::Text("<g class=\"graph\" transform=\"translate(0 "), Piece::Num(dy), Piece::Text(")\">")],
    );
    out.push_str("<g class=\"edges\">");
    for (e, route) in doc.edges.iter().zip(&l.edges) {
        if route.points.is_empty() {
            continue;
        }
        push_pieces(&mut out, &[Piece::Text("<g class=\"edge "), Piece::Escaped(&e.class), Piece::Text("\"")]);
        attrs(&mut out, &e.attrs);
        out.push('>');
        if !e.title.is_empty() {
            push_pieces(&mut out, &[Piece::Text("<title>"), Piece::Escaped(&e.title), Piece::Text("</title>")]);
        }
        push_line(&mut out, route);
        out.push_str("<path class=\"arrow\" d=\"");
        push_arrow_data(&mut out, route);
        out.push_str("\"/>");
        out.push_str("</g>");
    }
    out.push_str("</g><g class=\"nodes\">");
    for (node, r) in doc.nodes.iter().zip(&l.nodes) {
        push_pieces(&mut out, &[Piece::Text("<g class=\"node "), Piece::Escaped(&node.class), Piece::Text("\"")]);
        attrs(&mut out, &node.attrs);
        out.push('>');
        if !node.title.is_empty() {
            push_pieces(&mut out, &[Piece::Text("<title>"), Piece::Escaped(&node.title), Piece::Text("</title>")]);
        }
        push_pieces(
            &mut out,
            &[
                Piece::Text("<rect x=\""),
                Piece::Num(r.x),
                Piece::Text("\" y=\""),
                Piece::Num(r.y),
                Piece::Text("\" width=\""),
                Piece::Num(r.width),
                Piece::Text("\" height=\""),
                Piece::Num(r.height),
                Piece::Text("\" rx=\"6\"/>"),
            ],
        );
        let cx = r.center_x();
        for (i, line) in node.lines.iter().enumerate() {
            let baseline = r.y + metrics.padding_y + metrics.line_height * (i as f64 + 1.0) - 4.0;
            push_pieces(
                &mut out,
                &[
                    Piece::Text("<text class=\""),
                    Piece::Escaped(&line.class),
                    Piece::Text("\" x=\""),
                    Piece::Num(cx),
                    Piece::Text("\" y=\""),
                    Piece::Num(baseline),
                    Piece::Text("\" text-anchor=\"middle\">"),
                    Piece::Escaped(&truncate(&line.text, metrics.max_chars)),
                    Piece::Text("</text>"),
                ],
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</g></g></svg>");
    let boxes = l.nodes.iter().map(|r| Rect { y: r.y + dy, ..*r }).collect();
    Ok(Rendered { svg: out, boxes, size: (width, height), crossings: l.crossings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: f64) -> String {
        let mut out = String::new();
        push_num(&mut out, v);
        out
    }

    #[test]
    fn escaping_and_truncation() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;\u{FFFD}");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(text_cells("日本"), 4);
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(2.6), "3");
        assert_eq!(num(-12.04), "-12");
        assert_eq!(num(1234567.0), "1234567");
        assert_eq!(num(f64::NAN), "0");
    }

    fn doc(n: usize) -> Document {
        Document {
            class: "g".into(),
            title: "t".into(),
            css: ".g rect{fill:#fff}".into(),
            nodes: (0..n)
                .map(|i| Node {
                    lines: vec![
                        Line { text: format!("node-{i}"), class: "name".into() },
                        Line {
                            text: "a-rather-long-base-image-name:with-a-tag-that-is-long".into(),
                            class: "base".into(),
                        },
                    ],
                    title: format!("node {i}"),
                    class: "stage".into(),
                    attrs: vec![("data-stage".into(), i.to_string())],
                })
                .collect(),
            edges: (1..n).map(|i| Edge { source: i / 2, target: i, class: "copy".into(), ..Edge::default() }).collect(),
            legend: vec![LegendItem::Edge { class: "copy".into(), label: "COPY --from".into() }],
            empty_note: "empty".into(),
        }
    }

    #[test]
    fn labels_fit_in_their_boxes() {
        let m = Metrics::default();
        let r = render(&doc(10), &m, &LayoutOptions::default()).expect("drawn");
        for (node, b) in doc(10).nodes.iter().zip(&r.boxes) {
            for (i, line) in node.lines.iter().enumerate() {
                let cw = if i == 0 { m.title_char_width } else { m.char_width };
                let w = text_cells(&truncate(&line.text, m.max_chars)) as f64 * cw;
                assert!(w + 2.0 * m.padding_x <= b.width + 0.5, "{w} {b:?}");
            }
        }
        assert!(r.svg.contains("a-rather-long-base-image-name:wit…"));
        assert!(!r.svg.contains(" id="), "no ids: several drawings share a page");
    }

    #[test]
    fn empty_document_has_the_note() {
        let r = render(&doc(0), &Metrics::default(), &LayoutOptions::default()).expect("drawn");
        assert!(r.svg.contains(">empty</text>"));
        assert!(r.svg.starts_with("<svg "));
    }

    /// Points along SVG path data (M, L, V, C; absolute), `n` per segment.
    fn sample(d: &str, n: usize) -> Vec<Point> {
        let mut out = Vec::new();
        let mut cur = Point { x: 0.0, y: 0.0 };
        let mut cmds = d.split_inclusive(|c: char| c.is_ascii_alphabetic()).peekable();
        let mut letter = ' ';
        let mut pending: Vec<(char, Vec<f64>)> = Vec::new();
        for tok in cmds.by_ref() {
            let (body, next) = match tok.chars().last() {
                Some(c) if c.is_ascii_alphabetic() => (&tok[..tok.len() - 1], Some(c)),
                _ => (tok, None),
            };
            let nums: Vec<f64> = body.split([' ', ',']).filter(|t| !t.is_empty()).map(|t| t.parse().unwrap()).collect();
            if letter != ' ' {
                pending.push((letter, nums));
            }
            if let Some(c) = next {
                letter = c;
            }
        }
        for (letter, v) in pending {
            let seg = |t: f64, c: [Point; 4]| {
                let u = 1.0 - t;
                let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
                Point { x: (0..4).map(|i| w[i] * c[i].x).sum(), y: (0..4).map(|i| w[i] * c[i].y).sum() }
            };
            let pt = |i: usize| Point { x: v[i], y: v[i + 1] };
            let c = match letter {
                'M' => {
                    cur = pt(0);
                    out.push(cur);
                    continue;
                }
                'L' => [cur, cur, pt(0), pt(0)],
                'V' => [cur, cur, Point { x: cur.x, y: v[0] }, Point { x: cur.x, y: v[0] }],
                'C' => [cur, pt(0), pt(2), pt(4)],
                other => panic!("unexpected command {other} in {d}"),
            };
            for i in 1..=n {
                out.push(seg(i as f64 / n as f64, c));
            }
            cur = c[3];
        }
        out
    }

    /// The distance from `p` to the line segment `a`–`b`.
    fn to_segment(p: Point, a: Point, b: Point) -> f64 {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len2 = dx * dx + dy * dy;
        let t = if len2 == 0.0 { 0.0 } else { (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0) };
        (a.x + t * dx - p.x).hypot(a.y + t * dy - p.y)
    }

    fn polyline_len(pts: &[Point]) -> f64 {
        pts.windows(2).map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y)).sum()
    }

    #[test]
    fn long_edges_are_drawn_in_pieces_of_the_same_curve() {
        // Eighty stages side by side and one below that copies from each: the outer edges run
        // thousands of pixels sideways.
        let n = 80;
        let mut d = doc(n + 1);
        d.edges = (0..n).map(|i| Edge { source: i, target: n, class: "copy".into(), ..Edge::default() }).collect();
        let (split, whole) = check_pieces(&d);
        assert!(split >= 10 && whole >= 2, "{split} edges split, {whole} whole");
        // A chain of 150 and an edge from its first to its last: a vertical run through every
        // layer, written as one line within each piece.
        let n = 150;
        let mut d = doc(n);
        d.edges = (1..n).map(|i| Edge { source: i - 1, target: i, class: "from".into(), ..Edge::default() }).collect();
        d.edges.push(Edge { source: 0, target: n - 1, class: "copy".into(), ..Edge::default() });
        let (split, _) = check_pieces(&d);
        assert_eq!(split, 1);
        let r = render(&d, &Metrics::default(), &LayoutOptions::default()).expect("drawn");
        let long = r.svg.split("<g class=\"line\">").nth(1).expect("the long edge").split("</g>").next().unwrap();
        assert!(long.matches(['L', 'C']).count() <= 2 * long.matches("<path").count() + 2, "runs are merged: {long}");
    }

    #[test]
    fn lengths_of_segments() {
        let pt = |x: f64, y: f64| Point { x, y };
        let line = Seg { c: [pt(0.0, 0.0); 2], to: pt(3.0, 4.0) };
        assert_eq!(seg_len(pt(0.0, 0.0), &line), 5.0);
        // The usual cubic for a quarter circle of radius 100 (157.08 long): 157.10 long (a
        // 200,000-point polyline).
        let k = 55.228_474_983;
        let arc = Seg { c: [pt(100.0, k), pt(k, 100.0)], to: pt(0.0, 100.0) };
        let len = seg_len(pt(100.0, 0.0), &arc);
        assert!((len - 157.1017).abs() < 0.05, "{len}");
        // A straight segment is cut where the share of its length lies, into straight parts.
        let (a, b) = split(pt(0.0, 0.0), &line, 0.25);
        assert_eq!((a.to, a.c, b.c), (pt(0.75, 1.0), [pt(0.0, 0.0); 2], [pt(0.75, 1.0); 2]));
        // Coordinates that are not numbers end the halving (no endless recursion).
        assert!(seg_len(pt(f64::NAN, 0.0), &arc).is_nan());
        assert!(!seg_len(pt(f64::INFINITY, 0.0), &arc).is_finite());
    }

    /// Checks every edge of `d` drawn: a short one is one path, a long one pieces of the path it
    /// replaces. How many edges are drawn in pieces and how many whole.
    fn check_pieces(d: &Document) -> (usize, usize) {
        let m = Metrics::default();
        let options = LayoutOptions::default();
        let r = render(d, &m, &options).expect("drawn");
        let sizes: Vec<Size> = d.nodes.iter().map(|node| m.node_size(node)).collect();
        let edges: Vec<LayoutEdge> =
            d.edges.iter().map(|e| LayoutEdge { source: e.source, target: e.target, bundle: e.bundle }).collect();
        let l = layout(&sizes, &edges, &options).expect("laid out");
        let groups: Vec<&str> =
            r.svg.split("<g class=\"edge ").skip(1).map(|g| &g[..g.find("</g>").unwrap()]).collect();
        assert_eq!(groups.len(), d.edges.len());
        let (mut split, mut whole) = (0, 0);
        for (g, route) in groups.iter().zip(&l.edges) {
            let mut want = String::new();
            push_path_data(&mut want, route);
            let want = sample(&want, 400);
            let total = polyline_len(&want);
            // (offset, data) of each piece.
            let pieces: Vec<(f64, &str)> = g
                .split("<path")
                .skip(1)
                .filter(|p| !p.starts_with(" class=\"arrow\""))
                .map(|p| {
                    let offset = p
                        .split_once("stroke-dashoffset=\"")
                        .map_or(0.0, |(_, o)| o[..o.find('"').unwrap()].parse().unwrap());
                    let data = p.split_once(" d=\"").unwrap().1;
                    (offset, &data[..data.find('"').unwrap()])
                })
                .collect();
            if total <= PIECE {
                whole += 1;
                assert_eq!(pieces.len(), 1, "a short edge is one path: {g}");
                assert!(!g.contains("stroke-dashoffset"), "{g}");
                continue;
            }
            split += 1;
            assert!(
                g.contains("\"><g class=\"line\"><path stroke-dashoffset=\"0\" d=\"M"),
                "the pieces share the line's class: {g}"
            );
            let max = (total / MAX_PIECES).max(PIECE);
            assert!(pieces.len() >= (total / max).ceil() as usize, "{} pieces for {total}: {g}", pieces.len());
            assert!(pieces.len() <= MAX_PIECES as usize * 2, "{} pieces: {g}", pieces.len());
            let mut end = want[0];
            let (mut drawn, mut next_offset) = (0.0, 0.0);
            for (offset, data) in &pieces {
                let pts = sample(data, 200);
                let gap = (pts[0].x - end.x).hypot(pts[0].y - end.y);
                assert!(gap < 0.01, "a piece starts where the one before ended ({gap}): {g}");
                // The dashes run on across the join: each offset is the one before plus the
                // length of the piece before, to a fifth of a pixel.
                assert!((offset - next_offset).abs() <= 0.2, "offset {offset}, {next_offset} expected: {g}");
                let len = polyline_len(&pts);
                next_offset = offset + len;
                // Pieces are equal steps of t: a curve's speed varies (up to 1.5 times its mean).
                assert!(len <= max * 1.6, "a piece of {len} (about {max}): {g}");
                drawn += len;
                end = *pts.last().unwrap();
                // Every point of the piece is on the line as a whole path draws it.
                for p in pts.iter().step_by(7) {
                    let off = want.windows(2).map(|w| to_segment(*p, w[0], w[1])).fold(f64::INFINITY, f64::min);
                    assert!(off < 0.3, "{p:?} is {off} off the line: {g}");
                }
            }
            let last = want.last().unwrap();
            assert!((end.x - last.x).hypot(end.y - last.y) < 0.01, "the last piece ends at the arrowhead: {g}");
            assert!((drawn - total).abs() < total * 1e-3, "{drawn} drawn of {total}");
        }
        (split, whole)
    }
}
