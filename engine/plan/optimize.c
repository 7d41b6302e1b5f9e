/* optimize.c — rewrites a bound plan before it runs:
 *
 * - filters move down into the scan they sit on (through projections that only pass
 *   columns along), where the scan evaluates them before it builds any other column
 *   and uses their time bounds to skip whole chunks (min/max TimeGenerated);
 * - each scan reads only the columns some operator above it needs (projection pruning),
 *   which matters because sign-in tables have ~90 columns and rules touch a handful;
 * - a scan whose filter tests a string column with a predicate that has one verdict per
 *   distinct text (kx_verdict_col) asks for that column's table-dictionary ids, so the
 *   executor looks verdicts up by id instead of testing every row's text.
 * - text columns that a summarize groups by or dcount counts, unchanged, are read with
 *   their table-dictionary ids (kp.scan_gids); when nothing else between the scan and the
 *   summarize reads them, without their text (kp.scan_idonly): the summarize reads a
 *   group's key text once per group.
 *
 * Constant subexpressions need no pass of their own: the executor computes a builtin
 * whose arguments are all constant once per batch.
 */
#include "engine/plan/plan.h"

#include <stdlib.h>
#include <string.h>

/* ---- column references ---- */

static void mark_cols(const kx *e, bool *need, int ncols)
{
    if (!e)
        return;
    if (e->kind == KX_COL && e->colidx >= 0 && e->colidx < ncols)
        need[e->colidx] = true;
    for (int i = 0; i < e->nargs; i++)
        mark_cols(e->args[i], need, ncols);
}

/* Rewrites column refs of e through a projection of pass-through columns. */
static bool remap_through(const kx *e, const kp *proj)
{
    if (e->kind == KX_COL)
        return e->colidx < proj->nitems && proj->items[e->colidx].expr->kind == KX_COL;
    for (int i = 0; i < e->nargs; i++)
        if (!remap_through(e->args[i], proj))
            return false;
    return true;
}

