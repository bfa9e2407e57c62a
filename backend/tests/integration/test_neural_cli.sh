#!/usr/bin/env bash
# test_neural_cli.sh — the neural members end to end on a simulated store (tiny settings):
# cpe train --neural fits the ensemble's stacker, writes ensemble.json (members, weights) and
# saves nn_<arch>.pt beside the trees only for a member that earned a weight,
# cpe evaluate --neural prints every member (tcn, lstm and the quantile model tft) beside the
# base rate / const-vol baselines and the trees at every horizon with a pinball column, then
# the ensemble (stacker weights, Diebold-Mariano tests vs the champion and the baseline,
# latency), and bad input (unknown member, --nn-every 0) exits 2 naming
# it. Needs $CPE_BIN only.
set -uo pipefail
CPE_BIN=${CPE_BIN:?set CPE_BIN to the cpe binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPE_DB="$tmp/s.db" CPE_MODELS="$tmp/models"
passed=0; failed=0
ok()  { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
has() { grep -q -- "$2" "$1"; }

"$CPE_BIN" simulate --days 24 --seed 5 --end 2025-06-01 >"$tmp/sim.log" 2>&1 || { cat "$tmp/sim.log"; exit 1; }

"$CPE_BIN" train --symbol BTCUSDT --from 2025-05-12 --max-rounds 20 --neural tcn,tft >"$tmp/train.out" 2>"$tmp/train.err"
rc=$?
check "train --neural tcn,tft succeeds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$tmp/train.err"
check "train reports the member" has "$tmp/train.out" "neural tcn: .* epochs (kept"
check "train reports the tft" has "$tmp/train.out" "neural tft: .* epochs (kept"
ver=$(ls "$tmp/models/BTCUSDT" | grep '^BTCUSDT-' | head -1)
vd="$tmp/models/BTCUSDT/$ver"
check "ensemble.json is saved beside the trees" test -s "$vd/ensemble.json" -a -s "$vd/cls_1h.json"
check "ensemble.json lists the members and weights per horizon" \
  bash -c "grep -q '\"name\":\"tcn\",\"kind\":\"neural\"' '$vd/ensemble.json' && grep -q '\"horizon_h\":24,\"direction_intercept\":' '$vd/ensemble.json' && grep -q '\"variance_weights\":\[' '$vd/ensemble.json'"
check "train prints the stacker's weights" has "$tmp/train.out" "24h   direction: intercept .* trees .* tcn .*; variance: realized-vol"
for m in tcn tft; do
  if grep -q "\"name\":\"$m\",\"kind\":\"neural\",\"loaded\":true" "$vd/ensemble.json"; then
    check "nn_$m.pt is saved (it earned a weight)" test -s "$vd/nn_$m.pt"
  else
    check "nn_$m.pt is not saved (weight 0)" test ! -e "$vd/nn_$m.pt"
    check "train says why ($m)" has "$tmp/train.out" "neural $m: .* weight 0 at every horizon, not saved"
  fi
done
check "no member that was not asked for" test ! -e "$vd/nn_lstm.pt"

"$CPE_BIN" evaluate --symbol BTCUSDT --from 2025-05-12 --train-days 10 --test-days 2 --folds 1 \
  --paths 100 --max-rounds 20 --neural tcn,lstm,tft --nn-every 6 --nn-epochs 2 >"$tmp/ev.out" 2>"$tmp/ev.err"
rc=$?
check "evaluate --neural tcn,lstm,tft succeeds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$tmp/ev.err"
check "evaluate prints the members' timing" has "$tmp/ev.out" "lstm: training .* prediction .* us per row"
for h in 1h 4h 8h 24h; do
  check "evaluate prints the members at $h" has "$tmp/ev.out" "horizon $h, neural members"
done
for h in 1h 4h 8h 24h; do
  check "evaluate prints the ensemble at $h" has "$tmp/ev.out" "horizon $h, ensemble beside its members"
done
check "the ensemble table has every member, the baselines and the champion" \
  bash -c "for l in 'trees + realized-vol' garch-t ewma tcn lstm ensemble 'base rate / cv24h' champion; do grep -q \"^  \$l \" '$tmp/ev.out' || exit 1; done"
check "the stacker's weights are printed" has "$tmp/ev.out" "direction intercept .* trees .* tcn .* lstm"
check "Diebold-Mariano against the champion and the baseline" \
  bash -c "grep -c 'Diebold-Mariano, ensemble vs champion: log-loss t = ' '$tmp/ev.out' | grep -qx 4 && grep -c 'Diebold-Mariano, ensemble vs baseline: log-loss t = ' '$tmp/ev.out' | grep -qx 4"
check "the whole ensemble's prediction latency is printed" has "$tmp/ev.out" "whole-ensemble prediction .* p99 [0-9]* us wall; .* p99 [0-9]* us CPU"
check "evaluate prints tcn beside the baselines and trees" \
  bash -c "grep -q '^  tcn (' '$tmp/ev.out' && grep -q '^  base rate / zero / cv24h' '$tmp/ev.out' && grep -q '^  trees (' '$tmp/ev.out'"
check "evaluate prints a pinball column" has "$tmp/ev.out" "cov2    pinball"
# the tft's row: 10 numbers, the coverages in [0, 1] and a finite pinball loss
check "the tft's quantile scores are numbers" \
  awk '/^  tft \(/ { n++; if (NF != 12 || $10 < 0 || $10 > 1 || $11 < 0 || $11 > 1 || $12 + 0 <= 0) bad = 1 }
       END { exit !(n == 4 && !bad) }' "$tmp/ev.out"

"$CPE_BIN" evaluate --symbol BTCUSDT --neural tcn,gru >/dev/null 2>"$tmp/bad.err"
check "an unknown member exits 2" [ $? -eq 2 ]
check "the message names it" has "$tmp/bad.err" "'gru'"
"$CPE_BIN" train --symbol BTCUSDT --neural lstm, >/dev/null 2>"$tmp/bad2.err"
check "an empty member exits 2" [ $? -eq 2 ]
"$CPE_BIN" evaluate --symbol BTCUSDT --neural tcn --nn-every 0 >/dev/null 2>"$tmp/bad3.err"
check "--nn-every 0 exits 2" [ $? -eq 2 ]
check "the message names --nn-every" has "$tmp/bad3.err" "nn-every"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
