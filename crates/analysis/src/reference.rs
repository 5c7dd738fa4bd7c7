//! Image reference validation as BuildKit does it (`distribution/reference`'s
//! `ParseNormalizedNamed`), so that we reject base names exactly where BuildKit does.

/// Whether `s` is 64 lower-case hex digits: an image's ID (`anchoredIdentifierRegexp`), which
/// `ParseNormalizedNamed` refuses as a name.
pub(crate) fn is_image_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why a base name is not a valid image reference (BuildKit's wording).
pub fn parse_normalized_named(s: &str) -> Result<(), String> {
    if is_image_id(s) {
        return Err(format!("invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"));
    }
    let (domain, remainder) = split_docker_domain(s);
    let remote = remainder.split(':').next().unwrap_or("");
    if remote.to_lowercase() != remote {
        return Err(format!("invalid reference format: repository name ({remote}) must be lowercase"));
    }
    parse(&format!("{domain}/{remainder}"))
}

/// The key a named build context is looked up by, as BuildKit's `dockerui.Client.NamedContext`
/// makes it from a stage or image name, and buildx from a `--build-context NAME=...` (its
/// `ParseContextNames`): the name read as an image reference, written in its familiar form
/// (`docker.io/library/alpine:latest` is `alpine`), without a `:latest` tag. A name that is no
/// image reference is refused with their words ("invalid context name ..."): buildx refuses
/// such a `--build-context`, and a build fails on such a stage name.
pub fn context_key(name: &str) -> Result<String, String> {
    parse_normalized_named(name).map_err(|e| format!("invalid context name {name}: {e}"))?;
    let (domain, remainder) = split_docker_domain(name);
    let familiar = match (domain.as_str(), remainder.strip_prefix("library/")) {
        ("docker.io", Some(rest)) if !rest.contains('/') => rest.to_string(),
        ("docker.io", _) => remainder,
        _ => format!("{domain}/{remainder}"),
    };
    Ok(familiar.strip_suffix(":latest").map_or(familiar.clone(), str::to_string))
}

/// Whether `name` is an image name of one path component, such as most stage names (`build`,
/// `a.b`, `x__y`): a cheap test that [`context_key`] would give it back unchanged.
pub(crate) fn is_plain_name(name: &str) -> bool {
    name.len() <= 200 && !is_image_id(name) && is_path_component(name)
}

/// The registry and the path of an image name, as `ParseNormalizedNamed` splits them (`alpine`:
/// `docker.io` and `library/alpine`).
pub(crate) fn split_docker_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.find('/') {
        Some(i) => {
            let first = &name[..i];
            if !first.contains(['.', ':']) && first != "localhost" && first.to_lowercase() == first {
                ("docker.io".to_string(), name.to_string())
            } else {
                (first.to_string(), name[i + 1..].to_string())
            }
        }
        None => ("docker.io".to_string(), name.to_string()),
    };
    if domain == "index.docker.io" {
        domain = "docker.io".to_string();
    }
    if domain == "docker.io" && !remainder.contains('/') {
        remainder = format!("library/{remainder}");
    }
    (domain, remainder)
}

/// `reference.Parse`: the anchored reference grammar.
fn parse(s: &str) -> Result<(), String> {
    if !matches_reference(s) {
        if s.is_empty() {
            return Err("invalid reference format: repository name must have at least one component".into());
        }
        if matches_reference(&s.to_lowercase()) {
            return Err("invalid reference format: repository name must be lowercase".into());
        }
        return Err("invalid reference format".into());
    }
    // The path's length: the name without tag, digest and domain. `s` always starts with the
    // domain `ParseNormalizedNamed` put there, but the grammar takes it for a domain only where
    // it is one (`my_reg.io/x` is a path of two components; not in the browser build, for its
    // size).
    let name = s.split(['@']).next().map_or("", name_part);
    let path_len = match name.split_once('/') {
        Some((domain, path)) if cfg!(target_arch = "wasm32") || is_domain(domain) => path.len(),
        _ => name.len(),
    };
    if path_len > 255 {
        return Err("repository name must not be more than 255 characters".into());
    }
    // Then `digest.Parse` of the digest.
    match s.split_once('@').and_then(|(_, digest)| digest_error(digest)) {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// go-digest's `Parse`: its error, if any (for an image reference's digest and an ADD
/// `--checksum` of an HTTP(S) source).
pub(crate) fn digest_error(s: &str) -> Option<&'static str> {
    const FORMAT: &str = "invalid checksum digest format";
    let i = match s.find(':') {
        Some(i) if i > 0 && i + 1 < s.len() => i,
        _ => return Some(FORMAT),
    };
    let (algorithm, encoded) = (&s[..i], &s[i + 1..]);
    let size = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            // `DigestRegexpAnchored`: `^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`.
            let component = |c: &str| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            let algorithm_ok = algorithm.split(['.', '+', '_', '-']).all(component);
            let encoded_ok = encoded.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
            return Some(if algorithm_ok && encoded_ok { "unsupported digest algorithm" } else { FORMAT });
        }
    };
    if encoded.len() != size {
        return Some("invalid checksum digest length");
    }
    (!encoded.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))).then_some(FORMAT)
}

