/* verdict.c — verdict caches: a string predicate evaluated once per distinct text.
 *
 * Detection filters test high-cardinality text columns (UserPrincipalName startswith
 * "admin", IPAddress startswith "185.220.") with constant arguments. Those columns are not
 * dictionary-encoded, so each row's text was tested: 8-30 ns per row, against ~1 ns for a
 * dictionary column tested per entry. The store numbers the distinct texts of a column
 * table-wide (tdict.c, kvec.gids); the verdict of a predicate that depends on one column
 * and on constants only (kx_verdict_col) is then a function of the gid, and is cached in
 * an array indexed by gid: one byte read per row once the texts have been seen, whatever
 * the chunk and its encoding.
 *
 * The cache lives with the plan (kplan_exec_state, keyed by the predicate's node), not
 * with one execution: a per-event rule runs once per sealed chunk, and what it learnt about
 * a user on one chunk holds for the next. One plan runs in several seal threads at once, so
 * the cache is shared: a verdict is a byte (unknown, true, false, null) written with a
 * relaxed atomic store — two threads that miss the same gid both evaluate it and store the
 * same byte — in pages of KVD_PAGE bytes allocated on first store and published by a
 * compare-and-swap, so the array grows with the dictionary without ever moving.
 *
 * One table per dictionary (sp_tdict_serial): a column whose dictionary was retired is read
 * through a new one with other ids. A cache keeps its KVD_TABS most recently used tables;
 * an instruction holds a reference to the table it reads, so a table dropped by the cache
 * goes when its last reader is done. All tables together hold at most
 * sp_limits.verdict_cache_bytes: beyond that, texts whose page is missing are evaluated
 * each time (exact, just not cached).
 *
 * Reading the bytes is a random access per row into an array the size of the dictionary:
 * with the ~110 k addresses of 1 M sign-ins it no longer fits the first-level cache. So a
 * table also keeps a known prefix (ids [0, known) all have a verdict, moved on lazily by
 * the readers that need it) with the TRUE ones as bits and, while there are at most
 * KVD_LIST of them, as a list. A filter whose rows' ids all fall below the prefix compares
 * the ids with that list four at a time (the usual detection: a handful of matching texts,
 * often none), else reads the bits; the largest id is found in the same pass over the ids,
 * and a batch with an id past the prefix goes the byte path. A reader that finds all of
 * its batch's texts known but not all below the prefix (ids its plan never read: rows an
 * earlier conjunct dropped, chunks out of range) evaluates a few times its rows of the ids
 * past the prefix from the dictionary's texts, so a plan re-reading its data (resident
 * tables, recurring texts) soon reads only the prefix; fresh data and one-off queries,
 * whose batches hold unknown texts, never pay for texts they do not read, and neither do
 * sparse batches (a few rows an earlier conjunct kept), which read few ids anyway.
 *
 * Exactness: the predicate is the same program over the texts either way (`sub`, compiled
 * from the same nodes), so a cached verdict is the direct result. Presence (kvec.unset,
 * kvec.jnull) never enters a verdict: the builtins that read it are not verdict builtins
 * and run per row outside (a Sigma `''` is `isempty(x) and $sig_notnull(x)`: the first
 * half is cached, the guard is not). Vectors without ids (computed, converted, constant)
 * run the program on the batch directly.
 */
#include "engine/exec/exec_int.h"

#include <pthread.h>
#include <stdatomic.h>
#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#define KVD_PAGE_BITS 14
#define KVD_PAGE (1u << KVD_PAGE_BITS)
#define KVD_PAGES (SP_TDICT_MAX_ENTRIES / KVD_PAGE)
#define KVD_TABS 4

#define KVD_WORDS (KVD_PAGE / 64) /* bit words per page */
#define KVD_LIST 4                /* TRUE ids a reader compares with instead of reading bits */

enum { KVD_UNKNOWN = 0, KVD_TRUE = 1, KVD_FALSE = 2, KVD_NULL = 3 };

typedef _Atomic uint64_t kvd_word;

