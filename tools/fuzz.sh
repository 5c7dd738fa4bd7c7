#!/usr/bin/env bash
# Fuzz for a bounded time: tools/fuzz.sh [SECONDS] (default 60 per target).
# Targets: `parse` (the syntax tree keeps every byte) and `analyze` (the stage model, SVG and
# every editor query at any offset never panic; renames and fixes edit inside the text; the
# formatted text parses, keeps its instructions and formats to itself).
# Installs cargo-fuzz when missing; seeds the corpora with every Dockerfile in ../shared/corpus;
# mutates with the tokens of fuzz/dockerfile.dict.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
nightly="$(tools/nightly.sh)"
if ! cargo fuzz --version >/dev/null 2>&1; then
  # (Its own lock file, as every other cargo call here uses the project's.)
  cargo install cargo-fuzz --locked --quiet
fi
shared="${STAGECRAFT_SHARED:-$(pwd)/../shared}"
for target in parse analyze; do
  seeds="fuzz/corpus/$target"
  mkdir -p "$seeds"
  if [ -d "$shared/corpus" ]; then
    find "$shared/corpus" -type f -name 'Dockerfile' -o -type f -path '*/real-world/*' ! -name INDEX.tsv |
      while read -r f; do cp "$f" "$seeds/$(echo "$f" | md5sum | cut -c1-16)"; done
  fi
done
cd fuzz
for target in parse analyze; do
  echo "== fuzz $target for ${seconds}s"
  cargo +"$nightly" fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 -dict=dockerfile.dict
done
