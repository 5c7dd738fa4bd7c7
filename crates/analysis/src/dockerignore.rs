//! The build context's ignore file (`.dockerignore`), read and matched as BuildKit does, for
//! the `CopyIgnoredFile` check.
//!
//! BuildKit reads the file with `moby/patternmatcher/ignorefile.ReadAll` (comment lines, blanks
//! trimmed, `!` exceptions, each pattern `filepath.Clean`ed and made relative), builds a
//! `patternmatcher.PatternMatcher` (which fails the build on a pattern `filepath.Match` rejects),
//! and asks `MatchesOrParentMatches` for each source a `COPY` or `ADD` takes from the build
//! context. A pattern is matched as patternmatcher does: an exact string, a `dir/**` prefix, a
//! `**/name` suffix, or otherwise the regular expression it translates the pattern into
//! (`*` is `[^/]*`, `?` is `[^/]`, `**/` is `(.*/)?`), which this module matches directly.
//!
//! That expression is read as Go's regexp reads it, also where patternmatcher did not mean it:
//! its table of characters to escape misses `|`, `{` and `}`, so a `|` is an alternation
//! (`*.log|` matches every path), and a pattern's last backslash escapes the `$` it appends.
//! Brackets are read as Go reads what patternmatcher writes there: a `*` or `?` inside them,
//! written `[^/]*` and `[^/]`, closes them early (`a[*]` is the class `[`, `^`, `/` repeated,
//! then `]`). Escapes and class names are Go's: characters (`\t`, `\x41`, `\x{e9}`, `\101`),
//! the ASCII Perl classes (`\d`, `\S`, `\w`) and the POSIX class names (`[:alpha:]`,
//! `[:^space:]`), and so are repetitions (`{2}`, `{1,}`, `{0,3}`: patternmatcher escapes no
//! brace), written out as copies of what they repeat (up to 20,000 in a file). Where
//! the meaning depends on the regular-expression engine beyond that (a Unicode class `\pL`, a
//! word boundary `\b`, the end `\z`, repetitions past that size), the pattern
//! matches nothing here: stagecraft would rather miss a warning than invent one.
//! Where Go refuses the expression, matching fails, as in BuildKit; a Unicode class whose name
//! Go does not know (`\pb`, `\p{Foo}`) is such an error, since the names are checked (the
//! classes are not reproduced).
//!
//! `tools/ignore_differential.py` checks all of this against BuildKit's own code
//! (patternmatcher 0.6.0 and Go 1.24, from Debian's archive).
//!
//! Nothing here is used by the analysis unless a caller reads an ignore file and passes it in
//! [`crate::Options::ignore`]; the browser build never does.

use std::path::{Path, PathBuf};

use stagecraft_syntax::go;

use crate::ContextIgnore;

/// An ignore file's patterns.
#[derive(Debug, Clone)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
    exclusions: bool,
    /// A pattern (no exception) is `*`, `**` or `**/*`: one that leaves out every entry of the
    /// context's root (`copySourceRootIgnored`).
    root_ignored: bool,
}

/// Why BuildKit rejects an ignore file (it then fails every build of the context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreFileError {
    /// 1-based line of the pattern.
    pub line: usize,
    /// BuildKit's message (`syntax error in pattern`, `illegal exclusion pattern: "!"`).
    pub message: String,
}

impl std::fmt::Display for IgnoreFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, Clone)]
struct Pattern {
    exclusion: bool,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// The path equals the pattern.
    Exact(String),
    /// `dir/**`: the path starts with `dir/`.
    Prefix(String),
    /// `**/name` (or `**name`): the path ends with the rest, or is `name`.
    Suffix(String),
    /// The translated expression, as the alternatives a `|` in it makes (one, almost always):
    /// it matches where one of them does.
    Expr(Vec<Alt>),
    /// An expression this module does not reproduce: matches nothing.
    Unsupported,
    /// An expression Go's regexp package rejects (a reversed range, an unclosed bracket, an
    /// escape it does not know, a repetition where none can be): matching fails, and BuildKit
    /// warns of nothing for the path.
    Invalid,
}

/// One alternative of an expression. patternmatcher escapes neither `|` nor `{}` (its table
/// of characters to escape holds them in bits a byte does not have), so Go's regexp reads a `|`
/// as an alternation between `^first`, the middle ones and `last$`, which `MatchString` looks
/// for anywhere in the path: `a*|` matches every path (its second alternative is `$`).
#[derive(Debug, Clone)]
struct Alt {
    toks: Vec<Tok>,
    /// The longest run of literal characters: a path without it cannot match, which a search
    /// of the path says far faster than the automaton (1,000 patterns `**/dirN/**/*.tmp`
    /// against 1,000 sources: 0.81 s to check in a release build, the automaton run for every
    /// pair).
    needle: String,
    /// Matches only at the path's start (`^`): the first alternative.
    start: bool,
    /// Matches only at the path's end (`$`): the last alternative, unless the pattern ends in
    /// a backslash, which escapes the `$` patternmatcher appends (`a*\` is `^a[^/]*\$`: a
    /// literal `$`, anywhere after the start).
    end: bool,
}

impl Alt {
    fn matches(&self, path: &str, prefixes: bool) -> bool {
        path.contains(self.needle.as_str()) && expr_matches(self, path, prefixes)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// `|` outside brackets: where one alternative ends and the next begins (only while
    /// compiling).
    Or,
    Lit(char),
    /// `[^/]`
    NotSep,
    /// `[^/]*`
    NotSeps,
    /// `(.*/)?`
    Dirs,
    /// `.*`
    Any,
    /// `^` in the middle of the expression: matches only at the start.
    Start,
    /// A bracket expression.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    /// A character token (`Lit`, `NotSep` or `Class`) that may be left out: what a repetition
    /// `{n,m}` repeats past its `n`th time.
    Opt(Box<Tok>),
    /// A character token any number of times: what `{n,}` repeats past its `n`th time, and a
    /// bracket expression that holds a `*`, which patternmatcher writes repeated (`[a*]` is
    /// `[a[^/]*]`: the class `a`, `[`, `^`, `/`, any number of times, then `]`).
    Many(Box<Tok>),
}

impl Tok {
    /// Whether a character token (`Lit`, `NotSep`, `Class`) matches `ch`.
    fn takes(&self, ch: char) -> bool {
        match self {
            Tok::Lit(c) => ch == *c,
            Tok::NotSep => ch != '/',
            Tok::Class { negated, ranges } => ranges.iter().any(|&(lo, hi)| lo <= ch && ch <= hi) != *negated,
            _ => false,
        }
    }
}

/// The longest line `ignorefile.ReadAll` reads, in bytes (a trailing CR counts, the LF does
/// not): it reads with a `bufio.Scanner`, whose buffer stops growing at 64 KiB, and a line that
/// fills the buffer fails the whole file ("bufio.Scanner: token too long"), comment or not.
pub const MAX_LINE_BYTES: usize = 64 * 1024 - 1;

/// BuildKit's message for a line longer than [`MAX_LINE_BYTES`].
const TOO_LONG: &str = "bufio.Scanner: token too long";

impl DockerIgnore {
    /// Reads an ignore file's text as `ignorefile.ReadAll` and `patternmatcher.New` do.
    pub fn parse(text: &str) -> Result<DockerIgnore, IgnoreFileError> {
        Self::check_line_lengths(text.as_bytes())?;
        Self::parse_lines(text)
    }

    /// [`DockerIgnore::parse`] for the file's bytes: lines are measured in those bytes (as
    /// BuildKit reads them), a byte that is no UTF-8 inside brackets fails the syntax check
    /// (Go's `getEsc`), and everything else reads such a byte as U+FFFD (as patternmatcher's
    /// expression does; a path, read from a Dockerfile stagecraft decodes so, compares equal).
    pub fn parse_bytes(bytes: &[u8]) -> Result<DockerIgnore, IgnoreFileError> {
        Self::check_line_lengths(bytes)?;
        Self::parse_lines(&keeping_bad_bytes(bytes))
    }

    /// `ReadAll` reads every line before `New` sees a pattern, so a line too long fails the
    /// file before any pattern's syntax is looked at, wherever it is.
    fn check_line_lengths(bytes: &[u8]) -> Result<(), IgnoreFileError> {
        match bytes.split(|&b| b == b'\n').position(|line| line.len() > MAX_LINE_BYTES) {
            Some(n) => Err(IgnoreFileError { line: n + 1, message: TOO_LONG.to_string() }),
            None => Ok(()),
        }
    }

