#!/usr/bin/env bash
# bench_nginx.sh — the scale-out shape behind nginx (issue 17 figures, docs/SCALING.md): a
# throwaway redis-server, an ingest node (simulator: an in-progress candle every second, a
# minute every BENCH_MINUTE_MS, default 60000: one update a second per client), two API
# nodes on one SQLite store, Debian's nginx with deploy/nginx/cpe.conf in front
# (backend/tests/integration/nginx_tmp.sh). WebSocket clients are build/release/ws_load
# (bench/ws_load.c: C, one thread, epoll), subscribed to BTC 1m candles; latency = arrival -
# emitted_ms, so it covers the ingest pipeline, publish, Redis, the API node, nginx and the
# client:
#   ws:      BENCH_CLIENTS (default 1000) clients through nginx for BENCH_S seconds (default
#            20), then the same straight on the two API nodes, for what nginx adds
#   ws_big:  BENCH_BIG_CLIENTS (default 10000; 0 skips) clients straight on the two API nodes
#            (half each), with each node's peak RSS
#   predict: wrk, 64 connections, 2 threads, BENCH_WRK_S seconds (default 10) of
#            GET /predict?asset=BTC&horizon_hours=4 through nginx over both API nodes
# JSON lines: {"bench":"nginx_ws","via":..,"clients":..,"p50_ms":..,"p99_ms":..,"rss_mb":[a,b]},
# {"bench":"nginx_predict","rps":..,"p50_ms":..,"p99_ms":..} and {"bench":"nginx_node",...}.
# Usage: bench_nginx.sh (CPE_BIN, default build/release/cpe; WS_LOAD, default
# build/release/ws_load). Needs redis-server, nginx, wrk. The open-file limit is raised to
# the hard limit (each client is a descriptor here and on its node, two through nginx).
set -uo pipefail
cd "$(dirname "$0")/../.."
CPE_BIN=${CPE_BIN:-$PWD/build/release/cpe}
WS_LOAD=${WS_LOAD:-$PWD/build/release/ws_load}
secs=${BENCH_S:-20}; nclients=${BENCH_CLIENTS:-1000}; wsecs=${BENCH_WRK_S:-10}
nbig=${BENCH_BIG_CLIENTS:-10000}; minute_ms=${BENCH_MINUTE_MS:-60000}
[ -x "$WS_LOAD" ] || { echo '{"bench":"nginx","skip":"no ws_load (cmake --build build/release)"}'; exit 0; }
for t in redis-server nginx wrk; do
  command -v $t >/dev/null || { echo "{\"bench\":\"nginx\",\"skip\":\"needs $t (scripts/bootstrap.sh --with-servers --with-bench)\"}"; exit 0; }
done
. backend/tests/integration/lib.sh # $tmp, $pids, cleanup
. backend/tests/integration/nginx_tmp.sh
trap 'bash backend/tests/redis_tmp.sh stop "$tmp/r"; cleanup' EXIT
url=$(bash backend/tests/redis_tmp.sh start "$tmp/r") || exit 1
export CPE_DB=$tmp/s.db CPE_MODELS=$tmp/models CPE_SYMBOLS=BTCUSDT CPE_RETRAIN=0 \
  CPE_RATE_LIMIT_PER_MIN=0 CPE_PRED_PATHS=2000
"$CPE_BIN" simulate --symbols BTCUSDT --days 3 --seed 5 >/dev/null 2>&1 || exit 1
"$CPE_BIN" train --symbol BTCUSDT --max-rounds 5 >/dev/null 2>&1 || exit 1
node() { # name args...: sets port
  "$CPE_BIN" serve --port 0 --host 127.0.0.1 --bus "$url" "${@:2}" >"$tmp/$1.out" 2>"$tmp/$1.err" &
  pids+=($!)
  local me=$!
  port=
  for _ in $(seq 400); do
    port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/$1.out")
    [ -n "$port" ] && { lastpid=$me; return 0; }
    sleep 0.05
  done
  exit 1
}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true # inherited by the nodes and nginx
CPE_LIVE_MINUTE_MS=$minute_ms CPE_LIVE_TICK_MS=1000 node ingest --role ingest --source simulate
node a --role api; A=127.0.0.1:$port; apid=$lastpid
node b --role api; B=127.0.0.1:$port; bpid=$lastpid
mkdir -p "$tmp/dist"; echo '<!doctype html>' >"$tmp/dist/index.html"
# one client address: the per-client limit of the site would answer 429 to most requests
NGINX_TMP_NO_LIMIT=1 nginx_start "$tmp/dist" "$A" "$B" >/dev/null || exit 1
sub='{"op":"subscribe","channel":"candles","asset":"BTC","interval":"1m"}'
load() { # via clients url...: one nginx_ws line
  local via=$1 n=$2 args=()
  shift 2
  for u in "$@"; do args+=(--url "ws://$u/ws"); done
  r=$("$WS_LOAD" "${args[@]}" --clients "$n" --seconds "$secs" --send "$sub" --rss "$apid" --rss "$bpid")
  echo "{\"bench\":\"nginx_ws\",\"via\":\"$via\",\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",${r#\{}"
}
load "nginx, 2 api nodes" "$nclients" "$NG"
# the same clients straight on the API nodes: what nginx adds is the difference
load "api nodes a+b, no nginx" "$nclients" "$A" "$B"
[ "$nbig" -gt 0 ] && load "api nodes a+b, no nginx" "$nbig" "$A" "$B"
curl -s -o /dev/null "http://$NG/predict?asset=BTC&horizon_hours=4"
wrk -t2 -c64 -d"${wsecs}s" --latency "http://$NG/predict?asset=BTC&horizon_hours=4" >"$tmp/wrk.txt" 2>&1
python3 - "$tmp/wrk.txt" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return round(float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u], 2)
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", t, re.M))
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(json.dumps({"bench": "nginx_predict", "connections": 64, "rps": float(rps.group(1)) if rps else None,
                  "p50_ms": ms(lat["50"]) if "50" in lat else None, "p99_ms": ms(lat["99"]) if "99" in lat else None,
                  "non_2xx": int(non2xx.group(1)) if non2xx else 0}))
PY
for n in a:$A:$apid b:$B:$bpid; do
  IFS=: read -r name host hport pid <<<"$n"
  reqs=$(curl -s "http://$host:$hport/metrics" | sed -n 's/^cpe_http_requests_total{route="predict",method="GET",status="200"} //p')
  echo "{\"bench\":\"nginx_node\",\"node\":\"$name\",\"predict_200\":${reqs:-0},\"rss_kb\":$(ps -o rss= -p "$pid" | tr -d ' ')}"
done
