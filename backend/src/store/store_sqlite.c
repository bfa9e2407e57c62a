/* store_sqlite.c — the SQLite backend of cpe/store.h (schema drawn there; docs/STORE.md).
 *
 * Klines are kept one row per (series, UTC day) as a blob of packed cpe_kline_t records
 * sorted by ts; an upsert reads the day's chunk, merges, and writes it back only when a
 * row is new or changed. Every other kind is one `point` row per (series, ts, seq).
 * Prepared statements live in the store struct. Writes outside an explicit begin() run
 * in their own transaction, so a put is always all-or-nothing. */
#include "cpe/store.h"
#include "cpe/timeutil.h"
#include "store/kline_merge.h"
#include "store/sqlite_int.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "kline_chunk blobs are little-endian cpe_kline_t records; add byte swapping here"
#endif
_Static_assert(sizeof(cpe_kline_t) == 80, "kline_chunk record is 80 bytes");

#define KREC ((int)sizeof(cpe_kline_t))

enum {
    Q_SERIES_INS,
    Q_SERIES_SEL,
    Q_SERIES_BYID,
    Q_SERIES_ALL,
    Q_CHUNK_GET,
    Q_CHUNK_PUT,
    Q_CHUNK_RANGE,
    Q_CHUNK_COUNT,
    Q_CHUNK_STATS,
    Q_CHUNK_EDGE,
    Q_POINT_GET,
    Q_POINT_PUT,
    Q_POINT_RANGE,
    Q_POINT_COUNT,
    Q_POINT_STATS,
    Q_PRED_PUT,
    Q_PRED_LATEST,
    Q_PRED_RANGE,
    Q_META_SET,
    Q_META_GET,
    Q_PRED_ALL,
    Q_META_ALL,
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_BEGIN_READ,
    Q_COUNT
};

/* One row per prepared statement: the table the code iterates. */
static const char *const sql_text[Q_COUNT] = {
    [Q_SERIES_INS] = "INSERT OR IGNORE INTO series(instrument,kind,interval_ms,simulated) "
                     "VALUES(?1,?2,?3,?4)",
    [Q_SERIES_SEL] = "SELECT id FROM series WHERE instrument=?1 AND kind=?2",
    [Q_SERIES_BYID] = "SELECT id,instrument,kind,interval_ms,simulated FROM series WHERE id=?1",
    [Q_SERIES_ALL] = "SELECT id,instrument,kind,interval_ms,simulated FROM series "
                     "ORDER BY instrument,kind",
    [Q_CHUNK_GET] = "SELECT n,data FROM kline_chunk WHERE series_id=?1 AND day=?2",
    [Q_CHUNK_PUT] = "INSERT OR REPLACE INTO kline_chunk(series_id,day,n,data) VALUES(?1,?2,?3,?4)",
    [Q_CHUNK_RANGE] = "SELECT day,n,data FROM kline_chunk WHERE series_id=?1 AND day>=?2 "
                      "AND day<=?3 ORDER BY day",
    [Q_CHUNK_COUNT] = "SELECT COALESCE(SUM(n),0) FROM kline_chunk WHERE series_id=?1 AND day>=?2 "
                      "AND day<=?3",
    [Q_CHUNK_STATS] = "SELECT COALESCE(SUM(n),0),MIN(day),MAX(day) FROM kline_chunk "
                      "WHERE series_id=?1",
    [Q_CHUNK_EDGE] = "SELECT substr(data,1,8),substr(data,(n-1)*80+1,8) FROM kline_chunk "
                     "WHERE series_id=?1 AND day=?2",
    [Q_POINT_GET] = "SELECT v0,v1,v2,v3,v4,v5 FROM point WHERE series_id=?1 AND ts=?2 AND seq=?3",
    [Q_POINT_PUT] = "INSERT OR REPLACE INTO point(series_id,ts,seq,v0,v1,v2,v3,v4,v5) "
                    "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    [Q_POINT_RANGE] = "SELECT ts,seq,v0,v1,v2,v3,v4,v5 FROM point WHERE series_id=?1 AND ts>=?2 "
                      "AND ts<?3 ORDER BY ts,seq",
    [Q_POINT_COUNT] = "SELECT COUNT(*) FROM point WHERE series_id=?1 AND ts>=?2 AND ts<?3",
    [Q_POINT_STATS] = "SELECT COUNT(*),MIN(ts),MAX(ts) FROM point WHERE series_id=?1",
    [Q_PRED_PUT] =
        "INSERT OR REPLACE INTO prediction(symbol,horizon_h,ts,model_version,rec,explain) "
        "VALUES(?1,?2,?3,?4,?5,?6)",
    [Q_PRED_LATEST] = "SELECT rec,explain FROM prediction WHERE symbol=?1 AND horizon_h=?2 AND "
                      "ts<=?3 ORDER BY ts DESC LIMIT 1",
    [Q_PRED_RANGE] = "SELECT rec FROM prediction WHERE symbol=?1 AND horizon_h=?2 AND ts>=?3 AND "
                     "ts<?4 ORDER BY ts",
    [Q_META_SET] = "INSERT OR REPLACE INTO meta(key,value) VALUES(?1,?2)",
    [Q_META_GET] = "SELECT value FROM meta WHERE key=?1",
    [Q_PRED_ALL] = "SELECT rec,explain FROM prediction ORDER BY symbol,horizon_h,ts",
    [Q_META_ALL] = "SELECT key,value FROM meta ORDER BY key",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_BEGIN_READ] = "BEGIN",
};

