//! BuildKit's reading of a Git source of ADD or COPY: `dfgitutil.ParseGitRef` over
//! `gitutil.ParseURL` and `sshutil.ParseSCPStyleURL`, with the parts of Go's `net/url` they rely
//! on. Whether a source is a repository decides how BuildKit copies it, and the query of a
//! repository URL (`?ref=v1.2&subdir=docs&keep-git-dir=1`) can fail the build.
//!
//! This follows the BuildKit of the corpus's oracle (2026-08), where `dfgitutil` reads the query
//! (`ref`, `tag`, `branch`, `subdir`, `checksum`/`commit`, `keep-git-dir`, `submodules`) and a
//! fragment is `ref:subdir` whatever it holds. Older BuildKit versions read the query in
//! `gitutil` with other messages, or a `##key=value` fragment; the oracle's BuildKit builds
//! moby's `ADD https://github.com/golang/vuln.git?ref=…&keep-git-dir=1` without an error,
//! which only the `dfgitutil` reading accepts.

use stagecraft_syntax::go::quote_str as q;

/// What a Git source asks for beyond its repository.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct GitRef {
    /// `github.com/owner/repo`: read as a repository only for build contexts; ADD and COPY copy
    /// it as a local path.
    pub indistinguishable_from_local: bool,
    /// `?keep-git-dir=…`.
    pub keep_git_dir: Option<bool>,
    /// `?checksum=…` or `?commit=…`.
    pub checksum: Option<String>,
}

/// `ParseGitRef`: `None` when the source is no Git reference, `Some(Err)` when it is one whose
/// query BuildKit refuses (with BuildKit's message), else what it asks for.
pub(crate) fn parse(src: &str) -> Option<Result<GitRef, String>> {
    if src.starts_with("./") || src.starts_with("../") {
        return None;
    }
    let (url, indistinguishable_from_local) = if src.starts_with("github.com/") {
        (parse_url(src, None)?, true)
    } else if let Some(end) = explicit_scheme(src) {
        let scheme = src[..end].to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https" | "ssh" | "git") {
            return None;
        }
        let url = parse_url(&src[end + 3..], Some(()))?;
        // An HTTP(S) URL is a repository only when its (unescaped) path ends in `.git`.
        if matches!(scheme.as_str(), "http" | "https") && !url.path.ends_with(".git") {
            return None;
        }
        (url, false)
    } else {
        (parse_scp(src)?, false)
    };
    Some(load_query(&url).map(|(keep_git_dir, checksum)| GitRef {
        indistinguishable_from_local,
        keep_git_dir,
        checksum,
    }))
}

/// Where the scheme of `^[a-zA-Z0-9]+://` ends.
pub(crate) fn explicit_scheme(s: &str) -> Option<usize> {
    let end = s.bytes().position(|b| !b.is_ascii_alphanumeric())?;
    (end > 0 && s[end..].starts_with("://")).then_some(end)
}

/// The parts of a URL the Git reading uses.
#[derive(Debug, Default)]
struct Url {
    /// The path, unescaped.
    path: String,
    /// The query's values by key, keys in the order they first appear (Go keeps a map; which
    /// error BuildKit reports first among several is up to its map order).
    query: Vec<(String, Vec<String>)>,
    /// The fragment, unescaped.
    fragment: String,
}

/// Go's `url.Parse` where BuildKit calls it: after `scheme://` (`authority` is `Some`), or a
/// `github.com/…` reference without a scheme. `None` where Go returns an error. The query is
/// read as `URL.Query()` reads it, dropping the pairs it cannot decode.
fn parse_url(rest: &str, authority: Option<()>) -> Option<Url> {
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    // Control characters before the fragment: "net/url: invalid control character in URL".
    if rest.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    // A single `?` at the end is `ForceQuery` with an empty query.
    let (rest, query) = match rest.split_once('?') {
        Some((r, "")) if !r.contains('?') => (r, ""),
        Some((r, q)) => (r, q),
        None => (rest, ""),
    };
    let path = match authority {
        Some(()) => {
            let (authority, path) = rest.find('/').map_or((rest, ""), |i| (&rest[..i], &rest[i..]));
            valid_authority(authority).then_some(())?;
            path
        }
        // No scheme: a colon in the first segment is refused.
        None if rest.split('/').next().is_some_and(|s| s.contains(':')) => return None,
        None => rest,
    };
    Some(Url { path: unescape(path, false)?, query: parse_query(query).0, fragment: unescape(fragment, false)? })
}

