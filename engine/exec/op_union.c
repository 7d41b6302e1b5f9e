/* op_union.c — union: the inputs' rows one input after another, in input order, mapped
 * onto the output schema the binder computed (union operator docs: outer union by
 * default; a column an input lacks is null there, "" for strings; withsource= names each
 * row's input in the first output column).
 *
 * Streaming and zero-copy where the types agree: an input column passes through as is,
 * an absent one is a constant null vector, the source name a constant string. A column
 * whose output type is wider than the input's (long → real, anything → dynamic) is
 * converted row by row with Kusto's conversion (kval_convert); int → long only relabels,
 * since vectors already hold ints as 64-bit values.
 */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct union_op {
    kop base;
    kop **ins;
    int cur;
    sp_arena arena;
    kbatch batch;
} union_op;

static int union_next(kop *self, kbatch **out)
{
    union_op *u = (union_op *)self;
    const kp *n = self->node;
    sp_arena_reset(&u->arena);
    while (u->cur < n->ninputs) {
        kbatch *in;
        int r = u->ins[u->cur]->next(u->ins[u->cur], &in);
        if (r < 0)
            return -1;
        if (r == 0) {
            u->cur++;
            continue;
        }
        if (kbatch_rows(in) == 0)
            continue;
        kbatch *b = &u->batch;
        *b = *in;
        b->ncols = n->out.ncols;
        b->arena = &u->arena;
        b->cols = sp_arena_alloc(&u->arena, sizeof(kvec *) * (size_t)(n->out.ncols ? n->out.ncols : 1));
        int first = 0;
        if (n->source_col) {
            const char *name = n->source_names && n->source_names[u->cur] ? n->source_names[u->cur] : "";
            kval sv = {.type = SP_TYPE_STRING, .u.s = {name, (uint32_t)strlen(name)}};
            b->cols[0] = kvec_new_const(&u->arena, &sv, in->n);
            first = 1;
        }
        const int *map = n->union_map[u->cur];
        for (int c = first; c < n->out.ncols; c++) {
            sp_type t = n->out.cols[c].type;
            int m = map[c];
            b->cols[c] = m < 0 ? kvec_null(&u->arena, t, in->n) : kvec_cast(&u->arena, in->cols[m], t, in->sel, in->sel ? in->nsel : in->n);
        }
        *out = b;
        return 1;
    }
    return 0;
}

static void union_close(kop *self)
{
    union_op *u = (union_op *)self;
    for (int i = 0; i < self->node->ninputs; i++)
        kop_close(u->ins[i]);
    free(u->ins);
    sp_arena_free(&u->arena);
    free(u);
}

kop *kop_union(kexec *ex, const kp *node)
{
    union_op *u = kop_alloc(sizeof *u, ex, node, union_next, union_close);
    u->ins = sp_xcalloc((size_t)(node->ninputs ? node->ninputs : 1), sizeof(kop *));
    for (int i = 0; i < node->ninputs; i++)
        u->ins[i] = kop_build(ex, node->inputs[i]);
    return &u->base;
}
