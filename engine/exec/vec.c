/* vec.c — column vectors: construction, element access, decoding, and the bridge from
 * store chunks (zero-copy where the layouts agree). */
#include "engine/exec/exec_int.h"

#include <string.h>
#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif

kstr kstr_dup(sp_arena *a, const char *p, size_t n)
{
    kstr s;
    s.p = n ? sp_arena_strndup(a, p, n) : "";
    s.n = (uint32_t)n;
    return s;
}

kvec *kvec_new_flat(sp_arena *a, sp_type t, uint32_t n)
{
    kvec *v = sp_arena_calloc(a, sizeof *v);
    v->type = t;
    v->enc = KV_FLAT;
    v->n = n;
    v->d.raw = sp_arena_alloc(a, kvec_elem_size(t) * (n ? n : 1));
    if (!sp_type_is_text(t)) {
        size_t vb = n / 8 + 1;
        v->valid = sp_arena_alloc(a, vb);
        memset(v->valid, 0xff, vb);
    }
    return v;
}

kvec *kvec_new_const(sp_arena *a, const kval *val, uint32_t n)
{
    kvec *v = sp_arena_calloc(a, sizeof *v);
    v->type = val->type;
    v->enc = KV_CONST;
    v->n = n;
    v->cnull = val->null;
    v->d.raw = sp_arena_calloc(a, kvec_elem_size(val->type));
    if (!val->null || sp_type_is_text(val->type)) {
        switch (val->type) {
        case SP_TYPE_BOOL: v->d.b[0] = val->u.b; break;
        case SP_TYPE_REAL: v->d.r[0] = val->u.r; break;
        case SP_TYPE_STRING:
        case SP_TYPE_GUID:
        case SP_TYPE_DYNAMIC: v->d.s[0] = val->null ? (kstr){"", 0} : val->u.s; break;
        default: v->d.l[0] = val->u.l; break;
        }
    }
    return v;
}

void kvec_get(const kvec *v, uint32_t i, kval *out)
{
    const kvec *b = kvec_base(v);
    uint32_t k = kvec_at(v, i);
    out->type = v->type;
    out->null = false;
    if (sp_type_is_text(v->type)) {
        kval_of_text(v->type, b->d.s[k], out);
        if (v->enc == KV_CONST && v->type != SP_TYPE_STRING)
            out->null = v->cnull;
        return;
    }
    if (v->enc == KV_CONST ? v->cnull : (b->valid && !((b->valid[k >> 3] >> (k & 7)) & 1))) {
        out->null = true;
        out->u.l = 0;
        return;
    }
    switch (v->type) {
    case SP_TYPE_BOOL: out->u.b = b->d.b[k] != 0; break;
    case SP_TYPE_REAL: out->u.r = b->d.r[k]; break;
    default: out->u.l = b->d.l[k]; break;
    }
}

void kvec_set_null(kvec *v, uint32_t i)
{
    if (sp_type_is_text(v->type)) {
        v->d.s[i] = (kstr){"", 0};
        return;
    }
    if (v->valid)
        v->valid[i >> 3] &= (uint8_t)~(1u << (i & 7));
    if (v->type == SP_TYPE_BOOL)
        v->d.b[i] = 0;
    else
        v->d.l[i] = 0;
}

void kvec_set(kvec *v, uint32_t i, const kval *val)
{
    if (val->null) {
        kvec_set_null(v, i);
        return;
    }
    switch (v->type) {
    case SP_TYPE_BOOL: v->d.b[i] = val->u.b; break;
    case SP_TYPE_REAL: v->d.r[i] = val->u.r; break;
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: v->d.s[i] = val->u.s; return;
    default: v->d.l[i] = val->u.l; break;
    }
    if (v->valid)
        v->valid[i >> 3] |= (uint8_t)(1u << (i & 7));
}

kvec *kvec_flatten(sp_arena *a, const kvec *v)
{
    if (v->enc == KV_FLAT)
        return (kvec *)v;
    kvec *f = kvec_new_flat(a, v->type, v->n);
    kval x;
    if (v->enc == KV_CONST) {
        kvec_get(v, 0, &x);
        for (uint32_t i = 0; i < v->n; i++)
            kvec_set(f, i, &x);
        f->unset = v->unset;
        f->jnull = v->jnull;
        return f;
    }
    f->unset = v->unset; /* row-indexed: the same rows */
    f->jnull = v->jnull;
    const kvec *d = v->dict;
    if (sp_type_is_text(v->type)) {
        for (uint32_t i = 0; i < v->n; i++)
            f->d.s[i] = d->d.s[kvec_code(v, i)];
        return f;
    }
    for (uint32_t i = 0; i < v->n; i++) {
        kvec_get(v, i, &x);
        kvec_set(f, i, &x);
    }
    return f;
}

