/* fuzz_api_config.c — libFuzzer harness: the config file reader (api/config.c,
 * cpe_api_config_parse: KEY=VALUE lines, quotes, comments, `export`, every setting's
 * value check, the bus URL and the role among them). Checked: an error always names the file; the
 * settings keep their bounds (port, heartbeat and queue sizes stay in the ranges config.c enforces)
 * and strings stay NUL-terminated inside their fields. */
#include "cpe/api.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) return 0;
    static cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    cpe_diag_t d = {0};
    int rc = cpe_api_config_parse(&c, "fuzz.env", (const char *)data, size, &d);
    if (rc && strncmp(d.msg, "fuzz.env:", 9)) abort();
    if (c.port < 0 || c.port > 65535 || c.heartbeat_ms < 10 || c.ws_queue_cap < 1) abort();
    if (memchr(c.jwt_secret, 0, sizeof c.jwt_secret) == NULL ||
        memchr(c.host, 0, sizeof c.host) == NULL || memchr(c.bus, 0, sizeof c.bus) == NULL ||
        memchr(c.role, 0, sizeof c.role) == NULL)
        abort();
    return 0;
}
