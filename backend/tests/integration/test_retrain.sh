#!/usr/bin/env bash
# test_retrain.sh — the retraining schedule of `cpe serve` (spec 10.4, docs/SERVER.md):
# on a simulated store with one trained champion, `cpe serve --source simulate` with
# CPE_RETRAIN_EVERY_S=5 retrains BTCUSDT on its own thread; checks that
#   1. /health "retraining" reports a successful run (result ok, the new version);
#   2. the registry holds a new version and the champion pointer names it;
#   3. the live pipeline picks the new champion up: /predict reports its model_version
#      (livepred.h re-reads the champion at most once a minute, hence the longer wait);
#   4. on a store too short to train (one day of bars) a second server's retrain fails,
#      the champion stays, no version is left behind, /health says "failed" and why;
#   5. SIGTERM stops the server, retraining thread included, with exit status 0;
#   6. with CPE_MODELS_KEEP=3 old versions are pruned (the champion always stays);
#   7. on the daily schedule a symbol without a champion (ETH) is trained
#      CPE_RETRAIN_MISSING_S after start, from the 7 days the live simulator fills in.
# Needs $CPE_BIN and node. Takes about 75 s (most of it the one-minute champion check).
set -euo pipefail
CPE=${CPE_BIN:-build/cpe}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
export CPE_DB=$tmp/s.db CPE_MODELS=$tmp/models CPE_SYMBOLS=BTCUSDT CPE_RATE_LIMIT_PER_MIN=0

"$CPE" simulate --symbols BTCUSDT --days 3 >"$tmp/sim.log" 2>&1 || fail "simulate: $(tail -3 "$tmp/sim.log")"
"$CPE" train --symbol BTCUSDT --max-rounds 40 >"$tmp/train.log" 2>&1 || fail "train: $(tail -3 "$tmp/train.log")"
V1=$(cat "$tmp/models/BTCUSDT/champion")
[ -n "$V1" ] || fail "cpe train made no champion"
echo "first champion $V1"

log=$tmp/serve.log
CPE_RETRAIN_EVERY_S=5 CPE_MODELS_KEEP=3 CPE_LIVE_MINUTE_MS=1000 "$CPE" serve --port 0 --source simulate >"$log" 2>&1 &
SERVE=$!; pids+=($SERVE)
for i in $(seq 150); do grep -q '^listening on' "$log" && break; sleep 0.1; done
B=$(grep -o 'http://[0-9.:]*' "$log" | head -1)
[ -n "$B" ] || fail "serve did not start: $(tail -5 "$log")"

# 4 (in parallel): a store with one day of bars is too short to train the 24 h horizon
"$CPE" simulate --symbols BTCUSDT --days 1 --db "$tmp/short.db" >/dev/null 2>&1 || fail "simulate short"
mkdir -p "$tmp/models-short/BTCUSDT" && cp -r "$tmp/models/BTCUSDT/$V1" "$tmp/models/BTCUSDT/champion" "$tmp/models-short/BTCUSDT/"
CPE_RETRAIN_EVERY_S=2 CPE_MODELS=$tmp/models-short "$CPE" serve --port 0 --source store --db "$tmp/short.db" >"$tmp/serve4.log" 2>&1 &
pids+=($!)
for i in $(seq 150); do grep -q '^listening on' "$tmp/serve4.log" && break; sleep 0.1; done
B4=$(grep -o 'http://[0-9.:]*' "$tmp/serve4.log" | head -1)
[ -n "$B4" ] || fail "serve on the short store did not start: $(tail -5 "$tmp/serve4.log")"

# 7 (in parallel): daily schedule, ETH without a model: the live simulator fills 7 days of
# ETH bars, and CPE_RETRAIN_MISSING_S after start ETH alone is trained (BTC keeps V1)
# (an empty store: the simulator fills the same 7 days for both symbols)
mkdir -p "$tmp/models-eth/BTCUSDT" && cp -r "$tmp/models/BTCUSDT/$V1" "$tmp/models/BTCUSDT/champion" "$tmp/models-eth/BTCUSDT/"
at=$(printf '%02d:00' $(( ($(date -u +%-H) + 12) % 24 )))
CPE_RETRAIN_AT=$at CPE_RETRAIN_MISSING_S=8 CPE_SYMBOLS=BTCUSDT,ETHUSDT CPE_MODELS=$tmp/models-eth \
  "$CPE" serve --port 0 --source simulate --db "$tmp/eth.db" >"$tmp/serve7.log" 2>&1 &
pids+=($!)

echo "-- 1+2: /health shows a successful retrain; the registry's champion is the new version"
V2=""
for i in $(seq 40); do
  curl -sf "$B/health" >"$tmp/health.json" || fail "/health"
  V2=$(node -e '
const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).retraining;
if (!r || !r.enabled) throw new Error("no retraining object: "+JSON.stringify(r));
const s=r.symbols.find(x=>x.symbol==="BTCUSDT");
if (s && s.result==="failed") throw new Error("retrain failed: "+s.message);
if (s && s.result==="ok") console.log(s.version);
' "$tmp/health.json" 2>"$tmp/node.err") || fail "$(grep -m1 "^Error" "$tmp/node.err")"
  [ -n "$V2" ] && break
  sleep 1
