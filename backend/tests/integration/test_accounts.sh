#!/usr/bin/env bash
# User accounts (issue #18 item 5) against the real binary: `cpe user add|list|del` with
# the password on stdin; with CPE_JWT_SECRET set, POST /auth/login gives an access JWT and
# a refresh token; /auth/refresh rotates (the old token stops working) and reuse of an old
# token revokes the whole family; logout revokes; access tokens expire (CPE_ACCESS_TTL_S);
# a viewer gets 403 on the admin-only /users routes, an admin manages users through them;
# a deleted user's access token stops at once (API or `cpe user del`), also after the name
# is added again;
# the per-user rate limit answers 429 with Retry-After and the spec's error JSON; /health
# says whether auth is on; neither the password nor the secret reaches the logs.
source "$(dirname "$0")/lib.sh"
export CPE_DB=$tmp/acc.db CPE_PREDICT=0 CPE_RETRAIN=0
SECRET=integration-secret-$RANDOM$RANDOM
PW_A=adminpass$(tr -dc a-z </dev/urandom | head -c 10)  # letters only: a JSON parser quotes the whole word
PW_V=viewer-pass-$RANDOM$RANDOM

echo "-- cpe user"
echo "$PW_A" | "$CPE_BIN" user add alice --role admin >"$tmp/add.out" 2>&1
check "cpe user add alice --role admin (password on stdin)" grep -q "added alice (admin)" "$tmp/add.out"
echo "$PW_V" | "$CPE_BIN" user add bob --role viewer >/dev/null 2>&1
echo "short" | "$CPE_BIN" user add eve --role viewer >/dev/null 2>&1; rc=$?
check "a password under 8 bytes is refused (exit $rc)" test "$rc" = 2
echo "$PW_V" | "$CPE_BIN" user add bob --role viewer >/dev/null 2>&1; rc=$?
check "adding an existing user fails (exit $rc)" test "$rc" = 1
"$CPE_BIN" user list >"$tmp/list.out"
check "cpe user list shows both with their roles" \
  sh -c "grep -q '^alice  *admin' $tmp/list.out && grep -q '^bob  *viewer' $tmp/list.out"
check "the store keeps an argon2id hash, not the password" \
  sh -c "! grep -aq '$PW_A' $tmp/acc.db* && sqlite3 $tmp/acc.db \"select value from meta where key='user:alice'\" | grep -q 'argon2id'"

echo "-- auth off by default"
start_serve --source store
curl -s "$B/health" >"$tmp/h0.json"
check "/health says auth off" test "$(json "$tmp/h0.json" 'd["auth"]')" = off
code=$(curl -s -o "$tmp/off.json" -w '%{http_code}' -X POST "$B/auth/login" -d "{\"username\":\"alice\",\"password\":\"$PW_A\"}")
check "POST /auth/login without auth: 404 AUTH_OFF ($code)" \
  sh -c "test $code = 404 && grep -q AUTH_OFF $tmp/off.json"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null

