#!/usr/bin/env bash
# test_backtest.sh — `cpe backtest` end to end on a simulated store: the strategy backtest
# (walk-forward models trained for the run, then the stored predictions of
# `cpe predict --backfill`), `--signals` with the hand-computed three-trade example of
# issue 9 and every bad-input case (file, line and column named, non-zero exit), and
# POST /backtest + GET /backtest/{id} against a real `cpe serve`, whose result must be
# the CLI's JSON. Needs $CPE_BIN, curl and python3.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

"$CPE_BIN" simulate --days 40 --seed 5 --db "$tmp/s.db" >"$tmp/sim.log" 2>&1 || { cat "$tmp/sim.log"; exit 1; }
last=$(sed -n 's/.* to \([0-9T:.-]*Z\) into .*/\1/p' "$tmp/sim.log")
to=$(python3 -c "import datetime as d,sys; t=d.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t.replace(minute=0,second=0,microsecond=0)).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$last")
from=$(python3 -c "import datetime as d,sys; t=d.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t-d.timedelta(days=3)).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$to")

# --- strategy backtest over the store ------------------------------------------------------
"$CPE_BIN" backtest --db "$tmp/s.db" --symbol BTCUSDT --from "$from" --to "$to" --out "$tmp/wf.json" >"$tmp/wf.log" 2>&1
check "backtest with no stored predictions trains walk-forward models for the run ($(json "$tmp/wf.json" 'd["predictions"]'))" \
  test "$(json "$tmp/wf.json" 'd["predictions"].startswith("walk-forward models trained for this run; folds reused 0, trained ")')" = True
check "backtest result: 3 days of 1m bars, every spec 12.3 metric, curves, trades, hindsight" \
  test "$(json "$tmp/wf.json" 'd["bars"] == 4320 and all(k in d["metrics"] for k in ["total_return","annualized_return","sharpe_ratio","sortino_ratio","max_drawdown","max_drawdown_duration_h","win_rate","profit_factor","avg_trade_duration_h","total_trades","long_trades","short_trades","exposure_time","buy_hold_return","alpha","beta","information_ratio"]) and len(d["equity"]["t"]) == 4320 and len(d["drawdown"]["v"]) == 4320 and isinstance(d["trades"], list) and d["hindsight"]["label"].startswith("hindsight")')" = True
check "backtest: every 5-minute prediction bar was seen" \
  test "$(json "$tmp/wf.json" 'd["risk"]["prediction_bars"]')" = 864
check "backtest: the equity curve ends at the final equity" \
  test "$(json "$tmp/wf.json" 'd["equity"]["v"][-1] == d["metrics"]["final_equity"]')" = True

"$CPE_BIN" predict --db "$tmp/s.db" --asset BTC --backfill --from "$from" --to "$to" --explain >"$tmp/bf.log" 2>&1
"$CPE_BIN" backtest --db "$tmp/s.db" --symbol BTCUSDT --from "$from" --to "$to" --out "$tmp/st.json" >"$tmp/st.log" 2>&1
check "backtest uses the stored predictions, training no fold ($(json "$tmp/st.json" 'd["predictions"]'))" \
  test "$(json "$tmp/st.json" 'd["predictions"].startswith("stored walk-forward predictions") and "trained 0" in d["predictions"]')" = True
check "backtest: --out prints a summary line" grep -q '^strategy: 4320 bars' "$tmp/st.log"

# --days N: the last N days of the symbol's bars (ETH has none stored yet)
"$CPE_BIN" predict --db "$tmp/s.db" --asset ETH --backfill --days 1 >"$tmp/bfd.log" 2>&1
check "predict --backfill --days 1: a day of 5-minute predictions for 4 horizons ($(cat "$tmp/bfd.log"))" \
  grep -q '^ETHUSDT: stored 1152 walk-forward predictions (' "$tmp/bfd.log"
"$CPE_BIN" predict --db "$tmp/s.db" --asset ETH --backfill --days 1 --from "$from" >/dev/null 2>"$tmp/bfd.err"
check "predict --backfill: --days with --from is a usage error" \
  bash -c "[ $? -eq 2 ] && grep -q 'give one or the other' '$tmp/bfd.err'"