struct kverdict_tab {
    atomic_int refs;
    uint64_t serial;
    uint64_t used; /* the cache's clock when last acquired (under its lock) */
    void *_Atomic pages[KVD_PAGES]; /* atomic_uchar[KVD_PAGE] each */
    /* The known prefix: every id below `known` has a verdict, and bits (a page of
     * KVD_PAGE bits beside each page of verdicts) has the bit of each TRUE one set. Only
     * the thread holding mu writes bits or moves known; readers load known (acquire) and
     * then read the bits below it, which no longer change. */
    atomic_uint known;
    atomic_bool null_below; /* some id below known is NULL, which a bit cannot tell from FALSE */
    /* TRUE ids below known, and the first KVD_LIST of them (written before ntrue, which is
     * stored with release): a detection's predicate is usually TRUE for a handful of
     * texts, and comparing ids with those few reads no table at all. */
    atomic_uint ntrue;
    atomic_uint trues[KVD_LIST];
    pthread_mutex_t mu;
    void *_Atomic bits[KVD_PAGES];  /* kvd_word[KVD_WORDS] each */
};

struct kverdict {
    pthread_mutex_t mu;
    kverdict_tab *tabs[KVD_TABS]; /* a reference each */
    uint64_t clock;
};

static atomic_uint_fast64_t total_bytes;
static atomic_uint_fast64_t prefix_reads; /* batches and dictionaries served from a known prefix */

uint64_t kverdict_bytes(void)
{
    return atomic_load_explicit(&total_bytes, memory_order_relaxed);
}

uint64_t kverdict_prefix_reads(void)
{
    return atomic_load_explicit(&prefix_reads, memory_order_relaxed);
}

static void *cache_new(void)
{
    kverdict *v = sp_xcalloc(1, sizeof *v);
    pthread_mutex_init(&v->mu, NULL);
    return v;
}

