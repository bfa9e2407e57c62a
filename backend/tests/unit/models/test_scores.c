/* test_scores.c — scoring rules against closed forms, hand-computed cases and 40-digit
 * mpmath values; the t fit against simulated truth; Diebold-Mariano size under the null. */
#include "cpe/rng.h"
#include "cpe/scores.h"
#include "test.h"

#include <gsl/gsl_randist.h>

static void test_crps_t_matches_scoringrules_value(void)
{
    CHECK_NEAR(cpe_crps_t(-3, 5, 0, 1), 2.33875895, 1e-8);
    /* mpmath, 40 digits: the closed form at another point */
    CHECK_NEAR(cpe_crps_t(0.02, 3.5, 0.001, 0.01), 0.012902607640069340215, 1e-15);
    CHECK(isnan(cpe_crps_t(0, 1.0, 0, 1)));
    CHECK(isnan(cpe_crps_t(0, 5, 0, 0)));
}

static void test_crps_t_tends_to_normal(void)
{
    CHECK_NEAR(cpe_crps_t(0.7, 1e5, 0.1, 2), cpe_crps_normal(0.7, 0.1, 2), 1e-5);
    CHECK_NEAR(cpe_crps_t(0.7, INFINITY, 0.1, 2), cpe_crps_normal(0.7, 0.1, 2), 1e-15);
    /* at y = mu: sd (sqrt(2/pi) - 1/sqrt(pi)) */
    CHECK_NEAR(cpe_crps_normal(1, 1, 3), 3 * (sqrt(2 / M_PI) - 1 / sqrt(M_PI)), 1e-15);
}

static void test_t_std_cdf_and_quantile_match_mpmath(void)
{
    static const double ref[][3] = {
        {3, -2.5, 0.011356911872294891297},  {3, 0.7, 0.84394166948176744123},
        {4.5, -0.3, 0.35285985947497033812}, {4.5, 5.0, 0.99916550715728192082},
        {10, 1.2, 0.89530843628567716842},   {50, -2.0, 0.023261132744751502894},
        {150, 3.0, 0.99851491894552152256},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++)
        CHECK_NEAR(cpe_t_std_cdf(ref[i][1], ref[i][0]), ref[i][2], 1e-12);
    static const double qref[][3] = {
        {3, 0.001, -5.8973627146334112919},
        {4.5, 0.025, -1.9818362515208565454},
        {4.5, 0.8413, 0.83772138038850182507},
        {50, 0.99, 2.354715963604900779},
    };
    for (size_t i = 0; i < sizeof qref / sizeof qref[0]; i++)
        CHECK_NEAR(cpe_t_std_quantile(qref[i][1], qref[i][0]), qref[i][2], 1e-10);
    for (double p = 0.01; p < 1; p += 0.07)
        CHECK_NEAR(cpe_t_std_cdf(cpe_t_std_quantile(p, 3.3), 3.3), p, 1e-12);
    CHECK_NEAR(cpe_t_std_quantile(0.975, INFINITY), 1.959963984540054, 1e-12);
    CHECK_NEAR(cpe_t_std_cdf(-1, 2e6), 0.15865525393145707, 1e-14);
    CHECK(isnan(cpe_t_std_cdf(0, 2.0)));
    CHECK(isnan(cpe_t_std_quantile(1.5, 5)));
}

/* 2 x mean pinball loss on 199 levels vs the closed form, from the far left tail to the
 * far right one. */
static void test_crps_quantiles_match_closed_forms(void)
{
    enum { N = 199 };
    double tau[N], qn[N], qt[N];
    cpe_tau_grid(N, tau);
    CHECK_NEAR(tau[0], 0.5 / N, 1e-17);
    CHECK_NEAR(tau[N - 1], (N - 0.5) / N, 1e-15);
    const double mu = 0.001, sd = 0.02, nu = 4.0;
    const double t_scale = sd * sqrt((nu - 2) / nu); /* unit-variance t -> standard t */
    for (int i = 0; i < N; i++) {
        qn[i] = mu + sd * cpe_t_std_quantile(tau[i], INFINITY);
        qt[i] = mu + sd * cpe_t_std_quantile(tau[i], nu);
    }
    static const double ys[] = {-0.1, -0.05, -0.02, -0.005, 0.0, 0.001, 0.012, 0.03, 0.06, 0.12};
    for (size_t k = 0; k < sizeof ys / sizeof ys[0]; k++) {
        double y = ys[k];
        CHECK_CLOSE(cpe_crps_quantiles(y, qn, tau, N), cpe_crps_normal(y, mu, sd), 0.005);
        CHECK_CLOSE(cpe_crps_quantiles(y, qt, tau, N), cpe_crps_t(y, nu, mu, t_scale), 0.005);
    }
    CHECK(isnan(cpe_crps_quantiles(NAN, qn, tau, N)));
}

