/* Unit tests for the on-chain connectors' parsers and aggregation (sources/onchain_parse.c):
 * answers recorded in each service's documented shape, malformed ones, and the whale and
 * change arithmetic against hand-computed values. The fetch itself (paging, 429, resume) is
 * driven against a local double by tests/integration/test_onchain.sh. */
#include "cpe/onchain.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>

static const cpe_onchain_metric_t *metric(int source, const char *series)
{
    for (size_t i = 0; i < cpe_onchain_metric_count(); i++) {
        const cpe_onchain_metric_t *m = cpe_onchain_metric_at(i);
        if (m->source == source && !strcmp(m->series, series)) return m;
    }
    return NULL;
}

static int parse(const cpe_onchain_metric_t *m, const char *body, cpe_point_t **p, size_t *n,
                 char *cursor, cpe_diag_t *d)
{
    *p = NULL;
    *n = 0;
    return cpe_onchain_parse(m, body, strlen(body), p, n, cursor, cursor ? 64 : 0, d);
}

static void test_glassnode_points_skip_nulls(void)
{
    const char *body = "[{\"t\":1704067200,\"v\":-1234.5},{\"t\":1704153600,\"v\":null},"
                       "{\"t\":1704240000,\"v\":\"88.25\"}]";
    cpe_point_t *p;
    size_t n;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(parse(metric(CPE_OC_GLASSNODE, "exchange_netflow"), body, &p, &n, NULL, &d), 0);
    CHECK_EQ_INT((long)n, 2);
    if (n == 2) {
        CHECK_EQ_INT((long long)p[0].ts_ms, 1704067200000LL);
        CHECK_NEAR(p[0].v[0], -1234.5, 1e-12);
        CHECK_EQ_INT((long long)p[1].ts_ms, 1704240000000LL);
        CHECK_NEAR(p[1].v[0], 88.25, 1e-12);
    }
    free(p);
}

static void test_glassnode_bad_value_names_element(void)
{
    cpe_point_t *p;
    size_t n;
    cpe_diag_t d = {0};
    int rc =
        parse(metric(CPE_OC_GLASSNODE, "nvt_signal"),
              "[{\"t\":1704067200,\"v\":1},{\"t\":1704153600,\"v\":\"abc\"}]", &p, &n, NULL, &d);
    CHECK_EQ_INT(rc, CPE_EPARSE);
    CHECK_EQ_INT((long)n, 0);
    CHECK(strstr(d.msg, "element 1") && strstr(d.msg, "'v'"));
    free(p);
    rc = parse(metric(CPE_OC_GLASSNODE, "nvt_signal"), "{\"t\":1}", &p, &n, NULL, &d);
    CHECK_EQ_INT(rc, CPE_EPARSE);
    free(p);
    rc = parse(metric(CPE_OC_GLASSNODE, "nvt_signal"), "[{\"t\":-5,\"v\":1}]", &p, &n, NULL, &d);
    CHECK_EQ_INT(rc, CPE_EPARSE);
    free(p);
}

static void test_cryptoquant_reserve_and_datetime(void)
{
    const char *body = "{\"status\":{\"code\":200,\"message\":\"success\"},\"result\":{\"window\":"
                       "\"day\",\"data\":[{\"date\":\"2024-01-02\",\"reserve\":2010000.5,"
                       "\"reserve_usd\":9e10},{\"date\":\"2024-01-01\",\"reserve\":2011000}]}}";
    cpe_point_t *p;
    size_t n;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(parse(metric(CPE_OC_CRYPTOQUANT, "exchange_reserves"), body, &p, &n, NULL, &d), 0);
    CHECK_EQ_INT((long)n, 2);
    if (n == 2) {
        CHECK_EQ_INT((long long)p[0].ts_ms, 1704153600000LL); /* newest first, as sent */
        CHECK_NEAR(p[0].v[0], 2010000.5, 1e-9);
        CHECK_NEAR(p[1].v[0], 2011000, 1e-9);
    }
    free(p);
    body =
        "{\"result\":{\"data\":[{\"datetime\":\"2024-01-01 05:00:00\",\"netflow_total\":-3.5}]}}";
    CHECK_EQ_INT(parse(metric(CPE_OC_CRYPTOQUANT, "exchange_netflow"), body, &p, &n, NULL, &d), 0);
    CHECK_EQ_INT((long)n, 1);
    if (n == 1) CHECK_EQ_INT((long long)p[0].ts_ms, 1704085200000LL);
    free(p);
    body = "{\"result\":{\"data\":[{\"date\":\"1929-01-01\",\"reserve\":1}]}}"; /* fuzz */
    CHECK_EQ_INT(parse(metric(CPE_OC_CRYPTOQUANT, "exchange_reserves"), body, &p, &n, NULL, &d),
                 CPE_EPARSE);
    free(p);
    body = "{\"result\":{\"data\":[{\"date\":\"yesterday\",\"reserve\":1}]}}";
    CHECK_EQ_INT(parse(metric(CPE_OC_CRYPTOQUANT, "exchange_reserves"), body, &p, &n, NULL, &d),
                 CPE_EPARSE);
    CHECK(strstr(d.msg, "'date'") != NULL);
    free(p);
    CHECK_EQ_INT(parse(metric(CPE_OC_CRYPTOQUANT, "exchange_reserves"),
                       "{\"status\":{\"code\":401}}", &p, &n, NULL, &d),
                 CPE_EPARSE);
    free(p);
}

