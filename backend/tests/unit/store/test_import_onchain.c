/* test_import_onchain.c — the on-chain and macro CSV imports (docs/STORE.md, On-chain and
 * macro files): the whale flows export, a daily macro close, the real exchange reserves file
 * of ../shared/data/real, and a rejected file that names its line and column and leaves the
 * store as it was. */
#include "cpe/import.h"
#include "cpe/timeutil.h"
#include "fixtures.h"

static cpe_store_t *store(const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/db/%s.db", test_tmpdir(), name);
    fx_path("db/x");
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    CHECK_MSG(cpe_store_open(p, &s, &d) == 0, "%s", d.msg);
    return s;
}

static int import_as(cpe_store_t *s, const char *path, const char *series, cpe_import_stats_t *st,
                     cpe_diag_t *d)
{
    cpe_import_opts_t o;
    cpe_import_opts_init(&o);
    o.series = series;
    cpe_diag_clear(d);
    return cpe_import_file(s, path, &o, st, d);
}

static size_t npoints(cpe_store_t *s, const char *instr, const char *kind, cpe_point_t **p)
{
    size_t n = 0;
    *p = NULL;
    cpe_store_read_points(s, instr, kind, INT64_MIN, INT64_MAX, p, &n);
    return n;
}

#define WHALE_HDR "ts,to_exchange_count,to_exchange_usd,from_exchange_count,from_exchange_usd\n"

static void test_whale_flows_export_imports_hourly(void)
{
    cpe_store_t *s = store("whale");
    const char *f =
        fx_write("onchain/whale.csv", WHALE_HDR "2024-01-01T00:00:00Z,3,4500000,1,800000\n"
                                                "2024-01-01T01:00:00Z,0,0,2,2600000\n");
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_MSG(import_as(s, f, "BTC:whale_flows", &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.format, "whaleFlows");
    cpe_point_t *p;
    CHECK_EQ_INT(npoints(s, "series:BTC:whale_flows", "series:whale_flows", &p), 2);
    if (p) {
        CHECK_EQ_INT((long long)p[0].ts_ms, 1704067200000LL);
        CHECK_NEAR(p[0].v[0], 3, 0);
        CHECK_NEAR(p[0].v[1], 4500000, 0);
        CHECK_NEAR(p[1].v[2], 2, 0);
        CHECK_NEAR(p[1].v[3], 2600000, 0);
    }
    free(p);
    int64_t id;
    cpe_series_info_t si;
    CHECK_EQ_INT(s->ops->series_id(s, "series:BTC:whale_flows", "series:whale_flows", 0, 0, 0, &id),
                 0);
    CHECK_EQ_INT(s->ops->series_get(s, id, &si), 0);
    CHECK_EQ_INT(si.interval_ms, CPE_MS_PER_HOUR);
    cpe_store_close(s);
}

static void test_rejected_export_names_line_and_column_and_changes_nothing(void)
{
    cpe_store_t *s = store("whale_bad");
    cpe_import_stats_t st;
    cpe_diag_t d;
    const char *good =
        fx_write("onchain/good.csv", WHALE_HDR "2024-01-01T00:00:00Z,1,1000000,0,0\n");
    CHECK_MSG(import_as(s, good, "BTC:whale_flows", &st, &d) == 0, "%s", d.msg);
    const char *bad = fx_write("onchain/bad.csv", WHALE_HDR "2024-01-01T02:00:00Z,1,2000000,0,0\n"
                                                            "2024-01-01T03:00:00Z,1,-5,0,0\n");
    CHECK(import_as(s, bad, "BTC:whale_flows", &st, &d) < 0);
    CHECK_MSG(strstr(d.msg, "bad.csv:3") && strstr(d.msg, "'to_exchange_usd' (-5) is negative"),
              "message: %s", d.msg);
    const char *offgrid =
        fx_write("onchain/offgrid.csv", WHALE_HDR "2024-01-01T02:30:00Z,1,1,0,0\n");
    CHECK(import_as(s, offgrid, "BTC:whale_flows", &st, &d) < 0);
    CHECK_MSG(strstr(d.msg, "offgrid.csv:2") && strstr(d.msg, "not on the 1h grid"), "message: %s",
              d.msg);
    const char *macro =
        fx_write("onchain/spx.csv", "date,close\n2024-01-02,4742.83\n2024-01-0x,1\n");
    CHECK(import_as(s, macro, "MACRO:sp500", &st, &d) < 0);
    CHECK_MSG(strstr(d.msg, "spx.csv:3") && strstr(d.msg, "'ts'"), "message: %s", d.msg);
    cpe_point_t *p;
    CHECK_EQ_INT(npoints(s, "series:BTC:whale_flows", "series:whale_flows", &p), 1);
    free(p);
    CHECK_EQ_INT(npoints(s, "series:MACRO:sp500", "series:sp500", &p), 0);
    free(p);
    cpe_store_close(s);
}

static void test_macro_daily_closes_import_at_day_starts(void)
{
    cpe_store_t *s = store("macro");
    cpe_import_stats_t st;
    cpe_diag_t d;
    static const char *const names[] = {"MACRO:sp500", "MACRO:gold", "MACRO:dxy",
                                        "CRYPTO:btc_dominance"};
    const char *f =
        fx_write("onchain/macro.csv", "date,close\n2024-01-02,4742.83\n2024-01-03,4704.81\n");
    for (size_t i = 0; i < 4; i++) {
        CHECK_MSG(import_as(s, f, names[i], &st, &d) == 0, "%s", d.msg);
        CHECK_EQ_INT(st.inserted, 2);
        CHECK_EQ_INT(st.first_ts, 1704153600000LL);
    }
    cpe_store_close(s);
}

static void test_real_exchange_reserves_file(void)
{
    const char *dir = test_shared_dir();
    if (!dir) SKIP("no ../shared/data/real (set CPE_SHARED)");
    char path[1200];
    snprintf(path, sizeof path, "%s/newhedge_BTC_exchangeReservesBTC_1d_2010-11-02_2025-08-31.csv",
             dir);
    if (access(path, R_OK) != 0) SKIP("%s is absent", path);
    cpe_store_t *s = store("reserves");
    cpe_import_stats_t st;
    cpe_diag_t d = {0};
    cpe_import_opts_t o;
    cpe_import_opts_init(&o);
    CHECK_MSG(cpe_import_file(s, path, &o, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.instrument, "series:BTC:exchange_reserves");
    CHECK_EQ_INT(st.rows, 5309);
    CHECK_EQ_INT(st.first_ts, 1288656000000LL); /* 2010-11-02 */
    CHECK_EQ_INT(st.last_ts, 1756598400000LL);  /* 2025-08-31 */
    cpe_point_t *p;
    size_t n = npoints(s, "series:BTC:exchange_reserves", "series:exchange_reserves", &p);
    CHECK_EQ_INT(n, 5309);
    if (n) CHECK_NEAR(p[0].v[0], 5000.0, 0);
    free(p);
    CHECK_MSG(cpe_import_file(s, path, &o, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(st.inserted, 0); /* a re-import adds nothing */
    cpe_store_close(s);
}

int main(void)
{
    RUN(test_whale_flows_export_imports_hourly);
    RUN(test_rejected_export_names_line_and_column_and_changes_nothing);
    RUN(test_macro_daily_closes_import_at_day_starts);
    RUN(test_real_exchange_reserves_file);
    return TEST_DONE();
}
