/* wf_parallel.c — walk-forward folds on a small pool of worker threads (cpe/wfcache.h).
 *
 * Workers take the next fold index under the lock, train it on the rows of its own window
 * (a sub-view: the fold sees nothing else) and queue the result; the caller's thread hands
 * finished folds to the sink in completion order, and wakes every 100 ms to look at the
 * cancel flag. A fold's records depend only on its rows and configuration, so the result
 * of every fold is the same whatever the number of workers.
 *
 * Ownership. The pool owns what the workers read (the rows, moved in; a copy of the
 * configuration and plans) and is reference-counted: the caller's thread and each worker
 * hold one. On a cancel the caller's thread does not wait for the folds in training: it
 * raises the pool's own stop flag (the gbt cancel hook of every training, read between
 * boosting rounds), detaches the workers and returns; each worker's training stops at its
 * next round, the worker discards the fold, and the last one out frees the pool.
 * cpe_wfc_drain() waits for such workers (process exit, tests). */
#include "cpe/wfcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 16

typedef struct slot {
    cpe_wf_result_t res;
    int rc;
    cpe_diag_t d;
} slot_t;

typedef struct pool {
    cpe_mldata_t m; /* owned */
    cpe_wf_config_t c;
    cpe_wf_plan_t *plans; /* owned copy */
    int n;
    const atomic_int *cancel; /* may be NULL; only read while the caller is inside */
    atomic_int halt;          /* the trainings' cancel hook (c.ms.cls/reg.cancel point here) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int next, stop, abandoned, live, refs, n_ready;
    int *ready; /* fold indices in completion order */
    slot_t *slot;
} pool_t;

/* Workers still running after their caller left (cancel): cpe_wfc_drain waits for them. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_detached;

void cpe_wfc_drain(void)
{
    pthread_mutex_lock(&g_mu);
    while (g_detached > 0)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
}

static void pool_free(pool_t *p)
{
    for (int i = 0; i < p->n; i++)
        cpe_wf_result_free(&p->slot[i].res);
    cpe_mldata_free(&p->m);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->plans);
    free(p->ready);
    free(p->slot);
    free(p);
}

/* Drop one reference (mu held, released here); the last one frees the pool. */
static void pool_unref(pool_t *p)
{
    int last = --p->refs == 0;
    pthread_mutex_unlock(&p->mu);
    if (last) pool_free(p);
}

static size_t lower_bound(const int64_t *ts, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int run_fold(const pool_t *p, int i, cpe_wf_result_t *res, cpe_diag_t *d)
{
    const cpe_wf_fold_t *f = &p->plans[i].f[0];
    size_t lo = lower_bound(p->m.v.ts_ms, p->m.v.n, f->train_from_ms);
    size_t hi = lower_bound(p->m.v.ts_ms, p->m.v.n, f->test_to_ms);
    cpe_mlview_t sv = p->m.v;
    sv.n = hi - lo;
    sv.ts_ms += lo;
    sv.X += lo * sv.ncol;
    sv.close += lo;
    return cpe_wf_run_plan(&sv, &p->c, &p->plans[i], res, NULL, NULL, d);
}

static void *worker(void *arg)
{
    pool_t *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop && p->next < p->n && !(p->cancel && atomic_load(p->cancel))) {
        int i = p->next++;
        pthread_mutex_unlock(&p->mu);
        slot_t *s = &p->slot[i];
        s->rc = run_fold(p, i, &s->res, &s->d);
        pthread_mutex_lock(&p->mu);
        if (p->abandoned) {
            cpe_wf_result_free(&s->res);
            continue;
        }
        p->ready[p->n_ready++] = i;
        pthread_cond_broadcast(&p->cv);
    }
    int detached = p->abandoned;
    p->live--;
    pthread_cond_broadcast(&p->cv);
    pool_unref(p);
    if (detached) {
        pthread_mutex_lock(&g_mu);
        if (--g_detached == 0) pthread_cond_broadcast(&g_cv);
        pthread_mutex_unlock(&g_mu);
    }
    return NULL;
}

static int n_threads(const cpe_wfc_opts_t *o, int n)
{
    long t = o && o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1) t = 1;
    if (t > MAX_THREADS) t = MAX_THREADS;
    return t < n ? (int)t : n;
}

