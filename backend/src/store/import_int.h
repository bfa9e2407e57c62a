/* import_int.h — private to the importers: the per-file context, the sinks rows are
 * collected in, the field helpers that validate and name the bad field, and the
 * table of file formats (import_formats.c). See cpe/import.h for the rules. */
#ifndef CPE_IMPORT_INT_H
#define CPE_IMPORT_INT_H

#include "cpe/csvfile.h"
#include "cpe/import.h"

/* Rows of one (instrument, kind) collected from the file before the upsert. */
typedef struct imp_sink {
    char instrument[CPE_INSTR_KEY_MAX];
    char kind[CPE_KIND_MAX];
    int64_t interval_ms;
    int is_kline;
    int events; /* rows sharing a ts are distinct events (seq 0,1,...) */
    int has_id; /* events carry a unique id in v[3] (trades): equal ids are duplicates */
    cpe_kline_t *k;
    cpe_point_t *p;
    int64_t *line; /* source line of each row, for messages */
    size_t n, cap;
    int64_t last_ts;
    int64_t out_of_order;
    int mirror;       /* rows mirror another sink's (metrics: lsr beside oi): not counted twice */
    const char *name; /* the file, for messages */
    int64_t id;       /* store series id once written (0 = not yet) */
    int64_t first_ts; /* span written so far */
    int64_t written_ts;
    int64_t flushed_ts; /* rows up to here are written already (INT64_MIN: none) */
} imp_sink_t;

typedef struct imp_ctx imp_ctx_t;

/* One file format: how to recognise it and how to read one data row. */
typedef struct imp_format {
    const char *name;      /* "klines" */
    const char *file_kind; /* the KIND token of file names, NULL = none */
    int min_cols, max_cols;
    const char *header0; /* accepted names of the first header column, '|'-separated */
    int perp_only;       /* exists only on futures */
    int (*row)(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d);
} imp_format_t;

struct imp_ctx {
    const cpe_import_opts_t *o;
    const char *name;               /* the file as cpe_csv_t names it */
    size_t batch_rows, check_every; /* see cpe_import_opts_t.batch_rows */
    const imp_format_t *fmt;
    const char *exchange;
    char symbol[32];
    int market;          /* CPE_SPOT / CPE_PERP, -1 unknown */
    int64_t interval_ms; /* from the name, the file, or 0 */
    char series[64];     /* "ASSET:name" for named series */
    int daily;           /* named series stamped by day */
    imp_sink_t *sinks;
    size_t nsinks;
    int64_t rows;
    imp_sink_t *cur, *cur2; /* the sinks of single-instrument formats, once known */
};

extern const imp_format_t cpe_imp_formats[];
extern const size_t cpe_imp_nformats;
const imp_format_t *cpe_imp_format(const char *name);

/* From the path (and options): format, symbol, market, interval, series name.
 * Leaves x->fmt NULL when the name says nothing (the header decides). */
int imp_detect_name(imp_ctx_t *x, const char *path, cpe_diag_t *d);
/* The format whose header signature matches this header record, or NULL. */
const imp_format_t *imp_detect_header(const cpe_csv_t *c);
int imp_header_matches(const imp_format_t *f, const cpe_csv_t *c);

/* Sinks. */
int imp_sink_get(imp_ctx_t *x, const char *instrument, const char *kind, int64_t interval_ms,
                 int is_kline, imp_sink_t **out, cpe_diag_t *d);
int imp_push_kline(imp_sink_t *s, const cpe_kline_t *k, int64_t line, cpe_diag_t *d);
int imp_push_point(imp_sink_t *s, const cpe_point_t *p, int64_t line, cpe_diag_t *d);
/* The instrument key "EXCH:spot|perp:SYM" for the file's market. */
void imp_instrument(const imp_ctx_t *x, int market, const char *symbol,
                    char out[CPE_INSTR_KEY_MAX]);

/* Field helpers: parse field i and fail with "FILE:LINE: field 'name' (value) ...". */
int imp_bad(const cpe_csv_t *c, size_t i, const char *name, cpe_diag_t *d, const char *rule, ...)
    __attribute__((format(printf, 5, 6)));
int imp_num(const cpe_csv_t *c, size_t i, const char *name, double *out, cpe_diag_t *d);
/* Empty field or "None"/"null" -> NaN; otherwise as imp_num. */
int imp_num_opt(const cpe_csv_t *c, size_t i, const char *name, double *out, cpe_diag_t *d);
int imp_nonneg(const cpe_csv_t *c, size_t i, const char *name, double *out, cpe_diag_t *d);
int imp_positive(const cpe_csv_t *c, size_t i, const char *name, double *out, cpe_diag_t *d);
/* Epoch s/ms/µs (by digit count) or ISO-8601 -> ms. */
int imp_time(const cpe_csv_t *c, size_t i, const char *name, int64_t *ts_ms, cpe_diag_t *d);
/* "true"/"false" in any case, or 1/0. */
int imp_bool(const cpe_csv_t *c, size_t i, const char *name, int *out, cpe_diag_t *d);

#endif
