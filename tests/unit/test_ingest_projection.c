/* test_ingest_projection.c — query-driven loads (ing_config.keep_column): the parser
 * drops the fields no declared table keeps without reading them, and what is stored is
 * exactly what a full load stores for the kept columns. Records that would need a
 * dropped field (another envelope form, an inferred table, a table keeping
 * AdditionalFields) are parsed again in full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "support/plan_build.h"
#include "support/ingest_helpers.h"

/* Keeps what `SigninLogs | ... ResultType, UserPrincipalName` and `AuditLogs | ...
 * AdditionalFields` read. */
static bool keep(void *ctx, const char *table, const char *column)
{
    (void)ctx;
    if (!strcmp(table, "SigninLogs"))
        return !strcmp(column, "ResultType") || !strcmp(column, "UserPrincipalName");
    if (!strcmp(table, "AuditLogs"))
        return !strcmp(column, SP_ADDITIONAL_FIELDS) || !strcmp(column, "OperationName");
    return false;
}

static const char *const input =
    "{\"TimeGenerated\":\"2026-11-01T00:00:01Z\",\"Id\":\"a1\",\"ResultType\":\"50126\",\"AppDisplayName\":\"Azure "
    "Portal\",\"AuthenticationDetails\":\"[{\\\"m\\\":\\\"Password\\\"}]\",\"DeviceDetail\":{\"os\":\"Windows\"},"
    "\"UserPrincipalName\":\"ann@contoso.com\",\"Type\":\"SigninLogs\"}\n"
    "{\"TimeGenerated\":\"2026-11-01T00:00:02Z\",\"Id\":\"a2\",\"AppDisplayName\":\"Teams\",\"ResultType\":\"0\","
    "\"UserPrincipalName\":\"bob@contoso.com\",\"NotAColumn\":[1,2],\"Type\":\"SigninLogs\"}\n"
    /* an inferred table: every field is stored, column names of SigninLogs included */
    "{\"TimeGenerated\":\"2026-11-01T00:00:03Z\",\"AppDisplayName\":\"Custom App\",\"IPAddress\":\"10.0.0.1\","
    "\"Type\":\"MyCustom_CL\"}\n"
    /* the Event Hubs form of a sign-in: mapped, not named by columns */
    "{\"time\":\"2026-11-01T00:00:04Z\",\"category\":\"SignInLogs\",\"resultType\":\"50053\",\"properties\":{\"id\":"
    "\"a4\",\"userPrincipalName\":\"cy@contoso.com\",\"appDisplayName\":\"Azure Portal\"}}\n"
    /* a table keeping AdditionalFields: unknown fields and dropped-looking keys go there */
    "{\"TimeGenerated\":\"2026-11-01T00:00:05Z\",\"Id\":\"a5\",\"OperationName\":\"Add user\",\"AppDisplayName\":"
    "\"Portal\",\"Extra\":1,\"Type\":\"AuditLogs\"}\n";

static char *query(sp_store *s, const char *q)
{
    char *out = tb_kql(s, q, NULL);
    if (!strncmp(out, "error: ", 7))
        fail_msg("%s in %s", out, q);
    return out;
}

static void load(ingest_run *r, bool projected)
{
    ing_config cfg = {.report_limit = -1, .keep_column = projected ? keep : NULL};
    run_start(r, &cfg, false);
    run_text(r, input);
    ing_stats st;
    run_stats(r, &st);
    assert_int_equal(st.rows, 5);
    assert_int_equal(st.rejected, 0);
}

static void test_projected_load_stores_the_kept_columns_as_a_full_load_does(void **st)
{
    (void)st;
    ingest_run full, proj;
    load(&full, false);
    load(&proj, true);
    static const char *const qs[] = {
        "SigninLogs | project TimeGenerated, Id, ResultType, UserPrincipalName",
        "AuditLogs | project TimeGenerated, Id, OperationName, AdditionalFields",
        "MyCustom_CL | project-away TimeGenerated",
    };
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        char *a = query(full.store, qs[i]), *b = query(proj.store, qs[i]);
        assert_string_equal(b, a);
        assert_true(strlen(a) > 0);
        free(a);
        free(b);
    }
    /* the dropped columns really are not stored */
    char *c = query(proj.store, "SigninLogs | where isnotempty(AppDisplayName) | count");
    assert_string_equal(c, "{\"Count\":0}\n");
    free(c);
    c = query(full.store, "SigninLogs | where isnotempty(AppDisplayName) | count");
    assert_string_equal(c, "{\"Count\":3}\n");
    free(c);
    /* the inferred table kept a SigninLogs column name; the Event Hubs row was mapped */
    c = query(proj.store, "MyCustom_CL | project AppDisplayName, IPAddress");
    assert_string_equal(c, "{\"AppDisplayName\":\"Custom App\",\"IPAddress\":\"10.0.0.1\"}\n");
    free(c);
    c = query(proj.store, "SigninLogs | where Id == \"a4\" | project ResultType, UserPrincipalName");
    assert_string_equal(c, "{\"ResultType\":\"50053\",\"UserPrincipalName\":\"cy@contoso.com\"}\n");
    free(c);
    free(run_finish(&full));
    free(run_finish(&proj));
    run_end(&full);
    run_end(&proj);
    tmp_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_projected_load_stores_the_kept_columns_as_a_full_load_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
