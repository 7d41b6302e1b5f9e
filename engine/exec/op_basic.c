/* op_basic.c — the streaming operators: scan (with pushed-down filter, time-range chunk
 * skipping, column pruning and late materialisation), constant rows, filter, project and
 * limit, plus the reader of materialized rowsets.
 *
 * A scan reads a column of a chunk only when something asks for it: the filter program
 * loads its columns as it reaches them, and only the rows that survive it get the columns
 * the operators above read. When few rows survive a batch, they are handed on as a dense
 * batch of just those rows (compaction), so a detection that keeps one row in a thousand
 * touches one row in a thousand of the other columns. A column whose only reader is a
 * summarize grouping or dcounting it by id (kp.scan_idonly) goes on as the survivors'
 * table-dictionary ids without their text (kvec.ids_only) wherever the chunk has ids.
 *
 * Each operator owns an arena that backs the batches it produces; it is reset at the
 * start of the next call, which is exactly when the consumer is done with them.
 */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- scan ---- */

typedef struct scan_op {
    kop base;
    sp_table *table;
    sp_snapshot *snap;
    int chunk;         /* current chunk index */
    uint32_t row;      /* next row in the current chunk */
    int ncols;
    kdict_cache *dicts; /* per column */
    kvec **vecs;       /* per column, reused */
    kprog filter;
    bool has_filter;
    int time_col;
    bool time_bounded; /* from the filter: chunks outside [time_min, time_max] are skipped */
    int64_t time_min, time_max;
    sp_arena arena, conv; /* conv: whole-chunk conversions of narrower columns */
    sp_colview *views;    /* per column, for the current chunk */
    const void **view_ids; /* per column: dictionary id of a converted view, else NULL */
    uint32_t *view_chunk;  /* per column: chunk_seq its view was made for (0 = none) */
    uint32_t chunk_seq;    /* counts the chunks entered, from 1 */
    const sp_chunk *cur;   /* the current chunk */
    sp_chunk *cur_chunk;   /* the same, for its cache of derived columns */
    int views_chunk;
    uint32_t batch_row0;  /* first chunk row of the current batch */
    const uint8_t *idonly; /* per column: hand on ids without text where the chunk has ids
                            * (kp.scan_idonly), or NULL */
    /* A parallel summarize's scan (kscan_split): morsel numbers the batch about to be
     * read; the leader claims each before reading it, a fixed share stops at morsel_end. */
    kscan_split *split;
    bool split_claims, owns_snap;
    bool seek_share; /* a fixed share, not positioned yet (scan_next does it) */
    uint32_t morsel, morsel_end;
    /* The columns a batch may load (the plan's scan_need, and the time column): first the
     * nemit handed on (scan_emit), then those only the filter or time range read. A rule
     * over a 90-column table touches these few per batch, not all 90. */
    int *read;
    int nread, nemit;
    kbatch batch;
} scan_op;

/* ---- the split of a scan between two threads ---- */

static uint32_t chunk_morsels(const sp_chunk *c)
{
    return (sp_chunk_rows(c) + KB_BATCH - 1) / KB_BATCH;
}

void kscan_split_init(kscan_split *sp, const kp *scan, sp_snapshot *snap)
{
    sp->scan = scan;
    sp->snap = snap;
    sp->nmorsels = 0;
    for (int c = 0; c < snap->nchunks; c++)
        sp->nmorsels += chunk_morsels(snap->chunks[c]);
    atomic_init(&sp->claim, (uint64_t)sp->nmorsels << 32);
    sp->from = sp->to = 0;
}

