/*
 * server.h — the API server's state, shared by the files of src/api (not public).
 *
 *   server.c   setup: configuration, the live pipeline (engine/live.c), workers, the lws
 *              context and its service loop, shutdown
 *   dispatch.c the lws callback: HTTP transactions, dispatch (rate limit, CORS, JWT, route);
 *              respond.c writes responses, static.c serves the frontend (conn.h)
 *   inbox.c    WebSocket messages and the inbox from other threads
 *   lookups.c  store lookups the handlers share (series of an asset, latest prediction)
 *   live_sink.c  the live pipeline's events as WebSocket messages
 *   ws.c       WebSocket clients: subscriptions, per-client queues, heartbeats, replay pacing
 *              (the replay clock is engine/replay.c)
 *   ws_broadcast.c  broadcasts written straight to the subscribed clients' sockets
 *   routes.c   the route table and the small handlers
 *   market.c   GET /market-data; flows.c its on-chain flows (and their /health freshness)
 *   assets.c   GET /assets (the universe's configured assets)
 *   jobs.c     POST /backtest jobs on worker threads
 *   runs.c     GET /backtests: the saved runs
 *   retrain.c  the retraining schedule on its own thread (retrain.h)
 *   onchain_poll.c  the on-chain connectors polled on their own thread (onchain_poll.h)
 *   calibration.c  GET /calibration; calcache.c the coverage for /health and /metrics
 *   bus_api.c  --bus: the live stream to and from Redis (cpe/bus.h)
 *   jobs_bus.c --bus: POST /backtest jobs through a Redis Stream, records in the store
 *   alerts*.c  alert rules, their evaluation at live events, webhook delivery (alerts.h)
 *   accounts*.c  user accounts, login and refresh tokens (accounts.h), /auth and /users
 *
 * Everything here is touched by the service thread only, except `mu`/`inbox` (any thread
 * appends, the service thread drains) and what jobs.c locks itself.
 */
#ifndef CPE_API_SERVER_H
#define CPE_API_SERVER_H

#include "api/calcache.h"
#include "api/http.h"
#include "api/ratelimit.h"
#include "api/onchain_poll.h"
#include "api/retrain.h"
#include "api/router.h"
#include "api/stats.h"
#include "api/usermap.h"
#include "cpe/api.h"
#include "cpe/json.h"
#include "cpe/live.h"
#include "cpe/prediction.h"
#include "cpe/store.h"
#include "cpe/wfcache.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>

/* A WebSocket message shared by every client it is queued for (refcounted), with LWS_PRE
 * bytes of headroom before the payload. */
typedef enum ws_channel {
    WS_CH_NONE = 0,
    WS_CH_CANDLES,
    WS_CH_PREDICTIONS,
    WS_CH_MARKET,
    WS_CH_REPLAY,
    WS_CH_JOBS,   /* backtest job progress (jobs.c); no asset */
    WS_CH_ALERTS, /* alert firings of an asset (alerts.c) */
    WS_CH_ALL
} ws_channel_t;

typedef struct cpe_wsmsg {
    int refs;
    ws_channel_t channel;
    char asset[CPE_ASSET_NAME_MAX];
    char interval[8];
    int collapsible;        /* an in-progress candle: a newer one replaces it in a slow queue */
    struct cpe_wsmsg *next; /* inbox link */
    size_t len;
    unsigned char data[]; /* LWS_PRE + len + 1 */
} cpe_wsmsg_t;

cpe_wsmsg_t *cpe_wsmsg_new(ws_channel_t ch, const char *asset, const char *interval,
                           int collapsible, const char *json, size_t len);
void cpe_wsmsg_unref(cpe_wsmsg_t *m);

typedef struct pred_cache {
    int64_t fetched_ms;
    int have;
    cpe_prediction_t p;
} pred_cache_t;

/* cpe_api_kline_series() answers for up to KLINE_CACHE symbols, refreshed after 1 s:
 * listing the store's series counts every series' rows, far too slow per request. */
#define KLINE_CACHE 8
typedef struct kline_cache {
    char symbol[32];
    int64_t fetched_ms;
    int rc, simulated;
    int64_t last_ts;
    char instrument[CPE_INSTR_KEY_MAX];
} kline_cache_t;

