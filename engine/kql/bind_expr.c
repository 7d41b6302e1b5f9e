/* bind_expr.c — binding scalar expressions: names, literals, operators with Kusto's
 * typing rules, builtin calls driven by builtins.def signatures, user functions,
 * aggregates and the column names Kusto derives for unnamed expressions.
 *
 * Every implicit conversion Kusto performs becomes an explicit to*() call here, so the
 * executor's kernels always see the types they declare. Two deliberate extensions of
 * Kusto, both from DESIGN.md §5: a string compared with a number compares numerically
 * (`ResultType == 0`), and a dynamic operand takes the type of the other side.
 */
#include "engine/kql/bind_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"

static kx *mk_call(binder *b, kb_id fn, sp_type t, kx **args, int n, kql_pos pos)
{
    kx *e = kx_call(b->plan, fn, t, args, n);
    e->line = (int)pos.line;
    e->col = (int)pos.col;
    return e;
}

static kx *mk_call1(binder *b, kb_id fn, sp_type t, kx *a, kql_pos pos)
{
    return mk_call(b, fn, t, &a, 1, pos);
}

static kx *mk_call2(binder *b, kb_id fn, sp_type t, kx *x, kx *y, kql_pos pos)
{
    kx *args[2] = {x, y};
    return mk_call(b, fn, t, args, 2, pos);
}

static kx *mk_const(binder *b, kval v, kql_pos pos)
{
    kx *e = kx_const(b->plan, v);
    e->line = (int)pos.line;
    e->col = (int)pos.col;
    return e;
}

static kql_pos pos_of(const kx *e)
{
    kql_pos p = {0, 0, (uint32_t)e->line, (uint32_t)e->col};
    return p;
}

static bool is_numeric(sp_type t)
{
    return t == SP_TYPE_INT || t == SP_TYPE_LONG || t == SP_TYPE_REAL;
}

static bool is_stringish(sp_type t)
{
    return t == SP_TYPE_STRING || t == SP_TYPE_GUID;
}

bool bind_unify(sp_type a, sp_type b, sp_type *out)
{
    if (a == b) {
        *out = a;
        return true;
    }
    if (is_numeric(a) && is_numeric(b)) {
        *out = (a == SP_TYPE_REAL || b == SP_TYPE_REAL) ? SP_TYPE_REAL : SP_TYPE_LONG;
        return true;
    }
    if (is_stringish(a) && is_stringish(b)) {
        *out = SP_TYPE_STRING;
        return true;
    }
    if (a == SP_TYPE_DYNAMIC) {
        *out = b;
        return true;
    }
    if (b == SP_TYPE_DYNAMIC) {
        *out = a;
        return true;
    }
    if (a == SP_TYPE_NULL) {
        *out = b;
        return true;
    }
    if (b == SP_TYPE_NULL) {
        *out = a;
        return true;
    }
    return false;
}

bool bind_const_value(binder *b, kx *e, kval *out)
{
    (void)b;
    if (e->kind != KX_CONST)
        return false;
    *out = e->value;
    return true;
}

static kb_id conversion_to(sp_type t)
{
    switch (t) {
    case SP_TYPE_STRING: return KB_tostring;
    case SP_TYPE_GUID: return KB_toguid;
    case SP_TYPE_INT: return KB_toint;
    case SP_TYPE_LONG: return KB_tolong;
    case SP_TYPE_REAL: return KB_toreal;
    case SP_TYPE_BOOL: return KB_tobool;
    case SP_TYPE_DATETIME: return KB_todatetime;
    case SP_TYPE_TIMESPAN: return KB_totimespan;
    default: return KB_todynamic;
    }
}

kx *bind_convert(binder *b, kx *e, sp_type t)
{
    if (e->type == t || t == SP_TYPE_NULL)
        return e;
    if (e->type == SP_TYPE_INT && t == SP_TYPE_LONG)
        return e; /* ints travel as 64-bit values already */
    if (e->kind == KX_CONST) {
        /* Fold constant conversions now: literals in comparisons, sets, arguments. */
        kval v;
        kval_convert(&e->value, t, &b->plan->arena, &v);
        v.type = t;
        kx *c = mk_const(b, v, pos_of(e));
        return c;
    }
    return mk_call1(b, conversion_to(t), t, e, pos_of(e));
}

/* ---- names ---- */

const char *bind_auto_name(binder *b, const kql_expr *e)
{
    switch (e->kind) {
    case KQL_E_NAME: return e->u.name.name.s;
    case KQL_E_MEMBER: {
        const char *base = bind_auto_name(b, e->u.member.obj);
        if (!base)
            return NULL;
        char buf[512];
        snprintf(buf, sizeof buf, "%s_%s", base, e->u.member.name.name.s);
        return bind_str(b, buf, strlen(buf));
    }
    case KQL_E_INDEX: {
        const kql_expr *ix = e->u.index.index;
        const char *base = bind_auto_name(b, e->u.index.obj);
        if (!base || ix->kind != KQL_E_LITERAL || ix->u.lit.type != SP_TYPE_STRING)
            return NULL;
        char buf[512];
        snprintf(buf, sizeof buf, "%s_%s", base, ix->u.lit.s.s);
        return bind_str(b, buf, strlen(buf));
    }
    case KQL_E_CALL: {
        static const char *passthrough[] = {"tostring", "toint", "tolong", "todouble", "toreal", "tobool",
                                            "todatetime", "totimespan", "todynamic", "parse_json", "bin",
                                            "floor", "toguid", "tolower", "toupper", "todecimal", "bin_at"};
        const char *n = e->u.call.name.name.s;
        if (e->u.call.nargs == 0)
            return NULL;
        for (size_t i = 0; i < SP_ARRAY_LEN(passthrough); i++)
            if (!strcmp(n, passthrough[i]))
                return bind_auto_name(b, e->u.call.args[0]);
        return NULL;
    }
    default: return NULL;
    }
}

/* The first column name referenced in e (for aggregate auto names of expressions). */
static const char *first_column(binder *b, const kql_expr *e)
{
    const char *n = bind_auto_name(b, e);
    if (n)
        return n;
    switch (e->kind) {
    case KQL_E_CALL:
        for (size_t i = 0; i < e->u.call.nargs; i++)
            if ((n = first_column(b, e->u.call.args[i])))
                return n;
        return NULL;
    case KQL_E_BINARY:
        if ((n = first_column(b, e->u.binary.lhs)))
            return n;
        return first_column(b, e->u.binary.rhs);
    case KQL_E_UNARY: return first_column(b, e->u.unary.arg);
    default: return NULL;
    }
}

/* ---- names and members ---- */

bool kx_uses_row(const kx *e)
{
    if (e->kind == KX_COL)
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (kx_uses_row(e->args[i]))
            return true;
    return false;
}

static kx *bind_name(binder *b, scope *s, const rowctx *rc, const kql_expr *e)
{
    const char *name = e->u.name.name.s;
    size_t n = e->u.name.name.len;
    if (rc && rc->in) {
        int c = kp_schema_find(rc->in, name, n);
        if (c >= 0) {
            kx *x = kx_col(b->plan, c, rc->in->cols[c].type);
            x->line = (int)e->pos.line;
            x->col = (int)e->pos.col;
            return x;
        }
    }
    binding *bd = scope_find(s, name, n);
    if (bd && bd->kind == BIND_SCALAR) {
        if (bd->row_schema && (!rc || rc->in != bd->row_schema))
            bind_fail(b, e->pos, "'%s' depends on the current row and cannot be used in a subquery (toscalar, in, join)", name);
        return bd->scalar;
    }
    if (bd && (bd->kind == BIND_TABULAR || bd->kind == BIND_SHARED || bd->kind == BIND_PLAN))
        bind_fail(b, e->pos, "'%s' is a tabular expression, not a scalar", name);
    if (bd && bd->kind == BIND_FUNCTION)
        bind_fail(b, e->pos, "'%s' is a function: call it with ()", name);
    if (rc && (rc->left || rc->right))
        bind_fail_missing(b, false, e->pos, "unknown column '%s' (use $left.%s or $right.%s in join conditions)", name, name, name);
    bind_fail_missing(b, false, e->pos, "unknown column or variable '%s'", name);
}

static kx *as_dynamic(binder *b, kx *e)
{
    if (e->type == SP_TYPE_DYNAMIC)
        return e;
    if (is_stringish(e->type)) /* Kusto parses JSON text when a string is used as dynamic */
        return mk_call1(b, KB_parse_json, SP_TYPE_DYNAMIC, e, pos_of(e));
    return bind_convert(b, e, SP_TYPE_DYNAMIC);
}