echo '{"horizons":[1,4],"order_type":"limit","curve_points":100,"walk_forward":{"train_days":1,"test_days":1,"step_days":1}}' >"$tmp/strat.json"
"$CPE_BIN" backtest --db "$tmp/s.db" --symbol BTCUSDT --from "$from" --to "$to" --strategy "$tmp/strat.json" >"$tmp/s2.json" 2>"$tmp/s2.err"
check "--strategy applies (horizons, limit orders, curves thinned to <= 100 points, walk-forward 1/1/1 days: 2 periods)" \
  test "$(json "$tmp/s2.json" 'd["config"]["horizons"] == [1, 4] and d["config"]["order_type"] == "limit" and 50 < len(d["equity"]["t"]) <= 100 and len(d["walk_forward"]["periods"]) == 2')" = True
echo '{"horizons":[1,4],"slippage":3}' >"$tmp/bad.json"
"$CPE_BIN" backtest --db "$tmp/s.db" --symbol BTCUSDT --from "$from" --to "$to" --strategy "$tmp/bad.json" >/dev/null 2>"$tmp/bad.err"
rc=$?
check "--strategy with an unknown key: exit 2 naming the file and key" \
  bash -c "[ $rc -eq 2 ] && grep -q \"bad.json: strategy: unknown key 'slippage'\" '$tmp/bad.err'"
"$CPE_BIN" backtest --db "$tmp/s.db" --symbol BTCUSDT --from "$from" >/dev/null 2>"$tmp/nofrom.err"
check "backtest without --to: usage error" test $? -eq 2

# --- --signals ----------------------------------------------------------------------------
cat >"$tmp/s3.csv" <<'EOF'
ts,open,high,low,close,signal
1700000000000,100,100,100,100,1
1700000060000,101,102,101,102,1
1700000120000,103,104,103,104,-1
1700000180000,105,105,100,100,0
1700000240000,99,99,98,98,1
1700000300000,97,99,97,99,1
EOF
"$CPE_BIN" backtest --signals "$tmp/s3.csv" >"$tmp/s3.json" 2>"$tmp/s3.err"
check "--signals: the hand-computed three-trade example (final equity 111680.12897902344)" \
  test "$(json "$tmp/s3.json" 'abs(d["metrics"]["final_equity"] - 111680.12897902344) < 1e-9 and d["metrics"]["total_trades"] == 3 and d["metrics"]["fills"] == 5')" = True
check "--signals: trade list with entry/exit reasons, the last position open" \
  test "$(json "$tmp/s3.json" '[(t["side"], t["entry_reason"], t["exit_reason"], t["open"]) for t in d["trades"]][1] == ("short", "signal_short", "signal_flat", False) and d["trades"][2]["open"] and d["trades"][2]["exit_t_ms"] is None')" = True
"$CPE_BIN" backtest --signals "$tmp/s3.csv" --commission-bps 0 --slippage-bps 0 --initial-cash 1000 --out "$tmp/s3b.json" >/dev/null
check "--signals: commission, slippage and cash are options (no costs: 1000 * 102/101 at bar 1)" \
  test "$(json "$tmp/s3b.json" 'abs(d["equity"]["v"][1] - 1000 * 102 / 101) < 1e-9')" = True

