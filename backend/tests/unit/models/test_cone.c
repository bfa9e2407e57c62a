/* test_cone.c — GARCH Monte Carlo cone: quantile selection, agreement with the analytic
 * lognormal cone, determinism, drift/scale algebra, calibration scales and coverage on
 * simulated GARCH-t data. */
#include "cpe/cone.h"
#include "cpe/rng.h"
#include "test.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_quantile_select_matches_sorted_interpolation(void)
{
    enum { N = 1001 };
    double v[N], s[N], w[N];
    cpe_rng_t r;
    cpe_rng_seed(&r, 1);
    for (int rep = 0; rep < 20; rep++) {
        for (int i = 0; i < N; i++)
            v[i] = rep % 2 ? (double)cpe_rng_below(&r, 30) : cpe_rng_normal(&r);
        memcpy(s, v, sizeof v);
        qsort(s, N, sizeof *s, cmpd);
        for (double p = 0.0; p <= 1.0; p += 0.0371) {
            memcpy(w, v, sizeof v);
            double pos = p * (N - 1), lo = floor(pos);
            size_t i = (size_t)lo;
            double want = i + 1 < N ? s[i] + (pos - lo) * (s[i + 1] - s[i]) : s[i];
            CHECK_NEAR(cpe_quantile_select(w, N, p), want, 1e-12);
        }
    }
}

static cpe_garch_t constant_normal(double h)
{
    cpe_garch_t m = {0};
    m.kind = CPE_GARCH;
    m.dist = CPE_DIST_NORMAL;
    m.omega = h; /* alpha = beta = 0: h_k = omega every step */
    m.backcast = h;
    return m;
}