bool kscan_split_steal(kscan_split *sp)
{
    uint64_t w = atomic_load_explicit(&sp->claim, memory_order_acquire);
    for (;;) {
        uint32_t next = (uint32_t)w, end = (uint32_t)(w >> 32);
        if (end < next + 2)
            return false;
        uint32_t mid = next + (end - next + 1) / 2; /* the leader keeps the smaller half */
        if (atomic_compare_exchange_weak_explicit(&sp->claim, &w, (uint64_t)mid << 32 | next, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            sp->from = mid;
            sp->to = end;
            return true;
        }
    }
}

/* The leader's claim of its next morsel: false once the helper took the rest. */
static bool split_claim(kscan_split *sp)
{
    uint64_t w = atomic_load_explicit(&sp->claim, memory_order_acquire);
    for (;;) {
        if ((uint32_t)w >= (uint32_t)(w >> 32))
            return false;
        if (atomic_compare_exchange_weak_explicit(&sp->claim, &w, w + 1, memory_order_acq_rel, memory_order_acquire))
            return true;
    }
}

/* Positions a fixed share's scan at its first morsel. */
static void split_seek(scan_op *s, uint32_t from)
{
    uint32_t at = 0;
    for (s->chunk = 0; s->chunk < s->snap->nchunks; s->chunk++) {
        uint32_t nm = chunk_morsels(s->snap->chunks[s->chunk]);
        if (from < at + nm)
            break;
        at += nm;
    }
    s->row = (from - at) * KB_BATCH;
    s->morsel = from;
}

/* Whether a parallel scan may read the morsel at its position: every non-empty batch of
 * a chunk is one morsel, numbered in order. */
static bool split_may_read(scan_op *s)
{
    if (s->morsel >= s->morsel_end)
        return false;
    return !s->split_claims || split_claim(s->split);
}

static bool chunk_in_range(const scan_op *s, const sp_chunk *c)
{
    if (!s->time_bounded)
        return true;
    int64_t mn = sp_chunk_min_time(c), mx = sp_chunk_max_time(c);
    if (mn == INT64_MAX) /* no time values: rows have null time, which no range keeps */
        return false;
    return mx >= s->time_min && mn <= s->time_max;
}

/* Value of a time bound known before the scan: constants, now(), ago(), and datetime
 * plus or minus timespans of those. */
static bool time_bound_value(const kexec *ex, const kx *e, int64_t *out)
{
    int64_t a, b;
    switch (e->kind) {
    case KX_CONST:
        if (e->value.null || (e->type != SP_TYPE_DATETIME && e->type != SP_TYPE_TIMESPAN))
            return false;
        *out = e->value.u.l;
        return true;
    case KX_CALL:
        switch (e->fn) {
        case KB_now:
            *out = ex->now;
            if (e->nargs == 1) {
                if (!time_bound_value(ex, e->args[0], &a))
                    return false;
                *out += a;
            }
            return true;
        case KB_ago:
            if (!time_bound_value(ex, e->args[0], &a))
                return false;
            *out = ex->now - a;
            return true;
        case KB_add:
        case KB_sub:
            if (!time_bound_value(ex, e->args[0], &a) || !time_bound_value(ex, e->args[1], &b))
                return false;
            *out = e->fn == KB_add ? a + b : a - b;
            return true;
        default: return false;
        }
    default: return false;
    }
}

/* Collects [min, max] on the time column from the filter's top-level conjuncts. */
static void time_range_of(scan_op *s, const kx *e)
{
    if (!e || e->kind != KX_CALL)
        return;
    if (e->fn == KB_and) {
        time_range_of(s, e->args[0]);
        time_range_of(s, e->args[1]);
        return;
    }
    kexec *ex = s->base.ex;
    int64_t v, w;
    bool col0 = e->nargs >= 2 && e->args[0]->kind == KX_COL && e->args[0]->colidx == s->time_col;
    bool col1 = e->nargs == 2 && e->args[1]->kind == KX_COL && e->args[1]->colidx == s->time_col;
    switch (e->fn) {
    case KB_gt:
    case KB_ge:
    case KB_lt:
    case KB_le: {
        if (!(col0 ^ col1) || !time_bound_value(ex, e->args[col0 ? 1 : 0], &v))
            return;
        bool lower = (e->fn == KB_gt || e->fn == KB_ge) == col0; /* col > v, or v < col */
        if (lower)
            s->time_min = SP_MAX(s->time_min, v);
        else
            s->time_max = SP_MIN(s->time_max, v);
        s->time_bounded = true;
        return;
    }
    case KB_between:
        if (!col0 || !time_bound_value(ex, e->args[1], &v) || !time_bound_value(ex, e->args[2], &w))
            return;
        s->time_min = SP_MAX(s->time_min, v);
        s->time_max = SP_MIN(s->time_max, w);
        s->time_bounded = true;
        return;
    default: return;
    }
}

/* The view of column i for the current chunk, made on first use: a rule's scan of a
 * 90-column table usually reads two of them, and a column of a narrower type is converted
 * (a whole-chunk copy) only when read. */
static const sp_colview *col_view(scan_op *s, int i)
{
    if (s->view_chunk[i] == s->chunk_seq)
        return &s->views[i];
    s->view_chunk[i] = s->chunk_seq;
    sp_colview v;
    sp_chunk_col(s->cur, i, &v);
    if (!v.gids && s->base.node->scan_gids && s->base.node->scan_gids[i])
        sp_chunk_col_gids(s->cur, i, &v); /* indexed now, once for every later reader */
    sp_type want = s->base.node->out.cols[i].type;
    s->view_ids[i] = NULL;
    if (v.type != want && !(v.type == SP_TYPE_INT && want == SP_TYPE_INT)) {
        sp_colview_convert(&v, want, &s->conv, &s->views[i]);
        /* The conversion lives in s->conv, reused by the next chunk: its dictionary needs
         * an id of its own for the caches keyed by dictionary. */
        s->view_ids[i] = sp_arena_alloc(&s->base.ex->arena, 1);
    } else {
        s->views[i] = v;
    }
    return &s->views[i];
}

/* Materialises column col of the current batch for its current selection. */
static kvec *scan_load(kbatch *b, int col)
{
    scan_op *s = b->load_ctx;
    const sp_colview *cv = col_view(s, col);
    kvec *v = sp_arena_alloc(&s->arena, sizeof(kvec));
    kvec_from_colview(&s->arena, cv, s->view_ids[col], s->batch_row0, b->n, b->sel, b->nsel, &s->dicts[col], v);
    v->stable_text = sp_type_is_text(v->type) && !s->view_ids[col]; /* converted views die with the chunk */
    return v;
}

/* The values of a dynamic column at a path for the current batch, from the chunk's
 * derived column (dynpath.c), or NULL: the chunk holds the column in another type (it is
 * converted on read), or nothing made extracting it worth while yet. */
static kvec *scan_load_path(kbatch *b, const kpath *path)
{
    scan_op *s = b->load_ctx;
    sp_chunk *c = s->cur_chunk;
    if (path->col >= sp_chunk_ncols(c) || sp_chunk_col_type(c, path->col) != SP_TYPE_DYNAMIC ||
        s->base.node->out.cols[path->col].type != SP_TYPE_DYNAMIC)
        return NULL;
    sp_colview cv;
    sp_chunk_col(c, path->col, &cv);
    const kpathcol *pc = kpath_chunk(s->base.ex, c, &cv, path, kbatch_rows(b), b->n);
    if (!pc)
        return NULL;
    kvec *v = sp_arena_alloc(&s->arena, sizeof(kvec));
    kpathcol_slice(pc, s->batch_row0, b->n, v);
    return v;
}

static void count_ids_only(scan_op *s, uint32_t cells)
{
    kexec_counters *cnt = s->base.ex->opts ? s->base.ex->opts->counters : NULL;
    if (cnt)
        cnt->cells_ids_only += cells;
}

/* Column col handed on to the operator above for the batch's selected rows: the ids
 * alone when the plan proved that operator reads nothing else (kp.scan_idonly) and the
 * chunk's view has them, else as the filter loads it. */
static kvec *scan_emit_load(kbatch *b, int col)
{
    scan_op *s = b->load_ctx;
    if (s->idonly && s->idonly[col]) {
        const sp_colview *cv = col_view(s, col);
        kvec *v = sp_arena_alloc(&s->arena, sizeof(kvec));
        if (!s->view_ids[col] && kvec_from_colview_ids(&s->arena, cv, s->batch_row0, b->n, v)) {
            count_ids_only(s, kbatch_rows(b));
            return v;
        }
    }
    return scan_load(b, col);
}

/* The same for the dense batch of rows sel[0..m) of the current one. */
static kvec *scan_emit_rows(scan_op *s, int col, const uint32_t *sel, uint32_t m)
{
    const sp_colview *cv = col_view(s, col);
    kvec *v = sp_arena_alloc(&s->arena, sizeof(kvec));
    if (s->idonly && s->idonly[col] && !s->view_ids[col] &&
        kvec_from_colview_ids_rows(&s->arena, cv, s->batch_row0, sel, m, v)) {
        count_ids_only(s, m);
        return v;
    }
    kvec_from_colview_rows(&s->arena, cv, s->view_ids[col], s->batch_row0, sel, m, &s->dicts[col], v);
    v->stable_text = sp_type_is_text(v->type) && !s->view_ids[col];
    return v;
}

static kvec *scan_load_ids(kbatch *b, int col)
{
    scan_op *s = b->load_ctx;
    const sp_colview *cv = col_view(s, col);
    if (!cv->gids || cv->enc != SP_ENC_PLAIN || s->view_ids[col])
        return NULL;
    kvec *v = sp_arena_calloc(&s->arena, sizeof(kvec));
    v->type = cv->type;
    v->enc = KV_FLAT;
    v->n = b->n;
    v->gids = cv->gids + s->batch_row0;
    v->tdict = cv->tdict;
    return v;
}

/* kbatch.load_post: the row lists of the loaded column whose codes for this batch are
 * `codes` (a filter compares them), when worth having (kpost_chunk). */
static const kpost *scan_load_post(kbatch *b, const void *codes, uint32_t *row0)
{
    scan_op *s = b->load_ctx;
    for (int j = 0; j < s->nread; j++) {
        int i = s->read[j];
        const sp_colview *cv = &s->views[i];
        if (s->view_chunk[i] != s->chunk_seq || s->view_ids[i] || cv->enc != SP_ENC_DICT)
            continue; /* not read in this chunk, or converted (its codes are not the chunk's) */
        if ((cv->codes8 && (const void *)(cv->codes8 + s->batch_row0) == codes) ||
            (cv->codes && (const void *)(cv->codes + s->batch_row0) == codes)) {
            *row0 = s->batch_row0;
            return kpost_chunk(s->base.ex, s->cur_chunk, i, cv);
        }
    }
    return NULL;
}

/* Asks ahead for the column descriptors of the chunks after the one just entered, for the
 * columns a batch may read (sp_chunk_col_prefetch): the next chunk's pointed-to data, the
 * one after's descriptors. On the first chunk, the next one's descriptors too. */
static void scan_prefetch_chunks(const scan_op *s)
{
    int next = s->chunk + 1, after = s->chunk + 2;
    for (int j = 0; j < s->nread; j++) {
        if (s->chunk_seq == 1 && next < s->snap->nchunks)
            sp_chunk_col_prefetch(s->snap->chunks[next], s->read[j], 0);
        if (after < s->snap->nchunks)
            sp_chunk_col_prefetch(s->snap->chunks[after], s->read[j], 0);
        if (next < s->snap->nchunks)
            sp_chunk_col_prefetch(s->snap->chunks[next], s->read[j], 1);
    }
}

/* Late materialisation: a batch starts with no column loaded. The time range and the
 * filter program load the columns they read as they reach them (each conjunct sees only
 * the rows the previous ones kept), and only the rows that survive get the remaining
 * columns. A per-event rule over a 90-column table whose filter keeps nothing therefore
 * reads one or two columns, not ninety. */
static int scan_next(kop *self, kbatch **out)
{
    scan_op *s = (scan_op *)self;
    if (s->seek_share) { /* a fixed share is positioned at its first read */
        s->seek_share = false;
        s->morsel_end = s->split->to;
        split_seek(s, s->split->from);
    }
    for (;;) {
        sp_arena_reset(&s->arena);
        if (s->chunk >= s->snap->nchunks)
            return 0;
        sp_chunk *c = s->snap->chunks[s->chunk];
        uint32_t rows = sp_chunk_rows(c);
        if (s->split) {
            /* Morsel by morsel: a chunk outside the time range is skipped a batch at a
             * time, each batch claimed like one that is read. */
            if (rows == 0) { /* no morsel */
                s->chunk++;
                continue;
            }
            if (!split_may_read(s))
                return 0;
            s->morsel++;
            if (!chunk_in_range(s, c)) {
                s->row += KB_BATCH;
                if (s->row >= rows) {
                    s->chunk++;
                    s->row = 0;
                }
                continue;
            }
        } else if (s->row == 0 && !chunk_in_range(s, c)) {
            s->chunk++;
            continue;
        }
        if (s->views_chunk != s->chunk) {
            sp_arena_reset(&s->conv);
            s->cur = c;
            s->cur_chunk = c;
            s->chunk_seq++;
            s->views_chunk = s->chunk;
            scan_prefetch_chunks(s);
        }
        uint32_t row0 = s->row, n = SP_MIN((uint32_t)KB_BATCH, rows - row0);
        s->row += n;
        if (s->row >= rows) {
            s->chunk++;
            s->row = 0;
        }
        kbatch *b = &s->batch;
        memset(b, 0, sizeof *b);
        b->n = n;
        b->ncols = s->ncols;
        b->cols = s->vecs;
        b->arena = &s->arena;
        b->load = scan_load;
        b->load_path = scan_load_path;
        b->load_ids = scan_load_ids;
        b->load_post = scan_load_post;
        b->load_ctx = s;
        s->batch_row0 = row0;
        for (int j = 0; j < s->nread; j++)
            s->vecs[s->read[j]] = NULL;
        if (s->time_col >= 0 && s->time_bounded) {
            /* Rows outside the pushed-down time range (chunks overlap the range). */
            const kvec *tv = s->vecs[s->time_col] = scan_load(b, s->time_col);
            uint32_t *sel = sp_arena_alloc(&s->arena, sizeof(uint32_t) * n);
            uint32_t m = 0;
            for (uint32_t i = 0; i < n; i++) {
                int64_t t = tv->d.l[i];
                bool ok = !kvec_is_null(tv, i) && t >= s->time_min && t <= s->time_max;
                sel[m] = i;
                m += ok;
            }
            b->sel = sel;
            b->nsel = m;
            if (m == 0)
                continue;
        }
        kexec_counters *cnt = self->ex->opts ? self->ex->opts->counters : NULL;
        uint32_t scanned = kbatch_rows(b);
        if (cnt)
            cnt->rows_scanned += scanned;
        if (s->has_filter) {
            uint64_t t0 = cnt ? kexec_interval_ns() : 0;
            kprog_eval(self->ex, &s->filter, b, &s->arena);
            if (self->ex->failed)
                return -1;
            if (cnt) {
                cnt->filter_ns += kexec_interval_ns() - t0;
                cnt->rows_dropped += scanned - kbatch_rows(b);
            }
            if (b->sel && b->nsel == 0)
                continue;
        }
        /* Columns only the filter or the time range read are not passed on. */
        for (int j = s->nemit; j < s->nread; j++)
            s->vecs[s->read[j]] = NULL;
        if (b->sel && (uint64_t)b->nsel * 4 <= b->n) {
            /* Few rows survive: hand on a dense batch of just those rows, so that every
             * column and everything downstream works on nsel rows, not on n. */
            const uint32_t *sel = b->sel;
            uint32_t m = b->nsel;
            if (m <= 64) /* few rows of a wide record: every cell is a miss of its own */
                for (int j = 0; j < s->nemit; j++) {
                    int i = s->read[j];
                    if (s->vecs[i])
                        continue;
                    const sp_colview *cv = col_view(s, i);
                    if (s->idonly && s->idonly[i] && cv->gids)
                        kvec_prefetch_ids(cv, row0, sel, m);
                    else
                        kvec_prefetch_rows(cv, row0, sel, m);
                }
            for (int j = 0; j < s->nemit; j++) {
                int i = s->read[j];
                s->vecs[i] = s->vecs[i] ? kvec_gather(&s->arena, s->vecs[i], sel, m) : scan_emit_rows(s, i, sel, m);
            }
            b->n = m;
            b->sel = NULL;
            b->nsel = 0;
        } else {
            for (int j = 0; j < s->nemit; j++)
                if (!s->vecs[s->read[j]])
                    s->vecs[s->read[j]] = scan_emit_load(b, s->read[j]);
        }
        b->load = NULL;
        b->load_path = NULL;
        b->load_ids = NULL;
        b->load_post = NULL;
        b->load_ctx = NULL;
        *out = b;
        return 1;
    }
}

static void scan_close(kop *self)
{
    scan_op *s = (scan_op *)self;
    if (s->owns_snap)
        kexec_release_snapshot(s->base.ex, s->snap);
    for (int i = 0; i < s->ncols; i++)
        sp_arena_free(&s->dicts[i].arena);
    free(s->dicts);
    free(s->vecs);
    free(s->views);
    free(s->view_ids);
    free(s->view_chunk);
    free(s->read);
    if (s->has_filter)
        kprog_free(&s->filter);
    sp_arena_free(&s->arena);
    sp_arena_free(&s->conv);
    free(s);
}

/* Fills scan_op.read: the emitted columns, then the other columns the scan reads (the
 * time column included, which a scheduled rule's window may read though nothing else
 * does). */
static void scan_read_cols(scan_op *s)
{
    const kp *node = s->base.node;
    const uint8_t *need = node->scan_need, *emit = node->scan_emit ? node->scan_emit : node->scan_need;
    s->read = sp_xmalloc(sizeof(int) * (size_t)(s->ncols ? s->ncols : 1));
    for (int i = 0; i < s->ncols; i++)
        if (!emit || emit[i])
            s->read[s->nread++] = i;
    s->nemit = s->nread;
    for (int i = 0; i < s->ncols; i++)
        if ((emit && !emit[i]) && (!need || need[i] || i == s->time_col))
            s->read[s->nread++] = i;
}

kop *kop_scan(kexec *ex, const kp *node)
{
    scan_op *s = kop_alloc(sizeof *s, ex, node, scan_next, scan_close);
    s->owns_snap = true;
    s->ncols = node->out.ncols;
    s->views_chunk = -1;
    s->time_col = -1;
    /* An unbound scan's columns are not the table's (plan.h): it reads nothing. */
    s->table = ex->store && !node->scan_unbound ? sp_store_find(ex->store, node->table) : NULL;
    if (s->table && ex->opts && ex->opts->only_table == s->table) {
        /* a per-event rule: just the newly sealed chunk */
        s->snap = sp_xcalloc(1, sizeof *s->snap);
        s->snap->table = s->table;
        s->snap->schema = sp_table_schema(s->table);
        s->snap->chunks = sp_xmalloc(sizeof(sp_chunk *));
        sp_chunk_ref(ex->opts->only_chunk);
        s->snap->chunks[0] = ex->opts->only_chunk;
        s->snap->nchunks = 1;
        s->snap->rows = sp_chunk_rows(ex->opts->only_chunk);
        int tc = sp_table_time_col(s->table);
        if (tc >= 0 && tc < s->ncols && node->out.cols[tc].type == SP_TYPE_DATETIME &&
            (!node->scan_need || node->scan_need[tc]))
            s->time_col = tc;
    } else if (s->table) {
        if (ex->split && ex->split->scan == node) { /* a parallel summarize's scan */
            s->split = ex->split;
            s->snap = s->split->snap;
            s->owns_snap = !ex->split_fixed;
            s->split_claims = !ex->split_fixed;
            s->morsel_end = UINT32_MAX;
            s->seek_share = ex->split_fixed;
        } else {
            s->snap = sp_table_snapshot(s->table);
        }
        int tc = sp_table_time_col(s->table);
        if (tc >= 0 && tc < s->ncols && node->out.cols[tc].type == SP_TYPE_DATETIME &&
            (!node->scan_need || node->scan_need[tc]))
            s->time_col = tc;
    } else {
        s->snap = sp_xcalloc(1, sizeof *s->snap); /* an empty table */
    }
    if (!ex->opts || !ex->opts->no_ids_only)
        s->idonly = node->scan_idonly;
    if (s->table && node->scan_gids)
        for (int i = 0; i < s->ncols; i++)
            if (node->scan_gids[i])
                sp_table_want_gids(s->table, i); /* chunks sealed from now on come indexed */
    s->dicts = sp_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *s->dicts);
    /* A scan runs once per sealed chunk for every per-event rule: a default 64 KiB block
     * per column's dictionary cache made that setup cost ~250 us a run in malloc and page
     * faults. Most chunk dictionaries are small; a large one gets a block of its own. */
    for (int i = 0; i < s->ncols; i++)
        s->dicts[i].arena.block_size = 2048;
    s->vecs = sp_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *s->vecs);
    s->views = sp_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *s->views);
    s->view_ids = sp_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *s->view_ids);
    s->view_chunk = sp_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *s->view_chunk);
    if (node->scan_filter) {
        s->has_filter = true;
        kprog_compile(ex, node->scan_filter, true, &s->filter);
    }
    s->time_min = INT64_MIN;
    s->time_max = INT64_MAX;
    if (s->time_col >= 0)
        time_range_of(s, node->scan_filter);
    if (ex->opts && ex->opts->time_window) {
        /* the scheduled rule's lookback: [from, to) */
        if (s->time_col < 0) {
            int tc = s->table ? sp_table_time_col(s->table) : -1;
            if (tc >= 0 && tc < s->ncols && node->out.cols[tc].type == SP_TYPE_DATETIME)
                s->time_col = tc; /* the column was pruned: it is read for the window */
        }
        if (s->time_col >= 0) {
            s->time_min = SP_MAX(s->time_min, ex->opts->time_from);
            s->time_max = SP_MIN(s->time_max, ex->opts->time_to - 1);
            s->time_bounded = true;
        }
    }
    scan_read_cols(s);
    return &s->base;
}

