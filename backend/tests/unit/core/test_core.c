/* Unit tests for core: errors, time parsing/formatting, number parsing/printing, JSON writer. */
#include "cpe/buf.h"
#include "cpe/error.h"
#include "cpe/json.h"
#include "cpe/num.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"
#include "test.h"

static void test_strerror_names_every_code(void)
{
    CHECK_STR(cpe_strerror(CPE_ENOMEM), "out of memory");
    CHECK_STR(cpe_err_name(CPE_EPARSE), "CPE_EPARSE");
    CHECK_STR(cpe_strerror(12345), "unknown error");
    cpe_diag_t d;
    CHECK_EQ_INT(cpe_diag_set(&d, CPE_EPARSE, "f.csv:%d: bad", 3), CPE_EPARSE);
    cpe_diag_prefix(&d, "import: ");
    CHECK_STR(d.msg, "import: f.csv:3: bad");
}

static void test_iso8601_parses_every_layout(void)
{
    int64_t t;
    CHECK_EQ_INT(cpe_parse_iso8601("2024-01-01", -1, &t), 0);
    CHECK_EQ_INT(t, 1704067200000LL);
    CHECK_EQ_INT(cpe_parse_iso8601("2024-01-01T00:01:00Z", -1, &t), 0);
    CHECK_EQ_INT(t, 1704067260000LL);
    CHECK_EQ_INT(cpe_parse_iso8601("2025-08-31T16:00:00.001Z", -1, &t), 0);
    CHECK_EQ_INT(t, 1756656000001LL);
    CHECK_EQ_INT(cpe_parse_iso8601("2024-01-01 01:00:00", -1, &t), 0);
    CHECK_EQ_INT(t, 1704070800000LL);
    CHECK_EQ_INT(cpe_parse_iso8601("2024-01-01T02:00:00+01:00", -1, &t), 0);
    CHECK_EQ_INT(t, 1704070800000LL);
    CHECK(cpe_parse_iso8601("2024-13-01", -1, &t) != 0);
    CHECK(cpe_parse_iso8601("2024-01-01X", -1, &t) != 0);
    char buf[32];
    cpe_format_iso8601(1756656000001LL, buf);
    CHECK_STR(buf, "2025-08-31T16:00:00.001Z");
    cpe_format_iso8601(-1, buf);
    CHECK_STR(buf, "1969-12-31T23:59:59.999Z");
    CHECK_EQ_INT(cpe_parse_time_arg("1704067200000", &t), 0);
    CHECK_EQ_INT(t, 1704067200000LL);
    CHECK_EQ_INT(cpe_parse_time_arg("1704067200000000", &t), 0);
    CHECK_EQ_INT(t, 1704067200000LL);
}

static void test_parse_double_matches_strtod(void)
{
    const char *cases[] = {"42923.7", "0.1",     "-3.25e-5",       "93548.80",
                           "1e22",    "1e23",    "0.000000001234", "123456789012345678901",
                           "5e-324",  "00012.50"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double a, b = strtod(cases[i], NULL);
        CHECK_EQ_INT(cpe_parse_double(cases[i], strlen(cases[i]), &a), 0);
        CHECK_MSG(a == b, "%s: %.17g vs %.17g", cases[i], a, b);
    }
    double v;
    CHECK(cpe_parse_double("1.2.3", 5, &v) != 0);
    CHECK(cpe_parse_double("", 0, &v) != 0);
    CHECK(cpe_parse_double("12a", 3, &v) != 0);
    /* random round trips */
    cpe_rng_t r;
    cpe_rng_seed(&r, 7);
    char buf[64];
    for (int i = 0; i < 20000; i++) {
        double x = (cpe_rng_uniform(&r) - 0.5) * pow(10, (int)(cpe_rng_below(&r, 20)) - 8);
        int n = snprintf(buf, sizeof buf, "%.*g", 1 + (int)cpe_rng_below(&r, 17), x);
        double a, b = strtod(buf, NULL);
        cpe_parse_double(buf, (size_t)n, &a);
        if (a != b) {
            CHECK_MSG(0, "%s parsed as %.17g, strtod %.17g", buf, a, b);
            break;
        }
        n = cpe_fmt_double(buf, x, "");
        cpe_parse_double(buf, (size_t)n, &a);
        if (a != x) {
            CHECK_MSG(0, "fmt %.17g -> %s does not round-trip", x, buf);
            break;
        }
    }
    cpe_fmt_double(buf, 42923.7, "");
    CHECK_STR(buf, "42923.7");
    cpe_fmt_double(buf, NAN, "null");
    CHECK_STR(buf, "null");
}

static void test_json_writer_nests_and_escapes(void)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "a", "x\"y\n");
    cpe_jw_key(&w, "arr");
    double v[] = {1, 0.5, NAN};
    cpe_jw_num_array(&w, v, 3);
    cpe_jw_key(&w, "o");
    cpe_jw_obj(&w);
    cpe_jw_kint(&w, "n", -3);
    cpe_jw_kbool(&w, "t", 1);
    cpe_jw_end(&w);
    cpe_jw_key(&w, "l");
    cpe_jw_arr(&w);
    cpe_jw_obj(&w);
    cpe_jw_end(&w);
    cpe_jw_str(&w, "]");
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    CHECK_EQ_INT(w.err, 0);
    CHECK_STR(b.data, "{\"a\":\"x\\\"y\\n\",\"arr\":[1,0.5,null],\"o\":{\"n\":-3,\"t\":true},"
                      "\"l\":[{},\"]\"]}");
    cpe_buf_free(&b);
}

