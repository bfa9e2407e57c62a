/*
 * feed_ws.c — the live feed's stream thread: a client-only libwebsockets context with one
 * connection per (symbol, market, exchange, stream group) that is wanted right now.
 *
 * Wanted: the primary (Binance) always, so it can recover; another exchange while the
 * fallback state of any kind it carries has made it active. Connecting goes
 * IDLE -> RESOLVING (DNS on the REST thread) -> RESOLVED -> CONNECTING -> OPEN; a failure
 * or a close goes to WAIT until a backoff with jitter has passed. An OPEN connection that
 * receives nothing for a while (a stalled server) is closed and reconnected. A 250 ms timer
 * drives all of it; only this thread calls lws.
 */
#include "sources/feed_int.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TICK_US (250 * LWS_US_PER_MS)
#define RX_CAP (8u << 20)

/* "wss://host:port/prefix" -> tls, host, port, prefix */
static int parse_base(const char *base, int *tls, char *host, size_t hcap, int *port, char *prefix,
                      size_t pcap)
{
    const char *p;
    if (!strncmp(base, "wss://", 6))
        *tls = 1, p = base + 6, *port = 443;
    else if (!strncmp(base, "ws://", 5))
        *tls = 0, p = base + 5, *port = 80;
    else
        return CPE_EINVAL;
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= hcap) return CPE_EINVAL;
    memcpy(host, p, hl);
    host[hl] = 0;
    p += hl;
    if (*p == ':') {
        char *end;
        long pt = strtol(p + 1, &end, 10);
        if (end == p + 1 || pt < 1 || pt > 65535) return CPE_EINVAL;
        *port = (int)pt;
        p = end;
    }
    snprintf(prefix, pcap, "%s", p);
    return 0;
}

static unsigned market_kinds(const cpe_feed_config_t *c, cpe_market_kind_t m)
{
    unsigned k = c->kinds;
    if (m == CPE_SPOT) k &= ~((1u << CPE_DK_FUNDING) | (1u << CPE_DK_OI) | (1u << CPE_DK_LIQ));
    return k;
}

int feed_ws_init(struct cpe_feed *f, cpe_diag_t *d);

/* Kinds an exchange does not stream for a market (in none of its groups): never fall back
 * to it for them. */
static void feed_exclude_unserved(struct cpe_feed *f, int p, int s, cpe_market_kind_t m,
                                  unsigned kinds, const unsigned *groups, int ng)
{
    unsigned served = 0;
    for (int g = 0; g < ng; g++)
        served |= groups[g];
    for (int k = 0; k < CPE_DK_COUNT; k++)
        if ((kinds >> k) & 1 && !((served >> k) & 1))
            cpe_fb_failure(&f->fb[s][m == CPE_SPOT ? 0 : 1][k], p, cpe_now_ms(), INT64_MAX / 4);
}
static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);

