/* alert.c — turning a rule run's result rows into alerts (DESIGN.md §1.7) and writing them
 * to the sinks.
 *
 * An alert is shaped like Sentinel's SecurityAlert: AlertId, RuleId, AlertName, Severity,
 * Tactics, Techniques, StartTime, EndTime, Entities (from the rule's entity mappings; for
 * Sigma, from the well-known columns of the row), ExtendedProperties (custom details) and
 * Events, the matched records with their fields (capped): the result rows, or for a Sigma
 * correlation the records behind its output (its evidence plan, filtered to the output's
 * group and window). A correlation alerts at most once per group per timespan. Everything in it comes from event
 * time and the data, never the wall clock, and AlertId is a hash of the rule and what the
 * alert is about (the event's record id, or the run's tick and group), so the same data
 * gives the same alerts in replay, streaming, and with any number of workers.
 */
#include "engine/runtime/runtime_int.h"

#include <stdlib.h>
#include <string.h>

static void put_str(sp_buf *b, const char *key, const char *v)
{
    sp_buf_json_string(b, key, strlen(key));
    sp_buf_putc(b, ':');
    sp_buf_json_string(b, v ? v : "", v ? strlen(v) : 0);
}

static void put_time(sp_buf *b, const char *key, int64_t t)
{
    char tmp[32];
    sp_datetime_format(t, tmp);
    put_str(b, key, tmp);
}

static void put_list(sp_buf *b, const char *key, char **v, int n)
{
    sp_buf_json_string(b, key, strlen(key));
    sp_buf_puts(b, ":[");
    for (int i = 0; i < n; i++) {
        if (i)
            sp_buf_putc(b, ',');
        sp_buf_json_string(b, v[i], strlen(v[i]));
    }
    sp_buf_putc(b, ']');
}

static int col_of(const kp_schema *s, const char *name)
{
    return kp_schema_find(s, name, strlen(name));
}

/* Text of a cell (empty when null). */
static void cell_text(const krowset *rs, uint32_t row, int col, sp_buf *out)
{
    kval v;
    krowset_get(rs, row, col, &v);
    kval_to_text(&v, out);
}

/* Column positions of one run's rows, resolved once per run: looking the names up for
 * every alert cost more than building it (a linear search of ~70 columns, a dozen times
 * an alert). */
static const char *const id_cols[] = {"Id", "RecordId", "OfficeId", "SystemAlertId", "EventDataId", "AwsEventId"};

typedef struct alert_cols {
    const kp_schema *s;
    int end_time, start_time, time_generated;
    int ids[SP_ARRAY_LEN(id_cols)];
    int *entity; /* per entity mapping (the rule's, or well_known's) */
    int *detail; /* per custom detail */
    int ncols;   /* columns written per event (a correlation's evidence leaves its keys out) */
    sp_buf keys; /* every column's `"Name":`, back to back */
    size_t *key_at; /* ncols + 1 offsets into keys */
} alert_cols;

/* The row as a JSON object of its non-empty fields among its first ac->ncols columns. */
static int cmp_kstr(const void *a, const void *b)
{
    const kstr *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return memcmp(x->p, y->p, x->n);
}

/* A dynamic array with its elements in sorted order (compact JSON in, compact JSON out). */
static void sorted_array_json(kstr arr, sp_buf *b)
{
    kstr *el = NULL;
    size_t n = 0, cap = 0;
    kj_iter it;
    kstr v;
    if (kj_arr_begin(arr, &it))
        while (kj_arr_next(&it, &v)) {
            SP_GROW(el, cap, n + 1);
            el[n++] = v;
        }
    qsort(el, n, sizeof *el, cmp_kstr);
    sp_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sp_buf_putc(b, ',');
        sp_buf_append(b, el[i].p, el[i].n);
    }
    sp_buf_putc(b, ']');
    free(el);
}

/* The row as a JSON object of its non-empty columns. With canonical (the row's identity),
 * a top-level array is written with its elements sorted: make_set and make_list collect
 * them in the order the rows were stored, which differs between a replay and a live run
 * (and between workers) while the set is the same. */
