/*
 * store_copy.h — copy one store into another through cpe_store_ops_t (any backend to
 * any backend: `cpe migrate --copy-from sqlite:PATH` moves a SQLite store into
 * PostgreSQL), and content checksums that compare two stores without trusting either.
 *
 * A copy runs in ONE transaction on the target: every series (by instrument and kind,
 * with its interval and simulated flag; ids may differ), every kline and point, every
 * prediction with its model version and explanation, every meta row except
 * 'schema_version' (each backend keeps its own), and every saved backtest run (bt_run, by
 * id, with its strategy, metrics and whole result). Writes are the stores' idempotent
 * upserts, so copying twice changes nothing the second time.
 *
 * Checksums are CRC-32s (zlib) over a canonical byte stream per category, in series
 * order (instrument, kind; byte order) and time order, independent of series ids and
 * backend: series = instrument, kind, interval, simulated, count, first, last;
 * klines = the 80-byte records; points = ts, seq, six values (every NaN the same bits);
 * predictions = the raw record and the explanation; meta = key and value; runs (newest
 * first, list_runs' order) = every column of bt_run, the JSON texts byte for byte.
 */
#ifndef CPE_STORE_COPY_H
#define CPE_STORE_COPY_H

#include "cpe/store.h"

#include <stdint.h>

typedef struct cpe_store_sum {
    int64_t rows;
    uint32_t crc;
} cpe_store_sum_t;

enum {
    CPE_SUM_SERIES,
    CPE_SUM_KLINES,
    CPE_SUM_POINTS,
    CPE_SUM_PREDICTIONS,
    CPE_SUM_META,
    CPE_SUM_RUNS,
    CPE_SUM_COUNT
};

extern const char *const cpe_store_sum_names[CPE_SUM_COUNT];

typedef struct cpe_store_sums {
    cpe_store_sum_t s[CPE_SUM_COUNT];
} cpe_store_sums_t;

/* Checksums of everything in s. Errors in s->diag. */
int cpe_store_checksum(cpe_store_t *s, cpe_store_sums_t *out);
/* Copy src into dst (one transaction on dst). Errors in d. */
int cpe_store_copy(cpe_store_t *src, cpe_store_t *dst, cpe_diag_t *d);

#endif
