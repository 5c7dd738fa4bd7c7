#!/usr/bin/env python3
"""The parser against BuildKit's own, on Dockerfiles nobody wrote by hand.

BuildKit's parser (moby/buildkit v0.12.5's frontend/dockerfile/parser, compiled into the wheel
of PyPI's `dockerfile` 3.4.0) and stagecraft's (`cargo run --example buildkit_nodes`) read the
same files: seeded random Dockerfile-like texts (keywords in any case, flags of odd shapes, quotes, escapes,
both escape characters, line continuations with blanks, comments and empty lines inside,
heredocs, exec form, CRLF, a BOM, directives) and the real-world corpus. For every instruction
they must agree on the keyword, the joined line (`Original`), the line span, the flags, the
arguments, the exec form and the heredocs (name, fd, content); for every file, on whether the
parse fails. Any other answer is printed and the exit code is 1.

The oracle is newer than v0.12.5 (the corpus's oracle JSON comes from a later BuildKit), so what
changed since is left out, each for a reason in BuildKit's code:
- ENV and LABEL: newer BuildKit adds a separator node after each pair (`=` or empty, for the
  LegacyKeyValueFormat check); it is dropped from our arguments before comparing.
- A heredoc instruction's `Original`: v0.12.5 appended the bodies, newer BuildKit stops at the
  instruction's line; only that line is compared.
- Text after a JSON array: v0.12.5 read the array and ignored the rest, newer BuildKit needs the
  whole text to be JSON (`json.Unmarshal`). Arrays are generated only at the end of a line that
  does not continue.
- Heredocs in ONBUILD triggers: newer BuildKit reads them (`canContainHeredoc` looks through
  ONBUILD). No `<<` is generated on an ONBUILD line, and a file is compared only up to an
  ONBUILD that a continuation gave a heredoc.
- `${X:-w}` glued to text before it (`<<EOF${X:-w}`): newer BuildKit's word splitting keeps only
  what the nested word leaves (its shared word buffer; the shell-lexer vectors in
  crates/syntax/tests/data record it), v0.12.5 kept the whole word. Such forms are not generated
  on a line with a heredoc word, and `${X#p}`, `${X%p}`, `${X/p/r}` (newer) not at all.
- Blanks after `<<` (`<< EOF`): newer BuildKit's lexer keeps them in the word, so it is a
  heredoc; v0.12.5 split there. `<<` is always followed by the name here (or another `<`).
- Blanks that are not ASCII are generated (U+00A0, U+2005, U+3000, U+0085, and ASCII's \v, \f).
  The wheel's binding cannot hand some of BuildKit's answers for them to Python (strings cut
  inside a character): those files are left out and counted. BuildKit's flag loop takes each
  byte for a character, so a flag ends inside U+2005 (at its last byte, 0x85, U+0085 to it); the
  tree's token keeps that whole character, the flag's value ends where BuildKit's does. (Where
  the blank byte is not the character's last, as in `⅐`, BuildKit's arguments start with the
  rest of it, which the binding cannot hand over: such files are among those left out.)
- The binding reports an ONBUILD node's own flags (none) and a nested ONBUILD's arguments as one
  empty string: flags are compared for other instructions, arguments unless the trigger is an
  ONBUILD.

Usage: tools/differential.py [--files N] [--seed S] [--keep DIR]
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "tools", "buildkit-parser")
WHEEL = "dockerfile==3.4.0"  # BuildKit v0.12.5's parser

KEYWORDS = ["FROM", "from", "RUN", "Run", "COPY", "ADD", "ENV", "ARG", "LABEL", "CMD", "ENTRYPOINT",
            "WORKDIR", "USER", "EXPOSE", "VOLUME", "SHELL", "HEALTHCHECK", "HEALTHCHECK CMD",
            "HEALTHCHECK NONE", "HEALTHCHECK --interval=5s CMD", "STOPSIGNAL", "MAINTAINER",
            "ONBUILD RUN", "ONBUILD ENV", "ONBUILD COPY", "ONBUILD", "BOGUS"]
WORDS = ["alpine", "a", "$X", "${X}", "'q w'", '"q w"', '"a\\"b"', "x=y", 'k="v v"', "k='v'", "k=", "=v",
         "--from=b", '--from="b"', "--mount=type=cache,target=/x", '--mount="type=bind,from=b"',
         "--chown=1:1", "--", "-x", "--x", "--link", "AS", "as", "b1", "\\$x", "a\\ b", "é", "#", "#x",
         "x#y", "&&", ";", "|", "\\\\", "$", "\\", "'", '"', "--x=a\\ b", '--x="a b"', "--x='a'b", "--=x", "---x", "--x=",
         "--x==", '--mount=type=secret,id="a b"', "--from=$X", "--chmod=755", "--X=1", "--from",
         "--from=a,b", "-", "--é=1", '"--from=b"', "--from='b'"]
UNICODE_BLANKS = ["\u00a0", "\u2005", "\u3000", "\v", "\f", "\u0085", " \u00a0", "\u2005" + "{esc}\n"]
NESTED = ["${X:-y}", "${X:+a b}", "${X:?err}", "${X-y}", "--platform=${P:-linux}"]
HEREDOCS = ["<<EOF", "<<-EOT", "<<'EOF'", '<<"E"', "2<<EOF", "<<EOF <<EOT", '<<"E F"', "<<E'O'F", "<<-'EOT'",
            "<<EOF>out", "<<EOF|cat", "3<<-E", "<<\\EOF", "<<EOF&&<<EOT", "<<<EOF", "a<<EOF", "<<'EOF",
            "<<EOF <<EOF", "<<EO{esc}\nF", "<<-E{esc}\n  OT"]
ARRAYS = ['["a", "b"]', '["a"]', '[ "x\\ty" ]', '["\\u00e9"]', "[1]", "[]", '["a", "b\\\\"]']
BODY = ["hello", "\tindented", "$X", "EOF x", "\\", "#c", "", "  EOF", "EOF ", "\tEOT ", "E F", "FROM x", "<<EOT"]
TERMINATORS = ["EOF", "EOT", "E", "\tEOT", "\tEOF", "  EOF", "E F", "\t\tEOT", "EOF ", "EOF\t"]


def generate(rng, path):
    esc = "\\"
    lines = []
    if rng.random() < 0.05:
        lines.append("\ufeff# syntax=x")
    r = rng.random()
    if r < 0.2:
        esc = "`"
        lines.append(rng.choice(["# escape=`", "#escape=`", "# ESCAPE = `"]))
    elif r < 0.25:
        lines.append("# escape=\\")
    elif r < 0.28:
        lines.append("# escape=x")
    if rng.random() < 0.1:
        lines.append(rng.choice(["# check=skip=all", "# syntax=docker/dockerfile:1", "# foo=bar", "# escape=`",
                                 "#  syntax  =  x  ", "# syntax=", "#syntax=a b"]))

    # Between words: blanks, continuations (with blanks, empty and comment lines after them), and
    # continuations that glue two words into one.
    joiners = [" "] * 8 + ["\t", "  ", " " + esc + "\n", " " + esc + "\n  ", " " + esc + "\n\n", " " + esc + " \n",
                           " " + esc + "\n# c\n", " " + esc + "\n  # c\n", " " + esc + "\t\n", esc + esc + " ", esc + "\n"]
    # Blanks that are not ASCII (Go's unicode.IsSpace takes them, its regular expressions' \s
    # does not) and ASCII's vertical tab and form feed.
    joiners += UNICODE_BLANKS

    for _ in range(rng.randint(1, 8)):
        if rng.random() < 0.12:
            lines.append(rng.choice(["", "# comment", "  # x", "   ", "#", "\t", "\u00a0# x", "\u3000", "\v"]))
            continue
        keyword = rng.choice(KEYWORDS)
        onbuild = keyword.startswith("ONBUILD")
        # `${X:-w}` and heredoc words never share a line (see the lexer's word splitting above).
        pool = WORDS + (NESTED if onbuild or rng.random() < 0.4 else HEREDOCS)
        text = rng.choice(["", "", "", " ", "\t", "\u00a0", "\u2005"]) + keyword
        for _ in range(rng.randint(0, 5)):
            word = rng.choice(pool).replace("{esc}", esc)
            text += rng.choice(joiners).replace("{esc}", esc) + word
        ends_in_array = rng.random() < 0.3
        if ends_in_array:
            text += " " + rng.choice(ARRAYS + ['["a",' + esc + '\n "b"]'])
        else:
            r = rng.random()
            if r < 0.05:
                text += " " + esc
            elif r < 0.08:
                text += " " + esc + " " + esc
            elif r < 0.1:
                text += "  "
        lines.append(text)
        if "<<" in text and rng.random() < 0.85:
            for _ in range(text.count("<<")):
                lines += [rng.choice(BODY) for _ in range(rng.randint(0, 2))]
                lines.append(rng.choice(TERMINATORS))
        elif ends_in_array and rng.random() < 0.5:
            # Nothing continues an array line: the next line is an instruction of its own.
            lines.append(rng.choice(KEYWORDS[:4]) + " x")
    eol = "\r\n" if rng.random() < 0.1 else "\n"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(eol.join(lines) + (eol if rng.random() < 0.8 else ""))


def ensure_buildkit_parser():
    python = os.path.join(VENV, "bin", "python")
    probe = [python, "-c", "import dockerfile"]
    if not os.path.exists(python) or subprocess.run(probe, capture_output=True).returncode != 0:
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q", "--disable-pip-version-check", WHEEL],
                       check=True)
    return python


# Runs in the venv: BuildKit's answer for each file, as JSON lines.
THEIRS = r"""
import json, sys, dockerfile
for path in sys.argv[1:]:
    try:
        nodes = [{"cmd": (c.cmd or "").upper(), "sub_cmd": c.sub_cmd.upper() if c.sub_cmd else None,
                  "json": c.json, "original": c.original or "", "start_line": c.start_line, "end_line": c.end_line,
                  "flags": list(c.flags), "value": list(c.value),
                  "heredocs": [{"name": h.name, "fd": h.file_descriptor, "content": h.content} for h in c.heredocs]}
                 for c in dockerfile.parse_file(path)]
        print(json.dumps({"file": path, "nodes": nodes, "error": None}))
    except dockerfile.GoParseError as e:
        print(json.dumps({"file": path, "nodes": None, "error": str(e)}))
    except UnicodeDecodeError as e:
        # The wheel's binding hands some strings with characters of more than one byte to
        # Python cut short; such a file is left out (and counted).
        print(json.dumps({"file": path, "skip": str(e)}))
