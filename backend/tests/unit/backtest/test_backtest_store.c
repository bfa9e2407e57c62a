/* test_backtest_store.c — a strategy backtest read from a real SQLite store: 1m klines of
 * the spot series, funding of the perp at its settlement times, stored predictions; the
 * funding is charged on the position at those times, the stored predictions drive the
 * trades (only those a walk-forward model made after its label cutoff), and without any
 * prediction the run says how to get them. */
#include "cpe/backtest.h"
#include "cpe/store.h"
#include "test.h"

#include <math.h>

#define MIN 60000LL
#define HOUR 3600000LL
#define T0 1735689600000LL /* 2025-01-01 00:00 UTC */
#define NB (12 * 60)

static cpe_store_t *make_store(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(path, &st, &d)) return NULL;
    int64_t id;
    static cpe_kline_t k[NB];
    for (int i = 0; i < NB; i++) {
        double p = 100 + 0.01 * i; /* a steady rise: longs win */
        k[i] =
            (cpe_kline_t){T0 + i * MIN, p, p + 0.005, p - 0.005, p + 0.01, 1, NAN, NAN, NAN, NAN};
    }
    cpe_upsert_stats_t us;
    st->ops->series_id(st, "binance:spot:BTCUSDT", "kline:1m", MIN, 0, 1, &id);
    st->ops->put_klines(st, id, k, NB, &us);
    /* funding at 08:00 (settles a few ms late, as Binance's does) and at 16:00 (after the
     * data) */
    cpe_point_t f[2] = {{T0 + 8 * HOUR + 7, 0, {0.001, NAN, NAN, NAN, NAN, NAN}},
                        {T0 + 16 * HOUR, 0, {0.001, NAN, NAN, NAN, NAN, NAN}}};
    st->ops->series_id(st, "binance:perp:BTCUSDT", "funding", 8 * HOUR, 0, 1, &id);
    st->ops->put_points(st, id, f, 2, &us);
    return st;
}

static void put_pred_v(cpe_store_t *st, int64_t ts, double p_up, const char *version)
{
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    p.ts_ms = ts;
    snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
    p.horizon_h = 4;
    p.close = 100;
    p.p_up = p_up;
    p.expected_move = p_up > 0.5 ? 0.01 : -0.01;
    p.volatility = 0.01;
    snprintf(p.model_version, sizeof p.model_version, "%s", version);
    st->ops->put_prediction(st, &p, NULL);
}

/* a walk-forward model whose labels end on 2025-01-01 00:00 */
static void put_pred(cpe_store_t *st, int64_t ts, double p_up)
{
    put_pred_v(st, ts, p_up, "BTCUSDT-wf-20250101");
}

/* One up prediction at 06:00 (bar open 06:00, made at its close): long from 06:02's open,
 * held 4 h across the 08:00 funding, closed at the horizon. */
static void test_stored_predictions_and_real_funding_times(void)
{
    cpe_store_t *st = make_store("a.db");
    CHECK(st != NULL);
    if (!st) return;
    put_pred(st, T0 + 6 * HOUR, 0.7);
    put_pred(st, T0 + 6 * HOUR + 30 * 1000, 0.9); /* between bars: never used */
    /* not as of their bar: the live champion's record, a walk-forward model that knew
     * outcomes up to 2025-01-02 */
    put_pred_v(st, T0 + 2 * HOUR, 0.9, "BTCUSDT-20250105T000000");
    put_pred_v(st, T0 + 3 * HOUR, 0.9, "BTCUSDT-wf-20250102");
    cpe_bt_config_t c;
    cpe_bt_config_default(&c);
    cpe_bt_result_t r = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bt_run_store(st, "BTC", T0, T0 + NB * MIN, &c, &r, &d), 0);
    CHECK_STR(r.pred_source, "stored walk-forward predictions");
    CHECK_EQ_INT(r.n_notes, 1);
    CHECK_MSG(strstr(r.notes[0], "ignored 2 stored predictions") != NULL, "%s", r.notes[0]);
    CHECK_STR(r.symbol, "BTCUSDT");
    CHECK_EQ_INT(r.n, NB);
    CHECK_EQ_INT(r.book.n_trades, 1);
    if (r.book.n_trades == 1) {
        const cpe_bt_trade_t *t = &r.book.trades[0];
        CHECK_EQ_INT(t->entry_ms, T0 + 6 * HOUR + MIN);
        CHECK_EQ_INT(t->exit_ms,
                     T0 + 10 * HOUR + MIN); /* the open after 10:01, 4 h after the signal */
        /* funding settling at 08:00:00.007 is charged at the next open, 08:01 */
        double mark = 100 + 0.01 * (8 * 60 + 1);
        CHECK_NEAR(t->funding, -t->units * mark * 0.001, 1e-9);
        CHECK_NEAR(r.m.funding, t->funding, 0);
        CHECK(t->pnl > 0);
    }
    cpe_bt_result_free(&r);
    /* perp off: no funding */
    c.perp = 0;
    CHECK_EQ_INT(cpe_bt_run_store(st, "BTCUSDT", T0, T0 + NB * MIN, &c, &r, &d), 0);
    CHECK_NEAR(r.m.funding, 0, 0);
    cpe_bt_result_free(&r);
    cpe_store_close(st);
}

/* No stored prediction and too little history to train walk-forward models: an error
 * that says to backfill; a range without bars: an error naming the range. */
static void test_missing_predictions_or_bars_are_errors(void)
{
    cpe_store_t *st = make_store("b.db");
    CHECK(st != NULL);
    if (!st) return;
    cpe_bt_config_t c;
    cpe_bt_config_default(&c);
    cpe_bt_result_t r = {0};
    cpe_diag_t d = {0};
    CHECK(cpe_bt_run_store(st, "BTCUSDT", T0, T0 + NB * MIN, &c, &r, &d) < 0);
    CHECK_MSG(strstr(d.msg, "cpe predict --backfill") != NULL, "%s", d.msg);
    cpe_bt_result_free(&r);
    CHECK(cpe_bt_run_store(st, "BTCUSDT", T0 - 10 * HOUR, T0 - 5 * HOUR, &c, &r, &d) == CPE_EDATA);
    CHECK_MSG(strstr(d.msg, "0 1m bars in [2024-12-31T14:00:00") != NULL, "%s", d.msg);
    cpe_bt_result_free(&r);
    cpe_store_close(st);
}

int main(void)
{
    RUN(test_stored_predictions_and_real_funding_times);
    RUN(test_missing_predictions_or_bars_are_errors);
    return TEST_DONE();
}
