//! Applying many fixes at once ("fix all", `check --fix`): the fixes of a file's diagnostics
//! that do not overlap, applied together, then again on the result until none is left.

use stagecraft_syntax::TextRange;

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
    /// Fixes still applied in the last pass allowed: the text may not be fully fixed.
    pub unsettled: bool,
}

/// At most this many passes: a fix can make another possible (a stage removed leaves the one it
/// used unused, for one), but a text that changes pass after pass must still end.
pub const MAX_PASSES: usize = 10;

impl Analysis {
    /// The edits of one "fix all" pass: the allowed fixes in the order of their diagnostics,
    /// each taken whole or not at all, skipping a fix whose edits overlap one already taken (or
    /// insert where one already does). Returns the edits, sorted, and how many fixes they are.
    pub fn fix_all_edits(&self, set: FixSet) -> (Vec<TextEdit>, usize) {
        let mut taken: Vec<TextEdit> = Vec::new();
        let mut count = 0;
        for fix in self.diagnostics().iter().filter_map(|d| d.fix.as_ref()).filter(|f| set.allows(f)) {
            if fix.edits.iter().any(|e| taken.iter().any(|t| conflict(e.range, t.range))) {
                continue;
            }
            taken.extend(fix.edits.iter().cloned());
            count += 1;
        }
        taken.sort_by_key(|e| (e.range.start(), e.range.end()));
        (taken, count)
    }

    /// How many diagnostics have a fix that `set` allows.
    pub fn fixable(&self, set: FixSet) -> usize {
        self.diagnostics().iter().filter_map(|d| d.fix.as_ref()).filter(|f| set.allows(f)).count()
    }
}

/// Whether two edits cannot both be applied: their ranges overlap, or they start at the same
/// place (two insertions there would have no order).
fn conflict(a: TextRange, b: TextRange) -> bool {
    a.start() == b.start() || (a.start() < b.end() && b.start() < a.end())
}

/// Fixes `text` in passes of [`Analysis::fix_all_edits`] until a pass finds nothing to apply, or
/// [`MAX_PASSES`] passes have run.
pub fn fix_text(text: &str, options: &Options, set: FixSet) -> Fixed {
    let mut text = text.to_string();
    let mut analysis = analyze(&text, options);
    let mut applied = 0;
    for _ in 0..MAX_PASSES {
        let (edits, count) = analysis.fix_all_edits(set);
        if count == 0 {
            return Fixed { text, applied, analysis, unsettled: false };
        }
        text = TextEdit::apply_all(&text, &edits);
        applied += count;
        analysis = analyze(&text, options);
    }
    let unsettled = analysis.fix_all_edits(set).1 > 0;
    Fixed { text, applied, analysis, unsettled }
}
