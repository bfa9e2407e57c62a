/* test_retrain.c — the retraining schedule's pieces that need no training: the next daily
 * run time (UTC, strictly after now, across midnight), the CPE_RETRAIN_* settings and
 * their validation, and the /health object when the schedule is off. */
#include "api/retrain.h"
#include "cpe/api.h"
#include "cpe/buf.h"
#include "test.h"

#define DAY 86400000LL
#define D0 1764892800000LL /* 2025-12-05 00:00 UTC */

static void test_next_daily_run_is_the_next_utc_time_strictly_after_now(void)
{
    CHECK(cpe_retrain_next_daily(D0 - 1, 0) == D0);
    CHECK(cpe_retrain_next_daily(D0, 0) == D0 + DAY); /* exactly at the time: tomorrow */
    CHECK(cpe_retrain_next_daily(D0 + 1, 0) == D0 + DAY);
    CHECK(cpe_retrain_next_daily(D0 + 3600000, 30) == D0 + DAY + 30 * 60000);
    CHECK(cpe_retrain_next_daily(D0 + 10 * 60000, 30) == D0 + 30 * 60000);
    CHECK(cpe_retrain_next_daily(D0 + DAY - 1, 23 * 60 + 59) ==
          D0 + DAY + (23 * 60 + 59) * 60000LL);
    CHECK(cpe_retrain_next_daily(D0 + 23 * 3600000LL, 23 * 60 + 59) ==
          D0 + (23 * 60 + 59) * 60000LL);
}

static void test_retrain_settings_default_and_reject_bad_values(void)
{
    cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    CHECK_EQ_INT(c.retrain, 1);
    CHECK_EQ_INT(c.retrain_at_min, 0);
    CHECK_EQ_INT(c.retrain_every_s, 0);
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_RETRAIN_AT", "13:45", &d), 0);
    CHECK_EQ_INT(c.retrain_at_min, 13 * 60 + 45);
    CHECK_EQ_INT(cpe_api_config_set(&c, "retrain-every-s", "5", &d), 0);
    CHECK_EQ_INT(c.retrain_every_s, 5);
    const char *bad[] = {"24:00", "12:60", "1:05", " 1:05", "+1:05", "12-00", "12:000", "", "noon"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_MSG(cpe_api_config_set(&c, "CPE_RETRAIN_AT", bad[i], &d) == CPE_EINVAL, "'%s'",
                  bad[i]);
        CHECK(strstr(d.msg, "HH:MM") != NULL);
    }
    CHECK_EQ_INT(c.retrain_at_min, 13 * 60 + 45);
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_RETRAIN", "2", &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_RETRAIN_EVERY_S", "-1", &d), CPE_EINVAL);
}

static void test_disabled_schedule_starts_nothing_and_says_so(void)
{
    cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    c.retrain = 0;
    cpe_retrain_t *r = (cpe_retrain_t *)&c; /* must be overwritten with NULL */
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_retrain_start(&c, &r, &d), 0);
    CHECK(r == NULL);
    cpe_buf_t b;
    cpe_buf_init(&b, 4096);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_retrain_write_health(r, &w);
    CHECK(b.data && !strcmp(b.data, "{\"enabled\":false}"));
    cpe_buf_free(&b);
    cpe_retrain_stop(NULL);
}

int main(void)
{
    RUN(test_next_daily_run_is_the_next_utc_time_strictly_after_now);
    RUN(test_retrain_settings_default_and_reject_bad_values);
    RUN(test_disabled_schedule_starts_nothing_and_says_so);
    return TEST_DONE();
}
