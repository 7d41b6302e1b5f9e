/* bind.c — binding KQL statements and tabular operators into the logical plan.
 *
 * Names resolve in Kusto's order: columns of the operator's input, then let bindings
 * (innermost scope first), then tables. A tabular let is re-bound at each use in the
 * scope that defined it (so each use gets its own plan; `materialize()` is the way to
 * share one), scalar lets are bound once. Every tabular operator becomes one or a few
 * plan nodes whose output schema is computed here, with Kusto's auto column names.
 *
 * Errors unwind with longjmp to kql_bind, which returns -1 with the positioned
 * diagnostic: binding stops at the first error, like a compiler's first message.
 */
#include "engine/kql/bind_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"

static _Noreturn void fail_v(binder *b, kql_pos pos, bool unresolved, bool missing, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    sp_diag_set(b->err, NULL, (int)pos.line, (int)pos.col, "%s", msg);
    b->err->span = pos.end > pos.off ? (int)(pos.end - pos.off) : 1;
    b->unresolved = unresolved;
    b->missing_name = missing;
    longjmp(b->fail, 1);
}

_Noreturn void bind_fail(binder *b, kql_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(b, pos, false, false, fmt, ap);
}

_Noreturn void bind_fail_unresolved(binder *b, kql_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(b, pos, true, false, fmt, ap);
}

_Noreturn void bind_fail_missing(binder *b, bool table, kql_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(b, pos, table, true, fmt, ap);
}

const char *bind_str(binder *b, const char *s, size_t n)
{
    return kplan_strdup(b->plan, s, n);
}

void scope_add(binder *b, scope *s, binding bnd)
{
    (void)b;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->items = sp_xrealloc(s->items, sizeof(binding) * (size_t)s->cap);
    }
    s->items[s->n++] = bnd;
}

binding *scope_find(scope *s, const char *name, size_t n)
{
    for (; s; s = s->parent)
        for (int i = s->n - 1; i >= 0; i--)
            if (strlen(s->items[i].name) == n && !memcmp(s->items[i].name, name, n))
                return &s->items[i];
    return NULL;
}

/* Scopes are freed when kql_bind returns; track them for that. */
typedef struct scope_list {
    scope **items;
    int n, cap;
} scope_list;
static _Thread_local scope_list *live_scopes;

scope *scope_new(scope *parent)
{
    scope *s = sp_xcalloc(1, sizeof *s);
    s->parent = parent;
    if (live_scopes) {
        if (live_scopes->n == live_scopes->cap) {
            live_scopes->cap = live_scopes->cap ? live_scopes->cap * 2 : 16;
            live_scopes->items = sp_xrealloc(live_scopes->items, sizeof(scope *) * (size_t)live_scopes->cap);
        }
        live_scopes->items[live_scopes->n++] = s;
    }
    return s;
}

/* ---- helpers for nodes and schemas ---- */

static kp *node(binder *b, kp_kind k, kp *in, kql_pos pos)
{
    kp *n = kp_new(b->plan, k, in);
    n->line = (int)pos.line;
    n->col = (int)pos.col;
    return n;
}

static void add_col(binder *b, kp_schema *s, const char *name, sp_type t)
{
    kp_schema_add(b->plan, s, name, t);
}

/* A project node that starts as the identity of the first ncols columns of its input. */
static kp *identity_n(binder *b, kp *in, int ncols, kql_pos pos)
{
    kp *p = node(b, KP_PROJECT, in, pos);
    p->nitems = ncols;
    p->items = sp_arena_alloc(&b->plan->arena, sizeof(kp_named) * (size_t)(p->nitems ? p->nitems : 1));
    for (int i = 0; i < ncols; i++) {
        p->items[i].name = in->out.cols[i].name;
        p->items[i].expr = kx_col(b->plan, i, in->out.cols[i].type);
        add_col(b, &p->out, in->out.cols[i].name, in->out.cols[i].type);
    }
    return p;
}

/* A project node that starts as the identity of its input. */
static kp *identity(binder *b, kp *in, kql_pos pos)
{
    return identity_n(b, in, in->out.ncols, pos);
}

/* Sets (replacing a same-named column) or appends an item of a project node. */
static void project_set(binder *b, kp *p, const char *name, kx *e)
{
    int c = kp_schema_find(&p->out, name, strlen(name));
    if (c >= 0) {
        p->items[c].expr = e;
        p->out.cols[c].type = e->type;
        return;
    }
    kp_named *items = sp_arena_alloc(&b->plan->arena, sizeof(kp_named) * (size_t)(p->nitems + 1));
    if (p->nitems)
        memcpy(items, p->items, sizeof(kp_named) * (size_t)p->nitems);
    items[p->nitems].name = bind_str(b, name, strlen(name));
    items[p->nitems].expr = e;
    p->items = items;
    p->nitems++;
    add_col(b, &p->out, name, e->type);
}

static const char *next_column_name(binder *b, const kp_schema *avoid)
{
    char buf[32];
    do
        snprintf(buf, sizeof buf, "Column%d", ++b->column_counter);
    while (avoid && kp_schema_find(avoid, buf, strlen(buf)) >= 0);
    return bind_str(b, buf, strlen(buf));
}

/* Kusto wildcard match of column names (`*` only). */
static bool wild_match(const char *pat, const char *s)
{
    if (!*pat)
        return !*s;
    if (*pat == '*') {
        for (;; s++) {
            if (wild_match(pat + 1, s))
                return true;
            if (!*s)
                return false;
        }
    }
    return *s && *pat == *s && wild_match(pat + 1, s + 1);
}

static const kql_opparam *op_param(const kql_op *op, const char *name)
{
    for (size_t i = 0; i < op->nparams; i++)
        if (!strcmp(op->params[i].name.name.s, name))
            return &op->params[i];
    return NULL;
}

static const char *param_word(const kql_opparam *p)
{
    if (!p || !p->value)
        return NULL;
    if (p->value->kind == KQL_E_NAME)
        return p->value->u.name.name.s;
    if (p->value->kind == KQL_E_LITERAL && p->value->u.lit.type == SP_TYPE_STRING)
        return p->value->u.lit.s.s;
    if (p->value->kind == KQL_E_LITERAL && p->value->u.lit.type == SP_TYPE_BOOL)
        return p->value->u.lit.v.b ? "true" : "false";
    return NULL;
}

static int64_t const_long(binder *b, scope *s, const kql_expr *e, const char *what)
{
    kx *x = bind_scalar(b, s, NULL, e);
    kval v;
    if (!bind_const_value(b, x, &v) || v.null || !(v.type == SP_TYPE_LONG || v.type == SP_TYPE_INT || v.type == SP_TYPE_REAL))
        bind_fail(b, e->pos, "%s must be a constant number", what);
    return v.type == SP_TYPE_REAL ? (int64_t)v.u.r : v.u.l;
}

/* ---- tables ---- */

static kp *scan_of(binder *b, const char *name, kql_pos pos)
{
    if (b->env && b->env->on_table)
        b->env->on_table(b->env->table_ctx, name);
    sp_table *t = b->env && b->env->store ? sp_store_find(b->env->store, name) : NULL;
    if (t && strcmp(sp_table_name(t), name) != 0 && sp_schema_declared(name))
        t = NULL; /* a case-insensitive hit must not shadow a declared table */
    kp *n;
    if (t) {
        n = kp_scan(b->plan, t);
    } else {
        const sp_table_def *def = sp_schema_declared(name);
        if (!def)
            return NULL;
        n = kp_new(b->plan, KP_SCAN, NULL);
        n->table = bind_str(b, name, strlen(name));
        for (int i = 0; i < def->ncolumns; i++)
            add_col(b, &n->out, def->columns[i].name, def->columns[i].type);
    }
    n->line = (int)pos.line;
    n->col = (int)pos.col;
    return n;
}

/* Names of every table known to the binder (store and declared), for wildcards. */
static int known_tables(binder *b, const char **out, int cap)
{
    int n = 0;
    if (b->env && b->env->store) {
        sp_table *tabs[512];
        int k = sp_store_tables(b->env->store, tabs, 512);
        for (int i = 0; i < k && i < 512 && n < cap; i++)
            out[n++] = sp_table_name(tabs[i]);
    }
    int nd;
    const sp_table_def *defs = sp_schema_declared_all(&nd);
    for (int i = 0; i < nd && n < cap; i++) {
        bool dup = false;
        for (int j = 0; j < n; j++)
            dup |= !strcmp(out[j], defs[i].name);
        if (!dup)
            out[n++] = defs[i].name;
    }
    return n;
}

static kp *bind_pipe(binder *b, scope *s, const kql_expr *e, kp *input);
static kp *bind_user_tabular(binder *b, scope *s, const kql_expr *call, binding *fnb);

static kp *bind_shared_ref(binder *b, binding *bd, kql_pos pos)
{
    kp *n = node(b, KP_SHARED, NULL, pos);
    n->shared_id = bd->shared_id;
    kp_schema_copy(b->plan, &n->out, &bd->shared_schema);
    return n;
}

/* True when the lambda's value is tabular (decided from the shape of its last statement). */
static bool lambda_is_tabular(binder *b, scope *s, const kql_expr *lam, int depth);

static bool expr_is_tabular(binder *b, scope *s, const kql_expr *e, int depth)
{
    if (depth > 32)
        return false;
    switch (e->kind) {
    case KQL_E_PIPE:
    case KQL_E_DATATABLE:
    case KQL_E_EXTERNALDATA: return true;
    case KQL_E_NAME: {
        binding *bd = scope_find(s, e->u.name.name.s, e->u.name.name.len);
        if (bd && bd->kind == BIND_FUNCTION && bd->expr->u.lambda.nparams == 0)
            return lambda_is_tabular(b, bd->defscope, bd->expr, depth + 1);
        if (bd)
            return bd->kind == BIND_TABULAR || bd->kind == BIND_SHARED || bd->kind == BIND_PLAN;
        if (e->u.name.wildcard)
            return true;
        if (b->env && b->env->store && sp_store_find(b->env->store, e->u.name.name.s))
            return true;
        return sp_schema_declared(e->u.name.name.s) != NULL;
    }
    case KQL_E_CALL: {
        const char *n = e->u.call.name.name.s;
        if (!strcmp(n, "table") || !strcmp(n, "materialize") || !strcmp(n, "view") || !strcmp(n, "_GetWatchlist"))
            return true;
        binding *bd = scope_find(s, n, e->u.call.name.name.len);
        if (bd && bd->kind == BIND_FUNCTION)
            return lambda_is_tabular(b, bd->defscope, bd->expr, depth + 1);
        return false;
    }
    default: return false;
    }
}

static bool lambda_is_tabular(binder *b, scope *s, const kql_expr *lam, int depth)
{
    size_t nb = lam->u.lambda.nbody;
    if (!nb)
        return false;
    const kql_stmt *last = lam->u.lambda.body[nb - 1];
    if (last->kind != KQL_S_EXPR)
        return false;
    /* Parameters and inner lets shadow: give them their kinds for the shape check. */
    scope *inner = scope_new(s);
    for (size_t i = 0; i < lam->u.lambda.nparams; i++) {
        const kql_param_decl *p = &lam->u.lambda.params[i];
        binding bd = {.name = p->name.name.s, .kind = p->type.tabular ? BIND_PLAN : BIND_SCALAR};
        scope_add(b, inner, bd);
    }
    for (size_t i = 0; i + 1 < nb; i++) {
        const kql_stmt *st = lam->u.lambda.body[i];
        if (st->kind != KQL_S_LET)
            continue;
        binding bd = {.name = st->u.let.name.name.s, .defscope = inner, .expr = st->u.let.value};
        bd.kind = st->u.let.value->kind == KQL_E_LAMBDA ? BIND_FUNCTION
                  : expr_is_tabular(b, inner, st->u.let.value, depth + 1) ? BIND_TABULAR
                                                                          : BIND_SCALAR;
        scope_add(b, inner, bd);
    }
    return expr_is_tabular(b, inner, last->u.expr, depth + 1);
}

static kp *bind_externaldata(binder *b, const kql_expr *e)
{
    /* socpipe fetches nothing from the network (an on-premises detection tier): an
     * externaldata table binds with the schema the query writes and has no rows. That is
     * a deviation from Kusto, so it is never silent: the plan carries a warning naming
     * the URL (explain, query and rule loading print it). */
    kp *n = node(b, KP_EMPTY, NULL, e->pos);
    n->table = "externaldata";
    for (size_t i = 0; i < e->u.table.ncols; i++)
        add_col(b, &n->out, e->u.table.cols[i].name.name.s, e->u.table.cols[i].type);
    const char *url = "";
    if (e->u.table.nvalues && e->u.table.values[0]->kind == KQL_E_LITERAL && e->u.table.values[0]->u.lit.type == SP_TYPE_STRING)
        url = e->u.table.values[0]->u.lit.s.s;
    kplan_warn(b->plan, (int)e->pos.line, (int)e->pos.col,
               "externaldata is an empty table: socpipe does not read URLs at run time (%.200s)", url);
    return n;
}

