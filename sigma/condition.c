/* condition.c — the condition language: lexer, recursive-descent parser and the step that
 * turns a parsed condition into the detection program.
 *
 * Grammar (rules spec §Condition; precedence or < and < not < `x of` < parentheses):
 *     expr := and ('or' and)*          and := not ('and' not)*
 *     not  := 'not' not | prim         prim := '(' expr ')' | quant 'of' pattern | ident
 *     quant := '1' | 'any' | 'all'     pattern := word with '*' wildcards | 'them'
 * Keywords are lower case, as in the specification and pySigma. Every node keeps the position
 * of its token inside the YAML file (exact for one-line plain or single-quoted scalars), so
 * an unknown identifier is reported at its own column. `x of` patterns are anchored at both
 * ends and, like `them`, never select identifiers starting with `_`. The Sigma 1 pipe
 * aggregations (`| count() by x > 5`) are rejected: correlations replaced them.
 */
#include "sigma/sig_int.h"

#include <string.h>

typedef enum { T_END, T_LP, T_RP, T_WORD, T_BAD } tkind;

typedef struct tok {
    tkind k;
    size_t off, len;
} tok;

typedef struct parser {
    sig_ctx *c;
    const sig_ynode *node;
    const char *s;
    size_t n;
    tok t;
    size_t pos;
    const sig_detection *dets;
    uint32_t ndets;
    bool *used;
    bool failed;
    int depth;
} parser;

static bool word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.' || ch == '*';
}

static void next(parser *p)
{
    while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                             p->s[p->pos] == '\r'))
        p->pos++;
    p->t.off = p->pos;
    p->t.len = 1;
    if (p->pos >= p->n) {
        p->t.k = T_END;
        p->t.len = 0;
        return;
    }
    char ch = p->s[p->pos];
    if (ch == '(' || ch == ')') {
        p->t.k = ch == '(' ? T_LP : T_RP;
        p->pos++;
        return;
    }
    if (word_char(ch)) {
        size_t st = p->pos;
        while (p->pos < p->n && word_char(p->s[p->pos]))
            p->pos++;
        p->t.k = T_WORD;
        p->t.len = p->pos - st;
        return;
    }
    p->t.k = T_BAD;
}

static bool is(const parser *p, const char *w)
{
    return p->t.k == T_WORD && p->t.len == strlen(w) && !memcmp(p->s + p->t.off, w, p->t.len);
}

static void perr(parser *p, size_t off, size_t len, sig_reason r, const char *fmt, ...)
    SP_PRINTF(5, 6);

static void perr(parser *p, size_t off, size_t len, sig_reason r, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sig_err_at(p->c, p->node, off, (int)(len ? len : 1), r, "%s", msg);
}

static sig_pos tok_pos(const parser *p, size_t off)
{
    sig_pos pos = sig_pos_of(p->c, p->node);
    if (p->node->one_line)
        pos.col += (p->node->quoted ? 1 : 0) + (int)off;
    return pos;
}

static sig_cond *node(parser *p, sig_ckind k, size_t off)
{
    sig_cond *c = sp_arena_calloc(p->c->arena, sizeof *c);
    c->kind = k;
    c->pos = tok_pos(p, off);
    return c;
}

static const sig_cond *parse_or(parser *p);

static bool glob_match(const char *pat, size_t pn, const char *s)
{
    /* anchored `*` matching (identifier patterns) */
    size_t sn = strlen(s), pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && pat[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && pat[pi] == s[si]) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && pat[pi] == '*')
        pi++;
    return pi == pn;
}

static bool keyword_word(const parser *p)
{
    return is(p, "and") || is(p, "or") || is(p, "not") || is(p, "of") || is(p, "them");
}

