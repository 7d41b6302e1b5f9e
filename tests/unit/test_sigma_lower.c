/* test_sigma_lower.c — Sigma lowering: the field mapping (every resolution form and its
 * warnings), the plan each matcher kind lowers to (explain output pinned), keywords over an
 * inferred table, the compiled programs, and the correlation window state (kwin) and its
 * operator at their edges. End-to-end semantics are the conformance suite's job
 * (test_sigma_conformance.c); this file pins how they are built. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "ingest/ingest.h"
#include "sigma/sigma.h"
#include "support/sigma_support.h"

static sig_mapping *shipped;

static int setup(void **st)
{
    (void)st;
    shipped = ts_mapping(NULL);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    sig_mapping_free(shipped);
    return 0;
}

/* ---- helpers ---- */

static char ring[8][8192];
static int ring_at;

static char *keep(const char *s)
{
    char *r = ring[ring_at++ % 8];
    snprintf(r, sizeof ring[0], "%s", s);
    return r;
}

/* The plan of the first document of yaml, one line per operator, schemas and the scans'
 * column lists cut off. */
static char *lower_text(const char *yaml, sig_kind kind, const sig_mapping *m, sp_store *store, char *warnings)
{
    sig_set *s = sig_set_new(NULL);
    sig_set_load_text(s, "rule.yml", yaml, strlen(yaml));
    sig_set_resolve(s);
    sig_stats st;
    sig_set_stats(s, &st);
    assert_int_equal(st.rejected, 0);
    sig_lower_opts o = {.mapping = m, .store = store};
    kplan *p;
    sig_warnings w = {0};
    sp_diag d;
    if (sig_lower(s, kind, 0, &o, &p, &w, &d) != 0)
        fail_msg("lowering failed: %d:%d: %s", d.line, d.col, d.msg);
    sp_buf b = {0}, out = {0};
    kplan_explain(p, &b);
    const char *t = sp_buf_cstr(&b);
    while (*t) {
        const char *nl = strchr(t, '\n'), *arrow = strstr(t, " -> ("), *reads = strstr(t, " reads (");
        if (!nl)
            nl = t + strlen(t);
        const char *cut = arrow && arrow < nl ? arrow : nl;
        if (reads && reads < cut)
            cut = reads;
        sp_buf_append(&out, t, (size_t)(cut - t));
        sp_buf_putc(&out, '\n');
        t = *nl ? nl + 1 : nl;
    }
    if (warnings) {
        warnings[0] = 0;
        for (size_t i = 0; i < w.n; i++) {
            char line[1200];
            snprintf(line, sizeof line, "%s:%d:%d: %s\n", w.v[i].file, w.v[i].line, w.v[i].col, w.v[i].msg);
            strncat(warnings, line, 2047 - strlen(warnings));
        }
    }
    char *r = keep(sp_buf_cstr(&out));
    sig_warnings_free(&w);
    sp_buf_free(&b);
    sp_buf_free(&out);
    kplan_free(p);
    sig_set_free(s);
    return r;
}

/* The scan filter a one-item selection on a logsource lowers to (with mapping m, against
 * store's tables or none). */
static char *filter_on(const char *logsource, const char *item, const sig_mapping *m, sp_store *store)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "title: t\nid: 0c4ce5b6-3f2d-4d55-9c5e-0c6f7c1e2a11\nlogsource: %s\ndetection:\n  sel:\n    %s\n  condition: sel\n",
             logsource, item);
    char *t = lower_text(yaml, SIG_DOC_RULE, m, store, NULL);
    char *f = strstr(t, " filter ");
    if (!f)
        return t;
    f += 8;
    f[strcspn(f, "\n")] = 0;
    return f;
}

static char *filter_of(const char *logsource, const char *item)
{
    return filter_on(logsource, item, shipped, NULL);
}

/* A store whose table Events is inferred from one event. */
static sp_store *events_store(const char *event)
{
    sp_store *store = sp_store_new(NULL);
    ing_config cfg = {.table = "Events", .report_limit = -1};
    sp_diag d;
    ing *g = ing_new(store, &cfg, &d);
    assert_non_null(g);
    ing_ingest_message(g, event, strlen(event), "t");
    ing_free(g);
    return store;
}

#define SIGNIN "{product: azure, service: signinlogs}"

/* ---- mapping ---- */

static void test_logsource_picks_the_most_specific_entry(void **st)
{
    (void)st;
    const char *const *t;
    sig_logsource copilot = {.product = "m365", .service = "copilot"}, audit = {.product = "m365", .service = "audit"};
    sig_logsource signin = {.product = "Azure", .service = "SigninLogs"}, other = {.product = "windows"};
    assert_int_equal(sig_mapping_tables(shipped, &copilot, &t), 1);
    assert_string_equal(t[0], "CopilotActivity");
    assert_int_equal(sig_mapping_tables(shipped, &audit, &t), 1);
    assert_string_equal(t[0], "OfficeActivity");
    assert_int_equal(sig_mapping_tables(shipped, &signin, &t), 1); /* selectors ignore case */
    assert_string_equal(t[0], "SigninLogs");
    assert_int_equal(sig_mapping_tables(shipped, &other, &t), 1);
    assert_string_equal(t[0], "Events");
    assert_int_equal(sig_mapping_tables(NULL, &signin, &t), 1); /* no mapping: Events */
    assert_string_equal(t[0], "Events");
}

