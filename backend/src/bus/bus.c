/* bus.c — the Redis pub/sub bus: a publisher and a subscriber thread (cpe/bus.h). */
#include "cpe/bus.h"
#include "bus/bus_int.h"
#include "cpe/log.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define POLL_MS 200

int cpe_bus_parse_url(const char *url, char *host, size_t hcap, int *port, cpe_diag_t *d)
{
    const char *p = url && !strncmp(url, "redis://", 8) ? url + 8 : NULL;
    const char *colon = p ? strrchr(p, ':') : NULL;
    size_t hl = p ? (colon ? (size_t)(colon - p) : strcspn(p, "/")) : 0;
    if (!p || hl == 0 || hl >= hcap || memchr(p, '@', hl))
        return cpe_diag_set(d, CPE_EINVAL,
                            "bus URL (%s) must be redis://HOST:PORT (no user or password)",
                            url ? url : "");
    long pt = 6379;
    if (colon) {
        char *end;
        errno = 0;
        pt = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || (*end && strcmp(end, "/")) || pt < 1 || pt > 65535)
            return cpe_diag_set(d, CPE_EINVAL, "bus URL (%s): port must be 1..65535", url);
    }
    memcpy(host, p, hl);
    host[hl] = 0;
    *port = (int)pt;
    return 0;
}

static int enqueue(cpe_bus_t *b, bus_item_kind_t kind, const char *channel, const void *payload,
                   size_t len, int64_t ttl_ms)
{
    size_t cl = strlen(channel);
    if (cl >= CPE_BUS_CHANNEL_MAX) return CPE_EINVAL;
    bus_item_t *it = malloc(sizeof *it + len + 1);
    if (!it) return CPE_ENOMEM;
    it->next = NULL;
    it->len = len;
    it->kind = kind;
    it->ttl_ms = ttl_ms;
    memcpy(it->channel, channel, cl + 1);
    memcpy(it->data, payload, len);
    it->data[len] = 0;
    pthread_mutex_lock(&b->mu);
    if (b->tail)
        b->tail->next = it;
    else
        b->head = it;
    b->tail = it;
    /* Redis is away: the oldest messages go (job entries and keys are kept) */
    if (++b->queued > CPE_BUS_QUEUE_MAX && b->head->kind == ITEM_PUBLISH) {
        bus_item_t *old = b->head;
        b->head = old->next;
        b->queued--;
        b->st.dropped++;
        free(old);
    }
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

int cpe_bus_publish(cpe_bus_t *b, const char *channel, const void *payload, size_t len)
{
    return enqueue(b, ITEM_PUBLISH, channel, payload, len, 0);
}

int cpe_bus_xadd(cpe_bus_t *b, const char *stream, const void *payload, size_t len)
{
    return enqueue(b, ITEM_XADD, stream, payload, len, 0);
}

int cpe_bus_set(cpe_bus_t *b, const char *key, const char *value, int64_t ttl_ms)
{
    if (ttl_ms < 1) return CPE_EINVAL;
    return enqueue(b, ITEM_SET, key, value, strlen(value), ttl_ms);
}

void cpe_bus_get_stats(cpe_bus_t *b, cpe_bus_stats_t *out)
{
    pthread_mutex_lock(&b->mu);
    *out = b->st;
    pthread_mutex_unlock(&b->mu);
}

static void free_list(bus_item_t *it)
{
    while (it) {
        bus_item_t *n = it->next;
        free(it);
        it = n;
    }
}

int cpe_bus_wait_ms(pthread_mutex_t *mu, pthread_cond_t *cv, const int *stop, int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(mu);
    while (!*stop && pthread_cond_timedwait(cv, mu, &t) != ETIMEDOUT) {
    }
    int s = *stop;
    pthread_mutex_unlock(mu);
    return s;
}

#ifdef CPE_HAVE_HIREDIS

/* Wait ms or until stop; returns 1 when stopping. */
static int bus_sleep(cpe_bus_t *b, int ms)
{
    return cpe_bus_wait_ms(&b->mu, &b->cv, &b->stop, ms);
}

/* Connect, backing off while Redis is away; NULL when stopping. */
redisContext *cpe_bus_connect(cpe_bus_t *b, int *up, const char *who)
{
    int backoff = BACKOFF_MIN_MS, warned = 0;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        int s = b->stop;
        pthread_mutex_unlock(&b->mu);
        if (s) return NULL;
        struct timeval tv = {1, 0};
        redisContext *c = redisConnectWithTimeout(b->host, b->port, tv);
        if (c && !c->err) {
            struct timeval rt = {2, 0}; /* a Redis that stops answering breaks the link */
            redisSetTimeout(c, rt);
            pthread_mutex_lock(&b->mu);
            if (*up < 0) b->st.reconnects++;
            *up = 1;
            pthread_mutex_unlock(&b->mu);
            cpe_info("bus: %s connected to redis://%s:%d", who, b->host, b->port);
            return c;
        }
        if (!warned++)
            cpe_warn("bus: %s cannot reach redis://%s:%d (%s): retrying with backoff", who, b->host,
                     b->port, c ? c->errstr : "out of memory");
        redisFree(c);
        if (bus_sleep(b, backoff)) return NULL;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
}

void cpe_bus_set_down(cpe_bus_t *b, int *up, const char *who, const char *why)
{
    pthread_mutex_lock(&b->mu);
    *up = -1;
    pthread_mutex_unlock(&b->mu);
    cpe_warn("bus: %s lost redis://%s:%d (%s): reconnecting", who, b->host, b->port, why);
}

/* Pipeline the batch; returns the items whose reply was not read (to send again). */
static bus_item_t *publish_batch(cpe_bus_t *b, redisContext *c, bus_item_t *batch)
{
    for (bus_item_t *it = batch; it; it = it->next)
        if (it->kind == ITEM_SET)
            redisAppendCommand(c, "SET %s %b PX %lld", it->channel, it->data, it->len,
                               (long long)it->ttl_ms);
        else
            redisAppendCommand(c, it->kind == ITEM_XADD ? "XADD %s * job %b" : "PUBLISH %s %b",
                               it->channel, it->data, it->len);
    uint64_t n = 0;
    while (batch) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) break;
        freeReplyObject(r);
        bus_item_t *nx = batch->next;
        free(batch);
        batch = nx;
        n++;
    }
    pthread_mutex_lock(&b->mu);
    b->st.published += n;
    pthread_mutex_unlock(&b->mu);
    return batch;
}

