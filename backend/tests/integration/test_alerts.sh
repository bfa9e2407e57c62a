#!/usr/bin/env bash
# test_alerts.sh — alerts end to end on the real binary (docs/ALERTS.md): on a simulated
# server with a local webhook receiver (webhook_receiver.py) that answers 500 twice, then 200,
#   1. bad rules get 422 naming the field (level, kind, threshold, horizon_h); a drift rule
#      is accepted, and the model drift score it watches is in /metrics (the
#      cpe_model_drift_score gauge, NaN with no model) and in /health (null, 0 minutes);
#   2. a price_cross rule at the current price fires; its webhook POST carries a valid
#      X-CPE-Signature (HMAC-SHA256 of "<t>.<body>" under the rule's secret, t recent) and
#      the documented payload; after two 500s the third attempt is delivered, and
#      GET /alerts/{id}/events says delivered after 3 attempts;
#   3. a webhook that cannot be reached ends in GET /alerts/dead-letters;
#   4. after a restart on the same store no firing is delivered twice (2xx per event id
#      at most once) and the rule and its events are still there;
#   5. a backtest takes the rule's id as its entry_alert (400 while its direction is any,
#      202 once up; 404 for an unknown id);
#   6. PATCH {"enabled":false} mutes, DELETE removes (then 404).
# Needs $CPE_BIN and python3. About 25 s.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
export CPE_DB=$tmp/s.db CPE_SYMBOLS=BTCUSDT CPE_PREDICT=0 CPE_RETRAIN=0 CPE_MODELS=$tmp/models
export CPE_LIVE_MINUTE_MS=2000 CPE_LIVE_TICK_MS=100 CPE_ALERT_RETRY_BASE_MS=200 CPE_ALERT_RETRY_FOR_S=3

python3 "$here/webhook_receiver.py" "$tmp/hook.log" "$tmp/hook.port" 2 &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/hook.port" ] && break; sleep 0.05; done
HOOK=http://127.0.0.1:$(cat "$tmp/hook.port")/hook
touch "$tmp/hook.log"

start_serve --source simulate
SERVE=${pids[-1]}

post() { curl -s -o "$tmp/r.json" -w '%{http_code}' -X "$1" "$B$2" -d "${3:-}"; }
field_422() { # METHOD PATH BODY FIELD
  [ "$(post "$1" "$2" "$3")" = 422 ] && [ "$(json "$tmp/r.json" "d['error']['details']['field']")" = "$4" ]
}
check "422 names level" field_422 POST /alerts '{"kind":"price_cross","asset":"BTC"}' level
check "422 names kind" field_422 POST /alerts '{"kind":"moon","asset":"BTC"}' kind
check "422: a drift rule names its threshold" field_422 POST /alerts '{"kind":"drift","asset":"BTC"}' threshold
check "a drift rule is created (201)" bash -c "[ \"\$(curl -s -o $tmp/drift.json -w '%{http_code}' -X POST $B/alerts -d '{\"kind\":\"drift\",\"asset\":\"BTC\",\"threshold\":0.25}')\" = 201 ] && grep -q '\"kind\":\"drift\"' $tmp/drift.json"
curl -s "$B/metrics" >"$tmp/metrics"
check "/metrics exports the cpe_model_drift_score gauge per symbol (NaN: no model)" \
  bash -c "grep -q '^# TYPE cpe_model_drift_score gauge' $tmp/metrics && grep -q '^cpe_model_drift_score{symbol=\"BTCUSDT\"} NaN' $tmp/metrics"
check "/health has the drift score per symbol (null: no model)" \
  bash -c "curl -s $B/health | python3 -c \"import json,sys; d=json.load(sys.stdin)['live_predictions'][0]; assert d['symbol']=='BTCUSDT' and d['drift']['score'] is None and d['drift']['minutes']==0, d\""
check "422 names horizon_h" field_422 POST /alerts \
  '{"kind":"p_up_cross","asset":"BTC","horizon_h":5,"threshold":0.6}' horizon_h

price() { curl -s "$B/market-data?asset=BTC&limit=1" | python3 -c "import json,sys; print(json.load(sys.stdin)['close'][-1])" 2>/dev/null; }
P=
for _ in $(seq 300); do P=$(price) && [ -n "$P" ] && break; sleep 0.1; done
[ -n "$P" ] || { echo "no price from the simulator"; tail -5 "$tmp/serve.err"; exit 1; }
check "create a price_cross rule (201)" bash -c "[ \"\$(curl -s -o $tmp/rule.json -w '%{http_code}' -X POST $B/alerts -d '{\"kind\":\"price_cross\",\"asset\":\"BTC\",\"level\":$P,\"cooldown_s\":3600,\"name\":\"at $P\",\"webhook_url\":\"$HOOK\",\"webhook_secret\":\"s3cret\"}')\" = 201 ]"
RID=$(json "$tmp/rule.json" "d['id']")
check "the secret is never answered" bash -c "! grep -q s3cret $tmp/rule.json && grep -q '\"webhook_secret_set\":true' $tmp/rule.json"
post POST /alerts "{\"kind\":\"price_cross\",\"asset\":\"BTC\",\"level\":$P,\"cooldown_s\":3600,\"webhook_url\":\"http://127.0.0.1:9/x\",\"webhook_secret\":\"k\"}" >/dev/null
DEAD_RID=$(json "$tmp/r.json" "d['id']")