    fn parse_lines(text: &str) -> Result<DockerIgnore, IgnoreFileError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        let (mut exclusions, mut root_ignored) = (false, false);
        let mut budget = REPETITION_BUDGET;
        for (n, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            // ReadAll: comments (before trimming), blanks, `!`, Clean, relative.
            if line.starts_with('#') {
                continue;
            }
            let mut p = line.trim();
            if p.is_empty() {
                continue;
            }
            let invert = p.starts_with('!');
            if invert {
                p = p[1..].trim();
            }
            let mut cleaned = if p.is_empty() { String::new() } else { clean(p) };
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            let read = if invert { format!("!{cleaned}") } else { cleaned };
            // New: trimmed (what is left may be nothing: `/ /` reads as a blank) and cleaned
            // again, then `!` and the syntax check.
            if read.trim().is_empty() {
                continue;
            }
            let p = clean(read.trim());
            let error = |message: &str| IgnoreFileError { line: n + 1, message: message.to_string() };
            let (exclusion, p) = match p.strip_prefix('!') {
                Some("") => return Err(error("illegal exclusion pattern: \"!\"")),
                Some(rest) => (true, rest.to_string()),
                None => (false, p),
            };
            if filepath_match(p.as_bytes(), b".").is_err() {
                return Err(error("syntax error in pattern"));
            }
            let p = if p.chars().any(|c| BAD_BYTES.contains(&u32::from(c))) {
                p.chars().map(|c| if BAD_BYTES.contains(&u32::from(c)) { '\u{fffd}' } else { c }).collect()
            } else {
                p
            };
            exclusions |= exclusion;
            root_ignored |= !exclusion && matches!(p.as_str(), "*" | "**" | "**/*");
            patterns.push(Pattern { exclusion, kind: compile(&p, &mut budget) });
        }
        Ok(DockerIgnore { patterns, exclusions, root_ignored })
    }

    /// `MatchesOrParentMatches` for a slash-separated path; `None` when a pattern cannot be
    /// matched (patternmatcher returns its error, and BuildKit then warns of nothing).
    pub fn matches_or_parent_matches(&self, file: &str) -> Option<bool> {
        let parent = dir(file);
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            // The parent directories are tried shortest first; an error there counts as no
            // match (patternmatcher ignores it).
            let hit = p.kind.matches(file)? || (parent != "." && p.kind.matches_a_parent(&parent));
            if hit {
                matched = !p.exclusion;
            }
        }
        Some(matched)
    }
}

/// The ignore file BuildKit reads for the Dockerfile at `dockerfile`: `<name>.dockerignore`
/// beside it, else `.dockerignore` at the root of the build context (`context`, or the
/// Dockerfile's directory when none is given). `None` when neither exists.
pub fn ignore_file_for(dockerfile: &Path, context: Option<&Path>) -> Option<PathBuf> {
    if let Some(name) = dockerfile.file_name() {
        let mut specific = name.to_os_string();
        specific.push(".dockerignore");
        let specific = dockerfile.with_file_name(specific);
        if specific.is_file() {
            return Some(specific);
        }
    }
    let dir = match context {
        Some(c) => c.to_path_buf(),
        None => match dockerfile.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    context_ignore_file(&dir)
}

/// The `.dockerignore` at the root of the build context `dir`, if there is one: what BuildKit
/// reads for a Dockerfile that has no ignore file of its own (one given on stdin, say).
pub fn context_ignore_file(dir: &Path) -> Option<PathBuf> {
    let root = dir.join(".dockerignore");
    root.is_file().then_some(root)
}

/// Reads and parses the ignore file for `dockerfile` (see [`ignore_file_for`]): `Ok(None)`
/// when there is none.
pub fn load_for(dockerfile: &Path, context: Option<&Path>) -> Result<Option<DockerIgnore>, String> {
    ignore_file_for(dockerfile, context).map(|file| load(&file)).transpose()
}

/// Reads and parses the ignore file at `file`; an error names the file and line and says what
/// BuildKit does.
pub fn load(file: &Path) -> Result<DockerIgnore, String> {
    // (The path on one line: a line break in it would start a line of its own in a log.)
    let shown = file.display().to_string().replace('\n', "\u{240a}").replace('\t', "\u{2409}");
    let bytes = std::fs::read(file).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    DockerIgnore::parse_bytes(&bytes).map_err(|e| {
        let line = bytes.split(|&b| b == b'\n').nth(e.line - 1).unwrap_or_default();
        if line.len() > MAX_LINE_BYTES {
            return format!(
                "{shown}:{}: {} (the line is {} bytes; BuildKit reads lines of at most {}): BuildKit fails every \
                 build of this context until the line is shortened",
                e.line,
                e.message,
                line.len(),
                MAX_LINE_BYTES
            );
        }
        // (The pattern as BuildKit reads it: the line, trimmed.)
        let pattern = String::from_utf8_lossy(line);
        format!(
            "{shown}:{}: {} (`{}`): BuildKit fails every build of this context until the pattern is fixed",
            e.line,
            e.message,
            pattern.trim()
        )
    })
}

/// The ignore file BuildKit reads for `dockerfile` (or, for the standard input, the context's)
/// and the line of its first pattern BuildKit rejects, when it rejects one.
pub fn fault_for(dockerfile: Option<&Path>, context: Option<&Path>) -> Option<(PathBuf, usize)> {
    let file = match dockerfile {
        Some(d) => ignore_file_for(d, context)?,
        None => context_ignore_file(context.unwrap_or(Path::new(".")))?,
    };
    let bytes = std::fs::read(&file).ok()?;
    let e = DockerIgnore::parse_bytes(&bytes).err()?;
    Some((file, e.line))
}

impl ContextIgnore for DockerIgnore {
    fn has_exclusions(&self) -> bool {
        self.exclusions
    }

    fn excluded(&self, source: &str) -> Option<String> {
        // What `dfgitutil.ParseGitRef` and `isHTTPSource` take for remote sources (a bare
        // `github.com/a/b` is, as for BuildKit, a local path).
        if source.contains("://") || source.starts_with("git@") {
            return None;
        }
        let path = clean(source);
        // The context's root is no path a pattern leaves out (`.*` or `?` matches `.`): BuildKit
        // warns for it only where a pattern leaves out every entry of the root
        // (`validateCopySourcePath`, from moby/buildkit#6930).
        if (path == "." || path == "/") && !self.root_ignored {
            return None;
        }
        (self.matches_or_parent_matches(&path) == Some(true)).then_some(path)
    }
}

impl Kind {
    fn matches(&self, path: &str) -> Option<bool> {
        Some(match self {
            Kind::Exact(p) => path == p,
            Kind::Prefix(p) => path.starts_with(p.as_str()),
            Kind::Suffix(s) => Kind::suffix_matches(s, path),
            Kind::Expr(alts) => alts.iter().any(|a| a.matches(path, false)),
            Kind::Unsupported => false,
            Kind::Invalid => return None,
        })
    }

    fn suffix_matches(s: &str, path: &str) -> bool {
        path.ends_with(s) || s.strip_prefix('/').is_some_and(|rest| path == rest)
    }

    /// Whether the pattern matches `parent` cut after any of its components (`a`, `a/b`,
    /// `a/b/c` for `a/b/c`): what patternmatcher asks one prefix at a time, answered here in
    /// time linear in the path, so a source with a hundred thousand directories does not make
    /// the check quadratic.
    fn matches_a_parent(&self, parent: &str) -> bool {
        let mut ends = parent.match_indices('/').map(|(i, _)| i).chain([parent.len()]);
        match self {
            Kind::Exact(p) => {
                parent.starts_with(p.as_str()) && (parent.len() == p.len() || parent.as_bytes()[p.len()] == b'/')
            }
            // A longer prefix starts with whatever a shorter one starts with.
            Kind::Prefix(p) => parent.starts_with(p.as_str()),
            Kind::Suffix(s) => ends.any(|end| Kind::suffix_matches(s, &parent[..end])),
            // (What no prefix of `parent` holds, `parent` does not.)
            Kind::Expr(alts) => alts.iter().any(|a| a.matches(parent, true)),
            Kind::Unsupported | Kind::Invalid => false,
        }
    }
}

/// Go's `path.Clean`.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// `clean(&format!("{dir}/{rel}"))` for a `dir` that is already clean and absolute, in place
/// and in time linear in `rel` (a chain of relative WORKDIRs, each going on from the one
/// before, would otherwise copy and clean every path before it).
pub(crate) fn join_clean(dir: &mut String, rel: &str) {
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => dir.truncate(dir.rfind('/').unwrap_or(0).max(1)),
            p => {
                if dir.len() > 1 {
                    dir.push('/');
                }
                dir.push_str(p);
            }
        }
    }
}

/// Go's `path.Dir` of a cleaned path.
fn dir(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => clean(&path[..=i]),
        None => ".".to_string(),
    }
}

/// Go's `filepath.Match(pattern, name)` on Unix, with its error: patternmatcher calls it with
/// the name `.` and refuses the pattern on an error. Go checks a pattern's syntax only as far as
/// matching reads it: a chunk (the text between stars) is checked when it is tried, and once a
/// chunk fails to match, the rest is not read (`path.Match` reads the rest; `filepath.Match`,
/// which patternmatcher calls, does not). So `[ab]*[` is accepted, as BuildKit accepts it.
/// Bytes, as Go's strings are.
fn filepath_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, BadPattern> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing `*` matches the rest of the name unless it has a `/`.
            return Ok(!name.contains(&b'/'));
        }
        if let Some(t) = match_chunk(chunk, name)?.filter(|t| t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            // Skip one more byte of the name each time; a star cannot skip a `/`.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                if let Some(t) = match_chunk(chunk, &name[i + 1..])? {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Where [`keeping_bad_bytes`] puts a byte that starts no UTF-8 character: U+10FF00 and the
/// byte, in Unicode's private use area.
const BAD_BYTES: std::ops::RangeInclusive<u32> = 0x10FF00..=0x10FFFF;

/// The file's text with each byte that starts no valid UTF-8 character kept apart, as a
/// character in [`BAD_BYTES`], where the syntax check can tell it from a U+FFFD the file holds.
fn keeping_bad_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().filter_map(|&b| char::from_u32(BAD_BYTES.start() + u32::from(b))));
    }
    out
}

