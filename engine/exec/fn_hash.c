/* fn_hash.c — hash_sha256, hash_md5 and hash (XXH64), written from their public
 * specifications (FIPS 180-4, RFC 1321, the xxHash spec) because the project takes no
 * crypto or hashing library and the functions are small.
 *
 * Kusto behaviours pinned here:
 *  - hash_sha256/hash_md5 hash the UTF-8 bytes of the value's text form (tostring) and
 *    print lowercase hex; a null number or date gives "";
 *  - hash(x) is XXH64 with seed 0, returned as a signed long; hash(x, mod) is that value
 *    modulo mod. Strings (and guids, dynamics) hash their UTF-8 bytes (hash("World") ==
 *    1846988464401551951, Kusto's documented value); long, datetime and timespan hash
 *    their 8-byte little-endian value (hash(datetime(2015-01-01)) ==
 *    1380966698541616202, also documented). int (4 bytes), real (IEEE 754 bits) and
 *    bool (1 byte) follow the same rule but have no documented value to check against.
 */
#include "engine/exec/fn_util.h"

#include <string.h>

/* ---- SHA-256 ---- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, int r)
{
    return (x >> r) | (x << (32 - r));
}

static inline uint32_t rol32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + K256[i] + w[i];
        uint32_t S0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);
        uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + mj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

/* Runs the Merkle–Damgård padding shared by SHA-256 (big-endian length) and MD5
 * (little-endian length) over msg, calling block() per 64 bytes. */
static void md_pad_run(const unsigned char *msg, size_t n, bool big_endian, void (*block)(uint32_t *, const unsigned char *),
                       uint32_t *state)
{
    size_t full = n / 64 * 64;
    for (size_t i = 0; i < full; i += 64)
        block(state, msg + i);
    unsigned char tail[128] = {0};
    size_t rem = n - full;
    memcpy(tail, msg + full, rem);
    tail[rem] = 0x80;
    size_t tl = rem + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        tail[big_endian ? tl - 1 - i : tl - 8 + i] = (unsigned char)(bits >> (8 * i));
    block(state, tail);
    if (tl == 128)
        block(state, tail + 64);
}

static void sha256_block_cb(uint32_t *h, const unsigned char *p)
{
    sha256_block(h, p);
}

static void sha256(const void *msg, size_t n, unsigned char out[32])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    md_pad_run(msg, n, true, sha256_block_cb, h);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

/* ---- MD5 ---- */

