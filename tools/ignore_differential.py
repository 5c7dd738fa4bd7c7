#!/usr/bin/env python3
"""stagecraft's `.dockerignore` matcher against a line-by-line port of BuildKit's.

`crates/analysis/src/dockerignore.rs` matches patterns with an automaton of its own. This script
ports the Go code it stands for as directly as Python allows: moby/patternmatcher's
`ignorefile.ReadAll`, `New` (with Go's `filepath.Match` syntax check), `compile` (which writes a
regular expression, run here with Python's `re`) and `MatchesOrParentMatches`, and Go's
`path.Clean` and `filepath.Dir`. Both read seeded random ignore files (patterns built from
globs, brackets, escapes, regular-expression characters, `**`, `!`, comments, CRLF, a BOM) and
answer for random paths. They must agree on every answer: which files are rejected (and the
line), and for each path whether it is excluded or whether matching fails.

Left out of the generator, because stagecraft documents that it does not reproduce them (such a
pattern matches nothing there): `*` or `?` inside brackets (patternmatcher rewrites them into
nested brackets), `[:` inside brackets, and a backslash before a letter or digit.

Usage: tools/ignore_differential.py [--cases N] [--seed S]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- Go's path.Clean and filepath.Dir (Unix) ----

def go_clean(path):
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    joined = "/".join(parts)
    if rooted:
        return "/" + joined
    return joined or "."


def go_dir(path):
    i = path.rfind("/")
    return go_clean(path[: i + 1])


# ---- Go's filepath.Match, for its syntax check (path/filepath/match.go) ----

class BadPattern(Exception):
    pass


def scan_chunk(pattern):
    star = False
    while pattern.startswith("*"):
        pattern = pattern[1:]
        star = True
    inrange = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif c == "[":
            inrange = True
        elif c == "]":
            inrange = False
        elif c == "*" and not inrange:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def get_esc(chunk):
    if not chunk or chunk[0] in "-]":
        raise BadPattern()
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise BadPattern()
    r, rest = chunk[0], chunk[1:]
    if not rest:
        raise BadPattern()
    return r, rest


def match_chunk(chunk, s):
    failed = False
    while chunk:
        if not failed and not s:
            failed = True
        c = chunk[0]
        if c == "[":
            r = ""
            if not failed:
                r, s = s[0], s[1:]
            chunk = chunk[1:]
            negated = False
            if chunk.startswith("^"):
                negated, chunk = True, chunk[1:]
            match, nrange = False, 0
            while True:
                if chunk.startswith("]") and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = get_esc(chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = get_esc(chunk[1:])
                if lo <= r <= hi:
                    match = True
                nrange += 1
            if match == negated:
                failed = True
        elif c == "?":
            if not failed:
                if s[0] == "/":
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
        else:
            if c == "\\":
                chunk = chunk[1:]
                if not chunk:
                    raise BadPattern()
            if not failed:
                if chunk[0] != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return "", False
    return s, True


def go_match(pattern, name):
    while pattern:
        star, chunk, pattern = scan_chunk(pattern)
        if star and chunk == "":
            return "/" not in name
        t, ok = match_chunk(chunk, name)
        if ok and (len(t) == 0 or len(pattern) > 0):
            name = t
            continue
        if star:
            found = False
            i = 0
            while i < len(name) and name[i] != "/":
                t, ok = match_chunk(chunk, name[i + 1:])
                if ok:
                    if len(pattern) == 0 and len(t) > 0:
                        i += 1
                        continue
                    name = t
                    found = True
                    break
                i += 1
            if found:
                continue
        while pattern:
            _, chunk, pattern = scan_chunk(pattern)
            match_chunk(chunk, "")
        return False
    return len(name) == 0


# ---- moby/patternmatcher ----

ESCAPE = set(".+()|{}$")


class Pattern:
    def __init__(self, cleaned, exclusion):
        self.cleaned = cleaned
        self.exclusion = exclusion
        self.kind = None
        self.regexp = None
        self.error = False

    def compile(self):
        reg = "^"
        detected = "exact"
        chars = self.cleaned
        k = 0
        i = 0
        while k < len(chars):
            ch = chars[k]
            k += 1
            if ch == "*":
                if k < len(chars) and chars[k] == "*":
                    k += 1
                    if k < len(chars) and chars[k] == "/":
                        k += 1
                    if k >= len(chars):
                        if detected == "exact":
                            detected = "prefix"
                        else:
                            reg += ".*"
                            detected = "regexp"
                    else:
                        reg += "(.*/)?"
                        detected = "regexp"
                    if i == 0:
                        detected = "suffix"
                else:
                    reg += "[^/]*"
                    detected = "regexp"
            elif ch == "?":
                reg += "[^/]"
                detected = "regexp"
            elif ch in ESCAPE:
                reg += "\\" + ch
            elif ch == "\\":
                if k < len(chars):
                    # Go's regexp rejects a backslash before a character outside ASCII;
                    # Python's reads the character itself.
                    if not chars[k].isascii():
                        self.error = True
                    reg += "\\" + chars[k]
                    k += 1
                    detected = "regexp"
                else:
                    reg += "\\"
            elif ch in "[]":
                reg += ch
                detected = "regexp"
            else:
                reg += ch
            i += 1
        if detected == "regexp" and not self.error:
            # Python's `$` also matches before a final newline; Go's does not.
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self.regexp = re.compile(reg + r"\Z")
            except re.error:
                self.error = True
        self.kind = detected

    def match(self, path):
        if self.kind is None:
            self.compile()
        if self.error:
            raise BadPattern()
        if self.kind == "exact":
            return path == self.cleaned
        if self.kind == "prefix":
            return path.startswith(self.cleaned[:-2])
        if self.kind == "suffix":
            suffix = self.cleaned[2:]
            if path.endswith(suffix):
                return True
            return suffix[:1] == "/" and path == suffix[1:]
        return self.regexp.match(path) is not None


def read_all(text):
    """ignorefile.ReadAll, with each pattern's line number."""
    out = []
    for n, line in enumerate(text.split("\n")):
        if line.endswith("\r"):
            line = line[:-1]
        if n == 0 and line.startswith("\ufeff"):
            line = line[1:]
        if line.startswith("#"):
            continue
        p = line.strip(" \t\v\f\r")
        if not p:
            continue
        invert = p.startswith("!")
        if invert:
            p = p[1:].strip(" \t\v\f\r")
        if p:
            p = go_clean(p)
            if len(p) > 1 and p.startswith("/"):
                p = p[1:]
        if invert:
            p = "!" + p
        out.append((n + 1, p))
    return out


