/* builder.c — the open chunk: one ingest worker appends rows here, then seals them into
 * an immutable chunk.
 *
 * Rows are written cell by cell in whatever order the JSON delivers fields. A column
 * records how many cells it holds; cells a row never sets are padded as null lazily, when
 * a later cell or the seal needs them, so absent fields cost nothing per row. Values are
 * converted to the column's type on the way in (loose typing for declared tables, type
 * widening for inferred ones).
 *
 * Text columns are dictionary-encoded while they are written, not at seal: each cell is
 * looked up when it arrives (its bytes are still in cache), a cell equal to the previous
 * row's costs one compare, and only a value not seen before in the chunk is copied. A
 * column whose first rows are nearly all distinct (ids, tokens) gives up at row 2048 or
 * 16384, is rewritten as plain offsets and bytes, and stays plain until the chunk is
 * sealed (DESIGN.md §7). Sealing then decides, by the same size rule as always, whether
 * the chunk keeps the dictionary or gets the plain text gathered from it; the result is
 * the chunk a seal-time encoder would build (entries in first-occurrence order).
 *
 * The dictionary also remembers which entries are JSON validated (and at what nesting
 * limit): an object or array that arrives byte for byte equal to one of them
 * (sp_builder_put_raw_json) is stored without being validated and compacted again —
 * sign-ins repeat their ConditionalAccessPolicies, Status and LocationDetails objects.
 *
 * A column that gave up in one chunk starts the next ones plain, without hashing its probe
 * rows, and tries a dictionary again every eighth chunk (its values may come to repeat).
 *
 * Presence (inferred tables only, store.h): a string column's cells without a string
 * (absent, JSON null) and any column's JSON nulls are marked in two bitmaps that exist
 * only once such a cell occurs. Both mark the exception, so the hot paths that append a
 * value never touch them: a bit is set where an absent cell is padded or a null stored,
 * and cleared where a row is rolled back or a cell rewritten.
 */
#include "engine/store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* A builder seals when its text reaches this many bytes, whatever the row count: wide
 * records (sign-ins carry ~90 columns) would otherwise keep a chunk's worth of raw text
 * (hundreds of MB) in the builder, cold and freshly faulted for every chunk. A few MB per
 * chunk keeps the builder's buffers warm and still gives dictionaries thousands of rows. */
#define SEAL_BYTES_LIMIT ((uint64_t)16 << 20)

typedef struct bcol {
    /* First 64 bytes: everything a text cell touches when it repeats a value (a row
     * visits ~90 columns, so each extra cache line per column is a miss per cell). */
    sp_type type; /* physical type here; SP_TYPE_NULL until the first value */
    uint32_t n;   /* cells filled (rows 0..n-1) */
    uint32_t run;              /* entry of the last cell written, NO_ENTRY: none */
    uint32_t run_off, run_len; /* its text (saves a dependent load per cell) */
    uint32_t nd;               /* dictionary entries */
    uint32_t htmask;
    uint32_t codes_cap;
    uint32_t plain_len; /* bytes the cells would take as plain text */
    bool dict;
    char *bytes;
    /* text, dictionary (dict): cell k is entry codes[k], whose text is
     * bytes[eoffs[e], eoffs[e + 1]); entries are found by hash through ht */
    uint32_t *codes;
    uint64_t *ht; /* high 32 bits of the hash << 32 | entry + 1; 0 = empty */
    uint32_t *eoffs;
    uint64_t *ehash;
    uint16_t *edepth; /* JSON validated with this nesting limit; 0: not validated */
    size_t ecap;
    uint32_t newest_row; /* the row whose cell created entry nd - 1 */
    size_t blen, bcap;
    /* text, plain: cell k is bytes[offs[k], offs[k + 1]) */
    uint32_t *offs;
    size_t ocap;
    /* fixed-width types */
    uint8_t *vals;
    size_t vcap; /* in cells */
    uint8_t *valid;
    size_t valid_cap; /* in bytes */
    uint8_t plain_streak; /* chunks in a row that ended plain (gave up or started plain) */
    /* presence (inferred tables) */
    bool track;       /* presence is kept */
    uint8_t *unset;   /* string/guid cells with no string: absent or JSON null */
    size_t unset_cap; /* in bytes */
    uint8_t *jnull;   /* JSON null cells, any type */
    size_t jnull_cap;
} bcol;

/* Rows at which a dictionary whose entries are mostly distinct gives up. */
#define DICT_PROBE1 2048u
#define DICT_PROBE2 16384u
#define NO_ENTRY UINT32_MAX

struct sp_builder {
    sp_table *t;
    sp_store *s;
    bool declared;
    uint32_t rows, cap_rows;
    bool in_row;
    bcol *cols;
    int ncols;
    size_t ccap;
    int time_col, id_col;
    sp_hash128 *keys;
    size_t nkeys, kcap;
    int64_t min_time, max_time;
    uint64_t text_bytes;
    sp_buf scratch;
    /* the dedup key of the current row's id cell, hashed when the cell was appended (for
     * the prefetch) so that end_row need not hash it again; id_key_row: that row + 1, 0
     * when the cell was rewritten since */
    sp_hash128 id_key;
    uint32_t id_key_row;
    slab_cursor slab;   /* where sealed chunks' buffers go (slab.c) */
    sp_chunk *sealing;  /* the chunk being sealed */
};

/* Memory for a column of the chunk being sealed, from the builder's slab. */
static void *seal_alloc(sp_builder *b, size_t n)
{
    return slab_alloc(&b->slab, b->sealing, n);
}

static const uint32_t empty_offs[2] = {0, 0};

sp_builder *sp_builder_new(sp_table *t)
{
    sp_builder *b = sp_xcalloc(1, sizeof *b);
    b->t = t;
    b->s = t->store;
    b->declared = t->def != NULL;
    b->cap_rows = t->store->cfg.chunk_rows;
    b->min_time = INT64_MAX;
    b->max_time = INT64_MIN;
    pthread_mutex_lock(&t->mu);
    b->time_col = t->time_col;
    pthread_mutex_unlock(&t->mu);
    b->id_col = t->id_col;
    return b;
}