/* ---- values (datatable, print) ---- */

typedef struct values_op {
    kop base;
    int row;
    sp_arena arena;
    kbatch batch;
    /* range with run-time bounds: value of row i = from + i * step, rows of them */
    bool range_ready;
    int64_t rows, from_l, step_l;
    double from_r, step_r;
} values_op;

#define RANGE_MAX_ROWS 10000000 /* the constant range's bound too (bind.c) */

static double as_real(const kval *v)
{
    return v->type == SP_TYPE_REAL ? v->u.r : (double)v->u.l;
}

/* range with bounds known at run time: evaluates them and counts the rows. */
static int range_prepare(values_op *v)
{
    kexec *ex = v->base.ex;
    const kp *n = v->base.node;
    kval f, t, s;
    if (kexec_eval_const(ex, n->range_from, &v->arena, &f) < 0 || kexec_eval_const(ex, n->range_to, &v->arena, &t) < 0 ||
        kexec_eval_const(ex, n->range_step, &v->arena, &s) < 0)
        return -1;
    v->range_ready = true;
    if (f.null || t.null || s.null)
        return kexec_fail(ex, n->line, n->col, "range bounds and step must not be null");
    bool real = n->out.cols[0].type == SP_TYPE_REAL;
    double span, step;
    if (real) {
        v->from_r = as_real(&f);
        v->step_r = as_real(&s);
        span = as_real(&t) - v->from_r;
        step = v->step_r;
    } else {
        v->from_l = f.u.l;
        v->step_l = s.type == SP_TYPE_REAL ? (int64_t)s.u.r : s.u.l;
        span = (double)t.u.l - (double)f.u.l;
        step = (double)v->step_l;
    }
    if (step == 0)
        return kexec_fail(ex, n->line, n->col, "range step must not be zero");
    double count = span / step;
    v->rows = count < 0 ? 0 : (int64_t)count + 1;
    if (v->rows > RANGE_MAX_ROWS)
        return kexec_fail(ex, n->line, n->col, "range produces more than 10,000,000 rows");
    return 0;
}

