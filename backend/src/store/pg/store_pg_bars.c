/* store_pg_bars.c — klines and points in PostgreSQL (cpe/store_pg.h).
 *
 * Klines: one kline_chunk row per (series, UTC day) holding the day's packed records, as
 * in SQLite. An upsert takes a per-series advisory lock, reads the stored chunks of the
 * batch's days in one range scan, merges (kline_merge.c), deletes the stored chunks that
 * changed and writes every new or changed chunk with one COPY ... (FORMAT binary).
 * Points: COPY into a session temp table, then one statement counts new / changed /
 * identical rows and upserts the ones that differ. */
#include "cpe/timeutil.h"
#include "store/kline_merge.h"
#include "store/pg/pg_int.h"

#include <endian.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KREC sizeof(cpe_kline_t)
#define COPY_FLUSH (1u << 20)

/* ---- COPY (FORMAT binary) -------------------------------------------------------------- */

static void put_raw(pg_copy_t *cp, const void *b, size_t n)
{
    if (cp->err) return;
    if (cp->len + n > cp->cap) {
        size_t cap = cp->cap ? cp->cap : 2 * COPY_FLUSH;
        while (cap < cp->len + n)
            cap *= 2;
        char *nb = realloc(cp->buf, cap);
        if (!nb) {
            cp->err = cpe_diag_set(&cp->s->base.diag, CPE_ENOMEM, "out of memory in COPY");
            return;
        }
        cp->buf = nb;
        cp->cap = cap;
    }
    memcpy(cp->buf + cp->len, b, n);
    cp->len += n;
}

static void flush(pg_copy_t *cp, int force)
{
    if (cp->err || (!force && cp->len < COPY_FLUSH) || cp->len == 0) return;
    if (PQputCopyData(cp->s->c, cp->buf, (int)cp->len) != 1)
        cp->err = pg_fail(cp->s, "COPY data", NULL);
    cp->len = 0;
}

static void put_be32(pg_copy_t *cp, int32_t v)
{
    uint32_t x = htobe32((uint32_t)v);
    put_raw(cp, &x, 4);
}