static kx *remap_copy(kplan *p, const kx *e, const kp *proj)
{
    kx *c = sp_arena_alloc(&p->arena, sizeof *c);
    *c = *e;
    if (e->kind == KX_COL) {
        c->colidx = proj->items[e->colidx].expr->colidx;
        return c;
    }
    if (e->nargs) {
        c->args = sp_arena_alloc(&p->arena, sizeof(kx *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++)
            c->args[i] = remap_copy(p, e->args[i], proj);
    }
    return c;
}

static bool has_subquery_or_rowctx(const kx *e)
{
    if (e->kind == KX_SUBQUERY)
        return true;
    if (e->kind == KX_CALL && (e->fn == KB_row_number || e->fn == KB_prev || e->fn == KB_next ||
                               e->fn == KB_row_cumsum || e->fn == KB_row_window_session))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (has_subquery_or_rowctx(e->args[i]))
            return true;
    return false;
}

/* ---- filter pushdown ---- */

/* A projection computing prev(), next(), row_number(), ... reads its neighbour rows: a
 * filter after it must stay after it, or it would change which rows are neighbours. */
static bool project_has_rowctx(const kp *proj)
{
    for (int i = 0; i < proj->nitems; i++)
        if (has_subquery_or_rowctx(proj->items[i].expr))
            return true;
    return false;
}

static kp *push_filters(kplan *p, kp *n);

static void push_children(kplan *p, kp *n)
{
    if (n->in)
        n->in = push_filters(p, n->in);
    for (int i = 0; i < n->ninputs; i++)
        n->inputs[i] = push_filters(p, n->inputs[i]);
    if (n->apply)
        n->apply = push_filters(p, n->apply);
}

static kp *push_filters(kplan *p, kp *n)
{
    push_children(p, n);
    if (n->kind != KP_FILTER || has_subquery_or_rowctx(n->pred))
        return n;
    kp *in = n->in;
    if (in->kind == KP_SCAN) {
        in->scan_filter = in->scan_filter ? kx_call2(p, KB_and, SP_TYPE_BOOL, in->scan_filter, n->pred) : n->pred;
        return in;
    }
    if (in->kind == KP_FILTER) {
        in->pred = kx_call2(p, KB_and, SP_TYPE_BOOL, in->pred, n->pred);
        return in;
    }
    if (in->kind == KP_PROJECT && remap_through(n->pred, in) && !project_has_rowctx(in)) {
        /* filter(project(x)) -> project(filter(x)) when the filter reads passed columns */
        kp *f = kp_new(p, KP_FILTER, in->in);
        f->line = n->line;
        f->col = n->col;
        f->pred = remap_copy(p, n->pred, in);
        f->out = in->in->out;
        in->in = push_filters(p, f);
        return in;
    }
    return n;
}

/* ---- projection pruning ---- */

static void prune(kplan *p, kp *n, const bool *need_out);

static void prune_all(kplan *p, kp *n)
{
    bool *all = sp_xmalloc((size_t)n->out.ncols + 1);
    memset(all, 1, (size_t)n->out.ncols + 1);
    prune(p, n, all);
    free(all);
}

static void prune_subqueries(kplan *p, const kx *e)
{
    if (!e)
        return;
    if (e->kind == KX_SUBQUERY && e->sub)
        prune_all(p, e->sub);
    for (int i = 0; i < e->nargs; i++)
        prune_subqueries(p, e->args[i]);
}

static void prune(kplan *p, kp *n, const bool *need_out)
{
    int nin = n->in ? n->in->out.ncols : 0;
    bool *need_in = sp_xcalloc((size_t)nin + 1, 1);
    switch (n->kind) {
    case KP_SCAN: {
        n->scan_need = sp_arena_calloc(&p->arena, (size_t)n->out.ncols + 1);
        n->scan_emit = sp_arena_calloc(&p->arena, (size_t)n->out.ncols + 1);
        for (int i = 0; i < n->out.ncols; i++)
            n->scan_need[i] = n->scan_emit[i] = need_out[i];
        bool *f = sp_xcalloc((size_t)n->out.ncols + 1, 1);
        mark_cols(n->scan_filter, f, n->out.ncols);
        for (int i = 0; i < n->out.ncols; i++)
            n->scan_need[i] |= f[i];
        free(f);
        int tc = kp_schema_find(&n->out, "TimeGenerated", 13);
        if (tc >= 0)
            n->scan_need[tc] = 1; /* time-range pruning reads it */
        prune_subqueries(p, n->scan_filter);
        break;
    }
    case KP_FILTER:
        memcpy(need_in, need_out, (size_t)nin);
        mark_cols(n->pred, need_in, nin);
        prune_subqueries(p, n->pred);
        break;
    case KP_PROJECT:
        for (int i = 0; i < n->nitems; i++)
            if (need_out[i]) {
                mark_cols(n->items[i].expr, need_in, nin);
                prune_subqueries(p, n->items[i].expr);
            } else if (n->items[i].expr->kind != KX_COL) {
                /* Nothing reads it, and the columns it would compute from are not loaded
                 * any more: the executor computes every item, so it becomes a constant. */
                n->items[i].expr = kx_const(p, kval_null(n->items[i].expr->type));
            }
        break;
    case KP_AGGREGATE:
        for (int i = 0; i < n->nkeys; i++)
            mark_cols(n->keys[i].expr, need_in, nin);
        for (int i = 0; i < n->naggs; i++)
            for (int j = 0; j < n->aggs[i].nargs; j++) {
                mark_cols(n->aggs[i].args[j], need_in, nin);
                prune_subqueries(p, n->aggs[i].args[j]);
            }
        break;
    case KP_SORT:
    case KP_TOP:
        memcpy(need_in, need_out, (size_t)nin);
        for (int i = 0; i < n->nsort; i++)
            mark_cols(n->sort[i].expr, need_in, nin);
        break;
    case KP_LIMIT:
    case KP_SERIALIZE: memcpy(need_in, need_out, (size_t)nin); break;
    case KP_MVEXPAND:
        for (int i = 0; i < nin; i++)
            need_in[i] = need_out[i];
        for (int i = 0; i < n->nexpand; i++) {
            if (n->expand[i].expr) /* an expression expanded into a new column */
                mark_cols(n->expand[i].expr, need_in, nin);
            else
                need_in[n->expand[i].colidx] = true;
        }
        break;
    default:
        memset(need_in, 1, (size_t)nin + 1);
        break;
    }
    if (n->in)
        prune(p, n->in, need_in);
    free(need_in);
    if (n->kind == KP_UNION) {
        for (int j = 0; j < n->ninputs; j++) {
            kp *c = n->inputs[j];
            bool *nc = sp_xcalloc((size_t)c->out.ncols + 1, 1);
            for (int i = 0; i < n->out.ncols; i++)
                if (need_out[i] && n->union_map[j][i] >= 0)
                    nc[n->union_map[j][i]] = true;
            prune(p, c, nc);
            free(nc);
        }
    } else if (n->kind == KP_JOIN) {
        for (int side = 0; side < 2; side++) {
            kp *c = n->inputs[side];
            bool *nc = sp_xcalloc((size_t)c->out.ncols + 1, 1);
            for (int i = 0; i < n->out.ncols; i++)
                if (need_out[i] && n->join_side[i] == side)
                    nc[n->join_col[i]] = true;
            for (int k = 0; k < n->njoinkeys; k++)
                mark_cols(side ? n->rkeys[k] : n->lkeys[k], nc, c->out.ncols);
            prune(p, c, nc);
            free(nc);
        }
    } else {
        for (int j = 0; j < n->ninputs; j++)
            prune_all(p, n->inputs[j]);
    }
    if (n->apply)
        prune_all(p, n->apply);
}

/* ---- table-dictionary ids for predicates ---- */

/* Marks the column of every outermost verdict predicate inside e (and walks subqueries). */
static void mark_verdict_cols(kplan *p, const kx *e, uint8_t *cols, int ncols);
static void want_verdict_gids(kplan *p, kp *n);

static void mark_verdict_cols(kplan *p, const kx *e, uint8_t *cols, int ncols)
{
    if (!e)
        return;
    if (e->kind == KX_SUBQUERY)
        want_verdict_gids(p, e->sub);
    int c = kx_verdict_col(e);
    if (c >= 0) {
        if (cols && c < ncols)
            cols[c] = 1;
        return;
    }
    for (int i = 0; i < e->nargs; i++)
        mark_verdict_cols(p, e->args[i], cols, ncols);
}

/* ORs the columns read by the verdict predicates of each scan filter into the scan's
 * scan_gids (allocated when NULL; other passes may set flags of their own). */
static void want_verdict_gids(kplan *p, kp *n)
{
    if (!n)
        return;
    if (n->kind == KP_SCAN && n->scan_filter && !n->scan_unbound) {
        int nc = n->out.ncols;
        uint8_t *f = sp_xcalloc((size_t)nc + 1, 1);
        mark_verdict_cols(p, n->scan_filter, f, nc);
        for (int i = 0; i < nc; i++) {
            if (!f[i])
                continue;
            if (!n->scan_gids)
                n->scan_gids = sp_arena_calloc(&p->arena, (size_t)nc + 1);
            n->scan_gids[i] = 1;
        }
        free(f);
    } else {
        mark_verdict_cols(p, n->scan_filter, NULL, 0);
    }
    mark_verdict_cols(p, n->pred, NULL, 0);
    want_verdict_gids(p, n->in);
    for (int i = 0; i < n->ninputs; i++)
        want_verdict_gids(p, n->inputs[i]);
    want_verdict_gids(p, n->apply);
}

/* ---- columns grouped or counted through table-dictionary ids ---- */

/* Follows column c of n's output down through operators that pass it along unchanged
 * (filters, pass-through project/extend items) to the scan that reads it, and asks that
 * scan for the column's table-dictionary ids (store.h sp_tdict) when it is text: summarize
 * then maps ids to groups, and dcount counts id pairs, without hashing the strings. The
 * flags are ORed into scan_gids, which other consumers of ids set too. */
static void want_gids_of(kplan *p, kp *n, int c)
{
    while (n && c >= 0 && c < n->out.ncols) {
        switch (n->kind) {
        case KP_FILTER: n = n->in; continue;
        case KP_PROJECT:
            if (c >= n->nitems || n->items[c].expr->kind != KX_COL)
                return;
            c = n->items[c].expr->colidx;
            n = n->in;
            continue;
        case KP_SCAN: {
            sp_type t = n->out.cols[c].type;
            if (t != SP_TYPE_STRING && t != SP_TYPE_GUID)
                return;
            if (!n->scan_gids)
                n->scan_gids = sp_arena_calloc(&p->arena, (size_t)n->out.ncols + 1);
            n->scan_gids[c] = 1;
            return;
        }
        default: return;
        }
    }
}

static bool counts_distinct(ka_id a)
{
    return a == KA_dcount || a == KA_dcountif || a == KA_count_distinct;
}

static void mark_gid_reads(kplan *p, kp *n);

static void mark_gid_reads_kx(kplan *p, const kx *e)
{
    if (!e)
        return;
    if (e->kind == KX_SUBQUERY)
        mark_gid_reads(p, e->sub);
    for (int i = 0; i < e->nargs; i++)
        mark_gid_reads_kx(p, e->args[i]);
}

static void mark_gid_reads(kplan *p, kp *n)
{
    if (!n)
        return;
    mark_gid_reads_kx(p, n->scan_filter);
    mark_gid_reads_kx(p, n->pred);
    for (int i = 0; i < n->nitems; i++)
        mark_gid_reads_kx(p, n->items[i].expr);
    if (n->kind == KP_AGGREGATE) {
        for (int i = 0; i < n->nkeys; i++)
            if (n->keys[i].expr->kind == KX_COL)
                want_gids_of(p, n->in, n->keys[i].expr->colidx);
        for (int i = 0; i < n->naggs; i++)
            if (counts_distinct(n->aggs[i].agg) && n->aggs[i].nargs > 0 && n->aggs[i].args[0]->kind == KX_COL)
                want_gids_of(p, n->in, n->aggs[i].args[0]->colidx);
    }
    mark_gid_reads(p, n->in);
    mark_gid_reads(p, n->apply);
    for (int i = 0; i < n->ninputs; i++)
        mark_gid_reads(p, n->inputs[i]);
}

/* ---- columns read by id only ---- */

/* Which nodes have more than one reader: every node of the plan once (roots, inputs,
 * mv-apply subplans, subqueries) with the number of references to it. Plans are small
 * (tens of nodes), so a list searched linearly does. */
typedef struct node_refs {
    const kp **node;
    int *refs;
    int n, cap;
} node_refs;

static void count_refs(node_refs *r, const kp *n);

static void count_refs_kx(node_refs *r, const kx *e)
{
    if (!e)
        return;
    if (e->kind == KX_SUBQUERY)
        count_refs(r, e->sub);
    for (int i = 0; i < e->nargs; i++)
        count_refs_kx(r, e->args[i]);
}

static void count_refs(node_refs *r, const kp *n)
{
    if (!n)
        return;
    for (int i = 0; i < r->n; i++)
        if (r->node[i] == n) {
            r->refs[i]++;
            return; /* its inputs were counted from its first reader */
        }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->node = sp_xrealloc(r->node, sizeof *r->node * (size_t)r->cap);
        r->refs = sp_xrealloc(r->refs, sizeof *r->refs * (size_t)r->cap);
    }
    r->node[r->n] = n;
    r->refs[r->n++] = 1;
    count_refs_kx(r, n->scan_filter);
    count_refs_kx(r, n->pred);
    for (int i = 0; i < n->nitems; i++)
        count_refs_kx(r, n->items[i].expr);
    for (int i = 0; i < n->nkeys; i++)
        count_refs_kx(r, n->keys[i].expr);
    for (int i = 0; i < n->naggs; i++)
        for (int j = 0; j < n->aggs[i].nargs; j++)
            count_refs_kx(r, n->aggs[i].args[j]);
    for (int i = 0; i < n->nsort; i++)
        count_refs_kx(r, n->sort[i].expr);
    for (int i = 0; i < n->njoinkeys; i++) {
        count_refs_kx(r, n->lkeys[i]);
        count_refs_kx(r, n->rkeys[i]);
    }
    for (int i = 0; i < n->nexpand; i++)
        count_refs_kx(r, n->expand[i].expr);
    count_refs_kx(r, n->axis);
    count_refs_kx(r, n->range_from);
    count_refs_kx(r, n->range_to);
    count_refs_kx(r, n->range_step);
    count_refs(r, n->in);
    count_refs(r, n->apply);
    for (int i = 0; i < n->ninputs; i++)
        count_refs(r, n->inputs[i]);
}