/* The chunk dictionary of a DICT view as a FLAT vector of its entries, kept in cache
 * (when given) for the chunk's other batches. */
static kvec *dict_entries(sp_arena *a, const sp_colview *cv, const void *id, kdict_cache *cache)
{
    if (cache && cache->id == id)
        return cache->dict;
    sp_arena *da = a;
    if (cache) {
        sp_arena_reset(&cache->arena);
        da = &cache->arena;
    }
    kvec *d = sp_arena_calloc(da, sizeof *d);
    d->type = cv->type;
    d->enc = KV_FLAT;
    d->n = cv->nentries;
    d->d.s = sp_arena_alloc(da, sizeof(kstr) * (cv->nentries ? cv->nentries : 1));
    for (uint32_t k = 0; k < cv->nentries; k++) {
        d->d.s[k].p = cv->bytes + cv->offs[k];
        d->d.s[k].n = cv->offs[k + 1] - cv->offs[k];
    }
    if (cache) {
        cache->id = id;
        cache->dict = d;
    }
    return d;
}

static inline uint32_t code_at(const sp_colview *cv, uint32_t row)
{
    return cv->codes ? cv->codes[row] : cv->codes8[row];
}

/* A dictionary column whose rows all hold entry 0, as a constant. */
static void const_entry(sp_arena *a, const sp_colview *cv, kvec *out)
{
    out->enc = KV_CONST;
    out->d.s = sp_arena_alloc(a, sizeof(kstr));
    out->d.s[0].p = cv->bytes + cv->offs[0];
    out->d.s[0].n = cv->offs[1] - cv->offs[0];
    out->cnull = cv->type == SP_TYPE_DYNAMIC && out->d.s[0].n == 0;
}

/* Prefetches the (scattered) offsets of the rows about to be read, when they are few. */
static void prefetch_offsets(const uint32_t *offs, const uint32_t *rows, uint32_t n, uint32_t span)
{
    if ((uint64_t)n * 8 < span)
        for (uint32_t k = 0; k < n; k++)
            sp_prefetch(&offs[rows[k]]);
}

/* A string of a plain text view, prefetched for whoever reads it next (a group-by hashes
 * it right after the scan; scattered rows are each a cache miss). Not when the view has
 * table-dictionary ids: a scan asks for them only for operators that group or count by
 * id and read no text, and each prefetch of a scattered string costs a TLB walk. */
static inline kstr plain_text(const sp_colview *cv, const uint32_t *offs, uint32_t i)
{
    kstr s = {cv->bytes + offs[i], offs[i + 1] - offs[i]};
    if (!cv->gids) {
        __builtin_prefetch(s.p);
        __builtin_prefetch(s.p + (s.n ? s.n - 1 : 0));
    }
    return s;
}

/* Row r's dictionary code, of a dictionary-encoded text view (none when every row holds
 * entry 0). */
static inline void prefetch_code(const sp_colview *cv, uint32_t r)
{
    if (cv->codes)
        sp_prefetch(&cv->codes[r]);
    else if (cv->codes8)
        sp_prefetch(&cv->codes8[r]);
}

void kvec_prefetch_rows(const sp_colview *cv, uint32_t row0, const uint32_t *rows, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = row0 + rows[k];
        if (!sp_type_is_text(cv->type))
            sp_prefetch((const char *)cv->values + (size_t)r * sp_type_width(cv->type));
        else if (cv->enc == SP_ENC_PLAIN) {
            sp_prefetch(&cv->offs[r]);
            if (cv->gids)
                sp_prefetch(&cv->gids[r]);
        } else {
            prefetch_code(cv, r);
        }
    }
}

const uint8_t *kbits_gather(sp_arena *a, const uint8_t *bits, uint32_t base, const uint32_t *rows, uint32_t n,
                            bool missing)
{
    if (!bits && !missing)
        return NULL;
    uint8_t *out = sp_arena_calloc(a, (size_t)n / 8 + 1);
    bool any = false;
    for (uint32_t k = 0; k < n; k++) {
        bool on = rows[k] == KGATHER_NULL ? missing : sp_bit(bits, base + rows[k]);
        out[k >> 3] |= (uint8_t)((unsigned)on << (k & 7));
        any |= on;
    }
    return any ? out : NULL;
}

