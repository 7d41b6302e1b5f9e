/* agg.c — the aggregate functions' states: one kagg_state per (group, aggregate),
 * updated a row at a time and finished into output values. Shared by summarize and
 * make-series (which keeps one state per group, aggregate and bin).
 *
 * Everything a state keeps past the current batch (extreme values, sets, lists) is
 * copied into the caller's arena, so input batches may die at the next pull.
 * dcount and dcountif are exact (a set of values), not HyperLogLog estimates; percentile
 * uses the nearest-rank method on the exact values.
 */
#include "engine/exec/exec_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void vlist_push(sp_arena *a, kagg_list *l, const kval *v)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 4;
        kval *nv = sp_arena_alloc(a, sizeof(kval) * nc);
        if (l->n)
            memcpy(nv, l->v, sizeof(kval) * l->n);
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = kval_own(a, v);
}

static bool truthy(const kval *v)
{
    return !v->null && v->u.b;
}

void kagg_update(sp_arena *a, const kp_agg *ag, kagg_state *st, const kval *args)
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
        if (!st->has || (want_max ? kval_cmp(x, &st->best) > 0 : kval_cmp(x, &st->best) < 0)) {
            st->best = kval_own(a, x);
            st->has = true;
        }
        break;
    }
    case KA_arg_max:
    case KA_arg_min: {
        if (x->null && st->has)
            break;
        bool better = !st->has || (!x->null && (st->best.null || (ag->agg == KA_arg_max ? kval_cmp(x, &st->best) > 0
                                                                                         : kval_cmp(x, &st->best) < 0)));
        if (!better)
            break;
        st->best = kval_own(a, x);
        st->has = true;
        if (!st->extra && ag->nout > 1)
            st->extra = sp_arena_alloc(a, sizeof(kval) * (size_t)(ag->nout - 1));
        for (int i = 1; i < ag->nout; i++)
            st->extra[i - 1] = kval_own(a, &args[i]);
        break;
    }
    case KA_take_anyif:
    case KA_take_any:
        if (st->has)
            break;
        if (ag->agg == KA_take_anyif && !truthy(&args[1]))
            break;
        st->has = true;
        st->best = kval_own(a, x);
        if (ag->nout > 1) {
            st->extra = sp_arena_alloc(a, sizeof(kval) * (size_t)(ag->nout - 1));
            for (int i = 1; i < ag->nout; i++)
                st->extra[i - 1] = kval_own(a, &args[i]);
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

static void json_list(sp_arena *a, const kagg_list *l, kval *out)
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
    out->u.s = kstr_dup(a, b.data, b.len);
    sp_buf_free(&b);
}

static int cmp_for_sort(const void *x, const void *y)
{
    return kval_cmp(x, y);
}

static kval percentile_of(kagg_list *l, double pct)
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

