#!/usr/bin/env bash
# Installs what the web tests need (Debian's Chromium, the npm packages), builds web/dist and runs
# the browser tests. Screenshots and downloads land in artifacts/web/.
# Usage: web/tests/run.sh   (against the real wasm, which build.sh builds)
set -euo pipefail
cd "$(dirname "$0")/.."

../tools/apt-install.sh chromium
# A Node new enough for playwright-core (the machine's, else a pinned one).
PATH="$(../tools/node.sh):$PATH"
export PATH

./build.sh
echo "== browser tests"
exec node tests/run.mjs "$@"
