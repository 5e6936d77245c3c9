#!/bin/bash
# Start or stop a private nginx on loopback that plays the MTA-STS policy
# hosts (https://mta-sts.<case>.pol.test/.well-known/mta-sts.txt) of the
# integration tests: one server block per host name (SNI), each with its own
# certificate (tlsca.sh) and behaviour. DNS for these hosts:
# fixtures/dns/pol.test.zone. Cases: policy-cases.txt.
#
#   httpsserver.sh start RUNDIR [TLSDIR]
#   httpsserver.sh stop  RUNDIR
#   httpsserver.sh status RUNDIR
#   httpsserver.sh hosts             print "ADDRESS HOST BEHAVIOUR" lines
#
# RUNDIR  private run directory (created; never the source tree): nginx.conf,
#         nginx.pid, error.log, access.log, www/ (the policy files), tmp/.
# TLSDIR  a tlsca.sh directory (default RUNDIR/tls; made with tlsca.sh when
#         it has no ca.pem). Clients trust TLSDIR/ca.pem.
#
# Packages (Debian; the lead adds them to .ci/run):
#   nginx-light   nginx with the ssl module (nginx or nginx-full also do)
#   openssl       the CLI, for tlsca.sh
#   python3       slowhttps.py, check_case.py
#   curl          optional: only for looking at the servers by hand
#
# Environment:
#   MTS_TEST_HTTPS_PREFIX  the first three octets of the addresses
#                          (default 127.53.2; pol.test.zone uses 127.53.2:
#                          servers.sh rewrites a copy of it when this differs)
#   MTS_TEST_HTTPS_PORT    listen port (default 443; the tool always uses
#                          443, so another port is only for curl by hand)
#   NGINX                  the program (default: nginx from PATH, /usr/sbin)
#
# Addresses (PREFIX.N):
#   .11  nginx, TLS 1.2/1.3, every host below by SNI; unknown SNI gets the
#        default server (certificate for provider.pol.test, 421)
#   .12  nginx, TLS 1.0/1.1 only (mta-sts.tlsold.pol.test)
#   .13  nginx, plain HTTP on the HTTPS port (mta-sts.plainhttp.pol.test)
#   .14  slowhttps.py (started by servers.sh, not here)
#   .15  nginx, TLS 1.2/1.3: the second address of the two-address hosts
#        (alt_hosts), serving something else than .11 does for them
#   .19  nothing listens: connection refused
#
# nginx runs in the foreground (daemon off) of a background job, as root
# ("user root": it reads RUNDIR), with its own config only (-p RUNDIR
# -c RUNDIR/nginx.conf). "start" waits until every address accepts TCP and
# fails with the error log otherwise; "stop" kills exactly the PID recorded
# in RUNDIR/nginx.pid and waits for it to exit (daemon.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/daemon.sh
. "$here/daemon.sh"

prefix=${MTS_TEST_HTTPS_PREFIX:-127.53.2}
port=${MTS_TEST_HTTPS_PORT:-443}
addr_main=$prefix.11
addr_old=$prefix.12
addr_plain=$prefix.13
addr_alt=$prefix.15

usage() {
  echo "usage: $0 start RUNDIR [TLSDIR] | stop RUNDIR | status RUNDIR | hosts" >&2
  exit 64
}

find_nginx() {
  if [[ -n ${NGINX:-} ]]; then
    echo "$NGINX"
  elif command -v nginx >/dev/null 2>&1; then
    command -v nginx
  elif [[ -x /usr/sbin/nginx ]]; then
    echo /usr/sbin/nginx
  else
    echo "httpsserver.sh: nginx not found (apt-get install nginx-light)" >&2
    return 1
  fi
}

