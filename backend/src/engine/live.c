/* live.c — the live pipeline inside `cpe serve` (see cpe/live.h): which source runs,
 * the aggregation of closed 1m bars into every interval, candle and prediction events.
 * The sources are live_sim.c and live_exchange.c (live_int.h).
 *
 * It lives in the api layer, not engine/, because it drives the simulator and the
 * exchange feed, which are in the sources layer (engine may not link sources). */
#include "cpe/history.h"
#include "live_int.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

static const int64_t ivs[LIVE_NIV] = {CPE_MS_PER_MIN,  5 * CPE_MS_PER_MIN,  15 * CPE_MS_PER_MIN,
                                      CPE_MS_PER_HOUR, 4 * CPE_MS_PER_HOUR, CPE_MS_PER_DAY};

static void merge(cpe_bar_t *a, const cpe_bar_t *b)
{
    a->high = fmax(a->high, b->high);
    a->low = fmin(a->low, b->low);
    a->close = b->close;
#define SUM(f) (a->f = isnan(a->f) ? b->f : isnan(b->f) ? a->f : a->f + b->f)
    SUM(volume);
    SUM(quote_volume);
    SUM(trades);
    SUM(taker_buy_base);
    SUM(taker_buy_quote);
    SUM(cvd_delta);
    SUM(liq_long);
    SUM(liq_short);
#undef SUM
    if (!isnan(b->oi)) a->oi = b->oi;
    if (!isnan(b->funding)) a->funding = b->funding;
    if (!isnan(b->basis)) a->basis = b->basis;
}

static void emit_candle(cpe_live_t *l, live_sym_t *s, int64_t iv, int closed, const cpe_bar_t *b)
{
    cpe_live_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = CPE_LIVE_CANDLE;
    ev.symbol = s->symbol;
    ev.interval_ms = iv;
    ev.closed = closed;
    ev.bar = b;
    ev.cvd = b->cvd_delta;
    ev.simulated = l->st.simulated;
    ev.emitted_ms = cpe_now_ms();
    ev.source_ms = l->source_ms;
    if (l->cfg.sink) l->cfg.sink(l->cfg.sink_ctx, &ev);
}

void live_close_bar(cpe_live_t *l, int i, const cpe_bar_t *b, int emit)
{
    live_sym_t *s = &l->sym[i];
    for (int k = 0; k < LIVE_NIV; k++) {
        int64_t bucket = cpe_floor_ms(b->ts_ms, ivs[k]);
        if (!s->has_agg[k] || s->agg[k].ts_ms != bucket) {
            s->agg[k] = *b;
            s->agg[k].ts_ms = bucket;
            s->has_agg[k] = 1;
        } else {
            merge(&s->agg[k], b);
        }
        int done = b->ts_ms + CPE_MS_PER_MIN == bucket + ivs[k];
        if (emit && (done || k == 0)) emit_candle(l, s, ivs[k], 1, &s->agg[k]);
        if (done) s->has_agg[k] = 0;
    }
    pthread_mutex_lock(&l->mu);
    l->st.last_bar_ts[i] = b->ts_ms;
    l->st.last_tick_ms[i] = cpe_now_ms();
    l->st.minutes_closed++;
    pthread_mutex_unlock(&l->mu);
}

void live_tick_bar(cpe_live_t *l, int i, const cpe_bar_t *b)
{
    live_sym_t *s = &l->sym[i];
    for (int k = 0; k < LIVE_NIV; k++) {
        cpe_bar_t x = *b;
        int64_t bucket = cpe_floor_ms(b->ts_ms, ivs[k]);
        if (k > 0 && s->has_agg[k] && s->agg[k].ts_ms == bucket) {
            x = s->agg[k];
            merge(&x, b);
        }
        x.ts_ms = bucket;
        emit_candle(l, s, ivs[k], 0, &x);
    }
    pthread_mutex_lock(&l->mu);
    l->st.last_tick_ms[i] = cpe_now_ms();
    pthread_mutex_unlock(&l->mu);
}

int live_stopping(cpe_live_t *l)
{
    pthread_mutex_lock(&l->mu);
    int stop = l->stop;
    pthread_mutex_unlock(&l->mu);
    return stop;
}

int live_wait_until(cpe_live_t *l, int64_t t_ms)
{
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        int64_t now = cpe_now_ms();
        if (now >= t_ms) break;
        struct timespec ts = cpe_realtime_after_ms(t_ms - now);
        pthread_cond_timedwait(&l->cv, &l->mu, &ts);
    }
    int stop = l->stop;
    pthread_mutex_unlock(&l->mu);
    return stop;
}

/* The pipeline thread runs at a lower priority (nice 5) than the service thread: when the
 * two cores are busy, the minute's predictions (~0.1 s of CPU, xgboost's threads inherit
 * the priority) wait rather than the broadcast of that minute's candles to the clients. */
