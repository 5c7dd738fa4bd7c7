//! Queries for editors, answered from the analysis: definitions, references, rename,
//! completion, hover, outline, folding, inlay hints and semantic tokens. Offsets in (UTF-8),
//! plain data out; the adapters convert positions and render.

use stagecraft_syntax::ast::{AstNode, Instruction};
use stagecraft_syntax::sort;
use stagecraft_syntax::SyntaxKind::*;
use stagecraft_syntax::{TextRange, TextSize, TokenAtOffset, KEYWORDS};

use crate::instructions::valid_stage_name;
use crate::model::*;
use crate::Analysis;

/// Why the build of a target fails: BuildKit's message, and where it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFailure<'a> {
    /// BuildKit's error.
    pub message: std::borrow::Cow<'a, str>,
    /// Where, when known.
    pub range: Option<TextRange>,
}

#[cfg(feature = "build-failures")]
impl TargetFailure<'_> {
    /// The message without the line BuildKit's parser names (as
    /// [`crate::BuildError::message_without_line`]).
    pub fn message_without_line(&self) -> &str {
        crate::model::without_parse_line(&self.message)
    }
}

/// A variable where BuildKit expands it (`FROM`, a global or stage `ARG`, `ENV`, `COPY` flags,
/// `WORKDIR`, ...; not in a shell command, which the shell expands when it runs), and what it
/// holds there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableValue {
    /// The variable's name.
    pub name: String,
    /// The variable as written: `$NAME` or `${NAME...}`.
    pub range: TextRange,
    /// Its value there; `None` when it is not set (or BuildKit does not expand it: see
    /// [`VariableSource::NotBuilt`] and [`VariableSource::Trigger`]).
    pub value: Option<String>,
    /// What the whole `$NAME` or `${NAME...}` (with its modifier) expands to there.
    pub expanded: Option<String>,
    /// Why its expansion fails there (`${NAME:?message}` on an unset name), if it does.
    pub error: Option<String>,
    /// Where the value comes from.
    pub source: VariableSource,
}

/// Where a variable's value comes from, at a place BuildKit expands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableSource {
    /// An `ENV` (its key), in this stage or a stage it is built on.
    Env(TextRange),
    /// A stage's `ARG` with a default (its key).
    Arg(TextRange),
    /// `--build-arg`, for the `ARG` whose key is here.
    BuildArg(TextRange),
    /// A global `ARG` (its key): before the first `FROM`, or declared again in the stage without
    /// a value.
    GlobalArg(TextRange),
    /// One of BuildKit's automatic platform ARGs (`TARGETPLATFORM`, `BUILDARCH`, ...).
    Builtin,
    /// The `PATH` BuildKit gives a stage on an image (whose own `ENV` stagecraft cannot read).
    DefaultPath,
    /// Declared with `ARG` and given no value: it expands to nothing, and is no `UndefinedVar`.
    Declared,
    /// Where only the global ARGs are read (a `FROM`, a global `ARG`'s default): declared by a
    /// global `ARG` (its key) with no value and given no build arg, so it expands to nothing.
    DeclaredGlobal(TextRange),
    /// Not set: it expands to nothing (`UndefinedVar`), unless the base image sets it.
    Unset,
    /// In a stage the build does not reach: BuildKit does not expand it.
    NotBuilt,
    /// In an `ONBUILD` trigger: each stage built on this one expands it with its own variables.
    Trigger,
}

/// Where the value `name` holds in `probed` comes from (`global`: the place is in the global
/// scope, where a value nothing set is an automatic platform ARG's; in a stage, `PATH`'s may be
/// BuildKit's default).
fn variable_source(probed: &crate::engine::Probed, name: &str, has_value: bool, global: bool) -> VariableSource {
    use crate::engine::Origin;
    match probed.origins.value(name).copied() {
        Some(Origin::Env(r)) => VariableSource::Env(r),
        Some(Origin::Arg(r)) => VariableSource::Arg(r),
        Some(Origin::BuildArg(r)) => VariableSource::BuildArg(r),
        Some(Origin::GlobalArg(r)) => VariableSource::GlobalArg(r),
        Some(Origin::Builtin) => VariableSource::Builtin,
        None if has_value && (global || name != "PATH") => VariableSource::Builtin,
        None if has_value => VariableSource::DefaultPath,
        None if probed.build_args.get(name).is_some() => VariableSource::Declared,
        None => VariableSource::Unset,
    }
}

/// Whether `token` is the body of a `COPY` or `ADD` heredoc that BuildKit expands (its word
/// unquoted; not in an `ONBUILD` trigger).
fn expanded_heredoc_body(token: &stagecraft_syntax::SyntaxToken) -> bool {
    let expands = || -> Option<bool> {
        let instruction = token.parent_ancestors().find_map(Instruction::cast)?;
        let keyword = instruction.keyword()?.to_ascii_uppercase();
        if (keyword != "COPY" && keyword != "ADD")
            || instruction.syntax().ancestors().any(|n| n.kind() == ONBUILD_INSTR)
        {
            return Some(false);
        }
        Some(copy_body_expanded(&instruction, &token.parent()?))
    };
    token.kind() == HEREDOC_CONTENT && expands() == Some(true)
}

/// Whether BuildKit expands `body`, a heredoc body of the COPY or ADD `instruction`. It reads a
/// body by its word's name (`heredocLookup` in `parseSourcesAndDest`), the last body whose
/// terminator is that name, as the engine does: a body no word reads, or read only through
/// quoted words, is not expanded (`COPY <<EOF <<'EOF' /d/` expands the second body, through
/// the first word, and never reads the first). (The words as the parser reads them: COPY
/// splits a quoted name that holds a blank, `<<E\ OF`, otherwise, which this does not follow.)
fn copy_body_expanded(instruction: &Instruction, body: &stagecraft_syntax::SyntaxNode) -> bool {
    let bodies: Vec<_> = instruction.heredoc_bodies().collect();
    instruction
        .heredocs()
        .iter()
        .filter(|(h, _)| h.expand)
        .any(|(h, _)| bodies.iter().rev().find(|b| b.is_named(&h.name)).is_some_and(|b| b.syntax() == body))
}

/// The variables BuildKit expands in `token`, when it is the body of a heredoc it expands (see
/// [`expanded_heredoc_body`]): each `$NAME` or `${NAME...}` (to its closing brace, or to the end
/// of its name where none closes it), with the name.
pub(crate) fn heredoc_variables(token: &stagecraft_syntax::SyntaxToken) -> Vec<(TextRange, String)> {
    if !expanded_heredoc_body(token) {
        return Vec::new();
    }
    let (text, base) = (token.text(), token.text_range().start());
    let mut out = Vec::new();
    for (dollar, _) in text.match_indices('$') {
        let braced = text[dollar + 1..].starts_with('{');
        let start = dollar + if braced { 2 } else { 1 };
        let end = start + text[start..].len() - text[start..].trim_start_matches(is_name_char).len();
        let name = &text[start..end];
        if name.is_empty()
            || name.starts_with(|c: char| c.is_ascii_digit())
            || dollar_before(text, start, '\\') != Some(dollar)
        {
            continue;
        }
        // `${...}` to its closing brace, as the tree's variables outside heredocs (a QA run:
        // the ranges left it out).
        let (mut to, mut depth) = (end, u32::from(braced));
        let b = text.as_bytes();
        while depth > 0 && to < b.len() {
            match b[to] {
                b'{' if b[to - 1] == b'$' => depth += 1,
                b'}' => depth -= 1,
                _ => {}
            }
            to += 1;
        }
        let to = if depth == 0 { to } else { end };
        out.push((
            TextRange::new(base + TextSize::new(dollar as u32), base + TextSize::new(to as u32)),
            name.to_string(),
        ));
    }
    out
}

/// The last of `declared` (a stage's `ARG`s without a value, [`Analysis::bare_args`]) that
/// declares `name` before `offset`.
fn last_bare(declared: &[(String, TextRange)], name: &str, offset: TextSize) -> Option<TextRange> {
    declared.iter().rev().find(|(k, at)| k == name && at.end() <= offset).map(|d| d.1)
}

/// Whether `c` may be part of a variable's name.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Where the `$` is of the variable whose name starts at byte `start` of `text` (`$NAME` or
/// `${NAME`), when that is one: not `$$`, nor a `$` escaped (an odd run of `escape` before it:
/// `\\$X` is an escaped backslash, then a variable).
fn dollar_before(text: &str, start: usize, escape: char) -> Option<usize> {
    let head = &text[..start];
    let dollar = if head.ends_with("${") { start - 2 } else { head.strip_suffix('$')?.len() };
    let escapes = head[..dollar].len() - head[..dollar].trim_end_matches(escape).len();
    (!head[..dollar].ends_with('$') && escapes % 2 == 0).then_some(dollar)
}

/// `text` as Markdown inline code, with enough backticks around it; `""` for empty text.
fn code(text: &str) -> String {
    if text.is_empty() {
        return "`\"\"` (empty)".into();
    }
    let mut run = 0;
    let mut longest = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// What is under the cursor, as far as stages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageSymbol {
    /// The `AS` name of a stage.
    Definition(usize),
    /// A reference (index into [`Analysis::references`]) that resolves to a stage.
    Reference(usize),
}

/// One occurrence of a stage in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// Where.
    pub range: TextRange,
    /// The `AS` name (a write) rather than a use (a read).
    pub is_definition: bool,
}

/// Why a rename cannot be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameError(pub String);

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RenameError {}

/// What kind of thing a completion inserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    /// A stage name.
    Stage,
    /// `scratch`.
    Scratch,
    /// An instruction keyword.
    Keyword,
    /// A `--flag=`.
    Flag,
    /// A value a flag takes (`--network=none`).
    FlagValue,
    /// A named build context given for the build ([`crate::Options::named_contexts`]).
    NamedContext,
    /// A variable in scope (after `$` or `${`).
    Variable,
    /// A key of `RUN --mount=` (`target`, `sharing`, ...).
    MountKey,
    /// A value a `--mount=` key takes (`type=cache`, `sharing=locked`).
    MountValue,
}

/// A completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// What the list shows.
    pub label: String,
    /// What it is.
    pub kind: CompletionKind,
    /// A short description.
    pub detail: Option<String>,
    /// Longer documentation.
    pub documentation: Option<String>,
    /// The text to insert.
    pub insert: String,
    /// What the insertion replaces (the partial word before the cursor).
    pub replace: TextRange,
}

/// Hover information: a range and Markdown text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    /// What the hover is about.
    pub range: TextRange,
    /// Markdown.
    pub markdown: String,
}

/// An entry of the document outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineItem {
    /// The name shown.
    pub name: String,
    /// A short detail (the base image, the instruction's arguments).
    pub detail: String,
    /// What kind of entry.
    pub kind: OutlineKind,
    /// The whole entry.
    pub range: TextRange,
    /// The part to select (the name).
    pub selection: TextRange,
    /// Entries inside it.
    pub children: Vec<OutlineItem>,
}

/// Kinds of outline entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutlineKind {
    /// A stage.
    Stage,
    /// A global ARG.
    Arg,
    /// An instruction inside a stage.
    Instruction,
}

/// A foldable region (whole lines, zero-based, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    /// First line.
    pub start_line: u32,
    /// Last line.
    pub end_line: u32,
    /// A comment block rather than code.
    pub comment: bool,
}

/// A hint shown inline after `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlayHint {
    /// Where it goes.
    pub offset: TextSize,
    /// The text (without padding).
    pub label: String,
    /// A longer explanation.
    pub tooltip: String,
}

/// Semantic token types stagecraft distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// An instruction keyword.
    Keyword,
    /// A stage name where it is defined.
    StageDefinition,
    /// A stage name where it is used.
    StageReference,
    /// An external image.
    Image,
    /// A variable reference.
    Variable,
    /// A flag name.
    Flag,
    /// A comment.
    Comment,
    /// A parser directive.
    Directive,
    /// A string (JSON, quoted values).
    String,
    /// An operator (`=`, `AS`).
    Operator,
}

/// A classified range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemanticToken {
    /// Where.
    pub range: TextRange,
    /// What.
    pub ty: TokenType,
    /// The stage is unused (no target in play builds it) or the name is declared without use.
    pub unused: bool,
}

/// How many entries a hover list shows: a stage that a large file uses everywhere would
/// otherwise fill the screen (references list every use).
const HOVER_LIST_MAX: usize = 10;

/// The first [`HOVER_LIST_MAX`] entries joined with `separator`, and how many more there are.
fn capped_list(entries: &[String], separator: &str) -> String {
    if entries.len() <= HOVER_LIST_MAX {
        return entries.join(separator);
    }
    let more = entries.len() - HOVER_LIST_MAX;
    format!("{}{separator}and {more} more", entries[..HOVER_LIST_MAX].join(separator))
}

/// A reference written in the text and followed where it is written: not one an `ONBUILD`
/// trigger brings, nor one written in a trigger (see `Analysis::trigger_runs_to`), nor an
/// implied one.
fn is_textual(r: &StageRef) -> bool {
    r.origin == RefOrigin::Direct && !r.range.is_empty()
}

/// A reference that is a use of something a stage takes from: what, and where it is written.
fn used(r: &StageRef) -> Option<(&RefTarget, TextRange)> {
    let taken =
        matches!(r.target, RefTarget::Stage(_) | RefTarget::Image(_) | RefTarget::NamedContext(_) | RefTarget::Scratch);
    (taken && r.is_dependency()).then_some((&r.target, r.range))
}

/// Ranges grouped by what they use, in the order first seen, each group's ranges in text order
/// and once each (ONBUILD uses all sit at the inheriting `FROM`).
fn group_uses(uses: impl Iterator<Item = (RefTarget, TextRange)>) -> Vec<(RefTarget, Vec<TextRange>)> {
    let mut groups: Vec<(RefTarget, Vec<TextRange>)> = Vec::new();
    // Each key's group (a stage may copy from thousands of others). A tree: a hash map of a
    // new type changes how the browser build inlines the maps it has, at a cost in size.
    let mut group: std::collections::BTreeMap<RefTarget, usize> = std::collections::BTreeMap::new();
    for (key, range) in uses {
        match group.get(&key) {
            Some(&i) => groups[i].1.push(range),
            None => {
                group.insert(key.clone(), groups.len());
                groups.push((key, vec![range]));
            }
        }
    }
    for (_, ranges) in &mut groups {
        sort::sort_by_key(ranges, |r| (r.start(), r.end()));
        ranges.dedup();
    }
    groups
}

/// Appends `entry` unless it is already in `list` (`seen` holds what `list` holds; a map of a
/// type the analysis has, as a set would be more code in the wasm package).
fn push_unique(list: &mut Vec<String>, seen: &mut stagecraft_syntax::hash::Map<String, usize>, entry: String) {
    if seen.insert(entry.clone(), 0).is_none() {
        list.push(entry);
    }
}

impl Analysis {
    /// The stage symbol at `offset` (a cursor touching either end of the name counts). A stage
    /// without a name is defined by its `FROM` (where go-to-definition goes), outside the base
    /// it names.
    pub fn symbol_at(&self, offset: TextSize) -> Option<StageSymbol> {
        let touches = |r: TextRange| r.start() <= offset && offset <= r.end();
        if let Some(s) = self.stages().iter().find(|s| s.name_range.is_some_and(touches)) {
            return Some(StageSymbol::Definition(s.index));
        }
        // (Not on a variable in it, `FROM stage-${V}`: that is the variable's, whose value,
        // definition and uses the editors ask for there, as in an image's name; found by a QA
        // run of the server on real files. Where the variables are read: native builds.)
        let on_variable = |r: &StageRef| {
            cfg!(feature = "probe")
                && r.value.contains('$')
                && self
                    .parse()
                    .syntax_node()
                    .token_at_offset(offset)
                    .any(|t| t.parent_ancestors().any(|n| n.kind() == VARIABLE))
        };
        self.references()
            .iter()
            .position(|r| {
                r.stage().is_some()
                    && !matches!(r.origin, RefOrigin::Inherited { .. })
                    && touches(r.range)
                    && !on_variable(r)
            })
            .map(StageSymbol::Reference)
            .or_else(|| {
                let s = self.stage_at(offset)?;
                let stage = &self.stages()[s];
                let on_base =
                    self.references().iter().any(|r| r.in_stage == s && r.kind == RefKind::From && touches(r.range));
                (stage.name.is_none() && touches(stage.from_range) && !on_base).then_some(StageSymbol::Definition(s))
            })
    }

    /// The stage a symbol stands for. (Not for an ONBUILD trigger's name that no stage here
    /// runs: it names a stage of the Dockerfiles built on this image.)
    pub fn symbol_stage(&self, symbol: &StageSymbol) -> Option<usize> {
        let stage = self.named_stage(symbol)?;
        match symbol {
            StageSymbol::Reference(r) => {
                let r = &self.references()[*r];
                (r.origin != RefOrigin::OnbuildTrigger || self.trigger_runs_to(r, stage)).then_some(stage)
            }
            StageSymbol::Definition(_) => Some(stage),
        }
    }

