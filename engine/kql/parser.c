/* parser.c — KQL tokens to the AST of kql.h, by recursive descent.
 *
 * Statements, pipes and tabular operators are parsed by one function per construct;
 * scalar expressions by a ladder of functions, one per precedence level, following
 * Kusto's own grammar (lowest first):
 *
 *   or  >  and  >  ==, !=, <> | in, !in, in~, !in~, has_any, has_all | between, !between
 *       >  <, <=, >, >=  >  =~, !~, has, contains, startswith, ..., matches regex
 *       >  +, -  >  *, /, %  >  unary -, +  >  postfix (.name, [index], call)
 *
 * The comparison levels are not chained in Kusto (`a == b == c`, `a < b < c` and
 * `a in (1) == true` are errors), so each level takes at most one operator. `not` is a
 * function and `!` alone is no operator.
 *
 * Errors: the first syntax error ends the parse. It is reported through a longjmp to
 * kql_parse, which is safe because every allocation made on the way is in the caller's
 * arena (freed with it) or in the token array (freed by kql_parse). Nesting depth is
 * bounded so that no input can exhaust the stack.
 */
#include "engine/kql/kql_int.h"

#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *text;
    size_t len;
    kql_tok *toks;
    size_t ntoks, i;
    sp_arena *a;
    sp_diag *err;
    int depth;
    sp_buf dyn; /* scratch for dynamic literals; freed by kql_parse on every path */
    jmp_buf jb;
} parser;

/* A growable array that lives in the arena: doubling leaves at most half unused. */
typedef struct vec {
    void *items;
    size_t n, cap, elem;
} vec;

static void vec_init(vec *v, size_t elem)
{
    v->items = NULL;
    v->n = v->cap = 0;
    v->elem = elem;
}

static void *vec_push(parser *p, vec *v)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 4;
        void *ni = sp_arena_alloc(p->a, nc * v->elem);
        if (v->n)
            memcpy(ni, v->items, v->n * v->elem);
        v->items = ni;
        v->cap = nc;
    }
    void *slot = (char *)v->items + v->n * v->elem;
    memset(slot, 0, v->elem);
    v->n++;
    return slot;
}

static void vec_push_ptr(parser *p, vec *v, void *ptr)
{
    *(void **)vec_push(p, v) = ptr;
}

/* ---- tokens ------------------------------------------------------------------------------ */

static const kql_tok *peek(const parser *p)
{
    return &p->toks[p->i];
}

static const kql_tok *peek_at(const parser *p, size_t k)
{
    size_t j = p->i + k;
    return &p->toks[j < p->ntoks ? j : p->ntoks - 1];
}

static const kql_tok *next(parser *p)
{
    const kql_tok *t = &p->toks[p->i];
    if (t->kind != KT_EOF)
        p->i++;
    return t;
}

static uint32_t prev_end(const parser *p)
{
    return p->i ? p->toks[p->i - 1].end : 0;
}

static bool adjacent(const kql_tok *a, const kql_tok *b)
{
    return a->end == b->off && b->kind != KT_EOF;
}

static bool word_eq(const parser *p, const kql_tok *t, const char *w)
{
    return t->kind == KT_IDENT && sp_streq(p->text + t->off, t->end - t->off, w, strlen(w));
}

static bool at_word(const parser *p, const char *w)
{
    return word_eq(p, peek(p), w);
}

static bool at(const parser *p, kql_tok_kind k)
{
    return peek(p)->kind == k;
}

static bool accept(parser *p, kql_tok_kind k)
{
    if (!at(p, k))
        return false;
    next(p);
    return true;
}

static bool accept_word(parser *p, const char *w)
{
    if (!at_word(p, w))
        return false;
    next(p);
    return true;
}

/* A short description of a token for messages: 'text' or "end of query". */
static const char *describe(const parser *p, const kql_tok *t, char *buf, size_t cap)
{
    if (t->kind == KT_EOF)
        return "end of query";
    size_t n = t->end - t->off;
    if (n > 40)
        snprintf(buf, cap, "'%.*s...'", 37, p->text + t->off);
    else
        snprintf(buf, cap, "'%.*s'", (int)n, p->text + t->off);
    return buf;
}

SP_PRINTF(3, 4)
static _Noreturn void fail_at(parser *p, const kql_tok *t, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint32_t off = t->off, end = t->end;
    if (t->kind == KT_EOF) {
        /* Point just past the last token, not at a blank line or comment after it. */
        if (p->ntoks >= 2)
            off = p->toks[p->ntoks - 2].end;
        end = off + 1;
    }
    kql_diag_at(p->err, p->text, p->len, off, end, "%s", msg);
    longjmp(p->jb, 1);
}

/* "expected X <context>, found Y" at the current token. */
SP_PRINTF(3, 4)
static _Noreturn void fail_expected(parser *p, const char *what, const char *fmt, ...)
{
    char ctx[300], tb[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    const kql_tok *t = peek(p);
    fail_at(p, t, "expected %s%s%s, found %s", what, ctx[0] ? " " : "", ctx,
            describe(p, t, tb, sizeof tb));
}

static const char *punct_text(kql_tok_kind k)
{
    switch (k) {
    case KT_PIPE: return "'|'";
    case KT_LPAREN: return "'('";
    case KT_RPAREN: return "')'";
    case KT_LBRACKET: return "'['";
    case KT_RBRACKET: return "']'";
    case KT_LBRACE: return "'{'";
    case KT_RBRACE: return "'}'";
    case KT_COMMA: return "','";
    case KT_SEMI: return "';'";
    case KT_COLON: return "':'";
    case KT_DOTDOT: return "'..'";
    case KT_ASSIGN: return "'='";
    default: return "token";
    }
}

SP_PRINTF(3, 4)
static const kql_tok *expect(parser *p, kql_tok_kind k, const char *fmt, ...)
{
    if (at(p, k))
        return next(p);
    char ctx[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    fail_expected(p, punct_text(k), "%s", ctx);
}

static void expect_word(parser *p, const char *w, const char *ctx)
{
    if (accept_word(p, w))
        return;
    char what[64];
    snprintf(what, sizeof what, "'%s'", w);
    fail_expected(p, what, "%s", ctx);
}

static void enter(parser *p)
{
    if (++p->depth > KQL_MAX_DEPTH)
        fail_at(p, peek(p), "query nested too deeply (more than %d levels)", KQL_MAX_DEPTH);
}

static void leave(parser *p)
{
    p->depth--;
}

/* ---- nodes -------------------------------------------------------------------------------- */

static kql_pos pos_of(const kql_tok *t)
{
    kql_pos ps = {t->off, t->end, t->line, t->col};
    return ps;
}

static kql_expr *new_expr(parser *p, kql_expr_kind kind, const kql_tok *start)
{
    kql_expr *e = sp_arena_calloc(p->a, sizeof *e);
    e->kind = kind;
    e->pos = pos_of(start);
    return e;
}

/* Ends e's span at the last consumed token. */
static kql_expr *fin(parser *p, kql_expr *e)
{
    uint32_t end = prev_end(p);
    if (end > e->pos.end)
        e->pos.end = end;
    return e;
}

static kql_str mkstr(parser *p, const char *s, size_t n)
{
    kql_str r = {sp_arena_strndup(p->a, s, n), n};
    return r;
}

static kql_str tok_text(parser *p, const kql_tok *t)
{
    return mkstr(p, p->text + t->off, t->end - t->off);
}

static kql_ident ident_of(parser *p, const kql_tok *t)
{
    kql_ident id = {tok_text(p, t), pos_of(t)};
    return id;
}

/* ---- names and types -------------------------------------------------------------------- */

/* `['a b']` / `["x"]` at the current position? */
static bool at_bracket_name(const parser *p)
{
    return at(p, KT_LBRACKET) && peek_at(p, 1)->kind == KT_STRING &&
           peek_at(p, 2)->kind == KT_RBRACKET;
}

static kql_ident parse_bracket_name(parser *p)
{
    const kql_tok *lb = next(p);
    const kql_tok *s = next(p);
    next(p);
    kql_ident id = {mkstr(p, s->s, s->slen), pos_of(lb)};
    id.pos.end = prev_end(p);
    return id;
}

/* A declared name: identifier or ['bracketed']. */
static bool at_name(const parser *p)
{
    return at(p, KT_IDENT) || at_bracket_name(p);
}

static kql_ident parse_name(parser *p, const char *ctx)
{
    if (at(p, KT_IDENT))
        return ident_of(p, next(p));
    if (at_bracket_name(p))
        return parse_bracket_name(p);
    fail_expected(p, "a name", "%s", ctx);
}

static sp_type parse_scalar_type(parser *p)
{
    const kql_tok *t = peek(p);
    sp_type ty;
    if (t->kind == KT_IDENT && sp_type_parse(p->text + t->off, t->end - t->off, &ty)) {
        next(p);
        return ty;
    }
    /* `datetime(` etc. never reach here as words: the lexer keeps them whole only when
     * followed by '(' which a type is not. */
    char tb[64];
    if (t->kind == KT_IDENT)
        fail_at(p, t, "unknown type %s", describe(p, t, tb, sizeof tb));
    fail_expected(p, "a type name", "(string, long, int, real, bool, datetime, timespan, "
                                    "guid, dynamic)");
}

/* `name:type` (the ':' is required). */
static kql_coldecl parse_coldecl(parser *p, const char *ctx)
{
    kql_coldecl c;
    memset(&c, 0, sizeof c);
    c.name = parse_name(p, ctx);
    expect(p, KT_COLON, "after column name '%s' (want name:type)", c.name.name.s);
    c.type_pos = pos_of(peek(p));
    c.type = parse_scalar_type(p);
    return c;
}

/* `(*)`, `(a:string, b:long)`, `(a:string, *)` after the '(' has been seen. */
static void parse_schema(parser *p, kql_typeref *tr, const char *ctx)
{
    const kql_tok *lp = expect(p, KT_LPAREN, "%s", ctx);
    vec cols;
    vec_init(&cols, sizeof(kql_coldecl));
    tr->tabular = true;
    tr->pos = pos_of(lp);
    if (!at(p, KT_RPAREN)) {
        for (;;) {
            if (accept(p, KT_STAR)) {
                tr->open = true;
            } else {
                *(kql_coldecl *)vec_push(p, &cols) = parse_coldecl(p, "in a table schema");
            }
            if (!accept(p, KT_COMMA))
                break;
        }
    }
    expect(p, KT_RPAREN, "to close the table schema");
    tr->cols = cols.items;
    tr->ncols = cols.n;
    tr->pos.end = prev_end(p);
}

/* A scalar type or a tabular schema in parentheses. */
static kql_typeref parse_typeref(parser *p)
{
    kql_typeref tr;
    memset(&tr, 0, sizeof tr);
    if (at(p, KT_LPAREN)) {
        parse_schema(p, &tr, "");
        return tr;
    }
    tr.pos = pos_of(peek(p));
    tr.scalar = parse_scalar_type(p);
    return tr;
}

/* ---- literals ------------------------------------------------------------------------------ */

static void raw_trim(const char **s, size_t *n)
{
    while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t' || (*s)[0] == '\r' || (*s)[0] == '\n')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' ||
                  (*s)[*n - 1] == '\n'))
        (*n)--;
}