done
[ -n "$V2" ] || fail "no successful retrain within 40 s: $(head -c 600 "$tmp/health.json")"
[ "$V2" != "$V1" ] || fail "the retrain reused version $V1"
[ -f "$tmp/models/BTCUSDT/$V2/metadata.json" ] || fail "version $V2 is not in the registry"
node -e '
const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).retraining;
if (r.schedule!=="every 5 s") throw new Error("schedule "+r.schedule);
if (!(r.runs>=1) || !r.last_run) throw new Error("runs/last_run "+JSON.stringify(r));
if (!r.running && !r.next_run) throw new Error("no next_run: "+JSON.stringify(r));
' "$tmp/health.json" || fail "/health retraining fields"
CH=$(cat "$tmp/models/BTCUSDT/champion")
# a later run may have promoted a newer version already; each one is a new version
[ "$CH" != "$V1" ] || fail "the champion is still $V1"
echo "retrained: $V2 (champion now $CH)"

echo "-- 3: /predict reports a retrained model_version"
for i in $(seq 80); do
  MV=$(curl -sf "$B/predict?asset=BTC&horizon_hours=1" | node -e '
let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).model_version||"")}catch(e){console.log("")}})')
  # a retrain made it (its directory may be pruned by now: CPE_MODELS_KEEP=3, a run every 5 s)
  [ -n "$MV" ] && [ "$MV" != "$V1" ] && grep -q "retrain: BTCUSDT: new champion $MV " "$log" && break
  sleep 1
done
[ -n "$MV" ] && [ "$MV" != "$V1" ] || fail "/predict still reports '$MV' after 80 s"
echo "/predict model_version $MV"

echo "-- 4: a failing retrain keeps the champion and says why"
for i in $(seq 40); do
  curl -sf "$B4/health" >"$tmp/health4.json" || fail "/health (short store)"
  node -e '
const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).retraining;
const x=r.symbols.find(y=>y.symbol==="BTCUSDT");
if (x.result==="ok") throw new Error("a retrain on one day of bars succeeded");
process.exit(x.result==="failed"?0:3)' "$tmp/health4.json" && break || [ $? -eq 3 ] || fail "$(head -c 600 "$tmp/health4.json")"
  sleep 1
done
grep -q '"result":"failed"' "$tmp/health4.json" || fail "no failed retrain on the short store within 40 s"
[ "$(cat "$tmp/models-short/BTCUSDT/champion")" = "$V1" ] || fail "a failed retrain moved the champion"
[ "$(ls "$tmp/models-short/BTCUSDT" | grep -c '^BTCUSDT-')" = 1 ] || fail "a failed retrain left a version"
grep -q 'retrain: BTCUSDT failed after .*the champion stays' "$tmp/serve4.log" || fail "no failure line in the log"
echo "failed as expected, champion $V1 kept: $(grep -o '"message":"[^"]*"' "$tmp/health4.json" | head -1)"
grep -q 'retrain: BTCUSDT: new champion' "$log" || fail "no retrain line in the log"
echo "-- 6: old versions are pruned (CPE_MODELS_KEEP=3: the newest three, champion and challenger)"
runs=$(grep -c 'retrain: BTCUSDT: new champion' "$log")
kept=$(ls "$tmp/models/BTCUSDT" | grep -c '^BTCUSDT-')
[ "$runs" -ge 4 ] || fail "only $runs retrains: too few to see pruning"
[ "$kept" -le 4 ] || fail "$kept versions kept after $runs retrains (keep 3 + the champion)"
[ -f "$tmp/models/BTCUSDT/$(cat "$tmp/models/BTCUSDT/champion")/metadata.json" ] || fail "the champion was pruned"
grep -q 'retrain: BTCUSDT: removed [0-9]* old versions (CPE_MODELS_KEEP=3)' "$log" || fail "no pruning line in the log"
echo "$runs retrains, $kept versions kept"
echo "-- 7: a symbol without a champion is trained soon after start, the others are left alone"
for i in $(seq 60); do
  [ -s "$tmp/models-eth/ETHUSDT/champion" ] && break
  sleep 1
done
[ -s "$tmp/models-eth/ETHUSDT/champion" ] || fail "no ETH champion within 60 s: $(grep retrain "$tmp/serve7.log" | tail -3)"
grep -q 'retrain: ETHUSDT: new champion' "$tmp/serve7.log" || fail "no ETH retrain line"
! grep -q 'retrain: BTCUSDT' "$tmp/serve7.log" || fail "BTC (which has a champion) was retrained by the missing-model pass"
[ "$(cat "$tmp/models-eth/BTCUSDT/champion")" = "$V1" ] || fail "the BTC champion moved"
B7=$(grep -o 'http://[0-9.:]*' "$tmp/serve7.log" | head -1)
curl -sf "$B7/health" | grep -q "\"schedule\":\"daily $at UTC\"" || fail "the daily schedule is not $at"
echo "ETH champion $(cat "$tmp/models-eth/ETHUSDT/champion"), BTC still $V1"
echo "-- shutdown stops the retraining thread (waiting for a training in progress)"
kill "$SERVE"
rc=0; wait "$SERVE" || rc=$?
[ $rc -eq 0 ] || fail "serve exited $rc on SIGTERM: $(tail -3 "$log")"
grep -q 'serve: shutting down' "$log" || fail "no clean shutdown"
echo "PASS test_retrain"
