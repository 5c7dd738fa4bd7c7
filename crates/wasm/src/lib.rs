//! stagecraft for the browser (wasm-bindgen, `--target web`). Every function takes the
//! Dockerfile text; offsets are UTF-16 code units, as JavaScript strings count them. Failures
//! are JavaScript `Error`s with a message for people, never a trap. The README's "In the
//! browser" section lists the API; `api` holds the logic as plain, natively tested Rust.

pub mod api;
pub mod json;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod sweep_tests;

use stagecraft_analysis::Options;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn reflect_get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(target: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> bool;
}

fn from_json(text: String) -> Result<JsValue, JsError> {
    json_parse(&text).map_err(|_| JsError::new("internal error: the result is not JSON"))
}

fn fail(message: String) -> JsError {
    JsError::new(&message)
}

fn get(target: &JsValue, key: &str) -> JsValue {
    reflect_get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The elements of a JS array.
fn elements(array: &JsValue) -> Vec<JsValue> {
    let len = get(array, "length").as_f64().unwrap_or(0.0) as u32;
    (0..len).map(|i| reflect_get(array, &JsValue::from(i)).unwrap_or(JsValue::UNDEFINED)).collect()
}

/// Reads `{buildArgs?: Record<string, string>, targets?: string[], platform?: string, target?: string}`.
fn options(value: &JsValue) -> Result<Options, JsError> {
    let mut o = Options::default();
    if value.is_undefined() || value.is_null() {
        return Ok(o);
    }
    if !value.is_object() || is_array(value) {
        return Err(fail("options must be an object: {buildArgs?, targets?, platform?, target?}".into()));
    }
    let keys = object_keys(value).map_err(|_| fail("options must be a plain object".into()))?;
    for key in elements(&keys) {
        let key = key.as_string().unwrap_or_default();
        if !["buildArgs", "targets", "platform", "target"].contains(&key.as_str()) {
            return Err(fail(format!("unknown option `{key}` (known: buildArgs, targets, platform, target)")));
        }
    }
    let args = get(value, "buildArgs");
    if !(args.is_undefined() || args.is_null()) {
        if !args.is_object() || is_array(&args) {
            return Err(fail("buildArgs must be an object of strings".into()));
        }
        let names = object_keys(&args).map_err(|_| fail("buildArgs must be an object of strings".into()))?;
        for name in elements(&names) {
            let name = name.as_string().unwrap_or_default();
            let v = get(&args, &name);
            let v = match (v.as_string(), v.as_f64(), v.as_bool()) {
                (Some(s), _, _) => s,
                (_, Some(n), _) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", n as i64),
                (_, _, Some(b)) => b.to_string(),
                _ => return Err(fail(format!("buildArgs.{name} must be a string"))),
            };
            o.build_args.push((name, v));
        }
    }
    // The target platform, `os/arch[/variant]`, as `docker build --platform` takes one.
    let platform = get(value, "platform");
    if !(platform.is_undefined() || platform.is_null()) {
        let p = platform.as_string().ok_or_else(|| fail("platform must be a string such as linux/arm64".into()))?;
        // Trimmed, and empty is not given, as the CLI and the server read it.
        let p = p.trim();
        if !p.is_empty() {
            if let Err(e) = stagecraft_analysis::platform::parse_target(p) {
                return Err(fail(format!("platform {e}; write os/arch, such as linux/arm64")));
            }
            o.platform = Some(p.to_string());
        }
    }
    let targets = get(value, "targets");
    if !(targets.is_undefined() || targets.is_null()) {
        if !is_array(&targets) {
            return Err(fail("targets must be an array of stage names".into()));
        }
        for t in elements(&targets) {
            o.targets.push(t.as_string().ok_or_else(|| fail("targets must be strings".into()))?);
        }
    }
    // The build's `--target` (in play instead of the default target), as the CLI's.
    let target = get(value, "target");
    if !(target.is_undefined() || target.is_null()) {
        let t =
            target.as_string().ok_or_else(|| fail("target must be a string (a stage name or \"#index\")".into()))?;
        // (Empty is none, as BuildKit reads an empty --target, and as renderSvg's target is.)
        o.target = Some(t).filter(|t| !t.is_empty());
    }
    Ok(o)
}

/// A string argument. The parameters are `JsValue`s checked here: wasm-bindgen's glue for a
/// `&str` given a number or an object corrupts the allocator (a trap, then every later call
/// traps too) instead of failing.
fn string(value: &JsValue, what: &str) -> Result<String, JsError> {
    value.as_string().ok_or_else(|| JsError::new(&format!("{what} must be a string")))
}

/// The whole analysis: stages, references, targets with build plans, diagnostics, global ARGs.
#[wasm_bindgen]
pub fn analyze(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    options: JsValue,
) -> Result<JsValue, JsError> {
    let options = self::options(&options)?;
    let text = string(&text, "text")?;
    api::check_targets(&text, &options).map_err(fail)?;
    from_json(api::analyze(&text, &options))
}

/// The build plan of `--target` = stage `stage` (an index): `{stages, waves, inCycle, images,
/// legacyStages}`; `analyze` leaves plans null in a file with thousands of stages in a chain.
#[wasm_bindgen]
pub fn plan(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue, stage: f64) -> Result<JsValue, JsError> {
    from_json(api::plan(&string(&text, "text")?, stage).map_err(fail)?)
}

/// The stage graph as SVG; `target` is a stage name, `#<index>`, or null for the default.
#[wasm_bindgen(js_name = renderSvg)]
pub fn render_svg(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] target: JsValue,
    options: JsValue,
) -> Result<String, JsError> {
    let options = self::options(&options)?;
    let target = if target.is_null() || target.is_undefined() {
        None
    } else {
        Some(string(&target, "target (a stage name or \"#index\")")?)
    };
    let text = string(&text, "text")?;
    api::check_targets(&text, &options).map_err(fail)?;
    api::render_svg(&text, target.as_deref(), &options).map_err(fail)
}

