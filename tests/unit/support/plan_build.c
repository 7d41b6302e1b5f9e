/* plan_build.c — the plan-building helpers of plan_build.h. Malformed test input aborts
 * with a message: these are fixtures, not user input. */
#include "plan_build.h"

#include "engine/exec/exec_int.h" /* kagg_value_type: the result type the binder would pick */
#include "engine/kql/kql.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void die(const char *what, const char *text)
{
    fprintf(stderr, "plan_build: %s: %s\n", what, text);
    abort();
}

static const char *skip_ws(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

/* Splits the next comma-separated item of s into [*b, *e); returns the rest or NULL. */
static const char *next_item(const char *s, const char **b, const char **e)
{
    s = skip_ws(s);
    if (!*s)
        return NULL;
    const char *p = s;
    int depth = 0;
    char quote = 0;
    for (; *p; p++) {
        if (quote) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == quote)
                quote = 0;
            continue;
        }
        if (*p == '"' || *p == '\'')
            quote = *p;
        else if (*p == '[' || *p == '{' || *p == '(')
            depth++;
        else if (*p == ']' || *p == '}' || *p == ')')
            depth--;
        else if (*p == ',' && depth == 0)
            break;
    }
    const char *end = p;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *b = s;
    *e = end;
    return *p == ',' ? p + 1 : p;
}

static void parse_schema(kplan *p, kp_schema *out, const char *spec)
{
    const char *b, *e, *s = spec;
    while ((s = next_item(s, &b, &e))) {
        const char *colon = memchr(b, ':', (size_t)(e - b));
        if (!colon)
            die("schema item without a type", spec);
        const char *ne = colon;
        while (ne > b && isspace((unsigned char)ne[-1]))
            ne--;
        const char *tb = skip_ws(colon + 1);
        sp_type t;
        if (!sp_type_parse(tb, (size_t)(e - tb), &t))
            die("unknown type", spec);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(ne - b), b);
        kp_schema_add(p, out, name, t);
    }
}

static kval parse_cell(kplan *p, sp_type t, const char *b, const char *e)
{
    size_t n = (size_t)(e - b);
    kval v = kval_null(t);
    if (n == 4 && !memcmp(b, "null", 4))
        return v;
    bool quoted = n >= 2 && (b[0] == '\'' || b[0] == '"') && e[-1] == b[0];
    const char *tb = quoted ? b + 1 : b;
    size_t tn = quoted ? n - 2 : n;
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%.*s", (int)tn, tb);
    v.null = false;
    switch (t) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID: v.u.s.p = kplan_strdup(p, tb, tn); v.u.s.n = (uint32_t)tn; break;
    case SP_TYPE_BOOL: v.u.b = !strcmp(tmp, "true"); break;
    case SP_TYPE_INT:
    case SP_TYPE_LONG: v.u.l = strtoll(tmp, NULL, 10); break;
    case SP_TYPE_REAL: v.u.r = strtod(tmp, NULL); break;
    case SP_TYPE_DATETIME:
        if (!sp_datetime_parse(tb, tn, &v.u.l))
            die("bad datetime", tmp);
        break;
    case SP_TYPE_TIMESPAN:
        if (!sp_timespan_parse(tb, tn, &v.u.l))
            die("bad timespan", tmp);
        break;
    case SP_TYPE_DYNAMIC: {
        sp_buf o = {0};
        size_t off;
        const char *why;
        if (sp_json_compact(b, n, 64, &o, &off, &why) != 0)
            die("bad JSON cell", tmp);
        v.u.s.p = kplan_strdup(p, o.data, o.len);
        v.u.s.n = (uint32_t)o.len;
        sp_buf_free(&o);
        break;
    }
    default: die("unsupported cell type", tmp);
    }
    return v;
}

kp *tb_values(kplan *p, const char *schema, const char *cells)
{
    kp *n = kp_new(p, KP_VALUES, NULL);
    parse_schema(p, &n->out, schema);
    int nc = n->out.ncols, count = 0, cap = 16;
    kval *vals = malloc(sizeof(kval) * (size_t)cap);
    const char *b, *e, *s = cells;
    while ((s = next_item(s, &b, &e))) {
        if (count == cap) {
            cap *= 2;
            vals = realloc(vals, sizeof(kval) * (size_t)cap);
        }
        vals[count] = parse_cell(p, n->out.cols[count % nc].type, b, e);
        count++;
    }
    if (count % nc)
        die("cell count is not a multiple of the columns", cells);
    n->nrows = count / nc;
    n->cells = sp_arena_alloc(&p->arena, sizeof(kval) * (size_t)(count ? count : 1));
    memcpy(n->cells, vals, sizeof(kval) * (size_t)count);
    free(vals);
    return n;
}

