/* op_aggregate.c — summarize: hash grouping over the key tuple (keys.c) and one
 * aggregate state per group and aggregate (agg.c).
 *
 * Vectorized in two steps per batch: first every selected row gets its group id, then
 * each aggregate folds the whole batch in one loop over (row, group). The group-id step
 * has fast paths for the usual shapes of detection queries:
 *   - one text key read with table-dictionary ids (kvec.gids, asked for by the optimizer):
 *     id -> group through an array per table dictionary, the text hashed once per
 *     dictionary entry for the whole query (the group table still owns the numbering, so
 *     chunks without ids or under another dictionary meet the same groups); when the scan
 *     handed on the ids alone (kvec.ids_only), a new group's key text is read from its
 *     chunk once every row is counted, and a dcount argument's text is never read;
 *   - one dictionary-encoded key (a chunk column): the key of each distinct code is
 *     hashed and looked up once per chunk; rows map code -> group through an array;
 *   - one plain text key: hashes are computed in a first pass that prefetches the
 *     strings ahead (the rows a filter keeps are scattered, and each string is a cache
 *     miss), groups are looked up in a second;
 *   - no key, or a constant key: one group for the batch.
 * Anything else hashes the key tuple row by row. count() is a counter increment and
 * dcount/dcountif/count_distinct go to one (group, value) set per aggregate (set.c) —
 * or, when the argument has table-dictionary ids, to a set of (group, value id) integer
 * pairs, the value id being the row's id itself (dcount_ids); the other aggregates fold
 * row by row through kagg_update.
 *
 * Before any of that, a summarize of count() and dcounts by one text key with ids counts
 * without groups at all (count_by_id): a record per table-dictionary id of the key, the
 * keys met listed in first-seen order, and the output written straight from them; it
 * turns to groups (dense_leave) only if a later batch comes without ids of the same
 * dictionaries.
 *
 * Groups are emitted in the order they first appeared, which keeps results deterministic
 * for tests and replays. Everything a group keeps (key strings, sets, lists) is copied
 * into the operator's arena or the group table's, because input batches die at the next
 * pull.
 */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

#define PREFETCH_AHEAD 16

/* Table-dictionary ids (kvec.gids) of a text key or dcount argument are numbered (a
 * group, a value id) through one array per table dictionary, indexed by id; an entry is
 * KHASH_NONE until its id is first met. A hash table owns the numbering (dense, first-seen
 * order) and keeps each number's text, but the texts of the first dictionary met (the
 * primary one, the only one unless a dictionary was retired) are not hashed at all: their
 * numbers are appended unindexed (khash_append). Every other text — a row without ids,
 * an id of another dictionary — is looked up in the hash table's indexed tuples, then in
 * the primary dictionary (sp_tdict_find: its id gives the number), and only then gets an
 * indexed number of its own; and a primary id met after indexed numbers exist looks its
 * text up among them first. So equal texts always get the same number, whichever way
 * they come. Dictionaries are told apart by serial: one can be freed and another
 * allocated at its address while a query runs. */
/* The map of one dictionary, in pages allocated as ids of their range are met: a query
 * over one chunk (a per-event rule) touches a few pages of a dictionary of millions. */
#define GID_PAGE_BITS 12
#define GID_PAGE (1u << GID_PAGE_BITS)

typedef struct gid_map {
    uint64_t serial;
    uint32_t **pages;
    uint32_t npages;
} gid_map;

/* A number appended for a primary id of an ids_only vector, and where its text is (a pair
 * of offsets into bytes, in the chunk it came from), not read yet. */
typedef struct gid_lazy {
    const uint32_t *offs;
    const char *bytes;
    uint32_t num;
} gid_lazy;

typedef struct gid_index {
    khash *h;
    bool keep_text; /* numbers keep their text (group keys); else only equal texts matter */
    const sp_tdict *primary; /* NULL until a vector with ids arrives */
    uint64_t primary_serial;
    gid_map *m;
    int n;
    /* Numbers whose key is the text of a primary id that arrived without text (kvec
     * .ids_only): nobody compares appended tuples, so their keys are left unset until
     * gid_index_texts reads and writes them, once, when every row has been numbered. */
    gid_lazy *lazy;
    uint32_t nlazy, lazycap;
    sp_type lazy_type;
    /* Per number: the primary id it was appended for, KHASH_NONE for a number of another
     * kind (merging a helper thread's partial summarize goes by these ids). */
    uint32_t *pid;
    uint32_t npid;
    sp_type type; /* the texts' type, from the first vector with ids */
} gid_index;

/* The map of dictionary td, with page slots for every id it has handed out so far (a
 * vector's ids were published before its chunk, so they are all below the count). */
static gid_map *gid_map_of(gid_index *x, const sp_tdict *td)
{
    uint64_t serial = sp_tdict_serial(td);
    int at = 0;
    while (at < x->n && x->m[at].serial != serial)
        at++;
    if (at == x->n) {
        x->m = sp_xrealloc(x->m, sizeof *x->m * (size_t)(x->n + 1));
        x->m[x->n++] = (gid_map){.serial = serial};
    }
    gid_map *m = &x->m[at];
    uint32_t need = (sp_tdict_count(td) + GID_PAGE - 1) >> GID_PAGE_BITS;
    if (need > m->npages) { /* live ingest keeps adding entries */
        m->pages = sp_xrealloc(m->pages, sizeof *m->pages * need);
        memset(m->pages + m->npages, 0, sizeof *m->pages * (need - m->npages));
        m->npages = need;
    }
    return m;
}

/* The number slot of id (KHASH_NONE until set). */
static inline uint32_t *gid_slot(gid_map *m, uint32_t id)
{
    uint32_t **p = &m->pages[id >> GID_PAGE_BITS];
    if (!*p) {
        *p = sp_xmalloc(sizeof(uint32_t) * GID_PAGE);
        memset(*p, 0xff, sizeof(uint32_t) * GID_PAGE);
    }
    return &(*p)[id & (GID_PAGE - 1)];
}

/* The number of id, KHASH_NONE if none; unlike gid_slot, takes no page for it. */
static inline uint32_t gid_lookup(const gid_map *m, uint32_t id)
{
    const uint32_t *p = m->pages[id >> GID_PAGE_BITS];
    return p ? p[id & (GID_PAGE - 1)] : KHASH_NONE;
}

static inline void gid_prefetch(const gid_map *m, uint32_t id)
{
    const uint32_t *p = m->pages[id >> GID_PAGE_BITS];
    if (p)
        sp_prefetch(&p[id & (GID_PAGE - 1)]);
}

static void gid_index_free(gid_index *x)
{
    for (int i = 0; i < x->n; i++) {
        for (uint32_t p = 0; p < x->m[i].npages; p++)
            free(x->m[i].pages[p]);
        free(x->m[i].pages);
    }
    free(x->m);
    free(x->lazy);
    free(x->pid);
    memset(x, 0, sizeof *x);
}

/* The primary dictionary is td, whose texts are of type t. */
static void gid_index_set_primary(gid_index *x, const sp_tdict *td, sp_type t)
{
    x->primary = td;
    x->primary_serial = sp_tdict_serial(td);
    x->type = t;
}

/* A new number for primary id id, unindexed (khash_append), its key t (NULL: set later or
 * never read). Every number appended is one of a primary id: merging a helper's part by
 * id relies on pid covering them all. */
static uint32_t gid_append(gid_index *x, const kval *t, uint32_t id)
{
    uint32_t num = khash_append(x->h, t);
    if (num >= x->npid) {
        uint32_t nc = SP_MAX(num + 1, x->npid ? x->npid * 2 : 1024);
        x->pid = sp_xrealloc(x->pid, sizeof *x->pid * nc);
        memset(x->pid + x->npid, 0xff, sizeof *x->pid * (nc - x->npid));
        x->npid = nc;
    }
    x->pid[num] = id;
    return num;
}

/* Row i's text, read from the vector or, without one (ids_only), from its chunk. */
static inline void row_text(const kvec *v, uint32_t i, kval *t)
{
    if (v->ids_only)
        kvec_id_text(v, i, t);
    else
        kvec_get(v, i, t);
}

/* Number num's key is the text of row i of ids_only vector v, written by gid_index_texts. */
static void gid_lazy_add(gid_index *x, uint32_t num, const kvec *v, uint32_t i)
{
    if (x->nlazy == x->lazycap) {
        x->lazycap = x->lazycap ? x->lazycap * 2 : 1024;
        x->lazy = sp_xrealloc(x->lazy, sizeof *x->lazy * x->lazycap);
    }
    const uint32_t *offs = kvec_id_offs(v, i);
    /* Asked for now, while the scan's own misses are in flight: gid_index_texts then
     * finds most offsets in cache instead of waiting for them one pass after the scan. */
    __builtin_prefetch(offs);
    x->lazy[x->nlazy++] = (gid_lazy){offs, v->tbytes, num};
    x->lazy_type = v->type;
}

/* Writes the keys of the numbers gid_lazy_add left unset: their chunks' texts, referenced
 * (stable_text: the scan holds the chunks, and a result that pins chunks keeps them),
 * their offsets asked for ahead: they are spread over the table like the rows. */
static void gid_index_texts_of(gid_index *x, const uint32_t *only);
static void gid_index_texts(gid_index *x)
{
    gid_index_texts_of(x, NULL);
}

/* The same for the numbers only: those whose only[num] is KHASH_NONE (only NULL: all).
 * The others are never read. */
static void gid_index_texts_of(gid_index *x, const uint32_t *only)
{
    kval *keys = x->h->keys;
    size_t nk = (size_t)x->h->nkeys;
    for (uint32_t j = 0; j < x->nlazy; j++) {
        if (j + PREFETCH_AHEAD < x->nlazy && (!only || only[x->lazy[j + PREFETCH_AHEAD].num] == KHASH_NONE))
            __builtin_prefetch(x->lazy[j + PREFETCH_AHEAD].offs);
        const gid_lazy *z = &x->lazy[j];
        if (!only || only[z->num] == KHASH_NONE)
            kval_text_at(x->lazy_type, z->offs, z->bytes, &keys[(size_t)z->num * nk]);
    }
    x->nlazy = 0;
}

/* The number of a text that no primary id names. */
static uint32_t gid_index_text(gid_index *x, const kval *t)
{
    uint64_t hv = khash_of(t, 1);
    uint32_t id = khash_find(x->h, t, hv);
    if (id != KHASH_NONE)
        return id;
    uint32_t g;
    if (x->primary && !t->null && sp_tdict_find((sp_tdict *)x->primary, t->u.s.p, t->u.s.n, &g)) {
        uint32_t *slot = gid_slot(gid_map_of(x, x->primary), g);
        if (*slot == KHASH_NONE)
            *slot = gid_append(x, x->keep_text ? t : NULL, g);
        return *slot;
    }
    return khash_insert(x->h, t, hv, NULL);
}

/* Numbers the selected rows of v, which has no ids of the primary dictionary, by their
 * text through text_num(ctx, text); the number of an id of another dictionary is kept
 * in x's map of it, so each of its ids is looked up once. */
static void gid_index_rows_by_text(gid_index *x, const kvec *v, const kbatch *b, uint32_t rows, uint32_t *out,
                                   uint32_t (*text_num)(void *ctx, const kval *t), void *ctx)
{
    gid_map *m = v->gids ? gid_map_of(x, v->tdict) : NULL;
    for (uint32_t k = 0; k < rows; k++) {
        uint32_t i = kbatch_row(b, k);
        uint32_t *slot = m ? gid_slot(m, kvec_gid(v, i)) : NULL;
        if (slot && *slot != KHASH_NONE) {
            out[k] = *slot;
            continue;
        }
        kval t;
        row_text(v, i, &t);
        out[k] = text_num(ctx, &t);
        if (slot)
            *slot = out[k];
    }
}

