//! The language server as editors meet it: the real `stagecraft lsp` process over stdio, driven
//! by a small JSON-RPC client, one test per feature.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use stagecraft_testkit::{parse_json, Value};

struct Lsp {
    child: Child,
    /// (None once closed.)
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    next_id: u64,
    /// Notifications read while waiting for responses.
    pending: Vec<Value>,
    /// While set, the client reads nothing the server writes (a client that stopped reading).
    paused: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

const TIMEOUT: Duration = Duration::from_secs(10);

impl Lsp {
    fn start() -> Lsp {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("stagecraft lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        let paused = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let pause = paused.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                while pause.load(std::sync::atomic::Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(5));
                }
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if tx.send(parse_json(&String::from_utf8(body).unwrap())).is_err() {
                    return;
                }
            }
        });
        Lsp { child, stdin: Some(stdin), rx, next_id: 1, pending: Vec::new(), paused }
    }

    fn input(&mut self) -> &mut ChildStdin {
        self.stdin.as_mut().expect("stdin is open")
    }

    fn send_raw(&mut self, body: &str) {
        let stdin = self.input();
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    fn send(&mut self, msg: Value) {
        self.send_raw(&msg.to_string());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(serde_json_obj(&[("jsonrpc", "2.0".into()), ("method", method.into()), ("params", params)]));
    }

    /// Sends a request and returns its whole response (with `result` or `error`).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(serde_json_obj(&[
            ("jsonrpc", "2.0".into()),
            ("id", id.into()),
            ("method", method.into()),
            ("params", params),
        ]));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline, method);
            if msg["id"].as_u64() == Some(id) && msg.get("method").is_none() {
                return msg;
            }
            self.pending.push(msg);
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.call(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    fn recv(&mut self, deadline: Instant, what: &str) -> Value {
        match self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for {what}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed stdout while waiting for {what}"),
        }
    }

    /// The next notification `method` that satisfies `pred`.
    fn notification(&mut self, method: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(|m| m["method"] == method && pred(&m["params"])) {
            return self.pending.remove(i)["params"].clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline, method);
            if msg["method"] == method && pred(&msg["params"]) {
                return msg["params"].clone();
            }
            self.pending.push(msg);
        }
    }

    fn initialize(&mut self, capabilities: Value, options: Value) -> Value {
        let r = self.result(
            "initialize",
            serde_json_obj(&[("capabilities", capabilities), ("initializationOptions", options)]),
        );
        self.notify("initialized", parse_json("{}"));
        r
    }

    fn open(&mut self, uri: &str, text: &str) -> Value {
        self.notify("textDocument/didOpen", lsp_open_params(uri, text));
        self.diagnostics(uri, 1)
    }

    fn diagnostics(&mut self, uri: &str, version: i64) -> Value {
        self.notification("textDocument/publishDiagnostics", |p| p["uri"] == uri && p["version"] == version)
    }

    fn shutdown(mut self) {
        let r = self.call("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit status {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the server did not exit after `exit`");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serde_json_obj(pairs: &[(&str, Value)]) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

fn pos(line: u32, character: u32) -> Value {
    parse_json(&format!(r#"{{"line": {line}, "character": {character}}}"#))
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    serde_json_obj(&[("textDocument", serde_json_obj(&[("uri", uri.into())])), ("position", pos(line, character))])
}

fn doc(uri: &str) -> Value {
    serde_json_obj(&[("textDocument", serde_json_obj(&[("uri", uri.into())]))])
}

const URI: &str = "file:///work/Dockerfile";

/// A multi-stage file with CRLF line endings and a character outside the BMP before references.
const TEXT: &str = "FROM golang:1.22 AS build\r\nRUN make # 😀\r\nFROM alpine AS docs\r\nFROM build AS test\r\nFROM scratch\r\nLABEL x=\"😀\"\r\nCOPY --from=build /out /out\r\nRUN --mount=type=cache,from=build,target=/c true\r\nCOPY --from=0 /b /b\r\n";

fn started() -> Lsp {
    let mut lsp = Lsp::start();
    lsp.initialize(parse_json(r#"{"general": {"positionEncodings": ["utf-16"]}}"#), Value::Null);
    lsp
}

#[test]
fn negotiates_utf8_when_offered() {
    let mut lsp = Lsp::start();
    let r = lsp.initialize(parse_json(r#"{"general": {"positionEncodings": ["utf-8", "utf-16"]}}"#), Value::Null);
    assert_eq!(r["capabilities"]["positionEncoding"], "utf-8");
    lsp.open(URI, TEXT);
    // Line 6 `COPY --from=build` is after `LABEL x="😀"`; columns are bytes in UTF-8.
    let r = lsp.result("textDocument/definition", at(URI, 6, 13));
    assert_eq!(r["range"]["start"], pos(0, 20));
    lsp.shutdown();
    let mut lsp = Lsp::start();
    let r = lsp.initialize(parse_json("{}"), Value::Null);
    assert_eq!(r["capabilities"]["positionEncoding"], "utf-16");
    lsp.shutdown();
}

#[test]
fn diagnostics_are_pushed_with_codes_tags_and_links() {
    let mut lsp = started();
    let d = lsp.open(URI, TEXT);
    let diags = d["diagnostics"].as_array().unwrap();
    let unused: Vec<&Value> = diags.iter().filter(|d| d["code"] == "unused-stage").collect();
    assert_eq!(unused.len(), 2, "{d}");
    assert_eq!(unused[0]["range"]["start"], pos(2, 15));
    assert_eq!(unused[0]["tags"], parse_json("[1]"));
    assert_eq!(unused[0]["severity"], 3);
    assert_eq!(unused[0]["source"], "stagecraft");
    // A BuildKit rule links to its documentation.
    let mut lsp2 = started();
    let d = lsp2.open("file:///dup", "FROM a AS x\nFROM b AS x\n");
    let dup = d["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "DuplicateStageName").unwrap().clone();
    assert_eq!(dup["codeDescription"]["href"], "https://docs.docker.com/go/dockerfile/rule/duplicate-stage-name/");
    // What stagecraft cannot see (the base image's ENV) is said on a second line.
    let d = lsp2.open("file:///note", "FROM mcr.microsoft.com/dotnet/aspnet:8.0\nUSER $APP_UID\n");
    assert_eq!(
        d["diagnostics"][0]["message"],
        "Usage of undefined variable '$APP_UID'\nstagecraft does not read image configs: if image `mcr.microsoft.com/dotnet/aspnet:8.0` sets APP_UID in its ENV, BuildKit finds it and does not report this"
    );
    // A finding in an ONBUILD trigger is where BuildKit reports it, the FROM of the stage that
    // runs the trigger, and points at the trigger.
    let d = lsp2.open("file:///onbuild", "FROM alpine AS base\nONBUILD ENV a b\nFROM base\n");
    let legacy = &d["diagnostics"][0];
    assert_eq!((&legacy["code"], &legacy["range"]["start"]), (&Value::from("LegacyKeyValueFormat"), &pos(2, 0)), "{d}");
    assert_eq!(
        legacy["relatedInformation"],
        parse_json(
            r#"[{"location": {"uri": "file:///onbuild", "range": {"start": {"line": 1, "character": 8}, "end": {"line": 1, "character": 15}}}, "message": "the ONBUILD trigger"}]"#
        )
    );
    assert!(legacy["message"].as_str().unwrap().ends_with(
        "\nin the base stage's ONBUILD trigger on line 2, which BuildKit runs in this stage and reports here"
    ));
    // A message quoting a 15,000-character value is cut where it quotes it.
    let d = lsp2.open("file:///long", &format!("FROM alpine\nEXPOSE 80/{}\n", "x".repeat(15_000)));
    let message = d["diagnostics"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid port: \"80/xxx") && message.contains('…') && message.len() < 1_000,
        "{message}"
    );
    lsp2.shutdown();
    lsp.shutdown();
}

/// A fresh directory holding a `.dockerignore` with `rules`, and the URI of a Dockerfile in it.
fn build_context(name: &str, rules: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("stagecraft-lsp-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".dockerignore"), rules).unwrap();
    let uri = format!("file://{}/Dockerfile", dir.display());
    (dir, uri)
}

/// `CopyIgnoredFile` reads the ignore file beside a document on disk, and reads it again once
/// it changes (the next analysis sees it).
#[test]
fn copy_ignored_file_follows_the_ignore_file_on_disk() {
    let (dir, uri) = build_context("ignore", "secrets\n");
    let ignored = |d: &Value| -> Vec<(Value, String)> {
        d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "CopyIgnoredFile")
            .map(|d| (d["range"]["start"].clone(), d["message"].as_str().unwrap().to_string()))
            .collect()
    };
    let mut lsp = started();
    let d = lsp.open(&uri, "FROM alpine\nCOPY secrets/key app /dst/\n");
    assert_eq!(
        ignored(&d),
        [(pos(1, 5), "Attempting to Copy file \"secrets/key\" that is excluded by .dockerignore".to_string())]
    );
    // The rules change on disk; the next edit's diagnostics follow them.
    std::fs::write(dir.join(".dockerignore"), "# now the app\napp\n").unwrap();
    let change = parse_json(&format!(
        r#"{{"textDocument": {{"uri": "{uri}", "version": 2}}, "contentChanges": [{{"range": {{"start": {{"line": 1, "character": 0}}, "end": {{"line": 1, "character": 0}}}}, "text": "RUN true\n"}}]}}"#
    ));
    lsp.notify("textDocument/didChange", change);
    let d = lsp.diagnostics(&uri, 2);
    assert_eq!(
        ignored(&d),
        [(pos(2, 17), "Attempting to Copy file \"app\" that is excluded by .dockerignore".to_string())]
    );
    // A document that is not a file on disk has no build context.
    let d = lsp.open("untitled:Untitled-1", "FROM alpine\nCOPY secrets/key /dst/\n");
    assert!(ignored(&d).is_empty(), "{d}");
    // `buildContext` names another context (relative to the Dockerfile's directory), whose
    // `.dockerignore` is read instead.
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let sub_uri = format!("file://{}/sub/Dockerfile", dir.display());
    let d = lsp.open(&sub_uri, "FROM alpine\nCOPY app /dst/\n");
    assert!(ignored(&d).is_empty(), "sub/ has no ignore file: {d}");
    lsp.notify(
        "workspace/didChangeConfiguration",
        parse_json(r#"{"settings": {"stagecraft": {"buildContext": ".."}}}"#),
    );
    let d = lsp.diagnostics(&sub_uri, 1);
    assert_eq!(
        ignored(&d),
        [(pos(1, 5), "Attempting to Copy file \"app\" that is excluded by .dockerignore".to_string())]
    );
    lsp.notify("workspace/didChangeConfiguration", parse_json(r#"{"settings": {"stagecraft": {}}}"#));
    // An ignore file BuildKit rejects: the client's log says so, and nothing is checked.
    std::fs::write(dir.join(".dockerignore"), "app\n[oops\n").unwrap();
    let change = parse_json(&format!(
        r#"{{"textDocument": {{"uri": "{uri}", "version": 3}}, "contentChanges": [{{"range": {{"start": {{"line": 0, "character": 0}}, "end": {{"line": 0, "character": 0}}}}, "text": "\n"}}]}}"#
    ));
    lsp.notify("textDocument/didChange", change);
    assert!(ignored(&lsp.diagnostics(&uri, 3)).is_empty());
    let log =
        lsp.notification("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains(".dockerignore")));
    assert!(log["message"].as_str().unwrap().ends_with(".dockerignore:2: syntax error in pattern (`[oops`): BuildKit fails every build of this context until the pattern is fixed (CopyIgnoredFile is not checked)"), "{log}");
    // And it is the build's error, which the target picker shows.
    let listed = lsp.result("stagecraft/targets", parse_json(&format!(r#"{{"textDocument": {{"uri": "{uri}"}}}}"#)));
    let fails = listed["targets"][0]["fails"]["message"].as_str().unwrap_or_default().to_string();
    assert!(fails.contains(".dockerignore:2: syntax error in pattern"), "{listed}");
    lsp.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server started by a client that can watch files, and its request to register the watcher
/// (not answered yet).
fn started_watching() -> (Lsp, Value) {
    let mut lsp = Lsp::start();
    let watching = r#"{"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}"#;
    lsp.initialize(parse_json(watching), Value::Null);
    let deadline = Instant::now() + TIMEOUT;
    let register = loop {
        let msg = lsp.recv(deadline, "client/registerCapability");
        if msg["method"] == "client/registerCapability" {
            break msg;
        }
        lsp.pending.push(msg);
    };
    (lsp, register)
}

/// A client that never answers the server's registration request (or exits before it does)
/// still stops the server: with `shutdown` and `exit`, and when its end of stdin closes.
#[test]
fn an_unanswered_registration_does_not_keep_the_server_running() {
    let (lsp, _) = started_watching();
    lsp.shutdown();
    let (mut lsp, _) = started_watching();
    drop(lsp.stdin.take());
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = lsp.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not exit when its stdin closed");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1), "no `exit`: the protocol's status 1");
}

/// A client that can watch files is asked to watch ignore files, and an edited `.dockerignore`
/// republishes the diagnostics of open documents at once, with no edit of the Dockerfile.
#[test]
fn a_watched_ignore_file_republishes_diagnostics() {
    let (dir, uri) = build_context("watch", "secrets\n");
    // The registration: a request from the server, answered here.
    let (mut lsp, register) = started_watching();
    let registration = &register["params"]["registrations"][0];
    assert_eq!(registration["method"], "workspace/didChangeWatchedFiles");
    let globs: Vec<&str> = registration["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["globPattern"].as_str().unwrap())
        .collect();
    assert_eq!(globs, ["**/.dockerignore", "**/*.dockerignore"]);
    let answer = serde_json_obj(&[("jsonrpc", "2.0".into()), ("id", register["id"].clone()), ("result", Value::Null)]);
    lsp.send(answer);
    let codes = |d: &Value| -> Vec<String> {
        d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let d = lsp.open(&uri, "FROM alpine\nCOPY app /dst/\n");
    assert!(!codes(&d).contains(&"CopyIgnoredFile".to_string()), "{d}");
    std::fs::write(dir.join(".dockerignore"), "secrets\napp\n").unwrap();
    let changed = format!(r#"{{"changes": [{{"uri": "file://{}/.dockerignore", "type": 2}}]}}"#, dir.display());
    lsp.notify("workspace/didChangeWatchedFiles", parse_json(&changed));
    let d = lsp.diagnostics(&uri, 1);
    assert!(codes(&d).contains(&"CopyIgnoredFile".to_string()), "{d}");
    // Other files change nothing (no republication before the next answer).
    let other = format!(r#"{{"changes": [{{"uri": "file://{}/notes.txt", "type": 2}}]}}"#, dir.display());
    lsp.notify("workspace/didChangeWatchedFiles", parse_json(&other));
    lsp.result("textDocument/hover", at(&uri, 0, 0));
    assert!(!lsp.pending.iter().any(|m| m["method"] == "textDocument/publishDiagnostics"), "{:?}", lsp.pending);
    // A second `initialized` registers nothing again (one id registered twice is an error).
    // (The registration is sent from a task of its own: time for it to come.)
    lsp.notify("initialized", parse_json("{}"));
    std::thread::sleep(Duration::from_millis(300));
    lsp.result("textDocument/hover", at(&uri, 0, 0));
    assert!(!lsp.pending.iter().any(|m| m["method"] == "client/registerCapability"), "{:?}", lsp.pending);
    lsp.shutdown();
    // A client that cannot watch files is not asked.
    let mut lsp = started();
    lsp.call("textDocument/hover", at("file:///none", 0, 0));
    assert!(!lsp.pending.iter().any(|m| m["method"] == "client/registerCapability"), "{:?}", lsp.pending);
    lsp.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client that cannot watch files (Neovim 0.7 among them) gets the same from the server,
/// which looks at the open documents' ignore files once a second: an edited, a new or a
/// deleted `.dockerignore` republishes their diagnostics with no edit of the Dockerfile.
#[test]
fn an_ignore_file_changed_on_disk_republishes_diagnostics_for_clients_that_cannot_watch() {
    let (dir, uri) = build_context("poll", "secrets\n");
    let mut lsp = started();
    let ignored = |d: &Value| -> Vec<String> {
        d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "CopyIgnoredFile")
            .map(|d| d["message"].as_str().unwrap().to_string())
            .collect()
    };
    let d = lsp.open(&uri, "FROM alpine\nCOPY app /dst/\n");
    assert!(ignored(&d).is_empty(), "{d}");
    // Edited (the size changes, so a clock that ticks coarsely cannot hide it).
    std::fs::write(dir.join(".dockerignore"), "secrets\napp\n").unwrap();
    let d = lsp.notification("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str() && !ignored(p).is_empty());
    assert_eq!(ignored(&d), ["Attempting to Copy file \"app\" that is excluded by .dockerignore"]);
    assert_eq!(d["version"], 1, "no edit came: the same version, analysed again");
    // Deleted, then a Dockerfile-specific one created beside the Dockerfile, which wins.
    std::fs::remove_file(dir.join(".dockerignore")).unwrap();
    let d = lsp.notification("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str() && ignored(p).is_empty());
    assert_eq!(d["version"], 1);
    std::fs::write(dir.join("Dockerfile.dockerignore"), "ap?\n").unwrap();
    let d = lsp.notification("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str() && !ignored(p).is_empty());
    assert_eq!(ignored(&d), ["Attempting to Copy file \"app\" that is excluded by .dockerignore"]);
    lsp.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client that offers to watch files and then refuses the registration gets the server's own
/// looking too (it got nothing: QA).
#[test]
fn a_refused_registration_falls_back_to_looking_at_the_ignore_files() {
    let (dir, uri) = build_context("refused", "secrets\n");
    let (mut lsp, register) = started_watching();
    let refusal = r#"{"code": -32601, "message": "no file watching here"}"#;
    lsp.send(serde_json_obj(&[
        ("jsonrpc", "2.0".into()),
        ("id", register["id"].clone()),
        ("error", parse_json(refusal)),
    ]));
    let copied = |d: &Value| d["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == "CopyIgnoredFile");
    let d = lsp.open(&uri, "FROM alpine\nCOPY app /dst/\n");
    assert!(!copied(&d), "{d}");
    std::fs::write(dir.join(".dockerignore"), "secrets\napp\n").unwrap();
    let d = lsp.notification("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str() && copied(p));
    assert_eq!(d["version"], 1);
    lsp.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn definition_from_every_reference_kind() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    for (what, line, character) in [
        ("FROM build", 3, 6),
        // UTF-16: the emoji before `--from` on line 5 is on another line; line 6 is plain.
        ("COPY --from=build", 6, 13),
        ("RUN --mount from=build", 7, 30),
        ("COPY --from=0", 8, 12),
        ("the AS name itself", 0, 21),
    ] {
        let r = lsp.result("textDocument/definition", at(URI, line, character));
        assert_eq!(r["range"]["start"], pos(0, 20), "{what}: {r}");
        assert_eq!(r["uri"], URI);
    }
    let decl = lsp.result("textDocument/declaration", at(URI, 6, 13));
    assert_eq!(decl["range"]["start"], pos(0, 20));
    let none = lsp.result("textDocument/definition", at(URI, 2, 6));
    assert!(none.is_null(), "an image has no definition: {none}");
    lsp.shutdown();
}

#[test]
fn references_and_highlights() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    let mut p = at(URI, 0, 21);
    p["context"] = parse_json(r#"{"includeDeclaration": true}"#);
    let refs = lsp.result("textDocument/references", p.clone());
    let starts: Vec<Value> = refs.as_array().unwrap().iter().map(|l| l["range"]["start"].clone()).collect();
    assert_eq!(starts, vec![pos(0, 20), pos(3, 5), pos(6, 12), pos(7, 28), pos(8, 12)]);
    p["context"] = parse_json(r#"{"includeDeclaration": false}"#);
    assert_eq!(lsp.result("textDocument/references", p).as_array().unwrap().len(), 4);
    let hl = lsp.result("textDocument/documentHighlight", at(URI, 6, 14));
    let kinds: Vec<i64> = hl.as_array().unwrap().iter().map(|h| h["kind"].as_i64().unwrap()).collect();
    assert_eq!(kinds, vec![3, 2, 2, 2, 2], "definition is a write, uses are reads");
    // Linked editing: every written `build` (UTF-16 columns), not the numeric `--from=0`.
    let linked = lsp.result("textDocument/linkedEditingRange", at(URI, 7, 30));
    let starts: Vec<Value> = linked["ranges"].as_array().unwrap().iter().map(|r| r["start"].clone()).collect();
    assert_eq!(starts, vec![pos(0, 20), pos(3, 5), pos(6, 12), pos(7, 28)], "{linked}");
    assert!(lsp.result("textDocument/linkedEditingRange", at(URI, 8, 12)).is_null(), "not from a number");
    // A variable's: the key that sets the value and the uses BuildKit expands with it (after a
    // character outside the BMP: UTF-16 columns).
    let vars = "file:///work/vars/Dockerfile";
    lsp.open(vars, "FROM alpine\nARG V=1\nLABEL x=\"😀\" y=$V\nENV A=${V}\nRUN echo $V\n");
    let mut p = at(vars, 3, 8);
    p["context"] = parse_json(r#"{"includeDeclaration": true}"#);
    let refs = lsp.result("textDocument/references", p.clone());
    let ranges: Vec<(Value, Value)> =
        refs.as_array().unwrap().iter().map(|l| (l["range"]["start"].clone(), l["range"]["end"].clone())).collect();
    assert_eq!(ranges, [(pos(1, 4), pos(1, 5)), (pos(2, 15), pos(2, 17)), (pos(3, 6), pos(3, 10))], "{refs}");
    p["context"] = parse_json(r#"{"includeDeclaration": false}"#);
    assert_eq!(lsp.result("textDocument/references", p).as_array().unwrap().len(), 2);
    let hl = lsp.result("textDocument/documentHighlight", at(vars, 1, 4));
    let kinds: Vec<i64> = hl.as_array().unwrap().iter().map(|h| h["kind"].as_i64().unwrap()).collect();
    assert_eq!(kinds, [3, 2, 2], "the key is a write, uses are reads: {hl}");
    lsp.shutdown();
}

#[test]
fn call_hierarchy_over_the_stage_graph() {
    let mut lsp = Lsp::start();
    let init = lsp.initialize(parse_json(r#"{"general": {"positionEncodings": ["utf-16"]}}"#), Value::Null);
    assert_eq!(init["capabilities"]["callHierarchyProvider"], true, "{init}");
    lsp.open(URI, TEXT);
    let items = lsp.result("textDocument/prepareCallHierarchy", at(URI, 6, 13));
    let build = items[0].clone();
    assert_eq!((build["name"].as_str(), build["kind"].as_i64()), (Some("build"), Some(5)), "{items}");
    assert_eq!(build["selectionRange"]["start"], pos(0, 20));
    assert_eq!((build["range"]["start"].clone(), build["range"]["end"]["line"].clone()), (pos(0, 0), 1.into()));
    let ranges = |call: &Value| -> Vec<Value> {
        call["fromRanges"].as_array().unwrap().iter().map(|r| r["start"].clone()).collect()
    };
    let item = |b: &Value| serde_json_obj(&[("item", b.clone())]);
    // Who takes from `build`: `test` builds on it; the unnamed last stage copies and mounts it
    // (UTF-16 positions: the emoji on line 5 is on no line of a range).
    let incoming = lsp.result("callHierarchy/incomingCalls", item(&build));
    let callers: Vec<(&str, Vec<Value>)> =
        incoming.as_array().unwrap().iter().map(|c| (c["from"]["name"].as_str().unwrap(), ranges(c))).collect();
    assert_eq!(callers, [("test", vec![pos(3, 5)]), ("stage-3", vec![pos(6, 12), pos(7, 28), pos(8, 12)])]);
    // What the last stage takes from: scratch, then `build`; `build` takes from its image.
    let last = incoming[1]["from"].clone();
    let outgoing = lsp.result("callHierarchy/outgoingCalls", item(&last));
    let callees: Vec<(&str, i64, Vec<Value>)> = outgoing
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["to"]["name"].as_str().unwrap(), c["to"]["kind"].as_i64().unwrap(), ranges(c)))
        .collect();
    assert_eq!(callees, [("scratch", 4, vec![pos(4, 5)]), ("build", 5, vec![pos(6, 12), pos(7, 28), pos(8, 12)])]);
    let image = lsp.result("callHierarchy/outgoingCalls", item(&build))[0]["to"].clone();
    assert_eq!((image["name"].as_str(), image["detail"].as_str()), (Some("golang:1.22"), Some("image")));
    assert!(lsp.result("callHierarchy/outgoingCalls", item(&image)).as_array().unwrap().is_empty());
    // From an image reference: who uses `alpine`.
    let alpine = lsp.result("textDocument/prepareCallHierarchy", at(URI, 2, 7))[0].clone();
    let users = lsp.result("callHierarchy/incomingCalls", item(&alpine));
    assert_eq!(users[0]["from"]["name"], "docs", "{users}");
    assert!(lsp.result("textDocument/prepareCallHierarchy", at(URI, 1, 1)).is_null(), "no stage at RUN");
    // The item outlives an edit that moves `build` to another index: found by its name; a
    // name that is gone has no calls.
    let change = parse_json(&format!(
        r#"{{"textDocument": {{"uri": "{URI}", "version": 2}}, "contentChanges": [{{"range": {{"start": {{"line": 0, "character": 0}}, "end": {{"line": 0, "character": 0}}}}, "text": "FROM busybox AS first\r\n"}}]}}"#
    ));
    lsp.notify("textDocument/didChange", change);
    lsp.diagnostics(URI, 2);
    let moved = lsp.result("callHierarchy/incomingCalls", item(&build));
    assert_eq!(moved[0]["from"]["name"], "test", "{moved}");
    assert_eq!(moved[0]["fromRanges"][0]["start"], pos(4, 5));
    // The unnamed stage's item (`stage-3`) is its index: now `stage-4`, so the old item has no
    // calls rather than another stage's.
    assert!(lsp.result("callHierarchy/outgoingCalls", item(&last)).is_null());
    let mut gone = build.clone();
    gone["data"]["name"] = "nothing".into();
    assert!(lsp.result("callHierarchy/incomingCalls", item(&gone)).is_null());
    lsp.shutdown();
}

/// Workspace symbols: the named stages of the workspace's Dockerfiles, open ones as edited, the
/// others from disk (read again when they change), hidden and vendored trees skipped.
#[test]
fn workspace_symbols_find_stages_across_dockerfiles() {
    let dir = std::env::temp_dir().join(format!("stagecraft-lsp-workspace-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("app/Dockerfile", "FROM alpine AS stale\n");
    write("svc/api.Dockerfile", "FROM golang AS build\nFROM alpine AS api-runtime\nFROM scratch\n");
    write(".devcontainer/Dockerfile", "FROM alpine AS devcontainer\n");
    write("svc/Dockerfile.dockerignore", "FROM alpine AS ignore-file\n");
    write("node_modules/x/Dockerfile", "FROM alpine AS build-vendored\n");
    write(".git/Dockerfile", "FROM alpine AS build-hidden\n");
    write("README.md", "FROM alpine AS build-readme\n");
    let mut lsp = Lsp::start();
    let folder = format!("file://{}", dir.display());
    let init = lsp.result(
        "initialize",
        parse_json(&format!(r#"{{"capabilities": {{}}, "workspaceFolders": [{{"uri": "{folder}", "name": "ws"}}]}}"#)),
    );
    assert_eq!(init["capabilities"]["workspaceSymbolProvider"], true, "{init}");
    let folders = &init["capabilities"]["workspace"]["workspaceFolders"];
    assert!(folders["supported"] == true && folders["changeNotifications"] == true, "{init}");
    lsp.notify("initialized", parse_json("{}"));
    let app = format!("{folder}/app/Dockerfile");
    lsp.open(&app, "FROM alpine AS builder\nFROM builder AS test\n");
    let query = |lsp: &mut Lsp, q: &str| -> Vec<(String, String, Value)> {
        let r = lsp.result("workspace/symbol", parse_json(&format!(r#"{{"query": "{q}"}}"#)));
        r.as_array()
            .unwrap()
            .iter()
            .map(|s| {
                assert_eq!(s["kind"], 5, "{s}");
                let file = s["location"]["uri"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
                (s["name"].as_str().unwrap().to_string(), file, s["location"]["range"]["start"].clone())
            })
            .collect()
    };
    // The exact name first, then a prefix; the open document as edited, not as saved.
    assert_eq!(
        query(&mut lsp, "build"),
        [("build".into(), "api.Dockerfile".into(), pos(0, 15)), ("builder".into(), "Dockerfile".into(), pos(0, 15))]
    );
    let all = lsp.result("workspace/symbol", parse_json(r#"{"query": ""}"#));
    // Named stages only (the unnamed last stage of api.Dockerfile is none); CI and dev-container
    // directories are walked, other hidden ones and vendored trees not.
    let names: Vec<&str> = all.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["api-runtime", "build", "builder", "devcontainer", "test"]);
    assert_eq!(all[0]["containerName"], "svc/api.Dockerfile");
    assert!(query(&mut lsp, "stale").is_empty(), "an open document is read as the editor has it");
    // A subsequence matches; a file changed on disk is read again.
    assert_eq!(query(&mut lsp, "rnt")[0].0, "api-runtime");
    write("svc/api.Dockerfile", "FROM golang AS compile\nFROM alpine AS api-runtime\nFROM scratch\n");
    assert_eq!(query(&mut lsp, "comp"), [("compile".into(), "api.Dockerfile".into(), pos(0, 15))]);
    assert!(query(&mut lsp, "build").iter().all(|(n, _, _)| n == "builder"));
    // Closed again, the file counts as it is on disk.
    lsp.notify("textDocument/didClose", doc(&app));
    assert_eq!(query(&mut lsp, "stale"), [("stale".into(), "Dockerfile".into(), pos(0, 15))]);
    // A folder added after `initialize` is searched (within the walk's reuse time too), and a
    // removed one no longer is.
    let other = std::env::temp_dir().join(format!("stagecraft-lsp-workspace-added-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&other);
    std::fs::create_dir_all(other.join("deploy")).unwrap();
    std::fs::write(other.join("deploy/Containerfile"), "FROM alpine AS added-stage\n").unwrap();
    let change = |added: &std::path::Path, removed: &std::path::Path| {
        parse_json(&format!(
            r#"{{"event": {{"added": [{{"uri": "file://{}", "name": "a"}}], "removed": [{{"uri": "file://{}", "name": "r"}}]}}}}"#,
            added.display(),
            removed.display()
        ))
    };
    assert!(query(&mut lsp, "added").is_empty());
    lsp.notify("workspace/didChangeWorkspaceFolders", change(&other, &other.join("not-a-folder")));
    assert_eq!(query(&mut lsp, "added"), [("added-stage".into(), "Containerfile".into(), pos(0, 15))]);
    let names = |lsp: &mut Lsp| -> Vec<String> { query(lsp, "").into_iter().map(|(n, _, _)| n).collect() };
    assert_eq!(names(&mut lsp), ["added-stage", "api-runtime", "compile", "devcontainer", "stale"]);
    lsp.notify("workspace/didChangeWorkspaceFolders", change(&other, &dir));
    assert_eq!(names(&mut lsp), ["added-stage"], "the removed folder is not searched, the added one once");
    lsp.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

#[test]
fn rename_from_a_reference_and_refusals() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    let prep = lsp.result("textDocument/prepareRename", at(URI, 7, 30));
    assert_eq!((prep["placeholder"].as_str(), prep["range"]["start"].clone()), (Some("build"), pos(7, 28)));
    let mut p = at(URI, 7, 30);
    p["newName"] = "compile".into();
    let edit = lsp.result("textDocument/rename", p);
    let edits = edit["changes"][URI].as_array().unwrap();
    let starts: Vec<Value> = edits.iter().map(|e| e["range"]["start"].clone()).collect();
    assert_eq!(starts, vec![pos(0, 20), pos(3, 5), pos(6, 12), pos(7, 28)], "`--from=0` stays an index");
    assert!(edits.iter().all(|e| e["newText"] == "compile"));
    let mut p = at(URI, 0, 21);
    p["newName"] = "docs".into();
    let r = lsp.call("textDocument/rename", p);
    assert!(r["error"]["message"].as_str().unwrap().contains("a stage named `docs` already exists"), "{r}");
    let r = lsp.call("textDocument/prepareRename", at(URI, 2, 7));
    assert_eq!(r["error"]["message"], "no stage name at the cursor", "{r}");
    // LSP's RequestFailed: the request is valid, what it asks cannot be done.
    assert_eq!(r["error"]["code"], -32803, "{r}");
    // A long name is not echoed whole.
    let mut p = at(URI, 0, 21);
    p["newName"] = format!("-{}", "d".repeat(5_000)).into();
    let long = lsp.call("textDocument/rename", p);
    assert_eq!(long["error"]["code"], -32803, "{long}");
    assert!(long["error"]["message"].as_str().unwrap().chars().count() <= 401, "{long}");
    // On an image: prepareRename and rename refuse with the same reason.
    let prepared = lsp.call("textDocument/prepareRename", at(URI, 0, 8));
    let mut p = at(URI, 0, 8);
    p["newName"] = "x".into();
    let renamed = lsp.call("textDocument/rename", p);
    assert_eq!(prepared["error"]["message"], "no stage name at the cursor", "{prepared}");
    assert_eq!(renamed["error"], prepared["error"]);
    lsp.shutdown();
}

#[test]
fn incremental_changes_republish_and_stale_versions_are_ignored() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    // Use `docs` from the last stage: it is no longer unused.
    let change = parse_json(&format!(
        r#"{{"textDocument": {{"uri": "{URI}", "version": 2}}, "contentChanges": [{{"range": {{"start": {{"line": 8, "character": 12}}, "end": {{"line": 8, "character": 13}}}}, "text": "docs"}}]}}"#
    ));
    lsp.notify("textDocument/didChange", change);
    let d = lsp.diagnostics(URI, 2);
    let unused = d["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "unused-stage").count();
    assert_eq!(unused, 1, "{d}");
    // A stale version changes nothing.
    let stale = parse_json(&format!(
        r#"{{"textDocument": {{"uri": "{URI}", "version": 1}}, "contentChanges": [{{"text": "FROM x"}}]}}"#
    ));
    lsp.notify("textDocument/didChange", stale);
    let r = lsp.result("textDocument/definition", at(URI, 8, 13));
    assert_eq!(r["range"]["start"], pos(2, 15), "`--from=docs` now points at docs");
    // ... and says so: the client has lost track of the file's versions.
    let log =
        lsp.notification("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains("was ignored")));
    assert!(log["message"].as_str().unwrap().contains("its version 1 is not after the server's 2"), "{log}");
    // A batch whose second change is past the end: the first applies, the client's log says the
    // copies differ, and the diagnostics follow the server's copy.
    let bad = parse_json(&format!(
        r#"{{"textDocument": {{"uri": "{URI}", "version": 3}}, "contentChanges": [
            {{"range": {{"start": {{"line": 2, "character": 15}}, "end": {{"line": 2, "character": 19}}}}, "text": "notes"}},
            {{"range": {{"start": {{"line": 90, "character": 0}}, "end": {{"line": 90, "character": 0}}}}, "text": "x"}}]}}"#
    ));
    lsp.notify("textDocument/didChange", bad);
    let log = lsp.notification("window/logMessage", |p| {
        p["message"].as_str().is_some_and(|m| m.contains("could not be applied"))
    });
    assert!(log["message"].as_str().unwrap().contains("past the end"), "{log}");
    let d = lsp.diagnostics(URI, 3);
    assert!(d["diagnostics"].to_string().contains("stage `notes` is not used"), "the renamed stage: {d}");
    lsp.shutdown();
}

/// A burst of changes (an editor's keystrokes, sent faster than each is analysed) is analysed
/// and published once, for its last version: the versions before it are not published, and the
/// last one's diagnostics are those of the text after every change.
#[test]
fn a_burst_of_changes_is_published_once() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    let mut burst = String::new();
    for version in 2..=51 {
        let text = format!("FROM alpine AS s{version}\nFROM alpine\n");
        let change = serde_json_obj(&[
            ("textDocument", parse_json(&format!(r#"{{"uri": "{URI}", "version": {version}}}"#))),
            ("contentChanges", Value::Array(vec![serde_json_obj(&[("text", text.into())])])),
        ]);
        let body = serde_json_obj(&[
            ("jsonrpc", "2.0".into()),
            ("method", "textDocument/didChange".into()),
            ("params", change),
        ])
        .to_string();
        burst.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    }
    // One write: the server reads the whole burst before it handles the first change.
    lsp.input().write_all(burst.as_bytes()).unwrap();
    lsp.input().flush().unwrap();
    let last = lsp.diagnostics(URI, 51);
    assert!(last["diagnostics"].to_string().contains("stage `s51`"), "{last}");
    // Whatever came before it is read by now (published in order).
    let r = lsp.result("textDocument/documentSymbol", doc(URI));
    assert!(r.to_string().contains("s51"), "{r}");
    let published: Vec<i64> = lsp
        .pending
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .filter_map(|m| m["params"]["version"].as_i64())
        .collect();
    assert!(published.len() < 5, "published for versions {published:?}");
    lsp.shutdown();
}

/// A client that stops reading stops the server's writing, not its work: what it publishes
/// meanwhile waits, and a document's newer diagnostics replace its older ones still
/// waiting, so the wait holds one publication per document however many edits come (before,
/// every one waited: here 150 publications of 300 diagnostics, 14 MB more resident memory).
#[test]
fn a_client_that_stops_reading_gets_the_latest_diagnostics_only() {
    let mut lsp = started();
    let text = |v: usize| (0..300).map(|i| format!("FROM alpine AS s{i}v{v}\n")).collect::<String>() + "FROM alpine\n";
    lsp.notify("textDocument/didOpen", lsp_open_params(URI, &text(1)));
    lsp.diagnostics(URI, 1);
    lsp.paused.store(true, std::sync::atomic::Ordering::Release);
    let last = 151;
    for version in 2..=last {
        let change = serde_json_obj(&[
            ("textDocument", parse_json(&format!(r#"{{"uri": "{URI}", "version": {version}}}"#))),
            ("contentChanges", Value::Array(vec![serde_json_obj(&[("text", text(version).into())])])),
        ]);
        lsp.notify("textDocument/didChange", change);
        // (Each change handled and published before the next: no burst to publish once.)
        std::thread::sleep(Duration::from_millis(10));
    }
    lsp.paused.store(false, std::sync::atomic::Ordering::Release);
    let newest = lsp.diagnostics(URI, last as i64);
    assert!(newest["diagnostics"].to_string().contains(&format!("stage `s299v{last}`")), "{newest}");
    let r = lsp.result("textDocument/documentSymbol", doc(URI));
    assert!(r.to_string().contains(&format!("s0v{last}")), "{r}");
    let published: Vec<i64> = lsp
        .pending
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .filter_map(|m| m["params"]["version"].as_i64())
        .chain([last as i64])
        .collect();
    // (What the pipe held when the client stopped, the one being written, the newest.)
    assert!(published.len() <= 10, "published for versions {published:?}");
    assert!(published.windows(2).all(|w| w[0] < w[1]), "in order: {published:?}");
    lsp.shutdown();
}

/// A change with a `result` is a response to the framework (it reads a message with an `id`
/// and a `result` as one): nothing to wait for, so the changes after it are published and a
/// request the transport answers is answered (a review found both waiting forever).
#[test]
fn a_response_with_a_method_changes_nothing() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    let change = |version: i64, stage: &str| {
        parse_json(&format!(
            r#"{{"textDocument": {{"uri": "{URI}", "version": {version}}}, "contentChanges": [{{"text": "FROM alpine AS {stage}\nFROM alpine\n"}}]}}"#
        ))
    };
    // Then an `error` that is no error object: that leaves it a request to the framework (it
    // refuses it, having read it as one), counted as one, and what follows is answered as before.
    for (id, member, value, version, stage) in
        [(43, "result", Value::Null, 2, "after"), (44, "error", 5.into(), 4, "later")]
    {
        lsp.send(serde_json_obj(&[
            ("jsonrpc", "2.0".into()),
            ("id", id.into()),
            (member, value),
            ("method", "textDocument/didChange".into()),
            ("params", change(version, "odd")),
        ]));
        lsp.notify("textDocument/didChange", change(version + 1, stage));
        let d = lsp.diagnostics(URI, version + 1);
        assert!(d["diagnostics"].to_string().contains(&format!("stage `{stage}`")), "{d}");
        let r = lsp.result("textDocument/documentSymbol", doc(URI));
        assert!(r.to_string().contains(stage), "{r}");
    }
    lsp.shutdown();
}

#[test]
fn hover_completion_symbols_folding_hints_tokens() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    let h = lsp.result("textDocument/hover", at(URI, 6, 14));
    assert!(h["contents"]["value"].as_str().unwrap().contains("**stage `build`**"), "{h}");
    let c = lsp.result("textDocument/completion", at(URI, 8, 12));
    let labels: Vec<&str> = c.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["build", "docs", "test"]);
    let s = lsp.result("textDocument/documentSymbol", doc(URI));
    let names: Vec<&str> = s.as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["build", "docs", "test", "stage-3"]);
    let f = lsp.result("textDocument/foldingRange", doc(URI));
    assert!(f.as_array().unwrap().iter().any(|r| r["startLine"] == 4 && r["endLine"] == 8), "{f}");
    let mut p = doc(URI);
    p["range"] = parse_json(r#"{"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}"#);
    let hints = lsp.result("textDocument/inlayHint", p);
    assert_eq!(hints[0]["label"], "(build)");
    assert_eq!(hints[0]["position"], pos(8, 13));
    let t = lsp.result("textDocument/semanticTokens/full", doc(URI));
    let data = t["data"].as_array().unwrap();
    assert_eq!(data.len() % 5, 0);
    assert!(data.len() > 40);
    lsp.shutdown();
}

/// Semantic tokens decoded to absolute (line, start, length, modifiers).
fn absolute_tokens(result: &Value) -> Vec<(u64, u64, u64, u64)> {
    let data: Vec<u64> = result["data"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let (mut line, mut start, mut tokens) = (0, 0, Vec::new());
    for d in data.chunks(5) {
        line += d[0];
        start = if d[0] == 0 { start + d[1] } else { d[1] };
        tokens.push((line, start, d[2], d[4]));
    }
    tokens
}

/// Semantic tokens after an edit come as an edit of those sent before (`full/delta`): applied
/// to them, it gives what a full request gives; a result id the server does not keep gets all
/// the tokens.
#[test]
fn semantic_tokens_delta_after_an_edit() {
    let mut lsp = started();
    let init_tokens = |lsp: &mut Lsp| lsp.result("textDocument/semanticTokens/full", doc(URI));
    lsp.open(URI, TEXT);
    let first = init_tokens(&mut lsp);
    let id = first["resultId"].as_str().expect("a result id").to_string();
    let ints = |v: &Value| -> Vec<u64> { v.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).collect() };
    // A line inserted at the start of the third line: `FROM alpine AS docs` becomes two stages.
    let change = parse_json(&format!(
        r#"{{"textDocument": {{"uri": "{URI}", "version": 2}}, "contentChanges": [{{"range": {{"start": {{"line": 2, "character": 0}}, "end": {{"line": 2, "character": 0}}}}, "text": "FROM busybox AS extra\r\n"}}]}}"#
    ));
    lsp.notify("textDocument/didChange", change);
    lsp.diagnostics(URI, 2);
    let mut p = doc(URI);
    p["previousResultId"] = Value::String(id.clone());
    let d = lsp.result("textDocument/semanticTokens/full/delta", p);
    let edits = d["edits"].as_array().expect("edits, not all the tokens");
    assert_eq!(edits.len(), 1, "{d}");
    let mut data = ints(&first["data"]);
    let (start, deleted) =
        (edits[0]["start"].as_u64().unwrap() as usize, edits[0]["deleteCount"].as_u64().unwrap() as usize);
    assert!(edits[0]["data"].as_array().unwrap().len() < data.len() / 2, "{d}");
    data.splice(start..start + deleted, ints(&edits[0]["data"]));
    let full = init_tokens(&mut lsp);
    assert_eq!(data, ints(&full["data"]));
    assert_ne!(d["resultId"], Value::String(id.clone()));
    // An id it does not keep (the one before the last): all the tokens.
    let mut p = doc(URI);
    p["previousResultId"] = Value::String(id);
    let again = lsp.result("textDocument/semanticTokens/full/delta", p);
    assert_eq!(ints(&again["data"]), ints(&full["data"]), "{again}");
    lsp.shutdown();
}

/// A stage name split by a line continuation gets a semantic token on each of its lines (up
/// to the escape character), as a client without multi-line tokens needs.
#[test]
fn semantic_tokens_of_a_name_split_over_lines() {
    let mut lsp = started();
    lsp.open(URI, "FROM alpine AS b\\\n# a comment\nuild\nFROM scratch\nCOPY --from=bu\\\r\nild / /\n");
    let t = lsp.result("textDocument/semanticTokens/full", doc(URI));
    let tokens = absolute_tokens(&t);
    // The definition (modifier bit 0) on lines 0 and 2, not on the comment line between them
    // (BuildKit drops it); the reference on lines 4 and 5.
    for piece in [(0, 15, 1, 1), (2, 0, 4, 1), (4, 12, 2, 0), (5, 0, 3, 0)] {
        assert!(tokens.contains(&piece), "{piece:?} in {tokens:?}");
    }
    assert!(!tokens.iter().any(|t| t.0 == 1), "{tokens:?}");
    lsp.shutdown();
}

/// Definition on a variable goes to the `ENV` or `ARG` key that set what it holds there: in
/// the stage, in a stage it is built on, or a global `ARG`; nothing for one BuildKit sets
/// itself or nothing sets.
#[test]
fn definition_of_a_variable_is_what_set_it() {
    let mut lsp = started();
    let text = "ARG GO=1.22\nFROM golang:${GO} AS build\nENV OUT=/out\nARG TARGETOS\nFROM build AS test\nWORKDIR $OUT/$TARGETOS/$NOPE\nENV OUT=/x\n";
    lsp.open(URI, text);
    let target = |lsp: &mut Lsp, line, character| {
        let r = lsp.result("textDocument/definition", at(URI, line, character));
        if r.is_null() {
            return None;
        }
        Some((r["range"]["start"]["line"].as_u64()?, r["range"]["start"]["character"].as_u64()?))
    };
    assert_eq!(target(&mut lsp, 1, 16), Some((0, 4)), "`${{GO}}` in FROM: the global ARG");
    assert_eq!(target(&mut lsp, 5, 10), Some((2, 4)), "`$OUT` in test: the base stage's ENV, not the later one");
    assert_eq!(target(&mut lsp, 5, 25), None, "`$NOPE`: nothing set it");
    // A stage name still goes to its stage.
    assert_eq!(target(&mut lsp, 4, 6), Some((1, 21)));
    lsp.shutdown();
}

/// An unused stage's tokens carry the `unused` modifier (the legend names it; not the standard
/// `deprecated`, which clients strike through); the used stage's do not.
#[test]
fn unused_stages_have_the_unused_modifier() {
    let mut lsp = Lsp::start();
    let init = lsp.initialize(parse_json(r#"{"general": {"positionEncodings": ["utf-16"]}}"#), Value::Null);
    let legend = &init["capabilities"]["semanticTokensProvider"]["legend"]["tokenModifiers"];
    let modifiers: Vec<&str> = legend.as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(modifiers, ["declaration", "unused"], "{init}");
    lsp.open(URI, "FROM alpine AS old\nFROM alpine AS base\nFROM base AS app\n");
    let tokens = absolute_tokens(&lsp.result("textDocument/semanticTokens/full", doc(URI)));
    let names: Vec<(u64, u64)> =
        tokens.iter().filter(|t| [(0, 15), (1, 15), (2, 5)].contains(&(t.0, t.1))).map(|t| (t.0, t.3)).collect();
    assert_eq!(names, [(0, 0b11), (1, 0b01), (2, 0b00)], "{tokens:?}");
    lsp.shutdown();
}

/// The ranges of a selection-range chain, innermost first, as (line, start, line, end).
fn chain(mut r: &Value) -> Vec<(u64, u64, u64, u64)> {
    let mut out = Vec::new();
    while r.is_object() {
        let (s, e) = (&r["range"]["start"], &r["range"]["end"]);
        let n = |v: &Value| v.as_u64().unwrap();
        out.push((n(&s["line"]), n(&s["character"]), n(&e["line"]), n(&e["character"])));
        r = &r["parent"];
    }
    out
}

#[test]
fn selection_ranges_grow_from_the_cursor_to_the_file() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    let mut p = doc(URI);
    // On `build` in `from=build`, and inside the quotes around the emoji (UTF-16: two units).
    p["positions"] = Value::Array(vec![pos(7, 30), pos(5, 9)]);
    let r = lsp.result("textDocument/selectionRange", p);
    assert_eq!(
        chain(&r[0]),
        [(7, 28, 7, 33), (7, 23, 7, 33), (7, 12, 7, 43), (7, 4, 7, 43), (7, 0, 7, 48), (4, 0, 8, 19), (0, 0, 9, 0)]
    );
    assert_eq!(chain(&r[1])[..3], [(5, 9, 5, 11), (5, 8, 5, 12), (5, 6, 5, 12)]);
    let mut p = doc(URI);
    p["positions"] = Value::Array(vec![pos(40, 0)]);
    let e = lsp.call("textDocument/selectionRange", p);
    assert!(e["error"]["message"].as_str().unwrap().contains("40:0 is past the end"), "{e}");
    lsp.shutdown();
}

#[test]
fn document_links_to_image_pages() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    let links = lsp.result("textDocument/documentLink", doc(URI));
    let got: Vec<(Value, &str, &str)> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["range"]["start"].clone(), l["target"].as_str().unwrap(), l["tooltip"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (pos(0, 5), "https://hub.docker.com/_/golang", "golang:1.22 on Docker Hub"),
            (pos(2, 5), "https://hub.docker.com/_/alpine", "alpine on Docker Hub"),
        ]
    );
    lsp.shutdown();
}

#[test]
fn fix_all_on_request_and_preferred_quick_fixes() {
    let mut lsp = started();
    let uri = "file:///tmp/fixall/Dockerfile";
    let text = "FROM alpine as Base\nrun a\nRUN b\nFROM alpine\nCOPY --from=Base /a /b\nCMD serve\n";
    lsp.open(uri, text);
    // The actions a client asking only for "fix all" gets.
    let fix_all = |lsp: &mut Lsp, uri: &str| {
        let mut p = doc(uri);
        p["range"] = parse_json(r#"{"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}"#);
        p["context"] = parse_json(r#"{"diagnostics": [], "only": ["source.fixAll"]}"#);
        lsp.result("textDocument/codeAction", p)
    };
    let actions = fix_all(&mut lsp, uri);
    assert_eq!(actions.as_array().unwrap().len(), 1, "only the fix-all action: {actions}");
    assert_eq!(actions[0]["kind"], "source.fixAll.stagecraft");
    assert_eq!(actions[0]["title"], "Fix all safe problems (3)");
    assert_eq!(
        apply_lsp_edits(text, &actions[0]["edit"]["changes"][uri]),
        "FROM alpine AS base\nRUN a\nRUN b\nFROM alpine\nCOPY --from=base /a /b\nCMD serve\n"
    );
    // One pass fixed them all: an edit where each fix is, none over the lines between.
    let edits = actions[0]["edit"]["changes"][uri].as_array().unwrap();
    let lines: Vec<(u64, u64)> = edits
        .iter()
        .map(|e| (e["range"]["start"]["line"].as_u64().unwrap(), e["range"]["end"]["line"].as_u64().unwrap()))
        .collect();
    assert!(lines.iter().all(|(start, end)| start == end) && lines.len() >= 3, "{lines:?}");
    assert!(!lines.iter().any(|(l, _)| *l == 2 || *l == 3), "lines 3 and 4 need no fix: {lines:?}");
    // `from` becomes `FROM` and its `as` `AS` in one fix (until stop 38 that took a second pass
    // of "fix all", as `check --fix` makes: the lower-case `as` was a `FromAsCasing` finding
    // only once `FROM` was written).
    let again = "file:///tmp/fixall/passes.Dockerfile";
    let text2 = "from alpine as build\nRUN a\nFROM build\n";
    lsp.open(again, text2);
    let actions = fix_all(&mut lsp, again);
    assert_eq!(actions[0]["title"], "Fix all safe problems (1)", "{actions}");
    assert_eq!(
        apply_lsp_edits(text2, &actions[0]["edit"]["changes"][again]),
        "FROM alpine AS build\nRUN a\nFROM build\n"
    );
    // Quick fixes at the CMD line: the exec form changes the build, so it is not preferred.
    let mut p = doc(uri);
    p["range"] = parse_json(r#"{"start": {"line": 5, "character": 5}, "end": {"line": 5, "character": 5}}"#);
    p["context"] = parse_json(r#"{"diagnostics": [], "only": ["quickfix"]}"#);
    let actions = lsp.result("textDocument/codeAction", p);
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    assert_eq!(actions[0]["title"], "Use the exec form `[\"serve\"]`");
    assert_eq!(actions[0]["isPreferred"], false);
    lsp.shutdown();
}

/// Refactors: on an index reference, a stage without a name gets one and its index references
/// use it; an index reference to a named stage uses the name. Only for clients that want
/// `refactor` kinds; a quick-fix request gets none.
#[test]
fn refactor_names_a_stage_referred_to_by_index() {
    let mut lsp = started();
    let uri = "file:///tmp/refactor/Dockerfile";
    let text = "FROM golang:1.22\nRUN go build\nFROM alpine AS tools\nFROM scratch\nCOPY --from=0 /app /app\nCOPY --from=1 /t /t\n";
    lsp.open(uri, text);
    let actions_at = |lsp: &mut Lsp, line: u32, character: u32, only: &str| {
        let mut p = doc(uri);
        p["range"] = serde_json_obj(&[("start", pos(line, character)), ("end", pos(line, character))]);
        p["context"] = parse_json(&format!(r#"{{"diagnostics": [], "only": ["{only}"]}}"#));
        lsp.result("textDocument/codeAction", p)
    };
    let actions = actions_at(&mut lsp, 4, 12, "refactor");
    assert_eq!(actions[0]["kind"], "refactor.rewrite");
    assert_eq!(
        actions[0]["title"],
        "Name stage 0 `golang`, and use the name where this file's stages refer to it by index"
    );
    assert_eq!(
        apply_lsp_edits(text, &actions[0]["edit"]["changes"][uri]),
        "FROM golang:1.22 AS golang\nRUN go build\nFROM alpine AS tools\nFROM scratch\nCOPY --from=golang /app /app\nCOPY --from=1 /t /t\n"
    );
    let actions = actions_at(&mut lsp, 5, 12, "refactor.rewrite");
    assert_eq!(actions[0]["title"], "Use the name `tools` of stage 1");
    assert!(actions_at(&mut lsp, 5, 12, "quickfix").is_null());
    // A selection over the flag, or the whole line, gets it too (it went by where the
    // selection starts).
    for (from, to) in [(5, 13), (0, 19)] {
        let mut p = doc(uri);
        p["range"] = serde_json_obj(&[("start", pos(5, from)), ("end", pos(5, to))]);
        p["context"] = parse_json(r#"{"diagnostics": [], "only": ["refactor"]}"#);
        let actions = lsp.result("textDocument/codeAction", p);
        assert_eq!(actions[0]["title"], "Use the name `tools` of stage 1", "{from}..{to}");
    }
    lsp.shutdown();
}

/// A finding's range leaves out the blanks its line ends in; a cursor after them (End) still
/// gets its quick fix.
#[test]
fn quick_fixes_reach_past_the_blanks_a_line_ends_in() {
    let mut lsp = started();
    let uri = "file:///tmp/blanks/Dockerfile";
    let published = lsp.open(uri, "FROM alpine\nCMD serve  \t\n");
    let cmd = published["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "JSONArgsRecommended").cloned();
    let cmd = cmd.unwrap_or_else(|| panic!("{published}"));
    assert_eq!((&cmd["range"]["start"], &cmd["range"]["end"]), (&pos(1, 4), &pos(1, 9)));
    for (character, offered) in [(12, true), (9, true), (4, true), (3, false)] {
        let mut p = doc(uri);
        p["range"] = serde_json_obj(&[("start", pos(1, character)), ("end", pos(1, character))]);
        p["context"] = parse_json(r#"{"diagnostics": [], "only": ["quickfix"]}"#);
        let actions = lsp.result("textDocument/codeAction", p);
        assert_eq!(!actions.is_null(), offered, "at {character}: {actions}");
    }
    // Blanks in the middle of a line are no reach: `as` then `build`, the cursor on `build`.
    let mid = "file:///tmp/blanks/mid.Dockerfile";
    lsp.open(mid, "FROM alpine as  build\n");
    for (character, offered) in [(14, true), (16, false)] {
        let mut p = doc(mid);
        p["range"] = serde_json_obj(&[("start", pos(0, character)), ("end", pos(0, character))]);
        p["context"] = parse_json(r#"{"diagnostics": [], "only": ["quickfix"]}"#);
        let actions = lsp.result("textDocument/codeAction", p);
        assert_eq!(!actions.is_null(), offered, "at {character}: {actions}");
    }
    lsp.shutdown();
}

#[test]
fn build_failures_while_making_a_step_come_with_their_quick_fixes() {
    let mut lsp = started();
    let uri = "file:///tmp/steps/Dockerfile";
    let text = "FROM alpine\nCOPY https://example.com/a.tgz /a/\nRUN --mount=typ=cache,target=/c true\n";
    let d = lsp.open(uri, text);
    let diags = d["diagnostics"].as_array().unwrap();
    let copy = diags.iter().find(|d| d["code"] == "invalid-copy").unwrap_or_else(|| panic!("{d}"));
    assert_eq!(
        (&copy["message"], copy["severity"].as_u64()),
        (&Value::from("source can't be a URL for COPY; ADD fetches URLs"), Some(1))
    );
    assert_eq!((&copy["range"]["start"], &copy["range"]["end"]), (&pos(1, 5), &pos(1, 30)));
    // The mount is read too (BuildKit stops at the COPY; stagecraft shows both).
    let mount = diags.iter().find(|d| d["code"] == "invalid-mount").unwrap_or_else(|| panic!("{d}"));
    assert_eq!(mount["message"], "unexpected key 'typ' in 'typ=cache' (did you mean type?)");
    for (line, title, fixed) in [
        (
            1,
            "Use ADD, which fetches URLs",
            "FROM alpine\nADD https://example.com/a.tgz /a/\nRUN --mount=typ=cache,target=/c true\n",
        ),
        (2, "Write `type`", "FROM alpine\nCOPY https://example.com/a.tgz /a/\nRUN --mount=type=cache,target=/c true\n"),
    ] {
        let mut p = doc(uri);
        p["range"] = serde_json_obj(&[("start", pos(line, 8)), ("end", pos(line, 8))]);
        p["context"] = parse_json(r#"{"diagnostics": [], "only": ["quickfix"]}"#);
        let actions = lsp.result("textDocument/codeAction", p);
        let action =
            actions.as_array().unwrap().iter().find(|a| a["title"] == title).unwrap_or_else(|| panic!("{actions}"));
        // It changes the build, so it is offered but not preferred.
        assert_eq!(action["isPreferred"], false);
        assert_eq!(apply_lsp_edits(text, &action["edit"]["changes"][uri]), fixed);
    }
    lsp.shutdown();
}

#[test]
fn code_actions_lenses_targets_and_graph() {
    let mut lsp = started();
    let published = lsp.open(URI, TEXT);
    let mut p = doc(URI);
    p["range"] = parse_json(r#"{"start": {"line": 2, "character": 16}, "end": {"line": 2, "character": 16}}"#);
    p["context"] = parse_json(r#"{"diagnostics": []}"#);
    let actions = lsp.result("textDocument/codeAction", p);
    assert_eq!(actions[0]["title"], "Remove stage `docs`");
    assert_eq!(actions[0]["edit"]["changes"][URI][0]["range"]["start"], pos(2, 0));
    // The cursor at the start of the line, away from the name: no fix of its own, but the
    // client's context names the finding (as Neovim sends the line's diagnostics), so its fix
    // is offered.
    let docs_hint =
        published["diagnostics"].as_array().unwrap().iter().find(|d| d["range"]["start"]["line"] == 2).unwrap().clone();
    let mut p = doc(URI);
    p["range"] = parse_json(r#"{"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}}"#);
    p["context"] = parse_json(r#"{"diagnostics": [], "only": ["quickfix"]}"#);
    assert!(lsp.result("textDocument/codeAction", p.clone()).is_null(), "nothing touches column 0");
    p["context"]["diagnostics"] = Value::Array(vec![docs_hint.clone()]);
    let actions = lsp.result("textDocument/codeAction", p.clone());
    assert_eq!(actions[0]["title"], "Remove stage `docs`");
    // Also with other columns (Neovim 0.7 sends byte columns back, which differ from UTF-16's on
    // a line with non-ASCII text): its lines, code and message name it.
    let mut moved = docs_hint;
    moved["range"]["end"]["character"] = Value::from(moved["range"]["end"]["character"].as_u64().unwrap() + 3);
    p["context"]["diagnostics"] = Value::Array(vec![moved]);
    let actions = lsp.result("textDocument/codeAction", p);
    assert_eq!(actions[0]["title"], "Remove stage `docs`");
    // Not where those name two findings: only the one whose range the client sent (found by a
    // review: both fixes were offered, under one title).
    let twice = "file:///twice/Dockerfile";
    let published = lsp.open(twice, "FROM alpine\nENV HOME2=1\nCOPY $HOME3 $HOME3/\n");
    let undefined: Vec<Value> =
        published["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "UndefinedVar").cloned().collect();
    assert_eq!(undefined.len(), 2, "{published}");
    let mut p = doc(twice);
    p["range"] = parse_json(r#"{"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}}"#);
    p["context"] = parse_json(r#"{"diagnostics": [], "only": ["quickfix"]}"#);
    p["context"]["diagnostics"] = Value::Array(vec![undefined[0].clone()]);
    let actions = lsp.result("textDocument/codeAction", p.clone());
    assert_eq!(actions.as_array().map(Vec::len), Some(1), "{actions}");
    assert_eq!(actions[0]["diagnostics"][0]["range"], undefined[0]["range"], "{actions}");
    let mut moved = undefined[0].clone();
    moved["range"]["end"]["character"] = Value::from(moved["range"]["end"]["character"].as_u64().unwrap() + 1);
    p["context"]["diagnostics"] = Value::Array(vec![moved]);
    assert!(lsp.result("textDocument/codeAction", p).is_null(), "which of the two is meant cannot be told");
    // Two lenses above each FROM, shown on one line (as editors show them, joined by `|`): the
    // stage as a target (the target picker) and its references (the references view).
    let titles = |lsp: &mut Lsp, uri: &str| -> Vec<String> {
        let lenses = lsp.result("textDocument/codeLens", doc(uri));
        let mut lines: Vec<(Value, String)> = Vec::new();
        for l in lenses.as_array().unwrap() {
            let title = l["command"]["title"].as_str().unwrap();
            match lines.last_mut() {
                Some((line, joined)) if *line == l["range"]["start"]["line"] => *joined += &format!(" | {title}"),
                _ => lines.push((l["range"]["start"]["line"].clone(), title.to_string())),
            }
        }
        lines.into_iter().map(|(_, t)| t).collect()
    };
    assert_eq!(
        titles(&mut lsp, URI),
        [
            "target: build · builds 1 stage | 4 refs",
            "target: docs · builds 1 stage | 0 refs",
            "target: test · builds 2 stages | 0 refs",
            // Only the last unnamed stage is a target (the default one).
            "target: default (unnamed stage 3) · builds 2 stages | 0 refs",
        ]
    );
    let lenses = lsp.result("textDocument/codeLens", doc(URI));
    assert_eq!(lenses[6]["command"]["command"], "stagecraft.pickTarget");
    assert_eq!(lenses[6]["command"]["arguments"], parse_json(&format!(r#"["{URI}", 3]"#)));
    // The references lens's arguments are a place the references request finds them from: the
    // stage's name, or an unnamed stage's FROM.
    for (lens, count) in [(1, 4), (7, 0)] {
        assert_eq!(lenses[lens]["command"]["command"], "stagecraft.showReferences");
        let arguments = &lenses[lens]["command"]["arguments"];
        assert_eq!(arguments[0], URI);
        let mut p = doc(URI);
        p["position"] = arguments[1].clone();
        p["context"] = parse_json(r#"{"includeDeclaration": false}"#);
        let found = lsp.result("textDocument/references", p.clone());
        assert_eq!(found.as_array().map_or(0, Vec::len), count, "{found}");
        // (From the FROM of the unnamed stage, its definition is found.)
        p["context"] = parse_json(r#"{"includeDeclaration": true}"#);
        assert_eq!(lsp.result("textDocument/references", p).as_array().map_or(0, Vec::len), count + 1);
    }
    assert_eq!(lenses[1]["command"]["arguments"][1], pos(0, 20));
    assert_eq!(lenses[7]["command"]["arguments"][1], pos(4, 0));
    // A stage whose name a later stage takes over is not a target (the later one is).
    let shadowed = "file:///shadowed/Dockerfile";
    lsp.open(shadowed, "FROM alpine AS a\nFROM alpine AS a\nFROM a\n");
    assert_eq!(
        titles(&mut lsp, shadowed)[..2],
        [
            "a (not a target: a later stage has its name) · builds 1 stage | 0 refs",
            "target: a · builds 1 stage | 1 ref"
        ]
    );
    let targets = lsp.result("stagecraft/targets", doc(URI));
    assert_eq!(targets["defaultTarget"], 3);
    let default = targets["targets"].as_array().unwrap().iter().find(|t| t["isDefault"] == true).unwrap().clone();
    assert_eq!(default["buildkit"]["stages"], parse_json(r#"["build", "stage-3"]"#));
    assert_eq!(default["legacy"], parse_json(r#"["build", "docs", "test", "stage-3"]"#));
    assert_eq!((default["builds"].clone(), default["legacyBuilds"].clone()), (Value::from(2), Value::from(4)));
    // (Its RUN --mount, which only BuildKit reads, on line 8.)
    assert_eq!(default["legacyFails"]["line"], 7, "{default}");
    assert_eq!(targets["detailed"], true);
    // Where the legacy builder fails of its own accord, per target, as `plan --legacy` says it:
    // a RUN --mount in `b` fails the builds that reach it (BuildKit builds them).
    let legacy = "file:///legacy/Dockerfile";
    lsp.open(legacy, "FROM alpine AS a\nFROM alpine AS b\nRUN --mount=type=cache,target=/c true\nFROM a AS c\n");
    let t = lsp.result("stagecraft/targets", doc(legacy));
    let by_name = |n: &str| t["targets"].as_array().unwrap().iter().find(|t| t["name"] == n).unwrap().clone();
    assert_eq!(by_name("a")["legacyFails"], Value::Null, "{t}");
    for n in ["b", "c"] {
        let fails = by_name(n)["legacyFails"].clone();
        assert_eq!(fails["line"], 2, "{t}");
        assert!(fails["message"].as_str().unwrap().starts_with("the --mount option requires BuildKit"), "{t}");
        assert_eq!(by_name(n)["fails"], Value::Null, "{t}");
    }
    // Where BuildKit fails there too, `fails` says it and `legacyFails` does not; a stage BuildKit
    // skips fails the legacy builder with the step's own error, which it meets first.
    let both = "file:///legacy-both/Dockerfile";
    lsp.open(
        both,
        "FROM alpine AS a\nRUN --mount=type=bogus true\nFROM alpine AS b\nRUN --mount=type=cache,target=/c true\n",
    );
    let t = lsp.result("stagecraft/targets", doc(both));
    let by_name = |n: &str| t["targets"].as_array().unwrap().iter().find(|t| t["name"] == n).unwrap().clone();
    assert_eq!(
        (by_name("a")["fails"]["line"].clone(), by_name("a")["legacyFails"].clone()),
        (Value::from(1), Value::Null),
        "{t}"
    );
    assert_eq!(by_name("b")["legacyFails"]["line"], 1, "{t}");
    assert!(by_name("b")["legacyFails"]["message"].as_str().unwrap().starts_with("unsupported mount type"), "{t}");
    // Its line is the editor's, as `fails` and `line` are: a lone carriage return ends a line.
    let cr = "file:///legacy-cr/Dockerfile";
    lsp.open(cr, "FROM alpine AS a\nRUN echo a\rb\nRUN --mount=type=cache,target=/c true\n");
    let t = lsp.result("stagecraft/targets", doc(cr));
    assert_eq!(t["targets"][0]["legacyFails"]["line"], 3, "{t}");
    // One target, by name, with its lists; an unknown one is refused with the names there are.
    let mut p = doc(URI);
    p["target"] = Value::from("test");
    let one = lsp.result("stagecraft/targets", p);
    assert_eq!(one["targets"].as_array().unwrap().len(), 1);
    assert_eq!(one["targets"][0]["buildkit"]["stages"], parse_json(r#"["build", "test"]"#));
    let mut p = doc(URI);
    p["target"] = Value::from("nope");
    assert!(lsp.call("stagecraft/targets", p)["error"]["message"].as_str().unwrap().contains("could not be found"));
    // A cycle of references (a forward COPY --from): its stages are in no wave.
    let cycle = "file:///cycle/Dockerfile";
    lsp.open(cycle, "FROM alpine AS x\nFROM alpine AS a\nCOPY --from=b /x /y\nFROM a AS b\nCOPY --from=x / /\n");
    let c = lsp.result("stagecraft/targets", doc(cycle));
    let b = c["targets"].as_array().unwrap().iter().find(|t| t["name"] == "b").unwrap().clone();
    assert_eq!(
        (&b["buildkit"]["waves"], &b["buildkit"]["inCycle"]),
        (&parse_json(r#"[["x"]]"#), &parse_json(r#"["a", "b"]"#)),
        "{b}"
    );
    // BuildKit fails there in `a`'s dispatch (a copy from a later stage): the lenses of the
    // targets that build `a` say so, and where.
    assert_eq!(
        titles(&mut lsp, cycle),
        [
            "target: x · builds 1 stage | 1 ref",
            "target: a · build fails (line 3) | 1 ref",
            "target: b (default) · build fails (line 3) | 1 ref"
        ]
    );
    // A stage that copies from itself: BuildKit refuses the cycle before it builds anything, so
    // every target fails, also one that does not build the stage.
    let itself = "file:///itself/Dockerfile";
    lsp.open(itself, "FROM alpine AS x\nFROM alpine AS a\nCOPY --from=a /x /y\n");
    assert_eq!(titles(&mut lsp, itself)[0], "target: x · build fails (line 3) | 0 refs");
    // A failure in one stage's instructions fails the targets that build that stage; a target
    // that does not build it keeps its count (the analysis stops at the failure, so it cannot
    // say that target builds cleanly).
    let failing = "file:///failing/Dockerfile";
    lsp.open(failing, "FROM alpine AS ok\nFROM alpine AS bad\nEXPOSE 80/bogus\nFROM bad AS top\nFROM ok\n");
    assert_eq!(
        titles(&mut lsp, failing),
        [
            "target: ok · builds 1 stage | 1 ref",
            "target: bad · build fails (line 3) | 1 ref",
            "target: top · build fails (line 3) | 0 refs",
            "target: default (unnamed stage 3) · builds 2 stages | 0 refs",
        ]
    );
    // The target picker's list says so too.
    let listed = lsp.result("stagecraft/targets", doc(failing));
    let fails: Vec<&Value> = listed["targets"].as_array().unwrap().iter().map(|t| &t["fails"]).collect();
    assert!(fails[0].is_null() && fails[3].is_null(), "{listed}");
    assert_eq!(fails[2]["line"], 2);
    assert!(fails[1]["message"].as_str().unwrap().starts_with("invalid port: \"80/bogus\""), "{listed}");
    // A parse error's line is the `line` field, not again in the message.
    let unparsed = "file:///failing/unparsed/Dockerfile";
    lsp.open(unparsed, "FROM alpine\nFOO bar\n");
    let listed = lsp.result("stagecraft/targets", doc(unparsed));
    let fails = &listed["targets"][0]["fails"];
    assert_eq!(
        (fails["message"].as_str(), fails["line"].as_u64()),
        (Some("unknown instruction: FOO (did you mean FROM?)"), Some(1)),
        "{listed}"
    );
    // A message quoting a long value is cut there, as in diagnostics.
    let long = "file:///failing/long/Dockerfile";
    lsp.open(long, &format!("FROM alpine AS a\nEXPOSE 80/{}\nFROM a\n", "x".repeat(5_000)));
    let listed = lsp.result("stagecraft/targets", doc(long));
    let message = listed["targets"][0]["fails"]["message"].as_str().unwrap();
    assert!(message.starts_with("invalid port: \"80/xxx") && message.len() < 1_000, "{message}");
    let hover = lsp.result("textDocument/hover", at(long, 0, 16));
    assert!(hover["contents"]["value"].as_str().unwrap().len() < 2_000, "{hover}");
    // A 1,000-stage chain: its lists would hold ≈1.5 million names, so only counts come, and a
    // client asks for the lists of the target it shows.
    let chain_uri = "file:///chain/Dockerfile";
    lsp.open(chain_uri, &stagecraft_testkit::stage_chain(1000, ""));
    let all = lsp.result("stagecraft/targets", doc(chain_uri));
    assert_eq!(all["detailed"], false);
    let last = &all["targets"][999];
    assert_eq!((last["builds"].clone(), last["legacyBuilds"].clone()), (Value::from(1000), Value::from(1000)));
    assert!(last.get("buildkit").is_none() && last.get("legacy").is_none(), "{last}");
    let mut p = doc(chain_uri);
    p["target"] = Value::from("c999");
    let one = lsp.result("stagecraft/targets", p);
    assert_eq!(one["detailed"], true);
    assert_eq!(one["targets"][0]["buildkit"]["stages"].as_array().unwrap().len(), 1000);
    assert_eq!(one["targets"][0]["buildkit"]["stages"][0], "c0");
    let via_command = lsp.result(
        "workspace/executeCommand",
        parse_json(&format!(r#"{{"command": "stagecraft.targets", "arguments": ["{URI}"]}}"#)),
    );
    assert_eq!(via_command, targets);
    let graph = lsp.result("stagecraft/stageGraph", doc(URI));
    assert!(graph["dot"].as_str().unwrap().starts_with("digraph"));
    assert!(graph["edges"].as_array().unwrap().iter().any(|e| e["kind"] == "copy"));
    let svg = graph["svg"].as_str().unwrap();
    // `data-from` counts UTF-16 code units: the emoji on line 2 is two of them (four bytes).
    assert!(
        svg.contains(r#"<g class="node stage legacy-only dimmed unused" data-stage="1" data-from="42" data-line="3">"#),
        "{svg}"
    );
    let mut p = doc(URI);
    p["target"] = Value::from("test");
    let svg = lsp.result("stagecraft/stageGraph", p)["svg"].as_str().unwrap().to_string();
    // The target asked for is the build's (`--target`): the stages it does not use are the
    // unused ones, never the target itself, as the wasm `renderSvg` with `options.target` draws
    // them (it was drawn unused, as the default build does not build it).
    assert!(svg.contains(r#"<g class="node stage target in-plan" data-stage="2""#), "{svg}");
    assert!(svg.contains(r#" unused" data-stage="1""#), "{svg}");
    let mut p = doc(URI);
    p["target"] = Value::from("nope");
    let e = lsp.call("stagecraft/stageGraph", p)["error"].clone();
    let message = e["message"].as_str().unwrap();
    assert_eq!(message, "target stage \"nope\" could not be found; targets: build, docs, test", "{e}");
    // A graph too large to draw (1,500 stages, each copying from the first): no SVG, the
    // reason in `svgError`, the DOT still there.
    let far_uri = "file:///far/Dockerfile";
    lsp.open(far_uri, &stagecraft_testkit::stage_chain(1500, "COPY --from=c0 /a /a\n"));
    let g = lsp.result("stagecraft/stageGraph", doc(far_uri));
    assert!(g["svg"].is_null() && g["dot"].as_str().unwrap().contains("n0 -> n1499"), "{}", g["dot"]);
    let message = g["svgError"].as_str().unwrap();
    assert!(message.starts_with("the graph is too large to draw: its edges cross"), "{message}");
    assert!(
        message.ends_with("layers in all, over the limit of 1000000; the DOT and Mermaid outputs list it all"),
        "{message}"
    );
    lsp.shutdown();
}

#[test]
fn configuration_changes_targets_in_play() {
    let mut lsp = Lsp::start();
    // Neovim sends an empty Lua table as `[]`, and a malformed field must not drop the others.
    lsp.initialize(
        parse_json("{}"),
        parse_json(r#"{"targets": ["docs"], "buildArgs": [], "severities": {"unused-stage": "warning"}, "x": 1}"#),
    );
    let d = lsp.open(URI, TEXT);
    let unused: Vec<&Value> =
        d["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "unused-stage").collect();
    assert_eq!(unused.len(), 1, "docs is a target in play");
    assert_eq!(unused[0]["severity"], 2);
    lsp.notify("workspace/didChangeConfiguration", parse_json(r#"{"settings": {"stagecraft": {"targets": []}}}"#));
    let d = lsp.notification("textDocument/publishDiagnostics", |p| {
        p["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "unused-stage").count() == 2
    });
    assert_eq!(d["uri"], URI);
    lsp.shutdown();
}

/// A server started by a client that can be asked to refresh semantic tokens, code lenses and
/// inlay hints, with `TEXT` open.
fn started_refreshing() -> Lsp {
    let mut lsp = Lsp::start();
    let refresh = r#"{"workspace": {"semanticTokens": {"refreshSupport": true}, "codeLens": {"refreshSupport": true},
        "inlayHint": {"refreshSupport": true}}}"#;
    lsp.initialize(parse_json(refresh), Value::Null);
    lsp.open(URI, TEXT);
    lsp
}

/// A refresh not answered yet is not asked again, one more is once it is: a client that
/// answered none kept one request of each kind per settings change waiting (QA: 20,000
/// changes, 51 MiB).
#[test]
fn an_unanswered_refresh_is_not_asked_again_until_it_is_answered() {
    let mut lsp = started_refreshing();
    let is_refresh = |m: &Value| m["method"].as_str().is_some_and(|m| m.ends_with("/refresh"));
    let change = |lsp: &mut Lsp, k: usize| {
        let settings = format!(r#"{{"settings": {{"stagecraft": {{"buildArgs": {{"K": "{k}"}}}}}}}}"#);
        lsp.notify("workspace/didChangeConfiguration", parse_json(&settings));
    };
    // The next three refreshes, answered.
    let three = |lsp: &mut Lsp| {
        let deadline = Instant::now() + TIMEOUT;
        let mut asked = Vec::new();
        while asked.len() < 3 {
            let msg = lsp.recv(deadline, "three refreshes");
            if is_refresh(&msg) {
                asked.push(msg["method"].as_str().unwrap().to_string());
                lsp.send(serde_json_obj(&[
                    ("jsonrpc", "2.0".into()),
                    ("id", msg["id"].clone()),
                    ("result", Value::Null),
                ]));
            } else {
                lsp.pending.push(msg);
            }
        }
        asked.sort();
        asked
    };
    change(&mut lsp, 0);
    let deadline = Instant::now() + TIMEOUT;
    let mut first = Vec::new();
    while first.len() < 3 {
        let msg = lsp.recv(deadline, "the first refreshes");
        if is_refresh(&msg) {
            first.push(msg);
        } else {
            lsp.pending.push(msg);
        }
    }
    // Unanswered: more changes ask for nothing more yet.
    for k in 1..30 {
        change(&mut lsp, k);
    }
    lsp.result("textDocument/hover", at(URI, 0, 0));
    let waiting: Vec<&Value> = lsp.pending.iter().filter(|m| is_refresh(m)).collect();
    assert!(waiting.is_empty(), "{waiting:?}");
    // Answered: one more of each, for the changes meanwhile; answered, and no change since: none.
    for m in &first {
        lsp.send(serde_json_obj(&[("jsonrpc", "2.0".into()), ("id", m["id"].clone()), ("result", Value::Null)]));
    }
    let kinds = ["workspace/codeLens/refresh", "workspace/inlayHint/refresh", "workspace/semanticTokens/refresh"];
    assert_eq!(three(&mut lsp), kinds);
    lsp.result("textDocument/hover", at(URI, 0, 0));
    let waiting: Vec<&Value> = lsp.pending.iter().filter(|m| is_refresh(m)).collect();
    assert!(waiting.is_empty(), "{waiting:?}");
    // A change now asks again at once.
    change(&mut lsp, 30);
    assert_eq!(three(&mut lsp), kinds);
    lsp.shutdown();
}

/// New settings change what the editor shows besides diagnostics (the unused stages' tokens,
/// the lenses, the build args' inlay hints): a client that can be asked to ask again is asked.
/// Settings that cannot be what was meant go to the client's log: a target a document lacks
/// (once for that document), a severity that is none, a rule's name in the wrong case.
#[test]
fn settings_changes_refresh_the_client_and_doubtful_settings_are_logged() {
    let mut lsp = started_refreshing();
    let settings = r#"{"settings": {"stagecraft": {"targets": ["nope", "docs"],
        "severities": {"fromascasing": "error", "unused-stage": "off"}}}}"#;
    lsp.notify("workspace/didChangeConfiguration", parse_json(settings));
    let mut asked = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while asked.len() < 3 {
        let msg = lsp.recv(deadline, "the refresh requests");
        let method = msg["method"].as_str().unwrap_or_default().to_string();
        if method.ends_with("/refresh") && msg.get("id").is_some() {
            lsp.send(serde_json_obj(&[("jsonrpc", "2.0".into()), ("id", msg["id"].clone()), ("result", Value::Null)]));
            asked.push(method);
        } else {
            lsp.pending.push(msg);
        }
    }
    assert_eq!(
        asked,
        ["workspace/semanticTokens/refresh", "workspace/codeLens/refresh", "workspace/inlayHint/refresh"]
    );
    let logged = |lsp: &mut Lsp, needle: &str| {
        lsp.notification("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains(needle)))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        logged(&mut lsp, "`off`"),
        "stagecraft.severities: `off` for unused-stage is no severity (error, warning, info or hint): its findings keep their own"
    );
    assert_eq!(
        logged(&mut lsp, "fromascasing"),
        "stagecraft.severities: no finding has the code `fromascasing`: write `FromAsCasing`"
    );
    let nope = logged(&mut lsp, "\"nope\"");
    assert!(
        nope.starts_with(&format!("stagecraft.targets in {URI}: target stage \"nope\" could not be found")),
        "{nope}"
    );
    // Once for the document: an edit says nothing more.
    let change = format!(
        r#"{{"textDocument": {{"uri": "{URI}", "version": 2}}, "contentChanges": [{{"range": {{"start": {{"line": 0, "character": 0}}, "end": {{"line": 0, "character": 0}}}}, "text": "\n"}}]}}"#
    );
    lsp.notify("textDocument/didChange", parse_json(&change));
    lsp.diagnostics(URI, 2);
    lsp.result("textDocument/hover", at(URI, 1, 0));
    let again = |m: &Value| m["method"] == "window/logMessage" && m.to_string().contains("stagecraft.targets");
    assert!(!lsp.pending.iter().any(again), "{:?}", lsp.pending);
    lsp.shutdown();
    // A client that cannot be asked is not.
    let mut lsp = started();
    lsp.open(URI, TEXT);
    lsp.notify(
        "workspace/didChangeConfiguration",
        parse_json(r#"{"settings": {"stagecraft": {"targets": ["docs"]}}}"#),
    );
    lsp.diagnostics(URI, 1);
    lsp.result("textDocument/hover", at(URI, 0, 0));
    assert!(
        !lsp.pending.iter().any(|m| m["method"].as_str().is_some_and(|m| m.ends_with("/refresh"))),
        "{:?}",
        lsp.pending
    );
    lsp.shutdown();
}

#[test]
fn the_platform_setting_is_the_target_platform() {
    let mut lsp = Lsp::start();
    lsp.initialize(parse_json("{}"), Value::Null);
    let uri = "file:///work/arch/Dockerfile";
    let text = "FROM alpine AS base-amd64\nFROM alpine AS base-arm64\nFROM base-${TARGETARCH} AS final\n";
    let unused = |d: &Value| -> Vec<String> {
        d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "unused-stage")
            .map(|d| d["message"].as_str().unwrap().split(' ').nth(1).unwrap().to_string())
            .collect()
    };
    assert_eq!(unused(&lsp.open(uri, text)), ["`base-arm64`"]);
    lsp.notify(
        "workspace/didChangeConfiguration",
        parse_json(r#"{"settings": {"stagecraft": {"platform": "linux/arm64"}}}"#),
    );
    let d = lsp.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && p["diagnostics"].to_string().contains("`base-amd64` is not used")
    });
    assert_eq!(unused(&d), ["`base-amd64`"]);
    // One that does not parse goes to the client's log, and the analysis stays linux/amd64.
    lsp.notify("workspace/didChangeConfiguration", parse_json(r#"{"settings": {"stagecraft": {"platform": "lin"}}}"#));
    let log = lsp.notification("window/logMessage", |p| {
        p["message"].as_str().is_some_and(|m| m.starts_with("stagecraft.platform: "))
    });
    assert!(log["message"].as_str().unwrap().contains("linux/amd64 is used"), "{log}");
    let d = lsp.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && p["diagnostics"].to_string().contains("`base-arm64` is not used")
    });
    assert_eq!(unused(&d), ["`base-arm64`"], "back to linux/amd64");
    // `local` (any case) is the server's own platform: on amd64, base-amd64 again after arm64.
    if stagecraft_analysis::platform::local().is_some_and(|p| p.architecture == "amd64") {
        for (platform, unused_one) in [("linux/arm64", "`base-amd64`"), ("Local", "`base-arm64`")] {
            let settings = parse_json(&format!(r#"{{"settings": {{"stagecraft": {{"platform": "{platform}"}}}}}}"#));
            lsp.notify("workspace/didChangeConfiguration", settings);
            let d = lsp.notification("textDocument/publishDiagnostics", |p| {
                p["uri"] == uri && p["diagnostics"].to_string().contains(&format!("{unused_one} is not used"))
            });
            assert_eq!(unused(&d), [unused_one], "{platform}");
        }
    }
    lsp.shutdown();
}

#[test]
fn named_contexts_setting_replaces_stages_and_images() {
    let mut lsp = Lsp::start();
    lsp.initialize(
        parse_json("{}"),
        parse_json(r#"{"namedContexts": {"alpine": "docker-image://alpine:3.20", "build": "local:out"}}"#),
    );
    // `build` is replaced whole: `test`, built on it, no longer builds `golang` (but is still
    // unused by the default target); `alpine` replaces the image of `docs`.
    lsp.open(URI, TEXT);
    let graph = lsp.result("stagecraft/stageGraph", doc(URI));
    let kinds: Vec<(String, String)> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["kind"].as_str().unwrap().to_string(), n["label"].as_str().unwrap().to_string()))
        .collect();
    assert!(kinds.contains(&("context".into(), "alpine".into())), "{kinds:?}");
    assert!(!kinds.iter().any(|(_, l)| l.starts_with("golang")), "{kinds:?}");
    let hover = lsp.result("textDocument/hover", at(URI, 2, 6));
    assert!(hover["contents"]["value"].as_str().unwrap().contains("named build context"), "{hover}");
    let targets = lsp.result("stagecraft/targets", doc(URI));
    let docs = targets["targets"].as_array().unwrap().iter().find(|t| t["name"] == "docs").unwrap();
    assert_eq!(docs["buildkit"]["contexts"], parse_json(r#"["alpine"]"#), "{docs}");
    assert_eq!(docs["buildkit"]["images"], parse_json("[]"), "{docs}");
    assert_eq!(docs["buildkit"]["dispatchedNotBuilt"], parse_json("[]"), "{docs}");
    // A `docker-image://` value that is no reference fails where a target loads it (`build`,
    // which the default target copies from).
    let settings = r#"{"settings": {"stagecraft": {"namedContexts": {"build": "docker-image://Alpine"}}}}"#;
    lsp.notify("workspace/didChangeConfiguration", parse_json(settings));
    let d = lsp.diagnostics(URI, 1);
    let bad = d["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "invalid-build-context");
    let said = "the named build context build=docker-image://Alpine names no image";
    assert!(bad.is_some_and(|d| d["message"].as_str().unwrap().contains(said)), "{d}");
    // Without the setting, the images come back.
    lsp.notify("workspace/didChangeConfiguration", parse_json(r#"{"settings": {"stagecraft": {}}}"#));
    lsp.diagnostics(URI, 1);
    let graph = lsp.result("stagecraft/stageGraph", doc(URI));
    assert!(!graph["nodes"].as_array().unwrap().iter().any(|n| n["kind"] == "context"), "{graph}");
    // What the steps of a replaced stage use is dispatched, not built, as `plan` says: `base`
    // is an image now, and BuildKit still reads its `COPY --from=dep`, which copies from `tools`.
    let settings = r#"{"settings": {"stagecraft": {"namedContexts": {"base": "docker-image://busybox"}}}}"#;
    lsp.notify("workspace/didChangeConfiguration", parse_json(settings));
    let uses = "file:///w/Uses.Dockerfile";
    lsp.open(
        uses,
        "FROM alpine AS tools\nFROM alpine AS dep\nCOPY --from=tools / /\nFROM alpine AS base\nCOPY --from=dep /a /b\nFROM base\n",
    );
    let targets = lsp.result("stagecraft/targets", doc(uses));
    let last = &targets["targets"][3];
    // `base` is listed, loaded from its context (`contexts`), and not counted as built.
    assert_eq!((last["buildkit"]["contexts"].clone(), last["builds"].clone()), (parse_json(r#"["base"]"#), 1.into()));
    assert_eq!(last["buildkit"]["dispatchedNotBuilt"], parse_json(r#"["tools", "dep"]"#), "{last}");
    assert_eq!(targets["targets"][1]["buildkit"]["dispatchedNotBuilt"], parse_json("[]"), "{targets}");
    lsp.shutdown();
}

/// Hover on a Git source and the diagnostic of a query BuildKit refuses, over the protocol.
#[test]
fn git_sources_hover_and_refused_queries() {
    let mut lsp = Lsp::start();
    lsp.initialize(parse_json(r#"{"general": {"positionEncodings": ["utf-16"]}}"#), Value::Null);
    let uri = "file:///tmp/stagecraft-git/Dockerfile";
    let diagnostics = lsp.open(uri, "FROM alpine\nADD https://github.com/moby/buildkit.git?tag=v0.26.2&subdir=docs /a\nADD https://github.com/moby/buildkit.git?foo=1 /b\n");
    let h = lsp.result("textDocument/hover", at(uri, 1, 10));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("BuildKit fetches `refs/tags/v0.26.2` and copies its directory `docs`"), "{md}");
    assert_eq!((h["range"]["start"].clone(), h["range"]["end"].clone()), (pos(1, 4), pos(1, 64)), "{h}");
    let refused = diagnostics["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().is_some_and(|m| m.starts_with("unexpected query \"foo\"")))
        .unwrap_or_else(|| panic!("{diagnostics}"));
    assert_eq!(
        (refused["range"]["start"].clone(), refused["severity"].clone()),
        (pos(2, 4), Value::from(1)),
        "{refused}"
    );
    lsp.shutdown();
}

/// Hover on a variable: the value BuildKit expands it to there, with the editor's build args.
#[test]
fn hover_on_a_variable_shows_its_value() {
    let mut lsp = Lsp::start();
    lsp.initialize(
        parse_json(r#"{"general": {"positionEncodings": ["utf-16"]}}"#),
        parse_json(r#"{"buildArgs": {"TAG": "3.20"}}"#),
    );
    let uri = "file:///tmp/stagecraft-vars/Dockerfile";
    lsp.open(uri, "ARG TAG=3.19\nFROM alpine:${TAG} AS base\nENV HOME_DIR=/srv/😀 \\\n    X=1\nWORKDIR $HOME_DIR\nRUN echo $HOME_DIR\nARG TAG\n");
    let h = lsp.result("textDocument/hover", at(uri, 1, 14));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("**`$TAG`** = `3.20`\n\nGiven with `--build-arg TAG=...` for the `ARG` on line 1."), "{md}");
    assert_eq!((h["range"]["start"].clone(), h["range"]["end"].clone()), (pos(1, 12), pos(1, 18)), "{h}");
    let h = lsp.result("textDocument/hover", at(uri, 4, 10));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("**`$HOME_DIR`** = `/srv/😀`\n\nSet by the `ENV` on line 3."), "{md}");
    assert_eq!((h["range"]["start"].clone(), h["range"]["end"].clone()), (pos(4, 8), pos(4, 17)), "{h}");
    // In a shell command, the shell expands it when it runs: no hover.
    assert!(lsp.result("textDocument/hover", at(uri, 5, 12)).is_null());
    // Completion after `$`: the variables in scope, with their values; the whole name replaced.
    let items = lsp.result("textDocument/completion", at(uri, 4, 11));
    let items = items.as_array().or_else(|| items["items"].as_array()).unwrap().clone();
    let home = items.iter().find(|i| i["label"] == "HOME_DIR").unwrap_or_else(|| panic!("{items:?}"));
    assert_eq!((home["kind"].clone(), home["detail"].clone()), (Value::from(6), Value::from("/srv/😀")), "{home}");
    let range = &home["textEdit"]["range"];
    assert_eq!((range["start"].clone(), range["end"].clone()), (pos(4, 9), pos(4, 17)), "{home}");
    // The global ARG is not in the stage until an ARG declares it there (a line later).
    assert!(!items.iter().any(|i| i["label"] == "TAG"), "{items:?}");
    let items = lsp.result("textDocument/completion", at(uri, 7, 0));
    assert!(!items.to_string().contains("\"TAG\""), "no variable completion without a `$`");
    let mut change = doc(uri);
    change["textDocument"]["version"] = 2.into();
    change["contentChanges"] = parse_json(
        r#"[{"range": {"start": {"line": 7, "character": 0}, "end": {"line": 7, "character": 0}}, "text": "LABEL e=\"😀\" v=${"}]"#,
    );
    lsp.notify("textDocument/didChange", change);
    lsp.diagnostics(uri, 2);
    // After `${`, past a character outside the BMP (two UTF-16 units): the edit starts there.
    let items = lsp.result("textDocument/completion", at(uri, 7, 17));
    let items = items.as_array().or_else(|| items["items"].as_array()).unwrap().clone();
    let tag =
        items.iter().find(|i| i["label"] == "TAG" && i["detail"] == "3.20").unwrap_or_else(|| panic!("{items:?}"));
    let range = &tag["textEdit"]["range"];
    assert_eq!((range["start"].clone(), range["end"].clone()), (pos(7, 17), pos(7, 17)));
    assert!(items.iter().all(|i| i["kind"] == 6), "only variables after a `${{`: {items:?}");
    lsp.shutdown();
}

#[test]
fn bad_requests_get_errors_not_crashes() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    let r = lsp.call("textDocument/definition", at("file:///nope", 0, 0));
    assert!(r["error"]["message"].as_str().unwrap().contains("unknown document"), "{r}");
    let r = lsp.call("textDocument/hover", at(URI, 500, 0));
    assert!(r["error"]["message"].as_str().unwrap().contains("past the end"), "{r}");
    // A column past the end of a line means its end.
    let r = lsp.call("textDocument/hover", at(URI, 0, 500));
    assert!(r.get("error").is_none(), "{r}");
    let r = lsp.call("stagecraft/noSuchMethod", parse_json("{}"));
    assert_eq!(r["error"]["code"], -32601);
    // A call-hierarchy item of a document the server does not have (closed since: editors keep
    // their trees) has no calls, nor has one without data.
    let item = parse_json(
        r#"{"item": {"name": "x", "kind": 5, "uri": "file:///nope", "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "selectionRange": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}}}"#,
    );
    let r = lsp.call("callHierarchy/incomingCalls", item.clone());
    assert!(r.get("error").is_none() && r["result"].is_null(), "{r}");
    let mut ours = item;
    ours["item"]["uri"] = URI.into();
    let r = lsp.call("callHierarchy/outgoingCalls", ours);
    assert!(r.get("error").is_none() && r["result"].is_null(), "{r}");
    lsp.send_raw("{not json");
    let r = lsp.call("textDocument/definition", at(URI, 6, 13));
    assert_eq!(r["result"]["range"]["start"], pos(0, 20), "still serving after a malformed message");
    let r = lsp.call("workspace/executeCommand", parse_json(r#"{"command": "nope"}"#));
    assert!(r["error"]["message"].as_str().unwrap().contains("unknown command"));
    lsp.notify("textDocument/didClose", doc(URI));
    let cleared = lsp
        .notification("textDocument/publishDiagnostics", |p| p["uri"] == URI && p["diagnostics"] == parse_json("[]"));
    assert!(cleared["version"].is_null());
    lsp.shutdown();
}

/// Messages that are JSON-RPC but that the framework cannot decode (its reader would end the
/// session on them), framing the transport must not trust, and the protocol's `$/` rule.
#[test]
fn undecodable_messages_and_odd_framing_keep_the_server_serving() {
    let mut lsp = started();
    lsp.open(URI, "FROM alpine AS a\nFROM alpine AS b\n");
    // Half an emoji, as JavaScript's JSON.stringify writes it, before a reference on its line:
    // kept as U+FFFD, one UTF-16 unit like the client's, so the reference is where it was.
    lsp.send_raw(
        r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///work/Dockerfile","version":2},"contentChanges":[{"range":{"start":{"line":2,"character":0},"end":{"line":2,"character":0}},"text":"RUN --mount=target=/\ud83d,from=a true\n"}]}}"#,
    );
    lsp.diagnostics(URI, 2);
    let r = lsp.result("textDocument/definition", at(URI, 2, 27));
    assert_eq!(r["range"]["start"], pos(0, 15), "the reference after the lone surrogate: {r}");
    // A request the framework cannot decode gets an error with its id; a notification is
    // dropped with a line in the client's log.
    lsp.send_raw(r#"{"jsonrpc":"2.0","id":77,"method":"textDocument/hover","params":{"x":1e400}}"#);
    let deep = format!(r#"{{"jsonrpc":"2.0","method":"foo/bar","params":{}{}}}"#, "[".repeat(200), "]".repeat(200));
    lsp.send_raw(&deep);
    let log = lsp.notification("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains("foo/bar")));
    assert!(log["message"].as_str().unwrap().contains("cannot decode"), "{log}");
    let answered = lsp.pending.iter().find(|m| m["id"] == 77).cloned();
    let answered = answered.unwrap_or_else(|| lsp.recv(Instant::now() + TIMEOUT, "the answer to id 77"));
    assert_eq!((answered["id"].as_u64(), answered["error"]["code"].as_i64()), (Some(77), Some(-32700)), "{answered}");
    // The same nesting outside `params`, in a member the framework's types ignore: a valid
    // request, a notification and a response to no request of the server's (the framework's
    // reader builds every member, and used to end the session on them).
    let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    lsp.send_raw(&format!(
        r#"{{"jsonrpc":"2.0","id":78,"method":"textDocument/hover","params":{{"textDocument":{{"uri":"{URI}"}},"position":{{"line":0,"character":15}}}},"extra":{}}}"#,
        nested(127)
    ));
    lsp.send_raw(&format!(r#"{{"jsonrpc":"2.0","method":"foo/baz","extra":{}}}"#, nested(130)));
    lsp.send_raw(&format!(r#"{{"jsonrpc":"2.0","id":79,"result":{}}}"#, nested(127)));
    let log = lsp.notification("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains("foo/baz")));
    assert!(log["message"].as_str().unwrap().contains("cannot decode"), "{log}");
    let log = lsp.notification("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains("response")));
    assert!(log["message"].as_str().unwrap().contains("recursion limit"), "{log}");
    let answered = lsp.pending.iter().find(|m| m["id"] == 78).cloned();
    let answered = answered.unwrap_or_else(|| lsp.recv(Instant::now() + TIMEOUT, "the answer to id 78"));
    assert_eq!(answered["error"]["code"].as_i64(), Some(-32700), "{answered}");
    // Nested as deep as the reader takes: served as before.
    lsp.send_raw(&format!(
        r#"{{"jsonrpc":"2.0","id":80,"method":"textDocument/hover","params":{{"textDocument":{{"uri":"{URI}"}},"position":{{"line":0,"character":15}}}},"extra":{}}}"#,
        nested(100)
    ));
    let answered = lsp.pending.iter().find(|m| m["id"] == 80).cloned();
    let answered = answered.unwrap_or_else(|| lsp.recv(Instant::now() + TIMEOUT, "the answer to id 80"));
    assert!(answered.get("result").is_some(), "{answered}");
    // A request whose id is `null` (JSON-RPC allows it; LSP's ids are numbers or strings) is
    // answered with that id alike by the framework and by the methods the transport answers
    // beside it.
    let methods = ["textDocument/hover", "textDocument/documentSymbol", "textDocument/semanticTokens/full"];
    for method in methods {
        lsp.send_raw(&format!(
            r#"{{"jsonrpc":"2.0","id":null,"method":"{method}","params":{{"textDocument":{{"uri":"{URI}"}},"position":{{"line":0,"character":15}}}}}}"#
        ));
    }
    // (The framework runs handlers concurrently: the answers come in any order.)
    let deadline = Instant::now() + TIMEOUT;
    let answered = |pending: &[Value]| {
        pending.iter().filter(|m| m.get("id").is_some_and(Value::is_null) && m.get("result").is_some()).count()
    };
    while answered(&lsp.pending) < methods.len() {
        let m = lsp.recv(deadline, "the answers to the requests whose id is null");
        lsp.pending.push(m);
    }
    // Document notifications whose params the server cannot read (a version past i32, a
    // negative character, a text that is no string) are ignored, and said in the client's log:
    // the server's copy of the document may now differ from the editor's.
    let bad = [
        r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///work/Dockerfile","version":2147483648},"contentChanges":[{"text":"FROM x\n"}]}}"#,
        r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///work/Dockerfile","version":9},"contentChanges":[{"range":{"start":{"line":0,"character":-1},"end":{"line":0,"character":0}},"text":"x"}]}}"#,
        r#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///work/other","languageId":"dockerfile","version":1,"text":5}}}"#,
    ];
    for (i, body) in bad.iter().enumerate() {
        lsp.send_raw(body);
        let what = if i == 2 { "textDocument/didOpen" } else { "textDocument/didChange" };
        let log = lsp.notification("window/logMessage", |p| {
            p["message"].as_str().is_some_and(|m| m.contains("cannot read") && m.contains(what))
        });
        assert!(log["message"].as_str().unwrap().contains("close and reopen it"), "{log}");
    }
    // A request of such a name (with an id; without params, too) is the framework's to answer.
    lsp.send_raw(r#"{"jsonrpc":"2.0","id":81,"method":"textDocument/didOpen"}"#);
    lsp.send_raw(r#"{"jsonrpc":"2.0","id":82,"method":"textDocument/didChange","params":{"textDocument":5}}"#);
    for id in [81, 82] {
        let answered = lsp.pending.iter().find(|m| m["id"] == id).cloned();
        let answered =
            answered.unwrap_or_else(|| lsp.recv(Instant::now() + TIMEOUT, "the answer to a didOpen request"));
        assert_eq!(answered["id"], id, "{answered}");
        assert!(answered.get("error").is_some(), "{answered}");
    }
    // An unknown `$/` request is answered with MethodNotFound (the protocol says so).
    let r = lsp.call("$/unknownThing", parse_json("{}"));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    // A message with an id but no method, and no response either, is an invalid request,
    // answered to its id; so is one whose method is no string.
    lsp.send_raw(r#"{"jsonrpc":"2.0","id":602}"#);
    lsp.send_raw(r#"{"jsonrpc":"2.0","id":603,"method":5}"#);
    for id in [602, 603] {
        let answered = lsp.pending.iter().find(|m| m["id"] == id).cloned();
        let answered = answered.unwrap_or_else(|| lsp.recv(Instant::now() + TIMEOUT, "the invalid request's answer"));
        assert_eq!(
            (answered["id"].as_i64(), answered["error"]["code"].as_i64()),
            (Some(id), Some(-32600)),
            "{answered}"
        );
    }
    // A Content-Length past what the server reads, and one that would overflow.
    for length in ["18446744073709551615", "2000000000"] {
        write!(lsp.input(), "Content-Length: {length}\r\n\r\n{{}}").unwrap();
        lsp.input().flush().unwrap();
        let deadline = Instant::now() + TIMEOUT;
        let e = lsp.recv(deadline, "the error for a huge Content-Length");
        assert_eq!(e["error"]["code"], -32700, "{e}");
    }
    let r = lsp.result("textDocument/definition", at(URI, 2, 27));
    assert_eq!(r["range"]["start"], pos(0, 15), "still serving: {r}");
    lsp.shutdown();
}

/// The exit code: 0 after `shutdown` then `exit` (checked by every `shutdown()` above), 1 for
/// `exit` alone or a client that goes away.
#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let mut lsp = started();
    lsp.notify("exit", Value::Null);
    let status = lsp.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    // A client that initializes, opens a file and closes the pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for body in [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#.to_string(),
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#.to_string(),
        serde_json_obj(&[
            ("jsonrpc", "2.0".into()),
            ("method", "textDocument/didOpen".into()),
            ("params", lsp_open_params(URI, "FROM alpine\n")),
        ])
        .to_string(),
    ] {
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    }
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(1), "stdin closed without shutdown");
}

/// `shutdown` and `exit` written at once (the client does not wait for the answer): the
/// framework stops at `exit` and cancels what still runs, so the `shutdown` was answered with
/// -32800 and the exit status was 1, every time (QA, stop 55).
#[test]
fn shutdown_and_exit_at_once_answer_the_shutdown_and_exit_0() {
    for _ in 0..5 {
        let mut lsp = started();
        lsp.open(URI, TEXT);
        let both = [r#"{"jsonrpc":"2.0","id":900,"method":"shutdown"}"#, r#"{"jsonrpc":"2.0","method":"exit"}"#]
            .map(|b| format!("Content-Length: {}\r\n\r\n{b}", b.len()))
            .concat();
        lsp.input().write_all(both.as_bytes()).unwrap();
        lsp.input().flush().unwrap();
        let deadline = Instant::now() + TIMEOUT;
        let answer = loop {
            let msg = lsp.recv(deadline, "the answer to shutdown");
            if msg["id"] == 900 {
                break msg;
            }
        };
        assert_eq!(answer.get("result"), Some(&Value::Null), "{answer}");
        assert_eq!(lsp.child.wait().unwrap().code(), Some(0));
    }
}

/// The outline and semantic tokens are answered by the transport's fast path (`direct.rs`),
/// outside the framework: they must still see every change sent before them, and whatever the
/// fast path does not handle must get the framework's own answer.
#[test]
fn large_answers_see_earlier_changes_and_keep_the_framework_errors() {
    let mut lsp = started();
    lsp.open(URI, TEXT);
    for (version, names) in [(2, ["one", "two"]), (3, ["three", "four"])] {
        let text = format!("FROM a AS {}\nFROM {} AS {}\n", names[0], names[0], names[1]);
        let mut change = doc(URI);
        change["textDocument"]["version"] = version.into();
        change["contentChanges"] = serde_json_obj(&[("text", text.into())]);
        change["contentChanges"] = Value::Array(vec![change["contentChanges"].clone()]);
        lsp.notify("textDocument/didChange", change);
        // No wait for the diagnostics: the request follows the change at once.
        let s = lsp.result("textDocument/documentSymbol", doc(URI));
        let got: Vec<&str> = s.as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert_eq!(got, names, "the outline of version {version}");
        let t = lsp.result("textDocument/semanticTokens/full", doc(URI));
        let tokens = absolute_tokens(&t);
        let def = (0, 10, names[0].len() as u64, 1);
        assert!(tokens.contains(&def), "the definition of {} in {tokens:?}", names[0]);
    }
    // What the fast path leaves to the framework gets the framework's answer.
    let r = lsp.call("textDocument/documentSymbol", doc("file:///nope"));
    assert!(r["error"]["message"].as_str().unwrap().contains("unknown document"), "{r}");
    let r = lsp.call("textDocument/semanticTokens/full", parse_json(r#"{"textDocument": 5}"#));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    // A second `initialize` is refused, with the reason.
    let r = lsp.call("initialize", parse_json(r#"{"capabilities": {}}"#));
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("initialized already"), "{r}");
    // A change to a document not open is said in the client's log.
    let mut change = doc("file:///never/opened");
    change["textDocument"]["version"] = 2.into();
    change["contentChanges"] = Value::Array(vec![serde_json_obj(&[("text", "FROM a\n".into())])]);
    lsp.notify("textDocument/didChange", change);
    let log =
        lsp.notification("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains("never/opened")));
    assert!(
        log["message"].as_str().unwrap().ends_with("the document is not open (send textDocument/didOpen first)"),
        "{log}"
    );
    // A request written right after `shutdown`, before its answer, is refused with the reason
    // too (found by a review: the framework's answer had none); a hover is the framework's.
    lsp.send_raw(r#"{"jsonrpc":"2.0","id":9001,"method":"shutdown","params":null}"#);
    let r = lsp.call("textDocument/hover", at(URI, 0, 1));
    assert_eq!(r["error"]["code"], -32600, "after shutdown: {r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("send `exit`"), "after shutdown: {r}");
    lsp.notify("exit", Value::Null);
}

/// `didOpen` is handled beside the framework (one decode of a large text instead of two); it
/// must do exactly what the framework would: nothing before `initialize` or after `shutdown`,
/// the framework's handling of malformed opens, and the same diagnostics as the framework path.
#[test]
fn opens_beside_the_framework_behave_as_the_framework_would() {
    let mut lsp = Lsp::start();
    // Before `initialize` the framework drops notifications: the document stays unknown.
    lsp.notify("textDocument/didOpen", lsp_open_params("file:///early", "FROM a\n"));
    lsp.initialize(parse_json(r#"{"general": {"positionEncodings": ["utf-16"]}}"#), Value::Null);
    let r = lsp.call("textDocument/documentSymbol", doc("file:///early"));
    assert!(r["error"]["message"].as_str().unwrap().contains("unknown document"), "{r}");
    assert!(
        !lsp.pending.iter().any(|m| m["params"]["uri"] == "file:///early"),
        "nothing published for an open before initialize: {:?}",
        lsp.pending
    );

    // Malformed params: the framework logs and drops them; the server goes on.
    lsp.notify("textDocument/didOpen", parse_json(r#"{"textDocument": 5}"#));
    // With an id, it is a request the framework answers (with an error), not an open.
    let r = lsp.call("textDocument/didOpen", lsp_open_params("file:///with-id", "FROM a\n"));
    assert!(r.get("error").is_some(), "{r}");
    let r = lsp.call("textDocument/documentSymbol", doc("file:///with-id"));
    assert!(r.get("error").is_some(), "{r}");

    // An open followed at once by a framework request: the request sees the document.
    lsp.notify("textDocument/didOpen", lsp_open_params(URI, TEXT));
    let d = lsp.result("textDocument/definition", at(URI, 6, 13));
    assert_eq!(d["range"]["start"]["line"], 0, "{d}");
    let opened = lsp.diagnostics(URI, 1);
    // The same text through the framework's own path (a full-text change) publishes the same.
    let mut change = doc(URI);
    change["textDocument"]["version"] = 2.into();
    change["contentChanges"] = Value::Array(vec![serde_json_obj(&[("text", TEXT.into())])]);
    lsp.notify("textDocument/didChange", change);
    let changed = lsp.diagnostics(URI, 2);
    assert!(!opened["diagnostics"].as_array().unwrap().is_empty());
    assert_eq!(opened["diagnostics"], changed["diagnostics"]);

    // After `shutdown`, opens are dropped as the framework drops them.
    let r = lsp.call("shutdown", Value::Null);
    assert!(r.get("error").is_none(), "{r}");
    lsp.notify("textDocument/didOpen", lsp_open_params("file:///late", "FROM a\n"));
    let r = lsp.call("textDocument/documentSymbol", doc("file:///late"));
    assert_eq!(r["error"]["code"], -32600, "after shutdown: {r}");
    assert!(!lsp.pending.iter().any(|m| m["params"]["uri"] == "file:///late"), "{:?}", lsp.pending);
    lsp.notify("exit", Value::Null);
}

fn lsp_open_params(uri: &str, text: &str) -> Value {
    serde_json_obj(&[(
        "textDocument",
        serde_json_obj(&[
            ("uri", uri.into()),
            ("languageId", "dockerfile".into()),
            ("version", 1.into()),
            ("text", text.into()),
        ]),
    )])
}

/// Files shaped to make per-stage work quadratic: many independent stages, a long chain of
/// stages each built on the one before, and one stage used from thousands of places. Every
/// request answers (within the client's ten seconds, in a debug build), and the answers keep
/// their size: outlines and lenses per stage, hover lists capped, target lists left out where
/// they would grow with the square of the stage count. Earlier, the targets of the first file
/// took minutes and gigabytes.
#[test]
fn thousands_of_stages_or_references_get_answers() {
    // (Images named through a variable: their tokens are found under each image's word.)
    let mut wide = String::from("ARG TAG=3.20\n");
    for i in 0..10_000 {
        wide.push_str(&format!("FROM alpine:${{TAG}} AS s{i}\n"));
    }
    let chain = stagecraft_testkit::stage_chain(3_000, "");
    let mut hot = String::from("FROM alpine AS hot\nFROM alpine AS user\n");
    for i in 0..10_000 {
        hot.push_str(&format!("COPY --from=hot /a{i} /b{i}\n"));
    }
    // One stage copying from 10,000 others.
    let mut fanin: String = (0..10_000).map(|i| format!("FROM alpine AS s{i}\n")).collect();
    fanin.push_str("FROM alpine AS final\n");
    for i in 0..10_000 {
        fanin.push_str(&format!("COPY --from=s{i} /a /b{i}\n"));
    }
    let mut lsp = started();
    for (name, text, stages, line) in [
        ("wide", &wide, 10_000, 5_000),
        ("chain", &chain, 3_000, 1_500),
        ("hot", &hot, 2, 5_000),
        ("fanin", &fanin, 10_001, 5_000),
    ] {
        let uri = format!("file:///stress/{name}/Dockerfile");
        let uri = uri.as_str();
        let diagnostics = lsp.open(uri, text);
        assert!(diagnostics["diagnostics"].is_array(), "{name}");
        // A stage name or a reference in the middle of the file.
        let column = text.lines().nth(line).unwrap().find(['s', 'c', 'h']).unwrap() as u32;
        let symbols = lsp.result("textDocument/documentSymbol", doc(uri));
        // (And the wide file's global ARG.)
        let outline = stages + usize::from(name == "wide");
        assert_eq!(symbols.as_array().unwrap().len(), outline, "{name}: one outline entry per stage");
        let lenses = lsp.result("textDocument/codeLens", doc(uri));
        assert_eq!(lenses.as_array().unwrap().len(), 2 * stages, "{name}: two lenses per FROM");
        let hover = lsp.result("textDocument/hover", at(uri, line as u32, column));
        assert!(hover["contents"]["value"].as_str().unwrap().len() < 4_000, "{name}: {hover}");
        let definition = lsp.result("textDocument/definition", at(uri, line as u32, column));
        assert!(!definition.is_null(), "{name}");
        let mut p = at(uri, line as u32, column);
        p["context"] = parse_json(r#"{"includeDeclaration": true}"#);
        let references = lsp.result("textDocument/references", p);
        assert!(!references.as_array().unwrap().is_empty(), "{name}");
        let mut p = at(uri, line as u32, column);
        p["newName"] = Value::from("renamed");
        let rename = lsp.result("textDocument/rename", p);
        assert!(!rename["changes"][uri].as_array().unwrap().is_empty(), "{name}");
        for method in ["textDocument/foldingRange", "stagecraft/stageGraph"] {
            lsp.result(method, doc(uri));
        }
        // Five numbers a token; in the wide file, the ARG's keyword, then each `FROM`'s keyword,
        // image (`alpine:`), variable (`${TAG}`, one token), `AS` and name.
        let tokens = lsp.result("textDocument/semanticTokens/full", doc(uri));
        let count = tokens["data"].as_array().unwrap().len() / 5;
        if name == "wide" {
            assert_eq!(count, 1 + 10_000 * 5, "{name}");
        }
        let targets = lsp.result("stagecraft/targets", doc(uri));
        assert_eq!(targets["detailed"], name == "hot", "{name}");
        let counts: Vec<u64> =
            targets["targets"].as_array().unwrap().iter().map(|t| t["builds"].as_u64().unwrap()).collect();
        assert_eq!(counts.len(), stages, "{name}");
        // A stage of the chain builds the whole chain below it, `user` builds `hot` too, and
        // the independent stages build themselves.
        let expected = match name {
            "chain" => line as u64 + 1,
            "hot" => 2,
            _ => 1,
        };
        assert_eq!(counts[line.min(stages - 1)], expected, "{name}");
        if name == "fanin" {
            assert_eq!(counts[stages - 1], stages as u64, "{name}: the last stage builds them all");
            // Completion among 10,000 stage names: the names that match what is typed, at most
            // a thousand, and the editor is told to ask again as the word grows.
            let last = text.lines().count() as u32 - 1;
            let typed = "COPY --from=s99".len() as u32;
            let list = lsp.result("textDocument/completion", at(uri, last, typed));
            assert_eq!(list["isIncomplete"], true, "{name}");
            let labels: Vec<&str> =
                list["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
            assert!(labels.contains(&"s9999") && labels.contains(&"s99"), "{name}: {} items", labels.len());
            // All 523 names that hold `s99` in order (fewer than the cap), the 111 that start
            // with it first.
            assert_eq!(labels.len(), 523, "{name}");
            assert!(labels[..111].iter().all(|l| l.starts_with("s99")) && !labels[111].starts_with("s99"), "{name}");
            for label in &labels {
                let mut rest = label.chars();
                assert!("s99".chars().all(|c| rest.any(|l| l == c)), "{name}: {label} does not match `s99`");
            }
            // More than a thousand match `s1`: the 1,111 that start with it come first (`s1`,
            // `s10`..`s19`, `s100`..), and the answer is cut among them.
            let copy_s1 = text.lines().position(|l| l == "COPY --from=s1 /a /b1").unwrap() as u32;
            let list = lsp.result("textDocument/completion", at(uri, copy_s1, "COPY --from=s1".len() as u32));
            let labels: Vec<&str> =
                list["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
            assert_eq!((list["isIncomplete"].clone(), labels.len()), (Value::from(true), 1000), "{name}");
            assert!(labels.iter().all(|l| l.starts_with("s1")), "{name}: {labels:?}");
            assert_eq!(labels[..3], ["s1", "s10", "s11"], "{name}");
            // With nothing typed: the first thousand, in file order.
            let list = lsp.result("textDocument/completion", at(uri, last, typed - 3));
            let items = list["items"].as_array().unwrap();
            assert_eq!(
                (items.len(), &items[0]["label"], &items[999]["label"]),
                (1000, &Value::from("s0"), &Value::from("s999"))
            );
            // What the last stage takes from: its base image, then every stage, once each, in
            // the order of use.
            let final_line = stages as u32 - 1;
            let items = lsp.result("textDocument/prepareCallHierarchy", at(uri, final_line, 16));
            let mut p = parse_json(r#"{"item": null}"#);
            p["item"] = items[0].clone();
            let calls = lsp.result("callHierarchy/outgoingCalls", p);
            let calls = calls.as_array().unwrap();
            assert_eq!(calls.len(), 10_001, "{name}");
            let names = [0, 1, 10_000].map(|i| calls[i]["to"]["name"].as_str().unwrap());
            assert_eq!(names, ["alpine", "s0", "s9999"], "{name}");
            assert!(calls.iter().all(|c| c["fromRanges"].as_array().unwrap().len() == 1), "{name}");
        }
    }
    lsp.shutdown();
}

/// A stage of thousands of variables (each `ENV` using the one before, one set again) and one
/// `ENV` of thousands of pairs using variables no one set: the findings each at their own
/// variable, and a variable's hover and completion answer with the value BuildKit would see.
/// (Hover and completion run the analysis again; where each variable was set was a list
/// searched per assignment, and took seconds for 50,000 of them.)
#[test]
fn thousands_of_variables_get_answers() {
    let n = 5_000;
    let mut text = String::from("FROM alpine\nENV V0=0\n");
    for i in 1..n {
        text.push_str(&format!("ENV V{i}=${{V{}}}x\n", i - 1));
    }
    text.push_str("ENV V7=again\nENV ");
    let pairs: Vec<String> = (0..2_000).map(|i| format!("P{i}=$U{i}")).collect();
    text.push_str(&pairs.join(" \\\n  "));
    text.push_str("\nLABEL a=$V7 b=$ c=$V4999\n");
    let uri = "file:///stress/variables/Dockerfile";
    let mut lsp = started();
    let diagnostics = lsp.open(uri, &text);
    let undefined: Vec<&Value> =
        diagnostics["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "UndefinedVar").collect();
    assert_eq!(undefined.len(), 2_000);
    // The last one, on the last line of the pairs, at its `$U1999`.
    let last = undefined.last().unwrap();
    let line = text.lines().position(|l| l.contains("$U1999")).unwrap() as u32;
    let column = text.lines().nth(line as usize).unwrap().find("$U1999").unwrap() as u32;
    assert_eq!(
        (last["range"]["start"].clone(), last["range"]["end"].clone()),
        (pos(line, column), pos(line, column + 6))
    );
    let label = text.lines().count() as u32 - 1;
    let hover = lsp.result("textDocument/hover", at(uri, label, 10));
    let md = hover["contents"]["value"].as_str().unwrap();
    let set_again = text.lines().position(|l| l == "ENV V7=again").unwrap() + 1;
    assert!(md.starts_with(&format!("**`$V7`** = `again`\n\nSet by the `ENV` on line {set_again}.")), "{md}");
    // More variables than an answer lists: the first thousand, and the editor asks again as
    // the name grows; then the ones that match what is typed.
    let list = lsp.result("textDocument/completion", at(uri, label, 15));
    assert_eq!((list["isIncomplete"].clone(), list["items"].as_array().unwrap().len()), (Value::from(true), 1000));
    let list = lsp.result("textDocument/completion", at(uri, label, 23));
    assert_eq!(list["isIncomplete"], true, "the answer was cut to what matches");
    let items = list["items"].as_array().unwrap();
    let v = items.iter().find(|i| i["label"] == "V4999").unwrap_or_else(|| panic!("{} items", items.len()));
    assert_eq!(v["detail"], Value::from(format!("0{}", "x".repeat(4_999))), "the value each ENV made");
    // The 32 names that hold `V499` in order, the 11 that start with it first (`V499`,
    // `V4990`..`V4999`), then `V1499`, `V2499`, ... in the order of the file.
    let labels: Vec<&str> = items.iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels.len(), 32, "{labels:?}");
    assert!(labels[..11].iter().all(|l| l.starts_with("V499")), "{labels:?}");
    assert!(!labels[11].starts_with("V499"), "{labels:?}");
    lsp.shutdown();
}

/// Where `offset` (a byte offset of `text`) is for a client: the line (ends at `\n`, `\r\n` or a
/// lone `\r`) and the column in UTF-8 bytes or UTF-16 units. Counted here from the text, not by
/// the server's line index.
fn client_position(text: &str, offset: usize, utf8: bool) -> Value {
    let (mut line, mut col) = (0u32, 0u32);
    for (i, c) in text[..offset].char_indices() {
        if c == '\n' || (c == '\r' && text.as_bytes().get(i + 1) != Some(&b'\n')) {
            line += 1;
            col = 0;
        } else if c != '\r' {
            col += if utf8 { c.len_utf8() } else { c.len_utf16() } as u32;
        }
    }
    pos(line, col)
}

/// Whether a client's cursor can be at `o`: a character boundary, not between `\r` and `\n`.
fn is_cursor(text: &str, o: usize) -> bool {
    let b = text.as_bytes();
    text.is_char_boundary(o) && !(o > 0 && b[o - 1] == b'\r' && b.get(o) == Some(&b'\n'))
}

/// A random offset a client's cursor can be at.
fn cursor_offset(text: &str, rng: &mut stagecraft_testkit::Rng) -> usize {
    loop {
        let o = rng.below(text.len() + 1);
        if is_cursor(text, o) {
            return o;
        }
    }
}

/// Random incremental edits, sent through the real server as an editor sends them (ranges in
/// the negotiated encoding, several changes to a message, each on the text the one before left;
/// CRLF, lone `\r`s and characters outside the BMP), leave the server with the client's text:
/// after each edit its diagnostics are those it publishes for that text opened afresh, and now
/// and then its outline and semantic tokens are too.
#[test]
fn random_incremental_edits_leave_what_a_fresh_open_sees() {
    let mut rng = stagecraft_testkit::Rng(0x5eed_cafe);
    const INSERTS: &[&str] = &["", "x", "😀", "ä", "\r", "\n", "\r\n", "\\\n", " --from=", "AS b ", "$A", "<<EOF\n"];
    for utf8 in [false, true] {
        let mut lsp = Lsp::start();
        let encodings = if utf8 { r#"["utf-8", "utf-16"]"# } else { r#"["utf-16"]"# };
        lsp.initialize(parse_json(&format!(r#"{{"general": {{"positionEncodings": {encodings}}}}}"#)), Value::Null);
        let mut starts: Vec<String> = vec![TEXT.to_string()];
        starts.extend((0..4).map(|_| stagecraft_testkit::random_dockerfile(&mut rng, 30)));
        for (n, start) in starts.iter().enumerate() {
            let uri = format!("file:///work/edited{n}/Dockerfile");
            let mut text = start.clone();
            lsp.open(&uri, &text);
            for version in 2..42 {
                let mut changes = Vec::new();
                for _ in 0..1 + rng.below(3) {
                    let a = cursor_offset(&text, &mut rng);
                    let b = if rng.below(2) == 0 { a } else { cursor_offset(&text, &mut rng) };
                    let (a, b) = (a.min(b), a.max(b).min(a.min(b) + 40));
                    let b = (b..=text.len()).find(|&o| is_cursor(&text, o));
                    let b = b.unwrap_or(text.len());
                    let insert = if rng.below(3) == 0 {
                        stagecraft_testkit::DOCKERFILE_PIECES[rng.below(stagecraft_testkit::DOCKERFILE_PIECES.len())]
                    } else {
                        INSERTS[rng.below(INSERTS.len())]
                    };
                    let range = serde_json_obj(&[
                        ("start", client_position(&text, a, utf8)),
                        ("end", client_position(&text, b, utf8)),
                    ]);
                    changes.push(serde_json_obj(&[("range", range), ("text", insert.into())]));
                    text.replace_range(a..b, insert);
                }
                let ident = serde_json_obj(&[("uri", uri.as_str().into()), ("version", version.into())]);
                lsp.notify(
                    "textDocument/didChange",
                    serde_json_obj(&[("textDocument", ident), ("contentChanges", Value::Array(changes))]),
                );
                let edited = lsp.diagnostics(&uri, version)["diagnostics"].to_string();
                let fresh_uri = format!("file:///work/fresh{n}-{version}/Dockerfile");
                let fresh = lsp.open(&fresh_uri, &text)["diagnostics"].to_string().replace(&fresh_uri, &uri);
                assert_eq!(edited, fresh, "utf8={utf8}, after version {version} of {start:?}, the text is {text:?}");
                if version % 10 == 0 {
                    for method in ["textDocument/documentSymbol", "textDocument/semanticTokens/full"] {
                        // (Semantic tokens carry a result id of their own each time.)
                        let result = |lsp: &mut Lsp, uri: &str| {
                            let mut r = lsp.result(method, doc(uri));
                            r.as_object_mut().map(|o| o.remove("resultId"));
                            r.to_string()
                        };
                        let ours = result(&mut lsp, &uri);
                        let theirs = result(&mut lsp, &fresh_uri).replace(&fresh_uri, &uri);
                        assert_eq!(ours, theirs, "{method}, utf8={utf8}, version {version}: {text:?}");
                    }
                }
                lsp.notify("textDocument/didClose", doc(&fresh_uri));
            }
        }
        lsp.shutdown();
    }
}

/// Applies LSP text edits (UTF-16 positions) to `text`, as a client does.
fn apply_lsp_edits(text: &str, edits: &Value) -> String {
    let offset = |p: &Value| -> usize {
        let (line, character) = (p["line"].as_u64().unwrap() as usize, p["character"].as_u64().unwrap() as usize);
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= character || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap()))
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, t);
    }
    out
}

#[test]
fn formatting_and_range_formatting() {
    let mut lsp = Lsp::start();
    let init = lsp.initialize(parse_json(r#"{"general": {"positionEncodings": ["utf-16"]}}"#), Value::Null);
    assert_eq!(
        (&init["capabilities"]["documentFormattingProvider"], &init["capabilities"]["documentRangeFormattingProvider"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    // UTF-16 columns: an emoji before the blanks that go.
    let text = "from alpine as build\nlabel x=\"🐳\"   \nrun a \\\n  b\n\n\n\ncopy --from=build /a /b\n";
    lsp.open(URI, text);
    let options = |tab: u32, spaces: bool| parse_json(&format!(r#"{{"tabSize": {tab}, "insertSpaces": {spaces}}}"#));
    let params = |tab, spaces| {
        let mut p = doc(URI);
        p["options"] = options(tab, spaces);
        p
    };
    let edits = lsp.result("textDocument/formatting", params(4, true));
    assert_eq!(
        apply_lsp_edits(text, &edits),
        "FROM alpine AS build\nLABEL x=\"🐳\"\nRUN a \\\n    b\n\nCOPY --from=build /a /b\n",
        "{edits}"
    );
    // The client's indentation: tabs of width 2.
    let edits = lsp.result("textDocument/formatting", params(2, false));
    assert!(apply_lsp_edits(text, &edits).contains("RUN a \\\n\tb\n"), "{edits}");
    // A range: only what lies in lines 1 and 2.
    let mut p = params(4, true);
    p["range"] = serde_json_obj(&[("start", pos(1, 0)), ("end", pos(3, 0))]);
    let edits = lsp.result("textDocument/rangeFormatting", p);
    assert_eq!(
        apply_lsp_edits(text, &edits),
        "from alpine as build\nLABEL x=\"🐳\"\nRUN a \\\n  b\n\n\n\ncopy --from=build /a /b\n",
        "{edits}"
    );
    // A syntax error: no edits (no error to pop up on every save), and the client's log says
    // where it is.
    let bad = "file:///tmp/Bad.Dockerfile";
    lsp.open(bad, "FROM a\nRUN <<EOF\nno end\n");
    let mut p = doc(bad);
    p["options"] = options(4, true);
    assert!(lsp.result("textDocument/formatting", p).is_null());
    let log = lsp.notification("window/logMessage", |m| {
        m["message"].as_str().is_some_and(|s| s.contains("Bad.Dockerfile line 2, column 5: not formatted"))
    });
    assert!(log["message"].as_str().unwrap().contains("unterminated heredoc"), "{log}");
    lsp.shutdown();
}

/// The transport refuses a second `initialize` and requests after `shutdown` by what the server
/// made of the first: a `shutdown` the framework refused (before `initialize`) shuts nothing, and
/// an `initialize` written twice at once is refused the second time (found by a review).
#[test]
fn refusals_follow_what_the_server_did() {
    let mut lsp = Lsp::start();
    let r = lsp.call("shutdown", Value::Null);
    assert!(r.get("error").is_some(), "before initialize: {r}");
    // `initialize` and `shutdown` sent as notifications are dropped, and said.
    lsp.notify("shutdown", Value::Null);
    let init = r#"{"jsonrpc":"2.0","id":9101,"method":"initialize","params":{"capabilities":{}}}"#;
    let again = r#"{"jsonrpc":"2.0","id":9102,"method":"initialize","params":{"capabilities":{}}}"#;
    lsp.send_raw(init);
    lsp.send_raw(again);
    let deadline = Instant::now() + TIMEOUT;
    let (mut first, mut second) = (None, None);
    while first.is_none() || second.is_none() {
        let m = lsp.recv(deadline, "the two initialize answers");
        match m["id"].as_u64() {
            Some(9101) => first = Some(m),
            Some(9102) => second = Some(m),
            _ => lsp.pending.push(m),
        }
    }
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first["result"]["capabilities"].is_object(), "{first}");
    assert!(second["error"]["message"].as_str().unwrap_or_default().contains("initialized already"), "{second}");
    let log = lsp.notification("window/logMessage", |p| {
        p["message"].as_str().is_some_and(|m| m.contains("dropped a `shutdown`"))
    });
    assert!(log["message"].as_str().unwrap().ends_with("it is a request, and needs an `id`"), "{log}");
    lsp.notify("initialized", parse_json("{}"));
    lsp.open(URI, TEXT);
    assert!(lsp.call("textDocument/hover", at(URI, 0, 1)).get("error").is_none());
    lsp.shutdown();
}

/// A request cancelled before its work starts never starts it: the work of hovers and the
/// like runs on worker threads, two at a time, and waits for one there. Each cancelled hover's
/// work had run on a thread of its own (QA: 300 hovers cancelled at once, 307 threads and
/// 570 MiB). The server's threads are counted in /proc (Linux).
#[test]
fn cancelled_requests_wait_for_a_worker_and_do_not_run() {
    let mut lsp = started();
    let text: String = (0..2000).map(|i| format!("ARG V{i}=x\nFROM alpine AS s{i}\nENV A=${{V{i}}}\n")).collect();
    lsp.open(URI, &text);
    let n = 200;
    let mut batch = String::new();
    for k in 0..n {
        let id = 5000 + k;
        let hover = serde_json_obj(&[
            ("jsonrpc", "2.0".into()),
            ("id", id.into()),
            ("method", "textDocument/hover".into()),
            ("params", at(URI, 3 * (k % 2000) as u32 + 2, 9)),
        ])
        .to_string();
        let cancel = format!(r#"{{"jsonrpc":"2.0","method":"$/cancelRequest","params":{{"id":{id}}}}}"#);
        for body in [hover, cancel] {
            batch.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        }
    }
    lsp.input().write_all(batch.as_bytes()).unwrap();
    lsp.input().flush().unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let mut answered = 0;
    while answered < n {
        let msg = lsp.recv(deadline, "the hovers' answers");
        answered += usize::from(msg["id"].as_u64().is_some_and(|id| (5000..5000 + n as u64).contains(&id)));
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", lsp.child.id())).unwrap();
    let threads: usize =
        status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|t| t.trim().parse().ok()).unwrap();
    // The main thread, standard output's writer, the blocking pool's reader of standard input,
    // the parse's second thread, and two workers.
    assert!(threads <= 8, "{threads} threads after {n} cancelled hovers");
    lsp.shutdown();
}
