/* fuzz_store_import.c — libFuzzer harness: the file importer (store/csvfile.c and
 * store/import_*.c) over every format it detects.
 *
 * Input: one control byte, then the file's bytes. The control byte picks the file name
 * from names[] (each format the importer recognises by name: data.binance.vision klines,
 * aggTrades, trades, fundingRate, premiumIndexKlines, metrics, bookDepth,
 * liquidationSnapshot; the shared/data/real names; a ts,value --series file) and whether
 * the name ends in .csv, .csv.gz or .zip. The bytes are written to that file and imported
 * into an in-memory store (a new one every STORE_RUNS inputs). The reader picks plain text, gzip or
 * zip from the first bytes, so the seeds (fuzz/corpus/store_import) hold each of the three.
 * Checked: an error comes with a message; a successful import's span is ordered.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "cpe/import.h"
#include "cpe/store.h"

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
    "spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01",
    "futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-01",
    "spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01",
    "futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01",
    "futures/um/daily/premiumIndexKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01",
    "futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2024-01-01",
    "futures/um/daily/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2024-01-01",
    "futures/um/daily/liquidationSnapshot/BTCUSDT/BTCUSDT-liquidationSnapshot-2024-01-01",
    "binance-spot_BTCUSDT_klines_1m_2024-01-01_2024-01-31",
    "binance-usdm_BTCUSDT_ohlcv_1h_2023-01-01_2025-08-31",
    "binance-usdm_BTCUSDT_fundingRate_8h_2023-01-01_2025-08-31",
    "alternative-me_CRYPTO_fearGreedIndex_1d_2018-02-01_2025-08-31",
    "newhedge_BTC_futuresOpenInterestUSD_1d_2020-08-01_2025-08-31",
    "binance-usdm_ALL_liquidationEvents_stream_2024-08-17_2024-08-17",
    "binance-usdm_MULTI_aggTradesLargeOnly_stream_2024-08-15_2024-08-16",
    "series", /* imported with --series BTC:fuzz */
};
#define NNAMES (sizeof names / sizeof names[0])
static const char *const exts[] = {".csv", ".csv.gz", ".zip", ".csv"};

#define STORE_RUNS 500
static char root[256];

/* Every directory of path (a file name), root included: a cleaner of /tmp may remove it. */
static int make_dirs(char *path)
{
    for (char *p = path + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        int rc = mkdir(path, 0700) && errno != EEXIST;
        *p = '/';
        if (rc) return -1;
    }
    return 0;
}

static int remove_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void remove_root(void) /* at exit: the folders made under TMPDIR */
{
    nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 256 * 1024) return 0;
    if (!root[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(root, sizeof root, "%s/cpefuzz-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(root)) abort();
        atexit(remove_root);
    }
    unsigned ctl = data[0];
    const char *name = names[ctl % NNAMES];
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", root, name, exts[(ctl / NNAMES) % 4]);
    if (make_dirs(path)) {
        perror(path);
        abort();
    }
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) abort();
    fclose(f);

    /* A fresh in-memory store every STORE_RUNS inputs: opening one (the schema) costs more
     * than most imports, and a store that already holds rows exercises the duplicate and
     * update paths too. */
    static cpe_store_t *st;
    static int runs;
    cpe_diag_t d = {0};
    if (st && ++runs % STORE_RUNS == 0) {
        cpe_store_close(st);
        st = NULL;
    }
    if (!st && cpe_store_open(":memory:", &st, &d)) abort();
    cpe_import_opts_t o;
    cpe_import_opts_init(&o);
    if (!strcmp(name, "series")) o.series = "BTC:fuzz";
    cpe_import_stats_t s;
    memset(&s, 0, sizeof s);
    int rc = cpe_import_file(st, path, &o, &s, &d);
    if (rc && !d.msg[0]) {
        fprintf(stderr, "import returned %s without a message\n", cpe_err_name(rc));
        abort();
    }
    if (!rc && (s.inserted < 0 || (s.rows > 0 && s.first_ts > s.last_ts))) abort();
    unlink(path);
    return 0;
}
