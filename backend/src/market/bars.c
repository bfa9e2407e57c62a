/* bars.c — trades -> bars, fine bars -> coarse bars, latest-available alignment
 * (see cpe/bars.h for the rules). */
#include "cpe/bars.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cpe_bar_builder_init(cpe_bar_builder_t *b, int64_t interval_ms)
{
    if (!b || interval_ms <= 0) return CPE_EINVAL;
    memset(b, 0, sizeof *b);
    b->interval_ms = interval_ms;
    b->large_quote_usd = CPE_LARGE_TRADE_USD;
    b->last_trade_ts = INT64_MIN;
    return 0;
}

static void bar_empty(cpe_bar_t *bar, int64_t ts, double price)
{
    bar->ts_ms = ts;
    bar->open = bar->high = bar->low = bar->close = price;
    bar->volume = bar->quote_volume = bar->trades = 0;
    bar->taker_buy_base = bar->taker_buy_quote = bar->cvd_delta = 0;
    bar->large_quote = 0;
    bar->liq_long = bar->liq_short = bar->oi = bar->funding = bar->basis = NAN;
}

/* Emit empty bars at the previous close from next_ts up to (not including) until_ts. */
static int fill_until(cpe_bar_builder_t *b, int64_t until_ts, cpe_bar_sink_fn sink, void *ctx)
{
    if (!b->has_close) return 0;
    for (; b->next_ts < until_ts; b->next_ts += b->interval_ms) {
        cpe_bar_t e;
        bar_empty(&e, b->next_ts, b->prev_close);
        int rc = sink(ctx, &e);
        if (rc) return rc;
    }
    return 0;
}

/* Close the bar in progress and emit empty bars up to (not including) until_ts. */
static int close_until(cpe_bar_builder_t *b, int64_t until_ts, cpe_bar_sink_fn sink, void *ctx)
{
    if (b->has_bar) {
        b->has_bar = 0;
        b->prev_close = b->cur.close;
        b->has_close = 1;
        b->next_ts = b->cur.ts_ms + b->interval_ms;
        int rc = sink(ctx, &b->cur);
        if (rc) return rc;
    }
    return fill_until(b, until_ts, sink, ctx);
}

int cpe_bar_builder_push(cpe_bar_builder_t *b, const cpe_trade_t *t, cpe_bar_sink_fn sink,
                         void *ctx, cpe_diag_t *d)
{
    if (!(isfinite(t->price) && t->price > 0))
        return cpe_diag_set(d, CPE_EINVAL, "trade at %lld: field 'price' (%g) must be > 0",
                            (long long)t->ts_ms, t->price);
    if (!(isfinite(t->qty) && t->qty >= 0))
        return cpe_diag_set(d, CPE_EINVAL, "trade at %lld: field 'qty' (%g) must be >= 0",
                            (long long)t->ts_ms, t->qty);
    if (t->side != 1 && t->side != -1)
        return cpe_diag_set(d, CPE_EINVAL, "trade at %lld: field 'side' (%d) must be +1 or -1",
                            (long long)t->ts_ms, t->side);
    if (t->ts_ms < b->last_trade_ts)
        return cpe_diag_set(d, CPE_ERANGE, "trade at %lld is before the previous trade (%lld)",
                            (long long)t->ts_ms, (long long)b->last_trade_ts);
    int64_t open = cpe_floor_ms(t->ts_ms, b->interval_ms);
    if (!b->has_bar && b->has_close && open < b->next_ts)
        return cpe_diag_set(d, CPE_ERANGE,
                            "trade at %lld falls in a bar already closed (before %lld)",
                            (long long)t->ts_ms, (long long)b->next_ts);
    if (!b->has_bar || open != b->cur.ts_ms) {
        int rc = close_until(b, open, sink, ctx);
        if (rc) return rc;
    }
    b->last_trade_ts = t->ts_ms;
    cpe_bar_t *c = &b->cur;
    double quote = t->price * t->qty;
    if (!b->has_bar) {
        bar_empty(c, open, t->price);
        b->has_bar = 1;
    }
    if (t->price > c->high) c->high = t->price;
    if (t->price < c->low) c->low = t->price;
    if (c->trades == 0) c->open = c->high = c->low = t->price;
    c->close = t->price;
    c->volume += t->qty;
    c->quote_volume += quote;
    c->trades += 1;
    if (t->side > 0) {
        c->taker_buy_base += t->qty;
        c->taker_buy_quote += quote;
        c->cvd_delta += t->qty;
    } else {
        c->cvd_delta -= t->qty;
    }
    if (quote > b->large_quote_usd) c->large_quote += quote;
    return 0;
}

