/* ensfit_stack.c — the members' forecasts at a set of rows and the stacker fitted on them,
 * shared by the ensemble walk-forward (ensfit.c) and `cpe train --neural` (trainer.c); the
 * stacker's registry file ensemble.json (see cpe/ensfit.h). */
#include "cpe/ensfit.h"

#include "ens_int.h"
#include "wf_int.h"

#include "cpe/buf.h"
#include "cpe/json.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MD CPE_ENS_MAX_DIR
#define MV CPE_ENS_MAX_VAR

int ens_forecast_rows(const cpe_mlview_t *v, const cpe_ens_members_t *em, const size_t *rows,
                      size_t n, ens_fc_t *fc, cpe_diag_t *d)
{
    const cpe_modelset_t *ms = em->ms;
    const size_t nh = (size_t)ms->n_h, m = n ? n : 1;
    const size_t fh = ms->filter_hours > 24 ? (size_t)ms->filter_hours : 24;
    double *X = calloc(m * v->ncol, sizeof *X), *pup = malloc(m * nh * sizeof *pup);
    double *nnp = malloc(m * nh * 2 * sizeof *nnp), *ret = malloc(fh * sizeof *ret);
    int rc = 0;
    if (!X || !pup || !nnp || !ret) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "ensemble: out of memory");
        goto out;
    }
    for (size_t t = 0; t < n; t++)
        memcpy(X + t * v->ncol, v->X + rows[t] * v->ncol, v->ncol * sizeof *X);
    if ((rc = cpe_modelset_predict(ms, X, n, NULL, pup, NULL)) != 0) {
        rc = cpe_diag_set(d, rc, "ensemble: the trees' prediction failed");
        goto out;
    }
    for (size_t t = 0; t < n; t++) {
        size_t i = rows[t], nr = cpe_ml_hourly_returns(v, i, fh, ret);
        cpe_volfc_t vf;
        cpe_modelset_volfc(ms, X + t * v->ncol, v->ts_ms[i] + CPE_MS_PER_MIN, ret, nr, &vf);
        double sd24 = nr >= 24 ? wf_sdev(ret + nr - 24, 24) : NAN;
        for (size_t k = 0; k < nh; k++) {
            size_t at = t * nh + k;
            fc->zd[at * MD] = cpe_stack_logit(pup[k * n + t]);
            fc->vv[at * MV] = vf.has_rvol ? vf.var[k] : NAN;
            fc->vv[at * MV + 1] = vf.v_garch[k];
            fc->vv[at * MV + 2] = vf.v_ewma[k];
            fc->cv[at] = sd24 * sd24 * ms->h[k].horizon_h;
        }
    }
    for (int a = 0; a < em->n_nn; a++) {
        double *np = nnp, *nv = nnp + m * nh;
        if (n &&
            (rc = cpe_nn_predict(em->nn[a], v->X, v->n, v->ncol, rows, n, np, NULL, nv, d)) != 0)
            goto out;
        for (size_t t = 0; t < n; t++)
            for (size_t k = 0; k < nh; k++) {
                size_t at = t * nh + k;
                fc->zd[at * MD + 1 + (size_t)a] = cpe_stack_logit(np[k * n + t]);
                fc->vv[at * MV + CPE_ENS_NVOL + (size_t)a] = nv[k * n + t];
            }
    }
out:
    free(X);
    free(pup);
    free(nnp);
    free(ret);
    return rc;
}

int ens_fc_alloc(ens_fc_t *fc, size_t n, size_t nh)
{
    size_t m = (n ? n : 1) * nh;
    fc->zd = malloc(m * MD * sizeof *fc->zd);
    fc->vv = malloc(m * MV * sizeof *fc->vv);
    fc->cv = malloc(m * sizeof *fc->cv);
    return fc->zd && fc->vv && fc->cv ? 0 : CPE_ENOMEM;
}

void ens_fc_free(ens_fc_t *fc)
{
    free(fc->zd);
    free(fc->vv);
    free(fc->cv);
}

