/* test_ingest_json.c — the simdjson wrapper: documents flattened into records and fields,
 * envelopes, descending, escapes, numbers, padding, and what it leaves to sp_json_compact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/core.h"
#include "ingest/json_int.h"

static ing_jparser *jp;

static int setup(void **st)
{
    (void)st;
    const char *descend[] = {"properties", "CopilotEventData"};
    jp = ing_jparser_new(descend, 2);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    ing_jparser_free(jp);
    return 0;
}

static ing_jdoc parse_ok(const char *s)
{
    ing_jdoc d;
    ing_jerror e;
    if (ing_jparse(jp, s, strlen(s), strlen(s), &d, &e) != 0)
        fail_msg("rejected (%s): %s", e.reason, s);
    return d;
}

static void assert_span(const char *p, size_t n, const char *want)
{
    if (n != strlen(want) || memcmp(p, want, n) != 0)
        fail_msg("got '%.*s', want '%s'", (int)n, p, want);
}

static const ing_jfield *field(const ing_jdoc *d, uint32_t rec, uint32_t i)
{
    assert_true(rec < d->nrecords);
    assert_true(i < d->records[rec].nfields);
    return &d->fields[d->records[rec].first + i];
}

static void test_flatten_object_fields_in_document_order(void **st)
{
    (void)st;
    ing_jdoc d = parse_ok(" {\"s\":\"abc\", \"i\": -42 , \"b\":true,\"n\":null,\"o\":{ \"x\" : [1, 2] },\"a\":[ ]} \n");
    assert_int_equal(d.root, ING_JROOT_OBJECT);
    assert_int_equal(d.nrecords, 1);
    assert_int_equal(d.records[0].status, ING_JREC_OK);
    assert_span(d.records[0].raw, d.records[0].raw_len,
                "{\"s\":\"abc\", \"i\": -42 , \"b\":true,\"n\":null,\"o\":{ \"x\" : [1, 2] },\"a\":[ ]}");
    assert_int_equal(d.records[0].nfields, 6);
    const char *keys[] = {"s", "i", "b", "n", "o", "a"};
    const int kinds[] = {ING_J_STRING, ING_J_INT, ING_J_BOOL, ING_J_NULL, ING_J_OBJECT, ING_J_ARRAY};
    const char *texts[] = {"abc", "-42", "true", "null", "{ \"x\" : [1, 2] }", "[ ]"};
    for (uint32_t i = 0; i < 6; i++) {
        const ing_jfield *f = field(&d, 0, i);
        assert_span(f->key, f->key_len, keys[i]);
        assert_int_equal(f->kind, kinds[i]);
        assert_span(f->text, f->text_len, texts[i]);
        assert_int_equal(f->is_child, 0);
    }
    assert_int_equal(field(&d, 0, 1)->v.i, -42);
    assert_true(field(&d, 0, 2)->v.b);
}

static void test_flatten_unwraps_records_envelope(void **st)
{
    (void)st;
    ing_jdoc d = parse_ok("{\"records\": [ {\"a\":1} , {\"b\":\"x\",\"c\":2}\n ]}");
    assert_int_equal(d.root, ING_JROOT_ENVELOPE);
    assert_int_equal(d.nrecords, 2);
    assert_span(d.records[0].raw, d.records[0].raw_len, "{\"a\":1}");
    assert_span(d.records[1].raw, d.records[1].raw_len, "{\"b\":\"x\",\"c\":2}");
    assert_int_equal(d.records[1].nfields, 2);
    assert_span(field(&d, 1, 1)->key, 1, "c");
    /* an empty envelope holds no records */
    d = parse_ok("{\"records\":[]}");
    assert_int_equal(d.root, ING_JROOT_ENVELOPE);
    assert_int_equal(d.nrecords, 0);
}

static void test_flatten_records_key_is_an_envelope_only_alone_with_objects(void **st)
{
    (void)st;
    const char *plain[] = {"{\"records\":[{\"a\":1}],\"x\":1}", "{\"records\":[{\"a\":1},2]}",
                           "{\"records\":\"no\"}", "{\"x\":1,\"records\":[{\"a\":1}]}"};
    for (size_t i = 0; i < SP_ARRAY_LEN(plain); i++) {
        ing_jdoc d = parse_ok(plain[i]);
        assert_int_equal(d.root, ING_JROOT_OBJECT);
        assert_int_equal(d.nrecords, 1);
        assert_span(d.records[0].raw, d.records[0].raw_len, plain[i]);
    }
    ing_jdoc d = parse_ok("{\"records\":[{\"a\":1}],\"x\":1}");
    assert_int_equal(d.records[0].nfields, 2);
    assert_int_equal(field(&d, 0, 0)->kind, ING_J_ARRAY);
    assert_span(field(&d, 0, 0)->text, field(&d, 0, 0)->text_len, "[{\"a\":1}]");
}

