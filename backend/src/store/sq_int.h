/* sq_int.h — what the SQLite backend's files share (cpe/store.h is the interface):
 *   store_sqlite.c       statements, schema, transactions, series, the ops table, open
 *   store_sqlite_rows.c  kline day chunks, points, predictions and meta
 */
#ifndef CPE_STORE_SQ_INT_H
#define CPE_STORE_SQ_INT_H

#include "cpe/store.h"

#include <sqlite3.h>

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

/* The first and last bar times of a kline series as last read from its edge chunks, valid
 * while the series' (bar count, first day, last day) is what it was then: upserts only add
 * bars or rewrite existing ones (nothing deletes a bar), so the same count over the same days
 * is the same set of bars. Reading an edge loads the whole day chunk (~115 KB), and the live
 * pipeline asks for the same series' span several times a minute. */
#define SQ_SPAN_MEMO 64 /* slots, by series id */
typedef struct sq_span_memo {
    int64_t id; /* 0: empty slot */
    int64_t count, day_a, day_z, first_ts, last_ts;
} sq_span_memo_t;

typedef struct sq_store {
    cpe_store_t base;
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    int in_tx;          /* an explicit begin() is open */
    cpe_kline_t *merge; /* scratch for chunk merges */
    size_t merge_cap;
    sq_span_memo_t span[SQ_SPAN_MEMO];
} sq_store_t;

/* store_sqlite.c */
int sq_fail(sq_store_t *s, const char *what);
sqlite3_stmt *sq_stmt(sq_store_t *s, int i);
int sq_auto_begin(sq_store_t *s, int *own);
int sq_auto_end(sq_store_t *s, int own, int rc);
int64_t sq_le64(const void *p);

/* store_sqlite_rows.c */
int sq_put_klines(cpe_store_t *b, int64_t series, const cpe_kline_t *k, size_t n,
                  cpe_upsert_stats_t *stats);
int sq_get_klines_snap(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms,
                       cpe_kline_t **out, size_t *n);
int sq_put_points(cpe_store_t *b, int64_t series, const cpe_point_t *p, size_t n,
                  cpe_upsert_stats_t *stats);
int sq_get_points_snap(cpe_store_t *b, int64_t series, int64_t from_ms, int64_t to_ms,
                       cpe_point_t **out, size_t *n);
int sq_put_prediction(cpe_store_t *b, const cpe_prediction_t *p, const char *explain);
int sq_get_prediction(cpe_store_t *b, const char *symbol, int horizon_h, int64_t at_ms,
                      cpe_prediction_t *out, char **explain);
int sq_get_predictions(cpe_store_t *b, const char *symbol, int horizon_h, int64_t from_ms,
                       int64_t to_ms, cpe_prediction_t **out, size_t *n);
int sq_set_meta(cpe_store_t *b, const char *key, const char *value);
int sq_get_meta(cpe_store_t *b, const char *key, char *value, size_t cap);
int sq_each_prediction(cpe_store_t *b, cpe_store_prediction_fn fn, void *ctx);
int sq_each_meta(cpe_store_t *b, cpe_store_meta_fn fn, void *ctx);

#endif
