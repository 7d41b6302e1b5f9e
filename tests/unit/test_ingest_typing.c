/* test_ingest_typing.c — loose typing as Log Analytics does it, time formats, values that
 * do not fit their column, key conflicts, inferred schemas and dedup. */
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

/* One Event Hubs sign-in line with the given extra top-level members and properties. */
static void eh(sp_buf *b, const char *id, const char *top, const char *props)
{
    sp_buf_printf(b, "{\"time\":\"2024-01-31T10:00:00.1234567Z\",\"category\":\"SignInLogs\"%s%s,"
                     "\"properties\":{\"id\":\"%s\"%s%s}}\n",
                  *top ? "," : "", top, id, *props ? "," : "", props);
}

static void test_loose_typing_of_level_duration_and_result_type(void **st)
{
    (void)st;
    sp_buf in = {0};
    eh(&in, "a", "\"Level\":4,\"durationMs\":12,\"resultType\":0", "");
    eh(&in, "b", "\"Level\":\"4\",\"durationMs\":\"34\",\"resultType\":\"50126\"", "");
    eh(&in, "c", "\"Level\":4.0,\"durationMs\":5e1,\"resultType\":true", "");
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, sp_buf_cstr(&in));
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 3);
    sp_store *st_ = r.store;
    CELL(st_, "SigninLogs", 0, "Level", "4");
    CELL(st_, "SigninLogs", 1, "Level", "4");
    CELL(st_, "SigninLogs", 2, "Level", "4.0"); /* a number keeps its JSON text */
    CELL(st_, "SigninLogs", 0, "DurationMs", "12");
    CELL(st_, "SigninLogs", 1, "DurationMs", "34");
    CELL(st_, "SigninLogs", 2, "DurationMs", "50");
    CELL(st_, "SigninLogs", 0, "ResultType", "0");
    CELL(st_, "SigninLogs", 1, "ResultType", "50126");
    CELL(st_, "SigninLogs", 2, "ResultType", "true");
    assert_int_equal(run_table(&r, "SigninLogs").coerced, 0);
    sp_buf_free(&in);
    run_end(&r);
}

static void test_values_that_do_not_fit_stay_null_and_go_to_additional_fields(void **st)
{
    (void)st;
    sp_buf in = {0};
    eh(&in, "a", "\"durationMs\":\"abc\"", "\"isInteractive\":\"maybe\",\"deviceDetail\":[1]");
    eh(&in, "b", "\"durationMs\":1.5", "\"createdDateTime\":{\"x\":1}");
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, sp_buf_cstr(&in));
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 2);
    sp_store *st_ = r.store;
    CELL(st_, "SigninLogs", 0, "DurationMs", "<null>");
    CELL(st_, "SigninLogs", 0, "IsInteractive", "<null>");
    CELL(st_, "SigninLogs", 0, "DeviceDetail", "[1]"); /* dynamic takes any JSON */
    CELL(st_, "SigninLogs", 0, "AdditionalFields",
         "{\"durationMs\":\"abc\",\"properties\":{\"isInteractive\":\"maybe\"}}");
    CELL(st_, "SigninLogs", 1, "DurationMs", "<null>");
    CELL(st_, "SigninLogs", 1, "CreatedDateTime", "<null>");
    CELL(st_, "SigninLogs", 1, "AdditionalFields", "{\"durationMs\":1.5,\"properties\":{\"createdDateTime\":{\"x\":1}}}");
    ing_table_stats ts = run_table(&r, "SigninLogs");
    assert_int_equal(ts.coerced, 4);
    assert_int_equal(ts.extra_fields, 0);
    sp_buf_free(&in);
    run_end(&r);
}

static void test_time_formats_seven_digits_offsets_and_no_zone(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r,
             "{\"Type\":\"SentinelHealth\",\"RecordId\":\"1\",\"TimeGenerated\":\"2024-01-31T23:59:59.9999999Z\"}\n"
             "{\"Type\":\"SentinelHealth\",\"RecordId\":\"2\",\"TimeGenerated\":\"2024-01-31T18:59:59.123-05:00\"}\n"
             "{\"Type\":\"SentinelHealth\",\"RecordId\":\"3\",\"TimeGenerated\":\"2024-01-31T23:59:59\"}\n"
             "{\"Type\":\"SentinelHealth\",\"RecordId\":\"4\",\"TimeGenerated\":\"2024-02-01 01:00:00+02:00\"}\n"
             "{\"Type\":\"SentinelHealth\",\"RecordId\":\"5\",\"TimeGenerated\":\"yesterday\"}\n"
             "{\"Type\":\"SentinelHealth\",\"RecordId\":\"6\"}\n"
             "{\"Type\":\"SentinelHealth\",\"RecordId\":\"7\",\"TimeGenerated\":null}\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 7);
    assert_int_equal(s.rejected, 0);
    sp_store *st_ = r.store;
    CELL(st_, "SentinelHealth", 0, "TimeGenerated", "2024-01-31T23:59:59.9999999Z");
    CELL(st_, "SentinelHealth", 1, "TimeGenerated", "2024-01-31T23:59:59.1230000Z");
    CELL(st_, "SentinelHealth", 2, "TimeGenerated", "2024-01-31T23:59:59.0000000Z");
    CELL(st_, "SentinelHealth", 3, "TimeGenerated", "2024-01-31T23:00:00.0000000Z");
    /* Unparseable or missing time: stored with a null time, the text kept, counted. */
    CELL(st_, "SentinelHealth", 4, "TimeGenerated", "<null>");
    CELL(st_, "SentinelHealth", 4, "AdditionalFields", "{\"TimeGenerated\":\"yesterday\"}");
    CELL(st_, "SentinelHealth", 5, "TimeGenerated", "<null>");
    CELL(st_, "SentinelHealth", 6, "TimeGenerated", "<null>");
    ing_table_stats ts = run_table(&r, "SentinelHealth");
    assert_int_equal(ts.no_time, 3);
    assert_int_equal(ts.coerced, 1);
    sp_table_stats tst;
    sp_table_stats_get(sp_store_find(st_, "SentinelHealth"), &tst);
    char buf[32];
    sp_datetime_format(tst.max_time, buf);
    assert_string_equal(buf, "2024-01-31T23:59:59.9999999Z");
    run_end(&r);
}