static const char *whale_page =
    "{\"result\":\"success\",\"cursor\":\"2bc7e46-2bc7e46-5c66c0a7\",\"count\":4,\"transactions\":["
    "{\"blockchain\":\"bitcoin\",\"symbol\":\"btc\",\"timestamp\":1704067260,\"amount\":50,"
    "\"amount_usd\":2100000,\"from\":{\"owner_type\":\"unknown\"},\"to\":{\"owner\":\"binance\","
    "\"owner_type\":\"exchange\"}},"
    "{\"timestamp\":1704067800,\"amount_usd\":1000000,\"from\":{\"owner_type\":\"exchange\"},"
    "\"to\":{\"owner_type\":\"unknown\"}},"
    "{\"timestamp\":1704070800,\"amount_usd\":\"3000000\",\"from\":{\"owner_type\":\"unknown\"},"
    "\"to\":{\"owner_type\":\"exchange\"}},"
    "{\"timestamp\":1704070900,\"amount_usd\":900000,\"from\":{\"owner_type\":\"exchange\"},"
    "\"to\":{\"owner_type\":\"exchange\"}}]}";

static void test_whale_transfers_and_hourly_flows(void)
{
    cpe_point_t *p, *agg, *tx;
    size_t n, na;
    char cursor[64];
    cpe_diag_t d = {0};
    CHECK_EQ_INT(parse(metric(CPE_OC_WHALE_ALERT, "whale_flows"), whale_page, &p, &n, cursor, &d),
                 0);
    CHECK_STR(cursor, "2bc7e46-2bc7e46-5c66c0a7");
    CHECK_EQ_INT((long)n, 4);
    if (n == 4) {
        CHECK_NEAR(p[0].v[0], 1, 0);
        CHECK_NEAR(p[1].v[0], -1, 0);
        CHECK_NEAR(p[3].v[0], 0, 0); /* exchange to exchange: neither direction */
        CHECK_NEAR(p[2].v[1], 3000000, 0);
    }
    CHECK_EQ_INT(cpe_onchain_whale_aggregate(p, n, 3600000, &agg, &tx, &na), 0);
    CHECK_EQ_INT((long)na, 2);
    if (na == 2) {
        CHECK_EQ_INT((long long)agg[0].ts_ms, 1704067200000LL);
        CHECK_NEAR(agg[0].v[0], 1, 0);
        CHECK_NEAR(agg[0].v[1], 2100000, 0);
        CHECK_NEAR(agg[0].v[2], 1, 0);
        CHECK_NEAR(agg[0].v[3], 1000000, 0);
        CHECK_EQ_INT((long long)agg[1].ts_ms, 1704070800000LL);
        CHECK_NEAR(agg[1].v[1], 3000000, 0);
        CHECK_NEAR(agg[1].v[2], 0, 0);
        CHECK_NEAR(tx[0].v[0], 2, 0);
        CHECK_NEAR(tx[1].v[0], 2, 0);
    }
    free(p);
    free(agg);
    free(tx);
}

