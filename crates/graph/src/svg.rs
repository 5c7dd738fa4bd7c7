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

/// A number for SVG: a whole number of pixels, no `-0`.
fn num(v: f64) -> String {
    let mut out = String::new();
    push_num(&mut out, v);
    out
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
            legend.push_str(&format!(
                "<g class=\"swatch {}\"><rect x=\"{}\" y=\"{}\" width=\"30\" height=\"14\" rx=\"4\"/></g>",
                escape(class),
                num(lx),
                num(ly + 1.0)
            ));
        } else {
            legend.push_str(&format!(
                "<g class=\"swatch-edge {}\"><path class=\"line\" d=\"M{} {}H{}\"/></g>",
                escape(class),
                num(lx),
                num(ly + 8.0),
                num(lx + 30.0)
            ));
        }
        legend.push_str(&format!(
            "<text class=\"legend-label\" x=\"{}\" y=\"{}\">{}</text>",
            num(lx + 36.0),
            num(ly + 12.0),
            escape(label)
        ));
        lx += w;
        legend_width = legend_width.max(lx);
    }
    let legend_height = if doc.legend.is_empty() { 0.0 } else { ly + item_height + 8.0 };

    let dy = legend_height;
    let empty = doc.nodes.is_empty();
    let width = l.width.max(legend_width + 2.0 * options.margin).max(if empty { 320.0 } else { 0.0 });
    let height = l.height + dy + if empty { 24.0 } else { 0.0 };

    let mut out = String::with_capacity(512 + doc.nodes.len() * 400 + doc.edges.len() * 200);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{}\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"{}\">",
        escape(&doc.class),
        num(width),
        num(height),
        num(width),
        num(height),
        escape(&doc.title)
    ));
    out.push_str(&format!("<title>{}</title>", escape(&doc.title)));
    if !doc.css.is_empty() {
        // `]]>` cannot occur inside CDATA; style sheets have no reason to contain it.
        out.push_str(&format!("<style><![CDATA[{}]]></style>", doc.css.replace("]]>", "]] >")));
    }
    if !doc.legend.is_empty() {
        out.push_str(&format!(
            "<g class=\"legend\" transform=\"translate({} {})\">{legend}</g>",
            num(options.margin),
            num(options.margin)
        ));
    }
    if empty && !doc.empty_note.is_empty() {
        out.push_str(&format!(
            "<text class=\"empty-note\" x=\"{}\" y=\"{}\">{}</text>",
            num(options.margin),
            num(dy + options.margin + 12.0),
            escape(&doc.empty_note)
        ));
    }
    out.push_str(&format!("<g class=\"graph\" transform=\"translate(0 {})\">", num(dy)));
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
        out.push_str("<path class=\"line\" d=\"");
        push_path_data(&mut out, route);
        out.push_str("\"/><path class=\"arrow\" d=\"");
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
}