static int refs_of(const node_refs *r, const kp *n)
{
    for (int i = 0; i < r->n; i++)
        if (r->node[i] == n)
            return r->refs[i];
    return 0;
}

/* How many times e reads input column c (a subquery's columns are its own input's). */
static int col_uses(const kx *e, int c)
{
    if (!e)
        return 0;
    int uses = e->kind == KX_COL && e->colidx == c;
    for (int i = 0; i < e->nargs; i++)
        uses += col_uses(e->args[i], c);
    return uses;
}

static bool is_col(const kx *e, int c)
{
    return e->kind == KX_COL && e->colidx == c;
}

/* Whether summarize n reads its input column c only where it goes by table-dictionary
 * id when the column has ids (op_aggregate.c): as its one key, and as the argument of
 * dcount, dcountif or count_distinct. Anything else (another key beside it, any other
 * aggregate or condition reading it, `*`) reads its text. */
static bool agg_reads_by_id_only(const kp *n, int c)
{
    int uses = 0, by_id = 0;
    for (int i = 0; i < n->nkeys; i++)
        uses += col_uses(n->keys[i].expr, c);
    if (n->nkeys == 1 && is_col(n->keys[0].expr, c))
        by_id++;
    for (int i = 0; i < n->naggs; i++) {
        const kp_agg *ag = &n->aggs[i];
        for (int j = 0; j < ag->nargs; j++) /* an *if condition is among the arguments */
            uses += col_uses(ag->args[j], c);
        if (counts_distinct(ag->agg) && ag->nargs > 0 && is_col(ag->args[0], c))
            by_id++;
    }
    return by_id > 0 && uses == by_id;
}

