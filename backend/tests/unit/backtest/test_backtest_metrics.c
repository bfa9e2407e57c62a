/* test_backtest_metrics.c — spec 12.3 metrics on hand-computed curves and trade lists,
 * the hindsight swings, the walk-forward optimisation's periods and stitched curve, and
 * the result JSON the CLI and the API print. */
#include "cpe/backtest.h"
#include "cpe/buf.h"
#include "test.h"

#define HOUR 3600000LL

static void test_metrics_by_hand(void)
{
    int64_t ts[4] = {0, HOUR, 2 * HOUR, 3 * HOUR};
    double c[4] = {100, 110, 99, 121}, eq[4] = {1e5, 1.1e5, 0.99e5, 1.21e5}, pos[4] = {0, 1, 1, 0};
    cpe_bt_bars_t b = {ts, c, c, c, c, 4, HOUR};
    cpe_bt_book_t bk = {0};
    cpe_bt_trade_t tr[4] = {
        {.side = 1, .entry_ms = 0, .exit_ms = HOUR, .pnl = 10},
        {.side = -1, .entry_ms = HOUR, .exit_ms = 3 * HOUR, .pnl = -5},
        {.side = 1, .entry_ms = 0, .exit_ms = 2 * HOUR, .pnl = 20},
        {.side = -1, .open = 1, .entry_ms = 0, .exit_ms = 3 * HOUR, .pnl = -100}};
    bk.trades = tr;
    bk.n_trades = 4;
    cpe_bt_metrics_t m;
    cpe_bt_metrics_compute(&b, eq, pos, &bk, &m);
    CHECK_NEAR(m.total_return, 0.21, 1e-12);
    CHECK_NEAR(m.buy_hold_return, 0.21, 1e-12);
    CHECK_NEAR(m.max_drawdown, 0.1, 1e-12);      /* 110 -> 99 */
    CHECK_NEAR(m.max_drawdown_duration_h, 2, 0); /* peak at 1 h, back above at 3 h */
    CHECK_NEAR(m.exposure, 0.5, 0);
    CHECK_EQ_INT(m.total_trades, 4);
    CHECK_EQ_INT(m.long_trades, 2);
    CHECK_EQ_INT(m.short_trades, 2);
    CHECK_EQ_INT(m.closed_trades, 3);
    CHECK_NEAR(m.win_rate, 2.0 / 3, 1e-12);
    CHECK_NEAR(m.profit_factor, 30.0 / 5, 1e-12);
    CHECK_NEAR(m.avg_trade_duration_h, (1 + 2 + 2) / 3.0, 1e-12);
    /* returns 0.1, -0.1, 0.2222: mean and sample sd by hand; bars of 1 h -> 8766 a year */
    double r[3] = {0.1, -0.1, 121.0 / 99 - 1}, mu = (r[0] + r[1] + r[2]) / 3, v = 0;
    for (int i = 0; i < 3; i++)
        v += (r[i] - mu) * (r[i] - mu);
    v /= 2;
    CHECK_NEAR(m.sharpe, mu / sqrt(v) * sqrt(8766), 1e-9);
    CHECK_NEAR(m.sortino, mu / sqrt(0.01 / 3) * sqrt(8766), 1e-9);
    CHECK_NEAR(m.beta, 1, 1e-12); /* the strategy is buy and hold here */
    CHECK_NEAR(m.alpha, 0, 1e-9);
    CHECK(isnan(m.information_ratio)); /* no active return at all */
    double years = 3.0 / 8766;
    CHECK_NEAR(m.annualized_return, pow(1.21, 1 / years) - 1, 1e-6 * pow(1.21, 1 / years));
}

static void test_hindsight_swings_alternate(void)
{
    /* 100 -> 90 -> 110 -> 95 -> 120 with a 5 % minimum swing */
    double p[] = {100, 95, 90, 100, 110, 104, 95, 110, 120, 119};
    int64_t ts[10];
    for (int i = 0; i < 10; i++)
        ts[i] = i * HOUR;
    cpe_bt_bars_t b = {ts, p, p, p, p, 10, HOUR};
    cpe_bt_swing_t *s = NULL;
    size_t n = 0;
    CHECK_EQ_INT(cpe_bt_hindsight(&b, 0.05, &s, &n), 0);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK(s[0].entry && s[0].price == 90 && s[0].t_ms == 2 * HOUR);
        CHECK(!s[1].entry && s[1].price == 110 && s[1].t_ms == 4 * HOUR);
        CHECK(s[2].entry && s[2].price == 95 && s[2].t_ms == 6 * HOUR);
    }
    free(s);
}

/* 200 days of 1m-like hourly bars and predictions; walk-forward 90/30/30: three periods
 * whose test windows tile days 90..180, the stitched curve is continuous (each period
 * starts with the equity the previous one ended with) and each period's threshold is one
 * of the grid. */
