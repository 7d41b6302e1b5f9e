/* fn_sigma.c — the matchers Sigma modifiers lower to that KQL has no single operator for:
 * $glob (a value with inner `*`/`?` wildcards) and $cidr (the `cidr` modifier), Sigma's
 * numeric reading of strings ($str_num), and the field-path builtins that give Sigma's
 * field semantics over dynamic values ($any, $path, $path_exists, $keyword). All are pure,
 * so they run once per dictionary entry like any other predicate.
 *
 * $glob(text, pattern [, cased]): anchored; `*` is any run of characters, `?` exactly one
 * character (one UTF-8 code point); `\*`, `\?` and `\\` are literal, a backslash before
 * anything else is itself (Sigma specification, escaping). Case-insensitive unless cased,
 * with the simple case folding of kf_lower_cp (ASCII, Latin-1, Latin Extended-A, Greek,
 * Cyrillic).
 *
 * $cidr(text, network [, same_family]): the text is an IPv4 or IPv6 address (IPv4 also as
 * IPv4-mapped IPv6) inside the network; anything that is not an address is false. With
 * same_family (Sigma's reading, tests/sigma-conformance/README.md) the address must be
 * written in the network's family: ::ffff:10.0.0.1 is an IPv6 address, not in 10.0.0.0/8.
 * A constant network is parsed once.
 *
 * $sig_present / $sig_isnull / $sig_notnull(x): Sigma's presence of a cell (`exists`,
 * `null`, and the guard of tests that hold on ""), read from the vector's presence
 * bitmaps (exec_int.h: kvec.unset, kvec.jnull) — per row, so never per dictionary entry,
 * and without decoding a dictionary column. A vector without them reads as Kusto's: a null
 * is absent, a string is a value.
 */
#include "engine/exec/fn_util.h"
#include "engine/exec/ip.h"

#include <stdlib.h>
#include <string.h>

/* Reads one pattern element at *i: returns 0 for a literal (code point in *cp), '*' or '?'. */
static int glob_elem(const char *p, size_t n, size_t *i, uint32_t *cp)
{
    char ch = p[*i];
    if (ch == '*' || ch == '?') {
        (*i)++;
        return ch;
    }
    if (ch == '\\' && *i + 1 < n && (p[*i + 1] == '*' || p[*i + 1] == '?' || p[*i + 1] == '\\')) {
        *cp = (unsigned char)p[*i + 1];
        *i += 2;
        return 0;
    }
    *cp = kf_utf8_next(p, n, i);
    return 0;
}

