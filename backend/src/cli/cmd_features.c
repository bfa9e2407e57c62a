/* cmd_features.c — `cpe features`: the feature table of shared/spec/features.md as CSV
 * (issue 3 item 3, issue 9 item 2). Thin entry points over the streaming engine:
 *
 *   cpe features --symbol BTCUSDT --from ISO --to ISO [--interval 1m|5m|1h] --out FILE.csv
 *       from the store (cpe_dataset_build: 1m bars + every side series, sampled);
 *   cpe features --input KLINES.csv --out FEATURES.csv
 *       a Binance kline file (12 columns, with or without header; .csv, .csv.gz or .zip),
 *       one output row per input row, ts_ms = open time, no store. The file is streamed:
 *       each row is parsed, pushed and written, so memory does not grow with the file.
 *
 * Output: header "ts_ms,<feature names>", values printed shortest round-trip
 * (cli/fmtnum.h), NaN as an empty field. On bad input nothing is left at --out. */
#include "cli/cli.h"
#include "cpe/fmtnum.h"
#include "cpe/csvfile.h"
#include "cpe/dataset.h"
#include "cpe/features.h"
#include "cpe/num.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the CSV writer: rows are formatted by helper threads, written in order ---------- */
/*
 * Printing ~30 numbers a row dominates `--input` (parsing and the engine are ~1 us a row),
 * so the rows go through a small pipeline: the caller fills blocks of BLK rows (ts and
 * values), FMT_THREADS helpers turn whole blocks into text, and whichever helper finishes
 * the next block in sequence writes it, so the file is identical to a serial write.
 *
 *   caller ──fill──► slot[j % NSLOT] FILLED ──helper: text──► FORMATTED ──in order──► file
 */
#define BLK 1024
#define NSLOT 6
#define FMT_THREADS 2
#define ROW_TEXT_MAX 32 /* bytes per value incl. the separator, upper bound */

enum { SLOT_FREE, SLOT_FILLED, SLOT_BUSY, SLOT_DONE };

typedef struct slot {
    int state;
    int64_t seq;
    size_t n;
    int64_t *ts;
    double *x;
    char *text;
    size_t tlen;
} slot_t;

typedef struct out {
    FILE *fp;
    size_t nf;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot_t slot[NSLOT];
    int64_t next_fill, next_fmt, next_write, nblocks; /* nblocks: -1 until the end */
    int writing, err, nthreads;
    pthread_t th[FMT_THREADS];
    slot_t *cur; /* the block the caller is filling (NULL = take the next one) */
} out_t;

static char *fmt_row(char *p, int64_t ts, const double *x, size_t nf)
{
    p += cpe_fmt_fast(p, (double)ts, "");
    for (size_t i = 0; i < nf; i++) {
        *p++ = ',';
        p += cpe_fmt_fast(p, x[i], "");
    }
    *p++ = '\n';
    return p;
}

/* Write every DONE block that is next in sequence (called with mu held). */
static void write_ready(out_t *o)
{
    if (o->writing) return; /* the writer in progress will see it */
    o->writing = 1;
    for (;;) {
        slot_t *s = &o->slot[o->next_write % NSLOT];
        if (s->state != SLOT_DONE || s->seq != o->next_write) break;
        pthread_mutex_unlock(&o->mu);
        int bad = s->tlen && fwrite(s->text, 1, s->tlen, o->fp) != s->tlen;
        pthread_mutex_lock(&o->mu);
        if (bad) o->err = 1;
        s->state = SLOT_FREE;
        o->next_write++;
        pthread_cond_broadcast(&o->cv);
    }
    o->writing = 0;
}

