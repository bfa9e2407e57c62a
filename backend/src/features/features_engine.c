/* features_engine.c — the streaming state and push(): every feature in O(1) per bar
 * (model and contract in cpe/features.h and shared/spec/features.md). */
#include "cpe/features.h"
#include "features_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RING 2048u /* > 1441: closes, returns, as-of values of the last 24h + 1 bar */
#define MASK (RING - 1u)
#define SHORT 64u /* > 60: per-bar flows of the 1h windows */
#define SMASK (SHORT - 1u)
#define RESUM_EVERY 4096u /* re-sum running window sums from their ring */
#define FUND_CAP 2048u    /* settlements kept for the 30-day window (1h funding: 720) */
#define FLOW_CAP 2048u    /* netflow events kept for the 24h window */
#define CORR_N 30         /* daily observations of a correlation */
#define MS_30D (30LL * 86400000LL)
#define MS_HOUR 3600000LL

typedef struct wilder {
    int n, cnt;
    double sum_g, sum_l, avg_g, avg_l;
} wilder_t;

typedef struct corr {
    double prev_s, prev_c; /* series value and main close at the previous observation */
    double x[CORR_N], y[CORR_N];
    int cnt, head;
    double value;
} corr_t;

typedef struct wsum { /* sum of (avail, v) events over a trailing window */
    uint32_t tail;
    double sum;
} wsum_t;

struct cpe_features {
    cpe_features_config_t cfg;
    int64_t bar_ms;
    int fine;                           /* 1m bars: every feature; else see features.h */
    uint64_t k5m, k15m, k1h, k4h, k24h; /* windows in bars (0: the bar does not divide it) */
    uint64_t nbars;
    int64_t last_ts;
    unsigned seen;
    uint32_t series_seen; /* bit per cpe_fseries_t */

    /* per-bar rings (index = bar number & MASK) */
    double c[RING], h[RING], l[RING], r5[RING], r60[RING];
    int64_t cts[RING]; /* close time of each bar */
    double oi_asof[RING], res_asof[RING], dom_asof[RING], ratio_asof[RING], basis_asof[RING];
    cpe_hourly_norm_t cvd_norm; /* cvd_1h at the last 168 hour closes */

    /* monotone deques of bar numbers for the 1440-bar max high / min low */
    uint64_t dq_max[RING], dq_min[RING];
    uint64_t dmax_h, dmax_t, dmin_h, dmin_t; /* head (oldest) and tail (one past newest) */

    /* short rings for the 5/60-bar sums */
    double flow[SHORT], vol[SHORT], liq_l[SHORT], liq_s[SHORT];
    unsigned char no_tb[SHORT], no_liq[SHORT];
    double s_flow60, s_vol60, s_liql60, s_liqs60;
    int n_notb60, n_noliq60;

    wilder_t rsi14, rsi7, atr;
    double ema12, ema26, ema9m, ema9, ema21;
    int64_t vwap_day;
    double vwap_tpv, vwap_v;

    /* derivatives */
    double funding, funding_prev, fund_src[CPE_FUNDING_SRC_MAX];
    unsigned fund_src_seen;
    int64_t fund_t[FUND_CAP];
    double fund_v[FUND_CAP];
    uint32_t fund_h, fund_n;
    int fund_dirty;
    double fund_z;
    double oi;
    int64_t oi_interval_ms;
    double lsr;
    double book[6];
    double basis;
    double ratio;

    /* named series */
    double ser[CPE_FSER_COUNT];
    int64_t ser_interval_ms[CPE_FSER_COUNT];
    int64_t flow_t[FLOW_CAP];
    double flow_v[FLOW_CAP];
    uint32_t flow_n; /* events ever pushed (ring index = n & (FLOW_CAP-1)) */
    wsum_t nf1h, nf24h;
    corr_t corr[3]; /* sp500, gold, dxy */
    double hour_sin[24], hour_cos[24];
    cpe_realized_t rv;
};

/* ---- small pieces --------------------------------------------------------------------- */

static void wilder_init(wilder_t *w, int n)
{
    memset(w, 0, sizeof *w);
    w->n = n;
}

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

static double pearson(const double *x, const double *y, int n)
{
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        double a = x[i] - mx, b = y[i] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if (sxx <= 0 || syy <= 0) return NAN;
    return sxy / sqrt(sxx * syy);
}

