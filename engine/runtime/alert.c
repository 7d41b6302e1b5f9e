/* alert.c — turning a rule run's result rows into alerts (DESIGN.md §1.7) and writing them
 * to the sinks.
 *
 * An alert is shaped like Sentinel's SecurityAlert: AlertId, RuleId, AlertName, Severity,
 * Tactics, Techniques, StartTime, EndTime, Entities (from the rule's entity mappings; for
 * Sigma, from the well-known columns of the row), ExtendedProperties (custom details) and
 * Events, the matched records with their fields (capped). Everything in it comes from event
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

/* The row as a JSON object of its non-empty fields. */
static void row_json(const krowset *rs, uint32_t row, sp_buf *b)
{
    const kp_schema *s = krowset_schema(rs);
    sp_buf_putc(b, '{');
    bool first = true;
    for (int c = 0; c < s->ncols; c++) {
        kval v;
        krowset_get(rs, row, c, &v);
        if (v.null || ((v.type == SP_TYPE_STRING || v.type == SP_TYPE_GUID) && v.u.s.n == 0))
            continue;
        if (!first)
            sp_buf_putc(b, ',');
        first = false;
        sp_buf_json_string(b, s->cols[c].name, strlen(s->cols[c].name));
        sp_buf_putc(b, ':');
        kval_to_json(&v, b);
    }
    sp_buf_putc(b, '}');
}

/* What identifies a result row for the alert id: its record id, else its content. */
static void row_identity(const krowset *rs, uint32_t row, sp_buf *out)
{
    static const char *ids[] = {"Id", "RecordId", "OfficeId", "SystemAlertId", "EventDataId", "AwsEventId"};
    const kp_schema *s = krowset_schema(rs);
    for (size_t i = 0; i < SP_ARRAY_LEN(ids); i++) {
        int c = col_of(s, ids[i]);
        if (c >= 0) {
            size_t before = out->len;
            cell_text(rs, row, c, out);
            if (out->len > before)
                return;
        }
    }
    row_json(rs, row, out);
}

static bool row_time(const krowset *rs, uint32_t row, const char *col, int64_t *t)
{
    int c = col_of(krowset_schema(rs), col);
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
    {"AppDisplayName", "cloud-application", "Name"}, {"ServicePrincipalName", "account", "Name"},
    {"ServicePrincipalId", "account", "AadUserId"},  {"SentinelResourceName", "azure-resource", "Name"},
    {"IncidentName", "incident", "Name"},
};

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

static void entities(const rt_rule *r, const krowset *rs, uint32_t from, uint32_t to, sp_buf *b)
{
    const kp_schema *s = krowset_schema(rs);
    sp_buf_puts(b, "\"Entities\":[");
    bool first = true;
    sp_buf v = {0};
    /* distinct (type, identifier, value) triples over the alert's rows */
    char **seen = NULL;
    size_t nseen = 0;
    for (uint32_t row = from; row < to; row++) {
        int n = r->nentities ? r->nentities : (int)SP_ARRAY_LEN(well_known);
        for (int i = 0; i < n; i++) {
            const char *col = r->nentities ? r->entities[i].column : well_known[i].column;
            const char *type = r->nentities ? r->entities[i].type : well_known[i].type;
            const char *ident = r->nentities ? r->entities[i].identifier : well_known[i].identifier;
            int c = col_of(s, col);
            if (c < 0)
                continue;
            v.len = 0;
            sp_buf_printf(&v, "%s\x1f%s\x1f", type, ident);
            size_t pre = v.len;
            cell_text(rs, row, c, &v);
            if (v.len == pre)
                continue;
            bool dup = false;
            for (size_t k = 0; k < nseen && !dup; k++)
                dup = !strcmp(seen[k], sp_buf_cstr(&v));
            if (dup || nseen >= 64)
                continue;
            seen = sp_xrealloc(seen, sizeof(char *) * (nseen + 1));
            seen[nseen++] = sp_xstrdup(sp_buf_cstr(&v));
            char lower[64];
            size_t tl = strlen(type);
            for (size_t k = 0; k < tl && k < sizeof lower - 1; k++)
                lower[k] = sp_ascii_lower(type[k]);
            lower[SP_MIN(tl, sizeof lower - 1)] = 0;
            entity(b, &first, lower, ident, v.data + pre, v.len - pre);
        }
    }
    for (size_t k = 0; k < nseen; k++)
        free(seen[k]);
    free(seen);
    sp_buf_free(&v);
    sp_buf_putc(b, ']');
}

static void details(const rt_rule *r, const krowset *rs, uint32_t row, sp_buf *b)
{
    sp_buf_puts(b, "\"ExtendedProperties\":{");
    const kp_schema *s = krowset_schema(rs);
    bool first = true;
    for (int i = 0; i < r->ndetails; i++) {
        int c = col_of(s, r->details[i].column);
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

/* One alert over rows [from, to) of the run. */
static int emit_one(rt_engine *e, const rt_run *run, uint32_t from, uint32_t to, const char *key, size_t klen,
                    int64_t start, int64_t end)
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
    entities(r, run->rows, from, to, &b);
    sp_buf_putc(&b, ',');
    details(r, run->rows, from, &b);
    sp_buf_printf(&b, ",\"EventCount\":%u,\"Events\":[", to - from);
    uint32_t cap = e->cfg.max_alert_events ? e->cfg.max_alert_events : sp_limits.max_alert_events;
    for (uint32_t row = from; row < to && row - from < cap; row++) {
        if (row > from)
            sp_buf_putc(&b, ',');
        row_json(run->rows, row, &b);
    }
    sp_buf_puts(&b, "]}");
    int rc = rt_sinks_write(e, b.data, b.len);
    sp_buf_free(&b);
    pthread_mutex_lock(&e->mu);
    e->st.alerts++;
    pthread_mutex_unlock(&e->mu);
    return rc == 0 ? 1 : 0;
}

int rt_alerts_emit(rt_engine *e, const rt_run *run)
{
    uint32_t n = krowset_rows(run->rows);
    if (!n)
        return 0;
    int written = 0;
    sp_buf key = {0};
    if (run->per_row) {
        for (uint32_t row = 0; row < n; row++) {
            key.len = 0;
            int64_t t = run->window_end, t2;
            if (row_time(run->rows, row, "EndTime", &t2) || row_time(run->rows, row, "TimeGenerated", &t2))
                t = t2;
            int64_t st = t;
            if (row_time(run->rows, row, "StartTime", &t2))
                st = t2;
            if (run->end_filter && (t <= run->end_after || t > run->end_upto))
                continue; /* a window settled by an earlier run, or not settled yet */
            if (!run->rule->is_sigma || run->rule->kind == RT_CORRELATION)
                sp_buf_printf(&key, "%lld\x1f", (long long)(run->rule->kind == RT_SCHEDULED ? run->window_end : 0));
            row_identity(run->rows, row, &key);
            written += emit_one(e, run, row, row + 1, key.data, key.len, st, t);
        }
    } else {
        int64_t start = INT64_MAX, end = INT64_MIN, t;
        for (uint32_t row = 0; row < n; row++)
            if (row_time(run->rows, row, "TimeGenerated", &t)) {
                start = SP_MIN(start, t);
                end = SP_MAX(end, t);
            }
        if (start == INT64_MAX) {
            start = run->window_start;
            end = run->window_end;
        }
        sp_buf_printf(&key, "%lld", (long long)run->window_end);
        written += emit_one(e, run, 0, n, key.data, key.len, start, end);
    }
    sp_buf_free(&key);
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
