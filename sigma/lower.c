/* lower.c — Sigma documents into the engine's logical plan (DESIGN.md §1.5): a detection
 * rule is a scan of each table its logsource maps to plus a filter implementing the rule's
 * program exactly as sigma.h documents it; a correlation is a KP_WINDOW over the rows its
 * rules match (lower_corr.c would be the natural split if this file grows further).
 *
 * How Sigma's field model meets a columnar store. The store follows Kusto: strings are never
 * null (an absent string is ""), other types have null, dynamic columns hold compact JSON;
 * tables inferred from the data also keep per-cell presence (docs/sigma-lowering.md,
 * "Presence"). The lowering therefore reads Sigma's "absent / null / present" per table
 * and column type:
 *   - inferred tables: the $sig_ presence builtins for `null`, `''`, `exists` and the string
 *     tests that would hold on "" (`*`, `contains ''`, regexes matching "", fieldref);
 *   - string and guid columns of declared tables: "" is absent (null and `''` both match
 *     it, `exists` is "not empty", `*` needs a non-empty value) — the Log Analytics reading;
 *   - every other type: null is absent or JSON null; text tests see tostring(value) and are
 *     guarded by isnotnull so that they are false, never null, on absent values;
 *   - a dotted path into a dynamic (or JSON text) column goes through $any, whose predicate
 *     sees every value the path reaches (any element when it crosses arrays), or null when
 *     it reaches none.
 * Every matcher yields true or false, never null, so `not` and `neq` are exact.
 *
 * Performance (DESIGN.md §7): predicates are applied to columns as they are — no tolower,
 * no tostring on string columns — so a dictionary-encoded column is tested once per
 * distinct value; plain values use =~ / in~ (a hash set) before globs, globs before regexes.
 */
#include "sigma/sig_int.h"

#include <string.h>

/* ---- warnings ---- */

void sig_warnings_free(sig_warnings *w)
{
    if (!w)
        return;
    free(w->v);
    memset(w, 0, sizeof *w);
}

/* ---- lowering context ---- */

typedef struct tscope {
    const char *name;
    kp *scan;
    bool virt;     /* neither declared nor in the store: fields become string columns */
    bool declared;
    bool presence; /* inferred from the data: cells tell absent, JSON null and "" apart */
    int addl;      /* AdditionalFields, or -1 */
} tscope;

typedef struct lower {
    const sig_set *set;
    const sig_lower_opts *o;
    kplan *p;
    sig_warnings *warn;
    sp_diag *err;
    bool failed;
    sp_store *scratch; /* declared schemas of tables the caller's store does not have */
    const char *doc;   /* the document lowered (for messages) */
    tscope *t;         /* the table predicates are built against */
    char **warned;     /* "table\x1ffield" already warned about */
    size_t nwarned, capwarned;
} lower;

static void fail(lower *L, sig_pos pos, const char *fmt, ...) SP_PRINTF(3, 4);

static void fail(lower *L, sig_pos pos, const char *fmt, ...)
{
    if (L->failed)
        return;
    L->failed = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (L->err) {
        memset(L->err, 0, sizeof *L->err);
        sp_diag_set(L->err, pos.file, pos.line, pos.col, "%s", msg);
    }
}

static void warn(lower *L, sig_pos pos, const char *table, const char *field, const char *fmt, ...)
    SP_PRINTF(5, 6);

static void warn(lower *L, sig_pos pos, const char *table, const char *field, const char *fmt, ...)
{
    sp_buf k = {0};
    sp_buf_printf(&k, "%s\x1f%s", table, field);
    for (size_t i = 0; i < L->nwarned; i++)
        if (!strcmp(L->warned[i], sp_buf_cstr(&k))) {
            sp_buf_free(&k);
            return;
        }
    SP_GROW(L->warned, L->capwarned, L->nwarned + 1);
    L->warned[L->nwarned++] = sp_xstrdup(sp_buf_cstr(&k));
    sp_buf_free(&k);
    if (!L->warn)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    SP_GROW(L->warn->v, L->warn->cap, L->warn->n + 1);
    sp_diag *d = &L->warn->v[L->warn->n++];
    memset(d, 0, sizeof *d);
    sp_diag_set(d, pos.file, pos.line, pos.col, "%s", msg);
    d->is_warning = true;
}

/* ---- expression helpers (constant folding keeps explain readable) ---- */

static kx *k_bool(lower *L, bool b)
{
    kval v = {.type = SP_TYPE_BOOL};
    v.u.b = b;
    return kx_const(L->p, v);
}

static kx *k_str(lower *L, const char *s, size_t n)
{
    kval v = {.type = SP_TYPE_STRING};
    v.u.s.p = s;
    v.u.s.n = (uint32_t)n;
    return kx_const(L->p, v);
}

static kx *k_long(lower *L, int64_t l)
{
    kval v = {.type = SP_TYPE_LONG};
    v.u.l = l;
    return kx_const(L->p, v);
}

static kx *k_real(lower *L, double r)
{
    kval v = {.type = SP_TYPE_REAL};
    v.u.r = r;
    return kx_const(L->p, v);
}

static bool is_const_bool(const kx *e, bool b)
{
    return e->kind == KX_CONST && e->type == SP_TYPE_BOOL && !e->value.null && e->value.u.b == b;
}

static kx *k_and(lower *L, kx *a, kx *b)
{
    if (is_const_bool(a, false) || is_const_bool(b, false))
        return k_bool(L, false);
    if (is_const_bool(a, true))
        return b;
    if (is_const_bool(b, true))
        return a;
    return kx_call2(L->p, KB_and, SP_TYPE_BOOL, a, b);
}

static kx *k_or(lower *L, kx *a, kx *b)
{
    if (is_const_bool(a, true) || is_const_bool(b, true))
        return k_bool(L, true);
    if (is_const_bool(a, false))
        return b;
    if (is_const_bool(b, false))
        return a;
    return kx_call2(L->p, KB_or, SP_TYPE_BOOL, a, b);
}

static kx *k_not(lower *L, kx *a)
{
    if (a->kind == KX_CONST && a->type == SP_TYPE_BOOL && !a->value.null)
        return k_bool(L, !a->value.u.b);
    return kx_call1(L->p, KB_not, SP_TYPE_BOOL, a);
}

static kx *k_at(kx *e, sig_pos pos)
{
    e->line = pos.line;
    e->col = pos.col;
    return e;
}

/* ---- values: an expression and its type ---- */

typedef struct vexpr {
    kx *e;
    sp_type t;
} vexpr;

static bool is_str_type(sp_type t)
{
    return t == SP_TYPE_STRING || t == SP_TYPE_GUID;
}

static bool is_num_type(sp_type t)
{
    return t == SP_TYPE_INT || t == SP_TYPE_LONG || t == SP_TYPE_REAL;
}

/* The value's Sigma text (sigma.h: a string as is, anything else as tostring gives it). */
static kx *text_of(lower *L, vexpr v)
{
    return is_str_type(v.t) ? v.e : kx_call1(L->p, KB_tostring, SP_TYPE_STRING, v.e);
}

