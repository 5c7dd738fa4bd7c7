//! BuildKit's reading of a Git source of ADD or COPY: `dfgitutil.ParseGitRef` over
//! `gitutil.ParseURL` and `sshutil.ParseSCPStyleURL`, with the parts of Go's `net/url` they rely
//! on, and the options `dispatchCopy` carries from source to source. Whether a source is a
//! repository decides how BuildKit copies it, and the query of a repository URL
//! (`?ref=v1.2&subdir=docs&keep-git-dir=1`) can fail the build.
//!
//! The query is read as `dfgitutil` reads it in the oracle's BuildKit (2026-08): the keys `ref`,
//! `tag`, `branch`, `subdir`, `checksum` (or `commit`), `keep-git-dir` and `submodules`; a
//! fragment is `ref:subdir` whatever it holds. (That BuildKit builds moby's own
//! `ADD https://github.com/golang/vuln.git?ref=…&keep-git-dir=1`, which the corpus holds.)

use stagecraft_syntax::go::quote as q;
use stagecraft_syntax::go::UrlPart;
use stagecraft_syntax::TextRange;

/// What a Git source asks for beyond its repository.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct GitRef {
    /// `github.com/owner/repo`: read as a repository only for build contexts; ADD and COPY copy
    /// it as a local path.
    pub indistinguishable_from_local: bool,
    /// `?keep-git-dir=…`.
    pub keep_git_dir: Option<bool>,
    /// `?checksum=…` or `?commit=…` (bytes: Go's strings need not be UTF-8), and which key.
    pub checksum: Option<(Vec<u8>, &'static str)>,
    /// The ref to check out (`#ref`, `?ref=`, `?tag=` as `refs/tags/…`, `?branch=` as
    /// `refs/heads/…`); empty for the default branch.
    pub git_ref: Vec<u8>,
    /// The directory of the repository to copy (`#ref:subdir` or `?subdir=`).
    pub subdir: Vec<u8>,
    /// `?submodules=…`.
    pub submodules: Option<bool>,
}

/// `ParseGitRef`: `None` when the source is no Git reference, `Some(Err)` when it is one whose
/// query BuildKit refuses (BuildKit's message, then `; ` and what to do), else what it asks for.
pub(crate) fn parse(src: &str) -> Option<Result<GitRef, String>> {
    // Every repository form has a colon but `github.com/…`; most sources are paths.
    if !src.contains(':') && !src.starts_with("github.com/") || src.starts_with("./") || src.starts_with("../") {
        return None;
    }
    let (url, indistinguishable_from_local) = if src.starts_with("github.com/") {
        (parse_url(src, false)?, true)
    } else if let Some(end) = explicit_scheme(src) {
        let scheme = src[..end].to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https" | "ssh" | "git") {
            return None;
        }
        let url = parse_url(&src[end + 3..], true)?;
        // An HTTP(S) URL is a repository only when its (unescaped) path ends in `.git`.
        if matches!(scheme.as_str(), "http" | "https") && !url.path.ends_with(b".git") {
            return None;
        }
        (url, false)
    } else {
        (parse_scp(src)?, false)
    };
    Some(load_query(&url).map(|r| GitRef { indistinguishable_from_local, ..r }))
}

/// Where the scheme of `^[a-zA-Z0-9]+://` ends.
fn explicit_scheme(s: &str) -> Option<usize> {
    let end = s.bytes().position(|b| !b.is_ascii_alphanumeric())?;
    (end > 0 && s[end..].starts_with("://")).then_some(end)
}

/// The parts of a URL the Git reading uses, unescaped (bytes, as Go's strings hold them).
#[derive(Debug, Default)]
struct Url {
    path: Vec<u8>,
    /// The query (Go keeps a map: which error BuildKit reports first among several, and which
    /// of `checksum` and `commit` wins when both are given, is up to its map order, so it may
    /// differ from ours).
    query: Query,
    fragment: Vec<u8>,
}

