#!/usr/bin/env python3
"""`mtasts-check report` end to end on fixtures/reports (no server needed).

    report_cases.py --list
    report_cases.py --bin build/mtasts-check --fixtures fixtures/reports CASE

Each case runs the binary and checks the JSON Lines (key fields, order,
nulls), the text output, the summary figures and the exit code
(contract.md "TLS-RPT aggregate reports", docs/reports.md). Registered
one ctest test per case by test/CMakeLists.txt (label "report").
"""

import argparse
import calendar
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

from monitoring_check import exposition_errors

CASES = {}

REPORT_KEYS = ["schema_version", "kind", "source", "message_id", "status",
               "organization", "report_id", "contact_info", "date_range",
               "policies", "total_successful", "total_failed", "findings"]
POLICY_KEYS = ["policy_type", "policy_domain", "mode", "policy_string",
               "mx_host", "successful", "failed", "failures_by_result_type",
               "failures", "same_sessions_as"]
SUMMARY_KEYS = ["schema_version", "kind", "policy_domain", "day", "reports",
                "sessions", "successful", "failed", "failure_rate",
                "failure_percent", "failures_by_result_type",
                "by_organization", "failures_by_mx_host",
                "sts_tlsa_counted_once"]
GOOGLE = "json/google.com!example.com!1795651200!1795737599.json.gz"


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


class Ctx:
    def __init__(self, binary, fixtures):
        self.bin = binary
        self.fx = fixtures

    def run(self, *args, stdin=None, env=None, cwd=None):
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        if env:
            e.update(env)
        p = subprocess.run([self.bin, "report"] + list(args), input=stdin,
                           capture_output=True, cwd=cwd or self.fx, env=e,
                           timeout=120)
        return p.returncode, p.stdout, p.stderr

    def json(self, *args, rc=None, stdin=None):
        code, out, err = self.run("--json", *args, stdin=stdin)
        if rc is not None:
            check(code == rc, "exit %d, expected %d; stderr: %r" %
                  (code, rc, err[:500]))
        objs = []
        for line in out.decode("utf-8").split("\n")[:-1]:
            o = json.loads(line)
            objs.append(o)
        check(out.endswith(b"\n") or not out, "output does not end in \\n")
        for o in objs:
            check(o["schema_version"] == 1, "schema_version")
            if o["kind"] == "tlsrpt-report":
                check(list(o) == REPORT_KEYS, "report keys %r" % list(o))
                for p in o["policies"]:
                    check(list(p) == POLICY_KEYS, "policy keys %r" % list(p))
                if o["status"] == "invalid":
                    check(o["policies"] == [], "invalid with policies")
                    check(o["total_successful"] is None and
                          o["total_failed"] is None, "invalid with totals")
                    check(any(f["severity"] == "error"
                              for f in o["findings"]),
                          "invalid without an error finding")
            else:
                check(o["kind"] == "tlsrpt-summary", "kind %r" % o["kind"])
                check(list(o) == SUMMARY_KEYS, "summary keys %r" % list(o))
        return objs


def codes(o):
    return {f["code"] for f in o["findings"]}


def reports(objs):
    return [o for o in objs if o["kind"] == "tlsrpt-report"]


def summaries(objs):
    return [o for o in objs if o["kind"] == "tlsrpt-summary"]


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rows.append(line.rstrip("\n").split("\t"))
    return rows


# ---- single reports -------------------------------------------------------

@case
def json_google(c):
    (o,) = c.json(GOOGLE, rc=1)  # failed sessions below 5 %
    check(o["status"] == "valid", o["status"])
    check(o["source"] == GOOGLE and o["message_id"] is None, o["source"])
    check(o["organization"] == "Google Inc.", o["organization"])
    check(o["contact_info"] == "smtp-tls-reporting@google.com", "contact")
    check(o["date_range"] == {"start": "2026-11-26T00:00:00Z",
                              "end": "2026-11-26T23:59:59Z"}, "date_range")
    check(o["total_successful"] == 2210 and o["total_failed"] == 15, "totals")
    (p,) = o["policies"]
    check(p["policy_type"] == "sts" and p["mode"] == "enforce", "sts mode")
    check(p["policy_domain"] == "example.com", "policy_domain")
    check(p["failures_by_result_type"] == {"certificate-expired": 4,
                                           "certificate-not-trusted": 11},
          "by result type %r" % p["failures_by_result_type"])
    f = p["failures"][0]
    check(f["receiving_mx_hostname"] == "mx1.example.com" and
          f["receiving_ip"] == "192.0.2.25" and
          f["failed_session_count"] == 4, "failure %r" % f)


@case
def json_clean_exit_0(c):
    (o,) = c.json("json/microsoft.json", rc=0)
    check(o["status"] == "valid" and o["findings"] == [], "findings")
    check(o["policies"][0]["mode"] == "testing", "mode")
    check(o["total_failed"] == 0, "failed")


