#!/usr/bin/env bash
# bench_crash.sh — crash safety at scale (issue #18 item 2): the crash tests with 100
# SIGKILLs per part instead of make test's 10 (20 for the registry), one JSON line per part:
#   {"bench":"crash_safety","part":"import|serve|registry","kills":N,"killed_running":N,
#    "corrupt_stores":N,"partial_files":N,"lost_bars":N,"bars":N}   (registry: its own keys)
# import needs the real data ($CPE_SHARED/data/real); serve needs build/release/exchange_double.
# CRASH_KILLS (100) and CRASH_PARTS ("import serve registry") narrow it. Takes ~2 min a part.
set -uo pipefail
cd "$(dirname "$0")/../.."
export CPE_BIN=${CPE_BIN:-$PWD/build/release/cpe}
KILLS=${CRASH_KILLS:-100}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for part in ${CRASH_PARTS:-import serve registry}; do
  if [ "$part" = registry ]; then
    CPE_TEST_TMP=$tmp CPE_REGISTRY_KILLS=$KILLS build/release/engine_test_registry 2>/dev/null \
      | grep '^{"bench"'
  else
    CRASH_KILLS=$KILLS CRASH_PARTS=$part CRASH_JSON=$tmp/$part.jsonl \
      bash backend/tests/integration/test_crash_safety.sh >"$tmp/$part.log" 2>&1
    cat "$tmp/$part.jsonl" 2>/dev/null || echo "{\"bench\":\"crash_safety\",\"part\":\"$part\",\"error\":\"no result\"}"
    grep -q ', 0 failed' "$tmp/$part.log" || grep -E '^FAIL|after kill' "$tmp/$part.log" >&2
  fi
done
