/* jobs.c — POST /backtest, GET and DELETE /backtest/{id}: a table of backtest jobs run by
 * worker threads (CPE_BACKTEST_WORKERS, default 1).
 *
 *   POST (service thread)  validate asset/from/to/strategy, resolve the price series the
 *                          server shows (cpe_api_kline_series), queue -> 202 {"job_id"}
 *   worker thread          takes the oldest queued job, runs cpe_bt_run_store_wf on its own
 *                          store handle (stores are one-thread objects), keeps the result
 *                          JSON (the same bytes `cpe backtest --out` writes); the walk-forward
 *                          folds report their progress into the job, and each report is
 *                          pushed on the WebSocket "jobs" channel; a finished run is saved
 *                          in the store under its job id (cpe_bt_run_save, GET /backtests)
 *   GET (service thread)   {"job_id","status","progress","result"|null,"error"|null}
 *   DELETE                 a queued job is cancelled at once; a running one gets its cancel
 *                          flag set (checked between folds: wfcache.h) and ends "cancelled"
 *
 * The table holds MAX_JOBS jobs; a new job replaces the oldest finished one, and when
 * every slot is queued or running POST answers 503 BACKTEST_BUSY with a retry delay.
 * Everything in the table is guarded by `mu`, except the cancel flag (atomic); a worker
 * reads its job's inputs, which nobody writes while it is running (finished jobs only are
 * replaced). */
#include "api/alerts.h"
#include "api/server.h"
#include "cpe/backtest.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JOBS 64
#define MAX_WORKERS 16
#define RESULT_CAP (256u * 1024 * 1024)

typedef enum { J_FREE = 0, J_QUEUED, J_RUNNING, J_DONE, J_FAILED, J_CANCELLED } job_state_t;
static const char *const state_name[] = {"free", "queued", "running",
                                         "done", "failed", "cancelled"};

typedef struct job {
    job_state_t state;
    char id[24];
    uint64_t seq; /* queue order */
    char what[CPE_INSTR_KEY_MAX];
    int64_t from_ms, to_ms;
    cpe_bt_config_t cfg;
    int64_t queued_ms, started_ms, done_ms;
    char *result; /* JSON, malloc'd, when done */
    int saved;    /* the result is in the store's saved runs (GET /backtests/{id}) */
    char error[512];
    atomic_int cancel;       /* DELETE while running */
    int64_t cancel_req_ms;   /* when DELETE came */
    cpe_wfc_progress_t prog; /* stage points at a string literal */
} job_t;

struct cpe_jobs {
    cpe_api_t *api;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, nthreads;
    pthread_t th[MAX_WORKERS];
    uint64_t seq;
    job_t job[MAX_JOBS];
};

static job_t *next_queued(cpe_jobs_t *j)
{
    job_t *best = NULL;
    for (int i = 0; i < MAX_JOBS; i++)
        if (j->job[i].state == J_QUEUED && (!best || j->job[i].seq < best->seq)) best = &j->job[i];
    return best;
}

void cpe_jobs_write_progress(cpe_jw_t *w, const cpe_wfc_progress_t *p, const char *status)
{
    cpe_jw_key(w, "progress");
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "stage", p->stage ? p->stage : status);
    cpe_jw_kint(w, "folds_total", p->folds_total);
    cpe_jw_kint(w, "folds_done", p->folds_done);
    cpe_jw_kint(w, "folds_reused", p->folds_reused);
    cpe_jw_kint(w, "folds_trained", p->folds_trained);
    cpe_jw_kint(w, "folds_backfilled", p->folds_stored);
    cpe_jw_key(w, "eta_ms");
    if (p->eta_ms >= 0 && p->stage)
        cpe_jw_int(w, p->eta_ms);
    else
        cpe_jw_null(w);
    cpe_jw_end(w);
}

