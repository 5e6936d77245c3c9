#!/usr/bin/env python3
"""bulk_test.py: integration tests of the bulk mode (-f, streaming, --qps,
the progress line, the summary line, SIGINT) and a soak test.

    bulk_test.py start RUNDIR      generate the zone and lists (genzone.py),
                                   start a private Knot serving bulk.test and
                                   a private faultdns.py for the soak
    bulk_test.py stop RUNDIR       stop both, by PID
    bulk_test.py --bin BIN --rundir RUNDIR TEST    run one test:
        order      every domain reported exactly once, in input order, valid
                   JSON Lines, statuses as generated; the same from a pipe
        summary    text output ends with the summary line, counts right;
                   --progress always draws and erases, auto stays silent
        sigint     SIGINT (and SIGTERM) mid-run: complete lines only, exit
                   code of what was written, "interrupted" on stderr,
                   prompt, --state saved with exactly the domains written;
                   a second SIGINT kills a run blocked on output
        qps        --qps 100: 40 domains x 5 queries take at least ~1.5 s
        soak       4000 domains, 14% of them failing (timeouts, SERVFAIL,
                   garbage): every one reported, no hang, peak RSS at 4000
                   within twice that at 1000

Addresses: a private Knot on MTS_TEST_BULK_ADDR (default: MTS_TEST_DNS_ADDR
with the last octet 3, i.e. 127.53.0.3) and a private faultdns.py on
MTS_TEST_BULK_FAULT_ADDR (default: last octet 4), both on MTS_TEST_DNS_PORT
(default 5300). Own servers, so that thousands of queries neither slow down
nor disturb the other integration tests running in parallel.
Exit status: 0 pass, 1 fail.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.environ.get("PYTHON", sys.executable)
PORT = os.environ.get("MTS_TEST_DNS_PORT", "5300")


def sibling(addr, last):
    parts = addr.split(".")
    return ".".join(parts[:3] + [str(last)])


DNS_ADDR = os.environ.get("MTS_TEST_DNS_ADDR", "127.53.0.1")
BULK_ADDR = os.environ.get("MTS_TEST_BULK_ADDR", sibling(DNS_ADDR, 3))
FAULT_ADDR = os.environ.get("MTS_TEST_BULK_FAULT_ADDR", sibling(DNS_ADDR, 4))
KNOT = "%s:%s" % (BULK_ADDR, PORT)
FAULT = "%s:%s" % (FAULT_ADDR, PORT)

EXIT = {"ok": 0, "warning": 1, "error": 2, "unknown": 3}
# Worst first is error > unknown > warning > ok (contract.md, R1).
RANK = {"ok": 0, "warning": 1, "unknown": 2, "error": 3}


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


# ---------------------------------------------------------------------------
# servers

def cmd_start(rundir):
    env = dict(os.environ, MTS_TEST_DNS_ADDR=BULK_ADDR, MTS_TEST_DNS_ADDR6="")
    zonedir = os.path.join(rundir, "zones")
    subprocess.run([PYTHON, os.path.join(HERE, "genzone.py"), zonedir,
                    os.path.join(rundir, "lists")], check=True)
    subprocess.run([os.path.join(HERE, "dnsserver.sh"), "start",
                    os.path.join(rundir, "knot"), zonedir], check=True, env=env)
    r = subprocess.run([PYTHON, os.path.join(HERE, "faultdns.py"), "start",
                        os.path.join(rundir, "fault"), "--addr", FAULT_ADDR,
                        "--port", PORT, "--slow-delay", "0.3"])
    if r.returncode != 0:
        cmd_stop(rundir)
        return 1
    return 0


def cmd_stop(rundir):
    rc = 0
    if os.path.isdir(os.path.join(rundir, "knot")):
        rc |= subprocess.run([os.path.join(HERE, "dnsserver.sh"), "stop",
                              os.path.join(rundir, "knot")]).returncode
    if os.path.isdir(os.path.join(rundir, "fault")):
        rc |= subprocess.run([PYTHON, os.path.join(HERE, "faultdns.py"), "stop",
                              os.path.join(rundir, "fault")]).returncode
    return 1 if rc else 0


# ---------------------------------------------------------------------------
# helpers

def run(args, binary, stdin=None, env=None):
    """(exit code, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "--no-smtp"] + args, stdin=stdin or subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    out, err = p.communicate(timeout=120)
    return p.returncode, out.decode(), err.decode(), time.monotonic() - t0


