//! Rewrites an editor offers at a place, that leave the build as it is (an editor's "refactor"
//! code actions): a stage referred to by its index (`COPY --from=0`) named instead.
//! - On an index reference to a stage that has a name: use the name there.
//! - On the `FROM` of a stage without a name, or on an index reference to one: give it a name
//!   (`AS golang`, from its base image) and use that name in every index reference to it.
//!
//! Only references written in the stage they belong to are rewritten: an index in an `ONBUILD`
//! trigger is read in the builds that run it, where the name may be another stage's. A name is
//! one no reference uses as an image, no named build context has, and no later base written with
//! variables may expand to (`FROM tools-${V}`): what a rename checks. As there, `FROM ${BASE}`
//! alone is read as an image, and so is what a base image's own `ONBUILD` triggers name, which no
//! file shows.
//! A stage with a comment right above its `FROM` is not named while the experimental
//! `InvalidDefinitionDescription` rule is on: the comment would become a description that does
//! not start with the name, a warning, and with `# check=error=true` a failed build.

use stagecraft_syntax::ast::AstNode;
use stagecraft_syntax::TextRange;

use crate::{Analysis, RefOrigin, RefTarget, StageRef, TextEdit};

/// One rewrite: what it does, for a menu, and its edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assist {
    /// `Name stage 0 `golang``.
    pub title: String,
    /// The edits, in text order.
    pub edits: Vec<TextEdit>,
}

/// How many names of each shape an assist tries for a stage before it gives up (`golang`,
/// `golang-2`, ...).
const TRIES: usize = 20;

impl Analysis {
    /// The rewrites offered at a cursor or for a selection (`range`): the first stage index or
    /// unnamed stage's FROM it touches.
    pub fn assists(&self, range: TextRange) -> Vec<Assist> {
        let mut out = Vec::new();
        // (A cursor in or at the ends of the reference or the FROM, or a selection over part of
        // it: one that ends where it starts touches it not.)
        let at = |r: TextRange| match range.is_empty() {
            true => r.start() <= range.start() && range.start() <= r.end(),
            false => r.start() < range.end() && range.start() < r.end(),
        };
        let index_ref = self.references().iter().find(|r| self.is_index_ref(r) && at(r.range));
        if let Some(r) = index_ref {
            if let RefTarget::Stage(t) = r.target {
                match self.stages()[t].name.as_deref() {
                    Some(name) if self.find_target(name) == Some(t) && !r.forward => out.push(Assist {
                        title: format!("Use the name `{name}` of stage {t}"),
                        edits: vec![TextEdit { range: r.range, new_text: name.to_string() }],
                    }),
                    Some(_) => {}
                    None => out.extend(self.name_stage(t)),
                }
            }
        } else if let Some(s) = self.stages().iter().find(|s| s.name_range.is_none() && at(s.from_range)) {
            out.extend(self.name_stage(s.index));
        }
        out
    }

    /// Names stage `t`, which has none, and uses the name in its index references; `None` when
    /// its `FROM` is not one a name can follow, or no name tried is free.
    fn name_stage(&self, t: usize) -> Option<Assist> {
        let s = &self.stages()[t];
        let base = s.base_range?;
        // Nothing after the base but blanks and line continuations: `AS name` goes after it.
        let escape = self.parse().tree().escape_char();
        let rest = &self.text()[TextRange::new(base.end(), s.from_range.end())];
        if s.name.is_some() || !rest.chars().all(|c| c.is_whitespace() || c == escape) {
            return None;
        }
        let described = || {
            let from = self.parse().syntax_node().covering_element(s.from_range);
            let from = from.ancestors().find_map(stagecraft_syntax::ast::Instruction::cast);
            from.is_some_and(|i| !i.prev_comment_bodies().is_empty())
        };
        if self.check_config().enabled(&crate::rules::INVALID_DEFINITION_DESCRIPTION) && described() {
            return None;
        }
        // A build without `--target` sets `TARGETSTAGE` to the last stage's name (`default`
        // without one): naming that stage changes what a file that reads it builds.
        if Some(t) == self.default_target() && self.text().contains("TARGETSTAGE") {
            return None;
        }
        let stem = name_stem(s.base_expanded.as_deref().unwrap_or(&s.base));
        let patterns = crate::checks::variable_base_patterns(self, t + 1);
        // (`tools-2` and on may all fit a later `FROM tools-${V}`: then names of another shape.)
        let name = std::iter::once(stem.clone())
            .chain((2..=TRIES).map(|n| format!("{stem}-{n}")))
            .chain(["build", "builder", "base"].map(String::from))
            .chain((0..TRIES).map(|n| format!("stage{}", t + n)))
            .find(|n| self.validate_new_name_with(t, n, Some(&patterns)).is_ok())?;
        let keyword = if s.from_keyword.chars().any(|c| c.is_ascii_lowercase()) { "as" } else { "AS" };
        let mut edits = vec![TextEdit { range: TextRange::empty(base.end()), new_text: format!(" {keyword} {name}") }];
        let refs: Vec<&StageRef> =
            self.references().iter().filter(|r| self.is_index_ref(r) && r.target == RefTarget::Stage(t)).collect();
        edits.extend(refs.iter().map(|r| TextEdit { range: r.range, new_text: name.clone() }));
        stagecraft_syntax::sort::sort_by_key(&mut edits, |e| e.range.start());
        // (An index in an ONBUILD trigger is left as it is: not counted.)
        let uses = match refs.len() {
            0 => String::new(),
            1 => ", and use the name where this file's stages refer to it by index".into(),
            n => format!(", and use the name in the {n} places this file's stages refer to it by index"),
        };
        Some(Assist { title: format!("Name stage {t} `{name}`{uses}"), edits })
    }
}

impl Analysis {
    /// A `--from=N` (BuildKit reads `+0` as 0 too) written in the stage it belongs to, whose
    /// range holds just the value (not `--"from=0"`, whose range takes in the closing quote).
    pub(crate) fn is_index_ref(&self, r: &StageRef) -> bool {
        r.origin == RefOrigin::Direct
            && crate::model::is_index(&r.value)
            && self.text().get(std::ops::Range::<usize>::from(r.range)) == Some(r.value.as_str())
    }
}

/// A stage name from a base image: its last path part without tag or digest, lower-cased, with
/// what a name cannot hold made `-` (`ghcr.io/org/Go_App:1.2` gives `go_app`); `stage` when
/// nothing of it can start one (`scratch` is reserved, so it gives `scratch-2` and on).
fn name_stem(base: &str) -> String {
    let image = base.split('@').next().unwrap_or_default();
    let last = image.rsplit('/').next().unwrap_or_default();
    let repo = last.split(':').next().unwrap_or_default().to_lowercase();
    let stem: String = repo
        .chars()
        .map(|c| if c.is_ascii() && crate::instructions::stage_name_byte(c as u8) { c } else { '-' })
        .collect();
    let stem = stem.trim_start_matches(|c: char| !c.is_ascii_lowercase());
    if stem.is_empty() {
        "stage".into()
    } else {
        stem.to_string()
    }
}
