/*
 * ws.c — WebSocket /ws: subscriptions, per-client capped queues, heartbeats, replay pacing
 * (the replay clock itself is engine/replay.c, cpe/replay.h).
 *
 * Messages for one client (acks, errors, replay) and broadcasts to a client that already has
 * something waiting go through the client's queue, one per lws writable callback; the queue
 * collapses in-progress candles past ws_queue_cap and drops the client past ws_queue_drop.
 * Broadcasts to everyone else are written straight to the sockets (ws_broadcast.c).
 */
#include "api/alerts.h"
#include "api/ws_int.h"
#include "api/ws_msg.h"
#include "cpe/json.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ws_client **cpe_conn_ws_slot(void *user);

/* predictions made at one replayed bar that its alert rules see (one per horizon) */
#define REPLAY_PREDS_MAX 16

/* ---------- queue ---------- */

static void q_compact_collapsible(ws_client_t *c, const cpe_wsmsg_t *m)
{
    int w = 0;
    // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of message pointers
    cpe_wsmsg_t **tmp = malloc((size_t)c->qalloc * sizeof *tmp);
    if (!tmp) return;
    for (int i = 0; i < c->qlen; i++) {
        cpe_wsmsg_t *x = c->q[(c->qhead + i) % c->qalloc];
        if (x->collapsible && x->channel == m->channel && !strcmp(x->asset, m->asset) &&
            !strcmp(x->interval, m->interval)) {
            cpe_wsmsg_unref(x);
            c->api->stats.ws_collapsed++;
            continue;
        }
        tmp[w++] = x;
    }
    // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of message pointers
    memcpy(c->q, tmp, (size_t)w * sizeof *tmp);
    free(tmp);
    c->qhead = 0;
    c->qlen = w;
}

void cpe_ws_enqueue(ws_client_t *c, cpe_wsmsg_t *m)
{
    cpe_api_t *api = c->api;
    if (c->dropping) return;
    if (m->collapsible && c->qlen >= api->cfg.ws_queue_cap) q_compact_collapsible(c, m);
    if (c->qlen >= api->cfg.ws_queue_drop) {
        c->dropping = 1;
        api->stats.ws_dropped_clients++;
        cpe_warn("serve: dropping a WebSocket client whose queue reached %d messages", c->qlen);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    if (c->qlen == c->qalloc) {
        int na = c->qalloc ? c->qalloc * 2 : 8;
        // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of message pointers
        cpe_wsmsg_t **nq = malloc((size_t)na * sizeof *nq);
        if (!nq) return;
        for (int i = 0; i < c->qlen; i++)
            nq[i] = c->q[(c->qhead + i) % c->qalloc];
        free(c->q);
        c->q = nq;
        c->qalloc = na;
        c->qhead = 0;
    }
    c->q[(c->qhead + c->qlen) % c->qalloc] = m;
    c->qlen++;
    m->refs++;
    lws_callback_on_writable(c->wsi);
}

static void send_json(ws_client_t *c, cpe_buf_t *b, ws_channel_t ch)
{
    cpe_wsmsg_t *m = cpe_wsmsg_new(ch, "", "", 0, b->data, b->len);
    if (!m) return;
    cpe_ws_enqueue(c, m);
    cpe_wsmsg_unref(m);
}

static void send_error(ws_client_t *c, const char *code, const char *msg)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 4096);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "type", "error");
    cpe_jw_key(&w, "error");
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "code", code);
    cpe_jw_kstr(&w, "message", msg);
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    send_json(c, &b, WS_CH_NONE);
    cpe_buf_free(&b);
}

int cpe_ws_wants(const ws_client_t *c, const cpe_wsmsg_t *m)
{
    if (m->channel == WS_CH_ALL) return 1;
    for (int i = 0; i < c->nsubs; i++) {
        const ws_sub_t *s = &c->subs[i];
        if (s->ch != m->channel || strcmp(s->asset, m->asset)) continue;
        if (m->channel == WS_CH_CANDLES && strcmp(s->interval, m->interval)) continue;
        return 1;
    }
    return 0;
}

/* ---------- replay ---------- */

static void replay_free(replay_t *r)
{
    lws_sul_cancel(&r->sul);
    cpe_replay_free(&r->clk);
    free(r->rules);
    free(r->rstate);
    r->rules = NULL;
    r->rstate = NULL;
    r->nrules = 0;
    r->active = 0;
}

