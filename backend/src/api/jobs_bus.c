/*
 * jobs_bus.c — backtests through the bus's job stream when `--bus` is set (docs/SCALE_OUT.md).
 *
 *   POST (service thread)  validated by jobs.c; writes the job record {"status":"queued"} to
 *                          the store (meta "backtest_job:<id>") and queues an XADD of
 *                          {"id","what","from","to","strategy"} on stream "cpe:jobs:backtest"
 *   consumer thread        every node with a bus consumes the stream in group "cpe-workers"
 *                          (cpe_bus_consume): it marks the record running, runs the
 *                          walk-forward backtest on a store handle of its own and writes the
 *                          result (the bytes `cpe backtest --out` writes) into the record;
 *                          an entry left unacknowledged by a dead node for CPE_JOB_RECLAIM_MS
 *                          is reclaimed and run again (a backtest is deterministic and its
 *                          finished folds are stored, so a second run reuses them and writes
 *                          the same result); a live node renews the claim of the entry it
 *                          runs (cpe/bus.h), so a long backtest is not taken over
 *   progress               each report of the walk-forward (stage, folds, ETA) is written into
 *                          the record and published on the bus as a "jobs" message
 *                          ("cpe:ws:jobs:-"), which every node hands to its WebSocket clients
 *                          of the "jobs" channel (the running node to its own, directly)
 *   GET (service thread)   the record from the store: any node answers for any job
 *   DELETE (service thread, any node)  sets the key "cpe:jobs:cancel:<id>" (its value: the
 *                          DELETE's wall time, ms) through the bus; the node running the job
 *                          watches that key (cpe_bus_job_watch, every 100 ms) and stops the
 *                          run between folds (< 100 ms, cpe/wfcache.h). A queued job is marked
 *                          cancelled at once and skipped by whichever node takes its entry
 *   shutdown               a running job is cancelled between folds; its record goes back to
 *                          "queued" and its entry stays pending for a reclaim
 */
#include "api/server.h"
#include "cpe/backtest.h"
#include "cpe/bus.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_STREAM "cpe:jobs:backtest"
#define JOB_GROUP "cpe-workers"
#define CANCEL_PREFIX "cpe:jobs:cancel:"
#define CANCEL_TTL_MS (24 * 3600 * 1000LL)
#define RECORD_MAX (256u * 1024 * 1024)

static void job_key(const char *id, char *key, size_t cap)
{
    snprintf(key, cap, "backtest_job:%s", id);
}

/* What the record and the "jobs" messages say about a job. */
typedef struct rec {
    const char *id, *status;
    int64_t queued_ms, started_ms, run_ms; /* 0, 0, -1 while unknown */
    const cpe_wfc_progress_t *prog;        /* NULL: none yet */
    int cancel_requested;
    int64_t cancel_ms;  /* -1: not cancelled */
    int saved;          /* -1: not done */
    const char *result; /* JSON, when done */
    const char *error;  /* message, when failed or cancelled */
} rec_t;

static void rec_init(rec_t *r, const char *id, const char *status, int64_t queued_ms)
{
    memset(r, 0, sizeof *r);
    r->id = id;
    r->status = status;
    r->queued_ms = queued_ms;
    r->run_ms = r->cancel_ms = r->saved = -1;
}

/* The members both the record and a "jobs" message carry. */
static void write_common(cpe_jw_t *w, const rec_t *r)
{
    static const cpe_wfc_progress_t none = {.eta_ms = -1};
    cpe_jw_kstr(w, "job_id", r->id);
    cpe_jw_kstr(w, "status", r->status);
    cpe_jw_kbool(w, "cancel_requested", r->cancel_requested);
    if (r->cancel_ms >= 0) cpe_jw_kint(w, "cancel_ms", r->cancel_ms);
    cpe_jobs_write_progress(w, r->prog ? r->prog : &none, r->status);
    if (r->saved >= 0) cpe_jw_kbool(w, "saved", r->saved);
}