/* What a handler reads the store through: the service thread's (cpe_api_t.rd, whose store
 * is cpe_api_t.store) or a heavy-route worker's (heavy.h), each with its own store handle and
 * series cache, each used by one thread only. cpe_req_reader() gives the one of a request. */
typedef struct cpe_api_reader {
    cpe_store_t *store;
    kline_cache_t klines[KLINE_CACHE];
} cpe_api_reader_t;

struct ws_client;
struct cpe_bus;
struct cpe_heavy;

typedef struct cpe_api {
    cpe_api_config_t cfg;
    struct lws_context *ctx;
    cpe_store_t *store;
    cpe_ratelimit_t rl;      /* per client IP (CPE_RATE_LIMIT_PER_MIN) */
    cpe_ratelimit_t rl_user; /* auth on: per user, and logins per user name (accounts_routes.c) */
    cpe_usermap_t users;     /* auth on: the accounts access tokens are checked against */
    cpe_stats_t stats;
    int slot_static, slot_other, slot_ws;
    char static_dir[512];
    int any_origin, norigins;
    char origins[16][128];
    cpe_live_t *live;
    const char *source; /* "simulated", "store" */
    int simulated;
    int64_t started_ms;
    /* WebSocket clients (ws.c) */
    struct ws_client *clients;
    int nclients;
    struct cpe_fanout *fanout; /* writes broadcasts straight to the sockets (api/fanout.h) */
    struct ws_burst *burst;    /* the broadcast being written (ws_broadcast.c) */
    lws_sorted_usec_list_t sul_heartbeat, sul_house;
    /* inbox from the live pipeline and job threads */
    pthread_mutex_t mu;
    cpe_wsmsg_t *inbox, *inbox_tail;
    int inbox_woken;                      /* lws_cancel_service() called since the last drain */
    pred_cache_t (*preds)[CPE_NHORIZONS]; /* [configured asset][horizon], made at setup */
    cpe_api_reader_t rd;                  /* service thread only; rd.store == store */
    struct cpe_heavy *heavy;   /* heavy GET routes on worker threads (heavy.h); NULL: inline */
    int stale[CPE_ASSETS_MAX]; /* last market stale flag per asset (for "market" pushes) */
    struct cpe_jobs *jobs;
    struct cpe_apibus *bus;                /* --bus: the Redis bus (bus_api.c); NULL without one */
    struct cpe_retrain *retrain;           /* NULL when CPE_RETRAIN=0 */
    struct cpe_onchain_poll *onchain_poll; /* NULL: not polling (onchain_poll.h) */
    cpe_calcache_t *calcache;  /* the cone's coverage for /health, /metrics (calcache.h) */
    struct cpe_alerts *alerts; /* alert rules and delivery (alerts.h); NULL: CPE_ALERTS=0 */
    volatile sig_atomic_t *stop;
} cpe_api_t;

/* server.c */
void cpe_api_tune_malloc(void); /* large response buffers stay in the heap (server.c) */
/* inbox.c */
void cpe_api_inbox_push(cpe_api_t *api, cpe_wsmsg_t *m); /* any thread */
void cpe_api_inbox_drain(cpe_api_t *api);                /* service thread: broadcast all */
/* static.c: the frontend's directory (CPE_STATIC_DIR, else frontend/dist near the binary). */
void cpe_api_find_static_dir(cpe_api_t *api);
/* live_sink.c: cpe_live_sink_fn, on the pipeline thread; ctx is the cpe_api_t. */
void cpe_api_live_sink(void *ctx, const cpe_live_event_t *ev);
/* lookups.c */
/* Which series to read for an asset: the universe's rule (cpe_store_resolve()) at 1m over
 * all time, the simulator first when serving simulated data, else the exchanges. */
int cpe_api_kline_series(cpe_api_t *api, const char *symbol, char instrument[CPE_INSTR_KEY_MAX],
                         int *simulated, int64_t *last_ts);
/* The same through a reader (the thread's own store handle and cache). */
int cpe_api_reader_series(cpe_api_t *api, cpe_api_reader_t *rd, const char *symbol,
                          char instrument[CPE_INSTR_KEY_MAX], int *simulated, int64_t *last_ts);
