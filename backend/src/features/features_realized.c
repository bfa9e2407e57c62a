/* features_realized.c — realized measures from 1m log returns, in O(1) per bar.
 *
 * The volatility models (models/har.h) and the direction trees read these columns. One
 * state, pushed once per bar by cpe_features_push, so batch and streaming agree bit for
 * bit (features_batch.c is the streaming engine in a loop).
 *
 *   realized_var_W      sum of r^2 over the last W 1m log returns, W = 60, 240, 480,
 *                       1440, 10080 (1 h, 4 h, 8 h, 24 h, 7 d); NaN until W returns exist
 *   bipower_var_24h     (pi/2) sum |r_t||r_t-1| over the last 1440 products (jump-robust)
 *   semivar_down_24h    sum of r^2 over the negative returns of the last 1440
 *   volume_1h_vs_7d     volume of the last 1 h / (volume of the last 7 d / 168)
 *   volume_24h_vs_7d    volume of the last 24 h / (volume of the last 7 d / 7)
 *                       0 when the 7-day volume is 0; NaN until 7 days of bars exist.
 *                       Windows count window / bar length bars (60, 1440, 10080 of 1m;
 *                       1, 24, 168 of 1h bars, the same sums); the realized variances
 *                       need 1m returns and stay NaN on coarser bars.
 *
 * A return is ln(c[t]/c[t-1]) between consecutive bars of the stream (a gap's return
 * spans the gap: its square still measures the variance of that interval). Running sums
 * add the new term and drop the one leaving the window; every RESUM bars they are re-summed
 * from the rings, so drift never accumulates (test_features_realized.c checks 200,000
 * bars against direct sums).
 */
#include "features_int.h"

#include <math.h>
#include <string.h>

#define RMASK (CPE_RV_RING - 1u)
#define RESUM 4096u

static const uint64_t rv_win[CPE_RV_NWIN] = {60, 240, 480, 1440, 10080};
enum { W24 = 3, W7D = 4, BP_WIN = 1440 };
static const int64_t vol_win_ms[3] = {3600000LL, 86400000LL, 604800000LL}; /* 1 h, 24 h, 7 d */

void cpe_realized_reset(cpe_realized_t *s, int64_t bar_ms)
{
    memset(s, 0, sizeof *s);
    for (int w = 0; w < 3; w++)
        s->vwin[w] =
            bar_ms > 0 && vol_win_ms[w] % bar_ms == 0 ? (uint64_t)(vol_win_ms[w] / bar_ms) : 0;
}

static double sq(double x)
{
    return x * x;
}
static double neg_sq(double x)
{
    return x < 0 ? x * x : 0.0;
}
static double bp_term(const cpe_realized_t *s, uint64_t k) /* |r_k||r_k-1|, k >= 1 */
{
    return fabs(s->r[k & RMASK]) * fabs(s->r[(k - 1) & RMASK]);
}

static void resum_returns(cpe_realized_t *s, uint64_t k)
{
    for (int w = 0; w < CPE_RV_NWIN; w++) {
        double a = 0;
        for (uint64_t i = k + 1 > rv_win[w] ? k + 1 - rv_win[w] : 0; i <= k; i++)
            a += sq(s->r[i & RMASK]);
        s->s2[w] = a;
    }
    double b = 0, ng = 0;
    for (uint64_t i = k + 1 > BP_WIN ? k + 1 - BP_WIN : 0; i <= k; i++) {
        if (i >= 1) b += bp_term(s, i);
        ng += neg_sq(s->r[i & RMASK]);
    }
    s->bp = b;
    s->neg = ng;
}

static void push_return(cpe_realized_t *s, double r)
{
    const uint64_t k = s->n++;
    s->r[k & RMASK] = r;
    if ((k + 1) % RESUM == 0) {
        resum_returns(s, k);
        return;
    }
    for (int w = 0; w < CPE_RV_NWIN; w++) {
        s->s2[w] += sq(r);
        if (k >= rv_win[w]) s->s2[w] -= sq(s->r[(k - rv_win[w]) & RMASK]);
    }
    if (k >= 1) s->bp += bp_term(s, k);
    if (k >= BP_WIN + 1) s->bp -= bp_term(s, k - BP_WIN);
    s->neg += neg_sq(r);
    if (k >= BP_WIN) s->neg -= neg_sq(s->r[(k - BP_WIN) & RMASK]);
}

static void push_volume(cpe_realized_t *s, double v)
{
    const uint64_t k = s->nv++;
    s->v[k & RMASK] = v;
    for (int w = 0; w < 3; w++) {
        const uint64_t W = s->vwin[w];
        if (!W) continue;
        if ((k + 1) % RESUM == 0) {
            double a = 0;
            for (uint64_t i = k + 1 > W ? k + 1 - W : 0; i <= k; i++)
                a += s->v[i & RMASK];
            s->sv[w] = a;
            continue;
        }
        s->sv[w] += v;
        if (k >= W) s->sv[w] -= s->v[(k - W) & RMASK];
    }
}

void cpe_realized_push(cpe_realized_t *s, double r1, double volume, double *out)
{
    if (isfinite(r1)) push_return(s, r1);
    push_volume(s, volume);
    for (int w = 0; w < CPE_RV_NWIN; w++)
        out[F_REALIZED_VAR_1H + w] = s->n >= rv_win[w] ? s->s2[w] : NAN;
    out[F_BIPOWER_VAR_24H] = s->n >= BP_WIN + 1 ? M_PI / 2 * s->bp : NAN;
    out[F_SEMIVAR_DOWN_24H] = s->n >= BP_WIN ? s->neg : NAN;
    double week = s->sv[2];
    int full = s->vwin[2] && s->nv >= s->vwin[2];
    out[F_VOLUME_1H_VS_7D] = !full || !s->vwin[0] ? NAN
                             : week > 0           ? s->sv[0] / (week / 168.0)
                                                  : 0.0;
    out[F_VOLUME_24H_VS_7D] = !full || !s->vwin[1] ? NAN : week > 0 ? s->sv[1] / (week / 7.0) : 0.0;
}
