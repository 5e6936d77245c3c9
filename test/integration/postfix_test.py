#!/usr/bin/env python3
"""Integration test of the SMTP STARTTLS probe against a real MTA (issue 12,
mx-transport.md R164-R166): a private Postfix instance from Debian.

    postfix_test.py --bin build/mtasts-check --rundir RUNDIR

RUNDIR is the shared servers' run directory (servers.sh): Knot answers for
smtp.test (fixtures/dns/smtp.test.zone: pf*.smtp.test) and RUNDIR/tls holds
the test CA and the certificates tlsca.sh made for the MX hosts. The script
writes its own Postfix configuration in RUNDIR/postfix (main.cf, master.cf,
queue and data directories), starts it with `postfix start-fg`, tracks the
master by the PID it writes, and stops it by that PID. One smtpd per
loopback address of 127.53.41.0/24, each with its own certificate:

  .1  mx.pfgood.smtp.test        valid
  .2  mx.pfexpired.smtp.test     expired
  .3  mx.pfwrongname.smtp.test   issued for another name
  .4  mx.pfselfsigned.smtp.test  self-signed

Each domain is checked with --no-policy (no MTA-STS mode: the certificate
findings are info, R167); the Postfix log then shows that the probe said
EHLO, STARTTLS and QUIT, and never MAIL FROM (R164).

Environment: MTS_TEST_DNS_ADDR / MTS_TEST_DNS_PORT (default 127.53.0.1,
5300), POSTFIX (default /usr/sbin/postfix). Exit 77 (skipped) when Postfix
or the shared servers are not there.
"""

import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time

PREFIX = "127.53.41"
HOSTS = [  # (last octet, case, certificate file name)
    (1, "pfgood", "mx.pfgood.smtp.test"),
    (2, "pfexpired", "mx.pfexpired.smtp.test"),
    (3, "pfwrongname", "mx.pfwrongname.smtp.test"),
    (4, "pfselfsigned", "mx.pfselfsigned.smtp.test"),
]
# Postfix's own service table, without chroot (master.cf(5)).
SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def write_config(pfdir, certs):
    conf = os.path.join(pfdir, "conf")
    for d in ("conf", "queue", "data"):
        os.makedirs(os.path.join(pfdir, d), exist_ok=True)
    pw = pwd.getpwnam("postfix")
    os.chown(os.path.join(pfdir, "data"), pw.pw_uid, pw.pw_gid)
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write("""\
compatibility_level = 3.6
queue_directory = {q}
data_directory = {d}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.pf.smtp.test
# Every smtpd names its address in master.cf; Postfix wants the
# interfaces to exist, which 127.53.41.x only do as part of 127.0.0.0/8.
inet_interfaces = all
inet_protocols = ipv4
mydestination =
alias_maps =
alias_database =
smtpd_tls_security_level = may
maillog_file = /dev/stdout
""".format(q=os.path.join(pfdir, "queue"), d=os.path.join(pfdir, "data")))
    with open(os.path.join(conf, "master.cf"), "w") as f:
        for n, _, cert in HOSTS:
            f.write("%s.%d:smtp inet n - n - - smtpd\n"
                    "  -o smtpd_tls_cert_file=%s\n"
                    "  -o smtpd_tls_key_file=%s\n"
                    % (PREFIX, n, os.path.join(certs, cert + ".pem"),
                       os.path.join(certs, cert + ".key")))
        f.write(SERVICES)
    return conf


def greets(addr):
    try:
        with socket.create_connection((addr, 25), timeout=0.5) as s:
            return s.recv(4).startswith(b"220")
    except OSError:
        return False


