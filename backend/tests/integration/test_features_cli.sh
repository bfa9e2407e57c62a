#!/usr/bin/env bash
# `cpe features` end to end (issue 3 item 3, issue 9 item 2): --input on a kline file
# (header, headerless, gzip give the same table; values checked against Python), the
# store form agrees with --input bit for bit on the same bars, every bad-input case fails
# with file, line and column and leaves no output, and (with $CPE_SHARED) real data.
set -euo pipefail
CPE=${CPE_BIN:-build/cpe}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 400 one-minute bars from 2024-01-01 00:00 UTC, Binance 12-column layout
k=$tmp/binance-spot_BTCUSDT_klines_1m_2024-01-01_2024-01-01.csv
awk 'BEGIN {
  srand(3); p = 42000; t = 1704067200000
  print "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"
  for (i = 0; i < 400; i++) {
    q = p * exp((rand() - 0.5) * 0.004); v = 1 + rand() * 9; tb = v * rand()
    hi = (p > q ? p : q) * (1 + rand() * 0.0005); lo = (p < q ? p : q) * (1 - rand() * 0.0005)
    printf "%.0f,%.2f,%.2f,%.2f,%.2f,%.5f,%.0f,%.4f,10,%.5f,0,0\n", t, p, hi, lo, q, v, t + 59999, v * q, tb
    p = q; t += 60000
  } }' >"$k"

"$CPE" features --input "$k" --out "$tmp/f.csv" || fail "--input exited non-zero"
[ "$(wc -l <"$tmp/f.csv")" -eq 401 ] || fail "expected a header and 400 rows"
head -1 "$tmp/f.csv" | grep -q '^ts_ms,returns_5m,' || fail "header: $(head -c 80 "$tmp/f.csv")"
for f in rsi_14 macd_signal bb_position vwap_deviation cvd_1h funding_rate fear_greed_index hour_of_day; do
  head -1 "$tmp/f.csv" | tr , '\n' | grep -qx "$f" || fail "no column $f"
done

# the values against an independent computation
python3 - "$k" "$tmp/f.csv" <<'EOF' || fail "values differ from the Python reference"
import csv, math, sys
k = list(csv.DictReader(open(sys.argv[1])))
f = list(csv.DictReader(open(sys.argv[2])))
c = [float(r["close"]) for r in k]
h = [float(r["high"]) for r in k]; l = [float(r["low"]) for r in k]
v = [float(r["volume"]) for r in k]; tb = [float(r["taker_buy_volume"]) for r in k]
def close(a, b, rel=1e-9): return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-15
assert f[0]["ts_ms"] == k[0]["open_time"] and f[399]["ts_ms"] == k[399]["open_time"]
assert f[4]["returns_5m"] == "" and f[3]["cvd_5m"] == ""
for t in (5, 77, 399):
    assert close(float(f[t]["returns_5m"]), math.log(c[t] / c[t - 5])), t
    assert close(float(f[t]["high_low_range"]), (h[t] - l[t]) / c[t])
    s = sum(2 * tb[i] - v[i] for i in range(t - 4, t + 1)) / sum(v[i] for i in range(t - 4, t + 1))
    assert close(float(f[t]["cvd_5m"]), s), (t, f[t]["cvd_5m"], s)
    if t < 19: continue
    m = sum(c[t - 19:t + 1]) / 20; sd = math.sqrt(sum((x - m) ** 2 for x in c[t - 19:t + 1]) / 20)
    assert close(float(f[t]["bb_position"]), (c[t] - m + 2 * sd) / (4 * sd))
# Wilder RSI 14
ag = al = 0.0
for i in range(1, 400):
    d = c[i] - c[i - 1]; g, lo = max(d, 0), max(-d, 0)
    if i <= 14:
        ag += g; al += lo
        if i == 14: ag /= 14; al /= 14
    else:
        ag = (ag * 13 + g) / 14; al = (al * 13 + lo) / 14
    if i >= 14:
        assert close(float(f[i]["rsi_14"]), 100 - 100 / (1 + ag / al)), i
# 1h volatility of 12 non-overlapping 5m returns
t = 300; r = [math.log(c[t - 5 * i] / c[t - 5 * i - 5]) for i in range(12)]
m = sum(r) / 12; sd = math.sqrt(sum((x - m) ** 2 for x in r) / 11)
assert close(float(f[t]["volatility_1h"]), sd)
# no side series in a kline file: those columns are empty
assert all(row["funding_rate"] == "" and row["fear_greed_index"] == "" for row in f)
EOF

# headerless and gzip: the same table
tail -n +2 "$k" >"$tmp/nohdr.csv"
"$CPE" features --input "$tmp/nohdr.csv" --out "$tmp/f2.csv" || fail "headerless input"
cmp -s "$tmp/f.csv" "$tmp/f2.csv" || fail "headerless output differs"
gzip -c "$k" >"$tmp/k.csv.gz"
"$CPE" features --input "$tmp/k.csv.gz" --out "$tmp/f3.csv" || fail "gzip input"
cmp -s "$tmp/f.csv" "$tmp/f3.csv" || fail "gzip output differs"

