/* vm.c — compiles typed expression trees into flat vector programs and runs them.
 *
 * A program is a list of instructions over registers that each hold a column vector
 * (opcodes in exec_int.h, one X-macro list). Columns and constants are loaded once per
 * batch; a filter's top-level `and` chain becomes successive FILTER steps so each
 * conjunct runs only on the rows the previous ones kept (the cheapest form of
 * short-circuiting for vectors).
 *
 * Builtin calls are where time goes, so the dispatcher picks the cheapest evaluation:
 * all-constant arguments are computed once; arguments that share one chunk dictionary are
 * computed once per distinct entry and the per-entry results cached until the dictionary
 * changes (DESIGN.md §7: per distinct value, a predicate costs ~1 ns per row instead of
 * 5; a regex ~2 ns instead of microseconds); anything else runs row by row over the
 * selection. A predicate that depends on one string column and constants only compiles to
 * a VERDICT step: its result per distinct text is cached by table-dictionary id across
 * batches, chunks and runs of the plan (verdict.c).
 */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const char *const opnames[] = {
#define X(name, doc) #name,
    KVM_OPCODES(X)
#undef X
};

static int new_reg(kprog *p)
{
    return p->nregs++;
}

static int emit(kprog *p, kvm_op op, int dst, int a, int b, int imm, const kx *node)
{
    if (p->ncode == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->code = sp_xrealloc(p->code, sizeof(kinstr) * (size_t)p->cap);
    }
    kinstr *in = &p->code[p->ncode];
    memset(in, 0, sizeof *in);
    in->op = op;
    in->dst = dst;
    in->a = a;
    in->b = b;
    in->imm = imm;
    in->node = node;
    return p->ncode++;
}

static int add_const(kprog *p, const kval *v)
{
    p->consts = sp_xrealloc(p->consts, sizeof(kval) * (size_t)(p->nconsts + 1));
    p->consts[p->nconsts] = *v;
    return p->nconsts++;
}

static int compile_expr(kexec *ex, kprog *p, const kx *e);

/* ---- path accesses (dynpath.c) ---- */

/* The path of a call that reads a dynamic input column at a constant path, which a PATH
 * instruction then serves: Sigma's $any, $path and $path_exists with a constant dotted
 * path, and a chain of Kusto member and index accesses with constant keys
 * (`DeviceDetail.trustType`, `x["a"][0]`). NULL for anything else. */
kpath *kpath_of(const kx *e)
{
    if (e->nargs < 2)
        return NULL;
    if (e->fn == KB_path_any || e->fn == KB_path_get || e->fn == KB_path_exists) {
        const kx *col = e->args[0], *path = e->args[1];
        if (col->kind != KX_COL || col->type != SP_TYPE_DYNAMIC || path->kind != KX_CONST ||
            path->type != SP_TYPE_STRING || path->value.null)
            return NULL;
        kstr s = path->value.u.s;
        kpath_step steps[64];
        int n = 0;
        uint32_t start = 0;
        for (uint32_t i = 0; i <= s.n; i++)
            if (i == s.n || s.p[i] == '.') {
                if (n == 64)
                    return NULL;
                steps[n++] = (kpath_step){.name = {s.p + start, i - start}};
                start = i + 1;
            }
        return kpath_new(col->colidx, e->fn == KB_path_get ? KPATH_CI : KPATH_ANY, steps, n);
    }
    if (e->fn != KB_getpath)
        return NULL;
    kpath_step steps[64];
    int n = 0;
    const kx *x = e;
    for (; x->kind == KX_CALL && x->fn == KB_getpath && x->nargs == 2; x = x->args[0]) {
        const kx *k = x->args[1];
        if (k->kind != KX_CONST || k->value.null || n == 64)
            return NULL;
        if (k->type == SP_TYPE_STRING)
            steps[n++] = (kpath_step){.name = k->value.u.s};
        else if (k->type == SP_TYPE_LONG || k->type == SP_TYPE_INT)
            steps[n++] = (kpath_step){.is_index = true, .index = k->value.u.l};
        else
            return NULL;
    }
    if (x->kind != KX_COL || x->type != SP_TYPE_DYNAMIC)
        return NULL;
    for (int i = 0; i < n / 2; i++) { /* collected outermost first */
        kpath_step t = steps[i];
        steps[i] = steps[n - 1 - i];
        steps[n - 1 - i] = t;
    }
    return kpath_new(x->colidx, KPATH_EXACT, steps, n);
}

/* The PATH instruction for path (one per path per program): its index. */
static int compile_path(kprog *p, kpath *path, const kx *e)
{
    for (int i = 0; i < p->ncode; i++) {
        const kpath *q = p->code[i].path;
        if (p->code[i].op == KVM_PATH && q->keylen == path->keylen && !memcmp(q->key, path->key, q->keylen)) {
            kpath_free(path);
            return i;
        }
    }
    int k = emit(p, KVM_PATH, new_reg(p), 0, 0, path->col, e);
    p->code[k].path = path;
    return k;
}

