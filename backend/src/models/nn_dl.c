/* nn_dl.c — the train/predict/save/load/free entry points of cpe/nn.h, forwarded to the
 * LibTorch bridge (nn_torch.cpp), which is a separate module (libcpe_nn_torch.so) opened with
 * dlopen the first time a neural model is used.
 *
 * Why a module: LibTorch pulls in some 290 shared libraries. Linked into the cpe binary, every
 * cpe process (a CLI call, each server, each test) started in ~1 s with ~168 MB RSS instead of
 * 0.03 s and 16 MB, whether or not it touched a network. Loaded on demand, only `--neural` and
 * models with neural members pay for it.
 *
 * Where: $CPE_NN_MODULE if set, else the path the build wrote it to (CPE_NN_MODULE_PATH), else
 * libcpe_nn_torch.so beside the running executable. A build without LibTorch (the clang fuzz
 * build) has no module: every call is refused with CPE_EUNSUPPORTED naming why. */
#include "cpe/nn.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CPE_NN_MODULE_PATH
#define CPE_NN_MODULE_PATH ""
#endif
#define MODULE_NAME "libcpe_nn_torch.so"

typedef int (*train_fn)(cpe_nn_t *, const cpe_nn_params_t *, const double *, size_t, size_t,
                        const size_t *, size_t, const size_t *, size_t, const double *,
                        cpe_diag_t *);
typedef int (*predict_fn)(const cpe_nn_t *, const double *, size_t, size_t, const size_t *, size_t,
                          double *, double *, double *, cpe_diag_t *);
typedef int (*dist_fn)(const cpe_nn_t *, const double *, size_t, size_t, const size_t *, size_t,
                       double *, double *, double *, double *, cpe_diag_t *);
typedef int (*attn_fn)(const cpe_nn_t *, const double *, size_t, size_t, const size_t *, size_t,
                       double *, double *, cpe_diag_t *);
typedef int (*save_fn)(const cpe_nn_t *, const char *, cpe_diag_t *);
typedef int (*load_fn)(cpe_nn_t *, const char *, size_t, cpe_diag_t *);
typedef void (*free_fn)(cpe_nn_t *);

static struct {
    pthread_once_t once;
    void *handle; /* kept for the process's life (never dlclosed: models may still point in) */
    train_fn train;
    predict_fn predict;
    dist_fn dist;
    attn_fn attention;
    save_fn save;
    load_fn load;
    free_fn free;
    char why[512];
} mod = {.once = PTHREAD_ONCE_INIT};

static void *try_open(const char *path)
{
    if (!path || !*path) return NULL;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) snprintf(mod.why, sizeof mod.why, "%s", dlerror());
    return h;
}

static void open_module(void)
{
    snprintf(mod.why, sizeof mod.why, "no %s was built (this build has no LibTorch)", MODULE_NAME);
    void *h = try_open(getenv("CPE_NN_MODULE"));
    if (!h) h = try_open(CPE_NN_MODULE_PATH);
    if (!h) {
        char exe[PATH_MAX], path[PATH_MAX + 32];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
        if (slash) {
            *slash = 0;
            snprintf(path, sizeof path, "%s/%s", exe, MODULE_NAME);
            if (access(path, R_OK) == 0) h = try_open(path);
        }
    }
    if (!h) return;
    mod.handle = h;
    mod.train = (train_fn)dlsym(h, "cpe_nnmod_train");
    mod.predict = (predict_fn)dlsym(h, "cpe_nnmod_predict");
    mod.dist = (dist_fn)dlsym(h, "cpe_nnmod_predict_dist");
    mod.attention = (attn_fn)dlsym(h, "cpe_nnmod_attention");
    mod.save = (save_fn)dlsym(h, "cpe_nnmod_save");
    mod.load = (load_fn)dlsym(h, "cpe_nnmod_load");
    mod.free = (free_fn)dlsym(h, "cpe_nnmod_free");
    if (!mod.train || !mod.predict || !mod.dist || !mod.attention || !mod.save || !mod.load ||
        !mod.free) {
        snprintf(mod.why, sizeof mod.why, "%s lacks an entry point", MODULE_NAME);
        mod.train = NULL;
    }
}

static int ready(cpe_diag_t *d)
{
    pthread_once(&mod.once, open_module);
    if (mod.train) return 0;
    return cpe_diag_set(d, CPE_EUNSUPPORTED, "neural models unavailable: %s", mod.why);
}

int cpe_nn_train(cpe_nn_t *m, const cpe_nn_params_t *p, const double *X, size_t nrow, size_t ncol,
                 const size_t *fit, size_t nfit, const size_t *valid, size_t nvalid,
                 const double *y, cpe_diag_t *d)
{
    if (ready(d)) {
        memset(m, 0, sizeof *m);
        return CPE_EUNSUPPORTED;
    }
    return mod.train(m, p, X, nrow, ncol, fit, nfit, valid, nvalid, y, d);
}

int cpe_nn_predict(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol, const size_t *rows,
                   size_t n, double *p_up, double *move, double *var, cpe_diag_t *d)
{
    return ready(d) ? CPE_EUNSUPPORTED : mod.predict(m, X, nrow, ncol, rows, n, p_up, move, var, d);
}

int cpe_nn_predict_dist(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol,
                        const size_t *rows, size_t n, double *p_up, double *move, double *var,
                        double *q, cpe_diag_t *d)
{
    return ready(d) ? CPE_EUNSUPPORTED : mod.dist(m, X, nrow, ncol, rows, n, p_up, move, var, q, d);
}

int cpe_nn_attention(const cpe_nn_t *m, const double *X, size_t nrow, size_t ncol,
                     const size_t *rows, size_t n, double *attn, double *vsel, cpe_diag_t *d)
{
    return ready(d) ? CPE_EUNSUPPORTED : mod.attention(m, X, nrow, ncol, rows, n, attn, vsel, d);
}

int cpe_nn_save(const cpe_nn_t *m, const char *path, cpe_diag_t *d)
{
    return ready(d) ? CPE_EUNSUPPORTED : mod.save(m, path, d);
}

int cpe_nn_load(cpe_nn_t *m, const char *path, size_t ncol, cpe_diag_t *d)
{
    if (ready(d)) {
        memset(m, 0, sizeof *m);
        return CPE_EUNSUPPORTED;
    }
    return mod.load(m, path, ncol, d);
}

void cpe_nn_free(cpe_nn_t *m)
{
    if (m && m->impl && mod.free) mod.free(m); /* a model with impl came from the module */
}
