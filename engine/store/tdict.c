/* tdict.c — table dictionaries: one id space per text column of a table, shared by all
 * of its chunks.
 *
 * A chunk's own dictionary (builder.c) numbers the values of one chunk; a detection reads
 * many chunks and groups or filters by values that recur across all of them (a user, an
 * address). Per-chunk codes cannot be compared between chunks, so summarize hashed the
 * strings and a string predicate ran once per chunk entry — and columns like
 * UserPrincipalName or IPAddress, nearly distinct within one chunk, are not dictionary
 * encoded at all. A string or guid column of a chunk can get a table-wide id (gid) per
 * dictionary entry (per row when the chunk is plain): a group table or a predicate's
 * verdict cache indexed by gid then does one array access per row, whatever the chunk and
 * its encoding.
 *
 * The index costs a hash lookup per entry, about a tenth of ingest if every column paid
 * it, so a column pays only when something reads it through gids: columns the loaded
 * rules and queries name are wanted (sp_table_want_gids) and indexed as their chunks are
 * sealed; any other column of a chunk is indexed the first time a reader asks
 * (sp_chunk_col_gids), once, for every later reader.
 *
 * The chunk stays self-describing: its text and dictionary are unchanged, the gids are an
 * index on the side that can be rebuilt from them (segment files need not store it).
 *
 * Interning happens once per column per sealed chunk, under the dictionary's lock; readers
 * never lock: entries live in fixed pages that never move, and an entry is written before
 * the chunk that first uses its gid is published (the table lock orders them).
 *
 * Columns whose values never repeat (record ids, correlation ids, tokens) would only copy
 * their text into the dictionary: once a dictionary has seen TDICT_PROBE_ROWS rows and
 * holds more distinct values than TDICT_DISTINCT_PCT percent of them, the column gets no
 * further gids. Nor does a column of long texts (JSON kept as strings, such as
 * AuthenticationDetails; mean entry over TDICT_MAX_MEAN_LEN bytes): nobody groups by
 * them, and the dictionary would be a second copy of most of their bytes. A dictionary that
 * reaches TDICT_MAX_ENTRIES (or sp_store_config.tdict_max_entries, which tests lower) is
 * retired: chunks keep their reference to it and it goes with the last of them, and later
 * chunks start a new one — so an address column of a long-running stream does not grow
 * without bound.
 */
#include "engine/store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define TDICT_PAGE_BITS 14
#define TDICT_PAGE (1u << TDICT_PAGE_BITS)
#define TDICT_MAX_ENTRIES SP_TDICT_MAX_ENTRIES
#define TDICT_MAX_PAGES (TDICT_MAX_ENTRIES / TDICT_PAGE)
#define TDICT_PROBE_ROWS 16384u
#define TDICT_DISTINCT_PCT 85u
#define TDICT_MAX_MEAN_LEN 96u

typedef struct tdict_entry {
    const char *text;
    uint32_t len;
    uint32_t hash_lo; /* low half of the hash: rehashing reads no text */
} tdict_entry;

struct sp_tdict {
    atomic_int refs;
    uint64_t serial;
    pthread_mutex_t mu; /* interning */
    atomic_uint count;  /* entries published */
    tdict_entry *pages[TDICT_MAX_PAGES];
    sp_arena text;
    uint64_t *ht; /* high 32 bits of the hash << 32 | gid + 1; 0 = empty */
    uint32_t htmask;
    uint64_t rows_seen; /* rows of the chunks indexed */
    uint64_t text_bytes; /* of all entries */
    atomic_uint_fast64_t mem; /* written under mu, read by stats without it */
};

static atomic_uint_fast64_t next_serial = 1;

/* t->mu held. */
static tdict_slot *slot_at_locked(sp_table *t, int col)
{
    if ((size_t)col >= t->ntdicts) {
        size_t old = t->ntdicts;
        SP_GROW(t->tdicts, t->ntdicts, (size_t)col + 1);
        memset(t->tdicts + old, 0, (t->ntdicts - old) * sizeof *t->tdicts);
    }
    return &t->tdicts[col];
}

static inline const tdict_entry *entry_at(const sp_tdict *d, uint32_t g)
{
    return &d->pages[g >> TDICT_PAGE_BITS][g & (TDICT_PAGE - 1)];
}