static void test_field_names_map_by_whole_name_then_dotted_prefix(void **st)
{
    (void)st;
    sp_buf b = {0};
    assert_true(sig_mapping_field(shipped, "SigninLogs", "callerIpAddress", &b));
    assert_string_equal(sp_buf_cstr(&b), "IPAddress");
    assert_true(sig_mapping_field(shipped, "signinlogs", "CALLERIPADDRESS", &b));
    assert_string_equal(sp_buf_cstr(&b), "IPAddress");
    assert_true(sig_mapping_field(shipped, "SigninLogs", "properties.location.city", &b));
    assert_string_equal(sp_buf_cstr(&b), "LocationDetails.city");
    assert_true(sig_mapping_field(shipped, "AADNonInteractiveUserSignInLogs", "properties.processingTimeInMilliseconds", &b));
    assert_string_equal(sp_buf_cstr(&b), "ProcessingTimeInMs");
    assert_false(sig_mapping_field(shipped, "SigninLogs", "AppDisplayName", &b));
    assert_false(sig_mapping_field(shipped, "SentinelHealth", "callerIpAddress", &b));
    assert_int_equal(sig_mapping_strip(shipped, "SigninLogs", "properties.appDisplayName"), 11);
    assert_int_equal(sig_mapping_strip(shipped, "SentinelHealth", "properties.x"), 0);
    assert_string_equal(sig_mapping_canonical_path(shipped, "SigninLogs", "devicedetail.TRUSTTYPE"), "DeviceDetail.trustType");
    sp_buf_free(&b);
}

static void test_every_resolution_form_lowers_to_its_column(void **st)
{
    (void)st;
    /* Log Analytics name, any case */
    assert_string_equal(filter_of(SIGNIN, "appdisplayname: x"), "(AppDisplayName =~ \"x\")");
    /* Event Hubs name: the strip prefix, then the column */
    assert_string_equal(filter_of(SIGNIN, "properties.appDisplayName: x"), "(AppDisplayName =~ \"x\")");
    /* Event Hubs name with an explicit entry */
    assert_string_equal(filter_of(SIGNIN, "callerIpAddress: 1.2.3.4"), "(IPAddress =~ \"1.2.3.4\")");
    /* a mapped prefix followed by a path into the dynamic column */
    assert_string_equal(filter_of(SIGNIN, "properties.status.errorCode: 50126"),
                        "$any(Status, \"errorCode\", v => (isnotnull(v) and $str_eq_num(tostring(v), 50126, true)))");
    /* a dotted path, written in the mapping's canonical case */
    assert_string_equal(filter_of(SIGNIN, "DeviceDetail.trusttype: 'Azure AD joined'"),
                        "$any(DeviceDetail, \"trustType\", v => (isnotnull(v) and (tostring(v) =~ \"Azure AD joined\")))");
    /* a path that crosses an array: any element */
    assert_string_equal(filter_of(SIGNIN, "ConditionalAccessPolicies.result: failure"),
                        "$any(ConditionalAccessPolicies, \"result\", v => (isnotnull(v) and (tostring(v) =~ \"failure\")))");
    /* exists on a path: the key, whatever its value */
    assert_string_equal(filter_of(SIGNIN, "status.ERRORCODE|exists: true"), "$path_exists(Status, \"errorCode\")");
}

static void test_union_of_tables_when_a_logsource_maps_to_several(void **st)
{
    (void)st;
    sig_mapping *m;
    sp_diag d;
    const char *more = "logsources:\n  - {product: azure, service: signinlogs, tables: [SigninLogs, AADNonInteractiveUserSignInLogs]}\n";
    assert_int_equal(sig_mapping_parse("more.yml", more, strlen(more), &m, &d), 0);
    char *t = lower_text("title: t\nid: 0c4ce5b6-3f2d-4d55-9c5e-0c6f7c1e2a11\nlogsource: " SIGNIN
                         "\ndetection:\n  sel:\n    DeviceDetail.isCompliant: 'false'\n  condition: sel\n",
                         SIG_DOC_RULE, m, NULL, NULL);
    assert_string_equal(t, "Union\n"
                           "  Scan SigninLogs filter $any(DeviceDetail, \"isCompliant\", v => (isnotnull(v) and (tostring(v) =~ \"false\")))\n"
                           "  Scan AADNonInteractiveUserSignInLogs filter $any(parse_json(DeviceDetail), \"isCompliant\", v => (isnotnull(v) and (tostring(v) =~ \"false\")))\n");
    sig_mapping_free(m);
}

