/* live_int.h — what the live pipeline's parts share (cpe/live.h is the interface):
 *   live.c           mode resolution, start/stop/status, bar aggregation into every
 *                    interval, candle events, predictions at closed bars
 *   live_sim.c       the simulator running in real time (mode "simulated")
 *   live_exchange.c  the exchange feed (cpe/feed.h) with fallback (mode "live")
 *   live_workers.c   the minute's predictions shared out among a few threads
 * Each source runs on the pipeline thread and reports bars through live_close_bar()
 * (a closed 1m bar) and live_tick_bar() (the minute in progress). */
#ifndef CPE_ENGINE_LIVE_INT_H
#define CPE_ENGINE_LIVE_INT_H

#include "cpe/feed.h"
#include "cpe/live.h"
#include "cpe/livepred.h"
#include "cpe/sim.h"
#include "cpe/store.h"

#include <pthread.h>

#define LIVE_NIV 6
#define LIVE_MAX_WORKERS 4 /* prediction threads besides the pipeline thread */

/* The prediction workers (live_workers.c): each round, the pipeline thread and the workers
 * take the symbols one at a time until all are predicted; each worker has its own store
 * handle. */
typedef struct live_pool {
    int n;
    pthread_t th[LIVE_MAX_WORKERS];
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    int round, next, finished, emit, quit;
} live_pool_t;

typedef struct live_sym {
    char symbol[32];
    int64_t id_spot, id_perp, id_oi, id_lsr, id_funding, id_liq; /* simulator series */
    double oi, funding;                                          /* latest known */
    double perp_close;          /* exchange mode: latest perp price (basis) */
    int spot_seen;              /* exchange mode: spot klines flow (spot is the price) */
    int64_t last_closed_ts;     /* exchange mode: newest closed 1m bar pushed */
    double liq_long, liq_short; /* exchange mode: liquidations of the minute in progress */
    int64_t liq_minute;
    cpe_bar_t agg[LIVE_NIV]; /* closed 1m bars of the current bucket, merged */
    int has_agg[LIVE_NIV];
} live_sym_t;

struct cpe_live {
    cpe_live_config_t cfg;
    char symbols_buf[CPE_ASSETS_MAX * 32];
    char db[512];
    char models[512];
    pthread_t th;
    void *(*run)(void *); /* live_sim_run or live_exchange_run, on th */
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    cpe_live_status_t st;
    cpe_store_t *store; /* the pipeline thread's handle */
    cpe_sim_t *sim;     /* simulated mode */
    cpe_feed_t *feed;   /* live mode */
    int64_t source_ms;  /* live mode: arrival of the frame being turned into candles (0: none) */
    int nsym;
    live_sym_t sym[CPE_LIVE_MAX_SYMBOLS];
    cpe_livepred_t lp[CPE_LIVE_MAX_SYMBOLS];
    live_pool_t *pool; /* NULL: the pipeline thread predicts every symbol itself */
};

/* A closed 1m bar of symbol i: merged into the 5m..1d buckets; with emit, the 1m candle
 * and every bucket it completes are pushed. Updates the status. */
void live_close_bar(cpe_live_t *l, int i, const cpe_bar_t *b, int emit);
/* The minute in progress of symbol i: an in-progress candle for every interval. */
void live_tick_bar(cpe_live_t *l, int i, const cpe_bar_t *b);
/* Predict at the newest closed bar of every symbol and push what was made. */
void live_predict_all(cpe_live_t *l, int emit);
/* The same for symbol i on store handle st (the calling thread's). */
void live_predict_one(cpe_live_t *l, int i, cpe_store_t *st, int emit);
/* Wait until wall time t_ms or stop; returns 1 when stopping. */
int live_wait_until(cpe_live_t *l, int64_t t_ms);
int live_stopping(cpe_live_t *l);

/* live_sim.c */
int live_sim_start(cpe_live_t *l, cpe_diag_t *d); /* fills history, then runs the thread */
void *live_sim_run(void *arg);
/* live_workers.c: start (with one symbol or one core: no workers, not an error), one
 * round of predictions (returns when every symbol is done), stop (joins, frees). */
void live_workers_start(cpe_live_t *l);
void live_workers_round(cpe_live_t *l, int emit);
void live_workers_stop(cpe_live_t *l);
/* live_exchange.c */
int live_exchange_open(cpe_live_t *l, int64_t probe_ms, cpe_diag_t *d); /* CPE_ETIMEOUT: no data */
void *live_exchange_run(void *arg);

#endif