static void test_null_values_give_null_cells(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, "{\"Type\":\"SigninLogs\",\"Id\":\"n1\",\"DurationMs\":null,\"Status\":null,\"UserId\":null,"
                 "\"IsInteractive\":null}\n");
    ing_flush(r.g);
    CELL(r.store, "SigninLogs", 0, "DurationMs", "<null>");
    CELL(r.store, "SigninLogs", 0, "Status", "<null>");
    CELL(r.store, "SigninLogs", 0, "UserId", ""); /* strings are never null */
    CELL(r.store, "SigninLogs", 0, "IsInteractive", "<null>");
    CELL(r.store, "SigninLogs", 0, "AdditionalFields", "<null>");
    run_end(&r);
}

static void test_conflicting_sources_of_one_column(void **st)
{
    (void)st;
    sp_buf in = {0};
    /* callerIpAddress is the fallback for properties.ipAddress, whichever comes first */
    eh(&in, "a", "\"callerIpAddress\":\"1.1.1.1\"", "\"ipAddress\":\"2.2.2.2\"");
    eh(&in, "b", "\"callerIpAddress\":\"3.3.3.3\"", "\"ipAddress\":\"3.3.3.3\"");
    sp_buf_puts(&in, "{\"time\":\"2024-01-31T10:00:00Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"c\","
                     "\"ipAddress\":\"4.4.4.4\"},\"callerIpAddress\":\"5.5.5.5\"}\n");
    eh(&in, "d", "\"callerIpAddress\":\"6.6.6.6\"", "");
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, sp_buf_cstr(&in));
    ing_flush(r.g);
    sp_store *st_ = r.store;
    CELL(st_, "SigninLogs", 0, "IPAddress", "2.2.2.2");
    CELL(st_, "SigninLogs", 0, "AdditionalFields", "{\"callerIpAddress\":\"1.1.1.1\"}");
    CELL(st_, "SigninLogs", 1, "IPAddress", "3.3.3.3");
    CELL(st_, "SigninLogs", 1, "AdditionalFields", "<null>"); /* equal values: nothing to keep */
    CELL(st_, "SigninLogs", 2, "IPAddress", "4.4.4.4");
    CELL(st_, "SigninLogs", 2, "AdditionalFields", "{\"callerIpAddress\":\"5.5.5.5\"}");
    CELL(st_, "SigninLogs", 3, "IPAddress", "6.6.6.6");
    sp_buf_free(&in);
    run_end(&r);
}

static void test_record_with_its_own_additional_fields_is_merged(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, "{\"Type\":\"SentinelHealth\",\"RecordId\":\"1\",\"AdditionalFields\":{\"a\":1},\"X\":2}\n"
                 "{\"Type\":\"SentinelHealth\",\"RecordId\":\"2\",\"AdditionalFields\":{\"a\":1}}\n");
    ing_flush(r.g);
    CELL(r.store, "SentinelHealth", 0, "AdditionalFields", "{\"X\":2,\"a\":1}");
    CELL(r.store, "SentinelHealth", 1, "AdditionalFields", "{\"a\":1}");
    run_end(&r);
}

