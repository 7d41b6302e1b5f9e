/* test_ingest_reject.c — bad input: every rejection counted by reason, reported with its
 * origin, and kept byte for byte in the dead-letter file; ingest goes on after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
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

/* Runs text through a fresh ing with a dead-letter file; returns the dead-letter text. */
static char *dead_letters_of(const char *text, size_t n, const ing_config *cfg, ing_stats *st, char **report,
                             char **path)
{
    ingest_run r;
    run_start(&r, cfg, true);
    char *p = tmp_write(text, n);
    sp_diag d = {0};
    assert_int_equal(ing_ingest_file(r.g, p, &d), 0);
    run_stats(&r, st);
    char *rep = run_finish(&r);
    char *dl = slurp(r.dead_path, NULL);
    if (report)
        *report = rep;
    else
        free(rep);
    if (path)
        *path = p;
    else
        free(p);
    run_end(&r);
    return dl;
}

static void test_truncated_json_is_rejected_with_origin_and_kept(void **st)
{
    (void)st;
    const char *in = "{\"Type\":\"App_CL\",\"a\":1}\n{\"Type\":\"App_CL\",\"a\":\n{\"Type\":\"App_CL\",\"a\":2}\n";
    ing_stats s;
    char *rep, *path;
    char *dl = dead_letters_of(in, strlen(in), NULL, &s, &rep, &path);
    assert_int_equal(s.records, 3);
    assert_int_equal(s.rows, 2);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s.by_reason[ING_REJ_INVALID_JSON], 1);
    assert_int_equal(s.dead_letters, 1);
    sp_buf want = {0};
    sp_buf_printf(&want,
                  "{\"origin\":\"%s:2\",\"reason\":\"invalid_json\",\"detail\":\"unexpected end of input at byte 21\","
                  "\"record\":\"{\\\"Type\\\":\\\"App_CL\\\",\\\"a\\\":\"}\n",
                  path);
    assert_string_equal(dl, sp_buf_cstr(&want));
    sp_buf_free(&want);
    sp_buf rw = {0};
    sp_buf_printf(&rw, "socpipe: rejected %s:2: invalid_json: unexpected end of input at byte 21\n", path);
    assert_string_equal(rep, sp_buf_cstr(&rw));
    sp_buf_free(&rw);
    free(dl);
    free(rep);
    free(path);
}

static void test_invalid_utf8_keeps_exact_bytes_in_base64(void **st)
{
    (void)st;
    const char in[] = "{\"Type\":\"App_CL\",\"a\":\"x\xFFy\"}\n";
    ing_stats s;
    char *path;
    char *dl = dead_letters_of(in, sizeof in - 1, NULL, &s, NULL, &path);
    assert_int_equal(s.by_reason[ING_REJ_INVALID_UTF8], 1);
    assert_int_equal(s.rows, 0);
    sp_buf want = {0};
    sp_buf_printf(&want,
                  "{\"origin\":\"%s:1\",\"reason\":\"invalid_utf8\",\"detail\":\"invalid UTF-8 at byte 23\","
                  "\"record\":\"{\\\"Type\\\":\\\"App_CL\\\",\\\"a\\\":\\\"x\xEF\xBF\xBDy\\\"}\","
                  "\"record_base64\":\"eyJUeXBlIjoiQXBwX0NMIiwiYSI6Inj/eSJ9\"}\n",
                  path);
    assert_string_equal(dl, sp_buf_cstr(&want));
    sp_buf_free(&want);
    free(dl);
    free(path);
}

static void test_depth_bombs_are_too_deep(void **st)
{
    (void)st;
    /* 100k nested arrays as a whole line, and 1000 inside a record's field */
    sp_buf in = {0};
    for (int i = 0; i < 100000; i++)
        sp_buf_putc(&in, '[');
    for (int i = 0; i < 100000; i++)
        sp_buf_putc(&in, ']');
    sp_buf_puts(&in, "\n{\"Type\":\"App_CL\",\"deep\":");
    for (int i = 0; i < 1000; i++)
        sp_buf_putc(&in, '[');
    for (int i = 0; i < 1000; i++)
        sp_buf_putc(&in, ']');
    sp_buf_puts(&in, "}\n{\"Type\":\"App_CL\",\"ok\":[[[1]]]}\n");
    ing_stats s;
    char *rep;
    char *dl = dead_letters_of(in.data, in.len, NULL, &s, &rep, NULL);
    assert_int_equal(s.records, 3);
    assert_int_equal(s.rows, 1);
    assert_int_equal(s.by_reason[ING_REJ_TOO_DEEP], 2);
    assert_non_null(strstr(rep, ":1#1: too_deep: nesting too deep at byte 64\n"));
    assert_non_null(strstr(rep, ":2: too_deep: field 'deep': nesting too deep at byte 63 of its value\n"));
    /* both records are in the dead-letter file in full */
    char *second = strchr(dl, '\n');
    assert_non_null(second);
    assert_int_equal(strlen(dl), (size_t)(second - dl) + 1 + strlen(second + 1));
    assert_true(strlen(dl) > 200000 + 2000);
    free(dl);
    free(rep);
    sp_buf_free(&in);
}

