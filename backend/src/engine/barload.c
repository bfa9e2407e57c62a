/* barload.c — klines + market structure from the store, aggregated (cpe/barload.h). */
#include "cpe/barload.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIDE_LOOKBACK_MS CPE_MS_PER_DAY             /* OI/funding older than this count as absent */
#define OI_DAILY_SERIES "futures_open_interest_usd" /* series:ASSET:<this>, daily USD */
#define WINDOW_MS                                                                                  \
    (8 * CPE_MS_PER_DAY) /* klines are read a few days at a time into one                          \
                            reused buffer: a year of 1m klines never sits                          \
                            in memory twice */

/* What the store has of one series: klines (cpe_store_kline_probe) or points (ok, id). */
typedef cpe_kline_span_t found_t;

static int64_t kline_interval(const cpe_series_info_t *s)
{
    int64_t iv = 0;
    if (strncmp(s->kind, "kline:", 6)) return 0;
    if (s->interval_ms > 0) return s->interval_ms;
    return cpe_interval_parse(s->kind + 6, &iv) ? 0 : iv;
}

static int find_points(cpe_store_t *st, const char *instr, const char *kind, found_t *f)
{
    memset(f, 0, sizeof *f);
    int rc = st->ops->series_id(st, instr, kind, 0, 0, 0, &f->id);
    if (rc == CPE_ENOTFOUND) return 0;
    f->ok = rc == 0;
    return rc;
}

static int not_found(cpe_store_t *st, const char *sym, int64_t iv, cpe_diag_t *d)
{
    char have[256] = "";
    size_t len = 0, n = 0;
    cpe_series_info_t *si = NULL;
    if (st->ops->list_series(st, &si, &n)) n = 0;
    for (size_t i = 0; i < n && len + 80 < sizeof have; i++) {
        cpe_instrument_t in;
        if (kline_interval(&si[i]) <= 0 || cpe_instrument_parse(si[i].instrument, &in) ||
            strcmp(in.symbol, sym))
            continue;
        len += (size_t)snprintf(have + len, sizeof have - len, "%s%s %s", len ? ", " : "",
                                si[i].instrument, si[i].kind);
    }
    free(si);
    const char *name = cpe_interval_name(iv);
    char ivs[32];
    if (name)
        snprintf(ivs, sizeof ivs, "%s", name);
    else
        snprintf(ivs, sizeof ivs, "%lld ms", (long long)iv);
    if (!len) return cpe_diag_set(d, CPE_ENOTFOUND, "no klines of %s in the store", sym);
    return cpe_diag_set(d, CPE_ENOTFOUND, "no klines of %s can serve %s bars (stored: %s)", sym,
                        ivs, have);
}

/* Index of the bar with open time t in b[0..n) (ascending), or -1. Callers look up
 * ascending times, so *hint walks forward: O(n + m) over a whole pass. */
static long bar_at(const cpe_bar_t *b, size_t n, int64_t t, size_t *hint)
{
    size_t i = *hint;
    while (i < n && b[i].ts_ms < t)
        i++;
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
    int64_t S; /* source interval */
    int64_t *close;
    int64_t a, z; /* read range */
    size_t cap;
} ctx_t;

typedef int (*kline_fn)(ctx_t *c, const cpe_kline_t *k, size_t n, void *arg);

/* Read f's klines with open time in [a, z) window by window; fn sees each window. */
static int each_kline_window(ctx_t *c, const found_t *f, int64_t a, int64_t z, kline_fn fn,
                             void *arg)
{
    int64_t lo = a > f->first_ts ? a : f->first_ts;
    int64_t hi = f->last_ts + f->interval_ms;
    if (z < hi) hi = z;
    cpe_kline_t *buf = NULL;
    int rc = 0;
    for (int64_t w = lo; w < hi && !rc;) {
        int64_t we = cpe_day_start_ms(w) + WINDOW_MS;
        if (we > hi) we = hi;
        size_t n = 0;
        rc = c->st->ops->get_klines(c->st, f->id, w, we, &buf, &n);
        if (!rc && n) rc = fn(c, buf, n, arg);
        w = we;
    }
    free(buf);
    return rc;
}

