/* test_schemas.c — the store's declared-table catalog (engine/store/schemas.c).
 *
 * Pins what the catalog must be: every table well-formed (unique column names,
 * TimeGenerated first as datetime, AdditionalFields last as dynamic, id column a string
 * column), column counts and a sample of types per table as Microsoft's reference gives
 * them, the compiled catalog equal to its source list engine/store/schemas.tsv, and — the
 * point of the catalog — every table that the real Sentinel rule corpus queries and every
 * table the SigmaHQ cloud logsources map to is declared, so the binder can resolve them.
 * The corpus tables are found by walking each query's syntax tree (plain names in tabular
 * position, union/join/lookup operands, table("X") including names passed to a let-bound
 * function that calls table(param)); custom `_CL` tables and workspace functions are the
 * only names allowed to stay undeclared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/kql/kql.h"
#include "engine/store/store.h"
#include "tests/unit/support/sentinel_rules.h"

/* ---- the catalog's shape -------------------------------------------------------------- */

static int find_col(const sp_table_def *t, const char *name)
{
    for (int i = 0; i < t->ncolumns; i++)
        if (!strcmp(t->columns[i].name, name))
            return i;
    return -1;
}

static void test_every_declared_table_is_well_formed(void **st)
{
    (void)st;
    int n;
    const sp_table_def *defs = sp_schema_declared_all(&n);
    assert_int_equal(n, 38);
    for (int i = 0; i < n; i++) {
        const sp_table_def *t = &defs[i];
        assert_ptr_equal(sp_schema_declared(t->name), t);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(defs[j].name, t->name);
        assert_true(t->ncolumns >= 3);
        assert_string_equal(t->time_column, "TimeGenerated");
        assert_string_equal(t->columns[0].name, "TimeGenerated");
        assert_int_equal(t->columns[0].type, SP_TYPE_DATETIME);
        assert_string_equal(t->columns[t->ncolumns - 1].name, SP_ADDITIONAL_FIELDS);
        assert_int_equal(t->columns[t->ncolumns - 1].type, SP_TYPE_DYNAMIC);
        for (int c = 0; c < t->ncolumns; c++) {
            const sp_column_def *cd = &t->columns[c];
            if (find_col(t, cd->name) != c) {
                fprintf(stderr, "%s: column %s appears twice\n", t->name, cd->name);
                fail();
            }
            assert_true(cd->type > SP_TYPE_NULL && cd->type < SP_TYPE_COUNT);
            assert_true(cd->name[0] != '_'); /* no workspace bookkeeping columns */
            /* Between TimeGenerated and AdditionalFields: sorted ignoring case. */
            if (c >= 2 && c < t->ncolumns - 1) {
                const char *prev = t->columns[c - 1].name;
                int k = strcasecmp(prev, cd->name);
                if (k > 0 || (k == 0 && strcmp(prev, cd->name) > 0)) {
                    fprintf(stderr, "%s: %s sorts before %s\n", t->name, cd->name, prev);
                    fail();
                }
            }
        }
        if (t->id_column) {
            int id = find_col(t, t->id_column);
            assert_true(id > 0);
            assert_int_equal(t->columns[id].type, SP_TYPE_STRING);
        }
    }
}

/* Column count (with AdditionalFields) and dedup id column of every declared table. */
static const struct {
    const char *table;
    int ncolumns;
    const char *id;
} expected_tables[] = {
    {"SigninLogs", 94, "Id"},
    {"AADNonInteractiveUserSignInLogs", 85, "Id"},
    {"AADServicePrincipalSignInLogs", 45, "Id"},
    {"AADManagedIdentitySignInLogs", 46, "Id"},
    {"SentinelHealth", 16, "RecordId"},
    {"SecurityIncident", 32, NULL},
    {"SecurityAlert", 34, NULL},
    {"CopilotActivity", 23, "RecordId"},
    {"OfficeActivity", 140, "OfficeId"},
    {"AADRiskyUsers", 16, NULL},
    {"AADUserRiskEvents", 26, NULL},
    {"AWSCloudTrail", 52, "AwsEventId"},
    {"AuditLogs", 30, "Id"},
    {"AzureActivity", 34, "EventDataId"},
    {"AzureDiagnostics", 203, NULL},
    {"BehaviorAnalytics", 30, NULL},
    {"CommonSecurityLog", 160, NULL},
    {"DeviceEvents", 60, NULL},
    {"DeviceFileEvents", 57, NULL},
    {"DeviceLogonEvents", 48, NULL},
    {"DeviceNetworkEvents", 44, NULL},
    {"DeviceProcessEvents", 62, NULL},
    {"DnsEvents", 23, NULL},
    {"Dynamics365Activity", 30, "SourceRecordId"},
    {"EmailEvents", 42, NULL},
    {"Event", 19, NULL},
    {"Heartbeat", 28, NULL},
    {"IdentityInfo", 56, NULL},
    {"SecurityEvent", 215, NULL},
    {"Syslog", 14, NULL},
    {"ThreatIntelligenceIndicator", 63, NULL},
    {"Usage", 21, NULL},
    {"VMConnection", 41, NULL},
    {"W3CIISLog", 41, NULL},
    {"WindowsEvent", 23, NULL},
    {"WindowsFirewall", 29, NULL},
    {"WireData", 45, NULL},
    {"IngestionDuplicates", 7, NULL},
};

