/* test_csvfile.c — the CSV reader over plain, gzip and zip input. */
#include "cpe/csvfile.h"
#include "fixtures.h"

static int count_records(const char *path, const cpe_csv_opts_t *o, int *rc_out)
{
    cpe_csv_t c;
    cpe_diag_t d = {0};
    int n = 0, rc = cpe_csv_open(&c, path, o, &d);
    if (rc == 0)
        while ((rc = cpe_csv_next(&c, &d)) == 1)
            n++;
    cpe_csv_close(&c);
    *rc_out = rc;
    return n;
}

static void test_csv_splits_fields_in_place_with_line_numbers(void)
{
    const char *p = fx_write("plain.csv", "\xEF\xBB\xBFts,a,b\r\n1,2.5,x\r\n\n3,,\n4,5,6");
    cpe_csv_t c;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_csv_open(&c, p, NULL, &d), 0);
    CHECK_EQ_INT(c.format, CPE_CSV_PLAIN);
    CHECK_EQ_INT(cpe_csv_next(&c, &d), 1);
    CHECK(cpe_csv_field_is(&c, 0, "ts"));
    CHECK(cpe_csv_field_is(&c, 2, "b")); /* \r stripped */
    CHECK_EQ_INT(cpe_csv_next(&c, &d), 1);
    CHECK_EQ_INT(c.line, 2);
    CHECK(cpe_csv_field_is(&c, 1, "2.5"));
    CHECK_EQ_INT(cpe_csv_next(&c, &d), 1);
    CHECK_EQ_INT(c.line, 4); /* the empty line 3 is skipped but counted */
    CHECK_EQ_INT(c.nf, 3);
    CHECK_EQ_INT(c.f[1].n, 0);
    CHECK_EQ_INT(c.f[2].n, 0);
    CHECK_EQ_INT(cpe_csv_next(&c, &d), 1); /* last line without newline */
    CHECK(cpe_csv_field_is(&c, 2, "6"));
    CHECK_EQ_INT(cpe_csv_next(&c, &d), 0);
    cpe_csv_close(&c);
    cpe_csv_close(&c); /* closing twice is a no-op */
}

static void test_csv_quoted_fields_hold_delims_newlines_and_quotes(void)
{
    const char *p =
        fx_write("quoted.csv", "a,\"b,c\",\"say \"\"hi\"\"\"\n\"multi\nline\",2,3\nlast,1,2\n");
    cpe_csv_t c;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_csv_open(&c, p, NULL, &d), 0);
    CHECK_EQ_INT(cpe_csv_next(&c, &d), 1);
    CHECK_EQ_INT(c.nf, 3);
    CHECK(cpe_csv_field_is(&c, 1, "b,c"));
    CHECK(cpe_csv_field_is(&c, 2, "say \"hi\""));
    CHECK_EQ_INT(cpe_csv_next(&c, &d), 1);
    CHECK(cpe_csv_field_is(&c, 0, "multi\nline"));
    CHECK_EQ_INT(c.line, 2);
    CHECK_EQ_INT(cpe_csv_next(&c, &d), 1);
    CHECK_EQ_INT(c.line, 4);
    CHECK(cpe_csv_field_is(&c, 0, "last"));
    cpe_csv_close(&c);
    p = fx_write("unterminated.csv", "a,\"open\n");
    int rc;
    count_records(p, NULL, &rc);
    CHECK_EQ_INT(rc, CPE_EPARSE);
}

/* Many lines of varying length so that records straddle every buffer refill. */
static char *big_text(int lines)
{
    size_t cap = (size_t)lines * 48 + 1;
    char *t = malloc(cap), *w = t;
    for (int i = 0; i < lines; i++)
        w += sprintf(w, "%d,%d.%d,%.*s\n", i, i * 7, i % 13, i % 17, "xxxxxxxxxxxxxxxxx");
    return t;
}

static void test_csv_gzip_and_zip_read_the_same_records_as_plain(void)
{
    char *t = big_text(120000);
    const char *files[4] = {fx_write("big.csv", t), fx_write_gz("big.csv.gz", t, 0),
                            fx_write_zip("big.zip", "big.csv", t, 0, 0, 0),
                            fx_write_zip("bigstored.zip", "big.csv", t, 1, 0, 0)};
    for (int k = 0; k < 4; k++) {
        cpe_csv_t c;
        cpe_diag_t d = {0};
        CHECK_EQ_INT(cpe_csv_open(&c, files[k], NULL, &d), 0);
        int n = 0, rc, ok = 1;
        while ((rc = cpe_csv_next(&c, &d)) == 1) {
            char want[32];
            int len = sprintf(want, "%d", n);
            if (c.nf != 3 || c.f[0].n != (size_t)len || memcmp(c.f[0].p, want, (size_t)len) ||
                c.f[2].n != (size_t)(n % 17))
                ok = 0;
            n++;
        }
        CHECK_MSG(rc == 0, "%s: %s", files[k], d.msg);
        CHECK_EQ_INT(n, 120000);
        CHECK(ok);
        uint64_t done, total;
        cpe_csv_progress(&c, &done, &total);
        CHECK(total > 0 && done <= total);
        cpe_csv_close(&c);
    }
    free(t);
}

