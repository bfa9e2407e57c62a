/*
 * bus_api.c — the server's side of the Redis bus (cpe/bus.h, docs/SCALE_OUT.md).
 *
 * Publishing: every candle, prediction and market (stale flag) message this node's live
 * pipeline broadcasts is also published on channel "cpe:ws:<kind>:<asset>", with a header
 * line "<node> <seq> <kind> <asset> <interval|-> <collapsible>" before the JSON the
 * WebSocket clients get. seq counts this node's messages (1, 2, ...) and is taken under the
 * same lock that queues the message, so the bus carries them in seq order.
 *
 * Receiving: a message from another node becomes the same WebSocket message here and goes
 * through the inbox, the path the local pipeline uses, so the clients of every node see the
 * same stream in the same order. A node ignores its own messages, drops a seq it has
 * already had from that node (a resend after a reconnect) and counts and logs a jump (what
 * was lost while Redis was away: the database has those bars, a client replays them).
 */
#include "api/bus_msg.h"
#include "api/server.h"
#include "cpe/bus.h"
#include "cpe/lease.h"
#include "cpe/log.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PEERS_MAX 32

typedef struct peer {
    char node[CPE_BUS_NODE_LEN + 1];
    uint64_t last;
} peer_t;

struct cpe_apibus {
    cpe_bus_t *bus;
    char node[17];
    pthread_mutex_t mu; /* seq and the queue order */
    uint64_t seq;
    peer_t peers[PEERS_MAX]; /* the subscriber thread's */
    int npeers;
    uint64_t gaps, dups;
    uint64_t jobs;      /* job ids made (mu) */
    int stopping;       /* set at stop (mu) */
    atomic_int *job;    /* the running stream backtest's stop flag (mu; jobs_bus.c) */
    cpe_lease_t *lease; /* --role ingest: the ingest lease */
};

/* A dead ingest's lease expires after this; a standby takes it within 4 + 1.2 + 2 = 7.2 s
 * (cpe/lease.h) and its pipeline starts, inside the 10 s of issue #17. */
#define INGEST_LEASE_MS 4000

void cpe_api_bus_publish(cpe_api_t *api, const cpe_wsmsg_t *m)
{
    struct cpe_apibus *ab = api->bus;
    const char *kind = ab ? cpe_bus_msg_kind(m->channel) : NULL;
    /* market flags of a node without a pipeline of its own describe the store, not a feed
     * (api->source is the service thread's, where market messages are made) */
    if (!kind || (m->channel == WS_CH_MARKET && !strcmp(api->source, "store"))) return;
    char ch[CPE_BUS_CHANNEL_MAX];
    snprintf(ch, sizeof ch, "cpe:ws:%s:%s", kind, m->asset[0] ? m->asset : "-");
    char *p = malloc(CPE_BUS_HEADER_MAX + m->len);
    if (!p) return;
    pthread_mutex_lock(&ab->mu);
    int h = cpe_bus_msg_header(p, CPE_BUS_HEADER_MAX, ab->node, ++ab->seq, m->channel, m->asset,
                               m->interval, m->collapsible, NULL);
    if (h > 0) memcpy(p + h, m->data + LWS_PRE, m->len);
    if (h <= 0 || cpe_bus_publish(ab->bus, ch, p, (size_t)h + m->len)) ab->seq--;
    pthread_mutex_unlock(&ab->mu);
    free(p);
}

void cpe_api_bus_job_id(cpe_api_t *api, char *out, size_t cap)
{
    struct cpe_apibus *ab = api->bus;
    pthread_mutex_lock(&ab->mu);
    uint64_t n = ++ab->jobs;
    pthread_mutex_unlock(&ab->mu);
    snprintf(out, cap, "bt-%s-%" PRIx64, ab->node, n);
}

void cpe_api_bus_job_running(cpe_api_t *api, atomic_int *stop)
{
    struct cpe_apibus *ab = api->bus;
    pthread_mutex_lock(&ab->mu);
    ab->job = stop;
    if (stop && ab->stopping) atomic_store(stop, 1);
    pthread_mutex_unlock(&ab->mu);
}

int cpe_api_bus_stopping(cpe_api_t *api)
{
    struct cpe_apibus *ab = api->bus;
    pthread_mutex_lock(&ab->mu);
    int s = ab->stopping;
    pthread_mutex_unlock(&ab->mu);
    return s;
}

int cpe_api_bus_xadd(cpe_api_t *api, const char *stream, const char *payload, size_t len)
{
    return cpe_bus_xadd(api->bus->bus, stream, payload, len);
}

int cpe_api_bus_set(cpe_api_t *api, const char *key, const char *value, int64_t ttl_ms)
{
    return cpe_bus_set(api->bus->bus, key, value, ttl_ms);
}

int cpe_api_bus_job_watch(cpe_api_t *api, const char *key, void (*seen)(void *, const char *),
                          void *ctx)
{
    return cpe_bus_job_watch(api->bus->bus, key, seen, ctx);
}

