/* rowset.c — materialized results: a small columnar table that owns its data. Blocking
 * operators (shared subplans, join build sides, sort, final results) drain into one;
 * readers get batch views over it; printers write it as a table, JSON or CSV.
 *
 * A column the first batch does not carry (a NULL vector: projection pruning found no
 * reader above) is stored as a constant null instead of a per-row array, so a sort over a
 * 90-column table keeps only what the query reads. */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

/* A text cell as the result keeps it: "" for empty text, else referenced where it lives
 * (borrow: chunk text the result may hold) or copied into the result's arena. */
static inline kstr result_text(krowset *rs, kstr x, bool borrow)
{
    return !x.n ? (kstr){"", 0} : borrow ? x : kstr_dup(&rs->arena, x.p, x.n);
}

krowset *krowset_new(const kp_schema *schema)
{
    krowset *rs = sp_xcalloc(1, sizeof *rs);
    rs->schema.ncols = schema->ncols;
    rs->schema.cols = sp_xmalloc(sizeof(kp_col) * (size_t)(schema->ncols ? schema->ncols : 1));
    for (int i = 0; i < schema->ncols; i++) {
        rs->schema.cols[i].name = sp_arena_strndup(&rs->arena, schema->cols[i].name, strlen(schema->cols[i].name));
        rs->schema.cols[i].type = schema->cols[i].type;
    }
    rs->cols = sp_xcalloc((size_t)(schema->ncols ? schema->ncols : 1), sizeof(kvec *));
    /* One allocation for the column headers: a per-event rule makes a rowset of a whole
     * record's columns for every chunk, usually to hold no row at all. */
    rs->colmem = sp_xcalloc((size_t)(schema->ncols ? schema->ncols : 1), sizeof(kvec));
    for (int i = 0; i < schema->ncols; i++) {
        kvec *v = &rs->colmem[i];
        v->type = schema->cols[i].type;
        v->enc = KV_FLAT;
        rs->cols[i] = v;
    }
    return rs;
}

static void reserve(krowset *rs, uint32_t rows)
{
    if (rows <= rs->cap)
        return;
    uint32_t nc = rs->cap ? rs->cap : 64;
    while (nc < rows)
        nc *= 2;
    for (int i = 0; i < rs->schema.ncols; i++) {
        kvec *v = rs->cols[i];
        if (v->enc == KV_CONST)
            continue; /* an absent column */
        v->d.raw = sp_xrealloc(v->d.raw, kvec_elem_size(v->type) * nc);
        if (!sp_type_is_text(v->type)) {
            size_t oldb = rs->cap ? rs->cap / 8 + 1 : 0, newb = nc / 8 + 1;
            v->valid = sp_xrealloc(v->valid, newb);
            memset(v->valid + oldb, 0xff, newb - oldb);
        }
    }
    rs->cap = nc;
}

void kvec_put(kvec *c, uint32_t row, const kval *v)
{
    kval x = *v;
    if (x.type != c->type && !x.null) {
        /* A union or join may deliver a narrower type; the rowset keeps its own. */
        if (c->type == SP_TYPE_REAL && (x.type == SP_TYPE_LONG || x.type == SP_TYPE_INT))
            x.u.r = (double)x.u.l;
    }
    x.type = c->type;
    if (!sp_type_is_text(c->type))
        c->valid[row >> 3] |= (uint8_t)(1u << (row & 7));
    kvec_set(c, row, &x);
}

static void put(krowset *rs, int col, uint32_t row, const kval *v)
{
    kvec *c = rs->cols[col];
    if (c->enc == KV_CONST)
        return; /* an absent column */
    kval x = *v;
    if (sp_type_is_text(c->type) && !x.null && x.u.s.n)
        x.u.s = kstr_dup(&rs->arena, x.u.s.p, x.u.s.n);
    kvec_put(c, row, &x);
}

void krowset_append_row(krowset *rs, const kval *vals)
{
    reserve(rs, rs->nrows + 1);
    for (int i = 0; i < rs->schema.ncols; i++)
        put(rs, i, rs->nrows, &vals[i]);
    rs->nrows++;
    for (int i = 0; i < rs->schema.ncols; i++)
        rs->cols[i]->n = rs->nrows;
}