static uint32_t gid_index_text_cb(void *x, const kval *t)
{
    return gid_index_text(x, t);
}

/* Numbers the selected rows of text vector v into out (k-th selected row at out[k]). */
static void gid_index_rows(gid_index *x, const kvec *v, const kbatch *b, uint32_t rows, uint32_t *out)
{
    x->h->borrow_text = v->stable_text; /* the scan closes after the operator */
    if (v->gids && !x->primary)
        gid_index_set_primary(x, v->tdict, v->type);
    if (v->gids && sp_tdict_serial(v->tdict) == x->primary_serial) {
        gid_map *m = gid_map_of(x, v->tdict);
        bool indexed = x->h->nindexed > 0; /* this loop adds no indexed numbers */
        /* The first rows' slots too: a scan that compacts hands on batches of a few dozen
         * rows, whose first PREFETCH_AHEAD would otherwise miss one after another. */
        for (uint32_t k = 0; k < rows && k < PREFETCH_AHEAD; k++)
            gid_prefetch(m, kvec_gid(v, kbatch_row(b, k)));
        for (uint32_t k = 0; k < rows; k++) {
            if (k + PREFETCH_AHEAD < rows)
                gid_prefetch(m, kvec_gid(v, kbatch_row(b, k + PREFETCH_AHEAD)));
            uint32_t i = kbatch_row(b, k), id = kvec_gid(v, i);
            uint32_t *slot = gid_slot(m, id), num = *slot;
            if (num == KHASH_NONE && v->ids_only && !indexed) {
                /* A new number, its text read later and only if it is a key. */
                num = *slot = gid_append(x, NULL, id);
                if (x->keep_text)
                    gid_lazy_add(x, num, v, i);
            } else if (num == KHASH_NONE) {
                kval t;
                row_text(v, i, &t);
                num = indexed ? khash_find(x->h, &t, khash_of(&t, 1)) : KHASH_NONE;
                if (num == KHASH_NONE && x->keep_text) {
                    /* The row's own text (the dictionary's entry would be one more miss),
                     * asked for now: the output copies it, and the miss overlaps the
                     * scan's instead of waiting at the end. */
                    if (!v->ids_only)
                        __builtin_prefetch(t.u.s.p);
                    num = gid_append(x, &t, id);
                } else if (num == KHASH_NONE) { /* nobody reads it: no lookup compares
                                                 * appended tuples */
                    num = gid_append(x, NULL, id);
                }
                *slot = num;
            }
            out[k] = num;
        }
        return;
    }
    /* Another dictionary's ids or none: by text. (gid_index_text adds pages to the
     * primary map only; pages never move.) */
    gid_index_rows_by_text(x, v, b, rows, out, gid_index_text_cb, x);
}

/* A dcount whose argument arrives with ids: (group, value id) pairs in an integer set.
 * A value's id is its id in the primary dictionary (the one of the first batch, which has
 * ids: that is how this state was chosen), read straight from the rows, so that counting
 * a value costs no lookup. A text the primary dictionary does not hold (a row without
 * ids, or of a dictionary retired since, whose texts are looked up there first) gets
 * DCOUNT_TEXT_VID | its number in vals. Primary ids stay far below that bit. */
#define DCOUNT_TEXT_VID 0x80000000u
typedef struct dcount_ids {
    khash vals;      /* texts without a primary id, numbered */
    gid_index index; /* the primary dictionary; per other dictionary, id -> value id */
    /* A group's values are first[group] and those of its pairs: most groups of a
     * detection have one value (users per failing address), which then costs no set
     * probe. */
    uint32_t *first; /* per group: its first value id, KHASH_NONE = none yet */
    uint32_t nfirst;
    kpairs pairs;    /* group << 32 | value id, for values other than first[group] */
    /* A summarize without keys (one group): a bit per primary id seen instead of pairs
     * (dcount_seen_add); texts without a primary id still go to first and pairs. */
    uint64_t *seen;
    uint32_t nseen; /* words */
} dcount_ids;

/* Output columns written before agg_emit asks for them, by whichever thread is free
 * then: the leader writes its groups' text keys while it waits for the helper; the helper
 * writes the tail's keys and counters once it has matched its groups to the leader's (the
 * tail's are its own alone, final since its scan). Per output column, a flat array over
 * the side's groups in emit order (kstr for a text key, int64_t for a counter), or NULL:
 * agg_emit writes that column per batch. */
typedef struct agg_prep {
    uint32_t n;  /* groups the arrays cover */
    void **cols; /* per output column, or NULL when nothing was written ahead */
} agg_prep;

typedef struct agg_op {
    kop base;
    kop *in;
    kagg_progs progs;
    khash groups;               /* key tuple -> group id, first-seen order */
    uint32_t scap;      /* groups the arrays below have room for */
    /* count() and the dcounts keep one counter per group (8 bytes instead of a full
     * kagg_state: a query with many groups touches far less memory); the other
     * aggregates keep states. slot[i] is aggregate i's index in counts or states. */
    int ncounts, nstates;
    int *slot;
    int64_t *counts;    /* groups * ncounts */
    kagg_state *states; /* groups * nstates */
    sp_arena arena, tmp;
    bool done;
    uint32_t emitted; /* groups already output */
    kbatch out;
    uint32_t *gids;     /* the current batch: group of the k-th selected row */
    uint32_t batch_group; /* the current batch's one group when all its rows have it (gids
                           * then set only if an aggregate other than count reads them),
                           * else KHASH_NONE */
    uint64_t *hashes;   /* the current batch: per selected row, key or value hashes */
    uint32_t rowcap;    /* capacity of gids and hashes */
    /* One dictionary-encoded key: group of each code of the current dictionary. */
    const void *map_id;
    uint32_t *map;
    uint32_t map_cap;
    /* count() alone (or no aggregate) by one key: a batch whose key is dictionary-encoded
     * is counted per entry (count_by_entry), in hist (ENTRY_LANES counters per entry). */
    bool counts_only;
    uint32_t *hist;
    uint32_t hist_cap;
    kdistinct **distinct; /* per aggregate: its (group, value) set when it is a dcount */
    /* A dcount decides at its first batch: if its argument has table-dictionary ids it
     * counts (group, value id) pairs in ids[i] from then on, else text in distinct[i]. */
    dcount_ids **ids;
    uint32_t *vids;       /* the current batch: a dcount's value id of the k-th selected row */
    /* One text key: once a key vector with table-dictionary ids arrived, every batch is
     * numbered through this index over groups. */
    gid_index keyidx;
    uint32_t ginit; /* groups whose counters and states are set up */
    struct agg_par *par; /* the helper thread's part, when the summarize runs on two */
    /* The helper's groups that the leader did not have, when agg_merge_groups went by
     * id: they stay in the helper's table (par->w) and are emitted after the leader's, in
     * the helper's first-seen order, as one thread would have appended them. */
    uint32_t *tail;
    uint32_t ntail;
    /* Output columns written ahead (agg_prep): the leader's groups' keys, the tail's keys
     * and counters. */
    agg_prep lead, tail_out;
    /* count() and dcounts by one text key with table-dictionary ids: counted per id
     * (agg_dense, count_by_id); groups are made from it only if a later batch needs them
     * (dense_leave). */
    struct agg_dense *dense;
    bool dense_off; /* decided against it at the first batch, or left it */
} agg_op;

/* Counting by id (count_by_id): `summarize count() by UserPrincipalName` over failures
 * meets thousands of users, and making a group of each (a number, a tuple, a counter row,
 * its text found after the scan) cost more than the scan. Here a row costs an increment
 * in a record indexed by the key's table-dictionary id, and a key met for the first time
 * notes where its text is. A dcount of a column with ids keeps its first value id and its
 * count in the record, and further values in a set of (key id, value id) pairs, as
 * dcount_ids does per group. The records are one array zeroed at the first batch: a
 * dictionary whose records would take more than DENSE_MAX_WORDS words (4 MB), and a
 * per-event rule's run over one chunk, keep to groups, whose tables grow with the keys
 * met rather than with the dictionary. (Records in pages allocated as their keys are met
 * would not need that limit, but the page lookup made the scans 10-17 % slower.) */
#define DENSE_MAX_WORDS (1u << 20)

/* A key met, and where its text is: offs[0..1] into p when offs is set (an ids_only
 * vector's chunk: not read until output, and only then), else p[0..n). Chunk text: the
 * key vector's stable_text holds, and a result that pins chunks may reference it. */
typedef struct dense_key {
    uint32_t id, n;
    const char *p;
    const uint32_t *offs;
} dense_key;

/* A dcount counted by id: its argument's dictionary, and its pairs beyond the first. */
typedef struct dense_dcount {
    int agg;
    const sp_tdict *td;
    uint64_t serial;
    sp_type type;
    kpairs pairs;
} dense_dcount;

typedef struct agg_dense {
    const sp_tdict *td; /* the key's dictionary; rows with other ids leave (dense_leave) */
    uint64_t serial;
    sp_type type;
    /* Per id, stride words: the rows counted, then per dcount its first value id + 1 (0:
     * none yet) and its count. */
    uint32_t stride;
    uint32_t *rec;
    uint32_t ncnt; /* ids with a record */
    int *word;     /* per counter slot (agg_op.slot): its word in a record */
    dense_dcount *dc;
    int ndc;
    dense_key *keys; /* ids with rows, in first-seen order: the groups, in output order */
    uint32_t nkeys, keycap;
    uint64_t *pend; /* a batch's pairs for a set */
    uint32_t pendcap;
} agg_dense;

static inline kstr dense_text(const dense_key *k)
{
    return k->offs ? (kstr){k->p + k->offs[0], k->offs[1] - k->offs[0]} : (kstr){k->p, k->n};
}

/* Sets up the counters and states of groups added since the last call. */
static void init_new_groups(agg_op *a)
{
    uint32_t n = a->groups.n, g0 = a->ginit;
    if (n == g0)
        return;
    if (n > a->scap) {
        uint32_t nc = a->scap ? a->scap : 64;
        while (nc < n)
            nc *= 2;
        if (a->ncounts)
            a->counts = sp_xrealloc(a->counts, sizeof(int64_t) * (size_t)nc * (size_t)a->ncounts);
        if (a->nstates)
            a->states = sp_xrealloc(a->states, sizeof(kagg_state) * (size_t)nc * (size_t)a->nstates);
        a->scap = nc;
    }
    if (a->ncounts)
        memset(&a->counts[(size_t)g0 * (size_t)a->ncounts], 0, sizeof(int64_t) * (size_t)(n - g0) * (size_t)a->ncounts);
    if (a->nstates)
        memset(&a->states[(size_t)g0 * (size_t)a->nstates], 0,
               sizeof(kagg_state) * (size_t)(n - g0) * (size_t)a->nstates);
    a->ginit = n;
}

static uint32_t find_group_h(agg_op *a, const kval *key, uint64_t hv)
{
    bool added;
    uint32_t g = khash_insert(&a->groups, key, hv, &added);
    if (added)
        init_new_groups(a);
    return g;
}

static uint32_t find_group(agg_op *a, const kval *key, int nkeys)
{
    return find_group_h(a, key, khash_of(key, nkeys));
}

/* Hashes of a text vector's selected rows as khash_of would give them for a one-value
 * key, prefetching the strings PREFETCH_AHEAD rows ahead. */
