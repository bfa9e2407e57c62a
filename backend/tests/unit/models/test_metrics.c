/* test_metrics.c — scores against hand-computed values. */
#include "cpe/metrics.h"
#include "cpe/rng.h"
#include "test.h"

static const double P[6] = {0.9, 0.8, 0.3, 0.6, 0.2, 0.55};
static const double Y[6] = {1, 0, 0, 1, 0, 0};

static void test_accuracy_brier_logloss_by_hand(void)
{
    /* predictions >0.5: 1,1,0,1,0,1 vs 1,0,0,1,0,0 -> 4 of 6 */
    CHECK_NEAR(cpe_metric_accuracy(P, Y, 6), 4.0 / 6, 1e-15);
    /* (0.01 + 0.64 + 0.09 + 0.16 + 0.04 + 0.3025) / 6 */
    CHECK_NEAR(cpe_metric_brier(P, Y, 6), 1.2425 / 6, 1e-15);
    double ll = -(log(0.9) + log(0.2) + log(0.7) + log(0.6) + log(0.8) + log(0.45)) / 6;
    CHECK_NEAR(cpe_metric_logloss(P, Y, 6), ll, 1e-14);
}

static void test_auc_by_hand_with_ties_and_nan(void)
{
    /* positives 0.9, 0.6; negatives 0.8, 0.3, 0.2, 0.55.
     * pairs won: 0.9 beats 4; 0.6 beats 0.3, 0.2, 0.55 -> 7 of 8 */
    CHECK_NEAR(cpe_metric_auc(P, Y, 6), 7.0 / 8, 1e-15);
    double p[5] = {0.5, 0.5, 0.7, 0.1, NAN}, y[5] = {1, 0, 1, 0, 1};
    /* positives 0.5, 0.7; negatives 0.5, 0.1: 0.5 vs 0.5 tie 1/2, 0.5>0.1, 0.7 beats both */
    CHECK_NEAR(cpe_metric_auc(p, y, 5), 3.5 / 4, 1e-15);
    double one[2] = {0.2, 0.3}, ones[2] = {1, 1};
    CHECK(isnan(cpe_metric_auc(one, ones, 2)));
}

static void test_ece_by_hand(void)
{
    /* bins of width 0.1: 0.9->b9 (y1), 0.8->b8 (y0), 0.3->b3 (y0), 0.6->b6 (y1), 0.2->b2 (y0),
     * 0.55->b5 (y0). ECE = (0.1 + 0.8 + 0.3 + 0.4 + 0.2 + 0.55) / 6 */
    CHECK_NEAR(cpe_metric_ece(P, Y, 6, 10), 2.35 / 6, 1e-14);
    double p[4] = {0.61, 0.69, 0.62, 0.68}, y[4] = {1, 0, 1, 1};
    /* one bin: |2.6/4 - 3/4| = 0.1 */
    CHECK_NEAR(cpe_metric_ece(p, y, 4, 10), 0.1, 1e-14);
}

static void test_top_accuracy_uses_most_confident(void)
{
    /* confidence |p-0.5|: 0.4 (r0 hit), 0.3 (r1 miss), 0.3 (r4 hit), 0.2 (r2 hit)...
     * frac 0.5 of 6 -> 3 rows: r0, r1, r4 -> 2 of 3 */
    CHECK_NEAR(cpe_metric_top_accuracy(P, Y, 6, 0.5), 2.0 / 3, 1e-15);
    CHECK_NEAR(cpe_metric_top_accuracy(P, Y, 6, 0.1), 1.0, 1e-15);
}

static void test_coverage_counts_inclusive_bounds(void)
{
    double x[4] = {1, 2, 3, NAN}, lo[4] = {0, 2, 3.5, 0}, hi[4] = {2, 5, 4, 1};
    CHECK_NEAR(cpe_metric_coverage(x, lo, hi, 4), 2.0 / 3, 1e-15);
}

static void test_crps_gauss_known_values(void)
{
    /* At x = mu: sigma (2 phi(0) - 1/sqrt(pi)) = sigma (sqrt(2/pi) - 1/sqrt(pi)) */
    CHECK_NEAR(cpe_crps_gauss(0, 1, 0), sqrt(2 / M_PI) - 1 / sqrt(M_PI), 1e-15);
    CHECK_NEAR(cpe_crps_gauss(0.01, 0.02, 0.01), 0.02 * (sqrt(2 / M_PI) - 1 / sqrt(M_PI)), 1e-15);
    /* Far from the mean CRPS -> |x - mu| - sigma/sqrt(pi) */
    CHECK_NEAR(cpe_crps_gauss(0, 1, 10), 10 - 1 / sqrt(M_PI), 1e-9);
    CHECK(isnan(cpe_crps_gauss(0, 0, 1)));
}

static void test_crps_samples_matches_definition_and_gauss(void)
{
    /* Samples {0, 1}, x = 0: E|S-x| = 0.5, E|S-S'| = 0.5 -> 0.5 - 0.25 = 0.25 */
    double s2[2] = {0, 1};
    CHECK_NEAR(cpe_crps_samples(s2, 2, 0), 0.25, 1e-15);
    /* Many normal samples approach the closed form. */
    size_t n = 20000;
    double *s = malloc(n * sizeof *s);
    cpe_rng_t r;
    cpe_rng_seed(&r, 3);
    for (size_t i = 0; i < n; i++)
        s[i] = cpe_rng_normal(&r);
    /* sort */
    for (size_t gap = n / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < n; i++)
            for (size_t j = i; j >= gap && s[j - gap] > s[j]; j -= gap) {
                double t = s[j];
                s[j] = s[j - gap];
                s[j - gap] = t;
            }
    CHECK_NEAR(cpe_crps_samples(s, n, 0.7), cpe_crps_gauss(0, 1, 0.7), 0.01);
    free(s);
}

int main(void)
{
    RUN(test_accuracy_brier_logloss_by_hand);
    RUN(test_auc_by_hand_with_ties_and_nan);
    RUN(test_ece_by_hand);
    RUN(test_top_accuracy_uses_most_confident);
    RUN(test_coverage_counts_inclusive_bounds);
    RUN(test_crps_gauss_known_values);
    RUN(test_crps_samples_matches_definition_and_gauss);
    return TEST_DONE();
}
