#!/usr/bin/env python3
"""make_seeds.py — (re)write the seed corpora of backend/fuzz/corpus/ from the project's own
fixtures: the message strings of tests/unit/sources/test_exchange.c, the fixture files that
tests/unit/store/test_import.c writes (run it first; pass its tmp dir), the first lines of
each shared/data/real file, .env.example, docs/API.md's WebSocket messages and the route
table. Seeds are named by their SHA-1, as libFuzzer names inputs; crash inputs kept as
regression tests (crash-*) are left alone.

Usage: backend/fuzz/make_seeds.py [IMPORT_FIXTURE_DIR] [SHARED_DIR]
"""
import base64, glob, gzip, hashlib, hmac, io, json, os, re, sys, zipfile

here = os.path.dirname(os.path.abspath(__file__))
backend = os.path.dirname(here)
repo = os.path.dirname(backend)


def put(harness, data):
    d = os.path.join(here, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def c_strings(src):
    """Adjacent C string literals joined, unescaped: every string of a C file."""
    out = []
    for m in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', src):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(0))
        out.append("".join(parts).encode().decode("unicode_escape"))
    return out


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload, secret=b"fuzz-secret", alg="HS256"):
    h = b64u(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    p = b64u(json.dumps(payload).encode())
    sig = b64u(hmac.new(secret, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


# Exchange adapters: ctl byte (fuzz_exchange.h) bit 0 ws, bit 1 perp, bits 3-5 REST kind.
src = open(os.path.join(backend, "tests/unit/sources/test_exchange.c")).read()
funcs = re.split(r"\nstatic void (test_\w+)\(void\)", src)
for name, body in zip(funcs[1::2], funcs[2::2]):
    ex = next((e for e in ("binance", "bybit", "okx", "coinbase") if e in name), None)
    if not ex:
        continue
    for s in c_strings(body):
        try:
            json.loads(s)
        except ValueError:
            continue
        put("sources_" + ex, bytes([1 | 2]) + s.encode())  # ws perp
        put("sources_" + ex, bytes([1]) + s.encode())  # ws spot
        for kind in range(6):  # REST, perp, each data kind
            put("sources_" + ex, bytes([2 | kind << 3]) + s.encode())
            if ex == "coinbase":  # spot only: its REST parsers answer spot requests
                put("sources_" + ex, bytes([kind << 3]) + s.encode())

# On-chain parsers: every JSON string of tests/unit/sources/test_onchain.c to the harness of
# the service whose test it is in (fuzz_onchain.h: the input is the answer body as is).
src = open(os.path.join(backend, "tests/unit/sources/test_onchain.c")).read()
onchain_of = {"glassnode": "glassnode", "cryptoquant": "cryptoquant", "whale": "whale_alert",
              "defillama": "defillama"}
chunks = re.split(r"\n(static (?:const char \*\w+|void test_\w+\(void\)))", src)
for head, body in zip(chunks[1::2], chunks[2::2]):
    svc = next((v for k, v in onchain_of.items() if k in head), None)
    for s in c_strings(body) if svc else []:
        try:
            json.loads(s)
        except ValueError:
            continue
        put("sources_" + svc, s)

# JWT: valid, expired, not yet valid, alg none, another secret, malformed.
toks = [jwt({"sub": "a", "exp": 1893456000}), jwt({"sub": "a", "exp": 1000}),
        jwt({"exp": 1893456000, "nbf": 1893000000}), jwt({"exp": 1893456000}, alg="none"),
        jwt({"exp": 1893456000}, secret=b"other"), jwt({"exp": "soon"}), "a.b.c", "..", "e30"]
for t in toks:
    put("api_jwt", t)

# Account bodies: login, refresh/logout, POST /users; a NUL, a wrong type, an extra member.
for body in ['{"username":"alice","password":"correct horse"}', '{"refresh_token":"%s.%s"}' % (b64u(b"f" * 16), b64u(b"s" * 32)),
             '{"username":"carol","password":"carol-pass-1","role":"viewer"}', '{"username":"a\\u0000b","password":"x"}',
             '{"username":1,"password":"x"}', '{"username":"a","password":"x","extra":true}']:
    put("api_auth_body", body)

# HTTP request heads over the route table.
routes = sorted(set(re.findall(r'"(/[a-z/_{}.-]*)"', open(os.path.join(backend, "src/api/routes.c")).read())))
queries = ["asset=BTC&horizon_hours=4", "asset=eth&interval=1h&limit=1000&from=2024-01-01T00:00:00Z",
           "asset=BTCUSDT&from=1704067200000&to=1704153600000", "at=2025-08-31T23:59:00Z&asset=BTC&horizon_hours=24",
           "limit=-1&asset=BTC", "a%20b=c+d&x=%zz"]
for i, r in enumerate(routes):
    path = r.replace("{job_id}", "job-1")
    put("api_http", "GET %s?%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n"
        % (path, queries[i % len(queries)], toks[i % len(toks)]))
put("api_http", "POST /backtest HTTP/1.1\r\nContent-Length: 2\r\nOrigin: http://localhost:5173\r\n\r\n")
put("api_http", "OPTIONS /predict HTTP/1.1\r\n\r\n")
put("api_http", "HEAD /assets/index-Ab12Cd34.js HTTP/1.1\r\n\r\n")

# JSON bodies: /predict and /backtest with a strategy of every key.
put("api_json_body", '{"asset":"BTC","horizon_hours":4,"at":"2025-08-31T00:00:00Z"}')
put("api_json_body", '{"asset":"ETH","horizon_hours":"24","at":1756598400000}')
keys = sorted(set(re.findall(r'"([a-z_]+)"', open(os.path.join(backend, "src/backtest/config.c")).read())))
put("api_json_body", json.dumps({"asset": "BTC", "from": "2025-01-01", "to": "2025-03-01", "strategy": {
    "p_up_min": 0.6, "p_down_min": 0.6, "min_confidence": 0.1, "horizons": [4], "allow_short": True,
    "max_position": 1, "target_vol": 0.5, "order_type": "market", "commission_bps": 5, "slippage_bps": 2,
    "initial_cash": 10000, "seed": 1}}))
put("api_json_body", json.dumps({"asset": "BTC", "from": 1735689600000, "to": 1740787200000, "strategy": {
    "walk_forward": {"enabled": True, "train_days": 90, "test_days": 30, "step_days": 30,
                     "thresholds": [0.55, 0.6]}, "order_type": "limit", "limit_fill_prob": 0.5}}))
put("api_json_body", json.dumps({k: 1 for k in keys}))

# Config: .env.example and a few hostile lines.
env = open(os.path.join(repo, ".env.example")).read()
put("api_config", env)
put("api_config", 'export CPE_PORT="0"\nport=8001\n# c\n\nCPE_RETRAIN_AT=23:59\nCPE_SYMBOLS=\'BTCUSDT\'\n')
put("api_config", "CPE_BUS=redis://127.0.0.1:6390\nrole=worker\nbus=redis://cache\nCPE_BUS=redis://u:p@h:0\n")
for line in env.splitlines():
    if line and not line.startswith("#"):
        put("api_config", line + "\n")

# WebSocket client messages (docs/API.md).
for m in ['{"op":"subscribe","channel":"candles","asset":"BTC","interval":"1m"}',
          '{"op":"subscribe","channel":"predictions","asset":"ethusdt"}',
          '{"op":"unsubscribe","channel":"market","asset":"BTC","interval":"5m"}',
          '{"op":"replay","asset":"BTC","from":"2025-08-01T00:00:00Z","speed":60}',
          '{"op":"replay","asset":"ETH","from":1754006400000,"speed":0,"interval":"1h"}',
          '{"op":"replay","speed":10}', '{"op":"replay_step"}', '{"op":"replay_stop"}',
          '{"op":"ping"}', '{"op":"dance"}', '[1]']:
    put("api_ws_msg", m)

# Bus messages (api/bus_msg.h): header line + the JSON a WebSocket client gets.
BUS = [("candles", "BTC", "1m", 1, '{"type":"candle","asset":"BTC","interval":"1m","t":1754006400000,'
        '"o":1,"h":2,"l":0.5,"c":1.5,"v":10,"closed":false}'),
       ("candles", "ETH", "1h", 0, '{"type":"candle","asset":"ETH","interval":"1h","closed":true}'),
       ("predictions", "BTC", "-", 0, '{"type":"prediction","asset":"BTC","horizon_hours":4,"p_up":0.53}'),
       ("market", "ETH", "-", 0, '{"type":"market","asset":"ETH","stale":true}'),
       ("market", "-", "-", 0, ""),
       ("jobs", "-", "-", 0, '{"type":"job","job_id":"bt-00ff12ab34cd56ef-1","status":"running",'
        '"cancel_requested":false,"progress":{"stage":"training","folds_total":2,"folds_done":1,'
        '"folds_reused":0,"folds_trained":1,"folds_backfilled":0,"eta_ms":4100}}')]
for i, (kind, asset, iv, coll, js) in enumerate(BUS):
    put("api_bus_msg", "%016x %d %s %s %s %d\n%s" % (0x00ff12ab34cd56ef + i, i + 1, kind, asset, iv, coll, js))
put("api_bus_msg", "00ff12ab34cd56ef 0 jobs BTC 1m 2\n{}")

# Importer: ctl byte = name index (fuzz_store_import.c names[]) + 16 * extension index.
NAMES = ["-1m-2024-01-01", "aggTrades", "/trades/", "fundingRate-2024", "premiumIndexKlines", "metrics",
         "bookDepth", "liquidationSnapshot", "klines_1m", "ohlcv", "fundingRate_8h", "fearGreedIndex",
         "futuresOpenInterestUSD", "liquidationEvents", "aggTradesLargeOnly", "series"]


def name_index(path):
    p = path.replace(os.sep, "/")
    for i in (4, 3, 10, 11, 12, 13, 14, 9, 8, 7, 6, 5, 2, 1, 0):
        if NAMES[i] in p:
            return i
    return 15


def put_import(idx, text):
    put("store_import", bytes([idx]) + text)
    put("store_import", bytes([idx + 16]) + gzip.compress(text, mtime=0))
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.csv", text)
    put("store_import", bytes([idx + 32]) + z.getvalue())


if len(sys.argv) > 1:
    for f in sorted(glob.glob(os.path.join(sys.argv[1], "**/*.csv"), recursive=True)):
        text = open(f, "rb").read()[:2048]
        put_import(name_index(f), text)
shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(repo, "..", "shared")
for f in sorted(glob.glob(os.path.join(shared, "data/real/*.csv*"))):
    op = gzip.open if f.endswith(".gz") else open
    with op(f, "rb") as fh:
        text = b"".join(fh.readline() for _ in range(4))
    put_import(name_index(os.path.basename(f)), text)
put_import(15, b"ts,value\n1704067200000,1.5\n1704067260000,2.5\n")
