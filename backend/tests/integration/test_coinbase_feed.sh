#!/usr/bin/env bash
# Coinbase as a fallback of the live feed (spot; no network): a Binance double and a Coinbase
# double on loopback, Bybit and OKX pointed at a closed port, `cpe record --markets spot`.
# Coinbase streams no 1m candles, only "ticker" (the minute in progress) and "matches"; so:
#   1. with Binance down for 3 s (Bybit and OKX unreachable), the price kind falls back to
#      Coinbase and takes Binance back after it recovers;
#   2. no closed bar is lost or doubled: the hole is backfilled over REST once Binance is
#      back, and Coinbase contributes no closed bar of its own;
#   3. the perp market never falls back to Coinbase (it lists no perpetuals).
set -euo pipefail
export CPE_BIN=${CPE_BIN:-build/cpe}
source "$(dirname "$0")/lib.sh"
need_double
CPE=$CPE_BIN

PB=$(free_port); PC=$(free_port); DEAD=$(free_port)
start_double binance "$PB" "$tmp/b.log" --minute-ms 100
start_double coinbase "$PC" "$tmp/c.log" --minute-ms 100
for m in SPOT PERP; do
  export CPE_BINANCE_WS_$m=ws://127.0.0.1:$PB CPE_BINANCE_REST_$m=http://127.0.0.1:$PB
  export CPE_COINBASE_WS_$m=ws://127.0.0.1:$PC CPE_COINBASE_REST_$m=http://127.0.0.1:$PC
  for ex in BYBIT OKX; do
    export CPE_${ex}_WS_$m=ws://127.0.0.1:$DEAD CPE_${ex}_REST_$m=http://127.0.0.1:$DEAD
  done
done
json() { node -e "const r=JSON.parse(require('fs').readFileSync('$1','utf8'));$2"; }

echo "-- 1+2: Binance down -> Coinbase -> back to Binance, no bar lost or doubled"
( sleep 1.5; curl -sf "http://127.0.0.1:$PB/_control?down=3000" >/dev/null ) &
"$CPE" record --db "$tmp/a.db" --symbols BTCUSDT --markets spot --kinds kline --duration 10 \
  --recover-ms 1500 >"$tmp/a.json"
cat "$tmp/a.json"
json "$tmp/a.json" '
const b=r.bars[0], k=r.kinds[0];
if (k.switches < 2) throw new Error("expected a switch to coinbase and back, got "+k.switches);
if (k.active !== "binance") throw new Error("did not revert to binance: "+k.active);
if (b.missing !== 0) throw new Error("bars lost around the fallback: "+b.missing);
if (b.duplicates !== 0) throw new Error("bars duplicated around the fallback: "+b.duplicates);
if (b.by_source.coinbase !== 0) throw new Error("coinbase has no closed 1m stream: "+b.by_source.coinbase);
if (r.backfilled_bars < 1) throw new Error("the hole was not backfilled");
// the Binance double sends closed bars only: events beyond them are Coinbase tickers (minutes
// in progress), counted only while Coinbase was the active source of the price
if (r.events - b.received < 1) throw new Error("no coinbase ticker was used while binance was down");'
c=$(curl -s "http://127.0.0.1:$PC/_stats")
echo "coinbase double: $c"
node -e "const s=$c; if (s.ws_connections < 1) throw new Error('the feed never connected to coinbase')"

echo "-- 3: perp: Coinbase is never tried"
( sleep 1; curl -sf "http://127.0.0.1:$PB/_control?down=2500" >/dev/null ) &
before=$(curl -s "http://127.0.0.1:$PC/_stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).ws_connections))')
"$CPE" record --db "$tmp/b.db" --symbols BTCUSDT --markets perp --kinds kline --duration 5 \
  --recover-ms 1500 >"$tmp/b.json"
after=$(curl -s "http://127.0.0.1:$PC/_stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).ws_connections))')
json "$tmp/b.json" '
const k=r.kinds[0];
if (k.active === "coinbase") throw new Error("perp fell back to coinbase");'
[ "$before" = "$after" ] || { echo "FAIL: the perp feed connected to coinbase ($before -> $after)"; exit 1; }
echo "coinbase feed: all checks passed"
