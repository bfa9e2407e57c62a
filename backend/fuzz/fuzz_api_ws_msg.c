/* fuzz_api_ws_msg.c — libFuzzer harness: the WebSocket client-message parser
 * (api/ws_msg.c) over one text frame of at most RX_MAX (64 KiB), as /ws hands it over.
 * Checked: an error comes with a code and message; a parsed command's fields are
 * consistent (a valid asset is BTC or ETH, a valid interval has its length in ms, a valid
 * speed is in [0, 10000]). */
#include "api/ws_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) return 0;
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    memcpy(text, data, size);
    ws_cmd_t cmd;
    const char *code = NULL;
    char err[256] = "";
    int rc = cpe_ws_msg_parse(text, size, &cmd, &code, err, sizeof err);
    free(text);
    if (rc) {
        if (!code || !err[0]) abort();
        return 0;
    }
    if (cmd.op < WS_OP_SUBSCRIBE || cmd.op > WS_OP_PING) abort();
    if (cmd.asset_ok && strcmp(cmd.asset, "BTC") && strcmp(cmd.asset, "ETH")) abort();
    if (cmd.interval_ok && cmd.interval_ms < 60000) abort();
    if (cmd.speed_ok && !(cmd.speed >= 0 && cmd.speed <= 10000)) abort();
    if (cmd.ch < WS_CH_NONE || cmd.ch > WS_CH_ALERTS) abort();
    return 0;
}
