/* plan.h — the logical plan: the one intermediate representation both front ends lower
 * into (DESIGN.md §1.4–1.5). KQL's binder and Sigma's lowering build it; the optimizer
 * rewrites it; the executor (engine/exec) runs it.
 *
 * A plan is a tree of tabular operators (kp) whose scalar parts are typed expression
 * trees (kx). Every node has an output schema and a source position. Types are resolved
 * when the node is built: a kx_call names one builtin (builtins.def) whose arguments have
 * already been converted to the types it expects, so the executor never guesses.
 *
 * Ownership: every node, string and constant of a plan lives in the plan's arena
 * (kplan), freed in one step by kplan_free.
 */
#ifndef SP_PLAN_H
#define SP_PLAN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/core/core.h"
#include "engine/store/store.h"

/* ---- builtins and aggregates ---------------------------------------------------- */

typedef enum kb_id {
#define B(id, name, mn, mx, sig) KB_##id,
#include "engine/plan/builtins.def"
#undef B
    KB__COUNT
} kb_id;

typedef struct kb_info {
    const char *name;
    int min_args, max_args;
    const char *sig;
} kb_info;
const kb_info *kb_get(kb_id id);
/* The builtin for a KQL function name (case-sensitive, with legacy aliases such as
 * parsejson, arraylength, columnifexists, pack, iif, todouble), or -1. */
int kb_lookup(const char *name, size_t n);

typedef enum ka_id {
#define A(id, name, mn, mx, autoname) KA_##id,
#include "engine/plan/aggregates.def"
#undef A
    KA__COUNT
} ka_id;

typedef struct ka_info {
    const char *name;
    int min_args, max_args;
    const char *autoname;
} ka_info;
const ka_info *ka_get(ka_id id);
/* The aggregate for a name (with legacy aliases makeset, makelist, any, anyif), or -1. */
int ka_lookup(const char *name, size_t n);

/* ---- values ------------------------------------------------------------------------- */

typedef struct kstr {
    const char *p;
    uint32_t n;
} kstr;

/* A scalar value. int, long, datetime and timespan use l; string, guid and dynamic use
 * s (dynamic as compact JSON text). null is typed: a null long is {LONG, null=true}.
 * Strings are never null (a missing string is ""). */
typedef struct kval {
    sp_type type;
    bool null;
    union {
        bool b;
        int64_t l;
        double r;
        kstr s;
    } u;
} kval;

static inline kval kval_null(sp_type t)
{
    kval v = {0};
    v.type = t;
    v.null = t != SP_TYPE_STRING;
    v.u.s.p = "";
    return v;
}

/* Appends the value in the JSON output form of DESIGN.md §4. */
void kval_to_json(const kval *v, sp_buf *out);
/* Appends the value as tostring() would give it. */
void kval_to_text(const kval *v, sp_buf *out);

/* ---- schemas ------------------------------------------------------------------------ */

typedef struct kp_col {
    const char *name;
    sp_type type;
} kp_col;

typedef struct kp_schema {
    int ncols;
    kp_col *cols;
} kp_schema;

int kp_schema_find(const kp_schema *s, const char *name, size_t n); /* exact, or -1 */

/* ---- scalar expressions --------------------------------------------------------------- */

typedef struct kp kp;
typedef struct kx kx;

typedef enum kx_kind {
    KX_CONST, /* a constant value */
    KX_COL,   /* column `col` of the operator's input */
    KX_CALL,  /* builtin `fn` applied to args */
    KX_SET,   /* a constant set of values, right operand of in / in~ / has_any / has_all */
    KX_SUBQUERY, /* a tabular subplan: its first column as a set (in) or its single value
                    (toscalar), computed once before the query runs */
    KX_LAMBDA,   /* a predicate over one value, argument of the Sigma path builtins ($any,
                    $keyword): args[0] is the body, in which KX_ELEM is the value */
    KX_ELEM      /* the value a KX_LAMBDA is applied to (dynamic); valid only in its body */
} kx_kind;

struct kx {
    kx_kind kind;
    sp_type type;
    int line, col; /* source position, 0 when synthetic */
    kval value;    /* KX_CONST */
    int colidx;    /* KX_COL */
    kb_id fn;      /* KX_CALL */
    kx **args;
    int nargs;
    kval *set; /* KX_SET */
    int nset;
    kp *sub;         /* KX_SUBQUERY */
    bool sub_scalar; /* toscalar(): first row, first column (null when empty) */
};

/* ---- tabular operators --------------------------------------------------------------- */

