/* store_sqlite_rows.c — the SQLite backend's rows (sq_int.h): klines as one blob of packed
 * records per (series, UTC day), merged on upsert; points; predictions with their
 * explanations; meta. */
#include "cpe/timeutil.h"
#include "store/kline_merge.h"
#include "store/sq_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- klines ---------------------------------------------------------------------- */

/* Merge the new day rows nw[0..nn) (sorted, unique ts) into the stored chunk. */
static int put_day(sq_store_t *s, int64_t series, int64_t day, const cpe_kline_t *nw, size_t nn,
                   cpe_upsert_stats_t *st)
{
    sqlite3_stmt *q = sq_stmt(s, Q_CHUNK_GET);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, day);
    int rc = sqlite3_step(q);
    const cpe_kline_t *old = NULL;
    size_t no = 0;
    if (rc == SQLITE_ROW) {
        no = (size_t)sqlite3_column_bytes(q, 1) / KREC;
        old = sqlite3_column_blob(q, 1);
    } else if (rc != SQLITE_DONE) {
        sqlite3_reset(q);
        return sq_fail(s, "read kline chunk");
    }
    if ((rc = cpe_kl_reserve(&s->merge, &s->merge_cap, no + nn, &s->base.diag)) != 0) {
        sqlite3_reset(q);
        return rc;
    }
    cpe_kline_t *m = s->merge;
    size_t changed, k = cpe_kl_merge_day(old, no, nw, nn, m, &changed, st);
    sqlite3_reset(q);
    if (!changed) return 0;
    q = sq_stmt(s, Q_CHUNK_PUT);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, day);
    sqlite3_bind_int64(q, 3, (int64_t)k);
    sqlite3_bind_blob(q, 4, m, (int)(k * KREC), SQLITE_STATIC);
    rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, "write kline chunk");
}

int sq_put_klines(cpe_store_t *b, int64_t series, const cpe_kline_t *k, size_t n,
                  cpe_upsert_stats_t *stats)
{
    sq_store_t *s = (sq_store_t *)b;
    cpe_upsert_stats_t dummy = {0};
    cpe_upsert_stats_t *st = stats ? stats : &dummy;
    cpe_kline_t *sorted = NULL;
    int own = 0, rc = 0;
    if (n == 0) return 0;
    if ((rc = cpe_kl_sort_unique(k, &n, &sorted, st, &b->diag)) != 0) return rc;
    const cpe_kline_t *v = sorted ? sorted : k;
    if ((rc = sq_auto_begin(s, &own)) != 0) goto out;
    for (size_t i = 0; i < n && rc == 0;) {
        int64_t day = cpe_kl_day(v[i].ts_ms);
        size_t j = i + 1;
        while (j < n && cpe_kl_day(v[j].ts_ms) == day)
            j++;
        rc = put_day(s, series, day, v + i, j - i, st);
        i = j;
    }
    rc = sq_auto_end(s, own, rc);
out:
    free(sorted);
    return rc;
}

static int grow(void **arr, size_t *n, size_t extra, size_t elem, cpe_diag_t *d)
{
    void *p = realloc(*arr, (*n + extra) * elem);
    if (!p && *n + extra) return cpe_diag_set(d, CPE_ENOMEM, "out of memory reading the store");
    *arr = p;
    return 0;
}

static void day_bounds(int64_t from_ms, int64_t to_ms, int64_t *d0, int64_t *d1)
{
    *d0 = from_ms == INT64_MIN ? INT64_MIN : cpe_kl_day(from_ms);
    *d1 = to_ms == INT64_MAX ? INT64_MAX : cpe_kl_day(to_ms - 1);
}

