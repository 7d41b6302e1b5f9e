/* fn_core.c — the builtins every detection leans on: comparisons, the string operators
 * with Kusto's exact case and term rules, set membership, logic, arithmetic, conversions,
 * null tests, dynamic member access, iff/case/coalesce, now/ago/bin.
 *
 * Kernels receive arguments already converted to the types their signature declares
 * (the binder inserts conversions), so each kernel handles one meaning. Comparisons and
 * the string predicates have vector kernels (a loop over the rows with the test inlined,
 * no call per row) that compute exactly what their scalar kernels define; everything else
 * is a scalar kernel the dispatcher maps over the selected rows or dictionary entries.
 *
 * `has` semantics: a term is a maximal run of alphanumeric characters (ASCII letters and
 * digits; bytes of non-ASCII UTF-8 count as letters). `x has t` is true when t occurs in
 * x starting at a term boundary and ending at one, ignoring case; a needle that starts
 * or ends with a non-alphanumeric character needs no boundary on that side.
 */
#include "engine/exec/fn_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- text helpers ---- */

static inline bool term_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') || c >= 0x80;
}

static bool ieq_bytes(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sp_ascii_lower(a[i]) != sp_ascii_lower(b[i]))
            return false;
    return true;
}

/* Next occurrence of needle in hay at or after from; -1 when none. */
static long find_at(const char *hay, size_t hn, const char *needle, size_t nn, size_t from, bool cs)
{
    if (nn == 0)
        return (long)from;
    if (nn > hn)
        return -1;
    if (cs) {
        const char *p = hn - from >= nn ? memmem(hay + from, hn - from, needle, nn) : NULL;
        return p ? (long)(p - hay) : -1;
    }
    char f0 = sp_ascii_lower(needle[0]), f1 = (char)(f0 >= 'a' && f0 <= 'z' ? f0 - 32 : f0);
    for (size_t i = from; i + nn <= hn; i++) {
        const char *p = hay + i;
        const char *q0 = memchr(p, f0, hn - nn + 1 - i);
        const char *q1 = f1 != f0 ? memchr(p, f1, hn - nn + 1 - i) : NULL;
        const char *q = q0 && (!q1 || q0 < q1) ? q0 : q1;
        if (!q)
            return -1;
        i = (size_t)(q - hay);
        if (ieq_bytes(q, needle, nn))
            return (long)i;
    }
    return -1;
}

static bool str_contains(kstr h, kstr n, bool cs)
{
    return find_at(h.p, h.n, n.p, n.n, 0, cs) >= 0;
}

static bool str_starts(kstr h, kstr n, bool cs)
{
    return n.n <= h.n && (cs ? !memcmp(h.p, n.p, n.n) : ieq_bytes(h.p, n.p, n.n));
}

static bool str_ends(kstr h, kstr n, bool cs)
{
    return n.n <= h.n && (cs ? !memcmp(h.p + h.n - n.n, n.p, n.n) : ieq_bytes(h.p + h.n - n.n, n.p, n.n));
}

/* kind: 0 has (both boundaries), 1 hasprefix (start boundary), 2 hassuffix (end). */
static bool str_has(kstr h, kstr n, bool cs, int kind)
{
    if (n.n == 0)
        return kind != 0 || h.n == 0 ? true : false;
    bool need_start = kind != 2 && term_char((unsigned char)n.p[0]);
    bool need_end = kind != 1 && term_char((unsigned char)n.p[n.n - 1]);
    size_t from = 0;
    long at;
    while ((at = find_at(h.p, h.n, n.p, n.n, from, cs)) >= 0) {
        size_t s = (size_t)at, e = s + n.n;
        bool ok = (!need_start || s == 0 || !term_char((unsigned char)h.p[s - 1])) &&
                  (!need_end || e == h.n || !term_char((unsigned char)h.p[e]));
        if (ok)
            return true;
        from = s + 1;
    }
    return false;
}

/* ---- comparisons ---- */