static double imbalance(double b, double a)
{
    if (!isfinite(b) || !isfinite(a)) return NAN;
    double s = b + a;
    return s > 0 ? (b - a) / s : 0.0;
}

/* The main close whose close time is exactly t_ms (NaN when not among the last RING). */
static double main_close_at(const cpe_features_t *f, int64_t t_ms)
{
    if (!f->nbars) return NAN;
    uint64_t last = f->nbars - 1;
    int64_t T = f->cts[last & MASK];
    if (t_ms > T || (T - t_ms) % f->bar_ms) return NAN;
    uint64_t k = (uint64_t)((T - t_ms) / f->bar_ms);
    uint64_t avail = f->nbars < RING ? f->nbars : RING;
    if (k >= avail) return NAN;
    uint64_t i = (last - k) & MASK;
    return f->cts[i] == t_ms ? f->c[i] : NAN;
}

/* ---- lifecycle ------------------------------------------------------------------------- */

/* A window of w_ms in bars of bar_ms, 0 when the bar does not divide it. */
static uint64_t window_bars(int64_t bar_ms, int64_t w_ms)
{
    return bar_ms > 0 && w_ms % bar_ms == 0 ? (uint64_t)(w_ms / bar_ms) : 0;
}

/* Columns defined on single 1m bars (or on windows of a few of them): NaN on coarser bars. */
static const int per_minute_cols[] = {
    F_RETURNS_1M,           F_HIGH_LOW_RANGE,  F_CLOSE_POSITION,   F_RSI_14,         F_RSI_7,
    F_MACD_SIGNAL,          F_BB_POSITION,     F_EMA_CROSS,        F_VWAP_DEVIATION, F_ATR_14,
    F_TRADE_FLOW_IMBALANCE, F_VOLUME_RATIO_1H, F_LARGE_TRADE_RATIO};

void cpe_features_reset(cpe_features_t *f)
{
    cpe_features_config_t cfg = f->cfg;
    int64_t bar_ms = f->bar_ms;
    memset(f, 0, sizeof *f);
    f->cfg = cfg;
    f->bar_ms = bar_ms;
    f->fine = bar_ms == CPE_FEATURES_BAR_MS;
    f->k5m = window_bars(bar_ms, 5 * 60000LL);
    f->k15m = window_bars(bar_ms, 15 * 60000LL);
    f->k1h = window_bars(bar_ms, MS_HOUR);
    f->k4h = window_bars(bar_ms, 4 * MS_HOUR);
    f->k24h = window_bars(bar_ms, 24 * MS_HOUR);
    f->last_ts = INT64_MIN;
    wilder_init(&f->rsi14, 14);
    wilder_init(&f->rsi7, 7);
    wilder_init(&f->atr, 14);
    f->vwap_day = INT64_MIN;
    cpe_realized_reset(&f->rv, bar_ms);
    f->funding = f->funding_prev = f->fund_z = f->oi = f->lsr = f->basis = f->ratio = NAN;
    cpe_hourly_norm_reset(&f->cvd_norm);
    for (int i = 0; i < CPE_FUNDING_SRC_MAX; i++)
        f->fund_src[i] = NAN;
    for (int i = 0; i < 6; i++)
        f->book[i] = NAN;
    for (int i = 0; i < CPE_FSER_COUNT; i++)
        f->ser[i] = NAN;
    for (int i = 0; i < 3; i++)
        f->corr[i].prev_s = f->corr[i].prev_c = f->corr[i].value = NAN;
    for (int i = 0; i < 24; i++) {
        f->hour_sin[i] = sin(2.0 * M_PI * i / 24.0);
        f->hour_cos[i] = cos(2.0 * M_PI * i / 24.0);
    }
}

int cpe_features_create(const cpe_features_config_t *cfg, cpe_features_t **out)
{
    *out = NULL;
    cpe_features_config_t c = {0};
    if (cfg) c = *cfg;
    if (c.bar_ms == 0) c.bar_ms = CPE_FEATURES_BAR_MS;
    if (c.bar_ms < CPE_FEATURES_BAR_MS || c.bar_ms % CPE_FEATURES_BAR_MS ||
        (c.main_kind != CPE_SPOT && c.main_kind != CPE_PERP))
        return CPE_EINVAL;
    cpe_features_t *f = malloc(sizeof *f);
    if (!f) return CPE_ENOMEM;
    f->cfg = c;
    f->bar_ms = c.bar_ms;
    cpe_features_reset(f);
    *out = f;
    return 0;
}

