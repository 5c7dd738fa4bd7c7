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
# Filetypes with `setup()` in init.lua, as the README shows it: Neovim turns detection on after
# init.lua, so the plugin's rules come first there, and `Dockerfile.*` must stay below Neovim's
# own (Dockerfile.yaml is YAML).
mkdir -p "$work/ft"
printf 'vim.opt.runtimepath:prepend([[%s]])\nrequire("stagecraft").setup({ autostart = false })\n' "$plugin" > "$work/ft/init.lua"
names="Dockerfile.yaml Containerfile.json Dockerfile.sh Containerfile.dev Dockerfile.dev api.Dockerfile"
for n in $names; do printf 'FROM alpine\n' > "$work/ft/$n"; done
(
  cd "$work/ft" &&
    HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
      XDG_STATE_HOME="$work/home/.local/state" timeout 30 "$nvim" --headless -u "$work/ft/init.lua" -i NONE -n \
      -c "lua local out = {} for _, n in ipairs(vim.split('$names', ' ')) do vim.cmd('edit ' .. n) vim.wait(200, function() return vim.bo.filetype ~= '' end) out[#out + 1] = n .. '=' .. vim.bo.filetype end vim.fn.writefile({ table.concat(out, ' ') }, 'filetypes.txt')" \
      -c 'qa!'
) >/dev/null 2>&1
want="Dockerfile.yaml=yaml Containerfile.json=json Dockerfile.sh=sh Containerfile.dev=dockerfile Dockerfile.dev=dockerfile api.Dockerfile=dockerfile"
got="$(cat "$work/ft/filetypes.txt" 2>/dev/null)"
if [ "$got" = "$want" ]; then
  echo "PASS 13 with setup() in init.lua, Dockerfile.* stays below Neovim's own filetype rules"
  passed=$((passed + 1))
else
  echo "FAIL 13 with setup() in init.lua, Dockerfile.* stays below Neovim's own filetype rules: $got"
  failed=$((failed + 1))
fi
echo "($("$nvim" --version | head -1), ${elapsed} ms)"
echo "nvim-plugin: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