int cpe_bar_builder_flush(cpe_bar_builder_t *b, int64_t now_ms, cpe_bar_sink_fn sink, void *ctx)
{
    int64_t upto = cpe_floor_ms(now_ms, b->interval_ms); /* bars opening before this ended */
    if (b->has_bar && b->cur.ts_ms + b->interval_ms > now_ms) return 0;
    return close_until(b, upto, sink, ctx);
}

int cpe_bar_builder_current(const cpe_bar_builder_t *b, cpe_bar_t *out)
{
    if (!b->has_bar) return 0;
    *out = b->cur;
    return 1;
}

typedef struct bar_vec {
    cpe_bar_t *v;
    size_t n, cap;
} bar_vec_t;

static int vec_sink(void *ctx, const cpe_bar_t *bar)
{
    bar_vec_t *bv = ctx;
    if (bv->n == bv->cap) {
        size_t nc = bv->cap ? bv->cap * 2 : 256;
        cpe_bar_t *p = realloc(bv->v, nc * sizeof *p);
        if (!p) return CPE_ENOMEM;
        bv->v = p;
        bv->cap = nc;
    }
    bv->v[bv->n++] = *bar;
    return 0;
}

int cpe_bars_from_trades(const cpe_trade_t *t, size_t n, int64_t interval_ms, cpe_bar_t **out,
                         size_t *nout, cpe_diag_t *d)
{
    cpe_bar_builder_t b;
    bar_vec_t bv = {0};
    int rc = cpe_bar_builder_init(&b, interval_ms);
    if (rc)
        return cpe_diag_set(d, rc, "bar interval (%lld ms) must be > 0", (long long)interval_ms);
    for (size_t i = 0; i < n && !rc; i++)
        rc = cpe_bar_builder_push(&b, &t[i], vec_sink, &bv, d);
    if (!rc) rc = close_until(&b, INT64_MIN, vec_sink, &bv);
    if (rc) {
        if (rc == CPE_ENOMEM) cpe_diag_set(d, rc, "out of memory building %zu bars", bv.n);
        free(bv.v);
        return rc;
    }
    *out = bv.v;
    *nout = bv.n;
    return 0;
}

size_t cpe_bars_aggregate_cap(size_t n, int64_t src_interval_ms, int64_t interval_ms)
{
    (void)src_interval_ms;
    (void)interval_ms;
    return n; /* at worst every source bar starts its own bucket */
}

/* NaN-skipping sum: a + x where NaN + x = x, x + NaN = x, NaN + NaN = NaN. */
static inline double nsum(double a, double x)
{
    if (isnan(x)) return a;
    if (isnan(a)) return x;
    return a + x;
}

static inline void bucket_add(cpe_bar_t *o, const cpe_bar_t *b)
{
    if (b->high > o->high || isnan(o->high)) o->high = b->high;
    if (b->low < o->low || isnan(o->low)) o->low = b->low;
    o->close = b->close;
    o->volume = nsum(o->volume, b->volume);
    o->quote_volume = nsum(o->quote_volume, b->quote_volume);
    o->trades = nsum(o->trades, b->trades);
    o->taker_buy_base = nsum(o->taker_buy_base, b->taker_buy_base);
    o->taker_buy_quote = nsum(o->taker_buy_quote, b->taker_buy_quote);
    o->cvd_delta = nsum(o->cvd_delta, b->cvd_delta);
    o->liq_long = nsum(o->liq_long, b->liq_long);
    o->liq_short = nsum(o->liq_short, b->liq_short);
    o->large_quote = nsum(o->large_quote, b->large_quote);
    if (!isnan(b->oi)) o->oi = b->oi;
    if (!isnan(b->funding)) o->funding = b->funding;
    if (!isnan(b->basis)) o->basis = b->basis;
}

