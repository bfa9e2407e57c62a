/* features_state.h — the feature engine's streaming state, shared by the files that advance it.
 *
 * cpe_features_push() (features_engine.c) checks the bar and its observations, stores the bar
 * in the rings, then calls one step per group, in this order (each writes its columns of out):
 *
 *   cpe_feat_price      returns, volatility, bar range           features_price.c
 *   cpe_feat_technical  RSI, ATR, EMAs/MACD, Bollinger, VWAP      features_price.c
 *   cpe_feat_flow       taker flow, CVD, volume ratio, liqs        features_flow.c
 *   cpe_feat_range24h   24h range position (monotone deques)      features_price.c
 *   cpe_feat_observe    side observations into the state          features_obs.c
 *   cpe_feat_side       derivatives, on-chain, cross-asset, sentiment columns   features_obs.c
 *
 * and last the calendar columns. Bar t is bar number t (f->nbars was already advanced past
 * it); every ring is indexed by bar number & MASK (SMASK for the short rings). Only the
 * feature engine's own files include this header; one state belongs to one thread. */
#ifndef CPE_FEATURES_STATE_H
#define CPE_FEATURES_STATE_H

#include "cpe/features.h"
#include "features_int.h"

#include <stddef.h>
#include <stdint.h>

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

/* The steps of cpe_features_push, in the order it calls them (see the top comment). */
void cpe_feat_price(cpe_features_t *f, const cpe_bar_t *bar, uint64_t t, double *out);
void cpe_feat_technical(cpe_features_t *f, const cpe_bar_t *bar, uint64_t t, double *out);
void cpe_feat_flow(cpe_features_t *f, const cpe_bar_t *bar, uint64_t t, double *out);
void cpe_feat_range24h(cpe_features_t *f, const cpe_bar_t *bar, uint64_t t, double *out);
/* 1 when an observation may be pushed with a bar closing at close_ms. */
int cpe_feat_obs_valid(const cpe_feature_obs_t *o, int64_t close_ms);
void cpe_feat_observe(cpe_features_t *f, const cpe_feature_obs_t *obs, size_t nobs, uint64_t t,
                      int64_t close_ms);
void cpe_feat_side(cpe_features_t *f, uint64_t t, int64_t close_ms, double *out);

/* The UTC day number of a time (floor division: days before 1970 are negative). */
static inline int64_t cpe_feat_day(int64_t ts_ms)
{
    return ts_ms >= 0 ? ts_ms / 86400000 : -((-ts_ms + 86399999) / 86400000);
}

#endif
