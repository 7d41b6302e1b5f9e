/* test_builtins_number.c — numeric and hash builtins called as kernels: round's
 * documented examples, the null-for-out-of-domain math rules, max_of/min_of with nulls
 * and mixed types, binary_* and tohex, rand's range, and the SHA-256 / MD5 / XXH64
 * digests against published test vectors and Kusto's documented outputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#define KFH_SHORT_NAMES
#include "support/kfn_harness.h"

static kfh H;
KFH_SETUP

static void test_round_documented_examples_and_half_away_from_zero(void **st)
{
    (void)st;
    EXPECT("2.988", round, REAL, R(2.98765), L(3));
    EXPECT("2.2", round, REAL, R(2.15), L(1));
    EXPECT("2", round, REAL, R(2.15));
    EXPECT("-100", round, REAL, R(-50.55), L(-2));
    EXPECT("20", round, REAL, R(21.5), L(-1));
    EXPECT("3", round, REAL, R(2.5));
    EXPECT("-3", round, REAL, R(-2.5));
    EXPECT("1300", round, LONG, L(1250), L(-2));
    EXPECT("-1300", round, LONG, L(-1250), L(-2));
    EXPECT("1249", round, LONG, L(1249), L(2));
    EXPECT("null", round, REAL, NUL(REAL));
}

static void test_abs_ceiling_keep_the_argument_type(void **st)
{
    (void)st;
    EXPECT("5", abs, LONG, L(-5));
    EXPECT("2.5", abs, REAL, R(-2.5));
    EXPECT("\"01:00:00\"", abs, TIMESPAN, TS("-01:00:00"));
    EXPECT("3", ceiling, REAL, R(2.1));
    EXPECT("-2", ceiling, REAL, R(-2.9));
    EXPECT("7", ceiling, LONG, L(7));
    EXPECT("null", abs, LONG, NUL(LONG));
}

static void test_math_functions_are_null_outside_their_domain(void **st)
{
    (void)st;
    EXPECT("3", sqrt, REAL, R(9));
    EXPECT("null", sqrt, REAL, R(-1));
    EXPECT("0", log, REAL, R(1));
    EXPECT("null", log, REAL, R(0));
    EXPECT("null", log10, REAL, R(-10));
    EXPECT("2", log10, REAL, R(100));
    EXPECT("10", log2, REAL, R(1024));
    EXPECT("1", exp, REAL, R(0));
    EXPECT("1024", pow, REAL, R(2), R(10));
    EXPECT("0.5", pow, REAL, R(2), R(-1));
    EXPECT("null", pow, REAL, NUL(REAL), R(2));
}

static void test_max_of_min_of_ignore_nulls(void **st)
{
    (void)st;
    EXPECT("10", max_of, LONG, L(10), L(1), NUL(LONG), L(-3));
    EXPECT("-3", min_of, LONG, L(10), L(1), NUL(LONG), L(-3));
    EXPECT("null", max_of, LONG, NUL(LONG), NUL(LONG));
    EXPECT("2.5", max_of, REAL, L(2), R(2.5));
    EXPECT("\"b\"", max_of, STRING, S("a"), S("b"));
    EXPECT("\"2024-01-02T00:00:00.0000000Z\"", max_of, DATETIME, DT("2024-01-01"), DT("2024-01-02"), NUL(DATETIME));
    EXPECT("1", max_of, LONG, R(0.0 / 0.0 * 0), L(1)); /* NaN is skipped */
}

static void test_nan_inf_tests(void **st)
{
    (void)st;
    EXPECT("true", isnan, BOOL, R(strtod("nan", NULL)));
    EXPECT("false", isnan, BOOL, R(1));
    EXPECT("true", isinf, BOOL, R(strtod("-inf", NULL)));
    EXPECT("false", isinf, BOOL, R(1e308));
    EXPECT("true", isfinite, BOOL, R(1));
    EXPECT("false", isfinite, BOOL, R(strtod("inf", NULL)));
    EXPECT("false", isnan, BOOL, NUL(REAL));
}

