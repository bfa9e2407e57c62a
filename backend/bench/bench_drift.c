/* bench_drift.c — the model drift score's costs (cpe/drift.h): one closed minute into the
 * live ring plus the score (push + PSI of 10 features), and the training reference (deciles
 * of the top 10 of 100 columns over 210,240 rows, two years of 5-minute rows). Prints one
 * JSON line per figure (median of repetitions, this thread's CPU time). Targets: a minute
 * well under 10 us (the live step takes tens of ms), a reference well under a training's
 * seconds (2 s). */
#include "common/bench_stats.h"

#include "cpe/drift.h"
#include "cpe/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { REPS = 11, CALLS = 100000, ROWS = 210240, COLS = 100, FIT_REPS = 3 };

static void line(const char *metric, double value, const char *unit, double target)
{
    printf("{\"bench\":\"drift\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\","
           "\"target\":%g,\"ok\":%s}\n",
           metric, value, unit, target, value <= target ? "true" : "false");
}

int main(void)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, 3);
    double *X = malloc((size_t)ROWS * COLS * sizeof *X), imp[COLS];
    size_t *rows = malloc(ROWS * sizeof *rows);
    cpe_drift_live_t *l = malloc(sizeof *l);
    if (!X || !rows || !l) return 1;
    for (size_t i = 0; i < (size_t)ROWS * COLS; i++)
        X[i] = cpe_rng_normal(&r);
    for (size_t i = 0; i < ROWS; i++)
        rows[i] = i;
    static const char *names[COLS];
    for (int j = 0; j < COLS; j++) {
        names[j] = "f";
        imp[j] = cpe_rng_uniform(&r);
    }
    cpe_drift_ref_t ref;
    double t[REPS];
    for (int k = 0; k < FIT_REPS; k++) {
        double t0 = bench_cpu_ns();
        if (cpe_drift_ref_fit(&ref, X, COLS, names, rows, ROWS, imp, NULL)) return 1;
        t[k] = (bench_cpu_ns() - t0) / 1e6;
    }
    line("reference_fit_top10_of_100_cols_210240_rows", bench_median(t, FIT_REPS), "ms", 2000);
    cpe_drift_live_reset(l);
    volatile double sink = 0;
    for (int k = 0; k < REPS; k++) {
        double t0 = bench_cpu_ns();
        for (int i = 0; i < CALLS; i++) {
            double x[CPE_DRIFT_K], s, wp;
            int w;
            for (int f = 0; f < CPE_DRIFT_K; f++)
                x[f] = X[(size_t)(i % ROWS) * COLS + f] + 0.5;
            cpe_drift_live_push(l, &ref, x);
            cpe_drift_live_score(l, &ref, &s, &w, &wp);
            sink += s;
        }
        t[k] = (bench_cpu_ns() - t0) / CALLS;
    }
    line("closed_minute_push_and_score", bench_median(t, REPS), "ns", 10000);
    (void)sink;
    free(X);
    free(rows);
    free(l);
    return 0;
}
