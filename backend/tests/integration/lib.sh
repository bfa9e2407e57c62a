# lib.sh — what the integration scripts share (sourced; not a test itself):
# $tmp (removed at exit), $pids (killed at exit), ok / bad / check NAME CMD... counting
# into $passed / $failed, and json FILE EXPR (a Python expression over the parsed file as d).
set -uo pipefail
CPE_BIN=${CPE_BIN:?set CPE_BIN to the cpe binary}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
passed=0; failed=0
ok()  { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
