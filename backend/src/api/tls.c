/* tls.c — HTTPS and WSS for `cpe serve` (tls.h). */
#include "api/tls.h"

#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cpe_tls_on(const cpe_api_config_t *c)
{
    return c->tls_cert[0] && c->tls_key[0];
}

int cpe_tls_setup(const cpe_api_config_t *c, struct lws_context_creation_info *info, cpe_diag_t *d)
{
    if (!c->tls_cert[0] && !c->tls_key[0]) return 0;
    if (!c->tls_cert[0] || !c->tls_key[0])
        return cpe_diag_set(d, CPE_EINVAL, "TLS needs both a certificate and a key (%s is missing)",
                            c->tls_cert[0] ? "--tls-key / CPE_TLS_KEY"
                                           : "--tls-cert / CPE_TLS_CERT");
    const char *files[2] = {c->tls_cert, c->tls_key};
    for (int i = 0; i < 2; i++)
        if (access(files[i], R_OK))
            return cpe_diag_set(d, CPE_EIO, "cannot read the TLS %s %s", i ? "key" : "certificate",
                                files[i]);
    info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info->ssl_cert_filepath = c->tls_cert;
    info->ssl_private_key_filepath = c->tls_key;
    /* Debian's lws speaks HTTP/2 too, but the server's transactions (server.c) and the
     * WebSocket upgrade are HTTP/1.1: offer only that, so a browser never picks h2 */
    info->alpn = "http/1.1";
    /* SSL_CTX options: every protocol below the minimum is switched off */
    info->ssl_options_set = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
                            SSL_OP_NO_TLSv1_1 | (c->tls_min_12 ? 0 : SSL_OP_NO_TLSv1_2) |
                            SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
    return 0;
}

int cpe_tls_add_hsts(const cpe_api_config_t *c, struct lws *wsi, unsigned char **p,
                     unsigned char *end)
{
    if (!cpe_tls_on(c)) return 0;
    char v[48];
    int n = snprintf(v, sizeof v, "max-age=%d", CPE_HSTS_MAX_AGE_S);
    return lws_add_http_header_by_name(wsi, (const unsigned char *)"strict-transport-security:",
                                       (const unsigned char *)v, n, p, end);
}

const char *cpe_tls_scheme(const cpe_api_config_t *c, int ws)
{
    if (cpe_tls_on(c)) return ws ? "wss" : "https";
    return ws ? "ws" : "http";
}
