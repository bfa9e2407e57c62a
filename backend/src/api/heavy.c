/* heavy.c — the heavy GET routes on a small worker pool (heavy.h). */
#include "api/heavy.h"
#include "cpe/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The routes whose answers are large reads of the store (by their metric name). /predict
 * (the cache), /health, /assets and the small routes stay on the service thread. */
static const char *const heavy_routes[] = {"market_data", "explain", "predictions", "backtests",
                                           "backtests_run"};

struct cpe_heavy_job {
    cpe_heavy_job_t *next;
    const cpe_route_t *route;
    cpe_req_t req; /* req.query is the copy; path and path_param point into the job */
    char path[512], path_param[256];
    cpe_resp_t resp;
    /* service thread only */
    struct lws *wsi;
    conn_t *conn;
    int orphan;    /* the connection closed while the job was out */
    int collected; /* back from the worker, the connection asked to write */
};

typedef struct worker {
    cpe_heavy_t *h;
    pthread_t th;
    int started;
    cpe_api_reader_t rd;
} worker_t;

struct cpe_heavy {
    cpe_api_t *api;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cpe_heavy_job_t *todo, *todo_tail, *done;
    int stopping;
    int n;
    worker_t w[16];
};

int cpe_heavy_route(const cpe_route_t *route, int method)
{
    if (!(method & (CPE_GET | CPE_HEAD)) || route->method != CPE_GET) return 0;
    for (size_t i = 0; i < sizeof heavy_routes / sizeof heavy_routes[0]; i++)
        if (!strcmp(route->name, heavy_routes[i])) return 1;
    return 0;
}

static void job_free(cpe_heavy_job_t *j)
{
    if (!j) return;
    cpe_resp_free(&j->resp);
    free(j);
}

static void run(worker_t *w, cpe_heavy_job_t *j)
{
    j->req.rd = &w->rd;
    j->req.api = w->h->api;
    cpe_resp_init(&j->resp, 256u * 1024 * 1024);
    if (!w->rd.store)
        cpe_resp_error(&j->resp, 500, "INTERNAL", NULL, NULL, 0, "store not open");
    else
        j->route->fn(&j->req, &j->resp);
}

/* Workers run at nice 5, as the live pipeline: on two busy cores the service thread, woken
 * for a /predict, is scheduled ahead of a worker in the middle of a 10,000-bar answer. */
static void *worker_main(void *arg)
{
    worker_t *w = arg;
    cpe_heavy_t *h = w->h;
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5))
        cpe_warn("http worker: cannot lower the thread's priority: %s", strerror(errno));
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->todo && !h->stopping)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->stopping) break;
        cpe_heavy_job_t *j = h->todo;
        h->todo = j->next;
        if (!h->todo) h->todo_tail = NULL;
        pthread_mutex_unlock(&h->mu);
        run(w, j);
        pthread_mutex_lock(&h->mu);
        j->next = h->done;
        h->done = j;
        pthread_mutex_unlock(&h->mu);
        /* the service thread wakes from poll() and collects (EVENT_WAIT_CANCELLED) */
        lws_cancel_service(h->api->ctx);
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int cpe_heavy_start(cpe_api_t *api, int n, cpe_heavy_t **out, cpe_diag_t *d)
{
    *out = NULL;
    if (n <= 0) return 0;
    cpe_heavy_t *h = calloc(1, sizeof *h);
    if (!h) return cpe_diag_set(d, CPE_ENOMEM, "out of memory for the HTTP workers");
    int max = (int)(sizeof h->w / sizeof h->w[0]);
    h->api = api;
    h->n = n < max ? n : max;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    int rc = 0;
    for (int i = 0; i < h->n && !rc; i++) {
        worker_t *w = &h->w[i];
        w->h = h;
        if ((rc = cpe_store_open(api->cfg.db, &w->rd.store, d))) break;
        if (pthread_create(&w->th, NULL, worker_main, w)) {
            rc = cpe_diag_set(d, CPE_EIO, "cannot start HTTP worker %d", i);
            break;
        }
        w->started = 1;
    }
    if (rc) {
        cpe_heavy_stop(h);
        cpe_heavy_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

void cpe_heavy_stop(cpe_heavy_t *h)
{
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    h->stopping = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < h->n; i++)
        if (h->w[i].started) {
            pthread_join(h->w[i].th, NULL);
            h->w[i].started = 0;
        }
}

static void free_list(cpe_heavy_job_t *j)
{
    while (j) {
        cpe_heavy_job_t *next = j->next;
        job_free(j);
        j = next;
    }
}

void cpe_heavy_free(cpe_heavy_t *h)
{
    if (!h) return;
    free_list(h->todo);
    free_list(h->done);
    for (int i = 0; i < h->n; i++)
        cpe_store_close(h->w[i].rd.store);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int cpe_heavy_submit(cpe_heavy_t *h, struct lws *wsi, conn_t *c, const cpe_route_t *route,
                     const cpe_req_t *req)
{
    cpe_heavy_job_t *j = calloc(1, sizeof *j);
    if (!j) return CPE_ENOMEM;
    j->route = route;
    j->req = *req;
    snprintf(j->path, sizeof j->path, "%s", req->path ? req->path : "");
    j->req.path = j->path;
    if (req->path_param) {
        snprintf(j->path_param, sizeof j->path_param, "%s", req->path_param);
        j->req.path_param = j->path_param;
    }
    j->wsi = wsi;
    j->conn = c;
    c->heavy = j;
    pthread_mutex_lock(&h->mu);
    if (h->todo_tail)
        h->todo_tail->next = j;
    else
        h->todo = j;
    h->todo_tail = j;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void cpe_heavy_collect(cpe_heavy_t *h)
{
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    cpe_heavy_job_t *j = h->done;
    h->done = NULL;
    pthread_mutex_unlock(&h->mu);
    while (j) {
        cpe_heavy_job_t *next = j->next;
        j->next = NULL;
        if (j->orphan) {
            job_free(j);
        } else {
            j->collected = 1;
            lws_callback_on_writable(j->wsi);
        }
        j = next;
    }
}

int cpe_heavy_respond(struct lws *wsi, cpe_api_t *api, conn_t *c, int *ret)
{
    cpe_heavy_job_t *j = c->heavy;
    if (!j || !j->collected) return 0;
    c->heavy = NULL;
    *ret = cpe_conn_send_resp(wsi, api, c, &j->resp);
    job_free(j);
    return 1;
}

void cpe_heavy_forget(conn_t *c)
{
    cpe_heavy_job_t *j = c->heavy;
    if (!j) return;
    c->heavy = NULL;
    if (j->collected)
        job_free(j); /* back, not yet written: nobody else holds it */
    else
        j->orphan = 1; /* in a queue or a worker: collect frees it */
}
