/* regime.c — rule-based regime tags from data percentiles, the spec 11.2 adjustment table,
 * and the extreme-volatility check (see cpe/regime.h). The ML refinement is regime_ml.c. */
#include "cpe/regime.h"
#include "cpe/cone.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* spec 11.2: vol multiplier, drift adjustment in sigma, cone width */
static const cpe_regime_adjust_t adjust_table[CPE_REGIME_COUNT] = {
    [CPE_REGIME_LOW_VOL] = {"low-vol", 0.7, 0.0, "narrow"},
    [CPE_REGIME_NORMAL] = {"normal", 1.0, 0.0, "standard"},
    [CPE_REGIME_HIGH_VOL] = {"high-vol", 1.5, 0.0, "wide"},
    [CPE_REGIME_TREND_UP] = {"trending-up", 1.0, +0.5, "standard"},
    [CPE_REGIME_TREND_DOWN] = {"trending-down", 1.0, -0.5, "standard"},
    [CPE_REGIME_PANIC] = {"panic", 2.0, -1.0, "very wide"},
};

const cpe_regime_adjust_t *cpe_regime_adjust(cpe_regime_t r)
{
    return (int)r >= 0 && r < CPE_REGIME_COUNT ? &adjust_table[r] : NULL;
}

const char *cpe_regime_name(cpe_regime_t r)
{
    const cpe_regime_adjust_t *a = cpe_regime_adjust(r);
    return a ? a->name : "unknown";
}

int cpe_regime_from_name(const char *name)
{
    for (int i = 0; name && i < CPE_REGIME_COUNT; i++)
        if (!strcmp(adjust_table[i].name, name)) return i;
    return -1;
}

void cpe_regime_levels_default(cpe_regime_levels_t *l)
{
    l->vol_low = 20.0;
    l->vol_high = 80.0;
    l->trend_down = 15.0;
    l->trend_up = 85.0;
    l->panic_ret = 2.5;
}

static int usable(const cpe_regime_features_t *f)
{
    return f->vol_24h > 0 && isfinite(f->vol_24h) && isfinite(f->ret_4h) && isfinite(f->ret_24h);
}

static double z24(const cpe_regime_features_t *f)
{
    return f->ret_24h / (f->vol_24h * sqrt(24.0));
}

int cpe_regime_fit(const cpe_regime_features_t *x, size_t n, const cpe_regime_levels_t *lv,
                   cpe_regime_thresholds_t *out, cpe_diag_t *d)
{
    cpe_regime_levels_t def;
    if (!lv) {
        cpe_regime_levels_default(&def);
        lv = &def;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += usable(&x[i]);
    if (m < 100)
        return cpe_diag_set(d, CPE_EDATA,
                            "%zu usable feature rows: at least 100 are needed for "
                            "regime thresholds",
                            m);
    double *v = malloc(3 * m * sizeof *v);
    if (!v) return cpe_diag_set(d, CPE_ENOMEM, "out of memory for %zu rows", m);
    double *z = v + m, *r4 = z + m;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (usable(&x[i])) {
            v[k] = x[i].vol_24h;
            z[k] = z24(&x[i]);
            r4[k] = x[i].ret_4h;
            k++;
        }
    memset(out, 0, sizeof *out);
    out->levels = *lv;
    out->n = m;
    /* each select reorders its array; that is fine, every call asks a fresh quantile */
    out->vol_low = cpe_quantile_select(v, m, lv->vol_low / 100.0);
    out->vol_high = cpe_quantile_select(v, m, lv->vol_high / 100.0);
    out->trend_down = cpe_quantile_select(z, m, lv->trend_down / 100.0);
    out->trend_up = cpe_quantile_select(z, m, lv->trend_up / 100.0);
    out->panic_ret = cpe_quantile_select(r4, m, lv->panic_ret / 100.0);
    free(v);
    return 0;
}

cpe_regime_t cpe_regime_classify(const cpe_regime_thresholds_t *t, const cpe_regime_features_t *f)
{
    if (!usable(f)) return CPE_REGIME_NORMAL;
    double z = z24(f);
    if (f->ret_4h <= t->panic_ret && f->vol_24h >= t->vol_high) return CPE_REGIME_PANIC;
    if (z >= t->trend_up) return CPE_REGIME_TREND_UP;
    if (z <= t->trend_down) return CPE_REGIME_TREND_DOWN;
    if (f->vol_24h >= t->vol_high) return CPE_REGIME_HIGH_VOL;
    if (f->vol_24h <= t->vol_low) return CPE_REGIME_LOW_VOL;
    return CPE_REGIME_NORMAL;
}

void cpe_extreme_check(const double *z, size_t n, double threshold, cpe_extreme_t *out)
{
    if (!(threshold > 0)) threshold = 5.0;
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(z[i]) && fabs(z[i]) > mx) mx = fabs(z[i]);
    out->max_abs_z = mx;
    out->flag = mx > threshold;
    out->mult = out->flag ? fmin(2.0, mx / threshold) : 1.0;
    out->confidence_penalty = out->flag ? 1 : 0;
}
