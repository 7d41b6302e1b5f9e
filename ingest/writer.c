/* writer.c — turns flattened records into store rows: routing, key dispatch, loose typing,
 * AdditionalFields, dedup hashes and per-table counters.
 *
 * A record is written in two passes over its fields, both linear and allocation-free:
 *   1. dispatch: each key goes through the mapper (shape cache, then hash) to a column,
 *      AdditionalFields, or nothing. Two keys may claim one column (callerIpAddress and
 *      properties.ipAddress -> IPAddress): the higher priority wins, a differing loser is
 *      kept in AdditionalFields, equal values are dropped.
 *   2. write: each claimed column gets its value once, converted as Log Analytics would
 *      (numbers into string columns keep their JSON text, "4" into a long column parses,
 *      objects become compact JSON). A value the column type cannot hold leaves the cell
 *      null and goes to AdditionalFields under its original key (counted as coerced).
 * Every object or array that is stored passes sp_json_compact, which validates what
 * simdjson skipped; a failure rejects the whole record (the builder row is aborted).
 *
 * Time: a record whose TimeGenerated is missing or unparseable is stored with a null time
 * (and its text in AdditionalFields), not rejected and not stamped with the wall clock:
 * replays must be deterministic, and the record is still there for hunting. Such rows are
 * counted as no_time per table.
 */
#include "ingest/ingest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PUT_OK = 0, PUT_MISMATCH = 1, PUT_BAD = 2 };

typedef struct row_ctx {
    ing_worker *w;
    ing_wtable *wt;
    const ing_jfield *f;
    uint32_t gen;
    size_t ntouched, nextra, nunknown;
    /* a stored value that failed validation */
    uint32_t bad_field;
    const char *bad_why;
    size_t bad_off;
} row_ctx;

void ing_wtable_reserve(ing_wtable *wt, int col)
{
    if ((uint32_t)col < wt->cap)
        return;
    uint32_t old = wt->cap, c = old ? old : 64;
    while (c <= (uint32_t)col)
        c *= 2;
    wt->cs = sp_xrealloc(wt->cs, c * sizeof *wt->cs);
    memset(wt->cs + old, 0, (c - old) * sizeof *wt->cs);
    wt->cap = c;
}

static inline void add_extra(row_ctx *c, uint32_t fi, int32_t parent)
{
    ing_worker *w = c->w;
    if (SP_UNLIKELY(c->wt->skip != NULL) && c->wt->addl_col >= 0 && c->wt->skip[c->wt->addl_col])
        return; /* projection: AdditionalFields is not read */
    if (SP_UNLIKELY(c->nextra == w->capextras))
        SP_GROW(w->extras, w->capextras, c->nextra + 1);
    w->extras[c->nextra].field = fi;
    w->extras[c->nextra].parent = parent;
    c->nextra++;
}

static int32_t parent_of(const ing_jfield *f, uint32_t fi)
{
    if (!f[fi].is_child)
        return -1;
    while (fi > 0 && f[fi].is_child)
        fi--;
    return (int32_t)fi;
}

static bool same_value(const ing_jfield *a, const ing_jfield *b)
{
    bool an = a->kind == ING_J_INT || a->kind == ING_J_UINT || a->kind == ING_J_DOUBLE;
    bool bn = b->kind == ING_J_INT || b->kind == ING_J_UINT || b->kind == ING_J_DOUBLE;
    if (a->kind != b->kind && !(an && bn))
        return false;
    return a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0;
}

