/* features_batch.c — batch = the streaming engine in a loop (cpe/features.h). */
#include "cpe/features.h"

#include <stdlib.h>

int cpe_features_batch(const cpe_features_config_t *cfg, const cpe_bar_t *bars, size_t n,
                       const cpe_feature_obs_t *obs, size_t nobs, int64_t sample_ms, double *out,
                       size_t *nrows, size_t *rows_idx, cpe_diag_t *d)
{
    *nrows = 0;
    cpe_features_t *f = NULL;
    int rc = cpe_features_create(cfg, &f);
    if (rc) return cpe_diag_set(d, rc, "feature engine: %s", cpe_strerror(rc));
    const size_t nf = cpe_features_count();
    const int64_t bar_ms = cfg && cfg->bar_ms > 0 ? cfg->bar_ms : 60000;
    if (sample_ms < bar_ms) sample_ms = bar_ms;
    double *tmp = malloc(nf * sizeof *tmp);
    if (!tmp) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "feature engine: out of memory");
        goto out;
    }
    size_t k = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        const int64_t close_ms = bars[i].ts_ms + bar_ms;
        size_t k0 = k;
        while (k < nobs && obs[k].avail_ms <= close_ms)
            k++;
        int keep = bars[i].ts_ms % sample_ms == 0;
        double *row = keep ? out + r * nf : tmp;
        rc = cpe_features_push(f, &bars[i], obs + k0, k - k0, row);
        if (rc) {
            cpe_diag_set(d, rc,
                         "bar %zu (ts %lld): not after the previous bar, a non-positive "
                         "price, or an invalid observation",
                         i, (long long)bars[i].ts_ms);
            goto out;
        }
        if (keep) {
            if (rows_idx) rows_idx[r] = i;
            r++;
        }
    }
    *nrows = r;
out:
    free(tmp);
    cpe_features_free(f);
    return rc;
}