static int cmp_vals(const kval *a, const kval *b)
{
    switch (a->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: {
        uint32_t n = SP_MIN(a->u.s.n, b->u.s.n);
        int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
        return c ? (c < 0 ? -1 : 1) : (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
    }
    case SP_TYPE_REAL: {
        double x = a->u.r, y = b->type == SP_TYPE_REAL ? b->u.r : (double)b->u.l;
        return (x > y) - (x < y);
    }
    case SP_TYPE_BOOL: return (int)a->u.b - (int)b->u.b;
    default:
        if (b->type == SP_TYPE_REAL) {
            double x = (double)a->u.l;
            return (x > b->u.r) - (x < b->u.r);
        }
        return (a->u.l > b->u.l) - (a->u.l < b->u.l);
    }
}

static void set_bool(kval *out, bool v)
{
    out->type = SP_TYPE_BOOL;
    out->null = false;
    out->u.b = v;
}

static void set_null(kval *out)
{
    out->null = true;
    out->u.l = 0;
}

#define CMP_FN(name, test)                                                                \
    static void name(kfctx *c, kval *out, const kval *a, int n)                           \
    {                                                                                     \
        (void)c;                                                                          \
        (void)n;                                                                          \
        if (a[0].null || a[1].null) {                                                     \
            /* strings are never null; a null dynamic compares unequal to everything */ \
            set_null(out);                                                                \
            return;                                                                       \
        }                                                                                 \
        if (a[0].type == SP_TYPE_REAL && isnan(a[0].u.r)) {                               \
            set_bool(out, false);                                                         \
            return;                                                                       \
        }                                                                                 \
        int r = cmp_vals(&a[0], &a[1]);                                                   \
        set_bool(out, test);                                                              \
    }
CMP_FN(fn_eq, r == 0)
CMP_FN(fn_lt, r < 0)
CMP_FN(fn_le, r <= 0)
CMP_FN(fn_gt, r > 0)
CMP_FN(fn_ge, r >= 0)

static void fn_ne(kfctx *c, kval *out, const kval *a, int n)
{
    fn_eq(c, out, a, n);
    if (!out->null)
        out->u.b = !out->u.b;
}

/* Vector kernel: string column == / != constant, the most common predicate of all. */
static void vec_str_eq(kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel, uint32_t nsel, uint32_t n, bool neg)
{
    (void)c;
    (void)nargs;
    kvec *x = args[0], *y = args[1];
    if (x->enc == KV_CONST && y->enc != KV_CONST) {
        kvec *t = x;
        x = y;
        y = t;
    }
    uint32_t rows = sel ? nsel : n;
    if (y->enc == KV_CONST && sp_type_is_text(x->type) && x->type != SP_TYPE_DYNAMIC) {
        kstr k = y->d.s[0];
        for (uint32_t j = 0; j < rows; j++) {
            uint32_t i = sel ? sel[j] : j;
            kstr s = kvec_str(x, i);
            bool eq = s.n == k.n && (k.n == 0 || !memcmp(s.p, k.p, k.n));
            out->d.b[i] = eq != neg;
        }
        return;
    }
    for (uint32_t j = 0; j < rows; j++) {
        uint32_t i = sel ? sel[j] : j;
        kval a[2], r;
        kvec_get(x, i, &a[0]);
        kvec_get(y, i, &a[1]);
        fn_eq(NULL, &r, a, 2);
        if (!r.null && neg)
            r.u.b = !r.u.b;
        r.type = SP_TYPE_BOOL;
        kvec_set(out, i, &r);
    }
}

static void vec_cmp(int op, kfn_scalar fn, kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel,
                    uint32_t nsel, uint32_t n);
static bool num_type(sp_type t);

static void vec_eq(kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel, uint32_t nsel, uint32_t n)
{
    if (num_type(args[0]->type) && num_type(args[1]->type))
        vec_cmp(0 /* CMP_EQ */, fn_eq, c, out, args, nargs, sel, nsel, n);
    else
        vec_str_eq(c, out, args, nargs, sel, nsel, n, false);
}

static void vec_ne(kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel, uint32_t nsel, uint32_t n)
{
    if (num_type(args[0]->type) && num_type(args[1]->type))
        vec_cmp(1 /* CMP_NE */, fn_ne, c, out, args, nargs, sel, nsel, n);
    else
        vec_str_eq(c, out, args, nargs, sel, nsel, n, true);
}

/* ---- vector kernels: a column against a constant (or another column) ----
 *
 * The scalar kernels above define the meaning; these loops compute the same results
 * without a call, an argument copy and a result copy per row. Arguments the loops do not
 * cover fall back to the scalar kernel row by row (called directly). */

static inline bool num_type(sp_type t)
{
    return t == SP_TYPE_INT || t == SP_TYPE_LONG || t == SP_TYPE_DATETIME || t == SP_TYPE_TIMESPAN ||
           t == SP_TYPE_REAL;
}

static inline bool vrow_null(const kvec *v, uint32_t i)
{
    if (v->enc == KV_CONST)
        return v->cnull;
    return v->valid && !((v->valid[i >> 3] >> (i & 7)) & 1);
}

static void scalar_rows(kfn_scalar fn, kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel,
                        uint32_t nsel, uint32_t n)
{
    uint32_t rows = sel ? nsel : n;
    kval a[3], r;
    for (uint32_t j = 0; j < rows; j++) {
        uint32_t i = sel ? sel[j] : j;
        for (int k = 0; k < nargs && k < 3; k++)
            kvec_get(args[k], i, &a[k]);
        memset(&r, 0, sizeof r);
        fn(c, &r, a, nargs);
        r.type = SP_TYPE_BOOL;
        kvec_set(out, i, &r);
    }
}

enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

/* cmp_vals for two numbers, as fn_eq & co. read them: a real on the left is compared as
 * a double; a NaN on the left is unequal (and unordered) to everything. */
static inline bool cmp_num(int op, bool ar, int64_t al, double ad, bool br, int64_t bl, double bd)
{
    int r;
    if (ar) {
        if (ad != ad) /* NaN */
            return op == CMP_NE;
        double y = br ? bd : (double)bl;
        r = (ad > y) - (ad < y);
    } else if (br) {
        double x = (double)al;
        r = (x > bd) - (x < bd);
    } else {
        r = (al > bl) - (al < bl);
    }
    switch (op) {
    case CMP_EQ: return r == 0;
    case CMP_NE: return r != 0;
    case CMP_LT: return r < 0;
    case CMP_LE: return r <= 0;
    case CMP_GT: return r > 0;
    default: return r >= 0;
    }
}

static void vec_cmp(int op, kfn_scalar fn, kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel,
                    uint32_t nsel, uint32_t n)
{
    kvec *x = args[0], *y = args[1];
    if (!num_type(x->type) || !num_type(y->type) || x->enc == KV_DICT || y->enc == KV_DICT) {
        scalar_rows(fn, c, out, args, nargs, sel, nsel, n);
        return;
    }
    bool xr = x->type == SP_TYPE_REAL, yr = y->type == SP_TYPE_REAL;
    uint32_t rows = sel ? nsel : n;
    if (y->enc == KV_CONST && x->enc == KV_FLAT && !x->valid && !y->cnull && !xr && !yr) {
        /* the common case: an integer-like column against a constant, no nulls */
        int64_t k = y->d.l[0];
        const int64_t *v = x->d.l;
        for (uint32_t j = 0; j < rows; j++) {
            uint32_t i = sel ? sel[j] : j;
            out->d.b[i] = cmp_num(op, false, v[i], 0, false, k, 0);
        }
        return;
    }
    for (uint32_t j = 0; j < rows; j++) {
        uint32_t i = sel ? sel[j] : j;
        if (vrow_null(x, i) || vrow_null(y, i)) {
            kvec_set_null(out, i);
            continue;
        }
        uint32_t xi = x->enc == KV_CONST ? 0 : i, yi = y->enc == KV_CONST ? 0 : i;
        out->d.b[i] = cmp_num(op, xr, xr ? 0 : x->d.l[xi], xr ? x->d.r[xi] : 0, yr, yr ? 0 : y->d.l[yi],
                              yr ? y->d.r[yi] : 0);
    }
}

#define VEC_CMP(name, op, fn)                                                                          \
    static void name(kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel, uint32_t nsel, \
                     uint32_t n)                                                                       \
    {                                                                                                  \
        vec_cmp(op, fn, c, out, args, nargs, sel, nsel, n);                                            \
    }
VEC_CMP(vec_lt, CMP_LT, fn_lt)
VEC_CMP(vec_le, CMP_LE, fn_le)
VEC_CMP(vec_gt, CMP_GT, fn_gt)
VEC_CMP(vec_ge, CMP_GE, fn_ge)

static void fn_eq_ci(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    set_bool(out, a[0].u.s.n == a[1].u.s.n && ieq_bytes(a[0].u.s.p, a[1].u.s.p, a[0].u.s.n));
}

static void fn_ne_ci(kfctx *c, kval *out, const kval *a, int n)
{
    fn_eq_ci(c, out, a, n);
    out->u.b = !out->u.b;
}

#define STR_FN(name, expr)                                          \
    static void name(kfctx *c, kval *out, const kval *a, int n)     \
    {                                                               \
        (void)c;                                                    \
        (void)n;                                                    \
        kstr h = a[0].u.s, k = a[1].u.s;                            \
        set_bool(out, expr);                                        \
    }
STR_FN(fn_has, str_has(h, k, false, 0))
STR_FN(fn_has_cs, str_has(h, k, true, 0))
STR_FN(fn_hasprefix, str_has(h, k, false, 1))
STR_FN(fn_hasprefix_cs, str_has(h, k, true, 1))
STR_FN(fn_hassuffix, str_has(h, k, false, 2))
STR_FN(fn_hassuffix_cs, str_has(h, k, true, 2))
STR_FN(fn_contains, str_contains(h, k, false))
STR_FN(fn_contains_cs, str_contains(h, k, true))
STR_FN(fn_startswith, str_starts(h, k, false))
STR_FN(fn_startswith_cs, str_starts(h, k, true))
STR_FN(fn_endswith, str_ends(h, k, false))
STR_FN(fn_endswith_cs, str_ends(h, k, true))

/* The same over vectors: text against text (usually a constant needle). */
#define STR_VEC(name, fn, expr)                                                                        \
    static void name(kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel, uint32_t nsel, \
                     uint32_t n)                                                                       \
    {                                                                                                  \
        const kvec *x = args[0], *y = args[1];                                                         \
        if (!sp_type_is_text(x->type) || !sp_type_is_text(y->type) || x->enc == KV_DICT ||             \
            y->enc == KV_DICT) {                                                                       \
            scalar_rows(fn, c, out, args, nargs, sel, nsel, n);                                        \
            return;                                                                                    \
        }                                                                                              \
        uint32_t rows = sel ? nsel : n;                                                                \
        for (uint32_t j = 0; j < rows; j++) {                                                          \
            uint32_t i = sel ? sel[j] : j;                                                             \
            kstr h = x->d.s[x->enc == KV_CONST ? 0 : i], k = y->d.s[y->enc == KV_CONST ? 0 : i];       \
            out->d.b[i] = (expr);                                                                      \
        }                                                                                              \
    }
STR_VEC(vec_has, fn_has, str_has(h, k, false, 0))
STR_VEC(vec_has_cs, fn_has_cs, str_has(h, k, true, 0))
STR_VEC(vec_hasprefix, fn_hasprefix, str_has(h, k, false, 1))
STR_VEC(vec_hasprefix_cs, fn_hasprefix_cs, str_has(h, k, true, 1))
STR_VEC(vec_hassuffix, fn_hassuffix, str_has(h, k, false, 2))
STR_VEC(vec_hassuffix_cs, fn_hassuffix_cs, str_has(h, k, true, 2))
STR_VEC(vec_contains, fn_contains, str_contains(h, k, false))
STR_VEC(vec_contains_cs, fn_contains_cs, str_contains(h, k, true))
STR_VEC(vec_startswith, fn_startswith, str_starts(h, k, false))
STR_VEC(vec_startswith_cs, fn_startswith_cs, str_starts(h, k, true))
STR_VEC(vec_endswith, fn_endswith, str_ends(h, k, false))
STR_VEC(vec_endswith_cs, fn_endswith_cs, str_ends(h, k, true))
STR_VEC(vec_eq_ci, fn_eq_ci, h.n == k.n && ieq_bytes(h.p, k.p, h.n))
STR_VEC(vec_ne_ci, fn_ne_ci, !(h.n == k.n && ieq_bytes(h.p, k.p, h.n)))

/* A string column compared with a number compares numerically (DESIGN.md §5):
 * "50126" == 50126 is true; text that is not a number equals no number. Strict (Sigma's
 * reading, third argument true): only a string that is entirely a decimal number, no
 * spaces, no hex, no inf/nan. */
static void fn_str_eq_num(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    double v;
    if (a[1].null) {
        set_null(out);
        return;
    }
    if (n > 2 && !a[2].null && a[2].u.b) {
        double want = a[1].type == SP_TYPE_REAL ? a[1].u.r : (double)a[1].u.l;
        set_bool(out, kf_parse_decimal(a[0].u.s.p, a[0].u.s.n, &v) && v == want);
        return;
    }
    kstr s = a[0].u.s;
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    double want = a[1].type == SP_TYPE_REAL ? a[1].u.r : (double)a[1].u.l;
    set_bool(out, s.n && sp_parse_f64(s.p, s.n, &v) && v == want);
}

/* ---- regex ---- */

typedef struct regex_state {
    kre *re;        /* compiled once when the pattern is constant */
    kre *last;      /* otherwise: the last pattern seen, recompiled on change */
    char *last_pat;
} regex_state;

static int regex_init(kfctx *c, const kx *call, void **state)
{
    regex_state *st = sp_xcalloc(1, sizeof *st);
    *state = st;
    const kx *pat = call->args[1];
    if (pat->kind == KX_CONST) {
        sp_diag d = {0};
        st->re = kre_compile(pat->value.u.s.p, pat->value.u.s.n, 0, &d);
        if (!st->re)
            return kexec_fail(c->ex, pat->line, pat->col + (d.col > 0 ? d.col : 0), "%s", d.msg);
    }
    return 0;
}

static void regex_free(void *p)
{
    regex_state *st = p;
    kre_free(st->re);
    kre_free(st->last);
    free(st->last_pat);
    free(st);
}

static void fn_matches_regex(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    regex_state *st = c->state;
    kre *re = st->re;
    if (!re) {
        kstr p = a[1].u.s;
        if (!st->last_pat || strlen(st->last_pat) != p.n || memcmp(st->last_pat, p.p, p.n)) {
            kre_free(st->last);
            free(st->last_pat);
            sp_diag d = {0};
            st->last = kre_compile(p.p, p.n, 0, &d);
            st->last_pat = sp_xstrndup(p.p, p.n);
        }
        re = st->last;
        if (!re) {
            set_null(out);
            return;
        }
    }
    set_bool(out, kre_match(re, a[0].u.s.p, a[0].u.s.n));
}

/* ---- sets: in, in~, has_any, has_all ---- */

typedef struct set_state {
    kset *set;
    kval *terms; /* has_any/has_all */
    int nterms;
    sp_arena arena;
} set_state;

/* Runs a subquery and returns its first column as values in arena. */
static int subquery_values(kfctx *c, const kx *sub, sp_arena *a, kval **out, int *n)
{
    kop *op = kop_build(c->ex, sub->sub);
    krowset *rs = krowset_drain(c->ex, op, &sub->sub->out);
    kop_close(op);
    if (!rs)
        return -1;
    *n = (int)krowset_rows(rs);
    *out = sp_arena_alloc(a, sizeof(kval) * (size_t)(*n ? *n : 1));
    for (int i = 0; i < *n; i++) {
        kval v;
        krowset_get(rs, (uint32_t)i, 0, &v);
        if (sp_type_is_text(v.type))
            v.u.s = kstr_dup(a, v.u.s.p, v.u.s.n);
        (*out)[i] = v;
    }
    krowset_free(rs);
    return 0;
}

static int set_init(kfctx *c, const kx *call, void **state)
{
    set_state *st = sp_xcalloc(1, sizeof *st);
    *state = st;
    const kx *rhs = call->args[1];
    kval *vals = rhs->set;
    int n = rhs->nset;
    if (rhs->kind == KX_SUBQUERY && subquery_values(c, rhs, &st->arena, &vals, &n) < 0)
        return -1;
    if (call->fn == KB_has_any || call->fn == KB_has_all) {
        st->terms = sp_arena_alloc(&st->arena, sizeof(kval) * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++) {
            kval v = vals[i];
            if (!sp_type_is_text(v.type)) { /* has_any over numbers: compare their text */
                sp_buf b = {0};
                kval_to_text(&v, &b);
                v.type = SP_TYPE_STRING;
                v.null = false;
                v.u.s = kstr_dup(&st->arena, b.data ? b.data : "", b.len);
                sp_buf_free(&b);
            }
            st->terms[st->nterms++] = v;
        }
        return 0;
    }
    st->set = kset_new(call->fn == KB_in_ci);
    for (int i = 0; i < n; i++)
        kset_add(st->set, &vals[i]);
    return 0;
}

static void set_free(void *p)
{
    set_state *st = p;
    kset_free(st->set);
    sp_arena_free(&st->arena);
    free(st);
}

static void fn_in(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    set_state *st = c->state;
    if (a[0].null && a[0].type != SP_TYPE_STRING) {
        set_bool(out, false);
        return;
    }
    set_bool(out, kset_has(st->set, &a[0]));
}

static void fn_has_any(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    set_state *st = c->state;
    for (int i = 0; i < st->nterms; i++)
        if (str_has(a[0].u.s, st->terms[i].u.s, false, 0)) {
            set_bool(out, true);
            return;
        }
    set_bool(out, false);
}

static void fn_has_all(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    set_state *st = c->state;
    for (int i = 0; i < st->nterms; i++)
        if (!str_has(a[0].u.s, st->terms[i].u.s, false, 0)) {
            set_bool(out, false);
            return;
        }
    set_bool(out, true);
}

static void fn_between(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    if (a[0].null || a[1].null || a[2].null) {
        set_null(out);
        return;
    }
    set_bool(out, cmp_vals(&a[0], &a[1]) >= 0 && cmp_vals(&a[0], &a[2]) <= 0);
}

static void fn_not(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    if (a[0].null)
        set_null(out);
    else
        set_bool(out, !a[0].u.b);
}

/* ---- arithmetic ---- */

static double as_real(const kval *v)
{
    return v->type == SP_TYPE_REAL ? v->u.r : (double)v->u.l;
}

static void fn_arith(kfctx *c, kval *out, const kval *a, int n)
{
    kb_id op = c->call->fn;
    sp_type rt = c->call->type;
    out->type = rt;
    if (a[0].null || (n > 1 && a[1].null)) {
        set_null(out);
        return;
    }
    out->null = false;
    if (op == KB_neg) {
        if (rt == SP_TYPE_REAL)
            out->u.r = -as_real(&a[0]);
        else
            out->u.l = -a[0].u.l;
        return;
    }
    if (rt == SP_TYPE_REAL) {
        double x = as_real(&a[0]), y = as_real(&a[1]);
        /* timespan / timespan = real ratio; timespan values are ticks */
        switch (op) {
        case KB_add: out->u.r = x + y; break;
        case KB_sub: out->u.r = x - y; break;
        case KB_mul: out->u.r = x * y; break;
        case KB_div: out->u.r = x / y; break;
        case KB_mod: out->u.r = fmod(x, y); break;
        default: set_null(out);
        }
        return;
    }
    /* integer-valued results: long, int, datetime, timespan */
    if (a[1].type == SP_TYPE_REAL || a[0].type == SP_TYPE_REAL) {
        /* timespan * 1.5, timespan / 2.0 */
        double x = as_real(&a[0]), y = as_real(&a[1]);
        double r = op == KB_mul ? x * y : op == KB_div ? x / y : op == KB_add ? x + y : x - y;
        if (!isfinite(r)) {
            set_null(out);
            return;
        }
        out->u.l = (int64_t)r;
        return;
    }
    int64_t x = a[0].u.l, y = a[1].u.l;
    switch (op) {
    case KB_add: out->u.l = (int64_t)((uint64_t)x + (uint64_t)y); break;
    case KB_sub: out->u.l = (int64_t)((uint64_t)x - (uint64_t)y); break;
    case KB_mul: out->u.l = (int64_t)((uint64_t)x * (uint64_t)y); break;
    case KB_div:
        if (y == 0 || (x == INT64_MIN && y == -1))
            set_null(out);
        else
            out->u.l = x / y;
        break;
    case KB_mod:
        if (y == 0 || (x == INT64_MIN && y == -1))
            set_null(out);
        else
            out->u.l = x % y;
        break;
    default: set_null(out);
    }
}

/* ---- conversions ---- */

void kval_convert(const kval *in, sp_type to, sp_arena *a, kval *out)
{
    *out = kval_null(to);
    if (in->null && !(sp_type_is_text(in->type) && in->type != SP_TYPE_DYNAMIC))
        return;
    if (in->type == to) {
        *out = *in;
        return;
    }
    if (in->type == SP_TYPE_DYNAMIC) {
        kj_to_scalar(in->u.s, to, a, out);
        return;
    }
    switch (to) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID: {
        sp_buf b = {0};
        kval_to_text(in, &b);
        out->null = false;
        out->u.s = kstr_dup(a, b.data ? b.data : "", b.len);
        sp_buf_free(&b);
        return;
    }
    case SP_TYPE_DYNAMIC:
        if ((in->type == SP_TYPE_STRING || in->type == SP_TYPE_GUID)) {
            out->null = false;
            out->u.s = kj_from_scalar(in, a);
            return;
        }
        out->null = false;
        out->u.s = kj_from_scalar(in, a);
        return;
    default: break;
    }
    if (in->type == SP_TYPE_STRING || in->type == SP_TYPE_GUID) {
        kstr j = kj_from_scalar(in, a); /* a JSON string: reuse the dynamic parser */
        kj_to_scalar(j, to, a, out);
        return;
    }
    out->null = false;
    switch (to) {
    case SP_TYPE_BOOL:
        if (in->type == SP_TYPE_REAL)
            out->u.b = in->u.r != 0;
        else
            out->u.b = in->u.l != 0;
        break;
    case SP_TYPE_INT:
    case SP_TYPE_LONG:
        if (in->type == SP_TYPE_REAL) {
            if (!isfinite(in->u.r)) {
                out->null = true;
                break;
            }
            out->u.l = (int64_t)in->u.r;
        } else if (in->type == SP_TYPE_BOOL)
            out->u.l = in->u.b;
        else
            out->u.l = in->u.l;
        if (to == SP_TYPE_INT)
            out->u.l = (int32_t)out->u.l;
        break;
    case SP_TYPE_REAL:
        if (in->type == SP_TYPE_BOOL)
            out->u.r = in->u.b;
        else
            out->u.r = (double)in->u.l;
        break;
    case SP_TYPE_DATETIME:
        out->null = true; /* todatetime(number) is null in Kusto */
        break;
    case SP_TYPE_TIMESPAN:
        if (in->type == SP_TYPE_LONG || in->type == SP_TYPE_INT)
            out->u.l = in->u.l; /* ticks */
        else
            out->null = true;
        break;
    default: out->null = true;
    }
}

