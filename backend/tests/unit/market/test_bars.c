/* test_bars.c — trades -> bars, aggregation against hand-computed cases, alignment. */
#include "cpe/bars.h"
#include "cpe/rng.h"
#include "test.h"

#define M 60000LL
#define T0 1704067200000LL /* 2024-01-01T00:00:00Z */

static cpe_bar_t mk(int64_t ts, double o, double h, double l, double c, double v, double tb)
{
    cpe_kline_t k = {ts, o, h, l, c, v, v * c, 10, tb, tb * c};
    cpe_bar_t b;
    cpe_bar_from_kline(&b, &k);
    return b;
}

static void test_trades_build_ohlcv_cvd_and_large_quote(void)
{
    cpe_trade_t t[] = {
        {T0 + 1000, 100.0, 2.0, +1},     /* 200 quote, buy */
        {T0 + 2000, 105.0, 1000.0, -1},  /* 105,000 quote: large sell */
        {T0 + 59999, 99.0, 1.0, +1},     /* 99 quote, buy */
        {T0 + M, 101.0, 3.0, -1},        /* next bar */
        {T0 + M + 5, 100000.0, 1.0, +1}, /* exactly 100,000: not large (> threshold) */
    };
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bars_from_trades(t, 5, M, &b, &n, &d), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(b[0].ts_ms, T0);
        CHECK_NEAR(b[0].open, 100, 0);
        CHECK_NEAR(b[0].high, 105, 0);
        CHECK_NEAR(b[0].low, 99, 0);
        CHECK_NEAR(b[0].close, 99, 0);
        CHECK_NEAR(b[0].volume, 1003, 1e-12);
        CHECK_NEAR(b[0].quote_volume, 200 + 105000 + 99, 1e-9);
        CHECK_NEAR(b[0].trades, 3, 0);
        CHECK_NEAR(b[0].taker_buy_base, 3, 1e-12);
        CHECK_NEAR(b[0].taker_buy_quote, 299, 1e-9);
        CHECK_NEAR(b[0].cvd_delta, 3 - 1000, 1e-12);
        CHECK_NEAR(b[0].cvd_delta, 2 * b[0].taker_buy_base - b[0].volume, 1e-9);
        CHECK_NEAR(b[0].large_quote, 105000, 1e-9);
        CHECK(isnan(b[0].oi) && isnan(b[0].liq_long) && isnan(b[0].funding));
        CHECK_EQ_INT(b[1].ts_ms, T0 + M);
        CHECK_NEAR(b[1].open, 101, 0);
        CHECK_NEAR(b[1].close, 100000, 0);
        CHECK_NEAR(b[1].cvd_delta, 1 - 3, 1e-12);
        CHECK_NEAR(b[1].large_quote, 0, 0);
    }
    free(b);
}

static void test_trades_quiet_minutes_become_empty_bars(void)
{
    cpe_trade_t t[] = {{T0 + 10, 50.0, 1.0, 1}, {T0 + 3 * M + 10, 52.0, 1.0, -1}};
    cpe_bar_t *b = NULL;
    size_t n = 0;
    CHECK_EQ_INT(cpe_bars_from_trades(t, 2, M, &b, &n, NULL), 0);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        for (int i = 1; i <= 2; i++) {
            CHECK_EQ_INT(b[i].ts_ms, T0 + i * M);
            CHECK_NEAR(b[i].open, 50, 0);
            CHECK_NEAR(b[i].close, 50, 0);
            CHECK_NEAR(b[i].volume, 0, 0);
            CHECK_NEAR(b[i].trades, 0, 0);
        }
        CHECK_NEAR(b[3].open, 52, 0);
    }
    free(b);
}

static void test_trades_reject_out_of_order_and_bad_values(void)
{
    cpe_trade_t t[] = {{T0 + 1000, 50.0, 1.0, 1}, {T0 + 999, 50.0, 1.0, 1}};
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bars_from_trades(t, 2, M, &b, &n, &d), CPE_ERANGE);
    CHECK(strstr(d.msg, "before the previous trade") != NULL);
    cpe_trade_t bad[] = {{T0, NAN, 1.0, 1}};
    CHECK_EQ_INT(cpe_bars_from_trades(bad, 1, M, &b, &n, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "price") != NULL);
    cpe_trade_t neg[] = {{T0, 1.0, -1.0, 1}};
    CHECK_EQ_INT(cpe_bars_from_trades(neg, 1, M, &b, &n, &d), CPE_EINVAL);
    cpe_trade_t side[] = {{T0, 1.0, 1.0, 0}};
    CHECK_EQ_INT(cpe_bars_from_trades(side, 1, M, &b, &n, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "side") != NULL);
}

typedef struct collect {
    cpe_bar_t b[4096];
    size_t n;
} collect_t;

