#!/usr/bin/env python3
"""monitoring_check.py: integration tests of --shard and --format prometheus
(docs/monitoring.md) against the Knot fixture zones.

    monitoring_check.py --bin BIN [--rundir DIR] shard N...
    monitoring_check.py --bin BIN [--rundir DIR] shard-usage
    monitoring_check.py --bin BIN [--rundir DIR] prometheus
    monitoring_check.py --bin BIN [--rundir DIR] prometheus-policy
    monitoring_check.py check-exposition FILE      (just the format checker)

The format checker (exposition_errors) also serves the report metrics
(report_cases.py, dashboard_check.py): gauges, and counters named *_total.

The servers must be running (servers.sh start RUNDIR; ctest's fixture does
it). Addresses come from MTS_TEST_DNS_ADDR/_PORT as for check_case.py.
Exit status: 0 pass, 1 fail, 77 skipped.

shard N...   The list (every domain of fixtures/dns/mts.test.zone, plus IDN,
             duplicate, case and invalid inputs) is checked once whole and
             once per shard K/N for each N. Each shard's JSON Lines must be
             exactly the domains of the whole run whose shard, computed here
             from the documented contract (FNV-1a 64 of the key, modulo N,
             plus 1), is K, in input order; so the shards partition the list
             and concatenated give every domain exactly once.
prometheus   The same list with --format prometheus: the output must follow
             the text exposition format (exposition_errors below) and agree
             with the JSON run: one set of series per distinct domain, one
             status per check, the same overall status and exit code. A run
             stopped by SIGTERM (the fault server never answers) writes
             nothing.
prometheus-policy
             With the HTTPS servers (skipped without them): the policy
             metrics of valid.pol.test (mode, max_age, certificate).
"""

import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, "..", ".."))
SKIP = 77

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3

# Inputs beyond the zone's names: case and trailing dot (the same domain as
# one of the zone's: reported twice, in the same shard), Unicode, and
# invalid inputs (keyed by the input itself, ASCII-lowercased) including
# characters that a Prometheus label value must escape.
EXTRA_INPUTS = [
    "VALID.Mts.TEST.",
    "B\u00dcCHER.mts.test",
    "nosuch.mts.test",
    "Bad Domain!",
    'quote"and\\backslash.test',
    "-lead.mts.test",
    "192.0.2.1",
    "under_score.mts.test",
]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def fnv1a64(data):
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def ascii_lower(s):
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in s)


def shard_of(obj, n):
    """The contract: the key is the reported domain (lowercase A-label) or,
    for an invalid input, the input with ASCII letters lowercased."""
    invalid = any(f["code"] == "DOMAIN_INVALID" for f in obj["findings"])
    key = ascii_lower(obj["domain"]) if invalid else obj["domain"]
    return fnv1a64(key.encode("utf-8", "surrogateescape")) % n + 1


def knot():
    return "%s:%s" % (os.environ.get("MTS_TEST_DNS_ADDR", "127.53.0.1"),
                      os.environ.get("MTS_TEST_DNS_PORT", "5300"))


def zone_domains():
    names = []
    with open(os.path.join(SRCDIR, "fixtures", "dns", "mts.test.zone"),
              encoding="utf-8") as f:
        for line in f:
            m = re.match(r"_mta-sts\.([a-z0-9-]+)\s", line)
            if m and m.group(1) + ".mts.test" not in names:
                names.append(m.group(1) + ".mts.test")
    if len(names) < 20:
        fail("too few names in mts.test.zone: %d" % len(names))
    return names


def write_list(tmp):
    path = os.path.join(tmp, "domains.txt")
    inputs = zone_domains() + EXTRA_INPUTS
    with open(path, "w", encoding="utf-8") as f:
        f.write("# monitoring_check.py\n\n")
        for d in inputs:
            f.write(d + "\n")
    return path, inputs


def run(binary, args, stdin=None):
    cmd = [binary, "--no-smtp", "--no-policy", "--timeout", "5", "--resolver", knot()]
    cmd += args
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def json_lines(out, what):
    objs = []
    for i, line in enumerate(out.splitlines(), 1):
        try:
            objs.append(json.loads(line))
        except ValueError as e:
            fail("%s: line %d is not JSON (%s): %r" % (what, i, e, line))
    return objs


def exit_for(objs):
    rank = {"ok": 0, "warning": 1, "unknown": 2, "error": 3}
    code = {"ok": 0, "warning": 1, "unknown": 3, "error": 2}
    worst = max((o["status"] for o in objs), key=lambda s: rank[s],
                default="ok")
    return code[worst]


# ---------------------------------------------------------------------------
# --shard

