#!/usr/bin/env bash
# `npm ci` in DIR, from its package-lock.json, unless node_modules already holds what the lock file
# says: npm writes node_modules/.package-lock.json when it installs, so one newer than the lock
# file is up to date (a changed lock file, after a pull, is newer again). The one freshness check
# of the scripts that install npm packages (tools/wasm.sh, web/build.sh, editors/vscode/build.sh,
# editors/vscode/test/setup-code-server.sh).
# Usage: tools/npm-ci.sh DIR
set -euo pipefail
dir="$1"
if [[ -f "$dir/node_modules/.package-lock.json" && "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]]; then
  exit 0
fi
echo "== npm ci in $dir"
(cd "$dir" && npm ci --no-audit --no-fund >/dev/null)
