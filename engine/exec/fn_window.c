/* fn_window.c — functions over serialized rows: row_number, prev, row_cumsum,
 * row_window_session. They depend on the rows before the current one, so each keeps state
 * across the batches of its operator and sees rows in order (they are not dictionary-safe
 * and never run per distinct value). The input must be serialized (sort, serialize, top),
 * as Kusto requires; rows removed by a filter before the function do not count. */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct win_state {
    int64_t row;      /* rows seen */
    kval *hist;       /* prev(): ring of the last `depth` values */
    int depth, at;
    sp_arena arena;   /* strings kept in the ring */
    double sum_r;
    int64_t sum_l;
    bool in_session;
    int64_t session_start, last;
} win_state;

static int win_init(kfctx *c, const kx *call, void **state)
{
    win_state *st = sp_xcalloc(1, sizeof *st);
    if (call->fn == KB_prev) {
        int64_t off = 1;
        if (call->nargs > 1) {
            if (call->args[1]->kind != KX_CONST || call->args[1]->value.null || call->args[1]->value.u.l < 1)
                return kexec_fail(c->ex, call->line, call->col, "prev() needs a constant offset of at least 1");
            off = call->args[1]->value.u.l;
        }
        if (off > 65536)
            return kexec_fail(c->ex, call->line, call->col, "prev() offset is too large");
        st->depth = (int)off;
        st->hist = sp_xcalloc((size_t)off, sizeof(kval));
        for (int i = 0; i < st->depth; i++)
            st->hist[i] = kval_null(call->type);
    }
    *state = st;
    return 0;
}

static void win_free(void *p)
{
    win_state *st = p;
    free(st->hist);
    sp_arena_free(&st->arena);
    free(st);
}

static void fn_row_number(kfctx *c, kval *out, const kval *a, int n)
{
    win_state *st = c->state;
    int64_t start = n > 0 && !a[0].null ? a[0].u.l : 1;
    if (n > 1 && !a[1].null && a[1].u.b)
        st->row = 0; /* restart */
    out->type = SP_TYPE_LONG;
    out->null = false;
    out->u.l = start + st->row++;
}

static void fn_prev(kfctx *c, kval *out, const kval *a, int n)
{
    win_state *st = c->state;
    /* The value `depth` rows back is the oldest in the ring. */
    kval old = st->hist[st->at];
    if (st->row < st->depth)
        *out = n > 2 ? a[2] : kval_null(c->call->type);
    else
        *out = old;
    if (sp_type_is_text(out->type) && !out->null && out->u.s.n)
        out->u.s = kstr_dup(c->arena, out->u.s.p, out->u.s.n);
    kval keep = a[0];
    if (sp_type_is_text(keep.type) && keep.u.s.n)
        keep.u.s = kstr_dup(&st->arena, keep.u.s.p, keep.u.s.n);
    st->hist[st->at] = keep;
    st->at = (st->at + 1) % st->depth;
    st->row++;
    if (st->arena.bytes > ((size_t)64 << 20)) {
        /* Re-home the ring's strings so the arena does not grow without bound. */
        sp_arena fresh = {0};
        for (int i = 0; i < st->depth; i++)
            if (sp_type_is_text(st->hist[i].type) && st->hist[i].u.s.n)
                st->hist[i].u.s = kstr_dup(&fresh, st->hist[i].u.s.p, st->hist[i].u.s.n);
        sp_arena_free(&st->arena);
        st->arena = fresh;
    }
}

static void fn_row_cumsum(kfctx *c, kval *out, const kval *a, int n)
{
    win_state *st = c->state;
    if (n > 1 && !a[1].null && a[1].u.b) {
        st->sum_l = 0;
        st->sum_r = 0;
    }
    out->type = c->call->type;
    out->null = false;
    if (!a[0].null) {
        if (a[0].type == SP_TYPE_REAL)
            st->sum_r += a[0].u.r;
        else
            st->sum_l += a[0].u.l;
    }
    if (out->type == SP_TYPE_REAL)
        out->u.r = st->sum_r;
    else
        out->u.l = st->sum_l;
}

/* row_window_session(t, max_from_first, max_between, restart): the start of the session
 * the row belongs to. */
static void fn_row_window_session(kfctx *c, kval *out, const kval *a, int n)
{
    win_state *st = c->state;
    out->type = SP_TYPE_DATETIME;
    if (a[0].null) {
        out->null = true;
        return;
    }
    int64_t t = a[0].u.l;
    bool restart = n > 3 && !a[3].null && a[3].u.b;
    if (!st->in_session || restart || (!a[1].null && t - st->session_start > a[1].u.l) ||
        (!a[2].null && t - st->last > a[2].u.l)) {
        st->in_session = true;
        st->session_start = t;
    }
    st->last = t;
    out->null = false;
    out->u.l = st->session_start;
}

#define WIN(id, fn) {KB_##id, {.scalar = fn, .init = win_init, .free = win_free, .dict_ok = false}}
const kfn_reg kfn_window[] = {
    WIN(row_number, fn_row_number),
    WIN(prev, fn_prev),
    WIN(row_cumsum, fn_row_cumsum),
    WIN(row_window_session, fn_row_window_session),
    {(kb_id)-1, {0}},
};
