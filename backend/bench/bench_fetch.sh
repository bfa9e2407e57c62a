#!/usr/bin/env bash
# bench_fetch.sh — `cpe fetch` of 90 days of one symbol from the Binance exchange double on
# loopback (issue 15's figure: <= 20 s): one JSON line per figure, each the median of 3
# runs into a fresh store (wall time of the command).
#   all_s     the default fetch: 1m klines spot + perp, funding, 30 days of OI (~307 requests)
#   klines_s  --kinds kline: the 1m klines of both markets only (260 requests, 259,200 bars)
# Needs build/release/cpe and build/release/exchange_double.
set -uo pipefail
cd "$(dirname "$0")/../.."
CPE=${CPE_BIN:-$PWD/build/release/cpe}
DOUBLE=${CPE_DOUBLE:-$(dirname "$CPE")/exchange_double}
tmp=$(mktemp -d)
dbl=
trap '[ -n "$dbl" ] && kill $dbl 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$DOUBLE" --flavor binance --port "$port" --minute-ms 60000 --history-days 90 --symbol SOLUSDT \
  >"$tmp/double.log" 2>&1 &
dbl=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/_stats" >/dev/null && break; sleep 0.1; done
# median NAME ARGS...: three timed runs of cpe fetch into fresh stores
median() {
  local name=$1 t
  shift
  local ts=()
  for i in 1 2 3; do
    rm -f "$tmp"/f.db*
    /usr/bin/time -f %e -o "$tmp/t" "$CPE" fetch --db "$tmp/f.db" --symbol SOLUSDT --days 90 \
      --rest-base "http://127.0.0.1:$port" "$@" >"$tmp/f.json" 2>/dev/null
    t=$(tail -1 "$tmp/t")
    ts+=("$t")
  done
  local m
  m=$(printf '%s\n' "${ts[@]}" | sort -g | sed -n 2p)
  local ok
  ok=$(python3 -c "print('true' if $m <= 20 else 'false')")
  echo "{\"bench\":\"fetch\",\"metric\":\"$name\",\"value\":$m,\"unit\":\"s\",\"target\":20,\"ok\":$ok,\"runs\":[$(IFS=,; echo "${ts[*]}")]}"
}
median all_s
median klines_s --kinds kline
