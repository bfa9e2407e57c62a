#!/usr/bin/env bash
# test_models_cli.sh — the model commands end to end on a simulated store: no model yet
# (cpe models exits 1), cpe train registers a champion, cpe predict / explain print the
# docs/API.md JSON, cpe evaluate prints out-of-sample scores beside baselines and writes
# the features.md CSV, cpe predict --backfill stores walk-forward predictions that
# --at returns, and bad input fails with a message. Needs $CPE_BIN only.
set -uo pipefail
CPE_BIN=${CPE_BIN:?set CPE_BIN to the cpe binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPE_DB="$tmp/s.db" CPE_MODELS="$tmp/models"
passed=0; failed=0
ok()  { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
has() { grep -q -- "$2" "$1"; }

"$CPE_BIN" simulate --days 45 --seed 3 --end 2025-06-01 >"$tmp/sim.log" 2>&1 || { cat "$tmp/sim.log"; exit 1; }

"$CPE_BIN" models --quiet; check "models exits 1 when none are registered" [ $? -eq 1 ]

"$CPE_BIN" train --symbol BTCUSDT --from 2025-04-20 --max-rounds 40 >"$tmp/train.out" 2>"$tmp/train.err"
rc=$?
check "train succeeds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$tmp/train.err"
check "train reports the champion" has "$tmp/train.out" "(champion)"
check "train names the simulated data" has "$tmp/train.out" "simulated data"
"$CPE_BIN" models --quiet; check "models exits 0 after training" [ $? -eq 0 ]
"$CPE_BIN" models >"$tmp/models.out"
check "models lists the champion" has "$tmp/models.out" "\[champion\]"
ver=$(ls "$tmp/models/BTCUSDT" | grep '^BTCUSDT-' | head -1)
check "version directory holds metadata and trees" \
  test -s "$tmp/models/BTCUSDT/$ver/metadata.json" -a -s "$tmp/models/BTCUSDT/$ver/cls_4h.json" \
       -a -s "$tmp/models/BTCUSDT/$ver/reg_24h.json"

"$CPE_BIN" predict --asset BTC --horizon 4 >"$tmp/p.json" 2>"$tmp/p.err"
check "predict succeeds" [ $? -eq 0 ]
for f in '"p_up":' '"p_down":' '"expected_move":' '"volatility":' '"cone":\[' '"upper2":' \
         '"confidence":"' '"regime":"' '"model_version":"BTCUSDT-' '"stale":' '"simulated":true'; do
  check "predict JSON has $f" grep -q -- "$f" "$tmp/p.json"
done
check "4h cone has 5 points (start + 4 hours)" [ "$(grep -o '"t_ms"' "$tmp/p.json" | wc -l)" -eq 6 ]

"$CPE_BIN" explain --asset BTC --horizon 1 >"$tmp/e.json" 2>"$tmp/e.err"
check "explain succeeds" [ $? -eq 0 ]
for f in '"reasons":\[' '"contributions":\[' '"changes":\[' '"base_value":' '"name":"momentum"'; do
  check "explain JSON has $f" grep -q -- "$f" "$tmp/e.json"
done

"$CPE_BIN" evaluate --symbol BTCUSDT --from 2025-04-20 --train-days 20 --test-days 3 --folds 2 \
  --paths 200 --max-rounds 40 --out "$tmp/pred.csv" --json "$tmp/scores.json" >"$tmp/ev.out" 2>"$tmp/ev.err"
rc=$?
check "evaluate succeeds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$tmp/ev.err"
check "evaluate says out of sample" has "$tmp/ev.out" "out of sample"
check "evaluate prints baselines" has "$tmp/ev.out" "garch-normal"
check "evaluate prints all horizons" has "$tmp/ev.out" "horizon 24h"
check "CSV header is the features.md record" [ "$(head -1 "$tmp/pred.csv")" = \
  "ts_ms,symbol,horizon_h,close,p_up,expected_move,volatility,p023,p159,p500,p841,p977,regime,confidence,model_version" ]
check "CSV has records" [ "$(wc -l <"$tmp/pred.csv")" -gt 100 ]
check "scores JSON written" has "$tmp/scores.json" '"horizons":\['

"$CPE_BIN" predict --asset BTC --backfill --from 2025-05-28 --to 2025-05-30 --history-days 25 \
  --train-days 20 --test-days 3 --paths 200 --max-rounds 40 >"$tmp/bf.out" 2>"$tmp/bf.err"
rc=$?
check "backfill succeeds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$tmp/bf.err"
check "backfill stored predictions" has "$tmp/bf.out" "stored [1-9]"
"$CPE_BIN" predict --asset BTC --horizon 8 --at 2025-05-29T12:00:00Z >"$tmp/at.json" 2>&1
check "predict --at returns the stored walk-forward prediction" has "$tmp/at.json" '"model_version":"BTCUSDT-wf-'

# Champion/challenger: two trainings of the same window are identical (deterministic), so
# the paired test finds no difference and --promote keeps the champion.
"$CPE_BIN" train --symbol BTCUSDT --from 2025-04-25 --to 2025-05-20 --max-rounds 20 --champion >/dev/null 2>&1
"$CPE_BIN" train --symbol BTCUSDT --from 2025-04-25 --to 2025-05-20 --max-rounds 20 >"$tmp/t3.out" 2>&1
v3=$(sed -n 's/.*registered in .*\/\(BTCUSDT-[0-9TZ-]*\).*/\1/p' "$tmp/t3.out")
"$CPE_BIN" models --symbol BTCUSDT --compare "$v3" --promote >"$tmp/cmp.out" 2>"$tmp/cmp.err"
check "compare runs" [ $? -eq 0 ]
check "compare prints the paired test" has "$tmp/cmp.out" "p-value"
check "identical models are not promoted" has "$tmp/cmp.out" "champion kept"
check "identical models have zero mean difference" has "$tmp/cmp.out" "+0.000000\|-0.000000"

"$CPE_BIN" predict --asset BTC --horizon 5 >/dev/null 2>"$tmp/h5.err"
check "horizon 5 is a usage error" [ $? -eq 2 ]
check "horizon error names the allowed values" has "$tmp/h5.err" "1, 4, 8, 24"
"$CPE_BIN" train --symbol DOGEUSDT >/dev/null 2>"$tmp/doge.err"
check "training an unknown symbol fails" [ $? -eq 1 ]
check "unknown symbol error names it" has "$tmp/doge.err" "DOGE"

# cpe cone on a kline file: the real August 2025 file when ../shared is here.
real=${CPE_SHARED:-}/data/real/binance-spot_BTCUSDT_klines_1m_2025-08-01_2025-08-31.csv.gz
if [ -n "${CPE_SHARED:-}" ] && [ -f "$real" ]; then
  gzip -dc "$real" | head -6000 >"$tmp/BTCUSDT-1m.csv"
  "$CPE_BIN" cone --input "$tmp/BTCUSDT-1m.csv" --symbol BTCUSDT --horizon 8 --vol-only --paths 2000 >"$tmp/cone.json" 2>"$tmp/cone.err"
  check "cone --vol-only succeeds" [ $? -eq 0 ]
  check "cone --vol-only has a 9-point cone" [ "$(grep -o '"t_ms"' "$tmp/cone.json" | wc -l)" -eq 10 ]
  check "cone --vol-only has no direction" has "$tmp/cone.json" '"p_up":null'
  check "cone --vol-only names its model" has "$tmp/cone.json" '"model_version":"vol-only:garch-t'
else
  echo "skip cone --vol-only: no \$CPE_SHARED/data/real"
fi
"$CPE_BIN" cone --input "$tmp/nope.csv" --horizon 4 --vol-only >/dev/null 2>"$tmp/cone2.err"
check "cone on a missing file fails" [ $? -eq 1 ]
check "cone error names the file" has "$tmp/cone2.err" "nope.csv"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