/* page_size only takes effect on a new database (before the first table): 32 KiB pages
 * hold a day chunk of 1m klines (115 KB) in four pages instead of 28 overflow pages. */
#define PRAGMAS                                                                                    \
    "PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "                 \
    "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536;"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS series(id INTEGER PRIMARY KEY, instrument TEXT NOT NULL,"
    " kind TEXT NOT NULL, interval_ms INTEGER NOT NULL DEFAULT 0,"
    " simulated INTEGER NOT NULL DEFAULT 0, UNIQUE(instrument, kind));"
    "CREATE TABLE IF NOT EXISTS kline_chunk(series_id INTEGER NOT NULL, day INTEGER NOT NULL,"
    " n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(series_id, day)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS point(series_id INTEGER NOT NULL, ts INTEGER NOT NULL,"
    " seq INTEGER NOT NULL, v0 REAL, v1 REAL, v2 REAL, v3 REAL, v4 REAL, v5 REAL,"
    " PRIMARY KEY(series_id, ts, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS prediction(symbol TEXT NOT NULL, horizon_h INTEGER NOT NULL,"
    " ts INTEGER NOT NULL, model_version TEXT, rec BLOB NOT NULL, explain TEXT,"
    " PRIMARY KEY(symbol, horizon_h, ts)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "INSERT OR IGNORE INTO meta(key,value) VALUES('schema_version','1');";

typedef struct sq_store {
    cpe_store_t base;
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    int in_tx;          /* an explicit begin() is open */
    cpe_kline_t *merge; /* scratch for chunk merges */
    size_t merge_cap;
} sq_store_t;

static int fail(sq_store_t *s, const char *what)
{
    return cpe_diag_set(&s->base.diag, CPE_ESTORE, "sqlite: %s: %s", what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(sq_store_t *s, int i)
{
    if (!s->q[i] && sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
                                       NULL) != SQLITE_OK) {
        fail(s, "prepare");
        return NULL;
    }
    sqlite3_reset(s->q[i]);
    sqlite3_clear_bindings(s->q[i]);
    return s->q[i];
}

static int exec1(sq_store_t *s, int i, const char *what)
{
    sqlite3_stmt *st = stmt(s, i);
    if (!st) return CPE_ESTORE;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : fail(s, what);
}

/* Implicit transactions: a write outside begin() wraps itself. */
static int auto_begin(sq_store_t *s, int *own)
{
    *own = !s->in_tx && sqlite3_get_autocommit(s->db);
    return *own ? exec1(s, Q_BEGIN, "begin") : 0;
}

static int auto_end(sq_store_t *s, int own, int rc)
{
    if (!own) return rc;
    if (rc == 0) return exec1(s, Q_COMMIT, "commit");
    exec1(s, Q_ROLLBACK, "rollback");
    return rc;
}

static int sq_begin(cpe_store_t *b)
{
    sq_store_t *s = (sq_store_t *)b;
    if (s->in_tx) return cpe_diag_set(&b->diag, CPE_EINVAL, "sqlite: begin inside a transaction");
    int rc = exec1(s, Q_BEGIN, "begin");
    if (rc == 0) s->in_tx = 1;
    return rc;
}

static int sq_commit(cpe_store_t *b)
{
    sq_store_t *s = (sq_store_t *)b;
    if (!s->in_tx) return cpe_diag_set(&b->diag, CPE_EINVAL, "sqlite: commit without begin");
    int rc = exec1(s, Q_COMMIT, "commit");
    if (rc == 0) s->in_tx = 0;
    return rc;
}

static int sq_rollback(cpe_store_t *b)
{
    sq_store_t *s = (sq_store_t *)b;
    if (!s->in_tx) return 0;
    s->in_tx = 0;
    if (sqlite3_get_autocommit(s->db)) return 0; /* SQLite already rolled back */
    return exec1(s, Q_ROLLBACK, "rollback");
}

static void sq_close(cpe_store_t *b)
{
    sq_store_t *s = (sq_store_t *)b;
    if (!s) return;
    if (s->in_tx) sq_rollback(b);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    sqlite3_close(s->db);
    free(s->merge);
    free(s);
}

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

static int sq_series_id(cpe_store_t *b, const char *instrument, const char *kind,
                        int64_t interval_ms, int simulated, int create, int64_t *id)
{
    sq_store_t *s = (sq_store_t *)b;
    if (create) {
        sqlite3_stmt *st = stmt(s, Q_SERIES_INS);
        if (!st) return CPE_ESTORE;
        sqlite3_bind_text(st, 1, instrument, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, interval_ms);
        sqlite3_bind_int(st, 4, simulated ? 1 : 0);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return fail(s, "create series");
    }
    sqlite3_stmt *st = stmt(s, Q_SERIES_SEL);
    if (!st) return CPE_ESTORE;
    sqlite3_bind_text(st, 1, instrument, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return fail(s, "find series");
    return cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no series %s %s in the store", instrument, kind);
}

static int is_kline_kind(const char *kind)
{
    return !strncmp(kind, "kline:", 6);
}

static int64_t le64(const void *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Fill count/first/last of a series whose id/instrument/kind are set. */
static int series_stats(sq_store_t *s, cpe_series_info_t *si)
{
    si->count = 0;
    si->first_ts = INT64_MAX;
    si->last_ts = INT64_MIN;
    int kl = is_kline_kind(si->kind);
    sqlite3_stmt *st = stmt(s, kl ? Q_CHUNK_STATS : Q_POINT_STATS);
    if (!st) return CPE_ESTORE;
    sqlite3_bind_int64(st, 1, si->id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return fail(s, "series stats");
    }
    si->count = sqlite3_column_int64(st, 0);
    int empty = sqlite3_column_type(st, 1) == SQLITE_NULL;
    int64_t a = sqlite3_column_int64(st, 1), z = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (empty || si->count == 0) return 0;
    if (!kl) {
        si->first_ts = a;
        si->last_ts = z;
        return 0;
    }
    for (int edge = 0; edge < 2; edge++) {
        st = stmt(s, Q_CHUNK_EDGE);
        if (!st) return CPE_ESTORE;
        sqlite3_bind_int64(st, 1, si->id);
        sqlite3_bind_int64(st, 2, edge ? z : a);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, edge) == 8) {
            int64_t t = le64(sqlite3_column_blob(st, edge));
            if (edge)
                si->last_ts = t;
            else
                si->first_ts = t;
        }
        sqlite3_reset(st);
    }
    return 0;
}

static void row_to_info(sqlite3_stmt *st, cpe_series_info_t *si)
{
    memset(si, 0, sizeof *si);
    si->id = sqlite3_column_int64(st, 0);
    copy_text(si->instrument, sizeof si->instrument, sqlite3_column_text(st, 1));
    copy_text(si->kind, sizeof si->kind, sqlite3_column_text(st, 2));
    si->interval_ms = sqlite3_column_int64(st, 3);
    si->simulated = sqlite3_column_int(st, 4);
}

static int sq_series_get(cpe_store_t *b, int64_t id, cpe_series_info_t *out)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *st = stmt(s, Q_SERIES_BYID);
    if (!st) return CPE_ESTORE;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return fail(s, "series");
        return cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no series with id %lld", (long long)id);
    }
    row_to_info(st, out);
    sqlite3_reset(st);
    return series_stats(s, out);
}

