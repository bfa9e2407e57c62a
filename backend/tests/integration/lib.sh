# lib.sh — what the integration scripts share (sourced; not a test itself):
# $tmp (removed at exit), $pids (killed at exit), ok / bad / check NAME CMD... counting
# into $passed / $failed, json FILE EXPR (a Python expression over the parsed file as d),
# start_serve ARGS... (a `cpe serve --port 0` on 127.0.0.1; sets $port and $B, https://
# when it serves TLS), free_port (prints a free loopback port), and for the tests against the
# exchange double: need_double (sets $DOUBLE, built beside $CPE_BIN, or exits) and
# start_double FLAVOR PORT LOG ARGS... (started, killed at exit, answering /_stats).
# A test that wants errexit sets it before sourcing (cleanup tolerates it).
set -uo pipefail
CPE_BIN=${CPE_BIN:?set CPE_BIN to the cpe binary}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
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
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
need_double() {
  DOUBLE=${CPE_DOUBLE:-$(dirname "$CPE_BIN")/release/exchange_double}
  [ -x "$DOUBLE" ] || DOUBLE=$(dirname "$CPE_BIN")/exchange_double
  [ -x "$DOUBLE" ] || { echo "exchange_double not built next to $CPE_BIN"; exit 1; }
}
start_double() {
  local flavor=$1 p=$2 log=$3
  shift 3
  "$DOUBLE" --flavor "$flavor" --port "$p" "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$p/_stats" >/dev/null && return 0; sleep 0.1; done
  echo "exchange double ($flavor) does not answer on port $p"
  exit 1
}
