/* features_int.h — the feature column order shared by the table and the engine. */
#ifndef CPE_FEATURES_INT_H
#define CPE_FEATURES_INT_H

/* Column indices: the table in features_table.c is written in this order. */
enum {
    /* 8.1 price */
    F_RETURNS_5M,
    F_RETURNS_15M,
    F_RETURNS_1H,
    F_RETURNS_4H,
    F_RETURNS_24H,
    F_VOLATILITY_1H,
    F_VOLATILITY_24H,
    F_HIGH_LOW_RANGE,
    F_CLOSE_POSITION,
    /* 8.2 technical */
    F_RSI_14,
    F_RSI_7,
    F_MACD_SIGNAL,
    F_BB_POSITION,
    F_EMA_CROSS,
    F_VWAP_DEVIATION,
    /* 8.3 microstructure */
    F_TRADE_FLOW_IMBALANCE,
    F_CVD_5M,
    F_CVD_1H,
    F_LARGE_TRADE_RATIO,
    F_BID_ASK_IMBALANCE,
    F_BOOK_SLOPE_05,
    F_BOOK_SLOPE_1,
    F_BOOK_SLOPE_2,
    /* 8.4 derivatives */
    F_FUNDING_RATE,
    F_FUNDING_ZSCORE,
    F_OI_CHANGE_1H,
    F_OI_CHANGE_24H,
    F_LONG_SHORT_RATIO,
    F_BASIS_ANNUALIZED,
    F_LIQ_IMBALANCE_1H,
    /* 8.5 on-chain */
    F_NETFLOW_1H,
    F_NETFLOW_24H,
    F_WHALE_TX,
    F_MINER_OUTFLOW,
    F_STABLECOIN_CHANGE,
    F_NVT,
    /* 8.6 cross-asset */
    F_ETH_BTC_RATIO,
    F_ETH_BTC_RETURN_24H,
    F_BTC_DOMINANCE,
    F_BTC_DOMINANCE_CHANGE,
    F_SP500_CORR,
    F_GOLD_CORR,
    F_DXY_INVERSE,
    /* 8.7 sentiment */
    F_FEAR_GREED,
    F_SOCIAL_VOLUME,
    F_GOOGLE_TRENDS,
    F_FUNDING_SENTIMENT,
    /* extras (documented in docs/FEATURES.md) */
    F_RETURNS_1M,
    F_ATR_14,
    F_VOLUME_RATIO_1H,
    F_RANGE_POSITION_24H,
    F_HOUR_OF_DAY,
    F_DAY_OF_WEEK,
    F_HOUR_SIN,
    F_HOUR_COS,
    /* realized measures (features_realized.c) and the forecasts issue's extras */
    F_REALIZED_VAR_1H,
    F_REALIZED_VAR_4H,
    F_REALIZED_VAR_8H,
    F_REALIZED_VAR_24H,
    F_REALIZED_VAR_7D,
    F_BIPOWER_VAR_24H,
    F_SEMIVAR_DOWN_24H,
    F_VOLUME_1H_VS_7D,
    F_VOLUME_24H_VS_7D,
    F_ETH_BTC_RETURN_1H,
    F_MINUTES_TO_FUNDING,
    F_FUNDING_CHANGE,
    F_BASIS_CHANGE_1H,
    F_CVD_1H_Z_7D,
    F_COUNT
};

/* Realized-measure state (features_realized.c), embedded in the feature engine. */
#include <stdint.h>
#define CPE_RV_RING 16384u /* > 10080: the 7-day window of 1m returns */
#define CPE_RV_NWIN 5      /* 1 h, 4 h, 8 h, 24 h, 7 d */
typedef struct cpe_realized {
    double r[CPE_RV_RING], v[CPE_RV_RING]; /* returns and volumes by index & mask */
    uint64_t n, nv;                        /* returns and volumes pushed */
    double s2[CPE_RV_NWIN], bp, neg, sv[3];
    uint64_t vwin[3]; /* volume windows in bars: 1 h, 24 h, 7 d (0 = not a whole number) */
} cpe_realized_t;

/* bar_ms: the engine's bar length. The realized variances need 1m returns (the engine
 * pushes NaN returns for coarser bars: those columns stay NaN); the volume windows count
 * window / bar_ms bars, NaN when the bar does not divide the window. */
void cpe_realized_reset(cpe_realized_t *s, int64_t bar_ms);
/* One bar: its 1m log return r1 (NaN for the first bar) and volume; writes the realized
 * columns of out. */
void cpe_realized_push(cpe_realized_t *s, double r1, double volume, double *out);

/* A value against its norm over the last CPE_NORM_HOURS hour closes (features_norm.c):
 * the taker-flow surprise cvd_1h_z_7d. */
#define CPE_NORM_HOURS 168    /* 7 days of hour-close samples */
#define CPE_NORM_MIN_HOURS 24 /* samples before a z-score exists */
typedef struct cpe_hourly_norm {
    double h[CPE_NORM_HOURS]; /* samples, ring index = n % CPE_NORM_HOURS */
    uint32_t n;               /* samples ever taken */
    int64_t last_ms;          /* close time of the last sample */
    double m, sd;             /* mean and sd of the samples (NaN until enough) */
} cpe_hourly_norm_t;

void cpe_hourly_norm_reset(cpe_hourly_norm_t *s);
/* z of v (NaN when v is not finite or no norm exists yet) against the samples before this
 * bar; then, when the bar closes on the hour, v becomes a sample. */
double cpe_hourly_norm_push(cpe_hourly_norm_t *s, double v, int64_t close_ms);

#endif
