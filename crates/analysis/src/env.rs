//! Variables in scope during expansion: the built-in platform ARGs, global ARGs, and a stage's
//! environment.

use stagecraft_syntax::shell::Env;

use crate::platform::Platform;

/// Ordered `KEY=value` pairs. The order is what BuildKit's "did you mean" suggestions go by
/// (the first of equally close names wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    entries: Vec<(String, String)>,
}

impl Vars {
    /// Sets `key` as BuildKit's `EnvList.AddOrReplace` does: a key set again moves to the end
    /// (its keys are in the order of their last assignment).
    pub fn set(&mut self, key: &str, value: &str) {
        match self.entries.iter().position(|(k, _)| k == key) {
            Some(i) => {
                let mut e = self.entries.remove(i);
                e.1 = value.to_string();
                self.entries.push(e);
            }
            None => self.entries.push((key.to_string(), value.to_string())),
        }
    }

    /// Sets `key`, keeping its position if it exists, as an image config's `Env` is updated
    /// (`addEnv`) and as BuildKit's default ARGs take a `--build-arg` (`defaultArgs`).
    pub fn set_in_place(&mut self, key: &str, value: &str) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = value.to_string(),
            None => self.entries.push((key.to_string(), value.to_string())),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl Env for Vars {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

/// BuildKit's automatic platform ARGs for a build and target platform, in BuildKit's order.
/// `TARGETSTAGE` is the target's name (or `default`).
pub fn builtin_args(build: &Platform, target: &Platform, target_stage: &str) -> Vars {
    let mut v = Vars::default();
    v.set("BUILDPLATFORM", &build.format());
    v.set("BUILDOS", &build.os);
    v.set("BUILDOSVERSION", "");
    v.set("BUILDARCH", &build.architecture);
    v.set("BUILDVARIANT", &build.variant);
    v.set("TARGETPLATFORM", &target.format_all());
    v.set("TARGETOS", &target.os);
    v.set("TARGETOSVERSION", &target.os_version);
    v.set("TARGETARCH", &target.architecture);
    v.set("TARGETVARIANT", &target.variant);
    v.set("TARGETSTAGE", target_stage);
    v
}

/// The environment of an image stagecraft cannot see: only `PATH`, as BuildKit sets for scratch.
/// A Windows stage gets none: BuildKit leaves a Windows `PATH` to the OS (moby/buildkit#5445).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
