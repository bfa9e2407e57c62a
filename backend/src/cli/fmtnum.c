/* fmtnum.c — fast round-trip double printing (see fmtnum.h). */
#include "cli/fmtnum.h"
#include "cpe/num.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const long double p10l[28] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
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

static int put_uint(char *p, uint64_t u)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (int i = 0; i < n; i++) p[i] = t[n - 1 - i];
    return n;
}

/* Digits D (exactly P of them) times 10^(X - P + 1), in "%.Pg" style. */
static int put_g(char *buf, int neg, uint64_t D, int P, int X)
{
    char dg[24];
    for (int i = P - 1; i >= 0; i--) {
        dg[i] = (char)('0' + D % 10);
        D /= 10;
    }
    int nd = P;
    while (nd > 1 && dg[nd - 1] == '0') nd--;
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
        for (int i = 0; i < ip; i++) *p++ = i < nd ? dg[i] : '0';
        if (nd > ip) {
            *p++ = '.';
            memcpy(p, dg + ip, (size_t)(nd - ip));
            p += nd - ip;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -X - 1; i++) *p++ = '0';
        memcpy(p, dg, (size_t)nd);
        p += nd;
    }
    *p = 0;
    return (int)(p - buf);
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
    /* 17-digit scale: y = a * 10^s in [1e16, 1e17); X = decimal exponent of a */
    int e2;
    frexp(a, &e2); /* a = m * 2^e2, m in [0.5, 1) */
    int X = (int)floor((e2 - 1) * 0.30102999566398119521), s = 0;
    long double y = 0;
    uint64_t D = 0;
    for (int tries = 0;; tries++) {
        s = 16 - X;
        if (s > 27 || s < -27 || tries > 3) return cpe_fmt_double(buf, v, nan_text);
        y = s >= 0 ? (long double)a * p10l[s] : (long double)a / p10l[-s];
        D = ld_round(y);
        if (D >= p10u[17]) X++;
        else if (D < p10u[16]) X--;
        else break;
    }
    /* The doubles' rounding interval around a, on the same scale: any decimal strictly
     * inside it parses back to a. Each bound carries one rounding of the long-double
     * product (relative error <= 2^-64; the candidates are exact integers), so candidates
     * closer to an edge than twice that are not trusted (17 digits are printed instead;
     * they always lie inside: |D - y| <= 0.5 + 2^-64 y < the half-width >= 0.55 units). */
    long double lo = ((long double)a + (long double)nextafter(a, 0)) / 2;
    long double hi = ((long double)a + (long double)nextafter(a, INFINITY)) / 2;
    lo = s >= 0 ? lo * p10l[s] : lo / p10l[-s];
    hi = s >= 0 ? hi * p10l[s] : hi / p10l[-s];
    const long double margin = hi * 0x1p-63L;
    for (int P = 15; P <= 16; P++) {
        uint64_t u = p10u[17 - P];
        uint64_t d = ld_round(y / (long double)u);
        long double cand = (long double)d * (long double)u;
        if (cand > lo + margin && cand < hi - margin) {
            int x = X;
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
