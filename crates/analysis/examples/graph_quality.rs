//! Layout quality of the stage graphs of some Dockerfiles: drawing size, crossings, SVG bytes
//! and bends (curves an edge makes besides leaving its source and entering its target).
//! `cargo run --release -p stagecraft-analysis --example graph_quality -- FILE...`
//! (without files: the real-world corpus; `--each` prints every file).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let each = args.iter().any(|a| a == "--each");
    let mut files: Vec<(String, String)> = args
        .iter()
        .filter(|a| *a != "--each")
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"))))
        .collect();
    if files.is_empty() {
        files = stagecraft_testkit::real_world_files()
            .iter()
            .map(|p| (p.display().to_string(), stagecraft_testkit::read(p)))
            .collect();
    }
    let (mut bytes, mut bends, mut crossings, mut area, mut sideways) = (0usize, 0usize, 0usize, 0f64, 0f64);
    let mut in_pieces = 0;
    for (name, text) in &files {
        let a = stagecraft_analysis::analyze(text, &Default::default());
        let r = a.render_svg(&Default::default()).expect("drawn");
        let (b, side) = edge_bends(&r.svg);
        in_pieces += r.svg.matches("<g class=\"line\">").count();
        if each || files.len() <= 12 {
            println!(
                "{name}: {} bytes, {:.0}x{:.0}, {} crossings, {b} bends, {side:.0} px sideways",
                r.svg.len(),
                r.size.0,
                r.size.1,
                r.crossings
            );
        }
        bytes += r.svg.len();
        bends += b;
        sideways += side;
        crossings += r.crossings;
        area += r.size.0 * r.size.1;
    }
    println!(
        "{} files: {bytes} bytes, {bends} bends, {sideways:.0} px sideways, {crossings} crossings, {:.1} Mpx² drawing area",
        files.len(),
        area / 1e6
    );
    if in_pieces > 0 {
        println!("{in_pieces} edges drawn in pieces are not counted in the bends");
    }
}

/// Curves in the edge paths beyond the first and the last of each edge, and how far the edges
/// run sideways in all (the sum of each curve's horizontal distance). An edge longer than the
/// graph crate's `PIECE` is drawn as a group of pieces (`<g class="line">`) and is not counted
/// (`main` says how many; no file of the corpus has one).
fn edge_bends(svg: &str) -> (usize, f64) {
    let (mut bends, mut sideways) = (0, 0.0);
    for rest in svg.split("<path class=\"line\" d=\"").skip(1) {
        let d = &rest[..rest.find('"').unwrap_or(rest.len())];
        bends += d.matches('C').count().saturating_sub(2);
        // Commands are a letter and numbers: M x y, V y, L x y, C x1 y1 x2 y2 x y.
        let mut x = 0.0;
        let mut letter = ' ';
        let mut nums: Vec<f64> = Vec::new();
        let mut flush = |letter: char, nums: &[f64], x: &mut f64| match letter {
            'M' | 'L' if nums.len() >= 2 => *x = nums[0],
            'C' if nums.len() >= 6 => {
                sideways += (nums[4] - *x).abs();
                *x = nums[4];
            }
            _ => {}
        };
        for token in d.split_inclusive(|c: char| c.is_ascii_alphabetic()) {
            let (body, next) = match token.chars().last() {
                Some(c) if c.is_ascii_alphabetic() => (&token[..token.len() - 1], Some(c)),
                _ => (token, None),
            };
            nums.extend(body.split([' ', ',']).filter_map(|n| n.parse::<f64>().ok()));
            if let Some(c) = next {
                flush(letter, &nums, &mut x);
                letter = c;
                nums.clear();
            }
        }
        flush(letter, &nums, &mut x);
    }
    (bends, sideways)
}
