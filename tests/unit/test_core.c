/* test_core.c — the core layer: Kusto time parsing/printing, hashing, diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "engine/core/core.h"

static int64_t dt(const char *s)
{
    int64_t t = -1;
    assert_true(sp_datetime_parse(s, strlen(s), &t));
    return t;
}

static void assert_dt_format(int64_t t, const char *want)
{
    char buf[32];
    sp_datetime_format(t, buf);
    assert_string_equal(buf, want);
}

static void test_datetime_parses_seven_digit_fractions_with_z(void **st)
{
    (void)st;
    assert_dt_format(dt("2019-10-18T09:45:48.0729893Z"), "2019-10-18T09:45:48.0729893Z");
}

static void test_datetime_offsets_convert_to_utc(void **st)
{
    (void)st;
    assert_int_equal(dt("2019-10-18T04:45:48.0729893-05:00"), dt("2019-10-18T09:45:48.0729893Z"));
    assert_int_equal(dt("2019-10-18T11:45:48+02:00"), dt("2019-10-18T09:45:48Z"));
}

static void test_datetime_without_zone_is_utc(void **st)
{
    (void)st;
    assert_int_equal(dt("2024-01-31T23:59:59"), dt("2024-01-31T23:59:59Z"));
    assert_int_equal(dt("2024-01-31 23:59:59.9"), dt("2024-01-31T23:59:59.9000000Z"));
    assert_dt_format(dt("2024-01-31"), "2024-01-31T00:00:00.0000000Z");
}

static void test_datetime_extra_fraction_digits_truncate(void **st)
{
    (void)st;
    assert_dt_format(dt("2024-01-31T00:00:00.123456789Z"), "2024-01-31T00:00:00.1234567Z");
}

static void test_datetime_rfc1123(void **st)
{
    (void)st;
    assert_int_equal(dt("Wed, 31 Jan 2024 23:59:59 GMT"), dt("2024-01-31T23:59:59Z"));
}

static void test_datetime_rejects_garbage(void **st)
{
    (void)st;
    int64_t t;
    const char *bad[] = {"", "2024", "2024-13-01", "2024-02-30", "2024-01-31T25:00:00Z",
                         "2024-01-31T23:59:59Zjunk", "hello", "2024-01-31T23:59:59.Z"};
    for (size_t i = 0; i < SP_ARRAY_LEN(bad); i++)
        assert_false(sp_datetime_parse(bad[i], strlen(bad[i]), &t));
}

static void test_datetime_unix_epoch_ticks(void **st)
{
    (void)st;
    assert_int_equal(dt("1970-01-01T00:00:00Z"), SP_UNIX_EPOCH_TICKS);
    assert_int_equal(dt("0001-01-01T00:00:00Z"), 0);
    assert_int_equal(dt("9999-12-31T23:59:59.9999999Z"), SP_DATETIME_MAX);
}

static void assert_ts(int64_t ticks, const char *want)
{
    char buf[40];
    sp_timespan_format(ticks, buf);
    assert_string_equal(buf, want);
    int64_t back;
    assert_true(sp_timespan_parse(want, strlen(want), &back));
    assert_int_equal(back, ticks);
}

static void test_timespan_kusto_text_forms(void **st)
{
    (void)st;
    assert_ts(SP_TICKS_PER_DAY, "1.00:00:00");
    assert_ts(30 * SP_TICKS_PER_MIN, "00:30:00");
    assert_ts(-90 * SP_TICKS_PER_SEC, "-00:01:30");
    assert_ts(SP_TICKS_PER_SEC + SP_TICKS_PER_SEC / 2, "00:00:01.5000000");
    assert_ts(0, "00:00:00");
    assert_ts(1, "00:00:00.0000001");
}

static void test_hash_is_stable_and_case_folds(void **st)
{
    (void)st;
    assert_int_equal(sp_hash64("abc", 3, 0), sp_hash64("abc", 3, 0));
    assert_int_not_equal(sp_hash64("abc", 3, 0), sp_hash64("abd", 3, 0));
    assert_int_equal(sp_hash64_ci("ABC", 3, 7), sp_hash64_ci("abc", 3, 7));
    char long_a[200], long_b[200];
    memset(long_a, 'x', sizeof long_a);
    memcpy(long_b, long_a, sizeof long_b);
    long_b[150] = 'y';
    assert_int_not_equal(sp_hash64(long_a, 200, 0), sp_hash64(long_b, 200, 0));
}

static void test_diag_prints_position_line_and_caret(void **st)
{
    (void)st;
    const char *src = "SigninLogs\n| whre x == 1\n";
    sp_diag d = {0};
    sp_diag_set(&d, "q.kql", 2, 3, "unknown operator '%s'", "whre");
    sp_diag_attach_source(&d, src, strlen(src));
    char out[512] = {0};
    FILE *f = fmemopen(out, sizeof out, "w");
    sp_diag_print(f, &d);
    fclose(f);
    assert_string_equal(out, "q.kql:2:3: unknown operator 'whre'\n  | whre x == 1\n    ^\n");
}

static void test_json_string_escapes_and_repairs_utf8(void **st)
{
    (void)st;
    sp_buf b = {0};
    sp_buf_json_string(&b, "a\"b\\\n\x01\xff", 7);
    assert_string_equal(sp_buf_cstr(&b), "\"a\\\"b\\\\\\n\\u0001\xEF\xBF\xBD\"");
    sp_buf_free(&b);
}

static void test_arena_large_and_small_allocations(void **st)
{
    (void)st;
    sp_arena a = {0};
    char *small = sp_arena_strndup(&a, "hello", 5);
    char *big = sp_arena_alloc(&a, 1 << 20);
    memset(big, 1, 1 << 20);
    char *small2 = sp_arena_strndup(&a, "world", 5);
    assert_string_equal(small, "hello");
    assert_string_equal(small2, "world");
    sp_arena_reset(&a);
    sp_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datetime_parses_seven_digit_fractions_with_z),
        cmocka_unit_test(test_datetime_offsets_convert_to_utc),
        cmocka_unit_test(test_datetime_without_zone_is_utc),
        cmocka_unit_test(test_datetime_extra_fraction_digits_truncate),
        cmocka_unit_test(test_datetime_rfc1123),
        cmocka_unit_test(test_datetime_rejects_garbage),
        cmocka_unit_test(test_datetime_unix_epoch_ticks),
        cmocka_unit_test(test_timespan_kusto_text_forms),
        cmocka_unit_test(test_hash_is_stable_and_case_folds),
        cmocka_unit_test(test_diag_prints_position_line_and_caret),
        cmocka_unit_test(test_json_string_escapes_and_repairs_utf8),
        cmocka_unit_test(test_arena_large_and_small_allocations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
