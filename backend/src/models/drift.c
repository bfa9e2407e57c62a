/* drift.c — decile references, PSI and the live ring of the model drift score
 * (cpe/drift.h). */
#include "cpe/drift.h"

#include "cpe/json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cpe_drift_bin(const cpe_drift_feat_t *f, double x)
{
    if (isnan(x)) return -1;
    int b = 0;
    while (b < CPE_DRIFT_BINS - 1 && x >= f->edges[b])
        b++;
    return b;
}

double cpe_drift_psi(const double *p_live, const double *p_train, int nb)
{
    double s = 0;
    for (int b = 0; b < nb; b++) {
        double l = p_live[b] > CPE_DRIFT_FLOOR ? p_live[b] : CPE_DRIFT_FLOOR;
        double t = p_train[b] > CPE_DRIFT_FLOOR ? p_train[b] : CPE_DRIFT_FLOOR;
        s += (l - t) * log(l / t);
    }
    return s;
}

/* Edges and shares of column j over the rows (v: scratch of nrows). 0 when too few values. */
static int fit_feature(cpe_drift_feat_t *f, const double *X, size_t ncol, size_t j,
                       const size_t *rows, size_t nrows, double *v)
{
    size_t n = 0;
    for (size_t r = 0; r < nrows; r++) {
        double x = X[rows[r] * ncol + j];
        if (!isnan(x)) v[n++] = x;
    }
    if (n < CPE_DRIFT_BINS) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    for (int b = 0; b < CPE_DRIFT_BINS - 1; b++)
        f->edges[b] = v[(size_t)(b + 1) * n / CPE_DRIFT_BINS];
    size_t cnt[CPE_DRIFT_BINS] = {0};
    for (size_t i = 0; i < n; i++)
        cnt[cpe_drift_bin(f, v[i])]++;
    for (int b = 0; b < CPE_DRIFT_BINS; b++)
        f->share[b] = (double)cnt[b] / (double)n;
    return 1;
}

int cpe_drift_ref_fit(cpe_drift_ref_t *ref, const double *X, size_t ncol, const char *const *names,
                      const size_t *rows, size_t nrows, const double *importance, cpe_diag_t *d)
{
    memset(ref, 0, sizeof *ref);
    double *v = malloc((nrows ? nrows : 1) * sizeof *v);
    char *used = calloc(ncol ? ncol : 1, 1);
    if (!v || !used) {
        free(v);
        free(used);
        return cpe_diag_set(d, CPE_ENOMEM, "drift reference: out of memory");
    }
    while (ref->k < CPE_DRIFT_K) {
        size_t best = ncol;
        for (size_t j = 0; j < ncol; j++)
            if (!used[j] && importance[j] > 0 && (best == ncol || importance[j] > importance[best]))
                best = j;
        if (best == ncol) break;
        used[best] = 1;
        cpe_drift_feat_t *f = &ref->f[ref->k];
        if (!fit_feature(f, X, ncol, best, rows, nrows, v)) continue;
        snprintf(f->name, sizeof f->name, "%s", names[best]);
        f->importance = importance[best];
        ref->k++;
    }
    free(v);
    free(used);
    return 0;
}

void cpe_drift_live_reset(cpe_drift_live_t *l)
{
    memset(l, 0, sizeof *l);
}

void cpe_drift_live_push(cpe_drift_live_t *l, const cpe_drift_ref_t *ref, const double *x)
{
    uint8_t *slot = l->ring[l->head];
    if (l->n == CPE_DRIFT_RING) /* the oldest minute leaves */
        for (int i = 0; i < CPE_DRIFT_K; i++)
            if (slot[i] != 255) {
                l->count[i][slot[i]]--;
                l->valid[i]--;
            }
    for (int i = 0; i < CPE_DRIFT_K; i++) {
        int b = i < ref->k ? cpe_drift_bin(&ref->f[i], x[i]) : -1;
        slot[i] = b < 0 ? 255 : (uint8_t)b;
        if (b >= 0) {
            l->count[i][b]++;
            l->valid[i]++;
        }
    }
    l->head = (l->head + 1) % CPE_DRIFT_RING;
    if (l->n < CPE_DRIFT_RING) l->n++;
}

int cpe_drift_live_score(const cpe_drift_live_t *l, const cpe_drift_ref_t *ref, double *score,
                         int *worst, double *worst_psi)
{
    double sum = 0;
    int m = 0;
    *worst = -1;
    *worst_psi = NAN;
    for (int i = 0; i < ref->k; i++) {
        if (l->valid[i] < CPE_DRIFT_MIN_ROWS) continue;
        double p[CPE_DRIFT_BINS];
        for (int b = 0; b < CPE_DRIFT_BINS; b++)
            p[b] = (double)l->count[i][b] / l->valid[i];
        double psi = cpe_drift_psi(p, ref->f[i].share, CPE_DRIFT_BINS);
        sum += psi;
        m++;
        if (*worst < 0 || psi > *worst_psi) {
            *worst = i;
            *worst_psi = psi;
        }
    }
    if (!m) {
        *score = NAN;
        return CPE_ENOTFOUND;
    }
    *score = sum / m;
    return 0;
}

void cpe_drift_track_init(cpe_drift_track_t *t, const cpe_drift_ref_t *ref,
                          const char *const *names, size_t ncol)
{
    cpe_drift_live_reset(&t->live);
    for (int i = 0; i < CPE_DRIFT_K; i++) {
        t->col[i] = -1;
        for (size_t j = 0; i < ref->k && j < ncol && t->col[i] < 0; j++)
            if (!strcmp(names[j], ref->f[i].name)) t->col[i] = (int)j;
    }
    t->score = t->worst_psi = NAN;
    t->worst = -1;
    t->last_ts_ms = INT64_MIN;
}

