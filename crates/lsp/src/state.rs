//! Open documents and settings. Handlers change this state before their first `.await`, so
//! concurrent handlers see edits in order; only `Send` data lives here (text and analyses that
//! hold green trees).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use stagecraft_analysis::{analyze_parsed, Analysis, IgnoreRules, Options, Parse, Severity};
use stagecraft_analysis::{dockerignore, reference};
use tower_lsp_server::lsp_types::Uri;
use tower_lsp_server::UriExt;

/// One open document.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) version: i32,
    pub(crate) text: String,
    /// The analysis of exactly this version, once computed.
    pub(crate) analysis: Option<Arc<Analysis>>,
    /// The options that analysis was made with (what "fix all" analyses its passes with).
    pub(crate) options: Options,
    /// The parse of exactly this version, when known without its analysis (kept up to date
    /// incrementally through edits; the next analysis takes it).
    pub(crate) parse: Option<Parse>,
    /// The ignore rules of the file's build context, as last read.
    ignore: IgnoreCache,
    /// The semantic tokens last sent for it, with their result id: what a
    /// `semanticTokens/full/delta` request's edits are made against.
    pub(crate) semantic_tokens: Option<(String, Vec<tower_lsp_server::lsp_types::SemanticToken>)>,
}

impl Document {
    pub(crate) fn new(version: i32, text: String) -> Document {
        Document {
            version,
            text,
            analysis: None,
            options: Options::default(),
            parse: None,
            ignore: IgnoreCache::default(),
            semantic_tokens: None,
        }
    }

    /// Drops the analysis, keeping its parse for the next one.
    pub(crate) fn invalidate(&mut self) {
        if let Some(a) = self.analysis.take() {
            self.parse = Some(a.parse().clone());
        }
    }
}

/// The ignore file BuildKit reads for a document on disk (`<name>.dockerignore` beside it, else
/// `.dockerignore` in its directory, taken as the build context), for `CopyIgnoredFile`. Looked
/// up at each analysis and read again only when its path, modification time or size changed.
#[derive(Debug, Default)]
struct IgnoreCache {
    read: Option<IgnoreKey>,
    rules: Option<IgnoreRules>,
    /// Why BuildKit rejects the file, when it does (every build of the context fails).
    error: Option<String>,
}

/// An ignore file as found on disk: its path, modification time and size.
type IgnoreKey = (PathBuf, Option<SystemTime>, u64);

/// The ignore files read, by path, shared by the documents that read each: as found on disk
/// then, with their rules or why BuildKit rejects them. (Each document read its own copy: 500
/// documents of one folder with a 5,000-pattern `.dockerignore` took 1.37 GiB.)
#[derive(Debug, Default)]
pub(crate) struct IgnoreFiles(HashMap<PathBuf, (IgnoreKey, Option<IgnoreRules>, Option<String>)>);

impl IgnoreFiles {
    /// The rules of the file as `key` says it is, read now if it was not read so; a file
    /// BuildKit rejects gets a warning for the client's log when it is read.
    fn read(&mut self, key: &IgnoreKey, warnings: &mut Vec<String>) -> (Option<IgnoreRules>, Option<String>) {
        if let Some((_, rules, error)) = self.0.get(&key.0).filter(|(read, ..)| read == key) {
            return (rules.clone(), error.clone());
        }
        // Files no document holds the rules of any more are dropped as others are read (a
        // rejected file's entry, a message, is kept: it is read again only when it changes).
        self.0.retain(|_, (_, rules, error)| {
            error.is_some() || rules.as_ref().is_some_and(|r| Arc::strong_count(&r.0) > 1)
        });
        let (rules, error) = match dockerignore::load(&key.0) {
            Ok(rules) => (Some(IgnoreRules(Arc::new(rules))), None),
            Err(e) => {
                warnings.push(format!("{e} (CopyIgnoredFile is not checked)"));
                (None, Some(e))
            }
        };
        self.0.insert(key.0.clone(), (key.clone(), rules.clone(), error.clone()));
        (rules, error)
    }
}