/// `parseAuthority`: userinfo before the last `@`, then a host with an optional port.
fn valid_authority(authority: &str) -> bool {
    let (userinfo, host) = authority.rsplit_once('@').map_or((None, authority), |(u, h)| (Some(u), h));
    if let Some(u) = userinfo {
        let ok = |b: u8| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b);
        if !u.bytes().all(ok) || unescape(u, false).is_none() {
            return false;
        }
    }
    valid_host(host)
}

/// `parseHost`: a port is a colon and digits only (`ssh://git@github.com:org/repo.git` has
/// the port `:org`, so Go refuses it and BuildKit copies it as a local path); an IPv6 literal
/// needs its `]`; the rest may hold no character a host name cannot.
fn valid_host(host: &str) -> bool {
    let valid_port =
        |p: &str| p.is_empty() || p.strip_prefix(':').is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else { return false };
        if !valid_port(&host[i + 1..]) {
            return false;
        }
        // `%25` starts an IPv6 zone, which may hold escapes a host may not.
        return match host[..i].find("%25") {
            Some(z) => host_chars(&host[..z], false) && host_chars(&host[z..i], true) && host_chars(&host[i..], false),
            None => host_chars(host, false),
        };
    }
    if let Some(i) = host.rfind(':') {
        if !valid_port(&host[i..]) {
            return false;
        }
    }
    host_chars(host, false)
}

