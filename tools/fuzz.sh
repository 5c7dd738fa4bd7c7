#!/usr/bin/env bash
# Fuzz the parser for a bounded time: tools/fuzz.sh [SECONDS] (default 60).
# Installs cargo-fuzz when missing; seeds the corpus with every Dockerfile in ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --quiet
fi
shared="${STAGECRAFT_SHARED:-$(pwd)/../shared}"
seeds=fuzz/corpus/parse
mkdir -p "$seeds"
if [ -d "$shared/corpus" ]; then
  find "$shared/corpus" -type f -name 'Dockerfile' -o -type f -path '*/real-world/*' ! -name INDEX.tsv |
    while read -r f; do cp "$f" "$seeds/$(echo "$f" | md5sum | cut -c1-16)"; done
fi
cd fuzz
cargo +nightly fuzz run parse corpus/parse -- -max_total_time="$seconds" -max_len=4096 -print_final_stats=1
