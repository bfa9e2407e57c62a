/*
 * prediction.h — the prediction record: what the model said at a bar's close for one
 * horizon. This is the contract of ../shared/spec/features.md ("Prediction record") plus
 * the cone path, flags and the model version. It is what the store keeps per (symbol,
 * horizon, ts), what /predict returns (spec 5.1) and what `cpe evaluate --out` writes.
 *
 * Quantiles are of the PRICE at ts_close + k hours: p023/p977 are the 2-sigma edges,
 * p159/p841 the 1-sigma edges, p500 the median. expected_move is the expected log return
 * over the horizon and volatility the predicted std of that log return (not annualised).
 */
#ifndef CPE_PREDICTION_H
#define CPE_PREDICTION_H

#include <stdint.h>

#define CPE_CONE_MAX_STEPS 24

typedef struct cpe_cone_point {
    int64_t t_ms; /* time of this step (bar close + k hours) */
    double p023, p159, p500, p841, p977;
} cpe_cone_point_t;

typedef struct cpe_prediction {
    int64_t ts_ms;   /* open time of the bar at whose close it was made */
    char symbol[32]; /* "BTCUSDT" */
    int horizon_h;   /* 1, 4, 8, 24 */
    double close;    /* that bar's close */
    double p_up;     /* calibrated P(y_move > 0) */
    double expected_move;
    double volatility;
    double p023, p159, p500, p841, p977;
    char regime[16];    /* "low-vol","normal","high-vol","trending-up","trending-down","panic" */
    char confidence[8]; /* "low","medium","high" */
    char model_version[48];
    int stale;        /* inputs older than the staleness limits */
    int vol_fallback; /* the volatility came from EWMA because GARCH failed */
    int n_cone;       /* cone[0] is the start (t = close time, all = close), 1..horizon_h */
    cpe_cone_point_t cone[CPE_CONE_MAX_STEPS + 1];
} cpe_prediction_t;

#endif
