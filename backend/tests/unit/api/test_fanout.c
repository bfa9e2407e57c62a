/* test_fanout.c — batched non-blocking sends (api/fanout.h), through io_uring and send():
 * every send is reported once with its tag, the bytes arrive whole and in order, a full
 * socket answers -EAGAIN, a nearly full one takes part, a closed peer answers an error. */
#include "api/fanout.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NPEERS 300

typedef struct results {
    int n;
    int tag[4 * NPEERS];
    ssize_t res[4 * NPEERS];
} results_t; /* the backpressure test makes at most 67 sends */

static void record(void *ctx, void *tag, ssize_t res)
{
    results_t *r = ctx;
    r->tag[r->n] = (int)(intptr_t)tag;
    r->res[r->n] = res;
    r->n++;
}

/* Pairs of connected stream sockets: s[i] sends, p[i] reads. */
static void make_pairs(int *s, int *p, int n)
{
    for (int i = 0; i < n; i++) {
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        s[i] = sv[0];
        p[i] = sv[1];
    }
}

static void close_pairs(int *s, int *p, int n)
{
    for (int i = 0; i < n; i++) {
        close(s[i]);
        if (p[i] >= 0) close(p[i]);
    }
}

/* Two messages to each of NPEERS sockets, with a batch far smaller than the sends. */
static void check_many(cpe_fanout_mode_t mode)
{
    static int s[NPEERS], p[NPEERS];
    static results_t r;
    memset(&r, 0, sizeof r);
    make_pairs(s, p, NPEERS);
    cpe_fanout_t *f = cpe_fanout_new(mode, 8, record, &r);
    CHECK(f != NULL);
    if (!f) return;
    const char *a = "first message", *b = "second";
    for (int i = 0; i < NPEERS; i++)
        cpe_fanout_add(f, s[i], a, strlen(a), (void *)(intptr_t)i);
    for (int i = 0; i < NPEERS; i++)
        cpe_fanout_add(f, s[i], b, strlen(b), (void *)(intptr_t)(NPEERS + i));
    cpe_fanout_flush(f);
    CHECK_EQ_INT(r.n, 2 * NPEERS);
    static int seen[2 * NPEERS];
    memset(seen, 0, sizeof seen);
    for (int k = 0; k < r.n; k++) {
        CHECK(r.tag[k] >= 0 && r.tag[k] < 2 * NPEERS);
        seen[r.tag[k]]++;
        CHECK_EQ_INT((int)r.res[k], r.tag[k] < NPEERS ? (int)strlen(a) : (int)strlen(b));
    }
    for (int k = 0; k < 2 * NPEERS; k++)
        CHECK_EQ_INT(seen[k], 1);
    for (int i = 0; i < NPEERS; i++) {
        char buf[64] = {0};
        ssize_t got = read(p[i], buf, sizeof buf - 1);
        CHECK_STR(got > 0 ? buf : "", "first messagesecond");
    }
    cpe_fanout_free(f);
    close_pairs(s, p, NPEERS);
}

static void test_send_mode_reports_every_send(void)
{
    check_many(CPE_FANOUT_SEND);
}

static int have_uring(void)
{
    results_t r;
    cpe_fanout_t *f = cpe_fanout_new(CPE_FANOUT_URING, 8, record, &r);
    int ok = f != NULL;
    cpe_fanout_free(f);
    return ok;
}

static void test_uring_mode_reports_every_send(void)
{
    if (!have_uring()) SKIP("io_uring is not available here (kernel or seccomp); send() is tested");
    check_many(CPE_FANOUT_URING);
}

static void test_auto_mode_says_what_it_uses(void)
{
    results_t r;
    cpe_fanout_t *f = cpe_fanout_new(CPE_FANOUT_AUTO, 8, record, &r);
    CHECK(f != NULL);
    CHECK(!strcmp(cpe_fanout_kind(f), "io_uring") || !strcmp(cpe_fanout_kind(f), "send"));
    cpe_fanout_free(f);
    f = cpe_fanout_new(CPE_FANOUT_SEND, 8, record, &r);
    CHECK_STR(cpe_fanout_kind(f), "send");
    cpe_fanout_free(f);
}