/* The job's status and progress as JSON members (caller holds mu). */
static void write_status(cpe_jw_t *w, const job_t *jb)
{
    cpe_jw_kstr(w, "job_id", jb->id);
    cpe_jw_kstr(w, "status", state_name[jb->state]);
    cpe_jw_kbool(w, "cancel_requested", atomic_load(&jb->cancel) != 0);
    if (jb->state == J_CANCELLED) cpe_jw_kint(w, "cancel_ms", jb->done_ms - jb->cancel_req_ms);
    cpe_jobs_write_progress(w, &jb->prog, state_name[jb->state]);
}

cpe_wsmsg_t *cpe_jobs_msg(void (*members)(cpe_jw_t *w, const void *arg), const void *arg)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 4096);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "type", "job");
    members(&w, arg);
    cpe_jw_end(&w);
    cpe_wsmsg_t *m = w.err ? NULL : cpe_wsmsg_new(WS_CH_JOBS, "", "", 0, b.data, b.len);
    cpe_buf_free(&b);
    return m;
}

/* The members of a "jobs" message: status and progress; the last message of a job says what
 * a client needs without GET /backtest/{id}: "saved" when done (the result is then
 * GET /backtests/{id}), "error" (the message) when failed or cancelled. */
static void msg_members(cpe_jw_t *w, const void *arg)
{
    const job_t *jb = arg;
    write_status(w, jb);
    if (jb->state == J_DONE) cpe_jw_kbool(w, "saved", jb->saved);
    if (jb->state == J_FAILED || jb->state == J_CANCELLED) cpe_jw_kstr(w, "error", jb->error);
}

/* The job's message for the WebSocket "jobs" channel (caller holds mu; pushed after
 * unlocking: cpe_api_inbox_push takes the server's lock). */
static cpe_wsmsg_t *status_msg(const job_t *jb)
{
    return cpe_jobs_msg(msg_members, jb);
}

static void push(cpe_jobs_t *j, cpe_wsmsg_t *m)
{
    if (m) cpe_api_inbox_push(j->api, m);
}

typedef struct job_ctx {
    cpe_jobs_t *j;
    job_t *jb;
} job_ctx_t;

static void on_progress(const cpe_wfc_progress_t *p, void *ctx)
{
    job_ctx_t *c = ctx;
    pthread_mutex_lock(&c->j->mu);
    c->jb->prog = *p;
    cpe_wsmsg_t *m = status_msg(c->jb);
    pthread_mutex_unlock(&c->j->mu);
    push(c->j, m);
}

static void run_job(cpe_jobs_t *j, cpe_store_t *st, job_t *jb)
{
    cpe_bt_result_t r = {0};
    cpe_diag_t d = {0};
    cpe_buf_t b;
    cpe_buf_init(&b, RESULT_CAP);
    job_ctx_t ctx = {j, jb};
    cpe_wfc_opts_t wo;
    cpe_wfc_opts_default(&wo);
    wo.cancel = &jb->cancel;
    wo.progress = on_progress;
    wo.ctx = &ctx;
    int rc = st ? cpe_bt_run_store_wf(st, jb->what, jb->from_ms, jb->to_ms, &jb->cfg, &wo, &r, &d)
                : cpe_diag_set(&d, CPE_ESTORE, "cannot open the store");
    if (!rc && (rc = cpe_bt_result_json(&r, &b))) cpe_diag_set(&d, rc, "the result is too large");
    char *res = NULL;
    if (!rc && !(res = malloc(b.len + 1))) rc = cpe_diag_set(&d, CPE_ENOMEM, "out of memory");
    if (res) memcpy(res, b.data, b.len + 1);
    cpe_buf_free(&b);
    int saved = 0;
    if (res) { /* kept for GET /backtests (runs.c); a run that cannot be saved still answers */
        cpe_diag_t sd = {0};
        saved = !cpe_bt_run_save(st, jb->id, cpe_now_ms(), jb->what, jb->from_ms, jb->to_ms, &r,
                                 res, &sd);
        if (!saved) cpe_warn("backtest %s: not saved: %s", jb->id, sd.msg);
    }
    cpe_bt_result_free(&r);
    pthread_mutex_lock(&j->mu);
    jb->done_ms = cpe_now_ms();
    jb->state = rc == CPE_ECANCELED ? J_CANCELLED : rc ? J_FAILED : J_DONE;
    jb->result = res;
    jb->saved = saved;
    if (rc) snprintf(jb->error, sizeof jb->error, "%s", d.msg);
    cpe_wsmsg_t *m = status_msg(jb);
    pthread_mutex_unlock(&j->mu);
    push(j, m);
    cpe_info("backtest %s: %s in %lld ms (folds reused %d, trained %d)%s%s", jb->id,
             state_name[jb->state], (long long)(jb->done_ms - jb->started_ms),
             jb->prog.folds_reused, jb->prog.folds_trained, rc ? ": " : "", rc ? d.msg : "");
}

