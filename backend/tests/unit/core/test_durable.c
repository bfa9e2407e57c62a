/* Unit tests for the durable write helpers: a power cut cannot be simulated here, so these
 * check the contract a caller relies on (the rename happens, errors are reported, nothing is
 * renamed when the source is missing). */
#include "cpe/durable.h"
#include "cpe/error.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void test_durable_rename_file_and_dir(void)
{
    char root[] = "/tmp/cpe-durable-XXXXXX", a[256], b[256], d1[256], d2[256], in[300];
    CHECK(mkdtemp(root) != NULL);
    snprintf(a, sizeof a, "%s/a.tmp", root);
    snprintf(b, sizeof b, "%s/a", root);
    write_file(a, "hello");
    CHECK_EQ_INT(cpe_rename_durable(a, b), 0);
    struct stat st;
    CHECK(stat(b, &st) == 0 && st.st_size == 5);
    CHECK(stat(a, &st) != 0);
    /* a directory of files: sync them, then rename the directory */
    snprintf(d1, sizeof d1, "%s/.tmp-v1", root);
    snprintf(d2, sizeof d2, "%s/v1", root);
    CHECK(mkdir(d1, 0755) == 0);
    snprintf(in, sizeof in, "%s/x.json", d1);
    write_file(in, "{}");
    CHECK_EQ_INT(cpe_fsync_dir_files(d1), 0);
    CHECK_EQ_INT(cpe_rename_durable(d1, d2), 0);
    snprintf(in, sizeof in, "%s/x.json", d2);
    CHECK(stat(in, &st) == 0 && st.st_size == 2);
    unlink(in);
    rmdir(d2);
    unlink(b);
    rmdir(root);
}

/* A whole file replaced in one step; a directory that is not there fails and leaves no
 * temporary behind. */
static void test_durable_write_file_replaces_the_whole_file(void)
{
    char root[] = "/tmp/cpe-durable-XXXXXX", p[256], tmp[300], bad[300];
    CHECK(mkdtemp(root) != NULL);
    snprintf(p, sizeof p, "%s/state.json", root);
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    CHECK_EQ_INT(cpe_write_file_durable(p, "{\"a\":1234}", 10), 0);
    CHECK_EQ_INT(cpe_write_file_durable(p, "{}", 2), 0);
    struct stat st;
    CHECK(stat(p, &st) == 0 && st.st_size == 2);
    CHECK(stat(tmp, &st) != 0);
    snprintf(bad, sizeof bad, "%s/no-such-dir/state.json", root);
    CHECK_EQ_INT(cpe_write_file_durable(bad, "{}", 2), CPE_EIO);
    unlink(p);
    rmdir(root);
}

static void test_durable_missing_source_fails_and_renames_nothing(void)
{
    CHECK_EQ_INT(cpe_rename_durable("/tmp/cpe-durable-no-such-file", "/tmp/cpe-durable-dst"),
                 CPE_EIO);
    struct stat st;
    CHECK(stat("/tmp/cpe-durable-dst", &st) != 0);
    CHECK_EQ_INT(cpe_fsync_dir_files("/tmp/cpe-durable-no-such-dir"), CPE_EIO);
    CHECK_EQ_INT(cpe_rename_durable("x", "plain-name-without-dir"), CPE_EIO);
}

int main(void)
{
    RUN(test_durable_rename_file_and_dir);
    RUN(test_durable_missing_source_fails_and_renames_nothing);
    RUN(test_durable_write_file_replaces_the_whole_file);
    return TEST_DONE();
}
