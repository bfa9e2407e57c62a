/* dataset.c — a feature matrix from the store (cpe/dataset.h): resolve the main series (1m,
 * or a real coarser one when only that exists), gather every side series as
 * availability-stamped observations (dataset_side.c), stream the bars through the feature
 * engine and keep the sampled rows. */
#include "dataset_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of [from, to) a series of bars covers (ms). */
static int64_t coverage(int64_t first, int64_t last, int64_t interval, int64_t from, int64_t to)
{
    int64_t a = first > from ? first : from;
    int64_t b = last + interval < to ? last + interval : to;
    return b > a ? b - a : 0;
}

/* The first REAL candidate of the universe's rule with a kline series coarser than 1m that
 * divides 1 h (5m, 15m, 1h: the finest) and bars in [from, to). 0 or CPE_ENOTFOUND. */
static int resolve_coarse(cpe_store_t *st, const char *sym, int64_t from, int64_t to,
                          cpe_instrument_t *in, cpe_series_info_t *si)
{
    static const char *const kinds[] = {"kline:5m", "kline:15m", "kline:1h"};
    cpe_instrument_t cand[CPE_RESOLVE_MAX];
    size_t nc = cpe_instrument_candidates(sym, CPE_MARKET_ANY, CPE_PREFER_REAL, cand);
    for (size_t c = 0; c < nc; c++) {
        char key[CPE_INSTR_KEY_MAX];
        cpe_instrument_key(&cand[c], key);
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
            if (ds_exists(st, key, kinds[k], si) && !si->simulated &&
                coverage(si->first_ts, si->last_ts, si->interval_ms, from, to) > 0) {
                *in = cand[c];
                return 0;
            }
    }
    return CPE_ENOTFOUND;
}

/* A kline series of an instrument key: 1m, else the finest whose interval divides 1 h. */
static int resolve_key(cpe_store_t *st, const char *what, cpe_instrument_t *in,
                       cpe_series_info_t *si, cpe_diag_t *d)
{
    cpe_kline_span_t sp;
    if (cpe_instrument_parse(what, in) || in->kind == CPE_SERIES)
        return cpe_diag_set(d, CPE_EINVAL, "'%s' is not a spot or perp instrument key", what);
    if (ds_exists(st, what, "kline:1m", si)) return 0;
    if (cpe_store_kline_probe(st, what, MS_HOUR, &sp))
        return cpe_diag_set(d, CPE_ESTORE, "store: cannot read %s: %s", what, st->diag.msg);
    if (!sp.ok)
        return cpe_diag_set(d, CPE_ENOTFOUND, "%s has no 1m (or 5m/15m/1h) klines in the store",
                            what);
    return st->ops->series_get(st, sp.id, si);
}

/* Main instrument by the rule of dataset.h: the 1m series of the universe's rule, unless a
 * real coarser series is the better history: over a simulated 1m series when it covers at
 * least 30 days of the window (or as much as the minutes), over a real one holding less
 * than 30 days when it covers more. */
int ds_resolve(cpe_store_t *st, const char *what, int64_t from, int64_t to, cpe_instrument_t *in,
               cpe_series_info_t *si, cpe_diag_t *d)
{
    if (strchr(what, ':')) return resolve_key(st, what, in, si, d);
    char sym[32];
    cpe_resolved_t fine;
    cpe_instrument_t cin;
    cpe_series_info_t csi;
    cpe_asset_to_symbol(what, sym);
    int rf =
        cpe_store_resolve(st, sym, CPE_MARKET_ANY, MS_MIN, CPE_PREFER_REAL, from, to, &fine, d);
    if (rf && rf != CPE_ENOTFOUND) return rf;
    int has_fine = !rf && fine.in_window && fine.span.interval_ms == MS_MIN;
    int has_coarse = resolve_coarse(st, sym, from, to, &cin, &csi) == 0;
    int64_t cf = !has_fine ? 0 : coverage(fine.span.first_ts, fine.span.last_ts, MS_MIN, from, to);
    int64_t cc = !has_coarse ? 0 : coverage(csi.first_ts, csi.last_ts, csi.interval_ms, from, to);
    int coarse;
    if (!has_coarse)
        coarse = 0;
    else if (!has_fine)
        coarse = 1;
    else if (fine.span.simulated)
        coarse = cc >= (cf < COARSE_MIN_FINE_MS ? cf : COARSE_MIN_FINE_MS);
    else
        coarse = cf < COARSE_MIN_FINE_MS && cc > cf;
    if (coarse) {
        *in = cin;
        *si = csi;
        return 0;
    }
    if (!has_fine)
        return cpe_diag_set(d, CPE_ENOTFOUND,
                            "no klines of %s in range (looked for the exchanges' spot and perp 1m, "
                            "the simulator's 1m, then real 5m/15m/1h; import a kline file or run "
                            "cpe simulate)",
                            sym);
    *in = fine.in;
    return st->ops->series_get(st, fine.span.id, si);
}

