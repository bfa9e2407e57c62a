/* test_bus.c — the Redis bus (cpe/bus.h): URL parsing; an unreachable Redis neither fails
 * the open nor blocks the publisher, and the queue stays bounded. With
 * CPE_TEST_REDIS_URL_FILE (a file holding the URL of a throwaway redis-server, made by
 * tests/redis_tmp.sh as a ctest fixture): every message published arrives once, in order;
 * stream entries are consumed in order and acknowledged, and an entry one consumer left
 * pending (its handler gave up, as a dying node would) is reclaimed by another, and a job
 * longer than the reclaim idle time keeps its claim while it runs; the lease
 * (cpe/lease.h) has one holder, a standby takes it when it is released, and a holder whose
 * key another owner took learns it has lost it. */
#include "cpe/bus.h"
#include "cpe/lease.h"
#include "cpe/timeutil.h"
#include "test.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_bus_url_parse(void)
{
    char host[64];
    int port = 0;
    CHECK_EQ_INT(cpe_bus_parse_url("redis://127.0.0.1:6390", host, sizeof host, &port, NULL), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_EQ_INT(port, 6390);
    CHECK_EQ_INT(cpe_bus_parse_url("redis://cache", host, sizeof host, &port, NULL), 0);
    CHECK_STR(host, "cache");
    CHECK_EQ_INT(port, 6379);
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bus_parse_url("http://x:1", host, sizeof host, &port, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "http://x:1") != NULL);
    CHECK_EQ_INT(cpe_bus_parse_url("redis://x:0", host, sizeof host, &port, NULL), CPE_EINVAL);
    CHECK_EQ_INT(cpe_bus_parse_url("redis://x:99999", host, sizeof host, &port, NULL), CPE_EINVAL);
    CHECK_EQ_INT(cpe_bus_parse_url("redis://u:pw@x:1", host, sizeof host, &port, NULL), CPE_EINVAL);
    CHECK_EQ_INT(cpe_bus_parse_url("redis://", host, sizeof host, &port, NULL), CPE_EINVAL);
}

#ifdef CPE_TEST_HAVE_HIREDIS
static void test_bus_unreachable_redis_queues_bounded_without_blocking(void)
{
    cpe_bus_t *b = NULL;
    /* port 1 on loopback: refused at once */
    CHECK_EQ_INT(cpe_bus_open("redis://127.0.0.1:1", NULL, NULL, NULL, &b, NULL), 0);
    if (!b) return;
    int64_t t0 = cpe_now_ms();
    for (int i = 0; i < CPE_BUS_QUEUE_MAX + 100; i++)
        CHECK_EQ_INT(cpe_bus_publish(b, "t:x", "m", 1), 0);
    CHECK(cpe_now_ms() - t0 < 1000);
    cpe_bus_stats_t st;
    cpe_bus_get_stats(b, &st);
    CHECK_EQ_INT(st.pub_up, 0);
    CHECK_EQ_INT((int)st.dropped, 100);
    t0 = cpe_now_ms();
    cpe_bus_close(b);
    CHECK(cpe_now_ms() - t0 < 1500);
}

typedef struct sink {
    pthread_mutex_t mu;
    int n, bad;
} sink_t;

static void on_msg(void *ctx, const char *channel, const char *payload, size_t len)
{
    sink_t *s = ctx;
    char want[32];
    pthread_mutex_lock(&s->mu);
    int n = snprintf(want, sizeof want, "%d", s->n);
    if (strcmp(channel, "t:seq") || len != (size_t)n || memcmp(payload, want, len)) s->bad++;
    s->n++;
    pthread_mutex_unlock(&s->mu);
}