static void *fmt_main(void *arg)
{
    out_t *o = arg;
    pthread_mutex_lock(&o->mu);
    for (;;) {
        slot_t *s = &o->slot[o->next_fmt % NSLOT];
        if (s->state == SLOT_FILLED && s->seq == o->next_fmt) {
            o->next_fmt++;
            s->state = SLOT_BUSY;
            pthread_mutex_unlock(&o->mu);
            char *p = s->text;
            for (size_t r = 0; r < s->n; r++)
                p = fmt_row(p, s->ts[r], s->x + r * o->nf, o->nf);
            s->tlen = (size_t)(p - s->text);
            pthread_mutex_lock(&o->mu);
            s->state = SLOT_DONE;
            write_ready(o);
            pthread_cond_broadcast(&o->cv);
            continue;
        }
        if (o->nblocks >= 0 && o->next_fmt >= o->nblocks) break;
        pthread_cond_wait(&o->cv, &o->mu);
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

static int out_open(out_t *o, const char *path, size_t nf)
{
    memset(o, 0, sizeof *o);
    o->nf = nf;
    o->nblocks = -1;
    for (int i = 0; i < NSLOT; i++) {
        slot_t *s = &o->slot[i];
        s->ts = malloc(BLK * sizeof *s->ts);
        s->x = malloc(BLK * nf * sizeof *s->x);
        s->text = malloc(BLK * (nf + 1) * ROW_TEXT_MAX);
        if (!s->ts || !s->x || !s->text) goto fail;
    }
    o->fp = !strcmp(path, "-") ? stdout : fopen(path, "w");
    if (!o->fp) goto fail;
    fprintf(o->fp, "ts_ms");
    for (size_t i = 0; i < nf; i++)
        fprintf(o->fp, ",%s", cpe_feature_def(i)->name);
    fputc('\n', o->fp);
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    for (int i = 0; i < FMT_THREADS; i++)
        if (!pthread_create(&o->th[i], NULL, fmt_main, o)) o->nthreads++;
    return 0;
fail:
    for (int i = 0; i < NSLOT; i++) {
        free(o->slot[i].ts);
        free(o->slot[i].x);
        free(o->slot[i].text);
    }
    o->fp = NULL;
    return -1;
}

/* Hand the current block to the helpers (or format it here without helpers). */
static void out_submit(out_t *o)
{
    slot_t *s = o->cur;
    o->cur = NULL;
    pthread_mutex_lock(&o->mu);
    s->state = SLOT_FILLED;
    if (!o->nthreads) {
        pthread_mutex_unlock(&o->mu);
        char *p = s->text;
        for (size_t r = 0; r < s->n; r++)
            p = fmt_row(p, s->ts[r], s->x + r * o->nf, o->nf);
        s->tlen = (size_t)(p - s->text);
        pthread_mutex_lock(&o->mu);
        o->next_fmt++;
        s->state = SLOT_DONE;
        write_ready(o);
    }
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
}

/* The row buffer for the next row: the caller writes nf values there. */
static double *out_row_begin(out_t *o, int64_t ts)
{
    if (!o->cur) {
        slot_t *s = &o->slot[o->next_fill % NSLOT];
        pthread_mutex_lock(&o->mu);
        while (s->state != SLOT_FREE)
            pthread_cond_wait(&o->cv, &o->mu);
        pthread_mutex_unlock(&o->mu);
        s->seq = o->next_fill++;
        s->n = 0;
        o->cur = s;
    }
    slot_t *s = o->cur;
    s->ts[s->n] = ts;
    return s->x + s->n * o->nf;
}

static void out_row_end(out_t *o)
{
    if (++o->cur->n == BLK) out_submit(o);
}

static void out_row(out_t *o, int64_t ts, const double *x, size_t nf)
{
    memcpy(out_row_begin(o, ts), x, nf * sizeof *x);
    out_row_end(o);
}

/* Finish: flush the last block, stop the helpers, close; on failure (or ok == 0) remove
 * the file. 0 = written. */
static int out_close(out_t *o, const char *path, int ok)
{
    if (!o->fp) return -1;
    if (o->cur && o->cur->n) out_submit(o);
    pthread_mutex_lock(&o->mu);
    o->nblocks = o->next_fill;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    for (int i = 0; i < o->nthreads; i++)
        pthread_join(o->th[i], NULL);
    int bad = o->err || !ok || o->next_write != o->next_fill;
    if (o->fp != stdout) {
        if (fclose(o->fp)) bad = 1;
        if (bad) remove(path);
    } else if (fflush(stdout)) {
        bad = 1;
    }
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    for (int i = 0; i < NSLOT; i++) {
        free(o->slot[i].ts);
        free(o->slot[i].x);
        free(o->slot[i].text);
    }
    o->fp = NULL;
    return bad ? -1 : 0;
}

/* ---- the kline file ---------------------------------------------------------------- */

enum { C_TIME, C_OPEN, C_HIGH, C_LOW, C_CLOSE, C_VOL, C_QVOL, C_TAKER, C_N };

static const char *const col_label[C_N] = {
    "open_time", "open", "high", "low", "close", "volume", "quote_volume", "taker_buy_volume"};
/* Header names accepted per column (case-insensitive). */
static const char *const col_alias[C_N][6] = {
    {"open_time", "openTime", "timestamp", "ts", "ts_ms", "time"},
    {"open", NULL},
    {"high", NULL},
    {"low", NULL},
    {"close", NULL},
    {"volume", NULL},
    {"quote_volume", "quoteVolume", "quote_asset_volume", NULL},
    {"taker_buy_volume", "takerBuyBase", "taker_buy_base", "taker_buy_base_asset_volume",
     "taker_buy_base_volume", NULL},
};
/* Headerless Binance layout: positions (quote 7 and taker-buy base 9 when present). */
static const int binance_pos[C_N] = {0, 1, 2, 3, 4, 5, 7, 9};

static int field_eq(const cpe_csv_field_t *f, const char *s)
{
    size_t n = strlen(s);
    return f->n == n && !strncasecmp(f->p, s, n);
}

static int is_header(const cpe_csv_t *c)
{
    double x;
    int64_t t;
    return c->nf > 0 && cpe_parse_double(c->f[0].p, c->f[0].n, &x) != 0 &&
           cpe_parse_iso8601(c->f[0].p, (long)c->f[0].n, &t) != 0;
}

static int map_header(const cpe_csv_t *c, int col[C_N], cpe_diag_t *d)
{
    for (int k = 0; k < C_N; k++) {
        col[k] = -1;
        for (size_t i = 0; i < c->nf && col[k] < 0; i++)
            for (int a = 0; a < 6 && col_alias[k][a]; a++)
                if (field_eq(&c->f[i], col_alias[k][a])) col[k] = (int)i;
        if (col[k] < 0 && k < C_QVOL)
            return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: no column '%s' in the header", c->name,
                                (long long)c->line, col_label[k]);
    }
    return 0;
}

static int bad_field(const cpe_csv_t *c, int col, int k, const char *what, cpe_diag_t *d)
{
    char buf[64];
    return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: column %d '%s' (%s) %s", c->name,
                        (long long)c->line, col + 1, col_label[k],
                        cpe_csv_field_str(c, (size_t)col, buf, sizeof buf), what);
}