/* A string column whose cells tell absent, JSON null and "" apart (an inferred table's). */
static bool str_presence(lower *L, vexpr v)
{
    return is_str_type(v.t) && L->t->presence;
}

/* The value is there: not null; in string columns of declared tables not empty (the Log
 * Analytics reading of absent), in those of inferred tables any string, "" included. */
static kx *present(lower *L, vexpr v)
{
    if (str_presence(L, v))
        return kx_call1(L->p, KB_sig_notnull, SP_TYPE_BOOL, v.e);
    return kx_call1(L->p, is_str_type(v.t) ? KB_isnotempty : KB_isnotnull, SP_TYPE_BOOL, v.e);
}

/* A string test that would also hold on "" guarded by presence, so that it is false on
 * absent and null cells of an inferred table (which read as ""). */
static kx *empty_guarded(lower *L, vexpr v, kx *pred)
{
    return str_presence(L, v) ? k_and(L, pred, present(L, v)) : pred;
}

/* A text test guarded so that it is false on absent values of non-string types. */
static kx *guarded(lower *L, vexpr v, kx *pred)
{
    return is_str_type(v.t) ? pred : k_and(L, present(L, v), pred);
}

static kb_id str_fn(sig_vkind k, bool cased)
{
    switch (k) {
    case SIG_EQ: return cased ? KB_eq : KB_eq_ci;
    case SIG_PREFIX: return cased ? KB_startswith_cs : KB_startswith;
    case SIG_SUFFIX: return cased ? KB_endswith_cs : KB_endswith;
    default: return cased ? KB_contains_cs : KB_contains;
    }
}

static int cmp_op(sig_cmp c)
{
    switch (c) {
    case SIG_GT: return 0;
    case SIG_GTE: return 1;
    case SIG_LT: return 2;
    case SIG_LTE: return 3;
    case SIG_CMP_EQ: return 4;
    default: return 5;
    }
}

static kx *k_cmp(lower *L, sig_cmp c, kx *a, kx *b)
{
    static const kb_id fns[] = {KB_gt, KB_ge, KB_lt, KB_le, KB_eq, KB_ne};
    return kx_call2(L->p, fns[cmp_op(c)], SP_TYPE_BOOL, a, b);
}

static kx *k_coalesce_false(lower *L, kx *b)
{
    return kx_call2(L->p, KB_coalesce, SP_TYPE_BOOL, b, k_bool(L, false));
}

static kx *num_const(lower *L, const sig_value *v)
{
    return v->is_int ? k_long(L, v->inum) : k_real(L, v->num);
}

/* The time part of a value (minute, hour, ...) as an int expression, or NULL when the
 * value cannot hold a date. */
static kx *time_part_of(lower *L, vexpr v, sig_time_part tp)
{
    kx *d;
    if (v.t == SP_TYPE_DATETIME)
        d = v.e;
    else if (is_str_type(v.t) || v.t == SP_TYPE_DYNAMIC)
        d = kx_call1(L->p, KB_todatetime, SP_TYPE_DATETIME, text_of(L, v));
    else
        return NULL;
    switch (tp) {
    case SIG_TIME_MINUTE: return kx_call2(L->p, KB_datetime_part, SP_TYPE_INT, k_str(L, "minute", 6), d);
    case SIG_TIME_HOUR: return kx_call1(L->p, KB_hourofday, SP_TYPE_INT, d);
    case SIG_TIME_DAY: return kx_call1(L->p, KB_dayofmonth, SP_TYPE_INT, d);
    case SIG_TIME_WEEK: return kx_call1(L->p, KB_week_of_year, SP_TYPE_INT, d);
    case SIG_TIME_MONTH: return kx_call1(L->p, KB_getmonth, SP_TYPE_INT, d);
    case SIG_TIME_YEAR: return kx_call1(L->p, KB_getyear, SP_TYPE_INT, d);
    default: return NULL;
    }
}

/* One concrete value against a value expression (no sets, no negation). */
static kx *value_pred(lower *L, vexpr v, const sig_matcher *m, const sig_value *sv)
{
    if (m->time_part != SIG_TIME_NONE) {
        kx *part = time_part_of(L, v, m->time_part);
        if (!part)
            return k_bool(L, false);
        if (sv->kind == SIG_NUM_EQ)
            return k_coalesce_false(L, kx_call2(L->p, KB_eq, SP_TYPE_BOOL, part, num_const(L, sv)));
        if (sv->kind == SIG_NUM_CMP)
            return k_coalesce_false(L, k_cmp(L, sv->cmp, part, num_const(L, sv)));
        return k_coalesce_false(L, kx_call2(L->p, KB_eq_ci, SP_TYPE_BOOL, kx_call1(L->p, KB_tostring, SP_TYPE_STRING, part),
                                            k_str(L, sv->text, sv->len)));
    }
    switch (sv->kind) {
    case SIG_EQ:
    case SIG_PREFIX:
    case SIG_SUFFIX:
    case SIG_CONTAINS:
        if (sv->len == 0 && sv->kind != SIG_EQ)
            return present(L, v); /* `*`: any present value */
        if (sv->len == 0 && is_str_type(v.t))
            return empty_guarded(L, v, kx_call1(L->p, KB_isempty, SP_TYPE_BOOL, v.e));
        return guarded(L, v, kx_call2(L->p, str_fn(sv->kind, m->cased), SP_TYPE_BOOL, text_of(L, v), k_str(L, sv->text, sv->len)));
    case SIG_GLOB: {
        kx *args[3] = {text_of(L, v), k_str(L, sv->text, sv->len), k_bool(L, true)};
        return guarded(L, v, kx_call(L->p, KB_glob_match, SP_TYPE_BOOL, args, m->cased ? 3 : 2));
    }
    case SIG_REGEX: {
        sp_buf re = {0};
        sig_regex_onig_form(&re, sv->text, sv->len, m->re_flags);
        kx *pat = k_str(L, re.data ? re.data : "", re.len);
        sp_buf_free(&re);
        kx *match = guarded(L, v, kx_call2(L->p, KB_matches_regex, SP_TYPE_BOOL, text_of(L, v), pat));
        return sig_regex_matches_empty(sv->text, sv->len, m->re_flags) ? empty_guarded(L, v, match) : match;
    }
    case SIG_CIDR: {
        kx *args[3] = {text_of(L, v), k_str(L, sv->text, sv->len), k_bool(L, true)};
        return guarded(L, v, kx_call(L->p, KB_cidr_match, SP_TYPE_BOOL, args, 3));
    }
    case SIG_NUM_EQ:
        if (is_num_type(v.t))
            return k_and(L, present(L, v), kx_call2(L->p, KB_eq, SP_TYPE_BOOL, v.e, num_const(L, sv)));
        if (is_str_type(v.t) || v.t == SP_TYPE_DYNAMIC) {
            kx *args[3] = {text_of(L, v), num_const(L, sv), k_bool(L, true)};
            return guarded(L, v, kx_call(L->p, KB_str_eq_num, SP_TYPE_BOOL, args, 3));
        }
        return k_bool(L, false);
    case SIG_NUM_CMP:
        if (is_num_type(v.t))
            return k_and(L, present(L, v), k_cmp(L, sv->cmp, v.e, num_const(L, sv)));
        if (is_str_type(v.t) || v.t == SP_TYPE_DYNAMIC)
            return k_coalesce_false(
                L, k_cmp(L, sv->cmp, kx_call1(L->p, KB_str_num, SP_TYPE_REAL, text_of(L, v)), num_const(L, sv)));
        return k_bool(L, false);
    case SIG_BOOL_EQ:
        if (v.t == SP_TYPE_BOOL)
            return k_and(L, present(L, v), kx_call2(L->p, KB_eq, SP_TYPE_BOOL, v.e, k_bool(L, sv->b)));
        if (is_str_type(v.t) || v.t == SP_TYPE_DYNAMIC)
            return guarded(L, v, kx_call2(L->p, KB_eq_ci, SP_TYPE_BOOL, text_of(L, v),
                                          sv->b ? k_str(L, "true", 4) : k_str(L, "false", 5)));
        return k_bool(L, false);
    case SIG_NULL:
        if (str_presence(L, v))
            return kx_call1(L->p, KB_sig_isnull, SP_TYPE_BOOL, v.e);
        return kx_call1(L->p, is_str_type(v.t) ? KB_isempty : KB_isnull, SP_TYPE_BOOL, v.e);
    case SIG_EXISTS: {
        /* presence of the field, a JSON null included, where the table keeps it */
        kx *p = L->t->presence && v.e->kind == KX_COL ? kx_call1(L->p, KB_sig_present, SP_TYPE_BOOL, v.e) : present(L, v);
        return sv->b ? p : k_not(L, p);
    }
    case SIG_FIELDREF: break; /* handled per matcher */
    }
    return k_bool(L, false);
}

