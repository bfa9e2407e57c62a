/*
 * trainer.h — train a symbol's model set on a window of the store and register it: the
 * one implementation behind `cpe train` and the retraining schedule of `cpe serve`
 * (spec 10.4; api/retrain.c).
 *
 * Steps (cpe_trainer_run):
 *   1. window: to = min(cfg.to_ms, close of the last 1m bar of the symbol); from =
 *      cfg.from_ms, or to - window_days when INT64_MIN; from >= to is CPE_ERANGE;
 *   2. the feature table (mldata.h) on [from, to), rows every step_min minutes;
 *   3. cpe_modelset_train on every row, outcomes known up to the close of the last bar
 *      read (modelset.h);
 *   4. cpe_registry_save: a new version directory; with cfg.neural it is an ensemble
 *      (ensfit.h): the trees (step 3) and each listed neural member (nn.h, nnfit.h) are
 *      trained on the rows before the last quarter minus the purge, the stacker on that
 *      last quarter; a network is saved there as nn_<arch>.pt only when it earns a weight
 *      (a member with weight 0 is never loaded), and ensemble.json lists every member and
 *      the weights;
 *   5. the champion pointer moves to it when cfg.champion is CPE_TRAIN_CHAMPION_ALWAYS,
 *      or when IF_NONE and the symbol has no champion yet.
 * A failure at any step leaves the champion pointer as it was (a version saved in step
 * 4 stays in the registry when step 5 fails; it is not champion). The live predictor
 * (livepred.h) loads a new champion by itself, so a retrain is complete after step 5.
 *
 * Store use: reads only, on the caller's handle; each read runs in SQLite's own read
 * transaction (WAL: the live pipeline keeps writing meanwhile). A store error (e.g.
 * SQLITE_BUSY past the busy timeout) is CPE_ESTORE; nothing is registered.
 *
 * Ownership: cpe_train_result_t owns the trained model set (for the summary the CLI
 * prints); cpe_train_result_free (no-op when zeroed). Threads: one call per thread and
 * store handle; two trainers must not write the same registry symbol at once.
 */
#ifndef CPE_TRAINER_H
#define CPE_TRAINER_H

#include "cpe/ensfit.h"
#include "cpe/error.h"
#include "cpe/modelset.h"
#include "cpe/nn.h"
#include "cpe/registry.h"
#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

typedef enum cpe_train_champion {
    CPE_TRAIN_CHAMPION_IF_NONE = 0, /* `cpe train` without --champion */
    CPE_TRAIN_CHAMPION_ALWAYS,      /* `cpe train --champion`, the scheduled retrain */
} cpe_train_champion_t;

typedef struct cpe_train_config {
    int64_t from_ms, to_ms; /* INT64_MIN / INT64_MAX: the defaults of step 1 */
    int window_days;        /* 730: all history up to two years (expanding validated better
                             * than a rolling 180 days for the volatility model) */
    int step_min;           /* 5; must divide 60 */
    cpe_modelset_config_t ms;
    const char *models; /* registry root; NULL: $CPE_MODELS or data/models */
    cpe_train_champion_t champion;
    unsigned neural; /* members trained beside the trees: bit 1 << cpe_nn_arch_t; 0: none */
} cpe_train_config_t;

typedef struct cpe_train_nn {
    cpe_nn_arch_t arch;
    int epochs, best_epoch;
    double best_valid_loss, first_valid_loss, train_s;
    size_t n_fit, n_valid;
    int saved; /* it earned a weight in the ensemble: nn_<arch>.pt was written */
} cpe_train_nn_t;

typedef struct cpe_train_result {
    char version[CPE_VERSION_MAX];
    char dir[600]; /* <root>/<SYMBOL>/<version> */
    int champion;  /* 1 when the version became champion */
    size_t n_rows, n_features;
    int64_t first_row_ms, last_row_ms;
    int simulated;              /* trained on simulated bars */
    int64_t bar_ms;             /* the rows' bar: 60000, or an hourly history (dataset.h) */
    double features_s, train_s; /* wall time of steps 2 and 3 */
    cpe_modelset_t ms;          /* what was trained */
    int n_neural;               /* neural members trained and saved (cfg.neural) */
    cpe_train_nn_t neural[CPE_NN_NARCH];
    int has_ens;           /* cfg.neural: the stacker fitted and ensemble.json written */
    cpe_ens_stacker_t ens; /* its weights */
} cpe_train_result_t;

void cpe_train_config_default(cpe_train_config_t *c);

/* Steps 1-5 for symbol ("BTCUSDT": the registry directory is named after it). *res is reset first;
 * on failure it holds nothing to use but is safe to free. Errors: CPE_ENOTFOUND (no bars),
 * CPE_ERANGE (empty window), CPE_EINVAL (bad step or window_days), CPE_EDATA (no rows, too few to
 * train), CPE_ESTORE, CPE_EIO (registry), CPE_ENOMEM; d names the symbol. */
int cpe_trainer_run(cpe_store_t *st, const char *symbol, const cpe_train_config_t *cfg,
                    cpe_train_result_t *res, cpe_diag_t *d);

void cpe_train_result_free(cpe_train_result_t *res);

#endif
