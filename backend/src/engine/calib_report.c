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

/* The report being accumulated over predictions fed in ts order. The as-of base rate
 * needs, for each prediction, the outcomes already known when it was made: resolved
 * outcomes wait in a queue (outcome order = ts order within one horizon) and are counted
 * once their outcome time is <= the next prediction's issue time. */
typedef struct acc {
    cpe_calib_report_t *r;
    const cpe_bar_t *bars;
    size_t nb, j; /* j: the bar cursor, moving forward only */
    int64_t hms, w_from, s_from, day0;
    double psum[CPE_CALREP_BINS], usum[CPE_CALREP_BINS];
    double sm, sb;          /* Brier sums of the model and of the base rate */
    size_t known, ups, nup; /* outcomes counted into the base rate; their ups; all ups */
    int64_t *q_out;         /* queue of resolved outcome times ... */
    unsigned char *q_up;    /* ... and whether each went up */
    size_t q_len, q_cap;
} acc_t;

static void acc_init(acc_t *a, cpe_calib_report_t *r, const cpe_bar_t *bars, size_t nb,
                     int horizon_h, int64_t now_ms, int window_days)
{
    cpe_calib_report_t keep = *r; /* the caller's names */
    memset(r, 0, sizeof *r);
    memcpy(r->symbol, keep.symbol, sizeof r->symbol);
    memcpy(r->instrument, keep.instrument, sizeof r->instrument);
    r->simulated = keep.simulated;
    r->horizon_h = horizon_h;
    r->now_ms = now_ms;
    r->window_days = window_days;
    r->short_days = window_days < CPE_CALREP_SHORT_DAYS ? window_days : CPE_CALREP_SHORT_DAYS;
    memset(a, 0, sizeof *a);
    a->r = r;
    a->bars = bars;
    a->nb = nb;
    a->hms = (int64_t)horizon_h * CPE_MS_PER_HOUR;
    a->w_from = now_ms - (int64_t)window_days * CPE_MS_PER_DAY;
    a->s_from = now_ms - (int64_t)r->short_days * CPE_MS_PER_DAY;
    a->day0 = cpe_day_start_ms(a->w_from + 1);
    r->ndays = (size_t)((cpe_day_start_ms(now_ms) - a->day0) / CPE_MS_PER_DAY) + 1;
    for (size_t k = 0; k < r->ndays; k++)
        r->day_ms[k] = a->day0 + (int64_t)k * CPE_MS_PER_DAY;
}

static int acc_direction(acc_t *a, const cpe_prediction_t *p, int64_t outcome, int up)
{
    if (a->q_len == a->q_cap) {
        size_t cap = a->q_cap ? 2 * a->q_cap : 1024;
        int64_t *o = realloc(a->q_out, cap * sizeof *o);
        if (o) a->q_out = o;
        unsigned char *u = o ? realloc(a->q_up, cap) : NULL;
        if (!u) return CPE_ENOMEM;
        a->q_up = u;
        a->q_cap = cap;
    }
    int64_t issue = p->ts_ms + CPE_MS_PER_MIN;
    while (a->known < a->q_len && a->q_out[a->known] <= issue)
        a->ups += a->q_up[a->known++];
    double base = a->known ? (double)a->ups / (double)a->known : 0.5;
    a->sm += (p->p_up - up) * (p->p_up - up);
    a->sb += (base - up) * (base - up);
    a->nup += (size_t)up;
    a->q_out[a->q_len] = outcome;
    a->q_up[a->q_len++] = (unsigned char)up;
    int b = bin_of(p->p_up);
    a->r->bins[b].n++;
    a->psum[b] += p->p_up;
    a->usum[b] += up;
    a->r->n_dir++;
    return 0;
}

static int acc_add(acc_t *a, const cpe_prediction_t *p)
{
    cpe_calib_report_t *r = a->r;
    int64_t outcome = p->ts_ms + a->hms + CPE_MS_PER_MIN;
    if (outcome <= a->w_from) return 0;
    r->n_read++;
    if (outcome > r->now_ms) {
        r->n_pending++;
        return 0;
    }
    int64_t want = p->ts_ms + a->hms; /* open time of the bar closing at outcome */
    while (a->j < a->nb && a->bars[a->j].ts_ms < want)
        a->j++;
    if (a->j >= a->nb || a->bars[a->j].ts_ms != want || !isfinite(a->bars[a->j].close)) {
        r->n_missing++;
        return 0;
    }
    double y = a->bars[a->j].close;
    r->n_resolved++;
    if (finite_band(p)) {
        int in1 = p->p159 <= y && y <= p->p841, in2 = p->p023 <= y && y <= p->p977;
        cov_add(&r->cov_window, in1, in2);
        if (outcome > a->s_from) cov_add(&r->cov_short, in1, in2);
        size_t k = (size_t)((cpe_day_start_ms(outcome) - a->day0) / CPE_MS_PER_DAY);
        if (k < r->ndays) cov_add(&r->daily[k], in1, in2);
    }
    return isfinite(p->p_up) ? acc_direction(a, p, outcome, y > p->close) : 0;
}