static void row_json(const krowset *rs, const alert_cols *ac, uint32_t row, bool canonical, sp_buf *b)
{
    sp_buf_putc(b, '{');
    bool first = true;
    for (int c = 0; c < ac->ncols; c++) {
        kval v;
        krowset_get(rs, row, c, &v);
        if (v.null || ((v.type == SP_TYPE_STRING || v.type == SP_TYPE_GUID) && v.u.s.n == 0))
            continue;
        if (!first)
            sp_buf_putc(b, ',');
        first = false;
        sp_buf_append(b, ac->keys.data + ac->key_at[c], ac->key_at[c + 1] - ac->key_at[c]);
        if (canonical && v.type == SP_TYPE_DYNAMIC && kj_typeof(v.u.s) == KJ_ARRAY)
            sorted_array_json(v.u.s, b);
        else
            kval_to_json(&v, b);
    }
    sp_buf_putc(b, '}');
}

/* What identifies a result row for the alert id: its record id, else its content (in the
 * canonical form, so that the same data gives the same id whatever order it was stored in). */
static void row_identity(const krowset *rs, const alert_cols *ac, uint32_t row, sp_buf *out)
{
    for (size_t i = 0; i < SP_ARRAY_LEN(id_cols); i++) {
        if (ac->ids[i] >= 0) {
            size_t before = out->len;
            cell_text(rs, row, ac->ids[i], out);
            if (out->len > before)
                return;
        }
    }
    row_json(rs, ac, row, true, out);
}

static bool row_time(const krowset *rs, uint32_t row, int c, int64_t *t)
{
    if (c < 0)
        return false;
    kval v;
    krowset_get(rs, row, c, &v);
    if (v.null || v.type != SP_TYPE_DATETIME)
        return false;
    *t = v.u.l;
    return true;
}

/* `{{Column}}` placeholders of Sentinel's alertDetailsOverride. */
static void format_from_row(const char *fmt, const krowset *rs, uint32_t row, sp_buf *out)
{
    for (const char *p = fmt; *p;) {
        const char *open = strstr(p, "{{");
        const char *close = open ? strstr(open + 2, "}}") : NULL;
        if (!open || !close) {
            sp_buf_puts(out, p);
            break;
        }
        sp_buf_append(out, p, (size_t)(open - p));
        char name[256];
        size_t n = SP_MIN((size_t)(close - open - 2), sizeof name - 1);
        memcpy(name, open + 2, n);
        name[n] = 0;
        int c = rs ? col_of(krowset_schema(rs), name) : -1;
        if (c >= 0)
            cell_text(rs, row, c, out);
        p = close + 2;
    }
}

/* Sigma rules have no entity mappings: derive them from the columns every sign-in and
 * audit table uses. */
static const struct {
    const char *column, *type, *identifier;
} well_known[] = {
    {"UserPrincipalName", "account", "UPN"},  {"ActorUserId", "account", "UPN"},
    {"UserId", "account", "AadUserId"},       {"IPAddress", "ip", "Address"},
    {"SrcIpAddr", "ip", "Address"},           {"ClientIP", "ip", "Address"},
    {"AppDisplayName", "cloud-application", "Name"}, {"AppId", "cloud-application", "AppId"},
    {"ServicePrincipalName", "account", "Name"},
    {"ServicePrincipalId", "account", "AadUserId"},  {"SentinelResourceName", "azure-resource", "Name"},
    {"IncidentName", "incident", "Name"},
};

static void alert_cols_init(alert_cols *ac, const rt_rule *r, const krowset *rs)
{
    const kp_schema *s = krowset_schema(rs);
    memset(ac, 0, sizeof *ac);
    ac->s = s;
    ac->ncols = s->ncols;
    ac->end_time = col_of(s, "EndTime");
    ac->start_time = col_of(s, "StartTime");
    ac->time_generated = col_of(s, "TimeGenerated");
    for (size_t i = 0; i < SP_ARRAY_LEN(id_cols); i++)
        ac->ids[i] = col_of(s, id_cols[i]);
    int n = r->nentities ? r->nentities : (int)SP_ARRAY_LEN(well_known);
    ac->entity = sp_xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        ac->entity[i] = col_of(s, r->nentities ? r->entities[i].column : well_known[i].column);
    ac->detail = sp_xmalloc(sizeof(int) * (size_t)(r->ndetails + 1));
    for (int i = 0; i < r->ndetails; i++)
        ac->detail[i] = col_of(s, r->details[i].column);
    ac->key_at = sp_xmalloc(sizeof(size_t) * (size_t)(s->ncols + 1));
    for (int c = 0; c < s->ncols; c++) {
        ac->key_at[c] = ac->keys.len;
        sp_buf_json_string(&ac->keys, s->cols[c].name, strlen(s->cols[c].name));
        sp_buf_putc(&ac->keys, ':');
    }
    ac->key_at[s->ncols] = ac->keys.len;
}