static void colview_rows(sp_arena *a, const sp_colview *cv, const void *dict_id, uint32_t row0, const uint32_t *rows,
                         uint32_t n, kdict_cache *cache, kvec *out);

void kvec_from_colview_rows(sp_arena *a, const sp_colview *cv, const void *dict_id, uint32_t row0,
                            const uint32_t *rows, uint32_t n, kdict_cache *cache, kvec *out)
{
    colview_rows(a, cv, dict_id, row0, rows, n, cache, out);
    out->unset = kbits_gather(a, cv->unset, row0, rows, n, false);
    out->jnull = kbits_gather(a, cv->jnull, row0, rows, n, false);
}

static void colview_rows(sp_arena *a, const sp_colview *cv, const void *dict_id, uint32_t row0, const uint32_t *rows,
                         uint32_t n, kdict_cache *cache, kvec *out)
{
    memset(out, 0, sizeof *out);
    out->type = cv->type == SP_TYPE_INT ? SP_TYPE_INT : cv->type;
    out->n = n;
    if (!sp_type_is_text(cv->type)) {
        kvec *f = kvec_new_flat(a, out->type, n);
        *out = *f;
        switch (cv->type) {
        case SP_TYPE_BOOL:
            for (uint32_t k = 0; k < n; k++)
                out->d.b[k] = ((const uint8_t *)cv->values)[row0 + rows[k]];
            break;
        case SP_TYPE_INT:
            for (uint32_t k = 0; k < n; k++)
                out->d.l[k] = ((const int32_t *)cv->values)[row0 + rows[k]];
            break;
        default: /* 8-byte values, reals copied bitwise */
            for (uint32_t k = 0; k < n; k++)
                out->d.l[k] = ((const int64_t *)cv->values)[row0 + rows[k]];
            break;
        }
        if (cv->valid)
            for (uint32_t k = 0; k < n; k++) {
                uint32_t r = row0 + rows[k];
                if (!((cv->valid[r >> 3] >> (r & 7)) & 1))
                    kvec_set_null(out, k);
            }
        return;
    }
    if (cv->enc == SP_ENC_PLAIN) {
        out->enc = KV_FLAT;
        out->d.s = sp_arena_alloc(a, sizeof(kstr) * (n ? n : 1));
        const uint32_t *offs = cv->offs + row0;
        prefetch_offsets(offs, rows, n, cv->rows);
        for (uint32_t k = 0; k < n; k++)
            out->d.s[k] = plain_text(cv, offs, rows[k]);
        if (cv->gids) {
            uint32_t *g = sp_arena_alloc(a, sizeof(uint32_t) * (n ? n : 1));
            for (uint32_t k = 0; k < n; k++)
                g[k] = cv->gids[row0 + rows[k]];
            out->gids = g;
            out->tdict = cv->tdict;
        }
        return;
    }
    out->gids = cv->gids; /* entry-indexed, like the codes below */
    out->tdict = cv->tdict;
    if (!cv->codes && !cv->codes8) {
        const_entry(a, cv, out);
        return;
    }
    const void *id = dict_id ? dict_id : cv->offs;
    if ((cache && cache->id == id) || (uint64_t)n * 8 >= cv->nentries) {
        uint32_t *c = sp_arena_alloc(a, sizeof(uint32_t) * (n ? n : 1));
        for (uint32_t k = 0; k < n; k++)
            c[k] = code_at(cv, row0 + rows[k]);
        out->enc = KV_DICT;
        out->codes = c;
        out->dict_id = id;
        out->dict = dict_entries(a, cv, id, cache);
        return;
    }
    /* A few rows of a large dictionary: their strings, not the whole dictionary. */
    out->enc = KV_FLAT;
    out->d.s = sp_arena_alloc(a, sizeof(kstr) * (n ? n : 1));
    uint32_t *g = cv->gids ? sp_arena_alloc(a, sizeof(uint32_t) * (n ? n : 1)) : NULL;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t e = code_at(cv, row0 + rows[k]);
        out->d.s[k].p = cv->bytes + cv->offs[e];
        out->d.s[k].n = cv->offs[e + 1] - cv->offs[e];
        if (g)
            g[k] = cv->gids[e];
    }
    out->gids = g;
}

static void colview_slice(sp_arena *a, const sp_colview *cv, const void *dict_id, uint32_t row0, uint32_t n,
                         const uint32_t *sel, uint32_t nsel, kdict_cache *cache, kvec *out);

/* Bits [row0, row0 + n) of a chunk bitmap as a row-indexed bitmap: a view when row0 is
 * byte-aligned (scans start batches at multiples of KB_BATCH), else a copy. */
