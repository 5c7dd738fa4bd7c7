//! BuildKit's lint rules and the `# check=` configuration that selects them.

/// One of BuildKit's lint rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rule {
    /// The rule name (`DuplicateStageName`).
    pub name: &'static str,
    /// The documentation page slug.
    pub slug: &'static str,
    /// Experimental rules run only when `# check=experimental=...` enables them.
    pub experimental: bool,
}

impl Rule {
    /// The rule's documentation; BuildKit gives `InvalidBaseImagePlatform` none.
    pub fn url(&self) -> Option<String> {
        (!self.slug.is_empty()).then(|| format!("https://docs.docker.com/go/dockerfile/rule/{}/", self.slug))
    }
}

macro_rules! rules {
    ($($id:ident = $name:literal, $slug:literal, $exp:literal, $desc:literal;)*) => {
        $(
            #[doc = $desc]
            pub const $id: Rule = Rule { name: $name, slug: $slug, experimental: $exp };
        )*
        /// Every rule.
        pub const ALL: &[Rule] = &[$($id),*];

        impl Rule {
            /// BuildKit's one-line description. (Found by name, not kept in the rule: the
            /// browser build, which keeps the rules, never reads them.)
            pub fn description(&self) -> &'static str {
                match self.name {
                    $($name => $desc,)*
                    _ => "",
                }
            }
        }
    };
}

rules! {
    STAGE_NAME_CASING = "StageNameCasing", "stage-name-casing", false, "Stage names should be lowercase";
    FROM_AS_CASING = "FromAsCasing", "from-as-casing", false, "The 'as' keyword should match the case of the 'from' keyword";
    NO_EMPTY_CONTINUATION = "NoEmptyContinuation", "no-empty-continuation", false, "Empty continuation lines will become errors in a future release";
    CONSISTENT_INSTRUCTION_CASING = "ConsistentInstructionCasing", "consistent-instruction-casing", false, "All commands within the Dockerfile should use the same casing (either upper or lower)";
    DUPLICATE_STAGE_NAME = "DuplicateStageName", "duplicate-stage-name", false, "Stage names should be unique";
    RESERVED_STAGE_NAME = "ReservedStageName", "reserved-stage-name", false, "Reserved words should not be used as stage names";
    JSON_ARGS_RECOMMENDED = "JSONArgsRecommended", "json-args-recommended", false, "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals";
    MAINTAINER_DEPRECATED = "MaintainerDeprecated", "maintainer-deprecated", false, "The MAINTAINER instruction is deprecated, use a label instead to define an image author";
    UNDEFINED_ARG_IN_FROM = "UndefinedArgInFrom", "undefined-arg-in-from", false, "FROM command must use declared ARGs";
    WORKDIR_RELATIVE_PATH = "WorkdirRelativePath", "workdir-relative-path", false, "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes";
    UNDEFINED_VAR = "UndefinedVar", "undefined-var", false, "Variables should be defined before their use";
    MULTIPLE_INSTRUCTIONS_DISALLOWED = "MultipleInstructionsDisallowed", "multiple-instructions-disallowed", false, "Multiple instructions of the same type should not be used in the same stage";
    LEGACY_KEY_VALUE_FORMAT = "LegacyKeyValueFormat", "legacy-key-value-format", false, "Legacy key/value format with whitespace separator should not be used";
    REDUNDANT_TARGET_PLATFORM = "RedundantTargetPlatform", "redundant-target-platform", false, "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior";
    SECRETS_USED_IN_ARG_OR_ENV = "SecretsUsedInArgOrEnv", "secrets-used-in-arg-or-env", false, "Sensitive data should not be used in the ARG or ENV commands";
    INVALID_DEFAULT_ARG_IN_FROM = "InvalidDefaultArgInFrom", "invalid-default-arg-in-from", false, "Default value for global ARG results in an empty or invalid base image name";
    FROM_PLATFORM_FLAG_CONST_DISALLOWED = "FromPlatformFlagConstDisallowed", "from-platform-flag-const-disallowed", false, "FROM --platform flag should not use a constant value";
    COPY_IGNORED_FILE = "CopyIgnoredFile", "copy-ignored-file", false, "Attempting to Copy file that is excluded by .dockerignore";
    INVALID_DEFINITION_DESCRIPTION = "InvalidDefinitionDescription", "invalid-definition-description", true, "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.";
    EXPOSE_PROTO_CASING = "ExposeProtoCasing", "expose-proto-casing", false, "Protocol in EXPOSE instruction should be lowercase";
    EXPOSE_INVALID_FORMAT = "ExposeInvalidFormat", "expose-invalid-format", false, "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release";
    INVALID_BASE_IMAGE_PLATFORM = "InvalidBaseImagePlatform", "", false, "Base image platform does not match expected target platform";
}

