/* live.c — the live pipeline inside `cpe serve` (see cpe/live.h).
 *
 * It lives in the api layer, not engine/, because it drives the simulator, which is in
 * the sources layer (engine may not link sources). */
#include "cpe/live.h"
#include "cpe/livepred.h"
#include "cpe/log.h"
#include "cpe/sim.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NIV 6
static const int64_t ivs[NIV] = {CPE_MS_PER_MIN, 5 * CPE_MS_PER_MIN, 15 * CPE_MS_PER_MIN,
                                 CPE_MS_PER_HOUR, 4 * CPE_MS_PER_HOUR, CPE_MS_PER_DAY};

typedef struct symstate {
    char symbol[32];
    int64_t id_spot, id_perp, id_oi, id_lsr, id_funding, id_liq;
    double oi, funding;   /* latest known */
    cpe_bar_t agg[NIV];   /* closed 1m bars of the current bucket, merged */
    int has_agg[NIV];
} symstate_t;

struct cpe_live {
    cpe_live_config_t cfg;
    char symbols_buf[128];
    char db[512];
    pthread_t th;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    cpe_live_status_t st;
    cpe_store_t *store;
    cpe_sim_t *sim;
    int nsym;
    symstate_t sym[CPE_LIVE_MAX_SYMBOLS];
    char models[512];
    cpe_livepred_t lp[CPE_LIVE_MAX_SYMBOLS];
};

static void merge(cpe_bar_t *a, const cpe_bar_t *b)
{
    a->high = fmax(a->high, b->high);
    a->low = fmin(a->low, b->low);
    a->close = b->close;
#define SUM(f) a->f = isnan(a->f) ? b->f : isnan(b->f) ? a->f : a->f + b->f
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

static void emit_candle(cpe_live_t *l, symstate_t *s, int64_t iv, int closed, const cpe_bar_t *b)
{
    cpe_live_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = CPE_LIVE_CANDLE;
    ev.symbol = s->symbol;
    ev.interval_ms = iv;
    ev.closed = closed;
    ev.bar = b;
    ev.cvd = b->cvd_delta;
    ev.simulated = 1;
    ev.emitted_ms = cpe_now_ms();
    if (l->cfg.sink) l->cfg.sink(l->cfg.sink_ctx, &ev);
}

/* The 1m bar of a symbol's simulated minute (spot prices, perp market structure). */
static void minute_bar(symstate_t *s, const cpe_sim_out_t *o, const cpe_kline_t *spot,
                       const cpe_kline_t *perp, int final, cpe_bar_t *b)
{
    cpe_bar_from_kline(b, spot);
    b->cvd_delta = isnan(spot->taker_buy_base) ? NAN : 2 * spot->taker_buy_base - spot->volume;
    b->liq_long = 0;
    b->liq_short = 0;
    if (final) {
        for (size_t i = 0; i < o->nliq; i++) {
            double notional = o->liq[i].v[1] * o->liq[i].v[2];
            if (o->liq[i].v[0] > 0) b->liq_long += notional;
            else b->liq_short += notional;
        }
        if (o->has_oi) s->oi = o->oi.v[1];
        if (o->has_funding) s->funding = o->funding.v[0];
    }
    b->oi = s->oi;
    b->funding = s->funding;
    b->basis = spot->close > 0 ? perp->close / spot->close - 1 : NAN;
}

static int write_minute(cpe_live_t *l, const cpe_sim_minute_t *m)
{
    cpe_store_t *st = l->store;
    int rc = 0;
    for (int i = 0; i < l->nsym && !rc; i++) {
        symstate_t *s = &l->sym[i];
        const cpe_sim_out_t *o = &m->sym[i];
        rc = st->ops->put_klines(st, s->id_spot, &o->spot, 1, NULL);
        if (!rc) rc = st->ops->put_klines(st, s->id_perp, &o->perp, 1, NULL);
        if (!rc && o->has_oi) rc = st->ops->put_points(st, s->id_oi, &o->oi, 1, NULL);
        if (!rc && o->has_lsr) rc = st->ops->put_points(st, s->id_lsr, &o->lsr, 1, NULL);
        if (!rc && o->has_funding) rc = st->ops->put_points(st, s->id_funding, &o->funding, 1, NULL);
        if (!rc && o->nliq) rc = st->ops->put_points(st, s->id_liq, o->liq, o->nliq, NULL);
    }
    return rc;
}

static int open_series(cpe_live_t *l)
{
    cpe_store_t *st = l->store;
    for (int i = 0; i < l->nsym; i++) {
        symstate_t *s = &l->sym[i];
        char spot[CPE_INSTR_KEY_MAX], perp[CPE_INSTR_KEY_MAX];
        snprintf(spot, sizeof spot, "sim:spot:%s", s->symbol);
        snprintf(perp, sizeof perp, "sim:perp:%s", s->symbol);
        int rc = st->ops->series_id(st, spot, "kline:1m", CPE_MS_PER_MIN, 1, 1, &s->id_spot);
        if (!rc) rc = st->ops->series_id(st, perp, "kline:1m", CPE_MS_PER_MIN, 1, 1, &s->id_perp);
        if (!rc) rc = st->ops->series_id(st, perp, "oi", 0, 1, 1, &s->id_oi);
        if (!rc) rc = st->ops->series_id(st, perp, "lsr", 0, 1, 1, &s->id_lsr);
        if (!rc) rc = st->ops->series_id(st, perp, "funding", 0, 1, 1, &s->id_funding);
        if (!rc) rc = st->ops->series_id(st, perp, "liq", 0, 1, 1, &s->id_liq);
        if (rc) return rc;
        s->oi = s->funding = NAN;
    }
    st->ops->set_meta(st, "simulated", "1");
    return 0;
}

/* Wait until wall time t_ms or stop; returns 1 when stopping. */
static int wait_until(cpe_live_t *l, int64_t t_ms)
{
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        int64_t now = cpe_now_ms();
        if (now >= t_ms) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wait = t_ms - now;
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&l->cv, &l->mu, &ts);
    }
    int stop = l->stop;
    pthread_mutex_unlock(&l->mu);
    return stop;
}

