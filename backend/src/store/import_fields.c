/* import_fields.c — field parsers that validate and name the bad field, and the sinks
 * rows are collected in (see import_int.h). */
#include "import_int.h"

#include "cpe/num.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int imp_bad(const cpe_csv_t *c, size_t i, const char *name, cpe_diag_t *d, const char *rule, ...)
{
    char val[64], why[256];
    va_list ap;
    va_start(ap, rule);
    vsnprintf(why, sizeof why, rule, ap);
    va_end(ap);
    cpe_csv_field_str(c, i, val, sizeof val);
    return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: field '%s' (%s) %s", c->name, (long long)c->line,
                        name, val, why);
}

int imp_num(const cpe_csv_t *c, size_t i, const char *name, double *out, cpe_diag_t *d)
{
    if (i >= c->nf) return imp_bad(c, i, name, d, "is missing");
    if (cpe_parse_double(c->f[i].p, c->f[i].n, out))
        return imp_bad(c, i, name, d, "is not a number");
    if (!isfinite(*out)) return imp_bad(c, i, name, d, "is not finite");
    return 0;
}

int imp_num_opt(const cpe_csv_t *c, size_t i, const char *name, double *out, cpe_diag_t *d)
{
    if (i >= c->nf || c->f[i].n == 0 || cpe_csv_field_is(c, i, "None") ||
        cpe_csv_field_is(c, i, "null")) {
        *out = NAN;
        return 0;
    }
    return imp_num(c, i, name, out, d);
}

int imp_nonneg(const cpe_csv_t *c, size_t i, const char *name, double *out, cpe_diag_t *d)
{
    int rc = imp_num(c, i, name, out, d);
    if (rc == 0 && *out < 0) return imp_bad(c, i, name, d, "is negative");
    return rc;
}

int imp_positive(const cpe_csv_t *c, size_t i, const char *name, double *out, cpe_diag_t *d)
{
    int rc = imp_num(c, i, name, out, d);
    if (rc == 0 && !(*out > 0)) return imp_bad(c, i, name, d, "is not positive");
    return rc;
}

int imp_time(const cpe_csv_t *c, size_t i, const char *name, int64_t *ts_ms, cpe_diag_t *d)
{
    if (i >= c->nf) return imp_bad(c, i, name, d, "is missing");
    const char *p = c->f[i].p;
    size_t n = c->f[i].n, k = 0;
    while (k < n && p[k] >= '0' && p[k] <= '9')
        k++;
    if (n > 0 && k == n) {
        if (n > 18) return imp_bad(c, i, name, d, "is too large for a time");
        int64_t v = 0;
        for (size_t j = 0; j < n; j++)
            v = v * 10 + (p[j] - '0');
        if (n >= 14)
            v /= 1000; /* microseconds (Binance spot since 2025) */
        else if (n <= 10)
            v *= 1000; /* seconds */
        *ts_ms = v;
        return 0;
    }
    if (cpe_parse_iso8601(p, (long)n, ts_ms))
        return imp_bad(c, i, name, d, "is not a time (epoch s/ms/us or ISO-8601)");
    return 0;
}

int imp_bool(const cpe_csv_t *c, size_t i, const char *name, int *out, cpe_diag_t *d)
{
    static const char *const yes[] = {"true", "True", "TRUE", "1"};
    static const char *const no[] = {"false", "False", "FALSE", "0"};
    for (int k = 0; k < 4; k++) {
        if (cpe_csv_field_is(c, i, yes[k])) return *out = 1, 0;
        if (cpe_csv_field_is(c, i, no[k])) return *out = 0, 0;
    }
    return imp_bad(c, i, name, d, "is not true or false");
}

void imp_instrument(const imp_ctx_t *x, int market, const char *symbol, char out[CPE_INSTR_KEY_MAX])
{
    snprintf(out, CPE_INSTR_KEY_MAX, "%s:%s:%s", x->exchange, market == CPE_SPOT ? "spot" : "perp",
             symbol);
}

int imp_sink_get(imp_ctx_t *x, const char *instrument, const char *kind, int64_t interval_ms,
                 int is_kline, imp_sink_t **out, cpe_diag_t *d)
{
    for (size_t i = 0; i < x->nsinks; i++)
        if (!strcmp(x->sinks[i].instrument, instrument) && !strcmp(x->sinks[i].kind, kind)) {
            *out = &x->sinks[i];
            return 0;
        }
    if (x->nsinks >= 1024) return cpe_diag_set(d, CPE_ETOOBIG, "more than 1024 series in one file");
    /* sinks are pointed to by x->cur: allocate them once, never move them */
    if (!x->sinks) {
        x->sinks = calloc(1024, sizeof *x->sinks);
        if (!x->sinks) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    }
    imp_sink_t *s = &x->sinks[x->nsinks++];
    memset(s, 0, sizeof *s);
    snprintf(s->instrument, sizeof s->instrument, "%s", instrument);
    snprintf(s->kind, sizeof s->kind, "%s", kind);
    s->interval_ms = interval_ms;
    s->is_kline = is_kline;
    s->last_ts = INT64_MIN;
    s->name = x->name;
    s->first_ts = INT64_MAX;
    s->written_ts = INT64_MIN;
    s->flushed_ts = INT64_MIN;
    *out = s;
    return 0;
}

/* A row older than rows already written in a part of this file (files of more than a
 * million rows are written in parts; they must be in time order after the first part). */
static int behind_flush(const imp_sink_t *s, int64_t line, cpe_diag_t *d)
{
    return cpe_diag_set(d, CPE_EPARSE,
                        "%s:%lld: row is older than rows already written; a file this large "
                        "must be in time order",
                        s->name ? s->name : "", (long long)line);
}

static int sink_grow(imp_sink_t *s, cpe_diag_t *d)
{
    if (s->n < s->cap) return 0;
    size_t cap = s->cap ? 2 * s->cap : 1024;
    void *a = s->is_kline ? realloc(s->k, cap * sizeof *s->k) : realloc(s->p, cap * sizeof *s->p);
    if (!a) return cpe_diag_set(d, CPE_ENOMEM, "out of memory collecting rows");
    if (s->is_kline)
        s->k = a;
    else
        s->p = a;
    int64_t *l = realloc(s->line, cap * sizeof *l);
    if (!l) return cpe_diag_set(d, CPE_ENOMEM, "out of memory collecting rows");
    s->line = l;
    s->cap = cap;
    return 0;
}

int imp_push_kline(imp_sink_t *s, const cpe_kline_t *k, int64_t line, cpe_diag_t *d)
{
    int rc = sink_grow(s, d);
    if (rc) return rc;
    if (k->ts_ms <= s->flushed_ts) return behind_flush(s, line, d);
    if (k->ts_ms < s->last_ts) s->out_of_order++;
    s->last_ts = k->ts_ms;
    s->line[s->n] = line;
    s->k[s->n++] = *k;
    return 0;
}

int imp_push_point(imp_sink_t *s, const cpe_point_t *p, int64_t line, cpe_diag_t *d)
{
    int rc = sink_grow(s, d);
    if (rc) return rc;
    if (p->ts_ms <= s->flushed_ts) return behind_flush(s, line, d);
    if (p->ts_ms < s->last_ts) s->out_of_order++;
    s->last_ts = p->ts_ms;
    s->line[s->n] = line;
    s->p[s->n++] = *p;
    return 0;
}
