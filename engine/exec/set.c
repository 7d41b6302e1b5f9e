/* set.c — hash sets of scalar values for `in`, `in~`, `!in`, `has_any` and joins on
 * constant lists: built once per query, probed per row (or per dictionary entry).
 * Values are keyed by type class and bytes; in~ sets fold ASCII case on both sides.
 *
 * Also the distinct-pair set behind summarize's dcount: one flat table of (group, value)
 * pairs for all groups together instead of a malloc'd set per group, so a group with one
 * or two distinct values (the usual case: users per failing IP) costs one 24-byte slot
 * per value and no allocation; value bytes go into one arena. And a set of 64-bit
 * integers, for dcount over table-dictionary ids: (group, value id) pairs without text. */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

struct kset {
    bool ci;
    uint32_t count, cap;
    uint64_t *hashes;
    char **keys;
    uint32_t *lens;
};

/* Canonical key bytes: a class byte then the payload. Numbers of any width compare by
 * value: integral reals key as longs. */
static size_t value_key(const kval *v, bool ci, char *buf, size_t cap, const char **out)
{
    if (v->null) {
        buf[0] = 'N';
        *out = buf;
        return 1;
    }
    switch (v->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: {
        if (!ci) {
            *out = v->u.s.p;
            return v->u.s.n;
        }
        size_t n = SP_MIN((size_t)v->u.s.n, cap);
        for (size_t i = 0; i < n; i++)
            buf[i] = sp_ascii_lower(v->u.s.p[i]);
        *out = buf;
        return n;
    }
    case SP_TYPE_REAL: {
        double r = v->u.r;
        if (r == (double)(int64_t)r) {
            int64_t l = (int64_t)r;
            buf[0] = 'L';
            memcpy(buf + 1, &l, 8);
        } else {
            buf[0] = 'R';
            memcpy(buf + 1, &r, 8);
        }
        *out = buf;
        return 9;
    }
    case SP_TYPE_BOOL:
        buf[0] = 'B';
        buf[1] = (char)v->u.b;
        *out = buf;
        return 2;
    case SP_TYPE_DATETIME:
    case SP_TYPE_TIMESPAN:
        buf[0] = v->type == SP_TYPE_DATETIME ? 'D' : 'T';
        memcpy(buf + 1, &v->u.l, 8);
        *out = buf;
        return 9;
    default:
        buf[0] = 'L';
        memcpy(buf + 1, &v->u.l, 8);
        *out = buf;
        return 9;
    }
}

kset *kset_new(bool case_insensitive)
{
    kset *s = sp_xcalloc(1, sizeof *s);
    s->ci = case_insensitive;
    return s;
}

static bool probe(const kset *s, const char *k, size_t n, uint64_t h, uint32_t *slot)
{
    uint32_t mask = s->cap - 1, j = (uint32_t)h & mask;
    while (s->keys[j]) {
        if (s->hashes[j] == h && s->lens[j] == n && !memcmp(s->keys[j], k, n)) {
            *slot = j;
            return true;
        }
        j = (j + 1) & mask;
    }
    *slot = j;
    return false;
}

static void grow(kset *s)
{
    uint32_t ncap = s->cap ? s->cap * 2 : 16;
    uint64_t *h = sp_xcalloc(ncap, sizeof *h);
    char **k = sp_xcalloc(ncap, sizeof *k);
    uint32_t *l = sp_xcalloc(ncap, sizeof *l);
    for (uint32_t i = 0; i < s->cap; i++) {
        if (!s->keys[i])
            continue;
        uint32_t j = (uint32_t)s->hashes[i] & (ncap - 1);
        while (k[j])
            j = (j + 1) & (ncap - 1);
        h[j] = s->hashes[i];
        k[j] = s->keys[i];
        l[j] = s->lens[i];
    }
    free(s->hashes);
    free(s->keys);
    free(s->lens);
    s->hashes = h;
    s->keys = k;
    s->lens = l;
    s->cap = ncap;
}

