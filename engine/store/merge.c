/* merge.c — merging a table's small sealed chunks into larger ones.
 *
 * Builders seal at 16 MB of text (builder.c), so wide records give chunks far below
 * chunk_rows: sign-ins come in chunks of ~8,800 rows, 40 for a 1 GB file. A query pays
 * for every chunk it enters (column views, dictionary entries, predicate verdicts per
 * entry, the prefetches of each), and a value that recurs in every chunk is evaluated
 * once per chunk. Merging is what Kusto's merge policy does to extents: consecutive
 * chunks whose rows fit chunk_rows together are rewritten as one chunk, off the ingest
 * path, so that ingest keeps its small warm builders and queries read few large chunks.
 *
 * A merged chunk holds its parts' rows in their order, cell for cell: text columns get
 * the union of the parts' dictionaries (entries in first-occurrence order, as a builder
 * would number them) and are kept as a dictionary or as plain text by the builder's own
 * size rule (text_keeps_dict); fixed-width values, validity and presence bitmaps and
 * dedup keys are concatenated. Table-dictionary ids carry over when every part had them
 * from the same dictionary, so no text is interned again. The merged chunk takes its
 * parts' place in the table under the table's lock and the sequence number of its last
 * part; snapshots taken before keep reading the parts, which go with their last reader.
 *
 * Write amplification is bounded the size-tiered way: a run is merged only when none of
 * its chunks holds more than half of its rows, so a row is rewritten at most
 * log2(chunk_rows / its first chunk's rows) times.
 */
#include "engine/store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* A run's chunks hold at most this much memory: offsets are 32-bit. */
#define MERGE_MAX_BYTES ((uint64_t)1 << 31)

typedef struct merge_ctx {
    sp_chunk *const *parts;
    int nparts;
    uint32_t rows;
    sp_colview *views; /* one per part, of the column being merged */
    slab_cursor slab;
    sp_chunk *out;
} merge_ctx;

static void *merge_alloc(merge_ctx *m, size_t n)
{
    return slab_alloc(&m->slab, m->out, n);
}

/* ---- bitmaps ---- */

typedef enum { BITS_VALID, BITS_UNSET, BITS_JNULL } bits_kind;

static const uint8_t *view_bits(const sp_colview *v, bits_kind k)
{
    return k == BITS_VALID ? v->valid : k == BITS_UNSET ? v->unset : v->jnull;
}

/* The parts' bitmaps of one kind end to end, or NULL when every bit is the kind's
 * default (valid: set, a NULL validity bitmap means no null; presence: clear). */
static uint8_t *merge_bits(merge_ctx *m, bits_kind k, uint64_t *mem)
{
    bool dflt = k == BITS_VALID, any = false;
    for (int p = 0; p < m->nparts && !any; p++)
        any = view_bits(&m->views[p], k) != NULL;
    if (!any)
        return NULL;
    size_t len = (size_t)m->rows / 8 + 1;
    uint8_t *tmp = sp_xcalloc(1, len);
    bool differs = false;
    uint32_t at = 0;
    for (int p = 0; p < m->nparts; p++) {
        const uint8_t *bits = view_bits(&m->views[p], k);
        for (uint32_t r = 0; r < m->views[p].rows; r++, at++) {
            bool b = bits ? sp_bit(bits, r) : dflt;
            differs |= b != dflt;
            tmp[at >> 3] |= (uint8_t)((unsigned)b << (at & 7));
        }
    }
    uint8_t *out = NULL;
    if (differs) {
        out = merge_alloc(m, len);
        memcpy(out, tmp, len);
        *mem += len;
    }
    free(tmp);
    return out;
}

/* ---- fixed-width columns ---- */

static void merge_fixed(merge_ctx *m, chunk_col *out)
{
    size_t w = sp_type_width(out->type);
    char *vals = merge_alloc(m, (size_t)m->rows * w);
    size_t at = 0;
    for (int p = 0; p < m->nparts; p++) {
        memcpy(vals + at, m->views[p].values, (size_t)m->views[p].rows * w);
        at += (size_t)m->views[p].rows * w;
    }
    out->values = vals;
    out->mem += (uint64_t)m->rows * w;
    out->valid = merge_bits(m, BITS_VALID, &out->mem);
}

/* ---- text columns ---- */