static void *pipeline_main(void *arg)
{
    cpe_live_t *l = arg;
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5))
        cpe_warn("live: cannot lower the pipeline thread's priority: %s", strerror(errno));
    return l->run(l);
}

/* Predict symbol i on store handle st and push what was made (any prediction thread). */
void live_predict_one(cpe_live_t *l, int i, cpe_store_t *st, int emit)
{
    cpe_prediction_t out[CPE_MS_MAX_H];
    int n = 0;
    cpe_diag_t d = {0};
    int64_t t0 = cpe_now_ms();
    int rc = cpe_livepred_step(&l->lp[i], st, INT64_MAX, t0, out, &n, &d);
    int64_t took = cpe_now_ms() - t0;
    pthread_mutex_lock(&l->mu);
    snprintf(l->st.pred_note[i], sizeof l->st.pred_note[i], "%.159s", rc ? d.msg : "");
    if (n > 0) {
        l->st.last_pred_ts[i] = out[0].ts_ms;
        l->st.last_pred_ms[i] = took;
        l->st.predictions_made += n;
    }
    const cpe_livepred_t *lp = &l->lp[i];
    l->st.drift[i] = lp->drift.score;
    l->st.drift_rows[i] = lp->drift.live.n;
    l->st.drift_worst_psi[i] = lp->drift.worst_psi;
    snprintf(l->st.drift_worst[i], sizeof l->st.drift_worst[i], "%s",
             lp->drift.worst >= 0 ? lp->pred.ms.drift.f[lp->drift.worst].name : "");
    pthread_mutex_unlock(&l->mu);
    if (rc && rc != CPE_ENOTFOUND) cpe_warn("live predictions: %s", d.msg);
    for (int k = 0; emit && k < n; k++) {
        cpe_live_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = CPE_LIVE_PREDICTION;
        ev.symbol = l->sym[i].symbol;
        ev.pred = &out[k];
        ev.drift = lp->drift.score;
        ev.simulated = l->st.simulated;
        ev.emitted_ms = cpe_now_ms();
        if (l->cfg.sink) l->cfg.sink(l->cfg.sink_ctx, &ev);
    }
}

/* livepred.h does nothing when the bar was predicted already. The symbols are shared out
 * among the pipeline thread and the prediction workers (live_workers.c), if any. */
void live_predict_all(cpe_live_t *l, int emit)
{
    if (!l->cfg.predict) return;
    if (l->pool)
        live_workers_round(l, emit);
    else
        for (int i = 0; i < l->nsym; i++)
            live_predict_one(l, i, l->store, emit);
    /* A prediction's working memory (Monte Carlo paths, explanations) is freed but stays in
     * the heap (cpe_api_tune_malloc keeps freed blocks for the responses): hand it back once
     * a minute, so the server's footprint is its steady state. */
    malloc_trim(0);
}

/* auto: is there recent real 1m data for any symbol? */
static int recent_real(cpe_store_t *st, int64_t now, char *note, size_t cap)
{
    cpe_series_info_t *s = NULL;
    size_t n = 0;
    int found = 0;
    if (st->ops->list_series(st, &s, &n)) return 0;
    for (size_t i = 0; i < n; i++)
        if (!s[i].simulated && !strcmp(s[i].kind, "kline:1m") && s[i].count > 0 &&
            s[i].last_ts + CPE_MS_PER_MIN >= now - CPE_LIVE_RECENT_MS) {
            snprintf(note, cap, "recent real data in the store (%s)", s[i].instrument);
            found = 1;
        }
    free(s);
    return found;
}

