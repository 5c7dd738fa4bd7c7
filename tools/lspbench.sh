#!/usr/bin/env bash
# The language-server benchmark: ../shared/bench/lspbench.py against `stagecraft lsp` and, in
# the same run, docker-langserver (npm dockerfile-language-server-nodejs), on the generated
# 500-stage file. Installs the peer into target/tools/peers when missing.
# Usage: tools/lspbench.sh [-n REQUESTS] [-r RUNS]   (results in target/lspbench/*.json and a table)
# Each server is started RUNS times (default 3), alternating; every figure in the table is the
# median over the runs (a server's first start after a build pays for a cold page cache).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
shared="${STAGECRAFT_SHARED:-$root/../shared}"
n=20
runs=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    -r) runs="$2"; shift 2 ;;
    *) echo "usage: tools/lspbench.sh [-n REQUESTS] [-r RUNS]" >&2; exit 2 ;;
  esac
done

out="$root/target/lspbench"
mkdir -p "$out" "$root/target/bench-data"
big="$root/target/bench-data/big.Dockerfile"
if [[ ! -f "$big" || ! -f "$big.positions.json" ]]; then
  python3 "$shared/bench/gen_big.py" --stages 500 -o "$big"
fi

# docker-langserver runs on Node (the machine's when it is new enough, else a pinned one).
PATH="$(tools/node.sh):$PATH"
export PATH
peers="$root/target/tools/peers"
# Pinned, so that figures can be compared across runs.
peer_version=0.15.0
if ! grep -qs "\"version\": \"$peer_version\"" "$peers/node_modules/dockerfile-language-server-nodejs/package.json"; then
  mkdir -p "$peers"
  npm install --prefix "$peers" --no-audit --no-fund "dockerfile-language-server-nodejs@$peer_version" >/dev/null
fi

cargo build --release --locked -q -p stagecraft

run() {
  local name="$1" i="$2"
  shift 2
  echo "== $name (run $i of $runs)" >&2
  python3 "$shared/bench/lspbench.py" --file "$big" --positions "$big.positions.json" -n "$n" \
    --hover --references --json "$out/$name.$i.json" --stderr "$out/$name.$i.stderr" -- "$@" >&2
}
rm -f "$out"/*.json
for i in $(seq 1 "$runs"); do
  run stagecraft "$i" "$root/target/release/stagecraft" lsp
  run docker-langserver "$i" "$peers/node_modules/.bin/docker-langserver" --stdio
done

python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
runs = {
    name: [json.load(open(f)) for f in sorted(glob.glob(os.path.join(out, f"{name}.*.json")))]
    for name in ("stagecraft", "docker-langserver")
}

def median(rs, path):
    values = []
    for d in rs:
        for p in path:
            d = d.get(p) if isinstance(d, dict) else None
        if isinstance(d, (int, float)):
            values.append(d)
    return statistics.median(values) if values else None

def ms(rs, *path):
    d = median(rs, path)
    if d is None:
        return "unsupported"
    return f"{d:.2f} ms" if d < 10 else f"{d:.0f} ms"

def mib(rs, *path):
    d = median(rs, path)
    return "n/a" if d is None else f"{d:.0f} MiB"

rows = [
    ("open → diagnostics", "10 ms", lambda r: ms(r, "open_to_first_diagnostics_ms")),
    ("definition (median)", "1 ms", lambda r: ms(r, "definition", "median_ms")),
    ("references (median)", "1 ms", lambda r: ms(r, "references", "median_ms")),
    ("rename (median)", "5 ms", lambda r: ms(r, "rename", "median_ms")),
    ("hover (median)", "", lambda r: ms(r, "hover", "median_ms")),
    ("documentSymbol (median)", "", lambda r: ms(r, "documentSymbol", "median_ms")),
    ("edit → diagnostics (median)", "10 ms", lambda r: ms(r, "change_to_diagnostics", "median_ms")),
    ("memory after open (RSS)", "", lambda r: mib(r, "mem_after_open", "VmRSS_MiB")),
    ("peak memory (VmHWM)", "25 MiB", lambda r: mib(r, "mem_final", "tree_VmHWM_MiB")),
]
first = runs["stagecraft"][0]
diags = {n: rs[0].get("diagnostics_count") for n, rs in runs.items()}
print(f"\n{first['lines']}-line file, {first['bytes']} bytes, {len(runs['stagecraft'])} runs per server "
      f"(medians); diagnostics on open: " + ", ".join(f"{n} {c}" for n, c in diags.items()) + "\n")
print("| | target | stagecraft | docker-langserver |")
print("|---|---|---|---|")
for label, target, f in rows:
    print(f"| {label} | {target} | {f(runs['stagecraft'])} | {f(runs['docker-langserver'])} |")
PY
