/* kql.h — the KQL front end: lexer, parser and syntax tree (AST) of Kusto queries.
 *
 * Ownership: every node, array and string of a parsed query is allocated from the one
 * sp_arena the caller passes to kql_parse and lives until that arena is reset or freed;
 * nothing in the tree needs freeing on its own, and the tree never points into the text
 * except through byte offsets (kql_pos).
 *
 * Shape of the tree (the contract the binder consumes):
 *  - kql_query: the statements separated by ';' (let, set, declare query_parameters,
 *    expression statements); normally the last one is the tabular expression that
 *    produces the result.
 *  - kql_expr: ONE node type for scalar and tabular expressions, as in Kusto's own
 *    grammar, where `T | where x` is an expression like `a + b`: a name may be a column,
 *    a let-bound scalar or a table, and only the binder knows which. Tabular-only kinds
 *    are KQL_E_PIPE, KQL_E_DATATABLE and KQL_E_EXTERNALDATA; a tabular value can appear
 *    wherever an expression can (let values, call arguments such as toscalar(T | ...),
 *    the right side of `in (...)`, join/union operands).
 *  - kql_op: one tabular operator of a pipe (`| where ...`), with a typed payload per
 *    kind and the generic `name=value` parameters it was given (kind=, hint.*=, ...).
 *  - Every node carries kql_pos (byte offsets into the query text plus 1-based line and
 *    column of its first byte). Children live in arrays (pointer + count).
 *  - Strings (names, decoded literal values) are arena-owned, NUL-terminated and carry
 *    their length (a string literal may contain NUL bytes).
 *  - Literals are decoded by the parser: longs, reals, datetime and timespan ticks, guids
 *    and dynamic values as compact JSON text (the store's representation).
 */
#ifndef SP_KQL_H
#define SP_KQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/core.h"
#include "engine/store/store.h"

/* Source span of a node: bytes [off, end) of the query text; line/col of off (1-based). */
typedef struct kql_pos {
    uint32_t off, end;
    uint32_t line, col;
} kql_pos;

/* An arena-owned, NUL-terminated string with its length. */
typedef struct kql_str {
    const char *s;
    size_t len;
} kql_str;

/* A declared or referenced name: `x`, `['a b']` (decoded), `$left`. */
typedef struct kql_ident {
    kql_str name;
    kql_pos pos;
} kql_ident;

typedef struct kql_expr kql_expr;
typedef struct kql_op kql_op;
typedef struct kql_stmt kql_stmt;

/* ---- types --------------------------------------------------------------------------- */

/* `name:type`: a column of a schema, a parse pattern column, a tabular parameter column. */
typedef struct kql_coldecl {
    kql_ident name;
    sp_type type;
    kql_pos type_pos;
} kql_coldecl;

/* A type written in the query: scalar (`long`), or tabular (`(*)`, `(a:string, *)`). */
typedef struct kql_typeref {
    bool tabular;
    sp_type scalar;      /* when !tabular */
    kql_coldecl *cols;   /* when tabular: the declared columns */
    size_t ncols;
    bool open;           /* tabular with `*`: any further columns accepted */
    kql_pos pos;
} kql_typeref;

/* ---- expressions --------------------------------------------------------------------- */

/* Binary, list and range operators in one list (X-macro): enum name, KQL spelling.
 * Order is irrelevant to precedence, which lives in the parser. */
