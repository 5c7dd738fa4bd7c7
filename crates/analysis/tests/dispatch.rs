//! Where BuildKit fails a build while it makes the steps (`dispatch`), one small Dockerfile
//! each: COPY and ADD sources, flags and Windows paths, `RUN --mount` options, `RUN --device`,
//! and `# check=error=true`. The oracle test compares the same errors over the corpus.
#![cfg(feature = "build-failures")]

use stagecraft_analysis::{analyze, Analysis, Options, Severity};

fn plain(text: &str) -> Analysis {
    analyze(text, &Options::default())
}

/// The build's error: message, and the text its range covers.
fn failure(text: &str) -> Option<(String, String)> {
    let a = plain(text);
    a.build_error().map(|e| (e.message.clone(), e.range.map_or(String::new(), |r| text[r].to_string())))
}

/// The build fails with BuildKit's `message` (ours may add what to do, after a `; `) at `at`.
fn fails(text: &str, message: &str, at: &str) {
    let (ours, range) = failure(text).unwrap_or_else(|| panic!("no failure: {text}"));
    let hint = ours.strip_prefix(message).unwrap_or_else(|| panic!("{ours:?} is not {message:?}: {text}"));
    assert!(hint.is_empty() || hint.starts_with("; "), "{ours:?}: {text}");
    assert_eq!(range, at, "{text}");
}

/// The build's error message, BuildKit's part (without our hint).
fn buildkit_message(a: &Analysis) -> Option<&str> {
    // (Without the line BuildKit's parser names: the oracle test checks that part.)
    a.build_error().map(|e| e.message_without_line().split("; ").next().unwrap_or_default())
}

fn builds(text: &str) {
    assert_eq!(failure(text), None, "{text}");
}

#[test]
fn copy_takes_no_urls_or_git_repositories_and_add_does() {
    fails(
        "FROM alpine\nCOPY https://example.com/a.txt /a\n",
        "source can't be a URL for COPY",
        "https://example.com/a.txt",
    );
    fails(
        "FROM alpine\nCOPY a git@github.com:moby/buildkit.git /b\n",
        "source can't be a git ref for COPY",
        "git@github.com:moby/buildkit.git",
    );
    fails("FROM alpine\nARG U=https://x/y.git\nCOPY $U /b\n", "source can't be a git ref for COPY", "$U");
    builds("FROM alpine\nADD https://example.com/a.txt git@github.com:moby/buildkit.git#v0.1 /a/\n");
    // Not remote: a path with a colon (a Windows path has no `user@`), an unknown scheme, and
    // the `github.com/` form BuildKit reads as a local path.
    builds("FROM alpine\nCOPY C:\\app ftp://x/y github.com/moby/buildkit /b/\n");
    // The URL is the destination, not a source.
    builds("FROM alpine\nCOPY a https://example.com/\n");
    // A heredoc is not a source path.
    builds("FROM alpine\nCOPY <<EOF /a\nhttps://example.com\nEOF\n");
}

