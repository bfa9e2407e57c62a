/* alerts.c — the alert runtime: rules in memory, evaluation at live events, firings
 * stored before they are pushed or posted (api/alerts.h). */
#include "api/alerts.h"
#include "api/server.h"
#include "cpe/alertdb.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

alert_slot_t *alerts_find(cpe_alerts_t *a, int64_t id)
{
    for (int i = 0; i < a->nslots; i++)
        if (a->slots[i].rule.id == id) return &a->slots[i];
    return NULL;
}

static alert_slot_t *slot_add(cpe_alerts_t *a, const cpe_alert_rule_t *r)
{
    if (a->nslots == a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        alert_slot_t *s = realloc(a->slots, (size_t)cap * sizeof *s);
        if (!s) return NULL;
        a->slots = s;
        a->cap = cap;
    }
    alert_slot_t *s = &a->slots[a->nslots++];
    memset(s, 0, sizeof *s);
    s->rule = *r;
    cpe_alert_state_init(&s->st);
    return s;
}

int alerts_save_rule(cpe_alerts_t *a, cpe_alert_rule_t *r)
{
    int rc = 0;
    if (!r->id) {
        if ((rc = cpe_alertdb_next_id(a->store, "rule", &r->id))) return rc;
        r->created_ms = cpe_now_ms();
    }
    char *j = cpe_alert_rule_json(r, 1);
    if (!j) return CPE_ENOMEM;
    rc = cpe_alertdb_put(a->store, "rule", r->id, j);
    free(j);
    if (rc) return rc;
    alert_slot_t *s = alerts_find(a, r->id);
    if (s) {
        s->rule = *r; /* the state stays: a muted rule does not fire on its unmute */
        return 0;
    }
    if (!(s = slot_add(a, r))) return CPE_ENOMEM;
    /* a price crosses the level relative to the price when the rule was made */
    int ai = cpe_asset_index(r->asset);
    if (ai >= 0 && a->last_seen_ms[ai]) {
        s->st.has_price = 1;
        s->st.price = a->last_price[ai];
    }
    return 0;
}

int alerts_delete_rule(cpe_alerts_t *a, int64_t id)
{
    alert_slot_t *s = alerts_find(a, id);
    if (!s) return CPE_ENOTFOUND;
    int rc = cpe_alertdb_del(a->store, "rule", id);
    if (rc) return rc;
    int i = (int)(s - a->slots);
    memmove(s, s + 1, (size_t)(a->nslots - i - 1) * sizeof *s);
    a->nslots--;
    return 0;
}

/* ---------- firing ---------- */

static char *event_json(const cpe_alert_rule_t *r, const cpe_alert_fire_t *f, int64_t id,
                        int simulated)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 16);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    char iso[32];
    cpe_format_iso8601(f->t_ms, iso);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "type", "alert");
    cpe_jw_kint(&w, "id", id);
    cpe_jw_kint(&w, "rule_id", r->id);
    cpe_jw_kstr(&w, "name", r->name);
    cpe_jw_kstr(&w, "kind", cpe_alert_kind_name(r->kind));
    cpe_jw_kstr(&w, "asset", r->asset);
    if (r->horizon_h) cpe_jw_kint(&w, "horizon_h", r->horizon_h);
    cpe_jw_kint(&w, "t_ms", f->t_ms);
    cpe_jw_kstr(&w, "time", iso);
    cpe_jw_key(&w, "value");
    if (isfinite(f->value))
        cpe_jw_num(&w, f->value);
    else
        cpe_jw_null(&w);
    cpe_jw_kstr(&w, "message", f->message);
    cpe_jw_kbool(&w, "simulated", simulated);
    cpe_jw_end(&w);
    if (w.err) {
        cpe_buf_free(&b);
        return NULL;
    }
    return cpe_buf_steal(&b, NULL);
}

