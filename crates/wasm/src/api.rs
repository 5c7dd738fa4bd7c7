//! The browser API as plain Rust: every function takes the text and UTF-16 offsets and returns
//! JSON-shaped values (or a message for people), so that it is testable without a browser.
//! `lib.rs` only moves these across the wasm boundary.

use std::cell::RefCell;
use std::rc::Rc;

use stagecraft_analysis::{
    analyze as analyze_text, Analysis, BaseKind, Options, RefTarget, SvgOptions, TextEdit, TextRange, TextSize,
    PLANS_LISTED_MAX,
};

use crate::json::Writer;

/// An analysed text (its line index converts offsets to UTF-16, as JavaScript counts them).
#[derive(Debug)]
pub struct Analysed {
    /// The analysis.
    pub analysis: Analysis,
}

impl Analysed {
    /// The UTF-16 offset of an offset of the text.
    fn utf16(&self, o: TextSize) -> u32 {
        self.analysis.line_index().utf16_offset(o)
    }

    fn at(&self, r: TextRange) -> (u64, u64) {
        (self.utf16(r.start()) as u64, self.utf16(r.end()) as u64)
    }

    /// The UTF-8 offset of a UTF-16 offset from JavaScript.
    fn offset(&self, offset: f64) -> Result<TextSize, String> {
        let len = self.analysis.line_index().utf16_len();
        let whole = offset.is_finite() && offset.fract() == 0.0;
        if !whole || offset < 0.0 || offset > len as f64 {
            // Integers only (float printing would cost the module 6 KB); past 2^53 the number is
            // no exact integer anyway.
            let shown = match () {
                _ if !whole => "that is not a whole number".to_string(),
                _ if offset.abs() >= 9_007_199_254_740_992.0 => "that large".to_string(),
                _ if offset < 0.0 => format!("-{}", (-offset) as u64),
                _ => format!("{}", offset as u64),
            };
            return Err(format!("offset {shown} is not a position in the text (0 to {len})"));
        }
        self.analysis
            .line_index()
            .utf16_to_offset(offset as u32)
            .ok_or_else(|| format!("offset {} is past the end of the text ({len})", offset as u64))
    }
}

/// What of the options the browser's calls can set (`crate::options` reads `buildArgs`,
/// `targets`, `platform` and `target`; the rest stay the defaults): the cache's key. (Comparing
/// and copying whole options was more code in the module.)
type Key = (Vec<(String, String)>, Vec<String>, Option<String>, Option<String>);

fn key(o: &Options) -> Key {
    (o.build_args.clone(), o.targets.clone(), o.platform.clone(), o.target.clone())
}

thread_local! {
    /// The last analysis: the explorer asks several questions about the same text per edit.
    static LAST: RefCell<Option<(String, Key, Rc<Analysed>)>> = const { RefCell::new(None) };
}

/// The analysis of `text` with `options` (the last one reused when nothing changed).
pub fn analysed(text: &str, options: &Options) -> Rc<Analysed> {
    debug_assert!(
        Options { build_args: vec![], targets: vec![], platform: None, target: None, ..options.clone() }
            == Options::default(),
        "the cache keys on the options the browser sets only"
    );
    let k = key(options);
    if let Some(hit) =
        LAST.with(|l| l.borrow().as_ref().filter(|(t, o, _)| t == text && *o == k).map(|(_, _, a)| Rc::clone(a)))
    {
        return hit;
    }
    let a = Rc::new(Analysed { analysis: analyze_text(text, options) });
    LAST.with(|l| *l.borrow_mut() = Some((text.to_string(), k, Rc::clone(&a))));
    a
}

/// The analysis of `text` for the calls that take no options (navigation, rename, exports):
/// the last analysis of this text, whatever options it was made with (those are the page's
/// current settings), else one with the defaults.
fn analysed_text(text: &str) -> Rc<Analysed> {
    let hit = LAST.with(|l| l.borrow().as_ref().filter(|(t, _, _)| t == text).map(|(_, _, a)| Rc::clone(a)));
    hit.unwrap_or_else(|| analysed(text, &defaults()))
}

fn defaults() -> Options {
    Options::default()
}

/// What `--target` = `stage` builds: `{stages, waves, inCycle, images, legacyStages}`.
fn write_plan(w: &mut Writer, an: &Analysis, stage: usize) {
    let plan = an.plan(stage);
    w.begin_object();
    w.key("stages").uints(plan.stages.iter().copied());
    w.key("waves").begin_array();
    for wave in &plan.waves {
        w.uints(wave.iter().copied());
    }
    w.end_array();
    w.key("inCycle").uints(plan.in_cycle.iter().copied());
    w.key("images").begin_array();
    for i in &plan.images {
        w.string(i);
    }
    w.end_array();
    w.key("legacyStages").uints(plan.legacy_stages.iter().copied());
    w.end_object();
}

