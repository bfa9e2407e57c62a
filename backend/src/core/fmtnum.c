/* fmtnum.c — fast round-trip double printing (see fmtnum.h). */
#include "cpe/fmtnum.h"
#include "cpe/num.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const long double p10l[28] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                     1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                     1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
                                     1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
static const uint64_t p10u[19] = {1ull,
                                  10ull,
                                  100ull,
                                  1000ull,
                                  10000ull,
                                  100000ull,
                                  1000000ull,
                                  10000000ull,
                                  100000000ull,
                                  1000000000ull,
                                  10000000000ull,
                                  100000000000ull,
                                  1000000000000ull,
                                  10000000000000ull,
                                  100000000000000ull,
                                  1000000000000000ull,
                                  10000000000000000ull,
                                  100000000000000000ull,
                                  1000000000000000000ull};

#if (defined(__x86_64__) || defined(__i386__)) && LDBL_MANT_DIG == 64
#define FAST_LD 1
/* Round y (0 <= y < 2^63) to the nearest integer without fistp (whose control-word switch
 * stalls the pipeline): adding 2^63 leaves a unit last place, so the 64-bit significand of
 * the x87 format is the rounded integer plus its explicit top bit. */
static inline uint64_t ld_round(long double y)
{
    union {
        long double ld;
        uint64_t w[2];
    } u;
    memset(&u, 0, sizeof u);
    u.ld = y + 9223372036854775808.0L;
    return u.w[0] - 0x8000000000000000ull;
}
#else
#define FAST_LD 0
#endif

static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* u in decimal, two digits per division */
static int put_uint(char *p, uint64_t u)
{
    char t[24];
    int i = 24;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        i -= 2;
        memcpy(t + i, digits2 + 2 * r, 2);
    }
    if (u >= 10) {
        i -= 2;
        memcpy(t + i, digits2 + 2 * u, 2);
    } else {
        t[--i] = (char)('0' + u);
    }
    memcpy(p, t + i, (size_t)(24 - i));
    return 24 - i;
}

int cpe_fmt_int(char *buf, int64_t v)
{
    char *p = buf;
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        *p++ = '-';
        u = 0 - u;
    }
    p += put_uint(p, u);
    *p = 0;
    return (int)(p - buf);
}

/* Digits D (exactly P of them) times 10^(X - P + 1), in "%.Pg" style. */
static int put_g(char *buf, int neg, uint64_t D, int P, int X)
{
    char dg[24];
    int i = P;
    while (i >= 2) {
        unsigned r = (unsigned)(D % 100);
        D /= 100;
        i -= 2;
        memcpy(dg + i, digits2 + 2 * r, 2);
    }
    if (i) dg[0] = (char)('0' + D);
    int nd = P;
    while (nd > 1 && dg[nd - 1] == '0')
        nd--;
    char *p = buf;
    if (neg) *p++ = '-';
    if (X < -4 || X >= P) {
        *p++ = dg[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, dg + 1, (size_t)nd - 1);
            p += nd - 1;
        }
        *p++ = 'e';
        *p++ = X < 0 ? '-' : '+';
        int ax = X < 0 ? -X : X;
        if (ax < 10) *p++ = '0';
        p += put_uint(p, (uint64_t)ax);
    } else if (X >= 0) {
        int ip = X + 1; /* digits before the point (<= P) */
        for (int k = 0; k < ip; k++)
            *p++ = k < nd ? dg[k] : '0';
        if (nd > ip) {
            *p++ = '.';
            memcpy(p, dg + ip, (size_t)(nd - ip));
            p += nd - ip;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int k = 0; k < -X - 1; k++)
            *p++ = '0';
        memcpy(p, dg, (size_t)nd);
        p += nd;
    }
    *p = 0;
    return (int)(p - buf);
}

/* a * 10^s in long double: one exact power for |s| <= 27, two for |s| <= 54 (one more
 * rounding). */
static inline long double scale10(long double a, int s)
{
    if (s > 27) return a * p10l[27] * p10l[s - 27];
    if (s >= 0) return a * p10l[s];
    if (s >= -27) return a / p10l[-s];
    return a / p10l[27] / p10l[-s - 27];
}

