/* dataset_side.c — the side series of a main instrument as availability-stamped
 * observations for the feature engine (which series: cpe/dataset.h), the plan of the series
 * a build found (read again by a stream), and liquidations and large trades attached to the
 * bars (dataset_int.h). */
#include "dataset_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LARGE_TRADE_USD 100000.0

static int obs_push(obsbuf_t *b, const cpe_feature_obs_t *o)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 1024;
        cpe_feature_obs_t *no = realloc(b->o, nc * sizeof *no);
        if (!no) return CPE_ENOMEM;
        b->o = no;
        b->cap = nc;
    }
    b->o[b->n++] = *o;
    return 0;
}

/* Record a series that gave observations in the plan being made (none: nothing). */
static int plan_add(obsbuf_t *ob, const ds_source_t *s)
{
    if (!ob->plan) return 0;
    if (ob->plan->n == DS_MAX_SOURCES) return CPE_ENOMEM;
    ob->plan->s[ob->plan->n++] = *s;
    return 0;
}

/* A stored point of series s as an observation (avail = ts + the series' delay). */
static int point_obs(obsbuf_t *ob, const ds_source_t *s, const cpe_point_t *p)
{
    cpe_feature_obs_t o = {.avail_ms = p->ts_ms + s->avail_add_ms,
                           .interval_ms = s->interval_ms,
                           .kind = s->okind,
                           .src = s->src};
    if (s->okind == CPE_FOBS_BOOK) {
        memcpy(o.v, p->v, sizeof o.v);
    } else {
        o.v[0] = isfinite(p->v[s->vcol]) ? p->v[s->vcol] : p->v[0];
        for (int k = 1; k < 6; k++)
            o.v[k] = NAN;
    }
    return obs_push(ob, &o);
}

int ds_exists(cpe_store_t *st, const char *instr, const char *kind, cpe_series_info_t *info)
{
    int64_t id;
    if (st->ops->series_id(st, instr, kind, 0, 0, 0, &id)) return 0;
    if (st->ops->series_get(st, id, info)) return 0;
    return info->count > 0;
}

static const char *const kline_kinds[] = {"kline:1m", "kline:5m", "kline:15m", "kline:1h",
                                          "kline:4h", "kline:1d", NULL};

/* Closes of the finest kline series of instr as observations (avail = close time). */
static int add_closes(cpe_store_t *st, const char *instr, int kind, int64_t from, int64_t to,
                      obsbuf_t *ob, int *found)
{
    cpe_series_info_t si;
    *found = 0;
    for (int k = 0; kline_kinds[k]; k++) {
        if (!ds_exists(st, instr, kline_kinds[k], &si)) continue;
        int64_t iv = 0;
        if (cpe_interval_parse(kline_kinds[k] + 6, &iv)) continue;
        cpe_kline_t *kl = NULL;
        size_t n = 0;
        int rc = st->ops->get_klines(st, si.id, from - iv, to, &kl, &n);
        for (size_t i = 0; !rc && i < n; i++)
            rc = obs_push(ob, &(cpe_feature_obs_t){.avail_ms = kl[i].ts_ms + iv,
                                                   .interval_ms = iv,
                                                   .kind = kind,
                                                   .v = {kl[i].close, NAN, NAN, NAN, NAN, NAN}});
        free(kl);
        *found = n > 0;
        if (!rc && n > 0) rc = plan_add(ob, &(ds_source_t){si.id, 1, kind, 0, 0, iv, iv});
        return rc;
    }
    return 0;
}

/* Points of (instr, kind) in [from, to) as observations: avail = ts + avail_add_ms. */
static int add_points(cpe_store_t *st, const char *instr, const char *kind, int okind, int src,
                      int vcol, int64_t avail_add_ms, int64_t interval_ms, int64_t from, int64_t to,
                      obsbuf_t *ob, int *found)
{
    cpe_series_info_t si;
    *found = 0;
    if (!ds_exists(st, instr, kind, &si)) return 0;
    if (avail_add_ms < 0) avail_add_ms = si.interval_ms; /* period aggregate: end of period */
    if (interval_ms < 0) interval_ms = si.interval_ms;
    cpe_point_t *p = NULL;
    size_t n = 0;
    int rc = st->ops->get_points(st, si.id, from - avail_add_ms, to - avail_add_ms, &p, &n);
    ds_source_t src_of = {si.id, 0, okind, src, vcol, avail_add_ms, interval_ms};
    for (size_t i = 0; !rc && i < n; i++)
        rc = point_obs(ob, &src_of, &p[i]);
    free(p);
    *found = n > 0;
    if (!rc && n > 0) rc = plan_add(ob, &src_of);
    return rc;
}

