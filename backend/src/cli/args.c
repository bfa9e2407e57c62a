/* args.c — long-option parsing for cpe subcommands (see cli.h). */
#include "cli/cli.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cpe_arg_str(const cpe_args_t *a, const char *name)
{
    for (int i = a->nopt - 1; i >= 0; i--)
        if (!strcmp(a->opt_name[i], name)) return a->opt_val[i];
    return NULL;
}

int cpe_arg_flag(const cpe_args_t *a, const char *name)
{
    for (int i = 0; i < a->nopt; i++)
        if (!strcmp(a->opt_name[i], name)) return 1;
    return 0;
}

int cpe_cli_fail(const cpe_args_t *a, int exit_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "cpe %s: ", a->cmd ? a->cmd : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return exit_code;
}

int cpe_arg_int(const cpe_args_t *a, const char *name, long def, long *out)
{
    const char *s = cpe_arg_str(a, name);
    if (!s) {
        *out = def;
        return 0;
    }
    int64_t v;
    if (cpe_parse_i64(s, strlen(s), &v))
        return cpe_cli_fail(a, 2, "option '--%s' (%s) is not an integer", name, s);
    *out = (long)v;
    return 0;
}

int cpe_arg_double(const cpe_args_t *a, const char *name, double def, double *out)
{
    const char *s = cpe_arg_str(a, name);
    if (!s) {
        *out = def;
        return 0;
    }
    if (cpe_parse_double(s, strlen(s), out))
        return cpe_cli_fail(a, 2, "option '--%s' (%s) is not a number", name, s);
    return 0;
}

int cpe_arg_time(const cpe_args_t *a, const char *name, long long def, long long *out)
{
    const char *s = cpe_arg_str(a, name);
    if (!s) {
        *out = def;
        return 0;
    }
    int64_t t;
    if (cpe_parse_time_arg(s, &t))
        return cpe_cli_fail(a, 2, "option '--%s' (%s) is not an ISO-8601 time", name, s);
    *out = t;
    return 0;
}

int cpe_args_check(const cpe_args_t *a, const char *const *known)
{
    for (int i = 0; i < a->nopt; i++) {
        if (!strcmp(a->opt_name[i], "db") || !strcmp(a->opt_name[i], "help")) continue;
        int ok = 0;
        for (const char *const *k = known; k && *k; k++)
            if (!strcmp(*k, a->opt_name[i])) ok = 1;
        if (!ok)
            return cpe_cli_fail(a, 2, "unknown option '--%s' (see 'cpe %s --help')", a->opt_name[i],
                                a->cmd);
    }
    return 0;
}