int pg_copy_begin(pg_copy_t *cp, pg_store_t *s, const char *copy_sql)
{
    memset(cp, 0, sizeof *cp);
    cp->s = s;
    PGresult *r = PQexec(s->c, copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        int rc = pg_fail(s, "COPY", r);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    static const char sig[11] = "PGCOPY\n\377\r\n";
    put_raw(cp, sig, 11);
    put_be32(cp, 0); /* flags */
    put_be32(cp, 0); /* header extension */
    return 0;        /* in COPY state: pg_copy_end() reports cp->err and ends it */
}

void pg_copy_tuple(pg_copy_t *cp, int nfields)
{
    flush(cp, 0);
    uint16_t x = htobe16((uint16_t)nfields);
    put_raw(cp, &x, 2);
}

void pg_copy_i64(pg_copy_t *cp, int64_t v)
{
    uint64_t x = htobe64((uint64_t)v);
    put_be32(cp, 8);
    put_raw(cp, &x, 8);
}

void pg_copy_f64(pg_copy_t *cp, double v)
{
    if (isnan(v)) {
        put_be32(cp, -1);
        return;
    }
    uint64_t x;
    memcpy(&x, &v, 8);
    x = htobe64(x);
    put_be32(cp, 8);
    put_raw(cp, &x, 8);
}

void pg_copy_bytes(pg_copy_t *cp, const void *b, size_t n)
{
    put_be32(cp, (int32_t)n);
    put_raw(cp, b, n);
}

int pg_copy_end(pg_copy_t *cp)
{
    uint16_t trailer = 0xffff;
    put_raw(cp, &trailer, 2);
    flush(cp, 1);
    int rc = cp->err;
    if (PQputCopyEnd(cp->s->c, rc ? "cpe: aborted" : NULL) != 1 && !rc)
        rc = pg_fail(cp->s, "COPY end", NULL);
    PGresult *r;
    while ((r = PQgetResult(cp->s->c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc) rc = pg_fail(cp->s, "COPY", r);
        PQclear(r);
    }
    free(cp->buf);
    cp->buf = NULL;
    return rc;
}

/* ---- klines ---------------------------------------------------------------------------- */

/* Merge every day of v[0..n) with the stored chunks in r (rows day, data; ascending).
 * cp == NULL: list the stored days that change in *del (text array "{d,d}") and the
 * changed-day range; otherwise stream every new or changed chunk into cp. */
static int merge_days(pg_store_t *s, int64_t series, const cpe_kline_t *v, size_t n,
                      const PGresult *r, pg_copy_t *cp, cpe_upsert_stats_t *st, char **del,
                      size_t *dlen, int64_t range[2])
{
    int row = 0, rows = PQntuples(r);
    size_t dcap = 0;
    for (size_t i = 0; i < n;) {
        int64_t day = cpe_kl_day(v[i].ts_ms);
        size_t j = i + 1;
        while (j < n && cpe_kl_day(v[j].ts_ms) == day)
            j++;
        while (row < rows && pg_get_i64(r, row, 0, 0) < day)
            row++;
        int stored = row < rows && pg_get_i64(r, row, 0, 0) == day;
        const char *old = stored ? PQgetvalue(r, row, 1) : NULL;
        size_t no = stored ? (size_t)PQgetlength(r, row, 1) / KREC : 0, changed;
        int rc = cpe_kl_reserve(&s->merge, &s->merge_cap, no + (j - i), &s->base.diag);
        if (rc) return rc;
        size_t k = cpe_kl_merge_day(old, no, v + i, j - i, s->merge, &changed, st);
        if (changed && cp) {
            pg_copy_tuple(cp, 4);
            pg_copy_i64(cp, series);
            pg_copy_i64(cp, day);
            pg_copy_i64(cp, (int64_t)k);
            pg_copy_bytes(cp, s->merge, k * KREC);
            if (cp->err) return cp->err;
        } else if (changed) {
            if (day < range[0]) range[0] = day;
            if (day > range[1]) range[1] = day;
            if (stored && *dlen + 24 > dcap) {
                dcap = dcap ? 2 * dcap : 4096;
                char *nd = realloc(*del, dcap);
                if (!nd) return cpe_diag_set(&s->base.diag, CPE_ENOMEM, "out of memory");
                *del = nd;
            }
            if (stored)
                *dlen +=
                    (size_t)snprintf(*del + *dlen, 24, "%s%lld", *dlen ? "," : "{", (long long)day);
        }
        i = j;
    }
    return 0;
}

static int put_sorted(pg_store_t *s, int64_t series, const cpe_kline_t *v, size_t n,
                      cpe_upsert_stats_t *st)
{
    pg_params_t p = {0};
    pg_p_i64(&p, series);
    PGresult *r = pg_run(s, PQ_LOCK_SERIES, &p, 0); /* one writer per series at a time */
    if (!r) return CPE_ESTORE;
    PQclear(r);
    pg_p_i64(&p, cpe_kl_day(v[0].ts_ms));
    pg_p_i64(&p, cpe_kl_day(v[n - 1].ts_ms));
    if (!(r = pg_run(s, PQ_CHUNK_RANGE, &p, 1))) return CPE_ESTORE;
    char *del = NULL;
    size_t dlen = 0;
    int64_t range[2] = {INT64_MAX, INT64_MIN};
    cpe_upsert_stats_t scratch = {0};
    int rc = merge_days(s, series, v, n, r, NULL, &scratch, &del, &dlen, range);
    if (rc == 0 && dlen) {
        del[dlen] = '}';
        del[dlen + 1] = 0;
        pg_params_t dp = {0};
        pg_p_i64(&dp, series);
        pg_p_text(&dp, del);
        PGresult *dr = pg_run(s, PQ_CHUNK_DEL, &dp, 0);
        if (!dr) rc = CPE_ESTORE;
        PQclear(dr);
    }
    free(del);
    if (rc == 0 && range[0] <= range[1]) rc = pg_ensure_partitions(s, range[0], range[1]);
    if (rc == 0 && range[0] <= range[1]) {
        pg_copy_t cp;
        rc = pg_copy_begin(&cp, s,
                           "COPY kline_chunk(series_id,day,n,data) FROM STDIN (FORMAT binary)");
        if (rc == 0) {
            rc = merge_days(s, series, v, n, r, &cp, st, NULL, NULL, NULL);
            if (rc && !cp.err) cp.err = rc; /* abort the COPY */
            int rc2 = pg_copy_end(&cp);
            if (rc == 0) rc = rc2;
        }
    } else if (rc == 0) {
        *st = (cpe_upsert_stats_t){st->inserted, st->updated, st->unchanged + scratch.unchanged,
                                   st->kept + scratch.kept};
    }
    PQclear(r);
    return rc;
}

int pg_put_klines(cpe_store_t *b, int64_t series, const cpe_kline_t *k, size_t n,
                  cpe_upsert_stats_t *stats)
{
    pg_store_t *s = (pg_store_t *)b;
    cpe_upsert_stats_t dummy = {0};
    cpe_upsert_stats_t *st = stats ? stats : &dummy;
    cpe_kline_t *sorted = NULL;
    int own = 0, rc;
    if (n == 0) return 0;
    if ((rc = cpe_kl_sort_unique(k, &n, &sorted, st, &b->diag)) != 0) return rc;
    if ((rc = pg_auto_begin(s, &own)) == 0)
        rc = pg_auto_end(s, own, put_sorted(s, series, sorted ? sorted : k, n, st));
    free(sorted);
    return rc;
}

static int grow(void **arr, size_t n, size_t extra, size_t elem, cpe_diag_t *d)
{
    void *p = realloc(*arr, (n + extra) * elem);
    if (!p && n + extra) return cpe_diag_set(d, CPE_ENOMEM, "out of memory reading the store");
    *arr = p;
    return 0;
}

/* Append the records of one chunk that fall in [from, to) to *out. */
static int take_chunk(pg_store_t *s, int64_t day, const char *blob, size_t cnt, int64_t from_ms,
                      int64_t to_ms, cpe_kline_t **out, size_t *w, size_t *cap)
{
    if (*w + cnt > *cap) { /* a concurrent writer grew the range since the count */
        if (grow((void **)out, *w, cnt, KREC, &s->base.diag)) return CPE_ENOMEM;
        *cap = *w + cnt;
    }
    if ((from_ms == INT64_MIN || day * CPE_MS_PER_DAY >= from_ms) &&
        (to_ms == INT64_MAX || (day + 1) * CPE_MS_PER_DAY <= to_ms)) {
        memcpy(*out + *w, blob, cnt * KREC);
        *w += cnt;
        return 0;
    }
    for (size_t j = 0; j < cnt; j++) {
        int64_t t;
        memcpy(&t, blob + j * KREC, 8);
        if (t >= from_ms && t < to_ms) memcpy(*out + (*w)++, blob + j * KREC, KREC);
    }
    return 0;
}

/* The chunks stream in with COPY (SELECT ...) TO STDOUT (FORMAT binary): each arrives in
 * a reused buffer and is copied once, into an output sized by a count query first. */
int pg_get_klines(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms, cpe_kline_t **out,
                  size_t *n)
{
    pg_store_t *s = (pg_store_t *)b;
    if (from_ms >= to_ms) return 0;
    int64_t d0 = from_ms == INT64_MIN ? INT64_MIN : cpe_kl_day(from_ms);
    int64_t d1 = to_ms == INT64_MAX ? INT64_MAX : cpe_kl_day(to_ms - 1);
    pg_params_t p = {0};
    pg_p_i64(&p, series);
    pg_p_i64(&p, d0);
    pg_p_i64(&p, d1);
    PGresult *r = pg_run(s, PQ_CHUNK_COUNT, &p, 1);
    if (!r) return CPE_ESTORE;
    size_t total = (size_t)pg_get_i64(r, 0, 0, 0), w = *n, cap = *n + total;
    PQclear(r);
    if (total == 0) return 0;
    int rc = grow((void **)out, *n, total, KREC, &b->diag);
    if (rc) return rc;
    cpe_kl_huge_pages(*out + *n, total * KREC);
    char sql[256];
    snprintf(sql, sizeof sql,
             "COPY (SELECT day,data FROM kline_chunk WHERE series_id=%lld AND day>=%lld AND "
             "day<=%lld ORDER BY day) TO STDOUT (FORMAT binary)",
             (long long)series, (long long)d0, (long long)d1);
    r = PQexec(s->c, sql);
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        rc = pg_fail(s, "read klines", r);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    char *msg;
    int len, first = 1;
    while ((len = PQgetCopyData(s->c, &msg, 0)) > 0) {
        const char *q = msg, *end = msg + len;
        if (first && len >= 19) { /* signature, flags, header extension length */
            uint32_t ext;
            memcpy(&ext, msg + 15, 4);
            q += 19 + (size_t)be32toh(ext);
        }
        first = 0;
        /* a row: int16 2 | int32 8 | day | int32 len | data; the trailer is int16 -1 */
        if (rc == 0 && end - q >= 18 && q[0] == 0 && q[1] == 2) {
            int64_t day = pg_be64(q + 6);
            uint32_t dl;
            memcpy(&dl, q + 14, 4);
            dl = be32toh(dl);
            if (q + 18 <= end && dl <= (size_t)(end - q - 18))
                rc = take_chunk(s, day, q + 18, dl / KREC, from_ms, to_ms, out, &w, &cap);
        }
        PQfreemem(msg);
    }
    if (len == -2 && rc == 0) rc = pg_fail(s, "read klines", NULL);
    while ((r = PQgetResult(s->c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) rc = pg_fail(s, "read klines", r);
        PQclear(r);
    }
    *n = w;
    return rc;
}

/* ---- points ---------------------------------------------------------------------------- */

static int key_less(const cpe_point_t *a, const cpe_point_t *b)
{
    return a->ts_ms < b->ts_ms || (a->ts_ms == b->ts_ms && a->seq < b->seq);
}

static int cmp_point(const void *x, const void *y)
{
    const cpe_point_t *a = *(const cpe_point_t *const *)x, *b = *(const cpe_point_t *const *)y;
    if (key_less(a, b)) return -1;
    if (key_less(b, a)) return 1;
    return (a > b) - (a < b); /* input order among equal keys: the last one wins */
}

static int same_point(const cpe_point_t *a, const cpe_point_t *b)
{
    for (int c = 0; c < CPE_POINT_NV; c++)
        if (!cpe_kl_same_double(a->v[c], b->v[c])) return 0;
    return 1;
}

/* Stream p[0..n) into the staging table, one row per key (the last given wins; earlier
 * ones count as updated or unchanged, as sequential writes would). */
static int stage_points(pg_store_t *s, const cpe_point_t *p, size_t n, cpe_upsert_stats_t *st)
{
    const cpe_point_t **ord = NULL;
    size_t i = 1;
    while (i < n && key_less(&p[i - 1], &p[i]))
        i++;
    if (i < n) {
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers to points */
        ord = malloc(n * sizeof *ord);
        if (!ord) return cpe_diag_set(&s->base.diag, CPE_ENOMEM, "out of memory sorting points");
        for (i = 0; i < n; i++)
            ord[i] = &p[i];
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers to points */
        qsort(ord, n, sizeof *ord, cmp_point);
    }
    pg_copy_t cp;
    int rc = pg_copy_begin(&cp, s, "COPY pt_in FROM STDIN (FORMAT binary)");
    if (rc) {
        free(ord);
        return rc;
    }
    for (i = 0; !cp.err && i < n; i++) {
        const cpe_point_t *q = ord ? ord[i] : &p[i];
        if (ord && i + 1 < n && !key_less(q, ord[i + 1])) {
            if (same_point(q, ord[i + 1]))
                st->unchanged++;
            else
                st->updated++;
            continue;
        }
        pg_copy_tuple(&cp, 2 + CPE_POINT_NV);
        pg_copy_i64(&cp, q->ts_ms);
        pg_copy_i64(&cp, q->seq);
        for (int c = 0; c < CPE_POINT_NV; c++)
            pg_copy_f64(&cp, q->v[c]);
    }
    free(ord);
    return pg_copy_end(&cp);
}

static int put_points_tx(pg_store_t *s, int64_t series, const cpe_point_t *p, size_t n,
                         cpe_upsert_stats_t *st)
{
    int rc;
    /* the staging table lives as long as the session (gone if its transaction rolled back) */
    if ((rc = pg_exec(s,
                      "CREATE TEMP TABLE IF NOT EXISTS pt_in(ts int8, seq int8, v0 float8,"
                      " v1 float8, v2 float8, v3 float8, v4 float8, v5 float8)",
                      "create staging table")) ||
        (rc = pg_exec(s, "TRUNCATE pt_in", "clear staging table")) ||
        (rc = stage_points(s, p, n, st)))
        return rc;
    pg_params_t q = {0};
    pg_p_i64(&q, series);
    PGresult *r = pg_run(s, PQ_POINT_MERGE, &q, 1);
    if (!r) return CPE_ESTORE;
    st->inserted += (size_t)pg_get_i64(r, 0, 0, 0);
    st->updated += (size_t)pg_get_i64(r, 0, 1, 0);
    st->unchanged += (size_t)pg_get_i64(r, 0, 2, 0);
    PQclear(r);
    return 0;
}

int pg_put_points(cpe_store_t *b, int64_t series, const cpe_point_t *p, size_t n,
                  cpe_upsert_stats_t *stats)
{
    pg_store_t *s = (pg_store_t *)b;
    cpe_upsert_stats_t dummy = {0};
    int own = 0, rc;
    if (n == 0) return 0;
    if ((rc = pg_auto_begin(s, &own)) != 0) return rc;
    return pg_auto_end(s, own, put_points_tx(s, series, p, n, stats ? stats : &dummy));
}

int pg_get_points(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms, cpe_point_t **out,
                  size_t *n)
{
    pg_store_t *s = (pg_store_t *)b;
    if (from_ms >= to_ms) return 0;
    pg_params_t p = {0};
    pg_p_i64(&p, series);
    pg_p_i64(&p, from_ms);
    pg_p_i64(&p, to_ms);
    PGresult *r = pg_run(s, PQ_POINT_RANGE, &p, 1);
    if (!r) return CPE_ESTORE;
    size_t rows = (size_t)PQntuples(r);
    int rc = rows ? grow((void **)out, *n, rows, sizeof **out, &b->diag) : 0;
    for (size_t i = 0; rc == 0 && i < rows; i++) {
        cpe_point_t *pt = *out + *n + i;
        pt->ts_ms = pg_get_i64(r, (int)i, 0, 0);
        pt->seq = (int32_t)pg_get_i64(r, (int)i, 1, 0);
        for (int c = 0; c < CPE_POINT_NV; c++)
            pt->v[c] = PQgetisnull(r, (int)i, 2 + c) ? NAN : pg_bef64(PQgetvalue(r, (int)i, 2 + c));
    }
    if (rc == 0) *n += rows;
    PQclear(r);
    return rc;
}
