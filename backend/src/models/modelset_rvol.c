/* modelset_rvol.c — training and forecasting of a model set's realized-volatility model
 * (rvol.h) from the rows of a view, and the per-row volatility forecasts of every horizon
 * (see cpe/modelset.h). */
#include "cpe/modelset.h"

#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpe_modelset_volfc(const cpe_modelset_t *ms, const double *x, int64_t t_close, const double *r,
                        size_t nr, cpe_volfc_t *fc)
{
    memset(fc, 0, sizeof *fc);
    fc->h_next = cpe_modelset_vol_state(ms, r, nr, &fc->ex);
    double ew = cpe_rvol_ewma_next(r, nr);
    fc->has_rvol = ms->rvol.ok && ms->rvol.n_h == ms->n_h;
    for (int k = 0; k < ms->n_h; k++) {
        int H = ms->h[k].horizon_h;
        fc->v_garch[k] =
            nr >= 24 && fc->h_next > 0 ? cpe_garch_forecast_sum(&ms->vol, fc->h_next, H) : NAN;
        fc->v_ewma[k] = ew * H;
        if (fc->has_rvol &&
            cpe_rvol_forecast(&ms->rvol, k, x, t_close, fc->v_garch[k], fc->v_ewma[k], &fc->var[k],
                              &fc->sd[k], &fc->nu[k]) != 0)
            fc->has_rvol = 0;
    }
}

void cpe_modelset_tcone_params(const cpe_modelset_t *ms, int k, const cpe_volfc_t *fc,
                               double move_raw, cpe_regime_t rg, double a1, double a2,
                               cpe_tcone_h_t *out)
{
    const cpe_regime_adjust_t *adj = cpe_regime_adjust(rg);
    /* extreme move in the last 24 h (spec: widen the cone): by the validated factor */
    double em = ms->rvol.h[k].ext_mult;
    double sd = fc->sd[k] * (fc->ex.flag && em > 1.0 ? em : 1.0);
    out->horizon_h = ms->h[k].horizon_h;
    out->sd = sd;
    out->nu = fc->nu[k];
    out->drift = cpe_modelset_move(ms, k, move_raw) +
                 (adj && ms->h[k].use_regime_drift ? adj->drift_sigma * sd : 0.0);
    out->a1 = a1;
    out->a2 = a2;
}

/* Rows of horizon H: labelled, label end <= cutoff; with the future RV and candidates. */
typedef struct hdata {
    size_t n, *row;
    int64_t *t;
    double *y, *rvn, *vg, *ve;
    unsigned char *ext; /* an extreme move in the 24 h before the row (validation rows) */
} hdata_t;

static void hdata_free(hdata_t *h)
{
    free(h->row);
    free(h->t);
    free(h->y);
    free(h->rvn);
    free(h->vg);
    free(h->ve);
    free(h->ext);
    memset(h, 0, sizeof *h);
}

static int hdata_build(const cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows,
                       size_t nrows, int64_t cutoff, int k, int col_next,
                       const cpe_modelset_config_t *cfg, hdata_t *h, double *ret)
{
    int H = ms->h[k].horizon_h;
    size_t cap = nrows ? nrows : 1;
    memset(h, 0, sizeof *h);
    h->row = malloc(cap * sizeof *h->row);
    h->t = malloc(cap * sizeof *h->t);
    h->y = malloc(cap * sizeof *h->y);
    h->rvn = malloc(cap * sizeof *h->rvn);
    h->vg = malloc(cap * sizeof *h->vg);
    h->ve = malloc(cap * sizeof *h->ve);
    h->ext = calloc(cap, 1);
    if (!h->row || !h->t || !h->y || !h->rvn || !h->vg || !h->ve || !h->ext) return CPE_ENOMEM;
    for (size_t r = 0; r < nrows; r++) {
        size_t i = rows[r];
        if (cpe_ml_label_end(v->ts_ms[i], H) > cutoff) continue;
        double y = cpe_ml_label(v, i, H);
        size_t j = cpe_ml_find(v, v->ts_ms[i] + (int64_t)H * CPE_MS_PER_HOUR);
        if (isnan(y) || j == (size_t)-1) continue;
        h->row[h->n] = i;
        h->t[h->n] = v->ts_ms[i] + CPE_MS_PER_MIN;
        h->y[h->n] = y;
        h->rvn[h->n] = col_next >= 0 ? v->X[j * v->ncol + (size_t)col_next] : NAN;
        h->n++;
    }
    size_t vf = h->n - h->n / 5;
    for (size_t a = 0; a < h->n; a++) { /* candidates on the validation rows only */
        h->vg[a] = h->ve[a] = NAN;
        if (a < vf) continue;
        size_t nr = cpe_ml_hourly_returns(v, h->row[a], (size_t)cfg->filter_hours, ret);
        cpe_extreme_t ex = {0};
        double hn = cpe_modelset_vol_state(ms, ret, nr, &ex);
        h->ext[a] = (unsigned char)ex.flag;
        if (nr >= 24 && hn > 0) h->vg[a] = cpe_garch_forecast_sum(&ms->vol, hn, H);
        h->ve[a] = cpe_rvol_ewma_next(ret, nr) * H;
    }
    return 0;
}

