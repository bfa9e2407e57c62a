/* retrain.c — the retraining schedule of `cpe serve` (retrain.h). */
#include "api/retrain.h"
#include "cpe/live.h"
#include "cpe/log.h"
#include "cpe/market.h"
#include "cpe/mldata.h"
#include "cpe/registry.h"
#include "cpe/timeutil.h"
#include "cpe/trainer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sym_status {
    char symbol[32];
    const char *result; /* NULL (not run yet), "ok", "failed", "skipped" */
    char version[CPE_VERSION_MAX];
    char message[256];
    int64_t at_ms, took_ms;
} sym_status_t;

struct cpe_retrain {
    cpe_api_config_t cfg;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, running, nsym;
    int64_t runs, last_run_ms, last_end_ms, next_run_ms;
    sym_status_t sym[CPE_LIVE_MAX_SYMBOLS];
};

int64_t cpe_retrain_next_daily(int64_t now_ms, int at_min)
{
    int64_t t = cpe_floor_ms(now_ms, CPE_MS_PER_DAY) + (int64_t)at_min * CPE_MS_PER_MIN;
    while (t <= now_ms)
        t += CPE_MS_PER_DAY;
    return t;
}

static int stopping(cpe_retrain_t *r)
{
    pthread_mutex_lock(&r->mu);
    int s = r->stop;
    pthread_mutex_unlock(&r->mu);
    return s;
}

static void set_status(cpe_retrain_t *r, int i, const char *result, const char *version,
                       const char *msg, int64_t at_ms, int64_t took_ms)
{
    pthread_mutex_lock(&r->mu);
    sym_status_t *s = &r->sym[i];
    s->result = result;
    snprintf(s->version, sizeof s->version, "%s", version);
    snprintf(s->message, sizeof s->message, "%.255s", msg);
    s->at_ms = at_ms;
    s->took_ms = took_ms;
    pthread_mutex_unlock(&r->mu);
}

/* Retrain one symbol on the store handle st; the status row says what happened. */
static void retrain_symbol(cpe_retrain_t *r, cpe_store_t *st, int i)
{
    const char *sym = r->sym[i].symbol;
    int64_t t0 = cpe_now_ms();
    cpe_diag_t d = {0};
    int64_t last;
    int rc = cpe_mldata_last_bar(st, sym, &last, &d);
    if (rc == CPE_ENOTFOUND) {
        set_status(r, i, "skipped", "", "no bars in the store", t0, 0);
        return;
    }
    cpe_train_config_t c;
    cpe_train_config_default(&c);
    c.models = r->cfg.models;
    c.champion = CPE_TRAIN_CHAMPION_ALWAYS;
    cpe_train_result_t res = {0};
    if (rc == 0) rc = cpe_trainer_run(st, sym, &c, &res, &d);
    int64_t took = cpe_now_ms() - t0;
    if (rc) {
        cpe_warn("retrain: %s failed after %.1f s, the champion stays: %s", sym, took / 1e3, d.msg);
        set_status(r, i, "failed", "", d.msg, t0, took);
    } else {
        char msg[256];
        snprintf(msg, sizeof msg, "%zu rows, %zu features%s, trained in %.1f s", res.n_rows,
                 res.n_features, res.simulated ? ", simulated data" : "", res.train_s);
        cpe_info("retrain: %s: new champion %s (%s)", sym, res.version, msg);
        set_status(r, i, "ok", res.version, msg, t0, took);
        /* a version a day adds up (~0.6 MB each): the oldest beyond CPE_MODELS_KEEP go */
        int gone = 0;
        cpe_registry_t reg;
        cpe_registry_init(&reg, r->cfg.models);
        if (r->cfg.models_keep > 0 &&
            cpe_registry_prune(&reg, sym, r->cfg.models_keep, &gone, &d) != 0)
            cpe_warn("retrain: %s: cannot prune old versions: %s", sym, d.msg);
        else if (gone > 0)
            cpe_info("retrain: %s: removed %d old versions (CPE_MODELS_KEEP=%d)", sym, gone,
                     r->cfg.models_keep);
    }
    cpe_train_result_free(&res);
}

static int has_champion(const cpe_retrain_t *r, int i)
{
    cpe_registry_t reg;
    cpe_registry_init(&reg, r->cfg.models);
    char v[CPE_VERSION_MAX];
    return cpe_registry_champion(&reg, r->sym[i].symbol, v) == 0;
}

/* Retrain every symbol, or (only_missing) those without a champion; 1 when a symbol is
 * still without one afterwards. */
static int run_all(cpe_retrain_t *r, int only_missing)
{
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    int rc = cpe_store_open(r->cfg.db, &st, &d);
    for (int i = 0; i < r->nsym && !stopping(r); i++) {
        if (only_missing && has_champion(r, i)) continue;
        if (rc) {
            cpe_warn("retrain: %s: cannot open the store: %s", r->sym[i].symbol, d.msg);
            set_status(r, i, "failed", "", d.msg, cpe_now_ms(), 0);
            continue;
        }
        retrain_symbol(r, st, i);
    }
    cpe_store_close(st);
    int missing = 0;
    for (int i = 0; i < r->nsym; i++)
        missing |= !has_champion(r, i);
    return missing;
}

