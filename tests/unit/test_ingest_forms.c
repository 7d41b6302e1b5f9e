/* test_ingest_forms.c — envelope recognition and mapping into Log Analytics columns:
 * Event Hubs diagnostic records (the real samples), {"records":[...]} envelopes, Log
 * Analytics rows, Purview Copilot and Office records, arrays, mixed files, Events and
 * --table routing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/support/ingest_helpers.h"
#include "tests/unit/support/store_cells.h"

static int teardown(void **st)
{
    (void)st;
    tmp_cleanup();
    return 0;
}

static void ingest_sample(ingest_run *r, const char *name)
{
    char *p = sample_path(name);
    sp_diag d = {0};
    if (ing_ingest_file(r->g, p, &d) != 0) {
        sp_diag_print(stderr, &d);
        fail_msg("cannot read %s", p);
    }
    free(p);
}

/* A fresh run over one shared sample, flushed; returns its totals. */
static ing_stats sample_run(ingest_run *r, const char *name)
{
    ing_stats s;
    run_start(r, NULL, false);
    ingest_sample(r, name);
    run_stats(r, &s);
    return s;
}

static void test_eventhubs_signin_sample_routes_by_category(void **st)
{
    (void)st;
    ingest_run r;
    ing_stats s = sample_run(&r, "eventhubs-signinlogs-raw.ndjson");
    assert_int_equal(s.records, 5);
    assert_int_equal(s.rows, 4);
    assert_int_equal(s.duplicates, 1); /* the Microsoft SP record repeats the SP record's Id */
    assert_int_equal(s.rejected, 0);
    assert_int_equal(table_rows(r.store, "SigninLogs"), 1);
    assert_int_equal(table_rows(r.store, "AADNonInteractiveUserSignInLogs"), 1);
    assert_int_equal(table_rows(r.store, "AADServicePrincipalSignInLogs"), 1);
    assert_int_equal(table_rows(r.store, "AADManagedIdentitySignInLogs"), 1);
    ing_table_stats sp = run_table(&r, "AADServicePrincipalSignInLogs");
    assert_int_equal(sp.records, 2);
    assert_int_equal(sp.duplicates, 1);
    run_end(&r);
}

static void test_eventhubs_signinlogs_columns_match_log_analytics(void **st)
{
    (void)st;
    ingest_run r;
    sample_run(&r, "eventhubs-signinlogs-raw.ndjson");
    sp_store *s = r.store;
    const char *t = "SigninLogs";
    CELL(s, t, 0, "TimeGenerated", "2019-10-18T09:45:48.0729893Z");
    CELL(s, t, 0, "CreatedDateTime", "2019-10-18T09:45:48.0729893Z"); /* -05:00 offset applied */
    CELL(s, t, 0, "Type", "SigninLogs");
    CELL(s, t, 0, "SourceSystem", "Azure AD");
    CELL(s, t, 0, "Category", "SignInLogs");
    CELL(s, t, 0, "AADTenantId", "8a4de8b5-095c-47d0-a96f-a75130c61d53");
    CELL(s, t, 0, "ResultType", "50140");
    CELL(s, t, 0, "ResultSignature", "None");
    CELL(s, t, 0, "ResultDescription",
         "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.");
    CELL(s, t, 0, "Level", "4");
    CELL(s, t, 0, "DurationMs", "0");
    CELL(s, t, 0, "Location", "FR");
    CELL(s, t, 0, "LocationDetails",
         "{\"city\":\"Champs-Sur-Marne\",\"countryOrRegion\":\"FR\",\"geoCoordinates\":{\"latitude\":48.12341234,"
         "\"longitude\":2.12341234},\"state\":\"Seine-Et-Marne\"}");
    CELL(s, t, 0, "IPAddress", "81.2.69.144");
    CELL(s, t, 0, "Identity", "Test LTest");
    CELL(s, t, 0, "ResourceId", "/tenants/8a4de8b5-095c-47d0-a96f-a75130c61d53/providers/Microsoft.aadiam");
    CELL(s, t, 0, "Resource", "Microsoft.aadiam"); /* derived from resourceId as the workspace does */
    CELL(s, t, 0, "ResourceGroup", "Microsoft.aadiam");
    CELL(s, t, 0, "ResourceProvider", "Microsoft.aadiam");
    CELL(s, t, 0, "Status",
         "{\"errorCode\":50140,\"failureReason\":\"This error occurred due to 'Keep me signed in' interrupt when "
         "the user was signing-in.\"}");
    CELL(s, t, 0, "DeviceDetail", "{\"browser\":\"Chrome 77.0.3865\",\"deviceId\":\"\",\"operatingSystem\":\"MacOs\"}");
    CELL(s, t, 0, "ProcessingTimeInMilliseconds", "239");
    CELL(s, t, 0, "IsInteractive", "false");
    CELL(s, t, 0, "Id", "8a4de8b5-095c-47d0-a96f-a75130c61d53");
    CELL(s, t, 0, "UserPrincipalName", "test@elastic.co");
    CELL(s, t, 0, "OperationName", "Sign-in activity");
    CELL(s, t, 0, "AdditionalFields", "<null>"); /* every field has a column */
    assert_string_equal(column_type(s, t, "Status"), "dynamic");
    run_end(&r);
}

