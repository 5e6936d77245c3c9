#!/usr/bin/env python3
"""Integration test of `mtasts-check plan DOMAIN` (rollout.md R187-R196).

Runs the tool against the running test servers (servers.sh: Knot and
nginx); --no-smtp everywhere (the SMTP probe is not what is tested), so
ready_for_enforce is null with the blocker MX_TLS_NOT_CHECKED.

    plan_test.py --bin build/mtasts-check --rundir RUNDIR CASE...

Cases:
  fresh        norecords.mts.test: no MTA-STS, no TLS-RPT: testing, max_age
               86400, TLS-RPT first, its mailbox, no wait; exit 2 (the
               live check's error)
  mxchanged    planmx.pol.test: testing, MX moved: a pattern dropped, a host
               added by its exact name, a new id, the wait of the old
               max_age; exit 1
  unchanged    valid.pol.test: enforce, all in place: id kept, no step,
               exit 0
  policyout    --policy-out writes the exact bytes (CRLF), replaces a file,
               refuses a symlink (exit 64, nothing on stdout, its target
               untouched)
  none         --mode none on valid.pol.test: mode none, mx lines and
               max_age kept, a new id, the wait before deleting
  text         the text output: records as one line, steps, UTC dates
  usage        --max-age out of range, two domains, -f, an invalid
               domain: exit 64, one line on stderr, nothing on stdout
  state        --state is read (the check compares), never written

Environment: MTS_TEST_DNS_ADDR / MTS_TEST_DNS_PORT (default 127.53.0.1,
5300). Exit 77 (skipped) when the HTTPS servers are not running.
"""

import argparse
import calendar
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_case  # noqa: E402  (the JSON contract checker)

failures = []
ORIG_ID = "20190425085700"  # as in the zone files


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)
    return cond