static int values_next(kop *self, kbatch **out)
{
    values_op *v = (values_op *)self;
    const kp *n = self->node;
    sp_arena_reset(&v->arena);
    if (n->range_step) {
        if (!v->range_ready && range_prepare(v) < 0)
            return -1;
        if (v->row >= v->rows)
            return 0;
        uint32_t cnt = (uint32_t)SP_MIN((int64_t)KB_BATCH, v->rows - v->row);
        kbatch *b = &v->batch;
        memset(b, 0, sizeof *b);
        b->n = cnt;
        b->ncols = 1;
        b->arena = &v->arena;
        b->cols = sp_arena_alloc(&v->arena, sizeof(kvec *));
        sp_type t = n->out.cols[0].type;
        kvec *vec = kvec_new_flat(&v->arena, t, cnt);
        for (uint32_t r = 0; r < cnt; r++) {
            int64_t i = v->row + (int64_t)r;
            kval x = {.type = t};
            if (t == SP_TYPE_REAL)
                x.u.r = v->from_r + (double)i * v->step_r;
            else
                x.u.l = v->from_l + i * v->step_l;
            kvec_set(vec, r, &x);
        }
        b->cols[0] = vec;
        v->row += (int)cnt;
        *out = b;
        return 1;
    }
    if (v->row >= n->nrows)
        return 0;
    uint32_t cnt = (uint32_t)SP_MIN(KB_BATCH, n->nrows - v->row);
    kbatch *b = &v->batch;
    memset(b, 0, sizeof *b);
    b->n = cnt;
    b->ncols = n->out.ncols;
    b->arena = &v->arena;
    b->cols = sp_arena_alloc(&v->arena, sizeof(kvec *) * (size_t)(b->ncols ? b->ncols : 1));
    for (int c = 0; c < b->ncols; c++) {
        kvec *vec = kvec_new_flat(&v->arena, n->out.cols[c].type, cnt);
        for (uint32_t r = 0; r < cnt; r++) {
            kval x = n->cells[(size_t)(v->row + (int)r) * (size_t)b->ncols + (size_t)c];
            x.type = n->out.cols[c].type;
            kvec_set(vec, r, &x);
        }
        b->cols[c] = vec;
    }
    v->row += (int)cnt;
    *out = b;
    return 1;
}

