/* kqlprint.c — `socpipe sigma to-kql`: prints a plan made by sig_lower as a KQL query with
 * the same meaning.
 *
 * The printer works on the plan, not on the Sigma document, so what it prints is what the
 * engine runs: each Sigma-only builtin has one KQL spelling —
 *   $glob(x, p)        x matches regex "(?is)\A...\z" (anchored, `*` spans lines)
 *   $cidr(x, net)      coalesce(ipv4_is_in_range(x, net), false), or for an IPv6 network
 *                      ipv6_is_in_range on a text that has a colon (family must match)
 *   $str_eq_num(x, n)  x == n and x matches regex "^[0-9.eE+-]+$" (KQL compares a string
 *                      with a number numerically; the guard keeps Sigma's strict reading:
 *                      no spaces, no hex)
 *   $str_num(x)        todouble() of x when it passes the same guard
 *   $path(d, "a.b")    d.a.b (member access; keys quoted when needed)
 *   $any(d, "a.b", P)  P with its value replaced by d.a.b
 *   $path_exists(d,..) bag_has_key(d.a, "b")
 *   $keyword(d, P)     P applied to tostring(d)
 *   $sig_present(x)    isnotempty(x) for a string, else isnotnull(x)
 *   $sig_isnull(x)     isempty(x) for a string, else isnull(x)
 *   $sig_notnull(x)    isnotnull(x)
 * and where KQL cannot say the same thing the query carries a `//` comment: member access
 * is case-sensitive and does not expand arrays (the mapping's canonical key spellings make
 * the first rarely matter), a keyword over a dynamic column also sees its keys and JSON
 * escapes, KQL reads an absent field, a JSON null and "" alike where socpipe's inferred
 * tables tell them apart (the $sig_ presence builtins: their spellings are KQL's nearest
 * reading, the Log Analytics one), and correlations use fixed bins where Sigma slides its
 * windows. The text binds with kql_compile (tests/unit/test_sigma_lower.c checks that for
 * every shipped rule).
 */
#include "sigma/sig_int.h"

#include <string.h>

/* The texts Sigma reads as numbers (kf_parse_decimal), as a KQL regex literal. */
#define NUMBER_RE "\"^[0-9.eE+-]+$\""

typedef struct printer {
    sp_buf lets;    /* let statements, in dependency order */
    int nlet;
    bool paths, keywords, presence; /* approximations used (for the header comment) */
    const char *elem;     /* what KX_ELEM prints as inside a predicate */
    sp_diag *err;
    bool failed;
} printer;

static void pfail(printer *P, const char *what)
{
    if (P->failed)
        return;
    P->failed = true;
    if (P->err) {
        memset(P->err, 0, sizeof *P->err);
        sp_diag_set(P->err, NULL, 0, 0, "to-kql: %s", what);
    }
}

static bool ident_ok(const char *s, size_t n)
{
    static const char *const words[] = {"and", "or", "not", "by", "on", "in", "has", "contains", "startswith",
                                        "endswith", "matches", "between", "true", "false", "null", "let", "where",
                                        "project", "extend", "summarize", "union", "join", "datetime", "time",
                                        "timespan", "dynamic", "string", "int", "long", "real", "bool", "guid",
                                        "decimal", "double", "with", "kind", "of", "to", "typeof", "range",
                                        "print", "as", "asc", "desc", "nulls", "first", "last"};
    if (!n || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    for (size_t i = 0; i < SP_ARRAY_LEN(words); i++)
        if (sp_ieq(words[i], strlen(words[i]), s, n))
            return false;
    return true;
}

static void put_string(sp_buf *b, const char *s, size_t n)
{
    sp_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': sp_buf_puts(b, "\\\""); break;
        case '\\': sp_buf_puts(b, "\\\\"); break;
        case '\n': sp_buf_puts(b, "\\n"); break;
        case '\r': sp_buf_puts(b, "\\r"); break;
        case '\t': sp_buf_puts(b, "\\t"); break;
        case 0: sp_buf_puts(b, "\\0"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                sp_buf_printf(b, "\\x%02x", c);
            else
                sp_buf_putc(b, (char)c);
        }
    }
    sp_buf_putc(b, '"');
}

static void put_name(sp_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (ident_ok(s, n)) {
        sp_buf_append(b, s, n);
        return;
    }
    sp_buf_puts(b, "['");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'' || s[i] == '\\')
            sp_buf_putc(b, '\\');
        sp_buf_putc(b, s[i]);
    }
    sp_buf_puts(b, "']");
}