/* The replayed bar's firings of the replay's rules: "alerts":[{rule_id, kind, t, value,
 * message}] (the key only when one fired). */
static void replay_alerts(replay_t *r, cpe_jw_t *w, const cpe_bar_t *bar,
                          const cpe_prediction_t *const *preds, int np, double drift)
{
    int open = 0;
    for (int i = 0; i < r->nrules; i++) {
        cpe_alert_fire_t f;
        if (!cpe_alert_eval_bar(&r->rules[i], &r->rstate[i], bar->ts_ms + r->clk.interval_ms,
                                bar->close, preds, np, drift, &f))
            continue;
        if (!open++) {
            cpe_jw_key(w, "alerts");
            cpe_jw_arr(w);
        }
        cpe_jw_obj(w);
        cpe_jw_kint(w, "rule_id", r->rules[i].id);
        cpe_jw_kstr(w, "kind", cpe_alert_kind_name(r->rules[i].kind));
        cpe_jw_kint(w, "t", f.t_ms);
        cpe_jw_knum(w, "value", f.value);
        cpe_jw_kstr(w, "message", f.message);
        cpe_jw_end(w);
    }
    if (open) cpe_jw_end(w);
}

/* Send the next bar; 0 sent, 1 the replay is over. */
static int replay_send_one(ws_client_t *c)
{
    replay_t *r = &c->rp;
    cpe_api_t *api = c->api;
    const cpe_bar_t *bar = cpe_replay_next(&r->clk);
    if (!bar) {
        cpe_buf_t b;
        cpe_buf_init(&b, 4096);
        cpe_buf_printf(&b,
                       "{\"type\":\"replay\",\"asset\":\"%s\",\"interval\":\"%s\",\"done\":true,"
                       "\"accuracy\":{\"hits\":%ld,\"total\":%ld}}",
                       r->asset, r->iv, r->clk.hits, r->clk.total);
        send_json(c, &b, WS_CH_REPLAY);
        cpe_buf_free(&b);
        return 1;
    }
    if (!isnan(bar->cvd_delta)) r->cvd = cpe_api_cvd_add(r->cvd, bar->cvd_delta);
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "type", "replay");
    cpe_jw_kstr(&w, "asset", r->asset);
    cpe_jw_kstr(&w, "interval", r->iv);
    cpe_jw_kint(&w, "t", bar->ts_ms);
    cpe_jw_key(&w, "bar");
    cpe_api_write_bar(&w, bar, r->cvd);
    cpe_jw_key(&w, "predictions");
    cpe_jw_arr(&w);
    const cpe_prediction_t *made[REPLAY_PREDS_MAX];
    int np = 0;
    for (const cpe_prediction_t *p; (p = cpe_replay_next_pred(&r->clk, bar));) {
        cpe_api_write_prediction(&w, r->asset, p, 0, api->simulated);
        if (np < REPLAY_PREDS_MAX) made[np++] = p;
    }
    cpe_jw_end(&w);
    double drift = cpe_replay_drift(&r->clk);
    cpe_jw_knum(&w, "drift", drift); /* the model drift score as of the bar (null: none) */
    replay_alerts(r, &w, bar, made, np, drift);
    cpe_jw_key(&w, "accuracy");
    cpe_jw_obj(&w);
    cpe_jw_kint(&w, "hits", r->clk.hits);
    cpe_jw_kint(&w, "total", r->clk.total);
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    if (!w.err) send_json(c, &b, WS_CH_REPLAY);
    cpe_buf_free(&b);
    return 0;
}

static void replay_tick(lws_sorted_usec_list_t *sul)
{
    replay_t *r = lws_container_of(sul, replay_t, sul);
    ws_client_t *c = lws_container_of(r, ws_client_t, rp);
    if (!r->active || r->paused || r->speed <= 0) return;
    int per_tick = 1;
    int64_t period_us;
    if (r->speed <= 20)
        period_us = (int64_t)(1e6 / r->speed);
    else {
        period_us = 50000;
        per_tick = (int)lround(r->speed * 0.05);
    }
    /* Pace by the client: a replay never fills a slow client's queue. */
    for (int i = 0; i < per_tick && c->qlen < c->api->cfg.ws_queue_cap / 2; i++)
        if (replay_send_one(c)) {
            r->active = 0;
            return;
        }
    lws_sul_schedule(lws_get_context(c->wsi), 0, &r->sul, replay_tick, period_us);
}

