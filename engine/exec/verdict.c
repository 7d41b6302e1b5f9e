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
#include <stdlib.h>
#include <string.h>

#define KVD_PAGE_BITS 14
#define KVD_PAGE (1u << KVD_PAGE_BITS)
#define KVD_PAGES (SP_TDICT_MAX_ENTRIES / KVD_PAGE)
#define KVD_TABS 4

enum { KVD_UNKNOWN = 0, KVD_TRUE = 1, KVD_FALSE = 2, KVD_NULL = 3 };

struct kverdict_tab {
    atomic_int refs;
    uint64_t serial;
    uint64_t used; /* the cache's clock when last acquired (under its lock) */
    _Atomic(atomic_uchar *) pages[KVD_PAGES];
};

struct kverdict {
    pthread_mutex_t mu;
    kverdict_tab *tabs[KVD_TABS]; /* a reference each */
    uint64_t clock;
};

static atomic_uint_fast64_t total_bytes;

uint64_t kverdict_bytes(void)
{
    return atomic_load_explicit(&total_bytes, memory_order_relaxed);
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
    }
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

static void verdict_put(kverdict_tab *t, uint32_t g, uint8_t code)
{
    if (g >= SP_TDICT_MAX_ENTRIES)
        return;
    _Atomic(atomic_uchar *) *slot = &t->pages[g >> KVD_PAGE_BITS];
    atomic_uchar *page = atomic_load_explicit(slot, memory_order_acquire);
    if (!page) {
        uint64_t before = atomic_fetch_add_explicit(&total_bytes, KVD_PAGE, memory_order_relaxed);
        if (before + KVD_PAGE > sp_limits.verdict_cache_bytes) { /* over budget: not cached */
            atomic_fetch_sub_explicit(&total_bytes, KVD_PAGE, memory_order_relaxed);
            return;
        }
        atomic_uchar *fresh = sp_xcalloc(KVD_PAGE, 1);
        if (atomic_compare_exchange_strong_explicit(slot, &page, fresh, memory_order_acq_rel, memory_order_acquire)) {
            page = fresh;
        } else { /* another thread published it first: page holds theirs */
            free(fresh);
            atomic_fetch_sub_explicit(&total_bytes, KVD_PAGE, memory_order_relaxed);
        }
    }
    atomic_store_explicit(&page[g & (KVD_PAGE - 1)], code, memory_order_relaxed);
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
                            sp_arena *out_arena, sp_arena *arena)
{
    uint32_t n = dict->n;
    kvec *out = kvec_new_flat(out_arena, SP_TYPE_BOOL, n);
    uint32_t *miss = sp_arena_alloc(arena, sizeof(uint32_t) * (n ? n : 1));
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
 * verdicts, with no bool vector in between. */
bool kverdict_filter(kexec *ex, kinstr *in, kvec *x, kbatch *b, sp_arena *arena)
{
    if (!x->gids || !x->tdict || x->enc != KV_FLAT)
        return false;
    kverdict_tab *t = table_for(ex, in, x);
    if (!t)
        return false;
    uint32_t rows = kbatch_rows(b);
    uint32_t *sel = sp_arena_alloc(arena, sizeof(uint32_t) * (rows ? rows : 1));
    const uint32_t *g = x->gids;
    uint32_t m = 0;
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
                cached = entry_verdicts(ex, in, t, d, x->gids, &in->cache_arena, arena);
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
