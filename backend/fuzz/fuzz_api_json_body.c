/* fuzz_api_json_body.c — libFuzzer harness: the JSON bodies of POST /predict and
 * POST /backtest. The input is a request body (at most CPE_BODY_MAX): parsed as the server
 * parses it (jansson, duplicate keys refused), then every parameter reader runs over it
 * (fuzz_params.h) and its "strategy" object goes through cpe_bt_config_json() as
 * POST /backtest hands it over (compact JSON text). The raw body also goes to
 * cpe_bt_config_json() directly (cpe backtest --strategy FILE reads the same format).
 * Checked: the error contract of fuzz_params.h; a refused strategy says why. */
#include "cpe/backtest.h"
#include "fuzz_params.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void strategy(const char *txt, size_t len)
{
    cpe_bt_config_t cfg;
    cpe_bt_config_default(&cfg);
    cpe_diag_t d = {0};
    if (cpe_bt_config_json(&cfg, txt, len, &d) && !d.msg[0]) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > CPE_BODY_MAX) return 0;
    char *body = malloc(size + 1);
    if (!body) return 0;
    memcpy(body, data, size);
    body[size] = 0; /* the server's body buffer is NUL-terminated */
    strategy(body, size);
    json_t *j = json_loadb(body, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(j)) {
        cpe_req_t req;
        memset(&req, 0, sizeof req);
        req.method = CPE_POST;
        req.path = "/backtest";
        req.body = body;
        req.body_len = size;
        req.body_json = j;
        req.now_ms = 1767225600000LL;
        fuzz_params(&req);
        json_t *s = json_object_get(j, "strategy");
        if (json_is_object(s)) {
            char *txt = json_dumps(s, JSON_COMPACT);
            if (txt) strategy(txt, strlen(txt));
            free(txt);
        }
    }
    json_decref(j);
    free(body);
    return 0;
}