/* One horizon's stacker over the forecasts fc of rows[n] (horizon index k of nh). */
static int fit_stack(const cpe_mlview_t *v, const size_t *rows, size_t n, const ens_fc_t *fc, int k,
                     int H, int nh, int nd, int nv, double l2, cpe_ens_stack_h_t *st, cpe_diag_t *d)
{
    size_t m = n ? n : 1, present[MV] = {0}, nl = 0, nvr = 0;
    double *z = malloc(m * MD * sizeof *z), *vr = malloc(m * MV * sizeof *vr);
    double *y2 = malloc(m * sizeof *y2);
    unsigned char *up = malloc(m);
    int rc = 0;
    memset(st, 0, sizeof *st);
    if (!z || !vr || !y2 || !up) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "ensemble: out of memory");
        goto out;
    }
    for (size_t t = 0; t < n; t++) {
        const double *vv = fc->vv + (t * (size_t)nh + (size_t)k) * MV;
        if (isnan(cpe_ml_label(v, rows[t], H))) continue;
        nl++;
        for (int j = 0; j < nv; j++)
            present[j] += isfinite(vv[j]) && vv[j] > 0;
    }
    for (int j = 0; j < nv; j++)
        if ((double)present[j] >= 0.9 * (double)nl) st->used[st->n_used++] = j;
    nl = 0;
    for (size_t t = 0; t < n; t++) {
        size_t at = t * (size_t)nh + (size_t)k;
        double y = cpe_ml_label(v, rows[t], H);
        if (isnan(y)) continue;
        memcpy(z + nl * (size_t)nd, fc->zd + at * MD, (size_t)nd * sizeof *z);
        up[nl++] = y > 0;
        int ok = 1;
        for (int u = 0; u < st->n_used; u++) {
            double x = fc->vv[at * MV + (size_t)st->used[u]];
            ok &= isfinite(x) && x > 0;
            vr[nvr * (size_t)st->n_used + (size_t)u] = x;
        }
        if (ok) y2[nvr++] = y * y;
    }
    if ((rc = cpe_stack_fit_dir(z, nl, nd, up, l2, &st->dir, d)) != 0 ||
        (st->n_used && (rc = cpe_stack_fit_var(vr, nvr, st->n_used, y2, &st->var, d)) != 0))
        cpe_diag_prefix(d, "ensemble stacker, %d h: ", H);
out:
    free(z);
    free(vr);
    free(y2);
    free(up);
    return rc;
}

void cpe_ens_stack_apply(const cpe_ens_stack_h_t *st, const double *zd, const double *vv, double *p,
                         double *var)
{
    double x[MV];
    *p = cpe_stack_dir_p(&st->dir, zd);
    for (int u = 0; u < st->n_used; u++)
        x[u] = vv[st->used[u]];
    *var = st->n_used ? cpe_stack_var(&st->var, x) : NAN;
}

void cpe_ensfit_split(const cpe_mlview_t *v, const size_t *rows, size_t n, double frac,
                      int64_t purge_ms, int max_h, size_t *mem, size_t *n_mem, size_t *stk,
                      size_t *n_stk, int64_t *stack_from_ms)
{
    *n_mem = *n_stk = 0;
    *stack_from_ms = 0;
    if (!n) return;
    int64_t t0 = v->ts_ms[rows[0]], t1 = v->ts_ms[rows[n - 1]];
    int64_t from = t1 - (int64_t)(frac * (double)(t1 - t0));
    *stack_from_ms = from;
    for (size_t j = 0; j < n; j++) {
        size_t i = rows[j];
        int64_t ts = v->ts_ms[i];
        if (ts >= from)
            stk[(*n_stk)++] = i;
        else if (ts < from - purge_ms && cpe_ml_label_end(ts, max_h) <= from)
            mem[(*n_mem)++] = i;
    }
}