static void close_minute(cpe_live_t *l, const cpe_sim_minute_t *m, int emit)
{
    for (int i = 0; i < l->nsym; i++) {
        symstate_t *s = &l->sym[i];
        const cpe_sim_out_t *o = &m->sym[i];
        cpe_bar_t b;
        minute_bar(s, o, &o->spot, &o->perp, 1, &b);
        for (int k = 0; k < NIV; k++) {
            int64_t bucket = cpe_floor_ms(b.ts_ms, ivs[k]);
            if (!s->has_agg[k] || s->agg[k].ts_ms != bucket) {
                s->agg[k] = b;
                s->agg[k].ts_ms = bucket;
                s->has_agg[k] = 1;
            } else {
                merge(&s->agg[k], &b);
            }
            int done = b.ts_ms + CPE_MS_PER_MIN == bucket + ivs[k];
            if (emit && (done || k == 0)) emit_candle(l, s, ivs[k], 1, &s->agg[k]);
            if (done) s->has_agg[k] = 0;
        }
        pthread_mutex_lock(&l->mu);
        l->st.last_bar_ts[i] = b.ts_ms;
        l->st.last_tick_ms[i] = cpe_now_ms();
        l->st.minutes_closed++;
        pthread_mutex_unlock(&l->mu);
    }
}

static void emit_ticks(cpe_live_t *l, const cpe_sim_minute_t *m, int k_slices)
{
    for (int i = 0; i < l->nsym; i++) {
        symstate_t *s = &l->sym[i];
        const cpe_sim_out_t *o = &m->sym[i];
        cpe_kline_t ps, pp;
        cpe_sim_partial(o->spot_slice, k_slices, &ps);
        cpe_sim_partial(o->perp_slice, k_slices, &pp);
        cpe_bar_t b;
        minute_bar(s, o, &ps, &pp, 0, &b);
        for (int k = 0; k < NIV; k++) {
            cpe_bar_t x = b;
            int64_t bucket = cpe_floor_ms(b.ts_ms, ivs[k]);
            if (k > 0 && s->has_agg[k] && s->agg[k].ts_ms == bucket) {
                x = s->agg[k];
                merge(&x, &b);
            }
            x.ts_ms = bucket;
            emit_candle(l, s, ivs[k], 0, &x);
        }
        pthread_mutex_lock(&l->mu);
        l->st.last_tick_ms[i] = cpe_now_ms();
        pthread_mutex_unlock(&l->mu);
    }
}