static void test_eventhubs_noninteractive_uses_json_text_and_keeps_the_rest(void **st)
{
    (void)st;
    ingest_run r;
    sample_run(&r, "eventhubs-signinlogs-raw.ndjson");
    sp_store *s = r.store;
    const char *t = "AADNonInteractiveUserSignInLogs";
    assert_string_equal(column_type(s, t, "Status"), "string");
    CELL(s, t, 0, "Status",
         "{\"errorCode\":50140,\"failureReason\":\"This error occurred due to 'Keep me signed in' interrupt when "
         "the user was signing-in.\",\"additionalDetails\":\"MFA required\"}");
    CELL(s, t, 0, "ProcessingTimeInMs", "239");
    CELL(s, t, 0, "CorrelationId", "8a4de8b5-095c-47d0-a96f-a75130c61d53"); /* properties wins */
    /* The table has no ResourceId; the top-level correlationId differs: both kept. */
    CELL(s, t, 0, "AdditionalFields",
         "{\"correlationId\":\"a8d4eb85-90c5-740d-9af6-7a15036cd135\",\"resourceId\":\"/tenants/"
         "8a4de8b5-095c-47d0-a96f-a75130c61d53/providers/Microsoft.aadiam\"}");
    ing_table_stats ts = run_table(&r, t);
    assert_int_equal(ts.extra_fields, 1); /* resourceId; correlationId lost a tie, not unknown */
    /* The service-principal table keeps unknown properties under "properties". */
    char *addl = cell_text(s, "AADServicePrincipalSignInLogs", 0, "AdditionalFields");
    assert_non_null(strstr(addl, ",\"properties\":{\"appDisplayName\":\"Office 365\","));
    assert_non_null(strstr(addl, "\"isInteractive\":false,"));
    free(addl);
    CELL(s, "AADServicePrincipalSignInLogs", 0, "Category", "ServicePrincipalSignInLogs");
    CELL(s, "AADManagedIdentitySignInLogs", 0, "Category", "ManagedIdentitySignInLogs");
    CELL(s, "AADManagedIdentitySignInLogs", 0, "Type", "AADManagedIdentitySignInLogs");
    run_end(&r);
}

