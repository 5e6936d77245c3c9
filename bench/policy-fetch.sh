#!/usr/bin/env bash
# bench/policy-fetch.sh - the policy fetch path in bulk (issue 12): COUNT
# full checks with policies (--no-smtp) against the same nginx as a load
# generator (h2load) opening COUNT TLS connections, side by side.
#
# Everything runs on this machine, on loopback, in a temp dir:
#   127.53.43.1@5300  Knot DNS, zone polf.test: dI.polf.test (I = 1..COUNT)
#                     with valid _mta-sts and _smtp._tls records, MX, and
#                     mta-sts.dI.polf.test A 127.53.43.2
#   127.53.43.2:443   nginx (1 worker), TLS 1.2/1.3, one server block and
#                     one certificate (P-256, from a throwaway CA) per
#                     policy host, serving a valid policy
# Rounds (alternating, the machine is shared and noisy):
#   gen   h2load --h1 -n COUNT -c COUNT https://127.53.43.2/.well-known/
#         mta-sts.txt: COUNT clients, one TLS connection and one GET each
#         (no DNS, no certificate verification: the server's rate)
#   tool  mtasts-check --no-smtp --json --concurrency CONC -f LIST: DNS,
#         TLS with verification and the RFC 6125 name check, GET, parse;
#         every result must have its policy "valid"
# ratio = tool checks/s / gen connections/s of the same round.
#
# Usage: bench/policy-fetch.sh [options]
#   -b BINARY   the tool (default: build/mtasts-check)
#   -n COUNT    domains (and connections) per round (default 1000)
#   -c CONC     the tool's --concurrency (default 100)
#   -r ROUNDS   rounds (default 3)
#   -k          keep the temp dir and print its path
#   -h          this help
#
# Needs (Debian): apt-get install -y knot knot-dnsutils nginx-light openssl
# python3 nghttp2-client time
# Exit status: 0 measured; 1 a run failed its check or a server did not
# start; 64 usage.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_tag="policy-fetch"
# shellcheck source=bench/lib.sh
. "$srcdir/bench/lib.sh"

binary=$srcdir/build/mtasts-check
count=1000
conc=100
rounds=3
keep=0
dns_addr=127.53.43.1
web_addr=127.53.43.2
dns_port=5300
zone=polf.test

while getopts ':b:n:c:r:kh' opt; do
  case $opt in
    b) binary=$OPTARG ;;
    n) count=$OPTARG ;;
    c) conc=$OPTARG ;;
    r) rounds=$OPTARG ;;
    k) keep=1 ;;
    *) bench_usage ;;
  esac
done
for v in "$count" "$conc" "$rounds"; do bench_is_uint "$v" || bench_usage; done
((count > 0 && conc > 0 && rounds > 0)) || bench_usage
[[ -x $binary ]] || bench_die "no executable $binary (build it, or pass -b)"
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
python=$(bench_find_prog python3)
openssl=$(bench_find_prog openssl)
nginx=$(bench_find_prog nginx)
h2load=$(bench_find_prog h2load)
[[ -n $h2load ]] || bench_die "no h2load: apt-get install -y nghttp2-client"
[[ -n $nginx ]] || bench_die "no nginx: apt-get install -y nginx-light"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-policy-fetch.XXXXXX")
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bench_stop_pid nginx "$bench_nginx_pid"
  bench_stop_pid knotd "$bench_knot_pid"
  if ((keep)); then bench_log "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if bench_tcp_open "$web_addr" 443; then bench_die "something listens on $web_addr:443"; fi

# -- zone and knotd --
mkdir -p "$tmp/knot"
{
  echo "\$ORIGIN $zone."
  echo "\$TTL 3600"
  echo "@ SOA ns hostmaster 1 3600 900 604800 300"
  echo "@ NS ns"
  echo "ns A $dns_addr"
  echo "mx A 192.0.2.25"
  awk -v n="$count" -v web="$web_addr" 'BEGIN {
    for (i = 1; i <= n; i++) {
      printf "d%d MX 10 mx\n", i
      printf "_mta-sts.d%d TXT \"v=STSv1; id=20261205\"\n", i
      printf "_smtp._tls.d%d TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@d%d.polf.test\"\n", i, i
      printf "mta-sts.d%d A %s\n", i, web
    }
  }'
} >"$tmp/knot/$zone.zone"
bench_knot_conf "$tmp/knot" "$dns_addr" "$dns_port" 2 0 "$zone"
bench_knot_start "$tmp/knot" "$dns_addr" "$dns_port" "_mta-sts.d1.$zone" TXT

