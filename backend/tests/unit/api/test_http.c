/* test_http.c — query parsing, parameter readers and spec 17.1 error JSON. */
#include "api/http.h"
#include "test.h"

#include <jansson.h>

static void test_query_parse_decodes_percent_and_plus(void)
{
    cpe_query_t q = {0};
    const char *s = "asset=BTC&from=2025-01-01T00%3A00%3A00Z&x=a+b&flag&=skip";
    cpe_query_parse(&q, s, strlen(s));
    CHECK_STR(cpe_query_get(&q, "asset"), "BTC");
    CHECK_STR(cpe_query_get(&q, "from"), "2025-01-01T00:00:00Z");
    CHECK_STR(cpe_query_get(&q, "x"), "a b");
    CHECK_STR(cpe_query_get(&q, "flag"), "");
    CHECK(cpe_query_get(&q, "nope") == NULL);
    CHECK_EQ_INT(q.overflow, 0);
}

static void test_query_last_value_wins(void)
{
    cpe_query_t q = {0};
    cpe_query_parse(&q, "a=1&a=2", 7);
    CHECK_STR(cpe_query_get(&q, "a"), "2");
}

static void test_query_flags_bad_escape_and_long_values(void)
{
    cpe_query_t q = {0};
    cpe_query_parse(&q, "a=%zz", 5);
    CHECK_EQ_INT(q.overflow, 1);
    CHECK_STR(q.overflow_key, "a");
    cpe_query_t q2 = {0};
    char big[600] = "v=";
    memset(big + 2, 'x', 500);
    big[502] = 0;
    cpe_query_parse(&q2, big, strlen(big));
    CHECK_EQ_INT(q2.overflow, 1);
    CHECK_STR(q2.overflow_key, "v");
    char s[10];
    strcpy(s, "%4");
    CHECK_EQ_INT(cpe_url_decode(s, 2, 0), -1);
}

static json_t *body_json(cpe_resp_t *r)
{
    return json_loadb(r->body.data, r->body.len, 0, NULL);
}

static void test_error_has_spec_shape(void)
{
    cpe_resp_t r;
    cpe_resp_init(&r, 1 << 16);
    int rc = cpe_resp_error(&r, 503, "PREDICTION_UNAVAILABLE", NULL, NULL, 300, "no %s", "model");
    CHECK_EQ_INT(rc, CPE_ENOTREADY);
    CHECK_EQ_INT(r.status, 503);
    CHECK_EQ_INT(r.retry_after_s, 300);
    json_t *j = body_json(&r);
    CHECK(j != NULL);
    json_t *e = json_object_get(j, "error");
    CHECK_STR(json_string_value(json_object_get(e, "code")), "PREDICTION_UNAVAILABLE");
    CHECK_STR(json_string_value(json_object_get(e, "message")), "no model");
    CHECK_EQ_INT(
        json_integer_value(json_object_get(json_object_get(e, "details"), "retry_after_seconds")),
        300);
    json_t *f = json_object_get(j, "fallback");
    CHECK_STR(json_string_value(json_object_get(f, "regime")), "unknown");
    CHECK_STR(json_string_value(json_object_get(f, "confidence")), "low");
    CHECK_STR(json_string_value(json_object_get(f, "recommendation")), "wait");
    json_decref(j);
    cpe_resp_free(&r);
}

static void test_error_escapes_user_text(void)
{
    cpe_resp_t r;
    cpe_resp_init(&r, 1 << 16);
    cpe_resp_error(&r, 400, "INVALID_PARAMETER", "asset", "\"}\n", 0, "bad %s", "\"x\"");
    json_t *j = body_json(&r);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(json_object_get(j, "error"), "details"), "value")),
              "\"}\n");
    json_decref(j);
    cpe_resp_free(&r);
}

static cpe_req_t req_q(const char *qs)
{
    cpe_req_t q;
    memset(&q, 0, sizeof q);
    cpe_query_parse(&q.query, qs, strlen(qs));
    return q;
}

