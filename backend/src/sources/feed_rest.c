/*
 * feed_rest.c — the live feed's REST thread: DNS look-ups for the stream thread and
 * backfill requests, one at a time, with blocking libcurl calls that never touch the
 * event loop.
 *
 * Every exchange sits behind its own token bucket (its adapter's rest_per_min); rate
 * headers tighten it (a window with nothing left blocks until its reset) and 418/429
 * block it for Retry-After (60 s when absent). A failed request (network, 5xx,
 * malformed body) is retried with backoff up to 4 times, then handed to the next
 * exchange in the fallback order; after the last one a new round starts at the first, with
 * a longer wait each round, until it succeeds or leaves the backfill window. Kline
 * backfills page forward until the range is covered.
 */
#include "sources/feed_int.h"
#include "sources/exjson.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <curl/curl.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

int feed_job_push(struct cpe_feed *f, const feed_job_t *j)
{
    pthread_mutex_lock(&f->jmu);
    int rc = 0;
    if (f->njobs >= FEED_MAX_JOBS)
        rc = CPE_ETOOBIG;
    else
        f->jobs[f->njobs++] = *j;
    pthread_cond_signal(&f->jcond);
    pthread_mutex_unlock(&f->jmu);
    return rc;
}

int cpe_feed_pending(cpe_feed_t *f)
{
    pthread_mutex_lock(&f->jmu);
    int n = f->njobs + f->job_running;
    pthread_mutex_unlock(&f->jmu);
    return n;
}

/* Take the first job that is due; 0 when one was taken, else the ms until one is due
 * (or -1 when there are none). */
static int64_t job_pop(struct cpe_feed *f, feed_job_t *out, int64_t now)
{
    int64_t next = -1;
    for (int i = 0; i < f->njobs; i++) {
        /* DNS first: a connection waits on it */
        if (f->jobs[i].resolve || f->jobs[i].not_before_ms <= now) {
            *out = f->jobs[i];
            memmove(&f->jobs[i], &f->jobs[i + 1], (size_t)(f->njobs - i - 1) * sizeof *f->jobs);
            f->njobs--;
            return 0;
        }
        int64_t w = f->jobs[i].not_before_ms - now;
        if (next < 0 || w < next) next = w;
    }
    return next;
}

static void resolve(struct cpe_feed *f, const feed_job_t *j)
{
    feed_conn_t *c = &f->conns[j->conn];
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    char addr[64] = "";
    int rc = getaddrinfo(c->host, NULL, &hints, &res);
    if (rc == 0 && res) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr, sizeof addr);
        freeaddrinfo(res);
    }
    pthread_mutex_lock(&f->mu);
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    c->resolve_failed = addr[0] == 0;
    c->state = C_RESOLVED;
    pthread_mutex_unlock(&f->mu);
    feed_ws_wake(f);
}

typedef struct backfill_sink {
    struct cpe_feed *f;
    int prov;
    int64_t newest, oldest;
    size_t n;
} backfill_sink_t;

static int rest_sink(void *ctx, const cpe_market_event_t *ev)
{
    backfill_sink_t *b = ctx;
    cpe_market_event_t e = *ev;
    pthread_mutex_lock(&b->f->mu);
    feed_deliver(b->f, b->prov, 1, &e, cpe_now_ms());
    pthread_mutex_unlock(&b->f->mu);
    if (e.kind == CPE_DK_KLINE && e.kline.ts_ms > b->newest) b->newest = e.kline.ts_ms;
    if (e.kind == CPE_DK_KLINE && (!b->oldest || e.kline.ts_ms < b->oldest))
        b->oldest = e.kline.ts_ms;
    b->n++;
    return 0;
}

/* A failed request: again on the same exchange with backoff, up to 4 times, then on the
 * next one in the fallback order; when every exchange has failed, a new round starts at
 * the first after a longer wait. A hole is never forgotten while it is in the window. */
static void retry(struct cpe_feed *f, feed_job_t j, int64_t now, const char *why)
{
    const int64_t base = f->cfg.backoff_base_ms, cap = f->cfg.backoff_cap_ms;
    int64_t wait;
    if (++j.attempt <= 4) {
        wait = cpe_backoff_ms(j.attempt, base, cap, &f->rng);
    } else if (j.prov + 1 < FEED_NPROV) {
        j.prov++, j.attempt = 0; /* hand it to the next exchange */
        wait = cpe_backoff_ms(0, base, cap, &f->rng);
    } else if (j.kind == CPE_DK_KLINE && j.to_ms <= now - f->cfg.backfill_max_ms) {
        cpe_warn("feed: backfill of %s from %lld dropped: it left the %lld h window (%s)",
                 f->cfg.symbols[j.sym], (long long)j.from_ms,
                 (long long)(f->cfg.backfill_max_ms / CPE_MS_PER_HOUR), why);
        return;
    } else {
        j.prov = 0, j.attempt = 0, j.round++;
        wait = cpe_backoff_ms(j.round, 4 * base, 10 * cap, &f->rng);
        cpe_warn("feed: backfill of %s from %lld failed on every exchange (%s); round %d in "
                 "%lld ms",
                 f->cfg.symbols[j.sym], (long long)j.from_ms, why, j.round + 1, (long long)wait);
    }
    j.not_before_ms = now + wait;
    if (feed_job_push(f, &j))
        cpe_warn("feed: backfill queue full; %s from %lld waits for the next sweep",
                 f->cfg.symbols[j.sym], (long long)j.from_ms);
}

