/* plan.c — the IR's catalogues (builtins, aggregates), node constructors, value text
 * forms and the plan printer used by `socpipe explain`. */
#include "engine/plan/plan.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const kb_info builtins[KB__COUNT] = {
#define B(id, name, mn, mx, sig) [KB_##id] = {name, mn, mx, sig},
#include "engine/plan/builtins.def"
#undef B
};

static const ka_info aggregates[KA__COUNT] = {
#define A(id, name, mn, mx, autoname) [KA_##id] = {name, mn, mx, autoname},
#include "engine/plan/aggregates.def"
#undef A
};

const kb_info *kb_get(kb_id id)
{
    return (unsigned)id < KB__COUNT ? &builtins[id] : NULL;
}

const ka_info *ka_get(ka_id id)
{
    return (unsigned)id < KA__COUNT ? &aggregates[id] : NULL;
}

int kb_lookup(const char *name, size_t n)
{
    static const struct {
        const char *alias;
        kb_id id;
    } aliases[] = {
        {"parsejson", KB_parse_json},   {"todynamic", KB_parse_json}, {"toobject", KB_parse_json},
        {"arraylength", KB_array_length}, {"columnifexists", KB_column_ifexists},
        {"pack", KB_pack},              {"pack_dictionary", KB_pack}, {"iif", KB_iff},
        {"todouble", KB_toreal},        {"todecimal", KB_toreal},     {"gettype", KB_typeof},
        {"typeof", KB_typeof},          {"replace", KB_replace_regex}, {"tobool", KB_tobool},
        {"toboolean", KB_tobool},       {"bag_pack", KB_pack},
        {"datepart", KB_datetime_part}, {"weekofyear", KB_week_of_year},
        {"base64_decodestring", KB_base64_decode_tostring}, {"base64_encodestring", KB_base64_encode_tostring},
        {"extract_json", KB_extractjson}, {"bin_auto", KB_bin},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(aliases); i++)
        if (sp_streq(name, n, aliases[i].alias, strlen(aliases[i].alias)))
            return aliases[i].id;
    for (int i = 0; i < KB__COUNT; i++) {
        const char *b = builtins[i].name;
        if (b[0] == '$' || !((b[0] >= 'a' && b[0] <= 'z') || b[0] == '_'))
            continue; /* operators and internal matchers are not callable by name */
        if (sp_streq(name, n, b, strlen(b)))
            return i;
    }
    return -1;
}

int ka_lookup(const char *name, size_t n)
{
    static const struct {
        const char *alias;
        ka_id id;
    } aliases[] = {
        {"makeset", KA_make_set},       {"makelist", KA_make_list}, {"any", KA_take_any},
        {"anyif", KA_take_anyif},       {"make_dictionary", KA_make_bag}, {"dcountif", KA_dcountif},
        {"makelist_if", KA_make_list_if}, {"buildschema", (ka_id)-1},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(aliases); i++)
        if (sp_streq(name, n, aliases[i].alias, strlen(aliases[i].alias)))
            return (int)aliases[i].id;
    for (int i = 0; i < KA__COUNT; i++)
        if (sp_streq(name, n, aggregates[i].name, strlen(aggregates[i].name)))
            return i;
    return -1;
}

/* ---- values ---- */

void kval_to_json(const kval *v, sp_buf *out)
{
    if (v->null) {
        sp_buf_puts(out, "null");
        return;
    }
    switch (v->type) {
    case SP_TYPE_BOOL: sp_buf_puts(out, v->u.b ? "true" : "false"); break;
    case SP_TYPE_INT:
    case SP_TYPE_LONG: sp_buf_printf(out, "%lld", (long long)v->u.l); break;
    case SP_TYPE_REAL: {
        char tmp[32];
        int n = sp_format_real(v->u.r, tmp);
        if (tmp[0] == 'N' || tmp[0] == 'I' || tmp[1] == 'I')
            sp_buf_json_string(out, tmp, (size_t)n); /* not representable as a JSON number */
        else
            sp_buf_append(out, tmp, (size_t)n);
        break;
    }
    case SP_TYPE_DATETIME:
    case SP_TYPE_TIMESPAN: {
        sp_buf tmp = {0};
        sp_format_value(&tmp, v->type, &v->u.l);
        sp_buf_json_string(out, tmp.data, tmp.len);
        sp_buf_free(&tmp);
        break;
    }
    case SP_TYPE_GUID:
        if (!v->u.s.n) { /* a guid is never empty: empty stands for null */
            sp_buf_puts(out, "null");
            break;
        }
        sp_buf_json_string(out, v->u.s.p, v->u.s.n);
        break;
    case SP_TYPE_STRING: sp_buf_json_string(out, v->u.s.p, v->u.s.n); break;
    case SP_TYPE_DYNAMIC: sp_buf_append(out, v->u.s.p, v->u.s.n); break;
    default: sp_buf_puts(out, "null");
    }
}

