#!/usr/bin/env bash
# test_backtest_runs.sh — saved and compared backtest runs against a real `cpe serve` on a
# simulated store (issue 16 item 4): two runs of different strategies finish, GET /backtests
# lists both newest first with their range, data and model versions, strategy and metrics
# (paged), GET /backtests/{id} returns the whole result (the job's bytes), the two runs
# compare (same bars, different strategy and fees), the runs outlive the server, the errors
# follow the contract, and GET /backtest-options gives the limits POST /backtest checks. Needs $CPE_BIN, curl and python3.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

"$CPE_BIN" simulate --days 56 --seed 11 --db "$tmp/s.db" >"$tmp/sim.log" 2>&1 || { cat "$tmp/sim.log"; exit 1; }
last=$(sed -n 's/.* to \([0-9T:.-]*Z\) into .*/\1/p' "$tmp/sim.log")
to=$(python3 -c "import datetime as d,sys; t=d.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print(t.replace(minute=0,second=0,microsecond=0).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$last")
from=$(python3 -c "import datetime as d,sys; t=d.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t-d.timedelta(days=8)).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$to")

start_serve --db "$tmp/s.db" --source store
# post STRATEGY_JSON: the job id
post() { curl -s -X POST -d "{\"asset\":\"BTC\",\"from\":\"$from\",\"to\":\"$to\",\"strategy\":$1}" "$B/backtest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])'; }
wait_job() {
  status=
  for _ in $(seq $(($3 * 10))); do
    curl -s "$B/backtest/$1" >"$2"
    status=$(json "$2" 'd["status"]')
    case $status in done | failed | cancelled) return ;; esac
    sleep 0.1
  done
}

ida=$(post '{"p_up_min":0.52,"p_down_min":0.52,"commission_bps":4}')
wait_job "$ida" "$tmp/a.json" 900
check "run A finishes and is saved ($status, $(json "$tmp/a.json" 'd.get("saved")'))" \
  test "$status$(json "$tmp/a.json" 'd.get("saved")')" = doneTrue
idb=$(post '{"p_up_min":0.6,"p_down_min":0.6,"commission_bps":10,"slippage_bps":2}')
wait_job "$idb" "$tmp/b.json" 300
check "run B finishes and is saved" test "$status$(json "$tmp/b.json" 'd.get("saved")')" = doneTrue

curl -s "$B/backtests" >"$tmp/list.json"
check "GET /backtests lists both, newest first ($(json "$tmp/list.json" '[r["id"] for r in d["runs"]]'))" \
  test "$(json "$tmp/list.json" '[r["id"] for r in d["runs"]] == [sys.argv[3], sys.argv[4]] and d["total"] == 2' "$idb" "$ida")" = True
check "each listed run has its range, data and model versions, strategy and metrics, no result" \
  test "$(json "$tmp/list.json" 'all(r["instrument"] and r["to_ms"] > r["from_ms"] and " bars, last " in r["data_version"] and "-wf-" in r["model_version"] and "sharpe_ratio" in r["metrics"] and "commission_bps" in r["strategy"] and "result" not in r for r in d["runs"])')" = True
curl -s "$B/backtests?limit=1&offset=1" >"$tmp/page.json"
check "GET /backtests?limit=1&offset=1 is the older run alone" \
  test "$(json "$tmp/page.json" '[r["id"] for r in d["runs"]] == [sys.argv[3]] and (d["total"], d["offset"], d["limit"]) == (2, 1, 1)' "$ida")" = True

curl -s "$B/backtests/$ida" >"$tmp/ra.json"
curl -s "$B/backtests/$idb" >"$tmp/rb.json"
check "GET /backtests/{id}: the saved result is the job's result" \
  python3 -c "import json,sys; a=json.load(open(sys.argv[1])); j=json.load(open(sys.argv[2])); sys.exit(0 if a['result'] == j['result'] and a['id'] == j['job_id'] else 1)" "$tmp/ra.json" "$tmp/a.json"
python3 - "$tmp/ra.json" "$tmp/rb.json" >"$tmp/cmp.txt" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ra, rb = a["result"], b["result"]
same_bars = (ra["from_ms"], ra["to_ms"], ra["bars"]) == (rb["from_ms"], rb["to_ms"], rb["bars"])
curves = len(ra["equity"]["t"]) > 10 and ra["equity"]["t"] == rb["equity"]["t"]
diff = a["strategy"]["commission_bps"] == 4 and b["strategy"]["commission_bps"] == 10
print(same_bars and curves and diff and a["data_version"] == b["data_version"]
      and a["model_version"] == b["model_version"]
      and ("trades" in ra and "points" in ra["hindsight"]))
PY
check "the two runs compare: same bars and time axis, same data and models, their own strategies" \
  test "$(cat "$tmp/cmp.txt")" = True

# --- the runs outlive the server ---------------------------------------------------------
kill "${pids[-1]}" && wait "${pids[-1]}" 2>/dev/null
start_serve --db "$tmp/s.db" --source store
curl -s "$B/backtests" >"$tmp/list2.json"
check "after a restart GET /backtests still lists both" test "$(json "$tmp/list2.json" 'd["total"]')" = 2

# --- errors and the contract ---------------------------------------------------------------
code=$(curl -s -o "$tmp/e404.json" -w '%{http_code}' "$B/backtests/bt-nope")
check "GET /backtests/{id}: an unknown id is 404 NOT_FOUND naming it" \
  test "$code$(json "$tmp/e404.json" 'd["error"]["code"]')" = 404NOT_FOUND
code=$(curl -s -o "$tmp/e400.json" -w '%{http_code}' "$B/backtests?limit=0")
check "GET /backtests?limit=0 is 400 naming limit" \
  test "$code$(json "$tmp/e400.json" 'd["error"]["details"]["field"]')" = 400limit
curl -s "$B/backtest-options" >"$tmp/opt.json"
check "GET /backtest-options: the defaults and the limits (commission_bps in [0, 100], p_up_min in (0.5, 1))" \
  test "$(json "$tmp/opt.json" 'd["defaults"]["commission_bps"] == 4 and {"key": "commission_bps", "type": "number", "min": 0, "max": 100} in d["limits"] and {"key": "p_up_min", "type": "number", "min": 0.5, "max": 1, "exclusive": True} in d["limits"] and d["max_days"] == 400')" = True
code=$(curl -s -o "$tmp/e400s.json" -w '%{http_code}' -X POST -d "{\"asset\":\"BTC\",\"from\":\"$from\",\"to\":\"$to\",\"strategy\":{\"commission_bps\":150}}" "$B/backtest")
check "POST /backtest beyond a limit: 400 with the message the form shows ($(json "$tmp/e400s.json" 'd["error"]["message"]'))" \
  test "$code$(json "$tmp/e400s.json" 'd["error"]["message"]')" = "400strategy: 'commission_bps' (150) is outside [0, 100]"
curl -s "$B/openapi.json" >"$tmp/openapi.json"
check "OpenAPI: GET /backtests and /backtests/{run_id} with their responses" \
  test "$(json "$tmp/openapi.json" 'sorted(d["paths"]["/backtests"]["get"]["responses"]), sorted(d["paths"]["/backtests/{run_id}"]["get"]["responses"])')" = "(['200', '400', '401', '429', '503'], ['200', '401', '404', '429', '503'])"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
