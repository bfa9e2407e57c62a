/* bench_alerts.c — alert evaluation (engine/alerts.c): the cost of evaluating 1,000 rules
 * (price_cross, cone_breach, p_up_cross, regime_change in turn) over one 1m price update
 * with a prediction, the "<= 1 ms per closed bar" (median of 2,000 bars, CPU time),
 * and of one webhook signature (HMAC-SHA256 of a 300-byte firing). Prints one JSON line per
 * figure. The server adds its lock and, per firing, a store write (docs/ALERTS.md). */
#include "common/bench_stats.h"

#include "api/alerts.h"
#include "cpe/alerts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NRULES 1000
#define NBARS 2000

static void line(const char *metric, double value, const char *unit, double target)
{
    printf("{\"bench\":\"alerts\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\",\"target\":%g,"
           "\"ok\":%s}\n",
           metric, value, unit, target, value <= target ? "true" : "false");
}

int main(void)
{
    static cpe_alert_rule_t rules[NRULES];
    static cpe_alert_state_t st[NRULES];
    static double ns[NBARS];
    for (int i = 0; i < NRULES; i++) {
        cpe_alert_rule_defaults(&rules[i]);
        rules[i].kind = (cpe_alert_kind_t)(i % 4);
        snprintf(rules[i].asset, sizeof rules[i].asset, "%s", cpe_asset_at(0)->asset);
        rules[i].horizon_h = cpe_horizons_h[i % CPE_NHORIZONS];
        rules[i].level = 60000 + (i % 200) * 5;
        rules[i].threshold = rules[i].kind == CPE_ALERT_CONE_BREACH ? 1 + i % 2 : 0.5;
        rules[i].cooldown_s = 60;
        cpe_alert_state_init(&st[i]);
    }
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    int fired = 0;
    double price = 60500;
    for (int b = 0; b < NBARS; b++) {
        price += 40 * sin(b * 0.37) + 25 * cos(b * 1.3);
        p.horizon_h = cpe_horizons_h[b % CPE_NHORIZONS];
        p.p_up = 0.5 + 0.1 * sin(b * 0.2);
        snprintf(p.regime, sizeof p.regime, "%s", b % 50 < 25 ? "normal" : "high-vol");
        cpe_alert_input_t in = {.t_ms = b * 60000LL,
                                .has_price = 1,
                                .price = price,
                                .pred = &p,
                                .has_band = 1,
                                .lo1 = price - 30,
                                .hi1 = price + 30,
                                .lo2 = price - 60,
                                .hi2 = price + 60};
        double t0 = bench_cpu_ns();
        for (int i = 0; i < NRULES; i++) {
            cpe_alert_fire_t f;
            fired += cpe_alert_eval(&rules[i], &st[i], &in, &f);
        }
        ns[b] = bench_cpu_ns() - t0;
    }
    line("eval_1000_rules_per_bar_median", bench_median(ns, NBARS) / 1e6, "ms", 1.0);
    qsort(ns, NBARS, sizeof ns[0], bench_cmp_double);
    line("eval_1000_rules_per_bar_p99", ns[NBARS * 99 / 100] / 1e6, "ms", 1.0);
    printf("{\"bench\":\"alerts\",\"metric\":\"firings\",\"value\":%d}\n", fired);
    char body[301], sig[128];
    memset(body, 'x', 300);
    body[300] = 0;
    double t0 = bench_cpu_ns();
    for (int i = 0; i < 10000; i++)
        cpe_alert_signature("a-webhook-secret", 1796665120 + i, body, 300, sig, sizeof sig);
    line("sign_300_bytes", (bench_cpu_ns() - t0) / 10000 / 1e3, "us", 1000);
    return 0;
}
