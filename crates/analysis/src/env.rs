//! Variables in scope during expansion: the built-in platform ARGs, global ARGs, and a stage's
//! environment.

use stagecraft_syntax::hash::Map;

use stagecraft_syntax::shell::{Env, Lexer};
#[cfg(feature = "large-files")]
use stagecraft_syntax::shell::{Expansion, ShellError};

use crate::platform::Platform;

/// Ordered `KEY=value` pairs: a stage's or the global scope's variables ([`Vars`]), and, for a
/// probe, where each was set. The order is what BuildKit's "did you mean" suggestions go by (the
/// first of equally close names wins).
///
/// A stage's environment is a handful of variables, which a scan finds fastest; from 32 of
/// them, an index by key keeps setting and reading them constant-time, so that thousands of
/// `ENV` or `ARG` lines cost no more each than a few (BuildKit's `EnvList` scans, and is
/// quadratic there).
///
/// Keys (and a [`Vars`]' values) are shared strings: a stage built on another starts with a
/// copy of its base's scopes, and 5,000 stages on one with 5,000 variables copied 25 million
/// strings (7.4 GB for a 157 KB file); now they copy pointers.
#[derive(Debug, Clone)]
pub struct Scope<V> {
    /// In order of assignment. With an index, `None` where a key was set again since (and moved
    /// to the end); without one, a key set again is moved, and no slot is empty.
    entries: Vec<Option<(Text, V)>>,
    /// The slot of each key in `entries`, when there are [`INDEXED_FROM`] slots or more. Boxed:
    /// most scopes never have one, and each stage's state holds three scopes (a pointer instead
    /// of a map's 48 bytes: 60 KB less for the states of a 500-stage file).
    #[allow(clippy::box_collection)]
    index: Option<Box<Map<Text, usize>>>,
    /// How many slots are `None`.
    dead: usize,
}

/// A scope's variables and their values.
pub type Vars = Scope<Text>;

/// A variable's name or value as a scope keeps it: a shared string, so that a stage's copy of
/// its base's scopes copies pointers. (The browser build, made without `large-files`, keeps
/// plain strings: 1.1 KB less of its module, gzipped, and the files it is given are small.)
#[cfg(feature = "large-files")]
pub type Text = std::rc::Rc<str>;
/// A variable's name or value as a scope keeps it (see the `large-files` build's).
#[cfg(not(feature = "large-files"))]
pub type Text = String;

/// Whether two names or values are the same text (the same string, for shared ones, decides
/// without reading them).
fn same(a: &Text, b: &Text) -> bool {
    #[cfg(feature = "large-files")]
    if std::rc::Rc::ptr_eq(a, b) {
        return true;
    }
    a == b
}

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
        self.entries.iter().position(|e| e.as_ref().is_some_and(|(k, _)| &**k == key))
    }

    fn push(&mut self, key: Text, value: V) {
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
        let Some(i) = self.slot(key) else { return self.push(Text::from(key), value) };
        self.reassign(i, value);
    }

    /// [`Scope::assign`] with a key already shared.
    pub fn assign_shared(&mut self, key: &Text, value: V) {
        let Some(i) = self.slot(key) else { return self.push(key.clone(), value) };
        self.reassign(i, value);
    }

    /// The new value of the key in slot `i`, which moves to the end.
    fn reassign(&mut self, i: usize, value: V) {
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
            None => self.push(Text::from(key), value),
        }
    }

    /// [`Scope::assign_in_place`] with a key already shared.
    pub fn assign_in_place_shared(&mut self, key: &Text, value: V) {
        match self.slot(key).and_then(|i| self.entries[i].as_mut()) {
            Some(e) => e.1 = value,
            None => self.push(key.clone(), value),
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
        self.entries.iter().flatten().map(|(k, v)| (&**k, v))
    }
}

impl Vars {
    /// [`Scope::assign`] of a string.
    pub fn set(&mut self, key: &str, value: &str) {
        self.assign(key, Text::from(value));
    }

    /// [`Scope::assign_in_place`] of a string.
    pub fn set_in_place(&mut self, key: &str, value: &str) {
        self.assign_in_place(key, Text::from(value));
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.value(key).map(|v| &**v)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries().map(|(k, v)| (k, &**v))
    }

