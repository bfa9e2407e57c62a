/* test_walkforward.c — fold plan, purge and embargo rules, and a small end-to-end run on
 * synthetic rows with a planted signal and with none. */
#include "cpe/rng.h"
#include "cpe/timeutil.h"
#include "cpe/walkforward.h"
#include "test.h"

#define STEP (5 * CPE_MS_PER_MIN)
#define T0 1704067200000LL /* 2024-01-01 */

static void test_plan_anchors_folds_at_the_end(void)
{
    cpe_wf_config_t c;
    cpe_wf_config_default(&c);
    cpe_wf_plan_t p;
    int64_t end = T0 + 80 * CPE_MS_PER_DAY;
    CHECK_EQ_INT(cpe_wf_make_plan(&c, T0, end, &p, NULL), 0);
    CHECK_EQ_INT(p.n, 5);
    CHECK_EQ_INT(p.f[4].test_to_ms, end);
    for (int k = 0; k < 5; k++) {
        CHECK_EQ_INT(p.f[k].test_to_ms - p.f[k].test_from_ms, 7 * CPE_MS_PER_DAY);
        CHECK_EQ_INT(p.f[k].train_from_ms, T0); /* expanding */
        CHECK_EQ_INT(p.f[k].test_from_ms - p.f[k].train_to_ms, 24 * CPE_MS_PER_HOUR);
        if (k) CHECK_EQ_INT(p.f[k].test_from_ms, p.f[k - 1].test_to_ms);
    }
    CHECK(p.f[0].train_to_ms - T0 >= 30 * CPE_MS_PER_DAY);
    /* Rolling windows keep train_days. */
    c.expanding = 0;
    CHECK_EQ_INT(cpe_wf_make_plan(&c, T0, end, &p, NULL), 0);
    for (int k = 0; k < 5; k++)
        CHECK_EQ_INT(p.f[k].train_to_ms - p.f[k].train_from_ms, 30 * CPE_MS_PER_DAY);
    /* folds = 0: as many as fit: (80 - 30 - 1) / 7 = 7 */
    c.folds = 0;
    CHECK_EQ_INT(cpe_wf_make_plan(&c, T0, end, &p, NULL), 0);
    CHECK_EQ_INT(p.n, 7);
    /* Too little data is refused with the numbers in the message. */
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_wf_make_plan(&c, T0, T0 + 35 * CPE_MS_PER_DAY, &p, &d), CPE_EDATA);
    CHECK(strstr(d.msg, "30 training days") != NULL);
}

static void test_purge_keeps_label_windows_out_of_test(void)
{
    cpe_wf_config_t c;
    cpe_wf_config_default(&c);
    c.purge_h = 2; /* shorter than the 24 h horizon: the label-end rule must still hold */
    cpe_wf_plan_t p;
    CHECK_EQ_INT(cpe_wf_make_plan(&c, T0, T0 + 80 * CPE_MS_PER_DAY, &p, NULL), 0);
    static const int hs[4] = {1, 4, 8, 24};
    for (int k = 0; k < p.n; k++)
        for (int h = 0; h < 4; h++) {
            size_t used = 0;
            for (int64_t ts = T0; ts < p.f[p.n - 1].test_to_ms; ts += STEP) {
                if (!cpe_wf_is_train_row(&p, k, ts, hs[h])) continue;
                used++;
                /* the outcome is known before the test window starts */
                CHECK(ts + hs[h] * CPE_MS_PER_HOUR + CPE_MS_PER_MIN <= p.f[k].test_from_ms);
                /* and the row itself is before the purge gap */
                CHECK(ts < p.f[k].test_from_ms - 2 * CPE_MS_PER_HOUR);
                CHECK(!(ts >= p.f[k].test_from_ms && ts < p.f[k].test_to_ms));
            }
            CHECK(used > 0);
            /* the last row that may train is exactly the last one whose label ends in time */
            int64_t last_ok = p.f[k].test_from_ms - hs[h] * CPE_MS_PER_HOUR - CPE_MS_PER_MIN;
            int64_t cand = last_ok - ((last_ok - T0) % STEP);
            if (hs[h] >= 2) CHECK(cpe_wf_is_train_row(&p, k, cand, hs[h]));
            CHECK(!cpe_wf_is_train_row(&p, k, cand + STEP, hs[h]));
        }
}

