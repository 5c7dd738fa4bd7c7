#!/usr/bin/env bash
# The nightly toolchain with rust-src, which the wasm build (-Z build-std) and cargo-fuzz need:
# installed when missing, instead of relying on rustup installing toolchains on first use (which
# rustup 1.28 stopped doing by default).
set -euo pipefail
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal --component rust-src
elif ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
  rustup component add rust-src --toolchain nightly
fi
