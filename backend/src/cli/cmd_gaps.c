/* cmd_gaps.c — `cpe gaps`: the missing bars of one series (cpe_store_gaps). */
#include "cli/cli.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int run_gaps(cpe_args_t *a)
{
    static const char *const known[] = {"instrument", "kind", "from", "to", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    const char *instr = cpe_arg_str(a, "instrument"), *kind = cpe_arg_str(a, "kind");
    if (!instr || !kind) return cpe_cli_fail(a, 2, "--instrument KEY and --kind KIND are required");
    long long from, to;
    if ((rc = cpe_arg_time(a, "from", INT64_MIN, &from)) ||
        (rc = cpe_arg_time(a, "to", INT64_MAX, &to)))
        return rc;
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(a->db, &s, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    int64_t id;
    cpe_gap_t *g = NULL;
    size_t ng = 0;
    if (s->ops->series_id(s, instr, kind, 0, 0, 0, &id) ||
        cpe_store_gaps(s, id, 0, from, to, &g, &ng)) {
        rc = cpe_cli_fail(a, 1, "%s", s->diag.msg);
        goto out;
    }
    long long miss = 0;
    for (size_t i = 0; i < ng; i++) {
        char f[32], t[32];
        cpe_format_iso8601(g[i].from_ms, f);
        cpe_format_iso8601(g[i].to_ms, t);
        printf("%s .. %s  %lld missing\n", f, t, (long long)g[i].missing);
        miss += g[i].missing;
    }
    printf("%s %s: %zu gap(s), %lld missing bar(s)\n", instr, kind, ng, miss);
out:
    free(g);
    cpe_store_close(s);
    return rc;
}

const cpe_command_t cpe_cmddef_gaps = {
    "gaps", "report the missing bars of a series",
    "usage: cpe gaps --instrument KEY --kind KIND [--from TIME] [--to TIME] [--db PATH]\n\n"
    "e.g. cpe gaps --instrument EXCHANGE:spot:SYM --kind kline:1m --from 2024-01-01\n"
    "Without --from/--to the report spans the series' first to last bar; with them, missing\n"
    "bars at the edges of [from, to) count too. One line per run of missing bars.",
    run_gaps};