static int list_series_snap(cpe_store_t *b, cpe_series_info_t **out, size_t *n)
{
    sq_store_t *s = (sq_store_t *)b;
    *out = NULL;
    *n = 0;
    cpe_series_info_t *v = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    sqlite3_stmt *st = stmt(s, Q_SERIES_ALL);
    if (!st) return CPE_ESTORE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? 2 * cap : 16;
            cpe_series_info_t *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                sqlite3_reset(st);
                free(v);
                return cpe_diag_set(&b->diag, CPE_ENOMEM, "out of memory listing series");
            }
            v = nv;
        }
        row_to_info(st, &v[len++]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return fail(s, "list series");
    }
    for (size_t i = 0; i < len; i++) {
        if ((rc = series_stats(s, &v[i])) != 0) {
            free(v);
            return rc;
        }
    }
    *out = v;
    *n = len;
    return 0;
}

/* ---- klines ---------------------------------------------------------------------- */

/* Merge the new day rows nw[0..nn) (sorted, unique ts) into the stored chunk. */
static int put_day(sq_store_t *s, int64_t series, int64_t day, const cpe_kline_t *nw, size_t nn,
                   cpe_upsert_stats_t *st)
{
    sqlite3_stmt *q = stmt(s, Q_CHUNK_GET);
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
        return fail(s, "read kline chunk");
    }
    if ((rc = cpe_kl_reserve(&s->merge, &s->merge_cap, no + nn, &s->base.diag)) != 0) {
        sqlite3_reset(q);
        return rc;
    }
    cpe_kline_t *m = s->merge;
    size_t changed, k = cpe_kl_merge_day(old, no, nw, nn, m, &changed, st);
    sqlite3_reset(q);
    if (!changed) return 0;
    q = stmt(s, Q_CHUNK_PUT);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, day);
    sqlite3_bind_int64(q, 3, (int64_t)k);
    sqlite3_bind_blob(q, 4, m, (int)(k * KREC), SQLITE_STATIC);
    rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : fail(s, "write kline chunk");
}

