#!/usr/bin/env python3
"""stagecraft's `.dockerignore` matcher against BuildKit's own.

`crates/analysis/src/dockerignore.rs` matches patterns with an automaton of its own. The oracle
is BuildKit's own code: `tools/ignore-go` reads each file with moby/patternmatcher's
`ignorefile.ReadAll` and matches with its `New` and `MatchesOrParentMatches` (0.6.0, the version
BuildKit vendors), on Go 1.24's `bufio.Scanner`, `filepath.Match` and `regexp`, all as Debian 13
packages them (`tools/go-trixie.sh` downloads and unpacks them; nothing is installed). Both read
seeded random ignore files (patterns built from globs, brackets, escapes, regular-expression
characters, braces, `**`, `!`, comments, CRLF, a BOM, Unicode blanks) and a few fixed ones
(lines at the scanner's limit, repetitions Go refuses and long ones), and answer for random paths. They must agree on every answer: which files are rejected (and the
line), and for each path whether it is excluded or whether matching fails.

Left out of the generator, because stagecraft documents that it does not reproduce them (such a
pattern matches nothing there): a Unicode class Go knows (`\pL`; the names it does not know
are generated), and a backslash before `b`, `B` or `z` (word boundaries, the end of the text;
the escapes Go refuses, such as `\q`, and the
ones stagecraft reproduces, `\d`, `\x41`, `\12`, `\n` and the like, are generated).
Repetitions (`{n}`, `{n,}`, `{n,m}`, which Go's regexp reads in what patternmatcher writes, as
it escapes no brace) are generated, with paths that repeat what they repeat.

Needs apt-get (for tools/go-trixie.sh) and network access to Debian's archive, once.

Usage: tools/ignore_differential.py [--cases N] [--seed S]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The longest line ignorefile.ReadAll's bufio.Scanner reads.
MAX_LINE = 64 * 1024 - 1


# ---- the generator ----

# Common pieces, then rarer ones (regular-expression characters, odd brackets), then pieces
# BuildKit rejects or cannot match (an unclosed or empty bracket, a reversed range).
PIECES = (["a", "b", "ab", "x.y", "*", "**", "?", "/", "[ab]", "[^a]", "[a-c]", "é"] * 6
          + ["]", "!", " ", "\\*", "\\[", "\\\\", "\\.", "(", ")", "+", "$", "^", ".", "..", "#", "-",
             "{", "}", "|", "[\\]]", "[é-ü]", "[[a]"] * 2
          + ["[b-a]", "[", "\\", "[-", "[]", "[a-]"]
          # Braces Go's regexp reads as literals (no repetition: a leading zero, no number), and
          # repetitions, some it refuses.
          + ["{01}", "{,2}", "{1", "{1,x}", "{2}", "{0,}", "{0}", "{1,3}", "{0,1}", "a{2,}", "[ab]{2}",
             "\\d{1,2}", "é{3}", "x{40}", "{1001}", "x{3,2}", "^{0}", "^{2}"]
          # Escapes Go's regexp refuses; class names it does not know, and `[:` with no name.
          + ["\\q", "\\8", "\\E", "\\c", "[[:foo:]]", "[[:]", ":]"]
          # Escapes and class names it knows: characters, codes, Perl and POSIX classes, in
          # brackets and out, at a range's ends.
          + ["\\d", "\\D", "\\s", "\\S", "\\w", "\\W", "\\t", "\\n", "\\a", "\\x41", "\\x{e9}",
             "\\x{0000041}", "\\x{D800}", "\\x{110000}", "\\x4", "\\101", "\\0", "\\18", "\\7",
             "[\\d]", "[^\\w]", "[\\D-z]", "[a-\\d]", "[\\x41-\\x{5A}]", "[\\n-\\r]", "[[:alpha:]]",
             "[[:^digit:]x]", "[^[:space:]]", "[[:word:][:punct:]]", "[a-[:alpha:]]", "[[:alpha:]-z]",
             "[[:xdigit:]]", "[[:cntrl:][:print:]]", "\\:", "[[:a\\:]]",
             # Quoting and the start of the text.
             "\\A", "\\Q", "\\Qa*\\E", "\\Q.|\\E", "\\Q\\\\E", "\\Qx", "\\Q[^/]\\E",
             # Unicode classes: names Go does not know (an error; the ones it knows are left out).
             "\\pb", "\\p{Foo}", "\\P{^Gre}", "\\p{Greek", "[\\pq]", "[a\\p{L*}]", "\\pL", "[\\P{Greek}]",
             "[\\p{^Lu}|{2}]"])
# Blanks that pad a line: Go's strings.TrimSpace trims Unicode's, as stagecraft must.
BLANKS = ["  ", "\t", "\v", "\u00a0", "\u0085", "\u2003", "\u3000", "\u200b", ""]
SEGMENTS = ["a", "b", "ab", "x.y", "é", ".", "..", "a b", "*", "[", "]", "^", "ba", "aa", "ü", "a\nb", "", "$",
            "1", "42", "A", "a\tb", "_", "~", "\x07"]


# What Go's regexp reads as a repetition after a `{` (parseRepeat).
REPEAT = re.compile(r"\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?\}")


# Letters Go's regexp knows after a backslash that stagecraft does not reproduce.
UNREPRODUCED_ESCAPES = set("bBz")


# The Unicode class names Go knows among the generator's pieces (stagecraft checks the name,
# as Go does, and does not reproduce the class).
KNOWN_GROUP = re.compile(r"\\[pP](L|\{\^?(Greek|Lu)\})")


def unsupported(p):
    """What stagecraft documents it does not reproduce (see the module docstring)."""
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            if p[i + 1] in UNREPRODUCED_ESCAPES or KNOWN_GROUP.match(p, i):
                return True
            i += 2
            continue
        i += 1
    return False


# Text that escapes and class names stand for (and some they do not), for paths that match.
CODES = re.compile(r"\\(x\{[0-9A-Fa-f]+\}|x[0-9A-Fa-f]{2}|[0-7]{1,3})")
ESCAPE_TEXT = {"\\d": "0479a", "\\D": "a_/ 5", "\\s": " \t\n\f\r\va", "\\S": "a \t", "\\w": "aZ_9-",
               "\\W": "-/ _", "\\t": "\tt", "\\n": "\nn", "\\a": "\x07a", "\\x41": "Aa", "\\x{e9}": "éa",
               "\\x{0000041}": "A", "\\101": "Aa", "\\0": "\x000"}
CLASS_TEXT = {"alpha": "aZé1", "digit": "09a", "space": " \v\ta", "word": "_a9-", "punct": "!/:@[`{~a_",
              "xdigit": "0fFgG", "cntrl": "\x00\x1f\x7f a", "print": " ~\x7fé", "^digit": "a5/",
              "^space": "a \t", "alnum": "a9_", "upper": "AZa", "lower": "azA", "blank": " \t\n",
              "graph": "!~ ", "ascii": "\x7fé"}


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
        elif c == "{" and REPEAT.match(pattern, i) and out:
            # What comes before, repeated: as often as the counts say, or nearly.
            rep = REPEAT.match(pattern, i)
            low = int(rep.group(1))
            high = low + 2 if rep.group(2) and rep.group(3) is None else int(rep.group(3) or low)
            n = max(0, min(rnd.randint(low - 1, high + 1), 50))
            last = out.pop()
            out.append(last * n)
            i = rep.end()
        elif c == "\\" and i + 1 < len(pattern):
            code = CODES.match(pattern, i)
            if code:
                out.append(rnd.choice(ESCAPE_TEXT.get(code.group(), "A")))
                i = code.end()
            else:
                out.append(rnd.choice(ESCAPE_TEXT.get(pattern[i:i + 2], pattern[i + 1])))
                i += 2
        elif c == "[" and "]" in pattern[i + 2:]:
            j = pattern.index("]", i + 2)
            inner = pattern[i + 1:j].lstrip("^")
            names = re.findall(r"\[:\^?(\w+):", inner)
            if names and rnd.random() < 0.7:
                out.append(rnd.choice(CLASS_TEXT.get(rnd.choice(names), "a")))
                j = pattern.find("]", pattern.find(":]", i) + 2)
                j = len(pattern) - 1 if j < 0 else j
            else:
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
            p = rnd.choice(BLANKS) + p + rnd.choice(BLANKS)
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


def long_lines():
    """Lines at the scanner's limit and one byte past it: a CR counts, the LF not, a BOM counts;
    a comment or a last line without LF fails too, and before an earlier pattern's syntax."""
    a = lambda n: "a" * n
    return [
        {"rules": a(MAX_LINE) + "\n", "paths": [a(MAX_LINE), "a"]},
        {"rules": a(MAX_LINE), "paths": [a(MAX_LINE)]},
        {"rules": a(MAX_LINE + 1), "paths": ["a"]},
        {"rules": "x\n" + a(MAX_LINE + 1) + "\n", "paths": ["x"]},
        {"rules": a(MAX_LINE - 1) + "\r\n", "paths": [a(MAX_LINE - 1)]},
        {"rules": a(MAX_LINE) + "\r\n", "paths": ["a"]},
        {"rules": "[\n#" + a(MAX_LINE) + "\n", "paths": ["a"]},
        {"rules": "\ufeff" + a(MAX_LINE - 3), "paths": [a(MAX_LINE - 3)]},
        {"rules": "\ufeff" + a(MAX_LINE - 2), "paths": ["a"]},
        {"rules": "é" * (MAX_LINE // 2) + "\n", "paths": ["é" * (MAX_LINE // 2)]},
        {"rules": "é" * (MAX_LINE // 2 + 1) + "\n", "paths": ["a"]},
    ]


def repetitions():
    """Repetitions Go's regexp refuses (after another repetition, at the start of a later
    alternative, counts out of range), so that matching fails and a later pattern that would
    match goes unused; braces it reads as characters; and long ones it accepts."""
    return [{"rules": f"{p}\nsecret\n", "paths": ["secret", "x/secret", "ab"]}
            for p in ["a*{2}", "x*|{2}", "a?{1001}", "a?{2,1}", "a?{2}{3}", "**/a?{100000000}", "a?{1,100000000}",
                      "**/b*{0}", "a?{2}{x", "a*{01}", "a*{,2}", "a*{1,x}"]] + [
        {"rules": f"{p}\nsecret\n", "paths": ["secret", "ab", "a" * 999, "a" * 1000, "a" * 1001, "b" + "a" * 1000]}
        for p in ["?a{999}", "?a{998,}", "?a{0,999}", "{0}?a{999}", "?" + "a{1000}" * 19, "[a-c]{500}a{500}"]] + [
        # Exact patterns (no wildcard) are matched as written: their braces are no repetitions,
        # and take nothing of the file's repetition budget from the pattern after them.
        {"rules": "a{1000}\n" * 30 + "b?{2}\n", "paths": ["bxy", "a{1000}", "a" * 1000]}]


def quotes():
    """`\\Q...\\E` reads what patternmatcher writes as literal text (`[^/]*` for a `*`, `\\.` for
    a `.`), up to the first `\\E` in it, or to the end with the `$` patternmatcher appends."""
    return [{"rules": f"x*{p}\nsecret\n", "paths": ["secret"] + ["x" + t for t in texts]}
            for p, texts in [("\\Q*.\\E", ["[^/]*\\.", "ab.", "*."]), ("\\Qab", ["ab$", "ab", "ab\\$"]),
                             ("\\Qab\\", ["ab\\$", "ab\\", "ab$"]), ("\\Q\\\\E", ["\\", "\\\\", "\\E"]),
                             ("\\Qa\\Eb?\\E", ["ab/", "abc", "a\\Ebc"]), ("\\Q**/a\\E", ["(.*/)?a", "a", "b/a"]),
                             ("\\Q|\\E{2}", ["||", "|"]), ("\\A\\Qx\\E", ["x", "xx"]), ("|\\Ax", ["x", "yx"])]]


def go_answers(cases):
    out = subprocess.run([os.path.join(ROOT, "tools", "go-trixie.sh"), "run", os.path.join(ROOT, "tools", "ignore-go")],
                         input=json.dumps(cases), stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit("ignore_differential: tools/ignore-go failed (its message is above)")
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    cases = long_lines() + repetitions() + quotes()
    while len(cases) < args.cases:
        c = gen_case(rnd)
        if c is not None:
            cases.append(c)
    subprocess.run(["cargo", "build", "--locked", "-q", "-p", "stagecraft-analysis", "--example", "ignore_match"],
                   cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "debug", "examples", "ignore_match")
    out = subprocess.run([exe], input=json.dumps(cases), capture_output=True, text=True, check=True)
    ours = json.loads(out.stdout)
    theirs = go_answers(cases)
    assert len(ours) == len(theirs) == len(cases)
    bad = 0
    kinds = {"error": 0, "match": 0, "no match": 0, "fails": 0}
    for case, got, want in zip(cases, ours, theirs):
        if "error" in want:
            kinds["error"] += 1
        else:
            for m in want["matches"]:
                kinds["fails" if m is None else "match" if m else "no match"] += 1
        if got != want:
            bad += 1
            if bad <= 20:
                short = lambda v: (lambda t: t if len(t) < 300 else t[:300] + "…")(json.dumps(v, ensure_ascii=False))
                print("DIFFERENT", short(case["rules"]), short(case["paths"]), file=sys.stderr)
                print("  buildkit:  ", short(want), file=sys.stderr)
                print("  stagecraft:", short(got), file=sys.stderr)
    print(f"{len(cases)} ignore files, {sum(kinds.values()) - kinds['error']} paths "
          f"({kinds['match']} excluded, {kinds['no match']} not, {kinds['fails']} failing), "
          f"{kinds['error']} files rejected: {bad} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
