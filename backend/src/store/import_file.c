/* import_file.c — one file into the store in one transaction (cpe/import.h): detect,
 * read and validate every row, sort and de-duplicate, upsert, report. */
#include "import_int.h"

#include "cpe/timeutil.h"

#include <dirent.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cpe_import_opts_init(cpe_import_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->market = -1;
}

int cpe_series_key(const char *name, char instrument[CPE_INSTR_KEY_MAX], char kind[CPE_KIND_MAX])
{
    if (!strncmp(name, "series:", 7)) name += 7;
    const char *colon = strchr(name, ':');
    const char *asset = "CRYPTO", *nm = name;
    size_t na = 6;
    if (colon) {
        asset = name;
        na = (size_t)(colon - name);
        nm = colon + 1;
    }
    if (!*nm || !na || strchr(nm, ':') || strlen(nm) + na + 8 >= CPE_INSTR_KEY_MAX ||
        strlen(nm) + 8 >= CPE_KIND_MAX)
        return CPE_EINVAL;
    snprintf(instrument, CPE_INSTR_KEY_MAX, "series:%.*s:%s", (int)na, asset, nm);
    snprintf(kind, CPE_KIND_MAX, "series:%s", nm);
    return 0;
}

static int same_point(const cpe_point_t *a, const cpe_point_t *b)
{
    for (int i = 0; i < CPE_POINT_NV; i++)
        if (!(a->v[i] == b->v[i] || (isnan(a->v[i]) && isnan(b->v[i])))) return 0;
    return 1;
}

static int same_kline_vals(const cpe_kline_t *a, const cpe_kline_t *b)
{
    double x[9], y[9];
    memcpy(x, (const char *)a + offsetof(cpe_kline_t, open), sizeof x);
    memcpy(y, (const char *)b + offsetof(cpe_kline_t, open), sizeof y);
    for (int i = 0; i < 9; i++)
        if (!(x[i] == y[i] || (isnan(x[i]) && isnan(y[i])))) return 0;
    return 1;
}

/* Sort order of a sink's rows: ts, then (events with ids) id, then file order. */
static const imp_sink_t *sort_sink;
static int cmp_rows(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const imp_sink_t *s = sort_sink;
    int64_t ta = s->is_kline ? s->k[a].ts_ms : s->p[a].ts_ms;
    int64_t tb = s->is_kline ? s->k[b].ts_ms : s->p[b].ts_ms;
    if (ta != tb) return ta < tb ? -1 : 1;
    if (s->has_id && s->p[a].v[3] != s->p[b].v[3]) return s->p[a].v[3] < s->p[b].v[3] ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int repeat_error(const char *name, const imp_sink_t *s, size_t keep, size_t dup, int64_t ts,
                        cpe_diag_t *d)
{
    char iso[32];
    cpe_format_iso8601(ts, iso);
    return cpe_diag_set(d, CPE_EPARSE,
                        "%s:%lld: field 'time' (%s) repeats line %lld with different values", name,
                        (long long)s->line[dup], iso, (long long)s->line[keep]);
}

/* Sort the sink's rows, drop identical repeats (counted), reject conflicting ones, and
 * number events that share a ts. */
static int finish_sink(const char *name, imp_sink_t *s, int64_t *dups, cpe_diag_t *d)
{
    if (s->n == 0) return 0;
    int need_sort = s->out_of_order > 0;
    for (size_t i = 1; !need_sort && s->has_id && i < s->n; i++)
        if (s->p[i].ts_ms == s->p[i - 1].ts_ms && s->p[i].v[3] < s->p[i - 1].v[3]) need_sort = 1;
    if (need_sort) {
        size_t *ix = malloc(s->n * sizeof *ix);
        void *tmp = malloc(s->n * (s->is_kline ? sizeof *s->k : sizeof *s->p));
        int64_t *lines = malloc(s->n * sizeof *lines);
        if (!ix || !tmp || !lines) {
            free(ix);
            free(tmp);
            free(lines);
            return cpe_diag_set(d, CPE_ENOMEM, "out of memory sorting rows");
        }
        for (size_t i = 0; i < s->n; i++)
            ix[i] = i;
        sort_sink = s;
        qsort(ix, s->n, sizeof *ix, cmp_rows);
        for (size_t i = 0; i < s->n; i++) {
            if (s->is_kline)
                ((cpe_kline_t *)tmp)[i] = s->k[ix[i]];
            else
                ((cpe_point_t *)tmp)[i] = s->p[ix[i]];
            lines[i] = s->line[ix[i]];
        }
        if (s->is_kline) {
            free(s->k);
            s->k = tmp;
        } else {
            free(s->p);
            s->p = tmp;
        }
        free(s->line);
        s->line = lines;
        free(ix);
    }
    size_t w = 0;
    int32_t seq = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (w > 0) {
            size_t prev = w - 1;
            int64_t tp = s->is_kline ? s->k[prev].ts_ms : s->p[prev].ts_ms;
            int64_t ti = s->is_kline ? s->k[i].ts_ms : s->p[i].ts_ms;
            int same_key =
                tp == ti && (!s->events || (s->has_id && s->p[prev].v[3] == s->p[i].v[3]));
            if (same_key) {
                int same = s->is_kline ? same_kline_vals(&s->k[prev], &s->k[i])
                                       : same_point(&s->p[prev], &s->p[i]);
                if (!same) return repeat_error(name, s, prev, i, ti, d);
                (*dups)++;
                continue;
            }
            seq = tp == ti ? seq + 1 : 0;
        }
        if (s->is_kline)
            s->k[w] = s->k[i];
        else {
            s->p[w] = s->p[i];
            s->p[w].seq = s->events ? seq : 0;
        }
        s->line[w++] = s->line[i];
    }
    s->n = w;
    return 0;
}