static kp *bind_datatable(binder *b, scope *s, const kql_expr *e)
{
    kp *n = node(b, KP_VALUES, NULL, e->pos);
    size_t nc = e->u.table.ncols;
    for (size_t i = 0; i < nc; i++)
        add_col(b, &n->out, e->u.table.cols[i].name.name.s, e->u.table.cols[i].type);
    if (nc == 0 || e->u.table.nvalues % nc)
        bind_fail(b, e->pos, "datatable has %zu values for %zu columns", e->u.table.nvalues, nc);
    n->nrows = (int)(e->u.table.nvalues / nc);
    n->cells = sp_arena_alloc(&b->plan->arena, sizeof(kval) * (e->u.table.nvalues ? e->u.table.nvalues : 1));
    for (size_t i = 0; i < e->u.table.nvalues; i++) {
        const kql_expr *ve = e->u.table.values[i];
        kx *x = bind_convert(b, bind_scalar(b, s, NULL, ve), n->out.cols[i % nc].type);
        kval v;
        if (!bind_const_value(b, x, &v))
            bind_fail(b, ve->pos, "datatable values must be constants");
        v.type = n->out.cols[i % nc].type;
        n->cells[i] = v;
    }
    return n;
}

kp *bind_maybe_tabular(binder *b, scope *s, const kql_expr *e)
{
    if (!expr_is_tabular(b, s, e, 0))
        return NULL;
    return bind_tabular(b, s, e);
}

static kp *bind_table_call(binder *b, scope *s, const kql_expr *e)
{
    const char *fname = e->u.call.name.name.s;
    if (!strcmp(fname, "table") || !strcmp(fname, "view")) {
        if (e->u.call.nargs < 1)
            bind_fail(b, e->pos, "table() needs a table name");
        kx *x = bind_scalar(b, s, NULL, e->u.call.args[0]);
        kval v;
        if (!bind_const_value(b, x, &v) || v.type != SP_TYPE_STRING)
            bind_fail(b, e->u.call.args[0]->pos, "table() needs a constant table name");
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)v.u.s.n, v.u.s.p);
        binding *bd = scope_find(s, name, strlen(name));
        if (bd && bd->kind == BIND_TABULAR)
            return bind_tabular(b, bd->defscope, bd->expr);
        kp *t = scan_of(b, name, e->pos);
        if (!t)
            bind_fail_missing(b, true, e->u.call.args[0]->pos, "unknown table '%s'", name);
        return t;
    }
    if (!strcmp(fname, "materialize")) {
        if (e->u.call.nargs != 1)
            bind_fail(b, e->pos, "materialize() takes one tabular argument");
        kp *body = bind_tabular(b, s, e->u.call.args[0]);
        kplan *p = b->plan;
        p->shared = sp_xrealloc(p->shared, sizeof(kp *) * (size_t)(p->nshared + 1));
        p->shared[p->nshared] = body;
        kp *n = node(b, KP_SHARED, NULL, e->pos);
        n->shared_id = p->nshared++;
        kp_schema_copy(p, &n->out, &body->out);
        return n;
    }
    if (!strcmp(fname, "_GetWatchlist")) {
        /* Watchlists live in store tables `watchlist:<name>` (the runtime loads them). */
        if (e->u.call.nargs != 1)
            bind_fail(b, e->pos, "_GetWatchlist() takes the watchlist name");
        kx *x = bind_scalar(b, s, NULL, e->u.call.args[0]);
        kval v;
        if (!bind_const_value(b, x, &v) || v.type != SP_TYPE_STRING)
            bind_fail(b, e->u.call.args[0]->pos, "_GetWatchlist() needs a constant watchlist name");
        char name[300];
        snprintf(name, sizeof name, "watchlist:%.*s", (int)v.u.s.n, v.u.s.p);
        sp_table *t = b->env && b->env->store ? sp_store_find(b->env->store, name) : NULL;
        if (!t)
            bind_fail_unresolved(b, e->u.call.args[0]->pos, "unknown watchlist '%.*s' (no %.*s.csv in the watchlist folder)",
                      (int)v.u.s.n, v.u.s.p, (int)v.u.s.n, v.u.s.p);
        kp *n = kp_scan(b->plan, t);
        n->line = (int)e->pos.line;
        n->col = (int)e->pos.col;
        return n;
    }
    binding *bd = scope_find(s, fname, e->u.call.name.name.len);
    if (bd && bd->kind == BIND_FUNCTION)
        return bind_user_tabular(b, s, e, bd);
    if (bd || kb_lookup(fname, e->u.call.name.name.len) >= 0 || ka_lookup(fname, e->u.call.name.name.len) >= 0)
        bind_fail(b, e->pos, "'%s' is not a tabular function", fname);
    /* Sentinel workspace functions (ASIM parsers such as _Im_Dns, saved functions) are
     * not part of a query; without their definition they do not exist here. */
    bind_fail_unresolved(b, e->u.call.name.pos, "unknown function '%s' (a workspace function socpipe has no definition of)", fname);
}

kp *bind_tabular(binder *b, scope *s, const kql_expr *e)
{
    if (++b->depth > 256)
        bind_fail(b, e->pos, "query nested too deeply");
    kp *r = NULL;
    switch (e->kind) {
    case KQL_E_NAME: {
        const char *name = e->u.name.name.s;
        binding *bd = scope_find(s, name, e->u.name.name.len);
        if (bd && bd->kind == BIND_TABULAR)
            r = bind_tabular(b, bd->defscope, bd->expr);
        else if (bd && bd->kind == BIND_SHARED)
            r = bind_shared_ref(b, bd, e->pos);
        else if (bd && bd->kind == BIND_PLAN)
            r = bd->plan;
        else if (bd && bd->kind == BIND_FUNCTION && bd->expr->u.lambda.nparams == 0) {
            /* a view, or any function without parameters, named without () */
            kql_expr call;
            memset(&call, 0, sizeof call);
            call.kind = KQL_E_CALL;
            call.pos = e->pos;
            call.u.call.name.name = e->u.name.name;
            r = bind_user_tabular(b, s, &call, bd);
        } else if (bd)
            bind_fail(b, e->pos, "'%s' is a %s, not a table", name, bd->kind == BIND_FUNCTION ? "function" : "scalar");
        else if (!(r = scan_of(b, name, e->pos)))
            bind_fail_missing(b, true, e->pos, "unknown table '%s'", name);
        break;
    }
    case KQL_E_PIPE: r = bind_pipe(b, s, e, NULL); break;
    case KQL_E_DATATABLE: r = bind_datatable(b, s, e); break;
    case KQL_E_EXTERNALDATA: r = bind_externaldata(b, e); break;
    case KQL_E_CALL: r = bind_table_call(b, s, e); break;
    default: bind_fail(b, e->pos, "expected a tabular expression");
    }
    b->depth--;
    return r;
}

static kp *bind_user_tabular_with(binder *b, scope *s, const kql_expr *call, binding *fnb, kp *piped);

/* A user function with a tabular body. */
static kp *bind_user_tabular(binder *b, scope *s, const kql_expr *call, binding *fnb)
{
    return bind_user_tabular_with(b, s, call, fnb, NULL);
}

/* piped: `T | invoke f(args)` passes T as the first (tabular) parameter. */
static kp *bind_user_tabular_with(binder *b, scope *s, const kql_expr *call, binding *fnb, kp *piped)
{
    const kql_expr *lam = fnb->expr;
    if (++b->depth > 64)
        bind_fail(b, call->pos, "functions nested too deeply (recursion?)");
    scope *inner = scope_new(fnb->defscope);
    size_t np = lam->u.lambda.nparams, shift = piped ? 1 : 0;
    if (call->u.call.nargs + shift > np)
        bind_fail(b, call->pos, "function '%s' takes %zu arguments, got %zu", call->u.call.name.name.s, np, call->u.call.nargs + shift);
    for (size_t i = 0; i < np; i++) {
        const kql_param_decl *p = &lam->u.lambda.params[i];
        if (piped && i == 0) {
            if (!p->type.tabular)
                bind_fail(b, call->pos, "invoke needs a function whose first parameter is a table");
            binding bd = {.name = p->name.name.s, .kind = BIND_PLAN, .plan = piped};
            scope_add(b, inner, bd);
            continue;
        }
        size_t ai = i - shift;
        const kql_expr *arg = ai < call->u.call.nargs ? call->u.call.args[ai] : p->deflt;
        if (!arg)
            bind_fail(b, call->pos, "missing argument '%s' of function '%s'", p->name.name.s, call->u.call.name.name.s);
        binding bd = {.name = p->name.name.s};
        scope *argscope = ai < call->u.call.nargs ? s : fnb->defscope;
        if (p->type.tabular) {
            bd.kind = BIND_PLAN;
            bd.plan = bind_tabular(b, argscope, arg);
        } else {
            bd.kind = BIND_SCALAR;
            kx *v = bind_scalar(b, argscope, NULL, arg);
            bd.scalar = p->type.scalar != SP_TYPE_NULL ? bind_convert(b, v, p->type.scalar) : v;
        }
        scope_add(b, inner, bd);
    }
    kp *result = NULL;
    for (size_t i = 0; i < lam->u.lambda.nbody; i++) {
        const kql_stmt *st = lam->u.lambda.body[i];
        if (st->kind == KQL_S_LET) {
            const kql_expr *v = st->u.let.value;
            binding bd = {.name = st->u.let.name.name.s, .defscope = inner, .expr = v};
            if (v->kind == KQL_E_LAMBDA)
                bd.kind = BIND_FUNCTION;
            else if (expr_is_tabular(b, inner, v, 0))
                bd.kind = BIND_TABULAR;
            else {
                bd.kind = BIND_SCALAR;
                bd.scalar = bind_scalar(b, inner, NULL, v);
            }
            scope_add(b, inner, bd);
        } else if (st->kind == KQL_S_EXPR) {
            result = bind_tabular(b, inner, st->u.expr);
        }
    }
    b->depth--;
    if (!result)
        bind_fail(b, call->pos, "function '%s' returns no table", call->u.call.name.name.s);
    return result;
}

/* ---- operators ---- */

static kp *op_where(binder *b, scope *s, kp *in, const kql_op *op)
{
    rowctx rc = {.in = &in->out, .input = in};
    kx *pred = bind_scalar(b, s, &rc, op->u.where.expr);
    if (pred->type != SP_TYPE_BOOL && pred->type != SP_TYPE_DYNAMIC)
        bind_fail(b, op->u.where.expr->pos, "where needs a bool predicate, got %s", sp_type_name(pred->type));
    if (pred->type != SP_TYPE_BOOL)
        pred = bind_convert(b, pred, SP_TYPE_BOOL);
    kp *n = node(b, KP_FILTER, in, op->pos);
    n->pred = pred;
    kp_schema_copy(b->plan, &n->out, &in->out);
    return n;
}

/* Name and value of an extend/project/summarize item (one name). */
static const kql_expr *item_parts(binder *b, const kql_expr *it, const char **name)
{
    if (it->kind == KQL_E_ASSIGN) {
        if (it->u.assign.nnames != 1)
            bind_fail(b, it->u.assign.names[1].pos, "the expression does not return several values");
        *name = it->u.assign.names[0].name.s;
        return it->u.assign.value;
    }
    *name = NULL;
    return it;
}

/* An extend/project item whose value calls a function with several outputs
 * (`(a, b) = series_fit_line(x)`, or unnamed): the function, its call and the names given. */
typedef struct tuple_item {
    const bind_tuple_fn *fn;
    const kql_expr *call;
    const kql_ident *names;
    int nnames;
} tuple_item;

static bool item_tuple(binder *b, scope *s, const kql_expr *it, tuple_item *t)
{
    const kql_expr *v = it->kind == KQL_E_ASSIGN ? it->u.assign.value : it;
    t->fn = bind_tuple_lookup(s, v);
    if (!t->fn)
        return false;
    t->call = v;
    t->names = it->kind == KQL_E_ASSIGN ? it->u.assign.names : NULL;
    t->nnames = it->kind == KQL_E_ASSIGN ? (int)it->u.assign.nnames : 0;
    if (t->nnames > t->fn->nout)
        bind_fail(b, t->names[t->fn->nout].pos, "%s() has %d outputs; the name '%s' has no value", t->fn->name,
                  t->fn->nout, t->names[t->fn->nout].name.s);
    return true;
}

/* Sets the outputs of tuple item t on project node p, read from the bag in column bag of
 * p's input: the names given, then Kusto's auto names (numbered when taken). */
static void tuple_set(binder *b, kp *p, const tuple_item *t, int bag)
{
    for (int i = 0; i < t->fn->nout; i++) {
        kx *x = bind_tuple_part(b, t->fn, i, bag);
        if (i < t->nnames) {
            project_set(b, p, t->names[i].name.s, x);
            continue;
        }
        const char *base = bind_tuple_autoname(b, t->fn, t->call, i);
        char nm[600];
        snprintf(nm, sizeof nm, "%s", base);
        for (int k = 1; kp_schema_find(&p->out, nm, strlen(nm)) >= 0; k++)
            snprintf(nm, sizeof nm, "%s%d", base, k);
        project_set(b, p, nm, x);
    }
}

