#!/usr/bin/env bash
# `cpe serve` on live exchange data (no network: a local Binance double on loopback,
# reached through the base-URL overrides; the spot endpoints point at a closed port, so
# the perp klines are the price). Checks:
#   1. --source live: closed 1m candles arrive over /ws, marked real (simulated: false),
#      once per minute with no duplicate or missing open time, in-progress candles too;
#   2. the bars are stored under their true source and served by /market-data;
#   3. /health names the source "live";
#   4. --source auto takes the exchange when it answers within CPE_LIVE_PROBE_MS, first
#      filling CPE_HISTORY_DAYS of history from it (/health says from which exchange), and
#      falls back to the simulator when nothing answers.
set -euo pipefail
export CPE_BIN=${CPE_BIN:-build/cpe}
source "$(dirname "$0")/lib.sh"
need_double
CPE=$CPE_BIN
fail() { echo "FAIL: $*"; exit 1; }

PB=$(free_port); DEAD=$(free_port)
start_double binance "$PB" "$tmp/double.log" --minute-ms 250 --partial 1
export CPE_BINANCE_WS_PERP=ws://127.0.0.1:$PB CPE_BINANCE_REST_PERP=http://127.0.0.1:$PB
export CPE_BINANCE_WS_SPOT=ws://127.0.0.1:$DEAD CPE_BINANCE_REST_SPOT=http://127.0.0.1:$DEAD
for ex in BYBIT OKX COINBASE; do for m in SPOT PERP; do
  export CPE_${ex}_WS_${m}=ws://127.0.0.1:$DEAD CPE_${ex}_REST_${m}=http://127.0.0.1:$DEAD
done; done
export CPE_SYMBOLS=BTCUSDT CPE_RATE_LIMIT_PER_MIN=0 CPE_MODELS=$tmp/models

start_serve() { # $1 = db, $2 = source; sets B (base URL) and SERVE (pid)
  local log=$tmp/serve-$2-$RANDOM.log
  "$CPE" serve --port 0 --db "$1" --source "$2" >"$log" 2>&1 &
  SERVE=$!; pids+=($SERVE)
  for i in $(seq 150); do
    grep -q '^listening on' "$log" && break
    sleep 0.1
  done
  B=$(sed -n 's|^listening on \(http://[0-9.:]*\).*|\1|p' "$log" | head -1)
  [ -n "$B" ] || fail "serve --source $2 did not start: $(tail -5 "$log")"
}
stop_serve() { kill "$SERVE"; wait "$SERVE" 2>/dev/null || true; }

echo "-- 1: --source live pushes closed and in-progress candles"
start_serve "$tmp/live.db" live
WS=${B/http/ws}/ws
"$CPE" stream --url "$WS" --send '{"op":"subscribe","channel":"candles","asset":"BTC","interval":"1m"}' \
  --count 12 --match '"closed":true' --timeout-ms 20000 >"$tmp/ws.txt" || fail "no closed candles: $(tail -3 "$tmp/ws.txt")"
node -e '
const lines=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse);
const c=lines.filter(m=>m.type==="candle");
const closed=c.filter(m=>m.closed).map(m=>m.bar.t);
if (closed.length<12) throw new Error("closed candles: "+closed.length);
for (let i=1;i<closed.length;i++) if (closed[i]-closed[i-1]!==60000) throw new Error("closed candles not one per minute: "+closed.slice(i-1,i+1));
if (c.some(m=>m.simulated!==false)) throw new Error("live candles must say simulated: false");
if (!c.some(m=>!m.closed)) throw new Error("no in-progress candle");
console.log("closed candles", closed.length, "in order, one per minute; in-progress", c.filter(m=>!m.closed).length);
' "$tmp/ws.txt"

echo "-- 2+3: stored under the true source, served by /market-data; /health says live"
curl -sf "$B/market-data?asset=BTC&interval=1m&limit=500" >"$tmp/md.json" || fail "/market-data"
curl -sf "$B/health" >"$tmp/health.json" || fail "/health"
node -e '
const fs=require("fs");
const md=JSON.parse(fs.readFileSync(process.argv[1],"utf8")), h=JSON.parse(fs.readFileSync(process.argv[2],"utf8"));
if (!(md.t.length>=12)) throw new Error("/market-data has "+md.t.length+" bars");
if (h.source!=="live") throw new Error("health source "+h.source);
const p=h.data.find(d=>d.kind==="price");
const fk=h.feed && h.feed.kinds.find(k=>k.kind==="price");
if (!fk || fk.active!=="binance" || !(fk.age_ms>=0) || fk.max_age_ms!==5000) throw new Error("/health feed: "+JSON.stringify(h.feed));
if (!p || p.instrument!=="binance:perp:BTCUSDT") throw new Error("price instrument "+JSON.stringify(p));
console.log("market-data bars", md.t.length, "from", p.instrument);
' "$tmp/md.json" "$tmp/health.json"
stop_serve

echo "-- 4: --source auto: exchange when it answers, simulator when nothing does"
CPE_HISTORY_DAYS=2 CPE_LIVE_PROBE_MS=5000 start_serve "$tmp/auto.db" auto
curl -sf "$B/health" | grep -q '"source":"live"' || fail "auto with a reachable exchange: $(curl -s "$B/health" | head -c 300)"
curl -sf "$B/health" | grep -q 'history: 2 d from binance (not every series)' ||
  fail "auto: /health does not say where the history came from: $(curl -s "$B/health" | head -c 400)"
stop_serve
# the double's past is in the store, with the open-interest history only REST serves
"$CPE" summary --db "$tmp/auto.db" | awk '$1=="binance:perp:BTCUSDT" && $2=="oi" && $3>=1 {ok=1} END {exit !ok}' ||
  fail "auto: the history was not fetched: $("$CPE" summary --db "$tmp/auto.db")"
export CPE_BINANCE_WS_PERP=ws://127.0.0.1:$DEAD CPE_BINANCE_REST_PERP=http://127.0.0.1:$DEAD
CPE_LIVE_PROBE_MS=1500 start_serve "$tmp/auto2.db" auto
curl -sf "$B/health" | grep -q '"source":"simulated"' || fail "auto without an exchange: $(curl -s "$B/health" | head -c 300)"
echo "ok"