/* Field fi claims column col. */
static inline __attribute__((always_inline)) void assign(row_ctx *c, int col, uint32_t fi, uint8_t prio,
                                                       uint8_t conv)
{
    if (SP_UNLIKELY(c->wt->skip != NULL) && c->wt->skip[col])
        return; /* projection: a column the query does not read */
    ing_cslot *s = &c->wt->cs[col];
    if (SP_LIKELY(s->stamp != c->gen)) {
        if (SP_UNLIKELY(c->ntouched == c->w->captouched))
            SP_GROW(c->w->touched, c->w->captouched, c->ntouched + 1);
        s->stamp = c->gen;
        s->slot = fi;
        s->prio = prio;
        s->conv = conv;
        c->w->touched[c->ntouched++] = (uint32_t)col;
        return;
    }
    uint32_t loser;
    if (prio >= s->prio) { /* equal priority: the later key wins, as in JSON parsers */
        loser = s->slot;
        s->slot = fi;
        s->prio = prio;
        s->conv = conv;
    } else {
        loser = fi;
    }
    if (!same_value(&c->f[loser], &c->f[s->slot]))
        add_extra(c, loser, parent_of(c->f, loser));
}

/* Appends the compact JSON of an object/array value to out; PUT_BAD when invalid. */
static int compact_value(row_ctx *c, uint32_t fi, int depth_left, sp_buf *out)
{
    const ing_jfield *x = &c->f[fi];
    size_t off;
    const char *why;
    if (x->text_len == 2 && (!memcmp(x->text, "[]", 2) || !memcmp(x->text, "{}", 2))) {
        sp_buf_append(out, x->text, 2); /* the most common value of all: nothing to check */
        return PUT_OK;
    }
    if (sp_json_compact(x->text, x->text_len, depth_left, out, &off, &why) == 0)
        return PUT_OK;
    c->bad_field = fi;
    c->bad_why = why;
    c->bad_off = off;
    return PUT_BAD;
}

static inline int depth_left(const row_ctx *c, const ing_jfield *x)
{
    /* The record is depth 1, its values depth 2, children of descended objects depth 3. */
    return c->w->g->max_depth - 1 - (x->is_child ? 1 : 0);
}

static int put_declared(row_ctx *c, int col, sp_type ct, uint32_t fi, uint8_t conv)
{
    sp_builder *b = c->wt->b;
    const ing_jfield *x = &c->f[fi];
    int rc = 0;
    bool text = ct == SP_TYPE_STRING || ct == SP_TYPE_GUID;
    if (conv == CONV_USER_TYPE && text) {
        int64_t v;
        const char *name = NULL;
        if (x->kind == ING_J_INT)
            name = ing_user_type_name(x->v.i);
        else if (x->kind == ING_J_STRING && sp_parse_i64(x->text, x->text_len, &v))
            name = ing_user_type_name(v);
        if (name)
            return sp_builder_set_string(b, col, name, strlen(name)) < 0 ? PUT_MISMATCH : PUT_OK;
    }
    switch (x->kind) {
    case ING_J_NULL:
        return PUT_OK; /* a null cell */
    case ING_J_STRING:
        /* The store converts text loosely into the column type ("4" -> 4, ISO -> datetime,
         * text -> JSON string for dynamic). */
        rc = sp_builder_set_string(b, col, x->text, x->text_len);
        break;
    case ING_J_INT:
        if (text)
            rc = sp_builder_set_string(b, col, x->text, x->text_len);
        else if (ct == SP_TYPE_DYNAMIC)
            rc = sp_builder_set_json(b, col, x->text, x->text_len);
        else
            rc = sp_builder_set_long(b, col, x->v.i);
        break;
    case ING_J_UINT:
    case ING_J_DOUBLE:
        if (text)
            rc = sp_builder_set_string(b, col, x->text, x->text_len);
        else if (ct == SP_TYPE_DYNAMIC)
            rc = sp_builder_set_json(b, col, x->text, x->text_len);
        else
            rc = sp_builder_set_real(b, col, x->kind == ING_J_UINT ? (double)x->v.u : x->v.d);
        break;
    case ING_J_BOOL:
        if (text)
            rc = sp_builder_set_string(b, col, x->v.b ? "true" : "false", x->v.b ? 4 : 5);
        else if (ct == SP_TYPE_DYNAMIC)
            rc = sp_builder_set_json(b, col, x->v.b ? "true" : "false", x->v.b ? 4 : 5);
        else
            rc = sp_builder_set_bool(b, col, x->v.b);
        break;
    case ING_J_OBJECT:
    case ING_J_ARRAY: {
        if (!text && ct != SP_TYPE_DYNAMIC)
            return PUT_MISMATCH;
        /* Columns that are dynamic in SigninLogs are JSON text elsewhere. Compact straight
         * into the column when the builder allows it (no intermediate copy). */
        size_t off;
        const char *why;
        int st = sp_builder_put_raw_json(b, col, text ? ct : SP_TYPE_DYNAMIC, x->text, x->text_len,
                                         depth_left(c, x), &off, &why);
        if (st == 0)
            return PUT_OK;
        if (st < 0) {
            c->bad_field = fi;
            c->bad_why = why;
            c->bad_off = off;
            return PUT_BAD;
        }
        sp_buf *js = &c->w->js;
        js->len = 0;
        if (compact_value(c, fi, depth_left(c, x), js) != PUT_OK)
            return PUT_BAD;
        rc = text ? sp_builder_set_string(b, col, js->data, js->len)
                  : sp_builder_set_json(b, col, js->data, js->len);
        break;
    }
    }
    return rc < 0 ? PUT_MISMATCH : PUT_OK;
}