static void test_mapping_file_given_later_takes_precedence(void **st)
{
    (void)st;
    sig_mapping *m = ts_mapping("version: 1\nlogsources:\n  - {product: azure, service: signinlogs, tables: "
                                "[AADNonInteractiveUserSignInLogs]}\nfieldsets:\n  - tables: "
                                "[AADNonInteractiveUserSignInLogs]\n    fields: {User: UserId}\n");
    sig_logsource signin = {.product = "azure", .service = "signinlogs"};
    const char *const *t;
    assert_int_equal(sig_mapping_tables(m, &signin, &t), 1);
    assert_string_equal(t[0], "AADNonInteractiveUserSignInLogs");
    sp_buf b = {0};
    assert_true(sig_mapping_field(m, "AADNonInteractiveUserSignInLogs", "user", &b));
    assert_string_equal(sp_buf_cstr(&b), "UserId"); /* the override wins over the shipped User entry */
    assert_true(sig_mapping_field(m, "AADNonInteractiveUserSignInLogs", "Username", &b));
    assert_string_equal(sp_buf_cstr(&b), "UserPrincipalName"); /* the shipped entries remain */
    sp_buf_free(&b);
    sig_mapping_free(m);
}

static void test_mapping_errors_are_positioned(void **st)
{
    (void)st;
    sig_mapping *m;
    sp_diag d;
    const char *bad_key = "version: 1\nlogsources:\n  - {product: azure, tabels: [X]}\n";
    assert_int_equal(sig_mapping_parse("m.yml", bad_key, strlen(bad_key), &m, &d), -1);
    assert_int_equal(d.line, 3);
    assert_int_equal(d.col, 22);
    assert_string_equal(d.msg, "unknown key 'tabels' in a logsources entry");
    const char *no_tables = "logsources:\n  - {product: azure}\n";
    assert_int_equal(sig_mapping_parse("m.yml", no_tables, strlen(no_tables), &m, &d), -1);
    assert_string_equal(d.msg, "a logsources entry needs 'tables'");
    const char *version = "version: 2\n";
    assert_int_equal(sig_mapping_parse("m.yml", version, strlen(version), &m, &d), -1);
    assert_int_equal(d.line, 1);
    assert_string_equal(d.msg, "unsupported mapping version (this socpipe reads version 1)");
    const char *field = "fieldsets:\n  - tables: [T]\n    fields: {a: [b]}\n";
    assert_int_equal(sig_mapping_parse("m.yml", field, strlen(field), &m, &d), -1);
    assert_string_equal(d.msg, "field 'a' must map to a column name");
    assert_int_equal(sig_mapping_load("no/such/mapping.yml", &m, &d), -1);
}

static void test_unknown_field_warns_and_reads_additional_fields_or_nothing(void **st)
{
    (void)st;
    char warn[2048];
    /* declared table: AdditionalFields under the field's own name, one warning */
    char *t = lower_text("title: unknown\nid: 0c4ce5b6-3f2d-4d55-9c5e-0c6f7c1e2a11\nlogsource: " SIGNIN
                         "\ndetection:\n  sel:\n    NoSuchField: x\n    Other: y\n  sel2:\n    NoSuchField: z\n"
                         "  condition: sel or sel2\n",
                         SIG_DOC_RULE, shipped, NULL, warn);
    assert_non_null(strstr(t, "$any(AdditionalFields, \"NoSuchField\""));
    assert_string_equal(warn, "rule.yml:6:5: rule 'unknown': field 'NoSuchField' is in no mapping and no schema of "
                              "table SigninLogs; looked up in AdditionalFields\n"
                              "rule.yml:7:5: rule 'unknown': field 'Other' is in no mapping and no schema of table "
                              "SigninLogs; looked up in AdditionalFields\n");
    /* a mapped field the table lacks is named with its target */
    lower_text("title: pim\nid: 0c4ce5b6-3f2d-4d55-9c5e-0c6f7c1e2a11\nlogsource: {product: m365}\ndetection:\n  sel:\n"
               "    ObjectId: x\n  condition: sel\n",
               SIG_DOC_RULE, shipped, NULL, warn);
    assert_string_equal(warn, "");
    /* inferred table: the field is absent, so the item is false and its negation true */
    sp_store *store = sp_store_new(NULL);
    sp_table *e = sp_store_table(store, "Events");
    sp_builder *b = sp_builder_new(e);
    sp_builder_begin_row(b);
    sp_builder_set_string(b, sp_builder_column(b, "a", 1, SP_TYPE_STRING), "x", 1);
    sp_builder_end_row(b, NULL);
    sp_builder_free(b);
    t = lower_text("title: absent\nid: 0c4ce5b6-3f2d-4d55-9c5e-0c6f7c1e2a11\nlogsource: {product: test}\ndetection:\n"
                   "  sel:\n    b: x\n  nul:\n    b: null\n  condition: not sel and nul\n",
                   SIG_DOC_RULE, NULL, store, warn);
    assert_string_equal(t, "Scan Events filter true\n");
    assert_string_equal(warn, "rule.yml:6:5: rule 'absent': field 'b' is in no mapping and no schema of table Events; "
                              "treated as absent\n");
    sp_store_free(store);
}