static void test_embargo_drops_rows_after_earlier_test_windows(void)
{
    cpe_wf_config_t c;
    cpe_wf_config_default(&c);
    cpe_wf_plan_t p;
    CHECK_EQ_INT(cpe_wf_make_plan(&c, T0, T0 + 80 * CPE_MS_PER_DAY, &p, NULL), 0);
    /* Fold 3 trains on fold 0..1's test windows, but not on the 6 h after each. */
    int64_t e0 = p.f[0].test_to_ms;
    CHECK(cpe_wf_is_train_row(&p, 3, e0 - STEP, 1)); /* inside test 0: allowed later */
    CHECK(!cpe_wf_is_train_row(&p, 3, e0, 1));       /* first embargoed row */
    CHECK(!cpe_wf_is_train_row(&p, 3, e0 + 6 * CPE_MS_PER_HOUR - STEP, 1));
    CHECK(cpe_wf_is_train_row(&p, 3, e0 + 6 * CPE_MS_PER_HOUR, 1));
    /* Fold 0 has no earlier test window, so nothing is embargoed before it. */
    CHECK(cpe_wf_is_train_row(&p, 0, p.f[0].train_to_ms - 2 * CPE_MS_PER_HOUR, 1));
}

/* Rows on a 5m grid: random-walk closes with slowly varying volatility; features: the
 * regime inputs, a feature that (if planted) carries the sign of the next hour's return
 * with noise, and two noise columns. */
#define NCOL 6
static const char *const NAMES[NCOL] = {"volatility_1h", "volatility_24h", "returns_4h",
                                        "returns_24h",   "signal",         "noise"};

static void synth_rows(size_t n, int planted, uint64_t seed, int64_t *ts, double *close, double *X)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    double lv = log(0.0015), c = 50000;
    for (size_t i = 0; i < n; i++) {
        lv += 0.01 * (log(0.0015) - lv) + 0.03 * cpe_rng_normal(&r);
        c *= exp(exp(lv) * cpe_rng_normal(&r));
        ts[i] = T0 + (int64_t)i * STEP;
        close[i] = c;
    }
    for (size_t i = 0; i < n; i++) {
        double *x = X + i * NCOL;
        x[0] = i >= 12 ? exp(lv) * sqrt(1.0) : NAN;
        x[1] = i >= 288 ? 0.0015 * sqrt(12.0) : NAN;
        x[2] = i >= 48 ? log(close[i] / close[i - 48]) : NAN;
        x[3] = i >= 288 ? log(close[i] / close[i - 288]) : NAN;
        double fut = i + 12 < n ? log(close[i + 12] / close[i]) : 0;
        x[4] = planted ? (fut > 0 ? 1 : -1) * (cpe_rng_uniform(&r) < 0.75 ? 1 : -1)
                       : cpe_rng_normal(&r);
        x[5] = cpe_rng_normal(&r);
    }
}

static cpe_wf_config_t small_config(void)
{
    cpe_wf_config_t c;
    cpe_wf_config_default(&c);
    c.train_days = 10;
    c.test_days = 3;
    c.folds = 2;
    c.eval_paths = 200;
    c.ms.n_h = 2;
    c.ms.horizons_h[0] = 1;
    c.ms.horizons_h[1] = 4;
    c.ms.cls.max_rounds = c.ms.reg.max_rounds = 60;
    c.ms.cls.eta = c.ms.reg.eta = 0.1;
    c.ms.cls.early_stop_rounds = c.ms.reg.early_stop_rounds = 10;
    c.ms.cone_paths = 300;
    c.ms.scale_rows = 150;
    c.ms.garch_hours = 2000;
    return c;
}

static void run_synth_with(int planted, int explain, cpe_wf_result_t *res)
{
    size_t n = 17 * 288; /* 17 days */
    int64_t *ts = malloc(n * sizeof *ts);
    double *close = malloc(n * sizeof *close), *X = malloc(n * NCOL * sizeof *X);
    synth_rows(n, planted, planted ? 11 : 12, ts, close, X);
    cpe_mlview_t v = {n, NCOL, ts, X, close, NAMES};
    cpe_wf_config_t c = small_config();
    c.keep_explanations = explain;
    cpe_diag_t d = {0};
    int rc = cpe_wf_run(&v, &c, res, NULL, NULL, &d);
    CHECK_MSG(rc == 0, "run: %s", d.msg);
    free(ts), free(close), free(X);
}

static void run_synth(int planted, cpe_wf_result_t *res)
{
    run_synth_with(planted, 0, res);
}