# The hosts on addr_main: "CASE BEHAVIOUR [ARG]". The host is
# mta-sts.CASE.pol.test; its certificate is TLSDIR/certs/<host>.pem (tlsca.sh
# decides what kind). Behaviours:
#   file TYPE BODY   200 with the body BODY (see make_bodies) and
#                    Content-Type TYPE ("-" = no Content-Type header)
#   status CODE      CODE with a valid policy as the body
#   redirect URL     301 to URL
main_hosts() {
  cat <<'EOF'
valid file text/plain enforce
testing file text/plain testing
none file text/plain none
badmaxage file text/plain badmaxage
notcovered file text/plain notcovered
notcoveredtesting file text/plain testing
planmx file text/plain planmx
liveok file text/plain livesmtp
liveexpired file text/plain livesmtp
wildmx file text/plain wildmx
wilddeep file text/plain wildmx
texthtml file text/html enforce
notype file - enforce
charset file text/plain;_charset=iso-8859-1 enforce
typecase file Text/Plain;_Charset=UTF-8 enforce
status404 status 404
status203 status 203
redirect redirect https://mta-sts.valid.pol.test/.well-known/mta-sts.txt
toolarge file text/plain large70000
limit file text/plain large65536
twoaddr file text/plain enforce
norecord file text/plain enforce
norecordinvalid file text/plain enforce
cnamehost file text/plain enforce
lfonly file text/plain lfonly
expired file text/plain enforce
notyetvalid file text/plain enforce
expiresoon file text/plain enforce
wrongname file text/plain enforce
selfsigned file text/plain enforce
cnonly file text/plain enforce
wildcard file text/plain enforce
wildparent file text/plain enforce
partialwild file text/plain enforce
chain file text/plain enforce
nochain file text/plain enforce
statechange file text/plain enforce
twoaddrsame file text/plain enforce
twoaddr404 file text/plain enforce
twoaddrtype file text/plain enforce
twoaddrpolicy file text/plain enforce
twoaddrcert file text/plain enforce
EOF
}

# The hosts on addr_alt, "CASE BEHAVIOUR [ARG]" as in main_hosts: the second
# address of a policy host that .11 also serves (pol.test.zone gives them
# both addresses), as a stale or forgotten second server would. Issue 10:
# every address is judged. twoaddrcert's certificate here is
# certs/alt-<host>.pem (tlsca.sh: expires in 5 days).
alt_hosts() {
  cat <<'EOF'
twoaddrsame file text/plain enforce
twoaddr404 status 404
twoaddrtype file text/html enforce
twoaddrpolicy file text/plain testing
twoaddrcert file text/plain enforce
EOF
}

do_hosts() {
  local c b a
  while read -r c b a; do
    echo "$addr_main mta-sts.$c.pol.test $b ${a//_/ }"
  done < <(main_hosts)
  echo "$addr_main (any other SNI) default server: certificate provider.pol.test, 421"
  echo "$addr_old mta-sts.tlsold.pol.test TLS 1.0/1.1 only, valid policy"
  echo "$addr_plain mta-sts.plainhttp.pol.test plain HTTP on port $port, valid policy"
  echo "$prefix.14 mta-sts.slow.pol.test slowhttps.py: headers + 16 bytes, then hangs"
  echo "$prefix.14 mta-sts.drip.pol.test slowhttps.py: one byte every 0.5 s, never ends"
  echo "$prefix.14 mta-sts.chunked.pol.test slowhttps.py: chunked 70,000-byte policy"
  while read -r c b a; do
    echo "$addr_alt mta-sts.$c.pol.test $b ${a//_/ }"
  done < <(alt_hosts)
  echo "$prefix.19 (nothing listens: connection refused)"
}

# crlf FILE LINE...: the lines, each ended by CRLF.
crlf() {
  local f=$1 l
  shift
  : >"$f"
  for l in "$@"; do
    printf '%s\r\n' "$l" >>"$f"
  done
}