/* ---- matcher kinds ---- */

static void test_each_matcher_kind_lowers_to_its_builtin(void **st)
{
    (void)st;
    static const struct {
        const char *item, *filter;
    } cases[] = {
        {"AppDisplayName: 'Azure Portal'", "(AppDisplayName =~ \"Azure Portal\")"},
        {"AppDisplayName: [a, b, c]", "(AppDisplayName in~ [\"a\", \"b\", \"c\"])"},
        {"AppDisplayName|cased: [a, b]", "(AppDisplayName in [\"a\", \"b\"])"},
        {"AppDisplayName|cased: a", "(AppDisplayName == \"a\")"},
        {"UserAgent|startswith: python", "(UserAgent startswith \"python\")"},
        {"UserAgent|endswith|cased: X", "(UserAgent endswith_cs \"X\")"},
        {"UserAgent|contains: curl", "(UserAgent contains \"curl\")"},
        {"UserAgent: 'py*on/3.?'", "$glob(UserAgent, \"py*on/3.?\")"},
        {"UserAgent|cased: 'Py*'", "(UserAgent startswith_cs \"Py\")"},
        {"UserAgent|re|i: '^python-requests/[0-9]+'", "(UserAgent matches regex \"(?i)^python-requests/[0-9]+\")"},
        {"IPAddress|cidr: ['10.0.0.0/8', '2001:db8::/32']",
         "($cidr(IPAddress, \"10.0.0.0/8\", true) or $cidr(IPAddress, \"2001:db8::/32\", true))"},
        {"ResultType: 50126", "$str_eq_num(ResultType, 50126, true)"},
        {"DurationMs: [1, 2]", "(DurationMs in [1, 2])"},
        {"DurationMs|gt: 5000", "(isnotnull(DurationMs) and (DurationMs > 5000))"},
        {"ResultType|lt: 100", "coalesce(($str_num(ResultType) < 100), false)"},
        {"IsInteractive: true", "(isnotnull(IsInteractive) and (IsInteractive == true))"},
        {"RiskState: null", "isempty(RiskState)"},
        {"DurationMs: null", "isnull(DurationMs)"},
        {"RiskState: ''", "isempty(RiskState)"},
        {"RiskState: '*'", "isnotempty(RiskState)"},
        {"RiskState|exists: false", "not(isnotempty(RiskState))"},
        {"DeviceDetail.trusttype|exists: true", "$path_exists(DeviceDetail, \"trustType\")"},
        {"UserPrincipalName|fieldref|endswith: HomeTenantId",
         "((isnotempty(UserPrincipalName) and isnotempty(HomeTenantId)) and (UserPrincipalName endswith HomeTenantId))"},
        {"TimeGenerated|hour|gte: 20", "coalesce((hourofday(TimeGenerated) >= 20), false)"},
        {"CreatedDateTime|week: 53", "coalesce((week_of_year(CreatedDateTime) == 53), false)"},
        {"UserAgent|contains|all: [a, b]", "((UserAgent contains \"a\") and (UserAgent contains \"b\"))"},
        {"AppDisplayName|neq: x", "not((AppDisplayName =~ \"x\"))"},
        {"DurationMs|startswith: 12", "(isnotnull(DurationMs) and (tostring(DurationMs) startswith \"12\"))"},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(cases); i++) {
        const char *got = filter_of(SIGNIN, cases[i].item);
        if (strcmp(got, cases[i].filter))
            fail_msg("%s\n  want %s\n  got  %s", cases[i].item, cases[i].filter, got);
    }
}

/* Tables inferred from the data keep presence (store.h): there `null`, `''`, `exists` and
 * the tests that hold on "" read it through the $sig_ builtins; declared tables keep the
 * Log Analytics reading pinned above. */