/// Go's `filepath.Match` refuses the pattern (`ErrBadPattern`: "syntax error in pattern").
#[derive(Debug, PartialEq)]
struct BadPattern;

/// `scanChunk`: the stars at the start, the chunk up to the next star outside brackets, the rest.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let (mut inrange, mut i) = (false, 0);
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => inrange = true,
            b']' => inrange = false,
            b'*' if !inrange => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// `matchChunk`: the rest of `s` after the chunk matched its start, `None` when it does not. The
/// whole chunk is read even after it fails, so that its syntax is checked.
fn match_chunk<'s>(mut chunk: &[u8], mut s: &'s [u8]) -> Result<Option<&'s [u8]>, BadPattern> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            b'[' => {
                let mut r = 0;
                if !failed {
                    let (ch, n) = go::decode_rune(s);
                    r = ch.map_or(0xfffd, u32::from);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let (mut matched, mut nrange) = (false, 0);
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let lo = get_esc(&mut chunk)?;
                    let mut hi = lo;
                    if chunk[0] == b'-' {
                        chunk = &chunk[1..];
                        hi = get_esc(&mut chunk)?;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    s = &s[go::decode_rune(s).1..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(BadPattern);
                    }
                }
                if !failed {
                    if chunk[0] != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok((!failed).then_some(s))
}

/// `getEsc`: one character of a bracket expression, which must not be `-` or `]`, must be
/// whole, and must be followed by more of the expression.
fn get_esc(chunk: &mut &[u8]) -> Result<u32, BadPattern> {
    let mut c = *chunk;
    if matches!(c.first(), None | Some(b'-') | Some(b']')) {
        return Err(BadPattern);
    }
    if c[0] == b'\\' {
        c = &c[1..];
        if c.is_empty() {
            return Err(BadPattern);
        }
    }
    let (r, n) = go::decode_rune(c);
    *chunk = &c[n..];
    // (A byte of the file that is no UTF-8 is a character of its own here: see
    // `keeping_bad_bytes`.)
    match r {
        Some(r) if !chunk.is_empty() && !BAD_BYTES.contains(&u32::from(r)) => Ok(u32::from(r)),
        _ => Err(BadPattern),
    }
}

/// patternmatcher's `compile`: which kind of match, and for an expression its pieces.
/// Compiles one pattern; its repetitions take what they write from `budget`, the file's.
fn compile(p: &str, budget: &mut usize) -> Kind {
    let c: Vec<char> = p.chars().collect();
    // patternmatcher's `detectedType`.
    #[derive(PartialEq)]
    enum Detected {
        Exact,
        Prefix,
        Suffix,
        Expr,
    }
    let mut detected = Detected::Exact;
    let mut toks = Vec::new();
    let mut k = 0;
    let mut first = true;
    let mut unsupported = false;
    // The pattern ends in a backslash, which escapes the `$` patternmatcher appends.
    let mut dollar = false;
    // Go's regexp refuses the expression; the last piece written is a repetition (`[^/]*`,
    // `(.*/)?`, `.*`, a bracket a `*` repeats, a `{n}`).
    let (mut invalid, mut repeated) = (false, false);
    // A `{0}` or `{0,n}` at the start: the first alternative's `^` may be left out.
    let mut unanchored = false;
    // A `\Q` with no `\E` took the rest, the `$` patternmatcher appends too: no end anchor.
    let mut quoted_to_end = false;
    // The tokens the repetitions wrote, taken from `budget` only where they are kept (an exact
    // pattern such as `x{1000}`, matched as written, takes none); and whether the last piece
    // was a `|` (a repetition has nothing to repeat there: Go refuses it).
    let (mut spent, mut after_or) = (0usize, false);
    while k < c.len() {
        let ch = c[k];
        k += 1;
        let mut repeats = ch == '*';
        let or = ch == '|';
        match ch {
            '*' if c.get(k) == Some(&'*') => {
                k += 1;
                if c.get(k) == Some(&'/') {
                    k += 1;
                }
                if k >= c.len() {
                    if detected == Detected::Exact {
                        detected = Detected::Prefix;
                    } else {
                        toks.push(Tok::Any);
                        detected = Detected::Expr;
                    }
                } else {
                    toks.push(Tok::Dirs);
                    detected = Detected::Expr;
                }
                if first {
                    detected = Detected::Suffix;
                }
            }
            '*' => {
                toks.push(Tok::NotSeps);
                detected = Detected::Expr;
            }
            '?' => {
                toks.push(Tok::NotSep);
                detected = Detected::Expr;
            }
            // (Left as it is: no expression unless something else makes one.)
            '\\' if k == c.len() => dollar = true,
            // `\pL`, `\P{Greek}`: a Unicode class, not reproduced; one Go does not know is an
            // error.
            '\\' if matches!(c.get(k), Some('p' | 'P')) => {
                let mut w = Written::new(&c, k + 1);
                if unicode_group(&mut w).is_err() {
                    return Kind::Invalid;
                }
                // (A name Go knows is letters, digits and `_`, one piece each.)
                k = w.pieces.last().map_or(k + 1, |&(_, next)| next);
                unsupported = true;
                detected = Detected::Expr;
            }
            // `\A`: the start of the text, as `^` is.
            '\\' if c.get(k) == Some(&'A') => {
                toks.push(Tok::Start);
                k += 1;
                detected = Detected::Expr;
            }
            // `\Q...\E`: what patternmatcher writes in between, as literal characters.
            '\\' if c.get(k) == Some(&'Q') => {
                let (literal, next) = quoted(&c, k + 1);
                toks.extend(literal.into_iter().map(Tok::Lit));
                match next {
                    Some(next) => k = next,
                    None => (k, quoted_to_end) = (c.len(), true),
                }
                detected = Detected::Expr;
            }
            '\\' => {
                let after = c.get(k + 1..).unwrap_or_default();
                match escaped(c.get(k).copied(), At::Outside, after) {
                    Ok(Escape::Char(code, took)) => {
                        // (A surrogate, which no text holds, is a class of nothing.)
                        toks.push(
                            char::from_u32(code).map_or(Tok::Class { negated: false, ranges: Vec::new() }, Tok::Lit),
                        );
                        k += took;
                    }
                    Ok(Escape::Class(ranges)) => toks.push(Tok::Class { negated: false, ranges }),
                    Err(Unmatched::Unsupported) => unsupported = true,
                    Err(Unmatched::Invalid) => return Kind::Invalid,
                }
                k += 1;
                detected = Detected::Expr;
            }
            '[' => {
                match bracket(&c, &mut k) {
                    Ok((t, star, unreproduced)) => {
                        toks.push(t);
                        repeats = star;
                        unsupported |= unreproduced;
                    }
                    Err(Unmatched::Unsupported) => unsupported = true,
                    Err(Unmatched::Invalid) => return Kind::Invalid,
                }
                detected = Detected::Expr;
            }
            ']' => {
                toks.push(Tok::Lit(']'));
                detected = Detected::Expr;
            }
            '^' => toks.push(Tok::Start),
            '|' => toks.push(Tok::Or),
            // A repetition (`{2}`, `{1,}`, `{1,3}`) of what comes before: an error where the
            // counts are out of range, where it repeats a repetition (`*{2}` is `[^/]*{2}`,
            // `{2}{3}`) and where an alternative after the first has nothing before it (the
            // first has the `^`). Any other `{` is a character for Go too.
            '{' => match go_repeat(&c[k..]) {
                Some(Repeat { len, min, max, counts_ok }) => {
                    k += len;
                    repeats = true;
                    // (Tokens it would write for a character token: `max` copies, or `min` and
                    // a `Many`; none for an assertion.)
                    let written = match toks.last() {
                        Some(Tok::Lit(_) | Tok::NotSep | Tok::Class { .. }) => {
                            usize::try_from(max.unwrap_or(min + 1)).unwrap_or(0)
                        }
                        _ => 0,
                    };
                    if !counts_ok || repeated || after_or {
                        invalid = true;
                    } else if spent + written > *budget {
                        unsupported = true;
                    } else {
                        spent += written;
                        match toks.last() {
                            // The first alternative's `^` (the pattern's start), or one written
                            // in the middle: an assertion, the same once or more; none at all
                            // when it may be left out.
                            None => unanchored = min == 0,
                            Some(Tok::Start) if min == 0 => drop(toks.pop()),
                            Some(Tok::Lit(_) | Tok::NotSep | Tok::Class { .. }) => {
                                let t = toks.pop().unwrap_or(Tok::NotSep);
                                toks.extend(std::iter::repeat_n(t.clone(), min as usize));
                                match max {
                                    None => toks.push(Tok::Many(Box::new(t))),
                                    Some(max) => {
                                        toks.extend(std::iter::repeat_n(Tok::Opt(Box::new(t)), (max - min) as usize))
                                    }
                                }
                            }
                            // (What an unreproduced piece, such as `\b`, left: the pattern is
                            // not reproduced anyway.)
                            _ => {}
                        }
                    }
                }
                None => toks.push(Tok::Lit('{')),
            },
            ch => toks.push(Tok::Lit(ch)),
        }
        repeated = repeats;
        after_or = or;
        first = false;
    }
    match detected {
        Detected::Expr if invalid => Kind::Invalid,
        Detected::Expr if unsupported => Kind::Unsupported,
        Detected::Expr => {
            *budget -= spent;
            if dollar {
                toks.push(Tok::Lit('$'));
            }
            let count = toks.iter().filter(|t| **t == Tok::Or).count() + 1;
            let alts = toks
                .split(|t| *t == Tok::Or)
                .enumerate()
                .map(|(i, toks)| {
                    let runs = toks.split(|t| !matches!(t, Tok::Lit(_)));
                    let longest = runs.max_by_key(|run| run.len()).unwrap_or_default();
                    let needle =
                        longest.iter().filter_map(|t| if let Tok::Lit(c) = t { Some(*c) } else { None }).collect();
                    let end = i + 1 == count && !dollar && !quoted_to_end;
                    Alt { toks: toks.to_vec(), needle, start: i == 0 && !unanchored, end }
                })
                .collect();
            Kind::Expr(alts)
        }
        Detected::Prefix => Kind::Prefix(p[..p.len() - 2].to_string()),
        Detected::Suffix => Kind::Suffix(p[2..].to_string()),
        Detected::Exact => Kind::Exact(p.to_string()),
    }
}

/// What Go's regexp reads as literal characters after a `\Q` at pattern index `k`: the text
/// patternmatcher writes for the pattern from there (`[^/]*` for a `*`, `\.` for a `.`, the
/// backslashes and all) up to the first `\E` in it; and where the pattern goes on after that
/// `\E`, or `None` where there is none, and the text ran to the end with the `$`
/// patternmatcher appends.
fn quoted(c: &[char], k: usize) -> (Vec<char>, Option<usize>) {
    let mut w = Written::new(c, k);
    while w.next().is_some() {}
    // The text, each character with the piece it belongs to.
    let mut text: Vec<(char, usize)> = Vec::new();
    for (i, &(ch, esc)) in w.buf.iter().enumerate() {
        if esc {
            text.push(('\\', i));
        }
        text.push((ch, i));
    }
    match text.windows(2).position(|p| p[0].0 == '\\' && p[1].0 == 'E') {
        Some(at) => {
            // (An `E` is a piece of its own, plain or escaped: the pattern goes on after it.)
            let item = text[at + 1].1;
            let next = w.pieces.iter().find(|&&(end, _)| end > item).map_or(c.len(), |&(_, next)| next);
            (text[..at].iter().map(|&(ch, _)| ch).collect(), Some(next))
        }
        None => {
            let mut literal: Vec<char> = text.iter().map(|&(ch, _)| ch).collect();
            if !w.took_dollar {
                literal.push('$');
            }
            (literal, None)
        }
    }
}

/// A repetition `{n}`, `{n,}` or `{n,m}` as Go's regexp reads it after a `{`.
struct Repeat {
    /// How many characters it takes after the `{`.
    len: usize,
    min: i64,
    /// `None`: no upper count (`{n,}`).
    max: Option<i64>,
    /// Go accepts the counts: at most 1,000 each, the least first.
    counts_ok: bool,
}

/// How many tokens the repetitions of one ignore file may write, after which a pattern with
/// one more is left unreproduced (it matches nothing): Go accepts up to 1,000 of each, and a
/// file of `[a-z]{1000}` lines would otherwise make millions of tokens for every source path
/// to run through (and its memory). Twenty patterns of `x?{1000}`, or thousands of `[0-9]{4}`.
const REPETITION_BUDGET: usize = 20_000;

/// The repetition Go's regexp reads after a `{`, given what follows it (`parseRepeat`; the
/// characters stand for themselves in the expression): `parseInt` reads decimal counts, no
/// leading zero, 10^8 and more as -1. `None`: no repetition, the `{` is a character.
fn go_repeat(rest: &[char]) -> Option<Repeat> {
    let number = |i: &mut usize| -> Option<i64> {
        let from = *i;
        while rest.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        let digits = &rest[from..*i];
        if digits.is_empty() || (digits.len() >= 2 && digits[0] == '0') {
            return None;
        }
        let mut n = 0i64;
        for d in digits {
            if n >= 100_000_000 {
                return Some(-1);
            }
            n = n * 10 + i64::from(d.to_digit(10).unwrap_or_default());
        }
        Some(n)
    };
    let mut i = 0;
    let min = number(&mut i)?;
    let max = if rest.get(i) == Some(&',') {
        i += 1;
        if rest.get(i) == Some(&'}') {
            None
        } else {
            Some(number(&mut i)?)
        }
    } else {
        Some(min)
    };
    let counts_ok = (0..=1000).contains(&min) && max.is_none_or(|max| (min..=1000).contains(&max));
    (rest.get(i) == Some(&'}')).then_some(Repeat { len: i + 1, min, max, counts_ok })
}

/// Where an escape is read: Go's regexp reads more after a backslash outside brackets (`\b`,
/// `\A`, `\z`, `\Q`) than inside them, and at a range's end only what `parseEscape` reads (a
/// character: no `\d`, no `\pL`).
#[derive(Clone, Copy, PartialEq)]
enum At {
    Outside,
    Class,
    RangeEnd,
}

/// What an escape stands for in Go's regexp.
enum Escape {
    /// A code point (`\x{D800}` is one that no text holds), and how many characters after the
    /// escaped one it takes (`\x41`: 2).
    Char(u32, usize),
    /// A Perl class (`\d`, `\S`): its ranges.
    Class(Vec<(char, char)>),
}

/// What `\x` in the expression stands for (Go's regexp), `after` being (the start of) what the
/// expression has after it: an ASCII character that is no letter or digit, itself; `\a`,
/// `\f`, `\n`, `\r`, `\t`, `\v`, an octal (`\0`, `\12`) or hexadecimal (`\x41`, `\x{10FFFF}`)
/// code, the character; `\d`, `\s`, `\w` and their capitals, the ASCII class; `\b`, `\B` and
/// `\z` outside brackets, not reproduced; any other, an invalid escape. (`\p` and `\P`, and
/// outside brackets `\A` and `\Q`, are read before this: `unicode_group`, `compile`.)
fn escaped(n: Option<char>, at: At, after: &[char]) -> Result<Escape, Unmatched> {
    let n = match n {
        Some(n) if n.is_ascii() => n,
        _ => return Err(Unmatched::Invalid),
    };
    if !n.is_ascii_alphanumeric() {
        return Ok(Escape::Char(n.into(), 0));
    }
    let get = |i: usize| after.get(i).copied();
    let octal = |i| get(i).and_then(|c| c.to_digit(8));
    let hex = |i| get(i).and_then(|c| c.to_digit(16));
    let one = |c: u8| Ok(Escape::Char(c.into(), 0));
    match n {
        // Octal: `\0` and up to two more digits, or `\1` to `\7` and one or two more (one
        // digit alone is a back-reference, which Go refuses).
        '0'..='7' if n == '0' || octal(0).is_some() => {
            let mut value = n.to_digit(8).unwrap_or_default();
            let mut took = 0;
            while let (true, Some(d)) = (took < 2, octal(took)) {
                value = value * 8 + d;
                took += 1;
            }
            Ok(Escape::Char(value, took))
        }
        // `\x41`, or `\x{...}`: one hexadecimal digit or more, at most U+10FFFF.
        'x' if get(0) == Some('{') => {
            let (mut i, mut value) = (1, 0u32);
            while let Some(d) = hex(i) {
                value = value.saturating_mul(16).saturating_add(d);
                i += 1;
            }
            match i > 1 && get(i) == Some('}') && value <= 0x10FFFF {
                true => Ok(Escape::Char(value, i + 1)),
                false => Err(Unmatched::Invalid),
            }
        }
        'x' => match (hex(0), hex(1)) {
            (Some(hi), Some(lo)) => Ok(Escape::Char(hi * 16 + lo, 2)),
            _ => Err(Unmatched::Invalid),
        },
        'a' => one(7),
        'f' => one(12),
        'n' => one(b'\n'),
        'r' => one(b'\r'),
        't' => one(b'\t'),
        'v' => one(11),
        'd' | 'D' | 's' | 'S' | 'w' | 'W' if at != At::RangeEnd => {
            let class: &[(char, char)] = match n.to_ascii_lowercase() {
                'd' => &[('0', '9')],
                's' => &[('\t', '\n'), ('\x0c', '\r'), (' ', ' ')],
                _ => WORD,
            };
            Ok(Escape::Class(if n.is_ascii_uppercase() { complement(class) } else { class.to_vec() }))
        }
        'b' | 'z' | 'B' if at == At::Outside => Err(Unmatched::Unsupported),
        _ => Err(Unmatched::Invalid),
    }
}

/// The names Go's regexp knows in `\pL` and `\p{Greek}` (its `unicodeTable`: `Any`, then
/// `unicode.Categories`' and `unicode.Scripts`' keys, Go 1.24's, Unicode 15.0), sorted as Go
/// sorts strings. `go_std::unicode_against_go` checks the list against Go's.
pub(crate) const UNICODE_GROUPS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Any",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "C",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Cc",
    "Cf",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Co",
    "Common",
    "Coptic",
    "Cs",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "L",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Ll",
    "Lm",
    "Lo",
    "Lt",
    "Lu",
    "Lycian",
    "Lydian",
    "M",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Mc",
    "Me",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Mn",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "N",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "Nd",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nl",
    "No",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "P",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Pc",
    "Pd",
    "Pe",
    "Pf",
    "Phags_Pa",
    "Phoenician",
    "Pi",
    "Po",
    "Ps",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "S",
    "Samaritan",
    "Saurashtra",
    "Sc",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sk",
    "Sm",
    "So",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Z",
    "Zanabazar_Square",
    "Zl",
    "Zp",
    "Zs",
];

/// A `\p` or `\P` group after its letter, as Go's `parseUnicodeClass` reads the written text:
/// a one-letter name, or one in braces up to the first `}`, perhaps negated by a `^`. Takes it
/// from `w`: `Ok` where Go knows the name (the class is not reproduced), `Invalid` where it does
/// not (an escaped character is a `\` there, in no name) or where no `}` closes the braces.
fn unicode_group(w: &mut Written) -> Result<(), Unmatched> {
    let name: String = match w.next() {
        Some(('{', false)) => {
            let mut name = String::new();
            loop {
                match w.next().ok_or(Unmatched::Invalid)? {
                    ('}', _) => break name,
                    (_, true) => name.push('\\'),
                    (x, false) => name.push(x),
                }
            }
        }
        Some((x, false)) => x.into(),
        _ => String::new(),
    };
    let name = name.strip_prefix('^').unwrap_or(&name);
    match UNICODE_GROUPS.binary_search(&name) {
        Ok(_) => Ok(()),
        Err(_) => Err(Unmatched::Invalid),
    }
}

/// `[0-9A-Za-z_]`: `\w` and `[:word:]`.
const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];