void cpe_features_free(cpe_features_t *f)
{
    free(f);
}

uint64_t cpe_features_bars(const cpe_features_t *f)
{
    return f->nbars;
}
unsigned cpe_features_sources_seen(const cpe_features_t *f)
{
    return f->seen;
}
size_t cpe_features_state_bytes(const cpe_features_t *f)
{
    return f ? sizeof *f : 0;
}

int cpe_features_source_present(const cpe_features_t *f, size_t i)
{
    const cpe_feature_def_t *d = cpe_feature_def(i);
    if (!d) return 0;
    unsigned need = d->sources & ~CPE_FSRC_SERIES;
    if ((f->seen & need) != need) return 0;
    if (i == F_OI_CHANGE_1H || i == F_OI_CHANGE_24H) {
        int64_t w = (i == F_OI_CHANGE_1H ? 1 : 24) * MS_HOUR;
        return f->oi_interval_ms <= w;
    }
    if (i == F_NETFLOW_1H || i == F_NETFLOW_24H) {
        int64_t w = (i == F_NETFLOW_1H ? 1 : 24) * MS_HOUR;
        for (int s = CPE_FSER_EXCHANGE_RESERVES; s <= CPE_FSER_EXCHANGE_NETFLOW; s++)
            if ((f->series_seen >> s & 1) && f->ser_interval_ms[s] <= w) return 1;
        return 0;
    }
    if (d->sources & CPE_FSRC_SERIES) return (int)(f->series_seen >> d->series & 1);
    return 1;
}

/* ---- side observations ----------------------------------------------------------------- */

static int obs_valid(const cpe_feature_obs_t *o, int64_t close_ms)
{
    if (o->avail_ms > close_ms || o->interval_ms < 0) return 0;
    switch (o->kind) {
    case CPE_FOBS_FUNDING:
        return o->src >= 0 && o->src < CPE_FUNDING_SRC_MAX;
    case CPE_FOBS_SERIES:
        return o->src >= 0 && o->src < CPE_FSER_COUNT;
    default:
        return o->kind >= 0 && o->kind < CPE_FOBS_KIND_COUNT;
    }
}

static void corr_add(cpe_features_t *f, int which, double s, int64_t avail_ms, int negate)
{
    corr_t *k = &f->corr[which];
    double c = main_close_at(f, avail_ms);
    if (isfinite(k->prev_s) && isfinite(k->prev_c) && isfinite(c) && s > 0 && k->prev_s > 0) {
        double ys = log(s / k->prev_s);
        k->x[k->head] = log(c / k->prev_c);
        k->y[k->head] = negate ? -ys : ys;
        k->head = (k->head + 1) % CORR_N;
        if (k->cnt < CORR_N) k->cnt++;
        k->value = k->cnt == CORR_N ? pearson(k->x, k->y, CORR_N) : NAN;
    }
    k->prev_s = s;
    k->prev_c = c;
}

