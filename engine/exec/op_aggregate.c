/* op_aggregate.c — summarize: hash grouping and the aggregate functions.
 *
 * Groups are found by hashing the key values (typed, so 1 and "1" differ) into an open
 * addressing table of group ids; each aggregate keeps an array of fixed-size states
 * indexed by group id, updated one row at a time. Groups are emitted in the order they
 * first appeared, which keeps results deterministic for tests and replays. Everything a
 * group keeps (key strings, sets, lists) is copied into the operator's arena, because
 * input batches die at the next pull.
 *
 * dcount and dcountif are exact (a set per group), not HyperLogLog estimates; percentile
 * uses the nearest-rank method on the exact values.
 */
#include "engine/exec/exec_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct vlist { /* a growable list of values owned by the operator */
    kval *v;
    uint32_t n, cap;
} vlist;

typedef struct agg_state {
    int64_t count;
    double sum_r, mean, m2;
    int64_t sum_l;
    bool has, is_real;
    kval best;      /* min/max/arg_*: the extreme value; take_any: first value */
    kval *extra;    /* arg_max/arg_min/take_any: the other outputs */
    kset *set;      /* dcount, make_set */
    vlist list;     /* make_set order, make_list, percentile values */
    sp_buf bag;     /* make_bag: merged object members */
} agg_state;

typedef struct agg_op {
    kop base;
    kop *in;
    kprog *keyprogs, *argprogs; /* argprogs: per aggregate, per argument */
    int *argbase;               /* index of aggregate i's first program in argprogs */
    uint32_t ngroups, gcap;
    kval *keys; /* ngroups * nkeys */
    agg_state *states; /* ngroups * naggs */
    uint32_t *table;   /* slot -> group id + 1 */
    uint64_t *ghash;
    uint32_t tcap;
    sp_arena arena, tmp;
    krowset *result;
    kop *reader;
    bool done;
} agg_op;

static uint64_t hash_val(const kval *v, uint64_t h)
{
    if (v->null)
        return sp_hash_mix(h ^ 0x9e37);
    switch (v->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: return sp_hash64(v->u.s.p, v->u.s.n, h);
    case SP_TYPE_BOOL: return sp_hash_mix(h ^ (v->u.b ? 3 : 5));
    case SP_TYPE_REAL: {
        double r = v->u.r == 0 ? 0 : v->u.r; /* -0 groups with 0 */
        uint64_t bits;
        memcpy(&bits, &r, 8);
        return sp_hash_mix(h ^ bits);
    }
    default: return sp_hash_mix(h ^ (uint64_t)v->u.l ^ ((uint64_t)v->type << 56));
    }
}

static bool val_eq(const kval *a, const kval *b)
{
    if (a->null || b->null)
        return a->null == b->null;
    switch (a->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: return sp_streq(a->u.s.p, a->u.s.n, b->u.s.p, b->u.s.n);
    case SP_TYPE_BOOL: return a->u.b == b->u.b;
    case SP_TYPE_REAL: return a->u.r == b->u.r;
    default: return a->u.l == b->u.l;
    }
}

/* Keeps a value past the current batch. */
static kval own(agg_op *a, const kval *v)
{
    kval x = *v;
    if (sp_type_is_text(x.type) && !x.null && x.u.s.n)
        x.u.s = kstr_dup(&a->arena, x.u.s.p, x.u.s.n);
    return x;
}

static void vlist_push(agg_op *a, vlist *l, const kval *v)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 4;
        kval *nv = sp_arena_alloc(&a->arena, sizeof(kval) * nc);
        if (l->n)
            memcpy(nv, l->v, sizeof(kval) * l->n);
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = own(a, v);
}

/* Kusto's ordering for min/max/arg_max: numbers by value, strings ordinally, nulls never
 * win. Returns <0, 0, >0. */
