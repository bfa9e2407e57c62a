/* test_calib_report.c — the calibration report on hand-made predictions and bars whose
 * every figure is worked out in the comments. */
#include "cpe/calib_report.h"
#include "cpe/timeutil.h"
#include "test.h"

#define T0 1704067200000LL /* 2024-01-01T00:00:00Z */
#define M CPE_MS_PER_MIN
#define H CPE_MS_PER_HOUR
#define D CPE_MS_PER_DAY
#define NOW (T0 + 10 * D)

static cpe_store_t *ST;

static cpe_prediction_t pred(int64_t ts, int h, double p_up, double lo2, double lo1, double hi1,
                             double hi2)
{
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
    p.ts_ms = ts;
    p.horizon_h = h;
    p.close = 100.0;
    p.p_up = p_up;
    p.p023 = lo2;
    p.p159 = lo1;
    p.p500 = 100.0;
    p.p841 = hi1;
    p.p977 = hi2;
    return p;
}

static void put_bar(const char *instr, int sim, int64_t open_ms, double close)
{
    int64_t id = -1;
    CHECK_EQ_INT(ST->ops->series_id(ST, instr, "kline:1m", M, sim, 1, &id), 0);
    cpe_kline_t k = {open_ms, close, close, close, close, 1.0, close, 1, 0.5, 0.5 * close};
    CHECK_EQ_INT(ST->ops->put_klines(ST, id, &k, 1, NULL), 0);
}

/* A prediction of horizon 1 h made at bar ts, resolved by the bar opening at ts + 1 h. */
static void put_case(int64_t ts, double p_up, double y, int with_bar)
{
    cpe_prediction_t p = pred(ts, 1, p_up, 97, 99, 101.5, 103);
    CHECK_EQ_INT(ST->ops->put_prediction(ST, &p, NULL), 0);
    if (with_bar) {
        put_bar("binance:spot:BTCUSDT", 0, ts + H, y);
        put_bar("sim:spot:BTCUSDT", 1, ts + H, 1000.0); /* never chosen: binance covers */
    }
}

/* Band 97 / 99 .. 101.5 / 103 around close 100:
 *   P1 d1       p 0.75  y 101    in 1s, in 2s, up
 *   P2 d1+30m   p 0.72  y 102    2s only, up
 *   P3 d4       p 0.35  y 95     outside both, down
 *   P4 d5       p 0.55  y 100.5  in both, up
 *   P5 d5+10m   p 1.00  y 100    in both, a tie: not up
 *   P9 d5+20m   p NaN   y 100.2  in both; no direction
 *   P6 d6       no outcome bar: missing
 *   P7 now-30m  outcome at now + 31 min: pending (its bar exists, "from the future") */
static void setup(void)
{
    char db[600];
    snprintf(db, sizeof db, "%s/calib_report.db", test_tmpdir());
    CHECK_EQ_INT(cpe_store_open(db, &ST, NULL), 0);
    put_case(T0 + 1 * D, 0.75, 101.0, 1);
    put_case(T0 + 1 * D + 30 * M, 0.72, 102.0, 1);
    put_case(T0 + 4 * D, 0.35, 95.0, 1);
    put_case(T0 + 5 * D, 0.55, 100.5, 1);
    put_case(T0 + 5 * D + 10 * M, 1.0, 100.0, 1);
    put_case(T0 + 5 * D + 20 * M, NAN, 100.2, 1);
    put_case(T0 + 6 * D, 0.6, 100.0, 0);
    put_case(NOW - 30 * M, 0.9, 100.0, 1);
}