static void hash_text_rows(const kvec *v, const kbatch *b, uint32_t rows, uint64_t *out, bool as_key)
{
    const kstr *s = v->d.s;
    const uint32_t *sel = b->sel;
    for (uint32_t k = 0; k < rows; k++) {
        if (k + PREFETCH_AHEAD < rows)
            __builtin_prefetch(s[sel ? sel[k + PREFETCH_AHEAD] : k + PREFETCH_AHEAD].p);
        kval x;
        kvec_get(v, sel ? sel[k] : k, &x);
        out[k] = as_key ? khash_of(&x, 1) : kdistinct_hash(&x);
    }
}

/* a->map for dictionary-encoded key kv: the group of each of its codes, KHASH_NONE until
 * known (kept while the dictionary stays the same). */
static void entry_map_for(agg_op *a, const kvec *kv)
{
    uint32_t nd = kv->dict->n;
    if (a->map_id == kv->dict_id)
        return;
    if (nd > a->map_cap) {
        free(a->map);
        a->map_cap = nd;
        a->map = sp_xmalloc(sizeof(uint32_t) * nd);
    }
    memset(a->map, 0xff, sizeof(uint32_t) * nd);
    a->map_id = kv->dict_id;
}

/* Fills a->gids for the batch's selected rows. */
static void batch_groups(agg_op *a, kbatch *b, uint32_t rows)
{
    const kp *n = a->base.node;
    uint32_t *gids = a->gids;
    a->batch_group = KHASH_NONE;
    /* The input (and the scan under it) closes after this operator is done (agg_close):
     * keys read straight from store chunks are kept without a copy. */
    a->groups.borrow_text = n->nkeys == 1 && a->progs.keyv[0]->stable_text;
    if (n->nkeys == 1 && (a->progs.keyv[0]->gids || a->keyidx.primary)) {
        /* One text key with table-dictionary ids: an array access per row, whatever the
         * chunk and its encoding; once ids were met, every later batch goes this way too
         * (the numbering is the index's). */
        gid_index_rows(&a->keyidx, a->progs.keyv[0], b, rows, gids);
        init_new_groups(a);
        return;
    }
    if (n->nkeys == 0 || (n->nkeys == 1 && a->progs.keyv[0]->enc == KV_CONST)) {
        uint32_t g = find_group(a, kagg_progs_key(&a->progs, kbatch_row(b, 0)), n->nkeys);
        a->batch_group = g;
        for (int i = 0; i < n->naggs; i++)
            if (n->aggs[i].agg != KA_count) { /* the others read each row's group */
                for (uint32_t k = 0; k < rows; k++)
                    gids[k] = g;
                break;
            }
        return;
    }
    const kvec *kv = a->progs.keyv[0];
    if (n->nkeys == 1 && kv->enc == KV_DICT && kv->dict_id) {
        entry_map_for(a, kv);
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t i = kbatch_row(b, k), c = kvec_code(kv, i), g = a->map[c];
            if (g == KHASH_NONE) {
                kval key;
                kvec_get(kv, i, &key);
                g = a->map[c] = find_group(a, &key, 1);
            }
            gids[k] = g;
        }
        return;
    }
    if (n->nkeys == 1 && kv->enc == KV_FLAT && sp_type_is_text(kv->type)) {
        hash_text_rows(kv, b, rows, a->hashes, true);
        for (uint32_t k = 0; k < rows; k++) {
            if (k + PREFETCH_AHEAD / 2 < rows)
                khash_prefetch(&a->groups, a->hashes[k + PREFETCH_AHEAD / 2]);
            kval key;
            kvec_get(kv, kbatch_row(b, k), &key);
            gids[k] = find_group_h(a, &key, a->hashes[k]);
        }
        return;
    }
    for (uint32_t k = 0; k < rows; k++)
        gids[k] = find_group(a, kagg_progs_key(&a->progs, kbatch_row(b, k)), n->nkeys);
}

/* count() alone by one dictionary-encoded key: each selected row's code is counted in
 * one of ENTRY_LANES (four) histograms in turn, and each entry's total added to its group once.
 * Adding one to its group's counter row by row made each add wait on the last one when
 * most rows have the same key (`summarize count() by ResultType`: nine rows in ten are
 * "0"), and the group of each row went through the key's table-dictionary id. Groups the
 * dictionary's entries are new to are numbered as the per-row path numbers them, from the
 * first row of each, in row order: the same groups in the same order. Dictionaries of
 * more than ENTRY_COUNT_MAX entries go the per-row way (their histograms would cost more
 * than the rows). */
#define ENTRY_LANES 4
#define ENTRY_COUNT_MAX 4096

#define ENTRY_HIST(T, codes)                                                                    \
    do {                                                                                        \
        const T *c_ = (codes);                                                                  \
        uint32_t k_ = 0;                                                                        \
        if (sel)                                                                                \
            for (; k_ + ENTRY_LANES <= rows; k_ += ENTRY_LANES) {                               \
                h[c_[sel[k_]]]++;                                                               \
                h[nd + c_[sel[k_ + 1]]]++;                                                      \
                h[2 * nd + c_[sel[k_ + 2]]]++;                                                  \
                h[3 * nd + c_[sel[k_ + 3]]]++;                                                  \
            }                                                                                   \
        else                                                                                    \
            for (; k_ + ENTRY_LANES <= rows; k_ += ENTRY_LANES) {                               \
                h[c_[k_]]++;                                                                    \
                h[nd + c_[k_ + 1]]++;                                                           \
                h[2 * nd + c_[k_ + 2]]++;                                                       \
                h[3 * nd + c_[k_ + 3]]++;                                                       \
            }                                                                                   \
        for (; k_ < rows; k_++)                                                                 \
            h[c_[sel ? sel[k_] : k_]]++;                                                        \
    } while (0)

static bool count_by_entry(agg_op *a, kbatch *b, uint32_t rows)
{
    const kvec *kv = a->progs.keyv[0];
    if (!a->counts_only || kv->enc != KV_DICT || !kv->dict_id || kv->dict->n > ENTRY_COUNT_MAX)
        return false;
    uint32_t nd = kv->dict->n;
    if ((size_t)ENTRY_LANES * nd > a->hist_cap) {
        a->hist_cap = ENTRY_LANES * nd;
        a->hist = sp_xrealloc(a->hist, sizeof(uint32_t) * a->hist_cap);
    }
    uint32_t *h = a->hist;
    memset(h, 0, sizeof(uint32_t) * ENTRY_LANES * nd);
    const uint32_t *sel = b->sel;
    if (kv->codes)
        ENTRY_HIST(uint32_t, kv->codes);
    else
        ENTRY_HIST(uint8_t, kv->codes8);
    entry_map_for(a, kv);
    uint32_t fresh = 0;
    for (uint32_t e = 0; e < nd; e++) {
        h[e] += h[nd + e] + h[2 * nd + e] + h[3 * nd + e];
        if (h[e] && a->map[e] == KHASH_NONE) {
            h[nd + e] = 1; /* lane 1 now marks the entries still to number */
            fresh++;
        } else {
            h[nd + e] = 0;
        }
    }
    if (fresh) {
        /* Their first rows, in row order, numbered by the per-row path. */
        uint32_t *first = sp_arena_alloc(&a->tmp, sizeof(uint32_t) * fresh), nf = 0;
        for (uint32_t k = 0; k < rows && nf < fresh; k++) {
            uint32_t i = kbatch_row(b, k), e = kvec_code(kv, i);
            if (h[nd + e]) {
                h[nd + e] = 0;
                first[nf++] = i;
            }
        }
        kbatch firsts = *b;
        firsts.sel = first;
        firsts.nsel = nf;
        batch_groups(a, &firsts, nf);
        for (uint32_t j = 0; j < nf; j++)
            a->map[kvec_code(kv, first[j])] = a->gids[j];
    }
    const kp *n = a->base.node;
    size_t nc = (size_t)a->ncounts;
    for (uint32_t e = 0; e < nd; e++)
        if (h[e])
            for (int ai = 0; ai < n->naggs; ai++)
                a->counts[(size_t)a->map[e] * nc + (size_t)a->slot[ai]] += h[e];
    return true;
}

static bool is_dcount(const kp_agg *ag)
{
    return ag->agg == KA_dcount || ag->agg == KA_dcountif || ag->agg == KA_count_distinct;
}

static dcount_ids *dcount_ids_new(void)
{
    dcount_ids *d = sp_xcalloc(1, sizeof(dcount_ids));
    khash_init(&d->vals, 1);
    d->index.h = &d->vals;
    return d;
}

/* Room in first[] for groups [0, ngroups). */
static void dcount_ids_grow(dcount_ids *d, uint32_t ngroups)
{
    if (ngroups > d->nfirst) {
        uint32_t nc = SP_MAX(ngroups, d->nfirst * 2);
        d->first = sp_xrealloc(d->first, sizeof(uint32_t) * nc);
        memset(d->first + d->nfirst, 0xff, sizeof(uint32_t) * (nc - d->nfirst));
        d->nfirst = nc;
    }
}

/* Counts value id vid for group g unless the group has it: 1 when it was new. */
static inline int dcount_ids_add(dcount_ids *d, uint32_t g, uint32_t vid)
{
    if (d->first[g] == KHASH_NONE) {
        d->first[g] = vid;
        return 1;
    }
    return d->first[g] != vid && kpairs_add(&d->pairs, (uint64_t)g << 32 | vid);
}

/* The value id of a text (DCOUNT_TEXT_VID). */
static uint32_t dcount_text_vid(dcount_ids *d, const kval *t)
{
    uint32_t id;
    if (d->index.primary && !t->null && sp_tdict_find((sp_tdict *)d->index.primary, t->u.s.p, t->u.s.n, &id))
        return id;
    return DCOUNT_TEXT_VID | khash_insert(&d->vals, t, khash_of(t, 1), NULL); /* found or added */
}

static uint32_t dcount_text_vid_cb(void *d, const kval *t)
{
    return dcount_text_vid(d, t);
}

/* Value ids of the selected rows of x into out (k-th selected row at out[k]). */
static void dcount_vids(dcount_ids *d, const kvec *x, const kbatch *b, uint32_t rows, uint32_t *out)
{
    gid_index *ix = &d->index;
    if (x->gids && !ix->primary)
        gid_index_set_primary(ix, x->tdict, x->type);
    if (x->gids && sp_tdict_serial(x->tdict) == ix->primary_serial) {
        for (uint32_t k = 0; k < rows; k++)
            out[k] = kvec_gid(x, kbatch_row(b, k));
        return;
    }
    /* Another dictionary's ids or none: by text. */
    d->vals.borrow_text = x->stable_text;
    gid_index_rows_by_text(ix, x, b, rows, out, dcount_text_vid_cb, d);
}

/* Room in the seen bitmap for every id its primary dictionary has handed out (a
 * vector's ids were published before its chunk; live ingest keeps adding them). */
static void dcount_seen_grow(dcount_ids *d)
{
    uint32_t words = (sp_tdict_count(d->index.primary) + 63) / 64;
    if (words > d->nseen) {
        d->seen = sp_xrealloc(d->seen, sizeof(uint64_t) * words);
        memset(d->seen + d->nseen, 0, sizeof(uint64_t) * (words - d->nseen));
        d->nseen = words;
    }
}

/* Primary id vid seen by the one group: 1 when it was new. vid is below the count of
 * ids the last dcount_seen_grow found. */
static inline int dcount_seen_add(dcount_ids *d, uint32_t vid)
{
    uint64_t bit = 1ull << (vid & 63), *w = &d->seen[vid >> 6];
    int fresh = !(*w & bit);
    *w |= bit;
    return fresh;
}