static void fetch(struct cpe_feed *f, CURL *h, feed_job_t j)
{
    const cpe_exchange_t *ex = feed_provider(j.prov);
    int64_t now = cpe_now_ms();
    int64_t wait = cpe_tb_take(&f->tb[j.prov], now);
    if (wait > 0) { /* over budget: try later, never burst past the limit */
        j.not_before_ms = now + wait;
        feed_job_push(f, &j);
        return;
    }
    char path[1024], url[1400];
    const char *sym = f->cfg.symbols[j.sym];
    if (ex->rest_path(j.kind, j.m, sym, j.from_ms, j.to_ms, path, sizeof path)) {
        retry(f,
              (feed_job_t){.prov = j.prov,
                           .sym = j.sym,
                           .kind = j.kind,
                           .m = j.m,
                           .from_ms = j.from_ms,
                           .to_ms = j.to_ms,
                           .attempt = 4},
              now, "no such endpoint");
        return;
    }
    snprintf(url, sizeof url, "%s%s", cpe_exchange_base(ex, 0, j.m), path);
    exj_resp_t r = {.ex = ex};
    cpe_buf_init(&r.body, 32u << 20);
    cpe_rate_info_init(&r.ri);
    exj_curl_prepare(h, url, &r, (long)f->cfg.rest_timeout_ms);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    now = cpe_now_ms();
    double left = cpe_rate_info_left(&r.ri);
    if (!isnan(left) && left <= 1)
        cpe_tb_block_until(&f->tb[j.prov],
                           r.ri.reset_ms > now ? r.ri.reset_ms : cpe_floor_ms(now, 60000) + 60000);
    if (cc != CURLE_OK || status >= 500 || status == 0) {
        pthread_mutex_lock(&f->mu);
        f->st.rest_errors++;
        pthread_mutex_unlock(&f->mu);
        retry(f, j, now, cc != CURLE_OK ? curl_easy_strerror(cc) : "server error");
    } else if (status == 429 || status == 418) {
        pthread_mutex_lock(&f->mu);
        f->st.rate_limited++;
        pthread_mutex_unlock(&f->mu);
        cpe_tb_block_until(&f->tb[j.prov],
                           now + (r.ri.retry_after_ms > 0 ? r.ri.retry_after_ms : 60000));
        j.not_before_ms = 0;
        feed_job_push(f, &j); /* the bucket holds it back */
    } else if (status != 200) {
        pthread_mutex_lock(&f->mu);
        f->st.rest_errors++;
        pthread_mutex_unlock(&f->mu);
        retry(f, j, now, "client error");
    } else {
        backfill_sink_t b = {.f = f, .prov = j.prov};
        cpe_diag_t d = {0};
        if (ex->parse_rest(j.kind, j.m, sym, r.body.data ? r.body.data : "", r.body.len, rest_sink,
                           &b, &d)) {
            pthread_mutex_lock(&f->mu);
            f->st.malformed++;
            pthread_mutex_unlock(&f->mu);
            retry(f, j, now, d.msg);
        } else if (j.kind == CPE_DK_KLINE && b.n >= (size_t)ex->kline_page) {
            /* A full page: page on, forward when the exchange returns the oldest rows of the
             * range first (Binance), backward when it returns the newest (Bybit, OKX). Each
             * page strictly shrinks the range, so this ends. */
            j.attempt = 0;
            j.not_before_ms = 0;
            if (b.newest + CPE_MS_PER_MIN < j.to_ms) {
                j.from_ms = b.newest + CPE_MS_PER_MIN;
                feed_job_push(f, &j);
            } else if (b.oldest > j.from_ms) {
                j.to_ms = b.oldest;
                feed_job_push(f, &j);
            }
        }
    }
    cpe_buf_free(&r.body);
}

void *feed_rest_main(void *arg)
{
    struct cpe_feed *f = arg;
    CURL *h = curl_easy_init();
    for (;;) {
        feed_job_t j = {0};
        pthread_mutex_lock(&f->jmu);
        int64_t wait;
        for (;;) {
            pthread_mutex_lock(&f->mu);
            int stop = f->stop;
            pthread_mutex_unlock(&f->mu);
            if (stop) {
                pthread_mutex_unlock(&f->jmu);
                goto out;
            }
            wait = job_pop(f, &j, cpe_now_ms());
            if (wait == 0) {
                f->job_running = 1;
                break;
            }
            struct timespec ts = cpe_realtime_after_ms(wait < 0 || wait > 200 ? 200 : wait);
            pthread_cond_timedwait(&f->jcond, &f->jmu, &ts);
        }
        pthread_mutex_unlock(&f->jmu);
        if (j.resolve)
            resolve(f, &j);
        else if (h)
            fetch(f, h, j);
        pthread_mutex_lock(&f->jmu);
        f->job_running = 0;
        pthread_mutex_unlock(&f->jmu);
    }
out:
    if (h) curl_easy_cleanup(h);
    return NULL;
}