/* timespan(...) content: `0.12:34:56.7`, `1d`, `15 seconds`, `2` (days), `-1d`. */
static bool decode_timespan(const char *s, size_t n, int64_t *ticks)
{
    if (sp_timespan_parse(s, n, ticks))
        return true;
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    size_t j = 0;
    while (j < n && ((s[j] >= '0' && s[j] <= '9') || s[j] == '.'))
        j++;
    double v;
    if (j == 0 || !sp_parse_f64(s, j, &v))
        return false;
    size_t k = j;
    while (k < n && (s[k] == ' ' || s[k] == '\t'))
        k++;
    int64_t unit = SP_TICKS_PER_DAY * 100;
    if (k < n && !kql_timespan_unit(s + k, n - k, &unit))
        return false;
    double t = v * (double)unit / 100.0;
    if (!(t < 9.2e18))
        return false;
    *ticks = (int64_t)llround(neg ? -t : t);
    return true;
}

static bool decode_guid(const char *s, size_t n, char *out37)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t j = 0, o = 0;
    for (int g = 0; g < 5; g++) {
        for (int k = 0; k < groups[g]; k++, j++) {
            if (j >= n)
                return false;
            char c = s[j];
            bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex)
                return false;
            out37[o++] = sp_ascii_lower(c);
        }
        if (g < 4) {
            if (j >= n || s[j] != '-')
                return false;
            out37[o++] = '-';
            j++;
        }
    }
    out37[o] = 0;
    return j == n;
}

/* datetime(...), date(...), timespan(...), time(...), guid(...) */
static kql_expr *parse_rawlit(parser *p)
{
    const kql_tok *t = next(p);
    kql_expr *e = new_expr(p, KQL_E_LITERAL, t);
    const char *w = p->text + t->off;
    const char *s = p->text + t->roff;
    size_t n = t->rend - t->roff;
    raw_trim(&s, &n);
    kql_literal *l = &e->u.lit;
    bool dt = sp_streq(w, t->wlen, "datetime", 8) || sp_streq(w, t->wlen, "date", 4);
    bool ts = sp_streq(w, t->wlen, "timespan", 8) || sp_streq(w, t->wlen, "time", 4);
    l->type = dt ? SP_TYPE_DATETIME : ts ? SP_TYPE_TIMESPAN : SP_TYPE_GUID;
    if (sp_streq(s, n, "null", 4)) {
        l->is_null = true;
        return e;
    }
    bool ok;
    if (dt) {
        ok = sp_datetime_parse(s, n, &l->v.ticks);
    } else if (ts) {
        ok = decode_timespan(s, n, &l->v.ticks);
    } else {
        char g[37];
        ok = decode_guid(s, n, g);
        if (ok)
            l->s = mkstr(p, g, 36);
    }
    if (!ok)
        fail_at(p, t, "invalid %.*s literal '%.*s'", (int)t->wlen, w, (int)SP_MIN(n, 60), s);
    return e;
}

/* Adjacent string literals form one string ("a" "b" == "ab"). */
static kql_expr *parse_string_lit(parser *p)
{
    const kql_tok *t = next(p);
    kql_expr *e = new_expr(p, KQL_E_LITERAL, t);
    e->u.lit.type = SP_TYPE_STRING;
    e->u.lit.obfuscated = t->obfuscated;
    if (!at(p, KT_STRING)) {
        e->u.lit.s.s = t->s;
        e->u.lit.s.len = t->slen;
        return e;
    }
    sp_buf b = {0};
    sp_buf_append(&b, t->s, t->slen);
    while (at(p, KT_STRING)) {
        const kql_tok *u = next(p);
        sp_buf_append(&b, u->s, u->slen);
        e->u.lit.obfuscated |= u->obfuscated;
    }
    e->u.lit.s = mkstr(p, b.data, b.len);
    sp_buf_free(&b);
    return fin(p, e);
}

static bool is_typed_literal_word(const parser *p, const kql_tok *t, sp_type *ty)
{
    static const char *const words[] = {"long", "int", "real", "double", "bool",
                                        "boolean", "decimal", "int64", "int32"};
    if (t->kind != KT_IDENT)
        return false;
    for (size_t k = 0; k < SP_ARRAY_LEN(words); k++)
        if (word_eq(p, t, words[k]))
            return sp_type_parse(words[k], strlen(words[k]), ty);
    return false;
}

static bool word_bool(const parser *p, const kql_tok *t, bool *v)
{
    if (word_eq(p, t, "true") || word_eq(p, t, "True") || word_eq(p, t, "TRUE")) {
        *v = true;
        return true;
    }
    if (word_eq(p, t, "false") || word_eq(p, t, "False") || word_eq(p, t, "FALSE")) {
        *v = false;
        return true;
    }
    return false;
}

/* long(5), int(-5), real(1.5), real(nan), real(+inf), bool(true), long(null), ... */
static kql_expr *parse_typed_literal(parser *p, sp_type ty)
{
    const kql_tok *w = next(p);
    kql_expr *e = new_expr(p, KQL_E_LITERAL, w);
    kql_literal *l = &e->u.lit;
    l->type = ty;
    char ctx[64];
    snprintf(ctx, sizeof ctx, "%.*s(", (int)(w->end - w->off), p->text + w->off);
    expect(p, KT_LPAREN, "after '%.*s'", (int)(w->end - w->off), p->text + w->off);
    const kql_tok *t = peek(p);
    int sign = 1;
    if (at(p, KT_MINUS) || at(p, KT_PLUS)) {
        sign = at(p, KT_MINUS) ? -1 : 1;
        next(p);
    }
    const kql_tok *v = next(p);
    bool b;
    if (word_eq(p, v, "null") && sign == 1 && v == t) {
        l->is_null = true;
    } else if (ty == SP_TYPE_BOOL && v == t && word_bool(p, v, &b)) {
        l->v.b = b;
    } else if (ty == SP_TYPE_BOOL && v == t && v->kind == KT_LONG) {
        l->v.b = v->i != 0;
    } else if (ty == SP_TYPE_REAL && (v->kind == KT_LONG || v->kind == KT_REAL)) {
        l->v.r = sign * (v->kind == KT_LONG ? (double)v->i : v->r);
    } else if (ty == SP_TYPE_REAL && (word_eq(p, v, "nan") || word_eq(p, v, "NaN"))) {
        l->v.r = NAN;
    } else if (ty == SP_TYPE_REAL && (word_eq(p, v, "inf") || word_eq(p, v, "infinity"))) {
        l->v.r = sign * INFINITY;
    } else if ((ty == SP_TYPE_LONG || ty == SP_TYPE_INT) && v->kind == KT_LONG) {
        l->v.i = sign * v->i;
        if (ty == SP_TYPE_INT && (l->v.i > INT32_MAX || l->v.i < INT32_MIN))
            fail_at(p, v, "int literal out of range");
    } else {
        char tb[64];
        fail_at(p, v, "expected a literal of type %s inside %s...), found %s", sp_type_name(ty), ctx,
                describe(p, v, tb, sizeof tb));
    }
    expect(p, KT_RPAREN, "to close %s...)", ctx);
    return fin(p, e);
}

/* One JSON-like value inside dynamic(...), appended as compact JSON. */
static void parse_dynamic_value(parser *p, sp_buf *b)
{
    enter(p);
    const kql_tok *t = peek(p);
    bool bv;
    if (accept(p, KT_LBRACKET)) {
        sp_buf_putc(b, '[');
        if (!at(p, KT_RBRACKET)) {
            for (;;) {
                parse_dynamic_value(p, b);
                if (!accept(p, KT_COMMA))
                    break;
                sp_buf_putc(b, ',');
            }
        }
        expect(p, KT_RBRACKET, "to close the array in dynamic(...)");
        sp_buf_putc(b, ']');
    } else if (accept(p, KT_LBRACE)) {
        sp_buf_putc(b, '{');
        if (!at(p, KT_RBRACE)) {
            for (;;) {
                if (!at(p, KT_STRING))
                    fail_expected(p, "a string property name", "in dynamic({...})");
                const kql_tok *k = next(p);
                sp_buf_json_string(b, k->s, k->slen);
                expect(p, KT_COLON, "after a property name in dynamic({...})");
                sp_buf_putc(b, ':');
                parse_dynamic_value(p, b);
                if (!accept(p, KT_COMMA))
                    break;
                sp_buf_putc(b, ',');
            }
        }
        expect(p, KT_RBRACE, "to close the property bag in dynamic(...)");
        sp_buf_putc(b, '}');
    } else if (t->kind == KT_STRING) {
        kql_expr *s = parse_string_lit(p);
        sp_buf_json_string(b, s->u.lit.s.s, s->u.lit.s.len);
    } else if (word_eq(p, t, "null")) {
        next(p);
        sp_buf_puts(b, "null");
    } else if (word_bool(p, t, &bv)) {
        next(p);
        sp_buf_puts(b, bv ? "true" : "false");
    } else if (t->kind == KT_RAWLIT) {
        kql_expr *e = parse_rawlit(p);
        const kql_literal *l = &e->u.lit;
        char tb[48];
        if (l->is_null) {
            sp_buf_puts(b, "null");
        } else if (l->type == SP_TYPE_DATETIME) {
            sp_datetime_format(l->v.ticks, tb);
            sp_buf_json_string(b, tb, strlen(tb));
        } else if (l->type == SP_TYPE_TIMESPAN) {
            sp_timespan_format(l->v.ticks, tb);
            sp_buf_json_string(b, tb, strlen(tb));
        } else {
            sp_buf_json_string(b, l->s.s, l->s.len);
        }
    } else {
        int sign = 1;
        if (at(p, KT_MINUS) || at(p, KT_PLUS)) {
            sign = at(p, KT_MINUS) ? -1 : 1;
            next(p);
        }
        const kql_tok *v = peek(p);
        char tb[64];
        if (v->kind == KT_LONG) {
            next(p);
            sp_buf_printf(b, "%lld", (long long)(sign * v->i));
        } else if (v->kind == KT_REAL && isfinite(v->r)) {
            next(p);
            char nb[40];
            sp_buf_puts(b, kql_real_text(sign * v->r, nb));
            if (!strpbrk(nb, ".eE"))
                sp_buf_puts(b, ".0");
        } else if (v->kind == KT_TIMESPAN) {
            next(p);
            sp_timespan_format(sign * v->i, tb);
            sp_buf_json_string(b, tb, strlen(tb));
        } else {
            fail_at(p, v, "expected a value inside dynamic(...), found %s",
                    describe(p, v, tb, sizeof tb));
        }
    }
    leave(p);
}

