/* barload.c — klines + market structure from the store, aggregated (cpe/barload.h). */
#include "cpe/barload.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIDE_LOOKBACK_MS CPE_MS_PER_DAY /* OI/funding older than this count as absent */

static const char *const exchange_order[] = {"binance", "sim"};
static const char *const market_order[] = {"spot", "perp"};

typedef struct found {
    int ok;
    int64_t id, interval_ms, first_ts, last_ts;
    int simulated;
} found_t;

static int64_t kline_interval(const cpe_series_info_t *s)
{
    int64_t iv = 0;
    if (strncmp(s->kind, "kline:", 6)) return 0;
    if (s->interval_ms > 0) return s->interval_ms;
    return cpe_interval_parse(s->kind + 6, &iv) ? 0 : iv;
}

/* The finest non-empty kline series of instr whose interval divides div (0: any). */
static found_t find_kline(const cpe_series_info_t *si, size_t n, const char *instr, int64_t div)
{
    found_t f = {0};
    for (size_t i = 0; i < n; i++) {
        int64_t iv = kline_interval(&si[i]);
        if (iv <= 0 || si[i].count <= 0 || strcmp(si[i].instrument, instr)) continue;
        if (div > 0 && div % iv) continue;
        if (!f.ok || iv < f.interval_ms)
            f = (found_t){1, si[i].id, iv, si[i].first_ts, si[i].last_ts, si[i].simulated};
    }
    return f;
}

static found_t find_points(const cpe_series_info_t *si, size_t n, const char *instr, const char *kind)
{
    found_t f = {0};
    for (size_t i = 0; i < n; i++)
        if (si[i].count > 0 && !strcmp(si[i].instrument, instr) && !strcmp(si[i].kind, kind))
            f = (found_t){1, si[i].id, si[i].interval_ms, si[i].first_ts, si[i].last_ts, si[i].simulated};
    return f;
}

static int not_found(const cpe_series_info_t *si, size_t n, const char *sym, int64_t iv, cpe_diag_t *d)
{
    char have[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < n && len + 80 < sizeof have; i++) {
        cpe_instrument_t in;
        if (kline_interval(&si[i]) <= 0 || cpe_instrument_parse(si[i].instrument, &in) ||
            strcmp(in.symbol, sym))
            continue;
        len += (size_t)snprintf(have + len, sizeof have - len, "%s%s %s", len ? ", " : "",
                                si[i].instrument, si[i].kind);
    }
    const char *name = cpe_interval_name(iv);
    char ivs[32];
    if (name) snprintf(ivs, sizeof ivs, "%s", name);
    else snprintf(ivs, sizeof ivs, "%lld ms", (long long)iv);
    if (!len) return cpe_diag_set(d, CPE_ENOTFOUND, "no klines of %s in the store", sym);
    return cpe_diag_set(d, CPE_ENOTFOUND, "no klines of %s can serve %s bars (stored: %s)", sym, ivs,
                        have);
}

/* Index of the bar with open time t in b[0..n) (ascending), or -1. Callers look up
 * ascending times, so *hint walks forward: O(n + m) over a whole pass. */
static long bar_at(const cpe_bar_t *b, size_t n, int64_t t, size_t *hint)
{
    size_t i = *hint;
    while (i < n && b[i].ts_ms < t) i++;
    *hint = i;
    return i < n && b[i].ts_ms == t ? (long)i : -1;
}

static int64_t sub_sat(int64_t a, int64_t b)
{
    return a == INT64_MIN || a < INT64_MIN + b ? INT64_MIN : a - b;
}

typedef struct ctx {
    cpe_store_t *st;
    cpe_bar_t *b;
    size_t n;
    int64_t S;  /* source interval */
    int64_t *close;
    int64_t a, z; /* read range */
} ctx_t;

/* Latest-available values of v[col] of a point series into the bars' field at offset. */
static int attach_asof(ctx_t *c, const found_t *f, int col, size_t field_off, int64_t max_age)
{
    cpe_point_t *p = NULL;
    size_t np = 0;
    int rc = c->st->ops->get_points(c->st, f->id, sub_sat(c->a, SIDE_LOOKBACK_MS), c->z, &p, &np);
    int64_t *t = malloc((np + 1) * sizeof *t);
    double *v = malloc((np + 1) * sizeof *v), *o = malloc((c->n + 1) * sizeof *o);
    if (!rc && (!t || !v || !o)) rc = CPE_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < np; i++) {
            t[i] = p[i].ts_ms;
            v[i] = p[i].v[col];
        }
        cpe_align_asof(t, v, np, c->close, c->n, max_age, o);
        for (size_t i = 0; i < c->n; i++) *(double *)((char *)&c->b[i] + field_off) = o[i];
    }
    free(p);
    free(t);
    free(v);
    free(o);
    return rc;
}

