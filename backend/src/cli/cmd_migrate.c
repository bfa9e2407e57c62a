/* cmd_migrate.c — `cpe migrate`: bring the store's schema to this build's version, and
 * optionally copy another store into it, printing counts and checksums of both sides. */
#include "cli/cli.h"
#include "cpe/store_copy.h"

#include <stdio.h>

/* One line per category; returns the number of categories that differ. */
static int print_sums(const cpe_store_sums_t *a, const cpe_store_sums_t *b)
{
    int bad = 0;
    printf("%-12s %12s %10s %12s %10s\n", "what", "source rows", "crc32", "target rows", "crc32");
    for (int i = 0; i < CPE_SUM_COUNT; i++) {
        int same = a->s[i].rows == b->s[i].rows && a->s[i].crc == b->s[i].crc;
        bad += !same;
        printf("%-12s %12lld   %08x %12lld   %08x  %s\n", cpe_store_sum_names[i],
               (long long)a->s[i].rows, (unsigned)a->s[i].crc, (long long)b->s[i].rows,
               (unsigned)b->s[i].crc, same ? "same" : "DIFFERENT");
    }
    return bad;
}

static int copy_from(cpe_args_t *a, const char *from)
{
    cpe_store_t *src = NULL, *dst = NULL;
    cpe_diag_t d = {0};
    cpe_store_sums_t ss, ds;
    int rc = 1;
    if (cpe_store_open(from, &src, &d) || cpe_store_open(a->db, &dst, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    if (cpe_store_copy(src, dst, &d)) {
        rc = cpe_cli_fail(a, 1, "copy from %s: %s", from, d.msg);
        goto out;
    }
    if (cpe_store_checksum(src, &ss)) {
        rc = cpe_cli_fail(a, 1, "%s: %s", from, src->diag.msg);
        goto out;
    }
    if (cpe_store_checksum(dst, &ds)) {
        rc = cpe_cli_fail(a, 1, "%s: %s", a->db, dst->diag.msg);
        goto out;
    }
    printf("copied %s (%s) into %s (%s)\n", from, src->ops->name, a->db, dst->ops->name);
    int bad = print_sums(&ss, &ds);
    rc = bad ? cpe_cli_fail(a, 1, "%d categories differ between source and target", bad) : 0;
out:
    cpe_store_close(src);
    cpe_store_close(dst);
    return rc;
}

static int run_migrate(cpe_args_t *a)
{
    static const char *const known[] = {"copy-from", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    int from = 0, to = 0;
    cpe_diag_t d = {0};
    if (cpe_store_migrate(a->db, &from, &to, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    if (from == to)
        printf("schema version %d: up to date\n", to);
    else
        printf("schema version %d -> %d: applied %d migration(s)\n", from, to, to - from);
    const char *src = cpe_arg_str(a, "copy-from");
    return src ? copy_from(a, src) : 0;
}

const cpe_command_t cpe_cmddef_migrate = {
    "migrate", "bring the store's schema up to date; copy another store into it",
    "usage: cpe migrate [--db URL] [--copy-from URL]\n\n"
    "Applies the schema migrations the store (--db, e.g. postgres://cpe@127.0.0.1:5432/cpe)\n"
    "is missing, in order, and records them in its schema_version table; running it again\n"
    "applies nothing. A PostgreSQL store must be migrated before other commands use it;\n"
    "SQLite stores create their schema when opened.\n\n"
    "--copy-from URL (e.g. sqlite:data/cpe.db) then copies every series, kline, point,\n"
    "prediction (with its model version and explanation), meta row and saved backtest run\n"
    "(GET /backtests) of that store into\n"
    "--db in one transaction, and prints row counts and CRC-32 checksums of both stores\n"
    "per category; exit code 1 if any differ (copy into an empty store to compare).",
    run_migrate};