static void test_declared_tables_have_pinned_column_counts_and_ids(void **st)
{
    (void)st;
    int n;
    sp_schema_declared_all(&n);
    assert_int_equal(n, (int)SP_ARRAY_LEN(expected_tables));
    for (size_t i = 0; i < SP_ARRAY_LEN(expected_tables); i++) {
        const sp_table_def *t = sp_schema_declared(expected_tables[i].table);
        if (!t) {
            fprintf(stderr, "%s is not declared\n", expected_tables[i].table);
            fail();
        }
        if (t->ncolumns != expected_tables[i].ncolumns)
            fprintf(stderr, "%s: %d columns\n", t->name, t->ncolumns);
        assert_int_equal(t->ncolumns, expected_tables[i].ncolumns);
        if (expected_tables[i].id)
            assert_string_equal(t->id_column, expected_tables[i].id);
        else
            assert_null(t->id_column);
    }
    /* The lookup is exact: Kusto table names are case-sensitive. */
    assert_null(sp_schema_declared("auditlogs"));
    assert_null(sp_schema_declared("SecurityEvents"));
}

/* A sample of each new table's columns with the Kusto type the reference documents:
 * the non-string ones are where a transcription slip would change query results. */
static const struct {
    const char *table, *column;
    sp_type type;
} expected_types[] = {
    {"AuditLogs", "ActivityDateTime", SP_TYPE_DATETIME},
    {"AuditLogs", "InitiatedBy", SP_TYPE_DYNAMIC},
    {"AuditLogs", "TargetResources", SP_TYPE_DYNAMIC},
    {"AuditLogs", "DurationMs", SP_TYPE_LONG},
    {"AzureActivity", "Properties", SP_TYPE_STRING},
    {"AzureActivity", "Properties_d", SP_TYPE_DYNAMIC},
    {"AzureActivity", "EventSubmissionTimestamp", SP_TYPE_DATETIME},
    {"AADUserRiskEvents", "Location", SP_TYPE_DYNAMIC},
    {"AADUserRiskEvents", "DetectedDateTime", SP_TYPE_DATETIME},
    {"AADRiskyUsers", "IsProcessing", SP_TYPE_BOOL},
    {"AADRiskyUsers", "RiskLastUpdatedDateTime", SP_TYPE_DATETIME},
    {"CommonSecurityLog", "DestinationPort", SP_TYPE_INT},
    {"CommonSecurityLog", "FieldDeviceCustomNumber1", SP_TYPE_LONG},
    {"CommonSecurityLog", "MaliciousIPLatitude", SP_TYPE_REAL},
    {"CommonSecurityLog", "ReceiptTime", SP_TYPE_STRING},
    {"ThreatIntelligenceIndicator", "Active", SP_TYPE_BOOL},
    {"ThreatIntelligenceIndicator", "ConfidenceScore", SP_TYPE_REAL},
    {"ThreatIntelligenceIndicator", "ExpirationDateTime", SP_TYPE_DATETIME},
    {"ThreatIntelligenceIndicator", "NetworkDestinationPort", SP_TYPE_INT},
    {"IdentityInfo", "AssignedRoles", SP_TYPE_DYNAMIC},
    {"IdentityInfo", "IsAccountEnabled", SP_TYPE_BOOL},
    {"IdentityInfo", "InvestigationPriority", SP_TYPE_INT},
    {"SecurityEvent", "EventID", SP_TYPE_INT},
    {"SecurityEvent", "LogonType", SP_TYPE_INT},
    {"SecurityEvent", "ProcessId", SP_TYPE_STRING},
    {"AzureDiagnostics", "ActivityId_g", SP_TYPE_GUID},
    {"AzureDiagnostics", "httpStatus_d", SP_TYPE_REAL},
    {"AzureDiagnostics", "DurationMs", SP_TYPE_LONG},
    {"AzureDiagnostics", "isAccessPolicyMatch_b", SP_TYPE_BOOL},
    {"AzureDiagnostics", "SubscriptionId", SP_TYPE_STRING},
    {"AWSCloudTrail", "SessionMfaAuthenticated", SP_TYPE_BOOL},
    {"AWSCloudTrail", "SessionCreationDate", SP_TYPE_DATETIME},
    {"W3CIISLog", "csBytes", SP_TYPE_LONG},
    {"W3CIISLog", "sPort", SP_TYPE_INT},
    {"Usage", "Quantity", SP_TYPE_REAL},
    {"Usage", "IsBillable", SP_TYPE_BOOL},
    {"Syslog", "ProcessID", SP_TYPE_INT},
    {"Syslog", "EventTime", SP_TYPE_DATETIME},
    {"DeviceProcessEvents", "ProcessId", SP_TYPE_LONG},
    {"DeviceProcessEvents", "AdditionalFields", SP_TYPE_DYNAMIC},
    {"DeviceNetworkEvents", "RemotePort", SP_TYPE_INT},
    {"DeviceEvents", "InitiatingProcessCreationTime", SP_TYPE_DATETIME},
    {"DeviceFileEvents", "IsAzureInfoProtectionApplied", SP_TYPE_BOOL},
    {"DeviceLogonEvents", "IsLocalAdmin", SP_TYPE_BOOL},
    {"DeviceLogonEvents", "LogonType", SP_TYPE_STRING},
    {"Dynamics365Activity", "Fields", SP_TYPE_DYNAMIC},
    {"EmailEvents", "EmailClusterId", SP_TYPE_LONG},
    {"EmailEvents", "AttachmentCount", SP_TYPE_INT},
    {"DnsEvents", "ResultCode", SP_TYPE_INT},
    {"Event", "EventLevel", SP_TYPE_INT},
    {"WindowsEvent", "EventData", SP_TYPE_DYNAMIC},
    {"WindowsFirewall", "RequestSizeInBytes", SP_TYPE_LONG},
    {"VMConnection", "RemoteLatitude", SP_TYPE_REAL},
    {"WireData", "SessionStartTime", SP_TYPE_DATETIME},
    {"Heartbeat", "ComputerPrivateIPs", SP_TYPE_DYNAMIC},
    {"BehaviorAnalytics", "UsersInsights", SP_TYPE_DYNAMIC},
    {"BehaviorAnalytics", "TimeProcessed", SP_TYPE_DATETIME},
};

