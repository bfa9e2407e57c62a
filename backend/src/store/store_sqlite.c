/* store_sqlite.c — the SQLite backend of cpe/store.h (schema drawn there; docs/STORE.md):
 * statements, schema, transactions, series and open; the rows are store_sqlite_rows.c.
 *
 * Klines are kept one row per (series, UTC day) as a blob of packed cpe_kline_t records
 * sorted by ts; an upsert reads the day's chunk, merges, and writes it back only when a
 * row is new or changed. Every other kind is one `point` row per (series, ts, seq).
 * Prepared statements live in the store struct. Writes outside an explicit begin() run
 * in their own transaction, so a put is always all-or-nothing. */
#include "cpe/store.h"
#include "cpe/timeutil.h"
#include "store/kline_merge.h"
#include "store/sq_int.h"
#include "store/sqlite_int.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
#define PRAGMAS "PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"

/* A connection's memory (cpe/store.h, Memory): a map of the file of up to CPE_STORE_MMAP_MB
 * (1024) MiB — reads of day chunks come straight from it — and a page cache of at most
 * CPE_STORE_CACHE_MB (64) MiB. A map is counted in the process's RSS for every page its
 * connection touched: `cpe serve`, whose connections live for days on a growing store, sets
 * 0 and 16 (api/server.c). */
static long env_mb(const char *name, long def, long max)
{
    const char *v = getenv(name);
    if (!v || !*v) return def;
    char *end;
    long x = strtol(v, &end, 10);
    return *end || x < 0 ? def : x > max ? max : x;
}

static int set_memory(sqlite3 *db)
{
    char sql[128];
    long mmap_mb = env_mb("CPE_STORE_MMAP_MB", 1024, 1 << 20);
    long cache_mb = env_mb("CPE_STORE_CACHE_MB", 64, 1 << 20);
    snprintf(sql, sizeof sql, "PRAGMA mmap_size=%lld; PRAGMA cache_size=%lld;",
             (long long)mmap_mb << 20, -(long long)cache_mb * 1024);
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

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

int sq_fail(sq_store_t *s, const char *what)
{
    return cpe_diag_set(&s->base.diag, CPE_ESTORE, "sqlite: %s: %s", what, sqlite3_errmsg(s->db));
}

sqlite3_stmt *sq_stmt(sq_store_t *s, int i)
{
    if (!s->q[i] && sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
                                       NULL) != SQLITE_OK) {
        sq_fail(s, "prepare");
        return NULL;
    }
    sqlite3_reset(s->q[i]);
    sqlite3_clear_bindings(s->q[i]);
    return s->q[i];
}

static int exec1(sq_store_t *s, int i, const char *what)
{
    sqlite3_stmt *st = sq_stmt(s, i);
    if (!st) return CPE_ESTORE;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, what);
}

/* Implicit transactions: a write outside begin() wraps itself. */
int sq_auto_begin(sq_store_t *s, int *own)
{
    *own = !s->in_tx && sqlite3_get_autocommit(s->db);
    return *own ? exec1(s, Q_BEGIN, "begin") : 0;
}

int sq_auto_end(sq_store_t *s, int own, int rc)
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
        sqlite3_stmt *st = sq_stmt(s, Q_SERIES_INS);
        if (!st) return CPE_ESTORE;
        sqlite3_bind_text(st, 1, instrument, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, interval_ms);
        sqlite3_bind_int(st, 4, simulated ? 1 : 0);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return sq_fail(s, "create series");
    }
    sqlite3_stmt *st = sq_stmt(s, Q_SERIES_SEL);
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
    if (rc != SQLITE_DONE) return sq_fail(s, "find series");
    return cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no series %s %s in the store", instrument, kind);
}

static int is_kline_kind(const char *kind)
{
    return !strncmp(kind, "kline:", 6);
}

int64_t sq_le64(const void *p)
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
    sqlite3_stmt *st = sq_stmt(s, kl ? Q_CHUNK_STATS : Q_POINT_STATS);
    if (!st) return CPE_ESTORE;
    sqlite3_bind_int64(st, 1, si->id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return sq_fail(s, "series stats");
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
    sq_span_memo_t *m = &s->span[(uint64_t)si->id % SQ_SPAN_MEMO];
    if (m->id == si->id && m->count == si->count && m->day_a == a && m->day_z == z) {
        si->first_ts = m->first_ts;
        si->last_ts = m->last_ts;
        return 0;
    }
    for (int edge = 0; edge < 2; edge++) {
        st = sq_stmt(s, Q_CHUNK_EDGE);
        if (!st) return CPE_ESTORE;
        sqlite3_bind_int64(st, 1, si->id);
        sqlite3_bind_int64(st, 2, edge ? z : a);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, edge) == 8) {
            int64_t t = sq_le64(sqlite3_column_blob(st, edge));
            if (edge)
                si->last_ts = t;
            else
                si->first_ts = t;
        }
        sqlite3_reset(st);
    }
    *m = (sq_span_memo_t){si->id, si->count, a, z, si->first_ts, si->last_ts};
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
    sqlite3_stmt *st = sq_stmt(s, Q_SERIES_BYID);
    if (!st) return CPE_ESTORE;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return sq_fail(s, "series");
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
    sqlite3_stmt *st = sq_stmt(s, Q_SERIES_ALL);
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
        return sq_fail(s, "list series");
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
    if (rc == 0) rc = sq_get_klines_snap(b, series, from_ms, to_ms, out, n);
    return read_end((sq_store_t *)b, own, rc);
}

static int sq_get_points(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms,
                         cpe_point_t **out, size_t *n)
{
    int own, rc = read_begin((sq_store_t *)b, &own);
    if (rc == 0) rc = sq_get_points_snap(b, series, from_ms, to_ms, out, n);
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

/* Whether every table and index of the schema exists (every open but a new file's). The
 * schema's DDL and its schema_version insert take the write lock even when they change
 * nothing, so a connection opened while a writer held the lock past the busy timeout (the
 * live pipeline's start-up fill) failed; this read does not wait (WAL). */
static int schema_present(sqlite3 *db)
{
    static const char q[] = "SELECT count(*) FROM sqlite_master WHERE name IN ('series',"
                            "'kline_chunk','point','prediction','meta','bt_run','bt_run_created')";
    sqlite3_stmt *st = NULL;
    int n = 0;
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n == 7;
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
        set_memory(s->db) != SQLITE_OK ||
        (!schema_present(s->db) &&
         (sqlite3_exec(s->db, schema_sql, NULL, NULL, &err) != SQLITE_OK ||
          sqlite3_exec(s->db, cpe_sq_runs_schema, NULL, NULL, &err) != SQLITE_OK))) {
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