static const uint8_t *bits_slice(sp_arena *a, const uint8_t *bits, uint32_t row0, uint32_t n)
{
    if (!bits || !(row0 & 7))
        return bits ? bits + row0 / 8 : NULL;
    uint8_t *out = sp_arena_calloc(a, (size_t)n / 8 + 1);
    for (uint32_t i = 0; i < n; i++)
        out[i >> 3] |= (uint8_t)((unsigned)sp_bit(bits, row0 + i) << (i & 7));
    return out;
}

void kvec_from_colview(sp_arena *a, const sp_colview *cv, const void *dict_id, uint32_t row0, uint32_t n,
                       const uint32_t *sel, uint32_t nsel, kdict_cache *cache, kvec *out)
{
    colview_slice(a, cv, dict_id, row0, n, sel, nsel, cache, out);
    out->unset = bits_slice(a, cv->unset, row0, n);
    out->jnull = bits_slice(a, cv->jnull, row0, n);
}

static void colview_slice(sp_arena *a, const sp_colview *cv, const void *dict_id, uint32_t row0, uint32_t n,
                          const uint32_t *sel, uint32_t nsel, kdict_cache *cache, kvec *out)
{
    memset(out, 0, sizeof *out);
    out->type = cv->type == SP_TYPE_INT ? SP_TYPE_INT : cv->type;
    out->n = n;
    uint32_t rows = sel ? nsel : n;
    if (!sp_type_is_text(cv->type)) {
        out->enc = KV_FLAT;
        /* row0 is a multiple of the batch size, so bitmaps stay byte-aligned. */
        out->valid = cv->valid ? (uint8_t *)cv->valid + row0 / 8 : NULL;
        switch (cv->type) {
        case SP_TYPE_BOOL: out->d.b = (uint8_t *)cv->values + row0; break;
        case SP_TYPE_INT: {
            /* widened to 64 bits: only the rows that are still selected */
            const int32_t *src = (const int32_t *)cv->values + row0;
            out->d.l = sp_arena_alloc(a, sizeof(int64_t) * (n ? n : 1));
            for (uint32_t k = 0; k < rows; k++) {
                uint32_t i = sel ? sel[k] : k;
                out->d.l[i] = src[i];
            }
            break;
        }
        case SP_TYPE_REAL: out->d.r = (double *)cv->values + row0; break;
        default: out->d.l = (int64_t *)cv->values + row0; break;
        }
        return;
    }
    out->gids = cv->gids ? cv->gids + (cv->enc == SP_ENC_PLAIN ? row0 : 0) : NULL;
    out->tdict = cv->tdict;
    if (cv->enc == SP_ENC_PLAIN) {
        /* (pointer, length) pairs for the selected rows only (late materialisation). */
        out->enc = KV_FLAT;
        out->d.s = sp_arena_alloc(a, sizeof(kstr) * (n ? n : 1));
        const uint32_t *offs = cv->offs + row0;
        if (!sel) {
            for (uint32_t i = 0; i < n; i++) {
                out->d.s[i].p = cv->bytes + offs[i];
                out->d.s[i].n = offs[i + 1] - offs[i];
            }
        } else {
            prefetch_offsets(offs, sel, nsel, n);
            for (uint32_t k = 0; k < nsel; k++)
                out->d.s[sel[k]] = plain_text(cv, offs, sel[k]);
        }
        return;
    }
    if (!cv->codes && !cv->codes8) {
        const_entry(a, cv, out);
        return;
    }
    out->enc = KV_DICT;
    if (cv->codes)
        out->codes = cv->codes + row0;
    else
        out->codes8 = cv->codes8 + row0;
    out->dict_id = dict_id ? dict_id : cv->offs;
    out->dict = dict_entries(a, cv, out->dict_id, cache);
}

/* ---- ids without text (kvec.ids_only) ---- */

static bool has_ids(const sp_colview *cv)
{
    return cv->gids && (cv->type == SP_TYPE_STRING || cv->type == SP_TYPE_GUID);
}

static void ids_vector(const sp_colview *cv, uint32_t n, const uint32_t *gids, kvec *out)
{
    memset(out, 0, sizeof *out);
    out->type = cv->type;
    out->enc = KV_FLAT;
    out->n = n;
    out->gids = gids;
    out->tdict = cv->tdict;
    out->ids_only = true;
    out->stable_text = true; /* the chunk's own text, as a text vector's */
    out->toffs = cv->offs;
    out->tbytes = cv->bytes;
}