void ds_features_config(const cpe_instrument_t *in, int64_t bar_ms, cpe_features_config_t *cfg)
{
    char asset[32];
    cpe_asset_t par;
    cpe_symbol_to_asset(in->symbol, asset, sizeof asset);
    *cfg = (cpe_features_config_t){.bar_ms = bar_ms,
                                   .main_kind = in->kind,
                                   .main_is_eth =
                                       !cpe_asset_params(asset, &par, NULL) && par.cross_numerator};
}

void cpe_dataset_free(cpe_dataset_t *ds)
{
    if (!ds) return;
    free(ds->ts_ms);
    free(ds->close);
    free(ds->X);
    free(ds->ts1m);
    free(ds->close1m);
    memset(ds, 0, sizeof *ds);
}

/* 1m closes for labels: from the first row to the end of the tail. */
static int label_closes(cpe_dataset_t *out, const cpe_kline_t *kl, size_t nk, int64_t stamp)
{
    size_t i0 = 0;
    while (i0 < nk && kl[i0].ts_ms + stamp < out->ts_ms[0])
        i0++;
    out->n1m = nk - i0;
    out->ts1m = malloc((out->n1m ? out->n1m : 1) * sizeof *out->ts1m);
    out->close1m = malloc((out->n1m ? out->n1m : 1) * sizeof *out->close1m);
    if (!out->ts1m || !out->close1m) return CPE_ENOMEM;
    for (size_t i = 0; i < out->n1m; i++) {
        out->ts1m[i] = kl[i0 + i].ts_ms + stamp;
        out->close1m[i] = kl[i0 + i].close;
    }
    return 0;
}

