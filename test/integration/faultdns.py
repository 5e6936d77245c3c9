#!/usr/bin/env python3
"""faultdns.py: a DNS responder that misbehaves on purpose.

A real authoritative server (Knot, see dnsserver.sh) cannot fail on demand;
this one fails in a chosen way for every name, so that one server covers all
the DNS failure cases of the integration tests. Python 3 standard library
only. It listens on UDP and TCP, by default on 127.53.0.2 port 5300
(MTS_TEST_FAULT_ADDR / MTS_TEST_FAULT_PORT, or --addr / --port).

Usage:
    faultdns.py start RUNDIR   start in the background, PID in
                               RUNDIR/faultdns.pid, log in RUNDIR/faultdns.log;
                               returns once it answers over UDP and TCP
    faultdns.py stop RUNDIR    kill exactly that PID and wait for it
    faultdns.py serve          run in the foreground (what "start" runs)
    faultdns.py query NAME TYPE [--tcp] [--server ADDR] [--port N]
                               a tiny DNS client, to look at the answers

How the behaviour is chosen
---------------------------
Names are under the zone "fault.test" (anything else gets REFUSED). The
behaviour comes from the first label of the DOMAIN BEING CHECKED: leading
labels that start with "_" are skipped (so "_mta-sts.X.fault.test" and
"_smtp._tls.X.fault.test" both select by X), and so is a leading "mta-sts"
label (the policy host of later versions). That label is MODE or
MODE-SCOPE:

    MODE      what the server does
    ok        normal answers (below)
    servfail  RCODE 2 SERVFAIL
    refused   RCODE 5 REFUSED
    notimp    RCODE 4 NOTIMP
    nxdomain  RCODE 3 NXDOMAIN, SOA in the authority section
    silent    never answers (UDP: drops; TCP: reads and never replies)
    slow      the normal answer, sent after SLOW seconds (default 1.5;
              --slow-delay); other queries are not held up
    garbage   the right ID and question, ANCOUNT=1, and an answer RR whose
              RDLENGTH runs past the end of the packet (corrupt answer section)
    random    random bytes (40 to 100 octets; the ID is never the query's)
    short     a truncated header: the first 6 octets of a reply (right ID)
    spoof     a well-formed "valid" answer with the right ID but the
              question of another name: a resolver must not accept it
    tc        over UDP: TC=1 and no answers; over TCP: the normal answer
    tcfail    over UDP: TC=1 and no answers; TCP connections are closed as
              soon as they are accepted
    tccut     over UDP: TC=1 with ANCOUNT=2 and the answer section cut off
              in the second record (RFC 2181 §9: ignore it); over TCP: the
              normal answer
    foreign   the normal answer plus a record of the same type owned by
              another name ("someone-else.example"): not usable as an answer
    lame      NOERROR with the AA bit clear and nothing in it: a server
              that is named in the NS set but does not serve the zone

    SCOPE (optional) limits the fault to one of the domain's lookups; the
    others get the normal answers:
    sts       _mta-sts.<d> TXT         rpt   _smtp._tls.<d> TXT
    mx        <d> MX                    apex  <d> TXT

With --all MODE (start and serve) the server does MODE for every name, in
the zone or not, whatever its labels: a resolver that is broken for
everything (the failover cases use "--all servfail" and "--all refused").
A MODE that never answers (silent) cannot pass the start-up check.

Examples: "_mta-sts.servfail.fault.test" TXT gets SERVFAIL; for the domain
"servfail-mx.fault.test" only the MX query fails and both TXT records are
valid.

Normal answers for a domain <d> (all AA=1, owner = the question name):
    _mta-sts.<d>   TXT  "v=STSv1; id=20190425085700"          TTL 300
                   or, when <d> has a label "badsts",
                        "v=STSv1; id=bad-id!" (STS_ID_INVALID)
    _smtp._tls.<d> TXT  "v=TLSRPTv1; rua=mailto:tlsrpt@<d>"   TTL 3600
    <d>            MX   10 MX1.<D IN UPPER CASE>.              TTL 3600
                        (the tool must report it lowercase)
    <d>            TXT  "v=spf1 -all"                          TTL 3600
    mx1.<d>        A    192.0.2.1
    fault.test     SOA  (the zone apex: readiness checks)
    anything else  NOERROR/NODATA with the SOA in the authority section
"""

