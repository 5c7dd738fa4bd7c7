//! Applying many fixes at once ("fix all", `check --fix`): the fixes of a file's diagnostics
//! that do not overlap, applied together, then again on the result until none is left.

use stagecraft_syntax::sort;
use std::collections::BTreeMap;

use stagecraft_syntax::{TextRange, TextSize};

use crate::model::{Applicability, Fix, TextEdit};
use crate::{analyze, Analysis, Options};

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixSet {
    /// Those that leave the build as it was ([`Applicability::Safe`]).
    Safe,
    /// Those too that change it ([`Applicability::Unsafe`]); never the [`Applicability::Manual`]
    /// ones.
    Unsafe,
}

impl FixSet {
    fn allows(self, fix: &Fix) -> bool {
        match fix.applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self == FixSet::Unsafe,
            Applicability::Manual => false,
        }
    }
}

/// What fixing a file did.
#[derive(Debug, Clone)]
pub struct Fixed {
    /// The text with the fixes applied.
    pub text: String,
    /// How many fixes were applied, over all passes.
    pub applied: usize,
    /// The analysis of the fixed text.
    pub analysis: Analysis,
    /// After the last pass allowed, fixes were still left to apply: the text may not be fully
    /// fixed.
    pub unsettled: bool,
}

/// At most this many passes: a fix can make another possible (a stage removed leaves the one it
/// used unused, for one), but a text that changes pass after pass must still end.
pub const MAX_PASSES: usize = 10;

impl Analysis {
    /// The edits of one "fix all" pass: the allowed fixes in the order of their diagnostics,
    /// each taken whole or not at all, skipping a fix whose edits overlap one already taken or
    /// start where one does (two insertions there would have no order). Returns the edits,
    /// disjoint but in no particular order (sort them for [`TextEdit::apply_all`]), and how many
    /// fixes they are.
    pub fn fix_all_edits(&self, set: FixSet) -> (Vec<TextEdit>, usize) {
        // The ranges taken, by start: a conflict is with the nearest one on either side.
        let mut taken: BTreeMap<TextSize, TextSize> = BTreeMap::new();
        let free = |taken: &BTreeMap<TextSize, TextSize>, r: TextRange| {
            let before = taken.range(..=r.start()).next_back();
            let after = taken.range(r.start()..).find(|(&s, _)| s > r.start());
            before.is_none_or(|(&s, &e)| s != r.start() && e <= r.start()) && after.is_none_or(|(&s, _)| s >= r.end())
        };
        let mut edits = Vec::new();
        let mut count = 0;
        for fix in self.diagnostics().iter().filter_map(|d| d.fix.as_ref()).filter(|f| set.allows(f)) {
            if !fix.edits.iter().all(|e| free(&taken, e.range)) {
                continue;
            }
            taken.extend(fix.edits.iter().map(|e| (e.range.start(), e.range.end())));
            edits.extend(fix.edits.iter().cloned());
            count += 1;
        }
        (edits, count)
    }

    /// How many diagnostics have a fix that `set` allows.
    pub fn fixable(&self, set: FixSet) -> usize {
        self.diagnostics().iter().filter_map(|d| d.fix.as_ref()).filter(|f| set.allows(f)).count()
    }
}

/// Fixes `text` in passes of [`Analysis::fix_all_edits`] until a pass finds nothing to apply, or
/// [`MAX_PASSES`] passes have run.
pub fn fix_text(text: &str, options: &Options, set: FixSet) -> Fixed {
    let mut text = text.to_string();
    let mut analysis = analyze(&text, options);
    let mut applied = 0;
    for _ in 0..MAX_PASSES {
        let (mut edits, count) = analysis.fix_all_edits(set);
        if count == 0 {
            return Fixed { text, applied, analysis, unsettled: false };
        }
        // Disjoint, and no two start at the same place: the start orders them.
        sort::sort_by_key(&mut edits, |e| e.range.start());
        text = TextEdit::apply_all(&text, &edits);
        applied += count;
        analysis = analyze(&text, options);
    }
    let unsettled = analysis.fix_all_edits(set).1 > 0;
    Fixed { text, applied, analysis, unsettled }
}
