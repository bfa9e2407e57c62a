/* rvol_json.c — realized-volatility model <-> metadata JSON (see rvol_json.h). */
#include "rvol_json.h"

#include <math.h>
#include <string.h>

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *nums(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, num(v[i]));
    return a;
}

static int get_nums(const json_t *a, double *v, size_t n)
{
    if (json_array_size(a) != n) return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_number(x)) return -1;
        v[i] = json_number_value(x);
    }
    return 0;
}

static double get(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

json_t *cpe_rvol_to_json(const cpe_rvol_t *m)
{
    if (!m->ok) return NULL;
    json_t *o = json_object(), *hs = json_array();
    json_object_set_new(o, "model",
                        json_string(m->no_har ? "GARCH-t (no 1m realized history: hourly bars), "
                                                "combined with EWMA; Student-t shape"
                                              : "seasonal log-HAR on 1m realized variance, "
                                                "combined with GARCH-t and EWMA; Student-t shape"));
    json_object_set_new(o, "no_har", json_boolean(m->no_har));
    json_object_set_new(o, "season_rv", nums(m->s_rv.f, CPE_SEASON_N));
    json_object_set_new(o, "season_volume", nums(m->s_vol.f, CPE_SEASON_N));
    json_object_set_new(o, "season_samples", json_integer((json_int_t)m->s_rv.n));
    for (int k = 0; k < m->n_h; k++) {
        const cpe_rvol_h_t *h = &m->h[k];
        json_t *x = json_object();
        json_object_set_new(x, "horizon_h", json_integer(h->horizon_h));
        json_object_set_new(x, "har_coefficients", nums(h->b, (size_t)h->p));
        json_object_set_new(x, "har_residual_var", num(h->s2));
        json_object_set_new(x, "weights_har_garch_ewma", nums(h->w, CPE_RVOL_NCAND));
        json_object_set_new(x, "level", num(h->level));
        json_object_set_new(x, "level_har", num(h->level_har));
        json_object_set_new(x, "nu", num(h->nu));
        json_object_set_new(x, "scale", num(h->scale));
        json_object_set_new(x, "extreme_mult", num(h->ext_mult));
        json_object_set_new(x, "valid_qlike_har_garch_ewma_combined",
                            nums(h->valid_qlike, CPE_RVOL_NCAND + 1));
        json_object_set_new(x, "n_fit", json_integer((json_int_t)h->n_fit));
        json_object_set_new(x, "n_valid", json_integer((json_int_t)h->n_valid));
        json_array_append_new(hs, x);
    }
    json_object_set_new(o, "horizons", hs);
    return o;
}

void cpe_rvol_from_json(const json_t *o, const char *const *names, size_t ncol, cpe_rvol_t *m)
{
    memset(m, 0, sizeof *m);
    const json_t *hs = json_object_get(o, "horizons");
    if (!o || !json_is_array(hs) || json_array_size(hs) > CPE_RVOL_MAX_H) return;
    m->no_har = json_is_true(json_object_get(o, "no_har"));
    if (get_nums(json_object_get(o, "season_rv"), m->s_rv.f, CPE_SEASON_N) ||
        get_nums(json_object_get(o, "season_volume"), m->s_vol.f, CPE_SEASON_N))
        return;
    cpe_season_finish(&m->s_rv);
    cpe_season_finish(&m->s_vol);
    for (size_t k = 0; k < json_array_size(hs); k++) {
        const json_t *x = json_array_get(hs, k);
        cpe_rvol_h_t *h = &m->h[k];
        const json_t *b = json_object_get(x, "har_coefficients");
        h->horizon_h = (int)json_integer_value(json_object_get(x, "horizon_h"));
        h->p = (int)json_array_size(b);
        if ((h->p < 1 && !m->no_har) || h->p > CPE_RVOL_MAXP || get_nums(b, h->b, (size_t)h->p) ||
            get_nums(json_object_get(x, "weights_har_garch_ewma"), h->w, CPE_RVOL_NCAND))
            return;
        h->s2 = get(x, "har_residual_var");
        h->level = get(x, "level");
        h->level_har = get(x, "level_har");
        h->nu = get(x, "nu");
        h->scale = get(x, "scale");
        h->ext_mult = get(x, "extreme_mult"); /* absent (older models): NaN = no widening */
        get_nums(json_object_get(x, "valid_qlike_har_garch_ewma_combined"), h->valid_qlike,
                 CPE_RVOL_NCAND + 1);
        h->n_fit = (size_t)json_integer_value(json_object_get(x, "n_fit"));
        h->n_valid = (size_t)json_integer_value(json_object_get(x, "n_valid"));
        if (!(h->level > 0) || !(h->level_har > 0) || !(h->nu > 2) || !(h->scale > 0) ||
            !isfinite(h->s2))
            return;
    }
    m->n_h = (int)json_array_size(hs);
    m->ok = cpe_rvol_bind(m, names, ncol, NULL) == 0;
    if (!m->ok) m->n_h = 0;
}
