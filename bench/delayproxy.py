#!/usr/bin/env python3
"""delayproxy.py: add a round-trip time to loopback UDP and TCP, in user space.

These machines have no netem (tc qdisc ... netem delay). This forwarder sits
in front of a local server and delays every datagram or chunk by half the
round-trip time D in each direction, so that one request/answer exchange
through it costs D on top of what the servers themselves take. Python 3
standard library only (asyncio, one thread).

Usage:
    delayproxy.py start RUNDIR --rtt-ms D [--udp L=U ...] [--tcp L=U ...]
                  start in the background, PID in RUNDIR/delayproxy.pid, log
                  in RUNDIR/delayproxy.log; returns once every listener is
                  bound (the child writes RUNDIR/delayproxy.ready)
    delayproxy.py stop RUNDIR
                  kill exactly that PID (SIGTERM, then SIGKILL after 5 s),
                  wait for it, remove the PID file (test/integration/daemon.py)
    delayproxy.py serve --rtt-ms D [--udp L=U ...] [--tcp L=U ...]
                  run in the foreground (what "start" runs)

L and U are ADDR:PORT (IPv4) or [ADDR]:PORT (IPv6): listen on L, forward to
U. Listen addresses must be on loopback.

The model (what is delayed, and why an exchange costs about one RTT):

UDP   Each client address (ip, port) gets its own upstream socket, so the
      answers find their way back. A datagram from the client is sent
      upstream D/2 after it arrived; a datagram from upstream is sent to the
      client D/2 after it arrived. A query and its answer: D. Datagrams are
      independent: many queries sent together all arrive D/2 later
      together, as on a real path (the delay is latency, not bandwidth).

TCP   Every chunk (what one recv() returns) is delayed by D/2 in its
      direction, in order: each direction has a FIFO and one writer that
      sends chunk k at (arrival of chunk k) + D/2. Chunks are pipelined, not
      queued behind each other's delay, so a flight of several segments
      costs D/2 once, not once per segment. Bandwidth is not limited.

      Connection setup. The kernel completes the client's handshake with
      the proxy at once (loopback), so the client's connect() returns
      after ~0 ms instead of one RTT, and the client sends its first bytes
      (the TLS ClientHello) at once. The proxy puts back the missing RTT:
        - the connection to the upstream server is opened D/2 after the
          accept (the SYN's trip to the server);
        - client data is released no earlier than accept + D, the moment
          the SYN-ACK would have reached the client and its connect() would
          have returned, and then gets the usual D/2: a ClientHello sent at
          once reaches the server at accept + 1.5 D, exactly when it would
          on a real path with RTT D.
      So the handshake costs one RTT as seen by the client's first answer,
      even though connect() itself returns early (an strace shows connect
      at once and the first answer 2 D later, not D later and 2 D later).
      Server-to-client data gets D/2 from its arrival at the proxy, and
      leaves no earlier than accept + 1.5 D, when the client's ACK would
      have reached the server: a greeting sent at once (SMTP, where the
      server speaks first) reaches the client at accept + 2 D, connect plus
      one round trip, as on a real path. For TLS (client first) the answer
      comes later anyway, so nothing changes there.

      End of stream: when one side shuts down its sending half, the proxy
      forwards the shutdown after the chunks before it (same D/2 delay).
      TCP_NODELAY is set on both legs, so Nagle's algorithm adds nothing.

What this does not model: packet loss, bandwidth, TCP slow start (a loopback
server's first flight is not limited by an initial window here), and the
extra delay of the kernel ACKs (only data is delayed).
"""

import argparse
import asyncio
import collections
import os
import signal
import socket
import sys
import time

# The start/stop code of every Python test server: test/integration/daemon.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "integration"))
import daemon  # noqa: E402

def log(msg):
    sys.stdout.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stdout.flush()


def parse_hostport(s):
    if s.startswith("["):
        host, _, rest = s[1:].partition("]")
        if not rest.startswith(":"):
            raise ValueError("bad address %r" % s)
        port = rest[1:]
    else:
        host, sep, port = s.rpartition(":")
        if not sep:
            raise ValueError("bad address %r (ADDR:PORT)" % s)
    return host, int(port)