impl IgnoreCache {
    /// The ignore file BuildKit would read for `uri` with the build context `context` (see
    /// [`Settings::build_context`]), as it is on disk now; `None` when there is none (or the
    /// document is not a file).
    fn key_now(uri: &Uri, context: Option<&str>) -> Option<IgnoreKey> {
        if !uri.scheme().is_some_and(|s| s.as_str().eq_ignore_ascii_case("file")) {
            return None;
        }
        let path = uri.to_file_path()?;
        // `join` keeps an absolute context as it is.
        let context = context.and_then(|c| Some(path.parent()?.join(c)));
        let file = dockerignore::ignore_file_for(&path, context.as_deref())?;
        let meta = std::fs::metadata(&file).ok();
        Some((file, meta.as_ref().and_then(|m| m.modified().ok()), meta.map_or(0, |m| m.len())))
    }

    /// `options` with the rules for `uri` with the build context `context`, read again only
    /// when the file's path, time or size moved; a file BuildKit rejects gets a warning for the
    /// client's log, and is the build's error where BuildKit meets it.
    fn with_rules(
        &mut self,
        uri: &Uri,
        context: Option<&str>,
        files: &mut IgnoreFiles,
        warnings: &mut Vec<String>,
        options: Options,
    ) -> Options {
        let Some(key) = Self::key_now(uri, context) else {
            (self.read, self.rules, self.error) = (None, None, None);
            return options;
        };
        if self.read.as_ref() != Some(&key) {
            (self.rules, self.error) = files.read(&key, warnings);
            self.read = Some(key);
        }
        Options { ignore: self.rules.clone(), ignore_error: self.error.clone(), ..options }
    }
}

/// Settings the client sends (initializationOptions or didChangeConfiguration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) targets: Vec<String>,
    pub(crate) build_args: HashMap<String, String>,
    pub(crate) severities: HashMap<String, String>,
    /// The build context: absolute, or relative to each Dockerfile's directory (`..`); none:
    /// the Dockerfile's directory.
    pub(crate) build_context: Option<String>,
    /// Named build contexts (`docker buildx build --build-context NAME=VALUE`), by name; the
    /// analysis reads the names, editors put the values in their docker build command. A list
    /// of names is read as names without values.
    pub(crate) named_contexts: HashMap<String, String>,
    /// The target platform (`docker build --platform`), `os/arch[/variant]` or `local` (the
    /// server's own, as buildx reads it): the `TARGET*` ARGs and the OS of stages without their
    /// own. One that does not parse is kept here and
    /// read as `linux/amd64` by the analysis ([`Settings::settings_warnings`] says so).
    pub(crate) platform: Option<String>,
    /// What was left out as of the wrong type, for the client's log.
    pub(crate) ignored: Vec<String>,
    /// The object had no `stagecraft` section and none of its keys: another tool's settings
    /// (a client that sends every server all of them), which leave these as they were.
    pub(crate) foreign: bool,
}

/// The settings the server reads.
const KNOWN: [&str; 6] = ["targets", "buildArgs", "severities", "buildContext", "namedContexts", "platform"];
/// Settings of the editor extensions' own, sent with the section by clients that send it whole.
const CLIENT_SIDE: [&str; 2] = ["serverPath", "trace"];