void kset_add(kset *s, const kval *v)
{
    char buf[4096];
    const char *k;
    size_t n = value_key(v, s->ci, buf, sizeof buf, &k);
    if ((s->count + 1) * 2 > s->cap)
        grow(s);
    uint64_t h = sp_hash64(k, n, 3);
    uint32_t slot;
    if (probe(s, k, n, h, &slot))
        return;
    s->keys[slot] = sp_xstrndup(k, n);
    s->hashes[slot] = h;
    s->lens[slot] = (uint32_t)n;
    s->count++;
}

bool kset_has(const kset *s, const kval *v)
{
    if (!s->count)
        return false;
    char buf[4096];
    const char *k;
    size_t n = value_key(v, s->ci, buf, sizeof buf, &k);
    uint32_t slot;
    return probe(s, k, n, sp_hash64(k, n, 3), &slot);
}

uint32_t kset_size(const kset *s)
{
    return s->count;
}

void kset_free(kset *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->cap; i++)
        free(s->keys[i]);
    free(s->hashes);
    free(s->keys);
    free(s->lens);
    free(s);
}

/* ---- (group, value) pairs for dcount ---- */

/* Open addressing over 8-byte slots (the upper half of the pair hash | entry id + 1), as
 * in keys.c's khash: a probe rejects other pairs without touching them, and growing
 * clears and refills only the slot array. */
typedef struct kdist_entry {
    const char *p; /* key bytes (arena) */
    uint32_t group, len;
    uint64_t h;
} kdist_entry;

struct kdistinct {
    uint64_t *slots;
    uint32_t nslots;
    kdist_entry *e;
    uint32_t n, cap;
    sp_arena arena;
    bool borrow_text;
};

void kdistinct_borrow_text(kdistinct *d, bool on)
{
    d->borrow_text = on;
}

kdistinct *kdistinct_new(void)
{
    return sp_xcalloc(1, sizeof(kdistinct));
}

void kdistinct_free(kdistinct *d)
{
    if (!d)
        return;
    free(d->slots);
    free(d->e);
    sp_arena_free(&d->arena);
    free(d);
}

uint64_t kdistinct_hash(const kval *v)
{
    char buf[16];
    const char *k;
    size_t n = value_key(v, false, buf, sizeof buf, &k);
    return sp_hash64(k, n, 3);
}

static inline uint64_t pair_hash(uint64_t vh, uint32_t group)
{
    return sp_hash_mix(vh ^ ((uint64_t)group * 0x9E3779B97F4A7C15ULL));
}

#define TAG(h) ((h) & 0xffffffff00000000ULL)

void kdistinct_prefetch(const kdistinct *d, uint32_t group, uint64_t vh)
{
    if (d->nslots)
        sp_prefetch(&d->slots[(uint32_t)pair_hash(vh, group) & (d->nslots - 1)]);
}

static void kdist_grow(kdistinct *d)
{
    uint32_t nc = d->nslots ? d->nslots * 2 : 1024;
    free(d->slots);
    d->slots = sp_xcalloc(nc, sizeof *d->slots);
    d->nslots = nc;
    for (uint32_t id = 0; id < d->n; id++) {
        uint32_t j = (uint32_t)d->e[id].h & (nc - 1);
        while (d->slots[j])
            j = (j + 1) & (nc - 1);
        d->slots[j] = TAG(d->e[id].h) | (id + 1);
    }
}

/* Adds (group, key bytes k[0..n)); vh is the hash of the key bytes. The bytes are
 * referenced when borrow is set, else copied. */
