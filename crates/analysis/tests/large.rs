//! Files with thousands of variables: findings in the right places however many there are, and
//! the "did you mean" searches bounded. (How long these take is for `tools/stress.py`, not for
//! a test: these check what the answers are.)

use stagecraft_analysis::{analyze, Analysis, Options};

fn undefined(a: &Analysis) -> Vec<&str> {
    a.diagnostics().iter().filter(|d| d.code == "UndefinedVar").map(|d| d.message.as_str()).collect()
}

/// The text each UndefinedVar finding points at, in order.
fn pointed<'t>(a: &Analysis, text: &'t str) -> Vec<&'t str> {
    a.diagnostics()
        .iter()
        .filter(|d| d.code == "UndefinedVar")
        .map(|d| &text[usize::from(d.range.start())..usize::from(d.range.end())])
        .collect()
}

/// Each finding points at where its variable is written in its instruction: inside another
/// variable's default; used in two words of one instruction, each finding at its own word's use
/// (BuildKit reports a name once for each word); and again in the next one.
#[test]
fn undefined_variables_where_they_are_written() {
    let text = "FROM alpine\nENV A=${B:-$C} D=$C$E\nENV F=x$E\n";
    let a = analyze(text, &Options::default());
    // (`$C` twice: once for each word that uses it, as BuildKit reports it.)
    assert_eq!(pointed(&a, text), ["${B:-$C}", "$C", "$C", "$E", "$E"], "{:?}", a.diagnostics());
    let starts: Vec<usize> =
        a.diagnostics().iter().filter(|d| d.code == "UndefinedVar").map(|d| usize::from(d.range.start())).collect();
    // `$C` inside the default, then the one of the next word; `$E` of each instruction.
    assert_eq!(starts, [18, 23, 29, 31, 41]);
    // A word that uses a name twice is reported once, at its first use; the next word's finding
    // is at that word's use. Each option of a mount is a word of its own.
    let text = "FROM alpine\nENV A=x B=$N$N C=${N}\nRUN --mount=type=cache,target=/a$N,id=$N --mount=type=cache,target=/b$N true\n";
    let a = analyze(text, &Options::default());
    let starts: Vec<usize> =
        a.diagnostics().iter().filter(|d| d.code == "UndefinedVar").map(|d| usize::from(d.range.start())).collect();
    assert_eq!(pointed(&a, text), ["$N", "${N}", "$N", "$N", "$N"], "{:?}", a.diagnostics());
    let line3 = text.find("RUN").unwrap();
    let uses: Vec<usize> = text[line3..].match_indices("$N").map(|(i, _)| line3 + i).collect();
    assert_eq!(starts, [22, 29, uses[0], uses[1], uses[2]]);
}

/// One ENV of 3,000 pairs, each using a variable no one set: 3,000 findings, each at its own
/// variable (the instruction's variables are read once, then found by name).
#[test]
fn one_instruction_of_thousands_of_pairs() {
    let n = 3000;
    let pairs: Vec<String> = (0..n).map(|i| format!("V{i}=$U{i}")).collect();
    let text = format!("FROM alpine\nENV {}\n", pairs.join(" \\\n  "));
    let a = analyze(&text, &Options::default());
    let expected: Vec<String> = (0..n).map(|i| format!("$U{i}")).collect();
    assert_eq!(pointed(&a, &text), expected);
}

/// Thousands of ENV lines and ARGs set and read each other as a list does: later ones see the
/// earlier ones, a key set again keeps its last value.
#[test]
fn thousands_of_variables() {
    let n = 5000;
    let mut text = String::from("FROM alpine\nENV V0=0\n");
    for i in 1..n {
        text.push_str(&format!("ENV V{i}=$V{}\nARG A{i}=$V{i}\n", i - 1));
    }
    // Set again: the last value counts, and nothing is undefined.
    text.push_str("ENV V0=again\nENV LAST=$V0$A4999\n");
    let a = analyze(&text, &Options::default());
    assert!(undefined(&a).is_empty(), "{:?}", &a.diagnostics()[..a.diagnostics().len().min(3)]);
    // An undefined one among them is found, with the close name suggested (the last one set).
    let a = analyze(&format!("{text}ENV X=$LAST1\n"), &Options::default());
    assert_eq!(undefined(&a), ["Usage of undefined variable '$LAST1' (did you mean $LAST?)"]);
}

