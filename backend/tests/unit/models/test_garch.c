/* test_garch.c — GARCH/GJR MLE: gradient, recovery of simulated truth, true maximum,
 * forecasts and the EWMA fallback. */
#include "cpe/garch.h"
#include "test.h"

static cpe_garch_t truth(int kind, int dist)
{
    cpe_garch_t m = {0};
    m.kind = kind;
    m.dist = dist;
    m.mu = 0.02;
    m.omega = 0.05;
    m.alpha = kind == CPE_GJR ? 0.04 : 0.08;
    m.gamma = kind == CPE_GJR ? 0.08 : 0.0;
    m.beta = 0.88;
    m.nu = dist == CPE_DIST_T ? 6.0 : 0.0;
    m.backcast = 1.0;
    return m;
}

static void params_of(const cpe_garch_t *m, double *p)
{
    p[CPE_GP_MU] = m->mu;
    p[CPE_GP_OMEGA] = m->omega;
    p[CPE_GP_ALPHA] = m->alpha;
    p[CPE_GP_GAMMA] = m->gamma;
    p[CPE_GP_BETA] = m->beta;
    p[CPE_GP_NU] = m->nu;
}

static void test_loglik_gradient_matches_finite_differences(void)
{
    enum { N = 2000 };
    static double r[N];
    for (int kind = 0; kind < 2; kind++)
        for (int dist = 0; dist < 2; dist++) {
            cpe_garch_t m = truth(kind, dist);
            cpe_garch_simulate(&m, N, 7 + kind * 2 + dist, r);
            double p[CPE_GP_COUNT], g[CPE_GP_COUNT];
            params_of(&m, p);
            p[CPE_GP_ALPHA] += 0.01; /* away from the optimum so the gradient is not ~0 */
            p[CPE_GP_NU] += dist ? 1.0 : 0.0;
            double ll = cpe_garch_loglik(kind, dist, p, r, N, 1.3, g, NULL);
            CHECK(isfinite(ll));
            for (int j = 0; j < CPE_GP_COUNT; j++) {
                if ((j == CPE_GP_GAMMA && kind != CPE_GJR) || (j == CPE_GP_NU && !dist)) {
                    CHECK_NEAR(g[j], 0.0, 0.0);
                    continue;
                }
                double h = 1e-6 * fmax(fabs(p[j]), 1e-2), q[CPE_GP_COUNT];
                memcpy(q, p, sizeof q);
                q[j] = p[j] + h;
                double lp = cpe_garch_loglik(kind, dist, q, r, N, 1.3, NULL, NULL);
                q[j] = p[j] - h;
                double lm = cpe_garch_loglik(kind, dist, q, r, N, 1.3, NULL, NULL);
                double fd = (lp - lm) / (2 * h);
                CHECK_MSG(fabs(fd - g[j]) <= 1e-5 * fmax(1.0, fabs(g[j])),
                          "kind %d dist %d param %d: analytic %.10g vs numeric %.10g", kind, dist,
                          j, g[j], fd);
            }
        }
}

static void test_loglik_value_matches_direct_formula(void)
{
    /* the log-of-products trick must give the plain per-observation sum */
    enum { N = 500 };
    double r[N];
    cpe_garch_t m = truth(CPE_GJR, CPE_DIST_T);
    cpe_garch_simulate(&m, N, 3, r);
    double p[CPE_GP_COUNT];
    params_of(&m, p);
    double ll = cpe_garch_loglik(CPE_GJR, CPE_DIST_T, p, r, N, 0.9, NULL, NULL);
    double h = 0.9, direct = 0, nu = m.nu;
    for (int t = 0; t < N; t++) {
        double e = r[t] - m.mu;
        direct += lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(M_PI * (nu - 2)) -
                  0.5 * log(h) - (nu + 1) / 2 * log(1 + e * e / ((nu - 2) * h));
        h = m.omega + (m.alpha + (e < 0 ? m.gamma : 0)) * e * e + m.beta * h;
    }
    CHECK_CLOSE(ll, direct, 1e-12);
}