static void alert_cols_free(alert_cols *ac)
{
    free(ac->entity);
    free(ac->detail);
    free(ac->key_at);
    sp_buf_free(&ac->keys);
}

static void entity(sp_buf *b, bool *first, const char *type, const char *ident, const char *val, size_t n)
{
    if (!n)
        return;
    if (!*first)
        sp_buf_putc(b, ',');
    *first = false;
    sp_buf_puts(b, "{\"Type\":");
    sp_buf_json_string(b, type, strlen(type));
    sp_buf_putc(b, ',');
    sp_buf_json_string(b, ident, strlen(ident));
    sp_buf_putc(b, ':');
    sp_buf_json_string(b, val, n);
    sp_buf_putc(b, '}');
}

#define MAX_ENTITIES 64

/* Distinct (type, identifier, value) triples over the rows an alert is about (its result
 * rows, and a correlation's records), at most MAX_ENTITIES: an aggregate alert can span a
 * window's every row, so the triples seen are kept in a small hash table (2 * MAX_ENTITIES
 * slots, hash then text), and rows stop adding once the cap is reached. */
typedef struct ent_set {
    char *seen[MAX_ENTITIES];
    uint64_t slot_hash[2 * MAX_ENTITIES];
    int slot[2 * MAX_ENTITIES]; /* index into seen + 1; 0 = empty */
    int nseen;
    bool first;
    sp_buf v;
} ent_set;

static void ent_row(ent_set *es, const rt_rule *r, const krowset *rs, const alert_cols *ac, uint32_t row, sp_buf *b)
{
    int n = r->nentities ? r->nentities : (int)SP_ARRAY_LEN(well_known);
    for (int i = 0; i < n && es->nseen < MAX_ENTITIES; i++) {
        const char *type = r->nentities ? r->entities[i].type : well_known[i].type;
        const char *ident = r->nentities ? r->entities[i].identifier : well_known[i].identifier;
        int c = ac->entity[i];
        if (c < 0)
            continue;
        sp_buf *v = &es->v;
        v->len = 0;
        sp_buf_puts(v, type);
        sp_buf_putc(v, '\x1f');
        sp_buf_puts(v, ident);
        sp_buf_putc(v, '\x1f');
        size_t pre = v->len;
        cell_text(rs, row, c, v);
        if (v->len == pre)
            continue;
        uint64_t h = sp_hash64(v->data, v->len, 0);
        size_t k = (size_t)h & (2 * MAX_ENTITIES - 1);
        bool dup = false;
        while (es->slot[k] && !dup) {
            dup = es->slot_hash[k] == h && !strcmp(es->seen[es->slot[k] - 1], sp_buf_cstr(v));
            if (!dup)
                k = (k + 1) & (2 * MAX_ENTITIES - 1);
        }
        if (dup)
            continue;
        es->seen[es->nseen] = sp_xstrdup(sp_buf_cstr(v));
        es->slot[k] = ++es->nseen;
        es->slot_hash[k] = h;
        char lower[64];
        size_t tl = strlen(type);
        for (size_t j = 0; j < tl && j < sizeof lower - 1; j++)
            lower[j] = sp_ascii_lower(type[j]);
        lower[SP_MIN(tl, sizeof lower - 1)] = 0;
        entity(b, &es->first, lower, ident, v->data + pre, v->len - pre);
    }
}

static void ent_free(ent_set *es)
{
    for (int k = 0; k < es->nseen; k++)
        free(es->seen[k]);
    sp_buf_free(&es->v);
}

