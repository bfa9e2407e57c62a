/* live_sim.c — the simulator in real time as the live pipeline's source (live_int.h):
 * first the store is filled up to the current minute (continuing from the newest stored
 * simulated bar, at most backfill_minutes back), then every tick_ms the minute in
 * progress is revealed and every minute_ms it is closed, written under "sim:*"
 * instruments (series marked simulated) and pushed. */
#include "live_int.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The 1m bar of a symbol's simulated minute (spot prices, perp market structure). */
static void minute_bar(live_sym_t *s, const cpe_sim_out_t *o, const cpe_kline_t *spot,
                       const cpe_kline_t *perp, int final, cpe_bar_t *b)
{
    cpe_bar_from_kline(b, spot);
    b->cvd_delta = isnan(spot->taker_buy_base) ? NAN : 2 * spot->taker_buy_base - spot->volume;
    b->liq_long = 0;
    b->liq_short = 0;
    if (final) {
        for (size_t i = 0; i < o->nliq; i++) {
            double notional = o->liq[i].v[1] * o->liq[i].v[2];
            if (o->liq[i].v[0] > 0)
                b->liq_long += notional;
            else
                b->liq_short += notional;
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
        live_sym_t *s = &l->sym[i];
        const cpe_sim_out_t *o = &m->sym[i];
        rc = st->ops->put_klines(st, s->id_spot, &o->spot, 1, NULL);
        if (!rc) rc = st->ops->put_klines(st, s->id_perp, &o->perp, 1, NULL);
        if (!rc && o->has_oi) rc = st->ops->put_points(st, s->id_oi, &o->oi, 1, NULL);
        if (!rc && o->has_lsr) rc = st->ops->put_points(st, s->id_lsr, &o->lsr, 1, NULL);
        if (!rc && o->has_funding)
            rc = st->ops->put_points(st, s->id_funding, &o->funding, 1, NULL);
        if (!rc && o->nliq) rc = st->ops->put_points(st, s->id_liq, o->liq, o->nliq, NULL);
    }
    return rc;
}

static int open_series(cpe_live_t *l)
{
    cpe_store_t *st = l->store;
    for (int i = 0; i < l->nsym; i++) {
        live_sym_t *s = &l->sym[i];
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

static void close_minute(cpe_live_t *l, const cpe_sim_minute_t *m, int emit)
{
    for (int i = 0; i < l->nsym; i++) {
        const cpe_sim_out_t *o = &m->sym[i];
        cpe_bar_t b;
        minute_bar(&l->sym[i], o, &o->spot, &o->perp, 1, &b);
        live_close_bar(l, i, &b, emit);
    }
}

static void emit_ticks(cpe_live_t *l, const cpe_sim_minute_t *m, int k_slices)
{
    for (int i = 0; i < l->nsym; i++) {
        const cpe_sim_out_t *o = &m->sym[i];
        cpe_kline_t ps, pp;
        cpe_sim_partial(o->spot_slice, k_slices, &ps);
        cpe_sim_partial(o->perp_slice, k_slices, &pp);
        cpe_bar_t b;
        minute_bar(&l->sym[i], o, &ps, &pp, 0, &b);
        live_tick_bar(l, i, &b);
    }
}

void *live_sim_run(void *arg)
{
    cpe_live_t *l = arg;
    cpe_sim_minute_t *m = malloc(sizeof *m);
    if (!m) return NULL;
    int batch = 0;
    while (1) {
        if (live_stopping(l)) break;
        int64_t ts = cpe_sim_next_ts(l->sim);
        int64_t now = cpe_now_ms();
        int catch_up = l->cfg.minute_ms == 60000 && ts + CPE_MS_PER_MIN <= now;
        if (catch_up) {
            if (!batch) l->store->ops->begin(l->store);
            if (cpe_sim_step(l->sim, m) || write_minute(l, m)) {
                cpe_error("live: simulator/store failed while filling history: %s",
                          l->store->diag.msg);
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
        live_predict_all(l, 1); /* at the bar closed last (after history was filled, at start) */
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
            if (live_wait_until(l, next)) goto out;
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

/* Close of the newest stored 1m (else 1h) bar of instr, NaN when none; indexed look-ups. */
static double newest_close(cpe_store_t *st, const char *instr)
{
    static const char *const kinds[] = {"kline:1m", "kline:1h"};
    for (int k = 0; k < 2; k++) {
        int64_t id;
        cpe_series_info_t si;
        if (st->ops->series_id(st, instr, kinds[k], 0, 0, 0, &id) ||
            st->ops->series_get(st, id, &si) || si.count <= 0)
            continue;
        cpe_kline_t *b = NULL;
        size_t n = 0;
        double c = NAN;
        if (cpe_store_read_klines(st, instr, kinds[k], si.last_ts, si.last_ts + 1, &b, &n) == 0 &&
            n > 0)
            c = b[n - 1].close;
        free(b);
        if (c > 0) return c;
    }
    return NAN;
}

int live_sim_start(cpe_live_t *l, cpe_diag_t *d)
{
    const int nsym = l->nsym; /* one count for the arrays below */
    const char *names[CPE_LIVE_MAX_SYMBOLS];
    for (int i = 0; i < nsym; i++)
        names[i] = l->sym[i].symbol;
    int64_t now = cpe_now_ms();
    int64_t start =
        cpe_floor_ms(now, CPE_MS_PER_MIN) - (int64_t)l->cfg.backfill_minutes * CPE_MS_PER_MIN;
    if (l->cfg.minute_ms != 60000) start = cpe_floor_ms(now, CPE_MS_PER_MIN);
    /* continue after the newest stored simulated bar (the price carries on from it) */
    double last_close[CPE_LIVE_MAX_SYMBOLS], last_oi[CPE_LIVE_MAX_SYMBOLS];
    int64_t last_ts = INT64_MIN;
    for (int i = 0; i < nsym; i++) {
        last_close[i] = last_oi[i] = NAN;
        char inst[CPE_INSTR_KEY_MAX];
        snprintf(inst, sizeof inst, "sim:spot:%s", names[i]);
        cpe_kline_t *k = NULL;
        size_t n = 0;
        if (cpe_store_read_klines(l->store, inst, "kline:1m", now - 3 * CPE_MS_PER_DAY, INT64_MAX,
                                  &k, &n) == 0 &&
            n > 0) {
            last_close[i] = k[n - 1].close;
            if (k[n - 1].ts_ms > last_ts) last_ts = k[n - 1].ts_ms;
            /* and its open interest, so the perp's OI carries on where it was */
            cpe_point_t *o = NULL;
            size_t no = 0;
            snprintf(inst, sizeof inst, "sim:perp:%s", names[i]);
            if (cpe_store_read_points(l->store, inst, "oi", k[n - 1].ts_ms - CPE_MS_PER_DAY,
                                      INT64_MAX, &o, &no) == 0 &&
                no > 0)
                last_oi[i] = o[no - 1].v[1];
            free(o);
        }
        free(k);
    }
    if (last_ts != INT64_MIN && last_ts + CPE_MS_PER_MIN > start) start = last_ts + CPE_MS_PER_MIN;
    cpe_sim_config_t sc;
    int rc = cpe_sim_config_default(&sc, names, (size_t)nsym, l->cfg.seed, start, d);
    if (rc) return rc;
    for (int i = 0; i < nsym; i++) {
        if (!(last_close[i] > 0)) { /* no simulated history: carry on from the real price */
            cpe_resolved_t r;       /* the universe's rule: real exchanges first */
            if (!cpe_store_resolve(l->store, names[i], CPE_MARKET_ANY, 0, CPE_PREFER_REAL,
                                   INT64_MIN, INT64_MAX, &r, NULL) &&
                !r.span.simulated)
                last_close[i] = newest_close(l->store, r.instrument);
        }
        if (last_close[i] > 0) sc.sym[i].price0 = last_close[i];
        if (last_oi[i] > 0) sc.sym[i].oi0_usd = last_oi[i];
    }
    if ((rc = cpe_sim_new(&sc, &l->sim, d))) return rc;
    return open_series(l);
}
