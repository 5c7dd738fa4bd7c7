#!/usr/bin/env bash
# Builds the web front ends into web/dist/:
#   dist/index.html          the explorer (+ explorer.js, explorer.css)
#   dist/embed/              stagecraft-embed.js + stagecraft-embed.css, the docs embed
#   dist/docs/index.html     the docs sample page
#   dist/pkg/                the wasm package, copied from web/pkg/
# Network: the npm registry when node_modules is out of date; the wasm step (tools/wasm.sh)
# may add the wasm32 target and the pinned nightly toolchain with rust-src (tools/nightly.sh)
# with rustup, and install wasm-bindgen-cli from crates.io, the first time.
# Usage: web/build.sh
set -euo pipefail
cd "$(dirname "$0")"
# A Node new enough for esbuild and the web tests (the machine's, else a pinned one).
PATH="$(../tools/node.sh):$PATH"
export PATH

# ---------------------------------------------------------------------------------------------
# WASM BUILD
# web/pkg/stagecraft_wasm.js and web/pkg/stagecraft_wasm_bg.wasm from crates/wasm: cargo build
# --target wasm32-unknown-unknown, wasm-bindgen --target web, npm binaryen's wasm-opt. Set
# STAGECRAFT_SKIP_WASM=1 to keep an existing web/pkg (e.g. when only the pages changed).
if [[ -z "${STAGECRAFT_SKIP_WASM:-}" || ! -f pkg/stagecraft_wasm.js ]]; then
  echo "== wasm package"
  ../tools/wasm.sh build
fi
# ---------------------------------------------------------------------------------------------

echo "== npm dependencies"
../tools/npm-ci.sh .

echo "== bundle"
esbuild=node_modules/.bin/esbuild
common=(--bundle --minify --sourcemap --target=es2022 --log-level=warning)
rm -rf dist
mkdir -p dist/embed dist/docs

# The explorer: an ES module; the example Dockerfile is bundled in as text.
"$esbuild" explorer/main.js "${common[@]}" --format=esm --loader:.Dockerfile=text --outfile=dist/explorer.js
"$esbuild" explorer/style.css --bundle --minify --log-level=warning --outfile=dist/explorer.css
cp explorer/index.html dist/index.html

# The embed: a classic script (IIFE), so that docs pages can include it with a plain <script src>.
"$esbuild" embed/stagecraft-embed.js "${common[@]}" --format=iife --outfile=dist/embed/stagecraft-embed.js
"$esbuild" embed/stagecraft-embed.css --bundle --minify --log-level=warning --outfile=dist/embed/stagecraft-embed.css
cp docs-sample/index.html dist/docs/index.html

if [[ -d pkg ]]; then
  mkdir -p dist/pkg
  cp -R pkg/. dist/pkg/
fi

echo "== built web/dist ($(du -sh dist | cut -f1))"
