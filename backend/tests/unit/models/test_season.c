/* test_season.c — the hour-of-week factor: exact window means, recovery of a known
 * pattern, robustness to a crash hour. */
#include "cpe/rng.h"
#include "cpe/season.h"
#include "test.h"

#define H 3600000LL
#define MON 1704067200000LL /* 2024-01-01 00:00 UTC, a Monday */

static void test_bucket_zero_is_monday_midnight(void)
{
    CHECK_EQ_INT(cpe_season_bucket(MON), 0);
    CHECK_EQ_INT(cpe_season_bucket(MON + 25 * H + 59 * 60000), 25);
    CHECK_EQ_INT(cpe_season_bucket(MON - 1), 167);
    CHECK_EQ_INT(cpe_season_bucket(0), 72); /* 1970-01-01 was a Thursday */
}

static void test_window_mean_is_minute_exact(void)
{
    cpe_season_t s;
    double tot = 0;
    for (int b = 0; b < CPE_SEASON_N; b++)
        tot += (s.f[b] = b + 1.0);
    for (int b = 0; b < CPE_SEASON_N; b++)
        s.f[b] *= CPE_SEASON_N / tot;
    cpe_season_finish(&s);
    /* Mon 00:30 .. 02:30: half of bucket 0, all of 1, half of 2 */
    double want = (0.5 * s.f[0] + s.f[1] + 0.5 * s.f[2]) / 2;
    CHECK_CLOSE(cpe_season_mean(&s, MON + H / 2, MON + 5 * H / 2), want, 1e-12);
    /* a whole week (any start) has mean 1, also across the week boundary */
    CHECK_CLOSE(cpe_season_mean(&s, MON + 7 * H, MON + 175 * H), 1.0, 1e-12);
    CHECK_CLOSE(cpe_season_mean(&s, MON - 3 * H, MON + 165 * H), 1.0, 1e-12);
    /* Sunday 23:00 .. Monday 01:00 wraps from bucket 167 to 0 */
    CHECK_CLOSE(cpe_season_mean(&s, MON - H, MON + H), (s.f[167] + s.f[0]) / 2, 1e-12);
    CHECK_NEAR(cpe_season_mean(&s, MON, MON), 1.0, 0);
}

/* Ratios from a known pattern times log-normal noise: the fit recovers the pattern, and one
 * crash hour (ratio 500) moves its bucket by a bounded amount. */
static void test_fit_recovers_a_known_pattern(void)
{
    double f[CPE_SEASON_N], tot = 0;
    for (int b = 0; b < CPE_SEASON_N; b++) {
        int hour = b % 24, day = b / 24;
        f[b] = (1 + 0.6 * sin(2 * M_PI * (hour - 8) / 24)) * (day >= 5 ? 0.6 : 1.0);
        tot += f[b];
    }
    for (int b = 0; b < CPE_SEASON_N; b++)
        f[b] *= CPE_SEASON_N / tot;
    enum { WEEKS = 80, N = WEEKS * CPE_SEASON_N };
    int64_t *t = malloc(N * sizeof *t);
    double *r = malloc(N * sizeof *r);
    cpe_rng_t g;
    cpe_rng_seed(&g, 5);
    for (int i = 0; i < N; i++) {
        t[i] = MON + (int64_t)(i + 1) * H; /* the hour ending here is bucket i mod 168 */
        double e = 0.5 * cpe_rng_normal(&g);
        r[i] = f[i % CPE_SEASON_N] * exp(e - 0.125);
    }
    r[1000] = 500; /* a crash hour */
    cpe_season_t s;
    CHECK_EQ_INT(cpe_season_fit(&s, t, r, N, NULL), 0);
    double worst = 0, mean = 0;
    for (int b = 0; b < CPE_SEASON_N; b++)
        if (b != 1000 % CPE_SEASON_N) {
            worst = fmax(worst, fabs(s.f[b] / f[b] - 1));
            mean += fabs(s.f[b] / f[b] - 1) / (CPE_SEASON_N - 1);
        }
    /* 80 noisy samples a bucket: sampling error ~6 % each (a max over 167 ~3.5 sd) */
    CHECK_MSG(mean < 0.07 && worst < 0.3, "relative error mean %.3f worst %.3f", mean, worst);
    /* the crash counts as 8 (winsorised): its bucket moves by about 8/40, not 500/40 */
    int cb = 1000 % CPE_SEASON_N;
    CHECK_MSG(fabs(s.f[cb] - f[cb]) < 8.0 / WEEKS + 0.1, "crash bucket %.3f vs %.3f", s.f[cb],
              f[cb]);
    CHECK_CLOSE(s.cum[CPE_SEASON_N], (double)CPE_SEASON_N, 1e-12);
    /* too few samples are refused, with the count */
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_season_fit(&s, t, r, 100, &d), CPE_EDATA);
    CHECK(strstr(d.msg, "100") != NULL);
    free(t);
    free(r);
}

int main(void)
{
    RUN(test_bucket_zero_is_monday_midnight);
    RUN(test_window_mean_is_minute_exact);
    RUN(test_fit_recovers_a_known_pattern);
    return TEST_DONE();
}
