/* health.c — SentinelHealth: the health records Microsoft Sentinel writes about its own
 * data connectors, analytics rules, automation rules and playbooks.
 *
 * Analytics rules run on their schedules (NRT rules every minute, scheduled rules every
 * 5 minutes to a day) and now and then fail; data connectors are healthy most of the
 * time and go through failure episodes (a status change to Failure, hourly failure
 * summaries, a status change back to Success); every incident of the shared incident
 * process triggers an automation rule run and usually a playbook, naming the same
 * incident numbers SecurityIncident carries. All resources are tasks with a next-run
 * time; the stream emits whichever is due first.
 */
#include "bench/gen/gen_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct connector_def {
    const char *name, *kind, *table;
    bool scenario; /* only attack scenarios write about it */
} connector_def;

static const connector_def connectors[] = {
    {"Microsoft Entra ID", "AzureActiveDirectory", "SigninLogs", false},
    {"Azure Activity", "AzureActivity", "AzureActivity", false},
    {"Microsoft Defender XDR", "MicrosoftThreatProtection", "SecurityIncident", false},
    {"Office 365", "Office365", "OfficeActivity", false},
    {"Syslog via AMA", "SyslogAma", "Syslog", false},
    {"Common Event Format (CEF) via AMA", "CefAma", "CommonSecurityLog", false},
    {"Amazon Web Services S3", "AmazonWebServicesS3", "AWSCloudTrail", false},
    {"Microsoft Defender for Cloud", "AzureSecurityCenter", "SecurityAlert", false},
    {"Threat Intelligence - TAXII", "ThreatIntelligenceTaxii", "ThreatIntelligenceIndicator", false},
    {"Microsoft Entra ID Protection", "AzureActiveDirectoryIdentityProtection", "SecurityAlert", false},
    {"Windows Security Events via AMA", "WindowsSecurityEvents", "SecurityEvent", false},
    {"Microsoft 365 Insider Risk Management", "OfficeIRM", "SecurityAlert", false},
    /* scenario-only connectors (health scenarios in scenario.c) */
    {"Okta Single Sign-On", "OktaSSOv2", "Okta_CL", true},
    {"Cisco Meraki", "CiscoMeraki", "CiscoMeraki_CL", true},
    {"Google Workspace (G Suite)", "GoogleWorkspaceReports", "GWorkspace_ReportsAPI_CL", true},
    {"Palo Alto Networks (Firewall)", "PaloAltoNetworksAma", "CommonSecurityLog", true},
};

typedef struct rule_def {
    const char *name, *id;
    uint32_t freq_min, period_min; /* freq 0 = NRT */
    bool scenario;                 /* only attack scenarios run it */
} rule_def;

