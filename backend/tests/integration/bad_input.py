#!/usr/bin/env python3
"""bad_input.py — issue 18 item 6: malformed and hostile requests against the real `cpe serve`
($CPE_BIN, started here over a simulated store, static files in a temporary folder). Each case must get its 4xx status with the spec's
error JSON ({"error":{"code","message","details"},"fallback":{...}}, docs/API.md), or its
WebSocket close code / error message, while a well-behaved client (HTTP and WebSocket) is
served throughout. Prints "ok|FAIL NAME" per case and "N passed, N failed"."""
import base64, json, os, re, shutil, socket, struct, subprocess, sys, tempfile, threading, time

HOST = "127.0.0.1"
PORT = 0
results = []


def record(name, good, why=""):
    results.append(good)
    print(("ok   " if good else "FAIL ") + name + ("" if good else ": " + why), flush=True)


def conn(timeout=5):
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    return s


def read_all(s):
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def http_raw(raw, timeout=5):
    """Send raw bytes, read to EOF: (status or None when closed without an answer, headers, body)."""
    s = conn(timeout)
    try:
        s.sendall(raw)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = read_all(s)
    s.close()
    if not data.startswith(b"HTTP/"):
        return None, b"", data
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), head, body


def req(method, target, headers=(), body=b""):
    h = "".join("%s: %s\r\n" % kv for kv in headers)
    if body or method == "POST":
        h += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    return ("%s %s HTTP/1.1\r\nHost: %s:%d\r\n%sConnection: close\r\n\r\n" % (method, target, HOST, PORT, h)).encode("latin-1") + body


def error_json(body, code=None):
    try:
        j = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        return "body is not UTF-8 JSON (%s): %r" % (e, body[:120])
    e = j.get("error") if isinstance(j, dict) else None
    if not isinstance(e, dict) or not isinstance(e.get("code"), str) or not isinstance(e.get("message"), str) \
            or not isinstance(e.get("details"), dict) or not isinstance(j.get("fallback"), dict):
        return "not the spec's error JSON: %r" % body[:160]
    if code and e["code"] != code:
        return "error code %s, want %s" % (e["code"], code)
    return None


def http_case(name, raw, statuses, code=None, check=None):
    st, head, body = http_raw(raw)
    if st not in statuses:
        return record(name, False, "status %s, want %s: %r" % (st, statuses, body[:120]))
    why = error_json(body, code) if st and st >= 400 else None
    if not why and check:
        why = check(head, body)
    record(name, why is None, why or "")


# ---------------------------------------------------------------- the well-behaved client
stop = threading.Event()
good = {"http": 0, "http_bad": [], "ws_msgs": 0, "ws_bad": []}


def ws_open(path="/ws", version="13", extra=""):
    s = conn(10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n%s\r\n" % (path, HOST, PORT, key, version, extra)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(1)
        if not d:
            break
        head += d
    return s, head


def frame(payload, opcode=1, fin=True, mask=True, rsv=0):
    b0 = (0x80 if fin else 0) | rsv << 4 | opcode
    n = len(payload)
    hdr = bytes([b0])
    m = 0x80 if mask else 0
    if n < 126:
        hdr += bytes([m | n])
    elif n < 65536:
        hdr += bytes([m | 126]) + struct.pack(">H", n)
    else:
        hdr += bytes([m | 127]) + struct.pack(">Q", n)
    if not mask:
        return hdr + payload
    k = os.urandom(4)
    return hdr + k + bytes(c ^ k[i % 4] for i, c in enumerate(payload))


def ws_read(s):
    """One frame: (opcode, payload) or (None, b"") at EOF / timeout."""
    def need(n):
        b = b""
        while len(b) < n:
            d = s.recv(n - len(b))
            if not d:
                raise EOFError
            b += d
        return b
    try:
        b0, b1 = need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", need(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", need(8))[0]
        return b0 & 0x0F, need(n)
    except socket.timeout:
        return None, b""
    except (EOFError, ConnectionResetError, OSError):
        return -1, b""  # closed by the server


