# bus_lib.sh — sourced by the scale-out tests (test_bus_redis.sh, test_cluster.sh; not a
# test itself; needs lib.sh's $tmp and $CPE_BIN):
#   stream HOST:PORT OUT MS      a WebSocket client subscribed to BTC 1m candles and BTC
#                                predictions for MS ms, its messages in OUT
#   backtest_through POST GET WS_OUT
#                                POST /backtest to node POST over the closed candles of WS_OUT
#                                and poll node GET until its record is done or failed; sets
#                                $id and $st, the record in $tmp/job.json
SUB_C='{"op":"subscribe","channel":"candles","asset":"BTC","interval":"1m"}'
SUB_P='{"op":"subscribe","channel":"predictions","asset":"BTC"}'
stream() {
  "$CPE_BIN" stream --url "ws://$1/ws" --send "$SUB_C" --send "$SUB_P" --timeout-ms "$3" >"$2" 2>/dev/null
}
backtest_through() {
  local range
  range=$(python3 -c '
import json, sys
ts = [json.loads(l)["bar"]["t"] for l in open(sys.argv[1]) if "\"closed\":true" in l]
print(json.dumps({"asset": "BTC", "from": min(ts), "to": max(ts) + 60000}))' "$3")
  curl -s -X POST -d "$range" "http://$1/backtest" >"$tmp/post.json"
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$tmp/post.json" 2>/dev/null)
  st=
  for _ in $(seq 600); do
    curl -s "http://$2/backtest/$id" >"$tmp/job.json"
    st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$tmp/job.json" 2>/dev/null)
    [ "$st" = done ] || [ "$st" = failed ] && break
    sleep 0.1
  done
}
