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
static const double p10d[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
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
    if (!isfinite(v) || LDBL_MANT_DIG < 64) return cpe_fmt_double(buf, v, nan_text);
    double a = fabs(v);
    int neg = v < 0;
    if (a < 1e15 && a == (double)(int64_t)a) {
        char *p = buf;
        if (neg) *p++ = '-';
        p += put_uint(p, (uint64_t)a);
        *p = 0;
        return (int)(p - buf);
    }
    /* decimal exponent estimate from the binary one, fixed below */
    int e2;
    frexp(a, &e2); /* a = m * 2^e2, m in [0.5, 1) */
    int X = (int)floor((e2 - 1) * 0.30102999566398119521);
    for (int P = 15; P <= 17; P++) {
        for (int tries = 0; tries < 3; tries++) {
            int s = P - 1 - X; /* D = round(a * 10^s) */
            if (s > 27 || s < -27) return cpe_fmt_double(buf, v, nan_text);
            long double y = s >= 0 ? (long double)a * p10l[s] : (long double)a / p10l[-s];
            uint64_t D = (uint64_t)(y + 0.5L);
            if (D >= p10u[P]) { /* estimate one too low, or rounded up to 10^P */
                X++;
                continue;
            }
            if (D < p10u[P - 1]) {
                X--;
                continue;
            }
            if (P == 17) return put_g(buf, neg, D, P, X);
            if (D >= (1ull << 53) || s > 22 || s < -22) { /* no exact fast path: strtod */
                int n = put_g(buf, neg, D, P, X);
                if (strtod(buf, NULL) == v) return n;
                break;
            }
            double back = s >= 0 ? (double)D / p10d[s] : (double)D * p10d[-s];
            if (back == a) return put_g(buf, neg, D, P, X);
            break;
        }
    }
    return cpe_fmt_double(buf, v, nan_text);
}