/* Predict at the newest closed bar of every symbol (livepred.h does nothing when the bar
 * was predicted already) and push what was made. */
static void predict_all(cpe_live_t *l, int emit)
{
    if (!l->cfg.predict) return;
    for (int i = 0; i < l->nsym; i++) {
        cpe_prediction_t out[CPE_MS_MAX_H];
        int n = 0;
        cpe_diag_t d = {0};
        int64_t t0 = cpe_now_ms();
        int rc = cpe_livepred_step(&l->lp[i], l->store, INT64_MAX, t0, out, &n, &d);
        int64_t took = cpe_now_ms() - t0;
        pthread_mutex_lock(&l->mu);
        snprintf(l->st.pred_note[i], sizeof l->st.pred_note[i], "%.159s", rc ? d.msg : "");
        if (n > 0) {
            l->st.last_pred_ts[i] = out[0].ts_ms;
            l->st.last_pred_ms[i] = took;
            l->st.predictions_made += n;
        }
        pthread_mutex_unlock(&l->mu);
        if (rc && rc != CPE_ENOTFOUND) cpe_warn("live predictions: %s", d.msg);
        for (int k = 0; emit && k < n; k++) {
            cpe_live_event_t ev;
            memset(&ev, 0, sizeof ev);
            ev.kind = CPE_LIVE_PREDICTION;
            ev.symbol = l->sym[i].symbol;
            ev.pred = &out[k];
            ev.simulated = l->st.simulated;
            ev.emitted_ms = cpe_now_ms();
            if (l->cfg.sink) l->cfg.sink(l->cfg.sink_ctx, &ev);
        }
    }
}

