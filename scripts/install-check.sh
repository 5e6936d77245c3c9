#!/usr/bin/env bash
# Install mtasts-check as the README says, on this machine, and prove that
# the result works (CI runs this before scripts/test.sh):
#
#  1. the README's "install-check" blocks, verbatim, each in a fresh clone
#     of HEAD: the build dependencies, a Release build installed under
#     /usr/local, a Debug build installed there too, and the Debian
#     package built with dpkg-buildpackage and installed with apt-get;
#  2. the builds print no compiler warning (Release and the package's
#     flags are not -Werror, so this is where a warning shows);
#  3. the package is lintian clean at warning level and puts its files
#     where Debian expects them;
#  4. each installed binary passes the demo (scripts/demo.sh, checked
#     against the expected statuses), its completions complete every
#     option of --help (test/completion_test.py), and its systemd units
#     pass systemd-analyze verify (and are scored by systemd-analyze
#     security, recorded in docs/monitoring.md).
#
# It installs into the system and removes what it installed afterwards, so
# it needs root (sudo as in the README) and a machine where that is fine:
# CI, or MTS_INSTALL_CHECK=1 to run it elsewhere. MTS_INSTALL_CHECK_STEPS
# picks steps (default "release debug deb"). The demo's servers take the
# integration-test lock (MTS_DEMO_LOCK, "" for none) and the DNS address of
# scripts/demo.sh (MTS_TEST_DNS_PORT moves it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ ${CI:-} != true && ${MTS_INSTALL_CHECK:-0} != 1 ]]; then
  echo "install-check: installs into the system; run in CI, or set" \
    "MTS_INSTALL_CHECK=1" >&2
  exit 64
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mts-install-check.XXXXXX")
installed=() # install manifests to undo
deb_installed=0
cleanup() {
  local m
  for m in "${installed[@]}"; do
    [[ -f $m ]] && xargs -r -d '\n' rm -f <"$m"
  done
  if ((deb_installed)); then
    apt-get purge -y -q mtasts-check >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "install-check: FAIL: $*" >&2
  exit 1
}
step() { echo "== install-check: $*"; }

# The commands of the README block after "<!-- install-check: NAME -->":
# the indented lines that follow, without their 4-space indent.
readme_block() {
  awk -v name="$1" '
    $0 == "<!-- install-check: " name " -->" { on = 1; next }
    on && /^    / { print substr($0, 5); found = 1; next }
    on && found { exit }
  ' "$root/README.md"
}

# Run README block NAME verbatim in directory DIR, its output in LOG.
run_block() {
  local name=$1 dir=$2 log=$3 cmds
  cmds=$(readme_block "$name")
  [[ -n $cmds ]] || fail "README.md has no install-check block '$name'"
  printf '%s\n' "$cmds" | sed 's/^/    /'
  # apt-get may ask for confirmation: answer as a user would.
  if ! (cd "$dir" && bash -euo pipefail -c "$cmds" < <(yes)) >"$log" 2>&1; then
    tail -40 "$log" >&2
    fail "README block '$name' failed (log above)"
  fi
}

no_warnings() {
  if grep -n 'warning:' "$1" >&2; then
    fail "$2 printed compiler warnings (above)"
  fi
}

fresh_clone() {
  mkdir -p "$(dirname "$1")"
  if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git clone -q "$root" "$1"
  else
    cp -a "$root" "$1"
  fi
}

# The demo against BIN, with the statuses it must show.
demo_passes() {
  local bin=$1 out=$work/demo.out want
  # MTS_DEMO_LOCK: a lock file to hold while the demo's servers run (for a
  # machine where other test runs share the loopback addresses); none by
  # default.
  local lock=${MTS_DEMO_LOCK-}
  if ! MTS_BIN=$bin ${lock:+flock "$lock"} \
    bash "$root/scripts/demo.sh" >"$out" 2>&1; then
    cat "$out" >&2
    fail "the demo failed with $bin"
  fi
  # example.com's records and policy are right, but its mx2 presents a
  # certificate for another name (the SMTP probe, issue 12).
  for want in 'example.com: ERROR' 'MX_CERT_NAME_MISMATCH' \
    'example.net: ERROR' 'example.org: ERROR' \
    'checked 3 domains: 0 ok, 0 warning, 3 error, 0 unknown' \
    '"domain":"example.com","domain_unicode":null' \
    'https://mta-sts.example.com/.well-known/mta-sts.txt (HTTP 200, text/plain)' \
    '3 reports: 2 valid, 1 invalid; 1 with failed sessions' \
    'Plan for example.net' '    mx: mail.example.net'; do
    grep -qF -- "$want" "$out" || {
      cat "$out" >&2
      fail "the demo with $bin does not show: $want"
    }
  done
  [[ $(grep -c '^(exit code' "$out") == 4 &&
    $(grep '^(exit code' "$out" | tr -d '\n') == '(exit code 2)(exit code 2)(exit code 2)(exit code 3)' ]] ||
    fail "the demo with $bin: unexpected exit codes"
  echo "   demo passes with $bin"
}