/// `plan(text, stage)`: the build plan of `--target` = stage `stage` (an index), as in
/// `analyze`'s targets, for any stage.
pub fn plan(text: &str, stage: f64) -> Result<String, String> {
    let a = analysed_text(text);
    let count = a.analysis.stages().len();
    let whole = stage.is_finite() && stage >= 0.0 && stage.fract() == 0.0;
    if !whole || stage >= count as f64 {
        // Integers only in the message: formatting a float would pull float printing into the
        // module (≈6 KB gzipped).
        let shown = if whole { format!("no stage {}", stage as u64) } else { "a stage is a whole number".to_string() };
        return Err(match count {
            0 => format!("{shown}: the text has no stages"),
            n => format!("{shown}: stages are numbered 0 to {}", n - 1),
        });
    }
    let mut w = Writer::default();
    write_plan(&mut w, &a.analysis, stage as usize);
    Ok(w.finish())
}

/// Why `options` names a target in play that no stage has: BuildKit fails on an unknown
/// target, and so do `analyze` and `renderSvg` (as the CLI does).
pub fn check_targets(text: &str, options: &Options) -> Result<(), String> {
    if !options.targets.is_empty() || options.target.is_some() {
        let a = analysed(text, options);
        for t in options.targets.iter().chain(&options.target) {
            a.analysis.resolve_stage(t)?;
        }
    }
    Ok(())
}

