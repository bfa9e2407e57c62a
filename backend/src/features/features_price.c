/* features_price.c — the columns of the bar's own prices: returns, volatility, the bar's
 * range, RSI/ATR, EMAs and MACD, Bollinger, VWAP and the 24h range position
 * (steps of cpe_features_push, state in features_state.h). */
#include "features_state.h"

#include <math.h>

/* ---- small pieces --------------------------------------------------------------------- */

/* Add one observation pair (gain-like x, loss-like y); y unused for the ATR. */
static void wilder_add(wilder_t *w, double x, double y)
{
    if (w->cnt < w->n) {
        w->sum_g += x;
        w->sum_l += y;
        if (++w->cnt == w->n) {
            w->avg_g = w->sum_g / w->n;
            w->avg_l = w->sum_l / w->n;
        }
        return;
    }
    w->avg_g = (w->avg_g * (w->n - 1) + x) / w->n;
    w->avg_l = (w->avg_l * (w->n - 1) + y) / w->n;
}

static double rsi_value(const wilder_t *w)
{
    if (w->cnt < w->n) return NAN;
    if (w->avg_l == 0) return w->avg_g > 0 ? 100.0 : 50.0;
    return 100.0 - 100.0 / (1.0 + w->avg_g / w->avg_l);
}

static inline double ema_step(double prev, double x, double alpha)
{
    return prev + alpha * (x - prev);
}

/* Sample standard deviation (ddof=1), two-pass. */
static double std_ddof1(const double *x, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    double ss = 0;
    for (int i = 0; i < n; i++) {
        double e = x[i] - m;
        ss += e * e;
    }
    return sqrt(ss / (n - 1));
}

static inline double ret_k(const cpe_features_t *f, uint64_t t, uint64_t k)
{
    return k && f->nbars > k ? log(f->c[t & MASK] / f->c[(t - k) & MASK]) : NAN;
}

/* Sample sd of the n values of ring spaced k bars apart ending at bar t (n <= 24), NaN
 * until n * k bars before t exist or when k is 0. */
static double spaced_sd(const cpe_features_t *f, const double *ring, uint64_t t, uint64_t k, int n)
{
    if (!k || f->nbars <= (uint64_t)n * k) return NAN;
    double x[24];
    for (int i = 0; i < n; i++)
        x[i] = ring[(t - k * (uint64_t)i) & MASK];
    return std_ddof1(x, n);
}

/* ---- steps ----------------------------------------------------------------------------- */

void cpe_feat_price(cpe_features_t *f, const cpe_bar_t *bar, uint64_t t, double *out)
{
    const double hi = bar->high, lo = bar->low, c = bar->close;
    const unsigned j = t & MASK;
    double r1 = ret_k(f, t, f->fine), r5 = ret_k(f, t, f->k5m), r15 = ret_k(f, t, f->k15m);
    double r60 = ret_k(f, t, f->k1h), r240 = ret_k(f, t, f->k4h), r1440 = ret_k(f, t, f->k24h);
    f->r5[j] = r5;
    f->r60[j] = r60;
    out[F_RETURNS_1M] = r1;
    out[F_RETURNS_5M] = r5;
    out[F_RETURNS_15M] = r15;
    out[F_RETURNS_1H] = r60;
    out[F_RETURNS_4H] = r240;
    out[F_RETURNS_24H] = r1440;
    cpe_realized_push(&f->rv, r1, bar->volume, out);

    /* volatility over non-overlapping returns, two-pass */
    out[F_VOLATILITY_1H] = spaced_sd(f, f->r5, t, f->k5m, 12);
    out[F_VOLATILITY_24H] = spaced_sd(f, f->r60, t, f->k1h, 24);
    out[F_HIGH_LOW_RANGE] = (hi - lo) / c;
    out[F_CLOSE_POSITION] = hi == lo ? 0.5 : (c - lo) / (hi - lo);
}