static const struct lws_protocols protocols[] = {
    {"cpe-feed", callback, 0, 1 << 16, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void tick(lws_sorted_usec_list_t *sul);

int feed_ws_init(struct cpe_feed *f, cpe_diag_t *d)
{
    for (int s = 0; s < f->cfg.nsymbols; s++)
        for (int mi = 0; mi < 2; mi++) {
            cpe_market_kind_t m = mi ? CPE_PERP : CPE_SPOT;
            if ((m == CPE_SPOT && !f->cfg.spot) || (m == CPE_PERP && !f->cfg.perp)) continue;
            unsigned kinds = market_kinds(&f->cfg, m);
            for (int p = 0; p < FEED_NPROV; p++) {
                const cpe_exchange_t *ex = feed_provider(p);
                unsigned groups[4] = {kinds};
                int ng = ex->ws_split ? ex->ws_split(m, kinds, groups) : 1;
                feed_exclude_unserved(f, p, s, m, kinds, groups, ng);
                for (int g = 0; g < ng; g++) {
                    if (f->nconns >= FEED_MAX_CONN)
                        return cpe_diag_set(d, CPE_ETOOBIG, "feed: too many connections");
                    feed_conn_t *c = &f->conns[f->nconns];
                    memset(c, 0, sizeof *c);
                    c->f = f, c->prov = p, c->sym = s, c->m = m, c->kinds = groups[g];
                    char prefix[128], path[256];
                    const char *base = cpe_exchange_base(ex, 1, m);
                    if (parse_base(base, &c->tls, c->host, sizeof c->host, &c->port, prefix,
                                   sizeof prefix))
                        return cpe_diag_set(d, CPE_EINVAL,
                                            "feed: bad WebSocket base URL '%s' for %s", base,
                                            ex->name);
                    if (ex->ws_path(m, f->cfg.symbols[s], c->kinds, path, sizeof path) ||
                        ex->ws_subscribe(m, f->cfg.symbols[s], c->kinds, c->sub, sizeof c->sub))
                        return cpe_diag_set(d, CPE_ETOOBIG, "feed: subscription too long");
                    snprintf(c->path, sizeof c->path, "%s%s", prefix, path);
                    cpe_buf_init(&c->rx, RX_CAP);
                    f->nconns++;
                }
            }
        }
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
        info.client_ssl_ca_filepath = "/etc/ssl/certs/ca-certificates.crt";
    info.user = f;
    lws_set_log_level(LLL_ERR, NULL);
    f->ctx = lws_create_context(&info);
    if (!f->ctx)
        return cpe_diag_set(d, CPE_ENET, "feed: cannot create the WebSocket client context");
    return 0;
}

void feed_ws_wake(struct cpe_feed *f)
{
    if (f->ctx) lws_cancel_service(f->ctx);
}

void feed_ws_destroy(struct cpe_feed *f) /* after the thread has ended, or never ran */
{
    if (f->ctx) lws_context_destroy(f->ctx);
    f->ctx = NULL;
}

static int group_used(struct cpe_feed *f, const feed_conn_t *c)
{
    int mi = c->m == CPE_SPOT ? 0 : 1;
    for (int k = 0; k < CPE_DK_COUNT; k++)
        if ((c->kinds >> k) & 1 && f->fb[c->sym][mi][k].active == c->prov) return 1;
    return 0;
}

static int64_t stall_ms(struct cpe_feed *f, const feed_conn_t *c)
{
    int64_t mn = 0;
    int mi = c->m == CPE_SPOT ? 0 : 1;
    for (int k = 0; k < CPE_DK_COUNT; k++)
        if ((c->kinds >> k) & 1) {
            int64_t a = f->fb[c->sym][mi][k].max_age_ms;
            if (!mn || a < mn) mn = a;
        }
    mn *= 3;
    return mn < 15000 ? 15000 : mn;
}

/* A connection that could not be made (or a stream that had to be abandoned) marks its
 * exchange failed for the backoff delay, so the fallback moves on at once; a connection the
 * peer merely closed reconnects, and only staleness can move the fallback. */
static void conn_failed(struct cpe_feed *f, feed_conn_t *c, const char *why, int mark_failed)
{
    int64_t now = cpe_now_ms();
    int64_t delay =
        cpe_backoff_ms(c->attempt++, f->cfg.backoff_base_ms, f->cfg.backoff_cap_ms, &f->rng);
    c->state = C_WAIT;
    c->wsi = NULL;
    c->next_try_ms = now + delay;
    cpe_buf_reset(&c->rx);
    if (mark_failed) {
        pthread_mutex_lock(&f->mu);
        int mi = c->m == CPE_SPOT ? 0 : 1;
        for (int k = 0; k < CPE_DK_COUNT; k++)
            if ((c->kinds >> k) & 1) cpe_fb_failure(&f->fb[c->sym][mi][k], c->prov, now, delay);
        pthread_mutex_unlock(&f->mu);
    }
    cpe_info("feed: %s %s %s: %s; retry in %lld ms", feed_provider(c->prov)->name,
             c->m == CPE_SPOT ? "spot" : "perp", f->cfg.symbols[c->sym], why, (long long)delay);
}

static void connect_conn(struct cpe_feed *f, feed_conn_t *c)
{
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = f->ctx;
    i.address = c->addr;
    i.port = c->port;
    i.path = c->path;
    i.host = c->host;
    i.origin = c->host;
    i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
    i.protocol = NULL;
    i.local_protocol_name = protocols[0].name;
    i.userdata = c;
    i.pwsi = &c->wsi;
    c->state = C_CONNECTING;
    c->sub_sent = c->closing = 0;
    if (!lws_client_connect_via_info(&i) && c->state == C_CONNECTING)
        conn_failed(f, c, "connect failed", 1);
}

static void tick(lws_sorted_usec_list_t *sul)
{
    struct cpe_feed *f = lws_container_of(sul, struct cpe_feed, sul);
    int64_t now = cpe_now_ms();
    pthread_mutex_lock(&f->mu);
    int stop = f->stop;
    for (int s = 0; s < f->cfg.nsymbols; s++)
        for (int m = 0; m < 2; m++)
            for (int k = 0; k < CPE_DK_COUNT; k++)
                cpe_fb_tick(&f->fb[s][m][k], now);
    int want[FEED_MAX_CONN];
    enum conn_state states[FEED_MAX_CONN];
    const int nconns = f->nconns; /* the connections whose state was read under the lock */
    for (int i = 0; i < nconns; i++) {
        want[i] = !stop && (f->conns[i].prov == 0 || group_used(f, &f->conns[i]));
        states[i] = f->conns[i].state;
    }
    pthread_mutex_unlock(&f->mu);
    if (stop) return;
    for (int i = 0; i < nconns; i++) {
        feed_conn_t *c = &f->conns[i];
        if (states[i] == C_RESOLVED) {
            if (c->resolve_failed)
                conn_failed(f, c, "DNS lookup failed", 1);
            else
                connect_conn(f, c);
        } else if (want[i] &&
                   (states[i] == C_IDLE || (states[i] == C_WAIT && now >= c->next_try_ms))) {
            pthread_mutex_lock(&f->mu);
            c->state = C_RESOLVING;
            pthread_mutex_unlock(&f->mu);
            feed_job_t j = {.resolve = 1, .conn = i};
            if (feed_job_push(f, &j)) {
                pthread_mutex_lock(&f->mu);
                c->state = C_WAIT;
                c->next_try_ms = now + 1000;
                pthread_mutex_unlock(&f->mu);
            }
        } else if (states[i] == C_OPEN && c->wsi) {
            if (!want[i]) {
                c->closing = 1;
                lws_callback_on_writable(c->wsi);
            } else if (now - c->last_rx_ms > stall_ms(f, c)) {
                c->closing = 2; /* stalled: reconnect */
                lws_callback_on_writable(c->wsi);
            } else if (feed_provider(c->prov)->ws_ping &&
                       now - c->last_ping_ms >= feed_provider(c->prov)->ws_ping_ms) {
                lws_callback_on_writable(c->wsi);
            }
        }
    }
    lws_sul_schedule(f->ctx, 0, &f->sul, tick, TICK_US);
}

static int sink(void *ctx, const cpe_market_event_t *ev)
{
    feed_conn_t *c = ctx;
    cpe_market_event_t e = *ev;
    if (!e.symbol[0]) snprintf(e.symbol, sizeof e.symbol, "%s", c->f->cfg.symbols[c->sym]);
    feed_deliver(c->f, c->prov, 0, &e, cpe_now_ms());
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    feed_conn_t *c = user;
    struct cpe_feed *f = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
        int64_t now = cpe_now_ms();
        c->state = C_OPEN;
        c->attempt = 0;
        c->opened_ms = c->last_rx_ms = c->last_ping_ms = now;
        c->malformed_run = 0;
        if (c->sub[0]) lws_callback_on_writable(wsi);
        pthread_mutex_lock(&f->mu);
        if (c->ever_open) {
            f->st.reconnects++;
            int mi = c->m == CPE_SPOT ? 0 : 1;
            feed_kstate_t *ks = &f->ks[c->sym][mi];
            if ((c->kinds & (1u << CPE_DK_KLINE)) && ks->last_closed_ms &&
                f->fb[c->sym][mi][CPE_DK_KLINE].active == c->prov)
                feed_request_backfill(f, c->sym, c->m, ks->last_closed_ms + CPE_MS_PER_MIN,
                                      cpe_floor_ms(now, CPE_MS_PER_MIN));
        }
        pthread_mutex_unlock(&f->mu);
        c->ever_open = 1;
        break;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (c->closing) return -1;
        const char *msg = NULL;
        if (c->sub[0] && !c->sub_sent)
            msg = c->sub, c->sub_sent = 1;
        else if (feed_provider(c->prov)->ws_ping)
            msg = feed_provider(c->prov)->ws_ping, c->last_ping_ms = cpe_now_ms();
        if (msg) {
            size_t n = strlen(msg);
            unsigned char buf[LWS_PRE + 2048];
            if (n > sizeof buf - LWS_PRE) return -1;
            /* a frame of n bytes for lws_write, not a C string */
            // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
            memcpy(buf + LWS_PRE, msg, n);
            if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n) return -1;
        }
        break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        c->last_rx_ms = cpe_now_ms();
        if (cpe_buf_append(&c->rx, in, len)) {
            cpe_buf_reset(&c->rx); /* an oversized message: drop it whole */
            pthread_mutex_lock(&f->mu);
            f->st.malformed++;
            pthread_mutex_unlock(&f->mu);
            break;
        }
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) break;
        cpe_diag_t d = {0};
        pthread_mutex_lock(&f->mu);
        int rc = feed_provider(c->prov)->parse_ws(c->m, c->rx.data, c->rx.len, sink, c, &d);
        if (rc) {
            f->st.malformed++;
            c->malformed_run++;
        } else {
            c->malformed_run = 0;
        }
        pthread_mutex_unlock(&f->mu);
        if (rc) cpe_debug("feed: %s: %s", feed_provider(c->prov)->name, d.msg);
        cpe_buf_reset(&c->rx);
        if (c->malformed_run > 100) {
            c->closing = 2;
            lws_callback_on_writable(wsi);
        }
        break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        conn_failed(f, c, in ? (const char *)in : "connection error", 1);
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c->closing == 1) {
            c->state = C_IDLE;
            c->wsi = NULL;
        } else {
            conn_failed(f, c,
                        c->closing == 2 ? "stalled or garbled; reconnecting" : "closed by peer",
                        c->closing == 2);
        }
        break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        /* a resolver result or stop: handle now rather than at the next tick */
        if (f && f->ctx) lws_sul_schedule(f->ctx, 0, &f->sul, tick, 1);
        break;
    default:
        break;
    }
    return 0;
}

void *feed_ws_main(void *arg)
{
    struct cpe_feed *f = arg;
    lws_sul_schedule(f->ctx, 0, &f->sul, tick, 1);
    for (;;) {
        pthread_mutex_lock(&f->mu);
        int stop = f->stop;
        pthread_mutex_unlock(&f->mu);
        if (stop) break;
        if (lws_service(f->ctx, 0) < 0) break;
    }
    return NULL; /* cpe_feed_stop destroys the context after joining */
}