static kp *op_extend(binder *b, scope *s, kp *in, const kql_op *op)
{
    kp *cur = in;
    b->column_counter = 0;
    for (size_t i = 0; i < op->u.list.nitems; i++) {
        tuple_item t;
        if (item_tuple(b, s, op->u.list.items[i], &t)) {
            /* the bag as a hidden column, then its parts in place of it */
            rowctx rc = {.in = &cur->out, .input = cur};
            kp *withbag = identity(b, cur, op->pos);
            project_set(b, withbag, "$tuple", bind_tuple_call(b, s, &rc, t.call));
            kp *p = identity_n(b, withbag, cur->out.ncols, op->pos);
            tuple_set(b, p, &t, withbag->out.ncols - 1);
            cur = p;
            continue;
        }
        const char *name;
        const kql_expr *v = item_parts(b, op->u.list.items[i], &name);
        rowctx rc = {.in = &cur->out, .input = cur};
        kx *x = bind_scalar(b, s, &rc, v);
        if (!name)
            name = bind_auto_name(b, v);
        if (!name)
            name = next_column_name(b, &cur->out);
        /* Each item may use the columns the previous ones made: one node per item. */
        kp *p = identity(b, cur, op->pos);
        project_set(b, p, name, x);
        cur = p;
    }
    return cur;
}

static kp *op_project(binder *b, scope *s, kp *in, const kql_op *op)
{
    /* Functions with several outputs first compute their bags as hidden columns after the
     * input's, which keep their positions. */
    kp *src = in;
    int *bags = sp_arena_alloc(&b->plan->arena, sizeof(int) * (op->u.list.nitems + 1));
    for (size_t i = 0; i < op->u.list.nitems; i++) {
        tuple_item t;
        bags[i] = -1;
        if (!item_tuple(b, s, op->u.list.items[i], &t))
            continue;
        if (src == in)
            src = identity(b, in, op->pos);
        rowctx rc0 = {.in = &in->out, .input = in};
        char nm[32];
        snprintf(nm, sizeof nm, "$tuple%zu", i);
        project_set(b, src, nm, bind_tuple_call(b, s, &rc0, t.call));
        bags[i] = src->out.ncols - 1;
    }
    kp *p = node(b, KP_PROJECT, src, op->pos);
    rowctx rc = {.in = &src->out, .input = src};
    b->column_counter = 0;
    for (size_t i = 0; i < op->u.list.nitems; i++) {
        const kql_expr *it = op->u.list.items[i];
        tuple_item t;
        if (bags[i] >= 0 && item_tuple(b, s, it, &t)) {
            tuple_set(b, p, &t, bags[i]);
            continue;
        }
        if (it->kind == KQL_E_NAME && it->u.name.wildcard) {
            for (int c = 0; c < in->out.ncols; c++)
                if (wild_match(it->u.name.name.s, in->out.cols[c].name) &&
                    kp_schema_find(&p->out, in->out.cols[c].name, strlen(in->out.cols[c].name)) < 0)
                    project_set(b, p, in->out.cols[c].name, kx_col(b->plan, c, in->out.cols[c].type));
            continue;
        }
        const char *name;
        const kql_expr *v = item_parts(b, it, &name);
        kx *x = bind_scalar(b, s, &rc, v);
        if (!name)
            name = bind_auto_name(b, v);
        if (!name)
            name = next_column_name(b, &p->out);
        if (kp_schema_find(&p->out, name, strlen(name)) >= 0)
            bind_fail(b, it->pos, "column '%s' is projected twice", name);
        project_set(b, p, name, x);
    }
    return p;
}

static kp *op_project_away_keep(binder *b, kp *in, const kql_op *op, bool keep)
{
    bool *hit = sp_xcalloc((size_t)in->out.ncols + 1, sizeof(bool));
    for (size_t i = 0; i < op->u.list.nitems; i++) {
        const kql_expr *it = op->u.list.items[i];
        if (it->kind != KQL_E_NAME) {
            free(hit);
            bind_fail(b, it->pos, "%s takes column names", kql_op_name(op->kind));
        }
        bool any = false;
        for (int c = 0; c < in->out.ncols; c++)
            if (it->u.name.wildcard ? wild_match(it->u.name.name.s, in->out.cols[c].name)
                                    : !strcmp(it->u.name.name.s, in->out.cols[c].name))
                hit[c] = any = true;
        if (!any && !it->u.name.wildcard) {
            free(hit);
            bind_fail(b, it->pos, "unknown column '%s'", it->u.name.name.s);
        }
    }
    kp *p = node(b, KP_PROJECT, in, op->pos);
    for (int c = 0; c < in->out.ncols; c++)
        if (hit[c] == keep)
            project_set(b, p, in->out.cols[c].name, kx_col(b->plan, c, in->out.cols[c].type));
    free(hit);
    return p;
}

static kp *op_project_rename(binder *b, kp *in, const kql_op *op)
{
    kp *p = identity(b, in, op->pos);
    for (size_t i = 0; i < op->u.list.nitems; i++) {
        const kql_expr *it = op->u.list.items[i];
        if (it->kind != KQL_E_ASSIGN || it->u.assign.value->kind != KQL_E_NAME)
            bind_fail(b, it->pos, "project-rename takes NewName = ExistingName");
        const char *from = it->u.assign.value->u.name.name.s, *to = it->u.assign.names[0].name.s;
        int c = kp_schema_find(&p->out, from, strlen(from));
        if (c < 0)
            bind_fail(b, it->u.assign.value->pos, "unknown column '%s'", from);
        p->out.cols[c].name = bind_str(b, to, strlen(to));
        p->items[c].name = p->out.cols[c].name;
    }
    return p;
}

static int cmp_names_asc(const void *x, const void *y)
{
    return strcmp(((const kp_named *)x)->name, ((const kp_named *)y)->name);
}

static int cmp_names_desc(const void *x, const void *y)
{
    return -cmp_names_asc(x, y);
}

static kp *op_project_reorder(binder *b, kp *in, const kql_op *op)
{
    kp *p = node(b, KP_PROJECT, in, op->pos);
    bool *used = sp_xcalloc((size_t)in->out.ncols + 1, sizeof(bool));
    for (size_t i = 0; i < op->u.sort.nkeys; i++) {
        const kql_sortkey *k = &op->u.sort.keys[i];
        if (k->expr->kind != KQL_E_NAME) {
            free(used);
            bind_fail(b, k->expr->pos, "project-reorder takes column names");
        }
        kp_named group[2048];
        int ng = 0;
        for (int c = 0; c < in->out.ncols && ng < 2048; c++)
            if (!used[c] && (k->expr->u.name.wildcard ? wild_match(k->expr->u.name.name.s, in->out.cols[c].name)
                                                      : !strcmp(k->expr->u.name.name.s, in->out.cols[c].name))) {
                used[c] = true;
                group[ng].name = in->out.cols[c].name;
                group[ng++].expr = kx_col(b->plan, c, in->out.cols[c].type);
            }
        if (k->dir_given)
            qsort(group, (size_t)ng, sizeof group[0], k->desc ? cmp_names_desc : cmp_names_asc);
        for (int g = 0; g < ng; g++)
            project_set(b, p, group[g].name, group[g].expr);
    }
    for (int c = 0; c < in->out.ncols; c++)
        if (!used[c])
            project_set(b, p, in->out.cols[c].name, kx_col(b->plan, c, in->out.cols[c].type));
    free(used);
    return p;
}

/* summarize aggs by keys; expressions over aggregates (`100.0 * countif(x) / count()`)
 * become hidden aggregate columns plus a project on top. */
typedef struct agg_collect {
    const kql_expr **calls;
    int n, cap;
} agg_collect;

/* Grows in the plan arena, so an error unwinding past it leaks nothing. */
static void collect_push(binder *b, agg_collect *ac, const kql_expr *e)
{
    if (ac->n == ac->cap) {
        int nc = ac->cap ? ac->cap * 2 : 8;
        const kql_expr **calls = sp_arena_alloc(&b->plan->arena, sizeof(*calls) * (size_t)nc);
        if (ac->n)
            memcpy(calls, ac->calls, sizeof(*calls) * (size_t)ac->n);
        ac->calls = calls;
        ac->cap = nc;
    }
    ac->calls[ac->n++] = e;
}

static void collect_aggs(binder *b, const kql_expr *e, agg_collect *ac)
{
    if (!e)
        return;
    if (e->kind == KQL_E_CALL && bind_is_aggregate(e)) {
        collect_push(b, ac, e);
        return;
    }
    switch (e->kind) {
    case KQL_E_CALL:
        for (size_t i = 0; i < e->u.call.nargs; i++)
            collect_aggs(b, e->u.call.args[i], ac);
        break;
    case KQL_E_BINARY:
        collect_aggs(b, e->u.binary.lhs, ac);
        collect_aggs(b, e->u.binary.rhs, ac);
        break;
    case KQL_E_UNARY: collect_aggs(b, e->u.unary.arg, ac); break;
    case KQL_E_MEMBER: collect_aggs(b, e->u.member.obj, ac); break;
    case KQL_E_INDEX:
        collect_aggs(b, e->u.index.obj, ac);
        collect_aggs(b, e->u.index.index, ac);
        break;
    case KQL_E_IN:
        collect_aggs(b, e->u.in.lhs, ac);
        break;
    case KQL_E_BETWEEN: collect_aggs(b, e->u.between.lhs, ac); break;
    default: break;
    }
}

/* Binds an expression in which aggregate calls have become columns of agg's output. */
typedef struct agg_subst {
    const kql_expr **calls;
    int *cols;
    int n;
} agg_subst;
static _Thread_local const agg_subst *current_subst;

int bind_agg_substitute(const kql_expr *e)
{
    if (!current_subst)
        return -1;
    for (int i = 0; i < current_subst->n; i++)
        if (current_subst->calls[i] == e)
            return current_subst->cols[i];
    return -1;
}

static kp *op_summarize(binder *b, scope *s, kp *in, const kql_op *op, kql_expr **aggs, size_t naggs,
                        kql_expr **by, size_t nby)
{
    kp *n = node(b, KP_AGGREGATE, in, op->pos);
    rowctx rc = {.in = &in->out, .input = in};
    kplan *p = b->plan;
    b->column_counter = 0;
    n->nkeys = (int)nby;
    n->keys = sp_arena_alloc(&p->arena, sizeof(kp_named) * (nby ? nby : 1));
    for (size_t i = 0; i < nby; i++) {
        const char *name;
        const kql_expr *v = item_parts(b, by[i], &name);
        kx *x = bind_scalar(b, s, &rc, v);
        if (!name)
            name = bind_auto_name(b, v);
        if (!name)
            name = next_column_name(b, &n->out);
        if (kp_schema_find(&n->out, name, strlen(name)) >= 0)
            bind_fail(b, by[i]->pos, "summarize key '%s' appears twice", name);
        n->keys[i].name = bind_str(b, name, strlen(name));
        n->keys[i].expr = x;
        add_col(b, &n->out, name, x->type);
    }
    /* Aggregates: direct ones name their column; expressions get a project on top. */
    kp_agg *av = sp_arena_calloc(&p->arena, sizeof(kp_agg) * (naggs * 8 + 1));
    int na = 0;
    bool need_project = false;
    const char **final_names = sp_arena_calloc(&p->arena, (naggs + 1) * sizeof(char *));
    const kql_expr **final_exprs = sp_arena_calloc(&p->arena, (naggs + 1) * sizeof(kql_expr *));
    agg_collect all = {0};
    int *call_cols = NULL;
    for (size_t i = 0; i < naggs; i++) {
        const kql_expr *it = aggs[i], *v = it;
        const char *name = NULL;
        const kql_ident *more = NULL; /* `(a, b) = arg_max(x, y)`: names after the first */
        int nmore = 0;
        if (it->kind == KQL_E_ASSIGN) {
            v = it->u.assign.value;
            name = it->u.assign.names[0].name.s;
            more = it->u.assign.names + 1;
            nmore = (int)it->u.assign.nnames - 1;
        }
        final_names[i] = name;
        final_exprs[i] = v;
        if (v->kind == KQL_E_CALL && bind_is_aggregate(v)) {
            if (na >= (int)(naggs * 8))
                bind_fail(b, v->pos, "too many aggregates");
            bind_aggregate(b, s, &rc, v, &av[na++], &n->out, name, more, nmore);
            continue;
        }
        if (nmore)
            bind_fail(b, more[0].pos, "the expression does not return several values");
        agg_collect ac = {0};
        collect_aggs(b, v, &ac);
        if (ac.n == 0)
            bind_fail(b, v->pos, "summarize needs an aggregate function here (count(), sum(), ...)");
        need_project = true;
        for (int k = 0; k < ac.n; k++) {
            if (na >= (int)(naggs * 8))
                bind_fail(b, v->pos, "too many aggregates");
            char hidden[32];
            snprintf(hidden, sizeof hidden, "__agg%d", na);
            bind_aggregate(b, s, &rc, ac.calls[k], &av[na], &n->out, bind_str(b, hidden, strlen(hidden)), NULL, 0);
            int *cc = sp_arena_alloc(&p->arena, sizeof(int) * (size_t)(all.n + 1));
            if (all.n)
                memcpy(cc, call_cols, sizeof(int) * (size_t)all.n);
            call_cols = cc;
            call_cols[all.n] = av[na].first_out;
            na++;
            collect_push(b, &all, ac.calls[k]);
        }
    }
    n->aggs = av;
    n->naggs = na;
    kp *result = n;
    if (need_project) {
        /* Rebuild the visible columns in order: keys, then each aggregate item. */
        agg_subst sub = {all.calls, call_cols, all.n};
        kp *pr = node(b, KP_PROJECT, n, op->pos);
        for (int k = 0; k < n->nkeys; k++)
            project_set(b, pr, n->out.cols[k].name, kx_col(p, k, n->out.cols[k].type));
        int direct = 0;
        for (size_t i = 0; i < naggs; i++) {
            const kql_expr *v = final_exprs[i];
            if (v->kind == KQL_E_CALL && bind_is_aggregate(v)) {
                /* the direct aggregate's outputs, in order */
                while (direct < na && av[direct].first_out >= 0 && n->out.cols[av[direct].first_out].name[0] == '_' &&
                       !strncmp(n->out.cols[av[direct].first_out].name, "__agg", 5))
                    direct++;
                for (int o = 0; o < av[direct].nout; o++) {
                    int c = av[direct].first_out + o;
                    project_set(b, pr, n->out.cols[c].name, kx_col(p, c, n->out.cols[c].type));
                }
                direct++;
                continue;
            }
            rowctx rc2 = {.in = &n->out, .input = n};
            current_subst = &sub;
            kx *x = bind_scalar(b, s, &rc2, v);
            current_subst = NULL;
            const char *name = final_names[i];
            if (!name)
                name = next_column_name(b, &pr->out);
            project_set(b, pr, name, x);
        }
        result = pr;
    }
    return result;
}

