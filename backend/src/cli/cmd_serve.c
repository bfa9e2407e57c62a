/* cmd_serve.c — `cpe serve`: the HTTP + WebSocket API server (see cpe/api.h). */
#include "api/jwt.h"
#include "cli/cli.h"
#include "cpe/api.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int run_serve(cpe_args_t *a)
{
    static const char *const known[] = {"port", "host", "source", "static", "config", "make-token",
                                        "ttl-s", "models", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    cpe_api_config_t c;
    cpe_diag_t d = {0};
    cpe_api_config_defaults(&c);
    const char *file = cpe_arg_str(a, "config");
    if (file && cpe_api_config_load_file(&c, file, &d)) return cpe_cli_fail(a, 2, "%s", d.msg);
    if (cpe_api_config_load_env(&c, &d)) return cpe_cli_fail(a, 2, "%s", d.msg);
    static const struct {
        const char *opt, *key;
    } flags[] = {{"port", "CPE_PORT"}, {"host", "CPE_HOST"}, {"source", "CPE_SOURCE"},
                 {"static", "CPE_STATIC_DIR"}, {"models", "CPE_MODELS"}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const char *v = cpe_arg_str(a, flags[i].opt);
        if (v && cpe_api_config_set(&c, flags[i].key, v, &d)) return cpe_cli_fail(a, 2, "--%s: %s", flags[i].opt, d.msg);
    }
    /* --db (global) wins over CPE_DB and the config file */
    if (cpe_arg_str(a, "db") && cpe_api_config_set(&c, "CPE_DB", a->db, &d))
        return cpe_cli_fail(a, 2, "%s", d.msg);
    const char *sub = cpe_arg_str(a, "make-token");
    if (sub) { /* an admin helper: a token the running server will accept */
        long ttl;
        if (cpe_arg_int(a, "ttl-s", 3600, &ttl)) return 2;
        if (!c.jwt_secret[0]) return cpe_cli_fail(a, 2, "--make-token needs CPE_JWT_SECRET");
        char payload[256], tok[1024];
        snprintf(payload, sizeof payload, "{\"sub\":\"%.64s\",\"exp\":%lld}", sub,
                 (long long)(cpe_now_ms() / 1000 + ttl));
        if (cpe_jwt_sign(payload, c.jwt_secret, tok, sizeof tok)) return cpe_cli_fail(a, 1, "token too long");
        printf("%s\n", tok);
        return 0;
    }
    /* Many WebSocket clients need many descriptors. */
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (cpe_api_serve(&c, &stop_flag, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    return 0;
}

const cpe_command_t cpe_cmddef_serve = {
    "serve", "HTTP + WebSocket API server with the live pipeline and the cockpit",
    "usage: cpe serve [--port 8000] [--host 127.0.0.1] [--db PATH]\n"
    "                 [--source auto|live|simulate|store] [--static DIR] [--config FILE]\n"
    "                 [--models DIR]\n"
    "  Serves docs/API.md (HTTP routes, WebSocket /ws) and the built frontend.\n"
    "  Settings: defaults < --config FILE (KEY=VALUE) < environment (CPE_*) < flags;\n"
    "  every setting is listed in .env.example and docs/SERVER.md.\n"
    "  --source auto: recent real data in the store, else the simulator in real time.\n"
    "  At every closed 1m bar the champion model of each symbol (--models, CPE_MODELS)\n"
    "  predicts every horizon; the predictions are stored and pushed (CPE_PREDICT=0: off).\n"
    "  --port 0 picks a free port; the first stdout line is 'listening on http://HOST:PORT'.\n"
    "  --make-token SUBJECT [--ttl-s 3600]: print an HS256 JWT signed with CPE_JWT_SECRET\n"
    "  (for clients of a server that requires one) and exit.",
    run_serve};