def start(postfix, pfdir, conf):
    log = open(os.path.join(pfdir, "postfix.log"), "ab")
    proc = subprocess.Popen([postfix, "-c", conf, "start-fg"],
                            stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    pidfile = os.path.join(pfdir, "queue", "pid", "master.pid")
    for _ in range(200):
        if os.path.exists(pidfile) and all(
                greets("%s.%d" % (PREFIX, n)) for n, _, _ in HOSTS):
            with open(pidfile) as f:
                return proc, int(f.read().split()[0])
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    with open(os.path.join(pfdir, "postfix.log"), errors="replace") as f:
        sys.stderr.write(f.read()[-4000:])
    raise SystemExit("postfix_test: Postfix did not start")


def stop(proc, master):
    for pid in (master, proc.pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            os.kill(master, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(master, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()


def codes(obj):
    return {(f["code"], f["severity"]) for f in obj.get("findings", [])}


def run_case(args, ca, resolver, case):
    cmd = [args.bin, "--json", "--no-policy", "--timeout", "10", "--resolver",
           resolver, "--ca-file", ca, "%s.smtp.test" % case]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    try:
        return p.returncode, json.loads(p.stdout.decode())
    except ValueError:
        check(False, "%s: one JSON object, got %r %r"
              % (case, p.stdout, p.stderr))
        return p.returncode, {}


def smtp_of(obj):
    try:
        return obj["mta_sts"]["mx"]["hosts"][0]["addresses"][0]["smtp"] or {}
    except (KeyError, IndexError, TypeError):
        return {}


def cases(args, ca, resolver):
    rc, o = run_case(args, ca, resolver, "pfgood")
    s = smtp_of(o)
    check(rc == 0 and o.get("status") == "ok",
          "pfgood: ok, exit 0 (rc %d, %r)" % (rc, codes(o)))
    check(s.get("status") == "ok" and s.get("starttls") is True,
          "pfgood: probe ok with STARTTLS, got %r" % s)
    check("Postfix" in (s.get("banner") or ""),
          "pfgood: Postfix's banner, got %r" % s.get("banner"))
    check(s.get("tls_version") in ("TLSv1.2", "TLSv1.3"),
          "pfgood: TLS 1.2 or 1.3, got %r" % s.get("tls_version"))
    cert = s.get("cert") or {}
    check(cert.get("trusted") is True and cert.get("name_match") is True,
          "pfgood: trusted, name matches, got %r" % cert)

    for case, code in (("pfexpired", "MX_CERT_EXPIRED"),
                       ("pfwrongname", "MX_CERT_NAME_MISMATCH"),
                       ("pfselfsigned", "MX_CERT_UNTRUSTED")):
        rc, o = run_case(args, ca, resolver, case)
        # No MTA-STS mode here (--no-policy): R167 makes them info.
        check((code, "info") in codes(o),
              "%s: %s info, got %r" % (case, code, codes(o)))
        check(smtp_of(o).get("starttls") is True,
              "%s: STARTTLS offered, got %r" % (case, smtp_of(o)))

    # Issue 15: the MX findings read in Japanese in text, English in JSON.
    env = dict(os.environ, LANG="ja_JP.UTF-8", LC_ALL="ja_JP.UTF-8",
               NO_COLOR="1")
    p = subprocess.run([args.bin, "--no-policy", "--timeout", "10",
                        "--resolver", resolver, "--ca-file", ca,
                        "pfwrongname.smtp.test"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=60)
    text = p.stdout.decode("utf-8", "replace")
    check("MX ホスト mx.pfwrongname.smtp.test" in text and
          "The MX host" not in text,
          "pfwrongname in Japanese: the MX finding translated, got %r" % text)


def never_mail_from(pfdir):
    with open(os.path.join(pfdir, "postfix.log"), errors="replace") as f:
        log = f.read()
    # The probe's sessions (the start-up check only connects).
    ends = [l for l in log.splitlines()
            if "disconnect from" in l and "ehlo=" in l]
    check(len(ends) >= 4, "the Postfix log shows the sessions: %r" % ends)
    check(all("starttls=1" in l and "quit=1" in l for l in ends),
          "every session: STARTTLS and QUIT, got %r" % ends)
    check(not any(" mail=" in l or " rcpt=" in l for l in ends),
          "R164: never MAIL FROM or RCPT TO, got %r" % ends)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rundir", required=True)
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    postfix = os.environ.get("POSTFIX") or shutil.which("postfix") or \
        "/usr/sbin/postfix"
    rundir = os.path.abspath(args.rundir)
    ca = os.path.join(rundir, "tls", "ca.pem")
    certs = os.path.join(rundir, "tls", "certs")
    if not os.path.exists(postfix):
        print("SKIP: no Postfix (%s)" % postfix)
        return 77
    if not os.path.exists(os.path.join(certs, "mx.pfgood.smtp.test.pem")):
        print("SKIP: the shared test servers are not running (%s)" % certs)
        return 77
    resolver = "%s:%s" % (os.environ.get("MTS_TEST_DNS_ADDR", "127.53.0.1"),
                          os.environ.get("MTS_TEST_DNS_PORT", "5300"))
    pfdir = os.path.join(rundir, "postfix")
    shutil.rmtree(pfdir, ignore_errors=True)
    conf = write_config(pfdir, certs)
    proc, master = start(postfix, pfdir, conf)
    try:
        cases(args, ca, resolver)
    finally:
        stop(proc, master)
    never_mail_from(pfdir)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("postfix: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
