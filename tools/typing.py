#!/usr/bin/env python3
"""Typing in the language server: edit -> diagnostics at a human pace, with the server's page
faults per edit. ../shared/bench/lspbench.py sends its edits back to back; a person pauses
between keystrokes, and what the allocator does with freed memory in that pause shows here.

Usage: tools/typing.py [--runs R] [--keys K] [--pause MS] [--file F] [NAME=ENV ...] -- BIN lsp

Each configuration (NAME=VAR=VALUE sets one environment variable for the server; `default`
runs it as is) gets R fresh servers, alternating; each server opens the file (default: the
10,021-line benchmark file) and takes K one-character inserts, one every MS milliseconds.
Prints per configuration the median and 90th percentile of edit -> diagnostics and the
median minor page faults of the server per edit (from /proc, all its threads).
"""
import argparse
import json
import os
import statistics
import subprocess
import time


def frame(msg):
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def minor_faults(pid):
    total = 0
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, task)) as f:
            stat = f.read()
        total += int(stat[stat.rfind(")") + 2:].split()[7])
    return total


class Server:
    def __init__(self, cmd, env):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env)

    def send(self, msg):
        self.proc.stdin.write(frame(msg))

    def recv(self):
        out = self.proc.stdout
        length = None
        while True:
            line = out.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            line = line.strip()
            if not line:
                break
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        chunks, got = [], 0
        while got < length:
            chunk = out.read(length - got)
            if not chunk:
                raise RuntimeError("the server closed its output")
            chunks.append(chunk)
            got += len(chunk)
        return json.loads(b"".join(chunks))

    def diagnostics(self, uri):
        while True:
            m = self.recv()
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
                return m["params"]


def one_run(cmd, env, text, uri, keys, pause):
    s = Server(cmd, env)
    try:
        s.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        s.recv()
        s.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        s.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "dockerfile", "version": 1, "text": text}}})
        s.diagnostics(uri)
        line = text.count("\n") // 2
        samples = []
        for k in range(keys):
            time.sleep(pause / 1000.0)
            f0 = minor_faults(s.proc.pid)
            t0 = time.perf_counter()
            s.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": 2 + k},
                "contentChanges": [{"range": {"start": {"line": line, "character": k},
                                              "end": {"line": line, "character": k}}, "text": "#"}]}})
            p = s.diagnostics(uri)
            ms = (time.perf_counter() - t0) * 1000.0
            if p.get("version") != 2 + k:
                raise RuntimeError("diagnostics for version %r, expected %d" % (p.get("version"), 2 + k))
            samples.append((ms, minor_faults(s.proc.pid) - f0))
        return samples
    finally:
        s.proc.kill()
        s.proc.wait()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keys", type=int, default=20)
    ap.add_argument("--pause", type=float, default=100.0, help="milliseconds between keystrokes")
    ap.add_argument("--file", default=os.path.join(here, "..", "target", "bench-data", "big.Dockerfile"))
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if "--" not in a.rest:
        ap.error("the server command goes after --")
    split = a.rest.index("--")
    configs, cmd = a.rest[:split] or ["default"], a.rest[split + 1:]
    if not cmd:
        ap.error("the server command goes after --")
    path = os.path.abspath(a.file)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    uri = "file://" + path
    results = {c: [] for c in configs}
    for _ in range(a.runs):
        for c in configs:
            env = dict(os.environ)
            if c != "default":
                _, _, assignment = c.partition("=")
                var, _, value = assignment.partition("=")
                env[var] = value
            results[c] += one_run(cmd, env, text, uri, a.keys, a.pause)
    print("%d servers per configuration, %d keystrokes each, %g ms apart, on %s (%d lines)"
          % (a.runs, a.keys, a.pause, os.path.basename(path), text.count("\n")))
    for c in configs:
        ms = sorted(s[0] for s in results[c])
        faults = [s[1] for s in results[c]]
        p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
        print("%-40s edit -> diagnostics median %6.2f ms, p90 %6.2f ms; page faults per edit median %d"
              % (c, statistics.median(ms), p90, statistics.median(faults)))


if __name__ == "__main__":
    main()