static void *pub_run(void *arg)
{
    cpe_bus_t *b = arg;
    redisContext *c = NULL;
    for (;;) {
        if (!c && !(c = cpe_bus_connect(b, &b->st.pub_up, "publisher"))) break;
        pthread_mutex_lock(&b->mu);
        while (!b->head && !b->stop)
            pthread_cond_wait(&b->cv, &b->mu);
        if (b->stop) {
            pthread_mutex_unlock(&b->mu);
            break;
        }
        bus_item_t *batch = b->head;
        b->head = b->tail = NULL;
        b->queued = 0;
        pthread_mutex_unlock(&b->mu);
        bus_item_t *rest = publish_batch(b, c, batch);
        if (!rest) continue;
        /* unsent or unconfirmed: back to the front of the queue, in order */
        bus_item_t *last = rest;
        size_t n = 1;
        for (; last->next; last = last->next)
            n++;
        pthread_mutex_lock(&b->mu);
        last->next = b->head;
        if (!b->head) b->tail = last;
        b->head = rest;
        b->queued += n;
        pthread_mutex_unlock(&b->mu);
        cpe_bus_set_down(b, &b->st.pub_up, "publisher", c->errstr);
        redisFree(c);
        c = NULL;
    }
    redisFree(c);
    return NULL;
}