/* An upper bound of the klines of f in [a, z) (for one allocation up front). */
static size_t kline_bound(const found_t *f, int64_t a, int64_t z)
{
    int64_t lo = a > f->first_ts ? a : f->first_ts;
    int64_t hi = f->last_ts + f->interval_ms;
    if (z < hi) hi = z;
    if (hi <= lo || f->interval_ms <= 0) return 0;
    int64_t span = (hi - lo) / f->interval_ms + 1;
    return (size_t)(span < f->count ? span : f->count);
}

static int grow_to(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, nc * elem);
    if (!q) return CPE_ENOMEM;
    *p = q;
    *cap = nc;
    return 0;
}

static int add_price_bars(ctx_t *c, const cpe_kline_t *k, size_t n, void *arg)
{
    size_t cap_close = c->cap;
    (void)arg;
    if (c->n + n > c->cap) {
        if (grow_to((void **)&c->close, &cap_close, c->n + n, sizeof *c->close) ||
            grow_to((void **)&c->b, &c->cap, c->n + n, sizeof *c->b))
            return CPE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        cpe_bar_from_kline(&c->b[c->n], &k[i]);
        c->close[c->n++] = k[i].ts_ms + c->S;
    }
    return 0;
}

/* Latest-available values of v[col] of a point series into the bars' field at offset. */
/* Latest-available value of column col of a point series into the bar field at field_off.
 * An observation stamped ts becomes available at ts + delay_ms (a daily value stamped D
 * at D + 1 day). */
static int attach_asof(ctx_t *c, const found_t *f, int col, size_t field_off, int64_t delay_ms,
                       int64_t max_age)
{
    cpe_point_t *p = NULL;
    size_t np = 0;
    int rc = c->st->ops->get_points(c->st, f->id, sub_sat(c->a, max_age + delay_ms), c->z, &p, &np);
    int64_t *t = malloc((np + 1) * sizeof *t);
    double *v = malloc((np + 1) * sizeof *v), *o = malloc((c->n + 1) * sizeof *o);
    if (!rc && (!t || !v || !o)) rc = CPE_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < np; i++) {
            t[i] = p[i].ts_ms + delay_ms;
            v[i] = p[i].v[col];
        }
        cpe_align_asof(t, v, np, c->close, c->n, max_age, o);
        for (size_t i = 0; i < c->n; i++)
            *(double *)((char *)&c->b[i] + field_off) = o[i];
    }
    free(p);
    free(t);
    free(v);
    free(o);
    return rc;
}

/* Liquidation notional per bar. Coverage (0 inside, NaN outside): a simulated feed is
 * complete over the simulated perp's klines; any other feed covers the UTC days in which
 * it has at least one event (real liquidation data comes as day files or streams, and a
 * day without a file says nothing). */
static int attach_liq(ctx_t *c, const found_t *liq, const found_t *perp, int simulated)
{
    cpe_point_t *p = NULL;
    size_t np = 0, hint = 0, j = 0;
    /* whole UTC days, so that coverage sees events outside [a, z) on the same days */
    int64_t ra = c->a == INT64_MIN ? INT64_MIN : cpe_day_start_ms(c->a);
    int64_t rz = c->z == INT64_MAX ? INT64_MAX : cpe_day_start_ms(c->z - 1) + CPE_MS_PER_DAY;
    int rc = c->st->ops->get_points(c->st, liq->id, ra, rz, &p, &np);
    for (size_t i = 0; i < c->n; i++) {
        int in;
        if (simulated && perp->ok) {
            in = c->b[i].ts_ms + c->S > perp->first_ts &&
                 c->b[i].ts_ms < perp->last_ts + perp->interval_ms;
        } else { /* an event on the bar's first UTC day or within the bar */
            int64_t d0 = cpe_day_start_ms(c->b[i].ts_ms), end = c->b[i].ts_ms + c->S;
            while (j < np && p[j].ts_ms < d0)
                j++;
            in = j < np && (p[j].ts_ms < d0 + CPE_MS_PER_DAY || p[j].ts_ms < end);
        }
        c->b[i].liq_long = c->b[i].liq_short = in ? 0.0 : NAN;
    }
    for (size_t i = 0; !rc && i < np; i++) {
        long k = bar_at(c->b, c->n, cpe_floor_ms(p[i].ts_ms, c->S), &hint);
        if (k < 0 || !(p[i].v[1] > 0) || !(p[i].v[2] >= 0)) continue;
        double usd = p[i].v[1] * p[i].v[2];
        if (p[i].v[0] > 0)
            c->b[k].liq_long = isnan(c->b[k].liq_long) ? usd : c->b[k].liq_long + usd;
        else
            c->b[k].liq_short = isnan(c->b[k].liq_short) ? usd : c->b[k].liq_short + usd;
    }
    free(p);
    return rc;
}

