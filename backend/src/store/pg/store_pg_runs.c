/* store_pg_runs.c — saved backtest runs in PostgreSQL: the bt_run table (migration 2), the
 * same rows and order as the SQLite backend's (cpe/store.h). Runs are written once and
 * read now and then, so the statements go through PQexecParams unprepared. */
#include "store/pg/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_COLS                                                                                   \
    "id,created_ms,instrument,from_ms,to_ms,data_version,model_version,strategy,metrics"

static PGresult *exec(pg_store_t *s, const char *sql, const pg_params_t *p, const char *what)
{
    PGresult *r = PQexecParams(s->c, sql, p->n, NULL, p->v, p->len, p->fmt, 1);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    pg_fail(s, what, r);
    PQclear(r);
    return NULL;
}

int pg_put_run(cpe_store_t *b, const cpe_store_run_t *r)
{
    if (!r->strategy_json || !r->metrics_json || !r->result_json || !r->id[0])
        return cpe_diag_set(&b->diag, CPE_EINVAL,
                            "saved run: id, strategy, metrics and result "
                            "are required");
    pg_params_t p = {0};
    pg_p_text(&p, r->id);
    pg_p_i64(&p, r->created_ms);
    pg_p_text(&p, r->instrument);
    pg_p_i64(&p, r->from_ms);
    pg_p_i64(&p, r->to_ms);
    pg_p_text(&p, r->data_version);
    pg_p_text(&p, r->model_version);
    pg_p_text(&p, r->strategy_json);
    pg_p_text(&p, r->metrics_json);
    pg_p_text(&p, r->result_json);
    PGresult *res = exec((pg_store_t *)b,
                         "INSERT INTO bt_run(" RUN_COLS ",result) VALUES($1,$2,$3,$4,$5,$6,$7,$8,"
                         "$9,$10) ON CONFLICT (id) DO UPDATE SET created_ms=EXCLUDED.created_ms,"
                         "instrument=EXCLUDED.instrument,from_ms=EXCLUDED.from_ms,"
                         "to_ms=EXCLUDED.to_ms,data_version=EXCLUDED.data_version,"
                         "model_version=EXCLUDED.model_version,strategy=EXCLUDED.strategy,"
                         "metrics=EXCLUDED.metrics,result=EXCLUDED.result",
                         &p, "save run");
    if (!res) return CPE_ESTORE;
    PQclear(res);
    return 0;
}

/* A binary text field as a malloc'd string. */
static char *dup_field(const PGresult *r, int row, int col)
{
    int n = PQgetlength(r, row, col);
    char *o = malloc((size_t)n + 1);
    if (o) {
        memcpy(o, PQgetvalue(r, row, col), (size_t)n);
        o[n] = 0;
    }
    return o;
}

static void copy_field(const PGresult *r, int row, int col, char *dst, size_t cap)
{
    snprintf(dst, cap, "%.*s", PQgetlength(r, row, col), PQgetvalue(r, row, col));
}

static int read_row(cpe_store_t *b, const PGresult *res, int i, int with_result, cpe_store_run_t *r)
{
    memset(r, 0, sizeof *r);
    copy_field(res, i, 0, r->id, sizeof r->id);
    r->created_ms = pg_get_i64(res, i, 1, 0);
    copy_field(res, i, 2, r->instrument, sizeof r->instrument);
    r->from_ms = pg_get_i64(res, i, 3, 0);
    r->to_ms = pg_get_i64(res, i, 4, 0);
    copy_field(res, i, 5, r->data_version, sizeof r->data_version);
    copy_field(res, i, 6, r->model_version, sizeof r->model_version);
    r->strategy_json = dup_field(res, i, 7);
    r->metrics_json = dup_field(res, i, 8);
    if (with_result) r->result_json = dup_field(res, i, 9);
    if (!r->strategy_json || !r->metrics_json || (with_result && !r->result_json)) {
        cpe_store_run_clear(r);
        return cpe_diag_set(&b->diag, CPE_ENOMEM, "saved run %s: out of memory", r->id);
    }
    return 0;
}

int pg_list_runs(cpe_store_t *b, size_t offset, size_t limit, cpe_store_run_t **out, size_t *n,
                 size_t *total)
{
    pg_store_t *s = (pg_store_t *)b;
    *out = NULL;
    *n = 0;
    pg_params_t none = {0};
    PGresult *res = exec(s, "SELECT count(*) FROM bt_run", &none, "count runs");
    if (!res) return CPE_ESTORE;
    *total = (size_t)pg_get_i64(res, 0, 0, 0);
    PQclear(res);
    if (!limit) return 0;
    pg_params_t p = {0};
    pg_p_i64(&p, (int64_t)limit);
    pg_p_i64(&p, (int64_t)offset);
    res = exec(s,
               "SELECT " RUN_COLS " FROM bt_run ORDER BY created_ms DESC, id COLLATE \"C\" DESC"
               " LIMIT $1 OFFSET $2",
               &p, "list runs");
    if (!res) return CPE_ESTORE;
    int rows = PQntuples(res), rc = 0;
    cpe_store_run_t *a = calloc(rows ? (size_t)rows : 1, sizeof *a);
    if (!a) {
        PQclear(res);
        return cpe_diag_set(&b->diag, CPE_ENOMEM, "out of memory listing %d runs", rows);
    }
    for (int i = 0; !rc && i < rows; i++)
        if (!(rc = read_row(b, res, i, 0, &a[i]))) ++*n;
    PQclear(res);
    if (rc) {
        cpe_store_runs_free(a, *n);
        *n = 0;
        return rc;
    }
    *out = a;
    return 0;
}

int pg_get_run(cpe_store_t *b, const char *id, cpe_store_run_t *out)
{
    memset(out, 0, sizeof *out);
    pg_params_t p = {0};
    pg_p_text(&p, id);
    PGresult *res =
        exec((pg_store_t *)b, "SELECT " RUN_COLS ",result FROM bt_run WHERE id=$1", &p, "read run");
    if (!res) return CPE_ESTORE;
    int rc = PQntuples(res) == 1 ? read_row(b, res, 0, 1, out)
                                 : cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no saved run '%s'", id);
    PQclear(res);
    return rc;
}