static void free_sinks(imp_ctx_t *x)
{
    for (size_t i = 0; i < x->nsinks; i++) {
        free(x->sinks[i].k);
        free(x->sinks[i].p);
        free(x->sinks[i].line);
    }
    free(x->sinks);
    x->sinks = NULL;
    x->nsinks = 0;
}

/* Rows a sink collects before a part of it is written (inside the file's transaction):
 * bounds the memory of a multi-million-row trade tape. */
#define BATCH_ROWS ((size_t)1 << 20)

/* Sort/dedup and upsert the sink's rows [0, upto), then keep [upto, n) for later. */
static int write_rows(cpe_store_t *s, imp_ctx_t *x, imp_sink_t *k, size_t upto, const char *name,
                      cpe_import_stats_t *st, cpe_diag_t *d)
{
    size_t total = k->n, rest = total - upto;
    k->n = upto;
    int rc = finish_sink(name, k, &st->duplicates, d), store_rc = 0;
    if (rc == 0 && k->id == 0)
        rc = store_rc = s->ops->series_id(s, k->instrument, k->kind, k->interval_ms,
                                          x->o->simulated, 1, &k->id);
    cpe_upsert_stats_t us = {0};
    if (rc == 0 && k->n > 0) {
        rc = store_rc = k->is_kline ? s->ops->put_klines(s, k->id, k->k, k->n, &us)
                                    : s->ops->put_points(s, k->id, k->p, k->n, &us);
        int64_t a = k->is_kline ? k->k[0].ts_ms : k->p[0].ts_ms;
        int64_t z = k->is_kline ? k->k[k->n - 1].ts_ms : k->p[k->n - 1].ts_ms;
        if (a < k->first_ts) k->first_ts = a;
        if (z > k->written_ts) k->written_ts = z;
    }
    if (store_rc) cpe_diag_set(d, store_rc, "%s: %s", name, s->diag.msg);
    st->inserted += (int64_t)us.inserted;
    st->updated += (int64_t)us.updated;
    st->duplicates += (int64_t)(us.unchanged + us.kept);
    size_t esz = k->is_kline ? sizeof *k->k : sizeof *k->p;
    char *base = k->is_kline ? (char *)k->k : (char *)k->p;
    memmove(base, base + upto * esz, rest * esz);
    memmove(k->line, k->line + upto, rest * sizeof *k->line);
    k->n = rest;
    return rc;
}

/* Write the older part of large in-order sinks: every row before the last timestamp
 * (so events sharing a timestamp are never split and seq stays consistent). */
static int flush_large(cpe_store_t *s, imp_ctx_t *x, const char *name, cpe_import_stats_t *st,
                       cpe_diag_t *d)
{
    for (size_t i = 0; i < x->nsinks; i++) {
        imp_sink_t *k = &x->sinks[i];
        if (k->n < x->batch_rows || k->out_of_order) continue;
        size_t split = k->n;
        while (split > 0 &&
               (k->is_kline ? k->k[split - 1].ts_ms : k->p[split - 1].ts_ms) == k->last_ts)
            split--;
        if (split == 0) continue;
        k->flushed_ts = k->is_kline ? k->k[split - 1].ts_ms : k->p[split - 1].ts_ms;
        int rc = write_rows(s, x, k, split, name, st, d);
        if (rc) return rc;
    }
    return 0;
}

