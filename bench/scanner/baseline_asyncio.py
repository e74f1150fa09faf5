#!/usr/bin/env python3
"""Baseline for the scanner benchmark: Python asyncio + ssl, GET /version
per target (Connection: close), bounded by a semaphore. Reads "ip port"
lines on stdin; prints "ok N fail M"."""
import asyncio
import ssl
import sys


async def one(ctx, sem, ip, port):
    async with sem:
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection(ip, port, ssl=ctx), 10)
            w.write(f"GET /version HTTP/1.1\r\nHost: {ip}:{port}\r\n"
                    "Connection: close\r\n\r\n".encode())
            data = await asyncio.wait_for(r.read(1 << 20), 10)
            w.close()
            return data.startswith(b"HTTP/1.1 ")
        except Exception:
            return False


async def main():
    conc = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sem = asyncio.Semaphore(conc)
    targets = [l.split() for l in sys.stdin if len(l.split()) == 2]
    res = await asyncio.gather(*(one(ctx, sem, ip, int(p)) for ip, p in targets))
    print(f"ok {sum(res)} fail {len(res) - sum(res)}")


asyncio.run(main())