#define KQL_BINOPS(X)                                                                      \
    X(OR, "or") X(AND, "and")                                                              \
    X(EQ, "==") X(NE, "!=") X(LT, "<") X(LE, "<=") X(GT, ">") X(GE, ">=")                  \
    X(EQ_CI, "=~") X(NE_CI, "!~")                                                          \
    X(HAS, "has") X(NOT_HAS, "!has") X(HAS_CS, "has_cs") X(NOT_HAS_CS, "!has_cs")          \
    X(HASPREFIX, "hasprefix") X(NOT_HASPREFIX, "!hasprefix")                               \
    X(HASPREFIX_CS, "hasprefix_cs") X(NOT_HASPREFIX_CS, "!hasprefix_cs")                   \
    X(HASSUFFIX, "hassuffix") X(NOT_HASSUFFIX, "!hassuffix")                               \
    X(HASSUFFIX_CS, "hassuffix_cs") X(NOT_HASSUFFIX_CS, "!hassuffix_cs")                   \
    X(CONTAINS, "contains") X(NOT_CONTAINS, "!contains")                                   \
    X(CONTAINS_CS, "contains_cs") X(NOT_CONTAINS_CS, "!contains_cs")                       \
    X(STARTSWITH, "startswith") X(NOT_STARTSWITH, "!startswith")                           \
    X(STARTSWITH_CS, "startswith_cs") X(NOT_STARTSWITH_CS, "!startswith_cs")               \
    X(ENDSWITH, "endswith") X(NOT_ENDSWITH, "!endswith")                                   \
    X(ENDSWITH_CS, "endswith_cs") X(NOT_ENDSWITH_CS, "!endswith_cs")                       \
    X(MATCHES_REGEX, "matches regex")                                                      \
    X(ADD, "+") X(SUB, "-") X(MUL, "*") X(DIV, "/") X(MOD, "%")                            \
    /* list operators (KQL_E_IN) */                                                        \
    X(IN, "in") X(NOT_IN, "!in") X(IN_CI, "in~") X(NOT_IN_CI, "!in~")                      \
    X(HAS_ANY, "has_any") X(HAS_ALL, "has_all")                                            \
    /* range operators (KQL_E_BETWEEN) */                                                  \
    X(BETWEEN, "between") X(NOT_BETWEEN, "!between")

typedef enum kql_binop {
#define KQL_X_ENUM(name, text) KQL_OP_##name,
    KQL_BINOPS(KQL_X_ENUM)
#undef KQL_X_ENUM
    KQL_BINOP_COUNT
} kql_binop;

const char *kql_binop_text(kql_binop op); /* KQL spelling, e.g. "!has_cs" */

typedef enum kql_unop { KQL_UN_NEG, KQL_UN_PLUS } kql_unop;

typedef enum kql_expr_kind {
    KQL_E_LITERAL,   /* lit */
    KQL_E_NAME,      /* name: column, let-bound name, table; `$left`/`$right`; bare `null`
                        (a name in Kusto's grammar too); may hold a wildcard pattern
                        (name.wildcard) where the grammar allows one */
    KQL_E_STAR,      /* `*` as an argument (arg_max(T, *)), in distinct, in search */
    KQL_E_MEMBER,    /* member: obj.name (dynamic property, $left.col, T.col) */
    KQL_E_INDEX,     /* index: obj[index] */
    KQL_E_CALL,      /* call: name(args); a named argument is a KQL_E_ASSIGN */
    KQL_E_UNARY,     /* unary */
    KQL_E_BINARY,    /* binary: lhs op rhs, op in OR..MOD */
    KQL_E_IN,        /* in: lhs op (list...), op in IN..HAS_ALL; list items may be
                        tabular expressions or a dynamic array */
    KQL_E_BETWEEN,   /* between: lhs [!]between (lo .. hi) */
    KQL_E_TYPEOF,    /* type: typeof(long) / typeof(a:string, ...) */
    KQL_E_ASSIGN,    /* assign: name = value, or (n1, n2) = value */
    KQL_E_PIPE,      /* pipe: source | op | op ... */
    KQL_E_DATATABLE, /* table: datatable(schema)[values] */
    KQL_E_EXTERNALDATA, /* table: externaldata(schema)[uris] with (props) */
    KQL_E_LAMBDA,    /* lambda: (params) { statements } — a let-bound function */
} kql_expr_kind;

typedef struct kql_literal {
    sp_type type;    /* LONG for plain integers, REAL, BOOL, STRING, DATETIME, TIMESPAN,
                        GUID, DYNAMIC, INT (int(5)); decimal(...) is read as REAL */
    bool is_null;    /* long(null), datetime(null), dynamic(null), ... */
    bool obfuscated; /* h"..." */
    union {
        bool b;
        int64_t i;     /* INT, LONG */
        double r;      /* REAL */
        int64_t ticks; /* DATETIME (since 0001-01-01), TIMESPAN */
    } v;
    kql_str s; /* STRING: decoded value; GUID: lower-case text; DYNAMIC: compact JSON */
} kql_literal;

/* A formal parameter of a let-bound function: `a:string`, `b:int = 5`, `T:(*)`. */
typedef struct kql_param_decl {
    kql_ident name;
    kql_typeref type;
    kql_expr *deflt; /* NULL: none */
} kql_param_decl;