/// What a JSON value is, for a message.
fn json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Settings {
    /// Reads settings from `{"stagecraft": {...}}` or from the object itself, forgiving what an
    /// editor's settings UI lets through: each field and each entry is read on its own (unknown
    /// fields and entries of the wrong type are skipped without taking the others with them), a
    /// number or boolean where a string belongs is its JSON text (`{"GO": 1.23}` is `"1.23"`),
    /// a lone string stands for a one-item list, and an empty array for an empty map (Lua
    /// clients, Neovim among them, send an empty table as `[]`).
    pub(crate) fn from_json(value: &serde_json::Value) -> Settings {
        use serde_json::Value;
        let ignored = std::cell::RefCell::new(Vec::new());
        let ignore = |what: String| ignored.borrow_mut().push(format!("{what}: left out"));
        let inner = match value.get("stagecraft") {
            Some(inner @ Value::Object(_)) => inner,
            // (Nothing set: Lua clients send an empty table as `[]`.)
            Some(Value::Null) => &Value::Null,
            Some(Value::Array(a)) if a.is_empty() => &Value::Null,
            Some(other) => {
                ignore(format!("stagecraft: {} where the settings object belongs", json_kind(other)));
                &Value::Null
            }
            None => value,
        };
        let inner = match inner {
            Value::Object(o) => {
                let ours = |k: &String| KNOWN.contains(&k.as_str()) || CLIENT_SIDE.contains(&k.as_str());
                if value.get("stagecraft").is_none() && !o.is_empty() && !o.keys().any(ours) {
                    return Settings { foreign: true, ..Settings::default() };
                }
                for k in o.keys().filter(|k| !ours(k)) {
                    let hint = stagecraft_analysis::suggest::search(k, KNOWN, false)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    ignored.borrow_mut().push(format!("stagecraft.{k} is no setting of this server{hint}: left out"));
                }
                inner
            }
            Value::Null => inner,
            other => {
                ignore(format!("the settings are {}, not an object", json_kind(other)));
                &Value::Null
            }
        };
        // Every key read is one of `KNOWN` (which the unknown keys' message and its suggestion
        // read): a new setting read here must be listed there too, as the tests check.
        let get = |key: &str| {
            debug_assert!(KNOWN.contains(&key), "the setting {key} is not listed in KNOWN");
            inner.get(key)
        };
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
            _ => None,
        };
        // A list's entries and a map's values that are no text are left out, and said.
        let entry = |key: &str, at: &str, v: &Value| {
            let t = text(v);
            if t.is_none() {
                ignore(format!("stagecraft.{key}{at} is {}, not a string", json_kind(v)));
            }
            // A number is read as its JSON text, which may not be what was written (`1.20` in
            // a Lua table arrives as 1.2): said, though kept.
            // (An integer is taken as written; a Lua float with no fraction, `2.0`, arrives as
            // one too.)
            let integer = |n: &serde_json::Number| n.is_i64() || n.is_u64();
            if let (Value::Number(n), Some(t)) = (v, &t) {
                if integer(n) {
                    return Some(t.clone());
                }
                ignored.borrow_mut().push(format!(
                    "stagecraft.{key}{at} is a number, read as \"{t}\": quote it to keep it as written (`1.20` arrives as 1.2)"
                ));
            }
            t
        };
        let list = |key: &str, a: &[Value]| -> Vec<String> {
            a.iter().enumerate().filter_map(|(i, v)| entry(key, &format!("[{i}]"), v)).collect()
        };
        let map = |key: &str| -> HashMap<String, String> {
            match get(key) {
                Some(Value::Object(o)) => {
                    o.iter().filter_map(|(k, v)| Some((k.clone(), entry(key, &format!(".{k}"), v)?))).collect()
                }
                // (An empty table, as Lua clients send one.)
                None | Some(Value::Null) => HashMap::new(),
                Some(Value::Array(a)) if a.is_empty() => HashMap::new(),
                Some(other) => {
                    let or = if key == "namedContexts" { " or a list of names" } else { "" };
                    ignore(format!("stagecraft.{key} is {}, not an object of names to values{or}", json_kind(other)));
                    HashMap::new()
                }
            }
        };
        let targets = match get("targets") {
            Some(Value::Array(a)) => list("targets", a),
            Some(v @ Value::String(_)) => text(v).into_iter().collect(),
            None | Some(Value::Null) => Vec::new(),
            Some(other) => {
                ignore(format!("stagecraft.targets is {}, not a list of stage names", json_kind(other)));
                Vec::new()
            }
        };
        let string = |key: &str| match get(key) {
            None | Some(Value::Null) => None,
            Some(v) => entry(key, "", v),
        };
        let build_context = string("buildContext").filter(|c| !c.is_empty());
        let named_contexts = match get("namedContexts") {
            Some(Value::Array(a)) => list("namedContexts", a).into_iter().map(|n| (n, String::new())).collect(),
            Some(v @ Value::String(_)) => text(v).into_iter().map(|n| (n, String::new())).collect(),
            _ => map("namedContexts"),
        };
        let platform = string("platform").map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
        let (build_args, severities) = (map("buildArgs"), map("severities"));
        Settings {
            targets,
            build_args,
            severities,
            build_context,
            named_contexts,
            platform,
            ignored: ignored.into_inner(),
            foreign: false,
        }
    }

    /// What is wrong with the settings (values of the wrong type, the named contexts' names, the
    /// platform), for the client's log.
    pub(crate) fn settings_warnings(&self) -> Vec<String> {
        let mut names: Vec<&String> = self.named_contexts.keys().collect();
        names.sort();
        let mut warnings: Vec<String> = self.ignored.clone();
        warnings.extend(
            names
                .into_iter()
                .filter_map(|n| reference::context_key(n).err())
                .map(|e| format!("stagecraft.namedContexts: {e}; the name is read as an image name, and left out")),
        );
        if let Some(Err(e)) = self.platform.as_deref().map(stagecraft_analysis::platform::parse_target) {
            warnings.push(format!("stagecraft.platform: {e}; write os/arch (linux/arm64); linux/amd64 is used"));
        }
        let mut severities: Vec<(&String, &String)> = self.severities.iter().collect();
        severities.sort();
        for (code, level) in severities {
            if severity(level).is_none() {
                warnings.push(format!(
                    "stagecraft.severities: `{level}` for {code} is no severity (error, warning, info or hint): its findings keep their own"
                ));
            }
            // Codes are matched exactly; BuildKit's rules are written in CamelCase.
            let rules = stagecraft_analysis::rules::ALL.iter();
            if let Some(rule) = rules.filter(|r| r.name != code).find(|r| r.name.eq_ignore_ascii_case(code)) {
                warnings
                    .push(format!("stagecraft.severities: no finding has the code `{code}`: write `{}`", rule.name));
            }
        }
        warnings
    }

    pub(crate) fn options(&self) -> Options {
        let mut build_args: Vec<(String, String)> =
            self.build_args.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        build_args.sort();
        let severities = self.severities.iter().filter_map(|(code, s)| Some((code.clone(), severity(s)?))).collect();
        // Names buildx refuses are left out (`settings_warnings` says so).
        let mut named_contexts: Vec<String> =
            self.named_contexts.keys().filter(|k| reference::context_key(k).is_ok()).cloned().collect();
        named_contexts.sort();
        let context_values = named_contexts.iter().map(|k| (k.clone(), self.named_contexts[k].clone())).collect();
        // (One that does not parse is `linux/amd64` in the analysis; `settings_warnings` says so.)
        Options {
            build_args,
            targets: self.targets.clone(),
            severities,
            named_contexts,
            context_values,
            platform: self.platform.clone(),
            ..Options::default()
        }
    }
}

