#!/usr/bin/env bash
# test_api.sh — `cpe serve` end to end over a simulated store: every route, every error
# case of docs/API.md, /openapi.json against the routes, WebSocket subscribe / receive /
# unsubscribe, heartbeats, replay, slow-client collapse and drop, CORS, rate limiting
# and JWT. Needs $CPE_BIN and curl; nothing else (no python, no jq).
set -uo pipefail
CPE_BIN=${CPE_BIN:?set CPE_BIN to the cpe binary}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
passed=0; failed=0
ok()   { echo "ok   $1"; passed=$((passed + 1)); }
bad()  { echo "FAIL $1"; failed=$((failed + 1)); }
check() { # name, command...
  local name=$1; shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}

"$CPE_BIN" simulate --days 2 --seed 7 --db "$tmp/s.db" >"$tmp/sim.log" 2>&1 || { cat "$tmp/sim.log"; exit 1; }

# a registry of its own (none of the models a `make run` left in data/models), no retraining
export CPE_MODELS="$tmp/models" CPE_RETRAIN=0

# start_server LOGNAME ENV... -- ARGS... : starts cpe serve on a free port, sets $port
start_server() {
  local log=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  env "${envs[@]}" "$CPE_BIN" serve --port 0 --host 127.0.0.1 "$@" >"$tmp/$log.out" 2>"$tmp/$log.err" &
  pids+=($!)
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/$log.out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "server did not start:"; cat "$tmp/$log.err"; exit 1
}

start_server main CPE_LIVE_MINUTE_MS=1000 CPE_LIVE_TICK_MS=20 CPE_WS_HEARTBEAT_MS=100 \
  CPE_WS_QUEUE_CAP=8 CPE_WS_QUEUE_DROP=32 CPE_RATE_LIMIT_PER_MIN=100000 -- \
  --db "$tmp/s.db" --source simulate
B=http://127.0.0.1:$port
W=ws://127.0.0.1:$port/ws

# status CODE URL [curl args...]: the HTTP status equals CODE; the body is left in $tmp/body
status() {
  local want=$1 url=$2; shift 2
  local got; got=$(curl -s -o "$tmp/body" -w '%{http_code}' "$@" "$url")
  [ "$got" = "$want" ] || { echo "  $url: status $got, want $want: $(head -c 300 "$tmp/body")"; return 1; }
}
body_has() { grep -q -- "$1" "$tmp/body" || { echo "  body lacks $1: $(head -c 300 "$tmp/body")"; return 1; }; }

# --- routes -------------------------------------------------------------------------------
check "health is JSON with source and per-source freshness" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 200 $B/health && body_has '\"source\":\"simulated\"' && body_has '\"kind\":\"price\"' && body_has '\"max_age_ms\"'"
check "market-data returns columnar bars with panels" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 200 '$B/market-data?asset=BTC&interval=1m&limit=500' && body_has '\"simulated\":true' && body_has '\"liq_clusters\":\[{' && body_has '\"levels\":\[{' && body_has '\"volume_profile\":\[{' && body_has '\"flows\":{\"whale\":null'"
check "market-data aggregates to 1h" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 200 '$B/market-data?asset=ETH&interval=1h&limit=24' && body_has '\"interval\":\"1h\"'"
n=$(curl -s "$B/market-data?asset=BTC&interval=1m&limit=300&from=$(( ($(date +%s) - 86400) * 1000 ))" | grep -o '"t":\[[0-9,]*\]' | tr ',' '\n' | grep -c .)
check "market-data honours limit (300 bars, got $n)" test "$n" -eq 300
check "predict without a model is 503 PREDICTION_UNAVAILABLE with retry and fallback" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 503 '$B/predict?asset=BTC&horizon_hours=4' && body_has PREDICTION_UNAVAILABLE && body_has retry_after_seconds && body_has '\"fallback\":{\"regime\":\"unknown\"'"
check "POST predict without a model is 503" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 503 $B/predict -X POST -H 'Content-Type: application/json' -d '{\"asset\":\"BTC\",\"horizon_hours\":1}'"
check "explain without a model is 503" \
  bash -c "$(declare -f status); tmp=$tmp; status 503 '$B/explain?asset=ETH&horizon_hours=24'"
