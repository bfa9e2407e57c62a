/* trainer.c — train a symbol on a window of the store and register it (trainer.h). */
#include "cpe/trainer.h"
#include "cpe/ensfit.h"
#include "cpe/mldata.h"
#include "cpe/nnfit.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpe_train_config_default(cpe_train_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->from_ms = INT64_MIN;
    c->to_ms = INT64_MAX;
    c->window_days = 730; /* expanding: all the history, up to two years (MODEL_CARD) */
    c->step_min = 5;
    cpe_modelset_config_default(&c->ms);
    c->champion = CPE_TRAIN_CHAMPION_IF_NONE;
}

void cpe_train_result_free(cpe_train_result_t *res)
{
    if (!res) return;
    cpe_modelset_free(&res->ms);
    memset(res, 0, sizeof *res);
}

#define SHAP_ROWS 512 /* training rows, evenly spaced, behind the drift score's importance */

/* The drift reference (drift.h) on the features with the largest mean |TreeSHAP| of the
 * classifiers (summed over the horizons) on SHAP_ROWS evenly spaced training rows. */
static int fit_drift(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows, size_t n,
                     cpe_diag_t *d)
{
    size_t ns = n < SHAP_ROWS ? n : SHAP_ROWS, nc = ms->ncol;
    double *X = malloc((ns ? ns : 1) * nc * sizeof *X),
           *c = malloc((ns ? ns : 1) * (nc + 1) * sizeof *c),
           *imp = calloc(nc ? nc : 1, sizeof *imp);
    int rc = 0;
    if (!X || !c || !imp) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "drift reference: out of memory");
        goto out;
    }
    for (size_t i = 0; i < ns; i++)
        memcpy(X + i * nc, v->X + rows[i * n / ns] * nc, nc * sizeof *X);
    for (int k = 0; k < ms->n_h; k++) {
        if (cpe_gbt_contribs(&ms->h[k].cls, X, ns, c) != 0) continue;
        for (size_t i = 0; i < ns; i++)
            for (size_t j = 0; j < nc; j++)
                imp[j] += fabs(c[i * (nc + 1) + j]) / (double)ns;
    }
    rc = cpe_drift_ref_fit(&ms->drift, v->X, nc, v->names, rows, n, imp, d);
out:
    free(X);
    free(c);
    free(imp);
    return rc;
}

/* Step 4 for the neural members of cfg->neural: each trained on the member rows mem[n_mem]
 * (label cutoff stack_from), the stacker fitted on the stack rows stk[n_stk]; only the
 * networks that earn a weight are saved in dir (nn_<arch>.pt), and ensemble.json lists
 * every member and the weights. */
static int train_neural(const cpe_mlview_t *v, const size_t *mem, size_t n_mem, const size_t *stk,
                        size_t n_stk, int64_t stack_from, const cpe_train_config_t *cfg,
                        const char *dir, cpe_train_result_t *res, cpe_diag_t *d)
{
    cpe_nn_t nn[CPE_NN_NARCH];
    memset(nn, 0, sizeof nn);
    cpe_ens_members_t em = {.ms = &res->ms};
    const char *names[CPE_NN_NARCH];
    int rc = 0;
    for (int a = 0; a < CPE_NN_NARCH && !rc; a++) {
        if (!(cfg->neural & (1u << a))) continue;
        cpe_nnfit_config_t nc;
        cpe_nnfit_config_default(&nc, (cpe_nn_arch_t)a, &cfg->ms);
        cpe_nn_t *m = &nn[em.n_nn];
        int64_t t0 = cpe_mono_ns();
        rc = cpe_nnfit_train(m, v, mem, n_mem, stack_from, &nc, d);
        cpe_train_nn_t *r = &res->neural[res->n_neural];
        r->arch = (cpe_nn_arch_t)a;
        r->epochs = m->epochs, r->best_epoch = m->best_epoch;
        r->best_valid_loss = m->best_valid_loss, r->first_valid_loss = m->first_valid_loss;
        r->n_fit = m->n_fit, r->n_valid = m->n_valid;
        r->train_s = (double)(cpe_mono_ns() - t0) / 1e9;
        if (rc) break;
        names[em.n_nn] = cpe_nn_arch_name((cpe_nn_arch_t)a);
        em.nn[em.n_nn++] = m;
        res->n_neural++;
    }
    if (!rc) rc = cpe_ensfit_stack(v, &em, stk, n_stk, 1e-3, &res->ens, d);
    res->ens.stack_from_ms = stack_from;
    for (int i = 0; i < em.n_nn && !rc; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/nn_%s.pt", dir, names[i]);
        res->neural[i].saved = cpe_ens_nn_used(&res->ens, i); /* weight 0: not loaded */
        if (res->neural[i].saved) rc = cpe_nn_save(&nn[i], path, d);
    }
    char path[700];
    snprintf(path, sizeof path, "%s/ensemble.json", dir);
    if (!rc) rc = cpe_ensfit_save_json(&res->ens, names, path, d);
    res->has_ens = rc == 0;
    for (int i = 0; i < CPE_NN_NARCH; i++)
        cpe_nn_free(&nn[i]);
    return rc;
}

