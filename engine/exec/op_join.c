/* op_join.c — join and lookup: a hash join that builds on the right input and streams
 * the left one, with Kusto's nine kinds (join operator docs, "Returns"):
 *
 *   innerunique (default)  the left side deduplicated on the join key — the first left row
 *                          of each key is kept, later ones are dropped whether they match
 *                          or not — then an inner join;
 *   inner                  every matching (left, right) pair;
 *   leftouter / rightouter / fullouter
 *                          the inner pairs plus unmatched rows of the left / right / both
 *                          sides, the other side's columns null ("" for strings);
 *   leftsemi / rightsemi   rows of one side that have a match, once each, that side's
 *                          columns only;
 *   leftanti / rightanti   rows of one side without a match.
 *
 * Keys are equalities lkeys[i] == rkeys[i], evaluated with expression programs on each
 * side. A null key never matches (== on nulls is not true), so such rows only appear as
 * unmatched rows of outer and anti kinds; strings are never null, so "" matches "". int and
 * long keys compare by value.
 *
 * The right input is drained into a rowset; its distinct key tuples get dense ids in a
 * key table (keys.c) and the rows of each id are chained in input order. The left input
 * streams: each left batch is probed row by row, matches are collected as (left row,
 * right row) index pairs up to a batch, and the output columns are gathered from the left
 * batch and the right rowset without copying text. Unmatched right rows (outer and right
 * kinds) come after the left input is exhausted, in right input order, from per-key
 * matched flags. Output order: left input order, each left row's matches in right input
 * order, then the right-side leftovers.
 *
 * The same operator runs `evaluate ipv4_lookup()` (node->ip_lookup): key 0 is then an
 * IPv4 address on the left and a network (address or CIDR) on the right. A right row's
 * key tuple is (network address, prefix length, other keys), and the set of prefix
 * lengths present is kept; a left address probes once per present prefix length no
 * longer than its own (most specific first), with the address masked to that length. So
 * a lookup costs at most 33 hash probes, whatever the size of the network table.
 */
#include "engine/exec/exec_int.h"
#include "engine/exec/ip.h"

#include <stdlib.h>
#include <string.h>

typedef struct join_op {
    kop base;
    kop *left, *right;
    kprog *lprogs, *rprogs;
    krowset *rrows;     /* the right input */
    khash rkeys;        /* distinct right key tuples */
    uint32_t *rkey;     /* per right row: key id, or KHASH_NONE for a null key */
    uint32_t *head, *tail, *nextrow; /* per key id: first/last right row; per row: next */
    uint8_t *matched;   /* per key id: some left row matched it */
    khash lseen;        /* innerunique: left keys already used */
    /* probing state */
    kbatch *lb;         /* current left batch (valid until the next left pull) */
    kvec **lkeyv;
    uint32_t lpos;      /* next selected left row to probe */
    uint32_t chain;     /* next right row of the current left row's chain, or KHASH_NONE */
    uint32_t chain_left; /* the left row that chain belongs to */
    bool left_done;
    uint32_t rpos;      /* right leftovers: next right row */
    uint32_t *lidx, *ridx, npairs;
    kval *keybuf;
    /* ipv4_lookup */
    uint64_t plens;     /* bit p: some right network has prefix length p */
    int ip_p;           /* next prefix length to probe for the current left row, -1: none */
    uint32_t ip_addr, ip_left;
    bool ip_hit;        /* the current left row matched some network */
    sp_arena arena, larena;
    kbatch batch;
    bool built;
} join_op;

static bool emits_right_leftovers(kp_join_kind k)
{
    return k == KJ_RIGHTOUTER || k == KJ_FULLOUTER || k == KJ_RIGHTANTI || k == KJ_RIGHTSEMI;
}

/* Reads the key tuple of row i; false when any part is null (no match possible). */
static bool key_of(kvec **vecs, int nkeys, uint32_t i, kval *out)
{
    for (int k = 0; k < nkeys; k++) {
        kvec_get(vecs[k], i, &out[k]);
        if (out[k].null)
            return false;
        if (out[k].type == SP_TYPE_INT)
            out[k].type = SP_TYPE_LONG; /* int and long keys compare by value */
    }
    return true;
}

/* The IPv4 address or network in a key value: host-order address masked to its prefix. */
static bool ip_key(const kval *v, uint32_t *addr, int *prefix)
{
    if (v->null || v->type != SP_TYPE_STRING || !kip_parse4(v->u.s.p, v->u.s.n, addr, prefix))
        return false;
    if (*prefix < 32)
        *addr &= *prefix ? ~0u << (32 - *prefix) : 0;
    return true;
}