void kval_to_text(const kval *v, sp_buf *out)
{
    if (v->null)
        return;
    switch (v->type) {
    case SP_TYPE_BOOL: sp_buf_puts(out, v->u.b ? "true" : "false"); break;
    case SP_TYPE_INT:
    case SP_TYPE_LONG: sp_buf_printf(out, "%lld", (long long)v->u.l); break;
    case SP_TYPE_REAL: {
        char tmp[32];
        sp_buf_append(out, tmp, (size_t)sp_format_real(v->u.r, tmp));
        break;
    }
    case SP_TYPE_DATETIME:
    case SP_TYPE_TIMESPAN: sp_format_value(out, v->type, &v->u.l); break;
    case SP_TYPE_DYNAMIC:
        if (v->u.s.n >= 2 && v->u.s.p[0] == '"' && sp_json_unescape(v->u.s.p, v->u.s.n, out))
            break;
        sp_buf_append(out, v->u.s.p, v->u.s.n);
        break;
    default: sp_buf_append(out, v->u.s.p, v->u.s.n);
    }
}

/* ---- construction ---- */

kplan *kplan_new(void)
{
    static atomic_uint_fast64_t serials;
    kplan *p = sp_xcalloc(1, sizeof *p);
    p->serial = atomic_fetch_add_explicit(&serials, 1, memory_order_relaxed) + 1;
    p->arena.block_size = 16 * 1024;
    pthread_mutex_init(&p->state_mu, NULL);
    return p;
}

struct kplan_state {
    const void *key;
    void *state;
    void (*free_fn)(void *);
    struct kplan_state *next;
};

void *kplan_exec_state(kplan *p, const void *key, void *(*make)(void), void (*free_fn)(void *))
{
    pthread_mutex_lock(&p->state_mu);
    struct kplan_state *s = p->states;
    while (s && s->key != key)
        s = s->next;
    if (!s) {
        s = sp_xmalloc(sizeof *s);
        *s = (struct kplan_state){key, make(), free_fn, p->states};
        p->states = s;
    }
    pthread_mutex_unlock(&p->state_mu);
    return s->state;
}

void kplan_free(kplan *p)
{
    if (!p)
        return;
    while (p->states) {
        struct kplan_state *s = p->states;
        p->states = s->next;
        s->free_fn(s->state);
        free(s);
    }
    pthread_mutex_destroy(&p->state_mu);
    sp_arena_free(&p->arena);
    free(p->shared);
    free(p->warnings);
    free(p);
}

void kplan_warn(kplan *p, int line, int col, const char *fmt, ...)
{
    char msg[600];
    int n = snprintf(msg, sizeof msg, "%d:%d: ", line, col);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    for (int i = 0; i < p->nwarnings; i++)
        if (!strcmp(p->warnings[i], msg))
            return; /* a let bound at each use warns once */
    p->warnings = sp_xrealloc(p->warnings, sizeof(char *) * (size_t)(p->nwarnings + 1));
    p->warnings[p->nwarnings++] = kplan_strdup(p, msg, strlen(msg));
}

const char *kplan_strdup(kplan *p, const char *s, size_t n)
{
    return sp_arena_strndup(&p->arena, s, n);
}

