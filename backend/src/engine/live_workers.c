/* live_workers.c — the minute's predictions shared out among the pipeline thread and a few
 * worker threads (live_int.h): with ten assets a close is ten predictions, and one thread
 * doing them one after the other is what kept the last asset's waiting. One worker per
 * core beyond the first (at most LIVE_MAX_WORKERS, at most one per symbol beyond the
 * first); each runs at the pipeline thread's priority (nice 5) with its own store handle,
 * and pushes its predictions through the sink itself. */
#include "live_int.h"

#include "cpe/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Take symbols until none is left; the last one done wakes the round's caller. */
static void take_symbols(cpe_live_t *l, cpe_store_t *st)
{
    live_pool_t *p = l->pool;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int i = p->next < l->nsym ? p->next++ : -1;
        int emit = p->emit;
        pthread_mutex_unlock(&p->mu);
        if (i < 0) return;
        live_predict_one(l, i, st, emit);
        pthread_mutex_lock(&p->mu);
        if (++p->finished == l->nsym) pthread_cond_broadcast(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

static void *worker_main(void *arg)
{
    cpe_live_t *l = arg;
    live_pool_t *p = l->pool;
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5))
        cpe_warn("live: cannot lower a prediction worker's priority: %s", strerror(errno));
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(l->db, &st, &d))
        cpe_warn("live: a prediction worker cannot open the store: %s", d.msg);
    int seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->round == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        seen = p->round;
        pthread_mutex_unlock(&p->mu);
        if (st) take_symbols(l, st);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    cpe_store_close(st);
    return NULL;
}

void live_workers_start(cpe_live_t *l)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = (int)(cores > 1 ? cores - 1 : 0);
    if (n > l->nsym - 1) n = l->nsym - 1;
    if (n > LIVE_MAX_WORKERS) n = LIVE_MAX_WORKERS;
    if (!l->cfg.predict || n <= 0) return;
    live_pool_t *p = calloc(1, sizeof *p);
    if (!p) return;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    l->pool = p;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&p->th[i], NULL, worker_main, l)) {
            cpe_warn("live: cannot start a prediction worker: %s", strerror(errno));
            break;
        }
        p->n++;
    }
    if (p->n == 0) live_workers_stop(l);
}

void live_workers_round(cpe_live_t *l, int emit)
{
    live_pool_t *p = l->pool;
    pthread_mutex_lock(&p->mu);
    p->next = p->finished = 0;
    p->emit = emit;
    p->round++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    take_symbols(l, l->store);
    pthread_mutex_lock(&p->mu);
    while (p->finished < l->nsym)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void live_workers_stop(cpe_live_t *l)
{
    live_pool_t *p = l->pool;
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n; i++)
        pthread_join(p->th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p);
    l->pool = NULL;
}
