#!/usr/bin/env python3
"""smtpserver.py: SMTP servers with STARTTLS, good and broken, for the MX
transport cases (issue 12, mx-transport.md R164-R168).

    smtpserver.py start RUNDIR --tls-dir DIR [--prefix 127.53.25]
    smtpserver.py stop RUNDIR

One process, one listener per behaviour on PREFIX.N port 25 (the addresses of
fixtures/dns/smtp.test.zone); PID in RUNDIR/smtpserver.pid, log in
RUNDIR/smtpserver.log. The certificates come from tlsca.sh (DIR/certs/HOST.pem).

  N  host                     behaviour
  1  mx.good.smtp.test        220, EHLO with STARTTLS, TLS with a valid certificate
  2  mx.expired.smtp.test     the same with an expired certificate
  3  mx.wrongname.smtp.test   a certificate for another name
  4  mx.selfsigned.smtp.test  a self-signed certificate
  5  mx.soon.smtp.test        a certificate that expires in 5 days
  6  mx.nostarttls.smtp.test  EHLO without STARTTLS
  7  mx.refuse.smtp.test      454 to STARTTLS
  8  mx.greet554.smtp.test    554 greeting
  9  mx.stall.smtp.test       accepts, never greets
 10  mx.closeehlo.smtp.test   closes after EHLO
 11  mx.longline.smtp.test    an endless greeting line
 12  (nothing: refused)       mx.refused.smtp.test
 14  mx.tls10.smtp.test       STARTTLS offering TLS 1.0 only (a valid certificate)
 13  mx.blackhole.smtp.test   connects hang: a listener whose accept queue is
                              full (it never accepts), so the kernel drops
                              new SYNs, as a firewall that drops port 25 does
"""

import argparse
import warnings
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

# ssl.TLSVersion.TLSv1 is deprecated, and needed here on purpose (tls10).
warnings.filterwarnings("ignore", category=DeprecationWarning)

BEHAVIOURS = {
    1: ("good", "mx.good.smtp.test"),
    2: ("good", "mx.expired.smtp.test"),
    3: ("good", "mx.wrongname.smtp.test"),
    4: ("good", "mx.selfsigned.smtp.test"),
    5: ("good", "mx.soon.smtp.test"),
    6: ("nostarttls", None),
    7: ("refuse", None),
    8: ("greet554", None),
    9: ("stall", None),
    10: ("closeehlo", None),
    11: ("longline", None),
    13: ("blackhole", None),
    14: ("tls10", "mx.tls10.smtp.test"),
}


def log(msg):
    sys.stdout.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stdout.flush()


def readline(f):
    line = f.readline(1024)
    return line.decode("latin-1").strip() if line else None


def session(conn, kind, host, tls_dir):
    conn.settimeout(30)
    try:
        if kind == "stall":
            time.sleep(30)
            return
        if kind == "longline":
            conn.sendall(b"220 " + b"x" * 4000)
            time.sleep(5)
            return
        if kind == "greet554":
            conn.sendall(b"554 5.7.1 no service here\r\n")
            return
        conn.sendall(b"220 test ESMTP smtpserver.py\r\n")
        f = conn.makefile("rb")
        while True:
            line = readline(f)
            if line is None:
                return
            verb = line.split(" ")[0].upper()
            if verb == "EHLO":
                if kind == "closeehlo":
                    return
                ext = b"" if kind == "nostarttls" else b"250-STARTTLS\r\n"
                conn.sendall(b"250-test\r\n250-PIPELINING\r\n" + ext + b"250 8BITMIME\r\n")
            elif verb == "STARTTLS":
                if kind == "refuse":
                    conn.sendall(b"454 4.7.0 TLS not available\r\n")
                    continue
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                if kind == "tls10":
                    # Debian 12's OpenSSL still speaks TLS 1.0 at security
                    # level 0.
                    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                    ctx.minimum_version = ssl.TLSVersion.TLSv1
                    ctx.maximum_version = ssl.TLSVersion.TLSv1
                certs = os.path.join(tls_dir, "certs")
                if not os.path.isdir(certs):
                    certs = tls_dir  # scripts/demo.sh: NAME.pem beside the CA
                ctx.load_cert_chain(os.path.join(certs, host + ".pem"),
                                    os.path.join(certs, host + ".key"))
                t = ctx.wrap_socket(conn, server_side=True)
                tf = t.makefile("rb")
                while True:
                    line = readline(tf)
                    if line is None or line.upper().startswith("QUIT"):
                        try:
                            t.sendall(b"221 bye\r\n")
                        except OSError:
                            pass
                        return
                    t.sendall(b"250 ok\r\n")
            elif verb == "QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            elif verb == "MAIL":
                log("MAIL FROM received: the probe must never send it")
                conn.sendall(b"250 ok\r\n")
            else:
                conn.sendall(b"502 5.5.2 unknown\r\n")
    except (OSError, ssl.SSLError) as e:
        log("%s: %s" % (kind, e))
    finally:
        try:
            conn.close()
        except OSError:
            pass


