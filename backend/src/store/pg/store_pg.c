/* store_pg.c — the PostgreSQL backend of cpe/store.h (model and schema in cpe/store_pg.h):
 * connection, prepared statements, transactions, series, predictions and meta. Klines and
 * points are in store_pg_bars.c, migrations and partitions in store_pg_schema.c. */
#include "cpe/store_pg.h"
#include "store/pg/pg_int.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row per prepared statement: the table the code iterates. Integers are int8 on both
 * sides, so binary parameters need no type list. */
static const char *const sql_text[PQ_COUNT] = {
    [PQ_SERIES_INS] = "INSERT INTO series(instrument,kind,interval_ms,simulated) "
                      "VALUES($1,$2,$3,$4) ON CONFLICT (instrument,kind) DO NOTHING",
    [PQ_SERIES_SEL] = "SELECT id FROM series WHERE instrument=$1 AND kind=$2",
    [PQ_SERIES_BYID] = "SELECT id,instrument,kind,interval_ms,simulated FROM series WHERE id=$1",
    [PQ_SERIES_ALL] = "SELECT id,instrument,kind,interval_ms,simulated FROM series "
                      "ORDER BY instrument COLLATE \"C\",kind COLLATE \"C\"",
    /* count, first and last open time: the first 8 bytes of the first chunk and of the
     * last record of the last chunk (substring reads only that slice of a TOASTed value) */
    [PQ_KLINE_STATS] =
        "SELECT (SELECT COALESCE(sum(n),0)::int8 FROM kline_chunk WHERE series_id=$1),"
        " (SELECT substring(data FROM 1 FOR 8) FROM kline_chunk WHERE series_id=$1"
        "  ORDER BY day LIMIT 1),"
        " (SELECT substring(data FROM ((n-1)*80+1)::int4 FOR 8) FROM kline_chunk WHERE series_id=$1"
        "  ORDER BY day DESC LIMIT 1)",
    [PQ_POINT_STATS] = "SELECT count(*),min(ts),max(ts) FROM point WHERE series_id=$1",
    [PQ_CHUNK_RANGE] = "SELECT day,data FROM kline_chunk WHERE series_id=$1 AND day>=$2 "
                       "AND day<=$3 ORDER BY day",
    [PQ_CHUNK_COUNT] = "SELECT COALESCE(sum(n),0)::int8 FROM kline_chunk WHERE series_id=$1 "
                       "AND day>=$2 AND day<=$3",
    [PQ_CHUNK_DEL] = "DELETE FROM kline_chunk WHERE series_id=$1 AND day=ANY($2::int8[])",
    [PQ_POINT_MERGE] =
        "WITH s AS (SELECT i.*, p.ts IS NOT NULL AS ex, p.ts IS NOT NULL"
        "  AND p.v0 IS NOT DISTINCT FROM i.v0 AND p.v1 IS NOT DISTINCT FROM i.v1"
        "  AND p.v2 IS NOT DISTINCT FROM i.v2 AND p.v3 IS NOT DISTINCT FROM i.v3"
        "  AND p.v4 IS NOT DISTINCT FROM i.v4 AND p.v5 IS NOT DISTINCT FROM i.v5 AS same"
        "  FROM pt_in i LEFT JOIN point p ON p.series_id=$1 AND p.ts=i.ts AND p.seq=i.seq),"
        " w AS (INSERT INTO point SELECT $1::int8,ts,seq,v0,v1,v2,v3,v4,v5 FROM s"
        "  WHERE NOT same ON CONFLICT (series_id,ts,seq) DO UPDATE SET v0=EXCLUDED.v0,"
        "  v1=EXCLUDED.v1,v2=EXCLUDED.v2,v3=EXCLUDED.v3,v4=EXCLUDED.v4,v5=EXCLUDED.v5)"
        " SELECT count(*) FILTER (WHERE NOT ex), count(*) FILTER (WHERE ex AND NOT same),"
        " count(*) FILTER (WHERE same) FROM s",
    [PQ_POINT_RANGE] = "SELECT ts,seq,v0,v1,v2,v3,v4,v5 FROM point WHERE series_id=$1 AND "
                       "ts>=$2 AND ts<$3 ORDER BY ts,seq",
    [PQ_PRED_PUT] = "INSERT INTO prediction(symbol,horizon_h,ts,model_version,rec,explain) "
                    "VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT (symbol,horizon_h,ts) DO UPDATE SET "
                    "model_version=EXCLUDED.model_version,rec=EXCLUDED.rec,"
                    "explain=EXCLUDED.explain",
    [PQ_PRED_LATEST] = "SELECT rec,explain FROM prediction WHERE symbol=$1 AND horizon_h=$2 AND "
                       "ts<=$3 ORDER BY ts DESC LIMIT 1",
    [PQ_PRED_RANGE] = "SELECT rec FROM prediction WHERE symbol=$1 AND horizon_h=$2 AND ts>=$3 "
                      "AND ts<$4 ORDER BY ts",
    [PQ_PRED_ALL] = "SELECT rec,explain FROM prediction ORDER BY symbol COLLATE \"C\","
                    "horizon_h,ts",
    [PQ_META_SET] = "INSERT INTO meta(key,value) VALUES($1,$2) ON CONFLICT (key) DO UPDATE SET "
                    "value=EXCLUDED.value",
    [PQ_META_GET] = "SELECT value FROM meta WHERE key=$1",
    [PQ_META_ALL] = "SELECT key,value FROM meta ORDER BY key COLLATE \"C\"",
    [PQ_LOCK_SERIES] = "SELECT pg_advisory_xact_lock($1)",
};