/* The record: GET /backtest/{id} answers it as it is. */
static int write_record(cpe_store_t *st, const rec_t *r)
{
    cpe_buf_t b;
    cpe_buf_init(&b, RECORD_MAX);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    write_common(&w, r);
    cpe_jw_kint(&w, "queued_ms", r->queued_ms);
    if (r->started_ms) cpe_jw_kint(&w, "started_ms", r->started_ms);
    if (r->run_ms >= 0) cpe_jw_kint(&w, "run_ms", r->run_ms);
    cpe_jw_key(&w, "result");
    if (r->result)
        cpe_jw_raw(&w, r->result);
    else
        cpe_jw_null(&w);
    cpe_jw_key(&w, "error");
    if (r->error) {
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "code",
                    strcmp(r->status, "cancelled") ? "BACKTEST_FAILED" : "BACKTEST_CANCELLED");
        cpe_jw_kstr(&w, "message", r->error);
        cpe_jw_end(&w);
    } else {
        cpe_jw_null(&w);
    }
    cpe_jw_end(&w);
    char key[96];
    job_key(r->id, key, sizeof key);
    int rc = w.err ? CPE_ETOOBIG : st->ops->set_meta(st, key, b.data);
    cpe_buf_free(&b);
    return rc;
}

static void msg_members(cpe_jw_t *w, const void *arg)
{
    const rec_t *r = arg;
    write_common(w, r);
    if (r->error) cpe_jw_kstr(w, "error", r->error);
}

/* {"type":"job", ...} to this node's "jobs" clients and, through the bus, every other node's
 * (the same members as jobs.c pushes; the last message of a job has "saved" or "error"). */
static void announce(cpe_api_t *api, const rec_t *r)
{
    cpe_wsmsg_t *m = cpe_jobs_msg(msg_members, r);
    if (!m) return;
    cpe_api_bus_publish(api, m);
    cpe_api_inbox_push(api, m);
}

/* The stored record of id into out (NUL-terminated): 0, CPE_ENOTFOUND, or another error. */
static int read_record(cpe_store_t *st, const char *id, cpe_buf_t *out)
{
    char key[96];
    job_key(id, key, sizeof key);
    int rc = CPE_ETOOBIG;
    for (size_t cap = 64 * 1024; rc == CPE_ETOOBIG && cap <= RECORD_MAX; cap *= 4) {
        cpe_buf_reset(out);
        if (cpe_buf_reserve(out, cap)) return CPE_ENOMEM;
        rc = st->ops->get_meta(st, key, out->data, cap);
        if (!rc) out->len = strlen(out->data);
    }
    if (rc == CPE_EINVAL && strlen(id) > 40) rc = CPE_ENOTFOUND; /* too long for a key */
    if (rc) cpe_buf_reset(out);
    return rc;
}

/* The running job (consumer thread), its flag set by a DELETE on any node (through the
 * watched key, on the keeper's thread) or by this node's shutdown. */
typedef struct run {
    cpe_api_t *api;
    cpe_store_t *st;
    rec_t rec;
    cpe_wfc_progress_t last; /* the newest report, kept for the final record */
    atomic_int stop;
    _Atomic int64_t cancel_req_ms; /* the DELETE's wall time; 0: none */
} run_t;

static void on_cancel_key(void *ctx, const char *value)
{
    run_t *r = ctx;
    long long t = strtoll(value, NULL, 10);
    atomic_store(&r->cancel_req_ms, t > 0 ? (int64_t)t : cpe_now_ms());
    atomic_store(&r->stop, 1);
}

static void on_progress(const cpe_wfc_progress_t *p, void *ctx)
{
    run_t *r = ctx;
    r->last = *p; /* stage points at a string literal */
    r->rec.prog = &r->last;
    r->rec.cancel_requested = atomic_load(&r->cancel_req_ms) != 0;
    int rc = write_record(r->st, &r->rec);
    if (rc) cpe_warn("backtest %s: cannot store its progress (%s)", r->rec.id, cpe_strerror(rc));
    announce(r->api, &r->rec);
}

/* 1 when the stored record says the job was cancelled while it was queued. */
static int cancelled_before(cpe_store_t *st, const char *id)
{
    cpe_buf_t b;
    cpe_buf_init(&b, RECORD_MAX);
    json_t *j = read_record(st, id, &b) ? NULL : json_loadb(b.data, b.len, 0, NULL);
    const char *s = json_string_value(json_object_get(j, "status"));
    int c = s && !strcmp(s, "cancelled");
    json_decref(j);
    cpe_buf_free(&b);
    return c;
}

