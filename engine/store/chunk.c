/* chunk.c — sealed chunks: reference counting and read-only column views.
 *
 * A chunk is immutable once published, so any number of readers use it without locks;
 * the reference count decides when its memory goes (after eviction and after the last
 * snapshot holding it is released).
 *
 * A large chunk keeps all its column buffers in one slab mapped on transparent huge
 * pages: a 1 GB store in 4 KiB pages is a quarter of a million pages, far beyond the TLB,
 * and a query that keeps a few rows per batch (a failed sign-in in thirty) would pay a
 * page walk on most of the rows it reads.
 */
#include "engine/store/store_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const uint32_t null_offs[2] = {0, 0};

void sp_chunk_ref(sp_chunk *c)
{
    atomic_fetch_add(&c->refs, 1);
}

#define SLAB_MIN ((size_t)1 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

void *chunk_slab_map(size_t bound, size_t *len)
{
    if (bound < SLAB_MIN)
        return NULL;
    size_t n = (bound + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    /* Map one huge page more and cut the ends so the slab starts on a 2 MiB boundary. */
    char *p = mmap(NULL, n + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL; /* the columns are malloc'd instead */
    char *start = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (start > p)
        munmap(p, (size_t)(start - p));
    size_t tail = (size_t)(p + n + HUGE_PAGE - (start + n));
    if (tail)
        munmap(start + n, tail);
#ifdef MADV_HUGEPAGE
    madvise(start, n, MADV_HUGEPAGE);
#endif
    *len = n;
    return start;
}

size_t chunk_slab_trim(void *slab, size_t len, size_t used)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t keep = (used + page - 1) & ~(page - 1);
    if (keep < len)
        munmap((char *)slab + keep, len - keep);
    return keep < len ? keep : len;
}

static bool in_slab(const sp_chunk *c, const void *p)
{
    return c->slab && (const char *)p >= (const char *)c->slab && (const char *)p < (const char *)c->slab + c->slab_len;
}

static void free_buffer(const sp_chunk *c, void *p)
{
    if (!in_slab(c, p))
        free(p);
}

void chunk_free(sp_chunk *c)
{
    for (int i = 0; i < c->ncols; i++) {
        chunk_col *k = &c->cols[i];
        if (k->borrowed) /* all-null columns borrow shared storage */
            continue;
        free_buffer(c, k->values);
        free_buffer(c, k->valid);
        free_buffer(c, k->offs);
        free_buffer(c, k->bytes);
        free_buffer(c, k->codes);
    }
    if (c->slab)
        munmap(c->slab, c->slab_len);
    free(c->cols);
    free(c->keys);
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
    v->nentries = k->nentries;
}
