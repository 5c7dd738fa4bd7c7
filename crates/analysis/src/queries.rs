//! Queries for editors, answered from the analysis: definitions, references, rename,
//! completion, hover, outline, folding and inlay hints. Offsets in, plain data out.

use stagecraft_syntax::{TextRange, TextSize};

use crate::{Analysis, RefOrigin};

/// What is under the cursor, as far as stages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageSymbol {
    /// The `AS` name of a stage.
    Definition(usize),
    /// A reference (index into [`Analysis::references`]) that resolves to a stage.
    Reference(usize),
}

impl Analysis {
    /// The stage symbol at `offset` (a cursor touching either end of the name counts).
    pub fn symbol_at(&self, offset: TextSize) -> Option<StageSymbol> {
        let touches = |r: TextRange| r.start() <= offset && offset <= r.end();
        if let Some(s) = self.stages().iter().find(|s| s.name_range.is_some_and(touches)) {
            return Some(StageSymbol::Definition(s.index));
        }
        self.references()
            .iter()
            .position(|r| r.stage().is_some() && !matches!(r.origin, RefOrigin::Inherited { .. }) && touches(r.range))
            .map(StageSymbol::Reference)
    }

    /// The stage a symbol stands for.
    pub fn symbol_stage(&self, symbol: &StageSymbol) -> Option<usize> {
        match symbol {
            StageSymbol::Definition(s) => Some(*s),
            StageSymbol::Reference(r) => self.references().get(*r)?.stage(),
        }
    }

    /// Go to definition: the stage (and where its name is written) for the symbol at `offset`.
    pub fn definition(&self, offset: TextSize) -> Option<(usize, TextRange)> {
        let stage = self.symbol_stage(&self.symbol_at(offset)?)?;
        let s = &self.stages()[stage];
        Some((stage, s.name_range.unwrap_or(s.from_range)))
    }
}