sp_table *sp_builder_table(sp_builder *b)
{
    return b->t;
}

uint32_t sp_builder_rows(const sp_builder *b)
{
    return b->rows;
}

static void bcol_release(bcol *c)
{
    free(c->vals);
    free(c->valid);
    free(c->offs);
    free(c->bytes);
    free(c->codes);
    free(c->eoffs);
    free(c->ehash);
    free(c->edepth);
    free(c->ht);
    free(c->unset);
    free(c->jnull);
    memset(c, 0, sizeof *c);
}

void sp_builder_free(sp_builder *b)
{
    if (!b)
        return;
    if (b->in_row)
        sp_builder_abort_row(b);
    sp_chunk *c = sp_builder_seal(b);
    if (c)
        sp_chunk_unref(c);
    for (int i = 0; i < b->ncols; i++)
        bcol_release(&b->cols[i]);
    free(b->cols);
    slab_cursor_release(&b->slab);
    free(b->keys);
    sp_buf_free(&b->scratch);
    free(b);
}

/* Makes sure the builder knows column col of the table (the schema may have grown). */
static bcol *col_at(sp_builder *b, int col)
{
    if (col >= b->ncols) {
        size_t old = b->ccap;
        SP_GROW(b->cols, b->ccap, (size_t)col + 1);
        memset(b->cols + old, 0, (b->ccap - old) * sizeof *b->cols);
        for (int i = b->ncols; i <= col; i++) {
            b->cols[i].type = b->declared ? b->t->def->columns[i].type : SP_TYPE_NULL;
            b->cols[i].track = !b->declared;
        }
        b->ncols = col + 1;
        if (b->time_col < 0) {
            pthread_mutex_lock(&b->t->mu);
            b->time_col = b->t->time_col;
            pthread_mutex_unlock(&b->t->mu);
        }
    }
    return &b->cols[col];
}

/* Makes room for bit `row` in a bitmap of *cap bytes; new bytes are zero. */
static void bits_reserve(uint8_t **bits, size_t *cap, uint32_t row)
{
    size_t need = row / 8 + 1;
    if (need > *cap) {
        size_t old = *cap;
        size_t nc = old ? old : 64;
        while (nc < need)
            nc *= 2;
        *bits = sp_xrealloc(*bits, nc);
        memset(*bits + old, 0, nc - old);
        *cap = nc;
    }
}

static void bits_set(uint8_t **bits, size_t *cap, uint32_t row)
{
    bits_reserve(bits, cap, row);
    (*bits)[row >> 3] |= (uint8_t)(1u << (row & 7));
}

static inline void bits_clear(uint8_t *bits, size_t cap, uint32_t row)
{
    if (bits && row / 8 < cap)
        bits[row >> 3] &= (uint8_t)~(1u << (row & 7));
}

static inline bool bits_get(const uint8_t *bits, size_t cap, uint32_t row)
{
    return bits && row / 8 < cap && ((bits[row >> 3] >> (row & 7)) & 1);
}

/* Whether the column keeps unset bits: inferred string and guid columns. */
static inline bool tracks_unset(const bcol *c)
{
    return c->track && (c->type == SP_TYPE_STRING || c->type == SP_TYPE_GUID);
}

static void valid_reserve(bcol *c, uint32_t rows)
{
    bits_reserve(&c->valid, &c->valid_cap, rows);
}

static void set_valid_bit(bcol *c, uint32_t r, bool on)
{
    valid_reserve(c, r);
    if (on)
        c->valid[r >> 3] |= (uint8_t)(1u << (r & 7));
    else
        c->valid[r >> 3] &= (uint8_t)~(1u << (r & 7));
}

/* Starts the null bitmap of a column that had no nulls so far. */
static void valid_start(bcol *c)
{
    if (c->valid)
        return;
    valid_reserve(c, c->n + 1);
    for (uint32_t r = 0; r < c->n; r++)
        c->valid[r >> 3] |= (uint8_t)(1u << (r & 7));
}

static void vals_reserve(bcol *c, uint32_t cells)
{
    size_t w = sp_type_width(c->type);
    if (cells > c->vcap) {
        size_t nc = c->vcap ? c->vcap : 256;
        while (nc < cells)
            nc *= 2;
        c->vals = sp_xrealloc(c->vals, nc * w);
        c->vcap = nc;
    }
}

static __attribute__((noinline)) void offs_grow(bcol *c, uint32_t cells)
{
    size_t nc = c->ocap ? c->ocap : 256;
    while (nc < (size_t)cells + 1)
        nc *= 2;
    c->offs = sp_xrealloc(c->offs, nc * sizeof(uint32_t));
    c->ocap = nc;
}

static inline void offs_reserve(bcol *c, uint32_t cells)
{
    if (SP_UNLIKELY((size_t)cells + 1 > c->ocap))
        offs_grow(c, cells);
}

static __attribute__((noinline)) void bytes_grow(bcol *c, size_t extra)
{
    size_t nc = c->bcap ? c->bcap : 4096;
    while (nc < c->blen + extra)
        nc *= 2;
    c->bytes = sp_xrealloc(c->bytes, nc);
    c->bcap = nc;
}

static inline void bytes_reserve(bcol *c, size_t extra)
{
    if (SP_UNLIKELY(c->blen + extra > c->bcap))
        bytes_grow(c, extra);
}

/* ---- text cells: dictionary while the chunk is written, plain when that stops paying ---- */

static inline uint32_t entry_len(const bcol *c, uint32_t e)
{
    return c->eoffs[e + 1] - c->eoffs[e];
}

/* The text of cell k. */
static inline const char *cell_text(const bcol *c, uint32_t k, uint32_t *len)
{
    if (c->dict) {
        uint32_t e = c->codes[k];
        *len = entry_len(c, e);
        return c->bytes + c->eoffs[e];
    }
    *len = c->offs[k + 1] - c->offs[k];
    return c->bytes + c->offs[k];
}

