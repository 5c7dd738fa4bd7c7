//! Platform strings (`linux/amd64`, `linux/arm64/v8`) parsed and normalised the way BuildKit's
//! containerd `platforms.Parse` does.

/// A parsed platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// Operating system (`linux`).
    pub os: String,
    /// The OS version in `windows(10.0.20348)/amd64`, decoded; usually empty.
    pub os_version: String,
    /// The OS features in `windows(10.0.20348+win32k)/amd64`, decoded, sorted and without
    /// repeats (containerd's `Normalize`).
    pub os_features: Vec<String>,
    /// Architecture, normalised (`x86_64` becomes `amd64`).
    pub architecture: String,
    /// Variant (`v7`), normalised.
    pub variant: String,
}

impl Platform {
    /// The build and target platform stagecraft assumes: `linux/amd64`.
    pub fn default_linux_amd64() -> Platform {
        Platform::new("linux".into(), "amd64".into(), String::new())
    }

    fn new(os: String, architecture: String, variant: String) -> Platform {
        Platform { os, os_version: String::new(), os_features: Vec::new(), architecture, variant }
    }

    /// `os/arch[/variant]` (containerd's `Format`: no OS version; BuildKit's `BUILDPLATFORM`).
    pub fn format(&self) -> String {
        if self.variant.is_empty() {
            format!("{}/{}", self.os, self.architecture)
        } else {
            format!("{}/{}/{}", self.os, self.architecture, self.variant)
        }
    }

    /// `os[(version[+feature]...)]/arch[/variant]` (containerd's `FormatAll`, which BuildKit's
    /// `TARGETPLATFORM` is): the version and features encoded again as `Parse` decodes them.
    pub fn format_all(&self) -> String {
        let mut options = encode_os_option(&self.os_version);
        for f in &self.os_features {
            options.push('+');
            options.push_str(&encode_os_option(f));
        }
        let plain = self.format();
        if options.is_empty() {
            return plain;
        }
        format!("{}({options}){}", self.os, &plain[self.os.len()..])
    }
}

/// containerd's `encodeOSOption`: the characters the format gives a meaning to, escaped.
fn encode_os_option(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '%' => out.push_str("%25"),
            '+' => out.push_str("%2B"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

/// A decoded OS version or feature as Go keeps it: bytes, which need not be UTF-8 (`%ff`), and
/// features are sorted and told apart by them. The browser build, which has no room for the
/// difference, keeps text with U+FFFD for such bytes, and so takes `%fe` and `%ff` for one
/// feature.
#[cfg(not(target_arch = "wasm32"))]
type Decoded = Vec<u8>;
#[cfg(target_arch = "wasm32")]
type Decoded = String;

/// containerd's `decodeOSOption`: Go's `url.PathUnescape` when there is a `%`, with its error.
fn decode_os_option(v: &str) -> Result<Decoded, String> {
    if !v.contains('%') {
        return Ok(v.into());
    }
    match stagecraft_syntax::go::unescape(v, stagecraft_syntax::go::UrlPart::Path) {
        #[cfg(not(target_arch = "wasm32"))]
        Ok(out) => Ok(out),
        #[cfg(target_arch = "wasm32")]
        Ok(out) => Ok(String::from_utf8_lossy(&out).into_owned()),
        Err(i) => {
            let bad: String = v[i..].chars().take(3).collect();
            Err(format!("invalid URL escape {}", stagecraft_syntax::go::quote_str(&bad)))
        }
    }
}

const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];
const KNOWN_ARCH: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// containerd's `specifierRe`, `^[A-Za-z0-9_.-]+$`, for the architecture and the variant
/// (`arm64/v8.2`); the OS name is `[A-Za-z0-9_-]+`, without dots.
fn valid_component(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
}

fn valid_os_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// `os[(version)]` as containerd accepts it.
fn valid_os_component(s: &str) -> bool {
    match s.split_once('(') {
        None => valid_os_name(s),
        Some((os, rest)) => {
            // `(version+feature...)`: every feature non-empty (`windows(1+)` is refused).
            valid_os_name(os)
                && rest.ends_with(')')
                && rest[..rest.len() - 1].bytes().all(|c| c.is_ascii_alphanumeric() || b"_.%-+".contains(&c))
                && rest[..rest.len() - 1].split('+').skip(1).all(|f| !f.is_empty())
        }
    }
}

fn normalize_os(os: &str) -> String {
    let os = os.to_lowercase();
    if os == "macos" {
        "darwin".into()
    } else {
        os
    }
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_lowercase();
    let variant = variant.to_lowercase();
    match arch.as_str() {
        "i386" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => ("amd64".into(), if variant == "v1" { String::new() } else { variant }),
        // `8`, `v8` and `v8.0` are arm64's default variant; `9`, `9.0` and `v9.0` are `v9`.
        "aarch64" | "arm64" => {
            let v = match variant.as_str() {
                "8" | "v8" | "v8.0" => String::new(),
                "9" | "9.0" | "v9.0" => "v9".into(),
                _ => variant,
            };
            ("arm64".into(), v)
        }
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let v = match variant.as_str() {
                "" | "7" => "v7".into(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), v)
        }
        _ => (arch, variant),
    }
}

