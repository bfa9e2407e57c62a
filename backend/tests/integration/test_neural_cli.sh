#!/usr/bin/env bash
# test_neural_cli.sh — the neural members end to end on a simulated store (tiny settings):
# cpe train --neural saves nn_<arch>.pt beside the trees and reports each member,
# cpe evaluate --neural prints every member (tcn, lstm and the quantile model tft) beside the
# base rate / const-vol baselines and the trees at every horizon with a pinball column, and bad input (unknown member, --nn-every 0) exits 2 naming
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
check "train reports the tft" has "$tmp/train.out" "neural tft: .* epochs (kept.*nn_tft.pt"
ver=$(ls "$tmp/models/BTCUSDT" | grep '^BTCUSDT-' | head -1)
check "nn_tcn.pt is saved beside the trees" \
  test -s "$tmp/models/BTCUSDT/$ver/nn_tcn.pt" -a -s "$tmp/models/BTCUSDT/$ver/cls_1h.json"
check "nn_tft.pt is saved beside them" test -s "$tmp/models/BTCUSDT/$ver/nn_tft.pt"
check "no member that was not asked for" test ! -e "$tmp/models/BTCUSDT/$ver/nn_lstm.pt"

"$CPE_BIN" evaluate --symbol BTCUSDT --from 2025-05-12 --train-days 10 --test-days 2 --folds 1 \
  --paths 100 --max-rounds 20 --neural tcn,lstm,tft --nn-every 6 --nn-epochs 2 >"$tmp/ev.out" 2>"$tmp/ev.err"
rc=$?
check "evaluate --neural tcn,lstm,tft succeeds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$tmp/ev.err"
check "evaluate prints the members' timing" has "$tmp/ev.out" "lstm: training .* prediction .* us per row"
for h in 1h 4h 8h 24h; do
  check "evaluate prints the members at $h" has "$tmp/ev.out" "horizon $h, neural members"
done
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
