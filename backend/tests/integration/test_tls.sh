#!/usr/bin/env bash
# HTTPS and WSS (issue #18 item 4): a self-signed certificate is made at test time with the
# openssl CLI, `cpe serve --tls-cert --tls-key` serves the API, the cockpit's static files
# and /ws over TLS 1.3 with HSTS; TLS 1.2 is refused (curl --tls-max 1.2, openssl s_client
# -tls1_2) unless --tls-min 1.2; plain HTTP on the TLS port gets no answer; a certificate
# without its key is a configuration error.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 2>/dev/null || { echo "openssl cannot make a certificate"; exit 1; }
mkdir -p "$tmp/static"
echo '<!doctype html><title>cpe cockpit</title><script src="/app.js"></script>' >"$tmp/static/index.html"
echo 'console.log("cockpit")' >"$tmp/static/app.js"

start_tls() { # ARGS...: lib.sh's start_serve with the certificate; sets $port, $B, $SERVE
  CPE_PREDICT=0 CPE_RETRAIN=0 start_serve --db "$tmp/tls.db" --source simulate \
    --static "$tmp/static" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" "$@"
  SERVE=${pids[-1]}
  case $B in https://*) ;; *) echo "not serving https: $B"; exit 1 ;; esac
}
stop_tls() { kill "$SERVE"; wait "$SERVE" 2>/dev/null; }
CURL=(curl -s --max-time 10 --cacert "$tmp/cert.pem")

echo "-- TLS 1.3 only (the default)"
start_tls
"${CURL[@]}" -D "$tmp/h.txt" -o "$tmp/health.json" "$B/health"
check "HTTPS /health answers 200 over a verified certificate" grep -q '^HTTP/1.1 200' "$tmp/h.txt"
check "HSTS: strict-transport-security max-age of a year" \
  grep -qi '^strict-transport-security: max-age=31536000' "$tmp/h.txt"
check "the answer is the health JSON" test "$(json "$tmp/health.json" 'd["source"]')" = simulated
"${CURL[@]}" -D "$tmp/h404.txt" -o /dev/null "$B/no-such-route"
check "HSTS on an error answer too" grep -qi '^strict-transport-security:' "$tmp/h404.txt"
check "the cockpit's page is served over HTTPS" \
  sh -c "${CURL[*]} $B/ | grep -q 'cpe cockpit'"
check "and its script" sh -c "${CURL[*]} $B/app.js | grep -q cockpit"
check "the negotiated protocol is TLSv1.3 (openssl s_client)" \
  sh -c "echo | openssl s_client -connect 127.0.0.1:$port -CAfile $tmp/cert.pem 2>/dev/null | grep -q 'TLSv1.3'"
check "ALPN offers http/1.1 only (curl asks for h2, gets HTTP/1.1)" \
  test "$("${CURL[@]}" -o /dev/null -w '%{http_version}' "$B/health")" = 1.1
ws=$(python3 "$here/tls_ws.py" "$port" "$tmp/cert.pem" 2>&1)
check "WSS: /ws upgrades over TLS 1.3 and answers a subscription ($ws)" \
  sh -c "echo '$ws' | grep -q '^TLSv1.3 .*\"subscribed\"'"
"${CURL[@]}" --tls-max 1.2 -o /dev/null "$B/health"; rc=$?
check "curl --tls-max 1.2 is refused in the handshake (curl exit $rc)" test "$rc" = 35
check "openssl s_client -tls1_2 gets a protocol_version alert" \
  sh -c "echo | openssl s_client -connect 127.0.0.1:$port -tls1_2 2>&1 | grep -qi 'alert protocol version'"
plain=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")
check "plain HTTP on the TLS port gets no answer (got ${plain:-none})" test "${plain:-000}" = 000
check "the server is still running" kill -0 "$SERVE"
stop_tls

echo "-- --tls-min 1.2"
start_tls --tls-min 1.2
"${CURL[@]}" --tls-max 1.2 -D "$tmp/h12.txt" -o /dev/null "$B/health"
check "TLS 1.2 is accepted when --tls-min 1.2" grep -q '^HTTP/1.1 200' "$tmp/h12.txt"
check "TLS 1.3 still is" sh -c "${CURL[*]} -o /dev/null -w '%{http_code}' $B/health | grep -q 200"
check "openssl s_client -tls1_1 (client security level 0) is refused even then" \
  sh -c "echo | openssl s_client -connect 127.0.0.1:$port -tls1_1 -cipher DEFAULT@SECLEVEL=0 2>&1 | grep -qi 'alert protocol version'"
stop_tls

echo "-- configuration errors"
"$CPE_BIN" serve --port 0 --db "$tmp/x.db" --source simulate --tls-cert "$tmp/cert.pem" \
  >/dev/null 2>"$tmp/nokey.err"; rc=$?
check "a certificate without a key is refused (exit $rc)" \
  sh -c "test $rc != 0 && grep -q 'tls-key' $tmp/nokey.err"
"$CPE_BIN" serve --port 0 --db "$tmp/x.db" --source simulate --tls-cert "$tmp/nope.pem" \
  --tls-key "$tmp/key.pem" >/dev/null 2>"$tmp/nofile.err"; rc=$?
check "an unreadable certificate is named (exit $rc)" \
  sh -c "test $rc != 0 && grep -q 'nope.pem' $tmp/nofile.err"
"$CPE_BIN" serve --port 0 --db "$tmp/x.db" --tls-min 1.1 >/dev/null 2>"$tmp/min.err"; rc=$?
check "--tls-min 1.1 is refused (exit $rc)" sh -c "test $rc = 2 && grep -q '1.2 or 1.3' $tmp/min.err"

echo "tls: $passed passed, $failed failed"
[ "$failed" = 0 ]
