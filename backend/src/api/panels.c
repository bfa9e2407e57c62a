/* panels.c — liquidation bands, support/resistance, volume profile (see panels.h). */
#include "api/panels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MM 0.005
#define MAXBINS 4096

static const double tier_lev[4] = {10, 25, 50, 100};
static const double tier_w[4] = {0.35, 0.30, 0.20, 0.15};

typedef struct pos {
    double liq_price, notional;
    size_t from; /* first bar after the opening bar */
    int side;
} pos_t;

size_t cpe_liq_clusters(const cpe_bar_t *b, size_t n, double bin_rel, cpe_liq_band_t *out,
                        size_t max)
{
    if (n < 2 || max == 0) return 0;
    double last = b[n - 1].close;
    if (!(last > 0) || !(bin_rel > 0)) return 0;
    /* Suffix min low / max high: a position opened at bar i survives if no later bar
     * traded through its liquidation price. */
    double *sufmin = malloc(n * sizeof *sufmin), *sufmax = malloc(n * sizeof *sufmax);
    double *bins = calloc(2 * MAXBINS, sizeof *bins);
    size_t nout = 0;
    if (!sufmin || !sufmax || !bins) goto out;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = n; i-- > 0;) {
        if (b[i].low < lo) lo = b[i].low;
        if (b[i].high > hi) hi = b[i].high;
        sufmin[i] = lo;
        sufmax[i] = hi;
    }
    double width = last * bin_rel;
    double base = last * 0.5; /* bins cover [0.5, 0.5 + MAXBINS*bin_rel] x last */
    double prev_oi = NAN;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        double oi = b[i].oi;
        if (isnan(oi)) continue;
        if (!isnan(prev_oi) && oi > prev_oi && i + 1 < n) {
            double d = oi - prev_oi, p = b[i].close;
            double ls = 0.5;
            if (b[i].volume > 0 && !isnan(b[i].taker_buy_base))
                ls = b[i].taker_buy_base / b[i].volume;
            for (int t = 0; t < 4; t++) {
                for (int side = 1; side >= -1; side -= 2) {
                    double lp =
                        side > 0 ? p * (1 - 1 / tier_lev[t] + MM) : p * (1 + 1 / tier_lev[t] - MM);
                    int gone = side > 0 ? sufmin[i + 1] <= lp : sufmax[i + 1] >= lp;
                    if (gone) continue;
                    double k = (lp - base) / width;
                    if (k < 0 || k >= MAXBINS) continue;
                    double w = d * tier_w[t] * (side > 0 ? ls : 1 - ls);
                    bins[(side > 0 ? 0 : MAXBINS) + (size_t)k] += w;
                    any = 1;
                }
            }
        }
        prev_oi = oi;
    }
    if (!any) goto out;
    for (int s = 0; s < 2 && nout < max; s++) {
        double *bb = bins + (s ? MAXBINS : 0);
        for (size_t k = 0; k < MAXBINS && nout < max; k++) {
            if (bb[k] <= 0) continue;
            size_t j = k;
            double sum = 0;
            while (j < MAXBINS && bb[j] > 0)
                sum += bb[j++];
            out[nout].price_lo = base + (double)k * width;
            out[nout].price_hi = base + (double)j * width;
            out[nout].notional = sum;
            out[nout].side = s ? -1 : 1;
            nout++;
            k = j;
        }
    }
    double mx = 0;
    for (size_t i = 0; i < nout; i++)
        mx = fmax(mx, out[i].notional);
    for (size_t i = 0; i < nout; i++)
        out[i].intensity = mx > 0 ? out[i].notional / mx : 0;
out:
    free(sufmin);
    free(sufmax);
    free(bins);
    return nout;
}

typedef struct cand {
    double price, w;
} cand_t;

static int cmp_cand(const void *a, const void *b)
{
    double x = ((const cand_t *)a)->price, y = ((const cand_t *)b)->price;
    return (x > y) - (x < y);
}

static int cmp_level(const void *a, const void *b)
{
    double x = ((const cpe_level_t *)a)->strength, y = ((const cpe_level_t *)b)->strength;
    return (x < y) - (x > y);
}

