/* calcache.c — the cone's coverage for /health and /metrics on its own thread (calcache.h). */
#include "api/calcache.h"
#include "api/http.h"
#include "cpe/universe.h"
#include "cpe/log.h"
#include "cpe/market.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_ASSETS CPE_ASSETS_MAX
#define NH CPE_NHORIZONS
#define WINDOW_DAYS 30

typedef struct cov_pair {
    int have;
    cpe_calrep_cov_t short_w, long_w;
} cov_pair_t;

typedef struct asset_cov {
    char symbol[32];
    cov_pair_t h[NH];
} asset_cov_t;

struct cpe_calcache {
    char db[512];
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, nassets;
    asset_cov_t a[MAX_ASSETS];
};

/* One pass over the assets; each asset's figures replace the old ones when complete. */
static void refresh(cpe_calcache_t *c, cpe_store_t *st)
{
    for (int i = 0; i < c->nassets; i++) {
        cpe_calib_report_t r[NH];
        cpe_diag_t d = {0};
        int rc = cpe_calib_report_build(st, c->a[i].symbol, cpe_horizons_h, NH, cpe_now_ms(),
                                        WINDOW_DAYS, r, &d);
        if (rc && rc != CPE_ENOTFOUND) cpe_warn("calibration: %s: %s", c->a[i].symbol, d.msg);
        pthread_mutex_lock(&c->mu);
        for (int h = 0; h < NH; h++)
            c->a[i].h[h] = rc ? (cov_pair_t){0} : (cov_pair_t){1, r[h].cov_short, r[h].cov_window};
        int stop = c->stop;
        pthread_mutex_unlock(&c->mu);
        if (stop) return;
    }
}

static void *thread_main(void *arg)
{
    cpe_calcache_t *c = arg;
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10))
        cpe_warn("calibration: cannot lower the thread's priority: %s", strerror(errno));
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        pthread_mutex_unlock(&c->mu);
        cpe_store_t *st = NULL;
        cpe_diag_t d = {0};
        if (cpe_store_open(c->db, &st, &d) == 0)
            refresh(c, st);
        else
            cpe_warn("calibration: cannot open the store: %s", d.msg);
        cpe_store_close(st);
        pthread_mutex_lock(&c->mu);
        int64_t next = cpe_now_ms() + CPE_CALCACHE_REFRESH_MS;
        while (!c->stop && cpe_now_ms() < next) {
            struct timespec ts = {.tv_sec = (time_t)(next / 1000),
                                  .tv_nsec = (long)(next % 1000) * 1000000L};
            pthread_cond_timedwait(&c->cv, &c->mu, &ts); /* CLOCK_REALTIME: wall-clock time */
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int cpe_calcache_start(const char *db, cpe_calcache_t **out, cpe_diag_t *d)
{
    *out = NULL;
    cpe_calcache_t *c = calloc(1, sizeof *c);
    if (!c) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    snprintf(c->db, sizeof c->db, "%s", db);
    for (size_t i = 0; i < cpe_asset_count() && i < MAX_ASSETS; i++)
        snprintf(c->a[c->nassets++].symbol, sizeof c->a[0].symbol, "%s", cpe_asset_at(i)->symbol);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->th, NULL, thread_main, c)) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return cpe_diag_set(d, CPE_ENOMEM, "calibration: cannot start the thread");
    }
    *out = c;
    return 0;
}

void cpe_calcache_stop(cpe_calcache_t *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->th, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* A copy of the table (so nothing is printed under the lock). */
static int snapshot(cpe_calcache_t *c, asset_cov_t *a)
{
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    int n = c->nassets;
    memcpy(a, c->a, (size_t)n * sizeof *a);
    pthread_mutex_unlock(&c->mu);
    return n;
}

void cpe_calcache_write_health(cpe_calcache_t *c, cpe_jw_t *w, const char *symbol)
{
    asset_cov_t a[MAX_ASSETS];
    int n = snapshot(c, a), i = 0;
    while (i < n && strcmp(a[i].symbol, symbol))
        i++;
    if (i == n || !a[i].h[0].have) return;
    cpe_jw_key(w, "calibration");
    cpe_jw_arr(w);
    for (int h = 0; h < NH; h++) {
        cpe_jw_obj(w);
        cpe_jw_kint(w, "horizon_hours", cpe_horizons_h[h]);
        cpe_calrep_cov_json(w, "coverage_7d", 0, &a[i].h[h].short_w);
        cpe_calrep_cov_json(w, "coverage_30d", 0, &a[i].h[h].long_w);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
}

static int gauge(cpe_buf_t *b, const char *sym, int h, const char *band, const char *win, double v)
{
    char t[40];
    cpe_fmt_double(t, v, "NaN");
    return cpe_buf_printf(b,
                          "cpe_cone_coverage{symbol=\"%s\",horizon=\"%d\",band=\"%s\","
                          "window=\"%s\"} %s\n",
                          sym, h, band, win, t);
}

int cpe_calcache_write_metrics(cpe_calcache_t *c, cpe_buf_t *b)
{
    asset_cov_t a[MAX_ASSETS];
    int n = snapshot(c, a), rc = 0;
    rc |= cpe_buf_puts(b, "# HELP cpe_cone_coverage Share of resolved predictions whose outcome "
                          "fell inside the cone band (targets: 1sigma 0.683, 2sigma 0.954).\n"
                          "# TYPE cpe_cone_coverage gauge\n");
    for (int i = 0; i < n; i++)
        for (int h = 0; h < NH; h++) {
            const cov_pair_t *p = &a[i].h[h];
            if (!p->have) continue;
            int hh = cpe_horizons_h[h];
            rc |= gauge(b, a[i].symbol, hh, "1sigma", "7d", p->short_w.cov1);
            rc |= gauge(b, a[i].symbol, hh, "2sigma", "7d", p->short_w.cov2);
            rc |= gauge(b, a[i].symbol, hh, "1sigma", "30d", p->long_w.cov1);
            rc |= gauge(b, a[i].symbol, hh, "2sigma", "30d", p->long_w.cov2);
        }
    rc |= cpe_buf_puts(b, "# HELP cpe_cone_coverage_count Resolved predictions behind "
                          "cpe_cone_coverage.\n# TYPE cpe_cone_coverage_count gauge\n");
    for (int i = 0; i < n; i++)
        for (int h = 0; h < NH; h++) {
            const cov_pair_t *p = &a[i].h[h];
            if (!p->have) continue;
            rc |= cpe_buf_printf(b,
                                 "cpe_cone_coverage_count{symbol=\"%s\",horizon=\"%d\","
                                 "window=\"7d\"} %lld\n",
                                 a[i].symbol, cpe_horizons_h[h], (long long)p->short_w.n);
            rc |= cpe_buf_printf(b,
                                 "cpe_cone_coverage_count{symbol=\"%s\",horizon=\"%d\","
                                 "window=\"30d\"} %lld\n",
                                 a[i].symbol, cpe_horizons_h[h], (long long)p->long_w.n);
        }
    return rc ? CPE_ENOMEM : 0;
}
