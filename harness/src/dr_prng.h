/* dr_prng.h: xoshiro256** seeded through splitmix64 (Blackman and Vigna's
 * recommended pair; written from their description). Every random strategy
 * draws from one of these, seeded from the campaign seed and execution index. */
#ifndef DR_PRNG_H
#define DR_PRNG_H
#include <stdint.h>

typedef struct dr_prng {
    uint64_t s[4];
} dr_prng;

static inline uint64_t dr_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void dr_prng_seed(dr_prng *r, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = dr_splitmix64(&st);
}

static inline uint64_t dr_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t dr_prng_next(dr_prng *r)
{
    uint64_t *s = r->s;
    uint64_t result = dr_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = dr_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; the tiny bias for
 * huge n does not matter for scheduling). */
static inline uint32_t dr_prng_below(dr_prng *r, uint32_t n)
{
    return (uint32_t)(((dr_prng_next(r) >> 32) * (uint64_t)n) >> 32);
}
#endif