/// A build's target platform as `docker build --platform` takes one for this analysis: one
/// platform (a list is a multi-platform build, which builds each; refused with that said),
/// read by [`parse`], or `local` in any case, as buildx reads it: the platform of the machine
/// the build client runs on ([`local`]). Every adapter checks the option with it.
pub fn parse_target(spec: &str) -> Result<Platform, String> {
    if spec.contains(',') {
        return Err(format!("{spec}: one platform at a time (a multi-platform build builds each one)"));
    }
    if spec.eq_ignore_ascii_case("local") {
        return local().ok_or_else(|| {
            format!("\"{spec}\" is the platform of the machine that runs the build client, which this build of stagecraft cannot tell")
        });
    }
    parse(spec)
}

/// The platform stagecraft itself was built for, which `--platform local` names: buildx takes
/// containerd's `DefaultSpec`, the OS and architecture its own binary was built for. Read from
/// the CPU there and not here: an ARM machine's variant (containerd's default here), a
/// Windows host's OS version, and, in some containerd releases, an amd64 level (`v3`). `None`
/// where it is not a machine that runs a build client: the browser build.
pub fn local() -> Option<Platform> {
    // (Said first, or the browser build keeps the matches below, which it never takes.)
    if cfg!(target_family = "wasm") {
        return None;
    }
    // Go's GOOS and GOARCH names for Rust's.
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "" => return None,
        os => os,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "powerpc" => "ppc",
        "loongarch64" => "loong64",
        "mips64" if cfg!(target_endian = "little") => "mips64le",
        "mips" if cfg!(target_endian = "little") => "mipsle",
        "wasm32" | "wasm64" => return None,
        arch => arch,
    };
    let (architecture, variant) = normalize_arch(arch, "");
    Some(Platform::new(os.into(), architecture, variant))
}

