# lib.sh — what the integration scripts share (sourced; not a test itself):
# $tmp (removed at exit), $pids (killed at exit), ok / bad / check NAME CMD... counting
# into $passed / $failed, json FILE EXPR (a Python expression over the parsed file as d),
# and start_serve ARGS... (a `cpe serve --port 0` on 127.0.0.1; sets $port and $B, https://
# when it serves TLS).
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
# json FILE EXPR: print a Python expression over the parsed file as d
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
start_serve() {
  CPE_RATE_LIMIT_PER_MIN=100000 "$CPE_BIN" serve --port 0 --host 127.0.0.1 "$@" \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
  pids+=($!)
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on https\{0,1\}:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/serve.out")
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "server did not start:"; cat "$tmp/serve.err"; exit 1; }
  B=$(sed -n 's/^listening on \(https\{0,1\}\):.*/\1/p' "$tmp/serve.out")://127.0.0.1:$port
}