void kverdict_release(kverdict_tab *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    for (uint32_t p = 0; p < KVD_PAGES; p++) {
        atomic_uchar *page = atomic_load_explicit(&t->pages[p], memory_order_relaxed);
        if (page) {
            free(page);
            atomic_fetch_sub_explicit(&total_bytes, KVD_PAGE, memory_order_relaxed);
        }
        kvd_word *bits = atomic_load_explicit(&t->bits[p], memory_order_relaxed);
        if (bits) {
            free(bits);
            atomic_fetch_sub_explicit(&total_bytes, KVD_PAGE / 8, memory_order_relaxed);
        }
    }
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static void cache_free(void *p)
{
    kverdict *v = p;
    for (int i = 0; i < KVD_TABS; i++)
        kverdict_release(v->tabs[i]);
    pthread_mutex_destroy(&v->mu);
    free(v);
}

/* The table of dictionary `serial`, with a reference for the caller. */
static kverdict_tab *cache_table(kverdict *v, uint64_t serial)
{
    pthread_mutex_lock(&v->mu);
    v->clock++;
    int at = -1, oldest = 0;
    for (int i = 0; i < KVD_TABS; i++) {
        if (v->tabs[i] && v->tabs[i]->serial == serial)
            at = i;
        if (!v->tabs[i] || (v->tabs[oldest] && v->tabs[i]->used < v->tabs[oldest]->used))
            oldest = i;
    }
    if (at < 0) { /* a new dictionary: replaces the least recently used one */
        at = oldest;
        kverdict_release(v->tabs[at]);
        kverdict_tab *t = sp_xcalloc(1, sizeof *t);
        atomic_init(&t->refs, 1);
        pthread_mutex_init(&t->mu, NULL);
        t->serial = serial;
        v->tabs[at] = t;
    }
    kverdict_tab *t = v->tabs[at];
    t->used = v->clock;
    atomic_fetch_add(&t->refs, 1);
    pthread_mutex_unlock(&v->mu);
    return t;
}

static inline uint8_t verdict_get(const kverdict_tab *t, uint32_t g)
{
    if (g >= SP_TDICT_MAX_ENTRIES)
        return KVD_UNKNOWN;
    atomic_uchar *page = atomic_load_explicit(&((kverdict_tab *)t)->pages[g >> KVD_PAGE_BITS], memory_order_acquire);
    return page ? atomic_load_explicit(&page[g & (KVD_PAGE - 1)], memory_order_relaxed) : KVD_UNKNOWN;
}

/* The page in *slot, allocated (zeroed) and published when missing and the budget allows
 * `bytes` more; NULL when over budget. */
static void *page_get(void *_Atomic *slot, size_t bytes)
{
    void *page = atomic_load_explicit(slot, memory_order_acquire);
    if (page)
        return page;
    uint64_t before = atomic_fetch_add_explicit(&total_bytes, bytes, memory_order_relaxed);
    if (before + bytes > sp_limits.verdict_cache_bytes) { /* over budget: not cached */
        atomic_fetch_sub_explicit(&total_bytes, bytes, memory_order_relaxed);
        return NULL;
    }
    void *fresh = sp_xcalloc(bytes, 1);
    if (atomic_compare_exchange_strong_explicit(slot, &page, fresh, memory_order_acq_rel, memory_order_acquire))
        return fresh;
    free(fresh); /* another thread published it first: page holds theirs */
    atomic_fetch_sub_explicit(&total_bytes, bytes, memory_order_relaxed);
    return page;
}

static void verdict_put(kverdict_tab *t, uint32_t g, uint8_t code)
{
    if (g >= SP_TDICT_MAX_ENTRIES)
        return;
    atomic_uchar *page = page_get(&t->pages[g >> KVD_PAGE_BITS], KVD_PAGE);
    if (!page)
        return;
    atomic_store_explicit(&page[g & (KVD_PAGE - 1)], code, memory_order_relaxed);
}

/* ---- the known prefix, one bit per id ----
 *
 * A byte per id makes the array of a column with a few hundred thousand distinct texts
 * (IPAddress over 1 M sign-ins) larger than the first-level cache, and every row does a
 * random read into it. Once the verdicts of a prefix of the ids are all known, the TRUE
 * ones are also kept as bits (1/8 of the bytes) and a filter whose rows' ids all fall in
 * the prefix reads just those bits. The bytes stay the truth: the prefix only ever grows
 * over ids whose byte is set (verdicts never change), so ids past it, unknown ones and
 * other dictionaries (another table, another prefix) go the byte path as before. */

static inline unsigned bit_at(kvd_word *const *bp, uint32_t g)
{
    kvd_word *w = &bp[g >> KVD_PAGE_BITS][(g >> 6) & (KVD_WORDS - 1)];
    return (unsigned)(atomic_load_explicit(w, memory_order_relaxed) >> (g & 63)) & 1;
}

/* The bit pages of ids [0, known), known > 0 read with acquire: all published. */
static void bit_pages(kverdict_tab *t, uint32_t known, kvd_word **bp)
{
    for (uint32_t p = 0; p <= (known - 1) >> KVD_PAGE_BITS; p++)
        bp[p] = atomic_load_explicit(&t->bits[p], memory_order_relaxed);
}

/* Moves the prefix past every id that has a verdict, setting the bits of the TRUE ones;
 * stops at the first unknown id or when the budget has no room for a page of bits.
 * t->mu held. Returns the new prefix. */
static uint32_t advance_locked(kverdict_tab *t)
{
    uint32_t k = atomic_load_explicit(&t->known, memory_order_relaxed);
    while (k < SP_TDICT_MAX_ENTRIES) {
        uint32_t p = k >> KVD_PAGE_BITS, end = (p + 1) << KVD_PAGE_BITS;
        atomic_uchar *page = atomic_load_explicit(&t->pages[p], memory_order_acquire);
        kvd_word *bits = page ? page_get(&t->bits[p], KVD_PAGE / 8) : NULL;
        if (!bits)
            break;
        for (; k < end; k++) {
            uint8_t c = atomic_load_explicit(&page[k & (KVD_PAGE - 1)], memory_order_relaxed);
            if (c == KVD_UNKNOWN)
                break;
            if (c == KVD_NULL)
                atomic_store_explicit(&t->null_below, true, memory_order_relaxed);
            if (c == KVD_TRUE) {
                kvd_word *w = &bits[(k >> 6) & (KVD_WORDS - 1)];
                atomic_store_explicit(w, atomic_load_explicit(w, memory_order_relaxed) | 1ull << (k & 63),
                                      memory_order_relaxed);
                uint32_t n = atomic_load_explicit(&t->ntrue, memory_order_relaxed);
                if (n < KVD_LIST)
                    atomic_store_explicit(&t->trues[n], k, memory_order_relaxed);
                atomic_store_explicit(&t->ntrue, n + 1, memory_order_release);
            }
        }
        if (k < end)
            break;
    }
    atomic_store_explicit(&t->known, k, memory_order_release);
    return k;
}

/* The prefix for a reader whose largest id is hi, moved on first when it does not cover
 * hi (unless another thread is moving it). */
static uint32_t known_for(kverdict_tab *t, uint32_t hi)
{
    uint32_t k = atomic_load_explicit(&t->known, memory_order_acquire);
    if (hi < k || pthread_mutex_trylock(&t->mu) != 0)
        return k;
    k = advance_locked(t);
    pthread_mutex_unlock(&t->mu);
    return k;
}

static uint32_t max_id(const uint32_t *g, const uint32_t *sel, uint32_t rows)
{
    uint32_t hi = 0;
    if (sel)
        for (uint32_t k = 0; k < rows; k++)
            hi = g[sel[k]] > hi ? g[sel[k]] : hi;
    else
        for (uint32_t i = 0; i < rows; i += 16) {
            __builtin_prefetch(g + i + 256);
            uint32_t e = rows - i < 16 ? rows - i : 16;
            for (uint32_t j = 0; j < e; j++)
                hi = g[i + j] > hi ? g[i + j] : hi;
        }
    return hi;
}

static int evaluate(kexec *ex, kinstr *in, kverdict_tab *t, sp_type type, const kstr *texts, const uint32_t *gids,
                    uint32_t m, uint8_t *codes, sp_arena *arena);

/* A reader found a verdict for every id of its batch, yet not all of them below the
 * prefix: the ids in between are texts this plan has not read (rows that other conjuncts
 * dropped, chunks out of a time range, texts not seen yet). Evaluates the unknown ones of
 * the next `budget` ids past the prefix from the dictionary's texts and moves the prefix
 * on, so that the plan's later batches read bits. Only a plan that keeps finding its texts
 * known (resident data read again, recurring texts) pays this, and at most `budget` (a
 * few times its batch's rows) each time; the work is the cache's, not the query's steps. */
static int extend(kexec *ex, kinstr *in, kverdict_tab *t, const sp_tdict *d, sp_type type, uint32_t budget,
                  sp_arena *arena)
{
    if (pthread_mutex_trylock(&t->mu) != 0)
        return 0;
    uint32_t from = advance_locked(t), count = sp_tdict_count(d);
    uint32_t to = count - from > budget ? from + budget : count;
    int r = 0;
    if (from < to) {
        kstr *texts = sp_arena_alloc(arena, sizeof(kstr) * (to - from));
        uint32_t *gids = sp_arena_alloc(arena, sizeof(uint32_t) * (to - from));
        uint32_t m = 0;
        for (uint32_t g = from; g < to; g++) {
            if (verdict_get(t, g) != KVD_UNKNOWN)
                continue;
            size_t len;
            texts[m].p = sp_tdict_text(d, g, &len);
            texts[m].n = (uint32_t)len;
            gids[m++] = g;
        }
        uint64_t steps = ex->vm_steps;
        if (m)
            r = evaluate(ex, in, t, type, texts, gids, m, sp_arena_alloc(arena, m), arena);
        ex->vm_steps = steps;
        if (r == 0)
            advance_locked(t);
    }
    pthread_mutex_unlock(&t->mu);
    return r;
}

/* The TRUE ids listed in t into list when there are at most KVD_LIST of them, with their
 * number; UINT32_MAX otherwise. The list may name ids past a prefix read earlier: no row
 * below that prefix has them. */
static uint32_t true_list(kverdict_tab *t, uint32_t *list)
{
    uint32_t n = atomic_load_explicit(&t->ntrue, memory_order_acquire);
    if (n > KVD_LIST)
        return UINT32_MAX;
    for (uint32_t j = 0; j < n; j++)
        list[j] = atomic_load_explicit(&t->trues[j], memory_order_relaxed);
    return n;
}

/* Rows of the selection whose id is one of the n listed (n <= KVD_LIST), in one pass that
 * also finds the largest id (*hi): the caller keeps the answer only when that id is below
 * the prefix. The ids stream in from memory; four are compared at once. */
static uint32_t select_listed(const uint32_t *g, const uint32_t *sel, uint32_t rows, const uint32_t *list, uint32_t n,
                              uint32_t *out, uint32_t *hi)
{
    uint32_t m = 0, top = 0, i = 0;
    if (sel) {
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t id = g[sel[k]];
            unsigned eq = 0;
            for (uint32_t j = 0; j < n; j++)
                eq |= id == list[j];
            top = id > top ? id : top;
            out[m] = sel[k];
            m += eq;
        }
        *hi = top;
        return m;
    }
#if defined(__SSE4_1__)
    __m128i want[KVD_LIST], mx = _mm_setzero_si128();
    for (uint32_t j = 0; j < n; j++)
        want[j] = _mm_set1_epi32((int)list[j]);
    for (; i + 4 <= rows; i += 4) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(g + i));
        mx = _mm_max_epu32(mx, c);
        if (!n)
            continue;
        __m128i eq = _mm_cmpeq_epi32(c, want[0]);
        for (uint32_t j = 1; j < n; j++)
            eq = _mm_or_si128(eq, _mm_cmpeq_epi32(c, want[j]));
        m = ksel_append(out, m, i, (unsigned)_mm_movemask_ps(_mm_castsi128_ps(eq)));
    }
    mx = _mm_max_epu32(mx, _mm_shuffle_epi32(mx, _MM_SHUFFLE(1, 0, 3, 2)));
    mx = _mm_max_epu32(mx, _mm_shuffle_epi32(mx, _MM_SHUFFLE(2, 3, 0, 1)));
    top = (uint32_t)_mm_cvtsi128_si32(mx);
