#!/usr/bin/env bash
# The pinned nightly toolchain, with rust-src, which the wasm build (-Z build-std) and cargo-fuzz
# need: installed when missing (rustup 1.28 no longer installs toolchains on first use), and its
# name printed on stdout for `cargo +"$(tools/nightly.sh)"`. Pinned because the wasm package's
# size budget depends on the compiler's code generation: a floating `nightly` gave 153,547 bytes
# gzipped with 2026-05-19's compiler and 152,247 with 2026-10-30's, so a fresh machine and this
# one built different modules. Moving the pin is a change to review like any other (rerun
# `tools/wasm.sh build` and `tools/fuzz.sh`, and update the README's sizes).
set -euo pipefail
toolchain=nightly-2026-10-30
if ! rustup toolchain list | grep "^$toolchain" >/dev/null; then
  rustup toolchain install "$toolchain" --profile minimal --component rust-src >&2
elif ! rustup component list --toolchain "$toolchain" --installed 2>/dev/null | grep '^rust-src' >/dev/null; then
  rustup component add rust-src --toolchain "$toolchain" >&2
fi
echo "$toolchain"
