#!/usr/bin/env python3
"""propagation_test.py: --propagation (issue 13, rollout.md R197-R199)
against several real authoritative servers that disagree.

    propagation_test.py --bin BUILD/mtasts-check --rundir DIR

Starts, on 127.53.44.0/24 port 5300 only, and stops again by PID whatever
happens:
  knotd "new"  127.53.44.1 and .3: prop.test at serial 2026120502
               (_mta-sts id=2), sync.test, split.test and _mta-sts.split.test
  knotd "old"  127.53.44.2: prop.test at serial 2026120401 (id=1)
  faultdns.py  127.53.44.4 never answers, .5 answers REFUSED, .6 answers
               without the AA bit (lame)
  unbound      127.53.44.10: the resolver; prop.test from the old server
               only (so it is behind), the other zones from the new one
then runs mtasts-check --propagation --ns-port 5300 for each case, and
plan (where propagation is on by default). sync.test is checked twice: the
zone changes on its servers between the runs, and the resolver keeps its
cached copy (DNS_RESOLVER_STALE with the time left). Run under flock
/tmp/mts-integration.lock (ctest: integration.propagation). Exit 77 (skip)
when knotd, knotc, kdig or unbound is missing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from labservers import stop, unbound_conf, which

HERE = os.path.dirname(os.path.abspath(__file__))
NET = "127.53.44."
NEW, OLD, NEW2 = NET + "1", NET + "2", NET + "3"
SILENT, REFUSED, LAME = NET + "4", NET + "5", NET + "6"
UNBOUND = NET + "10"
PORT = 5300




def prop_zone(serial, sts_id):
    return """$ORIGIN prop.test.
@ 300 IN SOA ns1.prop.test. hostmaster.prop.test. {s} 3600 600 86400 60
@ 300 IN NS ns1
@ 300 IN NS ns2
@ 300 IN NS ns3
@ 300 IN NS ns4
@ 300 IN NS ns5
@ 300 IN NS ns6
ns1 300 IN A {new}
ns2 300 IN A {old}
ns3 300 IN A {new2}
ns4 300 IN A {silent}
ns5 300 IN A {refused}
ns6 300 IN A {lame}
_mta-sts 300 IN TXT "v=STSv1; id={i}"
_smtp._tls 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@prop.test"
@ 300 IN MX 10 mx.prop.test.
mx 300 IN A 127.53.44.20
""".format(s=serial, i=sts_id, new=NEW, old=OLD, new2=NEW2, silent=SILENT,
           refused=REFUSED, lame=LAME)


def sync_zone(serial, sts_id):
    return """$ORIGIN sync.test.
