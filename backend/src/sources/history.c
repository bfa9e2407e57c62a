/* history.c — paged, resumable, rate-limited fetch of klines, funding and open interest
 * history into the store (see cpe/history.h). The HTTP side is history_http.c. */
#include "cpe/history.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"
#include "sources/history_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One (market, kind) of the request. */
typedef struct task {
    cpe_market_kind_t m;
    cpe_data_kind_t kind;
    int64_t from_ms, to_ms, step_ms, window_ms;
    const char *series_kind;
    int64_t interval_ms;
} task_t;

/* The rows of one window, as the adapter's parser hands them over. */
typedef struct collect {
    int64_t from_ms, to_ms;
    cpe_kline_t *k;
    cpe_point_t *p;
    size_t n, cap;
} collect_t;

static int on_event(void *ctx, const cpe_market_event_t *ev)
{
    collect_t *c = ctx;
    int64_t ts = ev->kind == CPE_DK_KLINE ? ev->kline.ts_ms : ev->point.ts_ms;
    if (ts < c->from_ms || ts >= c->to_ms) return 0; /* outside the window, or in progress */
    if (ev->kind == CPE_DK_FUNDING && ev->point.v[1] != 1) return 0; /* an estimate */
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 1024;
        void *nk = ev->kind == CPE_DK_KLINE ? realloc(c->k, nc * sizeof *c->k)
                                            : realloc(c->p, nc * sizeof *c->p);
        if (!nk) return CPE_ENOMEM;
        if (ev->kind == CPE_DK_KLINE)
            c->k = nk;
        else
            c->p = nk;
        c->cap = nc;
    }
    if (ev->kind == CPE_DK_KLINE) {
        c->k[c->n++] = ev->kline;
        return 0;
    }
    cpe_point_t p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < CPE_POINT_NV; i++)
        p.v[i] = NAN;
    p.ts_ms = ts;
    p.v[0] = ev->point.v[0];
    if (ev->kind == CPE_DK_OI) p.v[1] = ev->point.v[1];
    c->p[c->n++] = p;
    return 0;
}

static void instrument_key(const cpe_history_req_t *r, cpe_market_kind_t m, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%s:%s", r->ex->name, m == CPE_SPOT ? "spot" : "perp", r->symbol);
}

/* Rows the window [a, b) holds when complete: the multiples of step in it. */
static int64_t expected_rows(int64_t a, int64_t b, int64_t step)
{
    int64_t first = cpe_floor_ms(a + step - 1, step);
    return b > first ? (b - first + step - 1) / step : 0;
}

/* 1 when the store already holds every row of the window. */
static int window_complete(cpe_store_t *st, const task_t *t, const char *instr, int64_t a,
                           int64_t b, int *complete)
{
    *complete = 0;
    int64_t id;
    int rc = st->ops->series_id(st, instr, t->series_kind, t->interval_ms, 0, 0, &id);
    if (rc == CPE_ENOTFOUND) return 0;
    if (rc) return rc;
    size_t n = 0;
    if (t->kind == CPE_DK_KLINE) {
        cpe_kline_t *k = NULL;
        rc = st->ops->get_klines(st, id, a, b, &k, &n);
        free(k);
    } else {
        cpe_point_t *p = NULL;
        rc = st->ops->get_points(st, id, a, b, &p, &n);
        free(p);
    }
    if (!rc) *complete = (int64_t)n >= expected_rows(a, b, t->step_ms);
    return rc;
}

static int store_window(cpe_store_t *st, const task_t *t, const char *instr, const collect_t *c,
                        cpe_history_task_stats_t *ts, cpe_diag_t *d)
{
    if (!c->n) return 0;
    int rc = st->ops->begin(st);
    int64_t id = 0;
    cpe_upsert_stats_t us = {0};
    if (!rc) rc = st->ops->series_id(st, instr, t->series_kind, t->interval_ms, 0, 1, &id);
    if (!rc && t->kind == CPE_DK_KLINE) rc = st->ops->put_klines(st, id, c->k, c->n, &us);
    if (!rc && t->kind != CPE_DK_KLINE) rc = st->ops->put_points(st, id, c->p, c->n, &us);
    if (rc) {
        cpe_diag_set(d, rc, "fetch: store: %s", st->diag.msg);
        st->ops->rollback(st);
        return rc;
    }
    if ((rc = st->ops->commit(st))) return cpe_diag_set(d, rc, "fetch: store: %s", st->diag.msg);
    ts->rows += c->n;
    ts->inserted += us.inserted;
    ts->updated += us.updated;
    return 0;
}