static void *worker(void *arg)
{
    cpe_jobs_t *j = arg;
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(j->api->cfg.db, &st, &d)) {
        cpe_warn("backtest worker: %s", d.msg);
        st = NULL;
    }
    pthread_mutex_lock(&j->mu);
    for (;;) {
        job_t *jb;
        while (!j->stop && !(jb = next_queued(j)))
            pthread_cond_wait(&j->cv, &j->mu);
        if (j->stop) break;
        jb->state = J_RUNNING;
        jb->started_ms = cpe_now_ms();
        pthread_mutex_unlock(&j->mu);
        run_job(j, st, jb);
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    cpe_store_close(st);
    return NULL;
}

int cpe_jobs_new(cpe_api_t *api, int workers, cpe_jobs_t **out)
{
    cpe_jobs_t *j = calloc(1, sizeof *j);
    if (!j) return CPE_ENOMEM;
    j->api = api;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    if (workers < 1) workers = 1;
    if (workers > MAX_WORKERS) workers = MAX_WORKERS;
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&j->th[i], NULL, worker, j)) {
            cpe_jobs_free(j);
            return CPE_EINTERNAL;
        }
        j->nthreads++;
    }
    *out = j;
    return 0;
}

void cpe_jobs_free(cpe_jobs_t *j)
{
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    j->stop = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    for (int i = 0; i < j->nthreads; i++)
        pthread_join(j->th[i], NULL);
    cpe_wfc_drain(); /* folds of cancelled jobs still finishing */
    for (int i = 0; i < MAX_JOBS; i++)
        free(j->job[i].result);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}

/* entry_alert given as a rule id: the stored rule in its place, without its webhook
 * (docs/BACKTEST.md). 0, or the 400 / 404 answered. */
static int entry_alert_by_id(cpe_req_t *req, cpe_resp_t *resp, json_t *s)
{
    json_t *v = json_object_get(s, "entry_alert");
    if (!json_is_integer(v)) return 0;
    cpe_alerts_t *a = req->api->alerts;
    if (!a)
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "strategy", NULL, 0,
                              "strategy: 'entry_alert' names a rule but alerts are off");
    pthread_mutex_lock(&a->mu);
    alert_slot_t *slot = alerts_find(a, json_integer_value(v));
    char *rule = slot ? cpe_alert_rule_json(&slot->rule, 0) : NULL;
    pthread_mutex_unlock(&a->mu);
    json_t *o = rule ? json_loads(rule, 0, NULL) : NULL;
    free(rule);
    if (!o)
        return cpe_resp_error(resp, 404, "ALERT_NOT_FOUND", "strategy", NULL, 0,
                              "strategy: 'entry_alert' %lld is not an alert rule",
                              (long long)json_integer_value(v));
    json_object_del(o, "webhook_url");
    json_object_del(o, "webhook_format");
    json_object_del(o, "webhook_secret_set");
    json_object_set_new(s, "entry_alert", o);
    return 0;
}

