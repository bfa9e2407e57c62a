/* test_backtest_exec.c — the execution model and the shared loop: the hand-computed
 * three-trade signal example of issue 9, commission and slippage, funding at its real
 * times, limit-order fills, and the equity curve recomputed from the trade list alone. */
#include "cpe/backtest.h"
#include "cpe/rng.h"
#include "test.h"

#define MIN 60000LL

typedef struct bars {
    int64_t ts[4096];
    double o[4096], h[4096], l[4096], c[4096];
    cpe_bt_bars_t b;
} bars_t;

static void mk(bars_t *x, size_t n, const double *open, const double *close)
{
    for (size_t i = 0; i < n; i++) {
        x->ts[i] = 1700000000000LL + (int64_t)i * MIN;
        x->o[i] = open[i];
        x->c[i] = close[i];
        x->h[i] = fmax(open[i], close[i]);
        x->l[i] = fmin(open[i], close[i]);
    }
    x->b = (cpe_bt_bars_t){x->ts, x->o, x->h, x->l, x->c, n, MIN};
}

static cpe_bt_exec_t exec_default(void)
{
    cpe_bt_config_t c;
    cpe_bt_config_default(&c);
    return c.exec;
}

/* Issue 9: long at 101 (bar 1 open), reverse to short at 105 (bar 3), flat at 99 (bar 4),
 * long at 97 (bar 5), still open at the end. Expected values computed by hand with exact
 * fractions:
 *   F = 101*1.0005, u = 1e5/(F*1.0004) = 989.2085243873366, cash 0
 *   bar 3 exit at 105*0.9995, cash = u*F - 4bps; short F = 105*0.9995, u = cash/(F*1.0004)
 *   bar 4 cover at 99*1.0005; bar 5 long at 97*1.0005, marked at 99. */
static void test_signals_three_trades_match_hand_computation(void)
{
    static bars_t x;
    const double o[] = {100, 101, 103, 105, 99, 97}, c[] = {100, 102, 104, 100, 98, 99};
    const int8_t s[] = {1, 1, -1, 0, 1, 1};
    const double want[] = {100000,
                           100899.26948750834,
                           102877.68653628301,
                           108622.13830390977,
                           109522.46821029944,
                           111680.12897902344};
    mk(&x, 6, o, c);
    cpe_bt_exec_t e = exec_default();
    cpe_bt_result_t r = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bt_run_signals(&e, &x.b, s, 100, &r, &d), 0);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(r.equity[i], want[i], 1e-9);
    CHECK_EQ_INT(r.book.n_trades, 3);
    CHECK_EQ_INT(r.m.fills, 5);
    CHECK_EQ_INT(r.m.long_trades, 2);
    CHECK_EQ_INT(r.m.short_trades, 1);
    CHECK_NEAR(r.book.trades[0].units, 989.2085243873366, 1e-9);
    CHECK_NEAR(r.book.trades[0].entry_price, 101.0505, 1e-12);
    CHECK_NEAR(r.book.trades[0].exit_price, 104.9475, 1e-12);
    CHECK_NEAR(r.book.trades[1].entry_price, 104.9475, 1e-12);
    CHECK_NEAR(r.book.trades[1].units, 988.4174739879865, 1e-9);
    CHECK_NEAR(r.book.trades[1].exit_price, 99.0495, 1e-12);
    CHECK_NEAR(r.book.trades[2].units, 1128.0821108992268, 1e-9);
    CHECK(r.book.trades[2].open);
    CHECK_NEAR(r.m.final_equity, 111680.12897902344, 1e-9);
    CHECK_NEAR(r.m.total_return, 0.11680128979023443, 1e-12);
    cpe_bt_result_free(&r);
}

/* One long round trip with 10 bps commission and no slippage: fees are 10 bps of each
 * fill's notional and the pnl is the price move minus both. */
