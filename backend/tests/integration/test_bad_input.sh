#!/usr/bin/env bash
# test_bad_input.sh — issue 18 item 6, the bad-input table: 90+ malformed or hostile HTTP
# requests and WebSocket handshakes/frames against the real `cpe serve`, each answered with
# its 4xx and the spec's error JSON or its close code, while a well-behaved HTTP and
# WebSocket client is served throughout (bad_input.py has the table). Needs $CPE_BIN, python3.
set -uo pipefail
: "${CPE_BIN:?set CPE_BIN to the cpe binary}"
exec python3 "$(dirname "$0")/bad_input.py"
