#!/usr/bin/env bash
# bench/bulk-100k.sh - bulk checks of 100,000 domains against a local
# authoritative server, next to dnsperf's capacity of that same server, in
# one run (issue 4, "Done means").
#
# Everything runs on this machine, on loopback, in a temp dir:
#   ADDR@PORT    Knot DNS (one private knotd, bench/lib.sh) serving two
#                generated zones:
#                  bench.test     N domains d000000.bench.test ..., each with
#                                 a valid _mta-sts TXT, a valid _smtp._tls
#                                 TXT and two MX whose targets have A
#                                 records (the DNS checks: 3 queries each)
#                  pol.bench.test N domains d000000.pol.bench.test ...; one
#                                 in 100 (-P) has MTA-STS and TLS-RPT
#                                 records and mta-sts.<d> A WEB; the others
#                                 have an MX only, like most domains of a
#                                 survey
#   WEB:443      nginx (worker_processes 1, TLS 1.2/1.3) serving one valid
#                policy for every mta-sts.<d> host of the subset, with a
#                throwaway test CA and one leaf certificate naming them all
#                (the tool gets --ca-file)
#
# Each round (ROUNDS, default 3) runs back to back, every tool run between
# two dnsperf runs of the same query mix (the ratio uses their mean, so that
# a change of the machine's load during the round counts on both sides):
#   dnsperf  -d the tool's own queries for bench.test (3 per domain, in the
#            tool's order) -e -c 1 -T 1 -q 300 -l 5: the server's capacity
#   dns-N    mtasts-check --no-policy --json --resolver ADDR:PORT -f LIST,
#            for each size in -n (default 10000,100000), under
#            /usr/bin/time -f (wall, CPU, peak RSS)
#   dnsperf  -d the tool's queries for pol.bench.test (5 for a domain with
#            MTA-STS, 6 for an MX-only one: its missing records make the
#            tool look at the apex TXT too, rfc-rules R22)
#   pol-N    mtasts-check --json --resolver ADDR:PORT --ca-file ca.pem -f
#            LIST over pol.bench.test (the largest size): DNS for every
#            domain and the HTTPS policy fetch for the subset
# Every tool run is verified: exit status as expected, one line per domain,
# each domain exactly once, top-level status "ok" for every bench.test
# domain and for the MTA-STS subset of pol.bench.test (with a "valid"
# policy), the same status for all the MX-only ones. A run that fails is
# shown as such, left out of the medians, and makes the script exit 1.
#
# Figures per run: domains/s; tool q/s = domains/s x the tool's queries per
# domain (3, or the policy mix's exact count); ratio = tool q/s / dnsperf
# q/s of the same round and the same query mix; queries the server saw
# (Knot mod-stats: more than expected means resends); datagrams dropped at
# knotd's socket (ss -m); CPU (user + sys) in microseconds per domain; peak
# RSS. Then the median (min-max) per run, and the aims: ratio >= 0.7 and
# peak RSS < 64 MiB.
#
# With -C SIZES (e.g. -C 1000,2000) it also runs the tool under valgrind
# --tool=callgrind on the first SIZES domains of bench.test (--no-policy)
# and reports the instructions (Ir) of each run and the marginal cost per
# domain between the two sizes, with the functions of most self cost.
#
# Usage: bench/bulk-100k.sh [options]
#   -b BINARY   the tool (default: build/mtasts-check of this source tree;
#               built with -DCMAKE_BUILD_TYPE=Release if missing)
#   -B BINARY   a baseline build: its DNS runs ("base-dns-N") go in the
#               same rounds, between the same dnsperf runs, for before/after
#               figures that share the machine's conditions
#   -r ROUNDS   rounds (default 3)
#   -n SIZES    list sizes of the DNS runs, comma separated (default
#               10000,100000; the zones hold the largest)
#   -P PERCENT  the share of pol.bench.test with MTA-STS and a policy
#               (default 1; 0 skips the policy run and nginx)
#   -l SECONDS  dnsperf run length (default 5)
#   -q N        dnsperf: queries outstanding (default 300)
#   -w N        knotd udp-workers (default 1), the same for dnsperf and the tool
#   -c N        the tool's --concurrency (default: the tool's default)
#   -T C:S      pin the clients (dnsperf, the tool) to CPU C and the servers
#               (knotd, nginx) to CPU S with taskset (default none: they
#               float; pinned, a client cannot move away from a CPU that
#               other people's jobs keep busy)
#   -x ARGS     more arguments for every tool run (one word list)
#   -C SIZES    callgrind sizes (default none)
#   -a ADDR     DNS listen address (default $MTS_TEST_DNS_ADDR or 127.53.1.1)
#   -p PORT     DNS port (default $MTS_TEST_DNS_PORT or 5300)
#   -W ADDR     nginx address (default ${MTS_TEST_HTTPS_PREFIX:-127.53.2}.21)
#   -t SECONDS  kill a tool run after this long (default 600)
#   -k          keep the temp dir (zones, outputs, logs) and print its path
#   -A          exit 1 if an aim is missed; by default they are only reported
#   -h          this help
#
# Needs: knot knot-dnsutils dnsperf time nginx-light openssl (and valgrind
# for -C). Exit status: 0 measured (and, with -A, aims met); 1 failure (a
# run gave wrong results, a server did not start, ...); 64 usage.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_tag=bulk
# shellcheck source=bench/lib.sh
. "$srcdir/bench/lib.sh"