def new_matcher(lines):
    patterns = []
    for line, p in lines:
        p = p.strip(" \t\v\f\r")
        if not p:
            continue
        p = go_clean(p)
        exclusion = False
        if p.startswith("!"):
            if len(p) == 1:
                return ("illegal exclusion pattern: \"!\"", line)
            exclusion, p = True, p[1:]
        try:
            go_match(p, ".")
        except BadPattern:
            return ("syntax error in pattern", line)
        patterns.append(Pattern(p, exclusion))
    return patterns


def matches_or_parent_matches(patterns, file):
    matched = False
    parent = go_dir(file)
    parent_dirs = parent.split("/")
    for p in patterns:
        if p.exclusion != matched:
            continue
        match = p.match(file)  # BadPattern propagates: the whole answer is an error
        if not match and parent != ".":
            for i in range(len(parent_dirs)):
                try:
                    match = p.match("/".join(parent_dirs[: i + 1]))
                except BadPattern:
                    match = False
                if match:
                    break
        if match:
            matched = not p.exclusion
    return matched


def oracle(case):
    m = new_matcher(read_all(case["rules"]))
    if isinstance(m, tuple):
        return {"error": m[0], "line": m[1]}
    answers = []
    for path in case["paths"]:
        try:
            answers.append(matches_or_parent_matches(m, path))
        except BadPattern:
            answers.append(None)
    return {"matches": answers}


# ---- the generator ----

# Common pieces, then rarer ones (regular-expression characters, odd brackets), then pieces
# BuildKit rejects or cannot match (an unclosed or empty bracket, a reversed range).
PIECES = (["a", "b", "ab", "x.y", "*", "**", "?", "/", "[ab]", "[^a]", "[a-c]", "é"] * 6
          + ["]", "!", " ", "\\*", "\\[", "\\\\", "\\.", "(", ")", "+", "$", "^", ".", "..", "#", "-",
             "{", "}", "|", "[\\]]", "[é-ü]", "[[a]"] * 2
          + ["[b-a]", "[", "\\", "[-", "[]", "[a-]"])