def test_shard(binary, ns):
    with tempfile.TemporaryDirectory() as tmp:
        path, inputs = write_list(tmp)
        rc, out, err = run(binary, ["-j", "-f", path])
        whole = json_lines(out, "whole run")
        if len(whole) != len(inputs):
            fail("whole run: %d results for %d inputs (stderr: %s)"
                 % (len(whole), len(inputs), err))
        for n in ns:
            seen = [0] * len(whole)
            for k in range(1, n + 1):
                # One shard reads a pipe, to cover that path too.
                if k == 1:
                    with open(path, "rb") as f:
                        rc, out, err = run(binary, ["-j", "--shard",
                                                    "%d/%d" % (k, n), "-f",
                                                    "-"], stdin=f.read())
                else:
                    rc, out, err = run(binary, ["-j", "--shard",
                                                "%d/%d" % (k, n), "-f", path])
                what = "--shard %d/%d" % (k, n)
                got = json_lines(out, what)
                want_idx = [i for i, o in enumerate(whole)
                            if shard_of(o, n) == k]
                want = [whole[i]["domain"] for i in want_idx]
                if [o["domain"] for o in got] != want:
                    fail("%s: domains %r, want %r"
                         % (what, [o["domain"] for o in got], want))
                if rc != exit_for(got):
                    fail("%s: exit %d, want %d (the worst of its own "
                         "domains)" % (what, rc, exit_for(got)))
                if err:
                    fail("%s: stderr %r" % (what, err))
                for i in want_idx:
                    seen[i] += 1
            bad = [whole[i]["domain"] for i, c in enumerate(seen) if c != 1]
            if bad:
                fail("N=%d: not reported exactly once: %r" % (n, bad))
            sizes = [sum(1 for o in whole if shard_of(o, n) == k)
                     for k in range(1, n + 1)]
            print("N=%d: %d inputs in shards of %s" % (n, len(whole), sizes))
    print("PASS")
    return 0


def test_shard_usage(binary):
    for bad in ["0/3", "4/3", "1/0", "3", "1/1000001", "a/b", "-1/3", ""]:
        rc, out, err = run(binary, ["--shard", bad, "valid.mts.test"])
        if rc != 64 or out or err.count("\n") != 1 or "--shard" not in err:
            fail("--shard %r: exit %d, stdout %r, stderr %r"
                 % (bad, rc, out, err))
    rc, out, err = run(binary, ["--shard", "1/1", "-j", "valid.mts.test"])
    if rc != 0 or len(json_lines(out, "1/1")) != 1:
        fail("--shard 1/1 must check every domain: exit %d, %r" % (rc, out))
    print("PASS")
    return 0


# ---------------------------------------------------------------------------
# The text exposition format (Prometheus 0.0.4), as node_exporter's textfile
# collector reads it.

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def parse_labels(s, pos, errors, lineno):
    """Parse {a="x",b="y"} at s[pos]; return (dict, next pos)."""
    labels = {}
    pos += 1
    while True:
        m = LABEL_RE.match(s, pos)
        if not m or s[m.end():m.end() + 2] != '="':
            errors.append("line %d: bad label at %d" % (lineno, pos))
            return None, pos
        name = m.group(0)
        pos = m.end() + 2
        value = []
        while True:
            if pos >= len(s):
                errors.append("line %d: unterminated label value" % lineno)
                return None, pos
            c = s[pos]
            if c == "\\":
                nxt = s[pos + 1:pos + 2]
                if nxt not in ("\\", '"', "n"):
                    errors.append("line %d: bad escape \\%s" % (lineno, nxt))
                    return None, pos
                value.append("\n" if nxt == "n" else nxt)
                pos += 2
            elif c == '"':
                pos += 1
                break
            else:
                value.append(c)
                pos += 1
        if name in labels:
            errors.append("line %d: label %s twice" % (lineno, name))
        labels[name] = "".join(value)
        if s[pos:pos + 1] == ",":
            pos += 1
            continue
        if s[pos:pos + 1] != "}":
            errors.append("line %d: bad label list" % lineno)
            return None, pos
        return labels, pos + 1