/// `unescape` in `encodeHost` (or `encodeZone`) mode succeeds.
fn host_chars(s: &str, zone: bool) -> bool {
    let b = s.as_bytes();
    let allowed = |c: u8| c.is_ascii_alphanumeric() || b"!$&'()*+,;=:[]<>\"-_.~".contains(&c);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let (Some(h), Some(l)) = (b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c))) else {
                return false;
            };
            let escaped = &s[i..i + 3];
            let v = h << 4 | l;
            if zone {
                if escaped != "%25" && v != b' ' && !allowed(v) {
                    return false;
                }
            } else if h < 8 && escaped != "%25" {
                return false;
            }
            i += 3;
        } else {
            if b[i] < 0x80 && !allowed(b[i]) {
                return false;
            }
            i += 1;
        }
    }
    true
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Go's `unescape`: `%XX` decoded (each `%` needs two hex digits), and `+` a space in a query
/// component; `None` for a bad escape. Decoded bytes that are not UTF-8 (which a Go string
/// keeps) become U+FFFD: a path still ends in `.git` or not, and such a value is no key.
fn unescape(s: &str, query: bool) -> Option<String> {
    if !(s.contains('%') || query && s.contains('+')) {
        return Some(s.to_string());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let h = b.get(i + 1).and_then(|&c| hex(c))?;
                let l = b.get(i + 2).and_then(|&c| hex(c))?;
                out.push(h << 4 | l);
                i += 3;
            }
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `url.ParseQuery`: the values by key, and whether any pair was refused (a `;` in it, or a bad
/// escape), which `ParseQuery` reports and `URL.Query()` ignores.
fn parse_query(query: &str) -> (Vec<(String, Vec<String>)>, bool) {
    let mut values: Vec<(String, Vec<String>)> = Vec::new();
    let mut refused = false;
    for pair in query.split('&') {
        if pair.contains(';') {
            refused = true;
            continue;
        }
        if pair.is_empty() {
            continue;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(key), Some(value)) = (unescape(key, true), unescape(value, true)) else {
            refused = true;
            continue;
        };
        match values.iter_mut().find(|(k, _)| *k == key) {
            Some((_, vs)) => vs.push(value),
            None => values.push((key, vec![value])),
        }
    }
    (values, refused)
}

/// `sshutil.ParseSCPStyleURL`: `^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$`
/// (the user is required: BuildKit once made it optional, and took Windows paths such as
/// `C:\out` for repositories), whose query must parse.
fn parse_scp(s: &str) -> Option<Url> {
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
    // The lazy path stops at the first `?` or `#`; the lazy query at the first `#` after it.
    let rest = &rest[end + 1..];
    let (before, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = before.split_once('?').unwrap_or((before, ""));
    let (query, refused) = parse_query(query);
    if refused {
        return None;
    }
    Some(Url { path: path.to_string(), query, fragment: fragment.to_string() })
}

/// `GitRef.loadQuery` over the fragment's `ref:subdir`: the keep-git-dir and checksum the query
/// asks for, or BuildKit's error.
fn load_query(url: &Url) -> Result<(Option<bool>, Option<String>), String> {
    let (mut git_ref, mut subdir) = url.fragment.split_once(':').unwrap_or((&url.fragment, ""));
    let (mut keep_git_dir, mut checksum) = (None, None);
    let (mut tag, mut branch) = (String::new(), String::new());
    for (k, vs) in &url.query {
        if vs.len() > 1 {
            return Err(format!("query {} has multiple values", q(k)));
        }
        // `?keep-git-dir` and `?submodules` alone mean true.
        let v = vs[0].as_str();
        let flag = matches!(k.as_str(), "keep-git-dir" | "submodules");
        if v.is_empty() && !flag {
            return Err(format!("query {} has no value", q(k)));
        }
        match k.as_str() {
            "ref" => {
                if !git_ref.is_empty() && git_ref != v {
                    return Err(format!("ref conflicts: {} vs {}", q(git_ref), q(v)));
                }
                git_ref = v;
            }
            "tag" => tag = v.to_string(),
            "branch" => branch = v.to_string(),
            "subdir" => {
                if !subdir.is_empty() && subdir != v {
                    return Err(format!("subdir conflicts: {} vs {}", q(subdir), q(v)));
                }
                subdir = v;
            }
            "checksum" | "commit" => checksum = Some(v.to_string()),
            "keep-git-dir" | "submodules" => {
                let value = if v.is_empty() { Some(true) } else { parse_bool(v) };
                let Some(value) = value else { return Err(format!("invalid {k} value: {}", q(v))) };
                if k == "keep-git-dir" {
                    keep_git_dir = Some(value);
                }
            }
            _ => return Err(format!("unexpected query {}", q(k))),
        }
    }
    if !tag.is_empty() {
        if !tag.starts_with("refs/tags/") {
            tag.insert_str(0, "refs/tags/");
        }
        if !git_ref.is_empty() && git_ref != tag {
            return Err(format!("ref conflicts: {} vs {}", q(git_ref), q(&tag)));
        }
        git_ref = &tag;
    }
    if !branch.is_empty() {
        if !tag.is_empty() {
            return Err("branch conflicts with tag".into());
        }
        if !branch.starts_with("refs/heads/") {
            branch.insert_str(0, "refs/heads/");
        }
        if !git_ref.is_empty() && git_ref != branch {
            return Err(format!("ref conflicts: {} vs {}", q(git_ref), q(&branch)));
        }
    }
    Ok((keep_git_dir, checksum))
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(src: &str) -> &'static str {
        match parse(src) {
            None => "not git",
            Some(Err(_)) => "git, refused",
            Some(Ok(r)) if r.indistinguishable_from_local => "local form",
            Some(Ok(_)) => "git",
        }
    }

    #[test]
    fn what_is_a_repository() {
        for git in [
            "git@github.com:moby/buildkit.git",
            "git@github.com:moby/buildkit.git#v0.1.0:sub",
            "https://github.com/moby/buildkit.git",
            "https://github.com/moby/buildkit.git#main",
            "HTTPS://github.com/moby/buildkit.git",
            "ssh://git@github.com/moby/buildkit",
            "ssh://git@github.com:22/moby/buildkit",
            "git://github.com/moby/buildkit",
            "u@1host:/x",
            // The path is unescaped before its `.git` is looked for.
            "https://h/x%2Egit",
            "https://h/x%FF.git",
            // A fragment is `ref:subdir`, whatever it holds.
            "https://example.com/x.git##typ=1",
            "git@github.com:moby/buildkit.git##bad=1",
            "https://github.com/golang/vuln.git?ref=v1.1.4&keep-git-dir=1",
            "https://[::1]:8080/r.git",
            // A query pair that does not decode is dropped from a URL's query...
            "https://h/r.git?a=%zz",
        ] {
            assert_eq!(kind(git), "git", "{git}");
        }
        for not in [
            "src",
            "./a:b",
            "ftp://example.com/a",
            "https://github.com/moby/buildkit",
            // `:moby` is no port, so Go's URL parser refuses it.
            "ssh://git@github.com:moby/buildkit.git",
            // Bad escapes in the path or fragment, a space in the host, a bad userinfo.
            "https://h/a%zz.git",
            "https://h/a.git#%zz",
            "https://a b/r.git",
            "https://u{x}@h/r.git",
            "https://[::1/r.git",
            // ...but not from an scp-like one's.
            "git@h:r.git?a=%zz",
            "git@h:r.git?a;b",
            r"C:\app",
            "host:path",
            "first.last@host:path",
            "a\nb@h:p",
        ] {
            assert_eq!(kind(not), "not git", "{not}");
        }
        assert_eq!(kind("github.com/moby/buildkit"), "local form");
        assert_eq!(kind("github.com/moby/buildkit?x=1"), "git, refused");
    }

    #[test]
    fn queries() {
        let err = |src: &str| parse(src).and_then(Result::err);
        let ok = |src: &str| parse(src).and_then(Result::ok);
        assert_eq!(err("https://h/r.git?foo=bar").as_deref(), Some("unexpected query \"foo\""));
        assert_eq!(err("https://h/r.git?ref=").as_deref(), Some("query \"ref\" has no value"));
        assert_eq!(err("git@h:r.git?ref").as_deref(), Some("query \"ref\" has no value"));
        assert_eq!(err("https://h/r.git?ref=a&ref=b").as_deref(), Some("query \"ref\" has multiple values"));
        assert_eq!(err("https://h/r.git#main?x").as_deref(), None, "a `?` in the fragment is the fragment's");
        assert_eq!(err("https://h/r.git?ref=b#a").as_deref(), Some("ref conflicts: \"a\" vs \"b\""));
        assert_eq!(err("https://h/r.git?ref=a#a"), None);
        assert_eq!(err("https://h/r.git?subdir=b#:a").as_deref(), Some("subdir conflicts: \"a\" vs \"b\""));
        assert_eq!(err("git@h:r.git?branch=a&tag=b").as_deref(), Some("branch conflicts with tag"));
        assert_eq!(err("https://h/r.git?tag=v1#v2").as_deref(), Some("ref conflicts: \"v2\" vs \"refs/tags/v1\""));
        assert_eq!(err("https://h/r.git?tag=v1#refs/tags/v1"), None);
        assert_eq!(
            err("https://h/r.git?branch=b#main").as_deref(),
            Some("ref conflicts: \"main\" vs \"refs/heads/b\"")
        );
        assert_eq!(err("https://h/r.git?keep-git-dir=yes").as_deref(), Some("invalid keep-git-dir value: \"yes\""));
        assert_eq!(err("https://h/r.git?submodules=2").as_deref(), Some("invalid submodules value: \"2\""));
        // `+` is a space and escapes decode in keys and values.
        assert_eq!(err("https://h/r.git?re%66=a+b#a%20b"), None);
        assert_eq!(err("https://h/r.git?ref=a+b#a+b").as_deref(), Some("ref conflicts: \"a+b\" vs \"a b\""));
        let r = ok("https://h/r.git?keep-git-dir&commit=abc&submodules=false").unwrap();
        assert_eq!((r.keep_git_dir, r.checksum.as_deref()), (Some(true), Some("abc")));
        assert_eq!(ok("https://h/r.git?keep-git-dir=0").unwrap().keep_git_dir, Some(false));
        assert_eq!(ok("https://h/r.git").unwrap(), GitRef::default());
    }
}