def ws_until(s, pred, limit_s=5):
    """Read frames until pred(opcode, payload) or a close/EOF; returns the last frame."""
    end = time.time() + limit_s
    while time.time() < end:
        op, p = ws_read(s)
        if op is None or op == -1 or op == 8 or pred(op, p):
            return op, p
    return None, b""


def well_behaved():
    s, head = ws_open()
    if b" 101 " not in head:
        good["ws_bad"].append("handshake: %r" % head[:80])
    else:
        s.sendall(frame(b'{"op":"subscribe","channel":"candles","asset":"BTC","interval":"1m"}'))
    s.settimeout(0.2)
    last_http = 0
    while not stop.is_set():
        if time.time() - last_http > 0.2:
            last_http = time.time()
            st, _, body = http_raw(req("GET", "/health"))
            if st == 200:
                good["http"] += 1
            else:
                good["http_bad"].append(st)
        op, p = ws_read(s)
        if op == 1:
            good["ws_msgs"] += 1
        elif op == 8:
            good["ws_bad"].append("closed: %r" % p[:40])
            break
    s.close()


# ---------------------------------------------------------------- slowloris
def slowloris(n=20):
    socks = []
    for _ in range(n):
        s = conn(60)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    return socks


def main():
    t = threading.Thread(target=well_behaved, daemon=True)
    t.start()
    time.sleep(0.5)
    slow = slowloris()
    slow_t0 = time.time()

    # -------- HTTP: request line, URI, headers
    E400, E404 = {400}, {404}
    http_case("bad UTF-8 in a query value is a 400 with valid JSON", req("GET", "/market-data?asset=%ff%fe"), E400, "INVALID_PARAMETER")
    http_case("raw non-UTF-8 bytes in the path get the SPA page or a 4xx, nothing else",
              b"GET /\xff\xfe HTTP/1.1\r\nConnection: close\r\n\r\n", E404 | E400 | {200},
              check=lambda h, b: None if b.startswith(b"<html>") or b.startswith(b"{") else "served %r" % b[:40])
    http_case("overlong UTF-8 in a value", req("GET", "/predict?asset=%c0%af&horizon_hours=4"), E400, "INVALID_PARAMETER")
    st, _, body = http_raw(req("GET", "/predict?asset=BT%00C&horizon_hours=4"))
    record("NUL in a query value is refused (400, or closed by lws)", st is None or (st == 400 and error_json(body) is None),
           "status %s %r" % (st, body[:80]))
    st, _, _ = http_raw(req("GET", "/health", [("X-Big", "a" * 20000)]))
    record("a 20 KB header is refused (431 or closed), not served", st in (None, 431, 400), "status %s" % st)
    st, _, _ = http_raw(req("GET", "/market-data?asset=BTC&x=" + "a" * 9000))
    record("a 9 KB URI is refused (414/431/400 or closed)", st in (None, 400, 414, 431), "status %s" % st)
    http_case("a 300-byte query value is a 400 naming it", req("GET", "/market-data?asset=" + "B" * 300), E400, "INVALID_PARAMETER")
    http_case("25 query parameters are a 400", req("GET", "/market-data?" + "&".join("p%d=1" % i for i in range(25))), E400, "INVALID_PARAMETER")
    http_case("header injection through an encoded CRLF stays in the value",
              req("GET", "/predict?asset=BTC%0d%0aX-Injected:%201&horizon_hours=4"), E400, "INVALID_PARAMETER",
              lambda h, b: "injected header" if b"x-injected" in h.lower() else None)
    http_case("header injection through an Origin with CRLF", req("GET", "/health", [("Origin", "http://a%0d%0aX-Injected: 1")]), {200},
              check=lambda h, b: "injected header" if b"x-injected" in h.lower() else None)
    for p in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2f..%2fetc%2fpasswd",
              "/..%5c..%5cetc%5cpasswd", "/static/%252e%252e/%252e%252e/etc/passwd", "/....//....//etc/passwd"]:
        http_case("path traversal %s gets no file outside the static dir" % p, req("GET", p), {200, 400, 403, 404},
                  check=lambda h, b: "served /etc/passwd" if b"root:" in b else None)
    http_case("a static file is served (control)", req("GET", "/hello.txt"), {200},
              check=lambda h, b: None if b"hello" in b else "not the file")
    for q, name in [("limit=-1", "negative"), ("limit=0", "zero"), ("limit=20001", "over the cap"),
                    ("limit=99999999999999999999", "past 64 bits"), ("limit=1e3", "exponent"), ("limit=abc", "text"),
                    ("limit=NaN", "NaN"), ("limit=", "empty"), ("limit=5abc", "trailing text"), ("limit=0x10", "hex")]:
        http_case("market-data limit %s is a 400" % name, req("GET", "/market-data?asset=BTC&" + q), E400, "INVALID_PARAMETER")
    for h in ["-4", "5", "9999999999"]:
        http_case("predict horizon_hours=%s is a 422 INVALID_HORIZON" % h, req("GET", "/predict?asset=BTC&horizon_hours=" + h), {422}, "INVALID_HORIZON")
    for h in ["nan", "4.5", "99999999999999999999999"]:
        http_case("predict horizon_hours=%s is a 400" % h, req("GET", "/predict?asset=BTC&horizon_hours=" + h), E400, "INVALID_PARAMETER")
    http_case("a from of 22 digits is a 400", req("GET", "/predictions?asset=BTC&from=2022222222222222222222&to=1"), E400, "INVALID_PARAMETER")
    http_case("an unknown asset is a 404", req("GET", "/market-data?asset=DOGE"), {404}, "UNKNOWN_ASSET")
    http_case("an unknown route is a 404", req("POST", "/nope", body=b"{}"), E404, "NOT_FOUND")
    http_case("GET on a POST-only route is a 405", req("GET", "/backtest"), {405}, "METHOD_NOT_ALLOWED")
    for m in ["PUT", "DELETE", "PATCH"]:
        st, _, body = http_raw(req(m, "/predict", body=b"{}"))
        record("%s /predict is refused (405 or 400)" % m, st in (400, 405, None) and (st is None or error_json(body) is None),
               "status %s %r" % (st, body[:100]))
    st, _, body = http_raw(b"GARBAGE\r\n\r\n")
    record("a request line that is not HTTP is refused", st in (None, 400, 403, 405, 505), "status %s" % st)
    st, _, body = http_raw(b"GET /health HTTP/9.9\r\nConnection: close\r\n\r\n")
    record("an unknown HTTP version does not crash the server", st in (None, 200, 400, 505), "status %s" % st)

    # -------- HTTP: JSON bodies
    def post(name, path, body, statuses, code=None):
        http_case(name, req("POST", path, body=body), statuses, code)
    J = {400}
    post("NaN in a JSON number is a 400", "/predict", b'{"asset":"BTC","horizon_hours":NaN}', J, "INVALID_JSON")
    post("Infinity in a JSON number is a 400", "/predict", b'{"asset":"BTC","horizon_hours":Infinity}', J, "INVALID_JSON")
    post("-Infinity in a JSON number is a 400", "/predict", b'{"asset":"BTC","horizon_hours":-Infinity}', J, "INVALID_JSON")
    post("1e999 in a JSON number is a 400", "/predict", b'{"asset":"BTC","horizon_hours":1e999}', J)
    post("a horizon of 4.0000001 is a 400", "/predict", b'{"asset":"BTC","horizon_hours":4.0000001}', J, "INVALID_PARAMETER")
    post("5,000 nested arrays are a 400", "/predict", b"[" * 5000 + b"]" * 5000, J, "INVALID_JSON")
    post("5,000 nested objects are a 400", "/predict", b'{"a":' * 5000 + b"1" + b"}" * 5000, J, "INVALID_JSON")
    post("nesting inside a strategy is a 400", "/backtest", b'{"asset":"BTC","from":"2025-01-01","to":"2025-02-01","strategy":' + b'{"x":' * 3000 + b"1" + b"}" * 3000 + b"}", J)
    post("duplicate keys are a 400", "/predict", b'{"asset":"BTC","asset":"ETH","horizon_hours":4}', J, "INVALID_JSON")
    post("a JSON array body is a 400", "/predict", b"[1,2]", J, "INVALID_JSON")
    post("a JSON string body is a 400", "/predict", b'"BTC"', J, "INVALID_JSON")
    post("a truncated body is a 400", "/predict", b'{"asset":"BT', J, "INVALID_JSON")
    post("bad UTF-8 inside a JSON string is a 400", "/predict", b'{"asset":"\xff\xfe","horizon_hours":4}', J, "INVALID_JSON")
    post("an empty body is a 400", "/predict", b"", J, "INVALID_JSON")
    post("a NUL escape in a key is a 400", "/predict", b'{"asset\\u0000":"BTC","horizon_hours":4}', J)
    post("a strategy that is not an object is a 400", "/backtest", b'{"asset":"BTC","from":"2025-01-01","to":"2025-02-01","strategy":[1]}', J, "INVALID_PARAMETER")
    post("a strategy with a negative commission is a 400", "/backtest", b'{"asset":"BTC","from":"2025-01-01","to":"2025-02-01","strategy":{"commission_bps":-1}}', J, "INVALID_PARAMETER")
    post("a strategy with an unknown key is a 400", "/backtest", b'{"asset":"BTC","from":"2025-01-01","to":"2025-02-01","strategy":{"moon":1}}', J, "INVALID_PARAMETER")
    post("a backtest of 10 years is a 400", "/backtest", b'{"asset":"BTC","from":"2015-01-01","to":"2025-01-01"}', J, "INVALID_PARAMETER")
    post("a body over 1 MiB is a 413", "/predict", b'{"a":"' + b"x" * (1 << 20) + b'"}', {413}, "BODY_TOO_LARGE")

    # -------- WebSocket handshakes
    for v, want in [("5", 426), ("8", 426), ("14", 426), ("", 426), ("13abc", 426)]:
        s, head = ws_open(version=v)
        st = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else None
        body = read_all(s) if st and st != 101 else b""
        s.close()
        why = None if st == want else "status %s: %r" % (st, head[:60])
        if not why and b"sec-websocket-version: 13" not in head.lower():
            why = "no Sec-WebSocket-Version: 13 header"
        why = why or error_json(body, "UPGRADE_REQUIRED")
        record("ws handshake with version %r gets 426" % v, why is None, why or "")
    s, head = ws_open(path="/nows")
    st = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else None
    s.close()
    record("ws handshake off /ws is refused", st not in (101,), "status %s" % st)

    # -------- WebSocket frames (after a good handshake)
    def ws_case(name, frames, want_close=None, want_error=None, want_type=None, or_close=()):
        s, head = ws_open()
        if b" 101 " not in head:
            return record(name, False, "handshake %r" % head[:60])
        s.settimeout(5)
        for f in frames:
            try:
                s.sendall(f)
            except OSError:
                break
        got = "nothing"
        if want_close is not None:
            op, p = ws_until(s, lambda o, p: False)
            # RFC 6455 7.1.7: the server closes; a Close frame with the code MAY come first
            code = struct.unpack(">H", p[:2])[0] if op == 8 and len(p) >= 2 else None
            ok = code == want_close or op == -1
            got = "close %s" % code if op == 8 else "not closed (op %s)" % op
        else:
            def match(o, p):
                if o != 1:
                    return False
                j = json.loads(p)
                return (want_error and j.get("type") == "error" and j["error"]["code"] == want_error) or \
                       (want_type and j.get("type") == want_type)
            op, p = ws_until(s, match)
            code = struct.unpack(">H", p[:2])[0] if op == 8 and len(p) >= 2 else None
            ok = op == 1 or (op in (8, -1) and code in or_close)
            got = "op %s %r" % (op, p[:100])
        s.close()
        record(name, ok, got)

    sub = b'{"op":"subscribe","channel":"candles","asset":"BTC","interval":"1m"}'
    ws_case("ws: an unknown opcode (3) is closed with 1002", [frame(b"x", opcode=3)], want_close=1002)
    ws_case("ws: an unknown control opcode (0xB) is closed with 1002", [frame(b"", opcode=0xB)], want_close=1002)
    ws_case("ws: reserved bits set are closed with 1002", [frame(sub, rsv=4)], want_close=1002)
    ws_case("ws: a ping of 200 bytes is closed with 1002", [frame(b"p" * 200, opcode=9)], want_close=1002)
    ws_case("ws: a fragmented control frame is closed with 1002", [frame(b"p", opcode=9, fin=False)], want_close=1002)
    ws_case("ws: a continuation without a start is closed with 1002", [frame(sub, opcode=0)], want_close=1002)
    ws_case("ws: a message in three fragments is served", [frame(sub[:10], fin=False), frame(sub[10:30], opcode=0, fin=False),
                                                            frame(sub[30:], opcode=0)], want_type="subscribed")
    ws_case("ws: a 70 KB message is refused with BODY_TOO_LARGE", [frame(b'{"op":"' + b"x" * 70000 + b'"}')], want_error="BODY_TOO_LARGE")
    ws_case("ws: 70 KB in fragments is refused with BODY_TOO_LARGE",
            [frame(b"[" + b" " * 30000, fin=False), frame(b" " * 30000, opcode=0, fin=False), frame(b" " * 10000 + b"]", opcode=0)],
            want_error="BODY_TOO_LARGE")
    ws_case("ws: after a too-large message the connection still serves", [frame(b" " * 70000), frame(sub)], want_type="subscribed")
    ws_case("ws: invalid JSON gets INVALID_JSON", [frame(b"{nope")], want_error="INVALID_JSON")
    ws_case("ws: NaN in a message gets INVALID_JSON", [frame(b'{"op":"replay","speed":NaN}')], want_error="INVALID_JSON")
    ws_case("ws: 3,000 nested arrays get INVALID_JSON", [frame(b"[" * 3000 + b"]" * 3000)], want_error="INVALID_JSON")
    ws_case("ws: a message without op gets INVALID_PARAMETER", [frame(b'{"channel":"candles"}')], want_error="INVALID_PARAMETER")
    ws_case("ws: an unknown op gets INVALID_PARAMETER", [frame(b'{"op":"dance"}')], want_error="INVALID_PARAMETER")
    ws_case("ws: an unknown asset gets UNKNOWN_ASSET", [frame(b'{"op":"subscribe","channel":"candles","asset":"DOGE"}')], want_error="UNKNOWN_ASSET")
    ws_case("ws: a replay from 22 digits gets INVALID_PARAMETER", [frame(b'{"op":"replay","asset":"BTC","from":"2022222222222222222222"}')], want_error="INVALID_PARAMETER")
    ws_case("ws: a replay speed of 1e9 gets INVALID_PARAMETER", [frame(b'{"op":"replay","asset":"BTC","from":"2025-01-01","speed":1e9}')], want_error="INVALID_PARAMETER")
    ws_case("ws: a binary frame gets an error, not a crash", [frame(b"\x00\x01", opcode=2), frame(b'{"op":"ping"}')], want_type="pong")
    ws_case("ws: text that is not UTF-8 is closed with 1007", [frame(b'{"op":"\xff"}')], want_close=1007)
    chans = [b'{"op":"subscribe","channel":"%s","asset":"%s","interval":"%s"}' % (c, a, i)
             for c in (b"candles", b"predictions", b"market") for a in (b"BTC", b"ETH") for i in (b"1m", b"5m", b"15m", b"1h", b"4h", b"1d")]
    burst = [frame(chans[k % len(chans)] if k < 24 else b'{"op":"subscribe","channel":"candles","asset":"BTC","interval":"%d"}' % k)
             for k in range(10000)]
    # a client that sends 10,000 messages without reading its answers is dropped once its
    # queue passes CPE_WS_QUEUE_DROP (docs/SERVER.md); one that reads them is served
    ws_case("ws: 10,000 subscriptions unread: errors past the cap, then the client is dropped",
            [b"".join(burst), frame(b'{"op":"ping"}')], want_type="pong", or_close=(None, 1008, 1011, 1001))
    ws_case("ws: subscriptions past the cap get INVALID_PARAMETER", burst[:30], want_error="INVALID_PARAMETER")

    # -------- slowloris: the slow connections are closed by the server; others were served
    closed = 0
    for s in slow:
        s.settimeout(max(1, 45 - (time.time() - slow_t0)))
        try:
            d = s.recv(1024)
            closed += 1 if d == b"" or d.startswith(b"HTTP/1.1 408") or d.startswith(b"HTTP/") else 0
        except socket.timeout:
            pass
        except OSError:
            closed += 1
        s.close()
    record("slowloris: 20 half-sent requests are closed by the server within 45 s", closed == len(slow),
           "%d of %d closed" % (closed, len(slow)))

    stop.set()
    t.join(5)
    record("the well-behaved client was served throughout (HTTP)", good["http"] > 10 and not good["http_bad"],
           "%d ok, failures %s" % (good["http"], good["http_bad"][:5]))
    record("the well-behaved client was served throughout (WebSocket)", good["ws_msgs"] > 0 and not good["ws_bad"],
           "%d messages, %s" % (good["ws_msgs"], good["ws_bad"][:3]))
    p = sum(results)
    print("%d passed, %d failed" % (p, len(results) - p))
    return 0 if p == len(results) else 1


