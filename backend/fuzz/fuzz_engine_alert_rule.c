/* fuzz_engine_alert_rule.c — libFuzzer harness: the alert rule parser (engine/alerts.c)
 * over a POST /alerts body of at most 1 MiB. Checked: a refusal names a field; an accepted
 * rule is consistent (a known kind and direction, a configured asset, a horizon of the
 * universe or none, cooldown in range) and its JSON parses back to the same rule. */
#include "cpe/alerts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024 * 1024) return 0;
    cpe_alert_rule_t r, back;
    char field[32];
    cpe_alert_rule_defaults(&r);
    if (cpe_alert_rule_parse((const char *)data, size, &r, field, NULL)) {
        if (!field[0]) abort();
        return 0;
    }
    if (r.kind < 0 || r.kind >= CPE_ALERT_NKINDS) abort();
    if (r.direction < CPE_DIR_ANY || r.direction > CPE_DIR_DOWN) abort();
    if (!cpe_asset_find(r.asset)) abort();
    if (r.horizon_h && cpe_horizon_index(r.horizon_h) < 0) abort();
    if (r.cooldown_s < 0 || r.cooldown_s > 30 * 86400) abort();
    char *j = cpe_alert_rule_json(&r, 1);
    if (!j) abort();
    cpe_alert_rule_defaults(&back);
    if (cpe_alert_rule_parse(j, strlen(j), &back, field, NULL)) abort();
    free(j);
    if (back.kind != r.kind || back.direction != r.direction || strcmp(back.asset, r.asset) ||
        back.horizon_h != r.horizon_h || back.cooldown_s != r.cooldown_s ||
        back.enabled != r.enabled || strcmp(back.webhook_url, r.webhook_url))
        abort();
    if (isfinite(r.level) && back.level != r.level) abort();
    return 0;
}