static const sig_cond *parse_prim(parser *p)
{
    if (p->failed)
        return NULL;
    if (++p->depth > sp_limits.max_rule_depth) {
        perr(p, p->t.off, 1, SIG_R_TOO_DEEP, "condition nested deeper than %d levels",
             sp_limits.max_rule_depth);
        return NULL;
    }
    size_t off = p->t.off;
    const sig_cond *r = NULL;
    if (p->t.k == T_LP) {
        next(p);
        r = parse_or(p);
        if (!p->failed && p->t.k != T_RP)
            perr(p, p->t.off, p->t.len, SIG_R_CONDITION, "expected ')' here, found %s%.*s%s",
                 p->t.k == T_END ? "the end" : "'", (int)p->t.len, p->s + p->t.off,
                 p->t.k == T_END ? "" : "'");
        next(p);
        p->depth--;
        return p->failed ? NULL : r;
    }
    if (p->t.k == T_END) {
        perr(p, off, 1, SIG_R_CONDITION, "condition ends where a search identifier was expected");
        return NULL;
    }
    if (p->t.k != T_WORD) {
        perr(p, off, 1, SIG_R_CONDITION, "unexpected character '%c' in condition", p->s[off]);
        return NULL;
    }
    size_t wlen = p->t.len;
    const char *w = p->s + off;
    if (keyword_word(p) && !is(p, "them")) {
        perr(p, off, wlen, SIG_R_CONDITION, "expected a search identifier, found '%.*s'",
             (int)wlen, w);
        return NULL;
    }
    next(p);
    if (is(p, "of")) {
        sig_quant q;
        if (wlen == 1 && w[0] == '1')
            q = SIG_Q_ONE;
        else if (wlen == 3 && !memcmp(w, "any", 3))
            q = SIG_Q_ANY;
        else if (wlen == 3 && !memcmp(w, "all", 3))
            q = SIG_Q_ALL;
        else {
            perr(p, off, wlen, SIG_R_CONDITION,
                 "'%.*s of' is not a quantifier: use '1 of', 'any of' or 'all of'", (int)wlen, w);
            return NULL;
        }
        next(p);
        if (p->t.k != T_WORD || (keyword_word(p) && !is(p, "them"))) {
            perr(p, p->t.off, p->t.len, SIG_R_CONDITION,
                 "expected a search identifier pattern or 'them' after 'of'");
            return NULL;
        }
        sig_cond *c = node(p, SIG_C_OF, off);
        c->quant = q;
        c->them = is(p, "them");
        c->name = sig_strdup(p->c->arena, p->s + p->t.off, p->t.len);
        uint32_t *sel = sp_arena_alloc(p->c->arena, (p->ndets + 1) * sizeof *sel);
        uint32_t ns = 0;
        for (uint32_t i = 0; i < p->ndets; i++) {
            const char *name = p->dets[i].name;
            if (name[0] == '_')
                continue; /* never selected by them or a pattern */
            if (c->them || glob_match(c->name, p->t.len, name)) {
                sel[ns++] = i;
                p->used[i] = true;
            }
        }
        if (!ns) {
            if (c->them)
                perr(p, p->t.off, p->t.len, SIG_R_UNKNOWN_IDENT,
                     "'them' selects no search identifier (identifiers starting with _ are never "
                     "selected)");
            else
                perr(p, p->t.off, p->t.len, SIG_R_UNKNOWN_IDENT,
                     "pattern '%s' matches no search identifier (identifiers starting with _ are "
                     "never selected)",
                     c->name);
            return NULL;
        }
        c->dets = sel;
        c->ndets = ns;
        next(p);
        p->depth--;
        return c;
    }
    if (wlen == 4 && !memcmp(w, "them", 4)) {
        perr(p, off, wlen, SIG_R_CONDITION, "'them' needs a quantifier: '1 of them', 'all of them'");
        return NULL;
    }
    if (memchr(w, '*', wlen)) {
        perr(p, off, wlen, SIG_R_CONDITION,
             "wildcard pattern '%.*s' needs a quantifier: '1 of ...' or 'all of ...'", (int)wlen, w);
        return NULL;
    }
    for (uint32_t i = 0; i < p->ndets; i++) {
        if (strlen(p->dets[i].name) == wlen && !memcmp(p->dets[i].name, w, wlen)) {
            sig_cond *c = node(p, SIG_C_ID, off);
            c->name = p->dets[i].name;
            c->det = i;
            p->used[i] = true;
            p->depth--;
            return c;
        }
    }
    bool upper_kw = (wlen == 3 && (!memcmp(w, "AND", 3) || !memcmp(w, "NOT", 3))) ||
                    (wlen == 2 && !memcmp(w, "OR", 2));
    perr(p, off, wlen, SIG_R_UNKNOWN_IDENT,
         upper_kw ? "unknown search identifier '%.*s' (condition keywords are lower case)"
                  : "unknown search identifier '%.*s'",
         (int)wlen, w);
    return NULL;
}