static void test_inferred_tables_lower_null_empty_and_exists_to_presence_builtins(void **st)
{
    (void)st;
    sp_store *store = events_store("{\"f\": \"x\", \"h\": \"y\", \"n\": 1, \"d\": {\"a\": 1}}");
    static const struct {
        const char *item, *filter;
    } cases[] = {
        {"f: null", "$sig_isnull(f)"},
        {"f: ''", "(isempty(f) and $sig_notnull(f))"},
        {"f: '*'", "$sig_notnull(f)"},
        {"f|contains: ''", "$sig_notnull(f)"},
        {"f|exists: true", "$sig_present(f)"},
        {"n|exists: false", "not($sig_present(n))"},
        {"d|exists: true", "$sig_present(d)"},
        {"n: null", "isnull(n)"},
        {"f|re: '^a?$'", "((f matches regex \"^a?$\") and $sig_notnull(f))"},
        {"f|re: 'a+'", "(f matches regex \"a+\")"}, /* cannot match "": no guard */
        {"f|neq: null", "not($sig_isnull(f))"},
        {"f|fieldref: h", "(($sig_notnull(f) and $sig_notnull(h)) and (f =~ h))"},
        {"f: [null, '']", "($sig_isnull(f) or (isempty(f) and $sig_notnull(f)))"},
        {"f|contains: x", "(f contains \"x\")"}, /* false on "" anyway: no guard */
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(cases); i++) {
        const char *f = filter_on("{product: test}", cases[i].item, NULL, store);
        if (strcmp(f, cases[i].filter))
            fail_msg("%s\n  want %s\n  got  %s", cases[i].item, cases[i].filter, f);
    }
    /* The printed KQL spells them as KQL's nearest reading and says it is not exact. */
    const char *yaml = "title: t\nlogsource: {product: test}\ndetection:\n  sel: {f: null, n|exists: true}\n"
                       "  condition: sel\n";
    sig_set *s = ts_load(yaml);
    sig_lower_opts o = {.store = store};
    kplan *p;
    sp_diag d;
    assert_int_equal(sig_lower(s, SIG_DOC_RULE, 0, &o, &p, NULL, &d), 0);
    sp_buf kql = {0};
    assert_int_equal(sig_plan_to_kql(p, &kql, &d), 0);
    assert_non_null(strstr(sp_buf_cstr(&kql), "// KQL reads an absent field, a JSON null and \"\" alike"));
    assert_non_null(strstr(sp_buf_cstr(&kql), "| where (isempty(f) and isnotnull(n))"));
    sp_buf_free(&kql);
    kplan_free(p);
    sig_set_free(s);
    sp_store_free(store);
}

static void test_keywords_search_string_columns_and_string_values_of_dynamic_ones(void **st)
{
    (void)st;
    sp_store *store = events_store("{\"id\": 1, \"msg\": \"x\", \"props\": {\"a\": [\"b\"]}}");
    char *t = lower_text("title: kw\nid: 0c4ce5b6-3f2d-4d55-9c5e-0c6f7c1e2a11\nlogsource: {product: test}\ndetection:\n"
                         "  keywords: [evil, 'ba*d']\n  condition: keywords\n",
                         SIG_DOC_RULE, NULL, store, NULL);
    assert_string_equal(t, "Scan Events filter (((msg contains \"evil\") or $glob(msg, \"*ba*d*\")) or "
                           "$keyword(props, v => ((isnotnull(v) and (tostring(v) contains \"evil\")) or "
                           "(isnotnull(v) and $glob(tostring(v), \"*ba*d*\")))))\n");
    sp_store_free(store);
}

static void test_programs_test_dictionary_columns_directly(void **st)
{
    (void)st;
    sig_set *s = sig_set_new(NULL);
    const char *yaml = "title: t\nid: 0c4ce5b6-3f2d-4d55-9c5e-0c6f7c1e2a11\nlogsource: " SIGNIN
                       "\ndetection:\n  sel:\n    AppDisplayName: [a, b]\n    ResultType: 50126\n"
                       "    DeviceDetail.trustType: x\n  condition: sel\n";
    sig_set_load_text(s, "rule.yml", yaml, strlen(yaml));
    sig_set_resolve(s);
    sig_lower_opts o = {.mapping = shipped};
    kplan *p;
    sp_diag d;
    assert_int_equal(sig_lower(s, SIG_DOC_RULE, 0, &o, &p, NULL, &d), 0);
    sp_buf b = {0};
    assert_int_equal(kexec_explain_programs(p, &b, &d), 0);
    assert_string_equal(sp_buf_cstr(&b), "programs:\n"
                                         "  scan SigninLogs filter:\n"
                                         "    0  VERDICT r0 = per distinct text of column #4, cached by table-dictionary id:\n"
                                         "         t:     0  COL    r0 = column #0\n"
                                         "         t:     1  CALL   r1 = in~(r0, <set>) -> bool\n"
                                         "    1  FILTER keep rows where r0\n"
                                         "    2  VERDICT r1 = per distinct text of column #66, cached by table-dictionary id:\n"
                                         "         t:     0  COL    r0 = column #0\n"
                                         "         t:     1  CONST  r1 = 50126\n"
                                         "         t:     2  CONST  r2 = true\n"
                                         "         t:     3  CALL   r3 = $str_eq_num(r0, r1, r2) -> bool\n"
                                         "    3  FILTER keep rows where r1\n"
                                         "    4  PATH   r2 = column #29 at trustType (any)\n"
                                         "    5  CONST  r3 = \"trustType\"\n"
                                         "    6  CALL   r4 = $any(r2, r3, <predicate>) -> bool\n"
                                         "         v:     0  COL    r0 = column #0\n"
                                         "         v:     1  CALL   r1 = isnotnull(r0) -> bool\n"
                                         "         v:     2  CALL   r2 = tostring(r0) -> string\n"
                                         "         v:     3  CONST  r3 = \"x\"\n"
                                         "         v:     4  CALL   r4 = =~(r2, r3) -> bool\n"
                                         "         v:     5  AND    r5 = r1 and r4\n"
                                         "    7  FILTER keep rows where r4\n");
    sp_buf_free(&b);
    kplan_free(p);
    sig_set_free(s);
}