/// "Did you mean" has a budget per analysis: with 2,100 variables and 2,100 undefined names
/// close to them, some names get their suggestion and, once the budget is spent, the others
/// get none (the findings themselves all stay). A file of ordinary size is far from it.
#[test]
fn suggestions_stop_when_their_budget_is_spent() {
    let n = 2100;
    let mut text = String::from("FROM alpine\n");
    for i in 0..n {
        text.push_str(&format!("ENV V{i}=1\n"));
    }
    let uses: Vec<String> = (0..n).map(|i| format!("$W{i}")).collect();
    text.push_str(&format!("ENV X={}\n", uses.join("")));
    let a = analyze(&text, &Options::default());
    let found = undefined(&a);
    assert_eq!(found.len(), n);
    assert_eq!(found[0], "Usage of undefined variable '$W0' (did you mean $V0?)");
    let suggested = found.iter().filter(|m| m.contains("did you mean")).count();
    assert!(suggested > 1000 && suggested < n, "{suggested} of {n} suggested");
    // With half the names, every one gets its suggestion.
    let half = text.replace(&uses[n / 2..].join(""), "");
    let a = analyze(&half, &Options::default());
    assert!(undefined(&a).iter().all(|m| m.contains("did you mean")));
}

/// The unknown-stage search (a `--from` name close to a stage's) has a budget too: each distinct
/// name costs a comparison with every stage's. Beside 2,100 stages, ten close names, then 1,990
/// names far from every stage (cheap to compare, but they spend the budget), then ten close
/// names again: the last ten are not searched. With 100 far names fewer, they are.
#[test]
fn unknown_stage_searches_stop_when_their_budget_is_spent() {
    let file = |far: usize| {
        let mut text: String = (0..2100).map(|i| format!("FROM alpine AS stage-{i}\n")).collect();
        text.extend((0..10).map(|i| format!("COPY --from=stage_{i} / /\n")));
        text.extend((0..far).map(|i| format!("COPY --from=a-name-far-from-every-stage-{i} / /\n")));
        text.extend((10..20).map(|i| format!("COPY --from=stage_{i} / /\n")));
        analyze(&text, &Options::default())
    };
    let found = |a: &Analysis| -> Vec<String> {
        a.diagnostics().iter().filter(|d| d.code == "unknown-stage").map(|d| d.message.clone()).collect()
    };
    let spent = found(&file(1990));
    assert_eq!(spent.len(), 10, "{spent:?}");
    assert!(spent[9].contains("`stage_9`") && spent[9].contains("the stage `stage-9`"), "{}", spent[9]);
    assert_eq!(found(&file(1890)).len(), 20);
}

/// All of an analysis's expansions may add 64 MiB to their words (`env::EXPANSION_BUDGET`): a
/// 60 KB value used 1,200 times asks for 72 MB, and the uses past the budget fail, each
/// reported where it is; 1,100 uses fit. (The browser build, without `large-files`, has no
/// budget.)
#[cfg(feature = "large-files")]
#[test]
fn expansions_stop_when_their_budget_is_spent() {
    let file = |uses: usize| {
        let mut text = format!("FROM alpine\nENV A={}\n", "x".repeat(60_000));
        text.extend((0..uses).map(|i| format!("ENV B{i}=$A\n")));
        text.push_str("ENV C=short\n");
        text
    };
    let failed = |text: &str| -> Vec<String> {
        let a = analyze(text, &Options::default());
        let failures = a.diagnostics().iter().filter(|d| d.code == "invalid-expansion");
        failures.map(|d| text[usize::from(d.range.start())..usize::from(d.range.end())].to_string()).collect()
    };
    // Each use adds 59,998 bytes: 1,118 of them fit in 64 MiB.
    let spent = failed(&file(1200));
    let expected: Vec<String> = (1118..1200).map(|i| format!("ENV B{i}=$A")).collect();
    assert_eq!(spent, expected);
    let a = analyze(&file(1200), &Options::default());
    let first = a.diagnostics().iter().find(|d| d.code == "invalid-expansion").unwrap();
    assert!(first.message.contains("together grow more than 64 MiB"), "{}", first.message);
    assert!(failed(&file(1100)).is_empty());
}