kx *kx_const(kplan *p, kval v)
{
    kx *e = sp_arena_calloc(&p->arena, sizeof *e);
    e->kind = KX_CONST;
    e->type = v.type;
    if (sp_type_is_text(v.type) && v.u.s.n)
        v.u.s.p = kplan_strdup(p, v.u.s.p, v.u.s.n);
    e->value = v;
    return e;
}

kx *kx_col(kplan *p, int colidx, sp_type type)
{
    kx *e = sp_arena_calloc(&p->arena, sizeof *e);
    e->kind = KX_COL;
    e->type = type;
    e->colidx = colidx;
    return e;
}

kx *kx_call(kplan *p, kb_id fn, sp_type type, kx **args, int nargs)
{
    kx *e = sp_arena_calloc(&p->arena, sizeof *e);
    e->kind = KX_CALL;
    e->type = type;
    e->fn = fn;
    e->nargs = nargs;
    e->args = sp_arena_alloc(&p->arena, sizeof(kx *) * (size_t)(nargs ? nargs : 1));
    for (int i = 0; i < nargs; i++)
        e->args[i] = args[i];
    return e;
}

kx *kx_call1(kplan *p, kb_id fn, sp_type type, kx *a)
{
    return kx_call(p, fn, type, &a, 1);
}

kx *kx_call2(kplan *p, kb_id fn, sp_type type, kx *a, kx *b)
{
    kx *args[2] = {a, b};
    return kx_call(p, fn, type, args, 2);
}

kp *kp_new(kplan *p, kp_kind kind, kp *in)
{
    kp *n = sp_arena_calloc(&p->arena, sizeof *n);
    n->kind = kind;
    n->in = in;
    n->time_min = INT64_MIN;
    n->time_max = INT64_MAX;
    return n;
}

void kp_schema_copy(kplan *p, kp_schema *dst, const kp_schema *src)
{
    dst->ncols = src->ncols;
    dst->cols = sp_arena_alloc(&p->arena, sizeof(kp_col) * (size_t)(src->ncols ? src->ncols : 1));
    if (src->ncols)
        memcpy(dst->cols, src->cols, sizeof(kp_col) * (size_t)src->ncols);
}

void kp_schema_add(kplan *p, kp_schema *s, const char *name, sp_type type)
{
    kp_col *cols = sp_arena_alloc(&p->arena, sizeof(kp_col) * (size_t)(s->ncols + 1));
    if (s->ncols)
        memcpy(cols, s->cols, sizeof(kp_col) * (size_t)s->ncols);
    cols[s->ncols].name = kplan_strdup(p, name, strlen(name));
    cols[s->ncols].type = type;
    s->cols = cols;
    s->ncols++;
}

int kp_schema_find(const kp_schema *s, const char *name, size_t n)
{
    for (int i = 0; i < s->ncols; i++)
        if (sp_streq(s->cols[i].name, strlen(s->cols[i].name), name, n))
            return i;
    return -1;
}

kp *kp_scan(kplan *p, sp_table *t)
{
    kp *n = kp_new(p, KP_SCAN, NULL);
    n->table = kplan_strdup(p, sp_table_name(t), strlen(sp_table_name(t)));
    const sp_schema *sc = sp_table_schema(t);
    n->out.ncols = sc->ncols;
    n->out.cols = sp_arena_alloc(&p->arena, sizeof(kp_col) * (size_t)(sc->ncols ? sc->ncols : 1));
    for (int i = 0; i < sc->ncols; i++) {
        n->out.cols[i].name = kplan_strdup(p, sc->cols[i].name, strlen(sc->cols[i].name));
        n->out.cols[i].type = sc->cols[i].type == SP_TYPE_NULL ? SP_TYPE_DYNAMIC : sc->cols[i].type;
    }
    return n;
}

/* ---- explain ---- */

