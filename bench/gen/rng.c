/* rng.c — the generator's deterministic primitives: seeding, log/exp, alias sampling,
 * GUIDs and the small JSON writers every renderer uses.
 *
 * Output must be byte-identical on every machine, so nothing here calls libm or printf:
 * log and exp are series evaluated with +,-,*,/ (IEEE-754 makes those exact-rounded and
 * C11 without fp-contract keeps them unfused), and numbers and times are formatted by
 * hand, which is also several times faster than snprintf in the per-event path.
 */
#include "bench/gen/gen_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(gen_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ sp_hash_mix(stream * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
}

uint64_t gen_mix(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = sp_hash_mix(a + 0x9e3779b97f4a7c15ULL);
    h = sp_hash_mix(h ^ (b + 0xc2b2ae3d27d4eb4fULL));
    return sp_hash_mix(h ^ (c + 0x165667b19e3779f9ULL));
}

#define LN2 0.693147180559945309417232121458

/* ln(x) = e*ln2 + 2*atanh((m-1)/(m+1)) with m in [sqrt(1/2), sqrt(2)). frexp and ldexp
 * are exact bit operations, so they are as deterministic as the arithmetic. */
double gen_ln(double x)
{
    if (!(x > 0))
        return -INFINITY;
    int e;
    double m = frexp(x, &e); /* x = m * 2^e, m in [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2;
        e--;
    }
    double z = (m - 1) / (m + 1), z2 = z * z, term = z, sum = 0;
    for (int k = 1; k <= 29; k += 2) {
        sum += term / k;
        term *= z2;
    }
    return 2 * sum + e * LN2;
}

double gen_expo(double x)
{
    if (x < -700)
        return 0;
    if (x > 700)
        return INFINITY;
    double kf = x / LN2;
    int k = (int)(kf < 0 ? kf - 0.5 : kf + 0.5);
    double r = x - k * LN2, term = 1, sum = 1;
    for (int i = 1; i <= 24; i++) {
        term *= r / i;
        sum += term;
    }
    return ldexp(sum, k);
}

double rng_exp1(gen_rng *r)
{
    double u = (double)((rng_u64(r) >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
    return -gen_ln(u);
}

/* ---- alias tables ---- */

void alias_init(gen_alias *a, const double *w, uint32_t n)
{
    a->n = n;
    a->alias = sp_xmalloc(sizeof *a->alias * n);
    a->cut = sp_xmalloc(sizeof *a->cut * n);
    double total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += w[i];
    double *p = sp_xmalloc(sizeof *p * n);
    uint32_t *small = sp_xmalloc(sizeof *small * n), *large = sp_xmalloc(sizeof *large * n);
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        p[i] = total > 0 ? w[i] * n / total : 1.0;
        a->alias[i] = i;
        if (p[i] < 1)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[nl - 1];
        a->cut[s] = (uint64_t)(p[s] * 4294967296.0);
        a->alias[s] = l;
        p[l] = (p[l] + p[s]) - 1;
        if (p[l] < 1) {
            nl--;
            small[ns++] = l;
        }
    }
    while (nl)
        a->cut[large[--nl]] = (uint64_t)1 << 32;
    while (ns)
        a->cut[small[--ns]] = (uint64_t)1 << 32; /* rounding leftovers */
    free(p);
    free(small);
    free(large);
}

void alias_zipf(gen_alias *a, uint32_t n, double s)
{
    double *w = sp_xmalloc(sizeof *w * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++)
        w[i] = gen_expo(-s * gen_ln((double)(i + 1)));
    alias_init(a, w, n);
    free(w);
}

void alias_free(gen_alias *a)
{
    free(a->alias);
    free(a->cut);
    a->alias = NULL;
    a->cut = NULL;
    a->n = 0;
}

uint64_t gen_gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* ---- GUIDs ---- */

static gen_guid guid_v4(uint64_t hi, uint64_t lo)
{
    gen_guid g = {(hi & ~0xf000ULL) | 0x4000ULL, (lo & ~(3ULL << 62)) | (2ULL << 62)};
    return g;
}

gen_guid rng_guid(gen_rng *r)
{
    uint64_t hi = rng_u64(r);
    return guid_v4(hi, rng_u64(r));
}

gen_guid guid_from(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = gen_mix(a, b, c);
    return guid_v4(h, gen_mix(h, c, b));
}

