/* ingest.c — the ingest front end: shared state (ing), per-thread workers, their table
 * states, and statistics.
 *
 * A worker owns everything its hot path touches (parser, builders, mappers, scratch
 * buffers, counters), so N workers on one store share nothing but the store's own
 * thread-safe calls and, on the rare paths (rejections, flushes), the ing's mutex.
 * Counters are plain per-worker integers; a flush adds what changed since the previous
 * flush to the ing's totals, so the totals are exact after every worker has flushed.
 */
#include "ingest/ingest_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *ing_reason_name(ing_reason r)
{
    static const char *const names[] = {
#define ING_REASON_NAME(id, name) name,
        ING_REASONS(ING_REASON_NAME)
#undef ING_REASON_NAME
    };
    return (unsigned)r < ING_REJ_COUNT ? names[r] : "?";
}

size_t ing_origin_format(const ing_origin *o, char *buf, size_t n)
{
    int k;
    const char *src = o->source ? o->source : "";
    if (o->line && o->index)
        k = snprintf(buf, n, "%s:%llu#%u", src, (unsigned long long)o->line, o->index);
    else if (o->line)
        k = snprintf(buf, n, "%s:%llu", src, (unsigned long long)o->line);
    else if (o->index)
        k = snprintf(buf, n, "%s#%u", src, o->index);
    else
        k = snprintf(buf, n, "%s", src);
    if (k < 0)
        return 0;
    return (size_t)k < n ? (size_t)k : n - 1;
}

/* ---- ing -------------------------------------------------------------------------------- */

/* Keys that envelope recognition and routing read (forms.c), never dropped. */
static const char *const routing_keys[] = {"Type", "time", "category", "Operation", "RecordType",
                                           "CreationTime", "records", SP_ADDITIONAL_FIELDS};

static bool never_dropped(const char *name)
{
    for (size_t i = 0; i < SP_ARRAY_LEN(routing_keys); i++)
        if (!strcmp(name, routing_keys[i]))
            return true;
    for (int i = 0; i < ing_ndescend_keys; i++)
        if (!strcmp(name, ing_descend_keys[i]))
            return true;
    return false;
}

/* Projection: the column names of declared tables that no declared table stores (not
 * kept by the query, not a time or id column). A Log Analytics row of a projected table
 * ignores such a field whatever its value, so the parser need not read it. */
static void compute_drop_keys(ing *g)
{
    int nt;
    const sp_table_def *defs = sp_schema_declared_all(&nt);
    size_t total = 0;
    for (int t = 0; t < nt; t++)
        total += (size_t)defs[t].ncolumns;
    /* name -> needed, over every declared column (open addressing) */
    size_t cap = 16;
    while (cap < total * 2)
        cap *= 2;
    const char **names = sp_xcalloc(cap, sizeof *names);
    bool *needed = sp_xcalloc(cap, sizeof *needed);
    for (int t = 0; t < nt; t++) {
        const sp_table_def *d = &defs[t];
        for (int c = 0; c < d->ncolumns; c++) {
            const char *name = d->columns[c].name;
            size_t j = (size_t)sp_hash64(name, strlen(name), 0) & (cap - 1);
            while (names[j] && strcmp(names[j], name))
                j = (j + 1) & (cap - 1);
            names[j] = name;
            needed[j] = needed[j] || never_dropped(name) || (d->time_column && !strcmp(d->time_column, name)) ||
                        (d->id_column && !strcmp(d->id_column, name)) || g->keep_column(g->keep_ctx, d->name, name);
        }
    }
    g->drop_keys = sp_xcalloc(total ? total : 1, sizeof(char *));
    for (size_t j = 0; j < cap; j++)
        if (names[j] && !needed[j])
            g->drop_keys[g->ndrop_keys++] = names[j];
    free(names);
    free(needed);
}

