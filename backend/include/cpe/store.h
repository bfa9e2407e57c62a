/*
 * store.h — persistence behind one interface (a struct of function pointers), so a
 * PostgreSQL backend slots in beside the SQLite default without touching callers.
 *
 * Model. Every stored time series is a *series*: (instrument key, kind) with an id.
 * Klines live in their own table; every other kind is a stream of cpe_point_t.
 * All writes are idempotent upserts keyed by (series, ts[, seq]): writing the same
 * rows twice leaves the store as after the first write (the stats say how many rows
 * were new, changed or identical). Reads are half-open ranges [from_ms, to_ms).
 *
 * Transactions: begin/commit/rollback wrap a whole file import, so a rejected file
 * leaves the store exactly as it was.
 *
 * Threads: a cpe_store_t is used by one thread at a time; open one per thread.
 *
 * Memory (SQLite): each connection maps up to CPE_STORE_MMAP_MB (environment, default 1024)
 * MiB of the file and keeps a page cache of at most CPE_STORE_CACHE_MB (default 64) MiB. A
 * map is counted in the process's RSS for every page its connection touched, once per
 * connection, so a long-lived process with several connections on a growing store grows
 * with the store: `cpe serve` sets 0 (no map) and 16 unless they are set, which bounds its
 * store memory by its connections x 16 MiB (docs/RELIABILITY.md, Memory and soak).
 *
 * SQLite schema (store_sqlite.c), WAL, synchronous=NORMAL, 32 KiB pages, busy timeout
 * 10 s (several processes may share the file); details in docs/STORE.md:
 *
 *   series      id INTEGER PK | instrument TEXT | kind TEXT | interval_ms INT |
 *               simulated INT | UNIQUE(instrument, kind)
 *   kline_chunk series_id INT | day INT (UTC day number) | n INT | data BLOB
 *               PRIMARY KEY (series_id, day) WITHOUT ROWID
 *               data = the day's klines in ts order, packed cpe_kline_t records
 *               (little-endian, 80 bytes each); one chunk per UTC day keeps a year of
 *               1m bars at 365 rows, so a range read is a few hundred blob copies.
 *               Upsert = read-merge-write of the day chunk; a kline with fewer known
 *               fields never replaces one with more (stats.kept).
 *   point       series_id INT | ts INT | seq INT | v0..v5 REAL (NULL = NaN)
 *               PRIMARY KEY (series_id, ts, seq) WITHOUT ROWID
 *   prediction  symbol TEXT | horizon_h INT | ts INT | model_version TEXT | rec BLOB |
 *               explain TEXT | PRIMARY KEY (symbol, horizon_h, ts) WITHOUT ROWID
 *               rec = the raw cpe_prediction_t (size-checked on read)
 *   meta        key TEXT PK | value TEXT
 *   bt_run      id TEXT PK | created_ms INT | instrument TEXT | from_ms INT | to_ms INT |
 *               data_version TEXT | model_version TEXT | strategy TEXT | metrics TEXT |
 *               result TEXT | INDEX (created_ms, id)
 *               one finished backtest run (store_runs_sqlite.c): strategy = the config
 *               JSON as used, metrics = the metrics JSON, result = the whole result JSON
 *               (equity, trades, hindsight: backtest.h). Listing reads every column but
 *               result, newest first; PostgreSQL has the same table (migration 2).
 */
#ifndef CPE_STORE_H
#define CPE_STORE_H

#include "cpe/error.h"
#include "cpe/market.h"
#include "cpe/prediction.h"
#include "cpe/universe.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cpe_store cpe_store_t;

#define CPE_KIND_MAX 48 /* longest series kind + NUL */

typedef struct cpe_upsert_stats {
    size_t inserted;  /* rows that did not exist */
    size_t updated;   /* rows that existed with other values */
    size_t unchanged; /* rows that existed with the same values (duplicates) */
    size_t kept;      /* klines that existed with MORE known (non-NaN) fields than the new
                       * row: the stored row is kept (a 6-column OHLCV file does not erase
                       * the taker volumes of a 12-column import) */
} cpe_upsert_stats_t;

