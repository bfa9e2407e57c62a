/*
 * tls.h — HTTPS and WSS for `cpe serve` (issue #18 item 4).
 *
 * Model. TLS is on when both CPE_TLS_CERT and CPE_TLS_KEY (flags --tls-cert, --tls-key)
 * name PEM files; the one listening port then speaks TLS only (https:// and wss://), with
 * libwebsockets over the system OpenSSL 3 (Debian builds lws with LWS_WITH_TLS and
 * OpenSSL). The lowest protocol accepted is CPE_TLS_MIN (--tls-min): 1.3 by default, 1.2
 * when asked; anything older is refused in the handshake. ALPN offers http/1.1 only (the
 * server's transactions and the WebSocket upgrade are HTTP/1.1). Every HTTP answer over TLS
 * carries Strict-Transport-Security (HSTS, one year). Without a certificate nothing here
 * changes the server. A certificate without a key, or a key without a certificate, is a
 * configuration error, never a silent plain-text server.
 *
 * Threads: cpe_tls_setup() runs before the lws context is made; cpe_tls_add_hsts() on the
 * service thread.
 */
#ifndef CPE_API_TLS_H
#define CPE_API_TLS_H

#include "cpe/api.h"
#include "cpe/error.h"

#include <libwebsockets.h>

#define CPE_HSTS_MAX_AGE_S 31536000 /* one year */

/* 1 when the configuration asks for TLS. */
int cpe_tls_on(const cpe_api_config_t *c);
/* Fill info's TLS fields when TLS is on (no-op otherwise). CPE_EINVAL when only one of
 * certificate and key is set, CPE_EIO (naming the file) when one cannot be read. The
 * strings stay owned by c, which must outlive the lws context. */
int cpe_tls_setup(const cpe_api_config_t *c, struct lws_context_creation_info *info, cpe_diag_t *d);
/* Append the HSTS header between *p and end when TLS is on; non-zero when it did not fit. */
int cpe_tls_add_hsts(const cpe_api_config_t *c, struct lws *wsi, unsigned char **p,
                     unsigned char *end);
/* "https" or "http", "wss" or "ws": for the start-up line and logs. */
const char *cpe_tls_scheme(const cpe_api_config_t *c, int ws);

#endif
