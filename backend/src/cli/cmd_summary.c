/* cmd_summary.c — `cpe summary`: one line per stored series. */
#include "cli/cli.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>

static int run_summary(cpe_args_t *a)
{
    int rc = cpe_args_check(a, NULL);
    if (rc) return rc;
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(a->db, &s, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    cpe_series_info_t *v = NULL;
    size_t n = 0;
    if (s->ops->list_series(s, &v, &n)) {
        rc = cpe_cli_fail(a, 1, "%s", s->diag.msg);
        goto out;
    }
    printf("%-36s %-32s %9s %-24s %-24s %7s %s\n", "instrument", "kind", "count", "first", "last",
           "gaps", "simulated");
    for (size_t i = 0; i < n; i++) {
        char first[32] = "-", last[32] = "-", gaps[24] = "-";
        if (v[i].count > 0) {
            cpe_format_iso8601(v[i].first_ts, first);
            cpe_format_iso8601(v[i].last_ts, last);
        }
        if (v[i].interval_ms > 0 && v[i].count > 0) {
            cpe_gap_t *g = NULL;
            size_t ng = 0;
            if (cpe_store_gaps(s, v[i].id, 0, INT64_MIN, INT64_MAX, &g, &ng) == 0) {
                long long miss = 0;
                for (size_t j = 0; j < ng; j++)
                    miss += g[j].missing;
                snprintf(gaps, sizeof gaps, "%lld", miss);
            }
            free(g);
        }
        printf("%-36s %-32s %9lld %-24s %-24s %7s %s\n", v[i].instrument, v[i].kind,
               (long long)v[i].count, first, last, gaps, v[i].simulated ? "yes" : "no");
    }
    if (n == 0) printf("(the store %s is empty)\n", a->db);
out:
    free(v);
    cpe_store_close(s);
    return rc;
}

const cpe_command_t cpe_cmddef_summary = {
    "summary", "list the stored series: count, first, last, missing bars, simulated",
    "usage: cpe summary [--db PATH]\n\n"
    "One line per series. 'gaps' is the number of missing bars on the series' interval grid\n"
    "between its first and last row ('-' for event streams without an interval).",
    run_summary};