def serve(tmp):
    """cpe serve on a free port over a simulated store; returns the process and sets PORT."""
    global PORT
    cpe = os.environ["CPE_BIN"]
    subprocess.run([cpe, "simulate", "--days", "2", "--seed", "7", "--db", tmp + "/s.db"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.makedirs(tmp + "/static")
    with open(tmp + "/static/hello.txt", "w") as f:
        f.write("hello\n")
    with open(tmp + "/static/index.html", "w") as f:
        f.write("<html>cockpit</html>\n")
    env = dict(os.environ, CPE_MODELS=tmp + "/models", CPE_RETRAIN="0", CPE_STATIC_DIR=tmp + "/static",
               CPE_LIVE_MINUTE_MS="1000", CPE_LIVE_TICK_MS="50", CPE_RATE_LIMIT_PER_MIN="1000000")
    env.pop("CPE_JWT_SECRET", None)
    out = open(tmp + "/serve.out", "w+")
    p = subprocess.Popen([cpe, "serve", "--port", "0", "--host", HOST, "--db", tmp + "/s.db", "--source", "simulate"],
                         env=env, stdout=out, stderr=open(tmp + "/serve.err", "w"))
    for _ in range(200):
        out.seek(0)
        m = re.search(r"^listening on http://127\.0\.0\.1:(\d+)$", out.read(), re.M)
        if m:
            PORT = int(m.group(1))
            return p
        time.sleep(0.05)
    p.kill()
    sys.exit("server did not start: " + open(tmp + "/serve.err").read())


if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="cpe-bad-input-")
    server = serve(tmp)
    try:
        rc = main()
        if server.poll() is not None:
            print("FAIL the server exited (%s): %s" % (server.returncode, open(tmp + "/serve.err").read()[-500:]))
            rc = 1
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(rc)
