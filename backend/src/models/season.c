/* season.c — hour-of-week seasonal factor (see cpe/season.h). */
#include "cpe/season.h"

#include <math.h>
#include <string.h>

#define HOUR_MS 3600000LL
#define WEEK_MS (168 * HOUR_MS)
#define WINSOR 8.0
#define PSEUDO 1.0

int cpe_season_bucket(int64_t t_ms)
{
    int64_t h = t_ms >= 0 ? t_ms / HOUR_MS : -((-t_ms + HOUR_MS - 1) / HOUR_MS);
    int64_t b = (h + 72) % CPE_SEASON_N;
    return (int)(b < 0 ? b + CPE_SEASON_N : b);
}

void cpe_season_finish(cpe_season_t *s)
{
    s->cum[0] = 0;
    for (int b = 0; b < CPE_SEASON_N; b++)
        s->cum[b + 1] = s->cum[b] + s->f[b];
}

void cpe_season_flat(cpe_season_t *s)
{
    memset(s, 0, sizeof *s);
    for (int b = 0; b < CPE_SEASON_N; b++)
        s->f[b] = 1.0;
    cpe_season_finish(s);
}

int cpe_season_fit(cpe_season_t *s, const int64_t *end_ms, const double *ratio, size_t n,
                   cpe_diag_t *d)
{
    double sum[CPE_SEASON_N] = {0}, cnt[CPE_SEASON_N] = {0};
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        double x = ratio[i];
        if (!(x >= 0) || !isfinite(x)) continue;
        int b = cpe_season_bucket(end_ms[i] - HOUR_MS / 2);
        sum[b] += x < WINSOR ? x : WINSOR;
        cnt[b] += 1;
        used++;
    }
    if (used < CPE_SEASON_N)
        return cpe_diag_set(d, CPE_EDATA, "seasonal factor: %zu usable hourly samples (need %d)",
                            used, CPE_SEASON_N);
    double tot = 0;
    for (int b = 0; b < CPE_SEASON_N; b++) {
        s->f[b] = (sum[b] + PSEUDO) / (cnt[b] + PSEUDO);
        tot += s->f[b];
    }
    for (int b = 0; b < CPE_SEASON_N; b++)
        s->f[b] *= CPE_SEASON_N / tot;
    s->n = used;
    cpe_season_finish(s);
    return 0;
}

/* Integral of the factor from the Monday 00:00 before t, in hours (*base), and the
 * index of that week (*wk): integral from any fixed origin = wk * 168 + base. */
static void integral(const cpe_season_t *s, int64_t t, int64_t *wk, double *base)
{
    const int64_t mon0 = -72 * HOUR_MS; /* 1969-12-29 00:00 UTC, a Monday */
    int64_t x = t - mon0;
    int64_t w = x >= 0 ? x / WEEK_MS : -((-x + WEEK_MS - 1) / WEEK_MS);
    int64_t in_week = x - w * WEEK_MS;
    int64_t whole = in_week / HOUR_MS;
    double part = (double)(in_week - whole * HOUR_MS) / (double)HOUR_MS;
    *wk = w;
    *base = s->cum[whole] + s->f[whole] * part;
}

double cpe_season_mean(const cpe_season_t *s, int64_t from_ms, int64_t to_ms)
{
    if (to_ms <= from_ms) return 1.0;
    int64_t w0, w1;
    double b0, b1;
    integral(s, from_ms, &w0, &b0);
    integral(s, to_ms, &w1, &b1);
    double hours = (double)(to_ms - from_ms) / (double)HOUR_MS;
    return ((double)(w1 - w0) * s->cum[CPE_SEASON_N] + (b1 - b0)) / hours;
}