/// A severity as the settings write it (any case).
fn severity(level: &str) -> Option<Severity> {
    match level.to_lowercase().as_str() {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" | "information" => Some(Severity::Info),
        "hint" => Some(Severity::Hint),
        _ => None,
    }
}

/// Everything the server knows.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) documents: HashMap<Uri, Document>,
    pub(crate) settings: Settings,
    /// Warnings for the client's log, sent with the next diagnostics.
    pub(crate) warnings: Vec<String>,
    /// The documents and targets in play (`targets`) a warning said the document lacks, so
    /// that it is said once, not on every edit (cleared with new settings).
    pub(crate) warned_targets: std::collections::HashSet<(Uri, String)>,
    /// The ignore files the documents read.
    ignore_files: IgnoreFiles,
}

impl State {
    /// Takes the client's new settings; what is wrong with them goes to the client's log.
    /// Whether they are taken: another tool's (see [`Settings::foreign`]) leave these as they
    /// were.
    pub(crate) fn set_settings(&mut self, settings: Settings) -> bool {
        if settings.foreign {
            self.warnings.push(format!(
                "settings with no `stagecraft` section and none of its keys ({}): not this server's, left as they were",
                KNOWN.join(", ")
            ));
            return false;
        }
        self.warnings.extend(settings.settings_warnings());
        self.settings = settings;
        self.warned_targets.clear();
        true
    }