/* One record -> bar. prev_ts for the order check. */
static int parse_bar(const cpe_csv_t *c, const int col[C_N], int64_t prev_ts, cpe_bar_t *b,
                     cpe_diag_t *d)
{
    for (int k = 0; k < C_VOL + 1; k++)
        if ((size_t)col[k] >= c->nf)
            return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: %zu fields, column %d '%s' is missing",
                                c->name, (long long)c->line, c->nf, col[k] + 1, col_label[k]);
    const cpe_csv_field_t *tf = &c->f[col[C_TIME]];
    int64_t ts;
    if (cpe_parse_i64(tf->p, tf->n, &ts)) {
        if (cpe_parse_iso8601(tf->p, (long)tf->n, &ts))
            return bad_field(c, col[C_TIME], C_TIME, "is not a time (ms since epoch or ISO-8601)",
                             d);
    } else if (ts >= 100000000000000LL) {
        ts /= 1000; /* microseconds (Binance spot dumps since 2025) */
    }
    double v[C_N];
    for (int k = C_OPEN; k < C_N; k++) {
        v[k] = NAN;
        if (col[k] < 0 || (size_t)col[k] >= c->nf) continue;
        const cpe_csv_field_t *f = &c->f[col[k]];
        if (cpe_parse_double(f->p, f->n, &v[k]) || !isfinite(v[k]))
            return bad_field(c, col[k], k, "is not a number", d);
        if (k <= C_CLOSE && !(v[k] > 0))
            return bad_field(c, col[k], k, "is not a positive price", d);
        if (k >= C_VOL && v[k] < 0) return bad_field(c, col[k], k, "is negative", d);
    }
    if (v[C_HIGH] < v[C_LOW]) {
        char hb[64], lb[64];
        return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: field 'high' (%s) is below 'low' (%s)",
                            c->name, (long long)c->line,
                            cpe_csv_field_str(c, (size_t)col[C_HIGH], hb, sizeof hb),
                            cpe_csv_field_str(c, (size_t)col[C_LOW], lb, sizeof lb));
    }
    if (ts <= prev_ts)
        return cpe_diag_set(d, CPE_EPARSE,
                            "%s:%lld: column %d '%s' (%lld) %s the previous row's (%lld)", c->name,
                            (long long)c->line, col[C_TIME] + 1, col_label[C_TIME], (long long)ts,
                            ts == prev_ts ? "duplicates" : "is before", (long long)prev_ts);
    cpe_kline_t kl = {.ts_ms = ts,
                      .open = v[C_OPEN],
                      .high = v[C_HIGH],
                      .low = v[C_LOW],
                      .close = v[C_CLOSE],
                      .volume = v[C_VOL],
                      .quote_volume = v[C_QVOL],
                      .trades = NAN,
                      .taker_buy_base = v[C_TAKER],
                      .taker_buy_quote = NAN};
    cpe_bar_from_kline(b, &kl);
    return 0;
}

