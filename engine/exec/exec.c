/* exec.c — the executor's driver: builds the operator tree for a plan, computes shared
 * (materialized) subplans once, drains the root into a rowset, and reports runtime errors
 * as positioned diagnostics. */
#include "engine/exec/exec_int.h"

#include <stdatomic.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t kexec_interval_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

uint64_t kexec_thread_ns(void)
{
    return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

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

void *kop_alloc(size_t size, kexec *ex, const kp *node, int (*next)(kop *, kbatch **), void (*close)(kop *))
{
    kop *op = sp_xcalloc(1, size);
    op->ex = ex;
    op->node = node;
    op->next = next;
    op->close = close;
    return op;
}

int kop_pull(kop *in, kbatch **out)
{
    for (;;) {
        int r = in->next(in, out);
        if (r <= 0 || kbatch_rows(*out) > 0)
            return r;
    }
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
    return kop_alloc(sizeof(kop), ex, node, empty_next, plain_close);
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
    unsupported_op *op = kop_alloc(sizeof *op, ex, node, unsupported_next, plain_close);
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
    case KP_BASKET: return kop_basket(ex, node);
    case KP_MVEXPAND: return kop_mvexpand(ex, node);
    case KP_SHARED: return build_shared(ex, node);
    case KP_EMPTY: return kop_empty(ex, node);
    case KP_SERIALIZE: return kop_build(ex, node->in);
    case KP_MVAPPLY: return kop_mvapply(ex, node);
    case KP_ROWITEMS: return kop_rowitems(ex, node);
    case KP_BAGUNPACK: return kop_bagunpack(ex, node);
    case KP_MAKESERIES: return kop_makeseries(ex, node);
    case KP_GETSCHEMA: return kop_getschema(ex, node);
    case KP_WINDOW: return kop_window(ex, node);
    }
    return kop_unsupported(ex, node, "operator");
}

void kop_close(kop *op)
{
    if (op)
        op->close(op);
}

void kexec_begin(kexec *ex, kplan *plan, sp_store *store, const kexec_opts *opts, sp_diag *err)
{
    memset(ex, 0, sizeof *ex);
    ex->store = store;
    ex->plan = plan;
    ex->opts = opts;
    ex->err = err;
    static atomic_uint_fast64_t serials;
    ex->serial = atomic_fetch_add_explicit(&serials, 1, memory_order_relaxed) + 1;
    /* The plan is read-only here: rules run one plan from several threads at once. */
    ex->now = opts && opts->now ? opts->now : plan->has_now ? plan->now : sp_now_ticks();
    ex->shared = sp_xcalloc((size_t)(plan->nshared ? plan->nshared : 1), sizeof(krowset *));
}

bool kchunk_plan_back(kchunk_reread *r, const kexec *ex)
{
    uint_fast64_t plan = ex->plan ? ex->plan->serial : 0;
    if (!plan)
        return false;
    kchunk_reader *s = &r->slot[plan % KCHUNK_REREAD_SLOTS];
    if (atomic_load(&s->plan) == plan)
        return atomic_load(&s->run) != ex->serial;
    atomic_store(&s->run, ex->serial);
    atomic_store(&s->plan, plan);
    return false;
}

void kexec_release_snapshot(kexec *ex, sp_snapshot *snap)
{
    if (!snap)
        return;
    if (!ex->opts || !ex->opts->result_pins_chunks) {
        sp_snapshot_free(snap);
        return;
    }
    ex->pins = sp_xrealloc(ex->pins, sizeof *ex->pins * (size_t)(ex->npins + 1));
    ex->pins[ex->npins++] = snap;
}

void kexec_end(kexec *ex)
{
    for (int i = 0; i < ex->npins; i++)
        sp_snapshot_free(ex->pins[i]);
    free(ex->pins);
    for (int i = 0; i < ex->plan->nshared; i++)
        krowset_free(ex->shared[i]);
    free(ex->shared);
    sp_arena_free(&ex->arena);
}

int kexec_run(kplan *plan, sp_store *store, const kexec_opts *opts, krowset **out, sp_diag *err)
{
    kexec ex;
    kexec_begin(&ex, plan, store, opts, err);
    *out = NULL;
    kop *root = kop_build(&ex, plan->root);
    krowset *rs = NULL;
    if (!ex.failed) {
        rs = krowset_new(&plan->root->out);
        rs->borrow_text = opts && opts->result_pins_chunks;
        rs = krowset_drain_into(&ex, root, rs);
    }
    kop_close(root);
    if (rs) {
        /* The result references the text of these chunks (krowset.borrow_text); none
         * were kept unless opts->result_pins_chunks. */
        rs->pins = ex.pins;
        rs->npins = ex.npins;
        ex.pins = NULL;
        ex.npins = 0;
    }
    kexec_end(&ex);
    if (ex.failed || !rs) {
        krowset_free(rs);
        if (!ex.failed && err)
            sp_diag_set(err, NULL, 0, 0, "query failed");
        return -1;
    }
    *out = rs;
    return 0;
}

/* ---- columns read through table-dictionary ids ---- */

static void want_gids_node(const kp *n, sp_store *store);

