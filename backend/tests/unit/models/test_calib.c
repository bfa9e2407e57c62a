/* test_calib.c — calibration repairs a miscalibrated forecaster on held-out data. */
#include "cpe/calib.h"
#include "cpe/metrics.h"
#include "cpe/rng.h"
#include "test.h"

/* True probability t ~ U(0.2, 0.8); the forecaster says q = sigmoid(3 logit(t)) + 0.1
 * shift: over-confident and biased. */
static void synth(size_t n, uint64_t seed, double *q, double *y)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        double t = 0.2 + 0.6 * cpe_rng_uniform(&r);
        double z = 3 * log(t / (1 - t)) + 0.4;
        q[i] = 1 / (1 + exp(-z));
        y[i] = cpe_rng_uniform(&r) < t ? 1 : 0;
    }
}

static void check_method_improves(cpe_calib_method_t method)
{
    size_t n = 6000;
    double *q = malloc(n * sizeof *q), *y = malloc(n * sizeof *y), *qt = malloc(n * sizeof *qt),
           *yt = malloc(n * sizeof *yt), *pc = malloc(n * sizeof *pc);
    synth(n, 1, q, y);
    synth(n, 2, qt, yt);
    cpe_calib_t c = {0};
    CHECK_EQ_INT(method ? cpe_calib_fit(&c, method, q, y, n) : cpe_calib_fit_auto(&c, q, y, n), 0);
    for (size_t i = 0; i < n; i++)
        pc[i] = cpe_calib_apply(&c, qt[i]);
    double e0 = cpe_metric_ece(qt, yt, n, 10), e1 = cpe_metric_ece(pc, yt, n, 10);
    double l0 = cpe_metric_logloss(qt, yt, n), l1 = cpe_metric_logloss(pc, yt, n);
    CHECK_MSG(e0 > 0.08, "raw ece %.4f should be large", e0);
    CHECK_MSG(e1 < 0.03, "%s ece %.4f (raw %.4f)", cpe_calib_name(c.method), e1, e0);
    CHECK_MSG(l1 < l0, "logloss %.4f vs raw %.4f", l1, l0);
    /* Monotone: calibration never reverses the ranking. */
    for (double a = 0.01; a < 0.99; a += 0.01)
        CHECK(cpe_calib_apply(&c, a) <= cpe_calib_apply(&c, a + 0.01) + 1e-12);
    cpe_calib_free(&c);
    free(q), free(y), free(qt), free(yt), free(pc);
}

static void test_platt_improves_ece_out_of_sample(void)
{
    check_method_improves(CPE_CALIB_PLATT);
}

static void test_isotonic_improves_ece_out_of_sample(void)
{
    check_method_improves(CPE_CALIB_ISOTONIC);
}

static void test_auto_picks_a_method_that_improves(void)
{
    check_method_improves(CPE_CALIB_NONE);
}

static void test_platt_recovers_identity_on_calibrated_input(void)
{
    size_t n = 20000;
    double *q = malloc(n * sizeof *q), *y = malloc(n * sizeof *y);
    cpe_rng_t r;
    cpe_rng_seed(&r, 5);
    for (size_t i = 0; i < n; i++) {
        q[i] = 0.1 + 0.8 * cpe_rng_uniform(&r);
        y[i] = cpe_rng_uniform(&r) < q[i];
    }
    cpe_calib_t c = {0};
    CHECK_EQ_INT(cpe_calib_fit(&c, CPE_CALIB_PLATT, q, y, n), 0);
    CHECK_NEAR(c.a, 1.0, 0.08);
    CHECK_NEAR(c.b, 0.0, 0.05);
    free(q), free(y);
}

static void test_isotonic_pav_by_hand(void)
{
    /* q sorted 0.1..0.5 with y 0,1,0,1,1: PAV pools (1,0) -> 0.5 at x 0.25 */
    double q[5] = {0.1, 0.2, 0.3, 0.4, 0.5}, y[5] = {0, 1, 0, 1, 1};
    cpe_calib_t c = {0};
    /* below MIN_ROWS: refused */
    CHECK_EQ_INT(cpe_calib_fit(&c, CPE_CALIB_ISOTONIC, q, y, 5), CPE_EDATA);
    double qq[20], yy[20];
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 5; i++)
            qq[k * 5 + i] = q[i], yy[k * 5 + i] = y[i];
    CHECK_EQ_INT(cpe_calib_fit(&c, CPE_CALIB_ISOTONIC, qq, yy, 20), 0);
    CHECK_EQ_INT(c.n, 3); /* {0.1:0} {0.2,0.3:0.5} {0.4,0.5:1} */
    CHECK_NEAR(c.x[1], 0.25, 1e-12);
    CHECK_NEAR(c.y[1], 0.5, 1e-12);
    CHECK_NEAR(cpe_calib_apply(&c, 0.05), 1e-4, 1e-12); /* clipped */
    CHECK_NEAR(cpe_calib_apply(&c, 0.25), 0.5, 1e-12);
    cpe_calib_t d = {0};
    CHECK_EQ_INT(cpe_calib_copy(&d, &c), 0);
    CHECK_NEAR(cpe_calib_apply(&d, 0.3), cpe_calib_apply(&c, 0.3), 0);
    cpe_calib_free(&c);
    cpe_calib_free(&d);
}

static void test_isotonic_pools_tied_forecasts(void)
{
    /* A model with few trees gives few distinct probabilities: ties must share one knot,
     * and applying the map at a tied value gives that knot's rate, never NaN. */
    double q[60], y[60];
    for (int i = 0; i < 60; i++) {
        q[i] = i < 30 ? 0.45 : 0.55;
        y[i] = (i % 3 == 0) ^ (i >= 30);
    }
    cpe_calib_t c = {0};
    CHECK_EQ_INT(cpe_calib_fit(&c, CPE_CALIB_ISOTONIC, q, y, 60), 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK_NEAR(cpe_calib_apply(&c, 0.45), 10.0 / 30, 1e-12);
    CHECK_NEAR(cpe_calib_apply(&c, 0.55), 20.0 / 30, 1e-12);
    CHECK_NEAR(cpe_calib_apply(&c, 0.50), 0.5, 1e-12);
    cpe_calib_free(&c);
}

int main(void)
{
    RUN(test_platt_improves_ece_out_of_sample);
    RUN(test_isotonic_improves_ece_out_of_sample);
    RUN(test_auto_picks_a_method_that_improves);
    RUN(test_platt_recovers_identity_on_calibrated_input);
    RUN(test_isotonic_pav_by_hand);
    RUN(test_isotonic_pools_tied_forecasts);
    return TEST_DONE();
}
