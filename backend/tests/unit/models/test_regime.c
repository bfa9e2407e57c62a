/* test_regime.c — regime thresholds from percentiles, rule order, the spec 11.2 table, the
 * ML refinement and the extreme-volatility check. */
#include "cpe/regime.h"
#include "cpe/rng.h"
#include "test.h"

static void test_adjust_table_is_spec_11_2(void)
{
    static const struct {
        const char *name;
        double vol, drift;
    } want[] = {{"low-vol", 0.7, 0},       {"normal", 1.0, 0},           {"high-vol", 1.5, 0},
                {"trending-up", 1.0, 0.5}, {"trending-down", 1.0, -0.5}, {"panic", 2.0, -1.0}};
    for (int i = 0; i < CPE_REGIME_COUNT; i++) {
        int r = cpe_regime_from_name(want[i].name);
        CHECK(r >= 0);
        const cpe_regime_adjust_t *a = cpe_regime_adjust((cpe_regime_t)r);
        CHECK_STR(cpe_regime_name((cpe_regime_t)r), want[i].name);
        CHECK_NEAR(a->vol_mult, want[i].vol, 0);
        CHECK_NEAR(a->drift_sigma, want[i].drift, 0);
    }
    CHECK_EQ_INT(cpe_regime_from_name("sideways"), -1);
    CHECK(cpe_regime_adjust(CPE_REGIME_COUNT) == NULL);
}

/* rows i = 0..999: vol_24h = (i+1)/1000 (uniform), ret_24h such that z24 = (i - 499.5)/100,
 * ret_4h = -(i+1)/1000 */
static void grid(cpe_regime_features_t *x, int n)
{
    for (int i = 0; i < n; i++) {
        x[i].vol_24h = (i + 1) / 1000.0;
        x[i].vol_1h = x[i].vol_24h;
        x[i].ret_24h = (i - 499.5) / 100.0 * x[i].vol_24h * sqrt(24.0);
        x[i].ret_4h = -(i + 1) / 1000.0;
    }
}

static void test_thresholds_are_data_percentiles(void)
{
    enum { N = 1000 };
    cpe_regime_features_t x[N + 1];
    grid(x, N);
    x[N].vol_24h = NAN; /* skipped */
    x[N].ret_4h = x[N].ret_24h = 0;
    cpe_regime_thresholds_t t;
    CHECK_EQ_INT(cpe_regime_fit(x, N + 1, NULL, &t, NULL), 0);
    CHECK_EQ_INT(t.n, N);
    /* linear interpolation at p (n-1): P20 of 0.001..1.000 = 0.001 + 0.2*999/1000 */
    CHECK_NEAR(t.vol_low, 0.001 + 0.2 * 0.999, 1e-12);
    CHECK_NEAR(t.vol_high, 0.001 + 0.8 * 0.999, 1e-12);
    CHECK_NEAR(t.trend_down, -4.995 + 0.15 * 9.99, 1e-9);
    CHECK_NEAR(t.trend_up, -4.995 + 0.85 * 9.99, 1e-9);
    CHECK_NEAR(t.panic_ret, -1.0 + 0.025 * 0.999, 1e-12);
    cpe_regime_levels_t lv;
    cpe_regime_levels_default(&lv);
    lv.vol_high = 90;
    CHECK_EQ_INT(cpe_regime_fit(x, N, &lv, &t, NULL), 0);
    CHECK_NEAR(t.vol_high, 0.001 + 0.9 * 0.999, 1e-12);
    cpe_diag_t d = {0, ""};
    CHECK_EQ_INT(cpe_regime_fit(x, 50, NULL, &t, &d), CPE_EDATA);
    CHECK(strstr(d.msg, "50 usable") != NULL);
}

static void test_rules_apply_in_order(void)
{
    cpe_regime_thresholds_t t = {0};
    t.vol_low = 0.002;
    t.vol_high = 0.008;
    t.trend_down = -1.0;
    t.trend_up = 1.0;
    t.panic_ret = -0.03;
    double s24 = sqrt(24.0);
    cpe_regime_features_t f = {0.005, 0.005, 0.0, 0.0};
    CHECK_EQ_INT(cpe_regime_classify(&t, &f), CPE_REGIME_NORMAL);
    f.vol_24h = 0.001;
    CHECK_EQ_INT(cpe_regime_classify(&t, &f), CPE_REGIME_LOW_VOL);
    f.vol_24h = 0.01;
    CHECK_EQ_INT(cpe_regime_classify(&t, &f), CPE_REGIME_HIGH_VOL);
    f.ret_24h = 1.5 * 0.01 * s24; /* z24 = 1.5: trend beats high vol */
    CHECK_EQ_INT(cpe_regime_classify(&t, &f), CPE_REGIME_TREND_UP);
    f.ret_24h = -1.5 * 0.01 * s24;
    CHECK_EQ_INT(cpe_regime_classify(&t, &f), CPE_REGIME_TREND_DOWN);
    f.ret_4h = -0.05; /* a crash in high vol: panic beats everything */
    CHECK_EQ_INT(cpe_regime_classify(&t, &f), CPE_REGIME_PANIC);
    f.vol_24h = 0.005; /* same crash in normal vol is a down trend, not panic */
    f.ret_24h = -1.5 * 0.005 * s24;
    CHECK_EQ_INT(cpe_regime_classify(&t, &f), CPE_REGIME_TREND_DOWN);
    f.vol_24h = NAN;
    CHECK_EQ_INT(cpe_regime_classify(&t, &f), CPE_REGIME_NORMAL);
}

