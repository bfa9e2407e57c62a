/* rng.c — see cpe/rng.h. */
#include "cpe/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void cpe_rng_seed(cpe_rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
    r->has_spare = 0;
    r->spare = 0;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cpe_rng_u64(cpe_rng_t *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cpe_rng_uniform(cpe_rng_t *r)
{
    /* 53 random bits, shifted by half an ulp so 0 is never returned. */
    return ((double)(cpe_rng_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double cpe_rng_normal(cpe_rng_t *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * cpe_rng_uniform(r) - 1.0;
        v = 2.0 * cpe_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = sqrt(-2.0 * log(s) / s);
    r->spare = v * m;
    r->has_spare = 1;
    return u * m;
}

double cpe_rng_gamma(cpe_rng_t *r, double shape)
{
    if (shape < 1.0) {
        double u = cpe_rng_uniform(r);
        return cpe_rng_gamma(r, shape + 1.0) * pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = cpe_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = cpe_rng_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

double cpe_rng_student_t(cpe_rng_t *r, double nu)
{
    double z = cpe_rng_normal(r);
    double chi2 = 2.0 * cpe_rng_gamma(r, nu / 2.0);
    return z / sqrt(chi2 / nu);
}

double cpe_rng_t_unit(cpe_rng_t *r, double nu)
{
    return cpe_rng_student_t(r, nu) * sqrt((nu - 2.0) / nu);
}

uint64_t cpe_rng_below(cpe_rng_t *r, uint64_t n)
{
    /* Lemire's nearly-divisionless method is overkill here; rejection keeps it unbiased. */
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = cpe_rng_u64(r);
    while (x >= lim);
    return x % n;
}