struct kql_expr {
    kql_expr_kind kind;
    kql_pos pos;
    union {
        kql_literal lit;
        struct {
            kql_str name;
            bool bracketed; /* written ['...'] */
            bool wildcard;  /* contains '*' (project-away a*, union Signin*) */
        } name;
        struct {
            kql_expr *obj;
            kql_ident name;
        } member;
        struct {
            kql_expr *obj, *index;
        } index;
        struct {
            kql_ident name;
            kql_expr **args;
            size_t nargs;
        } call;
        struct {
            kql_unop op;
            kql_expr *arg;
        } unary;
        struct {
            kql_binop op;
            kql_expr *lhs, *rhs;
        } binary;
        struct {
            kql_binop op;
            kql_expr *lhs;
            kql_expr **list;
            size_t nlist;
        } in;
        struct {
            kql_binop op;
            kql_expr *lhs, *lo, *hi;
        } between;
        kql_typeref type;
        struct {
            kql_ident *names; /* one, or several for `(a, b) = f(x)` */
            size_t nnames;
            kql_expr *value;
        } assign;
        struct {
            /* NULL when the pipe starts with an operator: a source operator (union,
             * print, range, search, evaluate) or, inside mv-apply/facet subqueries,
             * an operator over the implicit input. */
            kql_expr *source;
            kql_op **ops;
            size_t nops;
        } pipe;
        struct {
            kql_coldecl *cols;
            size_t ncols;
            kql_expr **values; /* row-major; count is a multiple of ncols */
            size_t nvalues;
            kql_expr **props;  /* externaldata `with (format="csv", ...)`: assigns */
            size_t nprops;
        } table;
        struct {
            kql_param_decl *params;
            size_t nparams;
            kql_stmt **body; /* let/expression statements; the last one is the value */
            size_t nbody;
            bool view;
        } lambda;
    } u;
};

/* ---- tabular operators ------------------------------------------------------------------ */

/* Tabular operators (X-macro): enum KQL_TOP_<name> ("tabular operator", to keep them apart
 * from the KQL_OP_ binary operators above), KQL spelling. Aliases map onto these: filter ->
 * where, order -> sort, limit -> take, mvexpand -> mv-expand. */
#define KQL_OPERATORS(X)                                                                   \
    X(WHERE, "where") X(EXTEND, "extend") X(PROJECT, "project")                            \
    X(PROJECT_AWAY, "project-away") X(PROJECT_KEEP, "project-keep")                        \
    X(PROJECT_RENAME, "project-rename") X(PROJECT_REORDER, "project-reorder")              \
    X(SUMMARIZE, "summarize") X(SORT, "sort") X(TAKE, "take") X(TOP, "top")                \
    X(TOP_NESTED, "top-nested") X(DISTINCT, "distinct") X(COUNT, "count")                  \
    X(UNION, "union") X(JOIN, "join") X(LOOKUP, "lookup") X(MV_EXPAND, "mv-expand")        \
    X(MV_APPLY, "mv-apply") X(PARSE, "parse") X(PARSE_WHERE, "parse-where")                \
    X(EVALUATE, "evaluate") X(MAKE_SERIES, "make-series") X(INVOKE, "invoke")              \
    X(AS, "as") X(GETSCHEMA, "getschema") X(SERIALIZE, "serialize")                        \
    X(SAMPLE, "sample") X(SAMPLE_DISTINCT, "sample-distinct") X(RENDER, "render")          \
    X(SEARCH, "search") X(FACET, "facet") X(PRINT, "print") X(RANGE, "range")

typedef enum kql_op_kind {
#define KQL_X_ENUM(name, text) KQL_TOP_##name,
    KQL_OPERATORS(KQL_X_ENUM)
#undef KQL_X_ENUM
    KQL_OP_KIND_COUNT
} kql_op_kind;

const char *kql_op_name(kql_op_kind k); /* "project-away", ... */

/* A `name=value` operator parameter: kind=inner, hint.strategy=shuffle, isfuzzy=true,
 * withsource=Src, bagexpansion=array, with_itemindex=I, flags=Ui, decodeblocks=true.
 * value is a NAME (for bare words such as inner), a literal, or another expression. */
typedef struct kql_opparam {
    kql_ident name;
    kql_expr *value;
} kql_opparam;

typedef enum kql_nulls { KQL_NULLS_DEFAULT, KQL_NULLS_FIRST, KQL_NULLS_LAST } kql_nulls;

/* A sort key of sort/top/top-nested/project-reorder. The default direction is desc for
 * sort and top, asc for project-reorder: `dir_given` says whether it was written. */
typedef struct kql_sortkey {
    kql_expr *expr;
    bool desc;
    bool dir_given;
    kql_nulls nulls;
} kql_sortkey;