/// The rule with this name.
pub fn by_name(name: &str) -> Option<Rule> {
    ALL.iter().copied().find(|r| r.name == name)
}

/// A sorted list of rule names, shared (the browser build, whose files are small, copies
/// plain lists, for its size).
#[cfg(feature = "large-files")]
pub type Names = std::sync::Arc<[String]>;
/// A sorted list of rule names (see the `large-files` build's).
#[cfg(not(feature = "large-files"))]
pub type Names = Vec<String>;

/// A comment's own settings ([`CheckConfig::local`]), shared (boxed in the browser build).
#[cfg(feature = "large-files")]
pub type Local = std::sync::Arc<CheckConfig>;
/// A comment's own settings ([`CheckConfig::local`]).
#[cfg(not(feature = "large-files"))]
pub type Local = Box<CheckConfig>;

/// What `# check=skip=...;error=...;experimental=...` selects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckConfig {
    /// `skip=all`.
    pub skip_all: bool,
    /// Rules named in `skip=`, sorted, each once. (Shared: every instruction's settings are
    /// these or start from them.)
    pub skip: Names,
    /// `experimental=all`.
    pub experimental_all: bool,
    /// Rules named in `experimental=`, sorted, each once.
    pub experimental: Names,
    /// `error=true`: any warning fails the build.
    pub error: bool,
    /// What a `# check=` comment directly above an instruction adds, kept apart from the file's
    /// settings (a merged copy for each of thousands of such comments was quadratic: 3.2 GB for
    /// 10,000 of them under a `skip=` list of 10,000 names).
    pub local: Option<Local>,
}

impl CheckConfig {
    /// BuildKit's `ParseLintOptions` of a `check` value (already cut at its first space).
    pub fn parse(value: &str) -> Result<CheckConfig, String> {
        let mut config = CheckConfig::default();
        let value = value.trim();
        if value.is_empty() {
            return Ok(config);
        }
        for part in value.splitn(3, ';') {
            let Some((k, v)) = part.split_once('=') else {
                return Err(format!("invalid check option {}", stagecraft_syntax::go::quote_str(part)));
            };
            match k.trim() {
                "skip" => {
                    let v = v.trim();
                    if v == "all" {
                        config.skip_all = true;
                    } else {
                        config.skip = names(v);
                    }
                }
                "experimental" => {
                    let v = v.trim();
                    if v == "all" {
                        config.experimental_all = true;
                    } else {
                        config.experimental = names(v);
                    }
                }
                "error" => {
                    let v = v.trim();
                    config.error = stagecraft_syntax::go::parse_bool(v).ok_or_else(|| {
                        format!(
                            "failed to parse check option {}: strconv.ParseBool: parsing {}: invalid syntax",
                            stagecraft_syntax::go::quote_str(part),
                            stagecraft_syntax::go::quote_str(v)
                        )
                    })?;
                }
                other => {
                    return Err(format!("invalid check option {}", stagecraft_syntax::go::quote_str(other)));
                }
            }
        }
        Ok(config)
    }

    /// Whether a rule runs under this configuration.
    pub fn enabled(&self, rule: &Rule) -> bool {
        let local = self.local.as_deref();
        if rule.experimental {
            self.experimental_all || contains(&self.experimental, rule.name) || local.is_some_and(|l| l.enabled(rule))
        } else {
            !(self.skip_all || contains(&self.skip, rule.name)) && local.is_none_or(|l| l.enabled(rule))
        }
    }

