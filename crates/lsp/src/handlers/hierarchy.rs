//! Call hierarchy over the stage graph: a stage's incoming calls are the stages that take from it
//! (build on it, copy from it, mount it), its outgoing calls what it takes from (stages, images,
//! named contexts, `scratch`), each with where the uses are written
//! ([`Analysis::users_of`], [`Analysis::stage_uses`]). An image can be asked who uses it.
//!
//! An item's `data` says what it stands for (`{"stage": index, "name": name, "base": base}`,
//! `{"image": name}`, `{"context": key}` or `{"scratch": true}`), so that a later request finds
//! it again in the document as it is then: a named stage by index if the name still matches,
//! else by name; an unnamed stage (`stage-N`) only at its index with the same base. An item of a
//! document closed since has no calls. A forward reference (which BuildKit refuses) is a call
//! as the text writes it.

use serde_json::{json, Value};
use stagecraft_analysis::{Analysis, RefTarget, TextRange};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{
    CallHierarchyIncomingCall, CallHierarchyItem, CallHierarchyOutgoingCall, Position, SymbolKind, Uri,
};

use crate::convert::Encoding;

/// The item under the cursor: a stage (its name or any reference to it) or an image, named
/// context or `scratch` where a reference names one.
pub(crate) fn prepare(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    position: Position,
) -> Result<Option<Vec<CallHierarchyItem>>> {
    let offset = encoding.offset(a.line_index(), a.text(), position)?;
    if let Some(stage) = a.symbol_at(offset).and_then(|s| a.symbol_stage(&s)) {
        return Ok(Some(vec![stage_item(a, encoding, uri, stage)]));
    }
    let touches = |r: TextRange| r.start() <= offset && offset <= r.end();
    let other = a.references().iter().find(|r| {
        touches(r.range)
            && matches!(r.target, RefTarget::Image(_) | RefTarget::NamedContext(_) | RefTarget::Scratch)
            && r.is_dependency()
    });
    Ok(other.and_then(|r| other_item(a, encoding, uri, &r.target, r.range)).map(|item| vec![item]))
}

/// The stages that take from the item, with where.
pub(crate) fn incoming(
    a: &Analysis,
    encoding: Encoding,
    item: &CallHierarchyItem,
) -> Result<Option<Vec<CallHierarchyIncomingCall>>> {
    let Some(target) = target_of(a, item.data.as_ref()) else { return Ok(None) };
    let calls = a
        .users_of(&target)
        .into_iter()
        .map(|(stage, ranges)| CallHierarchyIncomingCall {
            from: stage_item(a, encoding, &item.uri, stage),
            from_ranges: ranges.into_iter().map(|r| encoding.lsp_range(a, r)).collect(),
        })
        .collect();
    Ok(Some(calls))
}

/// What the item's stage takes from, with where; an image takes from nothing stagecraft sees.
pub(crate) fn outgoing(
    a: &Analysis,
    encoding: Encoding,
    item: &CallHierarchyItem,
) -> Result<Option<Vec<CallHierarchyOutgoingCall>>> {
    let Some(target) = target_of(a, item.data.as_ref()) else { return Ok(None) };
    let RefTarget::Stage(stage) = target else { return Ok(Some(Vec::new())) };
    let calls = a
        .stage_uses(stage)
        .into_iter()
        .filter_map(|(target, ranges)| {
            let to = match target {
                RefTarget::Stage(s) => stage_item(a, encoding, &item.uri, s),
                other => other_item(a, encoding, &item.uri, &other, ranges[0])?,
            };
            Some(CallHierarchyOutgoingCall {
                to,
                from_ranges: ranges.into_iter().map(|r| encoding.lsp_range(a, r)).collect(),
            })
        })
        .collect();
    Ok(Some(calls))
}

fn stage_item(a: &Analysis, encoding: Encoding, uri: &Uri, stage: usize) -> CallHierarchyItem {
    let s = &a.stages()[stage];
    let name = s.display_name();
    CallHierarchyItem {
        detail: Some(format!("{} {}", s.from_keyword, s.base)),
        kind: SymbolKind::CLASS,
        tags: None,
        uri: uri.clone(),
        range: encoding.lsp_range(a, s.range),
        selection_range: encoding.lsp_range(a, s.name_range.unwrap_or(s.from_range)),
        data: Some(json!({ "stage": stage, "name": name, "base": s.base })),
        name,
    }
}

/// An image, named context or `scratch`, located where `at` names it.
fn other_item(
    a: &Analysis,
    encoding: Encoding,
    uri: &Uri,
    target: &RefTarget,
    at: TextRange,
) -> Option<CallHierarchyItem> {
    let (name, detail, data) = match target {
        RefTarget::Image(i) => (i.clone(), "image", json!({ "image": i })),
        RefTarget::NamedContext(k) => (k.clone(), "named build context", json!({ "context": k })),
        RefTarget::Scratch => ("scratch".to_string(), "the empty image", json!({ "scratch": true })),
        _ => return None,
    };
    let range = encoding.lsp_range(a, at);
    Some(CallHierarchyItem {
        name,
        kind: SymbolKind::PACKAGE,
        tags: None,
        detail: Some(detail.into()),
        uri: uri.clone(),
        range,
        selection_range: range,
        data: Some(data),
    })
}

/// What an item's `data` stands for in the document as it is now.
fn target_of(a: &Analysis, data: Option<&Value>) -> Option<RefTarget> {
    let data = data?;
    if let Some(i) = data.get("image").and_then(Value::as_str) {
        return Some(RefTarget::Image(i.into()));
    }
    if let Some(k) = data.get("context").and_then(Value::as_str) {
        return Some(RefTarget::NamedContext(k.into()));
    }
    if data.get("scratch").is_some() {
        return Some(RefTarget::Scratch);
    }
    let name = data.get("name").and_then(Value::as_str)?;
    let base = data.get("base").and_then(Value::as_str);
    let stages = a.stages();
    let by_index = data.get("stage").and_then(Value::as_u64).and_then(|i| usize::try_from(i).ok());
    // An unnamed stage's name is its index: the same index is it only with the same base.
    let same = |s: &stagecraft_analysis::Stage| {
        s.display_name() == name && (s.name_as_written.is_some() || Some(s.base.as_str()) == base)
    };
    let stage = by_index.filter(|&i| stages.get(i).is_some_and(same)).or_else(|| a.find_target(name))?;
    Some(RefTarget::Stage(stage))
}