/// The class names Go's regexp knows in brackets (`[:alpha:]`, or `[:^alpha:]`), with their
/// ASCII ranges.
const POSIX_CLASSES: &[(&str, &[(char, char)])] = &[
    ("alnum", &[('0', '9'), ('A', 'Z'), ('a', 'z')]),
    ("alpha", &[('A', 'Z'), ('a', 'z')]),
    ("ascii", &[('\0', '\x7f')]),
    ("blank", &[('\t', '\t'), (' ', ' ')]),
    ("cntrl", &[('\0', '\x1f'), ('\x7f', '\x7f')]),
    ("digit", &[('0', '9')]),
    ("graph", &[('!', '~')]),
    ("lower", &[('a', 'z')]),
    ("print", &[(' ', '~')]),
    ("punct", &[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')]),
    ("space", &[('\t', '\r'), (' ', ' ')]),
    ("upper", &[('A', 'Z')]),
    ("word", WORD),
    ("xdigit", &[('0', '9'), ('A', 'F'), ('a', 'f')]),
];

/// The characters not in sorted, separate `ranges`.
fn complement(ranges: &[(char, char)]) -> Vec<(char, char)> {
    let mut out = Vec::new();
    let mut from = Some('\0');
    for &(lo, hi) in ranges {
        if let Some(f) = from.filter(|&f| f < lo) {
            out.push((f, char::from_u32(lo as u32 - 1).unwrap_or('\u{D7FF}')));
        }
        from = char::from_u32(hi as u32 + 1);
    }
    out.extend(from.map(|f| (f, char::MAX)));
    out
}

/// The range `lo..=hi` of code points as characters (none where it holds only surrogates,
/// which no text has).
fn char_range(lo: u32, hi: u32) -> Option<(char, char)> {
    let lo = char::from_u32(lo).or_else(|| (0xD800..0xE000).contains(&lo).then_some('\u{E000}'))?;
    let hi = char::from_u32(hi).or_else(|| (0xD800..0xE000).contains(&hi).then_some('\u{D7FF}'))?;
    (lo <= hi).then_some((lo, hi))
}

enum Unmatched {
    Unsupported,
    Invalid,
}

/// What patternmatcher writes for the pattern from `k` on, one pattern piece at a time: each
/// character of the expression, whether it is escaped (`\x`), and where the next piece starts.
/// Inside brackets, Go's regexp reads these as the class's characters, and a `*` or `?` of
/// the pattern, written `[^/]*` and `[^/]`, adds `[`, `^` and `/` and closes the brackets.
struct Written<'a> {
    c: &'a [char],
    /// Where the next piece starts.
    k: usize,
    /// The characters of the pieces read so far, from `at` on not yet taken.
    buf: Vec<(char, bool)>,
    at: usize,
    /// For each piece read: where its characters end in `buf`, and where the next starts.
    pieces: Vec<(usize, usize)>,
    /// The pattern's last backslash took the `$` patternmatcher appends.
    took_dollar: bool,
}

impl<'a> Written<'a> {
    /// What patternmatcher writes for the pattern `c` from index `k` on.
    fn new(c: &'a [char], k: usize) -> Written<'a> {
        Written { c, k, buf: Vec::new(), at: 0, pieces: Vec::new(), took_dollar: false }
    }

    /// The `n`th character still to come, reading more pieces as needed.
    fn peek(&mut self, n: usize) -> Option<(char, bool)> {
        while self.buf.len() - self.at <= n {
            let ch = *self.c.get(self.k)?;
            let plain = |s: &str| s.chars().map(|x| (x, false)).collect::<Vec<_>>();
            self.k += 1;
            let piece = match ch {
                '*' if self.c.get(self.k) == Some(&'*') => {
                    self.k += 1 + usize::from(self.c.get(self.k + 1) == Some(&'/'));
                    plain(if self.k >= self.c.len() { ".*" } else { "(.*/)?" })
                }
                '*' => plain("[^/]*"),
                '?' => plain("[^/]"),
                // (A last backslash escapes the `$` patternmatcher appends.)
                '\\' => {
                    self.k += 1;
                    let escaped = self.c.get(self.k - 1).copied();
                    self.took_dollar = escaped.is_none();
                    vec![(escaped.unwrap_or('$'), true)]
                }
                '.' | '+' | '(' | ')' | '$' => vec![(ch, true)],
                ch => vec![(ch, false)],
            };
            self.buf.extend(piece);
            self.pieces.push((self.buf.len(), self.k));
        }
        Some(self.buf[self.at + n])
    }

    fn next(&mut self) -> Option<(char, bool)> {
        let next = self.peek(0)?;
        self.at += 1;
        Some(next)
    }

    /// Takes the next `n` characters (ones already peeked at).
    fn skip(&mut self, n: usize) {
        for _ in 0..n {
            self.next();
        }
    }
}

/// One item of a bracket expression: a character (a code point), or a class of them.
enum Item {
    Char(u32),
    Set(Vec<(char, char)>),
}

/// A bracket expression after its `[`, as Go's regexp reads what patternmatcher wrote (see
/// [`Written`]): the class, whether a `*` repeats it (the pattern's `*` closed it), and where
/// the pattern goes on.
fn bracket(c: &[char], k: &mut usize) -> Result<(Tok, bool, bool), Unmatched> {
    let mut w = Written::new(c, *k);
    let negated = w.peek(0) == Some(('^', false));
    if negated {
        w.next();
    }
    let mut ranges = Vec::new();
    // One item of the class, at a range's start or end (`at`); the end of the expression inside
    // brackets is Go's "missing closing ]".
    // Where the last search for a class name's `:]` started, and the first it found after
    // there (none: none is left), so that a line of `[:[:[:...` is not searched to its end
    // from each `[:` (64 KiB of them took seconds).
    let mut close_at: Option<(usize, Option<usize>)> = None;
    let close_at = &mut close_at;
    // A Unicode class (`\pL`) is in it: the class is not reproduced.
    let mut unreproduced = false;
    let unreproduced_ref = &mut unreproduced;
    let mut one = |w: &mut Written, at: At| -> Result<Item, Unmatched> {
        match w.next().ok_or(Unmatched::Invalid)? {
            ('p' | 'P', true) if at == At::Class => {
                unicode_group(w)?;
                *unreproduced_ref = true;
                Ok(Item::Set(Vec::new()))
            }
            (ch, true) => {
                // What follows, as far as an escape reads it: octal or hexadecimal digits, in
                // braces or not, and the first other character (an escaped one is a `\`). Only a
                // letter or digit reads any.
                let mut after = Vec::new();
                while let Some((c, esc)) = w.peek(after.len()).filter(|_| ch.is_ascii_alphanumeric()) {
                    let c = if esc { '\\' } else { c };
                    after.push(c);
                    if !(c.is_ascii_hexdigit() || c == '{') {
                        break;
                    }
                }
                match escaped(Some(ch), at, &after)? {
                    Escape::Char(code, took) => {
                        w.skip(took);
                        Ok(Item::Char(code))
                    }
                    Escape::Class(set) => Ok(Item::Set(set)),
                }
            }
            ('[', false) if at == At::Class && w.peek(0) == Some((':', false)) => {
                // A class name when a `:]` follows (looked for after the `[:`, as Go's
                // `parseNamedClass` does, in the written text: an escaped `:`, `\:`, counts):
                // one of Go's POSIX names or an error; else a `[`.
                let from = w.at + 1;
                let close = match *close_at {
                    Some((searched, found)) if searched <= from && found.is_none_or(|e| from <= e) => found,
                    _ => {
                        let mut n = 1;
                        let found = loop {
                            match w.peek(n) {
                                None => break None,
                                Some((':', _)) if w.peek(n + 1) == Some((']', false)) => break Some(w.at + n),
                                Some(_) => n += 1,
                            }
                        };
                        *close_at = Some((from, found));
                        found
                    }
                };
                let Some(end) = close else { return Ok(Item::Char('['.into())) };
                let mut name = String::new();
                for &(x, esc) in &w.buf[from..end] {
                    if esc {
                        name.push('\\');
                    }
                    name.push(x);
                }
                let (negated, bare) = name.strip_prefix('^').map_or((false, &*name), |b| (true, b));
                let (_, set) = POSIX_CLASSES.iter().find(|(known, _)| *known == bare).ok_or(Unmatched::Invalid)?;
                w.skip(end + 2 - w.at);
                Ok(Item::Set(if negated { complement(set) } else { set.to_vec() }))
            }
            (ch, false) => Ok(Item::Char(ch.into())),
        }
    };
    // (A `]` first, after any `^`, is a character.)
    let mut first = true;
    loop {
        if w.peek(0) == Some((']', false)) && !first {
            w.next();
            // What is left of the piece that closed the brackets (not of the pieces read ahead
            // after it): a `*` repeats the class. The pattern goes on after that piece.
            let (end, next) = w.pieces.iter().copied().find(|&(end, _)| end >= w.at).unwrap_or((w.at, w.k));
            let star = match &w.buf[w.at..end] {
                [] => false,
                [('*', false)] => true,
                _ => return Err(Unmatched::Unsupported),
            };
            *k = next;
            let class = Tok::Class { negated, ranges };
            let class = if star { Tok::Many(Box::new(class)) } else { class };
            return Ok((class, star, unreproduced));
        }
        first = false;
        let lo = match one(&mut w, At::Class)? {
            Item::Set(set) => {
                ranges.extend(set);
                continue;
            }
            Item::Char(lo) => lo,
        };
        let hi = if w.peek(0) == Some(('-', false)) && w.peek(1).is_some_and(|n| n != (']', false)) {
            w.next();
            match one(&mut w, At::RangeEnd)? {
                Item::Char(hi) => hi,
                Item::Set(_) => return Err(Unmatched::Invalid),
            }
        } else {
            lo
        };
        if hi < lo {
            return Err(Unmatched::Invalid);
        }
        ranges.extend(char_range(lo, hi));
    }
}

/// Whether the alternative matches the path (at its start and end where it is anchored there),
/// or with `prefixes` any part of it that ends before a `/`: the pieces run as an automaton
/// over the path's characters (no recursion, whatever the path's length; time linear in the
/// path for each piece). State `2t` waits at piece `t`; state `2t + 1` is inside a `(.*/)?`.
fn expr_matches(alt: &Alt, path: &str, prefixes: bool) -> bool {
    let toks = &alt.toks[..];
    let n = toks.len();
    // The states of a short pattern on the stack (it runs for every source and ignore rule).
    let mut small = [[false; 64]; 2];
    let mut big: [Vec<bool>; 2];
    let [now, next] = if 2 * n + 2 <= 64 {
        small.each_mut().map(|s| &mut s[..2 * n + 2])
    } else {
        big = [vec![false; 2 * n + 2], vec![false; 2 * n + 2]];
        big.each_mut().map(|s| &mut s[..])
    };
    let (mut now, mut next) = (now, next);
    // Adds state `2t` and what it reaches without reading a character; `span` grows to hold
    // every piece whose states it sets (a step reads only the pieces in its span: a pattern of
    // a thousand repeated pieces has one or two of them live at a time).
    fn enter(toks: &[Tok], states: &mut [bool], mut t: usize, at_start: bool, span: &mut (usize, usize)) {
        span.0 = span.0.min(t);
        loop {
            if states[2 * t] {
                return;
            }
            states[2 * t] = true;
            span.1 = span.1.max(t + 1);
            match toks.get(t) {
                Some(Tok::NotSeps | Tok::Any | Tok::Opt(_) | Tok::Many(_)) => t += 1,
                Some(Tok::Dirs) => {
                    states[2 * t + 1] = true;
                    t += 1;
                }
                Some(Tok::Start) if at_start => t += 1,
                _ => return,
            }
        }
    }
    const EMPTY: (usize, usize) = (usize::MAX, 0);
    let mut span = EMPTY;
    enter(toks, now, 0, true, &mut span);
    for ch in path.chars() {
        // Matched: where the path may go on after it, or at a prefix's end.
        if now[2 * n] && (!alt.end || (prefixes && ch == '/')) {
            return true;
        }
        let mut next_span = EMPTY;
        for t in span.0..span.1.min(n) {
            if now[2 * t] {
                let advance = match &toks[t] {
                    tok @ (Tok::Lit(_) | Tok::NotSep | Tok::Class { .. }) => tok.takes(ch),
                    Tok::Opt(tok) => tok.takes(ch),
                    Tok::Many(tok) => {
                        if tok.takes(ch) {
                            enter(toks, next, t, false, &mut next_span);
                        }
                        false
                    }
                    // `.` does not match a newline in Go's regexp.
                    Tok::NotSeps | Tok::Any => {
                        if (ch != '/' || matches!(toks[t], Tok::Any)) && (ch != '\n' || matches!(toks[t], Tok::NotSeps))
                        {
                            enter(toks, next, t, false, &mut next_span);
                        }
                        false
                    }
                    Tok::Dirs | Tok::Start | Tok::Or => false,
                };
                if advance {
                    enter(toks, next, t + 1, false, &mut next_span);
                }
            }
            if now[2 * t + 1] && ch != '\n' {
                next[2 * t + 1] = true;
                next_span = (next_span.0.min(t), next_span.1.max(t + 1));
                // Re-entering `2t` would skip the group again; only the inner state stays.
                if ch == '/' {
                    enter(toks, next, t + 1, false, &mut next_span);
                }
            }
        }
        // (What this step read is cleared for the step after next.)
        if span.0 < span.1 {
            now[2 * span.0..2 * span.1].iter_mut().for_each(|s| *s = false);
        }
        std::mem::swap(&mut now, &mut next);
        span = next_span;
        // Where the alternative may start anywhere, it may start after this character.
        if !alt.start {
            enter(toks, now, 0, false, &mut span);
        }
        // No state left: nothing further can match (most patterns part with most paths at
        // their first characters; reading every path to its end made 8,000 patterns against
        // 8,000 sources take a minute).
        if span.0 >= span.1 {
            return false;
        }
    }
    now[2 * n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignored(rules: &str, path: &str) -> bool {
        DockerIgnore::parse(rules).unwrap().matches_or_parent_matches(path).unwrap()
    }

    /// Each pattern alone, against its path: whether it leaves the path out.
    fn answers(cases: &[(&str, &str, bool)]) {
        for &(rule, path, want) in cases {
            assert_eq!(ignored(&format!("{rule}\n"), path), want, "{rule:?} {path:?}");
        }
    }

    /// Each pattern, then `secret`: matching fails (Go's regexp refuses the pattern), so even
    /// `secret` gets no answer.
    fn refused(patterns: &[&str]) {
        for pattern in patterns {
            let d = DockerIgnore::parse(&format!("{pattern}\nsecret\n")).unwrap();
            assert_eq!(d.matches_or_parent_matches("secret"), None, "{pattern:?}");
        }
    }

    #[test]
    fn join_clean_is_clean_of_the_joined_path() {
        let mut rng = stagecraft_testkit::Rng(0x301d_c1ea);
        const PARTS: &[&str] = &["a", "b", "..", ".", "", "/", "é", "...", ".a", "a."];
        for _ in 0..20_000 {
            let mut pick = |n: usize| (0..n).map(|_| PARTS[rng.below(PARTS.len())]).collect::<Vec<_>>().join("/");
            let dir = clean(&format!("/{}", pick(4)));
            let rel = pick(5);
            let mut joined = dir.clone();
            join_clean(&mut joined, &rel);
            assert_eq!(joined, clean(&format!("{dir}/{rel}")), "{dir:?} + {rel:?}");
        }
    }

    #[test]
    fn go_path_clean() {
        for (input, want) in [
            ("", "."),
            (".", "."),
            ("./a/b/", "a/b"),
            ("a//b/./c/..", "a/b"),
            ("../a", "../a"),
            ("a/../../b", "../b"),
            ("/../a", "/a"),
            ("/", "/"),
            ("//x/", "/x"),
        ] {
            assert_eq!(clean(input), want, "{input:?}");
        }
        assert_eq!(dir("a/b/c"), "a/b");
        assert_eq!(dir("a"), ".");
        assert_eq!(dir("/a"), "/");
    }

    /// Cases from patternmatcher's own tests (`TestMatches`), which use `MatchesOrParentMatches`.
    #[test]
    fn patternmatcher_cases() {
        let cases: &[(&str, &str, bool)] = &[
            ("**", "file", true),
            ("**", "file/", true),
            ("**/", "file", true),
            ("**/", "file/", true),
            ("**", "/", true),
            ("**/", "/", true),
            ("**", "dir/file", true),
            ("**/", "dir/file", true),
            ("**", "dir/file/", true),
            ("**/", "dir/file/", true),
            ("**/**", "dir/file", true),
            ("**/**", "dir/file/", true),
            ("dir/**", "dir/file", true),
            ("dir/**", "dir/file/", true),
            ("dir/**", "dir/dir2/file", true),
            ("dir/**", "dir/dir2/file/", true),
            ("**/dir", "dir", true),
            ("**/dir", "dir/file", true),
            ("**/dir2/*", "dir/dir2/file", true),
            ("**/dir2/*", "dir/dir2/file/", true),
            ("**/dir2/**", "dir/dir2/dir3/file", true),
            ("**/dir2/**", "dir/dir2/dir3/file/", true),
            ("**file", "file", true),
            ("**file", "dir/file", true),
            ("**/file", "dir/file", true),
            ("**file", "dir/dir/file", true),
            ("**/file", "dir/dir/file", true),
            ("**/file*", "dir/dir/file", true),
            ("**/file*", "dir/dir/file.txt", true),
            ("**/file*txt", "dir/dir/file.txt", true),
            ("**/file*.txt", "dir/dir/file.txt", true),
            ("**/file*.txt*", "dir/dir/file.txt", true),
            ("**/**/*.txt", "dir/dir/file.txt", true),
            ("**/**/*.txt2", "dir/dir/file.txt", false),
            ("**/*.txt", "file.txt", true),
            ("**/**/*.txt", "file.txt", true),
            ("a**/*.txt", "a/file.txt", true),
            ("a**/*.txt", "a/dir/file.txt", true),
            ("a**/*.txt", "a/dir/dir/file.txt", true),
            ("a/*.txt", "a/dir/file.txt", false),
            ("a/*.txt", "a/file.txt", true),
            ("a/*.txt**", "a/file.txt", true),
            ("a[b-d]e", "ae", false),
            ("a[b-d]e", "ace", true),
            ("a[b-d]e", "aae", false),
            ("a[^b-d]e", "aze", true),
            (".*", ".foo", true),
            (".*", "foo", false),
            ("abc.def", "abcdef", false),
            ("abc.def", "abc.def", true),
            ("abc.def", "abcZdef", false),
            ("abc?def", "abcZdef", true),
            ("abc?def", "abcdef", false),
            ("a\\\\", "a\\", true),
            ("**/foo/bar", "foo/bar", true),
            ("**/foo/bar", "dir/foo/bar", true),
            ("**/foo/bar", "dir/dir2/foo/bar", true),
            ("abc/**", "abc", false),
            ("abc/**", "abc/def", true),
            ("abc/**", "abc/def/ghi", true),
            ("**/.foo", ".foo", true),
            ("**/.foo", "bar.foo", false),
            ("a(b)c/def", "a(b)c/def", true),
            ("a(b)c/def", "a(b)c/xyz", false),
            ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
            (
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                true,
            ),
            ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true),
        ];
        for &(pattern, path, want) in cases {
            assert_eq!(ignored(pattern, path), want, "{pattern:?} on {path:?}");
        }
    }

    #[test]
    fn parents_and_exceptions() {
        // A directory's pattern covers what is under it.
        assert!(ignored("node_modules\n", "node_modules/x/y.js"));
        assert!(ignored("*/tmp\n", "a/tmp/b.txt"));
        assert!(!ignored("*/tmp\n", "tmp/b.txt"));
        // The last matching line decides.
        let rules = "*.md\n!README*.md\nREADME-secret.md\n";
        assert!(ignored(rules, "CHANGES.md"));
        assert!(!ignored(rules, "README.md"));
        assert!(ignored(rules, "README-secret.md"));
        assert!(DockerIgnore::parse(rules).unwrap().has_exclusions());
        // Absolute sources are not cleaned into the context before the check: no match.
        assert!(!ignored("foo\n", "/foo"));
        // `.` is the whole context: only a pattern that matches `.` covers it.
        assert!(ignored("*\n", "."));
        assert!(!ignored(".git\n", "."));
    }

    #[test]
    fn the_file_is_read_as_readall_reads_it() {
        let rules = "\u{feff}# comment\n  # not a comment: a pattern\n\n  /abs/path/  \r\n! spaced\n./x/../y\n/ /\n";
        let d = DockerIgnore::parse(rules).unwrap();
        assert!(d.matches_or_parent_matches("abs/path/file").unwrap());
        assert!(d.matches_or_parent_matches("y").unwrap());
        assert!(d.matches_or_parent_matches("# not a comment: a pattern").unwrap());
        assert!(d.has_exclusions());
        // `/ /` is a blank once made relative, not a pattern for `.`.
        assert!(!d.matches_or_parent_matches(".").unwrap());
        // What BuildKit rejects, with the line.
        for (rules, line, message) in [
            ("a\n!\n", 2, "illegal exclusion pattern: \"!\""),
            ("[a\n", 1, "syntax error in pattern"),
            ("ok\na[]b\n", 2, "syntax error in pattern"),
            ("a[-z]\n", 1, "syntax error in pattern"),
            ("a[b-]\n", 1, "syntax error in pattern"),
            ("x\\\n", 1, "syntax error in pattern"),
        ] {
            let e = DockerIgnore::parse(rules).unwrap_err();
            assert_eq!((e.line, e.message.as_str()), (line, message), "{rules:?}");
        }
    }

    /// What `tools/ignore_differential.py` found against BuildKit's own code (patternmatcher
    /// 0.6.0 on Go 1.24), which a port of it had hidden.
    #[test]
    fn read_as_buildkits_own_code_reads_it() {
        // `filepath.Match(p, ".")` checks a chunk's syntax only when it tries the chunk: after
        // `[ab]` fails to match `.`, the rest is never read. BuildKit accepts such a file, and
        // its expression then fails to compile (an unclosed bracket): matching fails.
        for accepted in ["[ab]*[", "a*\\", "a*[]", "b?*[z-"] {
            let d = DockerIgnore::parse(accepted).unwrap_or_else(|e| panic!("{accepted:?}: {e}"));
            assert_eq!(d.matches_or_parent_matches("ab").is_none(), accepted != "a*\\", "{accepted:?}");
        }
        for refused in ["*[", "?*\\", "x\\", "[]", ".[a-]"] {
            assert!(DockerIgnore::parse(refused).is_err(), "{refused:?}");
        }
        // A pattern's last backslash escapes the `$` patternmatcher appends: a literal `$`, and
        // no anchor at the end.
        for (path, want) in [("ab$", true), ("ab$/c", true), ("abc$x", true), ("ab", false), ("a/b$", false)] {
            assert_eq!(ignored("a*\\", path), want, "{path:?}");
        }
        // `|` is an alternation for Go's regexp (patternmatcher does not escape it): `^x*` or
        // `y*$`, looked for anywhere in the path; an empty alternative matches every path. An
        // exact pattern (no expression) and an escaped `\|` keep it as a character.
        for (path, want) in [("xa/b", true), ("b/y", true), ("b/ya", true), ("b/ya/c", true), ("b/a", false)] {
            assert_eq!(ignored("x*|y*\n", path), want, "{path:?}");
        }
        assert!(ignored("*.log|\n", "src/main.rs"));
        assert!(ignored("|*.log\n", "src/main.rs"));
        assert!(ignored("a|b\n", "a|b") && !ignored("a|b\n", "a"));
        assert!(ignored("a\\|*\n", "a|b") && !ignored("a\\|*\n", "a"));
        // A `{` is a repetition when a count follows, else a character, as for Go (answers from
        // Go: a pattern without a wildcard is matched as it is written, braces and all). Where
        // Go's regexp refuses the repetition (after another one: `*` is `[^/]*`; at the start
        // of a later alternative; counts out of range), matching fails, and with it every later
        // pattern's, as in BuildKit.
        answers(&[
            ("a?{2}", "abb", true),
            ("a?{2}", "ab", false),
            ("a?{2}", "a{2}", false),
            ("a?{2}{x", "abb{x", true),
            ("a?{2}{x", "ab{2}{x", false),
            ("[ab]{2}c", "bac", true),
            ("[ab]{2}c", "abac", false),
            ("[ab]{2}c", "ac", false),
            ("{0}ab", "ab", false),
            ("{0}a*", "xab", true),
            ("?{2,}", "a", false),
            ("?{2,}", "abcdef", true),
            ("x?{0,2}y", "xy", true),
            ("x?{0,2}y", "xaby", true),
            ("x?{0,2}y", "xabcy", false),
        ]);
        // The file's repetitions write at most `REPETITION_BUDGET` tokens: the pattern that would
        // pass it matches nothing here (Go matches it).
        let rules: String = (0..21).map(|i| format!("{i}?{{1000}}\n")).collect();
        assert!(ignored(&rules, &format!("0{}", "a".repeat(1000))));
        assert!(ignored(&rules, &format!("19{}", "a".repeat(1000))));
        assert!(!ignored(&rules, &format!("20{}", "a".repeat(1000))));
        refused(&["a*{2}", "x*|{2}", "a?{1001}", "a?{2,1}", "a?{2}{3}", "**/a?{100000000}", "a?{1,100000000}"]);
        assert!(ignored("a?{2,}\nsecret\n", "secret") && ignored("^{2}?\nsecret\n", "secret"));
        for literal in ["a*{01}", "a*{,2}", "a*{1", "a*{1,x}"] {
            assert!(ignored(literal, &literal.replace('*', "b")), "{literal:?}");
        }
    }

    #[test]
    fn a_line_longer_than_readall_reads_fails_the_file() {
        let long = |n: usize| "a".repeat(n);
        // At the limit a line is read, a trailing CR counted, the LF not; one byte more fails the
        // whole file, a comment too, and before a syntax error on an earlier line.
        let at_limit = format!("{}\n", long(MAX_LINE_BYTES));
        assert!(DockerIgnore::parse(&at_limit).unwrap().matches_or_parent_matches(&long(MAX_LINE_BYTES)).unwrap());
        assert!(DockerIgnore::parse(&long(MAX_LINE_BYTES)).is_ok(), "the last line, with no LF");
        for (rules, line) in [
            (format!("x\n{}\n", long(MAX_LINE_BYTES + 1)), 2),
            (long(MAX_LINE_BYTES + 1), 1),
            (format!("{}\r\n", long(MAX_LINE_BYTES)), 1),
            (format!("[\n#{}\n", long(MAX_LINE_BYTES)), 2),
            (format!("\u{feff}{}", long(MAX_LINE_BYTES - 2)), 1),
        ] {
            let e = DockerIgnore::parse(&rules).unwrap_err();
            assert_eq!((e.line, e.message.as_str()), (line, TOO_LONG), "{}", rules.len());
        }
        // A byte that is no UTF-8 inside brackets fails Go's syntax check (`getEsc`); a U+FFFD
        // there does not, and elsewhere such a byte matches as U+FFFD.
        assert!(DockerIgnore::parse_bytes(b"[\xff]\n").is_err());
        assert!(DockerIgnore::parse_bytes("[\u{fffd}]\n".as_bytes()).is_ok());
        let lossy = DockerIgnore::parse_bytes(b"a\xff*\n").unwrap();
        assert!(lossy.matches_or_parent_matches("a\u{fffd}b").unwrap());
        // Measured in the file's bytes, not in the text a lossy decoding makes of them.
        let invalid = [vec![0xff; 30_000], b"\n*\n".to_vec()].concat();
        assert!(DockerIgnore::parse_bytes(&invalid).unwrap().matches_or_parent_matches("x").unwrap());
        assert!(DockerIgnore::parse(&String::from_utf8_lossy(&invalid)).is_err());
        // The message says how long the line is instead of quoting it.
        let dir = std::env::temp_dir().join(format!("stagecraft-ignore-long-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(".dockerignore");
        std::fs::write(&file, format!("ok\n{}\n", long(70_000))).unwrap();
        let message = load(&file).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(message.ends_with(":2: bufio.Scanner: token too long (the line is 70000 bytes; BuildKit reads lines of at most 65535): BuildKit fails every build of this context until the line is shortened"), "{message}");
    }

    #[test]
    fn expressions_beyond_globs() {
        // `^` inside an expression anchors; a reversed range cannot be matched at all.
        assert!(ignored("^a*\n", "ab"));
        assert!(!ignored("a*^b\n", "ab"));
        let reversed = DockerIgnore::parse("[z-a]x\n").unwrap();
        assert!(reversed.matches_or_parent_matches("bx").is_none());
        // A `*` or `?` in brackets closes them early, as Go reads what patternmatcher writes:
        // `a[*]` is `a[[^/]*]`, the class `[`, `^`, `/` any number of times, then `]`; where
        // the brackets never close, matching fails (answers from Go).
        for (path, want) in [("a]", true), ("a[]", true), ("a/]", true), ("a^]", true), ("a*", false), ("a", false)] {
            assert_eq!(ignored("a[*]\n", path), want, "{path:?}");
        }
        for (path, want) in [("ab]c", true), ("a/]c", true), ("abc", false), ("a]c", false)] {
            assert_eq!(ignored("a[b?]c\n", path), want, "{path:?}");
        }
        for invalid in ["x*[]**\nsecret\n", "a-*[z-*]\n"] {
            assert_eq!(DockerIgnore::parse(invalid).unwrap().matches_or_parent_matches("secret"), None, "{invalid:?}");
        }
        // Class names, escaped characters and Perl classes, in brackets and out, read as Go's
        // regexp reads them (answers from Go 1.24's regexp through patternmatcher).
        answers(&[
            ("a[[:alpha:]]", "ab", true),
            ("a[[:alpha:]]", "a1", false),
            ("a[[:alpha:]]", "a\u{e9}", false),
            ("a*\\d", "ab1", true),
            ("a*\\d", "ab", false),
            ("a*\\d", "a/1", false),
            ("\\x41\\x{e9}\\101", "A\u{e9}A", true),
            ("\\x41\\x{e9}\\101", "a\u{e9}a", false),
            ("x[\\d-z]", "x-", true),
            ("x[\\d-z]", "xa", false),
            ("x[^[:space:]\\W]", "x_", true),
            ("x[^[:space:]\\W]", "x-", false),
            ("a\\tb", "a\tb", true),
            ("a\\tb", "atb", false),
            // A surrogate's code is a character no path holds.
            ("\\x{D800}a", "a", false),
        ]);
        // A class name Go does not know fails matching, and so does a class at a range's end;
        // `[:]` names no class, and an escaped `:` ends a name as a plain one does.
        refused(&["a[[:foo:]]", "x[a-\\d]", "a[a-[:alpha:]]", "[[:]a\\:]"]);
        assert!(ignored("a[[:]x]\n", "a:x]") && ignored("a[[:]x]\n", "a[x]"));
        // An escape Go does not know fails matching (the patterns after it go unused); the ones
        // not reproduced (`\p`, `\b` and the like) match nothing here (answers from Go).
        refused(&["a*\\q", "a*\\8", "a*\\1x", "a*\\x4", "a*\\x{110000}", "a*[\\b]", "a*\\E", "a*[\\Q]"]);
        // A Unicode class's name is Go's or an error, in brackets and out, and the brackets end
        // where Go's do (`|{2}` in them is characters).
        refused(&["a*\\pb", "a*\\p{Greek", "a*[\\P{^Zzzz}]", "a*[\\p]"]);
        for unreproduced in ["a*\\b", "a*\\pL", "a*\\z", "a*\\p{Greek}", "a[\\pL|{2}]"] {
            assert!(ignored(&format!("{unreproduced}\nsecret\n"), "secret"), "{unreproduced:?}");
            assert!(!ignored(&format!("{unreproduced}\n"), "ab"), "{unreproduced:?}");
        }
        // `\A` is the start, as `^` is; `\Q...\E` quotes what patternmatcher writes (`[^/]*` for
        // a `*`), up to the first `\E` in it or to the end with the `$` it appends; a long
        // `\x{...}` with leading zeros is a character (answers from Go).
        let long_x = format!("\\x{{{}41}}", "0".repeat(70));
        answers(&[
            ("x|\\Ay*", "ya", true),
            ("x|\\Ay*", "aya", false),
            ("x*\\Q*.\\E", "x[^/]*\\.", true),
            ("x*\\Q*.\\E", "xa.", false),
            ("x*\\Qab", "xab$", true),
            ("x*\\Qab", "xab", false),
            ("x*\\Qab\\", "xab\\$", true),
            ("x*\\Q\\\\E", "x\\", true),
            (&format!("a*{long_x}"), "abA", true),
            (&format!("a[{long_x}]"), "aA", true),
        ]);
        // Many stars, a line of `[:` with no `:]` (each `[:` once searched the line to its end
        // for one: 2.8 s in a release build), and a source of a hundred thousand directories,
        // stay fast.
        assert!(ignored(&format!("a[{}x]\n", "[:".repeat(30_000)), "a["));
        let many = "*a*a*a*a*a*a*a*a*a*a*b\n";
        assert!(!ignored(many, &"a".repeat(3000)));
        let deep = "a/".repeat(100_000) + "z";
        for rules in ["**/b\n", "a/a/b*\n", "x\n", "**b\n", "q/**\n"] {
            assert!(!ignored(rules, &deep), "{rules:?}");
        }
        assert!(ignored("a/a/a*\n", &deep));
    }
}