/* large_quote from a trade tape: 0 inside the span of the trades read, NaN outside */
static int attach_trades(ctx_t *c, const found_t *tr)
{
    cpe_point_t *p = NULL;
    size_t np = 0, hint = 0;
    int rc = c->st->ops->get_points(c->st, tr->id, c->a, c->z, &p, &np);
    for (size_t i = 0; i < c->n; i++) {
        int in = np && c->b[i].ts_ms + c->S > p[0].ts_ms && c->b[i].ts_ms <= p[np - 1].ts_ms;
        c->b[i].large_quote = in ? 0.0 : NAN;
    }
    for (size_t i = 0; !rc && i < np; i++) {
        double q = p[i].v[0] * p[i].v[1];
        if (!(q > CPE_LARGE_TRADE_USD)) continue;
        long k = bar_at(c->b, c->n, cpe_floor_ms(p[i].ts_ms, c->S), &hint);
        if (k >= 0) c->b[k].large_quote += q;
    }
    free(p);
    return rc;
}

/* (close time, close) pairs of a kline series, and the basis merge over the perp */
typedef struct closes {
    int64_t *t;
    double *c;
    size_t n, cap, j; /* j: merge position */
    int64_t interval_ms;
} closes_t;

static int add_closes(ctx_t *c, const cpe_kline_t *k, size_t n, void *arg)
{
    closes_t *x = arg;
    size_t cap_c = x->cap;
    (void)c;
    if (grow_to((void **)&x->t, &x->cap, x->n + n, sizeof *x->t) ||
        grow_to((void **)&x->c, &cap_c, x->n + n, sizeof *x->c))
        return CPE_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        x->t[x->n] = k[i].ts_ms + x->interval_ms;
        x->c[x->n++] = k[i].close;
    }
    return 0;
}

typedef struct basis_merge {
    closes_t *spot;
    closes_t out; /* (close time, basis) */
    int64_t perp_interval_ms;
} basis_merge_t;

static int merge_basis(ctx_t *c, const cpe_kline_t *k, size_t n, void *arg)
{
    basis_merge_t *m = arg;
    closes_t *sp = m->spot, *o = &m->out;
    size_t cap_c = o->cap;
    (void)c;
    if (grow_to((void **)&o->t, &o->cap, o->n + n, sizeof *o->t) ||
        grow_to((void **)&o->c, &cap_c, o->n + n, sizeof *o->c))
        return CPE_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int64_t cl = k[i].ts_ms + m->perp_interval_ms;
        while (sp->j < sp->n && sp->t[sp->j] < cl)
            sp->j++;
        if (sp->j < sp->n && sp->t[sp->j] == cl && sp->c[sp->j] > 0) {
            o->t[o->n] = cl;
            o->c[o->n++] = k[i].close / sp->c[sp->j] - 1.0;
        }
    }
    return 0;
}

