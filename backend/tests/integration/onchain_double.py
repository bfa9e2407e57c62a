#!/usr/bin/env python3
"""A local double of the on-chain services for `cpe onchain` (test_onchain.sh): Glassnode,
CryptoQuant, Whale Alert and DefiLlama's stablecoins in their public answer shapes, with
values computed from the timestamp (so every run answers the same).

  onchain_double.py --port P [--fail429 N] [--fail500 N] [--days-back D]

--fail429 N: the first N requests answer 429 with Retry-After: 1; --fail500 N: the next N
answer 500; --broken: Glassnode answers truncated JSON. Keyed services answer 401 without their key header. GET /_stats gives the
request counts. Whale Alert: 3 transfers an hour (to an exchange, from one, neither),
120 in the 12:00 hour (so that hour needs a second page through the cursor)."""
import argparse, datetime, json, math, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--fail429", type=int, default=0)
ap.add_argument("--fail500", type=int, default=0)
ap.add_argument("--broken", action="store_true")
args = ap.parse_args()
lock = threading.Lock()
stats = {"requests": 0, "by_path": {}, "rate_limited": 0, "errors": 0}
DAY = 86400


def day_value(day, k):
    return round(1000 * math.sin(day / 7.0 + k) + 50 * k, 4)


def whale(hour_s, cur):
    n = 120 if (hour_s // 3600) % 24 == 12 else 3
    txs = []
    for i in range(n):
        kind = i % 3
        frm = {"owner_type": "exchange" if kind == 1 else "unknown", "owner": "x"}
        to = {"owner_type": "exchange" if kind == 0 else "unknown", "owner": "y"}
        txs.append({"blockchain": "bitcoin", "symbol": cur, "transaction_type": "transfer",
                    "hash": "%x%d" % (hour_s, i), "timestamp": hour_s + 60 * (i % 60),
                    "amount": 10 + i, "amount_usd": 1000000 + 1000 * i + (hour_s // 3600) % 97,
                    "from": frm, "to": to})
    return txs


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if u.path == "/_stats":
            with lock:
                return self.send(200, stats)
        with lock:
            stats["requests"] += 1
            stats["by_path"][u.path] = stats["by_path"].get(u.path, 0) + 1
            if args.fail429 > 0:
                args.fail429 -= 1
                stats["rate_limited"] += 1
                return self.send(429, {"error": "too many requests"}, [("Retry-After", "1")])
            if args.fail500 > 0:
                args.fail500 -= 1
                stats["errors"] += 1
                return self.send(500, {"error": "internal"})
        p = u.path
        if p.startswith("/v1/metrics/"):
            if not self.headers.get("X-Api-Key"):
                return self.send(401, {"error": "no key"})
            if args.broken:  # a truncated answer
                body = b'[{"t": 1704067200, "v": 1.5}, {"t": 17040'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return self.wfile.write(body)
            k = len(p) % 5
            s, e = int(q["s"]), int(q["u"])
            d0 = -(-s // DAY)
            return self.send(200, [{"t": d * DAY, "v": day_value(d, k)}
                                   for d in range(d0, e // DAY + 1)])
        if "/exchange-flows/" in p:
            if not (self.headers.get("Authorization") or "").startswith("Bearer "):
                return self.send(401, {"status": {"code": 401, "message": "no key"}})
            f = datetime.datetime.strptime(q["from"], "%Y%m%dT%H%M%S").replace(tzinfo=datetime.timezone.utc)
            t = datetime.datetime.strptime(q["to"], "%Y%m%dT%H%M%S").replace(tzinfo=datetime.timezone.utc)
            field = "reserve" if p.endswith("reserve") else "netflow_total"
            rows, d = [], int(f.timestamp()) // DAY
            while d * DAY <= t.timestamp():
                day = datetime.datetime.fromtimestamp(d * DAY, datetime.timezone.utc)
                rows.append({"date": day.strftime("%Y-%m-%d"),
                             field: 2e6 + day_value(d, 3) if field == "reserve" else day_value(d, 4)})
                d += 1
            rows.reverse()  # newest first, as CryptoQuant answers
            return self.send(200, {"status": {"code": 200, "message": "success"},
                                   "result": {"window": "day", "data": rows}})
        if p == "/v1/transactions":
            if not self.headers.get("X-WA-API-KEY"):
                return self.send(401, {"result": "error", "message": "no key"})
            start, end, limit = int(q["start"]), int(q["end"]), int(q.get("limit", 100))
            txs = []
            for h in range(start - start % 3600, end, 3600):
                txs += [t for t in whale(h, q.get("currency", "btc")) if start <= t["timestamp"] < end]
            off = int(q.get("cursor", "0") or 0)
            page = txs[off:off + limit]
            nxt = str(off + limit) if off + limit < len(txs) else ""
            return self.send(200, {"result": "success", "cursor": nxt, "count": len(page),
                                   "transactions": page})
        if p == "/stablecoincharts/all":
            import time
            today = int(time.time()) // DAY
            return self.send(200, [{"date": str(d * DAY),
                                    "totalCirculating": {"peggedUSD": 1.5e11 + 1e8 * (d % 50)},
                                    "totalCirculatingUSD": {"peggedUSD": 1.5e11 + 1e8 * (d % 50),
                                                            "peggedEUR": 5e8}}
                                   for d in range(today - 800, today + 1)])
        return self.send(404, {"error": "no such path " + p})


ThreadingHTTPServer(("127.0.0.1", args.port), H).serve_forever()