echo "-- auth on"
CPE_JWT_SECRET=$SECRET CPE_ACCESS_TTL_S=8 CPE_RATE_LIMIT_USER_PER_MIN=20 start_serve --source store
curl -s "$B/health" >"$tmp/h1.json"
check "/health says auth on" test "$(json "$tmp/h1.json" 'd["auth"]')" = on
post() { # PATH BODY [TOKEN] -> body in $tmp/r.json, status in $code
  local auth=(); [ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
  code=$(curl -s -o "$tmp/r.json" -D "$tmp/r.h" -w '%{http_code}' -X POST "$B$1" "${auth[@]}" -d "$2")
}
get() { # PATH TOKEN [METHOD]
  code=$(curl -s -o "$tmp/r.json" -D "$tmp/r.h" -w '%{http_code}' -X "${3:-GET}" "$B$1" -H "Authorization: Bearer $2")
}
post /auth/login "{\"username\":\"alice\",\"password\":\"wrong-password\"}"
check "a wrong password: 401 UNAUTHORIZED ($code)" sh -c "test $code = 401 && grep -q UNAUTHORIZED $tmp/r.json"
post /auth/login "{\"username\":\"mallory\",\"password\":\"$PW_A\"}"
msg_unknown=$(json "$tmp/r.json" 'd["error"]["message"]')
check "an unknown user: 401 with the same message as a wrong password" \
  sh -c "test $code = 401 && test '$msg_unknown' = 'user name or password is wrong'"
post /auth/login "{\"username\":\"alice\"}"
check "a body without password: 400 naming the field ($code)" \
  sh -c "test $code = 400 && test \"\$(python3 -c 'import json;print(json.load(open(\"$tmp/r.json\"))[\"error\"][\"details\"][\"field\"])')\" = password"
post /auth/login "{\"username\":\"alice\",\"password\":$PW_A}"
check "a malformed login body: 400 INVALID_JSON that does not quote the password ($code)" \
  sh -c "test $code = 400 && grep -q INVALID_JSON $tmp/r.json && ! grep -q '$PW_A' $tmp/r.json"
post /auth/login "{\"username\":\"alice\",\"password\":\"$PW_A\"}"
check "login: 200 with access_token and refresh_token ($code)" test "$code" = 200
A=$(json "$tmp/r.json" 'd["access_token"]'); R1=$(json "$tmp/r.json" 'd["refresh_token"]')
check "the access token says role admin and expires in CPE_ACCESS_TTL_S" \
  test "$(json "$tmp/r.json" 'd["role"], d["expires_in"]')" = "('admin', 8)"
get /assets "$A"
check "an admin token opens a user route ($code)" test "$code" = 200
get /users "$A"
check "GET /users lists the accounts for an admin ($code)" \
  sh -c "test $code = 200 && grep -q '\"username\":\"bob\",\"role\":\"viewer\"' $tmp/r.json"
check "GET /users shows no password hash" sh -c "! grep -q argon2 $tmp/r.json"

echo "-- refresh rotation and reuse"
post /auth/refresh "{\"refresh_token\":\"$R1\"}"
check "refresh: 200 with a new pair ($code)" test "$code" = 200
R2=$(json "$tmp/r.json" 'd["refresh_token"]')
check "the refresh token rotated" test "$R1" != "$R2"
post /auth/refresh "{\"refresh_token\":\"$R2\"}"
check "the new refresh token works once ($code)" test "$code" = 200
R3=$(json "$tmp/r.json" 'd["refresh_token"]')
post /auth/refresh "{\"refresh_token\":\"$R1\"}"
check "reusing an old refresh token: 401 ($code)" sh -c "test $code = 401 && grep -q 'already used' $tmp/r.json"
post /auth/refresh "{\"refresh_token\":\"$R3\"}"
check "after the reuse the family's newest token is revoked too ($code)" \
  sh -c "test $code = 401 && grep -q revoked $tmp/r.json"
post /auth/login "{\"username\":\"alice\",\"password\":\"$PW_A\"}"
L=$(json "$tmp/r.json" 'd["refresh_token"]')
post /auth/logout "{\"refresh_token\":\"$L\"}"
check "logout: 200 ($code)" test "$code" = 200
post /auth/refresh "{\"refresh_token\":\"$L\"}"
check "a logged-out refresh token is refused ($code)" test "$code" = 401

echo "-- viewer and admin routes"
post /auth/login "{\"username\":\"bob\",\"password\":\"$PW_V\"}"
V=$(json "$tmp/r.json" 'd["access_token"]')
get /users "$V"
check "a viewer on GET /users: 403 FORBIDDEN ($code)" sh -c "test $code = 403 && grep -q FORBIDDEN $tmp/r.json"
post /users '{"username":"carol","password":"carol-pass-1","role":"viewer"}' "$V"
check "a viewer on POST /users: 403 ($code)" test "$code" = 403
get /assets "$V"
check "a viewer on a user route: 200 ($code)" test "$code" = 200
post /auth/login "{\"username\":\"alice\",\"password\":\"$PW_A\"}"
A=$(json "$tmp/r.json" 'd["access_token"]')
post /users '{"username":"carol","password":"carol-pass-1","role":"viewer"}' "$A"
check "an admin creates carol: 201 ($code)" test "$code" = 201
post /users '{"username":"carol","password":"carol-pass-1","role":"viewer"}' "$A"
check "creating carol again: 409 USER_EXISTS ($code)" sh -c "test $code = 409 && grep -q USER_EXISTS $tmp/r.json"
post /auth/login '{"username":"carol","password":"carol-pass-1"}'
C=$(json "$tmp/r.json" 'd["refresh_token"]'); CA=$(json "$tmp/r.json" 'd["access_token"]')
get /assets "$CA"
check "carol's access token opens a user route ($code)" test "$code" = 200
get /users/carol "$A" DELETE
check "an admin deletes carol: 200 ($code)" test "$code" = 200
post /auth/refresh "{\"refresh_token\":\"$C\"}"
check "a deleted user's refresh token is refused ($code)" test "$code" = 401
get /assets "$CA"
check "a deleted user's access token stops at once: 401 ($code)" \
  sh -c "test $code = 401 && grep -q 'no longer exists' $tmp/r.json"
code=$(curl -s --max-time 5 -o "$tmp/r.json" -w "%{http_code}" -H "Sec-WebSocket-Version: 13" \
  -H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
  "$B/ws?token=$CA")
check "nor does it open a WebSocket: 401 ($code)" test "$code" = 401
get /users/carol "$A" DELETE
check "deleting carol again: 404 ($code)" test "$code" = 404
post /users '{"username":"carol","password":"carol-pass-2","role":"viewer"}' "$A"
get /assets "$CA"
check "nor after carol is added again: the token was the earlier account's ($code)" \
  sh -c "test $code = 401 && grep -q 'earlier account' $tmp/r.json"
post /users '{"username":"dave","password":"dave-pass-12","role":"viewer"}' "$A"
post /auth/login '{"username":"dave","password":"dave-pass-12"}'
DA=$(json "$tmp/r.json" 'd["access_token"]')
get /assets "$DA"
check "dave's access token opens a user route ($code)" test "$code" = 200
"$CPE_BIN" user del dave >/dev/null 2>&1
sleep 1.2
get /assets "$DA"
check "'cpe user del' in another process ends the token within a second ($code)" test "$code" = 401
token=$(CPE_JWT_SECRET=$SECRET "$CPE_BIN" serve --make-token ops)
get /assets "$token"
check "a token signed with --make-token names no account and still works ($code)" test "$code" = 200
get /assets "not.a.token"
check "a malformed bearer token: 401 ($code)" test "$code" = 401
curl -s "$B/openapi.json" >"$tmp/openapi.json"
check "the OpenAPI document lists /auth/login and marks /users admin-only" \
  test "$(json "$tmp/openapi.json" '"/auth/login" in d["paths"], d["paths"]["/users"]["get"].get("x-cpe-role")')" = "(True, 'admin')"

echo "-- expiry"
post /auth/login "{\"username\":\"bob\",\"password\":\"$PW_V\"}"
V=$(json "$tmp/r.json" 'd["access_token"]')
sleep 9
get /assets "$V"
check "an access token past its expiry: 401 expired ($code)" sh -c "test $code = 401 && grep -q expired $tmp/r.json"

echo "-- per-user rate limit"
post /auth/login "{\"username\":\"bob\",\"password\":\"$PW_V\"}"
V=$(json "$tmp/r.json" 'd["access_token"]')
n429=0
for i in $(seq 25); do
  get /assets "$V"
  if [ "$code" = 429 ]; then n429=$((n429 + 1)); cp "$tmp/r.json" "$tmp/429.json"; cp "$tmp/r.h" "$tmp/429.h"; fi
done
check "over 20 requests/min for one user: 429s ($n429 of 25)" test "$n429" -ge 1
check "the 429 carries Retry-After" grep -qi '^retry-after: [1-9]' "$tmp/429.h"
check "the 429 is the spec's error JSON (RATE_LIMITED, fallback)" \
  test "$(json "$tmp/429.json" 'd["error"]["code"], "fallback" in d')" = "('RATE_LIMITED', True)"
post /auth/login "{\"username\":\"alice\",\"password\":\"$PW_A\"}"
get /assets "$(json "$tmp/r.json" 'd["access_token"]')"
check "another user is not limited by bob's bucket ($code)" test "$code" = 200

echo "-- secrets stay out of the logs"
check "serve's output holds neither password nor the JWT secret" \
  sh -c "! grep -qa -e '$PW_A' -e '$PW_V' -e '$SECRET' $tmp/serve.out $tmp/serve.err"

echo "accounts: $passed passed, $failed failed"
[ "$failed" = 0 ]