static void replay_schedule(ws_client_t *c)
{
    lws_sul_cancel(&c->rp.sul);
    if (c->rp.active && !c->rp.paused && c->rp.speed > 0)
        lws_sul_schedule(lws_get_context(c->wsi), 0, &c->rp.sul, replay_tick, 1000);
}

/* ---------- client messages ---------- */

/* UNKNOWN_ASSET naming the configured assets. */
static void send_unknown_asset(ws_client_t *c, const char *given)
{
    char msg[512], known[400];
    cpe_assets_text(known, sizeof known);
    snprintf(msg, sizeof msg, "unknown asset '%.40s' (known: %s)", given, known);
    send_error(c, "UNKNOWN_ASSET", msg);
}

static void send_bad_interval(ws_client_t *c)
{
    char msg[128];
    snprintf(msg, sizeof msg, "interval must be one of %s", cpe_intervals_served_text());
    send_error(c, "INVALID_PARAMETER", msg);
}

static void ack(ws_client_t *c, const char *type, ws_channel_t ch, const char *asset,
                const char *interval)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 4096);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "type", type);
    cpe_jw_kstr(&w, "channel", cpe_ws_channel_name(ch));
    cpe_jw_kstr(&w, "asset", asset);
    if (interval[0])
        cpe_jw_kstr(&w, "interval", interval);
    else {
        cpe_jw_key(&w, "interval");
        cpe_jw_null(&w);
    }
    cpe_jw_kbool(&w, "simulated", c->api->simulated);
    cpe_jw_end(&w);
    send_json(c, &b, WS_CH_NONE);
    cpe_buf_free(&b);
}

static void on_subscribe(ws_client_t *c, const ws_cmd_t *cmd, int sub)
{
    ws_channel_t ch = cmd->ch;
    if (ch == WS_CH_NONE) {
        send_error(c, "INVALID_PARAMETER",
                   "channel must be candles, predictions, market, replay, jobs or alerts");
        return;
    }
    if (ch != WS_CH_JOBS && !cmd->asset_ok) { /* the jobs channel has none: every job */
        send_unknown_asset(c, cmd->asset_in);
        return;
    }
    const char *asset = ch == WS_CH_JOBS ? "" : cmd->asset;
    char interval[8] = "";
    if (ch == WS_CH_CANDLES) {
        if (!cmd->interval_ok) {
            send_bad_interval(c);
            return;
        }
        snprintf(interval, sizeof interval, "%s", cmd->interval);
    }
    int found = -1;
    for (int i = 0; i < c->nsubs; i++)
        if (c->subs[i].ch == ch && !strcmp(c->subs[i].asset, asset) &&
            !strcmp(c->subs[i].interval, interval))
            found = i;
    if (sub) {
        if (found < 0) {
            if (c->nsubs >= MAX_SUBS) {
                send_error(c, "INVALID_PARAMETER", "too many subscriptions on this connection");
                return;
            }
            ws_sub_t *s = &c->subs[c->nsubs++];
            s->ch = ch;
            snprintf(s->asset, sizeof s->asset, "%s", asset);
            snprintf(s->interval, sizeof s->interval, "%s", interval);
        }
        ack(c, "subscribed", ch, asset, interval);
    } else {
        if (found >= 0) c->subs[found] = c->subs[--c->nsubs];
        ack(c, "unsubscribed", ch, asset, interval);
    }
}