/* A set operand of in / in~. */
static kx *k_set(lower *L, const sig_value *const *vals, size_t n, bool numbers)
{
    kx *s = sp_arena_calloc(&L->p->arena, sizeof *s);
    s->kind = KX_SET;
    s->type = numbers ? SP_TYPE_LONG : SP_TYPE_STRING;
    s->set = sp_arena_calloc(&L->p->arena, sizeof(kval) * n);
    s->nset = (int)n;
    for (size_t i = 0; i < n; i++) {
        kval v = {.type = s->type};
        if (numbers)
            v.u.l = vals[i]->inum;
        else {
            v.u.s.p = kplan_strdup(L->p, vals[i]->text, vals[i]->len);
            v.u.s.n = (uint32_t)vals[i]->len;
        }
        s->set[i] = v;
    }
    return s;
}

/* The OR of several values: whole-value string tests (and integers on integer columns)
 * become one set membership, evaluated once per dictionary entry. */
static kx *values_or(lower *L, vexpr v, const sig_matcher *m, const sig_value *const *vals, size_t n)
{
    kx *r = k_bool(L, false);
    const sig_value **eq = sp_xmalloc(sizeof *eq * (n ? n : 1));
    size_t neq = 0;
    bool int_col = v.t == SP_TYPE_LONG || v.t == SP_TYPE_INT;
    bool num_set = m->time_part == SIG_TIME_NONE && int_col;
    for (size_t i = 0; i < n; i++)
        if (m->time_part == SIG_TIME_NONE &&
            ((vals[i]->kind == SIG_EQ && vals[i]->len > 0 && !num_set) || (num_set && vals[i]->kind == SIG_NUM_EQ && vals[i]->is_int)))
            eq[neq++] = vals[i];
    if (neq >= 2) {
        kx *args[2] = {num_set ? v.e : text_of(L, v), k_set(L, eq, neq, num_set)};
        kb_id fn = num_set || m->cased ? KB_in : KB_in_ci;
        kx *in = kx_call(L->p, fn, SP_TYPE_BOOL, args, 2);
        r = num_set ? in : guarded(L, v, in);
    }
    for (size_t i = 0; i < n; i++) {
        bool in_set = false;
        for (size_t j = 0; neq >= 2 && j < neq && !in_set; j++)
            in_set = eq[j] == vals[i];
        if (!in_set)
            r = k_or(L, r, value_pred(L, v, m, vals[i]));
    }
    free(eq);
    return r;
}

/* Applies group combination (all: AND over the written values, else OR over everything)
 * with value tests built by fn over a value expression. */
typedef kx *(*group_fn)(lower *L, void *ctx, const sig_matcher *m, const sig_value *const *vals, size_t n);

static kx *combine_groups(lower *L, const sig_matcher *m, group_fn fn, void *ctx)
{
    if (!m->all) {
        size_t total = 0;
        for (uint32_t g = 0; g < m->ngroups; g++)
            total += m->groups[g].n;
        const sig_value **vals = sp_xmalloc(sizeof *vals * (total ? total : 1));
        size_t k = 0;
        for (uint32_t g = 0; g < m->ngroups; g++)
            for (uint32_t i = 0; i < m->groups[g].n; i++)
                vals[k++] = &m->groups[g].v[i];
        kx *r = fn(L, ctx, m, vals, k);
        free(vals);
        return r;
    }
    kx *r = k_bool(L, true);
    for (uint32_t g = 0; g < m->ngroups; g++) {
        const sig_value **vals = sp_xmalloc(sizeof *vals * (m->groups[g].n ? m->groups[g].n : 1));
        for (uint32_t i = 0; i < m->groups[g].n; i++)
            vals[i] = &m->groups[g].v[i];
        r = k_and(L, r, fn(L, ctx, m, vals, m->groups[g].n));
        free(vals);
    }
    return r;
}

static kx *group_on_value(lower *L, void *ctx, const sig_matcher *m, const sig_value *const *vals, size_t n)
{
    return values_or(L, *(vexpr *)ctx, m, vals, n);
}

/* The item's positive result (before neq) over one value expression. */
static kx *item_on(lower *L, vexpr v, const sig_matcher *m)
{
    return combine_groups(L, m, group_on_value, &v);
}

/* ---- tables and field resolution ---- */

static int col_find_ci(const kp_schema *s, const char *name, size_t n)
{
    int c = kp_schema_find(s, name, n);
    if (c >= 0)
        return c;
    for (int i = 0; i < s->ncols; i++)
        if (sp_ieq(s->cols[i].name, strlen(s->cols[i].name), name, n))
            return i;
    return -1;
}

static void scope_open(lower *L, const char *table, tscope *ts)
{
    memset(ts, 0, sizeof *ts);
    ts->addl = -1;
    sp_table *t = L->o->store ? sp_store_find(L->o->store, table) : NULL;
    if (!t && sp_schema_declared(table)) {
        if (!L->scratch)
            L->scratch = sp_store_new(NULL);
        t = sp_store_table(L->scratch, table);
    }
    if (t) {
        ts->scan = kp_scan(L->p, t);
        ts->declared = sp_table_is_declared(t);
        ts->addl = ts->declared ? kp_schema_find(&ts->scan->out, SP_ADDITIONAL_FIELDS, strlen(SP_ADDITIONAL_FIELDS)) : -1;
    } else {
        ts->scan = kp_new(L->p, KP_SCAN, NULL);
        ts->scan->table = kplan_strdup(L->p, table, strlen(table));
        ts->scan->scan_unbound = true;
        ts->virt = true;
    }
    ts->presence = !ts->declared; /* a table no schema declares is inferred once it exists */
    ts->name = ts->scan->table;
}