void cpe_drift_track_push(cpe_drift_track_t *t, const cpe_drift_ref_t *ref, int64_t ts_ms,
                          const double *row)
{
    double x[CPE_DRIFT_K];
    for (int i = 0; i < ref->k; i++)
        x[i] = t->col[i] >= 0 ? row[t->col[i]] : NAN;
    cpe_drift_live_push(&t->live, ref, x);
    cpe_drift_live_score(&t->live, ref, &t->score, &t->worst, &t->worst_psi);
    t->last_ts_ms = ts_ms;
}

int cpe_drift_state_json(const cpe_drift_track_t *t, const cpe_drift_ref_t *ref,
                         const char *model_version, cpe_buf_t *out)
{
    const cpe_drift_live_t *l = &t->live;
    cpe_jw_t w;
    cpe_jw_init(&w, out);
    cpe_jw_obj(&w);
    cpe_jw_kint(&w, "format", 1);
    cpe_jw_kstr(&w, "model_version", model_version);
    cpe_jw_key(&w, "features");
    cpe_jw_arr(&w);
    for (int i = 0; i < ref->k; i++)
        cpe_jw_str(&w, ref->f[i].name);
    cpe_jw_end(&w);
    cpe_jw_kint(&w, "last_ts_ms", t->last_ts_ms);
    char *ring = malloc((size_t)l->n * CPE_DRIFT_K + 1);
    if (!ring) return CPE_ENOMEM;
    size_t len = 0;
    int first = (l->head - l->n + CPE_DRIFT_RING) % CPE_DRIFT_RING; /* the oldest minute */
    for (int m = 0; m < l->n; m++)
        for (int i = 0; i < ref->k; i++) {
            uint8_t b = l->ring[(first + m) % CPE_DRIFT_RING][i];
            ring[len++] = b == 255 ? '-' : (char)('0' + b);
        }
    cpe_jw_key(&w, "ring");
    cpe_jw_strn(&w, ring, len);
    free(ring);
    cpe_jw_end(&w);
    return w.err ? w.err : 0;
}

/* The saved state is this model's: same version, same features in the same order. */
static int same_model(const json_t *o, const cpe_drift_ref_t *ref, const char *model_version)
{
    const char *v = json_string_value(json_object_get(o, "model_version"));
    const json_t *fs = json_object_get(o, "features");
    if (!v || strcmp(v, model_version) || json_array_size(fs) != (size_t)ref->k) return 0;
    for (int i = 0; i < ref->k; i++) {
        const char *nm = json_string_value(json_array_get(fs, (size_t)i));
        if (!nm || strcmp(nm, ref->f[i].name)) return 0;
    }
    return 1;
}

int cpe_drift_state_parse(cpe_drift_track_t *t, const cpe_drift_ref_t *ref,
                          const char *model_version, const char *text, size_t len, cpe_diag_t *d)
{
    json_error_t je;
    json_t *o = json_loadb(text, len, 0, &je);
    int rc = 0;
    if (!json_is_object(o)) {
        rc = cpe_diag_set(d, CPE_EPARSE, "drift state: not a JSON object (%s)", je.text);
        goto out;
    }
    const json_t *ring = json_object_get(o, "ring"), *last = json_object_get(o, "last_ts_ms");
    size_t n = json_string_length(ring);
    if (json_integer_value(json_object_get(o, "format")) != 1 || !json_is_string(ring) ||
        !json_is_integer(last)) {
        rc = cpe_diag_set(d, CPE_EPARSE, "drift state: needs format 1, a ring and last_ts_ms");
        goto out;
    }
    if (!same_model(o, ref, model_version)) {
        rc = cpe_diag_set(d, CPE_ENOTFOUND, "drift state: another model's (not %s)", model_version);
        goto out;
    }
    if (!ref->k || n % (size_t)ref->k || n / (size_t)ref->k > CPE_DRIFT_RING) {
        rc = cpe_diag_set(d, CPE_EPARSE,
                          "drift state: field 'ring' has %zu characters, not "
                          "at most %d minutes of %d features",
                          n, CPE_DRIFT_RING, ref->k);
        goto out;
    }
    const char *s = json_string_value(ring);
    for (size_t c = 0; c < n; c++)
        if (s[c] != '-' && (s[c] < '0' || s[c] >= '0' + CPE_DRIFT_BINS)) {
            rc = cpe_diag_set(d, CPE_EPARSE, "drift state: field 'ring' has '%c' at %zu", s[c], c);
            goto out;
        }
    /* replayed through the ring's own push: the counts follow from the minutes */
    cpe_drift_live_reset(&t->live);
    for (size_t m = 0; m < n / (size_t)ref->k; m++) {
        uint8_t *slot = t->live.ring[t->live.head];
        for (int i = 0; i < CPE_DRIFT_K; i++) {
            char ch = i < ref->k ? s[m * (size_t)ref->k + (size_t)i] : '-';
            slot[i] = ch == '-' ? 255 : (uint8_t)(ch - '0');
            if (slot[i] != 255) {
                t->live.count[i][slot[i]]++;
                t->live.valid[i]++;
            }
        }
        t->live.head = (t->live.head + 1) % CPE_DRIFT_RING;
        t->live.n++;
    }
    t->last_ts_ms = json_integer_value(last);
    cpe_drift_live_score(&t->live, ref, &t->score, &t->worst, &t->worst_psi);
out:
    json_decref(o);
    return rc;
}