/* Found by fuzz_api_http: an error that echoes a client's query value with bytes that are
 * not UTF-8 must still be valid JSON: each bad byte becomes U+FFFD, good sequences stay. */
static void test_json_writer_replaces_bad_utf8(void)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 16);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_arr(&w);
    cpe_jw_str(&w, "a\xb0"
                   "b\x1c"); /* lone continuation byte, control char */
    cpe_jw_str(&w, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"); /* é € 😀 kept */
    cpe_jw_str(&w, "\xc0\xaf\xed\xa0\x80\xe2\x82");         /* overlong, surrogate, cut short */
    cpe_jw_end(&w);
    CHECK_EQ_INT(w.err, 0);
    CHECK_STR(b.data, "[\"a\\ufffd"
                      "b\\u001c\",\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
                      "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"]");
    cpe_buf_free(&b);
}

/* Found by fuzz_api_ws_msg: a run of digits too long for 64 bits is refused, not
 * overflowed (it was undefined behaviour, and a wrapped time). */
static void test_time_arg_refuses_too_many_digits(void)
{
    int64_t t = 0;
    CHECK_EQ_INT(cpe_parse_time_arg("999999999999999999", &t), 0); /* 18 digits: µs */
    CHECK(t == 999999999999999LL);
    CHECK(cpe_parse_time_arg("2022222222222222222222", &t) != 0);
    CHECK(cpe_parse_time_arg("-99999999999999999999", &t) != 0);
    CHECK_EQ_INT(cpe_parse_time_arg("1704067200000", &t), 0);
    CHECK(t == 1704067200000LL);
}

/* Found by fuzz_api_json_body: a JSON number past the range of int64 in a request body
 * ("at": 7.7e73) is printed back as text without an out-of-range cast (UB). */
static void test_fmt_double_handles_huge_values(void)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {{7.77777777777777e73, "7.77777777777777e+73"},
                 {-1e300, "-1e+300"},
                 {9.3e18, "9.3e+18"},
                 {42, "42"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        cpe_fmt_double(buf, cases[i].v, "null");
        CHECK_STR(buf, cases[i].text);
    }
}

/* The array printers (space reserved once, repeated values copied) write exactly what
 * cpe_jw_num / cpe_jw_int write one by one; an array too big for the buffer's cap is an
 * error, not a truncated document. */
static void test_json_arrays_match_item_by_item(void)
{
    double v[] = {4236350659.853907, 4236350659.853907, NAN, NAN, 0.1, 0.1, -0.0, 0, 1e300, 0.1};
    int64_t t[] = {1796208600000, -1, 0, INT64_MIN, INT64_MAX};
    cpe_buf_t a, b;
    cpe_buf_init(&a, 1 << 20);
    cpe_buf_init(&b, 1 << 20);
    cpe_jw_t wa, wb;
    cpe_jw_init(&wa, &a);
    cpe_jw_init(&wb, &b);
    cpe_jw_obj(&wa);
    cpe_jw_obj(&wb);
    cpe_jw_key(&wa, "v");
    cpe_jw_num_array(&wa, v, 10);
    cpe_jw_key(&wb, "v");
    cpe_jw_arr(&wb);
    for (int i = 0; i < 10; i++)
        cpe_jw_num(&wb, v[i]);
    cpe_jw_end(&wb);
    cpe_jw_key(&wa, "t");
    cpe_jw_int_array(&wa, t, 5);
    cpe_jw_key(&wb, "t");
    cpe_jw_arr(&wb);
    for (int i = 0; i < 5; i++)
        cpe_jw_int(&wb, t[i]);
    cpe_jw_end(&wb);
    cpe_jw_key(&wa, "e");
    cpe_jw_num_array(&wa, v, 0);
    cpe_jw_key(&wb, "e");
    cpe_jw_arr(&wb);
    cpe_jw_end(&wb);
    cpe_jw_kint(&wa, "after", 1);
    cpe_jw_kint(&wb, "after", 1);
    cpe_jw_end(&wa);
    cpe_jw_end(&wb);
    CHECK_EQ_INT(wa.err, 0);
    CHECK_STR(a.data, b.data);
    CHECK(strstr(a.data, "\"t\":[1796208600000,-1,0,-9223372036854775808,9223372036854775807]") !=
          NULL);
    cpe_buf_free(&a);
    cpe_buf_free(&b);

    cpe_buf_t small;
    cpe_buf_init(&small, 64);
    cpe_jw_t ws;
    cpe_jw_init(&ws, &small);
    cpe_jw_num_array(&ws, v, 10);
    CHECK(ws.err != 0);
    cpe_buf_free(&small);
}