@case
def threshold_exit_2(c):
    # 15 of 2225 sessions failed: 0.674 %.
    c.json(GOOGLE, "--fail-threshold", "0.67", rc=2)
    c.json(GOOGLE, "--fail-threshold", "0.68", rc=1)
    c.json(GOOGLE, "--fail-threshold", "0", rc=2)
    # 2 beats 3: a bad input does not hide a domain over the threshold.
    c.json(GOOGLE, "json/dmarc.xml", "--fail-threshold", "0.5", rc=2)
    # No failure at all is never 2, even at 0 %.
    c.json("json/microsoft.json", "--fail-threshold", "0", rc=0)


@case
def warnings_exit_1(c):
    (o,) = c.json("json/mailru.json", "json/microsoft.json",
                  "--fail-threshold", "100", rc=1)[:1]
    check("REPORT_MX_HOST_NOT_ARRAY" in codes(o), codes(o))
    (o,) = c.json("json/bom.json", rc=1)
    check(o["status"] == "valid" and codes(o) == {"REPORT_BOM"}, codes(o))


@case
def json_fixtures_table(c):
    """Every row of fixtures/reports/json/expected.tsv through the CLI."""
    rows = read_tsv(os.path.join(c.fx, "json", "expected.tsv"))
    check(len(rows) > 10, "expected.tsv has %d rows" % len(rows))
    for name, valid, ok, failed, want in rows:
        (o,) = c.json("json/" + name)
        where = name + ": "
        check(o["status"] == ("valid" if valid == "1" else "invalid"),
              where + o["status"])
        if valid == "1":
            check(o["total_successful"] == int(ok) and
                  o["total_failed"] == int(failed), where + "totals")
        want = set() if want == "-" else set(want.split(","))
        check(want <= codes(o), where + "codes %r, want %r" %
              (sorted(codes(o)), sorted(want)))


@case
def invalid_exit_3(c):
    for name in ["dmarc.xml", "truncated.json.gz", "bomb.json.gz",
                 "deep.json", "dupkey.json", "array.json"]:
        (o,) = c.json("json/" + name, rc=3)
        check(o["status"] == "invalid", name)


@case
def mixed_paths_go_on(c):
    objs = c.json("json/microsoft.json", "/nonexistent/report.json",
                  "json/dmarc.xml", "json/postfix.json", rc=3)
    check([o["source"] for o in objs] ==
          ["json/microsoft.json", "/nonexistent/report.json",
           "json/dmarc.xml", "json/postfix.json"], "sources")
    check([o["status"] for o in objs] ==
          ["valid", "invalid", "invalid", "valid"], "statuses")
    check("REPORT_READ_FAILED" in codes(objs[1]), codes(objs[1]))
    check(objs[1]["date_range"] is None and objs[1]["organization"] is None,
          "unreadable fields")


@case
def stdin(c):
    with open(os.path.join(c.fx, "json", "microsoft.json"), "rb") as f:
        data = f.read()
    (o,) = c.json("-", stdin=data, rc=0)
    check(o["source"] == "-" and o["status"] == "valid", o["source"])
    # gzip is told by its magic bytes, whatever the name.
    (o,) = c.json("-", stdin=gzip.compress(data), rc=0)
    check(o["status"] == "valid" and o["total_successful"] == 530, "gzip")
    (o,) = c.json("-", stdin=b"", rc=3)
    check(o["status"] == "invalid", "empty stdin")


# ---- summary and duplicates ----------------------------------------------

@case
def dedup(c):
    objs = c.json("json/microsoft.json", "json/microsoft.json", "--summary",
                  rc=0)
    r = reports(objs)
    check(len(r) == 2, "two report objects")
    check("REPORT_DUPLICATE" not in codes(r[0]), "first is no duplicate")
    (d,) = [f for f in r[1]["findings"] if f["code"] == "REPORT_DUPLICATE"]
    check(d["severity"] == "info" and d["subject"] == "json/microsoft.json",
          "duplicate finding %r" % d)
    check(r[1]["status"] == "valid" and r[1]["total_successful"] == 530,
          "a duplicate keeps its figures")
    (s,) = summaries(objs)
    check(s["reports"] == 1 and s["sessions"] == 530, "counted once")
    # A duplicate does not count in the exit code either.
    c.json(GOOGLE, GOOGLE, "--fail-threshold", "0.68", rc=1)


# issue 11: reports in the style of each real sender, each with the
# figures it must give (status, successful, failed).
SENDERS = {
    GOOGLE: (2210, 15),
    "json/microsoft-sts-tlsa.json": (1480, 3),
    "json/mailru-fetch-error.json": (9, 1),
    "json/postfix-libtlsrpt.json": (21, 1),
    "mail/microsoft-sts-tlsa.eml": (1480, 3),
    "mail/mailru-fetch-error.eml": (9, 1),
    "mail/postfix-libtlsrpt.eml": (21, 1),
    "mail/stalwart-tlsrpt.eml": (21, 1),
    "mail/octet-stream-noname.eml": (12, 0),
    "mail/gzip-noname.eml": (12, 0),
}