static void test_new_tables_have_the_documented_column_types(void **st)
{
    (void)st;
    for (size_t i = 0; i < SP_ARRAY_LEN(expected_types); i++) {
        const sp_table_def *t = sp_schema_declared(expected_types[i].table);
        assert_non_null(t);
        int c = find_col(t, expected_types[i].column);
        if (c < 0 || t->columns[c].type != expected_types[i].type) {
            fprintf(stderr, "%s.%s: %s\n", expected_types[i].table, expected_types[i].column,
                    c < 0 ? "missing" : sp_type_name(t->columns[c].type));
            fail();
        }
    }
    /* Columns whose names differ only in case are distinct Kusto columns. */
    const sp_table_def *ad = sp_schema_declared("AzureDiagnostics");
    assert_true(find_col(ad, "clientIP_s") >= 0 && find_col(ad, "clientIp_s") >= 0);
}

/* A declared table gives the store its schema: a new store table starts with it. */
static void test_store_tables_take_the_declared_schema(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "AzureActivity");
    assert_true(sp_table_is_declared(t));
    const sp_schema *sc = sp_table_schema(t);
    assert_int_equal(sc->ncols, 34);
    int id = sp_schema_find(sc, "EventDataId", 11);
    assert_true(id >= 0);
    assert_int_equal(sp_table_id_col(t), id);
    assert_int_equal(sp_table_time_col(t), 0);
    assert_int_equal(sp_table_id_col(sp_store_table(s, "CommonSecurityLog")), -1);
    sp_store_free(s);
}

/* ---- schemas.tsv: the compiled catalog is its source list ------------------------------- */

/* Parses engine/store/schemas.tsv (tests run from the repository root) and checks every
 * table, id and column against the compiled catalog: same names, same types, nothing
 * missing or extra. The order is the generator's business (checked above). */
