/* stats.c — request counters, latency histograms and Prometheus text (see stats.h). */
#include "api/stats.h"
#include "cpe/error.h"
#include "cpe/num.h"

#include <math.h>
#include <string.h>

const double cpe_stats_buckets_s[CPE_STATS_NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
/* 500 too: the error-rate alert (deploy/prometheus/cpe.rules.yml) counts the 5xx answers */
static const int status_codes[CPE_STATS_NSTATUS] = {200, 202, 204, 304, 400, 401, 404,
                                                    405, 413, 422, 429, 500, 503};

int cpe_stats_add_slot(cpe_stats_t *s, const char *route, const char *method)
{
    if (s->nslots >= CPE_STATS_SLOTS) return -1;
    cpe_stats_slot_t *sl = &s->slot[s->nslots];
    memset(sl, 0, sizeof *sl);
    sl->route = route;
    sl->method = method;
    return s->nslots++;
}

void cpe_stats_observe(cpe_stats_t *s, int slot, int status, double seconds)
{
    if (slot < 0 || slot >= s->nslots) return;
    cpe_stats_slot_t *sl = &s->slot[slot];
    for (int i = 0; i < CPE_STATS_NSTATUS; i++)
        if (status_codes[i] == status) {
            sl->status_count[i]++;
            break;
        }
    int b = 0;
    while (b < CPE_STATS_NBUCKETS && seconds > cpe_stats_buckets_s[b])
        b++;
    if (b < CPE_STATS_NBUCKETS) sl->bucket[b]++;
    sl->count++;
    sl->sum_s += seconds;
}

static void num(cpe_buf_t *b, double v)
{
    char t[40];
    if (isnan(v)) {
        cpe_buf_puts(b, "NaN");
        return;
    }
    cpe_fmt_double(t, v, "NaN");
    cpe_buf_puts(b, t);
}

int cpe_stats_render(const cpe_stats_t *s, const cpe_stats_gauges_t *g, cpe_buf_t *b)
{
    int rc = 0;
    rc |= cpe_buf_puts(b, "# HELP cpe_http_requests_total HTTP requests by route and status.\n"
                          "# TYPE cpe_http_requests_total counter\n");
    for (int i = 0; i < s->nslots; i++) {
        const cpe_stats_slot_t *sl = &s->slot[i];
        for (int k = 0; k < CPE_STATS_NSTATUS; k++) {
            if (!sl->status_count[k]) continue;
            rc |= cpe_buf_printf(
                b, "cpe_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
                sl->route, sl->method, status_codes[k], (unsigned long long)sl->status_count[k]);
        }
    }
    rc |= cpe_buf_puts(b, "# HELP cpe_http_request_duration_seconds Server time per request.\n"
                          "# TYPE cpe_http_request_duration_seconds histogram\n");
    for (int i = 0; i < s->nslots; i++) {
        const cpe_stats_slot_t *sl = &s->slot[i];
        uint64_t cum = 0;
        for (int k = 0; k < CPE_STATS_NBUCKETS; k++) {
            cum += sl->bucket[k];
            rc |= cpe_buf_printf(
                b, "cpe_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\",le=\"",
                sl->route, sl->method);
            num(b, cpe_stats_buckets_s[k]);
            rc |= cpe_buf_printf(b, "\"} %llu\n", (unsigned long long)cum);
        }
        rc |= cpe_buf_printf(b,
                             "cpe_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\","
                             "le=\"+Inf\"} %llu\n"
                             "cpe_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} ",
                             sl->route, sl->method, (unsigned long long)sl->count, sl->route,
                             sl->method);
        num(b, sl->sum_s);
        rc |= cpe_buf_printf(
            b, "\ncpe_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} %llu\n",
            sl->route, sl->method, (unsigned long long)sl->count);
    }
    rc |= cpe_buf_printf(
        b,
        "# HELP cpe_ws_clients Connected WebSocket clients.\n# TYPE cpe_ws_clients gauge\n"
        "cpe_ws_clients %d\n"
        "# HELP cpe_ws_messages_sent_total WebSocket messages written.\n# TYPE "
        "cpe_ws_messages_sent_total counter\n"
        "cpe_ws_messages_sent_total %llu\n"
        "# HELP cpe_ws_slow_clients_dropped_total Clients disconnected for a full queue.\n# TYPE "
        "cpe_ws_slow_clients_dropped_total counter\n"
        "cpe_ws_slow_clients_dropped_total %llu\n"
        "# HELP cpe_ws_collapsed_total Queued candle updates replaced by a newer one.\n# TYPE "
        "cpe_ws_collapsed_total counter\n"
        "cpe_ws_collapsed_total %llu\n"
        "# HELP cpe_ws_direct_writes_total Broadcast writes straight to a socket that took part of "
        "the bytes (the rest went to lws) or none (queued).\n# TYPE cpe_ws_direct_writes_total "
        "counter\n"
        "cpe_ws_direct_writes_total{taken=\"part\"} %llu\n"
        "cpe_ws_direct_writes_total{taken=\"none\"} %llu\n"
        "# HELP cpe_data_simulated 1 when the served market data is simulated.\n# TYPE "
        "cpe_data_simulated gauge\n"
        "cpe_data_simulated %d\n"
        "# HELP cpe_ingest_lag_seconds Now minus the close of the newest stored 1m bar.\n# TYPE "
        "cpe_ingest_lag_seconds gauge\n"
        "cpe_ingest_lag_seconds ",
        g->ws_clients, (unsigned long long)s->ws_messages_sent,
        (unsigned long long)s->ws_dropped_clients, (unsigned long long)s->ws_collapsed,
        (unsigned long long)s->ws_direct_partial, (unsigned long long)s->ws_direct_full,
        g->simulated);
    num(b, g->ingest_lag_s);
    rc |= cpe_buf_puts(b, "\n# HELP cpe_prediction_accuracy_24h Direction hit rate of predictions "
                          "resolved in the last 24 h.\n# TYPE cpe_prediction_accuracy_24h gauge\n");
    for (int i = 0; i < g->n_acc; i++) {
        rc |= cpe_buf_printf(b, "cpe_prediction_accuracy_24h{asset=\"%s\",horizon_hours=\"%d\"} ",
                             g->acc_asset[i], g->acc_horizon[i]);
        num(b, g->acc_24h[i]);
        rc |= cpe_buf_putc(b, '\n');
    }
    /* a family of its own: the text format wants each family's samples together */
    rc |= cpe_buf_puts(b, "# HELP cpe_prediction_resolved_24h Predictions resolved in the last "
                          "24 h (behind cpe_prediction_accuracy_24h).\n"
                          "# TYPE cpe_prediction_resolved_24h gauge\n");
    for (int i = 0; i < g->n_acc; i++)
        rc |=
            cpe_buf_printf(b, "cpe_prediction_resolved_24h{asset=\"%s\",horizon_hours=\"%d\"} %d\n",
                           g->acc_asset[i], g->acc_horizon[i], g->acc_n[i]);
    rc |=
        cpe_buf_puts(b, "# HELP cpe_model_drift_psi Population stability index of p_up, last 24 h "
                        "vs the 7 days before.\n# TYPE cpe_model_drift_psi gauge\n");
    for (int i = 0; i < g->n_acc; i++) {
        rc |= cpe_buf_printf(b, "cpe_model_drift_psi{asset=\"%s\",horizon_hours=\"%d\"} ",
                             g->acc_asset[i], g->acc_horizon[i]);
        num(b, g->drift[i]);
        rc |= cpe_buf_putc(b, '\n');
    }
    rc |= cpe_buf_puts(b, "# HELP cpe_model_drift_score Mean PSI of the live top-k features (last "
                          "24 h of closed minutes) against their training deciles.\n"
                          "# TYPE cpe_model_drift_score gauge\n");
    for (int i = 0; i < g->n_model_drift; i++) {
        rc |= cpe_buf_printf(b, "cpe_model_drift_score{symbol=\"%s\"} ", g->model_drift_symbol[i]);
        num(b, g->model_drift[i]);
        rc |= cpe_buf_putc(b, '\n');
    }
    return rc ? CPE_ETOOBIG : 0;
}