/* JSON numbers: short decimals print as written, everything parses back exactly. */
static void test_json_numbers_round_trip(void)
{
    static const struct {
        double v;
        const char *text;
    } fixed[] = {{62431.01, "62431.01"},
                 {-0.5, "-0.5"},
                 {0.1, "0.1"},
                 {108246.35, "108246.35"},
                 {4.93704, "4.93704"},
                 {7, "7"},
                 {-3, "-3"},
                 {0, "0"},
                 {1e-7, "9.9999999999999995e-08"}};
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        cpe_buf_reset(&b);
        cpe_jw_t w;
        cpe_jw_init(&w, &b);
        cpe_jw_num(&w, fixed[i].v);
        CHECK(strtod(b.data, NULL) == fixed[i].v);
        if (fixed[i].v != 1e-7)
            CHECK_MSG(!strcmp(b.data, fixed[i].text), "%s != %s", b.data, fixed[i].text);
    }
    cpe_rng_t r;
    cpe_rng_seed(&r, 5);
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        double v;
        switch (i % 4) {
        case 0:
            v = round(cpe_rng_uniform(&r) * 1e7) / 100;
            break; /* prices with cents */
        case 1:
            v = cpe_rng_normal(&r) * 1e3;
            break; /* any double */
        case 2:
            v = round(cpe_rng_normal(&r) * 1e9) / 1e9;
            break; /* 9 decimals */
        default:
            v = cpe_rng_normal(&r) * 1e-5;
            break; /* small */
        }
        cpe_buf_reset(&b);
        cpe_jw_t w;
        cpe_jw_init(&w, &b);
        cpe_jw_num(&w, v);
        if (strtod(b.data, NULL) != v) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    cpe_buf_free(&b);
}

static void test_buf_refuses_past_cap(void)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 8);
    CHECK_EQ_INT(cpe_buf_puts(&b, "12345678"), 0);
    CHECK_EQ_INT(cpe_buf_putc(&b, '9'), CPE_ETOOBIG);
    CHECK_EQ_INT(b.len, 8);
    CHECK_STR(b.data, "12345678");
    cpe_buf_free(&b);
    cpe_buf_free(NULL);
}

static void test_buf_read_file_appends_regular_files_only(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/f.txt", test_tmpdir());
    CHECK_EQ_INT(test_write_file(path, "hello"), 0);
    cpe_buf_t b;
    cpe_buf_init(&b, 8);
    CHECK_EQ_INT(cpe_buf_puts(&b, "> "), 0);
    CHECK_EQ_INT(cpe_buf_read_file(&b, path), 0);
    CHECK_STR(b.data, "> hello");
    CHECK_EQ_INT(cpe_buf_read_file(&b, path), CPE_ETOOBIG); /* 7 + 5 > cap 8 */
    CHECK_STR(b.data, "> hello");
    CHECK_EQ_INT(cpe_buf_read_file(&b, test_tmpdir()), CPE_ENOTFOUND); /* a directory */
    snprintf(path, sizeof path, "%s/missing.txt", test_tmpdir());
    CHECK_EQ_INT(cpe_buf_read_file(&b, path), CPE_ENOTFOUND);
    cpe_buf_free(&b);
}

static void test_rng_is_reproducible_and_moments_fit(void)
{
    cpe_rng_t a, b;
    cpe_rng_seed(&a, 42);
    cpe_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        CHECK(cpe_rng_u64(&a) == cpe_rng_u64(&b));
    double s = 0, s2 = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = cpe_rng_t_unit(&a, 5.0);
        s += x;
        s2 += x * x;
    }
    CHECK_NEAR(s / n, 0.0, 0.02);
    CHECK_NEAR(s2 / n, 1.0, 0.05);
}

/* A condition-variable deadline `ms` ahead: normalised nanoseconds, the right instant. */
static void test_realtime_after_ms_is_a_normalised_deadline(void)
{
    const int64_t offsets[] = {0, 1, 999, 1000, 1500, 86400000};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        int64_t before = cpe_now_ms();
        struct timespec ts = cpe_realtime_after_ms(offsets[i]);
        int64_t after = cpe_now_ms();
        int64_t at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
        CHECK_MSG(at >= before + offsets[i] && at <= after + offsets[i] + 1, "offset %lld",
                  (long long)offsets[i]);
    }
}

int main(void)
{
    RUN(test_strerror_names_every_code);
    RUN(test_iso8601_parses_every_layout);
    RUN(test_parse_double_matches_strtod);
    RUN(test_json_writer_nests_and_escapes);
    RUN(test_json_writer_replaces_bad_utf8);
    RUN(test_time_arg_refuses_too_many_digits);
    RUN(test_fmt_double_handles_huge_values);
    RUN(test_json_numbers_round_trip);
    RUN(test_json_arrays_match_item_by_item);
    RUN(test_buf_refuses_past_cap);
    RUN(test_buf_read_file_appends_regular_files_only);
    RUN(test_rng_is_reproducible_and_moments_fit);
    RUN(test_realtime_after_ms_is_a_normalised_deadline);
    return TEST_DONE();
}
