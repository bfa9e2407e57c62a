/* cmd_train.c — `cpe train`: train every model of a symbol and register a version (the
 * work is cpe/trainer.h, shared with the retraining schedule of `cpe serve`). */
#include "cli/ml_common.h"
#include "cli/ml_neural.h"
#include "cpe/registry.h"
#include "cpe/trainer.h"
#include "cpe/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The stacker's weights per horizon (ensemble.json). */
static void print_ensemble(const cpe_train_result_t *res)
{
    const cpe_ens_stacker_t *e = &res->ens;
    printf("ensemble: stacker on the last %zu rows (members trained before them, minus the "
           "purge): ensemble.json\n",
           e->n_rows);
    for (int k = 0; k < e->n_h; k++) {
        const cpe_ens_stack_h_t *h = &e->h[k];
        printf("%5dh   direction: intercept %.4f, trees %.4f", e->horizon_h[k], h->dir.b0,
               h->dir.w[0]);
        for (int i = 0; i < res->n_neural; i++)
            printf(", %s %.4f", cpe_nn_arch_name(res->neural[i].arch), h->dir.w[1 + i]);
        printf("; variance: realized-vol %.3f, garch-t %.3f, ewma %.3f", cpe_ens_var_weight(h, 0),
               cpe_ens_var_weight(h, 1), cpe_ens_var_weight(h, 2));
        for (int i = 0; i < res->n_neural; i++)
            printf(", %s %.3f", cpe_nn_arch_name(res->neural[i].arch),
                   cpe_ens_var_weight(h, CPE_ENS_NVOL + i));
        printf("\n");
    }
}