static void test_compiled_catalog_is_exactly_schemas_tsv(void **st)
{
    (void)st;
    sp_buf text = {0};
    assert_int_equal(sp_read_file("engine/store/schemas.tsv", &text), 0);
    const char *p = sp_buf_cstr(&text), *end = p + text.len;
    const sp_table_def *t = NULL;
    int listed = 0, tables = 0, ndecl;
    bool has_own_additional = false;
    sp_schema_declared_all(&ndecl);
    char line[512];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        assert_true(len < sizeof line);
        memcpy(line, p, len);
        line[len] = 0;
        p += len + (nl ? 1 : 0);
        if (!len || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = 0;
        const char *val = tab + 1;
        if (!strcmp(line, "@table")) {
            if (t) /* listed columns + AdditionalFields unless the source lists it */
                assert_int_equal(t->ncolumns, listed + (has_own_additional ? 0 : 1));
            t = sp_schema_declared(val);
            if (!t) {
                fprintf(stderr, "schemas.tsv table %s is not compiled in\n", val);
                fail();
            }
            tables++;
            listed = 0;
            has_own_additional = false;
        } else if (!strcmp(line, "@id")) {
            if (!strcmp(val, "-"))
                assert_null(t->id_column);
            else
                assert_string_equal(t->id_column, val);
        } else if (!strcmp(line, "@source")) {
            assert_true(strlen(val) > 0);
        } else {
            sp_type type;
            assert_true(sp_type_parse(val, strlen(val), &type));
            int c = find_col(t, line);
            if (c < 0 || t->columns[c].type != type) {
                fprintf(stderr, "schemas.tsv %s.%s %s: compiled %s\n", t->name, line, val,
                        c < 0 ? "missing" : sp_type_name(t->columns[c].type));
                fail();
            }
            has_own_additional |= !strcmp(line, SP_ADDITIONAL_FIELDS);
            listed++;
        }
    }
    assert_non_null(t);
    assert_int_equal(t->ncolumns, listed + (has_own_additional ? 0 : 1));
    assert_int_equal(tables, ndecl);
    sp_buf_free(&text);
}

/* ---- the tables the Sentinel corpus reads ---------------------------------------------- */

#define MAX_NAMES 512

typedef struct names {
    const char *v[MAX_NAMES];
    int n;
} names;

static bool names_has(const names *s, const char *x)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x))
            return true;
    return false;
}

static void names_add(names *s, const char *x)
{
    if (!names_has(s, x)) {
        assert_true(s->n < MAX_NAMES);
        s->v[s->n++] = x;
    }
}

/* What a walk over one query collects. Names are arena strings of the parsed query, or
 * (for `found`) copies owned by the caller's list. */
typedef struct walk {
    names bound;     /* let names and function parameters: never tables */
    names candidates; /* names in tabular position */
    names strings;   /* table("X") */
    /* table(p) inside let-bound function F, p its k-th parameter: F's k-th argument. */
    struct {
        const char *fn;
        size_t arg;
    } param_tables[16];
    int nparam_tables;
    struct {
        const char *fn;
        const kql_expr *call;
    } calls[64];
    int ncalls;
    /* String-valued lets (`let t = "SigninLogs"; table(t)`). */
    struct {
        const char *name, *value;
    } let_strings[32];
    int nlet_strings;
    const char *fn;          /* the let-bound function being walked, or NULL */
    const kql_expr *fn_lambda;
} walk;

static void walk_expr(walk *w, const kql_expr *e, bool tabular);
static void walk_stmts(walk *w, kql_stmt *const *stmts, size_t n);