/* The tasks of a request: markets x kinds the exchange serves. */
static size_t plan(const cpe_history_req_t *r, task_t out[CPE_HISTORY_MAX_TASKS])
{
    static const cpe_data_kind_t kinds[] = {CPE_DK_KLINE, CPE_DK_FUNDING, CPE_DK_OI};
    unsigned mask =
        r->kinds ? r->kinds : (1u << CPE_DK_KLINE) | (1u << CPE_DK_FUNDING) | (1u << CPE_DK_OI);
    size_t n = 0;
    for (int mi = 0; mi < 2; mi++) {
        cpe_market_kind_t m = mi ? CPE_PERP : CPE_SPOT;
        if (!(mi ? r->perp : r->spot)) continue;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char path[1024];
            if (!(mask & (1u << kinds[k])) ||
                r->ex->rest_path(kinds[k], m, r->symbol, r->from_ms, r->to_ms, path, sizeof path))
                continue;
            task_t *t = &out[n++];
            memset(t, 0, sizeof *t);
            t->m = m, t->kind = kinds[k], t->from_ms = r->from_ms, t->to_ms = r->to_ms;
            if (kinds[k] == CPE_DK_KLINE) {
                t->step_ms = CPE_MS_PER_MIN, t->window_ms = r->ex->kline_page * CPE_MS_PER_MIN;
                t->series_kind = "kline:1m", t->interval_ms = CPE_MS_PER_MIN;
            } else if (kinds[k] == CPE_DK_FUNDING) {
                t->step_ms = 8 * CPE_MS_PER_HOUR;
                t->window_ms = CPE_HISTORY_FUNDING_ROWS * t->step_ms;
                t->series_kind = "funding", t->interval_ms = 8 * CPE_MS_PER_HOUR;
            } else {
                t->step_ms = CPE_HISTORY_OI_MS, t->window_ms = CPE_HISTORY_OI_ROWS * t->step_ms;
                t->series_kind = "oi", t->interval_ms = 0;
                int64_t oldest = r->to_ms - CPE_HISTORY_OI_DAYS * CPE_MS_PER_DAY;
                if (t->from_ms < oldest) t->from_ms = oldest;
            }
        }
    }
    return n;
}

static size_t task_windows(const task_t *t)
{
    return t->to_ms > t->from_ms
               ? (size_t)((t->to_ms - t->from_ms + t->window_ms - 1) / t->window_ms)
               : 0;
}

static int run_task(hist_http_t *h, cpe_store_t *st, const cpe_history_req_t *r, const task_t *t,
                    cpe_history_task_stats_t *ts, size_t *done, size_t total, cpe_diag_t *d)
{
    char instr[CPE_INSTR_KEY_MAX], what[CPE_INSTR_KEY_MAX + 32];
    instrument_key(r, t->m, instr, sizeof instr);
    snprintf(ts->instrument, sizeof ts->instrument, "%s", instr);
    ts->kind = t->series_kind;
    snprintf(what, sizeof what, "%s %s", instr, t->series_kind);
    collect_t c = {0};
    int rc = 0;
    for (int64_t a = t->from_ms; !rc && a < t->to_ms; a += t->window_ms) {
        int64_t b = a + t->window_ms < t->to_ms ? a + t->window_ms : t->to_ms;
        int complete;
        ts->windows++;
        if ((rc = window_complete(st, t, instr, a, b, &complete))) {
            cpe_diag_set(d, rc, "fetch: store: %s", st->diag.msg);
            break;
        }
        if (complete) {
            ts->skipped++;
        } else {
            c.from_ms = a, c.to_ms = b, c.n = 0;
            char path[1024];
            rc = r->ex->rest_path(t->kind, t->m, r->symbol, a, b, path, sizeof path);
            if (rc) rc = cpe_diag_set(d, rc, "fetch: %s: no request for %s", r->ex->name, what);
            if (!rc) rc = hist_http_get(h, t->m, path, t->kind, r->symbol, on_event, &c, d);
            if (!rc) rc = store_window(st, t, instr, &c, ts, d);
        }
        (*done)++;
        if (r->progress) r->progress(r->progress_ctx, *done, total, what);
    }
    free(c.k);
    free(c.p);
    return rc;
}

int cpe_history_fetch(cpe_store_t *st, const cpe_history_req_t *req, cpe_history_stats_t *out,
                      cpe_diag_t *d)
{
    memset(out, 0, sizeof *out);
    if (!req->symbol || !*req->symbol || !req->ex)
        return cpe_diag_set(d, CPE_EINVAL, "fetch: a symbol and an exchange are needed");
    cpe_history_req_t r = *req;
    r.from_ms = cpe_floor_ms(r.from_ms, CPE_MS_PER_MIN);
    r.to_ms = cpe_floor_ms(r.to_ms, CPE_MS_PER_MIN);
    int64_t now = cpe_floor_ms(cpe_now_ms(), CPE_MS_PER_MIN);
    if (r.to_ms > now) r.to_ms = now; /* closed minutes only */
    if (r.from_ms >= r.to_ms)
        return cpe_diag_set(d, CPE_EINVAL, "fetch: empty range (from must be before to and now)");
    task_t tasks[CPE_HISTORY_MAX_TASKS];
    out->ntasks = plan(&r, tasks);
    if (!out->ntasks)
        return cpe_diag_set(d, CPE_EINVAL, "fetch: %s serves none of the asked markets and kinds",
                            r.ex->name);
    size_t total = 0, done = 0;
    for (size_t i = 0; i < out->ntasks; i++)
        total += task_windows(&tasks[i]);
    hist_http_t h;
    int rc = hist_http_init(&h, r.ex, r.timeout_ms > 0 ? r.timeout_ms : 15000, r.attempts, d);
    int64_t t0 = cpe_now_ms();
    for (size_t i = 0; !rc && i < out->ntasks; i++)
        rc = run_task(&h, st, &r, &tasks[i], &out->task[i], &done, total, d);
    out->requests = h.requests, out->retries = h.retries, out->rate_waits = h.rate_waits;
    out->elapsed_ms = cpe_now_ms() - t0;
    hist_http_free(&h);
    return rc;
}
