/* ws_msg.c — the WebSocket client-message parser (ws_msg.h). */
#include "api/ws_msg.h"

#include "cpe/universe.h"
#include "cpe/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const ch_names[] = {"",       "candles", "predictions", "market",
                                       "replay", "jobs",    "alerts",      "*"};

const char *cpe_ws_channel_name(ws_channel_t ch)
{
    return ch >= WS_CH_NONE && ch <= WS_CH_ALL ? ch_names[ch] : "";
}

static ws_channel_t channel_parse(const char *s)
{
    for (int i = WS_CH_CANDLES; i <= WS_CH_ALERTS; i++)
        if (s && !strcmp(s, ch_names[i])) return (ws_channel_t)i;
    return WS_CH_NONE;
}

/* A configured asset (any case, or its pair: the universe decides) into out. */
static int valid_asset(const char *a, char out[CPE_ASSET_NAME_MAX])
{
    const cpe_asset_t *as = a ? cpe_asset_find(a) : NULL;
    if (!as) return 0;
    snprintf(out, CPE_ASSET_NAME_MAX, "%s", as->asset);
    return 1;
}

static int valid_interval(const char *s)
{
    return s && cpe_interval_is_served(s);
}

static ws_op_t op_parse(const char *op)
{
    static const char *const names[] = {
        "", "subscribe", "unsubscribe", "replay", "replay_step", "replay_stop", "ping"};
    for (int i = WS_OP_SUBSCRIBE; i <= WS_OP_PING; i++)
        if (!strcmp(op, names[i])) return (ws_op_t)i;
    return 0;
}

static void fields(json_t *j, ws_cmd_t *cmd)
{
    cmd->ch = channel_parse(json_string_value(json_object_get(j, "channel")));
    const char *as = json_string_value(json_object_get(j, "asset"));
    snprintf(cmd->asset_in, sizeof cmd->asset_in, "%s", as ? as : "");
    cmd->asset_ok = valid_asset(as, cmd->asset);
    const char *iv = json_string_value(json_object_get(j, "interval"));
    if (!iv) iv = "1m";
    if (valid_interval(iv) && !cpe_interval_parse(iv, &cmd->interval_ms)) {
        cmd->interval_ok = 1;
        snprintf(cmd->interval, sizeof cmd->interval, "%s", iv);
    }
    json_t *from = json_object_get(j, "from");
    cmd->has_from = from != NULL;
    const char *fs = json_string_value(from);
    char tmp[32];
    if (json_is_integer(from)) {
        snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(from));
        fs = tmp;
    }
    cmd->from_ok = fs && !cpe_parse_time_arg(fs, &cmd->from_ms);
    json_t *speed = json_object_get(j, "speed");
    cmd->has_speed = speed != NULL;
    if (json_is_number(speed) && json_number_value(speed) >= 0 &&
        json_number_value(speed) <= 10000) {
        cmd->speed_ok = 1;
        cmd->speed = json_number_value(speed);
    }
}

int cpe_ws_msg_parse(const char *text, size_t len, ws_cmd_t *cmd, const char **code, char *err,
                     size_t cap)
{
    memset(cmd, 0, sizeof *cmd);
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    int rc = 0;
    if (!json_is_object(j)) {
        *code = "INVALID_JSON";
        snprintf(err, cap, "message must be a JSON object: %s", j ? "not an object" : je.text);
        rc = CPE_EPARSE;
        goto out;
    }
    const char *op = json_string_value(json_object_get(j, "op"));
    if (!op) {
        *code = "INVALID_PARAMETER";
        snprintf(err, cap, "field 'op' is required");
        rc = CPE_EPARSE;
        goto out;
    }
    cmd->op = op_parse(op);
    if (!cmd->op) {
        *code = "INVALID_PARAMETER";
        snprintf(err, cap, "unknown op '%.40s'", op);
        rc = CPE_EPARSE;
        goto out;
    }
    fields(j, cmd);
out:
    json_decref(j);
    return rc;
}
