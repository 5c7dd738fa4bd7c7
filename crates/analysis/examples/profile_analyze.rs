//! Runs the analysis of the generated big file in a loop, for a profiler.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let big = stagecraft_testkit::bench::big_file();
    let options = stagecraft_analysis::Options::default();
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    for _ in 0..n {
        std::hint::black_box(stagecraft_analysis::analyze(&big, &options));
    }
}
