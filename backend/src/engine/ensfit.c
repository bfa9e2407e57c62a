/* ensfit.c — the ensemble walk-forward: member rows, stack rows, the members' forecasts,
 * the stacker per horizon and the scored test rows (see cpe/ensfit.h). */
#include "cpe/ensfit.h"

#include "ens_int.h"
#include "wf_int.h"

#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MD CPE_ENS_MAX_DIR
#define MV CPE_ENS_MAX_VAR
#define LAT_ROWS 400

void cpe_ensfit_config_default(cpe_ensfit_config_t *c, const cpe_modelset_config_t *ms,
                               unsigned nn_mask)
{
    memset(c, 0, sizeof *c);
    c->ms = *ms;
    c->nn_mask = nn_mask;
    for (int a = 0; a < CPE_NN_NARCH; a++)
        cpe_nnfit_config_default(&c->nn[a], (cpe_nn_arch_t)a, ms);
    c->stack_frac = 0.25;
    c->l2 = 1e-3;
}

/* The members of one fold. */
typedef struct ens_models {
    cpe_modelset_t ms;
    int n_nn;
    cpe_nn_t nn[CPE_NN_NARCH];
} ens_models_t;

static void models_free(ens_models_t *m)
{
    cpe_modelset_free(&m->ms);
    for (int i = 0; i < CPE_NN_NARCH; i++)
        cpe_nn_free(&m->nn[i]);
    memset(m, 0, sizeof *m);
}

/* The members' forecasts at rows[n], per row t and horizon k (at = t * nh + k):
 * zd[at * MD + j] the direction logits, vv[at * MV + j] the variances (NaN: none),
 * cv[at] the const-vol baseline's variance (NaN without 24 hourly returns). */
typedef struct ens_fc {
    double *zd, *vv, *cv;
} ens_fc_t;

static int forecast_rows(const cpe_mlview_t *v, const ens_models_t *em, const size_t *rows,
                         size_t n, ens_fc_t *fc, cpe_diag_t *d)
{
    const cpe_modelset_t *ms = &em->ms;
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
            (rc = cpe_nn_predict(&em->nn[a], v->X, v->n, v->ncol, rows, n, np, NULL, nv, d)) != 0)
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

static int fc_alloc(ens_fc_t *fc, size_t n, size_t nh)
{
    size_t m = (n ? n : 1) * nh;
    fc->zd = malloc(m * MD * sizeof *fc->zd);
    fc->vv = malloc(m * MV * sizeof *fc->vv);
    fc->cv = malloc(m * sizeof *fc->cv);
    return fc->zd && fc->vv && fc->cv ? 0 : CPE_ENOMEM;
}

static void fc_free(ens_fc_t *fc)
{
    free(fc->zd);
    free(fc->vv);
    free(fc->cv);
}

/* One horizon's stacker: direction over every member, variance over the members present
 * on >= 90 % of the labelled stack rows (the others keep weight 0). */
typedef struct ens_stack {
    cpe_stack_dir_t dir;
    cpe_stack_var_t var; /* over the used members, in order */
    int n_used, used[MV];
} ens_stack_t;

static int fit_stack(const cpe_mlview_t *v, const size_t *rows, size_t n, const ens_fc_t *fc, int k,
                     int H, int nh, int nd, int nv, double l2, ens_stack_t *st, cpe_diag_t *d)
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

/* The ensemble's p_up and variance at one row and horizon. */
static void stack_apply(const ens_stack_t *st, const double *zd, const double *vv, double *p,
                        double *var)
{
    double x[MV];
    *p = cpe_stack_dir_p(&st->dir, zd);
    for (int u = 0; u < st->n_used; u++)
        x[u] = vv[st->used[u]];
    *var = st->n_used ? cpe_stack_var(&st->var, x) : NAN;
}

static int max_h(const cpe_modelset_config_t *ms)
{
    int m = 0;
    for (int k = 0; k < ms->n_h; k++)
        if (ms->horizons_h[k] > m) m = ms->horizons_h[k];
    return m;
}

/* A fold's rows: its training rows split into member rows and stack rows (the top
 * comment of ensfit.h), and its test rows. */
typedef struct ens_rows {
    size_t *mem, *stk, *test, *train;
    size_t n_mem, n_stk, n_test, n_train;
    int64_t stack_from_ms;
} ens_rows_t;