/* The same for an id looked up after the bitmap was last sized (merge_dcount adopts ids
 * by text, and live ingest may have added them since): the bitmap grows for it. */
static int dcount_seen_add_late(dcount_ids *d, uint32_t vid)
{
    if (vid >= d->nseen * 64u)
        dcount_seen_grow(d);
    return dcount_seen_add(d, vid);
}

/* dcount over ids: a row's value id is new to its group when the group has none yet, or
 * when it differs from the group's first and the pair set did not hold it; rows that
 * dcountif's condition or a null leave out count nothing. Without keys, a primary id is
 * new when its bit in seen was not set: for `summarize dcount(IPAddress)` over a table of
 * a hundred thousand addresses that is a 12 KB bitmap instead of a pair set of megabytes,
 * a probe of which missed the cache for nearly every row. */
static void fold_dcount_ids(agg_op *a, int ai, kbatch *b, uint32_t rows, const kvec *x, const kvec *cond)
{
    dcount_ids *d = a->ids[ai];
    dcount_vids(d, x, b, rows, a->vids);
    dcount_ids_grow(d, a->groups.n);
    bool one_group = a->base.node->nkeys == 0 && d->index.primary;
    if (one_group)
        dcount_seen_grow(d);
    size_t nc = (size_t)a->ncounts, at = (size_t)a->slot[ai];
    uint64_t *pk = a->hashes; /* pairs left for the set */
    uint32_t np = 0;
    for (uint32_t k = 0; k < rows; k++) {
        uint32_t i = kbatch_row(b, k), g = a->gids[k], vid = a->vids[k];
        if (kvec_is_null(x, i) || (cond && (kvec_is_null(cond, i) || !kvec_bool(cond, i))))
            continue;
        if (one_group && !(vid & DCOUNT_TEXT_VID)) {
            a->counts[at] += dcount_seen_add(d, vid);
        } else if (d->first[g] == KHASH_NONE) {
            d->first[g] = vid;
            a->counts[(size_t)g * nc + at]++;
        } else if (d->first[g] != vid) {
            pk[np++] = (uint64_t)g << 32 | vid;
        }
    }
    for (uint32_t k = 0; k < np; k++) {
        if (k + PREFETCH_AHEAD / 2 < np)
            kpairs_prefetch(&d->pairs, pk[k + PREFETCH_AHEAD / 2]);
        if (kpairs_add(&d->pairs, pk[k]))
            a->counts[(size_t)(pk[k] >> 32) * nc + at]++;
    }
}

/* dcount, dcountif, count_distinct: the (group, value) set; a new pair counts one. */
static void fold_dcount(agg_op *a, int ai, kbatch *b, uint32_t rows)
{
    const kp *n = a->base.node;
    const kp_agg *ag = &n->aggs[ai];
    const kvec *x = a->progs.argv[a->progs.argbase[ai]];
    const kvec *cond = ag->agg == KA_dcountif ? a->progs.argv[a->progs.argbase[ai] + 1] : NULL;
    if (!a->ids[ai] && !a->distinct[ai]) { /* the first batch decides */
        if (x->gids)
            a->ids[ai] = dcount_ids_new();
        else
            a->distinct[ai] = kdistinct_new();
    }
    if (a->ids[ai]) {
        fold_dcount_ids(a, ai, b, rows, x, cond);
        return;
    }
    kdistinct *d = a->distinct[ai];
    if (x->ids_only) /* the first batch came without ids: this set counts texts */
        x = kvec_ids_materialise(&a->tmp, x, b->sel, rows);
    kdistinct_borrow_text(d, x->stable_text); /* the scan closes after this operator */
    uint64_t *vh = a->hashes;
    if (x->enc == KV_FLAT && sp_type_is_text(x->type)) {
        hash_text_rows(x, b, rows, vh, false);
    } else {
        for (uint32_t k = 0; k < rows; k++) {
            kval v;
            kvec_get(x, kbatch_row(b, k), &v);
            vh[k] = kdistinct_hash(&v);
        }
    }
    for (uint32_t k = 0; k < rows; k++) {
        if (k + PREFETCH_AHEAD / 2 < rows)
            kdistinct_prefetch(d, a->gids[k + PREFETCH_AHEAD / 2], vh[k + PREFETCH_AHEAD / 2]);
        uint32_t i = kbatch_row(b, k);
        if (cond && (kvec_is_null(cond, i) || !kvec_bool(cond, i)))
            continue;
        kval v;
        kvec_get(x, i, &v);
        if (kdistinct_add(d, a->gids[k], &v, vh[k]))
            a->counts[(size_t)a->gids[k] * (size_t)a->ncounts + (size_t)a->slot[ai]]++;
    }
}

static void dense_free(agg_dense *d)
{
    if (!d)
        return;
    for (int j = 0; j < d->ndc; j++)
        kpairs_free(&d->dc[j].pairs);
    free(d->dc);
    free(d->word);
    free(d->rec);
    free(d->keys);
    free(d->pend);
    free(d);
}

/* Room for a record per id the dictionary has handed out (a vector's ids were published
 * before its chunk; live ingest keeps adding them), and for more keys and pairs. */
static void dense_grow(agg_dense *d, uint32_t ncnt, uint32_t more)
{
    if (ncnt > d->ncnt) {
        d->rec = sp_xrealloc(d->rec, sizeof(uint32_t) * (size_t)d->stride * ncnt);
        memset(d->rec + (size_t)d->stride * d->ncnt, 0, sizeof(uint32_t) * (size_t)d->stride * (ncnt - d->ncnt));
        d->ncnt = ncnt;
    }
    if (d->nkeys + more > d->keycap) {
        d->keycap = SP_MAX(d->nkeys + more, d->keycap * 2);
        d->keys = sp_xrealloc(d->keys, sizeof(dense_key) * d->keycap);
    }
    if (more > d->pendcap) {
        d->pendcap = more;
        d->pend = sp_xrealloc(d->pend, sizeof(uint64_t) * more);
    }
}

/* Whether the summarize counts by id from this first batch on: one text key with ids,
 * aggregates count() and dcounts of columns with ids. */
static agg_dense *dense_start(agg_op *a)
{
    const kp *n = a->base.node;
    const kvec *kv = a->progs.keyv[0];
    const kexec_opts *o = a->base.ex->opts;
    /* count() alone over a chunk dictionary small enough is counted per entry instead
     * (count_by_entry): `count() by ResultType` has most rows on one key, which a per-row
     * increment would make wait on itself. */
    if (n->nkeys != 1 || a->groups.n || !kv->gids || !kv->stable_text || !sp_type_is_text(kv->type) ||
        (o && o->only_chunk) || (a->counts_only && kv->enc == KV_DICT && kv->dict->n <= ENTRY_COUNT_MAX))
        return NULL;
    int ndc = 0;
    for (int ai = 0; ai < n->naggs; ai++) {
        ka_id k = n->aggs[ai].agg;
        if (k == KA_count)
            continue;
        if ((k != KA_dcount && k != KA_count_distinct) || !a->progs.argv[a->progs.argbase[ai]]->gids)
            return NULL;
        ndc++;
    }
    if ((size_t)sp_tdict_count(kv->tdict) * (1 + 2 * (size_t)ndc) > DENSE_MAX_WORDS)
        return NULL;
    agg_dense *d = sp_xcalloc(1, sizeof *d);
    d->td = kv->tdict;
    d->serial = sp_tdict_serial(kv->tdict);
    d->type = kv->type;
    d->stride = 1 + 2 * (uint32_t)ndc;
    d->word = sp_xcalloc((size_t)(a->ncounts ? a->ncounts : 1), sizeof(int));
    d->dc = sp_xcalloc((size_t)(ndc ? ndc : 1), sizeof(dense_dcount));
    for (int ai = 0; ai < n->naggs; ai++) {
        if (n->aggs[ai].agg == KA_count)
            continue; /* word 0 */
        const kvec *x = a->progs.argv[a->progs.argbase[ai]];
        d->dc[d->ndc] = (dense_dcount){.agg = ai, .td = x->tdict, .serial = sp_tdict_serial(x->tdict), .type = x->type};
        d->word[a->slot[ai]] = 2 + 2 * d->ndc++;
    }
    return d;
}

/* Stops counting by id: makes a group of each key counted so far, in their order, as
 * the per-row path would have numbered them (by primary id, their text referenced), with
 * its counters and its dcounts' states (dcount_ids). Every later batch goes the per-row
 * way. */
static void dense_leave(agg_op *a)
{
    agg_dense *d = a->dense;
    a->dense = NULL;
    a->dense_off = true;
    if (!d)
        return;
    kexec_counters *cnt = a->base.ex->opts ? a->base.ex->opts->counters : NULL;
    if (cnt)
        cnt->groups_by_id_left++;
    gid_index *x = &a->keyidx;
    x->h->borrow_text = true; /* chunk text (dense_key) */
    if (!x->primary)
        gid_index_set_primary(x, d->td, d->type);
    gid_map *m = gid_map_of(x, d->td);
    size_t nc = (size_t)a->ncounts;
    for (uint32_t j = 0; j < d->nkeys; j++) {
        uint32_t id = d->keys[j].id;
        kval t;
        kval_of_text(d->type, dense_text(&d->keys[j]), &t);
        uint32_t num = gid_append(x, &t, id);
        *gid_slot(m, id) = num;
        init_new_groups(a);
        for (size_t c = 0; c < nc; c++)
            a->counts[(size_t)num * nc + c] = d->rec[(size_t)id * d->stride + (size_t)d->word[c]];
    }
    for (int j = 0; j < d->ndc; j++) {
        const dense_dcount *dc = &d->dc[j];
        dcount_ids *di = a->ids[dc->agg] = dcount_ids_new();
        gid_index_set_primary(&di->index, dc->td, dc->type);
        dcount_ids_grow(di, a->groups.n);
        for (uint32_t k = 0; k < d->nkeys; k++) {
            uint32_t id = d->keys[k].id, first = d->rec[(size_t)id * d->stride + 1 + 2 * (size_t)j];
            if (first)
                di->first[gid_lookup(m, id)] = first - 1;
        }
        uint64_t pr;
        for (uint32_t at = 0; kpairs_next(&dc->pairs, &at, &pr);)
            kpairs_add(&di->pairs, (uint64_t)gid_lookup(m, (uint32_t)(pr >> 32)) << 32 | (uint32_t)pr);
    }
    dense_free(d);
}

/* dcount j's pairs of pend[0..np): a new one counts one for its key. */
static void dense_add_pairs(agg_dense *d, int j, const uint64_t *pend, uint32_t np)
{
    kpairs *set = &d->dc[j].pairs;
    kpairs_reserve(set, set->n + np);
    for (uint32_t k = 0; k < np; k++) {
        if (k + PREFETCH_AHEAD / 2 < np)
            kpairs_prefetch(set, pend[k + PREFETCH_AHEAD / 2]);
        if (kpairs_add(set, pend[k]))
            d->rec[(size_t)(pend[k] >> 32) * d->stride + 2 + 2 * (size_t)j]++;
    }
}

/* Value vid of dcount j for key id: its first, or a pair for the set (pend[(*np)++]). */
static inline void dense_dcount_value(agg_dense *d, int j, uint32_t id, uint32_t vid, uint64_t *pend, uint32_t *np)
{
    uint32_t *r = &d->rec[(size_t)id * d->stride + 1 + 2 * (size_t)j];
    if (!r[0]) {
        r[0] = vid + 1;
        r[1]++;
    } else if (r[0] != vid + 1) {
        pend[(*np)++] = (uint64_t)id << 32 | vid;
    }
}

