/* Unit tests for the history fetch (sources/history*.c): a tiny HTTP server on loopback
 * answers Binance's kline request in Binance's shape (or a truncated body on demand); the
 * fetch writes into a temporary SQLite store. */
#include "cpe/history.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int g_listen, g_port, g_garbage;
static volatile int g_stop;
static long g_requests;

static long long query_num(const char *req, const char *key, long long def)
{
    const char *p = strstr(req, key);
    return p ? atoll(p + strlen(key)) : def;
}

/* One request, one answer, close. */
static void serve_one(int fd)
{
    char req[4096];
    ssize_t n = recv(fd, req, sizeof req - 1, 0);
    if (n <= 0) return;
    req[n] = 0;
    g_requests++;
    long long from = query_num(req, "startTime=", 0), to = query_num(req, "endTime=", 0);
    long long limit = query_num(req, "limit=", 500);
    size_t cap = 256 + (size_t)limit * 160, len = 0;
    char *body = malloc(cap);
    if (g_garbage) {
        len = (size_t)snprintf(body, cap, "[[%lld,\"1.0\",\"2", from);
    } else {
        body[len++] = '[';
        long long m0 = (from + 59999) / 60000, rows = 0;
        for (long long m = m0; m * 60000 <= to && rows < limit; m++, rows++)
            len += (size_t)snprintf(body + len, cap - len,
                                    "%s[%lld,\"100.0\",\"101.0\",\"99.0\",\"100.5\",\"2.5\",%lld,"
                                    "\"251.25\",10,\"1.0\",\"100.5\",\"0\"]",
                                    rows ? "," : "", m * 60000, m * 60000 + 59999);
        body[len++] = ']';
    }
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                      "%zu\r\nConnection: close\r\n\r\n",
                      len);
    if (send(fd, head, (size_t)hn, MSG_NOSIGNAL) == hn) (void)!send(fd, body, len, MSG_NOSIGNAL);
    free(body);
}

static void *server_main(void *arg)
{
    (void)arg;
    while (!g_stop) {
        struct pollfd p = {.fd = g_listen, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(g_listen, NULL, NULL);
        if (fd < 0) continue;
        serve_one(fd);
        close(fd);
    }
    return NULL;
}

static int server_start(pthread_t *th)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    g_listen = socket(AF_INET, SOCK_STREAM, 0);
    if (g_listen < 0 || bind(g_listen, (struct sockaddr *)&a, sizeof a) || listen(g_listen, 16) ||
        getsockname(g_listen, (struct sockaddr *)&a, &al))
        return -1;
    g_port = ntohs(a.sin_port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", g_port);
    setenv("CPE_BINANCE_REST_SPOT", url, 1);
    setenv("CPE_BINANCE_REST_PERP", url, 1);
    return pthread_create(th, NULL, server_main, NULL);
}

static size_t stored(cpe_store_t *st, const char *instr, int64_t from, int64_t to)
{
    int64_t id;
    if (st->ops->series_id(st, instr, "kline:1m", CPE_MS_PER_MIN, 0, 0, &id)) return 0;
    cpe_kline_t *k = NULL;
    size_t n = 0;
    st->ops->get_klines(st, id, from, to, &k, &n);
    free(k);
    return n;
}

static size_t inserted(const cpe_history_stats_t *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->ntasks; i++)
        n += s->task[i].inserted;
    return n;
}