/* ---- correlation windows ---- */

#define MIN (60 * SP_TICKS_PER_SEC)

typedef struct wrun {
    kwin *w;
    int fired;
    kwin_output last;
    char keys[256];
} wrun;

static void wopen(wrun *r, kp_window_metric m, int nrules, int64_t span, const kp_window_cond *c, int nc, double pct)
{
    memset(r, 0, sizeof *r);
    kwin_spec s = {.metric = m, .nrules = nrules, .nkeys = 1, .span = span, .conds = c, .nconds = nc, .percentile = pct};
    r->w = kwin_new(&s);
}

/* Pushes one event; returns 1 when it closed a window (kept in r->last). */
static int wpush(wrun *r, int64_t t, uint64_t mask, const char *key, const char *text, double value, bool has_value)
{
    kstr k = {key, (uint32_t)strlen(key)};
    kwin_event e = {.time = t, .mask = mask, .keys = &k, .has_value = has_value, .value = value};
    e.text.p = text ? text : "";
    e.text.n = text ? (uint32_t)strlen(text) : 0;
    kwin_output o;
    int f = kwin_push(r->w, &e, &o);
    if (f) {
        r->fired++;
        r->last = o;
        snprintf(r->keys, sizeof r->keys, "%.*s", (int)o.keys[0].n, o.keys[0].p);
    }
    return f;
}

static void test_window_includes_both_ends_and_consumes_its_events(void **st)
{
    (void)st;
    kp_window_cond gte2 = {1, 2};
    wrun r;
    wopen(&r, KW_EVENT_COUNT, 1, 5 * MIN, &gte2, 1, 0);
    assert_int_equal(wpush(&r, 0, 1, "alice", NULL, 0, false), 0);
    assert_int_equal(wpush(&r, 5 * MIN, 1, "alice", NULL, 0, false), 1); /* exactly one timespan apart */
    assert_int_equal(r.last.start, 0);
    assert_int_equal(r.last.end, 5 * MIN);
    assert_int_equal(r.last.events, 2);
    assert_string_equal(r.keys, "alice");
    assert_int_equal(wpush(&r, 5 * MIN + 1, 1, "alice", NULL, 0, false), 0); /* consumed: starts over */
    assert_int_equal(wpush(&r, 10 * MIN + 2, 1, "alice", NULL, 0, false), 0); /* one tick too late */
    assert_int_equal(wpush(&r, 10 * MIN + 2, 1, "bob", NULL, 0, false), 0); /* groups do not mix */
    assert_int_equal(kwin_groups(r.w), 2);
    /* idle groups are forgotten as event time moves on; live ones keep their events */
    assert_int_equal(kwin_expire(r.w, 15 * MIN + 2), 0);
    assert_int_equal(kwin_expire(r.w, 15 * MIN + 3), 2);
    assert_int_equal(kwin_groups(r.w), 0);
    assert_int_equal(wpush(&r, 16 * MIN, 1, "alice", NULL, 0, false), 0);
    assert_int_equal(wpush(&r, 16 * MIN, 1, "carol", NULL, 0, false), 0);
    assert_int_equal(kwin_expire(r.w, 17 * MIN), 0);
    assert_int_equal(wpush(&r, 17 * MIN, 1, "alice", NULL, 0, false), 1); /* alice survived the expiry */
    assert_int_equal(kwin_expire(r.w, 17 * MIN), 1); /* alice's events are consumed */
    assert_int_equal(kwin_groups(r.w), 1);
    kwin_free(r.w);
}

static void test_temporal_ordered_counts_steps_in_order_and_one_event_may_take_several(void **st)
{
    (void)st;
    wrun r;
    kp_window_cond gte3 = {1, 3};
    wopen(&r, KW_TEMPORAL_ORDERED, 3, 60 * MIN, &gte3, 1, 0);
    assert_int_equal(wpush(&r, 0, 2, "h", NULL, 0, false), 0);    /* step 2 first: no progress */
    assert_int_equal(wpush(&r, MIN, 1, "h", NULL, 0, false), 0);  /* step 1 */
    assert_int_equal(wpush(&r, 2 * MIN, 6, "h", NULL, 0, false), 1); /* steps 2 and 3 at once */
    assert_int_equal((int)r.last.value, 3);
    assert_int_equal(r.last.start, 0);
    kwin_free(r.w);
    /* temporal without order: distinct rules */
    kp_window_cond gte2 = {1, 2};
    wopen(&r, KW_TEMPORAL, 2, MIN, &gte2, 1, 0);
    assert_int_equal(wpush(&r, 0, 2, "u", NULL, 0, false), 0);
    assert_int_equal(wpush(&r, 0, 2, "u", NULL, 0, false), 0);
    assert_int_equal(wpush(&r, MIN, 1, "u", NULL, 0, false), 1);
    assert_int_equal((int)r.last.value, 2);
    kwin_free(r.w);
}

