#!/bin/bash
# Start or stop both integration-test DNS servers: Knot (dnsserver.sh, the
# fixtures/dns zones) and the fault responder (faultdns.py).
#
#   servers.sh start RUNDIR     servers.sh stop RUNDIR
#
# Used by the ctest fixture (integration.servers_start / _stop); usable by
# hand: start, then "check_case.py --bin build/mtasts-check --all", then stop.
# Addresses come from MTS_TEST_DNS_ADDR/_PORT/_ADDR6 and
# MTS_TEST_FAULT_ADDR/_PORT (defaults 127.53.0.1, ::1, 127.53.0.2, port 5300).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-python3}

if (($# != 2)); then
  echo "usage: $0 start|stop RUNDIR" >&2
  exit 64
fi
rundir=$2
case $1 in
  start)
    mkdir -p "$rundir"
    "$here/dnsserver.sh" start "$rundir/knot"
    if ! "$python" "$here/faultdns.py" start "$rundir/fault"; then
      "$here/dnsserver.sh" stop "$rundir/knot" || true
      exit 1
    fi
    ;;
  stop)
    rc=0
    "$here/dnsserver.sh" stop "$rundir/knot" || rc=1
    "$python" "$here/faultdns.py" stop "$rundir/fault" || rc=1
    exit "$rc"
    ;;
  *)
    echo "usage: $0 start|stop RUNDIR" >&2
    exit 64
    ;;
esac