/* A full ISO 8601 date and time (not a bare date, not a number): yyyy-mm-ddThh:mm... */
static bool looks_like_datetime(const char *s, size_t n)
{
    if (n < 16 || n > 40 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':')
        return false;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int put_inferred(row_ctx *c, int col, uint32_t fi)
{
    sp_builder *b = c->wt->b;
    const ing_jfield *x = &c->f[fi];
    int rc = 0;
    switch (x->kind) {
    case ING_J_NULL:
        /* present with a null, which Sigma tells from an absent field (store.h) */
        rc = sp_builder_set_null(b, col);
        break;
    case ING_J_STRING: {
        int64_t t;
        if (looks_like_datetime(x->text, x->text_len) && sp_datetime_parse(x->text, x->text_len, &t)) {
            /* Once the column is text, keep the original text. */
            const sp_schema *sc = sp_table_schema(c->wt->t);
            sp_type ct = col < sc->ncols ? sc->cols[col].type : SP_TYPE_NULL;
            if (ct == SP_TYPE_NULL || ct == SP_TYPE_DATETIME) {
                rc = sp_builder_set_datetime(b, col, t);
                break;
            }
        }
        rc = sp_builder_set_string(b, col, x->text, x->text_len);
        break;
    }
    case ING_J_INT:
        rc = sp_builder_set_long(b, col, x->v.i);
        break;
    case ING_J_UINT:
        rc = sp_builder_set_real(b, col, (double)x->v.u);
        break;
    case ING_J_DOUBLE:
        rc = sp_builder_set_real(b, col, x->v.d);
        break;
    case ING_J_BOOL:
        rc = sp_builder_set_bool(b, col, x->v.b);
        break;
    case ING_J_OBJECT:
    case ING_J_ARRAY: {
        sp_buf *js = &c->w->js;
        js->len = 0;
        if (compact_value(c, fi, depth_left(c, x), js) != PUT_OK)
            return PUT_BAD;
        rc = sp_builder_set_json(b, col, js->data, js->len);
        break;
    }
    }
    return rc < 0 ? PUT_MISMATCH : PUT_OK;
}

/* Appends `"key":value` of an extra field; PUT_BAD when an object is invalid. */
static int extra_member(row_ctx *c, sp_buf *a, uint32_t fi)
{
    const ing_jfield *x = &c->f[fi];
    sp_buf_json_string(a, x->key, x->key_len);
    sp_buf_putc(a, ':');
    switch (x->kind) {
    case ING_J_STRING:
        sp_buf_json_string(a, x->text, x->text_len);
        return PUT_OK;
    case ING_J_OBJECT:
    case ING_J_ARRAY:
        return compact_value(c, fi, depth_left(c, x), a);
    default:
        sp_buf_append(a, x->text, x->text_len);
        return PUT_OK;
    }
}

/* Builds the AdditionalFields object: top-level extras in document order, then the
 * extras of each descended object nested under its key. merge: the record's own
 * AdditionalFields object (compact), whose members are appended. */
static int build_additional(row_ctx *c, const char *merge, size_t merge_len)
{
    ing_worker *w = c->w;
    sp_buf *a = &w->addl;
    a->len = 0;
    sp_buf_putc(a, '{');
    bool first = true;
    for (size_t i = 0; i < c->nextra; i++) {
        if (w->extras[i].parent >= 0)
            continue;
        if (!first)
            sp_buf_putc(a, ',');
        first = false;
        if (extra_member(c, a, w->extras[i].field) != PUT_OK)
            return PUT_BAD;
    }
    for (size_t i = 0; i < c->nextra; i++) {
        int32_t p = w->extras[i].parent;
        if (p < 0)
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = w->extras[k].parent == p;
        if (seen)
            continue;
        if (!first)
            sp_buf_putc(a, ',');
        first = false;
        sp_buf_json_string(a, c->f[p].key, c->f[p].key_len);
        sp_buf_puts(a, ":{");
        bool first_child = true;
        for (size_t k = i; k < c->nextra; k++) {
            if (w->extras[k].parent != p)
                continue;
            if (!first_child)
                sp_buf_putc(a, ',');
            first_child = false;
            if (extra_member(c, a, w->extras[k].field) != PUT_OK)
                return PUT_BAD;
        }
        sp_buf_putc(a, '}');
    }
    if (merge_len > 2) { /* "{...}" with members */
        if (!first)
            sp_buf_putc(a, ',');
        sp_buf_append(a, merge + 1, merge_len - 2);
    }
    sp_buf_putc(a, '}');
    return PUT_OK;
}

static void resolve_constants(ing_wtable *wt, ing_form form)
{
    const char *const *kv = ing_form_constants(form, wt->name, strlen(wt->name));
    int n = 0;
    for (int i = 0; kv[i] && n < 4; i += 2) {
        int col = wt->declared ? sp_schema_find(sp_table_schema(wt->t), kv[i], strlen(kv[i]))
                               : sp_builder_column(wt->b, kv[i], strlen(kv[i]), SP_TYPE_STRING);
        if (col < 0)
            continue;
        ing_wtable_reserve(wt, col);
        wt->const_col[form][n] = col;
        wt->const_val[form][n] = strcmp(kv[i + 1], "$table") == 0 ? wt->name : kv[i + 1];
        n++;
    }
    wt->nconst[form] = n;
    wt->const_done[form] = true;
    if (form == FORM_EVENTHUBS) {
        static const char *const names[3] = {"Resource", "ResourceGroup", "ResourceProvider"};
        for (int i = 0; i < 3; i++) {
            int col = wt->declared ? sp_schema_find(sp_table_schema(wt->t), names[i], strlen(names[i]))
                                   : sp_builder_column(wt->b, names[i], strlen(names[i]), SP_TYPE_STRING);
            if (col >= 0)
                ing_wtable_reserve(wt, col);
            wt->derived_col[i] = col;
        }
    }
}

/* Resource, ResourceGroup and ResourceProvider from the record's resourceId, unless the
 * record set them itself. */
static void derive_resource(row_ctx *c, const ing_jfield *x)
{
    ing_span parts[3];
    if (x->kind != ING_J_STRING || !ing_resource_parts(x->text, x->text_len, &parts[0], &parts[1], &parts[2]))
        return;
    for (int i = 0; i < 3; i++) {
        int col = c->wt->derived_col[i];
        if (col >= 0 && c->wt->cs[col].stamp != c->gen)
            sp_builder_set_string(c->wt->b, col, parts[i].p, parts[i].n);
    }
}

static void reject_bad_value(row_ctx *c, const ing_jrecord *r, const ing_origin *o)
{
    char detail[320];
    const ing_jfield *x = &c->f[c->bad_field];
    snprintf(detail, sizeof detail, "field '%.*s': %s at byte %zu of its value",
             (int)SP_MIN(x->key_len, 120u), x->key, c->bad_why, c->bad_off);
    ing_reject(c->w, ing_reason_of_compact(c->bad_why), o, detail, r->raw, r->raw_len);
}

/* ---- dropped re-deliveries ---- */

static const char *const envelope_names[FORM_COUNT] = {
    [FORM_GENERIC] = "LogAnalytics", [FORM_EVENTHUBS] = "EventHubs", [FORM_COPILOT] = "Purview",
    [FORM_OFFICE] = "Purview"};

/* The store keeps one copy of a record delivered twice (DESIGN.md §1.8); what it dropped
 * becomes a row of IngestionDuplicates, so rules can tell a crash re-delivery from two
 * connectors double-ingesting a table (issue #6). Written in event time (the record's own
 * TimeGenerated) so replays give the same rows. */
static void log_duplicate(ing_worker *w, const ing_wtable *wt, ing_form form, const row_ctx *c,
                          const sp_hash128 *raw_hash, const ing_origin *o)
{
    static const char name[] = "IngestionDuplicates";
    if (!strcmp(wt->name, name))
        return; /* a duplicate of a duplicate row: nothing new to say */
    ing_wtable *dt = ing_worker_table(w, name, sizeof name - 1);
    if (!dt || !dt->declared)
        return;
    const sp_schema *sc = dt->schema;
    sp_builder *b = dt->b;
    char key[64];
    const char *k = key;
    size_t klen;
    if (raw_hash) {
        klen = (size_t)snprintf(key, sizeof key, "hash:%016llx%016llx", (unsigned long long)raw_hash->hi,
                                (unsigned long long)raw_hash->lo);
    } else {
        const ing_jfield *id = &c->f[wt->cs[wt->id_col].slot];
        k = id->text;
        klen = id->text_len;
    }
    sp_builder_begin_row(b);
    int64_t t;
    if (wt->time_col >= 0 && wt->cs[wt->time_col].stamp == c->gen) {
        const ing_jfield *tf = &c->f[wt->cs[wt->time_col].slot];
        if (tf->kind == ING_J_STRING && sp_datetime_parse(tf->text, tf->text_len, &t))
            sp_builder_set_datetime(b, sp_schema_find(sc, "TimeGenerated", 13), t);
    }
    const char *env = envelope_names[form] ? envelope_names[form] : "LogAnalytics";
    const char *src = !o ? "" : o->input ? o->input : o->source ? o->source : "";
    sp_builder_set_string(b, sp_schema_find(sc, "DataType", 8), wt->name, strlen(wt->name));
    sp_builder_set_string(b, sp_schema_find(sc, "Envelope", 8), env, strlen(env));
    sp_builder_set_string(b, sp_schema_find(sc, "RecordKey", 9), k, klen);
    sp_builder_set_string(b, sp_schema_find(sc, "Source", 6), src, strlen(src));
    sp_builder_set_string(b, sp_schema_find(sc, "Type", 4), name, sizeof name - 1);
    sp_builder_end_row(b, NULL);
    dt->cnt.records++;
    dt->cnt.rows++;
}

static void write_record(ing_worker *w, ing_wtable *wt, ing_form form, const ing_jdoc *doc,
                         const ing_jrecord *r, const ing_origin *o)
{
    ing_mapper *m = wt->maps[form];
    if (SP_UNLIKELY(!m))
        m = wt->maps[form] = ing_mapper_new(w, wt, form);
    if (SP_UNLIKELY(!wt->const_done[form]))
        resolve_constants(wt, form);
    const ing_jfield *f = doc->fields + r->first;
    uint32_t n = r->nfields;

    row_ctx c = {.w = w, .wt = wt, .f = f};
    c.gen = ++wt->rowgen;
    if (SP_UNLIKELY(c.gen == 0)) {
        memset(wt->cs, 0, wt->cap * sizeof *wt->cs);
        c.gen = wt->rowgen = 1;
    }
    sp_builder *b = wt->b;
    sp_builder_begin_row(b);

    /* Pass 1: dispatch. */
    uint32_t resource_field = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        const ing_jfield *x = &f[i];
        const ing_mentry *e = ing_mapper_lookup(m, i, NS_TOP, x->key, x->key_len);
        uint32_t nch = x->nchild;
        ing_action a = e->a; /* copy: later lookups may move the entries */
        if (SP_UNLIKELY(a.conv == CONV_RESOURCE_ID))
            resource_field = i;
        switch (a.act) {
        case ACT_COLUMN:
            assign(&c, a.col, i, a.prio, a.conv);
            if (a.col2 >= 0)
                assign(&c, a.col2, i, a.prio, a.conv);
            break;
        case ACT_DESCEND:
            if (a.col >= 0)
                assign(&c, a.col, i, a.prio, a.conv);
            else if (x->kind != ING_J_OBJECT)
                add_extra(&c, i, -1), c.nunknown++;
            for (uint32_t j = i + 1; j <= i + nch; j++) {
                const ing_jfield *y = &f[j];
                const ing_mentry *ce = ing_mapper_lookup(m, j, a.child_ns, y->key, y->key_len);
                if (ce->a.act == ACT_COLUMN) {
                    int c1 = ce->a.col, c2 = ce->a.col2;
                    uint8_t pr = ce->a.prio, cv = ce->a.conv;
                    assign(&c, c1, j, pr, cv);
                    if (c2 >= 0)
                        assign(&c, c2, j, pr, cv);
                } else if (ce->a.act == ACT_EXTRA) {
                    add_extra(&c, j, (int32_t)i);
                    c.nunknown++;
                }
            }
            break;
        case ACT_EXTRA:
            add_extra(&c, i, -1);
            c.nunknown++;
            break;
        default:
            break;
        }
        i += nch;
    }

    /* Pass 2: values. AdditionalFields, when the record carries its own, comes last so
     * it can be merged with the extras found here. */
    bool time_ok = false;
    int64_t row_time = INT64_MIN;
    int addl_col = wt->addl_col;
    uint32_t own_addl = UINT32_MAX;
    for (size_t k = 0; k < c.ntouched; k++) {
        int col = (int)w->touched[k];
        const ing_cslot *s = &wt->cs[col];
        if (col == addl_col) {
            own_addl = s->slot;
            continue;
        }
        if (col == wt->time_col && f[s->slot].kind == ING_J_STRING) {
            /* Parse the event time here (the store would parse the same text the same way)
             * so the worker learns it: sources report event-time progress per partition. */
            const ing_jfield *x = &f[s->slot];
            int64_t t;
            if ((wt->declared || looks_like_datetime(x->text, x->text_len)) &&
                sp_datetime_parse(x->text, x->text_len, &t) &&
                (wt->declared || sp_table_schema(wt->t)->cols[col].type == SP_TYPE_DATETIME) &&
                sp_builder_set_datetime(b, col, t) == 0) {
                row_time = t;
                time_ok = true;
                continue;
            }
        }
        const ing_jfield *x = &f[s->slot];
        int rc;
        if (wt->declared && x->kind == ING_J_STRING && s->conv == CONV_NONE) /* most cells */
            rc = sp_builder_set_string(b, col, x->text, x->text_len) < 0 ? PUT_MISMATCH : PUT_OK;
        else
            rc = wt->declared ? put_declared(&c, col, wt->schema->cols[col].type, s->slot, s->conv)
                              : put_inferred(&c, col, s->slot);
        if (SP_UNLIKELY(rc != PUT_OK)) {
            if (rc == PUT_BAD)
                goto bad;
            add_extra(&c, s->slot, parent_of(f, s->slot));
            wt->cnt.coerced++;
        } else if (col == wt->time_col && f[s->slot].kind != ING_J_NULL) {
            time_ok = true;
        }
    }
    if (resource_field != UINT32_MAX)
        derive_resource(&c, &f[resource_field]);
    for (int k = 0; k < wt->nconst[form]; k++) {
        int col = wt->const_col[form][k];
        if (wt->cs[col].stamp != c.gen) {
            const char *v = wt->const_val[form][k];
            sp_builder_set_string(b, col, v, strlen(v));
        }
    }
    if (c.nextra || own_addl != UINT32_MAX) {
        const char *merge = NULL;
        size_t merge_len = 0;
        if (own_addl != UINT32_MAX) {
            if (c.nextra && f[own_addl].kind == ING_J_OBJECT) {
                sp_buf *js = &w->js;
                js->len = 0;
                if (compact_value(&c, own_addl, depth_left(&c, &f[own_addl]), js) != PUT_OK)
                    goto bad;
                merge = js->data;
                merge_len = js->len;
            } else if (c.nextra) {
                add_extra(&c, own_addl, -1);
            } else {
                int rc = wt->declared ? put_declared(&c, addl_col, SP_TYPE_DYNAMIC, own_addl, CONV_NONE)
                                      : put_inferred(&c, addl_col, own_addl);
                if (rc == PUT_BAD)
                    goto bad;
            }
        }
        if (c.nextra) {
            if (addl_col < 0) {
                addl_col = sp_builder_column(b, SP_ADDITIONAL_FIELDS, strlen(SP_ADDITIONAL_FIELDS),
                                             SP_TYPE_DYNAMIC);
                if (addl_col < 0) {
                    sp_builder_abort_row(b);
                    ing_reject(w, ING_REJ_TOO_MANY_COLUMNS, o,
                               "the inferred table has no room for AdditionalFields", r->raw,
                               r->raw_len);
                    return;
                }
                ing_wtable_reserve(wt, addl_col);
                wt->addl_col = addl_col;
            }
            if (build_additional(&c, merge, merge_len) != PUT_OK)
                goto bad;
            sp_builder_set_json(b, addl_col, w->addl.data, w->addl.len);
        }
    }

    /* Dedup: the table's id when the row has one, else the raw record's hash. */
    sp_hash128 h, *hp = NULL;
    int idc = wt->id_col;
    if (idc < 0 || wt->cs[idc].stamp != c.gen || f[wt->cs[idc].slot].text_len == 0 ||
        f[wt->cs[idc].slot].kind == ING_J_NULL) {
        h = sp_hash128_of(r->raw, r->raw_len);
        hp = &h;
    }
    wt->cnt.records++;
    wt->cnt.extra_fields += c.nunknown;
    if (row_time > w->max_time)
        w->max_time = row_time;
    if (sp_builder_end_row(b, hp) == SP_ROW_DUPLICATE) {
        wt->cnt.duplicates++;
        w->cnt.duplicates++;
        log_duplicate(w, wt, form, &c, hp, o);
        return;
    }
    wt->cnt.rows++;
    w->cnt.rows++;
    if (!time_ok && wt->time_col >= 0)
        wt->cnt.no_time++;
    return;

bad:
    sp_builder_abort_row(b);
    reject_bad_value(&c, r, o);
}