/// The name without its tag (the tag follows the last `:` when no `/` comes after it).
fn name_part(name_tag: &str) -> &str {
    match name_tag.rfind(':') {
        Some(i) if !name_tag[i + 1..].contains('/') && is_tag(&name_tag[i + 1..]) && is_name(&name_tag[..i]) => {
            &name_tag[..i]
        }
        _ => name_tag,
    }
}

fn matches_reference(s: &str) -> bool {
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        if !is_digest(d) {
            return false;
        }
    }
    if is_name(name_tag) {
        return true;
    }
    match name_tag.rfind(':') {
        Some(i) => is_name(&name_tag[..i]) && is_tag(&name_tag[i + 1..]),
        None => false,
    }
}

fn is_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.iter().all(|p| is_path_component(p)) {
        return true;
    }
    parts.len() > 1 && is_domain(parts[0]) && parts[1..].iter().all(|p| is_path_component(p))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator: '.', '_', '__' or a run of '-'.
        let start = i;
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if b.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
        if i == start || !b.get(i).copied().is_some_and(alnum) {
            return false;
        }
    }
    true
}

/// `host[:port]` where host is dotted domain components or a bracketed IPv6 address.
fn is_domain(s: &str) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, after)) => {
                if v6.is_empty() || !v6.bytes().all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.') {
                    return false;
                }
                ("", after.strip_prefix(':').map(Some).unwrap_or(if after.is_empty() { None } else { Some("x") }))
            }
            None => return false,
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    if s.starts_with('[') {
        return true;
    }
    !host.is_empty()
        && host.split('.').all(|c| {
            let b = c.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
        })
}

