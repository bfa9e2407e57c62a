/* pg_int.h — what the PostgreSQL backend's files share (cpe/store_pg.h has the model):
 * the store struct, the prepared-statement table and small helpers for binary
 * parameters, results and COPY buffers. Internal to src/store/pg/. */
#ifndef CPE_STORE_PG_INT_H
#define CPE_STORE_PG_INT_H

#include "cpe/store.h"

#include <libpq-fe.h>
#include <stdint.h>

enum {
    PQ_SERIES_INS,
    PQ_SERIES_SEL,
    PQ_SERIES_BYID,
    PQ_SERIES_ALL,
    PQ_KLINE_STATS,
    PQ_POINT_STATS,
    PQ_CHUNK_RANGE,
    PQ_CHUNK_COUNT,
    PQ_CHUNK_DEL,
    PQ_POINT_MERGE,
    PQ_POINT_RANGE,
    PQ_PRED_PUT,
    PQ_PRED_LATEST,
    PQ_PRED_RANGE,
    PQ_PRED_ALL,
    PQ_META_SET,
    PQ_META_GET,
    PQ_META_ALL,
    PQ_LOCK_SERIES,
    PQ_COUNT
};

#define PG_MONTHS_MAX 512 /* partitions known to exist, cached per connection */

typedef struct pg_store {
    cpe_store_t base;
    PGconn *c;
    int in_tx; /* an explicit begin() is open */
    unsigned char prepared[PQ_COUNT];
    int64_t months[PG_MONTHS_MAX]; /* first day of each month whose partition exists */
    int nmonths;
    cpe_kline_t *merge; /* scratch for chunk merges */
    size_t merge_cap;
} pg_store_t;

/* Up to 10 parameters: int8 and bytea go binary, text as text; NULL text is SQL NULL. */
typedef struct pg_params {
    int n;
    const char *v[10];
    int len[10];
    int fmt[10];
    uint64_t i[10];
} pg_params_t;

void pg_p_i64(pg_params_t *p, int64_t x);
void pg_p_text(pg_params_t *p, const char *s);
void pg_p_bytes(pg_params_t *p, const void *b, size_t n);

/* Run prepared statement q (prepared on first use); binary = results in binary format.
 * NULL on error, with the store's diag set (CPE_ESTORE). PQclear() the result. */
PGresult *pg_run(pg_store_t *s, int q, const pg_params_t *p, int binary);
/* Run SQL without parameters; 0 or CPE_ESTORE. */
int pg_exec(pg_store_t *s, const char *sql, const char *what);
/* Set the diag from the connection or result r (may be NULL); returns CPE_ESTORE. */
int pg_fail(pg_store_t *s, const char *what, const PGresult *r);

/* A write outside begin() runs in its own transaction. */
int pg_auto_begin(pg_store_t *s, int *own);
int pg_auto_end(pg_store_t *s, int own, int rc);

int64_t pg_be64(const char *p);
double pg_bef64(const char *p);
/* int8 of a binary result field; NULL -> def. */
int64_t pg_get_i64(const PGresult *r, int row, int col, int64_t def);

/* A growable COPY ... (FORMAT binary) buffer, flushed to the server at 1 MiB. */
typedef struct pg_copy {
    pg_store_t *s;
    char *buf;
    size_t len, cap;
    int err;
} pg_copy_t;

int pg_copy_begin(pg_copy_t *cp, pg_store_t *s, const char *copy_sql);
void pg_copy_tuple(pg_copy_t *cp, int nfields);
void pg_copy_i64(pg_copy_t *cp, int64_t v);
void pg_copy_f64(pg_copy_t *cp, double v); /* NaN -> NULL */
void pg_copy_bytes(pg_copy_t *cp, const void *b, size_t n);
int pg_copy_end(pg_copy_t *cp); /* sends the trailer; 0 or an error code */

/* Create the kline_chunk partitions of every month from day d0 to day d1. */
int pg_ensure_partitions(pg_store_t *s, int64_t d0, int64_t d1);

/* store_pg_bars.c */
int pg_put_klines(cpe_store_t *b, int64_t series, const cpe_kline_t *k, size_t n,
                  cpe_upsert_stats_t *st);
int pg_get_klines(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms, cpe_kline_t **out,
                  size_t *n);
int pg_put_points(cpe_store_t *b, int64_t series, const cpe_point_t *p, size_t n,
                  cpe_upsert_stats_t *st);
int pg_get_points(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms, cpe_point_t **out,
                  size_t *n);

/* store_pg_runs.c: put_run, list_runs, get_run of cpe_store_ops_t */
int pg_put_run(cpe_store_t *b, const cpe_store_run_t *r);
int pg_list_runs(cpe_store_t *b, size_t offset, size_t limit, cpe_store_run_t **out, size_t *n,
                 size_t *total);
int pg_get_run(cpe_store_t *b, const char *id, cpe_store_run_t *out);

/* store_pg_schema.c */
int pg_schema_version(pg_store_t *s, int *version);
int pg_migrate(pg_store_t *s, int *from, int *to);
int pg_schema_latest(void); /* the last migration's version */

#endif
