#!/usr/bin/env bash
# Serves web/dist on 127.0.0.1: the explorer at /, the docs sample at /docs/.
# Usage: web/serve.sh [PORT]   (default 8765; run web/build.sh first)
set -euo pipefail
cd "$(dirname "$0")"
port="${1:-8765}"
if [[ ! -d dist ]]; then
  echo "serve.sh: web/dist does not exist; run web/build.sh first" >&2
  exit 1
fi
echo "explorer:    http://127.0.0.1:$port/"
echo "docs sample: http://127.0.0.1:$port/docs/"
exec python3 -m http.server --bind 127.0.0.1 --directory dist "$port"