/* A dotted path as member access after a dynamic expression. */
static void put_path(sp_buf *b, const char *path)
{
    const char *p = path;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (ident_ok(p, n)) {
            sp_buf_putc(b, '.');
            sp_buf_append(b, p, n);
        } else {
            sp_buf_puts(b, "[");
            put_string(b, p, n);
            sp_buf_puts(b, "]");
        }
        p += n;
        if (*p == '.')
            p++;
    }
}

static void put_const(printer *P, sp_buf *b, const kval *v)
{
    if (v->null) {
        sp_buf_printf(b, "%s(null)", sp_type_name(v->type));
        return;
    }
    switch (v->type) {
    case SP_TYPE_STRING: put_string(b, v->u.s.p, v->u.s.n); break;
    case SP_TYPE_GUID:
        sp_buf_puts(b, "guid(");
        sp_buf_append(b, v->u.s.p, v->u.s.n);
        sp_buf_putc(b, ')');
        break;
    case SP_TYPE_BOOL: sp_buf_puts(b, v->u.b ? "true" : "false"); break;
    case SP_TYPE_INT:
    case SP_TYPE_LONG: sp_buf_printf(b, "%lld", (long long)v->u.l); break;
    case SP_TYPE_REAL: {
        char tmp[40];
        int n = sp_format_real(v->u.r, tmp);
        bool frac = memchr(tmp, '.', (size_t)n) || memchr(tmp, 'e', (size_t)n) || memchr(tmp, 'E', (size_t)n);
        sp_buf_printf(b, frac ? "%.*s" : "real(%.*s)", n, tmp);
        break;
    }
    case SP_TYPE_DATETIME:
    case SP_TYPE_TIMESPAN:
        sp_buf_printf(b, "%s(", sp_type_name(v->type));
        kval_to_text(v, b);
        sp_buf_putc(b, ')');
        break;
    case SP_TYPE_DYNAMIC:
        sp_buf_puts(b, "dynamic(");
        sp_buf_append(b, v->u.s.p, v->u.s.n);
        sp_buf_putc(b, ')');
        break;
    default: pfail(P, "a constant of an unknown type");
    }
}

static void put_expr(printer *P, sp_buf *b, const kx *e, const kp_schema *in);

static void put_args(printer *P, sp_buf *b, const kx *e, const kp_schema *in, int from, int to)
{
    for (int i = from; i < to; i++) {
        if (i > from)
            sp_buf_puts(b, ", ");
        put_expr(P, b, e->args[i], in);
    }
}

/* The dynamic value at a path, as KQL member access. */
static void put_member(printer *P, sp_buf *b, const kx *base, const kx *path, const kp_schema *in)
{
    put_expr(P, b, base, in);
    put_path(b, path->value.u.s.p);
}

/* The body of a predicate with its value printed as `value`. */
static void put_lambda(printer *P, sp_buf *b, const kx *lambda, const char *value, const kp_schema *in)
{
    const char *saved = P->elem;
    P->elem = value;
    put_expr(P, b, lambda->args[0], in);
    P->elem = saved;
}

