/*
 * conn.h — one connection of the API server (lws per-session data; HTTP and WebSocket share
 * the protocol) and what the HTTP files share (server.h has the server-wide state):
 *   dispatch.c  the lws callback: a transaction's request line, query, body; rate limit,
 *               CORS preflight, JWT, route; WebSocket events go to ws.c
 *   respond.c   status, headers and body of a response (small in one write, large chunked)
 *   static.c    the frontend's files (MIME types, cache lifetimes, SPA fallback)
 * Service thread only.
 */
#ifndef CPE_API_CONN_H
#define CPE_API_CONN_H

#include "api/server.h"

#include <libwebsockets.h>

typedef struct conn {
    int is_ws;
    struct ws_client *ws; /* ws.c owns it */
    /* HTTP */
    int method;
    char path[512];
    cpe_query_t *query; /* malloc'd per transaction */
    cpe_buf_t body;
    int body_started, body_too_big;
    int64_t t0_ns;
    int slot;
    unsigned char *out; /* LWS_PRE + remaining body bytes to write */
    size_t out_len, out_off;
    int close_after;
    char origin[128];
    struct cpe_heavy_job *heavy; /* a request out on a worker, or its answer (heavy.h) */
} conn_t;

/* respond.c: each returns the value the lws callback must return. */
/* Send status + headers + body. Small bodies go out in one write with the headers;
 * larger ones are written in chunks, one per writeable callback (cpe_conn_write_more). */
int cpe_conn_send(struct lws *wsi, cpe_api_t *api, conn_t *c, int status, const char *ctype,
                  const char *cache, int retry_after, const char *body, size_t blen, int head_only);
int cpe_conn_write_more(struct lws *wsi, conn_t *c);
int cpe_conn_send_resp(struct lws *wsi, cpe_api_t *api, conn_t *c, cpe_resp_t *r);
int cpe_conn_error(struct lws *wsi, cpe_api_t *api, conn_t *c, int status, const char *code,
                   const char *field, int retry_after, const char *msg);
void cpe_conn_free_out(conn_t *c);
void cpe_conn_end_transaction(conn_t *c);

/* static.c: a file of the frontend for a GET/HEAD no route matched. */
int cpe_api_serve_static(struct lws *wsi, cpe_api_t *api, conn_t *c);

/* dispatch.c: the protocol table given to lws. */
extern const struct lws_protocols cpe_api_protocols[];

#endif
