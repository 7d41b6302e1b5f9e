/* test_builtins_string.c — string builtins called as kernels, with the examples of the
 * Kusto documentation (and of tests/kql/18-string-functions.test) pinned as expected
 * outputs, plus edge cases: empty and out-of-range inputs, UTF-8, invalid regexes,
 * per-row (non-constant) patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#define KFH_SHORT_NAMES
#include "support/kfn_harness.h"

static kfh H;
KFH_SETUP

static void test_strcat_joins_text_forms(void **st)
{
    (void)st;
    EXPECT("\"hello world12.5\"", strcat, STRING, S("hello"), S(" "), S("world"), L(1), R(2.5));
    EXPECT("\"ab\"", strcat, STRING, S("a"), NUL(LONG), S("b"));
    EXPECT("\"1-2-A-00:00:01\"", strcat_delim, STRING, S("-"), L(1), S("2"), S("A"), TS("00:00:01"));
    EXPECT("\"x\"", strcat_delim, STRING, S(","), S("x"));
}

static void test_strcat_array_joins_element_text(void **st)
{
    (void)st;
    EXPECT("\"1->2->3\"", strcat_array, STRING, Y("[1,2,3]"), S("->"));
    EXPECT("\"a,b c,,[1]\"", strcat_array, STRING, Y("[\"a\",\"b c\",null,[1]]"), S(","));
    EXPECT("\"\"", strcat_array, STRING, Y("{\"a\":1}"), S(","));
    EXPECT("\"\"", strcat_array, STRING, Y(""), S(","));
}

static void test_strrep_repeats_with_optional_delimiter(void **st)
{
    (void)st;
    EXPECT("\"ababab\"", strrep, STRING, S("ab"), L(3));
    EXPECT("\"x,x,x\"", strrep, STRING, S("x"), L(3), S(","));
    EXPECT("\"\"", strrep, STRING, S("x"), L(0));
    EXPECT("\"\"", strrep, STRING, S("x"), NUL(LONG));
}

static void test_strlen_counts_characters_and_string_size_bytes(void **st)
{
    (void)st;
    EXPECT("5", strlen, LONG, S("hello"));
    EXPECT("5", strlen, LONG, S("⒦⒰⒮⒯⒪"));
    EXPECT("0", strlen, LONG, S(""));
    EXPECT("15", string_size, LONG, S("⒦⒰⒮⒯⒪"));
    EXPECT("2", strlen, LONG, S("\xff" "a")); /* an invalid byte is one character */
}

static void test_substring_is_character_based_with_negative_start(void **st)
{
    (void)st;
    EXPECT("\"23456\"", substring, STRING, S("123456"), L(1));
    EXPECT("\"34\"", substring, STRING, S("123456"), L(2), L(2));
    EXPECT("\"AB\"", substring, STRING, S("ABCD"), L(0), L(2));
    EXPECT("\"56\"", substring, STRING, S("123456"), L(-2), L(2));
    EXPECT("\"\"", substring, STRING, S("abc"), L(5));
    EXPECT("\"abc\"", substring, STRING, S("abc"), L(-10));
    EXPECT("\"bc\"", substring, STRING, S("abc"), L(1), L(100));
    EXPECT("\"\"", substring, STRING, S("abc"), L(1), L(-1));
    EXPECT("\"⒰⒮\"", substring, STRING, S("⒦⒰⒮⒯⒪"), L(1), L(2));
    EXPECT("\"\"", substring, STRING, S("abc"), NUL(LONG));
}

static void test_split_returns_string_arrays(void **st)
{
    (void)st;
    EXPECT("[\"aa\",\"bb\"]", split, DYNAMIC, S("aa_bb"), S("_"));
    EXPECT("[\"bbb\"]", split, DYNAMIC, S("aaa_bbb_ccc"), S("_"), L(1));
    EXPECT("[\"\"]", split, DYNAMIC, S(""), S("_"));
    EXPECT("[\"a\",\"\",\"b\"]", split, DYNAMIC, S("a__b"), S("_"));
    EXPECT("[\"aa\",\"cc\"]", split, DYNAMIC, S("aabbcc"), S("bb"));
    EXPECT("[]", split, DYNAMIC, S("a_b"), S("_"), L(5));
    EXPECT("[]", split, DYNAMIC, S("a_b"), S("_"), L(-1));
    EXPECT("[\"a_b\"]", split, DYNAMIC, S("a_b"), S(""));
    EXPECT("[\"x\\\"y\",\"\"]", split, DYNAMIC, S("x\"y,"), S(","));
}

