/* op_makeseries.c — make-series: per group of the `by` keys, one array per aggregate
 * with a value for every bin of the axis from..to step, plus the axis itself (make-series
 * operator docs).
 *
 * Semantics: bin i covers [from + i*step, from + (i+1)*step); `to` is exclusive, so there
 * are ceil((to - from) / step) bins (at most 2^20, Kusto's cap). Rows whose axis is null or
 * outside [from, to) are ignored. A bin no row fell into holds the aggregate's default
 * (`default=`, else 0); so does a bin whose aggregate came out null. Without `from` the
 * axis starts at the bin (a multiple of step) of the smallest axis value; without `to` it
 * ends after the bin of the largest; both over the whole input, so every series shares
 * one axis. Output: the keys, each aggregate's array (dynamic), then the axis array
 * (datetime elements in Kusto's text form). An empty input gives no row, except with
 * kind=nonempty: one row of defaults. Series come out in first-seen order.
 *
 * Aggregation reuses summarize's states (agg.c), kept sparsely: one state per
 * (series, bin, aggregate) that some row touched, found through a key table on
 * (series id, bin). Without both bounds the input is materialized first to find them.
 */
#include "engine/exec/exec_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BINS (1u << 20)

typedef struct ms_op {
    kop base;
    kop *in;
    kagg_progs progs;
    kprog axisprog;
    bool real_axis;      /* bin arithmetic in doubles (a real axis or step) */
    int64_t from_l, step_l;
    double from_r, step_r;
    uint32_t nbins;
    khash series;        /* key tuple -> series id */
    khash cells;         /* (series, bin) -> cell id */
    uint32_t *cell_bin, *cell_next, *series_head;
    uint32_t ccap, scap;
    kagg_state *states;  /* cells.n * naggs */
    krowset *input;      /* materialized input when a bound comes from the data */
    krowset *result;
    kop *reader;
    sp_arena arena, tmp;
    bool done;
} ms_op;