int sq_get_klines_snap(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms,
                       cpe_kline_t **out, size_t *n)
{
    sq_store_t *s = (sq_store_t *)b;
    if (from_ms >= to_ms) return 0;
    int64_t d0, d1;
    day_bounds(from_ms, to_ms, &d0, &d1);
    sqlite3_stmt *q = sq_stmt(s, Q_CHUNK_COUNT);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, d0);
    sqlite3_bind_int64(q, 3, d1);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return sq_fail(s, "count klines");
    }
    int64_t total = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (total == 0) return 0;
    int rc = grow((void **)out, n, (size_t)total, sizeof **out, &b->diag);
    if (rc) return rc;
    cpe_kl_huge_pages(*out + *n, (size_t)total * sizeof **out);
    q = sq_stmt(s, Q_CHUNK_RANGE);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, d0);
    sqlite3_bind_int64(q, 3, d1);
    cpe_kline_t *dst = *out;
    size_t w = *n, lim = *n + (size_t)total;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t day = sqlite3_column_int64(q, 0);
        const char *blob = sqlite3_column_blob(q, 2);
        size_t cnt = (size_t)sqlite3_column_bytes(q, 2) / KREC;
        if (w + cnt > lim) cnt = lim - w; /* a concurrent writer grew the range */
        if ((from_ms == INT64_MIN || day * CPE_MS_PER_DAY >= from_ms) &&
            (to_ms == INT64_MAX || (day + 1) * CPE_MS_PER_DAY <= to_ms)) {
            memcpy(dst + w, blob, cnt * KREC);
            w += cnt;
            continue;
        }
        for (size_t i = 0; i < cnt; i++) {
            int64_t t = sq_le64(blob + i * KREC);
            if (t >= from_ms && t < to_ms) memcpy(dst + w++, blob + i * KREC, KREC);
        }
    }
    sqlite3_reset(q);
    *n = w;
    return rc == SQLITE_DONE ? 0 : sq_fail(s, "read klines");
}

/* ---- points ---------------------------------------------------------------------- */

static void bind_v(sqlite3_stmt *q, int col, double v)
{
    if (isnan(v))
        sqlite3_bind_null(q, col);
    else
        sqlite3_bind_double(q, col, v);
}

static double col_v(sqlite3_stmt *q, int col)
{
    return sqlite3_column_type(q, col) == SQLITE_NULL ? NAN : sqlite3_column_double(q, col);
}

static int write_point(sq_store_t *s, int64_t series, const cpe_point_t *p)
{
    sqlite3_stmt *q = sq_stmt(s, Q_POINT_PUT);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, p->ts_ms);
    sqlite3_bind_int(q, 3, p->seq);
    for (int c = 0; c < CPE_POINT_NV; c++)
        bind_v(q, 4 + c, p->v[c]);
    int r = sqlite3_step(q);
    sqlite3_reset(q);
    return r == SQLITE_DONE ? 0 : sq_fail(s, "write point");
}