import argparse
import os
import random
import signal
import socket
import struct
import sys
import threading
import time

import daemon

ZONE = ("fault", "test")
DEFAULT_ADDR = os.environ.get("MTS_TEST_FAULT_ADDR", "127.53.0.2")
DEFAULT_PORT = int(os.environ.get("MTS_TEST_FAULT_PORT", "5300"))

T_A, T_NS, T_CNAME, T_SOA, T_MX, T_TXT, T_AAAA, T_OPT = 1, 2, 5, 6, 15, 16, 28, 41
TYPE_NAMES = {"A": T_A, "NS": T_NS, "CNAME": T_CNAME, "SOA": T_SOA,
              "MX": T_MX, "TXT": T_TXT, "AAAA": T_AAAA}
RC_NOERROR, RC_FORMERR, RC_SERVFAIL, RC_NXDOMAIN, RC_NOTIMP, RC_REFUSED = 0, 1, 2, 3, 4, 5

MODES = {"ok", "servfail", "refused", "notimp", "nxdomain", "silent", "slow",
         "garbage", "random", "short", "spoof", "tc", "tcfail", "tccut",
         "foreign", "lame"}
SCOPES = {"sts", "rpt", "mx", "apex"}

STS_TXT = "v=STSv1; id=20190425085700"
STS_BAD_TXT = "v=STSv1; id=bad-id!"