# padded FILE DOMAIN SIZE: a valid enforce policy, then extension lines
# "padN: aaa..." (distinct names: no duplicate-key finding) up to exactly
# SIZE bytes. A client that ignores the size cap sees a valid policy.
padded() {
  local f=$1 d=$2 size=$3 have i=0 n line
  crlf "$f" "version: STSv1" "mode: enforce" "mx: mx1.$d" "max_age: 604800"
  have=$(wc -c <"$f")
  while ((have < size)); do
    line="pad$i: "
    n=$((size - have - ${#line} - 2))
    ((n > 998)) && n=998
    if ((n < 1)); then
      echo "httpsserver.sh: cannot pad $f to $size bytes" >&2
      return 1
    fi
    # leave room for a last line of at least "padN: a\r\n"
    if ((size - have - ${#line} - 2 - n > 0 && size - have - ${#line} - 2 - n < 12)); then
      n=$((n - 12))
    fi
    printf '%s%s\r\n' "$line" "$(printf '%*s' "$n" '' | tr ' ' a)" >>"$f"
    have=$(wc -c <"$f")
    i=$((i + 1))
  done
  if (($(wc -c <"$f") != size)); then
    echo "httpsserver.sh: $f is $(wc -c <"$f") bytes, not $size" >&2
    return 1
  fi
}

# make_body FILE KIND DOMAIN
make_body() {
  local f=$1 kind=$2 d=$3
  case $kind in
    enforce) crlf "$f" "version: STSv1" "mode: enforce" "mx: mx1.$d" "max_age: 604800" ;;
    testing) crlf "$f" "version: STSv1" "mode: testing" "mx: mx1.$d" "max_age: 604800" ;;
    none) crlf "$f" "version: STSv1" "mode: none" "mx: mx1.$d" "max_age: 86400" ;;
    badmaxage) crlf "$f" "version: STSv1" "mode: enforce" "mx: mx1.$d" "max_age: 604800s" ;;
    notcovered)
      crlf "$f" "version: STSv1" "mode: enforce" "mx: mx1.$d" "mx: old.$d" "max_age: 604800" ;;
    livesmtp)
      crlf "$f" "version: STSv1" "mode: enforce" "mx: mx.good.smtp.test" "mx: mx.expired.smtp.test" "max_age: 604800" ;;
    planmx)
      crlf "$f" "version: STSv1" "mode: testing" "mx: mx1.$d" "mx: old.$d" "max_age: 86400" ;;
    wildmx) crlf "$f" "version: STSv1" "mode: enforce" "mx: *.$d" "max_age: 604800" ;;
    lfonly)
      printf 'version: STSv1\nmode: enforce\nmx: mx1.%s\nmax_age: 604800\n' "$d" >"$f" ;;
    large*) padded "$f" "$d" "${kind#large}" ;;
    *)
      echo "httpsserver.sh: unknown body $kind" >&2
      return 1 ;;
  esac
}

