#!/usr/bin/env bash
# `cpe onchain` against the local double of Glassnode, CryptoQuant, Whale Alert and
# DefiLlama (onchain_double.py, loopback, no network), then the series in /market-data's
# flows and the sources' freshness in /health:
#   1. no keys: only the keyless DefiLlama is fetched, the others are listed as not
#      configured; a year of daily supply, 429s waited out (Retry-After) and 500s retried;
#   2. keys from the environment: a year of every daily metric for each asset; a second run
#      asks for nothing (resume); whale transfers aggregated per hour and direction, the
#      12:00 hour through Whale Alert's cursor;
#   3. a malformed answer: exit 1, the URL named, nothing stored for that series;
#   4. usage errors exit 2;
#   5. serve: /market-data flows carry each series with its source, /health the freshness;
#      the exchange reserves file of ../shared/data/real imported gives the exchange net flow
#      (reserve changes) with source "import";
#   6. macro daily closes (S&P 500, gold, DXY, BTC dominance) imported from CSV feed the
#      cross-asset features, and only from the day after their date: changing yesterday's
#      close changes no bar that closed before today 00:00 UTC.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dport=$(freeport)
bport=$(freeport)
python3 "$here/onchain_double.py" --port "$dport" --fail429 2 --fail500 2 >"$tmp/double.log" 2>&1 &
pids+=($!)
D=http://127.0.0.1:$dport
for _ in $(seq 100); do curl -sf "$D/_stats" >/dev/null && break; sleep 0.1; done
to=$(( ($(date +%s) / 86400) * 86400000 ))
from=$(( to - 365 * 86400000 ))
unset CPE_GLASSNODE_API_KEY CPE_CRYPTOQUANT_API_KEY CPE_WHALE_ALERT_API_KEY
oc() { "$CPE_BIN" onchain --from "$from" --to "$to" --base "$D" --per-min 100000 "$@"; }
row() { json "$1" "sum(s['$3'] for s in d['series'] if s['instrument']=='$2')"; }
pts() { python3 -c "
import sqlite3,sys
c=sqlite3.connect(sys.argv[1])
r=c.execute('select count(*), coalesce(sum(p.v$3),0) from point p join series s on s.id=p.series_id where s.instrument=?',(sys.argv[2],)).fetchone()
print('%d %g' % r)" "$@"; }

echo "-- 1: no keys"
oc --db "$tmp/a.db" >"$tmp/a1.json" 2>"$tmp/a1.err"
check "keyless fetch exits 0" test $? -eq 0
check "the keyed sources are listed as not configured" \
  test "$(json "$tmp/a1.json" "','.join(d['not_configured'])")" = "glassnode,cryptoquant,whale_alert"
check "a year of daily stablecoin supply" test "$(row "$tmp/a1.json" series:CRYPTO:stablecoin_supply inserted)" -eq 365
check "the supply changes beside it" test "$(pts "$tmp/a.db" series:CRYPTO:stablecoin_supply_change 0 | cut -d' ' -f1)" -eq 364
check "two 429s waited out" test "$(json "$tmp/a1.json" "d['rate_waits']")" -ge 2
check "two 500s retried" test "$(json "$tmp/a1.json" "d['retries']")" -ge 2

echo "-- 2: keys from the environment"
export CPE_GLASSNODE_API_KEY=test-g CPE_CRYPTOQUANT_API_KEY=test-c CPE_WHALE_ALERT_API_KEY=test-w
oc --db "$tmp/a.db" --sources glassnode,cryptoquant >"$tmp/a2.json" 2>"$tmp/a2.err"
check "keyed fetch exits 0" test $? -eq 0
for s in BTC:exchange_netflow ETH:miner_outflow BTC:nvt_signal ETH:exchange_reserves; do
  check "a year of $s" test "$(pts "$tmp/a.db" "series:$s" 0 | cut -d' ' -f1)" -eq 365
done
check "the key never appears in the report" bash -c "! grep -q test-g '$tmp/a2.json'"
oc --db "$tmp/a.db" --sources glassnode,cryptoquant,defillama >"$tmp/a3.json" 2>/dev/null
check "second run makes no request" test "$(json "$tmp/a3.json" "d['requests']")" -eq 0
wfrom=$(( to - 2 * 86400000 ))
"$CPE_BIN" onchain --from "$wfrom" --to "$to" --base "$D" --per-min 100000 --sources whale_alert \
  --db "$tmp/a.db" >"$tmp/a4.json" 2>"$tmp/a4.err"
check "whale fetch exits 0" test $? -eq 0
check "whale: 48 hours, one request each plus the 12:00 hours' second pages" \
  test "$(row "$tmp/a4.json" series:BTC:whale_flows requests)" -eq 50
# 3 transfers an hour (one to an exchange, one from one, one neither), 120 at 12:00
check "whale: 126 transfers to exchanges in 48 h" test "$(pts "$tmp/a.db" series:BTC:whale_flows 0)" = "48 126"
check "whale: 378 transfers in all" test "$(pts "$tmp/a.db" series:BTC:whale_transactions 0)" = "48 378"

echo "-- 3: a malformed answer"
cp "$tmp/a.db" "$tmp/b.db"
python3 "$here/onchain_double.py" --port $bport --broken >"$tmp/double2.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$bport/_stats" >/dev/null && break; sleep 0.1; done
"$CPE_BIN" onchain --db "$tmp/c.db" --from "$from" --to "$to" --base "http://127.0.0.1:$bport" \
  --sources glassnode >"$tmp/c.json" 2>"$tmp/c.err"
check "bad answer exits 1" test $? -eq 1
check "the error names the URL" grep -q "GET http://127.0.0.1:$bport/v1/metrics/" "$tmp/c.err"
check "nothing stored for it" test "$(pts "$tmp/c.db" series:BTC:exchange_netflow 0 | cut -d' ' -f1)" -eq 0

echo "-- 4: usage"
"$CPE_BIN" onchain --db "$tmp/d.db" --sources nosuch >/dev/null 2>&1
check "unknown source exits 2" test $? -eq 2
"$CPE_BIN" onchain --db "$tmp/d.db" --from "$to" --to "$from" >/dev/null 2>&1
check "empty range exits 2" test $? -eq 2

echo "-- 5: served"
"$CPE_BIN" simulate --db "$tmp/a.db" --days 2 --seed 3 >/dev/null 2>&1
start_serve --db "$tmp/a.db" --source store
curl -s "$B/market-data?asset=BTC&interval=1h" >"$tmp/md.json"
check "whale flows served with their source" test "$(json "$tmp/md.json" "d['flows']['whale']['source']")" = whale_alert
check "whale in/out per hour" test "$(json "$tmp/md.json" "len(d['flows']['whale']['in'])==len(d['flows']['whale']['t'])>0")" = True
check "stablecoin change from defillama" test "$(json "$tmp/md.json" "d['flows']['stablecoin']['source']")" = defillama
check "exchange netflow from a connector" test "$(json "$tmp/md.json" "d['flows']['exchange_netflow']['source'] in ('glassnode','cryptoquant')")" = True
check "fresh: just fetched" test "$(json "$tmp/md.json" "d['flows']['stablecoin']['stale']")" = False
curl -s "$B/health" >"$tmp/h.json"
check "health lists every on-chain source" test "$(json "$tmp/h.json" "len(d['onchain'])")" -eq 4
check "health: glassnode configured and fresh" \
  test "$(json "$tmp/h.json" "[s for s in d['onchain'] if s['source']=='glassnode'][0]['stale']")" = False
check "health: the 10-minute limit" test "$(json "$tmp/h.json" "d['onchain'][0]['max_age_ms']")" -eq 600000
kill "${pids[-1]}" 2>/dev/null; wait "${pids[-1]}" 2>/dev/null
unset CPE_GLASSNODE_API_KEY CPE_CRYPTOQUANT_API_KEY CPE_WHALE_ALERT_API_KEY
shared=${CPE_SHARED:-$here/../../../../shared}/data/real
res=$(ls "$shared"/newhedge_BTC_exchangeReservesBTC_1d_*.csv 2>/dev/null | head -1)
if [ -n "$res" ]; then
  "$CPE_BIN" simulate --db "$tmp/e.db" --days 2 --seed 3 >/dev/null 2>&1
  "$CPE_BIN" import --db "$tmp/e.db" "$res" >/dev/null 2>&1
  check "reserves file imports" test $? -eq 0
  start_serve --db "$tmp/e.db" --source store
  curl -s "$B/market-data?asset=BTC&interval=1h" >"$tmp/me.json"
  check "netflow from the imported reserves: source import" \
    test "$(json "$tmp/me.json" "d['flows']['exchange_netflow']['source']")" = import
  check "derived from the reserves' changes" \
    test "$(json "$tmp/me.json" "d['flows']['exchange_netflow']['derived_from']")" = exchange_reserves
  check "no whale source: null" test "$(json "$tmp/me.json" "d['flows']['whale']")" = None
  curl -s "$B/health" >"$tmp/he.json"
  check "health: glassnode without a key is not configured, not stale" \
    test "$(json "$tmp/he.json" "[(s['configured'],s['stale']) for s in d['onchain'] if s['source']=='glassnode'][0]")" = "(False, False)"
else
  echo "skip: no newhedge reserves file under $shared"
fi

echo "-- 6: macro closes in the cross-asset features"
"$CPE_BIN" simulate --db "$tmp/m.db" --days 40 --seed 3 --symbols BTCUSDT \
  --end "$(date -u +%Y-%m-%dT06:00:00Z)" >/dev/null 2>&1
macro() { python3 - "$tmp" "$1" <<'PY'
import datetime, math, sys
today = datetime.datetime.now(datetime.timezone.utc).date()
for name, base in (("sp500", 4700), ("gold", 2000), ("dxy", 104), ("btc_dominance", 52)):
    with open(f"{sys.argv[1]}/{name}.csv", "w") as f:
        f.write("date,close\n")
        for i in range(45, 0, -1):
            bump = float(sys.argv[2]) if i == 1 and name == "sp500" else 1
            f.write(f"{today - datetime.timedelta(days=i)},{bump * base * (1 + 0.01 * math.sin(i * 1.7 + len(name))):.4f}\n")
PY
  for n in sp500 gold dxy; do "$CPE_BIN" import --db "$tmp/m.db" --series "MACRO:$n" "$tmp/$n.csv" >/dev/null || return 1; done
  "$CPE_BIN" import --db "$tmp/m.db" --series CRYPTO:btc_dominance "$tmp/btc_dominance.csv" >/dev/null
}
feat() { "$CPE_BIN" features --db "$tmp/m.db" --symbol BTCUSDT --from "$(date -u -d '-3 days' +%Y-%m-%dT00:00:00Z)" \
  --to "$(date -u +%Y-%m-%dT04:00:00Z)" --interval 1h --out "$1" >/dev/null 2>&1; }
macro 1 && feat "$tmp/f1.csv"
check "macro closes import and the features run" test -s "$tmp/f1.csv"
macro 1.05 && feat "$tmp/f2.csv"
check "cross-asset features present, the change only from today 00:00" python3 - "$tmp/f1.csv" "$tmp/f2.csv" <<'PY'
import csv, sys
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:3])
cols = ("sp500_correlation", "gold_correlation", "dxy_inverse", "btc_dominance", "btc_dominance_change")
assert len(a) == len(b) == 76 and all(a[-1][c] != "" for c in cols), a[-1]
# rows are bar open times; a bar closing before today 00:00 (the first 71) cannot know
# yesterday's close, a bar closing after it (the last 4) must use it
assert all(x["sp500_correlation"] == y["sp500_correlation"] for x, y in zip(a[:71], b[:71])), "look-ahead"
assert all(x["sp500_correlation"] != y["sp500_correlation"] for x, y in zip(a[72:], b[72:])), "yesterday's close unused"
PY

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
