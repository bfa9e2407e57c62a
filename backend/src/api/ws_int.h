/*
 * ws_int.h — what the WebSocket files share (server.h has the server-wide state):
 *   ws.c            client life cycle, the per-client queue, subscriptions, replay pacing
 *                   and rendering (the replay clock is engine/replay.c), timers
 *   ws_broadcast.c  a burst of broadcast messages written to every subscribed client
 *   ws_upgrade.c    which handshakes are accepted, and the error a refused one gets
 *   ws_msg.c        the client-message parser (ws_msg.h, pure)
 * Service thread only.
 */
#ifndef CPE_API_WS_INT_H
#define CPE_API_WS_INT_H

#include "api/server.h"
#include "cpe/alerts.h"
#include "cpe/replay.h"

#include <stdint.h>

#define MAX_SUBS 24
#define RX_MAX (64 * 1024)

typedef struct ws_sub {
    ws_channel_t ch;
    char asset[CPE_ASSET_NAME_MAX];
    char interval[8];
} ws_sub_t;

/* A client's replay: the clock (cpe/replay.h) and how it is paced and rendered. */
typedef struct replay {
    int active, paused;
    char asset[CPE_ASSET_NAME_MAX], iv[8];
    double speed;
    lws_sorted_usec_list_t sul;
    double cvd;
    cpe_replay_t clk;
    /* the asset's alert rules when the replay started, on their own states: where they
     * would have fired (the same cpe_alert_eval_bar as a backtest) */
    cpe_alert_rule_t *rules;
    cpe_alert_state_t *rstate;
    int nrules;
} replay_t;

typedef struct ws_client {
    struct lws *wsi;
    cpe_api_t *api;
    struct ws_client *prev, *next;
    ws_sub_t subs[MAX_SUBS];
    int nsubs;
    cpe_wsmsg_t **q;
    int qhead, qlen, qalloc;
    char *rx; /* only while a message arrives in pieces */
    size_t rxlen;
    int rx_skip;  /* dropping the rest of a message over RX_MAX */
    int dropping; /* being dropped (full queue) or closed by the peer: write nothing more */
    int fan_set;  /* ws_broadcast.c: which of the burst's frame sets is being sent to it */
    replay_t rp;
} ws_client_t;

/* ws.c: does the client subscribe to m; queue m for lws's writable callback. */
int cpe_ws_wants(const ws_client_t *c, const cpe_wsmsg_t *m);
void cpe_ws_enqueue(ws_client_t *c, cpe_wsmsg_t *m);

/* ws_upgrade.c: 1 to accept the handshake of wsi; 0 after answering it with its HTTP error
 * (lws then closes the connection). */
int cpe_ws_allow_upgrade(struct lws *wsi, cpe_api_t *api);

/* ws_broadcast.c: the fan-out that writes broadcasts (CPE_WS_FANOUT), made at start and
 * freed at the end. */
int cpe_ws_broadcast_open(cpe_api_t *api, cpe_diag_t *d);
void cpe_ws_broadcast_close(cpe_api_t *api);

#endif