static void put_call(printer *P, sp_buf *b, const kx *e, const kp_schema *in)
{
    const kb_info *info = kb_get(e->fn);
    switch (e->fn) {
    case KB_and:
    case KB_or:
    case KB_eq:
    case KB_ne:
    case KB_lt:
    case KB_le:
    case KB_gt:
    case KB_ge:
    case KB_eq_ci:
    case KB_ne_ci:
    case KB_contains:
    case KB_contains_cs:
    case KB_startswith:
    case KB_startswith_cs:
    case KB_endswith:
    case KB_endswith_cs:
    case KB_matches_regex:
    case KB_in:
    case KB_in_ci:
        sp_buf_putc(b, '(');
        put_expr(P, b, e->args[0], in);
        sp_buf_printf(b, " %s ", info->name);
        put_expr(P, b, e->args[1], in);
        sp_buf_putc(b, ')');
        return;
    case KB_not:
        sp_buf_puts(b, "not(");
        put_expr(P, b, e->args[0], in);
        sp_buf_putc(b, ')');
        return;
    case KB_glob_match: {
        sig_value v = {.kind = SIG_GLOB, .text = e->args[1]->value.u.s.p, .len = e->args[1]->value.u.s.n};
        bool cased = e->nargs > 2 && e->args[2]->kind == KX_CONST && e->args[2]->value.u.b;
        sp_buf re = {0};
        sig_value_to_regex(&re, &v, cased);
        sp_buf_putc(b, '(');
        put_expr(P, b, e->args[0], in);
        sp_buf_puts(b, " matches regex ");
        put_string(b, re.data ? re.data : "", re.len);
        sp_buf_putc(b, ')');
        sp_buf_free(&re);
        return;
    }
    case KB_cidr_match: {
        const kval *net = &e->args[1]->value;
        bool v6 = memchr(net->u.s.p, ':', net->u.s.n) != NULL;
        sp_buf_putc(b, '(');
        if (v6) {
            put_expr(P, b, e->args[0], in);
            sp_buf_puts(b, " contains \":\" and ");
        }
        sp_buf_puts(b, v6 ? "coalesce(ipv6_is_in_range(" : "coalesce(ipv4_is_in_range(");
        put_args(P, b, e, in, 0, 2);
        sp_buf_puts(b, "), false))");
        return;
    }
    case KB_str_eq_num:
        sp_buf_putc(b, '(');
        put_expr(P, b, e->args[0], in);
        sp_buf_puts(b, " == ");
        put_expr(P, b, e->args[1], in);
        if (e->nargs > 2 && e->args[2]->kind == KX_CONST && e->args[2]->value.u.b) {
            sp_buf_puts(b, " and ");
            put_expr(P, b, e->args[0], in);
            sp_buf_puts(b, " matches regex " NUMBER_RE);
        }
        sp_buf_putc(b, ')');
        return;
    case KB_str_num:
        sp_buf_puts(b, "todouble(iff(");
        put_expr(P, b, e->args[0], in);
        sp_buf_puts(b, " matches regex " NUMBER_RE ", ");
        put_expr(P, b, e->args[0], in);
        sp_buf_puts(b, ", \"\"))");
        return;
    case KB_path_get:
        put_member(P, b, e->args[0], e->args[1], in);
        return;
    case KB_path_any: {
        sp_buf v = {0};
        put_member(P, &v, e->args[0], e->args[1], in);
        P->paths = true;
        sp_buf_putc(b, '(');
        put_lambda(P, b, e->args[2], sp_buf_cstr(&v), in);
        sp_buf_putc(b, ')');
        sp_buf_free(&v);
        return;
    }
    case KB_path_exists: {
        const char *path = e->args[1]->value.u.s.p;
        const char *last = strrchr(path, '.');
        sp_buf_puts(b, "bag_has_key(");
        put_expr(P, b, e->args[0], in);
        if (last) {
            char *parent = sp_xstrndup(path, (size_t)(last - path));
            put_path(b, parent);
            free(parent);
        }
        sp_buf_puts(b, ", ");
        put_string(b, last ? last + 1 : path, strlen(last ? last + 1 : path));
        sp_buf_putc(b, ')');
        P->paths = true;
        return;
    }
    case KB_sig_present:
    case KB_sig_isnull:
    case KB_sig_notnull: {
        bool str = e->args[0]->type == SP_TYPE_STRING || e->args[0]->type == SP_TYPE_GUID;
        const char *fn = e->fn == KB_sig_notnull ? "isnotnull"
                         : e->fn == KB_sig_present ? (str ? "isnotempty" : "isnotnull")
                                                   : (str ? "isempty" : "isnull");
        sp_buf_printf(b, "%s(", fn);
        put_expr(P, b, e->args[0], in);
        sp_buf_putc(b, ')');
        P->presence = true;
        return;
    }
    case KB_keyword_any: {
        sp_buf v = {0};
        sp_buf_puts(&v, "tostring(");
        put_expr(P, &v, e->args[0], in);
        sp_buf_putc(&v, ')');
        P->keywords = true;
        sp_buf_putc(b, '(');
        put_lambda(P, b, e->args[1], sp_buf_cstr(&v), in);
        sp_buf_putc(b, ')');
        sp_buf_free(&v);
        return;
    }
    default: break;
    }
    if (info->name[0] == '$' || !((info->name[0] >= 'a' && info->name[0] <= 'z'))) {
        pfail(P, "a builtin without a KQL spelling");
        return;
    }
    sp_buf_printf(b, "%s(", e->fn == KB_todynamic ? "todynamic" : info->name);
    put_args(P, b, e, in, 0, e->nargs);
    sp_buf_putc(b, ')');
}

static void put_expr(printer *P, sp_buf *b, const kx *e, const kp_schema *in)
{
    switch (e->kind) {
    case KX_CONST: put_const(P, b, &e->value); return;
    case KX_COL:
        if (!in || e->colidx < 0 || e->colidx >= in->ncols) {
            pfail(P, "a column outside its input");
            return;
        }
        put_name(b, in->cols[e->colidx].name);
        return;
    case KX_SET:
        sp_buf_putc(b, '(');
        for (int i = 0; i < e->nset; i++) {
            if (i)
                sp_buf_puts(b, ", ");
            put_const(P, b, &e->set[i]);
        }
        sp_buf_putc(b, ')');
        return;
    case KX_CALL: put_call(P, b, e, in); return;
    case KX_ELEM:
        if (!P->elem)
            pfail(P, "a path value outside its predicate");
        else
            sp_buf_puts(b, P->elem);
        return;
    default: pfail(P, "an expression kind the printer does not know"); return;
    }
}