/// Stages built on a stage of a thousand variables, one on the other and side by side: each
/// sees every variable of its base (the scopes are shared, not copied string by string).
#[test]
fn stages_on_a_stage_of_thousands_of_variables() {
    let k = 1000;
    let mut text = String::from("FROM alpine AS s0\n");
    text.extend((0..k).map(|i| format!("ENV K{i}=v{i}\n")));
    text.extend((1..k).map(|i| format!("FROM s{} AS s{i}\nARG A{i}=$K{i}\nENV Y=$A{}$K0\n", i - 1, i - 1)));
    text.extend((1..k).map(|i| format!("FROM s0 AS f{i}\nENV X=$K{i}$A1\n")));
    let a = analyze(&text, &Options::default());
    // Only `$A1` in the stages on s0 (which declares no ARG) is undefined, and `$A0` in s1.
    let found = undefined(&a);
    assert_eq!(found.len(), k, "{:?}", &found[..found.len().min(3)]);
    assert!(found[1..].iter().all(|m| m.starts_with("Usage of undefined variable '$A1'")), "{}", found[1]);
    assert!(found[0].starts_with("Usage of undefined variable '$A0'"), "{}", found[0]);
}

/// What a variable holds and where it was set, in a scope of thousands (the probe's record of
/// where each variable was set is kept as the scope is): a key set again, a stage built on
/// another, global ARGs.
#[test]
fn variable_values_among_thousands() {
    use stagecraft_analysis::queries::VariableSource;
    use stagecraft_syntax::{TextRange, TextSize};
    let n = 3000;
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("ARG G{i}=g{i}\n"));
    }
    text.push_str("FROM alpine AS base\n");
    for i in 0..n {
        text.push_str(&format!("ENV V{i}=v{i}\n"));
    }
    text.push_str("ENV V7=again\nFROM base\nARG A=x\nLABEL a=$V7 b=$V2999 c=$A\nFROM alpine\nARG G5\nLABEL g=$G5\n");
    let a = analyze(&text, &Options::default());
    let at = |needle: &str| {
        let offset = text.find(needle).unwrap() + 1;
        a.variable_at(TextSize::new(offset as u32)).expect(needle)
    };
    // The key of the assignment written `assignment`.
    let key = |assignment: &str| {
        let start = text.find(assignment).unwrap() as u32;
        let len = assignment.find('=').unwrap() as u32;
        TextRange::at(start.into(), len.into())
    };
    let v7 = at("$V7");
    assert_eq!((v7.value.as_deref(), v7.source), (Some("again"), VariableSource::Env(key("V7=again"))));
    let last = at("$V2999");
    assert_eq!((last.value.as_deref(), last.source), (Some("v2999"), VariableSource::Env(key("V2999=v2999"))));
    let arg = at("$A");
    assert_eq!((arg.value.as_deref(), arg.source), (Some("x"), VariableSource::Arg(key("A=x"))));
    let g5 = at("$G5");
    assert_eq!((g5.value.as_deref(), g5.source), (Some("g5"), VariableSource::GlobalArg(key("G5=g5"))));
}