/* The strategy object of the body applied over the defaults (400 naming the key). */
static int strategy_param(cpe_req_t *req, cpe_resp_t *resp, cpe_bt_config_t *cfg)
{
    cpe_bt_config_default(cfg);
    json_t *s = req->body_json ? json_object_get((json_t *)req->body_json, "strategy") : NULL;
    if (!s || json_is_null(s)) return 0;
    if (!json_is_object(s))
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "strategy", NULL, 0,
                              "strategy must be a JSON object");
    int rc = entry_alert_by_id(req, resp, s);
    if (rc) return rc;
    char *txt = json_dumps(s, JSON_COMPACT);
    if (!txt) return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "out of memory");
    cpe_diag_t d = {0};
    rc = cpe_bt_config_json(cfg, txt, strlen(txt), &d);
    free(txt);
    if (rc) return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "strategy", NULL, 0, "%s", d.msg);
    return 0;
}

/* A slot for a new job: a free one, else the oldest finished one; NULL when all busy. */
static job_t *take_slot(cpe_jobs_t *j)
{
    job_t *old = NULL;
    for (int i = 0; i < MAX_JOBS; i++) {
        job_t *jb = &j->job[i];
        if (jb->state == J_FREE) return jb;
        if (jb->state >= J_DONE && (!old || jb->seq < old->seq)) old = jb;
    }
    if (old) {
        free(old->result);
        memset(old, 0, sizeof *old);
        atomic_init(&old->cancel, 0);
    }
    return old;
}

int cpe_route_backtest_post(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_api_t *api = req->api;
    char asset[16], symbol[32], instr[CPE_INSTR_KEY_MAX];
    int64_t from, to, last;
    int rc, simulated;
    cpe_bt_config_t cfg;
    if ((rc = cpe_param_asset(req, resp, 1, asset, symbol))) return rc;
    if ((rc = cpe_param_time(req, resp, "from", INT64_MIN, &from))) return rc;
    if ((rc = cpe_param_time(req, resp, "to", INT64_MIN, &to))) return rc;
    if (from == INT64_MIN || to == INT64_MIN)
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", from == INT64_MIN ? "from" : "to",
                              NULL, 0, "from and to are required");
    if (from >= to)
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "from", NULL, 0,
                              "from must be before to");
    if (to - from > CPE_BT_MAX_DAYS * CPE_MS_PER_DAY)
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "to", NULL, 0,
                              "a backtest covers at most %d days", CPE_BT_MAX_DAYS);
    if ((rc = strategy_param(req, resp, &cfg))) return rc;
    if (cfg.strat.has_entry_alert && strcmp(cfg.strat.entry_alert.asset, asset))
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "strategy", NULL, 0,
                              "strategy: 'entry_alert' watches %s, the backtest is of %s",
                              cfg.strat.entry_alert.asset, asset);
    if (cpe_api_kline_series(api, symbol, instr, &simulated, &last))
        return cpe_resp_error(resp, 404, "NO_DATA", "asset", asset, 0, "no price data for %s",
                              asset);
    if (api->bus) return cpe_jobs_bus_post(req, resp, instr, from, to);
    cpe_jobs_t *j = api->jobs;
    pthread_mutex_lock(&j->mu);
    job_t *jb = take_slot(j);
    if (!jb) {
        pthread_mutex_unlock(&j->mu);
        return cpe_resp_error(resp, 503, "BACKTEST_BUSY", NULL, NULL, 30,
                              "%d backtests are queued or running; retry later", MAX_JOBS);
    }
    jb->seq = ++j->seq;
    snprintf(jb->id, sizeof jb->id, "bt-%llx-%llx",
             (unsigned long long)(req->now_ms & 0xffffffffff), (unsigned long long)jb->seq);
    snprintf(jb->what, sizeof jb->what, "%s", instr);
    jb->from_ms = from;
    jb->to_ms = to;
    jb->cfg = cfg;
    jb->queued_ms = req->now_ms;
    jb->state = J_QUEUED;
    char id[24];
    memcpy(id, jb->id, sizeof id);
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return cpe_jobs_accepted(resp, id, instr, 1);
}

