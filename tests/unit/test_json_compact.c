/* test_json_compact.c — sp_json_compact: strict RFC 8259 validation, minification, depth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/core.h"

/* Compacts s; on success returns the output (static buffer), on failure NULL. */
static const char *compact(const char *s, size_t n, int depth, size_t *off, const char **why)
{
    static sp_buf out;
    out.len = 0;
    size_t o = 0;
    const char *r = NULL;
    int rc = sp_json_compact(s, n, depth, &out, &o, &r);
    if (off)
        *off = o;
    if (why)
        *why = r;
    if (rc != 0)
        return NULL;
    return sp_buf_cstr(&out);
}

static void assert_compacts_to(const char *in, const char *want)
{
    const char *got = compact(in, strlen(in), 64, NULL, NULL);
    if (!got)
        fail_msg("rejected: %s", in);
    assert_string_equal(got, want);
}

static void assert_rejected(const char *in, size_t n, const char *reason, size_t offset)
{
    size_t off = 99999;
    const char *why = NULL;
    if (compact(in, n, 64, &off, &why))
        fail_msg("accepted: %.*s", (int)n, in);
    assert_non_null(why);
    assert_string_equal(why, reason);
    assert_int_equal(off, offset);
}

static void test_compact_removes_insignificant_whitespace_only(void **st)
{
    (void)st;
    assert_compacts_to(" { \"a\" : [ 1 , 2.5e3 , -0 ] ,\n\t\"b\" : \"x y\\n\" , \"c\":{ } ,\"d\":[ ]}\r\n",
                       "{\"a\":[1,2.5e3,-0],\"b\":\"x y\\n\",\"c\":{},\"d\":[]}");
    assert_compacts_to("true", "true");
    assert_compacts_to("  null ", "null");
    assert_compacts_to("\"\\u00e9\\/\"", "\"\\u00e9\\/\""); /* escapes are kept as written */
    assert_compacts_to("[\"caf\xC3\xA9\",\"\xF0\x9F\x98\x80\"]", "[\"caf\xC3\xA9\",\"\xF0\x9F\x98\x80\"]");
}

static void test_compact_output_is_appended_and_untouched_on_error(void **st)
{
    (void)st;
    sp_buf out = {0};
    sp_buf_puts(&out, "prefix:");
    size_t off;
    const char *why;
    assert_int_equal(sp_json_compact("[1, 2]", 6, 8, &out, &off, &why), 0);
    assert_string_equal(sp_buf_cstr(&out), "prefix:[1,2]");
    assert_int_equal(sp_json_compact("[1, 2", 5, 8, &out, &off, &why), -1);
    assert_int_equal(out.len, strlen("prefix:[1,2]"));
    assert_string_equal(sp_buf_cstr(&out), "prefix:[1,2]");
    sp_buf_free(&out);
}

static void test_compact_rejects_grammar_errors_with_offset(void **st)
{
    (void)st;
    assert_rejected("", 0, "empty input", 0);
    assert_rejected("   ", 3, "empty input", 3);
    assert_rejected("[1,,2]", 6, "unexpected character", 3);
    assert_rejected("[1,2,]", 6, "unexpected character", 5);
    assert_rejected("{\"a\":1,}", 8, "expected a string key", 7);
    assert_rejected("{\"a\" 1}", 7, "expected ':'", 5);
    assert_rejected("{\"a\":1 \"b\":2}", 13, "expected ',' or '}'", 7);
    assert_rejected("[1 2]", 5, "expected ',' or ']'", 3);
    assert_rejected("{a:1}", 5, "expected a string key", 1);
    assert_rejected("[1] x", 5, "trailing characters after the value", 4);
    assert_rejected("{\"a\":1}{}", 9, "trailing characters after the value", 7);
    assert_rejected("{\"a\":[1,2", 9, "unexpected end of input", 9);
    assert_rejected("\"abc", 4, "unexpected end of input", 4);
    assert_rejected("[tru]", 5, "invalid literal", 1);
    assert_rejected("[nulll]", 7, "invalid literal", 5);
    assert_rejected("'a'", 3, "unexpected character", 0);
}

static void test_compact_rejects_bad_numbers(void **st)
{
    (void)st;
    const char *bad[] = {"01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.5.2", "--1", "NaN",
                         "Infinity", "-Infinity", "1_000"};
    for (size_t i = 0; i < SP_ARRAY_LEN(bad); i++) {
        const char *why = NULL;
        if (compact(bad[i], strlen(bad[i]), 64, NULL, &why))
            fail_msg("accepted number %s", bad[i]);
    }
    assert_compacts_to("[0,-0,1.25,-3e-7,6E+2,123456789012345678901234567890]",
                       "[0,-0,1.25,-3e-7,6E+2,123456789012345678901234567890]");
}

