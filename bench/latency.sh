#!/usr/bin/env bash
# bench/latency.sh - how many round trips does one domain's whole check
# cost? Since the SMTP probe (issue 12) the longest chain is the probe's:
#   MX answer -> the MX host's A/AAAA (TLSA in parallel) -> TCP -> greeting
#   -> EHLO -> STARTTLS -> TLS 1.3 = 7 RTT,
# with the policy fetch below (4 RTT) overlapped. The MX host mx1.lat.test
# is test/integration/smtpserver.py on 127.53.4.6:25 (STARTTLS, TLS 1.3),
# reached through a delay proxy on 127.53.4.5:25 (mxd.lat.test directly).
# Before the probe: Runs mtasts-check on one domain through a user-space delay proxy
# that adds a round-trip time D to every DNS and HTTPS exchange, and reports
# the wall time as a multiple of D, next to the minimum of 4 round trips:
#   1 RTT DNS (the _mta-sts TXT, _smtp._tls TXT, MX, mta-sts A and AAAA
#         queries all in parallel)
# + 1 RTT TCP handshake to mta-sts.<domain>
# + 1 RTT TLS 1.3 handshake
# + 1 RTT HTTP GET /.well-known/mta-sts.txt
# = 4 RTT.
#
# Everything runs on this machine, on loopback, in a temp dir:
#   127.53.4.1@5300  Knot DNS (knotd -c generated knot.conf, no systemd):
#                    zone lat.test with, for lat.test and direct.lat.test,
#                    a valid _mta-sts TXT, _smtp._tls TXT, MX mx1.lat.test,
#                    and mta-sts.<domain> A:
#                      mta-sts.lat.test        A 127.53.4.4 (the TCP proxy)
#                      mta-sts.direct.lat.test A 127.53.4.2 (nginx itself)
#   127.53.4.2:443   nginx, TLS 1.2/1.3, HTTP/1.1, a valid policy
#                    (version: STSv1, mode: enforce, mx: mx1.lat.test,
#                    max_age: 604800, CRLF) for both policy hosts, with a
#                    throwaway test CA and one leaf certificate naming both
#   127.53.4.3:5300  bench/delayproxy.py UDP -> 127.53.4.1:5300
#   127.53.4.4:443   bench/delayproxy.py TCP -> 127.53.4.2:443
# (delayproxy.py's header says exactly what it delays: D/2 per datagram or
# chunk in each direction, and one RTT of TCP connection setup.)
#
# Rows, each run N times (checks: exit 0, top-level status "ok", policy
# status "valid", one result line):
#   direct   D = 0, no proxy: direct.lat.test, --resolver 127.53.4.1:5300
#            (what the tool costs on bare loopback)
#   proxy0   D = 0 through the proxies: lat.test, --resolver 127.53.4.3:5300
#            (what the proxy itself adds)
#   D ms     the proxies with RTT D: lat.test, --resolver 127.53.4.3:5300
# For each: wall time (bash EPOCHREALTIME around the process: start-up,
# CA loading and exit included) and the JSON's duration_ms (the check
# itself, from its first query to its result), median and min-max; the
# multiple of D of the wall time, and of (wall - median wall of proxy0),
# the time the delay added: the number of round trips.
#
# With -s (default on) the script also runs the tool once more at the
# largest D under strace -f -ttt -e trace=network and prints a timeline:
# every DNS datagram and TCP read/write of the tool, in ms and in RTTs
# from the first query, next to the ideal 0 / 1 / 2 / 3 / 4 RTT.
#
# Usage: bench/latency.sh [options]
#   -b BINARY   the tool (default: build/mtasts-check of this source tree;
#               built if missing)
#   -n RUNS     runs per row (default 5)
#   -d LIST     RTTs in ms, comma separated (default 20,50,100)
#   -S          no strace timeline
#   -k          keep the temp dir (configs, logs, outputs) and print its path
#   -h          this help
#
# Needs (Debian): apt-get install -y knot knot-dnsutils nginx-light openssl
# python3 (and strace for the timeline; cmake and the build deps to build).
# Exit status: 0 measured; 1 a run failed its check or a server did not
# start; 64 usage.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_tag=latency
# shellcheck source=bench/lib.sh
. "$srcdir/bench/lib.sh"