static void walk_op(walk *w, const kql_op *op)
{
    for (size_t i = 0; i < op->nparams; i++)
        walk_expr(w, op->params[i].value, false);
    switch (op->kind) {
    case KQL_TOP_WHERE: walk_expr(w, op->u.where.expr, false); break;
    case KQL_TOP_EXTEND: case KQL_TOP_PROJECT: case KQL_TOP_PROJECT_AWAY:
    case KQL_TOP_PROJECT_KEEP: case KQL_TOP_PROJECT_RENAME: case KQL_TOP_DISTINCT:
    case KQL_TOP_PRINT: case KQL_TOP_SERIALIZE:
        for (size_t i = 0; i < op->u.list.nitems; i++)
            walk_expr(w, op->u.list.items[i], false);
        break;
    case KQL_TOP_SUMMARIZE:
        for (size_t i = 0; i < op->u.summarize.naggs; i++)
            walk_expr(w, op->u.summarize.aggs[i], false);
        for (size_t i = 0; i < op->u.summarize.nby; i++)
            walk_expr(w, op->u.summarize.by[i], false);
        break;
    case KQL_TOP_SORT: case KQL_TOP_TOP: case KQL_TOP_PROJECT_REORDER:
        walk_expr(w, op->u.sort.count, false);
        for (size_t i = 0; i < op->u.sort.nkeys; i++)
            walk_expr(w, op->u.sort.keys[i].expr, false);
        break;
    case KQL_TOP_TAKE: case KQL_TOP_SAMPLE: walk_expr(w, op->u.take.count, false); break;
    case KQL_TOP_UNION:
        for (size_t i = 0; i < op->u.uni.ntables; i++)
            walk_expr(w, op->u.uni.tables[i], true);
        break;
    case KQL_TOP_JOIN: case KQL_TOP_LOOKUP:
        walk_expr(w, op->u.join.right, true);
        for (size_t i = 0; i < op->u.join.non; i++)
            walk_expr(w, op->u.join.on[i], false);
        break;
    case KQL_TOP_MV_EXPAND: case KQL_TOP_MV_APPLY:
        for (size_t i = 0; i < op->u.mv.nitems; i++)
            walk_expr(w, op->u.mv.items[i].expr, false);
        walk_expr(w, op->u.mv.limit, false);
        walk_expr(w, op->u.mv.apply, false);
        break;
    case KQL_TOP_PARSE: case KQL_TOP_PARSE_WHERE: walk_expr(w, op->u.parse.source, false); break;
    case KQL_TOP_EVALUATE: case KQL_TOP_INVOKE: walk_expr(w, op->u.evaluate.call, false); break;
    case KQL_TOP_MAKE_SERIES:
        for (size_t i = 0; i < op->u.series.naggs; i++)
            walk_expr(w, op->u.series.aggs[i].expr, false);
        walk_expr(w, op->u.series.on, false);
        for (size_t i = 0; i < op->u.series.nby; i++)
            walk_expr(w, op->u.series.by[i], false);
        break;
    case KQL_TOP_SEARCH:
        for (size_t i = 0; i < op->u.search.ntables; i++)
            walk_expr(w, op->u.search.tables[i], true);
        walk_expr(w, op->u.search.pred, false);
        break;
    case KQL_TOP_FACET: walk_expr(w, op->u.facet.with, false); break;
    default: break; /* count, getschema, as, render, range, top-nested, sample-distinct */
    }
}

static void walk_expr(walk *w, const kql_expr *e, bool tabular)
{
    if (!e)
        return;
    switch (e->kind) {
    case KQL_E_NAME:
        if (tabular && !e->u.name.wildcard)
            names_add(&w->candidates, e->u.name.name.s);
        break;
    case KQL_E_CALL: {
        const char *fn = e->u.call.name.name.s;
        bool tab_args = !strcmp(fn, "materialize") || !strcmp(fn, "toscalar");
        if (!strcmp(fn, "table") && e->u.call.nargs >= 1) {
            const kql_expr *a = e->u.call.args[0];
            if (a->kind == KQL_E_LITERAL && a->u.lit.type == SP_TYPE_STRING) {
                names_add(&w->strings, a->u.lit.s.s);
            } else if (a->kind == KQL_E_NAME) {
                bool is_param = false;
                if (w->fn_lambda)
                    for (size_t k = 0; k < w->fn_lambda->u.lambda.nparams; k++)
                        if (!strcmp(w->fn_lambda->u.lambda.params[k].name.name.s, a->u.name.name.s)) {
                            assert_true(w->nparam_tables < 16);
                            w->param_tables[w->nparam_tables].fn = w->fn;
                            w->param_tables[w->nparam_tables++].arg = k;
                            is_param = true;
                        }
                for (int k = 0; !is_param && k < w->nlet_strings; k++)
                    if (!strcmp(w->let_strings[k].name, a->u.name.name.s))
                        names_add(&w->strings, w->let_strings[k].value);
            }
        } else {
            assert_true(w->ncalls < 64);
            w->calls[w->ncalls].fn = fn;
            w->calls[w->ncalls++].call = e;
        }
        for (size_t i = 0; i < e->u.call.nargs; i++)
            walk_expr(w, e->u.call.args[i], tab_args);
        break;
    }
    case KQL_E_MEMBER: walk_expr(w, e->u.member.obj, false); break;
    case KQL_E_INDEX:
        walk_expr(w, e->u.index.obj, false);
        walk_expr(w, e->u.index.index, false);
        break;
    case KQL_E_UNARY: walk_expr(w, e->u.unary.arg, false); break;
    case KQL_E_BINARY:
        walk_expr(w, e->u.binary.lhs, false);
        walk_expr(w, e->u.binary.rhs, false);
        break;
    case KQL_E_IN:
        walk_expr(w, e->u.in.lhs, false);
        for (size_t i = 0; i < e->u.in.nlist; i++)
            walk_expr(w, e->u.in.list[i], false);
        break;
    case KQL_E_BETWEEN:
        walk_expr(w, e->u.between.lhs, false);
        walk_expr(w, e->u.between.lo, false);
        walk_expr(w, e->u.between.hi, false);
        break;
    case KQL_E_ASSIGN: walk_expr(w, e->u.assign.value, tabular); break;
    case KQL_E_PIPE:
        walk_expr(w, e->u.pipe.source, true);
        for (size_t i = 0; i < e->u.pipe.nops; i++)
            walk_op(w, e->u.pipe.ops[i]);
        break;
    case KQL_E_LAMBDA:
        for (size_t i = 0; i < e->u.lambda.nparams; i++) {
            names_add(&w->bound, e->u.lambda.params[i].name.name.s);
            walk_expr(w, e->u.lambda.params[i].deflt, false);
        }
        walk_stmts(w, e->u.lambda.body, e->u.lambda.nbody);
        break;
    default: break; /* literals, *, typeof, datatable, externaldata */
    }
}

