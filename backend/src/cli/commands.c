/* commands.c — the table of `cpe` subcommands. One row per command, in help order. */
#include "cli/cli.h"

#include <stdio.h>

#define CPE_VERSION "0.1.0"

int cpe_cmd_version(cpe_args_t *a)
{
    (void)a;
    printf("cpe %s\n", CPE_VERSION);
    return 0;
}

const cpe_command_t cpe_commands[] = {
    {"help", "list commands, or show one command's usage", "usage: cpe help [COMMAND]",
     cpe_cmd_help},
    {"version", "print the version", "usage: cpe version", cpe_cmd_version},
};
const int cpe_ncommands = (int)(sizeof cpe_commands / sizeof cpe_commands[0]);