static int find_col(const kp_schema *s, const char *name, size_t n)
{
    int c = kp_schema_find(s, name, n);
    if (c < 0) {
        char tmp[128];
        snprintf(tmp, sizeof tmp, "%.*s", (int)n, name);
        die("no such column", tmp);
    }
    return c;
}

kx *tb_col(kplan *p, const kp *n, const char *name)
{
    int c = find_col(&n->out, name, strlen(name));
    return kx_col(p, c, n->out.cols[c].type);
}

kx *tb_str(kplan *p, const char *s)
{
    kval v = {.type = SP_TYPE_STRING, .u.s = {s, (uint32_t)strlen(s)}};
    return kx_const(p, v);
}

kx *tb_long(kplan *p, int64_t x)
{
    kval v = {.type = SP_TYPE_LONG, .u.l = x};
    return kx_const(p, v);
}

static bool word_is(const char *b, const char *e, const char *w)
{
    return (size_t)(e - b) == strlen(w) && !memcmp(b, w, strlen(w));
}

static void parse_sort(kplan *p, kp *n, const char *spec)
{
    const char *b, *e, *s = spec;
    int count = 0;
    n->sort = sp_arena_calloc(&p->arena, sizeof(kp_sortkey) * 16);
    while ((s = next_item(s, &b, &e))) {
        const char *w[4][2];
        int nw = 0;
        const char *q = b;
        while (q < e && nw < 4) {
            q = skip_ws(q);
            const char *we = q;
            while (we < e && !isspace((unsigned char)*we))
                we++;
            w[nw][0] = q;
            w[nw][1] = we;
            nw++;
            q = we;
        }
        kp_sortkey *k = &n->sort[count++];
        int c = find_col(&n->in->out, w[0][0], (size_t)(w[0][1] - w[0][0]));
        k->expr = kx_col(p, c, n->in->out.cols[c].type);
        k->desc = true;
        int i = 1;
        if (i < nw && (word_is(w[i][0], w[i][1], "asc") || word_is(w[i][0], w[i][1], "desc")))
            k->desc = word_is(w[i][0], w[i][1], "desc"), i++;
        k->nulls_first = !k->desc;
        if (i + 1 < nw && word_is(w[i][0], w[i][1], "nulls"))
            k->nulls_first = word_is(w[i + 1][0], w[i + 1][1], "first");
    }
    n->nsort = count;
}

kp *tb_sort(kplan *p, kp *in, const char *spec)
{
    kp *n = kp_new(p, KP_SORT, in);
    n->out = in->out;
    parse_sort(p, n, spec);
    return n;
}

kp *tb_top(kplan *p, kp *in, int64_t count, const char *spec)
{
    kp *n = kp_new(p, KP_TOP, in);
    n->out = in->out;
    n->limit = count;
    parse_sort(p, n, spec);
    return n;
}

static void add_out(kplan *p, kp *n, int side, int col, const char *name, sp_type t, int *cap)
{
    if (n->out.ncols == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        int *s = sp_arena_alloc(&p->arena, sizeof(int) * (size_t)*cap);
        int *c = sp_arena_alloc(&p->arena, sizeof(int) * (size_t)*cap);
        if (n->out.ncols) {
            memcpy(s, n->join_side, sizeof(int) * (size_t)n->out.ncols);
            memcpy(c, n->join_col, sizeof(int) * (size_t)n->out.ncols);
        }
        n->join_side = s;
        n->join_col = c;
    }
    n->join_side[n->out.ncols] = side;
    n->join_col[n->out.ncols] = col;
    kp_schema_add(p, &n->out, name, t);
}

