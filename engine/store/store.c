/* store.c — tables, schema versions, snapshots, dedup and retention.
 *
 * Writers (builders) and readers (queries, rules) meet here. The design keeps readers off
 * every lock on the hot path: a schema version is immutable and published with an atomic
 * pointer; a snapshot copies the chunk list once under the table mutex and then reads
 * ref-counted, immutable chunks. Exact re-deliveries are found in a sharded set of 128-bit
 * keys (huge-page tables, locked per shard for one probe); each chunk remembers its rows' keys so that
 * evicting it forgets them.
 */
#include "engine/store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dedup set ---- */

/* Slot arrays of 2 MiB and more get their own mapping, 2 MiB-aligned and offered to
 * transparent huge pages (huge_map): every insert lands on a random slot of a table far
 * larger than the caches, and with 4 KiB pages each one is also a TLB miss (a page walk,
 * nested under virtualisation), which costs more than the cache miss. */
#define HUGE_BYTES ((size_t)2 << 20)

static sp_hash128 *slots_alloc(size_t cap)
{
    size_t bytes = cap * sizeof(sp_hash128);
    if (bytes < HUGE_BYTES)
        return sp_xcalloc(cap, sizeof(sp_hash128));
    return huge_map(bytes); /* anonymous pages are zero: all slots empty */
}

static void slots_free(sp_hash128 *p, size_t cap)
{
    if (!p)
        return;
    if (cap * sizeof(sp_hash128) < HUGE_BYTES)
        free(p);
    else
        huge_unmap(p, cap * sizeof(sp_hash128));
}

void dedup_init(dedup_set *d)
{
    for (int i = 0; i < DEDUP_SHARDS; i++) {
        pthread_mutex_init(&d->shards[i].mu, NULL);
        d->shards[i].slots = NULL;
        d->shards[i].cap = d->shards[i].count = 0;
    }
}

void dedup_destroy(dedup_set *d)
{
    for (int i = 0; i < DEDUP_SHARDS; i++) {
        pthread_mutex_destroy(&d->shards[i].mu);
        slots_free(d->shards[i].slots, d->shards[i].cap);
    }
}

static inline bool key_empty(sp_hash128 k)
{
    return k.lo == 0 && k.hi == 0;
}

static inline sp_hash128 key_norm(sp_hash128 k)
{
    if (key_empty(k))
        k.lo = 1;
    return k;
}

static void shard_resize(dedup_shard *s, size_t ncap)
{
    sp_hash128 *ns = slots_alloc(ncap);
    for (size_t i = 0; i < s->cap; i++) {
        sp_hash128 k = s->slots[i];
        if (key_empty(k))
            continue;
        size_t j = (size_t)k.hi & (ncap - 1);
        while (!key_empty(ns[j]))
            j = (j + 1) & (ncap - 1);
        ns[j] = k;
    }
    slots_free(s->slots, s->cap);
    s->slots = ns;
    s->cap = ncap;
}

bool dedup_insert(dedup_set *d, sp_hash128 k)
{
    k = key_norm(k);
    dedup_shard *s = &d->shards[k.lo % DEDUP_SHARDS];
    pthread_mutex_lock(&s->mu);
    if ((s->count + 1) * 2 > s->cap)
        shard_resize(s, s->cap ? s->cap * 2 : 16);
    size_t j = (size_t)k.hi & (s->cap - 1);
    while (!key_empty(s->slots[j])) {
        if (s->slots[j].lo == k.lo && s->slots[j].hi == k.hi) {
            pthread_mutex_unlock(&s->mu);
            return false;
        }
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = k;
    s->count++;
    pthread_mutex_unlock(&s->mu);
    return true;
}

void dedup_prefetch(dedup_set *d, sp_hash128 k)
{
    k = key_norm(k);
    dedup_shard *s = &d->shards[k.lo % DEDUP_SHARDS];
    if (pthread_mutex_trylock(&s->mu) != 0)
        return; /* another writer is in this shard: a hint is not worth waiting for */
    if (s->cap)
        __builtin_prefetch(&s->slots[(size_t)k.hi & (s->cap - 1)], 1);
    pthread_mutex_unlock(&s->mu);
}

void dedup_remove(dedup_set *d, sp_hash128 k)
{
    k = key_norm(k);
    dedup_shard *s = &d->shards[k.lo % DEDUP_SHARDS];
    pthread_mutex_lock(&s->mu);
    if (!s->cap) {
        pthread_mutex_unlock(&s->mu);
        return;
    }
    size_t mask = s->cap - 1, j = (size_t)k.hi & mask;
    while (!key_empty(s->slots[j]) && !(s->slots[j].lo == k.lo && s->slots[j].hi == k.hi))
        j = (j + 1) & mask;
    if (!key_empty(s->slots[j])) {
        /* Backward-shift deletion keeps probe chains intact without tombstones. */
        size_t hole = j, i = j;
        for (;;) {
            i = (i + 1) & mask;
            if (key_empty(s->slots[i]))
                break;
            size_t home = (size_t)s->slots[i].hi & mask;
            bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                s->slots[hole] = s->slots[i];
                hole = i;
            }
        }
        s->slots[hole] = (sp_hash128){0, 0};
        s->count--;
        if (s->cap > 16 && s->count * 8 < s->cap) /* give memory back after evictions */
            shard_resize(s, s->cap / 2);
    }
    pthread_mutex_unlock(&s->mu);
}