def run_rss(args, binary, out_path, env=None):
    """Run to the end; (exit code, stdout, seconds, peak RSS KiB). wait4
    gives this child's own peak (RUSAGE_CHILDREN would be the maximum over
    every child so far)."""
    t0 = time.monotonic()
    with open(os.devnull, "wb") as devnull:
        with open(out_path, "wb") as out:
            p = subprocess.Popen([binary, "--no-smtp"] + args, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=devnull, env=env)
            # "Nothing hangs": a run that outlives the watchdog is killed
            # and then fails its checks.
            dog = threading.Timer(120, p.kill)
            dog.start()
            _pid, status, usage = os.wait4(p.pid, 0)
            dog.cancel()
            p.returncode = os.waitstatus_to_exitcode(status)
        with open(out_path) as f:
            text = f.read()
        os.unlink(out_path)
    return p.returncode, text, time.monotonic() - t0, usage.ru_maxrss


def json_lines(text):
    objs = []
    check(text == "" or text.endswith("\n"), "output does not end with a newline")
    for n, line in enumerate(text.splitlines(), 1):
        try:
            objs.append(json.loads(line))
        except ValueError as e:
            raise Fail("line %d is not JSON (%s): %.200r" % (n, e, line))
        check(isinstance(objs[-1], dict), "line %d is not an object" % n)
    return objs


def expected(rundir):
    with open(os.path.join(rundir, "lists", "bulk.expect")) as f:
        return [tuple(l.split()) for l in f if l.strip()]


def worst_exit(statuses):
    if not statuses:
        return 3
    w = max(statuses, key=lambda s: RANK[s])
    return EXIT[w]


def counts_of(statuses):
    return {s: statuses.count(s) for s in ("ok", "warning", "error", "unknown")}


SUMMARY_RE = re.compile(r"^checked (\d+) domains?: (\d+) ok, (\d+) warning, "
                        r"(\d+) error, (\d+) unknown$")


def parse_summary(line):
    m = SUMMARY_RE.match(line)
    check(m is not None, "not a summary line: %r" % line)
    total, ok, warning, error, unknown = (int(x) for x in m.groups())
    check(total == ok + warning + error + unknown,
          "summary counts do not add up: %r" % line)
    return {"ok": ok, "warning": warning, "error": error, "unknown": unknown}


# ---------------------------------------------------------------------------
# tests

def t_order(a):
    exp = expected(a.rundir)
    lst = os.path.join(a.rundir, "lists", "bulk.txt")
    for how in ("file", "pipe"):
        if how == "file":
            rc, out, err, secs = run(["--json", "--no-policy", "-r", KNOT,
                                      "-f", lst], a.bin)
        else:
            with open(lst, "rb") as f:
                rc, out, err, secs = run(["--json", "--no-policy", "-r", KNOT,
                                          "-f", "-"], a.bin, stdin=f)
        objs = json_lines(out)
        got = [(o.get("domain"), o.get("status")) for o in objs]
        check(len(got) == len(exp), "%s: %d results for %d domains"
              % (how, len(got), len(exp)))
        for i, (g, e) in enumerate(zip(got, exp)):
            check(g[0] == e[0], "%s: result %d is %s, expected %s (input order)"
                  % (how, i + 1, g[0], e[0]))
            check(g[1] == e[1], "%s: %s has status %s, expected %s"
                  % (how, g[0], g[1], e[1]))
        check(len(set(d for d, _ in got)) == len(got), "%s: a domain twice" % how)
        check(rc == worst_exit([s for _, s in got]), "%s: exit %d" % (how, rc))
        check(err == "", "%s: stderr not empty: %.300r" % (how, err))
        print("%s: %d domains in input order, %.1f s" % (how, len(got), secs))


