/* calib_report.c — coverage and reliability of the stored as-of predictions
 * (cpe/calib_report.h). */
#include "cpe/calib_report.h"
#include "cpe/barload.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cov_add(cpe_calrep_cov_t *c, int in1, int in2)
{
    c->n++;
    c->in1 += in1;
    c->in2 += in2;
}

static void cov_finish(cpe_calrep_cov_t *c)
{
    c->cov1 = c->n ? (double)c->in1 / (double)c->n : NAN;
    c->cov2 = c->n ? (double)c->in2 / (double)c->n : NAN;
}

static int finite_band(const cpe_prediction_t *p)
{
    return isfinite(p->p023) && isfinite(p->p159) && isfinite(p->p841) && isfinite(p->p977);
}

static int bin_of(double p)
{
    int b = (int)floor(p * CPE_CALREP_BINS);
    return b < 0 ? 0 : b >= CPE_CALREP_BINS ? CPE_CALREP_BINS - 1 : b;
}

/* Brier of the model and of the as-of base rate over the resolved directional outcomes
 * (issue and outcome times ascending, as the predictions are). */
static void brier(const int64_t *issue, const int64_t *outcome, const double *p, const int *up,
                  size_t n, cpe_calib_report_t *r)
{
    double sm = 0, sb = 0;
    size_t known = 0, ups = 0, nup = 0;
    for (size_t i = 0; i < n; i++) {
        while (known < i && outcome[known] <= issue[i]) ups += (size_t)up[known++];
        double base = known ? (double)ups / (double)known : 0.5;
        sm += (p[i] - up[i]) * (p[i] - up[i]);
        sb += (base - up[i]) * (base - up[i]);
        nup += (size_t)up[i];
    }
    r->n_dir = (int64_t)n;
    r->up_share = n ? (double)nup / (double)n : NAN;
    r->brier = n ? sm / (double)n : NAN;
    r->brier_base = n ? sb / (double)n : NAN;
}

int cpe_calib_report_compute(const cpe_prediction_t *preds, size_t np, const cpe_bar_t *bars,
                             size_t nb, int horizon_h, int64_t now_ms, int window_days,
                             cpe_calib_report_t *r)
{
    /* the directional outcomes, gathered in order for the as-of base rate */
    size_t cap = np ? np : 1;
    char *mem = malloc(cap * (2 * sizeof(int64_t) + sizeof(double) + sizeof(int)));
    if (!mem) return CPE_ENOMEM;
    int64_t *issue = (int64_t *)mem, *outc = issue + cap;
    double *pu = (double *)(outc + cap);
    int *up = (int *)(pu + cap);

    cpe_calib_report_t keep = *r; /* the caller's names */
    memset(r, 0, sizeof *r);
    memcpy(r->symbol, keep.symbol, sizeof r->symbol);
    memcpy(r->instrument, keep.instrument, sizeof r->instrument);
    r->simulated = keep.simulated;
    const int64_t hms = (int64_t)horizon_h * CPE_MS_PER_HOUR;
    const int64_t w_from = now_ms - (int64_t)window_days * CPE_MS_PER_DAY;
    r->horizon_h = horizon_h;
    r->now_ms = now_ms;
    r->window_days = window_days;
    r->short_days = window_days < CPE_CALREP_SHORT_DAYS ? window_days : CPE_CALREP_SHORT_DAYS;
    const int64_t s_from = now_ms - (int64_t)r->short_days * CPE_MS_PER_DAY;
    const int64_t day0 = cpe_day_start_ms(w_from + 1);
    r->ndays = (size_t)((cpe_day_start_ms(now_ms) - day0) / CPE_MS_PER_DAY) + 1;
    for (size_t k = 0; k < r->ndays; k++) r->day_ms[k] = day0 + (int64_t)k * CPE_MS_PER_DAY;

    size_t nd = 0, j = 0;
    double psum[CPE_CALREP_BINS] = {0}, usum[CPE_CALREP_BINS] = {0};
    for (size_t i = 0; i < np; i++) {
        const cpe_prediction_t *p = &preds[i];
        int64_t outcome = p->ts_ms + hms + CPE_MS_PER_MIN;
        if (outcome <= w_from) continue;
        r->n_read++;
        if (outcome > now_ms) {
            r->n_pending++;
            continue;
        }
        int64_t want = p->ts_ms + hms; /* open time of the bar closing at outcome */
        while (j < nb && bars[j].ts_ms < want) j++;
        if (j >= nb || bars[j].ts_ms != want || !isfinite(bars[j].close)) {
            r->n_missing++;
            continue;
        }
        double y = bars[j].close;
        r->n_resolved++;
        if (finite_band(p)) {
            int in1 = p->p159 <= y && y <= p->p841, in2 = p->p023 <= y && y <= p->p977;
            cov_add(&r->cov_window, in1, in2);
            if (outcome > s_from) cov_add(&r->cov_short, in1, in2);
            size_t k = (size_t)((cpe_day_start_ms(outcome) - day0) / CPE_MS_PER_DAY);
            if (k < r->ndays) cov_add(&r->daily[k], in1, in2);
        }
        if (isfinite(p->p_up)) {
            int b = bin_of(p->p_up);
            r->bins[b].n++;
            psum[b] += p->p_up;
            usum[b] += y > p->close;
            issue[nd] = p->ts_ms + CPE_MS_PER_MIN;
            outc[nd] = outcome;
            pu[nd] = p->p_up;
            up[nd++] = y > p->close;
        }
    }
    cov_finish(&r->cov_window);
    cov_finish(&r->cov_short);
    for (size_t k = 0; k < r->ndays; k++) cov_finish(&r->daily[k]);
    for (int b = 0; b < CPE_CALREP_BINS; b++) {
        int64_t n = r->bins[b].n;
        r->bins[b].mean_p = n ? psum[b] / (double)n : NAN;
        r->bins[b].up_share = n ? usum[b] / (double)n : NAN;
    }
    brier(issue, outc, pu, up, nd, r);
    free(mem);
    return 0;
}

