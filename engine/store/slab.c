/* slab.c — the memory of sealed chunks, and of the store's other large tables, in
 * 2 MiB-aligned mappings offered to transparent huge pages.
 *
 * A query over resident data reads a few columns of every chunk: a byte or four per row
 * of one column, an offset of another, the chunk's column descriptors. With each buffer
 * its own malloc block on 4 KiB pages, a 256 MB table is 65 k pages, far more than the
 * TLB covers; on a VM each miss is a nested page walk, and a query that starts with cold
 * caches (the usual case for a detection that runs every few minutes) paid one for nearly
 * every chunk column it touched. Sealing instead bump-allocates a chunk's buffers, one
 * after the other, from its builder's current slab; the chunk holds a reference to every
 * slab it took memory from and the slab is unmapped with the last of them. A builder's
 * chunks are sealed and evicted in order, so slabs empty in order too.
 *
 * Slabs grow from 2 MiB to SLAB_MAX_BYTES (16 MiB) per builder, so a table that seals a
 * few small chunks (tests, a quiet log) maps little; a buffer larger than a quarter of
 * the largest slab gets a mapping of its own. The store's memory accounting counts the
 * chunks' bytes, not the slabs': what a slab holds beyond them (its tail — untouched
 * pages cost nothing — and chunks of it that retention already evicted while later ones
 * in it live) is at most about one slab per builder.
 */
#include "engine/store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* Under AddressSanitizer a slab's space is poisoned until handed out, so a read past a
 * buffer into its neighbour's padding or the unused tail is still reported. */
#define SLAB_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SLAB_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SLAB_POISON(p, n) ((void)(p), (void)(n))
#define SLAB_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define HUGE_BYTES ((size_t)2 << 20)
#define ROUND_UP(n, a) (((n) + (a) - 1) & ~((size_t)(a) - 1)) /* a: a power of two */
#define SLAB_MAX_BYTES ((size_t)16 << 20)

struct chunk_slab {
    atomic_int refs; /* the cursor allocating from it, and one per chunk using it */
    size_t size;     /* of the mapping, header included */
    size_t used;     /* bytes handed out, header included; only the cursor's thread */
};

#define SLAB_HEADER ROUND_UP(sizeof(chunk_slab), 64)

void *huge_map(size_t bytes)
{
    char *m = mmap(NULL, bytes + HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        fputs("socpipe: out of memory\n", stderr);
        abort();
    }
    char *p = (char *)(((uintptr_t)m + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
    if (p > m)
        munmap(m, (size_t)(p - m));
    if (p + bytes < m + bytes + HUGE_BYTES)
        munmap(p + bytes, (size_t)(m + bytes + HUGE_BYTES - (p + bytes)));
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p; /* anonymous pages are zero */
}

void huge_unmap(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}

static chunk_slab *slab_new(size_t bytes)
{
    bytes = ROUND_UP(bytes, HUGE_BYTES);
    chunk_slab *s = huge_map(bytes);
    atomic_init(&s->refs, 1);
    s->size = bytes;
    s->used = SLAB_HEADER;
    SLAB_POISON((char *)s + SLAB_HEADER, bytes - SLAB_HEADER);
    return s;
}

static void slab_unref(chunk_slab *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        SLAB_UNPOISON(s, s->size);
        huge_unmap(s, s->size);
    }
}

/* Records that chunk c holds memory of s (once per slab: allocations come in order, so a
 * slab already recorded is the last one, or an earlier dedicated one never reused). */
static void chunk_hold(sp_chunk *c, chunk_slab *s)
{
    if (c->nslabs && c->slabs[c->nslabs - 1] == s)
        return;
    if (c->nslabs == c->slabs_cap) {
        c->slabs_cap = c->slabs_cap ? c->slabs_cap * 2 : 2;
        c->slabs = sp_xrealloc(c->slabs, c->slabs_cap * sizeof *c->slabs);
    }
    atomic_fetch_add(&s->refs, 1);
    c->slabs[c->nslabs++] = s;
}

void *slab_alloc(slab_cursor *cur, sp_chunk *owner, size_t n)
{
    size_t align = n >= 64 ? 64 : 16, asked = n ? n : 1;
    n = ROUND_UP(asked, 16);
    if (n > SLAB_MAX_BYTES / 4) { /* its own mapping; the cursor keeps its slab */
        chunk_slab *own = slab_new(SLAB_HEADER + n);
        chunk_hold(owner, own);
        slab_unref(own); /* the chunk's reference is the only one */
        SLAB_UNPOISON((char *)own + SLAB_HEADER, asked);
        return (char *)own + SLAB_HEADER;
    }
    chunk_slab *s = cur->slab;
    size_t at = s ? ROUND_UP(s->used, align) : 0;
    if (!s || at + n > s->size) {
        size_t want = cur->next_bytes ? cur->next_bytes : HUGE_BYTES;
        while (want < SLAB_HEADER + n)
            want *= 2;
        cur->next_bytes = SP_MIN(want * 2, SLAB_MAX_BYTES);
        slab_unref(s);
        s = cur->slab = slab_new(want);
        at = SLAB_HEADER;
    }
    s->used = at + n;
    chunk_hold(owner, s);
    SLAB_UNPOISON((char *)s + at, asked);
    return (char *)s + at;
}

void slab_cursor_release(slab_cursor *cur)
{
    slab_unref(cur->slab);
    cur->slab = NULL;
}

void chunk_slabs_release(sp_chunk *c)
{
    for (uint32_t i = 0; i < c->nslabs; i++)
        slab_unref(c->slabs[i]);
    free(c->slabs);
    c->slabs = NULL;
    c->nslabs = c->slabs_cap = 0;
}
