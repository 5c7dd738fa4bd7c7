//! Workspace symbols: the named stages of every Dockerfile in the workspace, found by a fuzzy
//! match of their names. Open documents count as the editor has them (unsaved edits too); the
//! other Dockerfiles under the workspace folders are read from disk, each analysed once and
//! again only when its modification time or size moves.
//!
//! The walk is bounded so that a request on a huge tree stays quick: hidden directories,
//! `node_modules`, `target` and `vendor` are skipped, it goes [`MAX_DEPTH`] directories deep,
//! looks at [`MAX_ENTRIES`] entries and reads [`MAX_FILES`] Dockerfiles of at most
//! [`MAX_FILE_BYTES`] each. Dockerfiles are the names the editor integrations give the
//! `dockerfile` language: `Dockerfile`, `Containerfile`, `*.Dockerfile`, `*.dockerfile`,
//! `*.Containerfile`, `Dockerfile.*` and `Containerfile.*` (not `*.dockerignore`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

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
        let mut found = Vec::new();
        let mut budget = MAX_ENTRIES;
        for root in roots {
            walk(root, 0, &mut budget, &mut found);
        }
        found.sort();
        found.dedup();
        found.truncate(MAX_FILES);
        let mut out = Vec::new();
        let mut seen = HashMap::new();
        for path in found {
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
                _ => match std::fs::read(&path) {
                    // Not UTF-8: the analysis reads it as the CLI does, lossily.
                    Ok(bytes) => stage_names(&analyze(&String::from_utf8_lossy(&bytes), &Options::default()), encoding),
                    Err(_) => continue,
                },
            };
            seen.insert(path.clone(), (key.0, key.1, stages.clone()));
            out.push((path, stages));
        }
        self.files = seen;
        out
    }
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
            let skipped = name.starts_with('.') || matches!(name, "node_modules" | "target" | "vendor");
            if !skipped && depth + 1 < MAX_DEPTH {
                walk(&entry.path(), depth + 1, budget, found);
            }
        } else if kind.is_file() && is_dockerfile_name(name) {
            found.push(entry.path());
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
        || [".Dockerfile", ".dockerfile", ".Containerfile"].iter().any(|s| name.len() > s.len() && name.ends_with(s))
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
        for yes in
            ["Dockerfile", "Containerfile", "Dockerfile.dev", "api.Dockerfile", "x.dockerfile", "a.Containerfile"]
        {
            assert!(is_dockerfile_name(yes), "{yes}");
        }
        for no in
            ["Dockerfile.dockerignore", "Dockerfiles", "dockerfile.txt", ".Dockerfile", "README.md", "Dockerfilex"]
        {
            assert!(!is_dockerfile_name(no), "{no}");
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