static void test_inferred_schema_grows_widens_and_loses_nothing(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r,
             "{\"Type\":\"App_CL\",\"TimeGenerated\":\"2024-01-31T10:00:00Z\",\"n\":1,\"s\":\"x\",\"when\":\"2024-01-31T09:00:00Z\"}\n"
             "{\"Type\":\"App_CL\",\"TimeGenerated\":\"2024-01-31T10:00:01Z\",\"n\":2.5,\"b\":true,\"o\":{\"k\":[1]}}\n"
             "{\"Type\":\"App_CL\",\"TimeGenerated\":\"2024-01-31T10:00:02Z\",\"when\":\"later\",\"n\":null,\"big\":18446744073709551615}\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 3);
    sp_store *st_ = r.store;
    const char *t = "App_CL";
    assert_string_equal(column_type(st_, t, "TimeGenerated"), "datetime");
    assert_string_equal(column_type(st_, t, "n"), "real"); /* long widened */
    assert_string_equal(column_type(st_, t, "s"), "string");
    assert_string_equal(column_type(st_, t, "when"), "string"); /* datetime, then text */
    assert_string_equal(column_type(st_, t, "b"), "bool");
    assert_string_equal(column_type(st_, t, "o"), "dynamic");
    assert_string_equal(column_type(st_, t, "big"), "real");
    CELL(st_, t, 0, "n", "1");
    CELL(st_, t, 1, "n", "2.5");
    CELL(st_, t, 2, "n", "<null>");
    CELL(st_, t, 1, "s", "");
    CELL(st_, t, 1, "o", "{\"k\":[1]}");
    CELL(st_, t, 0, "when", "2024-01-31T09:00:00.0000000Z");
    CELL(st_, t, 2, "when", "later");
    CELL(st_, t, 2, "Type", "App_CL");
    assert_int_equal(table_ncols(st_, t), 8); /* TimeGenerated, Type, n, s, when, b, o, big */
    CELL(st_, t, 0, "AdditionalFields", "<no column>"); /* nothing needed one */
    run_end(&r);
}

static void test_same_record_twice_is_one_row_and_one_duplicate(void **st)
{
    (void)st;
    char *p = sample_path("purview-copilotinteraction.ndjson");
    char *text = slurp(p, NULL);
    free(p);
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, text);
    run_text(&r, text); /* re-delivery of both records */
    /* a table without an id column dedups on the raw record */
    run_text(&r, "{\"Type\":\"App_CL\",\"k\":1}\n{\"Type\":\"App_CL\",\"k\":1}\n{\"Type\":\"App_CL\",\"k\":2}\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.records, 7);
    assert_int_equal(s.rows, 4);
    assert_int_equal(s.duplicates, 3);
    assert_int_equal(table_rows(r.store, "CopilotActivity"), 2);
    assert_int_equal(run_table(&r, "CopilotActivity").duplicates, 2);
    assert_int_equal(table_rows(r.store, "App_CL"), 2);
    assert_int_equal(run_table(&r, "App_CL").duplicates, 1);
    free(text);
    run_end(&r);
}

/* Every dropped re-delivery is a row of IngestionDuplicates: the record's table, its id (or
 * raw-record hash), the envelope and input it arrived through, and its own event time. */
static void test_dropped_duplicates_are_recorded_in_ingestion_duplicates(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    const char *la = "{\"Type\":\"SigninLogs\",\"Id\":\"s-1\",\"TimeGenerated\":\"2026-11-01T00:00:05Z\"}\n";
    run_text(&r, la);
    /* the same sign-in through Event Hubs diagnostic settings */
    run_text(&r, "{\"time\":\"2026-11-01T00:00:05Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"s-1\"}}\n");
    run_text(&r, la);
    run_text(&r, "{\"Type\":\"App_CL\",\"k\":1}\n{\"Type\":\"App_CL\",\"k\":1}\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.duplicates, 3);
    assert_int_equal(table_rows(r.store, "SigninLogs"), 1);
    sp_store *st_ = r.store;
    const char *t = "IngestionDuplicates";
    assert_int_equal(table_rows(st_, t), 3);
    CELL(st_, t, 0, "DataType", "SigninLogs");
    CELL(st_, t, 0, "RecordKey", "s-1");
    CELL(st_, t, 0, "Envelope", "EventHubs");
    CELL(st_, t, 0, "TimeGenerated", "2026-11-01T00:00:05.0000000Z");
    CELL(st_, t, 0, "Type", "IngestionDuplicates");
    CELL(st_, t, 1, "Envelope", "LogAnalytics");
    CELL(st_, t, 2, "DataType", "App_CL");
    CELL(st_, t, 2, "TimeGenerated", "<null>"); /* the record has no time of its own */
    char *key = cell_text(st_, t, 2, "RecordKey");
    assert_int_equal(strncmp(key, "hash:", 5), 0);
    assert_int_equal(strlen(key), 5 + 32);
    free(key);
    run_end(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loose_typing_of_level_duration_and_result_type),
        cmocka_unit_test(test_values_that_do_not_fit_stay_null_and_go_to_additional_fields),
        cmocka_unit_test(test_time_formats_seven_digits_offsets_and_no_zone),
        cmocka_unit_test(test_null_values_give_null_cells),
        cmocka_unit_test(test_conflicting_sources_of_one_column),
        cmocka_unit_test(test_record_with_its_own_additional_fields_is_merged),
        cmocka_unit_test(test_inferred_schema_grows_widens_and_loses_nothing),
        cmocka_unit_test(test_same_record_twice_is_one_row_and_one_duplicate),
        cmocka_unit_test(test_dropped_duplicates_are_recorded_in_ingestion_duplicates),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
