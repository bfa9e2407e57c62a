#!/usr/bin/env bash
# test_cluster.sh — the scale-out shape of issue #17 on one machine (docs/SCALE_OUT.md):
# a throwaway PostgreSQL (tests/pg_tmp.sh: initdb in a temp dir as an unprivileged user) and
# Redis (tests/redis_tmp.sh), two ingest nodes on the simulator (one active, one standby on
# the ingest lease), two API nodes behind Debian's nginx with deploy/nginx/cpe.conf, and a
# worker, all on private loopback ports.
#   1. a WebSocket client through nginx receives the ingest's closed candles and
#      predictions, the same as a client on the ingest node, in order, none missing;
#   2. backtests through the job stream: POSTed to API node A, run on a worker only; their
#      stage, folds and ETA in GET /backtest/{id} on B and on the WebSocket "jobs" channel of
#      clients on B and through nginx; DELETE on B cancels a running one on the worker within
#      1 s; the worker killed with SIGKILL mid-job, a second worker reclaims the entry after
#      CPE_JOB_RECLAIM_MS (3 s here) and finishes it, reusing the folds the first one stored;
#   3. Redis is killed and started again: every node reconnects, the stream resumes through
#      nginx, the active ingest kept its lease;
#   4. the active ingest is killed (SIGKILL): the standby takes the lease within 10 s and
#      publishes, the stream resumes through nginx;
#   5. no 1m bar is missing from PostgreSQL over the whole run (the Redis outage and the
#      takeover included: the new ingest continues from the newest stored bar).
# Needs $CPE_BIN with libpq and hiredis, PostgreSQL, redis-server, nginx. About 90 s.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh" # $tmp, $pids, ok / bad / check
. "$(dirname "$0")/nginx_tmp.sh"
. "$(dirname "$0")/bus_lib.sh" # stream, backtest_through
trap 'bash "$here/redis_tmp.sh" stop "$tmp/redis"; bash "$here/pg_tmp.sh" stop "$tmp/pg"; cleanup' EXIT
command -v nginx >/dev/null || { echo "FAIL nginx is missing (scripts/bootstrap.sh --with-servers)"; exit 1; }
t0=$(date +%s)

PG=$(bash "$here/pg_tmp.sh" start "$tmp/pg") || { echo "FAIL cannot start PostgreSQL"; exit 1; }
URL=$(bash "$here/redis_tmp.sh" start "$tmp/redis") || { echo "FAIL cannot start redis-server"; exit 1; }
# CPE_JOB_RECLAIM_MS: a dead worker's backtest is rerun after 3 s instead of 60
export CPE_DB=$PG CPE_MODELS=$tmp/models CPE_SYMBOLS=BTCUSDT CPE_RETRAIN=0 \
  CPE_RATE_LIMIT_PER_MIN=0 CPE_PRED_PATHS=2000 CPE_JOB_RECLAIM_MS=3000
"$CPE_BIN" migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log"; exit 1; }
# 42 days: walk-forward folds need 21 days of history before their week (section 2)
"$CPE_BIN" simulate --symbols BTCUSDT --days 42 --seed 5 >"$tmp/sim.log" 2>&1 || { tail -3 "$tmp/sim.log"; exit 1; }
"$CPE_BIN" train --symbol BTCUSDT --max-rounds 5 >"$tmp/train.log" 2>&1 || { tail -3 "$tmp/train.log"; exit 1; }

# node NAME ARGS...: cpe serve on a free port, in the background; its pid in $pid
node() {
  local name=$1; shift
  "$CPE_BIN" serve --port 0 --host 127.0.0.1 --bus "$URL" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  pids+=($pid)
}
# listening NAME [TRIES]: wait for its "listening on" line; sets $port
listening() {
  port=
  for _ in $(seq "${2:-200}"); do
    port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/$1.out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  return 1
}
ING="--role ingest --source simulate"
live0=$(( $(date +%s%3N) / 60000 * 60000 )) # the simulator's first live minute is at or after it
export CPE_LIVE_MINUTE_MS=1000 CPE_LIVE_TICK_MS=100
node i1 $ING; I1PID=$pid
listening i1 || { echo "FAIL ingest 1 did not start:"; tail -5 "$tmp/i1.err"; exit 1; }
I1=127.0.0.1:$port
node i2 $ING; I2PID=$pid
unset CPE_LIVE_MINUTE_MS CPE_LIVE_TICK_MS
node a --role api; listening a || { tail -5 "$tmp/a.err"; exit 1; }; A=127.0.0.1:$port
node b --role api; listening b || { tail -5 "$tmp/b.err"; exit 1; }; B=127.0.0.1:$port
node w --role worker; W1PID=$pid; listening w || { tail -5 "$tmp/w.err"; exit 1; }
mkdir -p "$tmp/dist"; echo '<!doctype html>' >"$tmp/dist/index.html"
nginx_start "$tmp/dist" "$A" "$B" || exit 1
echo "-- started in $(($(date +%s) - t0)) s"