int cpe_dataset_build(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                      const cpe_dataset_opts_t *opts, cpe_dataset_t *out, cpe_diag_t *d)
{
    memset(out, 0, sizeof *out);
    cpe_dataset_opts_t o = {0};
    if (opts) o = *opts;
    if (o.sample_ms == 0) o.sample_ms = MS_MIN;
    if (o.sample_ms < 0 || o.sample_ms % MS_MIN)
        return cpe_diag_set(d, CPE_EINVAL,
                            "sample interval %lld ms is not a whole number of minutes",
                            (long long)o.sample_ms);
    int64_t warm = o.warmup_ms < 0 ? 0 : o.warmup_ms ? o.warmup_ms : 31 * MS_DAY;
    int64_t tail = o.label_tail_ms < 0 ? 0 : o.label_tail_ms ? o.label_tail_ms : MS_DAY + MS_MIN;
    cpe_instrument_t in;
    cpe_series_info_t si = {0};
    int rc = ds_resolve(st, symbol, from_ms, to_ms, &in, &si, d);
    if (rc) return rc;
    cpe_instrument_key(&in, out->instrument);
    out->simulated = si.simulated;
    out->ncol = cpe_features_count();
    /* a row is stamped with the open time of its bar's last minute: row + 1 min = close */
    const int64_t bar_ms = si.interval_ms > MS_MIN ? si.interval_ms : MS_MIN;
    const int64_t stamp = bar_ms - MS_MIN;
    out->bar_ms = bar_ms;

    int64_t start = from_ms == INT64_MIN ? INT64_MIN : from_ms - warm;
    if (start < si.first_ts) start = si.first_ts;
    int64_t end = to_ms > si.last_ts + stamp ? si.last_ts + stamp + MS_MIN : to_ms;
    int64_t read_end = end > INT64_MAX - tail ? INT64_MAX : end + tail;
    cpe_kline_t *kl = NULL;
    size_t nk = 0;
    cpe_bar_t *bars = NULL;
    obsbuf_t ob = {0};
    cpe_features_t *f = NULL;
    double *row = NULL;
    if ((rc = st->ops->get_klines(st, si.id, start, read_end, &kl, &nk))) {
        cpe_diag_set(d, rc, "%s: %s", out->instrument, st->diag.msg);
        goto fail;
    }
    size_t nb = 0; /* bars that get features: row stamp < end */
    while (nb < nk && kl[nb].ts_ms + stamp < end)
        nb++;
    if (!nb) {
        rc = cpe_diag_set(d, CPE_EDATA, "%s: no bars in the range", out->instrument);
        goto fail;
    }
    if ((rc = ds_bars(st, &in, out->instrument, kl, nb, bar_ms, &bars)) ||
        (rc = ds_gather_obs(st, &in, bars[0].ts_ms, bars[nb - 1].ts_ms + bar_ms + 1, &ob))) {
        if (rc == CPE_ENOMEM) goto nomem;
        cpe_diag_set(d, rc, "%s: reading side series: %s", out->instrument, st->diag.msg);
        goto fail;
    }
    out->first_bar_ms = bars[0].ts_ms + stamp;
    out->last_bar_ms = bars[nb - 1].ts_ms + stamp;
    if (ob.n) qsort(ob.o, ob.n, sizeof *ob.o, ds_by_avail);

    /* rows: bars with row stamp in [from, end) whose open time is on the sampling grid */
    int64_t t_last = bars[nb - 1].ts_ms;
    size_t cap = 0;
    for (size_t i = 0; i < nb; i++) {
        int64_t ts = bars[i].ts_ms;
        int64_t ph = o.anchor_last ? t_last - ts : ts;
        if (ts + stamp >= from_ms && ph % o.sample_ms == 0) cap++;
    }
    if (!cap) {
        rc = cpe_diag_set(d, CPE_EDATA, "%s: no row on the %lld-minute grid in the range",
                          out->instrument, (long long)(o.sample_ms / MS_MIN));
        goto fail;
    }
    out->ts_ms = malloc(cap * sizeof *out->ts_ms);
    out->close = malloc(cap * sizeof *out->close);
    out->X = malloc(cap * out->ncol * sizeof *out->X);
    row = malloc(out->ncol * sizeof *row);
    if (!out->ts_ms || !out->close || !out->X || !row) goto nomem;
    cpe_features_config_t cfg;
    ds_features_config(&in, bar_ms, &cfg);
    if (cpe_features_create(&cfg, &f)) goto nomem;
    size_t k = 0, r = 0;
    for (size_t i = 0; i < nb; i++) {
        int64_t ts = bars[i].ts_ms, close_ms = ts + bar_ms;
        size_t k0 = k;
        while (k < ob.n && ob.o[k].avail_ms <= close_ms)
            k++;
        int64_t ph = o.anchor_last ? t_last - ts : ts;
        int keep = ts + stamp >= from_ms && ph % o.sample_ms == 0;
        double *dst = keep ? out->X + r * out->ncol : row;
        if ((rc = cpe_features_push(f, &bars[i], ob.o + k0, k - k0, dst))) {
            cpe_diag_set(d, rc, "%s: bar %lld rejected by the feature engine (bad price?)",
                         out->instrument, (long long)ts);
            goto fail;
        }
        if (keep) {
            out->ts_ms[r] = ts + stamp;
            out->close[r] = bars[i].close;
            r++;
        }
    }
    out->n = r;
    out->sources = cpe_features_sources_seen(f);

    if (label_closes(out, kl, nk, stamp)) goto nomem;
    rc = 0;
    goto done;
nomem:
    rc = cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory building the feature matrix",
                      out->instrument);
fail : {
    char keep_name[CPE_INSTR_KEY_MAX];
    memcpy(keep_name, out->instrument, sizeof keep_name);
    cpe_dataset_free(out);
    memcpy(out->instrument, keep_name, sizeof keep_name);
}
done:
    cpe_features_free(f);
    free(row);
    free(ob.o);
    free(bars);
    free(kl);
    return rc;
}
