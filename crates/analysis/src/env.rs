//! Variables in scope during expansion: the built-in platform ARGs, global ARGs, and a stage's
//! environment.

use stagecraft_syntax::hash::Map;

use stagecraft_syntax::shell::Env;

use crate::platform::Platform;

/// Ordered `KEY=value` pairs: a stage's or the global scope's variables ([`Vars`]), and, for a
/// probe, where each was set. The order is what BuildKit's "did you mean" suggestions go by (the
/// first of equally close names wins).
///
/// A stage's environment is a handful of variables, which a scan finds fastest; from 32 of
/// them, an index by key keeps setting and reading them constant-time, so that thousands of
/// `ENV` or `ARG` lines cost no more each than a few (BuildKit's `EnvList` scans, and is
/// quadratic there).
#[derive(Debug, Clone)]
pub struct Scope<V> {
    /// In order of assignment. With an index, `None` where a key was set again since (and moved
    /// to the end); without one, a key set again is moved, and no slot is empty.
    entries: Vec<Option<(String, V)>>,
    /// The slot of each key in `entries`, when there are [`INDEXED_FROM`] slots or more. Boxed:
    /// most scopes never have one, and each stage's state holds three scopes (a pointer instead
    /// of a map's 48 bytes: 60 KB less for the states of a 500-stage file).
    #[allow(clippy::box_collection)]
    index: Option<Box<Map<String, usize>>>,
    /// How many slots are `None`.
    dead: usize,
}

/// A scope's variables and their values.
pub type Vars = Scope<String>;

/// How many slots make a [`Scope`] keep an index.
const INDEXED_FROM: usize = 32;

impl<V> Default for Scope<V> {
    fn default() -> Self {
        Scope { entries: Vec::new(), index: None, dead: 0 }
    }
}

impl<V> Scope<V> {
    /// Where `key` is.
    fn slot(&self, key: &str) -> Option<usize> {
        if let Some(index) = &self.index {
            return index.get(key).copied();
        }
        self.entries.iter().position(|e| e.as_ref().is_some_and(|(k, _)| k == key))
    }

    fn push(&mut self, key: String, value: V) {
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.entries.len());
        }
        self.entries.push(Some((key, value)));
        if self.entries.len() == INDEXED_FROM {
            self.reindex();
        }
    }

    /// Drops the empty slots once they are as many as the others, and indexes what is left.
    fn compact(&mut self) {
        if self.dead * 2 < self.entries.len() {
            return;
        }
        self.entries.retain(Option::is_some);
        self.dead = 0;
        self.reindex();
    }

    /// An index when there are [`INDEXED_FROM`] slots or more, none below.
    fn reindex(&mut self) {
        self.index = (self.entries.len() >= INDEXED_FROM).then(|| {
            let live = self.entries.iter().enumerate().filter_map(|(i, e)| Some((e.as_ref()?.0.clone(), i)));
            Box::new(live.collect())
        });
    }

    /// Sets `key` as BuildKit's `EnvList.AddOrReplace` does: a key set again moves to the end
    /// (its keys are in the order of their last assignment).
    pub fn assign(&mut self, key: &str, value: V) {
        let Some(i) = self.slot(key) else { return self.push(key.to_string(), value) };
        if self.indexed() {
            // Its slot left empty, and the list compacted once half of it is.
            if let Some((k, _)) = self.entries[i].take() {
                self.dead += 1;
                self.push(k, value);
                self.compact();
            }
        } else if let Some((k, _)) = self.entries.remove(i) {
            // Below 32: moved, with nothing left empty (scopes of this size are copied with
            // every stage).
            self.entries.push(Some((k, value)));
        }
    }

    /// Whether there is an index (and so may be empty slots).
    fn indexed(&self) -> bool {
        self.index.is_some()
    }

    /// Sets `key`, keeping its position if it exists, as an image config's `Env` is updated
    /// (`addEnv`) and as BuildKit's default ARGs take a `--build-arg` (`defaultArgs`).
    pub fn assign_in_place(&mut self, key: &str, value: V) {
        match self.slot(key).and_then(|i| self.entries[i].as_mut()) {
            Some(e) => e.1 = value,
            None => self.push(key.to_string(), value),
        }
    }

    /// The value of `key`.
    pub fn value(&self, key: &str) -> Option<&V> {
        let (_, v) = self.entries[self.slot(key)?].as_ref()?;
        Some(v)
    }

    /// How many variables there are.
    pub fn len(&self) -> usize {
        self.entries.len() - self.dead
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries().map(|(k, _)| k)
    }

    /// Keys and values in order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().flatten().map(|(k, v)| (k.as_str(), v))
    }
}

impl Vars {
    /// [`Scope::assign`] of a string.
    pub fn set(&mut self, key: &str, value: &str) {
        self.assign(key, value.to_string());
    }

    /// [`Scope::assign_in_place`] of a string.
    pub fn set_in_place(&mut self, key: &str, value: &str) {
        self.assign_in_place(key, value.to_string());
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.value(key).map(String::as_str)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries().map(|(k, v)| (k, v.as_str()))
    }
}

/// The same variables in the same order (however they are stored).
impl<V: PartialEq> PartialEq for Scope<V> {
    fn eq(&self, other: &Self) -> bool {
        self.entries().eq(other.entries())
    }
}

impl<V: Eq> Eq for Scope<V> {}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a plain list (BuildKit's `EnvList`), through and past the index's threshold and
    /// its compactions: the same values and the same order after every step.
    #[test]
    fn vars_as_a_list() {
        let mut rng = stagecraft_testkit::Rng(0x2545_f491_4f6c_dd1d);
        let mut pick = |n: usize| rng.below(n);
        // (Up to 31 keys the scope stays a list, whose keys move; from 32 it has an index and
        // empty slots, compacted as they grow.)
        for keys in [3, 20, 31, 32, 33, 40, 200] {
            let (mut vars, mut list) = (Vars::default(), Vec::<(String, String)>::new());
            for step in 0..3000 {
                let key = format!("K{}", pick(keys));
                let value = step.to_string();
                if pick(3) == 0 {
                    vars.set_in_place(&key, &value);
                    match list.iter_mut().find(|(k, _)| *k == key) {
                        Some(e) => e.1 = value,
                        None => list.push((key.clone(), value)),
                    }
                } else {
                    vars.set(&key, &value);
                    list.retain(|(k, _)| *k != key);
                    list.push((key.clone(), value));
                }
                let probe = format!("K{}", pick(keys + 5));
                let expected = list.iter().find(|(k, _)| *k == probe).map(|(_, v)| v.as_str());
                assert_eq!(vars.get(&probe), expected, "{probe} after step {step} of {keys} keys");
                assert!(vars.entries.len() <= 2 * list.len().max(32), "compacted");
            }
            let order: Vec<(&str, &str)> = list.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(vars.iter().collect::<Vec<_>>(), order, "{keys} keys");
            let mut again = Vars::default();
            for (k, v) in &order {
                again.set(k, v);
            }
            assert_eq!(again, vars);
        }
    }
}
