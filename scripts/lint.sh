#!/usr/bin/env bash
# lint.sh — `make lint`: the static checks that find bugs rather than style.
#   c         clang-tidy with the checked-in .clang-tidy over every backend/src/**/*.c, using the
#             compile_commands.json that CMake exports into build/release (no build needed);
#             two files at a time (run-clang-tidy -j $JOBS); warnings are errors
#   frontend  ESLint + typescript-eslint over frontend/src (frontend/eslint.config.js)
# Usage: scripts/lint.sh [c|frontend]   (no argument: both). Exit 1 when anything is found.
# Logs: build/clang-tidy.log, build/eslint.log. scripts/test.sh runs each part as a suite.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
JOBS=${JOBS:-2}
what=${1:-all}
rc=0
mkdir -p build

if [ "$what" = all ] || [ "$what" = c ]; then
  command -v run-clang-tidy >/dev/null || { echo "lint: clang-tidy is missing (scripts/bootstrap.sh)" >&2; exit 2; }
  cmake -S backend -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
  t0=$(date +%s)
  run-clang-tidy -quiet -p build/release -j "$JOBS" "$root/backend/src/" 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g' >build/clang-tidy.log
  st=${PIPESTATUS[0]}
  n=$(grep -cE ': (warning|error): ' build/clang-tidy.log)
  files=$(grep -c '^clang-tidy' build/clang-tidy.log)
  if [ "$st" -ne 0 ] || [ "$n" -gt 0 ]; then
    grep -E ': (warning|error): ' -A3 build/clang-tidy.log | head -n 200
    echo "clang-tidy: $n findings in $files files ($(($(date +%s) - t0)) s; build/clang-tidy.log)"
    rc=1
  else
    echo "clang-tidy: $files files clean ($(($(date +%s) - t0)) s)"
  fi
fi

if [ "$what" = all ] || [ "$what" = frontend ]; then
  t0=$(date +%s)
  if (cd frontend && npm run --silent lint) >build/eslint.log 2>&1; then
    echo "eslint: frontend/src clean ($(($(date +%s) - t0)) s)"
  else
    cat build/eslint.log | head -n 200
    echo "eslint: problems found ($(($(date +%s) - t0)) s; build/eslint.log)"
    rc=1
  fi
fi
exit $rc
