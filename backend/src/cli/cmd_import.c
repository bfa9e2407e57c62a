/* cmd_import.c — `cpe import FILE|DIR...`: Binance dumps and named series into the store,
 * one transaction per file, a progress bar on a TTY and a per-file summary (cpe/import.h). */
#include "cli/cli.h"
#include "cpe/import.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct progress {
    int tty;
    size_t file_no, nfiles;
} progress_t;

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static void show_progress(void *ctx, const char *path, uint64_t done, uint64_t total)
{
    progress_t *pr = ctx;
    if (!pr->tty || total == 0) return;
    int pct = (int)(done * 100 / total), w = pct * 30 / 100;
    fprintf(stderr, "\r[%.*s%*s] %3d%% %zu/%zu %-60.60s", w, "##############################",
            30 - w, "", pct, pr->file_no, pr->nfiles, base_name(path));
    fflush(stderr);
}

static void clear_progress(const progress_t *pr)
{
    if (pr->tty) fprintf(stderr, "\r%*s\r", 110, "");
}

static int collect(cpe_args_t *a, char ***files, size_t *n)
{
    *files = NULL;
    *n = 0;
    for (int i = 0; i < a->npos; i++) {
        struct stat st;
        if (stat(a->pos[i], &st) != 0) {
            cpe_import_free_list(*files, *n);
            return cpe_cli_fail(a, 1, "%s: no such file or directory", a->pos[i]);
        }
        char **list = NULL;
        size_t nl = 0;
        if (S_ISDIR(st.st_mode)) {
            cpe_diag_t d = {0};
            if (cpe_import_list_dir(a->pos[i], &list, &nl, &d)) {
                cpe_import_free_list(*files, *n);
                return cpe_cli_fail(a, 1, "%s", d.msg);
            }
        } else {
            list = malloc(sizeof *list);
            if (list && (list[0] = strdup(a->pos[i]))) nl = 1;
        }
        char **all = realloc(*files, (*n + nl + 1) * sizeof *all);
        if (!all || (!S_ISDIR(st.st_mode) && nl == 0)) {
            cpe_import_free_list(list, nl);
            free(all ? all : *files);
            *files = NULL;
            *n = 0;
            return cpe_cli_fail(a, 1, "out of memory");
        }
        memcpy(all + *n, list, nl * sizeof *list);
        free(list);
        *files = all;
        *n += nl;
    }
    return 0;
}

static int run_import(cpe_args_t *a)
{
    static const char *const known[] = {"series", "market", "symbol", "exchange", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    if (a->npos == 0) return cpe_cli_fail(a, 2, "no files given (see 'cpe import --help')");
    cpe_import_opts_t o;
    cpe_import_opts_init(&o);
    o.series = cpe_arg_str(a, "series");
    o.symbol = cpe_arg_str(a, "symbol");
    o.exchange = cpe_arg_str(a, "exchange");
    const char *m = cpe_arg_str(a, "market");
    if (m && !strcmp(m, "spot"))
        o.market = CPE_SPOT;
    else if (m && !strcmp(m, "perp"))
        o.market = CPE_PERP;
    else if (m)
        return cpe_cli_fail(a, 2, "option '--market' (%s) must be spot or perp", m);
    char **files;
    size_t nfiles;
    if ((rc = collect(a, &files, &nfiles))) return rc;
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(a->db, &s, &d)) {
        cpe_import_free_list(files, nfiles);
        return cpe_cli_fail(a, 1, "%s", d.msg);
    }
    progress_t pr = {isatty(2), 0, nfiles};
    o.progress = show_progress;
    o.progress_ctx = &pr;
    size_t failed = 0;
    cpe_import_stats_t tot = {0};
    printf("%-62s %-18s %-26s %-10s %9s %9s %9s %5s %5s\n", "file", "format", "instrument", "kind",
           "rows", "new", "dup", "ooo", "gaps");
    int64_t t0 = cpe_mono_ns();
    for (size_t i = 0; i < nfiles; i++) {
        cpe_import_stats_t st;
        pr.file_no = i + 1;
        cpe_diag_clear(&d);
        int r = cpe_import_file(s, files[i], &o, &st, &d);
        clear_progress(&pr);
        if (r) {
            failed++;
            fprintf(stderr, "cpe import: %s\n", d.msg);
            continue;
        }
        char instr[CPE_INSTR_KEY_MAX];
        if (st.nseries > 1)
            snprintf(instr, sizeof instr, "(%d series)", st.nseries);
        else
            snprintf(instr, sizeof instr, "%s", st.instrument);
        printf("%-62.62s %-18s %-26s %-10s %9lld %9lld %9lld %5lld %5lld\n", base_name(files[i]),
               st.format, instr, st.nseries > 1 ? "" : st.kind, (long long)st.rows,
               (long long)st.inserted, (long long)st.duplicates, (long long)st.out_of_order,
               (long long)st.gaps);
        tot.rows += st.rows;
        tot.inserted += st.inserted;
        tot.updated += st.updated;
        tot.duplicates += st.duplicates;
        tot.out_of_order += st.out_of_order;
        tot.missing += st.missing;
    }
    double sec = (double)(cpe_mono_ns() - t0) / 1e9;
    printf("%zu file(s) imported, %zu failed: %lld rows, %lld new, %lld updated, %lld duplicates, "
           "%lld out of order, %lld missing bars; %.2f s\n",
           nfiles - failed, failed, (long long)tot.rows, (long long)tot.inserted,
           (long long)tot.updated, (long long)tot.duplicates, (long long)tot.out_of_order,
           (long long)tot.missing, sec);
    cpe_store_close(s);
    cpe_import_free_list(files, nfiles);
    return failed ? 1 : 0;
}

const cpe_command_t cpe_cmddef_import = {
    "import", "import Binance data dumps and named series into the store",
    "usage: cpe import FILE|DIR... [--series NAME] [--market spot|perp] [--symbol SYM]\n"
    "                  [--exchange NAME] [--db PATH]\n\n"
    "Reads .csv, .csv.gz and .zip files (directories recursively): Binance klines, aggTrades,\n"
    "trades, fundingRate, premiumIndexKlines, metrics, bookDepth, liquidationSnapshot, and\n"
    "the files of shared/data/real. Kind, symbol and interval come from the file name and\n"
    "header; --series NAME (\"ASSET:name\") reads a ts,value file as a named series.\n"
    "Each file is one transaction: a bad row (FILE:LINE: field 'X' (value) ...) rolls that\n"
    "file back and the exit code is 1. Re-importing a file adds nothing (duplicates).",
    run_import};
