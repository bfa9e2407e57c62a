/* test_store.c — the store contract, run against each backend: idempotent upserts,
 * half-open reads, gaps, rollback, predictions, meta and saved backtest runs. Without
 * CPE_TEST_PG_URL_FILE it checks SQLite; with it (a file holding the URL of a throwaway server,
 * made by tests/pg_tmp.sh as a ctest fixture) the same checks run on PostgreSQL, each test in a
 * fresh database, plus the checks of migrations and partitions. */
#include "cpe/alertdb.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"
#include "test.h"

#include <stdint.h>
#ifdef CPE_HAVE_PG
#include <libpq-fe.h>
#endif

static char pg_base[512]; /* postgres://user@host:port/ without a database; "" = SQLite */

/* The URL of test `name`'s store. */
static void store_url(const char *name, char *url, size_t cap)
{
    if (pg_base[0])
        snprintf(url, cap, "%scpe_t_%s", pg_base, name);
    else
        snprintf(url, cap, "sqlite:%s/%s/store.db", test_tmpdir(), name);
}

#ifdef CPE_HAVE_PG
static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Run one SQL command on database db of the test server: the integer in its one-row
 * answer, 0 for a command, -1 on error. */
static long pg_admin(const char *db, const char *sql)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", pg_base, db);
    PGconn *c = PQconnectdb(url);
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, sql);
    long v = -1;
    if (PQresultStatus(r) == PGRES_COMMAND_OK) v = 0;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) v = atol(PQgetvalue(r, 0, 0));
    CHECK_MSG(v >= 0, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return v;
}

/* A fresh database for test `name`, migrated. */
static int pg_fresh(const char *name)
{
    char sql[256], url[600];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS cpe_t_%s WITH (FORCE)", name);
    if (pg_admin("cpe", sql) < 0) return -1;
    snprintf(sql, sizeof sql, "CREATE DATABASE cpe_t_%s", name);
    if (pg_admin("cpe", sql) < 0) return -1;
    store_url(name, url, sizeof url);
    int from = -1, to = -1;
    cpe_diag_t d = {0};
    int rc = cpe_store_migrate(url, &from, &to, &d);
    CHECK_MSG(rc == 0 && from == 0 && to >= 1, "migrate %s: %s", url, d.msg);
    return rc;
}
#endif

static cpe_store_t *open_fresh(const char *name)
{
    char url[1024];
    store_url(name, url, sizeof url);
#ifdef CPE_HAVE_PG
    if (pg_base[0] && pg_fresh(name)) return NULL;
#endif
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    int rc = cpe_store_open(url, &s, &d);
    CHECK_MSG(rc == 0, "open %s: %s", url, d.msg);
    return s;
}

static cpe_kline_t mk(int64_t ts, double px)
{
    cpe_kline_t k = {ts, px, px + 2, px - 1, px + 1, 10, 10 * px, 7, 4, 4 * px};
    return k;
}

static int64_t kline_series(cpe_store_t *s)
{
    int64_t id = -1;
    CHECK_EQ_INT(
        s->ops->series_id(s, "binance:spot:BTCUSDT", "kline:1m", CPE_MS_PER_MIN, 0, 1, &id), 0);
    return id;
}