def t_summary(a):
    exp = expected(a.rundir)
    lst = os.path.join(a.rundir, "lists", "bulk.txt")
    want = counts_of([s for _, s in exp])
    rc, out, err, _ = run(["--color", "never", "--no-policy", "-r", KNOT,
                           "-f", lst], a.bin)
    lines = out.rstrip("\n").split("\n")
    check(parse_summary(lines[-1]) == want,
          "summary %r, expected %r" % (lines[-1], want))
    check(sum(1 for l in lines if SUMMARY_RE.match(l)) == 1, "summary twice")
    check(err == "", "stderr not empty (no terminal: no progress line)")
    check(rc == worst_exit([s for _, s in exp]), "exit %d" % rc)
    # --quiet: only the domains not ok, and the summary of all.
    rc, out, err, _ = run(["-q", "--color", "never", "--no-policy", "-r", KNOT,
                           "-f", lst], a.bin)
    lines = out.rstrip("\n").split("\n")
    check(parse_summary(lines[-1]) == want, "quiet summary %r" % lines[-1])
    check(not any(re.match(r"^d\d+\.bulk\.test: OK", l) for l in lines),
          "--quiet printed an ok domain")
    # --quiet and all ok: nothing at all (a cron job stays silent).
    qps = os.path.join(a.rundir, "lists", "qps.txt")
    rc, out, err, _ = run(["-q", "--no-policy", "-r", KNOT, "-f", qps], a.bin)
    check(rc == 0 and out == "", "quiet all-ok run printed %.200r" % out)
    # JSON stays pure JSON Lines: no summary object.
    rc, out, err, _ = run(["--json", "--no-policy", "-r", KNOT, "-f", qps], a.bin)
    check(len(json_lines(out)) == 40, "JSON: not 40 objects")
    # One domain named on the command line: no summary.
    rc, out, err, _ = run(["--no-policy", "-r", KNOT, "d00000.bulk.test"], a.bin)
    check("checked " not in out, "summary for a single domain")
    # The progress line: drawn (forced), then erased, on stderr only.
    rc, out, err, _ = run(["--progress", "always", "--qps", "300", "--json",
                           "--no-policy", "-r", KNOT, "-f", qps], a.bin)
    check(len(json_lines(out)) == 40, "progress: stdout is not the 40 results")
    check("\r" in err and "/40" in err and "ETA" in err,
          "no progress line on stderr: %.300r" % err)
    check(err.endswith("\r\x1b[K"), "progress line not erased: %.100r" % err[-60:])
    print("summary: %r" % lines[-1])


