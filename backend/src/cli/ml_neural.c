/* ml_neural.c — the neural members in `cpe evaluate` (see ml_neural.h). */
#include "cli/ml_neural.h"

#include "cpe/ensfit.h"
#include "cpe/nnfit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ml_neural_options(cpe_args_t *a, ml_neural_opts_t *o)
{
    o->mask = 0;
    const char *list = cpe_arg_str(a, "neural");
    cpe_diag_t d = {0};
    int rc;
    if (list && cpe_nn_parse_list(list, &o->mask, &d)) return cpe_cli_fail(a, 2, "%s", d.msg);
    if ((rc = cpe_arg_int(a, "nn-every", 3, &o->every)) ||
        (rc = cpe_arg_int(a, "nn-epochs", 30, &o->epochs)))
        return rc;
    if (o->every < 1 || o->epochs < 1)
        return cpe_cli_fail(a, 2, "--nn-every and --nn-epochs must be >= 1");
    return 0;
}

static void nn_progress(int k, int n, void *ctx)
{
    fprintf(stderr, "neural %s: fold %d/%d\n", (const char *)ctx, k + 1, n);
}

static void print_row(const char *name, double auc, double brier, double ll, double rmse,
                      double crps, double ql, double c1, double c2, double pin)
{
    printf("  %-22s %7.4f %8.5f %8.5f %10.6f %10.6f %8.4f %6.3f %6.3f", name, auc, brier, ll, rmse,
           crps, ql, c1, c2);
    if (isnan(pin))
        printf(" %10s\n", "-");
    else
        printf(" %10.7f\n", pin);
}

static void print_horizon(int h, const cpe_nnfit_result_t *r, int nr, const cpe_wf_scores_t *t)
{
    const cpe_nnfit_scores_t *s0 = &r[0].s[h];
    printf("\nhorizon %dh, neural members beside the trees and the baselines\n", s0->horizon_h);
    printf("  %-22s %7s %8s %8s %10s %10s %8s %6s %6s %10s\n", "forecast", "AUC", "Brier",
           "logloss", "RMSE move", "CRPS", "QLIKE", "cov1", "cov2", "pinball");
    for (int i = 0; i < nr; i++) {
        const cpe_nnfit_scores_t *s = &r[i].s[h];
        char name[40];
        snprintf(name, sizeof name, "%s (%zu rows)", cpe_nn_arch_name(r[i].arch), s->n);
        print_row(name, s->auc, s->brier, s->logloss, s->move_rmse, s->crps, s->qlike, s->cov1,
                  s->cov2, s->pinball);
    }
    print_row("base rate / zero / cv24h", s0->b_auc, s0->b_brier, s0->b_logloss, s0->zero_rmse,
              s0->cv_crps, s0->cv_qlike, s0->cv_cov1, s0->cv_cov2, s0->cv_pinball);
    char name[40];
    snprintf(name, sizeof name, "trees (%zu rows)", t->n);
    print_row(name, t->auc, t->brier, t->logloss, t->move_rmse, t->crps, t->qlike, t->cov1, t->cov2,
              NAN);
}

static void print_ens_line(const cpe_ens_line_t *l)
{
    char dir[40] = "      -        -        -";
    if (l->has_dir) snprintf(dir, sizeof dir, "%7.4f %8.5f %8.5f", l->auc, l->brier, l->logloss);
    printf("  %-22s %s %10.6f %8.4f %6.3f %6.3f\n", l->name, dir, l->crps, l->qlike, l->cov1,
           l->cov2);
}

static void print_ens_horizon(const cpe_ens_result_t *r, const cpe_ens_h_t *h)
{
    printf("\nhorizon %dh, ensemble beside its members, the baselines and the champion (%zu "
           "rows)\n",
           h->horizon_h, h->n);
    printf("  %-22s %7s %8s %8s %10s %8s %6s %6s\n", "forecast", "AUC", "Brier", "logloss", "CRPS",
           "QLIKE", "cov1", "cov2");
    for (int l = 0; l < h->n_lines; l++)
        print_ens_line(&h->line[l]);
    printf("  stacker (means over folds; folds with weight > 0): direction intercept %.4f,", h->b0);
    for (int j = 0; j < r->n_dir; j++)
        printf(" %s %.4f (%d)", r->dir_name[j], h->w_dir[j], h->nz_dir[j]);
    printf("\n  variance: scale %.3f, shares", h->var_sum);
    for (int j = 0; j < r->n_var; j++)
        printf(" %s %.3f (%d)", r->var_name[j], h->w_var[j], h->nz_var[j]);
    printf(
        "\n  Diebold-Mariano, ensemble vs champion: log-loss t = %.2f (p = %.3g), QLIKE t = %.2f "
        "(p = %.3g)\n",
        h->dm_ll_champ[0], h->dm_ll_champ[1], h->dm_ql_champ[0], h->dm_ql_champ[1]);
    printf("  Diebold-Mariano, ensemble vs baseline: log-loss t = %.2f (p = %.3g), QLIKE t = %.2f "
           "(p = %.3g)\n",
           h->dm_ll_base[0], h->dm_ll_base[1], h->dm_ql_base[0], h->dm_ql_base[1]);
}