check "predictions lists stored records (none yet)" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 200 '$B/predictions?asset=BTC&horizon_hours=1' && body_has '\"records\":\[\]'"
check "backtest is queued (202 with a job id), an unknown job is 404 (more in test_backtest.sh)" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 202 $B/backtest -X POST -d '{\"asset\":\"BTC\",\"from\":\"2025-01-01\",\"to\":\"2025-02-01\"}' && body_has '\"job_id\":\"bt-' && status 404 $B/backtest/nope"
check "metrics is Prometheus text with histograms" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 200 $B/metrics && body_has 'cpe_http_request_duration_seconds_bucket{route=\"market_data\"' && body_has 'cpe_ws_clients' && body_has 'cpe_prediction_accuracy_24h' && body_has 'cpe_ingest_lag_seconds'"

# --- errors ------------------------------------------------------------------------------
check "unknown asset is 404 UNKNOWN_ASSET" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 404 '$B/predict?asset=DOGE&horizon_hours=1' && body_has UNKNOWN_ASSET && body_has '\"field\":\"asset\"'"
check "bad horizon is 422 INVALID_HORIZON" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 422 '$B/predict?asset=BTC&horizon_hours=5' && body_has INVALID_HORIZON"
check "non-numeric horizon is 400 naming the field" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 400 '$B/predict?asset=BTC&horizon_hours=abc' && body_has '\"field\":\"horizon_hours\"'"
check "missing asset is 400 naming the field" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 400 '$B/market-data?interval=1m' && body_has '\"field\":\"asset\"'"
check "bad interval is 400" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 400 '$B/market-data?asset=BTC&interval=7m' && body_has '\"field\":\"interval\"'"
check "bad time is 400" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 400 '$B/market-data?asset=BTC&from=yesterday' && body_has '\"field\":\"from\"'"
check "malformed JSON body is 400 INVALID_JSON" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 400 $B/predict -X POST -d '{\"asset\":' && body_has INVALID_JSON"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$tmp/big"
check "body over 1 MiB is 413" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 413 $B/predict -X POST --data-binary @$tmp/big && body_has BODY_TOO_LARGE"
check "unknown route is 404 NOT_FOUND" \
  bash -c "$(declare -f status body_has); tmp=$tmp; status 404 $B/nope.json && body_has NOT_FOUND"
check "wrong method is 405" bash -c "$(declare -f status); tmp=$tmp; status 405 $B/health -X POST -d '{}'"
check "the server still answers after the errors" bash -c "$(declare -f status); tmp=$tmp; status 200 $B/health"

# --- openapi vs routes -------------------------------------------------------------------
curl -s "$B/openapi.json" >"$tmp/openapi.json"
paths=$(grep -o '"/[a-z_./{}-]*":{"\(get\|post\|patch\)"' "$tmp/openapi.json" | sed 's/":{.*//; s/^"//' | LC_ALL=C sort | tr '\n' ' ')
want="/alerts /alerts/dead-letters /alerts/{id} /alerts/{id}/events /assets /auth/login /auth/logout /auth/refresh /backtest /backtest-options /backtest/{job_id} /backtests /backtests/{run_id} /calibration /docs /explain /health /market-data /metrics /openapi.json /predict /predictions /users "
check "openapi.json lists exactly the routes ($paths)" test "$paths" = "$want"
check "openapi.json is OpenAPI 3 with both /predict methods" \
  bash -c "grep -q '\"openapi\":\"3' $tmp/openapi.json && grep -q '\"/predict\":{\"get\":{.*\"post\":{' $tmp/openapi.json"
for p in $paths; do
  u=${p/\{job_id\}/x}
  u=${u/\{run_id\}/x}
  code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$B$u")
  if [ "$code" = 404 ] && grep -q 'no such route' "$tmp/body"; then bad "openapi path $p is served"; else ok "openapi path $p is served ($code)"; fi
done