static void test_bus_round_trip_in_order(const char *url)
{
    sink_t s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cpe_bus_t *pub = NULL, *sub = NULL;
    CHECK_EQ_INT(cpe_bus_open(url, "t:*", on_msg, &s, &sub, NULL), 0);
    CHECK_EQ_INT(cpe_bus_open(url, NULL, NULL, NULL, &pub, NULL), 0);
    if (!pub || !sub) return;
    cpe_bus_stats_t st = {0};
    for (int i = 0; i < 100 && !st.sub_up; i++) {
        usleep(20000);
        cpe_bus_get_stats(sub, &st);
    }
    CHECK_EQ_INT(st.sub_up, 1);
    usleep(100000); /* the PSUBSCRIBE is answered before the first message */
    enum { N = 5000 };
    for (int i = 0; i < N; i++) {
        char m[32];
        int n = snprintf(m, sizeof m, "%d", i);
        CHECK_EQ_INT(cpe_bus_publish(pub, "t:seq", m, (size_t)n), 0);
    }
    int got = 0;
    for (int i = 0; i < 250 && got < N; i++) {
        usleep(20000);
        pthread_mutex_lock(&s.mu);
        got = s.n;
        pthread_mutex_unlock(&s.mu);
    }
    CHECK_EQ_INT(got, N);
    CHECK_EQ_INT(s.bad, 0);
    /* the publisher counts a message when it reads its reply, which may come after the
     * subscriber has it (make test under load saw 0 here) */
    for (int i = 0; i < 250 && (cpe_bus_get_stats(pub, &st), (int)st.published < N); i++)
        usleep(20000);
    CHECK_EQ_INT((int)st.published, N);
    cpe_bus_close(pub);
    cpe_bus_close(sub);
}
typedef struct jobs_seen {
    pthread_mutex_t mu;
    char got[8][16];
    int n, refuse; /* refuse: leave every entry pending */
    int slow_ms;   /* a long job: the handler takes this long */
} jobs_seen_t;

static int on_job(void *ctx, const char *id, const char *payload, size_t len)
{
    (void)id;
    jobs_seen_t *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (s->n < 8) snprintf(s->got[s->n++], sizeof s->got[0], "%.*s", (int)len, payload);
    int r = s->refuse, slow = s->slow_ms;
    pthread_mutex_unlock(&s->mu);
    if (slow) usleep((useconds_t)slow * 1000);
    return r;
}

static int seen_count(jobs_seen_t *s, int want)
{
    int n = 0;
    for (int i = 0; i < 250 && n < want; i++) {
        usleep(20000);
        pthread_mutex_lock(&s->mu);
        n = s->n;
        pthread_mutex_unlock(&s->mu);
    }
    return n;
}

static void test_bus_stream_jobs_in_order_and_reclaimed(const char *url)
{
    char stream[64];
    snprintf(stream, sizeof stream, "t:jobs:%d:%lld", (int)getpid(), (long long)cpe_now_ms());
    jobs_seen_t first = {.mu = PTHREAD_MUTEX_INITIALIZER, .refuse = 1};
    jobs_seen_t second = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cpe_bus_t *pub = NULL, *w1 = NULL, *w2 = NULL;
    CHECK_EQ_INT(cpe_bus_open(url, NULL, NULL, NULL, &pub, NULL), 0);
    CHECK_EQ_INT(cpe_bus_open(url, NULL, NULL, NULL, &w1, NULL), 0);
    if (!pub || !w1) return;
    /* the first worker takes one entry and leaves it pending (it "dies") */
    CHECK_EQ_INT(cpe_bus_consume(w1, stream, "g", "w1", 300, on_job, &first, NULL), 0);
    CHECK_EQ_INT(cpe_bus_consume(w1, stream, "g", "w1", 300, on_job, &first, NULL), CPE_EEXISTS);
    usleep(200000); /* the group exists before the first entry */
    CHECK_EQ_INT(cpe_bus_xadd(pub, stream, "a", 1), 0);
    CHECK_EQ_INT(seen_count(&first, 1), 1);
    cpe_bus_close(w1);
    CHECK_STR(first.got[0], "a");
    CHECK_EQ_INT(cpe_bus_xadd(pub, stream, "b", 1), 0);
    CHECK_EQ_INT(cpe_bus_xadd(pub, stream, "c", 1), 0);
    /* the second reclaims "a" once it has been idle 300 ms, then reads b and c */
    CHECK_EQ_INT(cpe_bus_open(url, NULL, NULL, NULL, &w2, NULL), 0);
    if (!w2) return;
    CHECK_EQ_INT(cpe_bus_consume(w2, stream, "g", "w2", 300, on_job, &second, NULL), 0);
    CHECK_EQ_INT(seen_count(&second, 3), 3);
    /* each once; b before c (a, reclaimed, may come before or after them) */
    int at[3] = {-1, -1, -1}, dup = 0;
    for (int i = 0; i < second.n; i++) {
        int k = second.got[i][0] - 'a';
        if (k < 0 || k > 2 || second.got[i][1] || at[k] >= 0)
            dup = 1;
        else
            at[k] = i;
    }
    CHECK(!dup && at[0] >= 0 && at[1] >= 0 && at[2] > at[1]);
    usleep(100000);
    cpe_bus_stats_t st;
    cpe_bus_get_stats(w2, &st);
    CHECK_EQ_INT((int)st.jobs_done, 3);
    cpe_bus_close(w2);
    cpe_bus_close(pub);
}
#endif

