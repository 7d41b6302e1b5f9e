/* chunk.c — sealed chunks: reference counting and read-only column views.
 *
 * A chunk is immutable once published, so any number of readers use it without locks;
 * the reference count decides when its memory goes (after eviction and after the last
 * snapshot holding it is released).
 */
#include "engine/store/store_int.h"

#include <stdlib.h>
#include <string.h>

static const uint32_t null_offs[2] = {0, 0};

void sp_chunk_ref(sp_chunk *c)
{
    atomic_fetch_add(&c->refs, 1);
}

void chunk_free(sp_chunk *c)
{
    /* The columns' buffers live in the slabs (slab.c); only the gids are their own. */
    for (int i = 0; i < c->ncols; i++)
        tdict_chunk_col_free(&c->cols[i]);
    free(c->keys);
    chunk_cache_free(c);
    chunk_slabs_release(c);
    free(c);
}

void sp_chunk_unref(sp_chunk *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        chunk_free(c);
}

uint32_t sp_chunk_rows(const sp_chunk *c)
{
    return c->rows;
}

uint64_t sp_chunk_seq(const sp_chunk *c)
{
    return c->seq;
}

int sp_chunk_ncols(const sp_chunk *c)
{
    return c->ncols;
}

int64_t sp_chunk_min_time(const sp_chunk *c)
{
    return c->min_time;
}

int64_t sp_chunk_max_time(const sp_chunk *c)
{
    return c->max_time;
}

int64_t sp_chunk_ingest_time(const sp_chunk *c)
{
    return c->ingest_time;
}

uint64_t sp_chunk_bytes(const sp_chunk *c)
{
    return c->mem;
}

void sp_chunk_col_prefetch(const sp_chunk *c, int col, int step)
{
    if (col < 0 || col >= c->ncols)
        return;
    const chunk_col *k = &c->cols[col];
    if (step == 0) {
        sp_prefetch(k);
        sp_prefetch((const char *)k + sizeof *k - 1); /* it spans two lines */
        return;
    }
    const chunk_gids *g = atomic_load_explicit(&((chunk_col *)k)->gx, memory_order_acquire);
    if (g)
        sp_prefetch(g);
    if (k->codes8)
        sp_prefetch(k->codes8);
    else if (k->codes)
        sp_prefetch(k->codes);
    else if (k->values)
        sp_prefetch(k->values);
}

sp_type sp_chunk_col_type(const sp_chunk *c, int col)
{
    return col < c->ncols ? c->cols[col].type : SP_TYPE_NULL;
}

void sp_chunk_col(const sp_chunk *c, int col, sp_colview *v)
{
    memset(v, 0, sizeof *v);
    v->rows = c->rows;
    if (col < 0 || col >= c->ncols) {
        /* A column the chunk predates (inferred schemas grow): null, read as a null
         * dynamic; readers convert it to the schema's type like any narrower column. */
        v->type = SP_TYPE_DYNAMIC;
        v->enc = SP_ENC_DICT;
        v->offs = null_offs;
        v->bytes = "";
        v->nentries = 1;
        return;
    }
    const chunk_col *k = &c->cols[col];
    v->type = k->type;
    v->enc = k->enc;
    v->values = k->values;
    v->valid = k->valid;
    v->offs = k->offs;
    v->bytes = k->bytes;
    v->codes = k->codes;
    v->codes8 = k->codes8;
    v->nentries = k->nentries;
    v->unset = k->unset;
    v->jnull = k->jnull;
    const chunk_gids *g = atomic_load_explicit(&((chunk_col *)k)->gx, memory_order_acquire);
    if (g && g->gids) {
        v->gids = g->gids;
        v->tdict = g->tdict;
    }
}