typedef struct cpe_series_info {
    int64_t id;
    char instrument[CPE_INSTR_KEY_MAX];
    char kind[CPE_KIND_MAX]; /* "kline:1m", "funding", "series:futures_open_interest_usd" */
    int64_t interval_ms;     /* 0 for event streams */
    int simulated;
    int64_t first_ts, last_ts; /* INT64_MIN/MAX... when empty: first_ts > last_ts */
    int64_t count;
} cpe_series_info_t;

typedef struct cpe_gap {
    int64_t from_ms; /* first missing bar's open time */
    int64_t to_ms;   /* last missing bar's open time */
    int64_t missing; /* number of missing bars */
} cpe_gap_t;

/* A saved backtest run (table bt_run above). In list_runs results result_json is NULL. */
#define CPE_RUN_ID_MAX 40
#define CPE_RUN_VERSION_MAX 160
typedef struct cpe_store_run {
    char id[CPE_RUN_ID_MAX];
    int64_t created_ms;
    char instrument[CPE_INSTR_KEY_MAX];
    int64_t from_ms, to_ms;
    char data_version[CPE_RUN_VERSION_MAX];  /* the bars it read: series, count, last bar */
    char model_version[CPE_RUN_VERSION_MAX]; /* the walk-forward models that predicted */
    char *strategy_json, *metrics_json, *result_json; /* malloc'd; cpe_store_run_clear */
} cpe_store_run_t;

/* Free the JSON texts of r[n] and the array itself (NULL is a no-op). */
void cpe_store_runs_free(cpe_store_run_t *r, size_t n);
/* Free the JSON texts of one run (the struct is the caller's). */
void cpe_store_run_clear(cpe_store_run_t *r);

/* Visitors of every stored prediction / meta row (a non-zero return stops the walk and is
 * returned). explain and value may be NULL. */
typedef int (*cpe_store_prediction_fn)(void *ctx, const cpe_prediction_t *p, const char *explain);
typedef int (*cpe_store_meta_fn)(void *ctx, const char *key, const char *value);

typedef struct cpe_store_ops {
    const char *name; /* "sqlite", "postgres" */
    void (*close)(cpe_store_t *s);
    int (*begin)(cpe_store_t *s);
    int (*commit)(cpe_store_t *s);
    int (*rollback)(cpe_store_t *s);
    /* Find (or with create, make) the series id of (instrument, kind). CPE_ENOTFOUND. */
    int (*series_id)(cpe_store_t *s, const char *instrument, const char *kind, int64_t interval_ms,
                     int simulated, int create, int64_t *id);
    int (*list_series)(cpe_store_t *s, cpe_series_info_t **out, size_t *n); /* free() *out */
    int (*put_klines)(cpe_store_t *s, int64_t series, const cpe_kline_t *k, size_t n,
                      cpe_upsert_stats_t *st);
    /* Append klines with open time in [from, to) to *out (realloc'd), ts ascending. */
    int (*get_klines)(cpe_store_t *s, int64_t series, int64_t from_ms, int64_t to_ms,
                      cpe_kline_t **out, size_t *n);
    int (*put_points)(cpe_store_t *s, int64_t series, const cpe_point_t *p, size_t n,
                      cpe_upsert_stats_t *st);
    int (*get_points)(cpe_store_t *s, int64_t series, int64_t from_ms, int64_t to_ms,
                      cpe_point_t **out, size_t *n);
    int (*put_prediction)(cpe_store_t *s, const cpe_prediction_t *p, const char *explain_json);
    /* The latest prediction with ts <= at_ms. explain_json (may be NULL) gets a malloc'd
     * copy of the stored explanation or NULL. CPE_ENOTFOUND. */
    int (*get_prediction)(cpe_store_t *s, const char *symbol, int horizon_h, int64_t at_ms,
                          cpe_prediction_t *out, char **explain_json);
    int (*get_predictions)(cpe_store_t *s, const char *symbol, int horizon_h, int64_t from_ms,
                           int64_t to_ms, cpe_prediction_t **out, size_t *n);
    int (*set_meta)(cpe_store_t *s, const char *key, const char *value);
    int (*get_meta)(cpe_store_t *s, const char *key, char *value, size_t cap); /* ENOTFOUND */
    /* One series' info (as list_series gives it) by id. CPE_ENOTFOUND. */
    int (*series_get)(cpe_store_t *s, int64_t series, cpe_series_info_t *out);
    /* Every prediction, by (symbol, horizon, ts) in byte order; every meta row by key. */
    int (*each_prediction)(cpe_store_t *s, cpe_store_prediction_fn fn, void *ctx);
    int (*each_meta)(cpe_store_t *s, cpe_store_meta_fn fn, void *ctx);
    /* Saved backtest runs. put_run upserts by id (strategy, metrics and result must be
     * non-NULL). list_runs: newest first (created_ms, then id, descending), rows
     * [offset, offset + limit) into *out (malloc'd, cpe_store_runs_free; result_json NULL),
     * *total = all rows. get_run: one run with its result JSON (cpe_store_run_clear);
     * CPE_ENOTFOUND. */
    int (*put_run)(cpe_store_t *s, const cpe_store_run_t *r);
    int (*list_runs)(cpe_store_t *s, size_t offset, size_t limit, cpe_store_run_t **out, size_t *n,
                     size_t *total);
    int (*get_run)(cpe_store_t *s, const char *id, cpe_store_run_t *out);
} cpe_store_ops_t;