/// Findings the file's `# check=skip` drops spend none of the suggestion budget: 2,100 `FROM`s
/// naming undefined ARGs close to 2,100 global ones would spend it all, and the undefined
/// variable after them still gets its suggestion.
#[test]
fn skipped_findings_spend_no_suggestions() {
    let n = 2100;
    let mut text = String::from("# check=skip=UndefinedArgInFrom\n");
    for i in 0..n {
        text.push_str(&format!("ARG V{i}=1\n"));
    }
    for i in 0..n {
        text.push_str(&format!("FROM alpine:$W{i} AS s{i}\n"));
    }
    text.push_str("ENV HOME_DIR=/srv\nENV X=$HOME_DIRS\n");
    let a = analyze(&text, &Options::default());
    assert!(a.diagnostics().iter().all(|d| d.code != "UndefinedArgInFrom"));
    assert_eq!(undefined(&a), ["Usage of undefined variable '$HOME_DIRS' (did you mean $HOME_DIR?)"]);
    // Shown, the FROMs' findings spend it.
    let a = analyze(text.trim_start_matches("# check=skip=UndefinedArgInFrom\n"), &Options::default());
    assert_eq!(undefined(&a), ["Usage of undefined variable '$HOME_DIRS'"]);
}

/// The stages built on a stage of hundreds of `ONBUILD COPY --from` triggers each inherit them;
/// of the stages the build does not need, 2^18 such triggers are read, and an info says where
/// reading stops (four million references took 1.4 GB). The stages the build needs are read
/// whatever their number. (The browser build, without `large-files`, reads them all.)
#[cfg(feature = "large-files")]
#[test]
fn inherited_triggers_are_read_within_a_budget() {
    let file = |n: usize| {
        let mut text = String::from("FROM alpine AS s0\n");
        text.extend((0..n).map(|i| format!("ONBUILD COPY --from=img{i} /a /b\n")));
        text.extend((1..n).map(|i| format!("FROM s0 AS s{i}\n")));
        text
    };
    let stops = |text: &str| -> Vec<String> {
        let a = analyze(text, &Options::default());
        let d = a.diagnostics().iter().filter(|d| d.code == "triggers-not-read");
        d.map(|d| text[usize::from(d.range.start())..usize::from(d.range.end())].to_string()).collect()
    };
    // s1 to s598 are not needed (the target is s599): 436 of them fit, 600 triggers each.
    assert_eq!(stops(&file(600)), ["FROM s0 AS s437"]);
    assert!(stops(&file(400)).is_empty());
    // The target's own inherited references are there however many were skipped.
    let a = analyze(&file(600), &Options::default());
    let target = a.stages().len() - 1;
    let inherited = a
        .references()
        .iter()
        .filter(|r| r.in_stage == target && matches!(r.origin, stagecraft_analysis::RefOrigin::Inherited { .. }));
    assert_eq!(inherited.count(), 600);
}

/// A `# check=` comment above each of a thousand instructions, under a file-wide `skip=` list of
/// two thousand names: each comment's own skip counts for its instruction only (each kept apart
/// from the file's list, which was copied for every instruction and every comment).
#[test]
fn check_comments_under_a_long_skip_list() {
    let names: Vec<String> = (0..2000).map(|i| format!("Rule{i}")).collect();
    let mut text = format!("# check=skip=StageNameCasing,{}\nFROM alpine AS Base\n", names.join(","));
    for i in 0..1000 {
        if i % 2 == 0 {
            text.push_str("# check=skip=JSONArgsRecommended\n");
        }
        text.push_str(&format!("CMD run {i}\n"));
    }
    let a = analyze(&text, &Options::default());
    let lines: Vec<u32> =
        a.diagnostics().iter().filter(|d| d.code == "JSONArgsRecommended").map(|d| d.lines.0).collect();
    // The odd ones: line 5, then every three lines (a pair of CMDs and one comment).
    let expected: Vec<u32> = (0..500).map(|k| 5 + 3 * k).collect();
    assert_eq!(lines, expected);
    assert!(!a.diagnostics().iter().any(|d| d.code == "StageNameCasing"));
}