@case
def real_senders(c):
    """Every real sender's report is valid, with its totals; Microsoft's
    sts and tlsa policies of the same sessions count once."""
    for path, (ok, failed) in SENDERS.items():
        (o,) = reports(c.json(path))
        check(o["status"] == "valid", "%s: %s %r" % (path, o["status"],
                                                      o["findings"]))
        check((o["total_successful"], o["total_failed"]) == (ok, failed),
              "%s: totals %r" % (path, (o["total_successful"],
                                        o["total_failed"])))
    (o,) = reports(c.json("json/microsoft-sts-tlsa.json"))
    sts, tlsa = o["policies"]
    check(sts["same_sessions_as"] == 1 and tlsa["same_sessions_as"] == 0,
          "paired")
    check(tlsa["policy_string"] == [
        "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
        "2 1 1 8D02536C887482BC34FF54E41D2BA659BF85B341A0A20AFADB5813DCFBCF286D"],
        "tlsa records %r" % tlsa["policy_string"])
    check(sts["successful"] == tlsa["successful"] == 1480,
          "per-policy figures stay visible")
    objs = c.json("--summary", "json/microsoft-sts-tlsa.json",
                  "json/postfix-libtlsrpt.json")
    s = {x["policy_domain"]: x for x in summaries(objs)}
    check(set(s) == {None, "example.com"}, "groups %r" % list(s))
    e = s["example.com"]
    check((e["successful"], e["failed"], e["sts_tlsa_counted_once"]) ==
          (1480 + 17, 3 + 1, 1), "counted once: %r" % e)
    check(e["failures_by_mx_host"] == {"mx1.example.com": 4}, "mx %r" %
          e["failures_by_mx_host"])
    check(e["failures_by_result_type"] == {"certificate-host-mismatch": 3,
                                           "tlsa-invalid": 4},
          "rt %r" % e["failures_by_result_type"])
    check((s[None]["successful"], s[None]["failed"]) == (4, 0),
          "unknown domain %r" % s[None])
    code, out, _ = c.run("--summary", "json/microsoft-sts-tlsa.json")
    text = out.decode()
    check("the same sessions as the sts policy: counted once" in text and
          "sessions counted once: 1 pair" in text, "text says so")


def tables(p):
    """A policy's failures by result type and by MX host."""
    rt = dict(p["failures_by_result_type"])
    mx = {}
    for f in p["failures"]:
        h = (f["receiving_mx_hostname"] or "").lower().rstrip(".")
        h = h or "(unknown)"
        mx[h] = mx.get(h, 0) + f["failed_session_count"]
    return rt, mx


@case
def summary_figures(c):
    paths = [GOOGLE, "json/mailru.json", "json/postfix.json",
             "json/microsoft-sts-tlsa.json", "json/postfix-libtlsrpt.json",
             "json/microsoft.json", "json/alltypes.json", "json/dmarc.xml"]
    objs = c.json("--summary", *paths)
    r, s = reports(objs), summaries(objs)
    check([o["kind"] for o in objs] ==
          ["tlsrpt-report"] * len(paths) + ["tlsrpt-summary"] * len(s),
          "summaries come last")
    # Sorted by domain (the unknown domain, null, first), then day.
    keys = [(x["policy_domain"] is not None, x["policy_domain"] or "",
             x["day"]) for x in s]
    check(keys == sorted(keys), "sorted")
    # Recompute each group from the report objects.
    want = {}
    for o in r:
        if o["status"] != "valid":
            continue
        day = o["date_range"]["start"][:10]
        pols = o["policies"]
        for i, p in enumerate(pols):
            twin = p["same_sessions_as"]
            if twin is not None and twin < i:
                continue  # counted once, with its twin
            dom = p["policy_domain"]
            dom = dom.lower().rstrip(".") if dom is not None else None
            g = want.setdefault((dom, day), {
                "reports": set(), "successful": 0, "failed": 0, "rt": {},
                "org": {}, "mx": {}, "once": 0})
            g["reports"].add(o["source"])
            g["successful"] += p["successful"]
            g["failed"] += p["failed"]
            org = g["org"].setdefault(o["organization"], {
                "reports": set(), "successful": 0, "failed": 0})
            org["reports"].add(o["source"])
            org["successful"] += p["successful"]
            org["failed"] += p["failed"]
            rt, mx = tables(p)
            if twin is not None:
                g["once"] += 1
                rt2, mx2 = tables(pols[twin])
                for k, v in rt2.items():
                    rt[k] = max(rt.get(k, 0), v)
                for k, v in mx2.items():
                    mx[k] = max(mx.get(k, 0), v)
            for k, v in rt.items():
                g["rt"][k] = g["rt"].get(k, 0) + v
            for k, v in mx.items():
                g["mx"][k] = g["mx"].get(k, 0) + v
    check(len(s) == len(want), "%d groups, want %d" % (len(s), len(want)))
    for x in s:
        g = want[(x["policy_domain"], x["day"])]
        where = "%s %s: " % (x["policy_domain"], x["day"])
        check(x["reports"] == len(g["reports"]), where + "reports")
        check(x["sts_tlsa_counted_once"] == g["once"], where + "once")
        check(x["successful"] == g["successful"] and
              x["failed"] == g["failed"] and
              x["sessions"] == g["successful"] + g["failed"], where + "sums")
        rate = g["failed"] / (g["successful"] + g["failed"])
        check(x["failure_rate"] == round(rate, 4), where + "rate %r vs %r" %
              (x["failure_rate"], rate))
        check(x["failure_percent"] == round(rate * 100, 2), where + "pct")
        check(x["failures_by_result_type"] == g["rt"], where + "rt")
        check(x["failures_by_mx_host"] == g["mx"], where + "mx %r vs %r" %
              (x["failures_by_mx_host"], g["mx"]))
        check(set(x["by_organization"]) == set(g["org"]), where + "orgs")
        for name, v in g["org"].items():
            got = x["by_organization"][name]
            check(got == {"reports": len(v["reports"]),
                          "successful": v["successful"],
                          "failed": v["failed"]}, where + name)
    check(any(x["policy_domain"] == "example.com" for x in s), "example.com")