static void apply_obs(cpe_features_t *f, const cpe_feature_obs_t *o)
{
    double v = o->v[0];
    switch (o->kind) {
    case CPE_FOBS_FUNDING:
        if (!isfinite(v)) return;
        f->fund_src[o->src] = v;
        f->fund_src_seen |= 1u << o->src;
        f->seen |= CPE_FSRC_FUNDING;
        if (o->src == 0) {
            f->funding_prev = f->funding;
            f->funding = v;
            if (f->fund_n == FUND_CAP) { /* full: drop the oldest */
                f->fund_h = (f->fund_h + 1) % FUND_CAP;
                f->fund_n--;
            }
            uint32_t i = (f->fund_h + f->fund_n) % FUND_CAP;
            f->fund_t[i] = o->avail_ms;
            f->fund_v[i] = v;
            f->fund_n++;
            f->fund_dirty = 1;
        }
        break;
    case CPE_FOBS_OI:
        if (!(v > 0) || !isfinite(v)) return;
        f->oi = v;
        f->oi_interval_ms = o->interval_ms;
        f->seen |= CPE_FSRC_OI;
        break;
    case CPE_FOBS_LSR:
        if (!isfinite(v)) return;
        f->lsr = v;
        f->seen |= CPE_FSRC_LSR;
        break;
    case CPE_FOBS_BOOK:
        memcpy(f->book, o->v, sizeof f->book);
        f->seen |= CPE_FSRC_BOOK;
        break;
    case CPE_FOBS_PERP_CLOSE:
    case CPE_FOBS_SPOT_CLOSE: {
        int other_is_perp = o->kind == CPE_FOBS_PERP_CLOSE;
        if ((f->cfg.main_kind == CPE_SPOT) != other_is_perp || !(v > 0)) return;
        f->seen |= CPE_FSRC_BASIS;
        double m = main_close_at(f, o->avail_ms);
        if (!(m > 0)) return;
        double perp = other_is_perp ? v : m, spot = other_is_perp ? m : v;
        f->basis = (perp / spot - 1.0) * 3.0 * 365.0;
        break;
    }
    case CPE_FOBS_CROSS_CLOSE: {
        if (!(v > 0)) return;
        f->seen |= CPE_FSRC_CROSS;
        double m = main_close_at(f, o->avail_ms);
        if (!(m > 0)) return;
        f->ratio = f->cfg.main_is_eth ? m / v : v / m;
        break;
    }
    case CPE_FOBS_SERIES: {
        if (!isfinite(v)) return;
        int s = o->src;
        f->ser[s] = v;
        f->ser_interval_ms[s] = o->interval_ms;
        f->series_seen |= 1u << s;
        f->seen |= CPE_FSRC_SERIES;
        if (s == CPE_FSER_EXCHANGE_NETFLOW) {
            uint32_t i = f->flow_n & (FLOW_CAP - 1);
            /* a full ring drops the oldest event; move the window tails past it */
            if (f->flow_n - f->nf24h.tail >= FLOW_CAP) {
                f->nf24h.sum -= f->flow_v[f->nf24h.tail & (FLOW_CAP - 1)];
                f->nf24h.tail++;
            }
            if (f->flow_n - f->nf1h.tail >= FLOW_CAP) {
                f->nf1h.sum -= f->flow_v[f->nf1h.tail & (FLOW_CAP - 1)];
                f->nf1h.tail++;
            }
            f->flow_t[i] = o->avail_ms;
            f->flow_v[i] = v;
            f->flow_n++;
            f->nf1h.sum += v;
            f->nf24h.sum += v;
        } else if (s == CPE_FSER_SP500) {
            corr_add(f, 0, v, o->avail_ms, 0);
        } else if (s == CPE_FSER_GOLD) {
            corr_add(f, 1, v, o->avail_ms, 0);
        } else if (s == CPE_FSER_DXY) {
            corr_add(f, 2, v, o->avail_ms, 1);
        }
        break;
    }
    default:
        break;
    }
}

/* Drop events older than the window (avail <= t - w) from a trailing sum. */
static void wsum_expire(cpe_features_t *f, wsum_t *w, int64_t cutoff_ms)
{
    while (w->tail < f->flow_n && f->flow_t[w->tail & (FLOW_CAP - 1)] <= cutoff_ms) {
        w->sum -= f->flow_v[w->tail & (FLOW_CAP - 1)];
        w->tail++;
    }
    if (w->tail == f->flow_n) w->sum = 0; /* empty: no drift carried over */
}

static void funding_window(cpe_features_t *f, int64_t close_ms)
{
    while (f->fund_n && f->fund_t[f->fund_h] <= close_ms - MS_30D) {
        f->fund_h = (f->fund_h + 1) % FUND_CAP;
        f->fund_n--;
        f->fund_dirty = 1;
    }
    if (!f->fund_dirty) return;
    f->fund_dirty = 0;
    f->fund_z = NAN;
    uint32_t n = f->fund_n;
    if (n < 2) return;
    double m = 0;
    for (uint32_t k = 0; k < n; k++)
        m += f->fund_v[(f->fund_h + k) % FUND_CAP];
    m /= n;
    double ss = 0;
    for (uint32_t k = 0; k < n; k++) {
        double e = f->fund_v[(f->fund_h + k) % FUND_CAP] - m;
        ss += e * e;
    }
    double sd = sqrt(ss / (n - 1));
    if (sd > 0) f->fund_z = (f->funding - m) / sd;
}

/* ---- push ------------------------------------------------------------------------------ */

static inline double ret_k(const cpe_features_t *f, uint64_t t, uint64_t k)
{
    return k && f->nbars > k ? log(f->c[t & MASK] / f->c[(t - k) & MASK]) : NAN;
}