uint64_t dedup_bytes(dedup_set *d)
{
    uint64_t b = 0;
    for (int i = 0; i < DEDUP_SHARDS; i++) {
        pthread_mutex_lock(&d->shards[i].mu);
        b += d->shards[i].cap * sizeof(sp_hash128);
        pthread_mutex_unlock(&d->shards[i].mu);
    }
    return b;
}

/* ---- schema versions ---- */

static uint32_t name_hash(const char *s, size_t n)
{
    return (uint32_t)sp_hash64(s, n, 17);
}

static uint32_t name_hash_ci(const char *s, size_t n)
{
    return (uint32_t)sp_hash64_ci(s, n, 17);
}

static schema_ver *schema_build(const sp_colinfo *cols, int ncols, uint32_t version, schema_ver *prev)
{
    schema_ver *v = sp_xcalloc(1, sizeof *v);
    v->cols = sp_xmalloc(sizeof(sp_colinfo) * (size_t)(ncols ? ncols : 1));
    if (ncols)
        memcpy(v->cols, cols, sizeof(sp_colinfo) * (size_t)ncols);
    uint32_t cap = 16;
    while (cap < (uint32_t)ncols * 2)
        cap *= 2;
    v->index_mask = cap - 1;
    v->index = sp_xmalloc(sizeof(int32_t) * cap);
    v->index_ci = sp_xmalloc(sizeof(int32_t) * cap);
    memset(v->index, 0xff, sizeof(int32_t) * cap);
    memset(v->index_ci, 0xff, sizeof(int32_t) * cap);
    for (int i = 0; i < ncols; i++) {
        size_t n = strlen(cols[i].name);
        uint32_t j = name_hash(cols[i].name, n) & v->index_mask;
        while (v->index[j] >= 0)
            j = (j + 1) & v->index_mask;
        v->index[j] = i;
        /* Case-insensitive slot: first column wins when two names differ only by case. */
        j = name_hash_ci(cols[i].name, n) & v->index_mask;
        bool dup = false;
        while (v->index_ci[j] >= 0) {
            const char *o = cols[v->index_ci[j]].name;
            if (sp_ieq(o, strlen(o), cols[i].name, n))
                dup = true;
            j = (j + 1) & v->index_mask;
        }
        if (!dup)
            v->index_ci[j] = i;
    }
    v->pub.ncols = ncols;
    v->pub.cols = v->cols;
    v->pub.version = version;
    v->prev = prev;
    return v;
}

int sp_schema_find(const sp_schema *sc, const char *name, size_t n)
{
    const schema_ver *v = (const schema_ver *)sc;
    uint32_t j = name_hash(name, n) & v->index_mask;
    while (v->index[j] >= 0) {
        const char *c = v->cols[v->index[j]].name;
        if (strlen(c) == n && !memcmp(c, name, n))
            return v->index[j];
        j = (j + 1) & v->index_mask;
    }
    return -1;
}