static const rule_def arules[] = {
    {"Password spray attack against Azure AD application", "48607a29-a26a-4abf-8078-a06dbdd174a4", 1440, 10080, false},
    {"Attempts to sign in to disabled accounts", "75ea5c39-93e5-489b-b1e1-68fa6c9d2d04", 1440, 1440, false},
    {"MFA Rejected by User", "d99cf5c3-d660-436c-895b-8a8f8448da23", 60, 60, false},
    {"NRT MFA Rejected by User", "3617d76d-b15e-4c6f-985e-a1dac73c592d", 0, 0, false},
    {"Brute force attack against Azure Portal", "28b42356-45af-40a6-a0b4-a554cdfd5d8a", 1440, 1440, false},
    {"Authentication Attempt from New Country", "ef895ada-e8e8-4cf0-9313-b1ab67fab69f", 1440, 20160, false},
    {"Explicit MFA Deny", "a22740ec-fc1e-4c91-8de6-c29c6450ad00", 1440, 1440, false},
    {"Failed login attempts to Azure Portal", "223db5c1-1bf8-47d8-8806-bed401b356a4", 1440, 10080, false},
    {"Service Principal Authentication Attempt from New Country", "1baaaf00-655f-4de9-8ff8-312e902cda71", 1440, 20160, false},
    {"Suspicious Service Principal creation activity", "6852d9da-8015-4b95-8ecf-d9572ee0395d", 60, 70, false},
    {"Distributed Password cracking attempts in AzureAD", "bfb1c90f-8006-4325-98be-c7fffbc254d6", 1440, 1440, false},
    {"Anomalous sign-in location by user account and authenticating application", "7cb8f77d-c52f-4e46-b82f-3cf2e106224a", 1440, 20160, false},
    {"Azure Portal Signin from another Azure Tenant", "87210ca1-49a4-4a7d-bb4a-4988752f978c", 60, 60, false},
    {"Azure Active Directory PowerShell accessing non-AAD resources", "50574fac-f8d1-4395-81c7-78a463ff0c52", 60, 60, false},
    {"Password spray attack against Azure AD Seamless SSO", "fb7ca1c9-e14c-40a3-856e-28f3c14ea1ba", 60, 60, false},
    {"GitHub Signin Burst from Multiple Locations", "d3980830-dd9d-40a5-911f-76b44dfdce16", 60, 60, false},
    {"Successful logon from IP and failure from a different IP", "02ef8d7e-fc3a-4d86-a457-650fa571d8d2", 1440, 1440, false},
    {"User Accounts - Sign in Failure due to CA Spikes", "3a9d5ede-2b9d-43a2-acc4-d272321ff77c", 1440, 20160, false},
    {"TI map IP entity to SigninLogs", "f2eb15bd-8a88-4b24-9281-e133edfba315", 60, 20160, false},
    {"Privileged User Logon from new ASN", "55073036-bb86-47d3-a85a-b113ac3d9396", 1440, 10080, false},
    {"Malicious Inbox Rule", "7b907bf7-77d4-41d0-a208-5643ff75bf9a", 1440, 1440, false},
    {"NRT Malicious Inbox Rule", "b79f6190-d104-4691-b7db-823e05980895", 0, 0, false},
    {"Rare and potentially high-risk Office operations", "957cb240-f45d-4491-9ba5-93430a3c08be", 1440, 1440, false},
    {"Insider Risk_High User Security Incidents Correlation", "28a75d10-9b75-4192-9863-e452c3ad24db", 10080, 10080, false},
    {"Copilot: sensitive content accessed through Copilot", NULL, 15, 15, false},
    {"Copilot: jailbreak attempt detected", NULL, 5, 5, false},
    /* scenario-only rules: a custom rule that breaks, socpipe's own rules (socpipe
     * reports its rule runs in the same shape), heartbeat-style rules whose runs stop */
    {"Custom - Mailbox forwarding to external domain", NULL, 15, 15, true},
    {"socpipe: MFA fatigue (repeated MFA denials then success)", NULL, 15, 60, true},
    {"Custom - Rare Azure CLI use by non-admins", NULL, 15, 60, true},
    {"Custom - Entra ID sign-in volume baseline", NULL, 15, 15, true},
    {"Custom - Defender XDR incident sync check", NULL, 15, 15, true},
};

static const char *const autom_names[] = {"Assign to SOC Tier 1", "Enrich incident with user details",
                                          "Notify on High severity", "Tag Defender XDR incidents"};
static const char *const playbooks[] = {"Enrich-IP-Reputation", "Notify-Teams-SOC-Channel",
                                        "Block-User-EntraID", "Reset-User-Password"};


_Static_assert(sizeof(struct gen_health) <= GEN_MODEL_BYTES, "model too large");

#define N_CONN SP_ARRAY_LEN(connectors)
#define N_RULES SP_ARRAY_LEN(arules)

typedef struct health_stream {
    gen_stream base;
    gen_rng rng;
    gen_world *w;
    double scale;                 /* speeds every schedule up for --rate */
    int64_t rule_next[N_RULES];
    int64_t conn_next[N_CONN];
    uint8_t conn_failing[N_CONN]; /* 0 healthy; else 1 + reason */
    int64_t conn_until[N_CONN];
    uint8_t rule_failed[N_RULES]; /* the last run failed: the next one succeeds */
    inc_arrivals arr;
    struct gen_health pending_pb; /* playbook run after an automation run */
    bool has_pending;
} health_stream;

