/* test_backtest_risk.c — the strategy over predictions and each circuit breaker of spec
 * 14.2 firing in a hand-built scenario (and not firing without it), half-Kelly sizing by
 * hand, no trade when the Kelly fraction is <= 0, stale data, and the as-of rule (a
 * prediction made at a bar's close trades at the next open, never earlier). */
#include "cpe/backtest.h"
#include "test.h"

#define MIN 60000LL
#define HOUR 3600000LL
#define T0 1704067200000LL /* 2024-01-01 00:00 UTC */
#define NB 2880            /* two days of 1m bars */

static int64_t ts[NB];
static double op[NB], hi[NB], lo[NB], cl[NB];
static cpe_bt_pred_t pr[NB];
static cpe_bt_bars_t bars;
static cpe_bt_preds_t preds;

/* bars with close price(i), open = previous close; n bars starting at T0 (gap: skip) */
static void make_bars(double (*price)(size_t), size_t n, size_t gap_at)
{
    double prev = price(0);
    for (size_t i = 0; i < n; i++) {
        ts[i] = T0 + (int64_t)i * MIN + (gap_at && i >= gap_at ? 10 * MIN : 0);
        op[i] = prev;
        cl[i] = price(i);
        hi[i] = fmax(op[i], cl[i]);
        lo[i] = fmin(op[i], cl[i]);
        prev = cl[i];
    }
    bars = (cpe_bt_bars_t){ts, op, hi, lo, cl, n, MIN};
}

/* an up prediction (p_up) every `every` bars */
static void make_preds(size_t n, size_t every, double p_up, double move, double vol)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i += every)
        pr[k++] = (cpe_bt_pred_t){ts[i], p_up, move, vol, 0};
    preds = (cpe_bt_preds_t){1, pr, k};
}

static cpe_bt_config_t config_h1(void)
{
    cpe_bt_config_t c;
    cpe_bt_config_default(&c);
    for (int k = 0; k < c.strat.n_h; k++)
        c.strat.h[k].enabled = c.strat.h[k].horizon_h == 1;
    return c;
}

static int run(const cpe_bt_config_t *c, cpe_bt_result_t *r)
{
    cpe_diag_t d = {0};
    memset(r, 0, sizeof *r);
    int rc = cpe_bt_run(c, &bars, &preds, 1, NULL, 0, r, &d);
    if (rc) fprintf(stderr, "  run: %s\n", d.msg);
    return rc;
}

static double falling(size_t i)
{
    return 100 * exp(-0.0001 * (double)i);
}
static double flat(size_t i)
{
    (void)i;
    return 100;
}

/* p = 0.6, b = 1: Kelly 0.2, half 0.1; 4 h volatility 0.01 -> 0.01*sqrt(8766/4) a year;
 * scalar 0.5 / that. The cap binds when the product is larger. */
static void test_half_kelly_with_vol_target_by_hand(void)
{
    cpe_bt_config_t c = config_h1();
    double va = 0.01 * sqrt(8766.0 / 4);
    CHECK_NEAR(cpe_bt_position_fraction(&c.strat, 0.6, 0.01, 4), 0.1 * 0.5 / va, 1e-12);
    CHECK_NEAR(cpe_bt_position_fraction(&c.strat, 0.9, 0.001, 4), 1, 0); /* capped */
    c.strat.max_position = 0.3;
    CHECK_NEAR(cpe_bt_position_fraction(&c.strat, 0.9, 0.001, 4), 0.3, 0);
    c.strat.kelly_odds = 0.5; /* f = 0.6 - 0.4/0.5 < 0 */
    CHECK_NEAR(cpe_bt_position_fraction(&c.strat, 0.6, 0.01, 4), 0, 0);
    CHECK_NEAR(cpe_bt_position_fraction(&c.strat, 0.5, 0.01, 4), 0, 0);
    CHECK_NEAR(cpe_bt_position_fraction(&c.strat, 0.9, 0, 4), 0, 0);
    CHECK_NEAR(cpe_bt_position_fraction(&c.strat, 0.9, NAN, 4), 0, 0);
}