void kx_explain(const kx *e, const kp_schema *in, sp_buf *out)
{
    if (!e) {
        sp_buf_puts(out, "<none>");
        return;
    }
    switch (e->kind) {
    case KX_CONST:
        if (e->value.null)
            sp_buf_printf(out, "%s(null)", sp_type_name(e->type));
        else if (e->type == SP_TYPE_DATETIME || e->type == SP_TYPE_TIMESPAN) {
            sp_buf_printf(out, "%s(", sp_type_name(e->type));
            kval_to_text(&e->value, out);
            sp_buf_putc(out, ')');
        } else
            kval_to_json(&e->value, out);
        break;
    case KX_COL:
        if (in && e->colidx < in->ncols)
            sp_buf_puts(out, in->cols[e->colidx].name);
        else
            sp_buf_printf(out, "$%d", e->colidx);
        break;
    case KX_SET:
        sp_buf_putc(out, '[');
        for (int i = 0; i < e->nset; i++) {
            if (i)
                sp_buf_puts(out, ", ");
            kval_to_json(&e->set[i], out);
        }
        sp_buf_putc(out, ']');
        break;
    case KX_SUBQUERY: sp_buf_puts(out, e->sub_scalar ? "toscalar(<subquery>)" : "(<subquery>)"); break;
    case KX_LAMBDA:
        sp_buf_puts(out, "v => ");
        kx_explain(e->args[0], NULL, out);
        break;
    case KX_ELEM: sp_buf_putc(out, 'v'); break;
    case KX_CALL: {
        const kb_info *b = kb_get(e->fn);
        bool infix = b->name[0] != '$' && !(b->name[0] >= 'a' && b->name[0] <= 'z') && e->nargs == 2;
        bool word_op = e->fn == KB_and || e->fn == KB_or || e->fn == KB_in || e->fn == KB_in_ci ||
                       e->fn == KB_has_any || e->fn == KB_has_all ||
                       (e->fn >= KB_has && e->fn <= KB_matches_regex);
        if (infix || word_op) {
            sp_buf_putc(out, '(');
            kx_explain(e->args[0], in, out);
            sp_buf_printf(out, " %s ", b->name);
            kx_explain(e->args[1], in, out);
            sp_buf_putc(out, ')');
        } else {
            sp_buf_printf(out, "%s(", b->name);
            for (int i = 0; i < e->nargs; i++) {
                if (i)
                    sp_buf_puts(out, ", ");
                kx_explain(e->args[i], in, out);
            }
            sp_buf_putc(out, ')');
        }
        break;
    }
    }
}

static const char *kind_name(kp_kind k)
{
    static const char *names[] = {"Scan", "Values", "Filter", "Project", "Aggregate", "Sort", "Limit",
                                  "Top", "Union", "Join", "MvExpand", "MvApply", "RowItems", "BagUnpack",
                                  "MakeSeries", "Shared", "GetSchema", "Serialize", "Window", "Empty",
                                  "Basket"};
    return (unsigned)k < SP_ARRAY_LEN(names) ? names[k] : "?";
}

static void schema_line(const kp_schema *s, sp_buf *out)
{
    sp_buf_puts(out, " -> (");
    for (int i = 0; i < s->ncols; i++)
        sp_buf_printf(out, "%s%s:%s", i ? ", " : "", s->cols[i].name, sp_type_name(s->cols[i].type));
    sp_buf_puts(out, ")\n");
}