static int64_t rule_period(const health_stream *s, size_t r)
{
    uint32_t f = arules[r].freq_min ? arules[r].freq_min : 1;
    return (int64_t)((double)f * SP_TICKS_PER_MIN / s->scale);
}

static int64_t conn_gap(health_stream *s)
{
    /* a failure episode every ~3 days per connector */
    return (int64_t)(3.0 * SP_TICKS_PER_DAY * rng_exp1(&s->rng) / s->scale) + SP_TICKS_PER_MIN;
}

/* Which task is due first: 0..N_RULES-1 rules, then connectors, then the next incident,
 * then a pending playbook run. */
static int64_t next_due(const health_stream *s, int *which)
{
    int64_t best = s->arr.t;
    *which = (int)(N_RULES + N_CONN);
    for (size_t r = 0; r < N_RULES; r++)
        if (s->rule_next[r] < best) {
            best = s->rule_next[r];
            *which = (int)r;
        }
    for (size_t c = 0; c < N_CONN; c++)
        if (s->conn_next[c] < best) {
            best = s->conn_next[c];
            *which = (int)(N_RULES + c);
        }
    if (s->has_pending && s->pending_pb.time <= best) {
        best = s->pending_pb.time;
        *which = -1;
    }
    return best;
}

static void health_emit(gen_stream *base, gen *g, void *model)
{
    (void)g;
    health_stream *s = (health_stream *)base;
    gen_rng *r = &s->rng;
    struct gen_health *m = model;
    int which;
    int64_t t = next_due(s, &which);
    if (which == -1) {
        *m = s->pending_pb;
        s->has_pending = false;
    } else {
        memset(m, 0, sizeof *m);
        m->time = t;
        m->record = rng_guid(r);
        if (which < (int)N_RULES) {
            size_t ri = (size_t)which;
            m->kind = HK_RULE;
            m->res = (uint16_t)ri;
            m->corr = rng_guid(r);
            int64_t period = arules[ri].freq_min ? (int64_t)arules[ri].period_min * SP_TICKS_PER_MIN : SP_TICKS_PER_MIN;
            m->q_end = t - 5 * SP_TICKS_PER_MIN;
            m->q_start = m->q_end - period;
            /* transient failures only, never twice in a row: a rule that keeps
             * failing (SemanticError) is the rule_run_failure scenario */
            m->status = rng_bp(r, 150) && !s->rule_failed[ri] ? 1 : 0;
            m->reason = (uint8_t)rng_below(r, 2);
            s->rule_failed[ri] = m->status;
            m->results = m->status ? 0 : (uint16_t)(rng_bp(r, 800) ? 1 + rng_below(r, 12) : 0);
            m->alerts = m->results ? 1 : 0;
            s->rule_next[ri] = t + rule_period(s, ri) + (int64_t)rng_below(r, 20) * SP_TICKS_PER_SEC;
        } else if (which < (int)(N_RULES + N_CONN)) {
            size_t c = (size_t)which - N_RULES;
            m->res = (uint16_t)c;
            if (!s->conn_failing[c]) { /* a transient episode starts: back within 20 min */
                s->conn_failing[c] = (uint8_t)(1 + rng_below(r, 4));
                s->conn_until[c] = t + (int64_t)((5 + rng_below(r, 16)) * SP_TICKS_PER_MIN / s->scale);
                m->kind = HK_CONN_CHANGE;
                m->status = 1;
                m->reason = (uint8_t)(s->conn_failing[c] - 1);
                s->conn_next[c] = SP_MIN(t + (int64_t)(SP_TICKS_PER_HOUR / s->scale), s->conn_until[c]);
            } else if (t < s->conn_until[c]) { /* hourly summary while failing */
                m->kind = HK_CONN_SUMMARY;
                m->status = 3;
                m->reason = (uint8_t)(s->conn_failing[c] - 1);
                m->failures = (uint16_t)(5 + rng_below(r, 55));
                s->conn_next[c] = SP_MIN(t + (int64_t)(SP_TICKS_PER_HOUR / s->scale), s->conn_until[c]);
            } else { /* recovered */
                m->kind = HK_CONN_CHANGE;
                m->status = 0;
                s->conn_failing[c] = 0;
                s->conn_next[c] = t + conn_gap(s);
            }
        } else {
            m->kind = HK_AUTOMATION;
            inc_summary(s->w, s->arr.k, t, &m->inc);
            m->time = t + (int64_t)(2 + rng_below(r, 20)) * SP_TICKS_PER_SEC;
            m->res = (uint16_t)(m->inc.xdr ? 3 : rng_below(r, 3));
            m->actions = (uint8_t)(1 + rng_below(r, 3));
            uint32_t x = rng_below(r, 100);
            m->status = x < 93 ? 0 : x < 97 ? 2 : 1;
            m->ok_actions = m->status == 0 ? m->actions : m->status == 2 ? m->actions - 1 : 0;
            m->playbook = (uint8_t)rng_below(r, (uint32_t)SP_ARRAY_LEN(playbooks));
            m->run = rng_guid(r);
            if (m->status != 1 && rng_bp(r, 7000)) {
                s->pending_pb = *m;
                s->pending_pb.kind = HK_PLAYBOOK;
                s->pending_pb.record = rng_guid(r);
                s->pending_pb.time = m->time + SP_TICKS_PER_SEC;
                s->pending_pb.status = rng_bp(r, 9800) ? 0 : 1;
                s->has_pending = true;
            }
            inc_arrivals_step(&s->arr, s->w);
        }
    }
    s->base.next = next_due(s, &which);
}

