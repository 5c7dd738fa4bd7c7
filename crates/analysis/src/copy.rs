//! What BuildKit's `dispatchCopy` makes of a COPY or ADD: which sources are Git repositories
//! or URLs (`dfgitutil.ParseGitRef`, `isHTTPSource`), which `--chmod` values and ADD
//! `--checksum` digests it refuses, and which Windows paths its drive-letter check refuses
//! (`system.CheckSystemDriveAndRemoveDriveLetter`). Pure functions of the words, so they can be
//! tested apart from the engine.

use stagecraft_syntax::go;

/// What a COPY or ADD source is to BuildKit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceKind {
    /// A Git repository (`ssh://`, `git://`, an HTTP(S) URL whose path ends in `.git`, and the
    /// scp-like `user@host:path`).
    Git,
    /// An HTTP(S) URL that is not a Git repository.
    Http,
    /// A path in the build context (or the `--from` stage or image).
    Local,
}

/// BuildKit's reading of a source word (after expansion) where a repository's refused query is
/// the error only when it is no URL: `isHTTPSource` first (a repository URL whose query
/// BuildKit refuses is a URL to it), then `ParseGitRef`'s error, then a repository (not the
/// `github.com/…` form, which ADD and COPY copy as a path), else a path.
pub(crate) fn source_kind(src: &str) -> Result<SourceKind, String> {
    match crate::gitref::parse(src) {
        Some(Ok(r)) if !r.indistinguishable_from_local => Ok(SourceKind::Git),
        _ if url_or_path(src) == SourceKind::Http => Ok(SourceKind::Http),
        Some(Err(e)) => Err(e),
        _ => Ok(SourceKind::Local),
    }
}

/// What a source that is no repository is: a URL (`http://` or `https://`, as written) or a path.
pub(crate) fn url_or_path(src: &str) -> SourceKind {
    if src.starts_with("http://") || src.starts_with("https://") {
        SourceKind::Http
    } else {
        SourceKind::Local
    }
}

/// `isGitSource`: a Git reference whose query reads, `github.com/…` included (what the
/// `--checksum` check takes).
pub(crate) fn is_git_source(src: &str) -> bool {
    matches!(crate::gitref::parse(src), Some(Ok(_)))
}

/// The error BuildKit fails a `--chmod` value with, if it does: an octal number above 07777
/// or one that is not octal, or a symbolic mode `chmod(1)` would not take.
pub(crate) fn chmod_error(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    let non_octal =
        || Some(format!("invalid chmod parameter: '{value}'. it should be octal string and between 0 and 07777"));
    if value.as_bytes()[0].is_ascii_digit() {
        // `strconv.ParseUint(value, 8, 32)`, and values of `mode.Parse` that look numeric.
        return match parse_u32(value, 8) {
            Some(p) if p <= 0o7777 => None,
            _ => non_octal(),
        };
    }
    // `mode.Parse`'s symbolic grammar. (Where it would index past the end, as for `u` or a
    // trailing comma, BuildKit's parser panics; the build fails all the same.)
    // (BuildKit says "invalid syntax" alone: which flag and value is ours, as a hint.)
    (!symbolic_mode(value.as_bytes())).then(|| {
        let chown = if value.contains(':') { "; did you mean --chown?" } else { "" };
        format!(
            "invalid syntax; --chmod={value} is no octal mode (such as 755) and no symbolic one (such as u+x){chown}"
        )
    })
}

fn symbolic_mode(b: &[u8]) -> bool {
    let mut i = 0;
    loop {
        while i < b.len() && matches!(b[i], b'a' | b'u' | b'g' | b'o') {
            i += 1;
        }
        loop {
            let Some(&op) = b.get(i) else { return false };
            i += 1;
            if !matches!(op, b'+' | b'-' | b'=') {
                return false;
            }
            while i < b.len() && matches!(b[i], b'r' | b's' | b't' | b'w' | b'X' | b'x' | b'u' | b'g' | b'o') {
                i += 1;
            }
            match b.get(i) {
                None => return true,
                Some(b',') => {
                    i += 1;
                    break;
                }
                Some(_) => {}
            }
        }
        if i == b.len() {
            return false;
        }
    }
}