/* ---- tabular ---- */

static void put_tab(printer *P, sp_buf *b, const kp *n);

static void put_window(printer *P, sp_buf *b, const kp *w)
{
    /* The window's input rows as a let, then a summarize over fixed bins. */
    int id = P->nlet++;
    sp_buf in = {0};
    if (w->ninputs == 1)
        put_tab(P, &in, w->inputs[0]);
    else {
        sp_buf_puts(&in, "union");
        for (int i = 0; i < w->ninputs; i++) {
            sp_buf_puts(&in, i ? ",\n    (" : "\n    (");
            put_tab(P, &in, w->inputs[i]);
            sp_buf_putc(&in, ')');
        }
    }
    sp_buf_printf(&P->lets, "let _corr%d_events = %s;\n", id, sp_buf_cstr(&in));
    sp_buf_free(&in);
    char span[48];
    sp_timespan_format(w->window_ticks, span);
    sp_buf keys = {0};
    for (int k = 0; k < w->nkeys; k++) {
        put_name(&keys, w->keys[k].name);
        sp_buf_puts(&keys, ", ");
    }
    sp_buf_printf(&keys, "_Bin = bin(_Time, timespan(%s))", span);
    static const char *const ops[] = {">", ">=", "<", "<=", "==", "!="};
    sp_buf_printf(b, "// Sigma correlation (%s over %s): Sigma slides its windows over event time; KQL has\n",
                  w->win_metric == KW_EVENT_COUNT ? "event_count" : "metric", span);
    sp_buf_puts(b, "// no sliding windows, so this query approximates them with fixed bins of the same length.\n");
    sp_buf_printf(b, "_corr%d_events\n", id);
    switch (w->win_metric) {
    case KW_EVENT_COUNT:
    case KW_VALUE_SUM:
    case KW_VALUE_AVG:
    case KW_VALUE_COUNT:
    case KW_VALUE_PERCENTILE: {
        const char *agg = w->win_metric == KW_EVENT_COUNT ? "count()"
                          : w->win_metric == KW_VALUE_SUM ? "sum(_Value)"
                          : w->win_metric == KW_VALUE_AVG ? "avg(_Value)"
                          : w->win_metric == KW_VALUE_COUNT ? "dcountif(_Text, isnotempty(_Text))"
                                                             : NULL;
        if (agg)
            sp_buf_printf(b, "| summarize Value = todouble(%s), StartTime = min(_Time), EndTime = max(_Time), EventCount = count() by %s\n",
                          agg, sp_buf_cstr(&keys));
        else
            sp_buf_printf(b, "| summarize Value = todouble(percentile(_Value, %g)), StartTime = min(_Time), EndTime = max(_Time), EventCount = count() by %s\n",
                          w->win_percentile, sp_buf_cstr(&keys));
        break;
    }
    case KW_TEMPORAL:
    case KW_TEMPORAL_ORDERED: {
        sp_buf_puts(b, "| summarize ");
        for (int r = 0; r < w->win_nrules; r++)
            sp_buf_printf(b, "_First%d = minif(_Time, binary_and(_RuleMask, %lld) != 0), ", r, (long long)1 << r);
        sp_buf_printf(b, "StartTime = min(_Time), EndTime = max(_Time), EventCount = count() by %s\n", sp_buf_cstr(&keys));
        sp_buf_puts(b, "| extend Value = todouble(");
        if (w->win_metric == KW_TEMPORAL) {
            for (int r = 0; r < w->win_nrules; r++)
                sp_buf_printf(b, "%siff(isnotnull(_First%d), 1, 0)", r ? " + " : "", r);
        } else {
            /* ordered: how many rules, from the first, have their first events in order */
            for (int r = 0; r < w->win_nrules; r++) {
                if (r == 0)
                    sp_buf_puts(b, "iff(isnotnull(_First0), 1 + ");
                else
                    sp_buf_printf(b, "iff(isnotnull(_First%d) and _First%d >= _First%d, 1 + ", r, r, r - 1);
            }
            sp_buf_puts(b, "0");
            for (int r = 0; r < w->win_nrules; r++)
                sp_buf_puts(b, ", 0)");
        }
        sp_buf_puts(b, ")\n");
        break;
    }
    case KW_VALUE_SHARE:
        sp_buf_printf(b, "| where isnotempty(_Text)\n| summarize _N = count(), StartTime = min(_Time), EndTime = max(_Time) by %s, _Text\n",
                      sp_buf_cstr(&keys));
        sp_buf_printf(b, "| join kind=inner (_corr%d_events | where isnotempty(_Text) | summarize _Total = count() by %s) on ",
                      id, sp_buf_cstr(&keys));
        for (int k = 0; k < w->nkeys; k++) {
            put_name(b, w->keys[k].name);
            sp_buf_puts(b, ", ");
        }
        sp_buf_puts(b, "_Bin\n| extend Value = 100.0 * _N / _Total, ValueOf = _Text, EventCount = _Total\n");
        break;
    }
    sp_buf_puts(b, "| where ");
    for (int i = 0; i < w->nconds; i++) {
        char v[40];
        sp_format_real(w->conds[i].value, v);
        sp_buf_printf(b, "%sValue %s %s", i ? " and " : "", ops[w->conds[i].op], v);
    }
    if (!w->nconds)
        sp_buf_puts(b, "true");
    sp_buf_puts(b, "\n| project ");
    for (int k = 0; k < w->nkeys; k++) {
        put_name(b, w->keys[k].name);
        sp_buf_puts(b, ", ");
    }
    sp_buf_puts(b, w->win_metric == KW_VALUE_SHARE ? "StartTime, EndTime, Value, ValueOf, EventCount"
                                                    : "StartTime, EndTime, Value, ValueOf = \"\", EventCount");
    sp_buf_free(&keys);
}

