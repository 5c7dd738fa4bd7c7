//! Platform strings (`linux/amd64`, `linux/arm64/v8`) parsed and normalised the way BuildKit's
//! containerd `platforms.Parse` does.

/// A parsed platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// Operating system (`linux`).
    pub os: String,
    /// Architecture, normalised (`x86_64` becomes `amd64`).
    pub architecture: String,
    /// Variant (`v7`), normalised.
    pub variant: String,
}

impl Platform {
    /// The build and target platform stagecraft assumes: `linux/amd64`.
    pub fn default_linux_amd64() -> Platform {
        Platform { os: "linux".into(), architecture: "amd64".into(), variant: String::new() }
    }

    /// `os/arch[/variant]`.
    pub fn format(&self) -> String {
        if self.variant.is_empty() {
            format!("{}/{}", self.os, self.architecture)
        } else {
            format!("{}/{}/{}", self.os, self.architecture, self.variant)
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

fn valid_component(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// `os[(version)]` as containerd accepts it.
fn valid_os_component(s: &str) -> bool {
    match s.split_once('(') {
        None => valid_component(s),
        Some((os, rest)) => {
            valid_component(os)
                && rest.ends_with(')')
                && rest[..rest.len() - 1].bytes().all(|c| c.is_ascii_alphanumeric() || b"_.%-+".contains(&c))
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
        "aarch64" | "arm64" => {
            ("arm64".into(), if variant == "8" || variant == "v8" { String::new() } else { variant })
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
/// read by [`parse`]. Every adapter checks the option with it.
pub fn parse_target(spec: &str) -> Result<Platform, String> {
    if spec.contains(',') {
        return Err(format!("{spec}: one platform at a time (a multi-platform build builds each one)"));
    }
    parse(spec)
}

/// Parses a platform specifier; `Err` carries a message in containerd's words.
pub fn parse(spec: &str) -> Result<Platform, String> {
    if spec.contains('*') {
        return Err(format!("\"{spec}\": wildcards not yet supported: invalid argument"));
    }
    let parts: Vec<&str> = spec.split('/').collect();
    let os_invalid = |p: &str| {
        format!(
            "\"{p}\" is an invalid OS component of \"{spec}\": OSAndVersion specifier component must match \"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.%-]*)((?:\\\\+[A-Za-z0-9_.%-]+)*)\\\\))?$\": invalid argument"
        )
    };
    let component_invalid = |p: &str| {
        format!("\"{p}\" is an invalid component of \"{spec}\": platform specifier component must match \"^[A-Za-z0-9_-]+$\": invalid argument")
    };
    if !valid_os_component(parts[0]) {
        return Err(os_invalid(parts[0]));
    }
    for p in &parts[1..] {
        if !valid_component(p) {
            return Err(component_invalid(p));
        }
    }
    let os_name = parts[0].split('(').next().unwrap_or("");
    match parts.len() {
        1 => {
            let lower = os_name.to_lowercase();
            if KNOWN_OS.contains(&normalize_os(&lower).as_str()) {
                Ok(Platform { os: normalize_os(&lower), architecture: "amd64".into(), variant: String::new() })
            } else {
                let (arch, variant) = normalize_arch(&lower, "");
                if KNOWN_ARCH.contains(&arch.as_str()) {
                    Ok(Platform { os: "linux".into(), architecture: arch, variant })
                } else {
                    Err(format!("\"{spec}\": unknown operating system or architecture: invalid argument"))
                }
            }
        }
        2 | 3 => {
            let (architecture, variant) = normalize_arch(parts[1], parts.get(2).copied().unwrap_or(""));
            Ok(Platform { os: normalize_os(os_name), architecture, variant })
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
        assert!(parse("").is_err());
        assert!(parse("%s/${MYARCH}").unwrap_err().contains("is an invalid OS component of"));
        assert!(parse("linux/").is_err());
    }
}