void krowset_append_batch(krowset *rs, const kbatch *b)
{
    uint32_t rows = kbatch_rows(b);
    if (rs->nrows == 0 && rs->cap == 0)
        for (int c = 0; c < rs->schema.ncols; c++)
            if (!b->cols[c]) { /* pruned upstream: nobody reads it */
                kvec *v = rs->cols[c];
                v->enc = KV_CONST;
                v->cnull = true;
                v->d.raw = sp_xcalloc(1, sizeof(kstr));
            }
    reserve(rs, rs->nrows + rows + b->rows_after);
    /* Column by column: one column's source and destination stay in cache. */
    kval v;
    for (int c = 0; c < rs->schema.ncols; c++) {
        const kvec *src = b->cols[c];
        kvec *dst = rs->cols[c];
        if (dst->enc == KV_CONST)
            continue;
        if (!src) {
            v = kval_null(dst->type);
            for (uint32_t k = 0; k < rows; k++)
                put(rs, c, rs->nrows + k, &v);
            continue;
        }
        if (sp_type_is_text(dst->type) && src->type == dst->type) {
            kstr *out = dst->d.s + rs->nrows;
            /* Text in store chunks stays there when the rowset holds the chunks. */
            bool borrow = rs->borrow_text && src->stable_text;
            for (uint32_t k = 0; k < rows; k++) {
                if (k + 16 < rows && !borrow) /* text referenced from store chunks is scattered */
                    __builtin_prefetch(kvec_str(src, kbatch_row(b, k + 16)).p);
                out[k] = result_text(rs, kvec_str(src, kbatch_row(b, k)), borrow);
            }
            continue;
        }
        if (src->enc == KV_FLAT && src->type == dst->type && !sp_type_is_text(dst->type) &&
            dst->type != SP_TYPE_BOOL) {
            /* 8-byte values of the same type: copied with their validity bits (reserve
             * made new rows valid) */
            if (!src->valid && !b->sel) {
                memcpy(dst->d.l + rs->nrows, src->d.l, sizeof(int64_t) * rows);
                continue;
            }
            for (uint32_t k = 0; k < rows; k++) {
                uint32_t i = kbatch_row(b, k), r = rs->nrows + k;
                dst->d.l[r] = src->d.l[i];
                if (src->valid && !((src->valid[i >> 3] >> (i & 7)) & 1))
                    kvec_set_null(dst, r);
                else
                    dst->valid[r >> 3] |= (uint8_t)(1u << (r & 7));
            }
            continue;
        }
        for (uint32_t k = 0; k < rows; k++) {
            kvec_get(src, kbatch_row(b, k), &v);
            put(rs, c, rs->nrows + k, &v);
        }
    }
    rs->nrows += rows;
    for (int c = 0; c < rs->schema.ncols; c++)
        rs->cols[c]->n = rs->nrows;
}

void krowset_adopt(krowset *rs, void **values, const bool *stable_text, uint32_t rows)
{
    for (int c = 0; c < rs->schema.ncols; c++) {
        kvec *v = rs->cols[c];
        free(v->d.raw);
        free(v->valid);
        v->d.raw = values[c];
        v->valid = NULL;
        if (sp_type_is_text(v->type)) {
            kstr *s = v->d.s;
            bool borrow = rs->borrow_text && stable_text[c];
            for (uint32_t r = 0; r < rows; r++)
                s[r] = result_text(rs, s[r], borrow);
        } else { /* every row valid, as reserve makes them */
            v->valid = sp_xmalloc((size_t)rows / 8 + 1);
            memset(v->valid, 0xff, (size_t)rows / 8 + 1);
        }
        v->n = rows;
    }
    rs->nrows = rs->cap = rows;
}

krowset *krowset_drain(kexec *ex, kop *op, const kp_schema *schema)
{
    return krowset_drain_into(ex, op, krowset_new(schema));
}

krowset *krowset_drain_into(kexec *ex, kop *op, krowset *rs)
{
    kbatch *b;
    int r = op->drain && rs->nrows == 0 ? op->drain(op, rs) : 0;
    if (r == 0)
        while ((r = op->next(op, &b)) > 0)
            krowset_append_batch(rs, b);
    if (r < 0 || ex->failed) {
        krowset_free(rs);
        return NULL;
    }
    return rs;
}

void krowset_batch(krowset *rs, uint32_t row0, uint32_t n, kbatch *b, kvec **colbuf)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->ncols = rs->schema.ncols;
    b->cols = colbuf;
    for (int i = 0; i < rs->schema.ncols; i++) {
        kvec *src = rs->cols[i], *v = colbuf[i];
        *v = *src;
        v->n = n;
        if (src->enc == KV_CONST)
            continue;
        size_t es = kvec_elem_size(src->type);
        v->d.raw = (char *)src->d.raw + es * row0;
        if (src->valid) {
            /* Views start on a byte boundary (row0 % 8 == 0) for bitmaps. */
            v->valid = src->valid + row0 / 8;
        }
        v->unset = src->unset ? src->unset + row0 / 8 : NULL;
        v->jnull = src->jnull ? src->jnull + row0 / 8 : NULL;
    }
}

const kp_schema *krowset_schema(const krowset *rs)
{
    return &rs->schema;
}

