/*
 * rng.h — seeded, reproducible random numbers (xoshiro256** seeded through splitmix64).
 *
 * State is a plain struct owned by the caller: no globals, so the same seed gives the
 * same stream on every machine and every run, and threads never share a generator.
 * Distributions: uniform (0,1), standard normal (Marsaglia polar, cached pair),
 * gamma (Marsaglia-Tsang), Student-t with nu degrees of freedom, scaled to unit variance
 * by cpe_rng_t_unit (nu > 2).
 */
#ifndef CPE_RNG_H
#define CPE_RNG_H

#include <stdint.h>

typedef struct cpe_rng {
    uint64_t s[4];
    double spare;
    int has_spare;
} cpe_rng_t;

void cpe_rng_seed(cpe_rng_t *r, uint64_t seed);
uint64_t cpe_rng_u64(cpe_rng_t *r);
/* Uniform on the open interval (0, 1). */
double cpe_rng_uniform(cpe_rng_t *r);
double cpe_rng_normal(cpe_rng_t *r);
double cpe_rng_gamma(cpe_rng_t *r, double shape); /* scale 1 */
double cpe_rng_student_t(cpe_rng_t *r, double nu);
/* Student-t scaled to variance 1 (requires nu > 2). */
double cpe_rng_t_unit(cpe_rng_t *r, double nu);
/* Integer uniform in [0, n). */
uint64_t cpe_rng_below(cpe_rng_t *r, uint64_t n);

#endif
