/* onchain_poll.c — the on-chain connectors polled inside `cpe serve` (onchain_poll.h). */
#include "api/onchain_poll.h"
#include "api/server.h"
#include "cpe/log.h"
#include "cpe/onchain.h"
#include "cpe/timeutil.h"
#include "cpe/universe.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOOKBACK_INTERVALS                                                                         \
    3 /* each poll asks for the last 3 intervals (resume skips the known)                          \
       */
#define MAX_DELAY_MS CPE_MS_PER_HOUR

typedef struct src_state {
    int on;
    long polls, failures;
    int streak; /* failures in a row */
    int64_t last_ms, next_ms, points;
    char error[256];
} src_state_t;

struct cpe_onchain_poll {
    cpe_api_t *api;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int64_t every_ms;
    double per_min; /* request budget per source and minute (0: the table's) */
    src_state_t src[CPE_OC_NSOURCES];
};

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    char *end;
    long x = v && *v ? strtol(v, &end, 10) : def;
    return v && *v && *end ? def : x;
}

/* The cockpit's flows panel reloads on this (each configured asset's market channel). */
static void announce(cpe_api_t *api, const char *source)
{
    for (size_t i = 0; i < cpe_asset_count(); i++) {
        const char *asset = cpe_asset_at(i)->asset;
        char j[160];
        int n = snprintf(j, sizeof j,
                         "{\"type\":\"market\",\"asset\":\"%s\",\"flows_updated\":true,"
                         "\"source\":\"%s\"}",
                         asset, source);
        cpe_wsmsg_t *m = n > 0 && n < (int)sizeof j
                             ? cpe_wsmsg_new(WS_CH_MARKET, asset, "", 0, j, (size_t)n)
                             : NULL;
        if (m) cpe_api_inbox_push(api, m);
    }
}

/* One poll of source i; its state updated under the mutex. */
static void poll_one(cpe_onchain_poll_t *p, cpe_store_t *st, int i)
{
    const char *assets[CPE_ASSETS_MAX + 1];
    size_t na = cpe_asset_count() < CPE_ASSETS_MAX ? cpe_asset_count() : CPE_ASSETS_MAX;
    for (size_t k = 0; k < na; k++)
        assets[k] = cpe_asset_at(k)->asset;
    assets[na] = NULL;
    cpe_onchain_opts_t o;
    cpe_onchain_opts_init(&o);
    int64_t now = cpe_now_ms(), iv = CPE_MS_PER_DAY;
    for (size_t k = 0; k < cpe_onchain_metric_count(); k++)
        if (cpe_onchain_metric_at(k)->source == i) iv = cpe_onchain_metric_at(k)->interval_ms;
    o.from_ms = now - LOOKBACK_INTERVALS * iv;
    o.to_ms = now;
    o.sources = 1u << i;
    o.assets = assets;
    o.attempts = 2;
    o.max_wait_ms = 30000;
    o.timeout_ms = 10000;
    o.per_min = p->per_min;
    cpe_onchain_report_t rep;
    cpe_diag_t d = {0};
    int rc = cpe_onchain_fetch(st, &o, &rep, &d);
    int64_t points = 0;
    for (size_t r = 0; r < rep.nrows; r++)
        points += rep.row[r].inserted + rep.row[r].updated;
    const char *name = cpe_onchain_source(i)->name;
    pthread_mutex_lock(&p->mu);
    src_state_t *s = &p->src[i];
    s->polls++;
    s->last_ms = now;
    s->points += points;
    int64_t delay = p->every_ms;
    if (rc) {
        s->failures++;
        s->streak++;
        for (int k = 0; k < s->streak && delay < MAX_DELAY_MS; k++)
            delay *= 2;
        if (delay > MAX_DELAY_MS) delay = MAX_DELAY_MS;
        snprintf(s->error, sizeof s->error, "%.255s", d.msg);
    } else {
        s->streak = 0;
        s->error[0] = 0;
    }
    s->next_ms = cpe_now_ms() + delay;
    pthread_mutex_unlock(&p->mu);
    if (rc)
        cpe_warn("onchain poll: %s: %s (next try in %lld s)", name, d.msg,
                 (long long)(delay / 1000));
    if (points > 0) announce(p->api, name);
}

