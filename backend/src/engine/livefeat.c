/* livefeat.c — the live clock's features kept between closes: built once by the batch
 * path, then advanced one closed bar at a time (cpe/livefeat.h). */
#include "cpe/livefeat.h"

#include "dataset_int.h"

#include "cpe/features.h"
#include "cpe/mldata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_MS (11 * MS_DAY) /* the rows cpe_mldata_load_recent() keeps */

void cpe_livefeat_init(cpe_livefeat_t *lf, const char *symbol)
{
    memset(lf, 0, sizeof *lf);
    cpe_asset_to_symbol(symbol, lf->symbol);
    lf->last_ts = INT64_MIN;
}

/* Forget the stream (the counters and the symbol stay). */
static void drop(cpe_livefeat_t *lf)
{
    cpe_features_free(lf->f);
    free(lf->plan);
    free(lf->x);
    free(lf->x_prev);
    free(lf->ts);
    free(lf->close);
    free((void *)lf->names);
    lf->f = NULL;
    lf->plan = NULL;
    lf->x = lf->x_prev = lf->close = NULL;
    lf->ts = NULL;
    lf->names = NULL;
    lf->n = lf->cap = 0;
    lf->has_prev = 0;
    lf->last_ts = INT64_MIN;
    lf->instrument[0] = 0;
}

void cpe_livefeat_free(cpe_livefeat_t *lf)
{
    if (!lf) return;
    drop(lf);
    char sym[32];
    memcpy(sym, lf->symbol, sizeof sym);
    cpe_livefeat_init(lf, sym);
}

/* First row of the window ending at the newest bar. */
static size_t window_start(const cpe_livefeat_t *lf)
{
    size_t i = 0;
    while (i < lf->n && lf->ts[i] < lf->last_ts - WINDOW_MS)
        i++;
    return i;
}

static int window_add(cpe_livefeat_t *lf, int64_t ts, double close)
{
    if (lf->cap && lf->n == lf->cap) {
        size_t i0 = window_start(lf); /* rows that left the window: drop them first */
        memmove(lf->ts, lf->ts + i0, (lf->n - i0) * sizeof *lf->ts);
        memmove(lf->close, lf->close + i0, (lf->n - i0) * sizeof *lf->close);
        lf->n -= i0;
    }
    if (lf->n == lf->cap) {
        size_t nc = lf->cap ? 2 * lf->cap : 16384;
        int64_t *nt = realloc(lf->ts, nc * sizeof *nt);
        if (!nt) return CPE_ENOMEM;
        lf->ts = nt;
        double *ncl = realloc(lf->close, nc * sizeof *ncl);
        if (!ncl) return CPE_ENOMEM;
        lf->close = ncl;
        lf->cap = nc;
    }
    lf->ts[lf->n] = ts;
    lf->close[lf->n++] = close;
    return 0;
}

/* Push bars[nb] with the observations ob (sorted by availability) as the batch does: each
 * bar with those available by its close. */
static int push_bars(cpe_livefeat_t *lf, const cpe_bar_t *bars, size_t nb, const obsbuf_t *ob,
                     cpe_diag_t *d)
{
    size_t k = 0;
    for (size_t i = 0; i < nb; i++) {
        int64_t close_ms = bars[i].ts_ms + MS_MIN;
        size_t k0 = k;
        while (k < ob->n && ob->o[k].avail_ms <= close_ms)
            k++;
        double *t = lf->x_prev;
        lf->x_prev = lf->x;
        lf->x = t;
        int rc = cpe_features_push(lf->f, &bars[i], ob->o + k0, k - k0, lf->x);
        if (rc) {
            drop(lf);
            return cpe_diag_set(d, rc, "%s: bar %lld rejected by the feature engine (bad price?)",
                                lf->instrument, (long long)bars[i].ts_ms);
        }
        lf->last_ts = bars[i].ts_ms;
        if ((rc = window_add(lf, bars[i].ts_ms, bars[i].close))) {
            drop(lf);
            return cpe_diag_set(d, rc, "%s: out of memory", lf->instrument);
        }
        lf->pushed++;
    }
    lf->has_prev = lf->n - window_start(lf) > 1;
    return 0;
}

/* Bars of the main series in [from, to), and the observations that became available from lo
 * (plan NULL: every side series from SIDE_LOOKBACK_MS before the first bar, recorded into
 * lf->plan) up to the last bar's close, pushed. */