static const sig_cond *parse_not(parser *p)
{
    if (is(p, "not")) {
        size_t off = p->t.off;
        next(p);
        if (++p->depth > sp_limits.max_rule_depth) {
            perr(p, off, 3, SIG_R_TOO_DEEP, "condition nested deeper than %d levels",
                 sp_limits.max_rule_depth);
            return NULL;
        }
        const sig_cond *a = parse_not(p);
        p->depth--;
        if (!a)
            return NULL;
        sig_cond *c = node(p, SIG_C_NOT, off);
        c->a = a;
        return c;
    }
    return parse_prim(p);
}

static const sig_cond *parse_bin(parser *p, bool is_or)
{
    const sig_cond *a = is_or ? parse_bin(p, false) : parse_not(p);
    while (a && is(p, is_or ? "or" : "and")) {
        size_t off = p->t.off;
        next(p);
        const sig_cond *b = is_or ? parse_bin(p, false) : parse_not(p);
        if (!b)
            return NULL;
        sig_cond *c = node(p, is_or ? SIG_C_OR : SIG_C_AND, off);
        c->a = a;
        c->b = b;
        a = c;
    }
    return a;
}

static const sig_cond *parse_or(parser *p)
{
    return parse_bin(p, true);
}

/* Parses one condition string and resolves its identifiers; NULL after reporting errors. */
static const sig_cond *parse_condition(sig_ctx *c, const sig_ynode *n, const sig_detection *dets,
                                       uint32_t ndets, bool *used)
{
    if (n->kind != SIG_Y_SCALAR || n->type != SIG_YT_STR) {
        sig_err(c, n, SIG_R_CONDITION, "a condition must be a string, not %s", sig_ytype_name(n));
        return NULL;
    }
    const char *bar = memchr(n->s, '|', n->len);
    if (bar) {
        sig_err_at(c, n, (size_t)(bar - n->s), 1, SIG_R_AGGREGATION,
                   "'|' aggregations (count() by ...) are the deprecated Sigma 1 syntax; write a "
                   "correlation rule instead");
        return NULL;
    }
    parser p = {.c = c, .node = n, .s = n->s, .n = n->len, .dets = dets, .ndets = ndets,
                .used = used};
    next(&p);
    if (p.t.k == T_END) {
        sig_err(c, n, SIG_R_CONDITION, "empty condition");
        return NULL;
    }
    const sig_cond *r = parse_or(&p);
    if (r && !p.failed && p.t.k != T_END)
    {
        if (p.t.k == T_RP)
            perr(&p, p.t.off, p.t.len, SIG_R_CONDITION, "unbalanced ')'");
        else
            perr(&p, p.t.off, p.t.len, SIG_R_CONDITION,
                 "expected 'and', 'or' or the end, found '%.*s'", (int)p.t.len, p.s + p.t.off);
    }
    return p.failed ? NULL : r;
}