void cpe_feat_technical(cpe_features_t *f, const cpe_bar_t *bar, uint64_t t, double *out)
{
    const double hi = bar->high, lo = bar->low, c = bar->close, v = bar->volume;
    /* RSI and ATR (Wilder) */
    if (t > 0) {
        double pc = f->c[(t - 1) & MASK];
        double d = c - pc;
        double g = d > 0 ? d : 0.0, ls = d < 0 ? -d : 0.0;
        wilder_add(&f->rsi14, g, ls);
        wilder_add(&f->rsi7, g, ls);
        double tr = hi - lo, a = fabs(hi - pc), b = fabs(lo - pc);
        if (a > tr) tr = a;
        if (b > tr) tr = b;
        wilder_add(&f->atr, tr, 0.0);
    }
    out[F_RSI_14] = rsi_value(&f->rsi14);
    out[F_RSI_7] = rsi_value(&f->rsi7);
    out[F_ATR_14] = f->atr.cnt == f->atr.n ? f->atr.avg_g / c : NAN;

    /* EMAs, MACD */
    if (t == 0) {
        f->ema12 = f->ema26 = f->ema9 = f->ema21 = c;
        f->ema9m = 0.0; /* macd[0] = EMA12[0] - EMA26[0] = 0 */
    } else {
        f->ema12 = ema_step(f->ema12, c, 2.0 / 13.0);
        f->ema26 = ema_step(f->ema26, c, 2.0 / 27.0);
        f->ema9m = ema_step(f->ema9m, f->ema12 - f->ema26, 2.0 / 10.0);
        f->ema9 = ema_step(f->ema9, c, 2.0 / 10.0);
        f->ema21 = ema_step(f->ema21, c, 2.0 / 22.0);
    }
    out[F_MACD_SIGNAL] = f->nbars >= 35 ? ((f->ema12 - f->ema26) - f->ema9m) / c : NAN;
    out[F_EMA_CROSS] = f->nbars >= 21 ? (f->ema9 - f->ema21) / c : NAN;

    /* Bollinger position over 20 closes, two-pass population sd */
    if (f->nbars >= 20) {
        double m = 0;
        for (uint64_t i = 0; i < 20; i++)
            m += f->c[(t - i) & MASK];
        m /= 20;
        double ss = 0;
        for (uint64_t i = 0; i < 20; i++) {
            double e = f->c[(t - i) & MASK] - m;
            ss += e * e;
        }
        double sd = sqrt(ss / 20);
        out[F_BB_POSITION] = sd == 0 ? 0.5 : (c - (m - 2 * sd)) / (4 * sd);
    } else {
        out[F_BB_POSITION] = NAN;
    }

    /* VWAP since 00:00 UTC of the bar's day */
    int64_t day = cpe_feat_day(bar->ts_ms);
    if (day != f->vwap_day) {
        f->vwap_day = day;
        f->vwap_tpv = f->vwap_v = 0;
    }
    f->vwap_tpv += (hi + lo + c) / 3.0 * v;
    f->vwap_v += v;
    out[F_VWAP_DEVIATION] = f->vwap_v == 0 ? 0.0 : c / (f->vwap_tpv / f->vwap_v) - 1.0;
}

void cpe_feat_range24h(cpe_features_t *f, const cpe_bar_t *bar, uint64_t t, double *out)
{
    const double hi = bar->high, lo = bar->low, c = bar->close;
    while (f->dmax_t > f->dmax_h && f->h[f->dq_max[(f->dmax_t - 1) & MASK] & MASK] <= hi)
        f->dmax_t--;
    f->dq_max[f->dmax_t++ & MASK] = t;
    while (f->dmin_t > f->dmin_h && f->l[f->dq_min[(f->dmin_t - 1) & MASK] & MASK] >= lo)
        f->dmin_t--;
    f->dq_min[f->dmin_t++ & MASK] = t;
    const uint64_t k24 = f->k24h ? f->k24h : RING / 2; /* no 24h window: keep the deques bounded */
    if (t >= k24) {
        while (f->dq_max[f->dmax_h & MASK] + k24 <= t)
            f->dmax_h++;
        while (f->dq_min[f->dmin_h & MASK] + k24 <= t)
            f->dmin_h++;
    }
    if (f->k24h && f->nbars >= f->k24h) {
        double mx = f->h[f->dq_max[f->dmax_h & MASK] & MASK];
        double mn = f->l[f->dq_min[f->dmin_h & MASK] & MASK];
        out[F_RANGE_POSITION_24H] = mx == mn ? 0.5 : (c - mn) / (mx - mn);
    } else {
        out[F_RANGE_POSITION_24H] = NAN;
    }
}
