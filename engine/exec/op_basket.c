/* op_basket.c — evaluate basket(): the frequent patterns of the input's columns (basket
 * plugin docs), found exactly with Apriori.
 *
 * An item is (column, value): every input column except the weight column and dynamic
 * columns, every value except null and, when the string wildcard is "" (the default), the
 * empty string, which could not be told from "any". A pattern is a set of items of
 * distinct columns; its weight is the summed weight of the rows that have all its items.
 * Patterns of at most node->basket_maxdims items weighing at least threshold * (total
 * weight) are frequent. Apriori grows them a level at a time: the candidates of level
 * k + 1 join two frequent k-patterns that share their first k - 1 items, and are kept only
 * if every k-subset is frequent; each row then adds its weight to the candidates it
 * contains (found by enumerating the row's item combinations, or by testing each
 * candidate when the row has too many combinations).
 *
 * Output: one row per closed frequent pattern — a pattern is left out when a pattern with
 * one more item has the same weight, which is how Kusto's documented example reads
 * (Damage == "NO" implies DamageCrops == 0, and only the pair is listed). Kusto samples
 * the data to pick initial values and documents that results may differ near the
 * threshold; socpipe counts exactly. Kusto does not define the row order; socpipe orders by
 * Count descending, then fewer items first, then first appearance, and numbers SegmentId
 * from 0 in that order. Count is the weight (rounded to a whole number), Percent its share
 * of the total weight in percent.
 */
#include "engine/exec/exec_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BASKET_MAX_PATTERNS 1000000 /* frequent patterns before the query fails */
#define BASKET_MAX_ROW_COMBOS 4096  /* item combinations of one row before testing candidates */
#define BASKET_MAX_CELLS 50000000   /* rows x columns of the input (two id tables of that size) */

typedef struct bitem {
    int col;
    uint32_t first_row; /* first row with this item (output order) */
    double weight;
    kval value;         /* points into the input rowset */
} bitem;

/* A level of patterns: npat patterns of k item ids each (ascending column order). */
typedef struct blevel {
    int k;
    uint32_t npat;
    uint32_t *items; /* npat * k */
    double *weight;
    khash index;     /* pattern tuple (k longs) -> id */
} blevel;

typedef struct basket_op {
    kop base;
    krowset *in, *out;
    kop *reader;
    bool done;
} basket_op;

static void level_init(blevel *l, int k)
{
    memset(l, 0, sizeof *l);
    l->k = k;
    khash_init(&l->index, k);
}

static void level_free(blevel *l)
{
    free(l->items);
    free(l->weight);
    khash_free(&l->index);
}

static void tuple_of(const uint32_t *items, int k, kval *out)
{
    for (int i = 0; i < k; i++)
        out[i] = (kval){.type = SP_TYPE_LONG, .u.l = items[i]};
}

/* Adds a pattern (weight 0) to a level; returns its id. */
static uint32_t level_add(blevel *l, const uint32_t *items, uint32_t *cap)
{
    kval key[64];
    tuple_of(items, l->k, key);
    bool added;
    uint32_t id = khash_insert(&l->index, key, khash_of(key, l->k), &added);
    if (!added)
        return id;
    if (id >= *cap) {
        *cap = *cap ? *cap * 2 : 256;
        l->items = sp_xrealloc(l->items, sizeof(uint32_t) * (size_t)*cap * (size_t)l->k);
        l->weight = sp_xrealloc(l->weight, sizeof(double) * *cap);
    }
    memcpy(l->items + (size_t)id * (size_t)l->k, items, sizeof(uint32_t) * (size_t)l->k);
    l->weight[id] = 0;
    l->npat = id + 1;
    return id;
}

static uint32_t level_find(const blevel *l, const uint32_t *items)
{
    kval key[64];
    tuple_of(items, l->k, key);
    return khash_find(&l->index, key, khash_of(key, l->k));
}

/* The rows' frequent items, as one array with per-row offsets. */
typedef struct browitems {
    uint32_t *off; /* nrows + 1 */
    uint32_t *ids;
} browitems;

