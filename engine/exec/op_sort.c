/* op_sort.c — sort (order by) and top: Kusto's row order over several keys.
 *
 * Ordering (sort operator docs): each key ascending or descending, with nulls first or
 * last per key (the binder fills Kusto's defaults: asc → nulls first, desc → nulls last).
 * Strings compare ordinally (bytes), numbers by value, datetime and timespan by ticks,
 * bool false < true, dynamic by its compact JSON text. Real NaN groups with null: with
 * nulls first the order is null, NaN, -inf … +inf; with nulls last -inf … +inf, NaN, null,
 * whichever the direction. Strings are never null, so "" is simply the smallest string.
 *
 * sort materializes its input, computes every key once per row into a compact array of
 * sort values, and merge-sorts a permutation of row indices (stable: equal rows keep
 * their input order). top keeps a bounded max-heap of its best N candidates: a row enters
 * only when strictly better than the worst kept one, so among equal rows the first seen
 * wins; replaced candidates become garbage in the candidate store, compacted when it
 * reaches twice the heap. Both emit batches gathered from a rowset by permutation.
 */
#include "engine/exec/exec_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- sort values ---- */

enum { RANK_NULL, RANK_NAN, RANK_VALUE };

typedef struct sval {
    int rank;
    union {
        int64_t l;
        double r;
        kstr s;
    } u;
} sval;

static void sval_of(const kvec *v, uint32_t row, sval *out)
{
    kval x;
    kvec_get(v, row, &x);
    if (x.null) {
        out->rank = RANK_NULL;
        return;
    }
    out->rank = RANK_VALUE;
    switch (v->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: out->u.s = x.u.s; break;
    case SP_TYPE_REAL:
        out->u.r = x.u.r;
        if (isnan(x.u.r))
            out->rank = RANK_NAN;
        break;
    case SP_TYPE_BOOL: out->u.l = x.u.b; break;
    default: out->u.l = x.u.l; break;
    }
}

static int sval_cmp(const kp_sortkey *k, sp_type t, const sval *a, const sval *b)
{
    if (a->rank != RANK_VALUE || b->rank != RANK_VALUE) {
        if (a->rank == b->rank)
            return 0;
        /* null and NaN sit at the nulls end whatever the direction; null outermost */
        return k->nulls_first ? a->rank - b->rank : b->rank - a->rank;
    }
    int c;
    switch (t) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: {
        uint32_t n = SP_MIN(a->u.s.n, b->u.s.n);
        c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
        if (!c)
            c = (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
        else
            c = c < 0 ? -1 : 1;
        break;
    }
    case SP_TYPE_REAL: c = (a->u.r > b->u.r) - (a->u.r < b->u.r); break;
    default: c = (a->u.l > b->u.l) - (a->u.l < b->u.l); break;
    }
    return k->desc ? -c : c;
}

/* The keys of a set of rows: vals[k][row]. */
typedef struct keyset {
    const kp *node;
    sval **vals;
} keyset;

static int rows_cmp(const keyset *ks, uint32_t a, uint32_t b)
{
    const kp *n = ks->node;
    for (int k = 0; k < n->nsort; k++) {
        int c = sval_cmp(&n->sort[k], n->sort[k].expr->type, &ks->vals[k][a], &ks->vals[k][b]);
        if (c)
            return c;
    }
    return (a > b) - (a < b); /* input order breaks ties */
}

/* Stable merge sort of perm[0..n) (insertion sort for short runs, then bottom-up
 * merges through tmp). */
