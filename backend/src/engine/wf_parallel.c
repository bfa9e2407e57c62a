/* wf_parallel.c — walk-forward folds on a small pool of worker threads (cpe/wfcache.h).
 *
 * Workers take the next fold index under the lock, train it on the rows of its own window
 * (a sub-view: the fold sees nothing else) and queue the result; the caller's thread hands
 * finished folds to the sink in completion order, and wakes every 100 ms to look at the
 * cancel flag. A fold's records depend only on its rows and configuration, so the result
 * of every fold is the same whatever the number of workers. */
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
    const cpe_mlview_t *v;
    const cpe_wf_config_t *c;
    const cpe_wf_plan_t *plans;
    int n;
    const atomic_int *cancel; /* may be NULL */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int next, stop, live, n_ready;
    int *ready; /* fold indices in completion order */
    slot_t *slot;
} pool_t;

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
    size_t lo = lower_bound(p->v->ts_ms, p->v->n, f->train_from_ms);
    size_t hi = lower_bound(p->v->ts_ms, p->v->n, f->test_to_ms);
    cpe_mlview_t sv = *p->v;
    sv.n = hi - lo;
    sv.ts_ms += lo;
    sv.X += lo * sv.ncol;
    sv.close += lo;
    return cpe_wf_run_plan(&sv, p->c, &p->plans[i], res, NULL, NULL, d);
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
        p->ready[p->n_ready++] = i;
        pthread_cond_broadcast(&p->cv);
    }
    p->live--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int n_threads(const cpe_wfc_opts_t *o, int n)
{
    long t = o && o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1) t = 1;
    if (t > MAX_THREADS) t = MAX_THREADS;
    return t < n ? (int)t : n;
}

static int cancelled(const cpe_wfc_opts_t *o)
{
    return o && o->cancel && atomic_load(o->cancel);
}

/* The caller's side: wait for finished folds (waking every 100 ms for the cancel flag) and
 * hand them to the sink; after an error or a cancel, discard the rest. */
static int collect(pool_t *p, const cpe_wfc_opts_t *o, cpe_wfc_sink_fn sink, void *ctx,
                   cpe_diag_t *d)
{
    int rc = 0, handled = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->n_ready == handled && p->live > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&p->cv, &p->mu, &ts);
            if (!rc && cancelled(o)) {
                rc = cpe_diag_set(d, CPE_ECANCELED, "walk-forward: cancelled");
                p->stop = 1;
            }
        }
        if (p->n_ready == handled) break; /* no worker left, nothing queued */
        slot_t *s = &p->slot[p->ready[handled++]];
        pthread_mutex_unlock(&p->mu);
        if (!rc && s->rc) {
            rc = s->rc;
            *d = s->d;
        } else if (!rc && cancelled(o)) {
            rc = cpe_diag_set(d, CPE_ECANCELED, "walk-forward: cancelled");
        } else if (!rc) {
            rc = sink((int)(s - p->slot), &s->res, ctx, d);
        }
        cpe_wf_result_free(&s->res); /* no-op when the sink freed it */
        pthread_mutex_lock(&p->mu);
        if (rc) p->stop = 1;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int cpe_wfc_train_parallel(const cpe_mlview_t *v, const cpe_wf_config_t *c,
                           const cpe_wf_plan_t *plans, int n, const cpe_wfc_opts_t *o,
                           cpe_wfc_sink_fn sink, void *ctx, cpe_diag_t *d)
{
    if (n <= 0) return 0;
    pool_t p;
    memset(&p, 0, sizeof p);
    p.v = v, p.c = c, p.plans = plans, p.n = n, p.cancel = o ? o->cancel : NULL;
    p.ready = malloc((size_t)n * sizeof *p.ready);
    p.slot = calloc((size_t)n, sizeof *p.slot);
    if (!p.ready || !p.slot) {
        free(p.ready);
        free(p.slot);
        return cpe_diag_set(d, CPE_ENOMEM, "walk-forward: out of memory");
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    pthread_t th[MAX_THREADS];
    int nt = n_threads(o, n), started = 0, rc = 0;
    for (; started < nt; started++) {
        pthread_mutex_lock(&p.mu);
        p.live++;
        pthread_mutex_unlock(&p.mu);
        if (pthread_create(&th[started], NULL, worker, &p)) {
            pthread_mutex_lock(&p.mu);
            p.live--;
            pthread_mutex_unlock(&p.mu);
            break;
        }
    }
    if (!started)
        rc = cpe_diag_set(d, CPE_EINTERNAL, "walk-forward: cannot start a worker thread");
    else
        rc = collect(&p, o, sink, ctx, d);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    free(p.ready);
    free(p.slot);
    return rc;
}