static void bind_sortkeys(binder *b, scope *s, kp *in, const kql_sortkey *keys, size_t nkeys, kp *n)
{
    rowctx rc = {.in = &in->out, .input = in};
    n->nsort = (int)nkeys;
    n->sort = sp_arena_alloc(&b->plan->arena, sizeof(kp_sortkey) * (nkeys ? nkeys : 1));
    for (size_t i = 0; i < nkeys; i++) {
        n->sort[i].expr = bind_scalar(b, s, &rc, keys[i].expr);
        n->sort[i].desc = keys[i].desc;
        /* Kusto: ascending puts nulls first, descending puts them last. */
        n->sort[i].nulls_first = keys[i].nulls == KQL_NULLS_DEFAULT ? !keys[i].desc : keys[i].nulls == KQL_NULLS_FIRST;
    }
}

/* Binds t, or returns NULL (leaving no error behind) when it fails to bind. */
/* A union isfuzzy=true leg: NULL when it names a table or tabular function that does not
 * exist (Kusto's fuzzy resolution: the leg is dropped and the query status gets a
 * warning, kept in the plan). Any other error fails the query: isfuzzy "applies only to
 * the union sources resolution phase" (union operator docs). */
static kp *try_bind_leg(binder *b, scope *s, const kql_expr *t)
{
    jmp_buf saved;
    memcpy(saved, b->fail, sizeof saved);
    sp_diag keep = *b->err;
    int depth = b->depth;
    kp *volatile leg = NULL;
    b->unresolved = false;
    if (setjmp(b->fail) == 0)
        leg = bind_tabular(b, s, t);
    memcpy(b->fail, saved, sizeof saved);
    b->tuple_ok = false;
    if (!leg) {
        if (!b->unresolved)
            longjmp(b->fail, 1); /* b->err holds the leg's error */
        kplan_warn(b->plan, b->err->line, b->err->col, "union isfuzzy=true: leg skipped: %s", b->err->msg);
        *b->err = keep;
        b->depth = depth;
        b->unresolved = false;
        b->missing_name = false;
    }
    return leg;
}

/* The output column of a union that input column ic feeds: its own name when no leg has
 * that name with another type, else the renamed `name_type[N]` column of its type. */
static int union_out_col(const kp *u, kp **inputs, int n, const kp_col *ic, bool has_source)
{
    bool conflict = false;
    for (int k = 0; k < n; k++) {
        int o = kp_schema_find(&inputs[k]->out, ic->name, strlen(ic->name));
        if (o >= 0 && inputs[k]->out.cols[o].type != ic->type)
            conflict = true;
    }
    if (!conflict) {
        int o = kp_schema_find(&u->out, ic->name, strlen(ic->name));
        return o == 0 && has_source ? -1 : o;
    }
    char nm[300];
    snprintf(nm, sizeof nm, "%s_%s", ic->name, sp_type_name(ic->type));
    size_t l = strlen(nm);
    /* x_long, or x_long1, x_long2 ... when x_long is a real column of some leg */
    for (int o = 0; o < u->out.ncols; o++) {
        const char *on = u->out.cols[o].name;
        if (strncmp(on, nm, l) != 0 || u->out.cols[o].type != ic->type)
            continue;
        const char *rest = on + l;
        bool digits = true;
        for (const char *q = rest; *q; q++)
            digits &= *q >= '0' && *q <= '9';
        bool real_col = false;
        for (int k = 0; k < n; k++)
            real_col |= kp_schema_find(&inputs[k]->out, on, strlen(on)) >= 0;
        if (digits && !real_col)
            return o;
    }
    return -1;
}

static kp *op_union(binder *b, scope *s, kp *first, const kql_op *op)
{
    const char *kind = param_word(op_param(op, "kind"));
    bool inner = kind && !strcmp(kind, "inner");
    const char *fuzzy = param_word(op_param(op, "isfuzzy"));
    bool isfuzzy = fuzzy && !strcmp(fuzzy, "true");
    const kql_opparam *ws = op_param(op, "withsource");
    const char *source = ws && ws->value && ws->value->kind == KQL_E_NAME ? ws->value->u.name.name.s : param_word(ws);
    kp *inputs[256];
    const char *names[256];
    int n = 0;
    if (first) {
        inputs[n] = first;
        names[n++] = first->kind == KP_SCAN ? first->table : "union_arg0";
    }
    for (size_t i = 0; i < op->u.uni.ntables && n < 256; i++) {
        const kql_expr *t = op->u.uni.tables[i];
        if (t->kind == KQL_E_NAME && t->u.name.wildcard) {
            const char *tabs[512];
            int nt = known_tables(b, tabs, 512);
            for (int k = 0; k < nt && n < 256; k++)
                if (wild_match(t->u.name.name.s, tabs[k])) {
                    inputs[n] = scan_of(b, tabs[k], t->pos);
                    names[n++] = tabs[k];
                }
            continue;
        }
        if (isfuzzy) {
            kp *leg = try_bind_leg(b, s, t);
            if (!leg)
                continue;
            inputs[n] = leg;
        } else {
            inputs[n] = bind_tabular(b, s, t);
        }
        char buf[32];
        snprintf(buf, sizeof buf, "union_arg%d", n);
        names[n] = t->kind == KQL_E_NAME ? t->u.name.name.s : inputs[n]->kind == KP_SCAN ? inputs[n]->table : bind_str(b, buf, strlen(buf));
        n++;
    }
    if (isfuzzy && n == 0)
        bind_fail_unresolved(b, op->pos, "union isfuzzy=true: none of its tables or functions exists");
    kp *u = node(b, KP_UNION, NULL, op->pos);
    kplan *p = b->plan;
    if (source)
        add_col(b, &u->out, source, SP_TYPE_STRING);
    /* Output columns: by name in first-seen order; a name with several types becomes
     * one column per type, suffixed `_type` as Kusto does. */
    for (int j = 0; j < n; j++) {
        for (int c = 0; c < inputs[j]->out.ncols; c++) {
            const kp_col *col = &inputs[j]->out.cols[c];
            bool conflict = false;
            for (int k = 0; k < n; k++) {
                int o = kp_schema_find(&inputs[k]->out, col->name, strlen(col->name));
                if (o >= 0 && inputs[k]->out.cols[o].type != col->type)
                    conflict = true;
            }
            char nm[300];
            if (conflict) {
                snprintf(nm, sizeof nm, "%s_%s", col->name, sp_type_name(col->type));
                /* a renamed column that meets a real column of that name is numbered */
                bool taken = false;
                for (int k = 0; k < n; k++)
                    taken |= kp_schema_find(&inputs[k]->out, nm, strlen(nm)) >= 0;
                if (taken) {
                    char base[280];
                    snprintf(base, sizeof base, "%s", nm);
                    for (int k = 1;; k++) {
                        snprintf(nm, sizeof nm, "%s%d", base, k);
                        bool used = kp_schema_find(&u->out, nm, strlen(nm)) >= 0;
                        for (int q = 0; q < n; q++)
                            used |= kp_schema_find(&inputs[q]->out, nm, strlen(nm)) >= 0;
                        if (!used)
                            break;
                    }
                }
                /* several legs with the same (name, type) share the renamed column */
                bool seen = false;
                for (int k = 0; k < j && !seen; k++) {
                    int o = kp_schema_find(&inputs[k]->out, col->name, strlen(col->name));
                    seen = o >= 0 && inputs[k]->out.cols[o].type == col->type;
                }
                if (seen)
                    continue;
            } else {
                snprintf(nm, sizeof nm, "%s", col->name);
            }
            if (kp_schema_find(&u->out, nm, strlen(nm)) >= 0)
                continue;
            if (inner) {
                bool everywhere = true;
                for (int k = 0; k < n; k++)
                    everywhere &= kp_schema_find(&inputs[k]->out, col->name, strlen(col->name)) >= 0;
                if (!everywhere)
                    continue;
            }
            add_col(b, &u->out, nm, col->type);
        }
    }
    u->ninputs = n;
    u->inputs = sp_arena_alloc(&p->arena, sizeof(kp *) * (size_t)(n ? n : 1));
    u->union_map = sp_arena_alloc(&p->arena, sizeof(int *) * (size_t)(n ? n : 1));
    u->source_col = source ? u->out.cols[0].name : NULL;
    u->source_names = sp_arena_alloc(&p->arena, sizeof(char *) * (size_t)(n ? n : 1));
    for (int j = 0; j < n; j++) {
        u->inputs[j] = inputs[j];
        u->source_names[j] = kplan_strdup(p, names[j], strlen(names[j])); /* names may live in the AST */
        u->union_map[j] = sp_arena_alloc(&p->arena, sizeof(int) * (size_t)(u->out.ncols ? u->out.ncols : 1));
        for (int i = 0; i < u->out.ncols; i++) {
            u->union_map[j][i] = -1;
            if (source && i == 0)
                continue;
            (void)i;
        }
        /* Map by recomputing each input column's output name as above. */
        for (int c = 0; c < inputs[j]->out.ncols; c++) {
            const kp_col *ic = &inputs[j]->out.cols[c];
            int o = union_out_col(u, inputs, n, ic, source != NULL);
            if (o >= 0)
                u->union_map[j][o] = c;
        }
    }
    return u;
}

/* One join key pair from an `on` item: `Col`, `$left.a == $right.b`, or an `and` chain. */
static void join_keys(binder *b, scope *s, const kql_expr *e, kp *left, kp *right, kx **lk, kx **rk, int *nk)
{
    if (*nk >= 64)
        bind_fail(b, e->pos, "too many join keys");
    if (e->kind == KQL_E_NAME) {
        const char *nm = e->u.name.name.s;
        int l = kp_schema_find(&left->out, nm, strlen(nm)), r = kp_schema_find(&right->out, nm, strlen(nm));
        if (l < 0 || r < 0)
            bind_fail(b, e->pos, "join key '%s' is not a column of %s", nm, l < 0 && r < 0 ? "either side" : l < 0 ? "the left side" : "the right side");
        sp_type t;
        if (!bind_unify(left->out.cols[l].type, right->out.cols[r].type, &t))
            bind_fail(b, e->pos, "join key '%s' has type %s on the left and %s on the right", nm,
                      sp_type_name(left->out.cols[l].type), sp_type_name(right->out.cols[r].type));
        lk[*nk] = bind_convert(b, kx_col(b->plan, l, left->out.cols[l].type), t);
        rk[*nk] = bind_convert(b, kx_col(b->plan, r, right->out.cols[r].type), t);
        (*nk)++;
        return;
    }
    if (e->kind == KQL_E_BINARY && e->u.binary.op == KQL_OP_AND) {
        join_keys(b, s, e->u.binary.lhs, left, right, lk, rk, nk);
        join_keys(b, s, e->u.binary.rhs, left, right, lk, rk, nk);
        return;
    }
    if (e->kind == KQL_E_BINARY && e->u.binary.op == KQL_OP_EQ) {
        const kql_expr *x = e->u.binary.lhs, *y = e->u.binary.rhs;
        /* Each side names its table through $left/$right somewhere inside. */
        const kql_expr *lx = NULL, *rx = NULL;
        const kql_expr *sides[2] = {x, y};
        for (int i = 0; i < 2; i++) {
            const kql_expr *q = sides[i];
            while (q->kind == KQL_E_MEMBER && q->u.member.obj->kind != KQL_E_NAME)
                q = q->u.member.obj;
            while (q->kind == KQL_E_CALL && q->u.call.nargs > 0)
                q = q->u.call.args[0];
            while (q->kind == KQL_E_MEMBER && q->u.member.obj->kind != KQL_E_NAME)
                q = q->u.member.obj;
            const char *side = q->kind == KQL_E_MEMBER ? q->u.member.obj->u.name.name.s : "";
            if (!strcmp(side, "$left"))
                lx = sides[i];
            else if (!strcmp(side, "$right"))
                rx = sides[i];
        }
        if (!lx || !rx)
            bind_fail(b, e->pos, "a join condition compares $left.<column> with $right.<column>");
        rowctx lrc = {.left = &left->out, .right = NULL, .in = NULL};
        rowctx rrc = {.left = NULL, .right = &right->out, .in = NULL};
        kx *l = bind_scalar(b, s, &lrc, lx), *r = bind_scalar(b, s, &rrc, rx);
        sp_type t;
        if (!bind_unify(l->type, r->type, &t))
            bind_fail(b, e->pos, "join keys of types %s and %s cannot be compared", sp_type_name(l->type), sp_type_name(r->type));
        lk[*nk] = bind_convert(b, l, t);
        rk[*nk] = bind_convert(b, r, t);
        (*nk)++;
        return;
    }
    bind_fail(b, e->pos, "unsupported: join condition (use column names or $left.a == $right.b)");
}