static void details(const rt_rule *r, const krowset *rs, const alert_cols *ac, uint32_t row, sp_buf *b)
{
    sp_buf_puts(b, "\"ExtendedProperties\":{");
    bool first = true;
    for (int i = 0; i < r->ndetails; i++) {
        int c = ac->detail[i];
        if (c < 0)
            continue;
        kval v;
        krowset_get(rs, row, c, &v);
        if (!first)
            sp_buf_putc(b, ',');
        first = false;
        sp_buf_json_string(b, r->details[i].key, strlen(r->details[i].key));
        sp_buf_putc(b, ':');
        kval_to_json(&v, b);
    }
    sp_buf_putc(b, '}');
}

static void alert_id(const rt_rule *r, const char *key, size_t klen, char out[37])
{
    sp_buf b = {0};
    sp_buf_puts(&b, r->id);
    sp_buf_putc(&b, '\x1f');
    sp_buf_append(&b, key, klen);
    sp_hash128 h = sp_hash128_of(b.data, b.len);
    sp_buf_free(&b);
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(h.hi >> 32), (unsigned)(h.hi >> 16) & 0xffff,
             (unsigned)h.hi & 0xffff, (unsigned)(h.lo >> 48), (unsigned long long)(h.lo & 0xffffffffffffULL));
}

/* The records behind a correlation's output: rows idx[0..n) of ev (columns as ac says). */
typedef struct alert_events {
    const krowset *ev;
    alert_cols ac;
    uint32_t *idx;
    uint32_t n;
} alert_events;

/* One alert over rows [from, to) of the run; its events are those rows, or evs when given. */
static int emit_one(rt_engine *e, const rt_run *run, const alert_cols *ac, uint32_t from, uint32_t to,
                    const alert_events *evs, const char *key, size_t klen, int64_t start, int64_t end)
{
    rt_rule *r = run->rule;
    /* Suppression in event time: no alert from this rule until suppressed_until. */
    pthread_mutex_lock(&r->mu);
    if (r->suppress && end < r->suppressed_until) {
        r->suppressed++;
        pthread_mutex_unlock(&r->mu);
        pthread_mutex_lock(&e->mu);
        e->st.suppressed++;
        pthread_mutex_unlock(&e->mu);
        return 0;
    }
    if (r->suppress)
        r->suppressed_until = end + r->suppress_for;
    r->alerts++;
    pthread_mutex_unlock(&r->mu);

    char id[37];
    alert_id(r, key, klen, id);
    sp_buf b = {0};
    sp_buf_putc(&b, '{');
    put_str(&b, "AlertId", id);
    sp_buf_putc(&b, ',');
    put_time(&b, "TimeGenerated", end);
    sp_buf_putc(&b, ',');
    put_str(&b, "RuleId", r->id);
    sp_buf_putc(&b, ',');
    put_str(&b, "RuleLanguage", r->is_sigma ? "sigma" : "kql");
    sp_buf_putc(&b, ',');
    sp_buf_puts(&b, "\"AlertName\":");
    if (r->name_format) {
        sp_buf t = {0};
        format_from_row(r->name_format, run->rows, from, &t);
        sp_buf_json_string(&b, t.data ? t.data : "", t.len);
        sp_buf_free(&t);
    } else {
        sp_buf_json_string(&b, r->name, strlen(r->name));
    }
    sp_buf_putc(&b, ',');
    sp_buf_puts(&b, "\"Description\":");
    if (r->description_format) {
        sp_buf t = {0};
        format_from_row(r->description_format, run->rows, from, &t);
        sp_buf_json_string(&b, t.data ? t.data : "", t.len);
        sp_buf_free(&t);
    } else {
        sp_buf_json_string(&b, r->description ? r->description : "", r->description ? strlen(r->description) : 0);
    }
    sp_buf_putc(&b, ',');
    put_str(&b, "Severity", r->severity);
    sp_buf_putc(&b, ',');
    put_list(&b, "Tactics", r->tactics, r->ntactics);
    sp_buf_putc(&b, ',');
    put_list(&b, "Techniques", r->techniques, r->ntechniques);
    sp_buf_putc(&b, ',');
    put_time(&b, "StartTime", start);
    sp_buf_putc(&b, ',');
    put_time(&b, "EndTime", end);
    sp_buf_putc(&b, ',');
    put_str(&b, "ProductName", "socpipe");
    sp_buf_putc(&b, ',');
    sp_buf_puts(&b, "\"Entities\":[");
    ent_set es;
    memset(&es, 0, sizeof es);
    es.first = true;
    for (uint32_t row = from; row < to && es.nseen < MAX_ENTITIES; row++)
        ent_row(&es, r, run->rows, ac, row, &b);
    for (uint32_t k = 0; evs && k < evs->n && es.nseen < MAX_ENTITIES; k++)
        ent_row(&es, r, evs->ev, &evs->ac, evs->idx[k], &b);
    ent_free(&es);
    sp_buf_puts(&b, "],");
    details(r, run->rows, ac, from, &b);
    uint32_t cap = e->cfg.max_alert_events ? e->cfg.max_alert_events : sp_limits.max_alert_events;
    if (evs) {
        sp_buf_printf(&b, ",\"EventCount\":%u,\"Events\":[", evs->n);
        for (uint32_t k = 0; k < evs->n && k < cap; k++) {
            if (k)
                sp_buf_putc(&b, ',');
            row_json(evs->ev, &evs->ac, evs->idx[k], false, &b);
        }
    } else {
        sp_buf_printf(&b, ",\"EventCount\":%u,\"Events\":[", to - from);
        for (uint32_t row = from; row < to && row - from < cap; row++) {
            if (row > from)
                sp_buf_putc(&b, ',');
            row_json(run->rows, ac, row, false, &b);
        }
    }
    sp_buf_puts(&b, "]}");
    int rc = rt_sinks_write(e, b.data, b.len);
    sp_buf_free(&b);
    pthread_mutex_lock(&e->mu);
    e->st.alerts++;
    pthread_mutex_unlock(&e->mu);
    return rc == 0 ? 1 : 0;
}

