/* bench_features.c — the feature engine over the 20 months of real BTCUSDT 1m bars.
 *
 *   bench_features            (needs $CPE_SHARED/data/real; skips with a message otherwise)
 *
 * Figures (one JSON line each, medians of several repetitions):
 *   bars_per_s        full vector per 1m bar with every side source the real data has
 *                     (8h funding, hourly perp closes for the basis, hourly ETH closes,
 *                     daily OI, reserves and fear & greed), reading excluded; target >= 3e6
 *   state_bytes       bytes of streaming state (constant: bounded by the longest window)
 *   cli_input_s       `cpe features --input` on the 876,960 rows concatenated into one
 *                     plain CSV under /tmp, whole process (parse + compute + write); <= 2 s
 * The files are read once with the store layer's CSV reader (cpe/csvfile.h). */
#include "cpe/csvfile.h"
#include "cpe/features.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MS_DAY 86400000LL

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

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
    int ok = target <= 0 || (lower_better ? value <= target : value >= target);
    printf("{\"bench\":\"features\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"target\":%g,"
           "\"ok\":%s}\n",
           metric, value, unit, target, ok ? "true" : "false");
    fflush(stdout);
}

typedef struct vec {
    void *p;
    size_t n, cap, sz;
} vec_t;

static void *vpush(vec_t *v)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 4096;
        v->p = realloc(v->p, v->cap * v->sz);
        if (!v->p) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    return (char *)v->p + v->sz * v->n++;
}

static int num(const cpe_csv_t *c, size_t i, double *x)
{
    return i < c->nf ? cpe_parse_double(c->f[i].p, c->f[i].n, x) : -1;
}

static int tstamp(const cpe_csv_t *c, size_t i, int64_t *t)
{
    if (i >= c->nf) return -1;
    if (!cpe_parse_i64(c->f[i].p, c->f[i].n, t)) {
        if (*t >= 100000000000000LL) *t /= 1000;
        return 0;
    }
    return cpe_parse_iso8601(c->f[i].p, (long)c->f[i].n, t);
}

/* Rows of a CSV with a header: for each, call fn. */
static int each_row(const char *path, int (*fn)(const cpe_csv_t *c, void *ctx), void *ctx)
{
    cpe_csv_t c;
    cpe_diag_t d = {0};
    if (cpe_csv_open(&c, path, NULL, &d)) {
        fprintf(stderr, "%s\n", d.msg);
        return -1;
    }
    int rc, first = 1;
    while ((rc = cpe_csv_next(&c, &d)) == 1) {
        if (first) {
            first = 0;
            continue; /* header */
        }
        if (fn(&c, ctx)) break;
    }
    cpe_csv_close(&c);
    return rc < 0 ? -1 : 0;
}

static int on_kline(const cpe_csv_t *c, void *ctx)
{
    cpe_kline_t k = {0};
    double x[10];
    if (tstamp(c, 0, &k.ts_ms)) return 1;
    for (int i = 1; i <= 9; i++)
        if (i != 6 && num(c, (size_t)i, &x[i])) return 1;
    k.open = x[1], k.high = x[2], k.low = x[3], k.close = x[4], k.volume = x[5];
    k.quote_volume = x[7], k.trades = x[8], k.taker_buy_base = x[9], k.taker_buy_quote = NAN;
    cpe_bar_from_kline(vpush(ctx), &k);
    return 0;
}

typedef struct side {
    vec_t *obs;
    int kind, src, vcol;
    int64_t add_ms, interval_ms;
} side_t;

static int on_side(const cpe_csv_t *c, void *ctx)
{
    side_t *s = ctx;
    int64_t t;
    double v;
    if (tstamp(c, 0, &t) || num(c, (size_t)s->vcol, &v)) return 1;
    cpe_feature_obs_t *o = vpush(s->obs);
    *o = (cpe_feature_obs_t){.avail_ms = t + s->add_ms,
                             .interval_ms = s->interval_ms,
                             .kind = s->kind,
                             .src = s->src,
                             .v = {v, NAN, NAN, NAN, NAN, NAN}};
    return 0;
}