typedef enum kp_kind {
    KP_SCAN,       /* read a store table */
    KP_VALUES,     /* constant rows: datatable, print, range */
    KP_FILTER,     /* where */
    KP_PROJECT,    /* extend, project, project-away/-rename/-reorder/-keep: out[i] = item i */
    KP_AGGREGATE,  /* summarize, distinct, count */
    KP_SORT,       /* sort / order by */
    KP_LIMIT,      /* take / limit */
    KP_TOP,        /* top N by keys */
    KP_UNION,      /* union */
    KP_JOIN,       /* join, lookup */
    KP_MVEXPAND,   /* mv-expand / mvexpand */
    KP_MVAPPLY,    /* mv-apply: per input row, a subplan over the expanded items */
    KP_ROWITEMS,   /* leaf of an mv-apply subplan: the current row's expanded items */
    KP_BAGUNPACK,  /* evaluate bag_unpack(): columns come from the data */
    KP_MAKESERIES, /* make-series */
    KP_SHARED,     /* a materialized subplan used in several places (let ... materialize) */
    KP_GETSCHEMA,  /* getschema */
    KP_SERIALIZE,  /* serialize (marks the rows ordered; row_number/prev/next allowed) */
    KP_WINDOW,     /* sliding event-time window aggregation (Sigma correlations) */
    KP_EMPTY,      /* no rows (a union member that does not exist under isfuzzy) */
    KP_BASKET      /* evaluate basket(): frequent patterns of the input's columns */
} kp_kind;

typedef struct kp_named {
    const char *name;
    kx *expr;
} kp_named;

typedef struct kp_agg {
    ka_id agg;
    kx **args;
    int nargs;
    kx *predicate;    /* the *if variants' condition (also in args) or NULL */
    int64_t cap;      /* make_set/make_list size cap, or percentile in 1e-6 units */
    int first_out;    /* first output column of this aggregate in the operator's schema */
    int nout;         /* arg_max/arg_min/percentiles produce several columns */
    double *percents; /* percentiles */
} kp_agg;

typedef struct kp_sortkey {
    kx *expr;
    bool desc;
    bool nulls_first;
} kp_sortkey;

typedef enum kp_join_kind {
    KJ_INNERUNIQUE,
    KJ_INNER,
    KJ_LEFTOUTER,
    KJ_RIGHTOUTER,
    KJ_FULLOUTER,
    KJ_LEFTANTI,
    KJ_RIGHTANTI,
    KJ_LEFTSEMI,
    KJ_RIGHTSEMI
} kp_join_kind;

typedef enum kp_bagexp { KP_BAGEXP_BAG, KP_BAGEXP_ARRAY } kp_bagexp;

/* bag_unpack's columnsConflict: a slot named like an existing input column. */
typedef enum kp_bagconflict {
    KP_BAGCONFLICT_ERROR,   /* the query fails (Kusto's default) */
    KP_BAGCONFLICT_REPLACE, /* replace_source: the slot's column replaces the input column */
    KP_BAGCONFLICT_KEEP     /* keep_source: the input column stays, the slot is dropped */
} kp_bagconflict;

typedef struct kp_expand {
    int colidx;        /* input column expanded in place */
    kx *expr;          /* or an expression, appended as a new column named `name` */
    const char *name;
    sp_type to_type;   /* `to typeof(T)`, or SP_TYPE_DYNAMIC */
} kp_expand;

typedef struct kp_window_cond {
    int op; /* 0 gt, 1 gte, 2 lt, 3 lte, 4 eq, 5 neq */
    double value;
} kp_window_cond;

/* The metric of a KP_WINDOW (Sigma correlation types, sigma.h sig_corr). */
typedef enum kp_window_metric {
    KW_EVENT_COUNT,     /* events in the window */
    KW_VALUE_COUNT,     /* distinct non-empty value texts */
    KW_TEMPORAL,        /* distinct rules seen */
    KW_TEMPORAL_ORDERED,/* longest prefix of the rules seen in that order */
    KW_VALUE_SUM,       /* sum of the numeric values */
    KW_VALUE_AVG,       /* mean of the numeric values */
    KW_VALUE_PERCENTILE,/* nearest-rank percentile of the numeric values (win_percentile) */
    KW_VALUE_SHARE      /* percent of the window's values equal to the current event's */
} kp_window_metric;

/* Input layout of every KP_WINDOW input (the lowering projects each source to it). */
enum {
    KW_IN_TIME = 0,  /* datetime: event time; rows with a null time are skipped */
    KW_IN_MASK = 1,  /* long: bit i set = the row matched rule i of the correlation */
    KW_IN_VALUE = 2, /* real: the numeric value of the metric's field, or null */
    KW_IN_TEXT = 3,  /* string: the text of the metric's field ("" = none) */
    KW_IN_KEYS = 4   /* string: the group-by values, one column each ("" = null) */
};

