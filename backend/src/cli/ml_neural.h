/* ml_neural.h — `--neural tcn,lstm` of `cpe evaluate` and `cpe train`: the neural members'
 * walk-forward table beside the trees and the baselines, and their registry files. */
#ifndef CPE_CLI_ML_NEURAL_H
#define CPE_CLI_ML_NEURAL_H

#include "cli/cli.h"
#include "cpe/walkforward.h"

typedef struct ml_neural_opts {
    unsigned mask;      /* --neural: bit 1 << cpe_nn_arch_t; 0 when absent */
    long every, epochs; /* --nn-every (3), --nn-epochs (30) */
} ml_neural_opts_t;

/* --neural, --nn-every, --nn-epochs into *o; 0, or exit 2 naming the bad one. */
int ml_neural_options(cpe_args_t *a, ml_neural_opts_t *o);

/* Walk-forward of every member of mask over the plan of res (the trees' folds), printed per
 * horizon beside the trees' scores (res) and the base rate / const-vol baselines. */
int ml_neural_evaluate(cpe_args_t *a, const ml_neural_opts_t *o, const cpe_mlview_t *v,
                       const cpe_wf_config_t *c, const cpe_wf_result_t *res);

/* The ensemble of the trees, the volatility models and the members of mask (ensfit.h) over
 * the same plan, printed per horizon beside its members, the baselines and the champion
 * (the records of res: keep_records), with the stacker's weights and Diebold-Mariano tests
 * against the champion and the baseline. Called by ml_neural_evaluate. */
int ml_ensemble_evaluate(cpe_args_t *a, const ml_neural_opts_t *o, const cpe_mlview_t *v,
                         const cpe_wf_config_t *c, const cpe_wf_result_t *res);

#endif