kp *tb_join(kplan *p, kp *left, kp *right, kp_join_kind kind, const char *on, bool lookup)
{
    kp *n = kp_new(p, KP_JOIN, NULL);
    n->join_kind = kind;
    n->is_lookup = lookup;
    n->ninputs = 2;
    n->inputs = sp_arena_alloc(&p->arena, sizeof(kp *) * 2);
    n->inputs[0] = left;
    n->inputs[1] = right;
    n->lkeys = sp_arena_alloc(&p->arena, sizeof(kx *) * 16);
    n->rkeys = sp_arena_alloc(&p->arena, sizeof(kx *) * 16);
    bool rkey[256] = {false};
    const char *b, *e, *s = on;
    while ((s = next_item(s, &b, &e))) {
        const char *eq = strstr(b, "==");
        const char *lb = b, *le = e, *rb = b, *re = e;
        if (eq && eq < e) {
            le = eq;
            while (le > lb && isspace((unsigned char)le[-1]))
                le--;
            rb = skip_ws(eq + 2);
        }
        int lc = find_col(&left->out, lb, (size_t)(le - lb)), rc = find_col(&right->out, rb, (size_t)(re - rb));
        n->lkeys[n->njoinkeys] = kx_col(p, lc, left->out.cols[lc].type);
        n->rkeys[n->njoinkeys] = kx_col(p, rc, right->out.cols[rc].type);
        n->njoinkeys++;
        rkey[rc] = true;
    }
    int cap = 0;
    bool lside = kind != KJ_RIGHTSEMI && kind != KJ_RIGHTANTI;
    bool rside = kind != KJ_LEFTSEMI && kind != KJ_LEFTANTI;
    if (lside)
        for (int c = 0; c < left->out.ncols; c++)
            add_out(p, n, 0, c, left->out.cols[c].name, left->out.cols[c].type, &cap);
    if (rside)
        for (int c = 0; c < right->out.ncols; c++) {
            if (lookup && rkey[c])
                continue;
            char name[160];
            snprintf(name, sizeof name, "%s", right->out.cols[c].name);
            if (lside && kp_schema_find(&n->out, name, strlen(name)) >= 0)
                snprintf(name, sizeof name, "%s1", right->out.cols[c].name);
            add_out(p, n, 1, c, name, right->out.cols[c].type, &cap);
        }
    return n;
}

kp *tb_union(kplan *p, const char *withsource, kp **ins, const char **names, int count)
{
    kp *n = kp_new(p, KP_UNION, NULL);
    n->ninputs = count;
    n->inputs = sp_arena_alloc(&p->arena, sizeof(kp *) * (size_t)count);
    memcpy(n->inputs, ins, sizeof(kp *) * (size_t)count);
    if (withsource) {
        n->source_col = kplan_strdup(p, withsource, strlen(withsource));
        n->source_names = sp_arena_alloc(&p->arena, sizeof(char *) * (size_t)count);
        for (int i = 0; i < count; i++)
            n->source_names[i] = names ? names[i] : "";
        kp_schema_add(p, &n->out, withsource, SP_TYPE_STRING);
    }
    for (int i = 0; i < count; i++)
        for (int c = 0; c < ins[i]->out.ncols; c++) {
            const kp_col *col = &ins[i]->out.cols[c];
            int o = kp_schema_find(&n->out, col->name, strlen(col->name));
            if (o < 0)
                kp_schema_add(p, &n->out, col->name, col->type);
            else if (n->out.cols[o].type != col->type)
                n->out.cols[o].type = sp_type_widen(n->out.cols[o].type, col->type);
        }
    n->union_map = sp_arena_alloc(&p->arena, sizeof(int *) * (size_t)count);
    for (int i = 0; i < count; i++) {
        n->union_map[i] = sp_arena_alloc(&p->arena, sizeof(int) * (size_t)n->out.ncols);
        for (int o = 0; o < n->out.ncols; o++)
            n->union_map[i][o] = (withsource && o == 0)
                                     ? -1
                                     : kp_schema_find(&ins[i]->out, n->out.cols[o].name, strlen(n->out.cols[o].name));
    }
    return n;
}

static char *trimmed(const char *b, const char *e, char *buf, size_t cap)
{
    b = skip_ws(b);
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    snprintf(buf, cap, "%.*s", (int)(e - b), b);
    return buf;
}

/* Parses the expansions of spec into n->expand. */
static void parse_expand(kplan *p, kp *n, kp *in, const char *spec)
{
    n->expand = sp_arena_calloc(&p->arena, sizeof(kp_expand) * 16);
    const char *b, *e, *s = spec;
    while ((s = next_item(s, &b, &e))) {
        kp_expand *x = &n->expand[n->nexpand++];
        x->to_type = SP_TYPE_DYNAMIC;
        const char *to = strstr(b, " to ");
        const char *ve = to && to < e ? to : e;
        if (to && to < e) {
            char tn[32];
            trimmed(to + 4, e, tn, sizeof tn);
            if (!sp_type_parse(tn, strlen(tn), &x->to_type))
                die("unknown type", tn);
        }
        const char *eq = memchr(b, '=', (size_t)(ve - b));
        char name[128], col[128];
        if (eq) {
            trimmed(b, eq, name, sizeof name);
            trimmed(eq + 1, ve, col, sizeof col);
            int c = find_col(&in->out, col, strlen(col));
            x->expr = kx_col(p, c, in->out.cols[c].type);
            x->name = kplan_strdup(p, name, strlen(name));
            x->colidx = -1;
        } else {
            trimmed(b, ve, col, sizeof col);
            x->colidx = find_col(&in->out, col, strlen(col));
            x->name = in->out.cols[x->colidx].name;
        }
    }
}