static int sq_put_klines(cpe_store_t *b, int64_t series, const cpe_kline_t *k, size_t n,
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
    if ((rc = auto_begin(s, &own)) != 0) goto out;
    for (size_t i = 0; i < n && rc == 0;) {
        int64_t day = cpe_kl_day(v[i].ts_ms);
        size_t j = i + 1;
        while (j < n && cpe_kl_day(v[j].ts_ms) == day)
            j++;
        rc = put_day(s, series, day, v + i, j - i, st);
        i = j;
    }
    rc = auto_end(s, own, rc);
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

static int get_klines_snap(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms,
                           cpe_kline_t **out, size_t *n)
{
    sq_store_t *s = (sq_store_t *)b;
    if (from_ms >= to_ms) return 0;
    int64_t d0, d1;
    day_bounds(from_ms, to_ms, &d0, &d1);
    sqlite3_stmt *q = stmt(s, Q_CHUNK_COUNT);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, d0);
    sqlite3_bind_int64(q, 3, d1);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return fail(s, "count klines");
    }
    int64_t total = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (total == 0) return 0;
    int rc = grow((void **)out, n, (size_t)total, sizeof **out, &b->diag);
    if (rc) return rc;
    cpe_kl_huge_pages(*out + *n, (size_t)total * sizeof **out);
    q = stmt(s, Q_CHUNK_RANGE);
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
            int64_t t = le64(blob + i * KREC);
            if (t >= from_ms && t < to_ms) memcpy(dst + w++, blob + i * KREC, KREC);
        }
    }
    sqlite3_reset(q);
    *n = w;
    return rc == SQLITE_DONE ? 0 : fail(s, "read klines");
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
    sqlite3_stmt *q = stmt(s, Q_POINT_PUT);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, p->ts_ms);
    sqlite3_bind_int(q, 3, p->seq);
    for (int c = 0; c < CPE_POINT_NV; c++)
        bind_v(q, 4 + c, p->v[c]);
    int r = sqlite3_step(q);
    sqlite3_reset(q);
    return r == SQLITE_DONE ? 0 : fail(s, "write point");
}

