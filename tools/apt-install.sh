#!/usr/bin/env bash
# Installs the Debian packages given that are not installed yet; does nothing (and does not touch
# apt) when all are. The package lists are refreshed at most once an hour across the scripts
# that call this, so a CI run that needs Chromium, Neovim and code-server's build tools refreshes
# them once.
# Usage: tools/apt-install.sh PACKAGE...
set -euo pipefail
need=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
((${#need[@]})) || exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-install: missing ${need[*]}, and this system has no apt-get: install them yourself" >&2
  exit 1
fi
# Root installs; anyone else needs sudo.
sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "apt-install: installing ${need[*]} needs root: run as root, install sudo, or install them yourself" >&2
    exit 1
  fi
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
echo "== apt-get install ${need[*]}"
marker="${TMPDIR:-/tmp}/stagecraft-apt-lists"
if [[ -z "$(find "$marker" -mmin -60 2>/dev/null)" ]]; then
  "${sudo[@]}" apt-get update -qq
  touch "$marker"
fi
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
