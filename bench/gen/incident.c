/* incident.c — SecurityIncident and SecurityAlert, generated from one incident process so
 * the two tables agree: incident k has the same name, number, rule, alerts and timeline
 * whichever table is written, and each SecurityIncident row's AlertIds are the
 * SystemAlertIds of SecurityAlert records (and of SentinelHealth automation runs).
 *
 * Incidents arrive as a Poisson process; incident k's details come from a random
 * sequence of its own (seed, k), so any table can describe incident k without the
 * others. An incident has 1-6 rows (created, owner assigned by automation, Active,
 * alert appended, comment, Closed with a classification) and 1-4 alerts. Rows and
 * alerts are queued in a time-ordered heap with a look-ahead, so output stays in time
 * order although alerts precede their incident.
 */
#include "bench/gen/gen_int.h"

#include <stdlib.h>
#include <string.h>

enum { RK_SCHED, RK_NRT, RK_IPC, RK_MDE, RK_MDO, RK_MCAS };

typedef struct inc_rule {
    const char *name;      /* rule name (Sentinel) or alert name (XDR) */
    const char *id;        /* analytics rule id; NULL for XDR */
    const char *title;     /* XDR incident title; NULL = rule name */
    const char *severity;
    const char *tactic, *technique;
    uint8_t kind;          /* RK_* */
    const char *alert_type;
    uint16_t weight;
} inc_rule;

static const inc_rule rules[] = {
    {"Password spray attack against Azure AD application", "48607a29-a26a-4abf-8078-a06dbdd174a4", NULL, "Medium", "CredentialAccess", "T1110", RK_SCHED, NULL, 60},
    {"Attempts to sign in to disabled accounts", "75ea5c39-93e5-489b-b1e1-68fa6c9d2d04", NULL, "Medium", "InitialAccess", "T1078", RK_SCHED, NULL, 80},
    {"MFA Rejected by User", "d99cf5c3-d660-436c-895b-8a8f8448da23", NULL, "Medium", "InitialAccess", "T1078", RK_SCHED, NULL, 90},
    {"NRT MFA Rejected by User", "3617d76d-b15e-4c6f-985e-a1dac73c592d", NULL, "Medium", "InitialAccess", "T1078", RK_NRT, NULL, 40},
    {"Brute force attack against Azure Portal", "28b42356-45af-40a6-a0b4-a554cdfd5d8a", NULL, "Medium", "CredentialAccess", "T1110", RK_SCHED, NULL, 30},
    {"Authentication Attempt from New Country", "ef895ada-e8e8-4cf0-9313-b1ab67fab69f", NULL, "Medium", "InitialAccess", "T1078", RK_SCHED, NULL, 70},
    {"Explicit MFA Deny", "a22740ec-fc1e-4c91-8de6-c29c6450ad00", NULL, "Medium", "CredentialAccess", "T1110", RK_SCHED, NULL, 50},
    {"Service Principal Authentication Attempt from New Country", "1baaaf00-655f-4de9-8ff8-312e902cda71", NULL, "Medium", "InitialAccess", "T1078", RK_SCHED, NULL, 25},
    {"Distributed Password cracking attempts in AzureAD", "bfb1c90f-8006-4325-98be-c7fffbc254d6", NULL, "Medium", "CredentialAccess", "T1110", RK_SCHED, NULL, 20},
    {"Anomalous sign-in location by user account and authenticating application", "7cb8f77d-c52f-4e46-b82f-3cf2e106224a", NULL, "Medium", "InitialAccess", "T1078", RK_SCHED, NULL, 40},
    {"Unfamiliar sign-in properties", NULL, "Unfamiliar sign-in properties involving one user", "Low", "InitialAccess", "T1078", RK_IPC, "UnfamiliarLocation", 120},
    {"Anonymous IP address", NULL, "Anonymous IP address involving one user", "Medium", "InitialAccess", "T1078", RK_IPC, "AnonymousLogin", 60},
    {"Atypical travel", NULL, "Atypical travel involving one user", "Medium", "InitialAccess", "T1078", RK_IPC, "ImpossibleTravel", 50},
    {"Suspicious PowerShell command line", NULL, "Multi-stage incident involving Execution on one endpoint", "High", "Execution", "T1059", RK_MDE, "SuspiciousPowerShellCommandLine", 40},
    {"Email messages containing malicious URL removed after delivery", NULL, "Email messages containing malicious URL removed after delivery", "Informational", "InitialAccess", "T1566", RK_MDO, "ThreatManagement", 90},
    {"Mass download by a single user", NULL, "Mass download by a single user", "Medium", "Exfiltration", "T1530", RK_MCAS, "MCAS_ALERT_ANUBIS_DETECTION_REPEATED_ACTIVITY", 25},
    /* weight 0: only scenarios raise it (dup_rule_title) */
    {"Rare application consent granted", "83ba3057-9ea3-4759-bf6a-933f2e5bc7ee", NULL, "Medium", "Persistence", "T1098", RK_SCHED, NULL, 0},
};