static void fn_convert(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    kval_convert(&a[0], c->call->type, c->arena, out);
}

static void fn_parse_json(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    out->type = SP_TYPE_DYNAMIC;
    if (a[0].type == SP_TYPE_DYNAMIC) {
        *out = a[0];
        /* parse_json of a dynamic string parses the string's contents */
        if (!a[0].null && kj_typeof(a[0].u.s) == KJ_STRING) {
            sp_buf s = {0};
            if (sp_json_unescape(a[0].u.s.p, a[0].u.s.n, &s)) {
                sp_buf o = {0};
                size_t off;
                const char *why;
                if (s.len && sp_json_compact(s.data, s.len, sp_limits.max_json_depth, &o, &off, &why) == 0)
                    out->u.s = kstr_dup(c->arena, o.data, o.len);
                sp_buf_free(&o);
            }
            sp_buf_free(&s);
        }
        return;
    }
    if (a[0].type != SP_TYPE_STRING && a[0].type != SP_TYPE_GUID) {
        kval_convert(&a[0], SP_TYPE_DYNAMIC, c->arena, out);
        return;
    }
    kstr s = a[0].u.s;
    if (s.n == 0) { /* parse_json("") is null */
        out->null = true;
        out->u.s = (kstr){"", 0};
        return;
    }
    sp_buf o = {0};
    size_t off;
    const char *why;
    if (s.n && sp_json_compact(s.p, s.n, sp_limits.max_json_depth, &o, &off, &why) == 0) {
        out->null = false;
        out->u.s = kstr_dup(c->arena, o.data, o.len);
    } else {
        /* Ill-formed JSON yields the string itself (as a dynamic string). */
        out->null = false;
        out->u.s = kj_from_scalar(&a[0], c->arena);
    }
    sp_buf_free(&o);
}