static void on_replay(ws_client_t *c, const ws_cmd_t *cmd)
{
    replay_t *r = &c->rp;
    double sp = r->active ? r->speed : 1;
    if (cmd->has_speed) {
        if (!cmd->speed_ok) {
            send_error(c, "INVALID_PARAMETER",
                       "speed must be a number of bars per second in [0, 10000]");
            return;
        }
        sp = cmd->speed;
    }
    if (!cmd->has_from && r->active) { /* speed change or pause of the running replay */
        r->speed = sp;
        r->paused = sp <= 0;
        replay_schedule(c);
        return;
    }
    if (!cmd->asset_ok) {
        send_unknown_asset(c, cmd->asset_in);
        return;
    }
    if (!cmd->from_ok) {
        send_error(c, "INVALID_PARAMETER", "from must be an ISO-8601 time or epoch milliseconds");
        return;
    }
    if (!cmd->interval_ok) {
        send_bad_interval(c);
        return;
    }
    replay_free(r);
    memset(r, 0, sizeof *r);
    r->active = 1;
    snprintf(r->asset, sizeof r->asset, "%s", cmd->asset);
    cpe_asset_to_symbol(cmd->asset, r->clk.symbol);
    snprintf(r->iv, sizeof r->iv, "%s", cmd->interval);
    r->clk.store = c->api->store;
    r->clk.interval_ms = cmd->interval_ms;
    r->clk.next_ts = cpe_floor_ms(cmd->from_ms, cmd->interval_ms);
    r->speed = sp;
    r->paused = sp <= 0;
    cpe_replay_drift_open(&r->clk, c->api->cfg.models, NULL); /* none: "drift": null */
    if (!cpe_alerts_rules_of(c->api->alerts, r->asset, &r->rules, &r->nrules) && r->nrules &&
        !(r->rstate = calloc((size_t)r->nrules, sizeof *r->rstate))) {
        free(r->rules);
        r->rules = NULL;
        r->nrules = 0;
    }
    for (int i = 0; i < r->nrules; i++)
        cpe_alert_state_init(&r->rstate[i]);
    ack(c, "subscribed", WS_CH_REPLAY, cmd->asset, cmd->interval);
    replay_schedule(c);
}

static void on_message(ws_client_t *c, const char *text, size_t len)
{
    ws_cmd_t cmd;
    const char *code;
    char msg[256];
    if (cpe_ws_msg_parse(text, len, &cmd, &code, msg, sizeof msg)) {
        send_error(c, code, msg);
        return;
    }
    switch (cmd.op) {
    case WS_OP_SUBSCRIBE:
        on_subscribe(c, &cmd, 1);
        break;
    case WS_OP_UNSUBSCRIBE:
        on_subscribe(c, &cmd, 0);
        break;
    case WS_OP_REPLAY:
        on_replay(c, &cmd);
        break;
    case WS_OP_REPLAY_STEP:
        if (!c->rp.active)
            send_error(c, "INVALID_PARAMETER", "no replay is running");
        else {
            c->rp.paused = 1;
            replay_schedule(c);
            if (replay_send_one(c)) c->rp.active = 0;
        }
        break;
    case WS_OP_REPLAY_STOP:
        replay_free(&c->rp);
        ack(c, "unsubscribed", WS_CH_REPLAY, c->rp.asset, "");
        break;
    case WS_OP_PING: {
        cpe_buf_t b;
        cpe_buf_init(&b, 256);
        cpe_buf_printf(&b, "{\"type\":\"pong\",\"t\":%lld}", (long long)cpe_now_ms());
        send_json(c, &b, WS_CH_NONE);
        cpe_buf_free(&b);
        break;
    }
    }
}

/* ---------- lws glue ---------- */

static void client_free(ws_client_t *c)
{
    cpe_api_t *api = c->api;
    if (c->prev)
        c->prev->next = c->next;
    else
        api->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    api->nclients--;
    for (int i = 0; i < c->qlen; i++)
        cpe_wsmsg_unref(c->q[(c->qhead + i) % c->qalloc]);
    free(c->q);
    free(c->rx);
    replay_free(&c->rp);
    free(c);
}

int cpe_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    cpe_api_t *api = lws_context_user(lws_get_context(wsi));
    ws_client_t **slot = user ? cpe_conn_ws_slot(user) : NULL;
    ws_client_t *c = slot ? *slot : NULL;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return cpe_ws_allow_upgrade(wsi, api) ? 0 : 1;
    case LWS_CALLBACK_ESTABLISHED:
        if (!slot) return -1; /* no per-connection state to keep the client in */
        c = calloc(1, sizeof *c);
        if (!c) return -1;
        c->wsi = wsi;
        c->api = api;
        c->next = api->clients;
        if (api->clients) api->clients->prev = c;
        api->clients = c;
        api->nclients++;
        *slot = c;
        return 0;
    case LWS_CALLBACK_RECEIVE: {
        if (!c) return -1;
        int last = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
        if (c->rx_skip) { /* the rest of a message that was too large */
            c->rx_skip = !last;
            return 0;
        }
        if (last && !c->rxlen) { /* a whole message in one piece: no copy, no buffer */
            on_message(c, in, len);
            return 0;
        }
        /* pieces are gathered in a buffer that exists only while a message is incomplete
         * (5,000 idle clients would otherwise hold a touched page each) */
        if (!c->rx && !(c->rx = malloc(RX_MAX))) return -1;
        if (c->rxlen + len > RX_MAX) {
            send_error(c, "BODY_TOO_LARGE", "WebSocket message larger than 64 KiB");
            c->rxlen = 0;
            c->rx_skip = !last;
        } else {
            memcpy(c->rx + c->rxlen, in, len);
            c->rxlen += len;
            if (last) {
                on_message(c, c->rx, c->rxlen);
                c->rxlen = 0;
            }
        }
        if (last || !c->rxlen) {
            free(c->rx);
            c->rx = NULL;
            c->rxlen = 0;
        }
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (!c) return -1;
        if (c->dropping) return -1;
        if (!c->qlen) return 0;
        cpe_wsmsg_t *m = c->q[c->qhead];
        c->qhead = (c->qhead + 1) % c->qalloc;
        c->qlen--;
        int n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
        cpe_wsmsg_unref(m);
        if (n < (int)0) return -1;
        api->stats.ws_messages_sent++;
        if (c->qlen) lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        /* lws answers with its close frame: nothing more may be written after it, and the
         * direct broadcast writes do not go through lws's state checks */
        if (c) c->dropping = 1;
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (c) {
            client_free(c);
            *slot = NULL;
        }
        return 0;
    default:
        return 0;
    }
}

