#!/usr/bin/env bash
# The wasm package (crates/wasm) for the browser.
#   tools/wasm.sh setup   installs the wasm32 target, the wasm-bindgen CLI of the version in
#                         Cargo.lock, and npm's binaryen (web/node_modules) when missing or
#                         older than web/package-lock.json
#   tools/wasm.sh build   cargo (profile `wasm`) -> wasm-bindgen --target web -> wasm-opt,
#                         into web/pkg/; prints the sizes (raw and gzipped) and fails over the
#                         150 KB gzipped budget. The standard library is rebuilt for size with
#                         the pinned nightly toolchain (tools/nightly.sh; -Z build-std, panics abort without messages):
#                         that is what brings the module from ~167 KB to ~153 KB gzipped.
#   tools/wasm.sh test    the wasm-bindgen-test suite of crates/wasm, in Node
set -euo pipefail
cd "$(dirname "$0")/.."

wbg_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

setup() {
  if ! rustup target list --installed | grep -x wasm32-unknown-unknown >/dev/null; then
    rustup target add wasm32-unknown-unknown
  fi
  local want
  want="$(wbg_version)"
  if ! wasm-bindgen --version 2>/dev/null | grep " $want\$" >/dev/null; then
    # Not --locked: the CLI's lock file names a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$want"
  fi
  # Node and npm (wasm-bindgen-test runs in Node; npm brings binaryen and the web tests' packages):
  # the machine's when it is new enough, else a pinned one (tools/node.sh).
  PATH="$(tools/node.sh):$PATH"
  export PATH
  tools/npm-ci.sh web
}

build() {
  setup
  local nightly
  nightly="$(tools/nightly.sh)"
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
    cargo +"$nightly" build --locked -Z build-std=std,panic_abort --profile wasm \
      --target wasm32-unknown-unknown --target-dir target/wasm-build -p stagecraft-wasm
  rm -rf web/pkg
  wasm-bindgen --target web --out-dir web/pkg target/wasm-build/wasm32-unknown-unknown/wasm/stagecraft_wasm.wasm
  # npm's binaryen: Debian's (108) writes modules that fail to load.
  # The control flow is flattened and rebuilt first (--flatten --rereloop: 1.4 KB gzipped, the
  # 500-stage analyze + renderSvg ≈1% slower in Node; see the README), functions that differ
  # only in constants are merged (0.5 KB), and -Oz runs twice (the second finds 0.5 KB the first
  # leaves; between them, a whole-module flow analysis of the values each place can hold:
  # --gufa-optimizing, 34 B), all of it again while the module shrinks (--converge: 0.4 KB more
  # at stop 47; with the flow analysis 0.3 KB on its last build, in 31 s instead of 12), each
  # pass free to assume that the first KB of memory is unused (--low-memory-unused, 0.97 KB: an
  # address plus a constant becomes a load's offset, which differs only where the sum wraps
  # around, which no address Rust computes does; Rust's wasm32 stack comes first, growing down
  # from 1 MB, its data after it); the producers and target-features sections are metadata for
  # tools, not for browsers. (Not --ignore-implicit-traps, 137 B more: with it a load may be
  # moved out of the branch that guards it, and trap where the code never loaded.)
  web/node_modules/.bin/wasm-opt --flatten --rereloop --merge-similar-functions -Oz --gufa-optimizing -Oz --converge \
    --low-memory-unused \
    --strip-producers --strip-target-features \
    web/pkg/stagecraft_wasm_bg.wasm -o web/pkg/stagecraft_wasm_bg.wasm
  local raw gz
  raw=$(wc -c < web/pkg/stagecraft_wasm_bg.wasm)
  gz=$(gzip -9 -c web/pkg/stagecraft_wasm_bg.wasm | wc -c)
  echo "web/pkg/stagecraft_wasm_bg.wasm: $raw bytes, $gz gzipped (budget 153600)"
  if (( gz > 153600 )); then
    echo "tools/wasm.sh: the wasm package is over its 150 KB gzipped budget" >&2
    exit 1
  fi
}

run_tests() {
  setup
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --locked --target wasm32-unknown-unknown -p stagecraft-wasm
}

case "${1:-}" in
  setup) setup ;;
  build) build ;;
  test) run_tests ;;
  *) echo "usage: tools/wasm.sh setup|build|test" >&2; exit 2 ;;
esac
