#!/usr/bin/env bash
# The Neovim plugin in a real headless Neovim against the real `stagecraft lsp`.
# Usage: editors/nvim/test/run.sh [path/to/stagecraft]
#   NVIM=/path/to/nvim picks the Neovim to run (default: nvim on PATH; Debian's 0.7.2 works).
# Prints PASS/FAIL per check and "nvim-plugin: N passed, N failed"; exits non-zero on any failure
# or when Neovim does not finish within 120 seconds.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
plugin="$(cd "$here/.." && pwd)"
root="$(cd "$plugin/../.." && pwd)"
bin="${1:-$root/target/debug/stagecraft}"
nvim="${NVIM:-nvim}"

if [ -z "${NVIM:-}" ] && ! command -v nvim >/dev/null 2>&1; then
  "$root/tools/apt-install.sh" neovim || true
fi
if ! command -v "$nvim" >/dev/null 2>&1; then
  echo "FAIL: $nvim not found (Debian: apt-get install neovim)"
  echo "nvim-plugin: 0 passed, 1 failed"
  exit 1
fi
if [ ! -x "$bin" ]; then
  echo "FAIL: no stagecraft binary at $bin (build it: cargo build -p stagecraft)"
  echo "nvim-plugin: 0 passed, 1 failed"
  exit 1
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The project: a git root holding app/ (two Dockerfiles sharing one server), another root for the
# missing-binary check, a text copy for the CLI fallback, and `stagecraft` on PATH the way a user
# has it, with HOME and CARGO_HOME pointing nowhere useful.
mkdir -p "$work/project/.git" "$work/project/app" "$work/other/.git" "$work/bin" "$work/home"
cp "$here/fixtures/Dockerfile" "$work/project/app/Dockerfile"
cp "$here/fixtures/Dockerfile" "$work/project/stages.txt"
printf 'FROM alpine:3.19 AS base\nRUN true\n\nFROM base\n' > "$work/project/app/api.dockerfile"
printf 'FROM alpine:3.19\n' > "$work/project/app/Containerfile.dev"
printf 'FROM alpine:3.19 AS one\nFROM one\n' > "$work/other/Dockerfile"
cp "$work/other/Dockerfile" "$work/other/ext.Dockerfile"
ln -s "$bin" "$work/bin/stagecraft"
mkdir -p "$work/rtp" && cp -r "$plugin/doc" "$work/rtp/doc"

start=$(date +%s%N)
(
  cd "$work/project" &&
    PATH="$work/bin:$PATH" HOME="$work/home" CARGO_HOME="$work/home/.cargo" XDG_CONFIG_HOME="$work/home/.config" \
      XDG_DATA_HOME="$work/home/.local/share" XDG_STATE_HOME="$work/home/.local/state" \
      STAGECRAFT_PLUGIN="$plugin" WORK="$work" \
      timeout 120 "$nvim" --headless -u NONE -i NONE -n -c "luafile $here/plugin_test.lua"
) >"$work/out.log" 2>&1
rc=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$work/out.log"

passed=$(grep -c '^PASS' "$work/out.log")
failed=$(grep -c '^FAIL' "$work/out.log")
if [ "$rc" = 124 ]; then
  echo "FAIL: Neovim did not finish within 120 s"
  failed=$((failed + 1))
elif ! grep -q '^DONE' "$work/out.log"; then
  echo "FAIL: the test script did not run to its end (nvim exit code $rc)"
  failed=$((failed + 1))
elif [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
  echo "FAIL: nvim exited with code $rc"
  failed=$((failed + 1))
fi
echo "($("$nvim" --version | head -1), ${elapsed} ms)"
echo "nvim-plugin: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