static double as_real(const kval *v)
{
    return v->type == SP_TYPE_REAL ? v->u.r : (double)v->u.l;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Bin of axis value v, or -1 when outside the axis. */
static int64_t bin_of(const ms_op *m, const kval *v)
{
    if (m->real_axis) {
        double x = as_real(v);
        if (isnan(x) || x < m->from_r)
            return -1;
        double b = floor((x - m->from_r) / m->step_r);
        return b >= (double)m->nbins ? -1 : (int64_t)b;
    }
    if (v->u.l < m->from_l)
        return -1;
    int64_t b = floor_div(v->u.l - m->from_l, m->step_l);
    return b >= (int64_t)m->nbins ? -1 : b;
}

static int fail(ms_op *m, const char *msg)
{
    return kexec_fail(m->base.ex, m->base.node->line, m->base.node->col, "make-series: %s", msg);
}

/* Evaluates the bounds; for a missing one, scans the materialized input's axis. */
static int setup_axis(ms_op *m)
{
    kexec *ex = m->base.ex;
    const kp *n = m->base.node;
    kval step, from = {0}, to = {0};
    if (kexec_eval_const(ex, n->range_step, &m->arena, &step) < 0)
        return -1;
    if (n->range_from && kexec_eval_const(ex, n->range_from, &m->arena, &from) < 0)
        return -1;
    if (n->range_to && kexec_eval_const(ex, n->range_to, &m->arena, &to) < 0)
        return -1;
    if (step.null || (n->range_from && from.null) || (n->range_to && to.null))
        return fail(m, "the axis bounds and step must not be null");
    m->real_axis = n->axis->type == SP_TYPE_REAL || step.type == SP_TYPE_REAL ||
                   (n->range_from && from.type == SP_TYPE_REAL) || (n->range_to && to.type == SP_TYPE_REAL);
    m->step_r = as_real(&step);
    m->step_l = step.type == SP_TYPE_REAL ? (int64_t)step.u.r : step.u.l;
    if (m->real_axis ? !(m->step_r > 0) : m->step_l <= 0)
        return fail(m, "step must be positive");
    bool have_min = false;
    kval mn = {0}, mx = {0};
    if (!n->range_from || !n->range_to) {
        /* bounds from the data: materialize, then scan the axis */
        m->input = krowset_drain(ex, m->in, &n->in->out);
        kop_close(m->in);
        m->in = NULL;
        if (!m->input)
            return -1;
        kvec **colbuf = sp_xcalloc((size_t)(m->input->schema.ncols ? m->input->schema.ncols : 1), sizeof(kvec *));
        for (int c = 0; c < m->input->schema.ncols; c++)
            colbuf[c] = sp_xcalloc(1, sizeof(kvec));
        for (uint32_t row0 = 0; row0 < m->input->nrows && !ex->failed; row0 += KB_BATCH) {
            kbatch b;
            krowset_batch(m->input, row0, SP_MIN((uint32_t)KB_BATCH, m->input->nrows - row0), &b, colbuf);
            sp_arena_reset(&m->tmp);
            kvec *av = kprog_eval(ex, &m->axisprog, &b, &m->tmp);
            for (uint32_t i = 0; av && i < b.n; i++) {
                kval v;
                kvec_get(av, i, &v);
                if (v.null || (v.type == SP_TYPE_REAL && isnan(v.u.r)))
                    continue;
                if (!have_min || kval_cmp(&v, &mn) < 0)
                    mn = v;
                if (!have_min || kval_cmp(&v, &mx) > 0)
                    mx = v;
                have_min = true;
            }
        }
        for (int c = 0; c < m->input->schema.ncols; c++)
            free(colbuf[c]);
        free(colbuf);
        if (ex->failed)
            return -1;
        m->in = kop_rowset(ex, n->in, m->input);
    }
    if (m->real_axis) {
        m->from_r = n->range_from ? as_real(&from) : have_min ? floor(as_real(&mn) / m->step_r) * m->step_r : 0;
        double end = n->range_to ? as_real(&to)
                                 : have_min ? m->from_r + (floor((as_real(&mx) - m->from_r) / m->step_r) + 1) * m->step_r
                                            : m->from_r;
        double bins = end > m->from_r ? ceil((end - m->from_r) / m->step_r) : 0;
        if (bins > MAX_BINS)
            return fail(m, "the axis has more than 1048576 bins");
        m->nbins = (uint32_t)bins;
    } else {
        m->from_l = n->range_from ? from.u.l : have_min ? floor_div(mn.u.l, m->step_l) * m->step_l : 0;
        int64_t end = n->range_to ? to.u.l
                                  : have_min ? m->from_l + (floor_div(mx.u.l - m->from_l, m->step_l) + 1) * m->step_l
                                             : m->from_l;
        if (end > m->from_l) {
            uint64_t span = (uint64_t)end - (uint64_t)m->from_l;
            uint64_t bins = span / (uint64_t)m->step_l + (span % (uint64_t)m->step_l != 0);
            if (bins > MAX_BINS)
                return fail(m, "the axis has more than 1048576 bins");
            m->nbins = (uint32_t)bins;
        }
    }
    return 0;
}

static uint32_t cell_of(ms_op *m, uint32_t series, int64_t bin)
{
    const kp *n = m->base.node;
    kval key[2] = {{.type = SP_TYPE_LONG, .u.l = series}, {.type = SP_TYPE_LONG, .u.l = bin}};
    bool added;
    uint32_t id = khash_insert(&m->cells, key, khash_of(key, 2), &added);
    if (!added)
        return id;
    if (id >= m->ccap) {
        m->ccap = m->ccap ? m->ccap * 2 : 256;
        m->cell_bin = sp_xrealloc(m->cell_bin, sizeof(uint32_t) * m->ccap);
        m->cell_next = sp_xrealloc(m->cell_next, sizeof(uint32_t) * m->ccap);
        m->states = sp_xrealloc(m->states, sizeof(kagg_state) * m->ccap * (size_t)(n->naggs ? n->naggs : 1));
    }
    m->cell_bin[id] = (uint32_t)bin;
    m->cell_next[id] = m->series_head[series];
    m->series_head[series] = id;
    memset(&m->states[(size_t)id * (size_t)n->naggs], 0, sizeof(kagg_state) * (size_t)n->naggs);
    return id;
}

static int consume(ms_op *m)
{
    kexec *ex = m->base.ex;
    const kp *n = m->base.node;
    kbatch *b;
    int r;
    while ((r = m->in->next(m->in, &b)) > 0) {
        sp_arena_reset(&m->tmp);
        kvec *axis = kprog_eval(ex, &m->axisprog, b, &m->tmp);
        if (!axis || kagg_progs_eval(ex, &m->progs, b, &m->tmp) < 0)
            return -1;
        uint32_t rows = kbatch_rows(b);
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t row = kbatch_row(b, k);
            kval av;
            kvec_get(axis, row, &av);
            int64_t bin = av.null ? -1 : bin_of(m, &av);
            if (bin < 0)
                continue;
            const kval *key = kagg_progs_key(&m->progs, row);
            bool added;
            uint32_t s = khash_insert(&m->series, key, khash_of(key, n->nkeys), &added);
            if (added) {
                if (s >= m->scap) {
                    m->scap = m->scap ? m->scap * 2 : 64;
                    m->series_head = sp_xrealloc(m->series_head, sizeof(uint32_t) * m->scap);
                }
                m->series_head[s] = KHASH_NONE;
            }
            uint32_t c = cell_of(m, s, bin);
            kagg_progs_update(&m->progs, row, &m->states[(size_t)c * (size_t)n->naggs], &m->arena);
        }
    }
    return r < 0 || ex->failed ? -1 : 0;
}

