//! Parse throughput: the generated 500-stage file and the real-world corpus.
//!
//! `cargo bench -p stagecraft-syntax --bench parse` (set STAGECRAFT_CORPUS to override the
//! corpus location). The big file is generated with ../shared/bench/gen_big.py.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn shared_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    match std::env::var_os("STAGECRAFT_SHARED") {
        Some(p) => PathBuf::from(p),
        None => root.join("../shared"),
    }
}

fn big_file() -> String {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data/big.Dockerfile");
    if !out.exists() {
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let status = std::process::Command::new("python3")
            .arg(shared_dir().join("bench/gen_big.py"))
            .args(["--stages", "500", "-o"])
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("python3 runs gen_big.py");
        assert!(status.success(), "gen_big.py failed");
    }
    std::fs::read_to_string(out).unwrap()
}

/// Median time of `f` over runs lasting at least `budget` in total. What `f` returns is dropped
/// outside the timed region (building a tree is measured, freeing it is not).
fn measure<T>(budget: Duration, mut f: impl FnMut() -> T) -> Duration {
    drop(f());
    let mut times = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || times.len() < 10 {
        let t = Instant::now();
        let out = f();
        times.push(t.elapsed());
        drop(out);
    }
    times.sort();
    times[times.len() / 2]
}

fn report(name: &str, bytes: usize, t: Duration) {
    let mbs = bytes as f64 / t.as_secs_f64() / 1e6;
    println!("{name:<40} {bytes:>9} bytes  {:>9.3} ms  {mbs:>8.1} MB/s", t.as_secs_f64() * 1e3);
}

fn main() {
    let budget = Duration::from_secs(3);
    let big = big_file();
    let t = measure(budget, || std::hint::black_box(stagecraft_syntax::parse(std::hint::black_box(&big))));
    report("parse big.Dockerfile (500 stages)", big.len(), t);

    let corpus = shared_dir().join("corpus/real-world");
    let mut files: Vec<String> = std::fs::read_dir(&corpus)
        .expect("the real-world corpus is readable")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "INDEX.tsv")
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    files.sort();
    let total: usize = files.iter().map(String::len).sum();
    let t = measure(budget, || {
        files
            .iter()
            .map(|f| std::hint::black_box(stagecraft_syntax::parse(std::hint::black_box(f))))
            .collect::<Vec<_>>()
    });
    report(&format!("parse real-world corpus ({} files)", files.len()), total, t);
}
