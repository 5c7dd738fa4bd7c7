//! The pieces of Go's standard library stagecraft reproduces, against Go itself, through
//! `tools/oracle-go` on Go 1.24 from Debian 13's archive (`tools/go-trixie.sh`): the Unicode
//! classes and case mappings of `crates/syntax/src/go.rs` (what BuildKit's parser, shell lexer
//! and stage-name matching ask), `strconv.ParseBool`, `strconv.Quote` (the parser's dump),
//! `time.ParseDuration` (HEALTHCHECK's flags), `path.Clean` (the ignore file's patterns and
//! sources, WORKDIR) and `net.SplitHostPort` and `net.ParseIP` (an EXPOSE port's address), and
//! two of BuildKit's own libraries, from Debian's archive too: go-units' `RAMInBytes` (a tmpfs
//! mount's size) and moby/sys/signal's `ParseSignal` (STOPSIGNAL). Needs that Go, so it runs
//! on demand (`tools/test.sh differential` runs it): `cargo test -p stagecraft-analysis --lib
//! go_std -- --ignored`. (The exec form's JSON and the shell patterns' regexp are checked in
//! the syntax crate, with the same tool.)

use stagecraft_syntax::go;
use stagecraft_testkit::{serde_json, Rng, Value};

/// The ranges of code points where `pred` holds (surrogates, which no `char` is, never).
fn ranges(pred: impl Fn(char) -> bool) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|&c| pred(c)) {
        match out.last_mut() {
            Some(last) if last.1 + 1 == c as u32 => last.1 = c as u32,
            _ => out.push((c as u32, c as u32)),
        }
    }
    out
}

fn pairs(v: &Value) -> Vec<(u32, u32)> {
    v.as_array().unwrap().iter().map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32)).collect()
}

/// Where two sorted lists of pairs differ, for the message.
fn first_differences(ours: &[(u32, u32)], theirs: &[(u32, u32)]) -> String {
    let only = |a: &[(u32, u32)], b: &[(u32, u32)]| -> Vec<String> {
        a.iter().filter(|p| b.binary_search(p).is_err()).take(10).map(|(x, y)| format!("{x:04X}..{y:04X}")).collect()
    };
    format!("ours only: {:?}; Go's only: {:?}", only(ours, theirs), only(theirs, ours))
}