static void axis_value(const ms_op *m, uint32_t i, sp_type t, kval *out)
{
    *out = kval_null(t);
    out->null = false;
    if (m->real_axis) {
        out->type = SP_TYPE_REAL;
        out->u.r = m->from_r + (double)i * m->step_r;
    } else {
        out->u.l = m->from_l + (int64_t)i * m->step_l;
        if (t == SP_TYPE_INT)
            out->type = SP_TYPE_LONG;
    }
}

/* Builds the result rows. */
static int finish(ms_op *m)
{
    const kp *n = m->base.node;
    int nc = n->out.ncols;
    if (nc != n->nkeys + n->naggs + 1)
        return fail(m, "internal: output must be the keys, one array per aggregate, then the axis");
    m->result = krowset_new(&n->out);
    uint32_t nseries = m->series.n;
    bool defaults_row = nseries == 0 && n->series_nonempty;
    kval *row = sp_xcalloc((size_t)nc, sizeof(kval));
    uint32_t *cell_at = sp_xmalloc(sizeof(uint32_t) * (m->nbins ? m->nbins : 1));
    sp_type *vtypes = sp_xcalloc((size_t)(n->naggs + 1), sizeof(sp_type));
    for (int i = 0; i < n->naggs; i++)
        vtypes[i] = kagg_value_type(&n->aggs[i]);
    sp_buf *arrays = sp_xcalloc((size_t)(n->naggs + 1), sizeof(sp_buf));
    /* the axis array is the same for every row */
    sp_buf axis = {0};
    sp_buf_putc(&axis, '[');
    for (uint32_t i = 0; i < m->nbins; i++) {
        kval v;
        axis_value(m, i, n->axis->type, &v);
        if (i)
            sp_buf_putc(&axis, ',');
        kval_to_json(&v, &axis);
    }
    sp_buf_putc(&axis, ']');
    for (uint32_t s = 0; s < nseries || defaults_row; s++) {
        for (uint32_t i = 0; i < m->nbins; i++)
            cell_at[i] = KHASH_NONE;
        if (!defaults_row)
            for (uint32_t c = m->series_head[s]; c != KHASH_NONE; c = m->cell_next[c])
                cell_at[m->cell_bin[c]] = c;
        for (int k = 0; k < n->nkeys; k++)
            row[k] = defaults_row ? kval_null(n->out.cols[k].type) : m->series.keys[(size_t)s * (size_t)n->nkeys + (size_t)k];
        for (int a = 0; a < n->naggs; a++) {
            const kp_agg *ag = &n->aggs[a];
            kval dflt = n->defaults ? n->defaults[a] : (kval){.type = SP_TYPE_LONG, .u.l = 0};
            sp_buf *out = &arrays[a];
            out->len = 0;
            sp_buf_putc(out, '[');
            for (uint32_t i = 0; i < m->nbins; i++) {
                kval v = dflt;
                if (cell_at[i] != KHASH_NONE) {
                    kagg_finish(&m->arena, ag, &m->states[(size_t)cell_at[i] * (size_t)n->naggs + (size_t)a], &v,
                                &vtypes[a]);
                    if (v.null)
                        v = dflt;
                }
                if (i)
                    sp_buf_putc(out, ',');
                kval_to_json(&v, out);
            }
            sp_buf_putc(out, ']');
            int col = ag->first_out;
            row[col] = (kval){.type = SP_TYPE_DYNAMIC, .u.s = {out->data, (uint32_t)out->len}};
        }
        row[nc - 1] = (kval){.type = SP_TYPE_DYNAMIC, .u.s = {axis.data, (uint32_t)axis.len}};
        krowset_append_row(m->result, row);
        if (defaults_row)
            break;
    }
    for (int a = 0; a < n->naggs; a++)
        sp_buf_free(&arrays[a]);
    free(arrays);
    sp_buf_free(&axis);
    free(vtypes);
    free(cell_at);
    free(row);
    return 0;
}