/// A repository URL's query (`dfgitutil`'s, in the oracle's BuildKit): refused keys and values
/// fail ADD and COPY alike, before COPY's "no Git repositories"; ADD's flags must agree with it.
#[test]
fn git_url_queries_fail_where_buildkit_refuses_them() {
    // moby's own Dockerfile (the corpus has it): the oracle's BuildKit builds it.
    builds("FROM alpine\nADD https://github.com/golang/vuln.git?ref=v1.1.4&keep-git-dir=1 /src\n");
    builds("FROM alpine\nADD git@github.com:moby/buildkit.git?tag=v0.1&subdir=docs /src\n");
    let url = "https://github.com/moby/buildkit.git?foo=bar";
    fails(&format!("FROM alpine\nADD {url} /src\n"), "unexpected query \"foo\"", url);
    fails(&format!("FROM alpine\nCOPY {url} /src\n"), "unexpected query \"foo\"", url);
    fails(
        "FROM alpine\nARG V\nADD git@github.com:moby/buildkit.git?ref=$V /src\n",
        "query \"ref\" has no value",
        "git@github.com:moby/buildkit.git?ref=$V",
    );
    // Our hint says what the source expanded to, where a variable made it so.
    let (ours, _) = failure("FROM alpine\nARG V\nADD git@github.com:moby/buildkit.git?ref=$V /src\n").unwrap();
    assert!(
        ours.ends_with(
            "; the source `git@github.com:moby/buildkit.git?ref=$V` expands to `git@github.com:moby/buildkit.git?ref=`"
        ),
        "{ours}"
    );
    fails(
        "FROM alpine\nADD git@github.com:moby/buildkit.git?branch=main&tag=v1 /src\n",
        "branch conflicts with tag",
        "git@github.com:moby/buildkit.git?branch=main&tag=v1",
    );
    let keep = "https://github.com/moby/buildkit.git?keep-git-dir=true";
    fails(
        &format!("FROM alpine\nADD --keep-git-dir=false {keep} /src\n"),
        "inconsistent keep-git-dir configuration",
        keep,
    );
    builds(&format!("FROM alpine\nADD --keep-git-dir {keep} /src\n"));
    // `?keep-git-dir` alone means true.
    let bare = "https://github.com/moby/buildkit.git?keep-git-dir";
    fails(
        &format!("FROM alpine\nADD --keep-git-dir=false {bare} /src\n"),
        "inconsistent keep-git-dir configuration",
        bare,
    );
    // A second repository against what the first one's query set.
    fails(
        &format!("FROM alpine\nADD {keep} https://x/y.git?keep-git-dir=0 /src/\n"),
        "inconsistent keep-git-dir configuration",
        "https://x/y.git?keep-git-dir=0",
    );
    let commit = "https://github.com/moby/buildkit.git?commit=abc";
    fails(&format!("FROM alpine\nADD --checksum=def {commit} /src\n"), "checksum mismatch \"def\" != \"abc\"", commit);
    builds(&format!("FROM alpine\nADD --checksum=abc {commit} /src\n"));
    // The message names the key as written; keep-git-dir is checked first, and carried on even
    // from a source whose checksum then fails.
    assert_eq!(
        failure(&format!("FROM alpine\nADD --checksum=def {commit} /src\n")).map(|(m, _)| m).as_deref(),
        Some("checksum mismatch \"def\" != \"abc\"; the URL's commit query disagrees with --checksum")
    );
    fails(
        "FROM alpine\nADD --keep-git-dir=false --checksum=def https://h/r.git?keep-git-dir=1&commit=abc /d\n",
        "inconsistent keep-git-dir configuration",
        "https://h/r.git?keep-git-dir=1&commit=abc",
    );
    let three = "FROM alpine\nADD https://a/x.git?commit=aaa https://b/y.git?keep-git-dir=1&commit=bbb https://c/z.git?keep-git-dir=0 /d/\n";
    let messages: Vec<String> = plain(three)
        .diagnostics()
        .iter()
        .filter(|d| d.code == "invalid-copy")
        .map(|d| d.message.split("; ").next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(messages, ["checksum mismatch \"aaa\" != \"bbb\"", "inconsistent keep-git-dir configuration"]);
    // A query's checksum holds for the sources after it: another repository's must agree, and
    // a URL's must be a digest.
    fails(
        &format!("FROM alpine\nADD {commit} https://x/y.git?checksum=def /src/\n"),
        "checksum mismatch \"abc\" != \"def\"",
        "https://x/y.git?checksum=def",
    );
    fails(
        &format!("FROM alpine\nADD {commit} https://example.com/a.tgz /src/\n"),
        "invalid checksum digest format",
        commit,
    );
    builds(&format!("FROM alpine\nADD https://example.com/a.tgz {commit} /src/\n"));
    // `ssh://host:path` is no URL to Go (`:moby` is no port): a local path, which COPY takes.
    builds("FROM alpine\nCOPY ssh://git@github.com:moby/buildkit.git /src\n");
    // A refused query makes no Git source for `--checksum`: an scp-like one is then a path.
    fails(
        "FROM alpine\nADD --checksum=abc git@github.com:moby/buildkit.git?foo=1 /src\n",
        "checksum requires HTTP(S) or Git sources",
        "--checksum=abc",
    );
}

#[test]
fn chmod_must_be_octal_up_to_07777_or_symbolic() {
    let octal = |v: &str| format!("invalid chmod parameter: '{v}'. it should be octal string and between 0 and 07777");
    fails("FROM alpine\nCOPY --chmod=64a a /b\n", &octal("64a"), "--chmod=64a");
    fails("FROM alpine\nADD --chmod=10000 a /b\n", &octal("10000"), "--chmod=10000");
    fails("FROM alpine\nARG M=9\nCOPY --chmod=$M a /b\n", &octal("9"), "--chmod=$M");
    fails("FROM alpine\nCOPY --chmod=rwx a /b\n", "invalid syntax", "--chmod=rwx");
    // BuildKit's bare "invalid syntax" gets the flag, the value it read, and a likely mix-up.
    let (ours, _) = failure("FROM alpine\nARG USER=user\nCOPY --chmod=$USER:$USER a /b\n").unwrap();
    assert_eq!(
        ours,
        "invalid syntax; --chmod=user:user is no octal mode (such as 755) and no symbolic one (such as u+x); did you mean --chown?"
    );
    for ok in ["755", "0644", "u+x", "u=rwx,go=rx", "a-w"] {
        builds(&format!("FROM alpine\nCOPY --chmod={ok} a /b\n"));
    }
}

#[test]
fn add_checksum_needs_one_remote_source_and_a_valid_digest() {
    let digest = format!("sha256:{}", "0".repeat(64));
    builds(&format!("FROM alpine\nADD --checksum={digest} https://example.com/a.tgz /a\n"));
    builds("FROM alpine\nADD --checksum=abc123 https://github.com/moby/buildkit.git#v0.1 /src\n");
    // BuildKit's `isGitSource` takes the bare `github.com/` form too.
    builds("FROM alpine\nADD --checksum=abc123 github.com/moby/buildkit /src\n");
    fails(
        &format!("FROM alpine\nADD --checksum={digest} a.tgz /a\n"),
        "checksum requires HTTP(S) or Git sources",
        &format!("--checksum={digest}"),
    );
    fails(
        &format!("FROM alpine\nADD --checksum={digest} https://x/a https://x/b /a/\n"),
        "checksum can't be specified for multiple sources",
        &format!("--checksum={digest}"),
    );
    for (value, why) in [
        ("sha256:abc", "invalid checksum digest length"),
        ("md5:abc", "unsupported digest algorithm"),
        ("nocolon", "invalid checksum digest format"),
    ] {
        fails(
            &format!("FROM alpine\nADD --checksum={value} https://example.com/a.tgz /a\n"),
            why,
            &format!("--checksum={value}"),
        );
    }
}

#[test]
fn windows_copy_paths_on_another_drive_fail() {
    let win = "FROM --platform=windows/amd64 mcr.microsoft.com/windows/nanoserver";
    let not_c = "The specified path is not on the system drive (C:)";
    fails(&format!("{win}\nCOPY app D:\\app\n"), &format!("removing drive letter: {not_c}"), "D:\\app");
    fails(&format!("{win}\nCOPY app C:\n"), "removing drive letter: No relative path specified in \"C:\"", "C:");
    // A source is normalised twice over, and BuildKit says so twice.
    fails(
        &format!("{win}\nCOPY D:\\out C:\\app\n"),
        &format!("removing drive letter: removing drive letter: {not_c}"),
        "D:\\out",
    );
    builds(&format!("{win}\nCOPY app C:\\app\nCOPY --from=nginx C:\\out \\app\nADD app c:/x/\n"));
    // Paths mean nothing of the kind on Linux.
    builds("FROM alpine\nCOPY D:\\out D:\\app\n");
}

#[test]
fn copy_expands_its_words_before_it_fails() {
    // BuildKit expands the flags and words (reporting the undefined variable) before it finds
    // the stage not built yet.
    let a = plain("FROM alpine\nCOPY --from=later --chown=$NOPE a /b\nFROM alpine AS later\n");
    let undefined = a.diagnostics().iter().find(|d| d.code == "UndefinedVar").expect("UndefinedVar");
    assert!(undefined.buildkit_reports);
    assert!(a.build_error().is_some_and(|e| e.message.starts_with("cannot copy from stage \"later\"")));
    // After a failure, what BuildKit never reaches is still shown, marked as ours.
    let a = plain("FROM alpine\nCOPY https://x/a /b\nENV A=$NOPE\n");
    let undefined = a.diagnostics().iter().find(|d| d.code == "UndefinedVar").expect("UndefinedVar");
    assert!(!undefined.buildkit_reports);
}

#[test]
fn mount_options_are_checked_as_buildkit_reads_them() {
    let run = |mount: &str| format!("FROM alpine\nRUN --mount={mount} true\n");
    for (mount, message) in [
        ("typ=tmpfs", "unexpected key 'typ' in 'typ=tmpfs' (did you mean type?)"),
        ("type=tmp", "unsupported mount type \"tmp\" (did you mean tmpfs?)"),
        ("type=cache,target=/c,sharing=lockd", "unsupported sharing value \"lockd\" (did you mean locked?)"),
        ("type=secret", "invalid secret mount. one of source, target required"),
        ("type=secret,id=a,src=b", "both source and id can't be set"),
        ("type=secret,id=a,from=b", "secret mount should not have a from"),
        ("type=cache,target=/c,size=1g", "unexpected key 'size' for mount type 'cache'"),
        ("type=tmpfs,target=/t,size=lots", "invalid value for size: lots"),
        ("type=bind,target=/t,mode=0755", "mode not allowed for \"bind\" type mounts"),
        ("type=cache,target=/t,uid=me", "invalid value me for uid"),
        ("type=cache,target=/t,mode=0999", "invalid value 0999 for mode"),
        ("type=tmpfs,target=/t,sharing=locked", "invalid cache sharing set for tmpfs mount"),
        ("target=/t,ro=maybe", "invalid value for ro: maybe"),
        ("target=/t,required", "unexpected key 'required' for mount type 'bind'"),
        // `required` before `type=secret` is read while the type is still bind.
        ("required,type=secret,id=a", "unexpected key 'required' for mount type 'bind'"),
        ("target=/t,shared", "invalid field 'shared' must be a key=value pair"),
    ] {
        fails(&run(mount), message, &format!("--mount={mount}"));
    }
    for mount in [
        "type=cache,target=/root/.cache,sharing=locked,mode=0755,uid=1000,gid=1000",
        "type=secret,id=npm,required",
        "type=secret,id=aws,env=AWS_KEY",
        "type=tmpfs,target=/tmp,size=64m",
        "type=tmpfs,target=/tmp,size=1.5 GiB",
        "type=ssh",
        "type=bind,source=.,target=/src,rw",
        "TYPE=Cache,Target=/c,RO",
    ] {
        builds(&run(mount));
    }
    // Mount values are expanded as they are read; BuildKit stops at the first bad mount.
    let a = plain("FROM alpine\nRUN --mount=type=bind,target=$A,mode=1 --mount=target=$B true\n");
    let undefined: Vec<(&str, bool)> = a
        .diagnostics()
        .iter()
        .filter(|d| d.code == "UndefinedVar")
        .map(|d| (d.message.as_str(), d.buildkit_reports))
        .collect();
    assert_eq!(undefined, [("Usage of undefined variable '$A'", true)], "{:?}", a.diagnostics());
    assert_eq!(a.build_error().map(|e| e.message.as_str()), Some("mode not allowed for \"bind\" type mounts"));
    // Refused when it is read, a mount is never made: no second error for its target (a
    // half-typed `type=` had one more, "invalid mount target", for the root).
    let a = plain("FROM alpine\nRUN --mount=type= true\n");
    let errors: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.severity == Severity::Error).map(|d| d.message.as_str()).collect();
    assert_eq!(
        errors,
        ["unsupported mount type \"\"; write one of bind, cache, tmpfs, secret, ssh"],
        "{:?}",
        a.diagnostics()
    );
}

#[test]
fn run_device_needs_the_labs_frontend() {
    let text = "FROM alpine\nRUN --device=nvidia.com/gpu=all true\n";
    fails(
        text,
        "device feature is only supported in Dockerfile frontend 1.14.0-labs or later",
        "--device=nvidia.com/gpu=all",
    );
    builds(&format!("# syntax=docker/dockerfile:1-labs\n{text}"));
}

#[test]
fn check_error_true_fails_a_build_with_findings() {
    let a = plain("# check=error=true\nFROM alpine as base\ncopy a b\n");
    let e = a.build_error().expect("the build fails");
    assert_eq!(e.message, "lint violation found for rules: FromAsCasing, ConsistentInstructionCasing");
    assert_eq!((e.phase, e.range, e.lines), ("lint", None, None));
    builds("# check=error=true\nFROM alpine AS base\nCOPY a b\n");
    builds("FROM alpine as base\n");
    // An earlier failure is the build's error.
    let a = plain("# check=error=true\nFROM alpine as base\nCOPY https://x/a b\n");
    assert_eq!(buildkit_message(&a), Some("source can't be a URL for COPY"));
}

#[test]
fn errors_carry_buildkits_lines() {
    let a = plain("");
    let e = a.build_error().expect("empty");
    assert!(e.message.starts_with("the Dockerfile cannot be empty"), "{}", e.message);
    assert_eq!(e.lines, None);
    // A file with no instructions: BuildKit names its last line.
    let a = plain("# one\n\n# three\n");
    assert_eq!(a.build_error().and_then(|e| e.lines), Some((3, 3)));
    // A refused directive: BuildKit counts from 0 there, so it names the line before.
    let a = plain("# check=skip=all\n# check=error=true\nFROM alpine\n");
    let e = a.build_error().expect("repeated directive");
    assert_eq!((e.lines, e.range.map(|r| a.line_of(r.start()))), (Some((1, 1)), Some(2)));
    // A COPY error on a continuation line names the instruction's lines.
    let a = plain("FROM alpine\nCOPY a \\\n  https://x/y /b\n");
    let e = a.build_error().expect("URL");
    assert_eq!((e.lines, e.range.map(|r| a.line_of(r.start()))), (Some((2, 3)), Some(3)));
}

