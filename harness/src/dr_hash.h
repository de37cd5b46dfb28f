/* dr_hash.h: small deterministic hashes: FNV-1a for names, a 64-bit mixer for
 * trace digests, CRC-32 (IEEE) for tape integrity. No pointers are ever hashed. */
#ifndef DR_HASH_H
#define DR_HASH_H
#include <stddef.h>
#include <stdint.h>

static inline uint64_t dr_fnv1a_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Fold one word into a running digest (order-sensitive). */
static inline uint64_t dr_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

/* Final avalanche (murmur3 fmix64). */
static inline uint64_t dr_fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

uint32_t dr_crc32(uint32_t crc, const void *data, size_t n);
#endif
