"""tls_ws.py — a WSS client for test_tls.sh: TLS handshake checked against the test's own
self-signed certificate, the RFC 6455 upgrade, one subscription, the first answer.

usage: python3 tls_ws.py PORT CAFILE  -> prints "TLSv1.3 <first text frame>" or exits 1
"""
import base64
import os
import socket
import ssl
import struct
import sys


def frame(text):
    data = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    head += bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack("!H", len(data))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def read_frame(s):
    b0, b1 = read_exact(s, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", read_exact(s, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", read_exact(s, 8))[0]
    return b0 & 0x0F, read_exact(s, n)


def main():
    port, cafile = int(sys.argv[1]), sys.argv[2]
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                       f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n").encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += read_exact(s, 1)
            if not head.startswith(b"HTTP/1.1 101"):
                sys.exit("no upgrade: " + head.decode(errors="replace"))
            s.sendall(frame('{"op":"subscribe","channel":"candles","asset":"BTC","interval":"1m"}'))
            for _ in range(20):
                op, data = read_frame(s)
                if op == 1:
                    print(s.version(), data.decode())
                    return
    sys.exit("no text frame")


main()