/* The output columns of join node j (inputs[0] left, inputs[1] right): the left's, then
 * the right's except skip_right[c], a name already taken numbered (the `1` suffix). */
static void join_outputs(binder *b, kp *j, bool with_left, bool with_right, const bool *skip_right)
{
    const kp *left = j->inputs[0], *right = j->inputs[1];
    int cap = left->out.ncols + right->out.ncols + 1, no = 0;
    j->join_side = sp_arena_alloc(&b->plan->arena, sizeof(int) * (size_t)cap);
    j->join_col = sp_arena_alloc(&b->plan->arena, sizeof(int) * (size_t)cap);
    for (int c = 0; with_left && c < left->out.ncols; c++) {
        add_col(b, &j->out, left->out.cols[c].name, left->out.cols[c].type);
        j->join_side[no] = 0;
        j->join_col[no++] = c;
    }
    for (int c = 0; with_right && c < right->out.ncols; c++) {
        if (skip_right && skip_right[c])
            continue;
        const char *nm = right->out.cols[c].name;
        char buf[300];
        snprintf(buf, sizeof buf, "%s", nm);
        for (int suffix = 1; kp_schema_find(&j->out, buf, strlen(buf)) >= 0; suffix++)
            snprintf(buf, sizeof buf, "%s%d", nm, suffix);
        add_col(b, &j->out, buf, right->out.cols[c].type);
        j->join_side[no] = 1;
        j->join_col[no++] = c;
    }
}

static kp *op_join(binder *b, scope *s, kp *left, const kql_op *op, bool lookup)
{
    kp *right = bind_tabular(b, s, op->u.join.right);
    static const kp_join_kind map[] = {KJ_INNERUNIQUE, KJ_INNERUNIQUE, KJ_INNER, KJ_LEFTOUTER, KJ_RIGHTOUTER,
                                       KJ_FULLOUTER, KJ_LEFTANTI, KJ_RIGHTANTI, KJ_LEFTSEMI, KJ_RIGHTSEMI};
    kp_join_kind kind = op->u.join.jkind == KQL_JOIN_DEFAULT ? (lookup ? KJ_LEFTOUTER : KJ_INNERUNIQUE) : map[op->u.join.jkind];
    if (lookup && kind != KJ_LEFTOUTER && kind != KJ_INNER)
        bind_fail(b, op->pos, "lookup supports kind=leftouter or kind=inner");
    kp *j = node(b, KP_JOIN, NULL, op->pos);
    kplan *p = b->plan;
    j->join_kind = kind;
    j->is_lookup = lookup;
    j->ninputs = 2;
    j->inputs = sp_arena_alloc(&p->arena, 2 * sizeof(kp *));
    j->inputs[0] = left;
    j->inputs[1] = right;
    kx *lk[64], *rk[64];
    int nk = 0;
    if (op->u.join.non == 0)
        bind_fail(b, op->pos, "%s needs `on` keys", lookup ? "lookup" : "join");
    for (size_t i = 0; i < op->u.join.non; i++)
        join_keys(b, s, op->u.join.on[i], left, right, lk, rk, &nk);
    j->njoinkeys = nk;
    j->lkeys = sp_arena_alloc(&p->arena, sizeof(kx *) * (size_t)nk);
    j->rkeys = sp_arena_alloc(&p->arena, sizeof(kx *) * (size_t)nk);
    memcpy(j->lkeys, lk, sizeof(kx *) * (size_t)nk);
    memcpy(j->rkeys, rk, sizeof(kx *) * (size_t)nk);
    bool *skip = sp_arena_calloc(&p->arena, (size_t)right->out.ncols + 1);
    if (lookup) /* lookup docs: the right columns that are the basis of the match are not
                 * repeated (`on Col` and `on $left.a == $right.b` alike) */
        for (int k = 0; k < nk; k++)
            if (rk[k]->kind == KX_COL)
                skip[rk[k]->colidx] = true;
    join_outputs(b, j, kind != KJ_RIGHTANTI && kind != KJ_RIGHTSEMI, kind != KJ_LEFTANTI && kind != KJ_LEFTSEMI, skip);
    return j;
}

static kp *op_mvexpand(binder *b, scope *s, kp *in, const kql_op *op, bool legacy)
{
    kp *pre = identity(b, in, op->pos); /* expressions become columns first */
    kp *n = node(b, KP_MVEXPAND, pre, op->pos);
    kplan *p = b->plan;
    n->nexpand = (int)op->u.mv.nitems;
    n->expand = sp_arena_calloc(&p->arena, sizeof(kp_expand) * (op->u.mv.nitems ? op->u.mv.nitems : 1));
    rowctx rc = {.in = &in->out, .input = in};
    for (size_t i = 0; i < op->u.mv.nitems; i++) {
        const kql_mvitem *it = &op->u.mv.items[i];
        const char *name;
        const kql_expr *v = item_parts(b, it->expr, &name);
        kx *x = bind_scalar(b, s, &rc, v);
        if (!name)
            name = bind_auto_name(b, v);
        if (!name)
            name = next_column_name(b, &pre->out);
        if (x->type != SP_TYPE_DYNAMIC) /* mv-expand docs: an array or a property bag */
            bind_fail(b, v->pos, "mv-expand needs a dynamic array or bag, not %s", sp_type_name(x->type));
        project_set(b, pre, name, x);
        n->expand[i].colidx = kp_schema_find(&pre->out, name, strlen(name));
        n->expand[i].name = bind_str(b, name, strlen(name));
        n->expand[i].to_type = it->has_type ? it->to_type.scalar : SP_TYPE_DYNAMIC;
    }
    kp_schema_copy(p, &n->out, &pre->out);
    for (int i = 0; i < n->nexpand; i++)
        n->out.cols[n->expand[i].colidx].type = n->expand[i].to_type;
    const char *bag = param_word(op_param(op, "bagexpansion"));
    if (!bag)
        bag = param_word(op_param(op, "kind")); /* kind= is bagexpansion='s other spelling */
    n->bagexp = bag && !strcmp(bag, "array") ? KP_BAGEXP_ARRAY : KP_BAGEXP_BAG;
    const kql_opparam *ix = op_param(op, "with_itemindex");
    if (ix) {
        const char *nm = param_word(ix);
        if (!nm)
            bind_fail(b, ix->name.pos, "with_itemindex= needs a column name");
        n->itemindex = bind_str(b, nm, strlen(nm));
        add_col(b, &n->out, nm, SP_TYPE_LONG);
    }
    n->expand_limit = op->u.mv.limit ? const_long(b, s, op->u.mv.limit, "mv-expand limit") : legacy ? 128 : 0;
    return n;
}

static void regex_escape(sp_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strchr("\\.+*?()[]{}|^$", s[i]))
            sp_buf_putc(out, '\\');
        sp_buf_putc(out, s[i]);
    }
}

/* Capturing groups a regex fragment opens: `(` not escaped, not in a class, and not
 * `(?...` unless a named group (`(?<name>`, `(?P<name>`). */
static int count_groups(const char *re, size_t n)
{
    int groups = 0;
    bool in_class = false;
    for (size_t i = 0; i < n; i++) {
        char c = re[i];
        if (c == '\\') {
            i++;
            continue;
        }
        if (in_class) {
            in_class = c != ']';
            continue;
        }
        if (c == '[') {
            in_class = true;
            if (i + 1 < n && re[i + 1] == ']')
                i++; /* `[]...]`: the first ] is a member */
            continue;
        }
        if (c != '(')
            continue;
        if (i + 1 >= n || re[i + 1] != '?') {
            groups++;
            continue;
        }
        size_t j = i + 2;
        if (j < n && re[j] == 'P')
            j++;
        if (j + 1 < n && re[j] == '<' && re[j + 1] != '=' && re[j + 1] != '!')
            groups++;
    }
    return groups;
}

static kp *op_parse(binder *b, scope *s, kp *in, const kql_op *op, bool where)
{
    const char *kind = param_word(op_param(op, "kind"));
    bool regex = kind && !strcmp(kind, "regex");
    /* relaxed: a value that does not convert to its column's type is null, and the other
     * columns keep theirs (simple mode fails the row) */
    bool relaxed = kind && !strcmp(kind, "relaxed");
    const char *flags = param_word(op_param(op, "flags"));
    rowctx rc = {.in = &in->out, .input = in};
    kx *src = bind_convert(b, bind_scalar(b, s, &rc, op->u.parse.source), SP_TYPE_STRING);
    sp_buf re = {0};
    bool ungreedy = false;
    if (flags)
        for (const char *f = flags; *f; f++) {
            if (*f == 'i' || *f == 'm' || *f == 's')
                sp_buf_printf(&re, "(?%c)", *f);
            else if (*f == 'U')
                ungreedy = true;
        }
    /* Simple mode: columns take text lazily up to the next literal. Regex mode: greedy
     * unless flags=U, as RE2's default. */
    const char *lazy_star = regex && !ungreedy ? ".*" : ".*?";
    const char *col_re = regex && !ungreedy ? "(?s:(.*))" : "(?s:(.*?))";
    if (!regex)
        sp_buf_putc(&re, '^');
    /* The capture group of each column: regex-mode constants may open groups of their
     * own, which come first in the numbering. */
    size_t ne = op->u.parse.nelems;
    int *group_of = sp_arena_alloc(&b->plan->arena, sizeof(int) * (ne + 1));
    int groups = 0;
    for (size_t i = 0; i < ne; i++) {
        const kql_parse_elem *el = &op->u.parse.elems[i];
        bool last = i + 1 == ne;
        switch (el->kind) {
        case KQL_PE_STAR: sp_buf_printf(&re, "(?s:%s)", lazy_star); break;
        case KQL_PE_STRING:
            if (regex) {
                sp_buf_append(&re, el->text.s, el->text.len);
                groups += count_groups(el->text.s, el->text.len);
            } else {
                regex_escape(&re, el->text.s, el->text.len);
            }
            break;
        case KQL_PE_COLUMN:
            /* A number column takes a number; in relaxed mode, failing that, any text (up
             * to what follows), which then converts to null. */
            if (el->typed && (el->col.type == SP_TYPE_LONG || el->col.type == SP_TYPE_INT))
                sp_buf_puts(&re, relaxed ? "(-?[0-9]+|(?s:.*?))" : "(-?[0-9]+)");
            else if (el->typed && el->col.type == SP_TYPE_REAL)
                sp_buf_puts(&re, relaxed ? "(-?[0-9]+(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|(?s:.*?))"
                                         : "(-?[0-9]+(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)");
            else
                sp_buf_puts(&re, last && !regex ? "(?s:(.*))" : col_re);
            group_of[i] = ++groups;
            break;
        }
    }
    kval pat = {.type = SP_TYPE_STRING, .u.s = {bind_str(b, re.data ? re.data : "", re.len), (uint32_t)re.len}};
    sp_buf_free(&re);
    kx *patx = kx_const(b->plan, pat);
    patx->line = (int)op->pos.line;
    patx->col = (int)op->pos.col;
    kp *cur = in;
    if (where) {
        kp *f = node(b, KP_FILTER, cur, op->pos);
        f->pred = kx_call2(b->plan, KB_matches_regex, SP_TYPE_BOOL, src, patx);
        kp_schema_copy(b->plan, &f->out, &cur->out);
        cur = f;
    }
    kp *p = identity(b, cur, op->pos);
    for (size_t i = 0; i < ne; i++) {
        const kql_parse_elem *el = &op->u.parse.elems[i];
        if (el->kind != KQL_PE_COLUMN)
            continue;
        kval g = {.type = SP_TYPE_LONG, .u.l = group_of[i]};
        kx *args[3] = {patx, kx_const(b->plan, g), src};
        sp_type t = el->typed ? el->col.type : SP_TYPE_STRING;
        kx *x = kx_call(b->plan, KB_extract, t, args, 3);
        x->line = (int)el->pos.line;
        x->col = (int)el->pos.col;
        project_set(b, p, el->col.name.name.s, x);
    }
    return p;
}

static kp *op_print(binder *b, scope *s, const kql_op *op)
{
    kp *one = node(b, KP_VALUES, NULL, op->pos);
    one->nrows = 1;
    one->cells = sp_arena_calloc(&b->plan->arena, sizeof(kval));
    kp *p = node(b, KP_PROJECT, one, op->pos);
    rowctx rc = {.in = &one->out, .input = one};
    for (size_t i = 0; i < op->u.list.nitems; i++) {
        const char *name;
        const kql_expr *v = item_parts(b, op->u.list.items[i], &name);
        kx *x = bind_scalar(b, s, &rc, v);
        char buf[32];
        if (!name) {
            snprintf(buf, sizeof buf, "print_%zu", i);
            name = buf;
        }
        project_set(b, p, name, x);
    }
    return p;
}

