#!/usr/bin/env python3
"""ws_clients.py URL N SECONDS SUBSCRIBE_JSON — N WebSocket clients on one asyncio loop (raw
RFC 6455, no library), each sending SUBSCRIBE_JSON once connected and timing every candle it
receives: latency = arrival wall time - the message's emitted_ms (the wall time the ingest
pipeline made it; one machine, one clock). One JSON line: clients connected, samples,
p50/p99/max ms. Used by bench_nginx.sh; the client's own cost is part of the figure."""
import asyncio, base64, json, os, re, sys, time
from urllib.parse import urlparse

EMITTED = re.compile(rb'"emitted_ms":(\d+)')


async def client(url, sub, lat, until, connected):
    u = urlparse(url)
    try:
        r, w = await asyncio.open_connection(u.hostname, u.port)
    except OSError:
        return
    key = base64.b64encode(os.urandom(16)).decode()
    w.write((f"GET {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await r.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        return
    connected.append(1)
    data = sub.encode()
    mask = os.urandom(4)
    hdr = bytes([0x81, 0x80 | len(data)]) if len(data) < 126 else bytes([0x81, 0xFE]) + len(data).to_bytes(2, "big")
    w.write(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
    try:
        while time.time() < until:
            h = await asyncio.wait_for(r.readexactly(2), until - time.time())
            n = h[1] & 0x7F
            if n == 126:
                n = int.from_bytes(await r.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await r.readexactly(8), "big")
            body = await r.readexactly(n)
            now = time.time() * 1000
            if h[0] & 0x0F == 1 and b'"type":"candle"' in body:
                m = EMITTED.search(body)
                if m:
                    lat.append(now - int(m.group(1)))
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        pass
    w.close()


async def main():
    url, n, secs, sub = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    lat, connected = [], []
    until = time.time() + secs
    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(client(url, sub, lat, until, connected)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # a connection burst the server's accept queue takes
    await asyncio.gather(*tasks)
    lat.sort()
    q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None
    print(json.dumps({"clients": len(connected), "samples": len(lat), "p50_ms": q(0.5),
                      "p99_ms": q(0.99), "max_ms": round(lat[-1], 1) if lat else None}))


asyncio.run(main())