int sp_schema_find_ci(const sp_schema *sc, const char *name, size_t n)
{
    int exact = sp_schema_find(sc, name, n);
    if (exact >= 0)
        return exact;
    const schema_ver *v = (const schema_ver *)sc;
    uint32_t j = name_hash_ci(name, n) & v->index_mask;
    while (v->index_ci[j] >= 0) {
        const char *c = v->cols[v->index_ci[j]].name;
        if (sp_ieq(c, strlen(c), name, n))
            return v->index_ci[j];
        j = (j + 1) & v->index_mask;
    }
    return -1;
}

int table_add_or_widen_locked(sp_table *t, const char *name, size_t n, sp_type type)
{
    schema_ver *cur = atomic_load(&t->schema);
    int idx = sp_schema_find(&cur->pub, name, n);
    if (idx >= 0) {
        sp_type w = sp_type_widen(cur->cols[idx].type, type);
        if (w == cur->cols[idx].type)
            return idx;
        if (t->def) /* declared types never change */
            return idx;
        sp_colinfo *cols = sp_xmalloc(sizeof(sp_colinfo) * (size_t)cur->pub.ncols);
        memcpy(cols, cur->cols, sizeof(sp_colinfo) * (size_t)cur->pub.ncols);
        cols[idx].type = w;
        schema_ver *nv = schema_build(cols, cur->pub.ncols, cur->pub.version + 1, cur);
        free(cols);
        atomic_store(&t->schema, nv);
        return idx;
    }
    if (t->def || (uint32_t)cur->pub.ncols >= sp_limits.max_columns)
        return -1;
    int nc = cur->pub.ncols + 1;
    sp_colinfo *cols = sp_xmalloc(sizeof(sp_colinfo) * (size_t)nc);
    memcpy(cols, cur->cols, sizeof(sp_colinfo) * (size_t)cur->pub.ncols);
    cols[nc - 1].name = sp_xstrndup(name, n);
    cols[nc - 1].type = type;
    if (t->time_col < 0 && type == SP_TYPE_DATETIME && !strcmp(cols[nc - 1].name, "TimeGenerated"))
        t->time_col = nc - 1;
    schema_ver *nv = schema_build(cols, nc, cur->pub.version + 1, cur);
    free(cols);
    atomic_store(&t->schema, nv);
    return nc - 1;
}

const sp_schema *sp_table_schema(sp_table *t)
{
    return &atomic_load(&t->schema)->pub;
}

/* ---- store ---- */

sp_store *sp_store_new(const sp_store_config *cfg)
{
    sp_store *s = sp_xcalloc(1, sizeof *s);
    if (cfg)
        s->cfg = *cfg;
    if (!s->cfg.chunk_rows)
        s->cfg.chunk_rows = sp_limits.chunk_rows;
    pthread_mutex_init(&s->mu, NULL);
    atomic_init(&s->next_seq, 1);
    s->zero_bytes = (size_t)s->cfg.chunk_rows * 8 + 64;
    s->zero_page = sp_xcalloc(1, s->zero_bytes);
    s->ones_page = sp_xmalloc(s->zero_bytes);
    memset(s->ones_page, 0xff, s->zero_bytes);
    return s;
}

static void table_free(sp_table *t)
{
    for (size_t i = 0; i < t->nchunks; i++)
        sp_chunk_unref(t->chunks[i]);
    free(t->chunks);
    schema_ver *v = atomic_load(&t->schema);
    /* Column names are shared by versions: free each name once, from the newest. */
    for (int i = 0; i < v->pub.ncols; i++)
        if (!t->def || i >= t->def->ncolumns)
            free((char *)v->cols[i].name);
    while (v) {
        schema_ver *p = v->prev;
        free(v->cols);
        free(v->index);
        free(v->index_ci);
        free(v);
        v = p;
    }
    dedup_destroy(&t->dedup);
    tdict_table_free(t);
    table_wants_free(t);
    pthread_mutex_destroy(&t->mu);
    free(t->col_mem);
    free(t->name);
    free(t);
}

void sp_store_free(sp_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ntables; i++)
        table_free(s->tables[i]);
    free(s->tables);
    free(s->zero_page);
    free(s->ones_page);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void sp_store_set_on_seal(sp_store *s, sp_seal_hook fn, void *ctx)
{
    s->on_seal = fn;
    s->on_seal_ctx = ctx;
}

uint64_t store_next_seq(sp_store *s)
{
    return atomic_fetch_add(&s->next_seq, 1);
}