/* Gap runs / missing bars of each written series over the file's own span. */
static void count_gaps(cpe_store_t *s, imp_ctx_t *x, cpe_import_stats_t *st)
{
    for (size_t i = 0; i < x->nsinks; i++) {
        imp_sink_t *k = &x->sinks[i];
        if (k->interval_ms <= 0 || k->first_ts > k->written_ts) continue;
        cpe_gap_t *g = NULL;
        size_t ng = 0;
        if (cpe_store_gaps(s, k->id, k->interval_ms, cpe_floor_ms(k->first_ts, k->interval_ms),
                           k->written_ts + 1, &g, &ng) == 0) {
            st->gaps += (int64_t)ng;
            for (size_t j = 0; j < ng; j++)
                st->missing += g[j].missing;
        }
        free(g);
    }
}

static int read_rows(cpe_store_t *s, imp_ctx_t *x, cpe_csv_t *c, const char *path,
                     cpe_import_stats_t *st, cpe_diag_t *d)
{
    int rc = cpe_csv_next(c, d);
    if (rc <= 0) return rc;
    const cpe_csv_field_t *f0 = &c->f[0];
    int header =
        f0->n > 0 && !(f0->p[0] >= '0' && f0->p[0] <= '9') && f0->p[0] != '-' && f0->p[0] != '+';
    if (!x->fmt) {
        if (header) x->fmt = imp_detect_header(c);
        if (!x->fmt)
            return cpe_diag_set(d, CPE_EUNSUPPORTED,
                                "%s: cannot tell what this file holds; name it like the Binance "
                                "dumps (SYMBOL-1m-2024-01-01.csv) or pass --series NAME",
                                c->name);
    }
    const imp_format_t *f = x->fmt;
    if (header && !imp_header_matches(f, c)) {
        char a[64], b[64];
        return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: header '%s,%s,...' is not a %s header",
                            c->name, (long long)c->line, cpe_csv_field_str(c, 0, a, sizeof a),
                            cpe_csv_field_str(c, 1, b, sizeof b), f->name);
    }
    int named = !strcmp(f->name, "series") || !strcmp(f->name, "whaleFlows");
    if (!x->symbol[0] && !named && strcmp(f->name, "liquidationEvents") &&
        strcmp(f->name, "aggTradesLargeOnly") && strcmp(f->name, "metrics"))
        return cpe_diag_set(d, CPE_EINVAL,
                            "%s: cannot tell the symbol from the name; pass "
                            "--symbol SYM",
                            path);
    if (x->market < 0) {
        if (!f->perp_only && !named)
            return cpe_diag_set(d, CPE_EINVAL,
                                "%s: cannot tell spot or perp from the path; pass "
                                "--market spot|perp",
                                path);
        x->market = CPE_PERP;
    }
    if (f->perp_only && x->market == CPE_SPOT)
        return cpe_diag_set(d, CPE_EINVAL, "%s: %s exists only for futures, not spot", path,
                            f->name);
    uint64_t done, total, last_report = 0;
    if (header) rc = cpe_csv_next(c, d);
    for (; rc == 1; rc = cpe_csv_next(c, d)) {
        if ((int)c->nf < f->min_cols || (int)c->nf > f->max_cols) {
            if (f->min_cols == f->max_cols)
                return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: has %zu fields, a %s row has %d",
                                    c->name, (long long)c->line, c->nf, f->name, f->min_cols);
            return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: has %zu fields, a %s row has %d to %d",
                                c->name, (long long)c->line, c->nf, f->name, f->min_cols,
                                f->max_cols);
        }
        if ((rc = f->row(x, c, d)) != 0) return rc;
        if (++x->rows % x->check_every == 0 && (rc = flush_large(s, x, c->name, st, d)) != 0)
            return rc;
        if ((x->rows & 4095) == 0 && x->o->progress) {
            cpe_csv_progress(c, &done, &total);
            if (done - last_report >= (1u << 20)) {
                x->o->progress(x->o->progress_ctx, path, done, total);
                last_report = done;
            }
        }
    }
    return rc;
}

