#!/usr/bin/env python3
"""bench/smtpload.py - the load generator of bench/smtp-bulk.sh: the same
SMTP work as mtasts-check's probe (connect, read the greeting, EHLO,
STARTTLS, TLS handshake with SNI and certificate verification against the
bench's CA, QUIT), N times with C sessions at once, against the same
servers. Python's asyncio and ssl (OpenSSL underneath, as in the tool).

    smtpload.py --ca CA.pem --count N --concurrency C HOST=ADDR [HOST=ADDR...]

The sessions go round-robin over the HOST=ADDR pairs (SNI and name check
HOST, connection to ADDR port 25). Prints one line: "sessions S ok K
seconds T rate R" (R = sessions per second).
"""

import argparse
import asyncio
import ssl
import sys
import time


async def one(host, addr, ctx):
    reader, writer = await asyncio.open_connection(addr, 25)
    try:
        async def reply():
            while True:
                line = await reader.readline()
                if not line:
                    raise ConnectionError("closed")
                if len(line) < 4 or line[3:4] != b"-":
                    return line
        if not (await reply()).startswith(b"220"):
            return False
        writer.write(b"EHLO bench.invalid\r\n")
        await reply()
        writer.write(b"STARTTLS\r\n")
        if not (await reply()).startswith(b"220"):
            return False
        await writer.start_tls(ctx, server_hostname=host)
        writer.write(b"QUIT\r\n")
        await writer.drain()
        return True
    finally:
        writer.close()


async def main_async(args):
    ctx = ssl.create_default_context(cafile=args.ca)
    targets = [t.split("=", 1) for t in args.targets]
    sem = asyncio.Semaphore(args.concurrency)
    ok = 0

    async def task(i):
        nonlocal ok
        host, addr = targets[i % len(targets)]
        async with sem:
            try:
                if await asyncio.wait_for(one(host, addr, ctx), 30):
                    ok += 1
            except (OSError, ssl.SSLError, asyncio.TimeoutError,
                    ConnectionError):
                pass

    t0 = time.monotonic()
    await asyncio.gather(*(task(i) for i in range(args.count)))
    dt = time.monotonic() - t0
    print("sessions %d ok %d seconds %.3f rate %.1f"
          % (args.count, ok, dt, args.count / dt))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ca", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("targets", nargs="+")
    args = ap.parse_args()
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