kp *tb_mvexpand(kplan *p, kp *in, const char *spec, kp_bagexp bagexp, const char *itemindex, int64_t limit)
{
    kp *n = kp_new(p, KP_MVEXPAND, in);
    parse_expand(p, n, in, spec);
    n->bagexp = bagexp;
    n->expand_limit = limit;
    n->itemindex = itemindex ? kplan_strdup(p, itemindex, strlen(itemindex)) : NULL;
    kp_schema_copy(p, &n->out, &in->out);
    for (int k = 0; k < n->nexpand; k++) {
        if (n->expand[k].expr)
            kp_schema_add(p, &n->out, n->expand[k].name, n->expand[k].to_type);
        else
            n->out.cols[n->expand[k].colidx].type = n->expand[k].to_type;
    }
    if (itemindex)
        kp_schema_add(p, &n->out, itemindex, SP_TYPE_LONG);
    return n;
}

kp *tb_mvapply(kplan *p, kp *in, const char *spec, const char *itemindex, int64_t limit, kp **items)
{
    kp *n = kp_new(p, KP_MVAPPLY, in);
    parse_expand(p, n, in, spec);
    n->expand_limit = limit;
    n->itemindex = itemindex ? kplan_strdup(p, itemindex, strlen(itemindex)) : NULL;
    kp *leaf = kp_new(p, KP_ROWITEMS, NULL);
    for (int k = 0; k < n->nexpand; k++)
        kp_schema_add(p, &leaf->out, n->expand[k].name, n->expand[k].to_type);
    if (itemindex)
        kp_schema_add(p, &leaf->out, itemindex, SP_TYPE_LONG);
    *items = leaf;
    return n;
}

void tb_mvapply_on(kplan *p, kp *n, kp *sub)
{
    n->apply = sub;
    for (int c = 0; c < n->in->out.ncols; c++) {
        bool expanded = false;
        for (int k = 0; k < n->nexpand; k++)
            expanded |= !n->expand[k].expr && n->expand[k].colidx == c;
        if (!expanded)
            kp_schema_add(p, &n->out, n->in->out.cols[c].name, n->in->out.cols[c].type);
    }
    for (int c = 0; c < sub->out.ncols; c++)
        kp_schema_add(p, &n->out, sub->out.cols[c].name, sub->out.cols[c].type);
}

kp *tb_project(kplan *p, kp *in, const char *cols)
{
    kp *n = kp_new(p, KP_PROJECT, in);
    n->items = sp_arena_alloc(&p->arena, sizeof(kp_named) * 64);
    const char *b, *e, *s = cols;
    while ((s = next_item(s, &b, &e))) {
        int c = find_col(&in->out, b, (size_t)(e - b));
        n->items[n->nitems].name = in->out.cols[c].name;
        n->items[n->nitems].expr = kx_col(p, c, in->out.cols[c].type);
        n->nitems++;
        kp_schema_add(p, &n->out, in->out.cols[c].name, in->out.cols[c].type);
    }
    return n;
}

kp *tb_summarize(kplan *p, kp *in, const char *aggs, const char *keys)
{
    kp *n = kp_new(p, KP_AGGREGATE, in);
    const char *b, *e, *s = keys ? keys : "";
    n->keys = sp_arena_calloc(&p->arena, sizeof(kp_named) * 16);
    while ((s = next_item(s, &b, &e))) {
        int c = find_col(&in->out, b, (size_t)(e - b));
        n->keys[n->nkeys].name = in->out.cols[c].name;
        n->keys[n->nkeys++].expr = kx_col(p, c, in->out.cols[c].type);
        kp_schema_add(p, &n->out, in->out.cols[c].name, in->out.cols[c].type);
    }
    n->aggs = sp_arena_calloc(&p->arena, sizeof(kp_agg) * 16);
    s = aggs;
    while ((s = next_item(s, &b, &e))) {
        char name[64], fn[64], arg[64];
        const char *eq = memchr(b, '=', (size_t)(e - b)), *lp = memchr(b, '(', (size_t)(e - b));
        if (!eq || !lp)
            die("aggregate is not name=fn(arg)", aggs);
        trimmed(b, eq, name, sizeof name);
        trimmed(eq + 1, lp, fn, sizeof fn);
        trimmed(lp + 1, e - 1, arg, sizeof arg);
        int id = ka_lookup(fn, strlen(fn));
        if (id < 0)
            die("unknown aggregate", fn);
        kp_agg *ag = &n->aggs[n->naggs++];
        ag->agg = (ka_id)id;
        ag->nout = 1;
        ag->cap = 1 << 20;
        ag->first_out = n->out.ncols;
        if (arg[0]) {
            int c = find_col(&in->out, arg, strlen(arg));
            ag->nargs = 1;
            ag->args = sp_arena_alloc(&p->arena, sizeof(kx *));
            ag->args[0] = kx_col(p, c, in->out.cols[c].type);
        }
        kp_schema_add(p, &n->out, name, kagg_value_type(ag));
    }
    return n;
}

