/* alerts_routes.c — the /alerts routes (api/alerts.h; documented in routes.c's table and
 * docs/API.md). Rules answer without their webhook secret. */
#include "api/alerts.h"
#include "api/server.h"
#include "cpe/alertdb.h"
#include "cpe/num.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS_MAX 200

#define P_RULE_FIELDS(req)                                                                         \
    {"kind", "body", "string", req,                                                                \
     "price_cross | cone_breach | p_up_cross | regime_change | confidence_high | stale | drift"},  \
        {"asset", "body", "string", req, "a configured asset"},                                    \
        {"horizon_h", "body", "integer", 0,                                                        \
         "hours, one of " CPE_HORIZONS_TEXT " (cone_breach, p_up_cross; optional otherwise)"},     \
        {"level", "body", "number", 0, "price_cross: the price level"},                            \
        {"threshold", "body", "number", 0,                                                         \
         "p_up_cross: a probability in (0,1); cone_breach: 1 or 2 (sigma band); drift: a PSI "     \
         "level > 0"},                                                                             \
        {"direction", "body", "string", 0, "up | down | any (default any)"},                       \
        {"regime", "body", "string", 0, "regime_change: the regime it changes to (default any)"},  \
        {"cooldown_s", "body", "integer", 0, "seconds between firings, 0..2592000 (default 300)"}, \
        {"enabled", "body", "boolean", 0, "false mutes the rule (default true)"},                  \
        {"name", "body", "string", 0, "a label"},                                                  \
        {"webhook_url", "body", "string", 0, "http(s) URL to POST each firing to"},                \
        {"webhook_secret", "body", "string", 0,                                                    \
         "HMAC-SHA256 key of X-CPE-Signature (required with a generic webhook; never returned)"},  \
    {                                                                                              \
        "webhook_format", "body", "string", 0, "generic (default) | slack | discord | telegram"    \
    }

const cpe_route_param_t cpe_alerts_p_rule[] = {P_RULE_FIELDS(1), {NULL, NULL, NULL, 0, NULL}};
const cpe_route_param_t cpe_alerts_p_patch[] = {
    {"id", "path", "integer", 1, "the rule's id"}, P_RULE_FIELDS(0), {NULL, NULL, NULL, 0, NULL}};
const cpe_route_param_t cpe_alerts_p_id[] = {{"id", "path", "integer", 1, "the rule's id"},
                                             {NULL, NULL, NULL, 0, NULL}};

static cpe_alerts_t *alerts_or_503(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_alerts_t *a = req->api->alerts;
    if (!a)
        cpe_resp_error(resp, 503, "ALERTS_OFF", NULL, NULL, 0,
                       "alerts are off on this server (CPE_ALERTS=0)");
    return a;
}

/* The {id} of the path, or a 404; the lock is taken when a rule is returned. */
static alert_slot_t *find_locked(cpe_alerts_t *a, cpe_req_t *req, cpe_resp_t *resp)
{
    int64_t id = 0;
    const char *p = req->path_param ? req->path_param : "";
    if (cpe_parse_i64(p, strlen(p), &id) || id <= 0) {
        cpe_resp_error(resp, 404, "ALERT_NOT_FOUND", "id", p, 0, "no alert rule '%s'", p);
        return NULL;
    }
    pthread_mutex_lock(&a->mu);
    alert_slot_t *s = alerts_find(a, id);
    if (!s) {
        pthread_mutex_unlock(&a->mu);
        cpe_resp_error(resp, 404, "ALERT_NOT_FOUND", "id", p, 0, "no alert rule %s", p);
    }
    return s;
}

static int answer_rule(cpe_resp_t *resp, const cpe_alert_rule_t *r, int status)
{
    char *j = cpe_alert_rule_json(r, 0);
    if (!j) return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "out of memory");
    resp->status = status;
    cpe_buf_puts(&resp->body, j);
    free(j);
    return 0;
}

static int store_failed(cpe_alerts_t *a, cpe_resp_t *resp, int rc)
{
    return cpe_resp_error(resp, 503, "STORE_ERROR", NULL, NULL, 0, "the store refused: %s (%s)",
                          a->store->diag.msg, cpe_strerror(rc));
}

int cpe_route_alerts_list(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_alerts_t *a = alerts_or_503(req, resp);
    if (!a) return 0;
    cpe_buf_puts(&resp->body, "{\"alerts\":[");
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->nslots; i++) {
        char *j = cpe_alert_rule_json(&a->slots[i].rule, 0);
        if (j) cpe_buf_printf(&resp->body, "%s%s", i ? "," : "", j);
        free(j);
    }
    cpe_buf_printf(&resp->body, "],\"fired\":%lld,\"delivered\":%lld,\"dead\":%lld}",
                   (long long)a->fired, (long long)a->delivered, (long long)a->dead);
    pthread_mutex_unlock(&a->mu);
    return 0;
}

