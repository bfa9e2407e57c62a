/* commands.c — the table of `cpe` subcommands, in help order. Each command lives in its
 * own cmd_<name>.c; the table refers to its definition weakly (see cli.h). */
#include "cli/cli.h"

#include <stdio.h>

#define CPE_VERSION "0.1.0"

static int run_version(cpe_args_t *a)
{
    (void)a;
    printf("cpe %s\n", CPE_VERSION);
    return 0;
}

static const cpe_command_t def_help = {"help", "list commands, or show one command's usage",
                                       "usage: cpe help [COMMAND]", cpe_cmd_help};
static const cpe_command_t def_version = {"version", "print the version", "usage: cpe version",
                                          run_version};

#define CPE_COMMANDS(X)                                                                            \
    X(import)                                                                                      \
    X(simulate)                                                                                    \
    X(summary)                                                                                     \
    X(gaps)                                                                                        \
    X(record)                                                                                      \
    X(fetch)                                                                                       \
    X(onchain)                                                                                     \
    X(features)                                                                                    \
    X(garch)                                                                                       \
    X(train)                                                                                       \
    X(evaluate)                                                                                    \
    X(drift)                                                                                       \
    X(predict)                                                                                     \
    X(explain)                                                                                     \
    X(cone)                                                                                        \
    X(models)                                                                                      \
    X(backtest)                                                                                    \
    X(serve)                                                                                       \
    X(stream)                                                                                      \
    X(migrate)                                                                                     \
    X(user)

#define CPE_DECLARE(name) extern const cpe_command_t cpe_cmddef_##name __attribute__((weak));
CPE_COMMANDS(CPE_DECLARE)
#undef CPE_DECLARE

const cpe_command_t *const *cpe_command_table(void)
{
#define CPE_ROW(name) &cpe_cmddef_##name,
    static const cpe_command_t *const all[] = {&def_help, &def_version, CPE_COMMANDS(CPE_ROW)};
#undef CPE_ROW
    static const cpe_command_t *linked[sizeof all / sizeof all[0] + 1];
    if (!linked[0]) {
        size_t n = 0;
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            if (all[i]) linked[n++] = all[i];
        linked[n] = NULL;
    }
    return linked;
}
