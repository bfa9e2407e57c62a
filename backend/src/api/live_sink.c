/* live_sink.c — the live pipeline's events (cpe/live.h) as WebSocket messages: formatted on
 * the pipeline thread and handed to the service thread through the inbox (server.h). */
#include "api/alerts.h"
#include "api/server.h"
#include "cpe/json.h"

#include <stdio.h>
#include <string.h>

void cpe_api_live_sink(void *ctx, const cpe_live_event_t *ev)
{
    cpe_api_t *api = ctx;
    cpe_alerts_on_live(api->alerts, ev);
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    char asset[CPE_ASSET_NAME_MAX];
    cpe_symbol_to_asset(ev->symbol, asset, sizeof asset);
    cpe_wsmsg_t *m = NULL;
    if (ev->kind == CPE_LIVE_CANDLE) {
        const char *iv = cpe_interval_name(ev->interval_ms);
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "type", "candle");
        cpe_jw_kstr(&w, "asset", asset);
        cpe_jw_kstr(&w, "interval", iv ? iv : "?");
        cpe_jw_kbool(&w, "closed", ev->closed);
        cpe_jw_kbool(&w, "simulated", ev->simulated);
        cpe_jw_kint(&w, "emitted_ms", ev->emitted_ms);
        if (ev->source_ms > 0) cpe_jw_kint(&w, "source_ms", ev->source_ms);
        cpe_jw_key(&w, "bar");
        cpe_api_write_bar(&w, ev->bar, ev->cvd);
        cpe_jw_end(&w);
        if (!w.err) m = cpe_wsmsg_new(WS_CH_CANDLES, asset, iv, !ev->closed, b.data, b.len);
    } else {
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "type", "prediction");
        cpe_jw_kint(&w, "emitted_ms", ev->emitted_ms);
        cpe_jw_end(&w);
        /* the prediction body: same fields as /predict, merged into one object */
        cpe_buf_reset(&b);
        cpe_jw_init(&w, &b);
        cpe_api_write_prediction(&w, asset, ev->pred, 0, ev->simulated);
        if (!w.err && b.len > 1) {
            cpe_buf_t m2;
            cpe_buf_init(&m2, 1 << 20);
            cpe_buf_printf(&m2, "{\"type\":\"prediction\",\"emitted_ms\":%lld,%s",
                           (long long)ev->emitted_ms, b.data + 1);
            m = cpe_wsmsg_new(WS_CH_PREDICTIONS, asset, "", 0, m2.data, m2.len);
            cpe_buf_free(&m2);
        }
    }
    cpe_buf_free(&b);
    if (m) cpe_api_bus_publish(api, m);
    if (m) cpe_api_inbox_push(api, m);
}