static void want_gids_kx(const kx *e, sp_store *store)
{
    if (!e)
        return;
    if (e->kind == KX_SUBQUERY)
        want_gids_node(e->sub, store);
    for (int i = 0; i < e->nargs; i++)
        want_gids_kx(e->args[i], store);
}

/* ---- paths of dynamic columns a scan's filter reads (dynpath.c) ---- */

static void want_paths_kx(const kx *e, const kp *scan, sp_table *t)
{
    if (!e || e->kind == KX_LAMBDA || e->kind == KX_SUBQUERY) /* other inputs than the scan's */
        return;
    kpath *p = e->kind == KX_CALL ? kpath_of(e) : NULL;
    if (p) {
        if (p->col >= 0 && p->col < scan->out.ncols) {
            const char *name = scan->out.cols[p->col].name;
            kpath_want(t, sp_schema_find(sp_table_schema(t), name, strlen(name)), p);
        }
        kpath_free(p);
        return;
    }
    for (int i = 0; i < e->nargs; i++)
        want_paths_kx(e->args[i], scan, t);
}

void kexec_want_paths(const kp *scan, sp_table *t)
{
    if (scan && scan->kind == KP_SCAN && t)
        want_paths_kx(scan->scan_filter, scan, t);
}

static void want_gids_node(const kp *n, sp_store *store)
{
    if (!n)
        return;
    if (n->kind == KP_SCAN && !n->scan_unbound) {
        sp_table *t = sp_store_find(store, n->table);
        if (!t && n->scan_gids && sp_schema_declared(n->table))
            t = sp_store_table(store, n->table);
        const sp_schema *sc = t && n->scan_gids ? sp_table_schema(t) : NULL;
        for (int i = 0; sc && i < n->out.ncols; i++) {
            if (!n->scan_gids[i])
                continue;
            const char *name = n->out.cols[i].name;
            sp_table_want_gids(t, sp_schema_find(sc, name, strlen(name))); /* -1: ignored */
        }
        kexec_want_paths(n, t);
    }
    want_gids_kx(n->scan_filter, store);
    want_gids_kx(n->pred, store);
    for (int i = 0; i < n->nitems; i++)
        want_gids_kx(n->items[i].expr, store);
    for (int i = 0; i < n->nkeys; i++)
        want_gids_kx(n->keys[i].expr, store);
    want_gids_node(n->in, store);
    want_gids_node(n->apply, store);
    for (int i = 0; i < n->ninputs; i++)
        want_gids_node(n->inputs[i], store);
}

void kexec_want_gids(const kplan *plan, sp_store *store)
{
    if (!plan || !store)
        return;
    for (int i = 0; i < plan->nshared; i++)
        want_gids_node(plan->shared[i], store);
    want_gids_node(plan->root, store);
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
    case KP_SORT:
    case KP_TOP:
        for (int i = 0; i < n->nsort; i++)
            if (n->sort[i].expr->kind != KX_COL) {
                snprintf(what, sizeof what, "%s key %d", n->kind == KP_SORT ? "sort" : "top", i + 1);
                explain_expr(ex, what, n->sort[i].expr, false, out);
            }
        break;
    case KP_JOIN:
        for (int i = 0; i < n->njoinkeys; i++) {
            if (n->lkeys[i]->kind != KX_COL) {
                snprintf(what, sizeof what, "join left key %d", i + 1);
                explain_expr(ex, what, n->lkeys[i], false, out);
            }
            if (n->rkeys[i]->kind != KX_COL) {
                snprintf(what, sizeof what, "join right key %d", i + 1);
                explain_expr(ex, what, n->rkeys[i], false, out);
            }
        }
        break;
    case KP_MVEXPAND:
    case KP_MVAPPLY:
        for (int i = 0; i < n->nexpand; i++)
            if (n->expand[i].expr) {
                snprintf(what, sizeof what, "mv-expand %s", n->expand[i].name ? n->expand[i].name : "");
                explain_expr(ex, what, n->expand[i].expr, false, out);
            }
        break;
    case KP_AGGREGATE:
    case KP_MAKESERIES:
        for (int i = 0; i < n->nkeys; i++)
            if (n->keys[i].expr->kind != KX_COL) {
                snprintf(what, sizeof what, "by %s", n->keys[i].name);
                explain_expr(ex, what, n->keys[i].expr, false, out);
            }
        if (n->kind == KP_MAKESERIES && n->axis && n->axis->kind != KX_COL)
            explain_expr(ex, "make-series axis", n->axis, false, out);
        break;
    default: break;
    }
    if (n->in)
        explain_node(ex, n->in, out);
    for (int i = 0; i < n->ninputs; i++)
        explain_node(ex, n->inputs[i], out);
    if (n->apply)
        explain_node(ex, n->apply, out);
}

int kexec_explain_programs(kplan *plan, sp_buf *out, sp_diag *err)
{
    kexec ex;
    bool had_now = plan->has_now;
    int64_t now = plan->now;
    kexec_begin(&ex, plan, NULL, NULL, err);
    plan->has_now = had_now; /* explaining does not fix the query's now() */
    plan->now = now;
    sp_buf_puts(out, "programs:\n");
    explain_node(&ex, plan->root, out);
    bool failed = ex.failed;
    kexec_end(&ex);
    return failed ? -1 : 0;
}
