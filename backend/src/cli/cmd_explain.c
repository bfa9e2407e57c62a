/* cmd_explain.c — `cpe explain`: SHAP reasons for the champion's direction call. */
#include "cli/ml_common.h"
#include "cpe/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int run_explain(cpe_args_t *a)
{
    static const char *const known[] = {"asset", "symbol", "horizon", "at", "models", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    char sym[32], asset[16];
    int h;
    long long at;
    if ((rc = ml_symbol(a, sym, asset)) || (rc = ml_horizon(a, &h)) ||
        (rc = cpe_arg_time(a, "at", INT64_MAX, &at)))
        return rc;
    cpe_store_t *st = NULL;
    cpe_mldata_t m = {0};
    cpe_predictor_t p = {0};
    cpe_diag_t d = {0};
    double *x = NULL, *x0 = NULL, r[240], r0[240];
    char *stored = NULL;
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 22);
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    if (at != INT64_MAX) {
        cpe_prediction_t rec;
        if (st->ops->get_prediction(st, sym, h, at, &rec, &stored) == 0 && stored &&
            rec.ts_ms >= at - 10 * CPE_MS_PER_MIN) {
            printf("%s\n", stored);
            goto out;
        }
    }
    cpe_registry_t reg;
    cpe_registry_init(&reg, cpe_arg_str(a, "models"));
    if (cpe_predictor_open(&p, &reg, sym, NULL, 0, &d) ||
        cpe_mldata_load_recent(st, sym, at, &m, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    if (m.n < 2) {
        rc = cpe_cli_fail(a, 1, "%s: need two bars to explain a change", sym);
        goto out;
    }
    x = malloc(p.ms.ncol * sizeof *x);
    x0 = malloc(p.ms.ncol * sizeof *x0);
    if (!x || !x0) {
        rc = cpe_cli_fail(a, 1, "out of memory");
        goto out;
    }
    cpe_pred_input_t in, prev;
    cpe_predictor_input(&p, &m, m.n - 1, x, r, &in);
    cpe_predictor_input(&p, &m, m.n - 2, x0, r0, &prev);
    cpe_prediction_t pred;
    if (cpe_predictor_predict(&p, &in, &h, 1, &pred, &d) ||
        cpe_predictor_explain(&p, &in, &prev, &pred, asset, &b, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    printf("%s\n", b.data);
out:
    free(stored);
    free(x);
    free(x0);
    cpe_buf_free(&b);
    cpe_predictor_close(&p);
    cpe_mldata_free(&m);
    cpe_store_close(st);
    return rc;
}

const cpe_command_t cpe_cmddef_explain = {
    "explain", "why the champion model says what it says (SHAP reasons, JSON)",
    "usage: cpe explain --asset BTC --horizon 4 [--at ISO] [--models DIR]\n\n"
    "Prints docs/API.md /explain JSON: the TreeSHAP contribution of every feature to the\n"
    "direction classifier's log-odds, grouped into named reasons (funding skew, CVD shift,\n"
    "liquidation imbalance, OI expansion/contraction, momentum, volatility, sentiment,\n"
    "on-chain, cross-asset, time), and the features whose contribution changed most since\n"
    "the previous 1m bar. With --at, a stored explanation at that time when there is one.",
    run_explain};
