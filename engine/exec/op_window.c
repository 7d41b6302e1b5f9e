/* op_window.c — KP_WINDOW: sliding event-time windows for Sigma correlations (sigma.h,
 * sig_corr; tests/sigma-conformance/README.md "Correlations").
 *
 * Two layers. The window state (kwin, declared in exec.h) is incremental: it is fed one
 * event at a time in event-time order and answers "did this event close a window?", so the
 * streaming runtime can feed it chunk by chunk as the watermark advances and keep it
 * between runs. The operator is the batch form: it drains its inputs (each already in the
 * KW_IN_* layout), orders all rows by time (ties: input order, then row order — a stable
 * order, so results never depend on batch sizes), feeds the state and returns the outputs.
 *
 * State per group (the group-by texts): the not-yet-consumed events of the last timespan
 * (kwin_expire forgets groups with none left, so a long stream keeps only active groups),
 * oldest first. A new event evicts what fell out of [t - timespan, t], joins, and the metric
 * is taken over what is left; when every condition holds one output is produced and the
 * group's events are consumed (outputs never overlap). Counters that can be kept exactly
 * (events, events per rule, sum and count of numeric values) are maintained incrementally;
 * the rest (distinct values, percentiles, order, shares) are computed over the window when
 * the event arrives, which is linear in the window's size.
 */
#include "engine/exec/exec_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the incremental state ---- */

typedef struct wev {
    int64_t t;
    uint64_t mask;
    double value;
    bool has_value;
    char *text; /* malloc'ed, NULL = none */
    uint32_t textn;
} wev;

typedef struct wgroup {
    char *key;     /* the key texts, each preceded by its length (uint32) */
    size_t keylen;
    uint64_t hash;
    wev *ev;
    uint32_t head, n, cap; /* live events are ev[head..n) */
    uint32_t rule_count[64];
    double sum;      /* of the live numeric values */
    uint32_t nvalues;
} wgroup;

struct kwin {
    kwin_spec spec;
    kp_window_cond *conds;
    wgroup **groups;
    uint32_t ngroups;
    size_t cap;
    uint32_t *slots; /* open addressing: group index + 1, 0 = empty */
    uint32_t nslots;
    sp_buf keybuf;
    kstr *outkeys; /* the last output's keys (point into its group) */
    double *scratch;
    size_t nscratch;
};

kwin *kwin_new(const kwin_spec *spec)
{
    kwin *w = sp_xcalloc(1, sizeof *w);
    w->spec = *spec;
    w->conds = sp_xmalloc(sizeof(kp_window_cond) * (size_t)(spec->nconds ? spec->nconds : 1));
    if (spec->nconds)
        memcpy(w->conds, spec->conds, sizeof(kp_window_cond) * (size_t)spec->nconds);
    w->spec.conds = w->conds;
    w->outkeys = sp_xcalloc((size_t)(spec->nkeys ? spec->nkeys : 1), sizeof(kstr));
    return w;
}

static void ev_release(wev *e)
{
    free(e->text);
    e->text = NULL;
}

static void group_free(wgroup *g)
{
    for (uint32_t i = g->head; i < g->n; i++)
        ev_release(&g->ev[i]);
    free(g->ev);
    free(g->key);
    free(g);
}

void kwin_free(kwin *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->ngroups; i++)
        group_free(w->groups[i]);
    free(w->groups);
    free(w->slots);
    free(w->conds);
    free(w->outkeys);
    free(w->scratch);
    sp_buf_free(&w->keybuf);
    free(w);
}

uint32_t kwin_groups(const kwin *w)
{
    return w->ngroups;
}

static void rehash(kwin *w);

uint32_t kwin_expire(kwin *w, int64_t now)
{
    uint32_t kept = 0, dropped = 0;
    for (uint32_t i = 0; i < w->ngroups; i++) {
        wgroup *g = w->groups[i];
        bool idle = g->head == g->n || g->ev[g->n - 1].t < now - w->spec.span;
        if (idle) {
            group_free(g);
            dropped++;
        } else {
            w->groups[kept++] = g;
        }
    }
    w->ngroups = kept;
    if (dropped) {
        free(w->slots);
        w->slots = NULL;
        w->nslots = 0;
        rehash(w);
    }
    return dropped;
}

static void rehash(kwin *w)
{
    uint32_t ns = w->nslots ? w->nslots * 2 : 64;
    free(w->slots);
    w->slots = sp_xcalloc(ns, sizeof(uint32_t));
    w->nslots = ns;
    for (uint32_t i = 0; i < w->ngroups; i++) {
        uint32_t s = (uint32_t)(w->groups[i]->hash & (ns - 1));
        while (w->slots[s])
            s = (s + 1) & (ns - 1);
        w->slots[s] = i + 1;
    }
}