int cpe_trainer_run(cpe_store_t *st, const char *sym, const cpe_train_config_t *cfg,
                    cpe_train_result_t *res, cpe_diag_t *d)
{
    memset(res, 0, sizeof *res);
    if (cfg->step_min <= 0 || 60 % cfg->step_min)
        return cpe_diag_set(d, CPE_EINVAL, "%s: step %d min must divide 60 minutes", sym,
                            cfg->step_min);
    if (cfg->from_ms == INT64_MIN && cfg->window_days < 1)
        return cpe_diag_set(d, CPE_EINVAL, "%s: window of %d days must be >= 1", sym,
                            cfg->window_days);
    cpe_mldata_t m = {0};
    size_t *rows = NULL, *stk = NULL;
    int rc;
    int64_t last;
    if ((rc = cpe_mldata_last_bar(st, sym, &last, d))) return rc;
    int64_t to = cfg->to_ms, from = cfg->from_ms;
    if (to == INT64_MAX || to > last + CPE_MS_PER_MIN) to = last + CPE_MS_PER_MIN;
    if (from == INT64_MIN) from = to - (int64_t)cfg->window_days * CPE_MS_PER_DAY;
    if (from >= to) {
        char f[32], t[32];
        cpe_format_iso8601(from, f);
        cpe_format_iso8601(to, t);
        return cpe_diag_set(d, CPE_ERANGE, "%s: training window from %s is not before %s", sym, f,
                            t);
    }
    int64_t t0 = cpe_mono_ns();
    if ((rc = cpe_mldata_load(st, sym, from, to, cfg->step_min * CPE_MS_PER_MIN,
                              CPE_MLDATA_WARMUP_MS, &m, d)))
        goto out;
    rows = malloc(m.n * sizeof *rows);
    if (!rows) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < m.n; i++)
        rows[i] = i;
    /* Outcomes are known up to the close of the last bar read. With neural members the
     * ensemble needs rows no member saw: the members train on the rows before the last
     * quarter (minus the purge), the stacker on that quarter (ensfit.h). */
    int64_t cutoff = m.last_bar_ms + CPE_MS_PER_MIN;
    size_t n_mem = m.n, n_stk = 0;
    if (cfg->neural) {
        stk = malloc(m.n * sizeof *stk);
        if (!stk) {
            rc = cpe_diag_set(d, CPE_ENOMEM, "out of memory");
            goto out;
        }
        int hm = 0;
        for (int k = 0; k < cfg->ms.n_h; k++)
            hm = cfg->ms.horizons_h[k] > hm ? cfg->ms.horizons_h[k] : hm;
        cpe_ensfit_split(&m.v, rows, m.n, 0.25, (int64_t)hm * CPE_MS_PER_HOUR, hm, rows, &n_mem,
                         stk, &n_stk, &cutoff);
    }
    int64_t t1 = cpe_mono_ns();
    if ((rc = cpe_modelset_train(&res->ms, &m.v, rows, n_mem, cutoff, &cfg->ms, d))) {
        cpe_diag_prefix(d, "%s: ", sym);
        goto out;
    }
    if ((rc = fit_drift(&res->ms, &m.v, rows, n_mem, d))) goto out;
    int64_t t2 = cpe_mono_ns();
    cpe_registry_t r;
    cpe_registry_init(&r, cfg->models);
    if ((rc = cpe_registry_save(&r, sym, &res->ms, NULL, res->version, d))) goto out;
    snprintf(res->dir, sizeof res->dir, "%s/%s/%s", r.root, sym, res->version);
    if (cfg->neural &&
        (rc = train_neural(&m.v, rows, n_mem, stk, n_stk, cutoff, cfg, res->dir, res, d))) {
        cpe_diag_prefix(d, "%s: ", sym);
        goto out;
    }
    char champ[CPE_VERSION_MAX];
    if (cfg->champion == CPE_TRAIN_CHAMPION_ALWAYS || cpe_registry_champion(&r, sym, champ) != 0) {
        if ((rc = cpe_registry_set_champion(&r, sym, res->version, d))) goto out;
        res->champion = 1;
    }
    res->n_rows = m.n;
    res->n_features = m.ncol;
    res->first_row_ms = m.ts_ms[0];
    res->last_row_ms = m.ts_ms[m.n - 1];
    res->simulated = m.simulated;
    res->bar_ms = m.bar_ms;
    res->features_s = (double)(t1 - t0) / 1e9;
    res->train_s = (double)(t2 - t1) / 1e9;
out:
    free(rows);
    free(stk);
    cpe_mldata_free(&m);
    return rc;
}
