/*
 * store_pg.h — the PostgreSQL backend of cpe/store.h (libpq; PostgreSQL 15 tested).
 *
 * URL: postgres://user@host:port/db or postgresql://... (any libpq connection URI; the
 * password, if any, from PGPASSWORD or ~/.pgpass, never from the command line). The
 * same cpe_store_ops_t contract as SQLite: idempotent upserts with the same stats,
 * half-open reads, begin/commit/rollback around a file import, one thread per handle.
 * Several processes may share one database: writers of one series are serialised by a
 * transaction-scoped advisory lock on the series id.
 *
 * Schema (store_pg_schema.c), versioned: migration N is applied once, in order, inside
 * one transaction under an advisory lock, and recorded in schema_version. Opening a
 * store whose schema is behind this build fails and says to run `cpe migrate`.
 *
 *   schema_version  version int8 PK | name text | applied_at timestamptz
 *   series          id bigserial PK | instrument text | kind text | interval_ms int8 |
 *                   simulated int8 | UNIQUE(instrument, kind)
 *   kline_chunk     series_id int8 | day int8 (UTC day number) | n int8 | data bytea
 *                   PRIMARY KEY (series_id, day)   PARTITION BY RANGE (day)
 *                   data = the day's klines, packed cpe_kline_t records as in SQLite
 *                   (little-endian, 80 bytes each), storage EXTERNAL (no compression)
 *   kline_chunk_YYYY_MM   one partition per calendar month, FOR VALUES FROM (first day)
 *                   TO (first day of the next month); created by the first write that
 *                   reaches the month. Retention = DROP TABLE kline_chunk_2024_01.
 *   point           series_id int8 | ts int8 | seq int8 | v0..v5 float8 (NULL = NaN)
 *                   PRIMARY KEY (series_id, ts, seq)
 *   prediction      symbol text | horizon_h int8 | ts int8 | model_version text |
 *                   rec bytea | explain text | PRIMARY KEY (symbol, horizon_h, ts)
 *   meta            key text PK | value text
 *
 * Reads are range scans of a primary key: (series_id, day) for klines, pruned to the
 * partitions of the range; (series_id, ts, seq) for points; (symbol, horizon_h, ts) for
 * predictions. Writes of klines and points go through COPY ... FROM STDIN (FORMAT
 * binary); see store_pg_bars.c for how the upsert statistics are kept.
 */
#ifndef CPE_STORE_PG_H
#define CPE_STORE_PG_H

#include "cpe/store.h"

/* Connect to url; CPE_EUNSUPPORTED when the schema is not at this build's version. */
int cpe_store_pg_open(const char *url, cpe_store_t **out, cpe_diag_t *d);
/* Apply the missing migrations; *from = version found, *to = version left. */
int cpe_store_pg_migrate(const char *url, int *from, int *to, cpe_diag_t *d);

#endif