/* Follows column c of n (a summarize's input) down to its scan while every node on the
 * way has that one reader and passes the column along without reading it (a filter whose
 * predicate does not name it, a projection that moves it to one output and names it
 * nowhere else); the scan then marks the column scan_idonly. Anything else on the way
 * (a sort, a join, a union, a shared body, a second reader) may read the text. */
static void want_idonly(kplan *p, const node_refs *r, kp *n, int c)
{
    while (n && c >= 0 && c < n->out.ncols && refs_of(r, n) == 1) {
        switch (n->kind) {
        case KP_FILTER:
            if (col_uses(n->pred, c))
                return;
            n = n->in;
            continue;
        case KP_PROJECT: {
            if (c >= n->nitems || n->items[c].expr->kind != KX_COL)
                return;
            int from = n->items[c].expr->colidx, uses = 0;
            for (int i = 0; i < n->nitems; i++)
                uses += col_uses(n->items[i].expr, from);
            if (uses != 1)
                return;
            c = from;
            n = n->in;
            continue;
        }
        case KP_SCAN:
            /* Its own filter may read the text: it loads the column itself, and the scan
             * then hands on what it loaded. */
            if (n->scan_unbound || !n->scan_gids || !n->scan_gids[c])
                return;
            if (!n->scan_idonly)
                n->scan_idonly = sp_arena_calloc(&p->arena, (size_t)n->out.ncols + 1);
            n->scan_idonly[c] = 1;
            return;
        default: return;
        }
    }
}

