/*
 * aci.h — adaptive conformal inference (Gibbs & Candes 2021) for the cone's bands:
 * online recalibration that keeps the long-run miss rate of each band at its target
 * under any drift, using only outcomes that are known (as-of).
 *
 * Per horizon index k < CPE_ACI_MAX_H and band b (0: the 1-sigma band, target miss
 * 2 (1 - Phi(1)) = 0.3173; 1: the 2-sigma band, target 2 (1 - Phi(2)) = 0.0455) the state
 * holds alpha[k][b], the miscoverage level the caller should build its next band with
 * (e.g. half-width = sigma * Phi^-1(1 - alpha/2)). Each resolved outcome updates it:
 *
 *     alpha <- clamp(alpha + gamma_b (target - miss), 1e-4, 0.999)
 *
 * with gamma_b = gamma * target_b / target_0: the 2-sigma band steps 0.0455/0.3173 as far
 * as the 1-sigma band per outcome (one gamma for both let a handful of misses drive the
 * 2-sigma level to the clamp: measured in the walk-forward, docs/MODELS_VOLATILITY.md 11).
 *
 * miss = 1 when the outcome fell outside the band issued with it. Over T outcomes the
 * miss rate is within (1 + gamma) / (gamma T) of the target whatever the data do, as long
 * as the clamp is not hit; gamma (default 0.005) trades speed for jitter. Caveat: with
 * overlapping outcomes (a prediction every minute for H minutes ahead) alpha reacts to
 * news H updates old, overshoots into the clamps and misses the targets by far at 4-24 h
 * (docs/MODELS_VOLATILITY.md section 10: feed non-overlapping outcomes or a smaller gamma).
 *
 * As-of: outcomes arrive late. The caller pushes each issued prediction
 * (k, ts_ms, label_end_ms, ln close at issue, band edges lo[b], hi[b] in LOG-RETURN units
 * relative to that close) and later calls cpe_aci_observe(a, t_ms, ln_close) whenever a
 * price becomes known. Every pending item of every horizon with label_end_ms <= t_ms is
 * then resolved with y = ln_close - ln_close_at_issue: the first observation at or after
 * the label end settles it, so when no bar exists exactly at label end (a gap) the next
 * known price stands in. Nothing is resolved before its label end, so alpha never uses
 * an outcome that was unknown at the time.
 *
 * Pending items are a ring per horizon of `capacity` items (24 h of 1m predictions at
 * the 24 h horizon = 1441), resolved in label-end order: a push whose label end is
 * earlier than the previous push's for the same horizon is refused. When the ring is
 * full the oldest item is dropped (and counted in `dropped`), never resolved.
 *
 * Coverage for reporting: per horizon, hourly buckets keyed by the hour of label_end
 * (floor(label_end_ms / 1 h)) in a ring of 720 (30 days); each holds the number of
 * outcomes and the hits (outcome inside the band) per band. cpe_aci_coverage sums the
 * buckets of the `days` days up to and including the hour of now_ms.
 *
 *     cpe_aci_t
 *       gamma, capacity
 *       h[k]: band[b] {target, alpha0, alpha, updates, misses}
 *             ring of pending {ts_ms, label_end_ms, ln_close, lo[2], hi[2]}, dropped
 *             hour[720], n[720], hits[b][720]
 *
 * Serialization: cpe_aci_to_json writes the whole state (parameters, alphas, counts,
 * pending items, non-empty buckets) with shortest round-trip numbers, and
 * cpe_aci_from_json (jansson, aci_json.c) restores it exactly: a state saved, loaded and
 * continued equals the state continued without saving, bit for bit.
 *
 * Ownership: the caller owns cpe_aci_t; cpe_aci_init (or cpe_aci_from_json) allocates the
 * rings, cpe_aci_free releases them (NULL and zeroed structs are no-ops). No I/O, no
 * clocks (times come in as arguments), no globals. Not thread-safe: one owner thread,
 * or a lock around every call.
 */
#ifndef CPE_ACI_H
#define CPE_ACI_H

#include "cpe/buf.h"
#include "cpe/error.h"
#include "cpe/modelset.h"
#include "cpe/prediction.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_ACI_MAX_H CPE_MS_MAX_H
#define CPE_ACI_BANDS 2
#define CPE_ACI_HOURS 720 /* 30 days of hourly coverage buckets */
#define CPE_ACI_ALPHA_MIN 1e-4
#define CPE_ACI_ALPHA_MAX 0.999