static void put_tab(printer *P, sp_buf *b, const kp *n)
{
    if (P->failed)
        return;
    switch (n->kind) {
    case KP_SCAN:
        put_name(b, n->table);
        if (n->scan_filter) {
            sp_buf_puts(b, "\n| where ");
            put_expr(P, b, n->scan_filter, &n->out);
        }
        return;
    case KP_FILTER:
        put_tab(P, b, n->in);
        sp_buf_puts(b, "\n| where ");
        put_expr(P, b, n->pred, &n->in->out);
        return;
    case KP_PROJECT:
        put_tab(P, b, n->in);
        sp_buf_puts(b, "\n| project ");
        for (int i = 0; i < n->nitems; i++) {
            if (i)
                sp_buf_puts(b, ", ");
            put_name(b, n->items[i].name);
            sp_buf_puts(b, " = ");
            put_expr(P, b, n->items[i].expr, &n->in->out);
        }
        return;
    case KP_UNION:
        sp_buf_puts(b, "union");
        for (int i = 0; i < n->ninputs; i++) {
            sp_buf_puts(b, i ? ",\n    (" : "\n    (");
            put_tab(P, b, n->inputs[i]);
            sp_buf_putc(b, ')');
        }
        return;
    case KP_WINDOW: {
        /* A window is a query of its own: print it as a let and use its name. */
        sp_buf q = {0};
        put_window(P, &q, n);
        int id = P->nlet++;
        sp_buf_printf(&P->lets, "let _corr%d = %s;\n", id, sp_buf_cstr(&q));
        sp_buf_printf(b, "_corr%d", id);
        sp_buf_free(&q);
        return;
    }
    default: pfail(P, "a plan operator the Sigma lowering does not make"); return;
    }
}

int sig_plan_to_kql(const kplan *plan, sp_buf *out, sp_diag *err)
{
    printer P;
    memset(&P, 0, sizeof P);
    P.err = err;
    sp_buf body = {0};
    if (plan->root->kind == KP_WINDOW)
        put_window(&P, &body, plan->root);
    else
        put_tab(&P, &body, plan->root);
    if (!P.failed) {
        if (P.paths)
            sp_buf_puts(out, "// Dotted fields print as member access, which is case-sensitive and does not look\n"
                             "// inside arrays; socpipe matches keys ignoring case and any element of an array.\n");
        if (P.keywords)
            sp_buf_puts(out, "// Keywords over dynamic columns search their JSON text here (keys and escapes\n"
                             "// included); socpipe searches their string values only.\n");
        if (P.presence)
            sp_buf_puts(out, "// KQL reads an absent field, a JSON null and \"\" alike (\"\" in a string column);\n"
                             "// socpipe tells them apart in tables inferred from the data (Sigma's null, '' and exists).\n");
        sp_buf_append(out, P.lets.data ? P.lets.data : "", P.lets.len);
        sp_buf_append(out, body.data ? body.data : "", body.len);
        sp_buf_putc(out, '\n');
    }
    sp_buf_free(&body);
    sp_buf_free(&P.lets);
    return P.failed ? -1 : 0;
}
