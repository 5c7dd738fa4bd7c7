//! Reads cases as JSON from stdin, `[{"rules": "...", "paths": ["..."]}, ...]`, and prints for
//! each the ignore file's verdicts as JSON: `{"error": "message"}` when the rules do not parse,
//! else `{"matches": [true | false | null]}` (`null`: a rule cannot be matched). For
//! `tools/ignore_differential.py`.
use stagecraft_analysis::dockerignore::DockerIgnore;
use stagecraft_testkit::serde_json::{self, json, Value};

fn main() {
    let cases: Value = serde_json::from_reader(std::io::stdin()).expect("JSON cases on stdin");
    let out: Vec<Value> = cases
        .as_array()
        .expect("an array of cases")
        .iter()
        .map(|case| match DockerIgnore::parse(case["rules"].as_str().unwrap_or_default()) {
            Err(e) => json!({"error": e.message, "line": e.line}),
            Ok(rules) => {
                let paths = case["paths"].as_array().map(Vec::as_slice).unwrap_or_default();
                let matches: Vec<Value> = paths
                    .iter()
                    .map(|p| match rules.matches_or_parent_matches(p.as_str().unwrap_or_default()) {
                        Some(m) => json!(m),
                        None => Value::Null,
                    })
                    .collect();
                json!({"matches": matches})
            }
        })
        .collect();
    println!("{}", Value::Array(out));
}
