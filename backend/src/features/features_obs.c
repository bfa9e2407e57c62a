/* features_obs.c — side observations (funding, OI, long/short ratio, book, the other market's
 * close, the cross asset, named series) folded into the state as they become available, and
 * the columns read from them: derivatives, on-chain, cross-asset and sentiment
 * (steps of cpe_features_push, state in features_state.h). */
#include "features_state.h"

#include <math.h>
#include <string.h>

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

/* ---- side observations ----------------------------------------------------------------- */

int cpe_feat_obs_valid(const cpe_feature_obs_t *o, int64_t close_ms)
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

static double asof_change(const cpe_features_t *f, const double *ring, uint64_t t, uint64_t k,
                          int log_ratio)
{
    if (!k || f->nbars <= k) return NAN;
    double a = ring[t & MASK], b = ring[(t - k) & MASK];
    if (log_ratio) return a > 0 && b > 0 ? log(a / b) : NAN;
    return a - b; /* NaN propagates */
}

void cpe_feat_observe(cpe_features_t *f, const cpe_feature_obs_t *obs, size_t nobs, uint64_t t,
                      int64_t close_ms)
{
    const unsigned j = t & MASK;
    for (size_t i = 0; i < nobs; i++)
        apply_obs(f, &obs[i]);
    funding_window(f, close_ms);
    f->oi_asof[j] = f->oi;
    f->res_asof[j] = f->ser[CPE_FSER_EXCHANGE_RESERVES];
    f->dom_asof[j] = f->ser[CPE_FSER_BTC_DOMINANCE];
    f->ratio_asof[j] = f->ratio;
    f->basis_asof[j] = f->basis;
}

void cpe_feat_side(cpe_features_t *f, uint64_t t, int64_t close_ms, double *out)
{
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
    out[F_BASIS_CHANGE_1H] = asof_change(f, f->basis_asof, t, f->k1h, 0);
}
