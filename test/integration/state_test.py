#!/usr/bin/env python3
"""Integration test of --state FILE (docs/state.md, rfc-rules R100-R102).

Runs mtasts-check several times against the running test servers
(servers.sh: Knot and nginx) while changing, between runs, the policy file
that nginx serves for mta-sts.statechange.pol.test and the _mta-sts id that
Knot serves (knotc zone-set on the running server; the zone file is never
written). Then: a damaged or foreign state file is refused and kept, the
file is always whole (old or new) while runs replace it, no temporary file
is left, and two runs at once over different domains both end up in it
(the test holds the lock while they finish, so that they must wait).

    state_test.py --bin build/mtasts-check --rundir RUNDIR

Environment: MTS_TEST_DNS_ADDR / MTS_TEST_DNS_PORT (default 127.53.0.1,
5300), KNOTC (default: knotc from PATH or /usr/sbin). Exit 77 (skipped)
when the HTTPS servers are not running.
"""

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_case  # noqa: E402  (the JSON contract checker)

DOMAIN = "statechange.pol.test"
ZONE = "pol.test"
ORIG_ID = "20190425085700"  # as in fixtures/dns/pol.test.zone

failures = []


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
        self.sock = os.path.join(self.rundir, "knot", "run", "knot.sock")
        self.policy = os.path.join(self.rundir, "nginx", "www",
                                   "mta-sts." + DOMAIN, ".well-known",
                                   "mta-sts.txt")
        addr = os.environ.get("MTS_TEST_DNS_ADDR", "127.53.0.1")
        port = os.environ.get("MTS_TEST_DNS_PORT", "5300")
        self.resolver = "%s:%s" % (addr, port)
        self.knotc = os.environ.get("KNOTC") or shutil.which("knotc") or \
            "/usr/sbin/knotc"
        self.codes = check_case.load_codes(os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..",
            "include", "mtasts", "codes.def"))
        self.tmp = tempfile.mkdtemp(prefix="mts-state-test-")
        self.state = os.path.join(self.tmp, "state.json")

    def base(self, *extra):
        return [self.bin, "--no-smtp", "--resolver", self.resolver, "--ca-file", self.ca,
                "--timeout", "10"] + list(extra)

    def run(self, *args, state=None):
        cmd = self.base("--state", state or self.state, *args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def run_json(self, what):
        rc, out, err = self.run("--json", DOMAIN)
        lines = out.splitlines()
        if not check(len(lines) == 1, "%s: one JSON line, got %r (stderr %r)"
                     % (what, out, err)):
            return rc, {}
        obj = json.loads(lines[0])
        errors = []
        check_case.check_contract(obj, self.codes, 10, errors)
        check(errors == [], "%s: the JSON contract: %r" % (what, errors))
        return rc, obj

    def set_id(self, sid):
        k = [self.knotc, "-s", self.sock]
        subprocess.run(k + ["zone-begin", ZONE], check=True,
                       stdout=subprocess.DEVNULL)
        try:
            subprocess.run(k + ["zone-unset", ZONE, "_mta-sts.statechange",
                                "TXT"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(k + ["zone-set", ZONE, "_mta-sts.statechange",
                                "300", "TXT", '"v=STSv1; id=%s"' % sid],
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run(k + ["zone-commit", ZONE], check=True,
                           stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError:
            subprocess.run(k + ["zone-abort", ZONE], stdout=subprocess.DEVNULL)
            raise
        # The change is visible at once on the authoritative server.
        deadline = time.time() + 5
        while time.time() < deadline:
            out = subprocess.run(
                ["kdig" if not os.environ.get("KDIG") else os.environ["KDIG"],
                 "@" + self.resolver.split(":")[0], "-p",
                 self.resolver.split(":")[1], "+short",
                 "_mta-sts.%s" % DOMAIN, "TXT"],
                stdout=subprocess.PIPE).stdout.decode()
            if "id=%s" % sid in out:
                return
            time.sleep(0.1)
        raise SystemExit("the id %s did not show up in Knot" % sid)

    def set_policy(self, lines, eol="\r\n"):
        tmp = self.policy + ".new"
        with open(tmp, "w", newline="") as f:
            f.write("".join(l + eol for l in lines))
        os.replace(tmp, self.policy)

    def leftovers(self):
        return [n for n in os.listdir(self.tmp) if ".tmp." in n]


def codes(obj):
    return {(f["code"], f["severity"]) for f in obj.get("findings", [])}


def change_fields(obj):
    return [c["field"] for c in obj.get("changes") or []]


def policy_changes(env):
    mx = "mx: mx1.%s" % DOMAIN
    env.set_id(ORIG_ID)
    env.set_policy(["version: STSv1", "mode: enforce", mx, "max_age: 604800"])

    rc, o = env.run_json("run 1 (first)")
    check(rc == 0, "run 1: exit 0, got %d" % rc)
    check(o.get("changes") == [], "run 1: changes [] (first run), got %r"
          % o.get("changes"))
    check(os.path.exists(env.state), "run 1: the state file exists")

    # R100: the policy changes, the id does not.
    env.set_policy(["version: STSv1", "mode: testing", mx, "max_age: 604800"])
    rc, o = env.run_json("run 2 (policy changed, id not)")
    check(rc == 2, "run 2: exit 2, got %d" % rc)
    check(o.get("status") == "error", "run 2: status error")
    check(("POLICY_CHANGED_ID_UNCHANGED", "error") in codes(o),
          "run 2: POLICY_CHANGED_ID_UNCHANGED error, got %r" % codes(o))
    ch = o.get("changes") or []
    check(len(ch) == 1 and ch[0]["field"] == "mta_sts.policy.mode"
          and ch[0]["old"] == "enforce" and ch[0]["new"] == "testing"
          and set(ch[0]) == {"field", "old", "new", "old_first_seen",
                             "old_last_seen"},
          "run 2: changes = mode enforce -> testing, got %r" % ch)

    rc, o = env.run_json("run 3 (nothing new)")
    check(rc == 2 and ("POLICY_CHANGED_ID_UNCHANGED", "error") in codes(o),
          "run 3: the error stays until the id changes (rc %d, %r)"
          % (rc, codes(o)))
    check(o.get("changes") == [], "run 3: changes []")

    # The id changes: the error goes; the change is the id.
    env.set_id("1a")
    rc, o = env.run_json("run 4 (new id)")
    check(rc == 0, "run 4: exit 0, got %d" % rc)
    check(not any(c[0].startswith("POLICY_CHANGED") or
                  c[0].startswith("POLICY_ID_CHANGED") for c in codes(o)),
          "run 4: no state finding, got %r" % codes(o))
    check(change_fields(o) == ["mta_sts.record.id"],
          "run 4: changes = the id, got %r" % o.get("changes"))

    # R101 and R102: a new, "smaller" id with the same policy is info.
    env.set_id("0b")
    rc, o = env.run_json("run 5 (new id, same policy)")
    check(rc == 0, "run 5: exit 0, got %d" % rc)
    check(("POLICY_ID_CHANGED_POLICY_SAME", "info") in codes(o),
          "run 5: POLICY_ID_CHANGED_POLICY_SAME info, got %r" % codes(o))
    ch = o.get("changes") or []
    check(len(ch) == 1 and ch[0]["old"] == "1a" and ch[0]["new"] == "0b",
          "run 5: changes = id 1a -> 0b, got %r" % ch)

    # The same policy in other bytes: LF, other order, a repeated line,
    # other case. No finding, no change (R100: parsed fields, not bytes).
    env.set_policy(["version: STSv1", "max_age: 604800",
                    "mx: MX1.%s" % DOMAIN, "mode: testing", mx], eol="\n")
    rc, o = env.run_json("run 6 (same policy, other bytes)")
    check(rc == 0, "run 6: exit 0, got %d" % rc)
    check(not any(c[0].startswith("POLICY_CHANGED") or
                  c[0].startswith("POLICY_ID_CHANGED") for c in codes(o)),
          "run 6: no state finding, got %r" % codes(o))
    check(o.get("changes") == [], "run 6: changes [], got %r"
          % o.get("changes"))

    # The policy cannot be fetched: no change, and the entry is kept.
    os.unlink(env.policy)
    rc, o = env.run_json("run 7 (policy 404)")
    check(o.get("mta_sts", {}).get("policy", {}).get("status") != "valid",
          "run 7: the policy is not valid")
    check(o.get("changes") == [], "run 7: changes [], got %r"
          % o.get("changes"))
    with open(env.state) as f:
        st = json.load(f)
    check(st["domains"][DOMAIN]["fields"]["mta_sts.policy.mode"]["value"]
          == "testing", "run 7: the stored mode is kept")
    env.set_policy(["version: STSv1", "mode: testing", mx, "max_age: 604800"])
    rc, o = env.run_json("run 8 (back)")
    check(rc == 0 and o.get("changes") == [] and not any(
        c[0].startswith("POLICY_CHANGED") for c in codes(o)),
        "run 8: back as before: no change, no finding (rc %d, %r, %r)"
        % (rc, o.get("changes"), codes(o)))

    # Text, quiet: a domain with changes is printed even when ok.
    env.set_id("2c")
    env.set_policy(["version: STSv1", "mode: enforce", mx, "max_age: 604800"])
    rc, out, err = env.run("-q", "--color=never", DOMAIN)
    check(rc == 0, "run 9: exit 0, got %d (%s)" % (rc, err))
    check("Changes" in out and
          'mta_sts.policy.mode: "testing" -> "enforce"' in out and
          'mta_sts.record.id: "0b" -> "2c"' in out,
          "run 9: -q prints the changes, got %r" % out)
    check(env.leftovers() == [], "no temporary file left: %r"
          % env.leftovers())


def bad_files(env):
    for name, text in (("corrupt", '{"kind":"mtasts-check-state","version":1,'
                                   '"domains":{"a.example":'),
                       ("foreign", '{"name": "my-app", "version": 1}\n'),
                       ("newer", '{"kind":"mtasts-check-state","version":9,'
                                 '"domains":{}}')):
        path = os.path.join(env.tmp, name + ".json")
        with open(path, "w") as f:
            f.write(text)
        rc, out, err = env.run("--no-policy", DOMAIN, state=path)
        check(rc == 64, "%s state file: exit 64, got %d" % (name, rc))
        check(out == "", "%s state file: nothing on stdout, got %r"
              % (name, out))
        check(path in err and err.count("\n") == 1,
              "%s state file: one line naming the file, got %r" % (name, err))
        with open(path) as f:
            check(f.read() == text, "%s state file: left as it was" % name)


def atomic(env):
    """A reader sees a whole file at every moment while runs replace it."""
    path = os.path.join(env.tmp, "atomic.json")
    stop = threading.Event()
    seen = {"reads": 0, "bad": []}

    def reader():
        while not stop.is_set():
            try:
                with open(path) as f:
                    text = f.read()
            except FileNotFoundError:
                continue
            seen["reads"] += 1
            try:
                obj = json.loads(text)
                if obj.get("kind") != "mtasts-check-state":
                    seen["bad"].append(text[:80])
            except ValueError:
                seen["bad"].append(text[:80])

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(8):
            env.run("--no-policy", "--json", "valid.pol.test",
                    "testing.pol.test", DOMAIN, state=path)
    finally:
        stop.set()
        t.join()
    check(seen["reads"] > 0, "atomic: the reader read the file")
    check(seen["bad"] == [], "atomic: every read was a whole state file, "
          "bad reads: %r" % seen["bad"][:3])
    check(env.leftovers() == [], "atomic: no temporary file left: %r"
          % env.leftovers())


def lock(env):
    """Two runs at once over different domains: both end up in the file."""
    path = os.path.join(env.tmp, "lock.json")
    sets = (["valid.pol.test", "testing.pol.test"],
            ["none.pol.test", "lfonly.pol.test"])
    lockf = open(path + ".lock", "w")
    fcntl.flock(lockf, fcntl.LOCK_EX)
    procs, outs = [], []
    try:
        for i, doms in enumerate(sets):
            out = open(os.path.join(env.tmp, "lock-out-%d" % i), "w+")
            outs.append(out)
            procs.append(subprocess.Popen(
                env.base("--no-policy", "--json", "--state", path, *doms),
                stdout=out, stderr=subprocess.PIPE))
        # Both finish their checks, then wait for the lock we hold.
        deadline = time.time() + 30
        while time.time() < deadline:
            done = [len(open(o.name).read().splitlines()) for o in outs]
            if done == [2, 2]:
                break
            time.sleep(0.05)
        time.sleep(0.5)
        check(all(p.poll() is None for p in procs),
              "lock: both runs wait for the lock")
        check(not os.path.exists(path),
              "lock: nothing is written while the lock is held")
    finally:
        fcntl.flock(lockf, fcntl.LOCK_UN)
        lockf.close()
    for p in procs:
        _, err = p.communicate(timeout=60)
        check(p.returncode in (0, 1, 2), "lock: a run exited %d: %r"
              % (p.returncode, err))
    for o in outs:
        o.close()
    with open(path) as f:
        st = json.load(f)
    got = sorted(st["domains"])
    check(got == sorted(sets[0] + sets[1]),
          "lock: every domain of both runs is in the file, got %r" % got)
    check(env.leftovers() == [], "lock: no temporary file left")


def interrupted(env):
    """SIGINT mid-run: the state holds exactly the domains written."""
    import signal
    path = os.path.join(env.tmp, "sigint.json")
    # slow.pol.test's policy host hangs (slowhttps.py): the domains after
    # it are done but wait behind it, unwritten, when the signal comes.
    doms = ["valid.pol.test", "testing.pol.test", "slow.pol.test",
            "none.pol.test"]
    out = open(os.path.join(env.tmp, "sigint-out"), "w+")
    p = subprocess.Popen(env.base("--json", "--state", path, *doms),
                         stdout=out, stderr=subprocess.PIPE)
    deadline = time.time() + 8
    while time.time() < deadline:
        if len(open(out.name).read().splitlines()) >= 2:
            break
        time.sleep(0.05)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    written = [json.loads(l)["domain"]
               for l in open(out.name).read().splitlines()]
    out.close()
    check(p.returncode in (0, 1, 2, 3), "sigint: exit %d (%r)"
          % (p.returncode, err))
    check(written[:2] == ["valid.pol.test", "testing.pol.test"],
          "sigint: the first two domains were written: %r" % written)
    check(os.path.exists(path), "sigint: the state file was written")
    if os.path.exists(path):
        with open(path) as f:
            got = sorted(json.load(f)["domains"])
        check(got == sorted(written),
              "sigint: the state holds the domains written %r, got %r"
              % (written, got))
    check(env.leftovers() == [], "sigint: no temporary file left")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rundir", required=True)
    args = ap.parse_args()
    env = Env(args)
    if not os.path.exists(env.ca) or not os.path.exists(
            os.path.dirname(env.policy)):
        print("SKIP: the HTTPS test servers are not running (%s)" % env.ca)
        return 77
    try:
        policy_changes(env)
        bad_files(env)
        atomic(env)
        lock(env)
        interrupted(env)
    finally:
        # Put the domain back as the zone file and httpsserver.sh have it.
        try:
            env.set_id(ORIG_ID)
            env.set_policy(["version: STSv1", "mode: enforce",
                            "mx: mx1.%s" % DOMAIN, "max_age: 604800"])
        finally:
            shutil.rmtree(env.tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("state: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