/* Move bar t of the short rings into the running 1-hour sums (drop bar t - k1h). */
static void short_sums(cpe_features_t *f, uint64_t t)
{
    const uint64_t W = f->k1h;
    if (!W) return;
    if ((t + 1) % RESUM_EVERY == 0) { /* re-sum from the ring: no drift */
        f->s_flow60 = f->s_vol60 = f->s_liql60 = f->s_liqs60 = 0;
        f->n_notb60 = f->n_noliq60 = 0;
        uint64_t k0 = t + 1 >= W ? t + 1 - W : 0;
        for (uint64_t k = k0; k <= t; k++) {
            unsigned j = k & SMASK;
            f->s_flow60 += f->flow[j];
            f->s_vol60 += f->vol[j];
            f->s_liql60 += f->liq_l[j];
            f->s_liqs60 += f->liq_s[j];
            f->n_notb60 += f->no_tb[j];
            f->n_noliq60 += f->no_liq[j];
        }
        return;
    }
    unsigned j = t & SMASK;
    f->s_flow60 += f->flow[j];
    f->s_vol60 += f->vol[j];
    f->s_liql60 += f->liq_l[j];
    f->s_liqs60 += f->liq_s[j];
    f->n_notb60 += f->no_tb[j];
    f->n_noliq60 += f->no_liq[j];
    if (t >= W) {
        unsigned o = (t - W) & SMASK;
        f->s_flow60 -= f->flow[o];
        f->s_vol60 -= f->vol[o];
        f->s_liql60 -= f->liq_l[o];
        f->s_liqs60 -= f->liq_s[o];
        f->n_notb60 -= f->no_tb[o];
        f->n_noliq60 -= f->no_liq[o];
    }
}

static double asof_change(const cpe_features_t *f, const double *ring, uint64_t t, uint64_t k,
                          int log_ratio)
{
    if (!k || f->nbars <= k) return NAN;
    double a = ring[t & MASK], b = ring[(t - k) & MASK];
    if (log_ratio) return a > 0 && b > 0 ? log(a / b) : NAN;
    return a - b; /* NaN propagates */
}