int cpe_import_file(cpe_store_t *s, const char *path, const cpe_import_opts_t *o,
                    cpe_import_stats_t *stats, cpe_diag_t *d)
{
    cpe_import_opts_t defaults;
    cpe_import_stats_t local;
    cpe_import_stats_t *st = stats ? stats : &local;
    if (!o) {
        cpe_import_opts_init(&defaults);
        o = &defaults;
    }
    memset(st, 0, sizeof *st);
    st->first_ts = INT64_MAX;
    st->last_ts = INT64_MIN;
    imp_ctx_t x;
    memset(&x, 0, sizeof x);
    x.o = o;
    x.exchange = o->exchange ? o->exchange : CPE_EX_BINANCE_NAME;
    cpe_csv_t c;
    memset(&c, 0, sizeof c);
    int rc = imp_detect_name(&x, path, d), in_tx = 0;
    if (rc) goto out;
    if ((rc = cpe_csv_open(&c, path, NULL, d))) goto out;
    x.name = c.name;
    x.batch_rows = o->batch_rows ? o->batch_rows : BATCH_ROWS;
    x.check_every = x.batch_rows < 65536 ? 1 : 65536;
    /* one transaction for the whole file: rows may be written while it is read */
    if ((rc = s->ops->begin(s)) != 0) {
        cpe_diag_set(d, rc, "%s: %s", path, s->diag.msg);
        goto out;
    }
    in_tx = 1;
    if ((rc = read_rows(s, &x, &c, path, st, d)) < 0) goto out;
    snprintf(st->format, sizeof st->format, "%s", x.fmt ? x.fmt->name : "");
    st->rows = x.rows;
    for (size_t i = 0; i < x.nsinks; i++) {
        imp_sink_t *k = &x.sinks[i];
        if (!k->mirror) st->out_of_order += k->out_of_order;
        if ((rc = write_rows(s, &x, k, k->n, c.name, st, d))) goto out;
        if (k->first_ts < st->first_ts) st->first_ts = k->first_ts;
        if (k->written_ts > st->last_ts) st->last_ts = k->written_ts;
    }
    if ((rc = s->ops->commit(s)) != 0) {
        cpe_diag_set(d, rc, "%s: %s", path, s->diag.msg);
        goto out;
    }
    in_tx = 0;
    st->nseries = (int)x.nsinks;
    if (x.nsinks) {
        snprintf(st->instrument, sizeof st->instrument, "%s", x.sinks[0].instrument);
        snprintf(st->kind, sizeof st->kind, "%s", x.sinks[0].kind);
    }
    count_gaps(s, &x, st);
    if (o->progress) {
        uint64_t done, total;
        cpe_csv_progress(&c, &done, &total);
        o->progress(o->progress_ctx, path, total, total);
    }
    rc = 0;
out:
    if (in_tx) s->ops->rollback(s);
    free_sinks(&x);
    cpe_csv_close(&c);
    return rc;
}

/* ---- directories --------------------------------------------------------------------- */

static int importable(const char *name)
{
    static const char *const ok[] = {".csv", ".csv.gz", ".zip"};
    size_t n = strlen(name);
    for (size_t i = 0; i < 3; i++) {
        size_t e = strlen(ok[i]);
        if (n > e && !strcmp(name + n - e, ok[i])) return 1;
    }
    return 0;
}

typedef struct path_list {
    char **v;
    size_t n, cap;
} path_list_t;

static int add_path(path_list_t *l, const char *p, cpe_diag_t *d)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return cpe_diag_set(d, CPE_ENOMEM, "out of memory listing files");
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(p))) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    l->n++;
    return 0;
}

static int walk(const char *dir, path_list_t *l, int depth, cpe_diag_t *d)
{
    DIR *dh = opendir(dir);
    if (!dh) return cpe_diag_set(d, CPE_EIO, "%s: cannot open directory", dir);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dh))) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode) && depth < 16)
            rc = walk(p, l, depth + 1, d);
        else if (S_ISREG(st.st_mode) && importable(e->d_name))
            rc = add_path(l, p, d);
    }
    closedir(dh);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cpe_import_list_dir(const char *dir, char ***paths, size_t *n, cpe_diag_t *d)
{
    path_list_t l = {0};
    int rc = walk(dir, &l, 0, d);
    if (rc) {
        cpe_import_free_list(l.v, l.n);
        return rc;
    }
    if (l.n > 1) qsort(l.v, l.n, sizeof *l.v, cmp_str);
    *paths = l.v;
    *n = l.n;
    return 0;
}

void cpe_import_free_list(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}