static kql_expr *parse_dynamic(parser *p)
{
    const kql_tok *w = next(p);
    kql_expr *e = new_expr(p, KQL_E_LITERAL, w);
    e->u.lit.type = SP_TYPE_DYNAMIC;
    expect(p, KT_LPAREN, "after 'dynamic'");
    if (at_word(p, "null") && peek_at(p, 1)->kind == KT_RPAREN) {
        next(p);
        e->u.lit.is_null = true;
    } else {
        p->dyn.len = 0;
        parse_dynamic_value(p, &p->dyn);
        e->u.lit.s = mkstr(p, p->dyn.data, p->dyn.len);
    }
    expect(p, KT_RPAREN, "to close dynamic(...)");
    return fin(p, e);
}

/* ---- expressions ------------------------------------------------------------------------- */

static kql_expr *parse_expr(parser *p);
static kql_expr *parse_pipe_expr(parser *p);
static kql_expr *parse_unary(parser *p);
static kql_op *parse_operator(parser *p);
static kql_expr *parse_pipe_tail(parser *p, kql_expr *source, const kql_tok *start);

/* `name = value`, `(a, b) = value`, or an expression (allow_pipe: a tabular expression
 * is allowed, as in call arguments). */
static kql_expr *parse_item(parser *p, bool allow_pipe)
{
    const kql_tok *t = peek(p);
    if (t->kind == KT_IDENT && peek_at(p, 1)->kind == KT_ASSIGN) {
        kql_expr *e = new_expr(p, KQL_E_ASSIGN, t);
        kql_ident *id = sp_arena_calloc(p->a, sizeof *id);
        *id = ident_of(p, next(p));
        next(p);
        e->u.assign.names = id;
        e->u.assign.nnames = 1;
        e->u.assign.value = allow_pipe ? parse_pipe_expr(p) : parse_expr(p);
        return fin(p, e);
    }
    if (at_bracket_name(p) && peek_at(p, 3)->kind == KT_ASSIGN) {
        kql_expr *e = new_expr(p, KQL_E_ASSIGN, t);
        kql_ident *id = sp_arena_calloc(p->a, sizeof *id);
        *id = parse_bracket_name(p);
        next(p);
        e->u.assign.names = id;
        e->u.assign.nnames = 1;
        e->u.assign.value = allow_pipe ? parse_pipe_expr(p) : parse_expr(p);
        return fin(p, e);
    }
    /* (a, b) = f(x) */
    if (t->kind == KT_LPAREN && peek_at(p, 1)->kind == KT_IDENT &&
        peek_at(p, 2)->kind == KT_COMMA) {
        size_t save = p->i;
        next(p);
        vec names;
        vec_init(&names, sizeof(kql_ident));
        bool ok = true;
        for (;;) {
            if (!at(p, KT_IDENT)) {
                ok = false;
                break;
            }
            *(kql_ident *)vec_push(p, &names) = ident_of(p, next(p));
            if (!accept(p, KT_COMMA))
                break;
        }
        if (ok && accept(p, KT_RPAREN) && accept(p, KT_ASSIGN)) {
            kql_expr *e = new_expr(p, KQL_E_ASSIGN, t);
            e->u.assign.names = names.items;
            e->u.assign.nnames = names.n;
            e->u.assign.value = parse_expr(p);
            return fin(p, e);
        }
        p->i = save;
    }
    return allow_pipe ? parse_pipe_expr(p) : parse_expr(p);
}

/* Comma-separated items up to `close` (not consumed). */
static kql_expr **parse_items_until(parser *p, kql_tok_kind close, bool allow_pipe, size_t *n)
{
    vec v;
    vec_init(&v, sizeof(kql_expr *));
    if (!at(p, close)) {
        for (;;) {
            vec_push_ptr(p, &v, parse_item(p, allow_pipe));
            if (!accept(p, KT_COMMA))
                break;
        }
    }
    *n = v.n;
    return v.items;
}

/* Comma-separated items of an operator (extend a = 1, b). */
static kql_expr **parse_item_list(parser *p, size_t *n)
{
    vec v;
    vec_init(&v, sizeof(kql_expr *));
    for (;;) {
        vec_push_ptr(p, &v, parse_item(p, false));
        if (!accept(p, KT_COMMA))
            break;
    }
    *n = v.n;
    return v.items;
}

static kql_expr *parse_call_args(parser *p, kql_expr *call, const kql_tok *name)
{
    expect(p, KT_LPAREN, "after function name");
    call->u.call.args = parse_items_until(p, KT_RPAREN, true, &call->u.call.nargs);
    expect(p, KT_RPAREN, "after arguments of '%.*s'", (int)SP_MIN(name->end - name->off, 60),
           p->text + name->off);
    return fin(p, call);
}

static kql_expr *parse_datatable(parser *p)
{
    const kql_tok *w = next(p);
    kql_expr *e = new_expr(p, KQL_E_DATATABLE, w);
    kql_typeref tr;
    memset(&tr, 0, sizeof tr);
    parse_schema(p, &tr, "after 'datatable' (want datatable(name:type, ...)[values])");
    if (tr.open)
        fail_at(p, w, "datatable schema cannot contain '*'");
    e->u.table.cols = tr.cols;
    e->u.table.ncols = tr.ncols;
    expect(p, KT_LBRACKET, "after the datatable schema");
    /* Values, with a trailing comma allowed as Kusto does: `[1, 2, ]`. */
    vec v;
    vec_init(&v, sizeof(kql_expr *));
    while (!at(p, KT_RBRACKET)) {
        vec_push_ptr(p, &v, parse_item(p, false));
        if (!accept(p, KT_COMMA))
            break;
    }
    e->u.table.values = v.items;
    e->u.table.nvalues = v.n;
    expect(p, KT_RBRACKET, "to close the datatable values");
    if (tr.ncols && e->u.table.nvalues % tr.ncols)
        fail_at(p, w, "datatable has %zu values, not a multiple of its %zu columns",
                e->u.table.nvalues, tr.ncols);
    return fin(p, e);
}

static kql_expr *parse_externaldata(parser *p)
{
    const kql_tok *w = next(p);
    kql_expr *e = new_expr(p, KQL_E_EXTERNALDATA, w);
    kql_typeref tr;
    memset(&tr, 0, sizeof tr);
    parse_schema(p, &tr, "after 'externaldata'");
    e->u.table.cols = tr.cols;
    e->u.table.ncols = tr.ncols;
    expect(p, KT_LBRACKET, "after the externaldata schema");
    e->u.table.values = parse_items_until(p, KT_RBRACKET, false, &e->u.table.nvalues);
    expect(p, KT_RBRACKET, "to close the externaldata URIs");
    if (accept_word(p, "with")) {
        expect(p, KT_LPAREN, "after 'with'");
        e->u.table.props = parse_items_until(p, KT_RPAREN, false, &e->u.table.nprops);
        expect(p, KT_RPAREN, "to close the externaldata properties");
    }
    return fin(p, e);
}

static kql_expr *parse_typeof(parser *p)
{
    const kql_tok *w = next(p);
    kql_expr *e = new_expr(p, KQL_E_TYPEOF, w);
    expect(p, KT_LPAREN, "after 'typeof'");
    /* typeof(long) or typeof(a:string, b:long) */
    if (peek_at(p, 1)->kind == KT_COLON || at(p, KT_STAR)) {
        p->i--; /* re-read the '(' as the schema's */
        parse_schema(p, &e->u.type, "");
        return fin(p, e);
    }
    e->u.type.pos = pos_of(peek(p));
    e->u.type.scalar = parse_scalar_type(p);
    expect(p, KT_RPAREN, "to close typeof(...)");
    return fin(p, e);
}

static kql_expr *parse_primary(parser *p)
{
    const kql_tok *t = peek(p);
    char tb[64];
    sp_type ty;
    bool bv;
    switch (t->kind) {
    case KT_LONG:
    case KT_REAL:
    case KT_TIMESPAN: {
        next(p);
        kql_expr *e = new_expr(p, KQL_E_LITERAL, t);
        if (t->kind == KT_LONG) {
            e->u.lit.type = SP_TYPE_LONG;
            e->u.lit.v.i = t->i;
        } else if (t->kind == KT_REAL) {
            e->u.lit.type = SP_TYPE_REAL;
            e->u.lit.v.r = t->r;
        } else {
            e->u.lit.type = SP_TYPE_TIMESPAN;
            e->u.lit.v.ticks = t->i;
        }
        return e;
    }
    case KT_STRING: return parse_string_lit(p);
    case KT_RAWLIT: return parse_rawlit(p);
    case KT_STAR: {
        next(p);
        return new_expr(p, KQL_E_STAR, t);
    }
    case KT_LPAREN: {
        next(p);
        kql_expr *e = parse_pipe_expr(p);
        expect(p, KT_RPAREN, "to close '(' at %u:%u", t->line, t->col);
        return e;
    }
    case KT_LBRACKET:
        if (at_bracket_name(p)) {
            kql_expr *e = new_expr(p, KQL_E_NAME, t);
            kql_ident id = parse_bracket_name(p);
            e->u.name.name = id.name;
            e->u.name.bracketed = true;
            return fin(p, e);
        }
        fail_at(p, t, "expected expression, found '[' (a bracketed name is ['name'])");
    case KT_IDENT: break;
    default: fail_at(p, t, "expected expression, found %s", describe(p, t, tb, sizeof tb));
    }
    const kql_tok *t1 = peek_at(p, 1);
    bool call = t1->kind == KT_LPAREN;
    if (call && word_eq(p, t, "dynamic"))
        return parse_dynamic(p);
    if (call && word_eq(p, t, "typeof"))
        return parse_typeof(p);
    if (call && word_eq(p, t, "datatable"))
        return parse_datatable(p);
    if (call && word_eq(p, t, "externaldata"))
        return parse_externaldata(p);
    if (call && is_typed_literal_word(p, t, &ty))
        return parse_typed_literal(p, ty);
    if (!call && word_bool(p, t, &bv)) {
        next(p);
        kql_expr *e = new_expr(p, KQL_E_LITERAL, t);
        e->u.lit.type = SP_TYPE_BOOL;
        e->u.lit.v.b = bv;
        return e;
    }
    next(p);
    if (call) {
        kql_expr *e = new_expr(p, KQL_E_CALL, t);
        e->u.call.name = ident_of(p, t);
        return parse_call_args(p, e, t);
    }
    kql_expr *e = new_expr(p, KQL_E_NAME, t);
    e->u.name.name = tok_text(p, t);
    return e;
}