#endif
    for (; i < rows; i++) {
        unsigned eq = 0;
        for (uint32_t j = 0; j < n; j++)
            eq |= g[i] == list[j];
        top = g[i] > top ? g[i] : top;
        out[m] = i;
        m += eq;
    }
    *hi = top;
    return m;
}

/* Rows of the selection whose ids are all below the prefix `known`: the TRUE ones. */
static uint32_t select_bits(kverdict_tab *t, uint32_t known, const uint32_t *g, const uint32_t *sel, uint32_t rows,
                            uint32_t *out)
{
    kvd_word *bp[KVD_PAGES];
    bit_pages(t, known, bp);
    uint32_t m = 0;
    if (sel) {
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t i = sel[k];
            out[m] = i;
            m += bit_at(bp, g[i]);
        }
        return m;
    }
    /* Eight rows at a time: a selective predicate mostly finds none of them. */
    uint32_t i = 0;
    for (; i + 8 <= rows; i += 8) {
        const uint32_t *c = g + i;
        unsigned hit = bit_at(bp, c[0]) | bit_at(bp, c[1]) << 1 | bit_at(bp, c[2]) << 2 | bit_at(bp, c[3]) << 3 |
                       bit_at(bp, c[4]) << 4 | bit_at(bp, c[5]) << 5 | bit_at(bp, c[6]) << 6 | bit_at(bp, c[7]) << 7;
        while (hit) {
            out[m++] = i + (uint32_t)__builtin_ctz(hit);
            hit &= hit - 1;
        }
    }
    for (; i < rows; i++) {
        out[m] = i;
        m += bit_at(bp, g[i]);
    }
    return m;
}