static void test_case_mapping_covers_ascii_and_latin(void **st)
{
    (void)st;
    EXPECT("\"hello world\"", tolower, STRING, S("Hello World"));
    EXPECT("\"HELLO WORLD\"", toupper, STRING, S("Hello World"));
    EXPECT("\"ÉCOLE ŁÓDŹ ΣΑΣ ПРИВЕТ\"", toupper, STRING, S("école łódź σας привет"));
    /* invariant lower case has no final-sigma rule */
    EXPECT("\"école łódź σασ привет\"", tolower, STRING, S("ÉCOLE ŁÓDŹ ΣΑΣ ПРИВЕТ"));
    EXPECT("\"ß\"", toupper, STRING, S("ß")); /* no single-character upper case */
}

static void test_reverse_reverses_characters(void **st)
{
    (void)st;
    EXPECT("\"cba\"", reverse, STRING, S("abc"));
    EXPECT("\"321\"", reverse, STRING, S("123"));
    EXPECT("\"\"", reverse, STRING, S(""));
    EXPECT("\"⒪⒯⒮a\"", reverse, STRING, S("a⒮⒯⒪"));
}

static void test_trim_removes_leading_and_trailing_regex_matches(void **st)
{
    (void)st;
    EXPECT("\"https://bing.com\"", trim, STRING, S("--"), S("--https://bing.com--"));
    EXPECT("\"Te st1\"", trim, STRING, S("[^\\w]+"), S("-  Te st1// $"));
    EXPECT("\"Hello, world!\"", trim, STRING, S("\\s+"), S("    Hello, world!    "));
    EXPECT("\"Te st1// $\"", trim_start, STRING, S("[^\\w]+"), S("-  Te st1// $"));
    EXPECT("\"-  Te st1\"", trim_end, STRING, S("[^\\w]+"), S("-  Te st1// $"));
    EXPECT("\"x--\"", trim_start, STRING, S("--"), S("--x--"));
    EXPECT("\"--x\"", trim_end, STRING, S("--"), S("--x--"));
    EXPECT("\"x\"", trim, STRING, S("ab"), S("ababxabab"));
    EXPECT("\"\"", trim, STRING, S("a"), S("aaaa"));
    EXPECT("\"abc\"", trim, STRING, S("z"), S("abc"));
    /* a per-row pattern is compiled when it changes */
    EXPECT("\"x\"", trim, STRING, ROW(S("-+")), S("--x--"));
}

static void test_trim_with_an_invalid_constant_regex_fails_the_query(void **st)
{
    (void)st;
    const char *r = KFH_CALL(&H, KB_trim, SP_TYPE_STRING, S("(a"), S("abc"));
    assert_true(strncmp(r, "ERROR: ", 7) == 0);
    r = KFH_CALL(&H, KB_extract, SP_TYPE_STRING, S("(a)\\1"), L(1), S("aa"));
    assert_non_null(strstr(r, "backreference"));
    /* a per-row invalid pattern only affects that row */
    EXPECT("\"abc\"", trim, STRING, ROW(S("(a")), S("abc"));
}

static void test_replace_string_replaces_every_occurrence(void **st)
{
    (void)st;
    EXPECT("\"A magic trick can turn a hamster into a dog\"", replace_string, STRING,
           S("A magic trick can turn a cat into a dog"), S("cat"), S("hamster"));
    EXPECT("\"bXb bXb\"", replace_string, STRING, S("aXa aXa"), S("a"), S("b"));
    EXPECT("\"AXA\"", replace_string, STRING, S("AXA"), S("a"), S("b"));
    EXPECT("\"abc\"", replace_string, STRING, S("abc"), S(""), S("x"));
    EXPECT("\"xac\"", replace_string, STRING, S("aaac"), S("aa"), S("x"));
}

