/* store.c — backend selection by URL and the helpers every backend shares (cpe/store.h):
 * gap detection on a series' interval grid and read-by-name conveniences. */
#include "cpe/store.h"
#include "cpe/timeutil.h"
#ifdef CPE_HAVE_PG
#include "cpe/store_pg.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_postgres(const char *url)
{
    return !strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13);
}

int cpe_store_open(const char *url, cpe_store_t **out, cpe_diag_t *d)
{
    *out = NULL;
    if (!url || !*url) return cpe_diag_set(d, CPE_EINVAL, "no store path given");
#ifdef CPE_HAVE_PG
    if (is_postgres(url)) return cpe_store_pg_open(url, out, d);
#else
    if (is_postgres(url))
        return cpe_diag_set(d, CPE_EUNSUPPORTED,
                            "%s: this build has no PostgreSQL backend (build with libpq-dev)", url);
#endif
    if (!strncmp(url, "sqlite:", 7)) url += 7;
    return cpe_store_sqlite_open(url, out, d);
}

int cpe_store_migrate(const char *url, int *from, int *to, cpe_diag_t *d)
{
#ifdef CPE_HAVE_PG
    if (url && is_postgres(url)) return cpe_store_pg_migrate(url, from, to, d);
#endif
    cpe_store_t *s;
    int rc = cpe_store_open(url, &s, d);
    if (rc) return rc;
    cpe_store_close(s);
    *from = *to = 1;
    return 0;
}

void cpe_store_run_clear(cpe_store_run_t *r)
{
    if (!r) return;
    free(r->strategy_json);
    free(r->metrics_json);
    free(r->result_json);
    r->strategy_json = r->metrics_json = r->result_json = NULL;
}

void cpe_store_runs_free(cpe_store_run_t *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        cpe_store_run_clear(&r[i]);
    free(r);
}

void cpe_store_close(cpe_store_t *s)
{
    if (s) s->ops->close(s);
}

int cpe_store_kline_probe(void *store, const char *instrument, int64_t divides_ms,
                          cpe_kline_span_t *out)
{
    cpe_store_t *st = store;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; cpe_interval_at(i); i++) {
        int64_t iv = cpe_interval_at(i), id;
        char kind[CPE_KIND_MAX];
        if (divides_ms > 0 && divides_ms % iv) continue;
        snprintf(kind, sizeof kind, "kline:%s", cpe_interval_name(iv));
        int rc = st->ops->series_id(st, instrument, kind, 0, 0, 0, &id);
        if (rc == CPE_ENOTFOUND) continue;
        cpe_series_info_t si;
        if (!rc) rc = st->ops->series_get(st, id, &si);
        if (rc) return rc;
        if (si.count <= 0) continue;
        *out = (cpe_kline_span_t){1, id, iv, si.first_ts, si.last_ts, si.count, si.simulated};
        return 0;
    }
    return 0;
}

int cpe_store_resolve(cpe_store_t *s, const char *asset, int market, int64_t interval_ms,
                      cpe_source_pref_t pref, int64_t from_ms, int64_t to_ms, cpe_resolved_t *out,
                      cpe_diag_t *d)
{
    return cpe_instrument_resolve(asset, market, interval_ms, pref, from_ms, to_ms,
                                  cpe_store_kline_probe, s, out, d);
}

/* Grid slots in [a, z) (a, z on the grid) that are absent from the sorted, grid-floored,
 * possibly repeating times t[0..n), appended to *gaps as runs. */
static int grid_gaps(const int64_t *t, size_t n, int64_t a, int64_t z, int64_t step,
                     cpe_gap_t **gaps, size_t *ng, cpe_diag_t *d)
{
    size_t cap = 0;
    int64_t expect = a;
    for (size_t i = 0; i <= n; i++) {
        /* t is NULL only when n == 0 (the caller's out-of-memory path returns CPE_ENOMEM) */
        // NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
        int64_t next = i < n ? t[i] : z;
        if (next < expect) continue; /* repeated slot */
        if (next > z) next = z;
        if (next > expect) {
            if (*ng == cap) {
                cap = cap ? 2 * cap : 16;
                cpe_gap_t *g = realloc(*gaps, cap * sizeof *g);
                if (!g) return cpe_diag_set(d, CPE_ENOMEM, "out of memory listing gaps");
                *gaps = g;
            }
            (*gaps)[(*ng)++] = (cpe_gap_t){expect, next - step, (next - expect) / step};
        }
        if (next >= z) break;
        expect = next + step;
    }
    return 0;
}

int cpe_store_gaps(cpe_store_t *s, int64_t series, int64_t interval_ms, int64_t from_ms,
                   int64_t to_ms, cpe_gap_t **gaps, size_t *n)
{
    *gaps = NULL;
    *n = 0;
    cpe_series_info_t si;
    int rc = s->ops->series_get(s, series, &si);
    if (rc) return rc;
    int64_t step = interval_ms > 0 ? interval_ms : si.interval_ms;
    if (step <= 0)
        return cpe_diag_set(&s->diag, CPE_EINVAL, "%s %s is an event stream without an interval",
                            si.instrument, si.kind);
    if (si.count == 0 || from_ms >= to_ms) return 0;
    int64_t a = cpe_floor_ms(from_ms == INT64_MIN ? si.first_ts : from_ms, step);
    if (from_ms != INT64_MIN && a < from_ms) a += step; /* first grid slot >= from */
    int64_t z = to_ms == INT64_MAX ? cpe_floor_ms(si.last_ts, step) + step
                                   : cpe_floor_ms(to_ms - 1, step) + step;
    if (a >= z) return 0;
    int64_t *t = NULL;
    size_t nt = 0;
    if (!strncmp(si.kind, "kline:", 6)) {
        cpe_kline_t *k = NULL;
        rc = s->ops->get_klines(s, series, a, z, &k, &nt);
        if (rc == 0 && nt) {
            t = malloc(nt * sizeof *t);
            if (!t) rc = cpe_diag_set(&s->diag, CPE_ENOMEM, "out of memory");
            for (size_t i = 0; t && i < nt; i++)
                t[i] = cpe_floor_ms(k[i].ts_ms, step);
        }
        free(k);
    } else {
        cpe_point_t *p = NULL;
        rc = s->ops->get_points(s, series, a, z, &p, &nt);
        if (rc == 0 && nt) {
            t = malloc(nt * sizeof *t);
            if (!t) rc = cpe_diag_set(&s->diag, CPE_ENOMEM, "out of memory");
            for (size_t i = 0; t && i < nt; i++)
                t[i] = cpe_floor_ms(p[i].ts_ms, step);
        }
        free(p);
    }
    if (rc == 0) rc = grid_gaps(t, nt, a, z, step, gaps, n, &s->diag);
    free(t);
    if (rc) {
        free(*gaps);
        *gaps = NULL;
        *n = 0;
    }
    return rc;
}

int cpe_store_read_klines(cpe_store_t *s, const char *instrument, const char *kind, int64_t from_ms,
                          int64_t to_ms, cpe_kline_t **out, size_t *n)
{
    int64_t id;
    int rc = s->ops->series_id(s, instrument, kind, 0, 0, 0, &id);
    return rc ? rc : s->ops->get_klines(s, id, from_ms, to_ms, out, n);
}

int cpe_store_read_points(cpe_store_t *s, const char *instrument, const char *kind, int64_t from_ms,
                          int64_t to_ms, cpe_point_t **out, size_t *n)
{
    int64_t id;
    int rc = s->ops->series_id(s, instrument, kind, 0, 0, 0, &id);
    return rc ? rc : s->ops->get_points(s, id, from_ms, to_ms, out, n);
}