static void test_whale_end_and_errors(void)
{
    cpe_point_t *p;
    size_t n;
    char cursor[64] = "x";
    cpe_diag_t d = {0};
    const cpe_onchain_metric_t *m = metric(CPE_OC_WHALE_ALERT, "whale_flows");
    CHECK_EQ_INT(parse(m, "{\"result\":\"success\",\"count\":0}", &p, &n, cursor, &d), 0);
    CHECK_EQ_INT((long)n, 0);
    CHECK_STR(cursor, "");
    free(p);
    CHECK_EQ_INT(
        parse(m, "{\"result\":\"error\",\"message\":\"invalid api_key\"}", &p, &n, cursor, &d),
        CPE_EPARSE);
    free(p);
    CHECK_EQ_INT(parse(m,
                       "{\"result\":\"success\",\"transactions\":[{\"timestamp\":1,"
                       "\"amount_usd\":-4}]}",
                       &p, &n, cursor, &d),
                 CPE_EPARSE);
    CHECK(strstr(d.msg, "amount_usd") != NULL);
    free(p);
}

static void test_defillama_sums_pegs_and_changes(void)
{
    const char *body = "[{\"date\":\"1704067200\",\"totalCirculating\":{\"peggedUSD\":1.0e11},"
                       "\"totalCirculatingUSD\":{\"peggedUSD\":1.0e11,\"peggedEUR\":2.0e8}},"
                       "{\"date\":\"1704153600\",\"totalCirculatingUSD\":{\"peggedUSD\":1.005e11,"
                       "\"peggedEUR\":2.0e8}},"
                       "{\"date\":\"1704326400\",\"totalCirculatingUSD\":{\"peggedUSD\":1.01e11}}]";
    cpe_point_t *p, *c;
    size_t n, nc;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(parse(metric(CPE_OC_DEFILLAMA, "stablecoin_supply"), body, &p, &n, NULL, &d), 0);
    CHECK_EQ_INT((long)n, 3);
    if (n == 3) {
        CHECK_NEAR(p[0].v[0], 1.002e11, 1);
        CHECK_EQ_INT(cpe_onchain_changes(p, n, 86400000, &c, &nc), 0);
        CHECK_EQ_INT((long)nc, 1); /* the third day follows a missing one: no change */
        if (nc == 1) {
            CHECK_EQ_INT((long long)c[0].ts_ms, 1704153600000LL);
            CHECK_NEAR(c[0].v[0], 5e8, 1e-3);
        }
        free(c);
    }
    free(p);
    CHECK_EQ_INT(parse(metric(CPE_OC_DEFILLAMA, "stablecoin_supply"),
                       "[{\"date\":\"1704067200\",\"totalCirculatingUSD\":{\"peggedUSD\":\"x\"}}]",
                       &p, &n, NULL, &d),
                 CPE_EPARSE);
    CHECK(strstr(d.msg, "peggedUSD") != NULL);
    free(p);
}

static void test_tables_and_keys(void)
{
    CHECK_EQ_INT(cpe_onchain_source_id("whale_alert"), CPE_OC_WHALE_ALERT);
    CHECK_EQ_INT(cpe_onchain_source_id("nope"), -1);
    CHECK_STR(cpe_onchain_key(CPE_OC_DEFILLAMA), ""); /* keyless: always configured */
    unsetenv("CPE_GLASSNODE_API_KEY");
    CHECK(cpe_onchain_key(CPE_OC_GLASSNODE) == NULL);
    setenv("CPE_GLASSNODE_API_KEY", "k", 1);
    CHECK_STR(cpe_onchain_key(CPE_OC_GLASSNODE), "k");
    unsetenv("CPE_GLASSNODE_API_KEY");
    for (size_t i = 0; i < cpe_onchain_metric_count(); i++)
        CHECK(cpe_onchain_source(cpe_onchain_metric_at(i)->source) != NULL);
}

int main(void)
{
    RUN(test_glassnode_points_skip_nulls);
    RUN(test_glassnode_bad_value_names_element);
    RUN(test_cryptoquant_reserve_and_datetime);
    RUN(test_whale_transfers_and_hourly_flows);
    RUN(test_whale_end_and_errors);
    RUN(test_defillama_sums_pegs_and_changes);
    RUN(test_tables_and_keys);
    return TEST_DONE();
}
