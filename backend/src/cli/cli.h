/*
 * cli.h — the `cpe` subcommand table and the small option parser every command uses.
 *
 * A command is a file cmd_<name>.c that defines
 *     const cpe_command_t cpe_cmddef_<name> = {"name", "summary", "usage...", run};
 * with `int run(cpe_args_t *a)` returning a process exit code (0 ok, 1 failure,
 * 2 usage error), and one row in commands.c's table. The table refers to each
 * definition weakly, so a layer can be built and tested before all commands exist;
 * `cpe help` lists only the commands that are linked in.
 *
 * Options are GNU-style long options: "--name VALUE", "--name=VALUE", or a bare
 * "--flag". Positional arguments are kept in order. Global options (--db, env CPE_DB,
 * default data/cpe.db) are parsed here for every command.
 */
#ifndef CPE_CLI_H
#define CPE_CLI_H

#include "cpe/error.h"

#define CPE_ARGS_MAX 64

typedef struct cpe_args {
    const char *cmd;
    int npos;
    const char *pos[CPE_ARGS_MAX];
    int nopt;
    const char *opt_name[CPE_ARGS_MAX]; /* without the leading "--" */
    const char *opt_val[CPE_ARGS_MAX];  /* NULL for a bare flag */
    const char *db;                     /* --db, $CPE_DB, or "data/cpe.db" */
} cpe_args_t;

/* Option value or NULL. */
const char *cpe_arg_str(const cpe_args_t *a, const char *name);
int cpe_arg_flag(const cpe_args_t *a, const char *name);
/* Parse helpers: missing option -> def; unparsable -> usage error message, return 2. */
int cpe_arg_int(const cpe_args_t *a, const char *name, long def, long *out);
int cpe_arg_double(const cpe_args_t *a, const char *name, double def, double *out);
/* ISO-8601 or epoch time; missing -> def. */
int cpe_arg_time(const cpe_args_t *a, const char *name, long long def, long long *out);
/* Reject options that are not in the NULL-terminated list `known` ("db" is always known).
 * Prints "cpe CMD: unknown option '--x'" and returns 2; 0 when all are known. */
int cpe_args_check(const cpe_args_t *a, const char *const *known);
/* Print "cpe CMD: message" to stderr and return exit code 1 (or 2 for usage). */
int cpe_cli_fail(const cpe_args_t *a, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef struct cpe_command {
    const char *name;
    const char *summary;
    const char *usage;
    int (*run)(cpe_args_t *a);
} cpe_command_t;

/* The linked-in commands, in help order (NULL-terminated). */
const cpe_command_t *const *cpe_command_table(void);

int cpe_cli_main(int argc, char **argv);
int cpe_cmd_help(cpe_args_t *a);

#endif
