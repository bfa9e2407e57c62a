/* nn_none.c — cpe/nn.h in a build without LibTorch (the clang fuzz build, CMakeLists.txt):
 * the neural models are refused with CPE_EUNSUPPORTED, as postgres:// URLs are without
 * libpq. Defaults and names (nn.c) work as usual. */
#include "cpe/nn.h"

#include <string.h>

static int none(cpe_diag_t *d)
{
    return cpe_diag_set(d, CPE_EUNSUPPORTED, "neural models: this build has no LibTorch");
}

int cpe_nn_train(cpe_nn_t *m, const cpe_nn_params_t *p, const double *X, size_t nrow, size_t ncol,
                 const size_t *fit, size_t nfit, const size_t *valid, size_t nvalid,
                 const double *y, cpe_diag_t *d)
{
    (void)p, (void)X, (void)nrow, (void)ncol, (void)fit, (void)nfit, (void)valid, (void)nvalid;
    (void)y;
    memset(m, 0, sizeof *m);
    return none(d);
}

int cpe_nn_predict(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol, const size_t *rows,
                   size_t n, double *p_up, double *move, double *var, cpe_diag_t *d)
{
    (void)m, (void)X, (void)nrow, (void)ncol, (void)rows, (void)n, (void)p_up, (void)move;
    (void)var;
    return none(d);
}

int cpe_nn_save(const cpe_nn_t *m, const char *path, cpe_diag_t *d)
{
    (void)m, (void)path;
    return none(d);
}

int cpe_nn_load(cpe_nn_t *m, const char *path, size_t ncol, cpe_diag_t *d)
{
    (void)path, (void)ncol;
    memset(m, 0, sizeof *m);
    return none(d);
}

void cpe_nn_free(cpe_nn_t *m)
{
    if (m) m->impl = NULL;
}
