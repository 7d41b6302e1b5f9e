/* kfn_harness.c — see kfn_harness.h. Mirrors vm.c's calling convention for kernels:
 * init(call) once, scalar(args) per row with set operands passed as null dynamics, the
 * result's type forced to the call's type, free(state) at the end. */
#include "kfn_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kfh_init(kfh *h)
{
    memset(h, 0, sizeof *h);
    h->plan = kplan_new();
    h->ex.now = SP_UNIX_EPOCH_TICKS + 1700000000LL * SP_TICKS_PER_SEC; /* 2023-11-14T22:13:20Z */
    h->ex.err = &h->err;
}

void kfh_done(kfh *h)
{
    kplan_free(h->plan);
    sp_arena_free(&h->arena);
    sp_arena_free(&h->ex.arena);
}

static kx *cst(kfh *h, kval v)
{
    return kx_const(h->plan, v);
}

kx *kfh_str(kfh *h, const char *s)
{
    return cst(h, (kval){.type = SP_TYPE_STRING, .u.s = {s, (uint32_t)strlen(s)}});
}

kx *kfh_long(kfh *h, int64_t v)
{
    return cst(h, (kval){.type = SP_TYPE_LONG, .u.l = v});
}

kx *kfh_int(kfh *h, int64_t v)
{
    return cst(h, (kval){.type = SP_TYPE_INT, .u.l = v});
}

kx *kfh_real(kfh *h, double v)
{
    return cst(h, (kval){.type = SP_TYPE_REAL, .u.r = v});
}

kx *kfh_bool(kfh *h, bool v)
{
    return cst(h, (kval){.type = SP_TYPE_BOOL, .u.b = v});
}

kx *kfh_dt(kfh *h, const char *iso)
{
    kval v = {.type = SP_TYPE_DATETIME};
    if (!sp_datetime_parse(iso, strlen(iso), &v.u.l)) {
        fprintf(stderr, "kfh_dt: bad datetime '%s'\n", iso);
        abort();
    }
    return cst(h, v);
}

kx *kfh_ts(kfh *h, const char *text)
{
    kval v = {.type = SP_TYPE_TIMESPAN};
    if (!sp_timespan_parse(text, strlen(text), &v.u.l)) {
        fprintf(stderr, "kfh_ts: bad timespan '%s'\n", text);
        abort();
    }
    return cst(h, v);
}

kx *kfh_dyn(kfh *h, const char *json)
{
    if (!*json)
        return cst(h, kval_null(SP_TYPE_DYNAMIC));
    sp_buf o = {0};
    size_t off;
    const char *why;
    if (sp_json_compact(json, strlen(json), 64, &o, &off, &why) != 0) {
        fprintf(stderr, "kfh_dyn: bad JSON '%s': %s\n", json, why);
        abort();
    }
    kx *e = cst(h, (kval){.type = SP_TYPE_DYNAMIC, .u.s = {o.data, (uint32_t)o.len}});
    sp_buf_free(&o);
    return e;
}

kx *kfh_null(kfh *h, sp_type t)
{
    return cst(h, kval_null(t));
}

kx *kfh_set(kfh *h, kx **vals, int n)
{
    kx *e = sp_arena_calloc(&h->plan->arena, sizeof *e);
    e->kind = KX_SET;
    e->type = SP_TYPE_DYNAMIC;
    e->set = sp_arena_calloc(&h->plan->arena, sizeof(kval) * (size_t)(n ? n : 1));
    e->nset = n;
    for (int i = 0; i < n; i++)
        e->set[i] = vals[i]->value;
    return e;
}

kx *kfh_row(kfh *h, kx *constant)
{
    if (h->nrows == (int)SP_ARRAY_LEN(h->rows))
        abort();
    h->rows[h->nrows] = constant->value;
    return kx_col(h->plan, h->nrows++, constant->type);
}

const char *kfh_call(kfh *h, kb_id fn, sp_type rt, int nargs, kx **args)
{
    const kfn_impl *impl = kfn_get(fn);
    if (!impl)
        return "UNIMPLEMENTED";
    kx *call = kx_call(h->plan, fn, rt, args, nargs);
    kfctx c = {.ex = &h->ex, .call = call, .arena = &h->arena};
    void *state = NULL;
    h->ex.failed = false;
    memset(&h->err, 0, sizeof h->err);
    if (impl->init && impl->init(&c, call, &state) != 0) {
        if (state && impl->free)
            impl->free(state);
        char buf[600];
        snprintf(buf, sizeof buf, "ERROR: %s", h->err.msg);
        return sp_arena_strndup(&h->arena, buf, strlen(buf));
    }
    c.state = state;
    kval av[256];
    for (int i = 0; i < nargs; i++) {
        const kx *a = args[i];
        av[i] = a->kind == KX_CONST ? a->value : a->kind == KX_COL ? h->rows[a->colidx] : kval_null(SP_TYPE_DYNAMIC);
    }
    kval r;
    memset(&r, 0, sizeof r);
    r.type = rt;
    impl->scalar(&c, &r, av, nargs);
    if (state && impl->free)
        impl->free(state);
    if (r.type != rt) {
        char buf[64];
        snprintf(buf, sizeof buf, "TYPE: %s", sp_type_name(r.type));
        return sp_arena_strndup(&h->arena, buf, strlen(buf));
    }
    sp_buf b = {0};
    kval_to_json(&r, &b);
    const char *s = sp_arena_strndup(&h->arena, b.data ? b.data : "", b.len);
    sp_buf_free(&b);
    return s;
}
