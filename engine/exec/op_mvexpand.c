/* op_mvexpand.c — mv-expand, mv-apply and mv-apply's row-items leaf.
 *
 * Expansion (mv-expand operator docs): each expanded value yields its elements — an
 * array its elements (only the top level), a property bag one element per member, as a
 * single-member bag {"key":value} (bagexpansion=bag, the default) or a [key, value] array
 * (bagexpansion=array); any other value, null included, is a single element, itself. An
 * empty array or bag yields no element, so a row whose expansions are all empty produces
 * no row. Several expansions run in parallel (zipped): row i takes element i of each,
 * null where an expansion is shorter. `to typeof(T)` converts each element, elements that
 * do not conform becoming null; with_itemindex numbers the rows of each input row from 0;
 * a row limit caps them (the binder sets 128 for legacy mvexpand, 0 = none).
 *
 * Output layout (the binder's `out`): the input columns, an expanded column replaced in
 * place; expressions expanded into new named columns appended in order; then the item
 * index. Elements are substrings of the input's JSON, so mv-expand streams: it keeps the
 * current input batch alive until every row it spawned has been emitted, repeats the
 * other columns by gathering row indices (dictionary encoding survives), and builds only
 * the expanded columns.
 *
 * mv-apply (mv-apply operator docs) expands one input row at a time into a small items
 * table — the expanded columns in order, then the item index — and runs the subplan over
 * it: the subplan's KP_ROWITEMS leaf serves that table through kexec.rowitems. The output
 * is the input row's columns that were not expanded in place, repeated as constants,
 * followed by each row of the subplan's result. The subplan is rebuilt for every input
 * row, which keeps every operator's state (take, top, summarize) per row without a reset
 * protocol; its cost is one operator-tree construction per input row.
 */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- expanding one row ---- */

enum { X_ARRAY, X_BAG, X_ONE };

typedef struct xcur {
    int mode;
    kstr v; /* the value (compact JSON; length 0 = null) */
    kj_iter it;
    bool done; /* X_ONE: the element was produced */
} xcur;

typedef struct expander {
    const kp *node;
    kprog *progs; /* per expansion given as an expression */
    kvec **vals;  /* per expansion: the current batch's vector */
    xcur *cur;
} expander;

static void expander_init(kexec *ex, expander *x, const kp *node)
{
    int ne = node->nexpand ? node->nexpand : 1;
    x->node = node;
    x->progs = sp_xcalloc((size_t)ne, sizeof(kprog));
    x->vals = sp_xcalloc((size_t)ne, sizeof(kvec *));
    x->cur = sp_xcalloc((size_t)ne, sizeof(xcur));
    for (int k = 0; k < node->nexpand; k++)
        if (node->expand[k].expr)
            kprog_compile(ex, node->expand[k].expr, false, &x->progs[k]);
}

static void expander_free(expander *x)
{
    for (int k = 0; k < x->node->nexpand; k++)
        kprog_free(&x->progs[k]);
    free(x->progs);
    free(x->vals);
    free(x->cur);
}

static int expander_eval(kexec *ex, expander *x, kbatch *b, sp_arena *a)
{
    for (int k = 0; k < x->node->nexpand; k++) {
        const kp_expand *e = &x->node->expand[k];
        if (!e->expr) {
            x->vals[k] = b->cols[e->colidx];
            continue;
        }
        if (!(x->vals[k] = kprog_eval(ex, &x->progs[k], b, a)))
            return -1;
    }
    return 0;
}

/* Positions the cursors on input row `row`; returns the number of rows it expands to.
 * Converted values live in arena, which must outlive the row's items. */
static uint32_t expander_row(expander *x, uint32_t row, sp_arena *a)
{
    uint32_t rows = 0;
    for (int k = 0; k < x->node->nexpand; k++) {
        xcur *c = &x->cur[k];
        kval v;
        kvec_get(x->vals[k], row, &v);
        if (v.null)
            v.u.s = (kstr){"", 0};
        else if (v.type != SP_TYPE_DYNAMIC)
            v.u.s = kj_from_scalar(&v, a);
        c->v = v.u.s;
        c->done = false;
        uint32_t count = 1;
        switch (kj_typeof(c->v)) {
        case KJ_ARRAY:
            c->mode = X_ARRAY;
            count = kj_arr_len(c->v);
            kj_arr_begin(c->v, &c->it);
            break;
        case KJ_OBJECT: {
            kstr key, val;
            c->mode = X_BAG;
            count = 0;
            kj_obj_begin(c->v, &c->it);
            while (kj_obj_next(&c->it, &key, &val))
                count++;
            kj_obj_begin(c->v, &c->it);
            break;
        }
        default: c->mode = X_ONE; break;
        }
        rows = SP_MAX(rows, count);
    }
    if (x->node->expand_limit > 0 && (int64_t)rows > x->node->expand_limit)
        rows = (uint32_t)x->node->expand_limit;
    return rows;
}