static int compile_call(kexec *ex, kprog *p, const kx *e)
{
    if (e->fn == KB_and || e->fn == KB_or) {
        int a = compile_expr(ex, p, e->args[0]);
        if (a < 0)
            return -1;
        int b = compile_expr(ex, p, e->args[1]);
        if (b < 0)
            return -1;
        int dst = new_reg(p);
        emit(p, e->fn == KB_and ? KVM_AND : KVM_OR, dst, a, b, 0, e);
        return dst;
    }
    const kfn_impl *fn = kfn_get(e->fn);
    if (!fn)
        return kexec_fail(ex, e->line, e->col, "unsupported: function '%s'", kb_get(e->fn)->name);
    /* Arguments go to consecutive slots of argregs. Set and subquery operands are not
     * registers: the builtin's init turns them into state. */
    int regs[256];
    int n = e->nargs > 256 ? 256 : e->nargs;
    kpath *path = p->lambda || (ex->opts && ex->opts->no_path_columns) ? NULL : kpath_of(e);
    int path_pc = -1;
    for (int i = 0; i < n; i++) {
        const kx *arg = e->args[i];
        if (i == 0 && path) { /* the column's values at the path, not the column */
            path_pc = compile_path(p, path, arg);
            regs[0] = p->code[path_pc].dst;
            continue;
        }
        if (arg->kind == KX_SET || arg->kind == KX_LAMBDA || (arg->kind == KX_SUBQUERY && !arg->sub_scalar)) {
            regs[i] = -1;
            continue;
        }
        regs[i] = compile_expr(ex, p, arg);
        if (regs[i] < 0)
            return -1;
    }
    int at = p->nargregs;
    if (p->nargregs + n > p->argcap) {
        p->argcap = (p->nargregs + n) * 2 + 8;
        p->argregs = sp_xrealloc(p->argregs, sizeof(int) * (size_t)p->argcap);
    }
    if (n > 0)
        memcpy(p->argregs + at, regs, sizeof(int) * (size_t)n);
    p->nargregs += n;
    int dst = new_reg(p);
    int k = emit(p, KVM_CALL, dst, at, 0, (int)e->fn, e);
    kinstr *in = &p->code[k];
    in->n = n;
    in->fn = fn;
    in->at_path = path != NULL;
    in->path_pc = path_pc;
    if (fn->init) {
        kfctx c = {.ex = ex, .call = e, .arena = &ex->arena};
        if (fn->init(&c, e, &in->state) != 0)
            return -1;
    }
    return dst;
}

/* One load per column per program. */
static int load_col(kprog *p, int colidx, const kx *node)
{
    for (int i = 0; i < p->ncode; i++)
        if (p->code[i].op == KVM_COL && p->code[i].imm == colidx)
            return p->code[i].dst;
    int dst = new_reg(p);
    emit(p, KVM_COL, dst, 0, 0, colidx, node);
    return dst;
}

/* Whether every builtin of e may run on any subset of texts, once per text. */
static bool verdict_kernels(const kx *e)
{
    if (e->kind != KX_CALL)
        return true;
    const kfn_impl *fn = e->fn == KB_and || e->fn == KB_or ? NULL : kfn_get(e->fn);
    if (fn && (!fn->dict_ok || fn->any_enc))
        return false;
    for (int i = 0; i < e->nargs; i++)
        if (!verdict_kernels(e->args[i]))
            return false;
    return true;
}

/* The column of a predicate with one verdict per distinct text of it, or -1. */
static int verdict_col(const kx *e)
{
    int col = kx_verdict_col(e);
    return col >= 0 && verdict_kernels(e) ? col : -1;
}

/* e as a VERDICT over its column (verdict.c): the predicate becomes a program of its own
 * over the column's texts. */
static int compile_verdict(kexec *ex, kprog *p, const kx *e, int col)
{
    kprog *sub = sp_xcalloc(1, sizeof *sub);
    sub->verdict_body = true;
    sub->body_col = col;
    sub->result = compile_expr(ex, sub, e);
    int dst = new_reg(p);
    int k = emit(p, KVM_VERDICT, dst, 0, 0, col, e); /* loads its column itself */
    p->code[k].sub = sub; /* freed with p, even on failure */
    return sub->result < 0 ? -1 : dst;
}

