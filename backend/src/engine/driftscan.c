/* driftscan.c — the drift ring replayed over a stored range with a fixed model, and that
 * model's out-of-sample scores over the range (see cpe/driftscan.h). */
#include "cpe/driftscan.h"

#include "cpe/drift.h"
#include "cpe/mldata.h"
#include "cpe/predictor.h"
#include "cpe/scores.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETURNS_MS (10 * CPE_MS_PER_DAY)  /* the 240 hourly returns before a scored bar */
#define OUTCOME_MS (25 * CPE_MS_PER_HOUR) /* the longest horizon's outcome, and a bar */

typedef struct scan {
    cpe_predictor_t p;
    cpe_drift_track_t t;
    int bound; /* t is bound to the rows' columns */
    double *x, r[240];
    cpe_driftscan_t *out;
} scan_t;

void cpe_driftscan_free(cpe_driftscan_t *s)
{
    free(s->ts_ms);
    free(s->score);
    free(s->pts);
    memset(s, 0, sizeof *s);
}

/* Row of the bar with open time ts in m (rows are 1m and ascending), or -1. */
static long row_at(const cpe_mldata_t *m, int64_t ts)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->ts_ms[mid] < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && m->ts_ms[lo] == ts ? (long)lo : -1;
}

static int add_point(cpe_driftscan_t *o, const cpe_driftscan_point_t *pt)
{
    if (o->npts == o->cap_pts) {
        size_t cap = o->cap_pts ? 2 * o->cap_pts : 4096;
        cpe_driftscan_point_t *np = realloc(o->pts, cap * sizeof *np);
        if (!np) return CPE_ENOMEM;
        o->pts = np;
        o->cap_pts = cap;
    }
    o->pts[o->npts++] = *pt;
    return 0;
}

/* The model's predictions at row i, scored where the outcome is in m. */
static int score_row(scan_t *s, const cpe_mldata_t *m, size_t i, cpe_diag_t *d)
{
    cpe_pred_input_t in;
    cpe_predictor_input(&s->p, m, i, s->x, s->r, &in);
    if (in.n_r < 24 || !(in.close > 0)) return 0;
    double ss = 0;
    for (size_t j = in.n_r - 24; j < in.n_r; j++)
        ss += in.r_1h[j] * in.r_1h[j];
    double sd_1h = sqrt(ss / 24);
    int hs[8], nh = s->p.ms.n_h < 8 ? s->p.ms.n_h : 8;
    for (int k = 0; k < nh; k++)
        hs[k] = s->p.ms.h[k].horizon_h;
    cpe_prediction_t pr[8];
    int rc = cpe_predictor_predict(&s->p, &in, hs, nh, pr, d);
    if (rc) return rc;
    for (int k = 0; k < nh; k++) {
        long j = row_at(m, m->ts_ms[i] + (int64_t)hs[k] * CPE_MS_PER_HOUR);
        if (j < 0 || !(m->close[j] > 0) || !(pr[k].p159 > 0) || !(pr[k].p841 > 0)) continue;
        double y = log(m->close[j] / in.close), up = y > 0;
        double mu = log(pr[k].p500 / in.close), sd = 0.5 * log(pr[k].p841 / pr[k].p159);
        cpe_driftscan_point_t pt = {m->ts_ms[i],
                                    hs[k],
                                    s->t.score,
                                    (pr[k].p_up - up) * (pr[k].p_up - up),
                                    cpe_crps_normal(y, mu, sd),
                                    cpe_crps_normal(y, 0, sd_1h * sqrt(hs[k]))};
        if ((rc = add_point(s->out, &pt))) return rc;
    }
    return 0;
}

/* One block: push the minutes of [b0, b1) into the ring (recording those at or after
 * from), score the hourly bars of [from, to) among them. */
static int run_block(scan_t *s, cpe_store_t *st, const char *symbol, int64_t b0, int64_t b1,
                     int64_t from, int64_t to, cpe_diag_t *d)
{
    cpe_mldata_t m;
    memset(&m, 0, sizeof m);
    int rc = cpe_mldata_load(st, symbol, b0 - RETURNS_MS, b1 + OUTCOME_MS, CPE_MS_PER_MIN,
                             CPE_MLDATA_WARMUP_MS, &m, d);
    if (rc == CPE_EDATA) { /* no bars in this block: a gap in the data */
        rc = 0;
        goto out;
    }
    if (rc) goto out;
    if (!s->bound) {
        cpe_drift_track_init(&s->t, &s->p.ms.drift, (const char *const *)m.names, m.ncol);
        s->bound = 1;
    }
    cpe_driftscan_t *o = s->out;
    for (size_t i = 0; i < m.n && !rc; i++) {
        int64_t ts = m.ts_ms[i];
        if (ts < b0 || ts >= b1) continue;
        cpe_drift_track_push(&s->t, &s->p.ms.drift, ts, m.X + i * m.ncol);
        if (ts < from) continue;
        o->ts_ms[o->n] = ts;
        o->score[o->n++] = s->t.score;
        if ((ts + CPE_MS_PER_MIN) % CPE_MS_PER_HOUR == 0 && ts < to) rc = score_row(s, &m, i, d);
    }
out:
    cpe_mldata_free(&m);
    return rc;
}

int cpe_driftscan_run(cpe_store_t *st, const char *models_dir, const char *symbol,
                      const char *version, int64_t from_ms, int64_t to_ms, cpe_driftscan_t *out,
                      cpe_diag_t *d)
{
    memset(out, 0, sizeof *out);
    scan_t *s = calloc(1, sizeof *s);
    if (!s) return cpe_diag_set(d, CPE_ENOMEM, "drift scan: out of memory");
    cpe_registry_t reg;
    cpe_registry_init(&reg, models_dir);
    int rc = cpe_predictor_open(&s->p, &reg, symbol, version, 0, d), opened = rc == 0;
    if (rc) goto out;
    snprintf(out->version, sizeof out->version, "%s", s->p.version);
    if (!s->p.ms.drift.k) {
        rc = cpe_diag_set(d, CPE_EDATA,
                          "%s: model %s has no drift reference (trained before "
                          "drift existed: train it again)",
                          symbol, s->p.version);
        goto out;
    }
    size_t cap = (size_t)((to_ms - from_ms) / CPE_MS_PER_MIN) + 1;
    out->ts_ms = malloc(cap * sizeof *out->ts_ms);
    out->score = malloc(cap * sizeof *out->score);
    s->x = malloc((s->p.ms.ncol ? s->p.ms.ncol : 1) * sizeof *s->x);
    if (!out->ts_ms || !out->score || !s->x) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "drift scan: out of memory for %zu minutes", cap);
        goto out;
    }
    s->out = out;
    const int64_t block = CPE_DRIFTSCAN_BLOCK_DAYS * CPE_MS_PER_DAY;
    for (int64_t b0 = from_ms - (int64_t)CPE_DRIFT_RING * CPE_MS_PER_MIN; b0 < to_ms && !rc;
         b0 += block)
        rc = run_block(s, st, symbol, b0, b0 + block < to_ms ? b0 + block : to_ms, from_ms, to_ms,
                       d);
    if (!rc && !out->n) rc = cpe_diag_set(d, CPE_ENOTFOUND, "%s: no 1m bars in the range", symbol);
out:
    if (opened) cpe_predictor_close(&s->p);
    free(s->x);
    free(s);
    if (rc) cpe_driftscan_free(out);
    return rc;
}