int cpe_calib_report_build(cpe_store_t *st, const char *what, const int *horizons_h, size_t nh,
                           int64_t now_ms, int window_days, cpe_calib_report_t *out,
                           cpe_diag_t *d)
{
    if (window_days < 1 || window_days > CPE_CALREP_MAX_WINDOW_DAYS)
        return cpe_diag_set(d, CPE_EINVAL, "calibration window (%d days) must be 1..%d",
                            window_days, CPE_CALREP_MAX_WINDOW_DAYS);
    for (size_t i = 0; i < nh; i++)
        if (horizons_h[i] < 1 || horizons_h[i] > CPE_CONE_MAX_STEPS)
            return cpe_diag_set(d, CPE_EINVAL, "horizon (%d h) must be 1..%d", horizons_h[i],
                                CPE_CONE_MAX_STEPS);
    const int64_t w_from = now_ms - (int64_t)window_days * CPE_MS_PER_DAY;
    /* the outcome bars: open times in (w_from - 1 min, now - 1 min] */
    cpe_bar_t *bars = NULL;
    size_t nb = 0;
    cpe_barload_info_t info;
    int rc = cpe_load_bars(st, what, CPE_MS_PER_MIN, w_from - CPE_MS_PER_MIN + 1,
                           now_ms - CPE_MS_PER_MIN + 1, &bars, &nb, &info, d);
    if (rc) return rc;
    char sym[32];
    cpe_instrument_t in;
    if (cpe_instrument_parse(info.instrument, &in) == 0)
        snprintf(sym, sizeof sym, "%s", in.symbol);
    else
        cpe_asset_to_symbol(what, sym);
    for (size_t i = 0; i < nh && !rc; i++) {
        cpe_calib_report_t *r = &out[i];
        memset(r, 0, sizeof *r);
        snprintf(r->symbol, sizeof r->symbol, "%s", sym);
        snprintf(r->instrument, sizeof r->instrument, "%s", info.instrument);
        r->simulated = info.simulated;
        /* predictions with outcome after w_from: ts > w_from - H h - 1 min; up to now
         * (those not yet resolved are counted as pending) */
        int64_t hms = (int64_t)horizons_h[i] * CPE_MS_PER_HOUR;
        cpe_prediction_t *p = NULL;
        size_t np = 0;
        rc = st->ops->get_predictions(st, sym, horizons_h[i], w_from - hms - CPE_MS_PER_MIN + 1,
                                      now_ms + 1, &p, &np);
        if (rc)
            cpe_diag_set(d, rc, "predictions of %s at %d h: %s", sym, horizons_h[i],
                         st->diag.msg);
        else if ((rc = cpe_calib_report_compute(p, np, bars, nb, horizons_h[i], now_ms,
                                                window_days, r)))
            cpe_diag_set(d, rc, "out of memory for %zu predictions", np);
        free(p);
    }
    free(bars);
    return rc;
}