def exposition_errors(text):
    """Check text; return (errors, samples): samples are
    (name, labels dict, float value)."""
    errors, samples = [], []
    families = {}  # name -> {"help", "type", "samples", "closed"}
    order = []
    current = None
    series = set()
    if text and not text.endswith("\n"):
        errors.append("no final line feed")
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            m = re.match(r"# (HELP|TYPE) (\S+) (.*)$", line)
            if not m:
                errors.append("line %d: bad comment %r" % (lineno, line))
                continue
            kind, name, rest = m.groups()
            if not NAME_RE.fullmatch(name):
                errors.append("line %d: bad name %r" % (lineno, name))
            fam = families.setdefault(name, {"help": 0, "type": 0,
                                             "samples": 0, "closed": False})
            if name not in order:
                order.append(name)
            if current is not None and current != name:
                families[current]["closed"] = True
            current = name
            if fam["closed"] or fam["samples"]:
                errors.append("line %d: %s of %s after its samples"
                              % (lineno, kind, name))
            if kind == "HELP":
                if fam["help"] or fam["type"]:
                    errors.append("line %d: HELP of %s twice or after TYPE"
                                  % (lineno, name))
                fam["help"] += 1
            else:
                if fam["type"]:
                    errors.append("line %d: TYPE of %s twice" % (lineno, name))
                if rest not in ("gauge", "counter"):
                    errors.append("line %d: type %r" % (lineno, rest))
                elif (rest == "counter") != name.endswith("_total"):
                    # Prometheus naming: a counter, and only a counter,
                    # ends in _total.
                    errors.append("line %d: %s %s: counters and only "
                                  "counters end in _total"
                                  % (lineno, rest, name))
                fam["type"] += 1
                fam["kind"] = rest
            continue
        m = NAME_RE.match(line)
        if not m:
            errors.append("line %d: bad sample %r" % (lineno, line))
            continue
        name = m.group(0)
        pos = m.end()
        labels = {}
        if line[pos:pos + 1] == "{":
            labels, pos = parse_labels(line, pos, errors, lineno)
            if labels is None:
                continue
        if line[pos:pos + 1] != " ":
            errors.append("line %d: no value" % lineno)
            continue
        fields = line[pos + 1:].split(" ")
        if len(fields) != 1:
            errors.append("line %d: a timestamp (the textfile collector "
                          "rejects them) or junk: %r" % (lineno, line))
            continue
        try:
            value = float(fields[0])
        except ValueError:
            errors.append("line %d: value %r" % (lineno, fields[0]))
            continue
        if math.isnan(value):
            errors.append("line %d: NaN" % lineno)
        if name in families and families[name].get("kind") == "counter" \
                and not 0 <= value < math.inf:
            errors.append("line %d: counter value %r" % (lineno, value))
        fam = families.get(name)
        if fam is None or not (fam["help"] and fam["type"]):
            errors.append("line %d: %s has no HELP and TYPE before it"
                          % (lineno, name))
        elif current != name or fam["closed"]:
            errors.append("line %d: sample of %s away from its family"
                          % (lineno, name))
        else:
            fam["samples"] += 1
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            errors.append("line %d: series twice: %r" % (lineno, line))
        series.add(key)
        if not name.startswith("mtasts_"):
            errors.append("line %d: no mtasts_ prefix" % lineno)
        samples.append((name, labels, value))
    return errors, samples


def check_text(text):
    errors, samples = exposition_errors(text)
    if errors:
        fail("exposition format:\n  " + "\n  ".join(errors[:20]))
    return samples