/* The prediction made at the close of bar i is traded at the open of bar i + 1, with the
 * fraction of equity half-Kelly gives, and closed when its horizon has passed. */
static void test_prediction_trades_next_open_as_of(void)
{
    make_bars(flat, 600, 0);
    make_preds(600, 1000, 0.7, 0.01, 0.004); /* one prediction, at bar 0 */
    cpe_bt_config_t c = config_h1();
    cpe_bt_result_t r;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 1);
    const cpe_bt_trade_t *t = &r.book.trades[0];
    CHECK_EQ_INT(t->entry_ms, ts[1]);
    CHECK_STR(t->entry_reason, "signal_long");
    double f = cpe_bt_position_fraction(&c.strat, 0.7, 0.004, 1);
    CHECK_NEAR(t->units * t->entry_price * 1.0004 / t->entry_equity, f, 1e-12);
    CHECK_EQ_INT(t->exit_ms, ts[61]); /* the close of bar 59 ends the hour; exit at open 61 */
    CHECK_STR(t->exit_reason, "horizon");
    cpe_bt_result_free(&r);
    /* a prediction stamped between bars is never used */
    pr[0].ts_ms = ts[0] + 1;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 0);
    cpe_bt_result_free(&r);
}

/* Kelly <= 0 (odds 0.5 at p = 0.6), a move below the round-trip cost, or a predicted
 * daily volatility above 15 %: no trade, and the skip is counted. */
static void test_no_trade_when_kelly_cost_or_vol_forbid(void)
{
    make_bars(flat, 600, 0);
    cpe_bt_config_t c = config_h1();
    cpe_bt_result_t r;
    make_preds(600, 100, 0.6, 0.01, 0.004);
    c.strat.kelly_odds = 0.5;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 0);
    CHECK(r.risk.kelly_skips == 6);
    for (size_t i = 0; i < 600; i++)
        CHECK_NEAR(r.equity[i], 100000, 0);
    cpe_bt_result_free(&r);
    c = config_h1();
    make_preds(600, 100, 0.6, 0.0017, 0.004); /* cost is 2 x 9 bps = 0.0018 */
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 0);
    CHECK(r.risk.cost_skips == 6);
    cpe_bt_result_free(&r);
    make_preds(600, 100, 0.6, 0.05, 0.031); /* 0.031 * sqrt(24) = 0.152 a day */
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 0);
    CHECK(r.risk.vol_skips == 6);
    cpe_bt_result_free(&r);
    make_preds(600, 100, 0.6, 0.05, 0.03); /* just under: trades */
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK(r.book.n_trades > 0);
    cpe_bt_result_free(&r);
}

/* Long signals every 2 h into a falling market: every trade loses. After the 5th loss
 * the strategy pauses 4 h, so the 6th entry comes >= 4 h after the 5th exit; with the
 * breaker off it comes 1 h after. */
static void test_five_losses_pause_four_hours(void)
{
    make_bars(falling, NB, 0);
    make_preds(NB, 120, 0.9, 0.01, 0.002);
    cpe_bt_config_t c = config_h1();
    c.strat.daily_dd_limit = 0; /* isolate this breaker */
    cpe_bt_result_t r;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK(r.book.n_trades >= 6);
    for (size_t k = 0; k < 5 && k < r.book.n_trades; k++)
        CHECK(r.book.trades[k].pnl < 0);
    CHECK(r.risk.loss_pauses >= 1);
    if (r.book.n_trades >= 6)
        CHECK_MSG(r.book.trades[5].entry_ms >= r.book.trades[4].exit_ms + 4 * HOUR,
                  "6th entry %lld, 5th exit %lld", (long long)r.book.trades[5].entry_ms,
                  (long long)r.book.trades[4].exit_ms);
    cpe_bt_result_free(&r);
    c.strat.max_consec_losses = 0;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.risk.loss_pauses, 0);
    if (r.book.n_trades >= 6)
        CHECK_EQ_INT(r.book.trades[5].entry_ms - r.book.trades[4].exit_ms, 1 * HOUR);
    cpe_bt_result_free(&r);
}

