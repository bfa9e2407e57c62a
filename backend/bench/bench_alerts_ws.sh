#!/usr/bin/env bash
# bench_alerts_ws.sh — how long an alert firing takes from the price update that caused it to
# a WebSocket client (issue 19 figure "bar close to WebSocket toast p99 <= 50 ms").
# `cpe serve` on the simulator (an in-progress candle every 50 ms, a minute every second),
# RULES price_cross rules (default 40, cooldown 0) at levels 0.02 % apart around the price,
# so the walk crosses some at most updates; one `cpe stream --stamp` client subscribed to
# the BTC alerts channel for BENCH_S seconds (default 20). A firing's t_ms is the wall time
# the pipeline emitted the price update (cpe/alerts.h), so its latency is arrival - t_ms
# (one machine, one clock): evaluation, the firing's store write, the push. The browser's
# render of the toast is not in it. One JSON line:
#   {"bench":"alerts_ws","rules":N,"samples":N,"p50_ms":..,"p99_ms":..,"max_ms":..}
# Usage: bench_alerts_ws.sh (CPE_BIN, default build/release/cpe).
cd "$(dirname "$0")/../.."
CPE_BIN=${CPE_BIN:-build/release/cpe}
source backend/tests/integration/lib.sh # $tmp, start_serve (sets $port, $B)
secs=${BENCH_S:-20}
rules=${RULES:-40}
export CPE_DB=$tmp/s.db CPE_MODELS=$tmp/models CPE_SYMBOLS=BTCUSDT CPE_RETRAIN=0 CPE_PREDICT=0
"$CPE_BIN" simulate --symbols BTCUSDT --days 1 >/dev/null 2>&1 || exit 1
CPE_LIVE_MINUTE_MS=1000 CPE_LIVE_TICK_MS=50 start_serve --source simulate
sleep 1 # the first live price, the rules' reference
python3 - "$port" "$rules" <<'PY' || exit 1
import json, sys, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
md = json.load(urllib.request.urlopen(f"{base}/market-data?asset=BTC&interval=1m"))
last = md["close"][-1]
n = int(sys.argv[2])
for k in range(n):
    level = round(last * (1 + (k - n / 2) * 0.0002), 2)
    body = json.dumps({"kind": "price_cross", "asset": "BTC", "level": level, "cooldown_s": 0})
    req = urllib.request.Request(f"{base}/alerts", body.encode(), {"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
PY
sub='{"op":"subscribe","channel":"alerts","asset":"BTC"}'
"$CPE_BIN" stream --url "ws://127.0.0.1:$port/ws" --send "$sub" --stamp \
  --timeout-ms $((secs * 1000)) >"$tmp/ws" 2>/dev/null
python3 - "$tmp/ws" "$rules" <<'PY'
import json, sys
lat = []
for line in open(sys.argv[1]):
    t, _, body = line.partition(" ")
    try: m = json.loads(body)
    except ValueError: continue
    if m.get("type") == "alert": lat.append(int(t) - m["t_ms"])
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None
print(json.dumps({"bench": "alerts_ws", "rules": int(sys.argv[2]), "samples": len(lat),
                  "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": lat[-1] if lat else None}))
PY