/// `strconv.ParseUint(s, radix, 32)`: digits only, no sign, at most `u32::MAX`.
pub(crate) fn parse_u32(s: &str, radix: u32) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    s.chars().try_fold(0u32, |n, c| n.checked_mul(radix)?.checked_add(c.to_digit(radix)?))
}

/// `CheckSystemDriveAndRemoveDriveLetter`'s refusal of a Windows path, if it refuses it: a
/// bare drive, a UNC path, or a drive other than `C:`.
pub(crate) fn windows_drive_error(path: &str) -> Option<String> {
    let b = path.as_bytes();
    let separator = |i: usize| matches!(b.get(i), Some(b'/' | b'\\'));
    if b.len() == 2 && b[1] == b':' {
        Some(format!("No relative path specified in {}", go::quote_str(path)))
    } else if separator(0) && separator(1) {
        Some("UNC paths are not supported".into())
    } else if b.iter().position(|&c| c == b':').is_some_and(|i| !path[..i].eq_ignore_ascii_case("c")) {
        Some("The specified path is not on the system drive (C:)".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kinds; what is a repository is tested with the Git reading (`gitref`).
    #[test]
    fn git_http_and_local_sources() {
        for (src, kind) in [
            ("git@github.com:moby/buildkit.git", SourceKind::Git),
            ("https://github.com/moby/buildkit.git#main", SourceKind::Git),
            ("https://example.com/a.tar.gz", SourceKind::Http),
            ("https://github.com/moby/buildkit", SourceKind::Http),
            // A repository whose query BuildKit refuses is no Git source, so a URL...
            ("https://github.com/moby/buildkit.git?foo=bar", SourceKind::Http),
            ("src", SourceKind::Local),
            ("github.com/moby/buildkit", SourceKind::Local),
            ("ftp://example.com/a", SourceKind::Local),
            (r"C:\app", SourceKind::Local),
            // Not `http://`, so not a URL for `isHTTPSource` either.
            ("HTTP://example.com/a", SourceKind::Local),
        ] {
            assert_eq!(source_kind(src), Ok(kind), "{src}");
        }
        // ...or, when it is no URL, the query's error.
        assert!(
            source_kind("git@github.com:moby/buildkit.git?foo=bar").is_err_and(|e| e.starts_with("unexpected query"))
        );
        assert!(is_git_source("github.com/moby/buildkit"));
        assert!(!is_git_source("github.com/moby/buildkit?x=1"));
        assert!(!is_git_source("https://example.com/a.tar.gz"));
    }

    #[test]
    fn chmod_values() {
        for ok in ["755", "0644", "7777", "u+x", "go-w", "=rw,+X", "u=rwx,go=rx", "a+rwx", "u+x-w", "+t"] {
            assert_eq!(chmod_error(ok), None, "{ok}");
        }
        let octal =
            |v: &str| format!("invalid chmod parameter: '{v}'. it should be octal string and between 0 and 07777");
        for bad in ["64a", "10000", "8", "0o755", "99999999999", "7+"] {
            assert_eq!(chmod_error(bad), Some(octal(bad)), "{bad}");
        }
        for bad in ["foo", "u", "u+x,", "+755", "rwx", "-1"] {
            assert!(chmod_error(bad).is_some_and(|e| e.starts_with("invalid syntax; --chmod=")), "{bad}");
        }
    }

    #[test]
    fn windows_drives() {
        assert_eq!(windows_drive_error("C:").as_deref(), Some("No relative path specified in \"C:\""));
        assert_eq!(windows_drive_error(r"\\server\share").as_deref(), Some("UNC paths are not supported"));
        assert_eq!(
            windows_drive_error(r"D:\app").as_deref(),
            Some("The specified path is not on the system drive (C:)")
        );
        for ok in [r"C:\app", "c:/app", "/app", "app", r"\app"] {
            assert_eq!(windows_drive_error(ok), None, "{ok}");
        }
    }
}
