/* cmd_stream.c — `cpe stream`: print the WebSocket messages of a running `cpe serve`.
 * Also what the integration tests use to drive /ws (subscribe, replay, slow readers). */
#define _GNU_SOURCE /* memmem */
#include "cli/cli.h"
#include "cli/wsclient.h"
#include "cpe/timeutil.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_url(const char *url, char *host, size_t hcap, int *port, char *path, size_t pcap)
{
    if (strncmp(url, "ws://", 5)) return -1;
    const char *h = url + 5, *colon = strchr(h, ':'), *slash = strchr(h, '/');
    if (!slash) slash = h + strlen(h);
    if (!colon || colon > slash) return -1;
    snprintf(host, hcap, "%.*s", (int)(colon - h), h);
    char *end;
    long pt = strtol(colon + 1, &end, 10);
    if (end != slash || pt < 1 || pt > 65535) return -1;
    *port = (int)pt;
    snprintf(path, pcap, "%s", *slash ? slash : "/ws");
    return 0;
}

static int run_stream(cpe_args_t *a)
{
    static const char *const known[] = {"url",    "send",  "count", "timeout-ms", "stall-ms",
                                        "rcvbuf", "match", "stamp", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    const char *url = cpe_arg_str(a, "url");
    char host[128], path[256];
    int port;
    if (!url || parse_url(url, host, sizeof host, &port, path, sizeof path))
        return cpe_cli_fail(a, 2, "--url ws://HOST:PORT/ws is required");
    long count, timeout_ms, stall_ms, rcvbuf;
    if (cpe_arg_int(a, "count", 0, &count) || cpe_arg_int(a, "timeout-ms", 10000, &timeout_ms) ||
        cpe_arg_int(a, "stall-ms", 0, &stall_ms) || cpe_arg_int(a, "rcvbuf", 0, &rcvbuf))
        return 2;
    const char *match = cpe_arg_str(a, "match");
    int stamp = cpe_arg_flag(a, "stamp");
    char err[256];
    int fd = cpe_wsc_connect(host, port, path, (int)rcvbuf, err, sizeof err);
    if (fd < 0) return cpe_cli_fail(a, 1, "%s", err);
    cpe_wsc_parser_t p;
    cpe_wsc_parser_init(&p, 0);
    int64_t deadline = cpe_now_ms() + timeout_ms;
    long seen = 0;
    int sent = 0, exit_code = 1;
    const char *why = "timed out";
    while (cpe_now_ms() < deadline) {
        int op;
        const unsigned char *pl;
        size_t n;
        int r;
        while ((r = cpe_wsc_next(&p, &op, &pl, &n)) == 1) {
            if (op == 0x100) {
                for (int i = 0; i < a->nopt; i++)
                    if (!strcmp(a->opt_name[i], "send") && a->opt_val[i])
                        cpe_wsc_send_text(fd, a->opt_val[i], strlen(a->opt_val[i]));
                sent = 1;
                if (stall_ms > 0) {
                    usleep((useconds_t)stall_ms * 1000); /* a client that does not read */
                    deadline += stall_ms;
                }
                continue;
            }
            if (op == 0x8) {
                why = "closed by server";
                goto done;
            }
            if (op == 0x9) continue; /* lws answers its own pings; ignore */
            if (op != 0x1) continue;
            if (stamp) printf("%lld ", (long long)cpe_now_ms()); /* arrival, wall clock ms */
            printf("%.*s\n", (int)n, (const char *)pl);
            fflush(stdout);
            if (!match || memmem(pl, n, match, strlen(match))) seen++;
            if (count > 0 && seen >= count) {
                exit_code = 0;
                why = NULL;
                goto done;
            }
        }
        if (r < 0) {
            why = "protocol error or upgrade refused";
            goto done;
        }
        struct pollfd pf = {fd, POLLIN, 0};
        int64_t left = deadline - cpe_now_ms();
        if (poll(&pf, 1, (int)(left > 0 ? (left < 200 ? left : 200) : 0)) <= 0) continue;
        char buf[65536];
        ssize_t k = read(fd, buf, sizeof buf);
        if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN)) {
            why = "closed by server";
            goto done;
        }
        if (k > 0 && cpe_wsc_feed(&p, buf, (size_t)k)) {
            why = "frame too large";
            goto done;
        }
    }
done:
    (void)sent;
    if (why) fprintf(stderr, "cpe stream: %s after %ld matching messages\n", why, seen);
    if (count == 0 && why && !strcmp(why, "timed out")) exit_code = 0; /* just watching */
    cpe_wsc_parser_free(&p);
    close(fd);
    return exit_code;
}

const cpe_command_t cpe_cmddef_stream = {
    "stream", "print the WebSocket messages of a running cpe serve",
    "usage: cpe stream --url ws://HOST:PORT/ws [--send JSON]... [--count N [--match TEXT]]\n"
    "                  [--timeout-ms 10000] [--stall-ms MS] [--rcvbuf BYTES] [--stamp]\n"
    "  Sends each --send message once connected, prints every text message on its own line\n"
    "  and exits 0 after N messages (containing TEXT, when --match is given); 1 when the\n"
    "  server closes, on a protocol error, or when the timeout passes first (without\n"
    "  --count: watches until the timeout and exits 0).\n"
    "  --stall-ms / --rcvbuf make a deliberately slow reader (backpressure tests).\n"
    "  --stamp starts each line with its arrival time (wall clock, ms) and a space.\n"
    "  Example: cpe stream --url ws://127.0.0.1:8000/ws \\\n"
    "             --send "
    "'{\"op\":\"subscribe\",\"channel\":\"candles\",\"asset\":\"BTC\",\"interval\":\"1m\"}'",
    run_stream};
