/* cmd_train.c — `cpe train`: train every model of a symbol and register a version. */
#include "cli/ml_common.h"
#include "cpe/registry.h"
#include "cpe/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int run_train(cpe_args_t *a)
{
    static const char *const known[] = {"symbol",   "asset", "from",       "to", "models",
                                        "champion", "step",  "max-rounds", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
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
    cpe_store_t *st = NULL;
    cpe_mldata_t m = {0};
    cpe_modelset_t ms = {0};
    size_t *rows = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    int64_t last;
    if (cpe_mldata_last_bar(st, sym, &last, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    if (to == INT64_MAX || to > last + CPE_MS_PER_MIN) to = last + CPE_MS_PER_MIN;
    if (from == INT64_MIN) from = to - 180 * CPE_MS_PER_DAY;
    if (from >= to) {
        rc = cpe_cli_fail(a, 2, "--from must be before --to");
        goto out;
    }
    int64_t t0 = cpe_mono_ns();
    if (cpe_mldata_load(st, sym, from, to, step_min * CPE_MS_PER_MIN, CPE_MLDATA_WARMUP_MS, &m,
                        &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    rows = malloc(m.n * sizeof *rows);
    if (!rows) {
        rc = cpe_cli_fail(a, 1, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < m.n; i++)
        rows[i] = i;
    cpe_modelset_config_t cfg;
    cpe_modelset_config_default(&cfg);
    cfg.cls.max_rounds = cfg.reg.max_rounds = (int)max_rounds;
    int64_t t1 = cpe_mono_ns();
    /* Outcomes are known up to the close of the last bar read. */
    if (cpe_modelset_train(&ms, &m.v, rows, m.n, m.last_bar_ms + CPE_MS_PER_MIN, &cfg, &d)) {
        rc = cpe_cli_fail(a, 1, "%s: %s", sym, d.msg);
        goto out;
    }
    int64_t t2 = cpe_mono_ns();
    cpe_registry_t r;
    cpe_registry_init(&r, cpe_arg_str(a, "models"));
    char ver[CPE_VERSION_MAX], champ[CPE_VERSION_MAX];
    if (cpe_registry_save(&r, sym, &ms, NULL, ver, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    int made = 0;
    if (cpe_arg_flag(a, "champion") || cpe_registry_champion(&r, sym, champ) != 0) {
        if (cpe_registry_set_champion(&r, sym, ver, &d)) {
            rc = cpe_cli_fail(a, 1, "%s", d.msg);
            goto out;
        }
        made = 1;
    }
    char f[32], t[32];
    cpe_format_iso8601(m.ts_ms[0], f);
    cpe_format_iso8601(m.ts_ms[m.n - 1], t);
    printf("%s: trained %s on %zu rows (%s .. %s, every %ld min, %zu features%s) in %.1f s "
           "(features %.1f s)\n",
           sym, ver, m.n, f, t, step_min, m.ncol, m.simulated ? ", simulated data" : "",
           (double)(t2 - t1) / 1e9, (double)(t1 - t0) / 1e9);
    printf("volatility: %s-%s%s, persistence %.4f\n", cpe_garch_kind_name(ms.vol.kind),
           cpe_garch_dist_name(ms.vol.dist), ms.vol.fallback ? " (EWMA fallback)" : "",
           cpe_garch_persistence(&ms.vol));
    printf("horizon  rounds(cls/reg)  base_rate  valid_auc  logloss raw -> calibrated (%s)  "
           "cone s1/s2   direction, drift: move, regime\n",
           "held-out validation rows");
    for (int k = 0; k < ms.n_h; k++) {
        const cpe_hmodel_t *h = &ms.h[k];
        printf("%5dh   %4d / %-4d      %.4f     %.4f     %.4f -> %.4f (%-8s)  %.3f / %.3f  %s, %s, "
               "%s\n",
               h->horizon_h, h->cls.best_rounds, h->reg.best_rounds, h->base_rate, h->valid_auc,
               h->valid_logloss_raw, h->valid_logloss_cal, cpe_calib_name(h->calib.method),
               h->scale.s1, h->scale.s2, h->use_direction ? "model" : "base rate",
               h->use_move ? "used" : "off", h->use_regime_drift ? "used" : "off");
    }
    printf("registered in %s/%s/%s%s\n", r.root, sym, ver, made ? " (champion)" : "");
out:
    free(rows);
    cpe_modelset_free(&ms);
    cpe_mldata_free(&m);
    cpe_store_close(st);
    return rc;
}

const cpe_command_t cpe_cmddef_train = {
    "train", "train a symbol's models and register a version",
    "usage: cpe train --symbol BTCUSDT [--from ISO] [--to ISO] [--models DIR] [--champion]\n"
    "                 [--step MIN] [--max-rounds N] [--db PATH]\n\n"
    "Default window: the last 180 days in the store. Rows are sampled every --step minutes\n"
    "(default 5) from the 1m feature table. Trains per horizon (1, 4, 8, 24 h) the direction\n"
    "classifier, its calibration and the magnitude regressor (XGBoost hist/lossguide, early\n"
    "stopping on the last 20 % of rows), the cone scales, the GARCH-t volatility model and\n"
    "the regime thresholds, and writes DIR/<SYMBOL>/<version>/ (see docs/MODEL_CARD.md).\n"
    "The new version becomes champion when there is none, or with --champion.",
    run_train};