static void test_params_map_errors_to_statuses(void)
{
    cpe_resp_t r;
    cpe_resp_init(&r, 1 << 16);
    char asset[16], sym[32];
    int h;
    cpe_req_t q = req_q("asset=eth&horizon_hours=24");
    CHECK_EQ_INT(cpe_param_asset(&q, &r, 1, asset, sym), 0);
    CHECK_STR(asset, "ETH");
    CHECK_STR(sym, "ETHUSDT");
    CHECK_EQ_INT(cpe_param_horizon(&q, &r, 1, &h), 0);
    CHECK_EQ_INT(h, 24);
    q = req_q("asset=DOGE");
    CHECK(cpe_param_asset(&q, &r, 1, asset, sym) != 0);
    CHECK_EQ_INT(r.status, 404);
    q = req_q("asset=B$C");
    cpe_param_asset(&q, &r, 1, asset, sym);
    CHECK_EQ_INT(r.status, 400);
    q = req_q("horizon_hours=5");
    cpe_param_horizon(&q, &r, 1, &h);
    CHECK_EQ_INT(r.status, 422);
    q = req_q("horizon_hours=4.0");
    cpe_param_horizon(&q, &r, 1, &h);
    CHECK_EQ_INT(r.status, 400);
    q = req_q("");
    cpe_param_horizon(&q, &r, 1, &h);
    CHECK_EQ_INT(r.status, 400);
    CHECK(strstr(r.body.data, "\"field\":\"horizon_hours\"") != NULL);
    cpe_resp_free(&r);
}

static void test_params_read_json_body(void)
{
    cpe_resp_t r;
    cpe_resp_init(&r, 1 << 16);
    cpe_req_t q;
    memset(&q, 0, sizeof q);
    json_t *j = json_loads("{\"asset\":\"BTC\",\"horizon_hours\":4,\"at\":1735689600000}", 0, NULL);
    q.body_json = j;
    char asset[16], sym[32];
    int h;
    int64_t at;
    CHECK_EQ_INT(cpe_param_asset(&q, &r, 1, asset, sym), 0);
    CHECK_EQ_INT(cpe_param_horizon(&q, &r, 1, &h), 0);
    CHECK_EQ_INT(h, 4);
    CHECK_EQ_INT(cpe_param_time(&q, &r, "at", 0, &at), 0);
    CHECK_EQ_INT(at, 1735689600000LL);
    json_decref(j);
    j = json_loads("{\"horizon_hours\":[4]}", 0, NULL);
    q.body_json = j;
    cpe_param_horizon(&q, &r, 1, &h);
    CHECK_EQ_INT(r.status, 400);
    json_decref(j);
    cpe_resp_free(&r);
}

static void test_params_time_interval_and_limit(void)
{
    cpe_resp_t r;
    cpe_resp_init(&r, 1 << 16);
    cpe_req_t q = req_q("from=2025-01-01&interval=4h&limit=20001");
    int64_t t, ms;
    const char *name;
    long lim;
    CHECK_EQ_INT(cpe_param_time(&q, &r, "from", 0, &t), 0);
    CHECK_EQ_INT(t, 1735689600000LL);
    CHECK_EQ_INT(cpe_param_interval(&q, &r, "1m", &ms, &name), 0);
    CHECK_EQ_INT(ms, 4 * 3600000LL);
    CHECK(cpe_param_int(&q, &r, "limit", 1, 20000, 100, &lim) != 0);
    CHECK_EQ_INT(r.status, 400);
    q = req_q("interval=7m");
    CHECK(cpe_param_interval(&q, &r, "1m", &ms, &name) != 0);
    q = req_q("from=soon");
    CHECK(cpe_param_time(&q, &r, "from", 0, &t) != 0);
    CHECK(strstr(r.body.data, "\"field\":\"from\"") != NULL);
    cpe_resp_free(&r);
}

int main(void)
{
    RUN(test_query_parse_decodes_percent_and_plus);
    RUN(test_query_last_value_wins);
    RUN(test_query_flags_bad_escape_and_long_values);
    RUN(test_error_has_spec_shape);
    RUN(test_error_escapes_user_text);
    RUN(test_params_map_errors_to_statuses);
    RUN(test_params_read_json_body);
    RUN(test_params_time_interval_and_limit);
    return TEST_DONE();
}
