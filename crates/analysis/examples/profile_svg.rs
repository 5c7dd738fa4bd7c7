//! Draws the stage graph of the generated big file in a loop, for a profiler.
fn main() {
    let big = stagecraft_testkit::bench::big_file();
    let a = stagecraft_analysis::analyze(&big, &stagecraft_analysis::Options::default());
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    for _ in 0..n {
        std::hint::black_box(a.to_svg(&stagecraft_analysis::SvgOptions::default()).expect("drawn"));
    }
}
