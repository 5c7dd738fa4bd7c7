//! Workspace symbols: the named stages of every Dockerfile in the workspace, found by a fuzzy
//! match of their names. Open documents count as the editor has them (unsaved edits too); the
//! other Dockerfiles under the workspace folders are read from disk, each analysed once and
//! again only when its modification time or size moves.
//!
//! The walk is bounded so that a request on a huge tree stays quick: hidden directories (but
//! [`HIDDEN_KEPT`], where CI and dev-container Dockerfiles live), `node_modules`, `target` and
//! `vendor` are skipped, symlinked directories are not followed, it goes [`MAX_DEPTH`]
//! directories deep, looks at [`MAX_ENTRIES`] entries and reads [`MAX_FILES`] Dockerfiles of at
//! most [`MAX_FILE_BYTES`] each. A walk is reused for [`LISTING_TTL`] (an editor sends a request
//! per keystroke of the query); each file's time and size are looked at every time. Dockerfiles
//! are the names the editor integrations give the `dockerfile` language ([`is_dockerfile_name`]).

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use stagecraft_analysis::{analyze, Analysis, Options};
use tower_lsp_server::lsp_types::{Location, OneOf, Range, SymbolKind, Uri, WorkspaceSymbol};
use tower_lsp_server::UriExt;

use crate::convert::Encoding;

const MAX_DEPTH: usize = 8;
const MAX_ENTRIES: usize = 50_000;
const MAX_FILES: usize = 2_000;
const MAX_FILE_BYTES: u64 = 4 << 20;
/// At most this many symbols in an answer (the best matches).
const MAX_RESULTS: usize = 1_000;
/// Hidden directories that are walked.
const HIDDEN_KEPT: &[&str] = &[".devcontainer", ".github", ".gitlab", ".circleci", ".buildkite", ".docker"];
/// How long a walk's list of Dockerfiles is reused.
const LISTING_TTL: Duration = Duration::from_secs(3);

/// A named stage: its name, and where the name is.
#[derive(Debug, Clone)]
pub(crate) struct StageName {
    name: String,
    range: Range,
}

/// The named stages of an analysis, with their names' ranges in `encoding`.
pub(crate) fn stage_names(a: &Analysis, encoding: Encoding) -> Vec<StageName> {
    a.stages()
        .iter()
        .filter_map(|s| {
            let name = s.name_as_written.clone()?;
            Some(StageName { name, range: encoding.lsp_range(a, s.name_range.unwrap_or(s.from_range)) })
        })
        .collect()
}

/// The Dockerfiles read from disk, by path: their modification time and size when read, and
/// their named stages.
#[derive(Debug, Default)]
pub(crate) struct DiskCache {
    files: HashMap<PathBuf, (Option<SystemTime>, u64, Vec<StageName>)>,
    /// The last walk: when, of which roots, and the Dockerfiles it found.
    listing: Option<(Instant, Vec<PathBuf>, Vec<PathBuf>)>,
}

impl DiskCache {
    /// The named stages of the Dockerfiles under `roots` that are not among `open`, read again
    /// only when changed; files gone since are forgotten.
    pub(crate) fn stages(
        &mut self,
        roots: &[PathBuf],
        open: &HashSet<PathBuf>,
        encoding: Encoding,
    ) -> Vec<(PathBuf, Vec<StageName>)> {
        let (listing_at, found) = match self.listing.take() {
            Some((at, walked, found)) if walked == roots && at.elapsed() < LISTING_TTL => (at, found),
            _ => {
                let mut found = Vec::new();
                let mut budget = MAX_ENTRIES;
                for root in roots {
                    walk(root, 0, &mut budget, &mut found);
                }
                found.sort();
                found.dedup();
                found.truncate(MAX_FILES);
                (Instant::now(), found)
            }
        };
        let mut out = Vec::new();
        let mut seen = HashMap::new();
        for path in &found {
            let path = path.clone();
            if open.contains(&path) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&path) else { continue };
            if meta.len() > MAX_FILE_BYTES {
                continue;
            }
            let key = (meta.modified().ok(), meta.len());
            let stages = match self.files.remove(&path) {
                Some((time, len, stages)) if (time, len) == key => stages,
                _ => match read_at_most(&path, MAX_FILE_BYTES) {
                    // Not UTF-8: the analysis reads it as the CLI does, lossily.
                    Some(bytes) => {
                        stage_names(&analyze(&String::from_utf8_lossy(&bytes), &Options::default()), encoding)
                    }
                    None => continue,
                },
            };
            seen.insert(path.clone(), (key.0, key.1, stages.clone()));
            out.push((path, stages));
        }
        self.files = seen;
        self.listing = Some((listing_at, roots.to_vec(), found));
        out
    }
}