static kx *bind_member(binder *b, scope *s, const rowctx *rc, const kql_expr *e)
{
    const kql_expr *obj = e->u.member.obj;
    const char *mname = e->u.member.name.name.s;
    size_t mlen = e->u.member.name.name.len;
    if (obj->kind == KQL_E_NAME && rc && (rc->left || rc->right)) {
        const char *side = obj->u.name.name.s;
        const kp_schema *sch = !strcmp(side, "$left") ? rc->left : !strcmp(side, "$right") ? rc->right : NULL;
        if (sch) {
            int c = kp_schema_find(sch, mname, mlen);
            if (c < 0)
                bind_fail(b, e->u.member.name.pos, "unknown column '%s' on the %s side of the join", mname,
                          sch == rc->left ? "left" : "right");
            kx *x = kx_col(b->plan, c, sch->cols[c].type);
            x->line = (int)e->pos.line;
            x->col = (int)e->pos.col;
            /* The side is encoded by the caller's context; mark right-side refs. */
            x->value.type = sch == rc->right ? SP_TYPE_BOOL : SP_TYPE_NULL;
            x->value.u.b = sch == rc->right;
            return x;
        }
    }
    kx *o = as_dynamic(b, bind_scalar(b, s, rc, obj));
    kval key = {.type = SP_TYPE_STRING, .u.s = {mname, (uint32_t)mlen}};
    return mk_call2(b, KB_getpath, SP_TYPE_DYNAMIC, o, mk_const(b, key, e->u.member.name.pos), e->pos);
}

static kx *bind_index(binder *b, scope *s, const rowctx *rc, const kql_expr *e)
{
    kx *o = as_dynamic(b, bind_scalar(b, s, rc, e->u.index.obj));
    kx *ix = bind_scalar(b, s, rc, e->u.index.index);
    if (!is_stringish(ix->type) && !is_numeric(ix->type))
        ix = bind_convert(b, ix, SP_TYPE_STRING);
    if (ix->type == SP_TYPE_INT || ix->type == SP_TYPE_REAL)
        ix = bind_convert(b, ix, SP_TYPE_LONG);
    return mk_call2(b, KB_getpath, SP_TYPE_DYNAMIC, o, ix, e->pos);
}

/* ---- literals ---- */

static kx *bind_literal(binder *b, const kql_expr *e)
{
    const kql_literal *l = &e->u.lit;
    kval v = kval_null(l->type);
    if (!l->is_null) {
        v.null = false;
        switch (l->type) {
        case SP_TYPE_BOOL: v.u.b = l->v.b; break;
        case SP_TYPE_INT:
        case SP_TYPE_LONG: v.u.l = l->v.i; break;
        case SP_TYPE_REAL: v.u.r = l->v.r; break;
        case SP_TYPE_DATETIME:
        case SP_TYPE_TIMESPAN: v.u.l = l->v.ticks; break;
        default: v.u.s = (kstr){l->s.s ? l->s.s : "", (uint32_t)l->s.len}; break;
        }
    }
    if (l->type == SP_TYPE_DYNAMIC && v.u.s.n == 4 && !memcmp(v.u.s.p, "null", 4))
        v.null = true;
    return mk_const(b, v, e->pos);
}

/* ---- operators ---- */

static kx *to_string(binder *b, kx *e)
{
    return bind_convert(b, e, SP_TYPE_STRING);
}

static kx *negate(binder *b, kx *e, kql_pos pos)
{
    return mk_call1(b, KB_not, SP_TYPE_BOOL, e, pos);
}

static kx *bind_compare(binder *b, kb_id fn, kx *l, kx *r, kql_pos pos)
{
    /* DESIGN §5: a string compared with a number compares numerically. */
    if ((is_stringish(l->type) && is_numeric(r->type)) || (is_numeric(l->type) && is_stringish(r->type))) {
        kx *str = is_stringish(l->type) ? l : r, *num = is_stringish(l->type) ? r : l;
        if (fn == KB_eq || fn == KB_ne) {
            kx *eq = mk_call2(b, KB_str_eq_num, SP_TYPE_BOOL, str, bind_convert(b, num, SP_TYPE_REAL), pos);
            return fn == KB_eq ? eq : negate(b, eq, pos);
        }
        l = bind_convert(b, l, SP_TYPE_REAL);
        r = bind_convert(b, r, SP_TYPE_REAL);
        return mk_call2(b, fn, SP_TYPE_BOOL, l, r, pos);
    }
    sp_type t;
    if (l->type == SP_TYPE_DYNAMIC && r->type == SP_TYPE_DYNAMIC)
        t = SP_TYPE_STRING; /* compare the values' text */
    else if (is_stringish(l->type) && (r->type == SP_TYPE_DATETIME || r->type == SP_TYPE_TIMESPAN || r->type == SP_TYPE_BOOL))
        t = r->type;
    else if (is_stringish(r->type) && (l->type == SP_TYPE_DATETIME || l->type == SP_TYPE_TIMESPAN || l->type == SP_TYPE_BOOL))
        t = l->type;
    else if (!bind_unify(l->type, r->type, &t))
        bind_fail(b, pos, "cannot compare %s with %s", sp_type_name(l->type), sp_type_name(r->type));
    return mk_call2(b, fn, SP_TYPE_BOOL, bind_convert(b, l, t), bind_convert(b, r, t), pos);
}

static kx *bind_arith(binder *b, kb_id fn, kx *l, kx *r, kql_pos pos)
{
    sp_type lt = l->type, rt = r->type;
    if (lt == SP_TYPE_DYNAMIC)
        l = bind_convert(b, l, lt = (rt == SP_TYPE_DYNAMIC || rt == SP_TYPE_INT) ? SP_TYPE_LONG : (is_numeric(rt) ? rt : rt == SP_TYPE_DATETIME && fn == KB_sub ? SP_TYPE_DATETIME : rt));
    if (rt == SP_TYPE_DYNAMIC)
        r = bind_convert(b, r, rt = lt == SP_TYPE_DATETIME || lt == SP_TYPE_TIMESPAN ? (fn == KB_sub && lt == SP_TYPE_DATETIME ? SP_TYPE_TIMESPAN : SP_TYPE_TIMESPAN) : (is_numeric(lt) ? lt : SP_TYPE_LONG));
    if (lt == SP_TYPE_DYNAMIC && rt == SP_TYPE_TIMESPAN)
        l = bind_convert(b, l, lt = SP_TYPE_DATETIME);
    sp_type res;
    if (is_numeric(lt) && is_numeric(rt)) {
        bind_unify(lt, rt, &res);
        if (lt == SP_TYPE_INT && rt == SP_TYPE_INT)
            res = SP_TYPE_INT;
        return mk_call2(b, fn, res, bind_convert(b, l, res == SP_TYPE_INT ? SP_TYPE_INT : res),
                        bind_convert(b, r, res == SP_TYPE_INT ? SP_TYPE_INT : res), pos);
    }
    switch (fn) {
    case KB_add:
        if ((lt == SP_TYPE_DATETIME && rt == SP_TYPE_TIMESPAN) || (lt == SP_TYPE_TIMESPAN && rt == SP_TYPE_DATETIME))
            return mk_call2(b, fn, SP_TYPE_DATETIME, l, r, pos);
        if (lt == SP_TYPE_TIMESPAN && rt == SP_TYPE_TIMESPAN)
            return mk_call2(b, fn, SP_TYPE_TIMESPAN, l, r, pos);
        break;
    case KB_sub:
        if (lt == SP_TYPE_DATETIME && rt == SP_TYPE_DATETIME)
            return mk_call2(b, fn, SP_TYPE_TIMESPAN, l, r, pos);
        if (lt == SP_TYPE_DATETIME && rt == SP_TYPE_TIMESPAN)
            return mk_call2(b, fn, SP_TYPE_DATETIME, l, r, pos);
        if (lt == SP_TYPE_TIMESPAN && rt == SP_TYPE_TIMESPAN)
            return mk_call2(b, fn, SP_TYPE_TIMESPAN, l, r, pos);
        break;
    case KB_mul:
        if (lt == SP_TYPE_TIMESPAN && is_numeric(rt))
            return mk_call2(b, fn, SP_TYPE_TIMESPAN, l, r, pos);
        if (is_numeric(lt) && rt == SP_TYPE_TIMESPAN)
            return mk_call2(b, fn, SP_TYPE_TIMESPAN, r, l, pos);
        break;
    case KB_div:
        if (lt == SP_TYPE_TIMESPAN && rt == SP_TYPE_TIMESPAN)
            return mk_call2(b, fn, SP_TYPE_REAL, l, r, pos);
        if (lt == SP_TYPE_TIMESPAN && is_numeric(rt))
            return mk_call2(b, fn, SP_TYPE_TIMESPAN, l, r, pos);
        break;
    case KB_mod:
        if (lt == SP_TYPE_TIMESPAN && rt == SP_TYPE_TIMESPAN)
            return mk_call2(b, fn, SP_TYPE_TIMESPAN, l, r, pos);
        break;
    default: break;
    }
    bind_fail(b, pos, "operator '%s' cannot combine %s and %s", kb_get(fn)->name, sp_type_name(lt), sp_type_name(rt));
}