static void test_qlike_forms_rank_forecasts_alike(void)
{
    CHECK_NEAR(cpe_qlike(2.0, 0.0), log(2.0), 1e-15);
    CHECK_NEAR(cpe_qlike(2.0, 3.0), log(2.0) + 1.5, 1e-15);
    CHECK_NEAR(cpe_qlike_patton(2.0, 2.0), 0.0, 1e-15);
    CHECK_NEAR(cpe_qlike_patton(2.0, 3.0), 1.5 - log(1.5) - 1, 1e-15);
    /* the two forms differ by a term in y alone */
    CHECK_NEAR(cpe_qlike(2.0, 3.0) - cpe_qlike(5.0, 3.0),
               cpe_qlike_patton(2.0, 3.0) - cpe_qlike_patton(5.0, 3.0), 1e-14);
    CHECK(isnan(cpe_qlike(0.0, 1.0)));
    CHECK(isnan(cpe_qlike(1.0, -1.0)));
    CHECK(isnan(cpe_qlike_patton(1.0, 0.0)));
}

static void test_winkler_by_hand(void)
{
    CHECK_NEAR(cpe_winkler(-1, 1, 0.5, 0.1), 2.0, 1e-15);
    CHECK_NEAR(cpe_winkler(-1, 1, -1.5, 0.1), 2.0 + 20 * 0.5, 1e-13);
    CHECK_NEAR(cpe_winkler(-1, 1, 3, 0.5), 2.0 + 4 * 2, 1e-13);
    CHECK_NEAR(cpe_winkler(-1, 1, 1, 0.5), 2.0, 1e-15); /* edges are inside */
    CHECK(isnan(cpe_winkler(1, -1, 0, 0.1)));
    CHECK(isnan(cpe_winkler(-1, 1, 0, 0)));
}

static void test_pit_bins_and_edges(void)
{
    uint64_t h[CPE_PIT_BINS] = {0};
    cpe_pit_add(h, 0.0);
    cpe_pit_add(h, 0.0999);
    cpe_pit_add(h, 0.1);
    cpe_pit_add(h, 0.95);
    cpe_pit_add(h, 1.0);
    cpe_pit_add(h, NAN);
    cpe_pit_add(h, -0.01);
    cpe_pit_add(h, 1.01);
    CHECK_EQ_INT(h[0], 2);
    CHECK_EQ_INT(h[1], 1);
    CHECK_EQ_INT(h[9], 2);
    uint64_t total = 0;
    for (int i = 0; i < CPE_PIT_BINS; i++)
        total += h[i];
    CHECK_EQ_INT(total, 5);
}

static void test_dm_by_hand(void)
{
    /* d = 1..4, m = 2.5, g0 = 1.25, g1 = 0.3125, L = 1: LRV = 1.25 + 2 (1/2) 0.3125 = 1.5625;
     * t = 2.5 / sqrt(1.5625 / 4) = 4 */
    const double d[4] = {1, 2, 3, 4};
    double t, p;
    CHECK_EQ_INT(cpe_dm_test(d, 4, 1, &t, &p, NULL), 0);
    CHECK_NEAR(t, 4.0, 1e-14);
    CHECK_NEAR(p, erfc(4.0 / sqrt(2.0)), 1e-18);
    /* L = 0: LRV = g0, t = 2.5 / sqrt(1.25/4) */
    CHECK_EQ_INT(cpe_dm_test(d, 4, 0, &t, &p, NULL), 0);
    CHECK_NEAR(t, 2.5 / sqrt(1.25 / 4), 1e-14);
}