/* ipv4_lookup: the right row's key tuple (network, prefix, other keys) into keybuf. */
static bool ip_right_key(join_op *j, kvec **vecs, int nkeys, uint32_t i)
{
    kval v;
    kvec_get(vecs[0], i, &v);
    uint32_t addr;
    int prefix;
    if (!ip_key(&v, &addr, &prefix) || !key_of(vecs + 1, nkeys - 1, i, j->keybuf + 2))
        return false;
    j->keybuf[0] = (kval){.type = SP_TYPE_LONG, .u.l = addr};
    j->keybuf[1] = (kval){.type = SP_TYPE_LONG, .u.l = prefix};
    j->plens |= 1ull << prefix;
    return true;
}

static int build_right(join_op *j)
{
    kexec *ex = j->base.ex;
    const kp *n = j->base.node;
    const kp *rn = n->inputs[1];
    j->rrows = krowset_new(&rn->out);
    kbatch *b;
    int r;
    while ((r = j->right->next(j->right, &b)) > 0)
        krowset_append_batch(j->rrows, b);
    if (r < 0 || ex->failed)
        return -1;
    uint32_t rows = j->rrows->nrows;
    j->rkey = sp_xmalloc(sizeof(uint32_t) * (rows ? rows : 1));
    j->nextrow = sp_xmalloc(sizeof(uint32_t) * (rows ? rows : 1));
    uint32_t cap = 0;
    kvec **colbuf = sp_xcalloc((size_t)(rn->out.ncols ? rn->out.ncols : 1), sizeof(kvec *));
    for (int c = 0; c < rn->out.ncols; c++)
        colbuf[c] = sp_xcalloc(1, sizeof(kvec));
    kvec **keyv = sp_xcalloc((size_t)(n->njoinkeys ? n->njoinkeys : 1), sizeof(kvec *));
    for (uint32_t row0 = 0; row0 < rows && r >= 0; row0 += KB_BATCH) {
        uint32_t cnt = SP_MIN((uint32_t)KB_BATCH, rows - row0);
        kbatch view;
        krowset_batch(j->rrows, row0, cnt, &view, colbuf);
        sp_arena_reset(&j->larena);
        for (int k = 0; k < n->njoinkeys; k++)
            if (!(keyv[k] = kprog_eval(ex, &j->rprogs[k], &view, &j->larena))) {
                r = -1;
                break;
            }
        if (r < 0)
            break;
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t row = row0 + i;
            j->nextrow[row] = KHASH_NONE;
            if (n->ip_lookup ? !ip_right_key(j, keyv, n->njoinkeys, i) : !key_of(keyv, n->njoinkeys, i, j->keybuf)) {
                j->rkey[row] = KHASH_NONE;
                continue;
            }
            bool added;
            int nk = n->njoinkeys + (n->ip_lookup ? 1 : 0);
            uint32_t id = khash_insert(&j->rkeys, j->keybuf, khash_of(j->keybuf, nk), &added);
            if (id >= cap) {
                cap = cap ? cap * 2 : 64;
                j->head = sp_xrealloc(j->head, sizeof(uint32_t) * cap);
                j->tail = sp_xrealloc(j->tail, sizeof(uint32_t) * cap);
                j->matched = sp_xrealloc(j->matched, cap);
            }
            if (added) {
                j->head[id] = row;
                j->matched[id] = 0;
            } else {
                j->nextrow[j->tail[id]] = row;
            }
            j->tail[id] = row;
            j->rkey[row] = id;
        }
    }
    for (int c = 0; c < rn->out.ncols; c++)
        free(colbuf[c]);
    free(colbuf);
    free(keyv);
    return r < 0 || ex->failed ? -1 : 0;
}

/* Pulls the next non-empty left batch and evaluates its keys; 0 at the end. */
static int next_left(join_op *j)
{
    const kp *n = j->base.node;
    sp_arena_reset(&j->larena);
    int r = kop_pull(j->left, &j->lb);
    if (r <= 0) {
        j->lb = NULL;
        return r;
    }
    for (int k = 0; k < n->njoinkeys; k++)
        if (!(j->lkeyv[k] = kprog_eval(j->base.ex, &j->lprogs[k], j->lb, &j->larena)))
            return -1;
    j->lpos = 0;
    j->chain = KHASH_NONE;
    return 1;
}

static void add_pair(join_op *j, uint32_t l, uint32_t r)
{
    j->lidx[j->npairs] = l;
    j->ridx[j->npairs] = r;
    j->npairs++;
}

/* ipv4_lookup: the next network of the current left row's remaining prefix lengths that
 * has right rows, or KHASH_NONE when they are exhausted. keybuf[2..] holds its other keys. */
