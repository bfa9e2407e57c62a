/* inbox.c — WebSocket messages (refcounted, shared by every client they are queued for)
 * and the inbox through which other threads hand them to the service thread (server.h). */
#include "api/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cpe_wsmsg_t *cpe_wsmsg_new(ws_channel_t ch, const char *asset, const char *interval,
                           int collapsible, const char *json, size_t len)
{
    cpe_wsmsg_t *m = malloc(sizeof *m + LWS_PRE + len + 1);
    if (!m) return NULL;
    m->refs = 1;
    m->channel = ch;
    snprintf(m->asset, sizeof m->asset, "%s", asset ? asset : "");
    snprintf(m->interval, sizeof m->interval, "%s", interval ? interval : "");
    m->collapsible = collapsible;
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, json, len);
    m->data[LWS_PRE + len] = 0;
    return m;
}

void cpe_wsmsg_unref(cpe_wsmsg_t *m)
{
    if (m && --m->refs == 0) free(m);
}

void cpe_api_inbox_push(cpe_api_t *api, cpe_wsmsg_t *m)
{
    pthread_mutex_lock(&api->mu);
    if (api->inbox_tail)
        api->inbox_tail->next = m;
    else
        api->inbox = m;
    api->inbox_tail = m;
    /* one wake-up per drain: each costs the service thread a poll() over every socket */
    int wake = api->ctx && !api->inbox_woken;
    if (wake) api->inbox_woken = 1;
    pthread_mutex_unlock(&api->mu);
    if (wake) lws_cancel_service(api->ctx);
}

void cpe_api_inbox_drain(cpe_api_t *api)
{
    pthread_mutex_lock(&api->mu);
    cpe_wsmsg_t *m = api->inbox;
    api->inbox = api->inbox_tail = NULL;
    api->inbox_woken = 0;
    pthread_mutex_unlock(&api->mu);
    /* what arrived together leaves together: one write per client per burst */
    while (m) {
        cpe_wsmsg_t *batch[CPE_WS_BURST_MAX];
        size_t n = 0;
        while (m && n < CPE_WS_BURST_MAX) {
            batch[n++] = m;
            m = m->next;
        }
        cpe_ws_broadcast_many(api, batch, n);
        for (size_t i = 0; i < n; i++) {
            batch[i]->next = NULL;
            cpe_wsmsg_unref(batch[i]);
        }
    }
}