static const char *const rule_products[] = {"Azure Sentinel", "Azure Sentinel",
                                            "Azure Active Directory Identity Protection",
                                            "Microsoft Defender Advanced Threat Protection",
                                            "Office 365 Advanced Threat Protection",
                                            "Microsoft Cloud App Security"};
static const char *const rule_providers[] = {"ASI Scheduled Alerts", "ASI NRT Alerts", "IPC", "MDATP", "OATP", "MCAS"};
static const char *const product_names[] = {"Azure Sentinel", "Azure Sentinel", "Microsoft Entra ID Protection",
                                            "Microsoft Defender for Endpoint", "Microsoft Defender for Office 365",
                                            "Microsoft Defender for Cloud Apps"};

/* Mean rows and alerts per incident, from the probabilities in inc_describe. */
#define INC_MEAN_ROWS 3.9
#define INC_MEAN_ALERTS 1.85

_Static_assert(sizeof(struct gen_incident_row) <= GEN_MODEL_BYTES, "model too large");

double incident_default_rate(bool alerts)
{
    return GEN_INCIDENT_RATE * (alerts ? INC_MEAN_ALERTS : INC_MEAN_ROWS);
}

/* ---- the incident process ---- */

void inc_arrivals_init(inc_arrivals *a, const struct gen_ctx_view *c, double per_s)
{
    rng_seed(&a->r, c->seed, 300);
    a->gap = (double)SP_TICKS_PER_SEC / per_s;
    a->k = 0;
    a->t = c->start + (int64_t)(a->gap * rng_exp1(&a->r));
}

void inc_arrivals_step(inc_arrivals *a, const gen_world *w)
{
    double mult = 0.5 + 0.5 * world_mult(w, a->t);
    a->t += (int64_t)(a->gap * rng_exp1(&a->r) / mult) + 1;
    a->k++;
}

static uint32_t inc_number(uint64_t seed, uint64_t k)
{
    return (uint32_t)(1000 + seed % 9000 + k);
}

static gen_guid inc_name(uint64_t seed, uint64_t k)
{
    return guid_from(seed ^ 0x1c1de17, k, 1);
}

static gen_guid alert_id(uint64_t seed, uint64_t k, int j)
{
    return guid_from(seed ^ 0xa1e47, k, (uint64_t)j);
}

int inc_rule_find(const char *name)
{
    for (size_t i = 0; i < SP_ARRAY_LEN(rules); i++)
        if (!strcmp(rules[i].name, name))
            return (int)i;
    return -1;
}

void inc_desc_init(const gen_world *w, inc_desc *d, uint64_t k, int rule, int64_t created)
{
    memset(d, 0, sizeof *d);
    d->k = k;
    d->created = created;
    d->number = inc_number(w->seed, k);
    d->name = inc_name(w->seed, k);
    d->rule = (uint16_t)rule;
    d->title = rules[rule].title ? rules[rule].title : rules[rule].name;
    d->rule_id = rules[rule].id;
    d->xdr = rules[rule].kind >= RK_IPC;
    for (int j = 0; j < INC_MAX_ALERTS; j++)
        d->alert_ids[j] = alert_id(w->seed, k, j);
}

