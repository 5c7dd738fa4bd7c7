#!/usr/bin/env bash
# Prints `GOROOT GOPATH` for a Go toolchain and the libraries of BuildKit's that stagecraft is
# checked against, as Debian 13 (trixie) packages them: golang-1.24-go (with golang-1.24-src);
# golang-github-moby-patternmatcher-dev 0.6.0, with its `ignorefile` package, for
# tools/ignore_differential.py (tools/ignore-go); golang-github-distribution-reference-dev 0.6.0
# and golang-github-opencontainers-go-digest-dev 1.0.0, for the test
# `reference::tests::against_go` (tools/reference-go). Each the version BuildKit vendors.
#
# Why trixie's, on a Debian 12 machine: bookworm has patternmatcher 0.5.0, which has no
# `ignorefile` (BuildKit reads the file with it), and Go 1.19, three years older than the Go
# BuildKit is built with; trixie's are the versions BuildKit uses, or close. The packages are
# downloaded with an apt configuration of their own (trixie's lists, signed by the keys in
# /etc/apt/trusted.gpg.d, which Debian 12 carries) and unpacked with dpkg-deb: nothing is
# installed on the machine. Go is statically linked, so it runs on Debian 12's libraries.
# Into $STAGECRAFT_TOOLS_DIR/go-trixie (default target/tools/go-trixie); run again, it only
# prints.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="${STAGECRAFT_TOOLS_DIR:-$repo/target/tools}"
dir="$TOOLS/go-trixie"
root="$dir/root"
goroot="$root/usr/lib/go-1.24"
gopath="$root/usr/share/gocode"
packages=(golang-1.24-go golang-1.24-src golang-github-moby-patternmatcher-dev
          golang-github-distribution-reference-dev golang-github-opencontainers-go-digest-dev)

ready() {
  [[ -x "$goroot/bin/go" && -f "$gopath/src/github.com/moby/patternmatcher/ignorefile/ignorefile.go" \
    && -f "$gopath/src/github.com/distribution/reference/normalize.go" ]] \
    && GOROOT="$goroot" "$goroot/bin/go" version >/dev/null 2>&1
}

if ! ready; then
  for tool in apt-get dpkg-deb; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "tools/go-trixie.sh: needs $tool (Debian's apt) to download ${packages[*]}" >&2
      exit 1
    fi
  done
  echo "== downloading ${packages[*]} from Debian trixie into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs" "$root"
  echo "deb http://deb.debian.org/debian trixie main" > "$dir/apt/sources.list"
  apt=(-o "Dir::Etc::SourceList=$dir/apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
       -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache"
       -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)")
  apt-get "${apt[@]}" update -qq >&2
  (cd "$dir/debs" && apt-get "${apt[@]}" download "${packages[@]}" >&2)
  for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$root"
    dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >> "$dir/versions"
  done
  rm -rf "$dir/apt" "$dir/debs"
  if ! ready; then
    echo "tools/go-trixie.sh: the unpacked Go in $goroot does not run" >&2
    exit 1
  fi
  echo "== unpacked: $(paste -sd, "$dir/versions")" >&2
fi
echo "$goroot $gopath"
