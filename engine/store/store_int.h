/* store_int.h — internals shared by the store's files; nothing outside engine/store/
 * includes this. */
#ifndef SP_STORE_INT_H
#define SP_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/store/store.h"

/* ---- schema versions ---- */

/* A schema version plus its name index (open addressing, case-sensitive and
 * case-insensitive), immutable once published. */
typedef struct schema_ver {
    sp_schema pub; /* first member: an sp_schema* is a schema_ver* */
    sp_colinfo *cols;
    uint32_t index_mask;
    int32_t *index;    /* exact-name slots: column index or -1 */
    int32_t *index_ci; /* case-insensitive slots */
    struct schema_ver *prev;
} schema_ver;

/* ---- chunks ---- */

/* A sealed column. Its buffers are in the chunk's slabs (slab.c), or shared constants
 * when borrowed; its gids are its own allocation. */
typedef struct chunk_col {
    sp_type type;
    sp_encoding enc;
    void *values;
    uint8_t *valid;
    uint32_t *offs;
    char *bytes;
    uint32_t *codes;
    uint8_t *codes8; /* instead of codes for dictionaries of at most 256 entries */
    uint32_t nentries;
    uint8_t *unset; /* presence (sp_colview): text cells without a string */
    uint8_t *jnull; /* presence: JSON null cells; always the chunk's own */
    uint64_t mem;  /* bytes held by this column */
    bool borrowed; /* buffers but jnull and gids are shared constants (all-null column) */
    /* Table-dictionary index (tdict.c): NULL until built, then for good; built at seal
     * for wanted columns, else on the first sp_chunk_col_gids. Always owned. */
    _Atomic(struct chunk_gids *) gx;
} chunk_col;

/* One entry of a chunk's cache of derived data (chunk_cache.c): immutable once pushed. */
typedef struct chunk_cache_entry {
    struct chunk_cache_entry *next;
    void *data;
    void (*destroy)(void *data);
    uint64_t mem;
    uint64_t hash;
    size_t keylen;
    char key[]; /* keylen bytes */
} chunk_cache_entry;
typedef struct chunk_gids {
    uint32_t *gids;  /* gid per entry */
    sp_tdict *tdict; /* holds a reference */
    uint64_t bytes;
    bool in_slab; /* built at seal in the chunk's slab (slab.c), else its own allocation */
} chunk_gids;

/* A mapping sealed chunks take their memory from (slab.c). */
typedef struct chunk_slab chunk_slab;

struct sp_chunk {
    atomic_int refs;
    uint32_t rows;
    int ncols;
    uint64_t seq;
    int64_t min_time, max_time, ingest_time;
    uint64_t mem;
    chunk_col *cols;
    sp_hash128 *keys; /* dedup keys of the rows that had one (removed on eviction) */
    uint32_t nkeys;
    /* Derived data cached on the chunk (sp_chunk_cache_get/put): a lock-free list pushed
     * at the head, freed with the chunk. cache_mem is its memory; table is the table the
     * chunk was published into and evicted says it left it (both guarded by table->mu),
     * so the table's count of cache memory only ever holds its current chunks'. */
    _Atomic(chunk_cache_entry *) cache;
    uint64_t cache_mem;
    sp_table *table;
    bool evicted; /* under the table's mu */
    chunk_slab **slabs; /* the slabs holding its columns' buffers, one reference each */
    uint32_t nslabs, slabs_cap;
};


/* ---- dedup set: 128-bit keys, sharded, linear probing with backward-shift delete ---- */

/* Two shards: a lock is held for one probe (tens of ns) against microseconds of work per
 * row, so a few ingest workers rarely wait; and each shard's table reaches the 2 MiB that
 * huge pages need (store.c) from 65 k keys on. 64 shards of 256 KiB each were TLB misses
 * on every insert: 2.3 % of ingest time against 1.2 % now. */
#define DEDUP_SHARDS 2
typedef struct dedup_shard {
    pthread_mutex_t mu;
    sp_hash128 *slots; /* {0,0} = empty */
    size_t cap, count;
} dedup_shard;

typedef struct dedup_set {
    dedup_shard shards[DEDUP_SHARDS];
} dedup_set;

void dedup_init(dedup_set *d);
void dedup_destroy(dedup_set *d);
/* Inserts k; returns false when it was already present. */
bool dedup_insert(dedup_set *d, sp_hash128 k);
/* A hint that k will be inserted soon: starts loading its slot (the set is far larger than
 * the caches, so an insert is a cache miss; a row's id is known long before its end). */
void dedup_prefetch(dedup_set *d, sp_hash128 k);
void dedup_remove(dedup_set *d, sp_hash128 k);
uint64_t dedup_bytes(dedup_set *d);

/* ---- chunk memory (slab.c) ---- */

/* A builder's slab being filled. */
typedef struct slab_cursor {
    chunk_slab *slab;
    size_t next_bytes; /* size of the next slab */
} slab_cursor;

/* n bytes (16-aligned, 64 from 64 bytes on) for a buffer of chunk `owner`, which takes a
 * reference to the slab they come from; freed with the chunk (chunk_slabs_release). */
void *slab_alloc(slab_cursor *cur, sp_chunk *owner, size_t n);
void slab_cursor_release(slab_cursor *cur);
void chunk_slabs_release(sp_chunk *c);
/* bytes of zeroed memory, 2 MiB-aligned and offered to transparent huge pages. */
void *huge_map(size_t bytes);
void huge_unmap(void *p, size_t bytes);

/* ---- text hash tables (tdict.c) ----
 * The store's text dictionaries (a builder's per chunk, a table dictionary, a merge's union)
 * index their entries in one kind of table: a slot holds the text's hash's high 32 bits << 32
 * | entry + 1 (0: empty), placed by the hash's low bits with linear probing. */