static int run_train(cpe_args_t *a)
{
    static const char *const known[] = {"symbol",   "asset", "from",       "to",     "models",
                                        "champion", "step",  "max-rounds", "neural", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    ml_neural_opts_t neural;
    if ((rc = ml_neural_options(a, &neural))) return rc;
    char sym[32], asset[16];
    if ((rc = ml_symbol(a, sym, asset))) return rc;
    long long from, to;
    long step_min, max_rounds;
    if ((rc = cpe_arg_time(a, "from", INT64_MIN, &from)) ||
        (rc = cpe_arg_time(a, "to", INT64_MAX, &to)) ||
        (rc = cpe_arg_int(a, "step", 5, &step_min)) ||
        (rc = cpe_arg_int(a, "max-rounds", 500, &max_rounds)))
        return rc;
    if (step_min <= 0 || 60 % step_min) return cpe_cli_fail(a, 2, "--step must divide 60 minutes");
    if (max_rounds < 1) return cpe_cli_fail(a, 2, "--max-rounds must be >= 1");
    cpe_train_config_t c;
    cpe_train_config_default(&c);
    c.from_ms = from;
    c.to_ms = to;
    c.step_min = (int)step_min;
    c.ms.cls.max_rounds = c.ms.reg.max_rounds = (int)max_rounds;
    c.models = cpe_arg_str(a, "models");
    c.neural = neural.mask;
    c.champion =
        cpe_arg_flag(a, "champion") ? CPE_TRAIN_CHAMPION_ALWAYS : CPE_TRAIN_CHAMPION_IF_NONE;
    cpe_store_t *st = NULL;
    cpe_train_result_t res = {0};
    cpe_diag_t d = {0};
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    rc = cpe_trainer_run(st, sym, &c, &res, &d);
    if (rc == CPE_ERANGE) {
        rc = cpe_cli_fail(a, 2, "--from must be before --to");
        goto out;
    }
    if (rc) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    const cpe_modelset_t *ms = &res.ms;
    char f[32], t[32];
    cpe_format_iso8601(res.first_row_ms, f);
    cpe_format_iso8601(res.last_row_ms, t);
    char every[96];
    if (res.bar_ms > CPE_MS_PER_MIN)
        snprintf(every, sizeof every,
                 "one per %lld-minute bar: the only real history; 1m features missing",
                 (long long)(res.bar_ms / CPE_MS_PER_MIN));
    else
        snprintf(every, sizeof every, "every %ld min", step_min);
    printf("%s: trained %s on %zu rows (%s .. %s, %s, %zu features%s) in %.1f s "
           "(features %.1f s)\n",
           sym, res.version, res.n_rows, f, t, every, res.n_features,
           res.simulated ? ", simulated data" : "", res.train_s, res.features_s);
    printf("volatility: %s-%s%s, persistence %.4f\n", cpe_garch_kind_name(ms->vol.kind),
           cpe_garch_dist_name(ms->vol.dist), ms->vol.fallback ? " (EWMA fallback)" : "",
           cpe_garch_persistence(&ms->vol));
    printf("horizon  rounds(cls/reg)  base_rate  valid_auc  logloss raw -> calibrated (%s)  "
           "cone s1/s2   direction, drift: move, regime\n",
           "held-out validation rows");
    for (int k = 0; k < ms->n_h; k++) {
        const cpe_hmodel_t *h = &ms->h[k];
        printf("%5dh   %4d / %-4d      %.4f     %.4f     %.4f -> %.4f (%-8s)  %.3f / %.3f  %s, %s, "
               "%s\n",
               h->horizon_h, h->cls.best_rounds, h->reg.best_rounds, h->base_rate, h->valid_auc,
               h->valid_logloss_raw, h->valid_logloss_cal, cpe_calib_name(h->calib.method),
               h->scale.s1, h->scale.s2, h->use_direction ? "model" : "base rate",
               h->use_move ? "used" : "off", h->use_regime_drift ? "used" : "off");
    }
    if (ms->rvol.ok) {
        const int noh = ms->rvol.no_har;
        printf("cone: %s, Student-t shape (docs/MODELS_VOLATILITY.md 11)\n",
               noh ? "GARCH-t of hourly returns (no 1m realized history)"
                   : "seasonal log-HAR on 1m realized variance");
        for (int k = 0; k < ms->rvol.n_h; k++) {
            const cpe_rvol_h_t *r = &ms->rvol.h[k];
            printf("%5dh   nu %.2f  scale %.3f  level %.3f  weights %s %.2f/%.2f/%.2f"
                   "  after an extreme move x%.2f  direction weight %.2f\n",
                   r->horizon_h, r->nu, r->scale, r->level,
                   noh ? "GARCH-t/-/EWMA" : "HAR/GARCH-t/EWMA", r->w[0], r->w[1], r->w[2],
                   r->ext_mult > 1 ? r->ext_mult : 1.0, ms->h[k].shrink_w);
        }
    } else {
        printf("cone: GARCH-t Monte Carlo (no 1m realized measures in the rows)\n");
    }
    for (int i = 0; i < res.n_neural; i++) {
        const cpe_train_nn_t *n = &res.neural[i];
        char file[40];
        snprintf(file, sizeof file, "%s.pt", cpe_nn_arch_name(n->arch));
        printf("neural %s: %zu fitting / %zu validation samples, %d epochs (kept %d), validation "
               "loss %.4f -> %.4f, %.1f s: %s%s\n",
               cpe_nn_arch_name(n->arch), n->n_fit, n->n_valid, n->epochs, n->best_epoch,
               n->first_valid_loss, n->best_valid_loss, n->train_s,
               n->saved ? "nn_" : "weight 0 at every horizon, not saved", n->saved ? file : "");
    }
    if (res.has_ens) print_ensemble(&res);
    printf("registered in %s%s\n", res.dir, res.champion ? " (champion)" : "");
out:
    cpe_train_result_free(&res);
    cpe_store_close(st);
    return rc;
}

const cpe_command_t cpe_cmddef_train = {
    "train", "train a symbol's models and register a version",
    "usage: cpe train --symbol SYM [--from ISO] [--to ISO] [--models DIR] [--champion]\n"
    "                 [--step MIN] [--max-rounds N] [--neural tcn,lstm,tft] [--db PATH]\n\n"
    "Default window: all the history in the store up to two years (an expanding window\n"
    "validated better than a rolling 180 days). Rows are sampled every --step minutes\n"
    "(default 5) from the 1m feature table. Trains per prediction horizon (hours) the direction\n"
    "classifier, its calibration and the magnitude regressor (XGBoost hist/lossguide, early\n"
    "stopping on the last 20 % of rows), the cone scales, the GARCH-t volatility model, the\n"
    "realized-volatility model (seasonal HAR + t shape, docs/MODELS_VOLATILITY.md 11) and\n"
    "the regime thresholds, and writes DIR/<SYMBOL>/<version>/ (see docs/MODEL_CARD.md).\n"
    "--neural makes the version an ensemble (docs/MODELS_NEURAL.md): the trees and the listed\n"
    "neural sequence models are trained on the rows before the last quarter (minus a 24 h\n"
    "purge), a stacker on that quarter weighs them (logistic for the direction, non-negative\n"
    "QLIKE weights for the variance); a network with weight 0 at every horizon is not saved,\n"
    "the others are saved beside the trees as nn_<name>.pt, and ensemble.json lists the members\n"
    "and weights (not yet used by predict/live).\n"
    "The new version becomes champion when there is none, or with --champion.",
    run_train};