class Env:
    def __init__(self, args):
        self.bin = os.path.abspath(args.bin)
        self.rundir = os.path.abspath(args.rundir)
        self.ca = os.path.join(self.rundir, "tls", "ca.pem")
        addr = os.environ.get("MTS_TEST_DNS_ADDR", "127.53.0.1")
        port = os.environ.get("MTS_TEST_DNS_PORT", "5300")
        self.resolver = "%s:%s" % (addr, port)
        self.codes = check_case.load_codes(os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..",
            "include", "mtasts", "codes.def"))

    def run(self, *args):
        cmd = [self.bin, "plan", "--no-smtp", "--resolver", self.resolver,
               "--ca-file", self.ca, "--timeout", "10"] + list(args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def plan(self, what, *args):
        rc, out, err = self.run("--json", *args)
        lines = out.splitlines()
        if not check(len(lines) == 1, "%s: one JSON line, got %r (stderr %r)"
                     % (what, out, err)):
            return rc, {}
        obj = json.loads(lines[0])
        check_shape(what, obj)
        errors = []
        check_case.check_contract(obj.get("check", {}), self.codes, 10, errors)
        check(errors == [], "%s: the check object: %r" % (what, errors))
        return rc, obj


def check_shape(what, o):
    """The members of R193, in order, with their types."""
    check(list(o) == ["schema_version", "kind", "domain", "records", "policy",
                      "removed_patterns", "steps", "ready_for_enforce",
                      "blockers", "check"], "%s: members %r" % (what, list(o)))
    check(o.get("schema_version") == 1 and o.get("kind") == "plan",
          "%s: schema_version/kind" % what)
    for k in ("mta_sts", "tls_rpt"):
        r = o.get("records", {}).get(k, {})
        check(list(r) == ["name", "value", "changed"] and
              isinstance(r.get("changed"), bool) and
              "\n" not in r.get("value", "\n"),
              "%s: records.%s %r" % (what, k, r))
    p = o.get("policy", {})
    check(list(p) == ["body", "mode", "max_age", "mx", "changed"],
          "%s: policy members %r" % (what, list(p)))
    body = p.get("body", "")
    check(body.endswith("\r\n") and "\n" not in body.replace("\r\n", ""),
          "%s: the body's lines end in CRLF: %r" % (what, body))
    for s in o.get("steps", []):
        check(list(s) == ["action", "text", "not_before"] and
              s["action"] in ("tlsrpt-record", "create-mailbox",
                              "policy-file", "sts-record", "wait"),
              "%s: step %r" % (what, s))
        check((s["not_before"] is None) == (s["action"] != "wait"),
              "%s: not_before only on wait: %r" % (what, s))
    check(o.get("ready_for_enforce") in (True, False, None),
          "%s: ready_for_enforce" % what)
    check(o.get("check", {}).get("domain") == o.get("domain"),
          "%s: check.domain" % what)


def utc(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def actions(o):
    return [s["action"] for s in o.get("steps", [])]


def id_of(o):
    return o["records"]["mta_sts"]["value"][len("v=STSv1; id="):-1]


def id_matches_run(o):
    """The new id is the check's time, or a second later (R191)."""
    t = utc(o["check"]["checked_at"])
    return id_of(o) in (time.strftime("%Y%m%d%H%M%S", time.gmtime(t + d))
                        for d in (0, 1))


def case_fresh(env):
    rc, o = env.plan("fresh", "norecords.mts.test")
    check(rc == 2, "fresh: exit 2 (the live check's error), got %d" % rc)
    if not o:
        return
    d = "norecords.mts.test"
    check(o["policy"]["mode"] == "testing" and o["policy"]["max_age"] == 86400,
          "fresh: testing, 86400: %r" % o["policy"])
    check(o["policy"]["mx"] == ["mx1." + d], "fresh: mx %r" % o["policy"])
    check(o["policy"]["body"] == "version: STSv1\r\nmode: testing\r\n"
          "mx: mx1.%s\r\nmax_age: 86400\r\n" % d, "fresh: body")
    check(o["records"]["tls_rpt"] == {
        "name": "_smtp._tls." + d,
        "value": "v=TLSRPTv1; rua=mailto:tlsrpt@" + d, "changed": True},
        "fresh: tls_rpt %r" % o["records"]["tls_rpt"])
    check(o["records"]["mta_sts"]["changed"] and id_matches_run(o),
          "fresh: new id from the run's time %r" % o["records"]["mta_sts"])
    check(actions(o) == ["tlsrpt-record", "create-mailbox", "policy-file",
                         "sts-record"], "fresh: steps %r" % actions(o))
    check(o["ready_for_enforce"] is False and
          "TLSRPT_RECORD_MISSING" in o["blockers"],
          "fresh: not ready %r %r" % (o["ready_for_enforce"], o["blockers"]))


def case_mxchanged(env):
    rc, o = env.plan("mxchanged", "planmx.pol.test")
    check(rc == 1, "mxchanged: exit 1, got %d" % rc)
    if not o:
        return
    d = "planmx.pol.test"
    check(o["check"]["status"] == "warning", "mxchanged: check warning")
    check(o["policy"]["mx"] == ["mx1." + d, "mx2." + d],
          "mxchanged: mx %r" % o["policy"]["mx"])
    check(o["removed_patterns"] == [{"pattern": "old." + d,
                                     "reason": "matches no live MX host"}],
          "mxchanged: removed %r" % o["removed_patterns"])
    check(o["policy"]["mode"] == "testing" and
          o["policy"]["max_age"] == 86400 and o["policy"]["changed"],
          "mxchanged: testing, max_age kept %r" % o["policy"])
    check(id_of(o) != ORIG_ID and id_matches_run(o),
          "mxchanged: a new id %r" % o["records"]["mta_sts"])
    check(o["records"]["tls_rpt"]["changed"] is False,
          "mxchanged: TLS-RPT kept")
    check(actions(o) == ["policy-file", "sts-record", "wait"],
          "mxchanged: steps %r" % actions(o))
    if actions(o)[-1:] == ["wait"]:
        nb = o["steps"][-1]["not_before"]
        check(utc(nb) == utc(o["check"]["checked_at"]) + 86400,
              "mxchanged: wait until checked_at + old max_age: %r" % nb)
    check(o["ready_for_enforce"] is None and
          o["blockers"] == ["MX_TLS_NOT_CHECKED"],
          "mxchanged: null, MX_TLS_NOT_CHECKED: %r %r"
          % (o["ready_for_enforce"], o["blockers"]))
    # R203: the finding's message gives the exact line, no wildcard.
    msgs = [f["message"] for f in o["check"]["findings"]
            if f["code"] == "MX_NOT_COVERED"]
    check(len(msgs) == 1 and '"mx: mx2.%s"' % d in msgs[0] and
          "*." not in msgs[0], "mxchanged: MX_NOT_COVERED message %r" % msgs)


def case_unchanged(env):
    rc, o = env.plan("unchanged", "valid.pol.test")
    check(rc == 0, "unchanged: exit 0, got %d" % rc)
    if not o:
        return
    check(o["records"]["mta_sts"] == {
        "name": "_mta-sts.valid.pol.test",
        "value": "v=STSv1; id=%s;" % ORIG_ID, "changed": False},
        "unchanged: id kept %r" % o["records"]["mta_sts"])
    check(not o["policy"]["changed"] and o["policy"]["mode"] == "enforce" and
          o["policy"]["max_age"] == 604800,
          "unchanged: policy %r" % o["policy"])
    check(o["steps"] == [] and o["removed_patterns"] == [],
          "unchanged: nothing to do %r" % o["steps"])
    check(o["ready_for_enforce"] is None and
          o["blockers"] == ["MX_TLS_NOT_CHECKED"],
          "unchanged: null, MX_TLS_NOT_CHECKED")


def case_policyout(env):
    with tempfile.TemporaryDirectory(prefix="mts-plan-") as tmp:
        out = os.path.join(tmp, "mta-sts.txt")
        with open(out, "w") as f:
            f.write("old\n")
        rc, o = env.plan("policyout", "--policy-out", out, "planmx.pol.test")
        check(rc == 1, "policyout: exit 1, got %d" % rc)
        with open(out, "rb") as f:
            got = f.read()
        check(o and got == o["policy"]["body"].encode(),
              "policyout: the exact bytes, got %r" % got)
        check(got == b"version: STSv1\r\nmode: testing\r\n"
              b"mx: mx1.planmx.pol.test\r\nmx: mx2.planmx.pol.test\r\n"
              b"max_age: 86400\r\n", "policyout: body %r" % got)
        check(sorted(os.listdir(tmp)) == ["mta-sts.txt"],
              "policyout: no temporary file left %r" % os.listdir(tmp))
        # A symlink: refused, not followed, not replaced.
        target = os.path.join(tmp, "target.txt")
        with open(target, "w") as f:
            f.write("keep\n")
        link = os.path.join(tmp, "link.txt")
        os.symlink(target, link)
        rc, out_, err = env.run("--policy-out", link, "planmx.pol.test")
        check(rc == 64, "policyout: symlink: exit 64, got %d" % rc)
        check(out_ == "", "policyout: symlink: nothing on stdout")
        check("symbolic link" in err, "policyout: symlink: stderr %r" % err)
        check(os.path.islink(link) and open(target).read() == "keep\n",
              "policyout: the link and its target are untouched")


def case_none(env):
    rc, o = env.plan("none", "--mode", "none", "valid.pol.test")
    check(rc == 1, "none: exit 1, got %d" % rc)
    if not o:
        return
    check(o["policy"]["mode"] == "none" and
          o["policy"]["mx"] == ["mx1.valid.pol.test"] and
          o["policy"]["max_age"] == 604800,
          "none: mode none, mx and max_age kept %r" % o["policy"])
    check(id_of(o) != ORIG_ID, "none: a new id")
    check(actions(o) == ["policy-file", "sts-record", "wait"],
          "none: steps %r" % actions(o))
    if actions(o)[-1:] == ["wait"]:
        w = o["steps"][-1]
        check(utc(w["not_before"]) == utc(o["check"]["checked_at"]) + 604800,
              "none: the wait lasts the old max_age %r" % w)
        check("deleting" in w["text"], "none: %r" % w["text"])


def case_text(env):
    rc, out, err = env.run("planmx.pol.test")
    check(rc == 1, "text: exit 1, got %d" % rc)
    check('_mta-sts.planmx.pol.test. IN TXT "v=STSv1; id=' in out,
          "text: the record as one line")
    check("    mx: mx2.planmx.pol.test\n" in out, "text: the policy body")
    check("Steps, in this order:" in out and "  3. [wait, until " in out,
          "text: the numbered steps")
    check(" UTC" in out, "text: dates name their zone")
    check("Ready for enforce: not known" in out and
          "MX_TLS_NOT_CHECKED" in out, "text: the verdict")
    check("\r" not in out, "text: no CR")


def case_usage(env):
    for args in (["--max-age", "31557601", "valid.pol.test"],
                 ["--max-age", "-1", "valid.pol.test"],
                 ["--mode", "strict", "valid.pol.test"],
                 ["a.pol.test", "b.pol.test"],
                 ["-f", "-", "valid.pol.test"],
                 ["bad domain.."]):
        rc, out, err = env.run(*args)
        check(rc == 64 and out == "" and err.count("\n") == 1,
              "usage %r: exit 64, one line: %d %r %r" % (args, rc, out, err))


def case_state(env):
    """--state is read (R204), never written (R187)."""
    with tempfile.TemporaryDirectory(prefix="mts-plan-") as tmp:
        state = os.path.join(tmp, "state.json")
        p = subprocess.run([env.bin, "--no-smtp", "--resolver", env.resolver,
                            "--ca-file", env.ca, "--timeout", "10", "--state",
                            state, "valid.pol.test"],
                           stdout=subprocess.DEVNULL, timeout=60)
        check(p.returncode == 0 and os.path.exists(state),
              "state: the check wrote its state file")
        before = open(state, "rb").read()
        mtime = os.stat(state).st_mtime_ns
        rc, o = env.plan("state", "--state", state, "valid.pol.test")
        check(rc == 0, "state: exit 0, got %d" % rc)
        check(open(state, "rb").read() == before and
              os.stat(state).st_mtime_ns == mtime,
              "state: the state file is not written")
        check(o and o["check"]["changes"] == [],
              "state: the check compared with it: %r"
              % (o and o["check"]["changes"]))


CASES = {"fresh": case_fresh, "mxchanged": case_mxchanged,
         "unchanged": case_unchanged, "policyout": case_policyout,
         "none": case_none, "text": case_text, "usage": case_usage,
         "state": case_state}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rundir", required=True)
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    env = Env(args)
    if not os.path.exists(env.ca):
        print("skipped: the HTTPS servers are not running")
        return 77
    for name in args.cases or list(CASES):
        CASES[name](env)
    print("plan: %d problem(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