static void test_fifty_mib_line_is_streamed_to_dead_letters_not_buffered(void **st)
{
    (void)st;
    size_t big = 50u << 20;
    sp_buf in = {0};
    sp_buf_puts(&in, "{\"Type\":\"App_CL\",\"a\":1}\r\n{\"Type\":\"App_CL\",\"s\":\"");
    sp_buf_reserve(&in, big + 100);
    memset(in.data + in.len, 'x', big);
    in.len += big;
    sp_buf_puts(&in, "\"}\r\n{\"Type\":\"App_CL\",\"a\":3}\r\n");
    ing_stats s;
    char *rep, *path;
    char *dl = dead_letters_of(in.data, in.len, NULL, &s, &rep, &path);
    assert_int_equal(s.records, 3);
    assert_int_equal(s.rows, 2);
    assert_int_equal(s.by_reason[ING_REJ_TOO_LARGE], 1);
    sp_buf head = {0};
    sp_buf_printf(&head,
                  "{\"origin\":\"%s:2\",\"reason\":\"too_large\",\"detail\":\"line longer than the limit of 1048576 bytes\","
                  "\"record\":\"{\\\"Type\\\":\\\"App_CL\\\",\\\"s\\\":\\\"xxx",
                  path);
    assert_true(strncmp(dl, head.data, head.len) == 0);
    const char *tail = "xxx\\\"}\"}\n"; /* the CR of the CRLF is not part of the record */
    size_t dlen = strlen(dl);
    assert_string_equal(dl + dlen - strlen(tail), tail);
    /* every byte of the record is there: prefix + 50 MiB of x + escaped quotes */
    assert_int_equal(dlen, head.len - 3 + big + strlen(tail) - 3);
    sp_buf_free(&head);
    free(dl);
    free(rep);
    free(path);
    sp_buf_free(&in);
}

static void test_oversize_invalid_utf8_line_gets_base64_too(void **st)
{
    (void)st;
    ing_config cfg = {.max_record_bytes = 16};
    sp_buf in = {0};
    sp_buf_puts(&in, "{\"a\":\"");
    for (int i = 0; i < 3000000; i++) /* longer than the 1 MiB read chunk: streamed in parts */
        sp_buf_putc(&in, i == 1500000 ? (char)0xC3 : 'y');
    sp_buf_puts(&in, "\"}\n{\"b\":\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"}\n");
    ing_stats s;
    char *dl = dead_letters_of(in.data, in.len, &cfg, &s, NULL, NULL);
    assert_int_equal(s.by_reason[ING_REJ_TOO_LARGE], 2); /* the second is 25 bytes, buffered */
    char *b64 = strstr(dl, "\"record_base64\":\"");
    assert_non_null(b64);
    assert_true(b64 < strchr(dl, '\n')); /* on the first entry only */
    assert_null(strstr(strchr(dl, '\n'), "record_base64"));
    assert_non_null(strstr(strchr(dl, '\n'), "\"record\":\"{\\\"b\\\":\\\"\xC3\xA9\xC3\xA9"));
    /* 3000009 bytes -> 4000012 base64 characters */
    assert_int_equal(strchr(b64 + 17, '"') - (b64 + 17), 4000012);
    free(dl);
    sp_buf_free(&in);
}

static void test_records_that_are_not_objects(void **st)
{
    (void)st;
    const char *in = "42\n\"text\"\n[{\"Type\":\"App_CL\",\"k\":1},7,[1,2]]\nnull\n";
    ing_stats s;
    char *rep, *path;
    char *dl = dead_letters_of(in, strlen(in), NULL, &s, &rep, &path);
    assert_int_equal(s.records, 6);
    assert_int_equal(s.rows, 1);
    assert_int_equal(s.by_reason[ING_REJ_NOT_AN_OBJECT], 5);
    sp_buf want = {0};
    sp_buf_printf(&want,
                  "socpipe: rejected %s:1: not_an_object: the document is not a JSON object\n"
                  "socpipe: rejected %s:2: not_an_object: the document is not a JSON object\n"
                  "socpipe: rejected %s:3#2: not_an_object: the array element is not a JSON object\n"
                  "socpipe: rejected %s:3#3: not_an_object: the array element is not a JSON object\n"
                  "socpipe: rejected %s:4: not_an_object: the document is not a JSON object\n",
                  path, path, path, path, path);
    assert_string_equal(rep, sp_buf_cstr(&want));
    assert_non_null(strstr(dl, "#3\",\"reason\":\"not_an_object\",\"detail\":\"the array element is not a JSON object\",\"record\":\"[1,2]\"}\n"));
    sp_buf_free(&want);
    free(dl);
    free(rep);
    free(path);
}