static wgroup *find_group(kwin *w, const kstr *keys)
{
    sp_buf *k = &w->keybuf;
    k->len = 0;
    for (int i = 0; i < w->spec.nkeys; i++) {
        uint32_t n = keys[i].n;
        sp_buf_append(k, &n, sizeof n);
        sp_buf_append(k, keys[i].p, n);
    }
    uint64_t h = sp_hash64(k->data ? k->data : "", k->len, 0x5157);
    if (!w->nslots || (w->ngroups + 1) * 2 > w->nslots)
        rehash(w);
    uint32_t s = (uint32_t)(h & (w->nslots - 1));
    while (w->slots[s]) {
        wgroup *g = w->groups[w->slots[s] - 1];
        if (g->hash == h && g->keylen == k->len && (!k->len || !memcmp(g->key, k->data, k->len)))
            return g;
        s = (s + 1) & (w->nslots - 1);
    }
    wgroup *g = sp_xcalloc(1, sizeof *g);
    g->key = sp_xmalloc(k->len ? k->len : 1);
    if (k->len)
        memcpy(g->key, k->data, k->len);
    g->keylen = k->len;
    g->hash = h;
    SP_GROW(w->groups, w->cap, (size_t)w->ngroups + 1);
    w->groups[w->ngroups++] = g;
    w->slots[s] = w->ngroups;
    return g;
}

static void group_drop_front(kwin *w, wgroup *g)
{
    wev *e = &g->ev[g->head++];
    for (int r = 0; r < w->spec.nrules && r < 64; r++)
        if ((e->mask >> r) & 1)
            g->rule_count[r]--;
    if (e->has_value) {
        g->sum -= e->value;
        g->nvalues--;
    }
    ev_release(e);
}

