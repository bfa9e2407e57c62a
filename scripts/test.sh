#!/usr/bin/env bash
# test.sh — everything `make test` runs, in order, with one summary line at the end:
#   1. bootstrap (Debian packages incl. chromium and the PostgreSQL server, npm ci)
#   2. release build + every C unit test (ctest)
#   3. ASan+UBSan build + every C unit test again
#   4. fuzz harnesses (clang-14 libFuzzer, ASan+UBSan): each over its corpus + a fixed seeded batch of new inputs
#   5. integration tests: backend/tests/integration/test_*.sh against the real binary
#   6. frontend unit tests (vitest) and end-to-end tests (Chromium) when frontend/ exists
#   7. static checks, one suite each: format-check (clang-format), clang-tidy, eslint
# Each suite adds to the pass/fail counts; the run fails if any suite fails.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CPE_SHARED=${CPE_SHARED:-$(cd .. && pwd)/shared}
JOBS=${JOBS:-2}
passed=0; failed=0; suites_failed=()

scripts/bootstrap.sh --with-browser --with-fuzz --with-servers || { echo "bootstrap failed"; exit 1; }
[ -d "$CPE_SHARED/data/real" ] || echo "NOTE: $CPE_SHARED/data/real is absent: tests that need the real data will say they skipped."

count_ctest() { # $1 = build dir, $2 = suite name
  local log="$root/$1/ctest.log"
  (cd "$1" && ctest --output-on-failure -j "$JOBS" ${CTEST_ARGS:-} >"$log" 2>&1)
  local rc=$?
  tail -n 40 "$log" | grep -vE '^\s*$' | tail -n 25
  local line; line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  local f t; f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line"); t=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  [ -n "$t" ] || { t=1; f=1; }
  passed=$((passed + t - f)); failed=$((failed + f))
  [ $rc -eq 0 ] || suites_failed+=("$2")
}

echo "== C unit tests (release)"
if cmake -S backend -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build/release -j "$JOBS" >build/release-build.log 2>&1; then
  cp build/release/cpe build/cpe
  count_ctest build/release "c-release"
else
  tail -n 40 build/release-build.log; failed=$((failed + 1)); suites_failed+=("c-release-build")
fi

echo "== C unit tests (ASan+UBSan)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/backend/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if cmake -S backend -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCPE_SANITIZE=ON >/dev/null && cmake --build build/asan -j "$JOBS" >build/asan-build.log 2>&1; then
  CTEST_ARGS="-LE slow" count_ctest build/asan "c-asan"
else
  tail -n 40 build/asan-build.log; failed=$((failed + 1)); suites_failed+=("c-asan-build")
fi
unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS

echo "== fuzz harnesses (corpus + a fixed seeded batch each)"
scripts/fuzz.sh check >build/fuzz-check.log 2>&1; rc=$?
grep -vE '^\s*$' build/fuzz-check.log | tail -n 25
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' build/fuzz-check.log | tail -1)
p=$(cut -d' ' -f1 <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
[ $rc -eq 0 ] || suites_failed+=("fuzz")

echo "== integration tests"
export CPE_BIN=$root/build/cpe
for t in backend/tests/integration/test_*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  if [ -x build/cpe ] && bash "$t" >"build/$name.log" 2>&1; then
    echo "ok   $name"; passed=$((passed + 1))
  else
    echo "FAIL $name"; tail -n 30 "build/$name.log"; failed=$((failed + 1)); suites_failed+=("$name")
  fi
done

if [ -f frontend/package.json ]; then
  echo "== frontend unit tests (vitest)"
  if (cd frontend && NO_COLOR=1 FORCE_COLOR=0 npx vitest run --reporter=dot 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$root/build/vitest.log"; exit "${PIPESTATUS[0]}"); then ok=1; else ok=0; fi
  tail -n 15 build/vitest.log
  p=$(grep -Eo 'Tests +[0-9]+ passed' build/vitest.log | grep -Eo '[0-9]+' | tail -1); f=$(grep -Eo '[0-9]+ failed' build/vitest.log | grep -Eo '[0-9]+' | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  [ $ok = 1 ] || { [ -n "$f" ] || failed=$((failed + 1)); suites_failed+=("vitest"); }
  if [ -f frontend/e2e/run.mjs ]; then
    echo "== end-to-end tests (Chromium)"
    if (cd frontend && npm run --silent build >"$root/build/frontend-build.log" 2>&1) && \
       node frontend/e2e/run.mjs >build/e2e.log 2>&1; then ok=1; else ok=0; fi
    tail -n 25 build/e2e.log
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' build/e2e.log | tail -1)
    p=$(cut -d' ' -f1 <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    [ $ok = 1 ] || { [ -n "$line" ] || failed=$((failed + 1)); suites_failed+=("e2e"); }
  fi
fi

echo "== static checks (format-check, clang-tidy, eslint)"
static_suite() { # name, command... : one pass or one fail
  local name=$1; shift
  if "$@" >"build/$name.log" 2>&1; then
    echo "ok   $name: $(tail -n 1 "build/$name.log")"; passed=$((passed + 1))
  else
    echo "FAIL $name"; tail -n 30 "build/$name.log"; failed=$((failed + 1)); suites_failed+=("$name")
  fi
}
static_suite format-check scripts/format_check.sh
static_suite clang-tidy scripts/lint.sh c
[ -f frontend/package.json ] && static_suite eslint scripts/lint.sh frontend

echo
[ ${#suites_failed[@]} -eq 0 ] || echo "failed suites: ${suites_failed[*]}"
echo "$passed passed, $failed failed"
[ ${#suites_failed[@]} -eq 0 ] && [ "$failed" -eq 0 ]
