/*
 * test.h — the unit-test harness: a test is a `static void test_name(void)` function,
 * main() runs them with RUN(test_name) and ends with TEST_DONE(), which prints
 * "N passed, N failed" and returns the exit code. Checks record the first failure of a
 * test with file:line and keep going. Tests that need ../shared/data/real call
 * test_shared_dir() and skip with a message when it is absent.
 */
#ifndef CPE_TEST_H
#define CPE_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int t_passed, t_failed, t_skipped, t_cur_failed;
static const char *t_cur_name;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            t_cur_failed = 1;                                                                      \
            fprintf(stderr, "  %s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, t_cur_name,     \
                    #cond);                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            t_cur_failed = 1;                                                                      \
            fprintf(stderr, "  %s:%d: %s: ", __FILE__, __LINE__, t_cur_name);                      \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long _a = (long long)(a), _b = (long long)(b);                                        \
        CHECK_MSG(_a == _b, "%s == %s: %lld != %lld", #a, #b, _a, _b);                             \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double _a = (double)(a), _b = (double)(b);                                                 \
        CHECK_MSG(fabs(_a - _b) <= (tol) || (isnan(_a) && isnan(_b)),                              \
                  "%s ~ %s: %.17g vs %.17g (tol %g)", #a, #b, _a, _b, (double)(tol));              \
    } while (0)

/* Relative closeness: |a-b| <= rel*max(|a|,|b|) + abs_tol. */
#define CHECK_CLOSE(a, b, rel)                                                                     \
    do {                                                                                           \
        double _a = (double)(a), _b = (double)(b);                                                 \
        double _m = fmax(fabs(_a), fabs(_b));                                                      \
        CHECK_MSG(fabs(_a - _b) <= (rel)*_m + 1e-300 || (isnan(_a) && isnan(_b)),                  \
                  "%s ~ %s: %.17g vs %.17g (rel %g)", #a, #b, _a, _b, (double)(rel));              \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *_a = (a), *_b = (b);                                                           \
        CHECK_MSG(_a &&_b && !strcmp(_a, _b), "%s == %s: \"%s\" != \"%s\"", #a, #b,                \
                  _a ? _a : "(null)", _b ? _b : "(null)");                                         \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        t_cur_name = #fn;                                                                          \
        t_cur_failed = 0;                                                                          \
        fn();                                                                                      \
        if (t_cur_failed) {                                                                        \
            t_failed++;                                                                            \
            fprintf(stderr, "FAIL %s\n", #fn);                                                     \
        } else {                                                                                   \
            t_passed++;                                                                            \
            printf("ok   %s\n", #fn);                                                              \
        }                                                                                          \
    } while (0)

/* Mark the current test skipped (counts as passed, says why). */
#define SKIP(...)                                                                                  \
    do {                                                                                           \
        printf("skip %s: ", t_cur_name);                                                           \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        t_skipped++;                                                                               \
        return;                                                                                    \
    } while (0)

#define TEST_DONE()                                                                                \
    (printf("%d passed, %d failed, %d skipped\n", t_passed, t_failed, t_skipped), t_failed ? 1 : 0)

/* Write text to path (created or truncated): 0, or -1 when it cannot be written. */
static inline int test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int bad = fputs(text, f) < 0;
    return fclose(f) || bad ? -1 : 0;
}

/* A fresh private directory for this test process (removed by the OS tmp cleaner). */
static inline const char *test_tmpdir(void)
{
    static char dir[512];
    if (dir[0]) return dir;
    const char *base = getenv("CPE_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(dir, sizeof dir, "%s/t%d-XXXXXX", base, (int)getpid());
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
    return dir;
}

/* $CPE_SHARED/data/real when it exists (CPE_SHARED defaults to ../shared of the repo). */
static inline const char *test_shared_dir(void)
{
    static char dir[1024];
    const char *base = getenv("CPE_SHARED");
    if (!base || !*base) return NULL;
    snprintf(dir, sizeof dir, "%s/data/real", base);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return dir;
}

#endif