def t_sigint(a):
    lst = os.path.join(a.rundir, "lists", "bulk.txt")
    exp = expected(a.rundir)
    state = os.path.join(a.rundir, "sigint-state.json")
    for fmt, sig in (("json", signal.SIGINT), ("text", signal.SIGTERM)):
        args = ["--no-policy", "--qps", "400", "-r", KNOT, "-f", lst]
        if fmt == "json":
            # --state is saved at the end of a stopped run too, with
            # exactly the domains written.
            if os.path.exists(state):
                os.unlink(state)
            args = ["--json", "--state", state] + args
        else:
            args = ["--color", "never"] + args
        p = subprocess.Popen([a.bin] + args, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = b""
        # Wait for some results, then interrupt mid-line if we can.
        while first.count(b"\n") < 20:
            chunk = os.read(p.stdout.fileno(), 4096)
            check(chunk, "%s: the run ended before the signal" % fmt)
            first += chunk
        t0 = time.monotonic()
        p.send_signal(sig)
        try:
            rest, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            raise Fail("%s: still running 10 s after the signal" % fmt)
        secs = time.monotonic() - t0
        out = (first + rest).decode()
        err = err.decode()
        check(secs < 3, "%s: took %.1f s to stop" % (fmt, secs))
        if fmt == "json":
            objs = json_lines(out)
            n = len(objs)
            statuses = [o["status"] for o in objs]
            check([o["domain"] for o in objs] == [d for d, _ in exp[:n]],
                  "json: not the first %d domains in order" % n)
            with open(state) as f:
                saved = set(json.load(f)["domains"])
            written = set(o["domain"] for o in objs
                          if not any(x["code"] == "DOMAIN_INVALID"
                                     for x in o["findings"]))
            check(saved == written, "json: --state holds %d domains, %d "
                  "written" % (len(saved), len(written)))
        else:
            check(out.endswith("\n"), "text: last line incomplete")
            lines = out.rstrip("\n").split("\n")
            counts = parse_summary(lines[-1])
            n = sum(counts.values())
            heads = [l for l in lines if re.match(r"^\S+\.bulk\.test: [A-Z]+$", l)
                     or re.match(r"^bad\.\.name", l)]
            check(len(heads) == n, "text: %d blocks, summary says %d"
                  % (len(heads), n))
            statuses = [s for _, s in exp[:n]]
            check(counts == counts_of(statuses), "text: summary %r" % counts)
        check(0 < n < len(exp), "%s: %d results of %d" % (fmt, n, len(exp)))
        check(p.returncode == worst_exit(statuses),
              "%s: exit %d, expected %d" % (fmt, p.returncode,
                                             worst_exit(statuses)))
        name = "SIGINT" if sig == signal.SIGINT else "SIGTERM"
        want = "interrupted by %s after %d of %d domains" % (name, n, len(exp))
        check(want in err, "%s: stderr %.300r lacks %r" % (fmt, err, want))
        print("%s: %s after %d of %d, exit %d, stopped in %.2f s"
              % (fmt, name, n, len(exp), p.returncode, secs))
    # A second signal ends the program at once, even while it is blocked
    # writing to a pipe nobody reads (the first one cannot be acted upon
    # there: the loop is not running).
    p = subprocess.Popen([a.bin, "--no-smtp", "--json", "--no-policy", "-r", KNOT, "-f", lst],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)  # 3000 results are megabytes: the pipe is full
        check(p.poll() is None, "blocked writer: ended with a full pipe?")
        p.send_signal(signal.SIGINT)
        time.sleep(0.5)
        check(p.poll() is None, "blocked writer: ended at the first SIGINT")
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise Fail("blocked writer: still alive after a second SIGINT")
        check(p.returncode == -signal.SIGINT,
              "blocked writer: exit %r, expected death by SIGINT" % p.returncode)
        print("blocked writer: the second SIGINT ended it at once")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()


def t_qps(a):
    qps = os.path.join(a.rundir, "lists", "qps.txt")
    # With the policy lookups: 5 queries a domain (2 TXT, MX, A, AAAA).
    rc, out, err, secs = run(["--json", "--qps", "100", "-r", KNOT, "-f", qps],
                             a.bin)
    objs = json_lines(out)
    check(len(objs) == 40, "%d results, expected 40" % len(objs))
    # 200 queries, a bucket of 10: at least 1.9 s; 1.5 leaves room.
    check(secs >= 1.5, "200 queries at --qps 100 took only %.2f s" % secs)
    # Loosely, the per-domain time limit was not eaten by the wait.
    check(all(o["status"] != "unknown" for o in objs), "a domain timed out")
    print("qps: 40 domains x 5 queries at --qps 100: %.2f s" % secs)
    # A rate so low that a domain's own 5 queries take longer than its
    # --timeout if they queued: domains start only when all 5 can leave,
    # so none times out. 4 x 5 queries at 4/s, a bucket of 5: >= 3.75 s.
    names = ["d%05d.bulk.test" % i for i in (0, 1, 2, 3)]
    rc, out, err, secs = run(["--json", "--qps", "4", "--timeout", "1",
                              "-r", KNOT] + names, a.bin)
    objs = json_lines(out)
    check([o["domain"] for o in objs] == names, "low qps: not the 4 domains")
    check(all(o["status"] != "unknown" for o in objs),
          "low qps: a domain timed out: %r" % [o["status"] for o in objs])
    check(secs >= 3.0, "20 queries at --qps 4 took only %.2f s" % secs)
    print("qps: 4 domains x 5 queries at --qps 4, --timeout 1: %.2f s" % secs)


def t_soak(a):
    env = dict(os.environ)
    # ASan keeps freed memory in quarantine (256 MiB by default), which
    # would grow with the input; a small one measures our memory instead.
    asan = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "quarantine_size_mb=8"
    rss = {}
    for n in (1000, 4000):
        lst = os.path.join(a.rundir, "lists", "soak-%d.txt" % n)
        with open(lst) as f:
            names = [l.strip() for l in f if l.strip()]
        rc, out, secs, peak = run_rss(["--json", "--no-policy", "--timeout", "1.5",
                                       "-r", FAULT, "-f", lst], a.bin,
                                      os.path.join(a.rundir, "soak.out"), env=env)
        objs = json_lines(out)
        check([o["domain"] for o in objs] == names,
              "%d: %d results for %d domains (or not in order)"
              % (n, len(objs), len(names)))
        st = counts_of([o["status"] for o in objs])
        check(st["unknown"] > 0 and st["ok"] > 0, "%d: no failures? %r" % (n, st))
        rss[n] = peak
        print("soak %d: %.1f s, peak RSS %d KiB, %r, exit %d"
              % (n, secs, peak, st, rc))
    check(rss[4000] < 2 * rss[1000],
          "peak RSS grows with the input: %d KiB at 1000, %d KiB at 4000"
          % (rss[1000], rss[4000]))


TESTS = {"order": t_order, "summary": t_summary, "sigint": t_sigint,
         "qps": t_qps, "soak": t_soak}


def main():
    if len(sys.argv) == 3 and sys.argv[1] in ("start", "stop"):
        rundir = os.path.abspath(sys.argv[2])
        return cmd_start(rundir) if sys.argv[1] == "start" else cmd_stop(rundir)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--rundir", required=True)
    p.add_argument("test", choices=sorted(TESTS))
    a = p.parse_args()
    try:
        TESTS[a.test](a)
    except Fail as e:
        print("FAIL %s: %s" % (a.test, e))
        return 1
    print("PASS %s" % a.test)
    return 0


if __name__ == "__main__":
    sys.exit(main())
