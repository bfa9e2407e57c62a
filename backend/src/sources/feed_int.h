/*
 * feed_int.h — the live feed's shared state, split over feed.c (lifecycle, delivery,
 * status), feed_ws.c (the stream thread) and feed_rest.c (the REST thread).
 *
 * Locking: one mutex `mu` guards the event queue, the per-(symbol, market) kline
 * bookkeeping, the fallback states, the statistics and the resolver hand-off fields of
 * the connections. Both threads deliver through deliver() with mu held. The REST job
 * queue has its own mutex/condvar (jmu/jcond) so the REST thread can sleep on it.
 */
#ifndef CPE_SOURCES_FEED_INT_H
#define CPE_SOURCES_FEED_INT_H

#include "cpe/buf.h"
#include "cpe/fallback.h"
#include "cpe/feed.h"
#include "cpe/rng.h"
#include "cpe/tokenbucket.h"

#include <libwebsockets.h>
#include <pthread.h>

#define FEED_NPROV CPE_NEXCHANGES /* the universe's exchanges, fallback order */
#define FEED_MAX_CONN 64
#define FEED_MAX_JOBS 256
#define FEED_DELIVERED_RING 4096 /* minutes of closed-kline history kept for dedupe */

enum conn_state { C_IDLE = 0, C_RESOLVING, C_RESOLVED, C_CONNECTING, C_OPEN, C_WAIT };

typedef struct feed_conn {
    struct cpe_feed *f;
    int prov, sym;
    cpe_market_kind_t m;
    unsigned kinds;
    char host[128], path[512], sub[2048], addr[64];
    int port, tls;
    enum conn_state state;
    int attempt, ever_open, sub_sent, closing, resolve_failed;
    int64_t next_try_ms, opened_ms, last_rx_ms, last_ping_ms;
    int malformed_run;
    struct lws *wsi;
    cpe_buf_t rx;
} feed_conn_t;

typedef struct feed_job {
    int resolve; /* 1: DNS look-up of conns[conn]; 0: a REST fetch */
    int conn;
    int prov, sym, attempt;
    int round; /* times every exchange has failed it (it is retried, never dropped) */
    cpe_data_kind_t kind;
    cpe_market_kind_t m;
    int64_t from_ms, to_ms, not_before_ms;
} feed_job_t;

typedef struct feed_kstate {
    int64_t last_closed_ms;                 /* newest closed kline delivered (0 none) */
    int64_t delivered[FEED_DELIVERED_RING]; /* minute index of each delivered closed bar */
} feed_kstate_t;

struct cpe_feed {
    cpe_feed_config_t cfg;
    pthread_mutex_t mu;
    pthread_cond_t data_cond;
    int have_data, stop;
    /* consumer queue */
    cpe_feed_event_t *q;
    size_t qcap, qhead, qlen;
    /* state per (symbol, market, kind) and (symbol, market) */
    cpe_fallback_t fb[CPE_FEED_MAX_SYMBOLS][2][CPE_DK_COUNT];
    int64_t last_used_ms[CPE_FEED_MAX_SYMBOLS][2][CPE_DK_COUNT];
    feed_kstate_t ks[CPE_FEED_MAX_SYMBOLS][2];
    cpe_feed_status_t st;
    /* stream thread */
    struct lws_context *ctx;
    lws_sorted_usec_list_t sul;
    feed_conn_t conns[FEED_MAX_CONN];
    int nconns;
    cpe_rng_t rng;
    pthread_t ws_thread, rest_thread;
    int ws_started, rest_started;
    /* REST thread */
    pthread_mutex_t jmu;
    pthread_cond_t jcond;
    feed_job_t jobs[FEED_MAX_JOBS];
    int njobs, job_running;
    cpe_tokenbucket_t tb[FEED_NPROV];
    int64_t next_sweep_ms; /* cpe_feed_fill_store_gaps (feed_gaps.c), consumer thread */
};

const cpe_exchange_t *feed_provider(int prov);
int feed_sym_index(struct cpe_feed *f, const char *symbol);
/* Deliver one event from provider prov (mu held). backfill = from REST. */
void feed_deliver(struct cpe_feed *f, int prov, int backfill, const cpe_market_event_t *ev,
                  int64_t now_ms);
/* Queue a REST job (takes jmu). Returns 0 or CPE_ETOOBIG when the job queue is full. */
int feed_job_push(struct cpe_feed *f, const feed_job_t *j);
/* Ask for a kline backfill of [from, to) for (sym, m) from the active provider (mu held). */
void feed_request_backfill(struct cpe_feed *f, int sym, cpe_market_kind_t m, int64_t from_ms,
                           int64_t to_ms);

void *feed_ws_main(void *arg);
void *feed_rest_main(void *arg);
int feed_ws_init(struct cpe_feed *f, cpe_diag_t *d);
void feed_ws_wake(struct cpe_feed *f);
void feed_ws_destroy(struct cpe_feed *f); /* after the stream thread has ended */

#endif
