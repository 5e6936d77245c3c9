#!/usr/bin/env python3
"""slowhttps.py: an HTTPS policy host that never finishes its response.

nginx always completes a response; the fetch-timeout and chunked-size cases
of the MTA-STS policy fetch need a server that does not. This one completes
the TLS handshake with a certificate from the test CA (tlsca.sh), reads the
request, and then misbehaves according to the SNI host name. Python 3
standard library only. Default address 127.53.2.14 port 443
(MTS_TEST_HTTPS_PREFIX + ".14", MTS_TEST_HTTPS_PORT; or --addr / --port).

Usage:
    slowhttps.py start RUNDIR --tls-dir DIR
                             start in the background, PID in
                             RUNDIR/slowhttps.pid, log in RUNDIR/slowhttps.log;
                             returns once a TLS handshake succeeds
    slowhttps.py stop RUNDIR kill exactly that PID and wait for it
    slowhttps.py serve --tls-dir DIR
                             run in the foreground (what "start" runs)

DIR is a tlsca.sh directory: the server presents DIR/certs/HOST.pem.

Behaviour by SNI name (the first label after "mta-sts."):
    slow     "HTTP/1.1 200 OK", Content-Type text/plain, Content-Length 120,
             then 16 bytes of a policy body, then nothing: the connection
             stays open (until the client closes it, or HOLD seconds,
             default 300). Expected: POLICY_FETCH_TIMEOUT.
    drip     200, text/plain, chunked; a valid policy's first bytes, then one
             more byte of an endless extension line every 0.5 s: the
             transfer never stalls, never ends. Expected:
             POLICY_FETCH_TIMEOUT (the budget is the whole fetch, not an
             idle timeout).
    chunked  200, text/plain, Transfer-Encoding: chunked without
             Content-Length; a valid policy followed by extension lines,
             70,000 bytes in all in chunks of 1000, then the last chunk.
             Expected: POLICY_TOO_LARGE (a cap on Content-Length alone does not
             catch it).
    any other name, or no SNI: the certificate of mta-sts.slow.pol.test and
             a 421 response.
"""

import argparse
import os
import signal
import socket
import ssl
import sys
import threading
import time

import daemon

PREFIX = os.environ.get("MTS_TEST_HTTPS_PREFIX", "127.53.2")
DEFAULT_ADDR = PREFIX + ".14"
DEFAULT_PORT = int(os.environ.get("MTS_TEST_HTTPS_PORT", "443"))
MODES = ("slow", "drip", "chunked")
HOLD = 300.0
CHUNKED_SIZE = 70000


def log(msg):
    sys.stdout.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stdout.flush()


def policy(domain):
    return ("version: STSv1\r\nmode: enforce\r\nmx: mx1.%s\r\nmax_age: 604800\r\n"
            % domain).encode()


def mode_of(host):
    if not host or not host.startswith("mta-sts."):
        return None
    label = host.split(".")[1]
    return label if label in MODES else None


def read_request(conn, limit=16384):
    buf = b""
    conn.settimeout(10)
    while b"\r\n\r\n" not in buf and len(buf) < limit:
        data = conn.recv(4096)
        if not data:
            break
        buf += data
    conn.settimeout(None)
    return buf