int health_rule_find(const char *name)
{
    for (size_t r = 0; r < N_RULES; r++)
        if (!strcmp(arules[r].name, name))
            return (int)r;
    return -1;
}

int health_connector_find(const char *name)
{
    for (size_t c = 0; c < N_CONN; c++)
        if (!strcmp(connectors[c].name, name))
            return (int)c;
    return -1;
}

void health_rule_schedule(int rule, int64_t *freq, int64_t *period)
{
    const rule_def *rd = &arules[rule];
    *freq = (int64_t)(rd->freq_min ? rd->freq_min : 1) * SP_TICKS_PER_MIN;
    *period = (int64_t)(rd->freq_min ? rd->period_min : 1) * SP_TICKS_PER_MIN;
}

static void health_free(gen_stream *base)
{
    free(base);
}

/* Records per second the schedules above produce at scale 1. */
double health_default_rate(void)
{
    double per_min = 0;
    size_t n_conn = 0;
    for (size_t r = 0; r < N_RULES; r++)
        if (!arules[r].scenario)
            per_min += 1.0 / (arules[r].freq_min ? arules[r].freq_min : 1);
    for (size_t c = 0; c < N_CONN; c++)
        n_conn += !connectors[c].scenario;
    double conn = (double)n_conn * 2.0 / (3.0 * 86400); /* two status changes per episode */
    return per_min / 60 + conn + GEN_INCIDENT_RATE * 1.7;
}