static void test_fetch_counts_idempotence_resume_and_bad_answer(void)
{
    char db[600];
    snprintf(db, sizeof db, "%s/history.db", test_tmpdir());
    cpe_store_t *st = NULL;
    CHECK_EQ_INT(cpe_store_open(db, &st, NULL), 0);
    if (!st) return;
    int64_t to = cpe_floor_ms(cpe_now_ms(), CPE_MS_PER_DAY) - 10 * CPE_MS_PER_DAY;
    int64_t from = to - 2 * CPE_MS_PER_DAY;
    cpe_history_req_t r = {.symbol = "SOLUSDT",
                           .ex = cpe_exchanges()[CPE_EX_BINANCE],
                           .from_ms = from,
                           .to_ms = from + CPE_MS_PER_DAY,
                           .spot = 1,
                           .perp = 1,
                           .kinds = 1u << CPE_DK_KLINE};
    cpe_history_stats_t s;
    cpe_diag_t d = {0};
    /* the first day: windows of 1000 minutes from `from` (1000 + 440) per market */
    CHECK_EQ_INT(cpe_history_fetch(st, &r, &s, &d), 0);
    CHECK_EQ_INT(s.ntasks, 2);
    CHECK_EQ_INT(s.requests, 4);
    CHECK_EQ_INT(inserted(&s), 2 * 1440);
    /* both days: the first window is whole and skipped; the second (440 of 1000) and the
     * third are asked for */
    r.to_ms = to;
    CHECK_EQ_INT(cpe_history_fetch(st, &r, &s, &d), 0);
    CHECK_EQ_INT(s.requests, 4);
    CHECK_EQ_INT(s.task[0].skipped, 1);
    CHECK_EQ_INT(inserted(&s), 2 * 1440);
    CHECK_EQ_INT(stored(st, "binance:spot:SOLUSDT", from, to), 2880);
    CHECK_EQ_INT(stored(st, "binance:perp:SOLUSDT", from, to), 2880);
    /* again: nothing to ask, nothing new */
    CHECK_EQ_INT(cpe_history_fetch(st, &r, &s, &d), 0);
    CHECK_EQ_INT(s.requests, 0);
    CHECK_EQ_INT(inserted(&s), 0);
    /* a bad answer: the error names the URL, the window writes nothing */
    g_garbage = 1;
    r.from_ms = to, r.to_ms = to + CPE_MS_PER_HOUR;
    CHECK_EQ_INT(cpe_history_fetch(st, &r, &s, &d), CPE_EPARSE);
    char want[128];
    snprintf(want, sizeof want, "bad answer from GET http://127.0.0.1:%d/api/v3/klines?", g_port);
    CHECK_MSG(strstr(d.msg, want) != NULL, "message: %s", d.msg);
    CHECK_EQ_INT(stored(st, "binance:spot:SOLUSDT", to, to + CPE_MS_PER_HOUR), 0);
    CHECK_EQ_INT(s.requests, 1); /* a bad body is not retried */
    g_garbage = 0;
    cpe_store_close(st);
}

static void test_fetch_refuses_what_the_exchange_does_not_serve(void)
{
    cpe_history_req_t r = {.symbol = "SOLUSDT",
                           .ex = cpe_exchanges()[CPE_EX_COINBASE],
                           .from_ms = cpe_now_ms() - CPE_MS_PER_DAY,
                           .to_ms = cpe_now_ms(),
                           .perp = 1}; /* Coinbase lists no perpetuals */
    cpe_history_stats_t s;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_history_fetch(NULL, &r, &s, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "serves none") != NULL);
    r.perp = 0, r.spot = 1, r.from_ms = r.to_ms;
    CHECK_EQ_INT(cpe_history_fetch(NULL, &r, &s, &d), CPE_EINVAL); /* empty range */
}

static void test_history_days_from_the_environment(void)
{
    unsetenv("CPE_HISTORY_DAYS");
    CHECK_EQ_INT(cpe_history_days(), CPE_HISTORY_DAYS_DEFAULT);
    setenv("CPE_HISTORY_DAYS", "7", 1);
    CHECK_EQ_INT(cpe_history_days(), 7);
    setenv("CPE_HISTORY_DAYS", "0", 1);
    CHECK_EQ_INT(cpe_history_days(), 0);
    setenv("CPE_HISTORY_DAYS", "a week", 1);
    CHECK_EQ_INT(cpe_history_days(), CPE_HISTORY_DAYS_DEFAULT);
    unsetenv("CPE_HISTORY_DAYS");
}

int main(void)
{
    pthread_t th;
    if (server_start(&th)) {
        perror("test_history: loopback server");
        return 2;
    }
    RUN(test_fetch_counts_idempotence_resume_and_bad_answer);
    RUN(test_fetch_refuses_what_the_exchange_does_not_serve);
    RUN(test_history_days_from_the_environment);
    g_stop = 1;
    pthread_join(th, NULL);
    close(g_listen);
    return TEST_DONE();
}