/* The merged dictionary: distinct texts in first-occurrence order, found by hash. */
typedef struct text_union {
    uint64_t *ht; /* high 32 bits of the hash << 32 | entry + 1; 0 = empty */
    uint32_t mask, n;
    uint32_t *offs; /* n + 1 */
    size_t ocap;
    sp_buf bytes;
    uint32_t *gids; /* per entry, when the parts' ids carry over */
    size_t gcap;
} text_union;

/* The low half of entry e's hash (the union keeps no hashes: rehashing reads its text). */
static uint32_t union_hash_lo(const void *ctx, uint32_t e)
{
    const text_union *u = ctx;
    return (uint32_t)sp_hash64(u->bytes.data + u->offs[e], u->offs[e + 1] - u->offs[e], 0);
}

static void union_grow(text_union *u)
{
    sp_text_table_grow(&u->ht, &u->mask, union_hash_lo, u);
}

/* The entry of text s (added when new, with gid when ids carry over). */
static uint32_t union_add(text_union *u, const char *s, uint32_t len, const uint32_t *gid)
{
    uint64_t h = sp_hash64(s, len, 0);
    uint32_t slot = (uint32_t)h & u->mask;
    for (uint64_t x; (x = u->ht[slot]); slot = (slot + 1) & u->mask) {
        uint32_t e = (uint32_t)x - 1;
        if ((x >> 32) == (h >> 32) && u->offs[e + 1] - u->offs[e] == len &&
            !memcmp(u->bytes.data + u->offs[e], s, len))
            return e;
    }
    uint32_t e = u->n++;
    u->ht[slot] = (h >> 32) << 32 | ((uint64_t)e + 1);
    sp_buf_append(&u->bytes, s, len);
    SP_GROW(u->offs, u->ocap, (size_t)u->n + 1);
    u->offs[u->n] = (uint32_t)u->bytes.len;
    if (gid) {
        SP_GROW(u->gids, u->gcap, (size_t)u->n);
        u->gids[e] = *gid;
    }
    if ((uint64_t)u->n * 2 > u->mask)
        union_grow(u);
    return e;
}

/* The table dictionary every part's ids come from, or NULL when a part has none (the
 * merged column is then indexed again by its first reader, as any chunk is). */
static const sp_tdict *common_tdict(const merge_ctx *m)
{
    const sp_tdict *d = m->views[0].tdict;
    for (int p = 0; p < m->nparts; p++)
        if (!m->views[p].gids || m->views[p].tdict != d)
            return NULL;
    return d;
}

/* The merged column's table-dictionary index of n ids from d, for the caller to fill. */
static uint32_t *new_gids(merge_ctx *m, chunk_col *out, const sp_tdict *d, uint32_t n)
{
    chunk_gids *g = merge_alloc(m, sizeof *g);
    size_t bytes = (size_t)(n ? n : 1) * sizeof(uint32_t);
    g->gids = merge_alloc(m, bytes);
    g->tdict = (sp_tdict *)d;
    tdict_ref(g->tdict);
    g->bytes = bytes + sizeof *g;
    g->in_slab = true;
    atomic_store(&out->gx, g);
    out->mem += g->bytes;
    return g->gids;
}

/* Every part plain: offsets and text end to end. */
static void merge_plain(merge_ctx *m, chunk_col *out, const sp_tdict *d)
{
    uint64_t total = 0;
    for (int p = 0; p < m->nparts; p++)
        total += m->views[p].offs[m->views[p].rows];
    out->offs = merge_alloc(m, ((size_t)m->rows + 1) * sizeof(uint32_t));
    out->bytes = merge_alloc(m, total ? total : 1);
    uint32_t row = 0, at = 0;
    out->offs[0] = 0;
    for (int p = 0; p < m->nparts; p++) {
        const sp_colview *v = &m->views[p];
        memcpy(out->bytes + at, v->bytes, v->offs[v->rows]);
        for (uint32_t r = 0; r < v->rows; r++)
            out->offs[row + r + 1] = at + v->offs[r + 1];
        row += v->rows;
        at += v->offs[v->rows];
    }
    out->enc = SP_ENC_PLAIN;
    out->nentries = m->rows;
    out->mem = ((uint64_t)m->rows + 1) * 4 + total;
    if (d) {
        uint32_t *g = new_gids(m, out, d, m->rows);
        for (int p = 0; p < m->nparts; g += m->views[p].rows, p++)
            memcpy(g, m->views[p].gids, (size_t)m->views[p].rows * sizeof *g);
    }
}

