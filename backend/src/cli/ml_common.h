/* ml_common.h — helpers shared by the model commands (train, evaluate, predict, explain,
 * cone): symbol resolution, the registry location, loading the feature rows around a
 * time, and turning a row into predictor input. */
#ifndef CPE_CLI_ML_COMMON_H
#define CPE_CLI_ML_COMMON_H

#include "cli/cli.h"
#include "cpe/mldata.h"
#include "cpe/predictor.h"
#include "cpe/walkforward.h"

/* --symbol or --asset (BTC -> BTCUSDT) into sym; asset (BTC) into asset. 0 or exit 2. */
int ml_symbol(cpe_args_t *a, char sym[32], char asset[16]);
/* --horizon (1, 4, 8, 24); 0 or exit 2. */
int ml_horizon(cpe_args_t *a, int *h);
/* Write prediction records as the features.md CSV. */
int ml_write_csv(const char *path, const cpe_prediction_t *rec, size_t n, cpe_diag_t *d);

/* The walk-forward options (--folds --train-days --test-days --purge-h --embargo-h
 * --rolling --paths --max-rounds) into c (defaults: cpe_wf_config_default). 0 or exit 2. */
int ml_wf_options(cpe_args_t *a, cpe_wf_config_t *c);

#endif
