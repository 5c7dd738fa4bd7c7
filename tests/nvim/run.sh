#!/usr/bin/env bash
# Headless Neovim as a real LSP client of `stagecraft lsp`. Installs Neovim when missing.
# Usage: tests/nvim/run.sh [path/to/stagecraft]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
bin="${1:-$root/target/debug/stagecraft}"
command -v nvim >/dev/null 2>&1 || "$root/tools/apt-install.sh" neovim
[ -x "$bin" ] || (cd "$root" && cargo build --locked -q -p stagecraft)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/multistage.Dockerfile" "$work/Dockerfile"
STAGECRAFT_BIN="$bin" DOCKERFILE="$work/Dockerfile" \
  timeout 60 nvim --headless -u NONE -i NONE -n -c "luafile $here/real_client.lua"
