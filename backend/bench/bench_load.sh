#!/usr/bin/env bash
# bench_load.sh — load and soak of `cpe serve` (spec 18.3, issue #18 item 3). A server on a
# simulated store with trained models, its simulator at 60x (a minute a second, so the live
# pipeline predicts and stores all along), answers LOAD_CLIENTS (100) clients for LOAD_S
# (300) seconds on a realistic mix (load_clients.mjs: /predict, /market-data of 1,000-10,000
# bars, /explain, /predictions, /health, WebSocket subscriptions), then SPIKE_CLIENTS (500)
# for SPIKE_S (120). JSON lines: per phase and endpoint (n, rps, p50/p99 ms, errors, 429s),
# then the server's RSS and open descriptors after the warm-up (the first fifth of the
# steady phase) against the end of the steady phase (same clients), with the growth in %,
# and idle before the load against idle after the spike (every client gone):
#   {"bench":"load","metric":"rss_growth_pct","value":N,"unit":"%","target":5,...}
#   {"bench":"load","metric":"fd_growth_pct",...}, {"bench":"load","metric":"rss_anon_growth_pct",...},
#   {"bench":"load","metric":"idle_after_load",...}
# RSS counts the store's memory map once per SQLite connection (file pages, see
# docs/RELIABILITY.md, Memory); RssAnon is the heap and the SQLite page caches.
# The per-IP limit is off (every client is 127.0.0.1); a 429 would be counted apart anyway.
# LOAD_DB + LOAD_MODELS: an existing store and registry (skips simulate + train, ~5 min).
# Short run: LOAD_S=30 SPIKE_S=20 bash backend/bench/bench_load.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
CPE=${CPE_BIN:-$PWD/build/release/cpe}
LOAD_CLIENTS=${LOAD_CLIENTS:-100} LOAD_S=${LOAD_S:-300}
SPIKE_CLIENTS=${SPIKE_CLIENTS:-500} SPIKE_S=${SPIKE_S:-120}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
db=${LOAD_DB:-}
models=${LOAD_MODELS:-}
if [ -z "$db" ]; then
  db=$tmp/load.db models=$tmp/models
  "$CPE" simulate --days 30 --seed 1 --db "$db" >/dev/null || exit 1
  for s in BTCUSDT ETHUSDT; do CPE_MODELS=$models "$CPE" train --symbol "$s" --db "$db" >/dev/null 2>&1; done
fi
CPE_MODELS=$models CPE_LIVE_MINUTE_MS=1000 CPE_RATE_LIMIT_PER_MIN=0 CPE_RETRAIN=0 \
  "$CPE" serve --port 0 --db "$db" --source simulate >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/serve.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$tmp/serve.out")
[ -n "$url" ] || { echo '{"bench":"load","error":"serve did not start"}'; cat "$tmp/serve.err" >&2; exit 1; }
sample() { # RSS kB, open descriptors, RssAnon kB of the server, appended to $tmp/samples
  while kill -0 "$pid" 2>/dev/null; do
    echo "$(date +%s.%N) $(awk '/VmRSS/{print $2}' /proc/$pid/status) $(ls /proc/$pid/fd | wc -l) $(awk '/RssAnon/{print $2}' /proc/$pid/status)" >>"$tmp/samples"
    sleep 1
  done
}
sample &
sleep 3
idle0=$(tail -1 "$tmp/samples")
warm=$((LOAD_S / 5))
node backend/bench/load_clients.mjs "$url" "$LOAD_CLIENTS" "$LOAD_S" steady &
lc=$!
sleep "$warm"
after_warm=$(tail -1 "$tmp/samples")
sleep $((LOAD_S - warm - 2))
steady_end=$(tail -1 "$tmp/samples")
wait "$lc"
node backend/bench/load_clients.mjs "$url" "$SPIKE_CLIENTS" "$SPIKE_S" spike
sleep 3
idle1=$(tail -1 "$tmp/samples")
peak=$(awk 'BEGIN{m=0} {if ($2>m) m=$2} END{print m}' "$tmp/samples")
python3 - "$after_warm" "$steady_end" "$idle0" "$idle1" "$peak" "$LOAD_CLIENTS" <<'PY'
import json, sys
w, e, i0, i1 = (s.split() for s in sys.argv[1:5])
for metric, i in (("rss", 1), ("fd", 2), ("rss_anon", 3)):
    a, b = int(w[i]), int(e[i])
    print(json.dumps({"bench": "load", "metric": metric + "_growth_pct", "value": round(100.0 * (b - a) / a, 1),
                      "unit": "%", "target": 5, "after_warmup": a, "steady_end": b, "clients": int(sys.argv[6])}))
print(json.dumps({"bench": "load", "metric": "idle_after_load", "rss_kb_before": int(i0[1]), "rss_kb_after": int(i1[1]),
                  "anon_kb_before": int(i0[3]), "anon_kb_after": int(i1[3]),
                  "rss_peak_kb": int(sys.argv[5]), "fds_before": int(i0[2]), "fds_after": int(i1[2])}))
PY
grep -c ' ERROR ' "$tmp/serve.err" | sed 's/^/{"bench":"load","metric":"server_error_lines","value":/; s/$/}/'
