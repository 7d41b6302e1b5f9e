/* baseline.c — the ingest benchmark's reference (issue #2, DESIGN.md §7 `L_parse`): the
 * same simdjson parse as real ingest, then every field's bytes appended to a plain column
 * per key in a chunked arena — no envelope mapping, typing, conversion, validation, dedup
 * or dictionaries. Real ingest is measured against it in the same process and run, so the
 * ratio isolates what socpipe adds on top of parsing and copying the data.
 *
 * Columns are found by key with a flat open-addressing table. Each 64k-row chunk's buffers
 * are reused for the next chunk (the data is not kept), so the reference pays no memory
 * growth at all: the strictest fair baseline for parse-and-copy. The bytes a chunk held
 * are counted, to compare memory with the store. */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

#define BASE_CHUNK_ROWS 65536

typedef struct bcolumn {
    char *key;
    uint32_t klen;
    uint32_t *offs; /* rows + 1 */
    char *bytes;
    size_t blen, bcap;
    uint32_t n;
} bcolumn;

typedef struct ing_baseline {
    bcolumn *cols;
    uint32_t ncols, cap;
    uint32_t *slots; /* key hash -> column + 1 */
    uint32_t mask;
    uint32_t rows;   /* rows in the current chunk */
    uint64_t bytes;  /* bytes the sealed chunks held */
} ing_baseline;

static uint32_t column_for(ing_baseline *b, const char *key, uint32_t klen)
{
    uint32_t h = (uint32_t)sp_hash64(key, klen, 7);
    uint32_t j = h & b->mask;
    while (b->slots[j]) {
        bcolumn *c = &b->cols[b->slots[j] - 1];
        if (c->klen == klen && !memcmp(c->key, key, klen))
            return b->slots[j] - 1;
        j = (j + 1) & b->mask;
    }
    if (b->ncols == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->cols = sp_xrealloc(b->cols, b->cap * sizeof(bcolumn));
    }
    if ((b->ncols + 1) * 2 > b->mask) {
        /* grow the key table */
        uint32_t nm = b->mask * 2 + 1;
        uint32_t *ns = sp_xcalloc((size_t)nm + 1, sizeof(uint32_t));
        for (uint32_t i = 0; i < b->ncols; i++) {
            uint32_t k = (uint32_t)sp_hash64(b->cols[i].key, b->cols[i].klen, 7) & nm;
            while (ns[k])
                k = (k + 1) & nm;
            ns[k] = i + 1;
        }
        free(b->slots);
        b->slots = ns;
        b->mask = nm;
        j = h & b->mask;
        while (b->slots[j])
            j = (j + 1) & b->mask;
    }
    bcolumn *c = &b->cols[b->ncols];
    memset(c, 0, sizeof *c);
    c->key = sp_xstrndup(key, klen);
    c->klen = klen;
    c->offs = sp_xmalloc(sizeof(uint32_t) * (BASE_CHUNK_ROWS + 1));
    c->n = 0;
    /* a column first seen at row r holds r empty values before it */
    for (uint32_t r = 0; r <= b->rows; r++)
        c->offs[r] = 0;
    c->n = b->rows;
    b->slots[j] = b->ncols + 1;
    return b->ncols++;
}

static void seal(ing_baseline *b)
{
    for (uint32_t i = 0; i < b->ncols; i++) {
        bcolumn *c = &b->cols[i];
        b->bytes += c->blen + sizeof(uint32_t) * ((size_t)c->n + 1);
        c->blen = 0;
        c->offs[0] = 0;
        c->n = 0;
    }
    b->rows = 0;
}

void ing_baseline_doc(ing_worker *w, const ing_jdoc *doc)
{
    ing_baseline *b = w->base;
    if (!b) {
        b = w->base = sp_xcalloc(1, sizeof *b);
        b->mask = 255;
        b->slots = sp_xcalloc(256, sizeof(uint32_t));
    }
    for (uint32_t r = 0; r < doc->nrecords; r++) {
        const ing_jrecord *rec = &doc->records[r];
        if (rec->status != ING_JREC_OK)
            continue;
        if (b->rows == BASE_CHUNK_ROWS)
            seal(b);
        for (uint32_t f = 0; f < rec->nfields; f++) {
            const ing_jfield *fd = &doc->fields[rec->first + f];
            uint32_t ci = column_for(b, fd->key, fd->key_len); /* may move b->cols */
            bcolumn *c = &b->cols[ci];
            /* pad rows this column missed */
            while (c->n < b->rows) {
                c->offs[c->n + 1] = (uint32_t)c->blen;
                c->n++;
            }
            if (c->n > b->rows) /* the key repeats in one record: keep the last */
                c->blen = c->offs[--c->n];
            if (c->blen + fd->text_len > c->bcap) {
                size_t nc = c->bcap ? c->bcap : 4096;
                while (nc < c->blen + fd->text_len)
                    nc *= 2;
                c->bytes = sp_xrealloc(c->bytes, nc);
                c->bcap = nc;
            }
            memcpy(c->bytes + c->blen, fd->text, fd->text_len);
            c->blen += fd->text_len;
            c->offs[++c->n] = (uint32_t)c->blen;
        }
        b->rows++;
    }
}

void ing_baseline_free(ing_worker *w)
{
    ing_baseline *b = w->base;
    if (!b)
        return;
    seal(b);
    for (uint32_t i = 0; i < b->ncols; i++) {
        free(b->cols[i].key);
        free(b->cols[i].offs);
        free(b->cols[i].bytes);
    }
    pthread_mutex_lock(&w->g->mu);
    w->g->baseline_bytes += b->bytes;
    pthread_mutex_unlock(&w->g->mu);
    free(b->cols);
    free(b->slots);
    free(b);
    w->base = NULL;
}

uint64_t ing_baseline_bytes(ing *g)
{
    pthread_mutex_lock(&g->mu);
    uint64_t b = g->baseline_bytes;
    pthread_mutex_unlock(&g->mu);
    return b;
}