bool sig_parse_conditions(sig_ctx *c, const sig_ynode *block, const char *where, bool allow_list,
                          const sig_detection *dets, uint32_t ndets, const sig_cond ***out,
                          uint32_t *nout)
{
    const sig_ynode *cond = sig_ymap_get(block, "condition");
    if (!cond) {
        sig_err(c, block, SIG_R_MISSING_FIELD, "missing required field '%s.condition'", where);
        return false;
    }
    size_t nc = cond->kind == SIG_Y_SEQ && allow_list ? cond->n : 1;
    if (cond->kind == SIG_Y_MAP || nc == 0) {
        sig_err(c, cond, SIG_R_CONDITION, "'condition' must be a string%s",
                allow_list ? " or a list of strings" : "");
        return false;
    }
    bool *used = sp_arena_calloc(c->arena, ndets + 1);
    const sig_cond **conds = sp_arena_alloc(c->arena, nc * sizeof *conds);
    bool ok = true;
    for (size_t i = 0; i < nc; i++) {
        const sig_ynode *cn = cond->kind == SIG_Y_SEQ && allow_list ? cond->items[i] : cond;
        conds[i] = parse_condition(c, cn, dets, ndets, used);
        ok = ok && conds[i];
    }
    if (!ok)
        return false;
    for (uint32_t i = 0; i < ndets; i++) {
        if (used[i])
            continue;
        const sig_ynode *key = NULL;
        for (size_t j = 0; j < block->n && !key; j++)
            if (!strcmp(block->items[2 * j]->s, dets[i].name))
                key = block->items[2 * j];
        sig_warn(c, key, SIG_R_W_UNUSED, "search identifier '%s' is not used by the condition",
                 dets[i].name);
    }
    *out = conds;
    *nout = (uint32_t)nc;
    return true;
}

/* ---- condition -> program ------------------------------------------------------------------ */

typedef struct kids {
    const sig_expr **v;
    size_t n, cap;
} kids;

/* Adds e to an n-ary node of kind k, splicing e's children when it has the same kind
 * (a and (b and c) is and(a, b, c)). */
static void add_kid(kids *ks, sig_xkind k, const sig_expr *e)
{
    if (e->kind == k) {
        for (uint32_t i = 0; i < e->n; i++)
            add_kid(ks, k, e->kids[i]);
        return;
    }
    SP_GROW(ks->v, ks->cap, ks->n + 1);
    ks->v[ks->n++] = e;
}

static void collect(sp_arena *a, const sig_cond *c, sig_ckind ck, sig_xkind xk,
                    const sig_detection *dets, kids *ks)
{
    if (c->kind == ck) {
        collect(a, c->a, ck, xk, dets, ks);
        collect(a, c->b, ck, xk, dets, ks);
    } else {
        add_kid(ks, xk, sig_cond_to_expr(a, c, dets));
    }
}

static const sig_expr *nary(sp_arena *a, sig_xkind k, sig_pos pos, kids *ks)
{
    const sig_expr *r;
    if (ks->n == 1) {
        r = ks->v[0];
    } else {
        sig_expr *e = sig_expr_new(a, k, pos, (uint32_t)ks->n);
        memcpy((void *)e->kids, ks->v, ks->n * sizeof *ks->v);
        r = e;
    }
    free(ks->v);
    return r;
}

const sig_expr *sig_cond_to_expr(sp_arena *a, const sig_cond *c, const sig_detection *dets)
{
    switch (c->kind) {
    case SIG_C_ID:
        return dets[c->det].body;
    case SIG_C_NOT: {
        sig_expr *e = sig_expr_new(a, SIG_X_NOT, c->pos, 1);
        ((const sig_expr **)e->kids)[0] = sig_cond_to_expr(a, c->a, dets);
        return e;
    }
    case SIG_C_AND:
    case SIG_C_OR: {
        sig_xkind xk = c->kind == SIG_C_AND ? SIG_X_AND : SIG_X_OR;
        kids ks = {0};
        collect(a, c, c->kind, xk, dets, &ks);
        return nary(a, xk, c->pos, &ks);
    }
    case SIG_C_OF: {
        sig_xkind xk = c->quant == SIG_Q_ALL ? SIG_X_AND : SIG_X_OR;
        kids ks = {0};
        for (uint32_t i = 0; i < c->ndets; i++)
            add_kid(&ks, xk, dets[c->dets[i]].body);
        return nary(a, xk, c->pos, &ks);
    }
    }
    return NULL;
}