int cpe_jobs_accepted(cpe_resp_t *resp, const char *id, const char *instr, int ws_progress)
{
    resp->status = 202;
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "job_id", id);
    cpe_jw_kstr(&w, "status", "queued");
    cpe_jw_kstr(&w, "instrument", instr);
    cpe_jw_kbool(&w, "ws_progress", ws_progress);
    cpe_jw_end(&w);
    return w.err ? CPE_ETOOBIG : 0;
}

/* The job of the path's id, with mu held; NULL (mu released, 404 written) when none. */
static job_t *find_job(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_jobs_t *j = req->api->jobs;
    const char *id = req->path_param ? req->path_param : "";
    pthread_mutex_lock(&j->mu);
    for (int i = 0; i < MAX_JOBS; i++)
        if (j->job[i].state != J_FREE && !strcmp(j->job[i].id, id)) return &j->job[i];
    pthread_mutex_unlock(&j->mu);
    cpe_resp_error(resp, 404, "NOT_FOUND", "job_id", id, 0, "no backtest job '%s'", id);
    return NULL;
}

int cpe_route_backtest_delete(cpe_req_t *req, cpe_resp_t *resp)
{
    if (req->api->bus) return cpe_jobs_bus_delete(req, resp); /* any node's job (jobs_bus.c) */
    cpe_jobs_t *j = req->api->jobs;
    job_t *jb = find_job(req, resp);
    if (!jb) return 0;
    if (jb->state == J_QUEUED || jb->state == J_RUNNING) jb->cancel_req_ms = req->now_ms;
    if (jb->state == J_QUEUED) {
        jb->state = J_CANCELLED;
        jb->done_ms = req->now_ms;
        snprintf(jb->error, sizeof jb->error, "cancelled before it started");
    } else if (jb->state == J_RUNNING) {
        atomic_store(&jb->cancel, 1);
    }
    resp->status = jb->state == J_RUNNING ? 202 : 200;
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    write_status(&w, jb);
    cpe_jw_end(&w);
    cpe_wsmsg_t *m = status_msg(jb);
    pthread_mutex_unlock(&j->mu);
    push(j, m);
    return w.err ? CPE_ETOOBIG : 0;
}

int cpe_route_backtest_get(cpe_req_t *req, cpe_resp_t *resp)
{
    if (req->api->bus) return cpe_jobs_bus_get(req, resp); /* any node's job (jobs_bus.c) */
    cpe_jobs_t *j = req->api->jobs;
    job_t *jb = find_job(req, resp);
    if (!jb) return 0;
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    write_status(&w, jb);
    cpe_jw_kint(&w, "queued_ms", jb->queued_ms);
    if (jb->state >= J_RUNNING) cpe_jw_kint(&w, "started_ms", jb->started_ms);
    if (jb->state >= J_DONE) cpe_jw_kint(&w, "run_ms", jb->done_ms - jb->started_ms);
    if (jb->state == J_DONE) cpe_jw_kbool(&w, "saved", jb->saved);
    cpe_jw_key(&w, "result");
    if (jb->state == J_DONE)
        cpe_jw_raw(&w, jb->result);
    else
        cpe_jw_null(&w);
    cpe_jw_key(&w, "error");
    if (jb->state == J_FAILED || jb->state == J_CANCELLED) {
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "code", jb->state == J_FAILED ? "BACKTEST_FAILED" : "BACKTEST_CANCELLED");
        cpe_jw_kstr(&w, "message", jb->error);
        cpe_jw_end(&w);
    } else {
        cpe_jw_null(&w);
    }
    cpe_jw_end(&w);
    pthread_mutex_unlock(&j->mu);
    if (w.err) cpe_buf_reset(&resp->body);
    return w.err ? cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "result too large") : 0;
}