static const char hexd[] = "0123456789abcdef";

void guid_str(gen_guid g, char out[37])
{
    char *p = out;
    for (int i = 60; i >= 0; i -= 4) {
        if (i == 28 || i == 12)
            *p++ = '-';
        *p++ = hexd[(g.hi >> i) & 15];
    }
    *p++ = '-';
    for (int i = 60; i >= 0; i -= 4) {
        if (i == 44)
            *p++ = '-';
        *p++ = hexd[(g.lo >> i) & 15];
    }
    *p = 0;
}

void w_guid(sp_buf *b, gen_guid g)
{
    char s[37];
    guid_str(g, s);
    sp_buf_append(b, s, 36);
}

void w_qguid(sp_buf *b, gen_guid g)
{
    char s[38];
    s[0] = '"';
    guid_str(g, s + 1);
    s[37] = '"';
    sp_buf_append(b, s, 38);
}

void w_b64url16(sp_buf *b, gen_guid g)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char in[18] = {0};
    for (int i = 0; i < 8; i++) {
        in[i] = (unsigned char)(g.hi >> (56 - 8 * i));
        in[8 + i] = (unsigned char)(g.lo >> (56 - 8 * i));
    }
    char out[24];
    int o = 0;
    for (int i = 0; i < 18; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    sp_buf_append(b, out, 22); /* 16 bytes -> 22 significant characters */
}

/* ---- numbers and times ---- */

void w_u64(sp_buf *b, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sp_buf_reserve(b, (size_t)n);
    while (n)
        b->data[b->len++] = tmp[--n];
}

void w_i64(sp_buf *b, int64_t v)
{
    if (v < 0) {
        sp_buf_putc(b, '-');
        w_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        w_u64(b, (uint64_t)v);
    }
}

static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* yyyy-mm-ddThh:mm:ss into p (19 bytes). */
static char *put_dt19(char *p, int64_t ticks, int *frac)
{
    int y, mo, d, hh, mi, ss;
    sp_datetime_split(ticks, &y, &mo, &d, &hh, &mi, &ss, frac);
    p = put2(p, y / 100);
    p = put2(p, y % 100);
    *p++ = '-';
    p = put2(p, mo);
    *p++ = '-';
    p = put2(p, d);
    *p++ = 'T';
    p = put2(p, hh);
    *p++ = ':';
    p = put2(p, mi);
    *p++ = ':';
    return put2(p, ss);
}

static char *put_frac7(char *p, int frac)
{
    *p++ = '.';
    for (int i = 6; i >= 0; i--) {
        p[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return p + 7;
}

void w_dt(sp_buf *b, int64_t ticks)
{
    char s[32], *p;
    int frac;
    p = put_dt19(s, ticks, &frac);
    p = put_frac7(p, frac);
    *p++ = 'Z';
    sp_buf_append(b, s, (size_t)(p - s));
}

void w_qdt(sp_buf *b, int64_t ticks)
{
    sp_buf_putc(b, '"');
    w_dt(b, ticks);
    sp_buf_putc(b, '"');
}

void w_dt_offset(sp_buf *b, int64_t ticks, int off_min)
{
    char s[40], *p;
    int frac;
    p = put_dt19(s, ticks + (int64_t)off_min * SP_TICKS_PER_MIN, &frac);
    p = put_frac7(p, frac);
    int a = off_min < 0 ? -off_min : off_min;
    *p++ = off_min < 0 ? '-' : '+';
    p = put2(p, a / 60);
    *p++ = ':';
    p = put2(p, a % 60);
    sp_buf_append(b, s, (size_t)(p - s));
}

void w_dt_sec(sp_buf *b, int64_t ticks, bool zone)
{
    char s[32], *p;
    int frac;
    p = put_dt19(s, ticks, &frac);
    if (zone)
        *p++ = 'Z';
    sp_buf_append(b, s, (size_t)(p - s));
}

int64_t gen_unix_ms(int64_t ticks)
{
    return (ticks - SP_UNIX_EPOCH_TICKS) / SP_TICKS_PER_MS;
}

void w_qstr(sp_buf *b, const char *s)
{
    sp_buf_json_string(b, s, strlen(s));
}

void w_as_text(sp_buf *b, const char *json, size_t n)
{
    sp_buf_json_string(b, json, n);
}
