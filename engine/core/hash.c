/* hash.c — the one hash function family of socpipe.
 *
 * Dictionary encoding, dedup, joins and group-by all hash strings on hot paths, so the
 * hash must be fast on short keys (8–40 bytes) and good enough for open addressing.
 * It is a multiply-fold construction over 8-byte words (the idea behind wyhash): each
 * step multiplies two 64-bit words into 128 bits and folds the halves. Results are stable
 * across runs and builds because alert ids and dedup keys are derived from them.
 */
#include "engine/core/core.h"

#include <string.h>

#define P0 0xa0761d6478bd642fULL
#define P1 0xe7037ed1a0b428dbULL
#define P2 0x8ebc6af09c88c6e3ULL
#define P3 0x589965cc75374cc3ULL

static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Reads the last 1..8 bytes of a short input as one word. */
static inline uint64_t rd_tail(const unsigned char *p, size_t n)
{
    if (n >= 4)
        return (rd32(p) << 32) | rd32(p + n - 4);
    if (n > 0)
        return ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
    return 0;
}

uint64_t sp_hash64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ fold_mul(seed ^ P0, P1) ^ (uint64_t)n;
    size_t i = n;
    while (i > 16) {
        h = fold_mul(rd64(p) ^ P1, rd64(p + 8) ^ h);
        p += 16;
        i -= 16;
    }
    uint64_t a, b;
    if (i > 8) {
        a = rd64(p);
        b = rd64(p + i - 8);
    } else {
        a = rd_tail(p, i);
        b = 0;
    }
    return fold_mul(P1 ^ (uint64_t)n, fold_mul(a ^ P2, b ^ h ^ P3));
}

uint64_t sp_hash64_ci(const void *data, size_t n, uint64_t seed)
{
    /* Lower-case into a small window at a time; keys are short, so this stays cheap. */
    const unsigned char *p = data;
    unsigned char tmp[64];
    if (n <= sizeof tmp) {
        for (size_t i = 0; i < n; i++)
            tmp[i] = (unsigned char)sp_ascii_lower((char)p[i]);
        return sp_hash64(tmp, n, seed);
    }
    uint64_t h = seed;
    for (size_t off = 0; off < n; off += sizeof tmp) {
        size_t k = SP_MIN(sizeof tmp, n - off);
        for (size_t i = 0; i < k; i++)
            tmp[i] = (unsigned char)sp_ascii_lower((char)p[off + i]);
        h = sp_hash64(tmp, k, h);
    }
    return sp_hash_mix(h ^ (uint64_t)n);
}

sp_hash128 sp_hash128_of(const void *data, size_t n)
{
    sp_hash128 r;
    r.lo = sp_hash64(data, n, 0x9E3779B97F4A7C15ULL);
    r.hi = sp_hash64(data, n, 0xD1B54A32D192ED03ULL ^ r.lo);
    return r;
}