/* The table for vector x's dictionary, or NULL when the plan cannot keep one. */
static kverdict_tab *table_for(kexec *ex, kinstr *in, const kvec *x)
{
    uint64_t serial = sp_tdict_serial(x->tdict);
    if (in->vtab && in->vtab->serial == serial)
        return in->vtab;
    if (!ex->plan)
        return NULL;
    if (!in->vc)
        in->vc = kplan_exec_state(ex->plan, in->node, cache_new, cache_free);
    kverdict_release(in->vtab);
    in->vtab = cache_table(in->vc, serial);
    return in->vtab;
}

/* Runs the predicate on m texts (their gids in gids) and caches the verdicts; codes[j]
 * receives text j's. Returns -1 after a runtime error. */
static int evaluate(kexec *ex, kinstr *in, kverdict_tab *t, sp_type type, const kstr *texts, const uint32_t *gids,
                    uint32_t m, uint8_t *codes, sp_arena *arena)
{
    kvec *tv = kvec_new_flat(arena, type, m);
    memcpy(tv->d.s, texts, sizeof(kstr) * m);
    kbatch sb = {.n = m, .nsel = m, .ncols = 1, .cols = &tv, .arena = arena};
    kvec *r = kprog_eval(ex, in->sub, &sb, arena);
    if (!r)
        return -1;
    for (uint32_t j = 0; j < m; j++) {
        codes[j] = kvec_is_null(r, j) ? KVD_NULL : kvec_bool(r, j) ? KVD_TRUE : KVD_FALSE;
        verdict_put(t, gids[j], codes[j]);
    }
    return 0;
}