binary=$srcdir/build/mtasts-check
runs=5
rtts=20,50,100
do_strace=1
keep=0

dns_addr=127.53.4.1
web_addr=127.53.4.2
udp_proxy=127.53.4.3
tcp_proxy=127.53.4.4
smtp_proxy=127.53.4.5
smtp_addr=127.53.4.6
dns_port=5300
zone=lat.test

usage() { bench_usage; }
log() { bench_log "$@"; }
die() { bench_die "$@"; }

while getopts ':b:n:d:Skh' opt; do
  case $opt in
    b) binary=$OPTARG ;;
    n) runs=$OPTARG ;;
    d) rtts=$OPTARG ;;
    S) do_strace=0 ;;
    k) keep=1 ;;
    h) usage ;;
    :) echo "option -$OPTARG needs a value" >&2; usage ;;
    *) echo "unknown option -$OPTARG" >&2; usage ;;
  esac
done
shift $((OPTIND - 1))
(($# == 0)) || usage
if ! [[ $runs =~ ^[0-9]+$ ]] || ((runs < 1)); then usage; fi
IFS=', ' read -r -a rtt_list <<<"$rtts"
for d in "${rtt_list[@]}"; do
  if ! [[ $d =~ ^[0-9]+$ ]] || ((d < 1)); then
    echo "bad RTT: $d" >&2
    usage
  fi
done

# ---- programs ---------------------------------------------------------------

find_prog() { bench_find_prog "$@"; }
knotd=$(find_prog knotd)
kdig=$(find_prog kdig)
nginx=$(find_prog nginx)
openssl=$(find_prog openssl)
python=$(find_prog python3)
strace=$(find_prog strace)
missing=()
[[ -n $knotd ]] || missing+=(knot)
[[ -n $kdig ]] || missing+=(knot-dnsutils)
[[ -n $nginx ]] || missing+=(nginx-light)
[[ -n $openssl ]] || missing+=(openssl)
[[ -n $python ]] || missing+=(python3)
if ((do_strace)) && [[ -z $strace ]]; then
  missing+=(strace)
fi
if ((${#missing[@]})); then
  die "missing programs; install them with: apt-get install -y ${missing[*]}"
fi

if [[ ! -x $binary ]]; then
  [[ $binary == "$srcdir/build/mtasts-check" ]] || die "no executable $binary"
  log "no $binary: building it"
  (cd "$srcdir" && cmake -S . -B build >&2 && cmake --build build -j2 >&2) ||
    die "the build failed; fix it or pass -b BINARY"
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
proxy_py=$srcdir/bench/delayproxy.py

# ---- temp dir, servers, cleanup -------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-latency.XXXXXX")
smtp_pid=
proxy_up=0

pid_alive() { bench_pid_alive "$@"; }
# shellcheck disable=SC2317 # called from the EXIT trap
stop_pid() { bench_stop_pid "$@"; }

# shellcheck disable=SC2317 # called from the EXIT trap and between rows
stop_proxy() {
  if ((proxy_up)); then
    "$python" "$proxy_py" stop "$tmp/proxy" >/dev/null || true
    proxy_up=0
  fi
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_proxy
  stop_pid nginx "$bench_nginx_pid"
  stop_pid smtpserver.py "$smtp_pid"
  stop_pid knotd "$bench_knot_pid"
  if ((keep)); then
    log "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tcp_open() { bench_tcp_open "$@"; }
kdig_ok() { bench_kdig_ok "$@"; } # SERVER PORT NAME TYPE

for a in "$dns_addr" "$udp_proxy"; do
  if kdig_ok "$a" "$dns_port" . SOA || kdig_ok "$a" "$dns_port" "$zone" SOA; then
    die "something already answers DNS on $a@$dns_port"
  fi
done
for a in "$web_addr" "$tcp_proxy"; do
  if tcp_open "$a" 443; then die "something already listens on $a:443"; fi
done
for a in "$smtp_addr" "$smtp_proxy"; do
  if tcp_open "$a" 25; then die "something already listens on $a:25"; fi
done

# -- zone and knotd --
mkdir -p "$tmp/knot"
{
  echo "; generated by bench/latency.sh"
  echo "\$ORIGIN $zone."
  echo "\$TTL 3600"
  echo "@ SOA ns hostmaster 1 3600 900 604800 300"
  echo "@ NS ns"
  # The name server is reached through the DNS delay proxy, so that
  # --propagation's direct queries pay the RTT too.
  echo "ns A $udp_proxy"
  echo "mx1 A $smtp_proxy"
  echo "mxd A $smtp_addr"
  for d in "@:$tcp_proxy:mx1" "direct:$web_addr:mxd"; do
    name=${d%%:*} rest=${d#*:}
    addr=${rest%%:*} mx=${rest#*:}
    sfx=${name/#@/}
    sfx=${sfx:+.$sfx}
    echo "${name} MX 10 $mx.$zone."
    echo "_mta-sts$sfx TXT \"v=STSv1; id=20261128120000\""
    echo "_smtp._tls$sfx TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@$zone\""
    echo "mta-sts$sfx A $addr"
  done
} >"$tmp/knot/$zone.zone"
bench_knot_conf "$tmp/knot" "$dns_addr" "$dns_port" 1 0 "$zone"
bench_knot_start "$tmp/knot" "$dns_addr" "$dns_port" "_mta-sts.direct.$zone" TXT

# -- CA, certificate, nginx --
web=$tmp/web
mkdir -p "$web"
bench_ca "$openssl" "$web" "mtasts-check latency CA"
bench_leaf "$openssl" "$web" "mta-sts.$zone" "DNS:mta-sts.$zone,DNS:mta-sts.direct.$zone"
# The MX hosts' certificate (smtpserver.py --map: NAME.pem beside the CA).
bench_leaf "$openssl" "$web" "mx1.$zone" "DNS:mx1.$zone,DNS:mxd.$zone"
policy='version: STSv1\r\nmode: enforce\r\nmx: mx1.'$zone'\r\nmx: mxd.'$zone'\r\nmax_age: 604800\r\n'
{
  bench_nginx_head "$web" 64
  cat <<EOF
    server {
        listen $web_addr:443 ssl;
        server_name mta-sts.$zone mta-sts.direct.$zone;
        ssl_certificate $web/mta-sts.$zone.pem;
        ssl_certificate_key $web/mta-sts.$zone.key;
        location = /.well-known/mta-sts.txt {
            default_type text/plain;
            return 200 "$policy";
        }
        location / { return 404; }
    }
}
EOF
} >"$web/nginx.conf"
bench_nginx_start "$nginx" "$web" "$web_addr"
log "nginx PID $bench_nginx_pid serves the policy on $web_addr:443"

# -- the MX hosts' SMTP server (STARTTLS, TLS 1.3) --
"$python" "$srcdir/test/integration/smtpserver.py" serve --tls-dir "$web" \
  "$smtp_addr=mx1.$zone" </dev/null >"$web/smtp.log" 2>&1 &
smtp_pid=$!
ok=0
for ((i = 0; i < 100; i++)); do
  pid_alive "$smtp_pid" || { cat "$web/smtp.log" >&2; smtp_pid=; die "smtpserver.py exited"; }
  if tcp_open "$smtp_addr" 25; then ok=1; break; fi
  sleep 0.1
done
((ok)) || die "smtpserver.py does not listen on $smtp_addr:25"
log "smtpserver.py PID $smtp_pid serves SMTP on $smtp_addr:25"

start_proxy() { # RTT_MS
  "$python" "$proxy_py" start "$tmp/proxy" --rtt-ms "$1" \
    --udp "$udp_proxy:$dns_port=$dns_addr:$dns_port" \
    --tcp "$tcp_proxy:443=$web_addr:443" \
    --tcp "$smtp_proxy:25=$smtp_addr:25" >&2 || die "delayproxy.py did not start"
  proxy_up=1
}

# ---- runs ---------------------------------------------------------------------

# check OUT RC: "ok", or what is wrong
check() {
  "$python" - "$1" "$2" <<'EOF'
import json, sys
out, rc = sys.argv[1], int(sys.argv[2])
lines = [l for l in open(out) if l.strip()]
if rc != 0:
    print("exit=%d" % rc); sys.exit()
if len(lines) != 1:
    print("lines=%d" % len(lines)); sys.exit()
r = json.loads(lines[0])
pol = (r.get("mta_sts") or {}).get("policy") or {}
if r.get("status") != "ok":
    print("status=%s" % r.get("status"))
elif pol.get("status") != "valid":
    print("policy=%s" % pol.get("status"))
else:
    print("ok")
EOF
}

# one_run LABEL I DOMAIN RESOLVER: appends "label D i wall_ms duration_ms verdict"
echo "label	rtt	run	wall_ms	duration_ms	verdict" >"$tmp/results.tsv"
failed=0
one_run() {
  local label=$1 rtt=$2 i=$3 domain=$4 resolver=$5 out t0 t1 rc=0 wall dur verdict
  out=$tmp/out.$label.$i.json
  t0=$EPOCHREALTIME
  timeout -k 2 30 "$binary" --json --resolver "$resolver" --ca-file "$web/ca.pem" \
    "${extra[@]}" "$domain" >"$out" 2>"$out.err" || rc=$?
  t1=$EPOCHREALTIME
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
  dur=$(grep -o '"duration_ms":[0-9]*' "$out" | head -1 | cut -d: -f2 || true)
  verdict=$(check "$out" "$rc")
  [[ $verdict == ok ]] || failed=$((failed + 1))
  log "$label run $i: wall ${wall} ms, duration_ms ${dur:-?}: $verdict"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rtt" "$i" "$wall" "${dur:--1}" "$verdict" >>"$tmp/results.tsv"
}

run_row() { # LABEL RTT DOMAIN RESOLVER
  local i
  # one untimed warm-up (page cache, nginx worker, proxy)
  timeout -k 2 30 "$binary" --json --resolver "$4" --ca-file "$web/ca.pem" "${extra[@]}" "$3" >/dev/null 2>&1 || true
  for ((i = 1; i <= runs; i++)); do
    one_run "$1" "$2" "$i" "$3" "$4"
  done
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
extra=()
run_row direct 0 "direct.$zone" "$dns_addr:$dns_port"
start_proxy 0
run_row proxy0 0 "$zone" "$udp_proxy:$dns_port"
stop_proxy
# Each D twice, side by side: the check alone, then with --propagation
# (issue 13: its chain SOA -> NS -> A -> direct queries, 4 RTT, runs beside
# the probe's 7 and should add nothing).
for d in "${rtt_list[@]}"; do
  start_proxy "$d"
  extra=()
  run_row "rtt$d" "$d" "$zone" "$udp_proxy:$dns_port"
  extra=(--propagation --ns-port "$dns_port")
  run_row "rtt$d+prop" "$d" "$zone" "$udp_proxy:$dns_port"
  stop_proxy
done
extra=()

# ---- report ---------------------------------------------------------------------

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo "## Latency: $runs run(s) per row, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(nproc) CPUs ($cpu), Linux $(uname -r), load average at start $load"
echo "- tool: $binary --json --resolver ADDR:5300 --ca-file ca.pem DOMAIN"
echo "- servers: $("$knotd" -V 2>&1 | head -1), $("$nginx" -v 2>&1 | sed 's/.*: //') (TLS 1.3, HTTP/1.1), bench/delayproxy.py ($("$python" -V 2>&1))"
echo "- wall = process start to exit (EPOCHREALTIME); duration_ms = the check, from the tool's JSON"
echo "- added RTTs = (median wall - median wall of proxy0) / D; minimum 7, the SMTP probe's chain: MX answer, the MX host's address (and TLSA, in parallel), TCP, greeting, EHLO, STARTTLS, TLS 1.3; the policy fetch's own 4 (DNS, TCP, TLS 1.3, HTTP) overlap it"
echo
"$python" - "$tmp/results.tsv" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
order = []
for r in rows:
    if r["label"] not in order:
        order.append(r["label"])
def fmt(v):
    return "%.0f" % v if v >= 10 else "%.1f" % v
base = None
print("| D (RTT) | runs ok | median wall ms (min-max) | median duration_ms (min-max) | wall / D | (wall - proxy0) / D | minimum |")
print("|---|---:|---:|---:|---:|---:|---:|")
for lab in order:
    rs = [r for r in rows if r["label"] == lab]
    good = [r for r in rs if r["verdict"] == "ok"]
    d = int(rs[0]["rtt"])
    if not good:
        print("| %s | 0/%d | - | - | - | - | 7 |" % (lab, len(rs)))
        continue
    w = sorted(float(r["wall_ms"]) for r in good)
    u = sorted(float(r["duration_ms"]) for r in good)
    mw, mu = statistics.median(w), statistics.median(u)
    if lab == "proxy0":
        base = mw
    name = {"direct": "0 (no proxy)", "proxy0": "0 (proxy, no delay)"}.get(
        lab, "%d ms%s" % (d, " --propagation" if lab.endswith("+prop") else ""))
    mult = "%.2f" % (mw / d) if d else "-"
    added = "%.2f" % ((mw - base) / d) if d and base is not None else "-"
    print("| %s | %d/%d | %s (%s-%s) | %s (%s-%s) | %s | %s | %s |" % (
        name, len(good), len(rs), fmt(mw), fmt(w[0]), fmt(w[-1]),
        fmt(mu), fmt(u[0]), fmt(u[-1]), mult, added, "7" if d else "-"))
EOF
echo

# ---- strace timeline -----------------------------------------------------------

if ((do_strace)); then
  d=${rtt_list[-1]}
  for x in "${rtt_list[@]}"; do ((x > d)) && d=$x; done
  start_proxy "$d"
  st=$tmp/strace.txt
  rc=0
  "$strace" -f -ttt -e trace=network,execve,exit_group -s 0 -o "$st" \
    "$binary" --json --resolver "$udp_proxy:$dns_port" --ca-file "$web/ca.pem" \
    "$zone" >"$tmp/out.strace.json" 2>/dev/null || rc=$?
  stop_proxy
  v=$(check "$tmp/out.strace.json" "$rc")
  echo "### Timeline of one run at D = $d ms under strace (verdict: $v)"
  echo
  echo "Every network system call of the tool (strace -f -ttt -e trace=network);"
  echo "time from the first DNS query, in ms and in RTTs. Ideal: DNS answers at 1,"
  echo "TCP connected at 2, TLS done at 3, the HTTP response at 4."
  echo
  awk -v D="$d" '
  function fdof(s,   m) { if (match(s, /\(([0-9]+)/)) return substr(s, RSTART + 1, RLENGTH - 1); return "" }
  function retval(s) { sub(/.*= /, "", s); sub(/ .*/, "", s); return s }
  {
    t = $2; $1 = ""; $2 = ""; line = substr($0, 3)
    if (line ~ /^execve\(/ && t_exec == "") { t_exec = t; next }
    if (line ~ /^exit_group\(/) { t_exit = t; next }
    # resumed calls: strace splits them across threads
    if (line ~ /^socket\(/) {
      fd = retval(line)
      kind[fd] = (line ~ /SOCK_DGRAM/) ? "udp" : (line ~ /SOCK_STREAM/ ? "tcp" : "other")
      next
    }
    if (line !~ /^(sendto|sendmsg|sendmmsg|recvfrom|recvmsg|connect|write|read)\(/) next
    call = line; sub(/\(.*/, "", call)
    fd = fdof(line)
    if (!(fd in kind)) next
    r = retval(line)
    if (call == "connect") {
      ev = kind[fd] == "udp" ? "" : "connect() -> " r
      if (ev == "") next
    } else {
      if (r !~ /^[0-9]+$/) next     # EAGAIN and friends
      ev = ((call ~ /^send|^write/) ? "send " : "recv ") r " bytes"
    }
    if (t0 == "") t0 = t
    ms = (t - t0) * 1000
    printf "| %8.1f | %5.2f | %s fd %s | %s |\n", ms, ms / D, kind[fd], fd, ev
  }
  END {
    if (t_exec != "") printf "| %8.1f | %5.2f | - | execve (process start) |\n", (t_exec - t0) * 1000, (t_exec - t0) * 1000 / D
    if (t_exit != "") printf "| %8.1f | %5.2f | - | exit_group (process end) |\n", (t_exit - t0) * 1000, (t_exit - t0) * 1000 / D
  }' "$st" | sort -t'|' -k2,2g >"$tmp/timeline.md"
  echo "| ms | RTT | socket | event |"
  echo "|---:|---:|---|---|"
  cat "$tmp/timeline.md"
  echo
  echo "(the full trace is $st with -k)"
fi

if ((failed)); then
  log "$failed run(s) failed their check (see 'runs ok'; -k keeps the outputs)"
  exit 1
fi
exit 0
