#!/usr/bin/env python3
"""heavy_order.py HOST PORT N ASSET: send N GET /market-data of 10,000 1m bars on N
connections and, once the first of them starts coming back, GET /predict on one more
connection while the others are in flight; print one
JSON line: the order of the answers' first bytes (the server writes an answer's head when
its handler is done), which /market-data were still unanswered when /predict was sent
("in_flight"), statuses and sizes. Used by test_serve_heavy.sh: ordering only, no timing
threshold."""
import json
import select
import socket
import sys
import time

host, port, n, asset = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def request(path):
    s = socket.create_connection((host, port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    s.setblocking(False)
    return s


conns = {}
first = []  # names in the order their first byte came


def pump(timeout):
    ready, _, _ = select.select(list(conns), [], [], timeout)
    for s in ready:
        name, data = conns[s]
        chunk = s.recv(1 << 20)
        if chunk and not data:
            first.append(name)
        if chunk:
            conns[s][1] = data + chunk
        else:
            done[name] = data
            del conns[s]
            s.close()


done = {}
for i in range(n):
    conns[request(f"/market-data?asset={asset}&interval=1m&limit=10000")] = [f"market_data_{i}", b""]
t_end = time.time() + 30  # until the first answer starts: the workers are busy and the
while not first and time.time() < t_end:  # server has read the requests (one poll round)
    pump(0.01)
pump(0)
in_flight = [f"market_data_{i}" for i in range(n) if f"market_data_{i}" not in first]
conns[request(f"/predict?asset={asset}&horizon_hours=1")] = ["predict", b""]
deadline = time.time() + 120
while conns and time.time() < deadline:
    pump(1.0)


def status(data):
    parts = data.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 else 0


later = [x for x in first if x in in_flight or x == "predict"]
print(json.dumps({
    "first_byte_order": first,
    "in_flight": in_flight,
    "ahead_of_predict": later.index("predict") if "predict" in later else -1,
    "status": {k: status(v) for k, v in done.items()},
    "size": {k: len(v) for k, v in done.items()},
    "unfinished": len(conns),
}))
