/* jobs.c — the bus's job consumer: a Redis Stream read by a consumer group, the claim of
 * the running entry kept alive and a key watched for it (cpe/bus.h). */
#include "bus/bus_int.h"
#include "cpe/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifdef CPE_HAVE_HIREDIS

/* The first entry of an XREADGROUP reply [[stream, [[id, [k, v]]]]] or an XAUTOCLAIM
 * reply [next, [[id, [k, v]]], ...]; NULL when there is none. */
static redisReply *first_entry(redisReply *r, int autoclaim)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2 - (size_t)!autoclaim) return NULL;
    redisReply *list = autoclaim ? r->element[1] : r->element[0];
    if (!autoclaim) {
        if (list->type != REDIS_REPLY_ARRAY || list->elements != 2) return NULL;
        list = list->element[1];
    }
    if (list->type != REDIS_REPLY_ARRAY || list->elements == 0) return NULL;
    redisReply *e = list->element[0];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY ||
        e->element[1]->elements != 2 || e->element[1]->element[1]->type != REDIS_REPLY_STRING)
        return NULL; /* an entry deleted since (nil fields) */
    return e;
}

/* While a handler runs, its entry's idle time is reset every reclaim_ms / 3 (XCLAIM to the
 * same consumer, JUSTID) on a connection of its own, so a live long job is never reclaimed;
 * an entry whose node died stops being renewed and is reclaimed after reclaim_ms. The same
 * thread looks for the handler's watched key (cpe_bus_job_watch) every CPE_BUS_WATCH_MS. */
typedef struct keeper {
    cpe_bus_t *b;
    const char *id;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    uint64_t renewals;
    char watch[CPE_BUS_CHANNEL_MAX]; /* "" until the handler names one (mu) */
    cpe_bus_watch_fn seen;
    void *seen_ctx;
} keeper_t;

/* The watched key once: its value to the handler's callback when it exists. The callback
 * runs under mu, and only while the key is still the one watched: once the handler has
 * cleared its watch, its context is never used again. */
static void look(keeper_t *k, redisContext *c)
{
    pthread_mutex_lock(&k->mu);
    char key[CPE_BUS_CHANNEL_MAX];
    memcpy(key, k->watch, sizeof key);
    pthread_mutex_unlock(&k->mu);
    if (!key[0]) return;
    redisReply *r = redisCommand(c, "GET %s", key);
    if (r && r->type == REDIS_REPLY_STRING) {
        pthread_mutex_lock(&k->mu);
        if (!strcmp(k->watch, key)) {
            k->seen(k->seen_ctx, r->str);
            k->watch[0] = 0; /* reported once */
        }
        pthread_mutex_unlock(&k->mu);
    }
    freeReplyObject(r);
}

static void *keeper_run(void *arg)
{
    keeper_t *k = arg;
    cpe_bus_t *b = k->b;
    int every = b->reclaim_ms / 3 > 10 ? (int)(b->reclaim_ms / 3) : 10; /* ms */
    int tick = every < CPE_BUS_WATCH_MS ? every : CPE_BUS_WATCH_MS, since = 0;
    redisContext *c = NULL;
    while (!cpe_bus_wait_ms(&k->mu, &k->cv, &k->done, tick)) {
        if (!c) {
            struct timeval tv = {1, 0};
            c = redisConnectWithTimeout(b->host, b->port, tv);
            if (!c || c->err) {
                redisFree(c);
                c = NULL;
                continue; /* Redis away: nobody reclaims meanwhile either */
            }
            redisSetTimeout(c, tv);
        }
        look(k, c);
        if ((since += tick) < every) continue;
        since = 0;
        redisReply *r =
            redisCommand(c, "XCLAIM %s %s %s 0 %s JUSTID", b->stream, b->group, b->consumer, k->id);
        if (!r) {
            redisFree(c);
            c = NULL;
            continue;
        }
        freeReplyObject(r);
        k->renewals++;
    }
    redisFree(c);
    return NULL;
}

/* Run the handler of entry id with its claim kept alive; the handler's result. */
static int run_kept(cpe_bus_t *b, const char *id, const char *payload, size_t len)
{
    keeper_t k = {.b = b, .id = id};
    pthread_mutex_init(&k.mu, NULL);
    pthread_cond_init(&k.cv, NULL);
    pthread_t th;
    int started = pthread_create(&th, NULL, keeper_run, &k) == 0;
    b->keeper = started ? &k : NULL;
    int rc = b->job(b->job_ctx, id, payload, len);
    b->keeper = NULL;
    if (started) {
        pthread_mutex_lock(&k.mu);
        k.done = 1;
        pthread_cond_broadcast(&k.cv);
        pthread_mutex_unlock(&k.mu);
        pthread_join(th, NULL);
    }
    pthread_mutex_lock(&b->mu);
    b->st.claim_renewals += k.renewals;
    pthread_mutex_unlock(&b->mu);
    pthread_cond_destroy(&k.cv);
    pthread_mutex_destroy(&k.mu);
    return rc;
}