static void test_flatten_array_root_keeps_elements_and_marks_non_objects(void **st)
{
    (void)st;
    ing_jdoc d = parse_ok("[{\"a\":1}, 5 ,{\"records\":[{\"b\":2},{\"c\":3}]}, [1], \"s\"]");
    assert_int_equal(d.root, ING_JROOT_ARRAY);
    assert_int_equal(d.nrecords, 6);
    const char *raws[] = {"{\"a\":1}", "5", "{\"b\":2}", "{\"c\":3}", "[1]", "\"s\""};
    const unsigned status[] = {ING_JREC_OK, ING_JREC_NOT_OBJECT, ING_JREC_OK, ING_JREC_OK,
                               ING_JREC_NOT_OBJECT, ING_JREC_NOT_OBJECT};
    for (uint32_t i = 0; i < 6; i++) {
        assert_span(d.records[i].raw, d.records[i].raw_len, raws[i]);
        assert_int_equal(d.records[i].status, status[i]);
    }
    d = parse_ok("42");
    assert_int_equal(d.root, ING_JROOT_SCALAR);
    assert_int_equal(d.nrecords, 1);
    assert_int_equal(d.records[0].status, ING_JREC_NOT_OBJECT);
}

static void test_flatten_descends_listed_objects_one_level(void **st)
{
    (void)st;
    ing_jdoc d = parse_ok("{\"properties\": {\"id\":\"x\",\"status\":{\"errorCode\":0},\"n\":7 },\"other\":{\"k\":1},\"z\":1}");
    assert_int_equal(d.records[0].nfields, 6); /* properties + 3 children, other, z */
    const ing_jfield *p = field(&d, 0, 0);
    assert_int_equal(p->kind, ING_J_OBJECT);
    assert_int_equal(p->nchild, 3);
    assert_span(p->text, p->text_len, "{\"id\":\"x\",\"status\":{\"errorCode\":0},\"n\":7 }");
    assert_span(field(&d, 0, 1)->key, 2, "id");
    assert_int_equal(field(&d, 0, 1)->is_child, 1);
    assert_int_equal(field(&d, 0, 2)->kind, ING_J_OBJECT);
    assert_int_equal(field(&d, 0, 2)->nchild, 0); /* deeper objects stay raw */
    assert_span(field(&d, 0, 2)->text, field(&d, 0, 2)->text_len, "{\"errorCode\":0}");
    assert_int_equal(field(&d, 0, 3)->v.i, 7);
    assert_int_equal(field(&d, 0, 4)->nchild, 0); /* "other" is not in the descend list */
    assert_int_equal(field(&d, 0, 5)->is_child, 0);
    /* a descend key whose value is not an object is an ordinary field */
    d = parse_ok("{\"properties\":\"text\"}");
    assert_int_equal(field(&d, 0, 0)->kind, ING_J_STRING);
    assert_int_equal(field(&d, 0, 0)->nchild, 0);
}

static void test_flatten_unescapes_keys_and_strings(void **st)
{
    (void)st;
    ing_jdoc d = parse_ok("{\"a\\\"b\":\"x\\ny\\u00e9\",\"plain\":\"caf\xC3\xA9\",\"k\\u0041\":\"\"}");
    assert_span(field(&d, 0, 0)->key, field(&d, 0, 0)->key_len, "a\"b");
    assert_span(field(&d, 0, 0)->text, field(&d, 0, 0)->text_len, "x\ny\xC3\xA9");
    assert_span(field(&d, 0, 1)->text, field(&d, 0, 1)->text_len, "caf\xC3\xA9");
    assert_span(field(&d, 0, 2)->key, field(&d, 0, 2)->key_len, "kA");
    assert_int_equal(field(&d, 0, 2)->text_len, 0);
}

static void test_flatten_numbers_keep_kind_value_and_text(void **st)
{
    (void)st;
    ing_jdoc d = parse_ok("{\"a\":9223372036854775807,\"b\":18446744073709551615,\"c\":-1.5e3,"
                          "\"d\":123456789012345678901234,\"e\":0 }");
    assert_int_equal(field(&d, 0, 0)->kind, ING_J_INT);
    assert_true(field(&d, 0, 0)->v.i == INT64_MAX);
    assert_int_equal(field(&d, 0, 1)->kind, ING_J_UINT);
    assert_true(field(&d, 0, 1)->v.u == UINT64_MAX);
    assert_int_equal(field(&d, 0, 2)->kind, ING_J_DOUBLE);
    assert_true(field(&d, 0, 2)->v.d == -1500.0);
    assert_span(field(&d, 0, 2)->text, field(&d, 0, 2)->text_len, "-1.5e3");
    assert_int_equal(field(&d, 0, 3)->kind, ING_J_DOUBLE); /* beyond 64 bits */
    assert_span(field(&d, 0, 3)->text, field(&d, 0, 3)->text_len, "123456789012345678901234");
    assert_span(field(&d, 0, 4)->text, field(&d, 0, 4)->text_len, "0");
}