/* The records behind correlation output `row`: the rows of the rule's evidence plan in
 * [start, end] whose key columns equal the output's group values (its first columns).
 * Returns the evidence rowset (the caller frees it and ev->idx) with the matching rows in
 * ev, or NULL when the plan cannot run (logged; the alert then carries the output row). */
static krowset *evidence_of(rt_engine *e, const rt_run *run, uint32_t row, int64_t start, int64_t end,
                            alert_events *ev)
{
    kexec_opts o;
    memset(&o, 0, sizeof o);
    o.now = end;
    o.time_window = true;
    o.time_from = start;
    o.time_to = end + 1;
    krowset *x;
    sp_diag d;
    memset(&d, 0, sizeof d);
    const rt_rule *r = run->rule;
    const krowset *rs = run->rows;
    if (kexec_run(run->evidence, e->store, &o, &x, &d) != 0) {
        sp_log(SP_LOG_WARN, "rule %s (%s): the records behind an alert could not be read: %s", r->name, r->file, d.msg);
        return NULL;
    }
    int nk = r->group_keys, ncols = krowset_schema(x)->ncols;
    uint32_t n = krowset_rows(x), m = 0, *idx = sp_xmalloc(sizeof(uint32_t) * (n ? n : 1));
    sp_buf want = {0}, have = {0};
    for (uint32_t i = 0; i < n; i++) {
        bool eq = true;
        for (int g = 0; g < nk && eq; g++) {
            want.len = have.len = 0;
            cell_text(rs, row, g, &want);
            cell_text(x, i, ncols - nk + g, &have);
            eq = want.len == have.len && (!want.len || !memcmp(want.data, have.data, want.len));
        }
        if (eq)
            idx[m++] = i;
    }
    sp_buf_free(&want);
    sp_buf_free(&have);
    ev->ev = x;
    ev->idx = idx;
    ev->n = m;
    alert_cols_init(&ev->ac, r, x);
    ev->ac.ncols = ncols - nk;
    return x;
}

/* Correlations raise at most one alert per group per timespan: an output whose group
 * alerted less than one timespan before its end is suppressed (its window's events are
 * consumed all the same), so a spray of 300 accounts is one alert, not thirty. Returns
 * true when the output may alert, and then starts the group's quiet period. */
