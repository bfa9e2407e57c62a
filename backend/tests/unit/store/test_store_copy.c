/* test_store_copy.c — cpe_store_copy / cpe_store_checksum (cpe/store_copy.h) between two
 * SQLite stores: saved backtest runs go across whole (more than one listing page, a large
 * result byte for byte), the checksums of both sides agree, a second copy changes nothing,
 * and a run that differs in its result alone makes the runs checksum differ. The same code
 * against PostgreSQL is driven by tests/integration/test_pg_store.sh. */
#include "cpe/store_copy.h"
#include "cpe/timeutil.h"
#include "fixtures.h"

#include <stdlib.h>

#define NRUNS 70 /* more than one page of the copy's run listing */

static cpe_store_t *open_at(const char *rel)
{
    char url[1100];
    snprintf(url, sizeof url, "sqlite:%s", fx_path(rel));
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    CHECK_MSG(cpe_store_open(url, &s, &d) == 0, "open %s: %s", url, d.msg);
    return s;
}

/* Run i: its texts name it; run 0 carries a 200 KB result. */
static int put_run_i(cpe_store_t *s, int i, const char *result)
{
    char strat[64], metrics[64];
    snprintf(strat, sizeof strat, "{\"fee\":%d}", i);
    snprintf(metrics, sizeof metrics, "{\"sharpe\":%d.5}", i);
    cpe_store_run_t r = {.created_ms = 1000 + i / 2, .from_ms = i, .to_ms = 10 * i};
    snprintf(r.id, sizeof r.id, "bt-%03d", i);
    snprintf(r.instrument, sizeof r.instrument, "binance:spot:BTCUSDT");
    snprintf(r.data_version, sizeof r.data_version, "bars %d", i);
    snprintf(r.model_version, sizeof r.model_version, "BTCUSDT-wf-%d", i);
    r.strategy_json = strat;
    r.metrics_json = metrics;
    r.result_json = (char *)result;
    return s->ops->put_run(s, &r);
}

static char *big_result(void)
{
    size_t n = 200 * 1024;
    char *t = malloc(n + 1);
    if (!t) return NULL;
    for (size_t i = 0; i < n; i++)
        t[i] = (char)('a' + i % 26);
    t[0] = '"';
    t[n - 1] = '"';
    t[n] = 0;
    return t;
}

static void fill_source(cpe_store_t *s, const char *big)
{
    int64_t id = -1;
    CHECK_EQ_INT(
        s->ops->series_id(s, "binance:spot:BTCUSDT", "kline:1m", CPE_MS_PER_MIN, 0, 1, &id), 0);
    cpe_kline_t k[2] = {{0, 1, 2, 0.5, 1.5, 3, 4, 5, 1, 2},
                        {CPE_MS_PER_MIN, 1.5, 2, 1, 1.2, 3, 4, 5, 1, 2}};
    CHECK_EQ_INT(s->ops->put_klines(s, id, k, 2, NULL), 0);
    for (int i = 0; i < NRUNS; i++)
        CHECK_EQ_INT(put_run_i(s, i, i ? "{\"trades\":[]}" : big), 0);
}

static void check_same(cpe_store_t *a, cpe_store_t *b)
{
    cpe_store_sums_t sa, sb;
    CHECK_EQ_INT(cpe_store_checksum(a, &sa), 0);
    CHECK_EQ_INT(cpe_store_checksum(b, &sb), 0);
    for (int i = 0; i < CPE_SUM_COUNT; i++) {
        CHECK_MSG(sa.s[i].rows == sb.s[i].rows && sa.s[i].crc == sb.s[i].crc,
                  "%s: %lld/%08x vs %lld/%08x", cpe_store_sum_names[i], (long long)sa.s[i].rows,
                  (unsigned)sa.s[i].crc, (long long)sb.s[i].rows, (unsigned)sb.s[i].crc);
    }
    CHECK_EQ_INT(sa.s[CPE_SUM_RUNS].rows, NRUNS);
}

static void test_copy_carries_saved_runs_with_results_and_same_checksums(void)
{
    char *big = big_result();
    cpe_store_t *src = open_at("copy/src.db"), *dst = open_at("copy/dst.db");
    if (!big || !src || !dst) goto out;
    fill_source(src, big);
    cpe_diag_t d = {0};
    CHECK_MSG(cpe_store_copy(src, dst, &d) == 0, "copy: %s", d.msg);
    check_same(src, dst);
    cpe_store_run_t r;
    CHECK_EQ_INT(dst->ops->get_run(dst, "bt-000", &r), 0);
    CHECK(r.result_json && !strcmp(r.result_json, big));
    CHECK_STR(r.model_version, "BTCUSDT-wf-0");
    cpe_store_run_clear(&r);
    CHECK_EQ_INT(dst->ops->get_run(dst, "bt-069", &r), 0);
    CHECK_EQ_INT(r.created_ms, 1034);
    CHECK_EQ_INT(r.to_ms, 690);
    CHECK_STR(r.strategy_json, "{\"fee\":69}");
    cpe_store_run_clear(&r);
    CHECK_MSG(cpe_store_copy(src, dst, &d) == 0, "copy again: %s", d.msg); /* idempotent */
    check_same(src, dst);
out:
    free(big);
    cpe_store_close(src);
    cpe_store_close(dst);
}

static void test_runs_checksum_sees_a_result_that_differs(void)
{
    cpe_store_t *a = open_at("diff/a.db"), *b = open_at("diff/b.db");
    if (!a || !b) goto out;
    CHECK_EQ_INT(put_run_i(a, 1, "{\"trades\":[1]}"), 0);
    CHECK_EQ_INT(put_run_i(b, 1, "{\"trades\":[2]}"), 0);
    cpe_store_sums_t sa, sb;
    CHECK_EQ_INT(cpe_store_checksum(a, &sa), 0);
    CHECK_EQ_INT(cpe_store_checksum(b, &sb), 0);
    CHECK_EQ_INT(sa.s[CPE_SUM_RUNS].rows, 1);
    CHECK_EQ_INT(sb.s[CPE_SUM_RUNS].rows, 1);
    CHECK(sa.s[CPE_SUM_RUNS].crc != sb.s[CPE_SUM_RUNS].crc);
    CHECK(sa.s[CPE_SUM_META].crc == sb.s[CPE_SUM_META].crc);
out:
    cpe_store_close(a);
    cpe_store_close(b);
}

int main(void)
{
    RUN(test_copy_carries_saved_runs_with_results_and_same_checksums);
    RUN(test_runs_checksum_sees_a_result_that_differs);
    return TEST_DONE();
}
