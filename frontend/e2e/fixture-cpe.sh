#!/usr/bin/env bash
# Dev-only stand-in for the `cpe` binary, for iterating on the cockpit (and for the
# "fixture" benchmark column in docs/BENCHMARKS.md) while the server lacks a route:
#   CPE_BIN=frontend/e2e/fixture-cpe.sh node frontend/e2e/run.mjs
# `help` lists simulate and serve, `simulate` does nothing, `serve --port N` runs
# fixture-server.mjs on N. The committed tests and `make test` never use it.
here=$(cd "$(dirname "$0")" && pwd)
case "$1" in
  help) echo "  simulate  (fixture)"; echo "  serve     (fixture)" ;;
  simulate) exit 0 ;;
  serve) exec node "$here/fixture-server.mjs" "${3:-0}" ;;
  *) echo "fixture-cpe: '$1' is not emulated" >&2; exit 2 ;;
esac