static void test_store_upsert_same_rows_twice_counts_unchanged(void)
{
    cpe_store_t *s = open_fresh("idem");
    if (!s) return;
    int64_t id = kline_series(s);
    cpe_kline_t k[3000];
    int64_t t0 = 1704067200000LL - 1000 * CPE_MS_PER_MIN; /* spans two UTC days */
    for (int i = 0; i < 3000; i++)
        k[i] = mk(t0 + i * CPE_MS_PER_MIN, 100 + i);
    cpe_upsert_stats_t st = {0};
    CHECK_EQ_INT(s->ops->put_klines(s, id, k, 3000, &st), 0);
    CHECK_EQ_INT(st.inserted, 3000);
    cpe_kline_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_EQ_INT(s->ops->get_klines(s, id, INT64_MIN, INT64_MAX, &a, &na), 0);
    cpe_upsert_stats_t st2 = {0};
    CHECK_EQ_INT(s->ops->put_klines(s, id, k, 3000, &st2), 0);
    CHECK_EQ_INT(st2.inserted, 0);
    CHECK_EQ_INT(st2.updated, 0);
    CHECK_EQ_INT(st2.unchanged, 3000);
    CHECK_EQ_INT(s->ops->get_klines(s, id, INT64_MIN, INT64_MAX, &b, &nb), 0);
    CHECK_EQ_INT(na, 3000);
    CHECK_EQ_INT(nb, 3000);
    CHECK(na == nb && !memcmp(a, b, na * sizeof *a));
    /* one changed row is an update, not an insert */
    k[5].close += 1;
    cpe_upsert_stats_t st3 = {0};
    CHECK_EQ_INT(s->ops->put_klines(s, id, k + 5, 1, &st3), 0);
    CHECK_EQ_INT(st3.updated, 1);
    free(a);
    free(b);
    cpe_store_close(s);
}

static void test_store_kline_reads_are_half_open_and_sorted(void)
{
    cpe_store_t *s = open_fresh("range");
    if (!s) return;
    int64_t id = kline_series(s);
    cpe_kline_t k[10];
    int64_t t0 = 1704067200000LL;
    for (int i = 0; i < 10; i++)
        k[i] = mk(t0 + (9 - i) * CPE_MS_PER_HOUR * 5, 50 + i); /* reversed */
    CHECK_EQ_INT(s->ops->put_klines(s, id, k, 10, NULL), 0);
    cpe_kline_t *r = NULL;
    size_t n = 0;
    CHECK_EQ_INT(
        s->ops->get_klines(s, id, t0 + 5 * CPE_MS_PER_HOUR, t0 + 25 * CPE_MS_PER_HOUR, &r, &n), 0);
    CHECK_EQ_INT(n, 4); /* 5h,10h,15h,20h; 25h excluded */
    if (n == 4) {
        CHECK_EQ_INT(r[0].ts_ms, t0 + 5 * CPE_MS_PER_HOUR);
        CHECK_EQ_INT(r[3].ts_ms, t0 + 20 * CPE_MS_PER_HOUR);
        CHECK_NEAR(r[0].open, 58, 0);
    }
    free(r);
    r = NULL;
    n = 0;
    CHECK_EQ_INT(
        cpe_store_read_klines(s, "binance:spot:BTCUSDT", "kline:1m", INT64_MIN, INT64_MAX, &r, &n),
        0);
    CHECK_EQ_INT(n, 10);
    for (size_t i = 1; i < n; i++)
        CHECK(r[i].ts_ms > r[i - 1].ts_ms);
    free(r);
    CHECK_EQ_INT(cpe_store_read_klines(s, "binance:spot:ETHUSDT", "kline:1m", 0, 1, &r, &n),
                 CPE_ENOTFOUND);
    cpe_store_close(s);
}

static void test_store_gaps_report_missing_runs(void)
{
    cpe_store_t *s = open_fresh("gaps");
    if (!s) return;
    int64_t id = kline_series(s);
    int64_t t0 = 1704067200000LL;
    cpe_kline_t k[20];
    int m = 0;
    for (int i = 0; i < 20; i++)
        if (!(i >= 3 && i <= 5) && i != 10) k[m++] = mk(t0 + i * CPE_MS_PER_MIN, 100);
    CHECK_EQ_INT(s->ops->put_klines(s, id, k, (size_t)m, NULL), 0);
    cpe_gap_t *g = NULL;
    size_t ng = 0;
    CHECK_EQ_INT(cpe_store_gaps(s, id, 0, INT64_MIN, INT64_MAX, &g, &ng), 0);
    CHECK_EQ_INT(ng, 2);
    if (ng == 2) {
        CHECK_EQ_INT(g[0].from_ms, t0 + 3 * CPE_MS_PER_MIN);
        CHECK_EQ_INT(g[0].to_ms, t0 + 5 * CPE_MS_PER_MIN);
        CHECK_EQ_INT(g[0].missing, 3);
        CHECK_EQ_INT(g[1].missing, 1);
    }
    free(g);
    /* explicit bounds count the edges: [t0-2m, t0+22m) misses 2 before and 2 after */
    CHECK_EQ_INT(
        cpe_store_gaps(s, id, 0, t0 - 2 * CPE_MS_PER_MIN, t0 + 22 * CPE_MS_PER_MIN, &g, &ng), 0);
    CHECK_EQ_INT(ng, 4);
    if (ng == 4) {
        CHECK_EQ_INT(g[0].from_ms, t0 - 2 * CPE_MS_PER_MIN);
        CHECK_EQ_INT(g[0].missing, 2);
        CHECK_EQ_INT(g[3].from_ms, t0 + 20 * CPE_MS_PER_MIN);
        CHECK_EQ_INT(g[3].missing, 2);
    }
    free(g);
    cpe_store_close(s);
}

