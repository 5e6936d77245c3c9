#!/usr/bin/env python3
"""dashboard_check.py: the Grafana dashboard and the Prometheus alert rules
of docs/ query only what mtasts-check writes.

    dashboard_check.py --bin BIN metrics [--rundir DIR]
    dashboard_check.py promtool

metrics   Every metric name in a query of docs/grafana/mtasts-check.json
          (panel targets, template variables) and of
          docs/prometheus/mtasts-check.rules.yml must be one the tool
          writes, and every label a query matches on a metric must be one
          of that metric's labels. What the tool writes is read from its
          own output, never from a list kept here:
            - `mtasts-check report --format prometheus` over
              fixtures/reports (every report family);
            - `mtasts-check --format prometheus` on inputs that need no
              network (an invalid domain name);
            - the check writer's golden, fixtures/expected/report.prom,
              which unit.test_report_prom compares byte for byte with the
              writer's output for results that fill every family;
            - with --rundir, when the fixture servers run (integration),
              also a live check of the HTTPS fixture domains.
          Each output must pass the exposition format checker
          (monitoring_check.py).
promtool  `promtool check rules` on the rules, `promtool test rules` on
          test/prometheus/rules_test.yml, and every dashboard query parsed
          by promtool (as a recording rule). Exit 77 (skipped) when
          promtool (Debian package prometheus) is not installed.
Exit status: 0 pass, 1 fail, 77 skipped.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

from monitoring_check import exposition_errors

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, "..", ".."))
DASHBOARD = os.path.join(SRCDIR, "docs", "grafana", "mtasts-check.json")
RULES = os.path.join(SRCDIR, "docs", "prometheus", "mtasts-check.rules.yml")
RULES_TEST = os.path.join(SRCDIR, "test", "prometheus", "rules_test.yml")
SKIP = 77

# A metric name followed by its matchers: name{a="x",b=~"y"}.
SELECTOR_RE = re.compile(r"\b(mtasts_[a-zA-Z0-9_]*)\s*(\{[^}]*\})?")
MATCHER_RE = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*\"")
LABEL_VALUES_RE = re.compile(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)"
                             r"\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)")
# Labels node_exporter and Prometheus add to every series.
TARGET_LABELS = {"job", "instance"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def dashboard_queries():
    """(where, expr) of every panel target; (where, metric, label) of every
    label_values() template variable."""
    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)
    exprs, variables = [], []

    def walk(panels):
        for p in panels:
            walk(p.get("panels", []))
            for t in p.get("targets", []):
                if "expr" in t:
                    exprs.append(("panel %r %s" % (p.get("title"),
                                                   t.get("refId")),
                                  t["expr"]))
    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = LABEL_VALUES_RE.fullmatch((q or "").strip())
        if not m:
            fail("variable %r: query %r is not label_values(metric, label)"
                 % (v.get("name"), q))
        variables.append(("variable %r" % v["name"], m.group(1), m.group(2)))
    if not exprs:
        fail("no query in %s" % DASHBOARD)
    return exprs, variables


def rule_queries():
    with open(RULES, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    exprs = []
    for g in doc["groups"]:
        for r in g["rules"]:
            name = r.get("alert") or r.get("record")
            exprs.append(("rule %s" % name, r["expr"]))
    if not exprs:
        fail("no rule in %s" % RULES)
    return exprs


def families(text, what):
    """{metric name: set of label names} of an exposition."""
    errors, samples = exposition_errors(text)
    if errors:
        fail("%s: exposition format:\n  %s" % (what, "\n  ".join(errors[:10])))
    out = {}
    for name, labels, _ in samples:
        out.setdefault(name, set()).update(labels)
    return out


def merge(into, more):
    for k, v in more.items():
        into.setdefault(k, set()).update(v)


def run(cmd, ok_codes, cwd=None):
    p = subprocess.run(cmd, capture_output=True, timeout=120, cwd=cwd)
    if p.returncode not in ok_codes:
        fail("%r: exit %d, stderr %r" % (cmd, p.returncode, p.stderr[:300]))
    return p.stdout.decode("utf-8")


def written(binary, rundir):
    fx = os.path.join(SRCDIR, "fixtures", "reports")
    seen = {}
    text = run([binary, "report", "--format", "prometheus", "json", "mail",
                "maildir"], (0, 1, 2, 3), cwd=fx)
    merge(seen, families(text, "report --format prometheus"))
    # No network: an invalid name is judged before any lookup.
    text = run([binary, "--format", "prometheus", "--timeout", "1",
                "--resolver", "127.0.0.1:9", "not a domain!"], (0, 1, 2, 3))
    merge(seen, families(text, "--format prometheus (offline)"))
    with open(os.path.join(SRCDIR, "fixtures", "expected", "report.prom"),
              encoding="utf-8") as f:
        merge(seen, families(f.read(), "fixtures/expected/report.prom"))
    if rundir:
        ca = os.path.join(rundir, "tls", "ca.pem")
        if not os.path.exists(ca):
            print("SKIP: no HTTPS servers (no %s)" % ca)
            sys.exit(SKIP)
        knot = "%s:%s" % (os.environ.get("MTS_TEST_DNS_ADDR", "127.53.0.1"),
                          os.environ.get("MTS_TEST_DNS_PORT", "5300"))
        text = run([binary, "--no-smtp", "--timeout", "10", "--resolver", knot,
                    "--ca-file", ca, "--format", "prometheus",
                    "valid.pol.test", "testing.pol.test"], (0, 1, 2, 3))
        live = families(text, "--format prometheus (live)")
        # The SMTP probe's families: a domain whose MX answers STARTTLS
        # (test/integration/smtpserver.py, fixtures/dns/smtp.test.zone).
        text = run([binary, "--no-policy", "--timeout", "8", "--resolver",
                    knot, "--ca-file", ca, "--format", "prometheus",
                    "good.smtp.test"], (0, 1, 2, 3))
        merge(live, families(text, "--format prometheus (live, SMTP)"))
        merge(seen, live)
        # The live run alone must write every check family the docs query.
        return seen, live
    return seen, None


def test_metrics(binary, rundir):
    seen, live = written(binary, rundir)
    exprs, variables = dashboard_queries()
    exprs += rule_queries()
    problems, used = [], set()
    for where, expr in exprs:
        names = SELECTOR_RE.findall(expr)
        if not names:
            problems.append("%s: no mtasts_ metric in %r" % (where, expr))
        for name, matchers in names:
            used.add(name)
            if name not in seen:
                problems.append("%s: %s is not a metric the tool writes"
                                % (where, name))
                continue
            for label, _ in MATCHER_RE.findall(matchers or ""):
                if label not in seen[name] | TARGET_LABELS | {"__name__"}:
                    problems.append("%s: %s has no label %r (it has %s)"
                                    % (where, name, label,
                                       sorted(seen[name])))
    for where, name, label in variables:
        used.add(name)
        if name not in seen or label not in seen[name]:
            problems.append("%s: %s{%s} is not written" % (where, name, label))
    if live is not None:
        for name in sorted(used):
            if not name.startswith("mtasts_tlsrpt_") and name not in live:
                problems.append("live check run: %s not written" % name)
    if problems:
        fail("\n  ".join([""] + problems))
    print("PASS: %d queries use %d metrics, all written by the tool "
          "(of %d it writes)" % (len(exprs) + len(variables), len(used),
                                 len(seen)))
    return 0


def test_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        print("SKIP: promtool not found (Debian package prometheus)")
        return SKIP
    for cmd in ([promtool, "check", "rules", RULES],
                [promtool, "test", "rules", RULES_TEST]):
        p = subprocess.run(cmd, capture_output=True, timeout=120)
        if p.returncode != 0:
            fail("%r: exit %d\n%s%s" % (cmd, p.returncode,
                                       p.stdout.decode(), p.stderr.decode()))
    # promtool parses the dashboard's PromQL when it is a recording rule.
    exprs, _ = dashboard_queries()
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": "dashboard:query:%d" % i, "expr": e}
        for i, (_, e) in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
        yaml.safe_dump(rules, f)
        f.flush()
        p = subprocess.run([promtool, "check", "rules", f.name],
                           capture_output=True, timeout=120)
    if p.returncode != 0:
        fail("dashboard queries:\n%s%s" % (p.stdout.decode(),
                                           p.stderr.decode()))
    print("PASS: rules checked and tested, %d dashboard queries parsed"
          % len(exprs))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin")
    ap.add_argument("--rundir")
    ap.add_argument("test", choices=["metrics", "promtool"])
    a = ap.parse_args()
    if a.test == "promtool":
        return test_promtool()
    if not a.bin:
        ap.error("--bin is required")
    return test_metrics(a.bin, a.rundir)


if __name__ == "__main__":
    sys.exit(main())