static void test_constant_variance_cone_matches_lognormal(void)
{
    const double h = 0.006 * 0.006, close = 60000.0, D = 0.004;
    cpe_garch_t m = constant_normal(h);
    cpe_cone_ws_t ws;
    CHECK_EQ_INT(cpe_cone_ws_init(&ws, 0), 0);
    cpe_cone_params_t p;
    cpe_cone_params_default(&p);
    p.horizon_h = 24;
    p.close = close;
    p.t0_ms = 1700000000000LL;
    p.expected_move = D;
    cpe_prediction_t out;
    memset(&out, 0, sizeof out);
    CHECK_EQ_INT(cpe_cone_predict(&ws, &m, h, 77, &p, 1, &out, NULL), 0);
    CHECK_EQ_INT(out.n_cone, 25);
    CHECK_CLOSE(out.volatility, sqrt(24 * h), 1e-12);
    CHECK_EQ_INT(out.cone[0].t_ms, p.t0_ms);
    CHECK_EQ_INT(out.cone[24].t_ms, p.t0_ms + 24 * 3600000LL);
    int bad = 0;
    for (int k = 1; k <= 24; k++) {
        double sd = sqrt(k * h);
        const cpe_cone_point_t *c = &out.cone[k];
        double got[5] = {c->p023, c->p159, c->p500, c->p841, c->p977};
        for (int j = 0; j < 5; j++) {
            double pr = cpe_cone_probs[j], z = gsl_cdf_ugaussian_Pinv(pr);
            double want = log(close) + D * k / 24.0 + z * sd;
            /* Monte Carlo standard error of a quantile: sqrt(p(1-p)/n) / density */
            double se =
                sqrt(pr * (1 - pr) / ws.n_paths) / (exp(-0.5 * z * z) / sqrt(2 * M_PI)) * sd;
            if (fabs(log(got[j]) - want) > 4 * se) {
                bad++;
                CHECK_MSG(0, "step %d q%.3f: %.6f vs analytic %.6f (se %.6f)", k, pr, log(got[j]),
                          want, se);
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_CLOSE(out.p500, out.cone[24].p500, 0);
    cpe_cone_ws_free(&ws);
}

/* The 4096-entry innovation table reproduces the unit-variance Student-t: one step of
 * constant variance has the analytic t quantiles (within Monte Carlo error, 200,000 paths),
 * and the sum of 24 steps has the variance 24 h. */
static void test_table_innovations_match_student_t(void)
{
    const double nu = 4.5, h = 1e-4;
    cpe_garch_t m = constant_normal(h);
    m.dist = CPE_DIST_T;
    m.nu = nu;
    cpe_cone_ws_t ws;
    enum { N = 200000 };
    CHECK_EQ_INT(cpe_cone_ws_init(&ws, N), 0);
    CHECK_EQ_INT(cpe_cone_simulate(&ws, &m, h, 24, 9, NULL), 0);
    double sd = sqrt(h), tscale = sqrt((nu - 2) / nu);
    for (int j = 0; j < CPE_CONE_NQ; j++) {
        double p = cpe_cone_probs[j], q = gsl_cdf_tdist_Pinv(p, nu) * tscale;
        double dens = gsl_ran_tdist_pdf(q / tscale, nu) / tscale;
        double se = sqrt(p * (1 - p) / N) / dens;
        CHECK_MSG(fabs(ws.q[1][j] / sd - q) < 4 * se, "p %.3f: %.5f vs t quantile %.5f (se %.5f)",
                  p, ws.q[1][j] / sd, q, se);
    }
    double s2 = 0;
    for (int i = 0; i < N; i++)
        s2 += ws.x[i] * ws.x[i];
    /* variance of a variance estimate: (kurtosis - 1) var^2 / N; kurtosis of a sum of 24
     * t(4.5) steps is 3 + 6/((nu-4) 24) = 3.5 */
    CHECK_NEAR(s2 / N / (24 * h), 1.0, 4 * sqrt(2.5 / N));
    cpe_cone_ws_free(&ws);
}

static void test_cone_is_deterministic_for_a_seed(void)
{
    cpe_garch_t m = {0};
    m.kind = CPE_GJR;
    m.dist = CPE_DIST_T;
    m.omega = 2e-7;
    m.alpha = 0.05;
    m.gamma = 0.05;
    m.beta = 0.88;
    m.nu = 5;
    cpe_cone_ws_t a, b;
    CHECK_EQ_INT(cpe_cone_ws_init(&a, 5000), 0);
    CHECK_EQ_INT(cpe_cone_ws_init(&b, 5000), 0);
    CHECK_EQ_INT(cpe_cone_simulate(&a, &m, 3e-5, 24, 123, NULL), 0);
    CHECK_EQ_INT(cpe_cone_simulate(&b, &m, 3e-5, 24, 123, NULL), 0);
    CHECK(memcmp(a.q, b.q, sizeof a.q) == 0);
    /* the histogram-guided quantiles equal a full selection over the paths' last step */
    for (int j = 0; j < CPE_CONE_NQ; j++) {
        memcpy(a.tmp, a.x, (size_t)a.n_paths * sizeof *a.x);
        CHECK_NEAR(a.q[24][j], cpe_quantile_select(a.tmp, (size_t)a.n_paths, cpe_cone_probs[j]), 0);
    }
    CHECK_EQ_INT(cpe_cone_simulate(&b, &m, 3e-5, 24, 124, NULL), 0);
    CHECK(memcmp(a.q, b.q, sizeof a.q) != 0);
    /* quantiles are ordered at every step */
    for (int k = 1; k <= 24; k++)
        for (int j = 1; j < CPE_CONE_NQ; j++)
            CHECK(a.q[k][j - 1] < a.q[k][j]);
    cpe_cone_ws_free(&a);
    cpe_cone_ws_free(&b);
    cpe_cone_ws_free(&b); /* second free is a no-op */
}

static void test_drift_scale_and_regime_act_exactly_on_quantiles(void)
{
    cpe_garch_t m = constant_normal(1e-4);
    m.alpha = 0.1;
    m.beta = 0.8;
    m.omega = 1e-5;
    cpe_cone_ws_t ws;
    CHECK_EQ_INT(cpe_cone_ws_init(&ws, 2000), 0);
    CHECK_EQ_INT(cpe_cone_simulate(&ws, &m, 1e-4, 8, 5, NULL), 0);
    cpe_cone_params_t p;
    cpe_cone_params_default(&p);
    p.horizon_h = 8;
    p.close = 100.0;
    cpe_prediction_t base, moved;
    CHECK_EQ_INT(cpe_cone_fill(&ws, &p, &base, NULL), 0);
    p.expected_move = 0.01;
    p.s1 = 1.2;
    p.s2 = 1.5;
    p.vol_mult = 1.5;
    p.extreme_mult = 1.25;
    p.drift_sigma = 0.5;
    CHECK_EQ_INT(cpe_cone_fill(&ws, &p, &moved, NULL), 0);
    double v = 1.5 * 1.25;
    CHECK_CLOSE(moved.volatility, base.volatility * v * 1.2, 1e-12);
    double D = 0.01 + 0.5 * moved.volatility;
    for (int k = 1; k <= 8; k++) {
        const cpe_cone_point_t *b = &base.cone[k], *c = &moved.cone[k];
        double lm = log(b->p500);
        CHECK_CLOSE(log(c->p500), lm + D * k / 8, 1e-12);
        CHECK_CLOSE(log(c->p841) - log(c->p500), 1.2 * v * (log(b->p841) - lm), 1e-9);
        CHECK_CLOSE(log(c->p159) - log(c->p500), 1.2 * v * (log(b->p159) - lm), 1e-9);
        CHECK_CLOSE(log(c->p977) - log(c->p500), 1.5 * v * (log(b->p977) - lm), 1e-9);
        CHECK_CLOSE(log(c->p023) - log(c->p500), 1.5 * v * (log(b->p023) - lm), 1e-9);
    }
    p.horizon_h = 9;
    cpe_diag_t d = {0, ""};
    CHECK_EQ_INT(cpe_cone_fill(&ws, &p, &moved, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "horizon 9") != NULL);
    cpe_cone_ws_free(&ws);
}

static void test_fit_scale_recovers_known_widening(void)
{
    /* outcomes ~ N(0, 1.3^2) against an uncalibrated band of +-1 (1 sigma) and +-2 */
    enum { N = 20000 };
    static double r1[N], r2[N];
    cpe_rng_t r;
    cpe_rng_seed(&r, 11);
    cpe_prediction_t u = {0};
    u.p500 = 1.0;
    u.p841 = exp(1.0);
    u.p159 = exp(-1.0);
    u.p977 = exp(2.0);
    u.p023 = exp(-2.0);
    for (int i = 0; i < N; i++)
        cpe_cone_outcome_ratio(&u, exp(1.3 * cpe_rng_normal(&r)), &r1[i], &r2[i]);
    cpe_cone_scale_t s;
    CHECK_EQ_INT(cpe_cone_fit_scale(r1, r2, N, &s, NULL), 0);
    /* the 68.3 % / 95.4 % quantiles of |z| are 1.0019 and 1.9954 */
    CHECK_NEAR(s.s1, 1.3 * 1.0019, 0.03);
    CHECK_NEAR(s.s2, 1.3 * 1.9954 / 2, 0.04);
    CHECK_NEAR(s.s, 1.3, 0.04);
    CHECK_NEAR(s.cov1_s1, 0.683, 1e-3);
    CHECK_NEAR(s.cov2_s2, 0.954, 1e-3);
    CHECK_NEAR(s.cov1_s, 0.683, 0.01);
    CHECK_NEAR(s.cov2_s, 0.954, 0.01);
    cpe_diag_t d = {0, ""};
    CHECK_EQ_INT(cpe_cone_fit_scale(r1, r2, 10, &s, &d), CPE_EDATA);
}

/* Coverage on a simulated GARCH-t series: fit on the first part, make cones at origins
 * spread through the rest, calibrate the scales on the first half of the origins and
 * measure coverage on the second half. */
static void test_cone_coverage_on_simulated_garch_after_scaling(void)
{
    enum { NFIT = 8000, NALL = 8000 + 24 * 800, H = 4 };
    static double r[NALL];
    cpe_garch_t truth = {0}, f;
    truth.kind = CPE_GARCH;
    truth.dist = CPE_DIST_T;
    truth.omega = 2e-7;
    truth.alpha = 0.07;
    truth.beta = 0.90;
    truth.nu = 5;
    truth.backcast = 2e-7 / 0.03;
    cpe_garch_simulate(&truth, NALL, 2024, r);
    CHECK_EQ_INT(cpe_garch_fit(r, NFIT, NULL, &f, NULL), 0);
    CHECK(f.converged);
    cpe_cone_ws_t ws;
    CHECK_EQ_INT(cpe_cone_ws_init(&ws, 4000), 0);
    int n_orig = (NALL - NFIT - H) / 24, half = n_orig / 2;
    double *r1 = calloc((size_t)n_orig, sizeof *r1), *r2 = calloc((size_t)n_orig, sizeof *r2);
    cpe_prediction_t pr[800];
    double realised[800];
    double h = cpe_garch_filter(&f, r, NFIT);
    int t = NFIT;
    for (int o = 0; o < n_orig; o++) {
        int start = NFIT + 24 * o;
        for (; t < start; t++)
            h = cpe_garch_step(&f, h, r[t]);
        cpe_cone_params_t p;
        cpe_cone_params_default(&p);
        p.horizon_h = H;
        p.close = 100.0;
        p.expected_move = f.mu * H; /* the fitted constant mean as the drift */
        CHECK_EQ_INT(cpe_cone_predict(&ws, &f, h, 500 + (uint64_t)o, &p, 1, &pr[o], NULL), 0);
        double y = 0;
        for (int k = 0; k < H; k++)
            y += r[start + k];
        realised[o] = 100.0 * exp(y);
        cpe_cone_outcome_ratio(&pr[o], realised[o], &r1[o], &r2[o]);
    }
    cpe_cone_scale_t s;
    CHECK_EQ_INT(cpe_cone_fit_scale(r1, r2, (size_t)half, &s, NULL), 0);
    printf("     scales s1 %.3f s2 %.3f s %.3f (fitted on %d origins)\n", s.s1, s.s2, s.s, half);
    int in1 = 0, in2 = 0, raw1 = 0, raw2 = 0, m = n_orig - half;
    for (int o = half; o < n_orig; o++) {
        raw1 += r1[o] <= 1.0;
        raw2 += r2[o] <= 1.0;
        in1 += r1[o] <= s.s1;
        in2 += r2[o] <= s.s2;
    }
    double c1 = (double)in1 / m, c2 = (double)in2 / m;
    printf("     held-out coverage: raw %.3f / %.3f, scaled %.3f / %.3f over %d origins\n",
           (double)raw1 / m, (double)raw2 / m, c1, c2, m);
    /* 4 binomial standard errors */
    CHECK_NEAR(c1, 0.683, 4 * sqrt(0.683 * 0.317 / m));
    CHECK_NEAR(c2, 0.954, 4 * sqrt(0.954 * 0.046 / m));
    CHECK_NEAR((double)raw1 / m, 0.683, 4 * sqrt(0.683 * 0.317 / m));
    CHECK_NEAR((double)raw2 / m, 0.954, 4 * sqrt(0.954 * 0.046 / m));
    free(r1);
    free(r2);
    cpe_cone_ws_free(&ws);
}

int main(void)
{
    RUN(test_quantile_select_matches_sorted_interpolation);
    RUN(test_constant_variance_cone_matches_lognormal);
    RUN(test_table_innovations_match_student_t);
    RUN(test_cone_is_deterministic_for_a_seed);
    RUN(test_drift_scale_and_regime_act_exactly_on_quantiles);
    RUN(test_fit_scale_recovers_known_widening);
    RUN(test_cone_coverage_on_simulated_garch_after_scaling);
    return TEST_DONE();
}
