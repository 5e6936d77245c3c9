#!/bin/bash
# Start or stop the integration-test servers: Knot (dnsserver.sh, the
# fixtures/dns zones), the DNS fault responder (faultdns.py), two more
# faultdns.py that answer everything with SERVFAIL and with REFUSED (the
# resolver failover cases) and, for the
# policy fetch, the HTTPS policy hosts: a test CA (tlsca.sh), nginx
# (httpsserver.sh) and slowhttps.py.
#
#   servers.sh start RUNDIR     servers.sh stop RUNDIR
#
# Used by the ctest fixture (integration.servers_start / _stop); usable by
# hand: start, then "check_case.py --bin build/mtasts-check --all", then stop.
# Addresses come from MTS_TEST_DNS_ADDR/_PORT/_ADDR6 and
# MTS_TEST_FAULT_ADDR/_PORT (defaults 127.53.0.1, ::1, 127.53.0.2, port 5300),
# MTS_TEST_SERVFAIL_ADDR, MTS_TEST_REFUSED_ADDR (127.53.0.5, 127.53.0.6; the
# fault port),
# MTS_TEST_HTTPS_PREFIX/_PORT (default 127.53.2.N, port 443; see
# httpsserver.sh).
#
# RUNDIR gets knot/, fault/, servfail/, refused/, and with HTTPS: tls/ (the CA: tls/ca.pem is
# what "--ca-file" gets; check_case.py's @ca), nginx/, slow/; zones/ when
# MTS_TEST_HTTPS_PREFIX is not 127.53.2 (a copy of fixtures/dns with
# pol.test.zone rewritten to that prefix).
#
# MTS_TEST_HTTPS: "auto" (default) starts the HTTPS servers when nginx and
# openssl are installed and only says so otherwise (the DNS cases do not
# need them); "1" requires them; "0" never starts them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
https=${MTS_TEST_HTTPS:-auto}
prefix=${MTS_TEST_HTTPS_PREFIX:-127.53.2}
fport=${MTS_TEST_FAULT_PORT:-5300}
# The broken resolvers: "RUNDIR-subdir address mode".
broken=("servfail ${MTS_TEST_SERVFAIL_ADDR:-127.53.0.5} servfail"
  "refused ${MTS_TEST_REFUSED_ADDR:-127.53.0.6} refused")

if (($# != 2)); then
  echo "usage: $0 start|stop RUNDIR" >&2
  exit 64
fi
rundir=$2

have_https_tools() {
  { [[ -n ${NGINX:-} ]] || command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; } &&
    command -v "${OPENSSL:-openssl}" >/dev/null 2>&1
}

stop_all() {
  local rc=0
  if [[ -d $rundir/nginx ]]; then
    "$here/httpsserver.sh" stop "$rundir/nginx" || rc=1
  fi
  if [[ -d $rundir/slow ]]; then
    "$python" "$here/slowhttps.py" stop "$rundir/slow" || rc=1
  fi
  if [[ -d $rundir/smtp ]]; then
    "$python" "$here/smtpserver.py" stop "$rundir/smtp" || rc=1
  fi
  "$here/dnsserver.sh" stop "$rundir/knot" || rc=1
  "$python" "$here/faultdns.py" stop "$rundir/fault" || rc=1
  local b dir addr mode
  for b in "${broken[@]}"; do
    read -r dir addr mode <<<"$b"
    if [[ -d $rundir/$dir ]]; then
      "$python" "$here/faultdns.py" stop "$rundir/$dir" || rc=1
    fi
  done
  return "$rc"
}

case $1 in
  start)
    mkdir -p "$rundir"
    # No CA of an earlier run may outlive it (check_case.py skips the @ca
    # cases when there is none).
    rm -rf "$rundir/tls"
    zonedir=$srcdir/fixtures/dns
    if [[ $prefix != 127.53.2 ]]; then
      if [[ ! $prefix =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
        echo "servers.sh: MTS_TEST_HTTPS_PREFIX must be three octets (A.B.C)" >&2
        exit 1
      fi
      rm -rf "$rundir/zones"
      mkdir -p "$rundir/zones"
      cp "$srcdir"/fixtures/dns/*.zone "$rundir/zones/"
      sed -i "s/127\.53\.2\./$prefix./g" "$rundir/zones/pol.test.zone"
      zonedir=$rundir/zones
    fi
    "$here/dnsserver.sh" start "$rundir/knot" "$zonedir"
    if ! "$python" "$here/faultdns.py" start "$rundir/fault"; then
      "$here/dnsserver.sh" stop "$rundir/knot" || true
      exit 1
    fi
    for b in "${broken[@]}"; do
      read -r dir addr mode <<<"$b"
      if ! "$python" "$here/faultdns.py" start "$rundir/$dir" --addr "$addr" \
        --port "$fport" --all "$mode"; then
        stop_all || true
        exit 1
      fi
    done
    case $https in
      0) echo "servers.sh: MTS_TEST_HTTPS=0: no HTTPS policy servers" ;;
      1 | auto)
        if [[ $https == auto ]] && ! have_https_tools; then
          echo "servers.sh: nginx or openssl not installed: no HTTPS policy servers" \
            "(apt-get install nginx-light openssl; the DNS cases do not need them)"
        elif ! {
          # A fresh CA every start: "expires in 5 days" stays true, and no key
          # outlives the run.
          "$here/tlsca.sh" "$rundir/tls" &&
            "$here/httpsserver.sh" start "$rundir/nginx" "$rundir/tls" &&
            "$python" "$here/slowhttps.py" start "$rundir/slow" --tls-dir "$rundir/tls" &&
            "$python" "$here/smtpserver.py" start "$rundir/smtp" --tls-dir "$rundir/tls"
        }; then
          echo "servers.sh: the HTTPS policy servers did not start" >&2
          stop_all || true
          exit 1
        fi ;;
      *)
        echo "servers.sh: MTS_TEST_HTTPS must be 0, 1 or auto" >&2
        exit 1 ;;
    esac
    ;;
  stop)
    stop_all
    ;;
  *)
    echo "usage: $0 start|stop RUNDIR" >&2
    exit 64
    ;;
esac
