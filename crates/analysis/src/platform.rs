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

/// containerd's `decodeOSOption`: Go's `url.PathUnescape` when there is a `%`, with its error.
fn decode_os_option(v: &str) -> Result<String, String> {
    if !v.contains('%') {
        return Ok(v.to_string());
    }
    match stagecraft_syntax::go::unescape(v, stagecraft_syntax::go::UrlPart::Path) {
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
    "wasip1",
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
    if spec.contains('*') {
        return Err(format!("\"{spec}\": wildcards not yet supported: invalid argument"));
    }
    // containerd splits into at most 4 parts: a 4th holds the rest, slashes and all.
    let parts: Vec<&str> = spec.splitn(4, '/').collect();
    let os_invalid = |p: &str| {
        format!(
            "\"{p}\" is an invalid OS component of \"{spec}\": OSAndVersion specifier component must match \"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.%-]*)((?:\\\\+[A-Za-z0-9_.%-]+)*)\\\\))?$\": invalid argument"
        )
    };
    let component_invalid = |p: &str| {
        format!("\"{p}\" is an invalid component of \"{spec}\": platform specifier component must match \"^[A-Za-z0-9_.-]+$\": invalid argument")
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
                .map_err(|e| format!("\"{spec}\" has an invalid OS version \"{version}\": {e}"))?;
            // Kept sorted and without repeats as they come (no sort of strings: the browser
            // build would carry one for this alone).
            let mut decoded: Vec<String> = Vec::new();
            for f in features.split('+').filter(|_| !features.is_empty()) {
                let f = decode_os_option(f)
                    .map_err(|e| format!("\"{spec}\" has invalid OS features: invalid os feature \"{f}\": {e}"))?;
                if let Err(at) = decoded.binary_search(&f) {
                    decoded.insert(at, f);
                }
            }
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
                    Err(format!("\"{spec}\": unknown operating system or architecture: invalid argument"))
                }
            }
        }
        2 | 3 => {
            let (architecture, variant) = normalize_arch(parts[1], parts.get(2).copied().unwrap_or(""));
            Ok(with_os(normalize_os(os_name), architecture, variant))
        }
        _ => Err(format!("\"{spec}\": cannot parse platform specifier: invalid argument")),
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
}