/* 1: deliver seq from node; 0: own message or a duplicate. */
static int peer_accept(struct cpe_apibus *ab, const char *node, uint64_t seq)
{
    if (!strcmp(node, ab->node)) return 0;
    peer_t *pr = NULL;
    for (int i = 0; i < ab->npeers && !pr; i++)
        if (!strcmp(ab->peers[i].node, node)) pr = &ab->peers[i];
    if (!pr) {
        pr = &ab->peers[ab->npeers < PEERS_MAX ? ab->npeers++ : PEERS_MAX - 1];
        snprintf(pr->node, sizeof pr->node, "%s", node);
        pr->last = 0;
        cpe_info("bus: receiving from node %s (from seq %" PRIu64 ")", node, seq);
    } else if (seq <= pr->last) {
        ab->dups++;
        return 0;
    } else if (seq > pr->last + 1) {
        ab->gaps += seq - pr->last - 1;
        cpe_warn("bus: %" PRIu64 " message(s) of node %s lost while the bus was away "
                 "(the database has the bars; clients replay them)",
                 seq - pr->last - 1, node);
    }
    pr->last = seq;
    return 1;
}

static void on_recv(void *ctx, const char *channel, const char *payload, size_t len)
{
    cpe_api_t *api = ctx;
    cpe_bus_msg_t h;
    cpe_diag_t d = {0};
    if (cpe_bus_msg_parse(payload, len, &h, &d)) {
        cpe_debug("bus: dropped a message on %s: %s", channel, d.msg);
        return;
    }
    if (!peer_accept(api->bus, h.node, h.seq)) return;
    cpe_wsmsg_t *m =
        cpe_wsmsg_new(h.channel, h.asset, h.interval, h.collapsible, h.json, h.json_len);
    if (m) cpe_api_inbox_push(api, m);
}

static void lease_lost(void *ctx)
{
    cpe_api_t *api = ctx;
    if (api->ctx) lws_cancel_service(api->ctx); /* the service loop sees it and ends */
}

int cpe_api_ingest_lease(cpe_api_t *api, cpe_diag_t *d)
{
    if (!api->bus || strcmp(api->cfg.role, "ingest")) return 0;
    char key[CPE_LEASE_KEY_MAX];
    if (snprintf(key, sizeof key, "cpe:lease:ingest:%.*s", CPE_LEASE_KEY_MAX - 20,
                 api->cfg.symbols) >= (int)sizeof key)
        return cpe_diag_set(d, CPE_EINVAL, "the symbol list is too long for a lease key");
    return cpe_lease_acquire(api->cfg.bus, key, api->bus->node, INGEST_LEASE_MS, api->stop,
                             lease_lost, api, &api->bus->lease, d);
}

int cpe_api_ingest_lease_lost(cpe_api_t *api)
{
    return api->bus && api->bus->lease && !cpe_lease_held(api->bus->lease);
}

static void node_id(char out[17])
{
    uint64_t x = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &x, sizeof x) != (ssize_t)sizeof x)
        x = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);
    if (fd >= 0) close(fd);
    snprintf(out, 17, "%016" PRIx64, x);
}

int cpe_api_bus_start(cpe_api_t *api, cpe_diag_t *d)
{
    if (!api->cfg.bus[0]) return 0;
    struct cpe_apibus *ab = calloc(1, sizeof *ab);
    if (!ab) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    node_id(ab->node);
    pthread_mutex_init(&ab->mu, NULL);
    api->bus = ab; /* before the subscriber can call on_recv */
    /* an ingest node publishes and sees its own live stream locally, a worker has none: both
     * fan out only the backtest jobs' progress (any node's job, to any node's clients) */
    const char *role = api->cfg.role;
    int subscribe = strcmp(role, "worker") && strcmp(role, "ingest");
    int rc = cpe_bus_open(api->cfg.bus, subscribe ? "cpe:ws:*" : "cpe:ws:jobs:*", on_recv, api,
                          &ab->bus, d);
    if (rc) {
        pthread_mutex_destroy(&ab->mu);
        free(ab);
        api->bus = NULL;
        return rc;
    }
    int consume = !strcmp(role, "all") || !strcmp(role, "worker");
    if (consume && (rc = cpe_jobs_bus_start(api, ab->bus, ab->node, d))) {
        cpe_api_bus_stop(api);
        return rc;
    }
    cpe_info("serve: bus %s, node %s, role %s%s%s", api->cfg.bus, ab->node, role,
             subscribe ? ", fans out other nodes' stream" : ", fans out backtest progress",
             consume ? ", runs backtest jobs" : "");
    return 0;
}

void cpe_api_bus_stop(cpe_api_t *api)
{
    struct cpe_apibus *ab = api->bus;
    if (!ab) return;
    cpe_lease_release(ab->lease); /* the pipeline has stopped: a standby may take over */
    pthread_mutex_lock(&ab->mu);
    ab->stopping = 1;
    if (ab->job) atomic_store(ab->job, 1);
    pthread_mutex_unlock(&ab->mu);
    cpe_bus_close(ab->bus); /* joins the subscriber and the consumer: on_recv is done */
    if (ab->gaps || ab->dups)
        cpe_info("bus: %" PRIu64 " message(s) missed, %" PRIu64 " duplicate(s) dropped", ab->gaps,
                 ab->dups);
    pthread_mutex_destroy(&ab->mu);
    free(ab);
    api->bus = NULL;
}