/* One expansion of mv-expand/mv-apply: `[Name =] expr [to typeof(T)]`. */
typedef struct kql_mvitem {
    kql_expr *expr; /* may be a KQL_E_ASSIGN */
    bool has_type;
    kql_typeref to_type;
} kql_mvitem;

/* One element of a parse pattern: `*`, a string literal, or a column `Name[:type]`. */
typedef enum kql_parse_elem_kind { KQL_PE_STAR, KQL_PE_STRING, KQL_PE_COLUMN } kql_parse_elem_kind;
typedef struct kql_parse_elem {
    kql_parse_elem_kind kind;
    kql_pos pos;
    kql_str text;        /* KQL_PE_STRING: the decoded literal (adjacent literals joined) */
    kql_coldecl col;     /* KQL_PE_COLUMN; col.type is STRING when no type was written */
    bool typed;          /* KQL_PE_COLUMN: `:type` was written */
} kql_parse_elem;

/* One aggregation of make-series: `[Name =] agg [default = value]`. */
typedef struct kql_series_agg {
    kql_expr *expr;  /* may be a KQL_E_ASSIGN */
    kql_expr *deflt; /* NULL: the aggregate's default */
} kql_series_agg;

/* One level of top-nested: `[N] of Expr [with others = X] by Agg [asc|desc]`. */
typedef struct kql_nested_level {
    kql_expr *count;   /* NULL: all */
    kql_expr *of;      /* may be a KQL_E_ASSIGN */
    kql_expr *others;  /* NULL: none */
    kql_sortkey by;    /* by.expr may be a KQL_E_ASSIGN */
} kql_nested_level;

typedef enum kql_join_kind {
    KQL_JOIN_DEFAULT, /* not written: innerunique for join, leftouter for lookup */
    KQL_JOIN_INNERUNIQUE, KQL_JOIN_INNER, KQL_JOIN_LEFTOUTER, KQL_JOIN_RIGHTOUTER,
    KQL_JOIN_FULLOUTER, KQL_JOIN_LEFTANTI, KQL_JOIN_RIGHTANTI, KQL_JOIN_LEFTSEMI,
    KQL_JOIN_RIGHTSEMI
} kql_join_kind;
const char *kql_join_kind_name(kql_join_kind k);

struct kql_op {
    kql_op_kind kind;
    kql_pos pos; /* from the operator keyword to its last token */
    kql_opparam *params;
    size_t nparams;
    union {
        struct {
            kql_expr *expr; /* the predicate */
        } where;
        /* extend, project, print, serialize, distinct: items (maybe KQL_E_ASSIGN);
         * project-away, project-keep: names (maybe wildcards); project-rename: assigns
         * NewName = OldName; count, getschema: none */
        struct {
            kql_expr **items;
            size_t nitems;
        } list;
        struct {
            kql_expr **aggs; /* may be KQL_E_ASSIGN */
            size_t naggs;
            kql_expr **by;   /* may be KQL_E_ASSIGN (`by Day = bin(T, 1d)`) */
            size_t nby;
        } summarize;
        /* sort/order by, top (count + one key), project-reorder (names, asc default) */
        struct {
            kql_expr *count;     /* top */
            kql_sortkey *keys;
            size_t nkeys;
        } sort;
        struct {
            kql_expr *count;
        } take; /* take/limit, sample */
        struct {
            kql_expr *count;
            kql_expr *of;        /* sample-distinct N of expr */
        } sample_distinct;
        struct {
            kql_nested_level *levels;
            size_t nlevels;
        } top_nested;
        struct {
            kql_expr **tables; /* names (maybe wildcards), table("x"), subqueries */
            size_t ntables;
        } uni;
        struct {
            kql_join_kind jkind;
            kql_expr *right;
            kql_expr **on; /* column names, `$left.a == $right.b`, ... */
            size_t non;
        } join; /* join and lookup */
        struct {
            kql_mvitem *items;
            size_t nitems;
            kql_expr *limit; /* NULL: none */
            kql_expr *apply; /* mv-apply: the `on (...)` subquery, a KQL_E_PIPE */
        } mv;
        struct {
            kql_expr *source;
            kql_parse_elem *elems;
            size_t nelems;
        } parse; /* parse, parse-where */
        struct {
            kql_expr *call;      /* a KQL_E_CALL */
            kql_typeref schema;  /* evaluate's `: (name:type, ...)` output schema */
            bool has_schema;
        } evaluate;              /* evaluate, invoke */
        struct {
            kql_series_agg *aggs;
            size_t naggs;
            kql_expr *on;
            kql_expr *from, *to, *step; /* from/to may be NULL */
            bool in_range;             /* legacy `on T in range(from, to, step)` */
            kql_expr **by;
            size_t nby;
        } series;
        struct {
            kql_ident name;
        } as;
        struct {
            kql_ident chart;       /* timechart, table, ... */
            kql_expr **props;      /* `with (title="x", ...)` as assigns */
            size_t nprops;
        } render;
        struct {
            kql_expr **tables;     /* `in (T1, T2)`; none: every table */
            size_t ntables;
            kql_expr *pred;
        } search;
        struct {
            kql_expr **by;
            size_t nby;
            kql_expr *with;        /* `with (ops)` subquery, a KQL_E_PIPE, or NULL */
        } facet;
        struct {
            kql_ident col;
            kql_expr *from, *to, *step;
        } range;
    } u;
};

