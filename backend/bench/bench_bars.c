/* bench_bars.c — aggregation of one year of 1m bars to 5m/15m/1h/4h/1d (target <= 50 ms),
 * simulator speed, and cpe_load_bars over a year from a store.
 *
 *   bench_bars [STORE]
 * With STORE (or $CPE_BENCH_DB) holding >= one year of BTCUSDT 1m klines, the year is the
 * latest year of those (real data); otherwise a simulated year. Figures are medians of
 * several repetitions; one JSON line each (docs/BENCHMARKS.md). */
#include "cpe/barload.h"
#include "cpe/sim.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define YEAR_MIN 525600
#define REPS 7

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void line(const char *metric, double value, const char *unit, double target,
                 int lower_better)
{
    int ok = lower_better ? value <= target : value >= target;
    printf("{\"bench\":\"bars\",\"metric\":\"%s\",\"value\":%.3f,\"unit\":\"%s\",\"target\":%g,"
           "\"ok\":%s}\n",
           metric, value, unit, target, target > 0 ? (ok ? "true" : "false") : "true");
    fflush(stdout);
}

/* One year of 1m bars of BTCUSDT from the simulator. */
static cpe_bar_t *simulate_year(size_t *n)
{
    const char *syms[] = {"BTCUSDT"};
    cpe_sim_config_t cfg;
    cpe_sim_t *sim = NULL;
    cpe_bar_t *b = malloc(YEAR_MIN * sizeof *b);
    cpe_sim_minute_t *m = malloc(sizeof *m);
    if (!b || !m || cpe_sim_config_default(&cfg, syms, 1, 1, 1704067200000LL, NULL) ||
        cpe_sim_new(&cfg, &sim, NULL)) {
        free(b);
        free(m);
        return NULL;
    }
    for (size_t i = 0; i < YEAR_MIN; i++) {
        cpe_sim_step(sim, m);
        cpe_bar_from_kline(&b[i], &m->sym[0].spot);
        b[i].liq_long = b[i].liq_short = 0;
        for (size_t k = 0; k < m->sym[0].nliq; k++) {
            const cpe_point_t *p = &m->sym[0].liq[k];
            if (p->v[0] > 0)
                b[i].liq_long += p->v[1] * p->v[2];
            else
                b[i].liq_short += p->v[1] * p->v[2];
        }
        if (m->sym[0].has_oi) b[i].oi = m->sym[0].oi.v[1];
        b[i].basis = m->sym[0].perp.close / m->sym[0].spot.close - 1;
    }
    cpe_sim_free(sim);
    free(m);
    *n = YEAR_MIN;
    return b;
}

/* Simulated minutes per second for BTCUSDT + ETHUSDT over 30 days. */
static double sim_speed(uint64_t seed)
{
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    cpe_sim_config_t cfg;
    cpe_sim_t *sim = NULL;
    static cpe_sim_minute_t m;
    if (cpe_sim_config_default(&cfg, syms, 2, seed, 1704067200000LL, NULL) ||
        cpe_sim_new(&cfg, &sim, NULL))
        return -1;
    int64_t t0 = cpe_mono_ns();
    for (int i = 0; i < 30 * 1440; i++)
        cpe_sim_step(sim, &m);
    double v = 30 * 1440 / ((cpe_mono_ns() - t0) / 1e9);
    cpe_sim_free(sim);
    return v;
}

static const int64_t agg_iv[5] = {5 * CPE_MS_PER_MIN, 15 * CPE_MS_PER_MIN, CPE_MS_PER_HOUR,
                                  4 * CPE_MS_PER_HOUR, CPE_MS_PER_DAY};

/* The job as the engine does it: cpe_bars_aggregate_many (5m from 1m, 15m from 5m, ...),
 * partial flags included. Output buffers are allocated once outside the timing. */
static double time_many(const cpe_bar_t *b, size_t n, cpe_bar_t *const *outs, uint8_t *const *parts)
{
    size_t nouts[5];
    int64_t t0 = cpe_mono_ns();
    if (cpe_bars_aggregate_many(b, n, CPE_MS_PER_MIN, agg_iv, 5, outs, parts, nouts)) return -1;
    return (cpe_mono_ns() - t0) / 1e6;
}

