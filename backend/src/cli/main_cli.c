/* main_cli.c — dispatch `cpe CMD ...` to the command table; parse global options. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cpe_command_t *find(const char *name)
{
    for (const cpe_command_t *const *c = cpe_command_table(); *c; c++)
        if (!strcmp((*c)->name, name)) return *c;
    return NULL;
}

/* Options whose value is optional are never written "--flag value" by our commands:
 * a token after "--name" that itself starts with "--" (or is absent) makes a bare flag. */
static int parse(int argc, char **argv, cpe_args_t *a)
{
    for (int i = 0; i < argc; i++) {
        const char *t = argv[i];
        if (t[0] == '-' && t[1] == '-' && t[2]) {
            if (a->nopt >= CPE_ARGS_MAX) return -1;
            const char *eq = strchr(t + 2, '=');
            if (eq) {
                size_t n = (size_t)(eq - (t + 2));
                char *name = malloc(n + 1); /* lives for the process */
                if (!name) return -1;
                memcpy(name, t + 2, n);
                name[n] = 0;
                a->opt_name[a->nopt] = name;
                a->opt_val[a->nopt++] = eq + 1;
            } else {
                a->opt_name[a->nopt] = t + 2;
                if (i + 1 < argc && !(argv[i + 1][0] == '-' && argv[i + 1][1] == '-'))
                    a->opt_val[a->nopt++] = argv[++i];
                else
                    a->opt_val[a->nopt++] = NULL;
            }
        } else {
            if (a->npos >= CPE_ARGS_MAX) return -1;
            a->pos[a->npos++] = t;
        }
    }
    return 0;
}

int cpe_cmd_help(cpe_args_t *a)
{
    if (a->npos > 0) {
        const cpe_command_t *c = find(a->pos[0]);
        if (!c) return cpe_cli_fail(a, 2, "no command '%s'", a->pos[0]);
        printf("%s\n\n%s\n", c->summary, c->usage);
        return 0;
    }
    printf(
        "cpe — crypto prediction engine\n\nusage: cpe COMMAND [options]   (cpe COMMAND --help)\n\n"
        "commands:\n");
    for (const cpe_command_t *const *c = cpe_command_table(); *c; c++)
        printf("  %-10s %s\n", (*c)->name, (*c)->summary);
    printf("\nglobal options:\n  --db PATH  the store (env CPE_DB, default data/cpe.db)\n");
    return 0;
}

int cpe_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        cpe_args_t a = {.cmd = "help"};
        cpe_cmd_help(&a);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) name = "help";
    if (!strcmp(name, "--version")) name = "version";
    const cpe_command_t *c = find(name);
    if (!c) {
        fprintf(stderr, "cpe: unknown command '%s' (see 'cpe help')\n", argv[1]);
        return 2;
    }
    cpe_args_t *a = calloc(1, sizeof *a);
    if (!a) return 1;
    a->cmd = c->name;
    if (parse(argc - 2, argv + 2, a)) {
        fprintf(stderr, "cpe %s: too many arguments\n", c->name);
        free(a);
        return 2;
    }
    if (cpe_arg_flag(a, "help") || (a->npos > 0 && !strcmp(a->pos[0], "-h"))) {
        printf("%s\n\n%s\n", c->summary, c->usage);
        free(a);
        return 0;
    }
    a->db = cpe_arg_str(a, "db");
    if (!a->db) a->db = getenv("CPE_DB");
    if (!a->db || !*a->db) a->db = "data/cpe.db";
    int rc = c->run(a);
    free(a);
    return rc;
}
