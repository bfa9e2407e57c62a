/* aci_json.c — the ACI state to and from JSON, so it survives restarts.
 *
 *   {"format": 1, "gamma": 0.005, "capacity": 1441,
 *    "horizons": [                                   exactly CPE_ACI_MAX_H entries
 *      {"bands": [{"alpha0": a0, "alpha": a, "updates": n, "misses": m}, ...],   2 bands
 *       "dropped": n, "last_label_end_ms": ms | null,
 *       "pending": [[ts_ms, label_end_ms, ln_close, lo0, hi0, lo1, hi1], ...],  oldest first
 *       "hours": [[hour, n, hits0, hits1], ...]}, ...]}              non-empty buckets only
 *
 * Numbers are written shortest round-trip and parsed correctly rounded (jansson uses
 * strtod), so a loaded state is bit for bit the saved one. The targets are not stored:
 * they are the constants of the bands. Parsing is bounded by the text (jansson) and by
 * `capacity` (pending) and CPE_ACI_HOURS (buckets). */
#include "cpe/aci.h"

#include "cpe/json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FORMAT 1

static void write_horizon(cpe_jw_t *w, const cpe_aci_t *a, const cpe_aci_horizon_t *h)
{
    cpe_jw_obj(w);
    cpe_jw_key(w, "bands");
    cpe_jw_arr(w);
    for (int b = 0; b < CPE_ACI_BANDS; b++) {
        cpe_jw_obj(w);
        cpe_jw_knum(w, "alpha0", h->band[b].alpha0);
        cpe_jw_knum(w, "alpha", h->band[b].alpha);
        cpe_jw_kint(w, "updates", (int64_t)h->band[b].updates);
        cpe_jw_kint(w, "misses", (int64_t)h->band[b].misses);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_kint(w, "dropped", (int64_t)h->dropped);
    cpe_jw_key(w, "last_label_end_ms");
    if (h->last_label_end_ms == INT64_MIN)
        cpe_jw_null(w);
    else
        cpe_jw_int(w, h->last_label_end_ms);
    cpe_jw_key(w, "pending");
    cpe_jw_arr(w);
    for (size_t i = 0; i < h->len; i++) {
        const cpe_aci_pending_t *p = &h->ring[(h->head + i) % a->capacity];
        cpe_jw_arr(w);
        cpe_jw_int(w, p->ts_ms);
        cpe_jw_int(w, p->label_end_ms);
        cpe_jw_num(w, p->ln_close);
        for (int b = 0; b < CPE_ACI_BANDS; b++) {
            cpe_jw_num(w, p->lo[b]);
            cpe_jw_num(w, p->hi[b]);
        }
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_key(w, "hours");
    cpe_jw_arr(w);
    for (int i = 0; i < CPE_ACI_HOURS; i++) {
        if (h->hour[i] == INT64_MIN) continue;
        cpe_jw_arr(w);
        cpe_jw_int(w, h->hour[i]);
        cpe_jw_int(w, h->n[i]);
        for (int b = 0; b < CPE_ACI_BANDS; b++)
            cpe_jw_int(w, h->hits[b][i]);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_end(w);
}

int cpe_aci_to_json(const cpe_aci_t *a, cpe_buf_t *out)
{
    cpe_jw_t w;
    cpe_jw_init(&w, out);
    cpe_jw_obj(&w);
    cpe_jw_kint(&w, "format", FORMAT);
    cpe_jw_knum(&w, "gamma", a->gamma);
    cpe_jw_kint(&w, "capacity", (int64_t)a->capacity);
    cpe_jw_key(&w, "horizons");
    cpe_jw_arr(&w);
    for (int k = 0; k < CPE_ACI_MAX_H; k++)
        write_horizon(&w, a, &a->h[k]);
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    return w.err ? w.err : 0;
}

/* --- parsing: every field is required; `at` names where we are for the message --- */

static int get_num(const json_t *o, const char *k, const char *at, double *out, cpe_diag_t *d)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        return cpe_diag_set(d, CPE_EINVAL, "aci: %s'%s' must be a number", at, k);
    *out = json_number_value(v);
    return 0;
}

static int get_int(const json_t *o, const char *k, const char *at, int64_t lo, int64_t *out,
                   cpe_diag_t *d)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < lo)
        return cpe_diag_set(d, CPE_EINVAL, "aci: %s'%s' must be an integer >= %lld", at, k,
                            (long long)lo);
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static const json_t *get_array(const json_t *o, const char *k, const char *at, size_t n_min,
                               size_t n_max, cpe_diag_t *d)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_array(v) || json_array_size(v) < n_min || json_array_size(v) > n_max) {
        cpe_diag_set(d, CPE_EINVAL, "aci: %s'%s' must be an array of %zu..%zu items", at, k, n_min,
                     n_max);
        return NULL;
    }
    return v;
}