/* ---- helpers (pg_int.h) ------------------------------------------------------------ */

void pg_p_i64(pg_params_t *p, int64_t x)
{
    int k = p->n++;
    p->i[k] = htobe64((uint64_t)x);
    p->v[k] = (const char *)&p->i[k];
    p->len[k] = 8;
    p->fmt[k] = 1;
}

void pg_p_text(pg_params_t *p, const char *s)
{
    int k = p->n++;
    p->v[k] = s;
    p->len[k] = 0;
    p->fmt[k] = 0;
}

void pg_p_bytes(pg_params_t *p, const void *b, size_t n)
{
    int k = p->n++;
    p->v[k] = b;
    p->len[k] = (int)n;
    p->fmt[k] = 1;
}

int pg_fail(pg_store_t *s, const char *what, const PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : "";
    if (!m || !*m) m = PQerrorMessage(s->c);
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    return cpe_diag_set(&s->base.diag, CPE_ESTORE, "postgres: %s: %.*s", what, (int)n, m);
}

PGresult *pg_run(pg_store_t *s, int q, const pg_params_t *p, int binary)
{
    if (!s->prepared[q]) {
        char name[16];
        snprintf(name, sizeof name, "cpe%d", q);
        PGresult *r = PQprepare(s->c, name, sql_text[q], 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            pg_fail(s, "prepare", r);
            PQclear(r);
            return NULL;
        }
        PQclear(r);
        s->prepared[q] = 1;
    }
    char name[16];
    snprintf(name, sizeof name, "cpe%d", q);
    PGresult *r = PQexecPrepared(s->c, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
                                 p ? p->fmt : NULL, binary);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    pg_fail(s, "query", r);
    PQclear(r);
    return NULL;
}

int pg_exec(pg_store_t *s, const char *sql, const char *what)
{
    PGresult *r = PQexec(s->c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : pg_fail(s, what, r);
    PQclear(r);
    return rc;
}

int64_t pg_be64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return (int64_t)be64toh(v);
}

double pg_bef64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    v = be64toh(v);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

int64_t pg_get_i64(const PGresult *r, int row, int col, int64_t def)
{
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8) return def;
    return pg_be64(PQgetvalue(r, row, col));
}

/* ---- transactions -------------------------------------------------------------------- */

int pg_auto_begin(pg_store_t *s, int *own)
{
    *own = !s->in_tx && PQtransactionStatus(s->c) == PQTRANS_IDLE;
    return *own ? pg_exec(s, "BEGIN", "begin") : 0;
}

int pg_auto_end(pg_store_t *s, int own, int rc)
{
    if (!own) return rc;
    if (rc == 0) return pg_exec(s, "COMMIT", "commit");
    pg_exec(s, "ROLLBACK", "rollback");
    s->nmonths = 0; /* partitions made in the transaction are gone */
    return rc;
}

static int pgs_begin(cpe_store_t *b)
{
    pg_store_t *s = (pg_store_t *)b;
    if (s->in_tx) return cpe_diag_set(&b->diag, CPE_EINVAL, "postgres: begin inside a transaction");
    int rc = pg_exec(s, "BEGIN", "begin");
    if (rc == 0) s->in_tx = 1;
    return rc;
}

static int pgs_commit(cpe_store_t *b)
{
    pg_store_t *s = (pg_store_t *)b;
    if (!s->in_tx) return cpe_diag_set(&b->diag, CPE_EINVAL, "postgres: commit without begin");
    s->in_tx = 0;
    int rc = pg_exec(s, "COMMIT", "commit");
    if (rc) s->nmonths = 0;
    return rc;
}

