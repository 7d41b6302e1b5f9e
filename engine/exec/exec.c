/* exec.c — the executor's driver: builds the operator tree for a plan, computes shared
 * (materialized) subplans once, drains the root into a rowset, and reports runtime errors
 * as positioned diagnostics. */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

int kexec_fail(kexec *ex, int line, int col, const char *fmt, ...)
{
    if (ex->failed)
        return -1;
    ex->failed = true;
    if (ex->err) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        sp_diag_set(ex->err, NULL, line, col, "%s", msg);
    }
    return -1;
}

static int empty_next(kop *self, kbatch **out)
{
    (void)self;
    (void)out;
    return 0;
}

static void plain_close(kop *self)
{
    free(self);
}

static kop *kop_empty(kexec *ex, const kp *node)
{
    kop *op = sp_xcalloc(1, sizeof *op);
    op->ex = ex;
    op->node = node;
    op->next = empty_next;
    op->close = plain_close;
    return op;
}

typedef struct unsupported_op {
    kop base;
    const char *what;
} unsupported_op;

static int unsupported_next(kop *self, kbatch **out)
{
    (void)out;
    unsupported_op *u = (unsupported_op *)self;
    return kexec_fail(self->ex, self->node->line, self->node->col, "unsupported: %s", u->what);
}

kop *kop_unsupported(kexec *ex, const kp *node, const char *what)
{
    unsupported_op *op = sp_xcalloc(1, sizeof *op);
    op->base.ex = ex;
    op->base.node = node;
    op->base.next = unsupported_next;
    op->base.close = plain_close;
    op->what = what;
    return &op->base;
}

static kop *build_shared(kexec *ex, const kp *node)
{
    int id = node->shared_id;
    if (!ex->shared[id]) {
        kop *body = kop_build(ex, ex->plan->shared[id]);
        ex->shared[id] = krowset_drain(ex, body, &ex->plan->shared[id]->out);
        kop_close(body);
        if (!ex->shared[id])
            return kop_empty(ex, node);
    }
    return kop_rowset(ex, node, ex->shared[id]);
}

kop *kop_build(kexec *ex, const kp *node)
{
    switch (node->kind) {
    case KP_SCAN: return kop_scan(ex, node);
    case KP_VALUES: return kop_values(ex, node);
    case KP_FILTER: return kop_filter(ex, node);
    case KP_PROJECT: return kop_project(ex, node);
    case KP_LIMIT: return kop_limit(ex, node);
    case KP_AGGREGATE: return kop_aggregate(ex, node);
    case KP_SORT: return kop_sort(ex, node);
    case KP_TOP: return kop_top(ex, node);
    case KP_UNION: return kop_union(ex, node);
    case KP_JOIN: return kop_join(ex, node);
    case KP_MVEXPAND: return kop_mvexpand(ex, node);
    case KP_SHARED: return build_shared(ex, node);
    case KP_EMPTY: return kop_empty(ex, node);
    case KP_SERIALIZE: return kop_build(ex, node->in);
    case KP_MVAPPLY: return kop_unsupported(ex, node, "mv-apply");
    case KP_ROWITEMS: return kop_unsupported(ex, node, "mv-apply items outside mv-apply");
    case KP_BAGUNPACK: return kop_unsupported(ex, node, "evaluate bag_unpack");
    case KP_MAKESERIES: return kop_unsupported(ex, node, "make-series");
    case KP_GETSCHEMA: return kop_unsupported(ex, node, "getschema");
    case KP_WINDOW: return kop_window(ex, node);
    }
    return kop_unsupported(ex, node, "operator");
}

void kop_close(kop *op)
{
    if (op)
        op->close(op);
}

int kexec_run(kplan *plan, sp_store *store, const kexec_opts *opts, krowset **out, sp_diag *err)
{
    kexec ex;
    memset(&ex, 0, sizeof ex);
    ex.store = store;
    ex.plan = plan;
    ex.opts = opts;
    ex.err = err;
    ex.now = opts && opts->now ? opts->now : plan->has_now ? plan->now : sp_now_ticks();
    plan->now = ex.now;
    plan->has_now = true;
    ex.shared = sp_xcalloc((size_t)(plan->nshared ? plan->nshared : 1), sizeof(krowset *));
    *out = NULL;
    kop *root = kop_build(&ex, plan->root);
    krowset *rs = ex.failed ? NULL : krowset_drain(&ex, root, &plan->root->out);
    kop_close(root);
    for (int i = 0; i < plan->nshared; i++)
        krowset_free(ex.shared[i]);
    free(ex.shared);
    sp_arena_free(&ex.arena);
    if (ex.failed || !rs) {
        krowset_free(rs);
        if (!ex.failed && err)
            sp_diag_set(err, NULL, 0, 0, "query failed");
        return -1;
    }
    *out = rs;
    return 0;
}

/* ---- explain: the compiled programs of every expression ---- */

static void explain_expr(kexec *ex, const char *what, const kx *e, bool filter, sp_buf *out)
{
    kprog p;
    if (kprog_compile(ex, e, filter, &p) != 0)
        return;
    sp_buf_printf(out, "  %s:\n", what);
    kprog_explain(&p, out);
    kprog_free(&p);
}

static void explain_node(kexec *ex, const kp *n, sp_buf *out)
{
    char what[64];
    switch (n->kind) {
    case KP_SCAN:
        if (n->scan_filter) {
            snprintf(what, sizeof what, "scan %s filter", n->table);
            explain_expr(ex, what, n->scan_filter, true, out);
        }
        break;
    case KP_FILTER: explain_expr(ex, "filter", n->pred, true, out); break;
    case KP_PROJECT:
        for (int i = 0; i < n->nitems; i++)
            if (n->items[i].expr->kind != KX_COL) {
                snprintf(what, sizeof what, "project %s", n->items[i].name);
                explain_expr(ex, what, n->items[i].expr, false, out);
            }
        break;
    default: break;
    }
    if (n->in)
        explain_node(ex, n->in, out);
    for (int i = 0; i < n->ninputs; i++)
        explain_node(ex, n->inputs[i], out);
}

int kexec_explain_programs(kplan *plan, sp_buf *out, sp_diag *err)
{
    kexec ex;
    memset(&ex, 0, sizeof ex);
    ex.plan = plan;
    ex.err = err;
    ex.now = plan->has_now ? plan->now : sp_now_ticks();
    ex.shared = sp_xcalloc((size_t)(plan->nshared ? plan->nshared : 1), sizeof(krowset *));
    sp_buf_puts(out, "programs:\n");
    explain_node(&ex, plan->root, out);
    for (int i = 0; i < plan->nshared; i++)
        krowset_free(ex.shared[i]);
    free(ex.shared);
    sp_arena_free(&ex.arena);
    return ex.failed ? -1 : 0;
}
