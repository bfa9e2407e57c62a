/* bench_vol.c — volatility figures: GARCH(1,1)-t fit on 10,000 and 100,000 returns, and
 * one prediction for the four horizons (1, 4, 8, 24 h) with 10,000-path GARCH-t cones.
 * Prints one JSON line per figure (median of several repetitions).
 *
 * With the shared real data ($CPE_SHARED/data/real, BTCUSDT spot 1m 2024-01 .. 2025-08) it
 * also runs the out-of-sample study of docs/MODELS_VOLATILITY.md: models refitted every
 * week of 2025 on the trailing 365 days, variance forecasts scored on every hour of 2025
 * (QLIKE, lower is better) and cones every 8 hours, their coverage uncalibrated and with
 * scales refitted weekly on the previous 60 days of realised outcomes (spec 11.3). */
#include "cpe/cone.h"
#include "cpe/csvfile.h"
#include "cpe/garch.h"
#include "cpe/num.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this thread: on a shared box it excludes the time other processes ran */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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
    double *r = malloc(n * sizeof *r), t[15], tc[15];
    cpe_garch_t m = truth(), f = {0};
    cpe_garch_simulate(&m, n, 99, r);
    int conv = 1, iters = 0;
    for (int i = 0; i < reps; i++) {
        cpe_garch_opts_t o;
        cpe_garch_opts_default(&o);
        double t0 = now_ms(), c0 = cpu_ms();
        cpe_garch_fit(r, n, &o, &f, NULL);
        t[i] = now_ms() - t0;
        tc[i] = cpu_ms() - c0;
        conv &= f.converged;
        iters = f.iterations;
    }
    line(metric, median(t, reps), "ms", target);
    char cm[96];
    snprintf(cm, sizeof cm, "%s_cpu", metric);
    line(cm, median(tc, reps), "ms", target);
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
    double r[HIST], t[31], tc[31];
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
        double t0 = now_ms(), c0 = cpu_ms();
        double h = cpe_garch_filter(&m, r, HIST);
        cpe_cone_predict(&ws, &m, h, (uint64_t)i + 1, p, 4, out, NULL);
        t[i] = now_ms() - t0;
        tc[i] = cpu_ms() - c0;
    }
    line("predict_4h_cones_10k_paths_ms", median(t, reps), "ms", 2.0);
    line("predict_4h_cones_10k_paths_ms_cpu", median(tc, reps), "ms", 2.0);
    cpe_cone_ws_free(&ws);
}

/* ---- real-data study ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* All 1m closes of the BTCUSDT spot files, in file-name (= date) order. */
static double *load_closes(const char *dir, size_t *n)
{
    DIR *dp = opendir(dir);
    if (!dp) return NULL;
    char *names[64];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(dp)) && nn < 64)
        if (!strncmp(e->d_name, "binance-spot_BTCUSDT_klines_1m_", 31))
            names[nn++] = strdup(e->d_name);
    closedir(dp);
    qsort(names, (size_t)nn, sizeof *names, cmp_str);
    size_t cap = 1 << 20, k = 0;
    double *c = malloc(cap * sizeof *c);
    for (int i = 0; i < nn; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        cpe_csv_t f;
        if (cpe_csv_open(&f, path, NULL, NULL) == 0) {
            while (cpe_csv_next(&f, NULL) == 1) {
                double x;
                if (f.nf < 5 || cpe_parse_double(f.f[4].p, f.f[4].n, &x)) continue; /* header */
                if (k == cap) c = realloc(c, (cap *= 2) * sizeof *c);
                c[k++] = x;
            }
            cpe_csv_close(&f);
        }
        free(names[i]);
    }
    *n = k;
    return c;
}

/* k-minute log returns from close index `from` (a close) up to close index `to`. */
static double *returns_k(const double *c, size_t from, size_t to, int k, size_t *n)
{
    size_t m = (to - from) / (size_t)k, j = 0;
    double *r = malloc((m + 1) * sizeof *r);
    for (size_t i = from + (size_t)k; i <= to; i += (size_t)k)
        r[j++] = log(c[i] / c[i - (size_t)k]);
    *n = j;
    return r;
}

static void real_line(const char *metric, double value, const char *unit, double target, int ok)
{
    printf("{\"bench\":\"vol\",\"metric\":\"%s\",\"value\":%.5g,\"unit\":\"%s\",\"target\":%.5g,"
           "\"ok\":%s}\n",
           metric, value, unit, target, ok ? "true" : "false");
}

