/* dataset.c — a feature matrix from the store (cpe/dataset.h): resolve the main series (1m,
 * or a real coarser one when only that exists), gather every side series as
 * availability-stamped observations, stream the bars through the feature engine and keep
 * the sampled rows. */
#include "cpe/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_MIN 60000LL
#define MS_HOUR 3600000LL
#define MS_DAY 86400000LL
#define COARSE_MIN_FINE_MS (30LL * MS_DAY) /* real 1m history that beats a coarse series */
#define SIDE_LOOKBACK_MS (31LL * MS_DAY)   /* side points read before the first bar */
#define LARGE_TRADE_USD 100000.0

typedef struct obsbuf {
    cpe_feature_obs_t *o;
    size_t n, cap;
} obsbuf_t;

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

static int exists(cpe_store_t *st, const char *instr, const char *kind, cpe_series_info_t *info)
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
        if (!exists(st, instr, kline_kinds[k], &si)) continue;
        int64_t iv = 0;
        if (cpe_interval_parse(kline_kinds[k] + 6, &iv)) continue;
        cpe_kline_t *kl = NULL;
        size_t n = 0;
        int rc = st->ops->get_klines(st, si.id, from - iv, to, &kl, &n);
        for (size_t i = 0; !rc && i < n; i++) {
            cpe_feature_obs_t o = {.avail_ms = kl[i].ts_ms + iv,
                                   .interval_ms = iv,
                                   .kind = kind,
                                   .v = {kl[i].close, NAN, NAN, NAN, NAN, NAN}};
            rc = obs_push(ob, &o);
        }
        free(kl);
        *found = n > 0;
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
    if (!exists(st, instr, kind, &si)) return 0;
    if (avail_add_ms < 0) avail_add_ms = si.interval_ms; /* period aggregate: end of period */
    if (interval_ms < 0) interval_ms = si.interval_ms;
    cpe_point_t *p = NULL;
    size_t n = 0;
    int rc = st->ops->get_points(st, si.id, from - avail_add_ms, to - avail_add_ms, &p, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        cpe_feature_obs_t o = {.avail_ms = p[i].ts_ms + avail_add_ms,
                               .interval_ms = interval_ms,
                               .kind = okind,
                               .src = src};
        if (okind == CPE_FOBS_BOOK) {
            memcpy(o.v, p[i].v, sizeof o.v);
        } else {
            o.v[0] = isfinite(p[i].v[vcol]) ? p[i].v[vcol] : p[i].v[0];
            for (int k = 1; k < 6; k++)
                o.v[k] = NAN;
        }
        rc = obs_push(ob, &o);
    }
    free(p);
    *found = n > 0;
    return rc;
}

static int by_avail(const void *a, const void *b)
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
            if (exists(st, key, kinds[k], si) && !si->simulated &&
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
    if (exists(st, what, "kline:1m", si)) return 0;
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
static int resolve(cpe_store_t *st, const char *what, int64_t from, int64_t to,
                   cpe_instrument_t *in, cpe_series_info_t *si, cpe_diag_t *d)
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

static int gather_obs(cpe_store_t *st, const cpe_instrument_t *in, int64_t from, int64_t to,
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
    int rc = resolve(st, symbol, from_ms, to_ms, &in, &si, d);
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
    bars = malloc(nb * sizeof *bars);
    if (!bars) goto nomem;
    for (size_t i = 0; i < nb; i++)
        cpe_bar_from_kline(&bars[i], &kl[i]);
    out->first_bar_ms = bars[0].ts_ms + stamp;
    out->last_bar_ms = bars[nb - 1].ts_ms + stamp;

    int found;
    char perp[128];
    snprintf(perp, sizeof perp, "%s:perp:%s", in.exchange, in.symbol);
    if ((rc = attach_liq(st, perp, bars, nb, bar_ms, &found)) ||
        (rc = attach_trades(st, out->instrument, bars, nb, bar_ms, &found)) ||
        (rc = gather_obs(st, &in, bars[0].ts_ms, bars[nb - 1].ts_ms + bar_ms, &ob))) {
        if (rc == CPE_ENOMEM) goto nomem;
        cpe_diag_set(d, rc, "%s: reading side series: %s", out->instrument, st->diag.msg);
        goto fail;
    }
    if (ob.n) qsort(ob.o, ob.n, sizeof *ob.o, by_avail);

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
    char asset[32];
    cpe_asset_t par;
    cpe_symbol_to_asset(in.symbol, asset, sizeof asset);
    cpe_features_config_t cfg = {.bar_ms = bar_ms,
                                 .main_kind = in.kind,
                                 .main_is_eth =
                                     !cpe_asset_params(asset, &par, NULL) && par.cross_numerator};
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

    /* 1m closes for labels: from the first row to the end of the tail */
    size_t i0 = bar_index(bars, nb, out->ts_ms[0] - stamp);
    out->n1m = nk - i0;
    out->ts1m = malloc(out->n1m * sizeof *out->ts1m);
    out->close1m = malloc(out->n1m * sizeof *out->close1m);
    if (!out->ts1m || !out->close1m) goto nomem;
    for (size_t i = 0; i < out->n1m; i++) {
        out->ts1m[i] = kl[i0 + i].ts_ms + stamp;
        out->close1m[i] = kl[i0 + i].close;
    }
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