/* The first cell of a chunk: an empty dictionary (the hash table keeps its size unless a
 * high-cardinality chunk made it large). */
static void text_start(bcol *c)
{
    c->blen = 0;
    c->plain_len = 0;
    c->run = NO_ENTRY;
    c->newest_row = UINT32_MAX;
    c->nd = 0;
    if (c->plain_streak % 8 != 0) {
        /* The previous chunk gave up on a dictionary (ids, tokens, addresses): start plain
         * and skip the hashing of the probe rows; every eighth chunk tries again. */
        c->dict = false;
        offs_reserve(c, 1);
        c->offs[0] = 0;
        bytes_reserve(c, 1);
        return;
    }
    c->dict = true;
    if (c->ht && c->htmask >= 4096) {
        free(c->ht);
        c->ht = NULL;
    }
    if (!c->ht) {
        c->htmask = 63;
        c->ht = sp_xcalloc((size_t)c->htmask + 1, sizeof(uint64_t));
    } else {
        memset(c->ht, 0, ((size_t)c->htmask + 1) * sizeof(uint64_t));
    }
    if (!c->ecap) {
        c->ecap = 64;
        c->eoffs = sp_xmalloc((c->ecap + 1) * sizeof(uint32_t));
        c->ehash = sp_xmalloc(c->ecap * sizeof(uint64_t));
        c->edepth = sp_xmalloc(c->ecap * sizeof(uint16_t));
    }
    c->eoffs[0] = 0;
    bytes_reserve(c, 1); /* bytes is never NULL while cells point into it */
}

static inline uint64_t text_hash(const char *s, uint32_t len)
{
    return sp_hash64(s, len, 0);
}

/* The entry holding s, or NO_ENTRY; *slot receives where a new entry would go. */
static inline uint32_t dict_find(const bcol *c, const char *s, uint32_t len, uint64_t h, uint32_t *slot)
{
    uint32_t j = (uint32_t)h & c->htmask;
    for (;;) {
        uint64_t x = c->ht[j];
        if (!x)
            break;
        uint32_t e = (uint32_t)x - 1;
        if ((x >> 32) == (h >> 32) && entry_len(c, e) == len && sp_bytes_eq(c->bytes + c->eoffs[e], s, len))
            return e;
        j = (j + 1) & c->htmask;
    }
    *slot = j;
    return NO_ENTRY;
}

static uint32_t entry_hash_lo(const void *c, uint32_t e)
{
    return (uint32_t)((const bcol *)c)->ehash[e];
}

static void dict_grow_table(bcol *c)
{
    sp_text_table_grow(&c->ht, &c->htmask, entry_hash_lo, c);
}

/* The entry for s (hash h), added when new. s may be the staged bytes at bytes + blen. */
static uint32_t dict_intern(bcol *c, const char *s, uint32_t len, uint64_t h, uint32_t row)
{
    uint32_t slot = 0;
    uint32_t e = dict_find(c, s, len, h, &slot);
    if (e != NO_ENTRY)
        return e;
    if (c->nd == c->ecap) {
        c->ecap *= 2;
        c->eoffs = sp_xrealloc(c->eoffs, (c->ecap + 1) * sizeof(uint32_t));
        c->ehash = sp_xrealloc(c->ehash, c->ecap * sizeof(uint64_t));
        c->edepth = sp_xrealloc(c->edepth, c->ecap * sizeof(uint16_t));
    }
    if (s != c->bytes + c->blen) {
        bytes_reserve(c, len);
        if (len)
            memcpy(c->bytes + c->blen, s, len);
    }
    c->blen += len;
    e = c->nd++;
    c->eoffs[e + 1] = (uint32_t)c->blen;
    c->ehash[e] = h;
    c->edepth[e] = 0;
    c->ht[slot] = (h >> 32 << 32) | (e + 1);
    c->newest_row = row;
    if ((size_t)c->nd * 2 > (size_t)c->htmask + 1)
        dict_grow_table(c);
    return e;
}

/* Rewrites the cells so far as plain offsets and bytes; the column stays plain until the
 * chunk is sealed. */
static void dict_to_plain(bcol *c)
{
    uint32_t n = c->n;
    offs_reserve(c, n + 1);
    size_t cap = 4096;
    while (cap < (size_t)c->plain_len * 2)
        cap *= 2;
    char *bytes = sp_xmalloc(cap);
    uint32_t at = 0;
    c->offs[0] = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t e = c->codes[k], len = entry_len(c, e);
        memcpy(bytes + at, c->bytes + c->eoffs[e], len);
        at += len;
        c->offs[k + 1] = at;
    }
    free(c->bytes);
    c->bytes = bytes;
    c->bcap = cap;
    c->blen = at;
    c->dict = false;
}

/* Before cell r of a dictionary column: give up on one whose entries are mostly distinct. */
static inline void dict_probe(bcol *c, uint32_t r)
{
    if (SP_UNLIKELY(r == DICT_PROBE1 || r == DICT_PROBE2) && c->dict && c->nd > r * 3 / 4)
        dict_to_plain(c);
}

static inline void codes_reserve(bcol *c, uint32_t r)
{
    if (r >= c->codes_cap) {
        uint32_t nc = c->codes_cap ? c->codes_cap * 2 : 1024;
        while (nc <= r)
            nc *= 2;
        c->codes = sp_xrealloc(c->codes, (size_t)nc * sizeof(uint32_t));
        c->codes_cap = nc;
    }
}

/* The rows where a text column's mode is decided: the chunk's first (text_start) and the
 * two probe rows (dict_probe). Out of line: the cell path only tests the row. */
static __attribute__((noinline)) void text_boundary(bcol *c, uint32_t r)
{
    if (r == 0)
        text_start(c);
    dict_probe(c, r);
}

static inline bool text_boundary_row(uint32_t r)
{
    return r == 0 || r == DICT_PROBE1 || r == DICT_PROBE2;
}