static kql_expr *parse_postfix(parser *p)
{
    const kql_tok *start = peek(p);
    kql_expr *e = parse_primary(p);
    for (;;) {
        if (at(p, KT_DOT)) {
            next(p);
            kql_expr *m = new_expr(p, KQL_E_MEMBER, start);
            m->u.member.obj = e;
            if (at_bracket_name(p)) {
                m->u.member.name = parse_bracket_name(p);
            } else if (at(p, KT_LBRACKET)) { /* x.[0] is x[0] */
                const kql_tok *lb = next(p);
                m->kind = KQL_E_INDEX;
                m->u.index.obj = e;
                m->u.index.index = parse_expr(p);
                expect(p, KT_RBRACKET, "to close '[' at %u:%u", lb->line, lb->col);
                e = fin(p, m);
                continue;
            } else if (at(p, KT_IDENT) || at(p, KT_RAWLIT))
                m->u.member.name = ident_of(p, next(p));
            else
                fail_expected(p, "a property name", "after '.'");
            if (at(p, KT_LPAREN))
                fail_at(p, peek(p), "unsupported: method call syntax '.%s(...)'",
                        m->u.member.name.name.s);
            e = fin(p, m);
        } else if (at(p, KT_LBRACKET)) {
            const kql_tok *lb = next(p);
            kql_expr *ix = new_expr(p, KQL_E_INDEX, start);
            ix->u.index.obj = e;
            ix->u.index.index = parse_expr(p);
            expect(p, KT_RBRACKET, "to close '[' at %u:%u", lb->line, lb->col);
            e = fin(p, ix);
        } else {
            return e;
        }
    }
}

static kql_expr *parse_unary(parser *p)
{
    const kql_tok *t = peek(p);
    if (t->kind == KT_MINUS || t->kind == KT_PLUS) {
        enter(p);
        next(p);
        kql_expr *e = new_expr(p, KQL_E_UNARY, t);
        e->u.unary.op = t->kind == KT_MINUS ? KQL_UN_NEG : KQL_UN_PLUS;
        e->u.unary.arg = parse_unary(p);
        leave(p);
        return fin(p, e);
    }
    if (t->kind == KT_BANG)
        fail_at(p, t, "'!' is not an operator in KQL; use not(...)");
    return parse_postfix(p);
}

static kql_expr *mk_binary(parser *p, kql_binop op, kql_expr *l, kql_expr *r)
{
    kql_expr *e = sp_arena_calloc(p->a, sizeof *e);
    e->kind = KQL_E_BINARY;
    e->pos = l->pos;
    e->u.binary.op = op;
    e->u.binary.lhs = l;
    e->u.binary.rhs = r;
    return fin(p, e);
}

static kql_expr *parse_mul(parser *p)
{
    kql_expr *l = parse_unary(p);
    for (;;) {
        kql_binop op;
        if (at(p, KT_STAR))
            op = KQL_OP_MUL;
        else if (at(p, KT_SLASH))
            op = KQL_OP_DIV;
        else if (at(p, KT_PERCENT))
            op = KQL_OP_MOD;
        else
            return l;
        next(p);
        l = mk_binary(p, op, l, parse_unary(p));
    }
}

static kql_expr *parse_add(parser *p)
{
    kql_expr *l = parse_mul(p);
    for (;;) {
        kql_binop op;
        if (at(p, KT_PLUS))
            op = KQL_OP_ADD;
        else if (at(p, KT_MINUS))
            op = KQL_OP_SUB;
        else
            return l;
        next(p);
        l = mk_binary(p, op, l, parse_mul(p));
    }
}

/* String operators spelled as words, with their negated forms (`!has`). */
static const struct {
    const char *word;
    kql_binop op, neg;
} string_ops[] = {
    {"has", KQL_OP_HAS, KQL_OP_NOT_HAS},
    {"has_cs", KQL_OP_HAS_CS, KQL_OP_NOT_HAS_CS},
    {"hasprefix", KQL_OP_HASPREFIX, KQL_OP_NOT_HASPREFIX},
    {"hasprefix_cs", KQL_OP_HASPREFIX_CS, KQL_OP_NOT_HASPREFIX_CS},
    {"hassuffix", KQL_OP_HASSUFFIX, KQL_OP_NOT_HASSUFFIX},
    {"hassuffix_cs", KQL_OP_HASSUFFIX_CS, KQL_OP_NOT_HASSUFFIX_CS},
    {"contains", KQL_OP_CONTAINS, KQL_OP_NOT_CONTAINS},
    {"contains_cs", KQL_OP_CONTAINS_CS, KQL_OP_NOT_CONTAINS_CS},
    {"startswith", KQL_OP_STARTSWITH, KQL_OP_NOT_STARTSWITH},
    {"startswith_cs", KQL_OP_STARTSWITH_CS, KQL_OP_NOT_STARTSWITH_CS},
    {"endswith", KQL_OP_ENDSWITH, KQL_OP_NOT_ENDSWITH},
    {"endswith_cs", KQL_OP_ENDSWITH_CS, KQL_OP_NOT_ENDSWITH_CS},
    /* legacy spellings */
    {"containscs", KQL_OP_CONTAINS_CS, KQL_OP_NOT_CONTAINS_CS},
    {"notcontains", KQL_OP_NOT_CONTAINS, KQL_OP_CONTAINS},
    {"notcontainscs", KQL_OP_NOT_CONTAINS_CS, KQL_OP_CONTAINS_CS},
    {"nothas", KQL_OP_NOT_HAS, KQL_OP_HAS},
};

/* Recognises a string operator at the current token; *ntok = tokens it spans. */
static bool at_string_op(const parser *p, kql_binop *op, int *ntok)
{
    const kql_tok *t = peek(p);
    if (t->kind == KT_EQ_CI || t->kind == KT_NE_CI) {
        *op = t->kind == KT_EQ_CI ? KQL_OP_EQ_CI : KQL_OP_NE_CI;
        *ntok = 1;
        return true;
    }
    bool neg = false;
    if (t->kind == KT_BANG && adjacent(t, peek_at(p, 1))) {
        neg = true;
        t = peek_at(p, 1);
    }
    if (t->kind != KT_IDENT)
        return false;
    if (!neg && word_eq(p, t, "matches") && word_eq(p, peek_at(p, 1), "regex")) {
        *op = KQL_OP_MATCHES_REGEX;
        *ntok = 2;
        return true;
    }
    for (size_t k = 0; k < SP_ARRAY_LEN(string_ops); k++)
        if (word_eq(p, t, string_ops[k].word)) {
            if (neg && string_ops[k].word[0] == 'n') /* !notcontains is no operator */
                return false;
            *op = neg ? string_ops[k].neg : string_ops[k].op;
            *ntok = neg ? 2 : 1;
            return true;
        }
    return false;
}

static kql_expr *parse_strop(parser *p)
{
    kql_expr *l = parse_add(p);
    kql_binop op;
    int nt;
    if (!at_string_op(p, &op, &nt))
        return l;
    for (int k = 0; k < nt; k++)
        next(p);
    return mk_binary(p, op, l, parse_add(p));
}

static kql_expr *parse_rel(parser *p)
{
    kql_expr *l = parse_strop(p);
    kql_binop op;
    switch (peek(p)->kind) {
    case KT_LT: op = KQL_OP_LT; break;
    case KT_LE: op = KQL_OP_LE; break;
    case KT_GT: op = KQL_OP_GT; break;
    case KT_GE: op = KQL_OP_GE; break;
    default: return l;
    }
    next(p);
    return mk_binary(p, op, l, parse_strop(p));
}

/* in, !in, in~, !in~, has_any, has_all at the current token; *ntok = tokens spanned. */
static bool at_list_op(const parser *p, kql_binop *op, int *ntok)
{
    const kql_tok *t = peek(p);
    bool neg = false;
    int n = 0;
    if (t->kind == KT_BANG && adjacent(t, peek_at(p, 1))) {
        neg = true;
        t = peek_at(p, 1);
        n = 1;
    }
    if (word_eq(p, t, "in")) {
        const kql_tok *u = peek_at(p, (size_t)n + 1);
        bool ci = u->kind == KT_TILDE && adjacent(t, u);
        *op = neg ? (ci ? KQL_OP_NOT_IN_CI : KQL_OP_NOT_IN) : (ci ? KQL_OP_IN_CI : KQL_OP_IN);
        *ntok = n + 1 + (ci ? 1 : 0);
        return true;
    }
    if (!neg && word_eq(p, t, "has_any")) {
        *op = KQL_OP_HAS_ANY;
        *ntok = 1;
        return true;
    }
    if (!neg && word_eq(p, t, "has_all")) {
        *op = KQL_OP_HAS_ALL;
        *ntok = 1;
        return true;
    }
    if (word_eq(p, t, "between")) {
        *op = neg ? KQL_OP_NOT_BETWEEN : KQL_OP_BETWEEN;
        *ntok = n + 1;
        return true;
    }
    return false;
}

