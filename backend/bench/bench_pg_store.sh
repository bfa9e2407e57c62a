#!/usr/bin/env bash
# bench_pg_store.sh — the PostgreSQL store's figures (issue 17) beside SQLite's, in one run
# on a throwaway server (backend/tests/pg_tmp.sh, PG_TMP_DURABLE=1: PostgreSQL 15's
# defaults, fsync on; loopback TCP). JSON lines:
#   cli_import_1m_klines_rows_per_s   `cpe import --db X` of the 20 real BTCUSDT 1m files
#   (sqlite / postgres)               (876,960 rows) as a process, wall clock: start,
#                                     connect, read, validate, write, commit; fresh store
#   then bench_store with BENCH_STORE_PG: in-process import and the 2024 year read on both.
# Usage: bench_pg_store.sh (BENCH_REPS, default 3; CPE_BIN, default build/release/cpe)
set -uo pipefail
cd "$(dirname "$0")/../.."
CPE=${CPE_BIN:-build/release/cpe}
reps=${BENCH_REPS:-3}
real=${CPE_SHARED:-../shared}/data/real
if [ ! -d "$real" ] || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo '{"bench":"pg_store","skip":"needs $CPE_SHARED/data/real and the PostgreSQL server"}'
  exit 0
fi
tmp=$(mktemp -d)
trap 'bash backend/tests/pg_tmp.sh stop "$tmp/pg"; rm -rf "$tmp"' EXIT
url=$(PG_TMP_DURABLE=1 bash backend/tests/pg_tmp.sh start "$tmp/pg") || exit 1
files=("$real"/binance-spot_BTCUSDT_klines_1m_*.csv.gz)

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
emit() { # metric value unit target lower_is_better backend
  local ok; ok=$(awk -v v="$2" -v t="$4" -v l="$5" 'BEGIN { print ((l ? v <= t : v >= t) ? "true" : "false") }')
  printf '{"bench":"pg_store","backend":"%s","metric":"%s","value":%s,"unit":"%s","target":%s,"ok":%s}\n' \
    "$6" "$1" "$2" "$3" "$4" "$ok"
}

for backend in sqlite postgres; do
  : >"$tmp/rates"
  for r in $(seq "$reps"); do
    if [ "$backend" = sqlite ]; then
      db="$tmp/cli$r.db"
    else
      psql -q "$url" -c "CREATE DATABASE cli$r" && db=${url%/*}/cli$r && "$CPE" migrate --db "$db" >/dev/null || exit 1
    fi
    t0=$(date +%s%N)
    "$CPE" import --db "$db" "${files[@]}" >"$tmp/imp.txt" 2>&1 || { cat "$tmp/imp.txt" >&2; exit 1; }
    t1=$(date +%s%N)
    rows=$(sed -n 's/.* failed: \([0-9]*\) rows, \([0-9]*\) new.*/\2/p' "$tmp/imp.txt")
    awk -v n="$rows" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f\n", n / (ns / 1e9) }' >>"$tmp/rates"
    echo "bench_pg_store: $backend: $rows rows new, $(( (t1 - t0) / 1000000 )) ms" >&2
  done
  emit cli_import_1m_klines_rows_per_s "$(median <"$tmp/rates")" rows/s 300000 0 "$backend"
done

BENCH_STORE_PG=$url build/release/bench_store "$reps"
