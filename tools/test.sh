#!/usr/bin/env bash
# Runs every test of stagecraft. Each part installs what it needs on a fresh machine when it is
# missing (Neovim, Chromium, Node and npm through tools/node.sh (the machine's Node 20+, else a
# pinned Node 24), the wasm toolchain with the pinned nightly, npm packages, code-server on the
# pinned Node 24, Python's venv and BuildKit's parser from PyPI, and Go with BuildKit's libraries
# from Debian 13's archive, unpacked by tools/go-trixie.sh).
# Usage: tools/test.sh [PART...]   PART: rust differential nvim-lsp wasm web nvim vscode
#   (default: all, in order)
# Artifacts (screenshots, logs): artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
parts=("$@")
[[ ${#parts[@]} -gt 0 ]] || parts=(rust differential nvim-lsp wasm web nvim vscode)
bin=target/debug/stagecraft

declare -a timings=()
run_part() {
  local t=$SECONDS
  case "$1" in
    rust)
      echo "== cargo test (workspace)"
      cargo test --workspace --locked
      echo "== the analysis as the browser build has it, without large-files: targets walked, not"
      echo "   counted with bit sets; variable bases' patterns not grouped"
      # (The workspace's tests turn the feature on; the browser build leaves it out.)
      cargo test --locked -q -p stagecraft-analysis --no-default-features \
        --features build-failures,named-contexts,probe --lib --test large --test counts_corpus --test queries
      echo "== the fuzz targets compile (their own workspace: CI fuzzes them with nightly)"
      cargo check --locked -q --manifest-path fuzz/Cargo.toml --bins
      ;;
    differential)
      echo "== the parser against BuildKit's own (PyPI's dockerfile wheel) on generated files"
      # Python with venv (Debian splits venv's ensurepip into python3-venv).
      if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        tools/apt-install.sh python3 python3-venv
      fi
      tools/differential.py
      echo "== the .dockerignore matcher against BuildKit's own (moby/patternmatcher on Go, from Debian 13)"
      tools/ignore_differential.py --cases 40000
      echo "== Git sources against Go's net/url (tools/gitref-go: BuildKit's dfgitutil on Debian 13's Go),"
      echo "   image references against BuildKit's distribution/reference and go-digest, platforms against"
      echo "   containerd/platforms, tmpfs sizes against go-units, STOPSIGNAL against moby/sys/signal, and"
      echo "   Go's standard library where BuildKit's answers depend on it (tools/oracle-go: Unicode"
      echo "   classes and case, ParseBool, Quote, ParseDuration, ParseFloat, EXPOSE addresses, exec-form"
      echo "   JSON, the regexp behind \${a#pattern} and \${a/pattern/text})"
      for test in analysis:gitref::tests::against_go analysis:reference::tests::against_go \
        analysis:platform::tests::against_go analysis:go_std::unicode_against_go analysis:go_std::lines_against_go \
        syntax:json::tests::against_go syntax:shell::tests::patterns_against_go; do
        # (Checked to have run: a renamed test would otherwise pass by running nothing.)
        out="$(cargo test --locked -q -p "stagecraft-${test%%:*}" --lib "${test#*:}" -- --ignored --exact 2>&1)" \
          || { echo "$out"; exit 1; }
        echo "$out"
        [[ $out == *"1 passed"* ]] || { echo "the Go differential $test did not run" >&2; exit 1; }
      done
      ;;
    nvim-lsp)
      echo "== the language server in a real editor (headless Neovim, no plugin)"
      cargo build --locked -q -p stagecraft
      tests/nvim/run.sh "$bin"
      ;;
    wasm)
      echo "== the wasm API (wasm-bindgen-test in Node)"
      tools/wasm.sh test
      ;;
    web)
      echo "== the explorer and the docs embed in Chromium (builds the wasm package)"
      web/tests/run.sh
      ;;
    nvim)
      echo "== the Neovim plugin in headless Neovim"
      cargo build --locked -q -p stagecraft
      editors/nvim/test/run.sh "$bin"
      ;;
    vscode)
      echo "== the VS Code extension in code-server + Chromium"
      cargo build --locked -q -p stagecraft
      tools/wasm.sh build # the webview bundles it (cargo has nothing to do after the web part)
      STAGECRAFT_BIN="$bin" editors/vscode/test/run.sh
      ;;
    *)
      echo "unknown part '$1' (expected: rust differential nvim-lsp wasm web nvim vscode)" >&2
      exit 2
      ;;
  esac
  timings+=("$1 $((SECONDS - t))s")
}

for part in "${parts[@]}"; do
  run_part "$part"
done
echo "== all tests passed (${timings[*]})"