int cpe_live_start(const cpe_live_config_t *c, cpe_live_t **out, cpe_diag_t *d)
{
    *out = NULL;
    cpe_live_t *l = calloc(1, sizeof *l);
    if (!l) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    l->cfg = *c;
    snprintf(l->db, sizeof l->db, "%s", c->db);
    l->cfg.db = l->db;
    if (c->symbols && *c->symbols)
        snprintf(l->symbols_buf, sizeof l->symbols_buf, "%s", c->symbols);
    else
        cpe_assets_symbols(l->symbols_buf, sizeof l->symbols_buf); /* the configured assets */
    l->cfg.symbols = l->symbols_buf;
    if (l->cfg.tick_ms <= 0) l->cfg.tick_ms = 1000;
    if (l->cfg.minute_ms <= 0) l->cfg.minute_ms = 60000;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    int rc = 0;
    char tmp[sizeof l->symbols_buf];
    snprintf(tmp, sizeof tmp, "%s", l->symbols_buf);
    for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (!*t) continue;
        if (l->nsym >= CPE_LIVE_MAX_SYMBOLS) {
            rc = cpe_diag_set(d, CPE_EINVAL, "at most %d live symbols", CPE_LIVE_MAX_SYMBOLS);
            goto fail;
        }
        snprintf(l->sym[l->nsym].symbol, 32, "%s", t);
        snprintf(l->st.symbol[l->nsym], 32, "%s", t);
        l->nsym++;
    }
    l->st.nsym = l->nsym;
    for (int i = 0; i < l->nsym; i++) {
        l->st.last_bar_ts[i] = l->st.last_tick_ms[i] = l->st.last_pred_ts[i] = INT64_MIN;
        l->st.drift[i] = l->st.drift_worst_psi[i] = NAN;
        cpe_livepred_init(&l->lp[i], l->cfg.models, l->sym[i].symbol, l->cfg.pred_paths);
    }
    if ((rc = cpe_store_open(l->db, &l->store, d))) goto fail;
    cpe_live_mode_t mode = c->mode;
    if (mode == CPE_LIVE_AUTO) {
        if (recent_real(l->store, cpe_now_ms(), l->st.note, sizeof l->st.note))
            mode = CPE_LIVE_STORE;
        else {
            cpe_diag_t e = {0};
            int64_t probe = l->cfg.probe_ms > 0 ? l->cfg.probe_ms : 8000;
            if (live_exchange_open(l, probe, &e) == 0) {
                mode = CPE_LIVE_EXCHANGE;
                snprintf(l->st.note, sizeof l->st.note,
                         "auto: exchange data arrived within %lld ms: live", (long long)probe);
                cpe_history_fill(l->store, l->st.note, sizeof l->st.note); /* before training */
            } else {
                mode = CPE_LIVE_SIMULATE;
                snprintf(l->st.note, sizeof l->st.note,
                         "auto: no real 1m data in the last %lld min and no exchange reachable "
                         "within %lld ms: simulating",
                         (long long)(CPE_LIVE_RECENT_MS / 60000), (long long)probe);
            }
        }
    } else if (mode == CPE_LIVE_STORE) {
        snprintf(l->st.note, sizeof l->st.note, "--source store: serving the store as it is");
    } else if (mode == CPE_LIVE_EXCHANGE) {
        /* explicit: keep the feed even before data flows (it reconnects; /health says stale) */
        if ((rc = live_exchange_open(l, 0, d)) && rc != CPE_ETIMEOUT) goto fail;
        snprintf(l->st.note, sizeof l->st.note,
                 "--source live: exchange streams (Binance, falling back to Bybit, OKX)");
    } else {
        snprintf(l->st.note, sizeof l->st.note,
                 "--source simulate: the simulator runs in real time");
    }
    if (mode == CPE_LIVE_STORE) {
        l->st.source = "store";
        /* simulated when the store only holds simulated price series */
        cpe_series_info_t *s = NULL;
        size_t n = 0;
        int real = 0, sim = 0;
        if (!l->store->ops->list_series(l->store, &s, &n))
            for (size_t i = 0; i < n; i++)
                if (!strcmp(s[i].kind, "kline:1m") && s[i].count > 0) {
                    if (s[i].simulated)
                        sim = 1;
                    else
                        real = 1;
                }
        free(s);
        l->st.simulated = sim && !real;
        live_predict_all(l, 0); /* the newest bar in the store, unless it was predicted already */
        cpe_store_close(l->store);
        l->store = NULL;
        *out = l;
        return 0;
    }
    void *(*thread)(void *) = live_exchange_run;
    if (mode == CPE_LIVE_EXCHANGE) {
        l->st.source = "live";
        l->st.simulated = 0;
    } else {
        l->st.source = "simulated";
        l->st.simulated = 1;
        thread = live_sim_run;
        if ((rc = live_sim_start(l, d))) goto fail;
    }
    l->run = thread;
    live_workers_start(l);
    if (pthread_create(&l->th, NULL, pipeline_main, l)) {
        rc = cpe_diag_set(d, CPE_EINTERNAL, "cannot start the live pipeline thread");
        goto fail;
    }
    l->running = 1;
    *out = l;
    return 0;
fail:
    cpe_live_stop(l);
    return rc;
}

void cpe_live_stop(cpe_live_t *l)
{
    if (!l) return;
    if (l->running) {
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->th, NULL);
    }
    live_workers_stop(l);
    cpe_feed_stop(l->feed);
    cpe_sim_free(l->sim);
    for (int i = 0; i < l->nsym; i++)
        cpe_livepred_close(&l->lp[i]);
    cpe_store_close(l->store);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}

void cpe_live_get_status(cpe_live_t *l, cpe_live_status_t *out)
{
    if (!l) {
        memset(out, 0, sizeof *out);
        out->source = "store";
        return;
    }
    pthread_mutex_lock(&l->mu);
    *out = l->st;
    pthread_mutex_unlock(&l->mu);
    out->has_feed = l->feed != NULL; /* set before the thread starts, cleared after it ends */
    if (out->has_feed) cpe_feed_status(l->feed, &out->feed);
}