static kql_expr *parse_eq(parser *p)
{
    kql_expr *l = parse_rel(p);
    kql_binop op;
    int nt;
    switch (peek(p)->kind) {
    case KT_EQ: op = KQL_OP_EQ; break;
    case KT_NE:
    case KT_LTGT: op = KQL_OP_NE; break;
    default:
        if (!at_list_op(p, &op, &nt))
            return l;
        for (int k = 0; k < nt; k++)
            next(p);
        const char *opname = kql_binop_text(op);
        if (op == KQL_OP_BETWEEN || op == KQL_OP_NOT_BETWEEN) {
            kql_expr *e = sp_arena_calloc(p->a, sizeof *e);
            e->kind = KQL_E_BETWEEN;
            e->pos = l->pos;
            e->u.between.op = op;
            e->u.between.lhs = l;
            expect(p, KT_LPAREN, "after '%s' (want %s (low .. high))", opname, opname);
            e->u.between.lo = parse_expr(p);
            expect(p, KT_DOTDOT, "between the bounds of '%s'", opname);
            e->u.between.hi = parse_expr(p);
            expect(p, KT_RPAREN, "after the bounds of '%s'", opname);
            return fin(p, e);
        }
        kql_expr *e = sp_arena_calloc(p->a, sizeof *e);
        e->kind = KQL_E_IN;
        e->pos = l->pos;
        e->u.in.op = op;
        e->u.in.lhs = l;
        if (at(p, KT_LPAREN)) {
            next(p);
            e->u.in.list = parse_items_until(p, KT_RPAREN, true, &e->u.in.nlist);
            if (!e->u.in.nlist)
                fail_at(p, peek(p), "'%s' needs at least one value", opname);
            expect(p, KT_RPAREN, "to close the list of '%s'", opname);
        } else if (op == KQL_OP_HAS_ANY || op == KQL_OP_HAS_ALL) {
            /* has_any x: one expression (a dynamic array or a tabular name) */
            e->u.in.list = sp_arena_alloc(p->a, sizeof(kql_expr *));
            e->u.in.list[0] = parse_add(p);
            e->u.in.nlist = 1;
        } else {
            fail_expected(p, "'('", "after '%s'", opname);
        }
        return fin(p, e);
    }
    next(p);
    return mk_binary(p, op, l, parse_rel(p));
}

static kql_expr *parse_and(parser *p)
{
    kql_expr *l = parse_eq(p);
    while (at_word(p, "and")) {
        next(p);
        l = mk_binary(p, KQL_OP_AND, l, parse_eq(p));
    }
    return l;
}

static kql_expr *parse_expr(parser *p)
{
    enter(p);
    kql_expr *l = parse_and(p);
    while (at_word(p, "or")) {
        next(p);
        l = mk_binary(p, KQL_OP_OR, l, parse_and(p));
    }
    leave(p);
    return l;
}

/* ---- tabular operators ------------------------------------------------------------------- */

/* Operators known to Kusto that socpipe does not parse: reported as unsupported. */
static const char *const unsupported_ops[] = {
    "find", "fork", "partition", "scan", "reduce", "parse-kv", "consume", "make-graph",
    "graph-match", "graph-to-table", "graph-shortest-paths", "graph-merge", "macro-expand",
    "assert-schema", "execute-and-cache", "project-smart", "summarize-graph",
};

/* Reads an operator name at the current token: a word, joined with adjacent '-word'
 * parts (project-away, mv-expand, top-nested). Returns the token count and the name. */
static int op_name_at(const parser *p, size_t at_i, char *name, size_t cap)
{
    const kql_tok *t = &p->toks[at_i];
    if (t->kind != KT_IDENT)
        return 0;
    size_t len = 0;
    int n = 0;
    for (;;) {
        size_t w = t->end - t->off;
        if (len + w + 1 >= cap)
            return 0;
        memcpy(name + len, p->text + t->off, w);
        len += w;
        n++;
        const kql_tok *d = &p->toks[SP_MIN(at_i + (size_t)n, p->ntoks - 1)];
        const kql_tok *u = &p->toks[SP_MIN(at_i + (size_t)n + 1, p->ntoks - 1)];
        if (d->kind == KT_MINUS && adjacent(t, d) && u->kind == KT_IDENT && adjacent(d, u)) {
            name[len++] = '-';
            n += 1;
            t = u;
            continue;
        }
        break;
    }
    name[len] = 0;
    return n;
}

static kql_op *new_op(parser *p, kql_op_kind kind, const kql_tok *start)
{
    kql_op *o = sp_arena_calloc(p->a, sizeof *o);
    o->kind = kind;
    o->pos = pos_of(start);
    return o;
}

/* Whether the current position starts a `name=value` parameter from `names` (NULL
 * terminated) or `hint.xxx=`. */
static bool at_param(const parser *p, const char *const *names, size_t *ntok)
{
    const kql_tok *t = peek(p);
    if (t->kind != KT_IDENT)
        return false;
    if (word_eq(p, t, "hint") && peek_at(p, 1)->kind == KT_DOT &&
        peek_at(p, 2)->kind == KT_IDENT && peek_at(p, 3)->kind == KT_ASSIGN) {
        *ntok = 3;
        return true;
    }
    if (peek_at(p, 1)->kind != KT_ASSIGN || !names)
        return false;
    for (size_t k = 0; names[k]; k++)
        if (word_eq(p, t, names[k])) {
            *ntok = 1;
            return true;
        }
    return false;
}

/* A parameter value: a bare word (inner, array, shuffle), true/false, a literal, or
 * -number. Never a call: in `kind=inner (T)` the parenthesis opens the join's operand. */
static kql_expr *parse_param_value(parser *p)
{
    const kql_tok *t = peek(p);
    bool bv;
    if (t->kind == KT_IDENT) {
        next(p);
        kql_expr *e = new_expr(p, KQL_E_NAME, t);
        if (word_bool(p, t, &bv)) {
            e->kind = KQL_E_LITERAL;
            e->u.lit.type = SP_TYPE_BOOL;
            e->u.lit.v.b = bv;
        } else {
            e->u.name.name = tok_text(p, t);
        }
        return e;
    }
    if (t->kind == KT_LPAREN)
        fail_expected(p, "a parameter value", "%s", "");
    return parse_unary(p);
}

static void parse_params(parser *p, kql_op *o, const char *const *names)
{
    vec v;
    vec_init(&v, sizeof(kql_opparam));
    if (o->nparams) { /* continue an earlier list (mv-expand takes them in two places) */
        for (size_t k = 0; k < o->nparams; k++)
            *(kql_opparam *)vec_push(p, &v) = o->params[k];
    }
    size_t nt;
    while (at_param(p, names, &nt)) {
        kql_opparam *pr = vec_push(p, &v);
        const kql_tok *t = peek(p);
        pr->name.pos = pos_of(t);
        pr->name.name = mkstr(p, p->text + t->off, p->toks[p->i + nt - 1].end - t->off);
        pr->name.pos.end = p->toks[p->i + nt - 1].end;
        p->i += nt;
        expect(p, KT_ASSIGN, "after parameter name");
        pr->value = parse_param_value(p);
    }
    o->params = v.items;
    o->nparams = v.n;
}

static const kql_opparam *find_param(const kql_op *o, const char *name)
{
    for (size_t k = 0; k < o->nparams; k++)
        if (sp_streq(o->params[k].name.name.s, o->params[k].name.name.len, name, strlen(name)))
            return &o->params[k];
    return NULL;
}

/* A column name that may hold '*' wildcards (project-away a*, union Signin*): the
 * pieces must touch (no spaces). */
static kql_expr *parse_name_pattern(parser *p, bool allow_expr)
{
    const kql_tok *t = peek(p);
    if (at_bracket_name(p)) {
        kql_expr *e = new_expr(p, KQL_E_NAME, t);
        e->u.name.name = parse_bracket_name(p).name;
        e->u.name.bracketed = true;
        return fin(p, e);
    }
    if (t->kind == KT_IDENT || t->kind == KT_STAR) {
        /* Collect touching ident / '*' tokens. */
        size_t j = p->i;
        bool star = false;
        while (p->toks[j].kind == KT_IDENT || p->toks[j].kind == KT_STAR) {
            star |= p->toks[j].kind == KT_STAR;
            if (!adjacent(&p->toks[j], &p->toks[j + 1]) ||
                (p->toks[j + 1].kind != KT_IDENT && p->toks[j + 1].kind != KT_STAR))
                break;
            j++;
        }
        if (star || (!allow_expr && t->kind == KT_IDENT)) {
            kql_expr *e = new_expr(p, KQL_E_NAME, t);
            e->u.name.name = mkstr(p, p->text + t->off, p->toks[j].end - t->off);
            e->u.name.wildcard = star;
            p->i = j + 1;
            return fin(p, e);
        }
    }
    if (allow_expr)
        return parse_unary(p);
    fail_expected(p, "a column name", "%s", "");
}

static kql_sortkey parse_sortkey(parser *p, bool default_desc)
{
    kql_sortkey k;
    memset(&k, 0, sizeof k);
    k.expr = parse_expr(p);
    k.desc = default_desc;
    if (accept_word(p, "asc")) {
        k.desc = false;
        k.dir_given = true;
    } else if (accept_word(p, "desc")) {
        k.desc = true;
        k.dir_given = true;
    }
    if (accept_word(p, "nulls")) {
        if (accept_word(p, "first"))
            k.nulls = KQL_NULLS_FIRST;
        else if (accept_word(p, "last"))
            k.nulls = KQL_NULLS_LAST;
        else
            fail_expected(p, "'first' or 'last'", "after 'nulls'");
    }
    return k;
}

static kql_sortkey *parse_sortkeys(parser *p, bool default_desc, size_t *n)
{
    vec v;
    vec_init(&v, sizeof(kql_sortkey));
    for (;;) {
        *(kql_sortkey *)vec_push(p, &v) = parse_sortkey(p, default_desc);
        if (!accept(p, KT_COMMA))
            break;
    }
    *n = v.n;
    return v.items;
}

static kql_expr **parse_by(parser *p, size_t *n)
{
    *n = 0;
    if (!accept_word(p, "by"))
        return NULL;
    return parse_item_list(p, n);
}

/* Whether the current token ends an operator's argument list. */
static bool at_op_end(const parser *p)
{
    kql_tok_kind k = peek(p)->kind;
    return k == KT_PIPE || k == KT_SEMI || k == KT_RPAREN || k == KT_EOF || k == KT_RBRACE;
}