/// BuildKit expands an instruction's words (`Expand`, in its own order) before the instruction
/// runs, and the instruction's own checks come after: a word that fails to expand fails the
/// build first. (What BuildKit reports, against what stagecraft shows beside it.)
#[test]
fn an_instructions_checks_come_after_its_words_expand() {
    let reported = |text: &str| -> Vec<(String, bool)> {
        let a = plain(text);
        assert!(a.build_error().is_some_and(|e| e.phase == "dispatch"), "{text}: {:?}", a.build_error());
        assert!(a.diagnostics().iter().any(|d| d.code == "invalid-expansion"), "{text}");
        a.diagnostics()
            .iter()
            .filter(|d| d.code != "invalid-expansion")
            .map(|d| (d.code.clone(), d.buildkit_reports))
            .collect()
    };
    // ENV: the keys are checked for secrets by `dispatchEnv`, after every pair has expanded
    // (what BuildKit does not reach is still said, as ours).
    let ours = |code: &str| (code.to_string(), false);
    assert_eq!(reported("FROM alpine\nENV GITHUB_TOKEN=abc PATH=${PATH\n"), [ours("SecretsUsedInArgOrEnv")]);
    let mut env = reported("FROM alpine\nENV API_KEY=1 B=${X?e}\n");
    env.sort();
    assert_eq!(env, [ours("SecretsUsedInArgOrEnv"), ("UndefinedVar".to_string(), true)]);
    // EXPOSE: `dispatchExpose` expands every port, then reads them.
    assert_eq!(reported("FROM alpine\nEXPOSE 8080:8080 9090/${PROTO\n"), [ours("ExposeInvalidFormat")]);
    assert_eq!(reported("FROM alpine\nEXPOSE 80/TCP 9${X:?e}\n"), [ours("ExposeProtoCasing")]);
    // ADD expands `--chown` before `--checksum`, whatever the order written.
    assert_eq!(
        reported("FROM alpine\nADD --checksum=${SUM --chown=$OWNER https://example.com/a.tgz /a\n"),
        [("UndefinedVar".to_string(), true)]
    );
    // VOLUME: every word expands before an empty one is refused.
    assert_eq!(
        reported("FROM alpine\nVOLUME $EMPTY ${X?boom}\n"),
        [("UndefinedVar".to_string(), true), ("UndefinedVar".to_string(), true)]
    );
    let a = plain("FROM alpine\nVOLUME $EMPTY /data/$SUB\n");
    assert_eq!(buildkit_message(&a), Some("VOLUME specified can not be an empty string"));
    assert!(a.diagnostics().iter().filter(|d| d.code == "UndefinedVar").all(|d| d.buildkit_reports));
    assert_eq!(a.diagnostics().iter().filter(|d| d.code == "UndefinedVar").count(), 2);
    // RUN: an SSH mount's source is refused as the mounts are made (`dispatchSSH`), after every
    // mount is read (its values expanded), and after the mounts before it are made.
    let a = plain("FROM alpine\nRUN --mount=type=ssh,source=x --mount=type=cache,target=/c$T true\n");
    assert_eq!(buildkit_message(&a), Some("ssh does not support source"));
    assert!(a.diagnostics().iter().any(|d| d.code == "UndefinedVar" && d.buildkit_reports));
    let a = plain("FROM alpine\nRUN --mount=type=bind,target=/ --mount=type=ssh,source=x true\n");
    assert_eq!(buildkit_message(&a), Some("invalid mount target \"/\""));
    let a = plain("FROM alpine\nRUN --mount=type=ssh,source=x --mount=type=foo true\n");
    assert_eq!(buildkit_message(&a), Some("unsupported mount type \"foo\""));
    // Where everything expands, the checks are BuildKit's.
    let a = plain("FROM alpine\nENV GITHUB_TOKEN=abc PATH=$PATH\nEXPOSE 8080:8080 80/TCP\n");
    let mut codes: Vec<(&str, bool)> = a.diagnostics().iter().map(|d| (d.code.as_str(), d.buildkit_reports)).collect();
    codes.sort();
    assert_eq!(codes, [("ExposeInvalidFormat", true), ("ExposeProtoCasing", true), ("SecretsUsedInArgOrEnv", true)]);
}

