/*
 * heavy.h — the heavy GET routes answered on worker threads (CPE_HTTP_WORKERS, default 2).
 *
 * The lws service thread serves every connection in turn: a 10,000-bar /market-data (tens of
 * ms of store reads and JSON) would make a /predict that arrives meanwhile, answered from the
 * in-memory cache in microseconds, wait behind it. The routes named in heavy.c's table
 * (/market-data, /explain, /predictions, /backtests, /backtests/{run_id}) are therefore
 * handed to a small pool once the service thread has done everything else of the request —
 * rate limits, JWT, role, the route match — so the checks and the error contract are the
 * same code as for every route:
 *
 *   service thread                         worker (one of n)
 *   dispatch: checks, route match
 *   cpe_heavy_submit(): copy of the    ->  todo queue
 *     request; conn_t.heavy = job          handler(req) with the worker's own store reader
 *   (lws goes on with other clients)       (cpe_api_reader_t: read-only use of its own
 *                                          connection), body into job->resp
 *   EVENT_WAIT_CANCELLED: cpe_heavy_   <-  done queue + lws_cancel_service()
 *     collect(): lws_callback_on_writable
 *   HTTP_WRITEABLE: cpe_heavy_respond()
 *     sends job->resp (respond.c)
 *
 * Ownership: a job belongs to the queues until the service thread collects it; conn_t.heavy
 * points at it while it is in flight. A connection that closes first marks its job orphaned
 * (cpe_heavy_forget(), service thread), and collect frees it unanswered. Only the service
 * thread reads or writes `conn`/`wsi`/`orphan`; the workers touch the request and response.
 * Queues are bounded by the connections (one request in flight per connection).
 *
 * Threads: cpe_heavy_submit, _collect, _respond, _forget: service thread. Workers: their own.
 * Shutdown: cpe_heavy_stop() joins the workers (a request in progress finishes), then the
 * lws context is destroyed (its closes call cpe_heavy_forget), then cpe_heavy_free().
 */
#ifndef CPE_API_HEAVY_H
#define CPE_API_HEAVY_H

#include "api/conn.h"

typedef struct cpe_heavy cpe_heavy_t;
typedef struct cpe_heavy_job cpe_heavy_job_t;

/* n workers (0: *out = NULL, everything stays on the service thread), each with its own
 * store handle on api->cfg.db. */
int cpe_heavy_start(cpe_api_t *api, int n, cpe_heavy_t **out, cpe_diag_t *d);
void cpe_heavy_stop(cpe_heavy_t *h);
void cpe_heavy_free(cpe_heavy_t *h);

/* Whether the route is answered by a worker (heavy.c's table; GET and HEAD only). */
int cpe_heavy_route(const cpe_route_t *route, int method);
/* Queue req (copied: query, path, path parameter) for route; the answer comes later through
 * cpe_heavy_respond. 0, or CPE_ENOMEM (then the caller answers inline). */
int cpe_heavy_submit(cpe_heavy_t *h, struct lws *wsi, conn_t *c, const cpe_route_t *route,
                     const cpe_req_t *req);
/* EVENT_WAIT_CANCELLED: the finished jobs become writable connections. */
void cpe_heavy_collect(cpe_heavy_t *h);
/* HTTP_WRITEABLE: the connection's finished answer, if any. Returns 1 and sets *ret (what the
 * callback returns) when it sent one, 0 when c has none. */
int cpe_heavy_respond(struct lws *wsi, cpe_api_t *api, conn_t *c, int *ret);
/* The connection closes: its job in flight, if any, is dropped when it comes back. */
void cpe_heavy_forget(conn_t *c);

#endif
