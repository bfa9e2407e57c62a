/* test_bus_msg.c — the header line of a live-stream message on the bus (api/bus_msg.c):
 * what the publisher writes the receiver reads back, and what the receiver refuses. */
#include "api/bus_msg.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

#define NODE "00ff12ab34cd56ef"

static void test_bus_msg_round_trip(void)
{
    char buf[CPE_BUS_HEADER_MAX + 64];
    cpe_diag_t d = {0};
    int h =
        cpe_bus_msg_header(buf, CPE_BUS_HEADER_MAX, NODE, 42, WS_CH_CANDLES, "BTC", "1m", 1, &d);
    CHECK(h > 0);
    CHECK_STR(buf, NODE " 42 candles BTC 1m 1\n");
    memcpy(buf + h, "{\"x\":1}", 7);
    cpe_bus_msg_t m;
    CHECK_EQ_INT(cpe_bus_msg_parse(buf, (size_t)h + 7, &m, &d), 0);
    CHECK_STR(m.node, NODE);
    CHECK(m.seq == 42);
    CHECK_EQ_INT(m.channel, WS_CH_CANDLES);
    CHECK_STR(m.asset, "BTC");
    CHECK_STR(m.interval, "1m");
    CHECK_EQ_INT(m.collapsible, 1);
    CHECK(m.json_len == 7 && !memcmp(m.json, "{\"x\":1}", 7));
    /* empty asset and interval travel as "-" and come back empty; an empty JSON is allowed */
    h = cpe_bus_msg_header(buf, sizeof buf, NODE, 18446744073709551ull, WS_CH_MARKET, "", "", 0,
                           &d);
    CHECK_STR(buf, NODE " 18446744073709551 market - - 0\n");
    CHECK_EQ_INT(cpe_bus_msg_parse(buf, (size_t)h, &m, &d), 0);
    CHECK(m.asset[0] == 0 && m.interval[0] == 0 && m.json_len == 0);
    CHECK_EQ_INT(m.channel, WS_CH_MARKET);
    /* a backtest job's progress (no asset: the "jobs" channel carries every job) */
    h = cpe_bus_msg_header(buf, sizeof buf, NODE, 7, WS_CH_JOBS, "", "", 0, &d);
    CHECK_STR(buf, NODE " 7 jobs - - 0\n");
    CHECK_EQ_INT(cpe_bus_msg_parse(buf, (size_t)h, &m, &d), 0);
    CHECK_EQ_INT(m.channel, WS_CH_JOBS);
}

static void refused(const char *msg, const char *field)
{
    cpe_bus_msg_t m;
    cpe_diag_t d = {0};
    int rc = cpe_bus_msg_parse(msg, strlen(msg), &m, &d);
    CHECK_EQ_INT(rc, CPE_EPARSE);
    if (!strstr(d.msg, field)) fprintf(stderr, "  '%s' -> '%s' (wanted '%s')\n", msg, d.msg, field);
    CHECK(strstr(d.msg, field) != NULL);
}

static void test_bus_msg_refusals_name_the_field(void)
{
    refused("{\"no\":\"header\"}", "header line");
    refused(NODE " 0 candles BTC 1m 0\n{}", "seq 0");
    refused(NODE " -1 candles BTC 1m 0\n{}", "seq");
    refused(NODE " 99999999999999999999 candles BTC 1m 0\n{}", "19 digits");
    refused("00FF12AB34CD56EF 1 candles BTC 1m 0\n{}", "node");
    refused("abc 1 candles BTC 1m 0\n{}", "node");
    refused(NODE " 1 replay BTC 1m 0\n{}", "kind 'replay'");
    refused(NODE " 1 candles BTC 1m 2\n{}", "collapsible");
    refused(NODE " 1 candles BTC 1m\n{}", "'collapsible' is empty");
    refused(NODE " 1 candles BTC 1m 0 extra\n{}", "more than 6");
    refused(NODE " 1 candles  1m 0\n{}", "'asset' is empty");
    refused(NODE " 1 candles AVERYVERYLONGASSETNAME 1m 0\n{}", "'asset' is too long");
    refused(NODE " 1 candles B\tC 1m 0\n{}", "control byte");
    char longhdr[400];
    memset(longhdr, 'a', sizeof longhdr - 2);
    longhdr[sizeof longhdr - 2] = '\n';
    longhdr[sizeof longhdr - 1] = 0;
    refused(longhdr, "header line");
}

static void test_bus_msg_header_refuses_what_it_cannot_write(void)
{
    char buf[CPE_BUS_HEADER_MAX];
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bus_msg_header(buf, sizeof buf, NODE, 1, WS_CH_REPLAY, "BTC", "1m", 0, &d),
                 CPE_EINVAL);
    CHECK_EQ_INT(cpe_bus_msg_header(buf, sizeof buf, "xyz", 1, WS_CH_CANDLES, "BTC", "1m", 0, &d),
                 CPE_EINVAL);
    CHECK_EQ_INT(cpe_bus_msg_header(buf, sizeof buf, NODE, 0, WS_CH_CANDLES, "BTC", "1m", 0, &d),
                 CPE_EINVAL);
    CHECK_EQ_INT(cpe_bus_msg_header(buf, sizeof buf, NODE, 1, WS_CH_CANDLES, "B C", "1m", 0, &d),
                 CPE_EINVAL);
    CHECK_EQ_INT(cpe_bus_msg_header(buf, 20, NODE, 1, WS_CH_CANDLES, "BTC", "1m", 0, &d),
                 CPE_ETOOBIG);
    CHECK(cpe_bus_msg_kind(WS_CH_PREDICTIONS) &&
          !strcmp(cpe_bus_msg_kind(WS_CH_PREDICTIONS), "predictions"));
    CHECK(cpe_bus_msg_kind(WS_CH_REPLAY) == NULL);
    CHECK(cpe_bus_msg_kind(WS_CH_ALERTS) == NULL);
}

int main(void)
{
    RUN(test_bus_msg_round_trip);
    RUN(test_bus_msg_refusals_name_the_field);
    RUN(test_bus_msg_header_refuses_what_it_cannot_write);
    return TEST_DONE();
}