static void values_close(kop *self)
{
    values_op *v = (values_op *)self;
    sp_arena_free(&v->arena);
    free(v);
}

kop *kop_values(kexec *ex, const kp *node)
{
    values_op *v = kop_alloc(sizeof *v, ex, node, values_next, values_close);
    return &v->base;
}

/* ---- filter ---- */

typedef struct filter_op {
    kop base;
    kop *in;
    kprog prog;
    sp_arena arena;
    bool row_filter; /* filters a scan's rows (counted in kexec_counters) */
} filter_op;

/* Whether the rows reaching a filter are a scan's rows, one for one (projections and
 * other filters in between, but no aggregation, join or expansion). */
static bool over_scan_rows(const kp *n)
{
    while (n && (n->kind == KP_PROJECT || n->kind == KP_FILTER || n->kind == KP_SERIALIZE))
        n = n->in;
    return n && n->kind == KP_SCAN;
}

static int filter_next(kop *self, kbatch **out)
{
    filter_op *f = (filter_op *)self;
    for (;;) {
        sp_arena_reset(&f->arena);
        kbatch *b;
        int r = f->in->next(f->in, &b);
        if (r <= 0)
            return r;
        kexec_counters *cnt = f->row_filter && self->ex->opts ? self->ex->opts->counters : NULL;
        uint32_t before = kbatch_rows(b);
        uint64_t t0 = cnt ? kexec_interval_ns() : 0;
        kprog_eval(self->ex, &f->prog, b, &f->arena);
        if (self->ex->failed)
            return -1;
        if (cnt) {
            cnt->filter_ns += kexec_interval_ns() - t0;
            cnt->rows_dropped += before - kbatch_rows(b);
        }
        if (b->sel && b->nsel == 0)
            continue;
        *out = b;
        return 1;
    }
}