int cpe_features_push(cpe_features_t *f, const cpe_bar_t *bar, const cpe_feature_obs_t *obs,
                      size_t nobs, double *out)
{
    const double o = bar->open, hi = bar->high, lo = bar->low, c = bar->close;
    if (bar->ts_ms <= f->last_ts || !(o > 0) || !(hi > 0) || !(lo > 0) || !(c > 0) ||
        !isfinite(o) || !isfinite(hi) || !isfinite(lo) || !isfinite(c) || !(bar->volume >= 0) ||
        !isfinite(bar->volume))
        return CPE_EINVAL;
    const int64_t close_ms = bar->ts_ms + f->bar_ms;
    for (size_t i = 0; i < nobs; i++)
        if (!obs_valid(&obs[i], close_ms)) return CPE_EINVAL;

    const uint64_t t = f->nbars++;
    const unsigned j = t & MASK, sj = t & SMASK;
    const double v = bar->volume, tb = bar->taker_buy_base;
    f->last_ts = bar->ts_ms;
    f->seen |= CPE_FSRC_KLINE;

    /* rings */
    f->c[j] = c;
    f->h[j] = hi;
    f->l[j] = lo;
    f->cts[j] = close_ms;

    /* returns (one log each) */
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
    if (f->k5m && f->nbars > 12 * f->k5m) {
        double x[12];
        for (int i = 0; i < 12; i++)
            x[i] = f->r5[(t - f->k5m * (uint64_t)i) & MASK];
        out[F_VOLATILITY_1H] = std_ddof1(x, 12);
    } else {
        out[F_VOLATILITY_1H] = NAN;
    }
    if (f->k1h && f->nbars > 24 * f->k1h) {
        double x[24];
        for (int i = 0; i < 24; i++)
            x[i] = f->r60[(t - f->k1h * (uint64_t)i) & MASK];
        out[F_VOLATILITY_24H] = std_ddof1(x, 24);
    } else {
        out[F_VOLATILITY_24H] = NAN;
    }
    out[F_HIGH_LOW_RANGE] = (hi - lo) / c;
    out[F_CLOSE_POSITION] = hi == lo ? 0.5 : (c - lo) / (hi - lo);

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
    int64_t day = bar->ts_ms >= 0 ? bar->ts_ms / 86400000 : -((-bar->ts_ms + 86399999) / 86400000);
    if (day != f->vwap_day) {
        f->vwap_day = day;
        f->vwap_tpv = f->vwap_v = 0;
    }
    f->vwap_tpv += (hi + lo + c) / 3.0 * v;
    f->vwap_v += v;
    out[F_VWAP_DEVIATION] = f->vwap_v == 0 ? 0.0 : c / (f->vwap_tpv / f->vwap_v) - 1.0;

    /* taker flow and liquidations: short rings + 60-bar running sums */
    int has_tb = isfinite(tb);
    if (has_tb) f->seen |= CPE_FSRC_TAKER;
    f->flow[sj] = has_tb ? 2 * tb - v : 0.0;
    f->vol[sj] = v;
    f->no_tb[sj] = !has_tb;
    int has_liq = isfinite(bar->liq_long) && isfinite(bar->liq_short);
    if (has_liq) f->seen |= CPE_FSRC_LIQ;
    f->liq_l[sj] = has_liq ? bar->liq_long : 0.0;
    f->liq_s[sj] = has_liq ? bar->liq_short : 0.0;
    f->no_liq[sj] = !has_liq;
    short_sums(f, t);
    out[F_TRADE_FLOW_IMBALANCE] = !has_tb ? NAN : v == 0 ? 0.0 : (2 * tb - v) / v;
    if (f->k5m && f->nbars >= f->k5m) {
        double sf = 0, sv = 0;
        int miss = 0;
        for (uint64_t i = 0; i < f->k5m; i++) {
            unsigned k = (t - i) & SMASK;
            sf += f->flow[k];
            sv += f->vol[k];
            miss |= f->no_tb[k];
        }
        out[F_CVD_5M] = miss ? NAN : sv == 0 ? 0.0 : sf / sv;
    } else {
        out[F_CVD_5M] = NAN;
    }
    int full60 = f->k1h && f->nbars >= f->k1h;
    out[F_CVD_1H] = !full60 || f->n_notb60 ? NAN : f->s_vol60 == 0 ? 0.0 : f->s_flow60 / f->s_vol60;
    out[F_VOLUME_RATIO_1H] = !full60 ? NAN : f->s_vol60 == 0 ? 0.0 : v / (f->s_vol60 / 60.0);
    if (!full60 || !has_liq) {
        out[F_LIQ_IMBALANCE_1H] = NAN;
    } else {
        double L = f->s_liql60, S = f->s_liqs60;
        out[F_LIQ_IMBALANCE_1H] = L + S > 0 ? (L - S) / (L + S) : 0.0;
    }
    if (isfinite(bar->large_quote)) {
        f->seen |= CPE_FSRC_TAPE;
        double qv = bar->quote_volume;
        out[F_LARGE_TRADE_RATIO] = !isfinite(qv) ? NAN : qv > 0 ? bar->large_quote / qv : 0.0;
    } else {
        out[F_LARGE_TRADE_RATIO] = NAN;
    }

    /* 24h range position: monotone deques of bar numbers */
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

    /* side observations, after the bar (a close available now matches this bar) */
    for (size_t i = 0; i < nobs; i++)
        apply_obs(f, &obs[i]);
    funding_window(f, close_ms);
    f->oi_asof[j] = f->oi;
    f->res_asof[j] = f->ser[CPE_FSER_EXCHANGE_RESERVES];
    f->dom_asof[j] = f->ser[CPE_FSER_BTC_DOMINANCE];
    f->ratio_asof[j] = f->ratio;
    f->basis_asof[j] = f->basis;

    out[F_FUNDING_RATE] = f->funding;
    out[F_FUNDING_ZSCORE] = f->fund_z;
    out[F_OI_CHANGE_1H] =
        f->oi_interval_ms <= MS_HOUR ? asof_change(f, f->oi_asof, t, f->k1h, 1) : NAN;
    out[F_OI_CHANGE_24H] =
        f->oi_interval_ms <= 24 * MS_HOUR ? asof_change(f, f->oi_asof, t, f->k24h, 1) : NAN;
    out[F_LONG_SHORT_RATIO] = f->lsr;
    out[F_BASIS_ANNUALIZED] = f->basis;
    out[F_BID_ASK_IMBALANCE] = imbalance(f->book[1], f->book[4]);
    out[F_BOOK_SLOPE_05] = imbalance(f->book[0], f->book[3]);
    out[F_BOOK_SLOPE_1] = imbalance(f->book[1], f->book[4]);
    out[F_BOOK_SLOPE_2] = imbalance(f->book[2], f->book[5]);

    /* exchange netflow: reserve difference, else the netflow sum over the window */
    const uint64_t nf_win[2] = {f->k1h, f->k24h};
    static const int64_t nf_ms[2] = {MS_HOUR, 24 * MS_HOUR};
    wsum_t *nfs[2] = {&f->nf1h, &f->nf24h};
    for (int w = 0; w < 2; w++) {
        int64_t wms = nf_ms[w];
        double val = NAN;
        if ((f->series_seen >> CPE_FSER_EXCHANGE_RESERVES & 1) &&
            f->ser_interval_ms[CPE_FSER_EXCHANGE_RESERVES] <= wms) {
            val = asof_change(f, f->res_asof, t, nf_win[w], 0);
        } else if ((f->series_seen >> CPE_FSER_EXCHANGE_NETFLOW & 1) &&
                   f->ser_interval_ms[CPE_FSER_EXCHANGE_NETFLOW] <= wms) {
            wsum_expire(f, nfs[w], close_ms - wms);
            val = nfs[w]->sum;
        }
        out[F_NETFLOW_1H + w] = val;
    }
    out[F_WHALE_TX] = f->ser[CPE_FSER_WHALE_TRANSACTIONS];
    out[F_MINER_OUTFLOW] = f->ser[CPE_FSER_MINER_OUTFLOW];
    out[F_STABLECOIN_CHANGE] = f->ser[CPE_FSER_STABLECOIN_SUPPLY_CHANGE];
    out[F_NVT] = f->ser[CPE_FSER_NVT_SIGNAL];

    out[F_ETH_BTC_RATIO] = f->ratio;
    out[F_ETH_BTC_RETURN_24H] = asof_change(f, f->ratio_asof, t, f->k24h, 1);
    out[F_ETH_BTC_RETURN_1H] = asof_change(f, f->ratio_asof, t, f->k1h, 1);
    out[F_BTC_DOMINANCE] = f->ser[CPE_FSER_BTC_DOMINANCE];
    out[F_BTC_DOMINANCE_CHANGE] = asof_change(f, f->dom_asof, t, f->k24h, 0);
    out[F_SP500_CORR] = f->corr[0].value;
    out[F_GOLD_CORR] = f->corr[1].value;
    out[F_DXY_INVERSE] = f->corr[2].value;

    out[F_FEAR_GREED] = f->ser[CPE_FSER_FEAR_GREED];
    out[F_SOCIAL_VOLUME] = f->ser[CPE_FSER_SOCIAL_VOLUME];
    out[F_GOOGLE_TRENDS] = f->ser[CPE_FSER_GOOGLE_TRENDS];
    if (f->fund_src_seen) {
        double s = 0;
        int n = 0;
        for (int i = 0; i < CPE_FUNDING_SRC_MAX; i++)
            if (f->fund_src_seen >> i & 1) {
                s += f->fund_src[i];
                n++;
            }
        out[F_FUNDING_SENTIMENT] = s / n;
    } else {
        out[F_FUNDING_SENTIMENT] = NAN;
    }

    /* time of the bar open (UTC) */
    int64_t sec = bar->ts_ms / 1000;
    int hour = (int)((sec / 3600) % 24);
    if (hour < 0) hour += 24;
    int dow = (int)((day % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday (3 with Monday = 0) */
    out[F_HOUR_OF_DAY] = hour;
    out[F_DAY_OF_WEEK] = dow;
    out[F_HOUR_SIN] = f->hour_sin[hour];
    out[F_HOUR_COS] = f->hour_cos[hour];
    const int64_t fund_ms = 8 * 3600000LL; /* settlements at 00/08/16 UTC */
    const int64_t to_funding_min = ((fund_ms - close_ms % fund_ms) % fund_ms) / 60000;
    out[F_MINUTES_TO_FUNDING] = (double)to_funding_min;
    out[F_FUNDING_CHANGE] = f->funding - f->funding_prev; /* NaN until two settlements */
    out[F_BASIS_CHANGE_1H] = asof_change(f, f->basis_asof, t, f->k1h, 0);
    out[F_CVD_1H_Z_7D] = cpe_hourly_norm_push(&f->cvd_norm, out[F_CVD_1H], close_ms);
    if (!f->fine)
        for (size_t i = 0; i < sizeof per_minute_cols / sizeof *per_minute_cols; i++)
            out[per_minute_cols[i]] = NAN;
    return 0;
}