    /// [`Vars::set`] of each of `other`'s variables in its order: they all end up last, in that
    /// order. Nothing changes when they are last already, as they are for a stage whose base
    /// set no `ARG` after its last `ENV`.
    pub fn set_all(&mut self, other: &Vars) {
        // (An ENV sets one string in both scopes, so that most are compared by address.)
        let equal = |(a, b): (&(Text, Text), &(Text, Text))| same(&a.0, &b.0) && same(&a.1, &b.1);
        let tail = self.entries.iter().rev().flatten().take(other.len());
        if cfg!(feature = "large-files")
            && self.len() >= other.len()
            && tail.zip(other.entries.iter().rev().flatten()).all(equal)
        {
            return;
        }
        for (k, v) in other.entries.iter().flatten() {
            self.assign_shared(k, v.clone());
        }
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

/// How much all of an analysis's expansions together may add to the words they expand: 64 MiB.
/// Each word may grow by 128 KiB ([`stagecraft_syntax::shell::MAX_EXPANSION`]), so a file of
/// 8,000 `ENV Bn=$A` lines with a 60 KB `A` asked for 480 MB (BuildKit would hold them all);
/// past this budget expansions fail, and the analysis of a file stays within memory an editor
/// can spare, whatever its words refer to.
pub const EXPANSION_BUDGET: usize = 64 << 20; // (Its message says 64 MiB.)

/// The file's lexer, and what is left of the [`EXPANSION_BUDGET`] of one analysis. (The
/// browser build has no budget, and the lexer itself.)
#[cfg(not(feature = "large-files"))]
pub type Expander = Lexer;

/// The file's lexer, and what is left of the [`EXPANSION_BUDGET`] of one analysis and of its
/// patterns' steps.
#[cfg(feature = "large-files")]
#[derive(Debug)]
pub struct Expander {
    lexer: Lexer,
    left: std::cell::Cell<usize>,
    /// What is left of the patterns' steps of the file
    /// ([`stagecraft_syntax::shell::MAX_FILE_MATCH_STEPS`]).
    steps: std::cell::Cell<usize>,
}

#[cfg(feature = "large-files")]
impl Expander {
    pub fn new(escape: char) -> Expander {
        Expander {
            lexer: Lexer::new(escape),
            left: std::cell::Cell::new(EXPANSION_BUDGET),
            steps: std::cell::Cell::new(stagecraft_syntax::shell::MAX_FILE_MATCH_STEPS),
        }
    }

    /// The escape character of the file.
    pub fn escape(&self) -> char {
        self.lexer.escape()
    }

    /// [`Lexer::process_word`], within the budget.
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<Expansion, ShellError> {
        let e = self.stepping(|steps| self.lexer.process_word_within(word, env, steps))?;
        // (Refused, the names it looked up and found unset are still linted.)
        self.charge(word, e.result.len())
            .map_err(|refused| ShellError { unmatched: e.unmatched.clone(), ..refused })?;
        Ok(e)
    }

    /// [`Lexer::process_words`], within the budget.
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ShellError> {
        let words = self.stepping(|steps| self.lexer.process_words_within(word, env, steps))?;
        self.charge(word, words.iter().map(String::len).sum())?;
        Ok(words)
    }

    /// Runs `expand` with what is left of the file's pattern steps, and keeps what it leaves.
    fn stepping<T>(&self, expand: impl FnOnce(&mut usize) -> T) -> T {
        let mut steps = self.steps.get();
        let out = expand(&mut steps);
        self.steps.set(steps);
        out
    }

    /// Takes what `word` grew by (to `len` bytes) from the budget, or fails when it is not there.
    fn charge(&self, word: &str, len: usize) -> Result<(), ShellError> {
        let grew = len.saturating_sub(word.len());
        match self.left.get().checked_sub(grew) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => Err(ShellError {
                message: "the expansions of this file together grow more than 64 MiB past their words: stagecraft stops expanding there (BuildKit would go on while memory lasts); look for a long value used many times".to_string(),
                input: word.to_string(),
                unmatched: Default::default(),
            }),
        }
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

    /// `set_all` is a `set` of each of the other scope's variables in turn, whether it finds
    /// them last already (the strings a base stage's `ENV` shared) or not.
    #[test]
    fn set_all_is_set_in_turn() {
        let mut rng = stagecraft_testkit::Rng(0x9e37_79b9_7f4a_7c15);
        for keys in [4, 31, 40] {
            for _ in 0..200 {
                let (mut env, mut image) = (Vars::default(), Vars::default());
                for step in 0..rng.below(90) {
                    let key: Text = Text::from(format!("K{}", rng.below(keys)));
                    let value: Text = Text::from(step.to_string());
                    match rng.below(3) {
                        // An ENV: one string in both scopes.
                        0 => {
                            env.assign_shared(&key, value.clone());
                            image.assign_in_place_shared(&key, value);
                        }
                        // An ARG: the environment only.
                        1 => env.set(&key, &value),
                        // The same text, another string.
                        _ => {
                            env.set(&key, &value);
                            image.set_in_place(&key, &value);
                        }
                    }
                }
                let mut expected = env.clone();
                for (k, v) in image.iter() {
                    expected.set(k, v);
                }
                env.set_all(&image);
                assert_eq!(env, expected);
                assert_eq!(env.iter().collect::<Vec<_>>(), expected.iter().collect::<Vec<_>>());
            }
        }
    }
}