static void deliver(cpe_bus_t *b, redisReply *r)
{
    /* ["pmessage", pattern, channel, payload] */
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
        r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "pmessage") ||
        r->element[2]->type != REDIS_REPLY_STRING || r->element[3]->type != REDIS_REPLY_STRING)
        return; /* the psubscribe confirmation */
    pthread_mutex_lock(&b->mu);
    b->st.received++;
    pthread_mutex_unlock(&b->mu);
    b->recv(b->ctx, r->element[2]->str, r->element[3]->str, r->element[3]->len);
}

/* Read messages until the link breaks (returns its error) or stop (NULL). */
static const char *sub_loop(cpe_bus_t *b, redisContext *c)
{
    redisAppendCommand(c, "PSUBSCRIBE %s", b->pattern);
    int done = 0;
    while (!done)
        if (redisBufferWrite(c, &done) != REDIS_OK) return c->errstr;
    for (;;) {
        void *r = NULL;
        if (redisGetReplyFromReader(c, &r) != REDIS_OK) return c->errstr;
        if (r) {
            deliver(b, r);
            freeReplyObject(r);
            continue;
        }
        pthread_mutex_lock(&b->mu);
        int s = b->stop;
        pthread_mutex_unlock(&b->mu);
        if (s) return NULL;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, POLL_MS);
        if (pr < 0 && errno != EINTR) return "poll failed";
        if (pr > 0 && redisBufferRead(c) != REDIS_OK) return c->errstr;
    }
}

static void *sub_run(void *arg)
{
    cpe_bus_t *b = arg;
    redisContext *c;
    while ((c = cpe_bus_connect(b, &b->st.sub_up, "subscriber"))) {
        const char *why = sub_loop(b, c);
        if (why) cpe_bus_set_down(b, &b->st.sub_up, "subscriber", why);
        redisFree(c);
        if (!why) break;
    }
    return NULL;
}

#endif /* CPE_HAVE_HIREDIS */

void cpe_bus_close(cpe_bus_t *b)
{
    if (!b) return;
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    if (b->pub_started) pthread_join(b->pub_th, NULL);
    if (b->sub_started) pthread_join(b->sub_th, NULL);
    if (b->job_started) pthread_join(b->job_th, NULL);
    free_list(b->head);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

int cpe_bus_open(const char *url, const char *pattern, cpe_bus_recv_fn recv, void *ctx,
                 cpe_bus_t **out, cpe_diag_t *d)
{
    *out = NULL;
    char host[256];
    int port = 0, rc;
    if ((rc = cpe_bus_parse_url(url, host, sizeof host, &port, d))) return rc;
#ifndef CPE_HAVE_HIREDIS
    (void)pattern;
    (void)recv;
    (void)ctx;
    return cpe_diag_set(d, CPE_EUNSUPPORTED,
                        "bus %s: this cpe was built without hiredis (scripts/bootstrap.sh "
                        "--with-servers, then rebuild)",
                        url);
#else
    if (pattern && strlen(pattern) >= CPE_BUS_CHANNEL_MAX)
        return cpe_diag_set(d, CPE_EINVAL, "bus pattern (%s) too long", pattern);
    cpe_bus_t *b = calloc(1, sizeof *b);
    if (!b) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    snprintf(b->host, sizeof b->host, "%s", host);
    b->port = port;
    b->recv = recv;
    b->ctx = ctx;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->pub_started = pthread_create(&b->pub_th, NULL, pub_run, b) == 0;
    if (b->pub_started && pattern && recv) {
        snprintf(b->pattern, sizeof b->pattern, "%s", pattern);
        b->sub_started = pthread_create(&b->sub_th, NULL, sub_run, b) == 0;
    }
    if (!b->pub_started || (pattern && recv && !b->sub_started)) {
        cpe_bus_close(b);
        return cpe_diag_set(d, CPE_ENOMEM, "bus %s: cannot start its threads", url);
    }
    *out = b;
    return 0;
#endif
}