bool kvec_from_colview_ids(sp_arena *a, const sp_colview *cv, uint32_t row0, uint32_t n, kvec *out)
{
    /* A dictionary-encoded slice stays encoded (its ids are the entries'): only a plain
     * view saves anything, the offsets of every selected row. */
    if (!has_ids(cv) || cv->enc != SP_ENC_PLAIN)
        return false;
    ids_vector(cv, n, cv->gids + row0, out);
    out->toffs = cv->offs + row0;
    out->unset = bits_slice(a, cv->unset, row0, n);
    out->jnull = bits_slice(a, cv->jnull, row0, n);
    return true;
}

bool kvec_from_colview_ids_rows(sp_arena *a, const sp_colview *cv, uint32_t row0, const uint32_t *rows, uint32_t n,
                                kvec *out)
{
    bool plain = cv->enc == SP_ENC_PLAIN;
    if (!has_ids(cv) || (!plain && !cv->codes && !cv->codes8)) /* one entry for every row: a constant */
        return false;
    uint32_t *g = sp_arena_alloc(a, sizeof(uint32_t) * (n ? n : 1));
    if (plain) {
        for (uint32_t k = 0; k < n; k++)
            g[k] = cv->gids[row0 + rows[k]];
        ids_vector(cv, n, g, out);
        out->toffs = cv->offs + row0;
        out->tent = rows; /* the batch's selection: lives as long as the vector */
    } else {
        uint32_t *e = sp_arena_alloc(a, sizeof(uint32_t) * (n ? n : 1));
        for (uint32_t k = 0; k < n; k++) {
            e[k] = code_at(cv, row0 + rows[k]);
            g[k] = cv->gids[e[k]];
        }
        ids_vector(cv, n, g, out);
        out->tent = e;
    }
    out->unset = kbits_gather(a, cv->unset, row0, rows, n, false);
    out->jnull = kbits_gather(a, cv->jnull, row0, rows, n, false);
    return true;
}

void kvec_prefetch_ids(const sp_colview *cv, uint32_t row0, const uint32_t *rows, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = row0 + rows[k];
        if (cv->enc == SP_ENC_PLAIN)
            sp_prefetch(&cv->gids[r]);
        else
            prefetch_code(cv, r);
    }
}

kvec *kvec_ids_materialise(sp_arena *a, const kvec *v, const uint32_t *sel, uint32_t nsel)
{
    kvec *f = sp_arena_alloc(a, sizeof *f);
    *f = *v;
    f->ids_only = false;
    f->d.s = sp_arena_alloc(a, sizeof(kstr) * (v->n ? v->n : 1));
    for (uint32_t k = 0; k < nsel; k++) {
        uint32_t i = sel ? sel[k] : k;
        kval t;
        kvec_id_text(v, i, &t);
        f->d.s[i] = t.u.s;
    }
    return f;
}

/* ---- selections from bit masks ---- */

/* ksel_bit_positions[b] (exec_int.h): the positions of b's set bits, in order (8 past them), computed by the
 * compiler: position k is the number of prefixes b & (2^(j+1) - 1), j < 8, holding at
 * most k set bits. */
#define BP_PC8(x) (((x)&1) + ((x) >> 1 & 1) + ((x) >> 2 & 1) + ((x) >> 3 & 1) + ((x) >> 4 & 1) + ((x) >> 5 & 1) + \
                   ((x) >> 6 & 1) + ((x) >> 7 & 1))
#define BP_LE(b, j, k) (BP_PC8((b) & ((2u << (j)) - 1)) <= (k))
#define BP(b, k) \
    (BP_LE(b, 0, k) + BP_LE(b, 1, k) + BP_LE(b, 2, k) + BP_LE(b, 3, k) + BP_LE(b, 4, k) + BP_LE(b, 5, k) + \
     BP_LE(b, 6, k) + BP_LE(b, 7, k))
#define BP_ROW(b) {BP(b, 0), BP(b, 1), BP(b, 2), BP(b, 3), BP(b, 4), BP(b, 5), BP(b, 6), BP(b, 7)}
#define BP_R4(b) BP_ROW(b), BP_ROW((b) + 1), BP_ROW((b) + 2), BP_ROW((b) + 3)
#define BP_R16(b) BP_R4(b), BP_R4((b) + 4), BP_R4((b) + 8), BP_R4((b) + 12)
#define BP_R64(b) BP_R16(b), BP_R16((b) + 16), BP_R16((b) + 32), BP_R16((b) + 48)
const uint8_t ksel_bit_positions[256][8] = {BP_R64(0u), BP_R64(64u), BP_R64(128u), BP_R64(192u)};

