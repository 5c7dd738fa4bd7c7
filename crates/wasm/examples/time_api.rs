//! Times the browser API natively on the generated big file (what the wasm does, minus wasm).
use std::time::Instant;

fn main() {
    let big = std::fs::read_to_string("target/bench-data/big.Dockerfile").expect("run gen_big first");
    for i in 0..5 {
        let text = format!("{big}\n# {i}\n");
        let t0 = Instant::now();
        let a = stagecraft_analysis::analyze(&text, &Default::default());
        let t1 = Instant::now();
        let s = stagecraft_wasm::api::analyze(&text, &Default::default());
        let t2 = Instant::now();
        let svg = stagecraft_wasm::api::render_svg(&text, None, &Default::default()).unwrap();
        let t4 = Instant::now();
        println!(
            "analysis {:.1} ms, api::analyze {:.1} ms (json {} KB), svg {:.1} ms ({} KB), stages {}",
            (t1 - t0).as_secs_f64() * 1e3,
            (t2 - t1).as_secs_f64() * 1e3,
            s.len() / 1024,
            (t4 - t2).as_secs_f64() * 1e3,
            svg.len() / 1024,
            a.stages().len()
        );
    }
}