static int sq_put_points(cpe_store_t *b, int64_t series, const cpe_point_t *p, size_t n,
                         cpe_upsert_stats_t *stats)
{
    sq_store_t *s = (sq_store_t *)b;
    cpe_upsert_stats_t dummy = {0};
    cpe_upsert_stats_t *st = stats ? stats : &dummy;
    int own = 0, rc;
    if (n == 0) return 0;
    if ((rc = auto_begin(s, &own)) != 0) return rc;
    /* Fast path: keys strictly ascending and none stored in their time span -> every row
     * is new, so the per-row lookup can be skipped (a first import of a trade tape). */
    int fresh = 1;
    for (size_t i = 1; i < n && fresh; i++)
        fresh = p[i].ts_ms > p[i - 1].ts_ms ||
                (p[i].ts_ms == p[i - 1].ts_ms && p[i].seq > p[i - 1].seq);
    if (fresh) {
        sqlite3_stmt *q = stmt(s, Q_POINT_COUNT);
        if (!q) return auto_end(s, own, CPE_ESTORE);
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
        sqlite3_stmt *q = stmt(s, Q_POINT_GET);
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
            rc = fail(s, "read point");
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
    return auto_end(s, own, rc);
}

static int get_points_snap(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms,
                           cpe_point_t **out, size_t *n)
{
    sq_store_t *s = (sq_store_t *)b;
    if (from_ms >= to_ms) return 0;
    sqlite3_stmt *q = stmt(s, Q_POINT_COUNT);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, series);
    sqlite3_bind_int64(q, 2, from_ms);
    sqlite3_bind_int64(q, 3, to_ms);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return fail(s, "count points");
    }
    int64_t total = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (total == 0) return 0;
    int rc = grow((void **)out, n, (size_t)total, sizeof **out, &b->diag);
    if (rc) return rc;
    q = stmt(s, Q_POINT_RANGE);
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
    return rc == SQLITE_DONE ? 0 : fail(s, "read points");
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

static int sq_put_prediction(cpe_store_t *b, const cpe_prediction_t *p, const char *explain)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = stmt(s, Q_PRED_PUT);
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
    return rc == SQLITE_DONE ? 0 : fail(s, "write prediction");
}

static int sq_get_prediction(cpe_store_t *b, const char *symbol, int horizon_h, int64_t at_ms,
                             cpe_prediction_t *out, char **explain)
{
    sq_store_t *s = (sq_store_t *)b;
    if (explain) *explain = NULL;
    sqlite3_stmt *q = stmt(s, Q_PRED_LATEST);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, symbol, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(q, 2, horizon_h);
    sqlite3_bind_int64(q, 3, at_ms);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) return fail(s, "read prediction");
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

static int sq_get_predictions(cpe_store_t *b, const char *symbol, int horizon_h, int64_t from_ms,
                              int64_t to_ms, cpe_prediction_t **out, size_t *n)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = stmt(s, Q_PRED_RANGE);
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
    return rc == SQLITE_DONE ? 0 : fail(s, "read predictions");
}

static int sq_set_meta(cpe_store_t *b, const char *key, const char *value)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = stmt(s, Q_META_SET);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : fail(s, "write meta");
}

static int sq_get_meta(cpe_store_t *b, const char *key, char *value, size_t cap)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = stmt(s, Q_META_GET);
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) return fail(s, "read meta");
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

static int sq_each_prediction(cpe_store_t *b, cpe_store_prediction_fn fn, void *ctx)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = stmt(s, Q_PRED_ALL);
    if (!q) return CPE_ESTORE;
    int rc, err = 0;
    cpe_prediction_t p;
    while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
        if ((err = rec_from_blob(s, q, 0, &p)) == 0)
            err = fn(ctx, &p, (const char *)sqlite3_column_text(q, 1));
    sqlite3_reset(q);
    if (err) return err;
    return rc == SQLITE_DONE ? 0 : fail(s, "read predictions");
}

