/* test_tcone.c — the Student-t cone: quantiles and CDF agree, bands sit at the requested
 * levels, one term structure across horizons, and CRPS from its quantiles matches the
 * closed forms. */
#include "cpe/scores.h"
#include "cpe/tcone.h"
#include "test.h"

static cpe_tcone_h_t mk(int H, double sd, double nu, double drift)
{
    return (cpe_tcone_h_t){H, sd, nu, drift, CPE_TCONE_A1, CPE_TCONE_A2};
}

static void test_quantile_and_cdf_are_inverse(void)
{
    cpe_tcone_h_t h = mk(4, 0.01, 4.5, 0.001);
    h.a1 = 0.25, h.a2 = 0.03; /* warped levels too */
    for (double tau = 0.001; tau < 1; tau += 0.0371)
        CHECK_NEAR(cpe_tcone_cdf(&h, cpe_tcone_quantile(&h, tau)), tau, 1e-9);
    /* the 1-sigma band's lower edge is at a1/2 of the t */
    CHECK_NEAR(cpe_tcone_quantile(&h, 0.15865525393145705),
               0.001 + 0.01 * cpe_t_std_quantile(0.125, 4.5), 1e-12);
    CHECK_NEAR(cpe_tcone_quantile(&h, 0.5), 0.001, 0);
}

static void test_crps_from_its_quantiles_matches_the_closed_forms(void)
{
    double tau[199], q[199];
    cpe_tau_grid(199, tau);
    cpe_tcone_h_t g = mk(1, 0.02, 1e7, 0), t = mk(1, 0.02, 5, 0);
    double ys[4] = {-0.05, -0.01, 0.003, 0.04};
    for (int k = 0; k < 4; k++) {
        for (int i = 0; i < 199; i++)
            q[i] = cpe_tcone_quantile(&g, tau[i]);
        CHECK_CLOSE(cpe_crps_quantiles(ys[k], q, tau, 199), cpe_crps_normal(ys[k], 0, 0.02), 0.005);
        for (int i = 0; i < 199; i++)
            q[i] = cpe_tcone_quantile(&t, tau[i]);
        double sc = 0.02 * sqrt(3.0 / 5.0); /* unit-variance t(5) -> standard t scale */
        CHECK_CLOSE(cpe_crps_quantiles(ys[k], q, tau, 199), cpe_crps_t(ys[k], 5, 0, sc), 0.005);
    }
}

/* The fixed-grid CRPS (t quantiles once per nu) equals the CRPS of 199 quantiles of the
 * warped distribution itself, also with ACI levels away from their targets. */
static void test_grid_crps_matches_direct_quantiles(void)
{
    double tau[199], q[199], qt[199];
    cpe_tau_grid(199, tau);
    cpe_tcone_h_t h = mk(4, 0.01, 4.2, 0.0005);
    cpe_tcone_grid(4.2, 199, qt);
    double lv[3][2] = {{CPE_TCONE_A1, CPE_TCONE_A2}, {0.25, 0.03}, {0.4, 0.08}};
    for (int c = 0; c < 3; c++) {
        h.a1 = lv[c][0], h.a2 = lv[c][1];
        for (int i = 0; i < 199; i++)
            q[i] = cpe_tcone_quantile(&h, tau[i]);
        for (double y = -0.04; y <= 0.04; y += 0.0061)
            CHECK_CLOSE(cpe_tcone_crps(&h, y, qt, 199), cpe_crps_quantiles(y, q, tau, 199),
                        c ? 0.01 : 1e-12);
    }
}