static void test_invalid_values_inside_stored_objects_reject_the_record(void **st)
{
    (void)st;
    const char *in = "{\"Type\":\"App_CL\",\"a\":[1,,2]}\n"
                     "{\"time\":\"2024-01-31T10:00:00Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":\"x\",\"status\":{\"e\":tru}}}\n"
                     "{\"Type\":\"App_CL\",\"b\":{\"s\":\"\\ud800\"}}\n";
    ing_stats s;
    char *rep;
    char *dl = dead_letters_of(in, strlen(in), NULL, &s, &rep, NULL);
    assert_int_equal(s.rows, 0);
    assert_int_equal(s.by_reason[ING_REJ_INVALID_JSON], 3);
    assert_non_null(strstr(rep, ":1: invalid_json: field 'a': unexpected character at byte 3 of its value\n"));
    assert_non_null(strstr(rep, ":2: invalid_json: field 'status': invalid literal at byte 5 of its value\n"));
    /* simdjson rejects the lone surrogate itself when it unescapes... only if it reads the
     * string; here it sits in a skipped object, so compaction finds it */
    assert_non_null(strstr(rep, ":3: invalid_json: field 'b': lone surrogate in unicode escape at byte 6 of its value\n"));
    free(dl);
    free(rep);
}

static void test_blank_lines_crlf_and_bom_are_tolerated(void **st)
{
    (void)st;
    const char *in = "\xEF\xBB\xBF{\"Type\":\"App_CL\",\"k\":1}\r\n\r\n   \n\t\r\n{\"Type\":\"App_CL\",\"k\":2}\r\n\n"
                     "{\"Type\":\"App_CL\",\"k\":3}";
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, in);
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.documents, 3);
    assert_int_equal(s.rows, 3);
    assert_int_equal(s.rejected, 0);
    char *v = cell_text(r.store, "App_CL", 2, "k");
    assert_string_equal(v, "3");
    free(v);
    run_end(&r);
}

static void test_reports_are_rate_limited_per_reason(void **st)
{
    (void)st;
    ing_config cfg = {.report_limit = 2};
    const char *in = "{\"a\":\n{\"a\":\n{\"a\":\n{\"a\":\n{\"a\":\n5\n";
    ing_stats s;
    char *rep, *path;
    char *dl = dead_letters_of(in, strlen(in), &cfg, &s, &rep, &path);
    assert_int_equal(s.by_reason[ING_REJ_INVALID_JSON], 5);
    assert_int_equal(s.by_reason[ING_REJ_NOT_AN_OBJECT], 1);
    assert_int_equal(s.dead_letters, 6);
    sp_buf want = {0};
    sp_buf_printf(&want,
                  "socpipe: rejected %s:1: invalid_json: unexpected end of input at byte 5\n"
                  "socpipe: rejected %s:2: invalid_json: unexpected end of input at byte 5\n"
                  "socpipe: rejected %s:6: not_an_object: the document is not a JSON object\n"
                  "socpipe: 3 more invalid_json records not shown\n",
                  path, path, path);
    assert_string_equal(rep, sp_buf_cstr(&want));
    sp_buf_free(&want);
    free(dl);
    free(rep);
    free(path);
}

static void test_messages_too_large_and_invalid(void **st)
{
    (void)st;
    ing_config cfg = {.max_record_bytes = 32};
    ingest_run r;
    run_start(&r, &cfg, true);
    ing_ingest_message(r.g, "{\"Type\":\"App_CL\",\"k\":1}", 23, "topic/0:10");
    ing_ingest_message(r.g, "{\"Type\":\"App_CL\",\"k\":\"0123456789abcdef\"}", 40, "topic/0:11");
    ing_ingest_message(r.g, "{\"records\":[{\"Type\":\"App_CL\",\"k\":2},3]}", 38, "topic/1:5");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 1);
    assert_int_equal(s.by_reason[ING_REJ_TOO_LARGE], 2);
    char *rep = run_finish(&r);
    assert_string_equal(rep, "socpipe: rejected topic/0:11: too_large: 40 bytes, above the limit of 32\n"
                             "socpipe: rejected topic/1:5: too_large: 38 bytes, above the limit of 32\n");
    free(rep);
    char *dl = slurp(r.dead_path, NULL);
    assert_non_null(strstr(dl, "{\"origin\":\"topic/0:11\",\"reason\":\"too_large\""));
    free(dl);
    run_end(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_json_is_rejected_with_origin_and_kept),
        cmocka_unit_test(test_invalid_utf8_keeps_exact_bytes_in_base64),
        cmocka_unit_test(test_depth_bombs_are_too_deep),
        cmocka_unit_test(test_fifty_mib_line_is_streamed_to_dead_letters_not_buffered),
        cmocka_unit_test(test_oversize_invalid_utf8_line_gets_base64_too),
        cmocka_unit_test(test_records_that_are_not_objects),
        cmocka_unit_test(test_invalid_values_inside_stored_objects_reject_the_record),
        cmocka_unit_test(test_blank_lines_crlf_and_bom_are_tolerated),
        cmocka_unit_test(test_reports_are_rate_limited_per_reason),
        cmocka_unit_test(test_messages_too_large_and_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