static kp *op_range(binder *b, scope *s, const kql_op *op)
{
    kx *from = bind_scalar(b, s, NULL, op->u.range.from), *to = bind_scalar(b, s, NULL, op->u.range.to),
       *step = bind_scalar(b, s, NULL, op->u.range.step);
    kval f, t, st;
    if (!bind_const_value(b, from, &f) || !bind_const_value(b, to, &t) || !bind_const_value(b, step, &st)) {
        /* Bounds known only when the query runs (toscalar() of a query): the executor
         * evaluates them once and generates the rows then. */
        if (kx_uses_row(from) || kx_uses_row(to) || kx_uses_row(step))
            bind_fail(b, op->pos, "range bounds and step must be scalars, not columns");
        sp_type ty;
        if (!bind_unify(from->type, to->type, &ty) || ty == SP_TYPE_STRING || ty == SP_TYPE_BOOL || ty == SP_TYPE_DYNAMIC)
            bind_fail(b, op->pos, "range needs numbers, datetimes or timespans");
        kp *n = node(b, KP_VALUES, NULL, op->pos);
        add_col(b, &n->out, op->u.range.col.name.s, ty == SP_TYPE_INT ? SP_TYPE_LONG : ty);
        n->range_from = bind_convert(b, from, n->out.cols[0].type);
        n->range_to = bind_convert(b, to, n->out.cols[0].type);
        bool timelike = ty == SP_TYPE_DATETIME || ty == SP_TYPE_TIMESPAN;
        n->range_step = bind_convert(b, step, timelike ? SP_TYPE_TIMESPAN : n->out.cols[0].type);
        return n;
    }
    if (f.null || t.null || st.null)
        bind_fail(b, op->pos, "range bounds and step must not be null");
    sp_type ty;
    if (!bind_unify(f.type, t.type, &ty))
        bind_fail(b, op->pos, "range bounds have different types");
    kp *n = node(b, KP_VALUES, NULL, op->pos);
    add_col(b, &n->out, op->u.range.col.name.s, ty == SP_TYPE_INT ? SP_TYPE_LONG : ty);
    int cap = 1024, rows = 0;
    n->cells = sp_xmalloc(sizeof(kval) * (size_t)cap);
    bool real = ty == SP_TYPE_REAL;
    double fr = f.type == SP_TYPE_REAL ? f.u.r : (double)f.u.l, tr = t.type == SP_TYPE_REAL ? t.u.r : (double)t.u.l;
    double sr = st.type == SP_TYPE_REAL ? st.u.r : (double)st.u.l;
    int64_t fl = f.u.l, tl = t.u.l, sl = st.type == SP_TYPE_REAL ? (int64_t)st.u.r : st.u.l;
    if ((real && sr == 0) || (!real && sl == 0))
        bind_fail(b, op->pos, "range step must not be zero");
    for (int64_t i = 0;; i++) {
        kval v = {.type = n->out.cols[0].type};
        if (real) {
            v.u.r = fr + (double)i * sr;
            if ((sr > 0 && v.u.r > tr) || (sr < 0 && v.u.r < tr))
                break;
        } else {
            v.u.l = fl + i * sl;
            if ((sl > 0 && v.u.l > tl) || (sl < 0 && v.u.l < tl))
                break;
        }
        if (rows >= 10000000)
            bind_fail(b, op->pos, "range produces more than 10,000,000 rows");
        if (rows == cap) {
            cap *= 2;
            n->cells = sp_xrealloc(n->cells, sizeof(kval) * (size_t)cap);
        }
        n->cells[rows++] = v;
    }
    kval *cells = sp_arena_alloc(&b->plan->arena, sizeof(kval) * (size_t)(rows ? rows : 1));
    memcpy(cells, n->cells, sizeof(kval) * (size_t)rows);
    free(n->cells);
    n->cells = cells;
    n->nrows = rows;
    return n;
}

/* A plugin argument that must be a column of schema sch: its index. */
static int plugin_column(binder *b, const kql_expr *a, const kp_schema *sch, const char *plugin, const char *what)
{
    if (a->kind != KQL_E_NAME)
        bind_fail(b, a->pos, "%s(): %s must be a column name", plugin, what);
    int c = kp_schema_find(sch, a->u.name.name.s, a->u.name.name.len);
    if (c < 0)
        bind_fail(b, a->pos, "%s(): unknown column '%s'", plugin, a->u.name.name.s);
    return c;
}

/* evaluate ipv4_lookup(LookupTable, SourceIPv4Key, IPv4LookupKey [, ExtraKey...]
 * [, return_unmatched]): a join on "address in network" plus equal extra keys (the same
 * column name on both sides). Output as lookup's: the input's columns, then the lookup
 * table's without the extra keys, clashing names numbered. */
static kp *op_ipv4_lookup(binder *b, scope *s, kp *in, const kql_op *op)
{
    const kql_expr *call = op->u.evaluate.call;
    const kql_expr *const *a = (const kql_expr *const *)call->u.call.args;
    size_t nargs = call->u.call.nargs;
    if (!in)
        bind_fail(b, op->pos, "evaluate ipv4_lookup() needs an input");
    bool unmatched = false;
    /* return_unmatched: last, as `return_unmatched = bool` or a bool constant */
    if (nargs > 3) {
        const kql_expr *last = a[nargs - 1];
        bool named = last->kind == KQL_E_ASSIGN && !strcmp(last->u.assign.names[0].name.s, "return_unmatched");
        if (named || last->kind != KQL_E_NAME) {
            kval v;
            kx *x = bind_scalar(b, s, NULL, named ? last->u.assign.value : last);
            if (!bind_const_value(b, x, &v) || v.type != SP_TYPE_BOOL || v.null)
                bind_fail(b, last->pos, "ipv4_lookup(): return_unmatched must be a bool constant");
            unmatched = v.u.b;
            nargs--;
        }
    }
    if (nargs < 3)
        bind_fail(b, call->pos, "ipv4_lookup() takes a lookup table, the input's address column and the table's network column");
    kp *right = bind_tabular(b, s, a[0]);
    int lc = plugin_column(b, a[1], &in->out, "ipv4_lookup", "SourceIPv4Key");
    int rc = plugin_column(b, a[2], &right->out, "ipv4_lookup", "IPv4LookupKey");
    kplan *p = b->plan;
    kp *j = node(b, KP_JOIN, NULL, op->pos);
    j->join_kind = unmatched ? KJ_LEFTOUTER : KJ_INNER;
    j->is_lookup = true;
    j->ip_lookup = true;
    j->ninputs = 2;
    j->inputs = sp_arena_alloc(&p->arena, 2 * sizeof(kp *));
    j->inputs[0] = in;
    j->inputs[1] = right;
    int nk = (int)nargs - 2;
    j->njoinkeys = nk;
    j->lkeys = sp_arena_alloc(&p->arena, sizeof(kx *) * (size_t)nk);
    j->rkeys = sp_arena_alloc(&p->arena, sizeof(kx *) * (size_t)nk);
    j->lkeys[0] = bind_convert(b, kx_col(p, lc, in->out.cols[lc].type), SP_TYPE_STRING);
    j->rkeys[0] = bind_convert(b, kx_col(p, rc, right->out.cols[rc].type), SP_TYPE_STRING);
    for (int k = 1; k < nk; k++) {
        const kql_expr *e = a[2 + k];
        int l = plugin_column(b, e, &in->out, "ipv4_lookup", "an extra key");
        int r = plugin_column(b, e, &right->out, "ipv4_lookup", "an extra key");
        sp_type t;
        if (!bind_unify(in->out.cols[l].type, right->out.cols[r].type, &t))
            bind_fail(b, e->pos, "ipv4_lookup(): key '%s' has types %s and %s", e->u.name.name.s,
                      sp_type_name(in->out.cols[l].type), sp_type_name(right->out.cols[r].type));
        j->lkeys[k] = bind_convert(b, kx_col(p, l, in->out.cols[l].type), t);
        j->rkeys[k] = bind_convert(b, kx_col(p, r, right->out.cols[r].type), t);
    }
    bool *skip = sp_arena_calloc(&p->arena, (size_t)right->out.ncols + 1); /* the extra keys */
    for (int k = 1; k < nk; k++)
        skip[kp_schema_find(&right->out, a[2 + k]->u.name.name.s, a[2 + k]->u.name.name.len)] = true;
    join_outputs(b, j, true, true, skip);
    return j;
}

/* `~` (written '~') stands for a plugin argument's default. */
static bool plugin_default(const kql_expr *a)
{
    return a->kind == KQL_E_LITERAL && a->u.lit.type == SP_TYPE_STRING && a->u.lit.s.len == 1 && a->u.lit.s.s[0] == '~';
}

/* evaluate basket([Threshold, WeightColumn, MaxDimensions, CustomWildcard, ...]). */
static kp *op_basket(binder *b, scope *s, kp *in, const kql_op *op)
{
    const kql_expr *call = op->u.evaluate.call;
    const kql_expr *const *a = (const kql_expr *const *)call->u.call.args;
    size_t nargs = call->u.call.nargs;
    if (!in)
        bind_fail(b, op->pos, "evaluate basket() needs an input");
    kplan *p = b->plan;
    kp *n = node(b, KP_BASKET, in, op->pos);
    n->basket_threshold = 0.05;
    n->basket_weight = -1;
    n->basket_maxdims = 5;
    n->basket_wildcard = sp_arena_alloc(&p->arena, sizeof(kval) * (size_t)(in->out.ncols + 1));
    sp_type wild_type[16];
    kval wild_value[16];
    int nwild = 0;
    for (size_t i = 0; i < nargs; i++) {
        if (plugin_default(a[i]))
            continue;
        if (i == 1) {
            n->basket_weight = plugin_column(b, a[1], &in->out, "basket", "WeightColumn");
            sp_type t = in->out.cols[n->basket_weight].type;
            if (t != SP_TYPE_INT && t != SP_TYPE_LONG && t != SP_TYPE_REAL)
                bind_fail(b, a[1]->pos, "basket(): the weight column must be numeric, not %s", sp_type_name(t));
            continue;
        }
        kval v;
        kx *x = bind_scalar(b, s, NULL, a[i]);
        if (!bind_const_value(b, x, &v))
            bind_fail(b, a[i]->pos, "basket(): argument %zu must be a constant", i + 1);
        if (i == 0) {
            /* the docs give 0.015..1; Sentinel rules use less (0.001), which is accepted */
            double t = v.null ? -1 : v.type == SP_TYPE_REAL ? v.u.r : (double)v.u.l;
            if (!(t > 0 && t <= 1) || (v.type != SP_TYPE_REAL && v.type != SP_TYPE_LONG && v.type != SP_TYPE_INT))
                bind_fail(b, a[0]->pos, "basket(): the threshold must be a number in (0, 1]");
            n->basket_threshold = t;
        } else if (i == 2) {
            if (v.null || (v.type != SP_TYPE_LONG && v.type != SP_TYPE_INT) || v.u.l < 1)
                bind_fail(b, a[2]->pos, "basket(): MaxDimensions must be a positive whole number");
            n->basket_maxdims = (int)SP_MIN(v.u.l, 63);
        } else if (nwild < 16) {
            wild_type[nwild] = v.type;
            wild_value[nwild++] = v;
        }
    }
    add_col(b, &n->out, "SegmentId", SP_TYPE_LONG);
    add_col(b, &n->out, "Count", SP_TYPE_LONG);
    add_col(b, &n->out, "Percent", SP_TYPE_REAL);
    for (int c = 0; c < in->out.ncols; c++) {
        sp_type t = in->out.cols[c].type;
        add_col(b, &n->out, in->out.cols[c].name, t);
        n->basket_wildcard[c] = kval_null(t); /* strings: "" */
        for (int k = 0; k < nwild; k++)
            if (wild_type[k] == t || (wild_type[k] == SP_TYPE_LONG && t == SP_TYPE_INT))
                n->basket_wildcard[c] = wild_value[k];
        n->basket_wildcard[c].type = t;
    }
    return n;
}

static kp *op_bag_unpack(binder *b, scope *s, kp *in, const kql_op *op);

static kp *op_evaluate(binder *b, scope *s, kp *in, const kql_op *op)
{
    const char *name = op->u.evaluate.call->u.call.name.name.s;
    if (!strcmp(name, "bag_unpack"))
        return op_bag_unpack(b, s, in, op);
    if (!strcmp(name, "ipv4_lookup"))
        return op_ipv4_lookup(b, s, in, op);
    if (!strcmp(name, "basket"))
        return op_basket(b, s, in, op);
    bind_fail(b, op->u.evaluate.call->pos, "unsupported: evaluate %s()", name);
}