static int compile_expr(kexec *ex, kprog *p, const kx *e)
{
    switch (e->kind) {
    case KX_COL:
        if (p->lambda)
            return kexec_fail(ex, e->line, e->col, "internal: a column inside a predicate over values");
        if (p->verdict_body && e->colidx != p->body_col)
            return kexec_fail(ex, e->line, e->col, "internal: a second column inside a cached predicate");
        return load_col(p, p->verdict_body ? 0 : e->colidx, e);
    case KX_CONST: {
        int dst = new_reg(p);
        emit(p, KVM_CONST, dst, 0, 0, add_const(p, &e->value), e);
        return dst;
    }
    case KX_CALL: {
        int col = p->lambda || p->verdict_body ? -1 : verdict_col(e);
        return col >= 0 ? compile_verdict(ex, p, e, col) : compile_call(ex, p, e);
    }
    case KX_SUBQUERY:
        if (e->sub_scalar) {
            /* toscalar(): run the subquery once now; its first value is a constant. */
            kop *op = kop_build(ex, e->sub);
            krowset *rs = krowset_drain(ex, op, &e->sub->out);
            kop_close(op);
            if (!rs)
                return -1;
            kval v = kval_null(e->type);
            if (krowset_rows(rs) > 0)
                krowset_get(rs, 0, 0, &v);
            if (sp_type_is_text(v.type) && !v.null)
                v.u.s = kstr_dup(&ex->arena, v.u.s.p, v.u.s.n);
            v.type = e->type;
            krowset_free(rs);
            int dst = new_reg(p);
            emit(p, KVM_CONST, dst, 0, 0, add_const(p, &v), e);
            return dst;
        }
        return kexec_fail(ex, e->line, e->col, "a subquery is only valid as the right operand of in, in~, has_any or has_all");
    case KX_SET:
        return kexec_fail(ex, e->line, e->col, "a set or subquery is only valid as the right operand of in, in~, has_any or has_all");
    case KX_LAMBDA:
        return kexec_fail(ex, e->line, e->col, "internal: a predicate over values outside a Sigma path builtin");
    case KX_ELEM: {
        if (!p->lambda)
            return kexec_fail(ex, e->line, e->col, "internal: a path value outside its predicate");
        /* The body of a lambda runs over a one-column batch: the values. */
        for (int i = 0; i < p->ncode; i++)
            if (p->code[i].op == KVM_COL && p->code[i].imm == 0)
                return p->code[i].dst;
        int dst = new_reg(p);
        emit(p, KVM_COL, dst, 0, 0, 0, e);
        return dst;
    }
    }
    return -1;
}

static int compile_filter(kexec *ex, kprog *p, const kx *e)
{
    if (e->kind == KX_CALL && e->fn == KB_and && verdict_col(e) < 0) {
        if (compile_filter(ex, p, e->args[0]) < 0)
            return -1;
        return compile_filter(ex, p, e->args[1]);
    }
    int r = compile_expr(ex, p, e);
    if (r < 0)
        return -1;
    emit(p, KVM_FILTER, 0, r, 0, 0, e);
    return 0;
}

int kprog_compile(kexec *ex, const kx *e, bool as_filter, kprog *out)
{
    memset(out, 0, sizeof *out);
    if (as_filter) {
        out->result = -1;
        return compile_filter(ex, out, e);
    }
    out->result = compile_expr(ex, out, e);
    return out->result < 0 ? -1 : 0;
}

int kprog_compile_lambda(kexec *ex, const kx *lambda, kprog *out)
{
    memset(out, 0, sizeof *out);
    out->lambda = true;
    out->result = compile_expr(ex, out, lambda->args[0]);
    return out->result < 0 ? -1 : 0;
}

void kprog_free(kprog *p)
{
    for (int i = 0; i < p->ncode; i++) {
        kinstr *in = &p->code[i];
        if (in->state && in->fn && in->fn->free)
            in->fn->free(in->state);
        sp_arena_free(&in->cache_arena);
        kpath_free(in->path);
        if (in->sub) {
            kprog_free(in->sub);
            free(in->sub);
        }
        kverdict_release(in->vtab);
    }
    free(p->code);
    free(p->argregs);
    free(p->consts);
    memset(p, 0, sizeof *p);
}

/* ---- evaluation ---- */

/* Runs a kernel over rows (sel) of n, with FLAT or CONST arguments. */
static void run_kernel(kfctx *c, const kfn_impl *fn, kvec *out, kvec **args, int nargs,
                       const uint32_t *sel, uint32_t nsel, uint32_t n)
{
    if (fn->vec) {
        fn->vec(c, out, args, nargs, sel, nsel, n);
        return;
    }
    kval av[256], r;
    uint32_t rows = sel ? nsel : n;
    for (uint32_t k = 0; k < rows; k++) {
        uint32_t i = sel ? sel[k] : k;
        for (int j = 0; j < nargs; j++) {
            if (args[j])
                kvec_get(args[j], i, &av[j]);
            else
                av[j] = kval_null(SP_TYPE_DYNAMIC); /* a set operand: the state holds it */
        }
        memset(&r, 0, sizeof r);
        r.type = out->type;
        fn->scalar(c, &r, av, nargs);
        r.type = out->type;
        kvec_set(out, i, &r);
    }
}