/// Go's `url.Parse` where BuildKit calls it: after `scheme://` (with an authority), or a
/// `github.com/…` reference without a scheme. `None` where Go returns an error. The query is
/// read as `URL.Query()` reads it, dropping the pairs it cannot decode.
fn parse_url(rest: &str, authority: bool) -> Option<Url> {
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    // Control characters before the fragment: "net/url: invalid control character in URL".
    if rest.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    // (A lone `?` at the end is Go's `ForceQuery`: an empty query either way.)
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    // (Without a scheme, Go refuses a colon in the first segment; `github.com/` has none.)
    let path = if authority {
        let (authority, path) = rest.find('/').map_or((rest, ""), |i| (&rest[..i], &rest[i..]));
        valid_authority(authority).then_some(())?;
        path
    } else {
        rest
    };
    Some(Url {
        path: unescape(path, UrlPart::Path)?,
        query: parse_query(query).unwrap_or_else(|read| read),
        fragment: unescape(fragment, UrlPart::Path)?,
    })
}

/// `parseAuthority`: userinfo before the last `@`, then a host with an optional port.
fn valid_authority(authority: &str) -> bool {
    let (userinfo, host) = authority.rsplit_once('@').map_or((None, authority), |(u, h)| (Some(u), h));
    if let Some(u) = userinfo {
        let ok = |b: u8| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b);
        if !u.bytes().all(ok) || unescape(u, UrlPart::Path).is_none() {
            return false;
        }
    }
    valid_host(host)
}

/// `parseHost` as Go has it since the fix for CVE-2025-47912 (Go 1.24.8 and 1.25.2): a `[`
/// only at the start, where `[…]` must hold an IPv6 address (a zone after `%25` allowed); a
/// port is a colon and digits only (`ssh://git@github.com:org/repo.git` has the port `:org`,
/// so Go refuses it and BuildKit copies it as a local path); the rest may hold no character a
/// host name cannot.
fn valid_host(host: &str) -> bool {
    let valid_port =
        |p: &str| p.is_empty() || p.strip_prefix(':').is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
    match host.rfind('[') {
        Some(0) => {
            let Some(close) = host.rfind(']') else { return false };
            if !valid_port(&host[close + 1..]) {
                return false;
            }
            let inside = &host[1..close];
            let unescaped = match inside.find("%25") {
                Some(z) => unescape(&inside[..z], UrlPart::Host).and_then(|mut h| {
                    h.extend(unescape(&inside[z..], UrlPart::Zone)?);
                    Some(h)
                }),
                None => unescape(inside, UrlPart::Host),
            };
            unescaped.is_some_and(|a| is_ipv6(&a))
        }
        Some(_) => false,
        None => {
            if let Some(i) = host.rfind(':') {
                if !valid_port(&host[i..]) {
                    return false;
                }
            }
            unescape(host, UrlPart::Host).is_some()
        }
    }
}

/// `netip.ParseAddr` giving an IPv6 address (not an IPv4 one), with an optional non-empty zone.
fn is_ipv6(addr: &[u8]) -> bool {
    let Ok(addr) = std::str::from_utf8(addr) else { return false };
    let (ip, zone) = addr.split_once('%').map_or((addr, None), |(a, z)| (a, Some(z)));
    zone.is_none_or(|z| !z.is_empty()) && ip.parse::<std::net::Ipv6Addr>().is_ok()
}

/// Go's `unescape` in one part of a URL: `None` where Go refuses the text.
fn unescape(s: &str, part: UrlPart) -> Option<Vec<u8>> {
    stagecraft_syntax::go::unescape(s, part).ok()
}

/// Go's limit on a query's parameters (`urlmaxqueryparams`, since Go 1.24.12 and 1.25.6): with
/// more, `ParseQuery` fails before it reads any.
const MAX_QUERY_PARAMS: usize = 10_000;

/// A query's values by key, keys in the order they first appear.
type Query = Vec<(Vec<u8>, Vec<Vec<u8>>)>;

/// `url.ParseQuery`: the values by key, or `Err` with the values it could read when it refused
/// a pair (a `;` in it, or a bad escape), which `URL.Query()` ignores.
fn parse_query(query: &str) -> Result<Query, Query> {
    if query.bytes().filter(|&b| b == b'&').count() + 1 > MAX_QUERY_PARAMS {
        return Err(Vec::new());
    }
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
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
        match (unescape(key, UrlPart::Query), unescape(value, UrlPart::Query)) {
            (Some(key), Some(value)) => pairs.push((key, value)),
            _ => refused = true,
        }
    }
    // Grouped by key, keys in the order they first appear: the pairs sorted by key (stably, so
    // each key's values keep their order), then the groups by their first pair. (Sorting rather
    // than a hash map: a second map type would cost the browser build more than this does.)
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    stagecraft_syntax::sort::sort_by(&mut order, |&a, &b| pairs[a].0.cmp(&pairs[b].0));
    let mut groups: Vec<(usize, Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
    for i in order {
        let (key, value) = std::mem::take(&mut pairs[i]);
        match groups.last_mut() {
            Some((_, k, values)) if *k == key => values.push(value),
            _ => groups.push((i, key, vec![value])),
        }
    }
    stagecraft_syntax::sort::sort_by_key(&mut groups, |g| g.0);
    let values = groups.into_iter().map(|(_, k, v)| (k, v)).collect();
    if refused {
        Err(values)
    } else {
        Ok(values)
    }
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
    Some(Url { path: path.into(), query: parse_query(query).ok()?, fragment: fragment.into() })
}