/* Fit 20 simulated series per model; count estimates within 2 standard errors of truth. */
static void recovery(int kind, int dist)
{
    enum { N = 5000, SEEDS = 20 };
    static double r[N];
    cpe_garch_t m = truth(kind, dist);
    int within[CPE_GP_COUNT] = {0}, conv = 0;
    for (int s = 0; s < SEEDS; s++) {
        cpe_garch_simulate(&m, N, 1000 + (uint64_t)s, r);
        cpe_garch_opts_t o;
        cpe_garch_opts_default(&o);
        o.kind = kind;
        o.dist = dist;
        cpe_garch_t f;
        cpe_diag_t d = {0, ""};
        CHECK_EQ_INT(cpe_garch_fit(r, N, &o, &f, &d), 0);
        conv += f.converged;
        double est[] = {f.mu, f.omega, f.alpha, f.gamma, f.beta, f.nu};
        double se[] = {f.se_mu, f.se_omega, f.se_alpha, f.se_gamma, f.se_beta, f.se_nu};
        double tru[CPE_GP_COUNT];
        params_of(&m, tru);
        for (int j = 0; j < CPE_GP_COUNT; j++)
            if (isfinite(se[j]) && fabs(est[j] - tru[j]) <= 2 * se[j]) within[j]++;
    }
    CHECK_EQ_INT(conv, SEEDS);
    for (int j = 0; j < CPE_GP_COUNT; j++) {
        if ((j == CPE_GP_GAMMA && kind != CPE_GJR) || (j == CPE_GP_NU && dist != CPE_DIST_T))
            continue;
        printf("     %s-%s param %d: %d/%d within 2 se\n", cpe_garch_kind_name(kind),
               cpe_garch_dist_name(dist), j, within[j], SEEDS);
        CHECK_MSG(within[j] >= 17, "param %d within 2 se in only %d of %d fits", j, within[j],
                  SEEDS);
    }
}

static void test_garch_t_recovers_simulated_parameters(void)
{
    recovery(CPE_GARCH, CPE_DIST_T);
}

static void test_gjr_t_recovers_simulated_parameters(void)
{
    recovery(CPE_GJR, CPE_DIST_T);
}

static void test_garch_normal_recovers_simulated_parameters(void)
{
    recovery(CPE_GARCH, CPE_DIST_NORMAL);
}

static void test_optimum_is_not_beaten_by_perturbations(void)
{
    enum { N = 4000 };
    static double r[N];
    for (int kind = 0; kind < 2; kind++) {
        cpe_garch_t m = truth(kind, CPE_DIST_T), f;
        cpe_garch_simulate(&m, N, 42 + kind, r);
        cpe_garch_opts_t o;
        cpe_garch_opts_default(&o);
        o.kind = kind;
        CHECK_EQ_INT(cpe_garch_fit(r, N, &o, &f, NULL), 0);
        CHECK(f.converged);
        double p[CPE_GP_COUNT];
        params_of(&f, p);
        double ll = cpe_garch_loglik(kind, CPE_DIST_T, p, r, N, f.backcast, NULL, NULL);
        CHECK_CLOSE(ll, f.loglik, 1e-12);
        int worse = 0, tried = 0;
        for (int j = 0; j < CPE_GP_COUNT; j++) {
            if (j == CPE_GP_GAMMA && kind != CPE_GJR) continue;
            for (int k = -3; k <= 3; k++) {
                if (!k) continue;
                double q[CPE_GP_COUNT];
                memcpy(q, p, sizeof q);
                q[j] += k * 1e-3 * fmax(fabs(p[j]), 1e-2);
                double lq = cpe_garch_loglik(kind, CPE_DIST_T, q, r, N, f.backcast, NULL, NULL);
                tried++;
                if (lq <= ll + 1e-9)
                    worse++;
                else
                    CHECK_MSG(0, "kind %d param %d step %d: %.12g beats the optimum %.12g", kind, j,
                              k, lq, ll);
            }
        }
        CHECK_EQ_INT(worse, tried);
    }
}

static void test_fit_reports_scale_and_converts_units_back(void)
{
    enum { N = 3000 };
    static double r[N], rs[N];
    cpe_garch_t m = truth(CPE_GARCH, CPE_DIST_T), a, b;
    cpe_garch_simulate(&m, N, 5, r);
    for (int i = 0; i < N; i++)
        rs[i] = r[i] * 1e-3; /* same series in smaller units */
    CHECK_EQ_INT(cpe_garch_fit(r, N, NULL, &a, NULL), 0);
    CHECK_EQ_INT(cpe_garch_fit(rs, N, NULL, &b, NULL), 0);
    CHECK_NEAR(a.scale, 1.0, 0);
    CHECK_NEAR(b.scale, 1000.0, 1e-9);
    CHECK_CLOSE(b.omega * 1e6, a.omega, 1e-4);
    CHECK_CLOSE(b.alpha, a.alpha, 1e-4);
    CHECK_CLOSE(b.nu, a.nu, 1e-3);
    CHECK_CLOSE(b.loglik, a.loglik - N * log(1e-3), 1e-9); /* density scales by 1/1e-3 */
}