bad_case() { # name, csv text, expected message part
  printf '%b' "$2" >"$tmp/$1.csv"
  "$CPE_BIN" backtest --signals "$tmp/$1.csv" >/dev/null 2>"$tmp/$1.err"
  local rc=$?
  if [ $rc -ne 0 ] && grep -qF "$tmp/$1.csv:$3" "$tmp/$1.err"; then ok "--signals bad input: $1"
  else bad "--signals bad input: $1 (exit $rc: $(cat "$tmp/$1.err"))"; fi
}
H='ts,open,high,low,close,signal\n'
bad_case missing_column 'ts,open,high,low,close\n1,1,1,1,1\n' "1: column 'signal' is missing"
bad_case not_a_number "${H}1,1,1,1,1,0\n2,1,1,1,abc,0\n" "3: column 'close' (abc) is not a number"
bad_case non_positive "${H}1,1,1,1,1,0\n2,1,1,0,1,0\n" "3: column 'low' (0) is not a positive price"
bad_case unsorted "${H}2,1,1,1,1,0\n1,1,1,1,1,0\n" "3: column 'ts' (1) is earlier than the one on line 2"
bad_case duplicate "${H}2,1,1,1,1,0\n2,1,1,1,1,0\n" "3: column 'ts' (2) is a duplicate of the one on line 2"
bad_case bad_signal "${H}1,1,1,1,1,0\n2,1,1,1,1,0.5\n" "3: column 'signal' (0.5) is not -1, 0 or 1"
bad_case short_row "${H}1,1,1,1,1,0\n2,1,1\n" "3: column 'low' (field 4) is missing"
bad_case too_few_rows "${H}1,1,1,1,1,0\n" "2: 1 data rows; a backtest needs at least 2"
bad_case bad_time "${H}1,1,1,1,1,0\nsoon,1,1,1,1,0\n" "3: column 'ts' (soon) is not a timestamp"
"$CPE_BIN" backtest --signals "$tmp/nope.csv" >/dev/null 2>"$tmp/nope.err"
check "--signals: a missing file fails naming it" bash -c "[ $? -ne 0 ] && grep -q nope.csv '$tmp/nope.err'"

# --- POST /backtest against cpe serve -----------------------------------------------------
start_serve --db "$tmp/s.db" --source store
# wait_job ID FILE: poll GET /backtest/ID into FILE until done or failed (10 s); sets $status
wait_job() {
  status=
  for _ in $(seq 200); do
    curl -s "$B/backtest/$1" >"$2"
    status=$(json "$2" 'd["status"]')
    [ "$status" = done ] || [ "$status" = failed ] && return
    sleep 0.05
  done
}
code=$(curl -s -o "$tmp/post.json" -w '%{http_code}' -X POST -H 'content-type: application/json' \
  -d "{\"asset\":\"BTC\",\"from\":\"$from\",\"to\":\"$to\"}" "$B/backtest")
check "POST /backtest: 202 with a job id" test "$code" = 202
id=$(json "$tmp/post.json" 'd["job_id"]')
wait_job "$id" "$tmp/job.json"
check "GET /backtest/{id}: done" test "$status" = done
python3 - "$tmp/job.json" "$tmp/st.json" >"$tmp/cmp.txt" <<'EOF'
import json, sys
job = json.load(open(sys.argv[1]))["result"]; cli = json.load(open(sys.argv[2]))
print(job == cli or [k for k in cli if job.get(k) != cli[k]])
EOF
check "GET /backtest/{id}: the result is the CLI's JSON ($(cat "$tmp/cmp.txt"))" test "$(cat "$tmp/cmp.txt")" = True
code=$(curl -s -o "$tmp/e1.json" -w '%{http_code}' -X POST -d "{\"asset\":\"BTC\",\"from\":\"$from\",\"to\":\"$to\",\"strategy\":{\"kelly\":1}}" "$B/backtest")
check "POST /backtest: an unknown strategy key is 400 naming it" \
  bash -c "[ $code = 400 ] && grep -q \"unknown key 'kelly'\" '$tmp/e1.json'"
code=$(curl -s -o "$tmp/e2.json" -w '%{http_code}' -X POST -d "{\"asset\":\"BTC\",\"to\":\"$to\"}" "$B/backtest")
check "POST /backtest: from is required" test "$code" = 400
code=$(curl -s -o "$tmp/e3.json" -w '%{http_code}' -X POST -d "{\"asset\":\"DOGE\",\"from\":\"$from\",\"to\":\"$to\"}" "$B/backtest")
check "POST /backtest: an unknown asset is an error" bash -c "[ $code = 400 ] || [ $code = 404 ]"
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/backtest/bt-nope")
check "GET /backtest/{id}: an unknown id is 404" test "$code" = 404
code=$(curl -s -o "$tmp/post2.json" -w '%{http_code}' -X POST -d "{\"asset\":\"BTC\",\"from\":\"2020-01-01\",\"to\":\"2020-01-02\"}" "$B/backtest")
id2=$(json "$tmp/post2.json" 'd["job_id"]')
wait_job "$id2" "$tmp/job2.json"
check "a backtest over a range without data fails with a message" \
  test "$(json "$tmp/job2.json" 'd["status"] == "failed" and d["result"] is None and "bars" in d["error"]["message"]')" = True