/// `GitRef.loadQuery` over the fragment's `ref:subdir`: what the query asks for, or BuildKit's
/// error and what to do.
fn load_query(url: &Url) -> Result<GitRef, String> {
    let fragment = url.fragment.as_slice();
    let (mut git_ref, mut subdir) = match fragment.iter().position(|&b| b == b':') {
        Some(i) => (&fragment[..i], &fragment[i + 1..]),
        None => (fragment, &b""[..]),
    };
    let (mut keep_git_dir, mut checksum, mut submodules) = (None, None, None);
    let (mut tag, mut branch) = (Vec::new(), Vec::new());
    let keep_one = "keep one: the `#ref:subdir` fragment or the query";
    for (k, vs) in &url.query {
        if vs.len() > 1 {
            return Err(format!("query {} has multiple values; give it once", q(k)));
        }
        // `?keep-git-dir` and `?submodules` alone mean true.
        let v = vs[0].as_slice();
        let flag = matches!(k.as_slice(), b"keep-git-dir" | b"submodules");
        if v.is_empty() && !flag {
            return Err(format!(
                "query {} has no value; give it one (only keep-git-dir and submodules stand alone)",
                q(k)
            ));
        }
        match k.as_slice() {
            b"ref" => {
                if !git_ref.is_empty() && git_ref != v {
                    return Err(format!("ref conflicts: {} vs {}; {keep_one}", q(git_ref), q(v)));
                }
                git_ref = v;
            }
            b"tag" => tag = v.to_vec(),
            b"branch" => branch = v.to_vec(),
            b"subdir" => {
                if !subdir.is_empty() && subdir != v {
                    return Err(format!("subdir conflicts: {} vs {}; {keep_one}", q(subdir), q(v)));
                }
                subdir = v;
            }
            b"checksum" => checksum = Some((v.to_vec(), "checksum")),
            b"commit" => checksum = Some((v.to_vec(), "commit")),
            b"keep-git-dir" | b"submodules" => {
                let value = if v.is_empty() {
                    Some(true)
                } else {
                    std::str::from_utf8(v).ok().and_then(stagecraft_syntax::go::parse_bool)
                };
                let Some(value) = value else {
                    return Err(format!(
                        "invalid {} value: {}; use true or false",
                        String::from_utf8_lossy(k),
                        q(v)
                    ));
                };
                if k == b"keep-git-dir" {
                    keep_git_dir = Some(value);
                } else {
                    submodules = Some(value);
                }
            }
            _ => {
                return Err(format!(
                    "unexpected query {}; a repository URL's query takes ref, tag, branch, subdir, checksum (or commit), keep-git-dir and submodules",
                    q(k)
                ))
            }
        }
    }
    if !tag.is_empty() {
        if !tag.starts_with(b"refs/tags/") {
            tag.splice(0..0, b"refs/tags/".iter().copied());
        }
        if !git_ref.is_empty() && git_ref != tag {
            return Err(format!("ref conflicts: {} vs {}; {keep_one}", q(git_ref), q(&tag)));
        }
        git_ref = &tag;
    }
    if !branch.is_empty() {
        if !tag.is_empty() {
            return Err("branch conflicts with tag; a repository URL names one of them".into());
        }
        if !branch.starts_with(b"refs/heads/") {
            branch.splice(0..0, b"refs/heads/".iter().copied());
        }
        if !git_ref.is_empty() && git_ref != branch {
            return Err(format!("ref conflicts: {} vs {}; {keep_one}", q(git_ref), q(&branch)));
        }
        git_ref = &branch;
    }
    Ok(GitRef {
        keep_git_dir,
        checksum,
        git_ref: git_ref.to_vec(),
        subdir: subdir.to_vec(),
        submodules,
        ..GitRef::default()
    })
}

