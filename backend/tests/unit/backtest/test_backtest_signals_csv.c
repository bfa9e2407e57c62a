/* test_backtest_signals_csv.c — the --signals CSV reader: a good file (any column order,
 * ISO or ms times) and every bad input, each message naming the file, line and column. */
#include "cpe/backtest.h"
#include "test.h"

static const char *write_file(const char *name, const char *text)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_reads_columns_in_any_order(void)
{
    const char *p = write_file("ok.csv", "signal,close,ts,open,low,high,extra\n"
                                         "1,101,2024-01-01T00:00:00Z,100,99,102,x\n"
                                         "-1,102,1704067260000,101,100,103,y\n"
                                         "0,103,1704067320000,102,101,104,z\n");
    cpe_bt_signals_t s;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_bt_signals_read(p, &s, &d), 0);
    CHECK_EQ_INT(s.n, 3);
    CHECK_EQ_INT(s.ts_ms[0], 1704067200000LL);
    CHECK_EQ_INT(s.bars.bar_ms, 60000);
    CHECK_NEAR(s.high[1], 103, 0);
    CHECK_EQ_INT(s.signal[1], -1);
    cpe_bt_signals_free(&s);
}

static void test_bad_inputs_name_file_line_column(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"ts,open,high,low,close\n1,1,1,1,1\n", ":1: column 'signal' is missing"},
        {"ts,open,high,low,close,signal\n1,1,1,1,1,0\n2,1,1,x1,1,0\n",
         ":3: column 'low' (x1) is not a number"},
        {"ts,open,high,low,close,signal\n1,1,1,1,1,0\n2,1,1,1,0,0\n",
         ":3: column 'close' (0) is not a positive price"},
        {"ts,open,high,low,close,signal\n1,1,1,1,1,0\n2,-1,1,1,1,0\n",
         ":3: column 'open' (-1) is not a positive price"},
        {"ts,open,high,low,close,signal\n5,1,1,1,1,0\n4,1,1,1,1,0\n",
         ":3: column 'ts' (4) is earlier than the one on line 2"},
        {"ts,open,high,low,close,signal\n5,1,1,1,1,0\n5,1,1,1,1,0\n",
         ":3: column 'ts' (5) is a duplicate of the one on line 2"},
        {"ts,open,high,low,close,signal\n1,1,1,1,1,0\n2,1,1,1,1,2\n",
         ":3: column 'signal' (2) is not -1, 0 or 1"},
        {"ts,open,high,low,close,signal\n1,1,1,1,1,0\nyesterday,1,1,1,1,0\n",
         ":3: column 'ts' (yesterday) is not a timestamp"},
        {"ts,open,high,low,close,signal\n1,1,1,1,1,0\n2,1,1,1\n",
         ":3: column 'close' (field 5) is missing"},
        {"ts,open,high,low,close,signal\n1,1,1,2,1,0\n",
         ":2: column 'high' (1) is below column 'low' (2)"},
        {"ts,open,high,low,close,signal\n1,1,1,1,1,0\n",
         ":2: 1 data rows; a backtest needs at least 2"},
        {"ts,open,high,low,close,signal\n", "0 data rows"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.csv", i);
        const char *p = write_file(name, cases[i].text);
        cpe_bt_signals_t s;
        cpe_diag_t d = {0};
        CHECK(cpe_bt_signals_read(p, &s, &d) < 0);
        CHECK_MSG(strstr(d.msg, cases[i].want) && strstr(d.msg, name), "case %zu: %s", i, d.msg);
        CHECK(s.ts_ms == NULL);
    }
}

int main(void)
{
    RUN(test_reads_columns_in_any_order);
    RUN(test_bad_inputs_name_file_line_column);
    return TEST_DONE();
}
