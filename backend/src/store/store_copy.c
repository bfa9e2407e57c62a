/* store_copy.c — store-to-store copy and content checksums (cpe/store_copy.h). Both walk
 * the same order: series by (instrument, kind), rows in time windows of WINDOW_DAYS. */
#include "cpe/store_copy.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define WINDOW_MS (32 * CPE_MS_PER_DAY) /* 46,080 1m bars (3.7 MB) per read */
#define RUN_PAGE 64                     /* saved runs listed per read (each then read whole) */

const char *const cpe_store_sum_names[CPE_SUM_COUNT] = {"series",      "klines", "points",
                                                        "predictions", "meta",   "runs"};

static void add(cpe_store_sum_t *s, const void *p, size_t n)
{
    s->crc = (uint32_t)crc32(s->crc, p, (uInt)n);
}

static void add_i64(cpe_store_sum_t *s, int64_t v)
{
    add(s, &v, 8);
}

static void add_f64(cpe_store_sum_t *s, double v)
{
    if (isnan(v)) v = NAN; /* one NaN */
    add(s, &v, 8);
}

static void add_str(cpe_store_sum_t *s, const char *t)
{
    if (t)
        add(s, t, strlen(t) + 1);
    else
        add(s, "\xff", 1); /* NULL differs from "" */
}

/* What to do with each window of one series' rows. */
typedef struct walk {
    cpe_store_t *src, *dst;
    int64_t dst_id;
    cpe_store_sums_t *sums; /* checksum mode when set */
} walk_t;

static int window(walk_t *w, const cpe_series_info_t *si, int64_t a, int64_t z)
{
    cpe_store_t *s = w->src;
    size_t n = 0;
    int rc;
    if (!strncmp(si->kind, "kline:", 6)) {
        cpe_kline_t *k = NULL;
        if ((rc = s->ops->get_klines(s, si->id, a, z, &k, &n)) == 0 && n) {
            if (w->sums) {
                w->sums->s[CPE_SUM_KLINES].rows += (int64_t)n;
                add(&w->sums->s[CPE_SUM_KLINES], k, n * sizeof *k);
            } else
                rc = w->dst->ops->put_klines(w->dst, w->dst_id, k, n, NULL);
        }
        free(k);
        return rc;
    }
    cpe_point_t *p = NULL;
    if ((rc = s->ops->get_points(s, si->id, a, z, &p, &n)) == 0 && n) {
        if (w->sums) {
            cpe_store_sum_t *c = &w->sums->s[CPE_SUM_POINTS];
            c->rows += (int64_t)n;
            for (size_t i = 0; i < n; i++) {
                add_i64(c, p[i].ts_ms);
                add_i64(c, p[i].seq);
                for (int j = 0; j < CPE_POINT_NV; j++)
                    add_f64(c, p[i].v[j]);
            }
        } else
            rc = w->dst->ops->put_points(w->dst, w->dst_id, p, n, NULL);
    }
    free(p);
    return rc;
}

/* Every series of w->src, window by window. */
static int walk_series(walk_t *w)
{
    cpe_series_info_t *v = NULL;
    size_t n = 0;
    int rc = w->src->ops->list_series(w->src, &v, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const cpe_series_info_t *si = &v[i];
        if (w->sums) {
            cpe_store_sum_t *c = &w->sums->s[CPE_SUM_SERIES];
            c->rows++;
            add_str(c, si->instrument);
            add_str(c, si->kind);
            add_i64(c, si->interval_ms);
            add_i64(c, si->simulated);
            add_i64(c, si->count);
            add_i64(c, si->count ? si->first_ts : 0);
            add_i64(c, si->count ? si->last_ts : 0);
        } else if ((rc = w->dst->ops->series_id(w->dst, si->instrument, si->kind, si->interval_ms,
                                                si->simulated, 1, &w->dst_id)) != 0)
            break;
        for (int64_t a = si->first_ts; rc == 0 && si->count && a <= si->last_ts; a += WINDOW_MS)
            rc = window(w, si, a, a + WINDOW_MS);
    }
    free(v);
    return rc;
}