sp_store *tb_signins(int rows, uint32_t chunk_rows)
{
    sp_store_config cfg = {.chunk_rows = chunk_rows};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SigninLogs");
    const sp_schema *sc = sp_table_schema(t);
    int id = sp_schema_find(sc, "Id", 2), upn = sp_schema_find(sc, "UserPrincipalName", 17);
    int ip = sp_schema_find(sc, "IPAddress", 9), tg = sp_schema_find(sc, "TimeGenerated", 13);
    int64_t t0;
    sp_datetime_parse("2024-03-01", 10, &t0);
    sp_builder *b = sp_builder_new(t);
    char buf[64];
    for (int i = 0; i < rows; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(buf, sizeof buf, "id%d", i);
        sp_builder_set_string(b, id, buf, (size_t)n);
        n = snprintf(buf, sizeof buf, "user%d@contoso.com", i % 10);
        sp_builder_set_string(b, upn, buf, (size_t)n);
        n = snprintf(buf, sizeof buf, "10.0.0.%d", i % 7);
        sp_builder_set_string(b, ip, buf, (size_t)n);
        sp_builder_set_datetime(b, tg, t0 + (int64_t)i * 36 * SP_TICKS_PER_SEC);
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    return s;
}

bool tb_check(kplan *p, sp_store *s, const char *want)
{
    char *got = tb_run(p, s);
    bool ok = !strcmp(got, want);
    if (!ok)
        fprintf(stderr, "--- want:\n%s--- got:\n%s---\n", want, got);
    free(got);
    kplan_free(p);
    return ok;
}

static char *error_text(const sp_diag *d)
{
    size_t n = strlen(d->msg) + 16;
    char *msg = malloc(n);
    snprintf(msg, n, "error: %s", d->msg);
    return msg;
}

int tb_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

kplan *tb_kql_compile(sp_store *s, const char *text)
{
    kql_bind_env env = {.store = s};
    kplan *p = NULL;
    sp_diag d = {0};
    if (kql_compile(text, strlen(text), &env, &p, &d) != 0)
        fail_msg("%s: %s", text, d.msg);
    return p;
}

krowset *tb_kql_rows(sp_store *s, const char *text, const kexec_opts *opts)
{
    kplan *p = tb_kql_compile(s, text);
    sp_diag d = {0};
    krowset *rs = NULL;
    if (kexec_run(p, s, opts, &rs, &d) != 0)
        fail_msg("%s: %s", text, d.msg);
    kplan_free(p);
    return rs;
}

char *tb_json(const krowset *rs)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    krowset_write(rs, KOUT_JSON, f);
    fclose(f);
    return out;
}

char *tb_kql(sp_store *s, const char *text, const kexec_opts *opts)
{
    kql_bind_env env = {.store = s};
    kplan *p;
    sp_diag d = {0};
    if (kql_compile(text, strlen(text), &env, &p, &d) != 0)
        return error_text(&d);
    char *out = tb_run_opts(p, s, opts);
    kplan_free(p);
    return out;
}

char *tb_run(kplan *p, sp_store *s)
{
    return tb_run_opts(p, s, NULL);
}

char *tb_run_opts(kplan *p, sp_store *s, const kexec_opts *opts)
{
    krowset *rs;
    sp_diag d = {0};
    if (kexec_run(p, s, opts, &rs, &d) != 0) {
        return error_text(&d);
    }
    char *out = tb_json(rs);
    krowset_free(rs);
    return out;
}

const char *tb_schema(const kp_schema *s)
{
    static char buf[2048];
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < s->ncols && o < sizeof buf; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s:%s", i ? ", " : "", s->cols[i].name,
                              sp_type_name(s->cols[i].type));
    return buf;
}
