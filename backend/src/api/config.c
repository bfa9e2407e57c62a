/* config.c — the server settings table, defaults, env and config-file loading (api.h). */
#include "cpe/api.h"
#include "cpe/bus.h"
#include "cpe/num.h"
#include "cpe/universe.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const cpe_api_setting_t cpe_api_settings[] = {
    {"CPE_HOST", "127.0.0.1", "address to listen on (0.0.0.0 for all interfaces)"},
    {"CPE_PORT", "8000", "TCP port (0 picks a free port and logs it)"},
    {"CPE_DB", "data/cpe.db", "the store (SQLite path)"},
    {"CPE_SOURCE", "auto",
     "auto | live | simulate | store: where live bars come from (auto: recent real data in "
     "the store, else the exchanges when they answer, else the simulator)"},
    {"CPE_STATIC_DIR", "", "built frontend to serve (default: frontend/dist of the repo)"},
    {"CPE_CORS_ORIGINS", "http://localhost:5173,http://127.0.0.1:5173",
     "comma-separated origins allowed by CORS; * allows any; empty allows none"},
    {"CPE_RATE_LIMIT_PER_MIN", "1000", "requests per minute per client IP (0 disables)"},
    {"CPE_JWT_SECRET", "",
     "when set, auth is on: every API route except /health, /metrics, /openapi.json, /docs "
     "and /auth/* needs 'Authorization: Bearer <HS256 JWT with exp>' (POST /auth/login gives "
     "one); empty: auth is off"},
    {"CPE_JWT_SECRET_FILE", "",
     "a file whose first line is CPE_JWT_SECRET (instead of the variable; e.g. a mounted secret)"},
    {"CPE_RATE_LIMIT_USER_PER_MIN", "100",
     "auth on: requests per minute per user, and login attempts per user name (0 disables)"},
    {"CPE_ACCESS_TTL_S", "3600", "auth on: lifetime of an access token (seconds)"},
    {"CPE_REFRESH_TTL_S", "2592000",
     "auth on: a refresh token family expires this long after its last use (seconds)"},
    {"CPE_WS_HEARTBEAT_MS", "15000", "WebSocket heartbeat period"},
    {"CPE_WS_QUEUE_CAP", "256", "per-client queued messages before candle updates collapse"},
    {"CPE_WS_QUEUE_DROP", "1024", "per-client queued messages before the client is dropped"},
    {"CPE_WS_FANOUT", "auto",
     "auto | io_uring | send: how an update is written to many WebSocket clients at once "
     "(auto: io_uring when the kernel allows it, else one send() per client)"},
    {"CPE_LIVE_TICK_MS", "1000", "period of in-progress candle updates"},
    {"CPE_LIVE_MINUTE_MS", "60000", "wall time of one simulated minute (tests use less)"},
    {"CPE_SIM_SEED", "1", "simulator seed"},
    {"CPE_ASSETS", CPE_ASSETS_DEFAULT,
     "the assets served, predicted and simulated (any asset, given data): comma-separated, "
     "e.g. BTC,ETH,SOL"},
    {"CPE_SYMBOLS", "", "symbols of the live pipeline (empty: every asset of CPE_ASSETS)"},
    {"CPE_BACKTEST_WORKERS", "1", "backtest worker threads"},
    {"CPE_JOB_RECLAIM_MS", "60000",
     "--bus: a backtest whose node stopped renewing its claim this long is run by another "
     "node (a live node renews every third of it)"},
    {"CPE_HTTP_WORKERS", "2",
     "threads answering the heavy GET routes (/market-data, /explain, /predictions, "
     "/backtests) so /predict never waits behind them; 0: all on the service thread"},
    {"CPE_LIVE_PROBE_MS", "8000",
     "--source auto: how long to wait for exchange data before simulating"},
    {"CPE_MODELS", "data/models",
     "model registry root (cpe train writes it; serve reads the champion)"},
    {"CPE_PREDICT", "1",
     "1: predict at every closed bar with the champion model; 0: serve stored predictions only"},
    {"CPE_PRED_PATHS", "10000", "Monte Carlo paths per live prediction"},
    {"CPE_RETRAIN", "1",
     "1: retrain every live symbol daily and make the new version champion; 0: never"},
    {"CPE_RETRAIN_AT", "00:00", "UTC time (HH:MM) of the daily retraining"},
    {"CPE_RETRAIN_EVERY_S", "0", "tests: > 0 retrains every N seconds instead of daily"},
    {"CPE_RETRAIN_MISSING_S", "30",
     "symbols without a champion model are trained this many seconds after start, then hourly "
     "until they have one (0: they wait for the daily run)"},
    {"CPE_MODELS_KEEP", "14",
     "versions kept per symbol after a retrain (+ champion, challenger); 0: all"},
    {"CPE_TLS_CERT", "",
     "PEM certificate (chain) file; with CPE_TLS_KEY the port serves HTTPS and WSS only"},
    {"CPE_TLS_KEY", "", "PEM private key of CPE_TLS_CERT (keep it readable by the server only)"},
    {"CPE_TLS_MIN", "1.3", "lowest TLS version accepted: 1.3, or 1.2 for older clients"},
    {"CPE_BUS", "",
     "redis://HOST:PORT: publish the live stream to Redis and fan out what other nodes publish "
     "to this node's WebSocket clients (docs/SCALE_OUT.md); empty: no bus"},
    {"CPE_ROLE", "all",
     "all | ingest | api | worker: what this node does (ingest: live pipeline, predictions, "
     "retraining, publishing; api: HTTP + WebSocket from the store and the bus; worker: "
     "backtest jobs from the bus); all but 'all' need CPE_BUS"},
    {"CPE_ALERTS", "1", "1: evaluate alert rules in the live pipeline and deliver them; 0: off"},
    {"CPE_ALERT_RETRY_BASE_MS", "1000",
     "first webhook retry delay; each further retry waits twice as long (at most 1 h)"},
    {"CPE_ALERT_RETRY_FOR_S", "86400",
     "webhook retries stop this long after the firing: the delivery goes to the dead letters"},
    {"CPE_ALERT_STALE_MS", "10000", "stale alerts: no price update for this long is stale"},
    {NULL, NULL, NULL},
};