static void filter_close(kop *self)
{
    filter_op *f = (filter_op *)self;
    kop_close(f->in);
    kprog_free(&f->prog);
    sp_arena_free(&f->arena);
    free(f);
}

kop *kop_filter(kexec *ex, const kp *node)
{
    filter_op *f = kop_alloc(sizeof *f, ex, node, filter_next, filter_close);
    f->in = kop_build(ex, node->in);
    f->row_filter = over_scan_rows(node->in);
    kprog_compile(ex, node->pred, true, &f->prog);
    return &f->base;
}

/* ---- project ---- */

typedef struct project_op {
    kop base;
    kop *in;
    kprog *progs; /* per item; unused for plain column references */
    sp_arena arena;
    kbatch batch;
} project_op;

static int project_next(kop *self, kbatch **out)
{
    project_op *p = (project_op *)self;
    const kp *n = self->node;
    sp_arena_reset(&p->arena);
    kbatch *in;
    int r = p->in->next(p->in, &in);
    if (r <= 0)
        return r;
    kbatch *b = &p->batch;
    *b = *in;
    b->ncols = n->nitems;
    b->cols = sp_arena_alloc(&p->arena, sizeof(kvec *) * (size_t)(n->nitems ? n->nitems : 1));
    for (int i = 0; i < n->nitems; i++) {
        const kx *e = n->items[i].expr;
        if (e->kind == KX_COL) {
            b->cols[i] = in->cols[e->colidx];
            continue;
        }
        kvec *v = kprog_eval(self->ex, &p->progs[i], in, &p->arena);
        if (!v)
            return -1;
        if (v->type != n->out.cols[i].type) { /* e.g. int computed as long */
            v->type = n->out.cols[i].type;
        }
        b->cols[i] = v;
    }
    *out = b;
    return 1;
}