static void walk_stmts(walk *w, kql_stmt *const *stmts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const kql_stmt *s = stmts[i];
        if (s->kind == KQL_S_LET) {
            const kql_expr *v = s->u.let.value;
            names_add(&w->bound, s->u.let.name.name.s);
            if (v->kind == KQL_E_LITERAL && v->u.lit.type == SP_TYPE_STRING && w->nlet_strings < 32) {
                w->let_strings[w->nlet_strings].name = s->u.let.name.name.s;
                w->let_strings[w->nlet_strings++].value = v->u.lit.s.s;
            }
            if (v->kind == KQL_E_LAMBDA) {
                const char *fn = w->fn;
                const kql_expr *lam = w->fn_lambda;
                w->fn = s->u.let.name.name.s;
                w->fn_lambda = v;
                walk_expr(w, v, true);
                w->fn = fn;
                w->fn_lambda = lam;
            } else {
                walk_expr(w, v, true);
            }
        } else if (s->kind == KQL_S_EXPR) {
            walk_expr(w, s->u.expr, true);
        } else if (s->kind == KQL_S_DECLARE) {
            for (size_t k = 0; k < s->u.declare.nparams; k++)
                names_add(&w->bound, s->u.declare.params[k].name.name.s);
        }
    }
}

/* Every table name one query reads, added (copied) to out. */
static void query_tables(const kql_query *q, names *out)
{
    walk *w = calloc(1, sizeof *w);
    assert_non_null(w);
    walk_stmts(w, q->stmts, q->nstmts);
    for (int i = 0; i < w->candidates.n; i++)
        if (!names_has(&w->bound, w->candidates.v[i]) && !names_has(out, w->candidates.v[i]))
            names_add(out, sp_xstrdup(w->candidates.v[i]));
    for (int i = 0; i < w->strings.n; i++)
        if (!names_has(out, w->strings.v[i]))
            names_add(out, sp_xstrdup(w->strings.v[i]));
    for (int i = 0; i < w->nparam_tables; i++)
        for (int c = 0; c < w->ncalls; c++) {
            const kql_expr *call = w->calls[c].call;
            if (strcmp(w->calls[c].fn, w->param_tables[i].fn) != 0 ||
                call->u.call.nargs <= w->param_tables[i].arg)
                continue;
            const kql_expr *a = call->u.call.args[w->param_tables[i].arg];
            if (a->kind == KQL_E_LITERAL && a->u.lit.type == SP_TYPE_STRING && !names_has(out, a->u.lit.s.s))
                names_add(out, sp_xstrdup(a->u.lit.s.s));
        }
    free(w);
}