/* Counts the batch by id when the summarize does (above): decided at its first batch,
 * left for good when a batch's key or a dcount's argument comes without ids of its
 * dictionary. */
static bool count_by_id(agg_op *a, kbatch *b, uint32_t rows)
{
    const kvec *kv = a->progs.keyv[0];
    agg_dense *d = a->dense;
    if (!d && (a->dense_off || !(d = a->dense = dense_start(a)))) {
        a->dense_off = true;
        return false;
    }
    bool same = kv->gids && sp_tdict_serial(kv->tdict) == d->serial;
    for (int j = 0; j < d->ndc && same; j++) {
        const kvec *x = a->progs.argv[a->progs.argbase[d->dc[j].agg]];
        same = x->gids && sp_tdict_serial(x->tdict) == d->dc[j].serial;
    }
    if (!same) {
        dense_leave(a);
        return false;
    }
    dense_grow(d, sp_tdict_count(d->td), rows);
    uint32_t *rec = d->rec, stride = d->stride, nk = d->nkeys;
    dense_key *keys = d->keys;
    /* Records asked for ahead: the branch on each one's rows would otherwise wait for its
     * miss and stop the next ones from starting. */
    for (uint32_t k = 0; k < rows && k < PREFETCH_AHEAD; k++)
        __builtin_prefetch(&rec[(size_t)kvec_gid(kv, kbatch_row(b, k)) * stride], 1);
    for (uint32_t k = 0; k < rows; k++) {
        if (k + PREFETCH_AHEAD < rows)
            __builtin_prefetch(&rec[(size_t)kvec_gid(kv, kbatch_row(b, k + PREFETCH_AHEAD)) * stride], 1);
        uint32_t i = kbatch_row(b, k), id = kvec_gid(kv, i);
        if (rec[(size_t)id * stride]++)
            continue;
        dense_key *key = &keys[nk++];
        key->id = id;
        if (kv->ids_only) {
            key->offs = kvec_id_offs(kv, i);
            key->p = kv->tbytes;
            __builtin_prefetch(key->offs); /* read at output: asked for among the scan's misses */
        } else {
            kval t;
            kvec_get(kv, i, &t);
            key->offs = NULL;
            key->p = t.u.s.p;
            key->n = t.u.s.n;
        }
    }
    d->nkeys = nk;
    for (int j = 0; j < d->ndc; j++) { /* the records are in cache now */
        const kvec *x = a->progs.argv[a->progs.argbase[d->dc[j].agg]];
        uint32_t np = 0;
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t i = kbatch_row(b, k);
            if (!kvec_is_null(x, i))
                dense_dcount_value(d, j, kvec_gid(kv, i), kvec_gid(x, i), d->pend, &np);
        }
        dense_add_pairs(d, j, d->pend, np);
    }
    return true;
}

/* Whether the leader's and the helper's counts by id add up (dense_merge). */
static bool dense_mergeable(const agg_dense *d, const agg_dense *w)
{
    if (!d || !w || d->serial != w->serial)
        return false;
    for (int j = 0; j < d->ndc; j++)
        if (d->dc[j].serial != w->dc[j].serial)
            return false;
    return true;
}

/* Adds the helper's counts by id: its keys the leader lacks come after the leader's, in
 * the helper's order, as one thread would have met them; its dcounts' values are added as
 * its rows' would have been. */
static void dense_merge(agg_dense *d, const agg_dense *w)
{
    dense_grow(d, w->ncnt, w->nkeys);
    /* Each dcount's pairs (the helper's firsts the leader had a value for, and its other
     * values) go to its own run of pend, from at[j]. */
    size_t *at = sp_xcalloc((size_t)(d->ndc ? d->ndc : 1), sizeof(size_t)), need = 0;
    uint32_t *np = sp_xcalloc((size_t)(d->ndc ? d->ndc : 1), sizeof(uint32_t));
    for (int j = 0; j < d->ndc; j++) {
        at[j] = need;
        need += (size_t)w->nkeys + w->dc[j].pairs.n;
    }
    if (need > d->pendcap) {
        d->pendcap = (uint32_t)need;
        d->pend = sp_xrealloc(d->pend, sizeof(uint64_t) * need);
    }
    /* One pass over the helper's records (in the other core's cache): rows and firsts. */
    for (uint32_t k = 0; k < w->nkeys; k++) {
        if (k + PREFETCH_AHEAD < w->nkeys) {
            uint32_t ahead = w->keys[k + PREFETCH_AHEAD].id;
            __builtin_prefetch(&d->rec[(size_t)ahead * d->stride], 1);
            __builtin_prefetch(&w->rec[(size_t)ahead * w->stride]);
        }
        uint32_t id = w->keys[k].id;
        uint32_t *r = &d->rec[(size_t)id * d->stride];
        const uint32_t *wr = &w->rec[(size_t)id * w->stride];
        if (!r[0])
            d->keys[d->nkeys++] = w->keys[k];
        r[0] += wr[0];
        for (int j = 0; j < d->ndc; j++)
            if (wr[1 + 2 * j])
                dense_dcount_value(d, j, id, wr[1 + 2 * j] - 1, d->pend + at[j], &np[j]);
    }
    for (int j = 0; j < d->ndc; j++) {
        uint64_t pr;
        for (uint32_t s = 0; kpairs_next(&w->dc[j].pairs, &s, &pr);)
            dense_dcount_value(d, j, (uint32_t)(pr >> 32), (uint32_t)pr, d->pend + at[j], &np[j]);
        dense_add_pairs(d, j, d->pend + at[j], np[j]);
    }
    free(at);
    free(np);
}

static int agg_consume(agg_op *a)
{
    kexec *ex = a->base.ex;
    const kp *n = a->base.node;
    size_t ns = (size_t)a->nstates;
    kbatch *b;
    int r;
    while ((r = a->in->next(a->in, &b)) > 0) {
        uint32_t rows = kbatch_rows(b);
        if (rows == 0)
            continue;
        if (rows > a->rowcap) {
            a->rowcap = rows;
            a->gids = sp_xrealloc(a->gids, sizeof(uint32_t) * rows);
            a->vids = sp_xrealloc(a->vids, sizeof(uint32_t) * rows);
            a->hashes = sp_xrealloc(a->hashes, sizeof(uint64_t) * rows);
        }
        sp_arena_reset(&a->tmp);
        if (kagg_progs_eval(ex, &a->progs, b, &a->tmp) < 0)
            return -1;
        if (count_by_id(a, b, rows) || count_by_entry(a, b, rows))
            continue;
        batch_groups(a, b, rows);
        for (int ai = 0; ai < n->naggs; ai++) {
            const kp_agg *ag = &n->aggs[ai];
            if (ag->agg == KA_count) {
                size_t nc = (size_t)a->ncounts, at = (size_t)a->slot[ai];
                if (a->batch_group != KHASH_NONE) /* one group: adding one per row would wait on the last add */
                    a->counts[(size_t)a->batch_group * nc + at] += rows;
                else
                    for (uint32_t k = 0; k < rows; k++)
                        a->counts[(size_t)a->gids[k] * nc + at]++;
            } else if (is_dcount(ag)) {
                fold_dcount(a, ai, b, rows);
            } else {
                kval *args = a->progs.argbuf;
                const kvec *const *argv = (const kvec *const *)a->progs.argv + a->progs.argbase[ai];
                for (uint32_t k = 0; k < rows; k++) {
                    uint32_t row = kbatch_row(b, k);
                    for (int j = 0; j < ag->nargs; j++)
                        kvec_get(argv[j], row, &args[j]);
                    kagg_update(&a->arena, ag, &a->states[(size_t)a->gids[k] * ns + (size_t)a->slot[ai]], args);
                }
            }
        }
    }
    return r < 0 || ex->failed ? -1 : 0;
}

/* ---- two threads (exec_int.h, intra-query parallelism) ----
 *
 * A summarize over filters and projections of one scan of at least KPAR_MIN_ROWS rows
 * runs on two threads when kexec_opts.threads asks for it: the helper aggregates the back
 * part of the scan's morsels into a partial summarize of its own, and the leader, once
 * done with the front part, folds the helper's groups into its own in the helper's
 * first-seen order. When both numbered their groups by table-dictionary id (the usual
 * case), only the groups both met are folded; the helper's others stay in its table and
 * are emitted after the leader's, in the helper's order (agg_op.tail). Because the
 * helper's rows all come after the leader's, the result is the one a single thread gives,
 * groups in the same order, for the aggregates whose states merge exactly:
 *   - count, countif, and sum/sumif of integers (a real sum would round differently);
 *   - dcount, dcountif, count_distinct: the helper's (group, value) pairs are added to
 *     the leader's set, by table-dictionary id when both counted ids, else by text;
 *   - min, max, minif, maxif, arg_max, arg_min: the helper's best replaces the leader's
 *     only when strictly better, as its first row would have; take_any keeps the leader's.
 * Other aggregates (avg, make_set, make_list, percentiles, ...) and inputs whose rows
 * depend on order (row_number, prev, next, ..., rand) or on subqueries keep one thread.
 * Group keys go from the helper's numbering to the leader's through the primary id each
 * group was made for (gid_index.pid), or through its text; dcount value ids are primary
 * ids on both sides already (dcount_ids), and only the others go through their text.
 *
 * If one side's dcount counted ids and the other's texts (a table whose chunks differ in
 * type), the leader reads the helper's morsels again itself: rare, and always right. */
#define KPAR_MIN_ROWS 131072

typedef struct agg_par {
    kpar_job job; /* first: the helper's run gets the job */
    kscan_split split;
    const kp *node;
    kplan *plan;
    sp_store *store;
    bool stolen;  /* the leader took the helper's share for it (kexec_opts.split_evenly) */
    bool joined;
    kexec wex;    /* the helper's */
    bool wbegun;
    kexec_opts wopts;
    kexec_counters wcounters;
    sp_diag werr;
    agg_op *w;    /* the helper's partial summarize; NULL: it took no morsels */
    kop *redo;    /* the helper's morsels read again by the leader */
    /* The leader's side (agg_par_merge_early): its summarize, and how far it is. */
    agg_op *leader;
    _Atomic int leader_state;
    _Atomic bool split_ready; /* split (and stolen) set: the job is posted before them */
    uint32_t *gmap; /* the helper matched its groups to the leader's (agg_merge_groups) */
} agg_par;

enum {
    LEADER_SCANNING, /* the helper must not touch the leader's tables yet */
    LEADER_SCANNED,  /* only its group texts change from here (gid_index_texts) */
    LEADER_GAVE_UP   /* it failed: the helper leaves its tables alone */
};

static agg_op *agg_new(kexec *ex, const kp *node);

/* Whether the rows an expression gives for a row depend only on that row. */
static bool kx_splits(const kx *e)
{
    if (!e)
        return true;
    if (e->kind == KX_SUBQUERY)
        return false;
    if (e->kind == KX_CALL)
        switch (e->fn) {
        case KB_row_number:
        case KB_prev:
        case KB_next:
        case KB_row_cumsum:
        case KB_row_window_session:
        case KB_rand: return false;
        default: break;
        }
    for (int i = 0; i < e->nargs; i++)
        if (!kx_splits(e->args[i]))
            return false;
    return true;
}

