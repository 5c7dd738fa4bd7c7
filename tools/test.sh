#!/usr/bin/env bash
# Runs every test of stagecraft. Installs what the tests need on a fresh machine first.
# Usage: tools/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (workspace)"
cargo test --workspace --locked

echo "== the language server in a real editor (headless Neovim)"
cargo build --locked -q -p stagecraft
tests/nvim/run.sh target/debug/stagecraft

echo "== all tests passed"
