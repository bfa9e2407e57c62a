/* nn.c — the parts of cpe/nn.h that need no runtime: defaults, names and the quantile
 * scores. Training,
 * prediction and files are nn_torch.cpp, a dlopen'ed module reached through nn_dl.c. */
#include "cpe/nn.h"

#include <math.h>
#include <string.h>

void cpe_nn_params_default(cpe_nn_params_t *p, cpe_nn_arch_t arch)
{
    memset(p, 0, sizeof *p);
    p->arch = arch;
    p->lookback = 48;
    p->stride = 12;
    p->hidden = 24;
    p->layers = arch == CPE_NN_TCN ? 4 : 1;
    p->max_epochs = 30;
    p->patience = 4;
    p->batch = 128;
    p->lr = 1e-3;
    p->weight_decay = 1e-4;
    p->threads = 1;
    p->seed = 42;
}

const char *cpe_nn_arch_name(cpe_nn_arch_t a)
{
    static const char *const names[CPE_NN_NARCH] = {"tcn", "lstm", "tft"};
    return a >= 0 && a < CPE_NN_NARCH ? names[a] : NULL;
}

int cpe_nn_parse_list(const char *list, unsigned *mask, cpe_diag_t *d)
{
    *mask = 0;
    const char *at = list ? list : "";
    for (;;) {
        size_t len = strcspn(at, ",");
        int found = -1;
        for (int a = 0; a < CPE_NN_NARCH; a++) {
            const char *n = cpe_nn_arch_name((cpe_nn_arch_t)a);
            if (strlen(n) == len && !strncmp(at, n, len)) found = a;
        }
        if (found < 0)
            return cpe_diag_set(d, CPE_EINVAL,
                                "--neural: unknown model '%.*s' (known: tcn, lstm, tft)",
                                (int)(len > 32 ? 32 : len), at);
        *mask |= 1u << found;
        if (!at[len]) return 0;
        at += len + 1;
    }
}

static double phi_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

double cpe_nn_quantile_level(int l)
{
    return l >= 0 && l < CPE_NN_NQ ? phi_cdf((double)(l - 2)) : NAN;
}

double cpe_nn_pinball(const double *q, double y)
{
    double s = 0;
    for (int l = 0; l < CPE_NN_NQ; l++) {
        double tau = cpe_nn_quantile_level(l), u = y - q[l];
        s += u >= 0 ? tau * u : (tau - 1) * u;
    }
    return s / CPE_NN_NQ;
}

/* The quantile function at z: linear between the levels' z = l - 2, extended linearly. */
static double quantile_at(const double *q, double z)
{
    int l = (int)floor(z) + 2;
    if (l < 0) l = 0;
    if (l > CPE_NN_NQ - 2) l = CPE_NN_NQ - 2;
    return q[l] + (q[l + 1] - q[l]) * (z - (double)(l - 2));
}

double cpe_nn_crps_quantiles(const double *q, double y)
{
    /* CRPS = 2 int_0^1 pinball_tau(y - Q(tau)) dtau, with tau = Phi(z), dtau = phi(z) dz:
     * the midpoint rule over z in [-8, 8] (the mass outside is below 1e-15) */
    const int steps = 640;
    const double h = 16.0 / steps, c = 0.3989422804014327; /* 1 / sqrt(2 pi) */
    double s = 0;
    for (int i = 0; i < steps; i++) {
        double z = -8.0 + h * (i + 0.5);
        double tau = phi_cdf(z), u = y - quantile_at(q, z);
        s += (u >= 0 ? tau * u : (tau - 1) * u) * c * exp(-0.5 * z * z);
    }
    return 2.0 * s * h;
}
