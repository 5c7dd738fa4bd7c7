//! Parse throughput: the generated 500-stage file (as `parse` does it, in two halves at once, and
//! on one thread) and the real-world corpus; and the
//! incremental reparse of one-line edits to the big file, beside a full parse in the same run.
//! `cargo bench -p stagecraft-syntax --bench parse`.

// The allocator the `stagecraft` binary ships with: the green tree is mostly allocation, and
// glibc's malloc gives figures that depend on what earlier benchmarks left in its heap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Duration;

use stagecraft_testkit::bench::{big_file, measure, report};

fn main() {
    let budget = Duration::from_secs(3);
    let big = big_file();
    let t = measure(budget, || std::hint::black_box(stagecraft_syntax::parse(std::hint::black_box(&big))));
    report("parse big.Dockerfile (500 stages)", big.len(), t);
    // The same on one thread (`parse` cuts a file this large in two halves).
    let t = measure(budget, || {
        std::hint::black_box(stagecraft_syntax::parse_on_two_threads(std::hint::black_box(&big), big.len()))
    });
    report("parse big.Dockerfile on one thread", big.len(), t);

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

    // One-line edits as an editor sends them: a comment appended at the end (what lspbench
    // does) and a flag typed into an instruction in the middle.
    let old = stagecraft_syntax::parse(&big);
    let middle = big[..big.len() / 2].rfind("\nRUN ").map_or(0, |i| i + 5);
    for (name, at, insert) in [("append a comment line", big.len(), "# edit\n"), ("type in the middle", middle, "-x ")]
    {
        let mut text = big.clone();
        text.insert_str(at, insert);
        let deleted = stagecraft_syntax::TextRange::empty(stagecraft_syntax::TextSize::new(at as u32));
        let inserted = stagecraft_syntax::TextSize::of(insert);
        let t = measure(budget, || std::hint::black_box(old.reparse(std::hint::black_box(&text), deleted, inserted)));
        report(&format!("reparse big.Dockerfile: {name}"), text.len(), t);
    }
}