/* ---- null tests ---- */

static void fn_isnull(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    bool isnull = a[0].null && !(a[0].type == SP_TYPE_STRING || a[0].type == SP_TYPE_GUID);
    set_bool(out, c->call->fn == KB_isnull ? isnull : !isnull);
}

static void fn_isempty(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    bool empty = a[0].null || (sp_type_is_text(a[0].type) && a[0].u.s.n == 0);
    set_bool(out, c->call->fn == KB_isempty ? empty : !empty);
}

static void fn_coalesce(kfctx *c, kval *out, const kval *a, int n)
{
    for (int i = 0; i < n; i++) {
        bool empty = a[i].null || ((a[i].type == SP_TYPE_STRING || a[i].type == SP_TYPE_GUID) && a[i].u.s.n == 0);
        if (!empty) {
            *out = a[i];
            return;
        }
    }
    *out = kval_null(c->call->type);
}

static void fn_iff(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    *out = (!a[0].null && a[0].u.b) ? a[1] : a[2];
}

static void fn_case(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    for (int i = 0; i + 1 < n; i += 2)
        if (!a[i].null && a[i].u.b) {
            *out = a[i + 1];
            return;
        }
    *out = a[n - 1];
}

/* ---- dynamic access ---- */

static void fn_getpath(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    out->type = SP_TYPE_DYNAMIC;
    kstr v;
    bool found = false;
    if (c->at_path) { /* the chain's value, listed (dynpath.c) */
        v = kpath_first(a[0].u.s);
        found = v.n > 0;
    } else if (!a[0].null) {
        if (a[1].type == SP_TYPE_STRING)
            found = kj_member(a[0].u.s, a[1].u.s.p, a[1].u.s.n, &v);
        else if (!a[1].null)
            found = kj_index(a[0].u.s, a[1].u.l, &v);
    }
    if (!found || kj_typeof(v) == KJ_NULL) {
        set_null(out);
        out->u.s = (kstr){"", 0};
        return;
    }
    out->null = false;
    out->u.s = v;
}