static void test_eventhubs_service_principal_sample(void **st)
{
    (void)st;
    ingest_run r;
    ing_stats s = sample_run(&r, "eventhubs-serviceprincipal.ndjson");
    assert_int_equal(s.rows, 7);
    assert_int_equal(s.rejected, 0);
    sp_store *st_ = r.store;
    const char *t = "AADServicePrincipalSignInLogs";
    CELL(st_, t, 0, "Level", "4"); /* a number here */
    CELL(st_, t, 0, "ResultType", "0");
    CELL(st_, t, 0, "ServicePrincipalCredentialKeyId", "dbcd79c0-c3ea-46b9-9604-ff40d43b8618");
    CELL(st_, t, 0, "ServicePrincipalName", "Terraform-Datadog-CLI");
    CELL(st_, t, 0, "ResourceIdentity", "797f4846-ba00-4fd7-ba43-dac1f8f63013");
    CELL(st_, t, 0, "ConditionalAccessPolicies", "[]");
    CELL(st_, t, 0, "AuthenticationProcessingDetails", "[{\"key\":\"Azure AD App Authentication Library\",\"value\":\"\"}]");
    CELL(st_, t, 0, "LocationDetails",
         "{\"city\":\"Hyderabad\",\"state\":\"Telangana\",\"countryOrRegion\":\"IN\",\"geoCoordinates\":{\"latitude\":"
         "17.385000228881836,\"longitude\":78.486701965332031}}");
    CELL(st_, t, 0, "CreatedDateTime", "2022-02-08T06:22:28.3518405Z");
    CELL(st_, t, 6, "Id", "ff10e682-2d33-41b1-bddf-3338823f7f01");
    CELL(st_, t, 6, "TimeGenerated", "2022-02-08T06:24:08.8471332Z");
    char *addl = cell_text(st_, t, 0, "AdditionalFields");
    assert_non_null(strstr(addl, "\"properties\":{\"userId\":null,\"status\":{\"errorCode\":0},"));
    free(addl);
    run_end(&r);
}

