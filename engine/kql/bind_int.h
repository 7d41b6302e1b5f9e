/* bind_int.h — the binder's internals, shared by bind.c (statements, tabular operators)
 * and bind_expr.c (scalar expressions, functions, types). Only engine/kql includes it. */
#ifndef SP_BIND_INT_H
#define SP_BIND_INT_H

#include <setjmp.h>

#include "engine/kql/kql.h"
#include "engine/plan/plan.h"

/* A let binding or function parameter visible in a scope. */
typedef enum {
    BIND_SCALAR, /* a bound scalar expression (constant or over nothing) */
    BIND_TABULAR, /* a tabular expression, re-bound at each use in its defining scope */
    BIND_FUNCTION, /* a lambda */
    BIND_SHARED,  /* materialize(): a shared subplan */
    BIND_PLAN     /* an already bound tabular plan (a tabular function argument) */
} binding_kind;

typedef struct scope scope;
typedef struct binding {
    const char *name;
    binding_kind kind;
    kx *scalar;
    const kql_expr *expr; /* BIND_TABULAR / BIND_FUNCTION */
    scope *defscope;      /* where expr must be bound */
    int shared_id;        /* BIND_SHARED */
    kp_schema shared_schema;
    kp *plan;             /* BIND_PLAN */
    const kp_schema *row_schema; /* a scalar computed from this row's columns */
} binding;

struct scope {
    scope *parent;
    binding *items;
    int n, cap;
};

/* The row context of a scalar expression: the input schema of the operator, and for
 * join conditions the two sides. */
typedef struct rowctx {
    const kp_schema *in;
    const kp_schema *left, *right; /* join `on`: $left / $right */
    kp *input;                     /* the operator's input plan (column_ifexists, ...) */
} rowctx;

typedef struct binder {
    kplan *plan;
    const kql_query *q;
    const kql_bind_env *env;
    sp_diag *err;
    jmp_buf fail;
    int depth;
    int column_counter; /* Column1, Column2 ... within one operator */
    bool tuple_ok;      /* the call being bound may be a tuple function (its bag) */
    bool unresolved;    /* the last failure names a table or tabular function that does not
                           exist (union isfuzzy=true skips such legs, nothing else) */
    bool missing_name;  /* the last failure names a table, column or variable that does not
                           exist (kql_bind_env.missing_name) */
} binder;

/* bind_fail for a table, view or tabular function that does not exist. */
_Noreturn void bind_fail_unresolved(binder *b, kql_pos pos, const char *fmt, ...) SP_PRINTF(3, 4);
/* bind_fail for a table (table = true) or a column or variable that does not exist: a
 * name a later schema of a table inferred from the data may have (missing_name). */
_Noreturn void bind_fail_missing(binder *b, bool table, kql_pos pos, const char *fmt, ...) SP_PRINTF(4, 5);

/* Reports a positioned error and unwinds to kql_bind. */
_Noreturn void bind_fail(binder *b, kql_pos pos, const char *fmt, ...) SP_PRINTF(3, 4);

/* ---- scopes ---- */
void scope_add(binder *b, scope *s, binding bnd);
/* A new scope, freed when kql_bind returns (also after an error). */
scope *scope_new(scope *parent);
binding *scope_find(scope *s, const char *name, size_t n);

/* ---- scalar expressions (bind_expr.c) ---- */
kx *bind_scalar(binder *b, scope *s, const rowctx *rc, const kql_expr *e);
/* Converts e to type t (constants folded at bind time, otherwise a to* call). */
kx *bind_convert(binder *b, kx *e, sp_type t);
/* The common type two operands are compared or combined in. */
bool bind_unify(sp_type a, sp_type b, sp_type *out);
/* A scalar let value, parameter or constant folded to a value; false if not constant. */
bool bind_const_value(binder *b, kx *e, kval *out);
/* The column name Kusto derives for an unnamed expression, or NULL (then ColumnN). */
const char *bind_auto_name(binder *b, const kql_expr *e);
/* Binds an aggregate call into agg (args, types, output count) and appends its output
 * columns to out: the first named given_name (NULL: Kusto's auto name), the next ones
 * more[0..nmore) for aggregates with several outputs (`(a, b) = arg_max(x, y)`). */
void bind_aggregate(binder *b, scope *s, const rowctx *rc, const kql_expr *call, kp_agg *agg,
                    kp_schema *out, const char *given_name, const kql_ident *more, int nmore);
bool bind_is_aggregate(const kql_expr *e);
bool kx_uses_row(const kx *e); /* e reads a column of the current row */
/* Inside an expression over aggregates (`100.0 * countif(x) / count()`): the output
 * column that holds the aggregate call e, or -1. */
int bind_agg_substitute(const kql_expr *e);

/* Functions that return several values (`extend (a, b) = series_fit_line(x)`): each is
 * one builtin returning a bag keyed by the outputs' names (fn_tseries.c). */
typedef struct bind_tuple_fn {
    const char *name;          /* the KQL name */
    kb_id impl;                /* the builtin that returns the bag */
    int nout;
    const char *const *outs;   /* output names, in Kusto's order (the bag's keys) */
    const sp_type *types;
} bind_tuple_fn;
/* The tuple function e calls, or NULL (e not a call, or a let-bound function). */
const bind_tuple_fn *bind_tuple_lookup(scope *s, const kql_expr *e);
/* Binds a call to a tuple function: the bag of its outputs. */
kx *bind_tuple_call(binder *b, scope *s, const rowctx *rc, const kql_expr *call);
/* Output i of a tuple function, read from the bag in column `bag` of the input. */
kx *bind_tuple_part(binder *b, const bind_tuple_fn *f, int i, int bag);
/* Kusto's auto name of output i: <function>_<argument name>_<output>. */
const char *bind_tuple_autoname(binder *b, const bind_tuple_fn *f, const kql_expr *call, int i);

/* ---- tabular expressions (bind.c) ---- */
kp *bind_tabular(binder *b, scope *s, const kql_expr *e);
/* Tries to bind e as tabular: returns NULL (without failing) when e is not tabular. */
kp *bind_maybe_tabular(binder *b, scope *s, const kql_expr *e);

const char *bind_str(binder *b, const char *s, size_t n);

#endif