static uint32_t ip_next_network(join_op *j)
{
    int nk = j->base.node->njoinkeys + 1;
    while (j->ip_p >= 0) {
        int p = j->ip_p--;
        if (!(j->plens >> p & 1))
            continue;
        j->keybuf[0] = (kval){.type = SP_TYPE_LONG, .u.l = p ? j->ip_addr & (~0u << (32 - p)) : 0};
        j->keybuf[1] = (kval){.type = SP_TYPE_LONG, .u.l = p};
        uint32_t id = khash_find(&j->rkeys, j->keybuf, khash_of(j->keybuf, nk));
        if (id != KHASH_NONE)
            return id;
    }
    return KHASH_NONE;
}

/* A left row still has matches to emit. */
static bool row_pending(const join_op *j)
{
    return j->chain != KHASH_NONE || j->ip_p >= 0;
}

/* Probes left rows into pairs until the batch is full or the left batch is done. */
static void probe(join_op *j)
{
    const kp *n = j->base.node;
    kp_join_kind kind = n->join_kind;
    kbatch *b = j->lb;
    uint32_t rows = kbatch_rows(b);
    while (j->npairs < KB_BATCH) {
        if (j->chain != KHASH_NONE) { /* continue the current left row's matches */
            add_pair(j, j->chain_left, j->chain);
            j->chain = j->nextrow[j->chain];
            continue;
        }
        if (j->ip_p >= 0) { /* ipv4_lookup: the next network containing the address */
            uint32_t id = ip_next_network(j);
            if (id != KHASH_NONE) {
                j->ip_hit = true;
                j->chain_left = j->ip_left;
                j->chain = j->head[id];
            } else if (!j->ip_hit && kind == KJ_LEFTOUTER) {
                add_pair(j, j->ip_left, KGATHER_NULL);
            }
            continue;
        }
        if (j->lpos >= rows)
            return;
        uint32_t row = kbatch_row(b, j->lpos++);
        if (n->ip_lookup) {
            kval v;
            kvec_get(j->lkeyv[0], row, &v);
            int prefix;
            if (ip_key(&v, &j->ip_addr, &prefix) && key_of(j->lkeyv + 1, n->njoinkeys - 1, row, j->keybuf + 2)) {
                j->ip_left = row;
                j->ip_hit = false;
                j->ip_p = prefix; /* networks no more specific than the address itself */
            } else if (kind == KJ_LEFTOUTER) {
                add_pair(j, row, KGATHER_NULL);
            }
            continue;
        }
        uint32_t id = KHASH_NONE;
        bool has_key = key_of(j->lkeyv, n->njoinkeys, row, j->keybuf);
        uint64_t hv = has_key ? khash_of(j->keybuf, n->njoinkeys) : 0;
        if (kind == KJ_INNERUNIQUE && has_key) {
            bool added;
            khash_insert(&j->lseen, j->keybuf, hv, &added);
            if (!added)
                continue; /* a later duplicate of a left key */
        }
        if (has_key)
            id = khash_find(&j->rkeys, j->keybuf, hv);
        if (id != KHASH_NONE)
            j->matched[id] = 1;
        switch (kind) {
        case KJ_INNERUNIQUE:
        case KJ_INNER:
        case KJ_RIGHTOUTER:
        case KJ_LEFTOUTER:
        case KJ_FULLOUTER:
            if (id != KHASH_NONE) {
                j->chain_left = row;
                j->chain = j->head[id];
            } else if (kind == KJ_LEFTOUTER || kind == KJ_FULLOUTER) {
                add_pair(j, row, KGATHER_NULL);
            }
            break;
        case KJ_LEFTSEMI:
            if (id != KHASH_NONE)
                add_pair(j, row, KGATHER_NULL);
            break;
        case KJ_LEFTANTI:
            if (id == KHASH_NONE)
                add_pair(j, row, KGATHER_NULL);
            break;
        case KJ_RIGHTSEMI:
        case KJ_RIGHTANTI: break; /* only the matched flags matter */
        }
    }
}

/* Adds right rows the left side never matched (or, for rightsemi, did match). */
static void leftovers(join_op *j)
{
    kp_join_kind kind = j->base.node->join_kind;
    uint32_t rows = j->rrows->nrows;
    while (j->npairs < KB_BATCH && j->rpos < rows) {
        uint32_t r = j->rpos++;
        uint32_t id = j->rkey[r];
        bool m = id != KHASH_NONE && j->matched[id];
        if (kind == KJ_RIGHTSEMI ? m : !m)
            add_pair(j, KGATHER_NULL, r);
    }
}