# The installed binary, man page, completions and units.
check_installed() {
  local bin=$1 bashc=$2 zshc=$3 units=$4 f
  for f in "$bin" "$bashc" "$zshc" "$units/mtasts-check.service" \
    "$units/mtasts-check.timer"; do
    [[ -e $f ]] || fail "not installed: $f"
  done
  "$bin" --version | sed 's/^/   /'
  "$bin" --version | grep -q '^c-ares .*OpenSSL .*cJSON .*GMime .*zlib ' ||
    fail "$bin --version does not name its libraries"
  if command -v man >/dev/null; then
    man -w mtasts-check >/dev/null || fail "man mtasts-check: no page"
  fi
  python3 "$root/test/completion_test.py" --bin "$bin" --bash "$bashc" \
    --zsh "$zshc" || fail "the installed completions"
  systemd-analyze verify --man="$(command -v man >/dev/null && echo yes || echo no)" \
    "$units/mtasts-check.service" "$units/mtasts-check.timer" ||
    fail "systemd-analyze verify"
  systemd-analyze security --offline=true --no-pager \
    "$units/mtasts-check.service" | tail -1
  demo_passes "$bin"
}

steps=" ${MTS_INSTALL_CHECK_STEPS:-release debug deb} "

step "README: build dependencies"
mkdir -p "$work/deps"
run_block deps "$work/deps" "$work/deps.log"

for type in release debug; do
  [[ $steps == *" $type "* ]] || continue
  step "README: $type build, installed under /usr/local, in a fresh clone"
  src=$work/$type/mtasts-check
  fresh_clone "$src"
  run_block "$type" "$src" "$work/$type.log"
  no_warnings "$work/$type.log" "the $type build"
  dir=$(find "$src" -maxdepth 2 -name install_manifest.txt -printf '%h\n')
  installed+=("$dir/install_manifest.txt")
  check_installed /usr/local/bin/mtasts-check \
    /usr/local/share/bash-completion/completions/mtasts-check \
    /usr/local/share/zsh/site-functions/_mtasts-check \
    /usr/local/lib/systemd/system
  xargs -r -d '\n' rm -f <"$dir/install_manifest.txt"
done

if [[ $steps != *" deb "* ]]; then
  step "passed: $steps"
  exit 0
fi
step "README: the Debian package, in a fresh clone"
src=$work/deb/mtasts-check
fresh_clone "$src"
deb_installed=1
run_block deb "$src" "$work/deb.log"
no_warnings "$work/deb.log" "the package build"
changes=$(echo "$work"/deb/mtasts-check_*.changes)
[[ -f $changes ]] || fail "no .changes file"
lintian --fail-on warning --display-info "$changes" ||
  fail "lintian (above)"
echo "   lintian: clean at warning level"
dpkg -L mtasts-check |
  grep -E '^/(usr/bin|usr/share/man|usr/share/bash-completion|usr/share/zsh|lib/systemd|etc)/' |
  while read -r f; do [[ -d $f ]] || echo "   $f"; done
[[ $(dpkg-query -W -f='${Conffiles}' mtasts-check) == *" /etc/mtasts-check/domains "* ]] ||
  fail "/etc/mtasts-check/domains is not a conffile"
check_installed /usr/bin/mtasts-check \
  /usr/share/bash-completion/completions/mtasts-check \
  /usr/share/zsh/vendor-completions/_mtasts-check /lib/systemd/system
step "all install checks passed"
