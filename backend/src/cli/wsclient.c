/* wsclient.c — see wsclient.h. */
#include "cli/wsclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            usleep(1000);
            continue;
        }
        if (k <= 0) return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

int cpe_wsc_request(int fd, const char *host, int port, const char *path)
{
    char req[512];
    int n =
        snprintf(req, sizeof req,
                 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 path, host, port);
    return write_all(fd, req, (size_t)n);
}

int cpe_wsc_connect(const char *host, int port, const char *path, int rcvbuf, char *err, size_t cap)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1", &sa.sin_addr) != 1) {
        snprintf(err, cap, "host '%s' is not an IPv4 address", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, cap, "socket: %s", strerror(errno));
        return -1;
    }
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) || cpe_wsc_request(fd, host, port, path)) {
        snprintf(err, cap, "connect %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int cpe_wsc_send_text(int fd, const char *s, size_t n)
{
    unsigned char hdr[14];
    size_t h = 0;
    hdr[h++] = 0x81;
    if (n < 126)
        hdr[h++] = (unsigned char)(0x80 | n);
    else if (n < 65536) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (unsigned char)(n >> 8);
        hdr[h++] = (unsigned char)n;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (unsigned char)((uint64_t)n >> (8 * i));
    }
    static const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(hdr + h, mask, 4);
    h += 4;
    unsigned char *frame = malloc(h + n);
    if (!frame) return -1;
    memcpy(frame, hdr, h);
    for (size_t i = 0; i < n; i++)
        frame[h + i] = (unsigned char)s[i] ^ mask[i & 3];
    int rc = write_all(fd, frame, h + n);
    free(frame);
    return rc;
}

void cpe_wsc_parser_init(cpe_wsc_parser_t *p, int upgraded)
{
    memset(p, 0, sizeof *p);
    p->upgraded = upgraded;
}

void cpe_wsc_parser_free(cpe_wsc_parser_t *p)
{
    free(p->buf);
    p->buf = NULL;
    p->len = p->alloc = 0;
}

int cpe_wsc_feed(cpe_wsc_parser_t *p, const void *data, size_t n)
{
    if (p->len + n > CPE_WSC_MAX + 16) return -1;
    if (p->len + n > p->alloc) {
        size_t a = p->alloc ? p->alloc : 4096;
        while (a < p->len + n)
            a *= 2;
        unsigned char *nb = realloc(p->buf, a);
        if (!nb) return -1;
        p->buf = nb;
        p->alloc = a;
    }
    memcpy(p->buf + p->len, data, n);
    p->len += n;
    return 0;
}

static void consume(cpe_wsc_parser_t *p, size_t n)
{
    memmove(p->buf, p->buf + n, p->len - n);
    p->len -= n;
}

int cpe_wsc_next(cpe_wsc_parser_t *p, int *op, const unsigned char **payload, size_t *plen)
{
    if (p->drop) {
        consume(p, p->drop);
        p->drop = 0;
    }
    if (!p->upgraded) {
        for (size_t i = 3; i < p->len; i++) {
            if (memcmp(p->buf + i - 3, "\r\n\r\n", 4)) continue;
            if (p->len < 12 || memcmp(p->buf + 9, "101", 3)) return -1;
            p->drop = i + 1;
            p->upgraded = 1;
            *op = 0x100;
            *payload = NULL;
            *plen = 0;
            return 1;
        }
        return p->len > 8192 ? -1 : 0;
    }
    if (p->len < 2) return 0;
    size_t h = 2;
    uint64_t n = p->buf[1] & 0x7f;
    if (p->buf[1] & 0x80) return -1; /* servers do not mask */
    if (n == 126) {
        if (p->len < 4) return 0;
        n = (uint64_t)p->buf[2] << 8 | p->buf[3];
        h = 4;
    } else if (n == 127) {
        if (p->len < 10) return 0;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | p->buf[2 + i];
        h = 10;
    }
    if (n > CPE_WSC_MAX) return -1;
    if (p->len < h + n) return 0;
    *op = p->buf[0] & 0x0f;
    *payload = p->buf + h;
    *plen = (size_t)n;
    p->drop = h + (size_t)n;
    return 1;
}