static void split_rows(const cpe_mlview_t *v, const cpe_wf_plan_t *plan, int f, int hm, double frac,
                       ens_rows_t *r)
{
    const cpe_wf_fold_t *fo = &plan->f[f];
    r->n_mem = r->n_stk = r->n_test = r->n_train = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (cpe_wf_is_train_row(plan, f, v->ts_ms[i], hm))
            r->train[r->n_train++] = i;
        else if (v->ts_ms[i] >= fo->test_from_ms && v->ts_ms[i] < fo->test_to_ms)
            r->test[r->n_test++] = i;
    }
    if (!r->n_train) return;
    int64_t t0 = v->ts_ms[r->train[0]], t1 = v->ts_ms[r->train[r->n_train - 1]];
    r->stack_from_ms = t1 - (int64_t)(frac * (double)(t1 - t0));
    for (size_t j = 0; j < r->n_train; j++) {
        size_t i = r->train[j];
        int64_t ts = v->ts_ms[i];
        if (ts >= r->stack_from_ms)
            r->stk[r->n_stk++] = i;
        else if (ts < r->stack_from_ms - plan->purge_ms &&
                 cpe_ml_label_end(ts, hm) <= r->stack_from_ms)
            r->mem[r->n_mem++] = i;
    }
}

static int train_members(const cpe_mlview_t *v, const ens_rows_t *r, const cpe_ensfit_config_t *c,
                         ens_models_t *em, cpe_diag_t *d)
{
    int rc = cpe_modelset_train(&em->ms, v, r->mem, r->n_mem, r->stack_from_ms, &c->ms, d);
    if (rc) return rc;
    for (int a = 0; a < CPE_NN_NARCH; a++) {
        if (!(c->nn_mask & (1u << a))) continue;
        if ((rc = cpe_nnfit_train(&em->nn[em->n_nn], v, r->mem, r->n_mem, r->stack_from_ms,
                                  &c->nn[a], d)) != 0)
            return rc;
        em->n_nn++;
    }
    return 0;
}

/* The champion's record of (ts, horizon), or NULL (records ascend by ts). */
static const cpe_prediction_t *champ_find(const cpe_prediction_t *r, size_t n, int64_t ts, int H)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].ts_ms < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n && r[lo].ts_ms == ts; lo++)
        if (r[lo].horizon_h == H) return &r[lo];
    return NULL;
}

static double sigm(double z)
{
    return 1 / (1 + exp(-z));
}

/* Score the fold's test rows: every line at every horizon. */
static int score_test(const cpe_mlview_t *v, const ens_rows_t *r, const ens_fc_t *fc,
                      const ens_stack_t *st, const double *base, int n_nn,
                      const cpe_prediction_t *champ, size_t nchamp, cpe_ens_result_t *res,
                      ens_acc_t *acc)
{
    const int nh = res->n_h, ens = CPE_ENS_NVOL + n_nn;
    for (size_t t = 0; t < r->n_test; t++)
        for (int k = 0; k < nh; k++) {
            size_t i = r->test[t], at = t * (size_t)nh + (size_t)k;
            int H = res->h[k].horizon_h;
            double y = cpe_ml_label(v, i, H);
            const cpe_prediction_t *cp = champ_find(champ, nchamp, v->ts_ms[i], H);
            const double *zd = fc->zd + at * MD, *vv = fc->vv + at * MV;
            double p[CPE_ENS_MAX_LINES], var[CPE_ENS_MAX_LINES];
            for (int l = 0; l < CPE_ENS_MAX_LINES; l++)
                p[l] = var[l] = NAN;
            stack_apply(&st[k], zd, vv, &p[ens], &var[ens]);
            if (isnan(y) || !cp || !(fc->cv[at] > 0) || !(var[ens] > 0)) continue;
            p[0] = sigm(zd[0]);
            for (int j = 0; j < CPE_ENS_NVOL; j++)
                var[j] = vv[j];
            for (int a = 0; a < n_nn; a++) {
                p[CPE_ENS_NVOL + a] = sigm(zd[1 + a]);
                var[CPE_ENS_NVOL + a] = vv[CPE_ENS_NVOL + a];
            }
            p[ens + 1] = base[k], var[ens + 1] = fc->cv[at];
            p[ens + 2] = cp->p_up, var[ens + 2] = cp->volatility * cp->volatility;
            if (ens_acc_push(&acc[k], y, p, var)) return CPE_ENOMEM;
        }
    return 0;
}