static void test_commission_and_slippage_by_hand(void)
{
    static bars_t x;
    const double o[] = {100, 100, 110, 110}, c[] = {100, 100, 110, 110};
    const int8_t s[] = {1, 0, 0, 0};
    mk(&x, 4, o, c);
    cpe_bt_exec_t e = exec_default();
    e.commission_bps = 10, e.slippage_bps = 0;
    cpe_bt_result_t r = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bt_run_signals(&e, &x.b, s, 100, &r, &d), 0);
    double u = 100000 / (100 * 1.001);
    CHECK_NEAR(r.book.trades[0].units, u, 1e-9);
    CHECK_NEAR(r.book.trades[0].fees, 0.001 * u * 100 + 0.001 * u * 110, 1e-9);
    CHECK_NEAR(r.m.final_equity, u * 110 * 0.999, 1e-9);
    CHECK_NEAR(r.book.trades[0].pnl, u * 10 - 0.001 * u * 210, 1e-9);
    /* slippage 5 bps, no commission: entry at 100.05, exit at 109.945 */
    e.commission_bps = 0, e.slippage_bps = 5;
    cpe_bt_result_free(&r);
    CHECK_EQ_INT(cpe_bt_run_signals(&e, &x.b, s, 100, &r, &d), 0);
    u = 100000 / 100.05;
    CHECK_NEAR(r.book.trades[0].exit_price, 109.945, 1e-12);
    CHECK_NEAR(r.m.final_equity, u * 109.945, 1e-9);
    CHECK_NEAR(r.m.slippage_cost, u * 100 * 0.0005 + u * 110 * 0.0005, 1e-9);
    cpe_bt_result_free(&r);
}

static void sig_decide(void *ctx, size_t i, const cpe_bt_book_t *b, double eq, cpe_bt_target_t *t)
{
    (void)b, (void)eq;
    t->dir = ((int8_t *)ctx)[i];
    t->fraction = 1;
}

/* Funding settles at its own timestamp on the position held into that bar, marked at the
 * bar's open: a long pays a positive rate, a short receives it; events before the first
 * entry or while flat cost nothing. */
static void test_funding_paid_at_real_times(void)
{
    static bars_t x;
    const double o[] = {100, 100, 120, 120, 120}, c[] = {100, 100, 120, 120, 120};
    mk(&x, 5, o, c);
    cpe_bt_funding_t f[] = {
        {x.ts[0], 0.5}, {x.ts[1], 0.5}, {x.ts[2] - 1, 0.001}, {x.ts[4], -0.002}};
    cpe_bt_exec_t e = exec_default();
    e.commission_bps = 0, e.slippage_bps = 0;
    for (int dir = -1; dir <= 1; dir += 2) {
        int8_t s[5] = {(int8_t)dir, (int8_t)dir, (int8_t)dir, (int8_t)dir, (int8_t)dir};
        cpe_bt_book_t b;
        cpe_bt_book_init(&b, &e);
        double eq[5], pos[5];
        cpe_bt_curve_t cv = {eq, pos};
        CHECK_EQ_INT(cpe_bt_loop(&x.b, f, 4, &e, sig_decide, s, &b, &cv), 0);
        double u = dir * 1000.0; /* 1e5 / 100 */
        /* ts[1] event: the position is entered at open 1, after funding -> nothing;
         * ts[2]-1 settles at open 2 (120): -u*120*0.001; ts[4]: -u*120*(-0.002) */
        double fund = -u * 120 * 0.001 + u * 120 * 0.002;
        CHECK_NEAR(b.funding_total, fund, 1e-9);
        CHECK_NEAR(b.trades[0].funding, fund, 1e-9);
        CHECK_NEAR(eq[4], 100000 + u * 20 + fund, 1e-9);
        CHECK_NEAR(eq[2], 100000 + u * 20 - u * 120 * 0.001, 1e-9);
        cpe_bt_book_free(&b);
    }
}

