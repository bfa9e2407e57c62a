#!/usr/bin/env bash
# test_deploy.sh — the deployment files of deploy/ (docs/SCALE_OUT.md, "Deployment"):
#   1. Prometheus: the scrape configs and alert rules pass `promtool check`, and the rules'
#      unit tests (deploy/prometheus/tests) pass `promtool test rules`;
#   2. Alertmanager: `amtool check-config`;
#   3. docker-compose.yml: valid YAML with the spec's services, every build's Dockerfile
#      from debian:12-slim, every file it mounts present (`docker compose config` when the
#      docker client has the compose plugin);
#   4. the systemd units: `systemd-analyze verify` (when the binary path exists);
#   5. the Grafana dashboard: every metric its queries name is one that a running
#      `cpe serve` exports on /metrics (cpe_model_drift_score included);
#   6. nginx (Debian's) with deploy/nginx/cpe.conf over two nodes: `nginx -t`, the frontend
#      files from the build folder, the API balanced over both nodes, a WebSocket upgraded
#      through it, /metrics not exposed.
# Needs promtool, amtool, nginx (scripts/bootstrap.sh --with-servers). Takes about 15 s.
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
dep=$repo/deploy
. "$(dirname "$0")/lib.sh" # $tmp, $pids, ok / bad / check
for t in promtool amtool nginx; do
  command -v "$t" >/dev/null || { echo "FAIL $t is missing (scripts/bootstrap.sh --with-servers)"; exit 1; }
done

echo "-- 1: Prometheus"
quiet() { "$@" >"$tmp/q.log" 2>&1 || { cat "$tmp/q.log"; false; }; }
check "promtool check rules" quiet promtool check rules "$dep/prometheus/cpe.rules.yml"
check "promtool check config (host)" quiet promtool check config "$dep/prometheus/prometheus.yml"
check "promtool check config (compose)" quiet promtool check config "$dep/prometheus/prometheus.docker.yml"
check "promtool test rules: every alert fires above its threshold, none below" \
  quiet promtool test rules "$dep/prometheus/tests/cpe.rules.test.yml"
# one alert per row of the spec's 13.4 table
check "an alert for each row of spec 13.4" python3 - "$dep/prometheus/cpe.rules.yml" <<'PY'
import sys, yaml
rules = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"] if "alert" in r]
want = {("CpeApiLatencyHigh", "warning", "> 0.5"), ("CpeApiLatencyCritical", "critical", "> 2"),
        ("CpeWebSocketConnectionsHigh", "warning", "> 10000"),
        ("CpePredictionAccuracyLow", "warning", "< 0.5"), ("CpeModelDrift", "warning", "> 6.3"),
        ("CpeDataStale", "critical", "> 300"), ("CpeErrorRateHigh", "warning", "> 0.01"),
        ("CpeErrorRateCritical", "critical", "> 0.05")}
have = {(r["alert"], r["labels"]["severity"], t) for r in rules for (_, _, t) in want if t in r["expr"]}
missing = want - have
print("missing:", sorted(missing)) if missing else None
sys.exit(1 if missing else 0)
PY

echo "-- 2: Alertmanager"
check "amtool check-config" quiet amtool check-config "$dep/alertmanager/alertmanager.yml"

echo "-- 3: docker-compose.yml"
check "compose: the spec's services, Dockerfiles from debian:12-slim, mounted files present" \
  python3 - "$dep" <<'PY'
import os, re, sys, yaml
dep = sys.argv[1]
c = yaml.safe_load(open(os.path.join(dep, "docker-compose.yml")))
s = c["services"]
bad = []
for need in ["nginx", "api1", "api2", "ingest", "worker", "postgres", "redis", "prometheus",
             "alertmanager", "grafana"]:
    if need not in s: bad.append("no service " + need)
roles = {n: v.get("environment", {}).get("CPE_ROLE") for n, v in s.items()}
for n, r in [("api1", "api"), ("api2", "api"), ("ingest", "ingest"), ("worker", "worker")]:
    if roles.get(n) != r: bad.append(f"{n} has role {roles.get(n)}")
for n, v in s.items():
    b = v.get("build")
    if b:
        df = os.path.normpath(os.path.join(dep, b["context"], b["dockerfile"]))
        froms = re.findall(r"^FROM\s+(\S+)", open(df).read(), re.M) if os.path.exists(df) else []
        if not froms or any(f != "debian:12-slim" for f in froms): bad.append(f"{n}: {df} FROM {froms}")
        for src in re.findall(r"^COPY\s+(?!--from)(\S+)", open(df).read(), re.M):
            if not src.startswith("frontend/") and not os.path.exists(os.path.join(dep, b["context"], src)):
                bad.append(f"{df}: COPY {src} does not exist")
    for vol in v.get("volumes", []):
        src = vol.split(":")[0]
        if src.startswith("."):
            if not os.path.exists(os.path.join(dep, src)): bad.append(f"{n}: mount {src} missing")
        elif src not in (c.get("volumes") or {}): bad.append(f"{n}: volume {src} not declared")
    for d in (v.get("depends_on") or {}):
        if d not in s: bad.append(f"{n} depends on unknown {d}")
    env = v.get("environment") or {}
    for k, val in env.items():
        if any(w in k for w in ("PASSWORD", "SECRET")) and not str(val).startswith("${"):
            bad.append(f"{n}: {k} is not taken from the environment")