static int sum_prediction(void *ctx, const cpe_prediction_t *p, const char *explain)
{
    cpe_store_sum_t *c = &((cpe_store_sums_t *)ctx)->s[CPE_SUM_PREDICTIONS];
    c->rows++;
    add(c, p, sizeof *p);
    add_str(c, explain);
    return 0;
}

static int sum_meta(void *ctx, const char *key, const char *value)
{
    if (!strcmp(key, "schema_version")) return 0;
    cpe_store_sum_t *c = &((cpe_store_sums_t *)ctx)->s[CPE_SUM_META];
    c->rows++;
    add_str(c, key);
    add_str(c, value);
    return 0;
}

static void sum_run(cpe_store_sum_t *c, const cpe_store_run_t *r)
{
    c->rows++;
    add_str(c, r->id);
    add_i64(c, r->created_ms);
    add_str(c, r->instrument);
    add_i64(c, r->from_ms);
    add_i64(c, r->to_ms);
    add_str(c, r->data_version);
    add_str(c, r->model_version);
    add_str(c, r->strategy_json);
    add_str(c, r->metrics_json);
    add_str(c, r->result_json);
}

/* Every saved run of w->src with its result, newest first (list_runs' order, the same on
 * every backend), RUN_PAGE listed at a time and each read whole by id. */
static int walk_runs(walk_t *w)
{
    cpe_store_t *s = w->src;
    size_t total = 0, n = 0;
    int rc = 0;
    for (size_t off = 0; rc == 0; off += n) {
        cpe_store_run_t *page = NULL;
        if ((rc = s->ops->list_runs(s, off, RUN_PAGE, &page, &n, &total)) != 0) break;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            cpe_store_run_t r;
            if ((rc = s->ops->get_run(s, page[i].id, &r)) != 0) break;
            if (w->sums)
                sum_run(&w->sums->s[CPE_SUM_RUNS], &r);
            else
                rc = w->dst->ops->put_run(w->dst, &r);
            cpe_store_run_clear(&r);
        }
        cpe_store_runs_free(page, n);
        if (n < RUN_PAGE) break;
    }
    return rc;
}

int cpe_store_checksum(cpe_store_t *s, cpe_store_sums_t *out)
{
    memset(out, 0, sizeof *out);
    walk_t w = {s, NULL, 0, out};
    int rc = walk_series(&w);
    if (rc == 0) rc = s->ops->each_prediction(s, sum_prediction, out);
    if (rc == 0) rc = s->ops->each_meta(s, sum_meta, out);
    if (rc == 0) rc = walk_runs(&w);
    return rc;
}

static int put_prediction(void *ctx, const cpe_prediction_t *p, const char *explain)
{
    cpe_store_t *dst = ctx;
    return dst->ops->put_prediction(dst, p, explain);
}

static int put_meta(void *ctx, const char *key, const char *value)
{
    cpe_store_t *dst = ctx;
    if (!strcmp(key, "schema_version")) return 0;
    return dst->ops->set_meta(dst, key, value ? value : "");
}

int cpe_store_copy(cpe_store_t *src, cpe_store_t *dst, cpe_diag_t *d)
{
    int rc = dst->ops->begin(dst);
    if (rc) return cpe_diag_set(d, rc, "%s", dst->diag.msg);
    walk_t w = {src, dst, 0, NULL};
    if ((rc = walk_series(&w)) == 0 &&
        (rc = src->ops->each_prediction(src, put_prediction, dst)) == 0 &&
        (rc = src->ops->each_meta(src, put_meta, dst)) == 0 && (rc = walk_runs(&w)) == 0 &&
        (rc = dst->ops->commit(dst)) == 0)
        return 0;
    /* the failing side's message: the target's if it has one, else the source's */
    cpe_diag_set(d, rc, "%s", dst->diag.msg[0] ? dst->diag.msg : src->diag.msg);
    dst->ops->rollback(dst);
    return rc;
}