/* Run the walk-forward backtest of entry j; the engine's code. */
static int run_backtest(run_t *r, json_t *j, cpe_buf_t *out, cpe_diag_t *d)
{
    const char *strat = json_string_value(json_object_get(j, "strategy"));
    const char *what = json_string_value(json_object_get(j, "what"));
    int64_t from = json_integer_value(json_object_get(j, "from"));
    int64_t to = json_integer_value(json_object_get(j, "to"));
    cpe_bt_config_t cfg;
    cpe_bt_config_default(&cfg);
    int rc = strat ? cpe_bt_config_json(&cfg, strat, strlen(strat), d) : 0;
    cpe_wfc_opts_t wo;
    cpe_wfc_opts_default(&wo);
    wo.cancel = &r->stop;
    wo.progress = on_progress;
    wo.ctx = r;
    cpe_bt_result_t res = {0};
    if (!rc) rc = cpe_bt_run_store_wf(r->st, what, from, to, &cfg, &wo, &res, d);
    if (!rc && (rc = cpe_bt_result_json(&res, out))) cpe_diag_set(d, rc, "the result is too large");
    if (!rc) { /* listed by GET /backtests like a run of the embedded path */
        cpe_diag_t sd = {0};
        r->rec.saved =
            !cpe_bt_run_save(r->st, r->rec.id, cpe_now_ms(), what, from, to, &res, out->data, &sd);
        if (!r->rec.saved) cpe_warn("backtest %s: not saved: %s", r->rec.id, sd.msg);
    }
    cpe_bt_result_free(&res);
    return rc;
}

/* Run one job (the consumer thread); 1 leaves the entry pending (shutdown). */
static int run_entry(void *ctx, const char *entry, const char *payload, size_t len)
{
    cpe_api_t *api = ctx;
    json_t *j = json_loadb(payload, len, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    run_t *r = calloc(1, sizeof *r);
    cpe_diag_t d = {0};
    if (!r || !id || !json_string_value(json_object_get(j, "what")) ||
        cpe_store_open(api->cfg.db, &r->st, &d)) {
        cpe_warn("backtest job entry %s: %s", entry, r && id ? d.msg : "malformed entry");
        free(r);
        json_decref(j);
        return 0; /* nothing any node could do with it */
    }
    r->api = api;
    int64_t queued = json_integer_value(json_object_get(j, "queued_ms")), t0 = cpe_now_ms();
    rec_init(&r->rec, id, "running", queued);
    r->rec.started_ms = t0;
    int rc = 0, keep = 0;
    if (cancelled_before(r->st, id)) {
        cpe_info("backtest %s (stream entry %s): cancelled while queued, skipped", id, entry);
        goto out;
    }
    char key[CPE_BUS_CHANNEL_MAX];
    snprintf(key, sizeof key, CANCEL_PREFIX "%s", id);
    if (cpe_api_bus_job_watch(api, key, on_cancel_key, r))
        cpe_warn("backtest %s: cannot watch %s: a DELETE will not stop it", id, key);
    cpe_api_bus_job_running(api, &r->stop);
    cpe_info("backtest %s (stream entry %s): running", id, entry);
    write_record(r->st, &r->rec);
    announce(api, &r->rec);
    cpe_buf_t b;
    cpe_buf_init(&b, RECORD_MAX / 2);
    rc = run_backtest(r, j, &b, &d);
    cpe_api_bus_job_watch(api, "", NULL, NULL); /* r is freed below */
    cpe_api_bus_job_running(api, NULL);
    int64_t now = cpe_now_ms(), creq = atomic_load(&r->cancel_req_ms);
    if (rc == CPE_ECANCELED && !creq && cpe_api_bus_stopping(api)) {
        rec_init(&r->rec, id, "queued", queued);
        write_record(r->st, &r->rec);
        cpe_info("backtest %s: stopped by shutdown, left in the stream for another node", id);
        keep = 1;
    } else {
        r->rec.status = rc == CPE_ECANCELED ? "cancelled" : rc ? "failed" : "done";
        r->rec.run_ms = now - t0;
        r->rec.cancel_requested = creq != 0;
        if (rc == CPE_ECANCELED) r->rec.cancel_ms = now > creq ? now - creq : 0;
        r->rec.result = rc ? NULL : b.data;
        r->rec.error = rc ? d.msg : NULL;
        int wrc = write_record(r->st, &r->rec);
        if (wrc) cpe_warn("backtest %s: cannot store the result (%s)", id, cpe_strerror(wrc));
        announce(api, &r->rec);
        cpe_info("backtest %s (stream entry %s): %s in %lld ms%s%s", id, entry, r->rec.status,
                 (long long)r->rec.run_ms, rc ? ": " : "", rc ? d.msg : "");
    }
    cpe_buf_free(&b);
out:
    cpe_store_close(r->st);
    free(r);
    json_decref(j);
    return keep;
}

int cpe_jobs_bus_start(cpe_api_t *api, cpe_bus_t *bus, const char *node, cpe_diag_t *d)
{
    return cpe_bus_consume(bus, JOB_STREAM, JOB_GROUP, node, api->cfg.job_reclaim_ms, run_entry,
                           api, d);
}

int cpe_jobs_bus_post(cpe_req_t *req, cpe_resp_t *resp, const char *instr, int64_t from, int64_t to)
{
    cpe_api_t *api = req->api;
    char id[48];
    cpe_api_bus_job_id(api, id, sizeof id);
    json_t *s = req->body_json ? json_object_get((json_t *)req->body_json, "strategy") : NULL;
    char *strat = s && !json_is_null(s) ? json_dumps(s, JSON_COMPACT) : NULL;
    json_t *e =
        json_pack("{s:s,s:s,s:I,s:I,s:I}", "id", id, "what", instr, "from", (json_int_t)from, "to",
                  (json_int_t)to, "queued_ms", (json_int_t)req->now_ms);
    if (e && strat) json_object_set_new(e, "strategy", json_string(strat));
    char *txt = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    free(strat);
    rec_t r;
    rec_init(&r, id, "queued", req->now_ms);
    int rc = txt ? write_record(api->store, &r) : CPE_ENOMEM;
    if (!rc) rc = cpe_api_bus_xadd(api, JOB_STREAM, txt, strlen(txt));
    free(txt);
    if (rc)
        return cpe_resp_error(resp, 503, "BACKTEST_BUSY", NULL, NULL, 30,
                              "cannot queue the backtest (%s); retry later", cpe_strerror(rc));
    /* every role subscribes to the "jobs" messages (bus_api.c): this node's clients follow it */
    return cpe_jobs_accepted(resp, id, instr, 1);
}

/* The record of the path's id into resp->body; 0, or the error answered (returns 1). */
static int record_or_error(cpe_req_t *req, cpe_resp_t *resp, const char *id)
{
    int rc = read_record(req->api->store, id, &resp->body);
    if (rc == CPE_ENOTFOUND) {
        cpe_resp_error(resp, 404, "NOT_FOUND", "job_id", id, 0, "no backtest job '%s'", id);
        return 1;
    }
    if (rc) {
        cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "cannot read the job: %s",
                       cpe_strerror(rc));
        return 1;
    }
    return 0;
}