/// The stage graph in Graphviz DOT.
#[wasm_bindgen(js_name = toDot)]
pub fn to_dot(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> Result<String, JsError> {
    Ok(api::to_dot(&string(&text, "text")?))
}

/// The stage graph as a Mermaid flowchart.
#[wasm_bindgen(js_name = toMermaid)]
pub fn to_mermaid(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> Result<String, JsError> {
    Ok(api::to_mermaid(&string(&text, "text")?))
}

/// The `AS` name of the stage referenced or defined at `offset`, or null.
#[wasm_bindgen]
pub fn definition(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    offset: f64,
) -> Result<JsValue, JsError> {
    from_json(api::definition(&string(&text, "text")?, offset).map_err(fail)?)
}

/// Every occurrence of the stage at `offset` (its definition included).
#[wasm_bindgen]
pub fn references(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    offset: f64,
) -> Result<JsValue, JsError> {
    from_json(api::references(&string(&text, "text")?, offset).map_err(fail)?)
}

/// Renames the stage at `offset`: the new text and the edits; throws why when refused.
#[wasm_bindgen]
pub fn rename(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    offset: f64,
    #[wasm_bindgen(unchecked_param_type = "string")] new_name: JsValue,
) -> Result<JsValue, JsError> {
    from_json(api::rename(&string(&text, "text")?, offset, &string(&new_name, "newName")?).map_err(fail)?)
}

/// The stage whose lines contain `offset`, or null.
#[wasm_bindgen(js_name = stageAt)]
pub fn stage_at(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    offset: f64,
) -> Result<Option<u32>, JsError> {
    Ok(api::stage_at(&string(&text, "text")?, offset).map_err(fail)?.map(|s| s as u32))
}

/// The version of stagecraft.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