static bool glob_match(const char *s, size_t sn, const char *p, size_t pn, bool cased)
{
    size_t si = 0, pi = 0;
    size_t star_p = SIZE_MAX, star_s = 0;
    while (si < sn) {
        if (pi < pn) {
            size_t npi = pi;
            uint32_t pc = 0;
            int k = glob_elem(p, pn, &npi, &pc);
            if (k == '*') {
                star_p = npi;
                star_s = si;
                pi = npi;
                continue;
            }
            size_t nsi = si;
            uint32_t sc = kf_utf8_next(s, sn, &nsi);
            if (k == '?' || sc == pc || (!cased && kf_lower_cp(sc) == kf_lower_cp(pc))) {
                si = nsi;
                pi = npi;
                continue;
            }
        }
        if (star_p == SIZE_MAX)
            return false;
        kf_utf8_next(s, sn, &star_s); /* the star takes one more character */
        si = star_s;
        pi = star_p;
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

static void fn_glob(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    bool cased = n > 2 && !a[2].null && a[2].u.b;
    if (a[0].null) {
        kf_bool(out, false);
        return;
    }
    kf_bool(out, glob_match(a[0].u.s.p, a[0].u.s.n, a[1].u.s.p, a[1].u.s.n, cased));
}

typedef struct cidr_state {
    kip net;
    bool fixed, valid;
} cidr_state;

static int cidr_init(kfctx *c, const kx *call, void **state)
{
    cidr_state *st = sp_xcalloc(1, sizeof *st);
    *state = st;
    const kx *net = call->args[1];
    if (net->kind == KX_CONST && sp_type_is_text(net->value.type)) {
        st->fixed = true;
        st->valid = kip_parse(net->value.u.s.p, net->value.u.s.n, &st->net);
        if (!st->valid)
            return kexec_fail(c->ex, net->line, net->col, "not an IPv4 or IPv6 network: '%.*s'", (int)net->value.u.s.n,
                              net->value.u.s.p);
    }
    return 0;
}

static void cidr_free(void *p)
{
    free(p);
}

static void fn_cidr(kfctx *c, kval *out, const kval *a, int n)
{
    cidr_state *st = c->state;
    bool same_family = n > 2 && !a[2].null && a[2].u.b;
    kip net, ip;
    if (st->fixed)
        net = st->net;
    else if (!kip_parse(a[1].u.s.p, a[1].u.s.n, &net)) {
        kf_bool(out, false);
        return;
    }
    if (a[0].null || !kip_parse(a[0].u.s.p, a[0].u.s.n, &ip) || ip.prefix != 128 ||
        memchr(a[0].u.s.p, '/', a[0].u.s.n)) {
        kf_bool(out, false);
        return;
    }
    kf_bool(out, (!same_family || ip.v4 == net.v4) && kip_in(&ip, &net));
}

/* ---- $str_num: Sigma's numeric reading of a string ---- */

static void fn_str_num(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    double v;
    if (kf_parse_decimal(a[0].u.s.p, a[0].u.s.n, &v))
        kf_real(out, v);
    else
        kf_null(out, SP_TYPE_REAL);
}

/* ---- field paths ----
 *
 * A Sigma field path is a dotted name ("DeviceDetail.trustType") followed from a dynamic
 * value. Each step picks the member with exactly that name, else the first member whose
 * name matches ignoring case (Sigma field names are case-insensitive, Log Analytics keys
 * are camelCase). An array met where a member is needed is crossed: the step applies to
 * each element, so a path names every value it reaches ("ConditionalAccessPolicies.result"
 * is the result of each policy). A value at the end of the path is not expanded: an array
 * there is one value (matched as its JSON text).
 *
 * $any(value, path, predicate): true when the predicate holds for some value the path
 * reaches; when it reaches none (absent key, JSON null on the way), the predicate is
 * applied once to null, which is how `null` matches an absent field and every other test
 * fails on it. The predicate is a compiled lambda run over all the values of a batch at
 * once (one vector program call per batch, not per value).
 * $keyword(value, predicate): true when the predicate holds for some string value at any
 * depth (arrays and objects searched, keys not); false when there is none.
 * $path(value, path): the one value at the path without crossing arrays, or null.
 * $path_exists(value, path): some object reached by the path's parent has the last key,
 * whatever its value (null included). */

typedef struct path_state {
    kstr *steps;
    int nsteps;
    kprog prog;
    bool has_prog;
    sp_arena arena;
} path_state;

/* The member of object o named name: exact first, then ignoring case. */
static bool member_ci(kstr o, kstr name, kstr *out)
{
    if (kj_member(o, name.p, name.n, out))
        return true;
    kj_iter it;
    kstr k, v;
    if (!kj_obj_begin(o, &it))
        return false;
    while (kj_obj_next(&it, &k, &v))
        if (kj_key_ieq(k, name.p, name.n)) {
            *out = v;
            return true;
        }
    return false;
}

typedef struct elems {
    kstr *v;
    uint32_t *owner;
    uint32_t n, cap;
} elems;

static void elems_push(elems *e, kstr v, uint32_t owner)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 256;
        e->v = sp_xrealloc(e->v, sizeof(kstr) * e->cap);
        e->owner = sp_xrealloc(e->owner, sizeof(uint32_t) * e->cap);
    }
    e->v[e->n] = v;
    e->owner[e->n++] = owner;
}

/* Follows steps[k..] from v, crossing arrays, pushing every value reached (JSON null
 * values are not pushed: they are no value). depth bounds pathological nesting. */
static void path_walk(kstr v, const kstr *steps, int k, int nsteps, uint32_t owner, elems *out, int depth)
{
    if (depth > 64)
        return;
    kj_type t = kj_typeof(v);
    if (k == nsteps) {
        if (t != KJ_NULL)
            elems_push(out, v, owner);
        return;
    }
    kj_iter it;
    kstr x;
    if (t == KJ_ARRAY) {
        if (kj_arr_begin(v, &it))
            while (kj_arr_next(&it, &x))
                path_walk(x, steps, k, nsteps, owner, out, depth + 1);
    } else if (t == KJ_OBJECT && member_ci(v, steps[k], &x)) {
        path_walk(x, steps, k + 1, nsteps, owner, out, depth + 1);
    }
}

