#!/bin/bash
# The README demo: check three example domains against a private Knot DNS
# server on loopback that serves fixtures/demo/*.zone, and a private nginx
# that serves their MTA-STS policies over HTTPS with a throwaway demo CA:
#   example.com  valid (the documented example records and policy)
#   example.net  broken: an id with punctuation, a rua without mailto:, and
#                a policy that does not cover its MX host
#   example.org  no MTA-STS or TLS-RPT record at all
# Prints the text report, then the same as JSON Lines, then the plan for
# example.net (mtasts-check plan: what to publish), then the summary of
# a bundled Maildir of TLS-RPT reports. LANG=ja_JP.UTF-8 bash
# scripts/demo.sh shows it in Japanese (the build tree's catalogue). Installs missing packages
# (scripts/deps.sh) and builds the tool (incrementally) into build/ first. Needs knotd and kdig (apt-get install
# knot knot-dnsutils), nginx and openssl (apt-get install nginx-light
# openssl); without nginx the policies are not checked. MTS_BIN overrides
# the binary; MTS_TEST_DNS_ADDR /
# MTS_TEST_DNS_PORT the server address (default 127.53.0.1 port 5300).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${MTS_BIN:-$root/build/mtasts-check}
addr=${MTS_TEST_DNS_ADDR:-127.53.0.1}
port=${MTS_TEST_DNS_PORT:-5300}
domains=(example.com example.net example.org)

if [[ -z ${MTS_BIN:-} ]]; then
  "$root/scripts/deps.sh" # apt-get install what is missing (root or sudo)
  # Always (re)build: incremental, so a stale build/ never runs old code.
  echo "== building mtasts-check"
  (cd "$root" && cmake -S . -B build >/dev/null && cmake --build build -j2 >/dev/null)
fi

rundir=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-demo.XXXXXX")
web=127.53.3.1 # the policy hosts' address in fixtures/demo/*.zone
cleanup() {
  if [[ -s $rundir/nginx.pid ]]; then
    kill "$(<"$rundir/nginx.pid")" 2>/dev/null || true
  fi
  if [[ -n ${smtp_pid:-} ]]; then
    kill "$smtp_pid" 2>/dev/null || true
  fi
  # The IPv6 listener is not needed here.
  MTS_TEST_DNS_ADDR6='' "$root/test/integration/dnsserver.sh" stop "$rundir" >/dev/null || true
  rm -rf "$rundir"
}
trap cleanup EXIT

MTS_TEST_DNS_ADDR6='' "$root/test/integration/dnsserver.sh" start "$rundir" "$root/fixtures/demo"

# A throwaway CA and one certificate per policy host (never committed).
make_cert() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$rundir/$1.key" -subj "/CN=$1" -out "$rundir/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$1" >"$rundir/$1.ext"
  openssl x509 -req -in "$rundir/$1.csr" -CA "$rundir/ca.pem" \
    -CAkey "$rundir/ca.key" -CAcreateserial -days 365 \
    -extfile "$rundir/$1.ext" -out "$rundir/$1.pem" 2>/dev/null
}
policy() { # the nginx quoted string of a policy file, CRLF line ends
  local out="" line
  for line in "$@"; do out+="$line\r\n"; done
  printf '"%s"' "$out"
}
ca=()
nginx=$(command -v nginx || echo /usr/sbin/nginx)
if [[ -x $nginx ]] && command -v openssl >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$rundir/ca.key" -subj "/CN=mtasts-check demo CA" -days 365 \
    -out "$rundir/ca.pem" 2>/dev/null
  make_cert mta-sts.example.com
  make_cert mta-sts.example.net
  # The MX hosts' SMTP servers (issue 12): mx2.example.com presents the
  # certificate of mx1.example.com, a name mismatch.
  for h in mx1.example.com mail.example.net mx.example.org; do make_cert "$h"; done
  python3 "$root/test/integration/smtpserver.py" serve --tls-dir "$rundir" \
    127.53.3.25=mx1.example.com 127.53.3.26=mx1.example.com \
    127.53.3.27=mail.example.net 127.53.3.28=mx.example.org \
    >"$rundir/smtp.log" 2>&1 &
  smtp_pid=$!
  for _ in $(seq 50); do # until it greets (at most 5 s)
    if timeout 1 bash -c 'exec 3<>/dev/tcp/127.53.3.28/25 && head -c 3 <&3' \
      2>/dev/null | grep -q 220; then
      break
    fi
    sleep 0.1
  done
  mkdir -p "$rundir/tmp"
  {
    echo "daemon on; pid $rundir/nginx.pid; error_log $rundir/error.log;"
    echo "events {}"
    echo "http {"
    echo "  access_log off; client_body_temp_path $rundir/tmp;"
    echo "  proxy_temp_path $rundir/tmp; fastcgi_temp_path $rundir/tmp;"
    echo "  uwsgi_temp_path $rundir/tmp; scgi_temp_path $rundir/tmp;"
    for host in mta-sts.example.com mta-sts.example.net; do
      if [[ $host == mta-sts.example.com ]]; then
        body=$(policy "version: STSv1" "mode: enforce" "mx: mx1.example.com" \
          "mx: mx2.example.com" "max_age: 604800")
      else
        body=$(policy "version: STSv1" "mode: enforce" "mx: mx.example.net" \
          "max_age: 86400")
      fi
      echo "  server {"
      echo "    listen $web:443 ssl; server_name $host;"
      echo "    ssl_certificate $rundir/$host.pem;"
      echo "    ssl_certificate_key $rundir/$host.key;"
      echo "    location = /.well-known/mta-sts.txt {"
      echo "      default_type text/plain; return 200 $body;"
      echo "    }"
      echo "  }"
    done
    echo "}"
  } >"$rundir/nginx.conf"
  "$nginx" -p "$rundir" -c "$rundir/nginx.conf"
  ca=(--ca-file "$rundir/ca.pem")
else
  echo "demo: nginx or openssl missing: the policies are not checked" >&2
  ca=(--no-policy)
fi

# The tool speaks the language of the locale (LANG=ja_JP.UTF-8: Japanese,
# docs/i18n.md); so do the demo's own lines. JSON stays English.
exit_word="exit code"
case "${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}" in
  ja*) exit_word="終了コード" ;;
esac

run() {
  local rc=0
  echo
  echo "\$ mtasts-check $*"
  "$bin" "$@" || rc=$?
  echo "($exit_word $rc)"
}

run --resolver "$addr:$port" "${ca[@]}" "${domains[@]}"
run --json --resolver "$addr:$port" "${ca[@]}" "${domains[@]}"

# What to publish for example.net, whose MX moved away from the host its
# policy names (issue 13): the records, the policy, the steps and dates.
run plan --resolver "$addr:$port" --ns-port "$port" "${ca[@]}" example.net

# TLS-RPT reports as they arrive at the rua mailbox: a Maildir of three
# report mails (no network needed), summarised per domain and day.
run report --summary "$root/fixtures/reports/maildir"