static kvec *eval_call(kexec *ex, const kprog *p, kinstr *in, kvec **regs, const int *argregs, kbatch *b,
                       sp_arena *arena)
{
    kvec *args[256];
    int nargs = in->n;
    bool all_const = true;
    const void *dict_id = NULL;
    const uint32_t *codes = NULL;
    const uint8_t *codes8 = NULL;
    bool one_dict = true;
    for (int j = 0; j < nargs; j++) {
        args[j] = argregs[j] >= 0 ? regs[argregs[j]] : NULL;
        kvec *a = args[j];
        if (!a)
            continue;
        if (a->enc != KV_CONST)
            all_const = false;
        if (a->enc == KV_DICT) {
            /* A derived dictionary (dict_id NULL: a per-entry result) is its own: with
             * another dictionary argument the codes would not index it. */
            if (!a->dict_id || (dict_id && dict_id != a->dict_id))
                one_dict = false;
            dict_id = a->dict_id;
            codes = a->codes;
            codes8 = a->codes8;
        } else if (a->enc == KV_FLAT) {
            one_dict = false;
        }
    }
    kfctx c = {.ex = ex, .call = in->node, .arena = arena, .state = in->state};
    c.at_path = in->at_path && !p->code[in->path_pc].path_raw;
    sp_type rt = in->node->type;
    uint32_t n = b->n;
    if (all_const && in->fn->dict_ok) {
        kvec *out = kvec_new_flat(arena, rt, 1);
        run_kernel(&c, in->fn, out, args, nargs, NULL, 0, 1);
        kval v;
        kvec_get(out, 0, &v);
        return kvec_new_const(arena, &v, n);
    }
    if (dict_id && one_dict && in->fn->dict_ok) {
        uint32_t rows = kbatch_rows(b);
        kvec *cached = in->cache_id == dict_id ? in->cache : NULL;
        const kvec *d0 = NULL;
        for (int j = 0; j < nargs; j++)
            if (args[j] && args[j]->enc == KV_DICT)
                d0 = args[j]->dict;
        /* Per-entry evaluation pays when the dictionary is not much larger than the rows
         * we need now, or when the result is already cached. */
        if (cached || d0->n <= 1024 || d0->n <= 4 * rows) {
            if (!cached) {
                sp_arena_reset(&in->cache_arena);
                kvec *dargs[256];
                for (int j = 0; j < nargs; j++) {
                    if (!args[j])
                        dargs[j] = NULL;
                    else if (args[j]->enc == KV_DICT)
                        dargs[j] = args[j]->dict;
                    else { /* CONST, stretched to the dictionary's length */
                        kval v;
                        kvec_get(args[j], 0, &v);
                        dargs[j] = kvec_new_const(&in->cache_arena, &v, d0->n);
                    }
                }
                cached = kvec_new_flat(&in->cache_arena, rt, d0->n);
                kfctx dc = c;
                dc.arena = &in->cache_arena;
                run_kernel(&dc, in->fn, cached, dargs, nargs, NULL, 0, d0->n);
                in->cache_id = dict_id;
                in->cache = cached;
                in->cache_uid = sp_arena_alloc(&ex->arena, 1);
            }
            kvec *out = sp_arena_calloc(arena, sizeof *out);
            out->type = rt;
            out->enc = KV_DICT;
            out->n = n;
            out->codes = codes;
            out->codes8 = codes8;
            out->dict = cached;
            /* The per-entry results are a dictionary of their own, indexed by the same
             * codes: a call over them runs once per entry too. */
            out->dict_id = in->cache_uid;
            return out;
        }
    }
    for (int j = 0; j < nargs; j++)
        if (args[j] && args[j]->enc == KV_DICT && !in->fn->any_enc)
            args[j] = kvec_flatten(arena, args[j]);
    kvec *out = kvec_new_flat(arena, rt, n);
    run_kernel(&c, in->fn, out, args, nargs, b->sel, b->nsel, n);
    return out;
}

/* Three-valued and/or over two bool vectors, for the selected rows. */
static kvec *eval_logic(kvm_op op, const kvec *a, const kvec *bv, kbatch *b, sp_arena *arena)
{
    kvec *out = kvec_new_flat(arena, SP_TYPE_BOOL, b->n);
    uint32_t rows = kbatch_rows(b);
    for (uint32_t k = 0; k < rows; k++) {
        uint32_t i = kbatch_row(b, k);
        bool an = kvec_is_null(a, i), bn = kvec_is_null(bv, i);
        bool av = !an && kvec_bool(a, i), bvv = !bn && kvec_bool(bv, i);
        kval r = {.type = SP_TYPE_BOOL};
        if (op == KVM_AND) {
            if ((!an && !av) || (!bn && !bvv))
                r.u.b = false;
            else if (an || bn)
                r.null = true;
            else
                r.u.b = true;
        } else {
            if ((!an && av) || (!bn && bvv))
                r.u.b = true;
            else if (an || bn)
                r.null = true;
            else
                r.u.b = false;
        }
        kvec_set(out, i, &r);
    }
    return out;
}

