#!/usr/bin/env bash
# Regenerate the message template from the sources: po/update-pot.sh SRCDIR OUT
# (cmake --build BUILD --target pot / update-po; test/i18n_check.py).
#
# Every .c under src/ and include/mtasts/codes.def (the fix texts, marked by
# the MTS_CODE:4 keyword). The keywords: _ N_ P_ C_ (include/mtasts/i18n.h),
# the findings' formats (mts_findings_add, mts_findings_add_sev), and the
# local printf-like wrappers of a few files, which take the format at
# different positions and so are read file by file (KEYWORDS below). A new
# wrapper that takes an N_()-less literal format goes in that table.
set -euo pipefail
src=${1:-.}
out=${2:-$src/po/mtasts-check.pot}
cd "$src"

common=(--language=C --from-code=UTF-8 --no-wrap --add-comments=TRANSLATORS:
  --package-name=mtasts-check --msgid-bugs-address=https://example.invalid/mtasts-check/issues
  -k_ -kN_ -kP_:1,2 -kC_:1c,2 -kmts_findings_add:5 -kmts_findings_add_sev:6
  -kmts_frag:3
  -kMTS_CODE:4)

declare -A KEYWORDS=(
  [src/rules/txt.c]="-kaddf:6 -kpadd:5 -krec_add:3"
  [src/rules/policy.c]="-kaddf:5 -kline_add:3 -kct_add:4"
  [src/tlsrpt/tlsrpt.c]="-kadd:5 -kaddn:5,6 -kadddef:4"
  [src/tlsrpt/rptsrc.c]="-kemit_unreadable:6"
  [src/tlsrpt/ijson.c]="-kfail:4"
  [src/net/smtp.c]="-kfinish:3"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=(include/mtasts/codes.def)
while IFS= read -r f; do files+=("$f"); done < <(find src -name '*.c' | LC_ALL=C sort)

i=0
for f in "${files[@]}"; do
  # shellcheck disable=SC2086
  xgettext "${common[@]}" ${KEYWORDS[$f]:-} -o "$tmp/$i.pot" "$f"
  [ -f "$tmp/$i.pot" ] && i=$((i + 1))
done
msgcat --use-first --no-wrap -o "$tmp/all.pot" "$tmp"/*.pot 2>/dev/null ||
  { echo "update-pot: no strings found" >&2; exit 1; }
# A stable header: no creation date, so the file changes only when the
# strings do.
sed -e '/^"POT-Creation-Date:/d' -e 's/^"Content-Type: text\/plain; charset=CHARSET\\n"/"Content-Type: text\/plain; charset=UTF-8\\n"/' \
  "$tmp/all.pot" > "$out"