static int pgs_rollback(cpe_store_t *b)
{
    pg_store_t *s = (pg_store_t *)b;
    if (!s->in_tx) return 0;
    s->in_tx = 0;
    s->nmonths = 0;
    return pg_exec(s, "ROLLBACK", "rollback");
}

static void pgs_close(cpe_store_t *b)
{
    pg_store_t *s = (pg_store_t *)b;
    if (!s) return;
    if (s->in_tx) pgs_rollback(b);
    PQfinish(s->c);
    free(s->merge);
    free(s);
}

/* ---- series ---------------------------------------------------------------------------- */

static int pgs_series_id(cpe_store_t *b, const char *instrument, const char *kind,
                         int64_t interval_ms, int simulated, int create, int64_t *id)
{
    pg_store_t *s = (pg_store_t *)b;
    pg_params_t p = {0};
    pg_p_text(&p, instrument);
    pg_p_text(&p, kind);
    if (create) {
        pg_p_i64(&p, interval_ms);
        pg_p_i64(&p, simulated ? 1 : 0);
        PGresult *r = pg_run(s, PQ_SERIES_INS, &p, 1);
        if (!r) return CPE_ESTORE;
        PQclear(r);
        p.n = 2;
    }
    PGresult *r = pg_run(s, PQ_SERIES_SEL, &p, 1);
    if (!r) return CPE_ESTORE;
    int found = PQntuples(r) == 1;
    if (found) *id = pg_get_i64(r, 0, 0, -1);
    PQclear(r);
    if (found) return 0;
    return cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no series %s %s in the store", instrument, kind);
}