static void test_binary_operations_and_shifts(void **st)
{
    (void)st;
    EXPECT("8", binary_and, LONG, L(12), L(10));
    EXPECT("14", binary_or, LONG, L(12), L(10));
    EXPECT("6", binary_xor, LONG, L(12), L(10));
    EXPECT("-101", binary_not, LONG, L(100));
    EXPECT("4", binary_shift_left, LONG, L(1), L(2));
    EXPECT("2", binary_shift_left, LONG, L(1), L(65)); /* count modulo 64 */
    EXPECT("-4", binary_shift_right, LONG, L(-16), L(2));
    EXPECT("3", binary_shift_right, LONG, L(12), L(2));
    EXPECT("null", binary_and, LONG, L(1), NUL(LONG));
}

static void test_tohex_twos_complement_and_padding(void **st)
{
    (void)st;
    EXPECT("\"100\"", tohex, STRING, L(256));
    EXPECT("\"ffffffffffffff00\"", tohex, STRING, L(-256));
    EXPECT("\"00000100\"", tohex, STRING, L(256), L(8));
    EXPECT("\"fffffffffffffdde\"", tohex, STRING, L(-546));
    EXPECT("\"100\"", tohex, STRING, L(256), L(2));
    EXPECT("\"\"", tohex, STRING, NUL(LONG));
}

static void test_rand_stays_in_range_and_is_not_dictionary_safe(void **st)
{
    (void)st;
    assert_false(kfn_get(KB_rand)->dict_ok);
    for (int i = 0; i < 200; i++) {
        double r = atof(KFH_CALL(&H, KB_rand, SP_TYPE_REAL, L(10)));
        assert_true(r >= 0 && r <= 9 && r == (double)(long)r);
        const char *u = kfh_call(&H, KB_rand, SP_TYPE_REAL, 0, NULL);
        double x = atof(u);
        assert_true(x >= 0 && x < 1);
    }
    EXPECT("null", rand, REAL, L(0));
}

static void test_sha256_and_md5_match_published_vectors(void **st)
{
    (void)st;
    EXPECT("\"78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524\"", hash_sha256, STRING, S("World"));
    EXPECT("\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"", hash_sha256, STRING, S(""));
    EXPECT("\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"", hash_sha256, STRING, S("abc"));
    EXPECT("\"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1\"", hash_sha256, STRING,
           S("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
    EXPECT("\"f5a7924e621e84c9280a9a27e1bcb7f6\"", hash_md5, STRING, S("World"));
    EXPECT("\"d41d8cd98f00b204e9800998ecf8427e\"", hash_md5, STRING, S(""));
    EXPECT("\"9e107d9d372bb6826bd81d3542a419d6\"", hash_md5, STRING, S("The quick brown fox jumps over the lazy dog"));
    /* 60 bytes: the padding needs a second block */
    EXPECT("\"11ee391211c6256460b6ed375957fadd8061cafbb31daf967db875aebd5aaad4\"", hash_sha256, STRING,
           S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    /* non-strings hash their text form */
    EXPECT("\"a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3\"", hash_sha256, STRING, L(123));
    EXPECT("\"\"", hash_md5, STRING, NUL(LONG));
}

static void test_hash_is_xxh64_like_kusto(void **st)
{
    (void)st;
    EXPECT("1846988464401551951", hash, LONG, S("World"));
    EXPECT("51", hash, LONG, S("World"), L(100));
    /* XXH64 reference vectors (seed 0), printed as signed longs */
    EXPECT("-1205034819632174695", hash, LONG, S(""));                                          /* 0xef46db3751d8e999 */
    EXPECT("-302119147016844303", hash, LONG, S("Nobody inspects the spammish repetition"));   /* 0xfbcea83c8a378bf1 */
    EXPECT("null", hash, LONG, S("x"), L(0));
    /* dates and longs hash their 8-byte little-endian value (Kusto's documented example) */
    EXPECT("1380966698541616202", hash, LONG, DT("2015-01-01"));
    EXPECT("1380966698541616202", hash, LONG, L(635556672000000000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_round_documented_examples_and_half_away_from_zero),
        T(test_abs_ceiling_keep_the_argument_type),
        T(test_math_functions_are_null_outside_their_domain),
        T(test_max_of_min_of_ignore_nulls),
        T(test_nan_inf_tests),
        T(test_binary_operations_and_shifts),
        T(test_tohex_twos_complement_and_padding),
        T(test_rand_stays_in_range_and_is_not_dictionary_safe),
        T(test_sha256_and_md5_match_published_vectors),
        T(test_hash_is_xxh64_like_kusto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