/* Reclaim an abandoned entry or wait up to a second for a new one, run it, XACK it.
 * Returns the link's error, or NULL to go on. */
static const char *job_step(cpe_bus_t *b, redisContext *c)
{
    char idle[24];
    snprintf(idle, sizeof idle, "%lld", (long long)b->reclaim_ms);
    redisReply *r = redisCommand(c, "XAUTOCLAIM %s %s %s %s 0-0 COUNT 1", b->stream, b->group,
                                 b->consumer, idle);
    if (!r) return c->errstr;
    redisReply *e = first_entry(r, 1);
    if (!e) {
        freeReplyObject(r);
        r = redisCommand(c, "XREADGROUP GROUP %s %s COUNT 1 BLOCK 1000 STREAMS %s >", b->group,
                         b->consumer, b->stream);
        if (!r) return c->errstr;
        e = first_entry(r, 0);
    }
    if (e) {
        const redisReply *v = e->element[1]->element[1];
        if (run_kept(b, e->element[0]->str, v->str, v->len)) {
            freeReplyObject(r); /* pending: a consumer reclaims it after reclaim_ms */
            return NULL;
        }
        redisReply *a = redisCommand(c, "XACK %s %s %s", b->stream, b->group, e->element[0]->str);
        freeReplyObject(r);
        if (!a) return c->errstr;
        freeReplyObject(a);
        pthread_mutex_lock(&b->mu);
        b->st.jobs_done++;
        pthread_mutex_unlock(&b->mu);
        return NULL;
    }
    freeReplyObject(r);
    return NULL;
}

void *cpe_bus_job_run(void *arg)
{
    cpe_bus_t *b = arg;
    redisContext *c;
    while ((c = cpe_bus_connect(b, &b->job_up, "job consumer"))) {
        struct timeval rt = {5, 0}; /* longer than the 1 s BLOCK */
        redisSetTimeout(c, rt);
        freeReplyObject(
            redisCommand(c, "XGROUP CREATE %s %s 0 MKSTREAM", b->stream, b->group)); /* BUSYGROUP */
        const char *why = NULL;
        for (;;) {
            pthread_mutex_lock(&b->mu);
            int s = b->stop;
            pthread_mutex_unlock(&b->mu);
            if (s || (why = job_step(b, c))) break;
        }
        if (why) cpe_bus_set_down(b, &b->job_up, "job consumer", why);
        redisFree(c);
        if (!why) break;
    }
    return NULL;
}

int cpe_bus_job_watch(cpe_bus_t *b, const char *key, cpe_bus_watch_fn seen, void *ctx)
{
    keeper_t *k = b->keeper;
    if (!k) return CPE_EINVAL; /* not inside a handler (or its keeper did not start) */
    if (strlen(key) >= sizeof k->watch) return CPE_EINVAL;
    pthread_mutex_lock(&k->mu);
    k->seen = seen;
    k->seen_ctx = ctx;
    snprintf(k->watch, sizeof k->watch, "%s", key);
    pthread_mutex_unlock(&k->mu);
    return 0;
}

#else

int cpe_bus_job_watch(cpe_bus_t *b, const char *key, cpe_bus_watch_fn seen, void *ctx)
{
    (void)b, (void)key, (void)seen, (void)ctx;
    return CPE_EUNSUPPORTED;
}

#endif /* CPE_HAVE_HIREDIS */

int cpe_bus_consume(cpe_bus_t *b, const char *stream, const char *group, const char *consumer,
                    int64_t reclaim_ms, cpe_bus_job_fn fn, void *ctx, cpe_diag_t *d)
{
    if (b->job_started) return cpe_diag_set(d, CPE_EEXISTS, "the bus consumes a stream already");
    if (strlen(stream) >= sizeof b->stream || strlen(group) >= sizeof b->group ||
        strlen(consumer) >= sizeof b->consumer || strchr(consumer, ' ') || strchr(group, ' '))
        return cpe_diag_set(d, CPE_EINVAL, "stream, group or consumer name too long or spaced");
    snprintf(b->stream, sizeof b->stream, "%s", stream);
    snprintf(b->group, sizeof b->group, "%s", group);
    snprintf(b->consumer, sizeof b->consumer, "%s", consumer);
    b->reclaim_ms = reclaim_ms;
    b->job = fn;
    b->job_ctx = ctx;
#ifdef CPE_HAVE_HIREDIS
    b->job_started = pthread_create(&b->job_th, NULL, cpe_bus_job_run, b) == 0;
#endif
    return b->job_started ? 0 : cpe_diag_set(d, CPE_EINTERNAL, "cannot start the consumer thread");
}