static void test_walk_forward_periods_and_stitching(void)
{
    enum { N = 200 * 24 };
    static int64_t ts[N];
    static double p[N];
    static cpe_bt_pred_t pr[N];
    double x = 100;
    uint64_t st = 7;
    for (int i = 0; i < N; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(st >> 11) / 9007199254740992.0;
        ts[i] = 1704067200000LL + (int64_t)i * HOUR;
        x *= exp(0.01 * (u - 0.5));
        p[i] = x;
        pr[i] = (cpe_bt_pred_t){ts[i], 0.5 + 0.3 * (u - 0.5), 0.05 * (u - 0.5), 0.01, 0};
    }
    cpe_bt_bars_t b = {ts, p, p, p, p, N, HOUR};
    cpe_bt_preds_t pp = {1, pr, N};
    cpe_bt_config_t c;
    cpe_bt_config_default(&c);
    for (int k = 0; k < 4; k++)
        c.strat.h[k].enabled = c.strat.h[k].horizon_h == 1;
    c.strat.stale_gap_ms = 2 * HOUR;
    c.wfo = 1;
    cpe_bt_result_t r = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bt_run(&c, &b, &pp, 1, NULL, 0, &r, &d), 0);
    CHECK_EQ_INT(r.n_periods, 3);
    CHECK(r.book.n_trades > 10);
    for (size_t k = 0; k < r.n_periods; k++) {
        const cpe_bt_period_t *q = &r.periods[k];
        CHECK_EQ_INT(q->test_from_ms - q->train_from_ms, 90 * 24 * HOUR);
        CHECK_EQ_INT(q->test_to_ms - q->test_from_ms, 30 * 24 * HOUR);
        CHECK_EQ_INT(q->train_from_ms, ts[0] + (int64_t)k * 30 * 24 * HOUR);
        int in_grid = 0;
        for (int g = 0; g < c.wfo_n_grid; g++)
            in_grid |= q->threshold == c.wfo_grid[g];
        CHECK(in_grid);
        if (k) CHECK_NEAR(q->test.initial_equity, r.periods[k - 1].test.final_equity, 1e-6);
    }
    CHECK_EQ_INT(r.n_oos, 90 * 24);
    CHECK_EQ_INT(r.oos_ts[0], ts[90 * 24]);
    CHECK_NEAR(r.oos_equity[0], 100000, 0);
    CHECK_NEAR(r.oos_equity[r.n_oos - 1], r.periods[2].test.final_equity, 1e-6);
    cpe_buf_t out;
    cpe_buf_init(&out, 1 << 26);
    CHECK_EQ_INT(cpe_bt_result_json(&r, &out), 0);
    CHECK(out.data && strstr(out.data, "\"walk_forward\":{\"periods\":[{"));
    CHECK(out.data && strstr(out.data, "\"hindsight\":{\"label\":\"hindsight"));
    CHECK(out.data && strstr(out.data, "\"equity\":{\"t\":["));
    CHECK(out.data && strstr(out.data, "\"sharpe_ratio\":"));
    cpe_buf_free(&out);
    cpe_bt_result_free(&r);
}

/* The strategy JSON: known keys apply, unknown keys and bad values name the key. */
static void test_strategy_json(void)
{
    cpe_bt_config_t c;
    cpe_diag_t d = {0};
    cpe_bt_config_default(&c);
    const char *ok =
        "{\"horizons\":[1,24],\"thresholds\":{\"24\":{\"p_up_min\":0.6}},\"order_type\":"
        "\"limit\",\"commission_bps\":2,\"loss_pause_h\":1,\"walk_forward\":{\"train_days\":"
        "60,\"grid\":[0.51,0.6]}}";
    CHECK_EQ_INT(cpe_bt_config_json(&c, ok, strlen(ok), &d), 0);
    CHECK(c.strat.h[0].enabled && !c.strat.h[1].enabled && c.strat.h[3].enabled);
    CHECK_NEAR(c.strat.h[3].p_up_min, 0.6, 0);
    CHECK(c.exec.limit_entries);
    CHECK_NEAR(c.exec.commission_bps, 2, 0);
    CHECK_EQ_INT(c.strat.loss_pause_ms, HOUR);
    CHECK(c.wfo && c.wfo_train_days == 60 && c.wfo_n_grid == 2);
    const char *bad[] = {"{\"nope\":1}",
                         "{\"slippage_bps\":-1}",
                         "{\"horizons\":[3]}",
                         "{\"limit_slippage_bps\":3}",
                         "[1]",
                         "{",
                         "{\"p_up_min\":0.4}"};
    const char *says[] = {"'nope'", "'slippage_bps'", "'horizons'", "'limit_slippage_bps'",
                          "object", "strategy:",      "'p_up_min'"};
    for (int i = 0; i < 7; i++) {
        cpe_bt_config_default(&c);
        CHECK(cpe_bt_config_json(&c, bad[i], strlen(bad[i]), &d) == CPE_EINVAL);
        CHECK_MSG(strstr(d.msg, says[i]) != NULL, "%s -> %s", bad[i], d.msg);
    }
}

int main(void)
{
    RUN(test_metrics_by_hand);
    RUN(test_hindsight_swings_alternate);
    RUN(test_walk_forward_periods_and_stitching);
    RUN(test_strategy_json);
    return TEST_DONE();
}