/* For comparison: every interval aggregated from the 1m bars separately. */
static double time_direct(const cpe_bar_t *b, size_t n, cpe_bar_t *const *outs,
                          uint8_t *const *parts)
{
    size_t no = 0;
    int64_t t0 = cpe_mono_ns();
    for (int k = 0; k < 5; k++)
        if (cpe_bars_aggregate(b, n, CPE_MS_PER_MIN, agg_iv[k], outs[k], parts[k], &no)) return -1;
    return (cpe_mono_ns() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    const char *db = argc > 1 ? argv[1] : getenv("CPE_BENCH_DB");
    cpe_bar_t *b = NULL;
    size_t n = 0;
    static char source[CPE_INSTR_KEY_MAX] = "simulated";
    cpe_store_t *st = NULL;
    if (db && *db && access(db, R_OK) == 0 && cpe_store_open(db, &st, NULL) == 0) {
        cpe_bar_t *all = NULL;
        size_t na = 0;
        cpe_barload_info_t info;
        if (cpe_load_bars(st, "BTCUSDT", CPE_MS_PER_MIN, INT64_MIN, INT64_MAX, &all, &na, &info,
                          NULL) == 0 &&
            na >= YEAR_MIN) {
            b = malloc(YEAR_MIN * sizeof *b);
            memcpy(b, all + (na - YEAR_MIN), YEAR_MIN * sizeof *b);
            n = YEAR_MIN;
            snprintf(source, sizeof source, "%s", info.instrument);
        }
        free(all);
    }
    double t_sim[3];
    for (int r = 0; r < 3; r++)
        t_sim[r] = sim_speed((uint64_t)r + 1);
    if (!b) b = simulate_year(&n);
    if (!b) return 1;
    fprintf(stderr, "bench_bars: one year of 1m bars from %s (%zu bars)\n", source, n);
    cpe_bar_t *outs[5];
    uint8_t *parts[5];
    for (int k = 0; k < 5; k++) {
        outs[k] = malloc(n * sizeof *outs[k]);
        parts[k] = malloc(n);
        if (!outs[k] || !parts[k]) return 1;
        memset(outs[k], 0, n * sizeof *outs[k]); /* touch the pages once */
    }
    double t_many[REPS], t_direct[REPS];
    for (int r = 0; r < REPS; r++) {
        t_many[r] = time_many(b, n, outs, parts);
        t_direct[r] = time_direct(b, n, outs, parts);
    }
    line("aggregate_1y_1m_to_5m_15m_1h_4h_1d", median(t_many, REPS), "ms", 50, 1);
    line("aggregate_1y_1m_to_each_of_5m_15m_1h_4h_1d_separately", median(t_direct, REPS), "ms", 0,
         1);
    for (int k = 0; k < 5; k++) {
        free(outs[k]);
        free(parts[k]);
    }
    line("simulator_minutes_per_s_btc_eth", median(t_sim, 3), "min/s", 0, 0);

    /* cpe_load_bars over a year: from the given store, else from a temp store holding a
     * simulated year of BTCUSDT (spot+perp klines, OI, funding, liquidations) */
    char tmpdb[256] = "";
    if (!st) {
        const char *syms[] = {"BTCUSDT"};
        cpe_sim_config_t cfg;
        cpe_sim_t *sim = NULL;
        snprintf(tmpdb, sizeof tmpdb, "/tmp/bench_bars_%d.db", (int)getpid());
        int64_t t0 = cpe_mono_ns();
        if (cpe_store_open(tmpdb, &st, NULL) ||
            cpe_sim_config_default(&cfg, syms, 1, 1, 1704067200000LL, NULL) ||
            cpe_sim_new(&cfg, &sim, NULL) || cpe_sim_write(st, sim, YEAR_MIN, NULL, NULL)) {
            cpe_sim_free(sim);
            cpe_store_close(st);
            st = NULL;
        } else {
            cpe_sim_free(sim);
            line("simulate_write_1y_btc_minutes_per_s", YEAR_MIN / ((cpe_mono_ns() - t0) / 1e9),
                 "min/s", 0, 0);
        }
    }
    if (st) {
        static const struct {
            const char *name;
            int64_t iv;
        } q[] = {{"load_bars_1y_1m_ms", CPE_MS_PER_MIN}, {"load_bars_1y_1h_ms", CPE_MS_PER_HOUR}};
        for (int k = 0; k < 2; k++) {
            double t[5];
            for (int r = 0; r < 5; r++) {
                cpe_bar_t *lb = NULL;
                size_t nl = 0;
                int64_t t0 = cpe_mono_ns();
                /* the same year as above: the last 525,600 minutes of the store's data */
                int rc = cpe_load_bars(st, "BTCUSDT", q[k].iv, b[0].ts_ms,
                                       b[n - 1].ts_ms + CPE_MS_PER_MIN, &lb, &nl, NULL, NULL);
                t[r] = rc ? -1 : (cpe_mono_ns() - t0) / 1e6;
                free(lb);
            }
            line(q[k].name, median(t, 5), "ms", 0, 1);
        }
    }
    free(b);
    cpe_store_close(st);
    if (tmpdb[0]) {
        char f[300];
        unlink(tmpdb);
        snprintf(f, sizeof f, "%s-wal", tmpdb);
        unlink(f);
        snprintf(f, sizeof f, "%s-shm", tmpdb);
        unlink(f);
    }
    return 0;
}
