/*
 * drift.h — the model drift score: how far the live feature distribution has moved from
 * the one the model was trained on, as a population stability index (PSI).
 *
 * Model. At training, the k features that carry the most weight (CPE_DRIFT_K, ranked by
 * the caller's importance: the trainer uses the mean |TreeSHAP| of the classifiers, see
 * engine/trainer.c) each get their training deciles: 9 edges cutting the non-missing
 * training values into 10 bins, and the share of training rows in each bin (computed with
 * the same binning, so ties on a discrete feature leave some bins empty rather than
 * misplaced). This is the reference (cpe_drift_ref_t), stored in the model's metadata.
 *
 * Live, each closed minute's feature values enter a ring of the last CPE_DRIFT_RING
 * minutes (24 h) as bin indices; the per-bin counts are kept incrementally (the minute
 * leaving the ring is subtracted), so a score costs O(k * bins) whatever the ring size.
 *
 * PSI of one feature = sum over bins of (p_live - p_train) * ln(p_live / p_train), both
 * shares floored at CPE_DRIFT_FLOOR so an empty bin gives a large but finite term.
 * Identical distributions give 0; the usual reading is < 0.1 stable, 0.1..0.25 moderate,
 * > 0.25 a shift. The score of a model is the MEAN over the k features that have at least
 * CPE_DRIFT_MIN_ROWS non-missing live values: a max over k PSIs of 24 h of strongly
 * autocorrelated minute features is dominated by whichever one is noisiest, while the mean
 * moves when the inputs as a whole move; the worst feature is reported next to it.
 * Missing values (NaN) are left out of both sides.
 *
 * One ring code for every clock. cpe_drift_track_t is the ring of one model fed rows of a
 * named feature vector: the live predictor pushes each closed minute's streamed features
 * (engine/livepred.c), a replay and `cpe drift` push the batch features of each stored
 * minute (bit for bit the streamed ones, features_batch.c), so a replayed minute scores as
 * the live one did.
 *
 * Saved state. cpe_drift_state_json() writes the ring (oldest minute first, one digit per
 * feature and minute, '-' for missing) with the model version and the reference's feature
 * names; cpe_drift_state_parse() restores it only for the same version and features, and
 * recounts the bins from the ring, so counts can never disagree with it:
 *
 *   {"format": 1, "model_version": "BTCUSDT-...", "features": ["rv_1h", ...],
 *    "last_ts_ms": ms, "ring": "0391-..."}          n minutes x k characters
 */
#ifndef CPE_DRIFT_H
#define CPE_DRIFT_H

#include "cpe/buf.h"
#include "cpe/error.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_DRIFT_K 10
#define CPE_DRIFT_BINS 10
#define CPE_DRIFT_RING 1440
#define CPE_DRIFT_MIN_ROWS 60
#define CPE_DRIFT_FLOOR 1e-4

typedef struct cpe_drift_feat {
    char name[64];
    double importance;
    double edges[CPE_DRIFT_BINS - 1]; /* ascending; bin b holds edges[b-1] <= x < edges[b] */
    double share[CPE_DRIFT_BINS];     /* training rows per bin (sums to 1) */
} cpe_drift_feat_t;

typedef struct cpe_drift_ref {
    int k; /* 0: the model has no reference (trained before drift existed): no score */
    cpe_drift_feat_t f[CPE_DRIFT_K];
} cpe_drift_ref_t;

/* The reference from rows[nrows] of the row-major X (ncol columns named names), on the
 * top-k columns by importance[ncol] (ties: the lower column). Columns with fewer than 10
 * non-missing values, or importance 0, are skipped. 0, or CPE_ENOMEM. */
int cpe_drift_ref_fit(cpe_drift_ref_t *ref, const double *X, size_t ncol, const char *const *names,
                      const size_t *rows, size_t nrows, const double *importance, cpe_diag_t *d);

/* The bin of x for feature f (0..CPE_DRIFT_BINS-1), or -1 when x is NaN. */
int cpe_drift_bin(const cpe_drift_feat_t *f, double x);

/* PSI of two share vectors of nb bins, each share floored at CPE_DRIFT_FLOOR. */
double cpe_drift_psi(const double *p_live, const double *p_train, int nb);

typedef struct cpe_drift_live {
    uint8_t ring[CPE_DRIFT_RING][CPE_DRIFT_K]; /* bin per minute and feature, 255 = missing */
    int head, n;                               /* next slot; minutes held */
    int count[CPE_DRIFT_K][CPE_DRIFT_BINS];
    int valid[CPE_DRIFT_K];
} cpe_drift_live_t;

void cpe_drift_live_reset(cpe_drift_live_t *l);
/* One closed minute: x[ref->k] in the reference's feature order (NaN = missing). */
void cpe_drift_live_push(cpe_drift_live_t *l, const cpe_drift_ref_t *ref, const double *x);
/* The score (mean PSI), its worst feature's index into ref->f and PSI. CPE_ENOTFOUND when
 * no feature has CPE_DRIFT_MIN_ROWS live values yet (or the reference is empty). */
int cpe_drift_live_score(const cpe_drift_live_t *l, const cpe_drift_ref_t *ref, double *score,
                         int *worst, double *worst_psi);

/* The ring of one model over rows of a named feature vector (see the top comment). */
typedef struct cpe_drift_track {
    cpe_drift_live_t live;
    int col[CPE_DRIFT_K]; /* the reference's features among the rows' columns (-1 absent) */
    double score;         /* mean PSI; NaN: none yet */
    int worst;            /* index into ref->f (-1 none) */
    double worst_psi;
    int64_t last_ts_ms; /* open time of the newest minute pushed (INT64_MIN: none) */
} cpe_drift_track_t;

/* An empty ring for ref over rows whose columns are names[ncol]. */
void cpe_drift_track_init(cpe_drift_track_t *t, const cpe_drift_ref_t *ref,
                          const char *const *names, size_t ncol);
/* One minute (open time ts_ms, its feature row[ncol]) into the ring; the score after it. */
void cpe_drift_track_push(cpe_drift_track_t *t, const cpe_drift_ref_t *ref, int64_t ts_ms,
                          const double *row);

/* The ring as the JSON above (0, or CPE_ENOMEM / CPE_ETOOBIG from the buffer). */
int cpe_drift_state_json(const cpe_drift_track_t *t, const cpe_drift_ref_t *ref,
                         const char *model_version, cpe_buf_t *out);
/* Restore a ring saved by cpe_drift_state_json into t (already cpe_drift_track_init'ed for
 * ref: its columns are kept) and score it. CPE_EPARSE (d names what is wrong) when the
 * text is not such a state; CPE_ENOTFOUND when it is another model's or other features'
 * (t unchanged in both cases). */
int cpe_drift_state_parse(cpe_drift_track_t *t, const cpe_drift_ref_t *ref,
                          const char *model_version, const char *text, size_t len, cpe_diag_t *d);

#endif