@ 300 IN SOA ns1.sync.test. hostmaster.sync.test. {s} 3600 600 86400 60
@ 300 IN NS ns1
@ 300 IN NS ns2
ns1 300 IN A {new}
ns2 300 IN A {new2}
_mta-sts 300 IN TXT "v=STSv1; id={i}"
_smtp._tls 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@sync.test"
@ 300 IN MX 10 mx.sync.test.
mx 300 IN A 127.53.44.20
""".format(s=serial, i=sts_id, new=NEW, new2=NEW2)


# _mta-sts.split.test is a zone of its own (delegated): the MX and the
# TLS-RPT record are asked of split.test's servers, the policy record of
# the delegated zone's.
SPLIT = """$ORIGIN split.test.
@ 300 IN SOA ns1.split.test. hostmaster.split.test. 7 3600 600 86400 60
@ 300 IN NS ns1
ns1 300 IN A {new}
_mta-sts 300 IN NS ns1.split.test.
_smtp._tls 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@split.test"
@ 300 IN MX 10 mx.split.test.
mx 300 IN A 127.53.44.20
""".format(new=NEW)
SPLIT_STS = """$ORIGIN _mta-sts.split.test.
@ 300 IN SOA ns1.split.test. hostmaster.split.test. 3 3600 600 86400 60
@ 300 IN NS ns1.split.test.
@ 300 IN TXT "v=STSv1; id=3"
"""


def knot_conf(d, name, addrs, zones):
    run = os.path.join(d, name)
    os.makedirs(os.path.join(run, "storage"), exist_ok=True)
    conf = os.path.join(run, "knot.conf")
    with open(conf, "w") as f:
        f.write("server:\n    rundir: \"%s\"\n" % run)
        f.write("    listen: [ %s ]\n" % ", ".join("%s@%d" % (a, PORT)
                                                  for a in addrs))
        f.write("control:\n    listen: \"%s/knot.sock\"\n" % run)
        f.write("log:\n  - target: stderr\n    any: info\n")
        f.write("database:\n    storage: \"%s/storage\"\n" % run)
        f.write("template:\n  - id: default\n    storage: \"%s\"\n"
                "    file: \"%%s.zone\"\n    zonefile-sync: -1\n"
                "    zonefile-load: whole\n    journal-content: none\n" % run)
        f.write("zone:\n")
        for z, text in zones.items():
            f.write("  - domain: %s\n" % z)
            with open(os.path.join(run, z + ".zone"), "w") as zf:
                zf.write(text)
    return conf




def answers(kdig, server, name, rtype, want, tries=100):
    for _ in range(tries):
        r = subprocess.run([kdig, "@" + server, "-p", str(PORT), "+retry=0",
                            "+timeout=1", "+short", name, rtype],
                           capture_output=True, text=True)
        if want in r.stdout:
            return True
        time.sleep(0.1)
    return False




class Checker:
    def __init__(self, binary):
        self.bin = binary
        self.fails = 0

    def run(self, *args):
        argv = [self.bin] + list(args)
        t0 = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return r, time.monotonic() - t0

    def check(self, cond, what):
        print("%s: %s" % ("ok" if cond else "FAIL", what))
        if not cond:
            self.fails += 1


def common(domain):
    return ["--json", "--no-policy", "--no-smtp", "--propagation",
            "--ns-port", str(PORT), "--resolver", "%s:%d" % (UNBOUND, PORT),
            domain]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rundir", required=True)
    args = ap.parse_args()
    knotd = os.environ.get("KNOTD") or which("knotd", "/usr/sbin/knotd")
    knotc = which("knotc", "/usr/sbin/knotc")
    kdig = os.environ.get("KDIG") or which("kdig")
    unbound = which("unbound", "/usr/sbin/unbound")
    if not (knotd and knotc and kdig and unbound):
        print("propagation_test.py: needs knotd, knotc, kdig, unbound: "
              "skipped")
        return 77
    d = os.path.abspath(args.rundir)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    procs = []
    c = Checker(args.bin)
    try:
        new_conf = knot_conf(d, "new", [NEW, NEW2], {
            "prop.test": prop_zone(2026120502, 2),
            "sync.test": sync_zone(1, 1),
            "split.test": SPLIT,
            "_mta-sts.split.test": SPLIT_STS})
        old_conf = knot_conf(d, "old", [OLD], {
            "prop.test": prop_zone(2026120401, 1)})
        for name, conf in (("new", new_conf), ("old", old_conf)):
            log = open(os.path.join(d, name, "knotd.log"), "w")
            procs.append(subprocess.Popen([knotd, "-c", conf], stdout=log,
                                          stderr=subprocess.STDOUT))
        for addr, mode in ((SILENT, "silent"), (REFUSED, "refused"),
                           (LAME, "lame")):
            log = open(os.path.join(d, "faultdns-%s.log" % mode), "w")
            procs.append(subprocess.Popen(
                [sys.executable, os.path.join(HERE, "faultdns.py"), "serve",
                 "--addr", addr, "--port", str(PORT), "--all", mode],
                stdout=log, stderr=subprocess.STDOUT))
        log = open(os.path.join(d, "unbound.log"), "w")
        conf = unbound_conf(d, UNBOUND, PORT, [("prop.test", OLD),
                                              ("sync.test", NEW),
                                              ("split.test", NEW)])
        procs.append(subprocess.Popen([unbound, "-d", "-c", conf],
                                      stdout=log, stderr=subprocess.STDOUT))
        ready = (answers(kdig, NEW, "prop.test", "SOA", "2026120502") and
                 answers(kdig, NEW2, "sync.test", "SOA", "sync.test") and
                 answers(kdig, OLD, "prop.test", "SOA", "2026120401") and
                 answers(kdig, UNBOUND, "prop.test", "SOA", "2026120401"))
        if not ready:
            print("propagation_test.py: the servers did not start")
            return 1

        # 1. Out of sync, unreachable, refusing, lame; the resolver is behind.
        r, secs = c.run(*common("prop.test"))
        try:
            doc = json.loads(r.stdout)
        except ValueError:
            print("prop.test: not JSON: %r %r" % (r.stdout, r.stderr))
            return 1
        p = doc["propagation"]
        codes = [(f["code"], f["severity"], f["subject"])
                 for f in doc["findings"]]
        by_ip = {s["ip"]: s for s in p["servers"]}
        c.check(r.returncode == 1, "prop.test exit 1 (warning), got %d"
                % r.returncode)
        c.check(p["zone"] == "prop.test", "zone prop.test")
        c.check(p["in_sync"] is False, "in_sync false")
        c.check(p["resolver_current"] is False, "resolver_current false")
        c.check(len(p["servers"]) == 6, "six servers, got %d"
                % len(p["servers"]))
        want = {NEW: "ok", OLD: "ok", NEW2: "ok", SILENT: "unreachable",
                REFUSED: "refused", LAME: "lame"}
        for ip, st in want.items():
            c.check(ip in by_ip and by_ip[ip]["status"] == st,
                    "%s status %s, got %s" % (ip, st, by_ip.get(ip, {})
                                              .get("status")))
        c.check(by_ip.get(NEW, {}).get("serial") == 2026120502 and
                by_ip.get(OLD, {}).get("serial") == 2026120401,
                "serials of the new and the old server")
        c.check(by_ip.get(OLD, {}).get("sts_txt") == ["v=STSv1; id=1"] and
                by_ip.get(NEW, {}).get("sts_txt") == ["v=STSv1; id=2"],
                "each server's _mta-sts record")
        c.check(by_ip.get(SILENT, {}).get("sts_txt", 0) is None,
                "an unreachable server's records are null")
        sync = [f for f in doc["findings"]
                if f["code"] == "DNS_NS_OUT_OF_SYNC"]
        c.check(len(sync) == 1 and sync[0]["severity"] == "warning" and
                sync[0]["subject"] == "_mta-sts.prop.test TXT",
                "one DNS_NS_OUT_OF_SYNC warning for _mta-sts: %r" % sync)
        c.check(sync and "2026120502" in sync[0]["message"] and
                "2026120401" in sync[0]["message"] and
                "ns2.prop.test" in sync[0]["message"],
                "the message names the servers and their serials")
        unr = sorted(s for code, sev, s in codes
                     if code == "DNS_NS_UNREACHABLE" and sev == "warning")
        c.check(unr == sorted(["ns4.prop.test " + SILENT,
                               "ns5.prop.test " + REFUSED,
                               "ns6.prop.test " + LAME]),
                "DNS_NS_UNREACHABLE for ns4, ns5, ns6: %r" % unr)
        stale = [f for f in doc["findings"]
                 if f["code"] == "DNS_RESOLVER_STALE"]
        c.check(len(stale) == 1 and stale[0]["severity"] == "info" and
                "id=1" in stale[0]["message"] and
                "id=2" in stale[0]["message"],
                "DNS_RESOLVER_STALE (info) old id=1, servers id=2: %r"
                % stale)
        c.check(secs < 8, "the silent server costs its timeouts only "
                "(%.1f s)" % secs)

        # 2. In sync, resolver current; then the zone changes on the
        # servers and the resolver keeps its copy.
        r, _ = c.run(*common("sync.test"))
        doc = json.loads(r.stdout)
        p = doc["propagation"]
        c.check(r.returncode == 0 and p["in_sync"] is True and
                p["resolver_current"] is True and len(p["servers"]) == 2 and
                not [f for f in doc["findings"]
                     if f["code"].startswith("DNS_")],
                "sync.test: in sync, current, exit 0 (%d, %r)"
                % (r.returncode, p))
        with open(os.path.join(d, "new", "sync.test.zone"), "w") as f:
            f.write(sync_zone(2, 2))
        subprocess.run([knotc, "-c", new_conf, "zone-reload", "sync.test"],
                       capture_output=True)
        if not answers(kdig, NEW, "_mta-sts.sync.test", "TXT", "id=2"):
            c.check(False, "knotc zone-reload of sync.test")
        r, _ = c.run(*common("sync.test"))
        doc = json.loads(r.stdout)
        p = doc["propagation"]
        stale = [f for f in doc["findings"]
                 if f["code"] == "DNS_RESOLVER_STALE"]
        c.check(r.returncode == 0 and p["in_sync"] is True and
                p["resolver_current"] is False,
                "sync.test after the change: in sync, resolver behind, "
                "exit 0 (%d, %r)" % (r.returncode, p))
        c.check(len(stale) == 1 and "within" in stale[0]["message"] and
                stale[0]["subject"] == "_mta-sts.sync.test TXT",
                "DNS_RESOLVER_STALE says how long: %r" % stale)
        ttl = [int(w) for w in stale[0]["message"].replace(",", " ").split()
               if w.isdigit()] if stale else []
        c.check(bool(ttl) and 0 < max(ttl) <= 300,
                "the time left is the cached TTL (%r)" % ttl)

        # 3. _mta-sts delegated: two zones.
        r, _ = c.run(*common("split.test"))
        doc = json.loads(r.stdout)
        p = doc["propagation"]
        c.check(p["zone"] == "_mta-sts.split.test" and
                p["domain_zone"] == "split.test" and p["in_sync"] is True,
                "split.test: the zone of _mta-sts and of the domain (%r)" % p)
        s = p["servers"][0] if p["servers"] else {}
        c.check(s.get("sts_txt") == ["v=STSv1; id=3"] and
                s.get("mx") == ["10 mx.split.test"],
                "split.test: each question asked of its zone (%r)" % s)

        # 4. Without --propagation: null.
        r, _ = c.run("--json", "--no-policy", "--no-smtp", "--resolver",
                     "%s:%d" % (UNBOUND, PORT), "sync.test")
        c.check(json.loads(r.stdout)["propagation"] is None,
                "propagation is null when not asked")

        # 5. plan: on by default (R187), off with --no-propagation.
        r, _ = c.run("plan", "--json", "--no-smtp", "--ns-port", str(PORT),
                     "--resolver", "%s:%d" % (UNBOUND, PORT), "prop.test")
        try:
            doc = json.loads(r.stdout)
            chk = doc.get("check", {})
            c.check(chk.get("propagation", {}).get("in_sync") is False,
                    "plan: the check under it carries propagation")
        except ValueError:
            c.check(False, "plan output is JSON: %r %r" % (r.stdout, r.stderr))
        r, _ = c.run("plan", "--json", "--no-smtp", "--no-propagation",
                     "--resolver", "%s:%d" % (UNBOUND, PORT), "prop.test")
        try:
            doc = json.loads(r.stdout)
            c.check(doc.get("check", {}).get("propagation", 0) is None,
                    "plan --no-propagation: propagation null")
        except ValueError:
            c.check(False, "plan output is JSON: %r %r" % (r.stdout, r.stderr))

        # 6. The text report shows the servers.
        r, _ = c.run("--no-policy", "--no-smtp", "--propagation",
                     "--ns-port", str(PORT), "--resolver",
                     "%s:%d" % (UNBOUND, PORT), "prop.test")
        c.check("Name servers" in r.stdout and "out of sync" in r.stdout and
                "ns5.prop.test " + REFUSED + ": refused" in r.stdout,
                "text: the Name servers block")
    finally:
        stop(procs)
    print("propagation_test.py: %d failed" % c.fails)
    return 1 if c.fails else 0


if __name__ == "__main__":
    sys.exit(main())