static kx *bind_binary(binder *b, scope *s, const rowctx *rc, const kql_expr *e)
{
    kql_binop op = e->u.binary.op;
    kx *l = bind_scalar(b, s, rc, e->u.binary.lhs);
    kx *r = bind_scalar(b, s, rc, e->u.binary.rhs);
    kql_pos pos = e->pos;
    static const struct {
        kql_binop op;
        kb_id fn;
        bool neg;
    } strops[] = {
        {KQL_OP_HAS, KB_has, false},
        {KQL_OP_NOT_HAS, KB_has, true},
        {KQL_OP_HAS_CS, KB_has_cs, false},
        {KQL_OP_NOT_HAS_CS, KB_has_cs, true},
        {KQL_OP_HASPREFIX, KB_hasprefix, false},
        {KQL_OP_NOT_HASPREFIX, KB_hasprefix, true},
        {KQL_OP_HASPREFIX_CS, KB_hasprefix_cs, false},
        {KQL_OP_NOT_HASPREFIX_CS, KB_hasprefix_cs, true},
        {KQL_OP_HASSUFFIX, KB_hassuffix, false},
        {KQL_OP_NOT_HASSUFFIX, KB_hassuffix, true},
        {KQL_OP_HASSUFFIX_CS, KB_hassuffix_cs, false},
        {KQL_OP_NOT_HASSUFFIX_CS, KB_hassuffix_cs, true},
        {KQL_OP_CONTAINS, KB_contains, false},
        {KQL_OP_NOT_CONTAINS, KB_contains, true},
        {KQL_OP_CONTAINS_CS, KB_contains_cs, false},
        {KQL_OP_NOT_CONTAINS_CS, KB_contains_cs, true},
        {KQL_OP_STARTSWITH, KB_startswith, false},
        {KQL_OP_NOT_STARTSWITH, KB_startswith, true},
        {KQL_OP_STARTSWITH_CS, KB_startswith_cs, false},
        {KQL_OP_NOT_STARTSWITH_CS, KB_startswith_cs, true},
        {KQL_OP_ENDSWITH, KB_endswith, false},
        {KQL_OP_NOT_ENDSWITH, KB_endswith, true},
        {KQL_OP_ENDSWITH_CS, KB_endswith_cs, false},
        {KQL_OP_NOT_ENDSWITH_CS, KB_endswith_cs, true},
        {KQL_OP_MATCHES_REGEX, KB_matches_regex, false},
        {KQL_OP_EQ_CI, KB_eq_ci, false},
        {KQL_OP_NE_CI, KB_ne_ci, false},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(strops); i++) {
        if (strops[i].op != op)
            continue;
        kx *call = mk_call2(b, strops[i].fn, SP_TYPE_BOOL, to_string(b, l), to_string(b, r), pos);
        return strops[i].neg ? negate(b, call, pos) : call;
    }
    switch (op) {
    case KQL_OP_AND:
    case KQL_OP_OR:
        return mk_call2(b, op == KQL_OP_AND ? KB_and : KB_or, SP_TYPE_BOOL, bind_convert(b, l, SP_TYPE_BOOL),
                        bind_convert(b, r, SP_TYPE_BOOL), pos);
    case KQL_OP_EQ: return bind_compare(b, KB_eq, l, r, pos);
    case KQL_OP_NE: return bind_compare(b, KB_ne, l, r, pos);
    case KQL_OP_LT: return bind_compare(b, KB_lt, l, r, pos);
    case KQL_OP_LE: return bind_compare(b, KB_le, l, r, pos);
    case KQL_OP_GT: return bind_compare(b, KB_gt, l, r, pos);
    case KQL_OP_GE: return bind_compare(b, KB_ge, l, r, pos);
    case KQL_OP_ADD: return bind_arith(b, KB_add, l, r, pos);
    case KQL_OP_SUB: return bind_arith(b, KB_sub, l, r, pos);
    case KQL_OP_MUL: return bind_arith(b, KB_mul, l, r, pos);
    case KQL_OP_DIV: return bind_arith(b, KB_div, l, r, pos);
    case KQL_OP_MOD: return bind_arith(b, KB_mod, l, r, pos);
    default: bind_fail(b, pos, "unsupported: operator '%s'", kql_binop_text(op));
    }
}

/* Appends the elements of a constant dynamic array (or the scalar itself) to a set. */
static void add_set_values(binder *b, kval **vals, int *n, int *cap, const kval *v, sp_type elem)
{
    if (v->type == SP_TYPE_DYNAMIC && !v->null && kj_typeof(v->u.s) == KJ_ARRAY) {
        kj_iter it;
        kstr el;
        kj_arr_begin(v->u.s, &it);
        while (kj_arr_next(&it, &el)) {
            kval x;
            kj_to_scalar(el, elem == SP_TYPE_NULL || elem == SP_TYPE_DYNAMIC ? SP_TYPE_STRING : elem, &b->plan->arena, &x);
            if (elem == SP_TYPE_DYNAMIC) {
                x.type = SP_TYPE_STRING;
            }
            add_set_values(b, vals, n, cap, &x, elem);
        }
        return;
    }
    kval x = *v;
    if (elem != SP_TYPE_NULL && elem != SP_TYPE_DYNAMIC && x.type != elem)
        kval_convert(v, elem, &b->plan->arena, &x);
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        kval *nv = sp_arena_alloc(&b->plan->arena, sizeof(kval) * (size_t)nc);
        if (*n)
            memcpy(nv, *vals, sizeof(kval) * (size_t)*n);
        *vals = nv;
        *cap = nc;
    }
    (*vals)[(*n)++] = x;
}