#[test]
#[ignore = "needs Go from Debian's archive"]
fn unicode_against_go() {
    let go = stagecraft_testkit::parse_json(&stagecraft_testkit::go_run("oracle-go", &["unicode"], String::new()));
    let one = |c: char, f: fn(&str) -> String| -> u32 {
        let mapped = f(c.encode_utf8(&mut [0; 4]));
        let mut chars = mapped.chars();
        match (chars.next(), chars.next()) {
            (Some(m), None) => m as u32,
            _ => panic!("{:04X} maps to {mapped:?}, not one character", c as u32),
        }
    };
    let mapping = |f: fn(&str) -> String| -> Vec<(u32, u32)> {
        (0..=0x10FFFF).filter_map(char::from_u32).map(|c| (c as u32, one(c, f))).filter(|(c, m)| c != m).collect()
    };
    let folds: Vec<(u32, u32)> = (0x80..=0x10FFFF)
        .filter_map(char::from_u32)
        .flat_map(|c| {
            (b'a'..=b'z')
                .filter(move |&a| go::equal_fold_ascii(c.encode_utf8(&mut [0; 4]), &(a as char).to_string()))
                .map(move |a| (c as u32, u32::from(a)))
        })
        .collect();
    let ours = [
        ("space", ranges(go::is_space)),
        ("letter", ranges(go::is_letter)),
        ("digit", ranges(go::is_digit)),
        ("print", ranges(go::is_print)),
        ("lower", mapping(go::to_lower)),
        ("upper", mapping(go::to_upper)),
        ("fold", folds),
    ];
    let mut differ = Vec::new();
    for (name, ours) in &ours {
        let theirs = pairs(&go[name]);
        if *ours != theirs {
            differ.push(format!("{name}: {}", first_differences(ours, &theirs)));
        }
    }
    // The names of the Unicode classes Go's regexp knows (`\pL`, `\p{Greek}`).
    let groups: Vec<&str> = go["groups"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
    if groups != crate::dockerignore::UNICODE_GROUPS {
        differ.push(format!("groups: Go's {groups:?}"));
    }
    assert!(differ.is_empty(), "against Go {} (Unicode {}):\n{}", "1.24", go["version"], differ.join("\n"));
    // Not vacuous: thousands of letters, hundreds of case pairs, the Kelvin sign.
    assert!(ours[1].1.len() > 500 && ours[4].1.len() > 1000 && ours[6].1.contains(&(0x212A, u32::from(b'k'))));
}

#[test]
#[ignore = "needs Go from Debian's archive"]
fn lines_against_go() {
    const DURATION: &[&str] = &[
        "1",
        "0",
        "12",
        ".5",
        "1.",
        ".",
        "-",
        "+",
        "h",
        "m",
        "s",
        "ms",
        "us",
        "µs",
        "μs",
        "ns",
        "x",
        "",
        "00",
        "e",
        " ",
        "9223372036854775807",
        "9223372036854775808",
        "2562047h",
        "2562048h",
        "0000000000000000000001",
        "1.0000000000000000000001",
        "\u{c2}",
        "%",
    ];
    const BOOL: &[&str] =
        &["1", "0", "t", "T", "f", "F", "true", "TRUE", "True", "tRUE", "false", "yes", "", " true", "2"];
    let mut rng = Rng(0x5eed_0060);
    let mut inputs: Vec<(&str, String)> = Vec::new();
    for _ in 0..20_000 {
        let pieces = 1 + rng.below(5);
        let s: String = (0..pieces).map(|_| DURATION[rng.below(DURATION.len())]).collect();
        inputs.push(("duration", s));
    }
    for b in BOOL {
        inputs.push(("bool", b.to_string()));
    }
    let bytes: &[&[u8]] = &[
        b"a",
        b"\"",
        b"\\",
        b"\n",
        b"\t",
        b"\x07",
        b"\x7f",
        b"\xff",
        b"\xc3",
        b"\xc3\xa9",
        b"\xe2\x80\xa8",
        b"\xef\xbb\xbf",
        b"\xf0\x9f\x98\x80",
        b"\xed\xa0\x80",
        b"\xcd\xb8",
        b"\xc2\xa0",
        b"\xc2\xad",
        b" ",
        b"\x00",
        b"\xf4\x90\x80\x80",
    ];
    let mut quoted_inputs = Vec::new();
    for _ in 0..5_000 {
        let b: Vec<u8> = (0..1 + rng.below(6)).flat_map(|_| bytes[rng.below(bytes.len())].iter().copied()).collect();
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        inputs.push(("quote", hex));
        quoted_inputs.push(b);
    }
    const ADDRESSES: &[&str] = &[
        "1.2.3.4",
        "1.2.3",
        "01.2.3.4",
        "256.1.1.1",
        "::1",
        "[::1]",
        "[::1",
        "[::1]x",
        "[::1]:",
        "[[::1]]",
        "::ffff:1.2.3.4",
        "fe80::1%eth0",
        "[fe80::1%eth0]",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "::",
        ":::",
        "1::2::3",
        "[]",
        "[1.2.3.4]",
        "a",
        "",
        "0.0.0.0",
        "1.2.3.4.5",
        "::1.2.3.4",
        "1:2:3:4:5:6:1.2.3.4",
        "FE80::A",
        " 1.2.3.4",
        "1.2.3.4 ",
        "0x1.2.3.4",
        "1.2.3.04",
        "[::1]]",
        "]",
        "[a]b]",
        "1:2:3:4:5:6:7::",
        "::ffff:1.2.3",
        "12345::",
        "1:2:3:4:5:6:7:8%1",
    ];
    for a in ADDRESSES {
        inputs.push(("expose_ip", a.to_string()));
    }
    for _ in 0..3_000 {
        let a = ADDRESSES[rng.below(ADDRESSES.len())];
        let b = ADDRESSES[rng.below(ADDRESSES.len())];
        let cut = rng.below(a.len() + 1);
        if a.is_char_boundary(cut) {
            inputs.push(("expose_ip", format!("{}{}", &a[..cut], b)));
        }
    }
    const SIZES: &[&str] = &[
        "1", "0", "64", ".5", "1.", ".", "-", "+", "-0", "e", "E5", "1e3", "1e400", "1e-400", "0x1p4", "0x", "1_0",
        " ", "k", "m", "g", "t", "p", "b", "kb", "KiB", "ib", "i", "x", "\u{212a}", "Inf", "nan", "é", "\t", "\u{23a}",
    ];
    for s in [
        "0x1p-2000",
        "-0x1p-2000",
        "0x1p1024",
        "0x1.fffffffffffffp1023",
        "0x1.fffffffffffff8p1023",
        "-1e-400",
        "1e308",
        "2e308",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "inf ",
        "-inf ",
        "+Infinity ",
        "infin ",
        "NaN ",
        "-nan ",
        "0x_1p0",
        "0_x1p0",
        "1__0",
        "_1",
        "1_",
        "0x1_p0",
        "0x1p0_1",
        "0x1p_1",
        "1e_1",
        "1_e1",
        "0x.8p1",
        "0x1.p1",
        "0x.p1",
        "0x1P1kib",
        "0b1",
        "0o1",
        "1e10000000000000000000",
        "0e99999999",
        "1.5 GiB",
        "1.5  GiB",
    ] {
        inputs.push(("ram", s.to_string()));
    }
    for _ in 0..5_000 {
        let s: String = (0..1 + rng.below(4)).map(|_| SIZES[rng.below(SIZES.len())]).collect();
        inputs.push(("ram", s));
    }
    const SEGMENTS: &[&str] = &["a", "..", ".", "", "é", "b c", "...", "a.", "-"];
    for _ in 0..3_000 {
        let mut p: String = if rng.below(2) == 0 { "/".into() } else { String::new() };
        for i in 0..rng.below(6) {
            if i > 0 {
                p.push_str(["/", "//"][rng.below(2)]);
            }
            p.push_str(SEGMENTS[rng.below(SEGMENTS.len())]);
        }
        inputs.push(("clean", p));
    }
    // STOPSIGNAL values: a prefix, a name, an offset and a number, each perhaps left out
    // (names in any case: Go upper-cases `ſ` to `S` and `ı` to `I`; numbers as strconv.Atoi
    // reads them).
    let signal_parts: [&[&str]; 4] = [
        &["", "SIG", "sig", "Sig", "\u{17f}ig", "SIGSIG", " ", "+"],
        &[
            "",
            "TERM",
            "term",
            "KILL",
            "INT",
            "\u{131}nt",
            "USR1",
            "usr",
            "RTMIN",
            "RTMAX",
            "rtmin",
            "Rtmax",
            "CLD",
            "POLL",
            "STKFLT",
            "UNUSED",
            "EMT",
            "INFO",
            "\u{212a}ILL",
            "_",
        ],
        &["", "+", "-", "++", "+-", " "],
        &["", "0", "1", "01", "9", "14", "15", "16", "64", "9223372036854775807", "9223372036854775808", "0x1", "1_0"],
    ];
    for _ in 0..5_000 {
        let s: String = signal_parts.iter().map(|p| p[rng.below(p.len())]).collect();
        inputs.push(("signal", s));
    }
    let theirs = stagecraft_testkit::go_lines(
        "oracle-go",
        &["lines"],
        &inputs.iter().map(|(k, s)| serde_json::json!([k, s])).collect::<Vec<_>>(),
    );
    let mut quoted = quoted_inputs.iter();
    let (mut differ, mut parsed) = (Vec::new(), 0);
    // How often each kind of input got each kind of answer from Go (`{"ok": false}` and the
    // like), so that a kind that only ever gets one answer shows.
    let mut outcomes = std::collections::BTreeSet::new();
    for ((kind, s), go) in inputs.iter().zip(&theirs) {
        let ours = match *kind {
            "duration" => match crate::instructions::parse_duration(s) {
                Ok(ns) => {
                    parsed += 1;
                    serde_json::json!({"ns": ns as i64})
                }
                Err(e) => serde_json::json!({"error": e}),
            },
            "bool" => match go::parse_bool(s) {
                Some(v) => serde_json::json!({"value": v}),
                None => {
                    serde_json::json!({"error": format!("strconv.ParseBool: parsing {}: invalid syntax", go::quote_str(s))})
                }
            },
            "ram" => serde_json::json!({"ok": crate::engine::ram_in_bytes(s)}),
            "signal" => serde_json::json!({"ok": crate::engine::known_signal(s)}),
            "clean" => serde_json::json!({"cleaned": crate::dockerignore::clean(s)}),
            "expose_ip" => match crate::engine::ip_error(s) {
                Some(e) => serde_json::json!({"error": e}),
                None => serde_json::json!({}),
            },
            _ => serde_json::json!({"quoted": go::quote(quoted.next().unwrap())}),
        };
        let outcome = match go.as_object().and_then(|o| o.iter().next()) {
            None => "{}",
            Some((k, v)) if k == "ok" && v == true => "ok:true",
            Some((k, _)) if k == "ok" => "ok:false",
            Some((k, _)) => k.as_str(),
        };
        outcomes.insert((*kind, outcome.to_string()));
        if ours != *go {
            differ.push(format!("{kind} {s:?}: ours {ours}, Go's {go}"));
        }
    }
    stagecraft_testkit::assert_none_differ(&differ, inputs.len());
    assert!(parsed > 1_000, "{parsed} durations parse");
    for want in [
        ("ram", "ok:true"),
        ("ram", "ok:false"),
        ("signal", "ok:true"),
        ("signal", "ok:false"),
        ("expose_ip", "{}"),
        ("expose_ip", "error"),
        ("bool", "value"),
        ("bool", "error"),
        ("clean", "cleaned"),
    ] {
        assert!(outcomes.contains(&(want.0, want.1.to_string())), "no {want:?} among {outcomes:?}");
    }
}
