#!/usr/bin/env bash
# bench_bus.sh — what the Redis bus adds to a WebSocket delivery (issue 17, docs/SCALE_OUT.md).
# A throwaway redis-server (backend/tests/redis_tmp.sh), an ingest node (simulator, an
# in-progress candle every 50 ms, a minute every second) and an api node on one store; one
# `cpe stream --stamp` client on each node, subscribed to BTC 1m candles, for BENCH_S
# seconds (default 20). A message's latency is its arrival minus its emitted_ms (the wall
# time the ingest pipeline made it; one machine, one clock): on the ingest node that is the
# local path, on the api node it adds publish, Redis and the subscriber. JSON lines:
#   {"bench":"bus","node":"ingest|api","samples":N,"p50_ms":..,"p99_ms":..,"max_ms":..}
# Usage: bench_bus.sh (CPE_BIN, default build/release/cpe). One client per node: this is
# the bus's own cost, not the issue's 1,000-client figure through nginx.
set -uo pipefail
cd "$(dirname "$0")/../.."
CPE=${CPE_BIN:-build/release/cpe}
secs=${BENCH_S:-20}
if ! command -v redis-server >/dev/null; then
  echo '{"bench":"bus","skip":"needs redis-server (scripts/bootstrap.sh --with-servers)"}'
  exit 0
fi
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; bash backend/tests/redis_tmp.sh stop "$tmp/r"; rm -rf "$tmp"' EXIT
url=$(bash backend/tests/redis_tmp.sh start "$tmp/r") || exit 1
export CPE_DB=$tmp/s.db CPE_MODELS=$tmp/models CPE_SYMBOLS=BTCUSDT CPE_RETRAIN=0 CPE_PREDICT=0
"$CPE" simulate --symbols BTCUSDT --days 1 >/dev/null 2>&1 || exit 1
node() { # name args...: sets port
  "$CPE" serve --port 0 --bus "$url" "${@:2}" >"$tmp/$1.out" 2>"$tmp/$1.err" &
  pids+=($!)
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/$1.out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  exit 1
}
CPE_LIVE_MINUTE_MS=1000 CPE_LIVE_TICK_MS=50 node ingest --role ingest --source simulate
pi=$port
node api --role api
pa=$port
sub='{"op":"subscribe","channel":"candles","asset":"BTC","interval":"1m"}'
"$CPE" stream --url "ws://127.0.0.1:$pi/ws" --send "$sub" --stamp --timeout-ms $((secs * 1000)) >"$tmp/ingest.ws" 2>/dev/null &
si=$!
"$CPE" stream --url "ws://127.0.0.1:$pa/ws" --send "$sub" --stamp --timeout-ms $((secs * 1000)) >"$tmp/api.ws" 2>/dev/null
wait "$si"
for n in ingest api; do
  python3 - "$tmp/$n.ws" "$n" <<'PY'
import json, sys
lat = []
for line in open(sys.argv[1]):
    t, _, body = line.partition(" ")
    try: m = json.loads(body)
    except ValueError: continue
    if m.get("type") == "candle": lat.append(int(t) - m["emitted_ms"])
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None
print(json.dumps({"bench": "bus", "node": sys.argv[2], "samples": len(lat), "p50_ms": q(0.5),
                  "p99_ms": q(0.99), "max_ms": lat[-1] if lat else None}))
PY
done