static void test_compact_rejects_bad_strings(void **st)
{
    (void)st;
    assert_rejected("\"a\tb\"", 5, "control character in string", 2);
    assert_rejected("\"a\\qb\"", 6, "invalid escape", 2);
    assert_rejected("\"\\u12G4\"", 8, "invalid unicode escape", 1);
    assert_rejected("\"\\ud800\"", 8, "lone surrogate in unicode escape", 1);
    assert_rejected("\"\\udc00\"", 8, "lone surrogate in unicode escape", 1);
    assert_rejected("\"\\ud800\\u0041\"", 14, "lone surrogate in unicode escape", 1);
    assert_compacts_to("\"\\ud83d\\ude00\"", "\"\\ud83d\\ude00\"");
    /* A long string puts the bad byte past the 16-byte SIMD blocks and inside one. */
    assert_rejected("\"0123456789abcdefghijklmnopqrstu\x01v\"", 35, "control character in string", 32);
}

static void test_compact_validates_utf8_inside_and_outside_strings(void **st)
{
    (void)st;
    assert_rejected("\"ab\xFF\"", 5, "invalid UTF-8", 3);
    assert_rejected("\"\xC0\xAF\"", 4, "invalid UTF-8", 1);             /* overlong '/' */
    assert_rejected("\"\xED\xA0\x80\"", 5, "invalid UTF-8", 1);         /* encoded surrogate */
    assert_rejected("\"\xF4\x90\x80\x80\"", 6, "invalid UTF-8", 1);     /* above U+10FFFF */
    assert_rejected("\"\xE2\x82\"", 4, "invalid UTF-8", 1);             /* truncated */
    assert_rejected("\"0123456789abcdefghij\xC3\"", 23, "invalid UTF-8", 21);
    assert_rejected("[\xC3\xA9]", 4, "unexpected character", 1);     /* valid UTF-8, not JSON */
    assert_rejected("[\xFF]", 3, "invalid UTF-8", 1);
}

static void test_compact_enforces_depth_limit(void **st)
{
    (void)st;
    size_t off;
    const char *why;
    assert_non_null(compact("[[[1]]]", 7, 3, &off, &why));
    assert_null(compact("[[[[1]]]]", 9, 3, &off, &why));
    assert_string_equal(why, "nesting too deep");
    assert_int_equal(off, 3);
    assert_null(compact("{\"a\":{}}", 8, 1, &off, &why));
    assert_string_equal(why, "nesting too deep");
    assert_int_equal(off, 5);
    assert_non_null(compact("1", 1, 0, &off, &why));
    assert_null(compact("[]", 2, 0, &off, &why));
}

static void test_compact_rejects_depth_bomb_without_recursion(void **st)
{
    (void)st;
    size_t n = 200000;
    char *bomb = malloc(n);
    memset(bomb, '[', n / 2);
    memset(bomb + n / 2, ']', n / 2);
    size_t off;
    const char *why;
    assert_null(compact(bomb, n, 64, &off, &why));
    assert_string_equal(why, "nesting too deep");
    assert_int_equal(off, 64);
    /* A large limit takes the heap bit stack and accepts the same input. */
    assert_non_null(compact(bomb, n, 100000, &off, &why));
    free(bomb);
}

static void test_compact_accepts_large_nested_document(void **st)
{
    (void)st;
    /* 4000 objects with pretty whitespace: output equals input with whitespace removed. */
    sp_buf in = {0}, want = {0};
    sp_buf_puts(&in, "[\n");
    sp_buf_putc(&want, '[');
    for (int i = 0; i < 4000; i++) {
        sp_buf_printf(&in, "%s  { \"id\" : %d, \"name\" : \"user %d caf\xC3\xA9 \\\"q\\\"\", \"tags\" : [ true, false, null ] }\n",
                      i ? "," : "", i, i);
        sp_buf_printf(&want, "%s{\"id\":%d,\"name\":\"user %d caf\xC3\xA9 \\\"q\\\"\",\"tags\":[true,false,null]}",
                      i ? "," : "", i, i);
    }
    sp_buf_puts(&in, "]\n");
    sp_buf_putc(&want, ']');
    const char *got = compact(in.data, in.len, 64, NULL, NULL);
    assert_non_null(got);
    assert_string_equal(got, sp_buf_cstr(&want));
    sp_buf_free(&in);
    sp_buf_free(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_removes_insignificant_whitespace_only),
        cmocka_unit_test(test_compact_output_is_appended_and_untouched_on_error),
        cmocka_unit_test(test_compact_rejects_grammar_errors_with_offset),
        cmocka_unit_test(test_compact_rejects_bad_numbers),
        cmocka_unit_test(test_compact_rejects_bad_strings),
        cmocka_unit_test(test_compact_validates_utf8_inside_and_outside_strings),
        cmocka_unit_test(test_compact_enforces_depth_limit),
        cmocka_unit_test(test_compact_rejects_depth_bomb_without_recursion),
        cmocka_unit_test(test_compact_accepts_large_nested_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