/* ---- statements and the query -------------------------------------------------------------- */

typedef enum kql_stmt_kind {
    KQL_S_LET,     /* let name = value (a scalar, tabular expression or lambda) */
    KQL_S_SET,     /* set name [= value] (query options: parsed and kept) */
    KQL_S_DECLARE, /* declare query_parameters(name:type [= default], ...) */
    KQL_S_EXPR,    /* an expression statement: normally the final tabular expression */
} kql_stmt_kind;

struct kql_stmt {
    kql_stmt_kind kind;
    kql_pos pos;
    union {
        struct {
            kql_ident name;
            kql_expr *value;
        } let;
        struct {
            kql_ident name;
            kql_expr *value; /* NULL: `set name;` */
        } set;
        struct {
            kql_param_decl *params;
            size_t nparams;
        } declare;
        kql_expr *expr;
    } u;
};

typedef struct kql_query {
    kql_stmt **stmts;
    size_t nstmts;
    const char *text; /* the query text as passed to kql_parse (not owned, not copied) */
    size_t len;
} kql_query;

/* Parses one query (statements separated by ';'). On success returns 0 and *out points
 * to a tree allocated from arena. On a syntax error returns -1 and fills err (line:col
 * relative to the text, span, message, the offending source line; err->file is left
 * empty for the caller); an unsupported construct says `unsupported: <what>`. Never
 * crashes on any input; nesting deeper than KQL_MAX_DEPTH is an error. */
#define KQL_MAX_DEPTH 256
int kql_parse(const char *text, size_t len, sp_arena *arena, kql_query **out, sp_diag *err);

/* Appends a compact S-expression of the tree (no positions) to b, as used by tests and
 * `socpipe kql-parse`. Statements are separated by newlines. */
void kql_ast_dump(sp_buf *b, const kql_query *q);
void kql_expr_dump(sp_buf *b, const kql_expr *e);


/* ---- binding: AST -> logical plan (bind.c) -------------------------------------------- */

#include "engine/plan/plan.h"

/* What a query is bound against. */
typedef struct kql_bind_env {
    sp_store *store;          /* tables and their schemas; NULL: declared schemas only */
    const char *const *param_names; /* query parameters (--param name=value), as KQL */
    const char *const *param_values; /* literals: "5", "'text'", "datetime(...)" */
    int nparams;
    int64_t now;              /* now() for the query (0: wall clock at execution) */
    /* Data-dependent schemas (evaluate bag_unpack): runs input and returns the output
     * schema, or -1 with err filled. NULL: bag_unpack is unsupported. */
    int (*bagunpack_schema)(void *ctx, kplan *plan, kp *node, sp_diag *err);
    void *ctx;
    /* For callers that bind again when tables appear or grow (the rules runtime): called
     * with every table name the query reads as binding reaches it, whether or not the
     * table exists; NULL: none. */
    void (*on_table)(void *table_ctx, const char *name);
    void *table_ctx;
    /* When not NULL, set on failure to whether the error names something that does not
     * exist yet: a table, or a column or variable (such a query may bind against a later
     * schema of a table inferred from the data). */
    bool *missing_name;
} kql_bind_env;

/* Binds a parsed query into a new plan (names resolved, types checked, conversions
 * made explicit, auto column names chosen). Returns 0, or -1 with err positioned on the
 * offending node (line:col of the query text). */
int kql_bind(const kql_query *q, const kql_bind_env *env, kplan **out, sp_diag *err);

/* Parses, binds and optimizes query text; err carries the source line for printing. */
int kql_compile(const char *text, size_t len, const kql_bind_env *env, kplan **out, sp_diag *err);

#endif