int sq_put_points(cpe_store_t *b, int64_t series, const cpe_point_t *p, size_t n,
                  cpe_upsert_stats_t *stats)
{
    sq_store_t *s = (sq_store_t *)b;
    cpe_upsert_stats_t dummy = {0};
    cpe_upsert_stats_t *st = stats ? stats : &dummy;
    int own = 0, rc;
    if (n == 0) return 0;
    if ((rc = sq_auto_begin(s, &own)) != 0) return rc;
    /* Fast path: keys strictly ascending and none stored in their time span -> every row
     * is new, so the per-row lookup can be skipped (a first import of a trade tape). */
    int fresh = 1;
    for (size_t i = 1; i < n && fresh; i++)
        fresh = p[i].ts_ms > p[i - 1].ts_ms ||
                (p[i].ts_ms == p[i - 1].ts_ms && p[i].seq > p[i - 1].seq);
    if (fresh) {
        sqlite3_stmt *q = sq_stmt(s, Q_POINT_COUNT);
        if (!q) return sq_auto_end(s, own, CPE_ESTORE);
        sqlite3_bind_int64(q, 1, series);
        sqlite3_bind_int64(q, 2, p[0].ts_ms);
        sqlite3_bind_int64(q, 3, p[n - 1].ts_ms == INT64_MAX ? INT64_MAX : p[n - 1].ts_ms + 1);
        fresh = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 0) == 0;
        sqlite3_reset(q);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (fresh) {
            st->inserted++;
            rc = write_point(s, series, &p[i]);
            continue;
        }
        sqlite3_stmt *q = sq_stmt(s, Q_POINT_GET);
        if (!q) {
            rc = CPE_ESTORE;
            break;
        }
        sqlite3_bind_int64(q, 1, series);
        sqlite3_bind_int64(q, 2, p[i].ts_ms);
        sqlite3_bind_int(q, 3, p[i].seq);
        int r = sqlite3_step(q);
        int exists = r == SQLITE_ROW, same = exists;
        for (int c = 0; exists && c < CPE_POINT_NV; c++)
            if (!cpe_kl_same_double(col_v(q, c), p[i].v[c])) same = 0;
        sqlite3_reset(q);
        if (r != SQLITE_ROW && r != SQLITE_DONE) {
            rc = sq_fail(s, "read point");
            break;
        }
        if (same) {
            st->unchanged++;
            continue;
        }
        if (exists)
            st->updated++;
        else
            st->inserted++;
        rc = write_point(s, series, &p[i]);
    }
    return sq_auto_end(s, own, rc);
}

int sq_get_points_snap(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms,
                       cpe_point_t **out, size_t *n)
{
    sq_store_t *s = (sq_store_t *)b;
    if (from_ms >= to_ms) return 0;
    sqlite3_stmt *q = sq_stmt(s, Q_POINT_COUNT);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, from_ms);
    sqlite3_bind_int64(q, 3, to_ms);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return sq_fail(s, "count points");
    }
    int64_t total = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (total == 0) return 0;
    int rc = grow((void **)out, n, (size_t)total, sizeof **out, &b->diag);
    if (rc) return rc;
    q = sq_stmt(s, Q_POINT_RANGE);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, from_ms);
    sqlite3_bind_int64(q, 3, to_ms);
    size_t w = *n, lim = *n + (size_t)total;
    while (w < lim && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        cpe_point_t *pt = *out + w++;
        pt->ts_ms = sqlite3_column_int64(q, 0);
        pt->seq = sqlite3_column_int(q, 1);
        for (int c = 0; c < CPE_POINT_NV; c++)
            pt->v[c] = col_v(q, 2 + c);
    }
    if (w == lim) rc = SQLITE_DONE;
    sqlite3_reset(q);
    *n = w;
    return rc == SQLITE_DONE ? 0 : sq_fail(s, "read points");
}

/* ---- predictions and meta ---------------------------------------------------------- */

/* The record is stored as the raw cpe_prediction_t bytes; a size mismatch on read means
 * the struct changed since it was written (see docs/STORE.md). */
static int rec_from_blob(sq_store_t *s, sqlite3_stmt *q, int col, cpe_prediction_t *out)
{
    if (sqlite3_column_bytes(q, col) != (int)sizeof *out)
        return cpe_diag_set(&s->base.diag, CPE_ESTORE,
                            "stored prediction record has %d bytes, this build expects %zu "
                            "(the record layout changed; re-run the model)",
                            sqlite3_column_bytes(q, col), sizeof *out);
    memcpy(out, sqlite3_column_blob(q, col), sizeof *out);
    return 0;
}

int sq_put_prediction(cpe_store_t *b, const cpe_prediction_t *p, const char *explain)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = sq_stmt(s, Q_PRED_PUT);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, p->symbol, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(q, 2, p->horizon_h);
    sqlite3_bind_int64(q, 3, p->ts_ms);
    sqlite3_bind_text(q, 4, p->model_version, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 5, p, (int)sizeof *p, SQLITE_TRANSIENT);
    if (explain)
        sqlite3_bind_text(q, 6, explain, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(q, 6);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, "write prediction");
}