static int attach_liq(ctx_t *c, const found_t *liq, const found_t *perp)
{
    int64_t c0 = liq->first_ts, c1 = liq->last_ts + 1;
    if (perp->ok) {
        c0 = perp->first_ts < c0 ? perp->first_ts : c0;
        c1 = perp->last_ts + perp->interval_ms > c1 ? perp->last_ts + perp->interval_ms : c1;
    }
    for (size_t i = 0; i < c->n; i++) {
        int in = c->b[i].ts_ms + c->S > c0 && c->b[i].ts_ms < c1;
        c->b[i].liq_long = c->b[i].liq_short = in ? 0.0 : NAN;
    }
    cpe_point_t *p = NULL;
    size_t np = 0, hint = 0;
    int rc = c->st->ops->get_points(c->st, liq->id, c->a, c->z, &p, &np);
    for (size_t i = 0; !rc && i < np; i++) {
        long k = bar_at(c->b, c->n, cpe_floor_ms(p[i].ts_ms, c->S), &hint);
        if (k < 0 || !(p[i].v[1] > 0) || !(p[i].v[2] >= 0)) continue;
        double usd = p[i].v[1] * p[i].v[2];
        if (p[i].v[0] > 0) c->b[k].liq_long = isnan(c->b[k].liq_long) ? usd : c->b[k].liq_long + usd;
        else c->b[k].liq_short = isnan(c->b[k].liq_short) ? usd : c->b[k].liq_short + usd;
    }
    free(p);
    return rc;
}

static int attach_trades(ctx_t *c, const found_t *tr)
{
    for (size_t i = 0; i < c->n; i++) {
        int in = c->b[i].ts_ms + c->S > tr->first_ts && c->b[i].ts_ms <= tr->last_ts;
        c->b[i].large_quote = in ? 0.0 : NAN;
    }
    cpe_point_t *p = NULL;
    size_t np = 0, hint = 0;
    int rc = c->st->ops->get_points(c->st, tr->id, c->a, c->z, &p, &np);
    for (size_t i = 0; !rc && i < np; i++) {
        double q = p[i].v[0] * p[i].v[1];
        if (!(q > CPE_LARGE_TRADE_USD)) continue;
        long k = bar_at(c->b, c->n, cpe_floor_ms(p[i].ts_ms, c->S), &hint);
        if (k >= 0) c->b[k].large_quote += q;
    }
    free(p);
    return rc;
}

/* basis = perp close / spot close - 1 at common close times, carried one perp interval */
static int attach_basis(ctx_t *c, const found_t *spot, const found_t *perp)
{
    cpe_kline_t *ks = NULL, *kp = NULL;
    size_t ns = 0, np = 0, m = 0;
    int64_t back = perp->interval_ms > spot->interval_ms ? perp->interval_ms : spot->interval_ms;
    int rc = c->st->ops->get_klines(c->st, spot->id, sub_sat(c->a, back), c->z, &ks, &ns);
    if (!rc) rc = c->st->ops->get_klines(c->st, perp->id, sub_sat(c->a, back), c->z, &kp, &np);
    int64_t *t = malloc((np + 1) * sizeof *t);
    double *v = malloc((np + 1) * sizeof *v), *o = malloc((c->n + 1) * sizeof *o);
    if (!rc && (!t || !v || !o)) rc = CPE_ENOMEM;
    for (size_t i = 0, j = 0; !rc && i < np; i++) {
        int64_t cl = kp[i].ts_ms + perp->interval_ms;
        while (j < ns && ks[j].ts_ms + spot->interval_ms < cl) j++;
        if (j < ns && ks[j].ts_ms + spot->interval_ms == cl && ks[j].close > 0) {
            t[m] = cl;
            v[m++] = kp[i].close / ks[j].close - 1.0;
        }
    }
    if (!rc) {
        cpe_align_asof(t, v, m, c->close, c->n, perp->interval_ms, o);
        for (size_t i = 0; i < c->n; i++) c->b[i].basis = o[i];
    }
    free(ks);
    free(kp);
    free(t);
    free(v);
    free(o);
    return rc;
}