static sp_table *table_new(sp_store *s, const char *name)
{
    sp_table *t = sp_xcalloc(1, sizeof *t);
    t->store = s;
    t->name = sp_xstrdup(name);
    t->def = sp_schema_declared(name);
    pthread_mutex_init(&t->mu, NULL);
    dedup_init(&t->dedup);
    atomic_init(&t->duplicates, 0);
    t->time_col = t->id_col = -1;
    t->min_time = INT64_MAX;
    t->max_time = INT64_MIN;
    if (t->def) {
        sp_colinfo *cols = sp_xmalloc(sizeof(sp_colinfo) * (size_t)t->def->ncolumns);
        for (int i = 0; i < t->def->ncolumns; i++) {
            cols[i].name = t->def->columns[i].name;
            cols[i].type = t->def->columns[i].type;
        }
        schema_ver *v = schema_build(cols, t->def->ncolumns, 1, NULL);
        free(cols);
        atomic_init(&t->schema, v);
        if (t->def->time_column)
            t->time_col = sp_schema_find(&v->pub, t->def->time_column, strlen(t->def->time_column));
        if (t->def->id_column)
            t->id_col = sp_schema_find(&v->pub, t->def->id_column, strlen(t->def->id_column));
    } else {
        atomic_init(&t->schema, schema_build(NULL, 0, 1, NULL));
    }
    return t;
}

sp_table *sp_store_table(sp_store *s, const char *name)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->ntables; i++)
        if (!strcmp(s->tables[i]->name, name)) {
            sp_table *t = s->tables[i];
            pthread_mutex_unlock(&s->mu);
            return t;
        }
    sp_table *t = table_new(s, name);
    SP_GROW(s->tables, s->cap, s->ntables + 1);
    s->tables[s->ntables++] = t;
    pthread_mutex_unlock(&s->mu);
    return t;
}

sp_table *sp_store_find(sp_store *s, const char *name)
{
    sp_table *found = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->ntables && !found; i++)
        if (!strcmp(s->tables[i]->name, name))
            found = s->tables[i];
    for (size_t i = 0; i < s->ntables && !found; i++)
        if (sp_ieq(s->tables[i]->name, strlen(s->tables[i]->name), name, strlen(name)))
            found = s->tables[i];
    pthread_mutex_unlock(&s->mu);
    return found;
}

int sp_store_tables(sp_store *s, sp_table **out, int cap)
{
    pthread_mutex_lock(&s->mu);
    int n = (int)s->ntables;
    for (int i = 0; i < n && i < cap; i++)
        out[i] = s->tables[i];
    pthread_mutex_unlock(&s->mu);
    return n;
}

const char *sp_table_name(const sp_table *t)
{
    return t->name;
}

bool sp_table_is_declared(const sp_table *t)
{
    return t->def != NULL;
}

int sp_table_time_col(sp_table *t)
{
    pthread_mutex_lock(&t->mu);
    int c = t->time_col;
    pthread_mutex_unlock(&t->mu);
    return c;
}

int sp_table_id_col(sp_table *t)
{
    return t->id_col;
}

/* ---- chunk list ---- */

static void account_chunk(sp_table *t, const sp_chunk *c, int sign)
{
    if ((size_t)c->ncols > t->col_mem_cap) {
        size_t old = t->col_mem_cap;
        SP_GROW(t->col_mem, t->col_mem_cap, (size_t)c->ncols);
        memset(t->col_mem + old, 0, (t->col_mem_cap - old) * sizeof *t->col_mem);
    }
    for (int i = 0; i < c->ncols; i++)
        t->col_mem[i] += sign > 0 ? c->cols[i].mem : (uint64_t)0 - c->cols[i].mem;
    if (sign > 0) {
        t->rows += c->rows;
        t->mem += c->mem;
    } else {
        t->rows -= c->rows;
        t->mem -= c->mem;
    }
}

void table_account_bytes(sp_table *t, int col, uint64_t bytes)
{
    if ((size_t)col >= t->col_mem_cap) {
        size_t old = t->col_mem_cap;
        SP_GROW(t->col_mem, t->col_mem_cap, (size_t)col + 1);
        memset(t->col_mem + old, 0, (t->col_mem_cap - old) * sizeof *t->col_mem);
    }
    t->col_mem[col] += bytes;
    t->mem += bytes;
}

