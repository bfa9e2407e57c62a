/* signals_csv.c — reading the `--signals` CSV into bars + a signal column, with errors
 * that name the file, the line and the column (cpe_bt_signals_read in backtest.h). */
#include "cpe/backtest.h"
#include "cpe/csvfile.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { C_TS, C_OPEN, C_HIGH, C_LOW, C_CLOSE, C_SIGNAL, NCOL };
static const char *const names[NCOL] = {"ts", "open", "high", "low", "close", "signal"};

void cpe_bt_signals_free(cpe_bt_signals_t *s)
{
    if (!s) return;
    free(s->ts_ms);
    free(s->open);
    free(s->high);
    free(s->low);
    free(s->close);
    free(s->signal);
    memset(s, 0, sizeof *s);
}

static int grow(cpe_bt_signals_t *s)
{
    size_t nc = s->cap ? 2 * s->cap : 1 << 14;
    void *p[6] = {realloc(s->ts_ms, nc * sizeof *s->ts_ms), NULL, NULL, NULL, NULL, NULL};
    if (p[0]) s->ts_ms = p[0];
    double **cols[4] = {&s->open, &s->high, &s->low, &s->close};
    for (int k = 0; k < 4; k++)
        if ((p[k + 1] = realloc(*cols[k], nc * sizeof **cols[k]))) *cols[k] = p[k + 1];
    if ((p[5] = realloc(s->signal, nc))) s->signal = p[5];
    for (int k = 0; k < 6; k++)
        if (!p[k]) return CPE_ENOMEM;
    s->cap = nc;
    return 0;
}

static int header(const cpe_csv_t *c, long col[NCOL], cpe_diag_t *d)
{
    for (int k = 0; k < NCOL; k++) {
        col[k] = -1;
        for (size_t i = 0; i < c->nf; i++)
            if (c->f[i].n == strlen(names[k]) && !strncasecmp(c->f[i].p, names[k], c->f[i].n))
                col[k] = (long)i;
        if (col[k] < 0)
            return cpe_diag_set(d, CPE_EPARSE,
                                "%s:%lld: column '%s' is missing from the header (needs ts, open, "
                                "high, low, close, signal)",
                                c->name, (long long)c->line, names[k]);
    }
    return 0;
}

static int row(cpe_csv_t *c, const long col[NCOL], cpe_bt_signals_t *s, int64_t *prev_line,
               cpe_diag_t *d)
{
    char buf[64];
    double v[NCOL];
    int64_t ts = 0;
    for (int k = 0; k < NCOL; k++) {
        if ((size_t)col[k] >= c->nf)
            return cpe_diag_set(
                d, CPE_EPARSE,
                "%s:%lld: column '%s' (field %ld) is missing: the line has %zu fields", c->name,
                (long long)c->line, names[k], col[k] + 1, c->nf);
        const cpe_csv_field_t *f = &c->f[col[k]];
        const char *what = NULL;
        if (k == C_TS) {
            if (cpe_parse_i64(f->p, f->n, &ts) && cpe_parse_iso8601(f->p, (long)f->n, &ts))
                what = "is not a timestamp (epoch ms or ISO-8601)";
        } else if (cpe_parse_double(f->p, f->n, &v[k]) || !isfinite(v[k])) {
            what = "is not a number";
        } else if (k == C_SIGNAL && v[k] != -1 && v[k] != 0 && v[k] != 1) {
            what = "is not -1, 0 or 1";
        } else if (k != C_SIGNAL && !(v[k] > 0)) {
            what = "is not a positive price";
        }
        if (what)
            return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: column '%s' (%s) %s", c->name,
                                (long long)c->line, names[k],
                                cpe_csv_field_str(c, (size_t)col[k], buf, sizeof buf), what);
    }
    if (v[C_HIGH] < v[C_LOW])
        return cpe_diag_set(d, CPE_EPARSE,
                            "%s:%lld: column 'high' (%.17g) is below column 'low' (%.17g)", c->name,
                            (long long)c->line, v[C_HIGH], v[C_LOW]);
    if (s->n && ts <= s->ts_ms[s->n - 1])
        return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: column 'ts' (%lld) is %s the one on line %lld",
                            c->name, (long long)c->line, (long long)ts,
                            ts == s->ts_ms[s->n - 1] ? "a duplicate of" : "earlier than",
                            (long long)*prev_line);
    if (s->n == s->cap && grow(s)) return cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", c->name);
    s->ts_ms[s->n] = ts;
    s->open[s->n] = v[C_OPEN];
    s->high[s->n] = v[C_HIGH];
    s->low[s->n] = v[C_LOW];
    s->close[s->n] = v[C_CLOSE];
    s->signal[s->n++] = (int8_t)v[C_SIGNAL];
    *prev_line = c->line;
    return 0;
}

int cpe_bt_signals_read(const char *path, cpe_bt_signals_t *s, cpe_diag_t *d)
{
    cpe_csv_t c;
    memset(s, 0, sizeof *s);
    int rc = cpe_csv_open(&c, path, NULL, d), first = 1;
    if (rc) return rc;
    long col[NCOL];
    int64_t prev_line = 0;
    while ((rc = cpe_csv_next(&c, d)) == 1) {
        rc = first ? header(&c, col, d) : row(&c, col, s, &prev_line, d);
        first = 0;
        if (rc) break;
    }
    if (rc == 0 && s->n < 2)
        rc = cpe_diag_set(d, CPE_EDATA, "%s:%lld: %zu data rows; a backtest needs at least 2",
                          c.name, (long long)(prev_line ? prev_line : c.line), s->n);
    cpe_csv_close(&c);
    if (rc < 0) {
        cpe_bt_signals_free(s);
        return rc;
    }
    int64_t step = INT64_MAX;
    for (size_t i = 1; i < s->n; i++)
        if (s->ts_ms[i] - s->ts_ms[i - 1] < step) step = s->ts_ms[i] - s->ts_ms[i - 1];
    s->bars = (cpe_bt_bars_t){s->ts_ms, s->open, s->high, s->low, s->close, s->n, step};
    return 0;
}
