#!/usr/bin/env bash
# test_pg_store.sh — the PostgreSQL store end to end against a throwaway server
# (backend/tests/pg_tmp.sh: initdb in /tmp as an unprivileged user, private loopback
# port): `cpe migrate` twice (the second applies nothing); `cpe import` of a small kline
# fixture with a hole, then `cpe summary` / `cpe gaps`, a re-import that adds nothing and
# a bad file that leaves the store unchanged; `cpe migrate --copy-from sqlite:` of a
# simulated store with a backtest run the server saved (same counts and checksums in all six
# categories, the run served from PostgreSQL as SQLite served it); `cpe predict --backfill` writing into
# PostgreSQL; the round trip back into SQLite; `cpe backtest` giving the same result on
# both stores; the real data (when $CPE_SHARED has it) imported into each backend giving
# the same checksums; `cpe serve --db postgres://` answering from the database.
set -uo pipefail
CPE_BIN=${CPE_BIN:?set CPE_BIN to the cpe binary}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  bash "$here/pg_tmp.sh" stop "$tmp/pg"
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0; failed=0
ok()  { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

base=$(bash "$here/pg_tmp.sh" start "$tmp/pg") || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
PG=$base # postgres://cpe@127.0.0.1:PORT/cpe
PG2=${base%/*}/cpe_copy
psql -q "$PG" -c "CREATE DATABASE cpe_copy" || { echo "FAIL: createdb"; exit 1; }

# --- migrate ------------------------------------------------------------------------------
"$CPE_BIN" summary --db "$PG" >"$tmp/premig.txt" 2>&1
check "a store that was never migrated is refused with a hint" grep -q 'run `cpe migrate' "$tmp/premig.txt"
check "migrate applies the schema" bash -c "'$CPE_BIN' migrate --db '$PG' | grep -q '0 -> 2'"
check "migrate again applies nothing" bash -c "'$CPE_BIN' migrate --db '$PG' | grep -q 'version 2: up to date'"
check "schema_version has a row per migration" test "$(psql -tA "$PG" -c 'SELECT count(*) FROM schema_version')" = 2

# --- import, summary, gaps ----------------------------------------------------------------
mkdir -p "$tmp/data/spot/klines" "$tmp/bad/spot/klines"
python3 - "$tmp/data/spot/klines/BTCUSDT-1m-2024-01-31.csv" <<'PY'
import sys
t0 = 1706659200000  # 2024-01-31T00:00Z; the file runs into February (two partitions)
with open(sys.argv[1], "w") as f:
    for i in range(1500):
        if 100 <= i < 103:  # a 3-minute hole
            continue
        t = t0 + i * 60000; p = 40000 + i
        f.write(f"{t},{p},{p+5},{p-5},{p+1},1.5,{t+59999},{1.5*p},10,0.7,{0.7*p},0\n")
PY
printf '1706659200000,100,90,95,96,1,1706659259999,100,1,0.5,50,0\n' >"$tmp/bad/spot/klines/BTCUSDT-1m-2024-03-01.csv"
"$CPE_BIN" import --db "$PG" "$tmp/data" >"$tmp/imp1.txt" 2>&1
check "import into PostgreSQL: 1497 new rows" grep -q '1 file(s) imported, 0 failed: 1497 rows, 1497 new' "$tmp/imp1.txt"
"$CPE_BIN" summary --db "$PG" >"$tmp/sum.txt"
check "summary: 1497 bars, 3 missing" \
  bash -c "awk '\$1==\"binance:spot:BTCUSDT\" && \$2==\"kline:1m\" {print \$3, \$6}' '$tmp/sum.txt' | grep -qx '1497 3'"
"$CPE_BIN" gaps --db "$PG" --instrument binance:spot:BTCUSDT --kind kline:1m >"$tmp/gaps.txt"
check "gaps: the hole at 01:40..01:42" grep -q '2024-01-31T01:40:00.000Z .. 2024-01-31T01:42:00.000Z  3 missing' "$tmp/gaps.txt"
check "the bars went to the January and February partitions" \
  test "$(psql -tA "$PG" -c 'SELECT count(*) FROM kline_chunk_2024_01') $(psql -tA "$PG" -c 'SELECT count(*) FROM kline_chunk_2024_02')" = "1 1"
"$CPE_BIN" import --db "$PG" "$tmp/data" >"$tmp/imp2.txt" 2>&1
check "a second import adds nothing" grep -q '1497 rows, 0 new, 0 updated, 1497 duplicates' "$tmp/imp2.txt"
"$CPE_BIN" import --db "$PG" "$tmp/bad" >"$tmp/imp3.txt" 2>&1
rc=$?
check "a bad file fails and names the rule" bash -c "[ $rc -ne 0 ] && grep -q \"is below 'low'\" '$tmp/imp3.txt'"
"$CPE_BIN" summary --db "$PG" >"$tmp/sum2.txt"
check "the failed file left the store unchanged" cmp -s "$tmp/sum.txt" "$tmp/sum2.txt"

# serve DB: start `cpe serve` on store DB in the background; sets port (empty if it never listened)
serve() {
  CPE_RATE_LIMIT_PER_MIN=100000 "$CPE_BIN" serve --port 0 --host 127.0.0.1 --db "$1" --source store \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
  pids+=($!)
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/serve.out" 2>/dev/null)
    [ -n "$port" ] && break
    sleep 0.05
  done
}

# --- copy a SQLite store across, predictions written to PostgreSQL, round trip ----------
"$CPE_BIN" simulate --days 40 --seed 5 --db "$tmp/s.db" >"$tmp/sim.log" 2>&1 || { cat "$tmp/sim.log"; exit 1; }
"$CPE_BIN" predict --db "$tmp/s.db" --asset BTC --backfill --days 1 --explain >"$tmp/bf.log" 2>&1
last=$(sed -n 's/.* to \([0-9T:.-]*Z\) into .*/\1/p' "$tmp/sim.log")
to=$(python3 -c "import datetime as d,sys; t=d.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print(t.replace(minute=0,second=0,microsecond=0).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$last")
from=$(python3 -c "import datetime as d,sys; t=d.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t-d.timedelta(hours=20)).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$to")

# a backtest run saved in the SQLite store by the server (POST /backtest until done)
serve "$tmp/s.db"
job=$(curl -s -X POST -d "{\"asset\":\"BTC\",\"from\":\"$from\",\"to\":\"$to\"}" \
  "http://127.0.0.1:${port:-1}/backtest" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("job_id", ""))')
for _ in $(seq 600); do
  curl -s "http://127.0.0.1:${port:-1}/backtest/$job" >"$tmp/job.json"
  grep -q '"status":"\(done\|failed\|cancelled\)"' "$tmp/job.json" && break
  sleep 0.1
done
curl -s "http://127.0.0.1:${port:-1}/backtests/$job" >"$tmp/run_sq.json"
kill "${pids[-1]}" && wait "${pids[-1]}" 2>/dev/null
check "a backtest run is saved in the SQLite store ($job)" \
  bash -c "[ -n '$job' ] && grep -q '\"status\":\"done\"' '$tmp/job.json' && grep -q '\"equity\"' '$tmp/run_sq.json'"

"$CPE_BIN" migrate --db "$PG2" --copy-from "sqlite:$tmp/s.db" >"$tmp/copy.txt" 2>&1
rc=$?
cat "$tmp/copy.txt"
check "migrate --copy-from: exit 0, six categories the same" \
  bash -c "[ $rc -eq 0 ] && [ \$(grep -c ' same\$' '$tmp/copy.txt') = 6 ]"
# (the server that saved the run may have stored its own live predictions beside the 1152)
check "the copy carried the predictions (1152 and more), klines and the saved run" \
  bash -c "awk '\$1 == \"predictions\" && \$2 >= 1152 {ok=1} END {exit !ok}' '$tmp/copy.txt' && grep -Eq '^klines +230400 ' '$tmp/copy.txt' && grep -Eq '^runs +1 +[0-9a-f]{8} +1 ' '$tmp/copy.txt'"
check "model versions and explanations are intact" \
  test "$(psql -tA "$PG2" -c "SELECT count(*) FROM prediction WHERE model_version LIKE '%-wf-%' AND explain IS NOT NULL")" = 1152
check "the saved run is a bt_run row in PostgreSQL" \
  test "$(psql -tA "$PG2" -c "SELECT count(*) FROM bt_run WHERE id = '$job' AND length(result) > 100")" = 1
"$CPE_BIN" migrate --db "sqlite:$tmp/back.db" --copy-from "$PG2" >"$tmp/back.txt" 2>&1
check "round trip back into SQLite: the same checksums as the original" \
  bash -c "[ \"\$(awk '{print \$1, \$2, \$3}' '$tmp/copy.txt' | tail -n 6)\" = \"\$(awk '{print \$1, \$4, \$5}' '$tmp/back.txt' | tail -n 6)\" ]"

"$CPE_BIN" backtest --db "$tmp/s.db" --symbol BTCUSDT --from "$from" --to "$to" --out "$tmp/bt_sq.json" >/dev/null 2>&1
"$CPE_BIN" backtest --db "$PG2" --symbol BTCUSDT --from "$from" --to "$to" --out "$tmp/bt_pg.json" >/dev/null 2>&1
check "backtest over stored predictions: the same result on SQLite and PostgreSQL" \
  bash -c "[ -s '$tmp/bt_pg.json' ] && grep -q 'stored walk-forward predictions' '$tmp/bt_pg.json' && cmp -s '$tmp/bt_sq.json' '$tmp/bt_pg.json'"

# predictions written by cpe itself into PostgreSQL (ETH had none)
"$CPE_BIN" predict --db "$PG2" --asset ETH --backfill --days 1 >"$tmp/bfe.log" 2>&1
check "predict --backfill writes into PostgreSQL ($(cat "$tmp/bfe.log"))" \
  test "$(psql -tA "$PG2" -c "SELECT count(*) FROM prediction WHERE symbol = 'ETHUSDT'")" -gt 0

# --- the real data, imported independently into both backends, gives the same store ------
real=${CPE_SHARED:-}/data/real
if [ -n "${CPE_SHARED:-}" ] && [ -d "$real" ]; then
  psql -q "$PG" -c "CREATE DATABASE cpe_real" && "$CPE_BIN" migrate --db "${base%/*}/cpe_real" >/dev/null
  "$CPE_BIN" import --db "${base%/*}/cpe_real" "$real" >"$tmp/real_pg.txt" 2>&1
  "$CPE_BIN" import --db "$tmp/real.db" "$real" >"$tmp/real_sq.txt" 2>&1
  check "real data into PostgreSQL: 32 files, 972686 new rows" \
    grep -q '^32 file(s) imported, 0 failed: 978518 rows, 972686 new' "$tmp/real_pg.txt"
  "$CPE_BIN" migrate --db "${base%/*}/cpe_real" --copy-from "sqlite:$tmp/real.db" >"$tmp/real_cmp.txt" 2>&1
  check "independent imports into SQLite and PostgreSQL: the same counts and checksums" \
    bash -c "[ \$(grep -c ' same\$' '$tmp/real_cmp.txt') = 6 ] && grep -Eq '^klines +935120 ' '$tmp/real_cmp.txt'"
else
  echo "SKIP real-data comparison: \$CPE_SHARED/data/real is absent"
fi

# --- serve from PostgreSQL ------------------------------------------------------------------
serve "$PG2"
code=$(curl -s -o "$tmp/md.json" -w '%{http_code}' "http://127.0.0.1:${port:-1}/market-data?asset=BTC&interval=1m&limit=100")
check "serve --db postgres:// answers /market-data from the database" \
  bash -c "[ '$code' = 200 ] && grep -q '\"simulated\":true' '$tmp/md.json'"
curl -s "http://127.0.0.1:${port:-1}/backtests/$job" >"$tmp/run_pg.json"
check "GET /backtests/{id} from PostgreSQL: the copied run, byte for byte as SQLite served it" \
  bash -c "[ -s '$tmp/run_pg.json' ] && cmp -s '$tmp/run_sq.json' '$tmp/run_pg.json'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
