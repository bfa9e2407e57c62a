/* bench_nn.c — the neural members (cpe/nn.h) at their default sizes on a synthetic feature
 * table of the real table's width: training CPU time per epoch per 1000 samples, and the
 * latency of one prediction (all horizons, one row: what the live pipeline asks each
 * minute) over a day of closed minutes, p50 and p99, in this thread's CPU time and in wall
 * time. One thread (the default). cpe_nn_predict_dist: the heads and the quantiles (what
 * serving a cone needs) in one pass. Prints one JSON line per figure. */
#include "common/bench_stats.h"

#include "cpe/modelset.h"
#include "cpe/nn.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { NR = 4000, NC = 80, NFIT = 1500, NVALID = 300, DAY_MIN = 1440 };

static void line(const char *arch, const char *metric, double value, const char *unit,
                 double target)
{
    printf("{\"bench\":\"nn\",\"model\":\"%s\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\"",
           arch, metric, value, unit);
    if (target > 0) printf(",\"target\":%g,\"ok\":%s", target, value <= target ? "true" : "false");
    printf("}\n");
}

static double pct(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    int i = (int)ceil(q * n) - 1;
    return v[i < 0 ? 0 : i];
}

int main(void)
{
    cpe_modelset_config_t ms;
    cpe_modelset_config_default(&ms);
    double *X = malloc((size_t)NR * NC * sizeof *X),
           *y = malloc((size_t)NR * CPE_NN_MAX_H * sizeof *y);
    double *tc = malloc(DAY_MIN * sizeof *tc), *tw = malloc(DAY_MIN * sizeof *tw);
    size_t *fit = malloc(NFIT * sizeof *fit), *valid = malloc(NVALID * sizeof *valid);
    if (!X || !y || !tc || !tw || !fit || !valid) return 1;
    cpe_rng_t r;
    cpe_rng_seed(&r, 1);
    for (size_t i = 0; i < (size_t)NR * NC; i++)
        X[i] = cpe_rng_normal(&r);
    for (size_t i = 0; i < (size_t)NR * CPE_NN_MAX_H; i++)
        y[i] = 0.01 * cpe_rng_normal(&r);
    /* samples every 2 rows after the first 600 (a full lookback), validation after a gap */
    for (size_t j = 0; j < NFIT; j++)
        fit[j] = 600 + 2 * j;
    for (size_t j = 0; j < NVALID; j++)
        valid[j] = 600 + 2 * NFIT + 100 + j;
    for (int a = 0; a < CPE_NN_NARCH; a++) {
        const char *name = cpe_nn_arch_name((cpe_nn_arch_t)a);
        cpe_nn_params_t p;
        cpe_nn_params_default(&p, (cpe_nn_arch_t)a);
        p.n_h = ms.n_h < CPE_NN_MAX_H ? ms.n_h : CPE_NN_MAX_H;
        for (int k = 0; k < p.n_h; k++)
            p.horizons_h[k] = ms.horizons_h[k];
        p.max_epochs = 2;
        p.patience = 2;
        cpe_nn_t m = {0};
        cpe_diag_t d = {0};
        double c0 = bench_cpu_ns();
        if (cpe_nn_train(&m, &p, X, NR, NC, fit, NFIT, valid, NVALID, y, &d)) {
            fprintf(stderr, "bench_nn: %s\n", d.msg);
            return 1;
        }
        double per_epoch = (bench_cpu_ns() - c0) / 1e9 / m.epochs;
        line(name, "train_cpu_s_per_epoch_per_1000_samples", per_epoch * 1000.0 / NFIT, "s", 0);
        double pu[CPE_NN_MAX_H], mv[CPE_NN_MAX_H], var[CPE_NN_MAX_H], q[CPE_NN_MAX_H * CPE_NN_NQ];
        for (int t = 0; t < DAY_MIN; t++) {
            size_t row = (size_t)(NR - DAY_MIN + t);
            double cpu = bench_cpu_ns();
            int64_t w = cpe_mono_ns();
            if (cpe_nn_predict_dist(&m, X, NR, NC, &row, 1, pu, mv, var, q, &d)) return 1;
            tw[t] = (double)(cpe_mono_ns() - w) / 1e3;
            tc[t] = (bench_cpu_ns() - cpu) / 1e3;
        }
        line(name, "predict_all_horizons_p50_cpu", pct(tc, DAY_MIN, 0.5), "us", 0);
        line(name, "predict_all_horizons_p99_cpu", pct(tc, DAY_MIN, 0.99), "us", 5000);
        line(name, "predict_all_horizons_p99_wall", pct(tw, DAY_MIN, 0.99), "us", 0);
        cpe_nn_free(&m);
    }
    free(X), free(y), free(tc), free(tw), free(fit), free(valid);
    return 0;
}
