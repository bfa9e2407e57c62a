/* bench_aci.c — adaptive conformal inference: the cost of one minute of the live loop
 * (cpe_aci_observe + one push per horizon, at steady state with 24 h of 1m predictions
 * pending), the size and save/load time of that state as JSON, and a coverage study of
 * 1m predictions whose outcomes overlap (a random walk, the model's sigma 30 % too small).
 * Prints one JSON line per figure. */
#include "common/bench_stats.h"

#include "cpe/aci.h"
#include "cpe/rng.h"
#include "cpe/scores.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const int HORIZON_MIN[CPE_ACI_MAX_H] = {60, 240, 480, 1440};

static void line(const char *metric, double value, const char *unit, double target, int ok)
{
    printf("{\"bench\":\"aci\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\",\"target\":%g,"
           "\"ok\":%s}\n",
           metric, value, unit, target, ok ? "true" : "false");
}

/* Fixed bands: the timing is of the ACI state, not of the caller's quantile function. */
static void minute(cpe_aci_t *a, int64_t m, double lnc)
{
    static const double lo[2] = {-0.004, -0.008}, hi[2] = {0.004, 0.008};
    int64_t ts = m * CPE_MS_PER_MIN;
    cpe_aci_observe(a, ts, lnc);
    for (int k = 0; k < CPE_ACI_MAX_H; k++)
        cpe_aci_push(a, k, ts, ts + HORIZON_MIN[k] * CPE_MS_PER_MIN, lnc, lo, hi, NULL);
}

static void bench_observe_push(cpe_aci_t *a, int reps)
{
    enum { WARM = 1441, STEPS = 200000 };
    double *lnc = malloc((WARM + STEPS) * sizeof *lnc), t[15] = {0}, tc[15] = {0};
    cpe_rng_t r;
    cpe_rng_seed(&r, 1);
    lnc[0] = 11.0;
    for (int i = 1; i < WARM + STEPS; i++)
        lnc[i] = lnc[i - 1] + 1e-3 * cpe_rng_normal(&r);
    for (int rep = 0; rep < reps; rep++) {
        cpe_aci_opts_t o;
        cpe_aci_opts_default(&o);
        if (rep) cpe_aci_free(a);
        if (cpe_aci_init(a, &o, NULL)) exit(1);
        for (int i = 0; i < WARM; i++)
            minute(a, i, lnc[i]);
        int64_t t0 = cpe_mono_ns();
        double c0 = bench_cpu_ns();
        for (int i = WARM; i < WARM + STEPS; i++)
            minute(a, i, lnc[i]);
        /* each minute resolves one outcome per horizon */
        t[rep] = (double)(cpe_mono_ns() - t0) / (STEPS * (double)CPE_ACI_MAX_H);
        tc[rep] = (bench_cpu_ns() - c0) / (STEPS * (double)CPE_ACI_MAX_H);
    }
    double w = bench_median(t, reps), c = bench_median(tc, reps);
    line("observe_push_ns_per_outcome", w, "ns", 10000, w < 10000);
    line("observe_push_ns_per_outcome_cpu", c, "ns", 10000, c < 10000);
    free(lnc);
}

/* The state left by bench_observe_push: 4 x 1441 pending items, 30 days of buckets. */
static void bench_json(const cpe_aci_t *a, int reps)
{
    double ts[15] = {0}, tl[15] = {0};
    cpe_buf_t b;
    cpe_buf_init(&b, 64u << 20);
    for (int rep = 0; rep < reps; rep++) {
        cpe_buf_reset(&b);
        int64_t t0 = cpe_mono_ns();
        if (cpe_aci_to_json(a, &b)) exit(1);
        int64_t t1 = cpe_mono_ns();
        cpe_aci_t c;
        if (cpe_aci_from_json(&c, b.data, b.len, NULL)) exit(1);
        tl[rep] = (double)(cpe_mono_ns() - t1) / 1e6;
        ts[rep] = (double)(t1 - t0) / 1e6;
        cpe_aci_free(&c);
    }
    line("state_json_bytes", (double)b.len, "bytes", 4e6, b.len < 4000000);
    double s = bench_median(ts, reps), l = bench_median(tl, reps);
    line("state_save_ms", s, "ms", 50, s < 50);
    line("state_load_ms", l, "ms", 50, l < 50);
    cpe_buf_free(&b);
}

/* Overlapping outcomes: a prediction every minute for H minutes ahead means H outcomes
 * are pending when one resolves, so alpha reacts to news H minutes old. */
static void study_overlap(double gamma)
{
    cpe_aci_opts_t o;
    cpe_aci_opts_default(&o);
    o.gamma = gamma;
    cpe_aci_t a;
    if (cpe_aci_init(&a, &o, NULL)) exit(1);
    cpe_rng_t r;
    cpe_rng_seed(&r, 8);
    double lnc = 11.0, sd = 1e-3;
    for (int64_t m = 0; m < 200000; m++) {
        lnc += sd * cpe_rng_normal(&r);
        int64_t ts = m * CPE_MS_PER_MIN;
        cpe_aci_observe(&a, ts, lnc);
        for (int k = 0; k < CPE_ACI_MAX_H; k++) {
            double s = 0.7 * sd * sqrt(HORIZON_MIN[k]), lo[2], hi[2];
            for (int b = 0; b < CPE_ACI_BANDS; b++) {
                hi[b] = s * cpe_t_std_quantile(1 - a.h[k].band[b].alpha / 2, INFINITY);
                lo[b] = -hi[b];
            }
            cpe_aci_push(&a, k, ts, ts + HORIZON_MIN[k] * CPE_MS_PER_MIN, lnc, lo, hi, NULL);
        }
    }
    for (int k = 0; k < CPE_ACI_MAX_H; k++)
        for (int b = 0; b < CPE_ACI_BANDS; b++) {
            const cpe_aci_band_t *bd = &a.h[k].band[b];
            double miss = (double)bd->misses / (double)bd->updates;
            char metric[96];
            snprintf(metric, sizeof metric, "overlap_miss_h%d_band%d_gamma%g", HORIZON_MIN[k] / 60,
                     b + 1, gamma);
            line(metric, miss, "rate", bd->target, fabs(miss - bd->target) < 0.01);
        }
    cpe_aci_free(&a);
}

int main(void)
{
    cpe_aci_t a;
    bench_observe_push(&a, 7);
    bench_json(&a, 7);
    cpe_aci_free(&a);
    study_overlap(0.005);
    study_overlap(0.001);
    return 0;
}