static kql_join_kind join_kind_of(parser *p, const kql_opparam *pr)
{
    static const struct {
        const char *name;
        kql_join_kind k;
    } kinds[] = {
        {"innerunique", KQL_JOIN_INNERUNIQUE}, {"inner", KQL_JOIN_INNER},
        {"leftouter", KQL_JOIN_LEFTOUTER},     {"rightouter", KQL_JOIN_RIGHTOUTER},
        {"fullouter", KQL_JOIN_FULLOUTER},     {"leftanti", KQL_JOIN_LEFTANTI},
        {"anti", KQL_JOIN_LEFTANTI},           {"leftantisemi", KQL_JOIN_LEFTANTI},
        {"rightanti", KQL_JOIN_RIGHTANTI},     {"rightantisemi", KQL_JOIN_RIGHTANTI},
        {"leftsemi", KQL_JOIN_LEFTSEMI},       {"semi", KQL_JOIN_LEFTSEMI},
        {"rightsemi", KQL_JOIN_RIGHTSEMI},
    };
    if (!pr)
        return KQL_JOIN_DEFAULT;
    if (pr->value->kind == KQL_E_NAME)
        for (size_t k = 0; k < SP_ARRAY_LEN(kinds); k++)
            if (sp_streq(pr->value->u.name.name.s, pr->value->u.name.name.len, kinds[k].name,
                         strlen(kinds[k].name)))
                return kinds[k].k;
    kql_diag_at(p->err, p->text, p->len, pr->value->pos.off, pr->value->pos.end,
                "unknown join kind '%.*s' (want inner, innerunique, leftouter, rightouter, "
                "fullouter, leftanti, rightanti, leftsemi, rightsemi)",
                (int)SP_MIN(pr->value->pos.end - pr->value->pos.off, 40),
                p->text + pr->value->pos.off);
    longjmp(p->jb, 1);
}

/* The right side of join/lookup: (subquery) or a table name. */
static kql_expr *parse_table_operand(parser *p, const char *opname)
{
    if (at(p, KT_LPAREN)) {
        const kql_tok *lp = next(p);
        kql_expr *e = parse_pipe_expr(p);
        expect(p, KT_RPAREN, "to close the %s subquery opened at %u:%u", opname, lp->line,
               lp->col);
        return e;
    }
    if (at_name(p) || at(p, KT_IDENT))
        return parse_postfix(p);
    fail_expected(p, "a table or '(' subquery", "after '%s'", opname);
}

/* An implicit-input subquery in parentheses: `(summarize ...)`, `(top 1 by x | ...)`. */
static kql_expr *parse_subpipe(parser *p, const char *what)
{
    const kql_tok *lp = expect(p, KT_LPAREN, "%s", what);
    kql_expr *e = new_expr(p, KQL_E_PIPE, lp);
    vec ops;
    vec_init(&ops, sizeof(kql_op *));
    vec_push_ptr(p, &ops, parse_operator(p));
    while (accept(p, KT_PIPE))
        vec_push_ptr(p, &ops, parse_operator(p));
    e->u.pipe.ops = ops.items;
    e->u.pipe.nops = ops.n;
    expect(p, KT_RPAREN, "to close the subquery opened at %u:%u", lp->line, lp->col);
    return fin(p, e);
}

static void parse_mv_items(parser *p, kql_op *o)
{
    vec v;
    vec_init(&v, sizeof(kql_mvitem));
    for (;;) {
        kql_mvitem *it = vec_push(p, &v);
        it->expr = parse_item(p, false);
        if (accept_word(p, "to")) {
            it->has_type = true;
            const kql_tok *t = peek(p);
            if (!word_eq(p, t, "typeof") || peek_at(p, 1)->kind != KT_LPAREN)
                fail_expected(p, "typeof(type)", "after 'to'");
            kql_expr *ty = parse_typeof(p);
            it->to_type = ty->u.type;
        }
        if (!accept(p, KT_COMMA))
            break;
    }
    o->u.mv.items = v.items;
    o->u.mv.nitems = v.n;
}

static void parse_parse_op(parser *p, kql_op *o, const char *opname)
{
    static const char *const params[] = {"kind", "flags", NULL};
    parse_params(p, o, params);
    o->u.parse.source = parse_expr(p);
    expect_word(p, "with", o->kind == KQL_TOP_PARSE_WHERE ? "after the source of parse-where"
                                                           : "after the source of parse");
    vec v;
    vec_init(&v, sizeof(kql_parse_elem));
    while (!at_op_end(p)) {
        const kql_tok *t = peek(p);
        kql_parse_elem *pe = vec_push(p, &v);
        pe->pos = pos_of(t);
        if (t->kind == KT_STAR) {
            next(p);
            pe->kind = KQL_PE_STAR;
        } else if (t->kind == KT_STRING) {
            kql_expr *s = parse_string_lit(p);
            pe->kind = KQL_PE_STRING;
            pe->text = s->u.lit.s;
        } else if (t->kind == KT_IDENT || at_bracket_name(p)) {
            pe->kind = KQL_PE_COLUMN;
            pe->col.name = parse_name(p, "");
            pe->col.type = SP_TYPE_STRING;
            if (accept(p, KT_COLON)) {
                pe->typed = true;
                pe->col.type_pos = pos_of(peek(p));
                pe->col.type = parse_scalar_type(p);
            }
        } else {
            char tb[64];
            fail_at(p, t,
                    "expected '*', a string or a column name in the %s pattern, found %s",
                    opname, describe(p, t, tb, sizeof tb));
        }
        pe->pos.end = prev_end(p);
    }
    if (!v.n)
        fail_expected(p, "a pattern", "after 'with' in %s", opname);
    o->u.parse.elems = v.items;
    o->u.parse.nelems = v.n;
}

static void parse_make_series(parser *p, kql_op *o)
{
    static const char *const params[] = {"kind", NULL};
    parse_params(p, o, params);
    vec v;
    vec_init(&v, sizeof(kql_series_agg));
    for (;;) {
        kql_series_agg *ag = vec_push(p, &v);
        ag->expr = parse_item(p, false);
        if (at_word(p, "default") && peek_at(p, 1)->kind == KT_ASSIGN) {
            next(p);
            next(p);
            ag->deflt = parse_expr(p);
        }
        if (!accept(p, KT_COMMA))
            break;
    }
    o->u.series.aggs = v.items;
    o->u.series.naggs = v.n;
    expect_word(p, "on", "after the aggregations of make-series");
    /* the axis stops before `in range(...)` (which parse_expr would read as `in`) */
    o->u.series.on = parse_rel(p);
    if (accept_word(p, "in")) {
        /* legacy: on T in range(from, to, step) */
        const kql_tok *r = peek(p);
        if (!word_eq(p, r, "range") || peek_at(p, 1)->kind != KT_LPAREN)
            fail_expected(p, "range(start, stop, step)", "after 'in' in make-series");
        next(p);
        expect(p, KT_LPAREN, "after 'range'");
        o->u.series.from = parse_expr(p);
        expect(p, KT_COMMA, "after the start of range(start, stop, step)");
        o->u.series.to = parse_expr(p);
        expect(p, KT_COMMA, "after the stop of range(start, stop, step)");
        o->u.series.step = parse_expr(p);
        expect(p, KT_RPAREN, "to close range(start, stop, step)");
        o->u.series.in_range = true;
    } else {
        if (accept_word(p, "from"))
            o->u.series.from = parse_expr(p);
        if (accept_word(p, "to"))
            o->u.series.to = parse_expr(p);
        expect_word(p, "step", "in make-series (want on Time [from X] [to Y] step S)");
        o->u.series.step = parse_expr(p);
    }
    o->u.series.by = parse_by(p, &o->u.series.nby);
}

static void parse_top_nested(parser *p, kql_op *o)
{
    vec v;
    vec_init(&v, sizeof(kql_nested_level));
    for (;;) {
        kql_nested_level *lv = vec_push(p, &v);
        if (v.n > 1) { /* later levels repeat the keyword: `, top-nested 2 of b ...` */
            char nm[32];
            int nt = op_name_at(p, p->i, nm, sizeof nm);
            if (nt && !strcmp(nm, "top-nested"))
                p->i += (size_t)nt;
        }
        if (!at_word(p, "of"))
            lv->count = parse_expr(p);
        expect_word(p, "of", "in top-nested (want [N] of Expr by Aggregation)");
        lv->of = parse_item(p, false);
        if (accept_word(p, "with")) {
            expect_word(p, "others", "after 'with' in top-nested");
            expect(p, KT_ASSIGN, "after 'with others'");
            lv->others = parse_expr(p);
        }
        expect_word(p, "by", "in top-nested (want [N] of Expr by Aggregation)");
        kql_expr *agg = parse_item(p, false);
        lv->by.expr = agg;
        lv->by.desc = true;
        if (accept_word(p, "asc")) {
            lv->by.desc = false;
            lv->by.dir_given = true;
        } else if (accept_word(p, "desc")) {
            lv->by.dir_given = true;
        }
        if (!accept(p, KT_COMMA))
            break;
    }
    o->u.top_nested.levels = v.items;
    o->u.top_nested.nlevels = v.n;
}

/* union [params] T1, T2*, table("x"), (subquery) */
static void parse_union(parser *p, kql_op *o)
{
    static const char *const params[] = {"kind", "isfuzzy", "withsource", NULL};
    parse_params(p, o, params);
    vec v;
    vec_init(&v, sizeof(kql_expr *));
    for (;;) {
        if (at(p, KT_LPAREN)) {
            const kql_tok *lp = next(p);
            kql_expr *e = parse_pipe_expr(p);
            expect(p, KT_RPAREN, "to close the union subquery opened at %u:%u", lp->line,
                   lp->col);
            vec_push_ptr(p, &v, e);
        } else {
            vec_push_ptr(p, &v, parse_name_pattern(p, true));
        }
        if (!accept(p, KT_COMMA))
            break;
    }
    o->u.uni.tables = v.items;
    o->u.uni.ntables = v.n;
}

static void parse_search(parser *p, kql_op *o)
{
    static const char *const params[] = {"kind", NULL};
    parse_params(p, o, params);
    if (at_word(p, "in") && peek_at(p, 1)->kind == KT_LPAREN) {
        next(p);
        next(p);
        vec v;
        vec_init(&v, sizeof(kql_expr *));
        for (;;) {
            vec_push_ptr(p, &v, parse_name_pattern(p, false));
            if (!accept(p, KT_COMMA))
                break;
        }
        expect(p, KT_RPAREN, "to close the table list of search");
        o->u.search.tables = v.items;
        o->u.search.ntables = v.n;
    }
    o->u.search.pred = parse_expr(p);
}

typedef struct op_entry {
    const char *name;
    kql_op_kind kind;
} op_entry;

static int op_lookup(const op_entry *ops, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (!strcmp(name, ops[k].name))
            return (int)ops[k].kind;
    return -1;
}

static bool is_unsupported_op(const char *name)
{
    for (size_t k = 0; k < SP_ARRAY_LEN(unsupported_ops); k++)
        if (!strcmp(name, unsupported_ops[k]))
            return true;
    return false;
}