    /// A target in play (`targets`) that `uri` has no stage for is left out of its unused-stage
    /// hints, as the editors' graphs leave it out: the client's log says so, once a document.
    /// (Settings serve every Dockerfile of the workspace, so a target one lacks is no error.)
    pub(crate) fn warn_unknown_targets(&mut self, uri: &Uri, a: &stagecraft_analysis::Analysis) {
        for target in &self.settings.targets {
            // (Said once: not looked up again, nor its message made, on every edit.)
            let key = (uri.clone(), target.clone());
            if self.warned_targets.contains(&key) {
                continue;
            }
            let Err(e) = a.resolve_stage(target) else { continue };
            self.warnings.push(format!(
                "stagecraft.targets in {}: {e}; its unused-stage hints leave `{target}` out",
                uri.as_str()
            ));
            self.warned_targets.insert(key);
        }
    }

    /// The open documents whose ignore file is no longer the one their analysis read (edited,
    /// created or deleted on disk), with their analyses dropped.
    pub(crate) fn stale_ignore_files(&mut self) -> Vec<Uri> {
        let context = self.settings.build_context.as_deref();
        let mut stale = Vec::new();
        for (uri, doc) in &mut self.documents {
            if doc.analysis.is_some() && doc.ignore.read != IgnoreCache::key_now(uri, context) {
                doc.invalidate();
                stale.push(uri.clone());
            }
        }
        stale
    }