static int collect_sink(void *ctx, const cpe_bar_t *bar)
{
    collect_t *c = ctx;
    if (c->n >= 4096) return CPE_ETOOBIG;
    c->b[c->n++] = *bar;
    return 0;
}

static void test_incremental_equals_batch(void)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, 7);
    enum { NT = 20000 };
    cpe_trade_t *t = malloc(NT * sizeof *t);
    int64_t ts = T0;
    double p = 100;
    for (int i = 0; i < NT; i++) {
        ts += (int64_t)cpe_rng_below(&r, 4000); /* gaps up to 4 s, sometimes same ms */
        if (i % 5000 == 4999) ts += 5 * M;      /* a few quiet stretches */
        p *= exp(0.001 * cpe_rng_normal(&r));
        t[i] = (cpe_trade_t){ts, p, 1500 * cpe_rng_uniform(&r), cpe_rng_uniform(&r) < 0.5 ? -1 : 1};
    }
    cpe_bar_t *bb = NULL;
    size_t nb = 0;
    CHECK_EQ_INT(cpe_bars_from_trades(t, NT, M, &bb, &nb, NULL), 0);

    static collect_t c;
    c.n = 0;
    cpe_bar_builder_t b;
    cpe_bar_builder_init(&b, M);
    int64_t clock = T0;
    for (int i = 0; i < NT; i++) {
        /* the clock ticks every 10 s between trades, as a live feed would */
        while (clock + 10000 <= t[i].ts_ms) {
            clock += 10000;
            CHECK_EQ_INT(cpe_bar_builder_flush(&b, clock, collect_sink, &c), 0);
        }
        CHECK_EQ_INT(cpe_bar_builder_push(&b, &t[i], collect_sink, &c, NULL), 0);
        cpe_bar_t cur;
        CHECK_EQ_INT(cpe_bar_builder_current(&b, &cur), 1);
    }
    CHECK_EQ_INT(cpe_bar_builder_flush(&b, t[NT - 1].ts_ms + M, collect_sink, &c), 0);
    CHECK_EQ_INT(c.n, nb);
    int same = c.n == nb;
    for (size_t i = 0; same && i < nb; i++)
        same = !memcmp(&c.b[i], &bb[i], sizeof bb[i]);
    CHECK(same);
    /* the grid has no holes */
    for (size_t i = 1; i < nb; i++)
        if (bb[i].ts_ms != bb[i - 1].ts_ms + M) {
            CHECK_MSG(0, "hole at %zu", i);
            break;
        }
    free(bb);
    free(t);
}

