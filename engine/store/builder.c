/* builder.c — the open chunk: one ingest worker appends rows here, then seals them into
 * an immutable chunk.
 *
 * Rows are written cell by cell in whatever order the JSON delivers fields. A column
 * records how many cells it holds; cells a row never sets are padded as null lazily, when
 * a later cell or the seal needs them, so absent fields cost nothing per row. Values are
 * converted to the column's type on the way in (loose typing for declared tables, type
 * widening for inferred ones).
 *
 * Sealing dictionary-encodes text columns where that pays: a run of equal values is
 * detected by comparing with the previous row (no hashing), distinct values go through a
 * flat open-addressing table that starts small and grows, and a column whose first rows
 * are nearly all distinct (ids, tokens) gives up early and stays plain (DESIGN.md §7).
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
    sp_type type; /* physical type here; SP_TYPE_NULL until the first value */
    uint32_t n;   /* cells filled (rows 0..n-1) */
    uint8_t *vals;
    size_t vcap; /* in cells */
    uint8_t *valid;
    size_t valid_cap; /* in bytes */
    uint32_t *offs;
    size_t ocap;
    char *bytes;
    size_t blen, bcap;
    bool track;      /* presence is kept (inferred tables) */
    uint8_t *unset;  /* string/guid cells with no string: absent or JSON null */
    size_t unset_cap; /* in bytes */
    uint8_t *jnull;  /* JSON null cells, any type */
    size_t jnull_cap;
} bcol;

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
    /* dictionary scratch, reused across seals */
    uint32_t *ht;
    size_t htcap;
    uint32_t *first_row;
    uint64_t *ehash;
    size_t ecap;
    uint32_t *codes_scratch; /* dictionary codes before the encoding is decided */
    size_t codes_cap;
};