/// The Git options of an ADD as BuildKit's `dispatchCopy` carries them from source to source:
/// `--keep-git-dir` and `--checksum` as given, then as each repository's query sets them.
#[derive(Debug, Clone, Default)]
pub(crate) struct CopyOptions {
    /// The value, and the repository whose query set it (`None`: the flag).
    pub keep_git_dir: Option<(bool, Option<String>)>,
    /// The value, where it is written (the flag, or the repository), and that repository.
    pub checksum: Option<(Vec<u8>, TextRange, Option<String>)>,
}

impl CopyOptions {
    /// From an ADD's flags (`--checksum` as expanded, with where it is written).
    pub fn new(info: &stagecraft_syntax::info::InstructionInfo, checksum: Option<(&str, TextRange)>) -> CopyOptions {
        CopyOptions {
            keep_git_dir: info
                .last_flag("keep-git-dir")
                .map(|f| (f.value().is_none_or(|v| v.eq_ignore_ascii_case("true")), None)),
            checksum: checksum.filter(|(v, _)| !v.is_empty()).map(|(v, r)| (v.as_bytes().to_vec(), r, None)),
        }
    }

    /// Reads `source` (at `at`) as `dispatchCopy` does: `Ok(Some(..))` a repository (for ADD,
    /// its query's options now carried), `Ok(None)` no repository (or the `github.com/…` form,
    /// copied as a path), `Err` what BuildKit fails with: a query it refuses, or for ADD a
    /// query's `keep-git-dir` or checksum against the flag's or an earlier repository's.
    pub fn apply(&mut self, source: &str, add: bool, at: TextRange) -> Result<Option<GitRef>, String> {
        let git = match parse(source) {
            None => return Ok(None),
            Some(Err(e)) => return Err(e),
            Some(Ok(git)) if git.indistinguishable_from_local => return Ok(None),
            Some(Ok(git)) => git,
        };
        if !add {
            return Ok(Some(git));
        }
        let against = |from: &Option<String>, what: &str| match from {
            Some(url) => format!("the {what} query of {url} before it"),
            None => format!("--{what}"),
        };
        if let (Some((value, from)), Some(query)) = (&self.keep_git_dir, git.keep_git_dir) {
            if *value != query {
                return Err(format!(
                    "inconsistent keep-git-dir configuration; the URL's keep-git-dir query disagrees with {}",
                    against(from, "keep-git-dir")
                ));
            }
        }
        // (Set before the checksum is checked, as BuildKit's `cfg` is.)
        if let Some(query) = git.keep_git_dir {
            self.keep_git_dir = Some((query, Some(source.to_string())));
        }
        if let (Some((value, _, from)), Some((query, key))) = (&self.checksum, &git.checksum) {
            if value != query {
                return Err(format!(
                    "checksum mismatch {} != {}; the URL's {key} query disagrees with {}",
                    q(value),
                    q(query),
                    against(from, "checksum")
                ));
            }
        }
        if let Some((query, _)) = &git.checksum {
            self.checksum = Some((query.clone(), at, Some(source.to_string())));
        }
        Ok(Some(git))
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
            // The path is unescaped before its `.git` is looked for, into bytes.
            "https://h/x%2Egit",
            "https://h/x%FF.git",
            // A fragment is `ref:subdir`, whatever it holds.
            "https://example.com/x.git##typ=1",
            "git@github.com:moby/buildkit.git##bad=1",
            "https://github.com/golang/vuln.git?ref=v1.1.4&keep-git-dir=1",
            // IPv6 hosts, with a port and with a zone; userinfo with a password and escapes.
            "https://[::1]:8080/r.git",
            "https://[fe80::1%25en0]/r.git",
            "https://[::ffff:1.2.3.4]/r.git",
            "https://user:p%40ss@h/r.git",
            // A query pair that does not decode is dropped from a URL's query...
            "https://h/r.git?a=%zz",
            "https://h/r.git?a;b",
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
            "https://h\u{1}/r.git",
            // Brackets: closed, at the start only, around an IPv6 address (CVE-2025-47912).
            "https://[::1/r.git",
            "https://[github.com]/r.git",
            "https://[1.2.3.4]/r.git",
            "https://h[1]/r.git",
            "https://[fe80::1%25]/r.git",
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
        let err = |src: &str| match parse(src) {
            Some(Err(e)) => Some(e.split("; ").next().unwrap_or_default().to_string()),
            Some(Ok(_)) => None,
            None => panic!("not a Git source: {src}"),
        };
        let ok = |src: &str| parse(src).and_then(Result::ok).unwrap_or_else(|| panic!("refused: {src}"));
        assert_eq!(err("https://h/r.git?foo=bar").as_deref(), Some("unexpected query \"foo\""));
        assert_eq!(err("https://h/r.git?ref=").as_deref(), Some("query \"ref\" has no value"));
        assert_eq!(err("git@h:r.git?ref").as_deref(), Some("query \"ref\" has no value"));
        assert_eq!(err("https://h/r.git?ref=a&ref=b").as_deref(), Some("query \"ref\" has multiple values"));
        assert_eq!(err("https://h/r.git#main?x"), None, "a `?` in the fragment is the fragment's");
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
        // `+` is a space and escapes decode in keys and values, not in the fragment's `+`.
        assert_eq!(err("https://h/r.git?re%66=a+b#a%20b"), None);
        assert_eq!(err("https://h/r.git?ref=a+b#a+b").as_deref(), Some("ref conflicts: \"a+b\" vs \"a b\""));
        // Bytes that are not UTF-8 stay apart, and are quoted as Go quotes them.
        assert_eq!(err("https://h/r.git?ref=%FF#%FE").as_deref(), Some("ref conflicts: \"\\xfe\" vs \"\\xff\""));
        assert_eq!(err("https://h/r.git?%FF=1").as_deref(), Some("unexpected query \"\\xff\""));
        let r = ok("https://h/r.git?keep-git-dir&commit=abc&submodules=false");
        assert_eq!((r.keep_git_dir, r.checksum), (Some(true), Some((b"abc".to_vec(), "commit"))));
        assert_eq!(ok("https://h/r.git?keep-git-dir=0").keep_git_dir, Some(false));
        assert_eq!(ok("https://h/r.git"), GitRef::default());
        let r = ok("git@h:r.git?branch=main&subdir=docs");
        assert_eq!((&r.git_ref[..], &r.subdir[..]), (&b"refs/heads/main"[..], &b"docs"[..]));
        let r = ok("https://h/r.git#v1:sub?x");
        assert_eq!((&r.git_ref[..], &r.subdir[..]), (&b"v1"[..], &b"sub?x"[..]));
        // Every error says what to do after BuildKit's message.
        for bad in [
            "https://h/r.git?foo=1",
            "https://h/r.git?ref=",
            "git@h:r.git?branch=a&tag=b",
            "https://h/r.git?submodules=x",
        ] {
            let Some(Err(e)) = parse(bad) else { panic!("{bad}") };
            assert!(e.split_once("; ").is_some_and(|(_, hint)| !hint.is_empty()), "{e}");
        }
    }

