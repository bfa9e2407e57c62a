/* ml_neural.h — `--neural tcn,lstm` of `cpe evaluate` and `cpe train`: the neural members'
 * walk-forward table beside the trees and the baselines, and their registry files. */
#ifndef CPE_CLI_ML_NEURAL_H
#define CPE_CLI_ML_NEURAL_H

#include "cli/cli.h"
#include "cpe/walkforward.h"

/* --neural into *mask (0 when absent; exit 2 naming an unknown member). */
int ml_neural_mask(cpe_args_t *a, unsigned *mask);

/* Walk-forward of every member of mask over the plan of res (the trees' folds), printed per
 * horizon beside the trees' scores (res) and the base rate / const-vol baselines. */
int ml_neural_evaluate(cpe_args_t *a, unsigned mask, const cpe_mlview_t *v,
                       const cpe_wf_config_t *c, const cpe_wf_result_t *res);

#endif