int cpe_jobs_bus_get(cpe_req_t *req, cpe_resp_t *resp)
{
    record_or_error(req, resp, req->path_param ? req->path_param : "");
    return 0;
}

int cpe_jobs_bus_delete(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_api_t *api = req->api;
    const char *id = req->path_param ? req->path_param : "";
    if (record_or_error(req, resp, id)) return 0;
    json_t *j = json_loadb(resp->body.data, resp->body.len, 0, NULL);
    const char *st = json_string_value(json_object_get(j, "status"));
    int queued = st && !strcmp(st, "queued"), running = st && !strcmp(st, "running");
    if (queued || running) {
        char key[CPE_BUS_CHANNEL_MAX], now[24];
        snprintf(key, sizeof key, CANCEL_PREFIX "%s", id);
        snprintf(now, sizeof now, "%lld", (long long)req->now_ms);
        int rc = cpe_api_bus_set(api, key, now, CANCEL_TTL_MS);
        if (rc) {
            json_decref(j);
            cpe_buf_reset(&resp->body);
            return cpe_resp_error(resp, 503, "BACKTEST_BUSY", NULL, NULL, 1,
                                  "cannot ask for the cancel (%s); retry", cpe_strerror(rc));
        }
    }
    if (queued) { /* whichever node takes the entry skips it (run_entry) */
        rec_t r;
        rec_init(&r, id, "cancelled", json_integer_value(json_object_get(j, "queued_ms")));
        r.cancel_requested = 1;
        r.cancel_ms = 0;
        r.error = "cancelled before it started";
        write_record(api->store, &r);
        announce(api, &r);
        record_or_error(req, resp, id);
    } else if (running) { /* the answer says so; the running node writes the end */
        json_object_set_new(j, "cancel_requested", json_true());
        char *txt = json_dumps(j, JSON_COMPACT);
        cpe_buf_reset(&resp->body);
        if (txt) cpe_buf_append(&resp->body, txt, strlen(txt));
        free(txt);
        resp->status = 202;
    }
    json_decref(j);
    return 0;
}
