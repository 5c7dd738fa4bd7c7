//! The exported API across the real wasm boundary (wasm-bindgen-test; `tools/wasm.sh test` runs
//! it in Node): JS values in and out, UTF-16 offsets, JS errors instead of traps.
#![cfg(target_arch = "wasm32")]

use stagecraft_wasm::*;

/// A JS string.
fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify)]
    fn stringify(v: &JsValue) -> String;
    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    fn parse(s: &str) -> JsValue;
}

const TEXT: &str = "ARG V=3.20\n# base has the tools\nFROM alpine:${V} AS base\nFROM base AS build\nRUN make\nFROM node AS docs\nFROM scratch\nCOPY --from=build /out /out\nCOPY --from=biuld /x /x\n";

fn json(v: &JsValue) -> serde_json::Value {
    serde_json::from_str(&stringify(v)).unwrap()
}

#[wasm_bindgen_test]
fn analyze_returns_the_model() {
    let v = json(&analyze(s(TEXT), JsValue::UNDEFINED).map_err(JsValue::from).unwrap());
    let stages = v["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 4);
    assert_eq!(stages[0]["name"], "base");
    assert_eq!(stages[0]["baseExpanded"], "alpine:3.20");
    assert_eq!(stages[0]["description"], "has the tools");
    assert_eq!(stages[1]["baseKind"], "stage");
    assert_eq!(stages[1]["baseStage"], 0);
    assert_eq!(stages[3]["displayName"], "stage-3");
    assert_eq!(v["defaultTarget"], 3);
    assert_eq!(v["unusedStages"], serde_json::json!([2]));
    let build = v["targets"].as_array().unwrap().iter().find(|t| t["name"] == "build").unwrap();
    assert_eq!(build["plan"]["stages"], serde_json::json!([0, 1]));
    assert_eq!(build["plan"]["legacyStages"], serde_json::json!([0, 1]));
    // plan() gives the same plan for one stage, and a JS error for an index the text lacks.
    assert_eq!(json(&plan(s(TEXT), 1.0).map_err(JsValue::from).unwrap()), build["plan"]);
    let e = plan(s(TEXT), 9.0).map_err(JsValue::from).unwrap_err();
    let message = js_sys_message(&e);
    assert!(message.contains("no stage 9: stages are numbered 0 to 3"), "{message}");
    let unknown = v["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "unknown-stage").unwrap();
    assert_eq!(unknown["line"], 9);
    assert!(unknown["message"].as_str().unwrap().contains("build"));
    let g = &v["globalArgs"][0];
    assert_eq!((g["key"].as_str(), g["expanded"].as_str()), (Some("V"), Some("3.20")));
}

#[wasm_bindgen_test]
fn options_come_from_js_objects() {
    let opts = parse(r#"{"buildArgs": {"V": "3.19"}, "targets": ["docs"]}"#);
    let v = json(&analyze(s(TEXT), opts).map_err(JsValue::from).unwrap());
    assert_eq!(v["stages"][0]["baseExpanded"], "alpine:3.19");
    assert_eq!(v["unusedStages"], serde_json::json!([]));
    // A target in play no stage has fails, as BuildKit's --target does.
    let bad = analyze(s(TEXT), parse(r#"{"targets": ["nope"]}"#)).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&bad).contains("target stage \"nope\" could not be found"), "{}", js_sys_message(&bad));
    let bad = render_svg(s(TEXT), JsValue::NULL, parse(r#"{"targets": ["nope"]}"#)).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&bad).contains("could not be found"));
    let bad = analyze(s(TEXT), parse(r#"{"targets": 3}"#)).map_err(JsValue::from).unwrap_err();
    let message = js_sys_message(&bad);
    assert!(message.contains("targets must be an array"), "{message}");
    // The build's target is in play instead of the default (docs builds neither base nor
    // build nor the last stage); one no stage has fails too; a misspelt option is refused.
    let v = json(&analyze(s(TEXT), parse(r#"{"target": "docs"}"#)).map_err(JsValue::from).unwrap());
    assert_eq!(v["unusedStages"], serde_json::json!([0, 1, 3]));
    let bad = analyze(s(TEXT), parse(r#"{"target": "nope"}"#)).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&bad).contains("target stage \"nope\" could not be found"));
    let bad = analyze(s(TEXT), parse(r#"{"tagret": "docs"}"#)).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&bad).contains("unknown option `tagret`"));
    let bad = analyze(s(TEXT), parse(r#"[1]"#)).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&bad).contains("options must be an object"));
    // Numbers are accepted as build-arg values.
    let v = json(&analyze(s(TEXT), parse(r#"{"buildArgs": {"V": 3}}"#)).map_err(JsValue::from).unwrap());
    assert_eq!(v["stages"][0]["baseExpanded"], "alpine:3");
    // The target platform sets the TARGET* ARGs; one that does not parse is an error.
    let text = "FROM alpine:${TARGETARCH}\n";
    let v = json(&analyze(s(text), parse(r#"{"platform": "linux/arm64"}"#)).map_err(JsValue::from).unwrap());
    assert_eq!(v["stages"][0]["baseExpanded"], "alpine:arm64");
    let bad = analyze(s(text), parse(r#"{"platform": "lin"}"#)).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&bad).contains("write os/arch"), "{}", js_sys_message(&bad));
    // `local` is the client machine's platform, which a browser cannot tell: said, not guessed.
    let bad = analyze(s(text), parse(r#"{"platform": "local"}"#)).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&bad).contains("cannot tell"), "{}", js_sys_message(&bad));
    // Trimmed, and empty is not given, as the CLI and the server read it.
    let v = json(&analyze(s(text), parse(r#"{"platform": " linux/arm64 "}"#)).map_err(JsValue::from).unwrap());
    assert_eq!(v["stages"][0]["baseExpanded"], "alpine:arm64");
    let v = json(&analyze(s(text), parse(r#"{"platform": " "}"#)).map_err(JsValue::from).unwrap());
    assert_eq!(v["stages"][0]["baseExpanded"], "alpine:amd64");
}

/// What a thrown value says (a JS `Error` prints as `JsValue(Error: message ...)`).
fn js_sys_message(e: &JsValue) -> String {
    let text = format!("{e:?}");
    assert!(text.contains("Error: "), "not a JS Error: {text}");
    text
}

#[wasm_bindgen_test]
fn offsets_are_utf16_code_units() {
    let text = "# 😀 emoji\nFROM alpine AS base\nFROM base\n";
    let use_at = text.encode_utf16().count() as f64 - 5.0; // inside `base` on the last line
    let d = json(&definition(s(text), use_at).map_err(JsValue::from).unwrap());
    let name_at = "# 😀 emoji\nFROM alpine AS ".encode_utf16().count();
    assert_eq!(d["from"], name_at);
    assert_eq!(d["stage"], 0);
    let refs = json(&references(s(text), use_at).map_err(JsValue::from).unwrap());
    assert_eq!(refs.as_array().unwrap().len(), 2);
    assert_eq!(stage_at(s(text), use_at).map_err(JsValue::from).unwrap(), Some(1));
}

#[wasm_bindgen_test]
fn rename_and_refusal() {
    let at = TEXT.find("AS build").unwrap() as f64 + 4.0;
    let r = json(&rename(s(TEXT), at, s("compile")).map_err(JsValue::from).unwrap());
    assert!(r["text"].as_str().unwrap().contains("FROM base AS compile\n"));
    assert!(r["text"].as_str().unwrap().contains("COPY --from=compile /out"));
    let refused = rename(s(TEXT), at, s("docs")).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&refused).contains("docs"));
    assert!(rename(s(TEXT), 1.0e9, s("x")).is_err());
}

#[wasm_bindgen_test]
fn graphs() {
    let svg = render_svg(s(TEXT), JsValue::NULL, JsValue::UNDEFINED).map_err(JsValue::from).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"stagecraft-graph\""));
    assert_eq!(svg.matches("<g class=\"node stage").count(), 4);
    let svg = render_svg(s(TEXT), s("build"), JsValue::UNDEFINED).map_err(JsValue::from).unwrap();
    assert!(svg.contains("<g class=\"node stage target in-plan\" data-stage=\"1\""));
    let e = render_svg(s(TEXT), s("nope"), JsValue::UNDEFINED).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&e).contains("Error: target stage \"nope\" could not be found; targets: base, build, docs"));
    // The options are analyze's: with `docs` in play it is no longer drawn as unused, and the
    // build arg resolves the FROM line the label shows.
    let unused_nodes = |svg: &str| {
        svg.split("<g class=\"")
            .skip(1)
            .filter(|c| c.split('"').next().unwrap_or("").split(' ').any(|w| w == "unused"))
            .count()
    };
    let plain = render_svg(s(TEXT), JsValue::NULL, JsValue::UNDEFINED).map_err(JsValue::from).unwrap();
    assert_eq!(unused_nodes(&plain), 1, "docs is unused by default");
    assert!(plain.contains("alpine:3.20"));
    let opts = parse(r#"{"buildArgs": {"V": "3.19"}, "targets": ["docs"]}"#);
    let svg = render_svg(s(TEXT), JsValue::NULL, opts).map_err(JsValue::from).unwrap();
    assert_eq!(unused_nodes(&svg), 0, "docs is in play");
    assert!(svg.contains("alpine:3.19") && !svg.contains("alpine:3.20"));
    assert!(render_svg(s(TEXT), JsValue::NULL, parse("[1]")).is_err());
    assert!(to_dot(s(TEXT)).map_err(JsValue::from).unwrap().starts_with("digraph"));
    assert!(to_mermaid(s(TEXT)).map_err(JsValue::from).unwrap().starts_with("flowchart"));
}

#[wasm_bindgen_test]
fn hostile_input_is_not_a_trap() {
    let junk: String = (0..4000u32).map(|i| char::from_u32((i * 7919) % 0x10FFFF).unwrap_or('\u{FFFD}')).collect();
    for text in [junk.as_str(), "FROM a <<EOF\nunterminated", "\u{FEFF}", "", "RUN --mount=from="] {
        let _ = analyze(s(text), JsValue::UNDEFINED).map_err(JsValue::from).unwrap();
        let _ = render_svg(s(text), JsValue::NULL, JsValue::UNDEFINED).map_err(JsValue::from).unwrap();
        let len = text.encode_utf16().count() as f64;
        for at in [0.0, len / 2.0, len] {
            let _ = definition(s(text), at.floor()).map_err(JsValue::from).unwrap();
        }
    }
}

/// Arguments of the wrong type are JS errors that say which, and the module keeps working
/// (wasm-bindgen's glue for a string parameter given a number used to corrupt the allocator).
#[wasm_bindgen_test]
fn arguments_of_the_wrong_type_are_errors() {
    let message = |r: Result<JsValue, JsError>| js_sys_message(&r.map_err(JsValue::from).unwrap_err());
    assert!(message(analyze(JsValue::from(42.0), JsValue::UNDEFINED)).contains("text must be a string"));
    let svg = render_svg(s(TEXT), JsValue::from(2.0), JsValue::UNDEFINED).map_err(JsValue::from).unwrap_err();
    assert!(js_sys_message(&svg).contains("target (a stage name or \"#index\") must be a string"));
    assert!(message(rename(s(TEXT), 0.0, JsValue::from(42.0))).contains("newName must be a string"));
    assert!(to_mermaid(JsValue::TRUE).is_err() && definition(JsValue::NULL, 0.0).is_err());
    for _ in 0..50 {
        assert!(analyze(JsValue::from(1.0), JsValue::UNDEFINED).is_err());
    }
    let v = json(&analyze(s(TEXT), JsValue::UNDEFINED).map_err(JsValue::from).unwrap());
    assert!(v["stages"].as_array().is_some_and(|a| !a.is_empty()), "still working");
}