static void test_calib_report_counts_and_coverage(void)
{
    int hs[2] = {1, 4};
    cpe_calib_report_t r[2];
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_calib_report_build(ST, "BTC", hs, 2, NOW, 30, r, &d), 0);
    CHECK(!strcmp(r[0].instrument, "binance:spot:BTCUSDT"));
    CHECK(!strcmp(r[0].symbol, "BTCUSDT"));
    CHECK_EQ_INT(r[0].simulated, 0);
    CHECK_EQ_INT(r[0].n_read, 8);
    CHECK_EQ_INT(r[0].n_pending, 1);
    CHECK_EQ_INT(r[0].n_missing, 1);
    CHECK_EQ_INT(r[0].n_resolved, 6);
    /* 30 days: P1 P2 P3 P4 P5 P9 -> 1s in 4 of 6, 2s in 5 of 6 */
    CHECK_EQ_INT(r[0].cov_window.n, 6);
    CHECK_EQ_INT(r[0].cov_window.in1, 4);
    CHECK_EQ_INT(r[0].cov_window.in2, 5);
    CHECK_NEAR(r[0].cov_window.cov1, 4.0 / 6, 1e-15);
    CHECK_NEAR(r[0].cov_window.cov2, 5.0 / 6, 1e-15);
    /* 7 days (outcome after day 3): P3 P4 P5 P9 -> 3 of 4 in both */
    CHECK_EQ_INT(r[0].short_days, 7);
    CHECK_EQ_INT(r[0].cov_short.n, 4);
    CHECK_NEAR(r[0].cov_short.cov1, 0.75, 1e-15);
    CHECK_NEAR(r[0].cov_short.cov2, 0.75, 1e-15);
    /* the 4 h horizon has no predictions */
    CHECK_EQ_INT(r[1].horizon_h, 4);
    CHECK_EQ_INT(r[1].n_read, 0);
    CHECK(isnan(r[1].cov_window.cov1) && isnan(r[1].brier));
    CHECK(!strcmp(r[1].instrument, "binance:spot:BTCUSDT"));
}

static void test_calib_report_daily_series(void)
{
    int h = 1;
    cpe_calib_report_t r;
    CHECK_EQ_INT(cpe_calib_report_build(ST, "BTCUSDT", &h, 1, NOW, 30, &r, NULL), 0);
    /* days from T0 - 20 d (the day of now - 30 d + 1 ms) to the day of now: 31 */
    CHECK_EQ_INT(r.ndays, 31);
    CHECK_EQ_INT(r.day_ms[0], T0 - 20 * D);
    CHECK_EQ_INT(r.day_ms[30], T0 + 10 * D);
    CHECK_EQ_INT(r.daily[21].n, 2); /* day 1: P1, P2 */
    CHECK_NEAR(r.daily[21].cov1, 0.5, 1e-15);
    CHECK_NEAR(r.daily[21].cov2, 1.0, 1e-15);
    CHECK_EQ_INT(r.daily[24].n, 1); /* day 4: P3 */
    CHECK_NEAR(r.daily[24].cov2, 0.0, 1e-15);
    CHECK_EQ_INT(r.daily[25].n, 3); /* day 5: P4 P5 P9 */
    CHECK_NEAR(r.daily[25].cov1, 1.0, 1e-15);
    CHECK_EQ_INT(r.daily[26].n, 0); /* day 6: P6 has no outcome */
    CHECK(isnan(r.daily[26].cov1));
    int64_t total = 0;
    for (size_t k = 0; k < r.ndays; k++)
        total += r.daily[k].n;
    CHECK_EQ_INT(total, r.cov_window.n);
}

static void test_calib_report_reliability_and_brier(void)
{
    int h = 1;
    cpe_calib_report_t r;
    CHECK_EQ_INT(cpe_calib_report_build(ST, "BTC", &h, 1, NOW, 30, &r, NULL), 0);
    CHECK_EQ_INT(r.n_dir, 5); /* P9 has no p_up */
    CHECK_NEAR(r.up_share, 0.6, 1e-15);
    CHECK_EQ_INT(r.bins[7].n, 2);
    CHECK_NEAR(r.bins[7].mean_p, 0.735, 1e-12);
    CHECK_NEAR(r.bins[7].up_share, 1.0, 1e-15);
    CHECK_EQ_INT(r.bins[3].n, 1);
    CHECK_NEAR(r.bins[3].up_share, 0.0, 1e-15);
    CHECK_EQ_INT(r.bins[5].n, 1);
    CHECK_EQ_INT(r.bins[9].n, 1); /* p_up = 1 falls in the last bin */
    CHECK_NEAR(r.bins[9].up_share, 0.0, 1e-15);
    CHECK_EQ_INT(r.bins[0].n, 0);
    CHECK(isnan(r.bins[0].mean_p) && isnan(r.bins[0].up_share));
    /* model: .0625 + .0784 + .1225 + .2025 + 1 = 1.4659 over 5 */
    CHECK_NEAR(r.brier, 1.4659 / 5, 1e-12);
    /* as-of base rate: P1 .5 (none resolved), P2 .5 (P1 resolves after P2 is made),
     * P3 1 (P1 P2 up), P4 2/3, P5 2/3 (P4 resolves an hour after P5 is made):
     * .25 + .25 + 1 + 1/9 + 4/9 over 5 */
    CHECK_NEAR(r.brier_base, (0.5 + 1.0 + 5.0 / 9) / 5, 1e-12);
}