/* A job five times longer than the reclaim idle time is not taken by the other consumer
 * while its node lives: its claim is renewed. */
static void test_bus_long_job_keeps_its_claim(const char *url)
{
    char stream[64];
    snprintf(stream, sizeof stream, "t:long:%d:%lld", (int)getpid(), (long long)cpe_now_ms());
    jobs_seen_t slow = {.mu = PTHREAD_MUTEX_INITIALIZER, .slow_ms = 1500};
    jobs_seen_t other = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cpe_bus_t *pub = NULL, *w1 = NULL, *w2 = NULL;
    CHECK_EQ_INT(cpe_bus_open(url, NULL, NULL, NULL, &pub, NULL), 0);
    CHECK_EQ_INT(cpe_bus_open(url, NULL, NULL, NULL, &w1, NULL), 0);
    if (!pub || !w1) return;
    CHECK_EQ_INT(cpe_bus_consume(w1, stream, "g", "w1", 300, on_job, &slow, NULL), 0);
    usleep(200000);
    CHECK_EQ_INT(cpe_bus_xadd(pub, stream, "long", 4), 0);
    CHECK_EQ_INT(seen_count(&slow, 1), 1); /* w1 runs it now, for 1.5 s */
    CHECK_EQ_INT(cpe_bus_open(url, NULL, NULL, NULL, &w2, NULL), 0);
    if (!w2) return;
    CHECK_EQ_INT(cpe_bus_consume(w2, stream, "g", "w2", 300, on_job, &other, NULL), 0);
    usleep(1800000); /* w1 done and acknowledged; w2 polled it all along */
    pthread_mutex_lock(&other.mu);
    CHECK_EQ_INT(other.n, 0);
    pthread_mutex_unlock(&other.mu);
    cpe_bus_stats_t st;
    cpe_bus_get_stats(w1, &st);
    CHECK_EQ_INT((int)st.jobs_done, 1);
    CHECK(st.claim_renewals >= 3);
    cpe_bus_close(w2);
    cpe_bus_close(w1);
    cpe_bus_close(pub);
}

/* A running job watches a key (a cancel asked on another node): it sees the value set
 * through another bus within a fraction of a second, once, and a key set before the job
 * started is seen at once. */
typedef struct watcher {
    cpe_bus_t *bus;
    const char *key;
    pthread_mutex_t mu;
    int started, seen, watch_rc;
    char value[32];
    int64_t seen_ms;
} watcher_t;

static void on_seen(void *ctx, const char *value)
{
    watcher_t *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->seen++;
    w->seen_ms = cpe_now_ms();
    snprintf(w->value, sizeof w->value, "%s", value);
    pthread_mutex_unlock(&w->mu);
}

static int on_watching_job(void *ctx, const char *id, const char *payload, size_t len)
{
    (void)id, (void)payload, (void)len;
    watcher_t *w = ctx;
    int rc = cpe_bus_job_watch(w->bus, w->key, on_seen, w);
    pthread_mutex_lock(&w->mu);
    w->watch_rc = rc;
    w->started = 1;
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < 150; i++) { /* a job of up to 3 s that stops when told */
        pthread_mutex_lock(&w->mu);
        int s = w->seen;
        pthread_mutex_unlock(&w->mu);
        if (s) break;
        usleep(20000);
    }
    usleep(300000); /* still running: the callback must not come again */
    int stop_rc = cpe_bus_job_watch(w->bus, "", NULL, NULL); /* before w could go away */
    pthread_mutex_lock(&w->mu);
    if (stop_rc) w->watch_rc = stop_rc;
    pthread_mutex_unlock(&w->mu);
    return 0;
}

static int watcher_get(watcher_t *w, int what)
{
    pthread_mutex_lock(&w->mu);
    int v = what ? w->seen : w->started;
    pthread_mutex_unlock(&w->mu);
    return v;
}