static void *thread_main(void *arg)
{
    cpe_retrain_t *r = arg;
    pthread_mutex_lock(&r->mu);
    int64_t prev_end = cpe_now_ms();
    /* symbols without a champion: a first try soon after start, then hourly (daily mode) */
    int64_t next_missing = r->cfg.retrain_every_s == 0 && r->cfg.retrain_missing_s > 0
                               ? prev_end + (int64_t)r->cfg.retrain_missing_s * 1000
                               : INT64_MAX;
    while (!r->stop) {
        int64_t now = cpe_now_ms();
        int64_t next = r->cfg.retrain_every_s > 0
                           ? prev_end + (int64_t)r->cfg.retrain_every_s * 1000
                           : cpe_retrain_next_daily(now, r->cfg.retrain_at_min);
        int only_missing = next_missing < next;
        if (only_missing) next = next_missing;
        r->next_run_ms = next;
        while (!r->stop && cpe_now_ms() < next) {
            struct timespec ts = {.tv_sec = (time_t)(next / 1000),
                                  .tv_nsec = (long)(next % 1000) * 1000000L};
            pthread_cond_timedwait(&r->cv, &r->mu, &ts); /* CLOCK_REALTIME: wall-clock time */
        }
        if (r->stop) break;
        r->running = 1;
        r->last_run_ms = cpe_now_ms();
        pthread_mutex_unlock(&r->mu);
        int missing = run_all(r, only_missing);
        pthread_mutex_lock(&r->mu);
        if (next_missing != INT64_MAX)
            next_missing = missing ? cpe_now_ms() + CPE_MS_PER_HOUR : INT64_MAX;
        r->running = 0;
        r->runs++;
        r->last_end_ms = prev_end = cpe_now_ms();
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int cpe_retrain_start(const cpe_api_config_t *cfg, cpe_retrain_t **out, cpe_diag_t *d)
{
    *out = NULL;
    if (!cfg->retrain) return 0;
    cpe_retrain_t *r = calloc(1, sizeof *r);
    if (!r) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    r->cfg = *cfg;
    char tmp[sizeof cfg->symbols];
    snprintf(tmp, sizeof tmp, "%s", cfg->symbols);
    for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (!*t) continue;
        if (r->nsym >= CPE_LIVE_MAX_SYMBOLS) {
            free(r);
            return cpe_diag_set(d, CPE_EINVAL, "retrain: at most %d symbols", CPE_LIVE_MAX_SYMBOLS);
        }
        cpe_asset_to_symbol(t, r->sym[r->nsym++].symbol);
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->th, NULL, thread_main, r)) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return cpe_diag_set(d, CPE_ENOMEM, "retrain: cannot start the thread");
    }
    if (cfg->retrain_every_s > 0)
        cpe_info("retrain: every %d s (test schedule), %d symbols", cfg->retrain_every_s, r->nsym);
    else
        cpe_info("retrain: daily at %02d:%02d UTC, %d symbols", cfg->retrain_at_min / 60,
                 cfg->retrain_at_min % 60, r->nsym);
    *out = r;
    return 0;
}

void cpe_retrain_stop(cpe_retrain_t *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void kiso_or_null(cpe_jw_t *w, const char *k, int64_t t_ms)
{
    cpe_jw_key(w, k);
    if (t_ms <= 0) {
        cpe_jw_null(w);
        return;
    }
    char s[32];
    cpe_format_iso8601(t_ms, s);
    cpe_jw_str(w, s);
}

void cpe_retrain_write_health(cpe_retrain_t *r, cpe_jw_t *w)
{
    cpe_jw_obj(w);
    cpe_jw_kbool(w, "enabled", r != NULL);
    if (!r) {
        cpe_jw_end(w);
        return;
    }
    pthread_mutex_lock(&r->mu);
    char sched[64];
    if (r->cfg.retrain_every_s > 0)
        snprintf(sched, sizeof sched, "every %d s", r->cfg.retrain_every_s);
    else
        snprintf(sched, sizeof sched, "daily %02d:%02d UTC", r->cfg.retrain_at_min / 60,
                 r->cfg.retrain_at_min % 60);
    cpe_jw_kstr(w, "schedule", sched);
    cpe_jw_kbool(w, "running", r->running);
    cpe_jw_kint(w, "runs", r->runs);
    kiso_or_null(w, "last_run", r->last_run_ms);
    kiso_or_null(w, "last_run_end", r->last_end_ms);
    kiso_or_null(w, "next_run", r->running ? 0 : r->next_run_ms);
    cpe_jw_key(w, "symbols");
    cpe_jw_arr(w);
    for (int i = 0; i < r->nsym; i++) {
        const sym_status_t *s = &r->sym[i];
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "symbol", s->symbol);
        cpe_jw_key(w, "result");
        if (s->result)
            cpe_jw_str(w, s->result);
        else
            cpe_jw_null(w);
        cpe_jw_key(w, "version");
        if (s->version[0])
            cpe_jw_str(w, s->version);
        else
            cpe_jw_null(w);
        cpe_jw_kstr(w, "message", s->message);
        kiso_or_null(w, "at", s->at_ms);
        cpe_jw_kint(w, "took_ms", s->took_ms);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    pthread_mutex_unlock(&r->mu);
    cpe_jw_end(w);
}
