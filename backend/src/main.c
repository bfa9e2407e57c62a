/* main.c — the `cpe` binary: everything is a subcommand (see src/cli/commands.c). */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cpe_cli_main(argc, argv);
}
