#!/usr/bin/env bash
# The heavy GET routes on the worker pool (CPE_HTTP_WORKERS, api/heavy.h): a /predict sent
# while twelve /market-data requests of 10,000 bars are in flight comes back ahead of them
# (at most the two the workers are finishing come first; ordering, no timing threshold); the heavy answers are whole and equal to the same
# request answered on the service thread (CPE_HTTP_WORKERS=0, flows aside); /explain, /predictions and
# /backtests keep their error contract through a worker; a client that hangs up while its
# request is out on a worker leaves the server serving.
source "$(dirname "$0")/lib.sh"
export CPE_DB=$tmp/h.db CPE_PREDICT=0 CPE_RETRAIN=0 CPE_MODELS=$tmp/models
here=$(dirname "$0")
"$CPE_BIN" simulate --days 8 --seed 3 --db "$CPE_DB" >"$tmp/sim.log" 2>&1 || { cat "$tmp/sim.log"; exit 1; }
ASSET=$(sqlite3 "$CPE_DB" "select instrument from series where kind='kline:1m' limit 1" |
  sed 's/.*:\([A-Z0-9]*\)USDT$/\1/')

start_serve --source store
python3 "$here/heavy_order.py" 127.0.0.1 "$port" 12 "$ASSET" >"$tmp/order.json"
cat "$tmp/order.json" >&2
check "all thirteen answers came back" test "$(json "$tmp/order.json" 'd["unfinished"], len(d["status"])')" = "(0, 13)"
check "the twelve /market-data answers are 200 with 10,000 bars' worth of body" \
  test "$(json "$tmp/order.json" 'all(d["status"][k] == 200 and d["size"][k] > 500000 for k in d["status"] if k != "predict")')" = True
check "at least six /market-data were in flight when /predict was sent" \
  test "$(json "$tmp/order.json" 'len(d["in_flight"]) >= 6')" = True
# first, but for at most the two answers the two workers may be finishing when the service
# thread reads the /predict (all on the service thread, every one in flight is ahead of it)
check "/predict came back ahead of the /market-data in flight ($(json "$tmp/order.json" 'd["ahead_of_predict"]') of them ahead)" \
  test "$(json "$tmp/order.json" 'd["ahead_of_predict"] <= 2')" = True

curl -s "$B/market-data?asset=$ASSET&interval=1m&limit=10" >"$tmp/md_last.json"
TO=$(json "$tmp/md_last.json" 'd["t"][-1] + 60000') # the same window from both servers
curl -s "$B/market-data?asset=$ASSET&interval=1m&limit=10000&to=$TO" >"$tmp/md_pool.json"
curl -s "$B/predictions?asset=$ASSET&horizon_hours=1" -o "$tmp/p.json" -w '%{http_code}' >"$tmp/p.code"
check "/predictions through a worker: 200 ($(cat "$tmp/p.code"))" test "$(cat "$tmp/p.code")" = 200
code=$(curl -s -o "$tmp/e.json" -w '%{http_code}' "$B/explain?asset=$ASSET&horizon_hours=1")
check "/explain without a model through a worker: 503 PREDICTION_UNAVAILABLE ($code)" \
  sh -c "test $code = 503 && grep -q PREDICTION_UNAVAILABLE $tmp/e.json"
code=$(curl -s -o "$tmp/e.json" -w '%{http_code}' "$B/explain?asset=$ASSET&horizon_hours=5")
check "/explain with a bad horizon through a worker: 422 INVALID_HORIZON ($code)" \
  sh -c "test $code = 422 && grep -q INVALID_HORIZON $tmp/e.json"
code=$(curl -s -o "$tmp/e.json" -w '%{http_code}' "$B/market-data?asset=NOPE")
check "/market-data of an unknown asset through a worker: 404 UNKNOWN_ASSET ($code)" \
  sh -c "test $code = 404 && grep -q UNKNOWN_ASSET $tmp/e.json"
code=$(curl -s -o "$tmp/e.json" -w '%{http_code}' "$B/backtests?limit=0")
check "/backtests with a bad limit through a worker: 400 INVALID_PARAMETER ($code)" \
  sh -c "test $code = 400 && grep -q INVALID_PARAMETER $tmp/e.json"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "$B/market-data?asset=$ASSET&limit=100")
check "HEAD /market-data through a worker: 200 ($code)" test "$code" = 200
for i in $(seq 6); do # hang up while the request is out on a worker
  timeout 0.01 curl -s "$B/market-data?asset=$ASSET&interval=1m&limit=20000" >/dev/null 2>&1
done
sleep 1
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/health")
check "clients that hung up mid-request leave the server serving ($code)" test "$code" = 200
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null

CPE_HTTP_WORKERS=0 start_serve --source store
curl -s "$B/market-data?asset=$ASSET&interval=1m&limit=10000&to=$TO" >"$tmp/md_inline.json"
same() { python3 - "$@" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for d in (a, b):
    d.pop("flows", None)  # ages of the on-chain series: they move with the clock
sys.exit(0 if a == b and len(a["t"]) == 10000 else 1)
PY
}
check "a worker's /market-data equals the service thread's (10,000 bars)" same "$tmp/md_pool.json" "$tmp/md_inline.json"
python3 "$here/heavy_order.py" 127.0.0.1 "$port" 12 "$ASSET" >"$tmp/order0.json"
echo "for comparison, all on the service thread (CPE_HTTP_WORKERS=0): $(json "$tmp/order0.json" 'd["ahead_of_predict"], len(d["in_flight"])') (answers ahead of /predict, in flight)"

echo "serve heavy: $passed passed, $failed failed"
[ "$failed" = 0 ]
