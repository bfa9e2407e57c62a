#!/usr/bin/env bash
# `cpe simulate` end to end (issue 2 item 7): series marked simulated, byte-identical data
# for the same seed (a second run into the same store changes no row), a different seed
# changes rows, default end = now, and bad options exit 2 with a message.
set -euo pipefail
CPE=${CPE_BIN:-build/cpe}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$CPE" simulate --db "$tmp/a.db" --symbols BTCUSDT,ETHUSDT --days 3 --seed 11 \
  --end 2025-03-01T00:00:00Z >"$tmp/out1" || fail "simulate exited non-zero"
cat "$tmp/out1"
grep -q "17280 klines" "$tmp/out1" || fail "expected 17280 klines (3 days x 2 symbols x spot+perp)"
grep -q "18 funding" "$tmp/out1" || fail "expected 18 funding points (3 a day x 3 days x 2)"
grep -q "1728 OI" "$tmp/out1" || fail "expected 1728 OI points (288 a day x 3 days x 2)"
grep -q " 0 changed, 0 unchanged" "$tmp/out1" || fail "a fresh store should only get new rows"
new1=$(sed -n 's/.*; \([0-9]*\) rows new.*/\1/p' "$tmp/out1")
[ -n "$new1" ] && [ "$new1" -gt 20000 ] || fail "row count: '$new1'"

# the same seed again: every row identical
"$CPE" simulate --db "$tmp/a.db" --symbols BTCUSDT,ETHUSDT --days 3 --seed 11 \
  --end 2025-03-01T00:00:00Z >"$tmp/out2" || fail "second run exited non-zero"
grep -q "; 0 rows new, 0 changed, " "$tmp/out2" || fail "same seed changed rows: $(cat "$tmp/out2")"

# the same run with one more symbol: the old symbols' rows are unchanged
"$CPE" simulate --db "$tmp/a.db" --symbols SOLUSDT,BTCUSDT,ETHUSDT --days 3 --seed 11 \
  --end 2025-03-01T00:00:00Z >"$tmp/out3" || fail "third run exited non-zero"
grep -q " 0 changed, $new1 unchanged" "$tmp/out3" || fail "adding a symbol changed others: $(cat "$tmp/out3")"

# another seed (or start) over an existing simulation is refused, the store untouched
set +e
"$CPE" simulate --db "$tmp/a.db" --symbols BTCUSDT --days 3 --seed 12 \
  --end 2025-03-01T00:00:00Z >/dev/null 2>"$tmp/err3"
rc=$?
set -e
[ "$rc" = 1 ] || fail "another seed over a simulation exited $rc, expected 1"
grep -q "already holds another simulation (seed=11" "$tmp/err3" || fail "message: $(cat "$tmp/err3")"

# every series is marked simulated
"$CPE" summary --db "$tmp/a.db" >"$tmp/sum" || fail "summary exited non-zero"
cat "$tmp/sum"
n=$(grep -c '^sim:' "$tmp/sum" || true)
[ "$n" = 18 ] || fail "expected 18 sim:* series (6 per symbol), got $n"
grep '^sim:' "$tmp/sum" | grep -vq ' yes *$' && fail "a sim series is not marked simulated"

# default end: now, floored to the minute
"$CPE" simulate --db "$tmp/b.db" --symbols SOLUSDT --days 1 >"$tmp/out4" || fail "default end"
today=$(date -u +%Y-%m-%d)
grep -q "to ${today}T" "$tmp/out4" || grep -q "to $(date -u -d '1 minute ago' +%Y-%m-%d)T" "$tmp/out4" ||
  fail "default end is not now: $(cat "$tmp/out4")"

# bad options: exit code 2 and a message naming the option
for args in "--days 0" "--days x" "--seed -1" "--symbols BTCUSDT,BTCUSDT" "--end yesterday" "--bogus 1"; do
  set +e
  # shellcheck disable=SC2086
  "$CPE" simulate --db "$tmp/c.db" $args 2>"$tmp/err" >/dev/null
  rc=$?
  set -e
  [ "$rc" = 2 ] || fail "'$args' exited $rc, expected 2"
  grep -q "cpe simulate:" "$tmp/err" || fail "'$args' gave no message"
done
echo "ok"