if bad: print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
if docker compose version >/dev/null 2>&1; then
  check "docker compose config" env CPE_PG_PASSWORD=x GRAFANA_ADMIN_PASSWORD=x \
    docker compose -f "$dep/docker-compose.yml" config -q
else
  echo "     (docker compose plugin absent: the YAML check above stands in for it)"
fi

echo "-- 4: systemd units"
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$tmp/units"
  for u in "$dep"/systemd/*.service; do
    sed "s|/usr/local/bin/cpe|$CPE_BIN|g" "$u" >"$tmp/units/$(basename "$u")"
  done
  cp "$tmp/units/cpe-api@.service" "$tmp/units/cpe-api@8001.service"
  cp "$tmp/units/cpe-worker@.service" "$tmp/units/cpe-worker@8003.service"
  check "systemd-analyze verify: no warning" bash -c "cd $tmp/units && systemd-analyze verify \
    ./cpe-ingest.service ./cpe-api@8001.service ./cpe-worker@8003.service >$tmp/sa.log 2>&1; \
    cat $tmp/sa.log; ! [ -s $tmp/sa.log ]"
fi

echo "-- 5/6: two nodes behind nginx; the dashboard against their /metrics"
export CPE_DB=$tmp/s.db CPE_MODELS=$tmp/models CPE_SYMBOLS=BTCUSDT CPE_RETRAIN=0 CPE_RATE_LIMIT_PER_MIN=0
"$CPE_BIN" simulate --symbols BTCUSDT --days 1 --seed 3 >"$tmp/sim.log" 2>&1 || { cat "$tmp/sim.log"; exit 1; }
start_serve --source store
N1=127.0.0.1:$port
cp "$tmp/serve.err" "$tmp/n1.err"
start_serve --source store
N2=127.0.0.1:$port
mkdir -p "$tmp/dist/assets"
echo '<!doctype html><title>cpe test dist</title>' >"$tmp/dist/index.html"
echo 'console.log(1)' >"$tmp/dist/assets/index-T.js"
. "$(dirname "$0")/nginx_tmp.sh"
check "nginx -t accepts deploy/nginx/cpe.conf and nginx starts" nginx_start "$tmp/dist" "$N1" "$N2"
check "/ is the frontend's index.html from the build folder" \
  bash -c "curl -s http://$NG/ | grep -q 'cpe test dist'"
check "built assets are served with a long cache" \
  bash -c "curl -sI http://$NG/assets/index-T.js | grep -qi 'cache-control: public, immutable'"
check "/metrics is not exposed through the balancer" \
  bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://$NG/metrics)\" = 404 ]"
for _ in $(seq 20); do curl -s -o /dev/null "http://$NG/health"; done
hits() { curl -s "http://$1/metrics" | sed -n 's/^cpe_http_requests_total{route="health",method="GET",status="[0-9]*"} //p' | awk '{s += $1} END {print s + 0}'; }
h1=$(hits "$N1"); h2=$(hits "$N2")
check "20 /health through nginx reach both nodes ($h1 + $h2)" bash -c "[ ${h1:-0} -ge 3 ] && [ ${h2:-0} -ge 3 ] && [ $((h1 + h2)) -ge 20 ]"
check "an API answer through nginx is the node's (/openapi.json)" \
  bash -c "curl -s http://$NG/openapi.json | python3 -c 'import json,sys; assert \"paths\" in json.load(sys.stdin)'"
check "a WebSocket is upgraded through nginx and receives the server's messages" \
  bash -c "'$CPE_BIN' stream --url ws://$NG/ws --send '{\"op\":\"ping\"}' --count 1 --match pong --timeout-ms 5000 >$tmp/ws.out 2>&1"

curl -s "http://$N1/metrics" >"$tmp/metrics.txt"
check "every metric of the Grafana dashboard is exported by /metrics" \
  python3 - "$dep/grafana/dashboards/cpe.json" "$tmp/metrics.txt" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
text = open(sys.argv[2]).read()
samples = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", text, re.M))
families = set(re.findall(r"^# TYPE (\S+)", text, re.M))
def exported(m):
    base = re.sub(r"_(bucket|sum|count)$", "", m)
    return m in samples or m in families or (base in families and base != m)
names = set()
for e in exprs:
    e = re.sub(r'"[^"]*"', '""', e)                      # label values
    e = re.sub(r"\{[^}]*\}", "", e)                      # matchers
    e = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", e)  # grouping labels
    names |= {w for w in re.findall(r"\b[a-z_][a-z0-9_]*\b", e) if w.startswith("cpe_")}
missing = sorted(n for n in names if not exported(n))
print(f"{len(exprs)} queries, {len(names)} metrics; not exported: {missing}")
sys.exit(1 if missing or len(names) < 8 else 0)
PY
check "every query of the dashboard is a valid PromQL expression (promtool)" \
  python3 - "$dep/grafana/dashboards/cpe.json" "$tmp" <<'PY'
import json, subprocess, sys
d = json.load(open(sys.argv[1]))
rules = {"groups": [{"name": "dash", "rules": [
    {"record": f"dash:q{i}", "expr": t["expr"]}
    for i, t in enumerate(t for p in d["panels"] for t in p.get("targets", []))]}]}
path = sys.argv[2] + "/dash.rules.yml"
json.dump(rules, open(path, "w"))  # JSON is YAML
sys.exit(subprocess.call(["promtool", "check", "rules", path], stdout=subprocess.DEVNULL))
PY

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