static int run_input(cpe_args_t *a, const char *in, const char *outp)
{
    cpe_diag_t d = {0};
    cpe_csv_t c;
    out_t o;
    cpe_features_t *f = NULL;
    const size_t nf = cpe_features_count();
    int rc, ok = 0, col[C_N], first = 1, opened = 0;
    int64_t prev = INT64_MIN, rows = 0;
    if (cpe_features_create(NULL, &f)) {
        return cpe_cli_fail(a, 1, "out of memory");
    }
    if ((rc = cpe_csv_open(&c, in, NULL, &d))) goto done;
    if (out_open(&o, outp, nf)) {
        cpe_diag_set(&d, CPE_EIO, "%s: cannot write", outp);
        rc = CPE_EIO;
        goto done_csv;
    }
    opened = 1;
    while ((rc = cpe_csv_next(&c, &d)) == 1) {
        if (first) {
            first = 0;
            if (is_header(&c)) {
                if ((rc = map_header(&c, col, &d))) break;
                continue;
            }
            if (c.nf < 6) {
                rc = cpe_diag_set(&d, CPE_EPARSE,
                                  "%s:%lld: %zu fields; a kline file needs at least 6 (open_time, "
                                  "open, high, low, close, volume)",
                                  c.name, (long long)c.line, c.nf);
                break;
            }
            for (int k = 0; k < C_N; k++)
                col[k] = (size_t)binance_pos[k] < c.nf ? binance_pos[k] : -1;
        }
        cpe_bar_t b = {0};
        if ((rc = parse_bar(&c, col, prev, &b, &d))) break;
        prev = b.ts_ms;
        if ((rc = cpe_features_push(f, &b, NULL, 0, out_row_begin(&o, b.ts_ms)))) {
            cpe_diag_set(&d, rc, "%s:%lld: bar rejected by the feature engine", c.name,
                         (long long)c.line);
            break;
        }
        out_row_end(&o);
        rows++;
    }
    if (rc == 0 && rows == 0) rc = cpe_diag_set(&d, CPE_EDATA, "%s: no kline rows", in);
    ok = rc == 0;
done_csv:
    cpe_csv_close(&c);
done:
    if (opened && out_close(&o, outp, ok) && ok) {
        ok = 0;
        cpe_diag_set(&d, CPE_EIO, "%s: write failed", outp);
    }
    cpe_features_free(f);
    if (!ok) return cpe_cli_fail(a, 1, "%s", d.msg[0] ? d.msg : cpe_strerror(rc));
    return 0;
}