static void test_aggregate_5m_hand_computed(void)
{
    /* 7 one-minute bars from 00:02: buckets 00:00 (3 bars, partial), 00:05 (4 bars, partial
     * trailing). */
    cpe_bar_t in[7];
    double o[] = {10, 11, 12, 13, 14, 15, 16}, h[] = {12, 15, 13, 14, 20, 16, 17};
    double l[] = {9, 10, 8, 12, 13, 14, 15}, c[] = {11, 12, 13, 14, 15, 16, 15.5};
    for (int i = 0; i < 7; i++) {
        in[i] = mk(T0 + (2 + i) * M, o[i], h[i], l[i], c[i], i + 1, 0.25 * (i + 1));
        in[i].liq_long = NAN;
        in[i].oi = NAN;
    }
    in[0].liq_long = 5;
    in[1].liq_long = 7; /* in[2] NaN: skipped */
    in[3].oi = 100;
    in[4].oi = 101;
    in[5].oi = NAN; /* last bar of bucket 2 has no OI: the last present one counts */
    in[6].oi = NAN;
    in[4].funding = 0.0001;
    cpe_bar_t out[7];
    uint8_t part[7];
    size_t n = 0;
    CHECK_EQ_INT(cpe_bars_aggregate(in, 7, M, 5 * M, out, part, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(out[0].ts_ms, T0);
    CHECK_NEAR(out[0].open, 10, 0);
    CHECK_NEAR(out[0].high, 15, 0);
    CHECK_NEAR(out[0].low, 8, 0);
    CHECK_NEAR(out[0].close, 13, 0);
    CHECK_NEAR(out[0].volume, 1 + 2 + 3, 0);
    CHECK_NEAR(out[0].taker_buy_base, 1.5, 1e-12);
    CHECK_NEAR(out[0].cvd_delta, 2 * 1.5 - 6, 1e-12);
    CHECK_NEAR(out[0].trades, 30, 0);
    CHECK_NEAR(out[0].liq_long, 12, 0);
    CHECK(isnan(out[0].liq_short)); /* all members NaN: stays NaN */
    CHECK(isnan(out[0].oi));
    CHECK_EQ_INT(part[0], 1);
    CHECK_EQ_INT(out[1].ts_ms, T0 + 5 * M);
    CHECK_NEAR(out[1].open, 13, 0);
    CHECK_NEAR(out[1].high, 20, 0);
    CHECK_NEAR(out[1].low, 12, 0);
    CHECK_NEAR(out[1].close, 15.5, 0);
    CHECK_NEAR(out[1].volume, 4 + 5 + 6 + 7, 0);
    CHECK_NEAR(out[1].quote_volume, 4 * 14 + 5 * 15 + 6 * 16 + 7 * 15.5, 1e-9);
    CHECK_NEAR(out[1].oi, 101, 0);
    CHECK_NEAR(out[1].funding, 0.0001, 0);
    CHECK(isnan(out[1].liq_long));
    CHECK_EQ_INT(part[1], 1);
}

static void test_aggregate_full_buckets_not_partial_and_aligned_to_utc(void)
{
    /* two full hours starting at 01:00 UTC aggregated to 1h, then to 4h (one bucket 00:00) */
    cpe_bar_t in[120];
    for (int i = 0; i < 120; i++)
        in[i] = mk(T0 + 60 * M + i * M, 1, 2, 0.5, 1.5, 1, 0.5);
    cpe_bar_t out[120];
    uint8_t part[120];
    size_t n = 0;
    CHECK_EQ_INT(cpe_bars_aggregate(in, 120, M, 60 * M, out, part, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(out[0].ts_ms, T0 + 60 * M);
    CHECK_EQ_INT(part[0], 0);
    CHECK_EQ_INT(part[1], 0);
    CHECK_NEAR(out[1].volume, 60, 0);
    CHECK_NEAR(out[1].cvd_delta, 0, 1e-12);
    cpe_bar_t o4[2];
    uint8_t p4[2];
    CHECK_EQ_INT(cpe_bars_aggregate(out, 2, 60 * M, 240 * M, o4, p4, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(o4[0].ts_ms, T0);
    CHECK_EQ_INT(p4[0], 1);
    CHECK_NEAR(o4[0].volume, 120, 0);
}

static void test_aggregate_rejects_bad_interval_and_unsorted(void)
{
    cpe_bar_t in[2] = {mk(T0 + M, 1, 1, 1, 1, 1, 0), mk(T0, 1, 1, 1, 1, 1, 0)};
    cpe_bar_t out[2];
    size_t n = 9;
    CHECK_EQ_INT(cpe_bars_aggregate(in, 2, M, 5 * M, out, NULL, &n), CPE_ERANGE);
    CHECK_EQ_INT(cpe_bars_aggregate(in, 2, M, 90000, out, NULL, &n), CPE_EINVAL);
    CHECK_EQ_INT(cpe_bars_aggregate(in, 2, M, 0, out, NULL, &n), CPE_EINVAL);
    CHECK_EQ_INT(n, 0);
}

static void test_aggregate_cascade_equals_direct(void)
{
    /* 1m -> 1d directly equals 1m -> 1h -> 1d (the operations are associative, NaN rule
     * included), on 3 days with some NaN side data */
    enum { N = 3 * 1440 };
    cpe_bar_t *in = malloc(N * sizeof *in);
    cpe_rng_t r;
    cpe_rng_seed(&r, 3);
    double p = 100;
    for (int i = 0; i < N; i++) {
        double o = p;
        p *= exp(0.001 * cpe_rng_normal(&r));
        in[i] = mk(T0 + i * M, o, fmax(o, p) * 1.0005, fmin(o, p) * 0.9995, p,
                   1 + cpe_rng_uniform(&r), 0.5);
        in[i].liq_long = (i % 7 == 0) ? cpe_rng_uniform(&r) : NAN;
        in[i].oi = (i % 5 == 0) ? 1000 + i : NAN;
    }
    cpe_bar_t *h = malloc(N * sizeof *h), *d1 = malloc(N * sizeof *d1), d2[8];
    size_t nh, n1, n2;
    CHECK_EQ_INT(cpe_bars_aggregate(in, N, M, 1440 * M, d1, NULL, &n1), 0);
    CHECK_EQ_INT(cpe_bars_aggregate(in, N, M, 60 * M, h, NULL, &nh), 0);
    CHECK_EQ_INT(cpe_bars_aggregate(h, nh, 60 * M, 1440 * M, d2, NULL, &n2), 0);
    CHECK_EQ_INT(n1, 3);
    CHECK_EQ_INT(n2, 3);
    for (size_t i = 0; i < 3 && n1 == 3 && n2 == 3; i++) {
        CHECK_NEAR(d1[i].open, d2[i].open, 0);
        CHECK_NEAR(d1[i].high, d2[i].high, 0);
        CHECK_NEAR(d1[i].low, d2[i].low, 0);
        CHECK_NEAR(d1[i].close, d2[i].close, 0);
        CHECK_CLOSE(d1[i].volume, d2[i].volume, 1e-12);
        CHECK_CLOSE(d1[i].liq_long, d2[i].liq_long, 1e-12);
        CHECK_NEAR(d1[i].oi, d2[i].oi, 0);
    }
    CHECK_NEAR(d1[0].oi, 1000 + 1435, 0); /* last multiple of 5 before 1440 */
    free(in);
    free(h);
    free(d1);
}

static void test_aggregate_many_equals_separate_calls_with_gaps(void)
{
    /* 2 days of 1m bars with holes (every 97th minute missing, a 3-hour outage) and a
     * trailing partial day: 5m/15m/1h/4h/1d at once == one call each, partial flags too */
    enum { N = 2 * 1440 + 100 };
    cpe_bar_t *in = malloc(N * sizeof *in);
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        if (i % 97 == 5 || (i >= 600 && i < 780)) continue;
        double c = 100 + sin(i * 0.01);
        in[n++] = mk(T0 + i * M, c - 0.01, c + 0.1, c - 0.1, c, 1 + (i % 7), 0.4 * (1 + (i % 7)));
    }
    static const int64_t iv[5] = {5 * M, 15 * M, 60 * M, 240 * M, 1440 * M};
    cpe_bar_t *outs[5], *one = malloc(n * sizeof *one);
    uint8_t *parts[5], *p1 = malloc(n);
    size_t nouts[5];
    for (int j = 0; j < 5; j++) {
        outs[j] = malloc(n * sizeof *outs[j]);
        parts[j] = malloc(n);
    }
    CHECK_EQ_INT(cpe_bars_aggregate_many(in, n, M, iv, 5, outs, parts, nouts), 0);
    for (int j = 0; j < 5; j++) {
        size_t n1 = 0;
        int bad = 0;
        CHECK_EQ_INT(cpe_bars_aggregate(in, n, M, iv[j], one, p1, &n1), 0);
        CHECK_EQ_INT(nouts[j], n1);
        for (size_t i = 0; i < n1 && i < nouts[j]; i++) {
            const cpe_bar_t *a = &outs[j][i], *b = &one[i];
            bad += a->ts_ms != b->ts_ms || a->open != b->open || a->high != b->high ||
                   a->low != b->low || a->close != b->close || parts[j][i] != p1[i] ||
                   fabs(a->volume - b->volume) > 1e-9 * b->volume ||
                   fabs(a->cvd_delta - b->cvd_delta) > 1e-9 * b->volume;
        }
        CHECK_MSG(bad == 0, "interval %lld: %d buckets differ", (long long)iv[j], bad);
        free(outs[j]);
        free(parts[j]);
    }
    CHECK_EQ_INT(nouts[4], 3);
    CHECK_EQ_INT(cpe_bars_aggregate_many(in, n, M, (const int64_t[]){5 * M, 7 * 30000}, 2, outs,
                                         NULL, nouts),
                 CPE_EINVAL);
    free(in);
    free(one);
    free(p1);
}

static void test_align_asof_uses_availability_time(void)
{
    /* funding settled at 00:00 and 08:00; bar closes at 07:59, 08:00, 08:01; one NaN obs */
    int64_t H = 3600000;
    int64_t a[] = {T0, T0 + 8 * H, T0 + 9 * H};
    double v[] = {0.0001, -0.0002, NAN};
    int64_t q[] = {T0 - 1, T0 + 8 * H - M, T0 + 8 * H, T0 + 8 * H + M, T0 + 10 * H};
    double out[5];
    cpe_align_asof(a, v, 3, q, 5, 0, out);
    CHECK(isnan(out[0]));
    CHECK_NEAR(out[1], 0.0001, 0);
    CHECK_NEAR(out[2], -0.0002, 0); /* available exactly at the close: counts */
    CHECK_NEAR(out[3], -0.0002, 0);
    CHECK_NEAR(out[4], -0.0002, 0); /* NaN observation skipped */
    cpe_align_asof(a, v, 3, q, 5, H, out);
    CHECK(isnan(out[4])); /* older than max_age */
    CHECK_NEAR(out[3], -0.0002, 0);
}

int main(void)
{
    RUN(test_trades_build_ohlcv_cvd_and_large_quote);
    RUN(test_trades_quiet_minutes_become_empty_bars);
    RUN(test_trades_reject_out_of_order_and_bad_values);
    RUN(test_incremental_equals_batch);
    RUN(test_aggregate_5m_hand_computed);
    RUN(test_aggregate_full_buckets_not_partial_and_aligned_to_utc);
    RUN(test_aggregate_rejects_bad_interval_and_unsorted);
    RUN(test_aggregate_cascade_equals_direct);
    RUN(test_aggregate_many_equals_separate_calls_with_gaps);
    RUN(test_align_asof_uses_availability_time);
    return TEST_DONE();
}