static kp *op_bag_unpack(binder *b, scope *s, kp *in, const kql_op *op)
{
    const kql_expr *call = op->u.evaluate.call;
    if (!in)
        bind_fail(b, op->pos, "evaluate bag_unpack() needs an input");
    if (call->u.call.nargs < 1 || call->u.call.args[0]->kind != KQL_E_NAME)
        bind_fail(b, call->pos, "bag_unpack() takes a dynamic column name and an optional prefix");
    const char *col = call->u.call.args[0]->u.name.name.s;
    int c = kp_schema_find(&in->out, col, strlen(col));
    if (c < 0)
        bind_fail(b, call->u.call.args[0]->pos, "unknown column '%s'", col);
    kp *n = node(b, KP_BAGUNPACK, in, op->pos);
    n->bag_col = c;
    n->bag_prefix = "";
    /* Arguments: (column [, OutputColumnPrefix [, columnsConflict [, ignoredProperties]]]),
     * positionally or by name. */
    static const char *const names[] = {"OutputColumnPrefix", "columnsConflict", "ignoredProperties"};
    for (size_t i = 1; i < call->u.call.nargs; i++) {
        const kql_expr *a = call->u.call.args[i];
        int slot = (int)i - 1;
        if (a->kind == KQL_E_ASSIGN) {
            slot = -1;
            for (int k = 0; k < 3; k++)
                if (!strcmp(a->u.assign.names[0].name.s, names[k]))
                    slot = k;
            if (slot < 0)
                bind_fail(b, a->pos, "bag_unpack has no argument '%s'", a->u.assign.names[0].name.s);
            a = a->u.assign.value;
        }
        if (slot > 2)
            bind_fail(b, a->pos, "bag_unpack takes at most 4 arguments");
        kx *x = bind_scalar(b, s, NULL, a);
        kval v;
        if (!bind_const_value(b, x, &v))
            bind_fail(b, a->pos, "bag_unpack's %s must be a constant", names[slot]);
        if (slot == 0 || slot == 1) {
            if (v.type != SP_TYPE_STRING)
                bind_fail(b, a->pos, "bag_unpack's %s must be a string", names[slot]);
            if (slot == 0)
                n->bag_prefix = bind_str(b, v.u.s.p, v.u.s.n);
            else if (sp_streq(v.u.s.p, v.u.s.n, "replace_source", 14))
                n->bag_conflict = KP_BAGCONFLICT_REPLACE;
            else if (sp_streq(v.u.s.p, v.u.s.n, "keep_source", 11))
                n->bag_conflict = KP_BAGCONFLICT_KEEP;
            else if (sp_streq(v.u.s.p, v.u.s.n, "error", 5))
                n->bag_conflict = KP_BAGCONFLICT_ERROR;
            else
                bind_fail(b, a->pos, "columnsConflict must be 'error', 'replace_source' or 'keep_source'");
        } else {
            if (v.type != SP_TYPE_DYNAMIC || kj_typeof(v.u.s) != KJ_ARRAY)
                bind_fail(b, a->pos, "ignoredProperties must be a dynamic array of names");
            kj_iter it;
            kstr el;
            int cnt = (int)kj_arr_len(v.u.s), k = 0;
            n->bag_ignored = sp_arena_alloc(&b->plan->arena, sizeof(char *) * (size_t)(cnt ? cnt : 1));
            kj_arr_begin(v.u.s, &it);
            while (kj_arr_next(&it, &el)) {
                kval key;
                kj_to_scalar(el, SP_TYPE_STRING, &b->plan->arena, &key);
                n->bag_ignored[k++] = bind_str(b, key.u.s.p, key.u.s.n);
            }
            n->nbag_ignored = k;
        }
    }
    if (op->u.evaluate.has_schema) {
        /* The query states the output columns: the input's (minus the bag) then these. */
        for (int i = 0; i < in->out.ncols; i++)
            if (i != c)
                add_col(b, &n->out, in->out.cols[i].name, in->out.cols[i].type);
        for (size_t i = 0; i < op->u.evaluate.schema.ncols; i++) {
            const kql_coldecl *cd = &op->u.evaluate.schema.cols[i];
            if (kp_schema_find(&n->out, cd->name.name.s, cd->name.name.len) < 0)
                add_col(b, &n->out, cd->name.name.s, cd->type);
        }
        return n;
    }
    if (!b->env || !b->env->bagunpack_schema)
        bind_fail(b, op->pos, "unsupported: evaluate bag_unpack() here (its columns come from the data)");
    sp_diag d = {0};
    if (b->env->bagunpack_schema(b->env->ctx, b->plan, n, &d) != 0)
        bind_fail(b, op->pos, "%s", d.msg);
    return n;
}

static kp *op_make_series(binder *b, scope *s, kp *in, const kql_op *op)
{
    kp *n = node(b, KP_MAKESERIES, in, op->pos);
    kplan *p = b->plan;
    rowctx rc = {.in = &in->out, .input = in};
    size_t nby = op->u.series.nby;
    n->nkeys = (int)nby;
    n->keys = sp_arena_alloc(&p->arena, sizeof(kp_named) * (nby ? nby : 1));
    b->column_counter = 0;
    for (size_t i = 0; i < nby; i++) {
        const char *name;
        const kql_expr *v = item_parts(b, op->u.series.by[i], &name);
        kx *x = bind_scalar(b, s, &rc, v);
        if (!name)
            name = bind_auto_name(b, v);
        if (!name)
            name = next_column_name(b, &n->out);
        n->keys[i].name = bind_str(b, name, strlen(name));
        n->keys[i].expr = x;
        add_col(b, &n->out, name, x->type);
    }
    const char *kind = param_word(op_param(op, "kind"));
    n->series_nonempty = kind && !strcmp(kind, "nonempty");
    n->naggs = (int)op->u.series.naggs;
    n->aggs = sp_arena_calloc(&p->arena, sizeof(kp_agg) * (op->u.series.naggs ? op->u.series.naggs : 1));
    n->defaults = sp_arena_calloc(&p->arena, sizeof(kval) * (op->u.series.naggs ? op->u.series.naggs : 1));
    kp_schema tmp = {0};
    for (size_t i = 0; i < op->u.series.naggs; i++) {
        const char *name;
        const kql_expr *v = item_parts(b, op->u.series.aggs[i].expr, &name);
        if (v->kind != KQL_E_CALL)
            bind_fail(b, v->pos, "make-series needs aggregate functions");
        tmp.ncols = 0;
        bind_aggregate(b, s, &rc, v, &n->aggs[i], &tmp, name, NULL, 0);
        n->aggs[i].first_out = n->out.ncols;
        add_col(b, &n->out, tmp.cols[0].name, SP_TYPE_DYNAMIC);
        n->defaults[i] = kval_null(tmp.cols[0].type);
        if (op->u.series.aggs[i].deflt) {
            kx *d = bind_convert(b, bind_scalar(b, s, NULL, op->u.series.aggs[i].deflt), tmp.cols[0].type);
            if (!bind_const_value(b, d, &n->defaults[i]))
                bind_fail(b, op->u.series.aggs[i].deflt->pos, "make-series default must be a constant");
        } else { /* make-series docs: the default is 0 */
            sp_type t = tmp.cols[0].type;
            n->defaults[i] = sp_type_is_text(t) ? kval_null(t) : (kval){.type = t};
        }
    }
    n->axis = bind_scalar(b, s, &rc, op->u.series.on);
    const char *axis_name = bind_auto_name(b, op->u.series.on);
    if (op->u.series.from)
        n->range_from = bind_convert(b, bind_scalar(b, s, NULL, op->u.series.from), n->axis->type);
    if (op->u.series.to)
        n->range_to = bind_convert(b, bind_scalar(b, s, NULL, op->u.series.to), n->axis->type);
    if (!op->u.series.step)
        bind_fail(b, op->pos, "make-series needs a step");
    n->range_step = bind_scalar(b, s, NULL, op->u.series.step);
    add_col(b, &n->out, axis_name ? axis_name : "Column1", SP_TYPE_DYNAMIC);
    return n;
}

static kp *op_mvapply(binder *b, scope *s, kp *in, const kql_op *op)
{
    kp *exp = op_mvexpand(b, s, in, op, false);
    kp *items = node(b, KP_ROWITEMS, NULL, op->pos);
    kp_schema_copy(b->plan, &items->out, &exp->out);
    binding bd = {.name = "$mvapply_items", .kind = BIND_PLAN, .plan = items};
    scope *inner = scope_new(s);
    scope_add(b, inner, bd);
    kp *sub = bind_pipe(b, inner, op->u.mv.apply, items);
    kp *n = node(b, KP_MVAPPLY, exp->in, op->pos);
    n->expand = exp->expand;
    n->nexpand = exp->nexpand;
    n->bagexp = exp->bagexp;
    n->itemindex = exp->itemindex;
    n->expand_limit = exp->expand_limit;
    n->apply = sub;
    /* Output: the input row's columns the subquery does not produce, then its columns. */
    for (int c = 0; c < exp->in->out.ncols; c++) {
        const char *nm = exp->in->out.cols[c].name;
        bool expanded = false;
        for (int k = 0; k < exp->nexpand; k++)
            expanded |= exp->expand[k].colidx == c;
        if (!expanded && kp_schema_find(&sub->out, nm, strlen(nm)) < 0)
            add_col(b, &n->out, nm, exp->in->out.cols[c].type);
    }
    for (int c = 0; c < sub->out.ncols; c++)
        add_col(b, &n->out, sub->out.cols[c].name, sub->out.cols[c].type);
    return n;
}

/* ---- next() ----
 *
 * next(e [, offset [, default]]) reads a later row of a serialized input. The executor
 * streams rows in order, so the binder rewrites it into prev() over the reversed rows:
 * number the rows, sort them by that number descending, compute prev(e, offset, default)
 * into a hidden column per call, sort back, and bind the operator with each next() call
 * read from its column (the substitution summarize uses for aggregates); the hidden
 * columns are dropped after it. */

static void collect_next(const kql_expr *e, agg_collect *ac, binder *b)
{
    if (!e)
        return;
    switch (e->kind) {
    case KQL_E_CALL:
        if (!strcmp(e->u.call.name.name.s, "next")) {
            collect_push(b, ac, e);
            return;
        }
        for (size_t i = 0; i < e->u.call.nargs; i++)
            collect_next(e->u.call.args[i], ac, b);
        break;
    case KQL_E_ASSIGN: collect_next(e->u.assign.value, ac, b); break;
    case KQL_E_BINARY:
        collect_next(e->u.binary.lhs, ac, b);
        collect_next(e->u.binary.rhs, ac, b);
        break;
    case KQL_E_UNARY: collect_next(e->u.unary.arg, ac, b); break;
    case KQL_E_MEMBER: collect_next(e->u.member.obj, ac, b); break;
    case KQL_E_INDEX:
        collect_next(e->u.index.obj, ac, b);
        collect_next(e->u.index.index, ac, b);
        break;
    case KQL_E_IN:
        collect_next(e->u.in.lhs, ac, b);
        for (size_t i = 0; i < e->u.in.nlist; i++)
            collect_next(e->u.in.list[i], ac, b);
        break;
    case KQL_E_BETWEEN:
        collect_next(e->u.between.lhs, ac, b);
        collect_next(e->u.between.lo, ac, b);
        collect_next(e->u.between.hi, ac, b);
        break;
    default: break;
    }
}

static kp *sort_by_col(binder *b, kp *in, int col, bool desc, kql_pos pos)
{
    kp *n = node(b, KP_SORT, in, pos);
    n->nsort = 1;
    n->sort = sp_arena_calloc(&b->plan->arena, sizeof(kp_sortkey));
    n->sort[0].expr = kx_col(b->plan, col, in->out.cols[col].type);
    n->sort[0].desc = desc;
    kp_schema_copy(b->plan, &n->out, &in->out);
    return n;
}

/* Binds an extend/project/where whose expressions call next(). */
static kp *op_with_next(binder *b, scope *s, kp *in, const kql_op *op, const agg_collect *calls)
{
    kplan *p = b->plan;
    kp *num = identity(b, in, op->pos);
    project_set(b, num, "$rn", kx_call(p, KB_row_number, SP_TYPE_LONG, NULL, 0));
    int rn = num->out.ncols - 1;
    kp *rev = sort_by_col(b, num, rn, true, op->pos);
    kp *prevs = identity(b, rev, op->pos);
    int *cols = sp_arena_alloc(&p->arena, sizeof(int) * (size_t)calls->n);
    rowctx rc = {.in = &rev->out, .input = rev};
    for (int i = 0; i < calls->n; i++) {
        const kql_expr *call = calls->calls[i];
        size_t na = call->u.call.nargs;
        if (na < 1 || na > 3)
            bind_fail(b, call->pos, "next() takes 1 to 3 arguments, got %zu", na);
        kx *args[3];
        args[0] = bind_scalar(b, s, &rc, call->u.call.args[0]);
        if (na > 1)
            args[1] = bind_convert(b, bind_scalar(b, s, &rc, call->u.call.args[1]), SP_TYPE_LONG);
        if (na > 2)
            args[2] = bind_convert(b, bind_scalar(b, s, &rc, call->u.call.args[2]), args[0]->type);
        kx *x = kx_call(p, KB_prev, args[0]->type, args, (int)na);
        x->line = (int)call->pos.line;
        x->col = (int)call->pos.col;
        char nm[32];
        snprintf(nm, sizeof nm, "$next%d", i);
        project_set(b, prevs, nm, x);
        cols[i] = prevs->out.ncols - 1;
    }
    kp *fwd = sort_by_col(b, prevs, rn, false, op->pos);
    const agg_subst *saved = current_subst;
    agg_subst sub = {calls->calls, cols, calls->n};
    current_subst = &sub;
    kp *r = op->kind == KQL_TOP_WHERE ? op_where(b, s, fwd, op) : op->kind == KQL_TOP_EXTEND ? op_extend(b, s, fwd, op)
                                                                                              : op_project(b, s, fwd, op);
    current_subst = saved;
    /* drop the hidden columns */
    kp *out = node(b, KP_PROJECT, r, op->pos);
    for (int c = 0; c < r->out.ncols; c++) {
        const char *nm = r->out.cols[c].name;
        if (!strcmp(nm, "$rn") || !strncmp(nm, "$next", 5))
            continue;
        project_set(b, out, nm, kx_col(p, c, r->out.cols[c].type));
    }
    return out;
}