gen_stream *health_stream_new(gen *g)
{
    const struct gen_ctx_view *c = gen_ctx(g);
    health_stream *s = sp_xcalloc(1, sizeof *s);
    s->base.emit = health_emit;
    s->base.free = health_free;
    s->w = c->world;
    s->scale = c->rates[GT_HEALTH] / health_default_rate();
    rng_seed(&s->rng, c->seed, 500);
    for (size_t r = 0; r < N_RULES; r++)
        s->rule_next[r] = c->start + (int64_t)(rng_unit(&s->rng) * (double)rule_period(s, r));
    for (size_t k = 0; k < N_CONN; k++)
        s->conn_next[k] = c->start + conn_gap(s);
    for (size_t r = 0; r < N_RULES; r++)
        if (arules[r].scenario)
            s->rule_next[r] = INT64_MAX;
    for (size_t k = 0; k < N_CONN; k++)
        if (connectors[k].scenario)
            s->conn_next[k] = INT64_MAX;
    inc_arrivals_init(&s->arr, c, GEN_INCIDENT_RATE * s->scale);
    int which;
    s->base.next = next_due(s, &which);
    return &s->base;
}

/* ---- rendering ---- */

static const char *const conn_reasons[][2] = {
    {"Unauthorized", "The connector's credentials were rejected (401). Reconnect the data connector with valid credentials."},
    {"Throttling", "The data source throttled requests (429); data will be fetched again after the back-off period."},
    {"ServiceUnavailable", "The data source was unavailable (503)."},
    {"Forbidden", "The connector is not permitted to read from the data source (403). Check the permissions of the app registration."},
};
static const char *const rule_reasons[][2] = {
    {"QueryTimeout", "The query was canceled because it exceeded the allowed execution time."},
    {"InternalServerError", "The rule failed to run because of a temporary service issue and will run again at its next scheduled time."},
    {"SemanticError", "The query references a table or column that does not exist in the workspace."},
};

static void ws_path(sp_buf *b, const gen_world *w)
{
    W_LIT(b, "/subscriptions/");
    sp_buf_append(b, w->subscription, 36);
    W_LIT(b, "/resourceGroups/rg-sentinel/providers/Microsoft.OperationalInsights/workspaces/law-contoso-sentinel");
}

static void timespan_q(sp_buf *b, int64_t minutes)
{
    char tmp[40];
    sp_buf_putc(b, '"');
    sp_timespan_format(minutes * SP_TICKS_PER_MIN, tmp);
    sp_buf_puts(b, tmp);
    sp_buf_putc(b, '"');
}

static void run_id(sp_buf *b, gen_guid g)
{
    /* Logic Apps run ids: 29 digits and a scale-unit suffix */
    W_LIT(b, "\"0858");
    for (int i = 0; i < 25; i++)
        sp_buf_putc(b, (char)('0' + (i < 16 ? (g.hi >> (i * 4)) : (g.lo >> ((i - 16) * 4))) % 10));
    W_LIT(b, "CU");
    w_u64(b, 10 + g.lo % 80);
    sp_buf_putc(b, '"');
}

static void playbook_id(sp_buf *b, const gen_world *w, int p)
{
    W_LIT(b, "/subscriptions/");
    sp_buf_append(b, w->subscription, 36);
    W_LIT(b, "/resourceGroups/rg-sentinel-playbooks/providers/Microsoft.Logic/workflows/");
    sp_buf_puts(b, playbooks[p]);
}