/// Parses a platform specifier; `Err` carries a message in containerd's words.
pub fn parse(spec: &str) -> Result<Platform, String> {
    // (Go's `%q`: quoted, with what is not printable escaped.)
    let quoted = stagecraft_syntax::go::quote_str(spec);
    if spec.contains('*') {
        return Err(format!("{quoted}: wildcards not yet supported: invalid argument"));
    }
    // containerd splits into at most 4 parts: a 4th holds the rest, slashes and all.
    let parts: Vec<&str> = spec.splitn(4, '/').collect();
    let os_invalid = |p: &str| {
        format!(
            "{} is an invalid OS component of {quoted}: OSAndVersion specifier component must match \"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.%-]*)((?:\\\\+[A-Za-z0-9_.%-]+)*)\\\\))?$\": invalid argument",
            stagecraft_syntax::go::quote_str(p)
        )
    };
    let component_invalid = |p: &str| {
        format!(
            "{} is an invalid component of {quoted}: platform specifier component must match \"^[A-Za-z0-9_.-]+$\": invalid argument",
            stagecraft_syntax::go::quote_str(p)
        )
    };
    if !valid_os_component(parts[0]) {
        return Err(os_invalid(parts[0]));
    }
    // `os(version+feature+...)`: each decoded; features sorted and deduplicated as the target
    // platform is normalised.
    let (os_name, os_version, os_features) = match parts[0].split_once('(') {
        None => (parts[0], String::new(), Vec::new()),
        Some((os, options)) => {
            let options = &options[..options.len() - 1];
            let (version, features) = options.split_once('+').unwrap_or((options, ""));
            let version = decode_os_option(version)
                .map_err(|e| format!("{quoted} has an invalid OS version \"{version}\": {e}"))?;
            // Kept sorted and without repeats as they come, by their bytes as Go sorts them (no
            // sort of strings: the browser build would carry one for this alone); then made
            // text, bytes that are not UTF-8 as U+FFFD, as Go's JSON writes them.
            let mut decoded: Vec<Decoded> = Vec::new();
            for f in features.split('+').filter(|_| !features.is_empty()) {
                let f = decode_os_option(f)
                    .map_err(|e| format!("{quoted} has invalid OS features: invalid os feature \"{f}\": {e}"))?;
                if let Err(at) = decoded.binary_search(&f) {
                    decoded.insert(at, f);
                }
            }
            #[cfg(not(target_arch = "wasm32"))]
            let (version, decoded) = {
                let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                (text(&version), decoded.iter().map(|f| text(f)).collect())
            };
            (os, version, decoded)
        }
    };
    for p in &parts[1..] {
        if !valid_component(p) {
            return Err(component_invalid(p));
        }
    }
    let with_os = |os: String, architecture: String, variant: String| Platform {
        os_version: os_version.clone(),
        os_features: os_features.clone(),
        ..Platform::new(os, architecture, variant)
    };
    match parts.len() {
        1 => {
            let os = normalize_os(os_name);
            if KNOWN_OS.contains(&os.as_str()) {
                Ok(with_os(os, "amd64".into(), String::new()))
            } else {
                // Not an OS: the whole part as an architecture (so no `(...)`).
                let (arch, variant) = normalize_arch(parts[0], "");
                if KNOWN_ARCH.contains(&arch.as_str()) {
                    Ok(Platform::new("linux".into(), arch, variant))
                } else {
                    Err(format!("{quoted}: unknown operating system or architecture: invalid argument"))
                }
            }
        }
        2 | 3 => {
            let (architecture, variant) = normalize_arch(parts[1], parts.get(2).copied().unwrap_or(""));
            Ok(with_os(normalize_os(os_name), architecture, variant))
        }
        _ => Err(format!("{quoted}: cannot parse platform specifier: invalid argument")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        assert_eq!(parse("linux/amd64").unwrap().format(), "linux/amd64");
        assert_eq!(parse("linux/x86_64").unwrap().format(), "linux/amd64");
        assert_eq!(parse("linux/arm64/v8").unwrap().format(), "linux/arm64");
        assert_eq!(parse("linux/arm").unwrap().format(), "linux/arm/v7");
        assert_eq!(parse("windows").unwrap().format(), "windows/amd64");
        // `local`, in any case, is the machine's own platform (buildx's `DefaultSpec`), in Go's
        // names.
        let local = parse_target("LOCAL").unwrap();
        assert!(
            !local.os.is_empty()
                && local.os != "macos"
                && !["x86_64", "aarch64"].contains(&local.architecture.as_str())
        );
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        assert_eq!(parse_target("local").unwrap().format(), "linux/amd64");
        #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
        assert_eq!(parse_target("local").unwrap().format(), "linux/arm64");
        // Only a target platform is `local`; in a list it is still a list.
        assert!(parse_target("local,linux/arm64").unwrap_err().contains("one platform at a time"));
        assert!(parse("").is_err());
        assert!(parse("%s/${MYARCH}").unwrap_err().contains("is an invalid OS component of"));
        assert!(parse("linux/").is_err());
        // containerd splits into 4 parts at most: the 4th is refused as a component.
        assert!(parse("a/b/c/d/e").unwrap_err().starts_with("\"d/e\" is an invalid component of"));
        assert!(parse("a/b/c/d").unwrap_err().contains("cannot parse platform specifier"));
        // A single part that is no OS is read whole as an architecture.
        assert!(parse("arm64(1)").unwrap_err().contains("unknown operating system or architecture"));
        // Dots in the architecture and the variant (containerd/platforms' newer `specifierRe`),
        // not in the OS name.
        let p = parse("linux/arm64/v8.2").unwrap();
        assert_eq!((p.architecture.as_str(), p.variant.as_str()), ("arm64", "v8.2"));
        for (spec, variant) in [("linux/arm64/v8.0", ""), ("linux/arm64/9", "v9"), ("linux/aarch64/v9.0", "v9")] {
            assert_eq!(parse(spec).unwrap().variant, variant, "{spec}");
        }
        assert_eq!(parse("linux/my.arch").unwrap().architecture, "my.arch");
        assert!(parse("lin.ux/amd64").unwrap_err().starts_with("\"lin.ux\" is an invalid OS component of"));
        assert_eq!(
            parse("linux/a b").unwrap_err(),
            "\"a b\" is an invalid component of \"linux/a b\": platform specifier component must match \"^[A-Za-z0-9_.-]+$\": invalid argument"
        );
    }

    /// Random specifiers from the pieces the grammar cares about: every one parses or names
    /// itself in its error, and what parses formats to a specifier that parses back to the same
    /// platform.
    #[test]
    fn any_specifier_parses_or_says_why() {
        const PIECES: &[&str] = &[
            "linux", "Windows", "(", ")", "/", "+", "%", "%2", "%zz", "%2B", "%28", "10.0", "arm", "v7", "é", "*", ",",
            "",
        ];
        let mut rng = stagecraft_testkit::Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let spec: String = (0..rng.below(7)).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            match parse(&spec) {
                Ok(p) => assert_eq!(parse(&p.format_all()).as_ref(), Ok(&p), "{spec:?} -> {}", p.format_all()),
                Err(e) => assert!(e.contains(&format!("\"{spec}\"")), "the message names the specifier: {spec:?}: {e}"),
            }
        }
    }

    #[test]
    fn os_version_and_features() {
        let p = parse("Windows(10.0.20348)/AMD64").unwrap();
        assert_eq!((p.os.as_str(), p.os_version.as_str(), p.architecture.as_str()), ("windows", "10.0.20348", "amd64"));
        assert_eq!(p.format(), "windows/amd64");
        assert_eq!(p.format_all(), "windows(10.0.20348)/amd64");
        let p = parse("windows(10.0%2E1+win32k+a%2Bb+win32k)").unwrap();
        assert_eq!(p.os_version, "10.0.1");
        assert_eq!(p.os_features, ["a+b", "win32k"]);
        assert_eq!(p.format_all(), "windows(10.0.1+a%2Bb+win32k)/amd64");
        assert_eq!(parse("linux()/arm64").unwrap().format_all(), "linux/arm64");
        assert_eq!(
            parse("windows(1%zz)/amd64").unwrap_err(),
            "\"windows(1%zz)/amd64\" has an invalid OS version \"1%zz\": invalid URL escape \"%zz\""
        );
        assert_eq!(
            parse("windows(1+%2)/amd64").unwrap_err(),
            "\"windows(1+%2)/amd64\" has invalid OS features: invalid os feature \"%2\": invalid URL escape \"%2\""
        );
        // Every feature has a name.
        for bad in ["windows(1+)", "windows(1++a)", "windows(+)/amd64"] {
            assert!(parse(bad).unwrap_err().contains("is an invalid OS component of"), "{bad}");
        }
        assert_eq!(parse("windows(+a)/amd64").unwrap().format_all(), "windows(+a)/amd64");
    }

    /// Generated specifiers against containerd's own `platforms.Parse` and `Normalize` (and
    /// `FormatAll` of what parses), 1.0.0~rc4 from Debian's archive on Go 1.24
    /// (`tools/oracle-go`, `tools/go-trixie.sh`): the same platform, or the same error, for
    /// every one. Needs that Go, so it runs on demand (`tools/test.sh differential` runs it):
    /// `cargo test -p stagecraft-analysis --lib platform -- --ignored`.
    #[test]
    #[ignore = "needs Go and containerd/platforms from Debian's archive"]
    fn against_go() {
        const OS: &[&str] = &[
            "linux",
            "Linux",
            "windows",
            "WINDOWS",
            "darwin",
            "macos",
            "MacOS",
            "freebsd",
            "wasip1",
            "plan9",
            "amd64",
            "arm",
            "ARM64",
            "aarch64",
            "x86_64",
            "i386",
            "armhf",
            "riscv64",
            "mips64p32le",
            "wasm",
            "foo",
            "lin.ux",
            "a_b-c",
            "",
            "*",
            "l\u{e9}",
            "li nux",
        ];
        const OPTIONS: &[&str] = &[
            "",
            "",
            "",
            "()",
            "(10.0.20348)",
            "(10.0.20348+win32k)",
            "(+a)",
            "(1+)",
            "(1++a)",
            "(1+b+a+b)",
            "(%2B+%28)",
            "(1%zz)",
            "(1+%2)",
            "(%ff+%fe)",
            "(1+%ff+%fe)",
            "(+%c3%a9+%e9+%ef%bf%bd+%ff)",
            "(%e9+%c3%a9)",
            "(%25)",
            "(a%2Fb)",
            "(1 )",
            "(",
            ")",
            "(%20+x)",
            "((1))",
        ];
        const ARCH: &[&str] = &[
            "amd64", "AMD64", "x86_64", "x86-64", "i386", "386", "arm", "armhf", "armel", "arm64", "aarch64",
            "Aarch64", "riscv64", "my.arch", "", "a b", "\u{e9}", "ppc64le", "loong64", "arm64(1)",
        ];
        const VARIANT: &[&str] = &[
            "v7", "7", "V7", "5", "6", "8", "v8", "v8.0", "v8.2", "9", "9.0", "v9.0", "v9", "v1", "v2", "", "d/e", "d",
            "*", "\t",
        ];
        let mut rng = stagecraft_testkit::Rng(0x9_1a7f_0e57);
        let mut inputs = Vec::new();
        for _ in 0..20_000 {
            let mut spec = format!("{}{}", OS[rng.below(OS.len())], OPTIONS[rng.below(OPTIONS.len())]);
            for (list, odds) in [(ARCH, 4), (VARIANT, 3)] {
                if rng.below(odds) == 0 {
                    break;
                }
                spec.push('/');
                spec.push_str(list[rng.below(list.len())]);
            }
            inputs.push(spec);
        }
        let theirs = stagecraft_testkit::go_lines(
            "oracle-go",
            &["lines"],
            &inputs.iter().map(|s| stagecraft_testkit::serde_json::json!(["platform", s])).collect::<Vec<_>>(),
        );
        let (mut differ, mut parsed) = (Vec::new(), 0);
        for (spec, go) in inputs.iter().zip(&theirs) {
            let ours = match parse(spec) {
                Ok(p) => {
                    parsed += 1;
                    stagecraft_testkit::serde_json::json!({
                        "os": p.os, "os_version": p.os_version, "os_features": p.os_features,
                        "architecture": p.architecture, "variant": p.variant, "format_all": p.format_all(),
                    })
                }
                Err(e) => stagecraft_testkit::serde_json::json!({ "error": e }),
            };
            if ours != *go {
                differ.push(format!("{spec:?}: ours {ours}, Go's {go}"));
            }
        }
        stagecraft_testkit::assert_none_differ(&differ, inputs.len());
        assert!(parsed > 5_000 && inputs.len() - parsed > 2_000, "{parsed} of {} parse", inputs.len());
    }
}