static void test_store_point_gaps_floor_to_grid(void)
{
    cpe_store_t *s = open_fresh("pgaps");
    if (!s) return;
    int64_t id;
    CHECK_EQ_INT(
        s->ops->series_id(s, "binance:perp:BTCUSDT", "funding", 8 * CPE_MS_PER_HOUR, 0, 1, &id), 0);
    int64_t t0 = 1704067200000LL;
    cpe_point_t p[3] = {{t0 + 8, 0, {1e-4, NAN, NAN, NAN, NAN, NAN}},
                        {t0 + 16 * CPE_MS_PER_HOUR + 5, 0, {2e-4, NAN, NAN, NAN, NAN, NAN}},
                        {t0 + 24 * CPE_MS_PER_HOUR, 0, {3e-4, NAN, NAN, NAN, NAN, NAN}}};
    CHECK_EQ_INT(s->ops->put_points(s, id, p, 3, NULL), 0);
    cpe_gap_t *g = NULL;
    size_t ng = 0;
    CHECK_EQ_INT(cpe_store_gaps(s, id, 0, INT64_MIN, INT64_MAX, &g, &ng), 0);
    CHECK_EQ_INT(ng, 1);
    if (ng == 1) {
        CHECK_EQ_INT(g[0].from_ms, t0 + 8 * CPE_MS_PER_HOUR);
        CHECK_EQ_INT(g[0].missing, 1);
    }
    free(g);
    cpe_store_close(s);
}

static void test_store_points_upsert_and_nan_roundtrip(void)
{
    cpe_store_t *s = open_fresh("points");
    if (!s) return;
    int64_t id;
    CHECK_EQ_INT(s->ops->series_id(s, "binance:perp:BTCUSDT", "liq", 0, 0, 1, &id), 0);
    cpe_point_t p[3] = {{1000, 0, {1, 50000, 0.5, NAN, NAN, NAN}},
                        {1000, 1, {-1, 50010, 0.2, NAN, NAN, NAN}},
                        {2000, 0, {1, 49990, 1.5, NAN, NAN, NAN}}};
    cpe_upsert_stats_t st = {0};
    CHECK_EQ_INT(s->ops->put_points(s, id, p, 3, &st), 0);
    CHECK_EQ_INT(st.inserted, 3);
    cpe_upsert_stats_t st2 = {0};
    CHECK_EQ_INT(s->ops->put_points(s, id, p, 3, &st2), 0);
    CHECK_EQ_INT(st2.unchanged, 3);
    CHECK_EQ_INT(st2.inserted, 0);
    cpe_point_t *r = NULL;
    size_t n = 0;
    CHECK_EQ_INT(s->ops->get_points(s, id, 1000, 2000, &r, &n), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(r[1].seq, 1);
        CHECK_NEAR(r[1].v[1], 50010, 0);
        CHECK(isnan(r[1].v[3]));
    }
    free(r);
    cpe_series_info_t *si = NULL;
    size_t ns = 0;
    CHECK_EQ_INT(s->ops->list_series(s, &si, &ns), 0);
    CHECK_EQ_INT(ns, 1);
    if (ns == 1) {
        CHECK_EQ_INT(si[0].count, 3);
        CHECK_EQ_INT(si[0].first_ts, 1000);
        CHECK_EQ_INT(si[0].last_ts, 2000);
        CHECK_STR(si[0].kind, "liq");
    }
    free(si);
    cpe_store_close(s);
}