static void test_long_series_warm_start_reaches_the_same_optimum(void)
{
    /* n > 20,000 starts from a fit of the last 10,000 returns; a cold start from the
     * same typical point must reach the same maximum */
    enum { N = 30000 };
    static double r[N];
    cpe_garch_t m = truth(CPE_GARCH, CPE_DIST_T), warm, cold;
    cpe_garch_simulate(&m, N, 31, r);
    cpe_garch_opts_t o;
    cpe_garch_opts_default(&o);
    CHECK_EQ_INT(cpe_garch_fit(r, N, &o, &warm, NULL), 0);
    double start[CPE_GP_COUNT] = {0.0, 0.1, 0.05, 0.0, 0.9, 8.0};
    o.start = start;
    CHECK_EQ_INT(cpe_garch_fit(r, N, &o, &cold, NULL), 0);
    CHECK(warm.converged && cold.converged);
    CHECK_NEAR(warm.loglik, cold.loglik, 1e-5); /* 3e-10 relative */
    CHECK_CLOSE(warm.beta, cold.beta, 1e-4);
    CHECK_CLOSE(warm.nu, cold.nu, 1e-3);
}

static void test_forecasts_follow_the_recursion(void)
{
    cpe_garch_t m = truth(CPE_GJR, CPE_DIST_T);
    double uv = cpe_garch_uncond_var(&m), p = cpe_garch_persistence(&m);
    CHECK_CLOSE(p, 0.04 + 0.88 + 0.04, 1e-15);
    CHECK_CLOSE(uv, 0.05 / (1 - p), 1e-15);
    CHECK_CLOSE(cpe_garch_half_life(&m), log(0.5) / log(p), 1e-15);
    double h1 = 3.0, sum = 0, h = h1;
    for (int k = 1; k <= 24; k++) {
        CHECK_CLOSE(cpe_garch_forecast(&m, h1, k), h, 1e-12);
        sum += h;
        h = m.omega + p * h;
    }
    CHECK_CLOSE(cpe_garch_forecast_sum(&m, h1, 24), sum, 1e-12);
    /* far ahead the forecast approaches the unconditional variance */
    CHECK_CLOSE(cpe_garch_forecast(&m, h1, 2000), uv, 1e-9);
    double r[3] = {0.5, -1.0, 0.2};
    double hf = m.backcast;
    for (int i = 0; i < 3; i++)
        hf = cpe_garch_step(&m, hf, r[i]);
    CHECK_CLOSE(cpe_garch_filter(&m, r, 3), hf, 1e-15);
}

static void test_ewma_fallback_is_flagged_on_degenerate_series(void)
{
    double r[40];
    for (int i = 0; i < 40; i++)
        r[i] = (i % 3 - 1) * 0.01;
    cpe_garch_t f;
    cpe_diag_t d = {0, ""};
    /* too short for GARCH */
    CHECK_EQ_INT(cpe_garch_fit(r, 40, NULL, &f, &d), CPE_EDATA);
    CHECK(strstr(d.msg, "40 returns") != NULL);
    CHECK_EQ_INT(cpe_garch_fit_or_ewma(r, 40, NULL, &f, &d), 0);
    CHECK_EQ_INT(f.fallback, 1);
    CHECK_NEAR(f.ewma_lambda, CPE_EWMA_LAMBDA, 0);
    CHECK(strstr(d.msg, "EWMA fallback") != NULL);
    double h = f.backcast;
    for (int i = 0; i < 40; i++)
        h = 0.94 * h + 0.06 * r[i] * r[i];
    CHECK_CLOSE(f.last_h, h, 1e-12);
    CHECK_CLOSE(cpe_garch_forecast_sum(&f, h, 4), 4 * h, 1e-12);
    /* zero variance: nothing can be fitted */
    double z[60] = {0};
    CHECK_EQ_INT(cpe_garch_fit_or_ewma(z, 60, NULL, &f, &d), CPE_EDATA);
    /* a fit stopped before convergence falls back too */
    enum { N = 2000 };
    static double s[N];
    cpe_garch_t m = truth(CPE_GARCH, CPE_DIST_T);
    cpe_garch_simulate(&m, N, 9, s);
    cpe_garch_opts_t o;
    cpe_garch_opts_default(&o);
    o.max_iter = 2;
    CHECK_EQ_INT(cpe_garch_fit(s, N, &o, &f, NULL), 0);
    CHECK_EQ_INT(f.converged, 0);
    CHECK_EQ_INT(cpe_garch_fit_or_ewma(s, N, &o, &f, NULL), 0);
    CHECK_EQ_INT(f.fallback, 1);
}