@case
def summary_text(c):
    code, out, err = c.run("--summary", "-q", GOOGLE, "json/microsoft.json")
    text = out.decode("ascii")
    check(code == 1, "exit %d" % code)
    check("Summary (fail threshold 5%)" in text, "title")
    check("example.com" in text and "2026-11-26" in text, "row")
    check("Google Inc." in text and "Microsoft Corporation" in text, "orgs")
    check("mx1.example.com" in text, "mx")
    # -q: the clean Microsoft report is not shown, the Google one is.
    check("json/microsoft.json: VALID" not in text, "quiet")
    check(GOOGLE + ": VALID" in text, "google shown")


@case
def quiet_text(c):
    code, out, err = c.run("-q", "json/microsoft.json")
    check(code == 0 and out == b"", "quiet and clean prints nothing")
    code, out, err = c.run("json/microsoft.json")
    check(b"json/microsoft.json: VALID\n" in out, "text headline")
    check(b"Organization    Microsoft Corporation\n" in out, "organization")
    # Several reports: a count line ends the text, unless -q printed
    # nothing.
    code, out, err = c.run("json/microsoft.json", "json/dmarc.xml")
    check(out.endswith(b"\n2 reports: 1 valid, 1 invalid\n"), out[-80:])
    code, out, err = c.run("-q", "json/microsoft.json", "json/microsoft.json")
    check(code == 0 and out == b"", "quiet, clean and a duplicate")
    # JSON ignores -q.
    code, out, err = c.run("-q", "-j", "json/microsoft.json")
    check(out.count(b"\n") == 1, "json ignores -q")


@case
def color(c):
    code, out, err = c.run("--color", "always", "json/microsoft.json")
    check(b"\x1b[32mVALID\x1b[0m" in out, "colour on")
    code, out, err = c.run("--color", "never", "json/microsoft.json")
    check(b"\x1b" not in out, "colour off")
    code, out, err = c.run("json/microsoft.json")  # auto, not a terminal
    check(b"\x1b" not in out, "auto off on a pipe")


@case
def hostile_text(c):
    rep = {
        "organization-name": "Evil\u001b]0;x\u0007\u001b[2J Inc.\u009b",
        "date-range": {"start-datetime": "2026-11-26T00:00:00Z",
                       "end-datetime": "2026-11-26T23:59:59Z"},
        "contact-info": "a@b.example",
        "report-id": "\u001b[31mid",
        "policies": [{
            "policy": {"policy-type": "sts",
                       "policy-string": ["version: STSv1", "mode: enforce"],
                       "policy-domain": "example.com",
                       "mx-host": ["mx.example.com"]},
            "summary": {"total-successful-session-count": 1,
                        "total-failure-session-count": 1},
            "failure-details": [{
                "result-type": "starttls-not-supported",
                "sending-mta-ip": "192.0.2.1",
                "receiving-mx-hostname": "mx\u001b[8m.example.com",
                "receiving-ip": "192.0.2.2",
                "failed-session-count": 1}]}]}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "evil\x1b[2J.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(rep, f)
        code, out, err = c.run(path, "--summary", "--color", "never")
        check(code in (1, 2), "exit %d" % code)
        for i, b in enumerate(out):
            check(b == 0x0a or 0x20 <= b <= 0x7e,
                  "byte 0x%02x at %d in text output" % (b, i))
        check(b"Evil\\x1b]0;x\\x07\\x1b[2J Inc.\\xc2\\x9b" in out, "escaped")
        (o,) = reports(c.json(path))
        check(o["organization"] == rep["organization-name"], "json raw")