static void lim_decide(void *ctx, size_t i, const cpe_bt_book_t *b, double eq, cpe_bt_target_t *t)
{
    sig_decide(ctx, i, b, eq, t);
    t->limit = 1;
}

/* Limit entries fill with the seeded probability at each open they are pending, at the
 * open plus the limit slippage; the same seed gives the same fills. */
static void test_limit_orders_fill_rate_and_price(void)
{
    static bars_t x;
    double o[4096], c[4096];
    static int8_t s[4096];
    for (int i = 0; i < 4096; i++)
        o[i] = c[i] = 100, s[i] = (int8_t)(i % 2 ? 0 : 1);
    mk(&x, 4096, o, c);
    cpe_bt_exec_t e = exec_default();
    e.limit_fill_prob = 0.7, e.limit_slippage_bps = 2, e.seed = 9;
    size_t n[2];
    for (int rep = 0; rep < 2; rep++) {
        cpe_bt_book_t b;
        cpe_bt_book_init(&b, &e);
        CHECK_EQ_INT(cpe_bt_loop(&x.b, NULL, 0, &e, lim_decide, s, &b, NULL), 0);
        n[rep] = b.n_trades;
        CHECK(b.n_trades > 0);
        if (b.n_trades) CHECK_NEAR(b.trades[0].entry_price, 100 * 1.0002, 1e-12);
        cpe_bt_book_free(&b);
    }
    /* 2048 chances at 70 %: 1434 expected, sd ~21 */
    CHECK_MSG(n[0] > 1330 && n[0] < 1540, "fills %zu of 2048", n[0]);
    CHECK_EQ_INT(n[0], n[1]);
    e.limit_fill_prob = 0;
    cpe_bt_book_t b;
    cpe_bt_book_init(&b, &e);
    CHECK_EQ_INT(cpe_bt_loop(&x.b, NULL, 0, &e, lim_decide, s, &b, NULL), 0);
    CHECK_EQ_INT(b.n_trades, 0);
    cpe_bt_book_free(&b);
}

/* No signal: no fill, equity stays at the initial cash at every bar. */
static void test_no_trades_equity_constant(void)
{
    static bars_t x;
    double o[300], c[300];
    static int8_t s[300];
    cpe_rng_t rng;
    cpe_rng_seed(&rng, 3);
    double p = 100;
    for (int i = 0; i < 300; i++)
        o[i] = p, p *= exp(0.01 * cpe_rng_normal(&rng)), c[i] = p;
    mk(&x, 300, o, c);
    cpe_bt_exec_t e = exec_default();
    cpe_bt_result_t r = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bt_run_signals(&e, &x.b, s, 100, &r, &d), 0);
    for (int i = 0; i < 300; i++)
        CHECK_NEAR(r.equity[i], 100000, 0);
    CHECK_EQ_INT(r.m.fills, 0);
    CHECK_NEAR(r.m.exposure, 0, 0);
    cpe_bt_result_free(&r);
}

/* Random signals on a random walk: the equity curve recomputed from the trade list alone
 * (initial cash + closed trades' pnl + the open trade's mark) equals the loop's, bar by
 * bar; and the loop's equity is cash + marked position at every close. */