/* Keeps the rows whose keep[] byte is 1, over the selection or all n rows. The loops
 * are branch-free: every row is written, the count advances only for kept ones. */
static uint32_t select_flat(const uint8_t *keep, const uint32_t *sel, uint32_t rows, uint32_t *out)
{
    uint32_t m = 0;
    if (sel) {
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t i = sel[k];
            out[m] = i;
            m += keep[i];
        }
    } else {
        for (uint32_t i = 0; i < rows; i++) {
            out[m] = i;
            m += keep[i];
        }
    }
    return m;
}

/* The same over dictionary codes (four- or one-byte): keep[code] per row. */
#define SELECT_CODES(name, T)                                                                                 \
    static uint32_t name(const uint8_t *keep, const T *codes, const uint32_t *sel, uint32_t rows, uint32_t *out) \
    {                                                                                                         \
        uint32_t m = 0;                                                                                       \
        if (sel) {                                                                                            \
            /* The selected rows' codes are not in cache yet (a later conjunct's column):                    \
             * ask for the lines a few rows ahead, or each row waits for memory. */                          \
            for (uint32_t k = 0; k < rows; k++) {                                                             \
                uint32_t i = sel[k];                                                                          \
                __builtin_prefetch(codes + sel[k + 16 < rows ? k + 16 : k]);                                  \
                out[m] = i;                                                                                   \
                m += keep[codes[i]];                                                                          \
            }                                                                                                 \
            return m;                                                                                         \
        }                                                                                                     \
        /* Eight rows at a time: a selective predicate (the usual detection) mostly finds                    \
         * none of the eight and skips them after one test. */                                                \
        uint32_t i = 0;                                                                                       \
        for (; i + 8 <= rows; i += 8) {                                                                       \
            const T *c = codes + i;                                                                           \
            __builtin_prefetch(c + 512 / sizeof(T)); /* the codes stream in from memory */                    \
            if (!(keep[c[0]] | keep[c[1]] | keep[c[2]] | keep[c[3]] | keep[c[4]] | keep[c[5]] | keep[c[6]] | \
                  keep[c[7]]))                                                                                \
                continue;                                                                                     \
            for (uint32_t j = 0; j < 8; j++) {                                                                \
                out[m] = i + j;                                                                               \
                m += keep[c[j]];                                                                              \
            }                                                                                                 \
        }                                                                                                     \
        for (; i < rows; i++) {                                                                               \
            out[m] = i;                                                                                       \
            m += keep[codes[i]];                                                                              \
        }                                                                                                     \
        return m;                                                                                             \
    }
SELECT_CODES(select_codes, uint32_t)
SELECT_CODES(select_codes8, uint8_t)

#define KKEEP_LIST 4

/* Which entries of a dictionary a filter keeps: keep[e] (0/1), and when at most
 * KKEEP_LIST entries are kept (or, negate, dropped), those entries. */
typedef struct kkeep {
    const uint8_t *keep;
    uint32_t nlist; /* UINT32_MAX: more than KKEEP_LIST either way */
    bool negate;
    uint32_t list[KKEEP_LIST];
    /* The chunk's kept rows as a bitmap, from the column's row lists (postings.c), once
     * asked for (post_asked); NULL when it has none or the filter keeps too many rows.
     * A batch's first row is the offset of its codes from the chunk's (post_codes8 or
     * post_codes, at row 0), of post_rows. */
    bool post_asked;
    const uint64_t *post_bits;
    const uint8_t *post_codes8;
    const uint32_t *post_codes;
    uint32_t post_rows;
} kkeep;

#if defined(__SSE2__)
/* Rows whose code is in a short list (none of it, negate), when no selection narrows the
 * batch. Detection filters on a dictionary column mostly keep one or a few entries (`==`,
 * `in`) or drop one or a few (`!=`, `!in`): then sixteen one-byte codes (four four-byte
 * ones) are compared with each listed code at once, and the kept rows read off the bit
 * mask. With a filter keeping one row in thirty, the table walk of select_codes takes a
 * mispredicted branch in every fourth group of eight; this takes none. A dictionary with
 * no kept entry reads no code at all. */
