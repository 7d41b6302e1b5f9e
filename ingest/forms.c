/* forms.c — what socpipe knows about Microsoft's record shapes: which envelope a record
 * is in, which table it belongs to, and what each key means there (SCHEMAS.md).
 *
 * Everything here is data and pure functions, kept apart from the hot path: the mapper
 * asks for a key's rule once per (table, form) and caches the answer, so these lookups
 * can stay simple string comparisons.
 *
 * Choices worth knowing (documented for detection engineers):
 *   - MicrosoftServicePrincipalSignInLogs (Microsoft first-party service principals) go to
 *     AADServicePrincipalSignInLogs, as Sentinel's own connector does; Category keeps the
 *     original category so rules can tell them apart.
 *   - `callerIpAddress` and top-level `correlationId` are fallbacks: `properties.ipAddress`
 *     and `properties.correlationId` win when both exist (a differing fallback value is
 *     kept in AdditionalFields).
 *   - Unknown `properties.x` become column X (PascalCase) when the table has it, otherwise
 *     AdditionalFields.properties.x (the original shape and key).
 *   - TenantId is the Log Analytics workspace id, which socpipe does not have: it stays
 *     empty; the Entra tenant is in AADTenantId. Resource, ResourceGroup and
 *     ResourceProvider, which the workspace derives from resourceId, are derived the same
 *     way (`/tenants/<id>/providers/Microsoft.aadiam` -> Microsoft.aadiam in all three).
 *   - Purview: UserType numbers become their names (0 -> Regular) as Log Analytics shows
 *     them; the numeric RecordType of a Copilot record is kept in AdditionalFields
 *     (RecordType holds the operation name there); an OfficeActivity RecordType stays the
 *     number as text.
 */
#include "ingest/ingest_int.h"

#include <string.h>

const char *const ing_descend_keys[] = {"properties", "CopilotEventData"};
const int ing_ndescend_keys = 2;

#define KEQ(k, n, lit) ((n) == sizeof(lit) - 1 && memcmp((k), (lit), sizeof(lit) - 1) == 0)