def log(msg):
    sys.stderr.write("%s faultdns: %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# ---------------------------------------------------------------------------
# Wire format

class FormErr(Exception):
    pass


def parse_name(buf, off):
    """An uncompressed name (a question must not use pointers)."""
    labels = []
    total = 0
    while True:
        if off >= len(buf):
            raise FormErr("name runs past the end")
        n = buf[off]
        off += 1
        if n == 0:
            return labels, off
        if n & 0xC0:
            raise FormErr("compression pointer in the question")
        if off + n > len(buf):
            raise FormErr("label runs past the end")
        labels.append(buf[off:off + n])
        total += n + 1
        if total > 255:
            raise FormErr("name too long")
        off += n


def encode_name(name):
    out = b""
    for label in name.split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


class Query:
    """The parsed header and single question of a request."""

    def __init__(self, buf):
        if len(buf) < 12:
            raise FormErr("short header")
        (self.id, self.flags, qd, an, ns, ar) = struct.unpack("!HHHHHH", buf[:12])
        if self.flags & 0x8000:
            raise FormErr("a response, not a query")
        if qd != 1:
            raise FormErr("QDCOUNT %d" % qd)
        self.labels, off = parse_name(buf, 12)
        if off + 4 > len(buf):
            raise FormErr("question runs past the end")
        self.qtype, self.qclass = struct.unpack("!HH", buf[off:off + 4])
        self.question = buf[12:off + 4]  # echoed byte for byte
        self.opcode = (self.flags >> 11) & 0xF
        self.rd = self.flags & 0x0100
        self.name = ".".join(l.decode("ascii", "replace") for l in self.labels)
        self.lname = self.name.lower()
        self.edns = ar > 0 and self._has_opt(buf, off + 4, an + ns + ar)

    @staticmethod
    def _has_opt(buf, off, count):
        # Walk the remaining RRs leniently, looking for an OPT.
        try:
            for _ in range(count):
                while True:
                    n = buf[off]
                    if n == 0:
                        off += 1
                        break
                    if n & 0xC0:
                        off += 2
                        break
                    off += n + 1
                rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", buf[off:off + 10])
                if rtype == T_OPT:
                    return True
                off += 10 + rdlen
        except (IndexError, struct.error):
            pass
        return False


def header(q, rcode=0, an=0, ns=0, ar=0, tc=False, aa=True):
    flags = 0x8000 | (q.opcode << 11) | q.rd | (rcode & 0xF)
    if aa:
        flags |= 0x0400
    if tc:
        flags |= 0x0200
    return struct.pack("!HHHHHH", q.id, flags, 1, an, ns, ar)


def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def txt_rdata(text):
    raw = text.encode("ascii")
    out = b""
    for i in range(0, len(raw), 255):
        chunk = raw[i:i + 255]
        out += bytes([len(chunk)]) + chunk
    return out or b"\0"


def soa_rr():
    rdata = (encode_name("ns.fault.test") + encode_name("hostmaster.fault.test")
             + struct.pack("!IIIII", 2024010101, 3600, 900, 604800, 300))
    return rr(encode_name("fault.test"), T_SOA, 3600, rdata)


def opt_rr():
    return b"\0" + struct.pack("!HHIH", T_OPT, 1232, 0, 0)


def message(q, rcode=0, answers=(), authority=(), tc=False, aa=True):
    ar = [opt_rr()] if q.edns else []
    return (header(q, rcode, len(answers), len(authority), len(ar), tc, aa)
            + q.question + b"".join(answers) + b"".join(authority) + b"".join(ar))


QNAME_PTR = b"\xc0\x0c"  # the question name, always at offset 12


class Classified:
    """Which lookup of which domain a query is, and the chosen behaviour."""

    def __init__(self, q):
        labels = [l.decode("ascii", "replace").lower() for l in q.labels]
        self.in_zone = tuple(labels[-2:]) == ZONE
        prefix = []
        rest = labels
        while rest and rest[0].startswith("_"):
            prefix.append(rest[0])
            rest = rest[1:]
        if not prefix and rest and rest[0] == "mta-sts" and len(rest) > 3:
            prefix, rest = ["mta-sts"], rest[1:]
        self.prefix = prefix
        self.domain_labels = rest
        self.domain = ".".join(rest)
        self.is_apex = rest == list(ZONE)
        first = rest[0] if len(rest) > 2 else ""
        mode, _, scope = first.partition("-")
        self.mode = mode if mode in MODES else "ok"
        self.scope = scope if scope in SCOPES else ""
        if prefix == ["_mta-sts"]:
            self.kind = "sts"
        elif prefix == ["_smtp", "_tls"]:
            self.kind = "rpt"
        elif not prefix and q.qtype == T_MX:
            self.kind = "mx"
        elif not prefix and q.qtype == T_TXT:
            self.kind = "apex"
        else:
            self.kind = "other"
        # The fault applies to every lookup, or only to SCOPE's.
        self.faulty = self.mode != "ok" and (not self.scope or self.scope == self.kind)
        if ALL_MODE:
            self.mode, self.scope, self.faulty = ALL_MODE, "", True
        self.badsts = "badsts" in rest[1:]


def normal_answer(q, c):
    """The well-behaved answer for this query."""
    if not c.in_zone:
        return message(q, RC_REFUSED)
    if c.is_apex and not c.prefix:
        if q.qtype == T_SOA:
            return message(q, answers=[soa_rr()])
        if q.qtype == T_NS:
            return message(q, answers=[rr(QNAME_PTR, T_NS, 3600, encode_name("ns.fault.test"))])
        return message(q, authority=[soa_rr()])
    if len(c.domain_labels) < 3:
        return message(q, RC_NXDOMAIN, authority=[soa_rr()])
    d = c.domain
    if c.kind == "sts" and q.qtype == T_TXT:
        text = STS_BAD_TXT if c.badsts else STS_TXT
        return message(q, answers=[rr(QNAME_PTR, T_TXT, 300, txt_rdata(text))])
    if c.kind == "rpt" and q.qtype == T_TXT:
        text = "v=TLSRPTv1; rua=mailto:tlsrpt@" + d
        return message(q, answers=[rr(QNAME_PTR, T_TXT, 3600, txt_rdata(text))])
    if c.kind == "mx":
        rdata = struct.pack("!H", 10) + encode_name("MX1." + d.upper())
        return message(q, answers=[rr(QNAME_PTR, T_MX, 3600, rdata)])
    if c.kind == "apex":
        return message(q, answers=[rr(QNAME_PTR, T_TXT, 3600, txt_rdata("v=spf1 -all"))])
    if (q.qtype == T_A and not c.prefix and len(c.domain_labels) > 3
            and c.domain_labels[0] == "mx1"):
        return message(q, answers=[rr(QNAME_PTR, T_A, 3600, bytes([192, 0, 2, 1]))])
    return message(q, authority=[soa_rr()])


def garbage_answer(q):
    # Right ID and question; one answer RR that claims 200 octets of RDATA
    # but carries 3.
    bad = QNAME_PTR + struct.pack("!HHIH", q.qtype or T_TXT, 1, 300, 200) + b"\x05v=S"
    return header(q, RC_NOERROR, an=1) + q.question + bad


def spoof_answer(q):
    question = encode_name("spoofed.fault.test") + struct.pack("!HH", q.qtype, 1)
    if q.qtype == T_MX:
        rdata = struct.pack("!H", 10) + encode_name("mx1.spoofed.fault.test")
    else:
        rdata = txt_rdata(STS_TXT)
    return header(q, RC_NOERROR, an=1) + question + rr(QNAME_PTR, q.qtype, 300, rdata)


def random_answer(q):
    n = random.randint(40, 100)
    data = bytearray(os.urandom(n))
    qid = struct.unpack("!H", bytes(data[:2]))[0]
    if qid == q.id:
        data[0] ^= 0xFF
    return bytes(data)


def respond(q, c, transport):
    """(reply bytes or None for no reply, delay seconds, action label)."""
    if q.opcode != 0:
        return message(q, RC_NOTIMP), 0, "opcode %d: NOTIMP" % q.opcode
    if not c.faulty:
        return normal_answer(q, c), 0, "normal"
    m = c.mode
    if m == "servfail":
        return message(q, RC_SERVFAIL), 0, m
    if m == "refused":
        return message(q, RC_REFUSED), 0, m
    if m == "notimp":
        return message(q, RC_NOTIMP), 0, m
    if m == "nxdomain":
        return message(q, RC_NXDOMAIN, authority=[soa_rr()]), 0, m
    if m == "silent":
        return None, 0, m
    if m == "lame":
        return message(q, aa=False), 0, m
    if m == "slow":
        return normal_answer(q, c), SLOW_DELAY, "slow (%.1fs)" % SLOW_DELAY
    if m == "garbage":
        return garbage_answer(q), 0, m
    if m == "random":
        return random_answer(q), 0, m
    if m == "short":
        return message(q)[:6], 0, m
    if m == "spoof":
        return spoof_answer(q), 0, m
    if m == "tccut":
        if transport == "udp":
            full = normal_answer(q, c)
            # Claim two answers, send one and a half.
            body = full[12 + len(q.question):]
            cut = body + body[: max(1, len(body) // 2)]
            return header(q, RC_NOERROR, an=2, tc=True) + q.question + cut, 0, m + " (TC=1, cut)"
        return normal_answer(q, c), 0, m + " (full answer over TCP)"
    if m == "foreign":
        d = c.domain
        if q.qtype == T_MX:
            own = struct.pack("!H", 10) + encode_name("mx1." + d)
            other = struct.pack("!H", 5) + encode_name("mx.foreign.fault.test")
        elif c.kind == "rpt":
            own = txt_rdata("v=TLSRPTv1; rua=mailto:tlsrpt@" + d)
            other = txt_rdata("v=TLSRPTv1; rua=mailto:x@foreign.fault.test")
        else:
            own = txt_rdata(STS_TXT)
            other = txt_rdata("v=STSv1; id=foreign")
        answers = [rr(QNAME_PTR, q.qtype, 300, own),
                   rr(encode_name("someone-else.example"), q.qtype, 300, other)]
        return message(q, answers=answers), 0, m
    if m in ("tc", "tcfail"):
        if transport == "udp":
            return header(q, RC_NOERROR, tc=True) + q.question, 0, m + " (TC=1)"
        return normal_answer(q, c), 0, m + " (full answer over TCP)"
    return normal_answer(q, c), 0, "normal"


def handle(buf, transport):
    try:
        q = Query(buf)
    except FormErr as e:
        log("%s: malformed query (%s)" % (transport, e))
        if len(buf) >= 2:
            return buf[:2] + struct.pack("!HHHHH", 0x8001, 0, 0, 0, 0), 0
        return None, 0
    c = Classified(q)
    reply, delay, action = respond(q, c, transport)
    log("%s %s type %d: mode=%s scope=%s kind=%s -> %s"
        % (transport, q.name, q.qtype, c.mode, c.scope or "-", c.kind, action))
    return reply, delay


# ---------------------------------------------------------------------------
# Servers

SLOW_DELAY = 1.5
ALL_MODE = None  # --all MODE: that behaviour for every name


def serve_udp(sock):
    while True:
        try:
            buf, peer = sock.recvfrom(65535)
        except OSError:
            return
        reply, delay = handle(buf, "udp")
        if reply is None:
            continue
        if delay:
            t = threading.Timer(delay, sock.sendto, (reply, peer))
            t.daemon = True
            t.start()
        else:
            try:
                sock.sendto(reply, peer)
            except OSError as e:
                log("udp send: %s" % e)


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_tcp_conn(conn):
    conn.settimeout(30)
    try:
        while True:
            head = recv_exact(conn, 2)
            if head is None:
                return
            (n,) = struct.unpack("!H", head)
            buf = recv_exact(conn, n)
            if buf is None:
                return
            reply, delay = handle(buf, "tcp")
            if reply is None:
                continue  # silent: keep reading, never answer
            if delay:
                time.sleep(delay)
            conn.sendall(struct.pack("!H", len(reply)) + reply)
    except OSError:
        return
    finally:
        conn.close()


def serve_tcp(sock):
    while True:
        try:
            conn, _peer = sock.accept()
        except OSError:
            return
        threading.Thread(target=tcp_first, args=(conn,), daemon=True).start()


def tcp_first(conn):
    """Read the first query: a tcfail name gets the connection closed
    without a reply; anything else is served, then the rest of the
    connection."""
    conn.settimeout(30)
    try:
        head = recv_exact(conn, 2)
        if head is None:
            conn.close()
            return
        (n,) = struct.unpack("!H", head)
        buf = recv_exact(conn, n)
        if buf is None:
            conn.close()
            return
    except OSError:
        conn.close()
        return
    try:
        q = Query(buf)
        c = Classified(q)
        if c.faulty and c.mode == "tcfail":
            log("tcp %s type %d: tcfail -> connection closed" % (q.name, q.qtype))
            conn.shutdown(socket.SHUT_RDWR)
            conn.close()
            return
    except (FormErr, OSError):
        pass
    # Serve the first query, then the rest of the connection.
    try:
        reply, delay = handle(buf, "tcp")
        if reply is not None:
            if delay:
                time.sleep(delay)
            conn.sendall(struct.pack("!H", len(reply)) + reply)
    except OSError:
        conn.close()
        return
    serve_tcp_conn(conn)


def cmd_serve(args):
    global SLOW_DELAY, ALL_MODE
    SLOW_DELAY = args.slow_delay
    ALL_MODE = args.all
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    # No SO_REUSEADDR on UDP: a second server on the port must fail to
    # bind, not share the datagrams.
    udp = socket.socket(family, socket.SOCK_DGRAM)
    udp.bind((args.addr, args.port))
    tcp = socket.socket(family, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((args.addr, args.port))
    tcp.listen(64)

    def stop(_sig, _frm):
        log("stopping (signal)")
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
    log("listening on %s port %d (UDP and TCP), PID %d"
        % (args.addr, args.port, os.getpid()))
    serve_udp(udp)


# ---------------------------------------------------------------------------
# Client (readiness checks and manual inspection)

def build_query(name, qtype, qid=None):
    qid = random.randint(0, 0xFFFF) if qid is None else qid
    return qid, (struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
                 + encode_name(name) + struct.pack("!HH", qtype, 1))


def ask(server, port, name, qtype, tcp=False, timeout=1.0):
    """Send one query; return the raw reply (bytes) or None on timeout."""
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    qid, query = build_query(name, qtype)
    if tcp:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            try:
                s.connect((server, port))
                s.sendall(struct.pack("!H", len(query)) + query)
                head = recv_exact(s, 2)
                if head is None:
                    return b""
                return recv_exact(s, struct.unpack("!H", head)[0]) or b""
            except (socket.timeout, ConnectionError):
                return None
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(query, (server, port))
        try:
            return s.recvfrom(65535)[0]
        except (socket.timeout, ConnectionError):
            return None


def read_name(buf, off):
    labels, jumped, end = [], False, off
    for _ in range(128):
        n = buf[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | buf[off + 1]
            jumped = True
            continue
        off += 1
        if n == 0:
            return ".".join(labels) + ".", (end if jumped else off)
        labels.append(buf[off:off + n].decode("ascii", "backslashreplace"))
        off += n
    raise ValueError("name loop")


def describe(buf):
    if buf is None:
        return "no reply (timeout)"
    if len(buf) < 12:
        return "short reply (%d octets): %s" % (len(buf), buf.hex())
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", buf[:12])
    lines = ["id %d rcode %d flags%s%s qd %d an %d ns %d ar %d"
             % (qid, flags & 0xF, " TC" if flags & 0x200 else "",
                " AA" if flags & 0x400 else "", qd, an, ns, ar)]
    try:
        off = 12
        for _ in range(qd):
            name, off = read_name(buf, off)
            qtype = struct.unpack("!H", buf[off:off + 2])[0]
            lines.append("question %s type %d" % (name, qtype))
            off += 4
        for _ in range(an + ns):
            name, off = read_name(buf, off)
            rtype, _cls, ttl, rdlen = struct.unpack("!HHIH", buf[off:off + 10])
            off += 10
            rdata = buf[off:off + rdlen]
            if len(rdata) < rdlen:
                lines.append("RR %s type %d: RDATA runs past the end" % (name, rtype))
                break
            if rtype == T_TXT:
                strings, i = [], 0
                while i < len(rdata):
                    strings.append(rdata[i + 1:i + 1 + rdata[i]].decode("ascii", "backslashreplace"))
                    i += 1 + rdata[i]
                value = " ".join('"%s"' % s for s in strings)
            elif rtype == T_MX:
                value = "%d %s" % (struct.unpack("!H", rdata[:2])[0], read_name(buf, off + 2)[0])
            elif rtype in (T_CNAME, T_NS):
                value = read_name(buf, off)[0]
            elif rtype == T_A:
                value = ".".join(str(b) for b in rdata)
            else:
                value = rdata.hex()
            lines.append("%s %d type %d %s" % (name, ttl, rtype, value))
            off += rdlen
    except (IndexError, ValueError, struct.error) as e:
        lines.append("unparsable: %s" % e)
    return "\n".join(lines)


def cmd_query(args):
    qtype = TYPE_NAMES.get(args.type.upper())
    if qtype is None:
        qtype = int(args.type)
    print(describe(ask(args.server, args.port, args.name, qtype, args.tcp, args.timeout)))
    return 0


# ---------------------------------------------------------------------------
# start / stop with a PID file (daemon.py)

def cmd_start(args):
    def busy():
        return ask(args.addr, args.port, "fault.test", T_SOA, timeout=0.3) is not None

    def ready():
        return (ask(args.addr, args.port, "fault.test", T_SOA, timeout=0.2)
                and ask(args.addr, args.port, "fault.test", T_SOA, tcp=True,
                        timeout=0.2))

    argv = [sys.executable, os.path.abspath(__file__), "serve",
            "--addr", args.addr, "--port", str(args.port),
            "--slow-delay", str(args.slow_delay)]
    if args.all:
        argv += ["--all", args.all]
    return daemon.start("faultdns", args.rundir, argv, ready,
                        "answering on %s port %d" % (args.addr, args.port), busy)


def cmd_stop(args):
    return daemon.stop("faultdns", args.rundir)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--addr", default=DEFAULT_ADDR)
        sp.add_argument("--port", type=int, default=DEFAULT_PORT)
        sp.add_argument("--slow-delay", type=float, default=1.5)
        sp.add_argument("--all", choices=sorted(MODES - {"ok"}), default=None,
                        metavar="MODE", help="MODE for every name")

    sp = sub.add_parser("start")
    sp.add_argument("rundir")
    common(sp)
    sp = sub.add_parser("stop")
    sp.add_argument("rundir")
    sp = sub.add_parser("serve")
    common(sp)
    sp = sub.add_parser("query")
    sp.add_argument("name")
    sp.add_argument("type")
    sp.add_argument("--tcp", action="store_true")
    sp.add_argument("--server", default=DEFAULT_ADDR)
    sp.add_argument("--port", type=int, default=DEFAULT_PORT)
    sp.add_argument("--timeout", type=float, default=2.0)
    args = p.parse_args()
    if args.cmd == "start":
        return cmd_start(args)
    if args.cmd == "stop":
        return cmd_stop(args)
    if args.cmd == "query":
        return cmd_query(args)
    return cmd_serve(args)


if __name__ == "__main__":
    sys.exit(main())
