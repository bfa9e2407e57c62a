/* store_runs_sqlite.c — saved backtest runs in SQLite: the bt_run table of cpe/store.h.
 * A run is written once when it finishes and read by the cockpit (GET /backtests), so the
 * statements are prepared per call rather than kept in the store struct. */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cpe_sq_runs_schema[] =
    "CREATE TABLE IF NOT EXISTS bt_run(id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL,"
    " instrument TEXT NOT NULL, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL,"
    " data_version TEXT NOT NULL, model_version TEXT NOT NULL, strategy TEXT NOT NULL,"
    " metrics TEXT NOT NULL, result TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS bt_run_created ON bt_run(created_ms, id);";

#define RUN_COLS                                                                                   \
    "id,created_ms,instrument,from_ms,to_ms,data_version,model_version,strategy,metrics"

static int fail(cpe_store_t *s, const char *what)
{
    return cpe_diag_set(&s->diag, CPE_ESTORE, "sqlite: %s: %s", what, sqlite3_errmsg(cpe_sq_db(s)));
}

static sqlite3_stmt *prepare(cpe_store_t *s, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(cpe_sq_db(s), sql, -1, &q, NULL) != SQLITE_OK) {
        fail(s, "prepare");
        sqlite3_finalize(q);
        return NULL;
    }
    return q;
}

int cpe_sq_put_run(cpe_store_t *s, const cpe_store_run_t *r)
{
    if (!r->strategy_json || !r->metrics_json || !r->result_json || !r->id[0])
        return cpe_diag_set(&s->diag, CPE_EINVAL,
                            "saved run: id, strategy, metrics and result "
                            "are required");
    sqlite3_stmt *q = prepare(s, "INSERT OR REPLACE INTO bt_run(" RUN_COLS
                                 ",result) VALUES(?,?,?,?,?,?,?,?,?,?)");
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, r->created_ms);
    sqlite3_bind_text(q, 3, r->instrument, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, r->from_ms);
    sqlite3_bind_int64(q, 5, r->to_ms);
    sqlite3_bind_text(q, 6, r->data_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, r->model_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, r->strategy_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 9, r->metrics_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 10, r->result_json, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : fail(s, "save run");
    sqlite3_finalize(q);
    return rc;
}

static void copy_col(sqlite3_stmt *q, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static char *dup_col(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    size_t n = (size_t)sqlite3_column_bytes(q, col);
    char *o = malloc(n + 1);
    if (o) {
        if (t) memcpy(o, t, n);
        o[n] = 0;
    }
    return o;
}

/* The RUN_COLS of the current row (plus result at column 9 when with_result). */
static int read_row(cpe_store_t *s, sqlite3_stmt *q, int with_result, cpe_store_run_t *r)
{
    memset(r, 0, sizeof *r);
    copy_col(q, 0, r->id, sizeof r->id);
    r->created_ms = sqlite3_column_int64(q, 1);
    copy_col(q, 2, r->instrument, sizeof r->instrument);
    r->from_ms = sqlite3_column_int64(q, 3);
    r->to_ms = sqlite3_column_int64(q, 4);
    copy_col(q, 5, r->data_version, sizeof r->data_version);
    copy_col(q, 6, r->model_version, sizeof r->model_version);
    r->strategy_json = dup_col(q, 7);
    r->metrics_json = dup_col(q, 8);
    if (with_result) r->result_json = dup_col(q, 9);
    if (!r->strategy_json || !r->metrics_json || (with_result && !r->result_json)) {
        cpe_store_run_clear(r);
        return cpe_diag_set(&s->diag, CPE_ENOMEM, "saved run %s: out of memory", r->id);
    }
    return 0;
}

static int count_runs(cpe_store_t *s, size_t *total)
{
    sqlite3_stmt *q = prepare(s, "SELECT count(*) FROM bt_run");
    if (!q) return CPE_ESTORE;
    int rc = sqlite3_step(q) == SQLITE_ROW ? 0 : fail(s, "count runs");
    if (!rc) *total = (size_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return rc;
}

int cpe_sq_list_runs(cpe_store_t *s, size_t offset, size_t limit, cpe_store_run_t **out, size_t *n,
                     size_t *total)
{
    *out = NULL;
    *n = 0;
    int rc = count_runs(s, total);
    if (rc || !limit) return rc;
    sqlite3_stmt *q = prepare(s, "SELECT " RUN_COLS " FROM bt_run ORDER BY created_ms DESC, id DESC"
                                 " LIMIT ? OFFSET ?");
    if (!q) return CPE_ESTORE;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)limit);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)offset);
    cpe_store_run_t *a = calloc(limit, sizeof *a);
    if (!a) {
        sqlite3_finalize(q);
        return cpe_diag_set(&s->diag, CPE_ENOMEM, "out of memory listing %zu runs", limit);
    }
    int st = SQLITE_DONE;
    while (!rc && *n < limit && (st = sqlite3_step(q)) == SQLITE_ROW)
        if (!(rc = read_row(s, q, 0, &a[*n]))) ++*n;
    if (!rc && *n < limit && st != SQLITE_DONE) rc = fail(s, "list runs");
    sqlite3_finalize(q);
    if (rc) {
        cpe_store_runs_free(a, *n);
        *n = 0;
        return rc;
    }
    *out = a;
    return 0;
}

int cpe_sq_get_run(cpe_store_t *s, const char *id, cpe_store_run_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = prepare(s, "SELECT " RUN_COLS ",result FROM bt_run WHERE id=?");
    if (!q) return CPE_ESTORE;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int st = sqlite3_step(q), rc;
    if (st == SQLITE_ROW)
        rc = read_row(s, q, 1, out);
    else if (st == SQLITE_DONE)
        rc = cpe_diag_set(&s->diag, CPE_ENOTFOUND, "no saved run '%s'", id);
    else
        rc = fail(s, "read run");
    sqlite3_finalize(q);
    return rc;
}