static void assert_rejected(const char *s, size_t n)
{
    ing_jdoc d;
    ing_jerror e = {0};
    if (ing_jparse(jp, s, n, n, &d, &e) == 0)
        fail_msg("accepted: %.*s", (int)n, s);
    assert_non_null(e.reason);
    assert_true(e.code != 0);
}

static void test_flatten_rejects_malformed_documents(void **st)
{
    (void)st;
    const char *bad[] = {"{\"a\":1",         "{\"a\":1}}",        "{\"a\":1} x",      "{\"a\":tru}",
                         "{\"a\":01}",       "{\"a\":1,}",        "{\"a\" 1}",        "[{\"a\":1},]",
                         "{\"a\":\"x\ty\"}", "{\"a\":\"\\q\"}",   "{\"a\":\"\\ud800\"}", "",
                         "   ",              "{\"a\":\"\xFF\"}"};
    for (size_t i = 0; i < SP_ARRAY_LEN(bad); i++)
        assert_rejected(bad[i], strlen(bad[i]));
}

static void test_flatten_leaves_skipped_values_to_compaction(void **st)
{
    (void)st;
    /* On-Demand does not validate a value it skips: the raw text comes back as is, and the
     * writer's sp_json_compact is what rejects it. */
    ing_jdoc d = parse_ok("{\"a\":[1,,2],\"b\":{\"c\":[1 2]}}");
    assert_span(field(&d, 0, 1)->text, field(&d, 0, 1)->text_len, "{\"c\":[1 2]}");
    assert_span(field(&d, 0, 0)->text, field(&d, 0, 0)->text_len, "[1,,2]");
    sp_buf out = {0};
    size_t off;
    const char *why;
    assert_int_equal(sp_json_compact(field(&d, 0, 0)->text, field(&d, 0, 0)->text_len, 64, &out, &off, &why), -1);
    assert_string_equal(why, "unexpected character");
    sp_buf_free(&out);
}

static void test_flatten_same_result_in_place_or_copied(void **st)
{
    (void)st;
    const char *s = "{\"time\":\"2024-01-01T00:00:00Z\",\"properties\":{\"x\":\"y\"}}";
    size_t n = strlen(s);
    char *padded = calloc(1, n + ING_JSON_PADDING);
    memcpy(padded, s, n);
    ing_jdoc d;
    ing_jerror e;
    assert_int_equal(ing_jparse(jp, padded, n, n + ING_JSON_PADDING, &d, &e), 0);
    assert_true(d.records[0].raw == padded); /* parsed in place */
    assert_int_equal(d.nfields, 3);
    assert_int_equal(ing_jparse(jp, s, n, n, &d, &e), 0);
    assert_true(d.records[0].raw != s); /* copied into the parser's padded buffer */
    assert_span(d.records[0].raw, d.records[0].raw_len, s);
    assert_int_equal(d.nfields, 3);
    free(padded);
}

static void test_flatten_depth_bomb_is_one_non_object_record(void **st)
{
    (void)st;
    size_t n = 200000;
    char *bomb = malloc(n);
    memset(bomb, '[', n / 2);
    memset(bomb + n / 2, ']', n / 2);
    ing_jdoc d;
    ing_jerror e;
    assert_int_equal(ing_jparse(jp, bomb, n, n, &d, &e), 0);
    assert_int_equal(d.root, ING_JROOT_ARRAY);
    assert_int_equal(d.nrecords, 1);
    assert_int_equal(d.records[0].status, ING_JREC_NOT_OBJECT);
    assert_int_equal(d.records[0].raw_len, n - 2);
    free(bomb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flatten_object_fields_in_document_order),
        cmocka_unit_test(test_flatten_unwraps_records_envelope),
        cmocka_unit_test(test_flatten_records_key_is_an_envelope_only_alone_with_objects),
        cmocka_unit_test(test_flatten_array_root_keeps_elements_and_marks_non_objects),
        cmocka_unit_test(test_flatten_descends_listed_objects_one_level),
        cmocka_unit_test(test_flatten_unescapes_keys_and_strings),
        cmocka_unit_test(test_flatten_numbers_keep_kind_value_and_text),
        cmocka_unit_test(test_flatten_rejects_malformed_documents),
        cmocka_unit_test(test_flatten_leaves_skipped_values_to_compaction),
        cmocka_unit_test(test_flatten_same_result_in_place_or_copied),
        cmocka_unit_test(test_flatten_depth_bomb_is_one_non_object_record),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