typedef enum { R_ABSENT, R_COL, R_PATH } rkind;

typedef struct fres {
    rkind kind;
    int col;
    sp_type type;
    const char *path; /* R_PATH: dotted path inside col */
    bool has_lit;     /* R_PATH: a column named like the whole dotted field wins where present */
    int lit;
    sp_type lit_type;
} fres;

/* The longest dotted prefix of name that is a dynamic or string column; the rest is a path. */
static bool split_find(const kp_schema *s, const char *name, int *col, const char **rest)
{
    size_t n = strlen(name);
    for (size_t k = n; k > 0; k--) {
        if (name[k - 1] != '.' || k == n)
            continue;
        int c = col_find_ci(s, name, k - 1);
        if (c >= 0 && (s->cols[c].type == SP_TYPE_DYNAMIC || is_str_type(s->cols[c].type)) && name[k]) {
            *col = c;
            *rest = name + k;
            return true;
        }
    }
    return false;
}

static bool resolve_name(lower *L, const char *name, fres *r)
{
    const kp_schema *s = &L->t->scan->out;
    int c = col_find_ci(s, name, strlen(name));
    int pc;
    const char *rest;
    bool path = split_find(s, name, &pc, &rest);
    if (c < 0 && !path)
        return false;
    memset(r, 0, sizeof *r);
    if (path) {
        r->kind = R_PATH;
        r->col = pc;
        r->type = s->cols[pc].type;
        r->path = kplan_strdup(L->p, rest, strlen(rest));
        if (c >= 0) {
            r->has_lit = true;
            r->lit = c;
            r->lit_type = s->cols[c].type;
        }
    } else {
        r->kind = R_COL;
        r->col = c;
        r->type = s->cols[c].type;
    }
    return true;
}

/* Resolves a Sigma field name in the current table (mapping, strip prefixes, schema,
 * AdditionalFields), warning once per table and field that exists nowhere. */
static void resolve(lower *L, const char *field, sig_pos pos, fres *r)
{
    tscope *ts = L->t;
    const sig_mapping *m = L->o->mapping;
    sp_buf mapped = {0};
    const char *name = field;
    bool has_map = sig_mapping_field(m, ts->name, field, &mapped);
    if (has_map)
        name = sp_buf_cstr(&mapped);
    bool ok = resolve_name(L, name, r);
    if (!ok && !has_map) {
        size_t k = sig_mapping_strip(m, ts->name, field);
        if (k)
            ok = resolve_name(L, field + k, r);
    }
    if (!ok && ts->virt) {
        /* Unknown schema: the field is a string column named as the mapping or rule says. */
        kp_schema_add(L->p, &ts->scan->out, name, SP_TYPE_STRING);
        memset(r, 0, sizeof *r);
        r->kind = R_COL;
        r->col = ts->scan->out.ncols - 1;
        r->type = SP_TYPE_STRING;
        ok = true;
    }
    if (!ok) {
        memset(r, 0, sizeof *r);
        const char *title = L->doc;
        if (has_map)
            warn(L, pos, ts->name, field, "rule '%s': field '%s' maps to '%s', which table %s does not have; %s", title,
                 field, name, ts->name, ts->addl >= 0 ? "looked up in AdditionalFields" : "treated as absent");
        else
            warn(L, pos, ts->name, field, "rule '%s': field '%s' is in no mapping and no schema of table %s; %s", title,
                 field, ts->name, ts->addl >= 0 ? "looked up in AdditionalFields" : "treated as absent");
        if (ts->addl >= 0) {
            r->kind = R_PATH;
            r->col = ts->addl;
            r->type = SP_TYPE_DYNAMIC;
            r->path = kplan_strdup(L->p, field, strlen(field));
        } else {
            r->kind = R_ABSENT;
        }
    }
    if (r->kind == R_PATH) {
        sp_buf cp = {0};
        sp_buf_printf(&cp, "%s.%s", ts->scan->out.cols[r->col].name, r->path);
        const char *canon = sig_mapping_canonical_path(m, ts->name, sp_buf_cstr(&cp));
        if (canon)
            r->path = kplan_strdup(L->p, canon + strlen(ts->scan->out.cols[r->col].name) + 1,
                                   strlen(canon) - strlen(ts->scan->out.cols[r->col].name) - 1);
        sp_buf_free(&cp);
    }
    sp_buf_free(&mapped);
}

static kx *col_of(lower *L, int col)
{
    return kx_col(L->p, col, L->t->scan->out.cols[col].type);
}

/* The dynamic value a path starts from (JSON text columns are parsed). */
static kx *path_base(lower *L, const fres *r)
{
    kx *c = col_of(L, r->col);
    return r->type == SP_TYPE_DYNAMIC ? c : kx_call1(L->p, KB_parse_json, SP_TYPE_DYNAMIC, c);
}

static kx *k_lambda(lower *L, kx *body)
{
    kx *l = sp_arena_calloc(&L->p->arena, sizeof *l);
    l->kind = KX_LAMBDA;
    l->type = SP_TYPE_BOOL;
    l->args = sp_arena_alloc(&L->p->arena, sizeof(kx *));
    l->args[0] = body;
    l->nargs = 1;
    return l;
}

static vexpr elem_value(lower *L)
{
    kx *e = sp_arena_calloc(&L->p->arena, sizeof *e);
    e->kind = KX_ELEM;
    e->type = SP_TYPE_DYNAMIC;
    return (vexpr){e, SP_TYPE_DYNAMIC};
}

/* A single value of a field as an expression (no any-element: fieldref, group keys). */
static vexpr scalar_value(lower *L, const fres *r)
{
    switch (r->kind) {
    case R_COL: return (vexpr){col_of(L, r->col), r->type};
    case R_PATH: {
        kx *v = kx_call2(L->p, KB_path_get, SP_TYPE_DYNAMIC, path_base(L, r), k_str(L, r->path, strlen(r->path)));
        if (r->has_lit) {
            vexpr lit = {col_of(L, r->lit), r->lit_type};
            kx *litd = r->lit_type == SP_TYPE_DYNAMIC ? lit.e : kx_call1(L->p, KB_todynamic, SP_TYPE_DYNAMIC, lit.e);
            kx *args[3] = {present(L, lit), litd, v};
            v = kx_call(L->p, KB_iff, SP_TYPE_DYNAMIC, args, 3);
        }
        return (vexpr){v, SP_TYPE_DYNAMIC};
    }
    default: {
        kval nv = kval_null(SP_TYPE_DYNAMIC);
        return (vexpr){kx_const(L->p, nv), SP_TYPE_DYNAMIC};
    }
    }
}

/* Sigma's result for a field absent from the table: null and exists:false hold. */
static bool absent_value(const sig_value *v)
{
    return v->kind == SIG_NULL || (v->kind == SIG_EXISTS && !v->b);
}