static void test_value_metrics_percentile_share_and_missing_values(void **st)
{
    (void)st;
    wrun r;
    kp_window_cond any = {1, -1e300};
    wopen(&r, KW_VALUE_PERCENTILE, 1, 60 * MIN, &any, 1, 50);
    assert_int_equal(wpush(&r, 0, 1, "s", NULL, 10, true), 1);
    assert_true(r.last.value == 10);
    kwin_free(r.w);
    kp_window_cond ge3 = {1, 30};
    wopen(&r, KW_VALUE_PERCENTILE, 1, 60 * MIN, &ge3, 1, 100); /* P100: the maximum */
    assert_int_equal(wpush(&r, 0, 1, "s", NULL, 10, true), 0);
    assert_int_equal(wpush(&r, 1, 1, "s", NULL, 0, false), 0); /* no value: skipped */
    assert_int_equal(wpush(&r, 2, 1, "s", NULL, 40, true), 1);
    assert_true(r.last.value == 40);
    kwin_free(r.w);
    /* no numeric value at all: no average, so no output even for lt */
    kp_window_cond lt5 = {2, 5};
    wopen(&r, KW_VALUE_AVG, 1, MIN, &lt5, 1, 0);
    assert_int_equal(wpush(&r, 0, 1, "s", "n/a", 0, false), 0);
    kwin_free(r.w);
    /* share of the current value, named in the output */
    kp_window_cond le25 = {3, 25};
    wopen(&r, KW_VALUE_SHARE, 1, 60 * MIN, &le25, 1, 0);
    assert_int_equal(wpush(&r, 0, 1, "pc", "svchost.exe", 0, false), 0);
    assert_int_equal(wpush(&r, 1, 1, "pc", "svchost.exe", 0, false), 0);
    assert_int_equal(wpush(&r, 2, 1, "pc", "svchost.exe", 0, false), 0);
    assert_int_equal(wpush(&r, 3, 1, "pc", "mimikatz.exe", 0, false), 1);
    assert_true(r.last.value == 25);
    assert_int_equal(r.last.value_of.n, 12);
    assert_memory_equal(r.last.value_of.p, "mimikatz.exe", 12);
    kwin_free(r.w);
    /* distinct values are exact text; empty text is no value */
    kp_window_cond ge2 = {1, 2};
    wopen(&r, KW_VALUE_COUNT, 1, MIN, &ge2, 1, 0);
    assert_int_equal(wpush(&r, 0, 1, "ip", "Alice", 0, false), 0);
    assert_int_equal(wpush(&r, 1, 1, "ip", "", 0, false), 0);
    assert_int_equal(wpush(&r, 2, 1, "ip", "alice", 0, false), 1);
    assert_int_equal((int)r.last.value, 2);
    kwin_free(r.w);
}

/* The operator: inputs merged by time, ties in input order, rows without a time skipped. */
static kp *values_input(kplan *p, const int64_t *times, const int64_t *masks, int n)
{
    kp *v = kp_new(p, KP_VALUES, NULL);
    kp_schema_add(p, &v->out, "_Time", SP_TYPE_DATETIME);
    kp_schema_add(p, &v->out, "_RuleMask", SP_TYPE_LONG);
    kp_schema_add(p, &v->out, "_Value", SP_TYPE_REAL);
    kp_schema_add(p, &v->out, "_Text", SP_TYPE_STRING);
    kp_schema_add(p, &v->out, "User", SP_TYPE_STRING);
    v->nrows = n;
    v->cells = sp_arena_calloc(&p->arena, sizeof(kval) * 5 * (size_t)n);
    for (int i = 0; i < n; i++) {
        kval *c = &v->cells[i * 5];
        c[0] = (kval){.type = SP_TYPE_DATETIME, .null = times[i] < 0, .u.l = times[i]};
        c[1] = (kval){.type = SP_TYPE_LONG, .u.l = masks[i]};
        c[2] = kval_null(SP_TYPE_REAL);
        c[3] = (kval){.type = SP_TYPE_STRING, .u.s = {"", 0}};
        c[4] = (kval){.type = SP_TYPE_STRING, .u.s = {"u", 1}};
    }
    return v;
}

