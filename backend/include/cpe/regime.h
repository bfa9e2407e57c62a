/*
 * regime.h — market regime tags, their cone adjustments (spec 11.2), an ML refinement of
 * the tags, and the extreme-volatility check of spec 17.2.
 *
 * Inputs per bar are four numbers of the feature contract (features.md):
 *     vol_1h  = volatility_1h  (std of the 12 5m log returns of the last hour)
 *     vol_24h = volatility_24h (std of the 24 1h log returns of the last day)
 *     ret_4h  = returns_4h,  ret_24h = returns_24h
 * from which the rules use vol_24h, the trend score z24 = ret_24h / (vol_24h sqrt 24)
 * (the 24h move in units of its own hourly noise), and ret_4h.
 *
 * Rules (first match wins), thresholds = percentiles of a history (cpe_regime_fit):
 *     panic          ret_4h <= P2.5(ret_4h) and vol_24h >= P80(vol_24h)
 *     trending-up    z24 >= P85(z24)
 *     trending-down  z24 <= P15(z24)
 *     high-vol       vol_24h >= P80(vol_24h)
 *     low-vol        vol_24h <= P20(vol_24h)
 *     normal         otherwise
 * The percentile levels themselves are fields of cpe_regime_levels_t (defaults above).
 *
 * ML refinement (cpe_regime_ml_*): a multinomial logistic regression (softmax, L2) on the
 * standardised feature vector [ln vol_24h, ln vol_1h - ln vol_24h, z24, z4] with z4 =
 * ret_4h / (vol_24h sqrt 4), trained on the rule tags of a history. It learns a smooth,
 * probabilistic version of the rules (so a tag near a threshold gets a probability instead
 * of a hard flip) and, with hysteresis in cpe_regime_ml_smooth, it keeps the previous tag
 * unless another tag is clearly more probable. It adds no information beyond the four
 * features: it refines the rule tags, it does not discover regimes.
 *
 * All state is plain structs of numbers; functions are pure.
 */
#ifndef CPE_REGIME_H
#define CPE_REGIME_H

#include "cpe/error.h"

#include <stddef.h>

typedef enum cpe_regime {
    CPE_REGIME_LOW_VOL = 0,
    CPE_REGIME_NORMAL,
    CPE_REGIME_HIGH_VOL,
    CPE_REGIME_TREND_UP,
    CPE_REGIME_TREND_DOWN,
    CPE_REGIME_PANIC,
    CPE_REGIME_COUNT
} cpe_regime_t;

/* The spec 11.2 table, one row per regime. */
typedef struct cpe_regime_adjust {
    const char *name;   /* "low-vol","normal","high-vol","trending-up","trending-down","panic" */
    double vol_mult;    /* multiplies the cone's deviations and the volatility */
    double drift_sigma; /* added to the expected move, in units of the horizon volatility */
    const char *width;  /* "narrow","standard","wide","very wide" */
} cpe_regime_adjust_t;

const cpe_regime_adjust_t *cpe_regime_adjust(cpe_regime_t r); /* NULL when out of range */
const char *cpe_regime_name(cpe_regime_t r);
/* CPE_REGIME_* for a name, or -1. */
int cpe_regime_from_name(const char *name);

typedef struct cpe_regime_features {
    double vol_1h, vol_24h, ret_4h, ret_24h;
} cpe_regime_features_t;

/* Percentile levels (0..100) the thresholds are taken at. */
typedef struct cpe_regime_levels {
    double vol_low, vol_high;    /* 20, 80 */
    double trend_down, trend_up; /* 15, 85 (of z24) */
    double panic_ret;            /* 2.5 (of ret_4h) */
} cpe_regime_levels_t;

typedef struct cpe_regime_thresholds {
    double vol_low, vol_high;    /* of vol_24h */
    double trend_down, trend_up; /* of z24 */
    double panic_ret;            /* of ret_4h */
    cpe_regime_levels_t levels;
    size_t n; /* rows the percentiles came from */
} cpe_regime_thresholds_t;

void cpe_regime_levels_default(cpe_regime_levels_t *l);
/* Thresholds from the finite rows of x[n] (rows with a NaN/non-positive vol are skipped);
 * lv NULL = defaults. CPE_EDATA when fewer than 100 usable rows. */
int cpe_regime_fit(const cpe_regime_features_t *x, size_t n, const cpe_regime_levels_t *lv,
                   cpe_regime_thresholds_t *out, cpe_diag_t *d);
/* The rule tag; CPE_REGIME_NORMAL when the features are missing (NaN). */
cpe_regime_t cpe_regime_classify(const cpe_regime_thresholds_t *t, const cpe_regime_features_t *f);

#define CPE_REGIME_ML_NF 4 /* features of the ML refinement */

typedef struct cpe_regime_ml {
    double mean[CPE_REGIME_ML_NF], sd[CPE_REGIME_ML_NF]; /* standardisation */
    double w[CPE_REGIME_COUNT][CPE_REGIME_ML_NF + 1];    /* last column = intercept */
    double l2;                                           /* penalty used */
    double train_agreement; /* share of training rows whose argmax equals the rule tag */
    int iterations;
    size_t n;
} cpe_regime_ml_t;

/* Train on the rule tags of x[n] under thresholds t (l2 <= 0: 1e-3). Rows with missing
 * features are skipped; CPE_EDATA when fewer than 100 remain. */
int cpe_regime_ml_train(const cpe_regime_features_t *x, size_t n, const cpe_regime_thresholds_t *t,
                        double l2, cpe_regime_ml_t *out, cpe_diag_t *d);
/* Class probabilities prob[CPE_REGIME_COUNT]; returns the argmax (NORMAL if features missing). */
cpe_regime_t cpe_regime_ml_predict(const cpe_regime_ml_t *m, const cpe_regime_features_t *f,
                                   double *prob);
/* Hysteresis: keep `prev` unless the best class beats prev's probability by `margin`
 * (e.g. 0.2). prev < 0: plain argmax. */
cpe_regime_t cpe_regime_ml_smooth(const double *prob, int prev, double margin);

/* Extreme volatility (spec 17.2): the largest |standardised residual| of the recent window
 * z[n] (returns divided by their conditional sigma). Above `threshold` (5) the cone widens
 * by mult = min(2, max|z| / threshold) and confidence drops one level. */
typedef struct cpe_extreme {
    int flag;
    double max_abs_z;
    double mult;            /* 1.0 when not flagged */
    int confidence_penalty; /* levels to lower confidence by: 0 or 1 */
} cpe_extreme_t;

void cpe_extreme_check(const double *z, size_t n, double threshold, cpe_extreme_t *out);

#endif
