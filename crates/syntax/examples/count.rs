//! Parses a file N times (for profilers): `cargo run --release --example count FILE [N]`.
fn main() {
    let mut args = std::env::args().skip(1);
    let text = std::fs::read_to_string(args.next().expect("FILE")).expect("readable file");
    let n: usize = args.next().map_or(1, |n| n.parse().expect("a number"));
    let mut errors = 0;
    for _ in 0..n {
        errors = stagecraft_syntax::parse(&text).errors().len();
    }
    println!("{errors} syntax errors");
}
