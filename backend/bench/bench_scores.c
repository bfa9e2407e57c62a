/* bench_scores.c — the scoring functions' costs: the Student-t ML fit on 100,000
 * standardised residuals (target < 50 ms), one closed-form t CRPS, one 199-quantile CRPS,
 * one unit-variance t quantile, and a Diebold-Mariano test on 100,000 differences.
 * Prints one JSON line per figure (median of repetitions, wall and thread CPU time). */
#include "common/bench_stats.h"

#include "cpe/rng.h"
#include "cpe/scores.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { REPS = 11, N = 100000 };

static void line(const char *metric, double value, const char *unit, double target)
{
    printf("{\"bench\":\"scores\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\","
           "\"target\":%g,\"ok\":%s}\n",
           metric, value, unit, target, value <= target ? "true" : "false");
}

/* Times `calls` calls of the kernel `which` per repetition; reports per call. */
static volatile double sink;

static double kernel(int which, const double *z, const double *q, const double *tau, int i)
{
    double nu, s, t, p;
    switch (which) {
    case 0:
        cpe_t_fit(z, N, &nu, &s, NULL);
        return nu;
    case 1:
        return cpe_crps_t(z[i], 4.0, 0.0, 0.7);
    case 2:
        return cpe_crps_quantiles(z[i], q, tau, 199);
    case 3:
        return cpe_t_std_quantile(tau[i % 199], 4.0);
    default:
        cpe_dm_test(z, N, -1, &t, &p, NULL);
        return t;
    }
}

static void measure(const char *metric, int which, int calls, double scale, const char *unit,
                    double target, const double *z, const double *q, const double *tau)
{
    double w[REPS] = {0}, c[REPS] = {0};
    for (int r = 0; r < REPS; r++) {
        int64_t t0 = cpe_mono_ns();
        double c0 = bench_cpu_ns();
        for (int i = 0; i < calls; i++)
            sink = kernel(which, z, q, tau, i);
        w[r] = (double)(cpe_mono_ns() - t0) / calls / scale;
        c[r] = (bench_cpu_ns() - c0) / calls / scale;
    }
    char cm[96];
    snprintf(cm, sizeof cm, "%s_cpu", metric);
    line(metric, bench_median(w, REPS), unit, target);
    line(cm, bench_median(c, REPS), unit, target);
}

int main(void)
{
    double *z = malloc(N * sizeof *z), tau[199], q[199];
    cpe_rng_t r;
    cpe_rng_seed(&r, 3);
    for (int i = 0; i < N; i++)
        z[i] = 1.1 * cpe_rng_t_unit(&r, 4.0);
    cpe_tau_grid(199, tau);
    for (int i = 0; i < 199; i++)
        q[i] = cpe_t_std_quantile(tau[i], 4.0);
    double nu, s;
    int rc = cpe_t_fit(z, N, &nu, &s, NULL);
    printf("{\"bench\":\"scores\",\"metric\":\"t_fit_100k_nu\",\"value\":%.4g,\"unit\":\"nu\","
           "\"target\":4,\"ok\":%s,\"scale\":%.4g}\n",
           nu, rc == 0 && fabs(nu - 4) < 0.3 ? "true" : "false", s);
    measure("t_fit_100k_ms", 0, 1, 1e6, "ms", 50, z, q, tau);
    measure("crps_t_ns", 1, 100000, 1, "ns", 1000, z, q, tau);
    measure("crps_quantiles_199_ns", 2, 100000, 1, "ns", 2000, z, q, tau);
    measure("t_std_quantile_ns", 3, 20000, 1, "ns", 5000, z, q, tau);
    measure("dm_test_100k_auto_lags_ms", 4, 1, 1e6, "ms", 10, z, q, tau);
    free(z);
    return 0;
}