/* Memory for a column of the chunk being sealed. */
static void *seal_alloc(sp_builder *b, size_t n)
{
    (void)b;
    return sp_xmalloc(n ? n : 1);
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
    free(b->keys);
    free(b->ht);
    free(b->first_row);
    free(b->ehash);
    free(b->codes_scratch);
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

static void offs_reserve(bcol *c, uint32_t cells)
{
    if ((size_t)cells + 1 > c->ocap) {
        size_t nc = c->ocap ? c->ocap : 256;
        while (nc < (size_t)cells + 1)
            nc *= 2;
        c->offs = sp_xrealloc(c->offs, nc * sizeof(uint32_t));
        c->ocap = nc;
        if (c->n == 0)
            c->offs[0] = (uint32_t)c->blen;
    }
}

static void bytes_append(sp_builder *b, bcol *c, const char *p, size_t n)
{
    if (c->blen + n > c->bcap) {
        size_t nc = c->bcap ? c->bcap : 4096;
        while (nc < c->blen + n)
            nc *= 2;
        c->bytes = sp_xrealloc(c->bytes, nc);
        c->bcap = nc;
    }
    if (n)
        memcpy(c->bytes + c->blen, p, n);
    c->blen += n;
    b->text_bytes += n;
}

/* Pads column c with nulls up to (not including) row r. */
static void pad_to(bcol *c, uint32_t r)
{
    if (c->n >= r)
        return;
    if (c->type == SP_TYPE_NULL) {
        c->n = r; /* nothing stored yet: the nulls are implicit */
        return;
    }
    if (sp_type_is_text(c->type)) {
        offs_reserve(c, r);
        for (uint32_t k = c->n; k < r; k++)
            c->offs[k + 1] = (uint32_t)c->blen;
        if (tracks_unset(c))
            for (uint32_t k = c->n; k < r; k++)
                bits_set(&c->unset, &c->unset_cap, k);
    } else {
        valid_start(c);
        vals_reserve(c, r);
        size_t w = sp_type_width(c->type);
        memset(c->vals + (size_t)c->n * w, 0, (size_t)(r - c->n) * w);
        valid_reserve(c, r);
        for (uint32_t k = c->n; k < r; k++)
            c->valid[k >> 3] &= (uint8_t)~(1u << (k & 7));
    }
    c->n = r;
}

/* Writes an already converted cell (of c->type) at row r. */
static void store_cell(sp_builder *b, bcol *c, uint32_t r, const cell *v)
{
    /* Fast path: the next cell of a text column with room for it. */
    if (c->n == r && sp_type_is_text(c->type) && !v->null && (size_t)r + 2 <= c->ocap && c->blen + v->len <= c->bcap) {
        if (v->len)
            memcpy(c->bytes + c->blen, v->text, v->len);
        c->blen += v->len;
        b->text_bytes += v->len;
        c->offs[r + 1] = (uint32_t)c->blen;
        c->n = r + 1;
        return;
    }
    if (c->n == r + 1) { /* set twice in one row: the last value wins */
        if (sp_type_is_text(c->type)) {
            b->text_bytes -= c->blen - c->offs[r];
            c->blen = c->offs[r];
        }
        c->n = r;
    }
    pad_to(c, r);
    bits_clear(c->jnull, c->jnull_cap, r); /* sp_builder_set_null marks it after the store */
    if (sp_type_is_text(c->type)) {
        offs_reserve(c, r + 1);
        if (!v->null)
            bytes_append(b, c, v->text, v->len);
        c->offs[r + 1] = (uint32_t)c->blen;
        if (v->null && tracks_unset(c))
            bits_set(&c->unset, &c->unset_cap, r);
        else
            bits_clear(c->unset, c->unset_cap, r);
    } else {
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
    }
    c->n = r + 1;
}

/* Reads cell k of a builder column. */
static void bcol_cell(const bcol *c, uint32_t k, cell *out)
{
    memset(out, 0, sizeof *out);
    out->type = c->type;
    if (sp_type_is_text(c->type)) {
        out->text = c->bytes ? c->bytes + c->offs[k] : "";
        out->len = c->offs[k + 1] - c->offs[k];
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
        pad_to(c, old.n);
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
            pad_to(c, r + 1);
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

/* The hot path of ingest: the next cell of a text column of the value's type, with room
 * in its buffers. Everything else takes set_cell. */
static inline bool append_text_fast(sp_builder *b, int col, sp_type t, const char *s, size_t n)
{
    if ((unsigned)col >= (unsigned)b->ncols || !b->in_row)
        return false;
    bcol *c = &b->cols[col];
    uint32_t r = b->rows;
    if (c->type != t || c->n != r || (size_t)r + 2 > c->ocap || c->blen + n > c->bcap)
        return false;
    if (n)
        memcpy(c->bytes + c->blen, s, n);
    c->blen += n;
    b->text_bytes += n;
    c->offs[r + 1] = (uint32_t)c->blen;
    c->n = r + 1;
    return true;
}

char *sp_builder_text_reserve(sp_builder *b, int col, sp_type t, size_t max)
{
    if ((unsigned)col >= (unsigned)b->ncols || !b->in_row)
        return NULL;
    bcol *c = &b->cols[col];
    uint32_t r = b->rows;
    if (c->type != t || c->n != r || (size_t)r + 2 > c->ocap)
        return NULL;
    if (c->blen + max > c->bcap) {
        size_t nc = c->bcap ? c->bcap : 4096;
        while (nc < c->blen + max)
            nc *= 2;
        c->bytes = sp_xrealloc(c->bytes, nc);
        c->bcap = nc;
    }
    return c->bytes + c->blen;
}

void sp_builder_text_commit(sp_builder *b, int col, size_t len)
{
    bcol *c = &b->cols[col];
    uint32_t r = b->rows;
    c->blen += len;
    b->text_bytes += len;
    c->offs[r + 1] = (uint32_t)c->blen;
    c->n = r + 1;
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
    for (int i = 0; i < b->ncols; i++) {
        bcol *c = &b->cols[i];
        bits_clear(c->unset, c->unset_cap, r);
        bits_clear(c->jnull, c->jnull_cap, r);
        if (c->n == r + 1) {
            if (sp_type_is_text(c->type) && c->type != SP_TYPE_NULL) {
                b->text_bytes -= c->blen - c->offs[r];
                c->blen = c->offs[r];
            }
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
        if (c->n == r + 1 && c->offs[r + 1] > c->offs[r]) {
            key = sp_hash128_of(c->bytes + c->offs[r], c->offs[r + 1] - c->offs[r]);
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

/* Tries to dictionary-encode text column c (n rows). Returns true and fills out when it
 * pays; false leaves the column plain. */
static bool dict_encode(sp_builder *b, const bcol *c, uint32_t n, chunk_col *out)
{
    const uint32_t *offs = c->offs;
    const char *bytes = c->bytes ? c->bytes : ""; /* a column of empty strings has no bytes */
    /* Constant column: every row equal to row 0 (very common: Type, empty columns). */
    uint32_t l0 = offs[1] - offs[0];
    uint32_t r = 1;
    while (r < n && offs[r + 1] - offs[r] == l0 && !memcmp(bytes + offs[r], bytes + offs[0], l0))
        r++;
    if (r == n) {
        out->nentries = 1;
        out->codes = NULL;
        out->offs = seal_alloc(b, 2 * sizeof(uint32_t));
        out->offs[0] = 0;
        out->offs[1] = l0;
        out->bytes = seal_alloc(b, l0 ? l0 : 1);
        memcpy(out->bytes, bytes + offs[0], l0);
        out->mem = 2 * sizeof(uint32_t) + l0;
        return true;
    }
    size_t cap = 1024;
    if (b->htcap < cap) {
        free(b->ht);
        b->ht = sp_xmalloc(cap * sizeof(uint32_t));
        b->htcap = cap;
    }
    memset(b->ht, 0, cap * sizeof(uint32_t));
    size_t mask = cap - 1;
    if (b->codes_cap < n) {
        free(b->codes_scratch);
        b->codes_scratch = sp_xmalloc((size_t)n * sizeof(uint32_t));
        b->codes_cap = n;
    }
    uint32_t *codes = b->codes_scratch;
    uint32_t nd = 0;
    uint64_t dict_bytes = 0;
    uint32_t prev_code = UINT32_MAX;
    for (r = 0; r < n; r++) {
        /* High cardinality: give up once a sample says most values are distinct. */
        if ((r == 2048 || r == 16384) && nd > r * 3 / 4)
            goto plain;
        const char *s = bytes + offs[r];
        uint32_t len = offs[r + 1] - offs[r];
        if (prev_code != UINT32_MAX) {
            uint32_t pr = r - 1;
            if (offs[pr + 1] - offs[pr] == len && !memcmp(bytes + offs[pr], s, len)) {
                codes[r] = prev_code;
                continue;
            }
        }
        uint64_t h = sp_hash64(s, len, 0);
        size_t j = (size_t)h & mask;
        uint32_t code = UINT32_MAX;
        while (b->ht[j]) {
            uint32_t e = b->ht[j] - 1;
            if (b->ehash[e] == h) {
                uint32_t fr = b->first_row[e];
                if (offs[fr + 1] - offs[fr] == len && !memcmp(bytes + offs[fr], s, len)) {
                    code = e;
                    break;
                }
            }
            j = (j + 1) & mask;
        }
        if (code == UINT32_MAX) {
            code = nd++;
            if (nd > b->ecap) {
                size_t ne = b->ecap ? b->ecap * 2 : 1024;
                b->first_row = sp_xrealloc(b->first_row, ne * sizeof(uint32_t));
                b->ehash = sp_xrealloc(b->ehash, ne * sizeof(uint64_t));
                b->ecap = ne;
            }
            b->first_row[code] = r;
            b->ehash[code] = h;
            b->ht[j] = code + 1;
            dict_bytes += len;
            if ((size_t)nd * 2 > cap) {
                size_t ncap = cap * 2;
                if (ncap > b->htcap) {
                    free(b->ht);
                    b->ht = sp_xmalloc(ncap * sizeof(uint32_t));
                    b->htcap = ncap;
                }
                cap = ncap;
                mask = cap - 1;
                memset(b->ht, 0, cap * sizeof(uint32_t));
                for (uint32_t e = 0; e < nd; e++) {
                    size_t k = (size_t)b->ehash[e] & mask;
                    while (b->ht[k])
                        k = (k + 1) & mask;
                    b->ht[k] = e + 1;
                }
            }
        }
        codes[r] = code;
        prev_code = code;
    }
    /* It pays when the dictionary is clearly smaller than the plain bytes, or small
     * enough that per-distinct predicate evaluation wins. */
    uint64_t plain_mem = (uint64_t)(n + 1) * 4 + (offs[n] - offs[0]);
    uint64_t code_w = nd <= 256 ? 1 : 4;
    uint64_t dict_mem = (uint64_t)n * code_w + (uint64_t)(nd + 1) * 4 + dict_bytes;
    if (!(dict_mem * 10 < plain_mem * 9 || nd * 4 <= n))
        goto plain;
    if (code_w == 1) {
        out->codes8 = seal_alloc(b, (size_t)n);
        for (uint32_t i = 0; i < n; i++)
            out->codes8[i] = (uint8_t)codes[i];
    } else {
        out->codes = seal_alloc(b, (size_t)n * sizeof(uint32_t));
        memcpy(out->codes, codes, (size_t)n * sizeof(uint32_t));
    }
    out->nentries = nd;
    out->offs = seal_alloc(b, ((size_t)nd + 1) * sizeof(uint32_t));
    out->bytes = seal_alloc(b, dict_bytes ? dict_bytes : 1);
    uint32_t at = 0;
    for (uint32_t e = 0; e < nd; e++) {
        uint32_t fr = b->first_row[e];
        uint32_t len = offs[fr + 1] - offs[fr];
        out->offs[e] = at;
        memcpy(out->bytes + at, bytes + offs[fr], len);
        at += len;
    }
    out->offs[nd] = at;
    out->mem = dict_mem;
    return true;
plain:
    return false;
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
    pad_to(c, n); /* trailing absent cells (with their unset bits) */
    out->type = c->type;
    if (sp_type_is_text(c->type)) {
        out->unset = seal_bits(b, c->unset, c->unset_cap, n, &bits_mem);
        if (dict_encode(b, c, n, out)) {
            out->enc = SP_ENC_DICT;
            c->blen = 0; /* keep the builder's buffers for the next chunk */
        } else {
            /* Copy out to exact-size memory and keep the builder's warm buffers: handing
             * them over would make every chunk regrow (and page-fault) from scratch. */
            out->offs = seal_alloc(b, ((size_t)n + 1) * sizeof(uint32_t));
            memcpy(out->offs, c->offs, ((size_t)n + 1) * sizeof(uint32_t));
            out->bytes = seal_alloc(b, c->blen ? c->blen : 1);
            if (c->blen)
                memcpy(out->bytes, c->bytes, c->blen);
            out->nentries = n;
            out->mem = ((uint64_t)n + 1) * 4 + c->blen;
            c->blen = 0;
        }
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
    ch->ncols = b->ncols;
    ch->cols = sp_xcalloc((size_t)(b->ncols ? b->ncols : 1), sizeof *ch->cols);
    ch->mem = sizeof *ch + sizeof(chunk_col) * (size_t)b->ncols;
    for (int i = 0; i < b->ncols; i++) {
        seal_column(b, &b->cols[i], i < sc->ncols ? sc->cols[i].type : SP_TYPE_DYNAMIC, n, &ch->cols[i]);
        ch->mem += ch->cols[i].mem;
    }
    ch->keys = b->nkeys ? sp_xrealloc(b->keys, b->nkeys * sizeof(sp_hash128)) : NULL;
    if (!b->nkeys)
        free(b->keys);
    ch->nkeys = (uint32_t)b->nkeys;
    ch->mem += (uint64_t)b->nkeys * sizeof(sp_hash128);
    b->keys = NULL;
    b->nkeys = b->kcap = 0;
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
