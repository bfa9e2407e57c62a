#!/usr/bin/env bash
# bench.sh — every benchmark, each printing machine-readable JSON lines
#   {"bench":"NAME","metric":"...","value":N,"unit":"...","target":N,...}
# into build/bench/results.jsonl. Benchmarks are never timed assertions: the figures
# go into docs/BENCHMARKS.md with the command that produced them.
set -uo pipefail
cd "$(dirname "$0")/.."
export CPE_SHARED=${CPE_SHARED:-$(cd .. && pwd)/shared}
scripts/bootstrap.sh --with-bench --with-servers
cmake -S backend -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j 2 >/dev/null || exit 1
mkdir -p build/bench
out=build/bench/results.jsonl
: >"$out"
for b in build/release/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")" >&2
  "$b" | tee -a "$out"
done
for s in backend/bench/*.sh; do
  [ -e "$s" ] || continue
  echo "== $(basename "$s")" >&2
  bash "$s" | tee -a "$out"
done
echo "results: $out" >&2