static void test_records_envelope_and_one_record_per_line_give_the_same_rows(void **st)
{
    (void)st;
    char *p = sample_path("eventhubs-serviceprincipal.ndjson");
    char *lines = slurp(p, NULL);
    assert_non_null(lines);
    free(p);
    /* Build {"records":[line1,line2,...]} on one line. */
    sp_buf env = {0};
    sp_buf_puts(&env, "{\"records\":[");
    char *save = NULL;
    bool first = true;
    for (char *l = strtok_r(lines, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (!first)
            sp_buf_putc(&env, ',');
        first = false;
        sp_buf_puts(&env, l);
    }
    sp_buf_puts(&env, "]}\n");
    ingest_run a, b;
    run_start(&a, NULL, false);
    run_start(&b, NULL, false);
    ingest_sample(&a, "eventhubs-serviceprincipal.ndjson");
    run_text(&b, sp_buf_cstr(&env));
    ing_stats sa, sb;
    run_stats(&a, &sa);
    run_stats(&b, &sb);
    assert_int_equal(sb.documents, 1);
    assert_int_equal(sb.records, 7);
    assert_int_equal(sb.rows, 7);
    const sp_schema *sc = sp_table_schema(sp_store_find(a.store, "AADServicePrincipalSignInLogs"));
    for (uint64_t row = 0; row < 7; row++)
        for (int c = 0; c < sc->ncols; c++) {
            char *x = cell_text(a.store, "AADServicePrincipalSignInLogs", row, sc->cols[c].name);
            char *y = cell_text(b.store, "AADServicePrincipalSignInLogs", row, sc->cols[c].name);
            assert_string_equal(x, y);
            free(x);
            free(y);
        }
    sp_buf_free(&env);
    free(lines);
    run_end(&a);
    run_end(&b);
}

static void test_purview_copilot_sample_maps_to_copilot_activity(void **st)
{
    (void)st;
    ingest_run r;
    ing_stats s = sample_run(&r, "purview-copilotinteraction.ndjson");
    assert_int_equal(s.rows, 2);
    sp_store *st_ = r.store;
    const char *t = "CopilotActivity";
    CELL(st_, t, 0, "TimeGenerated", "2023-12-13T17:12:36.0000000Z");
    CELL(st_, t, 0, "RecordId", "99b0a960-13a0-461f-8c5c-cb2316ea273d");
    CELL(st_, t, 0, "RecordType", "CopilotInteraction");
    CELL(st_, t, 0, "ActorUserId", "admin@MODERNCOMMS975184.onmicrosoft.com");
    CELL(st_, t, 0, "ActorName", "admin@MODERNCOMMS975184.onmicrosoft.com");
    CELL(st_, t, 0, "ActorUserType", "Regular");
    CELL(st_, t, 0, "OrganizationId", "408e31c8-8f05-410a-9221-84335f0ce512");
    CELL(st_, t, 0, "SrcIpAddr", "ffff:10.11.0.229");
    CELL(st_, t, 0, "ClientRegion", "US");
    CELL(st_, t, 0, "Workload", "Copilot");
    CELL(st_, t, 0, "Version", "1");
    CELL(st_, t, 0, "AppHost", "Word");
    CELL(st_, t, 0, "Type", "CopilotActivity");
    CELL(st_, t, 0, "SourceSystem", "RestAPI");
    CELL(st_, t, 0, "AdditionalFields", "{\"RecordType\":261,\"UserKey\":\"12d24f71-64c7-49b3-821f-f8884f3f373e\"}");
    CELL(st_, t, 1, "AppHost", "Bing");
    CELL(st_, t, 1, "SrcIpAddr", "2401:4900:60d2:179b:c004:b6f:b678:b148");
    char *llm = cell_text(st_, t, 1, "LLMEventData");
    assert_true(strncmp(llm, "{\"AISystemPlugin\":[{\"Id\":\"BingWebSearch\",\"Name\":\"BuiltIn\"}],\"AccessedResources\":[{", 80) == 0);
    assert_non_null(strstr(llm, "\"SensitivityLabelId\":\"f41ab342-8706-4188-bd11-ebb85995028c\""));
    assert_non_null(strstr(llm, "\"ModelTransparencyDetails\":[{\"ModelName\":\"DEEP_LEO\"}]"));
    free(llm);
    run_end(&r);
}

static void test_purview_other_record_types(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r,
             "{\"CreationTime\":\"2024-05-01T10:00:00\",\"Id\":\"aaaa\",\"Operation\":\"AIAppInteraction\",\"RecordType\":284,"
             "\"UserId\":\"u@x.com\",\"UserType\":2,\"Workload\":\"Copilot\",\"CopilotEventData\":{\"AppHost\":\"Teams\"}}\n"
             "{\"CreationTime\":\"2024-05-01T10:00:01\",\"Id\":\"bbbb\",\"Operation\":\"UpdateCopilotPlugin\",\"RecordType\":\"315\","
             "\"UserId\":\"u@x.com\",\"UserType\":4}\n"
             "{\"CreationTime\":\"2024-05-01T10:00:02\",\"Id\":\"cccc\",\"Operation\":\"FileAccessed\",\"RecordType\":6,"
             "\"UserId\":\"u@x.com\",\"UserType\":0,\"Workload\":\"SharePoint\",\"ObjectId\":\"https://x/doc.docx\","
             "\"ClientIP\":\"1.2.3.4\",\"Site\":\"s1\",\"Unknown\":{\"a\":1}}\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 3);
    sp_store *st_ = r.store;
    CELL(st_, "CopilotActivity", 0, "RecordType", "AIAppInteraction");
    CELL(st_, "CopilotActivity", 0, "ActorUserType", "Admin");
    CELL(st_, "CopilotActivity", 0, "AppHost", "Teams");
    CELL(st_, "CopilotActivity", 1, "RecordType", "UpdateCopilotPlugin");
    CELL(st_, "CopilotActivity", 1, "ActorUserType", "System");
    CELL(st_, "CopilotActivity", 1, "TimeGenerated", "2024-05-01T10:00:01.0000000Z");
    const char *o = "OfficeActivity";
    CELL(st_, o, 0, "TimeGenerated", "2024-05-01T10:00:02.0000000Z");
    CELL(st_, o, 0, "OfficeId", "cccc");
    CELL(st_, o, 0, "Operation", "FileAccessed");
    CELL(st_, o, 0, "RecordType", "6");
    CELL(st_, o, 0, "UserType", "Regular");
    CELL(st_, o, 0, "OfficeWorkload", "SharePoint");
    CELL(st_, o, 0, "OfficeObjectId", "https://x/doc.docx");
    CELL(st_, o, 0, "ClientIP", "1.2.3.4");
    CELL(st_, o, 0, "Site_", "s1");
    CELL(st_, o, 0, "Type", "OfficeActivity");
    CELL(st_, o, 0, "AdditionalFields", "{\"Unknown\":{\"a\":1}}");
    run_end(&r);
}

static void test_log_analytics_rows_route_by_type(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r,
             "{\"TimeGenerated\":\"2024-01-31T10:00:00Z\",\"Type\":\"SentinelHealth\",\"RecordId\":\"r1\",\"Status\":\"Success\","
             "\"OperationName\":\"Data fetch status change\",\"ExtendedProperties\":{\"a\":[1,2]},\"NewField\":7}\n"
             "{\"TimeGenerated\":\"2024-01-31T10:00:01Z\",\"Type\":\"MyApp_CL\",\"Count\":3,\"Msg\":\"hi\"}\n"
             "{\"TimeGenerated\":\"2024-01-31T10:00:02Z\",\"Type\":\"not a table!\",\"x\":1}\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 3);
    sp_store *st_ = r.store;
    CELL(st_, "SentinelHealth", 0, "Status", "Success");
    CELL(st_, "SentinelHealth", 0, "ExtendedProperties", "{\"a\":[1,2]}");
    CELL(st_, "SentinelHealth", 0, "AdditionalFields", "{\"NewField\":7}");
    CELL(st_, "SentinelHealth", 0, "Type", "SentinelHealth");
    assert_false(sp_table_is_declared(sp_store_find(st_, "MyApp_CL")));
    CELL(st_, "MyApp_CL", 0, "Count", "3");
    assert_string_equal(column_type(st_, "MyApp_CL", "Count"), "long");
    assert_string_equal(column_type(st_, "MyApp_CL", "TimeGenerated"), "datetime");
    CELL(st_, "MyApp_CL", 0, "TimeGenerated", "2024-01-31T10:00:01.0000000Z");
    /* a Type that is no table name sends the record to Events, Type kept as a column */
    CELL(st_, "Events", 0, "Type", "not a table!");
    CELL(st_, "Events", 0, "x", "1");
    run_end(&r);
}

static void test_json_arrays_and_mixed_forms_in_one_file(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r,
             "[{\"TimeGenerated\":\"2024-01-31T10:00:00Z\",\"Type\":\"SentinelHealth\",\"RecordId\":\"h1\"},"
             "{\"time\":\"2024-01-31T10:00:00Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"s1\"}},"
             "{\"records\":[{\"time\":\"2024-01-31T10:00:01Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"s2\"}}]},"
             "{\"CreationTime\":\"2024-01-31T10:00:00\",\"Id\":\"c1\",\"Operation\":\"CopilotInteraction\",\"RecordType\":261}]\n"
             "{\"time\":\"2024-01-31T10:00:02Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"s3\"}}\n"
             "{\"hello\":\"world\"}\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.documents, 3);
    assert_int_equal(s.records, 6);
    assert_int_equal(s.rows, 6);
    assert_int_equal(table_rows(r.store, "SentinelHealth"), 1);
    assert_int_equal(table_rows(r.store, "SigninLogs"), 3);
    assert_int_equal(table_rows(r.store, "CopilotActivity"), 1);
    assert_int_equal(table_rows(r.store, "Events"), 1);
    CELL(r.store, "SigninLogs", 1, "Id", "s2");
    CELL(r.store, "SigninLogs", 2, "Id", "s3");
    CELL(r.store, "Events", 0, "hello", "world");
    run_end(&r);
}

static void test_table_binding_sends_every_record_to_one_table(void **st)
{
    (void)st;
    ing_config cfg = {.table = "Raw_CL"};
    ingest_run r;
    run_start(&r, &cfg, false);
    run_text(&r,
             "{\"time\":\"2024-01-31T10:00:00Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"s1\"}}\n"
             "{\"Type\":\"SigninLogs\",\"a\":1}\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 2);
    assert_int_equal(table_rows(r.store, "Raw_CL"), 2);
    assert_null(sp_store_find(r.store, "SigninLogs"));
    CELL(r.store, "Raw_CL", 0, "category", "SignInLogs");
    CELL(r.store, "Raw_CL", 0, "properties", "{\"id\":\"s1\"}");
    assert_string_equal(column_type(r.store, "Raw_CL", "time"), "datetime");
    CELL(r.store, "Raw_CL", 1, "Type", "SigninLogs");
    CELL(r.store, "Raw_CL", 1, "a", "1");
    run_end(&r);
    /* a declared table as the binding uses its declared schema */
    ing_config cfg2 = {.table = "SentinelHealth"};
    run_start(&r, &cfg2, false);
    run_text(&r, "{\"TimeGenerated\":\"2024-01-31T10:00:00Z\",\"Status\":\"Failure\",\"Odd\":true}\n");
    ing_flush(r.g);
    CELL(r.store, "SentinelHealth", 0, "Status", "Failure");
    CELL(r.store, "SentinelHealth", 0, "AdditionalFields", "{\"Odd\":true}");
    run_end(&r);
}

static void test_other_diagnostic_categories_get_their_own_inferred_table(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, "{\"records\":[{\"time\":\"2024-01-31T10:00:00Z\",\"category\":\"Administrative\","
                 "\"resourceId\":\"/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG-WEB/PROVIDERS/MICROSOFT.WEB/SITES/APP1\","
                 "\"operationName\":\"MICROSOFT.WEB/SITES/WRITE\",\"properties\":{\"statusCode\":\"OK\"}}]}\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 1);
    sp_store *st_ = r.store;
    const char *t = "Administrative";
    assert_false(sp_table_is_declared(sp_store_find(st_, t)));
    CELL(st_, t, 0, "TimeGenerated", "2024-01-31T10:00:00.0000000Z");
    CELL(st_, t, 0, "OperationName", "MICROSOFT.WEB/SITES/WRITE");
    CELL(st_, t, 0, "StatusCode", "OK");
    CELL(st_, t, 0, "ResourceGroup", "RG-WEB");
    CELL(st_, t, 0, "ResourceProvider", "MICROSOFT.WEB");
    CELL(st_, t, 0, "Resource", "APP1");
    CELL(st_, t, 0, "SourceSystem", "Azure");
    CELL(st_, t, 0, "Type", "Administrative");
    run_end(&r);
}

static void test_invalid_binding_name_is_refused(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    ing_config cfg = {.table = "bad name"};
    sp_diag d = {0};
    assert_null(ing_new(s, &cfg, &d));
    assert_non_null(strstr(d.msg, "invalid table name"));
    sp_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eventhubs_signin_sample_routes_by_category),
        cmocka_unit_test(test_eventhubs_signinlogs_columns_match_log_analytics),
        cmocka_unit_test(test_eventhubs_noninteractive_uses_json_text_and_keeps_the_rest),
        cmocka_unit_test(test_eventhubs_service_principal_sample),
        cmocka_unit_test(test_records_envelope_and_one_record_per_line_give_the_same_rows),
        cmocka_unit_test(test_purview_copilot_sample_maps_to_copilot_activity),
        cmocka_unit_test(test_purview_other_record_types),
        cmocka_unit_test(test_log_analytics_rows_route_by_type),
        cmocka_unit_test(test_json_arrays_and_mixed_forms_in_one_file),
        cmocka_unit_test(test_table_binding_sends_every_record_to_one_table),
        cmocka_unit_test(test_other_diagnostic_categories_get_their_own_inferred_table),
        cmocka_unit_test(test_invalid_binding_name_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