/* The scan under a summarize that may run on two threads, or NULL. */
static const kp *par_scan(const kexec *ex, const kp *node)
{
    const kexec_opts *o = ex->opts;
    if (!o || o->threads < 2 || ex->split || o->only_table || !ex->store)
        return NULL;
    for (int i = 0; i < node->nkeys; i++)
        if (!kx_splits(node->keys[i].expr))
            return NULL;
    for (int i = 0; i < node->naggs; i++) {
        const kp_agg *ag = &node->aggs[i];
        if (ag->agg != KA_count && !is_dcount(ag) && !kagg_mergeable(ag, node->out.cols[ag->first_out].type))
            return NULL;
        for (int j = 0; j < ag->nargs; j++)
            if (!kx_splits(ag->args[j]))
                return NULL;
    }
    const kp *n = node->in;
    for (;; n = n->in) {
        if (n->kind == KP_FILTER) {
            if (!kx_splits(n->pred))
                return NULL;
        } else if (n->kind == KP_PROJECT) {
            for (int i = 0; i < n->nitems; i++)
                if (!kx_splits(n->items[i].expr))
                    return NULL;
        } else {
            break;
        }
    }
    if (n->kind != KP_SCAN || n->scan_unbound || !kx_splits(n->scan_filter))
        return NULL;
    return n;
}

static void agg_close(kop *self);
static bool agg_can_merge(const agg_op *a, const agg_op *w);
static bool agg_merges_by_id(const agg_op *a, const agg_op *w);
static uint32_t *agg_merge_groups(agg_op *a, const agg_op *w);

/* ---- output columns ---- */

enum { OUT_BY_ROW, OUT_TEXT_KEY, OUT_COUNTER };

/* How output column c is written: a text key (*at = its key index) or a count()/dcount
 * counter (*at = its slot in counts) straight into a flat column; anything else row by
 * row through kvals (keys keep their type: text stays text, null text is ""). */
static int out_kind(const agg_op *a, int c, size_t *at)
{
    const kp *n = a->base.node;
    if (c < n->nkeys) {
        *at = (size_t)c;
        return sp_type_is_text(n->out.cols[c].type) ? OUT_TEXT_KEY : OUT_BY_ROW;
    }
    for (int i = 0; i < n->naggs; i++) {
        const kp_agg *ag = &n->aggs[i];
        if (ag->first_out == c && (ag->agg == KA_count || is_dcount(ag)) && n->out.cols[c].type == SP_TYPE_LONG) {
            *at = (size_t)a->slot[i];
            return OUT_COUNTER;
        }
    }
    return OUT_BY_ROW;
}

/* Whether every output column is written straight (out_kind): keys of text and counters. */
static bool out_all_direct(const agg_op *a)
{
    for (int c = 0; c < a->base.node->out.ncols; c++) {
        size_t at;
        if (out_kind(a, c, &at) == OUT_BY_ROW)
            return false;
    }
    return true;
}

/* Bytes per row of a column written straight (out_kind): a kstr key or an int64_t counter. */
static size_t out_width(int kind)
{
    return kind == OUT_COUNTER ? sizeof(int64_t) : sizeof(kstr);
}

/* Writes output column c (out_kind, at) of cnt groups of src into out: groups list[r],
 * or g0 + r without a list. Keys are referenced from the group table. */
static void out_fill(const agg_op *a, const agg_op *src, int kind, size_t at, const uint32_t *list, uint32_t g0,
                     uint32_t cnt, void *out)
{
    size_t stride = kind == OUT_COUNTER ? (size_t)a->ncounts : (size_t)a->base.node->nkeys;
    for (uint32_t r = 0; r < cnt; r++) {
        size_t g = list ? list[r] : g0 + r;
        if (kind == OUT_COUNTER) {
            ((int64_t *)out)[r] = src->counts[g * stride + at];
        } else {
            const kval *x = &src->groups.keys[g * stride + at];
            ((kstr *)out)[r] = x->null ? (kstr){"", 0} : x->u.s;
        }
    }
}

/* Writes every output column (all written straight: out_all_direct) of keys [k0, k0 + n)
 * counted by id into cols[c], in one pass: a key's text offsets and its record are asked
 * for DENSE_FILL_AHEAD keys ahead (they are spread over the chunks and the records). */
#define DENSE_FILL_AHEAD 32
static void dense_fill(const agg_op *a, uint32_t k0, uint32_t n, void **cols)
{
    const agg_dense *d = a->dense;
    int nc = a->base.node->out.ncols;
    int *word = sp_xmalloc(sizeof(int) * (size_t)(nc ? nc : 1)); /* a counter's word, or -1: the key */
    for (int c = 0; c < nc; c++) {
        size_t at;
        word[c] = out_kind(a, c, &at) == OUT_COUNTER ? d->word[at] : -1;
    }
    const dense_key *keys = d->keys + k0;
    for (uint32_t r = 0; r < n; r++) {
        if (r + DENSE_FILL_AHEAD < n) {
            const dense_key *ahead = &keys[r + DENSE_FILL_AHEAD];
            if (ahead->offs)
                __builtin_prefetch(ahead->offs);
            __builtin_prefetch(&d->rec[(size_t)ahead->id * d->stride]);
        }
        const uint32_t *rec = &d->rec[(size_t)keys[r].id * d->stride];
        for (int c = 0; c < nc; c++) {
            if (word[c] < 0)
                ((kstr *)cols[c])[r] = dense_text(&keys[r]);
            else
                ((int64_t *)cols[c])[r] = rec[word[c]];
        }
    }
    free(word);
}

/* Writes ahead (agg_prep) the text keys, and the counters when with_counters, of n
 * groups of src (list[r], or r without a list) into pp. */
static void agg_prepare(const agg_op *a, const agg_op *src, const uint32_t *list, uint32_t n, bool with_counters,
                        agg_prep *pp)
{
    int nc = a->base.node->out.ncols;
    pp->cols = sp_xcalloc((size_t)(nc ? nc : 1), sizeof(void *));
    pp->n = n;
    for (int c = 0; c < nc; c++) {
        size_t at;
        int kind = out_kind(a, c, &at);
        if (kind == OUT_TEXT_KEY || (kind == OUT_COUNTER && with_counters)) {
            pp->cols[c] = sp_xmalloc(out_width(kind) * (n ? n : 1));
            out_fill(a, src, kind, at, list, 0, n, pp->cols[c]);
        }
    }
}

static void agg_prep_free(agg_prep *pp, int ncols)
{
    for (int c = 0; pp->cols && c < ncols; c++)
        free(pp->cols[c]);
    free(pp->cols);
}

#define MERGE_WAIT_NS 1000000 /* kexec_opts.par_merge_wait_ns when 0 */

/* The helper, done with its share, matches its groups to the leader's itself once the
 * leader's scan is done, while the leader reads its groups' texts: merged by id, that
 * reads the leader's id map and writes only p->gmap and the leader's tail. It then writes
 * the tail's output ahead (agg_prep: the tail's counters are the helper's alone). The
 * leader folds the values in (agg_merge_values), into its own cache. A merge by text
 * (which adds groups to the leader's table) or a redo stays the leader's, and so does
 * this one when the leader's scan is not done within MERGE_WAIT_NS (or
 * kexec_opts.par_merge_wait_ns). */
static void agg_par_merge_early(agg_par *p)
{
    int st;
    uint64_t t0 = kexec_interval_ns(), wait = p->wopts.par_merge_wait_ns ? p->wopts.par_merge_wait_ns : MERGE_WAIT_NS;
    /* Still scanning after the wait: the leader is busy elsewhere (another operator first). */
    while ((st = atomic_load_explicit(&p->leader_state, memory_order_acquire)) == LEADER_SCANNING &&
           kexec_interval_ns() - t0 <= wait)
        kpar_relax();
    /* (Counted by id, both: the leader adds the counts, agg_par_join.) */
    if (st != LEADER_SCANNED || p->leader->dense || p->w->dense || !agg_can_merge(p->leader, p->w) ||
        !agg_merges_by_id(p->leader, p->w)) {
        gid_index_texts(&p->w->keyidx); /* the leader merges: by text, perhaps */
        return;
    }
    p->gmap = agg_merge_groups(p->leader, p->w);
    /* Only the groups left in this table are emitted from it: the others' texts are the
     * leader's. */
    gid_index_texts_of(&p->w->keyidx, p->gmap);
    agg_prepare(p->leader, p->w, p->leader->tail, p->leader->ntail, true, &p->leader->tail_out);
}

/* The helper's job: take the back half of the leader's morsels and aggregate them. Its
 * operators are set up before it takes its share (their scan finds the share at its first
 * read): the leader claims morsels meanwhile, and the two halves end closer together. */
static void agg_par_run(kpar_job *job)
{
    agg_par *p = (agg_par *)job;
    kexec_begin(&p->wex, p->plan, p->store, &p->wopts, &p->werr);
    p->wbegun = true;
    while (!atomic_load_explicit(&p->split_ready, memory_order_acquire))
        kpar_relax(); /* set a few microseconds after the post, before the leader's scan */
    p->wex.split = &p->split;
    p->wex.split_fixed = true;
    agg_op *w = agg_new(&p->wex, p->node);
    if (!p->stolen && !kscan_split_steal(&p->split)) {
        agg_close(&w->base); /* the leader is (nearly) done */
        return;
    }
    p->w = w;
    if (!p->wex.failed && agg_consume(p->w) == 0) {
        /* Texts are read while the leader still scans; once it is done, after the match,
         * and only for the groups the leader lacks. */
        if (atomic_load_explicit(&p->leader_state, memory_order_acquire) == LEADER_SCANNING)
            gid_index_texts(&p->w->keyidx);
        agg_par_merge_early(p);
    }
}

/* Sets up the split of the summarize's scan and hands the helper its job, before the
 * leader's own input is built (its scan then reads the split). Nothing when the
 * summarize does not qualify or the helper is busy. */
static agg_par *agg_par_begin(kexec *ex, const kp *node)
{
    const kp *scan = par_scan(ex, node);
    sp_table *t = scan ? sp_store_find(ex->store, scan->table) : NULL;
    if (!t || sp_table_rows(t) < (ex->opts->par_min_rows ? ex->opts->par_min_rows : KPAR_MIN_ROWS))
        return NULL;
    agg_par *p = sp_xcalloc(1, sizeof *p);
    p->job.run = agg_par_run;
    p->node = node;
    p->plan = ex->plan;
    p->store = ex->store;
    p->wopts = *ex->opts;
    p->wopts.now = ex->now; /* now() is one instant for the whole query */
    p->wopts.counters = ex->opts->counters ? &p->wcounters : NULL;
    if (!kpar_post(&p->job)) {
        free(p);
        return NULL;
    }
    /* Posted first: the helper takes tens of microseconds to wake, and the snapshot
     * (a miss per chunk) is made meanwhile. */
    kscan_split_init(&p->split, scan, sp_table_snapshot(t));
    if (ex->opts->split_evenly)
        p->stolen = kscan_split_steal(&p->split);
    atomic_store_explicit(&p->split_ready, true, memory_order_release);
    return p;
}

/* The group in x, a group key index, of group num of src, which numbered another part of
 * the same scan (the helper's; its keys' texts are all set): by the primary id the group
 * was made for when x shares that dictionary, the way gid_index_rows would have numbered
 * a row with that id; else by its text. */
static uint32_t gid_index_adopt(gid_index *x, const gid_index *src, uint32_t num)
{
    uint32_t id = num < src->npid ? src->pid[num] : KHASH_NONE;
    if (id != KHASH_NONE && !x->primary)
        gid_index_set_primary(x, src->primary, src->type);
    kval t = src->h->keys[num];
    if (id == KHASH_NONE || x->primary_serial != src->primary_serial)
        return gid_index_text(x, &t);
    uint32_t *slot = gid_slot(gid_map_of(x, x->primary), id);
    if (*slot != KHASH_NONE)
        return *slot;
    uint32_t got = x->h->nindexed > 0 ? khash_find(x->h, &t, khash_of(&t, 1)) : KHASH_NONE;
    if (got == KHASH_NONE)
        got = gid_append(x, &t, id);
    return *slot = got;
}

