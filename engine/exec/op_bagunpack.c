/* op_bagunpack.c — evaluate bag_unpack(): one output column per top-level slot of a
 * dynamic property-bag column (bag_unpack plugin docs), and the schema discovery the
 * binder needs for it.
 *
 * Kusto derives the plugin's columns from the data, while everything downstream of it is
 * bound against column names. socpipe splits the two: kexec_bagunpack_schema (exec.h)
 * runs the input once at bind time and fixes node->out (input columns without the bag,
 * then the slots sorted by name, each typed by what its values share); the operator then
 * always produces exactly node->out. At run time it streams: input columns pass through
 * untouched, and only the slot columns are built, by walking each row's bag once and
 * routing each member through a key → column table. Members the schema does not know are
 * ignored and slots a row lacks are null, so a schema bound earlier stays valid on new
 * data.
 */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

/* The unescaped text of a raw JSON key literal (quotes included); escapes go to arena. */
static kstr key_text(kstr raw, sp_arena *a)
{
    if (raw.n < 2)
        return (kstr){"", 0};
    if (!memchr(raw.p, '\\', raw.n))
        return (kstr){raw.p + 1, raw.n - 2};
    sp_buf b = {0};
    kstr out = {"", 0};
    if (sp_json_unescape(raw.p, raw.n, &b))
        out = kstr_dup(a, b.data ? b.data : "", b.len);
    sp_buf_free(&b);
    return out;
}

static bool ignored(const kp *n, kstr key)
{
    for (int i = 0; i < n->nbag_ignored; i++)
        if (sp_streq(key.p, key.n, n->bag_ignored[i], strlen(n->bag_ignored[i])))
            return true;
    return false;
}

/* ---- schema discovery ---- */

/* The Kusto type of a JSON value; SP_TYPE_NULL for null (no information). */
static sp_type json_type(kstr v)
{
    switch (kj_typeof(v)) {
    case KJ_NULL: return SP_TYPE_NULL;
    case KJ_STRING: return SP_TYPE_STRING;
    case KJ_BOOL: return SP_TYPE_BOOL;
    case KJ_NUMBER: {
        int64_t l;
        return sp_parse_i64(v.p, v.n, &l) ? SP_TYPE_LONG : SP_TYPE_REAL;
    }
    default: return SP_TYPE_DYNAMIC;
    }
}

typedef struct slot_ref {
    kstr key;
    uint32_t id;
} slot_ref;