int ml_ensemble_evaluate(cpe_args_t *a, const ml_neural_opts_t *o, const cpe_mlview_t *v,
                         const cpe_wf_config_t *c, const cpe_wf_result_t *res)
{
    cpe_ensfit_config_t ec;
    cpe_ensfit_config_default(&ec, &c->ms, o->mask);
    for (int arch = 0; arch < CPE_NN_NARCH; arch++) {
        ec.nn[arch].sample_every = (int)o->every;
        ec.nn[arch].nn.max_epochs = (int)o->epochs;
    }
    cpe_ens_result_t *r = calloc(1, sizeof *r);
    if (!r) return cpe_cli_fail(a, 1, "ensemble: out of memory");
    cpe_diag_t d = {0};
    int rc = 0;
    if (cpe_ensfit_wf(v, &res->plan, &ec, res->records, res->n_records, r, nn_progress,
                      (void *)"ensemble", &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    printf("\nensemble (docs/MODELS_NEURAL.md): per fold the members are trained on the "
           "training rows before the last %.0f %% (minus the purge) and the stacker on that "
           "last part; Gaussian N(0, var) for CRPS/QLIKE/coverage; champion: the trees trained "
           "on all the fold's rows (the table above); Diebold-Mariano t < 0: the ensemble "
           "is better\n",
           ec.stack_frac * 100);
    printf("  training %.1f s over %d folds; one whole-ensemble prediction (all horizons, one "
           "row): p50 %.0f us, p99 %.0f us wall; p50 %.0f us, p99 %.0f us CPU; over %zu rows\n",
           r->train_s, r->n_folds, r->lat_p50_us[0], r->lat_p99_us[0], r->lat_p50_us[1],
           r->lat_p99_us[1], r->lat_n);
    for (int h = 0; h < r->n_h; h++)
        print_ens_horizon(r, &r->h[h]);
out:
    free(r);
    return rc;
}

int ml_neural_evaluate(cpe_args_t *a, const ml_neural_opts_t *o, const cpe_mlview_t *v,
                       const cpe_wf_config_t *c, const cpe_wf_result_t *res)
{
    cpe_nnfit_result_t r[CPE_NN_NARCH];
    int nr = 0;
    for (int arch = 0; arch < CPE_NN_NARCH; arch++) {
        if (!(o->mask & (1u << arch))) continue;
        cpe_nnfit_config_t nc;
        cpe_nnfit_config_default(&nc, (cpe_nn_arch_t)arch, &c->ms);
        nc.sample_every = (int)o->every;
        nc.nn.max_epochs = (int)o->epochs;
        cpe_diag_t d = {0};
        const char *name = cpe_nn_arch_name((cpe_nn_arch_t)arch);
        if (cpe_nnfit_wf(v, &res->plan, &nc, &r[nr], nn_progress, (void *)name, &d))
            return cpe_cli_fail(a, 1, "%s", d.msg);
        nr++;
    }
    if (!nr) return 0;
    printf("\nneural members (docs/MODELS_NEURAL.md): one sample per %ld rows, <= %ld epochs; the "
           "same folds, purge and embargo; scored on "
           "test rows with a label and 24 trailing hourly returns. Gaussian N(move, var) for "
           "CRPS/QLIKE/coverage (targets 0.683 / 0.954), tft: CRPS and coverage from its "
           "quantiles; pinball: mean over the 2.3/15.9/50/84.1/97.7 %% quantiles (Gaussian ones "
           "but tft's); trees: the table above (their rows)\n",
           o->every, o->epochs);
    for (int i = 0; i < nr; i++) {
        printf("  %s: training %.1f s over %d folds (epochs kept/run:", cpe_nn_arch_name(r[i].arch),
               r[i].train_s, r[i].n_folds);
        for (int f = 0; f < r[i].n_folds; f++)
            printf(" %d/%d", r[i].best_epoch[f], r[i].epochs[f]);
        printf("), prediction %.1f us per row (all horizons, batched)\n", r[i].predict_us_row);
    }
    for (int h = 0; h < r[0].n_h && h < res->n_h; h++)
        print_horizon(h, r, nr, &res->s[h]);
    return ml_ensemble_evaluate(a, o, v, c, res);
}
