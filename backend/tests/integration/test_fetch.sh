#!/usr/bin/env bash
# `cpe fetch` against the Binance exchange double on loopback (no network): 90 days of
# history in Binance's REST shapes (klines spot + perp, funding every 8 h, OI every 5 min).
#   1. counts: every minute of both markets, every settlement, 30 days of 5-min OI;
#   2. idempotence: the same range again makes no request and inserts nothing;
#   3. resume: a fetch killed (SIGKILL) part-way leaves whole pages; the next run asks only
#      for the rest, and then the store holds every row;
#   4. a bad answer (truncated JSON): exit 1, the error names the URL, the store is unchanged;
#      429 answers are waited out (Retry-After) and 500s retried, and nothing is lost;
#   5. usage errors (no range, unknown exchange) exit 2;
#   6. another row of the exchange table: Coinbase (spot only) from its double, 300-candle
#      pages newest first, the perp market skipped.
source "$(dirname "$0")/lib.sh"
need_double
port=$(free_port)
start_double binance "$port" "$tmp/double.log" --minute-ms 60000 --history-days 90 --symbol SOLUSDT
D=http://127.0.0.1:$port
stat() { curl -s "$D/_stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['rest_requests'])"; }
# A fixed range of 90 days ending at the last closed minute, so repeated runs ask for the same.
to=$(( ($(date +%s) / 60) * 60000 ))
from=$(( to - 90 * 86400000 ))
fetch() { "$CPE_BIN" fetch --symbol SOLUSDT --from "$from" --to "$to" --rest-base "$D" "$@"; }
# series KIND MARKET FIELD over a report
field() { json "$1" "sum(s['$4'] for s in d['series'] if s['kind']=='$2' and ':$3:' in s['instrument'])"; }

echo "-- 1: counts"
fetch --db "$tmp/a.db" >"$tmp/a1.json" 2>"$tmp/a1.err"
check "first fetch exits 0" test $? -eq 0
check "spot klines: every minute of 90 days" test "$(field "$tmp/a1.json" kline:1m spot inserted)" -eq 129600
check "perp klines: every minute of 90 days" test "$(field "$tmp/a1.json" kline:1m perp inserted)" -eq 129600
check "funding: every 8 h settlement" test "$(field "$tmp/a1.json" funding perp inserted)" -eq 270
check "open interest: 30 days of 5 min" test "$(field "$tmp/a1.json" oi perp inserted)" -eq 8640
full=$(json "$tmp/a1.json" "d['requests']")
echo "   requests: $full, elapsed $(json "$tmp/a1.json" "d['elapsed_ms']") ms"
"$CPE_BIN" summary --db "$tmp/a.db" >"$tmp/a.summary"
check "summary: no gaps in the klines" \
  test "$(awk '$2=="kline:1m" && $3==129600 && $6==0' "$tmp/a.summary" | wc -l)" -eq 2

echo "-- 2: idempotence"
fetch --db "$tmp/a.db" >"$tmp/a2.json" 2>/dev/null
check "second fetch exits 0" test $? -eq 0
check "second fetch makes no request" test "$(json "$tmp/a2.json" "d['requests']")" -eq 0
check "second fetch inserts nothing" \
  test "$(json "$tmp/a2.json" "sum(s['inserted']+s['updated'] for s in d['series'])")" -eq 0

echo "-- 3: resume after a kill"
base=$(stat)
"$CPE_BIN" fetch --symbol SOLUSDT --from "$from" --to "$to" --rest-base "$D" --db "$tmp/b.db" \
  >/dev/null 2>&1 &