static kx *group_absent(lower *L, void *ctx, const sig_matcher *m, const sig_value *const *vals, size_t n)
{
    (void)ctx;
    (void)m;
    for (size_t i = 0; i < n; i++)
        if (absent_value(vals[i]))
            return k_bool(L, true);
    return k_bool(L, false);
}

static kx *fieldref_item(lower *L, const sig_matcher *m, vexpr a)
{
    kx *r = m->all ? k_bool(L, true) : k_bool(L, false);
    for (uint32_t g = 0; g < m->ngroups; g++)
        for (uint32_t i = 0; i < m->groups[g].n; i++) {
            const sig_value *sv = &m->groups[g].v[i];
            fres rr;
            resolve(L, sv->text, m->pos, &rr);
            vexpr b = scalar_value(L, &rr);
            kx *p = k_and(L, k_and(L, present(L, a), present(L, b)),
                          kx_call2(L->p, str_fn(sv->ref_op, m->cased), SP_TYPE_BOOL, text_of(L, a), text_of(L, b)));
            r = m->all ? k_and(L, r, p) : k_or(L, r, p);
        }
    return r;
}

/* ---- keywords ---- */

typedef struct kwctx {
    int col;
    sp_type type;
} kwctx;

static kx *group_keyword(lower *L, void *ctx, const sig_matcher *m, const sig_value *const *vals, size_t n)
{
    (void)ctx;
    const kp_schema *s = &L->t->scan->out;
    kx *r = k_bool(L, false);
    for (int c = 0; c < s->ncols; c++) {
        sp_type t = s->cols[c].type;
        if (is_str_type(t)) {
            r = k_or(L, r, values_or(L, (vexpr){col_of(L, c), t}, m, vals, n));
        } else if (t == SP_TYPE_DYNAMIC) {
            kx *body = values_or(L, elem_value(L), m, vals, n);
            r = k_or(L, r, kx_call2(L->p, KB_keyword_any, SP_TYPE_BOOL, col_of(L, c), k_lambda(L, body)));
        }
    }
    return r;
}

/* ---- matchers and programs ---- */

static kx *lower_matcher(lower *L, const sig_matcher *m)
{
    kx *r;
    if (!m->field) {
        if (L->t->virt)
            warn(L, m->pos, L->t->name, "", "rule '%s': keywords search no column: the schema of table %s is unknown",
                 L->doc, L->t->name);
        r = combine_groups(L, m, group_keyword, NULL);
    } else {
        fres f;
        resolve(L, m->field, m->pos, &f);
        bool fieldref = m->ngroups && m->groups[0].n && m->groups[0].v[0].kind == SIG_FIELDREF;
        bool exists = m->ngroups && m->groups[0].n && m->groups[0].v[0].kind == SIG_EXISTS;
        if (f.kind == R_ABSENT)
            r = fieldref ? k_bool(L, false) : combine_groups(L, m, group_absent, NULL);
        else if (fieldref)
            r = fieldref_item(L, m, scalar_value(L, &f));
        else if (f.kind == R_COL)
            r = item_on(L, (vexpr){col_of(L, f.col), f.type}, m);
        else {
            kx *path = k_str(L, f.path, strlen(f.path));
            kx *onpath;
            if (exists) {
                /* presence of the key, whatever its value */
                kx *e = kx_call2(L->p, KB_path_exists, SP_TYPE_BOOL, path_base(L, &f), path);
                onpath = m->groups[0].v[0].b ? e : k_not(L, e);
            } else {
                kx *body = item_on(L, elem_value(L), m);
                onpath = kx_call(L->p, KB_path_any, SP_TYPE_BOOL, (kx *[]){path_base(L, &f), path, k_lambda(L, body)}, 3);
            }
            if (f.has_lit) {
                vexpr lit = {col_of(L, f.lit), f.lit_type};
                kx *here = present(L, lit);
                r = k_or(L, k_and(L, here, item_on(L, lit, m)), k_and(L, k_not(L, present(L, lit)), onpath));
            } else {
                r = onpath;
            }
        }
    }
    if (m->negate)
        r = k_not(L, r);
    return k_at(r, m->pos);
}

static kx *lower_expr(lower *L, const sig_expr *e)
{
    switch (e->kind) {
    case SIG_X_MATCH: return lower_matcher(L, e->m);
    case SIG_X_NOT: return k_not(L, lower_expr(L, e->kids[0]));
    case SIG_X_AND: {
        kx *r = k_bool(L, true);
        for (uint32_t i = 0; i < e->n; i++)
            r = k_and(L, r, lower_expr(L, e->kids[i]));
        return r;
    }
    case SIG_X_OR: {
        kx *r = k_bool(L, false);
        for (uint32_t i = 0; i < e->n; i++)
            r = k_or(L, r, lower_expr(L, e->kids[i]));
        return r;
    }
    }
    return k_bool(L, false);
}

static kp *filter_of(lower *L, kp *in, kx *pred, sig_pos pos)
{
    kp *f = kp_new(L->p, KP_FILTER, in);
    f->pred = pred;
    f->line = pos.line;
    f->col = pos.col;
    kp_schema_copy(L->p, &f->out, &in->out);
    return f;
}

/* A union by column name (Kusto's: a name with several types becomes one column per type,
 * suffixed _type). */
static kp *union_of(lower *L, kp **in, int n)
{
    kp *u = kp_new(L->p, KP_UNION, NULL);
    for (int j = 0; j < n; j++)
        for (int c = 0; c < in[j]->out.ncols; c++) {
            const kp_col *col = &in[j]->out.cols[c];
            bool conflict = false;
            for (int k = 0; k < n; k++) {
                int o = kp_schema_find(&in[k]->out, col->name, strlen(col->name));
                conflict |= o >= 0 && in[k]->out.cols[o].type != col->type;
            }
            char nm[300];
            snprintf(nm, sizeof nm, conflict ? "%s_%s" : "%s", col->name, sp_type_name(col->type));
            if (kp_schema_find(&u->out, nm, strlen(nm)) < 0)
                kp_schema_add(L->p, &u->out, nm, col->type);
        }
    u->ninputs = n;
    u->inputs = sp_arena_alloc(&L->p->arena, sizeof(kp *) * (size_t)n);
    u->union_map = sp_arena_alloc(&L->p->arena, sizeof(int *) * (size_t)n);
    u->source_names = sp_arena_alloc(&L->p->arena, sizeof(char *) * (size_t)n);
    for (int j = 0; j < n; j++) {
        u->inputs[j] = in[j];
        u->source_names[j] = in[j]->table;
        u->union_map[j] = sp_arena_alloc(&L->p->arena, sizeof(int) * (size_t)(u->out.ncols ? u->out.ncols : 1));
        for (int i = 0; i < u->out.ncols; i++) {
            u->union_map[j][i] = -1;
            for (int c = 0; c < in[j]->out.ncols; c++) {
                const kp_col *ic = &in[j]->out.cols[c];
                char suffixed[300];
                snprintf(suffixed, sizeof suffixed, "%s_%s", ic->name, sp_type_name(ic->type));
                if ((!strcmp(ic->name, u->out.cols[i].name) && ic->type == u->out.cols[i].type) ||
                    !strcmp(suffixed, u->out.cols[i].name))
                    u->union_map[j][i] = c;
            }
        }
    }
    return u;
}