void kagg_finish(sp_arena *a, const kp_agg *ag, kagg_state *st, kval *out, const sp_type *types)
{
    sp_type t = types[0];
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
        /* summarize keeps the pairs in one set for all groups and counts in the state */
        v.u.l = st->set ? kset_size(st->set) : st->count;
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
    case KA_avgif: /* no values: 0/0, NaN, as Kusto reports */
        v.null = false;
        if (t == SP_TYPE_TIMESPAN)
            v.u.l = st->count ? (int64_t)(st->sum_r / (double)st->count) : 0, v.null = !st->count;
        else
            v.u.r = st->count ? st->sum_r / (double)st->count : NAN;
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
            out[i] = st->has && st->extra ? st->extra[i - 1] : kval_null(types[i]);
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
        v.u.s = kstr_dup(a, b.data, b.len);
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
                out[i].type = types[i];
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

void kagg_release(kagg_state *st)
{
    kset_free(st->set);
    st->set = NULL;
}

bool kagg_mergeable(const kp_agg *ag, sp_type out_type)
{
    switch (ag->agg) {
    case KA_countif:
    case KA_min:
    case KA_max:
    case KA_minif:
    case KA_maxif:
    case KA_arg_max:
    case KA_arg_min:
    case KA_take_any:
    case KA_take_anyif: return true;
    case KA_sum:
    case KA_sumif: return out_type != SP_TYPE_REAL; /* integer sums are exact in any order */
    default: return false;
    }
}

void kagg_merge(const kp_agg *ag, kagg_state *st, const kagg_state *src)
{
    if (!src->has && ag->agg != KA_countif)
        return;
    switch (ag->agg) {
    case KA_countif: st->count += src->count; break;
    case KA_sum:
    case KA_sumif:
        st->has = true;
        st->count += src->count;
        st->sum_l += src->sum_l;
        st->sum_r += src->sum_r;
        st->is_real |= src->is_real;
        break;
    case KA_min:
    case KA_max:
    case KA_minif:
    case KA_maxif: {
        bool want_max = ag->agg == KA_max || ag->agg == KA_maxif;
        if (!st->has || (want_max ? kval_cmp(&src->best, &st->best) > 0 : kval_cmp(&src->best, &st->best) < 0)) {
            st->best = src->best;
            st->has = true;
        }
        break;
    }
    case KA_arg_max:
    case KA_arg_min: { /* as kagg_update would have taken src's row, the best of its rows */
        const kval *x = &src->best;
        if (x->null && st->has)
            break;
        if (!st->has || (!x->null && (st->best.null || (ag->agg == KA_arg_max ? kval_cmp(x, &st->best) > 0
                                                                               : kval_cmp(x, &st->best) < 0)))) {
            st->best = src->best;
            st->extra = src->extra;
            st->has = true;
        }
        break;
    }
    case KA_take_any:
    case KA_take_anyif:
        if (!st->has) {
            st->best = src->best;
            st->extra = src->extra;
            st->has = true;
        }
        break;
    default: break;
    }
}

sp_type kagg_value_type(const kp_agg *ag)
{
    sp_type arg = ag->nargs ? ag->args[0]->type : SP_TYPE_LONG;
    if (arg == SP_TYPE_INT)
        arg = SP_TYPE_LONG;
    switch (ag->agg) {
    case KA_count:
    case KA_countif:
    case KA_dcount:
    case KA_dcountif:
    case KA_count_distinct: return SP_TYPE_LONG;
    case KA_avg:
    case KA_avgif:
    case KA_stdev:
    case KA_stdevp:
    case KA_variance:
    case KA_variancep: return SP_TYPE_REAL;
    case KA_sum:
    case KA_sumif: return arg == SP_TYPE_REAL ? SP_TYPE_REAL : arg == SP_TYPE_TIMESPAN ? SP_TYPE_TIMESPAN : SP_TYPE_LONG;
    case KA_make_set:
    case KA_make_set_if:
    case KA_make_list:
    case KA_make_list_if:
    case KA_make_list_with_nulls:
    case KA_make_bag:
    case KA_make_bag_if: return SP_TYPE_DYNAMIC;
    default: return arg;
    }
}

/* ---- the programs of a grouping operator ---- */

void kagg_progs_init(kexec *ex, kagg_progs *p, const kp *node)
{
    memset(p, 0, sizeof *p);
    p->node = node;
    int total = 0, maxargs = 1;
    p->argbase = sp_xcalloc((size_t)node->naggs + 1, sizeof(int));
    for (int i = 0; i < node->naggs; i++) {
        p->argbase[i] = total;
        total += node->aggs[i].nargs;
        maxargs = SP_MAX(maxargs, node->aggs[i].nargs);
    }
    p->argbase[node->naggs] = total;
    p->keys = sp_xcalloc((size_t)node->nkeys + 1, sizeof(kprog));
    p->args = sp_xcalloc((size_t)total + 1, sizeof(kprog));
    p->keyv = sp_xcalloc((size_t)node->nkeys + 1, sizeof(kvec *));
    p->argv = sp_xcalloc((size_t)total + 1, sizeof(kvec *));
    p->keybuf = sp_xcalloc((size_t)node->nkeys + 1, sizeof(kval));
    p->argbuf = sp_xcalloc((size_t)maxargs, sizeof(kval));
    for (int k = 0; k < node->nkeys; k++)
        kprog_compile(ex, node->keys[k].expr, false, &p->keys[k]);
    for (int i = 0; i < node->naggs; i++)
        for (int j = 0; j < node->aggs[i].nargs; j++)
            kprog_compile(ex, node->aggs[i].args[j], false, &p->args[p->argbase[i] + j]);
}

int kagg_progs_eval(kexec *ex, kagg_progs *p, kbatch *b, sp_arena *arena)
{
    for (int k = 0; k < p->node->nkeys; k++)
        if (!(p->keyv[k] = kprog_eval(ex, &p->keys[k], b, arena)))
            return -1;
    for (int i = 0; i < p->argbase[p->node->naggs]; i++)
        if (!(p->argv[i] = kprog_eval(ex, &p->args[i], b, arena)))
            return -1;
    return 0;
}

const kval *kagg_progs_key(kagg_progs *p, uint32_t row)
{
    for (int k = 0; k < p->node->nkeys; k++)
        kvec_get(p->keyv[k], row, &p->keybuf[k]);
    return p->keybuf;
}

void kagg_progs_update(kagg_progs *p, uint32_t row, kagg_state *states, sp_arena *arena)
{
    const kp *n = p->node;
    for (int i = 0; i < n->naggs; i++) {
        const kp_agg *ag = &n->aggs[i];
        for (int j = 0; j < ag->nargs; j++)
            kvec_get(p->argv[p->argbase[i] + j], row, &p->argbuf[j]);
        kagg_update(arena, ag, &states[i], p->argbuf);
    }
}

void kagg_progs_free(kagg_progs *p)
{
    if (!p->node)
        return;
    for (int k = 0; k < p->node->nkeys; k++)
        kprog_free(&p->keys[k]);
    for (int i = 0; i < p->argbase[p->node->naggs]; i++)
        kprog_free(&p->args[i]);
    free(p->keys);
    free(p->args);
    free(p->argbase);
    free(p->keyv);
    free(p->argv);
    free(p->keybuf);
    free(p->argbuf);
}