static void test_replace_regex_rewrites_groups_and_every_match(void **st)
{
    (void)st;
    EXPECT("\"Number was: 1\"", replace_regex, STRING, S("Number is 1"), S("is (\\d+)"), S("was: \\1"));
    EXPECT("\"a#b#c#\"", replace_regex, STRING, S("a1b22c333"), S("\\d+"), S("#"));
    EXPECT("\"[abc]\"", replace_regex, STRING, S("abc"), S(".+"), S("[\\0]"));
    EXPECT("\"-a-b-c-\"", replace_regex, STRING, S("abc"), S("x*"), S("-"));
    EXPECT("\"-a-b-\"", replace_regex, STRING, S("axb"), S("x*"), S("-"));
    EXPECT("\"a\\\\b\"", replace_regex, STRING, S("a.b"), S("\\."), S("\\\\"));
    EXPECT("\"nothing\"", replace_regex, STRING, S("nothing"), S("\\d"), S("#"));
    EXPECT("\"b-a\"", replace_regex, STRING, S("a-b"), ROW(S("(\\w)-(\\w)")), S("\\2-\\1"));
}

static void test_extract_returns_group_or_empty_or_typed_null(void **st)
{
    (void)st;
    EXPECT("\"JohnDoe\"", extract, STRING, S("User: ([^,]+)"), L(1), S("User: JohnDoe, Email: johndoe@example.com, Age: 29"));
    EXPECT("12", extract, INT, S("-(\\d{2})-"), L(1), S("15-12-2024"));
    EXPECT("7", extract, INT, S("-(\\d{2})-"), L(1), S("21-07-2023"));
    EXPECT("\"x=45.6\"", extract, STRING, S("x=([0-9.]+)"), L(0), S("hello x=45.6|wo"));
    EXPECT("45.6", extract, REAL, S("x=([0-9.]+)"), L(1), S("hello x=45.6|wo"));
    EXPECT("\"\"", extract, STRING, S("x=(\\d+)"), L(1), S("nothing"));
    EXPECT("null", extract, LONG, S("x=(\\d+)"), L(1), S("nothing"));
    EXPECT("\"\"", extract, STRING, S("(a)"), L(5), S("a"));
    EXPECT("\"\"", extract, STRING, S("(a)|(b)"), L(1), S("b"));
    EXPECT("\"2024-01-31T10:00:00.0000000Z\"", extract, DATETIME, S("at (\\S+)"), L(1), S("seen at 2024-01-31T10:00:00Z"));
}

static void test_extract_all_shapes_follow_group_count(void **st)
{
    (void)st;
    const char *id = "82b8be2d-dfa7-4bd1-8f63-24ad26d31449";
    EXPECT("[\"82\",\"b8\",\"be\",\"2d\",\"df\",\"a7\",\"4b\",\"d1\",\"8f\",\"63\",\"24\",\"ad\",\"26\",\"d3\",\"14\",\"49\"]",
           extract_all, DYNAMIC, S("([\\da-f]{2})"), S(id));
    EXPECT("[[\"8\",\"2b8be2\",\"d\"],[\"d\",\"fa\",\"7\"],[\"4\",\"bd\",\"1\"],[\"8\",\"f6\",\"3\"],[\"2\",\"4ad26d3144\",\"9\"]]",
           extract_all, DYNAMIC, S("(\\w)(\\w+)(\\w)"), S(id));
    EXPECT("[[\"8\",\"d\"],[\"d\",\"7\"],[\"4\",\"1\"],[\"8\",\"3\"],[\"2\",\"9\"]]", extract_all, DYNAMIC,
           S("(\\w)(\\w+)(\\w)"), Y("[1,3]"), S(id));
    EXPECT("[{\"first\":\"8\",\"middle\":\"2b8be2\",\"last\":\"d\"},{\"first\":\"d\",\"middle\":\"fa\",\"last\":\"7\"},"
           "{\"first\":\"4\",\"middle\":\"bd\",\"last\":\"1\"},{\"first\":\"8\",\"middle\":\"f6\",\"last\":\"3\"},"
           "{\"first\":\"2\",\"middle\":\"4ad26d3144\",\"last\":\"9\"}]",
           extract_all, DYNAMIC, S("(?P<first>\\w)(?P<middle>\\w+)(?P<last>\\w)"), Y("[\"first\",2,\"last\"]"), S(id));
    EXPECT("[\"123\",\"567\",\"789\"]", extract_all, DYNAMIC, S("(\\d+)"), S("a set of numbers: 123, 567 and 789"));
    EXPECT("null", extract_all, DYNAMIC, S("(\\d+)"), S("no digits"));
    EXPECT("[\"ab\",\"ab\"]", extract_all, DYNAMIC, S("ab"), S("xabyab")); /* no group: whole matches */
    EXPECT("null", extract_all, DYNAMIC, S("(a)"), Y("[4]"), S("a"));
}