enum { NM = 5 };
static const char *const model_names[NM] = {"gjr_t_1h", "garch_t_5m", "hybrid", "ewma_1h",
                                            "rv24_1h"};

enum { MAXO = 1000 }; /* cone origins of the real-data study */

/* The cones' coverage of the study's origins (outcome ratios ra/rb, origin closes ot, the
 * first at index first): raw, and with weekly scales fitted on the previous 60 days. */
static void report_cones(double ra[4][MAXO], double rb[4][MAXO], const size_t *ot, int no,
                         const int *hz, size_t first, size_t week)
{
    const size_t window = 60 * 1440;
    for (int k = 0; k < 4; k++) {
        /* weekly recalibration: at each week start, s1/s2 from the origins of the previous 60
         * days whose outcome is already known; applied to that week's origins */
        double v1[MAXO], v2[MAXO];
        int nt = 0, raw1 = 0, raw2 = 0, in1 = 0, in2 = 0;
        size_t wk_start = 0;
        cpe_cone_scale_t s;
        int have = 0;
        for (int i = 0; i < no; i++) {
            raw1 += ra[k][i] <= 1.0;
            raw2 += rb[k][i] <= 1.0;
            size_t ws0 = (ot[i] - first) / week * week + first;
            if (ws0 != wk_start || !have) {
                wk_start = ws0;
                int nv = 0;
                for (int j = 0; j < i; j++)
                    if (ot[j] + window >= wk_start && ot[j] + 60 * (size_t)hz[k] <= wk_start) {
                        v1[nv] = ra[k][j];
                        v2[nv++] = rb[k][j];
                    }
                have = ot[i] >= first + window &&
                       cpe_cone_fit_scale(v1, v2, (size_t)nv, &s, NULL) == 0;
                if (!have) continue;
            }
            nt++;
            in1 += ra[k][i] <= s.s1;
            in2 += rb[k][i] <= s.s2;
        }
        char name[96];
        double cv;
        snprintf(name, sizeof name, "real_cone_cov1_2025_%dh_uncalibrated", hz[k]);
        cv = (double)raw1 / no;
        real_line(name, cv, "share", 0.683, fabs(cv - 0.683) <= 0.05);
        snprintf(name, sizeof name, "real_cone_cov2_2025_%dh_uncalibrated", hz[k]);
        cv = (double)raw2 / no;
        real_line(name, cv, "share", 0.954, fabs(cv - 0.954) <= 0.03);
        snprintf(name, sizeof name, "real_cone_cov1_2025_%dh_weekly_calibrated", hz[k]);
        cv = (double)in1 / nt;
        real_line(name, cv, "share", 0.683, fabs(cv - 0.683) <= 0.05);
        snprintf(name, sizeof name, "real_cone_cov2_2025_%dh_weekly_calibrated", hz[k]);
        cv = (double)in2 / nt;
        real_line(name, cv, "share", 0.954, fabs(cv - 0.954) <= 0.03);
    }
}