/* One operator at the current position (after '|', or first in a pipe). */
static kql_op *parse_operator(parser *p)
{
    enter(p);
    const kql_tok *t = peek(p);
    char name[64], tb[64];
    int nt = op_name_at(p, p->i, name, sizeof name);
    if (!nt) {
        if (t->kind == KT_EOF)
            fail_at(p, t, "expected a tabular operator after '|', found end of query");
        fail_at(p, t, "expected a tabular operator, found %s", describe(p, t, tb, sizeof tb));
    }
    /* An operator name is one word or touching `word-word` pieces; but `take-5` is take
     * followed by -5, so fall back to the first word when the joined one is unknown. */
    static const op_entry ops[] = {
#define KQL_X_NAME(nm, text) {text, KQL_TOP_##nm},
        KQL_OPERATORS(KQL_X_NAME)
#undef KQL_X_NAME
        {"filter", KQL_TOP_WHERE}, {"order", KQL_TOP_SORT}, {"limit", KQL_TOP_TAKE},
        {"mvexpand", KQL_TOP_MV_EXPAND}, {"mvapply", KQL_TOP_MV_APPLY},
    };
    int kind = op_lookup(ops, SP_ARRAY_LEN(ops), name);
    if (kind < 0 && nt > 1 && !is_unsupported_op(name)) {
        /* `take-5`, `where-x`: the first word alone may be the operator */
        char first_word[64];
        size_t w = SP_MIN((size_t)(t->end - t->off), sizeof first_word - 1);
        memcpy(first_word, p->text + t->off, w);
        first_word[w] = 0;
        kind = op_lookup(ops, SP_ARRAY_LEN(ops), first_word);
        if (kind >= 0) {
            nt = 1;
            memcpy(name, first_word, w + 1);
        }
    }
    if (kind < 0) {
        if (is_unsupported_op(name))
            fail_at(p, t, "unsupported: tabular operator '%s'", name);
        fail_at(p, t, "unknown tabular operator '%s'", name);
    }
    p->i += (size_t)nt;
    kql_op *o = new_op(p, (kql_op_kind)kind, t);
    static const char *const no_params[] = {NULL};
    switch (o->kind) {
    case KQL_TOP_WHERE:
        parse_params(p, o, no_params);
        o->u.where.expr = parse_expr(p);
        if (at(p, KT_ASSIGN))
            fail_at(p, peek(p), "'=' is assignment; compare with '==' in %s", name);
        break;
    case KQL_TOP_EXTEND:
    case KQL_TOP_PROJECT:
    case KQL_TOP_PRINT:
        parse_params(p, o, no_params);
        if (o->kind == KQL_TOP_PRINT && at_op_end(p))
            break;
        o->u.list.items = parse_item_list(p, &o->u.list.nitems);
        break;
    case KQL_TOP_SERIALIZE:
        if (!at_op_end(p))
            o->u.list.items = parse_item_list(p, &o->u.list.nitems);
        break;
    case KQL_TOP_PROJECT_AWAY:
    case KQL_TOP_PROJECT_KEEP: {
        vec v;
        vec_init(&v, sizeof(kql_expr *));
        for (;;) {
            vec_push_ptr(p, &v, parse_name_pattern(p, false));
            if (!accept(p, KT_COMMA))
                break;
        }
        o->u.list.items = v.items;
        o->u.list.nitems = v.n;
        break;
    }
    case KQL_TOP_PROJECT_RENAME: {
        vec v;
        vec_init(&v, sizeof(kql_expr *));
        for (;;) {
            const kql_tok *s = peek(p);
            kql_expr *e = new_expr(p, KQL_E_ASSIGN, s);
            kql_ident *id = sp_arena_calloc(p->a, sizeof *id);
            *id = parse_name(p, "in project-rename (want NewName = OldName)");
            e->u.assign.names = id;
            e->u.assign.nnames = 1;
            expect(p, KT_ASSIGN, "in project-rename (want NewName = OldName)");
            e->u.assign.value = parse_name_pattern(p, false);
            vec_push_ptr(p, &v, fin(p, e));
            if (!accept(p, KT_COMMA))
                break;
        }
        o->u.list.items = v.items;
        o->u.list.nitems = v.n;
        break;
    }
    case KQL_TOP_PROJECT_REORDER: {
        vec v;
        vec_init(&v, sizeof(kql_sortkey));
        for (;;) {
            kql_sortkey *k = vec_push(p, &v);
            k->expr = parse_name_pattern(p, false);
            if (accept_word(p, "asc") || accept_word(p, "granny-asc")) {
                k->dir_given = true;
            } else if (accept_word(p, "desc") || accept_word(p, "granny-desc")) {
                k->desc = k->dir_given = true;
            }
            if (!accept(p, KT_COMMA))
                break;
        }
        o->u.sort.keys = v.items;
        o->u.sort.nkeys = v.n;
        break;
    }
    case KQL_TOP_SUMMARIZE:
        parse_params(p, o, no_params);
        if (!at_word(p, "by") && !at_op_end(p))
            o->u.summarize.aggs = parse_item_list(p, &o->u.summarize.naggs);
        o->u.summarize.by = parse_by(p, &o->u.summarize.nby);
        if (!o->u.summarize.naggs && !o->u.summarize.nby)
            fail_at(p, peek(p), "summarize needs aggregations or 'by' keys, found %s",
                    describe(p, peek(p), tb, sizeof tb));
        break;
    case KQL_TOP_SORT:
        parse_params(p, o, no_params);
        expect_word(p, "by", "after 'sort'/'order'");
        o->u.sort.keys = parse_sortkeys(p, true, &o->u.sort.nkeys);
        break;
    case KQL_TOP_TAKE:
    case KQL_TOP_SAMPLE:
        parse_params(p, o, no_params);
        o->u.take.count = parse_expr(p);
        break;
    case KQL_TOP_SAMPLE_DISTINCT:
        parse_params(p, o, no_params);
        o->u.sample_distinct.count = parse_expr(p);
        expect_word(p, "of", "in sample-distinct (want N of Column)");
        o->u.sample_distinct.of = parse_expr(p);
        break;
    case KQL_TOP_TOP:
        parse_params(p, o, no_params);
        o->u.sort.count = parse_expr(p);
        expect_word(p, "by", "after the row count of 'top'");
        o->u.sort.keys = parse_sortkeys(p, true, &o->u.sort.nkeys);
        if (o->u.sort.nkeys != 1)
            fail_at(p, t, "top takes one 'by' expression; use sort by ... | take N");
        break;
    case KQL_TOP_TOP_NESTED: parse_top_nested(p, o); break;
    case KQL_TOP_DISTINCT:
        parse_params(p, o, no_params);
        o->u.list.items = parse_item_list(p, &o->u.list.nitems);
        break;
    case KQL_TOP_COUNT:
    case KQL_TOP_GETSCHEMA: break;
    case KQL_TOP_UNION: parse_union(p, o); break;
    case KQL_TOP_JOIN:
    case KQL_TOP_LOOKUP: {
        static const char *const params[] = {"kind", NULL};
        parse_params(p, o, params);
        o->u.join.jkind = join_kind_of(p, find_param(o, "kind"));
        o->u.join.right = parse_table_operand(p, name);
        expect_word(p, "on", o->kind == KQL_TOP_JOIN ? "after the right side of join"
                                                    : "after the right side of lookup");
        o->u.join.on = parse_item_list(p, &o->u.join.non);
        break;
    }
    case KQL_TOP_MV_EXPAND:
    case KQL_TOP_MV_APPLY: {
        static const char *const params[] = {"bagexpansion", "with_itemindex", "kind", NULL};
        parse_params(p, o, params);
        parse_mv_items(p, o);
        if (accept_word(p, "limit"))
            o->u.mv.limit = parse_expr(p);
        if (o->kind == KQL_TOP_MV_APPLY) {
            expect_word(p, "on", "in mv-apply (want mv-apply x on (subquery))");
            o->u.mv.apply = parse_subpipe(p, "after 'on' in mv-apply");
        }
        break;
    }
    case KQL_TOP_PARSE:
    case KQL_TOP_PARSE_WHERE: parse_parse_op(p, o, name); break;
    case KQL_TOP_EVALUATE:
    case KQL_TOP_INVOKE: {
        parse_params(p, o, no_params);
        const kql_tok *f = peek(p);
        if (f->kind != KT_IDENT || peek_at(p, 1)->kind != KT_LPAREN)
            fail_expected(p, "a function call", "after '%s'", name);
        next(p);
        kql_expr *c = new_expr(p, KQL_E_CALL, f);
        c->u.call.name = ident_of(p, f);
        o->u.evaluate.call = parse_call_args(p, c, f);
        /* `evaluate plugin(...) : (name:type, ...)`: the plugin's output schema */
        if (o->kind == KQL_TOP_EVALUATE && accept(p, KT_COLON)) {
            parse_schema(p, &o->u.evaluate.schema, "after ':' (want the output schema (name:type, ...))");
            o->u.evaluate.has_schema = true;
        }
        break;
    }
    case KQL_TOP_MAKE_SERIES: parse_make_series(p, o); break;
    case KQL_TOP_AS:
        parse_params(p, o, no_params);
        o->u.as.name = parse_name(p, "after 'as'");
        break;
    case KQL_TOP_RENDER:
        o->u.render.chart = parse_name(p, "after 'render' (want a visualization)");
        if (accept_word(p, "with")) {
            expect(p, KT_LPAREN, "after 'with' in render");
            o->u.render.props = parse_items_until(p, KT_RPAREN, false, &o->u.render.nprops);
            expect(p, KT_RPAREN, "to close the render properties");
        }
        break;
    case KQL_TOP_SEARCH: parse_search(p, o); break;
    case KQL_TOP_FACET:
        expect_word(p, "by", "after 'facet'");
        o->u.facet.by = parse_item_list(p, &o->u.facet.nby);
        if (accept_word(p, "with"))
            o->u.facet.with = parse_subpipe(p, "after 'with' in facet");
        break;
    case KQL_TOP_RANGE:
        o->u.range.col = parse_name(p, "after 'range'");
        expect_word(p, "from", "in range (want range x from A to B step S)");
        o->u.range.from = parse_expr(p);
        expect_word(p, "to", "in range (want range x from A to B step S)");
        o->u.range.to = parse_expr(p);
        expect_word(p, "step", "in range (want range x from A to B step S)");
        o->u.range.step = parse_expr(p);
        break;
    case KQL_OP_KIND_COUNT: break;
    }
    o->pos.end = prev_end(p);
    leave(p);
    return o;
}

/* ---- pipes and statements ---------------------------------------------------------------- */