def test_prometheus(binary):
    checks = {"overall": {"ok", "warning", "error", "unknown"},
              "mta_sts_record": {"valid", "invalid", "missing", "unknown"},
              "tls_rpt_record": {"valid", "invalid", "missing", "unknown"},
              "policy": {"valid", "invalid", "unreachable", "not-checked"},
              "mx_coverage": {"covered", "not-covered", "not-checked"}}
    with tempfile.TemporaryDirectory() as tmp:
        path, inputs = write_list(tmp)
        rc_j, out, err = run(binary, ["-j", "-f", path])
        whole = json_lines(out, "JSON run")
        rc, text, err = run(binary, ["--format", "prometheus", "-f", path])
        if err:
            fail("stderr %r" % err)
        if rc != rc_j:
            fail("exit %d, the JSON run's was %d" % (rc, rc_j))
        samples = check_text(text)

    status = {}
    for name, labels, value in samples:
        if name == "mtasts_check_status":
            d = labels["domain"]
            status.setdefault(d, {}).setdefault(labels["check"], {})[
                labels["status"]] = value
    domains = []
    for o in whole:
        if o["domain"] not in domains:
            domains.append(o["domain"])
    last = {o["domain"]: o for o in whole}  # a later result wins
    if sorted(status) != sorted(domains):
        fail("domains %r, want %r" % (sorted(status), sorted(domains)))
    if 'quote"and\\backslash.test' not in status:
        fail("the escaped label value did not round-trip")
    for d, by_check in status.items():
        if set(by_check) != set(checks):
            fail("%s: checks %r" % (d, sorted(by_check)))
        for c, states in by_check.items():
            if set(states) != checks[c] or sorted(states.values()) != \
                    [0.0] * (len(states) - 1) + [1.0]:
                fail("%s %s: %r is not one-hot over %r"
                     % (d, c, states, sorted(checks[c])))
        cur = [s for s, v in by_check["overall"].items() if v == 1.0][0]
        if cur != last[d]["status"]:
            fail("%s: overall %s, JSON says %s" % (d, cur, last[d]["status"]))
        rec = [s for s, v in by_check["mta_sts_record"].items() if v == 1.0]
        if rec[0] != last[d]["mta_sts"]["record"]["status"]:
            fail("%s: mta_sts_record %s, JSON says %s"
                 % (d, rec[0], last[d]["mta_sts"]["record"]["status"]))
    values = {(n, tuple(sorted(lb.items()))): v for n, lb, v in samples}
    if values.get(("mtasts_last_run_domains", ())) != len(domains):
        fail("mtasts_last_run_domains != %d" % len(domains))
    ttl = values.get(("mtasts_record_ttl_seconds",
                      (("check", "mta_sts_record"),
                       ("domain", "valid.mts.test"))))
    if ttl != 300:
        fail("TTL of _mta-sts.valid.mts.test: %r, want 300" % ttl)

    # Stopped before the end: no metrics at all, rather than part of them.
    fault = "%s:%s" % (os.environ.get("MTS_TEST_FAULT_ADDR", "127.53.0.2"),
                       os.environ.get("MTS_TEST_FAULT_PORT", "5300"))
    p = subprocess.Popen([binary, "--no-smtp", "--no-policy", "--timeout", "20",
                          "--resolver", fault, "--format", "prometheus",
                          "ok.fault.test", "silent.fault.test"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    if out:
        fail("SIGTERM: %d bytes of metrics written (stderr %r)"
             % (len(out), err))
    if b"SIGTERM" not in err:
        fail("SIGTERM: stderr %r" % err)
    print("PASS: %d samples, %d domains" % (len(samples), len(domains)))
    return 0


def test_prometheus_policy(binary, rundir):
    ca = os.path.join(rundir or "", "tls", "ca.pem")
    if not rundir or not os.path.exists(ca):
        print("SKIP: no HTTPS servers (no %s)" % ca)
        return SKIP
    # Not run(): it adds --no-policy.
    cmd = [binary, "--no-smtp", "--timeout", "10", "--resolver", knot(), "--ca-file", ca,
           "--format", "prometheus", "valid.pol.test", "testing.pol.test"]
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    text = p.stdout.decode("utf-8")
    samples = check_text(text)
    values = {(n, tuple(sorted(lb.items()))): v for n, lb, v in samples}
    want = {
        ("mtasts_policy_max_age_seconds", (("domain", "valid.pol.test"),)):
            604800,
        ("mtasts_policy_mode", (("domain", "valid.pol.test"),
                                ("mode", "enforce"))): 1,
        ("mtasts_policy_mode", (("domain", "testing.pol.test"),
                                ("mode", "testing"))): 1,
        ("mtasts_check_status", (("check", "policy"),
                                 ("domain", "valid.pol.test"),
                                 ("status", "valid"))): 1,
        ("mtasts_check_status", (("check", "mx_coverage"),
                                 ("domain", "valid.pol.test"),
                                 ("status", "covered"))): 1,
    }
    for k, v in want.items():
        if values.get(k) != v:
            fail("%r = %r, want %r" % (k, values.get(k), v))
    days = values.get(("mtasts_policy_cert_expiry_days",
                       (("domain", "valid.pol.test"),)))
    na = values.get(("mtasts_policy_cert_not_after_timestamp_seconds",
                     (("domain", "valid.pol.test"),)))
    if days is None or na is None or days <= 0:
        fail("certificate metrics: days %r, notAfter %r" % (days, na))
    if p.returncode != 0:
        fail("exit %d" % p.returncode)
    print("PASS")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin")
    ap.add_argument("--rundir")
    ap.add_argument("test")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    if a.test == "check-exposition":
        with open(a.args[0], encoding="utf-8") as f:
            check_text(f.read())
        print("PASS")
        return 0
    if not a.bin:
        ap.error("--bin is required")
    if a.test == "shard":
        return test_shard(a.bin, [int(n) for n in a.args] or [3, 7])
    if a.test == "shard-usage":
        return test_shard_usage(a.bin)
    if a.test == "prometheus":
        return test_prometheus(a.bin)
    if a.test == "prometheus-policy":
        return test_prometheus_policy(a.bin, a.rundir)
    ap.error("unknown test %r" % a.test)
    return 2


if __name__ == "__main__":
    sys.exit(main())