/* The next element of expansion k as a value of its `to` type (null when exhausted).
 * Bag elements are built in arena. */
static void expander_item(expander *x, int k, sp_arena *a, kval *out)
{
    xcur *c = &x->cur[k];
    sp_type to = x->node->expand[k].to_type;
    if (to == SP_TYPE_NULL)
        to = SP_TYPE_DYNAMIC;
    kstr elem = {"", 0};
    bool have = false;
    switch (c->mode) {
    case X_ARRAY: have = kj_arr_next(&c->it, &elem); break;
    case X_BAG: {
        kstr key, val;
        if (!kj_obj_next(&c->it, &key, &val))
            break;
        bool bag = x->node->bagexp == KP_BAGEXP_BAG;
        size_t n = (size_t)key.n + val.n + 3;
        char *p = sp_arena_alloc(a, n);
        p[0] = bag ? '{' : '[';
        memcpy(p + 1, key.p, key.n);
        p[1 + key.n] = bag ? ':' : ',';
        memcpy(p + 2 + key.n, val.p, val.n);
        p[n - 1] = bag ? '}' : ']';
        elem = (kstr){p, (uint32_t)n};
        have = true;
        break;
    }
    default:
        have = !c->done;
        c->done = true;
        elem = c->v;
        break;
    }
    if (!have) {
        *out = kval_null(to);
        return;
    }
    kj_to_scalar(elem, to, a, out);
}

/* ---- mv-expand ---- */

typedef struct mvx_op {
    kop base;
    kop *in;
    expander x;
    int *outcol;  /* per expansion: its output column */
    int idxcol;   /* the item index column, or -1 */
    kbatch *inb;
    uint32_t inpos, row, item, nitems;
    bool in_row, in_done;
    uint32_t *src;
    sp_arena arena, inarena;
    kbatch batch;
} mvx_op;

/* Pulls the next input batch into *inb and evaluates its expansions. */
static int pull_input(kop *self, kop *in, expander *x, kbatch **inb, uint32_t *inpos, sp_arena *inarena)
{
    sp_arena_reset(inarena);
    int r = kop_pull(in, inb);
    if (r <= 0) {
        *inb = NULL;
        return r;
    }
    *inpos = 0;
    return expander_eval(self->ex, x, *inb, inarena) < 0 ? -1 : 1;
}

static int mvx_next(kop *self, kbatch **out)
{
    mvx_op *m = (mvx_op *)self;
    const kp *n = self->node;
    int ncol = n->out.ncols;
    sp_arena_reset(&m->arena);
    kvec **built = sp_arena_calloc(&m->arena, sizeof(kvec *) * (size_t)(ncol ? ncol : 1));
    for (int k = 0; k < n->nexpand; k++)
        built[m->outcol[k]] = kvec_new_flat(&m->arena, n->out.cols[m->outcol[k]].type, KB_BATCH);
    if (m->idxcol >= 0)
        built[m->idxcol] = kvec_new_flat(&m->arena, SP_TYPE_LONG, KB_BATCH);
    uint32_t cnt = 0;
    while (cnt < KB_BATCH) {
        if (!m->in_row) {
            if (m->in_done)
                break;
            if (!m->inb || m->inpos >= kbatch_rows(m->inb)) {
                if (cnt > 0)
                    break; /* emit before the input batch these rows point into dies */
                int r = pull_input(self, m->in, &m->x, &m->inb, &m->inpos, &m->inarena);
                if (r < 0 || self->ex->failed)
                    return -1;
                if (r == 0) {
                    m->in_done = true;
                    break;
                }
            }
            m->row = kbatch_row(m->inb, m->inpos++);
            m->nitems = expander_row(&m->x, m->row, &m->inarena);
            m->item = 0;
            m->in_row = m->nitems > 0;
            continue;
        }
        kval v;
        for (int k = 0; k < n->nexpand; k++) {
            expander_item(&m->x, k, &m->arena, &v);
            kvec_set(built[m->outcol[k]], cnt, &v);
        }
        if (m->idxcol >= 0)
            built[m->idxcol]->d.l[cnt] = m->item;
        m->src[cnt++] = m->row;
        if (++m->item >= m->nitems)
            m->in_row = false;
    }
    if (cnt == 0)
        return 0;
    kbatch *b = &m->batch;
    memset(b, 0, sizeof *b);
    b->n = cnt;
    b->ncols = ncol;
    b->arena = &m->arena;
    b->cols = built;
    for (int c = 0; c < ncol; c++) {
        if (built[c])
            built[c]->n = cnt;
        else
            built[c] = kvec_gather(&m->arena, m->inb->cols[c], m->src, cnt);
    }
    *out = b;
    return 1;
}