# --- WebSocket ---------------------------------------------------------------------------
S='{"op":"subscribe","channel":"candles","asset":"BTC","interval":"1m"}'
check "ws: subscribe is acknowledged and candles arrive (in progress and closed)" \
  bash -c "'$CPE_BIN' stream --url $W --send '$S' --count 1 --match '\"closed\":true' --timeout-ms 8000 >$tmp/ws1 && grep -q '\"type\":\"subscribed\"' $tmp/ws1 && grep -q '\"closed\":false' $tmp/ws1"
check "ws: heartbeats arrive" \
  bash -c "'$CPE_BIN' stream --url $W --count 3 --match '\"type\":\"heartbeat\"' --timeout-ms 5000 >/dev/null"
check "ws: ping answers pong" \
  bash -c "'$CPE_BIN' stream --url $W --send '{\"op\":\"ping\"}' --count 1 --match '\"type\":\"pong\"' --timeout-ms 3000 >/dev/null"
check "ws: a 5m subscription gets 5m candles only" \
  bash -c "'$CPE_BIN' stream --url $W --send '{\"op\":\"subscribe\",\"channel\":\"candles\",\"asset\":\"ETH\",\"interval\":\"5m\"}' --count 3 --match '\"type\":\"candle\"' --timeout-ms 5000 >$tmp/ws5 && ! grep '\"type\":\"candle\"' $tmp/ws5 | grep -v '\"interval\":\"5m\"' | grep -q . && ! grep -q '\"asset\":\"BTC\"' $tmp/ws5"
U='{"op":"unsubscribe","channel":"candles","asset":"BTC","interval":"1m"}'
"$CPE_BIN" stream --url "$W" --send "$S" --send "$U" --timeout-ms 2500 >"$tmp/ws2" 2>/dev/null
after=$(sed -n '/"type":"unsubscribed"/,$p' "$tmp/ws2" | grep -c '"type":"candle"')
check "ws: unsubscribe acknowledges and stops candles ($after after)" \
  bash -c "grep -q '\"type\":\"unsubscribed\"' $tmp/ws2 && [ $after -le 1 ]"
check "ws: bad messages get error frames, the connection stays" \
  bash -c "'$CPE_BIN' stream --url $W --send 'not json' --send '{\"op\":\"subscribe\",\"channel\":\"candles\",\"asset\":\"DOGE\"}' --send '{\"op\":\"nope\"}' --send '{\"op\":\"ping\"}' --count 1 --match pong --timeout-ms 3000 >$tmp/ws3 && [ \$(grep -c '\"type\":\"error\"' $tmp/ws3) -eq 3 ] && grep -q UNKNOWN_ASSET $tmp/ws3"
pad=$(head -c 65000 /dev/zero | tr '\0' x)
check "ws: a 65 KB message that arrives in two pieces is put together and answered" \
  bash -c "'$CPE_BIN' stream --url $W --send '{\"op\":\"ping\",\"pad\":\"$pad\"}' --count 1 --match pong --timeout-ms 3000 >/dev/null"
check "ws: a message over 64 KiB gets BODY_TOO_LARGE once, the connection stays" \
  bash -c "'$CPE_BIN' stream --url $W --send '{\"pad\":\"${pad}${pad}\"}' --send '{\"op\":\"ping\"}' --count 1 --match pong --timeout-ms 3000 >$tmp/ws7 && [ \$(grep -c BODY_TOO_LARGE $tmp/ws7) -eq 1 ] && [ \$(grep -c '\"type\":\"error\"' $tmp/ws7) -eq 1 ]"
from=$(( $(date +%s) / 60 * 60000 - 86400000 ))
check "ws: replay streams stored bars with accuracy" \
  bash -c "'$CPE_BIN' stream --url $W --send '{\"op\":\"replay\",\"asset\":\"BTC\",\"from\":$from,\"speed\":200}' --count 20 --match '\"type\":\"replay\"' --timeout-ms 8000 >$tmp/ws4 && grep -q '\"accuracy\":{\"hits\":0,\"total\":0}' $tmp/ws4 && grep -q '\"bar\":{\"t\":$from' $tmp/ws4"