static void explain_node(const kp *n, int depth, sp_buf *out)
{
    for (int i = 0; i < depth; i++)
        sp_buf_puts(out, "  ");
    sp_buf_puts(out, kind_name(n->kind));
    const kp_schema *in = n->in ? &n->in->out : NULL;
    switch (n->kind) {
    case KP_SCAN:
        sp_buf_printf(out, " %s", n->table);
        if (n->time_bounded) {
            char a[32], b[32];
            sp_datetime_format(n->time_min == INT64_MIN ? 0 : n->time_min, a);
            sp_datetime_format(n->time_max == INT64_MAX ? SP_DATETIME_MAX : n->time_max, b);
            sp_buf_printf(out, " time[%s .. %s]", a, b);
        }
        if (n->scan_filter) {
            sp_buf_puts(out, " filter ");
            kx_explain(n->scan_filter, &n->out, out);
        }
        break;
    case KP_VALUES:
        if (n->range_step) {
            sp_buf_puts(out, " range from ");
            kx_explain(n->range_from, NULL, out);
            sp_buf_puts(out, " to ");
            kx_explain(n->range_to, NULL, out);
            sp_buf_puts(out, " step ");
            kx_explain(n->range_step, NULL, out);
        } else {
            sp_buf_printf(out, " %d rows", n->nrows);
        }
        break;
    case KP_FILTER:
        sp_buf_putc(out, ' ');
        kx_explain(n->pred, in, out);
        break;
    case KP_PROJECT:
        for (int i = 0; i < n->nitems; i++) {
            sp_buf_printf(out, "%s%s=", i ? ", " : " ", n->items[i].name);
            kx_explain(n->items[i].expr, in, out);
        }
        break;
    case KP_AGGREGATE:
        for (int i = 0; i < n->naggs; i++) {
            sp_buf_printf(out, "%s%s(", i ? ", " : " ", ka_get(n->aggs[i].agg)->name);
            for (int j = 0; j < n->aggs[i].nargs; j++) {
                if (j)
                    sp_buf_puts(out, ", ");
                kx_explain(n->aggs[i].args[j], in, out);
            }
            sp_buf_putc(out, ')');
        }
        if (n->nkeys)
            sp_buf_puts(out, " by");
        for (int i = 0; i < n->nkeys; i++) {
            sp_buf_printf(out, "%s%s=", i ? ", " : " ", n->keys[i].name);
            kx_explain(n->keys[i].expr, in, out);
        }
        break;
    case KP_SORT:
    case KP_TOP:
        if (n->kind == KP_TOP)
            sp_buf_printf(out, " %lld", (long long)n->limit);
        for (int i = 0; i < n->nsort; i++) {
            sp_buf_puts(out, i ? ", " : " by ");
            kx_explain(n->sort[i].expr, in, out);
            sp_buf_printf(out, " %s nulls %s", n->sort[i].desc ? "desc" : "asc", n->sort[i].nulls_first ? "first" : "last");
        }
        break;
    case KP_LIMIT: sp_buf_printf(out, " %lld", (long long)n->limit); break;
    case KP_JOIN: {
        static const char *kinds[] = {"innerunique", "inner", "leftouter", "rightouter", "fullouter",
                                      "leftanti", "rightanti", "leftsemi", "rightsemi"};
        sp_buf_printf(out, " kind=%s%s on", kinds[n->join_kind],
                      n->ip_lookup ? " (ipv4_lookup)" : n->is_lookup ? " (lookup)" : "");
        for (int i = 0; i < n->njoinkeys; i++) {
            sp_buf_puts(out, i ? ", " : " ");
            kx_explain(n->lkeys[i], &n->inputs[0]->out, out);
            sp_buf_puts(out, n->ip_lookup && i == 0 ? " in network " : " == ");
            kx_explain(n->rkeys[i], &n->inputs[1]->out, out);
        }
        break;
    }
    case KP_SHARED: sp_buf_printf(out, " #%d", n->shared_id); break;
    case KP_BASKET:
        sp_buf_printf(out, " threshold=%g max_dimensions=%d", n->basket_threshold, n->basket_maxdims);
        if (n->basket_weight >= 0)
            sp_buf_printf(out, " weight=%s", n->in->out.cols[n->basket_weight].name);
        break;
    case KP_WINDOW: {
        static const char *metrics[] = {"event_count", "value_count", "temporal", "temporal_ordered",
                                        "value_sum", "value_avg", "value_percentile", "value_share"};
        static const char *ops[] = {">", ">=", "<", "<=", "==", "!="};
        char span[48];
        sp_buf ts = {0};
        sp_format_value(&ts, SP_TYPE_TIMESPAN, &n->window_ticks);
        snprintf(span, sizeof span, "%s", sp_buf_cstr(&ts));
        sp_buf_free(&ts);
        sp_buf_printf(out, " %s", metrics[n->win_metric]);
        if (n->win_metric == KW_VALUE_PERCENTILE)
            sp_buf_printf(out, "(%g)", n->win_percentile);
        sp_buf_printf(out, " over [t-%s, t]", span);
        if (n->win_metric == KW_TEMPORAL || n->win_metric == KW_TEMPORAL_ORDERED)
            sp_buf_printf(out, " of %d rules", n->win_nrules);
        sp_buf_puts(out, " where");
        for (int i = 0; i < n->nconds; i++)
            sp_buf_printf(out, "%s value %s %g", i ? " and" : "", ops[n->conds[i].op], n->conds[i].value);
        if (n->nkeys)
            sp_buf_puts(out, " by");
        for (int i = 0; i < n->nkeys; i++)
            sp_buf_printf(out, "%s%s", i ? ", " : " ", n->keys[i].name);
        break;
    }
    default: break;
    }
    if (n->kind == KP_SCAN && n->scan_need) {
        /* A pruned scan: show what it reads, not the table's every column. */
        sp_buf_puts(out, " reads (");
        bool first = true;
        for (int i = 0; i < n->out.ncols; i++)
            if (n->scan_need[i]) {
                sp_buf_printf(out, "%s%s%s", first ? "" : ", ", n->out.cols[i].name,
                              n->scan_idonly && n->scan_idonly[i] ? " (ids only)" : "");
                first = false;
            }
        sp_buf_printf(out, ") of %d columns\n", n->out.ncols);
    } else {
        schema_line(&n->out, out);
    }
    if (n->in)
        explain_node(n->in, depth + 1, out);
    for (int i = 0; i < n->ninputs; i++)
        explain_node(n->inputs[i], depth + 1, out);
    if (n->apply)
        explain_node(n->apply, depth + 1, out);
}