struct kp {
    kp_kind kind;
    kp_schema out;
    int line, col;
    kp *in; /* the input of single-input operators */

    /* KP_SCAN */
    const char *table;
    kx *scan_filter;                   /* pushed-down predicate, NULL = none */
    int64_t time_min, time_max;        /* pushed-down TimeGenerated range [min, max] */
    bool time_bounded;
    uint8_t *scan_need;                /* per column: read it (NULL = all), set by pruning */
    uint8_t *scan_emit;                /* per column: an operator above reads it (NULL = all);
                                        * scan_need minus what only the filter and time
                                        * pruning read */
    uint8_t *scan_gids;                /* per column: an operator reads it through table-
                                        * dictionary ids (store.h sp_tdict; NULL = none) */
    uint8_t *scan_idonly;              /* per column (a subset of scan_gids): the scan's one
                                        * reader above is a summarize that only groups or
                                        * dcounts it by id, through filters and projections
                                        * that neither read nor copy it; the scan may then
                                        * hand on its ids without its text (exec_int.h,
                                        * kvec.ids_only). NULL = none */
    bool scan_unbound;                 /* the table did not exist when the plan was made: its
                                        * columns are names the query used, not the table's
                                        * positions, so the scan reads no rows (bind again
                                        * once the table exists) */

    /* KP_VALUES: nrows * out.ncols cells, row-major; or, when range_step is set (range
     * with bounds known only at run time), one column from range_from to range_to
     * (inclusive) by range_step, evaluated once when the query runs */
    kval *cells;
    int nrows;

    /* KP_FILTER */
    kx *pred;

    /* KP_PROJECT: out.cols[i] = items[i].expr */
    kp_named *items;
    int nitems;

    /* KP_AGGREGATE: out = keys then aggregate outputs */
    kp_named *keys;
    int nkeys;
    kp_agg *aggs;
    int naggs;

    /* KP_SORT, KP_TOP */
    kp_sortkey *sort;
    int nsort;
    /* KP_LIMIT, KP_TOP */
    int64_t limit;

    /* KP_UNION: out col i of input j is column union_map[j][i] of inputs[j], -1 = null */
    kp **inputs;
    int ninputs;
    int **union_map;
    const char *source_col; /* withsource= column (first output column), or NULL */
    const char **source_names;

    /* KP_JOIN (inputs[0] left, inputs[1] right): equality keys, then output mapping.
     * out col i comes from side join_side[i] (0 left, 1 right), column join_col[i]. */
    kp_join_kind join_kind;
    kx **lkeys, **rkeys;
    int njoinkeys;
    int *join_side, *join_col;
    bool is_lookup;
    /* evaluate ipv4_lookup(): key 0 matches an IPv4 address (left, a string, optionally
     * with a /prefix) to the network containing it (right: an address or a CIDR string);
     * the other keys are equalities. Kinds inner and leftouter (return_unmatched). */
    bool ip_lookup;

    /* KP_MVEXPAND, KP_MVAPPLY */
    kp_expand *expand;
    int nexpand;
    kp_bagexp bagexp;
    const char *itemindex; /* with_itemindex= column name, or NULL */
    int64_t expand_limit;  /* 0 = none */
    kp *apply;             /* KP_MVAPPLY: the subplan run per row over KP_ROWITEMS */

    /* KP_BAGUNPACK: input column bag_col unpacked into a column per top-level slot, named
     * bag_prefix + key. `out` is fixed before execution: from the query's output schema,
     * or from the data through kexec_bagunpack_schema (exec.h). bag_src[i] says where out
     * column i comes from: an input column, or -1 = the slot whose key is the column name
     * without bag_prefix. NULL: resolved by name (slot when no other input column has the
     * name, or when bag_conflict is REPLACE). */
    int bag_col;
    const char *bag_prefix;
    kp_bagconflict bag_conflict;
    const char **bag_ignored; /* ignoredProperties: keys never unpacked */
    int nbag_ignored;
    int *bag_src;

    /* KP_MAKESERIES: aggs over keys, on axis from..to step. out = keys, then one dynamic
     * array per aggregate (at its first_out), then the axis as a dynamic array. from/to
     * may be NULL (the data's first bin / past its last bin); defaults NULL = 0. */
    kx *axis;
    kx *range_from, *range_to, *range_step;
    kval *defaults; /* per aggregate */
    bool series_nonempty; /* kind=nonempty: one row of defaults for an empty input */

    /* KP_SHARED */
    int shared_id;

