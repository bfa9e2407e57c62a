/*
 * ws_broadcast.c — a burst of broadcast messages (candles, predictions, market, heartbeats)
 * written to every subscribed WebSocket client.
 *
 * Each message is framed once (server to client: FIN, text, no mask) in its own headroom.
 * A client with nothing waiting gets the frames it subscribes to in one write, straight to
 * its socket, through the fan-out (api/fanout.h): no poll round and no writable callback per
 * client. Clients wanting the same messages share one buffer (a "frame set"): at a minute's
 * close the closed candle and the next minute's first update leave in one send.
 *
 * Order holds: the direct write is taken only when the client's queue is empty and lws
 * holds nothing unsent for it. A socket that takes none of the bytes (-EAGAIN) gets the
 * messages queued like any slow client (ws.c); the rest of a partly written set is handed
 * to lws (LWS_WRITE_RAW), which sends it before anything else on that connection.
 */
#include "api/fanout.h"
#include "api/ws_int.h"
#include "cpe/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SETS_MAX 32 /* distinct frame sets per burst; clients beyond go through queues */

typedef struct frame_set {
    uint64_t mask;
    const unsigned char *buf;
    size_t len;
    unsigned char *owned; /* the concatenation when the set has several frames */
} frame_set_t;

typedef struct ws_burst {
    cpe_wsmsg_t **msgs;
    size_t n;
    frame_set_t sets[SETS_MAX];
    int nsets;
} burst_t;

/* The frame in the message's headroom (lws_write writes the same bytes there when the
 * message goes through a queue). */
static unsigned char *frame(cpe_wsmsg_t *m, size_t *flen)
{
    unsigned char *p = m->data + LWS_PRE;
    size_t n = m->len, h = n < 126 ? 2 : n < 65536 ? 4 : 10;
    unsigned char *f = p - h;
    f[0] = 0x81;
    if (h == 2)
        f[1] = (unsigned char)n;
    else if (h == 4) {
        f[1] = 126;
        f[2] = (unsigned char)(n >> 8);
        f[3] = (unsigned char)n;
    } else {
        f[1] = 127;
        for (int i = 0; i < 8; i++)
            f[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
    }
    *flen = h + n;
    return f;
}

/* The frame set for a mask, made on first use; -1 when the burst has too many. */
static int set_for(burst_t *b, uint64_t mask)
{
    for (int i = 0; i < b->nsets; i++)
        if (b->sets[i].mask == mask) return i;
    if (b->nsets == SETS_MAX) return -1;
    frame_set_t *s = &b->sets[b->nsets];
    memset(s, 0, sizeof *s);
    s->mask = mask;
    if (!(mask & (mask - 1))) { /* one message: its own frame */
        s->buf = frame(b->msgs[__builtin_ctzll(mask)], &s->len);
        return b->nsets++;
    }
    size_t total = 0, fl;
    for (size_t k = 0; k < b->n; k++)
        if (mask >> k & 1) {
            frame(b->msgs[k], &fl);
            total += fl;
        }
    if (!(s->owned = malloc(total))) return -1;
    for (size_t k = 0; k < b->n; k++)
        if (mask >> k & 1) {
            const unsigned char *f = frame(b->msgs[k], &fl);
            memcpy(s->owned + s->len, f, fl);
            s->len += fl;
        }
    s->buf = s->owned;
    return b->nsets++;
}

static void enqueue_mask(ws_client_t *c, const burst_t *b, uint64_t mask)
{
    for (size_t k = 0; k < b->n; k++)
        if (mask >> k & 1) cpe_ws_enqueue(c, b->msgs[k]);
}

/* A send result of the fan-out (tag: the client). */
static void fanned(void *ctx, void *tag, ssize_t res)
{
    cpe_api_t *api = ctx;
    ws_client_t *c = tag;
    const burst_t *b = api->burst;
    const frame_set_t *s = &b->sets[c->fan_set];
    int nmsg = __builtin_popcountll(s->mask);
    if (res == (ssize_t)s->len) {
        api->stats.ws_messages_sent += (uint64_t)nmsg;
    } else if (res == -EAGAIN || res == -EWOULDBLOCK) {
        api->stats.ws_direct_full++;
        enqueue_mask(c, b, s->mask); /* the socket is full: wait like a slow client */
    } else if (res > 0) {
        api->stats.ws_direct_partial++;
        unsigned char *rest = (unsigned char *)s->buf + res; /* lws_write does not write RAW */
        if (lws_write(c->wsi, rest, s->len - (size_t)res, LWS_WRITE_RAW) < 0)
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        else
            api->stats.ws_messages_sent += (uint64_t)nmsg;
    }
    /* other errors: the peer is gone; lws sees the closed socket on its own */
}

static void send_burst(cpe_api_t *api, burst_t *b)
{
    api->burst = b;
    for (ws_client_t *c = api->clients; c; c = c->next) {
        if (c->dropping) continue;
        uint64_t mask = 0;
        for (size_t k = 0; k < b->n; k++)
            if (cpe_ws_wants(c, b->msgs[k])) mask |= 1ull << k;
        if (!mask) continue;
        int direct = api->fanout && !c->qlen && !lws_partial_buffered(c->wsi);
        if (direct && (c->fan_set = set_for(b, mask)) >= 0) {
            const frame_set_t *s = &b->sets[c->fan_set];
            cpe_fanout_add(api->fanout, lws_get_socket_fd(c->wsi), s->buf, s->len, c);
        } else {
            enqueue_mask(c, b, mask);
        }
    }
    if (api->fanout) cpe_fanout_flush(api->fanout);
    for (int i = 0; i < b->nsets; i++)
        free(b->sets[i].owned);
    api->burst = NULL;
}

void cpe_ws_broadcast_many(cpe_api_t *api, cpe_wsmsg_t **msgs, size_t n)
{
    for (size_t at = 0; at < n; at += CPE_WS_BURST_MAX) {
        burst_t b;
        b.msgs = msgs + at;
        b.n = n - at < CPE_WS_BURST_MAX ? n - at : CPE_WS_BURST_MAX;
        b.nsets = 0;
        send_burst(api, &b);
    }
}

void cpe_ws_broadcast(cpe_api_t *api, cpe_wsmsg_t *m)
{
    cpe_ws_broadcast_many(api, &m, 1);
}

int cpe_ws_broadcast_open(cpe_api_t *api, cpe_diag_t *d)
{
    const char *want = api->cfg.ws_fanout;
    cpe_fanout_mode_t mode = !strcmp(want, "io_uring") ? CPE_FANOUT_URING
                             : !strcmp(want, "send")   ? CPE_FANOUT_SEND
                                                       : CPE_FANOUT_AUTO;
    api->fanout = cpe_fanout_new(mode, 4096, fanned, api);
    if (!api->fanout)
        return cpe_diag_set(d, CPE_EIO,
                            "CPE_WS_FANOUT=%s: io_uring is not available here (kernel or "
                            "seccomp); use auto or send",
                            want);
    cpe_info("serve: WebSocket broadcasts are written with %s", cpe_fanout_kind(api->fanout));
    return 0;
}

void cpe_ws_broadcast_close(cpe_api_t *api)
{
    cpe_fanout_free(api->fanout);
    api->fanout = NULL;
}
