//! Parse throughput: the generated 500-stage file and the real-world corpus.
//! `cargo bench -p stagecraft-syntax --bench parse`.

use std::time::Duration;

use stagecraft_testkit::bench::{big_file, measure, report};

fn main() {
    let budget = Duration::from_secs(3);
    let big = big_file();
    let t = measure(budget, || std::hint::black_box(stagecraft_syntax::parse(std::hint::black_box(&big))));
    report("parse big.Dockerfile (500 stages)", big.len(), t);

    let files: Vec<String> =
        stagecraft_testkit::real_world_files().iter().map(|p| stagecraft_testkit::read(p)).collect();
    let total: usize = files.iter().map(String::len).sum();
    let t = measure(budget, || {
        files
            .iter()
            .map(|f| std::hint::black_box(stagecraft_syntax::parse(std::hint::black_box(f))))
            .collect::<Vec<_>>()
    });
    report(&format!("parse real-world corpus ({} files)", files.len()), total, t);
}
