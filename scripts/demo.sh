#!/bin/bash
# The README demo: check three example domains against a private Knot DNS
# server on loopback that serves fixtures/demo/*.zone:
#   example.com  valid (the documented example records)
#   example.net  broken: an id with punctuation, a rua without mailto:
#   example.org  no MTA-STS or TLS-RPT record at all
# Prints the text report, then the same as JSON Lines. Builds the tool first
# if build/mtasts-check is missing. Needs knotd and kdig (apt-get install
# knot knot-dnsutils). MTS_BIN overrides the binary; MTS_TEST_DNS_ADDR /
# MTS_TEST_DNS_PORT the server address (default 127.53.0.1 port 5300).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${MTS_BIN:-$root/build/mtasts-check}
addr=${MTS_TEST_DNS_ADDR:-127.53.0.1}
port=${MTS_TEST_DNS_PORT:-5300}
domains=(example.com example.net example.org)

if [[ ! -x $bin ]]; then
  echo "== building mtasts-check"
  (cd "$root" && cmake -S . -B build && cmake --build build -j2)
  bin=$root/build/mtasts-check
fi

rundir=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-demo.XXXXXX")
cleanup() {
  # The IPv6 listener is not needed here.
  MTS_TEST_DNS_ADDR6='' "$root/test/integration/dnsserver.sh" stop "$rundir" >/dev/null || true
  rm -rf "$rundir"
}
trap cleanup EXIT

MTS_TEST_DNS_ADDR6='' "$root/test/integration/dnsserver.sh" start "$rundir" "$root/fixtures/demo"

run() {
  local rc=0
  echo
  echo "\$ mtasts-check $*"
  "$bin" "$@" || rc=$?
  echo "(exit code $rc)"
}

run --resolver "$addr:$port" "${domains[@]}"
run --json --resolver "$addr:$port" "${domains[@]}"