static void *run(void *arg)
{
    cpe_live_t *l = arg;
    cpe_sim_minute_t *m = malloc(sizeof *m);
    if (!m) return NULL;
    int batch = 0;
    while (1) {
        pthread_mutex_lock(&l->mu);
        int stop = l->stop;
        pthread_mutex_unlock(&l->mu);
        if (stop) break;
        int64_t ts = cpe_sim_next_ts(l->sim);
        int64_t now = cpe_now_ms();
        int catch_up = l->cfg.minute_ms == 60000 && ts + CPE_MS_PER_MIN <= now;
        if (catch_up) {
            if (!batch) l->store->ops->begin(l->store);
            if (cpe_sim_step(l->sim, m) || write_minute(l, m)) {
                cpe_error("live: simulator/store failed while filling history: %s", l->store->diag.msg);
                break;
            }
            close_minute(l, m, 0);
            if (++batch >= 720) {
                l->store->ops->commit(l->store);
                batch = 0;
            }
            continue;
        }
        if (batch) {
            l->store->ops->commit(l->store);
            batch = 0;
        }
        predict_all(l, 1); /* at the bar closed last (after history was filled, at start) */
        if (cpe_sim_step(l->sim, m)) break;
        int64_t start = l->cfg.minute_ms == 60000 ? ts : now;
        int64_t end = start + l->cfg.minute_ms;
        int64_t t = now;
        while (t < end) {
            int k = (int)(1 + (t - start) * CPE_SIM_SLICES / l->cfg.minute_ms);
            if (k > CPE_SIM_SLICES) k = CPE_SIM_SLICES;
            if (k < 1) k = 1;
            emit_ticks(l, m, k);
            int64_t next = t + l->cfg.tick_ms;
            if (next > end) next = end;
            if (wait_until(l, next)) goto out;
            t = cpe_now_ms();
        }
        if (write_minute(l, m)) {
            cpe_error("live: store write failed: %s", l->store->diag.msg);
            break;
        }
        close_minute(l, m, 1);
    }
out:
    if (batch) l->store->ops->commit(l->store);
    free(m);
    return NULL;
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

static int start_sim(cpe_live_t *l, cpe_diag_t *d)
{
    const char *names[CPE_LIVE_MAX_SYMBOLS];
    for (int i = 0; i < l->nsym; i++) names[i] = l->sym[i].symbol;
    int64_t now = cpe_now_ms();
    int64_t start = cpe_floor_ms(now, CPE_MS_PER_MIN) - (int64_t)l->cfg.backfill_minutes * CPE_MS_PER_MIN;
    if (l->cfg.minute_ms != 60000) start = cpe_floor_ms(now, CPE_MS_PER_MIN);
    /* continue after the newest stored simulated bar (the price carries on from it) */
    double last_close[CPE_LIVE_MAX_SYMBOLS];
    int64_t last_ts = INT64_MIN;
    for (int i = 0; i < l->nsym; i++) {
        last_close[i] = NAN;
        char inst[CPE_INSTR_KEY_MAX];
        snprintf(inst, sizeof inst, "sim:spot:%s", names[i]);
        cpe_kline_t *k = NULL;
        size_t n = 0;
        if (cpe_store_read_klines(l->store, inst, "kline:1m", now - 3 * CPE_MS_PER_DAY, INT64_MAX, &k,
                                  &n) == 0 && n > 0) {
            last_close[i] = k[n - 1].close;
            if (k[n - 1].ts_ms > last_ts) last_ts = k[n - 1].ts_ms;
        }
        free(k);
    }
    if (last_ts != INT64_MIN && last_ts + CPE_MS_PER_MIN > start) start = last_ts + CPE_MS_PER_MIN;
    cpe_sim_config_t sc;
    int rc = cpe_sim_config_default(&sc, names, (size_t)l->nsym, l->cfg.seed, start, d);
    if (rc) return rc;
    for (int i = 0; i < l->nsym; i++)
        if (last_close[i] > 0) sc.sym[i].price0 = last_close[i];
    if ((rc = cpe_sim_new(&sc, &l->sim, d))) return rc;
    return open_series(l);
}

int cpe_live_start(const cpe_live_config_t *c, cpe_live_t **out, cpe_diag_t *d)
{
    *out = NULL;
    cpe_live_t *l = calloc(1, sizeof *l);
    if (!l) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    l->cfg = *c;
    snprintf(l->db, sizeof l->db, "%s", c->db);
    l->cfg.db = l->db;
    snprintf(l->symbols_buf, sizeof l->symbols_buf, "%s", c->symbols ? c->symbols : "BTCUSDT");
    l->cfg.symbols = l->symbols_buf;
    if (l->cfg.tick_ms <= 0) l->cfg.tick_ms = 1000;
    if (l->cfg.minute_ms <= 0) l->cfg.minute_ms = 60000;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    int rc = 0;
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", l->symbols_buf);
    for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
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
        cpe_livepred_init(&l->lp[i], l->cfg.models, l->sym[i].symbol, l->cfg.pred_paths);
    }
    if ((rc = cpe_store_open(l->db, &l->store, d))) goto fail;
    cpe_live_mode_t mode = c->mode;
    if (mode == CPE_LIVE_AUTO) {
        if (recent_real(l->store, cpe_now_ms(), l->st.note, sizeof l->st.note)) mode = CPE_LIVE_STORE;
        else {
            mode = CPE_LIVE_SIMULATE;
            snprintf(l->st.note, sizeof l->st.note,
                     "auto: no real 1m data in the last %lld min and no live adapters yet: simulating",
                     (long long)(CPE_LIVE_RECENT_MS / 60000));
        }
    } else if (mode == CPE_LIVE_STORE) {
        snprintf(l->st.note, sizeof l->st.note, "--source store: serving the store as it is");
    } else {
        snprintf(l->st.note, sizeof l->st.note, "--source simulate: the simulator runs in real time");
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
                    if (s[i].simulated) sim = 1;
                    else real = 1;
                }
        free(s);
        l->st.simulated = sim && !real;
        predict_all(l, 0); /* the newest bar in the store, unless it was predicted already */
        cpe_store_close(l->store);
        l->store = NULL;
        *out = l;
        return 0;
    }
    l->st.source = "simulated";
    l->st.simulated = 1;
    if ((rc = start_sim(l, d))) goto fail;
    if (pthread_create(&l->th, NULL, run, l)) {
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
    cpe_sim_free(l->sim);
    for (int i = 0; i < l->nsym; i++) cpe_livepred_close(&l->lp[i]);
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
}