static void cov_fields(cpe_jw_t *w, const cpe_calrep_cov_t *c)
{
    cpe_jw_kint(w, "n", c->n);
    cpe_jw_knum(w, "sigma1", c->cov1);
    cpe_jw_knum(w, "sigma2", c->cov2);
}

static void cov_json(cpe_jw_t *w, const char *key, int days, const cpe_calrep_cov_t *c)
{
    cpe_jw_key(w, key);
    cpe_jw_obj(w);
    cpe_jw_kint(w, "days", days);
    cov_fields(w, c);
    cpe_jw_kint(w, "in_sigma1", c->in1);
    cpe_jw_kint(w, "in_sigma2", c->in2);
    cpe_jw_end(w);
}

void cpe_calib_report_json(cpe_jw_t *w, const cpe_calib_report_t *r)
{
    char key[16], day[32];
    cpe_jw_obj(w);
    cpe_jw_kint(w, "horizon_hours", r->horizon_h);
    cpe_jw_kint(w, "predictions", r->n_read);
    cpe_jw_kint(w, "resolved", r->n_resolved);
    cpe_jw_kint(w, "pending", r->n_pending);
    cpe_jw_kint(w, "missing_outcome", r->n_missing);
    cpe_jw_key(w, "targets");
    cpe_jw_obj(w);
    cpe_jw_knum(w, "sigma1", CPE_CALREP_TARGET_1S);
    cpe_jw_knum(w, "sigma2", CPE_CALREP_TARGET_2S);
    cpe_jw_end(w);
    cpe_jw_key(w, "coverage");
    cpe_jw_obj(w);
    snprintf(key, sizeof key, "%dd", r->short_days);
    cov_json(w, key, r->short_days, &r->cov_short);
    snprintf(key, sizeof key, "%dd", r->window_days);
    if (r->window_days != r->short_days) cov_json(w, key, r->window_days, &r->cov_window);
    cpe_jw_end(w);
    cpe_jw_key(w, "daily");
    cpe_jw_arr(w);
    for (size_t k = 0; k < r->ndays; k++) {
        cpe_jw_obj(w);
        cpe_format_iso8601(r->day_ms[k], day);
        day[10] = 0;
        cpe_jw_kstr(w, "day", day);
        cpe_jw_kint(w, "t_ms", r->day_ms[k]);
        cov_fields(w, &r->daily[k]);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_key(w, "reliability");
    cpe_jw_obj(w);
    cpe_jw_kint(w, "n", r->n_dir);
    cpe_jw_knum(w, "up_share", r->up_share);
    cpe_jw_knum(w, "brier", r->brier);
    cpe_jw_knum(w, "brier_base", r->brier_base);
    cpe_jw_key(w, "bins");
    cpe_jw_arr(w);
    for (int b = 0; b < CPE_CALREP_BINS; b++) {
        cpe_jw_obj(w);
        cpe_jw_knum(w, "lo", (double)b / CPE_CALREP_BINS);
        cpe_jw_knum(w, "hi", (double)(b + 1) / CPE_CALREP_BINS);
        cpe_jw_kint(w, "n", r->bins[b].n);
        cpe_jw_knum(w, "mean_p", r->bins[b].mean_p);
        cpe_jw_knum(w, "up_share", r->bins[b].up_share);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_end(w);
    cpe_jw_end(w);
}