static void sort_perm(const keyset *ks, uint32_t *perm, uint32_t n)
{
    const uint32_t RUN = 16;
    for (uint32_t lo = 0; lo < n; lo += RUN) {
        uint32_t hi = SP_MIN(lo + RUN, n);
        for (uint32_t i = lo + 1; i < hi; i++) {
            uint32_t x = perm[i], j = i;
            while (j > lo && rows_cmp(ks, perm[j - 1], x) > 0) {
                perm[j] = perm[j - 1];
                j--;
            }
            perm[j] = x;
        }
    }
    if (n <= RUN)
        return;
    uint32_t *tmp = sp_xmalloc(sizeof(uint32_t) * n), *src = perm, *dst = tmp;
    for (uint32_t w = RUN; w < n; w *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * w) {
            uint32_t mid = SP_MIN(lo + w, n), hi = SP_MIN(lo + 2 * w, n);
            uint32_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                dst[o++] = rows_cmp(ks, src[j], src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[o++] = src[i++];
            while (j < hi)
                dst[o++] = src[j++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != perm)
        memcpy(perm, src, sizeof(uint32_t) * n);
    free(tmp);
}

/* ---- shared operator state: a rowset emitted in permutation order ---- */

typedef struct order_op {
    kop base;
    kop *in;
    kprog *progs;     /* per key */
    int *keysrc;      /* per key: column of keyrows, or -1 - data column (plain column key) */
    krowset *data;    /* all input columns */
    krowset *keyrows; /* the values of keys that are not plain columns */
    keyset keys;
    uint32_t *perm, nperm, emitted;
    sp_arena arena, tmp;
    kbatch batch;
    int (*consume)(struct order_op *); /* sort_consume or top_consume */
    bool done;
    /* top */
    uint32_t *heap, nheap, heapcap;
    uint32_t svcap;
} order_op;

static void order_close(kop *self)
{
    order_op *o = (order_op *)self;
    const kp *n = self->node;
    kop_close(o->in);
    for (int k = 0; k < n->nsort; k++) {
        kprog_free(&o->progs[k]);
        if (o->keys.vals)
            free(o->keys.vals[k]);
    }
    free(o->progs);
    free(o->keysrc);
    free(o->keys.vals);
    krowset_free(o->data);
    krowset_free(o->keyrows);
    free(o->perm);
    free(o->heap);
    sp_arena_free(&o->arena);
    sp_arena_free(&o->tmp);
    free(o);
}

static int emit_perm(order_op *o, kbatch **out);

static int order_next(kop *self, kbatch **out)
{
    order_op *o = (order_op *)self;
    if (!o->done) {
        o->done = true;
        if (o->consume(o) < 0)
            return -1;
    }
    return emit_perm(o, out);
}

static order_op *order_new(kexec *ex, const kp *node, int (*consume)(order_op *))
{
    order_op *o = kop_alloc(sizeof *o, ex, node, order_next, order_close);
    o->consume = consume;
    o->in = kop_build(ex, node->in);
    o->keys.node = node;
    o->progs = sp_xcalloc((size_t)(node->nsort ? node->nsort : 1), sizeof(kprog));
    o->keys.vals = sp_xcalloc((size_t)(node->nsort ? node->nsort : 1), sizeof(sval *));
    o->keysrc = sp_xcalloc((size_t)(node->nsort ? node->nsort : 1), sizeof(int));
    kp_schema ks = {0, NULL};
    ks.cols = sp_xcalloc((size_t)(node->nsort ? node->nsort : 1), sizeof(kp_col));
    for (int k = 0; k < node->nsort; k++) {
        const kx *e = node->sort[k].expr;
        kprog_compile(ex, e, false, &o->progs[k]);
        if (e->kind == KX_COL) {
            o->keysrc[k] = -1 - e->colidx;
            continue;
        }
        o->keysrc[k] = ks.ncols;
        ks.cols[ks.ncols].name = "key";
        ks.cols[ks.ncols++].type = e->type;
    }
    o->data = krowset_new(&node->in->out);
    o->keyrows = krowset_new(&ks);
    free(ks.cols);
    return o;
}

/* The materialized column holding key k. */
static const kvec *key_column(const order_op *o, int k)
{
    int src = o->keysrc[k];
    return src >= 0 ? o->keyrows->cols[src] : o->data->cols[-1 - src];
}

/* A batch of the expression keys' vectors, to append to keyrows. */
static kbatch expr_keys_batch(const order_op *o, const kbatch *b, kvec **vecs, kvec **buf)
{
    kbatch kb = *b;
    kb.ncols = 0;
    kb.cols = buf;
    for (int k = 0; k < o->base.node->nsort; k++)
        if (o->keysrc[k] >= 0)
            buf[kb.ncols++] = vecs[k];
    return kb;
}

/* Evaluates the keys of a batch into vecs[k]. */
static int eval_keys(order_op *o, kbatch *b, kvec **vecs)
{
    const kp *n = o->base.node;
    for (int k = 0; k < n->nsort; k++) {
        vecs[k] = kprog_eval(o->base.ex, &o->progs[k], b, &o->tmp);
        if (!vecs[k])
            return -1;
    }
    return 0;
}

/* Emits the next batch of data rows in perm order. */
static int emit_perm(order_op *o, kbatch **out)
{
    sp_arena_reset(&o->arena);
    if (o->emitted >= o->nperm)
        return 0;
    uint32_t cnt = SP_MIN((uint32_t)KB_BATCH, o->nperm - o->emitted);
    const uint32_t *idx = o->perm + o->emitted;
    kbatch *b = &o->batch;
    memset(b, 0, sizeof *b);
    b->n = cnt;
    b->ncols = o->data->schema.ncols;
    b->arena = &o->arena;
    b->cols = sp_arena_alloc(&o->arena, sizeof(kvec *) * (size_t)(b->ncols ? b->ncols : 1));
    for (int c = 0; c < b->ncols; c++)
        b->cols[c] = kvec_gather(&o->arena, o->data->cols[c], idx, cnt);
    o->emitted += cnt;
    *out = b;
    return 1;
}

/* Grows each key's sort-value array to hold rows. */
static void reserve_svals(order_op *o, uint32_t rows)
{
    if (rows <= o->svcap)
        return;
    uint32_t nc = o->svcap ? o->svcap : 64;
    while (nc < rows)
        nc *= 2;
    for (int k = 0; k < o->base.node->nsort; k++)
        o->keys.vals[k] = sp_xrealloc(o->keys.vals[k], sizeof(sval) * nc);
    o->svcap = nc;
}

/* ---- sort ---- */

static int sort_consume(order_op *o)
{
    const kp *n = o->base.node;
    kexec *ex = o->base.ex;
    kvec **vecs = sp_xcalloc((size_t)(2 * n->nsort + 1), sizeof(kvec *));
    kbatch *b;
    int r;
    while ((r = o->in->next(o->in, &b)) > 0) {
        sp_arena_reset(&o->tmp);
        if (eval_keys(o, b, vecs) < 0) {
            r = -1;
            break;
        }
        krowset_append_batch(o->data, b);
        kbatch kb = expr_keys_batch(o, b, vecs, vecs + n->nsort);
        krowset_append_batch(o->keyrows, &kb);
    }
    free(vecs);
    if (r < 0 || ex->failed)
        return -1;
    uint32_t rows = o->data->nrows;
    reserve_svals(o, rows);
    for (int k = 0; k < n->nsort; k++)
        for (uint32_t i = 0; i < rows; i++)
            sval_of(key_column(o, k), i, &o->keys.vals[k][i]);
    o->perm = sp_xmalloc(sizeof(uint32_t) * (rows ? rows : 1));
    for (uint32_t i = 0; i < rows; i++)
        o->perm[i] = i;
    o->nperm = rows;
    sort_perm(&o->keys, o->perm, rows);
    return 0;
}

kop *kop_sort(kexec *ex, const kp *node)
{
    return &order_new(ex, node, sort_consume)->base;
}

/* ---- top ---- */

/* Heap order: the root is the worst kept row (the one that sorts last). */
static bool worse(const order_op *o, uint32_t a, uint32_t b)
{
    return rows_cmp(&o->keys, a, b) > 0;
}

static void sift_down(order_op *o, uint32_t i)
{
    uint32_t *h = o->heap, n = o->nheap;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(o, h[l], h[m]))
            m = l;
        if (r < n && worse(o, h[r], h[m]))
            m = r;
        if (m == i)
            return;
        uint32_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void sift_up(order_op *o, uint32_t i)
{
    uint32_t *h = o->heap;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!worse(o, h[i], h[p]))
            return;
        uint32_t t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

/* Appends batch row `row` as a candidate; returns its index. */
static uint32_t add_candidate(order_op *o, const kbatch *b, kvec **vecs, uint32_t row, kval *buf)
{
    const kp *n = o->base.node;
    for (int c = 0; c < o->data->schema.ncols; c++)
        kvec_get(b->cols[c], row, &buf[c]);
    krowset_append_row(o->data, buf);
    int j = 0;
    for (int k = 0; k < n->nsort; k++)
        if (o->keysrc[k] >= 0)
            kvec_get(vecs[k], row, &buf[j++]);
    krowset_append_row(o->keyrows, buf);
    uint32_t id = o->data->nrows - 1;
    reserve_svals(o, id + 1);
    for (int k = 0; k < n->nsort; k++)
        sval_of(key_column(o, k), id, &o->keys.vals[k][id]);
    return id;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Rewrites the candidate store to hold only the heap's rows, in their original order
 * (so the index still breaks ties by arrival). */
static void compact(order_op *o)
{
    uint32_t *ids = sp_xmalloc(sizeof(uint32_t) * (o->nheap ? o->nheap : 1));
    memcpy(ids, o->heap, sizeof(uint32_t) * o->nheap);
    qsort(ids, o->nheap, sizeof(uint32_t), cmp_u32);
    uint32_t *remap = sp_xmalloc(sizeof(uint32_t) * (o->data->nrows ? o->data->nrows : 1));
    krowset *nd = krowset_new(&o->data->schema), *nk = krowset_new(&o->keyrows->schema);
    int width = SP_MAX(o->data->schema.ncols, o->keyrows->schema.ncols) + 1;
    kval *buf = sp_xmalloc(sizeof(kval) * (size_t)width);
    for (uint32_t i = 0; i < o->nheap; i++) {
        uint32_t r = ids[i];
        for (int c = 0; c < o->data->schema.ncols; c++)
            kvec_get(o->data->cols[c], r, &buf[c]);
        krowset_append_row(nd, buf);
        for (int k = 0; k < nk->schema.ncols; k++)
            kvec_get(o->keyrows->cols[k], r, &buf[k]);
        krowset_append_row(nk, buf);
        remap[r] = i;
    }
    krowset_free(o->data);
    krowset_free(o->keyrows);
    o->data = nd;
    o->keyrows = nk;
    for (int k = 0; k < o->base.node->nsort; k++)
        for (uint32_t i = 0; i < nd->nrows; i++)
            sval_of(key_column(o, k), i, &o->keys.vals[k][i]);
    for (uint32_t i = 0; i < o->nheap; i++)
        o->heap[i] = remap[o->heap[i]];
    free(ids);
    free(remap);
    free(buf);
}

/* Is batch row `row` (keys in vecs) strictly better than candidate c? */
static bool beats(order_op *o, kvec **vecs, uint32_t row, uint32_t c)
{
    const kp *n = o->base.node;
    for (int k = 0; k < n->nsort; k++) {
        sval s;
        sval_of(vecs[k], row, &s);
        int d = sval_cmp(&n->sort[k], n->sort[k].expr->type, &s, &o->keys.vals[k][c]);
        if (d)
            return d < 0;
    }
    return false; /* equal keys: the earlier row stays */
}

static int top_consume(order_op *o)
{
    const kp *n = o->base.node;
    kexec *ex = o->base.ex;
    int64_t limit = n->limit;
    kvec **vecs = sp_xcalloc((size_t)(n->nsort ? n->nsort : 1), sizeof(kvec *));
    kval *buf = sp_xmalloc(sizeof(kval) * (size_t)(SP_MAX(o->data->schema.ncols, n->nsort) + 1));
    kbatch *b;
    int r = 0;
    while (limit > 0 && (r = o->in->next(o->in, &b)) > 0) {
        sp_arena_reset(&o->tmp);
        if (eval_keys(o, b, vecs) < 0) {
            r = -1;
            break;
        }
        uint32_t rows = kbatch_rows(b);
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t row = kbatch_row(b, k);
            if ((int64_t)o->nheap < limit) {
                if (o->nheap == o->heapcap) {
                    o->heapcap = o->heapcap ? o->heapcap * 2 : 64;
                    o->heap = sp_xrealloc(o->heap, sizeof(uint32_t) * o->heapcap);
                }
                o->heap[o->nheap++] = add_candidate(o, b, vecs, row, buf);
                sift_up(o, o->nheap - 1);
                continue;
            }
            if (!beats(o, vecs, row, o->heap[0]))
                continue;
            o->heap[0] = add_candidate(o, b, vecs, row, buf);
            sift_down(o, 0);
            if (o->data->nrows >= 2 * o->nheap + 1024)
                compact(o);
        }
    }
    free(vecs);
    free(buf);
    if (r < 0 || ex->failed)
        return -1;
    o->perm = sp_xmalloc(sizeof(uint32_t) * (o->nheap ? o->nheap : 1));
    memcpy(o->perm, o->heap, sizeof(uint32_t) * o->nheap);
    o->nperm = o->nheap;
    sort_perm(&o->keys, o->perm, o->nperm);
    return 0;
}

kop *kop_top(kexec *ex, const kp *node)
{
    return &order_new(ex, node, top_consume)->base;
}