static int ms_next(kop *self, kbatch **out)
{
    ms_op *m = (ms_op *)self;
    if (!m->done) {
        m->done = true;
        if (self->ex->failed || setup_axis(m) < 0 || consume(m) < 0 || finish(m) < 0)
            return -1;
        m->reader = kop_rowset(self->ex, self->node, m->result);
    }
    return m->reader->next(m->reader, out);
}

static void ms_close(kop *self)
{
    ms_op *m = (ms_op *)self;
    const kp *n = self->node;
    kop_close(m->in);
    kop_close(m->reader);
    krowset_free(m->result);
    krowset_free(m->input);
    kagg_progs_free(&m->progs);
    kprog_free(&m->axisprog);
    for (uint32_t c = 0; c < m->cells.n; c++)
        for (int i = 0; i < n->naggs; i++)
            kagg_release(&m->states[(size_t)c * (size_t)n->naggs + (size_t)i]);
    khash_free(&m->series);
    khash_free(&m->cells);
    free(m->cell_bin);
    free(m->cell_next);
    free(m->series_head);
    free(m->states);
    sp_arena_free(&m->arena);
    sp_arena_free(&m->tmp);
    free(m);
}

kop *kop_makeseries(kexec *ex, const kp *node)
{
    ms_op *m = kop_alloc(sizeof *m, ex, node, ms_next, ms_close);
    m->in = kop_build(ex, node->in);
    khash_init(&m->series, node->nkeys);
    khash_init(&m->cells, 2);
    kagg_progs_init(ex, &m->progs, node);
    for (int i = 0; i < node->naggs; i++)
        if (node->aggs[i].nout > 1)
            kexec_fail(ex, node->line, node->col, "make-series: aggregate '%s' has several outputs",
                       ka_get(node->aggs[i].agg)->name);
    if (!node->axis || !node->range_step)
        kexec_fail(ex, node->line, node->col, "internal: make-series without an axis or step");
    else
        kprog_compile(ex, node->axis, false, &m->axisprog);
    return &m->base;
}