    /// This configuration merged with a `# check=` comment directly above an instruction (it
    /// can only skip more or enable more experimental rules).
    pub fn merged_with_comments(&self, comments: &[String]) -> CheckConfig {
        let Some(local) = comment_config(comments) else { return self.clone() };
        if local == CheckConfig::default() {
            return self.clone();
        }
        // (Its `error=` does not count: the file's decides.)
        CheckConfig { local: Some(Local::new(local)), ..self.clone() }
    }
}

/// The first `check=...` among an instruction's comment lines.
fn comment_config(comments: &[String]) -> Option<CheckConfig> {
    for c in comments.iter().filter(|c| c.contains('=')) {
        if let Some((key, value)) = stagecraft_syntax::directives::match_directive_line(&format!("#{c}")) {
            if key == "check" {
                let first = value.split(' ').next().unwrap_or("");
                return CheckConfig::parse(first).ok();
            }
        }
    }
    None
}

// The sets are sorted lists, filled one name at a time: a `BTreeSet<String>` was ≈2.5 KB
// gzipped of the browser build, and collecting an iterator into one sorted it first (2.7 KB).

/// The rule names of a `skip=` or `experimental=` list.
#[allow(clippy::useless_conversion)] // (`Names` is a `Vec` in the browser build.)
fn names(list: &str) -> Names {
    let mut set = Vec::new();
    for name in list.split(',') {
        insert(&mut set, name.trim());
    }
    set.into()
}

/// Whether a sorted list of names has `name`.
fn contains(set: &[String], name: &str) -> bool {
    set.binary_search_by(|n| n.as_str().cmp(name)).is_ok()
}

/// Adds `name` to a sorted list of names unless it is there.
fn insert(set: &mut Vec<String>, name: &str) {
    if let Err(i) = set.binary_search_by(|n| n.as_str().cmp(name)) {
        set.insert(i, name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_options() {
        let c = CheckConfig::parse("skip=JSONArgsRecommended,StageNameCasing;error=true").unwrap();
        assert!(c.error && !c.enabled(&JSON_ARGS_RECOMMENDED) && c.enabled(&UNDEFINED_VAR));
        assert!(!CheckConfig::parse("skip=all").unwrap().enabled(&UNDEFINED_VAR));
        assert!(!CheckConfig::default().enabled(&INVALID_DEFINITION_DESCRIPTION));
        assert!(CheckConfig::parse("experimental=all").unwrap().enabled(&INVALID_DEFINITION_DESCRIPTION));
        assert_eq!(CheckConfig::parse("nope").unwrap_err(), "invalid check option \"nope\"");
        assert!(CheckConfig::parse("error=yes").unwrap_err().contains("strconv.ParseBool"));
        let merged = CheckConfig::default().merged_with_comments(&["check=skip=UndefinedVar // why".into()]);
        assert!(!merged.enabled(&UNDEFINED_VAR));
        // Sorted, each once, as a set.
        let c = CheckConfig::parse("skip=b, a,b,c").unwrap();
        assert_eq!(*c.skip, ["a", "b", "c"]);
        // A comment skips more, or enables more experimental rules, over the file's settings.
        let c = CheckConfig::parse("skip=StageNameCasing").unwrap();
        let merged = c.merged_with_comments(&["check=skip=UndefinedVar;experimental=all;error=true".into()]);
        assert!(!merged.enabled(&STAGE_NAME_CASING) && !merged.enabled(&UNDEFINED_VAR));
        assert!(merged.enabled(&INVALID_DEFINITION_DESCRIPTION) && merged.enabled(&DUPLICATE_STAGE_NAME));
        assert!(!merged.error);
        let merged = c.merged_with_comments(&["check=skip=all".into()]);
        assert!(!merged.enabled(&DUPLICATE_STAGE_NAME) && !merged.enabled(&INVALID_DEFINITION_DESCRIPTION));
        assert_eq!(
            JSON_ARGS_RECOMMENDED.url().unwrap(),
            "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/"
        );
        assert_eq!(INVALID_BASE_IMAGE_PLATFORM.url(), None);
    }
}
