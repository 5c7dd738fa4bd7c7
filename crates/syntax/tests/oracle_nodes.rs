//! The tree against BuildKit's own parser output (the oracle's `parse.nodes`): every
//! instruction's keyword, joined line, line span, flags, exec form, heredocs (name, fd, expand,
//! chomp, content), description comments and empty-continuation warnings.

use stagecraft_syntax::ast::{AstNode, Instruction};
use stagecraft_syntax::{parse, LineIndex};
use stagecraft_testkit::{oracles, read, Value};

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
}

fn compare(text: &str, node: &Value, i: &Instruction, index: &LineIndex, top: bool) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |what: &str, ours: String, theirs: String| {
        if ours != theirs {
            diffs.push(format!("{what}: ours {ours:?}, BuildKit {theirs:?}"));
        }
    };
    check("keyword", i.keyword().unwrap_or_default(), node["instruction"].as_str().unwrap_or("").into());
    check(
        "flags",
        format!("{:?}", i.flags().map(|f| f.cooked()).collect::<Vec<_>>()),
        format!("{:?}", strings(&node["flags"])),
    );
    check("json_form", i.json().is_some().to_string(), node["json_form"].as_bool().unwrap_or(false).to_string());
    if top {
        check("original", i.original(), node["original"].as_str().unwrap_or("").into());
        let (s, e) = index.buildkit_lines(i.syntax().text_range(), text);
        check("lines", format!("{s}-{e}"), format!("{}-{}", node["start_line"], node["end_line"]));
        let prev = strings(&node["prev_comment"]);
        check("prev_comment", format!("{:?}", i.prev_comments()), format!("{prev:?}"));
    }
    let bodies: Vec<_> = i.heredoc_bodies().collect();
    let words = i.heredocs();
    let ours: Vec<String> = words
        .iter()
        .zip(bodies.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|((h, _), b)| {
            format!("{}|{}|{}|{}|{:?}", h.name, h.fd, h.expand, h.chomp, b.map(|b| b.content()).unwrap_or_default())
        })
        .collect();
    let theirs: Vec<String> = node["heredocs"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| {
                    format!(
                        "{}|{}|{}|{}|{:?}",
                        h["name"].as_str().unwrap_or(""),
                        h["fd"],
                        h["expand"],
                        h["chomp"],
                        h["content"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // An ONBUILD's heredocs live in its trigger.
    if !(top && i.trigger().is_some()) {
        check("heredocs", format!("{ours:?}"), format!("{theirs:?}"));
    }
    if let (Some(sub), Some(trigger)) = (node.get("sub").filter(|s| !s.is_null()), i.trigger()) {
        for d in compare(text, sub, &trigger, index, false) {
            diffs.push(format!("trigger {d}"));
        }
        let sub_heredocs = node["heredocs"].as_array().map_or(0, Vec::len);
        if trigger.heredocs().len() != sub_heredocs {
            diffs.push(format!("trigger heredocs: ours {}, BuildKit {sub_heredocs}", trigger.heredocs().len()));
        }
    }
    diffs
}

#[test]
fn instructions_match_buildkit_parser_nodes() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for oracle in oracles() {
        let parse_json = &oracle.json["parse"];
        if !parse_json["error"].is_null() {
            continue;
        }
        let text = read(&oracle.dockerfile);
        let parse = parse(&text);
        let index = LineIndex::new(&text);
        let instructions: Vec<Instruction> = parse.tree().instructions().collect();
        let nodes = parse_json["nodes"].as_array().cloned().unwrap_or_default();
        checked += 1;
        if instructions.len() != nodes.len() {
            failures.push(format!("{}: {} instructions, BuildKit {}", oracle.name, instructions.len(), nodes.len()));
            continue;
        }
        for (i, node) in instructions.iter().zip(&nodes) {
            for d in compare(&text, node, i, &index, true) {
                failures.push(format!("{} line {}: {d}", oracle.name, node["start_line"]));
            }
        }
        // Empty-continuation warnings: one per instruction, on its last line.
        let ours: Vec<u32> = instructions
            .iter()
            .filter(|i| i.has_empty_continuation())
            .map(|i| index.buildkit_lines(i.syntax().text_range(), &text).1)
            .collect();
        let theirs: Vec<u32> = parse_json["warnings"]
            .as_array()
            .map(|w| w.iter().filter_map(|w| w["line"].as_u64().map(|l| l as u32)).collect())
            .unwrap_or_default();
        if ours != theirs {
            failures.push(format!("{}: empty continuation lines ours {ours:?}, BuildKit {theirs:?}", oracle.name));
        }
    }
    println!("parser nodes: {} of {checked} files agree with BuildKit", checked - failures.len().min(checked));
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 700, "only {checked} oracle files were checked");
}