/* The leader's value id of the helper's value id v. */
static uint32_t dcount_vid_adopt(dcount_ids *d, const dcount_ids *wd, uint32_t v)
{
    if (!(v & DCOUNT_TEXT_VID) && wd->index.primary_serial == d->index.primary_serial)
        return v;
    kval t;
    if (v & DCOUNT_TEXT_VID) {
        t = wd->vals.keys[v & ~DCOUNT_TEXT_VID];
    } else {
        size_t n;
        const char *p = sp_tdict_text(wd->index.primary, v, &n);
        kval_of_text(wd->index.type, (kstr){p, n}, &t);
    }
    return dcount_text_vid(d, &t);
}

/* Folds the helper's pairs of dcount ai into the leader's set, counting the new ones; a
 * group gmap leaves out (KHASH_NONE) keeps the helper's count. */
static void merge_dcount(agg_op *a, const agg_op *w, int ai, const uint32_t *gmap)
{
    size_t nc = (size_t)a->ncounts, at = (size_t)a->slot[ai];
    if (w->distinct[ai]) {
        if (!a->distinct[ai])
            a->distinct[ai] = kdistinct_new();
        kdistinct_merge(a->distinct[ai], w->distinct[ai], gmap, a->counts + at, nc);
        return;
    }
    const dcount_ids *wd = w->ids[ai];
    if (!wd)
        return; /* the helper's rows had none */
    dcount_ids *d = a->ids[ai] ? a->ids[ai] : (a->ids[ai] = dcount_ids_new());
    dcount_ids_grow(d, a->groups.n);
    d->vals.borrow_text = true; /* only compared, and the helper's state outlives this one */
    if (!d->index.primary) /* the leader's rows had none */
        gid_index_set_primary(&d->index, wd->index.primary, wd->index.type);
    /* One group (no keys): the leader's primary ids go to its seen bits, whichever side
     * and form (bit, first or pair) the helper had them in. */
    bool one_group = a->base.node->nkeys == 0;
    for (uint32_t j = 0; wd->seen && j < wd->nseen; j++)
        for (uint64_t bits = wd->seen[j]; bits; bits &= bits - 1) {
            uint32_t v = dcount_vid_adopt(d, wd, j * 64 + (uint32_t)__builtin_ctzll(bits));
            a->counts[at] += v & DCOUNT_TEXT_VID ? dcount_ids_add(d, 0, v) : dcount_seen_add_late(d, v);
        }
    /* The helper's pairs in the leader's value ids (the same ids when both read the same
     * primary dictionary, which is the rule), ... */
    uint32_t ngw = SP_MIN(w->groups.n, wd->nfirst);
    uint64_t *pk = sp_xmalloc(sizeof(uint64_t) * ((size_t)ngw + wd->pairs.n + 1));
    uint32_t np = 0;
    for (uint32_t g = 0; g < ngw; g++)
        if (wd->first[g] != KHASH_NONE && gmap[g] != KHASH_NONE)
            pk[np++] = (uint64_t)gmap[g] << 32 | dcount_vid_adopt(d, wd, wd->first[g]);
    uint64_t pr;
    for (uint32_t s = 0; kpairs_next(&wd->pairs, &s, &pr);)
        if (gmap[pr >> 32] != KHASH_NONE) /* not a group left to the helper */
            pk[np++] = (uint64_t)gmap[pr >> 32] << 32 | dcount_vid_adopt(d, wd, (uint32_t)pr);
    /* ... then added as fold_dcount_ids adds a batch's, the set sized once for all. */
    kpairs_reserve(&d->pairs, d->pairs.n + np);
    for (uint32_t k = 0; k < np; k++) {
        if (k + PREFETCH_AHEAD < np) {
            uint64_t ahead = pk[k + PREFETCH_AHEAD];
            __builtin_prefetch(&d->first[ahead >> 32]);
            kpairs_prefetch(&d->pairs, ahead);
        }
        uint32_t g = (uint32_t)(pk[k] >> 32), v = (uint32_t)pk[k];
        a->counts[(size_t)g * nc + at] +=
            one_group && !(v & DCOUNT_TEXT_VID) ? dcount_seen_add_late(d, v) : dcount_ids_add(d, g, v);
    }
    free(pk);
}

/* Whether both numbered the same dictionary's ids, every group by its id:
 * agg_merge_groups then leaves the leader's group table as it is. */
static bool agg_merges_by_id(const agg_op *a, const agg_op *w)
{
    return a->base.node->nkeys == 1 && a->keyidx.primary && w->keyidx.primary &&
           a->keyidx.primary_serial == w->keyidx.primary_serial && !a->groups.nindexed && !w->groups.nindexed &&
           w->keyidx.npid >= w->groups.n;
}

/* The leader's group of each of the helper's groups, in the helper's first-seen order
 * (KHASH_NONE: left in the helper's table). Merged by id, the groups the leader lacks stay
 * in the helper's table (a->tail) and the leader's table is not touched (the helper may
 * run this while the leader reads its groups' texts); by text, they are appended to the
 * leader's. */
static uint32_t *agg_merge_groups(agg_op *a, const agg_op *w)
{
    const kp *n = a->base.node;
    uint32_t ng = w->groups.n;
    uint32_t *gmap = sp_xmalloc(sizeof(uint32_t) * (ng ? ng : 1));
    if (agg_merges_by_id(a, w)) {
        /* The usual case: both numbered the same dictionary's ids, every group by its id.
         * Leaving the others where they are spares copying their keys and states, and
         * their dcount pairs. The slots of the helper's ids in the leader's map are asked
         * for ahead: the leader's scan evicted them, and each would be a miss of its own. */
        gid_map *m = gid_map_of(&a->keyidx, a->keyidx.primary); /* pages for every id so far */
        const uint32_t *pid = w->keyidx.pid; /* set for every group: none was numbered by text */
        a->tail = sp_xmalloc(sizeof(uint32_t) * (ng ? ng : 1));
        for (uint32_t g = 0; g < ng; g++) {
            if (g + PREFETCH_AHEAD < ng)
                gid_prefetch(m, pid[g + PREFETCH_AHEAD]);
            gmap[g] = gid_lookup(m, pid[g]);
            if (gmap[g] == KHASH_NONE)
                a->tail[a->ntail++] = g;
        }
    } else { /* keys by text, another dictionary, or groups numbered by text: rare */
        /* The helper's keys are referenced while they are the store's text; a key the
         * helper copied is copied again, so that the output's keys stay stable_text as
         * declared. */
        a->groups.borrow_text = !w->groups.owns_text;
        bool by_id = n->nkeys == 1 && (a->keyidx.primary || w->keyidx.primary);
        for (uint32_t g = 0; g < ng; g++)
            gmap[g] = by_id ? gid_index_adopt(&a->keyidx, &w->keyidx, g)
                            : find_group(a, n->nkeys ? &w->groups.keys[(size_t)g * (size_t)n->nkeys] : NULL, n->nkeys);
        init_new_groups(a);
    }
    return gmap;
}

/* Folds the helper's counters, states and dcount values into the leader's groups gmap
 * names (agg_merge_groups). Every write goes to the leader's tables: on the leader, they
 * stay in its cache, and the helper's side is read in order. */
static void agg_merge_values(agg_op *a, const agg_op *w, const uint32_t *gmap)
{
    const kp *n = a->base.node;
    uint32_t ng = w->groups.n;
    size_t nc = (size_t)a->ncounts, ns = (size_t)a->nstates;
    for (int ai = 0; ai < n->naggs; ai++) {
        const kp_agg *ag = &n->aggs[ai];
        size_t at = (size_t)a->slot[ai];
        if (is_dcount(ag)) {
            merge_dcount(a, w, ai, gmap);
        } else if (ag->agg == KA_count) {
            for (uint32_t g = 0; g < ng; g++)
                if (gmap[g] != KHASH_NONE)
                    a->counts[(size_t)gmap[g] * nc + at] += w->counts[(size_t)g * nc + at];
        } else {
            for (uint32_t g = 0; g < ng; g++)
                if (gmap[g] != KHASH_NONE)
                    kagg_merge(ag, &a->states[(size_t)gmap[g] * ns + at], &w->states[(size_t)g * ns + at]);
        }
    }
}

/* Whether every dcount of both sides counted the same kind of thing (ids or texts). */
static bool agg_can_merge(const agg_op *a, const agg_op *w)
{
    for (int ai = 0; ai < a->base.node->naggs; ai++)
        if ((a->ids[ai] && w->distinct[ai]) || (a->distinct[ai] && w->ids[ai]))
            return false;
    return true;
}

/* After the leader's own morsels: waits for the helper and takes in its part. */
static int agg_par_join(agg_op *a)
{
    agg_par *p = a->par;
    kexec *ex = a->base.ex;
    bool helped = kpar_finish(&p->job, ex->opts->par_wait_helper);
    p->joined = true;
    if (!helped && p->stolen) /* the share taken for a helper that had not started yet */
        agg_par_run(&p->job);
    kexec_counters *cnt = ex->opts->counters;
    if (cnt)
        cnt->filter_ns += p->wcounters.filter_ns;
    if (!p->w)
        return 0; /* the leader read every morsel */
    if (p->wex.failed) {
        if (ex->err)
            *ex->err = p->werr;
        ex->failed = true;
        return -1;
    }
    if (cnt)
        cnt->par_runs += helped;
    bool by_id = dense_mergeable(a->dense, p->w->dense);
    if (!by_id) { /* one side left counting by id, or went another way from the start */
        dense_leave(a);
        dense_leave(p->w);
    }
    if (by_id || agg_can_merge(a, p->w)) {
        if (cnt) { /* rows read again below are the leader's to count */
            cnt->rows_scanned += p->wcounters.rows_scanned;
            cnt->rows_dropped += p->wcounters.rows_dropped;
            cnt->cells_ids_only += p->wcounters.cells_ids_only;
            cnt->rows_posted += p->wcounters.rows_posted;
        }
        if (by_id) {
            dense_merge(a->dense, p->w->dense);
        } else if (p->gmap) {
            if (cnt)
                cnt->par_early_merges++;
        } else {
            p->gmap = agg_merge_groups(a, p->w);
        }
        if (!by_id)
            agg_merge_values(a, p->w, p->gmap);
        if (cnt)
            cnt->par_groups_kept += a->ntail;
        /* The query's step limit holds for both parts together, as for one thread. */
        ex->vm_steps += p->wex.vm_steps;
        return kexec_check_steps(ex);
    }
    if (cnt)
        cnt->par_redos++;
    /* Read the helper's morsels again, after the leader's own. */
    ex->split = &p->split;
    ex->split_fixed = true;
    p->redo = kop_build(ex, a->base.node->in);
    ex->split = NULL;
    ex->split_fixed = false;
    kop *own = a->in;
    a->in = p->redo;
    int r = ex->failed ? -1 : agg_consume(a);
    a->in = own;
    gid_index_texts(&a->keyidx);
    return r;
}

static void agg_par_free(agg_par *p)
{
    if (!p->joined) { /* the leader failed before joining: the helper may be busy */
        atomic_store_explicit(&p->leader_state, LEADER_GAVE_UP, memory_order_release);
        kpar_finish(&p->job, false);
    }
    if (p->w)
        agg_close(&p->w->base);
    if (p->wbegun)
        kexec_end(&p->wex);
    kop_close(p->redo);
    free(p->gmap);
    free(p);
}

