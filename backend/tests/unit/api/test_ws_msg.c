/* test_ws_msg.c — the WebSocket client-message parser (api/ws_msg.c): each op and field
 * of docs/API.md, and the refusals a client sees. */
#include "api/ws_msg.h"
#include "test.h"

#include <string.h>

static int parse(const char *m, ws_cmd_t *c, const char **code, char err[256])
{
    err[0] = 0;
    return cpe_ws_msg_parse(m, strlen(m), c, code, err, 256);
}

static void test_ws_msg_reads_subscribe_and_replay(void)
{
    ws_cmd_t c;
    const char *code;
    char err[256];
    CHECK_EQ_INT(parse("{\"op\":\"subscribe\",\"channel\":\"candles\",\"asset\":\"ethusdt\","
                       "\"interval\":\"15m\"}",
                       &c, &code, err),
                 0);
    CHECK_EQ_INT(c.op, WS_OP_SUBSCRIBE);
    CHECK_EQ_INT(c.ch, WS_CH_CANDLES);
    CHECK(c.asset_ok);
    CHECK_STR(c.asset, "ETH");
    CHECK(c.interval_ok && c.interval_ms == 15 * 60000);
    CHECK_STR(cpe_ws_channel_name(c.ch), "candles");
    CHECK_EQ_INT(parse("{\"op\":\"replay\",\"asset\":\"BTC\",\"from\":1754006400000,\"speed\":0}",
                       &c, &code, err),
                 0);
    CHECK_EQ_INT(c.op, WS_OP_REPLAY);
    CHECK(c.has_from && c.from_ok && c.from_ms == 1754006400000LL);
    CHECK(c.has_speed && c.speed_ok && c.speed == 0);
    CHECK(c.interval_ok && c.interval_ms == 60000); /* default 1m */
    CHECK_EQ_INT(parse("{\"op\":\"replay\",\"speed\":10001,\"from\":\"soon\",\"asset\":\"DOGE\","
                       "\"interval\":\"2m\",\"channel\":\"news\"}",
                       &c, &code, err),
                 0);
    CHECK(c.has_speed && !c.speed_ok);
    CHECK(c.has_from && !c.from_ok);
    CHECK(!c.asset_ok && !c.interval_ok && c.ch == WS_CH_NONE);
    /* found by fuzz_api_ws_msg: too many digits were an overflow, now a bad time */
    CHECK_EQ_INT(parse("{\"op\":\"replay\",\"from\":\"2022222222222222222222\"}", &c, &code, err),
                 0);
    CHECK(c.has_from && !c.from_ok);
}

static void test_ws_msg_refusals_name_the_problem(void)
{
    ws_cmd_t c;
    const char *code = NULL;
    char err[256];
    CHECK_EQ_INT(parse("{\"op\":", &c, &code, err), CPE_EPARSE);
    CHECK_STR(code, "INVALID_JSON");
    CHECK_EQ_INT(parse("[1]", &c, &code, err), CPE_EPARSE);
    CHECK_MSG(strstr(err, "not an object"), "%s", err);
    CHECK_EQ_INT(parse("{\"channel\":\"candles\"}", &c, &code, err), CPE_EPARSE);
    CHECK_STR(code, "INVALID_PARAMETER");
    CHECK_MSG(strstr(err, "'op'"), "%s", err);
    CHECK_EQ_INT(parse("{\"op\":\"dance\"}", &c, &code, err), CPE_EPARSE);
    CHECK_STR(err, "unknown op 'dance'");
}

int main(void)
{
    RUN(test_ws_msg_reads_subscribe_and_replay);
    RUN(test_ws_msg_refusals_name_the_problem);
    return TEST_DONE();
}
