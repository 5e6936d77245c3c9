#!/usr/bin/env bash
# Install what mtasts-check needs to build and test, from Debian 12's
# packages, if anything is missing. Needs root (or sudo) only when it has
# something to install.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config
  libc-ares-dev libcjson-dev libidn2-dev
  libgmime-3.0-dev zlib1g-dev libssl-dev
  # tests
  check python3 python3-yaml knot knot-dnsutils nginx-light openssl
  # DANE test (test/integration/dane_test.py): its own validating unbound
  # on 127.53.40.2 port 5300; the system's instance is never used
  unbound
  # promtool, for the alert rules of docs/prometheus. The tests need only
  # promtool; on a machine with systemd the package also starts the
  # server: 'systemctl disable --now prometheus' if you do not want it.
  prometheus
  # fuzzing, linting, benchmarks
  clang clang-format valgrind dnsperf time
  # the completion test (test/completion_test.py)
  bash-completion zsh
  # message catalogues (msgfmt, xgettext), the Japanese locale's sources
  gettext locales
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# A real MTA for test/integration/postfix_test.py (a private instance on
# 127.53.41.x). Only where no other MTA is installed: installing Postfix
# would remove it (the test is then skipped). "No configuration": the
# package's own instance is neither configured nor started.
preseed_postfix=0
if ! dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q 'install ok installed' &&
  ! [ -e /usr/sbin/sendmail ]; then
  missing+=(postfix)
  preseed_postfix=1
fi
ensure_ja_locale() {
  # The Japanese tests and the demo need ja_JP.UTF-8 (issue 15).
  if ! locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$'; then
    echo "deps: generating the ja_JP.UTF-8 locale" >&2
    if [ "$(id -u)" -eq 0 ]; then
      localedef -i ja_JP -f UTF-8 ja_JP.UTF-8
    else
      sudo localedef -i ja_JP -f UTF-8 ja_JP.UTF-8
    fi
  fi
}
if [ ${#missing[@]} -eq 0 ]; then
  ensure_ja_locale
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || {
    echo "deps: run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
if [ "$preseed_postfix" = 1 ]; then
  echo "postfix postfix/main_mailer_type select No configuration" |
    "${sudo[@]}" debconf-set-selections
fi
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
ensure_ja_locale