static kp *bind_op(binder *b, scope *s, kp *in, const kql_op *op)
{
    kplan *p = b->plan;
    bool needs_input = op->kind != KQL_TOP_UNION && op->kind != KQL_TOP_PRINT && op->kind != KQL_TOP_RANGE;
    if (needs_input && !in)
        bind_fail(b, op->pos, "'%s' needs an input table", kql_op_name(op->kind));
    if (op->kind == KQL_TOP_WHERE || op->kind == KQL_TOP_EXTEND || op->kind == KQL_TOP_PROJECT) {
        agg_collect calls = {0};
        if (op->kind == KQL_TOP_WHERE)
            collect_next(op->u.where.expr, &calls, b);
        else
            for (size_t i = 0; i < op->u.list.nitems; i++)
                collect_next(op->u.list.items[i], &calls, b);
        if (calls.n && !scope_find(s, "next", 4))
            return op_with_next(b, s, in, op, &calls);
    }
    switch (op->kind) {
    case KQL_TOP_WHERE: return op_where(b, s, in, op);
    case KQL_TOP_EXTEND: return op_extend(b, s, in, op);
    case KQL_TOP_PROJECT: return op_project(b, s, in, op);
    case KQL_TOP_PROJECT_AWAY: return op_project_away_keep(b, in, op, false);
    case KQL_TOP_PROJECT_KEEP: return op_project_away_keep(b, in, op, true);
    case KQL_TOP_PROJECT_RENAME: return op_project_rename(b, in, op);
    case KQL_TOP_PROJECT_REORDER: return op_project_reorder(b, in, op);
    case KQL_TOP_SUMMARIZE:
        return op_summarize(b, s, in, op, op->u.summarize.aggs, op->u.summarize.naggs, op->u.summarize.by,
                            op->u.summarize.nby);
    case KQL_TOP_DISTINCT: {
        if (op->u.list.nitems == 1 && op->u.list.items[0]->kind == KQL_E_STAR) {
            kql_expr **by = sp_arena_alloc(&p->arena, sizeof(kql_expr *) * (size_t)(in->out.ncols ? in->out.ncols : 1));
            for (int c = 0; c < in->out.ncols; c++) {
                kql_expr *ne = sp_arena_calloc(&p->arena, sizeof *ne);
                ne->kind = KQL_E_NAME;
                ne->pos = op->pos;
                ne->u.name.name.s = in->out.cols[c].name;
                ne->u.name.name.len = strlen(in->out.cols[c].name);
                by[c] = ne;
            }
            return op_summarize(b, s, in, op, NULL, 0, by, (size_t)in->out.ncols);
        }
        return op_summarize(b, s, in, op, NULL, 0, op->u.list.items, op->u.list.nitems);
    }
    case KQL_TOP_COUNT: {
        kp *n = node(b, KP_AGGREGATE, in, op->pos);
        n->naggs = 1;
        n->aggs = sp_arena_calloc(&p->arena, sizeof(kp_agg));
        n->aggs[0].agg = KA_count;
        n->aggs[0].nout = 1;
        add_col(b, &n->out, "Count", SP_TYPE_LONG);
        return n;
    }
    case KQL_TOP_SORT: {
        kp *n = node(b, KP_SORT, in, op->pos);
        bind_sortkeys(b, s, in, op->u.sort.keys, op->u.sort.nkeys, n);
        kp_schema_copy(p, &n->out, &in->out);
        return n;
    }
    case KQL_TOP_TOP: {
        kp *n = node(b, KP_TOP, in, op->pos);
        n->limit = const_long(b, s, op->u.sort.count, "the row count of top");
        bind_sortkeys(b, s, in, op->u.sort.keys, op->u.sort.nkeys, n);
        kp_schema_copy(p, &n->out, &in->out);
        return n;
    }
    case KQL_TOP_TAKE:
    case KQL_TOP_SAMPLE: {
        kp *n = node(b, KP_LIMIT, in, op->pos);
        n->limit = const_long(b, s, op->u.take.count, "the row count");
        if (n->limit < 0)
            n->limit = 0;
        kp_schema_copy(p, &n->out, &in->out);
        return n;
    }
    case KQL_TOP_UNION: return op_union(b, s, in, op);
    case KQL_TOP_JOIN: return op_join(b, s, in, op, false);
    case KQL_TOP_LOOKUP: return op_join(b, s, in, op, true);
    case KQL_TOP_MV_EXPAND: {
        /* legacy `mvexpand` is recorded by the parser as a parameter-less mv-expand;
         * its 128-row default limit applies only when written that way */
        bool legacy = op->pos.end > op->pos.off && b->q->text[op->pos.off] == 'm' &&
                      op->pos.off + 8 <= b->q->len && !memcmp(b->q->text + op->pos.off, "mvexpand", 8);
        return op_mvexpand(b, s, in, op, legacy);
    }
    case KQL_TOP_MV_APPLY: return op_mvapply(b, s, in, op);
    case KQL_TOP_PARSE: return op_parse(b, s, in, op, false);
    case KQL_TOP_PARSE_WHERE: return op_parse(b, s, in, op, true);
    case KQL_TOP_EVALUATE: return op_evaluate(b, s, in, op);
    case KQL_TOP_MAKE_SERIES: return op_make_series(b, s, in, op);
    case KQL_TOP_GETSCHEMA: {
        kp *n = node(b, KP_GETSCHEMA, in, op->pos);
        add_col(b, &n->out, "ColumnName", SP_TYPE_STRING);
        add_col(b, &n->out, "ColumnOrdinal", SP_TYPE_INT);
        add_col(b, &n->out, "DataType", SP_TYPE_STRING);
        add_col(b, &n->out, "ColumnType", SP_TYPE_STRING);
        return n;
    }
    case KQL_TOP_SERIALIZE: {
        kp *cur = in;
        if (op->u.list.nitems) {
            kql_op ext = *op;
            ext.kind = KQL_TOP_EXTEND;
            cur = op_extend(b, s, in, &ext);
        }
        kp *n = node(b, KP_SERIALIZE, cur, op->pos);
        kp_schema_copy(p, &n->out, &cur->out);
        return n;
    }
    case KQL_TOP_INVOKE: {
        const kql_expr *call = op->u.evaluate.call;
        binding *bd = scope_find(s, call->u.call.name.name.s, call->u.call.name.name.len);
        if (!bd || bd->kind != BIND_FUNCTION)
            bind_fail(b, call->pos, "invoke needs a let-bound tabular function, '%s' is not one", call->u.call.name.name.s);
        return bind_user_tabular_with(b, s, call, bd, in);
    }
    case KQL_TOP_RENDER:
    case KQL_TOP_AS: return in;
    case KQL_TOP_PRINT: return op_print(b, s, op);
    case KQL_TOP_RANGE: return op_range(b, s, op);
    default: bind_fail(b, op->pos, "unsupported: tabular operator '%s'", kql_op_name(op->kind));
    }
}

static kp *bind_pipe(binder *b, scope *s, const kql_expr *e, kp *input)
{
    kp *cur = input;
    if (e->kind != KQL_E_PIPE)
        return bind_tabular(b, s, e);
    if (e->u.pipe.source)
        cur = bind_tabular(b, s, e->u.pipe.source);
    for (size_t i = 0; i < e->u.pipe.nops; i++)
        cur = bind_op(b, s, cur, e->u.pipe.ops[i]);
    if (!cur)
        bind_fail(b, e->pos, "empty query");
    return cur;
}

/* ---- statements ---- */

static kx *bind_param_value(binder *b, const char *text, sp_type want, kql_pos pos)
{
    /* A parameter value is a KQL literal: parse it as `print <value>`. */
    sp_buf q = {0};
    sp_buf_printf(&q, "print %s", text);
    kql_query *pq;
    sp_diag d = {0};
    sp_arena tmp = {0};
    if (kql_parse(q.data, q.len, &tmp, &pq, &d) != 0 || pq->nstmts != 1 || pq->stmts[0]->kind != KQL_S_EXPR) {
        sp_buf_free(&q);
        sp_arena_free(&tmp);
        bind_fail(b, pos, "query parameter value '%s' is not a literal", text);
    }
    const kql_expr *pe = pq->stmts[0]->u.expr;
    const kql_op *op = pe->u.pipe.ops[0];
    kx *x = bind_scalar(b, NULL, NULL, op->u.list.items[0]);
    kval v;
    if (!bind_const_value(b, x, &v)) {
        sp_buf_free(&q);
        sp_arena_free(&tmp);
        bind_fail(b, pos, "query parameter value '%s' is not a constant", text);
    }
    /* The literal's text lives in tmp: copy it into the plan. */
    kx *c = kx_const(b->plan, v);
    sp_buf_free(&q);
    sp_arena_free(&tmp);
    return want != SP_TYPE_NULL ? bind_convert(b, c, want) : c;
}

static const char *env_param(const kql_bind_env *env, const char *name)
{
    if (!env)
        return NULL;
    for (int i = 0; i < env->nparams; i++)
        if (!strcmp(env->param_names[i], name))
            return env->param_values[i];
    return NULL;
}

static void bind_let(binder *b, scope *s, const kql_stmt *st)
{
    const kql_expr *v = st->u.let.value;
    binding bd = {.name = st->u.let.name.name.s, .defscope = s, .expr = v};
    if (v->kind == KQL_E_LAMBDA) {
        bd.kind = BIND_FUNCTION;
    } else if (v->kind == KQL_E_CALL && !strcmp(v->u.call.name.name.s, "materialize")) {
        kp *shared = bind_tabular(b, s, v);
        bd.kind = BIND_SHARED;
        bd.shared_id = shared->shared_id;
        bd.shared_schema = shared->out;
    } else if (expr_is_tabular(b, s, v, 0)) {
        bd.kind = BIND_TABULAR;
        (void)bind_tabular(b, s, v); /* bind once now so errors point at the let */
    } else {
        bd.kind = BIND_SCALAR;
        bd.scalar = bind_scalar(b, s, NULL, v);
    }
    scope_add(b, s, bd);
}

int kql_bind(const kql_query *q, const kql_bind_env *env, kplan **out, sp_diag *err)
{
    binder b;
    memset(&b, 0, sizeof b);
    b.q = q;
    b.env = env;
    b.err = err;
    b.plan = kplan_new();
    if (env && env->now) {
        b.plan->now = env->now;
        b.plan->has_now = true;
    }
    scope_list scopes = {0};
    scope_list *saved = live_scopes;
    live_scopes = &scopes;
    scope *top = scope_new(NULL);
    *out = NULL;
    if (setjmp(b.fail)) {
        sp_diag_attach_source(err, q->text, q->len);
        if (env && env->missing_name)
            *env->missing_name = b.missing_name;
        for (int i = 0; i < scopes.n; i++) {
            free(scopes.items[i]->items);
            free(scopes.items[i]);
        }
        free(scopes.items);
        live_scopes = saved;
        kplan_free(b.plan);
        return -1;
    }
    /* Query parameters are visible to every statement. */
    for (int i = 0; env && i < env->nparams; i++) {
        kql_pos pos = {0, 0, 0, 0};
        binding bd = {.name = env->param_names[i], .kind = BIND_SCALAR};
        bd.scalar = bind_param_value(&b, env->param_values[i], SP_TYPE_NULL, pos);
        scope_add(&b, top, bd);
    }
    kp *result = NULL;
    for (size_t i = 0; i < q->nstmts; i++) {
        const kql_stmt *st = q->stmts[i];
        switch (st->kind) {
        case KQL_S_LET: bind_let(&b, top, st); break;
        case KQL_S_SET: break; /* query options do not change results here */
        case KQL_S_DECLARE:
            for (size_t k = 0; k < st->u.declare.nparams; k++) {
                const kql_param_decl *pd = &st->u.declare.params[k];
                binding bd = {.name = pd->name.name.s, .kind = BIND_SCALAR};
                const char *given = env_param(env, pd->name.name.s);
                if (given)
                    bd.scalar = bind_param_value(&b, given, pd->type.scalar, pd->name.pos);
                else if (pd->deflt)
                    bd.scalar = bind_convert(&b, bind_scalar(&b, top, NULL, pd->deflt), pd->type.scalar);
                else
                    bind_fail(&b, pd->name.pos, "query parameter '%s' has no value (use --param %s=...)", pd->name.name.s,
                              pd->name.name.s);
                scope_add(&b, top, bd);
            }
            break;
        case KQL_S_EXPR: result = bind_pipe(&b, top, st->u.expr, NULL); break;
        }
    }
    if (!result) {
        kql_pos pos = {0, 0, 1, 1};
        bind_fail(&b, pos, "the query has no tabular expression to return");
    }
    b.plan->root = result;
    for (int i = 0; i < scopes.n; i++) {
        free(scopes.items[i]->items);
        free(scopes.items[i]);
    }
    free(scopes.items);
    live_scopes = saved;
    *out = b.plan;
    return 0;
}

int kql_compile(const char *text, size_t len, const kql_bind_env *env, kplan **out, sp_diag *err)
{
    sp_arena arena = {0};
    kql_query *q;
    *out = NULL;
    int r = kql_parse(text, len, &arena, &q, err);
    if (r == 0)
        r = kql_bind(q, env, out, err);
    if (r == 0)
        kplan_optimize(*out);
    sp_arena_free(&arena);
    return r;
}
