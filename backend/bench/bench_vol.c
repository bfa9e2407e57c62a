/* bench_vol.c — volatility figures: GARCH(1,1)-t fit on 10,000 and 100,000 returns, and
 * one prediction for the four horizons (1, 4, 8, 24 h) with 10,000-path GARCH-t cones.
 * Prints one JSON line per figure (median of several repetitions). */
#include "cpe/cone.h"
#include "cpe/garch.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void line(const char *metric, double value, const char *unit, double target)
{
    printf("{\"bench\":\"vol\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\",\"target\":%g,"
           "\"ok\":%s}\n",
           metric, value, unit, target, value <= target ? "true" : "false");
}

/* hourly-BTC-like truth: sd ~0.5 %/h, persistence 0.97, nu 5 */
static cpe_garch_t truth(void)
{
    cpe_garch_t m = {0};
    m.kind = CPE_GARCH;
    m.dist = CPE_DIST_T;
    m.mu = 1e-5;
    m.omega = 7.5e-7;
    m.alpha = 0.07;
    m.beta = 0.90;
    m.nu = 5.0;
    m.backcast = 2.5e-5;
    return m;
}

static void bench_fit(size_t n, int reps, const char *metric, double target)
{
    double *r = malloc(n * sizeof *r), t[15];
    cpe_garch_t m = truth(), f = {0};
    cpe_garch_simulate(&m, n, 99, r);
    int conv = 1, iters = 0;
    for (int i = 0; i < reps; i++) {
        cpe_garch_opts_t o;
        cpe_garch_opts_default(&o);
        double t0 = now_ms();
        cpe_garch_fit(r, n, &o, &f, NULL);
        t[i] = now_ms() - t0;
        conv &= f.converged;
        iters = f.iterations;
    }
    line(metric, median(t, reps), "ms", target);
    printf("{\"bench\":\"vol\",\"metric\":\"%s_converged\",\"value\":%d,\"unit\":\"bool\","
           "\"target\":1,\"ok\":%s,\"iterations\":%d}\n",
           metric, conv, conv ? "true" : "false", iters);
    free(r);
}

static void bench_cone(int reps)
{
    cpe_garch_t m = truth();
    m.kind = CPE_GJR;
    m.alpha = 0.04;
    m.gamma = 0.06;
    enum { HIST = 500 };
    double r[HIST], t[31];
    cpe_garch_simulate(&m, HIST, 7, r);
    cpe_cone_ws_t ws;
    if (cpe_cone_ws_init(&ws, CPE_CONE_PATHS)) return;
    static const int hz[4] = {1, 4, 8, 24};
    cpe_cone_params_t p[4];
    cpe_prediction_t out[4];
    for (int i = 0; i < 4; i++) {
        cpe_cone_params_default(&p[i]);
        p[i].horizon_h = hz[i];
        p[i].close = 64000.0;
        p[i].expected_move = 0.001 * hz[i];
    }
    /* warm: the innovation table is built once per (distribution, nu) */
    cpe_cone_predict(&ws, &m, m.backcast, 1, p, 4, out, NULL);
    for (int i = 0; i < reps; i++) {
        double t0 = now_ms();
        double h = cpe_garch_filter(&m, r, HIST);
        cpe_cone_predict(&ws, &m, h, (uint64_t)i + 1, p, 4, out, NULL);
        t[i] = now_ms() - t0;
    }
    line("predict_4h_cones_10k_paths_ms", median(t, reps), "ms", 2.0);
    cpe_cone_ws_free(&ws);
}

int main(void)
{
    bench_fit(10000, 15, "garch_t_fit_10k_ms", 5.0);
    bench_fit(100000, 7, "garch_t_fit_100k_ms", 40.0);
    bench_cone(31);
    return 0;
}
