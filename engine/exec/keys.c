/* keys.c — typed value hashing, equality and ordering, and the key-tuple hash table that
 * summarize, join and make-series group with.
 *
 * Values hash by type class and payload, so 1 and "1" differ while an int and a long of
 * the same value would only meet if a caller normalises them (join does). The table maps
 * each distinct tuple to a dense id in first-seen order, which keeps every consumer's
 * output order deterministic; tuples are copied into the table's arena because the
 * batches they come from die at the next pull. Open addressing with linear probing over
 * a power-of-two slot array, kept at most half full; a slot holds id + 1 and the upper
 * half of the hash, so a probe rejects other keys without touching their memory (a join
 * probe is otherwise three cache misses per slot), and a matching tag goes straight to the
 * key compare (the full hash, kept for rehashing, would be one more miss per hit).
 * A tuple can also be appended without a slot (khash_append) by a caller that finds it by
 * other means: summarize numbers table-dictionary ids without hashing their text.
 */
#include "engine/exec/exec_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t kval_hash(const kval *v, uint64_t h)
{
    if (v->null)
        return sp_hash_mix(h ^ 0x9e37);
    switch (v->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: return sp_hash64(v->u.s.p, v->u.s.n, h);
    case SP_TYPE_BOOL: return sp_hash_mix(h ^ (v->u.b ? 3 : 5));
    case SP_TYPE_REAL: {
        double r = v->u.r == 0 ? 0 : v->u.r; /* -0 groups with 0 */
        if (isnan(r))
            r = NAN; /* every NaN groups together */
        uint64_t bits;
        memcpy(&bits, &r, 8);
        return sp_hash_mix(h ^ bits);
    }
    default: return sp_hash_mix(h ^ (uint64_t)v->u.l ^ ((uint64_t)v->type << 56));
    }
}

bool kval_eq(const kval *a, const kval *b)
{
    if (a->null || b->null)
        return a->null == b->null;
    switch (a->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: return sp_streq(a->u.s.p, a->u.s.n, b->u.s.p, b->u.s.n);
    case SP_TYPE_BOOL: return a->u.b == b->u.b;
    case SP_TYPE_REAL: return a->u.r == b->u.r || (isnan(a->u.r) && isnan(b->u.r));
    default: return a->u.l == b->u.l;
    }
}

