#!/usr/bin/env bash
# bench_btcache.sh — backtests over real data with walk-forward folds kept in the store
# (issue 16): one JSON line per figure. Needs the real data ($CPE_SHARED/data/real) and
# build/release/cpe; CPE_BENCH_DB=PATH uses (and fills) that store instead of importing one.
#   year_cold_ms     2024-09-01 .. 2025-08-31 with no stored folds (53 weekly folds)
#   year_again_ms    the same command again (every fold reused)
#   extend_week_ms   the range extended by one week (2024-08-25 ..): one new fold
#   cancel_ms        POST /backtest over an uncached range, DELETE 1 s into training: until
#                    GET says cancelled (server_cancel_ms: the server's own DELETE-to-end);
#                    cancel_cpu_idle_ms: until the server's CPU time stops growing (the folds
#                    in training stop at their next boosting round)
# CPE_BENCH_ONLY=cancel measures the cancel figures alone.
# Each process figure also gives its CPU time (user + sys): what an idle box would show.
set -uo pipefail
cd "$(dirname "$0")/../.."
CPE=${CPE_BIN:-$PWD/build/release/cpe}
real=${CPE_SHARED:-../shared}/data/real
line() { echo "{\"bench\":\"btcache\",\"metric\":\"$1\",\"value\":$2,\"unit\":\"$3\",\"target\":$4$5}"; }
if [ ! -d "$real" ]; then
  echo '{"bench":"btcache","skipped":"no real data"}'
  exit 0
fi
tmp=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT
db=${CPE_BENCH_DB:-$tmp/real.db}
[ -n "${CPE_BENCH_DB:-}" ] || "$CPE" import --db "$db" "$real" >/dev/null 2>&1
# timed NAME TARGET_MS ARGS...: one cpe backtest, wall and CPU time, folds reused/trained
timed() {
  local name=$1 target=$2
  shift 2
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$CPE" backtest --db "$db" --symbol BTCUSDT "$@" \
    --out "$tmp/out.json" >"$tmp/log" 2>&1
  read -r wall user sys <"$tmp/time"
  local pred
  pred=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["predictions"])' "$tmp/out.json")
  line "$name" "$(python3 -c "print(round($wall*1000))")" ms "$target" \
    ",\"cpu_ms\":$(python3 -c "print(round(($user+$sys)*1000))"),\"predictions\":\"$pred\""
}
if [ "${CPE_BENCH_ONLY:-}" != cancel ]; then # CPE_BENCH_ONLY=cancel: the cancel figures alone
  timed year_cold_ms 60000 --from 2024-09-01 --to 2025-08-31
  timed year_again_ms 1000 --from 2024-09-01 --to 2025-08-31
  timed extend_week_ms 10000 --from 2024-08-25 --to 2025-08-31
fi

CPE_RATE_LIMIT_PER_MIN=100000 "$CPE" serve --port 0 --host 127.0.0.1 --db "$db" --source store \
  >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv=$!
port=
for _ in $(seq 200); do
  port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/serve.out")
  [ -n "$port" ] && break
  sleep 0.05
done
B=http://127.0.0.1:$port
id=$(curl -s -X POST -d '{"asset":"BTC","from":"2024-05-01","to":"2024-08-01"}' "$B/backtest" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
python3 - "$B" "$id" "$srv" <<'PY'
import json, sys, time, urllib.request
B, jid, pid = sys.argv[1], sys.argv[2], sys.argv[3]
get = lambda: json.load(urllib.request.urlopen(f"{B}/backtest/{jid}"))
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime + stime, clock ticks
while True:
    j = get()
    if j["status"] == "running" and j["progress"]["stage"] == "training": break
    time.sleep(0.05)
time.sleep(1.0)  # folds in training
t0 = time.time()
urllib.request.urlopen(urllib.request.Request(f"{B}/backtest/{jid}", method="DELETE"))
while (j := get())["status"] != "cancelled": time.sleep(0.01)
t1 = time.time()
last, still = cpu(), 0.0
while still < 0.5:  # until the server's CPU time stops growing for 0.5 s
    time.sleep(0.1)
    c = cpu()
    still = still + 0.1 if c == last else 0.0
    last = c
t2 = time.time() - 0.5
print(json.dumps({"bench": "btcache", "metric": "cancel_ms", "value": round((t1 - t0) * 1000),
                  "unit": "ms", "target": 1000,
                  "server_cancel_ms": j.get("cancel_ms"),
                  "cancel_cpu_idle_ms": round((t2 - t0) * 1000)}))
PY