static void test_cones_share_one_term_structure(void)
{
    cpe_tcone_h_t h[4] = {mk(1, 0.004, 5, 0), mk(4, 0.008, 5, 0), mk(8, 0.011, 6, 0),
                          mk(24, 0.02, 7, 0)};
    cpe_prediction_t p[4];
    memset(p, 0, sizeof p);
    CHECK_EQ_INT(cpe_tcone_fill(h, 4, 50000, 0, p, NULL), 0);
    CHECK_EQ_INT(p[3].n_cone, 25);
    /* the 24 h cone passes through the 1, 4 and 8 h forecasts */
    CHECK_CLOSE(p[3].cone[4].p841, p[1].p841, 1e-14);
    CHECK_CLOSE(p[3].cone[8].p023, p[2].p023, 1e-14);
    CHECK_CLOSE(p[2].cone[1].p159, p[0].p159, 1e-14);
    /* between knots the variance is linear: step 2 has variance (0.004^2 + (0.008^2-0.004^2)/3) */
    double sd2 = sqrt(0.004 * 0.004 + (0.008 * 0.008 - 0.004 * 0.004) / 3.0);
    CHECK_CLOSE(log(p[1].cone[2].p841 / 50000), sd2 * cpe_t_std_quantile(1 - CPE_TCONE_A1 / 2, 5),
                1e-12);
    CHECK_CLOSE(p[0].volatility, 0.004, 1e-12);
    for (int k = 1; k < 25; k++) /* widening */
        CHECK(p[3].cone[k].p977 > p[3].cone[k - 1].p977);
    /* bad input is refused */
    h[1].horizon_h = 1;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_tcone_fill(h, 4, 50000, 0, p, &d), CPE_EINVAL);
}

/* Every point of every cone is the quantile of its step's distribution, bit for bit
 * (the fill computes each step's t quantiles once for all cones): drift D k / H, the
 * knots' sd, nu and moved band levels interpolated. */
static void test_fill_points_are_the_step_quantiles_bit_for_bit(void)
{
    cpe_tcone_h_t h[4] = {mk(1, 0.004, 5, 0.0003), mk(4, 0.008, 5.5, -0.001),
                          mk(8, 0.011, 6, 0.002), mk(24, 0.02, 7, 0.004)};
    h[1].a1 = 0.25, h[2].a2 = 0.07, h[3].a1 = 0.36; /* ACI moved some levels */
    cpe_prediction_t p[4];
    memset(p, 0, sizeof p);
    CHECK_EQ_INT(cpe_tcone_fill(h, 4, 50000, 0, p, NULL), 0);
    const double lc = log(50000.0), P2 = 0.02275013194817921, P1 = 0.15865525393145705;
    for (int i = 0; i < 4; i++)
        for (int k = 1; k <= h[i].horizon_h; k++) {
            const int K = k <= 1 ? 0 : k <= 4 ? 1 : k <= 8 ? 2 : 3, H0 = K ? h[K - 1].horizon_h : 0;
            const double f = (double)(k - H0) / (h[K].horizon_h - H0);
            cpe_tcone_h_t s = h[K];
            if (k != h[K].horizon_h) { /* between knots: as the header says */
                const cpe_tcone_h_t *lo = K ? &h[K - 1] : &h[K];
                double v0 = K ? h[K - 1].sd * h[K - 1].sd : 0;
                s.sd = sqrt(v0 + f * (h[K].sd * h[K].sd - v0));
                s.nu = lo->nu + f * (h[K].nu - lo->nu);
                s.a1 = lo->a1 + f * (h[K].a1 - lo->a1);
                s.a2 = lo->a2 + f * (h[K].a2 - lo->a2);
            }
            s.drift = h[i].drift * k / h[i].horizon_h;
            const cpe_cone_point_t *c = &p[i].cone[k];
            CHECK(c->p023 == exp(lc + cpe_tcone_quantile(&s, P2)));
            CHECK(c->p159 == exp(lc + cpe_tcone_quantile(&s, P1)));
            CHECK(c->p500 == exp(lc + s.drift));
            CHECK(c->p841 == exp(lc + cpe_tcone_quantile(&s, 1 - P1)));
            CHECK(c->p977 == exp(lc + cpe_tcone_quantile(&s, 1 - P2)));
        }
}

int main(void)
{
    RUN(test_quantile_and_cdf_are_inverse);
    RUN(test_crps_from_its_quantiles_matches_the_closed_forms);
    RUN(test_grid_crps_matches_direct_quantiles);
    RUN(test_cones_share_one_term_structure);
    RUN(test_fill_points_are_the_step_quantiles_bit_for_bit);
    return TEST_DONE();
}