static int parse_band(const json_t *o, const char *at, cpe_aci_band_t *bd, cpe_diag_t *d)
{
    int64_t upd, miss;
    int rc;
    if (!json_is_object(o)) return cpe_diag_set(d, CPE_EINVAL, "aci: %s must be an object", at);
    if ((rc = get_num(o, "alpha0", at, &bd->alpha0, d)) ||
        (rc = get_num(o, "alpha", at, &bd->alpha, d)) ||
        (rc = get_int(o, "updates", at, 0, &upd, d)) ||
        (rc = get_int(o, "misses", at, 0, &miss, d)))
        return rc;
    if (!(bd->alpha0 >= CPE_ACI_ALPHA_MIN && bd->alpha0 <= CPE_ACI_ALPHA_MAX) ||
        !(bd->alpha >= CPE_ACI_ALPHA_MIN && bd->alpha <= CPE_ACI_ALPHA_MAX))
        return cpe_diag_set(d, CPE_EINVAL, "aci: %s alpha0 (%g) and alpha (%g) must be in [%g, %g]",
                            at, bd->alpha0, bd->alpha, CPE_ACI_ALPHA_MIN, CPE_ACI_ALPHA_MAX);
    if (miss > upd)
        return cpe_diag_set(d, CPE_EINVAL, "aci: %s misses (%lld) exceed updates (%lld)", at,
                            (long long)miss, (long long)upd);
    bd->updates = (uint64_t)upd;
    bd->misses = (uint64_t)miss;
    return 0;
}

/* Each item goes through cpe_aci_push, which checks it and the label-end order. */
static int parse_pending(cpe_aci_t *a, int k, const json_t *arr, const char *at, cpe_diag_t *d)
{
    size_t i;
    const json_t *it;
    json_array_foreach(arr, i, it)
    {
        double v[1 + 2 * CPE_ACI_BANDS], lo[CPE_ACI_BANDS], hi[CPE_ACI_BANDS];
        const json_t *t0 = json_array_get(it, 0), *t1 = json_array_get(it, 1);
        int ok = json_is_array(it) && json_array_size(it) == 3 + 2 * CPE_ACI_BANDS &&
                 json_is_integer(t0) && json_is_integer(t1);
        for (size_t j = 0; ok && j < 1 + 2 * CPE_ACI_BANDS; j++) {
            const json_t *x = json_array_get(it, j + 2);
            ok = json_is_number(x);
            v[j] = json_number_value(x);
        }
        if (!ok)
            return cpe_diag_set(d, CPE_EINVAL,
                                "aci: %spending[%zu] must be [ts_ms, label_end_ms, ln_close, "
                                "lo0, hi0, lo1, hi1]",
                                at, i);
        for (int b = 0; b < CPE_ACI_BANDS; b++) {
            lo[b] = v[1 + 2 * b];
            hi[b] = v[2 + 2 * b];
        }
        int rc = cpe_aci_push(a, k, (int64_t)json_integer_value(t0),
                              (int64_t)json_integer_value(t1), v[0], lo, hi, d);
        if (rc) return cpe_diag_prefix(d, "%spending[%zu]: ", at, i);
    }
    return 0;
}

static int parse_hours(cpe_aci_horizon_t *h, const json_t *arr, const char *at, cpe_diag_t *d)
{
    size_t i;
    const json_t *it;
    json_array_foreach(arr, i, it)
    {
        json_int_t v[2 + CPE_ACI_BANDS] = {0};
        int ok = json_is_array(it) && json_array_size(it) == 2 + CPE_ACI_BANDS;
        for (size_t j = 0; ok && j < 2 + CPE_ACI_BANDS; j++) {
            const json_t *x = json_array_get(it, j);
            ok = json_is_integer(x) &&
                 (j == 0 ||
                  (json_integer_value(x) >= 0 && json_integer_value(x) <= (json_int_t)UINT32_MAX));
            v[j] = json_integer_value(x);
        }
        for (int b = 0; ok && b < CPE_ACI_BANDS; b++)
            ok = v[2 + b] <= v[1];
        int64_t s = ok ? v[0] % CPE_ACI_HOURS : 0;
        if (s < 0) s += CPE_ACI_HOURS;
        if (!ok || v[0] == INT64_MIN || h->hour[s] != INT64_MIN)
            return cpe_diag_set(d, CPE_EINVAL,
                                "aci: %shours[%zu] must be [hour, n, hits0, hits1] with hits <= n "
                                "and one entry per hour slot",
                                at, i);
        h->hour[s] = v[0];
        h->n[s] = (uint32_t)v[1];
        for (int b = 0; b < CPE_ACI_BANDS; b++)
            h->hits[b][s] = (uint32_t)v[2 + b];
    }
    return 0;
}