# nginx quoted string of a file's bytes (for "return CODE TEXT").
nginx_string() {
  local s
  s=$(sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\r$/\\r/' "$1" | tr '\n' '#')
  printf '"%s"' "${s//#/\\n}"
}

do_stop() {
  # SIGTERM: fast shutdown; the master stops its workers and exits.
  daemon_stop httpsserver.sh nginx "$1/nginx.pid"
}

# tcp_open ADDR PORT: something accepts a TCP connection there.
tcp_open() {
  # shellcheck disable=SC2016 # expanded by the inner bash, on purpose
  timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

server_block() {
  # server_block LISTEN HOST TLSDIR [EXTRA...]: the opening of a server block
  local listen=$1 host=$2 tls=$3
  shift 3
  echo "    server {"
  echo "        listen $listen;"
  echo "        server_name $host;"
  if [[ $tls == tls ]]; then
    echo "        ssl_certificate     $tlsdir/certs/${cert_name:-$host}.pem;"
    echo "        ssl_certificate_key $tlsdir/certs/${cert_name:-$host}.key;"
  fi
  local x
  for x in "$@"; do
    echo "        $x"
  done
  echo "        location / { return 404; }"
}

static_location() {
  # static_location HOST TYPE [WWW]: serve WWW/HOST/.well-known/mta-sts.txt
  # (WWW: default RUNDIR/www)
  local host=$1 type=$2 www=${3:-$rundir/www}
  echo "        location = /.well-known/mta-sts.txt {"
  echo "            root $www/$host;"
  if [[ $type == - ]]; then
    echo "            types { }"
    echo "            default_type \"\";"
  else
    echo "            types { }"
    echo "            default_type \"${type//_/ }\";"
  fi
  echo "        }"
}

# site LISTEN WWW CASE BEHAVIOUR ARG [CERT_PREFIX]: the server block of
# mta-sts.CASE.pol.test on LISTEN, its files under WWW. Its certificate is
# certs/CERT_PREFIX<host>.pem when tlsca.sh made one, else certs/<host>.pem.
site() {
  local listen=$1 www=$2 c=$3 b=$4 a=$5 pre=${6:-} host d type kind cert_name
  host=mta-sts.$c.pol.test
  d=$c.pol.test
  cert_name=$host
  if [[ -n $pre && -f $tlsdir/certs/$pre$host.pem ]]; then
    cert_name=$pre$host
  fi
  if [[ ! -f $tlsdir/certs/$cert_name.pem ]]; then
    echo "httpsserver.sh: no certificate $tlsdir/certs/$cert_name.pem (tlsca.sh)" >&2
    return 1
  fi
  echo ""
  server_block "$listen" "$host" tls
  mkdir -p "$www/$host/.well-known"
  case $b in
    file)
      read -r type kind <<<"$a"
      make_body "$www/$host/.well-known/mta-sts.txt" "$kind" "$d"
      static_location "$host" "$type" "$www" ;;
    status)
      make_body "$www/$host/status-body.txt" enforce "$d"
      echo "        location = /.well-known/mta-sts.txt {"
      echo "            types { }"
      echo "            default_type text/plain;"
      echo "            return $a $(nginx_string "$www/$host/status-body.txt");"
      echo "        }" ;;
    redirect)
      echo "        location = /.well-known/mta-sts.txt { return 301 $a; }" ;;
    *)
      echo "httpsserver.sh: unknown behaviour $b" >&2
      return 1 ;;
  esac
  echo "    }"
}

write_conf() {
  local c b a host user=""
  if (($(id -u) == 0)); then
    user="user root root;"
  fi
  mkdir -p "$rundir/www" "$rundir/tmp"
  {
    echo "# generated by $0; do not edit"
    echo "$user"
    echo "daemon off;"
    echo "master_process on;"
    echo "worker_processes 1;"
    echo "pid $rundir/nginx.master.pid;"
    echo "error_log $rundir/error.log info;"
    echo "events { worker_connections 256; }"
    echo "http {"
    echo "    log_format mts '\$remote_addr \$server_addr sni=\$ssl_server_name host=\$host \"\$request\" \$status \$body_bytes_sent';"
    echo "    access_log $rundir/access.log mts;"
    echo "    client_body_temp_path $rundir/tmp/body;"
    echo "    proxy_temp_path $rundir/tmp/proxy;"
    echo "    fastcgi_temp_path $rundir/tmp/fastcgi;"
    echo "    uwsgi_temp_path $rundir/tmp/uwsgi;"
    echo "    scgi_temp_path $rundir/tmp/scgi;"
    echo "    server_tokens off;"
    echo "    sendfile off;"
    echo "    keepalive_timeout 5;"
    echo "    ssl_protocols TLSv1.2 TLSv1.3;"
    echo ""
    echo "    # unknown SNI (e.g. mta-sts.cnamewrong.pol.test, CNAME to provider)"
    server_block "$addr_main:$port ssl default_server" provider.pol.test tls
    echo "        location = /.well-known/mta-sts.txt { return 421; }"
    echo "    }"
    while read -r c b a; do
      site "$addr_main:$port ssl" "$rundir/www" "$c" "$b" "$a"
    done < <(main_hosts)
    while read -r c b a; do
      site "$addr_alt:$port ssl" "$rundir/www-alt" "$c" "$b" "$a" alt-
    done < <(alt_hosts)

    # TLS 1.0/1.1 only. OpenSSL 3 allows them only at security level 0.
    host=mta-sts.tlsold.pol.test
    mkdir -p "$rundir/www/$host/.well-known"
    make_body "$rundir/www/$host/.well-known/mta-sts.txt" enforce tlsold.pol.test
    echo ""
    server_block "$addr_old:$port ssl default_server" "$host" tls \
      "ssl_protocols TLSv1 TLSv1.1;" "ssl_ciphers DEFAULT:@SECLEVEL=0;"
    static_location "$host" text/plain
    echo "    }"

    # Plain HTTP on the HTTPS port: the TLS handshake cannot succeed.
    host=mta-sts.plainhttp.pol.test
    mkdir -p "$rundir/www/$host/.well-known"
    make_body "$rundir/www/$host/.well-known/mta-sts.txt" enforce plainhttp.pol.test
    echo ""
    server_block "$addr_plain:$port default_server" "$host" plain
    static_location "$host" text/plain
    echo "    }"
    echo "}"
  } >"$rundir/nginx.conf"
}