static void test_run_finds_planted_signal_out_of_sample(void)
{
    cpe_wf_result_t res;
    run_synth(1, &res);
    CHECK_EQ_INT(res.plan.n, 2);
    const cpe_wf_scores_t *s = &res.s[0]; /* 1h: the signal is 75 % right about it */
    CHECK(s->n > 1000);
    CHECK_MSG(s->auc > 0.65, "auc %.3f", s->auc);
    CHECK_MSG(s->logloss < s->b_logloss, "logloss %.4f vs base %.4f", s->logloss, s->b_logloss);
    CHECK(s->b_auc < 0.56); /* constant per fold: ranks only across folds */
    CHECK(s->cov1 > 0.4 && s->cov1 < 0.95);
    CHECK(s->cov2 > s->cov1);
    CHECK(s->crps > 0 && s->cv_crps > 0 && s->gn_crps > 0);
    /* Records: one per test row and horizon, in time order per fold, horizons 1 and 4. */
    CHECK(res.n_records >= 2 * s->n);
    CHECK_EQ_INT(res.records[0].horizon_h, 1);
    CHECK_EQ_INT(res.records[1].horizon_h, 4);
    CHECK(res.records[0].ts_ms >= res.plan.f[0].test_from_ms);
    CHECK(res.records[0].p023 < res.records[0].p159 && res.records[0].p159 < res.records[0].p500);
    CHECK(res.records[0].p500 < res.records[0].p841 && res.records[0].p841 < res.records[0].p977);
    cpe_wf_result_free(&res);
}

static void test_run_without_signal_scores_auc_near_half(void)
{
    /* Features independent of the future: the out-of-sample AUC is 0.5 up to noise. With
     * ~1700 scored rows (heavily overlapping 1h labels on a 5m grid: ~12x fewer
     * independent outcomes, ~145), the AUC's sd is about sqrt(1/(3*145)) ~ 0.048;
     * the band 0.5 +- 0.15 is ~3 sd. */
    cpe_wf_result_t res;
    run_synth(0, &res);
    CHECK_MSG(fabs(res.s[0].auc - 0.5) < 0.15, "auc %.3f", res.s[0].auc);
    cpe_wf_result_free(&res);
}

/* With keep_explanations every record has the explanation of its own bar, horizon and
 * fold model; the bar before it (a test row too) is its "previous bar"; the first row of a
 * fold has none. Without it, no explanation is kept. */
static void test_records_carry_their_explanations(void)
{
    cpe_wf_result_t res;
    run_synth_with(1, 1, &res);
    CHECK(res.n_records > 1000 && res.explain_off != NULL);
    size_t firsts = 0, with_prev = 0;
    for (size_t i = 0; i < res.n_records; i++) {
        const cpe_prediction_t *p = &res.records[i];
        const char *ex = res.explain_text.data + res.explain_off[i];
        char want[96];
        snprintf(want, sizeof want, "\"horizon_hours\":%d,", p->horizon_h);
        CHECK(strstr(ex, want) != NULL);
        snprintf(want, sizeof want, "\"t_ms\":%lld,", (long long)p->ts_ms);
        CHECK(strstr(ex, want) != NULL);
        snprintf(want, sizeof want, "\"model_version\":\"%s\"", p->model_version);
        CHECK(strstr(ex, want) != NULL);
        CHECK(strstr(ex, "\"reasons\":[{") != NULL);
        int first =
            p->ts_ms == res.plan.f[0].test_from_ms || p->ts_ms == res.plan.f[1].test_from_ms;
        snprintf(want, sizeof want, "\"previous_t_ms\":%lld}", (long long)(p->ts_ms - STEP));
        if (first) {
            firsts++;
            CHECK(strstr(ex, "previous_t_ms") == NULL);
        } else if (strstr(ex, want)) {
            with_prev++;
        }
        if (i < 2) CHECK(first);
    }
    CHECK_EQ_INT((long long)firsts, 4); /* 2 folds x 2 horizons */
    CHECK_MSG(with_prev + firsts == res.n_records, "%zu of %zu with the previous bar", with_prev,
              res.n_records);
    cpe_wf_result_free(&res);
    run_synth_with(1, 0, &res);
    CHECK(res.explain_off == NULL && res.explain_text.len == 0);
    cpe_wf_result_free(&res);
}

int main(void)
{
    RUN(test_plan_anchors_folds_at_the_end);
    RUN(test_purge_keeps_label_windows_out_of_test);
    RUN(test_embargo_drops_rows_after_earlier_test_windows);
    RUN(test_run_finds_planted_signal_out_of_sample);
    RUN(test_run_without_signal_scores_auc_near_half);
    RUN(test_records_carry_their_explanations);
    return TEST_DONE();
}