static void fn_typeof(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    const char *t = sp_type_name(a[0].type);
    if (a[0].type == SP_TYPE_INT)
        t = "int";
    if (a[0].type == SP_TYPE_DYNAMIC) {
        switch (kj_typeof(a[0].u.s)) {
        case KJ_OBJECT: t = "dictionary"; break;
        case KJ_ARRAY: t = "array"; break;
        case KJ_STRING: t = "string"; break;
        case KJ_BOOL: t = "bool"; break;
        case KJ_NUMBER: {
            /* Kusto reports a JSON integer as int when it fits 32 bits. */
            kstr s = a[0].u.s;
            int64_t iv;
            if (memchr(s.p, '.', s.n) || memchr(s.p, 'e', s.n) || memchr(s.p, 'E', s.n))
                t = "real";
            else
                t = sp_parse_i64(s.p, s.n, &iv) && iv >= INT32_MIN && iv <= INT32_MAX ? "int" : "long";
            break;
        }
        default: t = "null";
        }
    }
    out->type = SP_TYPE_STRING;
    out->null = false;
    out->u.s = kstr_dup(c->arena, t, strlen(t));
}

/* ---- time ---- */

static void fn_now(kfctx *c, kval *out, const kval *a, int n)
{
    out->type = SP_TYPE_DATETIME;
    out->null = false;
    out->u.l = c->ex->now + (n > 0 && !a[0].null ? a[0].u.l : 0);
}