# Every address accepts TCP.
nginx_ready() {
  local a
  for a in "$addr_main" "$addr_old" "$addr_plain" "$addr_alt"; do
    tcp_open "$a" "$port" || return 1
  done
}

do_start() {
  local nginx a
  nginx=$(find_nginx)
  daemon_check_rundir httpsserver.sh "$rundir" "$srcdir" || exit 1
  mkdir -p "$rundir"
  rundir=$(cd "$rundir" && pwd)
  if [[ ! -s $tlsdir/ca.pem ]]; then
    "$here/tlsca.sh" "$tlsdir"
  fi
  tlsdir=$(cd "$tlsdir" && pwd)

  daemon_stop_previous httpsserver.sh nginx "$rundir/nginx.pid"
  for a in "$addr_main" "$addr_old" "$addr_plain" "$addr_alt"; do
    if tcp_open "$a" "$port"; then
      echo "httpsserver.sh: something already listens on $a:$port;" \
        "stop it or set MTS_TEST_HTTPS_PREFIX/MTS_TEST_HTTPS_PORT" >&2
      exit 1
    fi
  done

  rm -rf "$rundir/www" "$rundir/www-alt" "$rundir/tmp"
  write_conf
  if ! "$nginx" -t -q -p "$rundir" -c "$rundir/nginx.conf" >"$rundir/nginx-t.log" 2>&1; then
    echo "httpsserver.sh: nginx rejects $rundir/nginx.conf:" >&2
    cat "$rundir/nginx-t.log" >&2
    exit 1
  fi

  daemon_run "$rundir/nginx.pid" "$rundir/nginx.out" \
    "$nginx" -p "$rundir" -c "$rundir/nginx.conf"
  daemon_wait httpsserver.sh nginx "$rundir/nginx.pid" nginx_ready \
    "$rundir/nginx.out" "$rundir/error.log" || exit 1
  echo "httpsserver.sh: nginx $daemon_pid on $addr_main, $addr_old, $addr_plain, $addr_alt port $port" \
    "(run dir $rundir, CA $tlsdir/ca.pem)"
}

do_status() {
  local pid
  if [[ -f $rundir/nginx.pid ]]; then
    pid=$(<"$rundir/nginx.pid")
    if daemon_pid_alive "$pid"; then
      echo "nginx $pid running"
      return 0
    fi
  fi
  echo "nginx not running"
  return 1
}

(($# >= 1)) || usage
cmd=$1
case $cmd in
  hosts)
    (($# == 1)) || usage
    do_hosts ;;
  start)
    (($# == 2 || $# == 3)) || usage
    rundir=$2
    tlsdir=${3:-$rundir/tls}
    do_start ;;
  stop)
    (($# == 2)) || usage
    rundir=$2
    do_stop "$rundir" ;;
  status)
    (($# == 2)) || usage
    rundir=$2
    do_status ;;
  *) usage ;;
esac