typedef struct cpe_aci_opts {
    double gamma;                 /* step, > 0 and <= 0.5; default 0.005 */
    double alpha0[CPE_ACI_BANDS]; /* starting alpha; NaN (default) = the target */
    size_t capacity;              /* pending items per horizon; default 1441 */
} cpe_aci_opts_t;

typedef struct cpe_aci_pending {
    int64_t ts_ms, label_end_ms;
    double ln_close;
    double lo[CPE_ACI_BANDS], hi[CPE_ACI_BANDS];
} cpe_aci_pending_t;

typedef struct cpe_aci_band {
    double target, alpha0, alpha;
    uint64_t updates, misses;
} cpe_aci_band_t;

typedef struct cpe_aci_horizon {
    cpe_aci_band_t band[CPE_ACI_BANDS];
    cpe_aci_pending_t *ring; /* capacity items; head = oldest */
    size_t head, len;
    uint64_t dropped;
    int64_t last_label_end_ms;   /* of the newest push; INT64_MIN before the first */
    int64_t hour[CPE_ACI_HOURS]; /* hour the bucket holds; INT64_MIN = empty */
    uint32_t n[CPE_ACI_HOURS];
    uint32_t hits[CPE_ACI_BANDS][CPE_ACI_HOURS];
} cpe_aci_horizon_t;

typedef struct cpe_aci {
    double gamma;
    size_t capacity;
    cpe_aci_horizon_t h[CPE_ACI_MAX_H];
} cpe_aci_t;

void cpe_aci_opts_default(cpe_aci_opts_t *o);
/* 0, CPE_EINVAL (gamma, alpha0 outside [1e-4, 0.999], capacity 0 or > 100,000), CPE_ENOMEM. */
int cpe_aci_init(cpe_aci_t *a, const cpe_aci_opts_t *o, cpe_diag_t *d);
void cpe_aci_free(cpe_aci_t *a);

/* Queue a prediction of horizon k. lo/hi: the bands' edges in log-return units
 * (lo <= hi, finite). CPE_EINVAL for a bad k, edges, ln_close, label_end_ms < ts_ms or
 * a label end earlier than the previous push's for k. */
int cpe_aci_push(cpe_aci_t *a, int k, int64_t ts_ms, int64_t label_end_ms, double ln_close,
                 const double lo[CPE_ACI_BANDS], const double hi[CPE_ACI_BANDS], cpe_diag_t *d);

/* Offer the bands of a prediction of horizon k (horizon_h hours, made at the close
 * t_close_ms of the bar opened at ts_ms): it is pushed only when its label end is at least
 * horizon_h / 12 hours after the previous push's, so each horizon feeds about 12 outcomes
 * per horizon length whatever the prediction cadence (overlapping outcomes make one gamma
 * overshoot: see above); the walk-forward and the live pipeline use this one rule, so a
 * replay feeds the same outcomes. Returns 1 when pushed, 0 when skipped or refused. */
int cpe_aci_offer(cpe_aci_t *a, int k, int horizon_h, int64_t ts_ms, int64_t t_close_ms,
                  const cpe_prediction_t *p);

/* A price known at t_ms: resolve every pending item with label_end_ms <= t_ms.
 * 0, or CPE_EINVAL when ln_close is not finite (nothing is resolved). */
int cpe_aci_observe(cpe_aci_t *a, int64_t t_ms, double ln_close);

/* Hit rate of band b of horizon k over the `days` (1..30) days ending with the hour of
 * now_ms: *cov = hits / n (NaN when n = 0), *n outcomes. 0 or CPE_EINVAL. */
int cpe_aci_coverage(const cpe_aci_t *a, int k, int b, int64_t now_ms, int days, double *cov,
                     uint64_t *n);

/* The whole state as one JSON object appended to out. 0 or CPE_ETOOBIG (buffer cap). */
int cpe_aci_to_json(const cpe_aci_t *a, cpe_buf_t *out);
/* Initialise `a` (not already initialised) from cpe_aci_to_json text. 0, CPE_EPARSE
 * (not JSON), CPE_EINVAL (a field missing or out of range; d names it), CPE_ENOMEM.
 * On failure `a` is left zeroed. */
int cpe_aci_from_json(cpe_aci_t *a, const char *text, size_t len, cpe_diag_t *d);

#endif
