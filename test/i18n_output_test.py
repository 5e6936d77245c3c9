#!/usr/bin/env python3
"""Languages at the command line (issue 15), no servers needed.

  i18n_output_test.py BINARY SRCDIR

- Machine output does not move: JSON and Prometheus output are byte for
  byte the same under LANG=C, LANG=ja_JP.UTF-8, LC_ALL=ja_JP.UTF-8 and
  --lang C, and under a locale whose decimal separator is a comma
  (de_DE.UTF-8, when generated): LC_NUMERIC stays C for the writers.
- Japanese text output matches fixtures/expected/ja/cli_*.txt (a policy
  file, the demo's Maildir of TLS reports with --summary, --help, a usage
  error); MTS_UPDATE_GOLDEN=1 rewrites them.
- --lang C forces English under LANG=ja_JP.UTF-8.
"""
import os
import subprocess
import sys

BIN, SRC = sys.argv[1], sys.argv[2]
EXPECTED = os.path.join(SRC, "fixtures/expected/ja")
failures = []


def locales():
    out = subprocess.run(["locale", "-a"], capture_output=True,
                         text=True).stdout.lower().split()
    return out


def stable(out):
    """The run's own clock (last_run_timestamp_seconds) aside."""
    return b"\n".join(line for line in out.split(b"\n")
                      if not line.startswith(b"mtasts_tlsrpt_last_run_"))


def run(args, env_extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env.update(env_extra)
    env["NO_COLOR"] = "1"
    return subprocess.run([BIN] + args, capture_output=True, env=env,
                          cwd=SRC)


have = locales()
if "ja_jp.utf8" not in have:
    print("ja_JP.UTF-8 is missing: localedef -i ja_JP -f UTF-8 ja_JP.UTF-8")
    sys.exit(1)

envs = [{"LANG": "C"}, {"LANG": "ja_JP.UTF-8"}, {"LC_ALL": "ja_JP.UTF-8"},
        {"LANG": "ja_JP.UTF-8", "LANGUAGE": "ja"}]
if "de_de.utf8" in have:
    envs.append({"LC_ALL": "de_DE.UTF-8"})
    envs.append({"LANG": "ja_JP.UTF-8", "LC_NUMERIC": "de_DE.UTF-8"})
else:
    print("note: de_DE.UTF-8 not generated; the comma-decimal case is skipped")

maildir = "fixtures/reports/maildir"
machine = [
    ["--policy-file", "fixtures/policy/bad.txt", "--format", "json"],
    ["--policy-file", "fixtures/policy/good.txt", "--format", "json"],
    ["report", "--format", "json", maildir],
    ["report", "--summary", "--format", "json", maildir],
    ["report", "--format", "prometheus", maildir],
    ["report", "--format", "json", "fixtures/reports/json"],
]
for args in machine:
    ref = run(args, envs[0])
    for env in envs[1:] + [{"LANG": "ja_JP.UTF-8", "_": "--lang C"}]:
        a = args + (["--lang", "C"] if env.get("_") else [])
        e = {k: v for k, v in env.items() if k != "_"}
        got = run(a, e)
        if (stable(got.stdout) != stable(ref.stdout)
                or got.returncode != ref.returncode):
            failures.append(f"{' '.join(a)} under {e}: machine output "
                            "differs from LANG=C")
    print(f"ok: {' '.join(args)} is the same in every locale")

goldens = {
    "cli_policy_bad.txt": ["--policy-file", "fixtures/policy/bad.txt"],
    "cli_report_summary.txt": ["report", "--summary", maildir],
    "cli_help.txt": ["--help"],
    "cli_report_help.txt": ["report", "--help"],
}
update = os.environ.get("MTS_UPDATE_GOLDEN") == "1"
for name, args in goldens.items():
    got = run(args, {"LANG": "ja_JP.UTF-8"}).stdout
    path = os.path.join(EXPECTED, name)
    if update:
        with open(path, "wb") as f:
            f.write(got)
        continue
    want = open(path, "rb").read() if os.path.exists(path) else None
    if got != want:
        failures.append(f"{name}: LANG=ja_JP.UTF-8 {' '.join(args)} differs "
                        "from the golden (MTS_UPDATE_GOLDEN=1 rewrites it)")
    else:
        print(f"ok: {name}")

# A usage error in Japanese, on stderr, exit 64.
r = run(["--bogus"], {"LANG": "ja_JP.UTF-8"})
if r.returncode != 64 or "不明なオプション" not in r.stderr.decode():
    failures.append("usage error not in Japanese: " + r.stderr.decode())
# --lang C wins over the environment; --lang ja over LANG=C.
r = run(["--lang", "C", "--policy-file", "fixtures/policy/bad.txt"],
        {"LANG": "ja_JP.UTF-8"})
if "Findings" not in r.stdout.decode() or "検出事項" in r.stdout.decode():
    failures.append("--lang C did not force English")
r = run(["--lang", "ja", "--policy-file", "fixtures/policy/bad.txt"],
        {"LANG": "C"})
if "検出事項" not in r.stdout.decode():
    failures.append("--lang ja did not give Japanese")
r = run(["--lang", "xx", "a.example"], {"LANG": "C"})
if r.returncode != 64:
    failures.append("--lang xx is not a usage error")

# Reasons spliced into sentences are translated too: a TLS report that is
# not JSON, one whose gzip data is cut, a plan usage error (issue 15).
import gzip
import tempfile
with tempfile.TemporaryDirectory() as d:
    bad = os.path.join(d, "bad.json")
    cut = os.path.join(d, "cut.json.gz")
    with open(bad, "w") as f:
        f.write('{"a":1,}')
    with open(cut, "wb") as f:
        f.write(gzip.compress(b'{"organization-name": "x"}' * 20)[:30])
    r = run(["report", bad, cut], {"LANG": "ja_JP.UTF-8"})
    out = r.stdout.decode()
    for want in ("メンバー名が必要です(バイト 7)", "途中で切れています"):
        if want not in out:
            failures.append(f"report reason not in Japanese ({want}): {out}")
    for english in ("member name", "truncated"):
        if english in out:
            failures.append(f"English reason in Japanese text ({english})")
    r = run(["report", "--json", bad], {"LANG": "ja_JP.UTF-8"})
    if "a member name was expected" not in r.stdout.decode():
        failures.append("report JSON message is not English: "
                        + r.stdout.decode())
r = run(["plan", "--mode", "bogus", "a.example"], {"LANG": "ja_JP.UTF-8"})
if r.returncode != 64 or "--mode 'bogus' は無効です" not in r.stderr.decode():
    failures.append("plan usage error not in Japanese: " + r.stderr.decode())

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
