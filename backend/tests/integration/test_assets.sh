#!/usr/bin/env bash
# test_assets.sh — configured assets end to end (docs/API.md "Assets"): a store simulated for
# BTC, ETH and SOL, a champion trained per asset, then `cpe serve --source simulate` with
# CPE_ASSETS=BTC,ETH,SOL. Checks that
#   1. GET /assets lists the three with their stored series, resolution, the series served,
#      the champion and the newest bar; /openapi.json documents the route;
#   2. the live pipeline predicts all three (/predict 200 for SOL like BTC and ETH, with the
#      champion's version) and /market-data, /explain accept SOL in any case;
#   3. an asset that is not configured (DOGE, or SOL on a server configured BTC,ETH) is 404
#      UNKNOWN_ASSET naming the known ones, over HTTP and WebSocket;
#   4. `cpe simulate` without --symbols simulates the configured assets.
# Needs $CPE_BIN, curl and node. Takes about 40 s (most of it training three models).
set -euo pipefail
CPE=${CPE_BIN:?set CPE_BIN to the cpe binary}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
export CPE_DB=$tmp/s.db CPE_MODELS=$tmp/models CPE_RATE_LIMIT_PER_MIN=0 CPE_RETRAIN=0

echo "-- 4: cpe simulate without --symbols simulates the configured assets"
CPE_ASSETS=BTC,ETH,SOL "$CPE" simulate --days 3 >"$tmp/sim.log" 2>&1 || fail "simulate: $(tail -3 "$tmp/sim.log")"
"$CPE" summary >"$tmp/sum" || fail "summary"
for s in BTCUSDT ETHUSDT SOLUSDT; do
  grep -q "^sim:spot:$s *kline:1m" "$tmp/sum" || fail "simulate did not simulate $s: $(cat "$tmp/sum")"
done
train=()
for s in BTCUSDT ETHUSDT SOLUSDT; do
  "$CPE" train --symbol $s --max-rounds 30 >"$tmp/train-$s.log" 2>&1 &
  train+=($!)
done
for p in "${train[@]}"; do wait "$p" || true; done
for s in BTCUSDT ETHUSDT SOLUSDT; do
  [ -s "$tmp/models/$s/champion" ] || fail "no champion for $s: $(tail -3 "$tmp/train-$s.log")"
done

start() { # LOG ENV... : cpe serve on a free port; sets B
  local log=$1; shift
  env "$@" "$CPE" serve --port 0 --source simulate >"$tmp/$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do grep -q '^listening on' "$tmp/$log" && break; sleep 0.1; done
  B=$(grep -o 'http://[0-9.:]*' "$tmp/$log" | head -1)
  [ -n "$B" ] || fail "serve did not start: $(tail -5 "$tmp/$log")"
}
start serve.log CPE_ASSETS=BTC,ETH,SOL CPE_LIVE_MINUTE_MS=1000
B1=$B
start serve2.log CPE_ASSETS=BTC,ETH CPE_LIVE_MINUTE_MS=1000 CPE_PREDICT=0
B2=$B
B=$B1