static void test_dm_automatic_lags_and_errors(void)
{
    double d[100], t1, p1, t2, p2;
    cpe_rng_t r;
    cpe_rng_seed(&r, 5);
    for (int i = 0; i < 100; i++)
        d[i] = cpe_rng_normal(&r);
    /* n = 100: floor(4 * 1) = 4 lags */
    CHECK_EQ_INT(cpe_dm_test(d, 100, -1, &t1, &p1, NULL), 0);
    CHECK_EQ_INT(cpe_dm_test(d, 100, 4, &t2, &p2, NULL), 0);
    CHECK(t1 == t2 && p1 == p2);
    cpe_diag_t dg = {0};
    CHECK_EQ_INT(cpe_dm_test(d, 1, 0, &t1, &p1, &dg), CPE_EDATA);
    CHECK_EQ_INT(cpe_dm_test(d, 100, 100, &t1, &p1, &dg), CPE_EINVAL);
    d[17] = NAN;
    CHECK_EQ_INT(cpe_dm_test(d, 100, 2, &t1, &p1, &dg), CPE_EINVAL);
    CHECK(strstr(dg.msg, "d[17]") != NULL);
    double c[5] = {1, 1, 1, 1, 1};
    CHECK_EQ_INT(cpe_dm_test(c, 5, 1, &t1, &p1, &dg), CPE_EDATA);
}

/* Rejection rate at 5 % over `reps` series of n, d = MA(h-1) of iid N(0,1) (h = 1: iid). */
static double dm_rejection_rate(int reps, size_t n, int h, int lags, double shift)
{
    double *d = malloc(n * sizeof *d), e[64] = {0};
    int rejected = 0;
    for (int s = 0; s < reps; s++) {
        cpe_rng_t r;
        cpe_rng_seed(&r, 1000 + (uint64_t)s);
        for (int j = 0; j < h; j++)
            e[j] = cpe_rng_normal(&r);
        for (size_t t = 0; t < n; t++) {
            e[t % (size_t)h] = cpe_rng_normal(&r);
            double sum = 0;
            for (int j = 0; j < h; j++)
                sum += e[j];
            d[t] = sum + shift;
        }
        double stat, p;
        if (cpe_dm_test(d, n, lags, &stat, &p, NULL) == 0 && p < 0.05) rejected++;
    }
    free(d);
    return (double)rejected / reps;
}

static void test_dm_size_under_iid_null(void)
{
    /* 1000 fixed seeds: binomial sd 0.007 around the 5 % a correct test gives */
    double rate = dm_rejection_rate(1000, 500, 1, -1, 0.0);
    CHECK_MSG(rate > 0.025 && rate < 0.08, "iid null rejection rate %.3f", rate);
    /* and a real difference (0.25 sd) is found nearly always */
    CHECK(dm_rejection_rate(200, 500, 1, -1, 0.25) > 0.95);
}

static void test_dm_overlapping_outcomes_need_lags(void)
{
    /* h = 4 step outcomes overlap: d is MA(3); its long-run variance is 4x g0. Without lags
     * the test rejects about a third of the time; with 2h lags it is near its size. */
    double none = dm_rejection_rate(600, 1000, 4, 0, 0.0);
    double nw = dm_rejection_rate(600, 1000, 4, 8, 0.0);
    CHECK_MSG(none > 0.2, "no-lag rejection rate %.3f", none);
    CHECK_MSG(nw > 0.02 && nw < 0.11, "Newey-West (8 lags) rejection rate %.3f", nw);
}

static double t_loglik(const double *z, size_t n, double nu, double s)
{
    double c = s * sqrt((nu - 2) / nu), ll = 0;
    for (size_t i = 0; i < n; i++)
        ll += log(gsl_ran_tdist_pdf(z[i] / c, nu) / c);
    return ll;
}

static double *sim_t(size_t n, double nu, double s, uint64_t seed)
{
    double *z = malloc(n * sizeof *z);
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        z[i] = s * (isinf(nu) ? cpe_rng_normal(&r) : cpe_rng_t_unit(&r, nu));
    return z;
}

