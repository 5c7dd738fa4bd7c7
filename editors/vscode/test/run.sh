#!/usr/bin/env bash
# The extension's real-editor test: installs Node 24 + code-server + Chromium (idempotent),
# builds the .vsix, then drives VS Code (code-server) in Chromium against the real server binary.
# Usage: editors/vscode/test/run.sh
# Env: STAGECRAFT_BIN (default target/release/stagecraft, else target/debug/stagecraft), and the
# others listed at the top of run.mjs. Screenshots and logs: artifacts/vscode/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
TOOLS="${STAGECRAFT_TOOLS_DIR:-$repo/target/tools}"

t=$SECONDS
"$here/setup-code-server.sh"
# shellcheck source=/dev/null
source "$TOOLS/env.sh"
echo "== setup: $((SECONDS - t)) s"

t=$SECONDS
"$here/../build.sh"
echo "== build: $((SECONDS - t)) s"

# Last, so its summary ("vscode-e2e: N passed, N failed, N skipped") closes the output.
exec node "$here/run.mjs" "$@"