static void test_store_rollback_leaves_store_as_before(void)
{
    cpe_store_t *s = open_fresh("rollback");
    if (!s) return;
    int64_t id = kline_series(s);
    int64_t t0 = 1704067200000LL;
    cpe_kline_t k[5];
    for (int i = 0; i < 5; i++)
        k[i] = mk(t0 + i * CPE_MS_PER_MIN, 100);
    CHECK_EQ_INT(s->ops->put_klines(s, id, k, 5, NULL), 0);
    CHECK_EQ_INT(s->ops->begin(s), 0);
    cpe_kline_t more[5];
    for (int i = 0; i < 5; i++)
        more[i] = mk(t0 + (i + 3) * CPE_MS_PER_MIN, 200);
    CHECK_EQ_INT(s->ops->put_klines(s, id, more, 5, NULL), 0);
    int64_t id2;
    CHECK_EQ_INT(s->ops->series_id(s, "binance:perp:XUSDT", "funding", 0, 0, 1, &id2), 0);
    CHECK_EQ_INT(s->ops->rollback(s), 0);
    cpe_kline_t *r = NULL;
    size_t n = 0;
    CHECK_EQ_INT(s->ops->get_klines(s, id, INT64_MIN, INT64_MAX, &r, &n), 0);
    CHECK_EQ_INT(n, 5);
    CHECK(n == 5 && !memcmp(r, k, sizeof k));
    free(r);
    CHECK_EQ_INT(s->ops->series_id(s, "binance:perp:XUSDT", "funding", 0, 0, 0, &id2),
                 CPE_ENOTFOUND);
    cpe_store_close(s);
}

static void test_store_prediction_latest_at_or_before(void)
{
    cpe_store_t *s = open_fresh("pred");
    if (!s) return;
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
    snprintf(p.model_version, sizeof p.model_version, "m1");
    p.horizon_h = 4;
    for (int i = 0; i < 3; i++) {
        p.ts_ms = 1000 * (i + 1);
        p.p_up = 0.1 * (i + 1);
        CHECK_EQ_INT(s->ops->put_prediction(s, &p, i == 1 ? "{\"top\":[]}" : NULL), 0);
    }
    cpe_prediction_t out;
    char *ex = NULL;
    CHECK_EQ_INT(s->ops->get_prediction(s, "BTCUSDT", 4, 2500, &out, &ex), 0);
    CHECK_EQ_INT(out.ts_ms, 2000);
    CHECK_NEAR(out.p_up, 0.2, 1e-15);
    CHECK_STR(ex, "{\"top\":[]}");
    free(ex);
    CHECK_EQ_INT(s->ops->get_prediction(s, "BTCUSDT", 4, 999, &out, NULL), CPE_ENOTFOUND);
    CHECK_EQ_INT(s->ops->get_prediction(s, "BTCUSDT", 1, 5000, &out, NULL), CPE_ENOTFOUND);
    cpe_prediction_t *all = NULL;
    size_t n = 0;
    CHECK_EQ_INT(s->ops->get_predictions(s, "BTCUSDT", 4, 1000, 3000, &all, &n), 0);
    CHECK_EQ_INT(n, 2);
    free(all);
    cpe_store_close(s);
}

static void test_store_meta_set_get(void)
{
    cpe_store_t *s = open_fresh("meta");
    if (!s) return;
    char v[64];
    CHECK_EQ_INT(s->ops->get_meta(s, "nope", v, sizeof v), CPE_ENOTFOUND);
    CHECK_EQ_INT(s->ops->set_meta(s, "model", "v1"), 0);
    CHECK_EQ_INT(s->ops->set_meta(s, "model", "v2"), 0);
    CHECK_EQ_INT(s->ops->get_meta(s, "model", v, sizeof v), 0);
    CHECK_STR(v, "v2");
    CHECK_EQ_INT(s->ops->get_meta(s, "model", v, 2), CPE_ETOOBIG);
    cpe_store_close(s);
}