static void strings_walk(kstr v, uint32_t owner, elems *out, int depth)
{
    if (depth > 64)
        return;
    kj_iter it;
    kstr k, x;
    switch (kj_typeof(v)) {
    case KJ_STRING: elems_push(out, v, owner); break;
    case KJ_ARRAY:
        if (kj_arr_begin(v, &it))
            while (kj_arr_next(&it, &x))
                strings_walk(x, owner, out, depth + 1);
        break;
    case KJ_OBJECT:
        if (kj_obj_begin(v, &it))
            while (kj_obj_next(&it, &k, &x))
                strings_walk(x, owner, out, depth + 1);
        break;
    default: break;
    }
}

static int split_path(kfctx *c, path_state *st, const kx *arg)
{
    if (arg->kind != KX_CONST || arg->type != SP_TYPE_STRING)
        return kexec_fail(c->ex, arg->line, arg->col, "internal: a field path must be a constant string");
    kstr p = arg->value.u.s;
    int n = 1;
    for (uint32_t i = 0; i < p.n; i++)
        n += p.p[i] == '.';
    st->steps = sp_arena_alloc(&st->arena, sizeof(kstr) * (size_t)n);
    uint32_t start = 0;
    for (uint32_t i = 0; i <= p.n; i++)
        if (i == p.n || p.p[i] == '.') {
            st->steps[st->nsteps].p = p.p + start;
            st->steps[st->nsteps++].n = i - start;
            start = i + 1;
        }
    return 0;
}

static int path_init(kfctx *c, const kx *call, void **state)
{
    path_state *st = sp_xcalloc(1, sizeof *st);
    *state = st;
    int lambda_arg = -1;
    if (call->fn == KB_keyword_any)
        lambda_arg = 1;
    else {
        if (split_path(c, st, call->args[1]) != 0)
            return -1;
        if (call->fn == KB_path_any)
            lambda_arg = 2;
    }
    if (lambda_arg >= 0) {
        const kx *l = call->args[lambda_arg];
        if (l->kind != KX_LAMBDA)
            return kexec_fail(c->ex, l->line, l->col, "internal: %s needs a predicate", kb_get(call->fn)->name);
        if (kprog_compile_lambda(c->ex, l, &st->prog) != 0)
            return -1;
        st->has_prog = true;
    }
    return 0;
}

static void path_free(void *p)
{
    path_state *st = p;
    if (st->has_prog)
        kprog_free(&st->prog);
    sp_arena_free(&st->arena);
    free(st);
}

static void path_explain(const void *p, sp_buf *out)
{
    const path_state *st = p;
    if (st->has_prog)
        kprog_explain_indent(&st->prog, out, "         v: ");
}

/* $any and $keyword: gather the values of every selected row, run the predicate over all
 * of them in one program call, OR the results back per row. */
static void vec_path_pred(kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel, uint32_t nsel, uint32_t n)
{
    (void)nargs;
    path_state *st = c->state;
    bool any = c->call->fn == KB_path_any;
    uint32_t rows = sel ? nsel : n;
    elems e = {0};
    for (uint32_t k = 0; k < rows; k++) {
        uint32_t i = sel ? sel[k] : k;
        out->d.b[i] = 0;
        kval v;
        kvec_get(args[0], i, &v);
        uint32_t before = e.n;
        if (c->at_path) { /* the values at the path, listed (dynpath.c) */
            kj_iter it;
            kstr x;
            if (kj_arr_begin(v.u.s, &it))
                while (kj_arr_next(&it, &x))
                    if (kj_typeof(x) != KJ_NULL)
                        elems_push(&e, x, i);
        } else if (!v.null) {
            if (any)
                path_walk(v.u.s, st->steps, 0, st->nsteps, i, &e, 0);
            else
                strings_walk(v.u.s, i, &e, 0);
        }
        if (any && e.n == before)
            elems_push(&e, (kstr){"", 0}, i); /* nothing there: the predicate sees null */
    }
    if (e.n) {
        kvec *ev = kvec_new_flat(c->arena, SP_TYPE_DYNAMIC, e.n);
        memcpy(ev->d.s, e.v, sizeof(kstr) * e.n);
        kbatch b = {.n = e.n, .ncols = 1, .cols = &ev, .arena = c->arena};
        kvec *r = kprog_eval(c->ex, &st->prog, &b, c->arena);
        if (r)
            for (uint32_t j = 0; j < e.n; j++)
                if (!kvec_is_null(r, j) && kvec_bool(r, j))
                    out->d.b[e.owner[j]] = 1;
    }
    free(e.v);
    free(e.owner);
}