    /* KP_BASKET: out = SegmentId, Count, Percent, then the input's columns. A pattern is
     * a set of (column, value) pairs, at most basket_maxdims of them, whose rows weigh at
     * least basket_threshold of all rows; column basket_weight (or -1: every row weighs
     * 1) gives the weights. basket_wildcard[i] is what input column i shows when the
     * pattern does not constrain it. */
    double basket_threshold;
    int basket_weight;
    int basket_maxdims;
    kval *basket_wildcard;

    /* KP_WINDOW: sliding event-time windows over the rows of inputs[] (each in the KW_IN_*
     * layout with nkeys key columns; keys[] name the group-by fields for explain), window
     * [t - window_ticks, t] per group, metric, conditions ANDed. Output: the keys (string),
     * StartTime, EndTime (datetime), Value (real), ValueOf (string), EventCount (long).
     * time_colidx is KW_IN_TIME. Semantics: sigma.h, sig_corr. */
    int time_colidx;
    int64_t window_ticks;
    kp_window_cond *conds;
    int nconds;
    kp_window_metric win_metric;
    int win_nrules;       /* rules feeding the mask (temporal types) */
    double win_percentile; /* KW_VALUE_PERCENTILE: 0..100 */
};

/* ---- plans --------------------------------------------------------------------------- */

typedef struct kplan {
    sp_arena arena;
    kp *root;
    kp **shared; /* KP_SHARED bodies, computed once per execution */
    int nshared;
    int64_t now; /* now() for this query: the event-time clock in replay */
    bool has_now;
    /* What the query dropped without failing, as Kusto reports warnings in the query
     * status: union isfuzzy=true legs whose table or function does not exist, one
     * "line:col: message" each (arena strings; the array is the plan's). */
    const char **warnings;
    int nwarnings;
    /* What the executor keeps with the plan across its executions (kplan_exec_state). */
    pthread_mutex_t state_mu;
    struct kplan_state *states;
    uint64_t serial; /* distinct for every plan the process makes (a freed plan's address is not) */
} kplan;

kplan *kplan_new(void);
void kplan_free(kplan *p);
/* State the executor keeps with a plan across its executions (a predicate's verdict
 * cache), one per key (a node of the plan): made by make() the first time the key is
 * asked for, freed by free_fn when the plan is freed. Thread-safe: several threads run
 * one plan at once (per-event rules). */
void *kplan_exec_state(kplan *p, const void *key, void *(*make)(void), void (*free_fn)(void *));

/* The column a bool expression reads when it is a pure function of that one string or
 * guid column and constants of the plan (literals and sets) — a string predicate such as
 * `UserPrincipalName startswith "admin"`, `x in~ (...)`, `not(x contains "a") or x ==
 * "b"`, the Sigma matchers — or -1. Such a predicate has one verdict per distinct text,
 * which the executor caches by table-dictionary id (engine/exec/verdict.c), so the
 * optimizer asks the scan for the column's ids (kp.scan_gids). */
int kx_verdict_col(const kx *e);

/* Node constructors (allocate in the plan's arena; children are not copied). */
kx *kx_const(kplan *p, kval v);
kx *kx_col(kplan *p, int colidx, sp_type type);
kx *kx_call(kplan *p, kb_id fn, sp_type type, kx **args, int nargs);
kx *kx_call1(kplan *p, kb_id fn, sp_type type, kx *a);
kx *kx_call2(kplan *p, kb_id fn, sp_type type, kx *a, kx *b);
kp *kp_new(kplan *p, kp_kind kind, kp *in);
const char *kplan_strdup(kplan *p, const char *s, size_t n);
void kplan_warn(kplan *p, int line, int col, const char *fmt, ...) SP_PRINTF(4, 5);
void kp_schema_copy(kplan *p, kp_schema *dst, const kp_schema *src);
void kp_schema_add(kplan *p, kp_schema *s, const char *name, sp_type type);

/* Builds the scan of a store table with the table's current schema. */
kp *kp_scan(kplan *p, sp_table *t);

/* After kplan_optimize: whether some scan of table reads column (a scan the optimizer
 * did not prune reads every column). For query-driven loads that skip other columns. */
bool kplan_reads_column(const kplan *p, const char *table, const char *column);

/* Runs the optimizer in place: constant folding, predicate and time-range pushdown into
 * scans, projection pruning. */
void kplan_optimize(kplan *p);

/* Appends a readable, indented rendering of the plan (for `socpipe explain`). */
void kplan_explain(const kplan *p, sp_buf *out);
void kx_explain(const kx *e, const kp_schema *in, sp_buf *out);

#endif