/* basis = perp close / spot close - 1 at common close times, carried one perp interval */
static int attach_basis(ctx_t *c, const found_t *spot, const found_t *perp, int spot_is_price)
{
    closes_t sp = {0};
    basis_merge_t m = {&sp, {0}, perp->interval_ms};
    int64_t back = perp->interval_ms > spot->interval_ms ? perp->interval_ms : spot->interval_ms;
    int rc = 0;
    double *o = malloc((c->n + 1) * sizeof *o);
    if (!o) return CPE_ENOMEM;
    sp.interval_ms = spot->interval_ms;
    if (spot_is_price) { /* the bars hold the spot closes; read only the lookback before */
        int64_t first = c->n ? c->b[0].ts_ms : c->a;
        rc = each_kline_window(c, spot, sub_sat(first, back), first, add_closes, &sp);
        size_t cap_c = sp.cap;
        if (!rc && (grow_to((void **)&sp.t, &sp.cap, sp.n + c->n, sizeof *sp.t) ||
                    grow_to((void **)&sp.c, &cap_c, sp.n + c->n, sizeof *sp.c)))
            rc = CPE_ENOMEM;
        for (size_t i = 0; !rc && i < c->n; i++) {
            sp.t[sp.n] = c->close[i];
            sp.c[sp.n++] = c->b[i].close;
        }
    } else {
        rc = each_kline_window(c, spot, sub_sat(c->a, back), c->z, add_closes, &sp);
    }
    if (!rc) rc = each_kline_window(c, perp, sub_sat(c->a, back), c->z, merge_basis, &m);
    if (!rc) {
        cpe_align_asof(m.out.t, m.out.c, m.out.n, c->close, c->n, perp->interval_ms, o);
        for (size_t i = 0; i < c->n; i++)
            c->b[i].basis = o[i];
    }
    free(sp.t);
    free(sp.c);
    free(m.out.t);
    free(m.out.c);
    free(o);
    return rc;
}

/* The price series of `what` (an instrument key, or the universe's rule for a symbol):
 * its span, its key in inf, its exchange and symbol. */
static int resolve_price(cpe_store_t *st, const char *what, int64_t interval_ms, int64_t from_ms,
                         int64_t to_ms, found_t *price, cpe_barload_info_t *inf, char exch[16],
                         char sym[32], cpe_diag_t *d)
{
    int rc = 0;
    cpe_instrument_t in;
    if (strchr(what, ':')) {
        if (cpe_instrument_parse(what, &in) || in.kind == CPE_SERIES) {
            return cpe_diag_set(d, CPE_EINVAL,
                                "'%s' is not an instrument key (exchange:spot|perp:SYMBOL)", what);
        }
        cpe_instrument_key(&in, inf->instrument);
        rc = cpe_store_kline_probe(st, inf->instrument, interval_ms, price);
        snprintf(exch, 16, "%s", in.exchange);
        snprintf(sym, 32, "%s", in.symbol);
    } else {
        cpe_resolved_t r;
        cpe_asset_to_symbol(what, sym);
        rc = cpe_store_resolve(st, sym, CPE_MARKET_ANY, interval_ms, CPE_PREFER_REAL, from_ms,
                               to_ms, &r, NULL);
        if (rc == CPE_ENOTFOUND) {
            rc = 0; /* not_found() below says what the store has instead */
        } else if (!rc) {
            *price = r.span;
            snprintf(inf->instrument, sizeof inf->instrument, "%s", r.instrument);
            snprintf(exch, 16, "%s", r.in.exchange);
        }
    }
    if (rc) return cpe_diag_set(d, rc, "%s", st->diag.msg);
    if (!price->ok) return not_found(st, sym, interval_ms, d);
    return 0;
}