/* Verdicts of entries [0, n) of a dictionary (their gids in gids) as a bool vector. */
static kvec *entry_verdicts(kexec *ex, kinstr *in, kverdict_tab *t, const kvec *dict, const uint32_t *gids,
                            const sp_tdict *tdict, sp_arena *out_arena, sp_arena *arena)
{
    uint32_t n = dict->n;
    kvec *out = kvec_new_flat(out_arena, SP_TYPE_BOOL, n);
    uint32_t known = atomic_load_explicit(&t->known, memory_order_acquire), list[KVD_LIST], nl = true_list(t, list);
    bool nulls = atomic_load_explicit(&t->null_below, memory_order_relaxed); /* after known's acquire */
    uint32_t *miss = sp_arena_alloc(arena, sizeof(uint32_t) * (n + KSEL_PAD));
    uint32_t hi = 0;
    if (n && nl != UINT32_MAX && !nulls) { /* the entries with a listed id, and the largest id */
        uint32_t m = select_listed(gids, NULL, n, list, nl, miss, &hi);
        if (hi < known) {
            atomic_fetch_add_explicit(&prefix_reads, 1, memory_order_relaxed);
            memset(out->d.b, 0, n);
            for (uint32_t j = 0; j < m; j++)
                out->d.b[miss[j]] = 1;
            return out;
        }
    } else {
        hi = max_id(gids, NULL, n);
    }
    known = n ? known_for(t, hi) : 0;
    if (hi < known && !atomic_load_explicit(&t->null_below, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&prefix_reads, 1, memory_order_relaxed);
        kvd_word *bp[KVD_PAGES];
        bit_pages(t, known, bp);
        for (uint32_t e = 0; e < n; e++)
            out->d.b[e] = (uint8_t)bit_at(bp, gids[e]);
        return out;
    }
    uint32_t nmiss = 0;
    for (uint32_t e = 0; e < n; e++) {
        uint8_t c = verdict_get(t, gids[e]);
        out->d.b[e] = c == KVD_TRUE;
        if (c == KVD_NULL)
            kvec_set_null(out, e);
        miss[nmiss] = e;
        nmiss += c == KVD_UNKNOWN;
    }
    if (nmiss) {
        kstr *texts = sp_arena_alloc(arena, sizeof(kstr) * nmiss);
        uint32_t *mg = sp_arena_alloc(arena, sizeof(uint32_t) * nmiss);
        uint8_t *codes = sp_arena_alloc(arena, nmiss);
        for (uint32_t j = 0; j < nmiss; j++) {
            texts[j] = dict->d.s[miss[j]];
            mg[j] = gids[miss[j]];
        }
        if (evaluate(ex, in, t, dict->type, texts, mg, nmiss, codes, arena) != 0)
            return NULL;
        for (uint32_t j = 0; j < nmiss; j++) {
            out->d.b[miss[j]] = codes[j] == KVD_TRUE;
            if (codes[j] == KVD_NULL)
                kvec_set_null(out, miss[j]);
        }
    } else if (n && extend(ex, in, t, tdict, dict->type, 4 * n, arena) != 0) {
        return NULL;
    }
    return out;
}