static void test_t_fit_recovers_simulated_truth(void)
{
    static const double truth[][2] = {{3.5, 1.0}, {4.0, 0.8}, {8.0, 1.3}};
    size_t n = 100000;
    for (int k = 0; k < 3; k++) {
        double *z = sim_t(n, truth[k][0], truth[k][1], 40 + (uint64_t)k), nu, s;
        CHECK_EQ_INT(cpe_t_fit(z, n, &nu, &s, NULL), 0);
        CHECK_MSG(fabs(nu - truth[k][0]) < 0.08 * truth[k][0], "nu %g vs %g", nu, truth[k][0]);
        CHECK_CLOSE(s, truth[k][1], 0.02);
        /* the optimum: no nearby point has a higher likelihood */
        double ll = t_loglik(z, n, nu, s);
        for (int a = -1; a <= 1; a++)
            for (int b = -1; b <= 1; b++)
                CHECK(t_loglik(z, n, nu * (1 + 1e-3 * a), s * (1 + 1e-3 * b)) <= ll + 1e-9);
        free(z);
    }
    /* Gaussian data: nu at (or near) the upper bound, scale = sd */
    double *g = sim_t(n, INFINITY, 2.0, 7), nu, s;
    CHECK_EQ_INT(cpe_t_fit(g, n, &nu, &s, NULL), 0);
    CHECK_MSG(nu > 50 && nu <= 200, "gaussian nu %g", nu);
    CHECK_CLOSE(s, 2.0, 0.01);
    free(g);
}

static void test_t_fit_shrugs_off_a_few_huge_values(void)
{
    size_t n = 100000;
    double *z = sim_t(n, 4.0, 1.0, 11), nu0, s0, nu, s;
    CHECK_EQ_INT(cpe_t_fit(z, n, &nu0, &s0, NULL), 0);
    z[10] = 1e6;
    z[2000] = -1e6;
    z[30000] = 1e200;
    z[40000] = -1.7e308;
    z[50000] = 5e4;
    CHECK_EQ_INT(cpe_t_fit(z, n, &nu, &s, NULL), 0);
    CHECK_MSG(fabs(nu - nu0) < 0.2, "nu %g, without the outliers %g", nu, nu0);
    CHECK_CLOSE(s, s0, 0.02);
    free(z);
}

/* The fit runs on z / (robust sd): scaling the data by 1e-200 or 1e150 scales the fitted
 * scale and leaves nu alone; data heavier than any allowed nu (Cauchy) converge at the
 * lower bound. */
static void test_t_fit_scale_invariant_and_bounded(void)
{
    size_t n = 20000;
    double *z = sim_t(n, 5.0, 1.0, 13), nu0, s0, nu, s;
    CHECK_EQ_INT(cpe_t_fit(z, n, &nu0, &s0, NULL), 0);
    static const double f[2] = {1e-200, 1e150};
    for (int j = 0; j < 2; j++) {
        double *w = malloc(n * sizeof *w);
        for (size_t i = 0; i < n; i++)
            w[i] = z[i] * f[j];
        CHECK_EQ_INT(cpe_t_fit(w, n, &nu, &s, NULL), 0);
        CHECK_CLOSE(nu, nu0, 1e-6);
        CHECK_CLOSE(s / f[j], s0, 1e-6);
        free(w);
    }
    cpe_rng_t r;
    cpe_rng_seed(&r, 17);
    for (size_t i = 0; i < n; i++)
        z[i] = cpe_rng_student_t(&r, 1.0);
    CHECK_EQ_INT(cpe_t_fit(z, n, &nu, &s, NULL), 0);
    CHECK_NEAR(nu, 2.05, 1e-12);
    free(z);
}

static void test_t_fit_rejects_bad_input(void)
{
    double z[20] = {0}, nu, s;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_t_fit(z, 20, &nu, &s, &d), CPE_EDATA);
    for (int i = 0; i < 20; i++)
        z[i] = i - 9.5;
    z[3] = NAN;
    CHECK_EQ_INT(cpe_t_fit(z, 20, &nu, &s, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "z[3]") != NULL);
    CHECK_EQ_INT(cpe_t_fit(NULL, 20, &nu, &s, &d), CPE_EINVAL);
}

int main(void)
{
    RUN(test_crps_t_matches_scoringrules_value);
    RUN(test_crps_t_tends_to_normal);
    RUN(test_t_std_cdf_and_quantile_match_mpmath);
    RUN(test_crps_quantiles_match_closed_forms);
    RUN(test_qlike_forms_rank_forecasts_alike);
    RUN(test_winkler_by_hand);
    RUN(test_pit_bins_and_edges);
    RUN(test_dm_by_hand);
    RUN(test_dm_automatic_lags_and_errors);
    RUN(test_dm_size_under_iid_null);
    RUN(test_dm_overlapping_outcomes_need_lags);
    RUN(test_t_fit_recovers_simulated_truth);
    RUN(test_t_fit_shrugs_off_a_few_huge_values);
    RUN(test_t_fit_scale_invariant_and_bounded);
    RUN(test_t_fit_rejects_bad_input);
    return TEST_DONE();
}