# --- replay over the stored predictions (spec 2.5) -----------------------------------------
# 400 bars at 1000 bars/s from $from: every bar carries the predictions made at its close;
# the running accuracy is recomputed here from the streamed bars and predictions alone
# (a prediction of h hours made at bar t is due at the close of bar t + h hours: a hit when
# that close is above bar t's close exactly when p_up > 0.5).
from_ms=$(python3 -c "import datetime as d,sys; print(int(d.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')).timestamp()*1000))" "$from")
W=ws://127.0.0.1:$port/ws
"$CPE_BIN" stream --url "$W" --send "{\"op\":\"replay\",\"asset\":\"BTC\",\"from\":$from_ms,\"speed\":1000}" \
  --count 400 --match '"type":"replay"' --timeout-ms 20000 >"$tmp/replay.jsonl" 2>"$tmp/replay.err"
python3 - "$tmp/replay.jsonl" "$from_ms" >"$tmp/replay.txt" <<'EOF'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1]) if '"type":"replay"' in l]
bars = [m for m in msgs if "bar" in m]
t0 = int(sys.argv[2])
close = {m["bar"]["t"]: m["bar"]["close"] for m in bars}
preds = [(m["bar"]["t"], p) for m in bars for p in m["predictions"]]
hits = total = 0
last = bars[-1]["bar"]["t"] if bars else 0
for t, p in preds:
    due = t + p["horizon_hours"] * 3600000
    if due <= last:
        total += 1
        hits += (close[due] > close[t]) == (p["p_up"] > 0.5)
acc = bars[-1]["accuracy"] if bars else None
ok = (len(bars) == 400 and bars[0]["bar"]["t"] == t0 and
      all(b["bar"]["t"] - a["bar"]["t"] == 60000 for a, b in zip(bars, bars[1:])) and
      len(preds) >= 300 and total > 0 and acc == {"hits": hits, "total": total})
print(ok or f"bars {len(bars)} first {bars[0]['bar']['t'] if bars else None} preds {len(preds)} "
            f"recomputed {hits}/{total} streamed {acc}")
EOF
check "ws replay: 400 bars from the chosen time with the stored predictions, accuracy as recomputed ($(cat "$tmp/replay.txt"))" \
  test "$(cat "$tmp/replay.txt")" = True
# hovering a backfilled bar: GET /explain gives what the walk-forward model believed at the
# last prediction at or before it (backfilled every 5 minutes)
at_ms=$((from_ms + 3600000))
curl -s "$B/explain?asset=BTC&horizon_hours=4&at=$at_ms" >"$tmp/explain.json"
check "GET /explain at a backfilled bar: its stored walk-forward explanation (reasons, the bar before)" \
  test "$(json "$tmp/explain.json" "$at_ms - 300000 < d['t_ms'] <= $at_ms and '-wf-' in d['model_version'] and len(d['reasons']) > 0 and d['previous_t_ms'] == d['t_ms'] - 300000")" = True
# seek: a second replay message with another `from` restarts there; steps while paused
seek_ms=$((from_ms + 86400000))
"$CPE_BIN" stream --url "$W" --send "{\"op\":\"replay\",\"asset\":\"BTC\",\"from\":$from_ms,\"speed\":0}" \
  --send "{\"op\":\"replay\",\"asset\":\"BTC\",\"from\":$seek_ms,\"speed\":0}" --send '{"op":"replay_step"}' \
  --send '{"op":"replay_step"}' --count 2 --match '"bar"' --timeout-ms 5000 >"$tmp/seek.jsonl" 2>&1
check "ws replay: seek to another time, then two steps while paused give its first two bars" \
  test "$(python3 -c "import json,sys; b=[json.loads(l)['bar']['t'] for l in open(sys.argv[1]) if '\"bar\"' in l]; print(b == [int(sys.argv[2]), int(sys.argv[2]) + 60000])" "$tmp/seek.jsonl" "$seek_ms")" = True

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