/* Doubles table *ht (mask *mask), placing every entry again by lo(ctx, entry), the low 32
 * bits of its text's hash. */
void sp_text_table_grow(uint64_t **ht, uint32_t *mask, uint32_t (*lo)(const void *ctx, uint32_t entry),
                        const void *ctx);

/* ---- table dictionaries (tdict.c) ---- */

typedef struct tdict_slot {
    sp_tdict *dict; /* the column's current dictionary, or NULL */
    bool off;       /* the column's values do not repeat: no more gids */
    bool want;      /* index at seal (sp_table_want_gids) */
} tdict_slot;

/* Gives column col of a chunk being sealed (rows rows), when the column is wanted, its
 * gids, in the chunk's slab (cur, owner). Takes t->mu for a moment. */
void tdict_seal_column(sp_table *t, int col, chunk_col *k, uint32_t rows, slab_cursor *cur, sp_chunk *owner);
void tdict_chunk_col_free(chunk_col *k);
/* Adds bytes to the table's memory and column col's (t->mu held; store.c). */
void table_account_bytes(sp_table *t, int col, uint64_t bytes);
void tdict_ref(sp_tdict *d);
void tdict_unref(sp_tdict *d);
/* Releases the table's slots (the chunks' references go with the chunks). */
void tdict_table_free(sp_table *t);
/* Bytes of the current dictionaries of column col (col < 0: all columns); t->mu held. */
uint64_t tdict_table_bytes(sp_table *t, int col);

/* ---- tables and store ---- */

struct sp_table {
    sp_store *store;
    char *name;
    const sp_table_def *def; /* NULL for inferred tables */
    pthread_mutex_t mu;      /* guards schema growth and the chunk list */
    _Atomic(schema_ver *) schema;
    int time_col, id_col;
    sp_chunk **chunks;
    size_t nchunks, cap;
    uint64_t rows, mem, rows_ingested, evicted_rows, evicted_chunks;
    atomic_uint_fast64_t duplicates;
    int64_t min_time, max_time;
    uint64_t *col_mem;
    size_t col_mem_cap;
    uint64_t cache_mem; /* derived data cached on the current chunks (chunk_cache.c) */
    dedup_set dedup;
    tdict_slot *tdicts; /* per column, under mu */
    size_t ntdicts;
    struct table_want *wants; /* sp_table_want_derived, under mu */
    size_t nwants;
};

struct sp_store {
    sp_store_config cfg;
    pthread_mutex_t mu;
    sp_table **tables;
    size_t ntables, cap;
    atomic_uint_fast64_t next_seq;
    void *zero_page; /* read-only zeros backing all-null column views */
    void *ones_page; /* read-only ones: the unset bitmap of all-absent string columns */
    sp_seal_hook on_seal;
    void *on_seal_ctx;
    size_t zero_bytes;
};

/* Appends a column (or widens one) under t->mu; returns the column index or -1. */
int table_add_or_widen_locked(sp_table *t, const char *name, size_t n, sp_type type);
/* Publishes a sealed chunk into t (takes the caller's reference). */
void table_publish(sp_table *t, sp_chunk *c);
/* Puts merged (merge.c) in the place of parts[0..n), consecutive in t, and releases the
 * table's references to them; takes merged's reference. False, and nothing changed, when
 * they are no longer there (evicted meanwhile). */
bool table_replace_run(sp_table *t, sp_chunk *const *parts, int n, sp_chunk *merged);
/* Whether a text column of rows rows with nd distinct entries (dict_bytes of text) is
 * sealed as a dictionary rather than as plain text (plain_bytes): when it is clearly
 * smaller, or small enough that predicates evaluated once per entry win. Builders and
 * chunk merges decide alike. */
static inline bool text_keeps_dict(uint32_t rows, uint32_t nd, uint64_t dict_bytes, uint64_t plain_bytes)
{
    uint64_t plain_mem = ((uint64_t)rows + 1) * 4 + plain_bytes;
    uint64_t code_w = nd <= 256 ? 1 : 4;
    uint64_t dict_mem = (uint64_t)rows * code_w + ((uint64_t)nd + 1) * 4 + dict_bytes;
    return dict_mem * 10 < plain_mem * 9 || (uint64_t)nd * 4 <= rows;
}
void chunk_free(sp_chunk *c);
/* Frees a chunk's cache of derived data (chunk_free). */
void chunk_cache_free(sp_chunk *c);
/* Frees what sp_table_want_derived declared (table_free). */
void table_wants_free(sp_table *t);
uint64_t store_next_seq(sp_store *s);

/* ---- value conversion (convert.c) ---- */

/* One cell, described by its physical type: fixed-width values through `fixed` (8 bytes
 * is enough for every fixed type), text through (text, len). */
typedef struct cell {
    sp_type type;
    bool null;
    union {
        bool b;
        int32_t i;
        int64_t l; /* long, datetime, timespan */
        double r;
    } v;
    const char *text;
    size_t len;
} cell;

/* Converts c into type `to`. Fixed results land in out->v; text results are appended to
 * scratch (out->text points into it, so it is valid until scratch changes).
 * `loose` allows Kusto's parsing conversions (text "123" -> long, ISO text -> datetime,
 * JSON-looking text -> dynamic object); without it only lossless widening is allowed.
 * Returns false when the value cannot be converted. */
bool cell_convert(const cell *c, sp_type to, bool loose, sp_buf *scratch, cell *out);
/* Reads row r of a view as a cell. */
void cell_from_view(const sp_colview *v, uint32_t r, cell *out);

#endif