/* Row by row over the selection: one lookup per row, the unknown texts evaluated. */
static kvec *row_verdicts(kexec *ex, kinstr *in, kverdict_tab *t, const kvec *x, kbatch *b, sp_arena *arena)
{
    uint32_t rows = kbatch_rows(b);
    kvec *out = kvec_new_flat(arena, SP_TYPE_BOOL, b->n);
    uint8_t *res = out->d.b;
    uint32_t *odd = sp_arena_alloc(arena, sizeof(uint32_t) * (rows ? rows : 1)); /* unknown or null */
    uint32_t nodd = 0;
    const uint32_t *g = x->gids;
    const uint32_t *sel = b->sel;
    if (x->enc == KV_FLAT) {
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t i = sel ? sel[k] : k;
            uint8_t c = verdict_get(t, g[i]);
            res[i] = c == KVD_TRUE;
            odd[nodd] = i;
            nodd += c == KVD_UNKNOWN || c == KVD_NULL;
        }
    } else {
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t i = sel ? sel[k] : k;
            uint8_t c = verdict_get(t, g[kvec_code(x, i)]);
            res[i] = c == KVD_TRUE;
            odd[nodd] = i;
            nodd += c == KVD_UNKNOWN || c == KVD_NULL;
        }
    }
    if (!nodd)
        return out;
    kstr *texts = sp_arena_alloc(arena, sizeof(kstr) * nodd);
    uint32_t *mg = sp_arena_alloc(arena, sizeof(uint32_t) * nodd);
    uint32_t *mrow = sp_arena_alloc(arena, sizeof(uint32_t) * nodd);
    uint32_t m = 0;
    for (uint32_t j = 0; j < nodd; j++) {
        uint32_t i = odd[j];
        uint32_t gid = kvec_gid(x, i);
        if (verdict_get(t, gid) == KVD_NULL) {
            kvec_set_null(out, i);
            continue;
        }
        texts[m] = kvec_str(x, i);
        mg[m] = gid;
        mrow[m++] = i;
    }
    if (!m)
        return out;
    uint8_t *codes = sp_arena_alloc(arena, m);
    if (evaluate(ex, in, t, x->type, texts, mg, m, codes, arena) != 0)
        return NULL;
    for (uint32_t j = 0; j < m; j++) {
        res[mrow[j]] = codes[j] == KVD_TRUE;
        if (codes[j] == KVD_NULL)
            kvec_set_null(out, mrow[j]);
    }
    return out;
}

/* A filter on plain rows whose texts have all been seen: the kept rows straight from the
 * verdicts (bits when the rows' ids are all in the known prefix), with no bool vector in
 * between. */
