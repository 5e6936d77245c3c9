#!/usr/bin/env python3
"""The message catalogues' checks and the Japanese findings reference.

  tools/i18n.py check SRCDIR        (ctest lint.i18n)
  tools/i18n.py findings-ja SRCDIR [OUT]   write docs/findings.ja.md

check fails, listing what to do, when:
  - msgfmt --check finds an error in po/ja.po, or it has a fuzzy or an
    untranslated message (msgfmt --statistics must say 100% translated);
  - a string of the sources (po/update-pot.sh, xgettext) is missing from
    po/ja.po, or po/mtasts-check.pot is stale;
  - a finding code of include/mtasts/codes.def has no Japanese fix;
  - docs/findings.ja.md is not what findings-ja writes from the catalogue.
After merging a branch that adds strings:
  cmake --build BUILD --target update-po   # pot + msgmerge into ja.po
then translate the entries this check lists (msgattrib --untranslated
--only-fuzzy po/ja.po shows them), remove their fuzzy flags, and run
  tools/i18n.py findings-ja .
"""
import os
import re
import subprocess
import sys
import tempfile


def unquote(s):
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), s
    out, i, body = [], 0, s[1:-1]
    esc = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(esc.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_po(path):
    """[{msgid, msgid_plural?, msgstr: [..], fuzzy, obsolete}]"""
    entries, cur, key = [], None, None

    def flush():
        if cur is not None and "msgid" in cur:
            entries.append(cur)

    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            obsolete = line.startswith("#~")
            if obsolete:
                line = line[2:].lstrip()
            if line.startswith("#,"):
                if cur is not None and "msgid" in cur:
                    flush()
                    cur = None
                cur = cur or {"msgstr": [], "fuzzy": False}
                cur["fuzzy"] = "fuzzy" in line
                continue
            if line.startswith("#") or not line.strip():
                if not line.strip() and cur is not None and "msgid" in cur:
                    flush()
                    cur = None
                continue
            m = re.match(r'(msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$',
                         line)
            if m:
                k = m.group(1)
                if k == "msgid" and cur is not None and "msgid" in cur:
                    flush()
                    cur = None
                cur = cur or {"msgstr": [], "fuzzy": False}
                cur["obsolete"] = obsolete
                if k.startswith("msgstr"):
                    cur["msgstr"].append(unquote(m.group(2)))
                    key = ("msgstr", len(cur["msgstr"]) - 1)
                else:
                    cur[k] = unquote(m.group(2))
                    key = k
            elif line.startswith('"') and cur is not None:
                if isinstance(key, tuple):
                    cur["msgstr"][key[1]] += unquote(line)
                else:
                    cur[key] += unquote(line)
    flush()
    return [e for e in entries if e.get("msgid") or e.get("msgid_plural")]


def codes(src):
    text = open(os.path.join(src, "include/mtasts/codes.def"),
                encoding="utf-8").read()
    out = []
    for m in re.finditer(r'MTS_CODE\((\w+),\s*(\w+),\s*"((?:[^"\\]|\\.)*)",'
                         r'((?:\s*"(?:[^"\\]|\\.)*")+)\)', text):
        fix = "".join(unquote('"' + p + '"') for p in
                      re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(4)))
        if m.group(2) in SEV_JA:  # not the comment's MTS_CODE(NAME, ...)
            out.append((m.group(1), m.group(2),
                        unquote('"' + m.group(3) + '"'), fix))
    return out


SEV_JA = {"ERROR": "エラー", "WARNING": "警告", "INFO": "情報"}


def findings_ja(src):
    po = {e["msgid"]: e for e in parse_po(os.path.join(src, "po/ja.po"))
          if not e.get("obsolete")}
    lines = [
        "# 検出事項のリファレンス(日本語)",
        "",
        "<!-- tools/i18n.py findings-ja が include/mtasts/codes.def と",
        "     po/ja.po(プログラムと同じカタログ)から生成します。",
        "     直接編集しないでください。 -->",
        "",
        "mtasts-check が報告する検出事項のコードと、その重大度、RFC の参照先、",
        "対処です。コードは JSON でも英語のまま同じです。各コードの詳しい説明は",
        "[findings.md](findings.md)(英語)を参照してください。",
        "",
        "| コード | 重大度 | 参照 |",
        "|---|---|---|",
    ]
    body = []
    missing = []
    for name, sev, rfc, fix in codes(src):
        e = po.get(fix)
        ja = e["msgstr"][0] if e and e["msgstr"] and not e["fuzzy"] else ""
        if not ja:
            missing.append(name)
        lines.append(f"| [`{name}`](#{name.lower()}) | {SEV_JA[sev]} | {rfc} |")
        body += [f"## {name}", "", f"- 重大度: {SEV_JA[sev]}",
                 f"- 参照: {rfc}", f"- 対処: {ja or fix}", ""]
    return "\n".join(lines + [""] + body), missing


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def check(src):
    errors = []
    po_path = os.path.join(src, "po/ja.po")
    r = run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", po_path],
            env=dict(os.environ, LC_ALL="C"))
    stats = (r.stdout + r.stderr).strip()
    if r.returncode != 0:
        errors.append(f"msgfmt --check po/ja.po failed:\n{stats}")
    elif "fuzzy" in stats or "untranslated" in stats:
        errors.append(f"po/ja.po is not 100% translated: {stats}")
    entries = parse_po(po_path)
    live = [e for e in entries if not e.get("obsolete")]
    for e in live:
        if e["fuzzy"] or not all(e["msgstr"]):
            errors.append("untranslated or fuzzy in po/ja.po: "
                          + repr(e["msgid"]))
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "mtasts-check.pot")
        r = run(["bash", os.path.join(src, "po/update-pot.sh"), src, pot])
        if r.returncode != 0:
            errors.append("po/update-pot.sh failed: " + r.stderr)
        else:
            want = {e["msgid"] for e in parse_po(pot)}
            have = {e["msgid"] for e in live}
            for m in sorted(want - have):
                errors.append("source string missing from po/ja.po "
                              "(cmake --build BUILD --target update-po, then "
                              "translate): " + repr(m))
            committed = {e["msgid"] for e in parse_po(
                os.path.join(src, "po/mtasts-check.pot"))}
            if committed != want:
                errors.append("po/mtasts-check.pot is stale: cmake --build "
                              "BUILD --target pot (or update-po)")
    text, missing = findings_ja(src)
    for name in missing:
        errors.append(f"finding code {name} has no Japanese fix in po/ja.po")
    doc = os.path.join(src, "docs/findings.ja.md")
    if not os.path.exists(doc) or open(doc, encoding="utf-8").read() != text:
        errors.append("docs/findings.ja.md is stale: tools/i18n.py "
                      "findings-ja .")
    for e in errors:
        print("i18n:", e)
    if not errors:
        print(f"i18n: ok ({stats})")
    return 1 if errors else 0


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("check", "findings-ja"):
        print(__doc__)
        return 64
    src = sys.argv[2]
    if sys.argv[1] == "check":
        return check(src)
    text, missing = findings_ja(src)
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        src, "docs/findings.ja.md")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    for name in missing:
        print(f"i18n: {name} has no Japanese fix yet", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