static void merge_text(merge_ctx *m, chunk_col *out)
{
    out->unset = merge_bits(m, BITS_UNSET, &out->mem);
    uint64_t bits_mem = out->mem;
    const sp_tdict *d = common_tdict(m);
    bool all_plain = true;
    for (int p = 0; p < m->nparts; p++)
        all_plain &= m->views[p].enc == SP_ENC_PLAIN;
    if (all_plain) { /* values that did not repeat within a chunk: no dictionary to union */
        merge_plain(m, out, d);
        out->mem += bits_mem;
        return;
    }
    text_union u = {.mask = 1023};
    u.ht = sp_xcalloc((size_t)u.mask + 1, sizeof *u.ht);
    SP_GROW(u.offs, u.ocap, 1);
    u.offs[0] = 0;
    uint32_t *codes = sp_xmalloc((size_t)m->rows * sizeof *codes);
    uint64_t plain_len = 0;
    uint32_t row = 0;
    for (int p = 0; p < m->nparts; p++) {
        const sp_colview *v = &m->views[p];
        uint32_t *map = sp_xmalloc((size_t)(v->nentries ? v->nentries : 1) * sizeof *map);
        for (uint32_t e = 0; e < v->nentries; e++)
            map[e] = union_add(&u, v->bytes + v->offs[e], v->offs[e + 1] - v->offs[e], d ? &v->gids[e] : NULL);
        for (uint32_t r = 0; r < v->rows; r++) {
            uint32_t e = sp_colview_entry(v, r);
            codes[row++] = map[e];
            plain_len += v->offs[e + 1] - v->offs[e];
        }
        free(map);
    }
    uint32_t n = m->rows, nd = u.n;
    if (nd == 1 || text_keeps_dict(n, nd, u.bytes.len, plain_len)) {
        out->enc = SP_ENC_DICT;
        out->nentries = nd;
        out->offs = merge_alloc(m, ((size_t)nd + 1) * sizeof(uint32_t));
        memcpy(out->offs, u.offs, ((size_t)nd + 1) * sizeof(uint32_t));
        out->bytes = merge_alloc(m, u.bytes.len ? u.bytes.len : 1);
        memcpy(out->bytes, u.bytes.data, u.bytes.len);
        out->mem = ((uint64_t)nd + 1) * 4 + u.bytes.len;
        if (nd > 256) {
            out->codes = merge_alloc(m, (size_t)n * sizeof(uint32_t));
            memcpy(out->codes, codes, (size_t)n * sizeof(uint32_t));
            out->mem += (uint64_t)n * 4;
        } else if (nd > 1) {
            out->codes8 = merge_alloc(m, n);
            for (uint32_t r = 0; r < n; r++)
                out->codes8[r] = (uint8_t)codes[r];
            out->mem += n;
        }
        if (d)
            memcpy(new_gids(m, out, d, nd), u.gids, (size_t)nd * sizeof(uint32_t));
    } else { /* plain after all: the rows' text gathered from the entries */
        out->enc = SP_ENC_PLAIN;
        out->nentries = n;
        out->offs = merge_alloc(m, ((size_t)n + 1) * sizeof(uint32_t));
        out->bytes = merge_alloc(m, plain_len ? plain_len : 1);
        uint32_t at = 0;
        out->offs[0] = 0;
        for (uint32_t r = 0; r < n; r++) {
            uint32_t e = codes[r], len = u.offs[e + 1] - u.offs[e];
            memcpy(out->bytes + at, u.bytes.data + u.offs[e], len);
            at += len;
            out->offs[r + 1] = at;
        }
        out->mem = ((uint64_t)n + 1) * 4 + plain_len;
        if (d) {
            uint32_t *g = new_gids(m, out, d, n);
            for (uint32_t r = 0; r < n; r++)
                g[r] = u.gids[codes[r]];
        }
    }
    out->mem += bits_mem;
    free(codes);
    free(u.ht);
    free(u.offs);
    free(u.gids);
    sp_buf_free(&u.bytes);
}

/* ---- runs ---- */

/* Whether chunks a and b store every column alike (types and the number of columns). */
static bool same_layout(const sp_chunk *a, const sp_chunk *b)
{
    if (a->ncols != b->ncols)
        return false;
    for (int i = 0; i < a->ncols; i++)
        if (a->cols[i].type != b->cols[i].type)
            return false;
    return true;
}