static void acc_finish(acc_t *a)
{
    cpe_calib_report_t *r = a->r;
    cov_finish(&r->cov_window);
    cov_finish(&r->cov_short);
    for (size_t k = 0; k < r->ndays; k++)
        cov_finish(&r->daily[k]);
    for (int b = 0; b < CPE_CALREP_BINS; b++) {
        int64_t n = r->bins[b].n;
        r->bins[b].mean_p = n ? a->psum[b] / (double)n : NAN;
        r->bins[b].up_share = n ? a->usum[b] / (double)n : NAN;
    }
    double n = (double)r->n_dir;
    r->up_share = r->n_dir ? (double)a->nup / n : NAN;
    r->brier = r->n_dir ? a->sm / n : NAN;
    r->brier_base = r->n_dir ? a->sb / n : NAN;
    free(a->q_out);
    free(a->q_up);
    a->q_out = NULL;
    a->q_up = NULL;
}

int cpe_calib_report_compute(const cpe_prediction_t *preds, size_t np, const cpe_bar_t *bars,
                             size_t nb, int horizon_h, int64_t now_ms, int window_days,
                             cpe_calib_report_t *r)
{
    if (window_days < 1 || window_days > CPE_CALREP_MAX_WINDOW_DAYS || horizon_h < 1)
        return CPE_EINVAL; /* the day table holds CPE_CALREP_MAX_WINDOW_DAYS + 1 days */
    acc_t a;
    int rc = 0;
    acc_init(&a, r, bars, nb, horizon_h, now_ms, window_days);
    for (size_t i = 0; i < np && !rc; i++)
        rc = acc_add(&a, &preds[i]);
    acc_finish(&a);
    return rc;
}

/* One horizon's predictions read a day at a time: a month of 1m records is ~56 MB as
 * full records, a day ~2 MB, so the reads reuse the same warm memory instead of faulting
 * in a fresh array (155 ms -> the figure in docs/BENCHMARKS.md). */
static int report_horizon(cpe_store_t *st, const char *sym, const cpe_bar_t *bars, size_t nb,
                          int horizon_h, int64_t now_ms, int window_days, cpe_calib_report_t *r,
                          cpe_diag_t *d)
{
    acc_t a;
    int rc = 0;
    acc_init(&a, r, bars, nb, horizon_h, now_ms, window_days);
    /* outcome after w_from: ts > w_from - H h - 1 min; up to now (pending ones counted) */
    int64_t from = a.w_from - a.hms - CPE_MS_PER_MIN + 1;
    for (int64_t t = from; t <= now_ms && !rc; t += CPE_MS_PER_DAY) {
        int64_t to = t + CPE_MS_PER_DAY < now_ms + 1 ? t + CPE_MS_PER_DAY : now_ms + 1;
        cpe_prediction_t *p = NULL;
        size_t np = 0;
        rc = st->ops->get_predictions(st, sym, horizon_h, t, to, &p, &np);
        if (rc) cpe_diag_set(d, rc, "predictions of %s at %d h: %s", sym, horizon_h, st->diag.msg);
        for (size_t i = 0; i < np && !rc; i++)
            if ((rc = acc_add(&a, &p[i]))) cpe_diag_set(d, rc, "out of memory");
        free(p);
    }
    acc_finish(&a);
    return rc;
}

int cpe_calib_report_build(cpe_store_t *st, const char *what, const int *horizons_h, size_t nh,
                           int64_t now_ms, int window_days, cpe_calib_report_t *out, cpe_diag_t *d)
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
        rc = report_horizon(st, sym, bars, nb, horizons_h[i], now_ms, window_days, r, d);
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

void cpe_calrep_cov_json(cpe_jw_t *w, const char *key, int days, const cpe_calrep_cov_t *c)
{
    cpe_jw_key(w, key);
    cpe_jw_obj(w);
    if (days > 0) cpe_jw_kint(w, "days", days);
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
    cpe_calrep_cov_json(w, key, r->short_days, &r->cov_short);
    snprintf(key, sizeof key, "%dd", r->window_days);
    if (r->window_days != r->short_days)
        cpe_calrep_cov_json(w, key, r->window_days, &r->cov_window);
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