static uint32_t select_listed(const kkeep *k, const uint8_t *codes8, const uint32_t *codes, uint32_t rows,
                              uint32_t *out)
{
    uint32_t m = 0, i = 0;
    if (k->nlist == 0) { /* keeps everything or nothing */
        if (k->negate)
            for (; i < rows; i++)
                out[m++] = i;
        return m;
    }
    if (codes8) {
        __m128i want[KKEEP_LIST];
        for (uint32_t j = 0; j < k->nlist; j++)
            want[j] = _mm_set1_epi8((char)k->list[j]);
        unsigned flip = k->negate ? 0xFFFFu : 0;
        for (; i + 16 <= rows; i += 16) {
            __builtin_prefetch(codes8 + i + 512); /* the codes stream in from memory */
            __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(codes8 + i));
            __m128i eq = _mm_cmpeq_epi8(c, want[0]);
            for (uint32_t j = 1; j < k->nlist; j++)
                eq = _mm_or_si128(eq, _mm_cmpeq_epi8(c, want[j]));
            m = ksel_append(out, m, i, (unsigned)_mm_movemask_epi8(eq) ^ flip);
        }
        for (; i < rows; i++) {
            out[m] = i;
            m += k->keep[codes8[i]];
        }
        return m;
    }
    __m128i want[KKEEP_LIST];
    for (uint32_t j = 0; j < k->nlist; j++)
        want[j] = _mm_set1_epi32((int)k->list[j]);
    unsigned flip = k->negate ? 0xFu : 0;
    for (; i + 4 <= rows; i += 4) {
        if (!(i & 15))
            __builtin_prefetch(codes + i + 128);
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(codes + i));
        __m128i eq = _mm_cmpeq_epi32(c, want[0]);
        for (uint32_t j = 1; j < k->nlist; j++)
            eq = _mm_or_si128(eq, _mm_cmpeq_epi32(c, want[j]));
        m = ksel_append(out, m, i, (unsigned)_mm_movemask_ps(_mm_castsi128_ps(eq)) ^ flip);
    }
    for (; i < rows; i++) {
        out[m] = i;
        m += k->keep[codes[i]];
    }
    return m;
}
#endif

/* keep[i] = 1 where a bool vector's entry i is true and not null (entries 0..n). */
static const uint8_t *true_bytes(const kvec *v, uint32_t n, sp_arena *arena)
{
    if (!v->valid) {
        bool clean = true; /* bool values are stored as 0/1 */
        for (uint32_t i = 0; i < n && clean; i++)
            clean = v->d.b[i] <= 1;
        if (clean)
            return v->d.b;
    }
    uint8_t *keep = sp_arena_alloc(arena, n ? n : 1);
    for (uint32_t i = 0; i < n; i++)
        keep[i] = v->d.b[i] && (!v->valid || ((v->valid[i >> 3] >> (i & 7)) & 1));
    return keep;
}

/* The kept entries of a per-entry bool vector (v->dict of a KV_DICT filter input). A
 * dictionary's verdicts serve every batch of its chunk, but finding which of them are
 * true walks all of its entries: for a column of ~40 k distinct addresses per chunk that
 * was ~20 bytes per row of a 2048-row batch, the largest cost of the filter. So they are
 * kept with the FILTER instruction, under the identity of the per-entry results (dict_id:
 * a fresh allocation each time the producer rebuilds them, never reused while the
 * execution runs), and found once per dictionary. */
static kkeep *filter_keep(kinstr *in, const kvec *v, kkeep *local, sp_arena *arena)
{
    const kvec *d = v->dict;
    if (in->keep && in->cache_id == v->dict_id)
        return in->keep;
    bool cache = v->dict_id != NULL;
    if (cache)
        sp_arena_reset(&in->cache_arena);
    sp_arena *a = cache ? &in->cache_arena : arena;
    kkeep *k = cache ? sp_arena_alloc(a, sizeof *k) : local;
    const uint8_t *keep = true_bytes(d, d->n, arena);
    if (cache) {
        uint8_t *copy = sp_arena_alloc(a, d->n ? d->n : 1);
        memcpy(copy, keep, d->n);
        keep = copy;
    }
    k->keep = keep;
    k->post_asked = false;
    k->post_bits = NULL;
    k->post_codes8 = NULL;
    k->post_codes = NULL;
    k->post_rows = 0;
    uint32_t on = 0, off = 0, lon[KKEEP_LIST], loff[KKEEP_LIST];
    for (uint32_t e = 0; e < d->n && (on <= KKEEP_LIST || off <= KKEEP_LIST); e++) {
        if (keep[e]) {
            if (on < KKEEP_LIST)
                lon[on] = e;
            on++;
        } else {
            if (off < KKEEP_LIST)
                loff[off] = e;
            off++;
        }
    }
    k->negate = on > KKEEP_LIST;
    k->nlist = !k->negate ? on : off <= KKEEP_LIST ? off : UINT32_MAX;
    if (k->nlist != UINT32_MAX)
        memcpy(k->list, k->negate ? loff : lon, sizeof(uint32_t) * k->nlist);
    if (cache) {
        in->keep = k;
        in->cache_id = v->dict_id;
    }
    return k;
}