static void mvx_close(kop *self)
{
    mvx_op *m = (mvx_op *)self;
    kop_close(m->in);
    expander_free(&m->x);
    free(m->outcol);
    free(m->src);
    sp_arena_free(&m->arena);
    sp_arena_free(&m->inarena);
    free(m);
}

/* Checks the binder's layout: the input columns, appended expansions, the index. */
static int expand_layout(kexec *ex, const kp *node, int base_cols, int *outcol, int *idxcol)
{
    int next = base_cols;
    for (int k = 0; k < node->nexpand; k++)
        outcol[k] = node->expand[k].expr ? next++ : node->expand[k].colidx;
    *idxcol = node->itemindex ? next++ : -1;
    if (next != node->out.ncols)
        return kexec_fail(ex, node->line, node->col, "internal: mv-expand output has %d columns, expected %d",
                          node->out.ncols, next);
    return 0;
}

kop *kop_mvexpand(kexec *ex, const kp *node)
{
    mvx_op *m = kop_alloc(sizeof *m, ex, node, mvx_next, mvx_close);
    m->in = kop_build(ex, node->in);
    expander_init(ex, &m->x, node);
    m->outcol = sp_xcalloc((size_t)(node->nexpand ? node->nexpand : 1), sizeof(int));
    m->src = sp_xmalloc(sizeof(uint32_t) * KB_BATCH);
    expand_layout(ex, node, node->in->out.ncols, m->outcol, &m->idxcol);
    return &m->base;
}

/* ---- mv-apply ---- */

typedef struct mva_op {
    kop base;
    kop *in;
    expander x;
    krowitems **leaves; /* this operator's entries in ex->rowitems, one per leaf */
    int nleaves;
    int *kept, nkept;  /* input columns repeated into the output */
    int *itemsrc;      /* per items column: expansion k, ITEM_INDEX, or ITEM_ROW - input column */
    int nitemcols;
    kop *sub;          /* the subplan over the current row's items */
    kbatch *inb;
    uint32_t inpos, row;
    sp_arena arena, inarena, rowarena;
    kbatch batch;
} mva_op;

static void find_leaves(mva_op *m, const kp *n)
{
    if (!n)
        return;
    if (n->kind == KP_ROWITEMS) {
        krowitems *e = sp_xcalloc(1, sizeof *e);
        e->leaf = n;
        e->next = m->base.ex->rowitems;
        m->base.ex->rowitems = e;
        m->leaves = sp_xrealloc(m->leaves, sizeof(krowitems *) * (size_t)(m->nleaves + 1));
        m->leaves[m->nleaves++] = e;
    }
    find_leaves(m, n->in);
    for (int i = 0; i < n->ninputs; i++)
        find_leaves(m, n->inputs[i]);
    /* a nested mv-apply's own subplan has its own leaves */
}

static void unlink_entry(kexec *ex, krowitems *e)
{
    krowitems **pp = &ex->rowitems;
    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
}

/* Where an items column comes from (itemsrc): expansion k >= 0, the item index, or
 * ITEM_ROW - c for input column c repeated. */
#define ITEM_INDEX (-1)
#define ITEM_ROW (-2)

static int input_col(const kp *node, const char *name)
{
    return kp_schema_find(&node->in->out, name, strlen(name));
}

/* Resolves the layout by name, which serves both plan shapes: items holding only the
 * expansions (and the index), or the whole expanded row. The output starts with input
 * columns (those the subquery does not produce) and ends with the subquery's columns. */