static const char *doc_name(const sig_meta *m)
{
    return m->title ? m->title : m->name ? m->name : m->id ? m->id : "?";
}

static kp *lower_rule(lower *L, const sig_rule *r)
{
    const char *const *tables;
    size_t nt = sig_mapping_tables(L->o->mapping, &r->logsource, &tables);
    kp **parts = sp_arena_alloc(&L->p->arena, sizeof(kp *) * nt);
    for (size_t i = 0; i < nt; i++) {
        tscope ts;
        scope_open(L, tables[i], &ts);
        L->t = &ts;
        kx *pred = lower_expr(L, r->expr);
        parts[i] = filter_of(L, ts.scan, pred, r->meta.pos);
        L->t = NULL;
    }
    return nt == 1 ? parts[0] : union_of(L, parts, (int)nt);
}

/* ---- correlations ---- */

typedef struct corr_in {
    const char *table;
    uint32_t rules[64]; /* rule positions (within the correlation) read from this table */
    int nrules;
} corr_in;

/* The event time of the current table: its declared time column, else the first of the
 * mapping's time_fields that is set in the row (an inferred table may have several, e.g.
 * an empty TimeGenerated next to the record's own `time`). */
static kx *time_expr(lower *L, sig_pos pos)
{
    const kp_schema *s = &L->t->scan->out;
    const char *const *names;
    size_t nn = sig_mapping_time_fields(L->o->mapping, &names);
    const sp_table_def *def = sp_schema_declared(L->t->name);
    if (def && def->time_column) {
        int c = kp_schema_find(s, def->time_column, strlen(def->time_column));
        if (c >= 0)
            return col_of(L, c);
    }
    kx *args[16];
    int n = 0;
    for (size_t i = 0; i < nn && n < 16; i++) {
        int c = col_find_ci(s, names[i], strlen(names[i]));
        if (c < 0)
            continue;
        sp_type t = s->cols[c].type;
        if (t == SP_TYPE_DATETIME)
            args[n++] = col_of(L, c);
        else if (is_str_type(t) || t == SP_TYPE_DYNAMIC)
            args[n++] = kx_call1(L->p, KB_todatetime, SP_TYPE_DATETIME, text_of(L, (vexpr){col_of(L, c), t}));
    }
    if (n == 1)
        return args[0];
    if (n > 1)
        return kx_call(L->p, KB_coalesce, SP_TYPE_DATETIME, args, n);
    if (L->t->virt) {
        kp_schema_add(L->p, &L->t->scan->out, "TimeGenerated", SP_TYPE_DATETIME);
        return col_of(L, L->t->scan->out.ncols - 1);
    }
    warn(L, pos, L->t->name, "", "correlation '%s': table %s has no time column; its events are in no window", L->doc,
         L->t->name);
    return kx_const(L->p, kval_null(SP_TYPE_DATETIME));
}

/* A field's text for group keys and value_count ("" when absent). */
static kx *key_text(lower *L, const char *field, sig_pos pos)
{
    fres f;
    resolve(L, field, pos, &f);
    if (f.kind == R_ABSENT)
        return k_str(L, "", 0);
    vexpr v = scalar_value(L, &f);
    return text_of(L, v);
}

static kx *value_num(lower *L, const char *field, sig_pos pos)
{
    fres f;
    resolve(L, field, pos, &f);
    if (f.kind == R_ABSENT)
        return kx_const(L->p, kval_null(SP_TYPE_REAL));
    vexpr v = scalar_value(L, &f);
    if (is_num_type(v.t))
        return kx_call1(L->p, KB_toreal, SP_TYPE_REAL, v.e);
    if (is_str_type(v.t) || v.t == SP_TYPE_DYNAMIC)
        return kx_call1(L->p, KB_str_num, SP_TYPE_REAL, text_of(L, v));
    return kx_const(L->p, kval_null(SP_TYPE_REAL));
}

/* The field of group-by name `key` for the correlation's rule at position i: its alias
 * field for that rule, else the name itself. */
static const char *key_field(const sig_corr *c, const char *key, uint32_t i)
{
    for (uint32_t a = 0; a < c->naliases; a++) {
        if (strcmp(c->aliases[a].name, key))
            continue;
        for (uint32_t k = 0; k < c->aliases[a].nfields; k++)
            if (c->aliases[a].fields[k].rule.kind == c->rules[i].kind &&
                c->aliases[a].fields[k].rule.index == c->rules[i].index)
                return c->aliases[a].fields[k].field;
    }
    return key;
}

static bool is_value_metric(kp_window_metric m)
{
    return m == KW_VALUE_COUNT || m == KW_VALUE_SUM || m == KW_VALUE_AVG || m == KW_VALUE_PERCENTILE ||
           m == KW_VALUE_SHARE;
}

static kp *lower_corr(lower *L, const sig_corr *c, int depth);

static kp *project_window_input(lower *L, kp *in, kx **items, const sig_corr *c)
{
    int nk = (int)c->group_by.n;
    kp *pj = kp_new(L->p, KP_PROJECT, in);
    pj->nitems = KW_IN_KEYS + nk;
    pj->items = sp_arena_alloc(&L->p->arena, sizeof(kp_named) * (size_t)pj->nitems);
    static const char *const fixed[] = {"_Time", "_RuleMask", "_Value", "_Text"}; /* apart from group-by names */
    for (int i = 0; i < pj->nitems; i++) {
        pj->items[i].name = i < KW_IN_KEYS ? fixed[i] : kplan_strdup(L->p, c->group_by.v[i - KW_IN_KEYS], strlen(c->group_by.v[i - KW_IN_KEYS]));
        pj->items[i].expr = items[i];
        kp_schema_add(L->p, &pj->out, pj->items[i].name, items[i]->type);
    }
    return pj;
}

/* Opens the scope of one table of a correlation and lowers the predicates of the rules read
 * from it (in ci's order); *any is their disjunction. */
static kx **corr_preds(lower *L, const sig_corr *c, const corr_in *ci, tscope *ts, kx **any)
{
    scope_open(L, ci->table, ts);
    L->t = ts;
    kx **preds = sp_arena_alloc(&L->p->arena, sizeof(kx *) * (size_t)ci->nrules);
    *any = k_bool(L, false);
    for (int k = 0; k < ci->nrules; k++) {
        const sig_rule *r = sig_set_rule(L->set, c->rules[ci->rules[k]].index);
        preds[k] = lower_expr(L, r->expr);
        *any = k_or(L, *any, preds[k]);
    }
    return preds;
}

/* The text of group-by field g in a row of the current table: the rules' field, or, when
 * aliases give the rules different fields, the first matching rule's field. */