"""


def run_lines(cmd, files):
    out = {}
    for i in range(0, len(files), 500):
        proc = subprocess.run(cmd + files[i:i + 500], capture_output=True, text=True, check=True)
        # (Not `splitlines`: it also splits at U+0085, U+2028 and the like inside the JSON.)
        for line in proc.stdout.split("\n"):
            if not line:
                continue
            d = json.loads(line)
            out[d["file"]] = d
    return out


def differences(ours, theirs):
    """What stagecraft and BuildKit answer differently for one file (empty when they agree)."""
    if theirs["nodes"] is None or ours["errors"]:
        if (theirs["nodes"] is None) != bool(ours["errors"]):
            return [f"BuildKit: {theirs['error'] or 'parses it'}; stagecraft: {ours['errors'] or 'parses it'}"]
        return []
    if len(ours["nodes"]) != len(theirs["nodes"]):
        return [f"{len(ours['nodes'])} instructions, BuildKit {len(theirs['nodes'])}"]
    out = []
    for a, b in zip(ours["nodes"], theirs["nodes"]):
        if a["cmd"] == "ONBUILD" and a["heredocs"] and not b["heredocs"]:
            break  # newer BuildKit reads a trigger's heredocs (a continuation brought `<<` in)
        a = dict(a)
        if (a["sub_cmd"] or a["cmd"]) in ("ENV", "LABEL") and not a["json"]:
            a["value"] = [v for k, v in enumerate(a["value"]) if k % 3 != 2]
        b = dict(b)
        if b["heredocs"]:
            b["original"] = b["original"].split("\n")[0]
        if b["sub_cmd"]:
            b["flags"] = a["flags"]
        if b["sub_cmd"] == "ONBUILD":
            b["value"] = a["value"]
        for key in ("cmd", "sub_cmd", "json", "original", "start_line", "end_line", "flags", "value", "heredocs"):
            if a[key] != b[key]:
                out.append(f"line {b['start_line']} {key}: stagecraft {a[key]!r}, BuildKit {b[key]!r}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=6000, help="generated files (default 6000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write the generated files here instead of a temporary directory")
    a = ap.parse_args()

    python = ensure_buildkit_parser()
    subprocess.run(["cargo", "build", "--locked", "-q", "-p", "stagecraft-syntax", "--example", "buildkit_nodes"],
                   cwd=ROOT, check=True)
    ours_bin = os.path.join(ROOT, "target", "debug", "examples", "buildkit_nodes")

    work = a.keep or tempfile.mkdtemp(prefix="stagecraft-differential-")
    os.makedirs(work, exist_ok=True)
    rng = random.Random(a.seed)
    generated = []
    for i in range(a.files):
        path = os.path.join(work, "gen%05d.Dockerfile" % i)
        generate(rng, path)
        generated.append(path)
    corpus = os.path.join(os.environ.get("STAGECRAFT_SHARED", os.path.join(ROOT, "..", "shared")), "corpus",
                          "real-world")
    real = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f != "INDEX.tsv") if os.path.isdir(corpus) else []
    if not real:
        sys.exit(f"no real-world corpus at {corpus}: set STAGECRAFT_SHARED")

    failed = 0
    for name, files in (("generated", generated), ("real-world", real)):
        ours = run_lines([ours_bin], files)
        theirs = run_lines([python, "-c", THEIRS], files)
        skipped = [f for f in files if "skip" in theirs[f]]
        files = [f for f in files if "skip" not in theirs[f]]
        bad = {f: differences(ours[f], theirs[f]) for f in files}
        bad = {f: d for f, d in bad.items() if d}
        for f, d in list(bad.items())[:20]:
            print(f"== {f}")
            for line in d[:5]:
                print("   " + line)
        print(f"{name}: {len(files)} files, {len(bad)} where stagecraft and BuildKit's parser differ"
              f" ({len(skipped)} left out: the binding could not hand BuildKit's answer over)")
        failed += len(bad)
        # Left-out files compare nothing: more than a tenth of them means the binding (or the
        # generator) changed, and the comparison no longer says much.
        if len(skipped) * 10 > len(skipped) + len(files):
            print(f"{name}: too many files left out ({len(skipped)}): the comparison is not meaningful")
            failed += 1
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