static bool kdist_add_key(kdistinct *d, uint32_t group, const char *k, size_t n, uint64_t vh, bool borrow)
{
    if ((d->n + 1) * 2 > d->nslots)
        kdist_grow(d);
    uint64_t h = pair_hash(vh, group);
    uint32_t mask = d->nslots - 1, j = (uint32_t)h & mask;
    for (uint64_t sl; (sl = d->slots[j]); j = (j + 1) & mask) {
        if (TAG(sl) != TAG(h))
            continue;
        const kdist_entry *e = &d->e[(uint32_t)sl - 1];
        if (e->h == h && e->group == group && e->len == n && !memcmp(e->p, k, n))
            return false;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 512;
        d->e = sp_xrealloc(d->e, sizeof *d->e * d->cap);
    }
    const char *copy = k;
    if (!borrow) {
        char *c = sp_arena_alloc(&d->arena, n ? n : 1);
        memcpy(c, k, n);
        copy = c;
    }
    d->e[d->n] = (kdist_entry){.p = copy, .group = group, .len = (uint32_t)n, .h = h};
    d->slots[j] = TAG(h) | (d->n + 1);
    d->n++;
    return true;
}

bool kdistinct_add(kdistinct *d, uint32_t group, const kval *v, uint64_t vh)
{
    if (v->null)
        return false;
    char buf[16];
    const char *k;
    size_t n = value_key(v, false, buf, sizeof buf, &k);
    /* class-tagged numbers live in buf */
    return kdist_add_key(d, group, k, n, vh, d->borrow_text && k == v->u.s.p);
}

void kdistinct_merge(kdistinct *d, const kdistinct *src, const uint32_t *gmap, int64_t *counts, size_t stride)
{
    for (uint32_t i = 0; i < src->n; i++) {
        const kdist_entry *e = &src->e[i];
        uint32_t g = gmap[e->group];
        if (g == KHASH_NONE)
            continue;
        if (kdist_add_key(d, g, e->p, e->len, sp_hash64(e->p, e->len, 3), true))
            counts[(size_t)g * stride]++;
    }
}

/* ---- sets of 64-bit integers ---- */

/* Open addressing over the keys themselves (KPAIRS_EMPTY marks a free slot), kept at most
 * half full: a member test is one probe of 8 bytes, usually a single cache line. */
#define KPAIRS_EMPTY UINT64_MAX

/* Doubles the slots, or more: to at least twice `members`. */
static void kpairs_grow(kpairs *s, uint32_t members)
{
    uint32_t nc = s->mask ? (s->mask + 1) * 2 : 1024;
    while ((uint64_t)nc < (uint64_t)members * 2)
        nc *= 2;
    uint64_t *sl = sp_xmalloc(sizeof(uint64_t) * nc);
    memset(sl, 0xff, sizeof(uint64_t) * nc);
    for (uint32_t j = 0; s->slots && j <= s->mask; j++) {
        uint64_t x = s->slots[j];
        if (x == KPAIRS_EMPTY)
            continue;
        uint32_t k = (uint32_t)sp_hash_mix(x) & (nc - 1);
        while (sl[k] != KPAIRS_EMPTY)
            k = (k + 1) & (nc - 1);
        sl[k] = x;
    }
    free(s->slots);
    s->slots = sl;
    s->mask = nc - 1;
}

void kpairs_reserve(kpairs *s, uint32_t members)
{
    if (!s->slots || (uint64_t)members * 2 > (uint64_t)s->mask + 1)
        kpairs_grow(s, members);
}

void kpairs_prefetch(const kpairs *s, uint64_t key)
{
    if (s->slots)
        sp_prefetch(&s->slots[(uint32_t)sp_hash_mix(key) & s->mask]);
}

bool kpairs_add(kpairs *s, uint64_t key)
{
    if (!s->slots || (uint64_t)(s->n + 1) * 2 > (uint64_t)s->mask + 1)
        kpairs_grow(s, s->n + 1);
    uint32_t j = (uint32_t)sp_hash_mix(key) & s->mask;
    for (uint64_t x; (x = s->slots[j]) != KPAIRS_EMPTY; j = (j + 1) & s->mask)
        if (x == key)
            return false;
    s->slots[j] = key;
    s->n++;
    return true;
}

bool kpairs_next(const kpairs *s, uint32_t *at, uint64_t *key)
{
    for (; s->slots && *at <= s->mask; (*at)++)
        if (s->slots[*at] != KPAIRS_EMPTY) {
            *key = s->slots[(*at)++];
            return true;
        }
    return false;
}

void kpairs_free(kpairs *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}