static sp_tdict *tdict_new(void)
{
    sp_tdict *d = sp_xcalloc(1, sizeof *d);
    atomic_init(&d->refs, 1);
    atomic_init(&d->count, 0);
    d->serial = atomic_fetch_add(&next_serial, 1);
    pthread_mutex_init(&d->mu, NULL);
    d->text.block_size = 256 << 10;
    d->htmask = 4095;
    d->ht = sp_xcalloc((size_t)d->htmask + 1, sizeof *d->ht);
    atomic_init(&d->mem, sizeof *d + ((size_t)d->htmask + 1) * sizeof *d->ht);
    return d;
}

void tdict_ref(sp_tdict *d)
{
    atomic_fetch_add(&d->refs, 1);
}

void tdict_unref(sp_tdict *d)
{
    if (!d || atomic_fetch_sub(&d->refs, 1) != 1)
        return;
    for (uint32_t p = 0; p < TDICT_MAX_PAGES; p++)
        free(d->pages[p]);
    sp_arena_free(&d->text);
    free(d->ht);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

uint32_t sp_tdict_count(const sp_tdict *d)
{
    return atomic_load_explicit(&((sp_tdict *)d)->count, memory_order_acquire);
}

uint64_t sp_tdict_serial(const sp_tdict *d)
{
    return d->serial;
}

uint64_t sp_tdict_bytes(const sp_tdict *d)
{
    return atomic_load_explicit(&((sp_tdict *)d)->mem, memory_order_relaxed);
}

const char *sp_tdict_text(const sp_tdict *d, uint32_t gid, size_t *len)
{
    const tdict_entry *e = entry_at(d, gid);
    *len = e->len;
    return e->text;
}

/* The gid of s, or UINT32_MAX; *slot receives where a new entry would go. d->mu held. */
static uint32_t find_locked(const sp_tdict *d, const char *s, uint32_t len, uint64_t h, uint32_t *slot)
{
    uint32_t j = (uint32_t)h & d->htmask;
    for (;;) {
        uint64_t x = d->ht[j];
        if (!x)
            break;
        uint32_t g = (uint32_t)x - 1;
        if ((x >> 32) == (h >> 32)) {
            const tdict_entry *e = entry_at(d, g);
            if (e->len == len && sp_bytes_eq(e->text, s, len))
                return g;
        }
        j = (j + 1) & d->htmask;
    }
    *slot = j;
    return UINT32_MAX;
}

bool sp_tdict_find(sp_tdict *d, const char *s, size_t n, uint32_t *gid)
{
    if (n > UINT32_MAX)
        return false;
    uint32_t slot = 0;
    pthread_mutex_lock(&d->mu);
    uint32_t g = find_locked(d, s, (uint32_t)n, sp_hash64(s, n, 0), &slot);
    pthread_mutex_unlock(&d->mu);
    if (g == UINT32_MAX)
        return false;
    *gid = g;
    return true;
}

void sp_text_table_grow(uint64_t **ht, uint32_t *mask, uint32_t (*lo)(const void *ctx, uint32_t entry),
                        const void *ctx)
{
    uint32_t nmask = *mask * 2 + 1;
    uint64_t *nht = sp_xcalloc((size_t)nmask + 1, sizeof *nht);
    for (uint32_t j = 0; j <= *mask; j++) {
        uint64_t x = (*ht)[j];
        if (!x)
            continue;
        uint32_t k = lo(ctx, (uint32_t)x - 1) & nmask;
        while (nht[k])
            k = (k + 1) & nmask;
        nht[k] = x;
    }
    free(*ht);
    *ht = nht;
    *mask = nmask;
}

/* The low half of gid's hash, kept with its entry: rehashing reads no text. */
static uint32_t entry_hash_lo(const void *d, uint32_t g)
{
    return entry_at(d, g)->hash_lo;
}

static void grow_table(sp_tdict *d)
{
    uint32_t was = d->htmask;
    sp_text_table_grow(&d->ht, &d->htmask, entry_hash_lo, d);
    atomic_fetch_add_explicit(&d->mem, ((size_t)d->htmask - was) * sizeof *d->ht, memory_order_relaxed);
}

/* The gid of s, added when new. d->mu held; d has room for one more entry. */
static uint32_t intern_locked(sp_tdict *d, const char *s, uint32_t len, uint64_t h)
{
    uint32_t slot = 0;
    uint32_t g = find_locked(d, s, len, h, &slot);
    if (g != UINT32_MAX)
        return g;
    g = atomic_load_explicit(&d->count, memory_order_relaxed);
    tdict_entry **page = &d->pages[g >> TDICT_PAGE_BITS];
    if (!*page) {
        *page = sp_xmalloc(TDICT_PAGE * sizeof(tdict_entry));
        atomic_fetch_add_explicit(&d->mem, TDICT_PAGE * sizeof(tdict_entry), memory_order_relaxed);
    }
    char *copy = sp_arena_alloc(&d->text, len ? len : 1);
    memcpy(copy, s, len);
    d->text_bytes += len;
    atomic_fetch_add_explicit(&d->mem, len, memory_order_relaxed);
    (*page)[g & (TDICT_PAGE - 1)] = (tdict_entry){copy, len, (uint32_t)h};
    d->ht[slot] = (h >> 32 << 32) | ((uint64_t)g + 1);
    atomic_store_explicit(&d->count, g + 1, memory_order_release);
    if ((size_t)(g + 1) * 2 > (size_t)d->htmask + 1)
        grow_table(d);
    return g;
}

/* ---- per-table slots ---- */

static chunk_gids no_gids; /* a column that gets none: not text, or values that do not repeat */

/* Column col's current dictionary with a reference for the caller, or NULL when the
 * column gets no gids. A dictionary without room for `need` more entries is retired. */
static sp_tdict *slot_take(sp_table *t, int col, uint32_t need)
{
    uint32_t max = t->store->cfg.tdict_max_entries;
    if (!max || max > TDICT_MAX_ENTRIES)
        max = TDICT_MAX_ENTRIES;
    pthread_mutex_lock(&t->mu);
    tdict_slot *sl = slot_at_locked(t, col);
    sp_tdict *d = NULL;
    if (!sl->off) {
        if (sl->dict && sp_tdict_count(sl->dict) + (uint64_t)need > max) {
            tdict_unref(sl->dict);
            sl->dict = NULL;
        }
        if (!sl->dict && need <= max)
            sl->dict = tdict_new();
        d = sl->dict;
        if (d)
            tdict_ref(d);
    }
    pthread_mutex_unlock(&t->mu);
    return d;
}

static void slot_turn_off(sp_table *t, int col, sp_tdict *d)
{
    pthread_mutex_lock(&t->mu);
    tdict_slot *sl = &t->tdicts[col];
    if (sl->dict == d) {
        sl->off = true;
        tdict_unref(sl->dict);
        sl->dict = NULL;
    }
    pthread_mutex_unlock(&t->mu);
}

void tdict_table_free(sp_table *t)
{
    for (size_t i = 0; i < t->ntdicts; i++)
        tdict_unref(t->tdicts[i].dict);
    free(t->tdicts);
}

uint64_t tdict_table_bytes(sp_table *t, int col)
{
    uint64_t b = 0;
    for (size_t i = 0; i < t->ntdicts; i++)
        if ((col < 0 || (size_t)col == i) && t->tdicts[i].dict)
            b += sp_tdict_bytes(t->tdicts[i].dict);
    return b;
}

void sp_table_want_gids(sp_table *t, int col)
{
    if (col < 0)
        return;
    pthread_mutex_lock(&t->mu);
    slot_at_locked(t, col)->want = true;
    pthread_mutex_unlock(&t->mu);
}

/* Entries are interned BATCH at a time in phases, each asking for the cache lines the
 * next one reads: a chunk's values are spread over a table and texts far larger than the
 * caches, and one after another each lookup would be three dependent misses (slot, entry,
 * text). */
#define BATCH 16

/* The index of column col (chunk column k of rows rows), or &no_gids; in the slab of a
 * chunk being sealed (cur, owner) or, built later, in its own allocation (cur NULL). */
static chunk_gids *gids_compute(sp_table *t, int col, const chunk_col *k, uint32_t rows, slab_cursor *cur,
                                sp_chunk *owner)
{
    if (k->type != SP_TYPE_STRING && k->type != SP_TYPE_GUID)
        return &no_gids;
    uint32_t n = k->nentries;
    sp_tdict *d = slot_take(t, col, n);
    if (!d)
        return &no_gids;
    size_t gids_bytes = (size_t)(n ? n : 1) * sizeof(uint32_t);
    uint32_t *gids = cur ? slab_alloc(cur, owner, gids_bytes) : sp_xmalloc(gids_bytes);
    uint64_t hs[BATCH];
    const tdict_entry *cand[BATCH];
    pthread_mutex_lock(&d->mu);
    for (uint32_t at = 0; at < n; at += BATCH) {
        uint32_t m = SP_MIN(BATCH, n - at);
        const uint32_t *o = k->offs + at;
        for (uint32_t i = 0; i < m; i++) {
            hs[i] = sp_hash64(k->bytes + o[i], o[i + 1] - o[i], 0);
            __builtin_prefetch(&d->ht[(uint32_t)hs[i] & d->htmask]);
        }
        for (uint32_t i = 0; i < m; i++) {
            uint64_t x = d->ht[(uint32_t)hs[i] & d->htmask];
            cand[i] = x && (x >> 32) == (hs[i] >> 32) ? entry_at(d, (uint32_t)x - 1) : NULL;
            if (cand[i])
                __builtin_prefetch(cand[i]);
        }
        for (uint32_t i = 0; i < m; i++)
            if (cand[i])
                __builtin_prefetch(cand[i]->text);
        for (uint32_t i = 0; i < m; i++)
            gids[at + i] = intern_locked(d, k->bytes + o[i], o[i + 1] - o[i], hs[i]);
    }
    d->rows_seen += rows;
    uint64_t count = sp_tdict_count(d);
    bool useless = d->rows_seen >= TDICT_PROBE_ROWS && (count * 100 > d->rows_seen * TDICT_DISTINCT_PCT ||
                                                        d->text_bytes > count * TDICT_MAX_MEAN_LEN);
    pthread_mutex_unlock(&d->mu);
    if (useless) /* this chunk keeps its gids, later ones get none */
        slot_turn_off(t, col, d);
    chunk_gids *g = cur ? slab_alloc(cur, owner, sizeof *g) : sp_xmalloc(sizeof *g);
    g->gids = gids;
    g->tdict = d; /* the reference slot_take gave moves to the chunk */
    g->bytes = gids_bytes + sizeof *g;
    g->in_slab = cur != NULL;
    return g;
}

void tdict_seal_column(sp_table *t, int col, chunk_col *k, uint32_t rows, slab_cursor *cur, sp_chunk *owner)
{
    pthread_mutex_lock(&t->mu);
    bool want = (size_t)col < t->ntdicts && t->tdicts[col].want;
    pthread_mutex_unlock(&t->mu);
    if (!want)
        return;
    chunk_gids *g = gids_compute(t, col, k, rows, cur, owner);
    atomic_store(&k->gx, g);
    if (g != &no_gids)
        k->mem += g->bytes;
}

static void gids_free(chunk_gids *g)
{
    if (!g || g == &no_gids)
        return;
    tdict_unref(g->tdict);
    if (g->in_slab)
        return;
    free(g->gids);
    free(g);
}

void tdict_chunk_col_free(chunk_col *k)
{
    gids_free(atomic_load(&k->gx));
}

void sp_chunk_col_gids(const sp_chunk *chunk, int col, sp_colview *v)
{
    sp_chunk *c = (sp_chunk *)chunk; /* the index is built once, under locks; the data stays immutable */
    v->gids = NULL;
    v->tdict = NULL;
    if (col < 0 || col >= c->ncols)
        return;
    chunk_col *k = &c->cols[col];
    chunk_gids *g = atomic_load_explicit(&k->gx, memory_order_acquire);
    if (!g) {
        sp_table *t = c->table;
        chunk_gids *fresh = gids_compute(t, col, k, c->rows, NULL, NULL);
        pthread_mutex_lock(&t->mu);
        chunk_gids *expected = NULL;
        if (atomic_compare_exchange_strong(&k->gx, &expected, fresh)) {
            g = fresh;
            if (g != &no_gids) { /* the chunk's memory grows; the table's too while it holds it */
                k->mem += g->bytes;
                c->mem += g->bytes;
                if (!c->evicted)
                    table_account_bytes(t, col, g->bytes);
            }
        } else {
            g = expected; /* another reader built it first */
            gids_free(fresh);
        }
        pthread_mutex_unlock(&t->mu);
    }
    if (g != &no_gids) {
        v->gids = g->gids;
        v->tdict = g->tdict;
    }
}