check "ws: replay_step sends exactly one bar while paused" \
  bash -c "'$CPE_BIN' stream --url $W --send '{\"op\":\"replay\",\"asset\":\"ETH\",\"from\":$from,\"speed\":0}' --send '{\"op\":\"replay_step\"}' --send '{\"op\":\"ping\"}' --count 1 --match pong --timeout-ms 3000 >$tmp/ws6; sleep 0; [ \$(grep -c '\"type\":\"replay\"' $tmp/ws6) -eq 1 ]"

# slow client: subscribes to everything, never reads; a normal client keeps receiving
ALL=()
for a in BTC ETH; do for i in 1m 5m 15m 1h 4h 1d; do
  ALL+=(--send "{\"op\":\"subscribe\",\"channel\":\"candles\",\"asset\":\"$a\",\"interval\":\"$i\"}")
done; done
"$CPE_BIN" stream --url "$W" "${ALL[@]}" --rcvbuf 1024 --stall-ms 15000 --count 100000 --timeout-ms 1000 >/dev/null 2>"$tmp/slow.err" &
slow=$!
pids+=($slow)
check "ws: a normal client is not held up by a stalled one" \
  bash -c "'$CPE_BIN' stream --url $W --count 40 --match '\"type\":\"heartbeat\"' --timeout-ms 8000 >/dev/null"
dropped=0
for _ in $(seq 150); do
  curl -s "$B/metrics" >"$tmp/metrics"
  if grep -q '^cpe_ws_slow_clients_dropped_total [1-9]' "$tmp/metrics"; then dropped=1; break; fi
  sleep 0.1
done
check "ws: the stalled client's queue collapsed candle updates" grep -q '^cpe_ws_collapsed_total [1-9]' "$tmp/metrics"
check "ws: the stalled client was dropped past the second cap" test $dropped = 1
wait $slow 2>/dev/null
check "ws: the dropped client sees the connection closed" grep -q 'closed by server' "$tmp/slow.err"
# a client that stalls, then reads: every message it gets is whole JSON (a broadcast write
# that its full socket took only in part is finished by lws before anything else)
"$CPE_BIN" stream --url "$W" "${ALL[@]}" --rcvbuf 2048 --stall-ms 1500 --timeout-ms 1500 \
  >"$tmp/resumed" 2>"$tmp/resumed.err"
curl -s "$B/metrics" >"$tmp/metrics"
part=$(grep '^cpe_ws_direct_writes_total{taken="part"}' "$tmp/metrics" | awk '{print $2}')
check "ws: a client that stalled and resumed reads only whole messages ($(wc -l <"$tmp/resumed") messages; broadcast writes taken in part so far: ${part:-?})" \
  python3 -c "import json, sys
n = sum(1 for l in open('$tmp/resumed') if json.loads(l))
sys.exit(0 if n > 100 else 1)"
check "ws: upgrade on another path is refused" bash -c "! '$CPE_BIN' stream --url ws://127.0.0.1:$port/other --count 1 --timeout-ms 2000 2>/dev/null"

# --- security: CORS, rate limit, JWT (a second server over the same store) ------------------
start_server sec CPE_JWT_SECRET=s3cret CPE_RATE_LIMIT_PER_MIN=30 CPE_CORS_ORIGINS=http://ok.example -- \
  --db "$tmp/s.db" --source store
B2=http://127.0.0.1:$port
tok=$(CPE_JWT_SECRET=s3cret "$CPE_BIN" serve --make-token tester --ttl-s 600)
old=$(CPE_JWT_SECRET=s3cret "$CPE_BIN" serve --make-token tester --ttl-s -10)
forged=$(CPE_JWT_SECRET=other "$CPE_BIN" serve --make-token tester --ttl-s 600)
check "jwt: missing token is 401" bash -c "$(declare -f status body_has); tmp=$tmp; status 401 '$B2/market-data?asset=BTC&limit=5' && body_has UNAUTHORIZED"
check "jwt: valid token is accepted" bash -c "$(declare -f status); tmp=$tmp; status 200 '$B2/market-data?asset=BTC&limit=5' -H 'Authorization: Bearer $tok'"
check "jwt: expired token is 401" bash -c "$(declare -f status body_has); tmp=$tmp; status 401 '$B2/market-data?asset=BTC&limit=5' -H 'Authorization: Bearer $old' && body_has expired"
check "jwt: token signed with another secret is 401" bash -c "$(declare -f status); tmp=$tmp; status 401 '$B2/market-data?asset=BTC&limit=5' -H 'Authorization: Bearer $forged'"
check "jwt: /health stays public" bash -c "$(declare -f status body_has); tmp=$tmp; status 200 $B2/health && body_has '\"source\":\"store\"'"
check "jwt: ws upgrade needs the token (query parameter)" \
  bash -c "! '$CPE_BIN' stream --url ws://127.0.0.1:$port/ws --count 1 --timeout-ms 1500 2>/dev/null && '$CPE_BIN' stream --url 'ws://127.0.0.1:$port/ws?token=$tok' --send '{\"op\":\"ping\"}' --count 1 --match pong --timeout-ms 3000 >/dev/null"
