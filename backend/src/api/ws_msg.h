/*
 * ws_msg.h — the WebSocket client-message parser: one text frame of /ws in, one command out.
 *
 * A client message is a JSON object {"op": ..., ...} (docs/API.md, WebSocket):
 *   subscribe / unsubscribe   channel (candles|predictions|market|replay|jobs), asset, interval
 *   replay                    asset, from (ISO-8601 or epoch ms, string or integer), speed
 *                             (bars per second in [0, 10000]), interval
 *   replay_step, replay_stop, ping
 * cpe_ws_msg_parse() reads every field the ops use and says for each whether it is present
 * and valid; which missing or invalid field is an error depends on the op and on the
 * client's state (a replay without `from` changes the speed of the running one), so ws.c
 * decides that. The parser keeps nothing: pure, any thread, no allocation that outlives it.
 */
#ifndef CPE_API_WS_MSG_H
#define CPE_API_WS_MSG_H

#include "api/server.h"
#include "cpe/universe.h"

#include <stddef.h>
#include <stdint.h>

typedef enum ws_op {
    WS_OP_SUBSCRIBE = 1,
    WS_OP_UNSUBSCRIBE,
    WS_OP_REPLAY,
    WS_OP_REPLAY_STEP,
    WS_OP_REPLAY_STOP,
    WS_OP_PING
} ws_op_t;

typedef struct ws_cmd {
    ws_op_t op;
    ws_channel_t ch; /* WS_CH_NONE: absent or not a channel name */
    int asset_ok;    /* asset is a configured one (universe.h: any case, or its pair) */
    char asset[CPE_ASSET_NAME_MAX]; /* "BTC" when asset_ok */
    char asset_in[41];              /* the asset as given (cut), for the error message */
    int interval_ok;                /* interval (default "1m") is one the API serves (universe.h) */
    char interval[8];               /* when interval_ok */
    int64_t interval_ms;            /* when interval_ok */
    int has_from, from_ok;          /* from present; and a valid time */
    int64_t from_ms;
    int has_speed, speed_ok; /* speed present; and a number in [0, 10000] */
    double speed;
} ws_cmd_t;

/* The wire name of a channel ("candles"), "" for WS_CH_NONE. */
const char *cpe_ws_channel_name(ws_channel_t ch);

/* Parse one message. 0 with *cmd filled, or CPE_EPARSE with code ("INVALID_JSON" or
 * "INVALID_PARAMETER") and a message for the client in err (a JSON error, not an object,
 * no string 'op', an unknown op). */
int cpe_ws_msg_parse(const char *text, size_t len, ws_cmd_t *cmd, const char **code, char *err,
                     size_t cap);

#endif