static void test_extractjson_follows_jsonpath_and_converts(void **st)
{
    (void)st;
    const char *doc = "{\"hosts\":[{\"AvailableMB\":1},{\"AvailableMB\":5}], \"name\":\"x\", \"o\":{\"k\":[1,2]}}";
    EXPECT("5", extractjson, LONG, S("$.hosts[1].AvailableMB"), S(doc));
    EXPECT("\"x\"", extractjson, STRING, S("$.name"), S(doc));
    EXPECT("\"x\"", extractjson, STRING, S("$['name']"), S(doc));
    EXPECT("\"[1,2]\"", extractjson, STRING, S("$.o.k"), S(doc));
    EXPECT("2", extractjson, LONG, S("$.o.k[-1]"), S(doc));
    EXPECT("\"\"", extractjson, STRING, S("$.missing"), S(doc));
    EXPECT("null", extractjson, LONG, S("$.missing"), S(doc));
    EXPECT("\"\"", extractjson, STRING, S("$.a"), S("not json"));
    EXPECT("\"\"", extractjson, STRING, S("$..bad"), S(doc));
}

static void test_indexof_character_offsets_windows_and_occurrences(void **st)
{
    (void)st;
    EXPECT("2", indexof, LONG, S("abcdefg"), S("cde"));
    EXPECT("2", indexof, LONG, S("abcdefg"), S("cde"), L(1), L(4));
    EXPECT("-1", indexof, LONG, S("abcdefg"), S("cde"), L(1), L(2));
    EXPECT("-1", indexof, LONG, S("abcdefg"), S("cde"), L(3), L(4));
    EXPECT("4", indexof, LONG, S("1234567"), S("5"), L(1), L(4));
    EXPECT("2", indexof, LONG, S("abcdefg"), S("cde"), L(2), L(-1));
    EXPECT("9", indexof, LONG, S("abcdefgabcdefg"), S("cde"), L(1), L(10), L(2));
    EXPECT("-1", indexof, LONG, S("abcdefgabcdefg"), S("cde"), L(1), L(-1), L(3));
    EXPECT("-1", indexof, LONG, S("abc"), S("z"));
    EXPECT("-1", indexof, LONG, S("abc"), S("A")); /* case-sensitive */
    EXPECT("2", indexof, LONG, S("⒦⒰x"), S("x"));
    EXPECT("4", indexof, LONG, S("abcabc"), S("bc"), L(-3));
    EXPECT("null", indexof, LONG, S("abc"), S("b"), L(0), L(-2));
    EXPECT("null", indexof, LONG, S("abc"), S("b"), L(0), L(-1), L(0));
    EXPECT("-1", indexof, LONG, S("abc"), S("b"), L(7));
}

static void test_countof_plain_overlaps_regex_does_not(void **st)
{
    (void)st;
    EXPECT("3", countof, LONG, S("aaa"), S("a"));
    EXPECT("3", countof, LONG, S("aaaa"), S("aa"));
    EXPECT("2", countof, LONG, S("ababa"), S("ab"), S("normal"));
    EXPECT("2", countof, LONG, S("ababa"), S("aba"));
    EXPECT("1", countof, LONG, S("ababa"), S("aba"), S("regex"));
    EXPECT("2", countof, LONG, S("abcabc"), S("a.c"), S("regex"));
    EXPECT("0", countof, LONG, S("abc"), S(""));
    EXPECT("2", countof, LONG, S("a1b22"), S("\\d+"), ROW(S("regex")));
    EXPECT("null", countof, LONG, S("abc"), S("a"), S("other"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_strcat_joins_text_forms),
        T(test_strcat_array_joins_element_text),
        T(test_strrep_repeats_with_optional_delimiter),
        T(test_strlen_counts_characters_and_string_size_bytes),
        T(test_substring_is_character_based_with_negative_start),
        T(test_split_returns_string_arrays),
        T(test_case_mapping_covers_ascii_and_latin),
        T(test_reverse_reverses_characters),
        T(test_trim_removes_leading_and_trailing_regex_matches),
        T(test_trim_with_an_invalid_constant_regex_fails_the_query),
        T(test_replace_string_replaces_every_occurrence),
        T(test_replace_regex_rewrites_groups_and_every_match),
        T(test_extract_returns_group_or_empty_or_typed_null),
        T(test_extract_all_shapes_follow_group_count),
        T(test_extractjson_follows_jsonpath_and_converts),
        T(test_indexof_character_offsets_windows_and_occurrences),
        T(test_countof_plain_overlaps_regex_does_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