/* A dictionary cell that is not the previous cell's value: hash, look up, add. Out of line
 * so the repeated-value path stays small enough to inline. */
static __attribute__((noinline)) uint32_t text_intern(bcol *c, const char *s, uint32_t len, uint64_t h,
                                                      bool have_h, uint32_t r)
{
    uint32_t e = dict_intern(c, s, len, have_h ? h : text_hash(s, len), r);
    c->run = e;
    c->run_off = c->eoffs[e];
    c->run_len = entry_len(c, e);
    codes_reserve(c, r);
    return e;
}

/* Appends cell c->n of a text column whose text is s (s may be staged at bytes + blen).
 * h: its hash when the caller has it, else 0 with have_h false. Returns the entry (dict).
 * The cell equal to the previous one and the plain cell are the inlined cases. */
static inline uint32_t text_put_h(sp_builder *b, bcol *c, const char *s, uint32_t len, uint64_t h, bool have_h)
{
    uint32_t r = c->n;
    if (SP_UNLIKELY(text_boundary_row(r)))
        text_boundary(c, r);
    b->text_bytes += len;
    if (c->dict) {
        uint32_t e = c->run;
        if (have_h || e == NO_ENTRY || c->run_len != len || !sp_bytes_eq(c->bytes + c->run_off, s, len))
            e = text_intern(c, s, len, h, have_h, r);
        else if (SP_UNLIKELY(r >= c->codes_cap))
            codes_reserve(c, r);
        c->codes[r] = e;
        c->plain_len += len;
        c->n = r + 1;
        return e;
    }
    offs_reserve(c, r + 1);
    if (s != c->bytes + c->blen) {
        bytes_reserve(c, len);
        if (len)
            memcpy(c->bytes + c->blen, s, len);
    }
    c->blen += len;
    c->offs[r + 1] = (uint32_t)c->blen;
    c->n = r + 1;
    return NO_ENTRY;
}

/* Appends entry e of a dictionary column as the next cell (its row's mode is decided). */
static inline void text_put_entry(sp_builder *b, bcol *c, uint32_t e)
{
    uint32_t r = c->n, len = entry_len(c, e);
    b->text_bytes += len;
    c->run = e;
    c->run_off = c->eoffs[e];
    c->run_len = len;
    codes_reserve(c, r);
    c->codes[r] = e;
    c->plain_len += len;
    c->n = r + 1;
}

static inline void text_put(sp_builder *b, bcol *c, const char *s, uint32_t len)
{
    text_put_h(b, c, s, len, 0, false);
}

/* Removes the last cell (the current row's). An entry only that cell used goes too, so a
 * rolled-back row leaves the dictionary as it found it. */
static void text_truncate(sp_builder *b, bcol *c)
{
    uint32_t r = c->n - 1;
    if (c->dict) {
        uint32_t e = c->codes[r], len = entry_len(c, e);
        b->text_bytes -= len;
        c->plain_len -= len;
        if (e == c->nd - 1 && c->newest_row == r) {
            /* The newest entry is the last one inserted into the table, so no probe chain
             * runs through its slot: clearing it is enough. */
            uint32_t j = (uint32_t)c->ehash[e] & c->htmask;
            while ((uint32_t)c->ht[j] != e + 1)
                j = (j + 1) & c->htmask;
            c->ht[j] = 0;
            c->blen = c->eoffs[e];
            c->nd--;
            c->newest_row = UINT32_MAX;
        }
        c->run = NO_ENTRY;
    } else {
        b->text_bytes -= c->offs[r + 1] - c->offs[r];
        c->blen = c->offs[r];
    }
    c->n = r;
}

/* Pads a text column with empty cells (null for dynamic) up to row r. */
static void text_pad(sp_builder *b, bcol *c, uint32_t r)
{
    while (c->n < r) {
        uint32_t k = c->n;
        if (k == 0 || k == DICT_PROBE1 || k == DICT_PROBE2 || !c->dict) {
            if (!c->dict && k > 0) {
                offs_reserve(c, r);
                for (; k < r; k++)
                    c->offs[k + 1] = (uint32_t)c->blen;
                c->n = r;
                return;
            }
            text_put(b, c, "", 0);
            continue;
        }
        /* One lookup for the whole run, up to the next probe row. */
        uint32_t e = dict_intern(c, "", 0, text_hash("", 0), k);
        c->run = e;
        c->run_off = c->eoffs[e];
        c->run_len = 0;
        uint32_t upto = r;
        if (k < DICT_PROBE1 && upto > DICT_PROBE1)
            upto = DICT_PROBE1;
        else if (k < DICT_PROBE2 && upto > DICT_PROBE2)
            upto = DICT_PROBE2;
        codes_reserve(c, upto - 1);
        for (; k < upto; k++)
            c->codes[k] = e;
        c->n = upto;
    }
}

/* Pads column c with nulls up to (not including) row r. */
static void pad_to(sp_builder *b, bcol *c, uint32_t r)
{
    if (c->n >= r)
        return;
    if (c->type == SP_TYPE_NULL) {
        c->n = r; /* nothing stored yet: the nulls are implicit */
        return;
    }
    if (sp_type_is_text(c->type)) {
        if (tracks_unset(c))
            for (uint32_t k = c->n; k < r; k++)
                bits_set(&c->unset, &c->unset_cap, k);
        text_pad(b, c, r);
        return;
    }
    valid_start(c);
    vals_reserve(c, r);
    size_t w = sp_type_width(c->type);
    memset(c->vals + (size_t)c->n * w, 0, (size_t)(r - c->n) * w);
    valid_reserve(c, r);
    for (uint32_t k = c->n; k < r; k++)
        c->valid[k >> 3] &= (uint8_t)~(1u << (k & 7));
    c->n = r;
}