/* Stacker weights of a fold into the result's running sums. */
static void add_weights(cpe_ens_h_t *h, const ens_stack_t *st, int nd)
{
    for (int j = 0; j < nd; j++) {
        h->w_dir[j] += st->dir.w[j];
        h->nz_dir[j] += st->dir.w[j] > 0;
    }
    h->b0 += st->dir.b0;
    double sum = 0;
    for (int u = 0; u < st->n_used; u++)
        sum += st->var.w[u];
    for (int u = 0; u < st->n_used && sum > 0; u++) {
        h->w_var[st->used[u]] += st->var.w[u] / sum;
        h->nz_var[st->used[u]] += st->var.w[u] > 0;
    }
    h->var_sum += sum;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Latency of whole-ensemble predictions (all horizons) at up to LAT_ROWS test rows. */
static int time_rows(const cpe_mlview_t *v, const ens_rows_t *r, const ens_models_t *em,
                     const ens_stack_t *st, int nh, double *lat, size_t *nlat, cpe_diag_t *d)
{
    ens_fc_t fc = {0};
    int rc = fc_alloc(&fc, 1, (size_t)nh) ? CPE_ENOMEM : 0;
    size_t every = r->n_test / LAT_ROWS + 1;
    for (size_t t = 0; t < r->n_test && !rc; t += every) {
        int64_t t0 = cpe_mono_ns();
        if ((rc = forecast_rows(v, em, &r->test[t], 1, &fc, d)) != 0) break;
        double p, var;
        for (int k = 0; k < nh; k++)
            stack_apply(&st[k], fc.zd + (size_t)k * MD, fc.vv + (size_t)k * MV, &p, &var);
        lat[(*nlat)++] = (double)(cpe_mono_ns() - t0) / 1e3;
    }
    fc_free(&fc);
    return rc ? rc : 0;
}

/* One fold: train the members, fit the stackers, score the test rows, time predictions. */
static int run_fold(const cpe_mlview_t *v, const cpe_wf_plan_t *plan, int f,
                    const cpe_ensfit_config_t *c, const cpe_prediction_t *champ, size_t nchamp,
                    ens_rows_t *r, cpe_ens_result_t *res, ens_acc_t *acc, double *lat, size_t *nlat,
                    cpe_diag_t *d)
{
    const int nh = res->n_h, hm = max_h(&c->ms), nd = res->n_dir, nv = res->n_var;
    ens_models_t em;
    memset(&em, 0, sizeof em);
    ens_fc_t fs = {0}, ft = {0};
    ens_stack_t st[CPE_MS_MAX_H];
    split_rows(v, plan, f, hm, c->stack_frac, r);
    int64_t t0 = cpe_mono_ns();
    int rc = train_members(v, r, c, &em, d);
    res->train_s += (double)(cpe_mono_ns() - t0) / 1e9;
    if (rc) goto out;
    if (fc_alloc(&fs, r->n_stk, (size_t)nh) || fc_alloc(&ft, r->n_test, (size_t)nh)) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "ensemble: out of memory");
        goto out;
    }
    if ((rc = forecast_rows(v, &em, r->stk, r->n_stk, &fs, d)) != 0 ||
        (rc = forecast_rows(v, &em, r->test, r->n_test, &ft, d)) != 0)
        goto out;
    double base[CPE_MS_MAX_H];
    for (int k = 0; k < nh; k++) {
        int H = res->h[k].horizon_h;
        if ((rc = fit_stack(v, r->stk, r->n_stk, &fs, k, H, nh, nd, nv, c->l2, &st[k], d)) != 0)
            goto out;
        add_weights(&res->h[k], &st[k], nd);
        double up = 0, cnt = 0;
        for (size_t j = 0; j < r->n_train; j++) {
            double y = cpe_ml_label(v, r->train[j], H);
            if (!isnan(y)) up += y > 0, cnt += 1;
        }
        base[k] = cnt > 0 ? up / cnt : 0.5;
    }
    if ((rc = score_test(v, r, &ft, st, base, em.n_nn, champ, nchamp, res, acc)) != 0) {
        rc = cpe_diag_set(d, rc, "ensemble: out of memory");
        goto out;
    }
    rc = time_rows(v, r, &em, st, nh, lat, nlat, d);
out:
    if (rc) cpe_diag_prefix(d, "ensemble walk-forward fold %d: ", f);
    fc_free(&fs);
    fc_free(&ft);
    models_free(&em);
    return rc;
}

