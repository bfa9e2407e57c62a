/* aci.c — adaptive conformal inference: the state, pushes, as-of resolution and the
 * coverage buckets (the model is in include/cpe/aci.h; JSON in aci_json.c). */
#include "cpe/aci.h"

#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CAPACITY                                                                               \
    100000u /* 69 days of 1m predictions; bounds what a state file can allocate                    \
             */

void cpe_aci_opts_default(cpe_aci_opts_t *o)
{
    o->gamma = 0.005;
    for (int b = 0; b < CPE_ACI_BANDS; b++)
        o->alpha0[b] = NAN;
    o->capacity = 1441;
}

int cpe_aci_init(cpe_aci_t *a, const cpe_aci_opts_t *o, cpe_diag_t *d)
{
    memset(a, 0, sizeof *a);
    if (!(o->gamma > 0 && o->gamma <= 0.5))
        return cpe_diag_set(d, CPE_EINVAL, "aci: gamma (%g) must be in (0, 0.5]", o->gamma);
    if (o->capacity == 0 || o->capacity > MAX_CAPACITY)
        return cpe_diag_set(d, CPE_EINVAL, "aci: capacity (%zu) must be in 1..%u", o->capacity,
                            MAX_CAPACITY);
    for (int b = 0; b < CPE_ACI_BANDS; b++) {
        double a0 = o->alpha0[b];
        if (!isnan(a0) && !(a0 >= CPE_ACI_ALPHA_MIN && a0 <= CPE_ACI_ALPHA_MAX))
            return cpe_diag_set(d, CPE_EINVAL, "aci: alpha0[%d] (%g) must be in [%g, %g]", b, a0,
                                CPE_ACI_ALPHA_MIN, CPE_ACI_ALPHA_MAX);
    }
    cpe_aci_pending_t *block = calloc(CPE_ACI_MAX_H * o->capacity, sizeof *block);
    if (!block) return cpe_diag_set(d, CPE_ENOMEM, "aci: %zu pending items", o->capacity);
    a->gamma = o->gamma;
    a->capacity = o->capacity;
    for (int k = 0; k < CPE_ACI_MAX_H; k++) {
        cpe_aci_horizon_t *h = &a->h[k];
        h->ring = block + (size_t)k * o->capacity;
        h->last_label_end_ms = INT64_MIN;
        for (int b = 0; b < CPE_ACI_BANDS; b++) {
            cpe_aci_band_t *bd = &h->band[b];
            bd->target = erfc((b + 1) / sqrt(2.0)); /* the (b+1)-sigma band's miss rate */
            bd->alpha0 = isnan(o->alpha0[b]) ? bd->target : o->alpha0[b];
            bd->alpha = bd->alpha0;
        }
        for (int i = 0; i < CPE_ACI_HOURS; i++)
            h->hour[i] = INT64_MIN;
    }
    return 0;
}

void cpe_aci_free(cpe_aci_t *a)
{
    if (!a) return;
    free(a->h[0].ring);
    memset(a, 0, sizeof *a);
}

int cpe_aci_push(cpe_aci_t *a, int k, int64_t ts_ms, int64_t label_end_ms, double ln_close,
                 const double lo[CPE_ACI_BANDS], const double hi[CPE_ACI_BANDS], cpe_diag_t *d)
{
    if (k < 0 || k >= CPE_ACI_MAX_H)
        return cpe_diag_set(d, CPE_EINVAL, "aci: horizon index %d is not in 0..%d", k,
                            CPE_ACI_MAX_H - 1);
    if (!isfinite(ln_close))
        return cpe_diag_set(d, CPE_EINVAL, "aci: ln_close (%g) is not finite", ln_close);
    for (int b = 0; b < CPE_ACI_BANDS; b++)
        if (!isfinite(lo[b]) || !isfinite(hi[b]) || lo[b] > hi[b])
            return cpe_diag_set(d, CPE_EINVAL, "aci: band %d [%g, %g] is not a finite interval", b,
                                lo[b], hi[b]);
    cpe_aci_horizon_t *h = &a->h[k];
    if (label_end_ms < ts_ms || label_end_ms < h->last_label_end_ms)
        return cpe_diag_set(d, CPE_EINVAL,
                            "aci: label_end_ms %lld is before ts_ms %lld or the previous "
                            "label end %lld of horizon %d",
                            (long long)label_end_ms, (long long)ts_ms,
                            (long long)h->last_label_end_ms, k);
    if (h->len == a->capacity) {
        h->head = (h->head + 1) % a->capacity;
        h->len--;
        h->dropped++;
    }
    cpe_aci_pending_t *p = &h->ring[(h->head + h->len) % a->capacity];
    p->ts_ms = ts_ms;
    p->label_end_ms = label_end_ms;
    p->ln_close = ln_close;
    memcpy(p->lo, lo, sizeof p->lo);
    memcpy(p->hi, hi, sizeof p->hi);
    h->len++;
    h->last_label_end_ms = label_end_ms;
    return 0;
}

