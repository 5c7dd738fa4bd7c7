//! Test support shared by stagecraft's crates: where the corpus lives, the BuildKit parser
//! cases, the oracle JSON BuildKit produced, and snapshot files.
//!
//! The corpus is read from `$STAGECRAFT_SHARED/corpus`, or from `../shared/corpus` next to the
//! repository. Tests fail with a clear message when it is missing: a silent skip would hide that
//! nothing was checked.

use std::path::{Path, PathBuf};

pub use serde_json::{self, Value};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root exists")
}

/// The read-only shared inputs (`corpus/`, `bench/`).
pub fn shared_dir() -> PathBuf {
    let dir = match std::env::var_os("STAGECRAFT_SHARED") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("../shared"),
    };
    assert!(
        dir.join("corpus").is_dir(),
        "the shared corpus is missing at {}; set STAGECRAFT_SHARED to the folder holding corpus/",
        dir.display()
    );
    dir
}

/// `shared/corpus`.
pub fn corpus_dir() -> PathBuf {
    shared_dir().join("corpus")
}

/// One of BuildKit's parser cases: a Dockerfile and, when it parses, BuildKit's dump.
#[derive(Debug, Clone)]
pub struct ParserCase {
    /// Path relative to `corpus/buildkit-parser`, e.g. `inline/foo__L12`.
    pub name: String,
    /// The Dockerfile.
    pub dockerfile: PathBuf,
    /// BuildKit's `AST.Dump()` + newline, if the case parses.
    pub result: Option<PathBuf>,
}

/// Every case under `corpus/buildkit-parser`, sorted by name.
pub fn parser_cases() -> Vec<ParserCase> {
    let root = corpus_dir().join("buildkit-parser");
    let mut out = Vec::new();
    walk(&root, &mut |dir| {
        let dockerfile = dir.join("Dockerfile");
        if dockerfile.is_file() {
            let result = dir.join("result");
            let name = dir.strip_prefix(&root).unwrap_or(dir).to_string_lossy().into_owned();
            out.push(ParserCase { name, dockerfile, result: result.is_file().then_some(result) });
        }
    });
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    f(dir);
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for e in entries {
        walk(&e, f);
    }
}

/// Every real-world Dockerfile, sorted.
pub fn real_world_files() -> Vec<PathBuf> {
    let dir = corpus_dir().join("real-world");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "INDEX.tsv"))
        .collect();
    out.sort();
    out
}

/// Every corpus Dockerfile with a name for messages: the buildkit-parser cases (by case name),
/// then the real-world files (by path).
pub fn corpus_texts() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = parser_cases().into_iter().map(|c| (c.name, read(&c.dockerfile))).collect();
    files.extend(real_world_files().into_iter().map(|p| (p.display().to_string(), read(&p))));
    files
}

/// An oracle record: the JSON BuildKit's own packages produced for one Dockerfile.
#[derive(Debug, Clone)]
pub struct Oracle {
    /// The Dockerfile it describes.
    pub dockerfile: PathBuf,
    /// Short name for messages (`real-world/...` or `buildkit-parser/...`).
    pub name: String,
    /// The JSON.
    pub json: Value,
}

/// Every oracle record with the Dockerfile it describes, sorted by name.
pub fn oracles() -> Vec<Oracle> {
    let corpus = corpus_dir();
    let dir = corpus.join("oracle");
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
        let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: bad JSON: {e}", f.display()));
        let name = json["file"].as_str().unwrap_or_default().to_string();
        let mut dockerfile = corpus.join(&name);
        if dockerfile.is_dir() {
            dockerfile = dockerfile.join("Dockerfile");
        }
        assert!(dockerfile.is_file(), "oracle {} names a missing file {}", f.display(), dockerfile.display());
        out.push(Oracle { dockerfile, name, json });
    }
    out
}

/// Reads a file the corpus promises is UTF-8.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Compares `actual` with the snapshot at `path`; with `UPDATE_SNAPSHOTS=1` writes it instead.
/// Returns a description of the mismatch, if any, so callers can report all at once.
pub fn check_snapshot(path: &Path, actual: &str) -> Result<(), String> {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, actual).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return Ok(());
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected == actual {
        return Ok(());
    }
    let first_diff = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
    Err(format!(
        "{} differs from the snapshot at line {} (rerun with UPDATE_SNAPSHOTS=1 and review the diff)\n  expected: {:?}\n  actual:   {:?}",
        path.display(),
        first_diff + 1,
        expected.lines().nth(first_diff).unwrap_or("<missing>"),
        actual.lines().nth(first_diff).unwrap_or("<missing>"),
    ))
}

/// A directory of its own under the system's temporary one for a test (the name and the
/// process id keep tests apart), removed when dropped, also when the test fails.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("stagecraft-test-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }

    /// Writes `text` to the file `name` in it; its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `go run main.go ARGS...` in `tools/<tool>` through `tools/go-trixie.sh run` (the Go and