static void fn_ago(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    out->type = SP_TYPE_DATETIME;
    if (a[0].null) {
        set_null(out);
        return;
    }
    out->null = false;
    out->u.l = c->ex->now - a[0].u.l;
}

static int64_t floor_div(int64_t x, int64_t y)
{
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0)))
        q--;
    return q;
}

static void fn_bin(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    sp_type rt = c->call->type;
    out->type = rt;
    if (a[0].null || a[1].null) {
        set_null(out);
        return;
    }
    out->null = false;
    if (rt == SP_TYPE_REAL) {
        double x = as_real(&a[0]), y = as_real(&a[1]);
        if (y <= 0) {
            set_null(out);
            return;
        }
        out->u.r = floor(x / y) * y;
        return;
    }
    int64_t y = a[1].type == SP_TYPE_REAL ? (int64_t)a[1].u.r : a[1].u.l;
    if (y <= 0) {
        set_null(out);
        return;
    }
    out->u.l = floor_div(a[0].u.l, y) * y;
}

/* ---- registration ---- */

#define SCALAR(id, fn) {KB_##id, {.scalar = fn, .dict_ok = true}}
#define VECTOR(id, v, fn) {KB_##id, {.vec = v, .scalar = fn, .dict_ok = true}}
#define STATEFUL(id, fn, ini, fre) {KB_##id, {.scalar = fn, .init = ini, .free = fre, .dict_ok = true}}