/* One chunk holding the rows of parts[0..n), in order; not published. */
static sp_chunk *merge_run(sp_table *t, sp_chunk *const *parts, int n, uint32_t rows)
{
    sp_chunk *ch = sp_xcalloc(1, sizeof *ch);
    atomic_init(&ch->refs, 1); /* the table's */
    ch->rows = rows;
    ch->table = t;
    ch->ncols = parts[0]->ncols;
    merge_ctx m = {.parts = parts, .nparts = n, .rows = rows, .out = ch};
    m.views = sp_xcalloc((size_t)n, sizeof *m.views);
    ch->cols = merge_alloc(&m, (size_t)(ch->ncols ? ch->ncols : 1) * sizeof *ch->cols);
    ch->mem = sizeof *ch + sizeof(chunk_col) * (size_t)ch->ncols;
    for (int i = 0; i < ch->ncols; i++) {
        chunk_col *out = &ch->cols[i];
        memset(out, 0, sizeof *out);
        for (int p = 0; p < n; p++)
            sp_chunk_col(parts[p], i, &m.views[p]);
        out->type = parts[0]->cols[i].type;
        out->jnull = merge_bits(&m, BITS_JNULL, &out->mem);
        if (sp_type_is_text(out->type))
            merge_text(&m, out);
        else
            merge_fixed(&m, out);
        ch->mem += out->mem;
    }
    ch->min_time = INT64_MAX;
    ch->max_time = INT64_MIN;
    for (int p = 0; p < n; p++) {
        ch->nkeys += parts[p]->nkeys;
        ch->min_time = SP_MIN(ch->min_time, parts[p]->min_time);
        ch->max_time = SP_MAX(ch->max_time, parts[p]->max_time);
        ch->ingest_time = SP_MAX(ch->ingest_time, parts[p]->ingest_time);
    }
    if (ch->nkeys) {
        ch->keys = sp_xmalloc((size_t)ch->nkeys * sizeof *ch->keys);
        uint32_t at = 0;
        for (int p = 0; p < n; p++) {
            memcpy(ch->keys + at, parts[p]->keys, (size_t)parts[p]->nkeys * sizeof *ch->keys);
            at += parts[p]->nkeys;
        }
    }
    ch->mem += (uint64_t)ch->nkeys * sizeof(sp_hash128);
    ch->seq = parts[n - 1]->seq;
    slab_cursor_release(&m.slab);
    free(m.views);
    return ch;
}

uint32_t sp_table_merge_chunks(sp_table *t, uint32_t max_runs)
{
    uint32_t target = t->store->cfg.chunk_rows, gone = 0, runs = 0;
    sp_snapshot *snap = sp_table_snapshot(t);
    sp_chunk **c = snap->chunks;
    for (int i = 0; i < snap->nchunks && runs < max_runs;) {
        int j = i;
        uint32_t rows = c[i]->rows, largest = c[i]->rows;
        uint64_t bytes = c[i]->mem;
        while (j + 1 < snap->nchunks && (uint64_t)rows + c[j + 1]->rows <= target &&
               bytes + c[j + 1]->mem <= MERGE_MAX_BYTES && same_layout(c[i], c[j + 1])) {
            j++;
            rows += c[j]->rows;
            largest = SP_MAX(largest, c[j]->rows);
            bytes += c[j]->mem;
        }
        if (j == i || largest * 2 > rows) {
            i++; /* nothing to merge with, or one chunk would be most of it: try the next */
            continue;
        }
        sp_chunk *merged = merge_run(t, c + i, j - i + 1, rows);
        if (table_replace_run(t, c + i, j - i + 1, merged))
            gone += (uint32_t)(j - i);
        else
            sp_chunk_unref(merged); /* a part was evicted meanwhile */
        runs++;
        i = j + 1;
    }
    sp_snapshot_free(snap);
    return gone;
}

uint32_t sp_store_merge_chunks(sp_store *s, uint32_t max_runs)
{
    sp_table *tabs[256];
    int n = sp_store_tables(s, tabs, 256);
    uint32_t gone = 0;
    for (int i = 0; i < n && i < 256; i++)
        gone += sp_table_merge_chunks(tabs[i], max_runs);
    return gone;
}