static int read_and_push(cpe_livefeat_t *lf, cpe_store_t *st, int64_t from, int64_t to, int64_t lo,
                         int build, cpe_diag_t *d)
{
    cpe_kline_t *kl = NULL;
    cpe_bar_t *bars = NULL;
    obsbuf_t ob = {0};
    size_t nk = 0;
    int rc = st->ops->get_klines(st, lf->series_id, from, to, &kl, &nk);
    if (rc) {
        rc = cpe_diag_set(d, rc, "%s: %s", lf->instrument, st->diag.msg);
        goto out;
    }
    if (!nk) goto out;
    const cpe_instrument_t *in = &lf->in;
    int64_t hi = kl[nk - 1].ts_ms + MS_MIN + 1; /* observations up to the last close */
    if (build) ob.plan = lf->plan;
    if ((rc = ds_bars(st, in, lf->instrument, kl, nk, MS_MIN, &bars)) ||
        (rc = build ? ds_gather_obs(st, in, kl[0].ts_ms, hi, &ob)
                    : ds_read_plan(st, lf->plan, lo, hi, &ob))) {
        rc = cpe_diag_set(d, rc, "%s: reading side series: %s", lf->instrument, st->diag.msg);
        goto out;
    }
    if (ob.n) qsort(ob.o, ob.n, sizeof *ob.o, ds_by_avail);
    rc = push_bars(lf, bars, nk, &ob, d);
out:
    free(ob.o);
    free(bars);
    free(kl);
    return rc;
}

/* The batch window of cpe_mldata_load_recent() at bar_ts, keeping the engine's state. */
static int build(cpe_livefeat_t *lf, cpe_store_t *st, int64_t bar_ts, cpe_diag_t *d)
{
    drop(lf);
    lf->builds++;
    lf->pushed = 0;
    int64_t from = bar_ts - WINDOW_MS, to = bar_ts + MS_MIN;
    cpe_series_info_t si = {0};
    lf->ncol = cpe_features_count();
    lf->plan = calloc(1, sizeof(ds_plan_t));
    lf->x = calloc(lf->ncol, sizeof *lf->x);
    lf->x_prev = calloc(lf->ncol, sizeof *lf->x_prev);
    lf->names = calloc(lf->ncol, sizeof *lf->names);
    if (!lf->plan || !lf->x || !lf->x_prev || !lf->names) {
        drop(lf);
        return cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", lf->symbol);
    }
    for (size_t j = 0; j < lf->ncol; j++)
        ((const char **)lf->names)[j] = cpe_feature_def(j)->name;
    int rc = ds_resolve(st, lf->symbol, from, to, &lf->in, &si, d);
    if (!rc && si.interval_ms != MS_MIN) /* an hourly history: the live clock needs 1m bars */
        rc = cpe_diag_set(d, CPE_ENOTFOUND,
                          "%s: no 1m bars in the live window (only %lld-minute "
                          "bars: live predictions start when 1m bars arrive)",
                          lf->symbol, (long long)(si.interval_ms / MS_MIN));
    cpe_features_config_t cfg;
    ds_features_config(&lf->in, MS_MIN, &cfg);
    if (!rc && cpe_features_create(&cfg, &lf->f))
        rc = cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", lf->symbol);
    if (rc) {
        drop(lf);
        return rc;
    }
    cpe_instrument_key(&lf->in, lf->instrument);
    lf->series_id = si.id;
    lf->simulated = si.simulated;
    int64_t start = from - CPE_MLDATA_WARMUP_MS;
    if (start < si.first_ts) start = si.first_ts;
    if (to > si.last_ts) to = si.last_ts + MS_MIN;
    if ((rc = read_and_push(lf, st, start, to, 0, 1, d))) return rc;
    if (lf->last_ts == INT64_MIN || lf->last_ts < from) {
        drop(lf);
        return cpe_diag_set(d, CPE_EDATA, "%s: no 1m bars in the range", lf->symbol);
    }
    return 0;
}

int cpe_livefeat_advance(cpe_livefeat_t *lf, cpe_store_t *st, int64_t bar_ts, cpe_diag_t *d)
{
    if (!lf->f || bar_ts < lf->last_ts || bar_ts - lf->last_ts > WINDOW_MS)
        return build(lf, st, bar_ts, d);
    if (bar_ts == lf->last_ts) return 0;
    /* the series the rule picks now: another one (the exchange feed took over from the
     * simulator, ...) starts a new stream */
    cpe_instrument_t in;
    cpe_series_info_t si = {0};
    int rc = ds_resolve(st, lf->symbol, bar_ts - WINDOW_MS, bar_ts + MS_MIN, &in, &si, d);
    if (rc) return rc;
    if (si.id != lf->series_id) return build(lf, st, bar_ts, d);
    return read_and_push(lf, st, lf->last_ts + MS_MIN, bar_ts + MS_MIN, lf->last_ts + MS_MIN + 1, 0,
                         d);
}

void cpe_livefeat_view(const cpe_livefeat_t *lf, cpe_mlview_t *v)
{
    memset(v, 0, sizeof *v);
    v->ncol = lf->ncol;
    v->names = lf->names;
    if (!lf->n) return;
    size_t i0 = window_start(lf);
    v->n = lf->n - i0;
    v->ts_ms = lf->ts + i0;
    v->close = lf->close + i0;
}