/// The file's bytes, or `None` if it cannot be read or has grown past `max` since it was looked at.
fn read_at_most(path: &Path, max: u64) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path).ok()?.take(max + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= max).then_some(bytes)
}

/// Collects the Dockerfiles under `dir` into `found`, within the limits.
fn walk(dir: &Path, depth: usize, budget: &mut usize, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if *budget == 0 || found.len() >= MAX_FILES {
            return;
        }
        *budget -= 1;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            let hidden = name.starts_with('.') && !HIDDEN_KEPT.contains(&name);
            let skipped = hidden || matches!(name, "node_modules" | "target" | "vendor");
            if !skipped && depth + 1 < MAX_DEPTH {
                walk(&entry.path(), depth + 1, budget, found);
            }
        } else if is_dockerfile_name(name) {
            // A symlink counts when it leads to a file (directories behind one are not walked).
            let file =
                kind.is_file() || (kind.is_symlink() && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()));
            if file {
                found.push(entry.path());
            }
        }
    }
}

/// A file name the editor integrations give the `dockerfile` language: `Dockerfile`,
/// `Containerfile`, `Dockerfile.*`, `Containerfile.*`, `*.Dockerfile` and `*.Containerfile`, in
/// any case (VS Code matches file names and patterns in lower case), but not an ignore file
/// (`Dockerfile.dockerignore` is the ignore file BuildKit reads beside `Dockerfile`). A test
/// checks this against the VS Code extension's and the Neovim plugin's lists.
pub(crate) fn is_dockerfile_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name.ends_with(".dockerignore") {
        return false;
    }
    ["dockerfile", "containerfile"].iter().any(|b| {
        name.strip_prefix(b).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            || name.strip_suffix(b).is_some_and(|rest| rest.ends_with('.'))
    })
}

/// How well `name` matches `query`, case-insensitively (higher is better): the whole name, a
/// prefix, a substring, the query's characters in order; `None` when they are not all there.
/// An empty query matches everything.
pub(crate) fn score(name: &str, query: &str) -> Option<u8> {
    let name = name.to_lowercase();
    let query = query.to_lowercase();
    if name == query {
        Some(4)
    } else if name.starts_with(&query) {
        Some(3)
    } else if name.contains(&query) {
        Some(2)
    } else {
        let mut rest = name.chars();
        query.chars().all(|q| rest.any(|c| c == q)).then_some(1)
    }
}