static kx *bind_in(binder *b, scope *s, const rowctx *rc, const kql_expr *e)
{
    kql_binop op = e->u.in.op;
    kx *l = bind_scalar(b, s, rc, e->u.in.lhs);
    kql_pos pos = e->pos;
    bool ci = op == KQL_OP_IN_CI || op == KQL_OP_NOT_IN_CI;
    bool neg = op == KQL_OP_NOT_IN || op == KQL_OP_NOT_IN_CI;
    bool terms = op == KQL_OP_HAS_ANY || op == KQL_OP_HAS_ALL;
    kb_id fn = terms ? (op == KQL_OP_HAS_ANY ? KB_has_any : KB_has_all) : ci ? KB_in_ci : KB_in;
    if (terms || ci)
        l = to_string(b, l);
    if (l->type == SP_TYPE_DYNAMIC)
        l = to_string(b, l);
    sp_type elem = l->type == SP_TYPE_INT ? SP_TYPE_LONG : l->type;
    if (l->type == SP_TYPE_INT)
        l = bind_convert(b, l, SP_TYPE_LONG);
    /* One tabular operand: a subquery whose first column is the set. */
    if (e->u.in.nlist == 1) {
        kp *sub = bind_maybe_tabular(b, s, e->u.in.list[0]);
        if (sub) {
            if (sub->out.ncols < 1)
                bind_fail(b, e->u.in.list[0]->pos, "the subquery of '%s' returns no columns", kql_binop_text(op));
            /* The subquery's column must have the operand's type. */
            if (sub->out.cols[0].type != elem && !(terms || ci)) {
                kp *pr = kp_new(b->plan, KP_PROJECT, sub);
                pr->nitems = 1;
                pr->items = sp_arena_calloc(&b->plan->arena, sizeof(kp_named));
                pr->items[0].name = sub->out.cols[0].name;
                pr->items[0].expr = bind_convert(b, kx_col(b->plan, 0, sub->out.cols[0].type), elem);
                kp_schema_add(b->plan, &pr->out, sub->out.cols[0].name, elem);
                sub = pr;
            } else if ((terms || ci) && sub->out.cols[0].type != SP_TYPE_STRING) {
                kp *pr = kp_new(b->plan, KP_PROJECT, sub);
                pr->nitems = 1;
                pr->items = sp_arena_calloc(&b->plan->arena, sizeof(kp_named));
                pr->items[0].name = sub->out.cols[0].name;
                pr->items[0].expr = bind_convert(b, kx_col(b->plan, 0, sub->out.cols[0].type), SP_TYPE_STRING);
                kp_schema_add(b->plan, &pr->out, sub->out.cols[0].name, SP_TYPE_STRING);
                sub = pr;
            }
            kx *q = sp_arena_calloc(&b->plan->arena, sizeof *q);
            q->kind = KX_SUBQUERY;
            q->type = elem;
            q->sub = sub;
            q->line = (int)e->u.in.list[0]->pos.line;
            q->col = (int)e->u.in.list[0]->pos.col;
            kx *call = mk_call2(b, fn, SP_TYPE_BOOL, l, q, pos);
            return neg ? negate(b, call, pos) : call;
        }
    }
    /* Constant items become a set; other expressions become == comparisons ORed. */
    kval *vals = NULL;
    int n = 0, cap = 0;
    kx *ors = NULL;
    for (size_t i = 0; i < e->u.in.nlist; i++) {
        kx *item = bind_scalar(b, s, rc, e->u.in.list[i]);
        kval v;
        if (bind_const_value(b, item, &v)) {
            add_set_values(b, &vals, &n, &cap, &v, terms || ci ? SP_TYPE_STRING : elem);
            continue;
        }
        if (terms)
            bind_fail(b, e->u.in.list[i]->pos, "unsupported: non-constant terms in %s", kql_binop_text(op));
        kx *cmp = ci ? mk_call2(b, KB_eq_ci, SP_TYPE_BOOL, l, to_string(b, item), pos)
                     : item->type == SP_TYPE_DYNAMIC ? mk_call2(b, KB_set_has_element, SP_TYPE_BOOL, item, bind_convert(b, l, SP_TYPE_DYNAMIC), pos)
                                                     : bind_compare(b, KB_eq, l, item, pos);
        ors = ors ? mk_call2(b, KB_or, SP_TYPE_BOOL, ors, cmp, pos) : cmp;
    }
    kx *res = ors;
    if (n > 0 || !ors) {
        kx *set = sp_arena_calloc(&b->plan->arena, sizeof *set);
        set->kind = KX_SET;
        set->type = elem;
        set->set = vals;
        set->nset = n;
        kx *call = mk_call2(b, fn, SP_TYPE_BOOL, l, set, pos);
        res = ors ? mk_call2(b, KB_or, SP_TYPE_BOOL, call, ors, pos) : call;
    }
    return neg ? negate(b, res, pos) : res;
}

static kx *bind_between(binder *b, scope *s, const rowctx *rc, const kql_expr *e)
{
    kx *x = bind_scalar(b, s, rc, e->u.between.lhs);
    kx *lo = bind_scalar(b, s, rc, e->u.between.lo);
    kx *hi = bind_scalar(b, s, rc, e->u.between.hi);
    if (x->type == SP_TYPE_DYNAMIC)
        x = bind_convert(b, x, lo->type == SP_TYPE_DYNAMIC ? SP_TYPE_REAL : lo->type);
    /* `between (datetime(...) .. 1d)`: a timespan upper bound is relative to lo. */
    if ((x->type == SP_TYPE_DATETIME || lo->type == SP_TYPE_DATETIME) && hi->type == SP_TYPE_TIMESPAN)
        hi = mk_call2(b, KB_add, SP_TYPE_DATETIME, bind_convert(b, lo, SP_TYPE_DATETIME), hi, e->pos);
    sp_type t, t2;
    if (!bind_unify(x->type, lo->type, &t) || !bind_unify(t, hi->type, &t2))
        bind_fail(b, e->pos, "between needs comparable bounds, got %s, %s and %s", sp_type_name(x->type),
                  sp_type_name(lo->type), sp_type_name(hi->type));
    kx *args[3] = {bind_convert(b, x, t2), bind_convert(b, lo, t2), bind_convert(b, hi, t2)};
    kx *call = mk_call(b, KB_between, SP_TYPE_BOOL, args, 3, e->pos);
    return e->u.between.op == KQL_OP_NOT_BETWEEN ? negate(b, call, e->pos) : call;
}

/* ---- calls ---- */

static sp_type kind_type(char k, sp_type actual)
{
    switch (k) {
    case 'b': return SP_TYPE_BOOL;
    case 'i': return SP_TYPE_INT;
    case 'l': return SP_TYPE_LONG;
    case 'r': return SP_TYPE_REAL;
    case 'n': return is_numeric(actual) ? actual : SP_TYPE_REAL;
    case 'd': return SP_TYPE_DATETIME;
    case 't': return SP_TYPE_TIMESPAN;
    case 's': return SP_TYPE_STRING;
    case 'g': return is_stringish(actual) ? actual : SP_TYPE_STRING;
    case 'y': return SP_TYPE_DYNAMIC;
    default: return SP_TYPE_NULL; /* a, ?: as is */
    }
}

/* Converts args per the builtin's signature; returns the declared result kind. */
static char apply_signature(binder *b, kb_id fn, kx **args, int n)
{
    const char *sig = kb_get(fn)->sig;
    const char *colon = strchr(sig, ':');
    int nk = (int)(colon - sig);
    char last = 0;
    for (int i = 0; i < n; i++) {
        char k;
        if (i < nk && sig[i] != '*')
            k = sig[i];
        else if (i < nk + 1 && nk > 0 && sig[nk - 1] == '*')
            k = last;
        else if (nk > 0 && sig[nk - 1] == '*')
            k = last;
        else
            k = i < nk ? sig[i] : 'a';
        if (i + 1 < nk && sig[i + 1] == '*')
            last = k;
        if (k != '*')
            last = k;
        sp_type t = kind_type(k, args[i]->type);
        if (t == SP_TYPE_DYNAMIC)
            args[i] = as_dynamic(b, args[i]);
        else if (t != SP_TYPE_NULL && args[i]->kind != KX_SET && args[i]->kind != KX_SUBQUERY)
            args[i] = bind_convert(b, args[i], t);
    }
    return colon[1];
}

static sp_type kind_result(char k)
{
    sp_type t = kind_type(k, SP_TYPE_NULL);
    return t == SP_TYPE_NULL ? SP_TYPE_DYNAMIC : t;
}

/* Unifies args[from..] (step apart) to one type and returns it. */
static sp_type unify_args(binder *b, kx **args, int from, int to, int step, kql_pos pos)
{
    sp_type t = SP_TYPE_NULL;
    for (int i = from; i < to; i += step) {
        sp_type u;
        if (args[i]->kind == KX_CONST && args[i]->value.null && args[i]->type == SP_TYPE_DYNAMIC)
            continue; /* untyped null adapts */
        if (!bind_unify(t, args[i]->type, &u))
            bind_fail(b, pos, "arguments of types %s and %s cannot be combined", sp_type_name(t), sp_type_name(args[i]->type));
        t = u;
    }
    if (t == SP_TYPE_NULL)
        t = SP_TYPE_DYNAMIC;
    for (int i = from; i < to; i += step)
        args[i] = bind_convert(b, args[i], t);
    return t;
}

static sp_type typeof_arg(binder *b, const kql_expr *e)
{
    if (e->kind != KQL_E_TYPEOF || e->u.type.tabular)
        bind_fail(b, e->pos, "expected typeof(<type>)");
    return e->u.type.scalar;
}

static kx *bind_user_function(binder *b, scope *s, const rowctx *rc, const kql_expr *e, binding *fnb);

/* ---- functions with several outputs ---- */

static const char *const fit_line_outs[] = {"rsquare", "slope", "variance", "rvariance", "interception", "line_fit"};
static const sp_type fit_line_types[] = {SP_TYPE_REAL, SP_TYPE_REAL, SP_TYPE_REAL, SP_TYPE_REAL, SP_TYPE_REAL, SP_TYPE_DYNAMIC};
static const char *const decompose_outs[] = {"baseline", "seasonal", "trend", "residual"};
static const char *const anomalies_outs[] = {"ad_flag", "ad_score", "baseline"};
static const sp_type dyn4[] = {SP_TYPE_DYNAMIC, SP_TYPE_DYNAMIC, SP_TYPE_DYNAMIC, SP_TYPE_DYNAMIC};

static const bind_tuple_fn tuple_fns[] = {
    {"series_fit_line", KB_series_fit_line_dynamic, 6, fit_line_outs, fit_line_types},
    {"series_decompose", KB_series_decompose_bag, 4, decompose_outs, dyn4},
    {"series_decompose_anomalies", KB_series_decompose_anomalies_bag, 3, anomalies_outs, dyn4},
};