bool ing_valid_table_name(const char *s, size_t n)
{
    if (n == 0 || n > 128 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* ---- routing -------------------------------------------------------------------------- */

static const struct {
    const char *category, *table;
} category_tables[] = {
    {"SignInLogs", "SigninLogs"},
    {"NonInteractiveUserSignInLogs", "AADNonInteractiveUserSignInLogs"},
    {"ServicePrincipalSignInLogs", "AADServicePrincipalSignInLogs"},
    {"ManagedIdentitySignInLogs", "AADManagedIdentitySignInLogs"},
    {"MicrosoftServicePrincipalSignInLogs", "AADServicePrincipalSignInLogs"},
    {"ADFSSignInLogs", "ADFSSignInLogs"},
    {"AuditLogs", "AuditLogs"},
    {"ProvisioningLogs", "AADProvisioningLogs"},
    {"RiskyUsers", "AADRiskyUsers"},
    {"UserRiskEvents", "AADUserRiskEvents"},
    {"RiskyServicePrincipals", "AADRiskyServicePrincipals"},
    {"ServicePrincipalRiskEvents", "AADServicePrincipalRiskEvents"},
};

/* Office 365 record types that are Copilot / AI interactions (Purview audit schema):
 * CopilotInteraction 261, AIAppInteraction 284, TeamCopilotInteraction 334, and the
 * Copilot plugin / prompt-book administration types 310-325. */
static bool is_copilot_record_type(int64_t rt)
{
    return rt == 261 || rt == 284 || rt == 334 || (rt >= 310 && rt <= 325);
}

static bool field_int(const ing_jfield *f, int64_t *v)
{
    if (f->kind == ING_J_INT) {
        *v = f->v.i;
        return true;
    }
    if (f->kind == ING_J_STRING)
        return sp_parse_i64(f->text, f->text_len, v);
    return false;
}

void ing_route_record(const ing_jfield *f, uint32_t n, ing_route *out)
{
    const ing_jfield *type = NULL, *time = NULL, *category = NULL, *rectype = NULL, *op = NULL,
                     *ctime = NULL;
    /* Only keys of these lengths matter: 4 Type/time, 8 category, 9 Operation,
     * 10 RecordType, 12 CreationTime. */
    const uint32_t lens = (1u << 4) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 12);
    for (uint32_t i = 0; i < n; i++) {
        const ing_jfield *x = &f[i];
        uint32_t kl = x->key_len;
        i += x->nchild;
        if (kl > 12 || !((lens >> kl) & 1))
            continue;
        const char *k = x->key;
        switch (kl) {
        case 4:
            if (KEQ(k, kl, "Type"))
                type = x;
            else if (KEQ(k, kl, "time"))
                time = x;
            break;
        case 8:
            if (KEQ(k, kl, "category"))
                category = x;
            break;
        case 9:
            if (KEQ(k, kl, "Operation"))
                op = x;
            break;
        case 10:
            if (KEQ(k, kl, "RecordType"))
                rectype = x;
            break;
        case 12:
            if (KEQ(k, kl, "CreationTime"))
                ctime = x;
            break;
        }
    }
    if (type && type->kind == ING_J_STRING && ing_valid_table_name(type->text, type->text_len)) {
        out->form = FORM_GENERIC;
        out->table = type->text;
        out->table_len = type->text_len;
        out->type_pos = (uint32_t)(type - f);
        return;
    }
    if (category && time && category->kind == ING_J_STRING) {
        out->form = FORM_EVENTHUBS;
        for (size_t i = 0; i < SP_ARRAY_LEN(category_tables); i++)
            if (sp_ieq(category->text, category->text_len, category_tables[i].category,
                       strlen(category_tables[i].category))) {
                out->table = category_tables[i].table;
                out->table_len = strlen(out->table);
                return;
            }
        if (ing_valid_table_name(category->text, category->text_len)) {
            out->table = category->text;
            out->table_len = category->text_len;
            return;
        }
        out->table = "Events";
        out->table_len = 6;
        return;
    }
    if (rectype && op && ctime) {
        int64_t rt;
        bool copilot = (field_int(rectype, &rt) && is_copilot_record_type(rt)) ||
                       (op->kind == ING_J_STRING && KEQ(op->text, op->text_len, "CopilotInteraction"));
        out->form = copilot ? FORM_COPILOT : FORM_OFFICE;
        out->table = copilot ? "CopilotActivity" : "OfficeActivity";
        out->table_len = strlen(out->table);
        return;
    }
    out->form = FORM_GENERIC;
    out->table = "Events";
    out->table_len = 6;
}

/* ---- names ---------------------------------------------------------------------------- */

static bool seg_eq(const char *p, size_t n, const char *lit)
{
    return sp_ieq(p, n, lit, strlen(lit));
}

bool ing_resource_parts(const char *id, size_t n, ing_span *resource, ing_span *group,
                        ing_span *provider)
{
    /* Split into segments: "", a, b, c, ... */
    ing_span seg[10];
    int ns = 0;
    size_t i = 0;
    if (n == 0 || id[0] != '/')
        return false;
    i = 1;
    while (i <= n && ns < 10) {
        size_t j = i;
        while (j < n && id[j] != '/')
            j++;
        seg[ns].p = id + i;
        seg[ns].n = j - i;
        ns++;
        i = j + 1;
    }
    if (i <= n) /* more than 10 segments */
        return false;
    if (ns == 4 && seg_eq(seg[0].p, seg[0].n, "tenants") && seg_eq(seg[2].p, seg[2].n, "providers") &&
        seg[3].n) {
        *resource = *group = *provider = seg[3];
        return true;
    }
    if (ns >= 8 && seg_eq(seg[0].p, seg[0].n, "subscriptions") &&
        seg_eq(seg[2].p, seg[2].n, "resourceGroups") && seg_eq(seg[4].p, seg[4].n, "providers")) {
        *group = seg[3];
        *provider = seg[5];
        *resource = seg[ns - 1];
        return true;
    }
    return false;
}

size_t ing_pascal_case(const char *key, size_t klen, char *buf, size_t bufsize)
{
    size_t n = SP_MIN(klen, bufsize - 1);
    memcpy(buf, key, n);
    buf[n] = 0;
    if (!n)
        return 0;
    /* Log Analytics spells the IP prefix in capitals: ipAddress -> IPAddress,
     * ipAddressFromResourceProvider -> IPAddressFromResourceProvider. */
    if (n >= 3 && buf[0] == 'i' && buf[1] == 'p' && buf[2] >= 'A' && buf[2] <= 'Z') {
        buf[0] = 'I';
        buf[1] = 'P';
    } else if (buf[0] >= 'a' && buf[0] <= 'z') {
        buf[0] = (char)(buf[0] - 32);
    }
    /* riskEventTypes_v2 -> RiskEventTypes_V2 */
    for (size_t i = 1; i + 1 < n; i++)
        if (buf[i] == '_' && buf[i + 1] >= 'a' && buf[i + 1] <= 'z')
            buf[i + 1] = (char)(buf[i + 1] - 32);
    return n;
}

const char *ing_user_type_name(int64_t v)
{
    static const char *const names[] = {"Regular",     "Reserved",         "Admin",
                                        "DcAdmin",     "System",           "Application",
                                        "ServicePrincipal", "CustomPolicy", "SystemPolicy"};
    if (v >= 0 && v < (int64_t)SP_ARRAY_LEN(names))
        return names[v];
    return NULL;
}

/* ---- key rules ------------------------------------------------------------------------ */

typedef struct key_rule {
    const char *key;
    ing_rule r;
} key_rule;

#define COL(k, c) {k, {ACT_COLUMN, {c, NULL}, NULL, PRIO_NORMAL, 0, CONV_NONE}}
#define COL_FALLBACK(k, c) {k, {ACT_COLUMN, {c, NULL}, NULL, PRIO_FALLBACK, 0, CONV_NONE}}
#define COL_ALT(k, c, alt) {k, {ACT_COLUMN, {c, alt}, NULL, PRIO_NORMAL, 0, CONV_NONE}}
#define COL_ALSO(k, c, also) {k, {ACT_COLUMN, {c, NULL}, also, PRIO_NORMAL, 0, CONV_NONE}}
#define COL_CONV(k, c, conv) {k, {ACT_COLUMN, {c, NULL}, NULL, PRIO_NORMAL, 0, conv}}
#define EXTRA(k) {k, {ACT_EXTRA, {NULL, NULL}, NULL, PRIO_NORMAL, 0, CONV_NONE}}
#define DESCEND(k, c, ns) {k, {ACT_DESCEND, {c, NULL}, NULL, PRIO_NORMAL, ns, CONV_NONE}}

/* Azure Monitor diagnostic settings (Entra sign-in and audit logs), top level. */
static const key_rule eh_top[] = {
    COL("time", "TimeGenerated"),
    COL("resultType", "ResultType"),
    COL("resultSignature", "ResultSignature"),
    COL("resultDescription", "ResultDescription"),
    COL_FALLBACK("callerIpAddress", "IPAddress"),
    COL("location", "Location"),
    COL("tenantId", "AADTenantId"),
    COL("identity", "Identity"),
    COL("Level", "Level"),
    COL("durationMs", "DurationMs"),
    {"resourceId", {ACT_COLUMN, {"ResourceId", NULL}, NULL, PRIO_NORMAL, 0, CONV_RESOURCE_ID}},
    COL("category", "Category"),
    COL("operationName", "OperationName"),
    COL("operationVersion", "OperationVersion"),
    COL_FALLBACK("correlationId", "CorrelationId"),
    DESCEND("properties", NULL, NS_PROPERTIES),
};

/* ... and inside `properties` (the rest is PascalCase). */
static const key_rule eh_props[] = {
    COL("location", "LocationDetails"),
    COL("resourceId", "ResourceIdentity"),
    COL("appliedConditionalAccessPolicies", "ConditionalAccessPolicies"),
    COL_ALT("processingTimeInMilliseconds", "ProcessingTimeInMilliseconds", "ProcessingTimeInMs"),
};

/* Purview Copilot records -> CopilotActivity. */
static const key_rule copilot_top[] = {
    COL("CreationTime", "TimeGenerated"),
    COL("Id", "RecordId"),
    COL("Operation", "RecordType"),
    COL_ALSO("UserId", "ActorUserId", "ActorName"),
    COL_CONV("UserType", "ActorUserType", CONV_USER_TYPE),
    COL("ClientIP", "SrcIpAddr"),
    EXTRA("RecordType"), /* the number; the column holds the operation name */
    DESCEND("CopilotEventData", "LLMEventData", NS_COPILOT_DATA),
};

static const key_rule copilot_data[] = {
    COL("AppHost", "AppHost"),
};

/* Other Office 365 Management Activity records -> OfficeActivity. */
static const key_rule office_top[] = {
    COL("CreationTime", "TimeGenerated"),
    COL("Id", "OfficeId"),
    COL("Workload", "OfficeWorkload"),
    COL("ObjectId", "OfficeObjectId"),
    COL("Site", "Site_"),
    COL("SiteUrl", "Site_Url"),
    COL_CONV("UserType", "UserType", CONV_USER_TYPE),
};

static const key_rule *find_rule(const key_rule *rules, size_t n, const char *key, size_t klen)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(rules[i].key) == klen && !memcmp(rules[i].key, key, klen))
            return &rules[i];
    return NULL;
}