/// BuildKit's libraries it unpacks from Debian 13, in GOPATH mode), with `input` on its standard
/// input, and returns its standard output: the Go differentials' way of asking BuildKit's code
/// (or Go's standard library) what it makes of their inputs. What the script and Go say on
/// their standard error (a first run's download, a build error) reaches the test's.
pub fn go_run(tool: &str, args: &[&str], input: String) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let root = workspace_root();
    let mut child = Command::new(root.join("tools/go-trixie.sh"))
        .arg("run")
        .arg(root.join("tools").join(tool))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("tools/go-trixie.sh runs tools/{tool}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    // (A Go that fails to build stops reading: its status says so below, not a broken pipe.)
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success(), "tools/{tool} failed ({}): see its message above", output.status);
    String::from_utf8(output.stdout).unwrap()
}

/// [`go_run`] with one JSON value per line each way: `inputs` in, one answer per input out.
pub fn go_lines(tool: &str, args: &[&str], inputs: &[Value]) -> Vec<Value> {
    let input: String = inputs.iter().map(|s| format!("{}\n", serde_json::to_string(s).unwrap())).collect();
    let answers: Vec<Value> = go_run(tool, args, input).lines().map(parse_json).collect();
    assert_eq!(answers.len(), inputs.len(), "tools/{tool} answered every input");
    answers
}

/// Fails, listing the first 30, when a differential found inputs where stagecraft and the
/// oracle differ (`differ`: one line each, out of `total` inputs).
pub fn assert_none_differ(differ: &[String], total: usize) {
    assert!(differ.is_empty(), "{} of {total} differ:\n{}", differ.len(), differ[..differ.len().min(30)].join("\n"));
}

/// Parses one JSON document (for tests with their own data files).
pub fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON: {e}: {text}"))
}

/// Benchmark helpers: the generated big Dockerfile and a median timer.
/// A small deterministic generator (xorshift64), so that random tests and benchmarks reproduce.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces of Dockerfile-ish text that move line structure around: continuations with both
/// escape characters, heredocs, comments, directives, CRLF, a BOM, unknown words.
pub const DOCKERFILE_PIECES: &[&str] = &[
    "FROM a AS b\n",
    "FROM b\n",
    "RUN x \\\n",
    "RUN x `\n",
    "  y\n",
    "\n",
    "# c\n",
    "# escape=`\n",
    "# syntax=x\n",
    "RUN <<EOF\n",
    "RUN <<-A <<\"B\" cat\n",
    "EOF\n",
    "\tA\n",
    "B\n",
    "COPY --from=b /x /y\n",
    "ENV a=1 \\\n",
    "\r\n",
    "ONBUILD RUN <<E\n",
    "E",
    "\u{feff}",
    "xxxxxxx",
];

/// A random text of up to `max_pieces` pieces (see [`DOCKERFILE_PIECES`]).
pub fn random_dockerfile(rng: &mut Rng, max_pieces: usize) -> String {
    (0..rng.below(max_pieces)).map(|_| DOCKERFILE_PIECES[rng.below(DOCKERFILE_PIECES.len())]).collect()
}

pub mod bench {
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// The 10,021-line, 501-stage file from `../shared/bench/gen_big.py --stages 500`, generated
    /// into `target/bench-data/` on first use.
    pub fn big_file() -> String {
        let out = super::workspace_root().join("target/bench-data/big.Dockerfile");
        if !out.exists() {
            generate(&out);
        }
        super::read(&out)
    }

    fn generate(out: &Path) {
        std::fs::create_dir_all(out.parent().expect("a parent dir")).expect("target/bench-data is writable");
        let status = std::process::Command::new("python3")
            .arg(super::shared_dir().join("bench/gen_big.py"))
            .args(["--stages", "500", "-o"])
            .arg(out)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("python3 runs gen_big.py");
        assert!(status.success(), "gen_big.py failed");
    }

    /// Median time of `f` over runs lasting at least `budget` (and at least 10 runs). What `f`
    /// returns is dropped outside the timed region.
    pub fn measure<T>(budget: Duration, mut f: impl FnMut() -> T) -> Duration {
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

    /// Prints one result line.
    pub fn report(name: &str, bytes: usize, t: Duration) {
        let mbs = bytes as f64 / t.as_secs_f64() / 1e6;
        println!("{name:<44} {bytes:>9} bytes  {:>9.3} ms  {mbs:>8.1} MB/s", t.as_secs_f64() * 1e3);
    }
}

/// A chain of `n` stages: `FROM alpine AS c0`, then each `FROM` the one before (`c1`, `c2`,
/// ...), each followed by the lines `body` (empty, or e.g. `COPY --from=c0 /a /a\n`).
pub fn stage_chain(n: usize, body: &str) -> String {
    let mut text = String::from("FROM alpine AS c0\n");
    for i in 1..n {
        text.push_str(&format!("FROM c{} AS c{i}\n{body}", i - 1));
    }
    text
}