static void real_study(void)
{
    const char *base = getenv("CPE_SHARED");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/real", base && *base ? base : "../shared");
    size_t n = 0;
    double *c = load_closes(dir, &n);
    if (!c || n < 600000) {
        fprintf(stderr, "bench_vol: real data not found under %s: real-data study skipped\n", dir);
        free(c);
        return;
    }
    const size_t y2024 = 366 * 1440; /* closes of 2024; close index i = end of minute i */
    const size_t year = 365 * 1440, week = 7 * 1440;
    cpe_garch_t g1, g5, ew;
    double fit1_ms[64], fit5_ms[64];
    int nfit = 0, conv1 = 0, conv5 = 0;
    static const int hz[4] = {1, 4, 8, 24};
    double ql[4][NM] = {{0}};
    size_t cnt = 0;
    /* cones: hybrid start, every 8th hour, up to MAXO origins */
    static double ra[4][MAXO], rb[4][MAXO];
    static size_t ot[MAXO];
    int no = 0;
    cpe_cone_ws_t ws;
    cpe_cone_ws_init(&ws, CPE_CONE_PATHS);
    double h1 = 0, h5 = 0, he = 0;
    for (size_t t = y2024 - 1; t + 24 * 60 < n; t += 60) { /* t: index of the origin close */
        if ((t - (y2024 - 1)) % week == 0 && nfit < 64) {  /* weekly refit, trailing year */
            size_t n1, n5;
            double *r1 = returns_k(c, t - year, t, 60, &n1),
                   *r5 = returns_k(c, t - year, t, 5, &n5);
            cpe_garch_opts_t o;
            cpe_garch_opts_default(&o);
            o.kind = CPE_GJR;
            double t0 = now_ms();
            cpe_garch_fit_or_ewma(r1, n1, &o, &g1, NULL);
            fit1_ms[nfit] = now_ms() - t0;
            o.kind = CPE_GARCH;
            t0 = now_ms();
            cpe_garch_fit_or_ewma(r5, n5, &o, &g5, NULL);
            fit5_ms[nfit++] = now_ms() - t0;
            conv1 += !g1.fallback;
            conv5 += !g5.fallback;
            cpe_ewma_fit(r1, n1, CPE_EWMA_LAMBDA, &ew, NULL);
            h1 = g1.last_h;
            h5 = g5.last_h;
            he = ew.last_h;
            free(r1);
            free(r5);
        }
        double rv = 0;
        for (int i = 0; i < 24; i++) {
            double x = log(c[t - 60 * (size_t)i] / c[t - 60 * (size_t)i - 60]);
            rv += x * x / 24;
        }
        double hy = cpe_garch_forecast_sum(&g5, h5, 12); /* the 5m model's next hour */
        for (int k = 0; k < 4; k++) {
            double y = log(c[t + 60 * (size_t)hz[k]] / c[t]), f[NM];
            f[0] = cpe_garch_forecast_sum(&g1, h1, hz[k]);
            f[1] = cpe_garch_forecast_sum(&g5, h5, 12 * hz[k]);
            f[2] = cpe_garch_forecast_sum(&g1, hy, hz[k]);
            f[3] = cpe_garch_forecast_sum(&ew, he, hz[k]);
            f[4] = rv * hz[k];
            for (int m = 0; m < NM; m++)
                ql[k][m] += log(f[m]) + y * y / f[m];
        }
        cnt++;
        if (cnt % 8 == 1 && no < MAXO) {
            cpe_cone_params_t p[4];
            cpe_prediction_t out[4];
            for (int k = 0; k < 4; k++) {
                cpe_cone_params_default(&p[k]);
                p[k].horizon_h = hz[k];
                p[k].close = c[t];
            }
            if (cpe_cone_predict(&ws, &g1, hy, 1000 + (uint64_t)no, p, 4, out, NULL) == 0) {
                for (int k = 0; k < 4; k++)
                    cpe_cone_outcome_ratio(&out[k], c[t + 60 * (size_t)hz[k]], &ra[k][no],
                                           &rb[k][no]);
                ot[no++] = t;
            }
        }
        double x = log(c[t + 60] / c[t]);
        h1 = cpe_garch_step(&g1, h1, x);
        he = cpe_garch_step(&ew, he, x);
        for (int i = 1; i <= 12; i++)
            h5 = cpe_garch_step(&g5, h5, log(c[t + 5 * i] / c[t + 5 * i - 5]));
    }
    for (int k = 0; k < 4; k++)
        for (int m = 0; m < NM; m++) {
            char name[96];
            snprintf(name, sizeof name, "real_qlike_2025_%dh_%s", hz[k], model_names[m]);
            /* target: the trailing-24h realised-variance baseline */
            real_line(name, ql[k][m] / (double)cnt, "qlike", ql[k][4] / (double)cnt,
                      ql[k][m] <= ql[k][4]);
        }
    real_line("real_fit_gjr_t_1h_year_ms_median", median(fit1_ms, nfit), "ms", 5.0,
              median(fit1_ms, nfit) <= 5.0);
    real_line("real_fit_garch_t_5m_year_ms_median", median(fit5_ms, nfit), "ms", 40.0,
              median(fit5_ms, nfit) <= 40.0);
    real_line("real_fits_converged_share_1h", (double)conv1 / nfit, "share", 1.0, conv1 == nfit);
    real_line("real_fits_converged_share_5m", (double)conv5 / nfit, "share", 1.0, conv5 == nfit);
    report_cones(ra, rb, ot, no, hz, y2024 - 1, week);
    cpe_cone_ws_free(&ws);
    free(c);
}

int main(void)
{
    bench_fit(10000, 15, "garch_t_fit_10k_ms", 5.0);
    bench_fit(100000, 7, "garch_t_fit_100k_ms", 40.0);
    bench_cone(31);
    real_study();
    return 0;
}