bool kverdict_filter(kexec *ex, kinstr *in, kvec *x, kbatch *b, sp_arena *arena)
{
    if (!x->gids || !x->tdict || x->enc != KV_FLAT)
        return false;
    kverdict_tab *t = table_for(ex, in, x);
    if (!t)
        return false;
    uint32_t rows = kbatch_rows(b);
    uint32_t *sel = sp_arena_alloc(arena, sizeof(uint32_t) * (rows + KSEL_PAD));
    const uint32_t *g = x->gids;
    uint32_t known = atomic_load_explicit(&t->known, memory_order_acquire), list[KVD_LIST], nl = true_list(t, list);
    uint32_t hi = 0, m = 0;
    if (rows && nl != UINT32_MAX) {
        m = select_listed(g, b->sel, rows, list, nl, sel, &hi);
        if (hi < known) {
            atomic_fetch_add_explicit(&prefix_reads, 1, memory_order_relaxed);
            goto done;
        }
    } else {
        hi = max_id(g, b->sel, rows);
    }
    known = rows ? known_for(t, hi) : 0;
    m = 0;
    if (hi < known) {
        atomic_fetch_add_explicit(&prefix_reads, 1, memory_order_relaxed);
        m = select_bits(t, known, g, b->sel, rows, sel);
    } else {
        unsigned unknown = 0;
        if (b->sel) {
            for (uint32_t k = 0; k < rows; k++) {
                uint32_t i = b->sel[k];
                uint8_t c = verdict_get(t, g[i]);
                sel[m] = i;
                m += c == KVD_TRUE;
                unknown |= c == KVD_UNKNOWN;
            }
        } else {
            for (uint32_t i = 0; i < rows; i++) {
                uint8_t c = verdict_get(t, g[i]);
                sel[m] = i;
                m += c == KVD_TRUE;
                unknown |= c == KVD_UNKNOWN;
            }
        }
        if (unknown) /* texts not seen yet: the general path evaluates them */
            return false;
        /* A dense batch reads the rows' ids one by one while the prefix has holes: fill
         * them. A sparse one (an earlier conjunct kept few rows) reads only its few rows
         * either way, and would pay per batch to fill ids its plan may never read. */
        if (rows && (uint64_t)rows * 2 >= b->n)
            extend(ex, in, t, x->tdict, x->type, 4 * rows, arena); /* a failure is in ex: the VM stops */
    }
done:
    b->sel = sel;
    b->nsel = m;
    return true;
}

kvec *kverdict_eval(kexec *ex, kinstr *in, kvec *x, kbatch *b, sp_arena *arena)
{
    kverdict_tab *t = x->gids && x->tdict && x->enc != KV_CONST ? table_for(ex, in, x) : NULL;
    if (!t) { /* no ids: the predicate on the batch itself */
        kbatch sb = {.n = b->n, .sel = b->sel, .nsel = b->nsel, .ncols = 1, .cols = &x, .arena = arena};
        return kprog_eval(ex, in->sub, &sb, arena);
    }
    if (x->enc == KV_DICT) {
        /* Per dictionary entry, as a builtin on a dictionary column (vm.c): the filter then
         * selects rows by their one-byte codes. */
        const kvec *d = x->dict;
        kvec *cached = x->dict_id && in->cache_id == x->dict_id ? in->cache : NULL;
        if (cached || d->n <= 1024 || d->n <= 4 * kbatch_rows(b)) {
            if (!cached) {
                sp_arena_reset(&in->cache_arena);
                cached = entry_verdicts(ex, in, t, d, x->gids, x->tdict, &in->cache_arena, arena);
                if (!cached)
                    return NULL;
                in->cache_id = x->dict_id;
                in->cache = x->dict_id ? cached : NULL;
                in->cache_uid = x->dict_id ? sp_arena_alloc(&ex->arena, 1) : NULL;
            }
            kvec *out = sp_arena_calloc(arena, sizeof *out);
            out->type = SP_TYPE_BOOL;
            out->enc = KV_DICT;
            out->n = b->n;
            out->codes = x->codes;
            out->codes8 = x->codes8;
            out->dict = cached;
            /* The verdicts are a dictionary of their own (vm.c's per-entry calls do the
             * same): the filter keeps its kept-entry bytes under this identity. */
            out->dict_id = in->cache == cached ? in->cache_uid : NULL;
            return out;
        }
    }
    return row_verdicts(ex, in, t, x, b, arena);
}