SEGMENTS = ["a", "b", "ab", "x.y", "é", ".", "..", "a b", "*", "[", "]", "^", "ba", "aa", "ü", "a\nb", "", "$"]


def unsupported(p):
    """What stagecraft documents it does not reproduce (see the module docstring)."""
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            if p[i + 1].isascii() and p[i + 1].isalnum():
                return True
            i += 2
            continue
        if c == "[":
            j = i + 1
            while j < len(p) and p[j] != "]":
                if p[j] in "*?" or p[j:j + 2] == "[:":
                    return True
                j += 2 if p[j] == "\\" else 1
        i += 1
    return False


def instantiate(pattern, rnd):
    """A path the pattern probably matches: each glob replaced by text it stands for."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(rnd.choice(["", "a/", "a/b/", "x.y/"]))
            i += 2
        elif c == "*":
            out.append(rnd.choice(["", "a", "xy", "é"]))
            i += 1
        elif c == "?":
            out.append(rnd.choice(["a", "é", "/"]))
            i += 1
        elif c == "\\" and i + 1 < len(pattern):
            out.append(pattern[i + 1])
            i += 2
        elif c == "[" and "]" in pattern[i + 2:]:
            j = pattern.index("]", i + 2)
            inner = pattern[i + 1:j].lstrip("^")
            out.append(rnd.choice(inner.replace("\\", "").replace("-", "") or "a"))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def gen_case(rnd):
    lines = []
    for _ in range(rnd.randint(1, 4)):
        p = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 5)))
        roll = rnd.random()
        if roll < 0.1:
            p = "#" + p
        elif roll < 0.25:
            p = "!" + p
        elif roll < 0.35:
            p = "/" + p
        if rnd.random() < 0.2:
            p = "  " + p + "\t"
        lines.append(p)
    if any(unsupported(l.lstrip(" \t!/#")) or unsupported(l) for l in lines):
        return None
    text = ("\r\n" if rnd.random() < 0.2 else "\n").join(lines) + ("\n" if rnd.random() < 0.8 else "")
    if rnd.random() < 0.05:
        text = "\ufeff" + text
    paths = []
    patterns = [l.strip(" \t!/") for l in lines if not l.startswith("#")]
    for _ in range(6):
        if patterns and rnd.random() < 0.6:
            p = instantiate(rnd.choice(patterns), rnd)
        else:
            p = "/".join(rnd.choice(SEGMENTS) for _ in range(rnd.randint(1, 4)))
        if rnd.random() < 0.3:
            p += "/" + rnd.choice(SEGMENTS)
        if rnd.random() < 0.1:
            p = "/" + p
        paths.append(p)
    paths.append(".")
    return {"rules": text, "paths": paths}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    cases = []
    while len(cases) < args.cases:
        c = gen_case(rnd)
        if c is not None:
            cases.append(c)
    subprocess.run(["cargo", "build", "--locked", "-q", "-p", "stagecraft-analysis", "--example", "ignore_match"],
                   cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "debug", "examples", "ignore_match")
    out = subprocess.run([exe], input=json.dumps(cases), capture_output=True, text=True, check=True)
    ours = json.loads(out.stdout)
    bad = 0
    kinds = {"error": 0, "match": 0, "no match": 0, "fails": 0}
    for case, got in zip(cases, ours):
        want = oracle(case)
        if "error" in want:
            kinds["error"] += 1
        else:
            for m in want["matches"]:
                kinds["fails" if m is None else "match" if m else "no match"] += 1
        if got != want:
            bad += 1
            if bad <= 20:
                print("DIFFERENT", json.dumps(case["rules"]), json.dumps(case["paths"]), file=sys.stderr)
                print("  buildkit port:", json.dumps(want), file=sys.stderr)
                print("  stagecraft:   ", json.dumps(got), file=sys.stderr)
    print(f"{len(cases)} ignore files, {sum(kinds.values()) - kinds['error']} paths "
          f"({kinds['match']} excluded, {kinds['no match']} not, {kinds['fails']} failing), "
          f"{kinds['error']} files rejected: {bad} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