static int cmp_slot(const void *a, const void *b)
{
    const kstr *x = &((const slot_ref *)a)->key, *y = &((const slot_ref *)b)->key;
    uint32_t n = SP_MIN(x->n, y->n);
    int c = n ? memcmp(x->p, y->p, n) : 0;
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static void add_col(kplan *p, kp *node, int *cap, const char *name, sp_type t, int src)
{
    if (node->out.ncols == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        kp_col *cols = sp_arena_alloc(&p->arena, sizeof(kp_col) * (size_t)*cap);
        int *srcs = sp_arena_alloc(&p->arena, sizeof(int) * (size_t)*cap);
        if (node->out.ncols) {
            memcpy(cols, node->out.cols, sizeof(kp_col) * (size_t)node->out.ncols);
            memcpy(srcs, node->bag_src, sizeof(int) * (size_t)node->out.ncols);
        }
        node->out.cols = cols;
        node->bag_src = srcs;
    }
    node->out.cols[node->out.ncols].name = kplan_strdup(p, name, strlen(name));
    node->out.cols[node->out.ncols].type = t;
    node->bag_src[node->out.ncols++] = src;
}

int kexec_bagunpack_schema(kplan *plan, sp_store *store, const kexec_opts *opts, kp *node, sp_diag *err)
{
    kexec ex;
    kexec_begin(&ex, plan, store, opts, err);
    khash keys;
    khash_init(&keys, 1);
    sp_type *types = NULL;
    uint32_t tcap = 0;
    sp_arena tmp = {0};
    kop *in = kop_build(&ex, node->in);
    kbatch *b;
    int r = 0;
    while (!ex.failed && (r = in->next(in, &b)) > 0) {
        sp_arena_reset(&tmp);
        const kvec *bag = b->cols[node->bag_col];
        uint32_t rows = kbatch_rows(b);
        for (uint32_t k = 0; k < rows; k++) {
            kval v;
            kvec_get(bag, kbatch_row(b, k), &v);
            kj_iter it;
            kstr rk, val;
            if (v.null || v.type != SP_TYPE_DYNAMIC || !kj_obj_begin(v.u.s, &it))
                continue;
            while (kj_obj_next(&it, &rk, &val)) {
                kval key = {.type = SP_TYPE_STRING, .u.s = key_text(rk, &tmp)};
                if (ignored(node, key.u.s))
                    continue;
                bool added;
                uint32_t id = khash_insert(&keys, &key, khash_of(&key, 1), &added);
                if (id >= tcap) {
                    tcap = tcap ? tcap * 2 : 64;
                    types = sp_xrealloc(types, sizeof(sp_type) * tcap);
                }
                sp_type t = json_type(val);
                if (added)
                    types[id] = t;
                else if (t != SP_TYPE_NULL && types[id] != t)
                    types[id] = types[id] == SP_TYPE_NULL ? t : SP_TYPE_DYNAMIC;
            }
        }
    }
    kop_close(in);
    bool failed = ex.failed || r < 0;
    kexec_end(&ex);
    sp_arena_free(&tmp);
    int rc = 0;
    if (failed) {
        rc = -1;
        goto done;
    }
    if (keys.n + (uint32_t)node->in->out.ncols > sp_limits.max_columns) {
        sp_diag_set(err, NULL, node->line, node->col, "bag_unpack: %u distinct slots exceed the column limit (%u)",
                    keys.n, sp_limits.max_columns);
        rc = -1;
        goto done;
    }
    const char *prefix = node->bag_prefix ? node->bag_prefix : "";
    size_t plen = strlen(prefix);
    slot_ref *order = sp_xmalloc(sizeof(slot_ref) * (keys.n ? keys.n : 1));
    for (uint32_t i = 0; i < keys.n; i++)
        order[i] = (slot_ref){keys.keys[i].u.s, i};
    qsort(order, keys.n, sizeof(slot_ref), cmp_slot);
    /* column names of the slots */
    char **names = sp_xcalloc(keys.n ? keys.n : 1, sizeof(char *));
    for (uint32_t i = 0; i < keys.n; i++) {
        const kstr *k = &keys.keys[i].u.s;
        names[i] = sp_xmalloc(plen + k->n + 1);
        memcpy(names[i], prefix, plen);
        memcpy(names[i] + plen, k->p, k->n);
        names[i][plen + k->n] = 0;
    }
    int *kept = sp_xmalloc(sizeof(int) * (keys.n ? keys.n : 1)); /* keep_source: the input column */
    for (uint32_t i = 0; i < keys.n; i++)
        kept[i] = -1;
    const kp_schema *is = &node->in->out;
    node->out.ncols = 0;
    node->out.cols = NULL;
    node->bag_src = NULL;
    int cap = 0;
    for (int c = 0; c < is->ncols && rc == 0; c++) {
        if (c == node->bag_col)
            continue;
        int clash = -1;
        for (uint32_t i = 0; i < keys.n && clash < 0; i++)
            if (!strcmp(names[i], is->cols[c].name))
                clash = (int)i;
        if (clash >= 0 && node->bag_conflict == KP_BAGCONFLICT_ERROR) {
            sp_diag_set(err, NULL, node->line, node->col,
                        "bag_unpack: slot '%s' clashes with an existing column (see columnsConflict)", names[clash]);
            rc = -1;
        } else if (clash >= 0 && node->bag_conflict == KP_BAGCONFLICT_REPLACE) {
            continue;
        } else if (clash >= 0) {
            /* keep_source: the input column keeps its values but takes the slot's place
             * among the unpacked columns (the documented example lists Age, Name) */
            kept[clash] = c;
        } else {
            add_col(plan, node, &cap, is->cols[c].name, is->cols[c].type, c);
        }
    }
    for (uint32_t j = 0; j < keys.n && rc == 0; j++) {
        uint32_t i = order[j].id;
        if (kept[i] >= 0)
            add_col(plan, node, &cap, is->cols[kept[i]].name, is->cols[kept[i]].type, kept[i]);
        else
            add_col(plan, node, &cap, names[i], types[i] == SP_TYPE_NULL ? SP_TYPE_DYNAMIC : types[i], -1);
    }
    for (uint32_t i = 0; i < keys.n; i++)
        free(names[i]);
    free(names);
    free(kept);
    free(order);
done:
    khash_free(&keys);
    free(types);
    return rc;
}

int kexec_bagunpack_hook(void *ctx, kplan *plan, kp *node, sp_diag *err)
{
    return kexec_bagunpack_schema(plan, ctx, NULL, node, err);
}

/* ---- the operator ---- */

typedef struct bag_op {
    kop base;
    kop *in;
    int *src;       /* per out column: input column, -1 slot, -2 always null */
    khash slots;    /* unprefixed key -> slot id */
    int *slot_col;  /* slot id -> out column */
    uint8_t *seen;  /* per slot: set in the current row */
    sp_arena arena;
    kbatch batch;
} bag_op;

static int bag_next(kop *self, kbatch **out)
{
    bag_op *g = (bag_op *)self;
    const kp *n = self->node;
    sp_arena_reset(&g->arena);
    kbatch *in;
    int r = g->in->next(g->in, &in);
    if (r <= 0)
        return r;
    kbatch *b = &g->batch;
    *b = *in;
    b->ncols = n->out.ncols;
    b->arena = &g->arena;
    b->cols = sp_arena_alloc(&g->arena, sizeof(kvec *) * (size_t)(n->out.ncols ? n->out.ncols : 1));
    for (int c = 0; c < n->out.ncols; c++) {
        sp_type t = n->out.cols[c].type;
        if (g->src[c] >= 0) {
            b->cols[c] = kvec_cast(&g->arena, in->cols[g->src[c]], t, in->sel, in->sel ? in->nsel : in->n);
            continue;
        }
        kvec *v = kvec_new_flat(&g->arena, t, in->n);
        if (sp_type_is_text(t))
            for (uint32_t i = 0; i < in->n; i++)
                v->d.s[i] = (kstr){"", 0};
        else
            memset(v->valid, 0, in->n / 8 + 1);
        b->cols[c] = v;
    }
    const kvec *bag = in->cols[n->bag_col];
    uint32_t rows = kbatch_rows(in);
    for (uint32_t k = 0; k < rows; k++) {
        uint32_t row = kbatch_row(in, k);
        kval v;
        kvec_get(bag, row, &v);
        kj_iter it;
        kstr rk, val;
        if (v.null || v.type != SP_TYPE_DYNAMIC || !kj_obj_begin(v.u.s, &it))
            continue;
        memset(g->seen, 0, g->slots.n ? g->slots.n : 1);
        while (kj_obj_next(&it, &rk, &val)) {
            kval key = {.type = SP_TYPE_STRING, .u.s = key_text(rk, &g->arena)};
            uint32_t id = khash_find(&g->slots, &key, khash_of(&key, 1));
            if (id == KHASH_NONE || g->seen[id])
                continue; /* unknown slot, or a repeated key: the first one counts */
            g->seen[id] = 1;
            int c = g->slot_col[id];
            kval x;
            kj_to_scalar(val, n->out.cols[c].type, &g->arena, &x);
            kvec_set(b->cols[c], row, &x);
        }
    }
    *out = b;
    return 1;
}

static void bag_close(kop *self)
{
    bag_op *g = (bag_op *)self;
    kop_close(g->in);
    free(g->src);
    khash_free(&g->slots);
    free(g->slot_col);
    free(g->seen);
    sp_arena_free(&g->arena);
    free(g);
}

kop *kop_bagunpack(kexec *ex, const kp *node)
{
    bag_op *g = kop_alloc(sizeof *g, ex, node, bag_next, bag_close);
    g->in = kop_build(ex, node->in);
    khash_init(&g->slots, 1);
    int nc = node->out.ncols;
    g->src = sp_xcalloc((size_t)(nc ? nc : 1), sizeof(int));
    g->slot_col = sp_xcalloc((size_t)(nc ? nc : 1), sizeof(int));
    const char *prefix = node->bag_prefix ? node->bag_prefix : "";
    size_t plen = strlen(prefix);
    const kp_schema *is = &node->in->out;
    for (int c = 0; c < nc; c++) {
        const char *name = node->out.cols[c].name;
        size_t len = strlen(name);
        bool prefixed = len >= plen && !memcmp(name, prefix, plen);
        int src;
        if (node->bag_src) {
            src = node->bag_src[c];
        } else {
            int ic = kp_schema_find(is, name, len);
            if (ic == node->bag_col)
                ic = -1;
            src = ic >= 0 && (node->bag_conflict != KP_BAGCONFLICT_REPLACE || !prefixed) ? ic : prefixed ? -1 : -2;
        }
        if (src == -1) {
            kval key = {.type = SP_TYPE_STRING, .u.s = {prefixed ? name + plen : name, (uint32_t)(prefixed ? len - plen : len)}};
            bool added;
            uint32_t id = khash_insert(&g->slots, &key, khash_of(&key, 1), &added);
            if (added)
                g->slot_col[id] = c;
            else
                src = -2; /* two columns for one slot: the first one gets it */
        }
        g->src[c] = src;
    }
    g->seen = sp_xcalloc(g->slots.n ? g->slots.n : 1, 1);
    return &g->base;
}