const kfn_reg kfn_core[] = {
    VECTOR(eq, vec_eq, fn_eq),
    VECTOR(ne, vec_ne, fn_ne),
    VECTOR(lt, vec_lt, fn_lt),
    VECTOR(le, vec_le, fn_le),
    VECTOR(gt, vec_gt, fn_gt),
    VECTOR(ge, vec_ge, fn_ge),
    VECTOR(eq_ci, vec_eq_ci, fn_eq_ci),
    VECTOR(ne_ci, vec_ne_ci, fn_ne_ci),
    VECTOR(has, vec_has, fn_has),
    VECTOR(has_cs, vec_has_cs, fn_has_cs),
    VECTOR(hasprefix, vec_hasprefix, fn_hasprefix),
    VECTOR(hasprefix_cs, vec_hasprefix_cs, fn_hasprefix_cs),
    VECTOR(hassuffix, vec_hassuffix, fn_hassuffix),
    VECTOR(hassuffix_cs, vec_hassuffix_cs, fn_hassuffix_cs),
    VECTOR(contains, vec_contains, fn_contains),
    VECTOR(contains_cs, vec_contains_cs, fn_contains_cs),
    VECTOR(startswith, vec_startswith, fn_startswith),
    VECTOR(startswith_cs, vec_startswith_cs, fn_startswith_cs),
    VECTOR(endswith, vec_endswith, fn_endswith),
    VECTOR(endswith_cs, vec_endswith_cs, fn_endswith_cs),
    STATEFUL(matches_regex, fn_matches_regex, regex_init, regex_free),
    STATEFUL(in, fn_in, set_init, set_free),
    STATEFUL(in_ci, fn_in, set_init, set_free),
    STATEFUL(has_any, fn_has_any, set_init, set_free),
    STATEFUL(has_all, fn_has_all, set_init, set_free),
    SCALAR(between, fn_between),
    SCALAR(str_eq_num, fn_str_eq_num),
    SCALAR(not, fn_not),
    SCALAR(add, fn_arith),
    SCALAR(sub, fn_arith),
    SCALAR(mul, fn_arith),
    SCALAR(div, fn_arith),
    SCALAR(mod, fn_arith),
    SCALAR(neg, fn_arith),
    SCALAR(tostring, fn_convert),
    SCALAR(toint, fn_convert),
    SCALAR(tolong, fn_convert),
    SCALAR(toreal, fn_convert),
    SCALAR(tobool, fn_convert),
    SCALAR(todatetime, fn_convert),
    SCALAR(totimespan, fn_convert),
    SCALAR(toguid, fn_convert),
    SCALAR(todynamic, fn_parse_json),
    SCALAR(parse_json, fn_parse_json),
    SCALAR(isnull, fn_isnull),
    SCALAR(isnotnull, fn_isnull),
    SCALAR(isempty, fn_isempty),
    SCALAR(isnotempty, fn_isempty),
    SCALAR(coalesce, fn_coalesce),
    SCALAR(iff, fn_iff),
    SCALAR(case, fn_case),
    SCALAR(getpath, fn_getpath),
    SCALAR(typeof, fn_typeof),
    {KB_now, {.scalar = fn_now}},
    {KB_ago, {.scalar = fn_ago, .dict_ok = true}},
    SCALAR(bin, fn_bin),
    SCALAR(floor, fn_bin),
    {(kb_id)-1, {0}},
};