ing *ing_new(sp_store *store, const ing_config *cfg, sp_diag *d)
{
    ing_config def = {0};
    if (!cfg)
        cfg = &def;
    if (cfg->table && !ing_valid_table_name(cfg->table, strlen(cfg->table))) {
        sp_diag_set(d, NULL, 0, 0, "invalid table name '%s' (letters, digits and _, at most 128)",
                    cfg->table);
        return NULL;
    }
    ing *g = sp_xcalloc(1, sizeof *g);
    g->store = store;
    g->table = cfg->table ? sp_xstrdup(cfg->table) : NULL;
    g->max_record_bytes = cfg->max_record_bytes ? cfg->max_record_bytes : sp_limits.max_record_bytes;
    g->max_depth = cfg->max_depth > 0 ? cfg->max_depth : sp_limits.max_json_depth;
    g->report_limit = cfg->report_limit == 0 ? 10 : cfg->report_limit;
    g->report = cfg->report ? cfg->report : stderr;
    g->parse_only = cfg->parse_only;
    g->baseline = cfg->baseline;
    g->keep_column = cfg->keep_column;
    g->keep_ctx = cfg->keep_ctx;
    if (g->keep_column && !g->baseline && !g->parse_only)
        compute_drop_keys(g);
    pthread_mutex_init(&g->mu, NULL);
    if (cfg->dead_letter) {
        g->dead = fopen(cfg->dead_letter, "ab");
        if (!g->dead) {
            sp_diag_set(d, cfg->dead_letter, 0, 0, "cannot open the dead-letter file: %s",
                        strerror(errno));
            pthread_mutex_destroy(&g->mu);
            free(g->table);
            free(g);
            return NULL;
        }
        g->dead_path = sp_xstrdup(cfg->dead_letter);
    }
    return g;
}