binary=$srcdir/build/mtasts-check
base=
rounds=3
sizes=10000,100000
pol_pct=1
dp_seconds=5
dp_outstanding=300
udp_workers=1
concurrency=
pin=
extra=
cg_sizes=
addr=${MTS_TEST_DNS_ADDR:-127.53.1.1}
port=${MTS_TEST_DNS_PORT:-5300}
web=${MTS_TEST_HTTPS_PREFIX:-127.53.2}.21
tool_limit=600
keep=0
strict=0

AIM_RATIO=0.7
AIM_RSS_MIB=64

usage() { bench_usage; }
log() { bench_log "$@"; }
die() { bench_die "$@"; }
is_uint() { bench_is_uint "$1"; }

while getopts ':b:B:r:n:P:l:q:w:c:T:x:C:a:p:W:t:kAh' opt; do
  case $opt in
    b) binary=$OPTARG ;;
    B) base=$OPTARG ;;
    r) rounds=$OPTARG ;;
    n) sizes=$OPTARG ;;
    P) pol_pct=$OPTARG ;;
    l) dp_seconds=$OPTARG ;;
    q) dp_outstanding=$OPTARG ;;
    w) udp_workers=$OPTARG ;;
    c) concurrency=$OPTARG ;;
    T) pin=$OPTARG ;;
    x) extra=$OPTARG ;;
    C) cg_sizes=$OPTARG ;;
    a) addr=$OPTARG ;;
    p) port=$OPTARG ;;
    W) web=$OPTARG ;;
    t) tool_limit=$OPTARG ;;
    k) keep=1 ;;
    A) strict=1 ;;
    h) usage ;;
    :) echo "option -$OPTARG needs a value" >&2; usage ;;
    *) echo "unknown option -$OPTARG" >&2; usage ;;
  esac