static ing_wtable *route(ing_worker *w, const ing_jfield *f, uint32_t n, ing_form *form)
{
    if (w->bound) {
        *form = FORM_GENERIC;
        return w->bound;
    }
    ing_route rt;
    /* Type decides the route before anything else. Log Analytics exports put it last
     * (where the scan would find its last occurrence too); other sources keep it at one
     * position. Check those two places first and skip the scan. */
    const ing_jfield *t = n ? &f[n - 1] : NULL;
    if (t && (t->is_child || t->key_len != 4 || memcmp(t->key, "Type", 4) != 0)) {
        uint32_t tp = w->type_hint;
        t = tp < n ? &f[tp] : NULL;
    }
    if (t && !t->is_child && t->key_len == 4 && memcmp(t->key, "Type", 4) == 0 &&
        t->kind == ING_J_STRING && ing_valid_table_name(t->text, t->text_len)) {
        rt.form = FORM_GENERIC;
        rt.table = t->text;
        rt.table_len = t->text_len;
    } else {
        rt.type_pos = UINT32_MAX;
        ing_route_record(f, n, &rt);
        if (rt.type_pos != UINT32_MAX)
            w->type_hint = rt.type_pos;
    }
    *form = rt.form;
    ing_wtable *last = w->last;
    if (last && strlen(last->name) == rt.table_len && memcmp(last->name, rt.table, rt.table_len) == 0)
        return last;
    return w->last = ing_worker_table(w, rt.table, rt.table_len);
}