/* A TCP connection on loopback whose sender has a small buffer and whose peer never reads:
 * a big write is taken in part, the next finds the socket full. */
static void check_backpressure(cpe_fanout_mode_t mode)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 4) == 0);
    CHECK(getsockname(ls, (struct sockaddr *)&a, &al) == 0);
    int cs = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(cs, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    CHECK(connect(cs, (struct sockaddr *)&a, sizeof a) == 0);
    int ss = accept(ls, NULL, NULL);
    CHECK(ss >= 0);
    setsockopt(ss, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    size_t big = 4 << 20;
    char *buf = malloc(big);
    memset(buf, 'x', big);
    results_t r;
    memset(&r, 0, sizeof r);
    cpe_fanout_t *f = cpe_fanout_new(mode, 8, record, &r);
    CHECK(f != NULL);
    /* the receiver's window still drains the small buffer a little: write until full */
    int full = 0;
    for (int i = 0; i < 64 && !full; i++) {
        cpe_fanout_add(f, ss, buf, big, (void *)1);
        cpe_fanout_flush(f);
        full = r.res[r.n - 1] == -EAGAIN;
    }
    CHECK_MSG(r.res[0] > 0 && (size_t)r.res[0] < big, "first write took %zd of %zu bytes", r.res[0],
              big);
    CHECK_MSG(full, "64 writes to a peer that never reads never met a full socket");
    for (int i = 0; i < r.n; i++)
        CHECK((int)(intptr_t)r.tag[i] == 1);
    int before = r.n;
    /* a peer that is gone: an error, not a signal */
    close(cs);
    usleep(20000);
    for (int i = 0; i < 3; i++) { /* the first write after the reset may still be taken */
        cpe_fanout_add(f, ss, "x", 1, (void *)3);
        cpe_fanout_flush(f);
    }
    CHECK_EQ_INT(r.n, before + 3);
    CHECK_MSG(r.res[r.n - 1] == -EPIPE || r.res[r.n - 1] == -ECONNRESET,
              "write to a closed peer: %zd", r.res[r.n - 1]);
    cpe_fanout_free(f);
    free(buf);
    close(ss);
    close(ls);
}

static void test_send_mode_backpressure(void)
{
    check_backpressure(CPE_FANOUT_SEND);
}

static void test_uring_mode_backpressure(void)
{
    if (!have_uring()) SKIP("io_uring is not available here (kernel or seccomp)");
    check_backpressure(CPE_FANOUT_URING);
}

/* Sends still queued when the fan-out is freed are made and reported, not lost. */
static void test_free_flushes(void)
{
    int s[2], p[2];
    make_pairs(s, p, 2);
    results_t r;
    memset(&r, 0, sizeof r);
    cpe_fanout_t *f = cpe_fanout_new(CPE_FANOUT_AUTO, 8, record, &r);
    cpe_fanout_add(f, s[0], "ab", 2, (void *)0);
    cpe_fanout_add(f, s[1], "cd", 2, (void *)1);
    cpe_fanout_free(f);
    CHECK_EQ_INT(r.n, 2);
    char buf[4] = {0};
    CHECK(read(p[1], buf, 3) == 2 && !strcmp(buf, "cd"));
    close_pairs(s, p, 2);
}

int main(void)
{
    RUN(test_send_mode_reports_every_send);
    RUN(test_uring_mode_reports_every_send);
    RUN(test_auto_mode_says_what_it_uses);
    RUN(test_send_mode_backpressure);
    RUN(test_uring_mode_backpressure);
    RUN(test_free_flushes);
    return TEST_DONE();
}