static void apply_filter(kexec *ex, kinstr *in, const kvec *v, kbatch *b, sp_arena *arena)
{
    uint32_t rows = kbatch_rows(b);
    uint32_t *sel = sp_arena_alloc(arena, sizeof(uint32_t) * (rows + KSEL_PAD));
    uint32_t m = 0;
    if (v->enc == KV_CONST) {
        if (!v->cnull && v->d.b[0]) {
            for (uint32_t k = 0; k < rows; k++)
                sel[m++] = kbatch_row(b, k);
        }
    } else if (v->enc == KV_DICT) {
        kkeep local;
        kkeep *kk = filter_keep(in, v, &local, arena);
        const uint8_t *keep = kk->keep;
        m = UINT32_MAX;
        if (!b->sel && kk != &local && kk->nlist != 0 && b->load_post && in->post_hint && !kk->post_asked &&
            !(ex->opts && ex->opts->no_row_lists)) {
            /* Once per chunk, after a batch that kept few rows: its row lists, if worth it
             * (a filter keeping no entry, or every one, reads no code at all). */
            kk->post_asked = true;
            uint32_t row0;
            const kpost *p = b->load_post(b, v->codes8 ? (const void *)v->codes8 : (const void *)v->codes, &row0);
            if (p && p->nentries == v->dict->n && (kk->post_bits = kpost_keep_bits(p, keep, &in->cache_arena))) {
                kk->post_codes8 = v->codes8 ? v->codes8 - row0 : NULL;
                kk->post_codes = v->codes ? v->codes - row0 : NULL;
                kk->post_rows = p->rows;
            }
        }
        if (!b->sel && kk->post_bits) {
            uintptr_t at = v->codes8 ? (uintptr_t)v->codes8 - (uintptr_t)kk->post_codes8
                                     : ((uintptr_t)v->codes - (uintptr_t)kk->post_codes) / sizeof *v->codes;
            if (!(at & 63) && at + rows <= kk->post_rows) { /* the same chunk's codes, whole words */
                m = kpost_select(kk->post_bits, (uint32_t)at, rows, sel);
                if (ex->opts && ex->opts->counters)
                    ex->opts->counters->rows_posted += rows;
            }
        }
#if defined(__SSE2__)
        if (m == UINT32_MAX && !b->sel && kk->nlist != UINT32_MAX)
            m = select_listed(kk, v->codes8, v->codes, rows, sel);
#endif
        if (m == UINT32_MAX)
            m = v->codes ? select_codes(keep, v->codes, b->sel, rows, sel)
                         : select_codes8(keep, v->codes8, b->sel, rows, sel);
        if (!b->sel)
            in->post_hint = (uint64_t)m * KPOST_SELECTIVE <= rows;
    } else {
        /* Only the selected rows of a computed vector are defined: mask the rest. */
        uint8_t *keep = sp_arena_alloc(arena, b->n ? b->n : 1);
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t i = kbatch_row(b, k);
            keep[i] = v->d.b[i] && (!v->valid || ((v->valid[i >> 3] >> (i & 7)) & 1));
        }
        m = select_flat(keep, b->sel, rows, sel);
    }
    b->sel = sel;
    b->nsel = m;
}

/* Input column in->imm of the batch, loaded now when the batch loads late; NULL after
 * kexec_fail. */
static kvec *load_input(kexec *ex, const kinstr *in, kbatch *b)
{
    if (in->imm < b->ncols && !b->cols[in->imm] && b->load)
        b->cols[in->imm] = b->load(b, in->imm);
    if (in->imm >= b->ncols || !b->cols[in->imm]) {
        kexec_fail(ex, in->node->line, in->node->col, "internal: column %d not loaded", in->imm);
        return NULL;
    }
    return b->cols[in->imm];
}