fp=$! # the cpe process itself (not a subshell), so SIGKILL stops the fetch
for _ in $(seq 400); do [ $(( $(stat) - base )) -ge 60 ] && break; sleep 0.02; done
kill -9 $fp 2>/dev/null; wait $fp 2>/dev/null
"$CPE_BIN" summary --db "$tmp/b.db" >"$tmp/b.summary" 2>/dev/null
partial=$(awk '$2=="kline:1m" {s+=$3} END {print s+0}' "$tmp/b.summary")
echo "   killed after $(( $(stat) - base )) requests with $partial klines stored"
check "the kill came part-way" test "$partial" -gt 0 -a "$partial" -lt 259200
fetch --db "$tmp/b.db" >"$tmp/b2.json" 2>/dev/null
check "resumed fetch exits 0" test $? -eq 0
resumed=$(json "$tmp/b2.json" "d['requests']")
echo "   resumed with $resumed requests (a full fetch: $full)"
check "resumed fetch skips the stored pages" test "$resumed" -lt "$full"
check "resumed fetch inserts the rest" \
  test "$(json "$tmp/b2.json" "sum(s['inserted'] for s in d['series'] if s['kind']=='kline:1m')")" \
  -eq $(( 259200 - partial ))
fetch --db "$tmp/b.db" >"$tmp/b3.json" 2>/dev/null
check "after the resume every page is whole" test "$(json "$tmp/b3.json" "d['requests']")" -eq 0

echo "-- 4: a bad answer"
"$CPE_BIN" fetch --db "$tmp/c.db" --symbol SOLUSDT --from "$from" --to $(( from + 7200000 )) \
  --rest-base "$D" >/dev/null 2>&1
"$CPE_BIN" summary --db "$tmp/c.db" >"$tmp/c.before"
curl -sf "$D/_control?garbage=1" >/dev/null
"$CPE_BIN" fetch --db "$tmp/c.db" --symbol SOLUSDT --from $(( from + 7200000 )) \
  --to $(( from + 14400000 )) --rest-base "$D" >"$tmp/c.json" 2>"$tmp/c.err"
code=$?
cat "$tmp/c.err"
check "bad answer: exit 1" test "$code" -eq 1
check "bad answer: the error names the URL" grep -q "bad answer from GET $D/api/v3/klines?symbol=SOLUSDT" "$tmp/c.err"
"$CPE_BIN" summary --db "$tmp/c.db" >"$tmp/c.after"
check "bad answer: the store is unchanged" cmp -s "$tmp/c.before" "$tmp/c.after"

echo "-- 4b: 429 and 500 answers: waited out (Retry-After) and retried, nothing lost"
curl -sf "$D/_control?http429=2&http500=2" >/dev/null
"$CPE_BIN" fetch --db "$tmp/c.db" --symbol SOLUSDT --from $(( from + 7200000 )) \
  --to $(( from + 14400000 )) --rest-base "$D" >"$tmp/c2.json" 2>"$tmp/c2.err"
check "429/500: exit 0" test $? -eq 0
check "429/500: the 429s were waited out" test "$(json "$tmp/c2.json" "d['rate_waits']")" -ge 2
check "429/500: the 500s were retried" test "$(json "$tmp/c2.json" "d['retries']")" -ge 2
check "429/500: every minute of the 2 hours" \
  test "$(json "$tmp/c2.json" "sum(s['inserted'] for s in d['series'] if s['kind']=='kline:1m')")" -eq 240

echo "-- 5: usage"
"$CPE_BIN" fetch --db "$tmp/d.db" --symbol SOLUSDT >/dev/null 2>&1
check "no range: exit 2" test $? -eq 2
"$CPE_BIN" fetch --db "$tmp/d.db" --symbol SOLUSDT --days 1 --exchange nowhere >/dev/null 2>&1
check "unknown exchange: exit 2" test $? -eq 2

echo "-- 6: Coinbase"
cport=$(free_port)
start_double coinbase "$cport" "$tmp/cdouble.log" --minute-ms 60000 --history-days 3 --symbol SOLUSDT
"$CPE_BIN" fetch --db "$tmp/e.db" --symbol SOL --from $(( to - 2 * 86400000 )) --to "$to" \
  --exchange coinbase --rest-base "http://127.0.0.1:$cport" >"$tmp/e.json" 2>"$tmp/e.err"
check "coinbase: exit 0" test $? -eq 0
check "coinbase: every minute of 2 days, spot only" \
  test "$(json "$tmp/e.json" "[(s['instrument'], s['inserted']) for s in d['series']]")" = \
  "[('coinbase:spot:SOLUSDT', 2880)]"
check "coinbase: 300-candle pages" test "$(json "$tmp/e.json" "d['requests']")" -eq 10

echo "test_fetch: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
