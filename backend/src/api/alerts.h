/*
 * alerts.h — the alert runtime of `cpe serve` (not public): rules kept in the store
 * (cpe/alertdb.h), evaluated by cpe_alert_eval() (cpe/alerts.h) at every 1m price update,
 * closed bar and prediction of the live pipeline, and firings delivered to the WebSocket
 * "alerts" channel and to webhooks.
 *
 *   alerts.c          rules in memory + their state, evaluation from the live sink, firings
 *   alerts_deliver.c  the webhook worker thread: signed POSTs, retries, dead letters
 *   alerts_routes.c   GET/POST /alerts, PATCH/DELETE /alerts/{id}, GET /alerts/{id}/events,
 *                     GET /alerts/dead-letters
 *
 * A firing is written to the store (delivery "pending", or "none" without a webhook)
 * BEFORE it is pushed or posted. The worker marks it "sending" before each POST and
 * "delivered" / "pending" (retry later) / "dead" after; a firing found "sending" at start
 * was interrupted mid-POST and goes to the dead letters instead of being sent again, so a
 * restart never delivers a firing twice (at most once).
 *
 * Threads: one lock (mu) over the rules, their state, the store handle of the runtime and
 * the delivery queue; the live sink (pipeline thread), the routes (service thread) and the
 * worker take it briefly; no POST runs under it. The pipeline never waits for a webhook.
 */
#ifndef CPE_API_ALERTS_H
#define CPE_API_ALERTS_H

#include "cpe/alerts.h"
#include "cpe/live.h"
#include "cpe/store.h"

#include <pthread.h>

struct cpe_api;

typedef struct alert_slot {
    cpe_alert_rule_t rule;
    cpe_alert_state_t st;
    int64_t band_pred_ts; /* cone_breach: the prediction whose cone is cached (0: none) */
    int band_ok;
    cpe_prediction_t band_pred;
} alert_slot_t;

typedef struct alert_job {
    int64_t event_id, rule_id;
    int64_t fired_ms, next_ms;
    int attempts;
} alert_job_t;

typedef struct cpe_alerts {
    struct cpe_api *api;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cpe_store_t *store; /* the runtime's own handle (under mu) */
    alert_slot_t *slots;
    int nslots, cap;
    alert_job_t *jobs; /* webhook deliveries waiting (under mu) */
    int njobs, jobs_cap;
    int64_t last_seen_ms[CPE_ASSETS_MAX]; /* wall time of the newest price update */
    double last_price[CPE_ASSETS_MAX];    /* that price: a new rule's first reference */
    int simulated[CPE_ASSETS_MAX];
    int64_t retry_base_ms, retry_for_ms, stale_ms;
    pthread_t th;
    int running, stop;
    int64_t fired, delivered, dead; /* counters since start */
} cpe_alerts_t;

/* alerts.c. open: loads rules, resumes deliveries, starts the worker (CPE_ALERTS=0: *out
 * stays NULL and every call below is a no-op). */
int cpe_alerts_open(struct cpe_api *api, cpe_alerts_t **out, cpe_diag_t *d);
void cpe_alerts_close(cpe_alerts_t *a); /* NULL is a no-op */
/* The live sink's one call (pipeline thread): 1m candles and predictions are evaluated. */
void cpe_alerts_on_live(cpe_alerts_t *a, const cpe_live_event_t *ev);
/* Copies of the enabled rules of asset (malloc'd, *n of them; NULL a: none), for a replay
 * that evaluates them on its own states (api/ws.c). */
int cpe_alerts_rules_of(cpe_alerts_t *a, const char *asset, cpe_alert_rule_t **out, int *n);
/* The stale check over every asset at now_ms (the worker calls it every second). */
void alerts_check_stale(cpe_alerts_t *a, int64_t now_ms);
/* Rule slot by id (caller holds mu), NULL when absent. */
alert_slot_t *alerts_find(cpe_alerts_t *a, int64_t id);
/* Store the rule (new id when r->id == 0) and put it in memory (caller holds mu). */
int alerts_save_rule(cpe_alerts_t *a, cpe_alert_rule_t *r);
int alerts_delete_rule(cpe_alerts_t *a, int64_t id);

/* alerts_deliver.c */
int alerts_worker_start(cpe_alerts_t *a, cpe_diag_t *d);
void alerts_worker_stop(cpe_alerts_t *a);
/* Queue a stored pending firing (caller holds mu) and wake the worker. */
int alerts_enqueue(cpe_alerts_t *a, const alert_job_t *j);
/* "t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>" under secret>" into out (>= 96 bytes). */
int cpe_alert_signature(const char *secret, int64_t t_s, const char *body, size_t len, char *out,
                        size_t cap);
/* The webhook body for a format ("generic": the firing itself; "slack": {"text"};
 * "discord": {"content"}; "telegram": {"chat_id" (from url), "text",
 * "disable_web_page_preview"}), malloc'd; NULL on no memory or a telegram url without chat_id. */
char *cpe_alert_webhook_body(const char *format, const char *url, const char *event_json,
                             const char *message);

#endif