/// The answer: each named stage of `files` whose name matches `query`, best matches first
/// (then by name and file), at most [`MAX_RESULTS`]; each names its file, relative to the
/// workspace folder that holds it, as its container.
pub(crate) fn symbols(files: Vec<(Uri, Vec<StageName>)>, roots: &[PathBuf], query: &str) -> Vec<WorkspaceSymbol> {
    let mut hits: Vec<(u8, String, String, Uri, Range)> = Vec::new();
    for (uri, stages) in files {
        let path = uri.to_file_path().map(|p| p.into_owned());
        let container = match &path {
            Some(p) => roots.iter().find_map(|r| p.strip_prefix(r).ok()).unwrap_or(p).to_string_lossy().into_owned(),
            None => uri.as_str().to_string(),
        };
        for s in stages {
            if let Some(score) = score(&s.name, query) {
                hits.push((score, s.name, container.clone(), uri.clone(), s.range));
            }
        }
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)).then_with(|| a.2.cmp(&b.2)));
    hits.truncate(MAX_RESULTS);
    hits.into_iter()
        .map(|(_, name, container, uri, range)| WorkspaceSymbol {
            name,
            kind: SymbolKind::CLASS,
            tags: None,
            container_name: Some(container),
            location: OneOf::Left(Location { uri, range }),
            data: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        let yes = [
            "Dockerfile",
            "dockerfile",
            "DOCKERFILE",
            "Containerfile",
            "Dockerfile.dev",
            "api.Dockerfile",
            "x.dockerfile",
            "a.Containerfile",
            ".Dockerfile",
        ];
        for name in yes {
            assert!(is_dockerfile_name(name), "{name}");
        }
        for name in
            ["Dockerfile.dockerignore", "Dockerfiles", "README.md", "Dockerfilex", "myDockerfile", "xDockerfile.y"]
        {
            assert!(!is_dockerfile_name(name), "{name}");
        }
    }

    /// The names the server searches are the names the editor integrations open as Dockerfiles
    /// (so that every Dockerfile an editor shows is found by `workspace/symbol`, and no other
    /// file): VS Code's `filenames` and `filenamePatterns` from `editors/vscode/package.json`,
    /// matched in lower case as VS Code matches them, and the Neovim plugin's patterns from
    /// `editors/nvim/lua/stagecraft/init.lua` together with the names Neovim itself knows.
    #[test]
    fn dockerfile_names_agree_with_the_editor_integrations() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let package: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("editors/vscode/package.json")).unwrap()).unwrap();
        let language = package["contributes"]["languages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == "dockerfile")
            .expect("the VS Code extension contributes the dockerfile language");
        let list = |key: &str| -> Vec<String> {
            language[key].as_array().map_or(Vec::new(), |a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        };
        let (vscode_names, vscode_patterns) = (list("filenames"), list("filenamePatterns"));
        assert!(!vscode_names.is_empty() && !vscode_patterns.is_empty());
        let vscode = |name: &str| {
            let lower = name.to_lowercase();
            vscode_names.iter().any(|n| n.to_lowercase() == lower)
                || vscode_patterns.iter().any(|p| glob(&p.to_lowercase(), &lower))
        };

        let lua = std::fs::read_to_string(root.join("editors/nvim/lua/stagecraft/init.lua")).unwrap();
        let start = lua.find("local NAME_PATTERNS").expect("NAME_PATTERNS in init.lua");
        let table = &lua[start..start + lua[start..].find('}').unwrap()];
        let nvim_globs: Vec<&str> = table.split('\'').skip(1).step_by(2).collect();
        assert!(nvim_globs.len() >= 5, "{nvim_globs:?}");
        // Neovim 0.8's `vim.filetype.add` patterns: `['<lua pattern>'] = 'dockerfile'`.
        let add = &lua[lua.find("vim.filetype.add").expect("vim.filetype.add in init.lua")..];
        let add = &add[..add.find("\n    })").unwrap()];
        let lua_patterns: Vec<&str> = add.split("['").skip(1).map(|p| &p[..p.find("']").unwrap()]).collect();
        assert!(lua_patterns.len() >= 4, "{lua_patterns:?}");
        // Neovim's own detection (runtime/filetype.vim in 0.7: `Containerfile,Dockerfile,
        // dockerfile,*.[dD]ockerfile` and `Dockerfile.*,Containerfile.*`).
        let builtin = [
            "Containerfile",
            "Dockerfile",
            "dockerfile",
            "*.dockerfile",
            "*.Dockerfile",
            "Dockerfile.*",
            "Containerfile.*",
        ];
        let nvim_plugin = |name: &str| nvim_globs.iter().any(|g| glob(g, name));
        let nvim_08 = |name: &str| {
            ["Dockerfile", "Containerfile"].contains(&name) || lua_patterns.iter().any(|p| lua_match(p, name))
        };
        let nvim_builtin = |name: &str| builtin.iter().any(|g| glob(g, name));

        let mut names = Vec::new();
        for base in ["Dockerfile", "dockerfile", "DOCKERFILE", "Containerfile", "containerfile", "ContainerFile"] {
            for form in
                ["{}", "{}.dev", "api.{}", ".{}", "{}s", "my{}", "{}.dockerignore", "x.{}.yaml", "{}.", "a.b.{}"]
            {
                names.push(form.replace("{}", base));
            }
        }
        names.extend(["README.md", ".dockerignore", "Makefile", "docker-compose.yml"].map(String::from));
        // And a name from each pattern of each list, so that a pattern added to one list alone
        // is seen: `*` and `.*` become `x`, a class its first character, `%.` a dot.
        let instance = |p: &str| {
            let p = p.replace(".*", "x").replace('*', "x").replace("%.", ".");
            match (p.find('['), p.find(']')) {
                (Some(a), Some(b)) => format!("{}{}{}", &p[..a], &p[a + 1..a + 2], &p[b + 1..]),
                _ => p,
            }
        };
        let patterns = vscode_patterns.iter().map(String::as_str).chain(nvim_globs.iter().copied());
        names.extend(patterns.chain(lua_patterns.iter().copied()).chain(builtin).map(instance));
        for name in &names {
            let server = is_dockerfile_name(name);
            if name.to_lowercase().ends_with(".dockerignore") {
                // BuildKit's ignore file for `Dockerfile`: never a Dockerfile to the server.
                assert!(!server, "{name}");
                continue;
            }
            // Every integration opens it as a Dockerfile: the server searches it.
            if vscode(name) || nvim_plugin(name) || nvim_08(name) || nvim_builtin(name) {
                assert!(server, "{name} is a Dockerfile in an editor, but the server does not search it");
            }
            // The server searches only what some editor opens as a Dockerfile.
            if server {
                assert!(
                    vscode(name) || nvim_plugin(name) || nvim_builtin(name),
                    "{name}: searched, but no editor's Dockerfile"
                );
            }
        }
        // The Neovim plugin's two lists (0.7's autocommand, 0.8's `vim.filetype.add`) agree.
        for name in &names {
            let (a, b) = (nvim_plugin(name) || nvim_builtin(name), nvim_08(name) || nvim_builtin(name));
            assert_eq!(a, b, "{name}: Neovim 0.7 {a}, 0.8 {b}");
        }
    }

    /// A glob with `*` (any run of characters) and `[..]`, the rest literal.
    fn glob(pattern: &str, name: &str) -> bool {
        let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
        fn go(p: &[char], n: &[char]) -> bool {
            match p.first() {
                None => n.is_empty(),
                Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
                Some('[') => {
                    let close = p.iter().position(|&c| c == ']').unwrap();
                    !n.is_empty() && p[1..close].contains(&n[0]) && go(&p[close + 1..], &n[1..])
                }
                Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
            }
        }
        go(&p, &n)
    }

    /// A Lua pattern anchored at both ends, as `vim.filetype.add` matches a file name: `.`
    /// (any character), `%x` (the character `x`), `[..]`, `*` after any of them; the rest literal.
    fn lua_match(pattern: &str, name: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let n: Vec<char> = name.chars().collect();
        // One item of the pattern: its length and whether it matches a character.
        fn item(p: &[char]) -> (usize, Box<dyn Fn(char) -> bool + '_>) {
            match p[0] {
                '.' => (1, Box::new(|_| true)),
                '%' => (2, Box::new(move |c| c == p[1])),
                '[' => {
                    let close = p.iter().position(|&c| c == ']').unwrap();
                    (close + 1, Box::new(move |c| p[1..close].contains(&c)))
                }
                l => (1, Box::new(move |c| c == l)),
            }
        }
        fn go(p: &[char], n: &[char]) -> bool {
            if p.is_empty() {
                return n.is_empty();
            }
            let (len, matches) = item(p);
            if p.get(len) == Some(&'*') {
                let mut i = 0;
                loop {
                    if go(&p[len + 1..], &n[i..]) {
                        return true;
                    }
                    if i < n.len() && matches(n[i]) {
                        i += 1;
                    } else {
                        return false;
                    }
                }
            }
            !n.is_empty() && matches(n[0]) && go(&p[len..], &n[1..])
        }
        go(&p, &n)
    }

    #[test]
    fn scores_rank_exact_prefix_substring_subsequence() {
        assert_eq!(score("build", "BUILD"), Some(4));
        assert_eq!(score("builder", "bui"), Some(3));
        assert_eq!(score("go-build", "build"), Some(2));
        assert_eq!(score("go-build", "gbd"), Some(1));
        assert_eq!(score("go-build", "dbg"), None);
        assert_eq!(score("anything", ""), Some(3));
    }
}