/* Writes an already converted cell (of c->type) at row r. */
static void store_cell(sp_builder *b, bcol *c, uint32_t r, const cell *v)
{
    if (b->id_col >= 0 && c == &b->cols[b->id_col])
        b->id_key_row = 0;
    if (c->n == r + 1) { /* set twice in one row: the last value wins */
        if (sp_type_is_text(c->type))
            text_truncate(b, c);
        else
            c->n = r;
    }
    pad_to(b, c, r);
    bits_clear(c->jnull, c->jnull_cap, r); /* sp_builder_set_null marks it after the store */
    if (sp_type_is_text(c->type)) {
        if (v->null)
            text_put(b, c, "", 0);
        else
            text_put(b, c, v->text, (uint32_t)v->len);
        if (v->null && tracks_unset(c))
            bits_set(&c->unset, &c->unset_cap, r);
        else
            bits_clear(c->unset, c->unset_cap, r);
        return;
    }
    vals_reserve(c, r + 1);
    size_t w = sp_type_width(c->type);
    if (v->null) {
        valid_start(c);
        memset(c->vals + (size_t)r * w, 0, w);
        set_valid_bit(c, r, false);
    } else {
        switch (c->type) {
        case SP_TYPE_BOOL: c->vals[r] = v->v.b; break;
        case SP_TYPE_INT: memcpy(c->vals + (size_t)r * 4, &v->v.i, 4); break;
        case SP_TYPE_REAL: memcpy(c->vals + (size_t)r * 8, &v->v.r, 8); break;
        default: memcpy(c->vals + (size_t)r * 8, &v->v.l, 8); break;
        }
        if (c->valid)
            set_valid_bit(c, r, true);
    }
    c->n = r + 1;
}

/* Reads cell k of a builder column. */
static void bcol_cell(const bcol *c, uint32_t k, cell *out)
{
    memset(out, 0, sizeof *out);
    out->type = c->type;
    if (sp_type_is_text(c->type)) {
        uint32_t len;
        out->text = cell_text(c, k, &len);
        out->len = len;
        /* an unset string cell is a null, so widening keeps it absent (not "") */
        out->null = c->type == SP_TYPE_DYNAMIC ? out->len == 0 : bits_get(c->unset, c->unset_cap, k);
        return;
    }
    out->null = c->valid && !((c->valid[k >> 3] >> (k & 7)) & 1);
    switch (c->type) {
    case SP_TYPE_BOOL: out->v.b = c->vals[k] != 0; break;
    case SP_TYPE_INT: memcpy(&out->v.i, c->vals + (size_t)k * 4, 4); break;
    case SP_TYPE_REAL: memcpy(&out->v.r, c->vals + (size_t)k * 8, 8); break;
    default: memcpy(&out->v.l, c->vals + (size_t)k * 8, 8); break;
    }
}

/* Rewrites the cells of an inferred column into a wider type. */
static void bcol_widen(sp_builder *b, int col, sp_type to)
{
    bcol *c = &b->cols[col];
    bcol old = *c;
    memset(c, 0, sizeof *c);
    c->type = to;
    c->track = old.track;
    sp_buf scratch = {0};
    b->text_bytes -= old.blen;
    if (old.type != SP_TYPE_NULL) {
        for (uint32_t k = 0; k < old.n; k++) {
            cell v, w;
            bcol_cell(&old, k, &v);
            scratch.len = 0;
            if (!cell_convert(&v, to, false, &scratch, &w))
                w.null = true, w.text = "", w.len = 0;
            store_cell(b, c, k, &w);
        }
    } else {
        c->n = 0;
        pad_to(b, c, old.n);
    }
    sp_buf_free(&scratch);
    c->jnull = old.jnull; /* rows keep their JSON nulls */
    c->jnull_cap = old.jnull_cap;
    old.jnull = NULL;
    bcol_release(&old);
    pthread_mutex_lock(&b->t->mu);
    const sp_schema *sc = &atomic_load(&b->t->schema)->pub;
    table_add_or_widen_locked(b->t, sc->cols[col].name, strlen(sc->cols[col].name), to);
    pthread_mutex_unlock(&b->t->mu);
}

static int set_cell(sp_builder *b, int col, const cell *v)
{
    if (col < 0 || !b->in_row)
        return -1;
    bcol *c = col_at(b, col);
    uint32_t r = b->rows;
    cell w;
    /* The common case first: the value already has the column's type. */
    if (!v->null && (v->type == c->type || (c->type == SP_TYPE_GUID && v->type == SP_TYPE_STRING))) {
        store_cell(b, c, r, v);
        return 0;
    }
    b->scratch.len = 0;
    if (b->declared) {
        if (!cell_convert(v, c->type, true, &b->scratch, &w)) {
            cell nul = {.type = c->type, .null = true, .text = ""};
            store_cell(b, c, r, &nul);
            return -1;
        }
        store_cell(b, c, r, &w);
        return 0;
    }
    if (v->null) {
        if (c->type == SP_TYPE_NULL) {
            if (c->n == r + 1)
                c->n = r;
            pad_to(b, c, r + 1);
            return 0;
        }
        cell nul = {.type = c->type, .null = true, .text = ""};
        store_cell(b, c, r, &nul);
        return 0;
    }
    sp_type want = sp_type_widen(c->type, v->type);
    if (want != c->type)
        bcol_widen(b, col, want);
    if (!cell_convert(v, c->type, false, &b->scratch, &w))
        return -1; /* unreachable: widen() chose a type every input converts to */
    store_cell(b, c, r, &w);
    return 0;
}

int sp_builder_set_bool(sp_builder *b, int col, bool v)
{
    cell c = {.type = SP_TYPE_BOOL, .v.b = v};
    return set_cell(b, col, &c);
}

/* Fixed-width fast path: the next cell of a column of the value's type without nulls. */
static inline bool put_fixed_fast(sp_builder *b, int col, sp_type t, const void *v, size_t w)
{
    if ((unsigned)col >= (unsigned)b->ncols || !b->in_row)
        return false;
    bcol *c = &b->cols[col];
    uint32_t r = b->rows;
    if (c->type != t || c->n != r || r + 1 > c->vcap || c->valid)
        return false;
    memcpy(c->vals + (size_t)r * w, v, w);
    c->n = r + 1;
    return true;
}