    /// The stage a symbol's name resolves to in this file.
    fn named_stage(&self, symbol: &StageSymbol) -> Option<usize> {
        match symbol {
            StageSymbol::Definition(s) => Some(*s),
            StageSymbol::Reference(r) => self.references().get(*r)?.stage(),
        }
    }

    /// Go to definition: the stage, and where its name (or its FROM, when unnamed) is written,
    /// for the symbol at `offset`.
    pub fn definition(&self, offset: TextSize) -> Option<(usize, TextRange)> {
        let stage = self.symbol_stage(&self.symbol_at(offset)?)?;
        let s = &self.stages()[stage];
        Some((stage, s.name_range.unwrap_or(s.from_range)))
    }

    /// Go to definition of the variable at `offset`: the key of the `ENV` or `ARG` that set what
    /// it holds there (in its stage, a stage it is built on, or the global `ARG`s); for a global
    /// `ARG`'s value in a stage, the stage's `ARG` that brought it in (`ARG G` without a value:
    /// a declaration, as a local variable's would be; its hover says where the value comes
    /// from). None for a variable BuildKit sets itself, one nothing sets, or one not expanded
    /// there.
    pub fn variable_definition(&self, offset: TextSize) -> Option<TextRange> {
        let v = self.variable_at(offset)?;
        match v.source {
            VariableSource::Env(r) | VariableSource::Arg(r) | VariableSource::BuildArg(r) => Some(r),
            VariableSource::GlobalArg(r) => Some(self.stage_declaration(&v.name, offset).unwrap_or(r)),
            VariableSource::DeclaredGlobal(r) => Some(r),
            _ => None,
        }
    }

    /// References of a variable, from a use of it or from the key of the `ENV` or `ARG` that
    /// sets it: that key (the definition, where go-to-definition goes from a use) and every use
    /// BuildKit expands with the value it sets, in text order. One more run of the analysis
    /// records where each expanded variable's value was set. Uses in `RUN` commands (which the
    /// shell expands) and in `ONBUILD` triggers (which each stage built on this one expands with
    /// its own variables) are not among them. Empty where `offset` is on neither.
    pub fn variable_references(&self, offset: TextSize) -> Vec<Occurrence> {
        use crate::engine::Origin;
        let Some(key) = self.declaration_key(offset).or_else(|| self.variable_definition(offset)) else {
            return Vec::new();
        };
        let mut uses = self.expanded_variables();
        // A range's last entry holds (an `ARG` pair is read again after the ones before it).
        let mut order: Vec<usize> = (0..uses.len()).collect();
        sort::sort_by_key(&mut order, |&i| (uses[i].0.start(), uses[i].0.end()));
        let root = self.parse().syntax_node();
        // Each stage's `ARG`s without a value (which bring global ones in), read once, and
        // which of them a stage ends with, by name (a chain of stages is walked once).
        let mut bare: Vec<Option<Vec<(String, TextRange)>>> = vec![None; self.stages().len()];
        let mut ends: stagecraft_syntax::hash::Map<(usize, String), Option<TextRange>> = Default::default();
        let mut out = vec![Occurrence { range: key, is_definition: true }];
        let mut scanned = None;
        for (n, &i) in order.iter().enumerate() {
            let range = uses[i].0;
            if order.get(n + 1).is_some_and(|&next| uses[next].0 == range) {
                continue;
            }
            let name = std::mem::take(&mut uses[i].1);
            let set = match uses[i].2 {
                Origin::Env(r) | Origin::Arg(r) | Origin::BuildArg(r) => r,
                Origin::GlobalArg(r) => match self.stage_at(range.start()) {
                    Some(s) => self.chain_declaration(&mut bare, &mut ends, s, &name, range.start()).unwrap_or(r),
                    None => r,
                },
                Origin::Builtin => continue,
            };
            // (Only then where it is: the look-up costs more than the rest.)
            let token = root.covering_element(TextRange::at(range.start(), TextSize::new(1)));
            let token = token.as_token().cloned().or_else(|| token.as_node().and_then(|n| n.first_token()));
            if set == key && token.and_then(|t| self.token_scope(t, range.start(), &mut scanned)).is_some() {
                out.push(Occurrence { range, is_definition: false });
            }
        }
        sort::sort_by_key(&mut out, |o| o.range.start());
        out
    }

    /// The keys of stage `s`'s `ARG`s without a value, in order.
    fn bare_args(&self, s: usize) -> Vec<(String, TextRange)> {
        let stage = &self.stages()[s];
        let Some(from) = instruction_covering(self, stage.from_range) else { return Vec::new() };
        std::iter::successors(from.syntax().next_sibling(), |n| n.next_sibling())
            .take_while(|n| n.text_range().end() <= stage.range.end())
            .filter_map(Instruction::cast)
            .filter(|i| i.kind() == ARG_INSTR)
            .flat_map(|i| i.info_in(self.text()).pairs)
            .filter(|p| p.value.is_none())
            .map(|p| (p.key.into_owned(), p.key_range))
            .collect()
    }

    /// The key of the `ENV` or `ARG` pair at `offset`, written as it is read.
    fn declaration_key(&self, offset: TextSize) -> Option<TextRange> {
        // (In an ONBUILD trigger too: a stage built on this one may take its value.)
        let instruction = innermost_instruction(instruction_at(self, offset)?, offset);
        if !matches!(instruction.kind(), ENV_INSTR | ARG_INSTR) {
            return None;
        }
        let info = instruction.info_in(self.text());
        let pair = info.pairs.iter().find(|p| p.key_range.start() <= offset && offset <= p.key_range.end())?;
        let escape = self.parse().tree().escape_char();
        let plain = self.text()[pair.key_range] == *pair.key && !pair.key.contains(['"', '\'', '$', escape]);
        plain.then_some(pair.key_range)
    }

    /// The key of the last `ARG name` (without a value) of the stage at `offset`, before it:
    /// pair by pair, as BuildKit sets an `ARG`'s pairs one by one (`ARG G H=$G`: the `G` before).
    fn stage_declaration(&self, name: &str, offset: TextSize) -> Option<TextRange> {
        let mut bare = vec![None; self.stages().len()];
        self.chain_declaration(&mut bare, &mut Default::default(), self.stage_at(offset)?, name, offset)
    }

    /// The `ARG name` without a value that brings the global `ARG`'s value to `offset` in stage
    /// `s`: the last before it in the stage, else the last of the stage it is built on, and so
    /// on down its bases (a stage starts with its base's state, its build args too). `bare`:
    /// each stage's, read once; `ends`: what a stage ends with for a name, found once.
    fn chain_declaration(
        &self,
        bare: &mut [Option<Vec<(String, TextRange)>>],
        ends: &mut stagecraft_syntax::hash::Map<(usize, String), Option<TextRange>>,
        s: usize,
        name: &str,
        before: TextSize,
    ) -> Option<TextRange> {
        let declared = bare[s].get_or_insert_with(|| self.bare_args(s));
        if let Some(found) = last_bare(declared, name, before) {
            return Some(found);
        }
        // Down the bases (each comes before its stage: the walk ends), the stages met until
        // one ends with an answer, which they all share.
        let mut walked = Vec::new();
        let mut at = self.stages()[s].base_kind.clone();
        let found = loop {
            let BaseKind::Stage(b) = at else { break None };
            if b >= walked.last().copied().unwrap_or(s) {
                break None;
            }
            if let Some(&known) = ends.get(&(b, name.to_string())) {
                break known;
            }
            walked.push(b);
            let declared = bare[b].get_or_insert_with(|| self.bare_args(b));
            if let Some(found) = last_bare(declared, name, self.stages()[b].range.end()) {
                break Some(found);
            }
            at = self.stages()[b].base_kind.clone();
        };
        for b in walked {
            ends.insert((b, name.to_string()), found);
        }
        found
    }

    /// Every place a stage occurs: its definition (the `AS` name, or for a stage without one
    /// its `FROM`, where go-to-definition goes) and each reference written in the text.
    pub fn occurrences(&self, stage: usize) -> Vec<Occurrence> {
        let mut out = Vec::new();
        if let Some(s) = self.stages().get(stage) {
            out.push(Occurrence { range: s.name_range.unwrap_or(s.from_range), is_definition: true });
        }
        for r in self.references_to(stage) {
            if is_textual(r) || self.trigger_runs_to(r, stage) {
                out.push(Occurrence { range: r.range, is_definition: false });
            }
        }
        // In text order, each range once (the definition first: the sort is stable).
        sort::sort_by_key(&mut out, |o| (o.range.start(), o.range.end()));
        out.dedup_by(|later, earlier| later.range == earlier.range);
        out
    }

    /// Whether reference `t`, written in an `ONBUILD` trigger, is a use of stage `stage`: a stage
    /// of this file runs the trigger and takes `stage` by it. A trigger no stage here runs runs in
    /// the builds of other Dockerfiles, on this image, where its `--from` names one of their
    /// stages: it is no use of a stage here, and a rename leaves it alone. (A trigger that names
    /// one stage where it is written and another where it runs, through a name two stages have,
    /// is a use of neither.)
    fn trigger_runs_to(&self, t: &StageRef, stage: usize) -> bool {
        if t.origin != RefOrigin::OnbuildTrigger {
            return false;
        }
        // The references runs of the trigger bring: with `large-files`, looked up by where the
        // trigger is (triggers do not overlap: the one holding `t` starts last before it); the
        // browser build, for its size, searches the stage's references.
        #[cfg(feature = "large-files")]
        let brought = {
            let runs = &self.names().trigger_runs;
            let end = runs.partition_point(|(r, _)| r.start() <= t.range.start());
            let holder = end.checked_sub(1).map(|i| runs[i].0);
            runs[..end].iter().rev().take_while(move |(r, _)| Some(*r) == holder).map(|&(_, i)| &self.references()[i])
        };
        #[cfg(not(feature = "large-files"))]
        let brought = self.references_to(stage);
        // Where a run's reference comes from: a COPY's `--from` value, a RUN whole.
        let runs = |r: &&StageRef| matches!(r.origin, RefOrigin::Inherited { trigger_range } if trigger_range.contains_range(t.range));
        brought.filter(runs).any(|r| r.stage() == Some(stage) && r.value == t.value)
    }