void health_render(gen *g, const void *model, gen_envelope env, sp_buf *out, gen_event *ev)
{
    (void)env;
    const struct gen_health *m = model;
    const gen_world *w = gen_world_of(g);
    static const char *const status_names[] = {"Success", "Failure", "Partial success", "Informational"};
    static const char *const op_names[] = {"Data fetch status change", "Data fetch failure summary", "",
                                           "Automation rule run", "Playbook was triggered"};
    const char *name, *rtype, *kind = NULL, *reason = NULL, *desc = NULL;
    char guidbuf[37];
    sp_buf_reserve(out, 2048);
    W_LIT(out, "{\"TimeGenerated\":");
    w_qdt(out, m->time);
    W_LIT(out, ",\"OperationName\":");
    if (m->kind == HK_RULE)
        w_qstr(out, arules[m->res].freq_min ? "Scheduled analytics rule run" : "NRT analytics rule run");
    else
        w_qstr(out, op_names[m->kind]);
    W_LIT(out, ",\"SentinelResourceId\":\"");
    switch (m->kind) {
    case HK_CONN_CHANGE: case HK_CONN_SUMMARY:
        name = connectors[m->res].name;
        rtype = "Data connector";
        kind = connectors[m->res].kind;
        ws_path(out, w);
        W_LIT(out, "/providers/Microsoft.SecurityInsights/dataConnectors/");
        w_guid(out, guid_from(w->seed ^ 0xc0, m->res, 0));
        if (m->status == 1 || m->kind == HK_CONN_SUMMARY) {
            reason = conn_reasons[m->reason][0];
            desc = conn_reasons[m->reason][1];
        } else {
            desc = "Data is being fetched successfully.";
        }
        break;
    case HK_RULE:
        name = arules[m->res].name;
        rtype = "Analytics rule";
        kind = arules[m->res].freq_min ? "Scheduled" : "NRT";
        ws_path(out, w);
        W_LIT(out, "/providers/Microsoft.SecurityInsights/alertRules/");
        if (arules[m->res].id) {
            sp_buf_puts(out, arules[m->res].id);
        } else {
            guid_str(guid_from(w->seed ^ 0xa1, m->res, 0), guidbuf);
            sp_buf_append(out, guidbuf, 36);
        }
        if (m->status == 1) {
            reason = rule_reasons[m->reason][0];
            desc = rule_reasons[m->reason][1];
        }
        break;
    case HK_AUTOMATION:
        name = autom_names[m->res];
        rtype = "Automation rule";
        ws_path(out, w);
        W_LIT(out, "/providers/Microsoft.SecurityInsights/automationRules/");
        w_guid(out, guid_from(w->seed ^ 0xa7, m->res, 0));
        if (m->status == 1) {
            reason = "Caller is missing required playbook triggering permissions";
            desc = "The automation rule could not trigger the playbook: Microsoft Sentinel is missing permissions on the playbook's resource group.";
        } else if (m->status == 2) {
            reason = "Some actions failed";
            desc = "One or more actions of the automation rule failed.";
        }
        break;
    default:
        name = playbooks[m->playbook];
        rtype = "Playbook";
        playbook_id(out, w, m->playbook);
        if (m->status == 1) {
            reason = "Playbook run failed";
            desc = "The Logic Apps workflow run failed; see its run history for details.";
        }
        break;
    }
    W_LIT(out, "\",\"SentinelResourceName\":");
    w_qstr(out, name);
    W_LIT(out, ",\"Status\":");
    w_qstr(out, status_names[m->status]);
    if (desc) {
        W_LIT(out, ",\"Description\":");
        w_qstr(out, desc);
    }
    if (reason) {
        W_LIT(out, ",\"Reason\":");
        w_qstr(out, reason);
    }
    W_LIT(out, ",\"WorkspaceId\":\"");
    sp_buf_append(out, w->workspace, 36);
    W_LIT(out, "\",\"SentinelResourceType\":");
    w_qstr(out, rtype);
    if (kind) {
        W_LIT(out, ",\"SentinelResourceKind\":");
        w_qstr(out, kind);
    }
    W_LIT(out, ",\"RecordId\":");
    w_qguid(out, m->record);
    W_LIT(out, ",\"ExtendedProperties\":{");
    switch (m->kind) {
    case HK_CONN_CHANGE:
        W_LIT(out, "\"DestinationTable\":");
        w_qstr(out, connectors[m->res].table);
        if (m->status == 1) {
            W_LIT(out, ",\"FailureReason\":");
            w_qstr(out, conn_reasons[m->reason][0]);
        }
        break;
    case HK_CONN_SUMMARY:
        W_LIT(out, "\"DestinationTable\":");
        w_qstr(out, connectors[m->res].table);
        W_LIT(out, ",\"FailureSummary\":[{\"StatusCode\":");
        w_qstr(out, conn_reasons[m->reason][0]);
        W_LIT(out, ",\"FailureCount\":");
        w_u64(out, m->failures);
        W_LIT(out, "}]");
        break;
    case HK_RULE: {
        const rule_def *rd = &arules[m->res];
        W_LIT(out, "\"AggregationKind\":\"SingleAlert\",\"AlertsGeneratedAmount\":");
        w_u64(out, m->alerts);
        W_LIT(out, ",\"CorrelationId\":");
        w_qguid(out, m->corr);
        W_LIT(out, ",\"EntitiesDroppedDueToMappingIssuesAmount\":0,\"EntitiesGeneratedAmount\":");
        w_u64(out, m->results * 2u);
        W_LIT(out, ",\"Issues\":[],\"QueryEndTimeUTC\":");
        w_qdt(out, m->q_end);
        if (rd->freq_min) {
            W_LIT(out, ",\"QueryFrequency\":");
            timespan_q(out, rd->freq_min);
            W_LIT(out, ",\"QueryPeriod\":");
            timespan_q(out, rd->period_min);
        }
        W_LIT(out, ",\"QueryResultAmount\":");
        w_u64(out, m->results);
        W_LIT(out, ",\"QueryStartTimeUTC\":");
        w_qdt(out, m->q_start);
        W_LIT(out, ",\"RuleId\":\"");
        if (rd->id) {
            sp_buf_puts(out, rd->id);
        } else {
            guid_str(guid_from(w->seed ^ 0xa1, m->res, 0), guidbuf);
            sp_buf_append(out, guidbuf, 36);
        }
        W_LIT(out, "\",\"SuppressionDuration\":\"05:00:00\",\"SuppressionEnabled\":\"False\",\"TriggerOperator\":\"GreaterThan\",\"TriggerThreshold\":0,\"TriggerType\":");
        w_qstr(out, rd->freq_min ? "Scheduled" : "NrtRun");
        break;
    }
    case HK_AUTOMATION:
        W_LIT(out, "\"ActionsTriggeredSuccessfully\":");
        w_u64(out, m->ok_actions);
        W_LIT(out, ",\"IncidentName\":\"");
        ws_path(out, w);
        W_LIT(out, "/providers/Microsoft.SecurityInsights/Incidents/");
        w_guid(out, m->inc.name);
        W_LIT(out, "\",\"IncidentNumber\":\"");
        w_u64(out, m->inc.number);
        W_LIT(out, "\",\"TotalActions\":");
        w_u64(out, m->actions);
        W_LIT(out, ",\"TriggeredOn\":\"Incident\",\"TriggeredPlaybooks\":[");
        if (m->status != 1) {
            W_LIT(out, "{\"RunId\":");
            run_id(out, m->run);
            W_LIT(out, ",\"WorkflowId\":\"");
            playbook_id(out, w, m->playbook);
            W_LIT(out, "\"}");
        }
        W_LIT(out, "],\"TriggeredWhen\":\"Created\"");
        break;
    default:
        W_LIT(out, "\"IncidentName\":\"");
        ws_path(out, w);
        W_LIT(out, "/providers/Microsoft.SecurityInsights/Incidents/");
        w_guid(out, m->inc.name);
        W_LIT(out, "\",\"IncidentNumber\":\"");
        w_u64(out, m->inc.number);
        W_LIT(out, "\",\"RunId\":");
        run_id(out, m->run);
        W_LIT(out, ",\"TriggeredByName\":{\"Name\":");
        w_qstr(out, autom_names[m->res]);
        W_LIT(out, ",\"ObjectId\":");
        w_qguid(out, guid_from(w->seed ^ 0xa7, m->res, 0));
        W_LIT(out, ",\"Type\":\"Automation rule\"},\"TriggeredOn\":\"Incident\"");
        break;
    }
    W_LIT(out, "},\"SourceSystem\":\"Azure\",\"TenantId\":\"");
    sp_buf_append(out, w->workspace, 36);
    W_LIT(out, "\",\"Type\":\"SentinelHealth\"}");
    gen_event_set(g, ev, m->record, name, m->time);
}
