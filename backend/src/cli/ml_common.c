/* ml_common.c — see ml_common.h. */
#include "cli/ml_common.h"

#include "cpe/market.h"
#include "cpe/universe.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"
#include "cpe/walkforward.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int ml_symbol(cpe_args_t *a, char sym[32], char asset[16])
{
    const char *s = cpe_arg_str(a, "symbol"), *as = cpe_arg_str(a, "asset");
    if (!s) s = as;
    if (!s || !*s) return cpe_cli_fail(a, 2, "--symbol SYMBOL (or --asset BTC) is required");
    cpe_asset_to_symbol(s, sym);
    cpe_symbol_to_asset(sym, asset, 16);
    return 0;
}

int ml_horizon(cpe_args_t *a, int *h)
{
    long v;
    int rc = cpe_arg_int(a, "horizon", 4, &v);
    if (rc) return rc;
    if (v < 0 || v > INT32_MAX || cpe_horizon_index((int)v) < 0)
        return cpe_cli_fail(a, 2, "--horizon must be one of %s (got %ld)", cpe_horizons_text(), v);
    *h = (int)v;
    return 0;
}

static void put_num(FILE *f, double v)
{
    char b[40];
    cpe_fmt_double(b, v, "");
    fputs(b, f);
}

int ml_write_csv(const char *path, const cpe_prediction_t *rec, size_t n, cpe_diag_t *d)
{
    FILE *f = fopen(path, "w");
    if (!f) return cpe_diag_set(d, CPE_EIO, "%s: cannot write", path);
    fputs("ts_ms,symbol,horizon_h,close,p_up,expected_move,volatility,p023,p159,p500,p841,p977,"
          "regime,confidence,model_version\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const cpe_prediction_t *p = &rec[i];
        fprintf(f, "%lld,%s,%d,", (long long)p->ts_ms, p->symbol, p->horizon_h);
        const double v[10] = {p->close, p->p_up, p->expected_move, p->volatility, p->p023,
                              p->p159,  p->p500, p->p841,          p->p977};
        for (int k = 0; k < 9; k++) {
            put_num(f, v[k]);
            fputc(',', f);
        }
        fprintf(f, "%s,%s,%s\n", p->regime, p->confidence, p->model_version);
    }
    if (fclose(f) != 0) return cpe_diag_set(d, CPE_EIO, "%s: write failed", path);
    return 0;
}

/* Shared by `cpe evaluate` and `cpe predict --backfill`: parse the walk-forward options. */
int ml_wf_options(cpe_args_t *a, cpe_wf_config_t *c)
{
    long v[6];
    int rc;
    cpe_wf_config_default(c);
    if ((rc = cpe_arg_int(a, "folds", c->folds, &v[0])) ||
        (rc = cpe_arg_int(a, "train-days", 30, &v[1])) ||
        (rc = cpe_arg_int(a, "test-days", 7, &v[2])) ||
        (rc = cpe_arg_int(a, "purge-h", 24, &v[3])) ||
        (rc = cpe_arg_int(a, "embargo-h", 6, &v[4])) || (rc = cpe_arg_int(a, "paths", 2000, &v[5])))
        return rc;
    long mr;
    if ((rc = cpe_arg_int(a, "max-rounds", 500, &mr))) return rc;
    if (v[0] < 0 || v[1] < 1 || v[2] < 1 || v[3] < 0 || v[4] < 0 || v[5] < 100 || mr < 1)
        return cpe_cli_fail(a, 2,
                            "walk-forward options out of range (folds >= 0, days >= 1, "
                            "hours >= 0, paths >= 100, max-rounds >= 1)");
    c->folds = (int)v[0], c->train_days = (int)v[1], c->test_days = (int)v[2];
    c->purge_h = (int)v[3], c->embargo_h = (int)v[4], c->eval_paths = (int)v[5];
    c->expanding = !cpe_arg_flag(a, "rolling");
    c->ms.cls.max_rounds = c->ms.reg.max_rounds = (int)mr;
    return 0;
}