static void project_close(kop *self)
{
    project_op *p = (project_op *)self;
    kop_close(p->in);
    for (int i = 0; i < self->node->nitems; i++)
        kprog_free(&p->progs[i]);
    free(p->progs);
    sp_arena_free(&p->arena);
    free(p);
}

kop *kop_project(kexec *ex, const kp *node)
{
    project_op *p = kop_alloc(sizeof *p, ex, node, project_next, project_close);
    p->in = kop_build(ex, node->in);
    p->progs = sp_xcalloc((size_t)(node->nitems ? node->nitems : 1), sizeof(kprog));
    for (int i = 0; i < node->nitems; i++)
        if (node->items[i].expr->kind != KX_COL)
            kprog_compile(ex, node->items[i].expr, false, &p->progs[i]);
    return &p->base;
}

/* ---- limit ---- */

typedef struct limit_op {
    kop base;
    kop *in;
    int64_t left;
    sp_arena arena;
} limit_op;

static int limit_next(kop *self, kbatch **out)
{
    limit_op *l = (limit_op *)self;
    sp_arena_reset(&l->arena);
    if (l->left <= 0)
        return 0;
    kbatch *b;
    int r = l->in->next(l->in, &b);
    if (r <= 0)
        return r;
    uint32_t rows = kbatch_rows(b);
    if ((int64_t)rows > l->left) {
        uint32_t keep = (uint32_t)l->left;
        if (!b->sel) {
            b->sel = sp_arena_alloc(&l->arena, sizeof(uint32_t) * keep);
            for (uint32_t i = 0; i < keep; i++)
                b->sel[i] = i;
        }
        b->nsel = keep;
        rows = keep;
    }
    l->left -= rows;
    *out = b;
    return 1;
}

