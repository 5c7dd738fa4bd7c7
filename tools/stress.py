#!/usr/bin/env python3
"""Large files of the shapes that make per-stage work quadratic, and the time and peak memory
of the CLI's commands on them, for one or more stagecraft binaries run alternately; with
--lsp, the time and answer size of every request of `BIN lsp` on them instead.

Usage: tools/stress.py [--stages N] [--shapes A,B,...] [--timeout S] [--lsp] BIN [BIN...]

Shapes (N = 50,000 by default; all of them unless --shapes names some):
  wide       N independent stages `FROM alpine AS sI`
  chain      N stages, each `FROM` the one before
  hot        one stage that N `COPY --from` lines of the next stage use
  fanin      N independent stages, then one (`final`) that copies from each
  diamond    N stages, each `FROM` the one before and copying from the one before that (what
             each target builds was counted by a walk per stage with several dependencies)
  envs       one stage of N `ENV` lines, each using the one before
  args       one stage of N `ARG` lines
  pairs      one `ENV` of N pairs (one per line), each using a variable no one set
  labels     one `LABEL` of N pairs (one per line), each using one ARG (a variable's references
             read the instruction's keyword and quotes once per use until stop 44: 4.7 s at
             N = 4,000 in a debug build, 0.18 s after)
  undefined  N `ENV` lines, then one word using N/10 variables no one set, each close to one
             that is (BuildKit's "did you mean" compares every pair)
  line       one line: an `ENV` of N pairs, each using the one before, names not in ASCII
             (columns in UTF-16 or code points, counted from the line's start)
  varbase    N stages `FROM alpine AS sI`, then N/2 stages `FROM s${V} AS tI` (each unused sI
             may be the one such a base names with another build arg: the unused-stage hints
             and the rename's refusal scan the bases written with variables)
  varpats    N stages `FROM alpine AS sI-x`, then N/2 stages `FROM sI-${V} AS tI` (as many
             patterns as bases, each naming one stage)
  typolater  N stages, each copying `--from=biuld`, then a stage `build` (each unknown name
             is close only to a later stage: the did-you-mean looked for earlier ones per
             reference until stop 38; and until stop 54 each image reference searched the
             stages for its own, for named contexts: 5.0 s at N = 20,000 in a debug build,
             1.8 s after)
  imagecopy  N stages, each copying from one image and mounting another (the same search: a
             common shape, `COPY --from=busybox`; `check` 8.5 s at N = 20,000 in a debug build
             until stop 54, 2.2 s after)
  triggers   N stages, each with an ONBUILD trigger that copies from an image (each trigger
             searched the stages for one built on its own until stop 54, and each of its image
             references for the last such stage: `check` 9.4 s at N = 20,000 in a debug build,
             1.4 s after)
  inherit    one stage of N/50 ONBUILD triggers, each copying from it, then N/50 stages `FROM` it,
             and one copying from each of those, so that the build runs every trigger in each:
             (N/50)² references (`analyze --format json` held a JSON value of each until
             stop 55: 12.8 s and 8.5 GB at N/50 = 1,000 in a release build, 2.4 s and 273 MB
             after, the analysis's own peak)
  ignored    one stage of N/50 `COPY` lines, each of its own folder, and beside it an ignore file
             of N/50 patterns `**/dirI/**/*.tmp`, one for each (CopyIgnoredFile matches every
             pattern against every source and its folders, as BuildKit does: 5.2 s to `check`
             at N/50 = 1,000 in a debug build until stop 55, 0.36 s once a pattern's longest
             literal run is looked for in the path first)
  cmds       one stage of N/2 shell-form CMDs (each asked whether the stage has an ENTRYPOINT,
             for JSONArgsRecommended's fix, until stop 55: 5.6 s to `check` at N/2 = 25,000 in a
             release build, 0.14 s after); `chain` also times `plan --legacy`, which asked each
             stage's name of the stages before it until stop 55 (8.8 s at 64,000 stages, 1.4 s)
  repeats    one stage of N/10 `COPY` lines, and an ignore file of 20 patterns `?{1000}` (the
             repetitions stop 57 reads: the automaton stepped through every one of a pattern's
             thousand pieces for each character of each source, 1.2 s to `check` at N/10 =
             5,000 in a release build, until it stepped only through the live ones, 0.03 s)
  workdirs   one stage of N/2 relative `WORKDIR`s, each going on from the one before (each path
             was the one before and one more folder, built and cleaned whole: 3.1 s to `check` at
             N/2 = 25,000 in a release build until stop 57, 0.01 s after)
  envchain   one stage of N/10 `ENV` lines, then N/10 stages, each `FROM` the one before (each
             stage's variables were copied from its base's, string by string, until stop 41:
             7.4 GB and 21 s at N/10 = 5,000)
  envfan     the same variables, then N/10 stages `FROM` that first stage, each setting one more
  envreuse   one 60 KB value, then N/6 `ENV` lines using it (each its own copy of the 60 KB:
             past 64 MiB in all, expansions fail; see `env::EXPANSION_BUDGET`)
  randcopy   N stages, each `FROM` the one before and copying from a random earlier one (the
             same file every run): the graph's edges pass through about N²/4 layers in all,
             past the drawing's limit of a million from about 2,000 stages (`graph` says so)
Files go to target/stress/. A command that runs out of time is reported as such. The requests
of --lsp stand on the file's last line, at its last `=` or `$` (a stage or variable is being
typed there), or at its end; the call hierarchy is asked there and at the last stage's name.
"""
import argparse
import json
import os
import subprocess
import threading
import time