/* Every table the corpus queries read, as the walk finds them: this pins the walk too. */
static const char *const corpus_tables[] = {
    "AADNonInteractiveUserSignInLogs", "AADServicePrincipalSignInLogs", "AWSCloudTrail",
    "AuditLogs", "AzureActivity", "AzureDiagnostics", "CommonSecurityLog", "DeviceEvents",
    "DeviceFileEvents", "DeviceNetworkEvents", "DeviceProcessEvents", "DnsEvents",
    "Dynamics365Activity", "EmailEvents", "Event", "IdentityInfo", "OfficeActivity",
    "SecurityAlert", "SecurityEvent", "SecurityIncident", "SigninLogs", "Syslog",
    "ThreatIntelligenceIndicator", "Usage", "VMConnection", "W3CIISLog", "WindowsEvent",
    "WindowsFirewall", "WireData",
    /* Not tables, so never declared: custom logs and a workspace function (the ASIM
     * file-event parser, which Sentinel installs as a function, not a table). */
    "InformationProtectionLogs_CL", "LastPassNativePoller_CL", "imFileEvent",
};
static const char *const workspace_functions[] = {"imFileEvent"};

static bool is_custom_log(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && !strcmp(name + n - 3, "_CL");
}

static void test_every_table_the_sentinel_corpus_reads_is_declared(void **st)
{
    (void)st;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/sentinel-rules", test_shared_dir());
    sentinel_rule *rules;
    int nrules = sentinel_rules_load(dir, &rules);
    assert_true(nrules > 0);
    names *found = calloc(1, sizeof *found);
    assert_non_null(found);
    sp_arena arena = {0};
    int parsed = 0;
    for (int i = 0; i < nrules; i++) {
        kql_query *q = NULL;
        sp_diag err = {0};
        if (!rules[i].query || kql_parse(rules[i].query, rules[i].len, &arena, &q, &err) != 0)
            continue;
        parsed++;
        query_tables(q, found);
        sp_arena_reset(&arena);
    }
    sp_arena_free(&arena);
    assert_int_equal(parsed, nrules);

    int missing = 0;
    for (int i = 0; i < found->n; i++) {
        const char *t = found->v[i];
        bool known_fn = false;
        for (size_t k = 0; k < SP_ARRAY_LEN(workspace_functions); k++)
            known_fn |= !strcmp(t, workspace_functions[k]);
        if (!sp_schema_declared(t) && !is_custom_log(t) && !known_fn) {
            fprintf(stderr, "the corpus reads table %s, which is not declared\n", t);
            missing++;
        }
        bool expected = false;
        for (size_t k = 0; k < SP_ARRAY_LEN(corpus_tables); k++)
            expected |= !strcmp(t, corpus_tables[k]);
        if (!expected) {
            fprintf(stderr, "the walk found %s, which corpus_tables does not list\n", t);
            missing++;
        }
    }
    for (size_t k = 0; k < SP_ARRAY_LEN(corpus_tables); k++)
        if (!names_has(found, corpus_tables[k])) {
            fprintf(stderr, "the walk did not find %s\n", corpus_tables[k]);
            missing++;
        }
    printf("sentinel corpus reads %d tables\n", found->n);
    assert_int_equal(missing, 0);
    assert_int_equal(found->n, (int)SP_ARRAY_LEN(corpus_tables));
    for (int i = 0; i < found->n; i++)
        free((void *)found->v[i]);
    free(found);
    sentinel_rules_free(rules, nrules);
}

/* The walk itself, on queries whose tables are known: let-bound names are not tables,
 * table("X") and table(param) through a function call are. */
static void test_table_walk_follows_lets_functions_and_operators(void **st)
{
    (void)st;
    static const char q[] =
        "let t = \"Heartbeat\";\n"
        "let f = (tableName:string) { table(tableName) | where x == 1 };\n"
        "let recent = SigninLogs | where TimeGenerated > ago(1d);\n"
        "union isfuzzy=true f(\"AuditLogs\"), (Syslog | take 1), table(t)\n"
        "| join kind=inner (recent) on UserPrincipalName\n"
        "| lookup (Usage | project DataType) on DataType\n"
        "| where IPAddress in (AzureActivity | project CallerIpAddress)";
    sp_arena arena = {0};
    kql_query *qq = NULL;
    sp_diag err = {0};
    assert_int_equal(kql_parse(q, strlen(q), &arena, &qq, &err), 0);
    names *found = calloc(1, sizeof *found);
    assert_non_null(found);
    query_tables(qq, found);
    static const char *const want[] = {"SigninLogs", "Syslog", "Usage", "AzureActivity",
                                       "Heartbeat", "AuditLogs"};
    for (size_t k = 0; k < SP_ARRAY_LEN(want); k++)
        if (!names_has(found, want[k])) {
            fprintf(stderr, "missed %s\n", want[k]);
            fail();
        }
    assert_int_equal(found->n, (int)SP_ARRAY_LEN(want)); /* not t, f, recent, x */
    for (int i = 0; i < found->n; i++)
        free((void *)found->v[i]);
    free(found);
    sp_arena_free(&arena);
}

