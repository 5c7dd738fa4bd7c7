//! Full analysis (parse, stage model, diagnostics) of the generated 500-stage file and of the
//! real-world corpus, plus the queries an editor asks per keystroke.
//! `cargo bench -p stagecraft-analysis --bench analyze`.

use std::time::Duration;

// The allocator the `stagecraft` binary ships with, so that figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use stagecraft_analysis::{analyze, Options, TextSize};
use stagecraft_testkit::bench::{big_file, measure, report};

fn main() {
    let budget = Duration::from_secs(3);
    let options = Options::default();
    let big = big_file();
    let t = measure(budget, || analyze(std::hint::black_box(&big), &options));
    report("analyze big.Dockerfile (500 stages)", big.len(), t);

    let parse = measure(budget, || stagecraft_syntax::parse(&big));
    report("  of which parse", big.len(), parse);

    let a = analyze(&big, &options);
    let t = measure(budget, || a.to_svg(&stagecraft_analysis::SvgOptions::default()).expect("drawn"));
    report("  stage graph SVG (layout + writing)", 0, t);
    let hot = big.find("COPY --from=stage0 ").map(|i| i + "COPY --from=".len()).unwrap_or(0);
    let at = TextSize::new(hot as u32 + 2);
    let t = measure(Duration::from_secs(1), || a.definition(at));
    report("  definition on a COPY --from", 0, t);
    let t = measure(Duration::from_secs(1), || a.references_at(at));
    report("  references of the most used stage", 0, t);
    let t = measure(Duration::from_secs(1), || a.rename(at, "renamed"));
    report("  rename of the most used stage", 0, t);
    // The big file as generated, and a copy in lower case with ragged indentation.
    let options_fmt = stagecraft_analysis::format::FormatOptions::default();
    let ragged = big.replace("FROM ", "from ").replace("\n    ", "\n  ").replace("\nRUN ", "\nrun   ");
    for (what, analysis) in [("as generated", &a), ("a ragged copy", &analyze(&ragged, &options))] {
        let edits = analysis.format(&options_fmt).map(|e| e.len()).unwrap_or_default();
        let t = measure(budget, || analysis.format(&options_fmt));
        report(&format!("  format ({what}: {edits} edits)"), analysis.text().len(), t);
    }

    let files: Vec<String> =
        stagecraft_testkit::real_world_files().iter().map(|p| stagecraft_testkit::read(p)).collect();
    let total: usize = files.iter().map(String::len).sum();
    let t = measure(budget, || files.iter().map(|f| analyze(f, &options)).collect::<Vec<_>>());
    report(&format!("analyze real-world corpus ({} files)", files.len()), total, t);
}