/* The reader of the thread answering req: a worker's, else the service thread's. */
cpe_api_reader_t *cpe_req_reader(const cpe_req_t *req);
/* The latest prediction (cache refreshed at most once a second) or at a time. */
int cpe_api_prediction(cpe_api_t *api, const char *symbol, int horizon_h, int64_t at_ms,
                       cpe_prediction_t *out, char **explain);
/* Data freshness: max age allowed for the price (spec 16.3) — 5 s of wall clock
 * beyond the bar close when live; in store mode the data is as old as it is. */
int cpe_api_is_stale(cpe_api_t *api, int64_t last_bar_ts, int64_t now_ms);

/* ws.c */
int cpe_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);
/* ws_broadcast.c: to every client subscribed; a burst leaves in one write per client. */
void cpe_ws_broadcast(cpe_api_t *api, cpe_wsmsg_t *m);
#define CPE_WS_BURST_MAX 64 /* messages per write: one bit each in a frame set's mask */
void cpe_ws_broadcast_many(cpe_api_t *api, cpe_wsmsg_t **msgs, size_t n);
int cpe_ws_start(cpe_api_t *api, cpe_diag_t *d); /* the fan-out and the timers */
void cpe_ws_close_all(cpe_api_t *api);

/* json helpers shared by routes.c and ws.c */
void cpe_api_write_prediction(cpe_jw_t *w, const char *asset, const cpe_prediction_t *p, int stale,
                              int simulated);
void cpe_api_write_bar(cpe_jw_t *w, const cpe_bar_t *b, double cvd);
/* What the API prints for market data that the store holds at exchange precision: a
 * running CVD (volumes are multiples of 1e-8, so is their sum: rounding each step keeps
 * it exact instead of drifting into binary noise, -366.80597999999986 for -366.80598) and
 * the basis (a ratio of prices quoted to the cent: digits past 1e-10 are noise). */
double cpe_api_cvd_add(double cvd, double delta);
double cpe_api_basis_out(double basis);

/* health.c: GET /health */
int cpe_route_health(cpe_req_t *req, cpe_resp_t *resp);
/* bus_api.c: start (nothing without cfg.bus) and stop the bus; publish one broadcast of
 * this node's live pipeline (candles, predictions, market; other channels are ignored).
 * Any thread. */
int cpe_api_bus_start(cpe_api_t *api, cpe_diag_t *d);
void cpe_api_bus_stop(cpe_api_t *api);
void cpe_api_bus_publish(cpe_api_t *api, const cpe_wsmsg_t *m);
/* A job id unique across nodes ("bt-<node>-<n>"); queue an XADD on the bus. */
void cpe_api_bus_job_id(cpe_api_t *api, char *out, size_t cap);
int cpe_api_bus_xadd(cpe_api_t *api, const char *stream, const char *payload, size_t len);
/* The flag of the stream job running on this node (NULL when it ends): set by the bus's
 * stop too, so a node that shuts down stops its job between folds. */
void cpe_api_bus_job_running(cpe_api_t *api, atomic_int *stop);
/* 1 once the bus is stopping (the job above was stopped by the shutdown, not a DELETE). */
int cpe_api_bus_stopping(cpe_api_t *api);
/* Queue SET key value PX ttl_ms on the bus (a stream job's cancel key). */
int cpe_api_bus_set(cpe_api_t *api, const char *key, const char *value, int64_t ttl_ms);
/* Watch key while the running stream job goes on (cpe_bus_job_watch). */
int cpe_api_bus_job_watch(cpe_api_t *api, const char *key, void (*seen)(void *, const char *),
                          void *ctx);
/* The ingest lease (cpe/lease.h, docs/SCALE_OUT.md): for --role ingest with a bus, block as
 * a standby until this node holds "cpe:lease:ingest:<symbols>" (0 for every other role;
 * CPE_ECANCELED when stopped first). Lost: another node holds it now (the service loop ends
 * and the node exits, to come back as a standby). */
int cpe_api_ingest_lease(cpe_api_t *api, cpe_diag_t *d);
int cpe_api_ingest_lease_lost(cpe_api_t *api);

/* calibration.c */
int cpe_route_calibration(cpe_req_t *req, cpe_resp_t *resp);
/* docs.c: GET /docs, the interactive API reference (dist/docs.html) */
int cpe_route_docs(cpe_req_t *req, cpe_resp_t *resp);