/* ---- from the store ---------------------------------------------------------------- */

static int run_store(cpe_args_t *a, const char *symbol, const char *outp)
{
    long long from, to;
    int64_t step = 60000;
    const char *iv = cpe_arg_str(a, "interval");
    if (cpe_arg_time(a, "from", INT64_MIN, &from) || cpe_arg_time(a, "to", INT64_MAX, &to))
        return 2;
    if (iv && (cpe_interval_parse(iv, &step) || step % 60000))
        return cpe_cli_fail(a, 2,
                            "--interval '%s' is not a whole number of minutes (1m, 5m, 1h...)", iv);
    if (from >= to) return cpe_cli_fail(a, 2, "--from must be before --to");
    cpe_diag_t d = {0};
    cpe_store_t *st = NULL;
    cpe_dataset_t ds = {0};
    int code = 0;
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    cpe_dataset_opts_t opt = {.sample_ms = step, .label_tail_ms = -1};
    if (cpe_dataset_build(st, symbol, (int64_t)from, (int64_t)to, &opt, &ds, &d)) {
        code = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    out_t o;
    if (out_open(&o, outp, ds.ncol)) {
        code = cpe_cli_fail(a, 1, "%s: cannot write", outp);
        goto out;
    }
    for (size_t r = 0; r < ds.n; r++)
        out_row(&o, ds.ts_ms[r], ds.X + r * ds.ncol, ds.ncol);
    if (out_close(&o, outp, 1))
        code = cpe_cli_fail(a, 1, "%s: write failed", outp);
    else
        fprintf(stderr, "cpe features: %zu rows x %zu features of %s -> %s\n", ds.n, ds.ncol,
                ds.instrument, outp);
out:
    cpe_dataset_free(&ds);
    cpe_store_close(st);
    return code;
}

static int run(cpe_args_t *a)
{
    static const char *const known[] = {"input", "symbol", "from", "to", "interval", "out", NULL};
    if (cpe_args_check(a, known)) return 2;
    const char *in = cpe_arg_str(a, "input"), *sym = cpe_arg_str(a, "symbol");
    const char *outp = cpe_arg_str(a, "out");
    if (!outp) outp = "-";
    if (!!in == !!sym)
        return cpe_cli_fail(a, 2, "give exactly one of --input FILE or --symbol SYM");
    if (in && (cpe_arg_str(a, "from") || cpe_arg_str(a, "to") || cpe_arg_str(a, "interval")))
        return cpe_cli_fail(a, 2, "--from/--to/--interval apply to --symbol, not --input");
    return in ? run_input(a, in, outp) : run_store(a, sym, outp);
}

const cpe_command_t cpe_cmddef_features = {
    "features", "write the feature table (spec section 8) of a symbol or a kline file as CSV",
    "cpe features --symbol SYM --from ISO --to ISO [--interval 1m|5m|1h] --out FILE.csv\n"
    "       cpe features --input KLINES.csv --out FEATURES.csv\n"
    "  Columns: ts_ms (bar open time) and every feature of docs/FEATURES.md; values are\n"
    "  as of the bar's close, printed shortest round-trip, NaN (missing) as empty.\n"
    "  --input reads a Binance kline file (12 columns, header optional, .csv/.gz/.zip):\n"
    "  one row per input row; side series (funding, OI...) need the store form.",
    run};
