/* lease.c — a Redis lease renewed on a thread (cpe/lease.h). */
#include "cpe/lease.h"
#include "bus/bus_int.h"
#include "cpe/bus.h"
#include "cpe/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef CPE_HAVE_HIREDIS
#include <hiredis/hiredis.h>

#define POLL_MS 1000
#define BACKOFF_MAX_MS 2000

struct cpe_lease {
    char host[256];
    int port;
    char key[CPE_LEASE_KEY_MAX], owner[64];
    int ttl_ms;
    cpe_lease_lost_fn lost;
    void *ctx;
    atomic_int held;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    pthread_t th;
};

/* 1: ours (renewed), 2: was gone and is ours again, 0: another owner's, -1: no answer */
static const char RENEW[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
    "if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end "
    "return 0";

static redisContext *lease_connect(const cpe_lease_t *l)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout(l->host, l->port, tv);
    if (c && !c->err) {
        redisSetTimeout(c, tv);
        return c;
    }
    redisFree(c);
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) && errno == EINTR) {
    }
}

/* Wait ms on the renewal thread or until release; 1 when released. */
static int lease_wait(cpe_lease_t *l, int ms)
{
    return cpe_bus_wait_ms(&l->mu, &l->cv, &l->stop, ms);
}

static long long renew(redisContext *c, const cpe_lease_t *l)
{
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", l->ttl_ms);
    redisReply *r = redisCommand(c, "EVAL %s 1 %s %s %s", RENEW, l->key, l->owner, ttl);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return v;
}

static void *renew_run(void *arg)
{
    cpe_lease_t *l = arg;
    redisContext *c = NULL;
    int every = l->ttl_ms / 3, away = 0;
    while (!lease_wait(l, every)) {
        if (!c && !(c = lease_connect(l))) {
            if (!away++) cpe_warn("lease %s: cannot reach Redis; keeping the lease", l->key);
            continue;
        }
        long long v = renew(c, l);
        if (v < 0) {
            redisFree(c);
            c = NULL;
            if (!away++) cpe_warn("lease %s: Redis did not answer; keeping the lease", l->key);
            continue;
        }
        if (away) cpe_info("lease %s: Redis is back", l->key);
        away = 0;
        if (v == 2) cpe_warn("lease %s: the key was gone (Redis restarted?): taken again", l->key);
        if (v == 0) {
            atomic_store(&l->held, 0);
            cpe_error("lease %s: another node holds it now: this node stops holding it", l->key);
            if (l->lost) l->lost(l->ctx);
            break;
        }
    }
    redisFree(c);
    return NULL;
}

/* One acquisition attempt: 1 taken, 0 someone else's or not yet confirmed, -1 no answer.
 * *gone_since: when the key was first seen missing (0: it was not). */
static int try_take(redisContext *c, const cpe_lease_t *l, long long *gone_since, char *holder,
                    size_t hcap)
{
    redisReply *r = redisCommand(c, "GET %s", l->key);
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
        freeReplyObject(r);
        return -1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (r->type == REDIS_REPLY_STRING) {
        snprintf(holder, hcap, "%s", r->str);
        freeReplyObject(r);
        *gone_since = 0;
        return 0;
    }
    freeReplyObject(r);
    /* gone: give a live holder more than one renewal period to take it back first */
    if (!*gone_since) *gone_since = now;
    if (now - *gone_since < l->ttl_ms / 2 + 200) return 0;
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", l->ttl_ms);
    r = redisCommand(c, "SET %s %s NX PX %s", l->key, l->owner, ttl);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    int answered = r && r->type != REDIS_REPLY_ERROR;
    freeReplyObject(r);
    *gone_since = 0;
    return ok ? 1 : answered ? 0 : -1;
}