static const uint32_t KMD5[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
static const int RMD5[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                             5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                             4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                             6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static void md5_block(uint32_t *h, const unsigned char *p)
{
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rol32(a + f + KMD5[i] + m[g], RMD5[i]);
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

static void md5(const void *msg, size_t n, unsigned char out[16])
{
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    md_pad_run(msg, n, false, md5_block, h);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (unsigned char)(h[i] >> (8 * j));
}

/* ---- XXH64 ---- */

#define XP1 0x9E3779B185EBCA87ULL
#define XP2 0xC2B2AE3D27D4EB4FULL
#define XP3 0x165667B19E3779F9ULL
#define XP4 0x85EBCA77C2B2AE63ULL
#define XP5 0x27D4EB2F165667C5ULL

static inline uint64_t rol64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t xround(uint64_t acc, uint64_t in)
{
    acc += in * XP2;
    acc = rol64(acc, 31);
    return acc * XP1;
}

static inline uint64_t xmerge(uint64_t acc, uint64_t v)
{
    acc ^= xround(0, v);
    return acc * XP1 + XP4;
}

static uint64_t xxh64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data, *end = p + len;
    uint64_t h;
    if (len >= 32) {
        uint64_t v1 = seed + XP1 + XP2, v2 = seed + XP2, v3 = seed, v4 = seed - XP1;
        const unsigned char *limit = end - 32;
        do {
            v1 = xround(v1, rd64(p));
            v2 = xround(v2, rd64(p + 8));
            v3 = xround(v3, rd64(p + 16));
            v4 = xround(v4, rd64(p + 24));
            p += 32;
        } while (p <= limit);
        h = rol64(v1, 1) + rol64(v2, 7) + rol64(v3, 12) + rol64(v4, 18);
        h = xmerge(h, v1);
        h = xmerge(h, v2);
        h = xmerge(h, v3);
        h = xmerge(h, v4);
    } else {
        h = seed + XP5;
    }
    h += (uint64_t)len;
    while (p + 8 <= end) {
        h ^= xround(0, rd64(p));
        h = rol64(h, 27) * XP1 + XP4;
        p += 8;
    }
    if (p + 4 <= end) {
        h ^= (uint64_t)rd32(p) * XP1;
        h = rol64(h, 23) * XP2 + XP3;
        p += 4;
    }
    while (p < end) {
        h ^= (uint64_t)*p * XP5;
        h = rol64(h, 11) * XP1;
        p++;
    }
    h ^= h >> 33;
    h *= XP2;
    h ^= h >> 29;
    h *= XP3;
    h ^= h >> 32;
    return h;
}

/* ---- kernels ---- */

static void text_of(const kval *v, sp_buf *b)
{
    kval_to_text(v, b);
}

static void fn_hash_hex(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    bool is_sha = c->call->fn == KB_hash_sha256;
    if (a[0].null && !(a[0].type == SP_TYPE_STRING || a[0].type == SP_TYPE_GUID)) {
        kf_str(c, out, SP_TYPE_STRING, "", 0);
        return;
    }
    sp_buf t = {0};
    text_of(&a[0], &t);
    unsigned char d[32];
    size_t dn = is_sha ? 32 : 16;
    if (is_sha)
        sha256(t.data ? t.data : "", t.len, d);
    else
        md5(t.data ? t.data : "", t.len, d);
    sp_buf_free(&t);
    char hex[65];
    for (size_t i = 0; i < dn; i++) {
        hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
    }
    kf_str(c, out, SP_TYPE_STRING, hex, dn * 2);
}

static void fn_hash(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    if ((a[0].null && !(a[0].type == SP_TYPE_STRING || a[0].type == SP_TYPE_GUID)) || (n > 1 && (a[1].null || a[1].u.l <= 0))) {
        kf_null(out, SP_TYPE_LONG);
        return;
    }
    int64_t h;
    unsigned char bin[8];
    int width = 0;
    switch (a[0].type) {
    case SP_TYPE_LONG:
    case SP_TYPE_DATETIME:
    case SP_TYPE_TIMESPAN: width = 8; break;
    case SP_TYPE_INT: width = 4; break;
    case SP_TYPE_BOOL: width = 1; break;
    default: break;
    }
    if (a[0].type == SP_TYPE_REAL) {
        uint64_t u;
        memcpy(&u, &a[0].u.r, 8);
        for (int i = 0; i < 8; i++)
            bin[i] = (unsigned char)(u >> (8 * i));
        width = 8;
    } else if (width) {
        uint64_t u = a[0].type == SP_TYPE_BOOL ? a[0].u.b : (uint64_t)a[0].u.l;
        for (int i = 0; i < width; i++)
            bin[i] = (unsigned char)(u >> (8 * i));
    }
    if (width)
        h = (int64_t)xxh64(bin, (size_t)width, 0);
    else {
        sp_buf t = {0};
        text_of(&a[0], &t);
        h = (int64_t)xxh64(t.data ? t.data : "", t.len, 0);
        sp_buf_free(&t);
    }
    if (n > 1) {
        h %= a[1].u.l;
        if (h < 0)
            h += a[1].u.l;
    }
    kf_long(out, SP_TYPE_LONG, h);
}

#define SCALAR(id, fn) {KB_##id, {.scalar = fn, .dict_ok = true}}

const kfn_reg kfn_hash[] = {
    SCALAR(hash_sha256, fn_hash_hex),
    SCALAR(hash_md5, fn_hash_hex),
    SCALAR(hash, fn_hash),
    {(kb_id)-1, {0}},
};