/* ---- the tables SigmaHQ cloud logsources map to -------------------------------------- */

/* product/service -> Log Analytics table, as the Sigma backend for Microsoft Sentinel maps
 * them (azure/pim is recorded in AuditLogs; every m365 service in OfficeActivity). */
static const struct {
    const char *product, *service, *table;
} sigma_logsources[] = {
    {"azure", "auditlogs", "AuditLogs"},
    {"azure", "activitylogs", "AzureActivity"},
    {"azure", "riskdetection", "AADUserRiskEvents"},
    {"azure", "pim", "AuditLogs"},
    {"azure", "signinlogs", "SigninLogs"},
    {"m365", "audit", "OfficeActivity"},
    {"m365", "exchange", "OfficeActivity"},
    {"m365", "threat_detection", "OfficeActivity"},
    {"m365", "threat_management", "OfficeActivity"},
};

/* The value of `key:` on a line of a logsource block ("  service: auditlogs"). */
static bool yaml_field(const char *line, const char *key, char *out, size_t cap)
{
    while (*line == ' ')
        line++;
    size_t k = strlen(key);
    if (strncmp(line, key, k) != 0 || line[k] != ':')
        return false;
    line += k + 1;
    while (*line == ' ')
        line++;
    size_t n = strcspn(line, " #\r\n");
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, line, n);
    out[n] = 0;
    return true;
}

/* Every rule file under dir (recursively): its logsource's product and service must map
 * to a declared table. Returns how many rules were checked. */
static int check_sigma_dir(const char *dir, int *unmapped)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int checked = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t n = strlen(de->d_name);
        if (n > 4 && !strcmp(de->d_name + n - 4, ".yml")) {
            sp_buf text = {0};
            assert_int_equal(sp_read_file(path, &text), 0);
            char product[64] = "", service[64] = "";
            const char *ls = strstr(sp_buf_cstr(&text), "\nlogsource:");
            assert_non_null(ls);
            for (const char *l = strchr(ls + 1, '\n'); l && l[1] == ' '; l = strchr(l + 1, '\n')) {
                yaml_field(l + 1, "product", product, sizeof product);
                yaml_field(l + 1, "service", service, sizeof service);
            }
            const char *table = NULL;
            for (size_t k = 0; k < SP_ARRAY_LEN(sigma_logsources); k++)
                if (!strcmp(product, sigma_logsources[k].product) && !strcmp(service, sigma_logsources[k].service))
                    table = sigma_logsources[k].table;
            if (!table || !sp_schema_declared(table)) {
                fprintf(stderr, "%s: logsource %s/%s has no declared table\n", path, product, service);
                (*unmapped)++;
            }
            sp_buf_free(&text);
            checked++;
        } else {
            checked += check_sigma_dir(path, unmapped);
        }
    }
    closedir(d);
    return checked;
}

static void test_every_sigma_cloud_logsource_maps_to_a_declared_table(void **st)
{
    (void)st;
    char dir[1024];
    int unmapped = 0, checked = 0;
    static const char *const products[] = {"azure", "m365"};
    for (size_t i = 0; i < SP_ARRAY_LEN(products); i++) {
        snprintf(dir, sizeof dir, "%s/data/sigma/%s", test_shared_dir(), products[i]);
        checked += check_sigma_dir(dir, &unmapped);
    }
    printf("sigma cloud rules checked: %d\n", checked);
    assert_true(checked >= 100);
    assert_int_equal(unmapped, 0);
    /* Identity Protection's risky-user state, which risk detections lead to. */
    assert_non_null(sp_schema_declared("AADRiskyUsers"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_declared_table_is_well_formed),
        cmocka_unit_test(test_declared_tables_have_pinned_column_counts_and_ids),
        cmocka_unit_test(test_new_tables_have_the_documented_column_types),
        cmocka_unit_test(test_store_tables_take_the_declared_schema),
        cmocka_unit_test(test_compiled_catalog_is_exactly_schemas_tsv),
        cmocka_unit_test(test_table_walk_follows_lets_functions_and_operators),
        cmocka_unit_test(test_every_table_the_sentinel_corpus_reads_is_declared),
        cmocka_unit_test(test_every_sigma_cloud_logsource_maps_to_a_declared_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