int cpe_load_bars(cpe_store_t *st, const char *what, int64_t interval_ms, int64_t from_ms,
                  int64_t to_ms, cpe_bar_t **out, size_t *n, cpe_barload_info_t *info,
                  cpe_diag_t *d)
{
    ctx_t c = {0};
    cpe_barload_info_t inf = {0};
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (interval_ms <= 0)
        return cpe_diag_set(d, CPE_EINVAL, "bar interval (%lld ms) must be > 0",
                            (long long)interval_ms);

    /* 1. resolve the price instrument */
    found_t price = {0};
    char exch[16] = "", sym[32] = "";
    if ((rc = resolve_price(st, what, interval_ms, from_ms, to_ms, &price, &inf, exch, sym, d)))
        goto out;
    inf.src_interval_ms = c.S = price.interval_ms;
    inf.first_ts = price.first_ts;
    inf.last_ts = price.last_ts;
    inf.simulated = price.simulated;

    /* 2. the source klines of the whole buckets that open in [from, to) */
    c.st = st;
    c.a = from_ms == INT64_MIN ? INT64_MIN : cpe_floor_ms(from_ms, interval_ms);
    c.z = to_ms == INT64_MAX ? INT64_MAX : cpe_floor_ms(to_ms - 1, interval_ms) + interval_ms;
    if (to_ms <= from_ms) goto out;
    c.cap = kline_bound(&price, c.a, c.z);
    if (c.cap == 0) goto out;
    c.b = malloc(c.cap * sizeof *c.b);
    c.close = malloc(c.cap * sizeof *c.close);
    if (!c.b || !c.close)
        rc = CPE_ENOMEM;
    else
        rc = each_kline_window(&c, &price, c.a, c.z, add_price_bars, NULL);
    if (rc) {
        cpe_diag_set(d, rc, "%s: %s", inf.instrument,
                     rc == CPE_ENOMEM ? "out of memory" : st->diag.msg);
        goto out;
    }
    if (c.n == 0) goto out;

    /* 3. market structure from the same exchange */
    char perp_key[CPE_INSTR_KEY_MAX], spot_key[CPE_INSTR_KEY_MAX];
    snprintf(perp_key, sizeof perp_key, "%s:perp:%s", exch, sym);
    snprintf(spot_key, sizeof spot_key, "%s:spot:%s", exch, sym);
    found_t perp, spot, liq, oi, fund, tr;
    if ((rc = cpe_store_kline_probe(st, perp_key, 0, &perp)) ||
        (rc = cpe_store_kline_probe(st, spot_key, 0, &spot)) ||
        (rc = find_points(st, perp_key, "liq", &liq)) ||
        (rc = find_points(st, perp_key, "oi", &oi)) ||
        (rc = find_points(st, perp_key, "funding", &fund)) ||
        (rc = find_points(st, inf.instrument, "trade", &tr)) ||
        (!tr.ok && (rc = find_points(st, inf.instrument, "trade_large", &tr))))
        goto fail_store;
    if (!rc && liq.ok) rc = attach_liq(&c, &liq, &perp, !strcmp(exch, CPE_SIM_EXCHANGE));
    if (!rc && !oi.ok) { /* fallback: a daily OI series of the asset, usable from D+1 */
        char okey[CPE_INSTR_KEY_MAX], asset[CPE_ASSET_NAME_MAX];
        cpe_symbol_to_asset(sym, asset, sizeof asset);
        snprintf(okey, sizeof okey, "series:%s:%s", asset, OI_DAILY_SERIES);
        if (!(rc = find_points(st, okey, "series:" OI_DAILY_SERIES, &oi)) && oi.ok) {
            rc = attach_asof(&c, &oi, 0, offsetof(cpe_bar_t, oi), CPE_MS_PER_DAY,
                             2 * CPE_MS_PER_DAY);
            inf.oi_daily = 1;
        }
    } else if (!rc) {
        rc = attach_asof(&c, &oi, 1, offsetof(cpe_bar_t, oi), 0, SIDE_LOOKBACK_MS);
    }
    if (!rc && fund.ok)
        rc = attach_asof(&c, &fund, 0, offsetof(cpe_bar_t, funding), 0, SIDE_LOOKBACK_MS);
    if (!rc && perp.ok && spot.ok) rc = attach_basis(&c, &spot, &perp, spot.id == price.id);
    if (!rc && tr.ok) rc = attach_trades(&c, &tr);
fail_store:
    if (rc) {
        cpe_diag_set(d, rc, "%s: %s", inf.instrument,
                     rc == CPE_ENOMEM ? "out of memory" : st->diag.msg);
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
    if (!agg || !part)
        rc = cpe_diag_set(d, CPE_ENOMEM, "out of memory aggregating %zu bars", c.n);
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
    free(c.b);
    free(c.close);
    return rc;
}
