/*
 * livepred.h — live predictions: at the close of a bar, the champion model of a symbol
 * predicts every horizon it has from the store's data up to that bar, and the records
 * (with their explanations) are stored, so /predict, /explain, /predictions and replay
 * read exactly what the model said then. `cpe serve` runs this at every closed 1m bar.
 *
 * As of the bar, nothing later: the features are those cpe_mldata_load_recent(at = the
 * bar's close) computes — kept between closes and advanced by the bars closed since
 * (cpe/livefeat.h), bit for bit the batch over the same bars — so a bar written after it
 * cannot leak in even when the store is ahead (the live pipeline fills history before it
 * goes real-time).
 *
 * Model changes while serving. The registry's champion pointer is read again at most once
 * a minute; a new champion (`cpe train`, `cpe models --promote`) is loaded and used from
 * the next bar on; a failed load keeps the old model and is reported once.
 *
 * Champion/challenger (spec 10.5). When the registry names a challenger with a traffic
 * split, each bar goes to it with that probability, deterministically in the bar time
 * (cpe_ab_route), so a replay routes the same way; the record's model_version says which
 * model made it, and `cpe models --compare` tests the two on their outcomes.
 *
 * Volatility refit (hourly). Once per hour of bar time the GARCH-t parameters are
 * refitted by maximum likelihood on the 1h log returns of the last refit_hours (default
 * 8760) ending at the bar, with the same options as training (modelset.c fit_vol); the
 * fit falls back to EWMA when it fails or does not converge, and the predictions then say
 * vol_fallback. With fewer than CPE_LIVEPRED_MIN_REFIT returns the trained parameters are
 * kept (a GARCH fit on a few days is noise). Status fields say what happened.
 *
 * Online recalibration (aci.h). The t cone's band levels of each horizon follow the
 * outcomes of earlier predictions: at each step the newest bar's close resolves every
 * pending prediction whose label end has passed, the predictor builds its bands at the
 * current levels, and the new predictions are offered (cpe_aci_offer: ~12 per horizon
 * length, the rule the walk-forward replays). The state is saved as JSON in
 * <models>/<SYMBOL>/aci.json (written to a temporary file and renamed, at most every
 * 5 minutes and at close) and loaded at start, so it survives restarts; a missing or
 * unreadable file starts from the fitted levels (and is reported in last_error once).
 *
 * Drift ring (drift.h). Each closed minute the predictor sees enters the champion's drift
 * ring. The ring is saved as <models>/<SYMBOL>/drift.json (durable rename, core/durable.h)
 * with the aci state's cadence and at close, and taken back when the next champion loaded
 * is the same version and the saved newest minute is less than CPE_DRIFT_RING minutes
 * before the first bar seen (older minutes would not be in a ring that had kept running);
 * otherwise the ring starts empty.
 *
 * Threads: a cpe_livepred_t is used by one thread (the live pipeline's); it uses the
 * caller's store handle.
 */
#ifndef CPE_LIVEPRED_H
#define CPE_LIVEPRED_H

#include "cpe/aci.h"
#include "cpe/drift.h"
#include "cpe/livefeat.h"
#include "cpe/error.h"
#include "cpe/prediction.h"
#include "cpe/predictor.h"
#include "cpe/registry.h"
#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_LIVEPRED_MIN_REFIT 500

typedef struct cpe_livepred {
    char symbol[32];
    char asset[16];
    cpe_registry_t reg;
    cpe_predictor_t pred; /* the champion */
    int loaded;
    cpe_predictor_t chal; /* the challenger, when one is set with a traffic split */
    int chal_loaded;
    double split;
    int n_paths;
    int refit_hours;
    int64_t registry_checked_ms; /* wall time of the last champion check */
    int64_t refit_hour;          /* bar hour of the last volatility refit */
    int refit_n;                 /* returns used by the last refit (0: none yet) */
    int refit_converged;         /* last refit: 1 GARCH-t, 0 EWMA fallback or skipped */
    int64_t last_ts;             /* bar of the newest stored prediction */
    char last_error[256];        /* why the last step made no prediction ("" when it did) */
    cpe_aci_t aci;               /* online recalibration of the t cone's bands */
    int aci_ready;
    int64_t aci_saved_ms; /* wall time of the last save */
    cpe_livefeat_t feat;  /* the features, kept between closes (livefeat.h) */
    /* the SHAP rows (ncol + 1 per horizon index) of the newest explained bar and the model
     * version that made them: the next bar's explanation compares with that bar, and reads
     * them here instead of running TreeSHAP on it again */
    double *shap;
    size_t shap_w;
    int64_t shap_ts; /* INT64_MIN: none kept */
    char shap_version[CPE_VERSION_MAX];
    /* the drift score (drift.h) of the champion: its ring restarts with each champion,
     * saved beside aci.json (livepred_drift.c) */
    cpe_drift_track_t drift;
    char drift_version[CPE_VERSION_MAX];
    int64_t drift_saved_ms; /* wall time of the last save */
} cpe_livepred_t;

/* Online recalibration around a step (livepred_aci.c): open loads or starts the state;
 * before() resolves outcomes with the bar's close and sets p->band_a; after() offers the
 * new predictions and saves now and then; close saves and frees. */
void cpe_livepred_aci_open(cpe_livepred_t *lp);
void cpe_livepred_aci_before(cpe_livepred_t *lp, cpe_predictor_t *p, int64_t t_close_ms,
                             double close);
void cpe_livepred_aci_after(cpe_livepred_t *lp, const cpe_prediction_t *out, int n, int64_t now_ms);
void cpe_livepred_aci_close(cpe_livepred_t *lp);
/* Save the state now (0, or CPE_EIO with d set). */
int cpe_livepred_aci_save(cpe_livepred_t *lp, cpe_diag_t *d);

/* The drift ring around a step (livepred_drift.c): step pushes the newest closed minute
 * (loading the saved ring for a new champion of the saved version) and saves now and then;
 * save writes it now (0, or CPE_EIO with d set). */
void cpe_livepred_drift_step(cpe_livepred_t *lp, int64_t now_ms);
int cpe_livepred_drift_save(cpe_livepred_t *lp, cpe_diag_t *d);

/* models_dir NULL: $CPE_MODELS or data/models. n_paths <= 0: 10,000. */
void cpe_livepred_init(cpe_livepred_t *lp, const char *models_dir, const char *symbol, int n_paths);
void cpe_livepred_close(cpe_livepred_t *lp);

/* Predict at the close of the newest 1m bar closed by at_ms (INT64_MAX: the newest bar),
 * store the records and explanations, and copy them into out[CPE_MS_MAX_H] (*n set).
 * now_ms decides the stale flag (the bar closed more than 10 min before now_ms) and the
 * registry check. CPE_ENOTFOUND: no champion yet (nothing stored, *n = 0); other errors
 * with d set. A bar already predicted is not predicted again (*n = 0, returns 0). */
int cpe_livepred_step(cpe_livepred_t *lp, cpe_store_t *st, int64_t at_ms, int64_t now_ms,
                      cpe_prediction_t *out, int *n, cpe_diag_t *d);

#endif