static void test_csv_truncated_gzip_is_reported(void)
{
    char *t = big_text(20000);
    const char *p = fx_write_gz("cut.csv.gz", t, 0);
    struct stat st;
    stat(p, &st);
    p = fx_write_gz("cut.csv.gz", t, (long)st.st_size / 2);
    int rc;
    count_records(p, NULL, &rc);
    CHECK_EQ_INT(rc, CPE_ETRUNCATED);
    /* only the 8-byte trailer missing */
    p = fx_write_gz("cut2.csv.gz", t, (long)st.st_size - 4);
    count_records(p, NULL, &rc);
    CHECK_EQ_INT(rc, CPE_ETRUNCATED);
    free(t);
    /* big enough for the inflate thread: the error crosses the thread, after the rows */
    t = big_text(300000);
    p = fx_write_gz("cutbig.csv.gz", t, 0);
    stat(p, &st);
    CHECK(st.st_size >= 256 * 1024);
    p = fx_write_gz("cutbig.csv.gz", t, (long)st.st_size * 2 / 3);
    int n = count_records(p, NULL, &rc);
    CHECK_EQ_INT(rc, CPE_ETRUNCATED);
    CHECK(n > 1000 && n < 300000);
    free(t);
}

static void test_csv_truncated_or_damaged_zip_is_reported_before_reading(void)
{
    char *t = big_text(20000);
    const char *p = fx_write_zip("cut.zip", "cut.csv", t, 0, 0, 0);
    struct stat st;
    stat(p, &st);
    p = fx_write_zip("cut.zip", "cut.csv", t, 0, (long)st.st_size - 30, 0);
    cpe_csv_t c;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_csv_open(&c, p, NULL, &d), CPE_ETRUNCATED);
    CHECK(strstr(d.msg, "truncated") != NULL);
    p = fx_write_zip("cut3.zip", "cut.csv", t, 0, (long)st.st_size / 3, 0);
    CHECK_EQ_INT(cpe_csv_open(&c, p, NULL, &d), CPE_ETRUNCATED);
    p = fx_write_zip("crc.zip", "crc.csv", t, 0, 0, 1);
    int rc;
    count_records(p, NULL, &rc);
    CHECK_EQ_INT(rc, CPE_ETRUNCATED);
    free(t);
    t = big_text(300000); /* the threaded path checks the CRC too */
    p = fx_write_zip("crcbig.zip", "crc.csv", t, 0, 0, 1);
    stat(p, &st);
    CHECK(st.st_size >= 256 * 1024);
    count_records(p, NULL, &rc);
    CHECK_EQ_INT(rc, CPE_ETRUNCATED);
    free(t);
}

static void test_csv_line_longer_than_cap_is_toobig(void)
{
    char *t = malloc(5000);
    memset(t, 'a', 4999);
    t[4999] = 0;
    const char *p = fx_write("long.csv", t);
    cpe_csv_opts_t o = {.max_line = 1000};
    int rc;
    count_records(p, &o, &rc);
    CHECK_EQ_INT(rc, CPE_ETOOBIG);
    free(t);
    cpe_csv_t c;
    CHECK_EQ_INT(cpe_csv_open(&c, fx_path("missing.csv"), NULL, NULL), CPE_EIO);
}

static void test_csv_reads_a_real_month_of_gzip_klines(void)
{
    const char *dir = test_shared_dir();
    if (!dir) SKIP("CPE_SHARED/data/real is absent");
    char p[1200];
    snprintf(p, sizeof p, "%s/binance-spot_BTCUSDT_klines_1m_2024-02-01_2024-02-29.csv.gz", dir);
    int rc;
    int n = count_records(p, NULL, &rc);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(n, 41760 + 1);
}

int main(void)
{
    RUN(test_csv_splits_fields_in_place_with_line_numbers);
    RUN(test_csv_quoted_fields_hold_delims_newlines_and_quotes);
    RUN(test_csv_gzip_and_zip_read_the_same_records_as_plain);
    RUN(test_csv_truncated_gzip_is_reported);
    RUN(test_csv_truncated_or_damaged_zip_is_reported_before_reading);
    RUN(test_csv_line_longer_than_cap_is_toobig);
    RUN(test_csv_reads_a_real_month_of_gzip_klines);
    return TEST_DONE();
}
