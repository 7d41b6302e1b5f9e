/* postings.c — row lists of a chunk's dictionary-encoded column, for selective filters.
 *
 * Detections filter mostly on a few columns of few distinct values (ResultType,
 * OperationName, AppDisplayName, ...) and keep few rows: a rule for failed sign-ins keeps
 * one row in thirty. Comparing every row's code reads the whole code column of every
 * chunk, most of it for rows the filter drops; on resident data queried again and again
 * that pass was a fifth of a query's time, and more when another program had evicted the
 * codes from the cache. The row lists of a column (for each dictionary
 * entry, its rows in increasing order, a counting sort of the codes) give a selective
 * filter its rows directly: it reads the lists of the entries it keeps and nothing else.
 *
 * The lists cost two bytes a row (four past 65,536 rows a chunk) and a pass over the
 * codes, so they are built only for data read again: when a plan filters the same chunk
 * column in a second execution (a resident table queried again, a scheduled rule's window
 * back over a chunk; kchunk_plan_back), never for a one-off scan or a per-event rule.
 * They are cached on the chunk (sp_chunk_cache_put), counted in its memory, and freed
 * with it. A filter uses them (kpost_keep_bits) only when the rows it keeps are at most
 * one in KPOST_SELECTIVE of the chunk's; otherwise reading the codes is the cheaper pass.
 * The rows a filter gets this way are exactly those whose code it keeps, in the same
 * order: the lists are the codes, inverted. */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct kpost_key {
    char tag[8]; /* "kpost" for the lists, "kpost?" for the demand */
    int col;
} kpost_key;

static kpost_key key_of(const char *tag, int col)
{
    kpost_key k;
    memset(&k, 0, sizeof k);
    memcpy(k.tag, tag, strlen(tag));
    k.col = col;
    return k;
}

static kpost *build(const sp_colview *cv, uint32_t rows)
{
    uint32_t n = cv->nentries;
    bool narrow = rows <= 65536u;
    size_t start_bytes = sizeof(uint32_t) * ((size_t)n + 1), at_bytes = (narrow ? 2u : 4u) * (size_t)rows;
    kpost *p = sp_xcalloc(1, sizeof *p + start_bytes + at_bytes);
    uint32_t *start = (uint32_t *)(void *)(p + 1);
    p->nentries = n;
    p->rows = rows;
    p->start = start;
    p->mem = sizeof *p + start_bytes + at_bytes;
    for (uint32_t r = 0; r < rows; r++)
        start[(cv->codes8 ? cv->codes8[r] : cv->codes[r]) + 1]++;
    for (uint32_t e = 0; e < n; e++)
        start[e + 1] += start[e];
    uint32_t *next = sp_xmalloc(sizeof(uint32_t) * (n ? n : 1));
    memcpy(next, start, sizeof(uint32_t) * n);
    if (narrow) {
        uint16_t *at = (uint16_t *)(void *)(start + n + 1);
        if (cv->codes8)
            for (uint32_t r = 0; r < rows; r++)
                at[next[cv->codes8[r]]++] = (uint16_t)r;
        else
            for (uint32_t r = 0; r < rows; r++)
                at[next[cv->codes[r]]++] = (uint16_t)r;
        p->at16 = at;
    } else {
        uint32_t *at = start + n + 1;
        for (uint32_t r = 0; r < rows; r++)
            at[next[cv->codes8 ? cv->codes8[r] : cv->codes[r]]++] = r;
        p->at32 = at;
    }
    free(next);
    return p;
}

const kpost *kpost_chunk(const kexec *ex, sp_chunk *c, int col, const sp_colview *cv)
{
    if (cv->enc != SP_ENC_DICT || (!cv->codes8 && !cv->codes) || cv->nentries < 2)
        return NULL;
    kpost_key key = key_of("kpost", col);
    kpost *p = sp_chunk_cache_get(c, &key, sizeof key);
    if (p)
        return p;
    kpost_key dkey = key_of("kpost?", col);
    kchunk_reread *d = sp_chunk_cache_get(c, &dkey, sizeof dkey);
    if (!d) {
        d = sp_xcalloc(1, sizeof *d);
        d = sp_chunk_cache_put(c, &dkey, sizeof dkey, d, sizeof *d, free);
    }
    if (!kchunk_plan_back(d, ex))
        return NULL;
    p = build(cv, sp_chunk_rows(c));
    return sp_chunk_cache_put(c, &key, sizeof key, p, p->mem, free);
}

const uint64_t *kpost_keep_bits(const kpost *p, const uint8_t *keep, sp_arena *a)
{
    uint64_t kept = 0;
    for (uint32_t e = 0; e < p->nentries; e++)
        kept += keep[e] ? p->start[e + 1] - p->start[e] : 0;
    if (kept * KPOST_SELECTIVE > p->rows)
        return NULL;
    size_t words = ((size_t)p->rows + 63) / 64;
    uint64_t *bits = sp_arena_alloc(a, sizeof(uint64_t) * (words ? words : 1));
    memset(bits, 0, sizeof(uint64_t) * words);
    for (uint32_t e = 0; e < p->nentries; e++) {
        if (!keep[e])
            continue;
        for (uint32_t k = p->start[e]; k < p->start[e + 1]; k++) {
            uint32_t r = p->at16 ? p->at16[k] : p->at32[k];
            bits[r >> 6] |= 1ull << (r & 63);
        }
    }
    return bits;
}

uint32_t kpost_select(const uint64_t *bits, uint32_t row0, uint32_t n, uint32_t *out)
{
    const uint64_t *w = bits + row0 / 64;
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i += 64) {
        uint64_t x = w[i / 64];
        if (n - i < 64)
            x &= (1ull << (n - i)) - 1;
        while (x) {
            out[m++] = i + (uint32_t)__builtin_ctzll(x);
            x &= x - 1;
        }
    }
    return m;
}