static void test_window_operator_merges_inputs_by_time_with_ties_in_input_order(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *w = kp_new(p, KP_WINDOW, NULL);
    const int64_t t_a[] = {5 * MIN, -1}, m_a[] = {1, 1};
    const int64_t t_b[] = {5 * MIN, 9 * MIN}, m_b[] = {2, 2};
    w->ninputs = 2;
    w->inputs = sp_arena_alloc(&p->arena, sizeof(kp *) * 2);
    w->inputs[0] = values_input(p, t_a, m_a, 2); /* rule 0 at 5m; a row without time */
    w->inputs[1] = values_input(p, t_b, m_b, 2); /* rule 1 at 5m (tie) and 9m */
    w->win_metric = KW_TEMPORAL_ORDERED;
    w->win_nrules = 2;
    w->window_ticks = 10 * MIN;
    w->nconds = 1;
    w->conds = sp_arena_alloc(&p->arena, sizeof(kp_window_cond));
    w->conds[0] = (kp_window_cond){1, 2};
    w->nkeys = 1;
    w->keys = sp_arena_alloc(&p->arena, sizeof(kp_named));
    w->keys[0] = (kp_named){"User", kx_col(p, KW_IN_KEYS, SP_TYPE_STRING)};
    kp_schema_add(p, &w->out, "User", SP_TYPE_STRING);
    kp_schema_add(p, &w->out, "StartTime", SP_TYPE_DATETIME);
    kp_schema_add(p, &w->out, "EndTime", SP_TYPE_DATETIME);
    kp_schema_add(p, &w->out, "Value", SP_TYPE_REAL);
    kp_schema_add(p, &w->out, "ValueOf", SP_TYPE_STRING);
    kp_schema_add(p, &w->out, "EventCount", SP_TYPE_LONG);
    p->root = w;
    krowset *rs;
    sp_diag d;
    assert_int_equal(kexec_run(p, NULL, NULL, &rs, &d), 0);
    /* input 0's row comes first on the tie, so the order is complete at 5m already */
    assert_int_equal(krowset_rows(rs), 1);
    kval v;
    krowset_get(rs, 0, 2, &v);
    assert_int_equal(v.u.l, 5 * MIN);
    krowset_get(rs, 0, 5, &v);
    assert_int_equal(v.u.l, 2);
    krowset_free(rs);
    sp_buf b = {0};
    kplan_explain(p, &b);
    assert_non_null(strstr(sp_buf_cstr(&b), "Window temporal_ordered over [t-00:10:00, t] of 2 rules where value >= 2 by User"));
    sp_buf_free(&b);
    kplan_free(p);
}

static void test_correlation_lowers_to_a_window_over_masked_rows(void **st)
{
    (void)st;
    char *t = lower_text("title: spray\nname: spray\ncorrelation:\n  type: value_count\n  rules: [fail, fail2]\n"
                         "  group-by: [IPAddress]\n  timespan: 10m\n  condition: {field: UserPrincipalName, gte: 10}\n"
                         "---\ntitle: fail\nname: fail\nlogsource: " SIGNIN "\ndetection:\n  sel: {ResultType: 50126}\n"
                         "  condition: sel\n---\ntitle: fail2\nname: fail2\nlogsource: " SIGNIN "\ndetection:\n"
                         "  sel: {ResultType: 50053}\n  condition: sel\n",
                         SIG_DOC_CORRELATION, shipped, NULL, NULL);
    assert_string_equal(t, "Window value_count over [t-00:10:00, t] where value >= 10 by IPAddress\n"
                           "  Project _Time=TimeGenerated, _RuleMask=binary_or(iff($str_eq_num(ResultType, 50126, true), 1, 0), "
                           "iff($str_eq_num(ResultType, 50053, true), 2, 0)), _Value=$str_num(UserPrincipalName), "
                           "_Text=UserPrincipalName, IPAddress=IPAddress\n"
                           "    Scan SigninLogs filter ($str_eq_num(ResultType, 50126, true) or $str_eq_num(ResultType, 50053, true))\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logsource_picks_the_most_specific_entry),
        cmocka_unit_test(test_field_names_map_by_whole_name_then_dotted_prefix),
        cmocka_unit_test(test_every_resolution_form_lowers_to_its_column),
        cmocka_unit_test(test_union_of_tables_when_a_logsource_maps_to_several),
        cmocka_unit_test(test_mapping_file_given_later_takes_precedence),
        cmocka_unit_test(test_mapping_errors_are_positioned),
        cmocka_unit_test(test_unknown_field_warns_and_reads_additional_fields_or_nothing),
        cmocka_unit_test(test_each_matcher_kind_lowers_to_its_builtin),
        cmocka_unit_test(test_inferred_tables_lower_null_empty_and_exists_to_presence_builtins),
        cmocka_unit_test(test_keywords_search_string_columns_and_string_values_of_dynamic_ones),
        cmocka_unit_test(test_programs_test_dictionary_columns_directly),
        cmocka_unit_test(test_window_includes_both_ends_and_consumes_its_events),
        cmocka_unit_test(test_temporal_ordered_counts_steps_in_order_and_one_event_may_take_several),
        cmocka_unit_test(test_value_metrics_percentile_share_and_missing_values),
        cmocka_unit_test(test_window_operator_merges_inputs_by_time_with_ties_in_input_order),
        cmocka_unit_test(test_correlation_lowers_to_a_window_over_masked_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
