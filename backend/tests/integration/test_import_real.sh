#!/usr/bin/env bash
# `cpe import` of every file in $CPE_SHARED/data/real (issue 2 item 6) into a fresh store:
# row counts per series must match the MANIFEST, a second import must add nothing, the
# gap report must find the Fear & Greed gaps the MANIFEST lists, and a truncated gzip and
# a file with a bad row must fail with a non-zero exit and leave the store unchanged.
set -euo pipefail
CPE=${CPE_BIN:-build/cpe}
real=${CPE_SHARED:-}/data/real
if [ -z "${CPE_SHARED:-}" ] || [ ! -d "$real" ]; then
  echo "SKIP test_import_real: \$CPE_SHARED/data/real is absent"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db=$tmp/store.db

"$CPE" import --db "$db" "$real" >"$tmp/first.txt" || { cat "$tmp/first.txt"; fail "first import exited non-zero"; }
tail -n 1 "$tmp/first.txt"
grep -q '^32 file(s) imported, 0 failed' "$tmp/first.txt" || fail "not every file imported"
"$CPE" summary --db "$db" >"$tmp/summary.txt" || fail "summary exited non-zero"

# count INSTRUMENT KIND EXPECTED — the MANIFEST's rows (perp BTC 1h: the 12-column file's
# 5,832 hours lie inside the 6-column file's 23,376)
count() {
  local got
  got=$(awk -v i="$1" -v k="$2" '$1 == i && $2 == k { print $3 }' "$tmp/summary.txt")
  [ "$got" = "$3" ] || fail "$1 $2: $got rows, MANIFEST says $3"
}
count binance:spot:BTCUSDT kline:1m 876960
count binance:spot:ETHUSDT kline:1h 11408
count binance:perp:BTCUSDT kline:1h 23376
count binance:perp:ETHUSDT kline:1h 23376
count binance:perp:BTCUSDT funding 2922
count binance:perp:ETHUSDT funding 2922
count series:CRYPTO:fear_greed series:fear_greed 2765
count series:BTC:futures_open_interest_usd series:futures_open_interest_usd 1857
count series:BTC:exchange_reserves series:exchange_reserves 5309
count binance:perp:BTCUSDT trade_large 11285
count binance:perp:ETHUSDT trade_large 7610
liq=$(awk '$2 == "liq" { n += $3 } END { print n }' "$tmp/summary.txt")
[ "$liq" = 1156 ] || fail "liquidations: $liq rows, MANIFEST says 456 + 700"
grep -q ' trade ' "$tmp/summary.txt" && fail "the large-trades sample must not be stored as a trade tape"

# missing bars as the MANIFEST lists them (0 for klines, 4 and 108 for the daily series)
gaps() {
  local got
  got=$(awk -v i="$1" -v k="$2" '$1 == i && $2 == k { print $6 }' "$tmp/summary.txt")
  [ "$got" = "$3" ] || fail "$1 $2: $got missing bars, MANIFEST says $3"
}
gaps binance:spot:BTCUSDT kline:1m 0
gaps binance:perp:BTCUSDT funding 0
gaps series:CRYPTO:fear_greed series:fear_greed 4
gaps series:BTC:exchange_reserves series:exchange_reserves 108
"$CPE" gaps --db "$db" --instrument series:CRYPTO:fear_greed --kind series:fear_greed >"$tmp/gaps.txt"
grep -q '2018-04-14T00:00:00.000Z .. 2018-04-16T00:00:00.000Z  3 missing' "$tmp/gaps.txt" ||
  { cat "$tmp/gaps.txt"; fail "fear & greed gap 2018-04-14..16 not reported"; }

# a second import adds nothing
"$CPE" import --db "$db" "$real" >"$tmp/second.txt" || fail "second import exited non-zero"
grep -q ' 0 new, 0 updated' "$tmp/second.txt" || { tail -n 1 "$tmp/second.txt"; fail "second import added rows"; }
"$CPE" summary --db "$db" >"$tmp/summary2.txt"
cmp -s "$tmp/summary.txt" "$tmp/summary2.txt" || fail "the summary changed after a re-import"

# bad input: a truncated .gz and a high < low row fail, exit 1, and change nothing
head -c 300000 "$real/binance-spot_BTCUSDT_klines_1m_2024-01-01_2024-01-31.csv.gz" \
  >"$tmp/binance-spot_BTCUSDT_klines_1m_2023-12-01_2023-12-31.csv.gz"
if "$CPE" import --db "$db" "$tmp/binance-spot_BTCUSDT_klines_1m_2023-12-01_2023-12-31.csv.gz" \
  >/dev/null 2>"$tmp/err.txt"; then fail "a truncated gzip was accepted"; fi
grep -q 'truncated gzip' "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "no truncation message"; }
printf 'timestamp,open,high,low,close,volume\n2022-12-31T22:00:00Z,10,11,9,10,1\n2022-12-31T23:00:00Z,10,9,11,10,1\n' \
  >"$tmp/binance-usdm_BTCUSDT_ohlcv_1h_2022-12-31_2022-12-31.csv"
if "$CPE" import --db "$db" "$tmp/binance-usdm_BTCUSDT_ohlcv_1h_2022-12-31_2022-12-31.csv" \
  >/dev/null 2>"$tmp/err.txt"; then fail "high < low was accepted"; fi
grep -q "_2022-12-31.csv:3: field 'high' (9) is below 'low' (11)" "$tmp/err.txt" ||
  { cat "$tmp/err.txt"; fail "bad-row message does not name file, line and field"; }
"$CPE" summary --db "$db" >"$tmp/summary3.txt"
cmp -s "$tmp/summary.txt" "$tmp/summary3.txt" || fail "a rejected file changed the store"
# ETH has only real hourly bars: it trains on them (one row per bar, the 1m features missing,
# the t cone on GARCH-t) and backfills a week of walk-forward predictions (#15 item 4)
"$CPE" train --db "$db" --models "$tmp/models" --symbol ETHUSDT >"$tmp/train_eth.txt" 2>&1 ||
  { cat "$tmp/train_eth.txt"; fail "ETH did not train on its hourly history"; }
grep -q 'on 11408 rows (.*one per 60-minute bar' "$tmp/train_eth.txt" ||
  { cat "$tmp/train_eth.txt"; fail "ETH's rows are not its 11,408 real hourly bars"; }
grep -q '^cone: GARCH-t of hourly returns (no 1m realized history), Student-t shape' \
  "$tmp/train_eth.txt" || { cat "$tmp/train_eth.txt"; fail "ETH's cone is not the t cone on GARCH-t"; }
CPE_MODELS="$tmp/models" "$CPE" predict --db "$db" --asset ETH --backfill --days 7 \
  >"$tmp/bf_eth.txt" 2>&1 || { cat "$tmp/bf_eth.txt"; fail "ETH backfill failed"; }
grep -q '^ETHUSDT: stored 672 walk-forward predictions' "$tmp/bf_eth.txt" ||
  { cat "$tmp/bf_eth.txt"; fail "ETH backfill: not 7 x 24 hours x 4 horizons"; }
echo "ok: real data imported, counts match the MANIFEST, re-import and bad files change nothing, ETH trains on its real hours"
