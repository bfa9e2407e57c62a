/* test_fmtnum.c — the fast CSV number printer round-trips and matches cpe_fmt_double. */
#include "cpe/fmtnum.h"
#include "cpe/num.h"
#include "test.h"

#include <stdint.h>

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int roundtrips(double v)
{
    char a[40];
    cpe_fmt_fast(a, v, "");
    return strtod(a, NULL) == v;
}

static void test_fmt_fast_known_values(void)
{
    char b[40];
    cpe_fmt_fast(b, 42923.7, "");
    CHECK_STR(b, "42923.7");
    cpe_fmt_fast(b, 0.5, "");
    CHECK_STR(b, "0.5");
    cpe_fmt_fast(b, -3, "");
    CHECK_STR(b, "-3");
    cpe_fmt_fast(b, 0.1 + 0.2, "");
    CHECK_STR(b, "0.30000000000000004");
    cpe_fmt_fast(b, 1e-7, "");
    CHECK_STR(b, "1e-07");
    cpe_fmt_fast(b, 1.5e20, "");
    CHECK_STR(b, "1.5e+20");
    cpe_fmt_fast(b, NAN, "");
    CHECK_STR(b, "");
    cpe_fmt_fast(b, 0.0001234, "");
    CHECK_STR(b, "0.0001234");
}

/* Every printed value parses back to the same double, and the text equals the
 * snprintf/strtod-based cpe_fmt_double except where the fast path legitimately picks a
 * different (still round-tripping) digit count — which we count and bound. */
static void test_fmt_fast_round_trips_random_doubles(void)
{
    int bad = 0, differ = 0;
    for (int i = 0; i < 300000; i++) {
        uint64_t u = next();
        double v;
        switch (i % 4) {
        case 0:
            memcpy(&v, &u, 8);
            break; /* any bit pattern */
        case 1:
            v = (double)(u >> 11) / 9007199254740992.0 - 0.5;
            break; /* [-0.5, 0.5) */
        case 2:
            v = 20000 + (double)(u >> 11) / 9007199254740992.0 * 80000;
            break; /* prices */
        default:
            v = ((double)(u >> 11) / 9007199254740992.0 - 0.5) * 1e-4;
            break; /* returns */
        }
        if (!isfinite(v)) continue;
        if (!roundtrips(v)) bad++;
        char a[40], b[40];
        cpe_fmt_fast(a, v, "");
        cpe_fmt_double(b, v, "");
        if (strcmp(a, b)) differ++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_MSG(differ < 1000, "%d of 300000 differ from cpe_fmt_double", differ);
}

/* Market data is short decimals (prices with 2 decimals, quantities with up to 8, rates):
 * for those the fast printer's text is exactly cpe_fmt_double's, digit for digit. */
static void test_fmt_fast_short_decimals_match_exactly(void)
{
    static const double scale[9] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    int differ = 0;
    for (int i = 0; i < 300000; i++) {
        uint64_t u = next();
        int k = (int)(u % 9);
        double m = (double)((u >> 8) % (i % 3 == 0 ? 100000000ull : 10000000000000ull));
        double v = m / scale[k] * ((u >> 60) & 1 ? -1 : 1);
        char a[40], b[40];
        cpe_fmt_fast(a, v, "");
        cpe_fmt_double(b, v, "");
        if (strcmp(a, b)) {
            if (differ++ < 5) fprintf(stderr, "  %s vs %s\n", a, b);
        }
    }
    CHECK_EQ_INT(differ, 0);
    char b[40];
    cpe_fmt_fast(b, 61689.95, "");
    CHECK_STR(b, "61689.95");
    cpe_fmt_fast(b, 0.00016279, "");
    CHECK_STR(b, "0.00016279");
    cpe_fmt_fast(b, -36.29626, "");
    CHECK_STR(b, "-36.29626");
    cpe_fmt_fast(b, 4236350659.85, "");
    CHECK_STR(b, "4236350659.85");
}

int main(void)
{
    RUN(test_fmt_fast_known_values);
    RUN(test_fmt_fast_round_trips_random_doubles);
    RUN(test_fmt_fast_short_decimals_match_exactly);
    return TEST_DONE();
}