@case
def mail_inputs(c):
    (o,) = c.json("mail/google.eml")
    check(o["message_id"] == "<000000000000a1b2c3d4e5f60001@google.com>",
          "message_id %r" % o["message_id"])
    check(o["source"] == "mail/google.eml " + o["message_id"], o["source"])
    check(o["status"] == "valid", o["status"])
    objs = c.json("mail/two-parts.eml")
    check(len(objs) == 2, "two reports in one message")
    for o in objs:
        check("REPORT_SUBMITTER_MISMATCH" in codes(o), "submitter mismatch")
        check(o["status"] == "valid" and o["total_successful"] is not None,
              "an envelope error keeps the figures")
    (o,) = c.json("mail/dmarc.eml", rc=3)
    check(codes(o) == {"REPORT_NO_REPORT_PART"}, codes(o))
    # Envelope errors count like warnings: exit 1, not 3.
    (o,) = c.json("mail/headers-missing.eml", rc=1)
    check(o["status"] == "valid" and
          "REPORT_EMAIL_HEADERS_MISSING" in codes(o), "headers missing")
    # The same Google report in a message and in an mbox: counted once.
    objs = c.json("mail/google.eml", "mail/reports.mbox", "--summary")
    r = reports(objs)
    check(len(r) == 4, "1 + 3 reports, got %d" % len(r))
    check("REPORT_DUPLICATE" in codes(r[1]), "duplicate from the mbox")
    check(all(x["reports"] >= 1 for x in summaries(objs)), "summary")
    objs = c.json("maildir")
    check(len(objs) >= 2, "maildir: %d reports" % len(objs))


def tlsrpt_mail(contact, submitter, rid):
    """A mailed report (RFC 8460 §5.3) with this contact-info."""
    from email.message import EmailMessage
    rep = {"organization-name": "Mail Example", "contact-info": contact,
           "report-id": rid,
           "date-range": {"start-datetime": "2026-11-26T00:00:00Z",
                          "end-datetime": "2026-11-26T23:59:59Z"},
           "policies": [{
               "policy": {"policy-type": "sts",
                          "policy-string": ["version: STSv1",
                                            "mode: testing",
                                            "mx: mx.example.com",
                                            "max_age: 86400"],
                          "policy-domain": "example.com",
                          "mx-host": ["mx.example.com"]},
               "summary": {"total-successful-session-count": 10,
                           "total-failure-session-count": 0}}]}
    m = EmailMessage()
    m["From"] = "tlsrpt@mail.example"
    m["To"] = "tls-reports@example.com"
    m["Subject"] = ("Report Domain: example.com Submitter: %s "
                    "Report-ID: <%s@mail.example>" % (submitter, rid))
    m["Message-ID"] = "<%s@mail.example>" % rid
    m["TLS-Report-Domain"] = "example.com"
    m["TLS-Report-Submitter"] = submitter
    m.set_content("A TLS report.\n")
    m.add_attachment(gzip.compress(json.dumps(rep).encode()),
                     maintype="application", subtype="tlsrpt+gzip",
                     filename="mail.example!example.com!1795651200!"
                              "1795737599.json.gz")
    m.replace_header("Content-Type",
                     'multipart/report; report-type="tlsrpt"; boundary="%s"'
                     % m.get_boundary())
    return m.as_bytes()


@case
def submitter(c):
    cases = [("tlsrpt@mail.example", "mail.example", False),
             ("TLSRPT@Mail.Example.", "mail.example", False),
             ("Reports <tlsrpt@sub.mail.example>", "Mail.Example.", False),
             ("tlsrpt@example", "mail.example", True),
             ("tlsrpt@evilmail.example", "mail.example", True),
             ("https://mail.example/contact", "other.example", False)]
    with tempfile.TemporaryDirectory() as d:
        for i, (contact, sub, mismatch) in enumerate(cases):
            path = os.path.join(d, "m%d.eml" % i)
            with open(path, "wb") as f:
                f.write(tlsrpt_mail(contact, sub, "r%d" % i))
            (o,) = reports(c.json(path))
            check(o["status"] == "valid", "%s: %s" % (contact, o["status"]))
            check(("REPORT_SUBMITTER_MISMATCH" in codes(o)) == mismatch,
                  "%r vs %r: %r" % (contact, sub, sorted(codes(o))))


def peak_rss_kib(argv, cwd, env):
    """Run argv under /usr/bin/time (package time): return its exit code,
    stdout and peak RSS in KiB. Not os.wait4 from here: a child forked from
    this Python process counts the parent's pages it started with."""
    with tempfile.NamedTemporaryFile() as t:
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", t.name] + argv,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           cwd=cwd, env=env, timeout=120)
        kib = int(open(t.name).read().split()[-1])
        return p.returncode, p.stdout, kib