/* The feature column of the realized variance over a horizon ("realized_var_4h"), -1. */
static int horizon_col(const cpe_mlview_t *v, int H)
{
    char name[32];
    snprintf(name, sizeof name, "realized_var_%dh", H);
    for (size_t j = 0; j < v->ncol; j++)
        if (v->names[j] && !strcmp(v->names[j], name)) return (int)j;
    return -1;
}

/* 1 when some training row carries the 24 h realized variance (1m history). */
static int has_realized(const cpe_rvol_t *m, const cpe_mlview_t *v, const size_t *rows,
                        size_t nrows)
{
    for (size_t r = 0; r < nrows; r++)
        if (isfinite(v->X[rows[r] * v->ncol + (size_t)m->col[CPE_RVC_24H]])) return 1;
    return 0;
}

int cpe_modelset_train_rvol(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows,
                            size_t nrows, int64_t cutoff, const cpe_modelset_config_t *cfg,
                            cpe_diag_t *d)
{
    cpe_rvol_t *m = &ms->rvol;
    memset(m, 0, sizeof *m);
    cpe_diag_t quiet = {0};
    int rc = 0;
    if (cpe_rvol_bind(m, v->names, v->ncol, &quiet) != 0) return 0; /* no realized columns */
    for (int k = 0; k < ms->n_h; k++)
        if (horizon_col(v, ms->h[k].horizon_h) < 0) return 0; /* a horizon without its RV */
    m->no_har = !has_realized(m, v, rows, nrows); /* hourly history: GARCH-t as the base */
    int64_t *tc = malloc((nrows ? nrows : 1) * sizeof *tc);
    double *ret = malloc((size_t)(cfg->filter_hours > 24 ? cfg->filter_hours : 24) * sizeof *ret);
    hdata_t h = {0};
    if (!tc || !ret) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "realized volatility: out of memory");
        goto out;
    }
    for (size_t r = 0; r < nrows; r++)
        tc[r] = v->ts_ms[rows[r]] + CPE_MS_PER_MIN;
    if (!m->no_har && cpe_rvol_fit_season(m, v->X, v->ncol, rows, tc, nrows, &quiet) != 0)
        goto out; /* short */
    for (int k = 0; k < ms->n_h; k++) {
        int H = ms->h[k].horizon_h;
        int col = m->no_har ? -1 : horizon_col(v, H);
        if ((rc = hdata_build(ms, v, rows, nrows, cutoff, k, col, cfg, &h, ret)) != 0) {
            rc = cpe_diag_set(d, rc, "realized volatility: out of memory");
            goto out;
        }
        size_t vf = h.n - h.n / 5, nfit = 0;
        while (vf < h.n && nfit < vf && h.t[nfit] < h.t[vf] - (int64_t)H * CPE_MS_PER_HOUR)
            nfit++;
        cpe_rvol_data_t dt = {.n = h.n,
                              .ncol = v->ncol,
                              .n_fit = nfit,
                              .valid_from = vf,
                              .X = v->X,
                              .row = h.row,
                              .t_close_ms = h.t,
                              .y = h.y,
                              .rv_next = h.rvn,
                              .v_garch = h.vg,
                              .v_ewma = h.ve,
                              .extreme = h.ext};
        int r2 = cpe_rvol_fit_horizon(m, k, H, &dt, &quiet);
        hdata_free(&h);
        if (r2 == CPE_EDATA) goto out; /* too little realized history: GARCH cone */
        if (r2) {
            rc = cpe_diag_set(d, r2, "realized volatility %dh: %s", H, quiet.msg);
            goto out;
        }
    }
    m->ok = 1;
out:
    if (!m->ok) m->n_h = 0;
    hdata_free(&h);
    free(tc);
    free(ret);
    return rc;
}