static const double p10d[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Short decimals (prices, quantities, rates: what market data is made of) in double
 * arithmetic alone, for a in [1e-4, 2^46) with biased exponent be. k decimals such that
 * 10^k <= 2^(49-e) (e = be - 1023): y = a * 10^k < 2^50 is an exact-enough product to round
 * to the candidate r. The check is exact: r < 2^53 and 10^k (k <= 22) are exact doubles and
 * the division is correctly rounded, so it passes iff the decimal r * 10^-k parses back to
 * a. With at most 15 significant digits that decimal is also what "%.15g" prints (half a
 * unit of the 15th digit is wider than half a unit in the last place of a double), i.e.
 * cpe_fmt_double's text. Returns 0 when a is no such decimal (the caller goes on). */
static int put_short_decimal(char *buf, int neg, double a, int be)
{
    int k = ((1023 + 49 - be) * 78913) >> 18; /* floor((49 - e) log10 2), e <= 45 */
    if (k > 22) k = 22;
    double y = a * p10d[k];
    uint64_t r = (uint64_t)(y + 0.5);
    if ((double)r / p10d[k] != a) return 0;
        /* trailing zeros off in halving steps: 5 divisions by constants (multiplications) */
#define STRIP(step, pow)                                                                           \
    if (k >= (step) && r % (pow) == 0) {                                                           \
        r /= (pow);                                                                                \
        k -= (step);                                                                               \
    }
    STRIP(16, 10000000000000000ull)
    STRIP(8, 100000000ull)
    STRIP(4, 10000ull)
    STRIP(2, 100ull)
    STRIP(1, 10ull)
#undef STRIP
    if (r >= p10u[15]) return 0;
    int nd = 1;
    while (nd < 15 && r >= p10u[nd])
        nd++;
    return put_g(buf, neg, r, nd, nd - k - 1);
}

int cpe_fmt_fast(char *buf, double v, const char *nan_text)
{
    if (!isfinite(v) || !FAST_LD) return cpe_fmt_double(buf, v, nan_text);
#if FAST_LD
    double a = fabs(v);
    int neg = v < 0;
    if (a < 1e15 && a == (double)(int64_t)a) {
        char *p = buf;
        if (neg) *p++ = '-';
        p += put_uint(p, (uint64_t)a);
        *p = 0;
        return (int)(p - buf);
    }
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int be = (int)(bits >> 52); /* biased exponent; 0 = subnormal */
    if (be == 0 || a < 1e-37 || a > 1e37) return cpe_fmt_double(buf, v, nan_text);
    if (a >= 1e-4 && a < 0x1p46) {
        int n = put_short_decimal(buf, neg, a, be);
        if (n) return n;
    }
    /* 17-digit scale: y = a * 10^s in [1e16, 1e17); X = decimal exponent of a, estimated as
     * floor(log10(2^(be-1023))) (78913 / 2^18 ~ log10 2), fixed by the loop */
    int X = ((be - 1023) * 78913) >> 18, s = 0;
    long double y = 0;
    uint64_t D = 0;
    for (int tries = 0;; tries++) {
        s = 16 - X;
        if (s > 54 || s < -54 || tries > 3) return cpe_fmt_double(buf, v, nan_text);
        y = scale10(a, s);
        D = ld_round(y);
        if (D >= p10u[17])
            X++;
        else if (D < p10u[16])
            X--;
        else
            break;
    }
    /* The doubles' rounding interval around a (midpoints to the neighbours, exact in long
     * double), on the same scale: any decimal strictly inside it parses back to a. Each
     * scaled bound carries at most two roundings (relative error <= 2^-63), the candidates
     * are exact integers, so candidates closer to an edge than 2^-61 are not trusted
     * (17 digits are printed instead; those always lie inside: |D - y| <= 0.5 + 2^-63 y,
     * below the half-width, which is >= 0.55 units on this scale). Shorter candidates are
     * y rounded to 15 / 16 digits, from D and y - D (exact: |y - D| <= 0.5), so no double
     * rounding; every candidate is checked against the interval anyway. */
    uint64_t bd = bits - 1, bu = bits + 1;
    double ad, au;
    memcpy(&ad, &bd, sizeof ad);
    memcpy(&au, &bu, sizeof au);
    long double lo = scale10(((long double)a + ad) / 2, s);
    long double hi = scale10(((long double)a + au) / 2, s);
    const long double margin = hi * 0x1p-61L;
    static const uint64_t unit[2] = {100, 10};
    const long double fr = y - (long double)D;
    for (int k = 0; k < 2; k++) {
        uint64_t u = unit[k], r = D % u;
        uint64_t d = D / u + (r > u / 2 || (r == u / 2 && fr >= 0));
        long double cand = (long double)(d * u);
        if (cand > lo + margin && cand < hi - margin) {
            int P = 15 + k, x = X;
            if (d >= p10u[P]) { /* rounded up to 10^P: one more digit of exponent */
                d /= 10;
                x++;
            }
            return put_g(buf, neg, d, P, x);
        }
    }
    return put_g(buf, neg, D, 17, X);
#else
    return cpe_fmt_double(buf, v, nan_text);
#endif
}