/* Adds row weight w to every candidate of l contained in the row's items r[0..m). */
static void count_row(blevel *l, const bitem *items, const uint32_t *r, uint32_t m, double w)
{
    int k = l->k;
    if ((uint32_t)k > m)
        return;
    /* combinations of m choose k, unless there are too many: then test each candidate */
    double combos = 1;
    for (int i = 0; i < k; i++)
        combos = combos * (double)(m - (uint32_t)i) / (double)(i + 1);
    if (combos > BASKET_MAX_ROW_COMBOS) {
        for (uint32_t p = 0; p < l->npat; p++) {
            const uint32_t *pat = l->items + (size_t)p * (size_t)k;
            uint32_t j = 0;
            int hit = 0;
            for (int i = 0; i < k; i++) {
                while (j < m && items[r[j]].col < items[pat[i]].col)
                    j++;
                if (j < m && r[j] == pat[i])
                    hit++;
            }
            if (hit == k)
                l->weight[p] += w;
        }
        return;
    }
    int idx[64];
    uint32_t pat[64];
    for (int i = 0; i < k; i++)
        idx[i] = i;
    for (;;) {
        for (int i = 0; i < k; i++)
            pat[i] = r[idx[i]];
        uint32_t id = level_find(l, pat);
        if (id != KHASH_NONE)
            l->weight[id] += w;
        int i = k - 1;
        while (i >= 0 && idx[i] == (int)m - k + i)
            i--;
        if (i < 0)
            break;
        idx[i]++;
        for (int j = i + 1; j < k; j++)
            idx[j] = idx[j - 1] + 1;
    }
}

/* Candidates of level k + 1 from the frequent patterns of level k (k >= 1): pairs of
 * patterns with the same first k - 1 items (grouped through a hash of that prefix). */
static void candidates(const blevel *prev, const bitem *items, blevel *next)
{
    int k = prev->k;
    uint32_t cap = 0;
    uint32_t pat[64], sub[64];
    khash groups;
    khash_init(&groups, k > 1 ? k - 1 : 1);
    uint32_t *group = sp_xmalloc(sizeof(uint32_t) * (prev->npat + 1));
    uint32_t *ghead = sp_xmalloc(sizeof(uint32_t) * (prev->npat + 1));
    uint32_t *gnext = sp_xmalloc(sizeof(uint32_t) * (prev->npat + 1));
    uint32_t *gtail = sp_xmalloc(sizeof(uint32_t) * (prev->npat + 1));
    for (uint32_t a = 0; a < prev->npat; a++) {
        kval key[64];
        if (k > 1)
            tuple_of(prev->items + (size_t)a * (size_t)k, k - 1, key);
        else
            key[0] = (kval){.type = SP_TYPE_LONG, .u.l = 0};
        bool added;
        uint32_t g = khash_insert(&groups, key, khash_of(key, k > 1 ? k - 1 : 1), &added);
        group[a] = g;
        gnext[a] = KHASH_NONE;
        if (added)
            ghead[g] = a;
        else
            gnext[gtail[g]] = a;
        gtail[g] = a;
    }
    for (uint32_t a = 0; a < prev->npat; a++) {
        const uint32_t *pa = prev->items + (size_t)a * (size_t)k;
        for (uint32_t b = ghead[group[a]]; b != KHASH_NONE; b = gnext[b]) {
            const uint32_t *pb = prev->items + (size_t)b * (size_t)k;
            if (items[pa[k - 1]].col >= items[pb[k - 1]].col)
                continue;
            memcpy(pat, pa, sizeof(uint32_t) * (size_t)k);
            pat[k] = pb[k - 1];
            bool ok = true; /* every k-subset must be frequent */
            for (int drop = 0; drop < k - 1 && ok; drop++) {
                int n = 0;
                for (int i = 0; i <= k; i++)
                    if (i != drop)
                        sub[n++] = pat[i];
                ok = level_find(prev, sub) != KHASH_NONE;
            }
            if (ok)
                level_add(next, pat, &cap);
        }
    }
    khash_free(&groups);
    free(group);
    free(ghead);
    free(gnext);
    free(gtail);
}

/* Keeps the patterns of l that weigh at least minw, renumbered. */
static void level_keep(blevel *l, double minw)
{
    blevel kept;
    level_init(&kept, l->k);
    uint32_t cap = 0;
    for (uint32_t p = 0; p < l->npat; p++)
        if (l->weight[p] >= minw) {
            uint32_t id = level_add(&kept, l->items + (size_t)p * (size_t)l->k, &cap);
            kept.weight[id] = l->weight[p];
        }
    level_free(l);
    *l = kept;
}

typedef struct bout {
    int level;
    uint32_t pat;
    double weight;
    uint32_t first; /* min first_row of its items */
} bout;

static int cmp_out(const void *x, const void *y)
{
    const bout *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return a->pat < b->pat ? -1 : a->pat > b->pat;
}

