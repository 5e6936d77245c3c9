#!/usr/bin/env bash
# bench/dns-throughput.sh - how fast does mtasts-check get through 10,000
# domains, next to what the DNS server itself can answer?
#
# Everything runs on this machine, on loopback:
#   1. In a temp dir (never the source tree) it writes a zone "bench.test"
#      with N domains d00000.bench.test ... (each: a valid _mta-sts TXT, a
#      valid _smtp._tls TXT, two MX with A records), the domain list, and a
#      dnsperf query file holding exactly the tool's 3 queries per domain
#      (_mta-sts TXT, _smtp._tls TXT, MX), in the tool's order.
#   2. Starts Knot DNS (knotd -c generated knot.conf, no systemd) with ONE
#      UDP worker on 127.53.1.1@5300, waits until kdig gets an answer, and
#      stops it by its PID on exit (trap).
#   3. Runs ROUNDS alternating rounds of:
#        dnsperf (the server's capacity, queries/s, -T 1 -c 1 -q 300 -e),
#        mtasts-check --no-policy --json --resolver ADDR:PORT -f domains.txt
#          (DNS checks: the 3 queries per domain; the policy fetch adds two
#          address lookups and HTTPS, measured separately)
#          (default settings, under /usr/bin/time -v),
#        and, unless -c none, the tool again with --concurrency 50/200/500.
#      Every tool run is checked: exit status 0, one line per domain, every
#      domain exactly once, every top-level status "ok"; a run that fails
#      the check is shown as such, left out of the medians, and makes the
#      script exit 1. The number of queries the server received during each
#      tool run comes from Knot's mod-stats counters (knotc stats): above
#      3 per domain means retries after lost answers. "server drops" counts
#      datagrams dropped because knotd's socket receive buffer was full
#      (ss -m).
#   4. Prints Markdown tables: the machine, every run, and per configuration
#      the median with the min-max spread; domains/s, queries/s (3 x
#      domains/s), the ratio to dnsperf's queries/s of the same round, wall
#      and CPU time, peak RSS; then the aim: ratio >= 0.5, RSS < 32 MiB.
#
# Why one UDP worker: the box may have only 2 cores. dnsperf (-T 1) and the
# tool (single-threaded epoll loop) are each one busy thread, so each gets
# the same deal: one core for the load generator, one for knotd's worker.
#
# Usage: bench/dns-throughput.sh [options]
#   -b BINARY   the tool (default: build/mtasts-check of this source tree;
#               built with cmake -DCMAKE_BUILD_TYPE=Release if missing)
#   -r ROUNDS   alternating rounds (default 3)
#   -n DOMAINS  number of domains (default 10000)
#   -l SECONDS  dnsperf run length per round (default 10)
#   -q N        dnsperf: queries outstanding (default 300, above the tool's
#               default 64 domains x 3 = 192)
#   -c LIST     extra --concurrency values, comma separated (default
#               50,200,500; "none" to skip)
#   -a ADDR     listen address (default 127.53.1.1)
#   -p PORT     listen port (default 5300)
#   -w N        knotd udp-workers (default 1)
#   -B BYTES    give knotd's UDP sockets this receive buffer (SO_RCVBUF, via
#               the LD_PRELOAD shim bench/so-rcvbuf.c, built with cc); default:
#               the system's (net.core.rmem_default). Diagnostic: it shows how
#               much of a shortfall is datagrams dropped at the server
#   -t SECONDS  kill a tool run after this long (default 300)
#   -k          keep the temp dir (zone, outputs, logs) and print its path
#   -A          exit 1 if the aim is missed (median ratio < 0.5 or median
#               peak RSS >= 32 MiB); by default the aim is only reported
#   -h          this help
#
# Needs: knot knot-dnsutils dnsperf time (Debian: apt-get install -y knot
# knot-dnsutils dnsperf time), awk, and cmake + the build deps to build.
# Exit status: 0 measured (and, with -A, aim met); 1 failure (a tool run gave
# wrong or missing results, the server did not start, ...); 64 usage.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_tag=bench
# shellcheck source=bench/lib.sh
. "$srcdir/bench/lib.sh"

binary=$srcdir/build/mtasts-check
rounds=3
ndomains=10000
dp_seconds=10
dp_outstanding=300
sweep=50,200,500
addr=127.53.1.1
port=5300
udp_workers=1
server_rcvbuf=
tool_limit=300
keep=0
strict=0

AIM_RATIO=0.5
AIM_RSS_MIB=32

