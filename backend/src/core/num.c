/* num.c — see cpe/num.h. */
#include "cpe/num.h"
#include "cpe/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int slow_parse(const char *s, size_t len, double *out)
{
    char tmp[128];
    if (len >= sizeof tmp) return CPE_EPARSE;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + len || len == 0) return CPE_EPARSE;
    *out = v;
    return 0;
}

int cpe_parse_double(const char *s, size_t len, double *out)
{
    const char *p = s, *end = s + len;
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+')) neg = (*p++ == '-');
    uint64_t mant = 0;
    int ndig = 0, exp10 = 0, seen = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        seen = 1;
        if (mant == 0 && *p == '0') {
            p++;
            continue;
        }
        if (ndig >= 19) return slow_parse(s, len, out);
        mant = mant * 10 + (uint64_t)(*p++ - '0');
        ndig++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            seen = 1;
            if (mant == 0 && *p == '0') {
                exp10--;
                p++;
                continue;
            }
            if (ndig >= 19) return slow_parse(s, len, out);
            mant = mant * 10 + (uint64_t)(*p++ - '0');
            ndig++;
            exp10--;
        }
    }
    if (!seen) return slow_parse(s, len, out); /* nan, inf, or garbage */
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, e = 0, ed = 0;
        if (p < end && (*p == '-' || *p == '+')) eneg = (*p++ == '-');
        while (p < end && *p >= '0' && *p <= '9') {
            if (e < 10000) e = e * 10 + (*p - '0');
            p++;
            ed++;
        }
        if (!ed) return CPE_EPARSE;
        exp10 += eneg ? -e : e;
    }
    if (p != end) return CPE_EPARSE;
    if (mant == 0) {
        *out = neg ? -0.0 : 0.0;
        return 0;
    }
    if (mant < (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mant;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *out = neg ? -v : v;
        return 0;
    }
    return slow_parse(s, len, out);
}

int cpe_parse_i64(const char *s, size_t len, int64_t *out)
{
    const char *p = s, *end = s + len;
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+')) neg = (*p++ == '-');
    if (p == end) return CPE_EPARSE;
    uint64_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return CPE_EPARSE;
        if (v > (UINT64_MAX - 9) / 10) return CPE_ERANGE;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg) return CPE_ERANGE;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int cpe_fmt_double(char *buf, double v, const char *nan_text)
{
    if (!isfinite(v)) {
        size_t n = strlen(nan_text);
        memcpy(buf, nan_text, n + 1);
        return (int)n;
    }
    if (fabs(v) < 1e15 && v == (double)(int64_t)v) { /* the range first: no cast overflows */
        return snprintf(buf, 32, "%lld", (long long)v);
    }
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(buf, NULL) == v) break;
    }
    return n;
}