static int basket_run(basket_op *o)
{
    kexec *ex = o->base.ex;
    const kp *n = o->base.node;
    const kp_schema *is = &n->in->out;
    kop *src = kop_build(ex, n->in);
    o->in = krowset_drain(ex, src, is);
    kop_close(src);
    if (!o->in)
        return -1;
    krowset *rs = o->in;
    uint32_t rows = rs->nrows;
    int ncols = is->ncols;
    if ((uint64_t)rows * (uint64_t)(ncols ? ncols : 1) > BASKET_MAX_CELLS)
        return kexec_fail(ex, n->line, n->col, "basket(): %u rows of %d columns is more than it analyses (%d cells); "
                          "project the columns to analyse first", rows, ncols, BASKET_MAX_CELLS);
    /* weights */
    double *w = sp_xmalloc(sizeof(double) * (rows ? rows : 1)), total = 0;
    for (uint32_t r = 0; r < rows; r++) {
        w[r] = 1;
        if (n->basket_weight >= 0) {
            kval v;
            kvec_get(rs->cols[n->basket_weight], r, &v);
            w[r] = v.null ? 0 : v.type == SP_TYPE_REAL ? v.u.r : (double)v.u.l;
            if (!(w[r] > 0))
                w[r] = 0;
        }
        total += w[r];
    }
    double minw = n->basket_threshold * total;
    /* items: per column, distinct values with their weights */
    bitem *items = NULL;
    uint32_t nitems = 0, icap = 0;
    uint32_t *rowitem = sp_xmalloc(sizeof(uint32_t) * (size_t)(rows ? rows : 1) * (size_t)(ncols ? ncols : 1));
    for (int c = 0; c < ncols; c++) {
        sp_type t = is->cols[c].type;
        bool dim = c != n->basket_weight && t != SP_TYPE_DYNAMIC;
        khash vals;
        khash_init(&vals, 1);
        uint32_t base = nitems;
        for (uint32_t r = 0; r < rows; r++) {
            rowitem[(size_t)r * (size_t)ncols + (size_t)c] = KHASH_NONE;
            if (!dim)
                continue;
            kval v;
            kvec_get(rs->cols[c], r, &v);
            bool str_wild = n->basket_wildcard[c].type == SP_TYPE_STRING && !n->basket_wildcard[c].null &&
                            n->basket_wildcard[c].u.s.n == 0;
            if (v.null || (t == SP_TYPE_STRING && v.u.s.n == 0 && str_wild))
                continue;
            bool added;
            uint32_t id = base + khash_insert(&vals, &v, khash_of(&v, 1), &added);
            if (added) {
                if (nitems == icap) {
                    icap = icap ? icap * 2 : 256;
                    items = sp_xrealloc(items, sizeof(bitem) * icap);
                }
                items[nitems++] = (bitem){.col = c, .first_row = r, .weight = 0, .value = v};
            }
            items[id].weight += w[r];
            rowitem[(size_t)r * (size_t)ncols + (size_t)c] = id;
        }
        khash_free(&vals);
    }
    /* each row's frequent items, in column order */
    browitems ri;
    ri.off = sp_xmalloc(sizeof(uint32_t) * (rows + 1));
    ri.ids = sp_xmalloc(sizeof(uint32_t) * (size_t)(rows ? rows : 1) * (size_t)(ncols ? ncols : 1));
    uint32_t nri = 0;
    for (uint32_t r = 0; r < rows; r++) {
        ri.off[r] = nri;
        for (int c = 0; c < ncols; c++) {
            uint32_t id = rowitem[(size_t)r * (size_t)ncols + (size_t)c];
            if (id != KHASH_NONE && items[id].weight >= minw && items[id].weight > 0)
                ri.ids[nri++] = id;
        }
    }
    ri.off[rows] = nri;
    free(rowitem);
    /* levels */
    int maxk = n->basket_maxdims < 1 ? 1 : n->basket_maxdims > 63 ? 63 : n->basket_maxdims;
    blevel *levels = sp_xcalloc((size_t)maxk + 1, sizeof(blevel));
    int nlevels = 0;
    uint64_t npatterns = 0;
    int rc = 0;
    level_init(&levels[0], 1);
    uint32_t cap1 = 0;
    for (uint32_t i = 0; i < nitems; i++)
        if (items[i].weight >= minw && items[i].weight > 0) {
            uint32_t id = level_add(&levels[0], &i, &cap1);
            levels[0].weight[id] = items[i].weight;
        }
    nlevels = 1;
    npatterns = levels[0].npat;
    while (nlevels < maxk && levels[nlevels - 1].npat > 1) {
        blevel *next = &levels[nlevels];
        level_init(next, nlevels + 1);
        candidates(&levels[nlevels - 1], items, next);
        if (next->npat == 0) {
            level_free(next);
            break;
        }
        for (uint32_t r = 0; r < rows; r++)
            if (w[r] > 0)
                count_row(next, items, ri.ids + ri.off[r], ri.off[r + 1] - ri.off[r], w[r]);
        level_keep(next, minw);
        nlevels++;
        npatterns += next->npat;
        if (npatterns > BASKET_MAX_PATTERNS) {
            rc = kexec_fail(ex, n->line, n->col, "basket(): more than %d frequent patterns; raise the threshold",
                            BASKET_MAX_PATTERNS);
            break;
        }
        if (next->npat == 0)
            break;
    }
    /* closed patterns, ordered */
    bout *outs = NULL;
    uint32_t nout = 0;
    if (rc == 0) {
        outs = sp_xmalloc(sizeof(bout) * (size_t)(npatterns ? npatterns : 1));
        for (int lv = 0; lv < nlevels; lv++) {
            blevel *l = &levels[lv];
            bool *open = sp_xcalloc(l->npat + 1, 1); /* a superset has the same weight */
            if (lv + 1 < nlevels) {
                const blevel *up = &levels[lv + 1];
                uint32_t sub[64];
                for (uint32_t p = 0; p < up->npat; p++) {
                    const uint32_t *pat = up->items + (size_t)p * (size_t)up->k;
                    for (int drop = 0; drop < up->k; drop++) {
                        int m = 0;
                        for (int i = 0; i < up->k; i++)
                            if (i != drop)
                                sub[m++] = pat[i];
                        uint32_t id = level_find(l, sub);
                        if (id != KHASH_NONE && l->weight[id] == up->weight[p])
                            open[id] = true;
                    }
                }
            }
            for (uint32_t p = 0; p < l->npat; p++) {
                if (open[p])
                    continue;
                uint32_t first = UINT32_MAX;
                for (int i = 0; i < l->k; i++)
                    first = SP_MIN(first, items[l->items[(size_t)p * (size_t)l->k + (size_t)i]].first_row);
                outs[nout++] = (bout){lv, p, l->weight[p], first};
            }
            free(open);
        }
        qsort(outs, nout, sizeof(bout), cmp_out);
        o->out = krowset_new(&n->out);
        kval *row = sp_xmalloc(sizeof(kval) * (size_t)n->out.ncols);
        for (uint32_t i = 0; i < nout; i++) {
            row[0] = (kval){.type = SP_TYPE_LONG, .u.l = i};
            row[1] = (kval){.type = SP_TYPE_LONG, .u.l = (int64_t)llround(outs[i].weight)};
            row[2] = (kval){.type = SP_TYPE_REAL, .u.r = total > 0 ? 100.0 * outs[i].weight / total : 0};
            for (int c = 0; c < ncols; c++)
                row[3 + c] = n->basket_wildcard[c];
            const blevel *l = &levels[outs[i].level];
            for (int k = 0; k < l->k; k++) {
                const bitem *it = &items[l->items[(size_t)outs[i].pat * (size_t)l->k + (size_t)k]];
                row[3 + it->col] = it->value;
            }
            krowset_append_row(o->out, row);
        }
        free(row);
    }
    for (int lv = 0; lv < nlevels; lv++)
        level_free(&levels[lv]);
    free(levels);
    free(outs);
    free(items);
    free(ri.off);
    free(ri.ids);
    free(w);
    return rc;
}

static int basket_next(kop *self, kbatch **out)
{
    basket_op *o = (basket_op *)self;
    if (!o->done) {
        o->done = true;
        if (basket_run(o) != 0)
            return -1;
        o->reader = kop_rowset(self->ex, self->node, o->out);
    }
    return o->reader ? o->reader->next(o->reader, out) : 0;
}

static void basket_close(kop *self)
{
    basket_op *o = (basket_op *)self;
    if (o->reader)
        kop_close(o->reader);
    krowset_free(o->out);
    krowset_free(o->in);
    free(o);
}

kop *kop_basket(kexec *ex, const kp *node)
{
    basket_op *o = kop_alloc(sizeof *o, ex, node, basket_next, basket_close);
    return &o->base;
}