static void inc_describe(const gen_world *w, uint64_t k, int64_t t0, inc_desc *d)
{
    gen_rng r;
    rng_seed(&r, w->seed, 1000000 + k);
    memset(d, 0, sizeof *d);
    d->k = k;
    d->created = t0;
    d->number = inc_number(w->seed, k);
    d->name = inc_name(w->seed, k);
    uint32_t total = 0;
    for (size_t i = 0; i < SP_ARRAY_LEN(rules); i++)
        total += rules[i].weight;
    uint32_t x = rng_below(&r, total);
    while (x >= rules[d->rule].weight)
        x -= rules[d->rule++].weight;
    d->title = rules[d->rule].title ? rules[d->rule].title : rules[d->rule].name;
    d->rule_id = rules[d->rule].id;
    d->xdr = rules[d->rule].kind >= RK_IPC;
    d->user = world_pick_user(w, &r, t0);
    d->ip = rng_bp(&r, 5000) ? w->threat_lo + rng_below(&r, w->threat_n)
                             : w->vpn_lo + rng_below(&r, w->vpn_n);
    d->analyst = w->offices[0].lo + rng_below(&r, 12); /* the SOC team sits at HQ */
    uint32_t a = rng_below(&r, 100);
    d->n_alerts = (uint8_t)(a < 60 ? 1 : a < 85 ? 2 : 3);
    for (int j = 0; j < d->n_alerts; j++)
        d->alert_t[j] = t0 - (int64_t)rng_below(&r, 300) * SP_TICKS_PER_SEC - (d->n_alerts - j) * SP_TICKS_PER_SEC;
    for (int j = 0; j < INC_MAX_ALERTS; j++)
        d->alert_ids[j] = alert_id(w->seed, k, j);
    inc_row cur = {t0, ST_NEW, 0, d->n_alerts, 0, BY_CREATED};
    d->rows[d->n_rows++] = cur;
    if (rng_bp(&r, 7000)) {
        cur.t += rng_range(&r, 5, 60) * SP_TICKS_PER_SEC;
        cur.owner = 1;
        cur.by = BY_AUTOMATION;
        d->labeled = 1;
        d->rows[d->n_rows++] = cur;
    }
    if (rng_bp(&r, 7500)) {
        cur.t += rng_range(&r, 10 * 60, 4 * 3600) * SP_TICKS_PER_SEC;
        cur.status = ST_ACTIVE;
        cur.owner = 1;
        cur.by = BY_ANALYST;
        d->rows[d->n_rows++] = cur;
    }
    if (rng_bp(&r, 3000) && d->n_alerts < INC_MAX_ALERTS) {
        cur.t += rng_range(&r, 5 * 60, 2 * 3600) * SP_TICKS_PER_SEC;
        d->alert_t[d->n_alerts++] = cur.t - 30 * SP_TICKS_PER_SEC;
        cur.alerts = d->n_alerts;
        cur.by = BY_ALERT;
        d->rows[d->n_rows++] = cur;
    }
    if (rng_bp(&r, 3000)) {
        cur.t += rng_range(&r, 60, 3600) * SP_TICKS_PER_SEC;
        cur.comments++;
        cur.owner = 1;
        cur.by = BY_ANALYST;
        d->rows[d->n_rows++] = cur;
    }
    if (rng_bp(&r, 8500)) {
        cur.t += rng_range(&r, 3600, 3 * 86400) * SP_TICKS_PER_SEC;
        cur.status = ST_CLOSED;
        cur.owner = 1;
        cur.by = BY_ANALYST;
        uint32_t c = rng_below(&r, 100);
        d->cls = (uint8_t)(c < 20 ? 1 : c < 65 ? 2 : c < 95 ? 3 : 4);
        d->rows[d->n_rows++] = cur;
    }
}

