/* cmd_evaluate.c — `cpe evaluate`: walk-forward, out-of-sample scores beside baselines. */
#include "cli/ml_common.h"
#include "cli/ml_neural.h"
#include "cpe/json.h"
#include "cpe/scores.h"
#include "cpe/timeutil.h"
#include "cpe/walkforward.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void progress(int k, int n, void *ctx)
{
    const cpe_wf_plan_t *p = ctx;
    char f[32], t[32];
    cpe_format_iso8601(p->f[k].test_from_ms, f);
    cpe_format_iso8601(p->f[k].test_to_ms, t);
    fprintf(stderr, "fold %d/%d: test %.16s .. %.16s\n", k + 1, n, f, t);
}

static void row3(const char *name, double m, double b, const char *better)
{
    printf("  %-26s %10.4f %10.4f   %s\n", name, m, b, better);
}

static void print_scores(const cpe_wf_scores_t *s)
{
    printf("\nhorizon %dh: %zu scored test rows, up share %.4f\n", s->horizon_h, s->n, s->up_share);
    printf("  %-26s %10s %10s\n", "direction", "model", "base-rate");
    row3("accuracy", s->acc, s->b_acc, "higher is better");
    row3("AUC", s->auc, s->b_auc, "higher");
    row3("Brier", s->brier, s->b_brier, "lower");
    row3("log-loss", s->logloss, s->b_logloss, "lower");
    row3("ECE (10 bins)", s->ece, s->b_ece, "lower");
    row3("accuracy, top 10% conf.", s->top10, s->b_top10, "higher");
    printf("  %-26s %10s %10s\n", "magnitude", "model", "zero");
    row3("RMSE of log return", s->move_rmse, s->zero_rmse, "lower");
    printf("  %-26s %10s %10s %12s\n", "cone", "model", "const-vol", "garch-normal");
    printf("  %-26s %10.4f %10.4f %12.4f   target 0.683\n", "1-sigma coverage", s->cov1, s->cv_cov1,
           s->gn_cov1);
    printf("  %-26s %10.4f %10.4f %12.4f   target 0.954\n", "2-sigma coverage", s->cov2, s->cv_cov2,
           s->gn_cov2);
    printf("  %-26s %10.6f %10.6f %12.6f   lower\n", "CRPS of log return", s->crps, s->cv_crps,
           s->gn_crps);
    printf("  confidence: high %zu (acc %.4f), medium %zu (acc %.4f), low %zu (acc %.4f)\n",
           s->n_high, s->acc_high, s->n_medium, s->acc_medium, s->n_low, s->acc_low);
}

/* The predictive distribution beside every baseline (rows where all have a forecast). */
static void print_dist(const cpe_wf_scores_t *s)
{
    printf("  distribution, %zu rows (%zu from the realized-volatility model; the rest the "
           "GARCH cone)\n",
           s->n_dist, s->n_rvol);
    const char *rn = cpe_wf_base_names[s->ref];
    printf("  %-18s %11s %9s %12s %12s   (x: the CRPS over %s's)\n", "forecast", "CRPS", "x ref",
           "QLIKE", "MSE(var)", rn);
    const double ref = s->b_crps[s->ref];
    printf("  %-18s %11.7f %9.4f %12.5f %12.4e\n", "model", s->crps_q, s->crps_q / ref, s->qlike,
           s->mse);
    for (int b = 0; b < CPE_WF_NBASE; b++)
        printf("  %-18s %11.7f %9.4f %12.5f %12.4e\n", cpe_wf_base_names[b], s->b_crps[b],
               s->b_crps[b] / ref, s->b_qlike[b], s->b_mse[b]);
    printf("  Diebold-Mariano, model vs %s CRPS: t = %.2f, p = %.3g\n", rn, s->dm_stat, s->dm_p);
    printf("  Winkler 1-sigma / 2-sigma: model %.6f / %.6f, %s %.6f / %.6f\n", s->winkler1,
           s->winkler2, rn, s->b_winkler1, s->b_winkler2);
    printf("  PIT (10 bins):");
    for (int i = 0; i < CPE_PIT_BINS; i++)
        printf(" %llu", (unsigned long long)s->pit[i]);
    printf("\n  coverage per month (1-sigma / 2-sigma):");
    for (int m = 0; m < s->n_months; m++)
        printf(" %d %.3f/%.3f", s->month[m].yyyymm, s->month[m].cov1, s->month[m].cov2);
    printf("\n  online recalibration: band levels now a1 %.4f (target 0.3173), a2 %.4f "
           "(0.0455)\n",
           s->aci_a1, s->aci_a2);
}