int sp_builder_set_long(sp_builder *b, int col, int64_t v)
{
    if (put_fixed_fast(b, col, SP_TYPE_LONG, &v, 8))
        return 0;
    cell c = {.type = SP_TYPE_LONG, .v.l = v};
    return set_cell(b, col, &c);
}

int sp_builder_set_real(sp_builder *b, int col, double v)
{
    cell c = {.type = SP_TYPE_REAL, .v.r = v};
    return set_cell(b, col, &c);
}

int sp_builder_set_datetime(sp_builder *b, int col, int64_t ticks)
{
    if (put_fixed_fast(b, col, SP_TYPE_DATETIME, &ticks, 8))
        return 0;
    cell c = {.type = SP_TYPE_DATETIME, .v.l = ticks};
    return set_cell(b, col, &c);
}

int sp_builder_set_timespan(sp_builder *b, int col, int64_t ticks)
{
    cell c = {.type = SP_TYPE_TIMESPAN, .v.l = ticks};
    return set_cell(b, col, &c);
}

/* The hot path of ingest: the next cell of a text column of the value's type. Everything
 * else takes set_cell. */
static inline bool append_text_fast(sp_builder *b, int col, sp_type t, const char *s, size_t n)
{
    if ((unsigned)col >= (unsigned)b->ncols || !b->in_row)
        return false;
    bcol *c = &b->cols[col];
    if (c->type != t || c->n != b->rows)
        return false;
    text_put(b, c, s, (uint32_t)n);
    if (col == b->id_col && n && !b->s->cfg.no_dedup) {
        b->id_key = sp_hash128_of(s, n);
        b->id_key_row = b->rows + 1;
        dedup_prefetch(&b->t->dedup, b->id_key); /* end_row inserts it */
    }
    return true;
}

/* Column col when its next cell is the current row's and it holds type t; else NULL. The
 * probe row's decision is taken here, before anything is staged. */
static bcol *text_next(sp_builder *b, int col, sp_type t)
{
    if (col < 0 || !b->in_row)
        return NULL;
    bcol *c = col_at(b, col);
    uint32_t r = b->rows;
    if (c->type != t || c->n != r)
        return NULL;
    if (r == 0)
        text_start(c);
    dict_probe(c, r);
    return c;
}

char *sp_builder_text_reserve(sp_builder *b, int col, sp_type t, size_t max)
{
    bcol *c = text_next(b, col, t);
    if (!c)
        return NULL;
    bytes_reserve(c, max);
    return c->bytes + c->blen;
}

void sp_builder_text_commit(sp_builder *b, int col, size_t len)
{
    bcol *c = &b->cols[col];
    text_put(b, c, c->bytes + c->blen, (uint32_t)len);
}

int sp_builder_put_raw_json(sp_builder *b, int col, sp_type t, const char *raw, size_t n, int max_depth,
                            size_t *err_offset, const char **why)
{
    bcol *c = text_next(b, col, t);
    if (!c || n > UINT32_MAX / 2)
        return 1;
    uint16_t depth = max_depth > 0 && max_depth <= UINT16_MAX ? (uint16_t)max_depth : 0;
    uint64_t h = 0;
    bool hashed = false;
    uint32_t e = NO_ENTRY;
    if (c->dict && depth) {
        /* Seen in this chunk, validated under a limit at most this one: the compact form
         * of these bytes is these bytes. The previous cell's entry is tried before hashing. */
        e = c->run;
        if (e == NO_ENTRY || c->run_len != n || !sp_bytes_eq(c->bytes + c->run_off, raw, n)) {
            uint32_t slot;
            h = text_hash(raw, (uint32_t)n);
            hashed = true;
            e = dict_find(c, raw, (uint32_t)n, h, &slot);
        }
        if (e != NO_ENTRY && c->edepth[e] && c->edepth[e] <= depth) {
            text_put_entry(b, c, e);
            return 0;
        }
    }
    bytes_reserve(c, n);
    size_t len;
    if (sp_json_compact_to(raw, n, max_depth, c->bytes + c->blen, &len, err_offset, why) != 0)
        return -1;
    /* Compaction only drops whitespace: the same length means the same bytes (and the
     * same hash, when it was computed above). */
    bool same = hashed && len == n;
    e = text_put_h(b, c, c->bytes + c->blen, (uint32_t)len, h, same);
    if (e != NO_ENTRY && depth && (!c->edepth[e] || depth < c->edepth[e]))
        c->edepth[e] = depth;
    return 0;
}

int sp_builder_set_string(sp_builder *b, int col, const char *s, size_t n)
{
    if (append_text_fast(b, col, SP_TYPE_STRING, s, n))
        return 0;
    cell c = {.type = SP_TYPE_STRING, .text = s, .len = n};
    return set_cell(b, col, &c);
}

int sp_builder_set_json(sp_builder *b, int col, const char *json, size_t n)
{
    bool null = n == 0 || (n == 4 && !memcmp(json, "null", 4));
    if (!null && append_text_fast(b, col, SP_TYPE_DYNAMIC, json, n))
        return 0;
    cell c = {.type = SP_TYPE_DYNAMIC, .text = json, .len = n, .null = null};
    return set_cell(b, col, &c);
}

int sp_builder_set_null(sp_builder *b, int col)
{
    if (col < 0 || !b->in_row)
        return -1;
    sp_type t = col_at(b, col)->type;
    cell nul = {.type = t == SP_TYPE_NULL ? SP_TYPE_DYNAMIC : t, .null = true, .text = ""};
    int rc = set_cell(b, col, &nul);
    bcol *c = &b->cols[col];
    if (rc == 0 && c->track)
        bits_set(&c->jnull, &c->jnull_cap, b->rows);
    return rc;
}