usage() { bench_usage; }

log() { bench_log "$@"; }
die() { bench_die "$@"; }

is_uint() { bench_is_uint "$1"; }

while getopts ':b:r:n:l:q:c:a:p:w:B:t:kAh' opt; do
  case $opt in
    b) binary=$OPTARG ;;
    r) rounds=$OPTARG ;;
    n) ndomains=$OPTARG ;;
    l) dp_seconds=$OPTARG ;;
    q) dp_outstanding=$OPTARG ;;
    c) sweep=$OPTARG ;;
    a) addr=$OPTARG ;;
    p) port=$OPTARG ;;
    w) udp_workers=$OPTARG ;;
    B) server_rcvbuf=$OPTARG ;;
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
for v in "$rounds" "$ndomains" "$dp_seconds" "$dp_outstanding" "$port" \
  "$udp_workers" "$tool_limit" "${server_rcvbuf:-0}"; do
  is_uint "$v" || { echo "not a number: $v" >&2; usage; }
done
((rounds >= 1 && ndomains >= 1 && ndomains <= 1000000 && dp_seconds >= 1 &&
  udp_workers >= 1)) || usage
[[ $addr =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  die "the address must be on loopback (127.0.0.0/8): $addr"

concurrencies=()
if [[ $sweep != none && -n $sweep ]]; then
  IFS=', ' read -r -a concurrencies <<<"$sweep"
  for c in "${concurrencies[@]}"; do
    if ! is_uint "$c" || ((c < 1)); then
      echo "bad concurrency: $c" >&2
      usage
    fi
  done
fi

# ---- programs -----------------------------------------------------------

find_prog() { bench_find_prog "$@"; }

knotd=$(find_prog knotd)
knotc=$(find_prog knotc)
kdig=$(find_prog kdig)
dnsperf=$(find_prog dnsperf)
gnutime=/usr/bin/time
missing=()
[[ -n $knotd && -n $knotc ]] || missing+=(knot)
[[ -n $kdig ]] || missing+=(knot-dnsutils)
[[ -n $dnsperf ]] || missing+=(dnsperf)
if [[ ! -x $gnutime ]] || ! "$gnutime" --version 2>&1 | grep -q GNU; then
  missing+=(time)
fi
command -v awk >/dev/null 2>&1 || missing+=(gawk)
command -v timeout >/dev/null 2>&1 || missing+=(coreutils)
if ((${#missing[@]})); then
  die "missing programs; install them with: apt-get install -y ${missing[*]}"
fi

if [[ ! -x $binary ]]; then
  if [[ $binary != "$srcdir/build/mtasts-check" ]]; then
    die "no executable $binary"
  fi
  log "no $binary: building it (Release)"
  (cd "$srcdir" &&
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >&2 &&
    cmake --build build -j2 >&2) ||
    die "the build failed (see above); fix it or pass -b BINARY"
  [[ -x $binary ]] || die "the build made no $binary"
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

# ---- temp dir and cleanup ------------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-bench.XXXXXX")

# shellcheck disable=SC2317 # called from the EXIT trap
stop_knotd() {
  bench_stop_pid knotd "$bench_knot_pid"
  bench_knot_pid=
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_knotd
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

zone=bench.test
width=5
((ndomains - 1 < 100000)) || width=${#ndomains}

log "generating $ndomains domains in $tmp"
awk -v n="$ndomains" -v w="$width" -v addr="$addr" -v dir="$tmp" '
BEGIN {
  zf = dir "/bench.test.zone"; df = dir "/domains.txt"; qf = dir "/queries.txt"
  print "; generated by bench/dns-throughput.sh" > zf
  print "$ORIGIN bench.test." > zf
  print "$TTL 3600" > zf
  print "@ SOA ns hostmaster 1 3600 900 604800 300" > zf
  print "@ NS ns" > zf
  print "ns A " addr > zf
  for (i = 0; i < n; i++) {
    d = sprintf("d%0" w "d", i)
    fq = d ".bench.test"
    print d " MX 10 mx1." d > zf
    print d " MX 20 mx2." d > zf
    print "mx1." d " A 192.0.2.1" > zf
    print "mx2." d " A 192.0.2.2" > zf
    print "_mta-sts." d " TXT \"v=STSv1; id=20190425085700\"" > zf
    print "_smtp._tls." d " TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\"" > zf
    print fq > df
    print "_mta-sts." fq " TXT" > qf
    print "_smtp._tls." fq " TXT" > qf
    print fq " MX" > qf
  }
}'
nqueries=$(wc -l <"$tmp/queries.txt")
((nqueries == 3 * ndomains)) || die "query file has $nqueries lines, not $((3 * ndomains))"
sort "$tmp/domains.txt" >"$tmp/domains.sorted"

# ---- knotd ------------------------------------------------------------------

kdig_ok() { bench_kdig_ok "$addr" "$port" "$1" "$2"; }

if kdig_ok "$zone" SOA; then
  die "something already answers for $zone on $addr@$port; pick another -a/-p"
fi

bench_knot_conf "$tmp" "$addr" "$port" "$udp_workers" 1 "$zone"
user=$(id -un):$(id -gn)

knot_env=()
if [[ -n $server_rcvbuf ]]; then
  cc=$(command -v cc || command -v gcc || true)
  [[ -n $cc ]] || die "-B needs a C compiler (apt-get install -y gcc)"
  "$cc" -shared -fPIC -O2 -o "$tmp/so-rcvbuf.so" "$srcdir/bench/so-rcvbuf.c" -ldl ||
    die "cannot build bench/so-rcvbuf.c"
  knot_env=(LD_PRELOAD="$tmp/so-rcvbuf.so" SO_RCVBUF_BYTES="$server_rcvbuf")
fi

log "starting knotd ($udp_workers UDP worker(s), user $user) on $addr@$port"
bench_knot_start "$tmp" "$addr" "$port" \
  "d$(printf "%0${width}d" $((ndomains - 1))).$zone" MX "${knot_env[@]}"
knot_user=$(ps -o user= -p "$bench_knot_pid" | tr -d ' ')
log "knotd runs as $knot_user"
if command -v ss >/dev/null 2>&1; then
  log "knotd socket: $(ss -uamn src "$addr:$port" | grep -o 'skmem:([^)]*)' | head -1)"
fi

# Queries the server has received so far (all transports), from mod-stats.
server_queries() { bench_knot_queries "$tmp"; }

# ---- measurements -------------------------------------------------------------

# UDP datagrams dropped because the receive buffer of knotd's listening
# socket(s) was full (ss's skmem d counter).
server_drops() { bench_udp_drops "$addr" "$port"; }

# run_dnsperf ROUND: prints "qps server_drops"
run_dnsperf() {
  local out=$tmp/dnsperf.$1.txt qps lost d0 d1
  d0=$(server_drops)
  "$dnsperf" -s "$addr" -p "$port" -d "$tmp/queries.txt" -e -c 1 -T 1 \
    -l "$dp_seconds" -q "$dp_outstanding" >"$out" 2>&1 ||
    { cat "$out" >&2; die "dnsperf failed"; }
  d1=$(server_drops)
  qps=$(awk '/Queries per second:/ { print $4 }' "$out")
  lost=$(awk '/Queries lost:/ { print $3 }' "$out")
  [[ -n $qps ]] || { cat "$out" >&2; die "no 'Queries per second' from dnsperf"; }
  log "round $1: dnsperf $qps queries/s (lost $lost, server socket drops $((d1 - d0)))"
  echo "$qps $((d1 - d0))"
}

# verify OUT RC: prints "ok", or what is wrong (one word).
verify() {
  local out=$1 rc=$2 lines ok
  if ((rc == 124 || rc == 137)); then echo "killed-after-${tool_limit}s"; return; fi
  lines=$(wc -l <"$out")
  ok=$(grep -c '"status":"ok"' "$out" || true)
  if ((lines != ndomains)); then echo "lines=$lines"; return; fi
  if ((ok != ndomains)); then echo "status-ok=$ok"; return; fi
  if ((rc != 0)); then echo "exit=$rc"; return; fi
  # The first "status" of a line is the top-level one (key order: domain,
  # ..., status, mta_sts, tls_rpt, findings); "domain" is the A-label.
  if ! awk '{
      if (!match($0, /"domain":"[^"]*"/)) { bad++; next }
      d = substr($0, RSTART + 10, RLENGTH - 11)
      if (!match($0, /"status":"[^"]*"/) || substr($0, RSTART, RLENGTH) != "\"status\":\"ok\"") bad++
      print d
    } END { exit bad > 0 }' "$out" | sort >"$out.domains"; then
    echo "top-level-status-not-ok"
    return
  fi
  if ! cmp -s "$out.domains" "$tmp/domains.sorted"; then
    echo "domains-missing-or-repeated"
    return
  fi
  echo ok
}

# run_tool ROUND LABEL LIST [ARGS...]: prints
# "wall user sys maxrss_kib queries server_drops verdict"
run_tool() {
  local round=$1 label=$2 list=$3 out t0 t1 rc q0 q1 d0 d1 wall user sys rss verdict
  shift 3
  out=$tmp/tool.$label.$round.jsonl
  q0=$(server_queries)
  d0=$(server_drops)
  t0=$EPOCHREALTIME
  rc=0
  timeout -k 5 "$tool_limit" "$gnutime" -v -o "$out.time" "$binary" "$@" \
    --no-policy --json --resolver "$addr:$port" -f "$list" >"$out" 2>"$out.err" || rc=$?
  t1=$EPOCHREALTIME
  q1=$(server_queries)
  d1=$(server_drops)
  # GNU time exits with the tool's status.
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  user=$(awk -F': ' '/User time/ { print $2 }' "$out.time" 2>/dev/null || true)
  sys=$(awk -F': ' '/System time/ { print $2 }' "$out.time" 2>/dev/null || true)
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out.time" 2>/dev/null || true)
  if [[ $label == warmup ]]; then
    verdict=warmup
  else
    verdict=$(verify "$out" "$rc")
  fi
  log "round $round: tool $label: ${wall}s wall, ${user:-?}s user, ${sys:-?}s sys, ${rss:-?} KiB max RSS, $((q1 - q0)) queries seen, $((d1 - d0)) server socket drops: $verdict"
  if [[ $verdict != ok && $verdict != warmup ]]; then
    head -3 "$out.err" >&2 || true
  fi
  echo "$wall ${user:-0} ${sys:-0} ${rss:-0} $((q1 - q0)) $((d1 - d0)) $verdict"
}

# Warm-up (page cache, knotd's caches, CPU frequency), not counted: one
# dnsperf pass over the file and the tool on the first 1,000 domains.
log "warm-up"
"$dnsperf" -s "$addr" -p "$port" -d "$tmp/queries.txt" -e -c 1 -T 1 -n 1 \
  -q "$dp_outstanding" >/dev/null 2>&1 || die "dnsperf warm-up failed"
head -n 1000 "$tmp/domains.txt" >"$tmp/warmup.txt"
run_tool 0 warmup "$tmp/warmup.txt" >/dev/null

labels=(default)
for c in "${concurrencies[@]}"; do labels+=("c$c"); done

# results.tsv, one line per tool run
printf 'round\tlabel\tdnsperf_qps\tdnsperf_drops\twall\tuser\tsys\trss_kib\tqueries\tdrops\tverdict\n' >"$tmp/results.tsv"
failed=0
for ((r = 1; r <= rounds; r++)); do
  read -r dp dp_drops < <(run_dnsperf "$r")
  [[ -n $dp ]] || die "dnsperf gave no figure"
  for label in "${labels[@]}"; do
    if [[ $label == default ]]; then
      res=$(run_tool "$r" "$label" "$tmp/domains.txt")
    else
      res=$(run_tool "$r" "$label" "$tmp/domains.txt" --concurrency "${label#c}")
    fi
    read -r wall user sys rss queries drops verdict <<<"$res"
    [[ $verdict == ok ]] || failed=$((failed + 1))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$label" "$dp" \
      "$dp_drops" "$wall" "$user" "$sys" "$rss" "$queries" "$drops" "$verdict" \
      >>"$tmp/results.tsv"
  done
done

# ---- report --------------------------------------------------------------------

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
knot_ver=$("$knotd" --version 2>&1 | awk '{ print $NF; exit }')
dp_ver=$("$dnsperf" -h 2>&1 | awk '/^Version/ { print $2; exit }')
build_type=unknown
if [[ -f $(dirname "$binary")/CMakeCache.txt ]]; then
  build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$(dirname "$binary")/CMakeCache.txt")
fi
rcvbuf_note="system default SO_RCVBUF ($(cat /proc/sys/net/core/rmem_default 2>/dev/null || echo '?') bytes)"
if [[ -n $server_rcvbuf ]]; then
  rcvbuf_note="SO_RCVBUF forced to $server_rcvbuf bytes (-B)"
fi

echo "## mtasts-check DNS throughput ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "- machine: $(nproc) CPUs ($cpu), $mem RAM, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- server: Knot DNS $knot_ver, $udp_workers UDP worker(s), $rcvbuf_note, $addr@$port, zone of $ndomains domains"
echo "- load generator: dnsperf $dp_ver -e -c 1 -T 1 -q $dp_outstanding -l $dp_seconds (the same $nqueries queries, looped)"
echo "- tool: $binary (CMAKE_BUILD_TYPE=$build_type) --json --resolver $addr:$port -f domains.txt"
echo "- $rounds round(s), alternating dnsperf and the tool; tool q/s = 3 x domains/s; ratio = tool q/s / dnsperf q/s of the same round"
echo "- every tool run verified: exit 0, $ndomains lines, each domain once, top-level status ok"
echo
echo "### Every run"
echo
awk -F'\t' -v n="$ndomains" 'NR > 1 {
  if (!hdr++) {
    print "| round | run | dnsperf q/s | wall s | domains/s | tool q/s | ratio | queries seen | server drops | CPU s | max RSS MiB | verified |"
    print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  }
  qps = 3 * n / $5
  printf "| %d | %s | %.0f | %.3f | %.0f | %.0f | %.3f | %d | %d | %.2f | %.1f | %s |\n",
    $1, $2, $3, $5, n / $5, qps, qps / $3, $9, $10, $6 + $7, $8 / 1024, $11
}' "$tmp/results.tsv"
echo

# per label, over the verified runs: median (min-max) of each metric
summary=$(awk -F'\t' -v n="$ndomains" '
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
NR > 1 {
  lab = $2
  if (!(lab in seen)) { seen[lab] = 1; order[++nl] = lab }
  runs[lab]++
  if ($11 != "ok") next
  i = ++cnt[lab]
  qps = 3 * n / $5
  v["dp", lab, i] = $3; v["dps", lab, i] = n / $5; v["qps", lab, i] = qps
  v["ratio", lab, i] = qps / $3; v["rss", lab, i] = $8 / 1024; v["cpu", lab, i] = $6 + $7
  v["qpd", lab, i] = $9 / n; v["drops", lab, i] = $10
}
END {
  print "| run | verified | domains/s | tool q/s | dnsperf q/s | ratio | queries seen / domain | server drops | CPU s | max RSS MiB |"
  print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for (l = 1; l <= nl; l++) {
    lab = order[l]
    name = lab == "default" ? "default (concurrency 64)" : "--concurrency " substr(lab, 2)
    printf "| %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, cnt[lab], runs[lab],
      cell("dps", lab, "%.0f"), cell("qps", lab, "%.0f"), cell("dp", lab, "%.0f"),
      cell("ratio", lab, "%.3f"), cell("qpd", lab, "%.3f"), cell("drops", lab, "%d"),
      cell("cpu", lab, "%.2f"), cell("rss", lab, "%.1f")
  }
  k = cnt["default"]
  if (k == 0 || k < runs["default"]) { print "AIM fail fail"; exit }
  for (i = 1; i <= k; i++) a[i] = v["ratio", "default", i]
  mr = med(a, k)
  for (i = 1; i <= k; i++) b[i] = v["rss", "default", i]
  mm = med(b, k)
  printf "AIM %.3f %.1f\n", mr, mm
}' "$tmp/results.tsv")

echo "### Median (min-max) over the verified runs of $rounds round(s)"
echo
grep -v '^AIM ' <<<"$summary"
echo
read -r _ ratio rss_mib < <(grep '^AIM ' <<<"$summary")
echo "### Aim (default settings)"
echo
if [[ $ratio == fail ]]; then
  ratio_ok=0 rss_ok=0
  echo "- not every default run was verified: the aim is MISSED"
else
  ratio_ok=$(awk -v r="$ratio" -v a="$AIM_RATIO" 'BEGIN { print (r >= a) ? 1 : 0 }')
  rss_ok=$(awk -v m="$rss_mib" -v a="$AIM_RSS_MIB" 'BEGIN { print (m < a) ? 1 : 0 }')
  printf -- '- tool queries/s >= %s x dnsperf: median ratio %s: %s\n' "$AIM_RATIO" \
    "$ratio" "$( ((ratio_ok)) && echo met || echo MISSED)"
  printf -- '- peak RSS < %s MiB: median %s MiB: %s\n' "$AIM_RSS_MIB" "$rss_mib" \
    "$( ((rss_ok)) && echo met || echo MISSED)"
fi

if ((failed)); then
  log "$failed tool run(s) gave wrong or incomplete results (see 'verified'; -k keeps the outputs)"
  exit 1
fi
if ((strict)) && ! ((ratio_ok && rss_ok)); then
  exit 1
fi
exit 0
