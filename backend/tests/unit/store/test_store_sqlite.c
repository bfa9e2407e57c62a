/* test_store_sqlite.c — opening a SQLite store (store_sqlite.c): a connection opens at once
 * while another holds the write lock (the schema is not written again), and each connection
 * gets the memory settings of cpe/store.h (a 1 GiB map, a 64 MiB page cache; CPE_STORE_MMAP_MB
 * and CPE_STORE_CACHE_MB change them, as cpe serve does). */
#include "cpe/store.h"
#include "store/sqlite_int.h"
#include "test.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>

static int64_t pragma(cpe_store_t *s, const char *name)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA %s", name);
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(cpe_sq_db(s), sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_store_opens_while_another_connection_writes(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/locked.db", test_tmpdir());
    cpe_store_t *a = NULL, *b = NULL;
    CHECK_EQ_INT(cpe_store_open(path, &a, NULL), 0); /* a new file: the schema is made */
    if (!a) return;
    CHECK_EQ_INT(a->ops->begin(a), 0); /* the write lock, held */
    CHECK_EQ_INT(a->ops->set_meta(a, "k", "v"), 0);
    cpe_diag_t d = {0};
    /* before: the schema's DDL waited the 10 s busy timeout, then failed "database is locked" */
    CHECK_MSG(cpe_store_open(path, &b, &d) == 0, "open under a held write lock: %s", d.msg);
    CHECK_EQ_INT(a->ops->rollback(a), 0);
    cpe_store_close(b);
    cpe_store_close(a);
}

static void test_store_connection_memory_settings(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/mem.db", test_tmpdir());
    cpe_store_t *s = NULL;
    unsetenv("CPE_STORE_MMAP_MB");
    unsetenv("CPE_STORE_CACHE_MB");
    CHECK_EQ_INT(cpe_store_open(path, &s, NULL), 0);
    if (!s) return;
    CHECK(pragma(s, "mmap_size") == 1 << 30);
    CHECK(pragma(s, "cache_size") == -64 * 1024); /* KiB */
    cpe_store_close(s);
    setenv("CPE_STORE_MMAP_MB", "0", 1); /* cpe serve's */
    setenv("CPE_STORE_CACHE_MB", "16", 1);
    CHECK_EQ_INT(cpe_store_open(path, &s, NULL), 0);
    if (!s) return;
    CHECK(pragma(s, "mmap_size") == 0);
    CHECK(pragma(s, "cache_size") == -16 * 1024);
    cpe_store_close(s);
    setenv("CPE_STORE_MMAP_MB", "lots", 1); /* not a number: the default */
    CHECK_EQ_INT(cpe_store_open(path, &s, NULL), 0);
    if (!s) return;
    CHECK(pragma(s, "mmap_size") == 1 << 30);
    cpe_store_close(s);
    unsetenv("CPE_STORE_MMAP_MB");
    unsetenv("CPE_STORE_CACHE_MB");
}

int main(void)
{
    RUN(test_store_opens_while_another_connection_writes);
    RUN(test_store_connection_memory_settings);
    return TEST_DONE();
}
