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

/// BuildKit's reading of a source word (after expansion).
pub(crate) fn source_kind(src: &str) -> SourceKind {
    // Every URL and repository form has a colon; most sources are plain paths.
    if !src.contains(':') {
        return SourceKind::Local;
    }
    if is_git(src) {
        SourceKind::Git
    } else if src.starts_with("http://") || src.starts_with("https://") {
        SourceKind::Http
    } else {
        SourceKind::Local
    }
}

/// `dfgitutil.ParseGitRef` succeeding on a ref that is not `IndistinguishableFromLocal`.
fn is_git(src: &str) -> bool {
    if src.starts_with("./") || src.starts_with("../") || src.starts_with("github.com/") {
        return false;
    }
    // `gitutil.ParseURL`: an explicit `scheme://`, which must be one Git speaks; an HTTP(S)
    // URL is a repository only when its path (before any query or fragment) ends in `.git`.
    if let Some(end) = explicit_scheme(src) {
        let scheme = src[..end].to_ascii_lowercase();
        let (rest, fragment) = src[end + 3..].split_once('#').unwrap_or((&src[end + 3..], ""));
        let path = rest.split('?').next().unwrap_or_default();
        let path = path.find('/').map_or("", |i| &path[i..]);
        return valid_fragment(fragment)
            && match scheme.as_str() {
                "http" | "https" => path.ends_with(".git"),
                "ssh" | "git" => true,
                _ => false,
            };
    }
    // ...else the scp-like `user@host:path[?query][#fragment]` (the user is required: BuildKit
    // once made it optional, and took Windows paths such as `C:\out` for repositories).
    scp_fragment(src).is_some_and(valid_fragment)
}

/// Where the scheme of `^[a-zA-Z0-9]+://` ends.
fn explicit_scheme(s: &str) -> Option<usize> {
    let end = s.bytes().position(|b| !b.is_ascii_alphanumeric())?;
    (end > 0 && s[end..].starts_with("://")).then_some(end)
}

/// `sshutil`'s `^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$`: the fragment
/// if it matches (empty when there is none).
fn scp_fragment(s: &str) -> Option<&str> {
    if s.contains('\n') {
        // `.` does not match a newline.
        return None;
    }
    let user = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let host = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
    let (u, rest) = s.split_once('@')?;
    if u.is_empty() || !u.bytes().all(user) {
        return None;
    }
    let end = rest.bytes().take_while(|&c| host(c)).count();
    if end == 0 || rest.as_bytes().get(end) != Some(&b':') {
        return None;
    }
    // The lazy path and query stop at the first `#`, which starts the fragment.
    Some(rest[end + 1..].split_once('#').map_or("", |(_, f)| f))
}

/// `splitGitFragment`: a `##key=value,...` fragment must hold only `ref`, `commit` and
/// `subdir` keys (a single `#` fragment is `ref:subdir` and always reads).
fn valid_fragment(fragment: &str) -> bool {
    let Some(csv) = fragment.strip_prefix('#') else { return true };
    if csv.is_empty() {
        return true;
    }
    let Ok(fields) = crate::instructions::csv_fields(csv) else { return false };
    fields.iter().all(|f| {
        f.split_once('=').is_some_and(|(k, _)| matches!(k.to_ascii_lowercase().as_str(), "ref" | "commit" | "subdir"))
    })
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
    (!symbolic_mode(value.as_bytes())).then(|| "invalid syntax".to_string())
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

    #[test]
    fn git_http_and_local_sources() {
        for git in [
            "git@github.com:moby/buildkit.git",
            "git@github.com:moby/buildkit.git#v0.1.0:sub",
            "https://github.com/moby/buildkit.git",
            "https://github.com/moby/buildkit.git#main",
            "HTTPS://github.com/moby/buildkit.git",
            "ssh://git@github.com/moby/buildkit",
            "git://github.com/moby/buildkit",
            "u@1host:/x",
        ] {
            assert_eq!(source_kind(git), SourceKind::Git, "{git}");
        }
        for http in [
            "https://example.com/a.tar.gz",
            "http://x/y",
            "https://github.com/moby/buildkit",
            // Not a repository (the fragment does not read), so a URL.
            "https://example.com/x.git##typ=1",
        ] {
            assert_eq!(source_kind(http), SourceKind::Http, "{http}");
        }
        for local in [
            "src",
            "./a:b",
            "github.com/moby/buildkit",
            "ftp://example.com/a",
            // No user: not scp-like (Windows paths stay paths).
            r"C:\app",
            r"C:\Program Files\Go",
            "c:/app",
            "host:path",
            "first.last@host:path",
            "a b:c",
            "git@github.com:moby/buildkit.git##bad=1",
            // Not `http://`, so not a URL for `isHTTPSource` either.
            "HTTP://example.com/a",
        ] {
            assert_eq!(source_kind(local), SourceKind::Local, "{local}");
        }
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
            assert_eq!(chmod_error(bad).as_deref(), Some("invalid syntax"), "{bad}");
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