static int cancelled(const pool_t *p)
{
    return p->cancel && atomic_load(p->cancel);
}

/* The caller's side: wait for finished folds (waking every 100 ms for the cancel flag) and
 * hand them to the sink; after an error, discard the rest. Returns with mu held; *abandon
 * is set on a cancel (the workers are left to finish on their own). */
static int collect(pool_t *p, cpe_wfc_sink_fn sink, void *ctx, int *abandon, cpe_diag_t *d)
{
    int rc = 0, handled = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->n_ready == handled && p->live > 0 && !cancelled(p)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        }
        if (!rc && cancelled(p)) {
            *abandon = 1;
            return cpe_diag_set(d, CPE_ECANCELED, "walk-forward: cancelled");
        }
        if (p->n_ready == handled) return rc; /* no worker left, nothing queued */
        slot_t *s = &p->slot[p->ready[handled++]];
        pthread_mutex_unlock(&p->mu);
        if (!rc && s->rc) {
            rc = s->rc;
            *d = s->d;
        } else if (!rc) {
            rc = sink((int)(s - p->slot), &s->res, ctx, d);
        }
        cpe_wf_result_free(&s->res); /* no-op when the sink freed it */
        pthread_mutex_lock(&p->mu);
        if (rc) p->stop = 1;
    }
}

static pool_t *pool_new(cpe_mldata_t *m, const cpe_wf_config_t *c, const cpe_wf_plan_t *plans,
                        int n, const cpe_wfc_opts_t *o)
{
    pool_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->plans = malloc((size_t)n * sizeof *p->plans);
    p->ready = malloc((size_t)n * sizeof *p->ready);
    p->slot = calloc((size_t)n, sizeof *p->slot);
    if (!p->plans || !p->ready || !p->slot) {
        free(p->plans);
        free(p->ready);
        free(p->slot);
        free(p);
        return NULL;
    }
    memcpy(p->plans, plans, (size_t)n * sizeof *plans);
    p->m = *m;
    memset(m, 0, sizeof *m);
    p->c = *c;
    atomic_init(&p->halt, 0);
    p->c.ms.cls.cancel = p->c.ms.reg.cancel = &p->halt;
    p->n = n;
    p->cancel = o ? o->cancel : NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->refs = 1;
    return p;
}

int cpe_wfc_train_parallel(cpe_mldata_t *m, const cpe_wf_config_t *c, const cpe_wf_plan_t *plans,
                           int n, const cpe_wfc_opts_t *o, cpe_wfc_sink_fn sink, void *ctx,
                           cpe_diag_t *d)
{
    if (n <= 0) return 0;
    pool_t *p = pool_new(m, c, plans, n, o);
    if (!p) return cpe_diag_set(d, CPE_ENOMEM, "walk-forward: out of memory");
    pthread_t th[MAX_THREADS];
    int nt = n_threads(o, n), started = 0, rc = 0, abandon = 0;
    for (; started < nt; started++) {
        pthread_mutex_lock(&p->mu);
        p->live++, p->refs++;
        pthread_mutex_unlock(&p->mu);
        if (pthread_create(&th[started], NULL, worker, p)) {
            pthread_mutex_lock(&p->mu);
            p->live--, p->refs--;
            pthread_mutex_unlock(&p->mu);
            break;
        }
    }
    if (!started) {
        pthread_mutex_lock(&p->mu);
        rc = cpe_diag_set(d, CPE_EINTERNAL, "walk-forward: cannot start a worker thread");
    } else {
        rc = collect(p, sink, ctx, &abandon, d); /* returns with mu held */
    }
    if (abandon) {
        /* the workers finish their folds on their own; count them for cpe_wfc_drain */
        p->abandoned = p->stop = 1;
        p->cancel = NULL;
        atomic_store(&p->halt, 1); /* the trainings stop at their next boosting round */
        pthread_mutex_lock(&g_mu);
        g_detached += p->live;
        pthread_mutex_unlock(&g_mu);
        for (int i = 0; i < started; i++)
            pthread_detach(th[i]);
        pool_unref(p);
        return rc;
    }
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_lock(&p->mu);
    pool_unref(p);
    return rc;
}