static void json_dist(cpe_jw_t *w, const cpe_wf_scores_t *s)
{
    cpe_jw_kint(w, "n_dist", (int64_t)s->n_dist);
    cpe_jw_kint(w, "n_rvol", (int64_t)s->n_rvol);
    cpe_jw_knum(w, "crps_q", s->crps_q);
    cpe_jw_knum(w, "qlike", s->qlike);
    cpe_jw_knum(w, "mse_var", s->mse);
    cpe_jw_key(w, "baselines");
    cpe_jw_obj(w);
    for (int b = 0; b < CPE_WF_NBASE; b++) {
        cpe_jw_key(w, cpe_wf_base_names[b]);
        cpe_jw_obj(w);
        cpe_jw_knum(w, "crps", s->b_crps[b]);
        cpe_jw_knum(w, "qlike", s->b_qlike[b]);
        cpe_jw_knum(w, "mse_var", s->b_mse[b]);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_kstr(w, "reference", cpe_wf_base_names[s->ref]);
    cpe_jw_knum(w, "dm_stat_vs_reference", s->dm_stat);
    cpe_jw_knum(w, "dm_p_vs_reference", s->dm_p);
    cpe_jw_knum(w, "winkler1", s->winkler1);
    cpe_jw_knum(w, "winkler2", s->winkler2);
    cpe_jw_knum(w, "reference_winkler1", s->b_winkler1);
    cpe_jw_knum(w, "reference_winkler2", s->b_winkler2);
    cpe_jw_key(w, "pit");
    cpe_jw_arr(w);
    for (int i = 0; i < CPE_PIT_BINS; i++)
        cpe_jw_int(w, (int64_t)s->pit[i]);
    cpe_jw_end(w);
    cpe_jw_key(w, "months");
    cpe_jw_arr(w);
    for (int m = 0; m < s->n_months; m++) {
        cpe_jw_obj(w);
        cpe_jw_kint(w, "month", s->month[m].yyyymm);
        cpe_jw_kint(w, "n", (int64_t)s->month[m].n);
        cpe_jw_knum(w, "cov1", s->month[m].cov1);
        cpe_jw_knum(w, "cov2", s->month[m].cov2);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_knum(w, "aci_a1", s->aci_a1);
    cpe_jw_knum(w, "aci_a2", s->aci_a2);
}

static int write_json(const char *path, const char *sym, const cpe_wf_result_t *r,
                      const cpe_wf_config_t *c)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 22);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "symbol", sym);
    cpe_jw_kint(&w, "train_days", c->train_days);
    cpe_jw_kint(&w, "test_days", c->test_days);
    cpe_jw_kint(&w, "purge_h", c->purge_h);
    cpe_jw_kint(&w, "embargo_h", c->embargo_h);
    cpe_jw_kbool(&w, "expanding", c->expanding);
    cpe_jw_key(&w, "folds");
    cpe_jw_arr(&w);
    for (int k = 0; k < r->plan.n; k++) {
        const cpe_wf_fold_t *f = &r->plan.f[k];
        cpe_jw_obj(&w);
        cpe_jw_kint(&w, "train_from_ms", f->train_from_ms);
        cpe_jw_kint(&w, "train_to_ms", f->train_to_ms);
        cpe_jw_kint(&w, "test_from_ms", f->test_from_ms);
        cpe_jw_kint(&w, "test_to_ms", f->test_to_ms);
        cpe_jw_kint(&w, "n_train", (int64_t)f->n_train);
        cpe_jw_kint(&w, "n_test", (int64_t)f->n_test);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_key(&w, "horizons");
    cpe_jw_arr(&w);
    for (int h = 0; h < r->n_h; h++) {
        const cpe_wf_scores_t *s = &r->s[h];
        cpe_jw_obj(&w);
#define N(k) cpe_jw_knum(&w, #k, s->k)
        cpe_jw_kint(&w, "horizon_h", s->horizon_h);
        cpe_jw_kint(&w, "n", (int64_t)s->n);
        N(up_share), N(acc), N(auc), N(brier), N(logloss), N(ece), N(top10);
        N(b_acc), N(b_auc), N(b_brier), N(b_logloss), N(b_ece), N(b_top10);
        N(move_rmse), N(zero_rmse), N(cov1), N(cov2), N(crps), N(cv_cov1), N(cv_cov2), N(cv_crps);
        N(gn_cov1), N(gn_cov2), N(gn_crps), N(acc_high), N(acc_medium), N(acc_low);
        cpe_jw_kint(&w, "n_high", (int64_t)s->n_high);
        cpe_jw_kint(&w, "n_medium", (int64_t)s->n_medium);
        cpe_jw_kint(&w, "n_low", (int64_t)s->n_low);
        json_dist(&w, s);
#undef N
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    int rc = w.err;
    FILE *f = rc ? NULL : fopen(path, "w");
    if (!f || fputs(b.data, f) < 0) rc = CPE_EIO;
    if (f && fclose(f) != 0) rc = CPE_EIO;
    cpe_buf_free(&b);
    return rc;
}

static int run_evaluate(cpe_args_t *a)
{
    static const char *const known[] = {
        "symbol",     "asset",     "from",      "to",        "out",      "json",      "folds",
        "train-days", "test-days", "purge-h",   "embargo-h", "rolling",  "paths",     "step",
        "max-rounds", "no-aci",    "aci-gamma", "neural",    "nn-every", "nn-epochs", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    ml_neural_opts_t neural;
    if ((rc = ml_neural_options(a, &neural))) return rc;
    char sym[32], asset[16];
    if ((rc = ml_symbol(a, sym, asset))) return rc;
    long long from, to;
    long step_min;
    if ((rc = cpe_arg_time(a, "from", INT64_MIN, &from)) ||
        (rc = cpe_arg_time(a, "to", INT64_MAX, &to)) || (rc = cpe_arg_int(a, "step", 5, &step_min)))
        return rc;
    if (step_min <= 0 || 60 % step_min) return cpe_cli_fail(a, 2, "--step must divide 60 minutes");
    cpe_wf_config_t c;
    if ((rc = ml_wf_options(a, &c))) return rc;
    snprintf(c.symbol, sizeof c.symbol, "%s", sym);
    c.aci = !cpe_arg_flag(a, "no-aci");
    if ((rc = cpe_arg_double(a, "aci-gamma", 0.005, &c.aci_gamma))) return rc;
    if (!(c.aci_gamma > 0 && c.aci_gamma <= 0.5))
        return cpe_cli_fail(a, 2, "--aci-gamma must be in (0, 0.5]");
    const char *out = cpe_arg_str(a, "out"), *json = cpe_arg_str(a, "json");
    c.keep_records = out != NULL || neural.mask; /* the ensemble's champion line */
    cpe_store_t *st = NULL;
    cpe_mldata_t m = {0};
    cpe_wf_result_t res = {0};
    cpe_diag_t d = {0};
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    if (from == INT64_MIN) {
        int64_t last;
        if (cpe_mldata_last_bar(st, sym, &last, &d)) {
            rc = cpe_cli_fail(a, 1, "%s", d.msg);
            goto out;
        }
        from = (to == INT64_MAX ? last : to) - 90 * CPE_MS_PER_DAY;
    }
    int64_t t0 = cpe_mono_ns();
    if (cpe_mldata_load(st, sym, from, to, step_min * CPE_MS_PER_MIN, CPE_MLDATA_WARMUP_MS, &m,
                        &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    int64_t step = step_min * CPE_MS_PER_MIN;
    if (cpe_wf_make_plan(&c, m.ts_ms[0], m.ts_ms[m.n - 1] + step, &res.plan, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    cpe_wf_plan_t plan = res.plan;
    if (cpe_wf_run(&m.v, &c, &res, progress, &plan, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    char f0[32], f1[32];
    cpe_format_iso8601(res.plan.f[0].test_from_ms, f0);
    cpe_format_iso8601(res.plan.f[res.plan.n - 1].test_to_ms, f1);
    char every[80];
    if (m.bar_ms > CPE_MS_PER_MIN) /* an hourly history (dataset.h): one row per bar */
        snprintf(every, sizeof every, "one row per %lld-minute bar (1m features missing)",
                 (long long)(m.bar_ms / CPE_MS_PER_MIN));
    else
        snprintf(every, sizeof every, "rows every %ld min", step_min);
    printf("%s walk-forward: %d %s folds, test %.16s .. %.16s (%d-day tests, >= %d training "
           "days, purge %d h, embargo %d h), %s, %zu features%s; %.1f s\n",
           sym, res.plan.n, c.expanding ? "expanding" : "rolling", f0, f1, c.test_days,
           c.train_days, c.purge_h, c.embargo_h, every, m.ncol,
           m.simulated ? ", SIMULATED data" : "", (double)(cpe_mono_ns() - t0) / 1e9);
    printf("all scores are out of sample (each fold's model never saw a label that ends after "
           "its test window starts)\n");
    for (int h = 0; h < res.n_h; h++) {
        print_scores(&res.s[h]);
        print_dist(&res.s[h]);
    }
    if (neural.mask && (rc = ml_neural_evaluate(a, &neural, &m.v, &c, &res))) goto out;
    if (out && ml_write_csv(out, res.records, res.n_records, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    if (out) printf("\nwrote %zu prediction records to %s\n", res.n_records, out);
    if (json && write_json(json, sym, &res, &c)) {
        rc = cpe_cli_fail(a, 1, "%s: cannot write", json);
        goto out;
    }
out:
    cpe_wf_result_free(&res);
    cpe_mldata_free(&m);
    cpe_store_close(st);
    return rc;
}

const cpe_command_t cpe_cmddef_evaluate = {
    "evaluate", "walk-forward evaluation: out-of-sample scores beside baselines",
    "usage: cpe evaluate --symbol SYM [--from ISO] [--to ISO] [--out predictions.csv]\n"
    "                    [--json scores.json] [--folds 5] [--train-days 30] [--test-days 7]\n"
    "                    [--purge-h 24] [--embargo-h 6] [--rolling] [--paths 2000] [--step 5]\n"
    "                    [--max-rounds 500] [--no-aci] [--aci-gamma 0.005]\n"
    "                    [--neural tcn,lstm,tft] [--nn-every 3] [--nn-epochs 30] [--db PATH]\n\n"
    "Test windows are anchored at the end of the range (--folds 0: as many as fit); every\n"
    "fold trains on the rows before its test window minus the purge (expanding, or the last\n"
    "--train-days with --rolling), drops rows in the embargo after earlier test windows, and\n"
    "scores its test rows. Prints per horizon: accuracy, AUC, Brier, log-loss, ECE, accuracy\n"
    "of the 10 % most confident vs the base rate; RMSE of the expected move vs zero; 1- and\n"
    "2-sigma cone coverage and CRPS vs a constant-volatility (trailing 24 h) and a\n"
    "GARCH-normal cone; the predictive distribution's CRPS (199 quantiles), QLIKE, MSE,\n"
    "Winkler scores, PIT histogram and per-month coverage beside const-vol (24 h of 1m and of\n"
    "1h returns), EWMA, GARCH-normal, GARCH-t and HAR forecasts, with a Diebold-Mariano test\n"
    "against const-vol (1m). The bands are recalibrated online (ACI, replayed as-of over the\n"
    "test rows) unless --no-aci. --out writes the prediction records (shared/spec/features.md).\n"
    "--neural trains the listed neural sequence models on the same folds and prints them beside\n"
    "the trees and the baselines (docs/MODELS_NEURAL.md): one training sample every --nn-every\n"
    "rows, at most --nn-epochs epochs; then the ensemble (members on the first 75 % of each\n"
    "fold's training span, the stacker on the rest) beside every member, the baselines and the\n"
    "champion, with its weights, Diebold-Mariano tests and the latency of one prediction.\n"
    "Default range: the last 90 days in the store.",
    run_evaluate};