curl -s -D "$tmp/h1" -o /dev/null -H 'Origin: http://ok.example' "$B2/health"
curl -s -D "$tmp/h2" -o /dev/null -H 'Origin: http://evil.example' "$B2/health"
check "cors: an allowed origin is echoed" grep -qi '^access-control-allow-origin: http://ok.example' "$tmp/h1"
check "cors: another origin gets no CORS header" bash -c "! grep -qi '^access-control-allow-origin' $tmp/h2"
pre=$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: http://ok.example' -H 'Access-Control-Request-Method: GET' "$B2/predict")
check "cors: preflight is 204 ($pre)" test "$pre" = 204
codes=""
for _ in $(seq 40); do codes+="$(curl -s -o /dev/null -w '%{http_code} ' "$B2/health")"; done
check "rate limit: past the bucket requests get 429" bash -c "echo '$codes' | grep -q 429"
curl -s -D "$tmp/h3" -o "$tmp/body" "$B2/health"
check "rate limit: 429 carries Retry-After and RATE_LIMITED" bash -c "grep -qi '^retry-after: [1-9]' $tmp/h3 && grep -q RATE_LIMITED $tmp/body"

# --- static frontend -----------------------------------------------------------------------
mkdir -p "$tmp/dist/assets"
echo '<!doctype html><title>cockpit</title>' >"$tmp/dist/index.html"
echo 'console.log(1)' >"$tmp/dist/assets/index-AbCd1234.js"
echo '<!doctype html><title>cpe API reference</title>' >"$tmp/dist/docs.html"
start_server st CPE_RATE_LIMIT_PER_MIN=0 -- --db "$tmp/s.db" --source store --static "$tmp/dist"
B3=http://127.0.0.1:$port
curl -s -D "$tmp/s1" -o "$tmp/body" "$B3/"
check "static: / is index.html, no-cache" bash -c "grep -qi '^content-type: text/html' $tmp/s1 && grep -qi '^cache-control: no-cache' $tmp/s1 && grep -q cockpit $tmp/body"
curl -s -D "$tmp/s2" -o /dev/null "$B3/assets/index-AbCd1234.js"
check "static: hashed assets are immutable JavaScript" bash -c "grep -qi '^content-type: text/javascript' $tmp/s2 && grep -qi 'immutable' $tmp/s2"
check "static: an SPA route falls back to index.html" bash -c "$(declare -f status body_has); tmp=$tmp; status 200 $B3/replay/btc && body_has cockpit"
curl -s -D "$tmp/s3" -o "$tmp/body" "$B3/docs"
check "/docs is the frontend's docs.html, no-cache" bash -c "grep -q '^HTTP/1.1 200' $tmp/s3 && grep -qi '^content-type: text/html' $tmp/s3 && grep -qi '^cache-control: no-cache' $tmp/s3 && grep -q 'API reference' $tmp/body"
check "static: a missing file is 404" bash -c "$(declare -f status); tmp=$tmp; status 404 $B3/assets/missing.js"
curl -s -o "$tmp/body" --path-as-is "$B3/../../../../etc/passwd"
check "static: no path traversal" bash -c "! grep -q 'root:' $tmp/body"

envex="$(cd "$(dirname "$0")/../../.." && pwd)/.env.example"
check ".env.example documents every setting (cpe serve --settings)" \
  bash -c "diff <('$CPE_BIN' serve --settings) '$envex'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