static int64_t hour_of(int64_t ms)
{
    return ms >= 0 ? ms / CPE_MS_PER_HOUR : -((-ms + CPE_MS_PER_HOUR - 1) / CPE_MS_PER_HOUR);
}

static int slot_of(int64_t hour)
{
    int64_t s = hour % CPE_ACI_HOURS;
    return (int)(s < 0 ? s + CPE_ACI_HOURS : s);
}

static void resolve(cpe_aci_t *a, cpe_aci_horizon_t *h, const cpe_aci_pending_t *p, double ln_close)
{
    double y = ln_close - p->ln_close;
    int64_t hr = hour_of(p->label_end_ms);
    int s = slot_of(hr), counted = hr >= h->hour[s];
    if (hr > h->hour[s]) { /* the bucket held an hour 30 days older: start it afresh */
        h->hour[s] = hr;
        h->n[s] = 0;
        for (int b = 0; b < CPE_ACI_BANDS; b++)
            h->hits[b][s] = 0;
    }
    if (counted) h->n[s]++;
    for (int b = 0; b < CPE_ACI_BANDS; b++) {
        cpe_aci_band_t *bd = &h->band[b];
        int miss = !(y >= p->lo[b] && y <= p->hi[b]);
        /* the step scales with the band's target: a 2-sigma band (target 0.0455) moves
         * 0.0455 / 0.3173 as far per outcome, so a few misses cannot drive it to the clamp */
        double al = bd->alpha + a->gamma * (bd->target / h->band[0].target) * (bd->target - miss);
        bd->alpha = fmin(fmax(al, CPE_ACI_ALPHA_MIN), CPE_ACI_ALPHA_MAX);
        bd->updates++;
        bd->misses += (uint64_t)miss;
        if (counted && !miss) h->hits[b][s]++;
    }
}

int cpe_aci_observe(cpe_aci_t *a, int64_t t_ms, double ln_close)
{
    if (!isfinite(ln_close)) return CPE_EINVAL;
    for (int k = 0; k < CPE_ACI_MAX_H; k++) {
        cpe_aci_horizon_t *h = &a->h[k];
        while (h->len && h->ring[h->head].label_end_ms <= t_ms) {
            resolve(a, h, &h->ring[h->head], ln_close);
            h->head = (h->head + 1) % a->capacity;
            h->len--;
        }
    }
    return 0;
}

int cpe_aci_coverage(const cpe_aci_t *a, int k, int b, int64_t now_ms, int days, double *cov,
                     uint64_t *n)
{
    if (k < 0 || k >= CPE_ACI_MAX_H || b < 0 || b >= CPE_ACI_BANDS || days < 1 ||
        days > CPE_ACI_HOURS / 24)
        return CPE_EINVAL;
    const cpe_aci_horizon_t *h = &a->h[k];
    int64_t last = hour_of(now_ms), first = last - 24 * (int64_t)days + 1;
    uint64_t cnt = 0, hits = 0;
    for (int i = 0; i < CPE_ACI_HOURS; i++)
        if (h->hour[i] >= first && h->hour[i] <= last) {
            cnt += h->n[i];
            hits += h->hits[b][i];
        }
    *n = cnt;
    *cov = cnt ? (double)hits / (double)cnt : NAN;
    return 0;
}

int cpe_aci_offer(cpe_aci_t *a, int k, int horizon_h, int64_t ts_ms, int64_t t_close_ms,
                  const cpe_prediction_t *p)
{
    if (k < 0 || k >= CPE_ACI_MAX_H || horizon_h < 1 || !(p->close > 0)) return 0;
    const int64_t span = (int64_t)horizon_h * 3600000LL;
    const int64_t end = t_close_ms + span, last = a->h[k].last_label_end_ms;
    if (last != INT64_MIN && end < last + span / 12) return 0;
    double lo[CPE_ACI_BANDS] = {log(p->p159 / p->close), log(p->p023 / p->close)};
    double hi[CPE_ACI_BANDS] = {log(p->p841 / p->close), log(p->p977 / p->close)};
    return cpe_aci_push(a, k, ts_ms, end, log(p->close), lo, hi, NULL) == 0;
}
