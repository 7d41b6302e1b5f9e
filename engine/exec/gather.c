/* gather.c — building output vectors by row index, for the operators that reorder,
 * repeat or pair rows (sort, top, join, mv-expand): out[i] = src[idx[i]].
 *
 * A gather copies fixed-width values and text references, never text bytes: producers
 * keep their input alive (the current batch, or a materialized rowset) for as long as
 * the gathered batch is in use. Dictionary-encoded inputs stay encoded (only the codes are
 * gathered), so dictionary-aware builtins downstream still run once per distinct value.
 */
#include "engine/exec/exec_int.h"

#include <string.h>

kvec *kvec_null(sp_arena *arena, sp_type t, uint32_t n)
{
    kval v = kval_null(t);
    return kvec_new_const(arena, &v, n);
}

static bool any_null_index(const uint32_t *idx, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (idx[i] == KGATHER_NULL)
            return true;
    return false;
}

static kvec *gather_values(sp_arena *arena, const kvec *src, const uint32_t *idx, uint32_t n, bool nulls);

kvec *kvec_gather(sp_arena *arena, const kvec *src, const uint32_t *idx, uint32_t n)
{
    if (!src)
        return NULL; /* a pruned column stays absent */
    bool nulls = any_null_index(idx, n);
    kvec *v = gather_values(arena, src, idx, n, nulls);
    if (src->unset || src->jnull) {
        /* presence follows its rows; a missing row of a string column has no string */
        bool str = src->type == SP_TYPE_STRING || src->type == SP_TYPE_GUID;
        v->unset = kbits_gather(arena, src->unset, 0, idx, n, nulls && str);
        v->jnull = kbits_gather(arena, src->jnull, 0, idx, n, false);
    }
    return v;
}

static kvec *gather_values(sp_arena *arena, const kvec *src, const uint32_t *idx, uint32_t n, bool nulls)
{
    if (src->enc == KV_CONST && !nulls) {
        kvec *v = sp_arena_alloc(arena, sizeof *v);
        *v = *src;
        v->n = n;
        return v;
    }
    if (src->enc == KV_DICT && !nulls) {
        kvec *v = sp_arena_alloc(arena, sizeof *v);
        *v = *src;
        v->n = n;
        uint32_t *codes = sp_arena_alloc(arena, sizeof(uint32_t) * (n ? n : 1));
        for (uint32_t i = 0; i < n; i++)
            codes[i] = kvec_code(src, idx[i]);
        v->codes = codes;
        v->codes8 = NULL;
        return v;
    }
    kvec *out = kvec_new_flat(arena, src->type, n);
    const kvec *b = kvec_base(src);
    if (sp_type_is_text(src->type)) {
        out->stable_text = src->stable_text;
        for (uint32_t i = 0; i < n; i++)
            out->d.s[i] = idx[i] == KGATHER_NULL ? (kstr){"", 0} : b->d.s[kvec_at(src, idx[i])];
        if (src->gids && !nulls) { /* a missing row's "" may have no id */
            uint32_t *g = sp_arena_alloc(arena, sizeof(uint32_t) * (n ? n : 1));
            for (uint32_t i = 0; i < n; i++)
                g[i] = kvec_gid(src, idx[i]);
            out->gids = g;
            out->tdict = src->tdict;
        }
        return out;
    }
    if (src->enc == KV_FLAT && !src->valid && !nulls) {
        /* The common case: a plain column without nulls. */
        if (src->type == SP_TYPE_BOOL)
            for (uint32_t i = 0; i < n; i++)
                out->d.b[i] = src->d.b[idx[i]];
        else
            for (uint32_t i = 0; i < n; i++)
                out->d.l[i] = src->d.l[idx[i]]; /* reals copied bitwise */
        return out;
    }
    kval x;
    for (uint32_t i = 0; i < n; i++) {
        if (idx[i] == KGATHER_NULL) {
            kvec_set_null(out, i);
            continue;
        }
        kvec_get(src, idx[i], &x);
        kvec_set(out, i, &x);
    }
    return out;
}

kvec *kvec_cast(sp_arena *arena, const kvec *v, sp_type to, const uint32_t *sel, uint32_t nsel)
{
    if (!v || v->type == to)
        return (kvec *)v;
    kvec *out;
    if ((v->type == SP_TYPE_INT && to == SP_TYPE_LONG) || (v->type == SP_TYPE_GUID && to == SP_TYPE_STRING) ||
        (v->type == SP_TYPE_STRING && to == SP_TYPE_GUID)) {
        out = sp_arena_alloc(arena, sizeof *out);
        *out = *v; /* same representation: relabel */
        out->type = to;
        return out;
    }
    out = kvec_new_flat(arena, to, v->n);
    kval x, y;
    for (uint32_t k = 0; k < nsel; k++) {
        uint32_t i = sel ? sel[k] : k;
        kvec_get(v, i, &x);
        kval_convert(&x, to, arena, &y);
        kvec_set(out, i, &y);
    }
    return out;
}

int kexec_eval_const(kexec *ex, const kx *e, sp_arena *arena, kval *out)
{
    kprog prog;
    memset(&prog, 0, sizeof prog);
    if (kprog_compile(ex, e, false, &prog) < 0 || ex->failed) {
        kprog_free(&prog);
        return -1;
    }
    kbatch b;
    memset(&b, 0, sizeof b);
    b.n = 1;
    b.arena = arena;
    kvec *v = kprog_eval(ex, &prog, &b, arena);
    if (!v) {
        kprog_free(&prog);
        return ex->failed ? -1 : kexec_fail(ex, e->line, e->col, "expression has no value");
    }
    kvec_get(v, 0, out);
    out->type = e->type;
    kprog_free(&prog);
    return 0;
}
