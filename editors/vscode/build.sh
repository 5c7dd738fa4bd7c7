#!/usr/bin/env bash
# Builds the extension: npm ci, copy the wasm build (web/pkg, from `tools/wasm.sh build`) into
# media/wasm/ and web/shared/graph-theme.css and graph-edges.js into media/ for the graph webview, type check, unit tests, bundle (esbuild), package
# (@vscode/vsce) into editors/vscode/stagecraft.vsix. Runs on Node 20 or later (tools/node.sh).
set -euo pipefail
cd "$(dirname "$0")"
PATH="$(../../tools/node.sh):$PATH"
export PATH
export npm_config_loglevel="${npm_config_loglevel:-error}" npm_config_fund=false npm_config_audit=false
t0=$SECONDS

# The stage graph webview renders with the wasm build; it goes into the .vsix under media/wasm/.
echo "== wasm package (web/pkg -> media/wasm)"
pkg=../../web/pkg
wasm_files=(stagecraft_wasm.js stagecraft_wasm_bg.wasm)
for f in "${wasm_files[@]}"; do
  if [[ ! -s "$pkg/$f" ]]; then
    echo "build.sh: missing $(cd ../.. && pwd)/web/pkg/$f: the graph webview needs the wasm build; run tools/wasm.sh build first" >&2
    exit 1
  fi
done
rm -rf media/wasm
mkdir -p media/wasm
for f in "${wasm_files[@]}"; do cp "$pkg/$f" media/wasm/; done
# The graph's colours on dark themes and its edges' tooltips, shared with the explorer and the
# docs embed.
cp ../../web/shared/graph-theme.css media/graph-theme.css
cp ../../web/shared/graph-edges.js media/graph-edges.js

../../tools/npm-ci.sh .

echo "== type check"
npx --no-install tsc -p . --noEmit

echo "== unit tests"
node esbuild.mjs --unit
node --test out/unit/*.test.cjs

echo "== bundle"
rm -rf dist
node esbuild.mjs

echo "== package"
rm -f stagecraft.vsix
npx --no-install vsce package --no-dependencies --out stagecraft.vsix
echo "== built $(pwd)/stagecraft.vsix ($(du -k stagecraft.vsix | cut -f1) KiB) in $((SECONDS - t0)) s"