static kx *corr_key(lower *L, const sig_corr *c, const corr_in *ci, kx **preds, int g)
{
    bool same = true;
    const char *f0 = key_field(c, c->group_by.v[g], ci->rules[0]);
    for (int k = 1; k < ci->nrules; k++)
        same &= !strcmp(f0, key_field(c, c->group_by.v[g], ci->rules[k]));
    kx *e = NULL;
    for (int k = same ? 0 : ci->nrules - 1; k >= 0; k--) {
        kx *t = key_text(L, key_field(c, c->group_by.v[g], ci->rules[k]), c->meta.pos);
        if (!e) {
            e = t;
        } else {
            kx *args[3] = {preds[k], t, e};
            e = kx_call(L->p, KB_iff, SP_TYPE_STRING, args, 3);
        }
    }
    return e;
}

static kp *corr_table_input(lower *L, const sig_corr *c, const corr_in *ci, kp_window_metric metric)
{
    tscope ts;
    int nk = (int)c->group_by.n;
    kx *any;
    kx **preds = corr_preds(L, c, ci, &ts, &any);
    kx **items = sp_arena_alloc(&L->p->arena, sizeof(kx *) * (size_t)(KW_IN_KEYS + nk));
    items[KW_IN_TIME] = time_expr(L, c->meta.pos);
    if (ci->nrules == 1) {
        items[KW_IN_MASK] = k_long(L, (int64_t)1 << ci->rules[0]);
    } else {
        kx *mask = NULL;
        for (int k = 0; k < ci->nrules; k++) {
            kx *args[3] = {preds[k], k_long(L, (int64_t)1 << ci->rules[k]), k_long(L, 0)};
            kx *bit = kx_call(L->p, KB_iff, SP_TYPE_LONG, args, 3);
            mask = mask ? kx_call2(L->p, KB_binary_or, SP_TYPE_LONG, mask, bit) : bit;
        }
        items[KW_IN_MASK] = mask;
    }
    if (is_value_metric(metric) && c->field) {
        items[KW_IN_VALUE] = value_num(L, c->field, c->meta.pos);
        items[KW_IN_TEXT] = key_text(L, c->field, c->meta.pos);
    } else {
        items[KW_IN_VALUE] = kx_const(L->p, kval_null(SP_TYPE_REAL));
        items[KW_IN_TEXT] = k_str(L, "", 0);
    }
    for (int g = 0; g < nk; g++)
        items[KW_IN_KEYS + g] = corr_key(L, c, ci, preds, g);
    kp *f = filter_of(L, ts.scan, any, c->meta.pos);
    kp *pj = project_window_input(L, f, items, c);
    L->t = NULL;
    return pj;
}

static kp *corr_chain_input(lower *L, const sig_corr *c, uint32_t i, kp_window_metric metric, int depth)
{
    const sig_corr *inner = sig_set_corr(L->set, c->rules[i].index);
    kp *w = lower_corr(L, inner, depth + 1);
    if (!w)
        return NULL;
    /* The inner outputs are a table of their own for field lookups. */
    tscope ts = {.name = doc_name(&inner->meta), .scan = w, .addl = -1};
    L->t = &ts;
    int nk = (int)c->group_by.n;
    kx **items = sp_arena_alloc(&L->p->arena, sizeof(kx *) * (size_t)(KW_IN_KEYS + nk));
    int end = kp_schema_find(&w->out, "EndTime", 7);
    items[KW_IN_TIME] = col_of(L, end);
    items[KW_IN_MASK] = k_long(L, (int64_t)1 << i);
    if (is_value_metric(metric) && c->field) {
        items[KW_IN_VALUE] = value_num(L, c->field, c->meta.pos);
        items[KW_IN_TEXT] = key_text(L, c->field, c->meta.pos);
    } else {
        items[KW_IN_VALUE] = kx_const(L->p, kval_null(SP_TYPE_REAL));
        items[KW_IN_TEXT] = k_str(L, "", 0);
    }
    for (int g = 0; g < nk; g++)
        items[KW_IN_KEYS + g] = key_text(L, key_field(c, c->group_by.v[g], i), c->meta.pos);
    kp *pj = project_window_input(L, w, items, c);
    L->t = NULL;
    return pj;
}

static kp_window_metric metric_of(const sig_corr *c)
{
    switch (c->type) {
    case SIG_CORR_EVENT_COUNT: return KW_EVENT_COUNT;
    case SIG_CORR_VALUE_COUNT: return KW_VALUE_COUNT;
    case SIG_CORR_TEMPORAL: return KW_TEMPORAL;
    case SIG_CORR_TEMPORAL_ORDERED: return KW_TEMPORAL_ORDERED;
    case SIG_CORR_VALUE_SUM: return KW_VALUE_SUM;
    case SIG_CORR_VALUE_AVG: return KW_VALUE_AVG;
    case SIG_CORR_VALUE_PERCENTILE: return c->has_percentile ? KW_VALUE_PERCENTILE : KW_VALUE_SHARE;
    }
    return KW_EVENT_COUNT;
}

/* The correlation's own detection rules grouped by the tables their logsources map to (one
 * scan per table; each event once with the mask of the rules it matched). Returns a calloc'd
 * array of *n entries (at least one slot) the caller frees. */
static corr_in *corr_by_table(lower *L, const sig_corr *c, int *n)
{
    size_t slots = 1;
    for (uint32_t i = 0; i < c->nrules; i++)
        if (c->rules[i].kind == SIG_DOC_RULE) {
            const char *const *tables;
            slots += sig_mapping_tables(L->o->mapping, &sig_set_rule(L->set, c->rules[i].index)->logsource, &tables);
        }
    corr_in *ins = sp_xcalloc(slots, sizeof *ins);
    int nins = 0;
    for (uint32_t i = 0; i < c->nrules && i < 64; i++) {
        if (c->rules[i].kind != SIG_DOC_RULE)
            continue;
        const char *const *tables;
        size_t nt = sig_mapping_tables(L->o->mapping, &sig_set_rule(L->set, c->rules[i].index)->logsource, &tables);
        for (size_t k = 0; k < nt; k++) {
            int j = 0;
            while (j < nins && strcmp(ins[j].table, tables[k]))
                j++;
            if (j == nins)
                ins[nins++].table = tables[k];
            ins[j].rules[ins[j].nrules++] = i;
        }
    }
    *n = nins;
    return ins;
}

