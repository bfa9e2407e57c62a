/* registry_ab.c — champion/challenger: deterministic traffic routing and the paired
 * Diebold-Mariano test of the two models' losses (cpe/registry.h). */
#include "cpe/registry.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- champion / challenger ---------------------------------------------------------- */

int cpe_ab_route(double traffic_split, uint64_t key)
{
    uint64_t z = key + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    double u = (double)(z >> 11) * 0x1.0p-53;
    return u < traffic_split;
}

int cpe_ab_test(const double *lc, const double *lx, size_t n, int lag, double alpha,
                size_t min_samples, cpe_ab_result_t *out)
{
    memset(out, 0, sizeof *out);
    double *dd = malloc((n ? n : 1) * sizeof *dd);
    if (!dd) return CPE_ENOMEM;
    size_t m = 0;
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(lc[i]) && !isnan(lx[i])) {
            dd[m] = lc[i] - lx[i];
            mean += dd[m++];
        }
    out->n = m;
    out->mean_diff = out->se = out->z = out->p_value = NAN;
    if (m < 2) {
        free(dd);
        return CPE_EDATA;
    }
    mean /= (double)m;
    int L = lag >= 0 ? lag : (int)floor(cbrt((double)m));
    if ((size_t)L >= m) L = (int)m - 1;
    double lrv = 0; /* Newey-West long-run variance of d */
    for (int l = 0; l <= L; l++) {
        double g = 0;
        for (size_t t = (size_t)l; t < m; t++)
            g += (dd[t] - mean) * (dd[t - (size_t)l] - mean);
        g /= (double)m;
        lrv += (l == 0 ? 1.0 : 2.0 * (1.0 - (double)l / (L + 1.0))) * g;
    }
    free(dd);
    out->mean_diff = mean;
    out->se = lrv > 0 ? sqrt(lrv / (double)m) : 0;
    out->z = out->se > 0 ? mean / out->se : (mean > 0 ? INFINITY : mean < 0 ? -INFINITY : 0);
    out->p_value = erfc(fabs(out->z) / sqrt(2.0));
    out->promote = m >= min_samples && out->p_value < alpha && mean > 0;
    return 0;
}