const bind_tuple_fn *bind_tuple_lookup(scope *s, const kql_expr *e)
{
    if (e->kind != KQL_E_CALL)
        return NULL;
    binding *fnb = scope_find(s, e->u.call.name.name.s, e->u.call.name.name.len);
    if (fnb && fnb->kind == BIND_FUNCTION)
        return NULL;
    for (size_t i = 0; i < SP_ARRAY_LEN(tuple_fns); i++)
        if (!strcmp(e->u.call.name.name.s, tuple_fns[i].name))
            return &tuple_fns[i];
    return NULL;
}

kx *bind_tuple_call(binder *b, scope *s, const rowctx *rc, const kql_expr *call)
{
    b->tuple_ok = true;
    kx *x = bind_scalar(b, s, rc, call);
    b->tuple_ok = false;
    return x;
}

kx *bind_tuple_part(binder *b, const bind_tuple_fn *f, int i, int bag)
{
    kval key = {.type = SP_TYPE_STRING, .u.s = {f->outs[i], (uint32_t)strlen(f->outs[i])}};
    kx *part = kx_call2(b->plan, KB_getpath, SP_TYPE_DYNAMIC, kx_col(b->plan, bag, SP_TYPE_DYNAMIC), kx_const(b->plan, key));
    return f->types[i] == SP_TYPE_DYNAMIC ? part : bind_convert(b, part, f->types[i]);
}

const char *bind_tuple_autoname(binder *b, const bind_tuple_fn *f, const kql_expr *call, int i)
{
    const char *arg = call->u.call.nargs ? bind_auto_name(b, call->u.call.args[0]) : NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "%s_%s_%s", f->name, arg ? arg : "", f->outs[i]);
    return bind_str(b, buf, strlen(buf));
}

static kx *bind_call(binder *b, scope *s, const rowctx *rc, const kql_expr *e)
{
    const char *name = e->u.call.name.name.s;
    size_t nlen = e->u.call.name.name.len;
    int nargs = (int)e->u.call.nargs;
    const kql_expr *const *a = (const kql_expr *const *)e->u.call.args;
    kql_pos pos = e->pos;

    binding *fnb = scope_find(s, name, nlen);
    if (fnb && fnb->kind == BIND_FUNCTION)
        return bind_user_function(b, s, rc, e, fnb);

    const bind_tuple_fn *tuple = bind_tuple_lookup(s, e);
    if (tuple && !b->tuple_ok)
        bind_fail(b, pos, "%s() returns several values: name them in extend or project, as in (a, b) = %s(...)", name, name);
    b->tuple_ok = false; /* only the outermost call */

    if (!strcmp(name, "toscalar")) {
        if (nargs != 1)
            bind_fail(b, pos, "toscalar() takes one argument");
        kp *sub = bind_maybe_tabular(b, s, a[0]);
        if (!sub)
            return bind_scalar(b, s, NULL, a[0]); /* toscalar(2) is just 2 */
        if (sub->out.ncols < 1)
            bind_fail(b, a[0]->pos, "toscalar() needs a query with at least one column");
        kx *q = sp_arena_calloc(&b->plan->arena, sizeof *q);
        q->kind = KX_SUBQUERY;
        q->type = sub->out.cols[0].type;
        q->sub = sub;
        q->sub_scalar = true;
        q->line = (int)pos.line;
        q->col = (int)pos.col;
        return q;
    }
    if (!strcmp(name, "column_ifexists") || !strcmp(name, "columnifexists")) {
        if (nargs != 2 || a[0]->kind != KQL_E_LITERAL || a[0]->u.lit.type != SP_TYPE_STRING)
            bind_fail(b, pos, "column_ifexists() takes a column name (a string literal) and a default value");
        int c = rc && rc->in ? kp_schema_find(rc->in, a[0]->u.lit.s.s, a[0]->u.lit.s.len) : -1;
        kx *deflt = bind_scalar(b, s, rc, a[1]);
        if (c < 0)
            return deflt;
        return kx_col(b->plan, c, rc->in->cols[c].type);
    }
    if (bind_is_aggregate(e) && kb_lookup(name, nlen) < 0)
        bind_fail(b, pos, "aggregate function '%s' is only valid in summarize, make-series or top-nested", name);
    if (!strcmp(name, "next"))
        bind_fail(b, pos, "unsupported: next() here (it is supported in where, extend and project)");

    int id = tuple ? (int)tuple->impl : kb_lookup(name, nlen);
    if (id < 0)
        bind_fail(b, e->u.call.name.pos, "unknown function '%s'", name);
    const kb_info *info = kb_get((kb_id)id);
    if (nargs < info->min_args || nargs > info->max_args) {
        if (info->min_args == info->max_args)
            bind_fail(b, pos, "%s() takes %d argument%s, got %d", name, info->min_args, info->min_args == 1 ? "" : "s", nargs);
        bind_fail(b, pos, "%s() takes %d to %d arguments, got %d", name, info->min_args, info->max_args, nargs);
    }
    kx *args[256];
    sp_type forced = SP_TYPE_NULL; /* typeof(T) argument */
    int n = 0;
    for (int i = 0; i < nargs; i++) {
        if (a[i]->kind == KQL_E_TYPEOF) {
            forced = typeof_arg(b, a[i]);
            continue;
        }
        args[n++] = bind_scalar(b, s, rc, a[i]);
    }
    kb_id fn = (kb_id)id;
    sp_type rt;
    if (fn == KB_replace_regex && !strcmp(name, "replace") && n == 3) {
        /* legacy replace(regex, rewrite, text) -> replace_regex(text, regex, rewrite) */
        kx *t = args[2];
        args[2] = args[1];
        args[1] = args[0];
        args[0] = t;
    }
    if ((fn == KB_datetime_diff || fn == KB_datetime_add || fn == KB_datetime_part) && n > 0 && args[0]->kind == KX_CONST &&
        args[0]->type == SP_TYPE_STRING) {
        static const char *parts[] = {"year", "quarter", "month", "week", "day", "hour", "minute", "second",
                                      "millisecond", "microsecond", "nanosecond", "dayofyear", "weekofyear",
                                      "week_of_year"};
        kstr p = args[0]->value.u.s;
        bool ok = false;
        for (size_t i = 0; i < SP_ARRAY_LEN(parts) && !ok; i++)
            ok = sp_ieq(p.p, p.n, parts[i], strlen(parts[i])) && (fn == KB_datetime_part || i < 11);
        if (!ok)
            bind_fail(b, a[0]->pos, "%s(): unknown period '%.*s'", name, (int)p.n, p.p);
    }
    switch (fn) {
    case KB_iff:
        if (args[0]->type != SP_TYPE_BOOL && args[0]->type != SP_TYPE_DYNAMIC)
            bind_fail(b, a[0]->pos, "the condition of %s() must be a bool, got %s", name, sp_type_name(args[0]->type));
        args[0] = bind_convert(b, args[0], SP_TYPE_BOOL);
        rt = unify_args(b, args, 1, 3, 1, pos);
        return mk_call(b, fn, rt, args, n, pos);
    case KB_case:
        if (n % 2 == 0)
            bind_fail(b, pos, "case() takes predicate/value pairs and a final else value");
        for (int i = 0; i + 1 < n; i += 2)
            args[i] = bind_convert(b, args[i], SP_TYPE_BOOL);
        {
            /* values are args 1, 3, ..., n-2 and the else value n-1 */
            sp_type t = SP_TYPE_NULL, u;
            for (int i = 1; i < n; i += 2) {
                if (!bind_unify(t, args[i]->type, &u))
                    bind_fail(b, pos, "case() values of types %s and %s cannot be combined", sp_type_name(t), sp_type_name(args[i]->type));
                t = u;
            }
            if (!bind_unify(t, args[n - 1]->type, &u))
                bind_fail(b, pos, "case() else value has type %s, values have %s", sp_type_name(args[n - 1]->type), sp_type_name(t));
            t = u == SP_TYPE_NULL ? SP_TYPE_DYNAMIC : u;
            for (int i = 1; i < n; i += 2)
                args[i] = bind_convert(b, args[i], t);
            args[n - 1] = bind_convert(b, args[n - 1], t);
            return mk_call(b, fn, t, args, n, pos);
        }
    case KB_prev:
        /* prev(expr [, offset [, default]]): the default takes expr's type */
        if (n > 1)
            args[1] = bind_convert(b, args[1], SP_TYPE_LONG);
        if (n > 2)
            args[2] = bind_convert(b, args[2], args[0]->type);
        return mk_call(b, fn, args[0]->type, args, n, pos);
    case KB_row_cumsum:
        if (!is_numeric(args[0]->type) && args[0]->type != SP_TYPE_TIMESPAN)
            args[0] = bind_convert(b, args[0], SP_TYPE_REAL);
        if (n > 1)
            args[1] = bind_convert(b, args[1], SP_TYPE_BOOL);
        return mk_call(b, fn, args[0]->type == SP_TYPE_INT ? SP_TYPE_LONG : args[0]->type, args, n, pos);
    case KB_coalesce:
    case KB_max_of:
    case KB_min_of:
        rt = unify_args(b, args, 0, n, 1, pos);
        return mk_call(b, fn, rt, args, n, pos);
    case KB_bin:
    case KB_floor:
    case KB_bin_at: {
        sp_type t0 = args[0]->type;
        if (t0 == SP_TYPE_DYNAMIC)
            args[0] = bind_convert(b, args[0], t0 = SP_TYPE_REAL);
        if (t0 == SP_TYPE_DATETIME || t0 == SP_TYPE_TIMESPAN) {
            args[1] = bind_convert(b, args[1], SP_TYPE_TIMESPAN);
            if (fn == KB_bin_at)
                args[2] = bind_convert(b, args[2], t0);
            return mk_call(b, fn, t0, args, n, pos);
        }
        if (!is_numeric(t0))
            bind_fail(b, pos, "%s() cannot bin a %s", name, sp_type_name(t0));
        rt = args[1]->type == SP_TYPE_REAL || t0 == SP_TYPE_REAL ? SP_TYPE_REAL : t0;
        for (int i = 0; i < n; i++)
            args[i] = bind_convert(b, args[i], rt == SP_TYPE_INT ? SP_TYPE_LONG : rt);
        return mk_call(b, fn, rt, args, n, pos);
    }
    case KB_range: {
        /* range(start, stop [, step]): numbers, or datetimes/timespans with a timespan step */
        sp_type t = args[0]->type;
        if (t == SP_TYPE_DYNAMIC)
            t = SP_TYPE_REAL;
        bool timelike = t == SP_TYPE_DATETIME || t == SP_TYPE_TIMESPAN;
        if (!timelike && !is_numeric(t))
            bind_fail(b, a[0]->pos, "range() needs numbers, datetimes or timespans");
        if (!timelike) {
            sp_type u;
            bind_unify(t, args[1]->type, &t);
            if (n > 2 && bind_unify(t, args[2]->type, &u))
                t = u;
        }
        args[0] = bind_convert(b, args[0], t == SP_TYPE_INT ? SP_TYPE_LONG : t);
        args[1] = bind_convert(b, args[1], args[0]->type);
        if (n > 2)
            args[2] = bind_convert(b, args[2], timelike ? SP_TYPE_TIMESPAN : args[0]->type);
        return mk_call(b, fn, SP_TYPE_DYNAMIC, args, n, pos);
    }
    case KB_sign:
    case KB_round:
    case KB_abs:
    case KB_ceiling: {
        sp_type t0 = args[0]->type;
        if (!is_numeric(t0) && t0 != SP_TYPE_TIMESPAN)
            args[0] = bind_convert(b, args[0], t0 = SP_TYPE_REAL);
        if (n > 1)
            args[1] = bind_convert(b, args[1], SP_TYPE_LONG);
        return mk_call(b, fn, t0, args, n, pos);
    }
    case KB_extract:
        args[0] = to_string(b, args[0]);
        args[1] = bind_convert(b, args[1], SP_TYPE_LONG);
        args[2] = to_string(b, args[2]);
        return mk_call(b, fn, forced != SP_TYPE_NULL ? forced : SP_TYPE_STRING, args, n, pos);
    case KB_extract_all:
        args[0] = to_string(b, args[0]);
        if (n == 3) {
            args[1] = as_dynamic(b, args[1]);
            args[2] = to_string(b, args[2]);
        } else {
            args[1] = to_string(b, args[1]);
        }
        return mk_call(b, fn, SP_TYPE_DYNAMIC, args, n, pos);
    case KB_extractjson:
        args[0] = to_string(b, args[0]);
        args[1] = to_string(b, args[1]);
        return mk_call(b, fn, forced != SP_TYPE_NULL ? forced : SP_TYPE_STRING, args, n, pos);
    case KB_ipv4_is_in_any_range:
    case KB_ipv6_is_in_any_range:
    case KB_has_any_ipv4: {
        /* Ranges: constant strings or constant dynamic arrays -> one set argument. */
        args[0] = to_string(b, args[0]);
        kval *vals = NULL;
        int nv = 0, cap = 0;
        bool all_const = true;
        for (int i = 1; i < n; i++) {
            kval v;
            if (!bind_const_value(b, args[i], &v)) {
                all_const = false;
                break;
            }
            add_set_values(b, &vals, &nv, &cap, &v, SP_TYPE_STRING);
        }
        if (!all_const) {
            if (n == 2) {
                args[1] = as_dynamic(b, args[1]);
                return mk_call(b, fn, SP_TYPE_BOOL, args, 2, pos);
            }
            bind_fail(b, pos, "unsupported: non-constant address ranges in %s()", name);
        }
        kx *set = sp_arena_calloc(&b->plan->arena, sizeof *set);
        set->kind = KX_SET;
        set->type = SP_TYPE_STRING;
        set->set = vals;
        set->nset = nv;
        kx *two[2] = {args[0], set};
        return mk_call(b, fn, SP_TYPE_BOOL, two, 2, pos);
    }
    case KB_pack:
        if (n % 2)
            bind_fail(b, pos, "bag_pack() takes key/value pairs");
        for (int i = 0; i < n; i += 2)
            args[i] = to_string(b, args[i]);
        return mk_call(b, fn, SP_TYPE_DYNAMIC, args, n, pos);
    case KB_format_ipv4:
        if (!is_numeric(args[0]->type))
            args[0] = to_string(b, args[0]);
        if (n > 1)
            args[1] = bind_convert(b, args[1], SP_TYPE_LONG);
        return mk_call(b, fn, SP_TYPE_STRING, args, n, pos);
    default: break;
    }
    char rk = apply_signature(b, fn, args, n);
    if (rk == '?') {
        rt = n > 0 ? args[0]->type : SP_TYPE_DYNAMIC;
    } else {
        rt = kind_result(rk);
    }
    if (forced != SP_TYPE_NULL)
        rt = forced;
    return mk_call(b, fn, rt, args, n, pos);
}

