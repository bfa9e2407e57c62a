/*
 * api.h — `cpe serve`: the HTTP + WebSocket API server and its configuration.
 *
 * One libwebsockets context, one service thread (the caller of cpe_api_serve) that runs
 * every HTTP transaction and every WebSocket connection; nothing else calls lws. Work
 * that may take long runs elsewhere and hands results back through a locked queue and
 * lws_cancel_service():
 *   - the live pipeline (cpe/live.h) on its own thread: closed bars, in-progress ticks and
 *     predictions become WebSocket messages;
 *   - backtests (POST /backtest) on a worker thread;
 *   - the retraining schedule (api/retrain.h) on its own thread.
 * Reads for requests (/market-data, /predictions, replay) use the service thread's own
 * store handle (SQLite WAL lets them run beside the pipeline's writer).
 *
 * Configuration: defaults < config file (--config FILE, KEY=VALUE lines, '#' comments)
 * < environment < command-line flags. Every key is a row of cpe_api_settings[] (name,
 * default, documentation), which .env.example and docs/SERVER.md mirror.
 */
#ifndef CPE_API_H
#define CPE_API_H

#include "cpe/error.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cpe_api_config {
    char host[64];             /* CPE_HOST, 127.0.0.1 */
    int port;                  /* CPE_PORT, 8000 (0 = any free port, logged) */
    char db[512];              /* CPE_DB, data/cpe.db */
    char source[16];           /* CPE_SOURCE: auto | live | simulate | store */
    char static_dir[512];      /* CPE_STATIC_DIR, "" = frontend/dist found near the binary/cwd */
    char cors_origins[1024];   /* CPE_CORS_ORIGINS: comma list, "*" = any, "" = none */
    double rate_limit_per_min; /* CPE_RATE_LIMIT_PER_MIN, 1000 (0 = off) */
    char jwt_secret[256];      /* CPE_JWT_SECRET (or CPE_JWT_SECRET_FILE), "" = no auth */
    double rate_limit_user_per_min; /* CPE_RATE_LIMIT_USER_PER_MIN, 100 (auth on; 0 = off) */
    int access_ttl_s;               /* CPE_ACCESS_TTL_S, 3600: access JWT lifetime */
    int refresh_ttl_s;              /* CPE_REFRESH_TTL_S, 2592000: refresh family lifetime */
    int heartbeat_ms;               /* CPE_WS_HEARTBEAT_MS, 15000 */
    int ws_queue_cap;               /* CPE_WS_QUEUE_CAP, 256: collapse candle updates past it */
    int ws_queue_drop;              /* CPE_WS_QUEUE_DROP, 1024: disconnect past it */
    char ws_fanout[16];             /* CPE_WS_FANOUT: auto | io_uring | send (api/fanout.h) */
    int tick_ms;                    /* CPE_LIVE_TICK_MS, 1000: in-progress candle tick period */
    int minute_ms;                  /* CPE_LIVE_MINUTE_MS, 60000: wall time per simulated minute */
    uint64_t sim_seed;              /* CPE_SIM_SEED, 1 */
    char assets[512];        /* CPE_ASSETS, "BTC,ETH": the universe's assets (cpe/universe.h) */
    char symbols[512];       /* CPE_SYMBOLS, "": live symbols ("" = every configured asset) */
    int backtest_workers;    /* CPE_BACKTEST_WORKERS, 1 */
    int job_reclaim_ms;      /* CPE_JOB_RECLAIM_MS, 60000: a dead node's stream job is rerun */
    int http_workers;        /* CPE_HTTP_WORKERS, 2: heavy GET routes' threads (0: inline) */
    int probe_ms;            /* CPE_LIVE_PROBE_MS, 8000: auto waits this long for exchange data */
    char models[512];        /* CPE_MODELS, data/models: the model registry */
    int predict;             /* CPE_PREDICT, 1: live predictions at every closed bar */
    int pred_paths;          /* CPE_PRED_PATHS, 10000: Monte Carlo paths per prediction */
    int retrain;             /* CPE_RETRAIN, 1: the daily retraining schedule (spec 10.4) */
    int retrain_at_min;      /* CPE_RETRAIN_AT, "00:00": its UTC time, as minute of the day */
    int retrain_every_s;     /* CPE_RETRAIN_EVERY_S, 0: > 0 retrains every N s instead (tests) */
    int retrain_missing_s;   /* CPE_RETRAIN_MISSING_S, 30: first try for symbols without a model */
    int models_keep;         /* CPE_MODELS_KEEP, 14: versions kept per symbol after a retrain */
    char tls_cert[512];      /* CPE_TLS_CERT, "": PEM certificate; with tls_key: HTTPS + WSS */
    char tls_key[512];       /* CPE_TLS_KEY, "": its PEM private key (api/tls.h) */
    int tls_min_12;          /* CPE_TLS_MIN, "1.3": 1 when "1.2" allows TLS 1.2 too */
    char bus[256];           /* CPE_BUS, "": redis://HOST:PORT shares the live stream (cpe/bus.h) */
    char role[16];           /* CPE_ROLE: all | ingest | api | worker (docs/SCALE_OUT.md) */
    int alerts;              /* CPE_ALERTS, 1: alert rules evaluated and delivered (api/alerts.h) */
    int alert_retry_base_ms; /* CPE_ALERT_RETRY_BASE_MS, 1000: first webhook retry delay */
    int alert_retry_for_s;   /* CPE_ALERT_RETRY_FOR_S, 86400: then the dead letters */
    int alert_stale_ms;      /* CPE_ALERT_STALE_MS, 10000: no price update this long = stale */
} cpe_api_config_t;

