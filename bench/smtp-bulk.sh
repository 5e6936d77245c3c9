#!/usr/bin/env bash
# bench/smtp-bulk.sh - a bulk run with SMTP probes (issue 12): is it bounded
# by the SMTP and TLS servers, not by the tool? And its peak memory.
#
# Everything runs on this machine, on loopback, in a temp dir:
#   127.53.42.1@5300     Knot DNS, zone smtpb.test: dI.smtpb.test (I = 1..N)
#                        with valid _mta-sts and _smtp._tls TXT records and
#                        MX 10 mxK.smtpb.test, K = I mod 8 + 1, and
#                        mxK.smtpb.test A 127.53.42.(10+K)
#   127.53.42.11-18:25   test/integration/smtpserver.py (STARTTLS, TLS 1.3,
#                        one certificate for *.smtpb.test from a throwaway
#                        CA), two processes of four addresses each
# Rounds, side by side in one run (the machine is shared and noisy):
#   gen   bench/smtpload.py: COUNT sessions of the probe's own work
#         (greeting, EHLO, STARTTLS, TLS with SNI and verification, QUIT),
#         CONC at once, over the 8 servers
#   tool  mtasts-check --no-policy --json -f LIST of COUNT domains (one MX
#         host, one address, one probe each), --concurrency CONC, under
#         /usr/bin/time -v; every result must have its probe "ok"
# repeated ROUNDS times, then one tool run of BIG domains for peak memory.
# ratio = tool domains/s / gen sessions/s of the same round.
#
# Usage: bench/smtp-bulk.sh [options]
#   -b BINARY   the tool (default: build/mtasts-check)
#   -n COUNT    domains (and sessions) per round (default 1000)
#   -c CONC     sessions / domains at once (default 100)
#   -r ROUNDS   rounds (default 3)
#   -m BIG      domains of the memory run (default 10000; 0: none)
#   -k          keep the temp dir and print its path
#   -h          this help
#
# Needs (Debian): apt-get install -y knot knot-dnsutils openssl python3 time
# Exit status: 0 measured; 1 a run failed its check or a server did not
# start; 64 usage.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_tag=smtp-bulk
# shellcheck source=bench/lib.sh
. "$srcdir/bench/lib.sh"

binary=$srcdir/build/mtasts-check
count=1000
conc=100
rounds=3
big=10000
keep=0
dns_addr=127.53.42.1
dns_port=5300
zone=smtpb.test

while getopts ':b:n:c:r:m:kh' opt; do
  case $opt in
    b) binary=$OPTARG ;;
    n) count=$OPTARG ;;
    c) conc=$OPTARG ;;
    r) rounds=$OPTARG ;;
    m) big=$OPTARG ;;
    k) keep=1 ;;
    *) bench_usage ;;
  esac
done
for v in "$count" "$conc" "$rounds" "$big"; do
  bench_is_uint "$v" || bench_usage
done
((count > 0 && conc > 0 && rounds > 0)) || bench_usage
[[ -x $binary ]] || bench_die "no executable $binary (build it, or pass -b)"
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
python=$(bench_find_prog python3)
openssl=$(bench_find_prog openssl)
[[ -x /usr/bin/time ]] || bench_die "no /usr/bin/time: apt-get install -y time"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-smtp-bulk.XXXXXX")
smtp_pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${smtp_pids[@]}"; do bench_stop_pid smtpserver.py "$p"; done
  bench_stop_pid knotd "$bench_knot_pid"
  if ((keep)); then bench_log "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for k in 1 2 3 4 5 6 7 8; do
  if bench_tcp_open "127.53.42.$((10 + k))" 25; then
    bench_die "something already listens on 127.53.42.$((10 + k)):25"
  fi
done

# -- zone and knotd --
n_zone=$((count > big ? count : big))
mkdir -p "$tmp/knot"
{
  echo "\$ORIGIN $zone."
  echo "\$TTL 3600"
  echo "@ SOA ns hostmaster 1 3600 900 604800 300"
  echo "@ NS ns"
  echo "ns A $dns_addr"
  for k in 1 2 3 4 5 6 7 8; do echo "mx$k A 127.53.42.$((10 + k))"; done
  awk -v n="$n_zone" 'BEGIN {
    for (i = 1; i <= n; i++) {
      printf "d%d MX 10 mx%d\n", i, i % 8 + 1
      printf "_mta-sts.d%d TXT \"v=STSv1; id=20261205\"\n", i
      printf "_smtp._tls.d%d TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@d%d.smtpb.test\"\n", i, i
    }
  }'
} >"$tmp/knot/$zone.zone"
bench_knot_conf "$tmp/knot" "$dns_addr" "$dns_port" 2 0 "$zone"
bench_knot_start "$tmp/knot" "$dns_addr" "$dns_port" "d1.$zone" MX

# -- CA and the MX hosts' certificate (smtpserver.py --map: NAME.pem) --
tls=$tmp/tls
mkdir -p "$tls"
bench_ca "$openssl" "$tls" "mtasts-check smtp-bulk CA"
bench_leaf "$openssl" "$tls" mx "DNS:*.$zone"