def blackhole(addr):
    """Fill the accept queue of a listener that never accepts: further
    connects get no SYN-ACK and hang until the client gives up."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 25))
    s.listen(0)
    fillers = []
    for _ in range(4):  # listen(0) queues one or two; the rest time out
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect((addr, 25))
        except BlockingIOError:
            pass
        fillers.append(c)
    log("blackhole on %s port 25" % addr)
    while True:
        time.sleep(3600)


def listener(addr, kind, host, tls_dir):
    if kind == "blackhole":
        blackhole(addr)
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 25))
    s.listen(64)
    log("%s on %s port 25" % (kind, addr))
    while True:
        conn, _ = s.accept()
        threading.Thread(target=session, args=(conn, kind, host, tls_dir),
                         daemon=True).start()


def cmd_serve(args):
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if args.map:
        # scripts/demo.sh: ADDR=CERTNAME, a good server presenting
        # TLS_DIR/CERTNAME.pem on ADDR port 25.
        for m in args.map:
            addr, name = m.split("=", 1)
            threading.Thread(target=listener, args=(addr, "good", name, args.tls_dir),
                             daemon=True).start()
        while True:
            time.sleep(3600)
    for n, (kind, host) in BEHAVIOURS.items():
        threading.Thread(target=listener,
                         args=("%s.%d" % (args.prefix, n), kind, host, args.tls_dir),
                         daemon=True).start()
    while True:
        time.sleep(3600)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def pid_is_ours(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"smtpserver.py" in f.read()
    except OSError:
        return False


def greets(addr):
    try:
        with socket.create_connection((addr, 25), timeout=0.5) as s:
            return s.recv(4).startswith(b"220")
    except OSError:
        return False


def cmd_start(args):
    rundir = os.path.abspath(args.rundir)
    os.makedirs(rundir, exist_ok=True)
    pidfile = os.path.join(rundir, "smtpserver.pid")
    if os.path.exists(pidfile):
        cmd_stop(args)
    logpath = os.path.join(rundir, "smtpserver.log")
    with open(logpath, "ab") as logf:
        proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "serve", "--tls-dir",
             os.path.abspath(args.tls_dir), "--prefix", args.prefix],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True)
    with open(pidfile, "w") as f:
        f.write("%d\n" % proc.pid)
    for _ in range(100):
        if proc.poll() is not None:
            sys.stderr.write("smtpserver.py: the server exited; log:\n")
            with open(logpath) as f:
                sys.stderr.write(f.read())
            os.unlink(pidfile)
            return 1
        if greets("%s.1" % args.prefix):
            print("smtpserver.py: PID %d on %s.1-14 port 25" % (proc.pid, args.prefix))
            return 0
        time.sleep(0.1)
    sys.stderr.write("smtpserver.py: no greeting on %s.1 port 25\n" % args.prefix)
    cmd_stop(args)
    return 1


def cmd_stop(args):
    pidfile = os.path.join(os.path.abspath(args.rundir), "smtpserver.pid")
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
    except FileNotFoundError:
        print("smtpserver.py: no %s: not running" % pidfile)
        return 0
    if pid_alive(pid) and pid_is_ours(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not pid_alive(pid):
                break
            time.sleep(0.1)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    os.unlink(pidfile)
    print("smtpserver.py: PID %d stopped" % pid)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("start")
    sp.add_argument("rundir")
    sp.add_argument("--tls-dir", required=True)
    sp.add_argument("--prefix", default="127.53.25")
    sp = sub.add_parser("stop")
    sp.add_argument("rundir")
    sp = sub.add_parser("serve")
    sp.add_argument("--tls-dir", required=True)
    sp.add_argument("--prefix", default="127.53.25")
    sp.add_argument("map", nargs="*", help="ADDR=CERTNAME (demo servers)")
    args = p.parse_args()
    return {"start": cmd_start, "stop": cmd_stop, "serve": cmd_serve}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
