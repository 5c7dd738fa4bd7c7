//! One analysis of the generated big file with the system allocator, for heap profilers
//! (`valgrind --tool=dhat`), which do not see mimalloc's allocations.
fn main() {
    let big = stagecraft_testkit::bench::big_file();
    let options = stagecraft_analysis::Options::default();
    let p = stagecraft_syntax::parse(&big);
    std::hint::black_box(stagecraft_analysis::analyze_parsed(&big, p, &options));
}