def fmt_hostport(host, port):
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def parse_pair(s):
    left, sep, right = s.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("expected LISTEN=UPSTREAM, got %r" % s)
    try:
        lst, up = parse_hostport(left), parse_hostport(right)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))
    if not (lst[0].startswith("127.") or lst[0] == "::1"):
        raise argparse.ArgumentTypeError("listen address not on loopback: %s" % left)
    return lst, up


# ---- UDP -----------------------------------------------------------------


class UdpUpstream(asyncio.DatagramProtocol):
    """The upstream leg of one client address."""

    def __init__(self, front, client):
        self.front = front
        self.client = client
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        # answer: to the client, D/2 later
        self.front.later(self.front.transport.sendto, data, self.client)

    def error_received(self, exc):
        log("udp upstream error for %s: %s" % (self.client, exc))


class UdpFront(asyncio.DatagramProtocol):
    def __init__(self, loop, upstream, half):
        self.loop = loop
        self.upstream = upstream
        self.half = half
        self.transport = None
        self.legs = {}  # client addr -> UdpUpstream (or a pending list)
        self.count = 0

    def later(self, fn, *args):
        if self.half <= 0:
            fn(*args)
        else:
            self.loop.call_later(self.half, fn, *args)

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.count += 1
        leg = self.legs.get(addr)
        if isinstance(leg, UdpUpstream):
            self.later(leg.transport.sendto, data)
            return
        if leg is None:
            self.legs[addr] = leg = []
            self.loop.create_task(self._open(addr))
        # the upstream socket is being made: keep the arrival time
        leg.append((self.loop.time(), data))

    async def _open(self, addr):
        family = socket.AF_INET6 if ":" in self.upstream[0] else socket.AF_INET
        try:
            transport, proto = await self.loop.create_datagram_endpoint(
                lambda: UdpUpstream(self, addr), remote_addr=self.upstream,
                family=family)
        except OSError as e:
            log("udp: cannot open upstream %s: %s" % (self.upstream, e))
            del self.legs[addr]
            return
        pending = self.legs[addr]
        self.legs[addr] = proto
        now = self.loop.time()
        for t, data in pending:
            delay = max(0.0, t + self.half - now)
            self.loop.call_later(delay, transport.sendto, data)


# ---- TCP -----------------------------------------------------------------


class Pipe:
    """One direction of a TCP connection: FIFO of (release time, chunk)."""

    def __init__(self, loop, name):
        self.loop = loop
        self.name = name
        self.q = collections.deque()
        self.ev = asyncio.Event()

    def put(self, release, data):
        self.q.append((release, data))  # data None: end of stream
        self.ev.set()

    async def run(self, writer):
        try:
            while True:
                while not self.q:
                    self.ev.clear()
                    await self.ev.wait()
                release, data = self.q.popleft()
                wait = release - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


async def pump(loop, reader, pipe, not_before, half):
    """Read chunks and queue each for release at max(arrival, not_before)
    + half."""
    try:
        while True:
            data = await reader.read(65536)
            now = loop.time()
            pipe.put(max(now, not_before) + half, data if data else None)
            if not data:
                return
    except (ConnectionError, OSError):
        pipe.put(loop.time(), None)