    /// The references that resolve to stage `stage`, in order. (Looked up in an index with
    /// `large-files`; the browser build, for its size, searches each time.)
    fn references_to(&self, stage: usize) -> impl Iterator<Item = &StageRef> + '_ {
        #[cfg(feature = "large-files")]
        return self.names().refs_by_stage.get(stage).into_iter().flatten().map(|&i| &self.references()[i]);
        #[cfg(not(feature = "large-files"))]
        return self.references().iter().filter(move |r| r.stage() == Some(stage));
    }

    /// The build args (as `Options::build_args`) that no `ARG` of the file declares (in the global
    /// scope, a stage, or an ONBUILD trigger), with the closest key that one does: BuildKit
    /// ignores them without a word (the legacy builder warned "One or more build-args were not
    /// consumed"), so a typo goes unseen. Not the ones BuildKit reads itself: the proxy
    /// variables (a `RUN` has them without an `ARG`), `BUILDKIT_*` and `SOURCE_DATE_EPOCH`.
    pub fn unread_build_args(&self, build_args: &[(String, String)]) -> Vec<(String, Option<String>)> {
        // BuildKit's predefined proxy ARGs, in upper or lower case.
        const PROXIES: [&str; 5] = ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"];
        if build_args.is_empty() {
            return Vec::new();
        }
        let mut keys: Vec<String> = Vec::new();
        for n in self.parse().syntax_node().descendants().filter(|n| n.kind() == ARG_INSTR) {
            if let Some(i) = Instruction::cast(n) {
                keys.extend(i.info_in(self.text()).pairs.iter().map(|p| p.key.to_string()));
            }
        }
        sort::sort_by(&mut keys, |a, b| a.cmp(b));
        keys.dedup();
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        // An automatic platform ARG (`TARGETARCH`, `TARGETSTAGE`, ...) is read without an ARG
        // where the global scope expands it, in a FROM or a global ARG's default: a build arg of
        // its name replaces BuildKit's value there (`defaultArgs`).
        let automatic_names = crate::platform::parse("linux/amd64").map(|p| crate::env::builtin_args(&p, &p, ""));
        let mut global: Vec<String> = Vec::new();
        let mut seen_from = false;
        for i in self.parse().tree().instructions() {
            seen_from |= i.syntax().kind() == FROM_INSTR;
            if i.syntax().kind() == FROM_INSTR || (!seen_from && i.syntax().kind() == ARG_INSTR) {
                let names = i.syntax().descendants_with_tokens().filter_map(|e| e.into_token());
                global.extend(names.filter(|t| t.kind() == VAR_NAME).map(|t| t.text().to_string()));
            }
        }
        let automatic =
            |key: &str| automatic_names.as_ref().is_ok_and(|n| n.get(key).is_some()) && global.iter().any(|n| n == key);
        for (key, _) in build_args {
            let builtin = PROXIES.iter().any(|p| *p == key || p.to_ascii_lowercase() == *key)
                || key.starts_with("BUILDKIT_")
                || key == "SOURCE_DATE_EPOCH"
                || automatic(key);
            if builtin || keys.binary_search(key).is_ok() || out.iter().any(|(k, _)| k == key) {
                continue;
            }
            // (A key in another case first: ARG names are case-sensitive, `base` is no `BASE`.)
            let closest = keys
                .iter()
                .find(|k| k.eq_ignore_ascii_case(key))
                .cloned()
                .or_else(|| crate::suggest::search(key, keys.iter().map(String::as_str), true));
            out.push((key.clone(), closest));
        }
        out
    }

    /// For each stage, how many references [`Analysis::occurrences`] lists for it (its
    /// definition aside), counted in one pass over the references.
    pub fn reference_counts(&self) -> Vec<usize> {
        let mut uses: Vec<(usize, TextRange)> = self
            .references()
            .iter()
            .filter_map(|r| Some((r.stage()?, r)))
            .filter(|&(s, r)| is_textual(r) || self.trigger_runs_to(r, s))
            .map(|(s, r)| (s, r.range))
            .filter(|&(s, range)| self.stages().get(s).is_some_and(|st| st.name_range != Some(range)))
            .collect();
        sort::sort_by_key(&mut uses, |&(s, range)| (s, range.start(), range.end()));
        uses.dedup();
        let mut counts = vec![0; self.stages().len()];
        for (s, _) in uses {
            counts[s] += 1;
        }
        counts
    }

    /// Occurrences of the stage at `offset`.
    pub fn references_at(&self, offset: TextSize) -> Vec<Occurrence> {
        match self.symbol_at(offset).and_then(|s| self.symbol_stage(&s)) {
            Some(stage) => self.occurrences(stage),
            None => Vec::new(),
        }
    }

    /// What stage `stage` takes from (the editor's outgoing calls): each stage, image, named
    /// context or `scratch` it builds on, copies from or mounts, its base stage's ONBUILD
    /// triggers' too (they run in it), once each in the order of first use, with where each
    /// use is written. References that resolve to nothing (BuildKit fails on them) and `--from=`
    /// the build context are none, and so is a mount without `from=`; a forward reference,
    /// which BuildKit refuses too, is listed as the text writes it.
    pub fn stage_uses(&self, stage: usize) -> Vec<(RefTarget, Vec<TextRange>)> {
        group_uses(
            self.references().iter().filter(|r| r.in_stage == stage).filter_map(used).map(|(t, r)| (t.clone(), r)),
        )
    }

    /// Who takes from `target` (the editor's incoming calls): each stage that builds on it,
    /// copies from or mounts it, once each in stage order, with where each use is written.
    pub fn users_of(&self, target: &RefTarget) -> Vec<(usize, Vec<TextRange>)> {
        let mut uses: Vec<(usize, TextRange)> = self
            .references()
            .iter()
            .filter(|r| used(r).is_some_and(|(t, _)| t == target))
            .map(|r| (r.in_stage, r.range))
            .collect();
        sort::sort_by_key(&mut uses, |&(s, r)| (s, r.start(), r.end()));
        uses.dedup();
        let mut users: Vec<(usize, Vec<TextRange>)> = Vec::new();
        for (s, range) in uses {
            match users.last_mut() {
                Some((last, ranges)) if *last == s => ranges.push(range),
                _ => users.push((s, vec![range])),
            }
        }
        users
    }

    /// The name under the cursor that a rename at `offset` starts from, and the stage's current
    /// name (for the editor's prepare-rename step, which puts its input box at the range). From
    /// a numeric reference (`--from=0`) the range is the number, which the rename leaves as it
    /// is, and the name is the stage's.
    pub fn prepare_rename(&self, offset: TextSize) -> Result<(TextRange, String), RenameError> {
        let (symbol, stage) = self.stage_to_rename(offset)?;
        self.name_to_rename(stage)?;
        // Whatever new name comes: a prepared rename is one that goes ahead (an editor's F2
        // on a stage a variable base may name is refused, a change of case too; the casing
        // quick fix still applies).
        self.rename_blockers(stage, None)?;
        let s = &self.stages()[stage];
        let name = s.name_as_written.clone().unwrap_or_default();
        let range = match symbol {
            StageSymbol::Definition(_) => s.name_range.unwrap_or(s.from_range),
            StageSymbol::Reference(r) => self.references()[r].range,
        };
        Ok((range, name))
    }

    /// The places to edit together with the stage name at `offset` (the editor's linked editing:
    /// typing in one changes them all): where [`Analysis::rename_stage`] writes the new name,
    /// each range's text the name in any case. `None` where a rename would not be this simple:
    /// no stage name at `offset` (a numeric `--from=0` is none), a stage without a name, one
    /// reached through a variable or written otherwise (quoted), or a name two stages share.
    pub fn linked_editing(&self, offset: TextSize) -> Option<Vec<TextRange>> {
        let stage = self.symbol_stage(&self.symbol_at(offset)?)?;
        let name = self.stages()[stage].name.as_deref()?;
        if self.stages().iter().filter(|t| t.name.as_deref() == Some(name)).count() > 1 {
            return None;
        }
        let ranges = self.name_ranges(stage, None).ok()?;
        let text = |r: &TextRange| self.text().get(std::ops::Range::<usize>::from(*r));
        // The cursor must be on one of them (not on a number), and each must read as the name,
        // written alike: linked ranges hold identical text (the protocol says so), and
        // `--from=Build` beside `AS build` does not (a rename writes both anew).
        let on_name = ranges.iter().any(|r| r.start() <= offset && offset <= r.end());
        let first = ranges.first().and_then(text)?;
        let alike = ranges.iter().all(|r| text(r) == Some(first)) && first.to_lowercase() == name;
        (on_name && alike).then_some(ranges)
    }

    /// Where a rename of `stage` writes its new name, in text order: its `AS` name, each
    /// reference that writes the name (a number, `--from=0`, keeps pointing at the stage and is
    /// not one), and the name that starts the description comment above its `FROM`.
    /// (`new_name`: the rename's, when there is one.)
    fn name_ranges(&self, stage: usize, new_name: Option<&str>) -> Result<Vec<TextRange>, RenameError> {
        let old = self.name_to_rename(stage)?;
        self.rename_blockers(stage, new_name)?;
        let mut ranges: Vec<TextRange> = self
            .occurrences(stage)
            .into_iter()
            .filter(|o| o.is_definition || self.text()[o.range].parse::<i64>().is_err())
            .map(|o| o.range)
            .collect();
        // The `# name description` comment above the FROM names the stage too: keep it naming
        // the stage, or the target loses its description.
        ranges.extend(self.description_name_range(stage, &old));
        // So does a global `ARG SOURCE_DATE_EPOCH=name`.
        ranges.extend(self.epoch_names(stage).flatten());
        sort::sort_by_key(&mut ranges, |r| r.start());
        Ok(ranges)
    }

    /// The (normalised) name of stage `stage`, or why there is none to rename.
    fn name_to_rename(&self, stage: usize) -> Result<String, RenameError> {
        let s = self.stages().get(stage).ok_or_else(|| RenameError(format!("there is no stage {stage}")))?;
        s.name.clone().ok_or_else(|| {
            RenameError(format!("stage {} has no name to rename: add `AS name` to its FROM first", s.index))
        })
    }

    /// References whose text is not the stage's name make a rename uncertain.
    fn rename_blockers(&self, stage: usize, new_name: Option<&str>) -> Result<(), RenameError> {
        let name = self.stages()[stage].name.clone().unwrap_or_default();
        for r in self.references_to(stage) {
            if matches!(r.origin, RefOrigin::Inherited { .. }) {
                continue;
            }
            let literal = r.value.to_lowercase() == name;
            let numeric = r.value.parse::<i64>().is_ok();
            if !literal && !numeric {
                return Err(RenameError(format!(
                    "stage `{name}` is also referenced as `{}` on line {}: the new name would not reach it; change that reference (or the ARG behind it) by hand",
                    r.value, r.line
                )));
            }
        }
        // A later base written with variables that may name this stage with other build args or
        // another platform (`FROM base-${TARGETARCH}`; found with the unused-stage hints): a new
        // name would leave those builds behind; a change of case would not (stage names are
        // read in lower case).
        // (A change of case only: BuildKit matches the name without case.)
        if let Some(None) = self.epoch_names(stage).filter(|_| new_name.is_none_or(|n| n.to_lowercase() != name)) {
            return Err(RenameError(format!(
                "SOURCE_DATE_EPOCH names stage `{name}` in a form a rename cannot follow (through a variable, a build arg, or split across lines): change it by hand"
            )));
        }
        let by = self.named_by_variable(stage).map(|p| &self.stages()[p]);
        if let Some(by) = by.filter(|_| new_name.is_none_or(|n| n.to_lowercase() != name)) {
            return Err(RenameError(format!(
                "`FROM {}` (line {}) may name it with other build args or another platform: rename by hand",
                by.base, by.line
            )));
        }
        // An ONBUILD trigger naming it in a stage nothing here is built on runs nowhere here,
        // and keeps its text; but where a base written with variables may build on that stage
        // with other build args (`FROM build_${env}`), it runs here then, and would no longer
        // find this stage (found by a QA run on a real file). (Native builds: the browser's
        // rename has no room for it.)
        #[cfg(feature = "build-failures")]
        if new_name.is_none_or(|n| n.to_lowercase() != name) {
            let not_run = |r: &&StageRef| r.target == RefTarget::NotRunHere && r.value.to_lowercase() == name;
            for r in self.references().iter().filter(not_run) {
                if let Some(by) = self.named_by_variable(r.in_stage).map(|p| &self.stages()[p]) {
                    return Err(RenameError(format!(
                        "the ONBUILD trigger on line {} names `{}`, and `FROM {}` (line {}) may build on its stage `{}` with other build args or another platform, where the trigger would run and no longer find this stage: rename by hand",
                        r.line,
                        r.value,
                        by.base,
                        by.line,
                        self.stages()[r.in_stage].display_name()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Renames the stage at `offset` everywhere it is named. Numeric references (`--from=0`)
    /// keep pointing at the stage and are left alone.
    pub fn rename(&self, offset: TextSize, new_name: &str) -> Result<Vec<TextEdit>, RenameError> {
        let (_, stage) = self.stage_to_rename(offset)?;
        self.rename_stage(stage, new_name)
    }

    /// The stage name at `offset` and its stage (a prepared rename and a rename refuse alike).
    fn stage_to_rename(&self, offset: TextSize) -> Result<(StageSymbol, usize), RenameError> {
        let not_run = |r: &StageRef| {
            RenameError(format!(
                "no stage here runs this ONBUILD trigger: it runs in the builds of Dockerfiles built on this image, where `{}` names one of their stages; rename it there, or this file's stage at its `AS`",
                r.value
            ))
        };
        let symbol = self.symbol_at(offset);
        let stage = symbol.as_ref().and_then(|s| self.named_stage(s));
        let Some((symbol, stage)) = symbol.zip(stage) else {
            let touches = |r: TextRange| r.start() <= offset && offset <= r.end();
            let trigger = self.references().iter().find(|r| r.target == RefTarget::NotRunHere && touches(r.range));
            return Err(trigger.map_or_else(|| RenameError("no stage name at the cursor".into()), not_run));
        };
        if let StageSymbol::Reference(i) = symbol {
            let r = &self.references()[i];
            // (A trigger a stage here runs reads that stage's variables there: it may name another stage.)
            if r.origin == RefOrigin::OnbuildTrigger && !self.trigger_runs_to(r, stage) {
                return Err(not_run(r));
            }
        }
        Ok((symbol, stage))
    }

    /// Renames stage `stage` to `new_name`.
    pub fn rename_stage(&self, stage: usize, new_name: &str) -> Result<Vec<TextEdit>, RenameError> {
        self.name_to_rename(stage)?;
        self.validate_new_name(stage, new_name)?;
        // The name it has, as written: nothing to do (not the references written in another
        // case: they name it alike, and the user asked for no change).
        if self.stages()[stage].name_as_written.as_deref() == Some(new_name) {
            return Ok(Vec::new());
        }
        let escape = self.parse().tree().escape_char();
        let mut edits = Vec::new();
        for mut range in self.name_ranges(stage, Some(new_name))? {
            // A quoted name keeps its quotes (`--from="deps"`).
            let written = self.text()[range].as_bytes();
            if written.len() > 2 && matches!(written[0], b'"' | b'\'') && written.last() == Some(&written[0]) {
                range = TextRange::new(range.start() + TextSize::new(1), range.end() - TextSize::new(1));
            }
            if self.text()[range] == *new_name {
                continue;
            }
            // A name split by line continuations (`ba\` and `se`): the new name goes where its
            // last part is, its other parts go, and the breaks and comment lines stay. (Its last
            // line keeps text: emptied, it would continue the instruction onto the next one.)
            let first = edits.len();
            name_parts(self.text(), range, escape, &mut edits);
            if let Some(last) = edits[first..].last_mut() {
                last.new_text = new_name.to_string();
            }
        }
        Ok(edits)
    }

    /// Whether SOURCE_DATE_EPOCH names stage `stage`, with where the ARG writes its name if a
    /// rename can follow it there. (Only found with the build's failures: not in the browser
    /// build, for its size.)
    fn epoch_names(&self, stage: usize) -> Option<Option<TextRange>> {
        // (The gate lets the browser build drop what follows: the engine finds none there.)
        let (s, written) = self.epoch_stage.filter(|_| cfg!(feature = "build-failures"))?;
        (s == stage).then_some(written)
    }

    /// Where the stage's name is written in the comment BuildKit takes its description from
    /// (`# build compiles the server`): the first comment above the `FROM` that starts with it.
    fn description_name_range(&self, stage: usize, name: &str) -> Option<TextRange> {
        let s = self.stages().get(stage)?;
        s.description.as_ref()?;
        let from = instruction_covering(self, s.from_range)?;
        let prefix = format!("{name} ");
        from.prev_comment_bodies().into_iter().find_map(|(range, body)| {
            body.starts_with(&prefix).then(|| TextRange::at(range.start(), TextSize::of(name)))
        })
    }

    pub(crate) fn validate_new_name(&self, stage: usize, new_name: &str) -> Result<(), RenameError> {
        self.validate_new_name_with(stage, new_name, None)
    }

    /// [`Analysis::validate_new_name`] with the later bases' patterns made once by a caller that
    /// tries several names (`None`: made here, once the cheaper checks have passed).
    pub(crate) fn validate_new_name_with(
        &self,
        stage: usize,
        new_name: &str,
        later_patterns: Option<&[(usize, String)]>,
    ) -> Result<(), RenameError> {
        if new_name.is_empty() {
            return Err(RenameError("a stage name cannot be empty".into()));
        }
        let lower = new_name.to_lowercase();
        if new_name != lower && valid_stage_name(&lower) {
            // Suggested only when it would be accepted; else why it would not.
            return Err(RenameError(match self.validate_new_name(stage, &lower) {
                Ok(()) => {
                    format!("stage names are lower-case (BuildKit lower-cases them and warns otherwise): use `{lower}`")
                }
                Err(e) => {
                    format!("stage names are lower-case (BuildKit lower-cases `{new_name}` to `{lower}`), and {e}")
                }
            }));
        }
        if !valid_stage_name(new_name) {
            return Err(RenameError(format!(
                "`{new_name}` is not a valid stage name: it must start with a letter and contain only a-z, 0-9, `-`, `_` and `.`"
            )));
        }
        if new_name == "scratch" || new_name == "context" {
            return Err(RenameError(format!("`{new_name}` is reserved and cannot name a stage")));
        }
        // (A build failure: the browser build leaves those out.)
        if let Some(e) =
            cfg!(feature = "build-failures").then(|| crate::reference::context_key(new_name).err()).flatten()
        {
            // (What to do: BuildKit counts a name's length as `library/NAME`'s, the path
            // `ParseNormalizedNamed` makes of it.)
            let how = if e.ends_with("255 characters") {
                "use a name of at most 247 characters"
            } else if e.contains("hexadecimal") {
                "a name of 64 hexadecimal digits reads as an image ID: add a letter or a separator"
            } else {
                "keep separators between letters or digits"
            };
            return Err(RenameError(format!(
                "`docker build` would fail on `{new_name}` ({e}): it looks every stage name up as a named build context; {how}"
            )));
        }
        if cfg!(feature = "named-contexts") && self.context_names().iter().any(|c| c == new_name) {
            return Err(RenameError(format!(
                "`{new_name}` is a named build context given for the build: a stage of that name would be replaced by it"
            )));
        }
        #[cfg(feature = "large-files")]
        let other =
            crate::Names::find(&self.names().stages, new_name).map(|s| &self.stages()[s]).find(|s| s.index != stage);
        #[cfg(not(feature = "large-files"))]
        let other = self.stages().iter().find(|s| s.index != stage && s.name.as_deref() == Some(new_name));
        if let Some(other) = other {
            return Err(RenameError(format!(
                "a stage named `{new_name}` already exists (line {}); pick another name",
                other.line
            )));
        }
        // An image reference the new name would bind to the stage: a `FROM` after it naming it
        // exactly (FROM binds only earlier stages, by their exact name), or any `--from` or
        // mount `from=` (they look up every stage, ignoring case; an earlier one would become a
        // forward reference). A `FROM` before it that names the image keeps it, but reads as a
        // stage used before its definition (an error here): refused too.
        let binds = |r: &&StageRef| {
            let image = match &r.target {
                RefTarget::Image(i) => i,
                // (Its key is not what is written: `docker.io/library/nginx` is `nginx`.)
                RefTarget::NamedContext(_) => &r.value,
                _ => return false,
            };
            match (&r.kind, &r.origin) {
                (RefKind::From, RefOrigin::Direct) => image == new_name && r.in_stage != stage,
                // A trigger's `--from` as written names a stage of the Dockerfiles built on this
                // image; where a stage here runs it, the run's own reference is the one to bind.
                (_, RefOrigin::OnbuildTrigger) => false,
                _ => image.to_lowercase() == new_name,
            }
        };
        // (With `large-files`, only the references that name an image of that name in any
        // case: `new_name` is in lower case here.)
        #[cfg(feature = "large-files")]
        let images = || crate::Names::find(&self.names().images, new_name).map(|i| &self.references()[i]);
        #[cfg(not(feature = "large-files"))]
        let images = || self.references().iter();
        // (One that would take the stage first: that is the worse.)
        let earlier_from = |r: &StageRef| r.kind == RefKind::From && r.in_stage < stage;
        let found = images().filter(binds).find(|r| !earlier_from(r));
        if let Some(r) = found.or_else(|| images().find(binds)) {
            let why = if earlier_from(r) {
                "it would stay the image (FROM sees only earlier stages) but be reported as forward-stage-reference"
            } else {
                "that reference would use the stage"
            };
            return Err(RenameError(format!(
                "`{new_name}` is used as an image on line {}: {why}; pick another name",
                r.line
            )));
        }
        // A later base written with variables that may expand to the new name with some build
        // args or platform (`FROM build-${V}`): that build would take the stage, not an image.
        // (Not for the name the stage has, written in another case: BuildKit reads it alike.)
        if self.stages()[stage].name.as_deref() == Some(new_name) {
            return Ok(());
        }
        let fits = |(_, p): &&(usize, String)| crate::checks::pattern_may_name(p, new_name);
        let made;
        let later_patterns = match later_patterns {
            Some(p) => p,
            None => {
                made = crate::checks::variable_base_patterns(self, stage + 1);
                &made[..]
            }
        };
        if let Some((p, _)) = later_patterns.iter().find(fits) {
            let by = &self.stages()[*p];
            return Err(RenameError(format!(
                "`FROM {}` (line {}) may name `{new_name}` with other build args or another platform: pick another name",
                by.base, by.line
            )));
        }
        Ok(())
    }

    /// Completions at `offset`: stage names after `FROM `, `--from=` and `from=`, keywords at
    /// the start of an instruction, flags after `--`.
    pub fn completions(&self, offset: TextSize) -> Vec<Completion> {
        let text = self.text();
        let o = floor_char_boundary(text, offset);
        let offset = TextSize::new(o as u32);
        let line_start = text[..o].rfind('\n').map_or(0, |i| i + 1);
        let before = &text[line_start..o];
        let mut word_start = line_start + after_last(before, |c: char| c.is_whitespace() || c == '=' || c == ',');
        // In a quoted value (`--from="bu|"`) the word starts after the quote, which stays.
        let quoted = text[word_start..o]
            .chars()
            .next()
            .is_some_and(|q| (q == '"' || q == '\'') && !text[word_start + 1..o].contains(q));
        word_start += usize::from(quoted);
        let partial = &text[word_start..o];
        // The rest of the word under the cursor is replaced too (`--from=bu|ilder`).
        let rest = &text[o..];
        let mut word_end =
            o + rest.find(|c: char| c.is_whitespace() || matches!(c, '=' | ',' | '"' | '\'')).unwrap_or(rest.len());
        // A line continuation after the word is no part of it (`from=bu|\` keeps its `\`); the
        // cursor after one completes nothing (the word before it would take the `\` away).
        let escape = self.parse().tree().escape_char();
        let continues = text[word_end..].trim_start_matches([' ', '\t']);
        if continues.is_empty() || continues.starts_with(['\n', '\r']) {
            if o > word_start && text[word_start..o].ends_with(escape) && o == word_end {
                return Vec::new();
            }
            if text[o..word_end].ends_with(escape) {
                word_end -= escape.len_utf8();
            }
        }
        let next = text[word_end..].chars().next();
        let replace = TextRange::new(TextSize::new(word_start as u32), TextSize::new(word_end as u32));
        let current_stage = self.stages().iter().rposition(|s| s.from_range.start() <= offset);
        // Inside an ONBUILD, the trigger is the instruction completed.
        let outer = instruction_at(self, offset);
        let in_trigger = outer.as_ref().and_then(|i| i.keyword()).is_some_and(|k| k.eq_ignore_ascii_case("ONBUILD"));
        let instruction = outer.map(|i| innermost_instruction(i, offset));
        let keyword = instruction.as_ref().and_then(|i| i.keyword()).unwrap_or_default().to_uppercase();
        let trimmed = before.trim_start();
        if in_comment(self, offset) {
            return Vec::new();
        }
        if let Some(out) = self.variable_completions(o) {
            return out;
        }
        // `{` triggers completion for `${`; elsewhere it starts nothing to complete.
        if before.ends_with('{') {
            return Vec::new();
        }
        // The whitespace-separated word the cursor is in, and whether flags may stand there:
        // BuildKit reads flags only before an instruction's first argument.
        let flag_word_start = line_start + after_last(before, char::is_whitespace);
        // (BuildKit's flag names are case-sensitive: `--FROM=` is an unknown flag.)
        let flag_word = &text[flag_word_start..o];
        let flag_position =
            instruction.as_ref().is_some_and(|i| before_arguments(i, TextSize::new(flag_word_start as u32)));

        // Stage names after --from= (COPY) and from= (inside --mount).
        // Lower-cased on its own: lower-casing may change a text's length in bytes.
        // (Mount keys are not: `FROM=` is `from=`.)
        let prefix = &before[..before.len() - partial.len() - usize::from(quoted)].to_lowercase();
        let after_copy_from = prefix.ends_with("--from=") && keyword == "COPY" && flag_word.starts_with("--from=");
        let after_mount_from = prefix.ends_with("from=")
            && !prefix.ends_with("--from=")
            && keyword == "RUN"
            && flag_word.starts_with("--mount=");
        if (after_copy_from || after_mount_from) && flag_position {
            // A trigger runs in the stages built on this one (later ones): a stage must come
            // before the first of them, or that one's build fails. With none, all are offered.
            // (Before the first FROM, no stage is: none is offered.)
            let runs_in = match in_trigger {
                true => current_stage.and_then(|s| self.first_built_on(s)),
                false => Some(current_stage.unwrap_or(0)),
            };
            return self.stage_completions(replace, runs_in, true);
        }
        // The keys and values of `RUN --mount=`.
        if keyword == "RUN" && flag_position && flag_word.starts_with("--mount=") {
            // (And what follows the cursor in the flag: keys given after it are given too.)
            let after = &text[o..];
            let after = &after[..after.find(char::is_whitespace).unwrap_or(after.len())];
            let written = flag_word["--mount=".len()..].to_ascii_lowercase();
            return mount_completions(&written, &after.to_ascii_lowercase(), replace, next);
        }
        // The value of another flag: the few values it takes, if it has such a list.
        if flag_position && flag_word.starts_with("--") {
            if let Some((name, _)) = flag_word[2..].split_once('=') {
                return flag_value_completions(&keyword, name, replace);
            }
        }
        // The base of a FROM.
        if keyword == "FROM" && trimmed.len() > 4 && !partial.starts_with('-') {
            let words: Vec<&str> = trimmed.split_whitespace().filter(|w| !w.starts_with("--")).collect();
            let base_position = words.len() == 1 || (words.len() == 2 && !before.ends_with(char::is_whitespace));
            if base_position {
                let mut out = self.stage_completions(replace, current_stage, false);
                out.push(Completion {
                    label: "scratch".into(),
                    kind: CompletionKind::Scratch,
                    detail: Some("the empty image".into()),
                    documentation: None,
                    insert: "scratch".into(),
                    replace,
                });
                return out;
            }
        }
        // Flags.
        if partial.starts_with("--") && !keyword.is_empty() && flag_position {
            let flags = instruction_flags(&keyword);
            // A flag given already is offered again only where BuildKit takes it more than once.
            let given: Vec<String> = instruction
                .as_ref()
                .map(|i| i.flags().filter(|f| f.syntax().text_range().end() < offset).map(|f| f.name()).collect())
                .unwrap_or_default();
            return flags
                .iter()
                .filter(|(name, _)| matches!(*name, "mount" | "exclude" | "device") || !given.iter().any(|g| g == name))
                .map(|(name, doc)| {
                    let bool_flag = matches!(*name, "link" | "parents" | "keep-git-dir" | "unpack");
                    Completion {
                        label: format!("--{name}"),
                        kind: CompletionKind::Flag,
                        detail: Some(doc.to_string()),
                        documentation: None,
                        insert: if bool_flag || next == Some('=') { format!("--{name}") } else { format!("--{name}=") },
                        replace,
                    }
                })
                .collect();
        }
        // Keywords at the start of an instruction line, or of an ONBUILD's trigger.
        let at_line_start = trimmed.len() == partial.len() && !is_continuation_line(self, offset);
        let trigger_start = trimmed.len() > partial.len()
            && !is_continuation_line(self, offset)
            && trimmed[..trimmed.len() - partial.len()].trim_end().eq_ignore_ascii_case("ONBUILD")
            && trimmed[..trimmed.len() - partial.len()].ends_with(char::is_whitespace);
        if (at_line_start || trigger_start) && partial.chars().all(|c| c.is_ascii_alphabetic()) {
            let lower = self.prefers_lowercase();
            // Before the first FROM, BuildKit takes only ARG (and FROM); a trigger may not be
            // ONBUILD, FROM or MAINTAINER.
            let allowed = |k: &&&str| {
                if trigger_start {
                    !matches!(**k, "ONBUILD" | "FROM" | "MAINTAINER")
                } else {
                    current_stage.is_some() || matches!(**k, "ARG" | "FROM")
                }
            };
            return KEYWORDS
                .iter()
                .filter(allowed)
                .map(|k| {
                    let word = if lower { k.to_lowercase() } else { k.to_string() };
                    Completion {
                        label: word.clone(),
                        kind: CompletionKind::Keyword,
                        detail: Some(keyword_summary(k).into()),
                        documentation: None,
                        insert: if next.is_some_and(|c| c == ' ' || c == '\t') {
                            word.clone()
                        } else {
                            format!("{word} ")
                        },
                        replace,
                    }
                })
                .collect();
        }
        Vec::new()
    }

    /// Stage names a reference can use: those of stages before `current` (the stage being
    /// written, or the last that runs the trigger being written). A later stage is left out:
    /// BuildKit fails on a `--from` that names one, and a FROM takes an image of that name. For
    /// a `--from` (`shadowed`), so is a name that a later stage (or the current one) has too:
    /// `--from` finds the last stage of a name, which would be that one.
    fn stage_completions(&self, replace: TextRange, current: Option<usize>, shadowed: bool) -> Vec<Completion> {
        let limit = current.unwrap_or(self.stages().len());
        let mut out: Vec<Completion> = Vec::new();
        // Each name once (a file may have thousands of stages). A tree, as in `group_uses`.
        // From the last stage back: a name finds the last stage that has it (of those before
        // the current one, for FROM), and that is the stage described.
        let mut listed: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
        for s in self.stages().iter().rev() {
            let Some(name) = &s.name else { continue };
            if s.index >= limit {
                // A later stage that a named build context replaces is loaded before any stage
                // is built: `--from` may name it (the context), wherever it stands.
                let replaced = s.is_replaced();
                if shadowed && listed.insert(name) && replaced {
                    out.push(Completion {
                        label: name.clone(),
                        kind: CompletionKind::NamedContext,
                        detail: Some(format!("named build context (it replaces stage {})", s.index)),
                        documentation: None,
                        insert: name.clone(),
                        replace,
                    });
                }
                continue;
            }
            if !listed.insert(name) {
                continue;
            }
            out.push(Completion {
                label: name.clone(),
                kind: CompletionKind::Stage,
                detail: Some(format!("stage {} · FROM {}", s.index, s.base)),
                documentation: s.description.clone(),
                insert: name.clone(),
                replace,
            });
        }
        out.reverse();
        // The named build contexts given for the build, where no stage has the name.
        for name in self.context_names().iter().filter(|_| cfg!(feature = "named-contexts")) {
            if listed.insert(name) {
                out.push(Completion {
                    label: name.clone(),
                    kind: CompletionKind::NamedContext,
                    detail: Some("named build context".into()),
                    documentation: None,
                    insert: name.clone(),
                    replace,
                });
            }
        }
        out
    }

    /// Whether the file writes keywords in lower case.
    fn prefers_lowercase(&self) -> bool {
        let mut lower = 0;
        let mut upper = 0;
        for i in self.parse().tree().instructions() {
            if let Some(k) = i.keyword() {
                if k == k.to_lowercase() {
                    lower += 1;
                } else if k == k.to_uppercase() {
                    upper += 1;
                }
            }
        }
        lower > upper
    }

    /// Hover on a stage name, a stage reference, an image, a variable, an instruction's keyword
    /// or flag, a Git source of ADD or COPY, or a global ARG.
    pub fn hover(&self, offset: TextSize) -> Option<Hover> {
        let touches = |r: TextRange| r.start() <= offset && offset <= r.end();
        // (A stage without a name is defined by its FROM, where its keyword, flags and
        // variables have their own hovers.)
        let symbol = self.symbol_at(offset).and_then(|symbol| match symbol {
            StageSymbol::Definition(s) => Some((s, self.stages()[s].name_range?)),
            StageSymbol::Reference(r) => Some((self.symbol_stage(&symbol)?, self.references()[r].range)),
        });
        if let Some((stage, range)) = symbol {
            return Some(Hover { range, markdown: self.stage_markdown(stage) });
        }
        // A variable says what it holds there; in an image's name, followed by the image it
        // makes.
        let variable = self.variable_at(offset);
        let reference =
            self.references().iter().find(|r| touches(r.range) && !matches!(r.origin, RefOrigin::Inherited { .. }));
        let image = reference.and_then(|r| {
            let markdown = match &r.target {
                RefTarget::Image(img) => {
                    // FROM binds only an earlier stage; `--from` looks at them all.
                    let which = if r.kind == RefKind::From { "no earlier stage" } else { "no stage of this file" };
                    let expanded =
                        if &r.value == img { String::new() } else { format!(" (`{}` expands to it)", r.value) };
                    match crate::reference::parse_normalized_named(img) {
                        Ok(_) => format!("**image** `{img}`\n\nAn external image: {which} is named `{img}`{expanded}, so BuildKit pulls it."),
                        Err(why) => format!("**image** `{img}`\n\nNo image name: {which} is named `{img}`{expanded}, and BuildKit fails on it as an image (\"{why}\")."),
                    }
                }
                RefTarget::NamedContext(k) if cfg!(feature = "named-contexts") => format!(
                    "**named build context** `{k}`\n\nA context given for the build (`--build-context {k}=...`, or the editor's `namedContexts` setting) replaces the image `{}`: BuildKit pulls nothing for it.",
                    r.value
                ),
                RefTarget::Scratch => "**scratch**: the empty image".to_string(),
                // (On a variable in a stage's name: the stage it names, after the variable.)
                RefTarget::Stage(s) if cfg!(feature = "probe") => self.stage_markdown(*s),
                RefTarget::Invalid(why) => format!("**not resolvable**: {why}"),
                // (One a stage here runs is that stage's reference, above.)
                RefTarget::NotRunHere => {
                    format!(
                    "**ONBUILD trigger** `{}`\n\nNo stage of this file is built on this one, so the trigger runs in the builds of Dockerfiles built on its image, where `{}` names one of their stages or an image.",
                        r.value, r.value
                    )
                }
                _ => return None,
            };
            Some(Hover { range: r.range, markdown })
        });
        match (variable, image) {
            (Some(v), Some(image)) => {
                let markdown = format!("{}\n\n---\n\n{}", self.variable_markdown(&v), image.markdown);
                return Some(Hover { range: v.range, markdown });
            }
            (Some(v), None) => return Some(Hover { range: v.range, markdown: self.variable_markdown(&v) }),
            (None, Some(image)) => return Some(image),
            (None, None) if reference.is_some() => return None,
            (None, None) => {}
        }
        if let Some(h) = self.keyword_or_flag_hover(offset) {
            return Some(h);
        }
        if let Some(h) = self.git_source_hover(offset) {
            return Some(h);
        }
        if let Some(h) = self.declaration_hover(offset) {
            return Some(h);
        }
        if let Some(a) = self.global_args().iter().find(|a| touches(a.key_range)) {
            let value = match (&a.value, &a.value_expanded) {
                (_, Some(v)) => format!("`{v}`"),
                (None, None) => "no default (pass `--build-arg`)".to_string(),
                (Some(raw), None) => format!("`{raw}`"),
            };
            let mut md = format!("**global ARG** `{}` = {value}", a.key);
            if let Some(d) = &a.description {
                md.push_str(&format!("\n\n{d}"));
            }
            return Some(Hover { range: a.key_range, markdown: md });
        }
        None
    }

    /// Hover on a COPY or ADD source that BuildKit reads as a Git repository: what it fetches
    /// (ref, directory, `.git`, the commit, submodules), with ADD's options as they stand at that
    /// source (the flags, then what the queries of the repositories before it set), or why
    /// BuildKit refuses it. Words are read as written, so only those BuildKit reads the same:
    /// without variables, quotes or escapes.
    fn git_source_hover(&self, offset: TextSize) -> Option<Hover> {
        let instruction = innermost_instruction(instruction_at(self, offset)?, offset);
        let info = instruction.info_in(self.text());
        let add = info.keyword.eq_ignore_ascii_case("ADD");
        if !add && !info.keyword.eq_ignore_ascii_case("COPY") {
            return None;
        }
        let lexer = stagecraft_syntax::shell::Lexer::new(self.parse().tree().escape_char());
        let literal = |w: &str| lexer.is_literal(w);
        // The sources: every word but the destination.
        let sources = &info.words[..info.words.len().saturating_sub(1)];
        let hovered = sources.iter().position(|(_, r)| r.start() <= offset && offset <= r.end())?;
        let (word, range) = &sources[hovered];
        if !literal(word) {
            return None;
        }
        let checksum = info.last_flag("checksum").and_then(|f| f.value()).filter(|v| literal(v));
        let mut options = crate::gitref::CopyOptions::new(&info, checksum.map(|v| (v, *range)));
        for (w, r) in sources[..hovered].iter().filter(|(w, _)| literal(w)) {
            // (What an earlier source fails with is its own diagnostic.)
            let _ = options.apply(w, add, *r);
        }
        let remote = word.split(['?', '#']).next().unwrap_or_default();
        let mut md = format!("**Git repository** `{remote}`\n\n");
        let git = match options.apply(word, add, *range) {
            Ok(None) => return None,
            Err(e) => {
                md.push_str(&format!("BuildKit fails on it: {e}."));
                return Some(Hover { range: *range, markdown: md });
            }
            Ok(Some(git)) => git,
        };
        if !add {
            md.push_str("COPY cannot fetch a repository; ADD can.");
            return Some(Hover { range: *range, markdown: md });
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        md.push_str(&match git.git_ref.as_slice() {
            [] => "BuildKit fetches its default branch".to_string(),
            r => format!("BuildKit fetches `{}`", text(r)),
        });
        if !git.subdir.is_empty() {
            md.push_str(&format!(" and copies its directory `{}`", text(&git.subdir)));
        }
        md.push('.');
        if let Some((c, _, _)) = &options.checksum {
            md.push_str(&format!(" The commit must be `{}`.", text(c)));
        }
        if options.keep_git_dir.is_some_and(|(keep, _)| keep) {
            md.push_str(" The `.git` directory is kept.");
        }
        if git.submodules == Some(false) {
            md.push_str(" Submodules are not fetched.");
        }
        Some(Hover { range: *range, markdown: md })
    }

    /// Hover on an instruction's keyword (what it does) or one of its flags (what the flag
    /// does), with a link to the Dockerfile reference.
    fn keyword_or_flag_hover(&self, offset: TextSize) -> Option<Hover> {
        let root = self.parse().syntax_node();
        let offset = TextSize::new(floor_char_boundary(self.text(), offset) as u32);
        let token = match root.token_at_offset(offset) {
            TokenAtOffset::None => return None,
            TokenAtOffset::Single(t) => t,
            // (The word after `=` or `,` rather than the sign: a mount option's key at its
            // first character.)
            TokenAtOffset::Between(l, r) => {
                if matches!(r.kind(), KEYWORD | FLAG_NAME | AS_KW) || matches!(l.kind(), EQ | COMMA) {
                    r
                } else {
                    l
                }
            }
        };
        let instruction = token.parent_ancestors().find_map(Instruction::cast)?;
        let keyword = instruction.keyword()?.to_uppercase();
        let summary = keyword_summary(&keyword);
        if summary.is_empty() {
            return None;
        }
        let url = reference_url(&keyword);
        // An option of `RUN --mount=`: its key says what it is, a type or sharing value what
        // it does.
        if let Some(option) = token.parent_ancestors().find(|n| n.kind() == MOUNT_OPTION) {
            let part = |kind| option.children().find(|c| c.kind() == kind);
            let key = part(KEY)?.text().to_string().to_lowercase();
            let doc = mount_key_doc(&key);
            if doc.is_empty() {
                return None;
            }
            let mut markdown = format!("**`{key}`** of `RUN --mount`: {doc}.");
            let value = part(VALUE).map(|v| v.text().to_string().to_lowercase());
            let known = |v: &str| crate::engine::MOUNT_TYPES.contains(&v) || crate::engine::MOUNT_SHARING.contains(&v);
            if let Some(v) = value.filter(|v| matches!(key.as_str(), "type" | "sharing") && known(v)) {
                markdown.push_str(&format!("\n\n`{v}`: {}.", mount_value_doc(&v)));
            }
            markdown.push_str(&format!("\n\n[Dockerfile reference]({url}---mount)"));
            return Some(Hover { range: option.text_range(), markdown });
        }
        let markdown = match token.kind() {
            KEYWORD => format!("**{keyword}**: {summary}.\n\n[Dockerfile reference]({url})"),
            AS_KW => "**AS** names the stage: `FROM`, `COPY --from`, `RUN --mount=from=` and `--target` refer to it by that name.".to_string(),
            FLAG_NAME => {
                let name = token.text().trim_start_matches('-').to_ascii_lowercase();
                let (_, doc) = instruction_flags(&keyword).iter().find(|(f, _)| *f == name)?;
                format!("**`--{name}`** of {keyword}: {doc}.\n\n[Dockerfile reference]({url})")
            }
            _ => return None,
        };
        Some(Hover { range: token.text_range(), markdown })
    }

    /// Where BuildKit (or, in a `RUN` command, the shell it runs) reads variables at `offset`:
    /// `Some(true)` in the global scope (a global `ARG`, a `FROM`), `Some(false)` in a stage,
    /// `None` where nothing is expanded: `CMD`, `ENTRYPOINT`, `HEALTHCHECK`, `SHELL` and
    /// `MAINTAINER`, a flag BuildKit takes as written (`--from`, `--exclude`, `--network`, ...),
    /// inside single quotes. (In an `ONBUILD` trigger, as the trigger's instruction.)
    fn expansion_scope(&self, offset: TextSize) -> Option<bool> {
        let root = self.parse().syntax_node();
        let token = match root.token_at_offset(offset) {
            TokenAtOffset::None => return None,
            TokenAtOffset::Single(t) => t,
            // (At the start of a heredoc's body, the body.)
            TokenAtOffset::Between(_, r) if r.parent_ancestors().any(|n| n.kind() == HEREDOC) => r,
            TokenAtOffset::Between(l, _) => l,
        };
        self.token_scope(token, offset, &mut None)
    }

    /// [`Analysis::expansion_scope`] at `offset` in `token`. `scanned`: where an earlier call's
    /// quote scan stopped (the instruction's start, the offset, the quote open there), for calls
    /// at growing offsets, so that many uses in one instruction are read in one pass.
    fn token_scope(
        &self,
        token: stagecraft_syntax::SyntaxToken,
        offset: TextSize,
        scanned: &mut Option<(usize, usize, Option<u8>)>,
    ) -> Option<bool> {
        let instruction = token.parent_ancestors().find_map(Instruction::cast)?;
        let keyword = instruction.keyword()?.to_uppercase();
        if let Some(flag) = token.parent_ancestors().find(|n| n.kind() == FLAG) {
            let name = flag.children_with_tokens().find(|e| e.kind() == FLAG_NAME)?.into_token()?;
            let name = name.text().trim_start_matches('-').to_ascii_lowercase();
            let expanded = matches!(
                (keyword.as_str(), name.as_str()),
                ("FROM", "platform") | ("COPY" | "ADD", "chown" | "chmod") | ("ADD", "checksum") | ("RUN", "mount")
            );
            if !expanded {
                return None;
            }
            // A mount's `from=` takes no variable: BuildKit refuses a `$` in it.
            if name == "mount" {
                let written =
                    &self.text()[usize::from(flag.text_range().start())..floor_char_boundary(self.text(), offset)];
                let field = written.rsplit(',').next().unwrap_or(written);
                let key = field.strip_prefix("--mount=").unwrap_or(field).split('=').next().unwrap_or_default();
                if key.trim().trim_start_matches(['"', '\'']).eq_ignore_ascii_case("from") {
                    return None;
                }
            }
        } else if !matches!(
            keyword.as_str(),
            "FROM"
                | "ARG"
                | "ENV"
                | "LABEL"
                | "COPY"
                | "ADD"
                | "WORKDIR"
                | "USER"
                | "VOLUME"
                | "STOPSIGNAL"
                | "EXPOSE"
                | "RUN"
        ) {
            return None;
        }
        // An exec-form RUN runs its words without a shell: nothing expands them.
        if keyword == "RUN" && token.parent_ancestors().any(|n| n.kind() == JSON_ARRAY) {
            return None;
        }
        // The body of a heredoc whose word is quoted (`<<'EOF'`) is kept as it is, by BuildKit
        // and by a shell.
        // (COPY and ADD read bodies by name: see `copy_body_expanded`; a RUN's shell reads them
        // in order.)
        if let Some(body) = token.parent_ancestors().find(|n| n.kind() == HEREDOC) {
            if keyword == "COPY" || keyword == "ADD" {
                if !copy_body_expanded(&instruction, &body) {
                    return None;
                }
            } else {
                let nth = instruction.heredoc_bodies().position(|b| *b.syntax() == body);
                if nth.and_then(|k| Some(instruction.heredocs().get(k)?.0.expand)) == Some(false) {
                    return None;
                }
            }
        }
        // Single quotes keep a `$` as it is, for BuildKit's lexer as for a shell; comment lines
        // (which BuildKit drops from a continuation) aside. A heredoc's body is read as it is:
        // BuildKit expands it without reading quotes, and a shell reads its own.
        if !token.parent_ancestors().any(|n| n.kind() == HEREDOC) {
            let start = usize::from(instruction.syntax().text_range().start());
            let escape = self.parse().tree().escape_char() as u8;
            let end = floor_char_boundary(self.text(), offset);
            // (Resumed only at a variable's `$`, where no comment line or escape starts.)
            let (from, mut quote) = match *scanned {
                Some((at, to, quote)) if at == start && to <= end => (to, quote),
                _ => (start, None),
            };
            crate::engine::scan_quotes(&self.text()[from..end], escape, &mut quote);
            *scanned = Some((start, end, quote));
            if quote == Some(b'\'') {
                return None;
            }
        }
        let first_from = self.stages().first().map_or(TextSize::of(self.text()), |s| s.from_range.start());
        Some(keyword == "FROM" || offset < first_from)
    }

    /// The variables in scope after a `$` or `${` before `o`: what BuildKit (or, in a `RUN`
    /// command, the shell it runs) reads there, each with its value. `None` when the cursor is
    /// not after one, or where nothing is expanded ([`Analysis::expansion_scope`]).
    fn variable_completions(&self, o: usize) -> Option<Vec<Completion>> {
        if !cfg!(feature = "probe") {
            return None;
        }
        let text = self.text();
        let typed = text[..o].len() - text[..o].trim_end_matches(is_name_char).len();
        let dollar = dollar_before(text, o - typed, self.parse().tree().escape_char())?;
        let at = TextSize::new(dollar as u32);
        self.expansion_scope(at)?;
        let start = o - typed;
        let end = o + text[o..].len() - text[o..].trim_start_matches(is_name_char).len();
        let replace = TextRange::new(TextSize::new(start as u32), TextSize::new(end as u32));
        // After `${`, the name closes the braces unless they go on (`}` already, or a modifier
        // such as `:-`).
        let braced = text.as_bytes().get(dollar + 1) == Some(&b'{');
        let goes_on = text[end..].starts_with(['}', ':', '#', '%', '/', '-', '+', '?', '=']);
        let close = if braced && !goes_on { "}" } else { "" };
        let probed = self.probe(at)?;
        let mut out: Vec<Completion> = probed
            .env
            .iter()
            .map(|(name, value)| Completion {
                label: name.to_string(),
                kind: CompletionKind::Variable,
                detail: Some(if value.is_empty() { "(empty)".to_string() } else { value.to_string() }),
                documentation: None,
                insert: format!("{name}{close}"),
                replace,
            })
            .collect();
        for name in probed.build_args.keys().filter(|n| probed.env.get(n).is_none()) {
            out.push(Completion {
                label: name.to_string(),
                kind: CompletionKind::Variable,
                detail: Some("ARG without a value".into()),
                documentation: None,
                insert: format!("{name}{close}"),
                replace,
            });
        }
        Some(out)
    }

    /// The variable at `offset` where BuildKit expands it, with the value it has there. This
    /// runs the analysis again, up to the stage of that place (BuildKit's environment at each
    /// place is not kept), so it costs up to what the analysis costs. (`None` without the
    /// `probe` feature.)
    pub fn variable_at(&self, offset: TextSize) -> Option<VariableValue> {
        if !cfg!(feature = "probe") {
            return None;
        }
        let root = self.parse().syntax_node();
        let offset = TextSize::new(floor_char_boundary(self.text(), offset) as u32);
        let tokens: Vec<_> = match root.token_at_offset(offset) {
            TokenAtOffset::None => Vec::new(),
            TokenAtOffset::Single(t) => vec![t],
            TokenAtOffset::Between(l, r) => vec![l, r],
        };
        // The innermost variable (`${A:-$B}` on `B` is `$B`).
        let Some(variable) = tokens.iter().find_map(|t| t.parent_ancestors().find(|n| n.kind() == VARIABLE)) else {
            return tokens.iter().find_map(|t| self.heredoc_variable(t, offset));
        };
        let name = variable.children_with_tokens().find(|e| e.kind() == VAR_NAME)?.into_token()?.text().to_string();
        let range = variable.text_range();
        let answer = |value: Option<String>, expanded: Option<String>, error: Option<String>, source| VariableValue {
            name: name.clone(),
            range,
            value,
            expanded,
            error,
            source,
        };
        // Where BuildKit takes the word as written (`HEALTHCHECK --interval=$X`), no value.
        let global = self.expansion_scope(range.start())?;
        if variable.ancestors().any(|n| n.kind() == ONBUILD_INSTR) {
            return Some(answer(None, None, None, VariableSource::Trigger));
        }
        let Some(probed) = self.probe(range.start()) else {
            // Nothing dispatched the place: a stage the target does not build (or an
            // instruction BuildKit stops before, which says nothing).
            let not_built = self.target_given() && self.stage_at(range.start()).is_some();
            return not_built.then(|| answer(None, None, None, VariableSource::NotBuilt));
        };
        let value = probed.env.get(&name).map(String::from);
        let written = variable.to_string();
        let escape = self.parse().tree().escape_char();
        let (expanded, error) = match stagecraft_syntax::shell::Lexer::new(escape).process_word(&written, &probed.env) {
            Ok(e) => (Some(e.result), None),
            Err(e) => (None, Some(e.message)),
        };
        let source = match variable_source(&probed, &name, value.is_some(), global) {
            // (The global scope's lookup has no entry for a key without a value: its ARG is
            // still where it is declared.)
            VariableSource::Unset if global => {
                let declared =
                    self.global_args().iter().rev().find(|g| g.key == name && g.range.end() <= range.start());
                declared.map_or(VariableSource::Unset, |g| VariableSource::DeclaredGlobal(g.key_range))
            }
            source => source,
        };
        Some(answer(value, expanded, error, source))
    }

    /// A variable in the body of a `COPY` or `ADD` heredoc that BuildKit expands (its word
    /// unquoted): `$NAME` or `${NAME...}` around `offset` in the body token `token`, read as
    /// BuildKit reads the body (the escape character is `\` there). The value it has when the
    /// instruction runs.
    fn heredoc_variable(&self, token: &stagecraft_syntax::SyntaxToken, offset: TextSize) -> Option<VariableValue> {
        // The one the offset is in (or at either end of), as for a variable outside a heredoc.
        let (range, name) =
            heredoc_variables(token).into_iter().find(|(r, _)| r.start() <= offset && offset <= r.end())?;
        let name = name.as_str();
        let probed = self.probe(range.start())?;
        let value = probed.env.get(name).map(String::from);
        let source = variable_source(&probed, name, value.is_some(), false);
        Some(VariableValue { name: name.to_string(), range, value, expanded: None, error: None, source })
    }

    /// Hover on the key of a stage's `ENV` or `ARG`: what the variable holds once the line is
    /// read, and where that value comes from. (A global `ARG`'s key has a hover of its own.)
    fn declaration_hover(&self, offset: TextSize) -> Option<Hover> {
        use crate::engine::Origin;
        const STEPS: &str = "For this stage's build steps from here on, not in the image.";
        let instruction = innermost_instruction(instruction_at(self, offset)?, offset);
        if instruction.syntax().ancestors().any(|n| n.kind() == ONBUILD_INSTR) || self.stage_at(offset).is_none() {
            return None;
        }
        let info = instruction.info_in(self.text());
        let keyword = match info.kind {
            ENV_INSTR => "ENV",
            ARG_INSTR => "ARG",
            _ => return None,
        };
        let pair = info.pairs.iter().find(|p| p.key_range.start() <= offset && offset <= p.key_range.end())?;
        // (Only a key written as it is read: a variable in it has its own hover, and a quoted
        // or escaped one is another name once read.)
        let name = &pair.key;
        let escape = self.parse().tree().escape_char();
        if self.text()[pair.key_range] != **name || name.contains(['"', '\'', '$', escape]) {
            return None;
        }
        let Some(probed) = self.probe(pair.key_range.start()) else {
            // (Or an instruction BuildKit stops before, which says nothing.)
            let markdown = format!(
                "**{keyword}** `{name}`\n\nThis stage is not built for the target, so BuildKit does not read it."
            );
            return self.target_given().then_some(Hover { range: pair.key_range, markdown });
        };
        let value = probed.env.get(name);
        let mut md = match value {
            Some(v) => format!("**{keyword}** `{name}` = {}\n\n", code(v)),
            None => format!("**{keyword}** `{name}`\n\n"),
        };
        md.push_str(&match (keyword, probed.origins.value(name).copied()) {
            ("ENV", _) => "Set from here on in this stage, in the stages built on it, and in the image's containers.".into(),
            (_, Some(Origin::BuildArg(_))) => format!("Given with `--build-arg {name}=...`. {STEPS}"),
            (_, Some(Origin::GlobalArg(r))) => {
                format!("The value of the global `ARG` on line {}. {STEPS}", self.line_of(r.start()))
            }
            (_, Some(Origin::Arg(r))) if r == pair.key_range => format!("Its default. {STEPS}"),
            // (`ARG V` after `ARG V=1`: no value of its own, the earlier one stands.)
            (_, Some(Origin::Arg(r))) => {
                format!("Given no value here: the `ARG` on line {} set it. {STEPS}", self.line_of(r.start()))
            }
            (_, Some(Origin::Builtin)) if value.is_some() => {
                format!("One of BuildKit's automatic platform ARGs (the build's `--platform` sets the `TARGET*` ones). {STEPS}")
            }
            _ => format!(
                "Declared without a value (no default, no `--build-arg`, no global `ARG` of the name with one): `${name}` expands to nothing."
            ),
        });
        Some(Hover { range: pair.key_range, markdown: md })
    }

    /// Markdown for a variable's hover.
    pub fn variable_markdown(&self, v: &VariableValue) -> String {
        let line = |r: &TextRange| self.line_of(r.start());
        // Where a key is, said with its stage when that is not the variable's.
        let place = |r: &TextRange| {
            let at = self.stage_at(r.start());
            match at {
                Some(s) if at != self.stage_at(v.range.start()) => {
                    format!(
                        "line {} (stage `{}`, which this stage is built on)",
                        line(r),
                        self.stages()[s].display_name()
                    )
                }
                _ => format!("line {}", line(r)),
            }
        };
        let mut md = match &v.value {
            Some(value) => format!("**`${}`** = {}", v.name, code(value)),
            None => format!("**`${}`**", v.name),
        };
        md.push_str("\n\n");
        md.push_str(&match &v.source {
            VariableSource::Env(r) => format!("Set by the `ENV` on {}.", place(r)),
            VariableSource::Arg(r) => format!("Set by the `ARG` on {}.", place(r)),
            VariableSource::BuildArg(r) => {
                format!("Given with `--build-arg {}=...` for the `ARG` on {}.", v.name, place(r))
            }
            VariableSource::GlobalArg(r) => format!("The global `ARG` on {}.", place(r)),
            VariableSource::Builtin => {
                "One of BuildKit's automatic platform ARGs (the build's `--platform` sets the `TARGET*` ones).".into()
            }
            VariableSource::DefaultPath => {
                "BuildKit's default `PATH` for a stage on an image; the image's own `ENV` may set another, which stagecraft cannot read.".into()
            }
            VariableSource::Declared => {
                "Declared with `ARG` and given no value (no default, no `--build-arg`): it expands to nothing.".into()
            }
            VariableSource::DeclaredGlobal(r) => format!(
                "Declared by the global `ARG` on {} and given no value (no default, no `--build-arg`): it expands to nothing.",
                place(r)
            ),
            // A global ARG or FROM sees only the global ARGs; a stage, its image's ENV too.
            VariableSource::Unset if self.expansion_scope(v.range.start()) == Some(true) => {
                "No global `ARG` sets it here: it expands to nothing.".into()
            }
            VariableSource::Unset => {
                "Not set here: BuildKit expands it to nothing and reports `UndefinedVar`, unless the base image's `ENV` sets it.".into()
            }
            VariableSource::NotBuilt => {
                "This stage is not built for the target, so BuildKit does not expand it.".into()
            }
            VariableSource::Trigger => {
                "In an `ONBUILD` trigger: each stage built on this one expands it, with that stage's variables.".into()
            }
        });
        let written = &self.text()[v.range];
        if let Some(e) = &v.error {
            md.push_str(&format!("\n\n{} fails here: {e}.", code(written)));
        } else if let Some(e) =
            v.expanded.as_ref().filter(|e| written != format!("${}", v.name) && Some(*e) != v.value.as_ref())
        {
            md.push_str(&format!("\n\n{} expands to {}.", code(written), code(e)));
        }
        md
    }

    /// Markdown describing a stage: base chain, platform, description, dependencies and users.
    pub fn stage_markdown(&self, stage: usize) -> String {
        let s = &self.stages()[stage];
        let mut md = format!("**stage `{}`** · index {}", s.display_name(), s.index);
        if Some(stage) == self.default_target() {
            md.push_str(" · default target");
        }
        // (Unused: no target in play builds it, though other stages may use it.)
        if self.is_unused(stage) {
            match self.targets_in_play() {
                [t] if Some(*t) == self.default_target() => md.push_str(" · not built by the default target"),
                targets => {
                    let names: Vec<String> =
                        targets.iter().map(|&t| format!("`{}`", self.stages()[t].display_name())).collect();
                    md.push_str(&format!(" · not built by the targets in play ({})", names.join(", ")));
                }
            }
        }
        md.push('\n');
        if let Some(d) = &s.description {
            md.push_str(&format!("\n{d}\n"));
        }
        md.push_str(&format!("\nbase chain: {}", self.base_chain(stage)));
        if let Some(p) = &s.platform {
            match &s.platform_expanded {
                Some(e) if e != p => md.push_str(&format!("\n\nplatform: `{p}` → `{e}`")),
                _ => md.push_str(&format!("\n\nplatform: `{p}`")),
            }
        }
        // Entries are listed once each, in order (a set keeps that linear for a stage used
        // thousands of times).
        let mut seen = stagecraft_syntax::hash::Map::default();
        let mut uses: Vec<String> = Vec::new();
        let mut copies: Vec<String> = Vec::new();
        for r in
            self.references().iter().filter(|r| r.in_stage == stage && r.is_dependency() && r.kind != RefKind::From)
        {
            let what = match &r.target {
                RefTarget::Stage(t) => format!("`{}`", self.stages()[*t].display_name()),
                RefTarget::Image(i) => format!("image `{i}`"),
                RefTarget::NamedContext(k) => format!("named context `{k}`"),
                RefTarget::Scratch => "scratch".into(),
                _ => continue,
            };
            let how = match (&r.kind, &r.origin) {
                (_, RefOrigin::Inherited { .. }) => "ONBUILD",
                (RefKind::CopyFrom, _) => "COPY --from",
                _ => "RUN --mount",
            };
            push_unique(&mut uses, &mut seen, format!("{what} ({how}, line {})", r.line));
            if r.kind == RefKind::CopyFrom {
                if let Some(i) = instruction_covering(self, r.instruction_range) {
                    let args = i.info_in(self.text()).args;
                    if args.len() >= 2 {
                        copies.push(format!("`{}` → `{}`", args[..args.len() - 1].join(" "), args[args.len() - 1]));
                    }
                }
            }
        }
        if !uses.is_empty() {
            md.push_str(&format!("\n\ndepends on: {}", capped_list(&uses, ", ")));
        }
        if !copies.is_empty() {
            md.push_str(&format!("\n\ncopies: {}", capped_list(&copies, "; ")));
        }
        seen.clear();
        let mut users: Vec<String> = Vec::new();
        for r in self.references().iter().filter(|r| r.stage() == Some(stage) && r.is_dependency()) {
            let entry = format!("`{}` ({} line {})", self.stages()[r.in_stage].display_name(), r.kind.as_str(), r.line);
            push_unique(&mut users, &mut seen, entry);
        }
        if !users.is_empty() {
            md.push_str(&format!("\n\nused by: {}", capped_list(&users, ", ")));
        }
        let builds = self.target_builds(stage).len();
        let stages = format!("{builds} stage{}", if builds == 1 { "" } else { "s" });
        // Only a command BuildKit takes: `--target` finds the last stage of a name, and a stage
        // without one only as the default target.
        let build = match (&s.name, self.default_target() == Some(stage)) {
            // (Its own name finds a stage: this one or a later one.)
            (Some(name), _) => match self.find_target(name).unwrap_or(stage) {
                t if t == stage => format!("`docker build --target {name}` builds {stages}"),
                t => format!(
                    "not a target: `docker build --target {name}` builds the later stage of that name, on line {}; building this stage takes {stages}",
                    self.stages()[t].line
                ),
            },
            (None, true) => format!("`docker build` (the default target) builds {stages}"),
            (None, false) => format!("not a target (it has no name); building it takes {stages}"),
        };
        md.push_str("\n\n");
        md.push_str(&build);
        if let Some(e) = &self.target_failures()[stage] {
            let message = shortened(&e.message);
            match e.range {
                Some(r) => md.push_str(&format!(", and fails on line {}: {message}", self.line_of(r.start()))),
                None => md.push_str(&format!(", and fails: {message}")),
            }
        }
        md
    }

    /// `release ← build ← golang:1.22` style chain of bases.
    fn base_chain(&self, stage: usize) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(stage);
        let mut guard = 0;
        while let Some(s) = cur {
            guard += 1;
            if guard > self.stages().len() + 1 {
                break;
            }
            let st = &self.stages()[s];
            parts.push(format!("`{}`", st.display_name()));
            cur = match &st.base_kind {
                BaseKind::Stage(b) => Some(*b),
                BaseKind::Image(i) => {
                    parts.push(format!("image `{i}`"));
                    None
                }
                BaseKind::Scratch => {
                    parts.push("scratch".into());
                    None
                }
                BaseKind::Unresolved => {
                    parts.push(format!("`{}` (does not expand)", st.base));
                    None
                }
                BaseKind::NamedContext(k) => {
                    parts.push(format!("named build context `{k}` (it replaces the stage)"));
                    None
                }
                BaseKind::ImageContext(k) => {
                    parts.push(format!("named build context `{k}`"));
                    None
                }
            };
        }
        // A long chain keeps its nearest bases and its root, the middle counted.
        if parts.len() > HOVER_LIST_MAX {
            let more = parts.len() - HOVER_LIST_MAX;
            let root = parts.split_off(parts.len() - 2);
            parts.truncate(HOVER_LIST_MAX - 2);
            parts.push(format!("({more} more)"));
            parts.extend(root);
        }
        parts.join(" ← ")
    }

    /// The outline: global ARGs, then stages with their instructions.
    pub fn outline(&self) -> Vec<OutlineItem> {
        let mut out = Vec::new();
        for a in self.global_args() {
            out.push(OutlineItem {
                name: a.key.clone(),
                detail: a.value_expanded.clone().or_else(|| a.value.clone()).unwrap_or_default(),
                kind: OutlineKind::Arg,
                range: a.range,
                selection: a.key_range,
                children: Vec::new(),
            });
        }
        let mut stages: Vec<OutlineItem> = self
            .stages()
            .iter()
            .map(|s| OutlineItem {
                name: s.display_name(),
                detail: format!("FROM {}", s.base),
                kind: OutlineKind::Stage,
                range: s.range,
                selection: s.name_range.unwrap_or(s.from_range),
                children: Vec::new(),
            })
            .collect();
        // One pass over the instructions, handing each to its stage.
        let mut current: Option<usize> = None;
        for i in self.parse().tree().instructions() {
            let start = i.range().start();
            while current.map_or(0, |c| c + 1) < self.stages().len()
                && self.stages()[current.map_or(0, |c| c + 1)].from_range.start() <= start
            {
                current = Some(current.map_or(0, |c| c + 1));
            }
            let Some(c) = current else { continue };
            if i.range() == self.stages()[c].from_range {
                continue;
            }
            let keyword = i.keyword().unwrap_or_default();
            let keyword_range = i.keyword_range().unwrap_or(i.range());
            // The rest of the instruction's first line, shortened.
            let rest_start = usize::from(keyword_range.end());
            let line_end = self.text()[rest_start..usize::from(i.range().end())]
                .find('\n')
                .map_or(usize::from(i.range().end()), |n| rest_start + n);
            let mut detail =
                self.text()[rest_start..line_end].trim().trim_end_matches(['\\', '`']).trim_end().to_string();
            if detail.len() > 60 {
                let mut cut = 57;
                while !detail.is_char_boundary(cut) {
                    cut -= 1;
                }
                detail.truncate(cut);
                detail.push_str("...");
            }
            stages[c].children.push(OutlineItem {
                name: keyword.to_uppercase(),
                detail,
                kind: OutlineKind::Instruction,
                range: i.range(),
                selection: keyword_range,
                children: Vec::new(),
            });
        }
        out.extend(stages);
        out
    }

    /// Folding: each stage, each multi-line instruction and heredoc, each comment block.
    pub fn folds(&self) -> Vec<Fold> {
        let index = self.line_index();
        let line = |o: TextSize| index.line_col(o).line;
        let end_line = |r: TextRange| {
            let end = if r.end() > r.start() { r.end() - TextSize::new(1) } else { r.end() };
            line(end)
        };
        let mut out = Vec::new();
        for s in self.stages() {
            let (a, b) = (line(s.range.start()), end_line(s.range));
            if b > a {
                out.push(Fold { start_line: a, end_line: b, comment: false });
            }
        }
        for i in self.parse().tree().instructions() {
            let (a, b) = (line(i.range().start()), end_line(i.range()));
            if b > a {
                out.push(Fold { start_line: a, end_line: b, comment: false });
            }
        }
        // Runs of comment lines.
        let mut run: Option<(u32, u32)> = None;
        for l in 0..index.line_count() {
            let Some(r) = index.line_range(l, self.text()) else { continue };
            let is_comment = stagecraft_syntax::is_comment_line(&self.text()[r]);
            run = match (run, is_comment) {
                (Some((a, _)), true) => Some((a, l)),
                (None, true) => Some((l, l)),
                (Some((a, b)), false) => {
                    if b > a {
                        out.push(Fold { start_line: a, end_line: b, comment: true });
                    }
                    None
                }
                (None, false) => None,
            };
        }
        if let Some((a, b)) = run {
            if b > a {
                out.push(Fold { start_line: a, end_line: b, comment: true });
            }
        }
        sort::sort_by_key(&mut out, |f| (f.start_line, std::cmp::Reverse(f.end_line)));
        out.dedup();
        out
    }

    /// Inlay hints: expanded ARG values in FROM and `--platform`, stage names behind numeric
    /// `--from`.
    pub fn inlay_hints(&self) -> Vec<InlayHint> {
        let mut out = Vec::new();
        for s in self.stages() {
            if let (Some(range), Some(expanded)) = (s.base_range, &s.base_expanded) {
                if expanded != &s.base {
                    out.push(InlayHint {
                        offset: range.end(),
                        label: format!("= {expanded}"),
                        tooltip: format!("`{}` expands to `{expanded}` with the global ARGs (their defaults, or the build args given)", s.base),
                    });
                }
            }
            if let (Some(range), Some(raw), Some(expanded)) = (s.platform_range, &s.platform, &s.platform_expanded) {
                if raw != expanded {
                    out.push(InlayHint {
                        offset: range.end(),
                        label: format!("= {expanded}"),
                        tooltip: format!("`{raw}` expands to `{expanded}`"),
                    });
                }
            }
        }
        for r in self.references() {
            if r.kind == RefKind::CopyFrom
                && r.value.parse::<i64>().is_ok()
                && !matches!(r.origin, RefOrigin::Inherited { .. })
            {
                if let Some(t) = r.stage() {
                    let name = self.stages()[t].display_name();
                    out.push(InlayHint {
                        offset: r.range.end(),
                        label: format!("({name})"),
                        tooltip: format!("`--from={}` is stage {t}, `{name}`", r.value),
                    });
                }
            }
        }
        sort::sort_by_key(&mut out, |h| h.offset);
        out
    }

    /// Classified ranges for syntax highlighting that knows about stages.
    pub fn semantic_tokens(&self) -> Vec<SemanticToken> {
        let mut out: Vec<SemanticToken> = Vec::new();
        let mut stage_ranges: Vec<(TextRange, TokenType, bool)> = Vec::new();
        for s in self.stages() {
            if let Some(r) = s.name_range {
                stage_ranges.push((r, TokenType::StageDefinition, self.is_unused(s.index)));
            }
        }
        for r in self.references() {
            if matches!(r.origin, RefOrigin::Inherited { .. }) || r.range.is_empty() {
                continue;
            }
            let ty = match &r.target {
                // (A trigger's name that no stage here runs: most likely a stage of the
                // Dockerfiles built on this image, where it runs.)
                RefTarget::Stage(_) | RefTarget::NotRunHere => TokenType::StageReference,
                RefTarget::Image(_) | RefTarget::Scratch | RefTarget::NamedContext(_) => TokenType::Image,
                _ => continue,
            };
            // An image named through variables (`${BASE}-${VARIANT}`): its variables are
            // variables, the text around them the image.
            if ty == TokenType::Image && self.text()[r.range].contains('$') {
                // (Down to the image's word by its range, which rowan finds in a binary search;
                // from an offset, rowan scans the file's top-level nodes.)
                let covering = self.parse().syntax_node().covering_element(r.range);
                let tokens = covering.as_node().into_iter().flat_map(|n| n.descendants_with_tokens());
                for t in tokens.chain(Some(covering.clone())).filter_map(|e| e.into_token()) {
                    if !matches!(t.kind(), DOLLAR | L_CURLY | R_CURLY | VAR_NAME | VAR_OP) {
                        if let Some(piece) = t.text_range().intersect(r.range).filter(|p| !p.is_empty()) {
                            stage_ranges.push((piece, ty, false));
                        }
                    }
                }
                continue;
            }
            stage_ranges.push((r.range, ty, false));
        }
        // Tokens come in file order: sweep the stage ranges by start, keeping the furthest end of
        // those that start at or before the token; it is covered when that end reaches its end.
        sort::sort_by_key(&mut stage_ranges, |(r, _, _)| r.start());
        let (mut next, mut reach) = (0, None::<TextSize>);
        let mut covered = |range: TextRange| {
            while let Some((r, _, _)) = stage_ranges.get(next).filter(|(r, _, _)| r.start() <= range.start()) {
                reach = reach.max(Some(r.end()));
                next += 1;
            }
            reach.is_some_and(|end| range.end() <= end)
        };
        // The variable reference the last variable token belongs to (see below).
        let mut variable = None;
        for e in self.parse().syntax_node().descendants_with_tokens() {
            let Some(t) = e.into_token() else { continue };
            let ty = match t.kind() {
                KEYWORD => TokenType::Keyword,
                AS_KW => TokenType::Operator,
                COMMENT => TokenType::Comment,
                HASH | DIRECTIVE_NAME | DIRECTIVE_VALUE => TokenType::Directive,
                FLAG_NAME => TokenType::Flag,
                DOLLAR | L_CURLY | R_CURLY | VAR_NAME | VAR_OP => TokenType::Variable,
                JSON_STRING => TokenType::String,
                HEREDOC_MARKER | HEREDOC_END => TokenType::String,
                _ => continue,
            };
            let mut range = t.text_range();
            if t.kind() == HEREDOC_END {
                // `<<-` strips the closing word's leading tabs: they are no part of it.
                let tabs = t.text().len() - t.text().trim_start_matches('\t').len();
                range = TextRange::new(range.start() + TextSize::new(tabs as u32), range.end());
            }
            if !range.is_empty() && !covered(range) {
                // A reference is one variable token, not four (`$`, `{`, `NAME`, `}`): pieces
                // of one reference that touch are joined. (`${A:-b}` stays `${A:-` and `}`
                // around the word, `$A$B` two variables.)
                if ty == TokenType::Variable {
                    let parent = t.parent();
                    let last = out.last_mut().filter(|l| l.ty == ty && l.range.end() == range.start());
                    if let Some(last) = last.filter(|_| parent.is_some() && parent == variable) {
                        last.range = last.range.cover(range);
                        continue;
                    }
                    variable = parent;
                }
                out.push(SemanticToken { range, ty, unused: false });
            }
        }
        for (range, ty, unused) in stage_ranges {
            out.push(SemanticToken { range, ty, unused });
        }
        sort::sort_by_key(&mut out, |t| t.range.start());
        // Overlaps cannot be encoded; keep the first of any overlapping pair.
        let mut result: Vec<SemanticToken> = Vec::new();
        for t in out {
            if result.last().is_none_or(|l| l.range.end() <= t.range.start()) {
                result.push(t);
            }
        }
        result
    }

    /// The ranges an editor's "expand selection" steps through at `offset`, innermost first,
    /// each strictly containing the one before: the word under the cursor when the token holds
    /// several (a shell command, a comment), a quoted string's contents, the token, every
    /// syntax node around it (a mount option, the flag, the instruction), the instruction's
    /// stage (its `FROM` to its last instruction), and the whole file.
    pub fn selection_ranges(&self, offset: TextSize) -> Vec<TextRange> {
        debug_assert!({
            let root = self.parse().syntax_node();
            let o = TextSize::new(floor_char_boundary(self.text(), offset) as u32).min(root.text_range().end());
            format!("{:?}", tokens_at(&root, o)) == format!("{:?}", root.token_at_offset(o))
        });
        let root = self.parse().syntax_node();
        let offset = TextSize::new(floor_char_boundary(self.text(), offset) as u32);
        let token = match tokens_at(&root, offset) {
            TokenAtOffset::None => None,
            TokenAtOffset::Single(t) => Some(t),
            // Between two tokens: the one that is not blank, then the one that goes on in a
            // letter or digit (`from=b|,` is on `b`), else the right one.
            TokenAtOffset::Between(l, r) => {
                let wordy = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
                let take_left = match (l.kind().is_trivia(), r.kind().is_trivia()) {
                    (false, true) => true,
                    (true, false) => false,
                    _ => wordy(l.text().chars().next_back()) && !wordy(r.text().chars().next()),
                };
                Some(if take_left { l } else { r })
            }
        };
        let mut out: Vec<TextRange> = Vec::new();
        // Only ranges that grow: each step must contain the one before and be larger.
        let push = |out: &mut Vec<TextRange>, r: TextRange| {
            if out.last().is_none_or(|last| r != *last && r.contains_range(*last)) {
                out.push(r);
            }
        };
        if let Some(token) = token {
            let (range, text) = (token.text_range(), token.text());
            let at = usize::from(offset - range.start()).min(text.len());
            if !matches!(token.kind(), WHITESPACE | NEWLINE) {
                // The blank-separated word around the cursor, and a quoted word's contents.
                let start = after_last(&text[..at], char::is_whitespace);
                let end = text[at..].find(char::is_whitespace).map_or(text.len(), |i| at + i);
                if start < end {
                    let word = range_in(range, start, end);
                    let w = &text[start..end];
                    let quoted = w.len() >= 2 && ["\"", "'"].iter().any(|q| w.starts_with(q) && w.ends_with(q));
                    if quoted && start < at && at < end {
                        push(&mut out, range_in(range, start + 1, end - 1));
                    }
                    push(&mut out, word);
                }
            }
            push(&mut out, range);
            for node in token.parent_ancestors().filter(|n| n.parent().is_some()) {
                push(&mut out, node.text_range());
            }
            if let Some(s) = self.stage_at(offset) {
                push(&mut out, self.stages()[s].range);
            }
        }
        push(&mut out, root.text_range());
        out
    }

    /// The stage whose lines contain `offset`.
    pub fn stage_at(&self, offset: TextSize) -> Option<usize> {
        // Stages are in file order.
        self.stages().partition_point(|s| s.from_range.start() <= offset).checked_sub(1)
    }

    /// For each stage, the failure `docker build --target` = that stage meets, as far as this
    /// analysis can tell.
    ///
    /// A failure before BuildKit dispatches any stage (a parse or instruction error, a cycle of
    /// stages, a stage name that is no image reference: BuildKit reads every stage for those)
    /// fails every target. One in a stage's dispatch, or in an ONBUILD trigger a stage runs
    /// (BuildKit parses those only for the stages a target needs; the failure is at that stage's
    /// `FROM`), fails each target that builds that stage. So does a reference through a base's
    /// ONBUILD trigger to a stage defined after the stage that runs it, which this analysis did
    /// not dispatch where its build does not need that stage: BuildKit has not built the named
    /// stage yet when the trigger runs. Where a target builds several failing stages, the first
    /// fails it. `None` for a target that builds no stage known to fail (the analysis stops at
    /// the first failure, so a stage after it may fail too: it cannot say the build succeeds),
    /// and for the lint failure of `# check=error=true`, which depends on what the build lints.
    /// Linear: one walk back over who depends on whom, from the failing stages in file order.
    pub fn target_failures(&self) -> Vec<Option<TargetFailure<'_>>> {
        let n = self.stages().len();
        // (stage, its failure): the build's own, and the triggers'.
        let mut failing: Vec<(usize, TargetFailure<'_>)> = Vec::new();
        if let Some(e) = self.build_error() {
            let at = e.range.and_then(|r| Some((r, self.stage_at(r.start())?)));
            let failure = TargetFailure { message: std::borrow::Cow::Borrowed(e.message.as_str()), range: e.range };
            match (e.phase, at) {
                ("dispatch", Some((_, s))) => failing.push((s, failure)),
                ("resolve-stages", Some((r, s))) if self.stages()[s].from_range == r => failing.push((s, failure)),
                ("dispatch" | "lint", _) => {}
                _ => return vec![Some(failure); n],
            }
        }
        // What the triggers of a stage this build does not need would fail, found as that
        // stage's warnings of ours (BuildKit reads them in a build that needs it): its
        // references (`toCommand`) and the images they name.
        let trigger_failures =
            ["invalid-from", "variable-in-from", "stage-index-out-of-range", "invalid-image-reference"];
        for d in self.diagnostics() {
            if d.trigger.is_some() && !d.buildkit_reports && trigger_failures.contains(&d.code.as_str()) {
                if let Some(s) = self.stage_at(d.range.start()).filter(|&s| self.stages()[s].from_range == d.range) {
                    failing.push((
                        s,
                        TargetFailure { message: std::borrow::Cow::Borrowed(d.message.as_str()), range: Some(d.range) },
                    ));
                }
            }
        }
        // (A stage a named build context replaces is loaded before any is built.)
        let replaced = |t: usize| self.stages()[t].is_replaced();
        for r in self.references() {
            let RefOrigin::Inherited { trigger_range } = r.origin else { continue };
            if r.stage().is_some_and(|t| t > r.in_stage && !replaced(t)) {
                let message = self.trigger_forward_failure(r, trigger_range);
                failing.push((r.in_stage, TargetFailure { message: message.into(), range: Some(r.range) }));
            }
        }
        // The first failure in each stage: a trigger's runs at the FROM, before the stage's own
        // instructions (stable: the build's own first where both are at one place).
        sort::sort_by_key(&mut failing, |(s, f)| (*s, f.range.map(|r| r.start())));
        failing.dedup_by_key(|(s, _)| *s);
        // The first failing stage a target builds is where its build fails: from each failing
        // stage in file order, over the stages that use it, to those no earlier one reached (a
        // stage reached already has what it reaches too). Linear.
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (s, deps) in self.reach.direct.iter().enumerate() {
            for &d in deps.iter().filter(|&&d| d < n) {
                users[d].push(s);
            }
        }
        let mut out: Vec<Option<TargetFailure<'_>>> = vec![None; n];
        for (s, failure) in failing {
            if out[s].is_some() {
                continue;
            }
            let mut stack = vec![s];
            out[s] = Some(failure.clone());
            while let Some(v) = stack.pop() {
                for &u in &users[v] {
                    if out[u].is_none() {
                        out[u] = Some(failure.clone());
                        stack.push(u);
                    }
                }
            }
        }
        out
    }

    /// BuildKit's error where a stage runs a base's ONBUILD trigger whose reference `r` names a
    /// stage defined after it (`dispatchCopy` and `dispatchRunMounts` find it not dispatched).
    fn trigger_forward_failure(&self, r: &StageRef, trigger_range: TextRange) -> String {
        let current = self.stages()[r.in_stage].display_name();
        let (RefKind::MountFrom { mount_index, .. } | RefKind::MountImplicitScratch { mount_index, .. }) = r.kind
        else {
            return crate::engine::copy_forward_message(&r.value, &current);
        };
        // The mount's target as written in the trigger (BuildKit names it expanded, where it
        // holds a variable): the flag around the reference, else the RUN's mount of that index.
        let root = self.parse().syntax_node();
        let covering = root.covering_element(trigger_range);
        let around = covering.ancestors().find_map(stagecraft_syntax::ast::Flag::cast);
        let in_trigger = covering.as_node().into_iter().flat_map(|n| n.descendants());
        let mut mounts = in_trigger.filter_map(stagecraft_syntax::ast::Flag::cast).filter(|f| f.is("mount"));
        let flag = around.or_else(|| mounts.nth(mount_index));
        let fields = flag.and_then(|f| crate::instructions::csv_fields(&f.value()?).ok()).unwrap_or_default();
        let target = crate::engine::mount_field(&fields, crate::engine::MOUNT_TARGET_KEYS).unwrap_or_default();
        // (A cache mount without `from=` is from `scratch`, a stage where one has that name.)
        let from = if r.value.is_empty() { "scratch" } else { r.value.as_str() };
        crate::engine::mount_forward_message(from, target)
    }

    /// What a finding rests on that stagecraft cannot see, said in a note, or, for a finding in
    /// an `ONBUILD` trigger, where the trigger is.
    ///
    /// - A trigger's finding is at the `FROM` of the stage that runs it, where BuildKit reports
    ///   it; the note names the trigger's line.
    /// - The file asks for another frontend than Docker's (`# syntax=` names an image other than
    ///   `docker/dockerfile` or `docker/dockerfile-upstream`): BuildKit builds it with that
    ///   frontend, whose grammar may differ. stagecraft reads it as Docker's frontend does, as
    ///   the oracle does; its errors say so.
    /// - BuildKit reads each base image's config (its `ENV`, its OS) before it dispatches a stage;
    ///   stagecraft reads none, and checks as BuildKit does with an image that sets nothing, as
    ///   the oracle does. On a stage built on an image, `UndefinedVar` says the image's `ENV` may
    ///   set the variable, and `WorkdirRelativePath` for a path that is absolute on Windows
    ///   (`C:\app`, `\app`), when no `--platform` (the stage's, or the build's in
    ///   [`Options::platform`]) says which OS the stage is for, that the image may be a Windows
    ///   one.
    /// - `InvalidDefaultArgInFrom` words every base that is no image name as if ARGs made it so;
    ///   where the base has no variable, the note says it is the name as written.
    /// - An unknown instruction after a line that ends in the escape character the file does not
    ///   have (a `\` under `# escape=\``, a `` ` `` without it) was most often meant to continue
    ///   it: the note says so (native builds).
    ///
    /// Other findings, and stages on `scratch`, get none.
    pub fn note(&self, d: &Diagnostic) -> Option<String> {
        if let Some(t) = d.trigger {
            let line = self.line_index().line_col(t.start()).line + 1;
            return Some(format!(
                "in the base stage's ONBUILD trigger on line {line}, which BuildKit runs in this stage and reports here"
            ));
        }
        // (A rule's finding made an error by `# check=error=true` keeps its own note.)
        if let Some(frontend) = self.other_frontend().filter(|_| d.severity == Severity::Error) {
            return Some(format!(
                "`# syntax=` asks for the frontend `{frontend}`, not Docker's Dockerfile frontend: stagecraft reads the file as Docker's does, and `{frontend}` may accept this"
            ));
        }
        if d.code == "InvalidDefaultArgInFrom" {
            // BuildKit words every base that is no image name with its ARGs' defaults so, ARGs
            // or not.
            let s = self.stage_at(d.range.start())?;
            let base = &self.stages()[s].base;
            return (!base.contains('$'))
                .then(|| format!("no ARG is in `{base}`: it is no valid image name as written (see the error on it)"));
        }
        if d.code == "InvalidBaseImagePlatform" {
            let st = &self.stages()[self.stage_at(d.range.start())?];
            let image = st.base_expanded.as_deref()?;
            let asked = st.platform_expanded.as_deref()?;
            let made_for = if self.platform_given { "linux/amd64 and for the build's platform" } else { "linux/amd64" };
            return Some(format!(
                "stagecraft does not read image configs, and checks as with an image made for {made_for} only: if image `{image}` is published for {asked} too (most official images are), BuildKit pulls that one and does not report this"
            ));
        }
        #[cfg(feature = "build-failures")]
        if d.code == "unknown-instruction" {
            if let Some(note) = self.other_escape_note(d) {
                return Some(note);
            }
        }
        self.unread_image_note(d)
    }

    /// An unknown instruction on a line after one that ends in the escape character the file
    /// does not have (a `\` under `# escape=\``, a `` ` `` without it): the line was most often
    /// meant to continue that one. (Native builds.)
    #[cfg(feature = "build-failures")]
    fn other_escape_note(&self, d: &Diagnostic) -> Option<String> {
        let line = self.line_index().line_col(d.range.start()).line;
        let before = self.line_index().line_range(line.checked_sub(1)?, self.text())?;
        let last = self.text()[before].trim_end_matches([' ', '\t']).chars().last()?;
        let directive = self.parse().tree().directives().find(|x| x.name().as_deref() == Some("escape"));
        match (self.parse().tree().escape_char(), last) {
            ('`', '\\') => {
                let at = directive.map(|x| format!(" on line {}", self.line_of(x.syntax().text_range().start())));
                Some(format!(
                    "the line before ends in `\\`, which continues no line here: the `# escape=` directive{} makes the backtick the escape character; end that line with a backtick instead, or remove the directive",
                    at.unwrap_or_default()
                ))
            }
            ('\\', '`') => Some(
                "the line before ends in a backtick, which continues a line only in a file whose first line is the directive `# escape=` with a backtick (as Windows Dockerfiles have it); here the escape character is `\\`".into(),
            ),
            _ => None,
        }
    }

    /// The note of an `UndefinedVar` or `WorkdirRelativePath` that rests on the config of the
    /// image a stage is on, which stagecraft does not read (see [`Analysis::note`]).
    fn unread_image_note(&self, d: &Diagnostic) -> Option<String> {
        if d.code != "UndefinedVar" && d.code != "WorkdirRelativePath" {
            return None;
        }
        // The stage the finding is in, then down its bases to the first stage on an image:
        // a stage on a stage has its base's image and platform.
        let mut s = self.stage_at(d.range.start())?;
        while let BaseKind::Stage(b) = self.stages()[s].base_kind {
            if b >= s {
                return None;
            }
            s = b;
        }
        let root = &self.stages()[s];
        // An image that does not parse fails the build before any of this. (Validated again
        // here, once per note: only these two kinds of finding get this far.)
        let image = match &root.base_kind {
            BaseKind::Image(image) if crate::reference::parse_normalized_named(image).is_ok() => image,
            _ => return None,
        };
        let pre = "stagecraft does not read image configs: if image";
        // The variable and the path are read back from the engine's messages (BuildKit's
        // wording; the test `findings_that_rest_on_an_unread_image_config_say_so` pins both).
        match d.code.as_str() {
            "UndefinedVar" => {
                let name = d.message.split_once("'$")?.1.split_once('\'')?.0;
                Some(format!("{pre} `{image}` sets {name} in its ENV, BuildKit finds it and does not report this"))
            }
            "WorkdirRelativePath" if root.platform_expanded.is_none() && !self.platform_given => {
                // The path, Go-quoted in the message.
                let rest = d.message.split_once('"')?.1;
                let quoted = rest.strip_suffix("\" can have unexpected results if the base image changes")?;
                let path = quoted.replace("\\\\", "\\");
                crate::engine::is_abs(&path, true).then(|| {
                    format!(
                        "{pre} `{image}` is a Windows image, this path is absolute and BuildKit does not report this"
                    )
                })
            }
            _ => None,
        }
    }

    /// An undefined variable's fix in a stage on an image (its note says the image may set the
    /// variable) is offered on request only, never by `check --fix --unsafe-fixes`: the image
    /// may well set the name asked for, and the nearest name is then a wrong guess (`WORKDIR
    /// $GOPATH/src` on golang's image became `$PATH/src`, `"${HOME}/work"` on Jupyter's became
    /// `"${HOST}/work"`: found by QA runs on real files). On `scratch` it stays unsafe.
    /// (Native builds: the browser applies no fixes in bulk.)
    #[cfg(feature = "build-failures")]
    pub(crate) fn fixes_on_request_where_the_image_may_set(&mut self) {
        for i in 0..self.diagnostics.len() {
            let d = &self.diagnostics[i];
            if d.code == "UndefinedVar" && d.fix.is_some() && self.unread_image_note(d).is_some() {
                if let Some(fix) = &mut self.diagnostics[i].fix {
                    fix.applicability = crate::Applicability::Manual;
                }
            }
        }
    }

    /// The `# syntax=` frontend, when it is not Docker's Dockerfile frontend.
    pub fn other_frontend(&self) -> Option<String> {
        let d = self.syntax_directive()?;
        let (domain, path) = crate::links::repository(&d.first_word);
        let docker =
            domain == "docker.io" && matches!(path.as_str(), "docker/dockerfile" | "docker/dockerfile-upstream");
        (!docker && !d.first_word.is_empty()).then(|| d.first_word.clone())
    }

    /// The message, and on a second line [`Analysis::note`] if there is one: for editors and
    /// formats with no place of their own for the note.
    pub fn message_with_note(&self, d: &Diagnostic) -> String {
        match self.note(d) {
            Some(note) => format!("{}\n{note}", d.message),
            None => d.message.clone(),
        }
    }
}

/// The most characters of one word (a run without blanks) a message shows: messages quote what
/// the file writes, and a value may be a megabyte long. (A path is seldom near it.)
const WORD_CHARS: usize = 200;

/// `text` with each word longer than [`WORD_CHARS`] characters cut to its first 120 and last 40
/// characters around a `…`, so that a quoted value keeps its quotes and what follows it. For
/// the reports meant to be read (and editors' popups); data formats keep the whole message.
pub fn shortened(text: &str) -> std::borrow::Cow<'_, str> {
    const HEAD: usize = 120;
    const TAIL: usize = 40;
    let words = || text.split(char::is_whitespace);
    if words().all(|w| w.len() <= WORD_CHARS || w.chars().nth(WORD_CHARS).is_none()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(4096));
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        match (word.char_indices().nth(HEAD), word.char_indices().nth(WORD_CHARS)) {
            (Some((head, _)), Some(_)) => {
                let tail = word.char_indices().rev().nth(TAIL - 1).map_or(head, |(i, _)| i);
                out.push_str(&word[..head]);
                out.push('…');
                out.push_str(&word[tail..]);
            }
            _ => out.push_str(word),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// `offset` clamped to the text and moved back to the start of the character it falls in.
fn floor_char_boundary(text: &str, offset: TextSize) -> usize {
    let mut o = usize::from(offset).min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

/// `start..end` of a token's text as a range in the file.
fn range_in(token: TextRange, start: usize, end: usize) -> TextRange {
    TextRange::new(token.start() + TextSize::new(start as u32), token.start() + TextSize::new(end as u32))
}

/// Where the text after the last character of `s` that `stop` takes begins (0 without one). A
/// blank may be more than one byte (U+2005 is three).
fn after_last(s: &str, stop: impl FnMut(char) -> bool) -> usize {
    s.rfind(stop).map_or(0, |i| i + blank_len(&s[i..]))
}

/// The length of the blank character `s` starts with.
fn blank_len(s: &str) -> usize {
    s.chars().next().map_or(1, char::len_utf8)
}

fn instruction_covering(a: &Analysis, range: TextRange) -> Option<Instruction> {
    a.parse().syntax_node().covering_element(range).ancestors().find_map(Instruction::cast)
}

/// The top-level instruction containing `offset`.
fn instruction_at(a: &Analysis, offset: TextSize) -> Option<Instruction> {
    a.parse().tree().instructions().find(|i| i.range().start() <= offset && offset <= i.range().end())
}

/// The trigger of an ONBUILD at `offset` (however deep), else `i`.
fn innermost_instruction(mut i: Instruction, offset: TextSize) -> Instruction {
    while let Some(inner) = i
        .syntax()
        .children()
        .filter_map(Instruction::cast)
        .find(|t| t.range().start() <= offset && offset <= t.range().end())
    {
        i = inner;
    }
    i
}

/// Whether a word starting at `at` comes before the instruction's first argument: only its
/// keyword, flags, blanks, line continuations and comments stand before it.
fn before_arguments(i: &Instruction, at: TextSize) -> bool {
    i.syntax().children_with_tokens().take_while(|e| e.text_range().start() < at).all(|e| {
        matches!(
            e.kind(),
            KEYWORD | WHITESPACE | NEWLINE | LINE_CONTINUATION | CONTINUATION_WHITESPACE | COMMENT | FLAG
        )
    })
}

/// Whether `offset` is inside a comment (or at its end).
fn in_comment(a: &Analysis, offset: TextSize) -> bool {
    let root = a.parse().syntax_node();
    if offset > root.text_range().end() {
        return false;
    }
    match root.token_at_offset(offset) {
        TokenAtOffset::None => false,
        TokenAtOffset::Single(t) => t.kind() == COMMENT && t.text_range().start() < offset,
        TokenAtOffset::Between(l, r) => l.kind() == COMMENT || (r.kind() == COMMENT && r.text_range().start() < offset),
    }
}

/// Whether `offset` sits on a line that continues an instruction from an earlier line.
fn is_continuation_line(a: &Analysis, offset: TextSize) -> bool {
    let Some(i) = instruction_at(a, offset) else {
        // After an instruction that ends in a line continuation at the end of the file (its
        // tree ends there), blank lines, comment lines and the cursor's line continue it.
        let before = &a.text()[..floor_char_boundary(a.text(), offset)];
        let last = a.parse().tree().instructions().take_while(|i| usize::from(i.range().end()) <= before.len()).last();
        let mut token = last.as_ref().and_then(|i| i.syntax().last_token());
        // (Comment lines in it are skipped, as BuildKit skips them.)
        while let Some(t) =
            token.as_ref().filter(|t| matches!(t.kind(), NEWLINE | WHITESPACE | CONTINUATION_WHITESPACE | COMMENT))
        {
            token = t.prev_token();
        }
        let continued = token.is_some_and(|t| t.kind() == LINE_CONTINUATION);
        let end = last.map_or(0, |i| usize::from(i.range().end()));
        return continued && before[end..].bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    };
    let index = a.line_index();
    index.line_col(i.range().start()).line < index.line_col(offset).line
}

/// The flags an instruction takes (BuildKit's, stable and labs), each with what it does.
fn instruction_flags(keyword: &str) -> &'static [(&'static str, &'static str)] {
    match keyword {
        "FROM" => &[("platform", "the platform to build for, e.g. $BUILDPLATFORM")],
        "COPY" => &[
            ("from", "copy from a stage, an image or a build context"),
            ("chown", "owner of the copied files"),
            ("chmod", "mode of the copied files"),
            ("link", "copy into an independent layer"),
            ("parents", "keep parent directories of sources"),
            ("exclude", "paths to leave out"),
        ],
        "ADD" => &[
            ("chown", "owner of the added files"),
            ("chmod", "mode of the added files"),
            ("link", "add into an independent layer"),
            ("checksum", "verify a remote source"),
            ("keep-git-dir", "keep the .git directory of a Git source"),
            ("unpack", "extract archives"),
            ("exclude", "paths to leave out"),
        ],
        "RUN" => &[
            ("mount", "mount a cache, a bind from a stage or the context, a secret, an SSH agent or a tmpfs"),
            ("network", "default, none or host"),
            ("security", "sandbox or insecure"),
            ("device", "a CDI device (the labs frontend only: `# syntax=docker/dockerfile:1-labs`)"),
        ],
        "HEALTHCHECK" => &[
            ("interval", "time between checks"),
            ("timeout", "time a check may take"),
            ("start-period", "grace period after start"),
            ("start-interval", "time between checks during the start period"),
            ("retries", "failures before unhealthy"),
        ],
        _ => &[],
    }
}

/// The Dockerfile reference's section on an instruction.
fn reference_url(keyword: &str) -> String {
    let anchor = keyword.to_ascii_lowercase();
    // The deprecated instruction's heading says so.
    let suffix = if anchor == "maintainer" { "-deprecated" } else { "" };
    format!("https://docs.docker.com/reference/dockerfile/#{anchor}{suffix}")
}

fn keyword_summary(k: &str) -> &'static str {
    match k {
        "FROM" => "start a stage from an image or an earlier stage",
        "RUN" => "run a command",
        "COPY" => "copy files from the context, a stage or an image",
        "ADD" => "add files, URLs or Git repositories",
        "ARG" => "declare a build argument",
        "ENV" => "set an environment variable",
        "WORKDIR" => "set the working directory",
        "USER" => "set the user",
        "CMD" => "default command of the image",
        "ENTRYPOINT" => "entry point of the image",
        "EXPOSE" => "document a port",
        "LABEL" => "add metadata",
        "VOLUME" => "declare a volume",
        "SHELL" => "set the shell for shell-form commands",
        "HEALTHCHECK" => "check the container's health",
        "STOPSIGNAL" => "signal that stops the container",
        "ONBUILD" => "run an instruction in images built on this one",
        "MAINTAINER" => "deprecated: use LABEL",
        _ => "",
    }
}

/// The values of an instruction's flag that takes one of a few: `FROM --platform=` the build's
/// platform ARG (BuildKit's FromPlatformFlagConstDisallowed warns of a constant), `RUN --network=` and
/// `RUN --security=` their modes.
fn flag_value_completions(keyword: &str, flag: &str, replace: TextRange) -> Vec<Completion> {
    let values: &[(&str, &str)] = match (keyword, flag) {
        ("FROM", "platform") => &[
            // (Not `$TARGETPLATFORM`: the default, which BuildKit's RedundantTargetPlatform
            // says is redundant.)
            ("$BUILDPLATFORM", "the platform of the machine that builds (a stage of build tools)"),
        ],
        ("RUN", "network") => &[
            ("default", "the build's network (the default)"),
            ("none", "no network access"),
            ("host", "the host's network (needs the network.host entitlement)"),
        ],
        ("RUN", "security") => &[
            ("sandbox", "the default sandbox"),
            ("insecure", "without the sandbox (needs the security.insecure entitlement)"),
        ],
        _ => &[],
    };
    let kind = if flag == "platform" { CompletionKind::Variable } else { CompletionKind::FlagValue };
    values
        .iter()
        .map(|(value, doc)| Completion {
            label: value.to_string(),
            kind,
            detail: Some(doc.to_string()),
            documentation: None,
            insert: value.to_string(),
            replace,
        })
        .collect()
}

/// Completions inside `RUN --mount=` (`written`: the flag's value up to the cursor, lower
/// case): the types after `type=`, the sharing modes after `sharing=`, and where a key starts
/// the keys BuildKit's `parseMount` takes for the mount's type (`bind` unless a `type=` said
/// otherwise) that are not there yet, before the cursor or after it (`after`: the rest of the
/// flag, lower case).
fn mount_completions(written: &str, after: &str, replace: TextRange, next: Option<char>) -> Vec<Completion> {
    let fields: Vec<&str> = written.split(',').collect();
    // The fields after the cursor's own.
    let later: Vec<&str> = after.split(',').skip(1).collect();
    let current = fields.last().copied().unwrap_or_default();
    let item = |label: &str, doc: &str, kind: CompletionKind, insert: String| Completion {
        label: label.to_string(),
        kind,
        detail: Some(doc.to_string()),
        documentation: None,
        insert,
        replace,
    };
    let values: &[&str] = match current.split_once('=') {
        Some(("type", _)) => &crate::engine::MOUNT_TYPES,
        Some(("sharing", _)) => &crate::engine::MOUNT_SHARING,
        Some(_) => return Vec::new(),
        None => &[],
    };
    if current.contains('=') {
        return values
            .iter()
            .map(|&v| item(v, mount_value_doc(v), CompletionKind::MountValue, v.to_string()))
            .collect();
    }
    let others = || fields[..fields.len() - 1].iter().chain(&later);
    // (BuildKit takes the last `type=`.)
    let typ = others().filter_map(|f| f.strip_prefix("type=")).next_back().unwrap_or("bind");
    let keys: &[&str] = match typ {
        "cache" => &["type", "target", "id", "sharing", "from", "source", "mode", "uid", "gid", "readonly"],
        "tmpfs" => &["type", "target", "size"],
        "secret" => &["type", "id", "target", "env", "required", "mode", "uid", "gid"],
        "ssh" => &["type", "id", "target", "required", "mode", "uid", "gid"],
        _ => &["type", "target", "source", "from", "readwrite"],
    };
    let given = |k: &str| others().any(|f| f.split('=').next() == Some(k));
    keys.iter()
        .filter(|k| !given(k))
        .map(|&k| {
            let doc = mount_key_doc(k);
            let flag = matches!(k, "readwrite" | "readonly" | "required");
            let insert = if flag || next == Some('=') { k.to_string() } else { format!("{k}=") };
            item(k, doc, CompletionKind::MountKey, insert)
        })
        .collect()
}

/// What a `--mount` key says, for its completion and hover (empty for a key BuildKit does not
/// take).
fn mount_key_doc(key: &str) -> &'static str {
    match key {
        "type" => "bind, cache, tmpfs, secret or ssh",
        "target" | "dst" | "destination" => "where it is mounted",
        "source" | "src" => "the path in `from` (its root by default)",
        "from" => "the stage, image or context to mount from",
        "readwrite" | "rw" => "writable (its changes are dropped)",
        "readonly" | "ro" => "read-only",
        "id" => "the cache's or secret's id",
        "sharing" => "shared, private or locked",
        "mode" => "the mode of the mount point (octal)",
        "uid" => "the owner's user id",
        "gid" => "the owner's group id",
        "size" => "the size limit",
        "env" => "the environment variable that gets the secret",
        "required" => "whether the build fails without it",
        _ => "",
    }
}

/// What a mount type or sharing value does, for its completion.
fn mount_value_doc(value: &str) -> &'static str {
    match value {
        "bind" => "files of the context or of a stage (`from=`), read-only unless `rw`",
        "cache" => "a directory kept between builds (package caches, compilers')",
        "tmpfs" => "an empty in-memory directory",
        "secret" => "a secret given to the build (`--secret id=...`), as a file or `env=`",
        "ssh" => "the SSH agent given to the build (`--ssh`)",
        "shared" => "builds use the cache at once (the default)",
        "private" => "a build that finds it in use gets a new one",
        _ => "a build waits until the cache is free",
    }
}

/// The parts of a word at `range` on each line it takes, each as an edit that removes it, to
/// `parts`: up to the escape character that continues a line, none on a comment or blank line
/// inside the continuation; one part for a word on one line. (Bytes: the escape character is
/// `\` or `` ` ``, and a name has no blanks.)
fn name_parts(text: &str, range: TextRange, escape: char, parts: &mut Vec<TextEdit>) {
    let b = text.as_bytes();
    let end = usize::from(range.end());
    let blank = |c: u8| c == b' ' || c == b'\t' || c == b'\r';
    let mut at = usize::from(range.start());
    while at < end {
        let line_end = b[at..end].iter().position(|&c| c == b'\n').map_or(end, |i| at + i);
        let (mut s, mut e) = (at, line_end);
        while e > s && blank(b[e - 1]) {
            e -= 1;
        }
        if e > s && b[e - 1] == escape as u8 {
            e -= 1;
        }
        while s < e && blank(b[s]) {
            s += 1;
        }
        if s < e && b[s] != b'#' {
            let range = TextRange::new(TextSize::new(s as u32), TextSize::new(e as u32));
            parts.push(TextEdit { range, new_text: String::new() });
        }
        at = line_end + 1;
    }
}

/// rowan's `token_at_offset`, found by a binary search at each level of the tree: rowan's
/// reads a node's children one by one, and the file's root has one per instruction, so a
/// `selectionRange` request of a position per line took time in lines × positions (12,500 of
/// each: 2 s). The token the byte at `offset` is in, and the one before it where that one
/// ends there.
fn tokens_at(root: &stagecraft_syntax::SyntaxNode, offset: TextSize) -> TokenAtOffset<stagecraft_syntax::SyntaxToken> {
    let end = root.text_range().end();
    if offset > end || end == TextSize::new(0) {
        return TokenAtOffset::None;
    }
    let byte = |at: TextSize| root.covering_element(TextRange::at(at, TextSize::new(1))).into_token();
    let right = (offset < end).then(|| byte(offset)).flatten();
    let left = (offset > TextSize::new(0)).then(|| byte(offset - TextSize::new(1))).flatten();
    match (left, right) {
        (Some(l), Some(r)) if l != r => TokenAtOffset::Between(l, r),
        (_, Some(t)) | (Some(t), None) => TokenAtOffset::Single(t),
        (None, None) => TokenAtOffset::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary search finds what rowan's walk finds, at every offset of texts with CRLF,
    /// heredocs, comments, continuations, characters outside ASCII, errors, and none.
    #[test]
    fn tokens_at_is_rowans_token_at_offset() {
        let texts = [
            "",
            "\n",
            "FROM alpine AS a\r\nRUN <<EOF\r\necho 😀\r\nEOF\r\n# c\r\nCOPY --from=a \\\r\n  /x /y",
            "# syntax=x\nFROM\tb\nRUN --mount=type=cache,target=/c \\\n  true # 日本\nONBUILD COPY --from=a . .\nFOO bar\n\"",
            "ARG V=${A:-${B}}\nFROM $V\n\n\nEXPOSE 80/tcp\n",
        ];
        for text in texts {
            let root = stagecraft_syntax::parse(text).syntax_node();
            for o in 0..=text.len() + 1 {
                let o = TextSize::new(o as u32);
                let theirs = if o > root.text_range().end() { TokenAtOffset::None } else { root.token_at_offset(o) };
                assert_eq!(format!("{:?}", tokens_at(&root, o)), format!("{theirs:?}"), "{text:?} at {o:?}");
            }
        }
    }
}