static void heartbeat(lws_sorted_usec_list_t *sul)
{
    cpe_api_t *api = lws_container_of(sul, cpe_api_t, sul_heartbeat);
    char j[96];
    int n = snprintf(j, sizeof j, "{\"type\":\"heartbeat\",\"t\":%lld}", (long long)cpe_now_ms());
    cpe_wsmsg_t *m = cpe_wsmsg_new(WS_CH_ALL, "", "", 0, j, (size_t)n);
    if (m) {
        cpe_ws_broadcast(api, m);
        cpe_wsmsg_unref(m);
    }
    lws_sul_schedule(api->ctx, 0, &api->sul_heartbeat, heartbeat,
                     (lws_usec_t)api->cfg.heartbeat_ms * 1000);
}

/* Once a second: push "market" messages when an asset's freshness changes. */
static void housekeeping(lws_sorted_usec_list_t *sul)
{
    cpe_api_t *api = lws_container_of(sul, cpe_api_t, sul_house);
    int64_t now = cpe_now_ms();
    for (size_t a = 0; a < cpe_asset_count() && a < CPE_ASSETS_MAX; a++) {
        const cpe_asset_t *as = cpe_asset_at(a);
        char inst[CPE_INSTR_KEY_MAX];
        int sim = 0;
        int64_t last = 0;
        if (cpe_api_kline_series(api, as->symbol, inst, &sim, &last)) continue;
        int stale = cpe_api_is_stale(api, last, now);
        if (stale == api->stale[a]) continue;
        api->stale[a] = stale;
        char j[512];
        int n = snprintf(j, sizeof j,
                         "{\"type\":\"market\",\"asset\":\"%s\",\"source\":\"%s\",\"simulated\":%s,"
                         "\"stale\":%s,\"last_ts\":%lld,\"age_ms\":%lld}",
                         as->asset, api->source, sim ? "true" : "false", stale ? "true" : "false",
                         (long long)last, (long long)(now - last - CPE_MS_PER_MIN));
        cpe_wsmsg_t *m = cpe_wsmsg_new(WS_CH_MARKET, as->asset, "", 0, j, (size_t)n);
        if (m) cpe_api_bus_publish(api, m);
        if (m) {
            cpe_ws_broadcast(api, m);
            cpe_wsmsg_unref(m);
        }
    }
    lws_sul_schedule(api->ctx, 0, &api->sul_house, housekeeping, 1000000);
}

int cpe_ws_start(cpe_api_t *api, cpe_diag_t *d)
{
    int rc = cpe_ws_broadcast_open(api, d);
    if (rc) return rc;
    lws_sul_schedule(api->ctx, 0, &api->sul_heartbeat, heartbeat,
                     (lws_usec_t)api->cfg.heartbeat_ms * 1000);
    lws_sul_schedule(api->ctx, 0, &api->sul_house, housekeeping, 1000000);
    return 0;
}

void cpe_ws_close_all(cpe_api_t *api)
{
    while (api->clients)
        /* c->api is api: client_free unlinks the head from api->clients before freeing it */
        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
        client_free(api->clients);
    cpe_ws_broadcast_close(api);
}