int cpe_ensfit_stack(const cpe_mlview_t *v, const cpe_ens_members_t *em, const size_t *rows,
                     size_t n, double l2, cpe_ens_stacker_t *s, cpe_diag_t *d)
{
    memset(s, 0, sizeof *s);
    const int nh = em->ms->n_h;
    s->n_h = nh;
    s->n_dir = 1 + em->n_nn;
    s->n_var = CPE_ENS_NVOL + em->n_nn;
    s->n_rows = n;
    ens_fc_t fc = {0};
    int rc = ens_fc_alloc(&fc, n, (size_t)nh)
                 ? cpe_diag_set(d, CPE_ENOMEM, "ensemble: out of memory")
                 : ens_forecast_rows(v, em, rows, n, &fc, d);
    for (int k = 0; k < nh && !rc; k++) {
        s->horizon_h[k] = em->ms->h[k].horizon_h;
        rc =
            fit_stack(v, rows, n, &fc, k, s->horizon_h[k], nh, s->n_dir, s->n_var, l2, &s->h[k], d);
    }
    ens_fc_free(&fc);
    return rc;
}

double cpe_ens_var_weight(const cpe_ens_stack_h_t *h, int j)
{
    for (int u = 0; u < h->n_used; u++)
        if (h->used[u] == j) return h->var.w[u];
    return 0;
}

int cpe_ens_nn_used(const cpe_ens_stacker_t *s, int i)
{
    for (int k = 0; k < s->n_h; k++)
        if (s->h[k].dir.w[1 + i] > 0 || cpe_ens_var_weight(&s->h[k], CPE_ENS_NVOL + i) > 0)
            return 1;
    return 0;
}

int cpe_ensfit_save_json(const cpe_ens_stacker_t *s, const char *const *member_names,
                         const char *path, cpe_diag_t *d)
{
    static const char *const vol[CPE_ENS_NVOL] = {"realized-vol", "garch-t", "ewma"};
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kint(&w, "stack_rows", (int64_t)s->n_rows);
    cpe_jw_kint(&w, "stack_from_ms", s->stack_from_ms);
    cpe_jw_key(&w, "members");
    cpe_jw_arr(&w);
    for (int j = 0; j < s->n_var; j++) {
        int nn = j >= CPE_ENS_NVOL;
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "name", nn ? member_names[j - CPE_ENS_NVOL] : vol[j]);
        cpe_jw_kstr(&w, "kind", nn ? "neural" : j == 0 ? "trees+realized-vol" : "volatility");
        cpe_jw_kbool(&w, "loaded", !nn || cpe_ens_nn_used(s, j - CPE_ENS_NVOL));
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_key(&w, "horizons");
    cpe_jw_arr(&w);
    for (int k = 0; k < s->n_h; k++) {
        const cpe_ens_stack_h_t *h = &s->h[k];
        double wv[CPE_ENS_MAX_VAR];
        for (int j = 0; j < s->n_var; j++)
            wv[j] = cpe_ens_var_weight(h, j);
        cpe_jw_obj(&w);
        cpe_jw_kint(&w, "horizon_h", s->horizon_h[k]);
        cpe_jw_knum(&w, "direction_intercept", h->dir.b0);
        cpe_jw_key(&w, "direction_weights"); /* trees, then the networks in member order */
        cpe_jw_num_array(&w, h->dir.w, (size_t)s->n_dir);
        cpe_jw_key(&w, "variance_weights"); /* the members' order */
        cpe_jw_num_array(&w, wv, (size_t)s->n_var);
        cpe_jw_knum(&w, "stack_logloss", h->dir.logloss);
        cpe_jw_knum(&w, "stack_qlike", h->var.qlike);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    int rc = 0;
    FILE *f = w.err ? NULL : fopen(path, "w");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fputc('\n', f) == EOF)
        rc = cpe_diag_set(d, CPE_EIO, "%s: cannot write the ensemble", path);
    if (f && fclose(f) != 0 && !rc) rc = cpe_diag_set(d, CPE_EIO, "%s: cannot close", path);
    cpe_buf_free(&b);
    return rc;
}