static void recompute_time_range(sp_table *t)
{
    t->min_time = INT64_MAX;
    t->max_time = INT64_MIN;
    for (size_t i = 0; i < t->nchunks; i++) {
        t->min_time = SP_MIN(t->min_time, t->chunks[i]->min_time);
        t->max_time = SP_MAX(t->max_time, t->chunks[i]->max_time);
    }
}

void table_publish(sp_table *t, sp_chunk *c)
{
    pthread_mutex_lock(&t->mu);
    c->seq = store_next_seq(t->store);
    SP_GROW(t->chunks, t->cap, t->nchunks + 1);
    t->chunks[t->nchunks++] = c;
    c->table = t;
    account_chunk(t, c, +1);
    t->rows_ingested += c->rows;
    t->min_time = SP_MIN(t->min_time, c->min_time);
    t->max_time = SP_MAX(t->max_time, c->max_time);
    pthread_mutex_unlock(&t->mu);
}

bool table_replace_run(sp_table *t, sp_chunk *const *parts, int n, sp_chunk *merged)
{
    pthread_mutex_lock(&t->mu);
    size_t at = 0;
    while (at < t->nchunks && t->chunks[at] != parts[0])
        at++;
    bool there = at + (size_t)n <= t->nchunks;
    for (int k = 0; there && k < n; k++)
        there = t->chunks[at + (size_t)k] == parts[k];
    if (there) {
        for (int k = 0; k < n; k++) {
            account_chunk(t, parts[k], -1);
            t->cache_mem -= parts[k]->cache_mem;
            parts[k]->evicted = true; /* out of the table: its caches no longer count here */
        }
        t->chunks[at] = merged;
        memmove(t->chunks + at + 1, t->chunks + at + (size_t)n, (t->nchunks - at - (size_t)n) * sizeof *t->chunks);
        t->nchunks -= (size_t)n - 1;
        account_chunk(t, merged, +1);
    }
    pthread_mutex_unlock(&t->mu);
    if (there)
        for (int k = 0; k < n; k++)
            sp_chunk_unref(parts[k]); /* the table's references */
    return there;
}

static sp_snapshot *snapshot_where(sp_table *t, uint64_t after_seq)
{
    sp_snapshot *snap = sp_xcalloc(1, sizeof *snap);
    snap->table = t;
    pthread_mutex_lock(&t->mu);
    snap->schema = &atomic_load(&t->schema)->pub;
    snap->chunks = sp_xmalloc(sizeof(sp_chunk *) * (t->nchunks ? t->nchunks : 1));
    /* Every chunk header asked for first: one per heap page, cold when a query starts,
     * they would otherwise be met one miss (and page walk) after the other. */
    for (size_t i = 0; i < t->nchunks; i++)
        __builtin_prefetch(t->chunks[i], 1);
    for (size_t i = 0; i < t->nchunks; i++) {
        sp_chunk *c = t->chunks[i];
        if (c->seq <= after_seq)
            continue;
        sp_chunk_ref(c);
        snap->chunks[snap->nchunks++] = c;
        snap->rows += c->rows;
    }
    pthread_mutex_unlock(&t->mu);
    return snap;
}

sp_snapshot *sp_table_snapshot(sp_table *t)
{
    return snapshot_where(t, 0);
}

sp_snapshot *sp_table_snapshot_since(sp_table *t, uint64_t after_seq)
{
    return snapshot_where(t, after_seq);
}

void sp_snapshot_free(sp_snapshot *snap)
{
    if (!snap)
        return;
    for (int i = 0; i < snap->nchunks; i++)
        __builtin_prefetch(snap->chunks[i], 1); /* as in snapshot_where */
    for (int i = 0; i < snap->nchunks; i++)
        sp_chunk_unref(snap->chunks[i]);
    free(snap->chunks);
    free(snap);
}

uint64_t sp_table_rows(sp_table *t)
{
    pthread_mutex_lock(&t->mu);
    uint64_t rows = t->rows;
    pthread_mutex_unlock(&t->mu);
    return rows;
}

