/* cmd_drift.c — `cpe drift`: the model drift score replayed minute by minute over a stored
 * range with a fixed model (cpe/driftscan.h), per month, and how it relates to the same
 * model's out-of-sample Brier and CRPS: the figures behind the drift alert's threshold. */
#include "cli/cli.h"
#include "cli/ml_common.h"
#include "cpe/driftscan.h"
#include "cpe/timeutil.h"
#include "cpe/universe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double THRESHOLDS[] = {0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0};
#define NTHR (sizeof THRESHOLDS / sizeof *THRESHOLDS)

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile q of the sorted v[n] (nearest rank), NaN for none. */
static double quant(const double *v, size_t n, double q)
{
    if (!n) return NAN;
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i];
}

/* Month index (year * 12 + month - 1) of a time. */
static int month_of(int64_t ts)
{
    time_t s = (time_t)(ts / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* The scores of one set of points (a month, or the points above / below a threshold). */
typedef struct agg {
    double brier[CPE_NHORIZONS], crps[CPE_NHORIZONS], cv[CPE_NHORIZONS];
    long n[CPE_NHORIZONS];
} agg_t;

static void agg_add(agg_t *g, const cpe_driftscan_point_t *p)
{
    int k = cpe_horizon_index(p->horizon_h);
    if (k < 0) return;
    g->brier[k] += p->brier;
    g->crps[k] += p->crps;
    g->cv[k] += p->crps_cv;
    g->n[k]++;
}

/* " brier crps/cv" per horizon. */
static void agg_print(const agg_t *g)
{
    for (int k = 0; k < CPE_NHORIZONS; k++)
        if (g->n[k])
            printf("  %6.4f %5.3f", g->brier[k] / (double)g->n[k], g->crps[k] / g->cv[k]);
        else
            printf("  %6s %5s", "-", "-");
    printf("\n");
}

static void print_header(const char *first)
{
    printf("%-9s", first);
    for (int k = 0; k < CPE_NHORIZONS; k++)
        printf("  %3dh:brier crps/cv", cpe_horizons_h[k]);
    printf("\n");
}

/* Per month: the score's distribution over its minutes, then the model's scores. */
static int print_months(const cpe_driftscan_t *s)
{
    double *v = malloc((s->n ? s->n : 1) * sizeof *v);
    if (!v) return CPE_ENOMEM;
    printf("month     minutes scored   p10    p50    p90    max   >0.1  >0.25  >0.3\n");
    size_t i = 0, pi = 0;
    agg_t all[64];
    int months[64], nm = 0;
    while (i < s->n && nm < 64) {
        int m = month_of(s->ts_ms[i]);
        size_t n = 0, total = 0, above[3] = {0};
        for (; i < s->n && month_of(s->ts_ms[i]) == m; i++, total++) {
            if (isnan(s->score[i])) continue;
            v[n++] = s->score[i];
            above[0] += s->score[i] > 0.1;
            above[1] += s->score[i] > 0.25;
            above[2] += s->score[i] > 0.3;
        }
        qsort(v, n, sizeof *v, cmp_double);
        double dn = n ? (double)n : 1;
        printf("%04d-%02d  %8zu %6zu %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %5.3f\n", m / 12,
               m % 12 + 1, total, n, quant(v, n, 0.1), quant(v, n, 0.5), quant(v, n, 0.9),
               n ? v[n - 1] : NAN, above[0] / dn, above[1] / dn, above[2] / dn);
        agg_t *g = &all[nm];
        memset(g, 0, sizeof *g);
        for (; pi < s->npts && month_of(s->pts[pi].ts_ms) == m; pi++)
            agg_add(g, &s->pts[pi]);
        months[nm++] = m;
    }
    printf("\nthe model's scores per month (Brier of p_up; CRPS of the cone's Gaussian / the "
           "trailing-24 h constant-volatility cone's)\n");
    print_header("month");
    for (int j = 0; j < nm; j++) {
        printf("%04d-%02d  ", months[j] / 12, months[j] % 12 + 1);
        agg_print(&all[j]);
    }
    free(v);
    return 0;
}

/* The scored points split by the drift score as of their bar: above a threshold or not. */
static void print_thresholds(const cpe_driftscan_t *s)
{
    printf("\nscored bars by the drift score at the bar: above the threshold vs at or below\n");
    print_header("score");
    for (size_t t = 0; t < NTHR; t++) {
        agg_t hi, lo;
        memset(&hi, 0, sizeof hi);
        memset(&lo, 0, sizeof lo);
        long nhi = 0, nlo = 0;
        for (size_t i = 0; i < s->npts; i++) {
            if (isnan(s->pts[i].drift)) continue;
            int above = s->pts[i].drift > THRESHOLDS[t];
            agg_add(above ? &hi : &lo, &s->pts[i]);
            nhi += above;
            nlo += !above;
        }
        printf(">%-5.2f   ", THRESHOLDS[t]);
        agg_print(&hi);
        printf("<=%-5.2f  ", THRESHOLDS[t]);
        agg_print(&lo);
        printf("          (%ld / %ld scored predictions)\n", nhi, nlo);
    }
}

static int write_csv(const char *path, const cpe_driftscan_t *s, cpe_args_t *a)
{
    FILE *f = fopen(path, "w");
    if (!f) return cpe_cli_fail(a, 1, "%s: cannot write", path);
    fprintf(f, "ts_ms,drift\n");
    for (size_t i = 0; i < s->n; i++)
        if (!isnan(s->score[i])) fprintf(f, "%lld,%.6f\n", (long long)s->ts_ms[i], s->score[i]);
    if (fclose(f) != 0) return cpe_cli_fail(a, 1, "%s: cannot write", path);
    return 0;
}

static int run_drift(cpe_args_t *a)
{
    static const char *const known[] = {"symbol",  "asset",  "from", "to",
                                        "version", "models", "csv",  NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    char sym[32], asset[16];
    if ((rc = ml_symbol(a, sym, asset))) return rc;
    long long from, to;
    if ((rc = cpe_arg_time(a, "from", INT64_MIN, &from)) ||
        (rc = cpe_arg_time(a, "to", INT64_MIN, &to)))
        return rc;
    if (from == INT64_MIN || to == INT64_MIN || to <= from)
        return cpe_cli_fail(a, 2, "--from ISO and --to ISO (after --from) are required");
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    cpe_driftscan_t s;
    int64_t t0 = cpe_now_ms();
    if (cpe_driftscan_run(st, cpe_arg_str(a, "models"), sym, cpe_arg_str(a, "version"), from, to,
                          &s, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    printf("%s: model %s, %zu minutes scanned, %zu scored predictions, %.1f s\n\n", sym, s.version,
           s.n, s.npts, (double)(cpe_now_ms() - t0) / 1000.0);
    if (print_months(&s)) rc = cpe_cli_fail(a, 1, "out of memory");
    print_thresholds(&s);
    const char *csv = cpe_arg_str(a, "csv");
    if (!rc && csv) rc = write_csv(csv, &s, a);
    cpe_driftscan_free(&s);
out:
    cpe_store_close(st);
    return rc;
}

const cpe_command_t cpe_cmddef_drift = {
    "drift", "replay the model drift score over a stored range, with the model's scores",
    "usage: cpe drift --symbol SYM --from ISO --to ISO [--version V] [--models DIR]\n"
    "                 [--csv PATH] [--db PATH]\n\n"
    "Pushes every stored 1m bar of [from, to) (and the day before, so the first minute has a\n"
    "full ring) through the live pipeline's drift ring of model V (default: the champion) and\n"
    "prints per month the distribution of the score, and the same model's out-of-sample\n"
    "Brier and CRPS (vs a constant-volatility cone) at each hourly bar, overall and split by\n"
    "the drift score at the bar. --csv writes the score of every minute (ts_ms,drift).\n"
    "Train the model on data before --from (cpe train --to ISO): after it, every score is\n"
    "out of sample. docs/ALERTS.md, Thresholds.",
    run_drift};