static void limit_close(kop *self)
{
    limit_op *l = (limit_op *)self;
    kop_close(l->in);
    sp_arena_free(&l->arena);
    free(l);
}

kop *kop_limit(kexec *ex, const kp *node)
{
    limit_op *l = kop_alloc(sizeof *l, ex, node, limit_next, limit_close);
    l->in = kop_build(ex, node->in);
    l->left = node->limit;
    return &l->base;
}

/* ---- rowset reader ---- */

typedef struct rowset_op {
    kop base;
    const krowset *rs;
    uint32_t row;
    kvec **colbuf;
    kbatch batch;
} rowset_op;

static int rowset_next(kop *self, kbatch **out)
{
    rowset_op *r = (rowset_op *)self;
    if (r->row >= r->rs->nrows)
        return 0;
    uint32_t n = SP_MIN((uint32_t)KB_BATCH, r->rs->nrows - r->row);
    krowset_batch((krowset *)r->rs, r->row, n, &r->batch, r->colbuf);
    r->row += n;
    *out = &r->batch;
    return 1;
}

static void rowset_close(kop *self)
{
    rowset_op *r = (rowset_op *)self;
    for (int i = 0; i < r->rs->schema.ncols; i++)
        free(r->colbuf[i]);
    free(r->colbuf);
    free(r);
}

kop *kop_rowset(kexec *ex, const kp *node, const krowset *rs)
{
    rowset_op *r = kop_alloc(sizeof *r, ex, node, rowset_next, rowset_close);
    r->rs = rs;
    r->colbuf = sp_xcalloc((size_t)(rs->schema.ncols ? rs->schema.ncols : 1), sizeof(kvec *));
    for (int i = 0; i < rs->schema.ncols; i++)
        r->colbuf[i] = sp_xcalloc(1, sizeof(kvec));
    return &r->base;
}
