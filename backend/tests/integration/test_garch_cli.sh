#!/usr/bin/env bash
# `cpe garch` end to end (issue 9 item 1): a fit on a generated GARCH(1,1) price file
# (plain, gzip, headerless Binance layout, --returns), a forced non-convergence, and
# every bad-input case: each must fail with a message naming file, line and column.
set -euo pipefail
CPE=${CPE_BIN:-build/cpe}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# GARCH(1,1)-normal hourly log returns: omega 4e-6, alpha 0.08, beta 0.9 (persistence 0.98,
# unconditional sd 1.4 %)
awk -v n=3000 'BEGIN {
  srand(7); h = 2e-4; p = 60000; t = 1735689600000
  print "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore,ret"
  for (i = 0; i < n; i++) {
    do { u = rand() } while (u == 0)
    z = sqrt(-2 * log(u)) * cos(6.283185307179586 * rand())
    e = sqrt(h) * z; h = 4e-6 + 0.08 * e * e + 0.9 * h
    q = p * exp(e)
    printf "%.0f,%.2f,%.2f,%.2f,%.2f,1,%.0f,1,1,1,1,0,%.10f\n", t, p, (p > q ? p : q), (p < q ? p : q), q, t + 3599999, e
    p = q; t += 3600000
  } }' >"$tmp/k.csv"

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

"$CPE" garch --input "$tmp/k.csv" >"$tmp/fit.json" || fail "fit exited non-zero"
[ "$(json "$tmp/fit.json" 'd["converged"]')" = True ] || fail "fit did not converge"
[ "$(json "$tmp/fit.json" 'd["n_returns"]')" = 2999 ] || fail "n_returns"
[ "$(json "$tmp/fit.json" 'd["scale"] == 100')" = True ] || fail "auto scale should be 100 for ~1.4% returns"
json "$tmp/fit.json" 'd["start_up"]' | grep -q backcast || fail "start-up not reported"
for k in alpha beta omega mu nu; do
  json "$tmp/fit.json" "d['parameters']['$k']['se'] > 0" | grep -q True || fail "no standard error for $k"
done
# the truth is within 3 standard errors (alpha, beta)
json "$tmp/fit.json" 'abs(d["parameters"]["alpha"]["value"]-0.08) < 3*d["parameters"]["alpha"]["se"] and abs(d["parameters"]["beta"]["value"]-0.9) < 3*d["parameters"]["beta"]["se"]' | grep -q True || fail "alpha/beta far from the truth: $(cat "$tmp/fit.json")"
[ "$(json "$tmp/fit.json" '[f["horizon"] for f in d["forecasts"]]')" = "[1, 4, 8, 24]" ] || fail "horizons"
json "$tmp/fit.json" 'd["fit_ms"] > 0 and d["half_life"] > 0 and d["unconditional_volatility"] > 0' | grep -q True || fail "summary numbers"

# the same data as a returns column, gzip, and headerless Binance layout
"$CPE" garch --input "$tmp/k.csv" --column ret --returns --model gjr --dist normal --scale 1000 --horizons 2,3 >"$tmp/r.json"
[ "$(json "$tmp/r.json" 'd["n_returns"]')" = 3000 ] || fail "--returns should use every row"
[ "$(json "$tmp/r.json" 'd["scale"] == 1000')" = True ] || fail "--scale 1000"
json "$tmp/r.json" '"gamma" in d["parameters"] and "nu" not in d["parameters"]' | grep -q True || fail "gjr/normal parameters"
gzip -c "$tmp/k.csv" >"$tmp/k.csv.gz"
"$CPE" garch --input "$tmp/k.csv.gz" >"$tmp/gz.json"
[ "$(json "$tmp/gz.json" 'd["loglik"]')" = "$(json "$tmp/fit.json" 'd["loglik"]')" ] || fail "gzip gives a different fit"
tail -n +2 "$tmp/k.csv" | cut -d, -f1-12 >"$tmp/nohdr.csv"
"$CPE" garch --input "$tmp/nohdr.csv" >"$tmp/nh.json"
[ "$(json "$tmp/nh.json" 'd["loglik"]')" = "$(json "$tmp/fit.json" 'd["loglik"]')" ] || fail "headerless file gives a different fit"

# a fit stopped early says so
"$CPE" garch --input "$tmp/k.csv" --max-iter 1 >"$tmp/nc.json"
[ "$(json "$tmp/nc.json" 'd["converged"]')" = False ] || fail "max-iter 1 should not converge"
grep -q '"warning"' "$tmp/nc.json" || fail "no warning on a non-converged fit"

# bad input: non-zero exit, message with file:line and the column
bad() { # name, expected message pattern, file, extra args...
  local name=$1 pat=$2 f=$3; shift 3
  if "$CPE" garch --input "$f" "$@" >"$tmp/out" 2>"$tmp/err"; then fail "$name: exit 0"; fi
  grep -Eq -e "$pat" "$tmp/err" || fail "$name: message '$(cat "$tmp/err")' does not match '$pat'"
}
head -200 "$tmp/k.csv" >"$tmp/b.csv"
bad "missing column" "b.csv:1: no column 'price'" "$tmp/b.csv" --column price
sed '57s/^\([0-9]*\),\([^,]*\),\([^,]*\),\([^,]*\),[^,]*,/\1,\2,\3,\4,abc,/' "$tmp/b.csv" >"$tmp/nan.csv"
bad "unparsable" "nan.csv:57: field 'close' \(abc\) is not a number" "$tmp/nan.csv"
sed '88s/^\([0-9]*\),\([^,]*\),\([^,]*\),\([^,]*\),[^,]*,/\1,\2,\3,\4,-5,/' "$tmp/b.csv" >"$tmp/neg.csv"
bad "non-positive price" "neg.csv:88: field 'close' \(-5\) is not a positive price" "$tmp/neg.csv"
{ head -100 "$tmp/b.csv"; sed -n 100p "$tmp/b.csv"; tail -n +101 "$tmp/b.csv"; } >"$tmp/dup.csv"
bad "duplicate timestamp" "dup.csv:101: timestamp [0-9]+ is a duplicate of the one on line 100" "$tmp/dup.csv"
{ head -100 "$tmp/b.csv"; sed -n 102p "$tmp/b.csv"; sed -n 101p "$tmp/b.csv"; tail -n +103 "$tmp/b.csv"; } >"$tmp/uns.csv"
bad "unsorted timestamps" "uns.csv:102: timestamp [0-9]+ is earlier than the one on line 101" "$tmp/uns.csv"
head -30 "$tmp/k.csv" >"$tmp/short.csv"
bad "too few rows" "short.csv:30: column 'close' gives 28 returns; the fit needs at least 50" "$tmp/short.csv"
bad "missing file" "nosuch.csv" "$tmp/nosuch.csv"
bad "bad option" "--model must be garch or gjr" "$tmp/b.csv" --model egarch
echo "garch cli: all checks passed"
