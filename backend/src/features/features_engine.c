/* features_engine.c — the streaming state's lifecycle and push(): one bar checked, stored in
 * the rings and handed to the steps that compute the columns, every feature in O(1) per bar
 * (model and contract in cpe/features.h and shared/spec/features.md; the state and the
 * order of the steps in features_state.h). */
#include "features_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void wilder_init(wilder_t *w, int n)
{
    memset(w, 0, sizeof *w);
    w->n = n;
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

/* ---- push ------------------------------------------------------------------------------ */

/* The calendar columns: time of the bar open (UTC) and the time to the next funding. */
static void calendar(const cpe_features_t *f, const cpe_bar_t *bar, int64_t close_ms, double *out)
{
    int64_t day = cpe_feat_day(bar->ts_ms);
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
        if (!cpe_feat_obs_valid(&obs[i], close_ms)) return CPE_EINVAL;

    const uint64_t t = f->nbars++;
    const unsigned j = t & MASK;
    f->last_ts = bar->ts_ms;
    f->seen |= CPE_FSRC_KLINE;

    /* rings */
    f->c[j] = c;
    f->h[j] = hi;
    f->l[j] = lo;
    f->cts[j] = close_ms;

    cpe_feat_price(f, bar, t, out);
    cpe_feat_technical(f, bar, t, out);
    cpe_feat_flow(f, bar, t, out);
    cpe_feat_range24h(f, bar, t, out);
    /* side observations, after the bar (a close available now matches this bar) */
    cpe_feat_observe(f, obs, nobs, t, close_ms);
    cpe_feat_side(f, t, close_ms, out);
    calendar(f, bar, close_ms, out);
    out[F_CVD_1H_Z_7D] = cpe_hourly_norm_push(&f->cvd_norm, out[F_CVD_1H], close_ms);
    if (!f->fine)
        for (size_t i = 0; i < sizeof per_minute_cols / sizeof *per_minute_cols; i++)
            out[per_minute_cols[i]] = NAN;
    return 0;
}