COMMANDS = [
    ["check"],
    ["check", "--format", "json"],
    ["analyze", "--format", "text"],
    ["analyze", "--format", "json"],
    ["plan", "--legacy"],
    ["targets", "--format", "text"],
    ["graph", "--format", "svg"],
]


def shapes(n):
    wide = "".join(f"FROM alpine AS s{i}\n" for i in range(n))
    chain = "FROM alpine AS s0\n" + "".join(f"FROM s{i - 1} AS s{i}\n" for i in range(1, n))
    hot = "FROM alpine AS hot\nFROM alpine AS user\n" + "".join(f"COPY --from=hot /a{i} /b{i}\n" for i in range(n))
    fanin = wide + "FROM alpine AS final\n" + "".join(f"COPY --from=s{i} /a /b{i}\n" for i in range(n))
    diamond = "FROM alpine AS s0\nFROM alpine AS s1\n" + "".join(
        f"FROM s{i - 1} AS s{i}\nCOPY --from=s{i - 2} /a /b\n" for i in range(2, n)
    )
    envs = "FROM alpine\nENV V0=0\n" + "".join(f"ENV V{i}=$V{i - 1}\n" for i in range(1, n))
    args = "FROM alpine\n" + "".join(f"ARG A{i}=x\n" for i in range(n))
    pairs = "FROM alpine\nENV " + " \\\n  ".join(f"V{i}=$U{i}" for i in range(n)) + "\n"
    labels = "FROM alpine\nARG V=1\nLABEL " + " \\\n  ".join(f"k{i}=$V" for i in range(n)) + "\n"
    undefined = (
        "FROM alpine\n" + "".join(f"ENV V{i}=1\n" for i in range(n)) + "ENV X=" + "".join(f"$W{i}" for i in range(n // 10)) + "\n"
    )
    varbase = "ARG V=0\n" + wide + "".join(f"FROM s${{V}} AS t{i}\n" for i in range(n // 2))
    varpats = (
        "ARG V=x\n"
        + "".join(f"FROM alpine AS s{i}-x\n" for i in range(n))
        + "".join(f"FROM s{i}-${{V}} AS t{i}\n" for i in range(n // 2))
    )
    seed = 0x2545F4914F6CDD1D
    randcopy = ["FROM alpine AS s0\n"]
    for i in range(1, n):
        seed ^= (seed << 13) & 0xFFFFFFFFFFFFFFFF
        seed ^= seed >> 7
        seed ^= (seed << 17) & 0xFFFFFFFFFFFFFFFF
        randcopy.append(f"FROM s{i - 1} AS s{i}\nCOPY --from=s{seed % i} /a /b\n")
    randcopy = "".join(randcopy)
    typolater = "".join(f"FROM alpine AS s{i}\nCOPY --from=biuld /a /b\n" for i in range(n)) + "FROM alpine AS build\n"
    imagecopy = "".join(
        f"FROM alpine AS s{i}\nCOPY --from=busybox:1.36 /bin/sh /sh\nRUN --mount=from=golang:1.22,target=/go true\n"
        for i in range(n)
    )
    triggers = "".join(f"FROM alpine AS s{i}\nONBUILD COPY --from=busybox:1.36 /bin/sh /sh\n" for i in range(n))
    m = max(n // 50, 1)
    inherit = (
        "FROM alpine AS b0\n"
        + "".join(f"ONBUILD COPY --from=b0 /a{i} /b\n" for i in range(m))
        + "".join(f"FROM b0 AS c{i}\n" for i in range(m))
        + "FROM alpine AS fin\n"
        + "".join(f"COPY --from=c{i} /a /b\n" for i in range(m))
    )
    cmds = "FROM alpine\n" + "".join(f"CMD echo {i}\n" for i in range(n // 2))
    repeats = "FROM alpine\n" + "".join(f"COPY src/a/dir{i}/b/c{i}.tmp /x/\n" for i in range(max(n // 10, 1)))
    workdirs = "FROM alpine\nWORKDIR /w\n" + "".join(f"WORKDIR d{i % 7}\n" for i in range(n // 2)) + "RUN --mount=target=x true\n"
    ignored = "FROM alpine\n" + "".join(f"COPY src/a/dir{i}/b/c{i}.tmp /x/\n" for i in range(m))
    line = "FROM alpine\nENV Vä0=0 " + " ".join(f"Vä{i}=$Vä{i - 1}" for i in range(1, n)) + "\nRUN echo $Vä1\n"
    k = max(n // 10, 1)
    env_base = "FROM alpine AS s0\n" + "".join(f"ENV K{i}=v{i}\n" for i in range(k))
    envchain = env_base + "".join(f"FROM s{i - 1} AS s{i}\n" for i in range(1, k))
    envfan = env_base + "".join(f"FROM s0 AS s{i}\nENV X=$K{i}\n" for i in range(1, k))
    envreuse = "FROM alpine\nENV A=" + "x" * 60000 + "\n" + "".join(f"ENV B{i}=$A\n" for i in range(n // 6))
    return {
        "envchain": envchain,
        "envfan": envfan,
        "envreuse": envreuse,
        "wide": wide,
        "chain": chain,
        "hot": hot,
        "fanin": fanin,
        "diamond": diamond,
        "envs": envs,
        "args": args,
        "pairs": pairs,
        "labels": labels,
        "undefined": undefined,
        "line": line,
        "varbase": varbase,
        "varpats": varpats,
        "typolater": typolater,
        "imagecopy": imagecopy,
        "triggers": triggers,
        "inherit": inherit,
        "ignored": ignored,
        "cmds": cmds,
        "workdirs": workdirs,
        "repeats": repeats,
        "randcopy": randcopy,
    }


def run(binary, args, path, timeout):
    start = time.perf_counter()
    p = subprocess.Popen([binary, *args, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        # wait4 gives this child's own peak memory.
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            p.kill()
            os.wait4(p.pid, 0)
            return f"> {timeout:.0f} s"
        time.sleep(0.002)
    took = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    note = "" if code in (0, 1) else f" exit {code}"
    return f"{took:6.2f} s {usage.ru_maxrss / 1024:6.0f} MB{note}"


class Lsp:
    """`BIN lsp` over stdio, one request at a time."""

    def __init__(self, binary):
        self.p = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.id = 0

    def send(self, message):
        body = json.dumps(message).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise EOFError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            key, _, value = line.decode().partition(":")
            if key.lower() == "content-length":
                length = int(value)
        if length is None:
            raise EOFError("a message without Content-Length")
        body = self.p.stdout.read(length)
        if len(body) < length:
            raise EOFError("the server closed its output in a message")
        return len(body), json.loads(body)

    def request(self, method, params):
        self.id += 1
        self.send({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        while True:
            size, message = self.read()
            if message.get("id") == self.id and "method" not in message:
                return size, message

    def diagnostics(self):
        while True:
            size, message = self.read()
            if message.get("method") == "textDocument/publishDiagnostics":
                return size, message


def lsp_run(binary, shape, path, text, timeout):
    """Opens `path` in a fresh server, then times each request. A step that takes longer than
    `timeout` seconds kills the server; it is reported as such, and the rest is not run."""
    lines = text.split("\n")
    last = len(lines) - 2
    col = max(lines[last].rfind("="), lines[last].rfind("$")) + 1 or len(lines[last])
    doc = {"uri": "file://" + os.path.abspath(path)}
    at = {"textDocument": doc, "position": {"line": last, "character": col}}
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": last, "character": len(lines[last])}}
    # The name of the last named stage (the call hierarchy's other end).
    named = [i for i, l in enumerate(lines) if l.startswith("FROM ") and " AS " in l][-1:] or [0]
    name_at = {"line": named[0], "character": lines[named[0]].rfind(" AS ") + 4}
    last_stage = {"textDocument": doc, "position": name_at}
    requests = [
        ("hover", "textDocument/hover", at),
        ("definition", "textDocument/definition", at),
        ("references", "textDocument/references", {**at, "context": {"includeDeclaration": True}}),
        ("highlight", "textDocument/documentHighlight", at),
        ("completion", "textDocument/completion", at),
        ("prepareRename", "textDocument/prepareRename", at),
        ("rename", "textDocument/rename", {**at, "newName": "renamed"}),
        ("linkedEditing", "textDocument/linkedEditingRange", at),
        ("selectionRange", "textDocument/selectionRange", {"textDocument": doc, "positions": [at["position"]]}),
        ("callHierarchy", "textDocument/prepareCallHierarchy", at),
        ("callHierarchy", "textDocument/prepareCallHierarchy", last_stage),
        ("workspaceSymbol", "workspace/symbol", {"query": "s1"}),
        ("semanticTokens", "textDocument/semanticTokens/full", {"textDocument": doc}),
        ("inlayHint", "textDocument/inlayHint", {"textDocument": doc, "range": whole}),
        ("documentSymbol", "textDocument/documentSymbol", {"textDocument": doc}),
        ("foldingRange", "textDocument/foldingRange", {"textDocument": doc}),
        ("codeLens", "textDocument/codeLens", {"textDocument": doc}),
        ("codeAction", "textDocument/codeAction", {"textDocument": doc, "range": {"start": at["position"], "end": at["position"]}, "context": {"diagnostics": []}}),
        ("formatting", "textDocument/formatting", {"textDocument": doc, "options": {"tabSize": 4, "insertSpaces": True}}),
        ("rangeFormatting", "textDocument/rangeFormatting", {"textDocument": doc, "range": whole, "options": {"tabSize": 4, "insertSpaces": True}}),
        ("documentLink", "textDocument/documentLink", {"textDocument": doc}),
        ("targets", "stagecraft/targets", {"textDocument": doc}),
        ("stageGraph", "stagecraft/stageGraph", {"textDocument": doc}),
    ]
    server = Lsp(binary)

    def step(name, run):
        """Times `run` (which answers a size and a message): the message, or None when the
        server stopped answering (killed past the timeout, or ended on its own)."""
        watchdog = threading.Timer(timeout, server.p.kill)
        watchdog.start()
        start = time.perf_counter()
        try:
            size, answer = run()
        except EOFError:
            server.p.kill()
            code = server.p.wait()
            why = f"> {timeout:g} s (killed)" if watchdog.finished.is_set() else f"the server ended (exit {code})"
            print(f"{shape:9} {name:20} {binary:40} {why}", flush=True)
            return None
        finally:
            watchdog.cancel()
        error = answer.get("error", {}).get("message", "")[:60]
        print(f"{shape:9} {name:20} {binary:40} {time.perf_counter() - start:7.3f} s {size / 1024:9.0f} KB {error}", flush=True)
        return answer

    server.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    def open_document():
        server.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {**doc, "languageId": "dockerfile", "version": 1, "text": text}}})
        return server.diagnostics()

    if step("open → diagnostics", open_document) is None:
        return
    for name, method, params in requests:
        answer = step(name, lambda: server.request(method, params))
        if answer is None:
            return
        # The calls in and out of the stage the call hierarchy found.
        for item in (answer.get("result") or [])[:1] if name == "callHierarchy" else []:
            for way in ("incoming", "outgoing"):
                if step(f"{way}Calls", lambda: server.request(f"callHierarchy/{way}Calls", {"item": item})) is None:
                    return
    end = {"line": last, "character": len(lines[last])}

    def edit():
        server.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {**doc, "version": 2}, "contentChanges": [{"range": {"start": end, "end": end}, "text": " "}]}})
        return server.diagnostics()

    if step("edit → diagnostics", edit) is None:
        return
    server.request("shutdown", None)
    server.send({"jsonrpc": "2.0", "method": "exit", "params": None})
    server.p.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", type=int, default=50_000)
    ap.add_argument("--shapes", help="comma-separated shape names (default: all)")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--lsp", action="store_true", help="time the language server's requests instead")
    ap.add_argument("binaries", nargs="+")
    a = ap.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "stress")
    os.makedirs(root, exist_ok=True)
    all_shapes = shapes(a.stages)
    wanted = [w.strip() for w in a.shapes.split(",")] if a.shapes else list(all_shapes)
    unknown = [w for w in wanted if w not in all_shapes]
    if unknown:
        ap.error(f"unknown shape {', '.join(unknown)}: the shapes are {', '.join(all_shapes)}")
    for shape, text in all_shapes.items():
        if shape not in wanted:
            continue
        path = os.path.join(root, f"{shape}-{a.stages}.Dockerfile")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        # The ignore file BuildKit reads for this Dockerfile: `<name>.dockerignore` beside it.
        ignore = {
            "ignored": "".join(f"**/dir{i}/**/*.tmp\n" for i in range(max(a.stages // 50, 1))),
            "repeats": "".join(f"?{{{1000 - i}}}\n" for i in range(20)),
        }.get(shape)
        if ignore is not None:
            with open(path + ".dockerignore", "w", encoding="utf-8") as f:
                f.write(ignore)
        if a.lsp:
            for binary in a.binaries:
                lsp_run(binary, shape, path, text, a.timeout)
            continue
        for args in COMMANDS:
            for binary in a.binaries:
                print(f"{shape:9} {' '.join(args):24} {binary:40} {run(binary, args, path, a.timeout)}", flush=True)


if __name__ == "__main__":
    main()