/// `analyze(text, options)`: the model as JSON text.
pub fn analyze(text: &str, options: &Options) -> String {
    let a = analysed(text, options);
    let an = &a.analysis;
    let unused = an.unused_stages();
    let mut w = Writer::with_capacity(1024 + text.len() * 2);
    w.begin_object();

    w.key("stages").begin_array();
    for s in an.stages() {
        let (from, to) = a.at(s.from_range);
        let (stage_from, stage_to) = a.at(s.range);
        let name = s.name_range.map(|r| a.at(r));
        let (kind, base_stage, base_image) = match &s.base_kind {
            BaseKind::Stage(b) => ("stage", Some(*b as u64), None),
            BaseKind::Image(i) => ("image", None, Some(i.as_str())),
            BaseKind::Scratch => ("scratch", None, None),
            BaseKind::Unresolved => ("unresolved", None, None),
            // The browser gives no named contexts: never met here.
            BaseKind::NamedContext(_) | BaseKind::ImageContext(_) => ("context", None, None),
        };
        w.begin_object();
        w.key("index").uint(s.index as u64);
        w.key("name").opt_string(s.name.as_deref());
        w.key("displayName").string(&s.display_name());
        w.key("description").opt_string(s.description.as_deref());
        w.key("base").string(&s.base);
        w.key("baseExpanded").opt_string(s.base_expanded.as_deref());
        w.key("baseKind").string(kind);
        w.key("baseStage").opt_uint(base_stage);
        w.key("baseImage").opt_string(base_image);
        w.key("platform").opt_string(s.platform_expanded.as_deref().or(s.platform.as_deref()));
        w.key("from").uint(from).key("to").uint(to);
        w.key("nameFrom").opt_uint(name.map(|n| n.0)).key("nameTo").opt_uint(name.map(|n| n.1));
        w.key("stageFrom").uint(stage_from).key("stageTo").uint(stage_to);
        w.key("line").uint(s.line as u64);
        w.key("unused").bool(an.is_unused(s.index));
        w.end_object();
    }
    w.end_array();

    w.key("references").begin_array();
    for r in an.references() {
        let (from, to) = a.at(r.range);
        let (stage, image) = match &r.target {
            RefTarget::Stage(s) => (Some(*s as u64), None),
            RefTarget::Image(i) => (None, Some(i.as_str())),
            RefTarget::Scratch => (None, Some("scratch")),
            RefTarget::Context | RefTarget::NamedContext(_) | RefTarget::Invalid(_) | RefTarget::NotRunHere => {
                (None, None)
            }
        };
        let origin = r.origin.as_str();
        w.begin_object();
        w.key("kind").string(r.kind.as_str());
        w.key("inStage").uint(r.in_stage as u64);
        w.key("value").string(&r.value);
        w.key("from").uint(from).key("to").uint(to);
        w.key("line").uint(r.line as u64);
        w.key("stage").opt_uint(stage).key("image").opt_string(image);
        w.key("forward").bool(r.forward);
        w.key("origin").string(origin);
        w.end_object();
    }
    w.end_array();

    // Every plan, unless they grow too big to list (a file with thousands of stages in a
    // chain): then counts, and `plan(text, stage)` for the one a page shows.
    let targets = an.targets();
    let counts = an.target_build_counts();
    let detailed = an.plans_listed(targets.iter().map(|t| t.stage)) <= PLANS_LISTED_MAX;
    w.key("detailed").bool(detailed);
    w.key("targets").begin_array();
    for t in &targets {
        w.begin_object();
        w.key("stage").uint(t.stage as u64);
        w.key("name").opt_string(t.name.as_deref());
        w.key("description").opt_string(t.description.as_deref());
        w.key("isDefault").bool(t.is_default);
        w.key("builds").uint(counts[t.stage] as u64);
        w.key("legacyBuilds").uint(an.target_legacy_count(t.stage) as u64);
        w.key("plan");
        if detailed {
            write_plan(&mut w, an, t.stage);
        } else {
            w.null();
        }
        w.end_object();
    }
    w.end_array();

    w.key("defaultTarget").opt_uint(an.default_target().map(|t| t as u64));
    w.key("unusedStages").uints(unused.iter().copied());

    let index = an.line_index();
    let line_col = |o: TextSize| {
        let lc = index.line_col(o);
        let line_start = index.line_start(lc.line).unwrap_or(o);
        ((lc.line + 1) as u64, (a.utf16(o) - a.utf16(line_start) + 1) as u64)
    };
    w.key("diagnostics").begin_array();
    for d in an.diagnostics() {
        let (from, to) = a.at(d.range);
        let (line, column) = line_col(d.range.start());
        let (end_line, end_column) = line_col(d.range.end());
        w.begin_object();
        w.key("code").string(&d.code);
        w.key("severity").string(d.severity.as_str());
        w.key("message").string(&d.message);
        w.key("from").uint(from).key("to").uint(to);
        w.key("line").uint(line).key("column").uint(column);
        w.key("endLine").uint(end_line).key("endColumn").uint(end_column);
        w.key("unnecessary").bool(d.unnecessary);
        w.key("url").opt_string(d.url.as_deref());
        w.key("note").opt_string(an.note(d).as_deref());
        w.key("fix");
        match &d.fix {
            Some(f) => {
                w.begin_object().key("title").string(&f.title).key("edits").begin_array();
                for e in &f.edits {
                    let (from, to) = a.at(e.range);
                    w.begin_object().key("from").uint(from).key("to").uint(to).key("insert").string(&e.new_text);
                    w.end_object();
                }
                w.end_array().key("applicability").string(f.applicability.as_str()).end_object();
            }
            None => {
                w.null();
            }
        }
        w.end_object();
    }
    w.end_array();

    w.key("globalArgs").begin_array();
    for g in an.global_args() {
        let (from, to) = a.at(g.range);
        w.begin_object();
        w.key("key").string(&g.key);
        w.key("value").opt_string(g.value.as_deref());
        w.key("expanded").opt_string(g.value_expanded.as_deref());
        w.key("from").uint(from).key("to").uint(to);
        w.key("line").uint(g.line as u64);
        w.end_object();
    }
    w.end_array();

    w.end_object();
    w.finish()
}

/// Which stage a `target` argument names: a stage name, `#<index>`, or none for the default.
fn target_stage(an: &Analysis, target: Option<&str>) -> Result<Option<usize>, String> {
    let Some(t) = target.filter(|t| !t.is_empty()) else { return Ok(None) };
    an.resolve_stage(t).map(Some)
}

/// `renderSvg(text, target, options)`: the options are `analyze`'s (build args resolve `FROM`
/// lines, targets in play decide which stages are unused).
pub fn render_svg(text: &str, target: Option<&str>, options: &Options) -> Result<String, String> {
    let a = analysed(text, options);
    let t = target_stage(&a.analysis, target)?;
    let offset = |o: TextSize| a.utf16(o);
    a.analysis.to_svg(&SvgOptions { target: t, offset: Some(&offset) })
}

/// `toDot(text)`.
pub fn to_dot(text: &str) -> String {
    analysed_text(text).analysis.to_dot()
}

/// `toMermaid(text)`.
pub fn to_mermaid(text: &str) -> String {
    analysed_text(text).analysis.to_mermaid()
}