static void test_ml_refinement_learns_the_rule_tags(void)
{
    enum { N = 6000 };
    static cpe_regime_features_t x[N];
    cpe_rng_t r;
    cpe_rng_seed(&r, 3);
    for (int i = 0; i < N; i++) { /* lognormal vol, noisy trends */
        double v = 0.005 * exp(0.5 * cpe_rng_normal(&r));
        x[i].vol_24h = v;
        x[i].vol_1h = v * exp(0.3 * cpe_rng_normal(&r));
        x[i].ret_24h = v * sqrt(24.0) * cpe_rng_normal(&r);
        x[i].ret_4h = v * 2.0 * cpe_rng_normal(&r) + 0.2 * x[i].ret_24h;
    }
    cpe_regime_thresholds_t t;
    CHECK_EQ_INT(cpe_regime_fit(x, N, NULL, &t, NULL), 0);
    cpe_regime_ml_t m;
    CHECK_EQ_INT(cpe_regime_ml_train(x, N, &t, 0, &m, NULL), 0);
    printf("     train agreement with the rules: %.3f on %zu rows\n", m.train_agreement, m.n);
    CHECK(m.train_agreement > 0.85);
    /* clear-cut cases get the rule tag, and probabilities sum to 1 */
    double p[CPE_REGIME_COUNT], s = 0;
    cpe_regime_features_t calm = {0.001, 0.001, 0.0, 0.0};
    CHECK_EQ_INT(cpe_regime_ml_predict(&m, &calm, p), CPE_REGIME_LOW_VOL);
    for (int k = 0; k < CPE_REGIME_COUNT; k++)
        s += p[k];
    CHECK_NEAR(s, 1.0, 1e-12);
    cpe_regime_features_t up = {0.005, 0.005, 0.01, 3.0 * 0.005 * sqrt(24.0)};
    CHECK_EQ_INT(cpe_regime_ml_predict(&m, &up, p), CPE_REGIME_TREND_UP);
    /* hysteresis keeps the previous tag unless another is clearly more likely */
    double q[CPE_REGIME_COUNT] = {0.05, 0.40, 0.45, 0.04, 0.03, 0.03};
    CHECK_EQ_INT(cpe_regime_ml_smooth(q, CPE_REGIME_NORMAL, 0.2), CPE_REGIME_NORMAL);
    CHECK_EQ_INT(cpe_regime_ml_smooth(q, CPE_REGIME_LOW_VOL, 0.2), CPE_REGIME_HIGH_VOL);
    CHECK_EQ_INT(cpe_regime_ml_smooth(q, -1, 0.2), CPE_REGIME_HIGH_VOL);
}

static void test_extreme_move_widens_and_lowers_confidence(void)
{
    double z[10] = {0.1, -1.2, 2.0, 0.5, -4.9, 1.0, 0.0, 0.3, -0.2, NAN};
    cpe_extreme_t e;
    cpe_extreme_check(z, 10, 5.0, &e);
    CHECK_EQ_INT(e.flag, 0);
    CHECK_NEAR(e.mult, 1.0, 0);
    CHECK_EQ_INT(e.confidence_penalty, 0);
    CHECK_NEAR(e.max_abs_z, 4.9, 0);
    z[3] = -6.0;
    cpe_extreme_check(z, 10, 5.0, &e);
    CHECK_EQ_INT(e.flag, 1);
    CHECK_NEAR(e.mult, 1.2, 1e-15);
    CHECK_EQ_INT(e.confidence_penalty, 1);
    z[3] = 40.0;
    cpe_extreme_check(z, 10, 5.0, &e);
    CHECK_NEAR(e.mult, 2.0, 0); /* capped */
}

int main(void)
{
    RUN(test_adjust_table_is_spec_11_2);
    RUN(test_thresholds_are_data_percentiles);
    RUN(test_rules_apply_in_order);
    RUN(test_ml_refinement_learns_the_rule_tags);
    RUN(test_extreme_move_widens_and_lowers_confidence);
    return TEST_DONE();
}