static void mva_layout(mva_op *m)
{
    kexec *ex = m->base.ex;
    const kp *node = m->base.node;
    int nsub = node->apply->out.ncols;
    m->nkept = node->out.ncols - nsub;
    m->kept = sp_xcalloc((size_t)(m->nkept > 0 ? m->nkept : 1), sizeof(int));
    for (int i = 0; i < m->nkept; i++)
        if ((m->kept[i] = input_col(node, node->out.cols[i].name)) < 0) {
            kexec_fail(ex, node->line, node->col, "internal: mv-apply output column '%s' is not an input column",
                       node->out.cols[i].name);
            return;
        }
    if (!m->nleaves)
        return;
    const kp_schema *items = &m->leaves[0]->leaf->out;
    m->nitemcols = items->ncols;
    m->itemsrc = sp_xcalloc((size_t)(items->ncols + 1), sizeof(int));
    for (int c = 0; c < items->ncols; c++) {
        const char *name = items->cols[c].name;
        int ic = input_col(node, name);
        bool found = ic >= 0;
        int src = ITEM_ROW - ic;
        for (int k = 0; k < node->nexpand; k++) {
            const kp_expand *e = &node->expand[k];
            const char *en = e->expr ? e->name : node->in->out.cols[e->colidx].name;
            if (en && !strcmp(en, name))
                src = k, found = true;
        }
        if (node->itemindex && !strcmp(node->itemindex, name))
            src = ITEM_INDEX, found = true;
        if (!found) {
            kexec_fail(ex, node->line, node->col, "internal: mv-apply items column '%s' has no source", name);
            return;
        }
        m->itemsrc[c] = src;
    }
    for (int i = 1; i < m->nleaves; i++)
        if (m->leaves[i]->leaf->out.ncols != items->ncols)
            kexec_fail(ex, node->line, node->col, "internal: mv-apply items leaves differ");
}

/* Builds the items table of the current row and starts a subplan over it. */
static int start_row(mva_op *m)
{
    kexec *ex = m->base.ex;
    const kp *n = m->base.node;
    sp_arena_reset(&m->rowarena);
    uint32_t rows = expander_row(&m->x, m->row, &m->rowarena);
    kvec **exp = sp_arena_calloc(&m->rowarena, sizeof(kvec *) * (size_t)(n->nexpand + 1));
    for (int k = 0; k < n->nexpand; k++) {
        sp_type t = n->expand[k].to_type == SP_TYPE_NULL ? SP_TYPE_DYNAMIC : n->expand[k].to_type;
        exp[k] = kvec_new_flat(&m->rowarena, t, rows);
    }
    kval v;
    for (uint32_t i = 0; i < rows; i++)
        for (int k = 0; k < n->nexpand; k++) {
            expander_item(&m->x, k, &m->rowarena, &v);
            kvec_set(exp[k], i, &v);
        }
    kvec **cols = sp_arena_alloc(&m->rowarena, sizeof(kvec *) * (size_t)(m->nitemcols + 1));
    for (int c = 0; c < m->nitemcols; c++) {
        int src = m->itemsrc[c];
        if (src >= 0) {
            cols[c] = exp[src];
        } else if (src == ITEM_INDEX) {
            cols[c] = kvec_new_flat(&m->rowarena, SP_TYPE_LONG, rows);
            for (uint32_t i = 0; i < rows; i++)
                cols[c]->d.l[i] = i;
        } else { /* the input row's value, repeated (it lives as long as the input batch) */
            const kvec *in = m->inb->cols[ITEM_ROW - src];
            if (in)
                kvec_get(in, m->row, &v);
            else
                v = kval_null(m->leaves[0]->leaf->out.cols[c].type);
            cols[c] = kvec_new_const(&m->rowarena, &v, rows);
        }
    }
    for (int i = 0; i < m->nleaves; i++) {
        m->leaves[i]->n = rows;
        m->leaves[i]->cols = cols;
        /* move the entry to the front: the subplan's leaf binds to the first entry for
         * its node, and another instance of this node (a let reused twice) may be alive */
        unlink_entry(ex, m->leaves[i]);
        m->leaves[i]->next = ex->rowitems;
        ex->rowitems = m->leaves[i];
    }
    m->sub = kop_build(ex, n->apply);
    return ex->failed ? -1 : 0;
}