/// `definition(text, offset)`: JSON.
pub fn definition(text: &str, offset: f64) -> Result<String, String> {
    let a = analysed_text(text);
    let at = a.offset(offset)?;
    let mut w = Writer::default();
    match a.analysis.definition(at) {
        Some((stage, range)) => {
            let (from, to) = a.at(range);
            w.begin_object().key("stage").uint(stage as u64).key("from").uint(from).key("to").uint(to).end_object();
        }
        None => {
            w.null();
        }
    }
    Ok(w.finish())
}

/// `references(text, offset)`: JSON.
pub fn references(text: &str, offset: f64) -> Result<String, String> {
    let a = analysed_text(text);
    let at = a.offset(offset)?;
    let mut w = Writer::default();
    w.begin_array();
    for o in a.analysis.references_at(at) {
        let (from, to) = a.at(o.range);
        w.begin_object().key("from").uint(from).key("to").uint(to).key("isDefinition").bool(o.is_definition);
        w.end_object();
    }
    w.end_array();
    Ok(w.finish())
}

/// `rename(text, offset, newName)`: JSON with the new text and the edits, or why not.
pub fn rename(text: &str, offset: f64, new_name: &str) -> Result<String, String> {
    let a = analysed_text(text);
    let at = a.offset(offset)?;
    let edits = a.analysis.rename(at, new_name).map_err(|e| e.0)?;
    let out = TextEdit::apply_all(text, &edits);
    let mut w = Writer::with_capacity(out.len() + 64 * edits.len() + 32);
    w.begin_object().key("text").string(&out).key("edits").begin_array();
    for e in &edits {
        let (from, to) = a.at(e.range);
        w.begin_object().key("from").uint(from).key("to").uint(to).key("insert").string(&e.new_text).end_object();
    }
    w.end_array().end_object();
    Ok(w.finish())
}