static int collect_ids(void *ctx, int64_t id, const char *json)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "%lld=%s;", (long long)id, json);
    return 0;
}

/* Alert rows (cpe/alertdb.h) live in meta on either backend: ids count up, a walk sees
 * one table's live rows by id, a deleted row is gone for readers. */
static void test_store_alert_rows(void)
{
    cpe_store_t *s = open_fresh("alertdb");
    if (!s) return;
    int64_t a, b, c;
    CHECK_EQ_INT(cpe_alertdb_next_id(s, "rule", &a), 0);
    CHECK_EQ_INT(cpe_alertdb_next_id(s, "rule", &b), 0);
    CHECK_EQ_INT(cpe_alertdb_next_id(s, "event", &c), 0);
    CHECK(a == 1 && b == 2 && c == 1);
    CHECK_EQ_INT(cpe_alertdb_put(s, "rule", 2, "{\"x\":2}"), 0);
    CHECK_EQ_INT(cpe_alertdb_put(s, "rule", 1, "{\"x\":1}"), 0);
    CHECK_EQ_INT(cpe_alertdb_put(s, "event", 1, "{}"), 0);
    char v[64], seen[256] = "";
    CHECK_EQ_INT(cpe_alertdb_get(s, "rule", 2, v, sizeof v), 0);
    CHECK_STR(v, "{\"x\":2}");
    CHECK_EQ_INT(cpe_alertdb_each(s, "rule", collect_ids, seen), 0);
    CHECK_STR(seen, "1={\"x\":1};2={\"x\":2};");
    CHECK_EQ_INT(cpe_alertdb_del(s, "rule", 1), 0);
    CHECK_EQ_INT(cpe_alertdb_get(s, "rule", 1, v, sizeof v), CPE_ENOTFOUND);
    CHECK_EQ_INT(cpe_alertdb_get(s, "rule", 7, v, sizeof v), CPE_ENOTFOUND);
    seen[0] = 0;
    CHECK_EQ_INT(cpe_alertdb_each(s, "rule", collect_ids, seen), 0);
    CHECK_STR(seen, "2={\"x\":2};");
    cpe_store_close(s);
}

static void test_store_two_handles_see_each_others_writes(void)
{
    cpe_store_t *a = open_fresh("shared");
    if (!a) return;
    char path[1024];
    store_url("shared", path, sizeof path);
    cpe_store_t *b = NULL;
    CHECK_EQ_INT(cpe_store_open(path, &b, NULL), 0);
    if (!b) {
        cpe_store_close(a);
        return;
    }
    int64_t id = kline_series(a);
    cpe_kline_t k = mk(1704067200000LL, 10);
    CHECK_EQ_INT(a->ops->put_klines(a, id, &k, 1, NULL), 0);
    cpe_kline_t *r = NULL;
    size_t n = 0;
    CHECK_EQ_INT(
        cpe_store_read_klines(b, "binance:spot:BTCUSDT", "kline:1m", INT64_MIN, INT64_MAX, &r, &n),
        0);
    CHECK_EQ_INT(n, 1);
    free(r);
    cpe_store_close(a);
    cpe_store_close(b);
    cpe_store_close(NULL);
}

/* A run saved at created_ms whose JSON texts say which run it is. */
static int put_run(cpe_store_t *s, const char *id, int64_t created_ms, const char *result)
{
    char strat[64], metrics[64];
    snprintf(strat, sizeof strat, "{\"run\":\"%s\"}", id);
    snprintf(metrics, sizeof metrics, "{\"total_return\":%lld}", (long long)created_ms);
    cpe_store_run_t r = {.created_ms = created_ms, .from_ms = 1000, .to_ms = 2000};
    snprintf(r.id, sizeof r.id, "%s", id);
    snprintf(r.instrument, sizeof r.instrument, "binance:spot:BTCUSDT");
    snprintf(r.data_version, sizeof r.data_version, "bars 60");
    snprintf(r.model_version, sizeof r.model_version, "wf code 1");
    r.strategy_json = strat;
    r.metrics_json = metrics;
    r.result_json = (char *)result;
    return s->ops->put_run(s, &r);
}