static void *run(void *arg)
{
    cpe_onchain_poll_t *p = arg;
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(p->api->cfg.db, &st, &d)) {
        cpe_warn("onchain poll: cannot open the store: %s", d.msg);
        return NULL;
    }
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        int64_t now = cpe_now_ms(), wake = now + 1000;
        int due = -1;
        for (int i = 0; i < CPE_OC_NSOURCES; i++) {
            if (!p->src[i].on) continue;
            if (p->src[i].next_ms <= now && due < 0) due = i;
            if (p->src[i].next_ms < wake) wake = p->src[i].next_ms;
        }
        if (due >= 0) {
            pthread_mutex_unlock(&p->mu);
            poll_one(p, st, due);
            pthread_mutex_lock(&p->mu);
            continue;
        }
        struct timespec ts = cpe_realtime_after_ms(wake - now);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    pthread_mutex_unlock(&p->mu);
    cpe_store_close(st);
    return NULL;
}

int cpe_onchain_poll_start(cpe_api_t *api, cpe_onchain_poll_t **out, cpe_diag_t *d)
{
    *out = NULL;
    long mode = env_long("CPE_ONCHAIN_POLL", -1); /* -1: when a source is configured */
    if (mode == 0) return 0;
    cpe_onchain_poll_t *p = calloc(1, sizeof *p);
    if (!p) return cpe_diag_set(d, CPE_ENOMEM, "onchain poll: out of memory");
    p->api = api;
    p->every_ms = env_long("CPE_ONCHAIN_POLL_S", 300) * 1000;
    if (p->every_ms < 1000) p->every_ms = 1000;
    p->per_min = (double)env_long("CPE_ONCHAIN_PER_MIN", 0);
    int n = 0;
    for (int i = 0; i < CPE_OC_NSOURCES; i++) {
        const cpe_onchain_source_t *s = cpe_onchain_source(i);
        const char *base = s->base_env ? getenv(s->base_env) : NULL;
        /* a keyless source (DefiLlama) only when asked for: its base set, or polling forced */
        int on = s->key_env ? cpe_onchain_key(i) != NULL : (mode == 1 || (base && *base));
        p->src[i].on = on;
        n += on;
    }
    if (!n) {
        free(p);
        return 0;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->th, NULL, run, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
        return cpe_diag_set(d, CPE_EINTERNAL, "onchain poll: cannot start its thread");
    }
    cpe_info("serve: polling %d on-chain source(s) every %lld s", n,
             (long long)(p->every_ms / 1000));
    *out = p;
    return 0;
}

void cpe_onchain_poll_stop(cpe_onchain_poll_t *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

void cpe_onchain_poll_write_health(cpe_onchain_poll_t *p, cpe_jw_t *w)
{
    if (!p) {
        cpe_jw_null(w);
        return;
    }
    pthread_mutex_lock(&p->mu);
    cpe_jw_obj(w);
    cpe_jw_kint(w, "every_s", p->every_ms / 1000);
    cpe_jw_key(w, "sources");
    cpe_jw_arr(w);
    for (int i = 0; i < CPE_OC_NSOURCES; i++) {
        const src_state_t *s = &p->src[i];
        if (!s->on) continue;
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "source", cpe_onchain_source(i)->name);
        cpe_jw_kint(w, "polls", s->polls);
        cpe_jw_kint(w, "failures", s->failures);
        cpe_jw_kint(w, "points", s->points);
        if (s->last_ms) cpe_jw_kint(w, "last_poll_ms", s->last_ms);
        cpe_jw_kint(w, "next_poll_ms", s->next_ms);
        if (s->error[0]) cpe_jw_kstr(w, "error", s->error);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_end(w);
    pthread_mutex_unlock(&p->mu);
}