/// `stageAt(text, offset)`: the stage index, if any.
pub fn stage_at(text: &str, offset: f64) -> Result<Option<usize>, String> {
    let a = analysed_text(text);
    let at = a.offset(offset)?;
    Ok(a.analysis.stage_at(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const TEXT: &str = "FROM alpine AS base\nLABEL x=😀\nFROM base AS build\nCOPY --from=base / /\nFROM scratch\nCOPY --from=build / /\n";

    fn json(s: &str) -> Value {
        serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
    }

    #[test]
    fn a_cycle_of_references_is_in_no_wave() {
        // A cycle of references: its stages are in no wave, last in `stages`.
        let c = json(
            &plan("FROM alpine AS x\nFROM alpine AS a\nCOPY --from=b / /\nFROM a AS b\nCOPY --from=x / /\n", 2.0)
                .unwrap(),
        );
        assert_eq!(
            (&c["stages"], &c["waves"], &c["inCycle"]),
            (&serde_json::json!([0, 1, 2]), &serde_json::json!([[0]]), &serde_json::json!([1, 2]))
        );
    }

    #[test]
    fn a_long_chain_leaves_its_plans_to_plan() {
        // 800 stages in a chain: every target's plan lists ≈960,000 indices together.
        let mut text = String::from("FROM alpine AS c0\n");
        for i in 1..800 {
            text.push_str(&format!("FROM c{} AS c{i}\n", i - 1));
        }
        let v = json(&analyze(&text, &defaults()));
        assert_eq!(v["detailed"], false);
        let last = &v["targets"][799];
        assert!(last["plan"].is_null(), "{last}");
        assert_eq!((last["builds"].as_u64(), last["legacyBuilds"].as_u64()), (Some(800), Some(800)));
        let p = json(&plan(&text, 799.0).unwrap());
        assert_eq!(p["stages"].as_array().unwrap().len(), 800);
        assert_eq!(p["waves"].as_array().unwrap().len(), 800);
        assert_eq!(p["inCycle"], serde_json::json!([]));
        assert_eq!(p["legacyStages"][799], 799);
        // The same as analyze gives where it lists plans.
        let small = json(&analyze(TEXT, &defaults()));
        assert_eq!(json(&plan(TEXT, 2.0).unwrap()), small["targets"][2]["plan"]);
        assert_eq!(plan(TEXT, 3.0).unwrap_err(), "no stage 3: stages are numbered 0 to 2");
        assert_eq!(plan(TEXT, 0.5).unwrap_err(), "a stage is a whole number: stages are numbered 0 to 2");
        assert_eq!(plan("", 0.0).unwrap_err(), "no stage 0: the text has no stages");
    }

    #[test]
    fn offsets_are_utf16() {
        let text = "# 😀\nFROM alpine AS base\nFROM base\n";
        let v = json(&analyze(text, &defaults()));
        // The emoji is 4 bytes, 2 code units: FROM starts at 5 in UTF-16.
        assert_eq!(v["stages"][0]["from"], 5);
        assert_eq!(v["stages"][0]["nameFrom"], 5 + "FROM alpine AS ".len());
        let d = json(&definition(text, (5 + "FROM alpine AS base\nFROM ".len()) as f64).unwrap());
        assert_eq!(d["from"], 5 + "FROM alpine AS ".len());
    }

    #[test]
    fn the_model_has_every_field() {
        let v = json(&analyze(TEXT, &defaults()));
        let stage = &v["stages"][1];
        for key in [
            "index",
            "name",
            "displayName",
            "description",
            "base",
            "baseExpanded",
            "baseKind",
            "baseStage",
            "baseImage",
            "platform",
            "from",
            "to",
            "nameFrom",
            "nameTo",
            "stageFrom",
            "stageTo",
            "line",
            "unused",
        ] {
            assert!(stage.get(key).is_some(), "stage.{key}");
        }
        assert_eq!(stage["baseKind"], "stage");
        assert_eq!(v["references"][0]["kind"], "from");
        assert_eq!(v["targets"][2]["plan"]["legacyStages"], serde_json::json!([0, 1, 2]));
        assert_eq!((v["targets"][2]["builds"].as_u64(), v["targets"][2]["legacyBuilds"].as_u64()), (Some(3), Some(3)));
        assert_eq!(v["detailed"], true);
        assert_eq!(v["defaultTarget"], 2);
        let v = json(&analyze("# 😀\nFROM alpine AS Base\n", &defaults()));
        let d = &v["diagnostics"][0];
        assert_eq!(d["code"], "StageNameCasing");
        assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(2), Some(16)), "{d}");
    }

    #[test]
    fn rename_applies_and_refuses() {
        let text = "FROM alpine AS base\nFROM base AS build\nCOPY --from=base / /\n";
        let r = json(&rename(text, 16.0, "root").unwrap());
        assert_eq!(r["text"], "FROM alpine AS root\nFROM root AS build\nCOPY --from=root / /\n");
        assert_eq!(r["edits"].as_array().unwrap().len(), 3);
        let e = rename(text, 16.0, "build").unwrap_err();
        assert!(e.contains("build"), "{e}");
        assert!(rename(text, 1e9, "x").unwrap_err().contains("not a position"));
        assert!(rename(text, -1.0, "x").is_err());
        assert!(rename(text, f64::NAN, "x").unwrap_err().contains("not a whole number"));
        assert!(definition(text, -1.0).unwrap_err().starts_with("offset -1 is not a position"));
        assert!(definition(text, 1e300).unwrap_err().starts_with("offset that large is not"));
    }

    #[test]
    fn options_change_the_analysis_and_the_cache_key() {
        let with =
            Options { targets: vec!["base".into()], build_args: vec![("A".into(), "1".into())], ..Options::default() };
        let v = json(&analyze("FROM alpine AS base\nFROM alpine AS other\n", &with));
        assert_eq!(v["unusedStages"], serde_json::json!([]));
        let v = json(&analyze("FROM alpine AS base\nFROM alpine AS other\n", &defaults()));
        assert_eq!(v["unusedStages"], serde_json::json!([0]));
        // Calls without options reuse the last analysis of the same text, options and all.
        let text = "FROM alpine AS base\nFROM alpine AS other\n";
        let with_options = analysed(text, &with);
        assert!(Rc::ptr_eq(&with_options, &analysed_text(text)));
        assert!(!Rc::ptr_eq(&with_options, &analysed_text("FROM alpine\n")));
        // The build's target is in play instead of the default: `other` is unused, and `base`
        // is not; it is part of the key.
        let target = Options { target: Some("base".into()), ..Options::default() };
        assert_eq!(json(&analyze(text, &target))["unusedStages"], serde_json::json!([1]));
        assert!(!Rc::ptr_eq(&with_options, &analysed(text, &target)));
        assert!(check_targets(text, &Options { target: Some("nope".into()), ..Options::default() }).is_err());
    }

    #[test]
    fn svg_targets_by_name_or_index() {
        let d = defaults();
        assert!(render_svg(TEXT, None, &d).unwrap().starts_with("<svg"));
        assert!(render_svg(TEXT, Some("#1"), &d).unwrap().contains("node stage target in-plan"));
        assert!(render_svg(TEXT, Some("buidl"), &d).unwrap_err().contains("could not be found (did you mean build?)"));
        assert!(render_svg(TEXT, Some("#9"), &d).is_err());
    }
}
