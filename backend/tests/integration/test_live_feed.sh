#!/usr/bin/env bash
# Live-data adapters against local exchange doubles (no network): Binance, Bybit and OKX
# doubles on loopback, `cpe record` pointed at them through the base-URL overrides.
# Checks, from the recorder's own JSON report:
#   1. across a disconnect, bars are backfilled: nothing missing, nothing duplicated;
#   2. duplicate, out-of-order and malformed frames are counted and skipped, no crash;
#   3. when Binance goes down, Bybit takes over within the staleness limit, and Binance
#      takes over again after it recovers;
#   4. 429 answers are obeyed (the request rate stays within the adapter's budget);
#   5. a stalled primary (open but silent) is left for Bybit within the staleness limit and
#      taken back after it recovers; 500 answers to backfill requests are retried;
#   6. a hole whose backfill fails on every exchange's REST for 8 s (longer than the retries
#      on all three take) is not abandoned: it is retried in rounds until it is filled.
set -euo pipefail
export CPE_BIN=${CPE_BIN:-build/cpe}
source "$(dirname "$0")/lib.sh"
need_double
CPE=$CPE_BIN

PB=$(free_port); PY=$(free_port); PO=$(free_port)
MINUTE_MS=100   # one market minute every 100 ms
start_double binance "$PB" "$tmp/b.log" --minute-ms $MINUTE_MS
start_double bybit "$PY" "$tmp/y.log" --minute-ms $MINUTE_MS
start_double okx "$PO" "$tmp/o.log" --minute-ms $MINUTE_MS
export CPE_BINANCE_WS_PERP=ws://127.0.0.1:$PB CPE_BINANCE_REST_PERP=http://127.0.0.1:$PB
export CPE_BYBIT_WS_PERP=ws://127.0.0.1:$PY CPE_BYBIT_REST_PERP=http://127.0.0.1:$PY
export CPE_OKX_WS_PERP=ws://127.0.0.1:$PO CPE_OKX_REST_PERP=http://127.0.0.1:$PO
ctl() { curl -sf "http://127.0.0.1:$1/_control?$2" >/dev/null; }
json() { node -e "const r=JSON.parse(require('fs').readFileSync('$1','utf8'));$2"; }

echo "-- 1+2: disconnects, duplicates, reordering, garbage, 429s on the primary"
( sleep 1.5; ctl $PB duplicate=5; sleep 0.8; ctl $PB reorder=3; sleep 0.8; ctl $PB malformed=4
  sleep 1; ctl $PB disconnect=1
  sleep 1.5; ctl $PB http429=2; ctl $PB disconnect=1 ) &
"$CPE" record --db "$tmp/a.db" --symbols BTCUSDT --markets perp --kinds kline --duration 8 >"$tmp/a.json"
cat "$tmp/a.json"
json "$tmp/a.json" '
const b=r.bars[0];
if (b.received < 40) throw new Error("too few bars: "+b.received);
if (b.missing !== 0) throw new Error("bars lost across the disconnects: "+b.missing);
if (b.duplicates !== 0) throw new Error("bars delivered twice: "+b.duplicates);
if (r.reconnects < 2) throw new Error("expected at least 2 reconnects, got "+r.reconnects);
if (b.by_source.binance < b.received) throw new Error("a short disconnect must not move the feed off the primary");
if (r.malformed < 4) throw new Error("malformed frames not counted: "+r.malformed);
if (r.duplicates_dropped < 3) throw new Error("duplicates not dropped: "+r.duplicates_dropped);
if (r.backfilled_bars < 1) throw new Error("no backfill after reconnect");'
stats=$(curl -s "http://127.0.0.1:$PB/_stats"); echo "binance double: $stats"
node -e "const s=$stats; if (s.max_rest_per_sec > 10) throw new Error('REST burst of '+s.max_rest_per_sec+'/s exceeds the budget')"

echo "-- 3: Binance down -> Bybit within the staleness limit -> back to Binance"
( sleep 1.5; ctl $PB down=3000 ) &
"$CPE" record --db "$tmp/b.db" --symbols BTCUSDT --markets perp --kinds kline --duration 9 --recover-ms 1500 >"$tmp/b.json"
cat "$tmp/b.json"
json "$tmp/b.json" '
const b=r.bars[0], k=r.kinds[0];
if (b.by_source.bybit < 1) throw new Error("no bars from the secondary while the primary was down");
if (k.switches < 2) throw new Error("expected a switch to bybit and back, got "+k.switches);
if (k.active !== "binance") throw new Error("did not revert to binance: "+k.active);
if (b.missing !== 0) throw new Error("bars lost around the fallback: "+b.missing);
if (b.duplicates !== 0) throw new Error("bars duplicated around the fallback: "+b.duplicates);'
echo "-- 5: a primary silent for 7 s (connected; the price limit is 5 s) -> Bybit, and back; REST 500s during backfill are retried"
( sleep 1.5; ctl $PB stall=7000; sleep 9; ctl $PB http500=3; ctl $PB disconnect=1 ) &
"$CPE" record --db "$tmp/c.db" --symbols BTCUSDT --markets perp --kinds kline --duration 14 --recover-ms 1500 >"$tmp/c.json"
cat "$tmp/c.json"
json "$tmp/c.json" '
const b=r.bars[0], k=r.kinds[0];
if (b.by_source.bybit < 1) throw new Error("no bars from the secondary while the primary stalled");
if (k.active !== "binance") throw new Error("did not revert to binance after the stall: "+k.active);
if (b.missing !== 0) throw new Error("bars lost around the stall and the 500s: "+b.missing);
if (b.duplicates !== 0) throw new Error("bars duplicated around the stall: "+b.duplicates);
if (r.rest_errors < 1) throw new Error("the 500 answers were not seen: rest_errors "+r.rest_errors);'
echo "-- 6: Binance down 1.5 s (a hole), every exchange's REST down 8 s: the hole is still filled"
( sleep 1.5; ctl $PB down=1500; ctl $PB rest_down=8000; ctl $PY rest_down=8000; ctl $PO rest_down=8000 ) &
CPE_FEED_BACKOFF_MS=50 "$CPE" record --db "$tmp/d.db" --symbols BTCUSDT --markets perp --kinds kline --duration 14 \
  >"$tmp/d.json" 2>"$tmp/d.err"
cat "$tmp/d.json"
grep -q 'failed on every exchange' "$tmp/d.err" || { echo "the backfill never failed on every exchange:"; tail -5 "$tmp/d.err"; exit 1; }
json "$tmp/d.json" '
const b=r.bars[0];
if (b.missing !== 0) throw new Error("a hole was abandoned while every REST was down: "+b.missing+" bars");
if (b.duplicates !== 0) throw new Error("bars duplicated: "+b.duplicates);
if (r.backfilled_bars < 1) throw new Error("nothing was backfilled");'
echo "live feed: all checks passed"
