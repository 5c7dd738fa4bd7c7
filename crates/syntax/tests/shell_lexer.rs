//! The shell lexer port against BuildKit's own fixtures (`envVarTest`, `wordsTest`) and against
//! vectors produced by running BuildKit's lexer.

use std::path::Path;

use stagecraft_syntax::shell::{EnvList, Lexer};
use stagecraft_testkit::{corpus_dir, read, Value};

fn fixture_env() -> EnvList {
    EnvList::from_entries(["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="])
}

#[test]
fn env_var_test_fixture() {
    let text = read(&corpus_dir().join("buildkit-parser/_shell-lexer/envVarTest"));
    let env = fixture_env();
    let lex = Lexer::new('\\');
    let mut checked = 0;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.trim().split('|').collect();
        assert_eq!(fields.len(), 3, "bad fixture line {line:?}");
        let (platform, input, expected) = (fields[0].trim(), fields[1].trim(), fields[2].trim());
        if platform == "W" {
            continue;
        }
        checked += 1;
        match lex.process_word(input, &env) {
            Ok(e) => assert_eq!(e.result, expected, "input {input:?}"),
            Err(e) => assert_eq!(expected, "error", "input {input:?} failed: {e}"),
        }
    }
    assert_eq!(checked, 228);
}

#[test]
fn words_test_fixture() {
    let text = read(&corpus_dir().join("buildkit-parser/_shell-lexer/wordsTest"));
    let mut env: Vec<String> = Vec::new();
    let lex = Lexer::new('\\');
    let mut checked = 0;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("ENV ") {
            env.push(rest.trim_start_matches(' ').to_string());
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        assert_eq!(fields.len(), 2, "bad fixture line {line:?}");
        let expected: Vec<&str> = fields[1].trim_start_matches(' ').split(',').collect();
        let words =
            lex.process_words(fields[0].trim(), &EnvList::from_entries(&env)).unwrap_or_else(|_| vec!["error".into()]);
        assert_eq!(words, expected, "input {:?}", fields[0].trim());
        checked += 1;
    }
    assert_eq!(checked, 24);
}

#[test]
fn vectors_from_buildkits_lexer() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shell-lexer-vectors.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json_from(line);
        count += 1;
        let flags: Vec<&str> = v["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        let escape = v["escape"].as_str().unwrap().chars().next().unwrap();
        let mut lex = Lexer::new(escape);
        lex.raw_quotes = flags.contains(&"RawQuotes");
        lex.raw_escapes = flags.contains(&"RawEscapes");
        lex.skip_unset_env = flags.contains(&"SkipUnsetEnv");
        lex.skip_process_quotes = flags.contains(&"SkipProcessQuotes");
        let env = EnvList::from_entries(v["env"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()));
        let input = v["input"].as_str().unwrap();
        let ours = match lex.process_word(input, &env) {
            Ok(e) => format!(
                "result={:?} matched={:?} unmatched={:?}",
                e.result,
                e.matched.iter().collect::<Vec<_>>(),
                e.unmatched.iter().collect::<Vec<_>>()
            ),
            Err(e) => format!("error={e}"),
        };
        let theirs = match v["error"].as_str() {
            Some(e) => format!("error={e}"),
            None => format!(
                "result={:?} matched={:?} unmatched={:?}",
                v["result"].as_str().unwrap(),
                v["matched"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect::<Vec<_>>(),
                v["unmatched"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect::<Vec<_>>()
            ),
        };
        if ours != theirs {
            failures.push(format!("{input:?} {flags:?}:\n  ours     {ours}\n  BuildKit {theirs}"));
        }
        if let Some(words) = v["words"].as_array() {
            let expected: Vec<String> = words.iter().map(|w| w.as_str().unwrap().to_string()).collect();
            let got = lex.process_words(input, &env).unwrap_or_default();
            if got != expected {
                failures.push(format!("{input:?} {flags:?} words: ours {got:?}, BuildKit {expected:?}"));
            }
        }
    }
    assert!(count > 300);
    assert!(failures.is_empty(), "{} of {count} differ:\n{}", failures.len(), failures.join("\n"));
}

fn serde_json_from(line: &str) -> Value {
    stagecraft_testkit::parse_json(line)
}