int sp_builder_column(sp_builder *b, const char *name, size_t n, sp_type value_type)
{
    const sp_schema *sc = sp_table_schema(b->t);
    int idx = sp_schema_find(sc, name, n);
    if (idx >= 0 || b->declared)
        return idx;
    pthread_mutex_lock(&b->t->mu);
    idx = table_add_or_widen_locked(b->t, name, n, value_type);
    pthread_mutex_unlock(&b->t->mu);
    if (idx >= 0)
        col_at(b, idx);
    return idx;
}

/* ---- rows ---- */

void sp_builder_begin_row(sp_builder *b)
{
    if (b->in_row)
        sp_builder_abort_row(b);
    if (b->rows >= b->cap_rows || b->text_bytes >= SEAL_BYTES_LIMIT) {
        sp_chunk *c = sp_builder_seal(b);
        if (c)
            sp_chunk_unref(c);
    }
    b->in_row = true;
}

static void rollback_row(sp_builder *b)
{
    uint32_t r = b->rows;
    b->id_key_row = 0;
    for (int i = 0; i < b->ncols; i++) {
        bcol *c = &b->cols[i];
        bits_clear(c->unset, c->unset_cap, r);
        bits_clear(c->jnull, c->jnull_cap, r);
        if (c->n == r + 1) {
            if (sp_type_is_text(c->type))
                text_truncate(b, c);
            else
                c->n = r;
        }
    }
}

void sp_builder_abort_row(sp_builder *b)
{
    if (!b->in_row)
        return;
    rollback_row(b);
    b->in_row = false;
}

sp_row_result sp_builder_end_row(sp_builder *b, const sp_hash128 *raw_hash)
{
    uint32_t r = b->rows;
    sp_hash128 key;
    bool have_key = false;
    if (b->id_col >= 0 && b->id_col < b->ncols) {
        bcol *c = &b->cols[b->id_col];
        uint32_t len;
        const char *id = c->n == r + 1 && sp_type_is_text(c->type) ? cell_text(c, r, &len) : NULL;
        if (id && len) {
            key = b->id_key_row == r + 1 ? b->id_key : sp_hash128_of(id, len);
            have_key = true;
        }
    }
    if (!have_key && raw_hash) {
        key = *raw_hash;
        have_key = true;
    }
    if (b->s->cfg.no_dedup)
        have_key = false;
    if (have_key) {
        if (!dedup_insert(&b->t->dedup, key)) {
            rollback_row(b);
            b->in_row = false;
            atomic_fetch_add(&b->t->duplicates, 1);
            return SP_ROW_DUPLICATE;
        }
        SP_GROW(b->keys, b->kcap, b->nkeys + 1);
        b->keys[b->nkeys++] = key;
    }
    if (b->time_col >= 0 && b->time_col < b->ncols) {
        bcol *c = &b->cols[b->time_col];
        if (c->type == SP_TYPE_DATETIME && c->n == r + 1 &&
            (!c->valid || ((c->valid[r >> 3] >> (r & 7)) & 1))) {
            int64_t t;
            memcpy(&t, c->vals + (size_t)r * 8, 8);
            b->min_time = SP_MIN(b->min_time, t);
            b->max_time = SP_MAX(b->max_time, t);
        }
    }
    b->rows++;
    b->in_row = false;
    return SP_ROW_STORED;
}

/* ---- sealing ---- */

/* Seals text column c (n rows): the dictionary when it pays (clearly smaller than the
 * plain bytes, or small enough that per-entry predicate evaluation wins), else plain text
 * in exact-size buffers. The builder keeps its warm buffers for the next chunk. */
static void seal_text(sp_builder *b, bcol *c, uint32_t n, chunk_col *out)
{
    c->plain_streak = c->dict ? 0 : (uint8_t)(c->plain_streak == 255 ? 248 : c->plain_streak + 1);
    if (!c->dict) {
        out->offs = seal_alloc(b, ((size_t)n + 1) * sizeof(uint32_t));
        memcpy(out->offs, c->offs, ((size_t)n + 1) * sizeof(uint32_t));
        out->bytes = seal_alloc(b, c->blen ? c->blen : 1);
        if (c->blen)
            memcpy(out->bytes, c->bytes, c->blen);
        out->nentries = n;
        out->mem = ((uint64_t)n + 1) * 4 + c->blen;
        return;
    }
    uint32_t nd = c->nd;
    uint64_t dict_bytes = c->blen;
    if (nd == 1) { /* constant column (very common: Type, empty columns) */
        out->enc = SP_ENC_DICT;
        out->nentries = 1;
        out->offs = seal_alloc(b, 2 * sizeof(uint32_t));
        out->offs[0] = 0;
        out->offs[1] = (uint32_t)dict_bytes;
        out->bytes = seal_alloc(b, dict_bytes ? dict_bytes : 1);
        memcpy(out->bytes, c->bytes, dict_bytes);
        out->mem = 2 * sizeof(uint32_t) + dict_bytes;
        return;
    }
    uint64_t code_w = nd <= 256 ? 1 : 4;
    uint64_t dict_mem = (uint64_t)n * code_w + (uint64_t)(nd + 1) * 4 + dict_bytes;
    if (text_keeps_dict(n, nd, dict_bytes, c->plain_len)) {
        out->enc = SP_ENC_DICT;
        if (code_w == 1) {
            out->codes8 = seal_alloc(b, (size_t)n);
            for (uint32_t i = 0; i < n; i++)
                out->codes8[i] = (uint8_t)c->codes[i];
        } else {
            out->codes = seal_alloc(b, (size_t)n * sizeof(uint32_t));
            memcpy(out->codes, c->codes, (size_t)n * sizeof(uint32_t));
        }
        out->nentries = nd;
        out->offs = seal_alloc(b, ((size_t)nd + 1) * sizeof(uint32_t));
        memcpy(out->offs, c->eoffs, ((size_t)nd + 1) * sizeof(uint32_t));
        out->bytes = seal_alloc(b, dict_bytes ? dict_bytes : 1);
        memcpy(out->bytes, c->bytes, dict_bytes);
        out->mem = dict_mem;
        return;
    }
    /* Plain after all: gather the text from the entries. */
    out->offs = seal_alloc(b, ((size_t)n + 1) * sizeof(uint32_t));
    out->bytes = seal_alloc(b, c->plain_len ? c->plain_len : 1);
    uint32_t at = 0;
    out->offs[0] = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t e = c->codes[k], len = entry_len(c, e);
        memcpy(out->bytes + at, c->bytes + c->eoffs[e], len);
        at += len;
        out->offs[k + 1] = at;
    }
    out->nentries = n;
    out->mem = ((uint64_t)n + 1) * 4 + at;
}