uint32_t krowset_rows(const krowset *rs)
{
    return rs->nrows;
}

void krowset_get(const krowset *rs, uint32_t row, int col, kval *out)
{
    kvec_get(rs->cols[col], row, out);
}

void krowset_free(krowset *rs)
{
    if (!rs)
        return;
    for (int i = 0; i < rs->schema.ncols; i++) {
        free(rs->cols[i]->d.raw);
        free(rs->cols[i]->valid);

    }
    for (int i = 0; i < rs->npins; i++)
        sp_snapshot_free(rs->pins[i]);
    free(rs->pins);
    free(rs->cols);
    free(rs->colmem);
    free(rs->schema.cols);
    sp_arena_free(&rs->arena);
    free(rs);
}

/* ---- output ---- */

static void csv_field(sp_buf *b, const char *p, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r')
            quote = true;
    if (!quote) {
        sp_buf_append(b, p, n);
        return;
    }
    sp_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            sp_buf_putc(b, '"');
        sp_buf_putc(b, p[i]);
    }
    sp_buf_putc(b, '"');
}

void krowset_write(const krowset *rs, kout_format fmt, FILE *f)
{
    sp_buf line = {0};
    kval v;
    int nc = rs->schema.ncols;
    if (fmt == KOUT_JSON) {
        for (uint32_t r = 0; r < rs->nrows; r++) {
            line.len = 0;
            sp_buf_putc(&line, '{');
            for (int c = 0; c < nc; c++) {
                if (c)
                    sp_buf_putc(&line, ',');
                sp_buf_json_string(&line, rs->schema.cols[c].name, strlen(rs->schema.cols[c].name));
                sp_buf_putc(&line, ':');
                krowset_get(rs, r, c, &v);
                kval_to_json(&v, &line);
            }
            sp_buf_puts(&line, "}\n");
            fwrite(line.data, 1, line.len, f);
        }
    } else if (fmt == KOUT_CSV) {
        for (int c = 0; c < nc; c++) {
            if (c)
                sp_buf_putc(&line, ',');
            csv_field(&line, rs->schema.cols[c].name, strlen(rs->schema.cols[c].name));
        }
        sp_buf_putc(&line, '\n');
        sp_buf cell = {0};
        for (uint32_t r = 0; r < rs->nrows; r++) {
            for (int c = 0; c < nc; c++) {
                if (c)
                    sp_buf_putc(&line, ',');
                krowset_get(rs, r, c, &v);
                cell.len = 0;
                kval_to_text(&v, &cell);
                csv_field(&line, cell.data ? cell.data : "", cell.len);
            }
            sp_buf_putc(&line, '\n');
        }
        sp_buf_free(&cell);
        fwrite(line.data, 1, line.len, f);
    } else {
        /* Column widths from the header and up to the first 10000 rows. */
        size_t *w = sp_xcalloc((size_t)(nc ? nc : 1), sizeof *w);
        sp_buf cell = {0};
        uint32_t sample = rs->nrows < 10000 ? rs->nrows : 10000;
        for (int c = 0; c < nc; c++) {
            w[c] = strlen(rs->schema.cols[c].name);
            for (uint32_t r = 0; r < sample; r++) {
                krowset_get(rs, r, c, &v);
                cell.len = 0;
                kval_to_text(&v, &cell);
                w[c] = SP_MAX(w[c], SP_MIN(cell.len, (size_t)80));
            }
        }
        for (int c = 0; c < nc; c++)
            sp_buf_printf(&line, "%s%-*s", c ? "  " : "", (int)w[c], rs->schema.cols[c].name);
        sp_buf_putc(&line, '\n');
        for (int c = 0; c < nc; c++) {
            if (c)
                sp_buf_puts(&line, "  ");
            for (size_t i = 0; i < w[c]; i++)
                sp_buf_putc(&line, '-');
        }
        sp_buf_putc(&line, '\n');
        for (uint32_t r = 0; r < rs->nrows; r++) {
            for (int c = 0; c < nc; c++) {
                krowset_get(rs, r, c, &v);
                cell.len = 0;
                kval_to_text(&v, &cell);
                size_t n = SP_MIN(cell.len, (size_t)80);
                sp_buf_printf(&line, "%s%-*.*s", c ? "  " : "", (int)w[c], (int)n, cell.data ? cell.data : "");
            }
            sp_buf_putc(&line, '\n');
            if (line.len > 1 << 20) {
                fwrite(line.data, 1, line.len, f);
                line.len = 0;
            }
        }
        sp_buf_free(&cell);
        free(w);
        fwrite(line.data, 1, line.len, f);
        fprintf(f, "(%u row%s)\n", rs->nrows, rs->nrows == 1 ? "" : "s");
    }
    sp_buf_free(&line);
}
