#!/usr/bin/env bash
# Makes editors/nvim/screenshot.png: a real Neovim with the plugin in tmux, on the test fixture,
# with :StagecraftTargets open; the tmux screen (with its colours) becomes HTML, which headless
# Chromium renders to PNG.
# Usage: editors/nvim/test/screenshot.sh [path/to/stagecraft] [out.png]
#   NVIM=/path/to/nvim picks the Neovim (the README's picture is Neovim 0.11).
# Needs tmux, python3 and chromium (Debian: apt-get install tmux chromium).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
plugin="$(cd "$here/.." && pwd)"
root="$(cd "$plugin/../.." && pwd)"
bin="${1:-$root/target/debug/stagecraft}"
out="${2:-$plugin/screenshot.png}"
nvim="${NVIM:-nvim}"
cols=118
rows=29

work="$(mktemp -d)"
sock="stagecraft-shot-$$"
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/demo/.git" "$work/bin" "$work/home"
cp "$here/fixtures/Dockerfile" "$work/demo/Dockerfile"
ln -s "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" "$work/bin/stagecraft"
cat >"$work/init.lua" <<EOF
vim.opt.runtimepath:prepend('$plugin')
vim.o.termguicolors = true
vim.o.number = true
vim.o.signcolumn = 'yes'
vim.o.shortmess = vim.o.shortmess .. 'I'
vim.cmd('filetype plugin on')
vim.cmd('syntax on')
vim.diagnostic.config({ virtual_text = true })
require('stagecraft').setup({ codelens = true, settings = { buildArgs = { GO_VERSION = '1.23' } } })
EOF
printf 'set -g default-terminal "tmux-256color"\nset -as terminal-overrides ",*:Tc"\nset -g status off\n' >"$work/tmux.conf"

screen() { tmux -L "$sock" capture-pane -p "$@"; }
wait_for() {
  for _ in $(seq 100); do
    if screen | grep -q "$1"; then return 0; fi
    sleep 0.1
  done
  echo "screenshot: timed out waiting for '$1'" >&2
  screen >&2
  return 1
}

(cd "$work/demo" && PATH="$work/bin:$PATH" HOME="$work/home" \
  tmux -L "$sock" -f "$work/tmux.conf" new-session -d -x "$cols" -y "$rows" \
  "$nvim -u $work/init.lua -i NONE -n Dockerfile")
wait_for 'target: stage-3'
wait_for 'is not used'
tmux -L "$sock" send-keys ':StagecraftTargets' Enter
wait_for 'Type number'
screen -e >"$work/screen.ansi"

python3 - "$work/screen.ansi" "$work/screen.html" "$cols" <<'PY'
import html, re, sys

src, dst, cols = sys.argv[1], sys.argv[2], int(sys.argv[3])
BG, FG = (20, 22, 27), (224, 226, 234)  # Neovim 0.10+'s default dark Normal
BASIC = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
         (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139),
         (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255)]

def xterm(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[n // 6 % 6], steps[n % 6]
    v = 8 + 10 * (n - 232)
    return v, v, v

def rgb(c):
    return '#%02x%02x%02x' % c

lines = []
for raw in open(src, encoding='utf-8').read().rstrip('\n').split('\n'):
    st = {'fg': None, 'bg': None, 'b': False, 'i': False, 'u': False, 'r': False}
    parts, width = [], 0
    for tok in re.split(r'(\x1b\[[0-9;:]*m)', raw):
        if tok.startswith('\x1b['):
            codes = [int(x) if x else 0 for x in re.split('[;:]', tok[2:-1])] or [0]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    st = {'fg': None, 'bg': None, 'b': False, 'i': False, 'u': False, 'r': False}
                elif c == 1: st['b'] = True
                elif c == 3: st['i'] = True
                elif c in (4, 21): st['u'] = True
                elif c == 7: st['r'] = True
                elif c == 22: st['b'] = False
                elif c == 23: st['i'] = False
                elif c == 24: st['u'] = False
                elif c == 27: st['r'] = False
                elif 30 <= c <= 37: st['fg'] = BASIC[c - 30]
                elif 90 <= c <= 97: st['fg'] = BASIC[c - 90 + 8]
                elif 40 <= c <= 47: st['bg'] = BASIC[c - 40]
                elif 100 <= c <= 107: st['bg'] = BASIC[c - 100 + 8]
                elif c == 39: st['fg'] = None
                elif c == 49: st['bg'] = None
                elif c in (38, 48) and i + 1 < len(codes):
                    key = 'fg' if c == 38 else 'bg'
                    if codes[i + 1] == 2 and i + 4 < len(codes):
                        st[key] = tuple(codes[i + 2:i + 5]); i += 4
                    elif codes[i + 1] == 5 and i + 2 < len(codes):
                        st[key] = xterm(codes[i + 2]); i += 2
                i += 1
            continue
        if not tok:
            continue
        fg, bg = st['fg'] or FG, st['bg'] or BG
        if st['r']:
            fg, bg = bg, fg
        style = 'color:%s;background:%s' % (rgb(fg), rgb(bg))
        if st['b']: style += ';font-weight:bold'
        if st['i']: style += ';font-style:italic'
        if st['u']: style += ';text-decoration:underline'
        parts.append('<span style="%s">%s</span>' % (style, html.escape(tok)))
        width += len(tok)
    parts.append(' ' * max(0, cols - width))
    lines.append(''.join(parts))

page = '''<!doctype html><meta charset="utf-8"><style>
html,body{margin:0;background:%s}
pre{margin:0;padding:10px 12px;font:14px/1.3 "DejaVu Sans Mono",monospace;color:%s;display:inline-block}
</style><pre>%s</pre>''' % (rgb(BG), rgb(FG), '\n'.join(lines))
open(dst, 'w', encoding='utf-8').write(page)
PY

# DejaVu Sans Mono at 14px: 8.43 px per column, 18.2 px per row.
width=$(python3 -c "print(int($cols * 8.43 + 26))")
height=$(python3 -c "print(int($rows * 18.2 + 22))")
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/chromium" --hide-scrollbars --window-size="$width,$height" \
  --screenshot="$out" "file://$work/screen.html" >/dev/null 2>&1
echo "screenshot: $out ($(wc -c <"$out") bytes)"