static void test_equity_recomputed_from_trades(void)
{
    static bars_t x;
    enum { N = 3000 };
    double o[N], c[N];
    static int8_t s[N];
    cpe_rng_t rng;
    cpe_rng_seed(&rng, 11);
    double p = 30000;
    for (int i = 0; i < N; i++) {
        o[i] = p;
        p *= exp(0.002 * cpe_rng_normal(&rng));
        c[i] = p;
        p *= exp(0.0005 * cpe_rng_normal(&rng)); /* a gap to the next open */
        s[i] = (int8_t)((int)cpe_rng_below(&rng, 3) - 1);
        if (i && cpe_rng_below(&rng, 4)) s[i] = s[i - 1];
    }
    mk(&x, N, o, c);
    cpe_bt_exec_t e = exec_default();
    cpe_bt_result_t r = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bt_run_signals(&e, &x.b, s, 100, &r, &d), 0);
    CHECK(r.book.n_trades > 100);
    double worst = 0;
    size_t k = 0; /* next trade not yet closed */
    double realised = 0;
    for (int i = 0; i < N; i++) {
        while (k < r.book.n_trades && !r.book.trades[k].open && r.book.trades[k].exit_ms <= x.ts[i])
            realised += r.book.trades[k++].pnl;
        double eq = 100000 + realised;
        if (k < r.book.n_trades && r.book.trades[k].entry_ms <= x.ts[i]) {
            const cpe_bt_trade_t *t = &r.book.trades[k];
            eq += t->side * t->units * (c[i] - t->entry_price) -
                  e.commission_bps / 1e4 * t->units * t->entry_price;
        }
        worst = fmax(worst, fabs(eq - r.equity[i]) / r.equity[i]);
        CHECK_NEAR((r.position[i] != 0),
                   (k < r.book.n_trades && r.book.trades[k].entry_ms <= x.ts[i]), 0);
    }
    CHECK_MSG(worst < 1e-10, "equity from trades differs by %g (relative)", worst);
    CHECK_NEAR(r.m.final_equity, r.book.cash + r.book.units * c[N - 1], 1e-6);
    cpe_bt_result_free(&r);
}

/* The invariant at every close, under random signals, limit entries and funding:
 * equity = cash + units x close, and it is what the curve records. */
typedef struct inv {
    const int8_t *s;
    const double *close, *curve;
    int bad;
} inv_t;

static void inv_decide(void *ctx, size_t i, const cpe_bt_book_t *b, double eq, cpe_bt_target_t *t)
{
    inv_t *v = ctx;
    if (fabs(eq - (b->cash + b->units * v->close[i])) > 1e-9 * fabs(eq) || eq != v->curve[i])
        v->bad++;
    t->dir = v->s[i];
    t->fraction = 0.5;
    t->limit = (int)(i % 2);
}

static void test_equity_is_cash_plus_marked_position_every_bar(void)
{
    static bars_t x;
    enum { N = 2000 };
    double o[N], c[N], eq[N], pos[N];
    static int8_t s[N];
    static cpe_bt_funding_t f[N / 60];
    cpe_rng_t rng;
    cpe_rng_seed(&rng, 5);
    double p = 100;
    for (int i = 0; i < N; i++) {
        o[i] = p, p *= exp(0.003 * cpe_rng_normal(&rng)), c[i] = p;
        s[i] = (int8_t)((int)cpe_rng_below(&rng, 3) - 1);
    }
    mk(&x, N, o, c);
    for (int k = 0; k < N / 60; k++)
        f[k] = (cpe_bt_funding_t){x.ts[k * 60] + 5, 0.0003 * (k % 3 - 1)};
    cpe_bt_exec_t e = exec_default();
    cpe_bt_book_t b;
    cpe_bt_book_init(&b, &e);
    inv_t v = {s, c, eq, 0};
    cpe_bt_curve_t cv = {eq, pos};
    CHECK_EQ_INT(cpe_bt_loop(&x.b, f, N / 60, &e, inv_decide, &v, &b, &cv), 0);
    CHECK_EQ_INT(v.bad, 0);
    CHECK(b.n_trades > 100);
    CHECK(b.funding_total != 0);
    cpe_bt_book_free(&b);
}

int main(void)
{
    RUN(test_signals_three_trades_match_hand_computation);
    RUN(test_commission_and_slippage_by_hand);
    RUN(test_funding_paid_at_real_times);
    RUN(test_limit_orders_fill_rate_and_price);
    RUN(test_no_trades_equity_constant);
    RUN(test_equity_recomputed_from_trades);
    RUN(test_equity_is_cash_plus_marked_position_every_bar);
    return TEST_DONE();
}
