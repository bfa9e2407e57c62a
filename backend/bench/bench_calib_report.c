/* bench_calib_report.c — the calibration report over a 30-day 1m history.
 *
 *   bench_calib_report      (builds its own store under /tmp; no data needed)
 *
 * The store holds 31 days of simulated 1m bars of BTCUSDT and a prediction at every 1m
 * bar for each horizon (1, 4, 8, 24 h): what `cpe serve` stores in a month of running.
 * Figures (one JSON line each, medians of 7 repetitions, the store's page cache warm):
 *   one_horizon_ms    cpe_calib_report_build for the 4 h horizon (30 days of 1m bars read
 *                     once, ~43,000 predictions read a day at a time); target < 50 ms
 *   all_horizons_ms   the four horizons in one call (the bars are read once)
 *   *_cpu_ms          the same in CPU time of this process (steadier on a shared machine) */
#include "common/bench_time.h"
#include "cpe/calib_report.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DAYS 31
#define REPS 7

static void line(const char *metric, double value, const char *unit, double target)
{
    printf("{\"bench\":\"calib_report\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\","
           "\"target\":%g,\"ok\":%s}\n",
           metric, value, unit, target, target <= 0 || value <= target ? "true" : "false");
    fflush(stdout);
}

static int fill(cpe_store_t *st, int64_t t0, size_t n)
{
    int64_t id;
    int rc = st->ops->series_id(st, "sim:spot:BTCUSDT", "kline:1m", CPE_MS_PER_MIN, 1, 1, &id);
    cpe_kline_t *k = malloc(n * sizeof *k);
    if (rc || !k) return rc ? rc : CPE_ENOMEM;
    double c = 100000.0;
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        c *= 1.0 + ((double)(s >> 16 & 0x7fff) / 32768.0 - 0.5) * 0.002;
        k[i] = (cpe_kline_t){t0 + (int64_t)i * CPE_MS_PER_MIN, c, c, c, c, 1, c, 1, 0.5, 0.5 * c};
    }
    rc = st->ops->begin(st);
    if (!rc) rc = st->ops->put_klines(st, id, k, n, NULL);
    static const int hs[4] = {1, 4, 8, 24};
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
    for (size_t i = 0; i < n && !rc; i++)
        for (int h = 0; h < 4 && !rc; h++) {
            double sd = 0.003 * sqrt(hs[h]) * k[i].close;
            p.ts_ms = k[i].ts_ms;
            p.horizon_h = hs[h];
            p.close = p.p500 = k[i].close;
            p.p_up = 0.5 + 0.1 * sin((double)i);
            p.p023 = p.close - 2 * sd, p.p159 = p.close - sd;
            p.p841 = p.close + sd, p.p977 = p.close + 2 * sd;
            p.n_cone = hs[h] + 1;
            rc = st->ops->put_prediction(st, &p, NULL);
        }
    if (!rc) rc = st->ops->commit(st);
    free(k);
    return rc;
}

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Median wall and CPU milliseconds of building the reports. */
static double timed(cpe_store_t *st, const int *hs, size_t nh, int64_t now, double *cpu_ms)
{
    double t[REPS], c[REPS];
    cpe_calib_report_t r[4];
    for (int i = 0; i < REPS; i++) {
        double a = bench_now_s(), ca = cpu_s();
        cpe_diag_t d;
        if (cpe_calib_report_build(st, "BTC", hs, nh, now, 30, r, &d)) {
            fprintf(stderr, "bench_calib_report: %s\n", d.msg);
            exit(1);
        }
        t[i] = (bench_now_s() - a) * 1e3;
        c[i] = (cpu_s() - ca) * 1e3;
    }
    *cpu_ms = bench_median(c, REPS);
    return bench_median(t, REPS);
}

int main(void)
{
    char db[128];
    snprintf(db, sizeof db, "/tmp/bench_calib_report_%d.db", (int)getpid());
    cpe_store_t *st;
    cpe_diag_t d;
    if (cpe_store_open(db, &st, &d)) {
        fprintf(stderr, "bench_calib_report: %s\n", d.msg);
        return 1;
    }
    const int64_t t0 = 1764547200000LL; /* 2025-12-01 */
    const size_t n = (size_t)DAYS * 1440;
    int rc = fill(st, t0, n);
    if (rc) fprintf(stderr, "bench_calib_report: filling the store: %s\n", st->diag.msg);
    int64_t now = t0 + (int64_t)n * CPE_MS_PER_MIN;
    static const int h4 = 4, all[4] = {1, 4, 8, 24};
    if (!rc) {
        double cpu;
        line("one_horizon_ms", timed(st, &h4, 1, now, &cpu), "ms", 50);
        line("one_horizon_cpu_ms", cpu, "ms", 50);
        line("all_horizons_ms", timed(st, all, 4, now, &cpu), "ms", 0);
        line("all_horizons_cpu_ms", cpu, "ms", 0);
    }
    cpe_store_close(st);
    char side[160];
    unlink(db);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
    return rc ? 1 : 0;
}
