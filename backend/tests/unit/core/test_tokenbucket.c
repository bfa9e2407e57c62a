/* Unit tests for the token bucket used by the API rate limiter and the exchange clients. */
#include "cpe/tokenbucket.h"
#include "test.h"

static void test_tokenbucket_allows_burst_then_waits_for_refill(void)
{
    cpe_tokenbucket_t tb;
    cpe_tb_init(&tb, 60, 3, 1000); /* one token per second, burst 3 */
    CHECK_EQ_INT(cpe_tb_take(&tb, 1000), 0);
    CHECK_EQ_INT(cpe_tb_take(&tb, 1000), 0);
    CHECK_EQ_INT(cpe_tb_take(&tb, 1000), 0);
    CHECK_EQ_INT(cpe_tb_take(&tb, 1000), 1000);
    CHECK_EQ_INT(cpe_tb_take(&tb, 1500), 500);
    CHECK_EQ_INT(cpe_tb_take(&tb, 2000), 0);
    /* refill never exceeds the burst */
    int ok = 0;
    for (int i = 0; i < 10; i++)
        ok += cpe_tb_take(&tb, 100000) == 0;
    CHECK_EQ_INT(ok, 3);
}

static void test_tokenbucket_block_until_empties_it(void)
{
    cpe_tokenbucket_t tb;
    cpe_tb_init(&tb, 6000, 10, 0);
    cpe_tb_block_until(&tb, 5000);
    CHECK_EQ_INT(cpe_tb_take(&tb, 1000), 4000);
    CHECK(cpe_tb_take(&tb, 5000) > 0); /* tokens were emptied at the block */
    CHECK_EQ_INT(cpe_tb_take(&tb, 5010), 0);
    cpe_tb_block_until(&tb, 1); /* an earlier block never shortens a later one */
    CHECK_EQ_INT(tb.blocked_until_ms, 5000);
}

int main(void)
{
    RUN(test_tokenbucket_allows_burst_then_waits_for_refill);
    RUN(test_tokenbucket_block_until_empties_it);
    return TEST_DONE();
}
