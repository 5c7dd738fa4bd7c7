//! The position functions of the JS API at every UTF-16 offset of small corpus files (and at
//! offsets that are not positions): no panic; an error exactly for offsets that are not whole
//! numbers from 0 to the text's length; every offset answered inside the text and never
//! between the two halves of a surrogate pair; and answers that agree (the definition among the
//! references, the stage at a reference is the one it defines, the renamed text is the edits
//! applied to the text).

use serde_json::Value;

use crate::api;

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Checks one text; returns the first problem found.
fn sweep(text: &str) -> Result<usize, String> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let len = units.len();
    // Offsets between a high and a low surrogate are inside a character.
    let inside = |o: u64| {
        let o = o as usize;
        o > 0 && o < len && (0xD800..0xDC00).contains(&units[o - 1]) && (0xDC00..0xE000).contains(&units[o])
    };
    let check = |o: &Value, what: &str| -> Result<u64, String> {
        let o = o.as_u64().ok_or_else(|| format!("{what}: not an offset: {o}"))?;
        if o as usize > len || inside(o) {
            return Err(format!("{what}: offset {o} is not a position in the text ({len} units)"));
        }
        Ok(o)
    };
    // The whole-text answer.
    let model = json(&api::analyze(text, &stagecraft_analysis::Options::default()));
    for s in model["stages"].as_array().into_iter().flatten() {
        for key in ["from", "to", "nameFrom", "nameTo"] {
            if !s[key].is_null() {
                check(&s[key], key)?;
            }
        }
    }
    for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY, (len + 1) as f64, 1e300] {
        if api::definition(text, bad).is_ok() || api::references(text, bad).is_ok() || api::stage_at(text, bad).is_ok()
        {
            return Err(format!("offset {bad} answered instead of an error"));
        }
    }
    for at in 0..=len {
        let offset = at as f64;
        let definition = json(&api::definition(text, offset).map_err(|e| format!("definition at {at}: {e}"))?);
        let references = json(&api::references(text, offset).map_err(|e| format!("references at {at}: {e}"))?);
        api::stage_at(text, offset).map_err(|e| format!("stageAt at {at}: {e}"))?;
        let mut ranges = Vec::new();
        for r in references.as_array().into_iter().flatten() {
            let (from, to) = (check(&r["from"], "reference")?, check(&r["to"], "reference")?);
            if from > to {
                return Err(format!("at {at}: a reference ends before it starts"));
            }
            ranges.push((from, to));
        }
        if !definition.is_null() {
            let (from, to) = (check(&definition["from"], "definition")?, check(&definition["to"], "definition")?);
            let stage = definition["stage"].as_u64().ok_or("definition without a stage")?;
            // A named stage's definition is its name, which is among its references.
            if model["stages"][stage as usize]["nameFrom"].as_u64() == Some(from) && !ranges.contains(&(from, to)) {
                return Err(format!("at {at}: the definition {from}..{to} is not among the references {ranges:?}"));
            }
        }
        if let Ok(renamed) = api::rename(text, offset, "swept") {
            let renamed = json(&renamed);
            // Apply the edits in UTF-16 units, last first, and compare with the new text.
            let mut edits: Vec<(usize, usize, String)> = Vec::new();
            for e in renamed["edits"].as_array().into_iter().flatten() {
                let (from, to) = (check(&e["from"], "edit")? as usize, check(&e["to"], "edit")? as usize);
                edits.push((from, to, e["insert"].as_str().unwrap_or_default().to_string()));
            }
            edits.sort();
            let mut out = units.clone();
            for (from, to, insert) in edits.iter().rev() {
                out.splice(from..to, insert.encode_utf16());
            }
            if String::from_utf16(&out).ok().as_deref() != renamed["text"].as_str() {
                return Err(format!("at {at}: the renamed text is not the edits applied"));
            }
        }
    }
    Ok(len + 1)
}

#[test]
fn every_offset_of_small_corpus_files() {
    let mut texts: Vec<(String, String)> = stagecraft_testkit::parser_cases()
        .into_iter()
        .map(|c| (c.name, stagecraft_testkit::read(&c.dockerfile)))
        .filter(|(_, t)| t.len() <= 600)
        .collect();
    assert!(texts.len() > 300, "the corpus is there ({} small files)", texts.len());
    for (name, text) in [
        (
            "astral",
            "# 😀 base 😀\nFROM alpine AS b😀se\nFROM b😀se AS 𝒳\nCOPY --from=b😀se /😀 /x\nCOPY --from=0 /a /b\n",
        ),
        ("crlf", "FROM alpine AS base\r\nFROM base AS b\r\nCOPY --from=base /a /b\r\n"),
        ("empty", ""),
    ] {
        texts.push((name.into(), text.into()));
    }
    let mut failures = Vec::new();
    let mut asked = 0;
    for (name, text) in &texts {
        match sweep(text) {
            Ok(n) => asked += n,
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} texts:\n{}", failures.len(), texts.len(), failures.join("\n"));
    assert!(asked > 20_000, "offsets asked: {asked}");
}