/* Group in[0..n) into buckets of interval_ms. in_cnt[i] (NULL: 1 each) is how many source
 * bars bar i holds; out_cnt gets the same per bucket. */
static int agg_core(const cpe_bar_t *in, const int32_t *in_cnt, size_t n, int64_t interval_ms,
                    cpe_bar_t *out, int32_t *out_cnt, size_t *nout)
{
    size_t no = 0;
    int64_t bucket_end = INT64_MIN, prev_ts = INT64_MIN;
    *nout = 0;
    for (size_t i = 0; i < n; i++) {
        const cpe_bar_t *b = &in[i];
        int32_t c = in_cnt ? in_cnt[i] : 1;
        if (b->ts_ms <= prev_ts) return CPE_ERANGE;
        prev_ts = b->ts_ms;
        if (b->ts_ms < bucket_end) { /* same bucket (times ascend): no division */
            bucket_add(&out[no - 1], b);
            out_cnt[no - 1] += c;
            continue;
        }
        int64_t bucket = cpe_floor_ms(b->ts_ms, interval_ms);
        bucket_end = bucket + interval_ms;
        out[no] = *b;
        out[no].ts_ms = bucket;
        out_cnt[no] = c;
        no++;
    }
    *nout = no;
    return 0;
}

int cpe_bars_aggregate(const cpe_bar_t *in, size_t n, int64_t src_interval_ms, int64_t interval_ms,
                       cpe_bar_t *out, uint8_t *partial, size_t *nout)
{
    return cpe_bars_aggregate_many(in, n, src_interval_ms, &interval_ms, 1, &out, &partial, nout);
}

int cpe_bars_aggregate_many(const cpe_bar_t *in, size_t n, int64_t src_interval_ms,
                            const int64_t *interval_ms, size_t k, cpe_bar_t *const *out,
                            uint8_t *const *partial, size_t *nout)
{
    int rc = 0;
    for (size_t j = 0; j < k; j++)
        nout[j] = 0;
    if (src_interval_ms <= 0) return CPE_EINVAL;
    for (size_t j = 0; j < k; j++)
        if (interval_ms[j] <= 0 || interval_ms[j] % src_interval_ms) return CPE_EINVAL;
    int32_t **cnt = calloc(k ? k : 1, sizeof *cnt);
    if (!cnt) return CPE_ENOMEM;
    for (size_t j = 0; j < k && !rc; j++) {
        cnt[j] = malloc((n ? n : 1) * sizeof **cnt);
        if (!cnt[j]) {
            rc = CPE_ENOMEM;
            break;
        }
        /* the coarsest already-built interval that divides this one, else the source */
        const cpe_bar_t *src = in;
        const int32_t *src_cnt = NULL;
        size_t nsrc = n;
        int64_t best = src_interval_ms;
        for (size_t i = 0; i < j; i++)
            if (interval_ms[i] > best && interval_ms[j] % interval_ms[i] == 0) {
                best = interval_ms[i];
                src = out[i];
                src_cnt = cnt[i];
                nsrc = nout[i];
            }
        rc = agg_core(src, src_cnt, nsrc, interval_ms[j], out[j], cnt[j], &nout[j]);
        int64_t per = interval_ms[j] / src_interval_ms;
        for (size_t i = 0; !rc && partial && partial[j] && i < nout[j]; i++)
            partial[j][i] = cnt[j][i] < per;
    }
    for (size_t j = 0; j < k; j++)
        free(cnt[j]);
    free(cnt);
    if (rc)
        for (size_t j = 0; j < k; j++)
            nout[j] = 0;
    return rc;
}

void cpe_align_asof(const int64_t *a, const double *v, size_t n, const int64_t *q, size_t m,
                    int64_t max_age_ms, double *out)
{
    size_t i = 0;
    double cur = NAN;
    int64_t cur_ts = 0;
    for (size_t j = 0; j < m; j++) {
        while (i < n && a[i] <= q[j]) {
            if (!isnan(v[i])) {
                cur = v[i];
                cur_ts = a[i];
            }
            i++;
        }
        if (isnan(cur) || (max_age_ms > 0 && q[j] - cur_ts > max_age_ms))
            out[j] = NAN;
        else
            out[j] = cur;
    }
}