/// `[\w][\w.-]{0,127}`
fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty() && b.len() <= 128 && word(b[0]) && b.iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
fn is_digest(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else { return false };
    let alg_ok = algorithm.split(['-', '_', '+', '.']).all(|c| {
        let b = c.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(|x| x.is_ascii_alphanumeric())
    });
    alg_ok && hex.len() >= 32 && hex.bytes().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests() {
        let hex = "a".repeat(64);
        assert_eq!(digest_error(&format!("sha256:{hex}")), None);
        assert_eq!(digest_error(&format!("sha512:{}", "0".repeat(128))), None);
        assert_eq!(digest_error("sha256:abc"), Some("invalid checksum digest length"));
        assert_eq!(digest_error(&format!("sha256:{}", "A".repeat(64))), Some("invalid checksum digest format"));
        assert_eq!(digest_error("md5:abc"), Some("unsupported digest algorithm"));
        assert_eq!(digest_error("abc"), Some("invalid checksum digest format"));
        assert_eq!(digest_error(":abc"), Some("invalid checksum digest format"));
        assert_eq!(digest_error("sha256:"), Some("invalid checksum digest format"));
        assert_eq!(digest_error("MD5:abc"), Some("invalid checksum digest format"));
    }

    #[test]
    fn context_keys() {
        let key = |s: &str| context_key(s).ok();
        assert_eq!(key("alpine").as_deref(), Some("alpine"));
        assert_eq!(key("alpine:latest").as_deref(), Some("alpine"));
        assert_eq!(key("docker.io/library/alpine:latest").as_deref(), Some("alpine"));
        assert_eq!(key("index.docker.io/library/alpine:3.20").as_deref(), Some("alpine:3.20"));
        assert_eq!(key("docker.io/team/app").as_deref(), Some("team/app"));
        assert_eq!(key("library/foo/bar").as_deref(), Some("library/foo/bar"));
        assert_eq!(key("ghcr.io/o/app:latest").as_deref(), Some("ghcr.io/o/app"));
        assert_eq!(key("localhost:5000/app:v1").as_deref(), Some("localhost:5000/app:v1"));
        let digest = format!("alpine@sha256:{}", "a".repeat(64));
        assert_eq!(key(&format!("docker.io/library/{digest}")), Some(digest));
        // `scratch` and `context` are names like others here (the callers know when BuildKit
        // never looks them up).
        assert_eq!(key("docker.io/library/context:latest").as_deref(), Some("context"));
        // Not image references: buildx refuses such a context, a build such a stage name.
        assert_eq!(
            context_key("Build"),
            Err("invalid context name Build: invalid reference format: repository name (library/Build) must be lowercase".into())
        );
        for bad in ["build-", "a__", "a_-b", "", "alpine::linux/arm64"] {
            assert_eq!(key(bad), None, "{bad}");
        }
        for plain in ["alpine", "a.b", "x__y", "a--b", "b1", "scratch"] {
            assert!(is_plain_name(plain) && key(plain).as_deref() == Some(plain), "{plain}");
        }
        for not_plain in ["build-", "a__", "Alpine", "a/b", "alpine:1", &"a".repeat(64)] {
            assert!(!is_plain_name(not_plain), "{not_plain}");
        }
        assert_eq!(key(&"a".repeat(64)), None);
    }

    #[test]
    fn references() {
        for ok in [
            "alpine",
            "alpine:3.19",
            "docker.io/library/golang:1.22@sha256:640a234f4bea3e399c056b7b8f9c667c4939befae8db2f14e9785e16eccd4205",
            "localhost:5000/foo/bar:tag",
            "gcr.io/distroless/static-debian12",
            "my-registry.example.com:8443/team/app",
            "scratch",
            "a__b-c.d",
        ] {
            assert_eq!(parse_normalized_named(ok), Ok(()), "{ok}");
        }
        assert_eq!(parse_normalized_named("%s"), Err("invalid reference format".into()));
        assert_eq!(parse_normalized_named("busybox:"), Err("invalid reference format".into()));
        assert_eq!(
            parse_normalized_named("ImageName"),
            Err("invalid reference format: repository name (library/ImageName) must be lowercase".into())
        );
        assert!(parse_normalized_named("alpine@sha256:abc").is_err());
        // The digest is go-digest's to read: upper-case hex reads in the reference grammar, not
        // in the digest.
        let upper = format!("alpine@sha256:{}", "A".repeat(64));
        assert_eq!(parse_normalized_named(&upper), Err("invalid checksum digest format".into()));
        assert!(parse_normalized_named("").is_err());
        assert!(parse_normalized_named("a//b").is_err());
        // At most 255 characters of path: the domain, tag and digest do not count.
        assert!(parse_normalized_named(&format!("{}/{}:t", "a".repeat(200), "b".repeat(54))).is_ok());
        assert!(parse_normalized_named(&format!("ghcr.io/{}", "a".repeat(255))).is_ok());
        // (A first component that is no domain counts: `my_reg.io` has a `_`.)
        assert!(parse_normalized_named(&format!("my_reg.io/{}", "a".repeat(246))).is_err());
        assert_eq!(
            parse_normalized_named(&format!("{}/{}", "a".repeat(200), "b".repeat(55))),
            Err("repository name must not be more than 255 characters".into())
        );
    }

    /// Against BuildKit's own libraries, through `tools/oracle-go`: distribution/reference
    /// 0.6.0 and go-digest 1.0.0 on Go 1.24, unpacked from Debian 13's archive by
    /// `tools/go-trixie.sh`. Random names from the pieces the grammar cares about: domains,
    /// path components, tags and digests, in and out of the grammar. Compared: the error of
    /// `ParseNormalizedNamed` (a base image, a `--from`), the named context's key or its error,
    /// and the error of `digest.Parse` (an ADD `--checksum`). Needs Go from Debian's archive, so
    /// it runs on demand (`tools/test.sh differential` runs it):
    /// `cargo test -p stagecraft-analysis --lib reference -- --ignored`.
    #[test]
    #[ignore = "needs Go and BuildKit's libraries from Debian's archive"]
    fn against_go() {
        // (In each list, the entries in the grammar come first.)
        const DOMAINS: &[&str] = &[
            "",
            "docker.io/",
            "index.docker.io/",
            "localhost/",
            "localhost:5000/",
            "ghcr.io/",
            "my-reg.example.com:8443/",
            "LOCALHOST/",
            "Ghcr.io/",
            "reg-.io/",
            "[::1]:5000/",
            "[fe80::1%eth0]/",
            "127.0.0.1/",
            "a_b/",
            "my_reg.io/",
            "a:b/",
            "docker.io:443/",
        ];
        const PATHS: &[&str] = &[
            "alpine",
            "library/alpine",
            "Alpine",
            "a__b",
            "a___b",
            "a_-b",
            "a--b",
            "a---b",
            "a.b",
            "a..b",
            "-a",
            "a-",
            "team/app",
            "a/b/c",
            "",
            "a//b",
            "a/",
            "x",
            "é",
            "a b",
            "0",
            "a.",
            "A/b",
            "library",
        ];
        const TAGS: &[&str] =
            &["", "", ":3", ":latest", ":Latest", ":-x", ":", ":v1.0_rc", ":.a", ":_a", "::x", ":a/b"];
        const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let digests: Vec<String> = vec![
            String::new(),
            String::new(),
            format!("@sha256:{HEX}"),
            format!("@sha512:{HEX}{HEX}"),
            format!("@sha384:{}", &format!("{HEX}{HEX}")[..96]),
            "@sha256:abc".into(),
            format!("@sha256:{}", HEX.to_uppercase()),
            "@md5:abc".into(),
            "@MD5:abc".into(),
            "@a.b+c:x=y".into(),
            "@".into(),
            "@sha256:".into(),
            "@:abc".into(),
            format!("@SHA256:{HEX}"),
        ];
        let mut rng = stagecraft_testkit::Rng(0x5eed_7ef5);
        // Half the picks from the first few entries of each list, which are in the grammar.
        fn pick<'a>(rng: &mut stagecraft_testkit::Rng, xs: &[&'a str], valid: usize) -> &'a str {
            let n = if rng.below(2) == 0 { valid } else { xs.len() };
            xs[rng.below(n)]
        }
        let mut inputs = vec![HEX.to_string(), HEX.to_uppercase(), format!("sha256:{HEX}"), "a".repeat(256)];
        inputs.push(format!("{}/{}", "a".repeat(200), "b".repeat(60)));
        inputs.push(format!("{}/{}:t", "a".repeat(200), "b".repeat(54)));
        inputs.push(format!("my_reg.io/{}", "a".repeat(247)));
        inputs.push(format!("my_reg.io/{}", "a".repeat(245)));
        inputs.push(format!("ghcr.io/{}", "a".repeat(256)));
        inputs.push(format!("a:{}", "t".repeat(128)));
        inputs.push(format!("a:{}", "t".repeat(129)));
        let digests: Vec<&str> = digests.iter().map(String::as_str).collect();
        for _ in 0..20_000 {
            let mut s = pick(&mut rng, DOMAINS, 7).to_string();
            for i in 0..1 + pick(&mut rng, &["0", "0", "1", "2"], 4).parse::<usize>().unwrap() {
                if i > 0 {
                    s.push('/');
                }
                s.push_str(pick(&mut rng, PATHS, 13));
            }
            s.push_str(pick(&mut rng, TAGS, 8));
            s.push_str(pick(&mut rng, &digests, 4));
            if pick(&mut rng, &["", "", "", "", "", "", "", "", "", "d"], 10) == "d" {
                // A digest alone, as `ADD --checksum` takes it.
                s = pick(&mut rng, &digests, 4).trim_start_matches('@').to_string();
            }
            inputs.push(s);
        }
        let theirs = stagecraft_testkit::go_lines(
            "oracle-go",
            &["lines"],
            &inputs.iter().map(|s| serde_json::json!(["reference", s])).collect::<Vec<_>>(),
        );
        let (mut differ, mut parsed) = (Vec::new(), 0);
        for (s, go) in inputs.iter().zip(&theirs) {
            let named = parse_normalized_named(s).err().unwrap_or_default();
            parsed += usize::from(named.is_empty());
            let context = context_key(s).unwrap_or_else(|e| e);
            let ours =
                serde_json::json!({"named": named, "context": context, "digest": digest_error(s).unwrap_or_default()});
            if ours != *go {
                differ.push(format!("{s:?}: ours {ours}, Go's {go}"));
            }
        }
        stagecraft_testkit::assert_none_differ(&differ, inputs.len());
        // Both sides of the grammar, many times over.
        assert!(parsed > 2_000 && inputs.len() - parsed > 2_000, "{parsed} of {} parse", inputs.len());
    }
}