static kp *lower_corr(lower *L, const sig_corr *c, int depth)
{
    const char *saved = L->doc;
    L->doc = doc_name(&c->meta);
    if (depth > 16) {
        fail(L, c->meta.pos, "correlation '%s': chained more than 16 deep", L->doc);
        return NULL;
    }
    if (c->nrules > 64) {
        fail(L, c->meta.pos, "correlation '%s': more than 64 rules", L->doc);
        return NULL;
    }
    kp_window_metric metric = metric_of(c);
    int nins;
    corr_in *ins = corr_by_table(L, c, &nins);
    kp **inputs = sp_arena_alloc(&L->p->arena, sizeof(kp *) * (size_t)(nins + c->nrules + 1));
    int ninputs = 0;
    for (int j = 0; j < nins && !L->failed; j++) {
        const char *inner_doc = L->doc;
        const sig_rule *r0 = sig_set_rule(L->set, c->rules[ins[j].rules[0]].index);
        L->doc = doc_name(&r0->meta);
        inputs[ninputs++] = corr_table_input(L, c, &ins[j], metric);
        L->doc = inner_doc;
    }
    for (uint32_t i = 0; i < c->nrules && !L->failed; i++)
        if (c->rules[i].kind == SIG_DOC_CORRELATION) {
            kp *in = corr_chain_input(L, c, i, metric, depth);
            if (in)
                inputs[ninputs++] = in;
        }
    free(ins);
    if (L->failed)
        return NULL;
    kp *w = kp_new(L->p, KP_WINDOW, NULL);
    w->line = c->meta.pos.line;
    w->col = c->meta.pos.col;
    w->inputs = inputs;
    w->ninputs = ninputs;
    w->time_colidx = KW_IN_TIME;
    w->window_ticks = c->timespan;
    w->win_metric = metric;
    w->win_nrules = (int)c->nrules;
    w->win_percentile = c->percentile;
    w->nconds = (int)c->nconds;
    w->conds = sp_arena_alloc(&L->p->arena, sizeof(kp_window_cond) * (c->nconds ? c->nconds : 1));
    for (uint32_t i = 0; i < c->nconds; i++) {
        w->conds[i].op = cmp_op(c->conds[i].op);
        w->conds[i].value = c->conds[i].value;
    }
    w->nkeys = (int)c->group_by.n;
    w->keys = sp_arena_alloc(&L->p->arena, sizeof(kp_named) * (c->group_by.n ? c->group_by.n : 1));
    for (uint32_t g = 0; g < c->group_by.n; g++) {
        w->keys[g].name = kplan_strdup(L->p, c->group_by.v[g], strlen(c->group_by.v[g]));
        w->keys[g].expr = kx_col(L->p, KW_IN_KEYS + (int)g, SP_TYPE_STRING);
        kp_schema_add(L->p, &w->out, c->group_by.v[g], SP_TYPE_STRING);
    }
    kp_schema_add(L->p, &w->out, "StartTime", SP_TYPE_DATETIME);
    kp_schema_add(L->p, &w->out, "EndTime", SP_TYPE_DATETIME);
    kp_schema_add(L->p, &w->out, "Value", SP_TYPE_REAL);
    kp_schema_add(L->p, &w->out, "ValueOf", SP_TYPE_STRING);
    kp_schema_add(L->p, &w->out, "EventCount", SP_TYPE_LONG);
    L->doc = saved;
    return w;
}

/* ---- lowering state ---- */

static void lower_begin(lower *L, const sig_set *s, const sig_lower_opts *opts, sig_warnings *warnings, sp_diag *err)
{
    static const sig_lower_opts none = {0};
    memset(L, 0, sizeof *L);
    L->set = s;
    L->o = opts ? opts : &none;
    L->p = kplan_new();
    L->warn = warnings;
    L->err = err;
}

/* Frees the lowering's scratch; returns 0 with the plan in *out, or -1 (plan freed). */
static int lower_end(lower *L, kp *root, kplan **out)
{
    for (size_t i = 0; i < L->nwarned; i++)
        free(L->warned[i]);
    free(L->warned);
    sp_store_free(L->scratch);
    if (L->failed || !root) {
        kplan_free(L->p);
        return -1;
    }
    L->p->root = root;
    if (!L->o->no_optimize)
        kplan_optimize(L->p);
    *out = L->p;
    return 0;
}

/* ---- evidence: the records behind a correlation's outputs ---- */

/* One table's share of the evidence: its records matching any of the correlation's rules
 * read from it, every column kept, plus one string column per group-by field holding the
 * key text exactly as the window input computes it (so the runtime can compare them with an
 * output's group values). */
static kp *evidence_table(lower *L, const sig_corr *c, const corr_in *ci)
{
    tscope ts;
    int nk = (int)c->group_by.n;
    kx *any;
    kx **preds = corr_preds(L, c, ci, &ts, &any);
    kp *f = filter_of(L, ts.scan, any, c->meta.pos);
    kp *pj = kp_new(L->p, KP_PROJECT, f);
    int ncols = ts.scan->out.ncols;
    pj->nitems = ncols + nk;
    pj->items = sp_arena_alloc(&L->p->arena, sizeof(kp_named) * (size_t)(pj->nitems ? pj->nitems : 1));
    for (int i = 0; i < ncols; i++) {
        pj->items[i].name = ts.scan->out.cols[i].name;
        pj->items[i].expr = col_of(L, i);
        kp_schema_add(L->p, &pj->out, pj->items[i].name, ts.scan->out.cols[i].type);
    }
    for (int g = 0; g < nk; g++) {
        kx *e = corr_key(L, c, ci, preds, g);
        char nm[32];
        snprintf(nm, sizeof nm, "%s%d", SIG_EVIDENCE_KEY, g);
        pj->items[ncols + g].name = kplan_strdup(L->p, nm, strlen(nm));
        pj->items[ncols + g].expr = e;
        kp_schema_add(L->p, &pj->out, pj->items[ncols + g].name, SP_TYPE_STRING);
    }
    L->t = NULL;
    return pj;
}

int sig_lower_evidence(const sig_set *s, uint32_t index, const sig_lower_opts *opts, kplan **out, sp_diag *err)
{
    *out = NULL;
    if (index >= sig_set_count(s, SIG_DOC_CORRELATION))
        return 1;
    const sig_corr *c = sig_set_corr(s, index);
    lower L;
    lower_begin(&L, s, opts, NULL, err);
    L.doc = doc_name(&c->meta);
    int nins;
    corr_in *ins = corr_by_table(&L, c, &nins);
    kp **parts = sp_arena_alloc(&L.p->arena, sizeof(kp *) * (size_t)(nins ? nins : 1));
    for (int j = 0; j < nins && !L.failed; j++)
        parts[j] = evidence_table(&L, c, &ins[j]);
    free(ins);
    if (!nins && !L.failed) {
        lower_end(&L, NULL, out);
        return 1; /* only chained correlations: no records of its own */
    }
    return lower_end(&L, nins == 1 ? parts[0] : union_of(&L, parts, nins), out);
}

/* ---- entry point ---- */

int sig_lower(const sig_set *s, sig_kind kind, uint32_t index, const sig_lower_opts *opts, kplan **out,
              sig_warnings *warnings, sp_diag *err)
{
    lower L;
    lower_begin(&L, s, opts, warnings, err);
    *out = NULL;
    kp *root = NULL;
    if (kind == SIG_DOC_RULE && index < sig_set_count(s, SIG_DOC_RULE)) {
        const sig_rule *r = sig_set_rule(s, index);
        L.doc = doc_name(&r->meta);
        root = lower_rule(&L, r);
    } else if (kind == SIG_DOC_CORRELATION && index < sig_set_count(s, SIG_DOC_CORRELATION)) {
        root = lower_corr(&L, sig_set_corr(s, index), 0);
    } else {
        fail(&L, (sig_pos){0}, "no %s number %u to lower", sig_kind_name(kind), index);
    }
    return lower_end(&L, root, out);
}