def hold(conn, seconds):
    """Keep the connection open until the peer closes it or time is up."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        conn.settimeout(max(0.1, min(5.0, end - time.monotonic())))
        try:
            if not conn.recv(4096):
                return
        except socket.timeout:
            continue
        except OSError:
            return


def handle(conn, peer, hold_s):
    host = getattr(conn, "mts_sni", None)
    mode = mode_of(host)
    try:
        req = read_request(conn)
        first = req.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        log("%s sni=%s mode=%s %r" % (peer[0], host, mode, first))
        domain = host[len("mta-sts."):] if host else ""
        if mode == "slow":
            body = policy(domain)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: 120\r\nConnection: close\r\n\r\n" + body[:16])
            hold(conn, hold_s)
        elif mode == "drip":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            first = policy(domain) + b"drip: "
            conn.sendall(b"%x\r\n%s\r\n" % (len(first), first))
            end = time.monotonic() + hold_s
            while time.monotonic() < end:
                time.sleep(0.5)
                conn.sendall(b"1\r\na\r\n")
        elif mode == "chunked":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            body = policy(domain)
            i = 0
            while len(body) < CHUNKED_SIZE:
                line = b"pad%d: " % i
                n = min(100, CHUNKED_SIZE - len(body) - len(line) - 2)
                body += line + b"a" * max(1, n) + b"\r\n"
                i += 1
            body = body[:CHUNKED_SIZE]
            for off in range(0, len(body), 1000):
                part = body[off:off + 1000]
                conn.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            conn.sendall(b"0\r\n\r\n")
        else:
            msg = b"misdirected request\r\n"
            conn.sendall(b"HTTP/1.1 421 Misdirected Request\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(msg), msg))
    except (OSError, ssl.SSLError) as e:
        log("%s sni=%s: %s" % (peer[0], host, e))
    finally:
        try:
            conn.close()
        except OSError:
            pass


def make_contexts(tls_dir):
    ctxs = {}
    for mode in MODES:
        host = "mta-sts.%s.pol.test" % mode
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(tls_dir, "certs", host + ".pem"),
                            os.path.join(tls_dir, "certs", host + ".key"))
        ctxs[host] = ctx
    return ctxs


def cmd_serve(args):
    ctxs = make_contexts(os.path.abspath(args.tls_dir))
    default = ctxs["mta-sts.slow.pol.test"]

    def sni(sslobj, name, _ctx):
        sslobj.mts_sni = name
        if name in ctxs:
            sslobj.context = ctxs[name]
        return None

    default.sni_callback = sni
    for c in ctxs.values():
        c.sni_callback = sni
    sock = socket.socket(socket.AF_INET6 if ":" in args.addr else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.addr, args.port))
    sock.listen(64)

    def stop(_sig, _frm):
        log("stopping (signal)")
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("listening on %s port %d, PID %d" % (args.addr, args.port, os.getpid()))
    while True:
        raw, peer = sock.accept()
        threading.Thread(target=serve_conn, args=(raw, peer, default, args.hold),
                         daemon=True).start()


def serve_conn(raw, peer, ctx, hold_s):
    raw.settimeout(10)
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
    except (OSError, ssl.SSLError) as e:
        log("%s: handshake failed: %s" % (peer[0], e))
        raw.close()
        return
    # The SNI callback stored the name on conn (the SSLSocket) itself.
    handle(conn, peer, hold_s)


def handshake_ok(addr, port, tls_dir):
    ctx = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.pem"))
    try:
        with socket.create_connection((addr, port), timeout=0.5) as s:
            with ctx.wrap_socket(s, server_hostname="mta-sts.slow.pol.test"):
                return True
    except (OSError, ssl.SSLError):
        return False


def cmd_start(args):
    tls_dir = os.path.abspath(args.tls_dir)

    def busy():
        try:
            with socket.create_connection((args.addr, args.port), timeout=0.3):
                return True
        except OSError:
            return False

    argv = [sys.executable, os.path.abspath(__file__), "serve", "--tls-dir", tls_dir,
            "--addr", args.addr, "--port", str(args.port), "--hold", str(args.hold)]
    return daemon.start("slowhttps", args.rundir, argv,
                        lambda: handshake_ok(args.addr, args.port, tls_dir),
                        "listening on %s port %d (TLS)" % (args.addr, args.port), busy)


def cmd_stop(args):
    return daemon.stop("slowhttps", args.rundir)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--tls-dir", required=True)
        sp.add_argument("--addr", default=DEFAULT_ADDR)
        sp.add_argument("--port", type=int, default=DEFAULT_PORT)
        sp.add_argument("--hold", type=float, default=HOLD)

    sp = sub.add_parser("start")
    sp.add_argument("rundir")
    common(sp)
    sp = sub.add_parser("stop")
    sp.add_argument("rundir")
    sp = sub.add_parser("serve")
    common(sp)
    args = p.parse_args()
    if args.cmd == "start":
        return cmd_start(args)
    if args.cmd == "stop":
        return cmd_stop(args)
    return cmd_serve(args)


if __name__ == "__main__":
    sys.exit(main())