static int by_avail(const void *a, const void *b)
{
    const cpe_feature_obs_t *x = a, *y = b;
    if (x->avail_ms != y->avail_ms) return x->avail_ms < y->avail_ms ? -1 : 1;
    return x->kind - y->kind;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 2. cpe features --input on one concatenated plain CSV of the bars: 1 on failure (a
 * missing cpe binary skips the figure). */
static int bench_cli(const cpe_bar_t *b, size_t n)
{
    char exe[PATH_MAX], cpe[PATH_MAX + 8];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0) return 0;
    exe[el] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    snprintf(cpe, sizeof cpe, "%s/cpe", exe);
    if (access(cpe, X_OK)) {
        fprintf(stderr, "bench_features: %s not built; cli figure skipped\n", cpe);
        return 0;
    }
    char in[64], out[64];
    snprintf(in, sizeof in, "/tmp/cpe_bench_features_%d.csv", (int)getpid());
    snprintf(out, sizeof out, "/tmp/cpe_bench_features_%d.out.csv", (int)getpid());
    FILE *fp = fopen(in, "w");
    if (!fp) return 1;
    fprintf(fp, "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
                "taker_buy_volume,taker_buy_quote_volume,ignore\n");
    char nb[6][40];
    for (size_t i = 0; i < n; i++) {
        double v[6] = {b[i].open, b[i].high, b[i].low, b[i].close, b[i].volume, b[i].quote_volume};
        for (int k = 0; k < 6; k++)
            cpe_fmt_double(nb[k], v[k], "");
        char tb[40];
        cpe_fmt_double(tb, b[i].taker_buy_base, "");
        fprintf(fp, "%lld,%s,%s,%s,%s,%s,%lld,%s,%.0f,%s,0,0\n", (long long)b[i].ts_ms, nb[0],
                nb[1], nb[2], nb[3], nb[4], (long long)b[i].ts_ms + 59999, nb[5], b[i].trades, tb);
    }
    fclose(fp);
    double tc[3];
    for (int rep = 0; rep < 3; rep++) {
        char *args[] = {cpe, "features", "--input", in, "--out", out, NULL};
        pid_t pid;
        double t0 = now_s();
        if (posix_spawn(&pid, cpe, NULL, NULL, args, environ)) return 1;
        int st;
        waitpid(pid, &st, 0);
        tc[rep] = now_s() - t0;
        if (!WIFEXITED(st) || WEXITSTATUS(st)) {
            fprintf(stderr, "bench_features: cpe features failed\n");
            return 1;
        }
    }
    line("cli_input_s", median(tc, 3), "s", 2.0, 1);
    fprintf(stderr, "bench_features: %s -> %s (%zu rows)\n", in, out, n);
    remove(in);
    remove(out);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    const char *sh = getenv("CPE_SHARED");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/data/real", sh && *sh ? sh : "../shared");
    DIR *dd = opendir(dir);
    if (!dd) {
        fprintf(stderr, "bench_features: %s not found (set CPE_SHARED); skipped\n", dir);
        return 0;
    }
    char *names[64];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(dd)) && nn < 64)
        if (strstr(e->d_name, "binance-spot_BTCUSDT_klines_1m_")) names[nn++] = strdup(e->d_name);
    closedir(dd);
    qsort(names, (size_t)nn, sizeof *names, by_name);

    vec_t bars = {.sz = sizeof(cpe_bar_t)}, obs = {.sz = sizeof(cpe_feature_obs_t)};
    char path[PATH_MAX + 256];
    for (int i = 0; i < nn; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (each_row(path, on_kline, &bars)) return 1;
    }
    const struct {
        const char *file;
        side_t s;
    } sides[] = {
        {"binance-usdm_BTCUSDT_fundingRate_8h_2023-01-01_2025-08-31.csv",
         {&obs, CPE_FOBS_FUNDING, 0, 1, 0, 8 * 3600000LL}},
        {"binance-usdm_BTCUSDT_ohlcv_1h_2023-01-01_2025-08-31.csv",
         {&obs, CPE_FOBS_PERP_CLOSE, 0, 4, 3600000LL, 3600000LL}},
        {"binance-spot_ETHUSDT_klines_1h_2024-05-13_2025-08-31.csv",
         {&obs, CPE_FOBS_CROSS_CLOSE, 0, 4, 3600000LL, 3600000LL}},
        {"newhedge_BTC_futuresOpenInterestUSD_1d_2020-08-01_2025-08-31.csv",
         {&obs, CPE_FOBS_OI, 0, 1, MS_DAY, MS_DAY}},
        {"newhedge_BTC_exchangeReservesBTC_1d_2010-11-02_2025-08-31.csv",
         {&obs, CPE_FOBS_SERIES, CPE_FSER_EXCHANGE_RESERVES, 1, MS_DAY, MS_DAY}},
        {"alternative-me_CRYPTO_fearGreedIndex_1d_2018-02-01_2025-08-31.csv",
         {&obs, CPE_FOBS_SERIES, CPE_FSER_FEAR_GREED, 1, MS_DAY, MS_DAY}},
    };
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, sides[i].file);
        side_t s = sides[i].s;
        if (each_row(path, on_side, &s)) return 1;
    }
    qsort(obs.p, obs.n, sizeof(cpe_feature_obs_t), by_avail);
    const cpe_bar_t *b = bars.p;
    const cpe_feature_obs_t *o = obs.p;
    size_t n = bars.n, nf = cpe_features_count();
    fprintf(stderr, "bench_features: %zu bars, %zu side observations, %zu features\n", n, obs.n,
            nf);

    /* 1. streaming throughput: push every bar, the vector into one reused row */
    double *row = malloc(nf * sizeof *row), sink = 0, t[5];
    cpe_features_t *f = NULL;
    if (cpe_features_create(NULL, &f)) return 1;
    for (int rep = 0; rep < 5; rep++) {
        cpe_features_reset(f);
        size_t k = 0;
        double t0 = now_s();
        for (size_t i = 0; i < n; i++) {
            size_t k0 = k;
            int64_t close = b[i].ts_ms + 60000;
            while (k < obs.n && o[k].avail_ms <= close)
                k++;
            if (cpe_features_push(f, &b[i], o + k0, k - k0, row)) {
                fprintf(stderr, "push failed at bar %zu\n", i);
                return 1;
            }
            sink += row[i % nf];
        }
        t[rep] = now_s() - t0;
    }
    double med = median(t, 5);
    line("bars_per_s", (double)n / med, "bars/s", 3e6, 0);
    line("ns_per_bar", med / (double)n * 1e9, "ns", 0, 1);
    line("state_bytes", (double)cpe_features_state_bytes(f), "bytes", 0, 1);
    int present = 0, nonnan_last = 0;
    for (size_t j = 0; j < nf; j++) {
        present += cpe_features_source_present(f, j);
        nonnan_last += !isnan(row[j]);
    }
    fprintf(stderr,
            "bench_features: %d features with their sources present, %d non-NaN on the "
            "last bar (checksum %g)\n",
            present, nonnan_last, sink);
    line("features_with_sources", present, "features", 0, 0);
    cpe_features_free(f);

    if (bench_cli(b, n)) return 1;
    for (int i = 0; i < nn; i++)
        free(names[i]);
    free(bars.p);
    free(obs.p);
    free(row);
    (void)argv;
    return 0;
}