static void test_bus_job_sees_its_watched_key(const char *url)
{
    char stream[64], key[64], key2[64];
    int64_t t = cpe_now_ms();
    snprintf(stream, sizeof stream, "t:watch:%d:%lld", (int)getpid(), (long long)t);
    snprintf(key, sizeof key, "t:cancel:%d:%lld:1", (int)getpid(), (long long)t);
    snprintf(key2, sizeof key2, "t:cancel:%d:%lld:2", (int)getpid(), (long long)t);
    cpe_bus_t *pub = NULL, *wb = NULL;
    CHECK_EQ_INT(cpe_bus_open(url, NULL, NULL, NULL, &pub, NULL), 0);
    CHECK_EQ_INT(cpe_bus_open(url, NULL, NULL, NULL, &wb, NULL), 0);
    if (!pub || !wb) return;
    CHECK_EQ_INT(cpe_bus_job_watch(wb, key, on_seen, NULL), CPE_EINVAL); /* not in a handler */
    CHECK_EQ_INT(cpe_bus_set(pub, key, "x", 0), CPE_EINVAL);
    watcher_t w = {.bus = wb, .key = key, .mu = PTHREAD_MUTEX_INITIALIZER};
    CHECK_EQ_INT(cpe_bus_consume(wb, stream, "g", "w", 60000, on_watching_job, &w, NULL), 0);
    usleep(200000);
    CHECK_EQ_INT(cpe_bus_xadd(pub, stream, "job", 3), 0);
    for (int i = 0; i < 250 && !watcher_get(&w, 0); i++)
        usleep(20000);
    CHECK(watcher_get(&w, 0));
    CHECK_EQ_INT(w.watch_rc, 0);
    usleep(300000); /* the key is absent meanwhile: nothing seen */
    CHECK_EQ_INT(watcher_get(&w, 1), 0);
    int64_t t_set = cpe_now_ms();
    CHECK_EQ_INT(cpe_bus_set(pub, key, "1796000000000", 60000), 0);
    for (int i = 0; i < 150 && !watcher_get(&w, 1); i++)
        usleep(10000);
    usleep(400000); /* the handler's tail: no second report */
    pthread_mutex_lock(&w.mu);
    CHECK_EQ_INT(w.seen, 1);
    CHECK_STR(w.value, "1796000000000");
    int64_t lag = w.seen_ms - t_set;
    pthread_mutex_unlock(&w.mu);
    CHECK(lag >= 0 && lag < 1000); /* every CPE_BUS_WATCH_MS; generous under load */
    /* a key set before the next job starts (a job cancelled while queued) */
    CHECK_EQ_INT(cpe_bus_set(pub, key2, "early", 60000), 0);
    usleep(200000);
    pthread_mutex_lock(&w.mu);
    w.key = key2; /* the same consumer runs the next entry with the same handler */
    w.seen = 0;
    w.started = 0;
    w.value[0] = 0;
    pthread_mutex_unlock(&w.mu);
    CHECK_EQ_INT(cpe_bus_xadd(pub, stream, "job2", 4), 0);
    for (int i = 0; i < 250 && !watcher_get(&w, 1); i++)
        usleep(20000);
    usleep(400000); /* the handler's tail, and its "stop watching" */
    pthread_mutex_lock(&w.mu);
    CHECK_EQ_INT(w.seen, 1);
    CHECK_STR(w.value, "early");
    CHECK_EQ_INT(w.watch_rc, 0);
    pthread_mutex_unlock(&w.mu);
    cpe_bus_close(wb);
    cpe_bus_close(pub);
}

#ifdef CPE_TEST_HAVE_HIREDIS
#include <hiredis/hiredis.h>

typedef struct standby {
    const char *url;
    volatile sig_atomic_t stop;
    cpe_lease_t *l;
    int rc;
    int64_t got_ms;
} standby_t;

static void *standby_run(void *arg)
{
    standby_t *s = arg;
    s->rc = cpe_lease_acquire(s->url, "cpe:test:lease", "node-b", 600, &s->stop, NULL, NULL, &s->l,
                              NULL);
    s->got_ms = cpe_now_ms();
    return NULL;
}

static atomic_int lost_calls;
static void on_lost(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&lost_calls, 1);
}