typedef struct cpe_api_setting {
    const char *env; /* "CPE_PORT" */
    const char *def; /* default as text */
    const char *doc;
} cpe_api_setting_t;

extern const cpe_api_setting_t cpe_api_settings[]; /* NULL-env terminated */

void cpe_api_config_defaults(cpe_api_config_t *c);
/* Set one key ("CPE_PORT" or "port") from text. CPE_EINVAL with d naming key and value. */
int cpe_api_config_set(cpe_api_config_t *c, const char *key, const char *value, cpe_diag_t *d);
/* KEY=VALUE lines; CPE_EIO / CPE_EPARSE with "FILE:LINE: ..." in d. A file is at most
 * CPE_CONFIG_FILE_MAX bytes (CPE_ETOOBIG) and a line at most 2047 (CPE_EPARSE). */
#define CPE_CONFIG_FILE_MAX (1024 * 1024)
int cpe_api_config_load_file(cpe_api_config_t *c, const char *path, cpe_diag_t *d);
/* The same over text[0..len) already in memory; name is the file for messages. Lines
 * apply in order: on an error the settings before it stay applied. */
int cpe_api_config_parse(cpe_api_config_t *c, const char *name, const char *text, size_t len,
                         cpe_diag_t *d);
/* Every set CPE_* environment variable of the settings table. */
int cpe_api_config_load_env(cpe_api_config_t *c, cpe_diag_t *d);
/* After every source of settings: what the role implies. ingest, api and worker need a bus
 * (CPE_EINVAL otherwise); api and worker serve the store as it is (source store, no
 * retraining); ingest needs a source other than store. */
int cpe_api_config_resolve_role(cpe_api_config_t *c, cpe_diag_t *d);

/* Run the server until *stop becomes non-zero (a signal handler sets it). Returns 0 after
 * a clean shutdown or a negative code (port in use, store unopenable) with d set.
 * bound_port (may be NULL) receives the listening port once bound (for port 0). */
int cpe_api_serve(const cpe_api_config_t *c, volatile sig_atomic_t *stop, cpe_diag_t *d);

#endif