static void mark_idonly(kplan *p)
{
    node_refs r = {0};
    for (int i = 0; i < p->nshared; i++)
        count_refs(&r, p->shared[i]);
    count_refs(&r, p->root);
    for (int i = 0; i < r.n; i++) {
        kp *n = (kp *)r.node[i];
        if (n->kind != KP_AGGREGATE)
            continue;
        if (n->nkeys == 1 && n->keys[0].expr->kind == KX_COL && agg_reads_by_id_only(n, n->keys[0].expr->colidx))
            want_idonly(p, &r, n->in, n->keys[0].expr->colidx);
        for (int a = 0; a < n->naggs; a++) {
            const kp_agg *ag = &n->aggs[a];
            if (counts_distinct(ag->agg) && ag->nargs > 0 && ag->args[0]->kind == KX_COL &&
                agg_reads_by_id_only(n, ag->args[0]->colidx))
                want_idonly(p, &r, n->in, ag->args[0]->colidx);
        }
    }
    free(r.node);
    free(r.refs);
}

void kplan_optimize(kplan *p)
{
    if (!p->root)
        return;
    for (int i = 0; i < p->nshared; i++)
        p->shared[i] = push_filters(p, p->shared[i]);
    p->root = push_filters(p, p->root);
    for (int i = 0; i < p->nshared; i++)
        prune_all(p, p->shared[i]);
    prune_all(p, p->root);
    for (int i = 0; i < p->nshared; i++)
        want_verdict_gids(p, p->shared[i]);
    want_verdict_gids(p, p->root);
    for (int i = 0; i < p->nshared; i++)
        mark_gid_reads(p, p->shared[i]);
    mark_gid_reads(p, p->root);
    mark_idonly(p);
}