void ing_free(ing *g)
{
    if (!g)
        return;
    if (g->def)
        ing_worker_free(g->def);
    ing_report_summary(g);
    if (g->dead)
        fclose(g->dead);
    free(g->dead_path);
    free(g->table);
    free(g->tables);
    free(g->drop_keys);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

static ing_worker *default_worker(ing *g)
{
    if (!g->def)
        g->def = ing_worker_new(g);
    return g->def;
}

int ing_ingest_file(ing *g, const char *path, sp_diag *d)
{
    return ing_worker_file(default_worker(g), path, d);
}

void ing_ingest_message(ing *g, const void *data, size_t len, const char *origin)
{
    ing_worker_message(default_worker(g), data, len, origin);
}

void ing_flush(ing *g)
{
    if (g->def)
        ing_worker_flush(g->def);
}

/* ---- workers ------------------------------------------------------------------------------ */

ing_worker *ing_worker_new(ing *g)
{
    ing_worker *w = sp_xcalloc(1, sizeof *w);
    w->g = g;
    w->jp = ing_jparser_new(ing_descend_keys, ing_ndescend_keys);
    if (g->ndrop_keys)
        ing_jparser_set_drop(w->jp, g->drop_keys, g->ndrop_keys);
    w->thmask = 63;
    w->thash = sp_xcalloc(w->thmask + 1, sizeof *w->thash);
    if (g->table)
        w->bound = ing_worker_table(w, g->table, strlen(g->table));
    w->max_time = INT64_MIN;
    return w;
}

int ing_worker_route(ing_worker *w, const char *table)
{
    const char *t = table ? table : w->g->table;
    if (!t) {
        w->bound = NULL;
        return 0;
    }
    size_t n = strlen(t);
    ing_wtable *wt = ing_valid_table_name(t, n) ? ing_worker_table(w, t, n) : NULL;
    if (!wt)
        return -1;
    w->bound = wt;
    return 0;
}

int64_t ing_worker_take_max_time(ing_worker *w)
{
    int64_t t = w->max_time;
    w->max_time = INT64_MIN;
    return t;
}

static void wtable_free(ing_wtable *wt)
{
    sp_builder_free(wt->b); /* seals what is left */
    for (int f = 0; f < FORM_COUNT; f++)
        ing_mapper_free(wt->maps[f]);
    free(wt->cs);
    free(wt->skip);
    free(wt);
}

void ing_worker_free(ing_worker *w)
{
    if (!w)
        return;
    ing_worker_flush(w);
    ing_baseline_free(w);
    for (int i = 0; i < w->ntabs; i++)
        wtable_free(w->tabs[i]);
    free(w->tabs);
    free(w->thash);
    ing_jparser_free(w->jp);
    sp_arena_free(&w->arena);
    free(w->touched);
    free(w->extras);
    sp_buf_free(&w->addl);
    sp_buf_free(&w->tmp);
    sp_buf_free(&w->js);
    free(w->rbuf);
    if (w->g->def == w)
        w->g->def = NULL;
    free(w);
}

static uint32_t name_hash(const char *s, size_t n)
{
    return (uint32_t)sp_hash64(s, n, 0x7ab1e5);
}

static void thash_insert(ing_worker *w, int idx)
{
    const char *nm = w->tabs[idx]->name;
    uint32_t h = name_hash(nm, strlen(nm)) & w->thmask;
    while (w->thash[h])
        h = (h + 1) & w->thmask;
    w->thash[h] = (uint32_t)idx + 1;
}

ing_wtable *ing_worker_table(ing_worker *w, const char *name, size_t n)
{
    uint32_t h = name_hash(name, n) & w->thmask;
    for (;;) {
        uint32_t ti = w->thash[h];
        if (!ti)
            break;
        ing_wtable *wt = w->tabs[ti - 1];
        if (strlen(wt->name) == n && memcmp(wt->name, name, n) == 0)
            return wt;
        h = (h + 1) & w->thmask;
    }
    char tmp[160];
    if (n >= sizeof tmp)
        return NULL;
    memcpy(tmp, name, n);
    tmp[n] = 0;
    sp_table *t = sp_store_table(w->g->store, tmp);
    if (!t)
        return NULL;
    ing_wtable *wt = sp_xcalloc(1, sizeof *wt);
    wt->t = t;
    wt->b = sp_builder_new(t);
    wt->name = sp_table_name(t);
    wt->declared = sp_table_is_declared(t);
    const sp_schema *sc = sp_table_schema(t);
    wt->schema = wt->declared ? sc : NULL;
    wt->addl_col = sp_schema_find(sc, SP_ADDITIONAL_FIELDS, strlen(SP_ADDITIONAL_FIELDS));
    wt->id_col = sp_table_id_col(t);
    if (!wt->declared) {
        /* Created as datetime up front: the store makes an inferred table's TimeGenerated
         * its time column only when the column is born a datetime. */
        wt->time_col = sp_builder_column(wt->b, "TimeGenerated", 13, SP_TYPE_DATETIME);
    } else {
        wt->time_col = sp_table_time_col(t);
    }
    ing_wtable_reserve(wt, SP_MAX(sc->ncols, wt->time_col + 1));
    if (wt->declared && w->g->keep_column) {
        wt->skip = sp_xcalloc((size_t)sc->ncols + 1, 1);
        for (int i = 0; i < sc->ncols; i++)
            wt->skip[i] = i != wt->time_col && i != wt->id_col &&
                          !w->g->keep_column(w->g->keep_ctx, wt->name, sc->cols[i].name);
        /* A dropped key names a column not stored here, or no column at all (it would
         * go to AdditionalFields, which must then not be stored either). */
        wt->drop_safe = true;
        for (int k = 0; k < w->g->ndrop_keys && wt->drop_safe; k++) {
            const char *key = w->g->drop_keys[k];
            int col = sp_schema_find(sc, key, strlen(key));
            wt->drop_safe = col >= 0 ? wt->skip[col] : wt->addl_col >= 0 && wt->skip[wt->addl_col];
        }
    }
    SP_GROW(w->tabs, w->captabs, (size_t)w->ntabs + 1);
    w->tabs[w->ntabs++] = wt;
    if ((size_t)w->ntabs * 2 > (size_t)w->thmask + 1) {
        free(w->thash);
        w->thmask = w->thmask * 2 + 1;
        w->thash = sp_xcalloc(w->thmask + 1, sizeof *w->thash);
        for (int i = 0; i < w->ntabs; i++)
            thash_insert(w, i);
    } else {
        thash_insert(w, w->ntabs - 1);
    }
    return wt;
}

void ing_worker_message(ing_worker *w, const void *data, size_t len, const char *origin)
{
    ing_worker_message_from(w, data, len, NULL, origin);
}

void ing_worker_message_from(ing_worker *w, const void *data, size_t len, const char *input, const char *origin)
{
    ing_origin o = {.source = origin, .input = input};
    w->cnt.bytes += len;
    /* Messages are not padded: the parser copies them into its padded buffer. */
    ing_ingest_doc(w, data, len, len, &o);
}

static void add_counts(ing_tcounts *dst, const ing_tcounts *now, const ing_tcounts *before)
{
    dst->records += now->records - before->records;
    dst->rows += now->rows - before->rows;
    dst->duplicates += now->duplicates - before->duplicates;
    dst->coerced += now->coerced - before->coerced;
    dst->extra_fields += now->extra_fields - before->extra_fields;
    dst->no_time += now->no_time - before->no_time;
}

void ing_worker_flush(ing_worker *w)
{
    for (int i = 0; i < w->ntabs; i++) {
        sp_chunk *c = sp_builder_seal(w->tabs[i]->b);
        if (c)
            sp_chunk_unref(c);
    }
    ing *g = w->g;
    pthread_mutex_lock(&g->mu);
    for (int i = 0; i < w->ntabs; i++) {
        ing_wtable *wt = w->tabs[i];
        int k = 0;
        while (k < g->ntables && g->tables[k].name != wt->name)
            k++;
        if (k == g->ntables) {
            SP_GROW(g->tables, g->captables, (size_t)g->ntables + 1);
            memset(&g->tables[k], 0, sizeof g->tables[k]);
            g->tables[k].name = wt->name;
            g->ntables++;
        }
        add_counts(&g->tables[k].cnt, &wt->cnt, &wt->flushed);
        wt->flushed = wt->cnt;
    }
    ing_stats *t = &g->totals;
    t->documents += w->cnt.documents - w->flushed.documents;
    t->records += w->cnt.records - w->flushed.records;
    t->rows += w->cnt.rows - w->flushed.rows;
    t->duplicates += w->cnt.duplicates - w->flushed.duplicates;
    t->bytes += w->cnt.bytes - w->flushed.bytes;
    for (int r = 0; r < ING_REJ_COUNT; r++) {
        t->by_reason[r] += w->cnt.by_reason[r] - w->flushed.by_reason[r];
        t->rejected += w->cnt.by_reason[r] - w->flushed.by_reason[r];
    }
    if (g->dead)
        fflush(g->dead);
    pthread_mutex_unlock(&g->mu);
    w->flushed = w->cnt;
}

void ing_stats_get(ing *g, ing_stats *out)
{
    pthread_mutex_lock(&g->mu);
    *out = g->totals;
    pthread_mutex_unlock(&g->mu);
}

int ing_table_stats_get(ing *g, ing_table_stats *out, int cap)
{
    pthread_mutex_lock(&g->mu);
    int n = g->ntables;
    for (int i = 0; i < n && i < cap; i++) {
        const ing_gtable *t = &g->tables[i];
        out[i].table = t->name;
        out[i].records = t->cnt.records;
        out[i].rows = t->cnt.rows;
        out[i].duplicates = t->cnt.duplicates;
        out[i].coerced = t->cnt.coerced;
        out[i].extra_fields = t->cnt.extra_fields;
        out[i].no_time = t->cnt.no_time;
    }
    pthread_mutex_unlock(&g->mu);
    return n;
}

void ing_worker_stats(const ing_worker *w, ing_stats *out)
{
    *out = w->cnt;
    out->rejected = 0;
    for (int r = 0; r < ING_REJ_COUNT; r++)
        out->rejected += w->cnt.by_reason[r];
}