class TcpFront:
    def __init__(self, loop, upstream, half):
        self.loop = loop
        self.upstream = upstream
        self.half = half
        self.count = 0

    async def handle(self, creader, cwriter):
        loop = self.loop
        t_accept = loop.time()
        self.count += 1
        nodelay(cwriter)
        up = Pipe(loop, "c2s")
        down = Pipe(loop, "s2c")
        # Client bytes: released no earlier than accept + RTT (the virtual
        # SYN-ACK), plus the one-way delay.
        creader_task = loop.create_task(
            pump(loop, creader, up, t_accept + 2 * self.half, self.half))
        # The SYN reaches the server D/2 after the accept.
        if self.half > 0:
            await asyncio.sleep(self.half)
        try:
            sreader, swriter = await asyncio.open_connection(*self.upstream)
        except OSError as e:
            log("tcp: cannot connect to %s: %s" % (self.upstream, e))
            creader_task.cancel()
            cwriter.close()
            return
        nodelay(swriter)
        tasks = [
            creader_task,
            loop.create_task(up.run(swriter)),
            # Server bytes: the server learns of the connection when the
            # client's ACK arrives (accept + 1.5 D on a real path), so even
            # a greeting sent at once (SMTP speaks first) leaves no earlier,
            # and reaches the client D/2 later: accept + 2 D.
            loop.create_task(
                pump(loop, sreader, down, t_accept + 3 * self.half, self.half)),
            loop.create_task(down.run(cwriter)),
        ]
        await asyncio.gather(*tasks, return_exceptions=True)
        for w in (swriter, cwriter):
            try:
                w.close()
            except OSError:
                pass


# ---- serve / start / stop --------------------------------------------------


async def serve(args):
    loop = asyncio.get_running_loop()
    half = args.rtt_ms / 2000.0
    servers = []
    for (lhost, lport), up in args.udp or []:
        family = socket.AF_INET6 if ":" in lhost else socket.AF_INET
        await loop.create_datagram_endpoint(
            lambda up=up: UdpFront(loop, up, half), local_addr=(lhost, lport),
            family=family)
        log("udp %s:%d -> %s:%d, %g ms each way" % (lhost, lport, up[0], up[1], half * 1000))
    for (lhost, lport), up in args.tcp or []:
        front = TcpFront(loop, up, half)
        srv = await asyncio.start_server(front.handle, lhost, lport,
                                         reuse_address=True, backlog=128)
        servers.append(srv)
        log("tcp %s:%d -> %s:%d, %g ms each way, +%g ms connection setup"
            % (lhost, lport, up[0], up[1], half * 1000, 2 * half * 1000))
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log("stopping")


def do_start(args, argv):
    rundir = os.path.abspath(args.rundir)
    ready = os.path.join(rundir, "delayproxy.ready")
    os.makedirs(rundir, exist_ok=True)
    if os.path.exists(ready):
        os.unlink(ready)
    cmd = [sys.executable, os.path.abspath(__file__), "serve", "--ready", ready] + argv
    return daemon.start("delayproxy", rundir, cmd, lambda: os.path.exists(ready),
                        "serving (log %s/delayproxy.log)" % rundir, delay=0.05)


def do_stop(rundir):
    return daemon.stop("delayproxy", rundir)


def main():
    p = argparse.ArgumentParser(description="Delay loopback UDP/TCP by a round-trip time.")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--rtt-ms", type=float, required=True,
                        help="round-trip time D: D/2 each way")
        sp.add_argument("--udp", type=parse_pair, action="append", metavar="L=U")
        sp.add_argument("--tcp", type=parse_pair, action="append", metavar="L=U")

    sp = sub.add_parser("start")
    sp.add_argument("rundir")
    common(sp)
    sp = sub.add_parser("stop")
    sp.add_argument("rundir")
    sp = sub.add_parser("serve")
    sp.add_argument("--ready", help=argparse.SUPPRESS)
    common(sp)
    args = p.parse_args()
    if args.cmd == "stop":
        return do_stop(os.path.abspath(args.rundir))
    if args.rtt_ms < 0:
        p.error("--rtt-ms must be 0 or more")
    if not args.udp and not args.tcp:
        p.error("nothing to forward: give --udp and/or --tcp")
    if args.cmd == "start":
        child = ["--rtt-ms", repr(args.rtt_ms)]
        for opt in ("udp", "tcp"):
            for (lh, lp), (uh, up) in getattr(args, opt) or []:
                child += ["--" + opt, "%s=%s" % (fmt_hostport(lh, lp), fmt_hostport(uh, up))]
        return do_start(args, child)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