struct cpe_store {
    const cpe_store_ops_t *ops;
    cpe_diag_t diag; /* the last error's message */
};

/* Open a store by URL: "PATH" or "sqlite:PATH" (created if missing, parent dirs too),
 * "postgres://..." / "postgresql://..." when built with PostgreSQL (cpe/store_pg.h; the
 * schema must be migrated first). */
int cpe_store_open(const char *url, cpe_store_t **out, cpe_diag_t *d);
/* Bring the store's schema to this build's version: *from is the version found, *to the
 * version left. SQLite creates its schema on open (version 1 both). Idempotent. */
int cpe_store_migrate(const char *url, int *from, int *to, cpe_diag_t *d);
void cpe_store_close(cpe_store_t *s); /* NULL is a no-op */
/* The SQLite backend (store_sqlite.c); cpe_store_open() picks it for plain paths. */
int cpe_store_sqlite_open(const char *path, cpe_store_t **out, cpe_diag_t *d);

/* Gaps in a series on its interval grid within [from, to). *gaps malloc'd.
 * Works for kline series and for point series with an interval (funding, daily series);
 * point timestamps are floored to the grid (funding settles a few ms after the hour).
 * from_ms = INT64_MIN starts at the first stored bar, to_ms = INT64_MAX ends after the
 * last; explicit bounds count missing bars at the edges too. interval_ms = 0 uses the
 * series' own interval; a series without one is CPE_EINVAL. */
int cpe_store_gaps(cpe_store_t *s, int64_t series, int64_t interval_ms, int64_t from_ms,
                   int64_t to_ms, cpe_gap_t **gaps, size_t *n);

/* cpe_kline_probe_fn over a store (ctx = the cpe_store_t *): the finest non-empty kline
 * series of instrument whose interval divides divides_ms (0: any), by indexed look-ups. */
int cpe_store_kline_probe(void *store, const char *instrument, int64_t divides_ms,
                          cpe_kline_span_t *out);
/* The universe's rule (cpe_instrument_resolve() in cpe/universe.h) over this store: which
 * stored series is an asset's. Every reader of an asset's bars calls this. */
int cpe_store_resolve(cpe_store_t *s, const char *asset, int market, int64_t interval_ms,
                      cpe_source_pref_t pref, int64_t from_ms, int64_t to_ms, cpe_resolved_t *out,
                      cpe_diag_t *d);

/* Convenience: klines of instrument/kind ("kline:1m") in [from, to). */
int cpe_store_read_klines(cpe_store_t *s, const char *instrument, const char *kind, int64_t from_ms,
                          int64_t to_ms, cpe_kline_t **out, size_t *n);
int cpe_store_read_points(cpe_store_t *s, const char *instrument, const char *kind, int64_t from_ms,
                          int64_t to_ms, cpe_point_t **out, size_t *n);

#endif