void ing_store_doc(ing_worker *w, const ing_jdoc *doc, const ing_origin *o)
{
    bool multi = doc->root == ING_JROOT_ENVELOPE || doc->root == ING_JROOT_ARRAY;
    for (uint32_t k = 0; k < doc->nrecords; k++) {
        const ing_jrecord *r = &doc->records[k];
        ing_origin ro = *o;
        ro.index = multi ? k + 1 : 0;
        w->cnt.records++;
        if (r->status != ING_JREC_OK) {
            char detail[200];
            ing_reason why = ing_classify(w, r->raw, r->raw_len, w->g->max_depth, ING_REJ_NOT_AN_OBJECT,
                                          doc->root == ING_JROOT_SCALAR ? "the document is not a JSON object"
                                                                        : "the array element is not a JSON object",
                                          detail, sizeof detail);
            ing_reject(w, why, &ro, detail, r->raw, r->raw_len);
            continue;
        }
        ing_form form;
        ing_wtable *wt = route(w, doc->fields + r->first, r->nfields, &form);
        if (!wt) {
            ing_reject(w, ING_REJ_TOO_MANY_COLUMNS, &ro, "cannot create the table", r->raw, r->raw_len);
            continue;
        }
        write_record(w, wt, form, doc, r, &ro);
    }
}