static void name_lines(const cpe_ensfit_config_t *c, cpe_ens_result_t *res)
{
    static const char *const vol[CPE_ENS_NVOL] = {"realized-vol", "garch-t", "ewma"};
    res->n_dir = 1;
    res->n_var = CPE_ENS_NVOL;
    snprintf(res->dir_name[0], sizeof res->dir_name[0], "trees");
    for (int j = 0; j < CPE_ENS_NVOL; j++)
        snprintf(res->var_name[j], sizeof res->var_name[j], "%s", vol[j]);
    for (int a = 0; a < CPE_NN_NARCH; a++) {
        if (!(c->nn_mask & (1u << a))) continue;
        const char *nm = cpe_nn_arch_name((cpe_nn_arch_t)a);
        snprintf(res->dir_name[res->n_dir++], sizeof res->dir_name[0], "%s", nm);
        snprintf(res->var_name[res->n_var++], sizeof res->var_name[0], "%s", nm);
    }
    static const char *const tail[3] = {"ensemble", "base rate / cv24h", "champion"};
    for (int k = 0; k < res->n_h; k++) {
        cpe_ens_h_t *h = &res->h[k];
        h->n_lines = res->n_var + 3;
        for (int l = 0; l < h->n_lines; l++) {
            cpe_ens_line_t *ln = &h->line[l];
            if (l < res->n_var) {
                snprintf(ln->name, sizeof ln->name, "%s%s", l == 0 ? "trees + " : "",
                         res->var_name[l]);
                ln->has_dir = l == 0 || l >= CPE_ENS_NVOL;
            } else {
                snprintf(ln->name, sizeof ln->name, "%s", tail[l - res->n_var]);
                ln->has_dir = 1;
            }
            ln->has_var = 1;
        }
    }
}

int cpe_ensfit_wf(const cpe_mlview_t *v, const cpe_wf_plan_t *plan, const cpe_ensfit_config_t *c,
                  const cpe_prediction_t *champ, size_t nchamp, cpe_ens_result_t *res,
                  void (*progress)(int fold, int n_folds, void *ctx), void *ctx, cpe_diag_t *d)
{
    memset(res, 0, sizeof *res);
    if (!(c->stack_frac > 0 && c->stack_frac < 1) || c->ms.n_h < 1 || c->ms.n_h > CPE_MS_MAX_H)
        return cpe_diag_set(d, CPE_EINVAL, "ensemble: stack_frac %g must be in (0, 1)",
                            c->stack_frac);
    res->n_h = c->ms.n_h;
    for (int k = 0; k < res->n_h; k++)
        res->h[k].horizon_h = c->ms.horizons_h[k];
    name_lines(c, res);
    ens_acc_t acc[CPE_MS_MAX_H];
    memset(acc, 0, sizeof acc);
    size_t m = v->n ? v->n : 1, nlat = 0;
    ens_rows_t r = {.mem = malloc(m * sizeof(size_t)),
                    .stk = malloc(m * sizeof(size_t)),
                    .test = malloc(m * sizeof(size_t)),
                    .train = malloc(m * sizeof(size_t))};
    double *lat = malloc((size_t)(plan->n + 1) * (LAT_ROWS + 1) * sizeof *lat);
    int rc = 0;
    if (!r.mem || !r.stk || !r.test || !r.train || !lat) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "ensemble: out of memory");
        goto out;
    }
    for (int f = 0; f < plan->n; f++) {
        if (progress) progress(f, plan->n, ctx);
        if ((rc = run_fold(v, plan, f, c, champ, nchamp, &r, res, acc, lat, &nlat, d)) != 0)
            goto out;
        res->n_folds = f + 1;
    }
    double rph = v->n > 1 && v->ts_ms[1] > v->ts_ms[0]
                     ? (double)CPE_MS_PER_HOUR / (double)(v->ts_ms[1] - v->ts_ms[0])
                     : 12;
    const int ens = res->n_var;
    for (int k = 0; k < res->n_h; k++) {
        cpe_ens_h_t *h = &res->h[k];
        ens_acc_finish(&acc[k], h, ens, ens + 1, ens + 2, rph);
        double nf = res->n_folds ? res->n_folds : 1;
        for (int j = 0; j < res->n_dir; j++)
            h->w_dir[j] /= nf;
        for (int j = 0; j < res->n_var; j++)
            h->w_var[j] /= nf;
        h->b0 /= nf, h->var_sum /= nf;
    }
    qsort(lat, nlat, sizeof *lat, cmp_double);
    res->lat_n = nlat;
    res->lat_p50_us = nlat ? lat[nlat / 2] : NAN;
    res->lat_p99_us = nlat ? lat[(size_t)(0.99 * (double)(nlat - 1) + 0.5)] : NAN;
out:
    for (int k = 0; k < CPE_MS_MAX_H; k++)
        ens_acc_free(&acc[k]);
    free(r.mem);
    free(r.stk);
    free(r.test);
    free(r.train);
    free(lat);
    return rc;
}