static void test_calib_report_window_drops_older_outcomes(void)
{
    int h = 1;
    cpe_calib_report_t r;
    CHECK_EQ_INT(cpe_calib_report_build(ST, "BTC", &h, 1, NOW, 7, &r, NULL), 0);
    /* outcome after day 3: P3 P4 P5 P9 resolved, P6 missing, P7 pending */
    CHECK_EQ_INT(r.n_read, 6);
    CHECK_EQ_INT(r.cov_window.n, 4);
    CHECK_EQ_INT(r.cov_short.n, 4);
    CHECK_EQ_INT(r.ndays, 8);
    /* base rate from the window's own outcomes: P3 .5, P4 0 (P3 down), P5 0 */
    CHECK_NEAR(r.brier_base, (0.25 + 1.0 + 0.0) / 3, 1e-12);
    CHECK_NEAR(r.brier, (0.1225 + 0.2025 + 1.0) / 3, 1e-12);
}

/* The outcome is known at ts + H + 1 min: exactly then it counts, 1 ms earlier it does not. */
static void test_calib_report_outcome_known_at_bar_close(void)
{
    cpe_prediction_t p = pred(T0, 4, 0.7, 90, 95, 105, 110);
    cpe_bar_t b;
    memset(&b, 0, sizeof b);
    b.ts_ms = T0 + 4 * H;
    b.close = 101;
    cpe_calib_report_t r;
    memset(&r, 0, sizeof r);
    int64_t known = T0 + 4 * H + M;
    CHECK_EQ_INT(cpe_calib_report_compute(&p, 1, &b, 1, 4, known, 30, &r), 0);
    CHECK_EQ_INT(r.n_resolved, 1);
    CHECK_EQ_INT(r.cov_short.in1, 1);
    CHECK_NEAR(r.brier, 0.09, 1e-12);
    CHECK_NEAR(r.brier_base, 0.25, 1e-12);
    CHECK_EQ_INT(cpe_calib_report_compute(&p, 1, &b, 1, 4, known - 1, 30, &r), 0);
    CHECK_EQ_INT(r.n_resolved, 0);
    CHECK_EQ_INT(r.n_pending, 1);
}

static void test_calib_report_rejects_bad_input(void)
{
    int h = 5, ok = 1;
    cpe_calib_report_t r;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_calib_report_build(ST, "BTC", &ok, 1, NOW, 0, &r, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "window") != NULL);
    h = 25;
    CHECK_EQ_INT(cpe_calib_report_build(ST, "BTC", &h, 1, NOW, 30, &r, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "25") != NULL);
    CHECK_EQ_INT(cpe_calib_report_build(ST, "DOGE", &ok, 1, NOW, 30, &r, &d), CPE_ENOTFOUND);
    CHECK(strstr(d.msg, "DOGEUSDT") != NULL);
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(cpe_calib_report_compute(NULL, 0, NULL, 0, 1, NOW, 91, &r), CPE_EINVAL);
    CHECK_EQ_INT(cpe_calib_report_compute(NULL, 0, NULL, 0, 0, NOW, 30, &r), CPE_EINVAL);
}

static void test_calib_report_json_names_windows(void)
{
    int h = 1;
    cpe_calib_report_t r;
    CHECK_EQ_INT(cpe_calib_report_build(ST, "BTC", &h, 1, NOW, 30, &r, NULL), 0);
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_calib_report_json(&w, &r);
    CHECK_EQ_INT(w.err, 0);
    CHECK(strstr(b.data, "\"7d\":{\"days\":7,\"n\":4,\"sigma1\":0.75,\"sigma2\":0.75") != NULL);
    CHECK(strstr(b.data, "\"30d\":{\"days\":30,\"n\":6,") != NULL);
    CHECK(strstr(b.data, "{\"day\":\"2024-01-06\",\"t_ms\":1704499200000,\"n\":3,") != NULL);
    CHECK(strstr(b.data, "\"targets\":{\"sigma1\":0.683,\"sigma2\":0.954}") != NULL);
    cpe_buf_free(&b);
}

int main(void)
{
    setup();
    RUN(test_calib_report_counts_and_coverage);
    RUN(test_calib_report_daily_series);
    RUN(test_calib_report_reliability_and_brier);
    RUN(test_calib_report_window_drops_older_outcomes);
    RUN(test_calib_report_outcome_known_at_bar_close);
    RUN(test_calib_report_rejects_bad_input);
    RUN(test_calib_report_json_names_windows);
    cpe_store_close(ST);
    return TEST_DONE();
}
