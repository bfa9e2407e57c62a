/* nn.c — the parts of cpe/nn.h that need no runtime: defaults and names. Training,
 * prediction and files are nn_torch.cpp, a dlopen'ed module reached through nn_dl.c. */
#include "cpe/nn.h"

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
    static const char *const names[CPE_NN_NARCH] = {"tcn", "lstm"};
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
            return cpe_diag_set(d, CPE_EINVAL, "--neural: unknown model '%.*s' (known: tcn, lstm)",
                                (int)(len > 32 ? 32 : len), at);
        *mask |= 1u << found;
        if (!at[len]) return 0;
        at += len + 1;
    }
}