static int64_t le64(const char *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int series_stats(pg_store_t *s, cpe_series_info_t *si)
{
    si->count = 0;
    si->first_ts = INT64_MAX;
    si->last_ts = INT64_MIN;
    int kl = !strncmp(si->kind, "kline:", 6);
    pg_params_t p = {0};
    pg_p_i64(&p, si->id);
    PGresult *r = pg_run(s, kl ? PQ_KLINE_STATS : PQ_POINT_STATS, &p, 1);
    if (!r) return CPE_ESTORE;
    si->count = pg_get_i64(r, 0, 0, 0);
    if (si->count > 0 && !kl) {
        si->first_ts = pg_get_i64(r, 0, 1, INT64_MAX);
        si->last_ts = pg_get_i64(r, 0, 2, INT64_MIN);
    } else if (si->count > 0 && PQgetlength(r, 0, 1) == 8 && PQgetlength(r, 0, 2) == 8) {
        si->first_ts = le64(PQgetvalue(r, 0, 1));
        si->last_ts = le64(PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return 0;
}

static void row_to_info(const PGresult *r, int row, cpe_series_info_t *si)
{
    memset(si, 0, sizeof *si);
    si->id = pg_get_i64(r, row, 0, -1);
    snprintf(si->instrument, sizeof si->instrument, "%s", PQgetvalue(r, row, 1));
    snprintf(si->kind, sizeof si->kind, "%s", PQgetvalue(r, row, 2));
    si->interval_ms = pg_get_i64(r, row, 3, 0);
    si->simulated = (int)pg_get_i64(r, row, 4, 0);
}

static int pgs_series_get(cpe_store_t *b, int64_t id, cpe_series_info_t *out)
{
    pg_store_t *s = (pg_store_t *)b;
    pg_params_t p = {0};
    pg_p_i64(&p, id);
    PGresult *r = pg_run(s, PQ_SERIES_BYID, &p, 1);
    if (!r) return CPE_ESTORE;
    int found = PQntuples(r) == 1;
    if (found) row_to_info(r, 0, out);
    PQclear(r);
    if (!found)
        return cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no series with id %lld", (long long)id);
    return series_stats(s, out);
}

static int pgs_list_series(cpe_store_t *b, cpe_series_info_t **out, size_t *n)
{
    pg_store_t *s = (pg_store_t *)b;
    *out = NULL;
    *n = 0;
    int own = !s->in_tx && PQtransactionStatus(s->c) == PQTRANS_IDLE;
    /* one snapshot for the list and every series' stats */
    if (own && pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin read"))
        return CPE_ESTORE;
    int rc = 0;
    cpe_series_info_t *v = NULL;
    PGresult *r = pg_run(s, PQ_SERIES_ALL, NULL, 1);
    if (!r) {
        rc = CPE_ESTORE;
        goto out;
    }
    size_t len = (size_t)PQntuples(r);
    v = calloc(len ? len : 1, sizeof *v);
    if (!v) rc = cpe_diag_set(&b->diag, CPE_ENOMEM, "out of memory listing series");
    for (size_t i = 0; v && i < len; i++)
        row_to_info(r, (int)i, &v[i]);
    PQclear(r);
    for (size_t i = 0; v && rc == 0 && i < len; i++)
        rc = series_stats(s, &v[i]);
    if (rc == 0) {
        *out = v;
        *n = len;
        v = NULL;
    }
out:
    free(v);
    if (own) pg_exec(s, rc ? "ROLLBACK" : "COMMIT", "end read");
    return rc;
}

/* ---- predictions and meta ------------------------------------------------------------- */

static int rec_from(pg_store_t *s, const PGresult *r, int row, cpe_prediction_t *out)
{
    int len = PQgetlength(r, row, 0);
    if (len != (int)sizeof *out)
        return cpe_diag_set(&s->base.diag, CPE_ESTORE,
                            "stored prediction record has %d bytes, this build expects %zu "
                            "(the record layout changed; re-run the model)",
                            len, sizeof *out);
    memcpy(out, PQgetvalue(r, row, 0), sizeof *out);
    return 0;
}

static int pgs_put_prediction(cpe_store_t *b, const cpe_prediction_t *pr, const char *explain)
{
    pg_store_t *s = (pg_store_t *)b;
    pg_params_t p = {0};
    pg_p_text(&p, pr->symbol);
    pg_p_i64(&p, pr->horizon_h);
    pg_p_i64(&p, pr->ts_ms);
    pg_p_text(&p, pr->model_version);
    pg_p_bytes(&p, pr, sizeof *pr);
    pg_p_text(&p, explain);
    PGresult *r = pg_run(s, PQ_PRED_PUT, &p, 1);
    PQclear(r);
    return r ? 0 : CPE_ESTORE;
}

static int pgs_get_prediction(cpe_store_t *b, const char *symbol, int horizon_h, int64_t at_ms,
                              cpe_prediction_t *out, char **explain)
{
    pg_store_t *s = (pg_store_t *)b;
    if (explain) *explain = NULL;
    pg_params_t p = {0};
    pg_p_text(&p, symbol);
    pg_p_i64(&p, horizon_h);
    pg_p_i64(&p, at_ms);
    PGresult *r = pg_run(s, PQ_PRED_LATEST, &p, 1);
    if (!r) return CPE_ESTORE;
    int rc;
    if (PQntuples(r) != 1)
        rc = cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no %s %dh prediction at or before %lld", symbol,
                          horizon_h, (long long)at_ms);
    else
        rc = rec_from(s, r, 0, out);
    if (rc == 0 && explain && !PQgetisnull(r, 0, 1)) {
        *explain = strdup(PQgetvalue(r, 0, 1));
        if (!*explain) rc = cpe_diag_set(&b->diag, CPE_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc;
}

static int pgs_get_predictions(cpe_store_t *b, const char *symbol, int horizon_h, int64_t from_ms,
                               int64_t to_ms, cpe_prediction_t **out, size_t *n)
{
    pg_store_t *s = (pg_store_t *)b;
    pg_params_t p = {0};
    pg_p_text(&p, symbol);
    pg_p_i64(&p, horizon_h);
    pg_p_i64(&p, from_ms);
    pg_p_i64(&p, to_ms);
    PGresult *r = pg_run(s, PQ_PRED_RANGE, &p, 1);
    if (!r) return CPE_ESTORE;
    size_t rows = (size_t)PQntuples(r);
    int rc = 0;
    if (rows) {
        cpe_prediction_t *v = realloc(*out, (*n + rows) * sizeof *v);
        if (!v)
            rc = cpe_diag_set(&b->diag, CPE_ENOMEM, "out of memory reading predictions");
        else
            *out = v;
    }
    for (size_t i = 0; rc == 0 && i < rows; i++)
        if ((rc = rec_from(s, r, (int)i, *out + *n)) == 0) (*n)++;
    PQclear(r);
    return rc;
}

static int pgs_each_prediction(cpe_store_t *b, cpe_store_prediction_fn fn, void *ctx)
{
    pg_store_t *s = (pg_store_t *)b;
    PGresult *r = pg_run(s, PQ_PRED_ALL, NULL, 1);
    if (!r) return CPE_ESTORE;
    int rc = 0;
    cpe_prediction_t pr;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        if ((rc = rec_from(s, r, i, &pr)) == 0)
            rc = fn(ctx, &pr, PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1));
    PQclear(r);
    return rc;
}

static int pgs_set_meta(cpe_store_t *b, const char *key, const char *value)
{
    pg_params_t p = {0};
    pg_p_text(&p, key);
    pg_p_text(&p, value);
    PGresult *r = pg_run((pg_store_t *)b, PQ_META_SET, &p, 0);
    PQclear(r);
    return r ? 0 : CPE_ESTORE;
}

static int pgs_get_meta(cpe_store_t *b, const char *key, char *value, size_t cap)
{
    pg_params_t p = {0};
    pg_p_text(&p, key);
    PGresult *r = pg_run((pg_store_t *)b, PQ_META_GET, &p, 0);
    if (!r) return CPE_ESTORE;
    int rc = 0;
    if (PQntuples(r) != 1) {
        rc = cpe_diag_set(&b->diag, CPE_ENOTFOUND, "no meta key '%s'", key);
    } else {
        const char *t = PQgetvalue(r, 0, 0);
        size_t len = strlen(t);
        if (len >= cap)
            rc = cpe_diag_set(&b->diag, CPE_ETOOBIG, "meta '%s' is longer than %zu", key, cap);
        else
            memcpy(value, t, len + 1);
    }
    PQclear(r);
    return rc;
}

static int pgs_each_meta(cpe_store_t *b, cpe_store_meta_fn fn, void *ctx)
{
    PGresult *r = pg_run((pg_store_t *)b, PQ_META_ALL, NULL, 0);
    if (!r) return CPE_ESTORE;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        rc = fn(ctx, PQgetvalue(r, i, 0), PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1));
    PQclear(r);
    return rc;
}

static const cpe_store_ops_t pg_ops = {
    .name = "postgres",
    .close = pgs_close,
    .begin = pgs_begin,
    .commit = pgs_commit,
    .rollback = pgs_rollback,
    .series_id = pgs_series_id,
    .list_series = pgs_list_series,
    .put_klines = pg_put_klines,
    .get_klines = pg_get_klines,
    .put_points = pg_put_points,
    .get_points = pg_get_points,
    .put_prediction = pgs_put_prediction,
    .get_prediction = pgs_get_prediction,
    .get_predictions = pgs_get_predictions,
    .set_meta = pgs_set_meta,
    .get_meta = pgs_get_meta,
    .series_get = pgs_series_get,
    .each_prediction = pgs_each_prediction,
    .each_meta = pgs_each_meta,
    .put_run = pg_put_run,
    .list_runs = pg_list_runs,
    .get_run = pg_get_run,
};

static void no_notices(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Connect; the schema is not checked. */
static int connect_url(const char *url, pg_store_t **out, cpe_diag_t *d)
{
    *out = NULL;
    pg_store_t *s = calloc(1, sizeof *s);
    if (!s) return cpe_diag_set(d, CPE_ENOMEM, "out of memory opening %s", url);
    s->base.ops = &pg_ops;
    s->c = PQconnectdb(url);
    if (!s->c || PQstatus(s->c) != CONNECTION_OK) {
        const char *m = s->c ? PQerrorMessage(s->c) : "out of memory";
        size_t n = strlen(m);
        while (n && m[n - 1] == '\n')
            n--;
        int rc = cpe_diag_set(d, CPE_ESTORE, "%s: cannot connect: %.*s", url, (int)n, m);
        pgs_close(&s->base);
        return rc;
    }
    PQsetNoticeProcessor(s->c, no_notices, NULL);
    *out = s;
    return 0;
}

int cpe_store_pg_open(const char *url, cpe_store_t **out, cpe_diag_t *d)
{
    pg_store_t *s;
    int v = 0, rc = connect_url(url, &s, d);
    if (rc) return rc;
    if ((rc = pg_schema_version(s, &v)) != 0) {
        cpe_diag_set(d, rc, "%s: %s", url, s->base.diag.msg);
    } else if (v != pg_schema_latest()) {
        rc = cpe_diag_set(d, CPE_EUNSUPPORTED,
                          "%s: the schema is at version %d, this build needs %d (%s)", url, v,
                          pg_schema_latest(),
                          v < pg_schema_latest() ? "run `cpe migrate --db URL`" : "upgrade cpe");
    }
    if (rc) {
        pgs_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

int cpe_store_pg_migrate(const char *url, int *from, int *to, cpe_diag_t *d)
{
    pg_store_t *s;
    int rc = connect_url(url, &s, d);
    if (rc) return rc;
    *from = *to = 0;
    if ((rc = pg_migrate(s, from, to)) != 0) cpe_diag_set(d, rc, "%s: %s", url, s->base.diag.msg);
    pgs_close(&s->base);
    return rc;
}