/* A user function with a scalar body: bound inline, parameters bound to the arguments. */
static kx *bind_user_function(binder *b, scope *s, const rowctx *rc, const kql_expr *e, binding *fnb)
{
    const kql_expr *lam = fnb->expr;
    if (++b->depth > 64)
        bind_fail(b, e->pos, "functions nested too deeply (recursion?)");
    scope *inner = scope_new(fnb->defscope);
    size_t np = lam->u.lambda.nparams;
    for (size_t i = 0; i < np; i++) {
        const kql_param_decl *p = &lam->u.lambda.params[i];
        const kql_expr *arg = i < e->u.call.nargs ? e->u.call.args[i] : p->deflt;
        if (!arg)
            bind_fail(b, e->pos, "missing argument '%s' of function '%s'", p->name.name.s, e->u.call.name.name.s);
        binding bd = {.name = p->name.name.s};
        if (p->type.tabular) {
            bd.kind = BIND_PLAN;
            bd.plan = bind_tabular(b, s, arg);
        } else {
            bd.kind = BIND_SCALAR;
            kx *v = bind_scalar(b, i < e->u.call.nargs ? s : fnb->defscope, rc, arg);
            bd.scalar = p->type.scalar != SP_TYPE_NULL ? bind_convert(b, v, p->type.scalar) : v;
            if (kx_uses_row(v))
                bd.row_schema = rc ? rc->in : NULL;
        }
        scope_add(b, inner, bd);
    }
    if (e->u.call.nargs > np)
        bind_fail(b, e->pos, "function '%s' takes %zu arguments, got %zu", e->u.call.name.name.s, np, e->u.call.nargs);
    kx *result = NULL;
    for (size_t i = 0; i < lam->u.lambda.nbody; i++) {
        const kql_stmt *st = lam->u.lambda.body[i];
        if (st->kind == KQL_S_LET) {
            binding bd = {.name = st->u.let.name.name.s, .defscope = inner, .expr = st->u.let.value};
            if (st->u.let.value->kind == KQL_E_LAMBDA) {
                bd.kind = BIND_FUNCTION;
            } else {
                kx *v = NULL;
                kp *t = bind_maybe_tabular(b, inner, st->u.let.value);
                if (t) {
                    bd.kind = BIND_PLAN;
                    bd.plan = t;
                } else {
                    v = bind_scalar(b, inner, rc, st->u.let.value);
                    bd.kind = BIND_SCALAR;
                    bd.scalar = v;
                }
            }
            scope_add(b, inner, bd);
        } else if (st->kind == KQL_S_EXPR) {
            result = bind_scalar(b, inner, rc, st->u.expr);
        }
    }
    b->depth--;
    if (!result)
        bind_fail(b, e->pos, "function '%s' has no value", e->u.call.name.name.s);
    return result;
}