#[test]
fn expose_ports_are_read_as_buildkit_reads_them() {
    // (`[]` is an empty address once `net.SplitHostPort` takes the brackets off, and BuildKit
    // checks a non-empty one only.)
    for ok in
        ["80", "80/tcp", "53/udp", "9/sctp", "8000-8010", "80/TCP", "1.2.3.4:80:80", "[::1]:80:80", "+80", "[]:80:80"]
    {
        builds(&format!("FROM alpine\nEXPOSE {ok}\n"));
    }
    for (port, message) in [
        ("80/http", "invalid port: \"80/http\": invalid proto: http"),
        ("/tcp", "invalid port: \"/tcp\": no port specified"),
        ("abc", "invalid containerPort: abc"),
        ("70000", "invalid containerPort: 70000"),
        ("++80", "invalid containerPort: ++80"),
        ("8_0", "invalid containerPort: 8_0"),
        ("90-80", "invalid containerPort: 90-80"),
        ("x:80", "invalid hostPort: x"),
        ("80-81:90-92", "invalid ranges specified for container and host Ports: 90-92 and 80-81"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
        ("[::1:80:80", "invalid IP address [::1: address [::1:: missing ']' in address"),
    ] {
        fails(&format!("FROM alpine\nEXPOSE {port}\n"), message, port);
    }
    // The protocol is checked for case only once it reads; BuildKit stops at the first port it
    // refuses, after sorting them.
    let a = plain("FROM alpine\nEXPOSE 80/HTTP 90/UDP\n");
    let casing: Vec<(&str, bool)> = a
        .diagnostics()
        .iter()
        .filter(|d| d.code == "ExposeProtoCasing")
        .map(|d| (d.message.as_str(), d.buildkit_reports))
        .collect();
    assert_eq!(casing, []);
    assert_eq!(buildkit_message(&a), Some("invalid port: \"80/HTTP\": invalid proto: HTTP"));
    // `:80` names no host port or address, so it is no host-port mapping.
    let a = plain("FROM alpine\nEXPOSE :80\n");
    assert!(a.diagnostics().iter().all(|d| d.code != "ExposeInvalidFormat"), "{:?}", a.diagnostics());
    fails(
        "FROM alpine\nEXPOSE \"80\n",
        "failed to process \"\\\"80\": unexpected end of statement while looking for matching double-quote",
        "EXPOSE \"80",
    );
}

#[test]
fn stopsignal_and_volume_values_are_checked_after_expansion() {
    for ok in ["SIGTERM", "term", "9", "SIGRTMIN+3", "RTMAX-14", "-1"] {
        builds(&format!("FROM alpine\nSTOPSIGNAL {ok}\n"));
    }
    for bad in ["SIGFOO", "0", "RTMIN+16", "SIGRTMAX-0"] {
        fails(
            &format!("FROM alpine\nSTOPSIGNAL {bad}\n"),
            &format!("invalid signal: {bad}"),
            &format!("STOPSIGNAL {bad}"),
        );
    }
    fails("FROM alpine\nARG S\nSTOPSIGNAL $S\n", "invalid signal: ", "STOPSIGNAL $S");
    fails("FROM alpine\nARG V\nVOLUME /data $V\n", "VOLUME specified can not be an empty string", "VOLUME /data $V");
    builds("FROM alpine\nARG V=/v\nVOLUME /data $V\n");
}

/// The text after applying the fix of the build's error diagnostic.
fn fixed(text: &str) -> Option<String> {
    let a = plain(text);
    let d = a.diagnostics().iter().find(|d| d.severity == stagecraft_analysis::Severity::Error)?;
    let fix = d.fix.as_ref()?;
    assert_eq!(fix.applicability, stagecraft_analysis::Applicability::Unsafe);
    let mut out = text.to_string();
    for e in fix.edits.iter().rev() {
        out.replace_range(std::ops::Range::<usize>::from(e.range), &e.new_text);
    }
    Some(out)
}

#[test]
fn a_stage_a_named_context_replaces_still_has_its_sources_made() {
    // BuildKit follows what a replaced stage's steps use (it computes every state's
    // dependencies), so their failures count, though none of them is built.
    let text = "FROM alpine AS deps\nRUN --mount=type=cache,target=/ true\nFROM alpine AS build\nCOPY --from=deps /a /a\nFROM scratch AS final\nCOPY --from=build /b /b\n";
    let options = Options { named_contexts: vec!["build".into()], target: Some("final".into()), ..Options::default() };
    let a = analyze(text, &options);
    assert_eq!(buildkit_message(&a), Some("invalid mount target \"/\""));
    assert_eq!(a.plan(2).stages, [1, 2]);
    // So `deps` is not unused: it is not built, but removing it would change the build. The
    // same through a mount's `from=`, and through a replaced stage a replaced stage uses; but
    // not for a replaced stage no target builds.
    assert!(a.unused_stages().is_empty(), "{:?}", a.unused_stages());
    let mount = text.replace("COPY --from=deps /a /a", "RUN --mount=from=deps,target=/d true");
    assert!(analyze(&mount, &options).unused_stages().is_empty());
    let chain = "FROM alpine AS deps\nFROM alpine AS mid\nCOPY --from=deps /a /a\nFROM alpine AS build\nCOPY --from=mid /a /a\nFROM scratch AS final\nCOPY --from=build /b /b\n";
    let both = Options { named_contexts: vec!["build".into(), "mid".into()], ..options.clone() };
    assert!(analyze(chain, &both).unused_stages().is_empty(), "{:?}", analyze(chain, &both).unused_stages());
    let unbuilt = "FROM alpine AS deps\nFROM alpine AS build\nCOPY --from=deps /a /a\nFROM scratch AS final\n";
    assert_eq!(analyze(unbuilt, &options).unused_stages(), [0, 1]);
    // A target that does not need `build` does not make its sources either.
    let text = text.replace("FROM scratch AS final\nCOPY --from=build /b /b\n", "FROM scratch AS final\n");
    assert_eq!(buildkit_message(&analyze(&text, &options)), None);
}

/// SOURCE_DATE_EPOCH may name a named build context (`resolveSourceDateEpochState`): BuildKit
/// reads its time, so the context is used.
#[test]
fn a_named_context_source_date_epoch_names_is_used() {
    let options = Options {
        named_contexts: vec!["foo".into()],
        build_args: vec![("SOURCE_DATE_EPOCH".into(), "foo".into())],
        ..Options::default()
    };
    let a = analyze("FROM alpine\n", &options);
    assert!(a.unused_named_contexts().is_empty(), "{:?}", a.unused_named_contexts());
    assert!(a.build_error().is_none());
    let other = analyze("FROM alpine\n", &Options { build_args: Vec::new(), ..options });
    assert_eq!(other.unused_named_contexts().len(), 1);
}

/// A named context's `docker-image://` value is parsed where BuildKit loads the context
/// (`NamedContext.load`): for a stage the target needs, with the reference's own error, at the
/// stage's FROM or the COPY that names the image; one no stage needs is never loaded.
#[test]
fn a_named_context_image_that_does_not_parse_fails_where_it_is_loaded() {
    let text = "FROM alpine AS base\nFROM base AS app\nCOPY --from=nginx /a /b\nFROM busybox AS other\n";
    let with = |name: &str, value: &str, target: Option<&str>| {
        let options = Options {
            named_contexts: vec![name.into()],
            context_values: vec![(name.into(), value.into())],
            target: target.map(String::from),
            ..Options::default()
        };
        let a = analyze(text, &options);
        a.build_error().map(|e| (e.message_without_line().to_string(), e.range.map(|r| a.line_of(r.start()))))
    };
    let (message, line) = with("alpine", "docker-image://Bad", Some("app")).expect("a bad image");
    assert!(message.starts_with("invalid reference format: repository name (library/Bad) must be lowercase; the named build context alpine=docker-image://Bad names no image"), "{message}");
    assert_eq!(line, Some(1));
    // A stage the context replaces (its finding at its name), an image a COPY names, an empty
    // reference.
    assert_eq!(with("base", "docker-image://x@@", Some("app")).map(|e| e.1), Some(Some(1)));
    let options = Options {
        named_contexts: vec!["base".into()],
        context_values: vec![("base".into(), "docker-image://x@@".into())],
        ..Options::default()
    };
    let a = analyze(text, &options);
    let at: Vec<&str> =
        a.diagnostics().iter().filter(|d| d.code == "invalid-build-context").map(|d| &text[d.range]).collect();
    assert_eq!(at, ["base"]);
    let (message, line) = with("nginx", "docker-image://", Some("app")).expect("no reference");
    assert!(message.starts_with("invalid reference format; "), "{message}");
    assert_eq!(line, Some(3));
    // Not loaded where the target does not need it (a lint without a target loads all).
    assert_eq!(with("busybox", "docker-image://Bad", Some("app")), None);
    assert_eq!(with("other", "docker-image://Bad", Some("app")), None);
    assert_eq!(with("busybox", "docker-image://Bad", None).and_then(|e| e.1), Some(4));
    // Other values are not read; a valid reference, `scratch`, and a name given again with a
    // good value build.
    for value in
        ["docker-image://alpine:3.20", "docker-image://scratch", "./dir", "https://example.com/x.tar", "oci-layout://x"]
    {
        assert_eq!(with("alpine", value, Some("app")), None, "{value}");
    }
    let again = Options {
        named_contexts: vec!["alpine".into(), "alpine".into()],
        context_values: vec![
            ("alpine".into(), "docker-image://Bad".into()),
            ("alpine:latest".into(), "docker-image://alpine".into()),
        ],
        target: Some("app".into()),
        ..Options::default()
    };
    assert_eq!(analyze(text, &again).build_error(), None);
}

#[test]
fn half_written_flags_say_what_to_write() {
    let message =
        |text: &str| plain(text).build_error().map(|e| e.message_without_line().to_string()).unwrap_or_default();
    assert_eq!(
        message("FROM alpine\nRUN --network=hos true\n"),
        "invalid network mode \"hos\"; use default, none or host"
    );
    assert_eq!(message("FROM alpine\nRUN --security=x true\n"), "security \"x\" is not valid; use insecure or sandbox");
    // An empty `--platform=` is no platform: BuildKit reads the flag only when it has a value
    // (`if v := st.Platform; v != ""`), and builds for the target platform (found by an audit).
    for empty in ["FROM --platform= alpine\n", "FROM --platform=\"\" alpine\n"] {
        let a = plain(empty);
        assert_eq!((a.build_error(), a.stages()[0].platform.as_deref()), (None, None), "{empty}");
    }
    assert!(
        message("ARG P\nFROM --platform=$P alpine\n")
            .ends_with("; it expands to nothing: give the ARG a default or pass --build-arg"),
        "{}",
        message("ARG P\nFROM --platform=$P alpine\n")
    );
}

#[test]
fn an_instruction_that_does_not_parse_gets_no_lint_of_its_own() {
    // BuildKit's parser stops at them: no `LegacyKeyValueFormat` for `ENV A`, no
    // `WorkdirRelativePath` for a WORKDIR without its path.
    let a = plain("FROM alpine\nENV A\nWORKDIR\nENV B c\n");
    let codes: Vec<(&str, u32)> = a.diagnostics().iter().map(|d| (d.code.as_str(), d.lines.0)).collect();
    assert!(
        !codes.contains(&("LegacyKeyValueFormat", 2)) && !codes.iter().any(|(c, _)| *c == "WorkdirRelativePath"),
        "{codes:?}"
    );
    assert!(codes.contains(&("LegacyKeyValueFormat", 4)), "{codes:?}");
}

#[test]
fn a_mount_on_the_root_fails() {
    // BuildKit's `dispatchRunMounts`: a target of `/`, or a relative one (none at all included)
    // that the working directory makes `/`. Secret and SSH mounts have targets of their own.
    let message = "invalid mount target \"/\"";
    for (text, at) in [
        ("FROM alpine\nRUN --mount=type=cache,target=/ true\n", "--mount=type=cache,target=/"),
        ("FROM scratch\nRUN --mount=type=cache,id=go true\n", "--mount=type=cache,id=go"),
        ("FROM scratch\nRUN --mount=type=bind,target=. true\n", "--mount=type=bind,target=."),
        ("FROM alpine\nWORKDIR /app\nRUN --mount=type=tmpfs,dst=.. true\n", "--mount=type=tmpfs,dst=.."),
        ("FROM alpine\nARG T=/\nRUN --mount=target=$T true\n", "--mount=target=$T"),
        // A relative WORKDIR goes on from an absolute one.
        ("FROM alpine\nWORKDIR /app\nWORKDIR ..\nRUN --mount=type=cache,id=x true\n", "--mount=type=cache,id=x"),
        // A stage on a stage starts in its directory.
        ("FROM scratch AS a\nFROM a\nRUN --mount=type=cache,id=x true\n", "--mount=type=cache,id=x"),
        (
            "FROM --platform=windows/amd64 scratch\nRUN --mount=type=cache,target=/ true\n",
            "--mount=type=cache,target=/",
        ),
        // The second mount of the instruction.
        ("FROM alpine\nRUN --mount=target=/a --mount=target=/ true\n", "--mount=target=/"),
        // The empty image is for the target platform (linux/amd64 here), whatever the stage's
        // own --platform says (BuildKit's `resolveReachableStages`).
        ("FROM --platform=windows/amd64 scratch\nRUN --mount=type=cache,id=x true\n", "--mount=type=cache,id=x"),
        // An image's working directory is in its config, which stagecraft does not read: taken
        // for `/`, as BuildKit takes it for an image that sets none (the oracle's images), and a
        // relative WORKDIR goes on from it. The message says so.
        ("FROM alpine\nRUN --mount=type=cache,id=go true\n", "--mount=type=cache,id=go"),
        ("FROM golang:1.22\nRUN --mount=type=bind,target=. go build .\n", "--mount=type=bind,target=."),
        ("FROM alpine\nWORKDIR ..\nRUN --mount=type=cache,id=x true\n", "--mount=type=cache,id=x"),
    ] {
        fails(text, message, at);
    }
    let image = failure("FROM alpine\nRUN --mount=type=cache,id=go true\n").unwrap().0;
    assert!(image.contains("unless the base image sets one: stagecraft does not read image configs"), "{image}");
    let scratch = failure("FROM scratch\nRUN --mount=type=cache,id=go true\n").unwrap().0;
    assert!(!scratch.contains("image configs"), "{scratch}");
    // An absolute WORKDIR replaces the image's.
    let set = failure("FROM alpine\nWORKDIR /app\nWORKDIR ..\nRUN --mount=type=cache,id=x true\n").unwrap().0;
    assert!(!set.contains("image configs"), "{set}");
    // For a Windows target, paths join as Windows paths: only `/` as written is said.
    let windows = Options { platform: Some("windows/amd64".into()), ..Options::default() };
    let a = analyze("FROM scratch\nRUN --mount=type=cache,id=x true\n", &windows);
    assert!(a.build_error().is_none(), "{:?}", a.build_error());
    for text in [
        // `/app` from the image's `/`.
        "FROM alpine\nWORKDIR app\nRUN --mount=type=cache,id=go true\n",
        // `/app` is not the root; `/.` is not written `/` (BuildKit compares the text).
        "FROM scratch\nWORKDIR /app\nRUN --mount=type=cache,id=go true\n",
        "FROM alpine\nRUN --mount=type=cache,target=/. true\n",
        "FROM scratch\nRUN --mount=type=secret,id=x --mount=type=ssh true\n",
    ] {
        builds(text);
    }
}

#[test]
fn misspelt_mounts_and_copied_urls_have_fixes() {
    assert_eq!(
        fixed("FROM alpine\nRUN --mount=typ=tmpfs,target=/t true\n").as_deref(),
        Some("FROM alpine\nRUN --mount=type=tmpfs,target=/t true\n")
    );
    assert_eq!(
        fixed("FROM alpine\nRUN --mount=target=/t,TYP=tmpfs true\n").as_deref(),
        Some("FROM alpine\nRUN --mount=target=/t,type=tmpfs true\n")
    );
    assert_eq!(
        fixed("FROM alpine\nRUN --mount=type=tmp,target=/t true\n").as_deref(),
        Some("FROM alpine\nRUN --mount=type=tmpfs,target=/t true\n")
    );
    assert_eq!(
        fixed("FROM alpine\nRUN --mount=type=cache,target=/c,sharing=lockd true\n").as_deref(),
        Some("FROM alpine\nRUN --mount=type=cache,target=/c,sharing=locked true\n")
    );
    // No fix where the value came from a variable, or nothing is close.
    assert_eq!(fixed("FROM alpine\nARG T=tmp\nRUN --mount=type=$T true\n"), None);
    assert_eq!(fixed("FROM alpine\nRUN --mount=type=zzzzzz true\n"), None);
    assert_eq!(
        fixed("FROM alpine\ncopy --chown=1 https://x/a /a\n").as_deref(),
        Some("FROM alpine\nadd --chown=1 https://x/a /a\n")
    );
    assert_eq!(
        fixed("FROM alpine\nCOPY git@github.com:a/b.git /b\n").as_deref(),
        Some("FROM alpine\nADD git@github.com:a/b.git /b\n")
    );
    // ADD takes no `--from`.
    assert_eq!(fixed("FROM alpine\nCOPY --from=nginx https://x/a /a\n"), None);
}

/// BuildKit's `detectRunMount` takes a source for every mount that names one, whatever its
/// type (the type may be a variable it has not expanded yet), so a tmpfs mount's `from=` makes
/// the stage a dependency and is checked like any other. (Older BuildKit skipped tmpfs sources
/// there and then read the missing source in `dispatchRunMounts`.)
#[test]
fn a_tmpfs_mount_from_a_stage_depends_on_it() {
    let text = "FROM alpine AS a\nRUN true\nFROM alpine AS b\nRUN --mount=type=tmpfs,from=a,target=/t true\n";
    let a = plain(text);
    assert_eq!(a.target_builds(1), [0, 1], "{text}");
    assert!(a.unused_stages().is_empty(), "{:?}", a.unused_stages());
    fails(
        "FROM alpine AS b\nRUN --mount=type=tmpfs,from=a,target=/t true\nFROM alpine AS a\n",
        "cannot mount from stage \"a\" to \"/t\", stage needs to be defined before current command",
        "a",
    );
}

/// The forward-reference message names the mount's target as BuildKit's `parseMount` reads it:
/// the last `target`, `dst` or `destination` written, expanded.
#[test]
fn a_forward_mount_names_the_last_target_written() {
    fails(
        "FROM alpine AS b\nRUN --mount=from=a,target=/x,dst=/y true\nFROM alpine AS a\n",
        "cannot mount from stage \"a\" to \"/y\", stage needs to be defined before current command",
        "a",
    );
    fails(
        "FROM alpine AS b\nENV D=/cache\nRUN --mount=from=a,target=$D true\nFROM alpine AS a\n",
        "cannot mount from stage \"a\" to \"/cache\", stage needs to be defined before current command",
        "a",
    );
}

/// A cache mount without `from` mounts `scratch` (`dispatchRunMounts` sets it before it checks
/// that the source is built), and `detectRunMount` finds a stage of that name: one defined later
/// fails the build as a named one does. Other mounts without `from` mount the context.
#[test]
fn a_cache_mount_without_from_takes_a_later_stage_named_scratch() {
    fails(
        "FROM alpine AS a\nRUN --mount=type=cache,target=/c true\nFROM alpine AS scratch\nFROM a\n",
        "cannot mount from stage \"scratch\" to \"/c\", stage needs to be defined before current command",
        "--mount=type=cache,target=/c",
    );
    fails(
        "FROM alpine AS a\nRUN --mount=type=Cache,from=,target=/c true\nFROM alpine AS scratch\nFROM a\n",
        "cannot mount from stage \"scratch\" to \"/c\", stage needs to be defined before current command",
        "--mount=type=Cache,from=,target=/c",
    );
    // The type is read expanded (`setMountState` expands every value but `from` before
    // `dispatchRunMounts` compares it), so a variable that gives `cache` is a cache mount.
    fails(
        "FROM alpine AS a\nARG T=cache\nRUN --mount=type=$T,target=/c true\nFROM alpine AS scratch\nFROM a\n",
        "cannot mount from stage \"scratch\" to \"/c\", stage needs to be defined before current command",
        "--mount=type=$T,target=/c",
    );
    fails(
        "FROM alpine AS a\nENV T=CACHE\nRUN --mount=type=${T},target=/c true\nFROM alpine AS scratch\nFROM a\n",
        "cannot mount from stage \"scratch\" to \"/c\", stage needs to be defined before current command",
        "--mount=type=${T},target=/c",
    );
    builds("FROM alpine AS a\nARG T=bind\nRUN --mount=type=$T,target=/c true\nFROM alpine AS scratch\nFROM a\n");
    builds("FROM alpine AS scratch\nFROM alpine AS a\nRUN --mount=type=cache,target=/c true\n");
    builds("FROM alpine AS a\nRUN --mount=type=bind,target=/c true\nFROM alpine AS scratch\nFROM a\n");
    builds("FROM alpine AS a\nRUN --mount=target=/c true\nFROM alpine AS scratch\nFROM a\n");
}

/// What the build reads as SOURCE_DATE_EPOCH once BuildKit has resolved it
/// (`setBuildArgValue(..., formatSourceDateEpochValue(...))`, before the stages are made): a
/// number as Go prints it; else the time of the context, named context or stage, which is not
/// known without building: unset, as BuildKit leaves a local context's and as its packages
/// without a client (the oracle) leave every one. It reaches the FROM lines and every stage's
/// `ARG SOURCE_DATE_EPOCH`, whose default it replaces (found by an audit).
#[test]
fn source_date_epoch_is_read_as_buildkit_resolves_it() {
    // The value a stage's `STOPSIGNAL` shows (BuildKit's error names it), and the base image.
    let read = |text: &str, args: &[(&str, &str)]| {
        let options = Options {
            build_args: args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Options::default()
        };
        let a = analyze(text, &options);
        let signal = a.build_error().map(|e| e.message.clone()).unwrap_or_default();
        let signal = signal.strip_prefix("invalid signal: v=").and_then(|s| s.split(';').next()).map(String::from);
        let image = a.plan(a.stages().len() - 1).images.first().cloned();
        (signal, image)
    };
    let file = "ARG SOURCE_DATE_EPOCH=0123\nFROM alpine:${SOURCE_DATE_EPOCH:-none}\n\
                ARG SOURCE_DATE_EPOCH=9\nSTOPSIGNAL v=$SOURCE_DATE_EPOCH\n";
    assert_eq!(read(file, &[]), (Some("123".into()), Some("alpine:123".into())));
    assert_eq!(read(file, &[("SOURCE_DATE_EPOCH", "+7")]), (Some("7".into()), Some("alpine:7".into())));
    // Unset: the stage's own default applies again, and the base's.
    assert_eq!(read(file, &[("SOURCE_DATE_EPOCH", "context")]), (Some("9".into()), Some("alpine:none".into())));
    let staged = file.replace("0123", "src") + "FROM scratch AS src\nADD https://example.com/a.tar /\n";
    let staged =
        staged.replace("FROM alpine:${SOURCE_DATE_EPOCH:-none}\n", "FROM alpine:${SOURCE_DATE_EPOCH:-none} AS app\n");
    let (signal, _) = read(&staged, &[]);
    assert_eq!(signal.as_deref(), Some("9"));
    // An empty build arg resolves to nothing and is dropped: the stage's default applies.
    let declared = "FROM alpine\nARG SOURCE_DATE_EPOCH=5\nSTOPSIGNAL v=$SOURCE_DATE_EPOCH\n";
    assert_eq!(read(declared, &[("SOURCE_DATE_EPOCH", "")]).0.as_deref(), Some("5"));
    assert_eq!(read(declared, &[("SOURCE_DATE_EPOCH", "12")]).0.as_deref(), Some("12"));
    // No SOURCE_DATE_EPOCH given at all: nothing is replaced.
    assert_eq!(read(declared, &[]).0.as_deref(), Some("5"));
}

/// SOURCE_DATE_EPOCH as BuildKit resolves it before the build (`resolveSourceDateEpochValue`):
/// empty is none, a number, `context`, a named context, or a stage that only fetches one remote
/// source, read with the global ARGs and its own.
#[test]
fn source_date_epoch_is_resolved_as_buildkit_does() {
    let with = |text: &str, args: &[(&str, &str)], contexts: &[&str]| {
        let options = Options {
            build_args: args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            named_contexts: contexts.iter().map(|c| c.to_string()).collect(),
            ..Options::default()
        };
        analyze(text, &options).build_error().map(|e| (e.message.clone(), e.range.map(|r| text[r].to_string())))
    };
    let plain_file = "ARG SOURCE_DATE_EPOCH=nope\nFROM alpine\nRUN true\n";
    assert_eq!(
        with(plain_file, &[], &[]),
        Some(("invalid SOURCE_DATE_EPOCH: nope".into(), Some("ARG SOURCE_DATE_EPOCH=nope".into())))
    );
    // An empty --build-arg wins over the default and means no SOURCE_DATE_EPOCH (a CI job with
    // the variable unset); so do a number, `context` and a named build context.
    for value in ["", "1700000000", "context", "ctx"] {
        assert_eq!(with(plain_file, &[("SOURCE_DATE_EPOCH", value)], &["ctx"]), None, "{value:?}");
    }
    // A source stage may declare ARGs (build args win) and read them and the global ARGs in its
    // base and its ADD.
    let stage = "ARG BASE=scratch\nARG SOURCE_DATE_EPOCH=src\nFROM $BASE AS src\nARG VERSION=1.0 SUM\n\
                 ADD https://example.com/v${VERSION}.tar.gz /\nFROM alpine\nRUN true\n";
    assert_eq!(with(stage, &[], &[]), None);
    // A checksum is expanded too (with the stage's ARGs: a build arg the stage does not declare
    // is not seen), and must be a digest (unset, it is empty: no digest).
    let summed = stage.replace("ADD ", "ADD --checksum=$SUM ");
    let sum = format!("sha256:{}", "a".repeat(64));
    assert_eq!(with(&summed, &[("SUM", &sum)], &[]), None);
    let error = |args: &[(&str, &str)]| with(&summed, args, &[]).map(|(m, _)| m);
    assert_eq!(error(&[("SUM", "md5:x")]), Some("unsupported digest algorithm".into()));
    assert_eq!(error(&[]), Some("invalid checksum digest format".into()));
    let undeclared = summed.replace("ARG VERSION=1.0 SUM", "ARG VERSION=1.0");
    assert_eq!(with(&undeclared, &[("SUM", &sum)], &[]).map(|(m, _)| m), Some("invalid checksum digest format".into()));
    let from = Some("FROM $BASE AS src".to_string());
    assert_eq!(
        with(stage, &[("BASE", "busybox")], &[]),
        Some(("SOURCE_DATE_EPOCH stage must use FROM scratch".into(), from.clone()))
    );
    let git =
        stage.replace("https://example.com/v${VERSION}.tar.gz", "https://github.com/moby/buildkit.git#v${VERSION}");
    assert_eq!(with(&git, &[], &[]), None);
    // ...but an HTTP(S) one is then read as a URL (`isHTTPSource` comes first): what fails is
    // the stage's ADD when it is dispatched, not SOURCE_DATE_EPOCH at its FROM.
    let refused = stage.replace("https://example.com/v${VERSION}.tar.gz", "https://h/r.git?foo=1");
    let (message, at) = with(&refused, &[], &[]).expect("the ADD fails");
    assert!(message.starts_with("unexpected query \"foo\""), "{message}");
    assert_eq!(at.as_deref(), Some("https://h/r.git?foo=1"));
    // What else the stage may not hold.
    let body = |lines: &str| format!("ARG SOURCE_DATE_EPOCH=src\nFROM scratch AS src\n{lines}FROM alpine\n");
    let from = Some("FROM scratch AS src".to_string());
    for (lines, message) in [
        ("COPY a /a\n", "SOURCE_DATE_EPOCH stage does not meet source-only requirements: unsupported COPY instruction"),
        ("ARG A=1\n", "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD"),
        ("ADD https://a/x /\nADD https://a/y /\n", "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD"),
        ("ADD https://a/x https://a/y /\n", "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD source"),
        ("ADD <<EOF /x\nhello\nEOF\n", "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD source"),
        ("ARG SRC=local.tar\nADD $SRC /\n", "SOURCE_DATE_EPOCH stage source must be a single HTTP(S) or Git ADD"),
        // A repository whose query BuildKit refuses says why...
        ("ADD git@github.com:moby/buildkit.git?foo=1 /\n", "unexpected query \"foo\""),
        // (The checksum is expanded only for a URL or a repository.)
        ("ADD --checksum=${X:?no} git@github.com:moby/buildkit.git?foo=1 /\n", "unexpected query \"foo\""),
        ("ADD --checksum=${X:?no} local.tar /\n", "SOURCE_DATE_EPOCH stage source must be a single HTTP(S) or Git ADD"),
    ] {
        // (BuildKit's message; ours may add what to do after a `; `, checked whole below.)
        let ours =
            with(&body(lines), &[], &[]).map(|(m, at)| (m.split("; ").next().unwrap_or_default().to_string(), at));
        assert_eq!(ours, Some((message.to_string(), from.clone())), "{lines}");
    }
    assert_eq!(
        with(&body("ADD git@github.com:moby/buildkit.git?foo=1 /\n"), &[], &[]).map(|(m, _)| m).as_deref(),
        Some("unexpected query \"foo\"; a repository URL's query takes ref, tag, branch, subdir, checksum (or commit), keep-git-dir and submodules")
    );
    // An empty `--checksum=` is none (BuildKit tests the value as written).
    assert_eq!(with(&body("ADD --checksum= https://example.com/a.tgz /\n"), &[], &[]), None);
}

/// BuildKit reads the ONBUILD triggers of the stages the target needs (again as their
/// references make more stages needed), and fails at the inheriting stage's FROM; what a
/// trigger of a stage the target does not need would fail is only a warning of ours.
#[test]
fn triggers_are_read_for_the_stages_the_target_needs() {
    let text = "FROM alpine AS a\nONBUILD COPY --from=$X / /\nFROM a AS b\nFROM alpine AS c\n";
    let a = plain(text);
    assert_eq!(a.build_error(), None, "the default target `c` does not need `b`");
    let d = a.diagnostics().iter().find(|d| d.code == "variable-in-from").expect("still said");
    assert_eq!((d.severity, d.buildkit_reports), (stagecraft_analysis::Severity::Warning, false));
    let with_target = |text: &str, t: &str| analyze(text, &Options { target: Some(t.into()), ..Options::default() });
    let a = with_target(text, "b");
    let e = a.build_error().expect("`b` runs the trigger");
    assert!(e.message.starts_with("variable expansion is not supported for --from"), "{e:?}");
    assert_eq!(e.lines, Some((3, 3)), "at b's FROM, as BuildKit's SetLocation puts it");
    // So is an image a trigger adds that BuildKit cannot parse.
    let e = plain("FROM alpine AS base\nONBUILD COPY --from=UPPER x y\nFROM base\n").build_error().cloned();
    let e = e.expect("an image name BuildKit refuses");
    assert!(e.message.starts_with("failed to parse stage name \"UPPER\""), "{e:?}");
    assert_eq!(e.lines, Some((3, 3)), "at the FROM that runs the trigger");
    // A trigger's reference makes another stage needed, whose own triggers are read then.
    let chain = "FROM alpine AS x\nONBUILD COPY --from=9 / /\nFROM x AS y\n\
                 FROM alpine AS base\nONBUILD COPY --from=y / /\nFROM base AS final\n";
    let e = plain(chain).build_error().map(|e| (e.message.split(':').next().unwrap_or_default().to_string(), e.lines));
    assert_eq!(e, Some(("invalid stage index 9".into(), Some((3, 3)))));
    assert_eq!(with_target(chain, "base").build_error(), None);
}

/// BuildKit's order across rounds of `resolveReachableStages` (its `toDispatchState`): the image
/// names of every stage's base and of every written `--from` first, with the platform of each
/// base image the target needs; then each inherited trigger in turn, parsed and its references
/// looked up (`initOnBuildTriggers`); then the images the triggers add, in another round. Each
/// file fails two ways, and the build fails with the first BuildKit reaches.
#[test]
fn inherited_triggers_are_read_after_the_first_round_of_images() {
    let error = |text: &str| {
        let a = plain(text);
        let e = a.build_error().unwrap_or_else(|| panic!("no failure: {text}"));
        (e.message.split(": ").next().unwrap_or_default().to_string(), e.lines, e.phase)
    };
    // A trigger's bad index or image against a bad base image: the base's, in the first round.
    let base =
        "FROM alpine AS base\nONBUILD COPY --from=TRIGGER / /\nFROM base AS mid\nFROM UPPER:1\nCOPY --from=mid / /\n";
    let expected = ("failed to parse stage name \"UPPER:1\"".to_string(), Some((4, 4)), "resolve-stages");
    assert_eq!(error(&base.replace("TRIGGER", "7")), expected);
    assert_eq!(error(&base.replace("TRIGGER", "Bad_Image")), expected);
    // The image's finding names the trigger, as the trigger's other findings do.
    let text = "FROM alpine AS base\nONBUILD COPY --from=Bad@@ / /\nONBUILD RUN --mount=from=Up_Per,target=/x true\nFROM base\n";
    let a = plain(text);
    let notes: Vec<_> = a
        .diagnostics()
        .iter()
        .filter(|d| d.code == "invalid-image-reference")
        .map(|d| (&text[d.range], d.trigger.map(|t| &text[t])))
        .collect();
    assert_eq!(
        notes,
        [("FROM base", Some("COPY --from=Bad@@ / /")), ("FROM base", Some("RUN --mount=from=Up_Per,target=/x true"))]
    );
    // The build's error is said where the finding is, at the FROM that runs the trigger, for a
    // mount too (BuildKit's error for a mount's image names no lines).
    let mount = "FROM alpine AS base\nONBUILD RUN --mount=from=Bad,target=/x true\nFROM base AS app\n";
    let e = plain(mount).build_error().cloned().expect("bad image");
    assert_eq!((e.range.map(|r| &mount[r]), e.lines), (Some("FROM base AS app"), None));
    // ...and against a bad image a written COPY names, which is in the first round too.
    let written = "FROM alpine AS base\nONBUILD COPY --from=7 / /\nFROM base\nCOPY --from=Bad_Image / /\n";
    assert_eq!(error(written).0, "failed to parse stage name \"Bad_Image\"");
    // Alone, each trigger's failure is the build's, at the FROM that runs it.
    let alone = error("FROM alpine AS base\nONBUILD COPY --from=7 / /\nFROM base AS mid\n");
    assert_eq!(alone, ("invalid stage index 7".to_string(), Some((3, 3)), "resolve-stages"));
    // Triggers are read one by one: a trigger that does not parse, after one whose image is
    // bad, fails before that image is resolved; a bad index fails where its trigger is read.
    let later = "FROM alpine AS base\nONBUILD COPY --from=Bad_Image / /\nONBUILD NOSUCH x\nFROM base\n";
    assert_eq!(error(later), ("unknown instruction".to_string(), Some((4, 4)), "resolve-stages"));
    let index_first = "FROM alpine AS base\nONBUILD COPY --from=9 / /\nONBUILD NOSUCH x\nFROM base\n";
    assert_eq!(error(index_first).0, "invalid stage index 9");
    let parse_first = "FROM alpine AS base\nONBUILD NOSUCH x\nONBUILD COPY --from=9 / /\nFROM base\n";
    assert_eq!(error(parse_first).0, "unknown instruction");
    // A base image's platform is checked in the first round, so a trigger that fails later does
    // not take the warning away (the oracle's images are linux/amd64).
    let platform = "FROM --platform=linux/arm64 alpine AS base\nONBUILD NOSUCH x\nFROM base\n";
    let a = plain(platform);
    assert_eq!(a.build_error().map(|e| e.message.as_str()), Some("unknown instruction: NOSUCH"));
    let d = a.diagnostics().iter().find(|d| d.code == "InvalidBaseImagePlatform").expect("the platform warning");
    assert!(d.buildkit_reports, "{d:?}");
    // In a build (a target given), a stage only a trigger makes needed has its platform checked
    // after the triggers are read. (Without a target, BuildKit's lint resolves every stage in
    // the first round.)
    let later_stage = "FROM --platform=linux/arm64 alpine AS arm\nFROM alpine AS base\n\
                       ONBUILD COPY --from=arm / /\nONBUILD NOSUCH x\nFROM base AS final\n";
    // (As after a failed base image, no platform is checked once the build has failed.)
    let platform_warning = |text: &str, target: Option<&str>| {
        let a = analyze(text, &Options { target: target.map(str::to_string), ..Options::default() });
        let d = a.diagnostics().iter().find(|d| d.code == "InvalidBaseImagePlatform").cloned();
        d.map(|d| d.buildkit_reports)
    };
    assert_eq!(
        platform_warning(later_stage, Some("final")),
        None,
        "BuildKit fails on the trigger before it resolves `arm`"
    );
    assert_eq!(platform_warning(later_stage, None), Some(true));
    assert_eq!(platform_warning(&later_stage.replace("ONBUILD NOSUCH x\n", ""), Some("final")), Some(true));
    // Round by round: a stage only a trigger makes needed has its triggers read in the next
    // round, after the images the first round's triggers named (found by a review).
    let rounds = "FROM alpine AS b2\nONBUILD COPY onlyone\nFROM b2 AS x\n\
                  FROM alpine AS b1\nONBUILD COPY --from=x / /\nONBUILD COPY --from=Bad / /\nFROM b1 AS t\n";
    let image = ("failed to parse stage name \"Bad\"".to_string(), Some((7, 7)), "resolve-stages");
    assert_eq!(error(rounds), image);
    assert_eq!(error(&rounds.replace("ONBUILD COPY onlyone", "ONBUILD COPY --from=99 / /")), image);
    // ...and has its platform checked in that round, before its triggers fail.
    let checked = "FROM alpine AS b2\nONBUILD COPY onlyone\nFROM b2 AS x\nFROM --platform=linux/arm64 debian AS y\n\
                   FROM alpine AS b1\nONBUILD COPY --from=x / /\nONBUILD COPY --from=y / /\nFROM b1 AS t\n";
    assert_eq!(platform_warning(checked, Some("t")), Some(true));
    assert!(error(checked).0.starts_with("COPY requires at least two arguments"));
    // The triggers of a stage no build needs are no part of this build: an image they name is
    // a warning of ours, not the build's error.
    let unneeded = plain("FROM alpine AS b\nONBUILD COPY --from=Bad / /\nFROM b AS unused\nFROM alpine AS t\n");
    assert_eq!(unneeded.build_error(), None);
    let d = unneeded.diagnostics().iter().find(|d| d.code == "invalid-image-reference").expect("said");
    assert_eq!((d.severity, d.buildkit_reports), (Severity::Warning, false));
}

/// Details of BuildKit's order and ranges that a review found: an SSH mount takes no source,
/// a mount's mode is refused before its uid and gid, HEALTHCHECK reads its durations before its
/// retries (a 32-bit number), and an empty VOLUME is refused once.
#[test]
fn mount_healthcheck_and_volume_details() {
    let fails_with = |text: &str, message: &str| {
        let a = plain(text);
        assert_eq!(buildkit_message(&a), Some(message), "{text}");
        a
    };
    fails_with("FROM alpine\nRUN --mount=type=ssh,src=/run/ssh.sock true\n", "ssh does not support source");
    // A mount BuildKit cannot read fails with the instruction, and has no target to check.
    for (text, message) in [
        ("FROM alpine\nRUN --mount= true\n", "failed to parse csv mounts: EOF"),
        ("FROM alpine\nRUN --mount true\n", "missing a value on flag: --mount"),
    ] {
        let a = fails_with(text, message);
        let errors: Vec<&str> = a.diagnostics().iter().map(|d| d.code.as_str()).collect();
        assert_eq!(errors, ["invalid-instruction"], "{text}");
    }
    builds("FROM alpine\nRUN --mount=type=ssh,id=default true\n");
    fails_with(
        "FROM alpine\nRUN --mount=type=bind,uid=1,mode=0755 true\n",
        "mode not allowed for \"bind\" type mounts",
    );
    fails_with("FROM alpine\nRUN --mount=type=bind,gid=1,uid=1 true\n", "uid not allowed for \"bind\" type mounts");
    fails_with("FROM alpine\nHEALTHCHECK --retries=x --interval=5 CMD true\n", "time: missing unit in duration \"5\"");
    fails_with(
        "FROM alpine\nHEALTHCHECK --retries=3000000000 CMD true\n",
        "strconv.ParseInt: parsing \"3000000000\": value out of range",
    );
    fails_with("FROM alpine\nHEALTHCHECK --retries=3x CMD true\n", "strconv.ParseInt: parsing \"3x\": invalid syntax");
    builds("FROM alpine\nHEALTHCHECK --retries=2147483647 --interval=1m30s CMD true\n");
    let a = fails_with("FROM alpine\nVOLUME [\"/a\", \"\"]\n", "VOLUME specified can not be an empty string");
    let count = a.diagnostics().iter().filter(|d| d.message.starts_with("VOLUME specified")).count();
    assert_eq!(count, 1, "{:?}", a.diagnostics());
    // An empty expansion is refused where the build runs it.
    fails_with("FROM alpine\nVOLUME /a $NOPE\n", "VOLUME specified can not be an empty string");
    // `parseHealthConfig` ends the type at a blank byte, inside a no-break space (C2 A0) or an
    // `à` (C3 A0): the bytes before it are no UTF-8, and `strings.ToUpper` reads each as U+FFFD.
    // (BuildKit's dump shows them as `"CMD\xc2"`; stagecraft's text is UTF-8 and shows U+FFFD.)
    fails_with(
        "FROM alpine\nHEALTHCHECK CMD\u{a0}curl -f x\n",
        "Unknown type \"CMD\u{FFFD}\" in HEALTHCHECK (try CMD)",
    );
    fails_with("FROM alpine\nHEALTHCHECK \u{e0}CMD foo\n", "Unknown type \"\u{FFFD}\" in HEALTHCHECK (try CMD)");
    // `strings.ToUpper` maps a character to one (`ß` stays).
    fails_with("FROM alpine\nHEALTHCHECK stra\u{df}e x\n", "Unknown type \"STRA\u{df}E\" in HEALTHCHECK (try CMD)");
    let a = plain("FROM alpine\nHEALTHCHECK \u{e0}CMD foo\n");
    let dump = stagecraft_syntax::dump::buildkit(&a.parse().tree());
    assert!(dump.ends_with("(healthcheck \"\u{FFFD}\" \"CMD foo\")\n"), "{dump}");
}

/// BuildKit parses an ONBUILD trigger again where it runs, from its text alone, so with the
/// default escape character `\`: under `# escape=`` ` `` an ENV, LABEL or ARG trigger's words
/// split there as `\` splits them (found by a review of `initOnBuildTriggers`).
#[test]
fn triggers_are_parsed_again_with_the_default_escape() {
    let text = "# escape=`\nFROM alpine AS base\nONBUILD ENV A=x` y\nENV C=x` y\nFROM base\nRUN true\n";
    fails(text, "Syntax error - can't find = in \"y\". Must be of the form: name=value", "FROM base");
    let windows = "# escape=`\nFROM alpine AS base\nONBUILD ENV APPDIR=C:\\Program` Files\\app\nFROM base\n";
    fails(windows, r#"Syntax error - can't find = in "Files\\app". Must be of the form: name=value"#, "FROM base");
    // Not run (no stage is built on it): no failure.
    builds(&text.replace("FROM base\nRUN true\n", "FROM alpine\n"));
    // `\` escapes the blank there: one pair, so `b` is never set.
    let joined = plain("# escape=`\nFROM alpine AS base\nONBUILD ENV A=a\\ b=c\nFROM base\nWORKDIR /$b\n");
    assert!(
        joined.diagnostics().iter().any(|d| d.code == "UndefinedVar" && d.message.contains("'$b'")),
        "{:?}",
        joined.diagnostics()
    );
    // With the default escape the file's reading is BuildKit's: `b` is set.
    let plain_escape = plain("FROM alpine AS base\nONBUILD ENV A=a` b=c\nFROM base\nWORKDIR /$b\n");
    assert!(!plain_escape.diagnostics().iter().any(|d| d.code == "UndefinedVar"), "{:?}", plain_escape.diagnostics());
    // A later trigger that fails leaves the earlier ones read again: the stage still runs
    // `A=x`` B=y` as BuildKit reads it (two pairs, `B=y` one of them), so `$B` is set and only
    // the failure is reported (a review found the file's reading run, one pair, `B` unset).
    // Two stages on that base, both needed: the second shares the first's reading.
    let failing = plain(
        "# escape=`\nFROM alpine AS base\nONBUILD ENV A=x` B=y\nONBUILD EXPOSE\nFROM base AS one\nCOPY $B /x\nFROM base\nCOPY --from=one $B /y\n",
    );
    let codes: Vec<&str> = failing.diagnostics().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["invalid-instruction"], "{:?}", failing.diagnostics());
}

/// Review mends: the last global ARG that gives SOURCE_DATE_EPOCH a value is the one read; a
/// long chain of triggers that make stage after stage needed (3,000 stages here) is followed to
/// its end. (Whether it is read in rounds or from the start each time, the result does not
/// tell: this checks the result.)
#[test]
fn source_date_epoch_and_trigger_chains() {
    let a = plain("ARG SOURCE_DATE_EPOCH=foo\nARG SOURCE_DATE_EPOCH\nFROM alpine\n");
    assert_eq!(buildkit_message(&a), Some("invalid SOURCE_DATE_EPOCH: foo"));
    // Said at the ARG whose value it is.
    fails(
        "ARG SOURCE_DATE_EPOCH=1\nARG SOURCE_DATE_EPOCH=bad\nFROM alpine\n",
        "invalid SOURCE_DATE_EPOCH: bad",
        "ARG SOURCE_DATE_EPOCH=bad",
    );
    let mut text = String::from("FROM alpine AS u0\n");
    let n = 3000;
    for k in 1..n {
        text.push_str(&format!("FROM alpine AS t{k}\nONBUILD COPY --from=u{} /a /a\nFROM t{k} AS u{k}\n", k - 1));
    }
    let a = plain(&text);
    assert_eq!(a.build_error(), None);
    // The last stage needs every `u` through the triggers.
    let last = a.stages().len() - 1;
    assert_eq!(a.target_builds(last).len(), 2 * n - 1);
}

/// An ignore file BuildKit rejects fails the build once the stages are resolved, before any is
/// dispatched (`dispatchStages` reads the patterns first): after a bad base image, before a bad
/// step, and before `# check=error=true` counts the warnings (which BuildKit then never makes).
#[test]
fn a_rejected_ignore_file_fails_before_any_stage_is_dispatched() {
    let with = |text: &str| {
        analyze(
            text,
            &Options { ignore_error: Some(".dockerignore:2: illegal exclusion pattern".into()), ..Options::default() },
        )
    };
    let message = |a: &Analysis| a.build_error().map(|e| (e.message.clone(), e.phase));
    let ignore = Some((".dockerignore:2: illegal exclusion pattern".to_string(), "context"));
    let a = with("FROM alpine\nCMD echo hi\nCOPY --chmod=999 . /\n");
    assert_eq!(message(&a), ignore);
    let d = a.diagnostics().iter().find(|d| d.code == "JSONArgsRecommended").expect("still said");
    assert!(!d.buildkit_reports, "BuildKit dispatches nothing: {d:?}");
    assert_eq!(message(&with("# check=error=true\nFROM alpine\nCMD echo hi\n")), ignore);
    let bad_base = message(&with("FROM UPPER\nCOPY --chmod=999 . /\n")).expect("fails");
    assert!(bad_base.0.starts_with("failed to parse stage name \"UPPER\""), "{bad_base:?}");
    // Without it the step's failure is the build's.
    assert!(message(&plain("FROM alpine\nCOPY --chmod=999 . /\n")).is_some_and(|m| m.0.starts_with("invalid chmod")));
}