static void by_name(const char *key, size_t klen, ing_rule *out, char *buf, size_t bufsize)
{
    size_t n = SP_MIN(klen, bufsize - 1);
    memcpy(buf, key, n);
    buf[n] = 0;
    memset(out, 0, sizeof *out);
    out->act = ACT_COLUMN;
    out->names[0] = buf;
    out->prio = PRIO_NORMAL;
}

void ing_form_rule(ing_form form, int ns, const char *key, size_t klen, ing_rule *out, char *buf,
                   size_t bufsize)
{
    const key_rule *kr = NULL;
    switch (form) {
    case FORM_EVENTHUBS:
        kr = ns == NS_TOP ? find_rule(eh_top, SP_ARRAY_LEN(eh_top), key, klen)
                          : ns == NS_PROPERTIES ? find_rule(eh_props, SP_ARRAY_LEN(eh_props), key, klen)
                                                : NULL;
        if (kr) {
            *out = kr->r;
            return;
        }
        if (ns != NS_TOP && ns != NS_PROPERTIES)
            break;
        /* Log Analytics names the rest in PascalCase. */
        memset(out, 0, sizeof *out);
        out->act = ACT_COLUMN;
        out->prio = PRIO_NORMAL;
        ing_pascal_case(key, klen, buf, bufsize);
        out->names[0] = buf;
        return;
    case FORM_COPILOT:
        if (ns == NS_COPILOT_DATA) {
            kr = find_rule(copilot_data, SP_ARRAY_LEN(copilot_data), key, klen);
            if (kr) {
                *out = kr->r;
                return;
            }
            /* Everything else is already in LLMEventData. */
            memset(out, 0, sizeof *out);
            out->act = ACT_IGNORE;
            return;
        }
        kr = find_rule(copilot_top, SP_ARRAY_LEN(copilot_top), key, klen);
        if (kr) {
            *out = kr->r;
            return;
        }
        by_name(key, klen, out, buf, bufsize);
        return;
    case FORM_OFFICE:
        if (ns == NS_TOP && (kr = find_rule(office_top, SP_ARRAY_LEN(office_top), key, klen))) {
            *out = kr->r;
            return;
        }
        break;
    default:
        break;
    }
    if (ns != NS_TOP) {
        /* Children of an object a form does not descend into are never asked for. */
        memset(out, 0, sizeof *out);
        out->act = ACT_IGNORE;
        return;
    }
    by_name(key, klen, out, buf, bufsize);
}

const char *const *ing_form_constants(ing_form form, const char *table, size_t table_len)
{
    static const char *const eh_entra[] = {"Type", "$table", "SourceSystem", "Azure AD", NULL};
    static const char *const eh_other[] = {"Type", "$table", "SourceSystem", "Azure", NULL};
    static const char *const typed[] = {"Type", "$table", NULL};
    /* The Copilot connector's rows say RestAPI (as socpipe gen models them). */
    static const char *const copilot[] = {"Type", "$table", "SourceSystem", "RestAPI", NULL};
    static const char *const none[] = {NULL};
    switch (form) {
    case FORM_EVENTHUBS:
        /* Entra ID categories are "Azure AD" in Log Analytics; other resource logs "Azure". */
        if ((table_len > 3 && !memcmp(table, "AAD", 3)) || KEQ(table, table_len, "SigninLogs") ||
            KEQ(table, table_len, "AuditLogs") || KEQ(table, table_len, "ADFSSignInLogs"))
            return eh_entra;
        return eh_other;
    case FORM_COPILOT:
        return copilot;
    case FORM_OFFICE:
        return typed;
    default:
        return none;
    }
}