/* ---- aggregates ---- */

bool bind_is_aggregate(const kql_expr *e)
{
    if (e->kind == KQL_E_ASSIGN)
        e = e->u.assign.value;
    return e->kind == KQL_E_CALL && ka_lookup(e->u.call.name.name.s, e->u.call.name.name.len) >= 0 &&
           strcmp(e->u.call.name.name.s, "count") != 0 ? true
           : e->kind == KQL_E_CALL && !strcmp(e->u.call.name.name.s, "count");
}

static const char *agg_autoname(binder *b, ka_id id, const kql_expr *arg0)
{
    const char *pat = ka_get(id)->autoname;
    const char *pct = strchr(pat, '%');
    if (!pct)
        return pat;
    const char *col = arg0 ? first_column(b, arg0) : NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s%s", (int)(pct - pat), pat, col ? col : "");
    return bind_str(b, buf, strlen(buf));
}

/* Appends an output column; a name already taken gets Kusto's numeric suffix (set_y1). */
static void out_add(binder *b, kp_schema *out, const char *name, sp_type t)
{
    char buf[300];
    snprintf(buf, sizeof buf, "%s", name);
    for (int k = 1; kp_schema_find(out, buf, strlen(buf)) >= 0; k++)
        snprintf(buf, sizeof buf, "%s%d", name, k);
    kp_schema_add(b->plan, out, buf, t);
}

void bind_aggregate(binder *b, scope *s, const rowctx *rc, const kql_expr *call, kp_agg *agg, kp_schema *out,
                    const char *given_name, const kql_ident *more, int nmore)
{
    const char *name = call->u.call.name.name.s;
    int id = ka_lookup(name, call->u.call.name.name.len);
    if (id < 0) {
        if (kb_lookup(name, call->u.call.name.name.len) >= 0)
            bind_fail(b, call->pos, "'%s' is not an aggregate function (summarize needs aggregates such as count(), sum(), make_set())", name);
        bind_fail(b, call->u.call.name.pos, "unknown aggregate function '%s'", name);
    }
    const ka_info *info = ka_get((ka_id)id);
    int nargs = (int)call->u.call.nargs;
    bool count_expr = id == KA_count && nargs == 1; /* count(x): every row, named count_x */
    if (!count_expr && (nargs < info->min_args || nargs > info->max_args))
        bind_fail(b, call->pos, "%s() takes %d to %d arguments, got %d", name, info->min_args, info->max_args, nargs);
    agg->agg = (ka_id)id;
    agg->first_out = out->ncols;
    agg->nout = 1;
    agg->cap = INT64_MAX;
    const kql_expr *const *a = (const kql_expr *const *)call->u.call.args;
    kplan *p = b->plan;
    bool legacy128 = !strcmp(name, "makeset") || !strcmp(name, "makelist");
    switch (agg->agg) {
    case KA_arg_max:
    case KA_arg_min: {
        /* arg_max(expr, col1, col2 | *): outputs expr then the columns. */
        kx *x = bind_scalar(b, s, rc, a[0]);
        kx **args = sp_arena_alloc(&p->arena, sizeof(kx *) * (size_t)(rc->in->ncols + nargs + 1));
        int na = 0;
        args[na++] = x;
        /* Names: `N = arg_max(x, ...)` names the x column; `(N1, N2, ...) =` names the
         * outputs in order, up to the first `*` (Kusto's language service agrees). */
        int explicit = 1;
        while (explicit < nargs && a[explicit]->kind != KQL_E_STAR)
            explicit++;
        if (nmore >= explicit)
            bind_fail(b, more[explicit - 1].pos, "%s() has %d named outputs; the name '%s' has no value", name,
                      explicit, more[explicit - 1].name.s);
        const char *xname = bind_auto_name(b, a[0]);
        if (!xname) {
            char buf[64];
            snprintf(buf, sizeof buf, "%s", agg->agg == KA_arg_max ? "max_" : "min_");
            xname = bind_str(b, buf, strlen(buf));
        }
        out_add(b, out, given_name ? given_name : xname, x->type);
        for (int i = 1; i < nargs; i++) {
            if (a[i]->kind == KQL_E_STAR) {
                for (int c = 0; c < rc->in->ncols; c++) {
                    if (x->kind == KX_COL && x->colidx == c)
                        continue;
                    if (kp_schema_find(out, rc->in->cols[c].name, strlen(rc->in->cols[c].name)) >= 0)
                        continue; /* a by-key or an earlier output */
                    args[na++] = kx_col(p, c, rc->in->cols[c].type);
                    out_add(b, out, rc->in->cols[c].name, rc->in->cols[c].type);
                }
                continue;
            }
            const kql_expr *ai = a[i];
            const char *nm = NULL;
            if (ai->kind == KQL_E_ASSIGN) {
                nm = ai->u.assign.names[0].name.s;
                ai = ai->u.assign.value;
            }
            kx *v = bind_scalar(b, s, rc, ai);
            if (i - 1 < nmore)
                nm = more[i - 1].name.s;
            if (!nm)
                nm = bind_auto_name(b, ai);
            if (!nm) {
                char buf[32];
                snprintf(buf, sizeof buf, "Column%d", ++b->column_counter);
                nm = bind_str(b, buf, strlen(buf));
            }
            args[na++] = v;
            out_add(b, out, nm, v->type);
        }
        agg->args = args;
        agg->nargs = na;
        agg->nout = na;
        return;
    }
    case KA_percentiles: {
        kx *x = bind_scalar(b, s, rc, a[0]);
        agg->args = sp_arena_alloc(&p->arena, sizeof(kx *));
        agg->args[0] = x;
        agg->nargs = 1;
        agg->nout = nargs - 1;
        if (nmore >= agg->nout)
            bind_fail(b, more[agg->nout - 1].pos, "percentiles() has %d outputs; the name '%s' has no value", agg->nout,
                      more[agg->nout - 1].name.s);
        agg->percents = sp_arena_alloc(&p->arena, sizeof(double) * (size_t)agg->nout);
        const char *col = first_column(b, a[0]);
        for (int i = 1; i < nargs; i++) {
            kval v;
            kx *pe = bind_scalar(b, s, rc, a[i]);
            if (!bind_const_value(b, pe, &v) || v.null)
                bind_fail(b, a[i]->pos, "percentiles() needs constant percentages");
            double pct = v.type == SP_TYPE_REAL ? v.u.r : (double)v.u.l;
            agg->percents[i - 1] = pct;
            char buf[256], pbuf[32];
            sp_format_real(pct, pbuf);
            for (char *q = pbuf; *q; q++)
                if (*q == '.')
                    *q = '_';
            snprintf(buf, sizeof buf, "percentile_%s_%s", col ? col : "", pbuf);
            const char *given = i == 1 ? given_name : i - 2 < nmore ? more[i - 2].name.s : NULL;
            out_add(b, out, given ? given : bind_str(b, buf, strlen(buf)), x->type);
        }
        return;
    }
    default: break;
    }
    if (nmore > 0 && !(agg->agg == KA_take_any && nargs > 1))
        bind_fail(b, more[0].pos, "%s() returns one value; the name '%s' has no value", name, more[0].name.s);
    agg->nargs = nargs;
    agg->args = sp_arena_alloc(&p->arena, sizeof(kx *) * (size_t)(nargs ? nargs : 1));
    for (int i = 0; i < nargs; i++)
        agg->args[i] = bind_scalar(b, s, rc, a[i]);
    kx **args = agg->args;
    sp_type rt = SP_TYPE_LONG;
    int pred = -1, capidx = -1;
    switch (agg->agg) {
    case KA_count:
        if (count_expr) {
            const char *col = first_column(b, a[0]);
            char buf[300];
            snprintf(buf, sizeof buf, "count_%s", col ? col : "");
            out_add(b, out, given_name ? given_name : bind_str(b, buf, strlen(buf)), SP_TYPE_LONG);
            agg->nargs = 0;
            return;
        }
        break;
    case KA_count_distinct: break;
    case KA_countif: pred = 0; break;
    case KA_dcount: break;
    case KA_dcountif: pred = 1; break;
    case KA_sum:
    case KA_sumif:
        if (agg->agg == KA_sumif)
            pred = 1;
        if (args[0]->type == SP_TYPE_DYNAMIC)
            args[0] = bind_convert(b, args[0], SP_TYPE_REAL);
        if (!(is_numeric(args[0]->type) || args[0]->type == SP_TYPE_TIMESPAN))
            bind_fail(b, a[0]->pos, "%s() needs a numeric argument, got %s", name, sp_type_name(args[0]->type));
        rt = args[0]->type == SP_TYPE_INT ? SP_TYPE_LONG : args[0]->type;
        break;
    case KA_avg:
    case KA_avgif:
        if (agg->agg == KA_avgif)
            pred = 1;
        if (args[0]->type == SP_TYPE_DYNAMIC)
            args[0] = bind_convert(b, args[0], SP_TYPE_REAL);
        if (!(is_numeric(args[0]->type) || args[0]->type == SP_TYPE_TIMESPAN))
            bind_fail(b, a[0]->pos, "%s() needs a numeric argument, got %s", name, sp_type_name(args[0]->type));
        rt = args[0]->type == SP_TYPE_TIMESPAN ? SP_TYPE_TIMESPAN : SP_TYPE_REAL;
        break;
    case KA_min:
    case KA_max:
    case KA_minif:
    case KA_maxif:
        if (agg->agg == KA_minif || agg->agg == KA_maxif)
            pred = 1;
        rt = args[0]->type;
        break;
    case KA_take_any:
    case KA_take_anyif:
        if (agg->agg == KA_take_anyif)
            pred = 1;
        rt = args[0]->type;
        if (agg->agg == KA_take_any && nargs > 1) {
            agg->nout = nargs;
            if (nmore >= nargs)
                bind_fail(b, more[nargs - 1].pos, "take_any() has %d outputs; the name '%s' has no value", nargs,
                          more[nargs - 1].name.s);
            for (int i = 0; i < nargs; i++) {
                const char *nm = i == 0 ? given_name : i - 1 < nmore ? more[i - 1].name.s : NULL;
                if (!nm)
                    nm = bind_auto_name(b, a[i]);
                if (!nm) {
                    char buf[32];
                    snprintf(buf, sizeof buf, "Column%d", ++b->column_counter);
                    nm = bind_str(b, buf, strlen(buf));
                }
                out_add(b, out, nm, args[i]->type);
            }
            return;
        }
        break;
    case KA_make_set:
    case KA_make_list:
    case KA_make_list_with_nulls:
    case KA_make_bag:
        rt = SP_TYPE_DYNAMIC;
        capidx = 1;
        if (agg->agg == KA_make_bag)
            args[0] = as_dynamic(b, args[0]);
        break;
    case KA_make_set_if:
    case KA_make_list_if:
    case KA_make_bag_if:
        rt = SP_TYPE_DYNAMIC;
        pred = 1;
        capidx = 2;
        if (agg->agg == KA_make_bag_if)
            args[0] = as_dynamic(b, args[0]);
        break;
    case KA_stdev:
    case KA_stdevp:
    case KA_variance:
    case KA_variancep:
        args[0] = bind_convert(b, args[0], is_numeric(args[0]->type) ? args[0]->type : SP_TYPE_REAL);
        rt = SP_TYPE_REAL;
        break;
    case KA_percentile: {
        kval v;
        if (!bind_const_value(b, args[1], &v) || v.null)
            bind_fail(b, a[1]->pos, "percentile() needs a constant percentage");
        double pct = v.type == SP_TYPE_REAL ? v.u.r : (double)v.u.l;
        agg->cap = (int64_t)(pct * 1e6);
        rt = args[0]->type;
        agg->nargs = 1;
        char buf[256], pbuf[32];
        sp_format_real(pct, pbuf);
        for (char *q = pbuf; *q; q++)
            if (*q == '.')
                *q = '_';
        const char *col = first_column(b, a[0]);
        snprintf(buf, sizeof buf, "percentile_%s_%s", col ? col : "", pbuf);
        out_add(b, out, given_name ? given_name : bind_str(b, buf, strlen(buf)), rt);
        return;
    }
    case KA_binary_all_or:
    case KA_binary_all_and:
        args[0] = bind_convert(b, args[0], SP_TYPE_LONG);
        break;
    default: break;
    }
    if (pred >= 0) {
        args[pred] = bind_convert(b, args[pred], SP_TYPE_BOOL);
        agg->predicate = args[pred];
    }
    if (capidx >= 0 && capidx < nargs) {
        kval v;
        if (!bind_const_value(b, args[capidx], &v) || v.null)
            bind_fail(b, a[capidx]->pos, "the size limit of %s() must be a constant", name);
        agg->cap = v.type == SP_TYPE_REAL ? (int64_t)v.u.r : v.u.l;
        agg->nargs = capidx; /* the cap is not a row argument */
    } else if (capidx >= 0) {
        agg->cap = legacy128 ? 128 : sp_limits.make_set_cap;
    }
    if (agg->agg == KA_dcount || agg->agg == KA_dcountif)
        agg->nargs = agg->agg == KA_dcount ? 1 : 2; /* accuracy argument ignored: exact */
    const char *auto_name = agg_autoname(b, agg->agg, nargs ? a[0] : NULL);
    if (!strcmp(name, "any") && nargs) { /* the legacy alias keeps its own prefix */
        const char *col = first_column(b, a[0]);
        char buf[300];
        snprintf(buf, sizeof buf, "any_%s", col ? col : "");
        auto_name = bind_str(b, buf, strlen(buf));
    }
    out_add(b, out, given_name ? given_name : auto_name, rt);
}