static void fire(cpe_alerts_t *a, alert_slot_t *s, const cpe_alert_fire_t *f, int simulated)
{
    const cpe_alert_rule_t *r = &s->rule;
    int64_t id = 0;
    char *ev = NULL;
    int rc = cpe_alertdb_next_id(a->store, "event", &id);
    if (!rc && !(ev = event_json(r, f, id, simulated))) rc = CPE_ENOMEM;
    if (!rc) {
        int hook = r->webhook_url[0] != 0;
        size_t n = strlen(ev) + 256;
        char *rec = malloc(n);
        if (!rec) rc = CPE_ENOMEM;
        if (rec) {
            snprintf(rec, n,
                     "{\"event\":%s,\"delivery\":{\"state\":\"%s\",\"attempts\":0,"
                     "\"fired_ms\":%lld,\"next_ms\":%lld}}",
                     ev, hook ? "pending" : "none", (long long)f->t_ms, (long long)f->t_ms);
            rc = cpe_alertdb_put(a->store, "event", id, rec);
            free(rec);
        }
        char st[64];
        snprintf(st, sizeof st, "{\"last_fired_ms\":%lld}", (long long)s->st.last_fired_ms);
        if (!rc) rc = cpe_alertdb_put(a->store, "state", r->id, st);
        alert_job_t j = {id, r->id, f->t_ms, f->t_ms, 0};
        if (!rc && hook) rc = alerts_enqueue(a, &j);
    }
    if (rc) {
        /* not stored: not delivered either (at most once), but said */
        cpe_warn("alerts: rule %lld fired but the firing could not be stored: %s", (long long)r->id,
                 a->store->diag.msg);
        free(ev);
        return;
    }
    a->fired++;
    cpe_wsmsg_t *m = cpe_wsmsg_new(WS_CH_ALERTS, r->asset, "", 0, ev, strlen(ev));
    if (m) cpe_api_inbox_push(a->api, m);
    free(ev);
}

/* ---------- evaluation ---------- */

/* The cone band of the prediction made horizon_h hours before t_end (cached per rule; a
 * store read only when the bar closes or nothing is cached). */
static int cone_band(cpe_alerts_t *a, alert_slot_t *s, const char *symbol, int64_t t_end,
                     int refresh, cpe_alert_input_t *in)
{
    int64_t h_ms = (int64_t)s->rule.horizon_h * CPE_MS_PER_HOUR;
    if (refresh || !s->band_pred_ts) {
        cpe_prediction_t p;
        s->band_ok = 0;
        if (!a->store->ops->get_prediction(a->store, symbol, s->rule.horizon_h, t_end - h_ms, &p,
                                           NULL) &&
            p.ts_ms + CPE_MS_PER_HOUR >= t_end - h_ms) {
            s->band_pred = p;
            s->band_ok = 1;
        }
        s->band_pred_ts = s->band_ok ? s->band_pred.ts_ms : -1;
    }
    if (!s->band_ok) return 0;
    return !cpe_alert_cone_band(&s->band_pred, t_end, &in->lo1, &in->hi1, &in->lo2, &in->hi2);
}

void cpe_alerts_on_live(cpe_alerts_t *a, const cpe_live_event_t *ev)
{
    if (!a) return;
    int candle = ev->kind == CPE_LIVE_CANDLE;
    if (candle && ev->interval_ms != CPE_MS_PER_MIN) return; /* one price update per tick */
    char asset[CPE_ASSET_NAME_MAX];
    cpe_symbol_to_asset(ev->symbol, asset, sizeof asset);
    int ai = cpe_asset_index(asset);
    pthread_mutex_lock(&a->mu);
    if (candle && ai >= 0) {
        a->last_seen_ms[ai] = ev->emitted_ms;
        a->last_price[ai] = ev->bar->close;
        a->simulated[ai] = ev->simulated;
    }
    for (int i = 0; i < a->nslots; i++) {
        alert_slot_t *s = &a->slots[i];
        if (strcmp(s->rule.asset, asset)) continue;
        cpe_alert_input_t in;
        memset(&in, 0, sizeof in);
        in.t_ms = ev->emitted_ms;
        if (candle) {
            in.has_price = 1;
            in.price = ev->bar->close;
            in.has_data_state = 1;
            in.simulated = ev->simulated;
            if (s->rule.kind == CPE_ALERT_CONE_BREACH)
                in.has_band =
                    cone_band(a, s, ev->symbol, ev->bar->ts_ms + CPE_MS_PER_MIN, ev->closed, &in);
        } else {
            in.pred = ev->pred;
            in.has_drift = 1;
            in.drift = ev->drift;
        }
        cpe_alert_fire_t f;
        if (cpe_alert_eval(&s->rule, &s->st, &in, &f)) fire(a, s, &f, ev->simulated);
    }
    pthread_mutex_unlock(&a->mu);
}

int cpe_alerts_rules_of(cpe_alerts_t *a, const char *asset, cpe_alert_rule_t **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!a) return 0;
    pthread_mutex_lock(&a->mu);
    int rc = 0;
    for (int i = 0; i < a->nslots && !rc; i++) {
        const cpe_alert_rule_t *r = &a->slots[i].rule;
        if (!r->enabled || strcmp(r->asset, asset)) continue;
        cpe_alert_rule_t *m = realloc(*out, (size_t)(*n + 1) * sizeof *m);
        if (!m) {
            rc = CPE_ENOMEM;
            break;
        }
        *out = m;
        m[(*n)++] = *r;
    }
    pthread_mutex_unlock(&a->mu);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void alerts_check_stale(cpe_alerts_t *a, int64_t now_ms)
{
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->nslots; i++) {
        alert_slot_t *s = &a->slots[i];
        int ai = cpe_asset_index(s->rule.asset);
        if (s->rule.kind != CPE_ALERT_STALE || ai < 0 || !a->last_seen_ms[ai]) continue;
        cpe_alert_input_t in = {.t_ms = now_ms,
                                .has_data_state = 1,
                                .stale = now_ms - a->last_seen_ms[ai] > a->stale_ms,
                                .simulated = a->simulated[ai]};
        cpe_alert_fire_t f;
        if (cpe_alert_eval(&s->rule, &s->st, &in, &f)) fire(a, s, &f, a->simulated[ai]);
    }
    pthread_mutex_unlock(&a->mu);
}