kvec *kprog_eval(kexec *ex, kprog *p, kbatch *b, sp_arena *arena)
{
    kvec **regs = sp_arena_calloc(arena, sizeof(kvec *) * (size_t)(p->nregs ? p->nregs : 1));
    for (int pc = 0; pc < p->ncode; pc++) {
        kinstr *in = &p->code[pc];
        ex->vm_steps += kbatch_rows(b) + 1;
        switch (in->op) {
        case KVM_COL:
            if (!(regs[in->dst] = load_input(ex, in, b)))
                return NULL;
            break;
        case KVM_CONST: regs[in->dst] = kvec_new_const(arena, &p->consts[in->imm], b->n); break;
        case KVM_PATH: {
            /* The chunk's derived column when the scan has one. Else the column itself,
             * whose JSON the call walks as it would without PATH (path_raw), when the
             * call's own arguments name the whole path; a chain of Kusto accesses (whose
             * inner calls were folded into the path) gets its path lists computed here. */
            kvec *v = b->load_path ? b->load_path(b, in->path) : NULL;
            in->path_raw = false;
            if (!v) {
                if (!(v = load_input(ex, in, b)))
                    return NULL;
                in->path_raw = in->path->mode != KPATH_EXACT || in->path->nsteps == 1;
                if (!in->path_raw)
                    v = kpath_vec(ex, in, v, b, arena);
            }
            regs[in->dst] = v;
            break;
        }
        case KVM_CALL:
            regs[in->dst] = eval_call(ex, p, in, regs, p->argregs + in->a, b, arena);
            if (ex->failed)
                return NULL;
            break;
        case KVM_AND:
        case KVM_OR: regs[in->dst] = eval_logic(in->op, regs[in->a], regs[in->b], b, arena); break;
        case KVM_VERDICT: {
            if (pc + 1 < p->ncode && p->code[pc + 1].op == KVM_FILTER && p->code[pc + 1].a == in->dst) {
                /* Only the ids when the column is not loaded yet: the texts are read only
                 * if one has no verdict so far. */
                kvec *ids = in->imm < b->ncols ? b->cols[in->imm] : NULL;
                if (!ids && b->load_ids && in->imm < b->ncols)
                    ids = b->load_ids(b, in->imm);
                if (ids && kverdict_filter(ex, in, ids, b, arena)) {
                    pc++; /* the filter is done */
                    if (b->nsel == 0)
                        return NULL;
                    break;
                }
            }
            kvec *x = load_input(ex, in, b);
            if (!x)
                return NULL;
            regs[in->dst] = kverdict_eval(ex, in, x, b, arena);
            if (!regs[in->dst])
                return NULL;
            break;
        }
        case KVM_FILTER:
            apply_filter(ex, in, regs[in->a], b, arena);
            if (b->nsel == 0)
                return NULL; /* nothing left: later steps have no rows to see */
            break;
        }
    }
    if (kexec_check_steps(ex) < 0)
        return NULL;
    return p->result >= 0 ? regs[p->result] : NULL;
}

int kexec_check_steps(kexec *ex)
{
    uint64_t max = ex->opts && ex->opts->max_steps ? ex->opts->max_steps : sp_limits.max_vm_steps;
    if (ex->vm_steps > max)
        return kexec_fail(ex, 0, 0, "query exceeded its step limit (%llu)", (unsigned long long)max);
    return 0;
}

void kprog_explain(const kprog *p, sp_buf *out)
{
    kprog_explain_indent(p, out, "");
}

void kprog_explain_indent(const kprog *p, sp_buf *out, const char *prefix)
{
    for (int pc = 0; pc < p->ncode; pc++) {
        const kinstr *in = &p->code[pc];
        sp_buf_printf(out, "%s  %3d  %-7s%s", prefix, pc, opnames[in->op], strlen(opnames[in->op]) >= 7 ? " " : "");
        switch (in->op) {
        case KVM_COL: sp_buf_printf(out, "r%d = column #%d", in->dst, in->imm); break;
        case KVM_CONST:
            sp_buf_printf(out, "r%d = ", in->dst);
            kval_to_json(&p->consts[in->imm], out);
            break;
        case KVM_CALL:
            sp_buf_printf(out, "r%d = %s(", in->dst, kb_get((kb_id)in->imm)->name);
            for (int j = 0; j < in->n; j++) {
                int r = p->argregs[in->a + j];
                if (r >= 0)
                    sp_buf_printf(out, "%sr%d", j ? ", " : "", r);
                else
                    sp_buf_printf(out, "%s<%s>", j ? ", " : "", in->node->args[j]->kind == KX_LAMBDA ? "predicate" : "set");
            }
            sp_buf_printf(out, ") -> %s", sp_type_name(in->node->type));
            if (in->fn->explain && in->state) {
                sp_buf_putc(out, '\n');
                in->fn->explain(in->state, out);
                continue; /* the hook ends its own last line */
            }
            break;
        case KVM_AND:
        case KVM_OR: sp_buf_printf(out, "r%d = r%d %s r%d", in->dst, in->a, in->op == KVM_AND ? "and" : "or", in->b); break;
        case KVM_FILTER: sp_buf_printf(out, "keep rows where r%d", in->a); break;
        case KVM_PATH: {
            static const char *const modes[] = {"any", "ci", "exact"};
            sp_buf_printf(out, "r%d = column #%d at ", in->dst, in->imm);
            for (int k = 0; k < in->path->nsteps; k++) {
                const kpath_step *st = &in->path->steps[k];
                if (st->is_index)
                    sp_buf_printf(out, "[%lld]", (long long)st->index);
                else
                    sp_buf_printf(out, "%s%.*s", k ? "." : "", (int)st->name.n, st->name.p);
            }
            sp_buf_printf(out, " (%s)", modes[in->path->mode]);
            break;
        }
        case KVM_VERDICT: {
            sp_buf_printf(out, "r%d = per distinct text of column #%d, cached by table-dictionary id:\n", in->dst, in->imm);
            char inner[256];
            snprintf(inner, sizeof inner, "%s         t: ", prefix);
            kprog_explain_indent(in->sub, out, inner);
            continue; /* the body ends its own last line */
        }
        }
        sp_buf_putc(out, '\n');
    }
}
