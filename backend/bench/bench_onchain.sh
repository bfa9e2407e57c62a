#!/usr/bin/env bash
# bench_onchain.sh — issue 19's on-chain figures, one JSON line each (no target: the issue
# sets none; figures go to docs/BENCHMARKS.md):
#   import_rows_per_s  `cpe import --series BTC:exchange_netflow` of a year of minutes
#                      (525,600 ts,value rows) into a fresh store, median of 3 (wall time)
#   backfill_daily_s   `cpe onchain` of 365 days of every daily metric (Glassnode, CryptoQuant,
#                      DefiLlama) for BTC and ETH from tests/integration/onchain_double.py
#   backfill_year_s    the same with Whale Alert too (an hour a request plus the cursor pages)
# Needs build/release/cpe and python3. The double is Python: it, not cpe, bounds the rate.
set -uo pipefail
cd "$(dirname "$0")/../.."
CPE=${CPE_BIN:-$PWD/build/release/cpe}
tmp=$(mktemp -d)
dbl=
trap '[ -n "$dbl" ] && kill $dbl 2>/dev/null; rm -rf "$tmp"' EXIT
python3 - "$tmp/series.csv" <<'PY'
import sys
t0 = 1704067200000
with open(sys.argv[1], "w") as f:
    f.write("ts,value\n")
    for i in range(525600):
        f.write(f"{t0 + i * 60000},{1000 + (i % 977) * 0.25}\n")
PY
ts=()
for i in 1 2 3; do
  rm -f "$tmp"/i.db*
  /usr/bin/time -f %e -o "$tmp/t" "$CPE" import --db "$tmp/i.db" --series BTC:exchange_netflow \
    "$tmp/series.csv" >/dev/null 2>&1
  ts+=("$(tail -1 "$tmp/t")")
done
m=$(printf '%s\n' "${ts[@]}" | sort -g | sed -n 2p)
echo "{\"bench\":\"onchain\",\"metric\":\"import_rows_per_s\",\"value\":$(python3 -c "print(round(525600 / $m))"),\"unit\":\"rows/s\",\"seconds\":[$(IFS=,; echo "${ts[*]}")]}"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 backend/tests/integration/onchain_double.py --port "$port" >"$tmp/double.log" 2>&1 &
dbl=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/_stats" >/dev/null && break; sleep 0.1; done
to=$(( ($(date +%s) / 86400) * 86400000 ))
from=$(( to - 365 * 86400000 ))
export CPE_GLASSNODE_API_KEY=bench CPE_CRYPTOQUANT_API_KEY=bench CPE_WHALE_ALERT_API_KEY=bench
year() { # NAME SOURCES
  rm -f "$tmp"/b.db*
  /usr/bin/time -f %e -o "$tmp/t" "$CPE" onchain --db "$tmp/b.db" --from "$from" --to "$to" \
    --base "http://127.0.0.1:$port" --per-min 1000000 --sources "$2" >"$tmp/b.json" 2>/dev/null
  python3 - "$1" "$(tail -1 "$tmp/t")" "$tmp/b.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[3]))
rows = sum(s["inserted"] + s["updated"] for s in d["series"])
print(json.dumps({"bench": "onchain", "metric": sys.argv[1], "value": float(sys.argv[2]), "unit": "s",
                  "requests": d["requests"], "rows": rows}))
PY
}
year backfill_daily_s glassnode,cryptoquant,defillama
year backfill_year_s glassnode,cryptoquant,whale_alert,defillama