static int rule_422(cpe_resp_t *resp, const char *field, const cpe_diag_t *d)
{
    return cpe_resp_error(resp, 422, "INVALID_ALERT", field, NULL, 0, "%s", d->msg);
}

/* The body over base (defaults for a create, the stored rule for a PATCH), then saved
 * under id (0: a new one). Called with mu held; releases it. */
static int parse_save(cpe_alerts_t *a, cpe_req_t *req, cpe_resp_t *resp, cpe_alert_rule_t r,
                      int status)
{
    char field[32];
    cpe_diag_t d;
    int64_t id = r.id, created = r.created_ms;
    int rc = cpe_alert_rule_parse(req->body, req->body_len, &r, field, &d), invalid = rc != 0;
    if (!rc) {
        r.id = id; /* ids are given, not taken */
        r.created_ms = created;
        rc = alerts_save_rule(a, &r);
    }
    pthread_mutex_unlock(&a->mu);
    if (invalid) return rule_422(resp, field, &d);
    return rc ? store_failed(a, resp, rc) : answer_rule(resp, &r, status);
}

int cpe_route_alerts_create(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_alerts_t *a = alerts_or_503(req, resp);
    if (!a) return 0;
    cpe_alert_rule_t r;
    cpe_alert_rule_defaults(&r);
    pthread_mutex_lock(&a->mu);
    return parse_save(a, req, resp, r, 201);
}

int cpe_route_alerts_patch(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_alerts_t *a = alerts_or_503(req, resp);
    if (!a) return 0;
    alert_slot_t *s = find_locked(a, req, resp);
    return s ? parse_save(a, req, resp, s->rule, 200) : 0;
}

int cpe_route_alerts_delete(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_alerts_t *a = alerts_or_503(req, resp);
    if (!a) return 0;
    alert_slot_t *s = find_locked(a, req, resp);
    if (!s) return 0;
    int64_t id = s->rule.id;
    int rc = alerts_delete_rule(a, id);
    pthread_mutex_unlock(&a->mu);
    if (rc) return store_failed(a, resp, rc);
    cpe_buf_printf(&resp->body, "{\"deleted\":%lld}", (long long)id);
    return 0;
}

typedef struct ev_walk {
    int64_t rule_id; /* 0: dead letters of every rule */
    json_t *out;     /* array, newest last (reversed when answering) */
} ev_walk_t;

static int collect(void *ctx, int64_t id, const char *json)
{
    ev_walk_t *w = ctx;
    (void)id;
    json_t *o = json_loads(json, 0, NULL);
    json_t *ev = json_object_get(o, "event");
    const char *st = json_string_value(json_object_get(json_object_get(o, "delivery"), "state"));
    int keep = w->rule_id ? json_integer_value(json_object_get(ev, "rule_id")) == w->rule_id
                          : st && !strcmp(st, "dead");
    if (keep && ev) {
        json_object_set(ev, "delivery", json_object_get(o, "delivery"));
        json_array_append(w->out, ev);
        if (json_array_size(w->out) > EVENTS_MAX) json_array_remove(w->out, 0);
    }
    json_decref(o);
    return 0;
}

static int answer_events(cpe_alerts_t *a, cpe_resp_t *resp, int64_t rule_id, const char *key)
{
    ev_walk_t w = {rule_id, json_array()};
    int rc = cpe_alertdb_each(a->store, "event", collect, &w);
    pthread_mutex_unlock(&a->mu);
    if (rc) {
        json_decref(w.out);
        return store_failed(a, resp, rc);
    }
    json_t *rev = json_array();
    for (size_t i = json_array_size(w.out); i-- > 0;)
        json_array_append(rev, json_array_get(w.out, i));
    json_t *o = json_pack("{s:o}", key, rev);
    char *t = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
    if (t) cpe_buf_puts(&resp->body, t);
    free(t);
    json_decref(o);
    json_decref(w.out);
    return 0;
}

int cpe_route_alerts_events(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_alerts_t *a = alerts_or_503(req, resp);
    if (!a) return 0;
    alert_slot_t *s = find_locked(a, req, resp);
    return s ? answer_events(a, resp, s->rule.id, "events") : 0;
}

int cpe_route_alerts_dead(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_alerts_t *a = alerts_or_503(req, resp);
    if (!a) return 0;
    pthread_mutex_lock(&a->mu);
    return answer_events(a, resp, 0, "dead_letters");
}