done
shift $((OPTIND - 1))
(($# == 0)) || usage
for v in "$rounds" "$pol_pct" "$dp_seconds" "$dp_outstanding" "$port" \
  "$udp_workers" "$tool_limit" "${concurrency:-1}"; do
  is_uint "$v" || { echo "not a number: $v" >&2; usage; }
done
((rounds >= 1 && dp_seconds >= 1 && udp_workers >= 1 && pol_pct <= 100)) || usage
IFS=', ' read -r -a size_list <<<"$sizes"
ndomains=0
for n in "${size_list[@]}"; do
  if ! is_uint "$n" || ((n < 1 || n > 1000000)); then
    echo "bad size: $n" >&2
    usage
  fi
  ((n > ndomains)) && ndomains=$n
done
cg_list=()
if [[ -n $cg_sizes ]]; then
  IFS=', ' read -r -a cg_list <<<"$cg_sizes"
  for n in "${cg_list[@]}"; do
    if ! is_uint "$n" || ((n < 1 || n > ndomains)); then
      echo "bad callgrind size: $n" >&2
      usage
    fi
  done
fi
for a in "$addr" "$web"; do
  [[ $a =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "addresses must be on loopback (127.0.0.0/8): $a"
done
read -r -a extra_args <<<"$extra"
pin=${pin:-none}
client_pin=()
server_pin=()
if [[ $pin != none ]]; then
  [[ $pin =~ ^([0-9]+):([0-9]+)$ ]] || { echo "bad -T: $pin" >&2; usage; }
  command -v taskset >/dev/null 2>&1 || die "-T needs taskset (apt-get install -y util-linux)"
  client_pin=(taskset -c "${BASH_REMATCH[1]}")
  server_pin=(taskset -c "${BASH_REMATCH[2]}")
fi
if [[ -n $concurrency ]]; then
  extra_args+=(--concurrency "$concurrency")
fi

# ---- programs -----------------------------------------------------------

knotd=$(bench_find_prog knotd)
knotc=$(bench_find_prog knotc)
kdig=$(bench_find_prog kdig)
dnsperf=$(bench_find_prog dnsperf)
nginx=$(bench_find_prog nginx)
openssl=$(bench_find_prog openssl)
valgrind=$(bench_find_prog valgrind)
gnutime=/usr/bin/time
missing=()
[[ -n $knotd && -n $knotc ]] || missing+=(knot)
[[ -n $kdig ]] || missing+=(knot-dnsutils)
[[ -n $dnsperf ]] || missing+=(dnsperf)
if [[ ! -x $gnutime ]] || ! "$gnutime" --version 2>&1 | grep -q GNU; then
  missing+=(time)
fi
if ((pol_pct > 0)); then
  [[ -n $nginx ]] || missing+=(nginx-light)
  [[ -n $openssl ]] || missing+=(openssl)
fi
if ((${#cg_list[@]})) && [[ -z $valgrind ]]; then
  missing+=(valgrind)
fi
if ((${#missing[@]})); then
  die "missing programs; install them with: apt-get install -y ${missing[*]}"
fi

if [[ ! -x $binary ]]; then
  [[ $binary == "$srcdir/build/mtasts-check" ]] || die "no executable $binary"
  log "no $binary: building it (Release)"
  (cd "$srcdir" &&
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >&2 &&
    cmake --build build -j2 >&2) ||
    die "the build failed (see above); fix it or pass -b BINARY"
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
if [[ -n $base ]]; then
  [[ -x $base ]] || die "no executable $base"
  base=$(cd "$(dirname "$base")" && pwd)/$(basename "$base")
fi
tool_bin=$binary

# ---- temp dir and cleanup ------------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-bulk.XXXXXX")

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bench_stop_pid nginx "$bench_nginx_pid"
  bench_stop_pid knotd "$bench_knot_pid"
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

# ---- data -----------------------------------------------------------------

log "generating 2 zones of $ndomains domains in $tmp (policy subset: $pol_pct%)"
awk -v n="$ndomains" -v addr="$addr" -v web="$web" -v pct="$pol_pct" -v dir="$tmp" '
BEGIN {
  # bench.test: the DNS checks
  zf = dir "/bench.test.zone"; df = dir "/dns.txt"; qf = dir "/dns-queries.txt"
  print "; generated by bench/bulk-100k.sh" > zf
  print "$ORIGIN bench.test.\n$TTL 3600" > zf
  print "@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A " addr > zf
  for (i = 0; i < n; i++) {
    d = sprintf("d%06d", i)
    fq = d ".bench.test"
    print d " MX 10 mx1." d "\n" d " MX 20 mx2." d > zf
    print "mx1." d " A 192.0.2.1\nmx2." d " A 192.0.2.2" > zf
    print "_mta-sts." d " TXT \"v=STSv1; id=20190425085700\"" > zf
    print "_smtp._tls." d " TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\"" > zf
    print fq > df
    print "_mta-sts." fq " TXT\n_smtp._tls." fq " TXT\n" fq " MX" > qf
  }
  # pol.bench.test: a survey, one domain in 100/pct with MTA-STS
  zf = dir "/pol.bench.test.zone"; df = dir "/pol.txt"; qf = dir "/pol-queries.txt"
  hf = dir "/pol-hosts.txt"
  print "; generated by bench/bulk-100k.sh" > zf
  print "$ORIGIN pol.bench.test.\n$TTL 3600" > zf
  print "@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A " addr > zf
  print "mx A 192.0.2.25" > zf
  every = pct > 0 ? int(100 / pct) : 0
  npol = 0
  for (i = 0; i < n; i++) {
    d = sprintf("d%06d", i)
    fq = d ".pol.bench.test"
    print d " MX 10 mx.pol.bench.test." > zf
    print fq > df
    print "_mta-sts." fq " TXT\n_smtp._tls." fq " TXT\n" fq " MX" > qf
    print "mta-sts." fq " A\nmta-sts." fq " AAAA" > qf
    if (every > 0 && i % every == 0) {
      npol++
      print "_mta-sts." d " TXT \"v=STSv1; id=20261128000000\"" > zf
      print "_smtp._tls." d " TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@pol.bench.test\"" > zf
      print "mta-sts." d " A " web > zf
      print "mta-sts." fq > hf
      print fq > (dir "/pol-subset.txt")
    } else {
      print fq " TXT" > qf
    }
  }
  print npol > (dir "/npol")
}'
npol=$(cat "$tmp/npol")
: >>"$tmp/pol-hosts.txt"
: >>"$tmp/pol-subset.txt"
pol_queries=$(wc -l <"$tmp/pol-queries.txt")
for n in "${size_list[@]}"; do
  head -n "$n" "$tmp/dns.txt" >"$tmp/dns.$n.txt"
  sort "$tmp/dns.$n.txt" >"$tmp/dns.$n.sorted"
done
sort "$tmp/pol.txt" >"$tmp/pol.sorted"
sort "$tmp/pol-subset.txt" >"$tmp/pol-subset.sorted"

# ---- knotd ------------------------------------------------------------------

if bench_kdig_ok "$addr" "$port" bench.test SOA; then
  die "something already answers for bench.test on $addr@$port; pick another -a/-p"
fi
bench_knot_conf "$tmp" "$addr" "$port" "$udp_workers" 1 bench.test pol.bench.test
log "starting knotd ($udp_workers UDP worker(s)) on $addr@$port"
bench_knot_start "$tmp" "$addr" "$port" \
  "d$(printf %06d $((ndomains - 1))).pol.bench.test" MX
if ((${#server_pin[@]})); then
  # every thread of knotd, started before this
  taskset -a -p -c "${server_pin[2]}" "$bench_knot_pid" >/dev/null ||
    die "taskset failed on knotd"
fi
bench_kdig_ok "$addr" "$port" "d$(printf %06d $((ndomains - 1))).bench.test" MX ||
  die "knotd does not serve bench.test"

# ---- nginx -------------------------------------------------------------------

if ((pol_pct > 0)); then
  w=$tmp/web
  mkdir -p "$w/tmp"
  if bench_tcp_open "$web" 443; then
    die "something already listens on $web:443; pick another -W"
  fi
  bench_ca "$openssl" "$w" "mtasts-check bulk bench CA"
  bench_leaf "$openssl" "$w" "mta-sts.pol.bench.test" \
    "$(awk 'NR > 1 { printf "," } { printf "DNS:%s", $0 }' "$tmp/pol-hosts.txt")"
  policy='version: STSv1\r\nmode: enforce\r\nmx: mx.pol.bench.test\r\nmax_age: 604800\r\n'
  {
    bench_nginx_head "$w" 1024
    cat <<EOF
    server {
        listen $web:443 ssl;
        server_name ~^mta-sts\\..*\\.pol\\.bench\\.test\$;
        ssl_certificate $w/mta-sts.pol.bench.test.pem;
        ssl_certificate_key $w/mta-sts.pol.bench.test.key;
        location = /.well-known/mta-sts.txt {
            default_type text/plain;
            return 200 "$policy";
        }
        location / { return 404; }
    }
}
EOF
  } >"$w/nginx.conf"
  bench_nginx_start "$nginx" "$w" "$web" "${server_pin[@]}"
  log "nginx PID $bench_nginx_pid serves the policy of $npol hosts on $web:443"
fi

# ---- measurements -------------------------------------------------------------

# run_dnsperf ROUND MIX: prints "qps"
run_dnsperf() {
  local out=$tmp/dnsperf.$2.$1.txt qps lost d0 d1
  d0=$(bench_udp_drops "$addr" "$port")
  "${client_pin[@]}" "$dnsperf" -s "$addr" -p "$port" -d "$tmp/$2-queries.txt" -e -c 1 -T 1 \
    -l "$dp_seconds" -q "$dp_outstanding" >"$out" 2>&1 ||
    { cat "$out" >&2; die "dnsperf failed"; }
  d1=$(bench_udp_drops "$addr" "$port")
  qps=$(awk '/Queries per second:/ { print $4 }' "$out")
  lost=$(awk '/Queries lost:/ { print $3 }' "$out")
  [[ -n $qps ]] || { cat "$out" >&2; die "no 'Queries per second' from dnsperf"; }
  log "round $1: dnsperf ($2 mix) $qps queries/s (lost $lost, server drops $((d1 - d0)))"
  echo "$qps"
}

# The top-level status of a line is its first "status" (key order: domain,
# ..., status, mta_sts, ...); "domain" is the A-label. Prints
# "domain status policy-status" per line.
statuses() {
  awk '{
    d = s = p = "-"
    if (match($0, /"domain":"[^"]*"/)) d = substr($0, RSTART + 10, RLENGTH - 11)
    if (match($0, /"status":"[^"]*"/)) s = substr($0, RSTART + 10, RLENGTH - 11)
    if (match($0, /"policy":\{"status":"[^"]*"/)) p = substr($0, RSTART + 20, RLENGTH - 21)
    print d, s, p
  }' "$1"
}

# verify KIND N OUT RC: prints "ok", or what is wrong (one word)
verify() {
  local kind=$1 n=$2 out=$3 rc=$4 lines
  if ((rc == 124 || rc == 137)); then echo "killed-after-${tool_limit}s"; return; fi
  lines=$(wc -l <"$out")
  if ((lines != n)); then echo "lines=$lines"; return; fi
  statuses "$out" >"$out.st"
  if ! cut -d' ' -f1 "$out.st" | sort | cmp -s - "$tmp/$kind.sorted"; then
    echo "domains-missing-or-repeated"
    return
  fi
  if [[ $kind == dns.* ]]; then
    if ((rc != 0)); then echo "exit=$rc"; return; fi
    if awk '$2 != "ok" { bad = 1 } END { exit !bad }' "$out.st"; then
      echo "status-not-ok"
      return
    fi
  else
    # The subset: ok with a valid policy. The others: one and the same
    # status (what the tool says of a domain without MTA-STS).
    if ! awk -v subset="$tmp/pol-subset.txt" '
      BEGIN { while ((getline l < subset) > 0) want[l] = 1 }
      ($1 in want) { if ($2 != "ok" || $3 != "valid") bad++; next }
      { other[$2]++ }
      END { k = 0; for (s in other) k++; exit (bad > 0 || k > 1) }' "$out.st"; then
      echo "unexpected-status"
      return
    fi
  fi
  echo ok
}

# run_tool ROUND LABEL KIND N [ARGS...]: prints
# "wall cpu maxrss_kib queries drops verdict"
run_tool() {
  local round=$1 label=$2 kind=$3 n=$4 out t0 t1 rc q0 q1 d0 d1 wall cpu rss verdict
  shift 4
  out=$tmp/tool.$label.$round.jsonl
  q0=$(bench_knot_queries "$tmp")
  d0=$(bench_udp_drops "$addr" "$port")
  t0=$EPOCHREALTIME
  rc=0
  timeout -k 5 "$tool_limit" "${client_pin[@]}" "$gnutime" -f '%U %S %M' -o "$out.time" "$tool_bin" \
    "${extra_args[@]}" "$@" --json --resolver "$addr:$port" \
    -f "$tmp/$kind.txt" >"$out" 2>"$out.err" || rc=$?
  t1=$EPOCHREALTIME
  q1=$(bench_knot_queries "$tmp")
  d1=$(bench_udp_drops "$addr" "$port")
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  read -r cpu rss < <(awk 'END { printf "%.2f %d\n", $1 + $2, $3 }' "$out.time" 2>/dev/null || echo "0 0")
  if [[ $round == 0 ]]; then
    verdict=warmup
  else
    verdict=$(verify "$kind" "$n" "$out" "$rc")
  fi
  log "round $round: $label: ${wall}s wall, ${cpu}s CPU, ${rss} KiB peak RSS, $((q1 - q0)) queries seen, $((d1 - d0)) server drops: $verdict"
  if [[ $verdict != ok && $verdict != warmup ]]; then
    head -3 "$out.err" >&2 || true
  fi
  if [[ $round != 0 && $keep == 0 ]]; then
    rm -f "$out" "$out.st"
  fi
  echo "$wall $cpu $rss $((q1 - q0)) $((d1 - d0)) $verdict"
}

log "warm-up"
"$dnsperf" -s "$addr" -p "$port" -d "$tmp/dns-queries.txt" -e -c 1 -T 1 -n 1 \
  -q "$dp_outstanding" >/dev/null 2>&1 || die "dnsperf warm-up failed"
head -n 1000 "$tmp/dns.txt" >"$tmp/warm.txt"
run_tool 0 warmup warm 1000 --no-policy >/dev/null
exp_pol=$((5 * npol + 6 * (ndomains - npol)))

# results.tsv: one line per tool run
printf 'round\tlabel\tn\tqpd\tdnsperf\twall\tcpu\trss_kib\tqueries\tdrops\tverdict\n' >"$tmp/results.tsv"
failed=0
for ((r = 1; r <= rounds; r++)); do
  dp_next=$(run_dnsperf "$r" dns)
  for n in "${size_list[@]}"; do
    dp_before=$dp_next
    read -r wall cpu rss q d verdict < <(run_tool "$r" "dns-$n" "dns.$n" "$n" --no-policy)
    dp_next=$(run_dnsperf "$r" dns)
    dp=$(awk -v a="$dp_before" -v b="$dp_next" 'BEGIN { printf "%.0f", (a + b) / 2 }')
    [[ $verdict == ok ]] || failed=$((failed + 1))
    printf '%s\tdns-%s\t%s\t3\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$n" "$dp" \
      "$wall" "$cpu" "$rss" "$q" "$d" "$verdict" >>"$tmp/results.tsv"
    if [[ -n $base ]]; then
      dp_before=$dp_next
      tool_bin=$base
      read -r wall cpu rss q d verdict < <(run_tool "$r" "base-dns-$n" "dns.$n" "$n" --no-policy)
      tool_bin=$binary
      dp_next=$(run_dnsperf "$r" dns)
      dp=$(awk -v a="$dp_before" -v b="$dp_next" 'BEGIN { printf "%.0f", (a + b) / 2 }')
      [[ $verdict == ok ]] || failed=$((failed + 1))
      printf '%s\tbase-dns-%s\t%s\t3\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$n" "$dp" \
        "$wall" "$cpu" "$rss" "$q" "$d" "$verdict" >>"$tmp/results.tsv"
    fi
  done
  if ((pol_pct > 0)); then
    dp_before=$(run_dnsperf "$r" pol)
    read -r wall cpu rss q d verdict < <(run_tool "$r" "pol-$ndomains" pol "$ndomains" \
      --ca-file "$tmp/web/ca.pem")
    dp_next=$(run_dnsperf "$r" pol)
    dp=$(awk -v a="$dp_before" -v b="$dp_next" 'BEGIN { printf "%.0f", (a + b) / 2 }')
    [[ $verdict == ok ]] || failed=$((failed + 1))
    printf '%s\tpol-%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$ndomains" \
      "$ndomains" "$(awk -v a="$exp_pol" -v n="$ndomains" 'BEGIN { printf "%.4f", a / n }')" \
      "$dp" "$wall" "$cpu" "$rss" "$q" "$d" "$verdict" >>"$tmp/results.tsv"
  fi
done

# ---- callgrind ---------------------------------------------------------------

cg_report=
if ((${#cg_list[@]})); then
  : >"$tmp/cg.tsv"
  for n in "${cg_list[@]}"; do
    head -n "$n" "$tmp/dns.txt" >"$tmp/cg.$n.txt"
    log "callgrind: $n domains"
    rc=0
    "$valgrind" --tool=callgrind --callgrind-out-file="$tmp/callgrind.$n.out" \
      "$binary" "${extra_args[@]}" --no-policy --json --resolver "$addr:$port" \
      -f "$tmp/cg.$n.txt" >"$tmp/cg.$n.jsonl" 2>"$tmp/cg.$n.err" || rc=$?
    lines=$(wc -l <"$tmp/cg.$n.jsonl")
    ok=$(grep -c '"status":"ok"' "$tmp/cg.$n.jsonl" || true)
    if ((rc != 0 || lines != n || ok != n)); then
      log "callgrind run of $n: exit $rc, $lines lines, $ok ok"
      failed=$((failed + 1))
    fi
    ir=$(awk '/^summary:/ { print $2 }' "$tmp/callgrind.$n.out")
    printf '%s\t%s\n' "$n" "$ir" >>"$tmp/cg.tsv"
  done
  cg_report=1
fi

# ---- report --------------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
knot_ver=$("$knotd" --version 2>&1 | awk '{ print $NF; exit }')
dp_ver=$("$dnsperf" -h 2>&1 | awk '/^Version/ { print $2; exit }')
build_type=unknown
if [[ -f $(dirname "$binary")/CMakeCache.txt ]]; then
  build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$(dirname "$binary")/CMakeCache.txt")
fi

echo "## mtasts-check bulk: $ndomains domains ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "- machine: $(nproc) CPUs ($cpu_model), $mem RAM, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- server: Knot DNS $knot_ver, $udp_workers UDP worker(s), $addr@$port; bench.test and pol.bench.test, $ndomains domains each; $npol of pol.bench.test with MTA-STS and a policy on nginx $("$nginx" -v 2>&1 | sed 's/.*\///') at $web:443"
echo "- load generator: dnsperf $dp_ver -e -c 1 -T 1 -q $dp_outstanding -l $dp_seconds, the tool's own queries: dns mix 3 per domain; pol mix $pol_queries for $ndomains domains"
[[ -z $base ]] || echo "- baseline (base-*): $base"
echo "- tool: $binary (CMAKE_BUILD_TYPE=$build_type) ${extra_args[*]} --json --resolver $addr:$port -f LIST (dns: --no-policy; pol: --ca-file ca.pem)"
echo "- CPU pinning (-T): $pin (client CPU:server CPU; dnsperf and the tool on the client CPU, knotd and nginx on the server CPU)"
echo "- $rounds round(s): dnsperf (dns mix), each DNS run followed by dnsperf again, dnsperf (pol mix), the policy run, dnsperf (pol mix); dnsperf q/s = the mean of the runs just before and just after the tool's; ratio = domains/s x queries per domain / that"
echo
echo "### Every run"
echo
awk -F'\t' 'NR > 1 {
  if (!hdr++) {
    print "| round | run | dnsperf q/s | wall s | domains/s | tool q/s | ratio | queries seen / domain | server drops | CPU us / domain | peak RSS MiB | verified |"
    print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  }
  dps = $3 / $6; qps = dps * $4
  printf "| %d | %s | %.0f | %.3f | %.0f | %.0f | %.3f | %.3f | %d | %.1f | %.1f | %s |\n",
    $1, $2, $5, $6, dps, qps, qps / $5, $9 / $3, $10, $7 * 1e6 / $3, $8 / 1024, $11
}' "$tmp/results.tsv"
echo

summary=$(awk -F'\t' -v aim_ratio="$AIM_RATIO" -v aim_rss="$AIM_RSS_MIB" '
function sortn(a, k,   i, j, t) {
  for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function med(a, k) {
  sortn(a, k)
  return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
function cell(name, lab, fmt,   k, i, a, m) {
  k = cnt[lab]
  if (k == 0) return "-"
  for (i = 1; i <= k; i++) a[i] = v[name, lab, i]
  m = med(a, k)
  if (k == 1) return sprintf(fmt, m)
  return sprintf(fmt " (" fmt "-" fmt ")", m, a[1], a[k])
}
function median_of(name, lab,   k, i, a) {
  k = cnt[lab]
  for (i = 1; i <= k; i++) a[i] = v[name, lab, i]
  return med(a, k)
}
NR > 1 {
  lab = $2
  if (!(lab in seen)) { seen[lab] = 1; order[++nl] = lab }
  runs[lab]++
  if ($11 != "ok") next
  i = ++cnt[lab]
  dps = $3 / $6
  v["dp", lab, i] = $5; v["dps", lab, i] = dps; v["qps", lab, i] = dps * $4
  v["ratio", lab, i] = dps * $4 / $5; v["rss", lab, i] = $8 / 1024
  v["cpu", lab, i] = $7 * 1e6 / $3; v["qpd", lab, i] = $9 / $3; v["drops", lab, i] = $10
}
END {
  print "| run | verified | domains/s | tool q/s | dnsperf q/s | ratio | queries seen / domain | server drops | CPU us / domain | peak RSS MiB |"
  print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for (l = 1; l <= nl; l++) {
    lab = order[l]
    printf "| %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s |\n", lab, cnt[lab], runs[lab],
      cell("dps", lab, "%.0f"), cell("qps", lab, "%.0f"), cell("dp", lab, "%.0f"),
      cell("ratio", lab, "%.3f"), cell("qpd", lab, "%.3f"), cell("drops", lab, "%d"),
      cell("cpu", lab, "%.1f"), cell("rss", lab, "%.1f")
  }
  # aims: every dns run; the largest dns run for the ratio, all for RSS
  ok = 1; maxrss = 0; big = ""
  for (l = 1; l <= nl; l++) {
    lab = order[l]
    if (lab ~ /^base-/) continue
    if (cnt[lab] < runs[lab] || cnt[lab] == 0) { ok = 0; continue }
    r = median_of("rss", lab); if (r > maxrss) maxrss = r
    if (lab ~ /^dns-/) big = lab
  }
  if (big == "" || !ok) { print "AIM fail fail -"; exit }
  printf "AIM %.3f %.1f %s\n", median_of("ratio", big), maxrss, big
}' "$tmp/results.tsv")

echo "### Median (min-max) over the verified runs of $rounds round(s)"
echo
grep -v '^AIM ' <<<"$summary"
echo
read -r _ ratio rss_mib big < <(grep '^AIM ' <<<"$summary")
echo "### Aims"
echo
if [[ $ratio == fail ]]; then
  ratio_ok=0 rss_ok=0
  echo "- not every run was verified: the aims are MISSED"
else
  ratio_ok=$(awk -v r="$ratio" -v a="$AIM_RATIO" 'BEGIN { print (r >= a) ? 1 : 0 }')
  rss_ok=$(awk -v m="$rss_mib" -v a="$AIM_RSS_MIB" 'BEGIN { print (m < a) ? 1 : 0 }')
  printf -- '- %s: tool q/s >= %s x dnsperf: median ratio %s: %s\n' "$big" "$AIM_RATIO" \
    "$ratio" "$( ((ratio_ok)) && echo met || echo MISSED)"
  printf -- '- peak RSS < %s MiB in every run (largest median): %s MiB: %s\n' "$AIM_RSS_MIB" \
    "$rss_mib" "$( ((rss_ok)) && echo met || echo MISSED)"
fi
echo

if [[ -n $cg_report ]]; then
  echo "### Instructions per domain (valgrind --tool=callgrind, --no-policy)"
  echo
  echo "| domains | instructions (Ir) | Ir / domain |"
  echo "|---:|---:|---:|"
  awk -F'\t' '{ printf "| %d | %d | %.0f |\n", $1, $2, $2 / $1; n[NR] = $1; ir[NR] = $2 }
    END { if (NR >= 2 && n[NR] != n[1]) printf "\nMarginal cost: (Ir(%d) - Ir(%d)) / %d = **%.0f instructions per domain**.\n", n[NR], n[1], n[NR] - n[1], (ir[NR] - ir[1]) / (n[NR] - n[1]) }' "$tmp/cg.tsv"
  echo
  last=${cg_list[-1]}
  echo "Functions of most self cost, $last domains (callgrind_annotate, share of all Ir):"
  echo
  echo '```'
  callgrind_annotate "$tmp/callgrind.$last.out" >"$tmp/callgrind.$last.txt" 2>/dev/null || true
  awk '/^-+$/ { sep++; next } sep >= 3 && NF { print; if (++k == 25) exit }' \
    "$tmp/callgrind.$last.txt" | sed -e 's/ \[[^]]*\]$//' -e 's|/[^ ]*/||'
  echo '```'
  echo
fi

if ((failed)); then
  log "$failed run(s) gave wrong or incomplete results (see 'verified'; -k keeps the outputs)"
  exit 1
fi
if ((strict)) && ! ((ratio_ok && rss_ok)); then
  exit 1
fi
exit 0