static void test_store_runs_list_newest_first_in_pages_without_results(void)
{
    cpe_store_t *s = open_fresh("runs_list");
    if (!s) return;
    const char *ids[] = {"r-c", "r-a", "r-e", "r-b", "r-d"};
    const int64_t at[] = {300, 100, 300, 200, 400}; /* r-c and r-e share a time: id desc */
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(put_run(s, ids[i], at[i], "{\"equity\":{}}"), 0);
    cpe_store_run_t *r = NULL;
    size_t n = 0, total = 0;
    CHECK_EQ_INT(s->ops->list_runs(s, 0, 2, &r, &n, &total), 0);
    CHECK_EQ_INT(total, 5);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK(!strcmp(r[0].id, "r-d") && !strcmp(r[1].id, "r-e"));
        CHECK(r[0].result_json == NULL);
        CHECK(!strcmp(r[0].metrics_json, "{\"total_return\":400}"));
        CHECK(!strcmp(r[1].strategy_json, "{\"run\":\"r-e\"}"));
        CHECK(!strcmp(r[0].instrument, "binance:spot:BTCUSDT"));
    }
    cpe_store_runs_free(r, n);
    CHECK_EQ_INT(s->ops->list_runs(s, 2, 10, &r, &n, &total), 0);
    CHECK_EQ_INT(n, 3);
    if (n == 3)
        CHECK(!strcmp(r[0].id, "r-c") && !strcmp(r[1].id, "r-b") && !strcmp(r[2].id, "r-a"));
    cpe_store_runs_free(r, n);
    CHECK_EQ_INT(s->ops->list_runs(s, 9, 10, &r, &n, &total), 0); /* past the end */
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(total, 5);
    cpe_store_runs_free(r, n);
    cpe_store_close(s);
}

static void test_store_run_get_returns_result_and_put_replaces(void)
{
    cpe_store_t *s = open_fresh("runs_get");
    if (!s) return;
    CHECK_EQ_INT(put_run(s, "r-1", 100, "{\"trades\":[1]}"), 0);
    CHECK_EQ_INT(put_run(s, "r-1", 150, "{\"trades\":[1,2]}"), 0); /* same id: replaced */
    cpe_store_run_t r;
    CHECK_EQ_INT(s->ops->get_run(s, "r-1", &r), 0);
    CHECK_EQ_INT(r.created_ms, 150);
    CHECK_EQ_INT(r.from_ms, 1000);
    CHECK_EQ_INT(r.to_ms, 2000);
    CHECK(!strcmp(r.data_version, "bars 60") && !strcmp(r.model_version, "wf code 1"));
    CHECK(r.result_json && !strcmp(r.result_json, "{\"trades\":[1,2]}"));
    cpe_store_run_clear(&r);
    cpe_store_run_clear(&r); /* twice is a no-op */
    cpe_store_run_t *l = NULL;
    size_t n = 0, total = 0;
    CHECK_EQ_INT(s->ops->list_runs(s, 0, 0, &l, &n, &total), 0);
    CHECK_EQ_INT(total, 1);
    CHECK_EQ_INT(s->ops->get_run(s, "nope", &r), CPE_ENOTFOUND);
    CHECK(strstr(s->diag.msg, "nope") != NULL);
    CHECK_EQ_INT(put_run(s, "r-2", 1, NULL), CPE_EINVAL);
    cpe_store_close(s);
}

#ifdef CPE_HAVE_PG
static void test_store_pg_open_needs_migrate_which_is_idempotent(void)
{
    char url[1024];
    store_url("mig", url, sizeof url);
    if (pg_admin("cpe", "DROP DATABASE IF EXISTS cpe_t_mig WITH (FORCE)") < 0 ||
        pg_admin("cpe", "CREATE DATABASE cpe_t_mig") < 0)
        return;
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_store_open(url, &s, &d), CPE_EUNSUPPORTED);
    CHECK_MSG(strstr(d.msg, "cpe migrate") != NULL, "message: %s", d.msg);
    int from = -1, to = -1;
    CHECK_EQ_INT(cpe_store_migrate(url, &from, &to, &d), 0);
    CHECK_EQ_INT(from, 0);
    CHECK_EQ_INT(to, 2);
    CHECK_EQ_INT(cpe_store_migrate(url, &from, &to, &d), 0);
    CHECK_EQ_INT(from, 2);
    CHECK_EQ_INT(to, 2);
    CHECK_EQ_INT(pg_admin("cpe_t_mig", "SELECT count(*) FROM schema_version"), 2);
    CHECK_EQ_INT(cpe_store_open(url, &s, &d), 0);
    cpe_store_close(s);
}