/* ---- dispatch ---- */

kx *bind_scalar(binder *b, scope *s, const rowctx *rc, const kql_expr *e)
{
    if (++b->depth > 512)
        bind_fail(b, e->pos, "expression nested too deeply");
    kx *r = NULL;
    int subst = e->kind == KQL_E_CALL ? bind_agg_substitute(e) : -1;
    if (subst >= 0) {
        b->depth--;
        return kx_col(b->plan, subst, rc->in->cols[subst].type);
    }
    switch (e->kind) {
    case KQL_E_LITERAL: r = bind_literal(b, e); break;
    case KQL_E_NAME: r = bind_name(b, s, rc, e); break;
    case KQL_E_MEMBER: r = bind_member(b, s, rc, e); break;
    case KQL_E_INDEX: r = bind_index(b, s, rc, e); break;
    case KQL_E_CALL: r = bind_call(b, s, rc, e); break;
    case KQL_E_UNARY: {
        kx *x = bind_scalar(b, s, rc, e->u.unary.arg);
        if (e->u.unary.op == KQL_UN_PLUS) {
            r = x;
            break;
        }
        if (x->type == SP_TYPE_DYNAMIC)
            x = bind_convert(b, x, SP_TYPE_REAL);
        if (!is_numeric(x->type) && x->type != SP_TYPE_TIMESPAN)
            bind_fail(b, e->pos, "cannot negate a %s", sp_type_name(x->type));
        if (x->kind == KX_CONST) { /* -5, -1d: a constant, usable where constants are required */
            kval v = x->value;
            if (!v.null) {
                if (v.type == SP_TYPE_REAL)
                    v.u.r = -v.u.r;
                else
                    v.u.l = -v.u.l;
            }
            r = mk_const(b, v, e->pos);
            break;
        }
        r = mk_call1(b, KB_neg, x->type, x, e->pos);
        break;
    }
    case KQL_E_BINARY: r = bind_binary(b, s, rc, e); break;
    case KQL_E_IN: r = bind_in(b, s, rc, e); break;
    case KQL_E_BETWEEN: r = bind_between(b, s, rc, e); break;
    case KQL_E_STAR: bind_fail(b, e->pos, "'*' is not valid here");
    case KQL_E_TYPEOF: bind_fail(b, e->pos, "typeof() is only valid as a type argument");
    case KQL_E_ASSIGN: bind_fail(b, e->pos, "an assignment is not valid here");
    case KQL_E_LAMBDA: bind_fail(b, e->pos, "a function is not a value");
    case KQL_E_PIPE:
    case KQL_E_DATATABLE:
    case KQL_E_EXTERNALDATA: bind_fail(b, e->pos, "a tabular expression is not valid here (use toscalar() for a single value)");
    }
    b->depth--;
    return r;
}