static int sq_each_meta(cpe_store_t *b, cpe_store_meta_fn fn, void *ctx)
{
    sq_store_t *s = (sq_store_t *)b;
    sqlite3_stmt *q = stmt(s, Q_META_ALL);
    if (!q) return CPE_ESTORE;
    int rc, err = 0;
    while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
        err = fn(ctx, (const char *)sqlite3_column_text(q, 0),
                 (const char *)sqlite3_column_text(q, 1));
    sqlite3_reset(q);
    if (err) return err;
    return rc == SQLITE_DONE ? 0 : fail(s, "read meta");
}

/* Reads of several statements (count, then rows) see one snapshot: outside a write
 * transaction they run in a deferred read transaction, so a concurrent `cpe import`
 * in another process cannot change the data between them. */
static int read_begin(sq_store_t *s, int *own)
{
    *own = !s->in_tx && sqlite3_get_autocommit(s->db);
    return *own ? exec1(s, Q_BEGIN_READ, "begin read") : 0;
}

static int read_end(sq_store_t *s, int own, int rc)
{
    if (own) {
        int r = exec1(s, Q_COMMIT, "end read");
        if (rc == 0) rc = r;
    }
    return rc;
}

static int sq_get_klines(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms,
                         cpe_kline_t **out, size_t *n)
{
    int own, rc = read_begin((sq_store_t *)b, &own);
    if (rc == 0) rc = get_klines_snap(b, series, from_ms, to_ms, out, n);
    return read_end((sq_store_t *)b, own, rc);
}

static int sq_get_points(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms,
                         cpe_point_t **out, size_t *n)
{
    int own, rc = read_begin((sq_store_t *)b, &own);
    if (rc == 0) rc = get_points_snap(b, series, from_ms, to_ms, out, n);
    return read_end((sq_store_t *)b, own, rc);
}

static int sq_list_series(cpe_store_t *b, cpe_series_info_t **out, size_t *n)
{
    int own, rc = read_begin((sq_store_t *)b, &own);
    if (rc == 0) rc = list_series_snap(b, out, n);
    return read_end((sq_store_t *)b, own, rc);
}

static const cpe_store_ops_t sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .series_id = sq_series_id,
    .list_series = sq_list_series,
    .put_klines = sq_put_klines,
    .get_klines = sq_get_klines,
    .put_points = sq_put_points,
    .get_points = sq_get_points,
    .put_prediction = sq_put_prediction,
    .get_prediction = sq_get_prediction,
    .get_predictions = sq_get_predictions,
    .set_meta = sq_set_meta,
    .get_meta = sq_get_meta,
    .series_get = sq_series_get,
    .each_prediction = sq_each_prediction,
    .each_meta = sq_each_meta,
    .put_run = cpe_sq_put_run,
    .list_runs = cpe_sq_list_runs,
    .get_run = cpe_sq_get_run,
};

sqlite3 *cpe_sq_db(cpe_store_t *b)
{
    return ((sq_store_t *)b)->db;
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path, cpe_diag_t *d)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) return cpe_diag_set(d, CPE_EINVAL, "store path is too long");
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            *p = '/';
            return cpe_diag_set(d, CPE_EIO, "%s: cannot create directory: %s", path, strerror(e));
        }
        *p = '/';
    }
    return 0;
}

int cpe_store_sqlite_open(const char *path, cpe_store_t **out, cpe_diag_t *d)
{
    *out = NULL;
    int rc = make_parent_dirs(path, d);
    if (rc) return rc;
    sq_store_t *s = calloc(1, sizeof *s);
    if (!s) return cpe_diag_set(d, CPE_ENOMEM, "out of memory opening %s", path);
    s->base.ops = &sqlite_ops;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = cpe_diag_set(d, CPE_ESTORE, "%s: cannot open: %s", path,
                          s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 10000);
    char *err = NULL;
    if (sqlite3_exec(s->db, PRAGMAS, NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(s->db, schema_sql, NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(s->db, cpe_sq_runs_schema, NULL, NULL, &err) != SQLITE_OK) {
        rc = cpe_diag_set(d, CPE_ESTORE, "%s: %s", path, err ? err : sqlite3_errmsg(s->db));
        sqlite3_free(err);
        goto fail;
    }
    *out = &s->base;
    return 0;
fail:
    sq_close(&s->base);
    return rc;
}