/* ---------- open / close ---------- */

static int load_rule(void *ctx, int64_t id, const char *json)
{
    cpe_alerts_t *a = ctx;
    cpe_alert_rule_t r;
    char field[32];
    cpe_diag_t d;
    cpe_alert_rule_defaults(&r);
    if (cpe_alert_rule_parse(json, strlen(json), &r, field, &d)) {
        cpe_warn("alerts: stored rule %lld is not valid here (%s): skipped", (long long)id, d.msg);
        return 0;
    }
    r.id = id;
    json_t *o = json_loads(json, 0, NULL);
    r.created_ms = (int64_t)json_integer_value(json_object_get(o, "created_ms"));
    json_decref(o);
    return slot_add(a, &r) ? 0 : CPE_ENOMEM;
}

static int load_state(void *ctx, int64_t id, const char *json)
{
    alert_slot_t *s = alerts_find(ctx, id);
    json_t *o = json_loads(json, 0, NULL);
    if (s) s->st.last_fired_ms = (int64_t)json_integer_value(json_object_get(o, "last_fired_ms"));
    json_decref(o);
    return 0;
}

/* Deliveries left by the last run: pending ones resume; one caught mid-POST may have
 * arrived, so it is not sent again but goes to the dead letters (at most once). */
static int load_event(void *ctx, int64_t id, const char *json)
{
    cpe_alerts_t *a = ctx;
    json_t *o = json_loads(json, 0, NULL);
    json_t *dl = json_object_get(o, "delivery");
    const char *st = json_string_value(json_object_get(dl, "state"));
    int rc = 0;
    if (st && !strcmp(st, "pending")) {
        alert_job_t j = {
            id,
            (int64_t)json_integer_value(json_object_get(json_object_get(o, "event"), "rule_id")),
            (int64_t)json_integer_value(json_object_get(dl, "fired_ms")),
            (int64_t)json_integer_value(json_object_get(dl, "next_ms")),
            (int)json_integer_value(json_object_get(dl, "attempts"))};
        rc = alerts_enqueue(a, &j);
    } else if (st && !strcmp(st, "sending")) {
        json_object_set_new(dl, "state", json_string("dead"));
        json_object_set_new(dl, "last_error",
                            json_string("interrupted by a restart during a POST: not resent"));
        char *t = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
        rc = t ? cpe_alertdb_put(a->store, "event", id, t) : CPE_ENOMEM;
        free(t);
    }
    json_decref(o);
    return rc;
}

int cpe_alerts_open(struct cpe_api *api, cpe_alerts_t **out, cpe_diag_t *d)
{
    *out = NULL;
    if (!api->cfg.alerts) return 0;
    cpe_alerts_t *a = calloc(1, sizeof *a);
    if (!a) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    a->api = api;
    a->retry_base_ms = api->cfg.alert_retry_base_ms;
    a->retry_for_ms = (int64_t)api->cfg.alert_retry_for_s * 1000;
    a->stale_ms = api->cfg.alert_stale_ms;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    int rc = cpe_store_open(api->cfg.db, &a->store, d);
    if (!rc && (rc = cpe_alertdb_each(a->store, "rule", load_rule, a)))
        cpe_diag_set(d, rc, "alerts: cannot load the rules: %s", a->store->diag.msg);
    if (!rc) rc = cpe_alertdb_each(a->store, "state", load_state, a);
    if (!rc && (rc = cpe_alertdb_each(a->store, "event", load_event, a)))
        cpe_diag_set(d, rc, "alerts: cannot resume deliveries: %s", a->store->diag.msg);
    if (!rc) rc = alerts_worker_start(a, d);
    if (rc) {
        cpe_alerts_close(a);
        return rc;
    }
    cpe_info("alerts: %d rules, %d deliveries to resume", a->nslots, a->njobs);
    *out = a;
    return 0;
}

void cpe_alerts_close(cpe_alerts_t *a)
{
    if (!a) return;
    alerts_worker_stop(a);
    cpe_store_close(a->store);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a->slots);
    free(a->jobs);
    free(a);
}
