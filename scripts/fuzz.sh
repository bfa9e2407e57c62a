#!/usr/bin/env bash
# fuzz.sh — build the libFuzzer harnesses (backend/fuzz/, clang-14, ASan+UBSan, build/fuzz)
# and run them. docs/RELIABILITY.md says what each harness covers and what the runs found.
#
# Usage: scripts/fuzz.sh run [SECONDS] [HARNESS...]   `make fuzz`: each harness for SECONDS
#                                                      (default $FUZZ_S or 60) from its
#                                                      committed corpus; new inputs go to
#                                                      build/fuzz/corpus/NAME, findings to
#                                                      build/fuzz/findings/NAME
#        scripts/fuzz.sh check [HARNESS...]           `make test`: each harness over its
#                                                      committed corpus (crash inputs found
#                                                      before included), then a fixed number
#                                                      of new inputs from a fixed seed
#                                                      (FUZZ_SEED, FUZZ_RUNS; at most 60 s):
#                                                      the same inputs on every machine, so a
#                                                      check that passes here passes in CI;
#                                                      finding new bugs is `make fuzz`'s job
# One line per harness: "fuzz NAME execs=N cov=C ft=F seconds=S result=ok|FAIL" (machine-
# readable), then "N passed, N failed". Exit 1 when a harness found a crash, leak or UB.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mode=${1:-run}; shift || true
secs=${FUZZ_S:-60}
if [ "$mode" = run ] && [[ "${1:-}" =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
JOBS=${JOBS:-2}
CC_FUZZ=${CC_FUZZ:-clang-14}

command -v "$CC_FUZZ" >/dev/null || { echo "fuzz: $CC_FUZZ is missing (scripts/bootstrap.sh --with-fuzz)"; exit 1; }
mkdir -p build
if ! { CC=$CC_FUZZ cmake -S backend -B build/fuzz -DCPE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
       cmake --build build/fuzz -j "$JOBS" >build/fuzz-build.log 2>&1; }; then
  tail -n 40 build/fuzz-build.log; echo "0 passed, 1 failed"; exit 1
fi

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in backend/fuzz/fuzz_*.c; do n=$(basename "$f" .c); harnesses+=("${n#fuzz_}"); done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0; failed=0
for h in "${harnesses[@]}"; do
  bin=build/fuzz/fuzz_$h
  corpus=backend/fuzz/corpus/$h
  dict=backend/fuzz/dict/$h.dict
  log=build/fuzz/$h.log
  out=build/fuzz/findings/$h
  if [ "$mode" = check ]; then new=$(mktemp -d); else new=build/fuzz/corpus/$h; fi
  mkdir -p "$new" "$out" "$corpus"
  if [ "$mode" = check ]; then
    case $h in # about 10 s each on a quiet 2-core machine (execs/s differ 100-fold)
      store_import) runs=5000 ;;
      api_http | api_jwt) runs=40000 ;;
      *) runs=100000 ;;
    esac
    limit=(-seed="${FUZZ_SEED:-1}" -runs="${FUZZ_RUNS:-$runs}" -max_total_time=60)
  else
    limit=(-max_total_time="$secs")
  fi
  args=("${limit[@]}" -print_final_stats=1 -artifact_prefix="$out/" -timeout=10
        -rss_limit_mb=2048 -max_len=65536)
  [ -f "$dict" ] && args+=(-dict="$dict")
  t0=$SECONDS
  "$bin" "${args[@]}" "$new" "$corpus" >"$log" 2>&1
  rc=$?
  took=$((SECONDS - t0))
  [ "$mode" = check ] && rm -rf "$new"
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last"); ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  if [ $rc -eq 0 ]; then res=ok; passed=$((passed + 1)); else res=FAIL; failed=$((failed + 1)); fi
  echo "fuzz $h execs=${execs:-0} cov=${cov:-0} ft=${ft:-0} seconds=$took result=$res"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -n 8
    echo "  (log: $log; add the input to $corpus after the fix: it is replayed by make test)"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
