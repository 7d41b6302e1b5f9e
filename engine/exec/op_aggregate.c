/* op_aggregate.c — summarize: hash grouping over the key tuple (keys.c) and one
 * aggregate state per group and aggregate (agg.c).
 *
 * Groups are emitted in the order they first appeared, which keeps results deterministic
 * for tests and replays. Everything a group keeps (key strings, sets, lists) is copied
 * into the operator's arena or the group table's, because input batches die at the next
 * pull.
 */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct agg_op {
    kop base;
    kop *in;
    kagg_progs progs;
    khash groups;               /* key tuple -> group id, first-seen order */
    uint32_t scap;
    kagg_state *states; /* groups.n * naggs */
    sp_arena arena, tmp;
    krowset *result;
    kop *reader;
    bool done;
} agg_op;

static uint32_t find_group(agg_op *a, const kval *key, int nkeys)
{
    bool added;
    uint32_t g = khash_insert(&a->groups, key, khash_of(key, nkeys), &added);
    if (!added)
        return g;
    const kp *n = a->base.node;
    size_t na = (size_t)(n->naggs ? n->naggs : 1);
    if (g >= a->scap) {
        uint32_t nc = a->scap ? a->scap * 2 : 64;
        a->states = sp_xrealloc(a->states, sizeof(kagg_state) * (size_t)nc * na);
        a->scap = nc;
    }
    memset(&a->states[(size_t)g * (size_t)n->naggs], 0, sizeof(kagg_state) * (size_t)n->naggs);
    return g;
}

static int agg_consume(agg_op *a)
{
    kexec *ex = a->base.ex;
    const kp *n = a->base.node;
    kbatch *b;
    int r;
    while ((r = a->in->next(a->in, &b)) > 0) {
        sp_arena_reset(&a->tmp);
        if (kagg_progs_eval(ex, &a->progs, b, &a->tmp) < 0)
            return -1;
        uint32_t rows = kbatch_rows(b);
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t row = kbatch_row(b, k);
            uint32_t g = find_group(a, kagg_progs_key(&a->progs, row), n->nkeys);
            kagg_progs_update(&a->progs, row, &a->states[(size_t)g * (size_t)n->naggs], &a->arena);
        }
    }
    return r < 0 || ex->failed ? -1 : 0;
}

static int agg_next(kop *self, kbatch **out)
{
    agg_op *a = (agg_op *)self;
    const kp *n = self->node;
    if (!a->done) {
        a->done = true;
        if (agg_consume(a) < 0)
            return -1;
        /* summarize without keys over no rows still returns one row */
        if (n->nkeys == 0 && a->groups.n == 0)
            find_group(a, NULL, 0);
        a->result = krowset_new(&n->out);
        kval *row = sp_xmalloc(sizeof(kval) * (size_t)(n->out.ncols ? n->out.ncols : 1));
        sp_type *types = sp_xmalloc(sizeof(sp_type) * (size_t)(n->out.ncols ? n->out.ncols : 1));
        for (int c = 0; c < n->out.ncols; c++)
            types[c] = n->out.cols[c].type;
        for (uint32_t g = 0; g < a->groups.n; g++) {
            for (int k = 0; k < n->nkeys; k++)
                row[k] = a->groups.keys[(size_t)g * (size_t)n->nkeys + (size_t)k];
            for (int i = 0; i < n->naggs; i++) {
                const kp_agg *ag = &n->aggs[i];
                kagg_finish(&a->arena, ag, &a->states[(size_t)g * (size_t)n->naggs + (size_t)i], &row[ag->first_out],
                            types + ag->first_out);
            }
            krowset_append_row(a->result, row);
        }
        free(row);
        free(types);
        a->reader = kop_rowset(self->ex, n, a->result);
    }
    return a->reader->next(a->reader, out);
}

static void agg_close(kop *self)
{
    agg_op *a = (agg_op *)self;
    const kp *n = self->node;
    kop_close(a->in);
    kop_close(a->reader);
    krowset_free(a->result);
    kagg_progs_free(&a->progs);
    for (uint32_t g = 0; g < a->groups.n; g++)
        for (int i = 0; i < n->naggs; i++)
            kagg_release(&a->states[(size_t)g * (size_t)n->naggs + (size_t)i]);
    khash_free(&a->groups);
    free(a->states);
    sp_arena_free(&a->arena);
    sp_arena_free(&a->tmp);
    free(a);
}

kop *kop_aggregate(kexec *ex, const kp *node)
{
    agg_op *a = kop_alloc(sizeof *a, ex, node, agg_next, agg_close);
    a->in = kop_build(ex, node->in);
    khash_init(&a->groups, node->nkeys);
    kagg_progs_init(ex, &a->progs, node);
    return &a->base;
}