int sq_get_prediction(cpe_store_t *b, const char *symbol, int horizon_h, int64_t at_ms,
                      cpe_prediction_t *out, char **explain)
{
    sq_store_t *s = (sq_store_t *)b;
    if (explain) *explain = NULL;
    sqlite3_stmt *q = sq_stmt(s, Q_PRED_LATEST);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, symbol, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(q, 2, horizon_h);
    sqlite3_bind_int64(q, 3, at_ms);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) return sq_fail(s, "read prediction");
        return cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no %s %dh prediction at or before %lld",
                            symbol, horizon_h, (long long)at_ms);
    }
    rc = rec_from_blob(s, q, 0, out);
    if (rc == 0 && explain && sqlite3_column_type(q, 1) != SQLITE_NULL) {
        const char *t = (const char *)sqlite3_column_text(q, 1);
        *explain = strdup(t ? t : "");
        if (!*explain) rc = cpe_diag_set(&b->diag, CPE_ENOMEM, "out of memory");
    }
    sqlite3_reset(q);
    return rc;
}

int sq_get_predictions(cpe_store_t *b, const char *symbol, int horizon_h, int64_t from_ms,
                       int64_t to_ms, cpe_prediction_t **out, size_t *n)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = sq_stmt(s, Q_PRED_RANGE);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, symbol, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(q, 2, horizon_h);
    sqlite3_bind_int64(q, 3, from_ms);
    sqlite3_bind_int64(q, 4, to_ms);
    int rc, err = 0;
    size_t cap = *n; /* the array grows geometrically: a record is ~1.3 KB with its cone */
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t extra = cap < 64 ? 64 : cap;
            if ((err = grow((void **)out, n, extra, sizeof **out, &b->diag)) != 0) break;
            cap = *n + extra;
        }
        if ((err = rec_from_blob(s, q, 0, *out + *n)) != 0) break;
        (*n)++;
    }
    sqlite3_reset(q);
    if (err) return err;
    return rc == SQLITE_DONE ? 0 : sq_fail(s, "read predictions");
}

int sq_set_meta(cpe_store_t *b, const char *key, const char *value)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = sq_stmt(s, Q_META_SET);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, "write meta");
}

int sq_get_meta(cpe_store_t *b, const char *key, char *value, size_t cap)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = sq_stmt(s, Q_META_GET);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) return sq_fail(s, "read meta");
        return cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no meta key '%s'", key);
    }
    const char *t = (const char *)sqlite3_column_text(q, 0);
    size_t len = t ? strlen(t) : 0;
    rc = 0;
    if (len >= cap)
        rc = cpe_diag_set(&b->diag, CPE_ETOOBIG, "meta '%s' is longer than %zu", key, cap);
    else if (cap)
        memcpy(value, t ? t : "", len + 1);
    sqlite3_reset(q);
    return rc;
}

int sq_each_prediction(cpe_store_t *b, cpe_store_prediction_fn fn, void *ctx)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = sq_stmt(s, Q_PRED_ALL);
    if (!q) return CPE_ESTORE;
    int rc, err = 0;
    cpe_prediction_t p;
    while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
        if ((err = rec_from_blob(s, q, 0, &p)) == 0)
            err = fn(ctx, &p, (const char *)sqlite3_column_text(q, 1));
    sqlite3_reset(q);
    if (err) return err;
    return rc == SQLITE_DONE ? 0 : sq_fail(s, "read predictions");
}

int sq_each_meta(cpe_store_t *b, cpe_store_meta_fn fn, void *ctx)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = sq_stmt(s, Q_META_ALL);
    if (!q) return CPE_ESTORE;
    int rc, err = 0;
    while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
        err = fn(ctx, (const char *)sqlite3_column_text(q, 0),
                 (const char *)sqlite3_column_text(q, 1));
    sqlite3_reset(q);
    if (err) return err;
    return rc == SQLITE_DONE ? 0 : sq_fail(s, "read meta");
}
