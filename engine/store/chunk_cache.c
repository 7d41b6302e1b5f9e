/* chunk_cache.c — data derived from a sealed chunk, cached on the chunk for its life.
 *
 * The executor extracts a dynamic column's values at a path once per chunk and shares the
 * result between every rule and query that reads the same path (engine/exec/dynpath.c);
 * this file is where such results live. A chunk is immutable, so derived data never goes
 * stale: it is freed with the chunk. Entries form a singly linked list pushed at the head
 * with a compare-and-swap, so a reader walks it without a lock (a chunk holds a handful
 * of entries, one per path read). Two threads that miss the same key at once both build
 * it; the first to push wins and the other's copy is destroyed, so the list never holds a
 * key twice and nobody waits on another thread's build.
 *
 * Memory is counted on the chunk and, under the table's lock, on the table while the
 * chunk is still in it: eviction subtracts the chunk's cache memory once and marks the
 * chunk, and a later put on an evicted chunk (a reader's snapshot keeps it alive) counts
 * only on the chunk.
 *
 * A table also keeps what its loaded rules declared they will derive from a column
 * (sp_table_want_derived): one reader deriving data for a chunk column can then derive the
 * rest in the same pass over it, instead of each reader walking the column on its own. */
#include "engine/store/store_int.h"

#include <stdlib.h>
#include <string.h>

static chunk_cache_entry *find(chunk_cache_entry *e, const void *key, size_t keylen, uint64_t h)
{
    for (; e; e = e->next)
        if (e->hash == h && e->keylen == keylen && !memcmp(e->key, key, keylen))
            return e;
    return NULL;
}

void *sp_chunk_cache_get(sp_chunk *c, const void *key, size_t keylen)
{
    chunk_cache_entry *e = find(atomic_load_explicit(&c->cache, memory_order_acquire), key, keylen,
                                sp_hash64(key, keylen, 0));
    return e ? e->data : NULL;
}

void *sp_chunk_cache_put(sp_chunk *c, const void *key, size_t keylen, void *data, uint64_t bytes,
                         void (*destroy)(void *data))
{
    uint64_t h = sp_hash64(key, keylen, 0);
    chunk_cache_entry *e = sp_xmalloc(sizeof *e + keylen);
    e->data = data;
    e->destroy = destroy;
    e->mem = bytes + sizeof *e + keylen;
    e->hash = h;
    e->keylen = keylen;
    memcpy(e->key, key, keylen);
    chunk_cache_entry *head = atomic_load_explicit(&c->cache, memory_order_acquire);
    for (;;) {
        chunk_cache_entry *had = find(head, key, keylen, h);
        if (had) { /* another thread was first */
            if (destroy)
                destroy(data);
            free(e);
            return had->data;
        }
        e->next = head;
        if (atomic_compare_exchange_weak_explicit(&c->cache, &head, e, memory_order_release, memory_order_acquire))
            break;
        /* head now holds the newer list: look again for the key in it */
    }
    sp_table *t = c->table;
    if (t) {
        pthread_mutex_lock(&t->mu);
        c->cache_mem += e->mem;
        if (!c->evicted)
            t->cache_mem += e->mem;
        pthread_mutex_unlock(&t->mu);
    } else { /* a chunk not published into a table (tests) */
        c->cache_mem += e->mem;
    }
    return data;
}

uint64_t sp_chunk_cache_bytes(sp_chunk *c)
{
    uint64_t m = 0;
    for (chunk_cache_entry *e = atomic_load_explicit(&c->cache, memory_order_acquire); e; e = e->next)
        m += e->mem;
    return m;
}

void chunk_cache_free(sp_chunk *c)
{
    chunk_cache_entry *e = atomic_load_explicit(&c->cache, memory_order_acquire);
    while (e) {
        chunk_cache_entry *next = e->next;
        if (e->destroy)
            e->destroy(e->data);
        free(e);
        e = next;
    }
    atomic_store(&c->cache, NULL);
}

/* ---- derived data wanted by the table's rules ---- */

typedef struct table_want {
    int col;
    void *obj;
    void (*destroy)(void *obj);
    size_t keylen;
    char *key;
} table_want;

void sp_table_want_derived(sp_table *t, int col, const void *key, size_t keylen, void *obj,
                           void (*destroy)(void *obj))
{
    pthread_mutex_lock(&t->mu);
    int have = 0;
    bool dup = false;
    for (size_t i = 0; i < t->nwants && !dup; i++) {
        const table_want *w = &t->wants[i];
        have += w->col == col;
        dup = w->col == col && w->keylen == keylen && !memcmp(w->key, key, keylen);
    }
    if (!dup && have < SP_TABLE_WANTS) {
        t->wants = sp_xrealloc(t->wants, (t->nwants + 1) * sizeof *t->wants);
        table_want *w = &t->wants[t->nwants++];
        w->col = col;
        w->obj = obj;
        w->destroy = destroy;
        w->keylen = keylen;
        w->key = sp_xmalloc(keylen ? keylen : 1);
        memcpy(w->key, key, keylen);
        obj = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    if (obj && destroy)
        destroy(obj);
}

int sp_chunk_wanted(const sp_chunk *c, int col, void **out, int max)
{
    sp_table *t = c->table;
    int n = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->nwants && n < max; i++)
        if (t->wants[i].col == col)
            out[n++] = t->wants[i].obj;
    pthread_mutex_unlock(&t->mu);
    return n;
}

void table_wants_free(sp_table *t)
{
    for (size_t i = 0; i < t->nwants; i++) {
        if (t->wants[i].destroy)
            t->wants[i].destroy(t->wants[i].obj);
        free(t->wants[i].key);
    }
    free(t->wants);
}