/* The chunk's copy of a presence bitmap over rows [0, n), or NULL when no bit is set; the
 * builder's bitmap is cleared for the next chunk. */
static uint8_t *seal_bits(sp_builder *b, uint8_t *bits, size_t cap, uint32_t n, uint64_t *mem)
{
    if (!bits)
        return NULL;
    size_t len = (size_t)n / 8 + 1, have = SP_MIN(len, cap);
    bool any = false;
    for (size_t i = 0; i < have && !any; i++)
        any = bits[i] != 0;
    if (!any)
        return NULL;
    uint8_t *out = seal_alloc(b, len);
    memcpy(out, bits, have);
    memset(out + have, 0, len - have);
    memset(bits, 0, cap);
    *mem += len;
    return out;
}

static void seal_column(sp_builder *b, bcol *c, sp_type schema_type, uint32_t n, chunk_col *out)
{
    memset(out, 0, sizeof *out);
    out->enc = SP_ENC_PLAIN;
    uint64_t bits_mem = 0; /* presence bitmaps, added to the column's memory at the end */
    if (c->track)
        out->jnull = seal_bits(b, c->jnull, c->jnull_cap, n, &bits_mem);
    if (c->type == SP_TYPE_NULL) {
        /* No value in this chunk: an all-null column backed by shared zeros. */
        out->type = schema_type == SP_TYPE_NULL ? SP_TYPE_DYNAMIC : schema_type;
        out->borrowed = true;
        if (sp_type_is_text(out->type)) {
            out->enc = SP_ENC_DICT;
            out->nentries = 1;
            out->offs = (uint32_t *)empty_offs;
            out->bytes = (char *)"";
            if (c->track && out->type != SP_TYPE_DYNAMIC)
                out->unset = b->s->ones_page; /* every row absent or null */
        } else {
            out->values = b->s->zero_page;
            out->valid = b->s->zero_page;
        }
        out->mem = bits_mem;
        c->n = 0;
        return;
    }
    pad_to(b, c, n); /* trailing absent cells (with their unset bits) */
    out->type = c->type;
    if (sp_type_is_text(c->type)) {
        out->unset = seal_bits(b, c->unset, c->unset_cap, n, &bits_mem);
        seal_text(b, c, n, out);
        c->blen = 0;
    } else {
        size_t w = sp_type_width(c->type);
        out->values = seal_alloc(b, (size_t)n * w);
        memcpy(out->values, c->vals, (size_t)n * w);
        out->mem = (uint64_t)n * w;
        if (c->valid) {
            out->valid = seal_alloc(b, (size_t)n / 8 + 1);
            memcpy(out->valid, c->valid, (size_t)n / 8 + 1);
            out->mem += (uint64_t)n / 8 + 1;
            /* the next chunk starts with no nulls: clear the kept bitmap */
            memset(c->valid, 0, c->valid_cap);
            free(c->valid);
            c->valid = NULL;
            c->valid_cap = 0;
        }
    }
    out->mem += bits_mem;
    c->n = 0;
    if (!b->declared)
        c->type = SP_TYPE_NULL; /* an inferred column's next chunk starts from its data */
}

sp_chunk *sp_builder_seal(sp_builder *b)
{
    if (b->in_row)
        sp_builder_abort_row(b);
    uint32_t n = b->rows;
    if (n == 0)
        return NULL;
    const sp_schema *sc = sp_table_schema(b->t);
    if (sc->ncols > 0)
        col_at(b, sc->ncols - 1); /* every schema column gets a view, null if never set */
    sp_chunk *ch = sp_xcalloc(1, sizeof *ch);
    atomic_init(&ch->refs, 2); /* the table's and the caller's */
    ch->rows = n;
    ch->table = b->t;
    ch->ncols = b->ncols;
    b->sealing = ch;
    /* the column descriptors too: a query reads them for every chunk it scans */
    ch->cols = seal_alloc(b, (size_t)(b->ncols ? b->ncols : 1) * sizeof *ch->cols);
    ch->mem = sizeof *ch + sizeof(chunk_col) * (size_t)b->ncols;
    for (int i = 0; i < b->ncols; i++) {
        seal_column(b, &b->cols[i], i < sc->ncols ? sc->cols[i].type : SP_TYPE_DYNAMIC, n, &ch->cols[i]);
        tdict_seal_column(b->t, i, &ch->cols[i], n, &b->slab, ch);
        ch->mem += ch->cols[i].mem;
    }
    ch->keys = b->nkeys ? sp_xrealloc(b->keys, b->nkeys * sizeof(sp_hash128)) : NULL;
    if (!b->nkeys)
        free(b->keys);
    ch->nkeys = (uint32_t)b->nkeys;
    ch->mem += (uint64_t)b->nkeys * sizeof(sp_hash128);
    b->keys = NULL;
    b->nkeys = b->kcap = 0;
    b->sealing = NULL;
    ch->min_time = b->min_time;
    ch->max_time = b->max_time;
    ch->ingest_time = sp_now_ticks();
    b->rows = 0;
    b->text_bytes = 0;
    b->min_time = INT64_MAX;
    b->max_time = INT64_MIN;
    table_publish(b->t, ch);
    if (b->s->on_seal)
        b->s->on_seal(b->s->on_seal_ctx, b->t, ch);
    return ch;
}