echo "-- 0: the ingest lease"
sleep 1
check "one ingest holds the lease, the other stands by without serving" \
  bash -c "grep -q 'lease cpe:lease:ingest:BTCUSDT: held by this node' $tmp/i1.err && grep -q 'standing by' $tmp/i2.err && ! grep -q 'listening on' $tmp/i2.out"

echo "-- 1: a client through nginx gets the ingest's stream, same messages, same order"
stream "$I1" "$tmp/wi" 8000 &
si=$!
stream "$NG" "$tmp/wn" 8000
wait $si
check "closed candles and predictions through nginx are the ingest's, in order, none missing" \
  python3 "$(dirname "$0")/ws_same.py" "$tmp/wi" "$tmp/wn"

echo "-- 2: backtests through the job stream: progress, cancel, a worker killed mid-job"
SUB_J='{"op":"subscribe","channel":"jobs"}'
for n in b:$B nginx:$NG; do # clients of node B and through nginx (A or B) follow every job
  "$CPE_BIN" stream --url "ws://${n#*:}/ws" --send "$SUB_J" --timeout-ms 240000 --count 1 \
    --match '"status":"done"' >"$tmp/jobs_${n%%:*}.jsonl" 2>/dev/null &
  pids+=($!)
  jpids+=($!)
done
# two weekly folds or three, inside the simulated history, each with 21 days before it
range=$(python3 -c 'import json,time; n=int(time.time())*1000; print(json.dumps({"asset":"BTC","from":n-13*86400000,"to":n-86400000}))')
post_a() { curl -s -X POST -d "$range" "http://$A/backtest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])'; }
# until_b ID EXPR SECONDS: poll GET on B until the Python EXPR over the record d holds
until_b() {
  for _ in $(seq $(($3 * 10))); do
    curl -s "http://$B/backtest/$1" >"$tmp/rec.json"
    [ "$(json "$tmp/rec.json" "$2" 2>/dev/null)" = True ] && return 0
    sleep 0.1
  done
  return 1
}
TRAINING='d["status"] == "running" and d["progress"]["stage"] == "training" and d["progress"]["folds_total"] >= 2'
j1=$(post_a)
until_b "$j1" "$TRAINING and all(k in d['progress'] for k in ('folds_done', 'eta_ms'))" 60
check "GET /backtest/{id} on B while the worker runs it: stage, folds done / total, ETA ($(head -c 300 "$tmp/rec.json"))" \
  test "$(json "$tmp/rec.json" "$TRAINING")" = True
code=$(curl -s -o "$tmp/del.json" -w '%{http_code}' -X DELETE "http://$B/backtest/$j1")
check "DELETE /backtest/{id} on B: 202, cancel requested" \
  test "$code$(json "$tmp/del.json" 'd["cancel_requested"]')" = 202True
until_b "$j1" 'd["status"] != "running"' 30
check "the worker stops it within 1 s of the DELETE ($(json "$tmp/rec.json" 'd.get("cancel_ms")') ms, $(json "$tmp/rec.json" 'd["status"]'))" \
  test "$(json "$tmp/rec.json" 'd["status"] == "cancelled" and d["error"]["code"] == "BACKTEST_CANCELLED" and 0 <= d["cancel_ms"] <= 1000')" = True
j2=$(post_a)
until_b "$j2" "$TRAINING" 60
sleep 0.5
kill -9 "$W1PID"
tk=$(date +%s%3N)
node w2 --role worker; listening w2 || { tail -5 "$tmp/w2.err"; exit 1; }
check "the second worker finishes the job the killed one had started" until_b "$j2" 'd["status"] == "done"' 180
td=$(($(date +%s%3N) - tk))
check "... the entry the killed worker had, reclaimed (done ${td} ms after the kill; $(json "$tmp/rec.json" '"folds reused %d, trained %d of %d" % (d["progress"]["folds_reused"], d["progress"]["folds_trained"], d["progress"]["folds_total"])'))" \
  bash -c "grep -q 'backtest $j2 (stream entry .*): running' $tmp/w.err && grep -q 'backtest $j2 (stream entry .*): done' $tmp/w2.err && ! grep -q 'backtest $j2 (stream entry .*): done' $tmp/w.err"
check "no API or ingest node ran a backtest" \
  bash -c "! grep -q '(stream entry' $tmp/a.err $tmp/b.err $tmp/i1.err"
wait "${jpids[@]}"
for n in b nginx; do
  check "WebSocket jobs channel ($n): progress of both jobs, the cancel and the end pushed" \
    python3 - "$tmp/jobs_$n.jsonl" "$j1" "$j2" <<'PY'
import json, sys
m = [json.loads(l) for l in open(sys.argv[1]) if '"type":"job"' in l]
j1 = [x for x in m if x["job_id"] == sys.argv[2]]
j2 = [x for x in m if x["job_id"] == sys.argv[3]]
ok = (any(x["progress"]["stage"] == "training" and x["progress"]["folds_total"] >= 2 for x in j1)
      and j1[-1]["status"] == "cancelled" and j1[-1]["error"]
      and any(x["progress"]["stage"] == "training" for x in j2)
      and j2[-1]["status"] == "done" and j2[-1]["saved"] is True)
print(f"{len(j1)} messages of the cancelled job, {len(j2)} of the finished one")
sys.exit(0 if ok else 1)
PY
done

echo "-- 3: Redis killed and started again"
bash "$here/redis_tmp.sh" kill "$tmp/redis"
sleep 2
check "API nodes answer from PostgreSQL without Redis (through nginx)" \
  bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' 'http://$NG/market-data?asset=BTC&interval=1m&limit=10')\" = 200 ]"
bash "$here/redis_tmp.sh" start "$tmp/redis" >/dev/null || bad "redis-server restart"
check "a client through nginx gets closed candles again within 15 s" \
  bash -c "'$CPE_BIN' stream --url ws://$NG/ws --send '$SUB_C' --count 3 --match '\"closed\":true' --timeout-ms 15000 >/dev/null 2>&1"
check "every node reconnected" \
  bash -c "[ \$(grep -c 'bus: publisher connected' $tmp/i1.err) -ge 2 ] && [ \$(grep -c 'bus: subscriber connected' $tmp/a.err) -ge 2 ] && [ \$(grep -c 'bus: subscriber connected' $tmp/b.err) -ge 2 ] && [ \$(grep -c 'bus: job consumer connected' $tmp/w2.err) -ge 2 ]"
check "the active ingest kept its lease (the standby still waits)" \
  bash -c "kill -0 $I1PID && ! grep -q 'listening on' $tmp/i2.out"

echo "-- 4: the active ingest killed: the standby takes over"
kill -9 "$I1PID"
tk=$(date +%s%3N)
listening i2 300
tl=$(($(date +%s%3N) - tk))
check "the standby serves within 10 s of the kill (${tl} ms)" bash -c "[ -n '$port' ] && [ $tl -le 10000 ]"
check "the new ingest took the lease" grep -q 'lease cpe:lease:ingest:BTCUSDT: held by this node' "$tmp/i2.err"
check "a client through nginx gets the new ingest's closed candles" \
  bash -c "'$CPE_BIN' stream --url ws://$NG/ws --send '$SUB_C' --count 3 --match '\"closed\":true' --timeout-ms 15000 >/dev/null 2>&1"

echo "-- 5: no 1m bar missing from PostgreSQL"
sleep 1
curl -s "http://$B/market-data?asset=BTC&interval=1m&from=$(($(date +%s) * 1000 - 3 * 86400000))&to=4102444800000&limit=10000" >"$tmp/md.json"
check "1m bars are consecutive over the whole run, the outage and the takeover included" \
  python3 - "$tmp/md.json" "$live0" <<'PY'
import json, sys
# the live run only: `cpe simulate` wrote history up to its own start, and the accelerated
# simulator starts at the current minute, so setup time leaves a gap before the live run
d = json.load(open(sys.argv[1]))
t = [x for x in (d["t"] if "t" in d else d["bars"]["t"]) if x >= int(sys.argv[2])]
gaps = [(a, b) for a, b in zip(t, t[1:]) if b - a != 60000]
print(f"{len(t)} live 1m bars; gaps: {gaps[:5]}")
sys.exit(0 if not gaps and len(t) >= 15 else 1)
PY

echo "-- took $(($(date +%s) - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
