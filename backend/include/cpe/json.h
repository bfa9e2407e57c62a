/*
 * json.h — a small, fast JSON writer over cpe_buf_t for hot responses and CLI output.
 *
 * Commas are managed for you: call key() then a value inside objects, values alone
 * inside arrays. Numbers print shortest round-trip (cpe_fmt_double); NaN/inf print
 * as null. The first failed append (buffer cap) sticks in w->err and later calls
 * become no-ops, so callers check once at the end:
 *
 *     cpe_jw_t w; cpe_jw_init(&w, &buf);
 *     cpe_jw_obj(&w); cpe_jw_key(&w, "p_up"); cpe_jw_num(&w, 0.63); cpe_jw_end(&w);
 *     if (w.err) ...
 *
 * Parsing JSON (requests, config) uses jansson; this file only writes.
 */
#ifndef CPE_JSON_H
#define CPE_JSON_H

#include "cpe/buf.h"

#include <stdint.h>

#define CPE_JW_MAX_DEPTH 32

typedef struct cpe_jw {
    cpe_buf_t *b;
    int depth;
    int err;
    unsigned char has_items[CPE_JW_MAX_DEPTH];
    unsigned char is_array[CPE_JW_MAX_DEPTH];
    unsigned char after_key;
} cpe_jw_t;

void cpe_jw_init(cpe_jw_t *w, cpe_buf_t *b);
void cpe_jw_obj(cpe_jw_t *w);
void cpe_jw_arr(cpe_jw_t *w);
void cpe_jw_end(cpe_jw_t *w); /* closes the innermost object or array */
void cpe_jw_key(cpe_jw_t *w, const char *k);
void cpe_jw_str(cpe_jw_t *w, const char *s);
void cpe_jw_strn(cpe_jw_t *w, const char *s, size_t n);
void cpe_jw_num(cpe_jw_t *w, double v);
void cpe_jw_int(cpe_jw_t *w, int64_t v);
void cpe_jw_bool(cpe_jw_t *w, int v);
void cpe_jw_null(cpe_jw_t *w);
void cpe_jw_raw(cpe_jw_t *w, const char *json); /* an already-encoded value */
/* Shorthands for "key": value. */
void cpe_jw_kstr(cpe_jw_t *w, const char *k, const char *s);
void cpe_jw_knum(cpe_jw_t *w, const char *k, double v);
void cpe_jw_kint(cpe_jw_t *w, const char *k, int64_t v);
void cpe_jw_kbool(cpe_jw_t *w, const char *k, int v);
/* An array of doubles as [..] (NaN -> null). */
void cpe_jw_num_array(cpe_jw_t *w, const double *v, size_t n);
/* An array of integers as [..]. Both print into space reserved once for the whole array. */
void cpe_jw_int_array(cpe_jw_t *w, const int64_t *v, size_t n);

#endif