# -- SMTP servers: two processes, four addresses each --
for half in 0 1; do
  maps=()
  for k in 1 2 3 4; do maps+=("127.53.42.$((10 + half * 4 + k))=mx"); done
  "$python" "$srcdir/test/integration/smtpserver.py" serve --tls-dir "$tls" \
    "${maps[@]}" </dev/null >"$tmp/smtp$half.log" 2>&1 &
  smtp_pids+=($!)
done
for k in 1 2 3 4 5 6 7 8; do
  for ((i = 0; i < 100; i++)); do
    bench_tcp_open "127.53.42.$((10 + k))" 25 && break
    sleep 0.1
  done
  bench_tcp_open "127.53.42.$((10 + k))" 25 || bench_die "no SMTP server on 127.53.42.$((10 + k))"
done
bench_log "Knot PID $bench_knot_pid, smtpserver.py PIDs ${smtp_pids[*]}"

seq 1 "$count" | sed "s/.*/d&.$zone/" >"$tmp/list.txt"
targets=()
for k in 1 2 3 4 5 6 7 8; do targets+=("mx$k.$zone=127.53.42.$((10 + k))"); done

# tool_run LIST N OUT: one tool run under /usr/bin/time -v; prints
# "wall_s domains_per_s maxrss_mib ok_probes"
tool_run() {
  local list=$1 n=$2 out=$3 t0 t1
  t0=$EPOCHREALTIME
  /usr/bin/time -v -o "$out.time" "$binary" --no-policy --json --resolver \
    "$dns_addr:$dns_port" --ca-file "$tls/ca.pem" --concurrency "$conc" \
    --smtp-timeout 10 --timeout 60 -f "$list" >"$out" 2>"$out.err" || true
  t1=$EPOCHREALTIME
  "$python" - "$out" "$out.time" "$t0" "$t1" "$n" <<'EOF'
import json, re, sys
out, tm, t0, t1, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
ok = 0
for line in open(out):
    r = json.loads(line)
    for h in (r.get("mta_sts") or {}).get("mx", {}).get("hosts") or []:
        for a in h.get("addresses") or []:
            if (a.get("smtp") or {}).get("status") == "ok":
                ok += 1
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(tm).read()).group(1))
wall = t1 - t0
print("%.3f %.1f %.1f %d" % (wall, n / wall, rss / 1024.0, ok))
EOF
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "round	gen_rate	gen_ok	tool_rate	tool_ok	ratio	tool_wall_s	tool_rss_mib" >"$tmp/rounds.tsv"
failed=0
for ((r = 1; r <= rounds; r++)); do
  g=$("$python" "$srcdir/bench/smtpload.py" --ca "$tls/ca.pem" --count "$count" \
    --concurrency "$conc" "${targets[@]}")
  read -r _ _ _ gok _ _ _ grate <<<"$g"
  read -r twall trate trss tok < <(tool_run "$tmp/list.txt" "$count" "$tmp/tool.$r.json")
  ((tok == count)) || failed=$((failed + 1))
  ratio=$(awk -v a="$trate" -v b="$grate" 'BEGIN { printf "%.2f", a / b }')
  bench_log "round $r: gen $grate/s ($gok ok), tool $trate domains/s ($tok probes ok), ratio $ratio, RSS $trss MiB"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$grate" "$gok" "$trate" "$tok" "$ratio" "$twall" "$trss" >>"$tmp/rounds.tsv"
done

big_line=""
if ((big > 0)); then
  seq 1 "$big" | sed "s/.*/d&.$zone/" >"$tmp/big.txt"
  read -r bwall brate brss bok < <(tool_run "$tmp/big.txt" "$big" "$tmp/big.json")
  ((bok == big)) || failed=$((failed + 1))
  big_line="| $big domains, one run | $bwall s | $brate domains/s | $bok/$big probes ok | **$brss MiB** peak RSS |"
fi

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo "## SMTP bulk: $count domains per round, concurrency $conc, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(nproc) CPUs ($cpu), Linux $(uname -r), load average at start $load"
echo "- tool: $binary --no-policy --json --concurrency $conc --smtp-timeout 10 -f LIST"
echo "- servers: $("$(bench_find_prog knotd)" -V 2>&1 | head -1); smtpserver.py x2 ($("$python" -V 2>&1), $("$openssl" version | cut -d' ' -f1-2))"
echo "- gen: bench/smtpload.py, the same SMTP work, $count sessions, $conc at once"
echo
echo "| round | gen sessions/s | gen ok | tool domains/s | tool probes ok | ratio | tool wall s | tool peak RSS MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
tail -n +2 "$tmp/rounds.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
if [[ -n $big_line ]]; then
  echo
  echo "| memory run | wall | rate | verified | memory |"
  echo "|---|---:|---:|---:|---:|"
  echo "$big_line"
fi
((failed == 0)) || { bench_log "$failed run(s) failed their check"; exit 1; }
