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
#include <time.h>

#define MD CPE_ENS_MAX_DIR
#define MV CPE_ENS_MAX_VAR
#define LAT_ROWS 400
#define LAT_CAP(plan) ((size_t)((plan)->n + 1) * (LAT_ROWS + 1))

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

static void members_of(const ens_models_t *m, cpe_ens_members_t *em)
{
    memset(em, 0, sizeof *em);
    em->ms = &m->ms;
    for (int i = 0; i < m->n_nn; i++)
        em->nn[em->n_nn++] = &m->nn[i];
}

static void models_free(ens_models_t *m)
{
    cpe_modelset_free(&m->ms);
    for (int i = 0; i < CPE_NN_NARCH; i++)
        cpe_nn_free(&m->nn[i]);
    memset(m, 0, sizeof *m);
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
    cpe_ensfit_split(v, r->train, r->n_train, frac, plan->purge_ms, hm, r->mem, &r->n_mem, r->stk,
                     &r->n_stk, &r->stack_from_ms);
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
                      const cpe_ens_stack_h_t *st, const double *base, int n_nn,
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
            cpe_ens_stack_apply(&st[k], zd, vv, &p[ens], &var[ens]);
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
static void add_weights(cpe_ens_h_t *h, const cpe_ens_stack_h_t *st, int nd)
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

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Latency of whole-ensemble predictions (all horizons) at up to LAT_ROWS test rows: wall
 * time into lat[], this thread's CPU time into cpu[]. */
static int time_rows(const cpe_mlview_t *v, const ens_rows_t *r, const cpe_ens_members_t *em,
                     const cpe_ens_stack_h_t *st, int nh, double *lat, double *cpu, size_t *nlat,
                     cpe_diag_t *d)
{
    ens_fc_t fc = {0};
    int rc = ens_fc_alloc(&fc, 1, (size_t)nh) ? CPE_ENOMEM : 0;
    size_t every = r->n_test / LAT_ROWS + 1;
    for (size_t t = 0; t < r->n_test && !rc; t += every) {
        int64_t t0 = cpe_mono_ns(), c0 = cpu_ns();
        if ((rc = ens_forecast_rows(v, em, &r->test[t], 1, &fc, d)) != 0) break;
        double p, var;
        for (int k = 0; k < nh; k++)
            cpe_ens_stack_apply(&st[k], fc.zd + (size_t)k * MD, fc.vv + (size_t)k * MV, &p, &var);
        cpu[*nlat] = (double)(cpu_ns() - c0) / 1e3;
        lat[(*nlat)++] = (double)(cpe_mono_ns() - t0) / 1e3;
    }
    ens_fc_free(&fc);
    return rc ? rc : 0;
}

/* One fold: train the members, fit the stackers, score the test rows, time predictions. */
static int run_fold(const cpe_mlview_t *v, const cpe_wf_plan_t *plan, int f,
                    const cpe_ensfit_config_t *c, const cpe_prediction_t *champ, size_t nchamp,
                    ens_rows_t *r, cpe_ens_result_t *res, ens_acc_t *acc, double *lat, size_t *nlat,
                    cpe_diag_t *d)
{
    const int nh = res->n_h;
    ens_models_t m;
    memset(&m, 0, sizeof m);
    cpe_ens_members_t em;
    ens_fc_t ft = {0};
    cpe_ens_stacker_t *st = malloc(sizeof *st);
    split_rows(v, plan, f, max_h(&c->ms), c->stack_frac, r);
    int64_t t0 = cpe_mono_ns();
    int rc = st ? train_members(v, r, c, &m, d) : CPE_ENOMEM;
    res->train_s += (double)(cpe_mono_ns() - t0) / 1e9;
    if (rc) goto out;
    members_of(&m, &em);
    if (ens_fc_alloc(&ft, r->n_test, (size_t)nh)) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "ensemble: out of memory");
        goto out;
    }
    if ((rc = cpe_ensfit_stack(v, &em, r->stk, r->n_stk, c->l2, st, d)) != 0 ||
        (rc = ens_forecast_rows(v, &em, r->test, r->n_test, &ft, d)) != 0)
        goto out;
    double base[CPE_MS_MAX_H];
    for (int k = 0; k < nh; k++) {
        int H = res->h[k].horizon_h;
        add_weights(&res->h[k], &st->h[k], res->n_dir);
        double up = 0, cnt = 0;
        for (size_t j = 0; j < r->n_train; j++) {
            double y = cpe_ml_label(v, r->train[j], H);
            if (!isnan(y)) up += y > 0, cnt += 1;
        }
        base[k] = cnt > 0 ? up / cnt : 0.5;
    }
    if ((rc = score_test(v, r, &ft, st->h, base, em.n_nn, champ, nchamp, res, acc)) != 0) {
        rc = cpe_diag_set(d, rc, "ensemble: out of memory");
        goto out;
    }
    for (int k = 0; k < m.ms.n_h; k++) /* as served: a loaded model predicts on one thread */
        if (cpe_gbt_set_threads(&m.ms.h[k].cls, 1) || cpe_gbt_set_threads(&m.ms.h[k].reg, 1)) {
            rc = cpe_diag_set(d, CPE_EMODEL, "ensemble: cannot set the trees' threads");
            goto out;
        }
    rc = time_rows(v, r, &em, st->h, nh, lat, lat + LAT_CAP(plan), nlat, d);
out:
    if (rc) cpe_diag_prefix(d, "ensemble walk-forward fold %d: ", f);
    ens_fc_free(&ft);
    models_free(&m);
    free(st);
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
    double *lat = malloc(2 * LAT_CAP(plan) * sizeof *lat); /* wall, then CPU */
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
    res->lat_n = nlat;
    for (int w = 0; w < 2; w++) {
        double *x = lat + (size_t)w * LAT_CAP(plan);
        qsort(x, nlat, sizeof *x, cmp_double);
        res->lat_p50_us[w] = nlat ? x[nlat / 2] : NAN;
        res->lat_p99_us[w] = nlat ? x[(size_t)(0.99 * (double)(nlat - 1) + 0.5)] : NAN;
    }
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
