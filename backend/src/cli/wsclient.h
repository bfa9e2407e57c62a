/*
 * wsclient.h — a minimal RFC 6455 WebSocket client over a plain socket, for `cpe stream`,
 * the integration tests and the WebSocket benchmark (which drives thousands of them
 * from one epoll loop, hence the incremental parser).
 *
 * Only what talking to `cpe serve` needs: ws:// (no TLS), text frames, client masking,
 * ping -> pong, close. A frame larger than CPE_WSC_MAX is refused.
 */
#ifndef CPE_CLI_WSCLIENT_H
#define CPE_CLI_WSCLIENT_H

#include <stddef.h>
#include <stdint.h>

#define CPE_WSC_MAX (4u << 20)

/* Connect to host:port and complete the upgrade of `path` (blocking). rcvbuf > 0 sets
 * SO_RCVBUF before connecting (a deliberately slow client). Returns the fd or -1 with
 * err filled. */
int cpe_wsc_connect(const char *host, int port, const char *path, int rcvbuf, char *err,
                    size_t cap);
/* Start a connection without waiting (benchmarks): the fd, with the upgrade request sent
 * once connected; cpe_wsc_feed reports the 101 as a frame of opcode 0x100. */
int cpe_wsc_request(int fd, const char *host, int port, const char *path);
/* Send one masked text frame (blocking until written). 0 or -1. */
int cpe_wsc_send_text(int fd, const char *s, size_t n);

typedef struct cpe_wsc_parser {
    unsigned char *buf;
    size_t len, alloc;
    int upgraded; /* the HTTP 101 was seen */
    size_t drop;  /* bytes of the frame returned last, dropped on the next call */
} cpe_wsc_parser_t;

void cpe_wsc_parser_init(cpe_wsc_parser_t *p, int upgraded);
void cpe_wsc_parser_free(cpe_wsc_parser_t *p);
/* Append received bytes. 0 or -1 (too large). */
int cpe_wsc_feed(cpe_wsc_parser_t *p, const void *data, size_t n);
/* Next complete frame: 1 with *op, *payload (points into the parser, valid until the next
 * call) and *plen; 0 when more bytes are needed; -1 on a protocol error or a refused
 * upgrade. op 0x100 = the upgrade response was accepted. */
int cpe_wsc_next(cpe_wsc_parser_t *p, int *op, const unsigned char **payload, size_t *plen);

#endif