/* ---- the stream: a heap of pending rows or alerts ---- */

typedef struct pend {
    int64_t t;
    uint64_t seq;
    uint32_t slot;
    uint8_t idx;
} pend;

typedef struct inc_stream {
    gen_stream base;
    gen_world *w;
    bool alerts;
    inc_arrivals arr;
    pend *heap;
    size_t n, cap;
    uint64_t seq;
    inc_desc *slots;
    uint8_t *left;
    uint32_t *free_slots;
    size_t n_slots, cap_slots, n_free, cap_free;
} inc_stream;

static bool pend_less(const pend *a, const pend *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(inc_stream *s, pend p)
{
    SP_GROW(s->heap, s->cap, s->n + 1);
    size_t i = s->n++;
    while (i && pend_less(&p, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = p;
}

static pend heap_pop(inc_stream *s)
{
    pend top = s->heap[0], last = s->heap[--s->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n)
            break;
        if (c + 1 < s->n && pend_less(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!pend_less(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n)
        s->heap[i] = last;
    return top;
}

#define LOOKAHEAD (15 * SP_TICKS_PER_MIN) /* alerts precede their incident by <= 5 min */

static void pump(inc_stream *s)
{
    while (!s->n || s->arr.t - LOOKAHEAD <= s->heap[0].t) {
        uint32_t slot;
        if (s->n_free) {
            slot = s->free_slots[--s->n_free];
        } else {
            SP_GROW(s->slots, s->cap_slots, s->n_slots + 1);
            s->left = sp_xrealloc(s->left, s->cap_slots);
            slot = (uint32_t)s->n_slots++;
        }
        inc_desc *d = &s->slots[slot];
        inc_describe(s->w, s->arr.k, s->arr.t, d);
        uint8_t n = s->alerts ? d->n_alerts : d->n_rows;
        s->left[slot] = n;
        for (uint8_t i = 0; i < n; i++) {
            pend p = {s->alerts ? d->alert_t[i] : d->rows[i].t, s->seq++, slot, i};
            heap_push(s, p);
        }
        inc_arrivals_step(&s->arr, s->w);
    }
    s->base.next = s->heap[0].t;
}

static void inc_emit(gen_stream *base, gen *g, void *model)
{
    (void)g;
    inc_stream *s = (inc_stream *)base;
    pend p = heap_pop(s);
    struct gen_incident_row *m = model;
    m->d = s->slots[p.slot];
    m->idx = p.idx;
    if (--s->left[p.slot] == 0) {
        SP_GROW(s->free_slots, s->cap_free, s->n_free + 1);
        s->free_slots[s->n_free++] = p.slot;
    }
    pump(s);
}

static void inc_free(gen_stream *base)
{
    inc_stream *s = (inc_stream *)base;
    free(s->heap);
    free(s->slots);
    free(s->left);
    free(s->free_slots);
    free(s);
}

gen_stream *incident_stream_new(gen *g, bool alerts)
{
    const struct gen_ctx_view *c = gen_ctx(g);
    inc_stream *s = sp_xcalloc(1, sizeof *s);
    s->base.emit = inc_emit;
    s->base.free = inc_free;
    s->w = c->world;
    s->alerts = alerts;
    inc_arrivals_init(&s->arr, c, c->rates[alerts ? GT_ALERT : GT_INCIDENT] / (alerts ? INC_MEAN_ALERTS : INC_MEAN_ROWS));
    pump(s);
    return &s->base;
}

/* ---- rendering ---- */

static const char *const status_names[] = {"New", "Active", "Closed"};
static const char *const cls_names[] = {"", "TruePositive", "BenignPositive", "FalsePositive", "Undetermined"};
static const char *const cls_reasons[] = {"", "SuspiciousActivity", "SuspiciousButExpected", "IncorrectAlertLogic", ""};
static const char *const cls_comments[] = {"", "Confirmed with the user: credentials were reset and sessions revoked.",
                                           "Expected activity: user travelling, confirmed by manager.",
                                           "Rule matched a known service account; tuning requested.",
                                           "Not enough data to conclude."};

static void put_q36(sp_buf *b, const char *s)
{
    sp_buf_putc(b, '"');
    sp_buf_append(b, s, 36);
    sp_buf_putc(b, '"');
}

static void put_owner(sp_buf *b, const gen_user *a, bool assigned)
{
    if (!assigned) {
        W_LIT(b, "{\"objectId\":null,\"email\":null,\"assignedTo\":null,\"userPrincipalName\":null}");
        return;
    }
    W_LIT(b, "{\"objectId\":");
    put_q36(b, a->oid);
    W_LIT(b, ",\"email\":");
    w_qstr(b, a->upn);
    W_LIT(b, ",\"assignedTo\":");
    w_qstr(b, a->name);
    W_LIT(b, ",\"userPrincipalName\":");
    w_qstr(b, a->upn);
    sp_buf_putc(b, '}');
}

static void put_alert_ids(sp_buf *b, const inc_desc *d, int n)
{
    sp_buf_putc(b, '[');
    for (int j = 0; j < n; j++) {
        if (j)
            sp_buf_putc(b, ',');
        w_qguid(b, d->alert_ids[j]);
    }
    sp_buf_putc(b, ']');
}

static void workspace_path(sp_buf *b, const gen_world *w)
{
    W_LIT(b, "/subscriptions/");
    sp_buf_append(b, w->subscription, 36);
    W_LIT(b, "/resourceGroups/rg-sentinel/providers/Microsoft.OperationalInsights/workspaces/law-contoso-sentinel");
}

void incident_render(gen *g, const void *model, gen_envelope env, sp_buf *out, gen_event *ev)
{
    (void)env;
    const struct gen_incident_row *m = model;
    const gen_world *w = gen_world_of(g);
    const inc_desc *d = &m->d;
    const inc_row *row = &d->rows[m->idx];
    const inc_rule *rule = &rules[d->rule];
    const gen_user *an = &w->users[d->analyst];
    bool xdr = d->xdr;
    int64_t tg = row->t + 3 * SP_TICKS_PER_SEC;
    sp_buf_reserve(out, 3072);
    W_LIT(out, "{\"TimeGenerated\":");
    w_qdt(out, tg);
    W_LIT(out, ",\"TenantId\":");
    put_q36(out, w->workspace);
    W_LIT(out, ",\"SourceSystem\":\"Azure\",\"IncidentName\":");
    w_qguid(out, d->name);
    W_LIT(out, ",\"Title\":");
    w_qstr(out, d->title);
    if (!xdr)
        W_LIT(out, ",\"Description\":\"Generated by the Microsoft Sentinel analytics rule of the same name.\"");
    W_LIT(out, ",\"Severity\":");
    w_qstr(out, rule->severity);
    W_LIT(out, ",\"Status\":");
    w_qstr(out, status_names[row->status]);
    if (row->status == ST_CLOSED) {
        W_LIT(out, ",\"Classification\":");
        w_qstr(out, cls_names[d->cls]);
        W_LIT(out, ",\"ClassificationComment\":");
        w_qstr(out, cls_comments[d->cls]);
        if (cls_reasons[d->cls][0]) {
            W_LIT(out, ",\"ClassificationReason\":");
            w_qstr(out, cls_reasons[d->cls]);
        }
    }
    W_LIT(out, ",\"Owner\":");
    put_owner(out, an, row->owner);
    W_LIT(out, ",\"ProviderName\":");
    w_qstr(out, xdr ? "Microsoft XDR" : "Azure Sentinel");
    W_LIT(out, ",\"ProviderIncidentId\":\"");
    w_u64(out, xdr ? 20000 + d->number : d->number);
    W_LIT(out, "\",\"FirstActivityTime\":");
    w_qdt(out, d->alert_t[0] - 10 * SP_TICKS_PER_MIN);
    W_LIT(out, ",\"LastActivityTime\":");
    w_qdt(out, d->alert_t[row->alerts - 1]);
    if (m->idx > 0) {
        W_LIT(out, ",\"FirstModifiedTime\":");
        w_qdt(out, d->rows[1].t);
    }
    W_LIT(out, ",\"LastModifiedTime\":");
    w_qdt(out, row->t);
    W_LIT(out, ",\"CreatedTime\":");
    w_qdt(out, d->created);
    if (row->status == ST_CLOSED) {
        W_LIT(out, ",\"ClosedTime\":");
        w_qdt(out, row->t);
    }
    W_LIT(out, ",\"IncidentNumber\":");
    w_u64(out, d->number);
    W_LIT(out, ",\"RelatedAnalyticRuleIds\":[");
    if (d->rule_id && !xdr) {
        sp_buf_putc(out, '"');
        sp_buf_puts(out, d->rule_id);
        sp_buf_putc(out, '"');
    }
    W_LIT(out, "],\"AlertIds\":");
    put_alert_ids(out, d, row->alerts);
    W_LIT(out, ",\"BookmarkIds\":[],\"Comments\":[");
    for (int c = 0; c < row->comments; c++) {
        if (c)
            sp_buf_putc(out, ',');
        W_LIT(out, "{\"message\":\"Reviewed sign-in history and contacted the user.\",\"createdTimeUtc\":");
        w_qdt(out, row->t);
        W_LIT(out, ",\"author\":{\"name\":");
        w_qstr(out, an->name);
        W_LIT(out, ",\"email\":");
        w_qstr(out, an->upn);
        W_LIT(out, "}}");
    }
    W_LIT(out, "],\"Tasks\":[],\"Labels\":");
    if (d->labeled && m->idx > 0)
        W_LIT(out, "[{\"labelName\":\"Auto-triaged\",\"labelType\":\"AutoAssigned\"}]");
    else
        W_LIT(out, "[]");
    W_LIT(out, ",\"IncidentUrl\":\"");
    if (xdr) {
        W_LIT(out, "https://security.microsoft.com/incident2/");
        w_u64(out, 20000 + d->number);
        W_LIT(out, "/overview?tid=");
        sp_buf_append(out, w->tenant, 36);
    } else {
        W_LIT(out, "https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident");
        workspace_path(out, w);
        W_LIT(out, "/providers/Microsoft.SecurityInsights/Incidents/");
        w_guid(out, d->name);
    }
    W_LIT(out, "\",\"AdditionalData\":{\"alertsCount\":");
    w_u64(out, row->alerts);
    W_LIT(out, ",\"bookmarksCount\":0,\"commentsCount\":");
    w_u64(out, row->comments);
    W_LIT(out, ",\"alertProductNames\":[");
    w_qstr(out, rule_products[rule->kind]);
    W_LIT(out, "],\"tactics\":[");
    w_qstr(out, rule->tactic);
    W_LIT(out, "],\"techniques\":[");
    w_qstr(out, rule->technique);
    sp_buf_putc(out, ']');
    if (xdr) {
        W_LIT(out, ",\"providerIncidentUrl\":\"https://security.microsoft.com/incidents/");
        w_u64(out, 20000 + d->number);
        W_LIT(out, "?tid=");
        sp_buf_append(out, w->tenant, 36);
        sp_buf_putc(out, '"');
    }
    sp_buf_putc(out, '}');
    static const char *const by[] = {"", "Automation rule - Assign to SOC Tier 1", NULL, "Alert updated"};
    const char *mod = row->by == BY_ANALYST ? an->upn : by[row->by];
    if (mod[0]) {
        W_LIT(out, ",\"ModifiedBy\":");
        w_qstr(out, mod);
    }
    W_LIT(out, ",\"Type\":\"SecurityIncident\"}");
    /* Rows of one incident share IncidentName; the label key of a row is
     * IncidentName@LastModifiedTime, as written in the row. */
    char key[37], id[96];
    guid_str(d->name, key);
    sp_buf *k = gen_scratch(g, 1);
    k->len = 0;
    sp_buf_append(k, key, 36);
    sp_buf_putc(k, '@');
    w_dt(k, row->t);
    memcpy(id, k->data, k->len);
    id[k->len] = 0;
    gen_event_set_str(g, ev, id, key, tg);
}

void alert_render(gen *g, const void *model, gen_envelope env, sp_buf *out, gen_event *ev)
{
    (void)env;
    const struct gen_incident_row *m = model;
    const gen_world *w = gen_world_of(g);
    const inc_desc *d = &m->d;
    const inc_rule *rule = &rules[d->rule];
    const gen_user *u = &w->users[d->user];
    const gen_ip *ip = &w->ips[d->ip];
    bool xdr = rule->kind >= RK_IPC;
    int64_t t = d->alert_t[m->idx];
    gen_guid aid = d->alert_ids[m->idx];
    sp_buf *s = gen_scratch(g, 0);
    sp_buf_reserve(out, 3072);
    W_LIT(out, "{\"TimeGenerated\":");
    w_qdt(out, t);
    W_LIT(out, ",\"DisplayName\":");
    w_qstr(out, rule->name);
    W_LIT(out, ",\"AlertName\":");
    w_qstr(out, rule->name);
    W_LIT(out, ",\"AlertSeverity\":");
    w_qstr(out, rule->severity);
    W_LIT(out, ",\"Description\":");
    w_qstr(out, xdr ? "Microsoft detected activity that matches this alert's pattern for the account below."
                    : "Generated by a Microsoft Sentinel scheduled analytics rule.");
    W_LIT(out, ",\"ProviderName\":");
    w_qstr(out, rule_providers[rule->kind]);
    W_LIT(out, ",\"VendorName\":\"Microsoft\",\"VendorOriginalId\":\"");
    if (xdr) {
        W_LIT(out, "da");
        w_u64(out, (uint64_t)gen_unix_ms(t) * 1000 + (aid.lo % 1000));
    } else {
        w_guid(out, guid_from(aid.hi, aid.lo, 3));
    }
    W_LIT(out, "\",\"SystemAlertId\":");
    w_qguid(out, aid);
    W_LIT(out, ",\"AlertType\":\"");
    if (xdr) {
        sp_buf_puts(out, rule->alert_type);
    } else {
        sp_buf_append(out, w->workspace, 36);
        sp_buf_putc(out, '_');
        sp_buf_puts(out, d->rule_id);
    }
    W_LIT(out, "\",\"ConfidenceLevel\":\"Unknown\",\"IsIncident\":false,\"StartTime\":");
    w_qdt(out, t - (xdr ? 2 : 60) * SP_TICKS_PER_MIN);
    W_LIT(out, ",\"EndTime\":");
    w_qdt(out, t - SP_TICKS_PER_MIN);
    W_LIT(out, ",\"ProcessingEndTime\":");
    w_qdt(out, t + 40 * SP_TICKS_PER_SEC);
    W_LIT(out, ",\"RemediationSteps\":");
    w_qstr(out, xdr ? "[\"Review the sign-in activity of the account.\",\"Reset the password and revoke sessions if the activity is not recognised.\"]"
                    : "[]");
    /* ExtendedProperties and Entities are JSON text in this table */
    s->len = 0;
    if (xdr) {
        W_LIT(s, "{\"IncidentId\":\"");
        w_u64(s, 20000 + d->number);
        W_LIT(s, "\",\"OriginalProductName\":");
        w_qstr(s, product_names[rule->kind]);
        W_LIT(s, ",\"Detection Source\":");
        w_qstr(s, product_names[rule->kind]);
        sp_buf_putc(s, '}');
    } else {
        W_LIT(s, "{\"Query Period\":\"1.00:00:00\",\"Trigger Operator\":\"GreaterThan\",\"Trigger Threshold\":\"0\",\"Correlation Id\":");
        w_qguid(s, guid_from(aid.hi, aid.lo, 4));
        W_LIT(s, ",\"Search Query Results Overall Count\":\"");
        w_u64(s, 1 + aid.lo % 40);
        W_LIT(s, "\",\"Data Sources\":\"[\\\"Azure Active Directory\\\"]\",\"Query Start Time UTC\":\"");
        w_dt_sec(s, t - SP_TICKS_PER_DAY - SP_TICKS_PER_MIN, true);
        W_LIT(s, "\",\"Query End Time UTC\":\"");
        w_dt_sec(s, t - SP_TICKS_PER_MIN, true);
        W_LIT(s, "\",\"Analytic Rule Ids\":\"[\\\"");
        sp_buf_puts(s, d->rule_id);
        W_LIT(s, "\\\"]\",\"Event Grouping\":\"SingleAlert\",\"Analytic Rule Name\":");
        w_qstr(s, rule->name);
        sp_buf_putc(s, '}');
    }
    W_LIT(out, ",\"ExtendedProperties\":");
    w_as_text(out, s->data, s->len);
    s->len = 0;
    const char *at = strchr(u->upn, '@');
    W_LIT(s, "[{\"$id\":\"2\",\"Name\":");
    sp_buf_json_string(s, u->upn, at ? (size_t)(at - u->upn) : strlen(u->upn));
    W_LIT(s, ",\"UPNSuffix\":");
    w_qstr(s, at ? at + 1 : "");
    W_LIT(s, ",\"AadUserId\":");
    put_q36(s, u->oid);
    W_LIT(s, ",\"Type\":\"account\"},{\"$id\":\"3\",\"Address\":\"");
    sp_buf_append(s, ip->s, ip->len);
    W_LIT(s, "\",\"Location\":{\"CountryCode\":");
    w_qstr(s, gen_cities[ip->city].cc);
    W_LIT(s, ",\"City\":");
    w_qstr(s, gen_cities[ip->city].city);
    W_LIT(s, "},\"Type\":\"ip\"}]");
    W_LIT(out, ",\"Entities\":");
    w_as_text(out, s->data, s->len);
    W_LIT(out, ",\"WorkspaceSubscriptionId\":");
    put_q36(out, w->subscription);
    W_LIT(out, ",\"WorkspaceResourceGroup\":\"rg-sentinel\",\"ProductName\":");
    w_qstr(out, rule_products[rule->kind]);
    if (!xdr) {
        W_LIT(out, ",\"ProductComponentName\":");
        w_qstr(out, rule->kind == RK_NRT ? "NRT Alerts" : "Scheduled Alerts");
    } else {
        W_LIT(out, ",\"AlertLink\":\"https://security.microsoft.com/alerts/da");
        w_u64(out, (uint64_t)gen_unix_ms(t) * 1000 + (aid.lo % 1000));
        sp_buf_putc(out, '"');
    }
    W_LIT(out, ",\"Status\":\"New\",\"CompromisedEntity\":");
    w_qstr(out, u->upn);
    W_LIT(out, ",\"Tactics\":");
    w_qstr(out, rule->tactic);
    W_LIT(out, ",\"Techniques\":\"[\\\"");
    sp_buf_puts(out, rule->technique);
    W_LIT(out, "\\\"]\",\"SubTechniques\":\"[]\",\"Type\":\"SecurityAlert\"}");
    gen_event_set(g, ev, aid, u->oid, t);
}

/* SentinelHealth automation runs describe incident k through this. */
void inc_summary(const gen_world *w, uint64_t k, int64_t t0, inc_summary_t *out)
{
    inc_desc d;
    inc_describe(w, k, t0, &d);
    out->number = d.number;
    out->name = d.name;
    out->severity = rules[d.rule].severity;
    out->xdr = rules[d.rule].kind >= RK_IPC;
    out->closed = d.rows[d.n_rows - 1].status == ST_CLOSED;
}