/* Whether every record that lost fields to the parser's drop list (projection) goes to
 * a table that would have ignored them, as a Log Analytics row. */
static bool drop_safe(ing_worker *w, const ing_jdoc *doc)
{
    if (!w->g->ndrop_keys)
        return true;
    for (uint32_t k = 0; k < doc->nrecords; k++) {
        const ing_jrecord *r = &doc->records[k];
        if (!r->ndropped || r->status != ING_JREC_OK)
            continue;
        ing_form form;
        ing_wtable *wt = route(w, doc->fields + r->first, r->nfields, &form);
        if (!wt || form != FORM_GENERIC || !wt->drop_safe)
            return false;
    }
    return true;
}

void ing_ingest_doc(ing_worker *w, const char *data, size_t len, size_t capacity,
                    const ing_origin *o)
{
    ing *g = w->g;
    w->cnt.documents++;
    if (len > g->max_record_bytes) {
        char detail[120];
        snprintf(detail, sizeof detail, "%zu bytes, above the limit of %zu", len, g->max_record_bytes);
        w->cnt.records++;
        ing_reject(w, ING_REJ_TOO_LARGE, o, detail, data, len);
        return;
    }
    ing_jdoc doc;
    ing_jerror err;
    if (ing_jparse(w->jp, data, len, capacity, &doc, &err) != 0) {
        char simd[200], detail[240];
        snprintf(simd, sizeof simd, "%s (at byte %zu)", err.reason, err.offset);
        w->cnt.records++;
        ing_reason why = ing_classify(w, data, len, g->max_depth, ING_REJ_INVALID_JSON, simd, detail,
                                      sizeof detail);
        ing_reject(w, why, o, detail, data, len);
        return;
    }
    if (!drop_safe(w, &doc) && (ing_jparser_drop_enable(w->jp, false),
                                 ing_jparse(w->jp, data, len, capacity, &doc, &err) != 0)) {
        /* cannot happen: the document parsed a moment ago; stay correct anyway */
        ing_jparser_drop_enable(w->jp, true);
        w->cnt.records++;
        ing_reject(w, ING_REJ_INVALID_JSON, o, err.reason, data, len);
        return;
    }
    ing_jparser_drop_enable(w->jp, true);
    if (g->parse_only) {
        w->cnt.records += doc.nrecords;
        return;
    }
    if (g->baseline) {
        w->cnt.records += doc.nrecords;
        ing_baseline_doc(w, &doc);
        return;
    }
    ing_store_doc(w, &doc, o);
}