static void fn_path_get(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    path_state *st = c->state;
    *out = kval_null(SP_TYPE_DYNAMIC);
    if (a[0].null)
        return;
    kstr v = a[0].u.s;
    if (c->at_path)
        v = kpath_first(v);
    else
        for (int k = 0; k < st->nsteps; k++)
            if (kj_typeof(v) != KJ_OBJECT || !member_ci(v, st->steps[k], &v))
                return;
    if (kj_typeof(v) == KJ_NULL)
        return;
    out->null = false;
    out->u.s = v;
}

static bool exists_walk(kstr v, const kstr *steps, int k, int nsteps, int depth)
{
    if (depth > 64)
        return false;
    kj_iter it;
    kstr x;
    switch (kj_typeof(v)) {
    case KJ_ARRAY:
        if (kj_arr_begin(v, &it))
            while (kj_arr_next(&it, &x))
                if (exists_walk(x, steps, k, nsteps, depth + 1))
                    return true;
        return false;
    case KJ_OBJECT:
        if (!member_ci(v, steps[k], &x))
            return false;
        return k + 1 == nsteps || exists_walk(x, steps, k + 1, nsteps, depth + 1);
    default: return false;
    }
}

static void fn_path_exists(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    path_state *st = c->state;
    if (c->at_path)
        kf_bool(out, !a[0].null && !kpath_list_empty(a[0].u.s));
    else
        kf_bool(out, !a[0].null && st->nsteps > 0 && exists_walk(a[0].u.s, st->steps, 0, st->nsteps, 0));
}

/* ---- presence ---- */

static sp_presence presence_at(const kvec *v, uint32_t i)
{
    if (sp_bit(v->jnull, i))
        return SP_CELL_NULL;
    bool none = v->type == SP_TYPE_STRING || v->type == SP_TYPE_GUID ? sp_bit(v->unset, i) : kvec_is_null(v, i);
    return none ? SP_CELL_ABSENT : SP_CELL_VALUE;
}

static void vec_presence(kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel, uint32_t nsel, uint32_t n)
{
    (void)nargs;
    const kvec *v = args[0];
    kb_id fn = c->call->fn;
    /* result per state: absent, JSON null, value */
    uint8_t res[3] = {fn == KB_sig_isnull, fn != KB_sig_notnull, fn != KB_sig_isnull};
    uint32_t rows = sel ? nsel : n;
    for (uint32_t k = 0; k < rows; k++) {
        uint32_t i = sel ? sel[k] : k;
        out->d.b[i] = res[presence_at(v, i)];
    }
}

const kfn_reg kfn_sigma[] = {
    {KB_sig_present, {.vec = vec_presence, .any_enc = true}},
    {KB_sig_isnull, {.vec = vec_presence, .any_enc = true}},
    {KB_sig_notnull, {.vec = vec_presence, .any_enc = true}},
    {KB_glob_match, {.scalar = fn_glob, .dict_ok = true}},
    {KB_cidr_match, {.scalar = fn_cidr, .init = cidr_init, .free = cidr_free, .dict_ok = true}},
    {KB_str_num, {.scalar = fn_str_num, .dict_ok = true}},
    {KB_path_any, {.vec = vec_path_pred, .init = path_init, .free = path_free, .explain = path_explain, .dict_ok = true}},
    {KB_keyword_any, {.vec = vec_path_pred, .init = path_init, .free = path_free, .explain = path_explain, .dict_ok = true}},
    {KB_path_get, {.scalar = fn_path_get, .init = path_init, .free = path_free, .dict_ok = true}},
    {KB_path_exists, {.scalar = fn_path_exists, .init = path_init, .free = path_free, .dict_ok = true}},
    {(kb_id)-1, {0}},
};