static bool group_may_alert(rt_engine *e, rt_rule *r, const krowset *rs, uint32_t row, int64_t end)
{
    sp_buf k = {0};
    for (int g = 0; g < r->group_keys; g++) {
        cell_text(rs, row, g, &k);
        sp_buf_putc(&k, '\x1f');
    }
    sp_hash128 h = sp_hash128_of(k.data ? k.data : "", k.len);
    sp_buf_free(&k);
    pthread_mutex_lock(&r->mu);
    size_t w = 0;
    bool quiet = false;
    for (size_t i = 0; i < r->nemitted; i++) {
        if (r->emitted_at[i] <= end - r->corr_span)
            continue; /* long over: forget it (bounds the list by the groups alerting lately) */
        if (r->emitted[i].hi == h.hi && r->emitted[i].lo == h.lo && end < r->emitted_at[i])
            quiet = true;
        r->emitted[w] = r->emitted[i];
        r->emitted_at[w++] = r->emitted_at[i];
    }
    r->nemitted = w;
    if (quiet) {
        r->suppressed++;
    } else {
        size_t cap = r->capemitted;
        SP_GROW(r->emitted, r->capemitted, r->nemitted + 1);
        if (r->capemitted != cap)
            r->emitted_at = sp_xrealloc(r->emitted_at, sizeof(int64_t) * r->capemitted);
        r->emitted[r->nemitted] = h;
        r->emitted_at[r->nemitted++] = end + r->corr_span;
    }
    pthread_mutex_unlock(&r->mu);
    if (quiet) {
        pthread_mutex_lock(&e->mu);
        e->st.suppressed++;
        pthread_mutex_unlock(&e->mu);
    }
    return !quiet;
}

int rt_alerts_emit(rt_engine *e, const rt_run *run)
{
    uint32_t n = krowset_rows(run->rows);
    if (!n)
        return 0;
    int written = 0;
    alert_cols ac;
    alert_cols_init(&ac, run->rule, run->rows);
    sp_buf key = {0};
    if (run->per_row) {
        for (uint32_t row = 0; row < n; row++) {
            key.len = 0;
            int64_t t = run->window_end, t2;
            if (row_time(run->rows, row, ac.end_time, &t2) || row_time(run->rows, row, ac.time_generated, &t2))
                t = t2;
            int64_t st = t;
            if (row_time(run->rows, row, ac.start_time, &t2))
                st = t2;
            if (run->end_filter && (t <= run->end_after || t > run->end_upto))
                continue; /* a window settled by an earlier run, or not settled yet */
            if (run->rule->kind == RT_CORRELATION && !group_may_alert(e, run->rule, run->rows, row, t))
                continue;
            if (!run->rule->is_sigma || run->rule->kind == RT_CORRELATION)
                sp_buf_printf(&key, "%lld\x1f", (long long)(run->rule->kind == RT_SCHEDULED ? run->window_end : 0));
            row_identity(run->rows, &ac, row, &key);
            alert_events ev;
            memset(&ev, 0, sizeof ev);
            krowset *x = run->evidence ? evidence_of(e, run, row, st, t, &ev) : NULL;
            written += emit_one(e, run, &ac, row, row + 1, x ? &ev : NULL, key.data, key.len, st, t);
            if (x) {
                free(ev.idx);
                alert_cols_free(&ev.ac);
                krowset_free(x);
            }
        }
    } else {
        int64_t start = INT64_MAX, end = INT64_MIN, t;
        for (uint32_t row = 0; row < n; row++)
            if (row_time(run->rows, row, ac.time_generated, &t)) {
                start = SP_MIN(start, t);
                end = SP_MAX(end, t);
            }
        if (start == INT64_MAX) {
            start = run->window_start;
            end = run->window_end;
        }
        sp_buf_printf(&key, "%lld", (long long)run->window_end);
        written += emit_one(e, run, &ac, 0, n, NULL, key.data, key.len, start, end);
    }
    sp_buf_free(&key);
    alert_cols_free(&ac);
    return written;
}

int rt_sinks_write(rt_engine *e, const char *json, size_t len)
{
    int rc = 0;
    pthread_mutex_lock(&e->sink_mu);
    for (int i = 0; i < e->nsinks; i++)
        if (e->sinks[i]->write(e->sinks[i], json, len) != 0)
            rc = -1;
    pthread_mutex_unlock(&e->sink_mu);
    return rc;
}

int rt_sinks_flush(rt_engine *e)
{
    int rc = 0;
    pthread_mutex_lock(&e->sink_mu);
    for (int i = 0; i < e->nsinks; i++)
        if (e->sinks[i]->flush(e->sinks[i]) != 0)
            rc = -1;
    pthread_mutex_unlock(&e->sink_mu);
    return rc;
}