echo "-- 1: /assets"
curl -sf "$B/assets" >"$tmp/assets.json" || fail "/assets"
node -e '
const fs=require("fs"), j=JSON.parse(fs.readFileSync(process.argv[1],"utf8"));
const want=["BTC","ETH","SOL"];
if (j.count!==3 || j.assets.map(a=>a.asset).join()!==want.join()) throw new Error("assets "+JSON.stringify(j.assets.map(a=>a.asset)));
if (j.horizons.join()!=="1,4,8,24") throw new Error("horizons "+j.horizons);
for (const a of j.assets) {
  const champ=fs.readFileSync(process.argv[2]+"/"+a.symbol+"/champion","utf8").trim();
  if (a.model.champion!==champ) throw new Error(a.asset+": champion "+a.model.champion+" != "+champ);
  if (a.serving!=="sim:spot:"+a.symbol) throw new Error(a.asset+": serving "+a.serving);
  if (!a.resolutions.includes("1m")) throw new Error(a.asset+": resolutions "+a.resolutions);
  const src=a.sources.find(s=>s.instrument==="sim:perp:"+a.symbol && s.resolution==="1m");
  if (!src || !src.simulated || !(src.bars>=4320)) throw new Error(a.asset+": sources "+JSON.stringify(a.sources));
  if (!(a.newest_bar_ts>=src.first_ts) || !a.newest_bar || !a.simulated || !a.live) throw new Error(a.asset+": freshness "+JSON.stringify(a));
}
' "$tmp/assets.json" "$tmp/models" || fail "/assets body: $(head -c 800 "$tmp/assets.json")"
curl -sf "$B/openapi.json" | grep -q '"/assets"' || fail "/openapi.json has no /assets"

echo "-- 2: every configured asset is predicted, served and explained"
for a in BTC ETH SOL; do
  ok=""
  for _ in $(seq 60); do
    if curl -sf "$B/predict?asset=$a&horizon_hours=4" >"$tmp/p-$a.json"; then ok=1; break; fi
    sleep 0.5
  done
  [ -n "$ok" ] || fail "no prediction for $a within 30 s: $(curl -s "$B/predict?asset=$a&horizon_hours=4" | head -c 300)"
  v=$(cat "$tmp/models/${a}USDT/champion")
  grep -q "\"model_version\":\"$v\"" "$tmp/p-$a.json" || fail "$a predicted without its champion $v: $(head -c 300 "$tmp/p-$a.json")"
  grep -q "\"asset\":\"$a\"" "$tmp/p-$a.json" || fail "$a: $(head -c 300 "$tmp/p-$a.json")"
done
curl -sf "$B/market-data?asset=sol&interval=5m&limit=10" | grep -q '"simulated":true' || fail "/market-data?asset=sol"
curl -sf "$B/explain?asset=SOLUSDT&horizon_hours=1" >/dev/null || fail "/explain?asset=SOLUSDT"

echo "-- 3: unknown assets are 404 with the known ones"
code=$(curl -s -o "$tmp/e.json" -w '%{http_code}' "$B/predict?asset=DOGE&horizon_hours=1")
[ "$code" = 404 ] || fail "DOGE: status $code"
grep -q '"code":"UNKNOWN_ASSET"' "$tmp/e.json" && grep -q '"known":\["BTC","ETH","SOL"\]' "$tmp/e.json" &&
  grep -q 'known: BTC, ETH, SOL' "$tmp/e.json" || fail "DOGE body: $(cat "$tmp/e.json")"
code=$(curl -s -o "$tmp/e2.json" -w '%{http_code}' "$B2/market-data?asset=SOL")
[ "$code" = 404 ] && grep -q '"known":\["BTC","ETH"\]' "$tmp/e2.json" || fail "SOL on a BTC,ETH server: $code $(cat "$tmp/e2.json")"
W=${B/http/ws}/ws
"$CPE" stream --url "$W" --send '{"op":"subscribe","channel":"candles","asset":"sol"}' \
  --count 1 --match '"type":"candle"' --timeout-ms 5000 >"$tmp/ws1" || fail "ws SOL candles: $(head -c 300 "$tmp/ws1")"
grep -q '"asset":"SOL"' "$tmp/ws1" || fail "ws SOL: $(head -c 300 "$tmp/ws1")"
"$CPE" stream --url "$W" --send '{"op":"subscribe","channel":"predictions","asset":"DOGE"}' \
  --count 1 --match UNKNOWN_ASSET --timeout-ms 3000 >"$tmp/ws2" || fail "ws DOGE: $(head -c 300 "$tmp/ws2")"
grep -q 'known: BTC, ETH, SOL' "$tmp/ws2" || fail "ws DOGE error: $(head -c 300 "$tmp/ws2")"
echo ok