static int parse_horizon(cpe_aci_t *a, int k, const json_t *o, cpe_diag_t *d)
{
    char at[64];
    snprintf(at, sizeof at, "horizons[%d].", k);
    if (!json_is_object(o))
        return cpe_diag_set(d, CPE_EINVAL, "aci: horizons[%d] must be an object", k);
    cpe_aci_horizon_t *h = &a->h[k];
    const json_t *bands = get_array(o, "bands", at, CPE_ACI_BANDS, CPE_ACI_BANDS, d);
    if (!bands) return CPE_EINVAL;
    for (int b = 0; b < CPE_ACI_BANDS; b++) {
        char bat[80];
        snprintf(bat, sizeof bat, "horizons[%d].bands[%d]", k, b);
        int rc = parse_band(json_array_get(bands, (size_t)b), bat, &h->band[b], d);
        if (rc) return rc;
    }
    int64_t dropped = 0;
    int rc = get_int(o, "dropped", at, 0, &dropped, d);
    if (rc) return rc;
    h->dropped = (uint64_t)dropped;
    const json_t *pend = get_array(o, "pending", at, 0, a->capacity, d);
    const json_t *hours = pend ? get_array(o, "hours", at, 0, CPE_ACI_HOURS, d) : NULL;
    if (!hours) return CPE_EINVAL;
    if ((rc = parse_pending(a, k, pend, at, d)) || (rc = parse_hours(h, hours, at, d))) return rc;
    const json_t *le = json_object_get(o, "last_label_end_ms");
    if (json_is_null(le) && h->len == 0) return 0;
    if (!json_is_integer(le) || json_integer_value(le) < h->last_label_end_ms)
        return cpe_diag_set(d, CPE_EINVAL,
                            "aci: %s'last_label_end_ms' must be an integer >= the pending label "
                            "ends (or null with nothing pending)",
                            at);
    h->last_label_end_ms = (int64_t)json_integer_value(le);
    return 0;
}

static int parse_root(cpe_aci_t *a, const json_t *root, cpe_diag_t *d)
{
    if (!json_is_object(root)) return cpe_diag_set(d, CPE_EINVAL, "aci: must be a JSON object");
    int64_t format = 0, cap = 0;
    cpe_aci_opts_t o;
    cpe_aci_opts_default(&o);
    int rc;
    if ((rc = get_int(root, "format", "", 0, &format, d))) return rc;
    if (format != FORMAT)
        return cpe_diag_set(d, CPE_EINVAL, "aci: 'format' %lld is not %d", (long long)format,
                            FORMAT);
    if ((rc = get_num(root, "gamma", "", &o.gamma, d)) ||
        (rc = get_int(root, "capacity", "", 1, &cap, d)))
        return rc;
    o.capacity = (size_t)cap;
    if ((rc = cpe_aci_init(a, &o, d))) return rc;
    const json_t *hs = get_array(root, "horizons", "", CPE_ACI_MAX_H, CPE_ACI_MAX_H, d);
    if (!hs) return CPE_EINVAL;
    for (int k = 0; k < CPE_ACI_MAX_H; k++)
        if ((rc = parse_horizon(a, k, json_array_get(hs, (size_t)k), d))) return rc;
    return 0;
}

int cpe_aci_from_json(cpe_aci_t *a, const char *text, size_t len, cpe_diag_t *d)
{
    memset(a, 0, sizeof *a);
    json_error_t e;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!root)
        return cpe_diag_set(d, CPE_EPARSE, "aci: line %d column %d: %s", e.line, e.column, e.text);
    int rc = parse_root(a, root, d);
    json_decref(root);
    if (rc) cpe_aci_free(a);
    return rc;
}