static kbatch *emit_pairs(join_op *j)
{
    const kp *n = j->base.node;
    kbatch *b = &j->batch;
    memset(b, 0, sizeof *b);
    b->n = j->npairs;
    b->ncols = n->out.ncols;
    b->arena = &j->arena;
    b->cols = sp_arena_alloc(&j->arena, sizeof(kvec *) * (size_t)(n->out.ncols ? n->out.ncols : 1));
    for (int c = 0; c < n->out.ncols; c++) {
        bool right = n->join_side[c] == 1;
        const uint32_t *idx = right ? j->ridx : j->lidx;
        const kvec *src = right ? j->rrows->cols[n->join_col[c]] : j->lb ? j->lb->cols[n->join_col[c]] : NULL;
        kvec *v = src ? kvec_gather(&j->arena, src, idx, j->npairs) : kvec_null(&j->arena, n->out.cols[c].type, j->npairs);
        b->cols[c] = kvec_cast(&j->arena, v, n->out.cols[c].type, NULL, j->npairs);
    }
    j->npairs = 0;
    return b;
}

static int join_next(kop *self, kbatch **out)
{
    join_op *j = (join_op *)self;
    kexec *ex = self->ex;
    const kp *n = self->node;
    sp_arena_reset(&j->arena);
    if (!j->built) {
        j->built = true;
        if (build_right(j) < 0)
            return -1;
        if (j->rrows->nrows == 0 && !(n->join_kind == KJ_LEFTOUTER || n->join_kind == KJ_FULLOUTER ||
                                       n->join_kind == KJ_LEFTANTI))
            j->left_done = true; /* nothing can match and no left row is kept */
    }
    j->npairs = 0;
    while (!j->left_done) {
        if (!j->lb || (j->lpos >= kbatch_rows(j->lb) && !row_pending(j))) {
            int r = next_left(j);
            if (r < 0 || ex->failed)
                return -1;
            if (r == 0) {
                j->left_done = true;
                break;
            }
        }
        probe(j);
        if (j->npairs == KB_BATCH || (j->npairs > 0 && j->lpos >= kbatch_rows(j->lb) && !row_pending(j))) {
            *out = emit_pairs(j);
            return 1;
        }
    }
    if (emits_right_leftovers(n->join_kind)) {
        leftovers(j);
        if (j->npairs) {
            *out = emit_pairs(j);
            return 1;
        }
    }
    return 0;
}

static void join_close(kop *self)
{
    join_op *j = (join_op *)self;
    const kp *n = self->node;
    kop_close(j->left);
    kop_close(j->right);
    for (int k = 0; k < n->njoinkeys; k++) {
        kprog_free(&j->lprogs[k]);
        kprog_free(&j->rprogs[k]);
    }
    free(j->lprogs);
    free(j->rprogs);
    krowset_free(j->rrows);
    khash_free(&j->rkeys);
    khash_free(&j->lseen);
    free(j->rkey);
    free(j->head);
    free(j->tail);
    free(j->nextrow);
    free(j->matched);
    free(j->lkeyv);
    free(j->lidx);
    free(j->ridx);
    free(j->keybuf);
    sp_arena_free(&j->arena);
    sp_arena_free(&j->larena);
    free(j);
}

kop *kop_join(kexec *ex, const kp *node)
{
    join_op *j = kop_alloc(sizeof *j, ex, node, join_next, join_close);
    int nk = node->njoinkeys;
    j->left = kop_build(ex, node->inputs[0]);
    j->right = kop_build(ex, node->inputs[1]);
    j->lprogs = sp_xcalloc((size_t)(nk ? nk : 1), sizeof(kprog));
    j->rprogs = sp_xcalloc((size_t)(nk ? nk : 1), sizeof(kprog));
    for (int k = 0; k < nk; k++) {
        kprog_compile(ex, node->lkeys[k], false, &j->lprogs[k]);
        kprog_compile(ex, node->rkeys[k], false, &j->rprogs[k]);
    }
    int tuple = nk + (node->ip_lookup ? 1 : 0); /* ipv4_lookup: (network, prefix, keys 1..) */
    khash_init(&j->rkeys, tuple);
    khash_init(&j->lseen, nk);
    j->lkeyv = sp_xcalloc((size_t)(nk ? nk : 1), sizeof(kvec *));
    j->keybuf = sp_xcalloc((size_t)tuple + 1, sizeof(kval));
    j->ip_p = -1;
    j->lidx = sp_xmalloc(sizeof(uint32_t) * KB_BATCH);
    j->ridx = sp_xmalloc(sizeof(uint32_t) * KB_BATCH);
    j->chain = KHASH_NONE;
    return &j->base;
}
