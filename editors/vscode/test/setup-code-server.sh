#!/usr/bin/env bash
# Installs what the real-editor test needs, idempotently: Debian packages (Chromium, the -dev
# headers code-server's native modules build against), Node 24 and code-server, and the test's
# own npm packages. Follows ../../../../shared/NOTES.md ("VS Code ... code-server").
#
# Tools go to $STAGECRAFT_TOOLS_DIR (default: <repo>/target/tools, git-ignored).
# Prints, as its last line, nothing but what it did; source-able variables are written to
# $TOOLS/env.sh (PATH with Node 24 first, CODE_SERVER, CHROMIUM).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
TOOLS="${STAGECRAFT_TOOLS_DIR:-$repo/target/tools}"
CODE_SERVER_VERSION="4.139.1"
mkdir -p "$TOOLS"
export npm_config_loglevel="${npm_config_loglevel:-error}" npm_config_fund=false npm_config_audit=false
t0=$SECONDS

# 1. Debian packages. Only when something is missing, so reruns do not touch apt.
"$repo/tools/apt-install.sh" chromium libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config \
  build-essential python3 fonts-dejavu-core

# 2. Node 24 (the npm package ships the binary and its headers), shared with the other parts.
node_bin="$("$repo/tools/node.sh" --pinned)"
NODE_PKG_VERSION="$("$node_bin/node" --version)"
NODE_PKG_VERSION="${NODE_PKG_VERSION#v}"
export PATH="$node_bin:$PATH"
# A machine's npmrc may point nodedir at another Node's headers (here, /usr: Node 20); native
# modules must build for 24.
export npm_config_nodedir="$(dirname "$node_bin")"

# 3. code-server.
cs_dir="$TOOLS/code-server"
cs_bin="$cs_dir/node_modules/.bin/code-server"
installed_cs="$(cat "$cs_dir/.installed" 2>/dev/null || true)"
if [[ ! -x "$cs_bin" || "$installed_cs" != "$CODE_SERVER_VERSION/$NODE_PKG_VERSION" ]]; then
  echo "== installing code-server $CODE_SERVER_VERSION into $cs_dir (takes a few minutes)"
  rm -rf "$cs_dir"; mkdir -p "$cs_dir"
  (cd "$cs_dir" && echo '{"private":true}' > package.json \
    && printf 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n' > config.yaml \
    && npm install --no-package-lock --foreground-scripts "code-server@$CODE_SERVER_VERSION" > install.log 2>&1) \
    || { tail -40 "$cs_dir/install.log"; echo "code-server install failed (log: $cs_dir/install.log)"; exit 1; }
  echo "$CODE_SERVER_VERSION/$NODE_PKG_VERSION" > "$cs_dir/.installed"
fi

# 4. The test's own packages (playwright-core), from its lock file.
"$repo/tools/npm-ci.sh" "$here"

cat > "$TOOLS/env.sh" <<ENV
export PATH="$node_bin:\$PATH"
export npm_config_nodedir="$npm_config_nodedir"
export CODE_SERVER="$cs_bin"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
ENV
echo "== tools ready in $((SECONDS - t0)) s: node $("$node_bin/node" --version), code-server $("$cs_bin" --config "$cs_dir/config.yaml" --version 2>/dev/null | grep -v ' info ' | head -1)"