/* market.c */
int cpe_route_market_data(cpe_req_t *req, cpe_resp_t *resp);
/* flows.c: the "flows" member of /market-data (asset's on-chain series around [from, to),
 * null per flow without a source) and the connectors' freshness in /health. */
int cpe_api_write_flows(cpe_store_t *store, cpe_jw_t *w, const char *asset, int64_t from_ms,
                        int64_t to_ms, int64_t now_ms);
void cpe_api_write_onchain_health(cpe_api_t *api, cpe_jw_t *w, int64_t now_ms);
/* assets.c: GET /assets */
int cpe_route_assets(cpe_req_t *req, cpe_resp_t *resp);
/* Bars of symbol at interval in [from, to), at most limit (the newest), ascending. When
 * !from_given and the window is empty because the data ends earlier, the last limit bars
 * of the data instead. */
int cpe_api_load_bars(cpe_api_t *api, cpe_api_reader_t *rd, const char *symbol, int64_t interval_ms,
                      int64_t from_ms, int from_given, int64_t to_ms, size_t limit, cpe_bar_t **out,
                      size_t *n, int *simulated);

/* alerts_routes.c: /alerts (alerts.h) and their documented parameters */
extern const cpe_route_param_t cpe_alerts_p_rule[], cpe_alerts_p_patch[], cpe_alerts_p_id[];
int cpe_route_alerts_list(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_alerts_create(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_alerts_patch(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_alerts_delete(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_alerts_events(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_alerts_dead(cpe_req_t *req, cpe_resp_t *resp);

/* accounts_routes.c: /auth/login|refresh|logout (public), /users (admin) */
extern const cpe_route_param_t cpe_auth_p_login[], cpe_auth_p_refresh[], cpe_auth_p_user_new[],
    cpe_auth_p_user[];
int cpe_route_auth_login(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_auth_refresh(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_auth_logout(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_users_list(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_users_create(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_users_delete(cpe_req_t *req, cpe_resp_t *resp);

/* jobs.c */
typedef struct cpe_jobs cpe_jobs_t;
int cpe_jobs_new(cpe_api_t *api, int workers, cpe_jobs_t **out);
void cpe_jobs_free(cpe_jobs_t *j);
int cpe_route_backtest_post(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_backtest_get(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_backtest_delete(cpe_req_t *req, cpe_resp_t *resp);
/* runs.c: the saved runs (GET /backtests, GET /backtests/{run_id}) */
int cpe_route_backtests_list(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_backtests_get(cpe_req_t *req, cpe_resp_t *resp);
int cpe_route_backtest_options(cpe_req_t *req, cpe_resp_t *resp);
/* 202 {"job_id","status":"queued","instrument","ws_progress"} (jobs.c; jobs_bus.c answers the
 * same). ws_progress: whether the job's progress and end are pushed on the WebSocket "jobs"
 * channel of this server (the cockpit then follows it there instead of polling GET). */
int cpe_jobs_accepted(cpe_resp_t *resp, const char *id, const char *instr, int ws_progress);
/* "progress": {stage (status while none), folds_total, folds_done, folds_reused,
 * folds_trained, folds_backfilled, eta_ms|null}: GET /backtest/{id} and the "jobs" channel of
 * both paths. */
void cpe_jobs_write_progress(cpe_jw_t *w, const cpe_wfc_progress_t *p, const char *status);
/* {"type":"job", <members(w, arg)>} as a message of the "jobs" channel; NULL on failure. */
cpe_wsmsg_t *cpe_jobs_msg(void (*members)(cpe_jw_t *w, const void *arg), const void *arg);
/* jobs_bus.c: the same jobs through the bus's stream, records in the store (--bus) */
int cpe_jobs_bus_start(cpe_api_t *api, struct cpe_bus *bus, const char *node, cpe_diag_t *d);
int cpe_jobs_bus_post(cpe_req_t *req, cpe_resp_t *resp, const char *instr, int64_t from,
                      int64_t to);
int cpe_jobs_bus_get(cpe_req_t *req, cpe_resp_t *resp);
int cpe_jobs_bus_delete(cpe_req_t *req, cpe_resp_t *resp);

#endif