/* Words that start a pipe as a source operator (`union A, B`, `print x = 1`). */
static bool at_source_operator(const parser *p)
{
    static const char *const words[] = {"union", "print", "range", "search", "evaluate", "find"};
    const kql_tok *t = peek(p);
    if (t->kind != KT_IDENT)
        return false;
    bool hit = false;
    for (size_t k = 0; k < SP_ARRAY_LEN(words); k++)
        hit |= word_eq(p, t, words[k]);
    if (!hit)
        return false;
    /* Otherwise a column of that name used in an expression: `search == 1`, `(range)`. */
    switch (peek_at(p, 1)->kind) {
    case KT_IDENT: case KT_LPAREN: case KT_STRING: case KT_LONG: case KT_REAL:
    case KT_TIMESPAN: case KT_RAWLIT: case KT_STAR: return true;
    case KT_MINUS: case KT_LBRACKET: return word_eq(p, t, "print");
    default: return false;
    }
}

static kql_expr *parse_pipe_tail(parser *p, kql_expr *source, const kql_tok *start)
{
    if (!at(p, KT_PIPE))
        return source;
    kql_expr *e = new_expr(p, KQL_E_PIPE, start);
    e->u.pipe.source = source;
    vec ops;
    vec_init(&ops, sizeof(kql_op *));
    while (accept(p, KT_PIPE))
        vec_push_ptr(p, &ops, parse_operator(p));
    e->u.pipe.ops = ops.items;
    e->u.pipe.nops = ops.n;
    return fin(p, e);
}

/* An expression that may continue with `| operator ...`, or a pipe that starts with a
 * source operator. */
static kql_expr *parse_pipe_expr(parser *p)
{
    enter(p);
    const kql_tok *start = peek(p);
    kql_expr *r;
    if (at_source_operator(p)) {
        kql_expr *e = new_expr(p, KQL_E_PIPE, start);
        vec ops;
        vec_init(&ops, sizeof(kql_op *));
        if (at_word(p, "find"))
            fail_at(p, start, "unsupported: tabular operator 'find'");
        vec_push_ptr(p, &ops, parse_operator(p));
        while (accept(p, KT_PIPE))
            vec_push_ptr(p, &ops, parse_operator(p));
        e->u.pipe.ops = ops.items;
        e->u.pipe.nops = ops.n;
        r = fin(p, e);
    } else {
        r = parse_pipe_tail(p, parse_expr(p), start);
    }
    leave(p);
    return r;
}

static kql_param_decl parse_param_decl(parser *p, bool tabular_ok, const char *ctx)
{
    kql_param_decl d;
    memset(&d, 0, sizeof d);
    d.name = parse_name(p, ctx);
    expect(p, KT_COLON, "after parameter '%s' (want name:type)", d.name.name.s);
    if (at(p, KT_LPAREN) && tabular_ok)
        parse_schema(p, &d.type, "");
    else
        d.type = parse_typeref(p);
    if (accept(p, KT_ASSIGN)) {
        if (d.type.tabular)
            fail_at(p, peek(p), "a tabular parameter cannot have a default value");
        d.deflt = parse_expr(p);
    }
    return d;
}

static kql_stmt **parse_statements(parser *p, kql_tok_kind close, size_t *n);

/* let f = [view] (params) { body } */
static kql_expr *parse_lambda(parser *p)
{
    const kql_tok *t = peek(p);
    kql_expr *e = new_expr(p, KQL_E_LAMBDA, t);
    if (accept_word(p, "view"))
        e->u.lambda.view = true;
    expect(p, KT_LPAREN, "to open the parameter list");
    vec v;
    vec_init(&v, sizeof(kql_param_decl));
    if (!at(p, KT_RPAREN)) {
        for (;;) {
            *(kql_param_decl *)vec_push(p, &v) = parse_param_decl(p, true, "in a parameter list");
            if (!accept(p, KT_COMMA))
                break;
        }
    }
    expect(p, KT_RPAREN, "to close the parameter list");
    e->u.lambda.params = v.items;
    e->u.lambda.nparams = v.n;
    const kql_tok *lb = expect(p, KT_LBRACE, "to open the function body");
    e->u.lambda.body = parse_statements(p, KT_RBRACE, &e->u.lambda.nbody);
    if (!e->u.lambda.nbody || e->u.lambda.body[e->u.lambda.nbody - 1]->kind != KQL_S_EXPR)
        fail_at(p, peek(p), "function body opened at %u:%u must end with an expression",
                lb->line, lb->col);
    expect(p, KT_RBRACE, "to close the function body opened at %u:%u", lb->line, lb->col);
    return fin(p, e);
}

/* `(` `)` `{`, or `(` name `:` — a function definition rather than an expression. */
static bool at_lambda(const parser *p)
{
    size_t k = 0;
    if (at_word(p, "view") && peek_at(p, 1)->kind == KT_LPAREN)
        k = 1;
    if (peek_at(p, k)->kind != KT_LPAREN)
        return false;
    const kql_tok *a = peek_at(p, k + 1);
    if (a->kind == KT_RPAREN)
        return peek_at(p, k + 2)->kind == KT_LBRACE;
    if (a->kind == KT_IDENT)
        return peek_at(p, k + 2)->kind == KT_COLON;
    if (a->kind == KT_LBRACKET) /* (['a b']:string) */
        return peek_at(p, k + 2)->kind == KT_STRING && peek_at(p, k + 3)->kind == KT_RBRACKET &&
               peek_at(p, k + 4)->kind == KT_COLON;
    return false;
}

static kql_stmt *new_stmt(parser *p, kql_stmt_kind kind, const kql_tok *t)
{
    kql_stmt *s = sp_arena_calloc(p->a, sizeof *s);
    s->kind = kind;
    s->pos = pos_of(t);
    return s;
}

static kql_stmt *parse_statement(parser *p)
{
    const kql_tok *t = peek(p);
    kql_stmt *s;
    if (at_word(p, "let") && (peek_at(p, 1)->kind == KT_IDENT ||
                              peek_at(p, 1)->kind == KT_LBRACKET)) {
        next(p);
        s = new_stmt(p, KQL_S_LET, t);
        s->u.let.name = parse_name(p, "after 'let'");
        expect(p, KT_ASSIGN, "after 'let %s'", s->u.let.name.name.s);
        if (at_lambda(p))
            s->u.let.value = parse_lambda(p);
        else
            s->u.let.value = parse_pipe_expr(p);
    } else if (at_word(p, "set") && peek_at(p, 1)->kind == KT_IDENT) {
        next(p);
        s = new_stmt(p, KQL_S_SET, t);
        /* option names may be dotted: set query_results_cache_max_age = 1d */
        const kql_tok *n0 = peek(p);
        size_t j = p->i;
        while (p->toks[j + 1].kind == KT_DOT && p->toks[j + 2].kind == KT_IDENT)
            j += 2;
        s->u.set.name.pos = pos_of(n0);
        s->u.set.name.name = mkstr(p, p->text + n0->off, p->toks[j].end - n0->off);
        s->u.set.name.pos.end = p->toks[j].end;
        p->i = j + 1;
        if (accept(p, KT_ASSIGN))
            s->u.set.value = parse_param_value(p);
    } else if (at_word(p, "declare") && word_eq(p, peek_at(p, 1), "query_parameters")) {
        next(p);
        next(p);
        s = new_stmt(p, KQL_S_DECLARE, t);
        expect(p, KT_LPAREN, "after 'declare query_parameters'");
        vec v;
        vec_init(&v, sizeof(kql_param_decl));
        if (!at(p, KT_RPAREN)) {
            for (;;) {
                *(kql_param_decl *)vec_push(p, &v) =
                    parse_param_decl(p, false, "in declare query_parameters");
                if (!accept(p, KT_COMMA))
                    break;
            }
        }
        expect(p, KT_RPAREN, "to close declare query_parameters(...)");
        s->u.declare.params = v.items;
        s->u.declare.nparams = v.n;
    } else if (at_word(p, "alias") || at_word(p, "pattern") || at_word(p, "restrict")) {
        if (peek_at(p, 1)->kind == KT_IDENT)
            fail_at(p, t, "unsupported: '%.*s' statement", (int)(t->end - t->off),
                    p->text + t->off);
        s = new_stmt(p, KQL_S_EXPR, t);
        s->u.expr = parse_pipe_expr(p);
    } else {
        s = new_stmt(p, KQL_S_EXPR, t);
        s->u.expr = parse_pipe_expr(p);
    }
    s->pos.end = prev_end(p);
    return s;
}

/* Statements separated by ';' up to `close` (KT_EOF or '}', not consumed). */
static kql_stmt **parse_statements(parser *p, kql_tok_kind close, size_t *n)
{
    vec v;
    vec_init(&v, sizeof(kql_stmt *));
    for (;;) {
        while (accept(p, KT_SEMI))
            ;
        if (at(p, close))
            break;
        vec_push_ptr(p, &v, parse_statement(p));
        if (at(p, close))
            break;
        if (!at(p, KT_SEMI)) {
            const kql_tok *t = peek(p);
            char tb[64];
            const kql_stmt *last = ((kql_stmt **)v.items)[v.n - 1];
            if (last->kind == KQL_S_EXPR && t->kind == KT_IDENT)
                fail_at(p, t, "unexpected %s after expression; expected '|' before an "
                              "operator, or ';' between statements",
                        describe(p, t, tb, sizeof tb));
            fail_at(p, t, "unexpected %s; expected %s", describe(p, t, tb, sizeof tb),
                    close == KT_EOF ? "'|', ';' or end of query" : "'|', ';' or '}'");
        }
    }
    *n = v.n;
    return v.items;
}

int kql_parse(const char *text, size_t len, sp_arena *arena, kql_query **out, sp_diag *err)
{
    kql_tok *toks = NULL;
    size_t ntoks = 0;
    *out = NULL;
    if (kql_lex(text, len, arena, &toks, &ntoks, err) != 0)
        return -1;
    parser *p = sp_xcalloc(1, sizeof *p);
    p->text = text;
    p->len = len;
    p->toks = toks;
    p->ntoks = ntoks;
    p->a = arena;
    p->err = err;
    if (setjmp(p->jb)) {
        free(p->toks);
        sp_buf_free(&p->dyn);
        free(p);
        return -1;
    }
    kql_query *q = sp_arena_calloc(arena, sizeof *q);
    q->text = text;
    q->len = len;
    q->stmts = parse_statements(p, KT_EOF, &q->nstmts);
    if (!q->nstmts)
        fail_at(p, peek(p), "empty query");
    free(p->toks);
    sp_buf_free(&p->dyn);
    free(p);
    *out = q;
    return 0;
}