int ds_by_avail(const void *a, const void *b)
{
    const cpe_feature_obs_t *x = a, *y = b;
    if (x->avail_ms != y->avail_ms) return x->avail_ms < y->avail_ms ? -1 : 1;
    /* ties: by kind, src, then value (a total, content-defined order) */
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    return x->v[0] < y->v[0] ? -1 : x->v[0] > y->v[0];
}

static size_t bar_index(const cpe_bar_t *b, size_t n, int64_t ts)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (b[m].ts_ms < ts)
            lo = m + 1;
        else
            hi = m;
    }
    return lo; /* first bar with ts_ms >= ts */
}

/* Per-bar sums of events into two bar fields, 0 inside [first, last] event bar, NaN out. */
static int attach_liq(cpe_store_t *st, const char *perp, cpe_bar_t *b, size_t n, int64_t bar_ms,
                      int *found)
{
    cpe_point_t *p = NULL;
    size_t np = 0;
    *found = 0;
    int rc = cpe_store_read_points(st, perp, "liq", b[0].ts_ms, b[n - 1].ts_ms + bar_ms, &p, &np);
    if (rc == CPE_ENOTFOUND) return 0;
    if (rc || !np) {
        free(p);
        return rc;
    }
    size_t i0 = bar_index(b, n, p[0].ts_ms - (p[0].ts_ms % bar_ms));
    for (size_t i = i0; i < n && b[i].ts_ms <= p[np - 1].ts_ms; i++)
        b[i].liq_long = b[i].liq_short = 0;
    for (size_t k = 0; k < np; k++) {
        size_t i = bar_index(b, n, p[k].ts_ms - (p[k].ts_ms % bar_ms));
        if (i >= n || b[i].ts_ms > p[k].ts_ms) continue;
        double notional = p[k].v[1] * p[k].v[2];
        if (!isfinite(notional)) continue;
        if (p[k].v[0] > 0)
            b[i].liq_long += notional;
        else
            b[i].liq_short += notional;
    }
    free(p);
    *found = 1;
    return 0;
}

static int attach_trades(cpe_store_t *st, const char *instr, cpe_bar_t *b, size_t n, int64_t bar_ms,
                         int *found)
{
    cpe_point_t *p = NULL;
    size_t np = 0;
    *found = 0;
    int rc =
        cpe_store_read_points(st, instr, "trade", b[0].ts_ms, b[n - 1].ts_ms + bar_ms, &p, &np);
    if (rc == CPE_ENOTFOUND) return 0;
    if (rc || !np) {
        free(p);
        return rc;
    }
    size_t i0 = bar_index(b, n, p[0].ts_ms - (p[0].ts_ms % bar_ms));
    for (size_t i = i0; i < n && b[i].ts_ms <= p[np - 1].ts_ms; i++)
        b[i].large_quote = 0;
    for (size_t k = 0; k < np; k++) {
        double notional = p[k].v[0] * p[k].v[1];
        if (!(notional > LARGE_TRADE_USD)) continue;
        size_t i = bar_index(b, n, p[k].ts_ms - (p[k].ts_ms % bar_ms));
        if (i < n && b[i].ts_ms <= p[k].ts_ms) b[i].large_quote += notional;
    }
    free(p);
    *found = 1;
    return 0;
}

