//! Page faults and time of each phase (parse, analysis) of the first analysis of the generated
//! big file in a fresh process, where fresh memory costs most on this VM (see the README's
//! language-server section). With an argument, the parse runs on one thread.
//! `cargo build --profile bench -p stagecraft-analysis --example faults`, then run it a few times.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn minflt() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
    f[7].parse().unwrap()
}

fn main() {
    let big = stagecraft_testkit::bench::big_file();
    let options = stagecraft_analysis::Options::default();
    let one = std::env::args().nth(1).is_some();
    let f0 = minflt();
    let t0 = std::time::Instant::now();
    let p = if one { stagecraft_syntax::parse_on_two_threads(&big, big.len()) } else { stagecraft_syntax::parse(&big) };
    let f1 = minflt();
    let t1 = std::time::Instant::now();
    let a = stagecraft_analysis::analyze_parsed(&big, p, &options);
    let f2 = minflt();
    println!(
        "parse {} faults {:?}; analysis {} faults {:?}; {} diags",
        f1 - f0,
        t1 - t0,
        f2 - f1,
        t1.elapsed(),
        a.diagnostics().len()
    );
}