# -- CA, one certificate per policy host, nginx --
web=$tmp/web
mkdir -p "$web/certs"
bench_ca "$openssl" "$web" "mtasts-check policy-fetch CA"
# One key for every host: only the certificates differ (quick to make).
"$openssl" ecparam -name prime256v1 -genkey -noout -out "$web/leaf.key" 2>/dev/null
bench_log "making $count certificates"
for ((i = 1; i <= count; i++)); do
  h=mta-sts.d$i.$zone
  printf 'subjectAltName=DNS:%s\n' "$h" >"$web/certs/$i.ext"
  "$openssl" req -new -key "$web/leaf.key" -subj "/CN=$h" 2>/dev/null |
    "$openssl" x509 -req -CA "$web/ca.pem" -CAkey "$web/ca.key" -CAcreateserial \
      -days 30 -extfile "$web/certs/$i.ext" -out "$web/certs/$i.pem" 2>/dev/null
done
policy='version: STSv1\r\nmode: testing\r\nmx: mx.'$zone'\r\nmax_age: 86400\r\n'
{
  bench_nginx_head "$web" 4096
  echo "    server_names_hash_max_size 4096;"
  echo "    ssl_certificate_key $web/leaf.key;"
  for ((i = 1; i <= count; i++)); do
    printf '    server { listen %s:443 ssl%s; server_name mta-sts.d%d.%s; ssl_certificate %s/certs/%d.pem;\n' \
      "$web_addr" "$( ((i == 1)) && echo ' default_server')" "$i" "$zone" "$web" "$i"
    printf '        location = /.well-known/mta-sts.txt { default_type text/plain; return 200 "%s"; } }\n' "$policy"
  done
  echo "}"
} >"$web/nginx.conf"
bench_nginx_start "$nginx" "$web" "$web_addr"
bench_log "Knot PID $bench_knot_pid, nginx PID $bench_nginx_pid"
seq 1 "$count" | sed "s/.*/d&.$zone/" >"$tmp/list.txt"

tool_run() { # OUT: prints "wall rate valid cpu_s rss_mib"
  local out=$1 t0 t1
  t0=$EPOCHREALTIME
  /usr/bin/time -v -o "$out.time" "$binary" --no-smtp --json --resolver \
    "$dns_addr:$dns_port" --ca-file "$web/ca.pem" --concurrency "$conc" \
    --timeout 30 -f "$tmp/list.txt" >"$out" 2>"$out.err" || true
  t1=$EPOCHREALTIME
  "$python" - "$out" "$out.time" "$t0" "$t1" "$count" <<'EOF'
import json, re, sys
out, tm, t0, t1, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
ok = sum(1 for l in open(out) if (json.loads(l).get("mta_sts") or {}).get("policy", {}).get("status") == "valid")
t = open(tm).read()
cpu = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1)) + float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
w = t1 - t0
print("%.3f %.1f %d %.2f %.1f" % (w, n / w, ok, cpu, rss / 1024.0))
EOF
}

gen_run() { # prints "rate succeeded"
  "$h2load" --h1 -n "$count" -c "$count" "https://$web_addr/.well-known/mta-sts.txt" >"$tmp/h2load.out" 2>&1 || true
  awk '/^finished in/ { rate = $4 }
       /^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) == "succeeded,") ok = $i }
       END { print rate, ok }' "$tmp/h2load.out"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
"$binary" --no-smtp --json --resolver "$dns_addr:$dns_port" --ca-file "$web/ca.pem" "d1.$zone" >/dev/null 2>&1 || true
echo "round	gen_rate	gen_ok	tool_rate	tool_valid	ratio	tool_cpu_s	tool_rss_mib" >"$tmp/rounds.tsv"
failed=0
for ((r = 1; r <= rounds; r++)); do
  read -r grate gok < <(gen_run)
  read -r _ trate tok tcpu trss < <(tool_run "$tmp/tool.$r.json")
  ((tok == count)) || failed=$((failed + 1))
  ratio=$(awk -v a="$trate" -v b="$grate" 'BEGIN { printf "%.2f", a / b }')
  bench_log "round $r: h2load $grate conn/s ($gok ok), tool $trate checks/s ($tok valid, CPU $tcpu s), ratio $ratio"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$grate" "$gok" "$trate" "$tok" "$ratio" "$tcpu" "$trss" >>"$tmp/rounds.tsv"
done

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo "## Policy fetch: $count checks per round, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(nproc) CPUs ($cpu), Linux $(uname -r), load average at start $load"
echo "- tool: $binary --no-smtp --json --concurrency $conc -f LIST"
echo "- gen: $("$h2load" --version 2>&1 | head -1) --h1 -n $count -c $count (one TLS connection per request)"
echo "- server: $("$nginx" -v 2>&1 | sed 's/.*: //'), 1 worker; $("$openssl" version | cut -d' ' -f1-2)"
echo
echo "| round | h2load conn/s | h2load ok | tool checks/s | tool valid | ratio | tool CPU s | tool peak RSS MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
tail -n +2 "$tmp/rounds.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
((failed == 0)) || { bench_log "$failed run(s) failed their check"; exit 1; }