int ds_gather_obs(cpe_store_t *st, const cpe_instrument_t *in, int64_t from, int64_t to,
                  obsbuf_t *ob)
{
    char perp[128], spot[128], key[128], asset[32];
    snprintf(perp, sizeof perp, "%s:perp:%s", in->exchange, in->symbol);
    snprintf(spot, sizeof spot, "%s:spot:%s", in->exchange, in->symbol);
    cpe_symbol_to_asset(in->symbol, asset, sizeof asset);
    int rc = 0, found = 0;
    const int64_t a = from - SIDE_LOOKBACK_MS;

    /* funding: slot 0 = this exchange's perp, then the others for funding_sentiment */
    rc = add_points(st, perp, "funding", CPE_FOBS_FUNDING, 0, 0, 0, 0, a, to, ob, &found);
    for (int e = 0, slot = 1; !rc && e < CPE_NEXCHANGES; e++) {
        if (!strcmp(cpe_exchange_name(e), in->exchange)) continue;
        snprintf(key, sizeof key, "%s:perp:%s", cpe_exchange_name(e), in->symbol);
        rc = add_points(st, key, "funding", CPE_FOBS_FUNDING, slot++, 0, 0, 0, a, to, ob, &found);
    }
    /* open interest: the perp's samples, else the asset's daily aggregate */
    if (!rc) rc = add_points(st, perp, "oi", CPE_FOBS_OI, 0, 1, 0, -1, a, to, ob, &found);
    if (!rc && !found) {
        snprintf(key, sizeof key, "series:%s:futures_open_interest_usd", asset);
        rc = add_points(st, key, "series:futures_open_interest_usd", CPE_FOBS_OI, 0, 0, MS_DAY,
                        MS_DAY, a, to, ob, &found);
    }
    if (!rc) rc = add_points(st, perp, "lsr", CPE_FOBS_LSR, 0, 0, 0, -1, a, to, ob, &found);
    if (!rc) rc = add_points(st, perp, "book", CPE_FOBS_BOOK, 0, 0, 0, -1, a, to, ob, &found);
    if (!rc && !found)
        rc = add_points(st, spot, "book", CPE_FOBS_BOOK, 0, 0, 0, -1, a, to, ob, &found);
    /* the other leg of the basis */
    if (!rc) {
        if (in->kind == CPE_SPOT) {
            rc = add_closes(st, perp, CPE_FOBS_PERP_CLOSE, a, to, ob, &found);
            if (!rc && !found && cpe_exchange_id(in->exchange) != 0) {
                snprintf(key, sizeof key, "%s:perp:%s", cpe_exchange_name(0), in->symbol);
                rc = add_closes(st, key, CPE_FOBS_PERP_CLOSE, a, to, ob, &found);
            }
        } else {
            rc = add_closes(st, spot, CPE_FOBS_SPOT_CLOSE, a, to, ob, &found);
        }
    }
    /* cross asset (the universe's pairing, e.g. ETH for BTC): its series by the one rule */
    cpe_asset_t me;
    if (!rc && !cpe_asset_params(asset, &me, NULL) && me.cross[0]) {
        cpe_resolved_t r;
        int rr =
            cpe_store_resolve(st, me.cross, CPE_MARKET_ANY, 0, CPE_PREFER_REAL, a, to, &r, NULL);
        if (rr && rr != CPE_ENOTFOUND)
            rc = rr;
        else if (!rr && r.in_window)
            rc = add_closes(st, r.instrument, CPE_FOBS_CROSS_CLOSE, a, to, ob, &found);
    }
    /* named series */
    static const char *const owners[] = {NULL, "CRYPTO", "MACRO"};
    for (size_t s = 0; !rc && cpe_fseries_name_at(s); s++) {
        const char *name = cpe_fseries_name_at(s);
        int id = cpe_fseries_from_name(name);
        char kind[CPE_KIND_MAX];
        snprintf(kind, sizeof kind, "series:%s", name);
        for (int o = 0; !rc && o < 3; o++) {
            snprintf(key, sizeof key, "series:%s:%s", owners[o] ? owners[o] : asset, name);
            rc = add_points(st, key, kind, CPE_FOBS_SERIES, id, 0, -1, -1, a, to, ob, &found);
            if (found) break;
        }
    }
    return rc;
}

int ds_bars(cpe_store_t *st, const cpe_instrument_t *in, const char *instrument,
            const cpe_kline_t *kl, size_t n, int64_t bar_ms, cpe_bar_t **out)
{
    cpe_bar_t *bars = malloc((n ? n : 1) * sizeof *bars);
    if (!bars) return CPE_ENOMEM;
    for (size_t i = 0; i < n; i++)
        cpe_bar_from_kline(&bars[i], &kl[i]);
    char perp[128];
    int found, rc = 0;
    snprintf(perp, sizeof perp, "%s:perp:%s", in->exchange, in->symbol);
    if (n && ((rc = attach_liq(st, perp, bars, n, bar_ms, &found)) ||
              (rc = attach_trades(st, instrument, bars, n, bar_ms, &found)))) {
        free(bars);
        return rc;
    }
    *out = bars;
    return 0;
}

int ds_read_plan(cpe_store_t *st, const ds_plan_t *plan, int64_t lo, int64_t hi, obsbuf_t *ob)
{
    int rc = 0;
    for (int k = 0; !rc && k < plan->n; k++) {
        const ds_source_t *s = &plan->s[k];
        if (s->closes) {
            cpe_kline_t *kl = NULL;
            size_t n = 0;
            rc = st->ops->get_klines(st, s->id, lo - s->interval_ms, hi, &kl, &n);
            for (size_t i = 0; !rc && i < n; i++) {
                int64_t avail = kl[i].ts_ms + s->interval_ms;
                if (avail < lo || avail >= hi) continue;
                rc =
                    obs_push(ob, &(cpe_feature_obs_t){.avail_ms = avail,
                                                      .interval_ms = s->interval_ms,
                                                      .kind = s->okind,
                                                      .v = {kl[i].close, NAN, NAN, NAN, NAN, NAN}});
            }
            free(kl);
        } else {
            cpe_point_t *p = NULL;
            size_t n = 0;
            rc = st->ops->get_points(st, s->id, lo - s->avail_add_ms, hi - s->avail_add_ms, &p, &n);
            for (size_t i = 0; !rc && i < n; i++)
                rc = point_obs(ob, s, &p[i]);
            free(p);
        }
    }
    return rc;
}