void cpe_api_config_defaults(cpe_api_config_t *c)
{
    memset(c, 0, sizeof *c);
    for (const cpe_api_setting_t *s = cpe_api_settings; s->env; s++)
        cpe_api_config_set(c, s->env, s->def, NULL);
}

static int set_int(int *dst, const char *key, const char *v, long lo, long hi, cpe_diag_t *d)
{
    int64_t x;
    if (cpe_parse_i64(v, strlen(v), &x) || x < lo || x > hi)
        return cpe_diag_set(d, CPE_EINVAL, "setting %s (%s) must be an integer in [%ld, %ld]", key,
                            v, lo, hi);
    *dst = (int)x;
    return 0;
}

static int set_str(char *dst, size_t cap, const char *key, const char *v, cpe_diag_t *d)
{
    if (strlen(v) >= cap)
        return cpe_diag_set(d, CPE_EINVAL, "setting %s is longer than %zu bytes", key, cap - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int set_rate(double *dst, const char *key, const char *v, cpe_diag_t *d)
{
    double x;
    if (cpe_parse_double(v, strlen(v), &x) || !(x >= 0) || x > 1e9)
        return cpe_diag_set(d, CPE_EINVAL, "setting %s (%s) must be a number >= 0", key, v);
    *dst = x;
    return 0;
}

/* CPE_JWT_SECRET from the first line of a file; messages name the file, never its text. */
static int set_secret_file(cpe_api_config_t *c, const char *key, const char *path, cpe_diag_t *d)
{
    if (!path[0]) return 0;
    char line[sizeof c->jwt_secret + 2];
    FILE *f = fopen(path, "r");
    if (!f) return cpe_diag_set(d, CPE_EIO, "setting %s: cannot read %s", key, path);
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    line[ok ? strcspn(line, "\r\n") : 0] = 0;
    if (!line[0] || strlen(line) >= sizeof c->jwt_secret)
        return cpe_diag_set(d, CPE_EINVAL,
                            "setting %s: the first line of %s must be a secret of 1..%zu bytes",
                            key, path, sizeof c->jwt_secret - 1);
    memcpy(c->jwt_secret, line, strlen(line) + 1);
    return 0;
}

int cpe_api_config_set(cpe_api_config_t *c, const char *key, const char *v, cpe_diag_t *d)
{
    char k[64];
    if (strncmp(key, "CPE_", 4)) {
        size_t i = 0;
        snprintf(k, sizeof k, "CPE_");
        for (; key[i] && i + 5 < sizeof k; i++)
            k[4 + i] = key[i] == '-' ? '_' : (char)toupper((unsigned char)key[i]);
        k[4 + i] = 0;
        key = k;
    }
    if (!strcmp(key, "CPE_HOST")) return set_str(c->host, sizeof c->host, key, v, d);
    if (!strcmp(key, "CPE_PORT")) return set_int(&c->port, key, v, 0, 65535, d);
    if (!strcmp(key, "CPE_DB")) return set_str(c->db, sizeof c->db, key, v, d);
    if (!strcmp(key, "CPE_SOURCE")) {
        if (strcmp(v, "auto") && strcmp(v, "live") && strcmp(v, "simulate") && strcmp(v, "store"))
            return cpe_diag_set(d, CPE_EINVAL,
                                "setting CPE_SOURCE (%s) must be auto, live, simulate or store", v);
        return set_str(c->source, sizeof c->source, key, v, d);
    }
    if (!strcmp(key, "CPE_STATIC_DIR"))
        return set_str(c->static_dir, sizeof c->static_dir, key, v, d);
    if (!strcmp(key, "CPE_CORS_ORIGINS"))
        return set_str(c->cors_origins, sizeof c->cors_origins, key, v, d);
    if (!strcmp(key, "CPE_RATE_LIMIT_PER_MIN")) return set_rate(&c->rate_limit_per_min, key, v, d);
    if (!strcmp(key, "CPE_RATE_LIMIT_USER_PER_MIN"))
        return set_rate(&c->rate_limit_user_per_min, key, v, d);
    if (!strcmp(key, "CPE_JWT_SECRET")) /* set_str's messages never show the value */
        return set_str(c->jwt_secret, sizeof c->jwt_secret, key, v, d);
    if (!strcmp(key, "CPE_JWT_SECRET_FILE")) return set_secret_file(c, key, v, d);
    if (!strcmp(key, "CPE_ACCESS_TTL_S")) return set_int(&c->access_ttl_s, key, v, 1, 7 * 86400, d);
    if (!strcmp(key, "CPE_REFRESH_TTL_S"))
        return set_int(&c->refresh_ttl_s, key, v, 1, 365 * 86400, d);
    if (!strcmp(key, "CPE_WS_HEARTBEAT_MS"))
        return set_int(&c->heartbeat_ms, key, v, 10, 3600000, d);
    if (!strcmp(key, "CPE_WS_QUEUE_CAP")) return set_int(&c->ws_queue_cap, key, v, 1, 1000000, d);
    if (!strcmp(key, "CPE_WS_QUEUE_DROP"))
        return set_int(&c->ws_queue_drop, key, v, 2, 10000000, d);
    if (!strcmp(key, "CPE_WS_FANOUT")) {
        if (strcmp(v, "auto") && strcmp(v, "io_uring") && strcmp(v, "send"))
            return cpe_diag_set(d, CPE_EINVAL,
                                "setting CPE_WS_FANOUT (%s) must be auto, io_uring or send", v);
        return set_str(c->ws_fanout, sizeof c->ws_fanout, key, v, d);
    }
    if (!strcmp(key, "CPE_LIVE_TICK_MS")) return set_int(&c->tick_ms, key, v, 10, 60000, d);
    if (!strcmp(key, "CPE_LIVE_MINUTE_MS")) return set_int(&c->minute_ms, key, v, 50, 3600000, d);
    if (!strcmp(key, "CPE_SIM_SEED")) {
        int64_t x;
        if (cpe_parse_i64(v, strlen(v), &x))
            return cpe_diag_set(d, CPE_EINVAL, "setting %s (%s) must be an integer", key, v);
        c->sim_seed = (uint64_t)x;
        return 0;
    }
    if (!strcmp(key, "CPE_SYMBOLS")) return set_str(c->symbols, sizeof c->symbols, key, v, d);
    if (!strcmp(key, "CPE_ASSETS")) return set_str(c->assets, sizeof c->assets, key, v, d);
    if (!strcmp(key, "CPE_BACKTEST_WORKERS"))
        return set_int(&c->backtest_workers, key, v, 1, 16, d);
    if (!strcmp(key, "CPE_JOB_RECLAIM_MS"))
        return set_int(&c->job_reclaim_ms, key, v, 300, 86400000, d);
    if (!strcmp(key, "CPE_HTTP_WORKERS")) return set_int(&c->http_workers, key, v, 0, 16, d);
    if (!strcmp(key, "CPE_LIVE_PROBE_MS")) return set_int(&c->probe_ms, key, v, 0, 600000, d);
    if (!strcmp(key, "CPE_MODELS")) return set_str(c->models, sizeof c->models, key, v, d);
    if (!strcmp(key, "CPE_PREDICT")) return set_int(&c->predict, key, v, 0, 1, d);
    if (!strcmp(key, "CPE_PRED_PATHS")) return set_int(&c->pred_paths, key, v, 100, 1000000, d);
    if (!strcmp(key, "CPE_RETRAIN")) return set_int(&c->retrain, key, v, 0, 1, d);
    if (!strcmp(key, "CPE_RETRAIN_AT")) {
        int ok = strlen(v) == 5 && v[2] == ':';
        for (int i = 0; ok && i < 5; i++)
            ok = i == 2 || isdigit((unsigned char)v[i]);
        int hh = ok ? (v[0] - '0') * 10 + v[1] - '0' : 0;
        int mm = ok ? (v[3] - '0') * 10 + v[4] - '0' : 0;
        if (!ok || hh > 23 || mm > 59)
            return cpe_diag_set(d, CPE_EINVAL, "setting %s (%s) must be a UTC time HH:MM", key, v);
        c->retrain_at_min = hh * 60 + mm;
        return 0;
    }
    if (!strcmp(key, "CPE_RETRAIN_EVERY_S"))
        return set_int(&c->retrain_every_s, key, v, 0, 7 * 86400, d);
    if (!strcmp(key, "CPE_RETRAIN_MISSING_S"))
        return set_int(&c->retrain_missing_s, key, v, 0, 7 * 86400, d);
    if (!strcmp(key, "CPE_MODELS_KEEP")) return set_int(&c->models_keep, key, v, 0, 100000, d);
    if (!strcmp(key, "CPE_TLS_CERT")) return set_str(c->tls_cert, sizeof c->tls_cert, key, v, d);
    if (!strcmp(key, "CPE_TLS_KEY")) return set_str(c->tls_key, sizeof c->tls_key, key, v, d);
    if (!strcmp(key, "CPE_TLS_MIN")) { /* api/tls.h */
        if (strcmp(v, "1.2") && strcmp(v, "1.3"))
            return cpe_diag_set(d, CPE_EINVAL, "setting %s (%s) must be 1.2 or 1.3", key, v);
        c->tls_min_12 = !strcmp(v, "1.2");
        return 0;
    }
    if (!strcmp(key, "CPE_BUS")) {
        char host[256];
        int port, rc;
        if (*v && (rc = cpe_bus_parse_url(v, host, sizeof host, &port, d))) return rc;
        return set_str(c->bus, sizeof c->bus, key, v, d);
    }
    if (!strcmp(key, "CPE_ROLE")) {
        if (strcmp(v, "all") && strcmp(v, "ingest") && strcmp(v, "api") && strcmp(v, "worker"))
            return cpe_diag_set(d, CPE_EINVAL,
                                "setting CPE_ROLE (%s) must be all, ingest, api or worker", v);
        return set_str(c->role, sizeof c->role, key, v, d);
    }
    if (!strcmp(key, "CPE_ALERTS")) return set_int(&c->alerts, key, v, 0, 1, d);
    if (!strcmp(key, "CPE_ALERT_RETRY_BASE_MS"))
        return set_int(&c->alert_retry_base_ms, key, v, 10, 3600000, d);
    if (!strcmp(key, "CPE_ALERT_RETRY_FOR_S"))
        return set_int(&c->alert_retry_for_s, key, v, 0, 7 * 86400, d);
    if (!strcmp(key, "CPE_ALERT_STALE_MS"))
        return set_int(&c->alert_stale_ms, key, v, 100, 3600000, d);
    return cpe_diag_set(d, CPE_EINVAL, "unknown setting %s (see .env.example)", key);
}

int cpe_api_config_parse(cpe_api_config_t *c, const char *name, const char *text, size_t len,
                         cpe_diag_t *d)
{
    char line[2048];
    int lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = (nl ? (size_t)(nl - text) : len) - pos;
        lineno++;
        if (ll >= sizeof line)
            return cpe_diag_set(d, CPE_EPARSE, "%s:%d: line longer than %zu bytes", name, lineno,
                                sizeof line - 1);
        memcpy(line, text + pos, ll);
        line[ll] = 0;
        pos += ll + 1;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            s[--n] = 0;
        if (!*s || *s == '#') continue;
        if (!strncmp(s, "export ", 7)) s += 7;
        char *eq = strchr(s, '=');
        if (!eq) return cpe_diag_set(d, CPE_EPARSE, "%s:%d: expected KEY=VALUE", name, lineno);
        *eq = 0;
        char *v = eq + 1;
        size_t vl = strlen(v);
        if (vl >= 2 && ((v[0] == '"' && v[vl - 1] == '"') || (v[0] == '\'' && v[vl - 1] == '\''))) {
            v[vl - 1] = 0;
            v++;
        }
        int rc = cpe_api_config_set(c, s, v, d);
        if (rc) return cpe_diag_prefix(d, "%s:%d: ", name, lineno);
    }
    return 0;
}

int cpe_api_config_load_file(cpe_api_config_t *c, const char *path, cpe_diag_t *d)
{
    FILE *f = fopen(path, "r");
    if (!f) return cpe_diag_set(d, CPE_EIO, "%s: cannot open config file", path);
    char *text = malloc(CPE_CONFIG_FILE_MAX + 1);
    size_t n = text ? fread(text, 1, CPE_CONFIG_FILE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    int rc;
    if (!text)
        rc = cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", path);
    else if (bad)
        rc = cpe_diag_set(d, CPE_EIO, "%s: cannot read config file", path);
    else if (n > CPE_CONFIG_FILE_MAX)
        rc = cpe_diag_set(d, CPE_ETOOBIG, "%s: config file larger than %d bytes", path,
                          CPE_CONFIG_FILE_MAX);
    else
        rc = cpe_api_config_parse(c, path, text, n, d);
    free(text);
    return rc;
}

int cpe_api_config_load_env(cpe_api_config_t *c, cpe_diag_t *d)
{
    for (const cpe_api_setting_t *s = cpe_api_settings; s->env; s++) {
        const char *v = getenv(s->env);
        if (!v) continue;
        int rc = cpe_api_config_set(c, s->env, v, d);
        if (rc) return cpe_diag_prefix(d, "environment: ");
    }
    return 0;
}

int cpe_api_config_resolve_role(cpe_api_config_t *c, cpe_diag_t *d)
{
    if (!strcmp(c->role, "all")) return 0;
    if (!c->bus[0])
        return cpe_diag_set(d, CPE_EINVAL, "--role %s needs a bus (--bus redis://HOST:PORT)",
                            c->role);
    if (!strcmp(c->role, "ingest")) {
        if (!strcmp(c->source, "store"))
            return cpe_diag_set(d, CPE_EINVAL,
                                "--role ingest needs a live source (auto, live or simulate)");
        return 0;
    }
    snprintf(c->source, sizeof c->source, "store"); /* api, worker: no pipeline of their own */
    c->retrain = 0;
    return 0;
}