size_t cpe_sr_levels(const cpe_bar_t *b, size_t n, int swing, double tol_rel, cpe_level_t *out,
                     size_t max)
{
    if (swing < 1 || n < 2 * (size_t)swing + 1 || max == 0) return 0;
    cand_t *c = malloc(2 * n * sizeof *c);
    cpe_level_t *lv = malloc(2 * n * sizeof *lv);
    size_t nc = 0, nl = 0, nout = 0;
    if (!c || !lv) goto out;
    for (size_t i = (size_t)swing; i + (size_t)swing < n; i++) {
        int is_hi = 1, is_lo = 1;
        for (size_t j = i - (size_t)swing; j <= i + (size_t)swing; j++) {
            if (j == i) continue;
            if (b[j].high >= b[i].high) is_hi = 0;
            if (b[j].low <= b[i].low) is_lo = 0;
        }
        double w = 0.5 + 0.5 * (double)i / (double)(n - 1);
        if (is_hi && isfinite(b[i].high)) c[nc++] = (cand_t){b[i].high, w};
        if (is_lo && isfinite(b[i].low)) c[nc++] = (cand_t){b[i].low, w};
    }
    if (!nc) goto out;
    qsort(c, nc, sizeof *c, cmp_cand);
    double last = b[n - 1].close;
    for (size_t i = 0; i < nc;) {
        double sum = c[i].price * c[i].w, wsum = c[i].w;
        int touches = 1;
        size_t j = i + 1;
        while (j < nc && c[j].price - sum / wsum <= tol_rel * c[j].price) {
            sum += c[j].price * c[j].w;
            wsum += c[j].w;
            touches++;
            j++;
        }
        lv[nl].price = sum / wsum;
        lv[nl].strength = wsum;
        lv[nl].touches = touches;
        lv[nl].resistance = lv[nl].price > last;
        nl++;
        i = j;
    }
    qsort(lv, nl, sizeof *lv, cmp_level);
    nout = nl < max ? nl : max;
    double top = lv[0].strength;
    for (size_t i = 0; i < nout; i++) {
        out[i] = lv[i];
        out[i].strength = top > 0 ? lv[i].strength / top : 0;
    }
out:
    free(c);
    free(lv);
    return nout;
}

size_t cpe_volume_profile(const cpe_bar_t *b, size_t n, size_t nbins, cpe_vp_bin_t *out)
{
    if (n == 0 || nbins == 0) return 0;
    double lo = INFINITY, hi = -INFINITY;
    int has_tb = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i].low < lo) lo = b[i].low;
        if (b[i].high > hi) hi = b[i].high;
        if (!isnan(b[i].taker_buy_base)) has_tb = 1;
    }
    if (!isfinite(lo) || !isfinite(hi)) return 0;
    if (hi <= lo) hi = lo + fmax(lo * 1e-6, 1e-9);
    double w = (hi - lo) / (double)nbins;
    for (size_t k = 0; k < nbins; k++) {
        out[k].price_lo = lo + (double)k * w;
        out[k].price_hi = k + 1 == nbins ? hi : lo + (double)(k + 1) * w;
        out[k].volume = 0;
        out[k].buy_volume = has_tb ? 0 : NAN;
    }
    for (size_t i = 0; i < n; i++) {
        double v = b[i].volume, tb = b[i].taker_buy_base;
        if (!(v > 0)) continue;
        double l = b[i].low, h = b[i].high;
        if (!isfinite(l) || !isfinite(h)) continue;
        size_t k0 = (size_t)fmin((double)(nbins - 1), floor((l - lo) / w));
        size_t k1 = (size_t)fmin((double)(nbins - 1), floor((h - lo) / w));
        double range = h - l;
        for (size_t k = k0; k <= k1; k++) {
            double share;
            if (range <= 0)
                share = 1.0;
            else {
                double a = fmax(l, out[k].price_lo), z = fmin(h, out[k].price_hi);
                share = z > a ? (z - a) / range : 0;
            }
            out[k].volume += v * share;
            if (has_tb && !isnan(tb)) out[k].buy_volume += tb * share;
        }
    }
    return nbins;
}