int kval_cmp(const kval *a, const kval *b)
{
    switch (a->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: {
        uint32_t n = SP_MIN(a->u.s.n, b->u.s.n);
        int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
        return c ? c : (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
    }
    case SP_TYPE_REAL: return (a->u.r > b->u.r) - (a->u.r < b->u.r);
    case SP_TYPE_BOOL: return (int)a->u.b - (int)b->u.b;
    default: return (a->u.l > b->u.l) - (a->u.l < b->u.l);
    }
}

kval kval_own(sp_arena *a, const kval *v)
{
    kval x = *v;
    if (sp_type_is_text(x.type) && !x.null && x.u.s.n)
        x.u.s = kstr_dup(a, x.u.s.p, x.u.s.n);
    return x;
}

/* ---- key-tuple table ---- */

void khash_init(khash *h, int nkeys)
{
    memset(h, 0, sizeof *h);
    h->nkeys = nkeys;
}

void khash_free(khash *h)
{
    free(h->keys);
    free(h->hashes);
    free(h->slots);
    free(h->hidden);
    sp_arena_free(&h->arena);
    memset(h, 0, sizeof *h);
}

uint64_t khash_of(const kval *key, int nkeys)
{
    uint64_t hv = 0x51ed27;
    for (int k = 0; k < nkeys; k++)
        hv = kval_hash(&key[k], hv);
    return hv;
}

static bool tuple_eq(const khash *h, uint32_t id, const kval *key)
{
    const kval *k = &h->keys[(size_t)id * (size_t)h->nkeys];
    for (int i = 0; i < h->nkeys; i++)
        if (!kval_eq(&k[i], &key[i]))
            return false;
    return true;
}

static inline uint64_t slot_of(uint32_t id, uint64_t hv)
{
    return (hv & 0xffffffff00000000ULL) | (id + 1);
}

void khash_prefetch(const khash *h, uint64_t hv)
{
    if (h->nslots)
        sp_prefetch(&h->slots[(uint32_t)hv & (h->nslots - 1)]);
}

uint32_t khash_find(const khash *h, const kval *key, uint64_t hv)
{
    if (!h->nindexed)
        return KHASH_NONE;
    uint32_t mask = h->nslots - 1, j = (uint32_t)hv & mask;
    uint64_t tag = hv & 0xffffffff00000000ULL;
    for (uint64_t sl; (sl = h->slots[j]); j = (j + 1) & mask) {
        uint32_t id = (uint32_t)sl - 1;
        if ((sl & 0xffffffff00000000ULL) == tag && tuple_eq(h, id, key))
            return id;
    }
    return KHASH_NONE;
}

static void rehash(khash *h)
{
    uint32_t nc = h->nslots ? h->nslots * 2 : 64;
    uint64_t *s = sp_xcalloc(nc, sizeof *s);
    for (uint32_t id = 0; id < h->n; id++) {
        if (h->hidden && h->hidden[id])
            continue;
        uint32_t j = (uint32_t)h->hashes[id] & (nc - 1);
        while (s[j])
            j = (j + 1) & (nc - 1);
        s[j] = slot_of(id, h->hashes[id]);
    }
    free(h->slots);
    h->slots = s;
    h->nslots = nc;
}

/* A new id holding a copy of key (or key itself under borrow_text; nothing when NULL). */
static uint32_t new_tuple(khash *h, const kval *key, uint64_t hv)
{
    uint32_t id = h->n++;
    if (id >= h->cap) {
        /* Large tables grow by four: a summarize over ids adds thousands of groups in a
         * few batches, and every doubling copied all of them again. */
        uint32_t nc = !h->cap ? 64 : h->cap < 4096 ? h->cap * 2 : h->cap * 4;
        size_t nk = (size_t)(h->nkeys ? h->nkeys : 1);
        h->keys = sp_xrealloc(h->keys, sizeof(kval) * nc * nk);
        h->hashes = sp_xrealloc(h->hashes, sizeof(uint64_t) * nc);
        if (h->hidden) {
            h->hidden = sp_xrealloc(h->hidden, nc);
            memset(h->hidden + h->cap, 0, nc - h->cap);
        }
        h->cap = nc;
    }
    for (int k = 0; key && k < h->nkeys; k++)
        h->keys[(size_t)id * (size_t)h->nkeys + (size_t)k] = h->borrow_text ? key[k] : kval_own(&h->arena, &key[k]);
    h->owns_text |= key && !h->borrow_text;
    h->hashes[id] = hv;
    if (h->hidden)
        h->hidden[id] = 0;
    return id;
}

uint32_t khash_insert(khash *h, const kval *key, uint64_t hv, bool *added)
{
    if ((h->n + 1) * 2 > h->nslots)
        rehash(h);
    uint32_t mask = h->nslots - 1, j = (uint32_t)hv & mask;
    uint64_t tag = hv & 0xffffffff00000000ULL;
    for (uint64_t sl; (sl = h->slots[j]); j = (j + 1) & mask) {
        uint32_t id = (uint32_t)sl - 1;
        if ((sl & 0xffffffff00000000ULL) == tag && tuple_eq(h, id, key)) {
            if (added)
                *added = false;
            return id;
        }
    }
    uint32_t id = new_tuple(h, key, hv);
    h->slots[j] = slot_of(id, hv);
    h->nindexed++;
    if (added)
        *added = true;
    return id;
}

uint32_t khash_append(khash *h, const kval *key)
{
    uint32_t id = new_tuple(h, key, 0);
    if (!h->hidden)
        h->hidden = sp_xcalloc(h->cap, 1);
    h->hidden[id] = 1;
    return id;
}
