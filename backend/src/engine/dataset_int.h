/* dataset_int.h — what the feature-matrix files share (cpe/dataset.h is the interface):
 *   dataset.c       the main series, the bars, the batch matrix (cpe_dataset_build)
 *   dataset_side.c  the side series as availability-stamped observations; liquidations and
 *                   large trades attached to the bars
 *   livefeat.c      the same inputs streamed one closed bar at a time (cpe/livefeat.h)
 * The batch and the stream read their inputs through these functions only, so both feed
 * the feature engine the same bars and observations.
 */
#ifndef CPE_ENGINE_DATASET_INT_H
#define CPE_ENGINE_DATASET_INT_H

#include "cpe/dataset.h"

#define MS_MIN 60000LL
#define MS_HOUR 3600000LL
#define MS_DAY 86400000LL
#define COARSE_MIN_FINE_MS (30LL * MS_DAY) /* real 1m history that beats a coarse series */
#define SIDE_LOOKBACK_MS (31LL * MS_DAY)   /* side points read before the first bar */
#define DS_MAX_SOURCES 64

/* One side series that gave observations: read again by id over any window. */
typedef struct ds_source {
    int64_t id;
    int closes; /* a kline series (its closes) rather than points */
    int okind, src, vcol;
    int64_t avail_add_ms, interval_ms;
} ds_source_t;

/* The side series a build chose (the fallbacks taken, e.g. daily OI when the perp has no
 * samples): what a stream reads afterwards. */
typedef struct ds_plan {
    ds_source_t s[DS_MAX_SOURCES];
    int n;
} ds_plan_t;

typedef struct obsbuf {
    cpe_feature_obs_t *o;
    size_t n, cap;
    ds_plan_t *plan; /* when set, each series that gives observations is recorded */
} obsbuf_t;

/* Does (instr, kind) exist with at least one row (its info then in *info)? */
int ds_exists(cpe_store_t *st, const char *instr, const char *kind, cpe_series_info_t *info);
/* The main instrument of `what` over [from, to) by the rule of dataset.h. */
int ds_resolve(cpe_store_t *st, const char *what, int64_t from, int64_t to, cpe_instrument_t *in,
               cpe_series_info_t *si, cpe_diag_t *d);
/* Bars of bar_ms (1m, or a coarse history: dataset.h) from klines kl[n] with liquidations
 * and large trades attached (*out malloc'd). */
int ds_bars(cpe_store_t *st, const cpe_instrument_t *in, const char *instrument,
            const cpe_kline_t *kl, size_t n, int64_t bar_ms, cpe_bar_t **out);
/* Every side series' observations for bars in [from, to): available from from -
 * SIDE_LOOKBACK_MS on. */
int ds_gather_obs(cpe_store_t *st, const cpe_instrument_t *in, int64_t from, int64_t to,
                  obsbuf_t *ob);
/* The plan's series' observations available in [lo, hi). */
int ds_read_plan(cpe_store_t *st, const ds_plan_t *plan, int64_t lo, int64_t hi, obsbuf_t *ob);
/* qsort order of observations: availability, then a content-defined tie-break. */
int ds_by_avail(const void *a, const void *b);
/* The feature engine's configuration for the main instrument's bars of bar_ms. */
void ds_features_config(const cpe_instrument_t *in, int64_t bar_ms, cpe_features_config_t *cfg);

#endif