    /// Go reads no parameter of a query with more than 10,000: a URL then has no query, and an
    /// scp-like source is no repository. (Up to the limit, keys are grouped by sorting.)
    #[test]
    fn many_query_parameters() {
        let over = format!("?{}foo=1", "&".repeat(MAX_QUERY_PARAMS));
        assert_eq!(kind(&format!("https://h/r.git{over}")), "git");
        assert_eq!(kind(&format!("git@h:r.git{over}")), "not git");
        // Exactly 10,000 are read, the last one too.
        let at_limit = format!("https://h/r.git?{}ref=a", "&".repeat(MAX_QUERY_PARAMS - 1));
        assert_eq!(parse(&at_limit).and_then(Result::ok).map(|r| r.git_ref), Some(b"a".to_vec()));
        let keys: String = (0..MAX_QUERY_PARAMS - 1).map(|i| format!("k{i}=1&")).collect();
        assert_eq!(kind(&format!("https://h/r.git?{keys}ref=a")), "git, refused");
    }

    /// The reading against Go's own `net/url`, through `tools/gitref-go` (a transliteration of
    /// BuildKit's `dfgitutil` onto the standard library): random sources from the pieces the
    /// grammar cares about. Needs Go (Debian 13's 1.24.4, which `tools/go-trixie.sh` unpacks),
    /// so it runs on demand: `cargo test -p stagecraft-analysis --lib gitref -- --ignored`.
    /// Compared: the kind, the error, keep-git-dir, checksum, ref, subdir and submodules (not
    /// the remote, which BuildKit writes back from the parsed URL and the hover shows as
    /// written). Left out: malformed brackets in hosts (refused since Go 1.24.8 and 1.25.2) and
    /// queries of more than 10,000 parameters (refused since Go 1.24.12 and 1.25.6), which an
    /// older Go, as Debian 13's 1.24.4 is, reads the old way.
    #[test]
    #[ignore = "needs Go from Debian's archive"]
    fn against_go() {
        const SCHEMES: &[&str] =
            &["https://", "http://", "ssh://", "git://", "HTTPS://", "ftp://", "", "github.com/", "./"];
        const AUTHORITIES: &[&str] = &[
            "github.com",
            "git@github.com",
            "u:p%40@h",
            "u{x}@h",
            "h:22",
            "h:org",
            "a b",
            "[::1]",
            "h%41",
            "h%zz",
            "",
            "git@h:",
            "u@h",
            "h\u{7}",
        ];
        const PATHS: &[&str] = &[
            "/r.git",
            "/x%2Egit",
            "/a%zz.git",
            ":org/r.git",
            "r.git",
            "/org/repo",
            "",
            "/é.git",
            "/a b.git",
            "/%FF.git",
        ];
        const QUERY: &[&str] = &[
            "ref=a",
            "foo=1",
            "ref=",
            "tag=v1",
            "branch=b",
            "keep-git-dir",
            "keep-git-dir=yes",
            "keep-git-dir=0",
            "a;b",
            "%zz=1",
            "re%66=a+b",
            "subdir=x",
            "checksum=abc",
            "commit=def",
            "submodules=0",
            "ref=a",
            "",
            "ref=%FF",
            "subdir=",
            "submodules",
        ];
        const FRAGMENTS: &[&str] =
            &["", "#main", "#a:b", "#%zz", "##x=1", "#a+b", "#a%20b", "#:x", "#refs/tags/v1", "#?q"];
        let mut rng = stagecraft_testkit::Rng(0x5eed_617f);
        let mut pick = |xs: &[&'static str]| xs[rng.below(xs.len())];
        let mut sources = Vec::new();
        for _ in 0..20_000 {
            let mut s = format!("{}{}{}", pick(SCHEMES), pick(AUTHORITIES), pick(PATHS));
            for i in 0..pick(&["0", "1", "2", "3"]).parse::<usize>().unwrap() {
                s.push(if i == 0 { '?' } else { '&' });
                s.push_str(pick(QUERY));
            }
            s.push_str(pick(FRAGMENTS));
            sources.push(s);
        }
        let theirs = stagecraft_testkit::go_lines(
            "gitref-go",
            &[],
            &sources.iter().map(|s| serde_json::Value::from(s.as_str())).collect::<Vec<_>>(),
        );
        let (mut differ, mut kinds) = (Vec::new(), std::collections::BTreeMap::new());
        for (src, go) in sources.iter().zip(&theirs) {
            let ours = match parse(src) {
                None => serde_json::json!({"kind": "not git", "keep": null, "checksum": null}),
                Some(Err(e)) => serde_json::json!({"kind": "refused", "error": e.split("; ").next().unwrap()}),
                Some(Ok(r)) => serde_json::json!({
                    "kind": if r.indistinguishable_from_local { "local form" } else { "git" },
                    "keep": r.keep_git_dir,
                    "checksum": r.checksum.map(|(c, _)| String::from_utf8_lossy(&c).into_owned()),
                    "ref": String::from_utf8_lossy(&r.git_ref),
                    "subdir": String::from_utf8_lossy(&r.subdir),
                    "submodules": r.submodules,
                }),
            };
            *kinds.entry(go["kind"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
            let mut go = go.clone();
            if go["kind"] == "refused" || go["kind"] == "not git" {
                go.as_object_mut().unwrap().retain(|k, _| k == "kind" || k == "error");
                if go["kind"] == "not git" {
                    go["keep"] = serde_json::Value::Null;
                    go["checksum"] = serde_json::Value::Null;
                }
            }
            if ours != go {
                differ.push(format!("{src:?}: ours {ours}, Go's {go}"));
            }
        }
        eprintln!("{kinds:?}");
        stagecraft_testkit::assert_none_differ(&differ, sources.len());
        // Every kind is there many times over.
        assert!(kinds.values().all(|&n| n > 500) && kinds.len() == 4, "{kinds:?}");
    }
}
