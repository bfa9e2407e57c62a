#!/usr/bin/env bash
# `cpe serve` polls the on-chain connectors itself (api/onchain_poll.c), against the local
# double of the four services (onchain_double.py, loopback):
#   1. the double is down when the server starts: the first polls fail, are shown in
#      /health's onchain_poll and backed off, and the service answers meanwhile;
#   2. once the double answers (a 429 first, waited out): every source's new points are
#      stored, /health's freshness says fresh, /market-data's flows carry them, and the
#      cockpit's market channel gets {"flows_updated": true};
#   3. CPE_ONCHAIN_POLL=0 starts no poller (onchain_poll null).
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dport=$(freeport)
D=http://127.0.0.1:$dport
export CPE_GLASSNODE_API_KEY=test-g CPE_CRYPTOQUANT_API_KEY=test-c CPE_WHALE_ALERT_API_KEY=test-w
export CPE_GLASSNODE_BASE=$D CPE_CRYPTOQUANT_BASE=$D CPE_WHALE_ALERT_BASE=$D CPE_DEFILLAMA_BASE=$D
export CPE_ONCHAIN_POLL_S=1 CPE_ONCHAIN_PER_MIN=100000
pts() { python3 -c "
import sqlite3,sys
c=sqlite3.connect(sys.argv[1])
print(c.execute('select count(*) from point p join series s on s.id=p.series_id where s.instrument=?',(sys.argv[2],)).fetchone()[0])" "$@"; }
poll() { curl -s "$B/health" | python3 -c "
import json,sys
p=json.load(sys.stdin)['onchain_poll']
print(eval(sys.argv[1]))" "$1"; }

"$CPE_BIN" simulate --db "$tmp/a.db" --days 2 --seed 3 >/dev/null 2>&1
echo "-- 1: the services are down"
start_serve --db "$tmp/a.db" --source store
"$CPE_BIN" stream --url "ws://127.0.0.1:$port/ws" \
  --send '{"op":"subscribe","channel":"market","asset":"BTC"}' \
  --count 1 --match flows_updated --timeout-ms 60000 >"$tmp/ws.out" 2>"$tmp/ws.err" &
spid=$!
for _ in $(seq 100); do [ "$(poll "min(s['failures'] for s in p['sources'])")" -ge 1 ] 2>/dev/null && break; sleep 0.1; done
check "every configured source is polled (4)" test "$(poll "len(p['sources'])")" -eq 4
check "failed polls are counted, with the error" \
  test "$(poll "all(s['failures']>=1 and 'error' in s for s in p['sources'])")" = True
check "and backed off: the next poll is later than the period" \
  test "$(poll "all(s['next_poll_ms']-s['last_poll_ms']>=2000 for s in p['sources'])")" = True
t0=$(date +%s%N)
curl -sf "$B/health" >/dev/null
check "the service answers meanwhile (< 1 s)" test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000

echo "-- 2: the services answer"
python3 "$here/onchain_double.py" --port "$dport" --fail429 1 >"$tmp/double.log" 2>&1 &
pids+=($!)
# a poll that began while the double came up may have failed part way: the next one is whole
for _ in $(seq 600); do
  [ "$(poll "all(s['points']>0 and 'error' not in s for s in p['sources'])")" = True ] 2>/dev/null && break
  sleep 0.1
done
check "every source stored new points" test "$(poll "all(s['points']>0 for s in p['sources'])")" = True
check "a whole successful poll clears the error" test "$(poll "any('error' in s for s in p['sources'])")" = False
check "daily series: the last days stored" test "$(pts "$tmp/a.db" series:BTC:exchange_netflow)" -ge 2
check "whale flows: the last hours stored" test "$(pts "$tmp/a.db" series:ETH:whale_flows)" -ge 1
check "the 429 was waited out" test "$(curl -s "$D/_stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['rate_limited'])")" -ge 1
curl -s "$B/health" >"$tmp/h.json"
check "health: glassnode fresh" \
  test "$(json "$tmp/h.json" "[s for s in d['onchain'] if s['source']=='glassnode'][0]['stale']")" = False
curl -s "$B/market-data?asset=BTC&interval=1h" >"$tmp/md.json"
check "the flows panel's whale series is served" test "$(json "$tmp/md.json" "d['flows']['whale']['source']")" = whale_alert
wait "$spid"
check "the market channel says the flows were updated" test $? -eq 0
check "with the source named" grep -q '"flows_updated":true,"source":"' "$tmp/ws.out"
n1=$(curl -s "$D/_stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['requests'])")
p1=$(poll "sum(s['polls'] for s in p['sources'])")
sleep 3
n2=$(curl -s "$D/_stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['requests'])")
p2=$(poll "sum(s['polls'] for s in p['sources'])")
check "polls go on every period" test "$p2" -gt "$p1"
check "asking only for what is new (the resume marks: few or no requests)" test $((n2 - n1)) -lt 20
kill "${pids[0]}" 2>/dev/null; wait "${pids[0]}" 2>/dev/null

echo "-- 3: off"
CPE_ONCHAIN_POLL=0 start_serve --db "$tmp/a.db" --source store
check "CPE_ONCHAIN_POLL=0: no poller" test "$(poll "p")" = None

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
