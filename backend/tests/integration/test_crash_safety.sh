#!/usr/bin/env bash
# Crash safety (issue #18 item 2): SIGKILL at random points, then check the store.
#   import  `cpe import` of four monthly files of real 1m klines, killed at a random time
#           each round (file order shuffled); after every kill: PRAGMA integrity_check, no
#           partial day chunk, no empty series, every file all there or not at all; at the
#           end an import to completion leaves no gap.
#   serve   `cpe serve --source live` on a Binance double (market time 5 bars/s), killed at a
#           random time each round and started again; after every kill the same store
#           checks; at the end one more start must backfill every hole, so `cpe gaps`
#           reports none and no bar between the first and the last is missing.
# CRASH_KILLS (10) kills per part; CRASH_PARTS ("import serve"); CRASH_JSON FILE gets one
# machine-readable line per part (backend/bench/bench_crash.sh runs 100 per part).
# The registry's crash test is a unit test (tests/unit/engine/test_registry.c).
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
KILLS=${CRASH_KILLS:-10}
PARTS=${CRASH_PARTS:-import serve}
DOUBLE=${CPE_DOUBLE:-$(dirname "$CPE_BIN")/release/exchange_double}
[ -x "$DOUBLE" ] || DOUBLE=$(dirname "$CPE_BIN")/exchange_double
RANDOM=${CRASH_SEED:-$$}
echo "crash: seed $RANDOM"
rnd_sleep() { sleep "$(awk -v lo="$1" -v hi="$2" -v r="$RANDOM" 'BEGIN { printf "%.3f", lo + (hi - lo) * r / 32767 }')"; }
report() { echo "$1"; [ -z "${CRASH_JSON:-}" ] || echo "$1" >>"$CRASH_JSON"; }
store_ok() { python3 "$here/crash_check.py" "$@" >"$tmp/check.json"; }
# finish PART INSTRUMENT DB CHECK_ARGS...: the store after the last (clean) run: every check
# with the series' missing bars, `cpe gaps`, the JSON line; sets $final, $bars.
finish() {
  local part=$1 instr=$2 db=$3 lost; shift 3
  store_ok "$db" "$@" --series "$instr"
  final=$?
  lost=$(json "$tmp/check.json" 'd.get("missing", -1)') bars=$(json "$tmp/check.json" 'd.get("bars", 0)')
  "$CPE_BIN" gaps --instrument "$instr" --kind kline:1m --db "$db" >"$tmp/gaps.txt" 2>&1
  report "{\"bench\":\"crash_safety\",\"part\":\"$part\",\"kills\":$KILLS,\"killed_running\":$killed,\"corrupt_stores\":$corrupt,\"partial_files\":$partial,\"lost_bars\":$lost,\"bars\":$bars}"
  check "$part: $KILLS kills ($killed while running): no corrupt store, no partial file" \
    test "$corrupt" = 0
  check "$part: cpe gaps reports none after the restart" \
    grep -q ': 0 gap(s), 0 missing bar(s)' "$tmp/gaps.txt"
}
# kill_rounds START LO HI DB CHECK_ARGS...: KILLS rounds of `START ROUND` (a function that
# starts the process in the background), SIGKILL after a random LO..HI s, then the store
# checks; counts into $killed (still running when killed), $corrupt and $partial.
kill_rounds() {
  local start=$1 lo=$2 hi=$3 db=$4 i pid; shift 4
  killed=0 corrupt=0 partial=0
  for i in $(seq "$KILLS"); do
    "$start" "$i"
    pid=$!
    rnd_sleep "$lo" "$hi"
    kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
    wait "$pid" 2>/dev/null
    if ! store_ok "$db" "$@"; then
      corrupt=$((corrupt + 1)); echo "after kill $i: $(cat "$tmp/check.json")"
      partial=$((partial + $(json "$tmp/check.json" 'd.get("partial", 0)')))
    fi
  done
}