static int wait_for_lease(cpe_lease_t *l, const volatile sig_atomic_t *stop)
{
    redisContext *c = NULL;
    long long gone = 0;
    char holder[64] = "", said[64] = "";
    int away = 0, rc = CPE_ECANCELED;
    while (!*stop) {
        if (!c && !(c = lease_connect(l))) {
            if (!away++) cpe_warn("lease %s: cannot reach Redis: waiting", l->key);
            sleep_ms(POLL_MS);
            continue;
        }
        int t = try_take(c, l, &gone, holder, sizeof holder);
        if (t == 1) {
            rc = 0;
            break;
        }
        if (t < 0) {
            redisFree(c);
            c = NULL;
            continue;
        }
        if (holder[0] && strcmp(holder, said)) {
            cpe_info("lease %s: held by node %s: standing by", l->key, holder);
            snprintf(said, sizeof said, "%s", holder);
        }
        sleep_ms(gone ? 100 : POLL_MS);
    }
    redisFree(c);
    return rc;
}

int cpe_lease_acquire(const char *url, const char *key, const char *owner, int ttl_ms,
                      const volatile sig_atomic_t *stop, cpe_lease_lost_fn lost, void *ctx,
                      cpe_lease_t **out, cpe_diag_t *d)
{
    *out = NULL;
    if (ttl_ms < 300) return cpe_diag_set(d, CPE_EINVAL, "lease ttl %d ms: at least 300", ttl_ms);
    if (!key[0] || strlen(key) >= CPE_LEASE_KEY_MAX || !owner[0] || strlen(owner) >= 64)
        return cpe_diag_set(d, CPE_EINVAL, "lease key '%s' or owner '%s': empty or too long", key,
                            owner);
    cpe_lease_t *l = calloc(1, sizeof *l);
    if (!l) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    int rc = cpe_bus_parse_url(url, l->host, sizeof l->host, &l->port, d);
    if (rc) {
        free(l);
        return rc;
    }
    snprintf(l->key, sizeof l->key, "%s", key);
    snprintf(l->owner, sizeof l->owner, "%s", owner);
    l->ttl_ms = ttl_ms;
    l->lost = lost;
    l->ctx = ctx;
    if ((rc = wait_for_lease(l, stop))) {
        free(l);
        return cpe_diag_set(d, rc, "lease %s: stopped before it was free", key);
    }
    atomic_store(&l->held, 1);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pthread_create(&l->th, NULL, renew_run, l)) {
        cpe_lease_release(l); /* no thread: just deletes the key */
        return cpe_diag_set(d, CPE_ENOMEM, "lease %s: cannot start the renewal thread", key);
    }
    cpe_info("lease %s: held by this node (%s), ttl %d ms", key, owner, ttl_ms);
    *out = l;
    return 0;
}

int cpe_lease_held(cpe_lease_t *l)
{
    return l && atomic_load(&l->held);
}

void cpe_lease_release(cpe_lease_t *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    if (l->th) pthread_join(l->th, NULL);
    redisContext *c = atomic_load(&l->held) ? lease_connect(l) : NULL;
    if (c) {
        redisReply *r = redisCommand(
            c, "EVAL %s 1 %s %s",
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
            "return 0",
            l->key, l->owner);
        freeReplyObject(r);
        redisFree(c);
    }
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

#else

int cpe_lease_acquire(const char *url, const char *key, const char *owner, int ttl_ms,
                      const volatile sig_atomic_t *stop, cpe_lease_lost_fn lost, void *ctx,
                      cpe_lease_t **out, cpe_diag_t *d)
{
    (void)url, (void)key, (void)owner, (void)ttl_ms, (void)stop, (void)lost, (void)ctx;
    *out = NULL;
    return cpe_diag_set(d, CPE_EUNSUPPORTED, "the lease needs hiredis at build time");
}

int cpe_lease_held(cpe_lease_t *l)
{
    (void)l;
    return 0;
}

void cpe_lease_release(cpe_lease_t *l)
{
    (void)l;
}

#endif
