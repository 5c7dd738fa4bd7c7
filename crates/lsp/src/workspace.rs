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
//! are the names the editor integrations give the `dockerfile` language: `Dockerfile`,
//! `dockerfile`, `Containerfile`, `*.Dockerfile`, `*.dockerfile`, `*.Containerfile`,
//! `Dockerfile.*` and `Containerfile.*` (not `*.dockerignore`).

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

/// A file name the editor integrations give the `dockerfile` language.
pub(crate) fn is_dockerfile_name(name: &str) -> bool {
    if name.ends_with(".dockerignore") {
        return false;
    }
    let base = |b: &str| name == b || name.strip_prefix(b).is_some_and(|rest| rest.starts_with('.'));
    base("Dockerfile")
        || base("Containerfile")
        || name == "dockerfile"
        || [".Dockerfile", ".dockerfile", ".Containerfile"].iter().any(|s| name.ends_with(s))
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
            ["Dockerfile.dockerignore", "Dockerfiles", "dockerfile.txt", "README.md", "Dockerfilex", "DOCKERFILE"]
        {
            assert!(!is_dockerfile_name(name), "{name}");
        }
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