static int val_cmp(const kval *a, const kval *b)
{
    switch (a->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
    case SP_TYPE_DYNAMIC: {
        uint32_t n = SP_MIN(a->u.s.n, b->u.s.n);
        int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
        return c ? c : (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
    }
    case SP_TYPE_REAL: return (a->u.r > b->u.r) - (a->u.r < b->u.r);
    case SP_TYPE_BOOL: return (int)a->u.b - (int)b->u.b;
    default: return (a->u.l > b->u.l) - (a->u.l < b->u.l);
    }
}

static uint32_t find_group(agg_op *a, const kval *key, int nkeys)
{
    uint64_t h = 0x51ed27;
    for (int k = 0; k < nkeys; k++)
        h = hash_val(&key[k], h);
    if ((a->ngroups + 1) * 2 > a->tcap) {
        uint32_t nc = a->tcap ? a->tcap * 2 : 64;
        uint32_t *t = sp_xcalloc(nc, sizeof *t);
        for (uint32_t g = 0; g < a->ngroups; g++) {
            uint32_t j = (uint32_t)a->ghash[g] & (nc - 1);
            while (t[j])
                j = (j + 1) & (nc - 1);
            t[j] = g + 1;
        }
        free(a->table);
        a->table = t;
        a->tcap = nc;
    }
    uint32_t j = (uint32_t)h & (a->tcap - 1);
    while (a->table[j]) {
        uint32_t g = a->table[j] - 1;
        if (a->ghash[g] == h) {
            bool eq = true;
            for (int k = 0; k < nkeys && eq; k++)
                eq = val_eq(&a->keys[(size_t)g * (size_t)nkeys + (size_t)k], &key[k]);
            if (eq)
                return g;
        }
        j = (j + 1) & (a->tcap - 1);
    }
    uint32_t g = a->ngroups++;
    const kp *n = a->base.node;
    if (g >= a->gcap) {
        uint32_t nc = a->gcap ? a->gcap * 2 : 64;
        a->keys = sp_xrealloc(a->keys, sizeof(kval) * (size_t)nc * (size_t)(nkeys ? nkeys : 1));
        a->states = sp_xrealloc(a->states, sizeof(agg_state) * (size_t)nc * (size_t)(n->naggs ? n->naggs : 1));
        a->ghash = sp_xrealloc(a->ghash, sizeof(uint64_t) * nc);
        a->gcap = nc;
    }
    for (int k = 0; k < nkeys; k++)
        a->keys[(size_t)g * (size_t)nkeys + (size_t)k] = own(a, &key[k]);
    memset(&a->states[(size_t)g * (size_t)n->naggs], 0, sizeof(agg_state) * (size_t)n->naggs);
    a->ghash[g] = h;
    a->table[j] = g + 1;
    return g;
}

static bool truthy(const kval *v)
{
    return !v->null && v->u.b;
}

static void update(agg_op *a, const kp_agg *ag, agg_state *st, const kval *args)
{
    const kval *x = &args[0];
    switch (ag->agg) {
    case KA_count: st->count++; break; /* count(x) counts rows, nulls included */
    case KA_countif: st->count += truthy(x); break;
    case KA_dcountif:
    case KA_dcount:
    case KA_count_distinct:
        if (ag->agg == KA_dcountif && !truthy(&args[1]))
            break;
        if (x->null)
            break;
        if (!st->set)
            st->set = kset_new(false);
        kset_add(st->set, x);
        break;
    case KA_sumif:
    case KA_avgif:
    case KA_sum:
    case KA_avg:
        if ((ag->agg == KA_sumif || ag->agg == KA_avgif) && !truthy(&args[1]))
            break;
        if (x->null)
            break;
        st->has = true;
        st->count++;
        if (x->type == SP_TYPE_REAL) {
            st->is_real = true;
            st->sum_r += x->u.r;
        } else {
            st->sum_l += x->u.l;
            st->sum_r += (double)x->u.l;
        }
        break;
    case KA_minif:
    case KA_maxif:
    case KA_min:
    case KA_max: {
        if ((ag->agg == KA_minif || ag->agg == KA_maxif) && !truthy(&args[1]))
            break;
        if (x->null || (x->type == SP_TYPE_REAL && isnan(x->u.r)))
            break;
        bool want_max = ag->agg == KA_max || ag->agg == KA_maxif;
        if (!st->has || (want_max ? val_cmp(x, &st->best) > 0 : val_cmp(x, &st->best) < 0)) {
            st->best = own(a, x);
            st->has = true;
        }
        break;
    }
    case KA_arg_max:
    case KA_arg_min: {
        if (x->null && st->has)
            break;
        bool better = !st->has || (!x->null && (st->best.null || (ag->agg == KA_arg_max ? val_cmp(x, &st->best) > 0
                                                                                         : val_cmp(x, &st->best) < 0)));
        if (!better)
            break;
        st->best = own(a, x);
        st->has = true;
        if (!st->extra && ag->nout > 1)
            st->extra = sp_arena_alloc(&a->arena, sizeof(kval) * (size_t)(ag->nout - 1));
        for (int i = 1; i < ag->nout; i++)
            st->extra[i - 1] = own(a, &args[i]);
        break;
    }
    case KA_take_anyif:
    case KA_take_any:
        if (st->has)
            break;
        if (ag->agg == KA_take_anyif && !truthy(&args[1]))
            break;
        st->has = true;
        st->best = own(a, x);
        if (ag->nout > 1) {
            st->extra = sp_arena_alloc(&a->arena, sizeof(kval) * (size_t)(ag->nout - 1));
            for (int i = 1; i < ag->nout; i++)
                st->extra[i - 1] = own(a, &args[i]);
        }
        break;
    case KA_make_set_if:
    case KA_make_set:
        if (ag->agg == KA_make_set_if && !truthy(&args[1]))
            break;
        if (x->null || (int64_t)st->list.n >= ag->cap)
            break;
        if (!st->set)
            st->set = kset_new(false);
        if (kset_has(st->set, x))
            break;
        kset_add(st->set, x);
        vlist_push(a, &st->list, x);
        break;
    case KA_make_list_if:
    case KA_make_list:
    case KA_make_list_with_nulls:
        if (ag->agg == KA_make_list_if && !truthy(&args[1]))
            break;
        if ((x->null && ag->agg != KA_make_list_with_nulls) || (int64_t)st->list.n >= ag->cap)
            break;
        vlist_push(a, &st->list, x);
        break;
    case KA_make_bag_if:
    case KA_make_bag:
        if (ag->agg == KA_make_bag_if && !truthy(&args[1]))
            break;
        if (x->null || x->u.s.n < 2 || x->u.s.p[0] != '{' || (int64_t)st->count >= ag->cap)
            break;
        vlist_push(a, &st->list, x); /* merged at the end: later keys do not override */
        st->count++;
        break;
    case KA_stdev:
    case KA_stdevp:
    case KA_variance:
    case KA_variancep: {
        if (x->null)
            break;
        double v = x->type == SP_TYPE_REAL ? x->u.r : (double)x->u.l;
        st->count++;
        double d = v - st->mean;
        st->mean += d / (double)st->count;
        st->m2 += d * (v - st->mean);
        break;
    }
    case KA_percentile:
    case KA_percentiles:
        if (x->null)
            break;
        vlist_push(a, &st->list, x);
        break;
    case KA_binary_all_or:
    case KA_binary_all_and:
        if (x->null)
            break;
        if (!st->has)
            st->sum_l = x->u.l;
        else
            st->sum_l = ag->agg == KA_binary_all_or ? (st->sum_l | x->u.l) : (st->sum_l & x->u.l);
        st->has = true;
        break;
    default: break;
    }
}

static void json_list(agg_op *a, const vlist *l, kval *out)
{
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    for (uint32_t i = 0; i < l->n; i++) {
        if (i)
            sp_buf_putc(&b, ',');
        if (l->v[i].type == SP_TYPE_DYNAMIC && !l->v[i].null)
            sp_buf_append(&b, l->v[i].u.s.p, l->v[i].u.s.n);
        else
            kval_to_json(&l->v[i], &b);
    }
    sp_buf_putc(&b, ']');
    out->type = SP_TYPE_DYNAMIC;
    out->null = false;
    out->u.s = kstr_dup(&a->arena, b.data, b.len);
    sp_buf_free(&b);
}

static int cmp_for_sort(const void *x, const void *y)
{
    return val_cmp(x, y);
}

static kval percentile_of(vlist *l, double pct)
{
    if (!l->n)
        return kval_null(SP_TYPE_REAL);
    qsort(l->v, l->n, sizeof(kval), cmp_for_sort);
    /* Nearest rank: the smallest value with at least pct% of values <= it. */
    double rank = ceil(pct / 100.0 * (double)l->n);
    uint32_t idx = rank < 1 ? 0 : (uint32_t)rank - 1;
    if (idx >= l->n)
        idx = l->n - 1;
    return l->v[idx];
}

/* Writes aggregate ag's outputs (nout values) for one group. */
static void finish(agg_op *a, const kp_agg *ag, agg_state *st, kval *out, const kp_schema *sch)
{
    sp_type t = sch->cols[ag->first_out].type;
    kval v = kval_null(t);
    switch (ag->agg) {
    case KA_count:
    case KA_countif:
        v.null = false;
        v.u.l = st->count;
        break;
    case KA_dcount:
    case KA_dcountif:
    case KA_count_distinct:
        v.null = false;
        v.u.l = st->set ? kset_size(st->set) : 0;
        break;
    case KA_sum:
    case KA_sumif: /* Kusto: the sum of no values is 0 */
        v.null = false;
        if (t == SP_TYPE_REAL)
            v.u.r = st->sum_r;
        else
            v.u.l = st->sum_l;
        break;
    case KA_avg:
    case KA_avgif:
        if (st->has) {
            v.null = false;
            v.u.r = st->sum_r / (double)st->count;
        }
        break;
    case KA_min:
    case KA_max:
    case KA_minif:
    case KA_maxif:
        if (st->has)
            v = st->best;
        break;
    case KA_arg_max:
    case KA_arg_min:
    case KA_take_any:
    case KA_take_anyif:
        if (st->has)
            v = st->best;
        for (int i = 1; i < ag->nout; i++)
            out[i] = st->has && st->extra ? st->extra[i - 1] : kval_null(sch->cols[ag->first_out + i].type);
        break;
    case KA_make_set:
    case KA_make_set_if:
    case KA_make_list:
    case KA_make_list_if:
    case KA_make_list_with_nulls: json_list(a, &st->list, &v); break;
    case KA_make_bag:
    case KA_make_bag_if: {
        /* Merge objects: the first occurrence of a key wins. */
        sp_buf b = {0};
        kset *seen = kset_new(false);
        sp_buf_putc(&b, '{');
        bool first = true;
        for (uint32_t i = 0; i < st->list.n; i++) {
            kstr o = st->list.v[i].u.s;
            kexec_bag_members(o.p, o.n, &b, seen, &first);
        }
        sp_buf_putc(&b, '}');
        kset_free(seen);
        v.type = SP_TYPE_DYNAMIC;
        v.null = false;
        v.u.s = kstr_dup(&a->arena, b.data, b.len);
        sp_buf_free(&b);
        break;
    }
    case KA_stdev:
    case KA_variance:
        if (st->count > 1) {
            v.null = false;
            v.u.r = st->m2 / (double)(st->count - 1);
            if (ag->agg == KA_stdev)
                v.u.r = sqrt(v.u.r);
        } else { /* one value or none: no spread */
            v.null = false;
            v.u.r = 0;
        }
        break;
    case KA_stdevp:
    case KA_variancep:
        v.null = false;
        v.u.r = st->count > 0 ? st->m2 / (double)st->count : 0;
        if (ag->agg == KA_stdevp)
            v.u.r = sqrt(v.u.r);
        break;
    case KA_percentile: v = percentile_of(&st->list, (double)ag->cap / 1e6); break;
    case KA_percentiles:
        for (int i = 0; i < ag->nout; i++)
            out[i] = percentile_of(&st->list, ag->percents[i]);
        for (int i = 0; i < ag->nout; i++)
            if (!out[i].null)
                out[i].type = sch->cols[ag->first_out + i].type;
        return;
    case KA_binary_all_or:
    case KA_binary_all_and:
        if (st->has) {
            v.null = false;
            v.u.l = st->sum_l;
        }
        break;
    default: break;
    }
    if (!v.null && v.type != t) {
        if (t == SP_TYPE_REAL && v.type != SP_TYPE_REAL)
            v.u.r = (double)v.u.l;
        v.type = t;
    }
    out[0] = v;
}

static int agg_consume(agg_op *a)
{
    kexec *ex = a->base.ex;
    const kp *n = a->base.node;
    kval keybuf[64], argbuf[160];
    kbatch *b;
    int r;
    kvec **keyv = sp_xcalloc((size_t)(n->nkeys ? n->nkeys : 1), sizeof(kvec *));
    int nargprogs = a->argbase[n->naggs];
    kvec **argv = sp_xcalloc((size_t)(nargprogs ? nargprogs : 1), sizeof(kvec *));
    while ((r = a->in->next(a->in, &b)) > 0) {
        sp_arena_reset(&a->tmp);
        for (int k = 0; k < n->nkeys; k++)
            if (!(keyv[k] = kprog_eval(ex, &a->keyprogs[k], b, &a->tmp)))
                goto fail;
        for (int i = 0; i < nargprogs; i++)
            if (!(argv[i] = kprog_eval(ex, &a->argprogs[i], b, &a->tmp)))
                goto fail;
        uint32_t rows = kbatch_rows(b);
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t row = kbatch_row(b, k);
            for (int j = 0; j < n->nkeys; j++)
                kvec_get(keyv[j], row, &keybuf[j]);
            uint32_t g = find_group(a, keybuf, n->nkeys);
            for (int i = 0; i < n->naggs; i++) {
                const kp_agg *ag = &n->aggs[i];
                for (int j = 0; j < ag->nargs; j++)
                    kvec_get(argv[a->argbase[i] + j], row, &argbuf[j]);
                update(a, ag, &a->states[(size_t)g * (size_t)n->naggs + (size_t)i], argbuf);
            }
        }
    }
    free(keyv);
    free(argv);
    return r < 0 || ex->failed ? -1 : 0;
fail:
    free(keyv);
    free(argv);
    return -1;
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
        if (n->nkeys == 0 && a->ngroups == 0)
            find_group(a, NULL, 0);
        a->result = krowset_new(&n->out);
        kval *row = sp_xmalloc(sizeof(kval) * (size_t)(n->out.ncols ? n->out.ncols : 1));
        for (uint32_t g = 0; g < a->ngroups; g++) {
            for (int k = 0; k < n->nkeys; k++)
                row[k] = a->keys[(size_t)g * (size_t)n->nkeys + (size_t)k];
            for (int i = 0; i < n->naggs; i++) {
                const kp_agg *ag = &n->aggs[i];
                finish(a, ag, &a->states[(size_t)g * (size_t)n->naggs + (size_t)i], &row[ag->first_out], &n->out);
            }
            krowset_append_row(a->result, row);
        }
        free(row);
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
    for (int k = 0; k < n->nkeys; k++)
        kprog_free(&a->keyprogs[k]);
    for (int i = 0; i < a->argbase[n->naggs]; i++)
        kprog_free(&a->argprogs[i]);
    for (uint32_t g = 0; g < a->ngroups; g++)
        for (int i = 0; i < n->naggs; i++)
            kset_free(a->states[(size_t)g * (size_t)n->naggs + (size_t)i].set);
    free(a->keyprogs);
    free(a->argprogs);
    free(a->argbase);
    free(a->keys);
    free(a->states);
    free(a->table);
    free(a->ghash);
    sp_arena_free(&a->arena);
    sp_arena_free(&a->tmp);
    free(a);
}

kop *kop_aggregate(kexec *ex, const kp *node)
{
    agg_op *a = sp_xcalloc(1, sizeof *a);
    a->base.ex = ex;
    a->base.node = node;
    a->base.next = agg_next;
    a->base.close = agg_close;
    a->in = kop_build(ex, node->in);
    a->keyprogs = sp_xcalloc((size_t)(node->nkeys ? node->nkeys : 1), sizeof(kprog));
    for (int k = 0; k < node->nkeys; k++)
        kprog_compile(ex, node->keys[k].expr, false, &a->keyprogs[k]);
    a->argbase = sp_xcalloc((size_t)node->naggs + 1, sizeof(int));
    int total = 0;
    for (int i = 0; i < node->naggs; i++) {
        a->argbase[i] = total;
        total += node->aggs[i].nargs;
    }
    a->argbase[node->naggs] = total;
    a->argprogs = sp_xcalloc((size_t)(total ? total : 1), sizeof(kprog));
    for (int i = 0; i < node->naggs; i++)
        for (int j = 0; j < node->aggs[i].nargs; j++)
            kprog_compile(ex, node->aggs[i].args[j], false, &a->argprogs[a->argbase[i] + j]);
    return &a->base;
}