/* -7 % over 3 h (never 10 % within an hour): the first 4 h long loses more than 5 % of the
 * day's peak, so the next entry the same day is at half the size. */
static double slide(size_t i)
{
    return i < 180 ? 100 * (1 - 0.07 * (double)i / 180) : 93;
}

static void test_daily_drawdown_halves_size_until_day_end(void)
{
    make_bars(slide, NB, 0);
    size_t k = 0;
    pr[k++] = (cpe_bt_pred_t){ts[0], 0.9, 0.05, 0.001, 0};
    pr[k++] = (cpe_bt_pred_t){ts[360], 0.9, 0.05, 0.001, 0};  /* same day */
    pr[k++] = (cpe_bt_pred_t){ts[1500], 0.9, 0.05, 0.001, 0}; /* next day */
    preds = (cpe_bt_preds_t){4, pr, k};
    cpe_bt_config_t c;
    cpe_bt_config_default(&c); /* 4 h enabled */
    cpe_bt_result_t r;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 3);
    CHECK_EQ_INT(r.risk.dd_half_days, 1);
    double frac[3];
    for (int i = 0; i < 3 && i < (int)r.book.n_trades; i++) {
        const cpe_bt_trade_t *t = &r.book.trades[i];
        frac[i] = t->units * t->entry_price * 1.0004 / t->entry_equity;
    }
    CHECK_NEAR(frac[0], 1, 1e-12); /* the cap */
    CHECK_NEAR(frac[1], 0.5, 1e-12);
    CHECK_NEAR(frac[2], 1, 1e-12); /* a new UTC day */
    cpe_bt_result_free(&r);
    c.strat.daily_dd_limit = 0;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_NEAR(r.book.trades[1].units * r.book.trades[1].entry_price * 1.0004 /
                   r.book.trades[1].entry_equity,
               1, 1e-12);
    cpe_bt_result_free(&r);
}

/* +13 % within 30 minutes while long: the position is closed at the next open with reason
 * circuit_flash and nothing is entered for 2 h although up signals keep coming. */
static double spike(size_t i)
{
    return i < 100 ? 100 : i < 130 ? 100 * (1 + 0.13 * (double)(i - 100) / 30) : 113;
}

static void test_flash_move_halts_two_hours(void)
{
    make_bars(spike, 600, 0);
    make_preds(600, 10, 0.9, 0.05, 0.002);
    cpe_bt_config_t c = config_h1();
    cpe_bt_result_t r;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.risk.flash_halts, 1);
    int flashed = -1;
    for (size_t k = 0; k < r.book.n_trades; k++)
        if (!strcmp(r.book.trades[k].exit_reason, "circuit_flash")) flashed = (int)k;
    CHECK(flashed >= 0);
    if (flashed >= 0) {
        const cpe_bt_trade_t *t = &r.book.trades[flashed];
        /* the move passes 10 % at the close of bar 124 (10.4 % above bar 64's close;
         * bar 123 is 9.97 %) */
        CHECK_EQ_INT(t->exit_ms, ts[125]);
        if ((size_t)flashed + 1 < r.book.n_trades)
            CHECK(r.book.trades[flashed + 1].entry_ms >= ts[124] + MIN + 2 * HOUR);
    }
    cpe_bt_result_free(&r);
    c.strat.flash_move = 0;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.risk.flash_halts, 0);
    for (size_t k = 0; k < r.book.n_trades; k++)
        CHECK(strcmp(r.book.trades[k].exit_reason, "circuit_flash"));
    cpe_bt_result_free(&r);
}

/* A 10-minute hole before the bar of the only prediction (stale data) or a prediction
 * flagged stale: no signal. */
static void test_stale_data_gives_no_signal(void)
{
    cpe_bt_config_t c = config_h1();
    cpe_bt_result_t r;
    make_bars(flat, 600, 200);
    pr[0] = (cpe_bt_pred_t){ts[200], 0.9, 0.05, 0.002, 0};
    preds = (cpe_bt_preds_t){1, pr, 1};
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 0);
    CHECK(r.risk.stale_bars >= 1);
    cpe_bt_result_free(&r);
    pr[0].ts_ms = ts[201]; /* the bar after the hole is fresh */
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 1);
    cpe_bt_result_free(&r);
    pr[0].stale = 1;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 0);
    cpe_bt_result_free(&r);
}