static void group_clear(kwin *w, wgroup *g)
{
    while (g->head < g->n)
        group_drop_front(w, g);
    g->head = g->n = 0;
    g->sum = 0;
    memset(g->rule_count, 0, sizeof g->rule_count);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool text_eq(const wev *a, const wev *b)
{
    return a->textn == b->textn && (!a->textn || !memcmp(a->text, b->text, a->textn));
}

/* The metric over the group's live events; false when it has no value. */
static bool metric(kwin *w, wgroup *g, double *out, kstr *value_of)
{
    uint32_t live = g->n - g->head;
    wev *ev = g->ev + g->head;
    switch (w->spec.metric) {
    case KW_EVENT_COUNT: *out = live; return true;
    case KW_TEMPORAL: {
        int k = 0;
        for (int r = 0; r < w->spec.nrules && r < 64; r++)
            k += g->rule_count[r] > 0;
        *out = k;
        return true;
    }
    case KW_TEMPORAL_ORDERED: {
        int k = 0;
        for (uint32_t i = 0; i < live && k < w->spec.nrules; i++)
            while (k < w->spec.nrules && k < 64 && ((ev[i].mask >> k) & 1))
                k++; /* one event may satisfy consecutive steps, as it counts for every rule it matched */
        *out = k;
        return true;
    }
    case KW_VALUE_SUM:
        *out = g->sum;
        return true;
    case KW_VALUE_AVG:
        if (!g->nvalues)
            return false;
        *out = g->sum / g->nvalues;
        return true;
    case KW_VALUE_COUNT: {
        /* Distinct texts, exact and case-sensitive (as KQL dcount). */
        kset *set = kset_new(false);
        for (uint32_t i = 0; i < live; i++)
            if (ev[i].text) {
                kval s = {.type = SP_TYPE_STRING, .u.s = {ev[i].text, ev[i].textn}};
                kset_add(set, &s);
            }
        *out = kset_size(set);
        kset_free(set);
        return true;
    }
    case KW_VALUE_PERCENTILE: {
        if (!g->nvalues)
            return false;
        if (w->nscratch < g->nvalues) {
            w->nscratch = g->nvalues * 2;
            w->scratch = sp_xrealloc(w->scratch, sizeof(double) * w->nscratch);
        }
        uint32_t m = 0;
        for (uint32_t i = 0; i < live; i++)
            if (ev[i].has_value)
                w->scratch[m++] = ev[i].value;
        qsort(w->scratch, m, sizeof(double), cmp_double);
        double rank = ceil(w->spec.percentile / 100.0 * m);
        uint32_t r = rank < 1 ? 1 : rank > m ? m : (uint32_t)rank;
        *out = w->scratch[r - 1];
        return true;
    }
    case KW_VALUE_SHARE: {
        const wev *cur = &ev[live - 1];
        if (!cur->text)
            return false;
        uint32_t with = 0, same = 0;
        for (uint32_t i = 0; i < live; i++)
            if (ev[i].text) {
                with++;
                same += text_eq(&ev[i], cur);
            }
        *out = 100.0 * same / with;
        value_of->p = cur->text;
        value_of->n = cur->textn;
        return true;
    }
    }
    return false;
}

static bool cond_holds(const kp_window_cond *c, double v)
{
    switch (c->op) {
    case 0: return v > c->value;
    case 1: return v >= c->value;
    case 2: return v < c->value;
    case 3: return v <= c->value;
    case 4: return v == c->value;
    default: return v != c->value;
    }
}

int kwin_push(kwin *w, const kwin_event *e, kwin_output *out)
{
    wgroup *g = find_group(w, e->keys);
    while (g->head < g->n && g->ev[g->head].t < e->time - w->spec.span)
        group_drop_front(w, g);
    if (g->head == g->n)
        g->head = g->n = 0;
    if (g->head > 64 && g->head * 2 > g->n) { /* compact the consumed front */
        memmove(g->ev, g->ev + g->head, sizeof(wev) * (g->n - g->head));
        g->n -= g->head;
        g->head = 0;
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 8;
        g->ev = sp_xrealloc(g->ev, sizeof(wev) * g->cap);
    }
    wev *x = &g->ev[g->n++];
    memset(x, 0, sizeof *x);
    x->t = e->time;
    x->mask = e->mask;
    x->has_value = e->has_value && !isnan(e->value);
    x->value = e->value;
    if (e->text.n) {
        x->text = sp_xmalloc(e->text.n);
        memcpy(x->text, e->text.p, e->text.n);
        x->textn = e->text.n;
    }
    for (int r = 0; r < w->spec.nrules && r < 64; r++)
        if ((x->mask >> r) & 1)
            g->rule_count[r]++;
    if (x->has_value) {
        g->sum += x->value;
        g->nvalues++;
    }
    double v;
    kstr of = {"", 0};
    if (!metric(w, g, &v, &of))
        return 0;
    for (int i = 0; i < w->spec.nconds; i++)
        if (!cond_holds(&w->conds[i], v))
            return 0;
    memset(out, 0, sizeof *out);
    out->start = g->ev[g->head].t;
    out->end = e->time;
    out->value = v;
    out->events = g->n - g->head;
    /* The output's texts must outlive the consumption below: copy into the key buffer. */
    sp_buf *k = &w->keybuf;
    k->len = 0;
    sp_buf_append(k, g->key, g->keylen);
    size_t of_at = k->len;
    sp_buf_append(k, of.p, of.n);
    const char *p = k->data;
    for (int i = 0; i < w->spec.nkeys; i++) {
        uint32_t n;
        memcpy(&n, p, sizeof n);
        w->outkeys[i].p = p + sizeof n;
        w->outkeys[i].n = n;
        p += sizeof n + n;
    }
    out->keys = w->outkeys;
    out->value_of.p = k->data ? k->data + of_at : "";
    out->value_of.n = (uint32_t)of.n;
    group_clear(w, g);
    return 1;
}

/* ---- the batch operator ---- */

typedef struct win_row {
    int64_t t;
    uint64_t seq;
    uint64_t mask;
    double value;
    bool has_value;
    kstr text;
    kstr *keys;
} win_row;

typedef struct window_op {
    kop base;
    krowset *rs;   /* the outputs, computed on the first call */
    bool done;
    uint32_t row;
    kvec **colbuf;
    kbatch batch;
} window_op;

static int row_cmp(const void *a, const void *b)
{
    const win_row *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int window_compute(window_op *w)
{
    kexec *ex = w->base.ex;
    const kp *node = w->base.node;
    int nkeys = node->nkeys;
    sp_arena arena = {0};
    win_row *rows = NULL;
    size_t nrows = 0, cap = 0;
    uint64_t seq = 0;
    for (int j = 0; j < node->ninputs; j++) {
        kop *in = kop_build(ex, node->inputs[j]);
        kbatch *b;
        int r;
        while ((r = in->next(in, &b)) > 0) {
            uint32_t n = kbatch_rows(b);
            for (uint32_t k = 0; k < n; k++) {
                uint32_t i = kbatch_row(b, k);
                kval t, m, v, s;
                kvec_get(b->cols[KW_IN_TIME], i, &t);
                if (t.null)
                    continue; /* no event time: the event belongs to no window */
                kvec_get(b->cols[KW_IN_MASK], i, &m);
                kvec_get(b->cols[KW_IN_VALUE], i, &v);
                kvec_get(b->cols[KW_IN_TEXT], i, &s);
                SP_GROW(rows, cap, nrows + 1);
                win_row *x = &rows[nrows++];
                x->t = t.u.l;
                x->seq = seq++;
                x->mask = m.null ? 0 : (uint64_t)m.u.l;
                x->has_value = !v.null;
                x->value = v.null ? 0 : v.u.r;
                x->text = kstr_dup(&arena, s.u.s.p, s.u.s.n);
                x->keys = sp_arena_alloc(&arena, sizeof(kstr) * (size_t)(nkeys ? nkeys : 1));
                for (int c = 0; c < nkeys; c++) {
                    kval kv;
                    kvec_get(b->cols[KW_IN_KEYS + c], i, &kv);
                    x->keys[c] = kstr_dup(&arena, kv.u.s.p, kv.u.s.n);
                }
            }
        }
        kop_close(in);
        if (r < 0 || ex->failed) {
            free(rows);
            sp_arena_free(&arena);
            return -1;
        }
    }
    if (nrows)
        qsort(rows, nrows, sizeof *rows, row_cmp);
    kwin_spec spec = {.metric = node->win_metric,
                      .nrules = node->win_nrules,
                      .nkeys = nkeys,
                      .span = node->window_ticks,
                      .conds = node->conds,
                      .nconds = node->nconds,
                      .percentile = node->win_percentile};
    kwin *win = kwin_new(&spec);
    w->rs = krowset_new(&node->out);
    kval *vals = sp_xcalloc((size_t)node->out.ncols, sizeof(kval));
    for (size_t i = 0; i < nrows; i++) {
        kwin_event e = {.time = rows[i].t,
                        .mask = rows[i].mask,
                        .has_value = rows[i].has_value,
                        .value = rows[i].value,
                        .text = rows[i].text,
                        .keys = rows[i].keys};
        kwin_output o;
        if (!kwin_push(win, &e, &o))
            continue;
        int c = 0;
        for (; c < nkeys; c++)
            vals[c] = (kval){.type = SP_TYPE_STRING, .u.s = o.keys[c]};
        vals[c++] = (kval){.type = SP_TYPE_DATETIME, .u.l = o.start};
        vals[c++] = (kval){.type = SP_TYPE_DATETIME, .u.l = o.end};
        vals[c++] = (kval){.type = SP_TYPE_REAL, .u.r = o.value};
        vals[c++] = (kval){.type = SP_TYPE_STRING, .u.s = o.value_of};
        vals[c++] = (kval){.type = SP_TYPE_LONG, .u.l = o.events};
        krowset_append_row(w->rs, vals);
    }
    free(vals);
    kwin_free(win);
    free(rows);
    sp_arena_free(&arena);
    return 0;
}

static int window_next(kop *self, kbatch **out)
{
    window_op *w = (window_op *)self;
    if (!w->done) {
        w->done = true;
        if (window_compute(w) != 0)
            return -1;
        w->colbuf = sp_xcalloc((size_t)(w->rs->schema.ncols ? w->rs->schema.ncols : 1), sizeof(kvec *));
        for (int i = 0; i < w->rs->schema.ncols; i++)
            w->colbuf[i] = sp_xcalloc(1, sizeof(kvec));
    }
    if (!w->rs || w->row >= w->rs->nrows)
        return 0;
    uint32_t n = SP_MIN((uint32_t)KB_BATCH, w->rs->nrows - w->row);
    krowset_batch(w->rs, w->row, n, &w->batch, w->colbuf);
    w->row += n;
    *out = &w->batch;
    return 1;
}

static void window_close(kop *self)
{
    window_op *w = (window_op *)self;
    if (w->colbuf) {
        for (int i = 0; i < w->rs->schema.ncols; i++)
            free(w->colbuf[i]);
        free(w->colbuf);
    }
    krowset_free(w->rs);
    free(w);
}

kop *kop_window(kexec *ex, const kp *node)
{
    window_op *w = sp_xcalloc(1, sizeof *w);
    w->base.ex = ex;
    w->base.node = node;
    w->base.next = window_next;
    w->base.close = window_close;
    return &w->base;
}
