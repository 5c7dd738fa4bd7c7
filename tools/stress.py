#!/usr/bin/env python3
"""Large files of the shapes that make per-stage work quadratic, and the time and peak memory
of the CLI's commands on them, for one or more stagecraft binaries run alternately.

Usage: tools/stress.py [--stages N] [--shapes A,B,...] [--timeout S] BIN [BIN...]

Shapes (N = 50,000 by default; all of them unless --shapes names some):
  wide       N independent stages `FROM alpine AS sI`
  chain      N stages, each `FROM` the one before
  hot        one stage that N `COPY --from` lines of the next stage use
  envs       one stage of N `ENV` lines, each using the one before
  args       one stage of N `ARG` lines
  pairs      one `ENV` of N pairs (one per line), each using a variable no one set
  undefined  N `ENV` lines, then one word using N/10 variables no one set, each close to one
             that is (BuildKit's "did you mean" compares every pair)
Files go to target/stress/. A command that runs out of time is reported as such.
"""
import argparse
import os
import subprocess
import time

COMMANDS = [
    ["check", "--format", "json"],
    ["analyze", "--format", "text"],
    ["targets", "--format", "text"],
    ["graph", "--format", "svg"],
]


def shapes(n):
    wide = "".join(f"FROM alpine AS s{i}\n" for i in range(n))
    chain = "FROM alpine AS s0\n" + "".join(f"FROM s{i - 1} AS s{i}\n" for i in range(1, n))
    hot = "FROM alpine AS hot\nFROM alpine AS user\n" + "".join(f"COPY --from=hot /a{i} /b{i}\n" for i in range(n))
    envs = "FROM alpine\nENV V0=0\n" + "".join(f"ENV V{i}=$V{i - 1}\n" for i in range(1, n))
    args = "FROM alpine\n" + "".join(f"ARG A{i}=x\n" for i in range(n))
    pairs = "FROM alpine\nENV " + " \\\n  ".join(f"V{i}=$U{i}" for i in range(n)) + "\n"
    undefined = (
        "FROM alpine\n" + "".join(f"ENV V{i}=1\n" for i in range(n)) + "ENV X=" + "".join(f"$W{i}" for i in range(n // 10)) + "\n"
    )
    return {"wide": wide, "chain": chain, "hot": hot, "envs": envs, "args": args, "pairs": pairs, "undefined": undefined}


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", type=int, default=50_000)
    ap.add_argument("--shapes", help="comma-separated shape names (default: all)")
    ap.add_argument("--timeout", type=float, default=120)
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
        with open(path, "w") as f:
            f.write(text)
        for args in COMMANDS:
            for binary in a.binaries:
                print(f"{shape:9} {' '.join(args):24} {binary:40} {run(binary, args, path, a.timeout)}", flush=True)


if __name__ == "__main__":
    main()