/* Down predictions open shorts; allow_short = false ignores them. */
static void test_short_signals_and_allow_short(void)
{
    make_bars(falling, 600, 0);
    make_preds(600, 120, 0.1, -0.05, 0.002);
    cpe_bt_config_t c = config_h1();
    cpe_bt_result_t r;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK(r.m.short_trades >= 4);
    CHECK_EQ_INT(r.m.long_trades, 0);
    CHECK(r.m.final_equity > 100000); /* shorting a falling market */
    cpe_bt_result_free(&r);
    c.strat.allow_short = 0;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 0);
    cpe_bt_result_free(&r);
}

static double rising(size_t i)
{
    return 100 + 0.01 * (double)i;
}

/* entry_alert: the rule's firing at a close is the entry at the next open, with
 * max_position; the horizon ends it as a signal's; bad rules are refused naming the key */
static void test_alert_rule_as_entry_signal(void)
{
    make_bars(rising, 600, 0);
    make_preds(600, 1000, 0.5, 0, 0.004);
    cpe_bt_config_t c = config_h1();
    cpe_diag_t d = {0};
    const char *js = "{\"entry_alert\":{\"kind\":\"price_cross\",\"asset\":\"BTC\","
                     "\"level\":103.005,\"direction\":\"up\"},\"max_position\":0.5}";
    CHECK_EQ_INT(cpe_bt_config_json(&c, js, strlen(js), &d), 0);
    CHECK_EQ_INT(c.strat.has_entry_alert, 1);
    cpe_bt_result_t r;
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 1);
    const cpe_bt_trade_t *t = &r.book.trades[0];
    CHECK_EQ_INT(t->entry_ms, ts[302]); /* close 301 = 103.01 crossed 103.005 */
    CHECK_STR(t->entry_reason, "alert_long");
    CHECK_NEAR(t->units * t->entry_price * 1.0004 / t->entry_equity, 0.5, 1e-12);
    CHECK_EQ_INT(t->exit_ms, ts[362]);
    CHECK_STR(t->exit_reason, "horizon");
    cpe_bt_result_free(&r);
    /* a level never crossed: no trade */
    c = config_h1();
    js = "{\"entry_alert\":{\"kind\":\"price_cross\",\"asset\":\"BTC\",\"level\":200,"
         "\"direction\":\"up\"}}";
    CHECK_EQ_INT(cpe_bt_config_json(&c, js, strlen(js), &d), 0);
    CHECK_EQ_INT(run(&c, &r), 0);
    CHECK_EQ_INT(r.book.n_trades, 0);
    cpe_bt_result_free(&r);
    static const char *const bad[] = {
        "{\"entry_alert\":{\"kind\":\"price_cross\",\"asset\":\"BTC\",\"level\":1}}",
        "{\"entry_alert\":{\"kind\":\"stale\",\"asset\":\"BTC\",\"direction\":\"up\"}}",
        "{\"entry_alert\":{\"kind\":\"price_cross\",\"asset\":\"BTC\",\"direction\":\"up\"}}",
        "{\"entry_alert\":7}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = config_h1();
        CHECK_MSG(cpe_bt_config_json(&c, bad[i], strlen(bad[i]), &d) == CPE_EINVAL, "%s", bad[i]);
        CHECK_MSG(strstr(d.msg, "'entry_alert"), "%s: %s", bad[i], d.msg);
    }
}

int main(void)
{
    RUN(test_half_kelly_with_vol_target_by_hand);
    RUN(test_prediction_trades_next_open_as_of);
    RUN(test_no_trade_when_kelly_cost_or_vol_forbid);
    RUN(test_five_losses_pause_four_hours);
    RUN(test_daily_drawdown_halves_size_until_day_end);
    RUN(test_flash_move_halts_two_hours);
    RUN(test_stale_data_gives_no_signal);
    RUN(test_short_signals_and_allow_short);
    RUN(test_alert_rule_as_entry_signal);
    return TEST_DONE();
}
