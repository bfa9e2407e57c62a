/* cmd_models.c — `cpe models`: the registered model versions (cpe/registry.h). */
#include "cli/cli.h"
#include "cpe/registry.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>

static int run_models(cpe_args_t *a)
{
    static const char *const known[] = {"symbol",     "models", "quiet", "champion",
                                        "challenger", "split",  NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    cpe_registry_t r;
    cpe_registry_init(&r, cpe_arg_str(a, "models"));
    const char *sym = cpe_arg_str(a, "symbol");
    cpe_diag_t d = {0};
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
    "       cpe models --symbol SYMBOL --challenger VERSION [--split 0.1]   (\"\" clears it)\n\n"
    "Models live in DIR/<SYMBOL>/<version>/ (DIR: --models, $CPE_MODELS, or data/models).\n"
    "Exit status 0 when at least one version is registered, 1 when none (scripts use\n"
    "`cpe models --quiet || cpe train ...`).",
    run_models};
