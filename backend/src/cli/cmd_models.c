/* cmd_models.c — `cpe models`: the registered model versions (cpe/registry.h). */
#include "cli/cli.h"
#include "cli/ml_common.h"
#include "cpe/metrics.h"
#include "cpe/registry.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Champion vs challenger on the rows of [from, to) that neither model was trained on:
 * per-row log-loss of p_up per horizon, paired Diebold-Mariano test (registry.h). */
static int compare(cpe_args_t *a, const cpe_registry_t *r, const char *sym, const char *chall)
{
    long long from, to;
    int rc;
    if ((rc = cpe_arg_time(a, "from", INT64_MIN, &from)) ||
        (rc = cpe_arg_time(a, "to", INT64_MAX, &to)))
        return rc;
    cpe_modelset_t a0 = {0}, a1 = {0};
    char v0[CPE_VERSION_MAX], v1[CPE_VERSION_MAX];
    cpe_store_t *st = NULL;
    cpe_mldata_t m = {0};
    cpe_diag_t d = {0};
    double *p0 = NULL, *p1 = NULL, *X0 = NULL, *X1 = NULL, *l0 = NULL, *l1 = NULL;
    if (cpe_registry_load(r, sym, NULL, &a0, v0, &d) ||
        cpe_registry_load(r, sym, chall, &a1, v1, &d) || cpe_store_open(a->db, &st, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    int64_t start =
        a0.label_cutoff_ms > a1.label_cutoff_ms ? a0.label_cutoff_ms : a1.label_cutoff_ms;
    if (from < start) from = start; /* out of sample for both */
    if (cpe_mldata_load(st, sym, from, to, 5 * CPE_MS_PER_MIN, CPE_MLDATA_WARMUP_MS, &m, &d)) {
        rc = cpe_cli_fail(
            a, 1, "%s (rows after both models' training: from the later label cutoff on)", d.msg);
        goto out;
    }
    size_t n = m.n;
    p0 = malloc(n * 4 * sizeof *p0), p1 = malloc(n * 4 * sizeof *p1);
    X0 = malloc(n * a0.ncol * sizeof *X0), X1 = malloc(n * a1.ncol * sizeof *X1);
    l0 = malloc(n * sizeof *l0), l1 = malloc(n * sizeof *l1);
    if (!p0 || !p1 || !X0 || !X1 || !l0 || !l1) {
        rc = cpe_cli_fail(a, 1, "out of memory");
        goto out;
    }
    /* map the table's columns to each model's feature order */
    for (int w = 0; w < 2; w++) {
        const cpe_modelset_t *ms = w ? &a1 : &a0;
        double *X = w ? X1 : X0;
        for (size_t j = 0; j < ms->ncol; j++) {
            long c = -1;
            for (size_t k = 0; k < m.ncol; k++)
                if (!strcmp(m.names[k], ms->names[j])) c = (long)k;
            for (size_t i = 0; i < n; i++)
                X[i * ms->ncol + j] = c >= 0 ? m.X[i * m.ncol + c] : NAN;
        }
    }
    if (cpe_modelset_predict(&a0, X0, n, NULL, p0, NULL) ||
        cpe_modelset_predict(&a1, X1, n, NULL, p1, NULL)) {
        rc = cpe_cli_fail(a, 1, "prediction failed");
        goto out;
    }
    double alpha;
    long min_samples;
    if ((rc = cpe_arg_double(a, "alpha", 0.05, &alpha)) ||
        (rc = cpe_arg_int(a, "min-samples", 1000, &min_samples)))
        goto out;
    printf("%s: champion %s vs challenger %s on %zu rows from the later training cutoff on\n", sym,
           v0, v1, n);
    printf(
        "horizon      n   logloss champion  challenger   mean diff      z    p-value  promote\n");
    int promote_all = 1, any = 0;
    for (int k = 0; k < a0.n_h; k++) {
        int H = a0.h[k].horizon_h, k1 = cpe_modelset_hidx(&a1, H);
        if (k1 < 0) continue;
        for (size_t i = 0; i < n; i++) {
            double y = cpe_ml_label(&m.v, i, H);
            double yb = isnan(y) ? NAN : y > 0;
            l0[i] = cpe_logloss1(p0[(size_t)k * n + i], yb);
            l1[i] = cpe_logloss1(p1[(size_t)k1 * n + i], yb);
        }
        cpe_ab_result_t res;
        /* labels of neighbouring 5m rows overlap for H hours: HAC lag = 12 H rows */
        if (cpe_ab_test(l0, l1, n, 12 * H, alpha, (size_t)min_samples, &res) != 0) {
            printf("%5dh  too few labelled rows\n", H);
            promote_all = 0;
            continue;
        }
        double m0 = 0, m1 = 0;
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(l0[i]) && !isnan(l1[i])) m0 += l0[i], m1 += l1[i], c++;
        printf("%5dh %7zu   %.5f          %.5f    %+.6f  %6.2f  %.4f   %s\n", H, res.n, m0 / c,
               m1 / c, res.mean_diff, res.z, res.p_value, res.promote ? "yes" : "no");
        promote_all &= res.promote;
        any = 1;
    }
    if (any && promote_all && cpe_arg_flag(a, "promote")) {
        if (cpe_registry_set_champion(r, sym, v1, &d)) {
            rc = cpe_cli_fail(a, 1, "%s", d.msg);
            goto out;
        }
        printf("%s is now the champion\n", v1);
    } else if (cpe_arg_flag(a, "promote")) {
        printf("champion kept: the challenger is not significantly better at every horizon\n");
    }
out:
    free(p0), free(p1), free(X0), free(X1), free(l0), free(l1);
    cpe_mldata_free(&m);
    cpe_store_close(st);
    cpe_modelset_free(&a0);
    cpe_modelset_free(&a1);
    return rc;
}

static int run_models(cpe_args_t *a)
{
    static const char *const known[] = {"symbol",      "models",  "quiet", "champion", "challenger",
                                        "split",       "compare", "from",  "to",       "alpha",
                                        "min-samples", "promote", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    cpe_registry_t r;
    cpe_registry_init(&r, cpe_arg_str(a, "models"));
    const char *sym = cpe_arg_str(a, "symbol");
    cpe_diag_t d = {0};
    const char *cmp = cpe_arg_str(a, "compare");
    if (cmp) {
        if (!sym) return cpe_cli_fail(a, 2, "--compare needs --symbol");
        return compare(a, &r, sym, cmp);
    }
    const char *champ = cpe_arg_str(a, "champion"), *chall = cpe_arg_str(a, "challenger");
    if (champ || chall) {
        if (!sym) return cpe_cli_fail(a, 2, "--champion/--challenger need --symbol");
        double split;
        if ((rc = cpe_arg_double(a, "split", 0.1, &split))) return rc;
        if (champ && cpe_registry_set_champion(&r, sym, champ, &d))
            return cpe_cli_fail(a, 1, "%s", d.msg);
        if (chall && cpe_registry_set_challenger(&r, sym, *chall ? chall : NULL, split, &d))
            return cpe_cli_fail(a, 1, "%s", d.msg);
    }
    cpe_model_info_t *m = NULL;
    size_t n = 0;
    if (cpe_registry_list(&r, sym, &m, &n, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    if (!cpe_arg_flag(a, "quiet")) {
        if (!n)
            printf("no models in %s%s%s (train one with `cpe train --symbol SYMBOL`)\n", r.root,
                   sym ? "/" : "", sym ? sym : "");
        for (size_t i = 0; i < n; i++) {
            char at[32], f[32], t[32];
            cpe_format_iso8601(m[i].trained_at_ms, at);
            cpe_format_iso8601(m[i].train_from_ms, f);
            cpe_format_iso8601(m[i].train_to_ms, t);
            printf("%-10s %-34s trained %.19s  window %.10s .. %.10s  %3d features%s%s\n",
                   m[i].symbol, m[i].version, at, f, t, m[i].n_features,
                   m[i].champion ? "  [champion]" : "", m[i].challenger ? "  [challenger]" : "");
        }
    }
    free(m);
    return n ? 0 : 1;
}

const cpe_command_t cpe_cmddef_models = {
    "models", "list registered model versions (exit 1 when there are none)",
    "usage: cpe models [--symbol SYMBOL] [--quiet] [--models DIR]\n"
    "       cpe models --symbol SYMBOL --champion VERSION\n"
    "       cpe models --symbol SYMBOL --challenger VERSION [--split 0.1]   (\"\" clears it)\n"
    "       cpe models --symbol SYMBOL --compare VERSION [--from ISO] [--to ISO]\n"
    "                  [--alpha 0.05] [--min-samples 1000] [--promote] [--db PATH]\n\n"
    "Models live in DIR/<SYMBOL>/<version>/ (DIR: --models, $CPE_MODELS, or data/models).\n"
    "Exit status 0 when at least one version is registered, 1 when none (scripts use\n"
    "`cpe models --quiet || cpe train ...`).\n"
    "--compare scores the champion and VERSION on the store's 5m rows after both models'\n"
    "training (direction log-loss per horizon, paired Diebold-Mariano test with a\n"
    "Newey-West variance, lag = the label overlap); --promote makes VERSION champion only\n"
    "when it is significantly better (p < alpha, n >= min-samples) at every horizon.",
    run_models};