/* ---- which columns a plan reads (query-driven loads) ---- */

static bool reads_kx(const kx *e, const char *table, const char *column);

static bool reads_node(const kp *n, const char *table, const char *column)
{
    if (!n)
        return false;
    if (n->kind == KP_SCAN && !strcmp(n->table, table)) {
        int c = kp_schema_find(&n->out, column, strlen(column));
        if (c >= 0 && (!n->scan_need || n->scan_need[c]))
            return true;
    }
    if (reads_kx(n->scan_filter, table, column) || reads_kx(n->pred, table, column))
        return true;
    for (int i = 0; i < n->nitems; i++)
        if (reads_kx(n->items[i].expr, table, column))
            return true;
    if (reads_node(n->in, table, column) || reads_node(n->apply, table, column))
        return true;
    for (int i = 0; i < n->ninputs; i++)
        if (reads_node(n->inputs[i], table, column))
            return true;
    return false;
}

static bool reads_kx(const kx *e, const char *table, const char *column)
{
    if (!e)
        return false;
    if (e->kind == KX_SUBQUERY && reads_node(e->sub, table, column))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (reads_kx(e->args[i], table, column))
            return true;
    return false;
}

bool kplan_reads_column(const kplan *p, const char *table, const char *column)
{
    for (int i = 0; i < p->nshared; i++)
        if (reads_node(p->shared[i], table, column))
            return true;
    return reads_node(p->root, table, column);
}