int cpe_load_bars(cpe_store_t *st, const char *what, int64_t interval_ms, int64_t from_ms,
                  int64_t to_ms, cpe_bar_t **out, size_t *n, cpe_barload_info_t *info,
                  cpe_diag_t *d)
{
    cpe_series_info_t *si = NULL;
    size_t nsi = 0;
    cpe_kline_t *k = NULL;
    size_t nk = 0;
    ctx_t c = {0};
    cpe_barload_info_t inf = {0};
    int rc;
    *out = NULL;
    *n = 0;
    if (interval_ms <= 0) return cpe_diag_set(d, CPE_EINVAL, "bar interval (%lld ms) must be > 0", (long long)interval_ms);
    if ((rc = st->ops->list_series(st, &si, &nsi)))
        return cpe_diag_set(d, rc, "%s", st->diag.msg);

    /* 1. resolve the price instrument */
    cpe_instrument_t in;
    found_t price = {0};
    char exch[16] = "", sym[32] = "";
    if (strchr(what, ':')) {
        if (cpe_instrument_parse(what, &in) || in.kind == CPE_SERIES) {
            rc = cpe_diag_set(d, CPE_EINVAL, "'%s' is not an instrument key (exchange:spot|perp:SYMBOL)", what);
            goto out;
        }
        cpe_instrument_key(&in, inf.instrument);
        price = find_kline(si, nsi, inf.instrument, interval_ms);
        snprintf(exch, sizeof exch, "%s", in.exchange);
        snprintf(sym, sizeof sym, "%s", in.symbol);
    } else {
        cpe_asset_to_symbol(what, sym);
        for (size_t e = 0; e < 2 && !price.ok; e++)
            for (size_t mk = 0; mk < 2 && !price.ok; mk++) {
                snprintf(inf.instrument, sizeof inf.instrument, "%s:%s:%s", exchange_order[e],
                         market_order[mk], sym);
                price = find_kline(si, nsi, inf.instrument, interval_ms);
                snprintf(exch, sizeof exch, "%s", exchange_order[e]);
            }
    }
    if (!price.ok) {
        rc = not_found(si, nsi, sym, interval_ms, d);
        goto out;
    }
    inf.src_interval_ms = c.S = price.interval_ms;
    inf.simulated = price.simulated;

    /* 2. the source klines of the whole buckets that open in [from, to) */
    c.st = st;
    c.a = from_ms == INT64_MIN ? INT64_MIN : cpe_floor_ms(from_ms, interval_ms);
    c.z = to_ms == INT64_MAX ? INT64_MAX : cpe_floor_ms(to_ms - 1, interval_ms) + interval_ms;
    if (to_ms <= from_ms) goto out;
    if ((rc = st->ops->get_klines(st, price.id, c.a, c.z, &k, &nk))) {
        cpe_diag_set(d, rc, "%s", st->diag.msg);
        goto out;
    }
    if (nk == 0) goto out;
    c.b = malloc(nk * sizeof *c.b);
    c.close = malloc(nk * sizeof *c.close);
    if (!c.b || !c.close) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "out of memory loading %zu bars", nk);
        goto out;
    }
    c.n = nk;
    for (size_t i = 0; i < nk; i++) {
        cpe_bar_from_kline(&c.b[i], &k[i]);
        c.close[i] = k[i].ts_ms + c.S;
    }

    /* 3. market structure from the same exchange */
    char perp_key[CPE_INSTR_KEY_MAX], spot_key[CPE_INSTR_KEY_MAX];
    snprintf(perp_key, sizeof perp_key, "%s:perp:%s", exch, sym);
    snprintf(spot_key, sizeof spot_key, "%s:spot:%s", exch, sym);
    found_t perp = find_kline(si, nsi, perp_key, 0), spot = find_kline(si, nsi, spot_key, 0);
    found_t liq = find_points(si, nsi, perp_key, "liq"), oi = find_points(si, nsi, perp_key, "oi");
    found_t fund = find_points(si, nsi, perp_key, "funding");
    found_t tr = find_points(si, nsi, inf.instrument, "trade");
    if (!rc && liq.ok) rc = attach_liq(&c, &liq, &perp);
    if (!rc && oi.ok) rc = attach_asof(&c, &oi, 1, offsetof(cpe_bar_t, oi), SIDE_LOOKBACK_MS);
    if (!rc && fund.ok) rc = attach_asof(&c, &fund, 0, offsetof(cpe_bar_t, funding), SIDE_LOOKBACK_MS);
    if (!rc && perp.ok && spot.ok) rc = attach_basis(&c, &spot, &perp);
    if (!rc && tr.ok) rc = attach_trades(&c, &tr);
    if (rc) {
        cpe_diag_set(d, rc, "%s: %s", inf.instrument, rc == CPE_ENOMEM ? "out of memory" : st->diag.msg);
        goto out;
    }
    inf.has_liq = liq.ok;
    inf.has_oi = oi.ok;
    inf.has_funding = fund.ok;
    inf.has_basis = perp.ok && spot.ok;
    inf.has_trades = tr.ok;

    /* 4. aggregate */
    if (interval_ms == c.S) {
        *out = c.b;
        *n = c.n;
        c.b = NULL;
        goto out;
    }
    size_t cap = cpe_bars_aggregate_cap(c.n, c.S, interval_ms), no = 0;
    cpe_bar_t *agg = malloc(cap * sizeof *agg);
    uint8_t *part = malloc(cap);
    if (!agg || !part) rc = cpe_diag_set(d, CPE_ENOMEM, "out of memory aggregating %zu bars", c.n);
    else if ((rc = cpe_bars_aggregate(c.b, c.n, c.S, interval_ms, agg, part, &no)))
        cpe_diag_set(d, rc, "%s: klines out of order", inf.instrument);
    if (!rc && no) {
        inf.last_partial = part[no - 1];
        cpe_bar_t *shrunk = realloc(agg, no * sizeof *agg);
        *out = shrunk ? shrunk : agg;
        *n = no;
        agg = NULL;
    }
    free(agg);
    free(part);
out:
    if (info) *info = inf;
    free(si);
    free(k);
    free(c.b);
    free(c.close);
    return rc;
}