static void test_lease_one_holder_standby_takes_over(const char *url)
{
    volatile sig_atomic_t stop = 0;
    cpe_lease_t *a = NULL;
    CHECK_EQ_INT(
        cpe_lease_acquire(url, "cpe:test:lease", "node-a", 600, &stop, on_lost, NULL, &a, NULL), 0);
    CHECK(cpe_lease_held(a));
    standby_t b = {.url = url};
    pthread_t th;
    pthread_create(&th, NULL, standby_run, &b);
    usleep(1500 * 1000); /* 2.5 ttl: a's renewals keep b waiting */
    CHECK(b.got_ms == 0);
    CHECK(cpe_lease_held(a));
    int64_t t0 = cpe_now_ms();
    cpe_lease_release(a); /* deletes the key: b takes it at its next poll */
    pthread_join(th, NULL);
    CHECK_EQ_INT(b.rc, 0);
    CHECK(b.got_ms - t0 < 2000);
    CHECK(cpe_lease_held(b.l));

    /* a standby that is stopped gives up */
    volatile sig_atomic_t stopped = 1;
    cpe_lease_t *c = NULL;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(
        cpe_lease_acquire(url, "cpe:test:lease", "node-c", 600, &stopped, NULL, NULL, &c, &d),
        CPE_ECANCELED);
    CHECK(c == NULL && d.msg[0]);
    cpe_lease_release(b.l);
    CHECK_EQ_INT(cpe_lease_acquire(url, "k", "o", 100, &stop, NULL, NULL, &c, &d), CPE_EINVAL);
}

static void test_lease_lost_to_another_owner(const char *url)
{
    volatile sig_atomic_t stop = 0;
    cpe_lease_t *a = NULL;
    atomic_store(&lost_calls, 0);
    CHECK_EQ_INT(
        cpe_lease_acquire(url, "cpe:test:lease2", "node-a", 600, &stop, on_lost, NULL, &a, NULL),
        0);
    char host[64];
    int port;
    CHECK_EQ_INT(cpe_bus_parse_url(url, host, sizeof host, &port, NULL), 0);
    redisContext *c = redisConnect(host, port);
    CHECK(c && !c->err);
    /* the key emptied (a Redis restart): the holder takes it again */
    freeReplyObject(redisCommand(c, "DEL cpe:test:lease2"));
    usleep(500 * 1000);
    redisReply *r = redisCommand(c, "GET cpe:test:lease2");
    CHECK(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "node-a"));
    freeReplyObject(r);
    CHECK(cpe_lease_held(a) && atomic_load(&lost_calls) == 0);
    /* another owner in it (this node was cut off and replaced): lost, once */
    freeReplyObject(redisCommand(c, "SET cpe:test:lease2 node-z PX 5000"));
    usleep(500 * 1000);
    CHECK(!cpe_lease_held(a));
    CHECK_EQ_INT(atomic_load(&lost_calls), 1);
    cpe_lease_release(a); /* not ours: the key stays node-z's */
    r = redisCommand(c, "GET cpe:test:lease2");
    CHECK(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "node-z"));
    freeReplyObject(r);
    redisFree(c);
}
#endif

int main(void)
{
    RUN(test_bus_url_parse);
#ifdef CPE_TEST_HAVE_HIREDIS
    RUN(test_bus_unreachable_redis_queues_bounded_without_blocking);
    const char *f = getenv("CPE_TEST_REDIS_URL_FILE");
    if (f && *f) {
        char url[256] = "";
        FILE *fp = fopen(f, "r");
        if (!fp || !fgets(url, sizeof url, fp)) {
            fprintf(stderr, "CPE_TEST_REDIS_URL_FILE=%s: no URL (did redis_tmp.sh fail?)\n", f);
            if (fp) fclose(fp);
            return 1;
        }
        fclose(fp);
        url[strcspn(url, "\n")] = 0;
        void (*const with_url[])(const char *) = {test_bus_round_trip_in_order,
                                                  test_bus_stream_jobs_in_order_and_reclaimed,
                                                  test_bus_long_job_keeps_its_claim,
                                                  test_bus_job_sees_its_watched_key,
                                                  test_lease_one_holder_standby_takes_over,
                                                  test_lease_lost_to_another_owner};
        const char *names[] = {"test_bus_round_trip_in_order",
                               "test_bus_stream_jobs_in_order_and_reclaimed",
                               "test_bus_long_job_keeps_its_claim",
                               "test_bus_job_sees_its_watched_key",
                               "test_lease_one_holder_standby_takes_over",
                               "test_lease_lost_to_another_owner"};
        for (int i = 0; i < 6; i++) {
            t_cur_name = names[i];
            t_cur_failed = 0;
            with_url[i](url);
            if (t_cur_failed)
                t_failed++, fprintf(stderr, "FAIL %s\n", t_cur_name);
            else
                t_passed++, printf("ok   %s\n", t_cur_name);
        }
    }
#endif
    return TEST_DONE();
}