# wait for the third (first 200) POST
for _ in $(seq 300); do grep -q '"status": 200' "$tmp/hook.log" && break; sleep 0.1; done
verify() {
  python3 - "$tmp/hook.log" "$RID" <<'PY'
import hashlib, hmac, json, sys, time
rows = [json.loads(l) for l in open(sys.argv[1])]
rid = int(sys.argv[2])
assert [r["status"] for r in rows[:3]] == [500, 500, 200], [r["status"] for r in rows]
ev = json.loads(rows[0]["body"])
for r in rows[:3]:
    assert r["body"] == rows[0]["body"], "the retries carry the same firing"
    sig = dict(p.split("=", 1) for p in r["signature"].split(","))
    t = int(sig["t"])
    assert abs(time.time() - t) < 60, t
    want = hmac.new(b"s3cret", f"{t}.{r['body']}".encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sig["v1"], want), (sig, want)
assert ev["type"] == "alert" and ev["rule_id"] == rid and ev["kind"] == "price_cross", ev
assert ev["asset"] == "BTC" and ev["value"] > 0 and "crossed" in ev["message"], ev
assert ev["id"] >= 1 and ev["time"].endswith("Z") and isinstance(ev["t_ms"], int), ev
PY
}
check "webhook: signed, documented payload, delivered on the 3rd try after two 500s" verify
post GET "/alerts/$RID/events" >/dev/null
check "events: one firing, delivered after 3 attempts" \
  [ "$(json "$tmp/r.json" "(len(d['events']), d['events'][0]['delivery']['state'], d['events'][0]['delivery']['attempts'])")" = "(1, 'delivered', 3)" ]
for _ in $(seq 100); do post GET /alerts/dead-letters >/dev/null; grep -q "\"rule_id\":$DEAD_RID" "$tmp/r.json" && break; sleep 0.1; done
check "an unreachable webhook ends in the dead letters" \
  [ "$(json "$tmp/r.json" "[e['delivery']['state'] for e in d['dead_letters'] if e['rule_id'] == $DEAD_RID][:1]")" = "['dead']" ]

kill "$SERVE"; wait "$SERVE" 2>/dev/null
start_serve --source simulate
sleep 3
once() {
  python3 - "$tmp/hook.log" <<'PY'
import collections, json, sys
ok = collections.Counter(json.loads(json.loads(l)["body"])["id"]
                         for l in open(sys.argv[1]) if json.loads(l)["status"] == 200)
assert ok and max(ok.values()) == 1, ok
PY
}
check "after a restart no firing is delivered twice" once
post GET "/alerts/$RID/events" >/dev/null
check "the rule and its firing survive the restart" [ "$(json "$tmp/r.json" "len(d['events'])")" = 1 ]
# a backtest takes a rule id as its entry signal (docs/BACKTEST.md): its direction must say long or short
NOW=$(($(date +%s) * 1000))
bt() { post POST /backtest "{\"asset\":\"BTC\",\"from\":$((NOW - 7200000)),\"to\":$NOW,\"strategy\":{\"entry_alert\":$1}}"; }
bt_any_refused() { [ "$(bt "$RID")" = 400 ] && grep -q "entry_alert.*direction" "$tmp/r.json"; }
check "backtest entry_alert: a rule with direction any is 400 naming it" bt_any_refused
curl -s -X PATCH "$B/alerts/$RID" -d '{"direction":"up"}' >/dev/null
check "backtest entry_alert: the rule id is accepted (202)" [ "$(bt "$RID")" = 202 ]
check "backtest entry_alert: an unknown rule id is 404" [ "$(bt 99999)" = 404 ]
check "PATCH enabled:false mutes" bash -c "[ \"\$(curl -s -X PATCH $B/alerts/$RID -d '{\"enabled\":false}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"enabled\"])')\" = False ]"
check "PATCH with a bad field is 422" field_422 PATCH "/alerts/$RID" '{"cooldown_s":-5}' cooldown_s
check "DELETE removes" [ "$(post DELETE "/alerts/$RID")" = 200 ]
check "then it is 404" [ "$(post GET "/alerts/$RID/events")" = 404 ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