static int mva_next(kop *self, kbatch **out)
{
    mva_op *m = (mva_op *)self;
    const kp *n = self->node;
    sp_arena_reset(&m->arena);
    for (;;) {
        if (m->sub) {
            kbatch *sb;
            int r = m->sub->next(m->sub, &sb);
            if (r < 0)
                return -1;
            if (r > 0) {
                if (kbatch_rows(sb) == 0)
                    continue;
                kbatch *b = &m->batch;
                *b = *sb;
                b->ncols = n->out.ncols;
                b->arena = &m->arena;
                b->cols = sp_arena_alloc(&m->arena, sizeof(kvec *) * (size_t)(n->out.ncols ? n->out.ncols : 1));
                kval v;
                for (int j = 0; j < m->nkept; j++) {
                    const kvec *src = m->inb->cols[m->kept[j]];
                    if (!src) { /* pruned upstream */
                        b->cols[j] = NULL;
                        continue;
                    }
                    kvec_get(src, m->row, &v);
                    b->cols[j] = kvec_new_const(&m->arena, &v, sb->n);
                }
                for (int c = 0; c < sb->ncols && m->nkept + c < n->out.ncols; c++)
                    b->cols[m->nkept + c] = sb->cols[c];
                *out = b;
                return 1;
            }
            kop_close(m->sub);
            m->sub = NULL;
        }
        if (!m->inb || m->inpos >= kbatch_rows(m->inb)) {
            int r = pull_input(self, m->in, &m->x, &m->inb, &m->inpos, &m->inarena);
            if (r <= 0)
                return r;
        }
        m->row = kbatch_row(m->inb, m->inpos++);
        if (start_row(m) < 0)
            return -1;
    }
}

static void mva_close(kop *self)
{
    mva_op *m = (mva_op *)self;
    kexec *ex = self->ex;
    kop_close(m->sub);
    kop_close(m->in);
    for (int i = 0; i < m->nleaves; i++) { /* unregister this operator's leaves */
        unlink_entry(ex, m->leaves[i]);
        free(m->leaves[i]);
    }
    free(m->leaves);
    expander_free(&m->x);
    free(m->kept);
    free(m->itemsrc);
    sp_arena_free(&m->arena);
    sp_arena_free(&m->inarena);
    sp_arena_free(&m->rowarena);
    free(m);
}

kop *kop_mvapply(kexec *ex, const kp *node)
{
    mva_op *m = kop_alloc(sizeof *m, ex, node, mva_next, mva_close);
    m->in = kop_build(ex, node->in);
    expander_init(ex, &m->x, node);
    if (!node->apply) {
        kexec_fail(ex, node->line, node->col, "internal: mv-apply without a subplan");
        return &m->base;
    }
    find_leaves(m, node->apply);
    mva_layout(m);
    return &m->base;
}

/* ---- the items leaf ---- */

typedef struct items_op {
    kop base;
    krowitems *e; /* bound when built: the mv-apply that built this subplan */
    uint32_t pos;
    sp_arena arena;
    kbatch batch;
} items_op;

static int items_next(kop *self, kbatch **out)
{
    items_op *it = (items_op *)self;
    const kp *n = self->node;
    krowitems *e = it->e;
    if (!e)
        return kexec_fail(self->ex, n->line, n->col, "unsupported: mv-apply items outside mv-apply");
    sp_arena_reset(&it->arena);
    if (it->pos >= e->n)
        return 0;
    uint32_t cnt = SP_MIN((uint32_t)KB_BATCH, e->n - it->pos);
    kbatch *b = &it->batch;
    memset(b, 0, sizeof *b);
    b->n = cnt;
    b->ncols = n->out.ncols;
    b->arena = &it->arena;
    b->cols = sp_arena_alloc(&it->arena, sizeof(kvec *) * (size_t)(n->out.ncols ? n->out.ncols : 1));
    for (int c = 0; c < n->out.ncols; c++) {
        const kvec *src = e->cols[c];
        kvec *v = sp_arena_alloc(&it->arena, sizeof *v);
        *v = *src; /* a view of rows [pos, pos + cnt): pos is a multiple of KB_BATCH */
        v->n = cnt;
        if (src->enc == KV_CONST) {
            b->cols[c] = v;
            continue;
        }
        size_t es = sp_type_is_text(src->type) ? sizeof(kstr) : src->type == SP_TYPE_BOOL ? 1 : 8;
        v->d.raw = (char *)src->d.raw + es * it->pos;
        if (src->valid)
            v->valid = src->valid + it->pos / 8;
        v->unset = src->unset ? src->unset + it->pos / 8 : NULL;
        v->jnull = src->jnull ? src->jnull + it->pos / 8 : NULL;
        b->cols[c] = v;
    }
    it->pos += cnt;
    *out = b;
    return 1;
}

static void items_close(kop *self)
{
    items_op *it = (items_op *)self;
    sp_arena_free(&it->arena);
    free(it);
}

kop *kop_rowitems(kexec *ex, const kp *node)
{
    items_op *it = kop_alloc(sizeof *it, ex, node, items_next, items_close);
    for (it->e = ex->rowitems; it->e && it->e->leaf != node; it->e = it->e->next)
        ;
    return &it->base;
}