void kplan_explain(const kplan *p, sp_buf *out)
{
    for (int i = 0; i < p->nshared; i++) {
        sp_buf_printf(out, "shared #%d:\n", i);
        explain_node(p->shared[i], 1, out);
    }
    if (p->root)
        explain_node(p->root, 0, out);
    for (int i = 0; i < p->nwarnings; i++)
        sp_buf_printf(out, "warning: %s\n", p->warnings[i]);
}

/* ---- predicates with one verdict per distinct text ---- */

/* Builtins a verdict may be cached for: pure functions of their arguments (nothing that
 * reads now() or a subquery's rows) whose kernels read values only, never the presence
 * bitmaps ($sig_present and its kin are evaluated per row, outside any verdict). */
static bool verdict_builtin(kb_id f)
{
    switch (f) {
    case KB_eq: case KB_ne: case KB_lt: case KB_le: case KB_gt: case KB_ge:
    case KB_eq_ci: case KB_ne_ci:
    case KB_has: case KB_has_cs: case KB_hasprefix: case KB_hasprefix_cs: case KB_hassuffix: case KB_hassuffix_cs:
    case KB_contains: case KB_contains_cs: case KB_startswith: case KB_startswith_cs:
    case KB_endswith: case KB_endswith_cs: case KB_matches_regex:
    case KB_in: case KB_in_ci: case KB_has_any: case KB_has_all:
    case KB_not: case KB_and: case KB_or:
    case KB_isnull: case KB_isnotnull: case KB_isempty: case KB_isnotempty: case KB_coalesce:
    case KB_tolower: case KB_toupper: case KB_tostring: case KB_strlen:
    case KB_glob_match: case KB_cidr_match: case KB_str_eq_num: case KB_str_num:
        return true;
    default: return false;
    }
}

/* Whether e is made of verdict builtins over constants and at most one text column (*col,
 * -1 until one is met). */
static bool verdict_walk(const kx *e, int *col)
{
    switch (e->kind) {
    case KX_CONST:
    case KX_SET: return true;
    case KX_COL:
        if ((e->type != SP_TYPE_STRING && e->type != SP_TYPE_GUID) || (*col >= 0 && *col != e->colidx) || e->colidx < 0)
            return false;
        *col = e->colidx;
        return true;
    case KX_CALL:
        if (!verdict_builtin(e->fn))
            return false;
        for (int i = 0; i < e->nargs; i++)
            if (!verdict_walk(e->args[i], col))
                return false;
        return true;
    default: return false; /* subqueries (their rows change between runs), lambdas, elements */
    }
}

int kx_verdict_col(const kx *e)
{
    int col = -1;
    if (!e || e->kind != KX_CALL || e->type != SP_TYPE_BOOL || !verdict_walk(e, &col))
        return -1;
    return col;
}
