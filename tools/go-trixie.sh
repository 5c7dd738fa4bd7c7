#!/usr/bin/env bash
# Go and the libraries of BuildKit's that stagecraft is checked against, as Debian packages them,
# from Debian 13 (trixie) unless said: golang-1.24-go (with golang-1.24-src);
# golang-github-moby-patternmatcher-dev 0.6.0, with its `ignorefile` package, for
# tools/ignore_differential.py (tools/ignore-go); for tools/oracle-go's tests:
# golang-github-distribution-reference-dev 0.6.0 and golang-github-opencontainers-go-digest-dev
# 1.0.0 (`reference::tests::against_go`); golang-github-moby-sys-dev (a 2024 snapshot; its
# `signal` package has the Linux table of the moby/sys/signal BuildKit vendors) with
# golang-golang-x-sys-dev, for STOPSIGNAL; and, from Debian unstable (sid), since trixie's are
# older than BuildKit's: golang-github-containerd-platforms-dev 1.0.0~rc4 (the release
# candidates are the ones with OS versions and features; trixie has 0.2.1) and
# golang-github-docker-go-units-dev 0.5.0 (tmpfs sizes; trixie has 0.4.0), with what platforms
# needs from trixie (containerd/log, logrus, image-spec). Each the version BuildKit vendors, or
# close. tools/oracle-go's other questions and tools/gitref-go use Go's standard library alone.
# (sid's versions move; the script prints the versions it unpacked, and a test that then finds
# a difference names the input.)
#
# Usage: tools/go-trixie.sh                    unpacks them when needed and prints `go version`
#        tools/go-trixie.sh run DIR [ARGS...]  runs `go run main.go ARGS...` in DIR with them
#                                              (GOPATH mode), its standard streams passed through
#
# Why Debian 13's, on a Debian 12 machine: bookworm has patternmatcher 0.5.0, which has no
# `ignorefile` (BuildKit reads the file with it), and Go 1.19, three years older than the Go
# BuildKit is built with. The packages are downloaded with an apt configuration of their own
# (trixie's and sid's lists, signed by the keys in /etc/apt/trusted.gpg.d, which Debian 12
# carries; each package asked of the release named) and unpacked with dpkg-deb: nothing is
# installed on the machine. Go is statically linked, so it runs on Debian 12's libraries.
# Into $STAGECRAFT_TOOLS_DIR/go-trixie (default target/tools/go-trixie), whole or not at all
# (unpacked beside it and moved into place), one run at a time (a lock beside it).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="${STAGECRAFT_TOOLS_DIR:-$repo/target/tools}"
dir="$TOOLS/go-trixie"
goroot="$dir/root/usr/lib/go-1.24"
gopath="$dir/root/usr/share/gocode"
packages=(golang-1.24-go golang-1.24-src golang-github-moby-patternmatcher-dev
          golang-github-distribution-reference-dev golang-github-opencontainers-go-digest-dev
          golang-github-moby-sys-dev golang-golang-x-sys-dev golang-github-containerd-log-dev
          golang-github-sirupsen-logrus-dev golang-github-opencontainers-image-spec-dev)
sid_packages=(golang-github-containerd-platforms-dev golang-github-docker-go-units-dev)

case "${1:-}" in
  run) [[ $# -ge 2 ]] || { echo "usage: tools/go-trixie.sh run DIR [ARGS...]" >&2; exit 2; } ;;
  "") ;;
  *) echo "usage: tools/go-trixie.sh [run DIR [ARGS...]]" >&2; exit 2 ;;
esac

# (The stamp, the packages' versions, is written last: a directory without it was not finished,
# and one with other packages is an older list's.)
ready() {
  [[ -f "$dir/versions" ]] \
    && [[ "$(cut -d' ' -f1 "$dir/versions" | sort | xargs)" == "$(printf '%s\n' "${packages[@]}" "${sid_packages[@]}" | sort | xargs)" ]] \
    && GOROOT="$goroot" "$goroot/bin/go" version >/dev/null 2>&1
}

install() {
  for tool in apt-get dpkg-deb; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "tools/go-trixie.sh: needs $tool (Debian's apt) to download ${packages[*]} ${sid_packages[*]}" >&2
      exit 1
    fi
  done
  echo "== downloading ${packages[*]} from Debian trixie and ${sid_packages[*]} from sid into $dir" >&2
  local tmp="$dir.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial" "$tmp/debs" "$tmp/root"
  printf 'deb http://deb.debian.org/debian %s main\n' trixie sid > "$tmp/apt/sources.list"
  local apt=(-o "Dir::Etc::SourceList=$tmp/apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
             -o "Dir::State::Lists=$tmp/apt/lists" -o "Dir::Cache=$tmp/apt/cache" -o "Debug::NoLocking=1")
  # (Root's apt hands downloads to the user _apt, who cannot write here.)
  ((EUID == 0)) && apt+=(-o "APT::Sandbox::User=root")
  if ! apt-get "${apt[@]}" update -qq >&2; then
    echo "tools/go-trixie.sh: could not read Debian 13's and sid's package lists from deb.debian.org: is the" \
      "archive reachable, and does apt trust their signing keys (Debian 12's debian-archive-keyring has them)?" >&2
    exit 1
  fi
  (cd "$tmp/debs" && apt-get "${apt[@]}" download "${packages[@]/%//trixie}" "${sid_packages[@]/%//sid}" >&2)
  for deb in "$tmp"/debs/*.deb; do
    dpkg-deb -x "$deb" "$tmp/root"
    dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >> "$tmp/versions.part"
  done
  rm -rf "$tmp/apt" "$tmp/debs"
  mv "$tmp/versions.part" "$tmp/versions"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  if ! ready; then
    echo "tools/go-trixie.sh: the unpacked Go in $goroot does not run" >&2
    exit 1
  fi
  echo "== unpacked: $(paste -sd, "$dir/versions")" >&2
}

mkdir -p "$TOOLS"
if ! ready; then
  exec 9> "$dir.lock"
  flock 9
  ready || install
  flock -u 9
fi

export GOROOT="$goroot" GOPATH="$gopath" GO111MODULE=off GOTOOLCHAIN=local GOFLAGS=
export GOCACHE="${GOCACHE:-$dir/cache}"
if [[ ${1:-} == run ]]; then
  cd "$2"
  shift 2
  exec "$goroot/bin/go" run main.go "$@"
fi
"$goroot/bin/go" version