part_import() {
  local real=${CPE_SHARED:-}/data/real files=() whole=() f m
  for m in 01 02 03 04; do
    f=$(ls "$real"/binance-spot_BTCUSDT_klines_1m_2024-$m-*.csv.gz 2>/dev/null | head -1)
    [ -n "$f" ] || { echo "crash: needs CPE_SHARED with data/real (real 1m klines)"; bad "import: real data"; return; }
    files+=("$f")
    local from=${f##*_1m_}; local to=${from#*_}; from=${from%%_*}; to=${to%%.csv.gz}
    whole+=(--whole "$(($(date -ud "$from" +%s) * 1000)):$((($(date -ud "$to" +%s) + 86400) * 1000))")
  done
  local db=$tmp/import.db killed corrupt partial
  start_import() {
    mapfile -t order < <(printf '%s\n' "${files[@]}" | shuf --random-source=<(yes "$1$RANDOM"))
    "$CPE_BIN" import "${order[@]}" --db "$db" >/dev/null 2>&1 &
  }
  kill_rounds start_import 0.02 0.4 "$db" "${whole[@]}"
  "$CPE_BIN" import "${files[@]}" --db "$db" >"$tmp/import_final.txt" 2>&1
  local rc=$?
  finish import binance:spot:BTCUSDT "$db" "${whole[@]}"
  check "import: the import after the kills completes" test "$rc" = 0
  local expect=0 w
  for w in "${whole[@]}"; do [ "$w" = --whole ] || expect=$((expect + (${w#*:} - ${w%:*}) / 60000)); done
  check "import: every bar of the four files is there ($bars of $expect)" \
    sh -c "test $final = 0 && test $bars = $expect"
}

part_serve() {
  [ -x "$DOUBLE" ] || { bad "serve: exchange_double not built next to $CPE_BIN"; return; }
  local PB DEAD
  PB=$(free_port)
  DEAD=$(free_port)
  start_double binance "$PB" "$tmp/double.log" --minute-ms 200 --start-hours-ago 23
  local ex mk
  export CPE_BINANCE_WS_PERP=ws://127.0.0.1:$PB CPE_BINANCE_REST_PERP=http://127.0.0.1:$PB
  export CPE_BINANCE_WS_SPOT=ws://127.0.0.1:$DEAD CPE_BINANCE_REST_SPOT=http://127.0.0.1:$DEAD
  for ex in BYBIT OKX; do for mk in SPOT PERP; do
    export CPE_${ex}_WS_${mk}=ws://127.0.0.1:$DEAD CPE_${ex}_REST_${mk}=http://127.0.0.1:$DEAD
  done; done
  export CPE_SYMBOLS=BTCUSDT CPE_RATE_LIMIT_PER_MIN=0 CPE_MODELS=$tmp/models CPE_PREDICT=0 CPE_RETRAIN=0
  local db=$tmp/serve.db killed corrupt partial pid
  start_live() { "$CPE_BIN" serve --port 0 --db "$db" --source live >"$tmp/serve_$1.log" 2>&1 & }
  kill_rounds start_live 0.1 2.5 "$db"
  # one more start: it must backfill every hole the kills left, and keep up
  "$CPE_BIN" serve --port 0 --db "$db" --source live >"$tmp/serve_final.log" 2>&1 &
  pid=$!; pids+=($pid)
  local caught=0 vm last
  for _ in $(seq 120); do
    sleep 0.5
    "$CPE_BIN" gaps --instrument binance:perp:BTCUSDT --kind kline:1m --db "$db" >"$tmp/gaps.txt" 2>/dev/null || continue
    vm=$(curl -s "http://127.0.0.1:$PB/_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual_minute"])')
    last=$(python3 -c "import sqlite3; c=sqlite3.connect('file:$db?mode=ro', uri=True); print(c.execute('select max(day) from kline_chunk').fetchone()[0] or 0)")
    if grep -q ': 0 gap(s)' "$tmp/gaps.txt" && [ "$last" -gt 0 ] && \
       python3 "$here/crash_check.py" "$db" --series binance:perp:BTCUSDT >"$tmp/live.json" && \
       [ $(( vm - $(json "$tmp/live.json" 'd["bars"]') )) -ge 0 ]; then
      local newest
      newest=$(python3 -c "import sqlite3,struct; c=sqlite3.connect('file:$db?mode=ro', uri=True); d=c.execute('select data,n from kline_chunk order by day desc limit 1').fetchone(); print(struct.unpack_from('<q', d[0], (d[1]-1)*80)[0] // 60000)")
      [ $((vm - newest)) -le 3 ] && { caught=1; break; }
    fi
  done
  kill "$pid"; wait "$pid" 2>/dev/null
  finish serve binance:perp:BTCUSDT "$db"
  check "serve: the restart backfilled every hole and caught up with the exchange" test "$caught" = 1
  check "serve: no bar missing between the first and the last ($bars bars)" test "$final" = 0
}

for p in $PARTS; do "part_$p"; done
echo "crash safety: $passed passed, $failed failed"
[ "$failed" = 0 ]