@case
def hostile_mail_memory(c):
    """Issue 10 item 5: mail built to make GMime allocate (empty parts,
    header fields, parameters, an mbox message over the cap) stays within
    a small multiple of --max-size. Before the pre-scan, 7 MB of empty
    parts took 290 MB and 7 MB of header fields 900 MB; a 35 MB mbox
    message "skipped" as too large, 6 GB. A memory bound, not a timing."""
    cap = 8 << 20
    hdr = b"From: a@b.example\nSubject: x\nMIME-Version: 1.0\n"
    parts = (hdr + b"Content-Type: multipart/mixed; boundary=b\n\n" +
             b"--b\n\n" * 1400000 + b"--b--\n")
    fields = hdr + b"X:y\n" * 1700000 + b"\nbody\n"
    params = (hdr + b"Content-Type: text/plain" + b";a=b" * 1700000 +
              b"\n\nbody\n")
    addrs = hdr + b"To: " + b"a@b," * 1700000 + b"a@b\n\nbody\n"
    nested = hdr + b"Content-Type: message/rfc822\n\n" * 200000 + b"x\n"
    sep = b"From tlsrpt@mail.example Thu Nov 26 00:00:00 2026\n"
    big = (hdr + b"Content-Type: multipart/mixed; boundary=b\n\n" +
           b"--b\n\n" * 2600000 + b"--b--\n")  # 13 MB: over the cap
    good = tlsrpt_mail("tlsrpt@mail.example", "mail.example", "after")
    mbox = sep + parts + sep + fields + sep + big + sep + good
    env = dict(os.environ)
    # Under AddressSanitizer, freed memory would stay in its quarantine.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                           ":quarantine_size_mb=0").lstrip(":")
    with tempfile.TemporaryDirectory() as d:
        files = {}
        for name, data in [("parts.eml", parts), ("fields.eml", fields),
                           ("params.eml", params), ("addrs.eml", addrs),
                           ("nested.eml", nested), ("hostile.mbox", mbox),
                           ("good.eml", good)]:
            check(len(data) < cap or name.endswith(".mbox"),
                  "%s is under the cap" % name)
            files[name] = os.path.join(d, name)
            with open(files[name], "wb") as f:
                f.write(data)
        base = [c.bin, "report", "--json", "--max-size", "8M"]
        code, out, base_kib = peak_rss_kib(base + [files["good.eml"]],
                                           c.fx, env)
        check(code in (0, 1), "good.eml: exit %d" % code)  # no DKIM: 1
        for name in ["parts.eml", "fields.eml", "params.eml", "addrs.eml",
                     "nested.eml", "hostile.mbox"]:
            code, out, kib = peak_rss_kib(base + [files[name]], c.fx, env)
            objs = [json.loads(x) for x in out.decode().splitlines()]
            over = (kib - base_kib) * 1024
            check(over < 4 * cap,
                  "%s: peak RSS %d KiB, %d KiB over a clean run (cap %d)" %
                  (name, kib, kib - base_kib, cap))
            check(code == 3, "%s: exit %d" % (name, code))
            if name == "hostile.mbox":
                check(len(objs) == 4 and [codes(o) for o in objs[:3]] ==
                      [{"REPORT_TOO_LARGE"}] * 3,
                      "mbox: %r" % [codes(o) for o in objs])
                check(objs[3]["status"] == "valid", "the report after")
            else:
                check(len(objs) == 1 and
                      codes(objs[0]) == {"REPORT_TOO_LARGE"},
                      "%s: %r" % (name, [codes(o) for o in objs]))