# the store form on the same bars gives the same values (no side series here)
db=$tmp/s.db
"$CPE" import --db "$db" "$k" >/dev/null || fail "import"
"$CPE" features --db "$db" --symbol BTCUSDT --from 2024-01-01T02:00:00Z --to 2024-01-01T04:00:00Z \
  --interval 5m --out "$tmp/s.csv" 2>/dev/null || fail "--symbol exited non-zero"
[ "$(wc -l <"$tmp/s.csv")" -eq 25 ] || fail "expected 24 rows of 5m in two hours, got $(wc -l <"$tmp/s.csv")"
python3 - "$tmp/f.csv" "$tmp/s.csv" <<'EOF' || fail "store form differs from --input"
import csv, sys
a = {r["ts_ms"]: r for r in csv.DictReader(open(sys.argv[1]))}
b = list(csv.DictReader(open(sys.argv[2])))
assert b[0]["ts_ms"] == "1704074400000"
for r in b:
    assert int(r["ts_ms"]) % 300000 == 0
    assert r == a[r["ts_ms"]], r["ts_ms"]
EOF
"$CPE" features --db "$db" --symbol SOLUSDT --from 2024-01-01 --to 2024-01-02 --out "$tmp/x.csv" 2>"$tmp/err" && fail "unknown symbol accepted"
grep -q SOLUSDT "$tmp/err" || fail "unknown symbol message: $(cat "$tmp/err")"

# bad input: each fails, names file:line and the column, and leaves no output
bad() { # name, expected message pattern; file is $tmp/bad.csv
  rm -f "$tmp/o.csv"
  if "$CPE" features --input "$tmp/bad.csv" --out "$tmp/o.csv" 2>"$tmp/err"; then fail "$1 accepted"; fi
  grep -q "$2" "$tmp/err" || fail "$1: message '$(cat "$tmp/err")' lacks '$2'"
  [ ! -e "$tmp/o.csv" ] || fail "$1 left an output file"
}
sed 's/,close,/,klose,/' "$k" >"$tmp/bad.csv"
bad "missing column" "bad.csv:1: no column 'close'"
sed '10s/^\([0-9]*\),\([0-9.]*\),\([0-9.]*\),\([0-9.]*\),\([0-9.]*\),/\1,\2,\3,\4,abc,/' "$k" >"$tmp/bad.csv"
bad "unparsable number" "bad.csv:10: column 5 'close' (abc) is not a number"
sed '20s/^\([0-9]*\),[0-9.]*,/\1,-5,/' "$k" >"$tmp/bad.csv"
bad "non-positive price" "bad.csv:20: column 2 'open' (-5) is not a positive price"
awk -F, 'NR == 31 { $1 = sprintf("%.0f", $1 - 600000) } { print }' OFS=, "$k" >"$tmp/bad.csv"
bad "unsorted timestamps" "bad.csv:31: column 1 'open_time' .* is before the previous row's"
awk -F, 'NR == 41 { $1 = sprintf("%.0f", $1 - 60000) } { print }' OFS=, "$k" >"$tmp/bad.csv"
bad "duplicate timestamps" "bad.csv:41: column 1 'open_time' .* duplicates the previous row's"
printf '1704067200000,1,2\n' >"$tmp/bad.csv"
bad "too few columns" "bad.csv:1: 3 fields"
"$CPE" features --input "$tmp/nope.csv" --out "$tmp/o.csv" 2>"$tmp/err" && fail "missing file accepted"
grep -q "nope.csv" "$tmp/err" || fail "missing file message"
"$CPE" features --out "$tmp/o.csv" 2>/dev/null && fail "no --input/--symbol accepted"

# the real data (optional): one month with funding and daily series through the store
real=${CPE_SHARED:-}/data/real
if [ -n "${CPE_SHARED:-}" ] && [ -d "$real" ]; then
  rdb=$tmp/real.db
  "$CPE" import --db "$rdb" "$real/binance-spot_BTCUSDT_klines_1m_2024-06-01_2024-06-30.csv.gz" \
    "$real/binance-usdm_BTCUSDT_fundingRate_8h_2023-01-01_2025-08-31.csv" \
    "$real/alternative-me_CRYPTO_fearGreedIndex_1d_2018-02-01_2025-08-31.csv" >/dev/null || fail "real import"
  "$CPE" features --db "$rdb" --symbol BTCUSDT --from 2024-06-10 --to 2024-06-12 --interval 1h \
    --out "$tmp/r.csv" 2>/dev/null || fail "real --symbol"
  python3 - "$tmp/r.csv" <<'EOF' || fail "real data features"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 48, len(rows)
for r in rows:
    for k in ("funding_rate", "funding_zscore", "fear_greed_index", "rsi_14", "volatility_24h", "cvd_1h"):
        assert r[k] != "", (k, r["ts_ms"])
    assert 0 <= float(r["fear_greed_index"]) <= 100 and abs(float(r["funding_rate"])) < 0.01
EOF
else
  echo "skip real-data part: CPE_SHARED not set"
fi
echo "ok test_features_cli"
