/*
 * bus_msg.h — the wire form of one live-stream message on the Redis bus (docs/SCALE_OUT.md).
 *
 * A message is a header line and then the JSON the WebSocket clients get, byte for byte:
 *
 *     <node> <seq> <kind> <asset|-> <interval|-> <collapsible>\n<json>
 *
 * node is the publishing node's 16-hex-digit id, seq its message counter (1, 2, ...), kind
 * one of the bus kinds (candles, predictions, market, jobs: a backtest job's progress), "-" stands
 * for an empty asset or interval, collapsible is 0 or 1 (an in-progress candle a newer one may
 * replace in a slow client's queue). The header is at most CPE_BUS_HEADER_MAX bytes with its
 * newline.
 *
 * cpe_bus_msg_header() writes a header, cpe_bus_msg_parse() reads a whole message back;
 * what the writer writes the parser reads to the same fields. Both are pure (any thread, no
 * allocation); the parsed JSON points into the payload. The receiving node (bus_api.c)
 * drops any message the parser refuses: the bus carries other nodes' bytes.
 */
#ifndef CPE_API_BUS_MSG_H
#define CPE_API_BUS_MSG_H

#include "api/server.h"
#include "cpe/error.h"
#include "cpe/universe.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_BUS_HEADER_MAX 256
#define CPE_BUS_NODE_LEN 16

typedef struct cpe_bus_msg {
    char node[CPE_BUS_NODE_LEN + 1];
    uint64_t seq; /* >= 1 */
    ws_channel_t channel;
    char asset[CPE_ASSET_NAME_MAX]; /* "" for "-" */
    char interval[8];               /* "" for "-" */
    int collapsible;                /* 0 or 1 */
    const char *json;               /* into the payload, after the header line */
    size_t json_len;
} cpe_bus_msg_t;

/* The bus kind of a WebSocket channel ("candles"), NULL for a channel the bus does not carry. */
const char *cpe_bus_msg_kind(ws_channel_t ch);

/* Write the header line (with its newline) into out; returns its length, or CPE_EINVAL for a
 * channel the bus does not carry, a node that is not 16 hex digits, seq 0 or a field with a
 * space or newline, or CPE_ETOOBIG when it does not fit cap (at most CPE_BUS_HEADER_MAX). */
int cpe_bus_msg_header(char *out, size_t cap, const char *node, uint64_t seq, ws_channel_t ch,
                       const char *asset, const char *interval, int collapsible, cpe_diag_t *d);

/* Read one message of len bytes: 0, or CPE_EPARSE with d naming the bad field. */
int cpe_bus_msg_parse(const char *payload, size_t len, cpe_bus_msg_t *m, cpe_diag_t *d);

#endif