static void test_store_pg_klines_partitioned_by_month_and_old_months_dropped(void)
{
    cpe_store_t *s = open_fresh("part");
    if (!s) return;
    int64_t id = kline_series(s);
    int64_t feb = 1706745600000LL; /* 2024-02-01 */
    cpe_kline_t k[120];
    for (int i = 0; i < 120; i++)
        k[i] = mk(feb + (i - 60) * CPE_MS_PER_MIN, 100 + i);
    cpe_upsert_stats_t st = {0};
    CHECK_EQ_INT(s->ops->put_klines(s, id, k, 120, &st), 0);
    CHECK_EQ_INT(st.inserted, 120);
    CHECK_EQ_INT(pg_admin("cpe_t_part", "SELECT count(*) FROM pg_inherits WHERE "
                                        "inhparent = 'kline_chunk'::regclass"),
                 2);
    CHECK_EQ_INT(pg_admin("cpe_t_part", "SELECT sum(n) FROM kline_chunk_2024_01"), 60);
    /* retention: dropping January's partition leaves February whole */
    pg_admin("cpe_t_part", "DROP TABLE kline_chunk_2024_01");
    cpe_kline_t *r = NULL;
    size_t n = 0;
    CHECK_EQ_INT(s->ops->get_klines(s, id, INT64_MIN, INT64_MAX, &r, &n), 0);
    CHECK_EQ_INT(n, 60);
    CHECK(n == 60 && r[0].ts_ms == feb && !memcmp(r, k + 60, 60 * sizeof *r));
    free(r);
    cpe_store_close(s);
}
#endif

/* Read the test server's URL and keep it without its database name. */
static int use_postgres(void)
{
    const char *f = getenv("CPE_TEST_PG_URL_FILE");
    if (!f || !*f) return 0;
    FILE *fp = fopen(f, "r");
    if (!fp || !fgets(pg_base, sizeof pg_base, fp)) {
        fprintf(stderr, "CPE_TEST_PG_URL_FILE=%s: no server URL (did pg_tmp.sh start fail?)\n", f);
        if (fp) fclose(fp);
        return -1;
    }
    fclose(fp);
    char *slash = strrchr(pg_base, '/');
    if (!slash || slash < pg_base + 12) return -1;
    slash[1] = 0;
    return 1;
}

int main(void)
{
    int pg = use_postgres();
    if (pg < 0) return 1;
#ifndef CPE_HAVE_PG
    if (pg) {
        fprintf(stderr, "a PostgreSQL server was given but this build has no libpq\n");
        return 1;
    }
#endif
    RUN(test_store_upsert_same_rows_twice_counts_unchanged);
    RUN(test_store_kline_reads_are_half_open_and_sorted);
    RUN(test_store_gaps_report_missing_runs);
    RUN(test_store_point_gaps_floor_to_grid);
    RUN(test_store_points_upsert_and_nan_roundtrip);
    RUN(test_store_rollback_leaves_store_as_before);
    RUN(test_store_prediction_latest_at_or_before);
    RUN(test_store_meta_set_get);
    RUN(test_store_alert_rows);
    RUN(test_store_two_handles_see_each_others_writes);
    RUN(test_store_runs_list_newest_first_in_pages_without_results);
    RUN(test_store_run_get_returns_result_and_put_replaces);
#ifdef CPE_HAVE_PG
    if (pg) {
        RUN(test_store_pg_open_needs_migrate_which_is_idempotent);
        RUN(test_store_pg_klines_partitioned_by_month_and_old_months_dropped);
    }
#endif
    return TEST_DONE();
}