static void test_fit_rejects_non_finite_returns(void)
{
    double r[100];
    for (int i = 0; i < 100; i++)
        r[i] = sin(i);
    r[57] = NAN;
    cpe_garch_t f;
    cpe_diag_t d = {0, ""};
    CHECK_EQ_INT(cpe_garch_fit(r, 100, NULL, &f, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "return 58") != NULL);
}

/* Real data (BTCUSDT perp 1h, 2025): every fit converges, and nested models order their
 * maximised likelihoods (GJR >= GARCH, t >= Normal): a check that the optimiser finds the
 * maximum, not just a stationary point. */
static void test_real_hourly_fits_converge_and_nest(void)
{
    const char *dir = test_shared_dir();
    if (!dir) SKIP("no shared real data");
    char path[1200];
    snprintf(path, sizeof path, "%s/binance-usdm_BTCUSDT_klines_1h_2025-01-01_2025-08-31.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) SKIP("%s not found", path);
    enum { CAP = 8000 };
    static double close[CAP], r[CAP];
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof line, f) && n < CAP) {
        char *p = line;
        for (int c = 0; c < 4 && p; c++)
            p = strchr(p + 1, ',');
        double x = p ? strtod(p + 1, NULL) : 0;
        if (x > 0) close[n++] = x; /* the header parses as 0 */
    }
    fclose(f);
    CHECK(n > 5000);
    for (size_t i = 1; i < n; i++)
        r[i - 1] = log(close[i] / close[i - 1]);
    double ll[2][2];
    for (int kind = 0; kind < 2; kind++)
        for (int dist = 0; dist < 2; dist++) {
            cpe_garch_opts_t o;
            cpe_garch_opts_default(&o);
            o.kind = kind;
            o.dist = dist;
            cpe_garch_t m;
            CHECK_EQ_INT(cpe_garch_fit(r, n - 1, &o, &m, NULL), 0);
            CHECK_MSG(m.converged, "kind %d dist %d did not converge", kind, dist);
            ll[kind][dist] = m.loglik;
        }
    CHECK(ll[CPE_GJR][CPE_DIST_NORMAL] >= ll[CPE_GARCH][CPE_DIST_NORMAL] - 1e-6);
    CHECK(ll[CPE_GJR][CPE_DIST_T] >= ll[CPE_GARCH][CPE_DIST_T] - 1e-6);
    CHECK(ll[CPE_GARCH][CPE_DIST_T] > ll[CPE_GARCH][CPE_DIST_NORMAL]);
    printf("     loglik garch-n %.2f gjr-n %.2f garch-t %.2f gjr-t %.2f\n", ll[0][0], ll[1][0],
           ll[0][1], ll[1][1]);
}

int main(void)
{
    RUN(test_loglik_gradient_matches_finite_differences);
    RUN(test_loglik_value_matches_direct_formula);
    RUN(test_garch_t_recovers_simulated_parameters);
    RUN(test_gjr_t_recovers_simulated_parameters);
    RUN(test_garch_normal_recovers_simulated_parameters);
    RUN(test_optimum_is_not_beaten_by_perturbations);
    RUN(test_fit_reports_scale_and_converts_units_back);
    RUN(test_long_series_warm_start_reaches_the_same_optimum);
    RUN(test_forecasts_follow_the_recursion);
    RUN(test_ewma_fallback_is_flagged_on_degenerate_series);
    RUN(test_fit_rejects_non_finite_returns);
    RUN(test_real_hourly_fits_converge_and_nest);
    return TEST_DONE();
}