@case
def interrupted(c):
    """Ctrl-C (SIGINT) or SIGTERM as in a domain check: the reports
    written are whole, standard error says so, the exit code is that of
    what was read (3 if nothing). Deterministic: the run writes the first
    path's report, then blocks reading '-' (a pipe) until the test has
    sent the signal; the report read after it is not written."""
    import signal
    for sig, name in [(signal.SIGINT, b"SIGINT"), (signal.SIGTERM, b"SIGTERM")]:
        for fmt in (["--json"], ["--summary"]):
            p = subprocess.Popen([c.bin, "report"] + fmt +
                                 ["json/microsoft.json", "-",
                                  "json/microsoft.json"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, cwd=c.fx)
            first = p.stdout.readline()  # the first report is out
            check(first, "no first report")
            p.send_signal(sig)
            with open(os.path.join(c.fx, GOOGLE), "rb") as f:
                out, err = p.communicate(f.read(), timeout=60)
            out = first + out
            check(p.returncode == 0, "%s %r: exit %d, %r" %
                  (name, fmt, p.returncode, err))
            check(err == b"mtasts-check report: interrupted by %s after 1 "
                  b"report%s\n" % (name, b" (no --summary totals)"
                                    if fmt == ["--summary"] else b""),
                  "stderr %r" % err)
            if fmt == ["--json"]:
                lines = out.decode().splitlines()
                check(len(lines) == 1 and
                      json.loads(lines[0])["status"] == "valid",
                      "one whole report: %r" % out[:300])
            else:
                check(b"Summary" not in out and b"google" not in out.lower(),
                      "no summary, no second report: %r" % out[-300:])
    # Nothing read yet: exit 3.
    p = subprocess.Popen([c.bin, "report", "-j", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=c.fx)
    import time
    time.sleep(0.5)  # let it start; should the signal come first, it dies
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(b'{"a": 1}', timeout=60)
    check((p.returncode == 3 and out == b"" and b"after 0 reports" in err) or
          p.returncode == -signal.SIGINT, "nothing read: %d %r" %
          (p.returncode, err))


@case
def max_size(c):
    (o,) = c.json("--max-size", "10", "json/microsoft.json", rc=3)
    check(o["status"] == "invalid", "over --max-size")
    c.json("--max-size", "1k", "json/microsoft.json", rc=0)


@case
def usage(c):
    bad = [[], ["--json"], ["--bogus", "x"], ["--fail-threshold", "abc", "x"],
           ["--fail-threshold", "101", "x"], ["--fail-threshold", "-1", "x"],
           ["--fail-threshold", "nan", "x"], ["--format", "xml", "x"],
           ["--color", "sometimes", "x"], ["--max-size", "0", "x"],
           ["--max-size", "5T", "x"], ["-x", "x"], ["--fail-threshold"]]
    for args in bad:
        code, out, err = c.run(*args)
        check(code == 64, "%r: exit %d" % (args, code))
        check(out == b"", "%r: stdout %r" % (args, out))
        check(err.count(b"\n") == 1 and
              err.startswith(b"mtasts-check report: "), "%r: %r" % (args, err))
    code, out, err = c.run("--help")
    check(code == 0 and out.startswith(b"usage: mtasts-check report") and
          err == b"", "help")
    c.json("--fail-threshold", "2.5", "json/microsoft.json", rc=0)
    c.json("--format", "json", "json/microsoft.json", rc=0)


@case
def write_error(c):
    with open("/dev/full", "wb") as full:
        p = subprocess.run([c.bin, "report", "-j", "json/microsoft.json"],
                           stdout=full, stderr=subprocess.PIPE, cwd=c.fx,
                           timeout=60)
    check(p.returncode == 3, "exit %d on a full disk" % p.returncode)
    check(b"cannot write" in p.stderr, p.stderr)


# ---- --format prometheus ----------------------------------------------------

PROM_PATHS = [GOOGLE, "json/mailru.json", "json/postfix.json",
              "json/microsoft.json", "json/alltypes.json", "json/dmarc.xml",
              "json/microsoft.json", "mail/google.eml", "mail/reports.mbox",
              "maildir"]


def both_types_report():
    """A report listing the same sessions under an sts and a tlsa policy,
    as Microsoft's do."""
    pol = []
    for ptype, lines in [("sts", ["version: STSv1", "mode: enforce",
                                  "mx: mx.example.org", "max_age: 86400"]),
                         ("tlsa", ["3 1 1 " + "ab" * 32])]:
        pol.append({
            "policy": {"policy-type": ptype, "policy-string": lines,
                       "policy-domain": "example.org",
                       "mx-host": ["mx.example.org"]},
            "summary": {"total-successful-session-count": 90,
                        "total-failure-session-count": 10},
            "failure-details": [{
                "result-type": "certificate-expired",
                "sending-mta-ip": "192.0.2.1",
                "receiving-mx-hostname": "MX.Example.org.",
                "receiving-ip": "192.0.2.2",
                "failed-session-count": 10}]})
    return {"organization-name": "Both Types \"Mail\"\\ Inc.",
            "date-range": {"start-datetime": "2026-11-27T00:00:00Z",
                           "end-datetime": "2026-11-27T23:59:59Z"},
            "contact-info": "tlsrpt@both.example", "report-id": "both-1",
            "policies": pol}


def prom_samples(text):
    errors, samples = exposition_errors(text)
    check(not errors, "exposition format: %s" % "; ".join(errors[:5]))
    values = {}
    for name, labels, value in samples:
        check(name.startswith("mtasts_tlsrpt_"), "name %s" % name)
        values[(name, tuple(sorted(labels.items())))] = value
    return values


def key(name, **labels):
    return (name, tuple(sorted(labels.items())))


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


@case
def prometheus(c):
    """The metrics agree with the JSON report objects of the same run."""
    with tempfile.TemporaryDirectory() as d:
        both = os.path.join(d, "both.json")
        with open(both, "w", encoding="utf-8") as f:
            json.dump(both_types_report(), f)
        paths = PROM_PATHS + [both]
        code_j, out, err = c.run("--json", *paths)
        objs = [json.loads(x) for x in out.decode().split("\n")[:-1]]
        code, out, err = c.run("--format", "prometheus", *paths)
    check(code == code_j, "exit %d, the JSON run's %d" % (code, code_j))
    check(err == b"", "stderr %r" % err)
    text = out.decode("utf-8")
    values = prom_samples(text)
    check(text.split("\n")[-2].startswith(
        "mtasts_tlsrpt_last_run_timestamp_seconds "), "last line")

    want, counted, dup, invalid = {}, 0, 0, 0
    for o in objs:
        if o["status"] != "valid":
            invalid += 1
            continue
        if "REPORT_DUPLICATE" in codes(o):
            dup += 1
            continue
        counted += 1
        org = o["organization"] or "(unknown)"
        seen = set()
        for p in o["policies"]:
            dom = p["policy_domain"].lower().rstrip(".")
            t = p["policy_type"]
            base = dict(policy_domain=dom, policy_type=t)
            k = key("mtasts_tlsrpt_reports_total", organization=org, **base)
            if k not in seen:
                want[k] = want.get(k, 0) + 1
                seen.add(k)
            for n, v in [("sessions", p["successful"] + p["failed"]),
                         ("failed_sessions", p["failed"])]:
                k = key("mtasts_tlsrpt_%s_total" % n, organization=org,
                        **base)
                want[k] = want.get(k, 0) + v
            for rt, v in p["failures_by_result_type"].items():
                k = key("mtasts_tlsrpt_failed_sessions_by_result_type_total",
                        result_type=rt, **base)
                want[k] = want.get(k, 0) + v
            for f in p["failures"]:
                mx = (f["receiving_mx_hostname"] or "").lower().rstrip(".")
                k = key("mtasts_tlsrpt_failed_sessions_by_mx_host_total",
                        mx_host=mx or "(unknown)", **base)
                want[k] = want.get(k, 0) + f["failed_session_count"]
            k = key("mtasts_tlsrpt_last_report_timestamp_seconds",
                    policy_domain=dom, organization=org)
            want[k] = max(want.get(k, 0), epoch(o["date_range"]["end"]))
    got = {k: v for k, v in values.items()
           if not k[0].startswith("mtasts_tlsrpt_last_run_")}
    check(got == want, "metrics differ from the JSON objects: extra %r, "
          "missing %r" % (sorted(set(got.items()) - set(want.items()))[:3],
                          sorted(set(want.items()) - set(got.items()))[:3]))
    for status, n in [("counted", counted), ("duplicate", dup),
                      ("invalid", invalid)]:
        check(values[key("mtasts_tlsrpt_last_run_reports", status=status)]
              == n, "last_run_reports %s" % status)
    # The sts and tlsa policies of one report are two series, not a sum.
    for t in ("sts", "tlsa"):
        check(values[key("mtasts_tlsrpt_sessions_total",
                         policy_domain="example.org", policy_type=t,
                         organization='Both Types "Mail"\\ Inc.')] == 100,
              "policy_type %s" % t)
    check(values[key("mtasts_tlsrpt_failed_sessions_by_mx_host_total",
                     policy_domain="example.org", policy_type="tlsa",
                     mx_host="mx.example.org")] == 10, "mx host normalised")


@case
def prometheus_options(c):
    # -q and --color change nothing but the timestamp line.
    def strip(out):
        return [x for x in out.split(b"\n")
                if not x.startswith(b"mtasts_tlsrpt_last_run_timestamp")]
    a = c.run("--format", "prometheus", GOOGLE, "json/microsoft.json")
    b = c.run("--format=prometheus", "-q", "--color", "always", GOOGLE,
              "json/microsoft.json")
    check(a[0] == b[0] == 1 and strip(a[1]) == strip(b[1]), "-q, --color")
    # Nothing counted: only the run's families.
    code, out, err = c.run("--format", "prometheus", "json/dmarc.xml")
    check(code == 3, "exit %d" % code)
    values = prom_samples(out.decode())
    check(values[key("mtasts_tlsrpt_last_run_reports", status="invalid")]
          == 1, "invalid counted")
    check(not any(k[0].endswith("_total") for k in values), "no counters")
    code, out, err = c.run("--format", "prometheus", "--summary", GOOGLE)
    check(code == 64 and out == b"" and b"--summary" in err, "--summary")
    code, out, err = c.run("--help")
    check(b"prometheus" in out, "--help names prometheus")
    with open("/dev/full", "wb") as full:
        p = subprocess.run([c.bin, "report", "--format", "prometheus",
                            "json/microsoft.json"], stdout=full,
                           stderr=subprocess.PIPE, cwd=c.fx, timeout=60)
    check(p.returncode == 3 and b"cannot write" in p.stderr,
          "full disk: exit %d" % p.returncode)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--bin")
    ap.add_argument("--fixtures")
    ap.add_argument("case", nargs="*")
    a = ap.parse_args()
    if a.list:
        print("\n".join(CASES))
        return 0
    c = Ctx(os.path.abspath(a.bin), os.path.abspath(a.fixtures))
    names = a.case or list(CASES)
    failed = 0
    for name in names:
        try:
            CASES[name](c)
            print("ok   %s" % name)
        except Failed as e:
            failed += 1
            print("FAIL %s: %s" % (name, e))
        except Exception as e:  # a crash of the checker is a failure too
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