    /// The analysis of the current version of `uri`, computing it if needed.
    pub(crate) fn analysis(&mut self, uri: &Uri) -> Option<Arc<Analysis>> {
        let doc = self.documents.get_mut(uri)?;
        if doc.analysis.is_none() {
            let parse = doc.parse.take().unwrap_or_else(|| stagecraft_syntax::parse(&doc.text));
            let context = self.settings.build_context.as_deref();
            let options = doc.ignore.with_rules(
                uri,
                context,
                &mut self.ignore_files,
                &mut self.warnings,
                self.settings.options(),
            );
            doc.analysis = Some(Arc::new(analyze_parsed(&doc.text, parse, &options)));
            doc.options = options;
        }
        doc.analysis.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Documents of one folder share its ignore file's rules, read once; a change on disk is
    /// read once more, and a file no document reads any more is let go.
    #[test]
    fn documents_share_an_ignore_file() {
        let dir = std::env::temp_dir().join(format!("stagecraft-ignore-share-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ignore = dir.join(".dockerignore");
        std::fs::write(&ignore, "*.tmp\n").unwrap();
        let uri = |name: &str| Uri::from_file_path(dir.join(name)).unwrap();
        let mut state = State::default();
        for name in ["a.Dockerfile", "b.Dockerfile"] {
            state.documents.insert(uri(name), Document::new(1, "FROM alpine\nCOPY x.tmp /\n".into()));
        }
        let rules = |state: &mut State, name: &str| {
            let a = state.analysis(&uri(name)).unwrap();
            assert!(a.diagnostics().iter().any(|d| d.code == "CopyIgnoredFile"), "{name}");
            state.documents[&uri(name)].options.ignore.clone().unwrap().0
        };
        let (a, b) = (rules(&mut state, "a.Dockerfile"), rules(&mut state, "b.Dockerfile"));
        assert!(Arc::ptr_eq(&a, &b), "one reading for both");
        // A longer file (the size is part of what says it changed).
        std::fs::write(&ignore, "*.tmp\n*.log\n").unwrap();
        for doc in state.documents.values_mut() {
            doc.invalidate();
        }
        let (a2, b2) = (rules(&mut state, "a.Dockerfile"), rules(&mut state, "b.Dockerfile"));
        assert!(Arc::ptr_eq(&a2, &b2) && !Arc::ptr_eq(&a, &a2), "read again, once");
        drop((a, b, a2, b2));
        // A document of another folder: the first folder's file stays while its documents are
        // open, and goes once they are closed and another file is read.
        let other = dir.join("sub");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join(".dockerignore"), "x.tmp\n").unwrap();
        state.documents.insert(uri("sub/c.Dockerfile"), Document::new(1, "FROM alpine\nCOPY x.tmp /\n".into()));
        rules(&mut state, "sub/c.Dockerfile");
        assert_eq!(state.ignore_files.0.len(), 2);
        state.documents.remove(&uri("a.Dockerfile"));
        state.documents.remove(&uri("b.Dockerfile"));
        std::fs::write(other.join(".dockerignore"), "x.tmp\n*.log\n").unwrap();
        state.documents.get_mut(&uri("sub/c.Dockerfile")).unwrap().invalidate();
        rules(&mut state, "sub/c.Dockerfile");
        let kept: Vec<&PathBuf> = state.ignore_files.0.keys().collect();
        assert_eq!(kept, [&other.join(".dockerignore")], "the first folder's file is let go");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A key the server does not read is said, with the one probably meant; settings that are
    /// no object are said; another tool's settings (no `stagecraft` section, none of its keys)
    /// leave these as they were (found by a protocol QA: they reset the targets in play).
    #[test]
    fn unknown_and_foreign_settings_are_said() {
        let warnings = |v: serde_json::Value| Settings::from_json(&v).settings_warnings();
        assert_eq!(
            warnings(
                serde_json::json!({"stagecraft": {"target": ["docs"], "serverPath": "x", "trace": {"server": "off"}}})
            ),
            ["stagecraft.target is no setting of this server (did you mean `targets`?): left out"]
        );
        assert_eq!(warnings(serde_json::json!(5)), ["the settings are a number, not an object: left out"]);
        assert_eq!(warnings(serde_json::json!("x")), ["the settings are a string, not an object: left out"]);
        let mut state = State::default();
        state.set_settings(Settings::from_json(&serde_json::json!({"targets": ["docs"]})));
        state.set_settings(Settings::from_json(&serde_json::json!({"otherTool": {"x": 1}})));
        assert_eq!(state.settings.targets, ["docs"], "another tool's settings change nothing");
        assert!(state.warnings.last().is_some_and(|w| w.contains("not this server's")), "{:?}", state.warnings);
        state.set_settings(Settings::from_json(&serde_json::json!({"stagecraft": {}})));
        assert!(state.settings.targets.is_empty(), "an empty section is nothing set");
    }

    /// What is left out for its type is said in the client's log, each value once.
    #[test]
    fn settings_of_the_wrong_type_are_said() {
        let warnings = |v: serde_json::Value| Settings::from_json(&v).settings_warnings();
        assert_eq!(
            warnings(serde_json::json!({"targets": 5, "buildArgs": "x", "platform": ["linux/arm64"]})),
            [
                "stagecraft.targets is a number, not a list of stage names: left out",
                "stagecraft.platform is a list, not a string: left out",
                "stagecraft.buildArgs is a string, not an object of names to values: left out",
            ]
        );
        assert_eq!(
            warnings(serde_json::json!({"targets": ["a", {"x": 1}], "buildArgs": {"A": "1", "B": ["b"]}})),
            [
                "stagecraft.targets[1] is an object, not a string: left out",
                "stagecraft.buildArgs.B is a list, not a string: left out",
            ]
        );
        assert_eq!(
            warnings(serde_json::json!({"stagecraft": 5})),
            ["stagecraft: a number where the settings object belongs: left out"]
        );
        assert!(warnings(serde_json::json!({"stagecraft": []})).is_empty());
        assert!(warnings(serde_json::json!({"stagecraft": null})).is_empty());
        assert_eq!(
            warnings(serde_json::json!({"buildContext": {}})),
            ["stagecraft.buildContext is an object, not a string: left out"]
        );
        // Empty tables (Lua's `[]`), nulls and absent fields are no mistake.
        assert!(warnings(serde_json::json!({"buildArgs": [], "severities": null, "targets": null})).is_empty());
        assert!(warnings(
            serde_json::json!({"stagecraft": {"targets": "test", "buildArgs": {"GO": "1.20", "D": true, "PORT": 8080}}})
        )
        .is_empty());
        // A number is kept as its JSON text, and said (`1.20` arrives as 1.2).
        assert_eq!(
            warnings(serde_json::json!({"buildArgs": {"GO": 1.2}})),
            ["stagecraft.buildArgs.GO is a number, read as \"1.2\": quote it to keep it as written (`1.20` arrives as 1.2)"]
        );
    }

    #[test]
    fn settings_fields_are_read_one_by_one() {
        let s = Settings::from_json(&serde_json::json!({
            "stagecraft": {"targets": ["a"], "buildArgs": [], "severities": {"unused-stage": "hint"}}
        }));
        assert_eq!(s.targets, ["a"]);
        assert!(s.build_args.is_empty());
        assert_eq!(s.severities.get("unused-stage").map(String::as_str), Some("hint"));
        // A malformed field or entry is skipped; the others stay.
        let s = Settings::from_json(&serde_json::json!({"targets": 5, "buildArgs": {"V": "1"}, "severities": []}));
        assert!(s.targets.is_empty() && s.severities.is_empty());
        assert_eq!(s.build_args.get("V").map(String::as_str), Some("1"));
        let s = Settings::from_json(&serde_json::json!({
            "targets": ["a", 3, null, "#2"],
            "buildArgs": {"GO": 1.23, "DEBUG": true, "X": {"no": 1}},
            "severities": {"unused-stage": "error", "x": 3, "y": null}
        }));
        assert_eq!(s.targets, ["a", "3", "#2"]);
        assert_eq!(
            (s.build_args.get("GO").map(String::as_str), s.build_args.get("DEBUG").map(String::as_str)),
            (Some("1.23"), Some("true"))
        );
        assert!(!s.build_args.contains_key("X"));
        assert_eq!(s.severities.get("unused-stage").map(String::as_str), Some("error"));
        assert_eq!(Settings::from_json(&serde_json::json!({"targets": "test"})).targets, ["test"]);
        assert_eq!(
            Settings::from_json(&serde_json::json!({"buildContext": ".."})).build_context.as_deref(),
            Some("..")
        );
        assert_eq!(Settings::from_json(&serde_json::json!({"buildContext": ""})).build_context, None);
        assert_eq!(Settings::from_json(&serde_json::json!({"buildContext": ["x"]})).build_context, None);
        // Named contexts: a map of names to values, or names alone.
        let s = Settings::from_json(
            &serde_json::json!({"namedContexts": {"alpine": "docker-image://alpine:3.20", "x": 1}}),
        );
        assert_eq!(s.options().named_contexts, ["alpine", "x"]);
        assert_eq!(s.named_contexts.get("alpine").map(String::as_str), Some("docker-image://alpine:3.20"));
        let s = Settings::from_json(&serde_json::json!({"namedContexts": ["deps", 5, null]}));
        assert_eq!(s.options().named_contexts, ["5", "deps"]);
        assert_eq!(
            Settings::from_json(&serde_json::json!({"namedContexts": "deps"})).options().named_contexts,
            ["deps"]
        );
        // A name buildx refuses is left out, and said.
        let s = Settings::from_json(&serde_json::json!({"namedContexts": {"Build": "x", "ok": "y"}}));
        assert_eq!(s.options().named_contexts, ["ok"]);
        assert_eq!(s.settings_warnings().len(), 1);
        assert!(s.settings_warnings()[0].contains("invalid context name Build"), "{:?}", s.settings_warnings());
        // The target platform: given to the analysis; one that does not parse is said.
        let s = Settings::from_json(&serde_json::json!({"platform": "linux/arm64"}));
        assert_eq!(s.options().platform.as_deref(), Some("linux/arm64"));
        assert!(s.settings_warnings().is_empty());
        // `local` is the machine the server runs on, as buildx reads it.
        let s = Settings::from_json(&serde_json::json!({"platform": "local"}));
        assert!(s.settings_warnings().is_empty(), "{:?}", s.settings_warnings());
        let s = Settings::from_json(&serde_json::json!({"platform": "lin"}));
        assert!(s.settings_warnings()[0].starts_with("stagecraft.platform: "), "{:?}", s.settings_warnings());
        assert_eq!(Settings::from_json(&serde_json::json!({"platform": " "})).platform, None);
        assert_eq!(
            Settings::from_json(&serde_json::json!({"platform": " linux/arm64 "})).platform.as_deref(),
            Some("linux/arm64")
        );
        let s = Settings::from_json(&serde_json::json!({"platform": "linux/amd64,linux/arm64"}));
        assert!(s.settings_warnings()[0].contains("one platform at a time"), "{:?}", s.settings_warnings());
    }
}