/* Emits the next KB_BATCH groups as a batch: the leader's groups, then those left in the
 * helper's table (a->tail), never both in one batch. Keys are referenced from the group
 * table, aggregate values finished into the operator's arena (both live until close). */
static int agg_emit(agg_op *a, kbatch **out)
{
    const kp *n = a->base.node;
    if (a->dense && !out_all_direct(a))
        dense_leave(a);
    const agg_dense *d = a->dense;
    sp_arena_reset(&a->tmp);
    /* The groups of this side: counted by id, its keys (there is no tail then). */
    uint32_t own = d ? d->nkeys : a->groups.n, total = own + a->ntail;
    if (a->emitted >= total)
        return 0;
    const agg_op *src = a;   /* the table the batch's groups are in */
    const uint32_t *list = NULL; /* their numbers there, or NULL: g0, g0 + 1, ... */
    uint32_t g0 = a->emitted, cnt;
    if (a->emitted < own) {
        cnt = SP_MIN((uint32_t)KB_BATCH, own - g0);
    } else {
        src = a->par->w;
        list = a->tail + (a->emitted - own);
        cnt = SP_MIN((uint32_t)KB_BATCH, total - a->emitted);
    }
    a->emitted += cnt;
    int nc = n->out.ncols;
    kbatch *b = &a->out;
    memset(b, 0, sizeof *b);
    b->n = cnt;
    b->rows_after = total - a->emitted;
    b->ncols = nc;
    b->arena = &a->tmp;
    b->cols = sp_arena_alloc(&a->tmp, sizeof(kvec *) * (size_t)(nc ? nc : 1));
    sp_type *types = sp_arena_alloc(&a->tmp, sizeof(sp_type) * (size_t)(nc ? nc : 1));
    kval *row = sp_arena_alloc(&a->tmp, sizeof(kval) * (size_t)(nc ? nc : 1));
    /* Keys and counters go straight into flat columns, or are views of the columns
     * written ahead (agg_prep); the rest go through kvals. */
    const agg_prep *pp = list ? &a->tail_out : &a->lead;
    uint32_t at0 = list ? g0 - own : g0; /* the batch's first group in pp */
    bool ahead = pp->cols && at0 + cnt <= pp->n;
    bool *direct = sp_arena_calloc(&a->tmp, sizeof(bool) * (size_t)(nc ? nc : 1));
    for (int c = 0; c < nc; c++) {
        types[c] = n->out.cols[c].type;
        size_t at;
        int kind = out_kind(a, c, &at);
        direct[c] = kind != OUT_BY_ROW;
        if (direct[c] && ahead && pp->cols[c]) {
            kvec *v = sp_arena_calloc(&a->tmp, sizeof *v);
            v->type = types[c];
            v->enc = KV_FLAT;
            v->n = cnt;
            v->d.raw = (char *)pp->cols[c] + (size_t)at0 * out_width(kind);
            b->cols[c] = v;
        } else {
            b->cols[c] = kvec_new_flat(&a->tmp, types[c], cnt);
            if (direct[c] && !d) /* counted by id: dense_fill below */
                out_fill(a, src, kind, at, list, g0, cnt, b->cols[c]->d.raw);
        }
        if (kind == OUT_COUNTER)
            b->cols[c]->valid = NULL; /* never null: the output copies the column whole */
        /* Every key borrowed: the column's text is the store chunks' (the input's scan
         * holds them; a result that pins chunks may keep referencing them). */
        if (kind == OUT_TEXT_KEY)
            b->cols[c]->stable_text = !src->groups.owns_text;
    }
    if (d) {
        void **raw = sp_arena_alloc(&a->tmp, sizeof(void *) * (size_t)(nc ? nc : 1));
        for (int c = 0; c < nc; c++)
            raw[c] = b->cols[c]->d.raw;
        dense_fill(a, g0, cnt, raw);
    }
#define EMIT_GROUP(r) (list ? list[r] : g0 + (r))
    bool all_direct = true;
    for (int c = 0; c < nc; c++)
        all_direct &= direct[c];
    for (uint32_t r = 0; r < cnt && !all_direct; r++) {
        uint32_t g = EMIT_GROUP(r);
        for (int k = 0; k < n->nkeys; k++)
            row[k] = src->groups.keys[(size_t)g * (size_t)n->nkeys + (size_t)k];
        for (int i = 0; i < n->naggs; i++) {
            const kp_agg *ag = &n->aggs[i];
            if (direct[ag->first_out])
                continue;
            if (ag->agg == KA_count || is_dcount(ag)) {
                kval v = {.type = SP_TYPE_LONG};
                v.u.l = src->counts[(size_t)g * (size_t)a->ncounts + (size_t)a->slot[i]];
                row[ag->first_out] = v;
                continue;
            }
            kagg_finish(&a->arena, ag, &src->states[(size_t)g * (size_t)a->nstates + (size_t)a->slot[i]],
                        &row[ag->first_out], types + ag->first_out);
        }
        for (int c = 0; c < nc; c++)
            if (!direct[c])
                kvec_put(b->cols[c], r, &row[c]);
    }
#undef EMIT_GROUP
    *out = b;
    return 1;
}

/* Reads the whole input (once) and takes in the helper's part: every group is known. */
static int agg_finish_input(agg_op *a)
{
    if (a->done)
        return 0;
    a->done = true;
    if (agg_consume(a) < 0)
        return -1;
    if (a->par) /* the helper may fold its part in while the texts are read */
        atomic_store_explicit(&a->par->leader_state, LEADER_SCANNED, memory_order_release);
    gid_index_texts(&a->keyidx);
    if (a->par) {
        /* while the helper finishes its part (counted by id, nothing waits to be written) */
        if (!a->dense)
            agg_prepare(a, a, NULL, a->groups.n, false, &a->lead);
        if (agg_par_join(a) < 0)
            return -1;
    }
    if (a->dense && a->base.ex->opts && a->base.ex->opts->counters)
        a->base.ex->opts->counters->groups_by_id++;
    /* summarize without keys over no rows still returns one row */
    if (a->base.node->nkeys == 0 && a->groups.n == 0)
        find_group(a, NULL, 0);
    return 0;
}

static int agg_next(kop *self, kbatch **out)
{
    agg_op *a = (agg_op *)self;
    if (agg_finish_input(a) < 0)
        return -1;
    return agg_emit(a, out);
}

/* The output as whole columns the result adopts (kop.drain), when every column is a text
 * key or a counter (out_kind): the leader's groups, then those only the helper met, as
 * agg_emit orders them, without writing batches that the result would copy again. The
 * columns written ahead (agg_prep) are taken over, not copied. */
static int agg_drain(kop *self, krowset *rs)
{
    agg_op *a = (agg_op *)self;
    const kp *n = self->node;
    int nc = n->out.ncols;
    if (!out_all_direct(a))
        return 0;
    if (agg_finish_input(a) < 0)
        return -1;
    const agg_dense *d = a->dense;
    /* The leader's groups: counted by id, its keys (there is no tail then). */
    uint32_t lead = d ? d->nkeys : a->groups.n, total = lead + a->ntail;
    const agg_op *w = a->ntail ? a->par->w : NULL;
    void **cols = sp_xcalloc((size_t)(nc ? nc : 1), sizeof(void *));
    bool *stable = sp_xcalloc((size_t)(nc ? nc : 1), sizeof(bool));
    for (int c = 0; c < nc; c++) {
        size_t at;
        int kind = out_kind(a, c, &at);
        size_t width = out_width(kind);
        char *col;
        if (d) {
            col = sp_xmalloc(width * (total ? total : 1)); /* dense_fill below */
        } else if (a->lead.cols && a->lead.cols[c] && a->lead.n == lead) {
            col = sp_xrealloc(a->lead.cols[c], width * (total ? total : 1));
            a->lead.cols[c] = NULL; /* the result's now */
        } else {
            col = sp_xmalloc(width * (total ? total : 1));
            out_fill(a, a, kind, at, NULL, 0, lead, col);
        }
        if (w && a->tail_out.cols && a->tail_out.cols[c] && a->tail_out.n == a->ntail)
            memcpy(col + width * lead, a->tail_out.cols[c], width * a->ntail);
        else if (w)
            out_fill(a, w, kind, at, a->tail, 0, a->ntail, col + width * lead);
        cols[c] = col;
        /* (Counted by id, the keys are chunk text and no group table owns any.) */
        stable[c] = kind == OUT_TEXT_KEY && !a->groups.owns_text && (!w || !w->groups.owns_text);
    }
    if (d)
        dense_fill(a, 0, total, cols);
    krowset_adopt(rs, cols, stable, total);
    a->emitted = total;
    free(cols);
    free(stable);
    return 1;
}

static void agg_close(kop *self)
{
    agg_op *a = (agg_op *)self;
    const kp *n = self->node;
    if (a->par) /* before the input: the helper reads the snapshot the leader's scan holds */
        agg_par_free(a->par);
    kop_close(a->in);
    kagg_progs_free(&a->progs);
    for (size_t i = 0; i < (size_t)a->groups.n * (size_t)a->nstates; i++)
        kagg_release(&a->states[i]);
    for (int i = 0; i < n->naggs; i++) {
        kdistinct_free(a->distinct[i]);
        if (a->ids[i]) {
            khash_free(&a->ids[i]->vals);
            gid_index_free(&a->ids[i]->index);
            free(a->ids[i]->first);
            free(a->ids[i]->seen);
            kpairs_free(&a->ids[i]->pairs);
            free(a->ids[i]);
        }
    }
    free(a->distinct);
    free(a->ids);
    dense_free(a->dense);
    gid_index_free(&a->keyidx);
    free(a->vids);
    khash_free(&a->groups);
    free(a->states);
    free(a->counts);
    free(a->slot);
    free(a->tail);
    agg_prep_free(&a->lead, n->out.ncols);
    agg_prep_free(&a->tail_out, n->out.ncols);
    free(a->gids);
    free(a->hashes);
    free(a->map);
    free(a->hist);
    sp_arena_free(&a->arena);
    sp_arena_free(&a->tmp);
    free(a);
}

/* A summarize reading node->in, on one thread. */
static agg_op *agg_new(kexec *ex, const kp *node)
{
    agg_op *a = kop_alloc(sizeof *a, ex, node, agg_next, agg_close);
    a->base.drain = agg_drain;
    a->in = kop_build(ex, node->in);
    khash_init(&a->groups, node->nkeys);
    a->keyidx.h = &a->groups;
    a->keyidx.keep_text = true;
    kagg_progs_init(ex, &a->progs, node);
    a->distinct = sp_xcalloc((size_t)(node->naggs ? node->naggs : 1), sizeof(kdistinct *));
    a->ids = sp_xcalloc((size_t)(node->naggs ? node->naggs : 1), sizeof(dcount_ids *));
    a->slot = sp_xcalloc((size_t)(node->naggs ? node->naggs : 1), sizeof(int));
    a->counts_only = node->nkeys == 1;
    for (int i = 0; i < node->naggs; i++) {
        if (node->aggs[i].agg == KA_count || is_dcount(&node->aggs[i]))
            a->slot[i] = a->ncounts++;
        else
            a->slot[i] = a->nstates++;
        a->counts_only &= node->aggs[i].agg == KA_count;
    }
    return a;
}

kop *kop_aggregate(kexec *ex, const kp *node)
{
    agg_par *p = agg_par_begin(ex, node);
    ex->split = p ? &p->split : NULL; /* the leader's scan, built next, reads the split */
    agg_op *a = agg_new(ex, node);
    ex->split = NULL;
    a->par = p;
    if (p)
        p->leader = a; /* read by the helper only once leader_state says so */
    return &a->base;
}