void sp_table_stats_get(sp_table *t, sp_table_stats *out)
{
    pthread_mutex_lock(&t->mu);
    out->rows = t->rows;
    out->chunks = t->nchunks;
    out->bytes = t->mem + t->cache_mem + tdict_table_bytes(t, -1);
    out->cache_bytes = t->cache_mem;
    out->rows_ingested = t->rows_ingested;
    out->evicted_rows = t->evicted_rows;
    out->evicted_chunks = t->evicted_chunks;
    out->min_time = t->min_time;
    out->max_time = t->max_time;
    pthread_mutex_unlock(&t->mu);
    out->duplicates = atomic_load(&t->duplicates);
    out->bytes += dedup_bytes(&t->dedup);
}

uint64_t sp_table_col_bytes(sp_table *t, int col)
{
    pthread_mutex_lock(&t->mu);
    uint64_t b = ((size_t)col < t->col_mem_cap ? t->col_mem[col] : 0) + tdict_table_bytes(t, col);
    pthread_mutex_unlock(&t->mu);
    return b;
}

uint64_t sp_store_bytes(sp_store *s)
{
    uint64_t b = 0;
    sp_table *tabs[256];
    int n = sp_store_tables(s, tabs, 256);
    for (int i = 0; i < n && i < 256; i++) {
        sp_table_stats st;
        sp_table_stats_get(tabs[i], &st);
        b += st.bytes;
    }
    return b;
}

/* Removes chunk i of t (t->mu held); returns its rows. */
static uint64_t evict_locked(sp_table *t, size_t i)
{
    sp_chunk *c = t->chunks[i];
    memmove(t->chunks + i, t->chunks + i + 1, (t->nchunks - i - 1) * sizeof *t->chunks);
    t->nchunks--;
    account_chunk(t, c, -1);
    t->cache_mem -= c->cache_mem;
    c->evicted = true;
    t->evicted_rows += c->rows;
    t->evicted_chunks++;
    for (uint32_t k = 0; k < c->nkeys; k++)
        dedup_remove(&t->dedup, c->keys[k]);
    uint64_t rows = c->rows;
    sp_chunk_unref(c);
    return rows;
}

uint64_t sp_store_enforce_retention(sp_store *s, int64_t now_ticks)
{
    uint64_t evicted = 0;
    pthread_mutex_lock(&s->mu);
    size_t nt = s->ntables;
    sp_table **tabs = sp_xmalloc(sizeof(sp_table *) * (nt ? nt : 1));
    memcpy(tabs, s->tables, sizeof(sp_table *) * nt);
    pthread_mutex_unlock(&s->mu);

    if (s->cfg.retention_ticks > 0) {
        int64_t horizon = now_ticks - s->cfg.retention_ticks;
        for (size_t ti = 0; ti < nt; ti++) {
            sp_table *t = tabs[ti];
            pthread_mutex_lock(&t->mu);
            for (size_t i = 0; i < t->nchunks;) {
                sp_chunk *c = t->chunks[i];
                if (c->max_time != INT64_MIN && c->max_time < horizon)
                    evicted += evict_locked(t, i);
                else
                    i++;
            }
            recompute_time_range(t);
            pthread_mutex_unlock(&t->mu);
        }
    }
    if (s->cfg.memory_budget > 0) {
        /* Evict the chunk with the oldest newest-event across all tables, one at a time. */
        while (sp_store_bytes(s) > s->cfg.memory_budget) {
            sp_table *victim_t = NULL;
            size_t victim_i = 0;
            int64_t oldest = INT64_MAX;
            uint64_t oldest_seq = UINT64_MAX;
            for (size_t ti = 0; ti < nt; ti++) {
                sp_table *t = tabs[ti];
                pthread_mutex_lock(&t->mu);
                for (size_t i = 0; i < t->nchunks; i++) {
                    sp_chunk *c = t->chunks[i];
                    int64_t mt = c->max_time == INT64_MIN ? INT64_MIN + 1 : c->max_time;
                    if (mt < oldest || (mt == oldest && c->seq < oldest_seq)) {
                        oldest = mt;
                        oldest_seq = c->seq;
                        victim_t = t;
                        victim_i = i;
                    }
                }
                pthread_mutex_unlock(&t->mu);
            }
            if (!victim_t)
                break;
            pthread_mutex_lock(&victim_t->mu);
            if (victim_i < victim_t->nchunks && victim_t->chunks[victim_i]->seq == oldest_seq)
                evicted += evict_locked(victim_t, victim_i);
            recompute_time_range(victim_t);
            pthread_mutex_unlock(&victim_t->mu);
        }
    }
    free(tabs);
    return evicted;
}
